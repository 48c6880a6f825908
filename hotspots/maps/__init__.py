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

*Small numbers.* Counts that the exports leave empty (:func:`hotspots.export.suppress_small_counts`, counts
from 1 to ``suppress_below - 1`` in ``count_columns``) show as "suppressed (< 5)" in the tooltips, never their
value: pass ``count_columns=result.count_columns, suppress_below=result.suppress_below``.

*Classes.* The class breaks come from :mod:`hotspots.classify` (the one implementation and list of schemes):
``breaks`` holds a :class:`~hotspots.classify.Classification` or its bins per score column, ``scheme`` names a
scheme for the others.

*Compact.* The HTML for 10,000 wards is a small fraction of a plain ``folium.Choropleth``: geometry is
simplified to a quarter of a pixel at the zoom that fits the city in 800x600 px (``shapely.coverage_simplify``,
so neighbours keep shared edges), quantised to 1e-5 degree and written once as a delta-encoded polyline string
(Google's polyline algorithm), decoded in the browser. All map layers are styles of that one set of polygons,
computed in a small JS function from per-ward class codes; tooltip values are sent column-wise and the tooltip
HTML is built on hover. Every string that comes from the data (ward names, IDs, column and dimension names,
title) is HTML-escaped in Python before it reaches the page.

*Fast re-render.* :func:`encode_geometry` is cached on a hash of the ward IDs and geometries, so a new map after a
weight change (only scores change) redoes the properties and the template, not the geometry.

Layout
------
:mod:`~hotspots.maps.assets` (offline Leaflet, standalone HTML), :mod:`~hotspots.maps.geometry` (encoding,
:func:`ward_at`), :mod:`~hotspots.maps.element` (the Leaflet element running ``static/risk_layers.js`` with
``static/map.css``, package data), :mod:`~hotspots.maps.views` (:func:`risk_map`, :func:`bivariate_map`, legends),
:mod:`~hotspots.maps.tooltips` (tooltip rows, labels, suppressed counts), :mod:`~hotspots.maps.static_map` (a PNG
and a one-page PDF for reports, drawn with Pillow; import it by name). Everything public is re-exported here.

Examples
--------
>>> m = risk_map(layer, indicators=["incidents"], title="Kolkata wards", synthetic=True)  # doctest: +SKIP
>>> open("map.html", "w", encoding="utf-8").write(map_html(m))  # doctest: +SKIP
>>> ward_at(layer, 22.57, 88.36)  # the ward under a click  # doctest: +SKIP
'KMC-046'
"""

from __future__ import annotations

from hotspots.maps.assets import OfflineMap, ensure_static_assets, map_html, offline_asset_urls
from hotspots.maps.element import TILES
from hotspots.maps.geometry import ALPHABET, encode_geometry, fitting_zoom, simplify_tolerance, ward_at
from hotspots.maps.views import (
    BACKGROUND_COLOR,
    BIVARIATE_STYLES,
    DEFAULT_DIMENSIONS,
    HALO_COLOR,
    HOTSPOT_NOTE,
    HOTSPOT_STYLES,
    LISA_STYLES,
    NO_DATA_COLOR,
    PROFILE_COLORS,
    RISK_COLORS,
    bivariate_map,
    risk_map,
)

__all__ = [
    "ALPHABET",
    "BACKGROUND_COLOR",
    "BIVARIATE_STYLES",
    "DEFAULT_DIMENSIONS",
    "HALO_COLOR",
    "HOTSPOT_NOTE",
    "HOTSPOT_STYLES",
    "LISA_STYLES",
    "NO_DATA_COLOR",
    "PROFILE_COLORS",
    "RISK_COLORS",
    "TILES",
    "OfflineMap",
    "bivariate_map",
    "encode_geometry",
    "ensure_static_assets",
    "fitting_zoom",
    "map_html",
    "offline_asset_urls",
    "risk_map",
    "simplify_tolerance",
    "ward_at",
]
