"""What the risk map's frame needs to recolour the map at once while a dimension weight slider moves.

The frame (``ui/map_frontend/preview.js``) recomputes the composite risk from the dimension scores and the
sliders' weights, with the scheme's class breaks, and recolours the wards before the server's rerun arrives; the
rerun's map (hot spots, tooltips, tables) then replaces the preview. Only dimension weights are previewed: their
effect needs nothing but the dimension scores, which every ward's tooltip shows already. An indicator weight
would need each indicator's normalised value in the browser, which for a suppressed small count would give the
count back, so indicator weights wait for the server.
"""

from __future__ import annotations

import base64
import re

import numpy as np

from hotspots.classify import DEFAULT_THRESHOLDS
from ui.sidebar import dimension_key

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
    result, dimension_weights: dict[str, float], slider_key=dimension_key, others: dict[str, float] | None = None
) -> dict | None:
    """The preview's data for the risk map of ``result`` drawn with these dimension weights, or None when the
    frame cannot repeat the classes exactly (Fisher-Jenks) or the city is too large. The classes are learned from
    this city's own scores, as on the Map tab (not on the Compare tab's common scale).

    ``slider_key(dimension)`` is the Streamlit key of that dimension's weight slider (:mod:`ui.sidebar`). The
    scores are in the map layer's row order, the order of the map's wards. ``others`` maps the keys of the other
    weight sliders (the indicators') to the weights this map was drawn with: not previewed, but the frame holds a
    map drawn with weights that those sliders have already moved on from (the next run's map follows).
    """
    framework = result.framework
    layer = result.layer
    if framework.classification not in PREVIEW_SCHEMES or len(layer) > MAX_PREVIEW_WARDS:
        return None
    dims = list(framework.dimension_names)
    keys = [slider_class(slider_key(d)) for d in dims]
    if len(set(keys)) != len(keys):  # two keys that Streamlit's class name cannot tell apart
        return None
    on = [any(float(i.weight) > 0 for i in framework.indicators_of(d)) for d in dims]
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
            "keys": [slider_class(k) for k in (others or {})],
            "weights": [float(w) for w in (others or {}).values()],
        },
    }
