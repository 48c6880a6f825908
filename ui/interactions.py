"""The Interactions tab: how the kinds of risk go together across wards, and where one meets another nearby."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from hotspots.errors import HotspotsError
from hotspots.report import correlation_pairs
from ui.cache import bivariate_clusters, drawn_bivariate_map, neighbour_graph_of, score_correlation, scored_city
from ui.common import CORRECTION_WORDS, permutation_words, plain, show_error, synthetic_banner
from ui.map_component import risk_map_component

BIVARIATE_MAP_HEIGHT = 560
NEIGHBOURS_AROUND = {
    "queen": "the wards that share an edge or a corner with it",
    "rook": "the wards that share an edge with it",
    "knn:6": "its 6 nearest wards",
}
#: Bivariate clusters in the order of the count table, with what each means for "x in the ward, y around it".
BIVARIATE_CLUSTERS = {
    "high-high": ("High-High", "high {x} risk in the ward, and high {y} risk around it"),
    "low-low": ("Low-Low", "low {x} risk in the ward, and low {y} risk around it"),
    "high-low": ("High-Low", "high {x} risk in the ward, but low {y} risk around it"),
    "low-high": ("Low-High", "low {x} risk in the ward, but high {y} risk around it"),
    "not significant": ("Not significant", "no pattern clearer than random shuffles of the scores give"),
    "no data": ("No data", "the ward lacks one of the two scores"),
}
CORRELATIONS = ["Pearson r", "Spearman ρ"]


def render_interactions(spec: dict, inputs: dict) -> None:
    """The tab: correlations between the dimension scores, then the bivariate local Moran map of a chosen pair."""
    try:
        result = scored_city(spec, inputs)
        graph, graph_key = neighbour_graph_of(spec, inputs)
    except HotspotsError as exc:
        show_error(exc, f"{spec['label']}: ")
        return
    synthetic_banner(result.city.synthetic, compact=True)
    dimensions = result.framework.dimension_names
    st.subheader("How the kinds of risk interact")
    if len(dimensions) < 2:
        st.info("The model has one kind of risk only: add a second dimension in the Model tab to compare them.")
        return
    st.markdown("**Do wards high in one kind of risk tend to be high in another?**")
    render_correlation(result.layer, dimensions)
    st.markdown("**Where does one kind of risk meet another in the wards around it?**")
    x, y = _pair_select(dimensions)
    layer = result.layer
    try:
        keyed = layer.set_index(layer["ward_id"].astype(str))
        clusters = bivariate_clusters(
            keyed[f"{x}_score"].astype(float),
            keyed[f"{y}_score"].astype(float),
            graph_key,
            inputs["permutations"],
            inputs["correction"],
            _graph=graph,
        )
        parts = drawn_bivariate_map(result, clusters, x, y, inputs)
    except HotspotsError as exc:
        show_error(exc)
        return
    render_bivariate(parts, clusters, x, y, spec["label"], inputs)


def _correlation_colour(value: float) -> str:
    """Cell background: red for positive, blue for negative correlations, stronger with size (no matplotlib)."""
    if not isinstance(value, (int, float)) or value != value:
        return ""
    rgb = "178,24,43" if value > 0 else "33,102,172"
    return f"background-color: rgba({rgb},{min(abs(value), 1.0) * 0.55:.2f})"


def render_correlation(layer, dimensions: list[str]) -> None:
    """A table of the pairs of dimensions (both correlations, n, a reading), and the matrices in an expander."""
    labels = {f"{d}_score": d.capitalize() for d in dimensions}
    try:
        corr = score_correlation(layer[list(labels)].astype(float).reset_index(drop=True))
    except HotspotsError as exc:
        show_error(exc)
        return
    pairs = correlation_pairs(corr)
    table = pd.DataFrame(
        {
            "Kinds of risk": [f"{labels[a]} & {labels[b].lower()}" for a, b in zip(pairs["first"], pairs["second"])],
            "Pearson r": pairs["pearson_r"],
            "Spearman ρ": pairs["spearman_rho"],
            "Wards (n)": pairs["n_wards"],
            "Reading (Spearman)": pairs["reading"],
        }
    )
    styled = table.style.map(_correlation_colour, subset=CORRELATIONS).format("{:.2f}", subset=CORRELATIONS, na_rep="–")
    st.dataframe(styled, hide_index=True, width="stretch", key="correlation")
    fewest, most = pairs["n_wards"].min(), pairs["n_wards"].max()
    st.caption(
        "Correlation across wards between two dimension scores, over the wards that have both "
        f"({f'n = {fewest}' if fewest == most else f'n from {fewest} to {most}'}). "
        "+1: wards high in one kind of risk are high in the other; 0: no link; −1: the opposite. Pearson measures "
        "a straight-line link, Spearman one of ranks (less moved by a few extreme wards). Scores built from the "
        "same indicators or the same population counts can correlate for that reason alone."
    )
    with st.expander("As matrices"):
        matrices = (("Pearson r", corr.pearson), ("Spearman ρ", corr.spearman), ("Wards with both (n)", corr.n))
        for column, (title, matrix) in zip(st.columns(3), matrices):
            shown = matrix.rename(index=labels, columns=labels)
            column.markdown(f"**{title}**")
            if title.startswith("Wards"):
                column.dataframe(shown, width="stretch")
            else:
                column.dataframe(shown.style.map(_correlation_colour).format("{:.2f}", na_rep="–"), width="stretch")


def _pair_select(dimensions: list[str]) -> tuple[str, str]:
    """The two kinds of risk of the bivariate map (stable keys; a choice the model no longer has is reset)."""
    for key in ("bv_x", "bv_y"):
        if st.session_state.get(key) not in (None, *dimensions):
            del st.session_state[key]
    c1, c2 = st.columns(2)
    x = c1.selectbox(
        "Kind of risk in the ward", dimensions, index=0, key="bv_x", format_func=str.capitalize, persist_state="session"
    )
    y = c2.selectbox(
        "Kind of risk around it (in the neighbouring wards)",
        dimensions,
        index=1,
        key="bv_y",
        format_func=str.capitalize,
        persist_state="session",
    )
    return x, y


def render_bivariate(parts: dict, clusters: pd.DataFrame, x: str, y: str, label: str, inputs: dict) -> None:
    """The bivariate map (the app's map component: another pair or city restyles the map already drawn), beside
    the count of wards per cluster and how to read them."""
    left, right = st.columns([1.8, 1])
    with left:
        shown = {"city": label, "pair": [x, y]}
        risk_map_component(parts, key="bivariate_map", name=label, height=BIVARIATE_MAP_HEIGHT, state=shown)
    counts = clusters["bv_cluster"].value_counts()
    with right:
        table = pd.DataFrame(
            [
                {"Cluster": name, "Wards": int(counts.get(key, 0)), "Meaning": meaning.format(x=plain(x), y=plain(y))}
                for key, (name, meaning) in BIVARIATE_CLUSTERS.items()
            ]
        )
        st.table(table.set_index("Cluster"), border="horizontal")  # st.table wraps the long meanings
        st.caption(_how_to_read(x, y, inputs))


def _how_to_read(x: str, y: str, inputs: dict) -> str:
    x, y = plain(x), plain(y)  # dimension names come from the framework file
    same = (
        " (Both sides are the same score here: this is the ordinary local Moran map of that score.)" if x == y else ""
    )
    around = NEIGHBOURS_AROUND.get(inputs["neighbours"], "its neighbouring wards")
    return (
        f"**How to read it.** Each ward's {x} score is set against the average {y} score of {around}. "
        f"*High-High*: high {x} risk in the ward, and high {y} risk around it. *Low-Low*: low in both. *High-Low*: "
        f"high {x} risk in the ward, but low {y} risk around it; *Low-High* the reverse. A ward is coloured only "
        f"when its pattern is stronger than in {permutation_words(inputs['permutations'], 'shuffles')} of the {y} scores "
        f"({CORRECTION_WORDS[inputs['correction']]} correction for testing many wards at once); otherwise it is "
        f"*not significant*. Grey wards have no data. The map shows where kinds of risk meet, not that one causes "
        f"the other; swap the two choices to ask the question the other way round (bivariate local Moran's I).{same}"
    )
