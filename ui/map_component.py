"""The risk map as a Streamlit component that draws the map once and restyles it on every rerun.

``st_folium`` remounts the whole Leaflet map on every rerun (and re-sends Leaflet itself as ``data:`` URLs); this
component (``ui/map_frontend/index.html``) keeps one Leaflet map per key and, when only the data change (a weight
moved), restyles the drawn ward polygons through the update function of ``hotspots/maps/static/risk_layers.js``.
Leaflet is served once, as a static file: :func:`hotspots.maps.ensure_static_assets` copies it into the app's
``static/`` folder and ``.streamlit/config.toml`` turns on ``server.enableStaticServing``. Without static serving
the component still works, with Leaflet sent as ``data:`` URLs (the old cost).

The value returned is the last click, in the form ``st_folium`` returns it
(``last_object_clicked_tooltip``, ``last_object_clicked``), or ``None``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components

from hotspots.maps import offline_asset_urls
from ui.cache import static_leaflet


def app_dir() -> Path:
    """The folder of app.py, whose ``static/`` Streamlit serves."""
    return Path(__file__).resolve().parent.parent


@cache
def _component():
    return components.declare_component("hotspots_map", path=str(Path(__file__).resolve().parent / "map_frontend"))


def _leaflet_fallback() -> dict | None:
    """Leaflet as ``data:`` URLs when Streamlit does not serve ``static/`` (else None: the frame loads the files)."""
    if st.get_option("server.enableStaticServing"):
        static_leaflet(str(app_dir()))
        return None
    urls = offline_asset_urls("data")
    return {"js": urls["js"][0][1], "css": urls["css"][0][1]}


def risk_map_component(parts: dict, *, key: str, name: str, height: int) -> dict | None:
    """Draw a map (:func:`ui.cache.drawn_map`) in the component with this key; return the last click on it.

    Keep ``key`` the same across reruns: the component then updates the map already drawn instead of drawing a
    new one. ``name`` says which map it is (the city): a click made on another map is not returned.
    """
    click = _component()(key=key, default=None, height=height, name=name, leaflet=_leaflet_fallback(), **parts)
    return click if isinstance(click, dict) and click.get("map") == name else None
