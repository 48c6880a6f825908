"""Streamlit front end of hotspots: widgets in, package calls, results out.

Run with ``streamlit run app.py``. The app opens on the synthetic demo cities (Kolkata first). Everything it shows
is computed by the ``hotspots`` package; this file only routes inputs to package calls, caches them, and renders:

* :func:`sidebar_inputs` returns the model settings as a plain dict (city, weights, options);
* :func:`render_map`, :func:`render_interactions`, :func:`render_data_tab`, :func:`render_model`,
  :func:`render_compare`, :func:`render_export` draw one tab each (tabs are lazy: only the open one runs).

Caching follows the data flow: files are read once per (bytes, name) (``st.cache_data``); validation and join once
per city and set of framework columns; the neighbour graph once per boundary file and neighbour rule; so a weight
change redoes only scoring, hotspot statistics and the map. The correlation and bivariate statistics of the
Interactions tab are cached on the scores themselves (and the graph's key).

Uploads go through ``st.session_state["upload"]`` (a dict of bytes and file names): the file uploaders fill it, and
tests can fill it directly (``AppTest`` cannot drive ``st.file_uploader``).
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from hotspots.demo import demo_cities
from hotspots.errors import HotspotsError, ValidationError
from hotspots.framework import (
    AGGREGATIONS,
    CLASSIFICATIONS,
    DIRECTIONS,
    NORMALISATIONS,
    UNITS,
    Framework,
    Indicator,
    default_framework,
)
from hotspots.io import guess_decimal, parse_numbers
from hotspots.maps import bivariate_map, map_html, risk_map, ward_at
from hotspots.pipeline import city_graph, prepare_city, read_city, score_cities, score_city
from hotspots.spatial import DimensionCorrelation, bivariate_local_moran, dimension_correlation

NEIGHBOURS = {"queen": "Queen (shared edge or corner)", "rook": "Rook (shared edge)", "knn:6": "6 nearest wards"}
NEIGHBOURS_AROUND = {
    "queen": "the wards that share an edge or a corner with it",
    "rook": "the wards that share an edge with it",
    "knn:6": "its 6 nearest wards",
}
PERMUTATIONS = (99, 499, 999)
CORRECTIONS = {"fdr": "False discovery rate (FDR)", "bonferroni": "Bonferroni", "none": "None"}
TABLE_TYPES = ["csv", "txt", "tsv", "xlsx"]
BOUNDARY_TYPES = ["geojson", "json", "zip", "gpkg", "kml", "kmz"]
MAP_HEIGHT = 620
COMPARE_MAP_HEIGHT = 420
BIVARIATE_MAP_HEIGHT = 560
SEED = 12345  # the pipeline's default seed: the same permutations as the command line
RETURNED_OBJECTS = ["last_object_clicked_tooltip", "last_object_clicked"]
WARD_ID_IN_TOOLTIP = re.compile(r"Ward ID:\s*(\S+)")
RANKED_COLUMNS = ["risk_rank", "ward_id", "ward_name", "risk_score", "risk_class", "hotspot_class", "coverage"]
#: Bivariate clusters in the order of the count table, with what each means for "x in the ward, y around it".
BIVARIATE_CLUSTERS = {
    "high-high": ("High-High", "high {x} risk in the ward, and high {y} risk around it"),
    "low-low": ("Low-Low", "low {x} risk in the ward, and low {y} risk around it"),
    "high-low": ("High-Low", "high {x} risk in the ward, but low {y} risk around it"),
    "low-high": ("Low-High", "low {x} risk in the ward, but high {y} risk around it"),
    "not significant": ("Not significant", "no pattern clearer than random shuffles of the scores give"),
    "no data": ("No data", "the ward lacks one of the two scores"),
}


# ----------------------------------------------------------------------------------------------------- cached calls


@st.cache_data(show_spinner="Reading the files…", max_entries=32)
def load_raw(
    indicators: str | bytes,
    indicators_name: str,
    boundaries: str | bytes,
    boundaries_name: str,
    name: str,
    synthetic: bool | None,
):
    """The city's files as read (cached on their bytes or paths, and names)."""
    return read_city(
        indicators,
        boundaries,
        name=name,
        indicators_name=indicators_name,
        boundaries_name=boundaries_name,
        synthetic=synthetic,
    )


def _columns_key(framework: Framework) -> str:
    """What validation depends on: the indicator columns, units and denominators (not the weights)."""
    return json.dumps(
        [framework.population_column] + [[i.column, i.unit, i.per_population] for i in framework.indicators]
    )


@st.cache_resource(show_spinner="Checking and joining the data…", max_entries=64)
def _prepared(
    files_key: str, columns_key: str, id_column: str, boundary_id_column: str, name: str, _raw, _framework: Framework
):
    return prepare_city(_raw, _framework, id_column=id_column, boundary_id_column=boundary_id_column)


@st.cache_resource(show_spinner="Finding neighbouring wards…", max_entries=64)
def _graph(boundaries_key: str, boundary_id_column: str, neighbours: str, _city):
    return city_graph(_city, neighbours)


@st.cache_resource(show_spinner="Scoring wards and testing for hot spots…", max_entries=64)
def _scored(
    city_key: str,
    framework_json: str,
    neighbours: str,
    permutations: int,
    correction: str,
    _city,
    _framework: Framework,
    _graph,
):
    return score_city(
        _city, _framework, graph=_graph, permutations=permutations, correction=correction, neighbours=neighbours
    )


@st.cache_resource(show_spinner="Scoring the cities on one common scale…", max_entries=16)
def _scored_common(
    cities_key: str,
    framework_json: str,
    neighbours: str,
    permutations: int,
    correction: str,
    _cities: dict,
    _framework: Framework,
    _graphs: dict,
):
    return score_cities(
        _cities, _framework, scale="common", graphs=_graphs, permutations=permutations, correction=correction,
        neighbours=neighbours,
    )


@st.cache_data(show_spinner="Testing where kinds of risk meet…", max_entries=64)
def bivariate_clusters(
    x: np.ndarray, y: np.ndarray, graph_key: str, permutations: int, correction: str, _graph
) -> pd.DataFrame:
    """Bivariate local Moran of x against the neighbours' y (cached on the values and the graph's key)."""
    return bivariate_local_moran(x, y, _graph, permutations=permutations, seed=SEED, correction=correction).frame


@st.cache_data(max_entries=64)
def score_correlation(scores: pd.DataFrame) -> DimensionCorrelation:
    """Pearson and Spearman correlations between the dimension score columns (cached on the scores)."""
    return dimension_correlation(scores, list(scores.columns))


@st.cache_data(max_entries=32)
def numeric_columns(table_sha256: str, _raw) -> list[str]:
    """Columns of the table whose filled cells are mostly numbers (candidates for new indicators)."""
    table_read = _raw.table_read
    decimal = guess_decimal(table_read)
    out = []
    for column in table_read.table.columns:
        numbers, not_numbers = parse_numbers(table_read.table[column], decimal=decimal)
        if (~np.isnan(numbers)).sum() > not_numbers.sum():
            out.append(str(column))
    return out


def raw_city(spec: dict):
    return load_raw(
        spec["indicators"],
        spec["indicators_name"],
        spec["boundaries"],
        spec["boundaries_name"],
        spec["name"],
        spec["synthetic"],
    )


def prepared_city(spec: dict, framework: Framework):
    """Read, validate and join a city (each step cached). Raises the package's errors."""
    raw = raw_city(spec)
    files_key = f"{raw.table_read.sha256}:{raw.boundaries_read.sha256}:{raw.synthetic}"
    return _prepared(
        files_key,
        _columns_key(framework),
        spec["id_column"],
        spec["boundary_id_column"],
        spec["name"],
        _raw=raw,
        _framework=framework,
    )


def neighbour_graph_of(spec: dict, inputs: dict):
    """The city's neighbour graph (cached per boundary file and neighbour rule) and its cache key."""
    city = prepared_city(spec, inputs["framework"])
    key = [city.raw.boundaries_read.sha256, spec["boundary_id_column"], inputs["neighbours"]]
    return _graph(*key, _city=city), json.dumps(key)


def scored_city(spec: dict, inputs: dict):
    """A city scored with the current model (cached per city, model and hotspot options)."""
    framework = inputs["framework"]
    city = prepared_city(spec, framework)
    raw = city.raw
    graph, _ = neighbour_graph_of(spec, inputs)
    city_key = json.dumps(
        [
            raw.table_read.sha256,
            raw.boundaries_read.sha256,
            raw.synthetic,
            spec["name"],
            spec["id_column"],
            spec["boundary_id_column"],
        ]
    )
    return _scored(
        city_key,
        framework.to_json(),
        inputs["neighbours"],
        inputs["permutations"],
        inputs["correction"],
        _city=city,
        _framework=framework,
        _graph=graph,
    )


def city_title(result) -> str:
    return result.city.name + (" (synthetic)" if result.city.synthetic else "")


def city_map(result, inputs: dict, compact: bool = False):
    framework = result.framework
    return risk_map(
        result.layer,
        dimensions=framework.dimension_names,
        indicators=framework.columns,
        breaks=result.breaks,
        count_columns=result.count_columns,
        suppress_below=result.suppress_below,
        title=city_title(result),
        synthetic=result.city.synthetic,
        tiles="CartoDB positron" if inputs["basemap"] else None,
        compact=compact,
    )


# ----------------------------------------------------------------------------------------------------- session


def demo_specs() -> dict[str, dict]:
    specs = {}
    for demo in demo_cities().values():
        label = f"{demo.name} (synthetic demo)"
        specs[label] = {
            "label": label,
            "name": demo.name,
            "indicators": str(demo.indicators_path),
            "indicators_name": demo.indicators_path.name,
            "boundaries": str(demo.boundaries_path),
            "boundaries_name": demo.boundaries_path.name,
            "id_column": demo.id_column,
            "boundary_id_column": demo.id_column,
            "synthetic": True,
        }
    return specs


def init_session() -> None:
    state = st.session_state
    if "cities" not in state:
        state["cities"] = demo_specs()
    if "framework" not in state:
        state["framework"] = default_framework()
    if "next_city" in state:  # set by "Add city" in the previous run, before the city selectbox exists
        state["city"] = state.pop("next_city")
    apply_framework_file()


def set_framework(framework: Framework) -> None:
    """Make ``framework`` the model and reset the weight and option widgets to its values."""
    st.session_state["framework"] = framework
    for key in list(st.session_state):
        if isinstance(key, str) and key.startswith(("w_ind:", "w_dim:", "opt:")):
            del st.session_state[key]


def on_framework_upload() -> None:
    """Keep the uploaded framework's bytes; :func:`init_session` applies them (tests set the same key)."""
    upload = st.session_state.get("framework_upload")
    if upload is not None:
        st.session_state["framework_file"] = {"data": upload.getvalue(), "name": upload.name}


def apply_framework_file() -> None:
    """Make an uploaded framework JSON the model, or keep the error to show it in the Model tab."""
    pending = st.session_state.pop("framework_file", None)
    if pending is None:
        return
    st.session_state.pop("framework_error", None)
    try:
        set_framework(Framework.from_json(pending["data"], source=pending["name"]))
    except HotspotsError as exc:
        st.session_state["framework_error"] = str(exc)


# ----------------------------------------------------------------------------------------------------- sidebar


def _weight_slider(label: str, key: str, value: float, help: str | None = None) -> float:
    return st.slider(
        label, min_value=0.1, max_value=max(5.0, float(value)), value=float(value), step=0.1, key=key, help=help
    )


def sidebar_inputs() -> dict[str, Any]:
    """The model settings from the sidebar, as a plain dict (``framework`` is the model with these weights)."""
    base: Framework = st.session_state["framework"]
    with st.sidebar:
        st.header("City")
        city = st.selectbox(
            "City",
            list(st.session_state["cities"]),
            key="city",
            help="Demo cities are synthetic. Add your own in the Data tab.",
        )
        st.header("Weights")
        dimension_weights = {
            dim: _weight_slider(f"{dim.capitalize()} dimension", f"w_dim:{dim}", weight)
            for dim, weight in base.dimensions.items()
        }
        indicator_weights = {}
        for dim in base.dimension_names:
            with st.expander(f"{dim.capitalize()} indicators"):
                for ind in base.indicators_of(dim):
                    indicator_weights[ind.column] = _weight_slider(
                        ind.label or ind.column,
                        f"w_ind:{ind.column}",
                        ind.weight,
                        help=f"{ind.column} ({ind.direction.replace('_', ' ')})",
                    )
        st.header("Method")
        normalisation = st.selectbox(
            "Normalisation", NORMALISATIONS, index=NORMALISATIONS.index(base.normalisation), key="opt:normalisation"
        )
        aggregation = st.selectbox(
            "Aggregation", AGGREGATIONS, index=AGGREGATIONS.index(base.aggregation), key="opt:aggregation"
        )
        classes = [c for c in CLASSIFICATIONS if c != "fixed" or base.thresholds]
        classification = st.selectbox(
            "Map classes", classes, index=classes.index(base.classification), key="opt:classification"
        )
        neighbours = st.selectbox("Neighbours", list(NEIGHBOURS), format_func=NEIGHBOURS.get, key="neighbours")
        permutations = st.select_slider("Permutations", PERMUTATIONS, value=999, key="permutations")
        correction = st.selectbox(
            "Multiple-testing correction", list(CORRECTIONS), format_func=CORRECTIONS.get, key="correction"
        )
        basemap = st.checkbox("Basemap tiles (needs internet)", value=False, key="basemap")
    framework = base.with_weights(indicator_weights, dimension_weights).with_options(
        normalisation=normalisation, aggregation=aggregation, classification=classification
    )
    return {
        "city": city,
        "framework": framework,
        "indicator_weights": indicator_weights,
        "dimension_weights": dimension_weights,
        "neighbours": neighbours,
        "permutations": permutations,
        "correction": correction,
        "basemap": basemap,
    }


# ----------------------------------------------------------------------------------------------------- helpers


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#!|<>~$:])")


def plain(text: object) -> str:
    """Untrusted text (ward names, IDs, file names, messages that quote them) made inert for st.markdown:
    no links, images (which would load from the internet), colour directives or LaTeX."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text)).replace("\n", "  \n")


def show_error(exc: HotspotsError, what: str = "") -> None:
    """A package error in plain words; a validation error also as a table of problems."""
    if isinstance(exc, ValidationError):
        st.error(f"{what}{len(exc.problems)} problem(s) in the input. Fix them and upload again:")
        st.dataframe(exc.to_frame(), hide_index=True, width="stretch")
    else:
        st.error(f"{what}{plain(exc)}")


def synthetic_banner(synthetic: bool, compact: bool = False) -> None:
    if synthetic and compact:
        st.caption(":orange-badge[:material/warning: Synthetic demo data]")
    elif synthetic:
        st.warning(
            "**Synthetic demo data.** Boundaries, populations and indicator values are generated for "
            "teaching and testing; they describe no real ward or community.",
            icon="⚠️",
        )


def significance_note(inputs: dict) -> None:
    correction = {"fdr": "false discovery rate", "bonferroni": "Bonferroni", "none": "no"}[inputs["correction"]]
    st.caption(
        f"**What 'significant' means.** A *hot spot* is a ward whose neighbourhood (the ward and its neighbours) "
        f"has higher risk scores than would be expected if the same scores were shuffled at random across the "
        f"city (Getis-Ord Gi*, {inputs['permutations']} random permutations, {correction} correction for testing "
        f"many wards at once). 90/95/99% is the confidence of that comparison. It says that high scores "
        f"*cluster* here, not that anything will happen here; the scores only summarise the indicators chosen."
    )


def clicked_ward(map_state: dict | None, layer) -> str | None:
    """The ward clicked on the map: from its tooltip text, else from the clicked point."""
    map_state = map_state or {}
    found = WARD_ID_IN_TOOLTIP.search(map_state.get("last_object_clicked_tooltip") or "")
    if found:
        return found.group(1)
    point = map_state.get("last_object_clicked")
    if not point:
        return None
    return ward_at(layer, point.get("lat"), point.get("lng"))


# ----------------------------------------------------------------------------------------------------- tabs


def render_map(spec: dict, inputs: dict) -> None:
    try:
        result = scored_city(spec, inputs)
        with st.spinner("Drawing the map…"):
            fmap = city_map(result, inputs)
    except HotspotsError as exc:
        show_error(exc, f"{spec['label']}: ")
        return
    synthetic_banner(result.city.synthetic)
    layer = result.layer
    # The map gets the page's full width (its legend, layer control and info box need room); figures and the
    # ranked table come below it.
    map_state = st_folium(
        fmap,
        key=f"map:{spec['label']}",
        height=MAP_HEIGHT,
        use_container_width=True,
        returned_objects=RETURNED_OBJECTS,
    )
    significance_note(inputs)
    for note in result.hotspot_notes():
        st.info(plain(note), icon=":material/info:")
    ward_ids = layer.sort_values("risk_rank")["ward_id"].tolist()
    select_key = f"ward:{spec['label']}"
    click = json.dumps([(map_state or {}).get(k) for k in RETURNED_OBJECTS], sort_keys=True, default=str)
    if st.session_state.get(f"click:{spec['label']}", click) != click:  # a new click since the last run
        clicked = clicked_ward(map_state, layer)
        if clicked in ward_ids:
            st.session_state[select_key] = clicked
    st.session_state[f"click:{spec['label']}"] = click
    cols = st.columns(3)
    cols[0].metric("Wards", len(layer))
    cols[1].metric(
        "Hot spots",
        int(layer["hotspot_class"].astype(str).str.startswith("hot").sum()) if "hotspot_class" in layer else 0,
    )
    cols[2].metric("Highest risk score", f"{layer['risk_score'].max():.2f}")
    st.subheader("Wards ranked by risk")
    ranked = layer[[c for c in RANKED_COLUMNS if c in layer.columns]].sort_values("risk_rank")
    st.dataframe(
        ranked,
        hide_index=True,
        height=380,
        width="stretch",
        key="ranked",
        column_config={
            "risk_rank": st.column_config.NumberColumn("Rank", format="%d", width="small"),
            "ward_id": st.column_config.TextColumn("Ward ID", width="small"),
            "ward_name": st.column_config.TextColumn("Name"),
            "risk_score": st.column_config.NumberColumn("Score", format="%.2f", width="small"),
            "risk_class": st.column_config.TextColumn("Class", width="small"),
            "hotspot_class": st.column_config.TextColumn("Hot spot"),
            "coverage": st.column_config.NumberColumn(
                "Data", format="percent", width="small", help="Share of the weight with data"
            ),
        },
    )
    render_ward(result, ward_ids, select_key)


def render_ward(result, ward_ids: list[str], select_key: str) -> None:
    st.subheader("Why is this ward ranked here?")
    names = result.layer.set_index("ward_id")["ward_name"].to_dict() if "ward_name" in result.layer else {}
    ward_id = st.selectbox(
        "Ward (click one on the map, or pick it here)",
        ward_ids,
        key=select_key,
        format_func=lambda w: f"{w} {names.get(w, '') or ''}".strip(),
    )
    if ward_id is None:
        return
    try:
        breakdown = result.explain(ward_id)
    except HotspotsError as exc:
        show_error(exc)
        return
    row = result.layer.loc[result.layer["ward_id"] == ward_id].iloc[0]
    cols = st.columns(4)
    cols[0].metric(
        "Risk score (0–10)", "no data" if row["risk_score"] != row["risk_score"] else f"{row['risk_score']:.2f}"
    )
    cols[1].metric(
        "Rank", "–" if row["risk_rank"] != row["risk_rank"] else f"{int(row['risk_rank'])} of {len(ward_ids)}"
    )
    cols[2].metric("Class", str(row.get("risk_class", "")))
    cols[3].metric("Hot spot (Gi*)", str(row.get("hotspot_class", "")))
    st.dataframe(breakdown, hide_index=True, width="stretch", key="breakdown")
    st.caption(
        "Each indicator's contribution adds up to its dimension score, and all contributions add up to the "
        "risk score. Rank 1 = the ward where this indicator points to the most risk."
    )


def _strength(rho: float, n: int) -> str:
    """Plain words for a rank correlation."""
    if n < 3 or rho != rho:
        return "too few wards"
    size = abs(rho)
    words = "no clear link" if size < 0.1 else "weak" if size < 0.3 else "moderate" if size < 0.5 else "strong"
    return words if size < 0.1 else f"{words}, {'together' if rho > 0 else 'opposite'}"


def _correlation_colour(value: float) -> str:
    """Cell background: red for positive, blue for negative correlations, stronger with size (no matplotlib)."""
    if not isinstance(value, (int, float)) or value != value:
        return ""
    rgb = "178,24,43" if value > 0 else "33,102,172"
    return f"background-color: rgba({rgb},{min(abs(value), 1.0) * 0.55:.2f})"


def render_correlation(layer, dimensions: list[str]) -> None:
    labels = {f"{d}_score": d.capitalize() for d in dimensions}
    try:
        corr = score_correlation(layer[list(labels)].astype(float).reset_index(drop=True))
    except HotspotsError as exc:
        show_error(exc)
        return
    rows = []
    for a, b in itertools.combinations(labels, 2):
        n = int(corr.n.loc[a, b])
        rows.append(
            {
                "Kinds of risk": f"{labels[a]} & {labels[b].lower()}",
                "Pearson r": corr.pearson.loc[a, b],
                "Spearman ρ": corr.spearman.loc[a, b],
                "Wards (n)": n,
                "Reading (Spearman)": _strength(float(corr.spearman.loc[a, b]), n),
            }
        )
    table = pd.DataFrame(rows)
    styled = table.style.map(_correlation_colour, subset=["Pearson r", "Spearman ρ"]).format(
        "{:.2f}", subset=["Pearson r", "Spearman ρ"], na_rep="–"
    )
    st.dataframe(styled, hide_index=True, width="stretch", key="correlation")
    n_values = sorted({int(v) for v in corr.n.to_numpy()[~np.eye(len(labels), dtype=bool)]})
    st.caption(
        "Correlation across wards between two dimension scores, over the wards that have both "
        f"({'n = ' + str(n_values[0]) if len(n_values) == 1 else 'n from ' + f'{n_values[0]} to {n_values[-1]}'}). "
        "+1: wards high in one kind of risk are high in the other; 0: no link; −1: the opposite. Pearson measures "
        "a straight-line link, Spearman one of ranks (less moved by a few extreme wards). Scores built from the "
        "same indicators or the same population counts can correlate for that reason alone."
    )
    with st.expander("As matrices"):
        cols = st.columns(3)
        for column, (title, matrix) in zip(
            cols, (("Pearson r", corr.pearson), ("Spearman ρ", corr.spearman), ("Wards with both (n)", corr.n))
        ):
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
    x = c1.selectbox("Kind of risk in the ward", dimensions, index=0, key="bv_x", format_func=str.capitalize)
    y = c2.selectbox(
        "Kind of risk around it (in the neighbouring wards)",
        dimensions,
        index=1,
        key="bv_y",
        format_func=str.capitalize,
    )
    return x, y


def render_interactions(spec: dict, inputs: dict) -> None:
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
        clusters = bivariate_clusters(
            layer[f"{x}_score"].to_numpy(dtype=float),
            layer[f"{y}_score"].to_numpy(dtype=float),
            graph_key,
            inputs["permutations"],
            inputs["correction"],
            _graph=graph,
        )
        with st.spinner("Drawing the map…"):
            fmap = bivariate_map(
                layer,
                clusters,
                x,
                y,
                title=city_title(result),
                synthetic=result.city.synthetic,
                tiles="CartoDB positron" if inputs["basemap"] else None,
                compact=True,
            )
    except HotspotsError as exc:
        show_error(exc)
        return
    left, right = st.columns([1.8, 1])
    with left:
        st_folium(
            fmap,
            key=f"bvmap:{spec['label']}",
            height=BIVARIATE_MAP_HEIGHT,
            use_container_width=True,
            returned_objects=[],
        )
    counts = clusters["bv_cluster"].value_counts()
    with right:
        table = pd.DataFrame(
            [
                {"Cluster": label, "Wards": int(counts.get(key, 0)), "Meaning": meaning.format(x=x, y=y)}
                for key, (label, meaning) in BIVARIATE_CLUSTERS.items()
            ]
        )
        st.table(table.set_index("Cluster"), border="horizontal")  # st.table wraps the long meanings
        correction = {"fdr": "false discovery rate", "bonferroni": "Bonferroni", "none": "no"}[inputs["correction"]]
        same = (
            " (Both sides are the same score here: this is the ordinary local Moran map of that score.)"
            if x == y
            else ""
        )
        st.caption(
            f"**How to read it.** Each ward's {x} score is set against the average {y} score of "
            f"{NEIGHBOURS_AROUND.get(inputs['neighbours'], 'its neighbouring wards')}. *High-High*: high {x} risk in the ward, and high "
            f"{y} risk around it. *Low-Low*: low in both. *High-Low*: high {x} risk in the ward, but low {y} risk "
            f"around it; *Low-High* the reverse. A ward is coloured only when its pattern is stronger than in "
            f"{inputs['permutations']} random shuffles of the {y} scores ({correction} correction for testing many "
            f"wards at once); otherwise it is *not significant*. Grey wards have no data. The map shows where "
            f"kinds of risk meet, not that one causes the other; swap the two choices to ask the question the "
            f"other way round (bivariate local Moran's I).{same}"
        )


def render_validation(city) -> None:
    """The validation report of a prepared city: rows, join both ways, missing values, notes."""
    raw, join = city.raw, city.join
    cols = st.columns(4)
    cols[0].metric("Table rows read", len(raw.table_read.table))
    cols[1].metric("Boundary wards read", len(raw.boundaries_read.wards))
    cols[2].metric("Wards matched", join.matched)
    cols[3].metric("Unmatched", len(join.unmatched_table) + len(join.unmatched_boundaries))
    if join.complete:
        st.success("Every table row matched exactly one ward boundary.")
    else:
        st.warning(plain(join.summary()))
    for title, ids in (
        ("In the table but not in the boundaries (left out)", join.unmatched_table),
        ("In the boundaries but not in the table (mapped as no data)", join.unmatched_boundaries),
    ):
        if ids:
            st.markdown(f"**{title}: {len(ids)}**")  # title is ours
            st.dataframe([{"ward_id": i, "name": join.names.get(i, "")} for i in ids], hide_index=True, width="stretch")
    missing = [{"column": column, "missing values": count} for column, count in city.table.missing.items()]
    if missing:
        st.markdown("**Missing values per indicator column**")
        st.dataframe(missing, hide_index=True, width="stretch")
    boundaries = raw.boundaries_read
    if boundaries.repaired:
        st.info(f"Repaired geometries ({len(boundaries.repaired)}): {plain(', '.join(boundaries.repaired[:50]))}")
    if boundaries.missing_geometry:
        st.warning(
            f"Wards without a usable geometry ({len(boundaries.missing_geometry)}): "
            f"{plain(', '.join(boundaries.missing_geometry[:50]))}"
        )
    if city.notes:
        st.markdown("**Notes**")
        for note in dict.fromkeys(city.notes):
            st.markdown(f"- {plain(note)}")


def _guess_id(columns: list[str], preferred: str = "ward_id") -> int:
    if preferred in columns:
        return columns.index(preferred)
    for k, column in enumerate(columns):
        if "id" in column.lower() or "code" in column.lower() or "no" == column.lower():
            return k
    return 0


def remember_upload() -> None:
    """Copy the uploaded files into ``st.session_state["upload"]`` (where tests put bytes directly)."""
    table = st.session_state.get("upload_table")
    boundaries = st.session_state.get("upload_boundaries")
    if table is not None and boundaries is not None:
        st.session_state["upload"] = {
            "indicators": table.getvalue(),
            "indicators_name": table.name,
            "boundaries": boundaries.getvalue(),
            "boundaries_name": boundaries.name,
        }


def render_upload(inputs: dict) -> None:
    st.subheader("Add your own city")
    st.caption(
        "An indicator table (CSV or Excel .xlsx, one row per ward) and ward boundaries (GeoJSON, zipped "
        "Shapefile, GeoPackage or KML) with a ward ID column in common."
    )
    col1, col2 = st.columns(2)
    col1.file_uploader("Indicator table", type=TABLE_TYPES, key="upload_table", on_change=remember_upload)
    col2.file_uploader("Ward boundaries", type=BOUNDARY_TYPES, key="upload_boundaries", on_change=remember_upload)
    upload = st.session_state.get("upload")
    if not upload:
        return
    name = st.text_input(
        "City name", value=upload.get("name") or upload["indicators_name"].rsplit(".", 1)[0], key="upload_name"
    )
    try:
        raw = load_raw(
            upload["indicators"], upload["indicators_name"], upload["boundaries"], upload["boundaries_name"], name, None
        )
    except HotspotsError as exc:
        show_error(exc, "Cannot read the upload: ")
        return
    table_columns = [str(c) for c in raw.table_read.table.columns]
    boundary_columns = [
        str(c) for c in raw.boundaries_read.wards.columns if c != raw.boundaries_read.wards.geometry.name
    ]
    if not boundary_columns:
        st.error(
            f"{upload['boundaries_name']} has no attribute columns, so no ward ID to join on. "
            "Add a ward ID to each boundary and upload again."
        )
        return
    col1, col2 = st.columns(2)
    id_column = col1.selectbox(
        "Ward ID column in the table", table_columns, index=_guess_id(table_columns), key="upload_id_column"
    )
    boundary_id_column = col2.selectbox(
        "Ward ID column in the boundaries",
        boundary_columns,
        index=_guess_id(boundary_columns, id_column),
        key="upload_boundary_id_column",
    )
    spec = {
        "label": name,
        "name": name,
        "indicators": upload["indicators"],
        "indicators_name": upload["indicators_name"],
        "boundaries": upload["boundaries"],
        "boundaries_name": upload["boundaries_name"],
        "id_column": id_column,
        "boundary_id_column": boundary_id_column,
        "synthetic": None,
    }
    try:
        city = prepared_city(spec, inputs["framework"])
    except HotspotsError as exc:
        show_error(exc, "The upload cannot be used yet: ")
        st.info("Other columns of the table can be added to the model in the Model tab.")
        return
    render_validation(city)
    if st.button("Add this city", key="add_city", type="primary"):
        st.session_state["cities"][name] = spec
        st.session_state["next_city"] = name
        st.session_state.pop("upload", None)
        st.rerun()


def render_data_tab(spec: dict, inputs: dict) -> None:
    st.subheader(f"Validation report: {spec['label']}")
    st.caption(
        f"Files: {spec['indicators_name']} (ward ID column '{spec['id_column']}') and "
        f"{spec['boundaries_name']} (column '{spec['boundary_id_column']}')."
    )
    try:
        city = prepared_city(spec, inputs["framework"])
    except HotspotsError as exc:
        show_error(exc)
    else:
        synthetic_banner(city.synthetic)
        render_validation(city)
    st.divider()
    render_upload(inputs)


def add_indicator() -> None:
    """Callback of "Add to the model": the form's column as a new indicator (runs before the widgets are drawn)."""
    state = st.session_state
    state.pop("model_error", None)
    try:
        framework = current_framework().with_indicator(
            Indicator(
                column=state["new_column"],
                dimension=state["new_dimension_name"].strip() or state["new_dimension"],
                weight=state["new_weight"],
                direction=state["new_direction"],
                per_population=state["new_per_population"] or None,
                unit=None if state["new_unit"] == "(none)" else state["new_unit"],
            )
        )
    except HotspotsError as exc:
        state["model_error"] = str(exc)
        return
    set_framework(framework)  # carries the current weights, so the sliders keep their values


def remove_indicator(column: str) -> None:
    st.session_state.pop("model_error", None)
    try:
        framework = current_framework().without_indicator(column)
    except HotspotsError as exc:
        st.session_state["model_error"] = str(exc)
        return
    set_framework(framework)


def current_framework() -> Framework:
    """The model with the weights and options currently set in the sidebar (for callbacks)."""
    state, base = st.session_state, st.session_state["framework"]
    framework = base.with_weights(
        {i.column: state.get(f"w_ind:{i.column}", i.weight) for i in base.indicators},
        {d: state.get(f"w_dim:{d}", w) for d, w in base.dimensions.items()},
    )
    options = {o: state[f"opt:{o}"] for o in ("normalisation", "aggregation", "classification") if f"opt:{o}" in state}
    return framework.with_options(**options)


def render_model(spec: dict, inputs: dict) -> None:
    framework: Framework = inputs["framework"]
    st.subheader("The model")
    st.caption(
        "Weights and methods are set in the sidebar. Dimension scores and the risk score run from 0 "
        "(least risk) to 10 (most risk) within the city."
    )
    st.dataframe(framework.to_frame(), hide_index=True, width="stretch", key="framework_table")
    if "model_error" in st.session_state:
        st.error(st.session_state["model_error"])

    st.markdown("**Add a column of the table to the model**")
    try:
        raw = raw_city(spec)
        used = {*framework.columns, spec["id_column"], framework.population_column}
        candidates = [c for c in numeric_columns(raw.table_read.sha256, _raw=raw) if c not in used]
    except HotspotsError as exc:
        show_error(exc)
        candidates = []
    if candidates:
        with st.form("add_indicator"):
            c1, c2, c3 = st.columns(3)
            c1.selectbox("Column", candidates, key="new_column")
            c2.selectbox("Dimension", framework.dimension_names, key="new_dimension")
            c3.text_input("…or a new dimension", key="new_dimension_name")
            c1, c2, c3, c4 = st.columns(4)
            c1.selectbox("Direction", DIRECTIONS, key="new_direction", format_func=lambda d: d.replace("_", " "))
            c2.number_input("Weight", min_value=0.1, max_value=5.0, value=1.0, step=0.1, key="new_weight")
            c3.number_input(
                "Per N residents (0 = as is)",
                min_value=0,
                value=0,
                step=1000,
                key="new_per_population",
                help="Divide a count by the ward population and multiply by N, e.g. 10000.",
            )
            c4.selectbox("Unit", ["(none)", *UNITS], key="new_unit")
            st.form_submit_button("Add to the model", key="add_indicator_submit", on_click=add_indicator)
    else:
        st.caption(f"Every numeric column of {plain(spec['indicators_name'])} is already in the model.")
    with st.expander("Remove an indicator"):
        column = st.selectbox("Indicator", framework.columns, key="remove_column")
        st.button("Remove", key="remove_indicator", on_click=remove_indicator, args=(column,))

    st.markdown("**Save or load the model**")
    c1, c2 = st.columns(2)
    c1.download_button(
        "Download framework JSON",
        framework.to_json(),
        file_name="framework.json",
        mime="application/json",
        key="download_framework_model",
        on_click="ignore",
    )
    c2.file_uploader("Load a framework JSON", type=["json"], key="framework_upload", on_change=on_framework_upload)
    if "framework_error" in st.session_state:
        st.error(st.session_state["framework_error"])
    st.button("Reset to the default model", key="reset_model", on_click=set_framework, args=(default_framework(),))


def render_compare(inputs: dict) -> None:
    cities = st.session_state["cities"]
    st.subheader("Compare cities")
    chosen = st.multiselect(
        "Cities (2 to 4)", list(cities), default=list(cities)[:2], max_selections=4, key="compare_cities"
    )
    scale = st.radio(
        "Scale",
        ["own", "common"],
        format_func={
            "own": "Each city on its own scale",
            "common": "One common scale for the chosen cities",
        }.get,
        horizontal=True,
        key="compare_scale",
        help="Own scale: a score says how a ward ranks within its city. Common scale: normalisation and class "
        "breaks are learned on all chosen cities' wards together, so the same score means the same in every city.",
    )
    st.caption(
        "Each city is scored with the current model, on its own wards: a score says how a ward ranks within its "
        "city, not how cities compare in absolute terms."
        if scale == "own"
        else "Scores and classes are on one scale learned from all the chosen cities: comparable between them. "
        "Hot spots are still found within each city (a neighbourhood is a city's own)."
    )
    if not chosen:
        return
    results: dict[str, Any] = {}
    try:
        if scale == "common" and len(chosen) > 1:
            prepared = {label: prepared_city(cities[label], inputs["framework"]) for label in chosen}
            graphs = {label: neighbour_graph_of(cities[label], inputs)[0] for label in chosen}
            key = json.dumps(
                [[label, c.raw.table_read.sha256, c.raw.boundaries_read.sha256] for label, c in prepared.items()]
            )
            results = _scored_common(
                key,
                inputs["framework"].to_json(),
                inputs["neighbours"],
                inputs["permutations"],
                inputs["correction"],
                _cities=prepared,
                _framework=inputs["framework"],
                _graphs=graphs,
            )
    except HotspotsError as exc:
        show_error(exc)
        return
    for column, label in zip(st.columns(len(chosen)), chosen):
        with column:
            st.markdown(f"**{plain(label)}**")
            try:
                result = results.get(label) or scored_city(cities[label], inputs)
                fmap = city_map(result, inputs, compact=True)
            except HotspotsError as exc:
                show_error(exc)
                continue
            synthetic_banner(result.city.synthetic, compact=True)
            st_folium(
                fmap,
                key=f"compare:{label}",
                height=COMPARE_MAP_HEIGHT,
                use_container_width=True,
                returned_objects=[],
            )
            layer = result.layer
            hot = int(layer["hotspot_class"].astype(str).str.startswith("hot").sum()) if "hotspot_class" in layer else 0
            st.caption(
                f"{len(layer)} wards, {hot} hot spot(s). Highest risk: "
                + ", ".join(layer.sort_values("risk_rank")["ward_id"].astype(str).head(3))
                + f" (top score {layer['risk_score'].max():.2f})"
            )


def render_export(spec: dict, inputs: dict) -> None:
    try:
        result = scored_city(spec, inputs)
    except HotspotsError as exc:
        show_error(exc)
        return
    st.subheader(f"Export: {spec['label']}")
    st.caption(
        "The same files as the command line writes; each carries the model and its settings, so a map "
        "can be rebuilt." + (" Demo exports are labelled synthetic." if result.city.synthetic else "")
    )
    stem = re.sub(r"[^\w-]+", "_", result.city.name.lower()).strip("_") or "city"
    cols = st.columns(5)
    cols[0].download_button(
        "GeoJSON",
        result.to_geojson,
        file_name=f"{stem}_risk.geojson",
        mime="application/geo+json",
        icon=":material/download:",
        key="download_geojson",
        on_click="ignore",
    )
    cols[1].download_button(
        "CSV",
        result.to_csv,
        file_name=f"{stem}_risk.csv",
        mime="text/csv",
        icon=":material/download:",
        key="download_csv",
        on_click="ignore",
    )
    cols[2].download_button(
        "Framework JSON",
        result.framework.to_json(),
        file_name="framework.json",
        mime="application/json",
        icon=":material/download:",
        key="download_framework",
        on_click="ignore",
    )
    cols[3].download_button(
        "Map (HTML)",
        lambda: map_html(city_map(result, inputs)),
        file_name=f"{stem}_map.html",
        mime="text/html",
        icon=":material/download:",
        key="download_map",
        on_click="ignore",
    )
    cols[4].download_button(
        "Method (JSON)",
        lambda: json.dumps(result.metadata(), indent=2, ensure_ascii=False, default=str),
        file_name=f"{stem}_risk.metadata.json",
        mime="application/json",
        icon=":material/download:",
        key="download_metadata",
        on_click="ignore",
        help="The method, weights, parameters and input files (SHA-256) behind the CSV; the GeoJSON carries them inside.",
    )


# ----------------------------------------------------------------------------------------------------- page


def main() -> None:
    st.set_page_config(page_title="Ward risk hotspots", page_icon="🗺️", layout="wide")
    init_session()
    inputs = sidebar_inputs()
    spec = st.session_state["cities"][inputs["city"]]
    st.title(f"Ward risk and hot spots: {spec['label']}")
    views = {
        "Map": lambda: render_map(spec, inputs),
        "Interactions": lambda: render_interactions(spec, inputs),
        "Data": lambda: render_data_tab(spec, inputs),
        "Model": lambda: render_model(spec, inputs),
        "Compare": lambda: render_compare(inputs),
        "Export": lambda: render_export(spec, inputs),
    }
    for tab, render in zip(st.tabs(list(views), key="view", on_change="rerun"), views.values()):
        with tab:
            if tab.open:
                render()


main()
