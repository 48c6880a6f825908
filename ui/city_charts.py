"""Charts of several cities at once: the three dimension scores per city (read faster than the table).

Kept apart from :mod:`ui.compare` so that the Compare tab and the room's wall can share it; the numbers come from
:func:`hotspots.report.dimension_profile`.
"""

from __future__ import annotations

import altair as alt
import streamlit as st

from hotspots.report import dimension_profile


def dimension_chart(results: dict) -> alt.LayerChart | None:
    """Grouped bars of each city's mean dimension score, with a line over the middle half of its wards (None
    when no city has a dimension score). ``results``: label -> :class:`~hotspots.pipeline.RiskResult`."""
    dimensions = list(dict.fromkeys(d for result in results.values() for d in result.dimension_names))
    data = dimension_profile({label: result.layer for label, result in results.items()}, dimensions)
    if data.empty:
        return None
    data["dimension"] = data["dimension"].str.replace("_", " ").str.capitalize()
    order = list(dict.fromkeys(data["dimension"]))
    cities = list(results)
    x = alt.X("dimension:N", sort=order, title=None, axis=alt.Axis(labelAngle=0))
    offset = alt.XOffset("city:N", sort=cities)
    tooltip = [
        "city:N",
        "dimension:N",
        alt.Tooltip("mean:Q", format=".2f", title="Mean score"),
        alt.Tooltip("median:Q", format=".2f", title="Median"),
        alt.Tooltip("q25:Q", format=".2f", title="25th percentile"),
        alt.Tooltip("q75:Q", format=".2f", title="75th percentile"),
        alt.Tooltip("wards:Q", title="Wards with a score"),
    ]
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=x,
            xOffset=offset,
            y=alt.Y("mean:Q", scale=alt.Scale(domain=[0, 10]), title="Mean score (0-10)"),
            color=alt.Color("city:N", sort=cities, title="City", scale=alt.Scale(scheme="tableau10")),
            tooltip=tooltip,
        )
    )
    spread = alt.Chart(data).mark_rule(color="#333", strokeWidth=1.5).encode(x=x, xOffset=offset, y="q25:Q", y2="q75:Q")
    return alt.layer(bars, spread).properties(height=300)


def render_dimension_chart(results: dict, scale: str = "own") -> None:
    """The chart with its heading and how to read it (on each city's own scale, compare shapes, not heights)."""
    chart = dimension_chart(results)
    if chart is None:
        return
    st.markdown("**The dimensions per city**")
    st.altair_chart(chart, width="stretch")
    st.caption(
        "Bars: the mean score of the city's wards in each dimension; lines: the middle half of its wards (25th to "
        "75th percentile). "
        + (
            "Each city is on its own scale, so compare which dimension leads in each city, not the heights between "
            "cities."
            if scale == "own"
            else "On the common scale the heights compare between cities."
        )
    )
