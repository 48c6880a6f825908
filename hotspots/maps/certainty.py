"""The hot-spot certainty map of an uncertainty analysis: is a ward a hot spot whatever the model, or only under some?

Same offline, compact encoding as :func:`~hotspots.maps.views.risk_map` (one set of polygons, the layer as styles,
tooltips sent column-wise, every string from the data HTML-escaped here). One layer, from the share of model
variants in which each ward is a significant hot spot (``hotspot_frequency`` of
:func:`hotspots.uncertainty.add_uncertainty`), in four bands; the middle band ("depends on the model", 20% to 80%)
is the mark the analysis asks for: those wards' hot-spot status turns on the weights and methods chosen.
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

#: Lower limits of the bands (share of variants): above STEADY a steady hot spot, from DEPENDS to STEADY it depends.
DEPENDS, STEADY = 0.2, 0.8
#: The bands, from the most certain hot spot to never one: (legend text, colour). Orange for "depends" stands out
#: from the reds on purpose; the colours are ColorBrewer's (Reds and Oranges), readable with colour-blindness as
#: light vs dark.
BANDS = (
    ("Hot spot in more than 80% of the variants", "#a50f15"),
    ("Depends on the model: 20% to 80%", "#fd8d3c"),
    ("Hot spot in fewer than 20%", "#fcd5c5"),
    ("Never a hot spot", "#f7f7f7"),
)


def certainty_bands(frequency: np.ndarray) -> np.ndarray:
    """The band of each ward (0..3 as in :data:`BANDS`; -1 where the frequency is missing)."""
    f = np.asarray(frequency, dtype=float)
    band = np.select([f > STEADY, f >= DEPENDS, f > 0], [0, 1, 2], default=3)
    return np.where(np.isnan(f), -1, band)


def certainty_map(
    layer,
    frequency: pd.Series,
    *,
    n_variants: int,
    title: str = "",
    synthetic: bool = False,
    tiles: str | None = None,
    width: int = 800,
    height: int = 600,
    assets: Mapping[str, list] | None = None,
) -> OfflineMap:
    """Map of how certain each ward's hot-spot status is across the model variants.

    Parameters
    ----------
    layer : GeoDataFrame
        The city's wards with ``ward_id`` (``ward_name`` and ``hotspot_class`` go into the tooltip when present).
    frequency : pandas.Series
        Share of variants in which the ward is a significant hot spot, **keyed by ward ID** (NaN: not tested).
    n_variants : int
        How many variants the shares come from (said in the legend).
    title, synthetic, tiles, width, height, assets
        As in :func:`~hotspots.maps.views.risk_map`.
    """
    if "ward_id" not in getattr(layer, "columns", ()):
        raise DataError("certainty_map needs the ward layer with a 'ward_id' column.")
    if not isinstance(frequency, pd.Series):
        raise DataError("certainty_map needs the hot-spot frequency as a Series keyed by ward ID.")
    _check_tiles(tiles)
    if layer.crs is not None and not layer.crs.equals("EPSG:4326"):
        layer = layer.to_crs(4326)
    ward_ids = layer["ward_id"].astype(str)
    share = frequency.set_axis(frequency.index.astype(str)).reindex(ward_ids).to_numpy(dtype=float)
    data = _map_data(
        layer,
        views=[_view(share, n_variants)],
        hot=None,
        rows=_rows(layer, share),
        info=_info(title, synthetic),
        tiles=tiles,
        compact=False,
    )
    geometry = encode_geometry(layer, width=width, height=height)
    return make_map(layer, geometry, data, tiles=tiles, assets=assets, width=width, height=height)


def _view(share: np.ndarray, n_variants: int) -> dict:
    colors = [color for _, color in BANDS]
    rows = [(f"background:{color}", text) for text, color in BANDS]
    rows.append((f"background:{NO_DATA_COLOR}", "Not tested / no data"))
    note = (
        f"Share of {n_variants:,} model variants (weights, normalisation, aggregation, one indicator left out) in "
        "which the ward is a significant hot spot. Orange: its status depends on the model."
    )
    return {
        "label": "Hot-spot certainty",
        "cls": _codes(certainty_bands(share)),
        "colors": colors,
        "legend": _legend_html("Hot-spot certainty", rows, html.escape(note)),
        "column": "hotspot_frequency",
    }


def _rows(layer, share: np.ndarray) -> list[dict]:
    rows = [{"label": "Hot spot in (% of variants)", "num": _numbers(100 * share)}]
    if "hotspot_class" in layer.columns:
        rows.append({"label": "Hot spot in the model", **_texts(layer["hotspot_class"].reset_index(drop=True))})
    return rows


def _info(title: str, synthetic: bool) -> str:
    parts = [f'<div class="hs-title">{html.escape(title)}</div>'] if title else []
    if synthetic:
        parts.append('<div class="hs-badge">Synthetic demo data</div>')
    parts.append('<div class="hs-note">Colours show how sure the hot spot is, not the risk. Grey = not tested.</div>')
    return "".join(parts)
