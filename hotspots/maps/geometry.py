"""Ward geometry for the map: simplified, quantised, polyline-encoded once; and the ward under a click.

The HTML for 10,000 wards is a small fraction of a plain ``folium.Choropleth``: geometry is simplified to a quarter
of a pixel at the zoom that fits the city in 800x600 px (``shapely.coverage_simplify``, so neighbours keep shared
edges), quantised to 1e-5 degree and written once as a delta-encoded polyline string (Google's polyline algorithm),
decoded in the browser by ``static/risk_layers.js``. :func:`encode_geometry` is cached on a hash of the ward IDs
and geometries, so a new map after a weight change (only scores change) does not redo the geometry.
:func:`ward_at` finds the ward under a clicked point.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from collections import OrderedDict
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import shapely

from hotspots.errors import DataError

_GEOMETRY_CACHE: OrderedDict[str, str] = OrderedDict()
_GEOMETRY_CACHE_SIZE = 8


def fitting_zoom(bounds: Sequence[float], width: int = 800, height: int = 600) -> float:
    """Web Mercator zoom at which ``bounds`` (minx, miny, maxx, maxy in degrees) fill ``width`` x ``height`` px."""
    minx, miny, maxx, maxy = bounds

    def merc_y(lat: float) -> float:
        lat = max(min(lat, 85.0), -85.0)
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / (2 * math.pi)

    dx = max((maxx - minx) / 360.0, 1e-12)
    dy = max(merc_y(maxy) - merc_y(miny), 1e-12)
    return min(math.log2(width / (256 * dx)), math.log2(height / (256 * dy)), 22.0)


def simplify_tolerance(bounds: Sequence[float], width: int = 800, height: int = 600, pixels: float = 0.25) -> float:
    """``pixels`` screen pixels, in degrees, at the zoom that fits ``bounds`` in the map (never coarser)."""
    zoom = math.floor(fitting_zoom(bounds, width, height))
    max_abs_lat = min(max(abs(bounds[1]), abs(bounds[3])), 85.0)
    return pixels * 360.0 / (256 * 2**zoom) * math.cos(math.radians(max_abs_lat))


def _simplify(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if bool(shapely.coverage_is_valid(geoms)):
                simple = shapely.coverage_simplify(geoms, tolerance)
            else:
                simple = shapely.simplify(geoms, tolerance, preserve_topology=True)
    except (shapely.errors.GEOSException, ValueError):
        simple = shapely.simplify(geoms, tolerance, preserve_topology=True)
    broken = shapely.is_empty(simple) | ~shapely.is_valid(simple)
    simple[broken] = geoms[broken]
    return simple


#: 64 characters for 6-bit chunks (Google's polyline algorithm uses chr(63)..chr(126)). This alphabet has no
#: '"' or '\\' (no JSON escaping), no '<' (cannot close a <script>) and no '{' (folium renders every script
#: through Jinja a second time: '{{', '{%' or '{#' would be read as template syntax). Markers ' ', '!', '#'
#: lie below it.
ALPHABET = "".join(chr(c) for c in [*range(36, 60), *range(61, 92), *range(93, 102)])
_ALPHABET_CODES = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)


def _zigzag_polyline(values: np.ndarray, prefixes: np.ndarray) -> str:
    """Polyline characters (in :data:`ALPHABET`) for integer ``values``, each after ``prefixes`` (0 = none)."""
    zz = np.where(values < 0, ~(values << 1), values << 1).astype(np.int64)
    nbits = np.maximum(np.floor(np.log2(np.maximum(zz, 1))).astype(np.int64) + 1, 1)
    nchunks = (nbits + 4) // 5
    width = int(nchunks.max()) if len(nchunks) else 1
    k = np.arange(width)
    chunks = (zz[:, None] >> (5 * k[None, :])) & 31
    chunks = chunks | np.where(k[None, :] < (nchunks[:, None] - 1), 0x20, 0)
    chunks = _ALPHABET_CODES[chunks]
    chars = np.concatenate([prefixes[:, None], chunks], axis=1)
    keep = np.concatenate([(prefixes > 0)[:, None], k[None, :] < nchunks[:, None]], axis=1)
    return chars[keep].astype(np.uint8).tobytes().decode("ascii")


def _encode(geoms: np.ndarray) -> str:
    kind, coords, offsets = shapely.to_ragged_array(geoms)
    if kind == shapely.GeometryType.POLYGON:
        ring_off, part_off = offsets
        geom_off = np.arange(len(geoms) + 1)
    else:
        ring_off, part_off, geom_off = offsets
    # lat, lng in 1e-5 degree; drop each ring's closing vertex (Leaflet closes rings).
    q = np.round(coords[:, ::-1] * 1e5).astype(np.int64)
    n = len(q)
    ring_start = np.zeros(n, dtype=bool)
    ring_start[ring_off[:-1]] = True
    keep = np.ones(n, dtype=bool)
    keep[ring_off[1:] - 1] = False
    # drop vertices that repeat the previous one after rounding (never a ring's first vertex)
    same = np.zeros(n, dtype=bool)
    same[1:] = np.all(q[1:] == q[:-1], axis=1)
    keep &= ~(same & ~ring_start)
    # marker before each ring: ' ' new ward, '#' new polygon of the same ward, '!' hole
    marker = np.zeros(n, dtype=np.int64)
    marker[ring_off[:-1]] = ord("!")
    marker[ring_off[part_off[:-1]]] = ord("#")
    marker[ring_off[part_off[geom_off[:-1]]]] = ord(" ")
    marker[0] = 0
    q, marker = q[keep], marker[keep]
    deltas = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    values = deltas.reshape(-1)
    prefixes = np.zeros(len(values), dtype=np.int64)
    prefixes[0::2] = marker
    return _zigzag_polyline(values, prefixes)


def _check_geometry(layer: gpd.GeoDataFrame) -> np.ndarray:
    if layer.crs is None:
        raise DataError("The ward layer has no CRS: set it with layer.set_crs(...) (the map needs EPSG:4326).")
    if not layer.crs.equals("EPSG:4326"):
        layer = layer.to_crs(4326)
    geoms = np.asarray(layer.geometry.values, dtype=object)
    bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    bad |= ~np.isin(shapely.get_type_id(geoms), [3, 6])
    if bad.any():
        ids = layer["ward_id"].astype(str).to_numpy()[bad][:20].tolist()
        raise DataError(
            f"{int(bad.sum())} ward(s) have a missing, empty or non-polygon geometry: {', '.join(ids)}. "
            "Every ward needs a (Multi)Polygon boundary; fix or drop these rows."
        )
    return geoms


def encode_geometry(layer: gpd.GeoDataFrame, *, width: int = 800, height: int = 600, pixels: float = 0.25) -> str:
    """Simplified, quantised, polyline-encoded ward geometry, cached on the ward IDs and geometries.

    Geometry is simplified to ``pixels`` screen pixels at the zoom that fits the layer in a ``width`` x ``height``
    map (coverage simplification, so shared edges stay shared), rounded to 1e-5 degree (about 1 m) and written as
    one string: Google polyline deltas (lat, lng) written in :data:`ALPHABET`, continuous over the whole
    string, with ``' '`` before each
    ward, ``'#'`` before each further polygon of a ward and ``'!'`` before each hole. The string has exactly one
    ward per row of ``layer``, in order.

    Returns
    -------
    str
    """
    geoms = _check_geometry(layer)
    digest = hashlib.blake2b(digest_size=20)
    digest.update("\x1f".join(layer["ward_id"].astype(str)).encode("utf-8"))
    digest.update(b"".join(shapely.to_wkb(geoms)))
    digest.update(f"{width}x{height}@{pixels}".encode())
    key = digest.hexdigest()
    if key in _GEOMETRY_CACHE:
        _GEOMETRY_CACHE.move_to_end(key)
        return _GEOMETRY_CACHE[key]
    if pixels > 0:
        geoms = _simplify(geoms, simplify_tolerance(shapely.total_bounds(geoms), width, height, pixels))
    text = _encode(geoms)
    _GEOMETRY_CACHE[key] = text
    while len(_GEOMETRY_CACHE) > _GEOMETRY_CACHE_SIZE:
        _GEOMETRY_CACHE.popitem(last=False)
    return text


def ward_at(layer: gpd.GeoDataFrame, lat: float, lng: float) -> str | None:
    """The ``ward_id`` of the ward containing a point (e.g. a click on the map), or ``None`` outside every ward.

    Candidates come from the layer's spatial index (an STRtree, built once per layer and kept by geopandas), then
    one vectorised :func:`shapely.contains_xy` test; a point exactly on a shared edge goes to the first ward (in
    row order) that touches it.

    Parameters
    ----------
    layer : geopandas.GeoDataFrame
        Wards with ``ward_id``; in EPSG:4326 (other CRSs are reprojected, which is slower).
    lat, lng : float
        WGS 84 latitude and longitude (Leaflet's ``latlng``).

    Examples
    --------
    >>> ward_at(result.layer, 22.57, 88.36)  # doctest: +SKIP
    'KMC-046'
    """
    try:
        lat, lng = float(lat), float(lng)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lng)) or len(layer) == 0:
        return None
    if layer.crs is not None and not layer.crs.equals("EPSG:4326"):
        layer = layer.to_crs(4326)
    candidates = np.sort(layer.sindex.query(shapely.Point(lng, lat)))
    if len(candidates) == 0:
        return None
    geoms = np.asarray(layer.geometry.values, dtype=object)[candidates]
    inside = shapely.contains_xy(geoms, lng, lat)
    if not inside.any():  # on a boundary: contains_xy is False there
        inside = shapely.intersects_xy(geoms, lng, lat)
    if not inside.any():
        return None
    return str(layer["ward_id"].iloc[int(candidates[np.argmax(inside)])])
