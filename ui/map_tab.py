"""The Map tab: the risk map, its hot spots, the wards ranked by risk, and why one ward ranks where it does."""

from __future__ import annotations

import functools
import json
import re

import pandas as pd
import streamlit as st

from hotspots.errors import HotspotsError
from hotspots.maps import ward_at
from hotspots.report import summarise_layer
from ui.cache import drawn_map, scored_city
from ui.common import CORRECTION_WORDS, held_index, keep_choice, permutation_words, plain, show_error, synthetic_banner
from ui.map_component import MAIN_MAP, first_map_pending, map_reported, risk_map_component
from ui.preview import preview_spec
from ui.sidebar import indicator_key

MAP_KEY = MAIN_MAP  # one map for every city: a weight change or another city restyles the map already drawn
MAP_HEIGHT = 480  # with the header above it, the map and its legend fit a 1280x720 window
RETURNED_OBJECTS = ["last_object_clicked_tooltip", "last_object_clicked"]
#: The ward ID in a clicked ward's tooltip, as hotspots.maps writes it ("Ward ID: <id>" and a line break).
WARD_ID_IN_TOOLTIP = re.compile(r"Ward ID:\s*(\S+)")
RANKED_COLUMNS = [
    "risk_rank",
    "ward_id",
    "ward_name",
    "risk_score",
    "risk_class",
    "hotspot_class",
    "risk_profile",
    "coverage",
]


def _ranked_config() -> dict:
    """Column headings and formats of the ranked table."""
    return {
        "risk_rank": st.column_config.NumberColumn("Rank", format="%d", width="small"),
        "ward_id": st.column_config.TextColumn("Ward ID", width="small"),
        "ward_name": st.column_config.TextColumn("Name"),
        "risk_score": st.column_config.NumberColumn("Score", format="%.2f", width="small"),
        "risk_class": st.column_config.TextColumn("Class", width="small"),
        "hotspot_class": st.column_config.TextColumn("Hot spot"),
        "risk_profile": st.column_config.TextColumn(
            "Risk profile", help="Wards grouped by the pattern of their dimension scores (see the Glossary)"
        ),
        "coverage": st.column_config.NumberColumn(
            "Data", format="percent", width="small", help="Share of the weight with data"
        ),
    }


def render_map(spec: dict, inputs: dict) -> None:
    """The tab: a line of orientation and the ward picker, the map (full width), what 'significant' means, counts,
    ranked wards, one ward's breakdown."""
    try:
        result = scored_city(spec, inputs)
        parts = drawn_map(result, inputs)
    except HotspotsError as exc:
        show_error(exc, f"{spec['label']}: ")
        return
    layer = result.layer
    ward_ids = layer.sort_values("risk_rank")["ward_id"].tolist()
    select_key = f"ward:{spec['label']}"
    map_header(result, ward_ids, select_key)
    # The map gets the page's full width (its legend, layer control and info box need room); figures and the
    # ranked table come below it.
    # One map for every city (the same key): a weight change or another city restyles or redraws the map in
    # the frame already open, it does not mount a new one.
    shown = {"city": spec["label"], "dimension_weights": inputs["dimension_weights"]}
    others = {indicator_key(column): weight for column, weight in inputs["indicator_weights"].items()}
    preview = preview_spec(result, inputs["dimension_weights"], others=others)
    map_state = risk_map_component(
        parts,
        key=MAP_KEY,
        name=spec["label"],
        height=MAP_HEIGHT,
        state=shown,
        preview=preview,
        report_drawn=True,
    )
    follow_click(map_state, layer, ward_ids, spec["label"], select_key)
    if waits_for_map():
        st.caption("The ranked wards and the ward breakdown follow as soon as the map is drawn.")
        return
    synthetic_banner(result.city.synthetic)
    significance_note(inputs)
    for note in result.hotspot_notes():
        st.info(plain(note), icon=":material/info:")
    summary = summarise_layer(layer)
    cols = st.columns(3)
    cols[0].metric("Wards", summary.wards)
    cols[1].metric("Hot spots", summary.hot_spots)
    cols[2].metric("Highest risk score", f"{summary.top_score:.2f}")
    st.subheader("Wards ranked by risk")
    st.caption("Select a row (click it, or Space on a focused cell) to see why that ward ranks there.")
    ranked = layer[[c for c in RANKED_COLUMNS if c in layer.columns]].sort_values("risk_rank")
    st.dataframe(
        ranked,
        hide_index=True,
        height=380,
        width="stretch",
        key="ranked",
        column_config=_ranked_config(),
        on_select=functools.partial(_pick_from_table, ward_ids, select_key),
        selection_mode="single-row",
    )
    render_ward(result, ward_ids, select_key)


ORIENTATION = (
    "Which wards carry the most risk factors, and where do they cluster? Set the city and weights on the left, "
    "pick a ward here (or click it on the map, or a row of the ranked table) to see why it ranks where it does."
)


def waits_for_map() -> bool:
    """:func:`first_map_pending`, counting the runs that waited (called once per run, by the Map tab)."""
    pending = first_map_pending()
    if st.context.headers and not map_reported(MAP_KEY):
        st.session_state["_map_waits"] = st.session_state.get("_map_waits", 0) + 1
    return pending


def map_header(result, ward_ids: list[str], select_key: str) -> None:
    """One line of orientation and the ward picker, before the map: keyboard users reach a ward without crossing
    the map's wards (a ward clicked on the map arrives here on the next run, see :func:`follow_click`)."""
    pending = f"pending:{select_key}"
    if pending in st.session_state:  # a ward clicked on the map or chosen in the table, before the picker is drawn
        ward = st.session_state.pop(pending)
        if ward in ward_ids:
            st.session_state[select_key] = ward
    names = result.layer.set_index("ward_id")["ward_name"].to_dict() if "ward_name" in result.layer else {}
    left, right = st.columns([3, 1], vertical_alignment="center")
    left.caption(ORIENTATION)
    right.selectbox(
        "Ward",
        ward_ids,
        index=held_index(ward_ids, select_key),
        key=keep_choice(select_key, ward_ids),
        persist_state="session",  # the ward picked stays picked while another tab is open
        format_func=lambda w: f"{w} {names.get(w, '') or ''}".strip(),
        help="The ward explained below the map; type to search. Clicking a ward on the map picks it too.",
    )


def _pick_from_table(ward_ids: list[str], select_key: str) -> None:
    """Callback of the ranked table: the selected row's ward goes to the ward picker (runs before it is drawn)."""
    rows = st.session_state["ranked"].selection.rows
    if rows and rows[0] < len(ward_ids):
        st.session_state[select_key] = ward_ids[rows[0]]


def significance_note(inputs: dict) -> None:
    """What a hot spot is, with the options in use."""
    st.caption(
        f"**What 'significant' means.** A *hot spot* is a ward whose neighbourhood (the ward and its neighbours) "
        f"has higher risk scores than would be expected if the same scores were shuffled at random across the "
        f"city (Getis-Ord Gi*, {permutation_words(inputs['permutations'])}, {CORRECTION_WORDS[inputs['correction']]} "
        f"correction for testing many wards at once). 90/95/99% is the confidence of that comparison. It says that "
        f"high scores *cluster* here, not that anything will happen here; the scores only summarise the indicators "
        f"chosen."
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


def follow_click(map_state: dict | None, layer, ward_ids: list[str], label: str, select_key: str) -> None:
    """Select the ward clicked on the map in the ward box below, once per new click."""
    click = json.dumps([(map_state or {}).get(k) for k in RETURNED_OBJECTS], sort_keys=True, default=str)
    if st.session_state.get(f"click:{label}", click) != click:  # a new click since the last run
        clicked = clicked_ward(map_state, layer)
        st.session_state[f"click:{label}"] = click
        if clicked in ward_ids and clicked != st.session_state.get(select_key):
            st.session_state[f"pending:{select_key}"] = clicked  # the picker above the map is already drawn
            st.rerun()
    st.session_state[f"click:{label}"] = click


def render_ward(result, ward_ids: list[str], select_key: str) -> None:
    """One ward: its score, rank, classes, and each indicator's contribution."""
    ward_id = st.session_state.get(select_key)
    names = result.layer.set_index("ward_id")["ward_name"].to_dict() if "ward_name" in result.layer else {}
    st.subheader("Why is this ward ranked here?")
    if ward_id is None:
        return
    st.markdown(f"**{plain(ward_id)} {plain(names.get(ward_id, '') or '')}** (pick another ward above the map)")
    try:
        breakdown = result.explain(ward_id)
    except HotspotsError as exc:
        show_error(exc)
        return
    row = result.layer.loc[result.layer["ward_id"] == ward_id].iloc[0]
    for column, (label, value) in zip(st.columns(4), ward_metrics(row, len(ward_ids)).items()):
        column.metric(label, value)
    profile_line(result, row)
    st.dataframe(
        breakdown.assign(value=breakdown["value"].map(_value_text)),
        hide_index=True,
        width="stretch",
        key="breakdown",
        column_config=_breakdown_config(),
    )
    st.caption(
        "Values are those the model uses, as in the map's tooltip: counts with a denominator are rates per 10,000 "
        "residents (see Unit). Each indicator's contribution adds up to its dimension score, and all contributions "
        "add up to the risk score. Rank 1 = the ward where this indicator points to the most risk. A suppressed "
        "count (and its rate, contributions and rank) is not shown; the scores count it at the middle of its band "
        f"({_band_middle(result.suppress_below)}), so that no score gives it back."
    )


def _band_middle(below) -> str:
    """Where the scores count a suppressed count, in words (``hotspots.suppression.public_counts``)."""
    below = int(below or 0)
    return f"{below / 2:g} for 1-{below - 1}" if below > 1 else "suppression is off: none is suppressed"


def profile_line(result, row) -> None:
    """The ward's risk profile in words, with what its profile's centre looks like."""
    profile = row.get("risk_profile")
    if profile is None or pd.isna(profile) or result.profiles is None:
        st.caption("Risk profile: none (the ward lacks a dimension score).")
        return
    centres = result.profiles.centres.set_index("label")
    centre = centres.loc[profile] if profile in centres.index else None
    typical = ""
    if centre is not None:
        parts = [f"{d} {centre[d]:.1f}" for d in result.profiles.dimensions]
        typical = f" Its {int(centre['wards'])} wards' mean dimension scores: {', '.join(parts)}."
    st.markdown(
        f"**Risk profile: {plain(profile)}**. Wards are grouped by the pattern of their three dimension scores "
        f"(KMeans; profile 1 has the most risk).{plain(typical)}"
    )


def ward_metrics(row, n_wards: int) -> dict[str, str]:
    """The four figures above a ward's breakdown, as text; a ward without data (no score, no rank: missing values
    that may be ``pd.NA``, whose truth value raises) reads "no data" rather than failing."""

    def text(value, fmt) -> str:
        return "no data" if value is None or pd.isna(value) else fmt(value)

    return {
        "Risk score (0–10)": text(row.get("risk_score"), lambda v: f"{float(v):.2f}"),
        "Rank": text(row.get("risk_rank"), lambda v: f"{int(v)} of {n_wards}"),
        "Class": text(row.get("risk_class"), str),
        "Hot spot (Gi*)": text(row.get("hotspot_class"), str),
    }


def _value_text(value) -> str:
    """A breakdown value as text: a number rounded for reading, or the package's "suppressed (< 5)" as it is
    (one type per column: Arrow refuses numbers and text mixed)."""
    if isinstance(value, str):
        return value
    if value is None or pd.isna(value):
        return "no data"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _breakdown_config() -> dict:
    """Column headings and help of the ward breakdown (hotspots.pipeline.RiskResult.explain)."""
    return {
        "indicator": None,  # the column name: the label says it in words
        "label": st.column_config.TextColumn("Indicator"),
        "dimension": st.column_config.TextColumn("Dimension", width="small"),
        "value": st.column_config.Column("Value", help="The value the model uses (a rate where the unit says so)"),
        "unit": st.column_config.TextColumn("Unit", width="small"),
        "normalised": st.column_config.NumberColumn(
            "Normalised", format="%.2f", help="The value on the model's common 0–1 scale (1 = most risk)"
        ),
        "contribution_to_dimension": st.column_config.NumberColumn("To dimension score", format="%.2f"),
        "contribution_to_risk": st.column_config.NumberColumn("To risk score", format="%.2f"),
        "rank_among_wards": st.column_config.NumberColumn("Rank", format="%d", help="1 = most risk"),
        "wards_with_value": st.column_config.NumberColumn("Wards with data", format="%d"),
    }
