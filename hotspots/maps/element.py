"""The Leaflet element of a map: the data and geometry of every ward, drawn by the package's own script.

:class:`RiskLayers` puts ``static/risk_layers.js`` (a function of the map, the data object and the encoded
geometry) and ``static/map.css`` into the page, with the data as JSON that is safe inside a ``<script>``;
:func:`make_map` builds the :class:`~hotspots.maps.assets.OfflineMap` around it.
"""

from __future__ import annotations

import json
import math
import re

import folium
import shapely
from branca.element import Element, MacroElement
from folium.utilities import camelize
from jinja2 import Template

from hotspots.maps.assets import OfflineMap, static_text
from hotspots.maps.geometry import fitting_zoom

#: Background tiles a map may ask for (they need network; the default is none).
TILES = {
    "OpenStreetMap": "OpenStreetMap",
    "CartoDB positron": "CartoDB positron",
}


def _safe_json(obj) -> str:
    """JSON that can sit inside a ``<script>`` element that folium renders through Jinja again."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    if "{{" in text or "{%" in text or "{#" in text:  # Jinja syntax: only possible inside strings
        text = re.sub(r'"(?:[^"\\]|\\.)*"', lambda s: s.group(0).replace("{", "\\u007b"), text)
    return (
        text.replace("</", "<\\/").replace("<!--", "<\\!--").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    )


class _RawElement(Element):
    """Text put into the page as it is (branca's ``Element`` would compile it as a Jinja template again)."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


def _static(name: str) -> str:
    """The map's own script or style sheet; refuses text that Jinja or the HTML parser would read."""
    text = static_text(name).strip()
    if re.search(r"\{[{%#]|</(script|style)", text, re.I):  # pragma: no cover - guarded by a test
        raise RuntimeError(f"hotspots/maps/static/{name} holds Jinja syntax or closes its element.")
    return text


class RiskLayers(MacroElement):
    """All ward layers, legends, tooltip and info box as one Leaflet script (no external resources).

    The script is ``static/risk_layers.js``, a function of (map, data, geometry); the style sheet
    ``static/map.css``. streamlit-folium calls the ``script`` macro directly; a figure render goes through
    :meth:`render`, which adds the macros' output as raw text: no second Jinja pass over a megabyte of data.
    """

    _template = Template(
        "{% macro header(this, kwargs) %}<style>{{ this.style_css }}</style>{% endmacro %}"
        "{% macro script(this, kwargs) %}(function () {\n"
        "  var D = {{ this.data_json }};\n"
        "  var GEOM = {{ this.geometry_json }};\n"
        "  {{ this.layers_js }}({{ this._parent.get_name() }}, D, GEOM);\n"
        "})();\n{% endmacro %}"
    )

    def __init__(self, geometry: str, data: dict):
        super().__init__()
        self._name = "RiskLayers"
        self.geometry_json = _safe_json(geometry)
        self.data_json = _safe_json(data)
        self.layers_js = _static("risk_layers.js")
        self.style_css = _static("map.css")

    def render(self, **kwargs) -> None:
        figure = self.get_root()
        module = self._template.module
        figure.header.add_child(_RawElement(module.header(self, kwargs)), name=self.get_name())
        figure.script.add_child(_RawElement(module.script(self, kwargs)), name=self.get_name())


def make_map(layer, geometry: str, data: dict, *, tiles, assets, width: int, height: int) -> OfflineMap:
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
    RiskLayers(geometry, data).add_to(m)
    return m


def map_parts(m: folium.Map) -> dict:
    """What a page needs to draw ``m`` with its own Leaflet: map options, tiles, script, style, data and geometry.

    For a front end that draws the map once and then only restyles it (the app's map component): ``geometry`` is
    the encoded geometry (:func:`~hotspots.maps.geometry.encode_geometry`, a string) and ``data`` the JSON text of
    the data object of ``static/risk_layers.js``; ``layers_js`` returns ``{wards, update(data)}``, where ``update``
    restyles the drawn wards for new data on the same geometry.
    """
    layers = next((child for child in m._children.values() if isinstance(child, RiskLayers)), None)
    if layers is None:
        raise ValueError("The map has no ward layers: make it with hotspots.maps.risk_map or bivariate_map.")
    tiles = [
        {"url": child.tiles, "options": {camelize(k): v for k, v in child.options.items()}}
        for child in m._children.values()
        if isinstance(child, folium.TileLayer)
    ]
    options = {camelize(k): v for k, v in m.options.items()}
    return {
        "center": [float(c) for c in m.location],
        "options": {**options, "zoomSnap": 0.25},
        "scale": bool(m.control_scale),
        "tiles": tiles,
        "layers_js": layers.layers_js,
        "style_css": layers.style_css,
        "data": layers.data_json,
        "geometry": json.loads(layers.geometry_json),
    }
