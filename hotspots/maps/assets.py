"""Offline Leaflet: the assets a map loads instead of folium's CDN links, and the standalone HTML.

``folium.Map`` normally loads Leaflet, jQuery, Bootstrap, Font Awesome and awesome-markers from CDNs.
:class:`OfflineMap` loads only Leaflet, from URLs given by :func:`offline_asset_urls`: by default ``data:`` URLs
built from the installed ``xstatic-leaflet`` package (the Leaflet images the CSS refers to are inlined too).
:func:`map_html` renders a map with Leaflet's JS and CSS inlined, so the file opens with no network.
:func:`static_text` reads this package's own script and style sheet (``static/``, shipped as package data).
See :mod:`hotspots.maps` for how streamlit-folium loads these URLs.
"""

from __future__ import annotations

import base64
import re
import shutil
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path

import folium

from hotspots.errors import DataError

_ASSET_DIR_NAME = "hotspots-leaflet"
_STATIC_BASE_URL = "../../app/static/" + _ASSET_DIR_NAME


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


@lru_cache(maxsize=8)
def static_text(name: str) -> str:
    """A file of ``hotspots/maps/static`` (the map's own script and style sheet), read as package data."""
    return (resources.files("hotspots.maps") / "static" / name).read_text(encoding="utf-8")
