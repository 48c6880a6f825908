"""A light, static map of a scored layer as inline SVG: the risk classes, hot/cold spot outlines over a white halo,
and each ward's name, score, class and hot-spot label as its tooltip (SVG ``<title>``).

For pages that show many maps at once, such as the workshop room's wall, where every map is the same small picture
for every browser in the room: an interactive Leaflet map costs each browser about half a CPU-second to draw, and a
room of 30 laptops pays that for every map on every redraw (``bench/bench_room.py``). An SVG map is a few kilobytes
of paths the browser draws at once. It has no zoom or layers: the group's own Map tab has those.

Geometry is simplified to half a pixel of the picture (shared edges stay shared) and projected as the report's
static map is (equirectangular at the city's mean latitude, north up). Every text from the data is made inert
(:func:`inert`).

Examples
--------
>>> svg = svg_map(result.layer, breaks=[2, 4, 6, 8, 10])  # doctest: +SKIP
"""

from __future__ import annotations

import string
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hotspots.classify import CLASS_LABELS
from hotspots.maps.geometry import _check_geometry, _simplify
from hotspots.maps.static_map import _fills, _polygons, _Projection
from hotspots.maps.views import (
    BACKGROUND_COLOR,
    HALO_COLOR,
    HALO_EXTRA,
    HOTSPOT_STYLES,
    RISK_COLORS,
    _category_codes,
    _fmt,
)


def inert(text: object) -> str:
    """Text made inert in HTML and in Markdown: every ASCII punctuation mark as a numeric character reference
    (``<``, ``&`` and ``"``, and ``[``, ``(``, ``*``, ``:`` and the rest of Markdown's syntax), other characters as
    they are. For names from uploads in a picture that may go through ``st.markdown`` or ``st.html``.

    >>> inert("![x](http://e.org) <b>")
    '&#33;&#91;x&#93;&#40;http&#58;&#47;&#47;e&#46;org&#41; &#60;b&#62;'
    """
    return "".join(f"&#{ord(c)};" if c in string.punctuation else c for c in str(text))


#: Half a pixel of the picture: finer detail is not seen.
SIMPLIFY_PIXELS = 0.5
_MARGIN = 4


def svg_map(
    layer: gpd.GeoDataFrame,
    *,
    column: str = "risk_score",
    breaks: Sequence[float] | None = None,
    scheme: str = "quantiles",
    width: int = 480,
    height: int = 380,
    label: str = "",
) -> str:
    """The layer's ``column`` in its classes (``breaks``, else learned by ``scheme``) as one ``<svg>`` element.

    Each ward is one ``<path class="ward" data-ward="...">`` (its polygons and holes, even-odd filled) with a
    ``<title>``; hot and cold spots (``hotspot_class``) are outlined over a halo, as on the interactive map. The
    picture scales to its container's width (``viewBox`` of ``width`` x ``height``).
    ``label`` names the map for screen readers.

    Raises
    ------
    DataError
        A ward without a (Multi)Polygon boundary, or a layer without a CRS.
    """
    geoms = _check_geometry(layer)  # in EPSG:4326
    pixels = _to_pixels(geoms, width, height)
    fills, _ = _fills(layer, column, {column: list(breaks)} if breaks is not None else None, scheme)
    paths = [_path_d(geom) for geom in pixels]
    titles = _titles(layer, column, fills)
    wards = "".join(
        f'<path class="ward" data-ward="{inert(ward)}" fill="{fill}" d="{d}"><title>{title}</title></path>'
        for ward, fill, d, title in zip(layer["ward_id"].astype(str), fills, paths, titles)
    )
    name = inert(label or "Map of the wards' risk classes")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" aria-label="{name}" '
        f'style="width:100%;height:auto;max-height:{height}px;display:block;background:{BACKGROUND_COLOR}">'
        f'<g stroke="#ffffff" stroke-width="0.6" fill-rule="evenodd">{wards}</g>'
        f"{_outlines(layer, paths)}</svg>"
    )


def _to_pixels(geoms: np.ndarray, width: int, height: int) -> np.ndarray:
    """The wards in the picture's pixels (the report's projection, north up), simplified to :data:`SIMPLIFY_PIXELS`."""
    box = (_MARGIN, _MARGIN, width - _MARGIN, height - _MARGIN)
    project = _Projection(shapely.total_bounds(geoms), box)
    return _simplify(shapely.transform(geoms, project.array), SIMPLIFY_PIXELS)


def _path_d(geom) -> str:
    """An SVG path of a (Multi)Polygon: each ring ``M x,y x,y ...Z``, at a tenth of a pixel."""
    rings = []
    for polygon in _polygons(geom):
        for ring in (polygon.exterior, *polygon.interiors):
            xy = np.round(np.asarray(ring.coords)[:-1, :2], 1)
            rings.append("M" + " ".join(f"{x:g},{y:g}" for x, y in xy.tolist()) + "Z")
    return "".join(rings)


def _titles(layer: pd.DataFrame, column: str, fills: list[str]) -> list[str]:
    """Each ward's tooltip: name and ID, score and the class drawn (its fill's), hot-spot label (texts inert)."""
    ids = layer["ward_id"].astype(str).tolist()
    names = layer["ward_name"].fillna("").astype(str).tolist() if "ward_name" in layer else [""] * len(ids)
    scores = pd.to_numeric(layer[column], errors="coerce").tolist()
    class_of = dict(zip(RISK_COLORS, CLASS_LABELS))
    spots = layer["hotspot_class"].astype("string").fillna("").tolist() if "hotspot_class" in layer else None
    titles = []
    for i, ward in enumerate(ids):
        lines = [f"{inert(names[i])} ({inert(ward)})" if names[i] and names[i] != ward else inert(ward)]
        score = scores[i]
        if score is None or not np.isfinite(score):
            lines.append("Risk score: no data")
        else:
            lines.append(f"Risk score: {_fmt(score)} ({class_of[fills[i]]})")
        if spots is not None and spots[i]:
            lines.append(f"Hot spot (Gi*): {inert(spots[i])}")
        titles.append("&#10;".join(lines))  # one line of text: a Markdown HTML block ends at a blank line
    return titles


def _outlines(layer: pd.DataFrame, paths: list[str]) -> str:
    """Hot and cold spots: a white halo under each outline (so one of the two stands out on every fill), the
    outline's width and dashes saying how confident, as on the interactive map. Not a target of the pointer: the
    ward under it keeps its tooltip."""
    if "hotspot_class" not in layer:
        return ""
    codes = _category_codes(layer["hotspot_class"], [key for key, _, _, _ in HOTSPOT_STYLES])
    marked = [(code, d) for code, d in zip(codes.tolist(), paths) if code >= 0]
    if not marked:
        return ""
    halos, lines = [], []
    for code, d in marked:
        _, color, weight, dash = HOTSPOT_STYLES[code]
        halos.append(f'<path stroke-width="{weight + HALO_EXTRA:g}" d="{d}"/>')
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        lines.append(f'<path stroke="{color}" stroke-width="{weight:g}"{dashes} d="{d}"/>')
    common = 'fill="none" stroke-linejoin="round" pointer-events="none"'
    return (
        f'<g class="hotspot-halos" stroke="{HALO_COLOR}" {common}>{"".join(halos)}</g>'
        f'<g class="hotspot-outlines" {common}>{"".join(lines)}</g>'
    )
