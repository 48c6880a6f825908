"""The sidebar: the city and the model settings, returned as a plain dict of inputs."""

from __future__ import annotations

from typing import Any

import streamlit as st

from hotspots.errors import FrameworkError
from hotspots.framework import AGGREGATIONS, CLASSIFICATIONS, NORMALISATIONS, Framework
from ui.common import held_index, plain
from ui.glossary import HELP, option_name
from ui.map_component import first_map_pending

NEIGHBOURS = {"queen": "Queen (shared edge or corner)", "rook": "Rook (shared edge)", "knn:6": "6 nearest wards"}
PERMUTATIONS = ("auto", 99, 499, 999, 9999)
CORRECTIONS = {"fdr": "False discovery rate (FDR)", "bonferroni": "Bonferroni", "none": "None"}
SUPPRESSION = {5: "5 (default)", 10: "10 (stricter, as CDC WONDER)", 0: "Off: show every count"}
LATER = "The indicator weights, the method, scenarios and your cities follow as soon as the map is drawn."


def sidebar_inputs() -> dict[str, Any]:
    """The settings from the sidebar, as a plain dict.

    Keys: ``city`` (label), ``framework`` (the model with these weights and methods), ``indicator_weights``,
    ``dimension_weights``, ``neighbours``, ``permutations``, ``correction``, ``suppress_below``, ``basemap``.
    """
    base: Framework = st.session_state["framework"]
    draw = not first_map_pending()  # a browser's first view: the rest follows once the map is drawn
    with st.sidebar:
        st.header("City")
        cities = list(st.session_state["cities"])
        city = st.selectbox("City", cities, index=held_index(cities, "city"), key="city", help=HELP["city"])
        st.header("Weights")
        dimension_weights, indicator_weights = _weights(base, draw)
        if draw:
            st.header("Method")
        else:
            st.caption(LATER)
        options = _methods(base, draw)
        hotspot_options = _hotspot_options(draw)
    try:
        framework = base.with_weights(indicator_weights, dimension_weights).with_options(**options)
    except FrameworkError as exc:  # every weight at 0
        st.error(f"{plain(str(exc).splitlines()[-1].strip(' -'))}")
        st.stop()
    return {
        "city": city,
        "framework": framework,
        "indicator_weights": indicator_weights,
        "dimension_weights": dimension_weights,
        **hotspot_options,
    }


def dimension_key(dimension: str) -> str:
    """The Streamlit key of a dimension's weight slider (:mod:`ui.preview` finds the slider by it)."""
    return f"w_dim:{dimension}"


def indicator_key(column: str) -> str:
    """The Streamlit key of an indicator's weight slider."""
    return f"w_ind:{column}"


def _weight_slider(label: str, key: str, value: float, help: str | None = None, draw: bool = True) -> float:
    """A weight from 0 (switched off) up; its value lives in ``st.session_state[key]`` (set by
    :func:`ui.state.set_framework`), and the same value is its default (see :func:`ui.common.held_index`); it is read
    from there when it is not drawn in this run."""
    current = float(st.session_state.setdefault(key, float(value)))
    if not draw:
        return current
    top = max(5.0, current, float(value))
    return st.slider(label, min_value=0.0, max_value=top, value=current, step=0.1, key=key, help=help)


def _weights(base: Framework, draw: bool = True) -> tuple[dict[str, float], dict[str, float]]:
    """Dimension weights, then indicator weights (one expander per dimension; read from the session, not drawn,
    when ``draw`` is false)."""
    dimension_weights = {
        dim: _weight_slider(
            f"{plain(dim.capitalize())} dimension", dimension_key(dim), weight, help=HELP["dimension_weight"]
        )
        for dim, weight in base.dimensions.items()
    }
    indicator_weights = {}
    if not draw:
        for ind in base.indicators:
            indicator_weights[ind.column] = _weight_slider("", indicator_key(ind.column), ind.weight, draw=False)
        return dimension_weights, indicator_weights
    for dim in base.dimension_names:
        with st.expander(f"{plain(dim.capitalize())} indicators"):
            for ind in base.indicators_of(dim):
                indicator_weights[ind.column] = _weight_slider(
                    plain(ind.display_label),
                    indicator_key(ind.column),
                    ind.weight,
                    help=f"Column {plain(ind.column)}, {ind.direction.replace('_', ' ')}. {HELP['weight']}",
                )
    return dimension_weights, indicator_weights


def _methods(base: Framework, draw: bool = True) -> dict[str, str]:
    """Normalisation, aggregation and map classes (``Framework.with_options`` arguments)."""
    classes = [c for c in CLASSIFICATIONS if c != "fixed" or base.thresholds]
    if not draw:
        keys = [("opt:normalisation", base.normalisation, None), ("opt:aggregation", base.aggregation, None)]
        keys.append(("opt:classification", base.classification, classes))
        values = [st.session_state[_preset(key, value, options)] for key, value, options in keys]
        return dict(zip(("normalisation", "aggregation", "classification"), values))
    normalisation = st.selectbox(
        "Normalisation",
        NORMALISATIONS,
        index=held_index(NORMALISATIONS, _preset("opt:normalisation", base.normalisation)),
        key="opt:normalisation",
        format_func=option_name,
        help=HELP["normalisation"],
    )
    aggregation = st.selectbox(
        "Aggregation",
        AGGREGATIONS,
        index=held_index(AGGREGATIONS, _preset("opt:aggregation", base.aggregation)),
        key="opt:aggregation",
        format_func=option_name,
        help=HELP["aggregation"],
    )
    classification = st.selectbox(
        "Map classes",
        classes,
        index=held_index(classes, _preset("opt:classification", base.classification, classes)),
        key="opt:classification",
        format_func=option_name,
        help=HELP["classification"],
    )
    return {"normalisation": normalisation, "aggregation": aggregation, "classification": classification}


def _preset(key: str, value: Any, options: list | None = None) -> str:
    """``key``, with ``st.session_state[key]`` set to ``value`` unless it holds a value already (and, given
    ``options``, one of them): the widget takes its value from there, so a value set by a scenario is kept (and
    passes the same value as its default, :func:`ui.common.held_index`)."""
    if key not in st.session_state or (options is not None and st.session_state[key] not in options):
        st.session_state[key] = value
    return key


def _with(options: list, key: str) -> list:
    """The options of a widget, plus the value a loaded scenario set if the app does not list it."""
    value = st.session_state.get(key)
    return options if value is None or value in options else [*options, value]


def _hotspot_options(draw: bool = True) -> dict[str, Any]:
    """Neighbour rule, permutations, multiple-testing correction, the small-number threshold and the basemap switch
    (read from the session, not drawn, when ``draw`` is false)."""
    neighbours, permutations = _with(list(NEIGHBOURS), "neighbours"), _with(list(PERMUTATIONS), "permutations")
    presets = {
        "neighbours": _preset("neighbours", "queen", neighbours),
        "permutations": _preset("permutations", "auto", permutations),
        "correction": _preset("correction", "fdr", list(CORRECTIONS)),
        "suppress_below": _preset("suppress_below", next(iter(SUPPRESSION)), list(SUPPRESSION)),
        "basemap": _preset("basemap", False, [False, True]),
    }
    if not draw:
        return {name: st.session_state[key] for name, key in presets.items()}
    return {
        "neighbours": st.selectbox(
            "Neighbours",
            neighbours,
            index=held_index(neighbours, presets["neighbours"]),
            format_func=lambda rule: NEIGHBOURS.get(rule, rule),
            key=presets["neighbours"],
            help=HELP["neighbours"],
        ),
        "permutations": st.select_slider(
            "Permutations",
            permutations,
            value=st.session_state[presets["permutations"]],
            key=presets["permutations"],
            help=HELP["permutations"],
        ),
        "correction": st.selectbox(
            "Multiple-testing correction",
            list(CORRECTIONS),
            index=held_index(list(CORRECTIONS), presets["correction"]),
            format_func=CORRECTIONS.get,
            key=presets["correction"],
            help=HELP["correction"],
        ),
        "suppress_below": _suppression_threshold(),
        "basemap": st.checkbox(
            "Basemap tiles (needs internet)",
            value=bool(st.session_state[presets["basemap"]]),
            key=presets["basemap"],
            help=HELP["basemap"],
        ),
    }


def _suppression_threshold() -> int:
    """The small-number threshold of every view and export (``Method.suppress_below``); a warning when off."""
    below = st.selectbox(
        "Hide counts below", list(SUPPRESSION), index=held_index(list(SUPPRESSION), "suppress_below"),
        format_func=SUPPRESSION.get, key="suppress_below", help=HELP["suppress_below"],
    )  # fmt: skip
    if not below:
        st.warning(
            "Small counts are shown in every table, map and export: a count of 1 to 4 in a small ward can point "
            "at a person. Use this only for data that identify no one.",
            icon=":material/warning:",
        )
    return below
