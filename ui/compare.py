"""The Compare tab: two to four cities, two maps per row, one layer switch and one legend for all, and a table."""

from __future__ import annotations

import html

import streamlit as st

from hotspots.classify import CLASS_LABELS
from hotspots.errors import HotspotsError
from hotspots.maps import HALO_COLOR, HOTSPOT_STYLES, LISA_STYLES, NO_DATA_COLOR, PROFILE_COLORS, RISK_COLORS
from hotspots.report import compare_cities, summarise_layer
from ui.cache import drawn_map, scored_city, scored_on_common_scale
from ui.city_charts import render_dimension_chart
from ui.common import keep_choice, plain, show_error, synthetic_banner
from ui.map_component import risk_map_component

COMPARE_MAP_HEIGHT = 420
MAPS_PER_ROW = 2
SCALES = {"own": "Each city on its own scale", "common": "One common scale for the chosen cities"}


def render_compare(inputs: dict) -> None:
    """The tab: cities, scale and layer; the maps two per row under one legend; a summary table of the cities."""
    cities = st.session_state["cities"]
    st.subheader("Compare cities")
    chosen = st.multiselect(
        "Cities (2 to 4)",
        list(cities),
        default=list(cities)[:2],
        max_selections=4,
        key=keep_choice("compare_cities", list(cities), many=True),
        persist_state="session",
    )
    scale = st.radio(
        "Scale",
        list(SCALES),
        format_func=SCALES.get,
        horizontal=True,
        key=keep_choice("compare_scale", list(SCALES)),
        persist_state="session",
        help="Own scale: a score says how a ward ranks within its city. Common scale: normalisation and class "
        "breaks are learned on all chosen cities' wards together, so the same score means the same in every city.",
    )
    layers = _layer_choices(inputs, scale)
    view = st.radio(
        "Layer (all maps)",
        list(layers),
        format_func=layers.get,
        horizontal=True,
        key=keep_choice("compare_view", list(layers)),
        persist_state="session",
        help="The layer every map shows; switch here to switch all of them together.",
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
    results = _results(chosen, cities, scale, inputs)
    if results is None:
        return
    if view not in layers:  # "Risk profiles" left when switching back to each city's own scale
        view = "risk_score"
    st.markdown(legend_html(view, scale, _profile_labels(results)), unsafe_allow_html=True)
    scale_key = scale if scale == "own" or len(chosen) < 2 else _common_key(results)
    for start in range(0, len(chosen), MAPS_PER_ROW):
        row = chosen[start : start + MAPS_PER_ROW]
        for column, label in zip(st.columns(MAPS_PER_ROW), row):
            with column:
                render_city(label, results.get(label), cities[label], inputs, view, scale_key)
    scored = {label: result for label, result in results.items() if result is not None}
    if scored:
        render_dimension_chart(scored, scale)
        render_summary(scored)


def _layer_choices(inputs: dict, scale: str = "own") -> dict[str, str]:
    """Map layers by column: the composite risk, each dimension, the LISA clusters, and on the common scale the
    risk profiles (learned on the chosen cities' wards pooled, so that a profile means the same in each)."""
    framework = inputs["framework"]
    choices = {"risk_score": "Composite risk"}
    choices.update(  # radio options are Markdown: dimension names come from the framework file
        {f"{d}_score": f"{plain(d.replace('_', ' ').capitalize())} score" for d in framework.dimension_names}
    )
    choices["lisa_cluster"] = "LISA clusters"
    if scale == "common":
        choices["risk_profile"] = "Risk profiles"
    return choices


def _results(chosen: list[str], cities: dict, scale: str, inputs: dict) -> dict | None:
    """Each chosen city scored (``None`` for a city that failed, with its error shown)."""
    if scale == "common" and len(chosen) > 1:
        try:
            return scored_on_common_scale({label: cities[label] for label in chosen}, inputs)
        except HotspotsError as exc:
            show_error(exc)
            return None
    results = {}
    for label in chosen:
        try:
            results[label] = scored_city(cities[label], inputs)
        except HotspotsError as exc:
            show_error(exc, f"{label}: ")
            results[label] = None
    return results


def _profile_labels(results: dict) -> list[str]:
    """The pooled risk profiles' labels, in order (empty when the cities have none)."""
    profiles = next((r.profiles for r in results.values() if r is not None and r.profiles is not None), None)
    return [] if profiles is None else profiles.centres["label"].tolist()


def legend_html(view: str, scale: str, profiles: list[str] | None = None) -> str:
    """One legend for every map of the tab: the classes (or LISA clusters) and the hot/cold spot outlines."""

    def swatch(style: str, text: str) -> str:
        return (
            f'<span style="display:inline-flex;align-items:center;margin-right:14px;white-space:nowrap">'
            f'<i style="display:inline-block;width:20px;height:13px;margin-right:5px;{style}"></i>'
            f"{html.escape(text)}</span>"
        )

    if view == "lisa_cluster":
        rows = [swatch(f"background:{color}", label) for _, label, color in LISA_STYLES]
    elif view == "risk_profile":
        colors = [PROFILE_COLORS[i % len(PROFILE_COLORS)] for i in range(len(profiles or []))]
        rows = [swatch(f"background:{color}", label) for color, label in zip(colors, profiles or [])]
    else:
        rows = [swatch(f"background:{color}", label) for color, label in zip(RISK_COLORS, CLASS_LABELS)]
    rows.append(swatch(f"background:{NO_DATA_COLOR}", "No data"))
    outlines = []
    for label, color, _, _ in HOTSPOT_STYLES[::3]:
        style = f"border:2px solid {color};box-shadow:0 0 0 2px {HALO_COLOR};background:transparent"
        outlines.append(swatch(style, label.split()[0].capitalize() + " spot"))
    where = (
        "Classes are each city's own: Very high = the top fifth of that city's wards (quantiles)."
        if scale == "own"
        else "Classes are on one scale learned from all the chosen cities."
    )
    return (
        '<div style="font-size:0.9rem;line-height:1.9">'
        + "".join(rows)
        + "<br>"
        + "".join(outlines)
        + f'<span style="color:#555">99% solid, 95% dashed, 90% dotted. {html.escape(where)}</span></div>'
    )


def _common_key(results: dict) -> str:
    """The common scale's part of the maps' cache key: the cities it was learned on."""
    return "common:" + ",".join(f"{label}={r.city.key}" for label, r in results.items() if r is not None)


def render_city(label: str, result, spec: dict, inputs: dict, view: str = "risk_score", scale_key: str = "own") -> None:
    """One city's column: its name and map (the legend is shared, above the maps). The map is the app's map
    component, one per place in the grid: another layer, scale or weight restyles the map already drawn."""
    st.markdown(f"**{plain(label)}**")
    if result is None:
        return
    try:
        parts = drawn_map(result, inputs, scale=scale_key, compact=True, view=view, legend=False)
    except HotspotsError as exc:
        show_error(exc)
        return
    synthetic_banner(result.city.synthetic, compact=True)
    risk_map_component(
        parts,
        key=f"compare_map:{label}",
        name=label,
        height=COMPARE_MAP_HEIGHT,
        state={"city": label, "view": view, "scale": scale_key.split(":")[0]},
    )
    summary = summarise_layer(result.layer)
    st.caption(f"Highest risk: {plain(', '.join(summary.top_wards))} (top score {summary.top_score:.2f})")


def render_summary(results: dict) -> None:
    """The cities side by side in one table (hotspots.report.compare_cities)."""
    first = next(iter(results.values()))
    table = compare_cities({label: r.layer for label, r in results.items()}, first.dimension_names)
    st.markdown("**The cities in numbers**")
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        key="compare_summary",
        column_config={
            "city": st.column_config.TextColumn("City"),
            "wards": st.column_config.NumberColumn("Wards", format="%d"),
            "wards_with_score": st.column_config.NumberColumn("With a score", format="%d"),
            "mean_risk": st.column_config.NumberColumn("Mean risk", format="%.2f"),
            "median_risk": st.column_config.NumberColumn("Median risk", format="%.2f"),
            "share_top_class": st.column_config.NumberColumn(
                "In top class", format="percent", help="Share of scored wards in the Very high class"
            ),
            "share_hot_spots": st.column_config.NumberColumn(
                "In hot spots", format="percent", help="Share of scored wards that are significant hot spots"
            ),
            "dominant_dimension": st.column_config.TextColumn(
                "Dominant dimension", help="The dimension with the highest mean score"
            ),
        },
    )
