"""The Scenarios tab: two to four scenarios on one city, so a group sees whether its weights change the picture.

Scenarios are named methods: the saved ones come from ``st.session_state["scenarios"]`` (name -> Method, filled by
the workspace), and comparison presets derived from the current model are always offered beside them
(:func:`hotspots.scenarios.preset_methods`), so a group can compare before it has saved anything. The tab shows a
one-line verdict, the maps side by side on one scale under one legend, a rank-shift (bump) chart of the wards that
move most, the agreement map and the Spearman matrix; everything is computed by
:func:`hotspots.scenarios.compare_scenarios` (cached in :mod:`ui.cache`).
"""

from __future__ import annotations

import html

import altair as alt
import pandas as pd
import streamlit as st

from hotspots.classify import CLASS_LABELS
from hotspots.errors import HotspotsError
from hotspots.export import file_stem
from hotspots.maps import HALO_COLOR, HOTSPOT_STYLES, NO_DATA_COLOR, RISK_COLORS
from hotspots.maps.agreement import AGREEMENT_LAYERS, agreement_map
from hotspots.method import Method
from hotspots.scenarios import AGREE_BROADLY, AGREE_CLOSELY, preset_methods
from ui.cache import compared_scenarios, method_of
from ui.common import city_map, plain, show_error
from ui.map_component import folium_map_component

MAP_HEIGHT = 380
MAPS_PER_ROW = 2
#: Wards drawn in colour in the rank-shift chart (those that move most); the rest are grey lines behind them.
MOVERS = 12
#: Above this many wards the grey lines of the wards that move less are left out (the chart stays light).
BACKGROUND_WARDS = 300
PRESET_MARK = " (preset)"


def scenario_options(inputs: dict) -> tuple[dict[str, Method], list[str]]:
    """Saved scenarios then presets (a preset whose name a saved scenario has gets " (preset)"), and the default
    choice: the first saved ones when two or more are saved, else the current model and the first dimension alone."""
    saved = {str(name): m for name, m in (st.session_state.get("scenarios") or {}).items() if isinstance(m, Method)}
    options = dict(saved)
    presets = preset_methods(method_of(inputs))
    for name, method in presets.items():
        options[name + PRESET_MARK if name in saved else name] = method
    if len(saved) >= 2:
        return options, list(saved)[:4]
    preset_names = [n for n in options if n not in saved]
    alone = [n for n in preset_names if n.endswith(" alone")]
    return options, [preset_names[0], alone[0] if alone else preset_names[1]]


def render_scenario_compare(spec: dict, inputs: dict) -> None:
    """The tab: choose 2-4 scenarios; verdict, maps on one scale, rank shifts, agreement, Spearman, download."""
    st.subheader("Compare scenarios")
    options, default = scenario_options(inputs)
    _keep_valid_choice(options)
    stored = st.session_state.get("scenarios") or {}
    saved = sum(isinstance(m, Method) for m in stored.values())
    if saved < len(stored):
        st.warning(f"{len(stored) - saved} saved scenario(s) are not a method and are left out of the choice.")
    chosen = st.multiselect(
        "Scenarios (2 to 4)",
        list(options),
        default=default,
        max_selections=4,
        key="scenario_choice",
        persist_state="session",  # kept while another tab is open
        help="Saved scenarios first, then presets made from the current model in the sidebar: equal weights, each "
        "dimension alone, the other aggregation, another normalisation. "
        + ("" if saved >= 2 else "Save scenarios to compare your own."),
    )
    if len(chosen) < 2:
        st.info("Choose two to four scenarios to compare them on this city.")
        return
    methods = {name: options[name] for name in chosen}
    try:
        comparison = compared_scenarios(spec, methods)
    except HotspotsError as exc:
        show_error(exc, f"{spec['label']}: {_needing(exc, methods)}")
        return
    render_verdict(comparison)
    render_maps(comparison, inputs)
    render_rank_shift(comparison)
    render_agreement(comparison, inputs)
    render_spearman(comparison)


def _needing(exc: HotspotsError, methods: dict[str, Method]) -> str:
    """For a table that lacks a scenario's columns: which scenarios need them (else '')."""
    columns = {p.column for p in getattr(exc, "problems", ()) if getattr(p, "column", None)}
    needing = [name for name, method in methods.items() if columns & set(method.framework.columns)]
    if not needing:
        return ""
    return (
        f"the scenario(s) {', '.join(map(repr, needing))} use column(s) this city's table does not have "
        f"({', '.join(map(repr, sorted(columns)))}): choose other scenarios, or add the columns to the table. "
    )


def _keep_valid_choice(options: dict) -> None:
    """Drop from the remembered choice the scenarios that are gone (a deleted scenario, a renamed preset)."""
    choice = st.session_state.get("scenario_choice")
    if choice is not None and any(name not in options for name in choice):
        st.session_state["scenario_choice"] = [name for name in choice if name in options]


def render_verdict(comparison) -> None:
    """One line: do the scenarios agree on which wards are at highest risk?"""
    rho = comparison.lowest_agreement()[0]
    show = st.success if rho >= AGREE_CLOSELY else st.info if rho >= AGREE_BROADLY else st.warning
    show(plain(comparison.verdict()))


def legend_html(comparison) -> str:
    """One legend for the maps side by side: the classes of the one scale (with their bounds) and the outlines."""
    bins, levels = comparison.common_breaks.get("risk_score", []), comparison.common_levels()

    def swatch(style: str, text: str) -> str:
        return (
            f'<span style="display:inline-flex;align-items:center;margin-right:14px;white-space:nowrap">'
            f'<i style="display:inline-block;width:20px;height:13px;margin-right:5px;{style}"></i>'
            f"{html.escape(text)}</span>"
        )

    rows = []
    for i, (upper, level) in enumerate(zip(bins, levels)):
        span = f"≤ {upper:.2f}" if i == 0 else f"{bins[i - 1]:.2f} – {upper:.2f}"
        rows.append(swatch(f"background:{RISK_COLORS[level]}", f"{CLASS_LABELS[level]} ({span})"))
    rows.append(swatch(f"background:{NO_DATA_COLOR}", "No data"))
    outlines = []
    for label, color, _, _ in HOTSPOT_STYLES[::3]:
        style = f"border:2px solid {color};box-shadow:0 0 0 2px {HALO_COLOR};background:transparent"
        outlines.append(swatch(style, label.split()[0].capitalize() + " spot"))
    return (
        '<div style="font-size:0.9rem;line-height:1.9">'
        + "".join(rows)
        + "<br>"
        + "".join(outlines)
        + '<span style="color:#555">99% solid, 95% dashed, 90% dotted.</span></div>'
    )


def render_maps(comparison, inputs: dict) -> None:
    """The scenarios' composite risk maps, two per row, on one scale under one legend."""
    st.markdown("**Composite risk under each scenario, on one scale**")
    st.markdown(legend_html(comparison), unsafe_allow_html=True)
    st.caption(
        f"One scale: the class breaks are the {comparison.common_scheme.replace('_', ' ')} of the risk scores of "
        "all the chosen scenarios pooled, so a ward that is darker on one map really scored higher there. A "
        "scenario whose scores run higher overall looks darker everywhere: that changes the colours, not the "
        "picture (the ranks below tell the two apart)."
    )
    names = comparison.names
    for start in range(0, len(names), MAPS_PER_ROW):
        for column, name in zip(st.columns(MAPS_PER_ROW), names[start : start + MAPS_PER_ROW]):
            with column:
                _scenario_map(comparison, names.index(name), inputs)


def _scenario_map(comparison, index: int, inputs: dict) -> None:
    name = comparison.names[index]
    st.markdown(f"**{plain(name)}**")
    try:
        fmap = city_map(comparison.on_common_scale(name), inputs, compact=True, view="risk_score", legend=False)
    except HotspotsError as exc:
        show_error(exc)
        return
    folium_map_component(fmap, key=f"scenario_map:{index}", name=name, height=MAP_HEIGHT)
    row = comparison.summary().loc[name]
    st.caption(
        f"Mean risk {row['mean_risk']:.2f}; {row['top_class_common']} ward(s) Very high on this scale; "
        f"{row['hot_spots']} hot spot(s)."
    )


def _ward_labels(comparison) -> pd.Series:
    """'Name (ID)' per ward ID, or the ID when the city has no names."""
    wards = comparison.city.wards
    ids = wards["ward_id"].astype(str)
    if "ward_name" not in wards.columns:
        return pd.Series(ids.to_numpy(), index=ids.to_numpy())
    names = wards["ward_name"].astype("string").fillna("")
    labels = [f"{n} ({i})" if n else i for n, i in zip(names, ids)]
    return pd.Series(labels, index=ids.to_numpy()).groupby(level=0).first()


def rank_shift_data(comparison, movers: int = MOVERS) -> pd.DataFrame:
    """Long table for the bump chart: ward, scenario, rank, risk score and whether the ward is a top mover."""
    shift = comparison.rank_shift.dropna().sort_values(ascending=False, kind="stable")
    top = set(shift.index[:movers])
    keep = shift.index if len(shift) <= BACKGROUND_WARDS else shift.index[:movers]
    labels = _ward_labels(comparison)
    rows = []
    for name in comparison.names:
        part = pd.DataFrame({"ward_id": keep, "scenario": name})
        part["rank"] = comparison.ranks[name].reindex(keep).to_numpy()
        part["risk_score"] = comparison.risk[name].reindex(keep).round(2).to_numpy()
        rows.append(part)
    data = pd.concat(rows, ignore_index=True)
    data["ward"] = data["ward_id"].map(labels)
    data["rank_shift"] = data["ward_id"].map(shift)
    data["mover"] = data["ward_id"].isin(top)
    return data


def render_rank_shift(comparison) -> None:
    """Bump chart: each ward's rank under each scenario; the wards that move most in colour."""
    st.markdown("**Rank shifts: each ward's rank under each scenario**")
    n_wards = int(comparison.ranks.notna().any(axis=1).sum())
    movers = min(MOVERS, n_wards)
    data = rank_shift_data(comparison, movers)
    x = alt.X("scenario:N", sort=comparison.names, title=None, axis=alt.Axis(labelAngle=0, labelLimit=180))
    y = alt.Y("rank:Q", scale=alt.Scale(reverse=True, domain=[1, max(n_wards, 2)]), title="Rank (1 = highest risk)")
    tooltip = ["ward:N", "scenario:N", alt.Tooltip("rank:Q", format=".1f"), "risk_score:Q", "rank_shift:Q"]
    background = (
        alt.Chart(data[~data["mover"]])
        .mark_line(color="#cfcfcf", strokeWidth=0.8)
        .encode(x=x, y=y, detail="ward_id:N", tooltip=tooltip)
    )
    movers_chart = (
        alt.Chart(data[data["mover"]])
        .mark_line(point=True, strokeWidth=2.2)
        .encode(
            x=x,
            y=y,
            color=alt.Color("ward:N", title=f"Moves most (top {movers})", scale=alt.Scale(scheme="tableau20")),
            tooltip=tooltip,
        )
    )
    st.altair_chart(alt.layer(background, movers_chart).properties(height=420), width="stretch")
    shift = comparison.rank_shift.dropna()
    st.caption(
        f"Rank 1 = highest risk; wards with equal scores share the average of their ranks. In colour: the {movers} "
        f"ward(s) whose rank changes most between the scenarios (largest shift {shift.max():.0f} places, median "
        f"{shift.median():.0f} of {n_wards} wards); grey: the others"
        + (f" (left out above {BACKGROUND_WARDS} wards)." if n_wards > BACKGROUND_WARDS else ".")
    )


def render_agreement(comparison, inputs: dict) -> None:
    """The agreement map: in how many scenarios a ward is in the top class, or a significant hot spot (two layers,
    switched in the map)."""
    st.markdown("**Agreement: in how many scenarios is a ward at the top?**")
    try:
        fmap = agreement_map(comparison, tiles="CartoDB positron" if inputs.get("basemap") else None)
    except HotspotsError as exc:
        show_error(exc)
        return
    folium_map_component(fmap, key="scenario_agreement", name="agreement", height=MAP_HEIGHT + 60)
    n, parts = len(comparison.names), []
    for column, (_, what) in AGREEMENT_LAYERS.items():
        counts = getattr(comparison, column)
        parts.append(
            f"{what}: {int((counts == n).sum())} ward(s) in all {n}, {int((counts > 0).sum())} in at least one"
        )
    counted = "; ".join(parts)
    st.caption(
        counted[0].upper() + counted[1:] + ". Top class: the Very high class of each scenario's own classification (as "
        "its Map tab shows it; with quantiles, its top fifth), so the count says which wards lead whatever the level "
        "of the scores. Hot spot: a significant Gi* hot spot (90%, 95% or 99% after the correction); switch the "
        "layer in the map."
    )


def render_spearman(comparison) -> None:
    """The rank correlation between every two scenarios, and the download of the whole comparison."""
    st.markdown("**Rank correlation between the scenarios (Spearman)**")
    matrix = comparison.spearman.copy()
    matrix.index.name = "Scenario"
    st.dataframe(
        matrix,
        width="content",
        key="scenario_spearman",
        column_config={name: st.column_config.NumberColumn(name, format="%.2f") for name in matrix.columns},
    )
    st.caption(
        f"1 = the same order of wards, 0 = unrelated, −1 = the opposite order. At {AGREE_CLOSELY} or more the "
        "scenarios agree closely; computed on the wards scored in both."
    )
    st.download_button(
        "Download the comparison (CSV)",
        comparison.to_csv(),
        file_name=f"{file_stem(comparison.city.name)}_scenarios.csv",
        mime="text/csv",
        icon=":material/download:",
        key="scenario_download",
        help="One row per ward and scenario: score, rank, own class, class on the one scale, hot spot, rank shift "
        "and the two agreement counts.",
    )
