"""The agreement map of a scenario comparison: in how many scenarios each ward is in the top class, or a hot spot.

Same offline, compact encoding as :func:`~hotspots.maps.views.risk_map` (one set of polygons, layers as styles,
tooltips sent column-wise, every string from the data HTML-escaped here). Two layers, one per count of
:class:`~hotspots.scenarios.ScenarioComparison`: ``top_class_agreement`` and ``hotspot_agreement``, coloured from
"in none" (lightest) to "in all" (darkest) in ColorBrewer Purples, so that they are not read as risk classes.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import numpy as np
import pandas as pd

from hotspots.errors import DataError
from hotspots.maps.assets import OfflineMap
from hotspots.maps.element import make_map
from hotspots.maps.geometry import encode_geometry
from hotspots.maps.tooltips import _numbers, _texts
from hotspots.maps.views import NO_DATA_COLOR, _check_tiles, _codes, _legend_html, _map_data

#: ColorBrewer Purples, 5 classes (sequential, colour-blind safe): 0 scenarios .. all of them (up to 4).
AGREEMENT_COLORS = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")
#: The layers: count column -> (layer label, what is counted).
AGREEMENT_LAYERS = {
    "top_class_agreement": ("Top class agreement", "in the top class (Very high)"),
    "hotspot_agreement": ("Hot spot agreement", "a significant hot spot"),
}


def agreement_colors(n_scenarios: int) -> list[str]:
    """The colour of each count 0..n: the lightest for none, the darkest for all, evenly spread between."""
    if not 1 <= n_scenarios <= len(AGREEMENT_COLORS) - 1:
        raise DataError(f"The agreement map shows 1 to {len(AGREEMENT_COLORS) - 1} scenarios, not {n_scenarios}.")
    picks = np.rint(np.linspace(0, len(AGREEMENT_COLORS) - 1, n_scenarios + 1)).astype(int)
    return [AGREEMENT_COLORS[i] for i in picks]


def agreement_map(
    comparison,
    *,
    view: str = "top_class_agreement",
    title: str = "",
    tiles: str | None = None,
    compact: bool = False,
    width: int = 800,
    height: int = 600,
    assets: Mapping[str, list] | None = None,
) -> OfflineMap:
    """Map of a :class:`~hotspots.scenarios.ScenarioComparison`: per ward, the number of scenarios that agree.

    Parameters
    ----------
    comparison : ScenarioComparison
        The city's wards (its ``city.wards``) and the counts, keyed by ward ID.
    view : {"top_class_agreement", "hotspot_agreement"}
        The layer shown when the map opens (the other is one click away in the layer control).
    title, tiles, compact, width, height, assets
        As in :func:`~hotspots.maps.views.risk_map`.

    Returns
    -------
    OfflineMap
    """
    if view not in AGREEMENT_LAYERS:
        raise DataError(f"No agreement layer {view!r}: use one of {', '.join(map(repr, AGREEMENT_LAYERS))}.")
    _check_tiles(tiles)
    layer = comparison.city.wards
    if layer.crs is not None and not layer.crs.equals("EPSG:4326"):
        layer = layer.to_crs(4326)
    ward_ids = layer["ward_id"].astype(str)
    scored = comparison.ranks.notna().any(axis=1).reindex(ward_ids).fillna(False).to_numpy()
    n = len(comparison.names)
    views = [
        _agreement_view(column, getattr(comparison, column).reindex(ward_ids).to_numpy(), scored, n, comparison)
        for column in AGREEMENT_LAYERS
    ]
    views.sort(key=lambda v: v["column"] != view)
    data = _map_data(
        layer,
        views=views,
        hot=None,
        rows=_tooltip_rows(comparison, ward_ids),
        info=_info(title, comparison.city.synthetic, compact),
        tiles=tiles,
        compact=compact,
    )
    geometry = encode_geometry(layer, width=width, height=height)
    return make_map(layer, geometry, data, tiles=tiles, assets=assets, width=width, height=height)


def _agreement_view(column: str, counts: np.ndarray, scored: np.ndarray, n: int, comparison) -> dict:
    """One layer: class = the count (0..n), no data where the ward has no score in any scenario."""
    label, what = AGREEMENT_LAYERS[column]
    colors = agreement_colors(n)
    codes = np.where(scored, np.nan_to_num(counts.astype(float), nan=0.0), -1).astype(int)
    rows = [(f"background:{colors[k]}", _count_words(k, n)) for k in range(n, -1, -1)]
    rows.append((f"background:{NO_DATA_COLOR}", "No data"))
    note = f"In how many of the {n} scenarios the ward is {what}."
    if column == "hotspot_agreement" and len(comparison.hotspot_scenarios) < n:
        note += f" Hot spots were tested in {len(comparison.hotspot_scenarios)} of them."
    return {
        "label": label,
        "cls": _codes(codes),
        "colors": colors,
        "legend": _legend_html(html.escape(label), rows, html.escape(note)),
        "column": column,
    }


def _info(title: str, synthetic: bool, compact: bool) -> str:
    """The info box: title, synthetic badge and what the colours are (only the badge when compact)."""
    parts = [] if compact or not title else [f'<div class="hs-title">{html.escape(title)}</div>']
    if synthetic:
        parts.append('<div class="hs-badge">Synthetic demo data</div>')
    if not compact:
        parts.append('<div class="hs-note">Colours count scenarios, not scores. Grey = no data.</div>')
    return "".join(parts)


def _count_words(k: int, n: int) -> str:
    if k == n:
        return f"In all {n}"
    return "In none" if k == 0 else f"In {k} of {n}"


def _tooltip_rows(comparison, ward_ids: pd.Series) -> list[dict]:
    """Per scenario the ward's rank, then the two counts (scenario names escaped)."""
    rows = []
    for name in comparison.names:
        ranks = comparison.ranks[name].reindex(ward_ids).reset_index(drop=True)
        rows.append({"label": html.escape(f"Rank under {name}"), "num": _numbers(ranks)})
    rows.append(
        {"label": "Rank shift", "num": _numbers(comparison.rank_shift.reindex(ward_ids).reset_index(drop=True))}
    )
    for column, (label, _) in AGREEMENT_LAYERS.items():
        counts = getattr(comparison, column).reindex(ward_ids).astype("string").reset_index(drop=True)
        rows.append({"label": html.escape(label), **_texts(counts)})
    return rows
