"""Offline, compact folium maps of a scored ward layer.

The last step of the data flow: a scored layer (see :func:`risk_map` for the columns) becomes one interactive
Leaflet map with a composite-risk layer, one layer per dimension score, the Gi* hot/cold spots as outlines and the
LISA clusters, each with its own legend, a tooltip per ward, and a badge when the data are synthetic.
``risk_map(..., compact=True)`` is the small version for maps side by side (collapsed layer control, badge only,
smaller legend). :func:`bivariate_map` draws bivariate local Moran clusters (one kind of risk in the ward against
another in its neighbours) with the same encoding, and :func:`ward_at` finds the ward under a clicked point.
The map script fits the wards into the part of the frame the legend and info box leave free.

Design
------
*No network at run time.* ``folium.Map`` normally loads Leaflet, jQuery, Bootstrap, Font Awesome and
awesome-markers from CDNs. :class:`OfflineMap` loads only Leaflet, from URLs given by :func:`offline_asset_urls`:
by default ``data:`` URLs built from the installed ``xstatic-leaflet`` package (the Leaflet images the CSS refers
to are inlined too). Legends, badge and note are plain HTML/CSS written by a :class:`branca.element.MacroElement`
(no branca colormap: its legend pulls d3 from a CDN). Tiles are optional (``tiles=None`` gives a plain light-grey
background, which also shows through when tiles requested cannot load).

*Standalone HTML.* :func:`map_html` renders the map with Leaflet's JS and CSS inlined: the file opens with no
network (what the app offers for download and what the command line writes).

*Streamlit.* streamlit-folium 0.27.4 does **not** bundle Leaflet in its component frontend. ``st_folium`` walks
the map's elements, collects every ``default_js`` / ``default_css`` URL, removes ``<script src>`` and
``<link rel=stylesheet>`` from the header, and the frontend then adds one ``<script src=...>`` per collected URL
(sequentially, and the map is never drawn if one fails to load: offline, folium's CDN links leave a blank
frame), one ``<link>`` per CSS URL, appends the rest of the header (our ``<style>``) and runs the map script. So
whatever URLs the map declares are what the component loads: the default ``data:`` URLs make
``st_folium(m, ...)`` work offline with no set-up (about 220 kB more per map mount over the local websocket).
The alternative is Streamlit static file serving: call :func:`ensure_static_assets` at app start-up (it copies
Leaflet from the installed xstatic package into ``static/hotspots-leaflet/`` next to ``app.py``), set
``[server] enableStaticServing = true`` in ``.streamlit/config.toml`` and pass
``assets=offline_asset_urls("static")``; ``static/`` must be git-ignored. (Streamlit >= 1.5x on Starlette serves
``.js``/``.css`` with their MIME types; older Tornado-based releases served them as ``text/plain`` with
``nosniff``, which browsers refuse to execute: another reason the ``data:`` default is preferred.)

*Compact.* The HTML for 10,000 wards is a small fraction of a plain ``folium.Choropleth``: geometry is
simplified to a quarter of a pixel at the zoom that fits the city in 800x600 px (``shapely.coverage_simplify``,
so neighbours keep shared edges), quantised to 1e-5 degree and written once as a delta-encoded polyline string
(Google's polyline algorithm), decoded in the browser. All map layers are styles of that one set of polygons,
computed in a small JS function from per-ward class codes; tooltip values are sent column-wise and the tooltip
HTML is built on hover. Every string that comes from the data (ward names, IDs, column and dimension names,
title) is HTML-escaped in Python before it reaches the page.

*Fast re-render.* :func:`encode_geometry` is cached on a hash of the ward IDs and geometries, so a new map after a
weight change (only scores change) redoes the properties and the template, not the geometry.

Examples
--------
>>> m = risk_map(layer, indicators=["incidents"], title="Kolkata wards", synthetic=True)  # doctest: +SKIP
>>> open("map.html", "w", encoding="utf-8").write(map_html(m))  # doctest: +SKIP
>>> ward_at(layer, 22.57, 88.36)  # the ward under a click  # doctest: +SKIP
'KMC-046'
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import re
import shutil
import warnings
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from jinja2 import Template

from hotspots.errors import DataError

__all__ = [
    "DEFAULT_DIMENSIONS",
    "OfflineMap",
    "bivariate_map",
    "encode_geometry",
    "ensure_static_assets",
    "map_html",
    "offline_asset_urls",
    "risk_map",
    "ward_at",
]

DEFAULT_DIMENSIONS = ("individual", "institutional", "ideological")

#: ColorBrewer YlOrRd, 5 classes (colour-blind safe, sequential).
RISK_COLORS = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
NO_DATA_COLOR = "#9e9e9e"
BACKGROUND_COLOR = "#e3e7ec"

#: Gi* classes drawn as outlines: (label, colour, weight, dash pattern).
HOTSPOT_STYLES = (
    ("hot spot 99%", "#b2182b", 4.0, ""),
    ("hot spot 95%", "#b2182b", 3.0, "8 4"),
    ("hot spot 90%", "#b2182b", 2.0, "2 4"),
    ("cold spot 99%", "#2166ac", 4.0, ""),
    ("cold spot 95%", "#2166ac", 3.0, "8 4"),
    ("cold spot 90%", "#2166ac", 2.0, "2 4"),
)
#: LISA clusters in GeoDa's colours.
LISA_STYLES = (
    ("high-high", "High-High", "#ff0000"),
    ("low-low", "Low-Low", "#0000ff"),
    ("high-low", "High-Low", "#f4ada8"),
    ("low-high", "Low-High", "#a7adf9"),
    ("not significant", "Not significant", "#eeeeee"),
)
#: Bivariate local Moran clusters: the first word is the ward's own value, the second its neighbours' (GeoDa's
#: colours, as the univariate clusters).
BIVARIATE_STYLES = LISA_STYLES
HOTSPOT_NOTE = "Hot spot = ward whose neighbourhood has significantly high risk (Gi*, permutation test, FDR)"

TILES = {
    "OpenStreetMap": "OpenStreetMap",
    "CartoDB positron": "CartoDB positron",
}

_ASSET_DIR_NAME = "hotspots-leaflet"
_STATIC_BASE_URL = "../../app/static/" + _ASSET_DIR_NAME


# --------------------------------------------------------------------------------------------------- Leaflet assets


def _leaflet_dir() -> Path:
    import xstatic.pkg.leaflet as xstatic_leaflet

    return Path(xstatic_leaflet.BASE_DIR)


@lru_cache(maxsize=1)
def _leaflet_js() -> str:
    text = (_leaflet_dir() / "leaflet.js").read_text(encoding="utf-8")
    text = re.sub(r"//# sourceMappingURL=\S+\s*$", "", text)
    return text.replace("</script", "<\\/script")


@lru_cache(maxsize=1)
def _leaflet_css() -> str:
    """Leaflet's CSS with the images it refers to inlined as ``data:`` URLs."""
    folder = _leaflet_dir()
    text = (folder / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match) -> str:
        data = (folder / match.group(1)).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(data).decode('ascii')})"

    return re.sub(r"url\((images/[\w.-]+\.png)\)", inline, text).replace("</style", "<\\/style")


def _leaflet_version() -> str:
    import xstatic.pkg.leaflet as xstatic_leaflet

    return str(xstatic_leaflet.VERSION)


def offline_asset_urls(mode: str = "data", *, base_url: str = _STATIC_BASE_URL) -> dict[str, list[tuple[str, str]]]:
    """URLs from which a map loads Leaflet, with no CDN.

    Parameters
    ----------
    mode : {"data", "static"}
        ``"data"`` (default): ``data:`` URLs holding Leaflet 1.9 JS and CSS from the installed xstatic-leaflet
        package; works everywhere (standalone files, ``st_folium``) with no set-up. ``"static"``: URLs of the
        files copied by :func:`ensure_static_assets` and served by Streamlit's static file serving.
    base_url : str
        Folder URL of the static copy. The default is relative to streamlit-folium's component frame
        (``<server>/component/streamlit_folium.st_folium/index.html``), so it also works under
        ``server.baseUrlPath``.

    Returns
    -------
    dict
        ``{"js": [(name, url)], "css": [(name, url)]}``, the form of folium's ``default_js``/``default_css``;
        pass it to :func:`risk_map` as ``assets``.
    """
    if mode == "data":
        js = base64.b64encode(_leaflet_js().encode("utf-8")).decode("ascii")
        css = base64.b64encode(_leaflet_css().encode("utf-8")).decode("ascii")
        return {
            "js": [("leaflet", f"data:text/javascript;base64,{js}")],
            "css": [("leaflet_css", f"data:text/css;base64,{css}")],
        }
    if mode == "static":
        base = base_url.rstrip("/")
        return {"js": [("leaflet", f"{base}/leaflet.js")], "css": [("leaflet_css", f"{base}/leaflet.css")]}
    raise DataError(f"Unknown asset mode {mode!r}: use 'data' (no set-up) or 'static' (Streamlit static serving).")


def ensure_static_assets(app_dir: str | Path) -> Path:
    """Copy Leaflet from the installed xstatic-leaflet package into ``<app_dir>/static/hotspots-leaflet``.

    Only for ``offline_asset_urls("static")``; call it once at app start-up. Files already up to date are left
    alone. ``static/`` is generated: keep it out of version control.

    Returns
    -------
    pathlib.Path
        The folder holding ``leaflet.js``, ``leaflet.css`` and ``images/``.
    """
    source = _leaflet_dir()
    target = Path(app_dir) / "static" / _ASSET_DIR_NAME
    (target / "images").mkdir(parents=True, exist_ok=True)
    files = ["leaflet.js", "leaflet.css"] + [f"images/{p.name}" for p in (source / "images").glob("*.png")]
    for name in files:
        src, dst = source / name, target / name
        if not dst.exists() or dst.stat().st_size != src.stat().st_size or dst.stat().st_mtime < src.stat().st_mtime:
            shutil.copy2(src, dst)
    return target


class OfflineMap(folium.Map):
    """A ``folium.Map`` that loads only Leaflet, from local URLs (no jQuery, Bootstrap, Font Awesome, CDN)."""

    def __init__(self, *args, assets: Mapping[str, list] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        assets = assets if assets is not None else offline_asset_urls("data")
        self.default_js = list(assets["js"])
        self.default_css = list(assets["css"])


# --------------------------------------------------------------------------------------------------------- geometry

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


# ------------------------------------------------------------------------------------------------------- properties


def _quantile_breaks(values: np.ndarray, k: int = 5) -> list[float]:
    """Upper bounds of ``k`` quantile classes, as ``mapclassify.Quantiles(values, k).bins``.

    Written with numpy (same percentiles, linear interpolation, duplicates dropped) because importing
    mapclassify takes seconds; other schemes go through mapclassify.
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return []
    return [float(b) for b in np.unique(np.percentile(finite, np.linspace(100 / k, 100, k)))]


#: Other classification schemes, by name (mapclassify classes, imported on use).
SCHEMES = {
    "equal_interval": "EqualInterval",
    "fisher_jenks": "FisherJenks",
    "natural_breaks": "NaturalBreaks",
    "jenks_caspall": "JenksCaspall",
}


def _scheme_breaks(values: np.ndarray, scheme: str, k: int = 5) -> list[float]:
    if scheme == "quantiles":
        return _quantile_breaks(values, k)
    if scheme not in SCHEMES:
        raise DataError(f"Unknown classification scheme {scheme!r}: use 'quantiles' or one of {sorted(SCHEMES)}.")
    import mapclassify

    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        classifier = getattr(mapclassify, SCHEMES[scheme])(finite, k=min(k, np.unique(finite).size))
    return [float(b) for b in np.unique(classifier.bins)]


def _check_breaks(column: str, breaks: Sequence[float]) -> list[float]:
    try:
        out = [float(b) for b in breaks]
    except (TypeError, ValueError):
        raise DataError(f"Class breaks for '{column}' must be numbers, got {breaks!r}.") from None
    if not out or len(out) > len(RISK_COLORS) or any(b2 <= b1 for b1, b2 in zip(out, out[1:])):
        raise DataError(
            f"Class breaks for '{column}' must be 1 to {len(RISK_COLORS)} increasing upper bounds, got {out}."
        )
    return out


def _class_colors(k: int) -> list[str]:
    # fewer classes than colours: spread them as hotspots.classify spreads the labels (one class = the middle)
    idx = np.round(np.linspace(0, len(RISK_COLORS) - 1, k)).astype(int) if k > 1 else [len(RISK_COLORS) // 2]
    return [RISK_COLORS[i] for i in idx]


def _codes(classes: np.ndarray) -> str:
    """One character per ward: '0'..'9' class index, '-' no data."""
    chars = np.where(classes >= 0, classes + ord("0"), ord("-")).astype(np.uint8)
    return chars.tobytes().decode("ascii")


def _fmt(x: float) -> str:
    if not np.isfinite(x):
        return "–"
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _legend_html(title: str, rows: list[tuple[str, str]], note: str = "") -> str:
    body = "".join(f'<div class="hs-row"><i style="{style}"></i>{label}</div>' for style, label in rows)
    note_html = f'<div class="hs-note">{note}</div>' if note else ""
    return f'<div class="hs-legend-title">{title}</div>{body}{note_html}'


def _score_view(label: str, values: np.ndarray, bins: list[float]) -> dict:
    colors = _class_colors(len(bins))
    finite = np.isfinite(values)
    classes = np.full(len(values), -1, dtype=np.int64)
    if bins:
        classes[finite] = np.minimum(np.searchsorted(bins, values[finite], side="left"), len(bins) - 1)
    rows = []
    for i, (upper, color) in enumerate(zip(bins, colors)):
        text = f"≤ {_fmt(upper)}" if i == 0 else f"{_fmt(bins[i - 1])} – {_fmt(upper)}"
        rows.append((f"background:{color}", text))
    rows.append((f"background:{NO_DATA_COLOR}", "No data"))
    return {"label": label, "cls": _codes(classes), "colors": colors, "legend": _legend_html(label, rows)}


def _category_codes(values: pd.Series, categories: Sequence[str]) -> np.ndarray:
    codes, uniques = pd.factorize(values.astype("string").str.strip().str.lower())
    lookup = np.array([list(categories).index(u) if u in categories else -1 for u in uniques] + [-1])
    return lookup[codes]  # code -1 (missing) picks the trailing -1


def _lisa_view(values: pd.Series) -> dict:
    classes = _category_codes(values, [key for key, _, _ in LISA_STYLES])
    rows = [(f"background:{color}", label) for _, label, color in LISA_STYLES]
    rows.append((f"background:{NO_DATA_COLOR}", "No data"))
    title = "Local Moran clusters (LISA)"
    return {
        "label": "LISA clusters",
        "cls": _codes(classes),
        "colors": [color for _, _, color in LISA_STYLES],
        "legend": _legend_html(title, rows, "High-High = high-risk ward among high-risk neighbours."),
    }


def _hotspot_overlay(values: pd.Series, compact: bool = False) -> dict:
    classes = _category_codes(values, [key for key, _, _, _ in HOTSPOT_STYLES])
    rows, note = [], ""
    if compact:  # two rows: the line style of each confidence level goes into a note
        for label, color, weight, _ in HOTSPOT_STYLES[::3]:
            style = f"background:transparent;border:{min(weight, 2.0):g}px solid {color}"
            rows.append((style, label.split()[0].capitalize() + " spot"))
        note = "99% solid, 95% dashed, 90% dotted"
    else:
        for label, color, weight, dash in HOTSPOT_STYLES:
            border = "dashed" if dash.startswith("8") else "dotted" if dash else "solid"
            rows.append((f"background:transparent;border:{weight:g}px {border} {color}", label.capitalize()))
    return {
        "label": "Hot/cold spots (Gi*)",
        "cls": _codes(classes),
        "styles": [{"color": c, "weight": w, "dashArray": d or None} for _, c, w, d in HOTSPOT_STYLES],
        "legend": _legend_html("Hot/cold spots (Gi*)", rows, note),
    }


def _bivariate_view(clusters: pd.Series, x_label: str, y_label: str) -> dict:
    classes = _category_codes(clusters, [key for key, _, _ in BIVARIATE_STYLES])
    rows = [(f"background:{color}", label) for _, label, color in BIVARIATE_STYLES]
    rows.append((f"background:{NO_DATA_COLOR}", "No data"))
    x, y = _label(x_label), _label(y_label).lower()
    return {
        "label": "Bivariate clusters",
        "cls": _codes(classes),
        "colors": [color for _, _, color in BIVARIATE_STYLES],
        "legend": _legend_html(
            f"{x} here × {y} around",
            rows,
            f"First word: {x.lower()} score of the ward. Second: mean {y} score of its neighbours.",
        ),
    }


def _numbers(values: pd.Series) -> list:
    """Numbers for the tooltip, to 3 significant digits of the column's largest value (None = no data)."""
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    finite = np.isfinite(x)
    if not finite.any():
        return [None] * len(x)
    top = float(np.max(np.abs(x[finite])))
    decimals = int(max(0, 2 - math.floor(math.log10(top)))) if top > 0 else 0
    r = np.round(np.where(finite, x, 0.0), decimals)
    out = r.astype(np.int64).tolist() if decimals == 0 or np.all(r == np.round(r)) else r.tolist()
    if not finite.all():
        out = [v if f else None for v, f in zip(out, finite.tolist())]
    return out


def _texts(values: pd.Series) -> dict:
    """A text column as escaped categories plus one code per ward (compact when labels repeat)."""
    codes, uniques = pd.factorize(values.astype("string").fillna("no data"))
    return {"cats": [html.escape(str(u)) for u in uniques], "codes": codes.tolist()}


def _escape_all(values: pd.Series) -> list[str]:
    """HTML-escaped text of every value ('' for missing), in one ``html.escape`` call when possible."""
    texts = values.astype("string").fillna("").tolist()
    joined = "\x1f".join(texts)
    if "\x1f" in "".join(texts):
        return [html.escape(t) for t in texts]
    return html.escape(joined).split("\x1f") if texts else []


def _label(column: str) -> str:
    return html.escape(column.replace("_", " ").strip().capitalize())


def _tooltip_rows(layer: gpd.GeoDataFrame, dimensions: Sequence[str], indicators: Sequence[str]) -> list[dict]:
    rows = [{"label": "Risk score (0–10)", "num": _numbers(layer["risk_score"])}]
    if "risk_class" in layer:
        rows.append({"label": "Risk class", **_texts(layer["risk_class"])})
    if "risk_rank" in layer:
        rows.append({"label": "Rank (1 = highest)", "num": _numbers(layer["risk_rank"])})
    for dim in dimensions:
        rows.append({"label": f"{_label(dim)} score", "num": _numbers(layer[f"{dim}_score"])})
    if "hotspot_class" in layer:
        rows.append({"label": "Hot spot (Gi*)", **_texts(layer["hotspot_class"])})
    if "gi_star_z" in layer:
        rows.append({"label": "Gi* z-score", "num": _numbers(layer["gi_star_z"])})
    if "lisa_cluster" in layer:
        rows.append({"label": "LISA cluster", **_texts(layer["lisa_cluster"])})
    if "coverage" in layer:
        rows.append({"label": "Data coverage (%)", "num": _numbers(100 * pd.to_numeric(layer["coverage"]))})
    if "population" in layer:
        rows.append({"label": "Population", "num": _numbers(layer["population"])})
    for col in indicators:
        rows.append({"label": html.escape(col), "num": _numbers(layer[col])})
    return rows


def _check_columns(layer: gpd.GeoDataFrame, dimensions: Sequence[str], indicators: Sequence[str]) -> None:
    if not isinstance(layer, gpd.GeoDataFrame):
        raise DataError("risk_map needs a GeoDataFrame of scored wards (the output of the scoring pipeline).")
    needed = ["ward_id", "risk_score"] + [f"{d}_score" for d in dimensions] + list(indicators)
    missing = [c for c in needed if c not in layer.columns]
    if missing:
        raise DataError(
            f"The scored layer lacks column(s) {', '.join(repr(c) for c in missing)}. "
            "Pass the dimensions and indicators that were used to score it, or score the layer first."
        )
    if len(layer) == 0:
        raise DataError("The scored layer has no wards.")


def _safe_json(obj) -> str:
    """JSON that can sit inside a ``<script>`` element that folium renders through Jinja again."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    if "{{" in text or "{%" in text or "{#" in text:  # Jinja syntax: only possible inside strings
        text = re.sub(r'"(?:[^"\\]|\\.)*"', lambda s: s.group(0).replace("{", "\\u007b"), text)
    return (
        text.replace("</", "<\\/").replace("<!--", "<\\!--").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    )


# ---------------------------------------------------------------------------------------------------------- the map

_CSS = """
.hs-map.leaflet-container{background:%(bg)s;font:13px/1.35 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
.hs-box{background:rgba(255,255,255,.93);padding:6px 9px;border-radius:5px;box-shadow:0 1px 4px rgba(0,0,0,.35);
 max-width:270px;color:#222}
.hs-legend-title{font-weight:600;margin-bottom:3px}
.hs-row{line-height:18px;white-space:nowrap}
.hs-row i{display:inline-block;width:22px;height:13px;margin:0 6px -2px 0;border:1px solid #999;box-sizing:border-box}
.hs-note{font-size:11px;color:#555;margin-top:4px;white-space:normal}
.hs-sep{border-top:1px solid #ccc;margin:6px 0}
.hs-title{font-weight:700;font-size:14px}
.hs-badge{display:inline-block;margin:3px 0;padding:2px 8px;border-radius:3px;background:#6a1b9a;color:#fff;
 font-weight:700;letter-spacing:.02em;text-transform:uppercase;font-size:11px}
.hs-tip table{border-collapse:collapse}.hs-tip th{text-align:left;font-weight:400;color:#555;padding:0 8px 0 0}
.hs-tip td{text-align:right;font-weight:600}
.hs-compact .hs-box{padding:3px 6px;max-width:160px;font-size:11px;line-height:1.25}
.hs-compact .hs-row{line-height:14px}
.hs-compact .hs-row i{width:14px;height:10px;margin:0 4px -1px 0}
.hs-compact .hs-legend-title{margin-bottom:1px}
.hs-compact .hs-note{font-size:10px;margin-top:2px}
.hs-compact .hs-sep{margin:3px 0}
.hs-compact .hs-badge{font-size:9px;padding:1px 5px;margin:0}
"""

_JS = r"""
(function () {
  var map = {{ this._parent.get_name() }};
  var D = {{ this.data_json }};
  var GEOM = {{ this.geometry_json }};
  map.getContainer().classList.add('hs-map');
  if (D.compact) map.getContainer().classList.add('hs-compact');
  var T = [], A = D.alphabet;
  for (var a = 0; a < A.length; a++) T[A.charCodeAt(a)] = a;
  function decode(s) {
    var wards = [], ward = [], poly = [], ring = [], i = 0, n = s.length, lat = 0, lng = 0, b, sh, r, c;
    while (i < n) {
      c = s.charCodeAt(i);
      if (c < 36) {
        poly.push(ring); ring = [];
        if (c !== 33) { ward.push(poly); poly = []; if (c === 32) { wards.push(ward); ward = []; } }
        i++; continue;
      }
      sh = 0; r = 0; do { b = T[s.charCodeAt(i++)]; r |= (b & 31) << sh; sh += 5; } while (b >= 32);
      lat += (r & 1) ? ~(r >> 1) : (r >> 1);
      sh = 0; r = 0; do { b = T[s.charCodeAt(i++)]; r |= (b & 31) << sh; sh += 5; } while (b >= 32);
      lng += (r & 1) ? ~(r >> 1) : (r >> 1);
      ring.push([lat / 1e5, lng / 1e5]);
    }
    poly.push(ring); ward.push(poly); wards.push(ward);
    return wards;
  }
  var shapes = decode(GEOM);
  function code(s, i) { var c = s.charCodeAt(i) - 48; return (c >= 0 && c <= 9) ? c : -1; }
  var current = D.views[0];
  function fillStyle(i) {
    var c = code(current.cls, i);
    return {stroke: true, color: D.line, weight: D.weight, opacity: 0.9, fill: true,
            fillColor: c >= 0 ? current.colors[c] : D.nodata, fillOpacity: D.opacity};
  }
  var wards = L.featureGroup();
  for (var i = 0; i < shapes.length; i++) {
    var p = L.polygon(shapes[i], fillStyle(i)); p._hs = i; wards.addLayer(p);
  }
  function cell(row, i) {
    if (row.num) { var v = row.num[i]; return (v === null || v === undefined) ? 'no data' : String(v); }
    return row.cats[row.codes[i]];
  }
  // The tooltip is a DOM element: streamlit-folium reports a click as content(layer).innerText, which the app
  // searches for "Ward ID: <id>" (the ID is followed by a line break).
  wards.bindTooltip(function (layer) {
    var i = layer._hs, d = document.createElement('div'), h = '<b>' + ((D.name && D.name[i]) || D.id[i]) + '</b><br>';
    h += '<span>Ward ID: ' + D.id[i] + '</span>\n<table>';
    for (var k = 0; k < D.rows.length; k++) {
      h += '<tr><th>' + D.rows[k].label + '</th><td>' + cell(D.rows[k], i) + '</td></tr>';
    }
    d.className = 'hs-tip'; d.innerHTML = h + '</table>';
    return d;
  }, {sticky: true});
  map.getContainer()._hsWards = wards;
  wards.on('mouseover', function (e) { e.layer.setStyle({weight: D.weight + 2, color: '#222'}); });
  wards.on('mouseout', function (e) { e.layer.setStyle({weight: D.weight, color: D.line}); });
  wards.addTo(map);
  var hot = null;
  if (D.hot) {
    hot = L.featureGroup();
    for (var j = 0; j < shapes.length; j++) {
      var h = code(D.hot.cls, j);
      if (h < 0) continue;
      var st = D.hot.styles[h];
      hot.addLayer(L.polygon(shapes[j], {fill: false, interactive: false, color: st.color, weight: st.weight,
                                          dashArray: st.dashArray, opacity: 1}));
    }
  }
  var legend = L.control({position: 'bottomright'});
  legend.onAdd = function () { this._div = L.DomUtil.create('div', 'hs-box hs-legend'); this.update(); return this._div; };
  legend.update = function () {
    var h = current.legend;
    if (hot && map.hasLayer(hot)) { h += '<div class="hs-sep"></div>' + D.hot.legend; }
    this._div.innerHTML = h;
  };
  legend.addTo(map);
  var info = null;
  if (D.info) {
    info = L.control({position: 'bottomleft'});
    info.onAdd = function () { var d = L.DomUtil.create('div', 'hs-box hs-info'); d.innerHTML = D.info; return d; };
    info.addTo(map);
  }
  var base = {}, overlays = {};
  for (var v = 0; v < D.views.length; v++) {
    var g = L.layerGroup(); g._hsView = D.views[v]; base[D.views[v].label] = g;
    if (v === 0) g.addTo(map);
  }
  if (hot) { overlays[D.hot.label] = hot; if (D.hot.shown) hot.addTo(map); }
  if (D.views.length > 1 || hot) {
    L.control.layers(base, overlays, {collapsed: !!D.collapsed, position: 'topright'}).addTo(map);
  }
  map.on('baselayerchange', function (e) {
    if (!e.layer._hsView) return;
    current = e.layer._hsView;
    wards.eachLayer(function (p) { p.setStyle(fillStyle(p._hs)); });
    legend.update();
  });
  map.on('overlayadd overlayremove', function () { legend.update(); });
  legend.update();
  // Fit the wards into the part of the frame the legend (and the info box) leave free, when they leave enough;
  // again when the frame is resized (streamlit-folium sizes its frame after the script ran), until the user
  // moves the map.
  var fitting = false, moved = false;
  function fitFree() {
    var free = map.getSize().x, right = legend.getContainer().offsetWidth + 12;
    var left = info ? info.getContainer().offsetWidth + 12 : 8;
    if (!D.bounds || free <= 0) return;
    if (left + right > 0.5 * free) left = 8;
    if (right > 0.4 * free) right = 8;
    fitting = true;
    map.fitBounds(D.bounds, {paddingTopLeft: [left, 8], paddingBottomRight: [right, 8], animate: false});
    fitting = false;
  }
  fitFree();
  map.on('dragstart zoomstart', function () { if (!fitting) moved = true; });  // not movestart: resizing pans
  map.on('resize', function () { if (!moved) fitFree(); });
  map.getContainer().setAttribute('data-hs-wards', String(wards.getLayers().length));
})();
"""


class _RawElement(Element):
    """Text put into the page as it is (branca's ``Element`` would compile it as a Jinja template again)."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


class _RiskLayers(MacroElement):
    """All ward layers, legends, tooltip and info box as one Leaflet script (no external resources).

    streamlit-folium calls the ``script`` macro directly; a figure render goes through :meth:`render`, which
    adds the macros' output as raw text: no second Jinja pass over a megabyte of data.
    """

    _template = Template(
        "{% macro header(this, kwargs) %}<style>" + _CSS % {"bg": BACKGROUND_COLOR} + "</style>{% endmacro %}"
        "{% macro script(this, kwargs) %}" + _JS + "{% endmacro %}"
    )

    def __init__(self, geometry: str, data: dict):
        super().__init__()
        self._name = "RiskLayers"
        self.geometry_json = _safe_json(geometry)
        self.data_json = _safe_json(data)

    def render(self, **kwargs) -> None:
        figure = self.get_root()
        module = self._template.module
        figure.header.add_child(_RawElement(module.header(self, kwargs)), name=self.get_name())
        figure.script.add_child(_RawElement(module.script(self, kwargs)), name=self.get_name())


def _info_html(title: str, synthetic: bool, has_hotspots: bool, compact: bool = False) -> str:
    if compact:  # only the badge ('' = no info box)
        return '<div class="hs-badge">Synthetic demo data</div>' if synthetic else ""
    parts = []
    if title:
        parts.append(f'<div class="hs-title">{html.escape(title)}</div>')
    if synthetic:
        parts.append('<div class="hs-badge">Synthetic demo data</div>')
    if has_hotspots:
        parts.append(f'<div class="hs-note">{html.escape(HOTSPOT_NOTE)}</div>')
    parts.append('<div class="hs-note">Scores 0–10, higher = more risk factors present. Grey = no data.</div>')
    return "".join(parts)


def risk_map(
    layer: gpd.GeoDataFrame,
    *,
    dimensions: Sequence[str] = DEFAULT_DIMENSIONS,
    indicators: Sequence[str] = (),
    breaks: Mapping[str, Sequence[float]] | None = None,
    scheme: str = "quantiles",
    title: str = "",
    synthetic: bool = False,
    tiles: str | None = None,
    show_hotspots: bool = True,
    show_lisa: bool = True,
    simplify: bool = True,
    assets: Mapping[str, list] | None = None,
    width: int = 800,
    height: int = 600,
    compact: bool = False,
) -> OfflineMap:
    """Interactive map of a scored ward layer, loading nothing from the network.

    Parameters
    ----------
    layer : geopandas.GeoDataFrame
        Scored wards (EPSG:4326, or any CRS: reprojected): ``ward_id``, optional ``ward_name``, ``risk_score``,
        ``<dimension>_score`` per dimension, the ``indicators`` columns, and optionally ``risk_class``,
        ``risk_rank``, ``coverage``, ``population``, ``hotspot_class`` (+ ``gi_star_z``), ``lisa_cluster``.
        Scores are 0-10 with NaN for no data.
    dimensions : sequence of str
        Dimension names; each gives a map layer from ``<dimension>_score``.
    indicators : sequence of str
        Raw indicator columns shown in the tooltip.
    breaks : mapping, optional
        Class upper bounds (up to 5, increasing) per score column, e.g. ``{"risk_score": [2, 4, 6, 8, 10]}``.
        Columns not given get 5 classes by ``scheme``.
    scheme : str
        ``"quantiles"`` (default, as ``mapclassify.Quantiles``) or a name in :data:`SCHEMES` (mapclassify).
    title : str
        Shown in the info box (escaped).
    synthetic : bool
        Show a "Synthetic demo data" badge.
    tiles : {None, "OpenStreetMap", "CartoDB positron"}
        Optional background tiles (need network); ``None`` (default) gives a plain grey background.
    show_hotspots, show_lisa : bool
        Add the Gi* hot/cold spot outlines (shown) and the LISA cluster layer, when their columns exist.
    simplify : bool
        Simplify geometry to a quarter pixel at the zoom that fits the city (default). ``False`` keeps every
        vertex (still rounded to 1e-5 degree).
    assets : mapping, optional
        Where Leaflet is loaded from: :func:`offline_asset_urls` (default ``data:`` URLs).
    width, height : int
        Map size in pixels assumed for the simplification tolerance.
    compact : bool
        For small maps side by side: the layer control is collapsed to an icon, the info box is dropped (only
        the synthetic badge stays), the legends are smaller and the hot/cold spot legend has two rows.

    Returns
    -------
    OfflineMap
        Render with :func:`map_html` for a standalone file, or pass to ``streamlit_folium.st_folium``.

    Raises
    ------
    DataError
        Missing columns, bad breaks, wards without polygon geometry, unknown tiles.
    """
    dimensions, indicators = list(dimensions), list(indicators)
    _check_columns(layer, dimensions, indicators)
    _check_tiles(tiles)
    if layer.crs is not None and not layer.crs.equals("EPSG:4326"):
        layer = layer.to_crs(4326)
    geometry = encode_geometry(layer, width=width, height=height, pixels=0.25 if simplify else 0.0)

    breaks = dict(breaks or {})
    views = []
    for column, label in [("risk_score", "Composite risk")] + [
        (f"{d}_score", f"{_label(d)} score") for d in dimensions
    ]:
        values = pd.to_numeric(layer[column], errors="coerce").to_numpy(dtype=float)
        bins = _check_breaks(column, breaks[column]) if column in breaks else _scheme_breaks(values, scheme)
        views.append(_score_view(label, values, bins))
    has_lisa = show_lisa and "lisa_cluster" in layer
    if has_lisa:
        views.append(_lisa_view(layer["lisa_cluster"]))
    has_hot = show_hotspots and "hotspot_class" in layer
    hot = _hotspot_overlay(layer["hotspot_class"], compact) if has_hot else None
    if hot is not None:
        hot["shown"] = True
    data = _map_data(
        layer,
        views=views,
        hot=hot,
        rows=_tooltip_rows(layer, dimensions, indicators),
        info=_info_html(title, synthetic, has_hot, compact),
        tiles=tiles,
        compact=compact,
    )
    return _make_map(layer, geometry, data, tiles=tiles, assets=assets, width=width, height=height)


def _check_tiles(tiles: str | None) -> None:
    if tiles is not None and tiles not in TILES:
        raise DataError(f"Unknown tiles {tiles!r}: use None (plain background), {' or '.join(map(repr, TILES))}.")


def _map_data(layer, *, views, hot, rows, info, tiles, compact) -> dict:
    """The per-ward data object of the map script (every string already escaped)."""
    n = len(layer)
    return {
        "alphabet": ALPHABET,
        "views": views,
        "hot": hot,
        "id": _escape_all(layer["ward_id"]),
        "name": _escape_all(layer["ward_name"]) if "ward_name" in layer else None,
        "rows": rows,
        "info": info,
        "compact": bool(compact),
        "collapsed": bool(compact),
        "nodata": NO_DATA_COLOR,
        "line": "#ffffff" if n <= 3000 else "#f7f7f7",
        "weight": 1.0 if n <= 3000 else 0.4,
        "opacity": 0.75 if tiles else 0.9,
    }


def _make_map(layer, geometry: str, data: dict, *, tiles, assets, width: int, height: int) -> OfflineMap:
    n = len(layer)
    minx, miny, maxx, maxy = shapely.total_bounds(layer.geometry.values)
    m = OfflineMap(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=max(0, math.floor(fitting_zoom((minx, miny, maxx, maxy), width, height))),
        tiles=None,
        prefer_canvas=n > 2000,  # SVG paths for a city, canvas for a national run
        control_scale=True,
        zoom_snap=0.25,  # fit the city to the frame in quarter zoom steps, not whole ones (up to 2x too small)
        assets=assets,
    )
    if tiles is not None:
        folium.TileLayer(TILES[tiles], control=False).add_to(m)
    # Fitted by the map script, beside the legend (folium's fit_bounds would animate over that fit).
    data["bounds"] = [[float(miny), float(minx)], [float(maxy), float(maxx)]]
    _RiskLayers(geometry, data).add_to(m)
    return m


def bivariate_map(
    layer: gpd.GeoDataFrame,
    clusters: pd.DataFrame | pd.Series | Sequence[str],
    x_label: str,
    y_label: str,
    *,
    x_column: str | None = None,
    y_column: str | None = None,
    title: str = "",
    synthetic: bool = False,
    tiles: str | None = None,
    compact: bool = False,
    simplify: bool = True,
    assets: Mapping[str, list] | None = None,
    width: int = 800,
    height: int = 600,
) -> OfflineMap:
    """Map of bivariate local Moran clusters: where one kind of risk is high and the next wards are high in another.

    Same offline, compact encoding as :func:`risk_map` (one layer, no layer control), with GeoDa's cluster colours:
    High-High red, Low-Low blue, High-Low pink, Low-High light blue, not significant light grey, no data grey.

    Parameters
    ----------
    layer : geopandas.GeoDataFrame
        Wards with ``ward_id`` (optional ``ward_name``), in the row order of ``clusters``.
    clusters : DataFrame, Series or sequence of str
        One cluster per ward (``"high-high"``, ``"low-low"``, ``"high-low"``, ``"low-high"``, ``"not
        significant"``, ``"no data"``), or the ``frame`` of
        :func:`hotspots.spatial.bivariate_local_moran` (``bv_cluster``; ``bv_i`` and ``bv_p_adj`` go into the
        tooltip). Matched to ``layer`` by position.
    x_label, y_label : str
        The ward's own variable and its neighbours' variable, e.g. ``"individual"``, ``"institutional"``
        (escaped).
    x_column, y_column : str, optional
        Columns of ``layer`` shown in the tooltip; default ``<label>_score`` when the layer has it.
    title, synthetic, tiles, simplify, assets, width, height
        As in :func:`risk_map`.
    compact : bool
        Drop the info box (only the synthetic badge stays) and use a smaller legend.

    Returns
    -------
    OfflineMap

    Examples
    --------
    >>> bv = bivariate_local_moran(layer["individual_score"], layer["institutional_score"], graph)  # doctest: +SKIP
    >>> m = bivariate_map(layer, bv.frame, "individual", "institutional", synthetic=True)  # doctest: +SKIP
    """
    if not isinstance(layer, gpd.GeoDataFrame) or "ward_id" not in layer.columns:
        raise DataError("bivariate_map needs a GeoDataFrame of wards with a 'ward_id' column.")
    if len(layer) == 0:
        raise DataError("The ward layer has no wards.")
    statistics = clusters if isinstance(clusters, pd.DataFrame) else None
    if statistics is not None:
        if "bv_cluster" not in statistics.columns:
            raise DataError(
                "The clusters frame has no 'bv_cluster' column: pass bivariate_local_moran(...).frame or a "
                "sequence of cluster labels."
            )
        labels = pd.Series(statistics["bv_cluster"].to_numpy(), dtype=object)
    else:
        labels = pd.Series(np.asarray(clusters, dtype=object), dtype=object)
    if labels.ndim != 1 or len(labels) != len(layer):
        raise DataError(f"Got {len(labels)} cluster label(s) for {len(layer)} wards: give one per ward, in order.")
    x_column = x_column if x_column is not None else _default_column(layer, x_label)
    y_column = y_column if y_column is not None else _default_column(layer, y_label)
    missing = [c for c in (x_column, y_column) if c is not None and c not in layer.columns]
    if missing:
        raise DataError(f"The ward layer lacks column(s) {', '.join(map(repr, missing))} for the tooltip.")
    _check_tiles(tiles)
    if layer.crs is not None and not layer.crs.equals("EPSG:4326"):
        layer = layer.to_crs(4326)
    geometry = encode_geometry(layer, width=width, height=height, pixels=0.25 if simplify else 0.0)

    rows = []
    for column, label in dict.fromkeys([(x_column, x_label), (y_column, y_label)]):  # once when x is y
        if column is not None:
            rows.append({"label": f"{_label(label)} score", "num": _numbers(layer[column])})
    rows.append({"label": "Bivariate cluster", **_texts(labels)})
    if statistics is not None:
        for column, label in (("bv_i", "Bivariate local I"), ("bv_p_adj", "p-value (corrected)")):
            if column in statistics.columns:
                rows.append({"label": label, "num": _numbers(pd.Series(statistics[column].to_numpy()))})
    info = _info_html(title, synthetic, False, compact) if compact else _bivariate_info(title, synthetic)
    data = _map_data(
        layer,
        views=[_bivariate_view(labels, x_label, y_label)],
        hot=None,
        rows=rows,
        info=info,
        tiles=tiles,
        compact=compact,
    )
    return _make_map(layer, geometry, data, tiles=tiles, assets=assets, width=width, height=height)


def _default_column(layer: gpd.GeoDataFrame, label: str) -> str | None:
    column = f"{label}_score"
    return column if column in layer.columns else None


def _bivariate_info(title: str, synthetic: bool) -> str:
    parts = [f'<div class="hs-title">{html.escape(title)}</div>'] if title else []
    if synthetic:
        parts.append('<div class="hs-badge">Synthetic demo data</div>')
    return "".join(parts)


# ------------------------------------------------------------------------------------------------------------ clicks


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


def map_html(m: folium.Map) -> str:
    """Standalone HTML of a map with Leaflet's JS and CSS inlined: opens with no network.

    Examples
    --------
    >>> Path("map.html").write_text(map_html(risk_map(layer)), encoding="utf-8")  # doctest: +SKIP
    """
    marker_js, marker_css = "hotspots-inline-leaflet-js", "hotspots-inline-leaflet-css"
    saved = m.__dict__.get("default_js"), m.__dict__.get("default_css")
    m.default_js, m.default_css = [("leaflet", marker_js)], [("leaflet_css", marker_css)]
    try:
        text = m.get_root().render()
    finally:
        for name, value in zip(("default_js", "default_css"), saved):
            if value is None:
                m.__dict__.pop(name, None)
            else:
                setattr(m, name, value)
    version = _leaflet_version()
    text = text.replace(
        f'<script src="{marker_js}"></script>',
        f"<script>/* Leaflet {version}, inlined from xstatic-leaflet */\n{_leaflet_js()}</script>",
        1,
    )
    text = text.replace(f'<link rel="stylesheet" href="{marker_css}"/>', f"<style>{_leaflet_css()}</style>", 1)
    if marker_js in text or marker_css in text:  # pragma: no cover - folium changed its link markup
        raise RuntimeError("Could not inline Leaflet into the map HTML: folium's link markup changed.")
    return text
