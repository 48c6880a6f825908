"""The "How sure are we?" tab: how each ward's rank and hot-spot status hold up under plausible variants of the model.

Everything is computed by :func:`hotspots.uncertainty.uncertainty_analysis` (cached in :mod:`ui.cache`); this module
draws the rank intervals, the sensitivity bars and the wards whose hot-spot status depends on the model. The charts
are Vega-Lite (altair, which Streamlit ships and renders itself: nothing is loaded from the internet); ward names
and IDs reach them as data, shown as text.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from hotspots.errors import HotspotsError
from hotspots.maps.certainty import certainty_map
from hotspots.uncertainty import DEFAULT_VARIANTS, WEIGHT_SPREAD
from ui.cache import SEED, scored_city, uncertainty_of
from ui.common import CORRECTION_WORDS, plain, show_error, synthetic_banner
from ui.map_component import folium_map_component

VARIANT_CHOICES = [50, 100, 200, 500, 1000]
#: Above this many ward-variants the analysis waits for a button (1,000 wards x 1,000 variants take seconds; 100,000
#: wards x 200 variants would take many minutes: bench/RESULTS.md).
AUTO_RUN = 1_000_000
#: The rank chart draws at most this many wards (the highest by median rank); the table below has them all.
CHART_WARDS = 1000
INTRO = (
    "A ranking rests on choices: the weights, how indicators are put on one scale, how the kinds of risk are "
    "combined, which indicators are in. Here the city is re-scored under many variants of the model: every weight "
    f"moved at random by up to ±{WEIGHT_SPREAD:.0%}, each normalisation and each aggregation, and one indicator "
    "left out at a time. A ward whose rank stays in a narrow band is ranked there whatever the reasonable choice; "
    "a wide band means its place depends on the choices."
)


def render_uncertainty(spec: dict, inputs: dict) -> None:
    """The tab: the number of variants and the seed, then the rank intervals, the sensitivity chart and the wards
    whose hot-spot status depends on the model."""
    st.subheader("How sure are we?")
    st.caption(INTRO)
    left, right = st.columns(2)
    n_variants = left.select_slider(
        "Variants of the model",
        VARIANT_CHOICES,
        value=DEFAULT_VARIANTS,
        key="uncertainty_variants",
        persist_state="session",  # kept while another tab is open
        help="More variants give steadier intervals and shares, and take longer (each is scored and tested for hot "
        "spots).",
    )
    seed = int(
        right.number_input(
            "Seed",
            value=SEED,
            step=1,
            key="uncertainty_seed",
            persist_state="session",
            help="The same seed draws the same variants: the results can be repeated.",
        )
    )
    try:
        result = scored_city(spec, inputs)
        if not _may_run(len(result.layer), n_variants, spec["label"], seed):
            return
        analysis = uncertainty_of(spec, inputs, n_variants, seed)
    except HotspotsError as exc:
        show_error(exc, f"{plain(spec['label'])}: ")
        return
    synthetic_banner(result.city.synthetic, compact=True)
    table = _ward_table(result, analysis)
    render_rank_intervals(table, n_variants)
    render_sensitivity(analysis.sensitivity)
    render_weight_dependent(table, analysis, inputs)
    render_certainty_map(result, table, n_variants, inputs)


def _may_run(n_wards: int, n_variants: int, label: str, seed: int) -> bool:
    """Small cities run at once; a large one waits for the button (every variant is tested for hot spots)."""
    if n_wards * n_variants <= AUTO_RUN:
        return True
    asked = st.session_state.setdefault("uncertainty_asked", set())
    if (label, n_variants, seed) in asked:
        return True
    st.info(
        f"This city has {n_wards:,} wards: scoring and testing {n_variants} variants may take minutes. Choose fewer "
        "variants, or run it now."
    )
    if st.button("Run the analysis", key="uncertainty_run"):
        asked.add((label, n_variants, seed))
        return True
    return False


def _ward_table(result, analysis) -> pd.DataFrame:
    """Per ward: ID, name, the model's rank and hot-spot class, the median rank, its interval and the frequency."""
    layer = result.layer
    columns = [c for c in ("ward_id", "ward_name", "risk_rank", "hotspot_class") if c in layer.columns]
    table = pd.DataFrame(layer[columns]).copy()
    table["ward_id"] = table["ward_id"].astype(str)
    table = table.join(analysis.frame, on="ward_id")
    if "ward_name" not in table:
        table["ward_name"] = ""
    table["ward_name"] = table["ward_name"].fillna("").astype(str)
    table["risk_rank"] = pd.to_numeric(table["risk_rank"], errors="coerce")
    return table.dropna(subset=["risk_rank_median"]).sort_values(["risk_rank_median", "ward_id"], ignore_index=True)


def render_rank_intervals(table: pd.DataFrame, n_variants: int) -> None:
    """Wards sorted by median rank, each with its 5–95% interval and the model's own rank."""
    st.markdown("**Rank of each ward across the variants**")
    shown = table.head(CHART_WARDS).copy()
    shown["position"] = range(1, len(shown) + 1)
    base = alt.Chart(shown).encode(
        x=alt.X("position:Q", title="Wards, ordered by median rank", axis=alt.Axis(labels=len(shown) <= 60)),
        tooltip=[
            alt.Tooltip("ward_id:N", title="Ward ID"),
            alt.Tooltip("ward_name:N", title="Name"),
            alt.Tooltip("risk_rank:Q", title="Rank in the model"),
            alt.Tooltip("risk_rank_median:Q", title="Median rank"),
            alt.Tooltip("risk_rank_p05:Q", title="5% rank"),
            alt.Tooltip("risk_rank_p95:Q", title="95% rank"),
        ],
    )
    rank_axis = alt.Scale(reverse=True, zero=False)
    interval = base.mark_rule(color="#9ecae1", strokeWidth=2).encode(
        y=alt.Y("risk_rank_p05:Q", title="Rank (1 = highest risk)", scale=rank_axis), y2="risk_rank_p95:Q"
    )
    median = base.mark_point(filled=True, size=18, color="#08519c").encode(y=alt.Y("risk_rank_median:Q"))
    model = base.mark_tick(color="#cb181d", thickness=1, size=8).encode(y=alt.Y("risk_rank:Q"))
    st.altair_chart((interval + median + model).properties(height=320), width="stretch")
    more = f" The chart shows the {CHART_WARDS:,} highest wards of {len(table):,}." if len(table) > CHART_WARDS else ""
    st.caption(
        f"Blue bar: the ranks the ward took in 90% of the {n_variants} variants (from the 5% to the 95% quantile); "
        f"dark dot: its median rank; red tick: its rank in the model as set in the sidebar.{more}"
    )


def render_sensitivity(sensitivity: pd.DataFrame) -> None:
    """Which choice moves the ranking most: first-order sensitivity index per uncertain input."""
    st.markdown("**Which choice moves the ranking most?**")
    bars = sensitivity.assign(first_order_index=sensitivity["first_order_index"].fillna(0.0))
    chart = (
        alt.Chart(bars)
        .mark_bar(color="#3182bd")
        .encode(
            x=alt.X("first_order_index:Q", title="Share of the variation in the ranking (first-order index)"),
            y=alt.Y("label:N", sort="-x", title=None),
            tooltip=[alt.Tooltip("label:N", title="Choice"), alt.Tooltip("first_order_index:Q", format=".3f")],
        )
        .properties(height=max(160, 26 * len(bars)))
    )
    st.altair_chart(chart, width="stretch")
    st.caption(
        "For each choice, the share of the variation in how far the ranking moves from the model's (the mean "
        "change of rank over all wards) that this choice alone explains (first-order sensitivity index, as COINr "
        "reports). The rest comes from choices acting together."
    )


def render_weight_dependent(table: pd.DataFrame, analysis, inputs: dict) -> None:
    """The wards that are a hot spot in some variants and not in others (20% to 80% of them)."""
    st.markdown("**Hot spots that depend on the model**")
    frequency = table["hotspot_frequency"]
    if frequency.isna().all():
        st.info("Hot spots were not tested (permutations 0): there is no hot-spot frequency to show.")
        return
    dependent = table[(frequency >= 0.2) & (frequency <= 0.8)]
    steady = int((frequency > 0.8).sum())
    st.caption(
        f"A ward is counted as a hot spot in a variant when it is a significant Gi* hot spot there (90% or more, "
        f"{CORRECTION_WORDS[inputs['correction']]} correction, the same permutations as the map). "
        f"{steady} ward(s) are hot spots in more than 80% of the variants; {len(dependent)} ward(s), listed here, "
        f"are hot spots in 20% to 80% of them: whether they are hot spots depends on the weights and methods "
        f"(orange on the map below)."
    )
    if len(dependent):
        st.dataframe(
            dependent[
                ["ward_id", "ward_name", "hotspot_frequency", "hotspot_class", "risk_rank", "risk_rank_median"]
            ].sort_values("hotspot_frequency", ascending=False),
            hide_index=True,
            width="stretch",
            key="weight_dependent",
            column_config={
                "ward_id": st.column_config.TextColumn("Ward ID", width="small"),
                "ward_name": st.column_config.TextColumn("Name"),
                "hotspot_frequency": st.column_config.ProgressColumn(
                    "Hot spot in", format="percent", min_value=0.0, max_value=1.0
                ),
                "hotspot_class": st.column_config.TextColumn("In the model"),
                "risk_rank": st.column_config.NumberColumn("Rank in the model", format="%d"),
                "risk_rank_median": st.column_config.NumberColumn("Median rank", format="%.1f"),
            },
        )


def render_certainty_map(result, table: pd.DataFrame, n_variants: int, inputs: dict) -> None:
    """The city's wards coloured by how often they are hot spots across the variants (orange: it depends)."""
    frequency = table["hotspot_frequency"]
    if frequency.isna().all():
        return
    share = pd.Series(frequency.to_numpy(dtype=float), index=table["ward_id"].astype(str))
    try:
        fmap = certainty_map(
            result.layer,
            share,
            n_variants=n_variants,
            synthetic=bool(result.city.synthetic),
            tiles="CartoDB positron" if inputs.get("basemap") else None,
        )
    except HotspotsError as exc:
        show_error(exc)
        return
    folium_map_component(fmap, key="certainty_map", name="certainty", height=440)
