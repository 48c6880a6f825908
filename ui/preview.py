"""What the risk map's frame needs to recolour the map at once while a weight slider moves.

The frame (``ui/map_frontend/preview.js``) recomputes the composite risk from the dimension scores and the
sliders' weights, with the scheme's class breaks, and recolours the wards before the server's rerun arrives; the
rerun's map (hot spots, tooltips, tables) then replaces the preview. A dimension weight needs nothing but the
dimension scores, which every ward's tooltip shows already. An indicator weight needs the indicators' normalised
values: they are sent for the indicators whose values the tooltips show (rates and other measures, counts with no
suppressed cell), never for a count column with a cell that every output hides (:mod:`hotspots.suppression`: the
normalised value would give the small count back). An indicator weight in a dimension that holds such a column
waits for the server, as before.
"""

from __future__ import annotations

import base64
import re

import numpy as np
import pandas as pd

from hotspots.classify import DEFAULT_THRESHOLDS
from hotspots.suppression import SHOWN
from ui.sidebar import dimension_key, indicator_key

#: Above this many wards no preview is sent (the dimension scores would add about 32 bytes per ward to every
#: rerun's message); the map then waits for the server, which at that size takes its time anyway.
MAX_PREVIEW_WARDS = 20_000
#: The schemes the frame can repeat exactly (Fisher-Jenks needs mapclassify's algorithm: no preview).
PREVIEW_SCHEMES = ("quantiles", "equal_interval", "fixed")
PENDING_NOTE = "Hot spots and tooltips: updating…"


def slider_class(key: str) -> str:
    """The CSS class Streamlit gives the element container of a widget with this key (``st-key-<key>`` with every
    character outside ``[a-zA-Z0-9_-]`` made ``-``), without the ``st-key-`` prefix."""
    return re.sub(r"[^a-zA-Z0-9_-]", "-", key.strip())


def _floats(values) -> str:
    """Little-endian float64 values as base64 (NaN for no score): exact, and compact for the browser."""
    return base64.b64encode(np.asarray(values, dtype="<f8").tobytes()).decode("ascii")


def preview_spec(
    result,
    dimension_weights: dict[str, float],
    slider_key=dimension_key,
    others: dict[str, float] | None = None,
    indicator_slider_key=indicator_key,
) -> dict | None:
    """The preview's data for the risk map of ``result`` drawn with these dimension weights, or None when the
    frame cannot repeat the classes exactly (Fisher-Jenks) or the city is too large. The classes are learned from
    this city's own scores, as on the Map tab (not on the Compare tab's common scale).

    ``slider_key(dimension)`` and ``indicator_slider_key(column)`` are the Streamlit keys of the weight sliders
    (:mod:`ui.sidebar`). The scores and values are in the map layer's row order, the order of the map's wards.
    ``others`` maps indicator slider keys to the weights this map was drawn with (default: the framework's); the
    frame also holds a map drawn with weights the sliders have already moved on from (the next run's map follows).
    """
    framework = result.framework
    layer = result.layer
    if framework.classification not in PREVIEW_SCHEMES or len(layer) > MAX_PREVIEW_WARDS:
        return None
    dims = list(framework.dimension_names)
    keys = [slider_class(slider_key(d)) for d in dims]
    indicators = list(framework.indicators)
    indicator_keys = [slider_class(indicator_slider_key(i.column)) for i in indicators]
    if len(set(keys + indicator_keys)) != len(keys) + len(indicator_keys):  # keys Streamlit's class cannot tell apart
        return None
    on = [any(float(i.weight) > 0 for i in framework.indicators_of(d)) for d in dims]
    drawn = {indicator_slider_key(i.column): float(i.weight) for i in indicators} | dict(others or {})
    return {
        "dims": dims,
        "keys": keys,
        "on": on,
        "weights": [float(dimension_weights.get(d, framework.dimensions[d])) for d in dims],
        "scores": [_floats(layer[f"{d}_score"].to_numpy(dtype=float, na_value=np.nan)) for d in dims],
        "aggregation": framework.aggregation,
        "scheme": framework.classification,
        "thresholds": [float(t) for t in (framework.thresholds or DEFAULT_THRESHOLDS)],
        "note": PENDING_NOTE,
        "others": {
            "keys": indicator_keys,
            "weights": [float(drawn[indicator_slider_key(i.column)]) for i in indicators],
            "dim": [dims.index(i.dimension) for i in indicators],
            "values": _indicator_values(result, indicators),
        },
    }


def _indicator_values(result, indicators) -> list[str | None]:
    """Each indicator's normalised values (0..1, direction applied) in the layer's row order, as base64 float64;
    None for a count column with a suppressed cell in any ward (its values stay on the server)."""
    normalised = result.scores.normalised
    ids = result.city.scored_table["ward_id"].to_numpy()
    aligned = pd.DataFrame(normalised.to_numpy(dtype=float), index=ids, columns=normalised.columns)
    aligned = aligned.reindex(result.layer["ward_id"].to_numpy())
    codes = result.suppression
    hidden = {column for column in codes.columns if (codes[column].to_numpy() != SHOWN).any()}
    return [None if i.column in hidden else _floats(aligned[i.column].to_numpy()) for i in indicators]
