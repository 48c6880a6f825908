"""The Compare tab: two to four cities side by side, each on its own scale or all on one common scale."""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from hotspots.errors import HotspotsError
from hotspots.report import summarise_layer
from ui.cache import scored_city, scored_on_common_scale
from ui.common import city_map, plain, show_error, synthetic_banner

COMPARE_MAP_HEIGHT = 420
SCALES = {"own": "Each city on its own scale", "common": "One common scale for the chosen cities"}


def render_compare(inputs: dict) -> None:
    """The tab: choose cities and a scale, then one column per city with its map and a summary."""
    cities = st.session_state["cities"]
    st.subheader("Compare cities")
    chosen = st.multiselect(
        "Cities (2 to 4)", list(cities), default=list(cities)[:2], max_selections=4, key="compare_cities"
    )
    scale = st.radio(
        "Scale",
        list(SCALES),
        format_func=SCALES.get,
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
    results: dict = {}
    if scale == "common" and len(chosen) > 1:
        try:
            results = scored_on_common_scale({label: cities[label] for label in chosen}, inputs)
        except HotspotsError as exc:
            show_error(exc)
            return
    for column, label in zip(st.columns(len(chosen)), chosen):
        with column:
            render_city(label, results.get(label), cities[label], inputs)


def render_city(label: str, result, spec: dict, inputs: dict) -> None:
    """One city's column: its name, map and summary (scored on its own scale unless ``result`` is given)."""
    st.markdown(f"**{plain(label)}**")
    try:
        result = result or scored_city(spec, inputs)
        fmap = city_map(result, inputs, compact=True)
    except HotspotsError as exc:
        show_error(exc)
        return
    synthetic_banner(result.city.synthetic, compact=True)
    st_folium(fmap, key=f"compare:{label}", height=COMPARE_MAP_HEIGHT, use_container_width=True, returned_objects=[])
    summary = summarise_layer(result.layer)
    st.caption(
        f"{summary.wards} wards, {summary.hot_spots} hot spot(s). Highest risk: "
        + ", ".join(summary.top_wards)
        + f" (top score {summary.top_score:.2f})"
    )
