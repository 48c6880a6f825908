"""The app's maps as a Streamlit component that draws a map once and restyles it on every rerun.

``st_folium`` remounts the whole Leaflet map on every rerun (and re-sends Leaflet itself as ``data:`` URLs); this
component (``ui/map_frontend/index.html``) keeps one Leaflet map per key and, when only the data change (a weight
moved), restyles the drawn ward polygons through the update function of ``hotspots/maps/static/risk_layers.js``.
Leaflet is served once, as a static file: :func:`hotspots.maps.ensure_static_assets` copies it into the app's
``static/`` folder and ``.streamlit/config.toml`` turns on ``server.enableStaticServing``. Without static serving
the component still works, with Leaflet sent as ``data:`` URLs (the old cost). Every map of the app goes through
:func:`risk_map_component`: the risk map, the Interactions tab's bivariate map and the Compare tab's maps (the room
wall's maps are SVG pictures: :mod:`hotspots.maps.svg_map`), and through :func:`folium_map_component` the Scenarios
tab's maps and the certainty map (versioned by a digest of what they show).

Each map state carries a *version* (from the cache keys of what it shows) and a *sequence number* (counted per
session, new for each new version of a map): the frame draws nothing for a version it already shows and drops a
state older than the one it drew, so that after quick slider nudges the map ends on the last state sent.

The value returned is the last click, in the form ``st_folium`` returns it
(``last_object_clicked_tooltip``, ``last_object_clicked``), or ``None``.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components

from hotspots.maps import offline_asset_urls
from hotspots.maps.element import map_parts
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


def _sequence(key: str, version: str) -> int:
    """The session's sequence number of this map state: the same for the same version, else a new, higher one."""
    shown = st.session_state.setdefault("_map_versions", {})  # component key -> (version, sequence number)
    if key in shown and shown[key][0] == version:
        return shown[key][1]
    number = st.session_state.get("_map_sequence", 0) + 1
    st.session_state["_map_sequence"] = number
    shown[key] = (version, number)
    return number


def _note_report(value, key: str) -> None:
    if isinstance(value, dict) and "drawn" in value:
        st.session_state[f"_reported:{key}"] = True


def map_reported(key: str) -> bool:
    """Whether the map of this key has told this session that its first map was drawn (or could not be)."""
    return bool(st.session_state.get(f"_reported:{key}"))


#: The key of the Map tab's map.
MAIN_MAP = "risk_map"


def first_map_pending() -> bool:
    """Whether this run is a browser's first view of the map, before its frame reported the map drawn (its report
    reruns the page): the tables below the map and the sidebar's further settings wait for it, so that the browser
    draws the map first instead of laying out the rest while the map waits. At most two runs wait (a frame that
    never reports holds nothing back for long: :func:`ui.map_tab.waits_for_map` counts them); AppTest, which has no
    browser (no request headers), a page opened on another tab and every later run draw everything."""
    _note_report(st.session_state.get(MAIN_MAP), MAIN_MAP)  # the frame's report, read before the map is drawn
    if not st.context.headers or map_reported(MAIN_MAP) or (st.session_state.get("view") or "Map") != "Map":
        return False
    return st.session_state.get("_map_waits", 0) < 2


def risk_map_component(
    parts: dict,
    *,
    key: str,
    name: str,
    height: int,
    state: dict | None = None,
    preview: dict | None = None,
    report_drawn: bool = False,
) -> dict | None:
    """Draw a map (:func:`ui.cache.drawn_map`) in the component with this key; return the last click on it.

    Keep ``key`` the same across reruns: the component then updates the map already drawn instead of drawing a
    new one. ``name`` says which map it is (the city): a click made on another map is not returned. ``parts``
    holds a ``version`` (a string naming what the map shows); ``state`` is a small JSON-able dict the frame
    writes into its ``data-hs-state`` attribute (what the map shows, in words, for tests). ``preview``
    (:func:`ui.preview.preview_spec`) lets the frame recolour the map at once while a dimension weight slider moves.
    With ``report_drawn`` the frame tells the app once, when its first map is drawn (a rerun): see
    :func:`map_reported`.
    """
    parts = dict(parts)
    version = str(parts.pop("version"))
    if report_drawn:  # ask only until the report has arrived (it may be this run's value, read before the call)
        _note_report(st.session_state.get(key), key)
        report_drawn = not map_reported(key)
    click = _component()(
        key=key,
        default=None,
        height=height,
        name=name,
        leaflet=_leaflet_fallback(),
        version=version,
        seq=_sequence(key, version),
        state=state,
        preview=preview,
        report_drawn=report_drawn,
        **parts,
    )
    _note_report(click, key)
    return click if isinstance(click, dict) and click.get("map") == name else None


def folium_map_component(fmap, *, key: str, name: str, height: int) -> dict | None:
    """Draw a map of :mod:`hotspots.maps` (``risk_map``, ``agreement_map``, ``certainty_map``, ...) in the map
    component, for maps that are not cached with a version of their own: the version is a digest of what the map
    shows, so a rerun that draws the same map leaves the frame alone and a changed map is restyled in place."""
    parts = map_parts(fmap)
    return risk_map_component({**parts, "version": parts_digest(parts)}, key=key, name=name, height=height)


def parts_digest(parts: dict) -> str:
    """A digest of what a map's parts (:func:`hotspots.maps.element.map_parts`) show: its version when no cache key
    names it (the same map drawn again leaves the frame alone)."""
    digest = hashlib.sha1()
    for part in ("data", "geometry", "layers_js"):
        digest.update(str(parts[part]).encode("utf-8"))
    return digest.hexdigest()
