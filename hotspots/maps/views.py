"""The maps: a scored ward layer, or bivariate clusters, as one offline Leaflet map with legends and tooltips.

:func:`risk_map` draws a composite-risk layer, one layer per dimension score, the Gi* hot/cold spots as outlines
and the LISA clusters, each with its own legend, a tooltip per ward, and a badge when the data are synthetic.
:func:`bivariate_map` draws bivariate local Moran clusters with the same encoding. Class breaks come from
:mod:`hotspots.classify` (a :class:`~hotspots.classify.Classification` or its bins, or a scheme name passed on to
:func:`~hotspots.classify.classify`); counts below the export's small-number threshold are shown as
"suppressed (< 5)" by the rule of :func:`hotspots.export.suppress_small_counts`, never as their value.

All layers are styles of one set of polygons (:mod:`hotspots.maps.geometry`), computed by ``static/risk_layers.js``
from per-ward class codes; tooltip values are sent column-wise and the tooltip HTML is built on hover. Every
string that comes from the data (ward names, IDs, column and dimension names, title) is HTML-escaped here,
before it reaches the page.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots.classify import CLASS_LABELS, Classification, check_bins, classify
from hotspots.errors import DataError
from hotspots.export import DEFAULT_SUPPRESS_BELOW
from hotspots.framework import Indicator
from hotspots.maps.assets import OfflineMap
from hotspots.maps.element import TILES, make_map
from hotspots.maps.geometry import ALPHABET, encode_geometry
from hotspots.maps.tooltips import (
    _check_suppress_below,
    _escape_all,
    _indicator_columns,
    _label,
    _numbers,
    _Suppression,
    _texts,
    _tooltip_rows,
)

DEFAULT_DIMENSIONS = ("individual", "institutional", "ideological")

#: ColorBrewer YlOrRd, 5 classes (colour-blind safe, sequential): one per label of hotspots.classify.
RISK_COLORS = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
NO_DATA_COLOR = "#9e9e9e"
#: The map's background without tiles (written in static/map.css).
BACKGROUND_COLOR = "#e3e7ec"

#: Gi* classes drawn as outlines: (label, colour, weight, dash pattern). The colours are the darkest of ColorBrewer
#: RdBu: every outline is drawn over a solid :data:`HALO_COLOR` halo, so that on every fill one of the two stands
#: out (the dark outline on light fills, the white halo on the dark-red top class; contrast tested).
HOTSPOT_STYLES = (
    ("hot spot 99%", "#67001f", 4.0, ""),
    ("hot spot 95%", "#67001f", 3.0, "8 4"),
    ("hot spot 90%", "#67001f", 2.0, "2 4"),
    ("cold spot 99%", "#053061", 4.0, ""),
    ("cold spot 95%", "#053061", 3.0, "8 4"),
    ("cold spot 90%", "#053061", 2.0, "2 4"),
)
#: The halo under every hot/cold spot outline, and how much wider than the outline it is (pixels).
HALO_COLOR = "#ffffff"
HALO_EXTRA = 3.0
#: LISA clusters in GeoDa's colours.
LISA_STYLES = (
    ("high-high", "High-High", "#ff0000"),
    ("low-low", "Low-Low", "#0000ff"),
    ("high-low", "High-Low", "#f4ada8"),
    ("low-high", "Low-High", "#a7adf9"),
    ("not significant", "Not significant", "#c2c2c2"),  # GeoDa's #eeeeee is the map background's twin
    ("not tested", "Not tested (no neighbour, or too few wards)", "#ffffff"),
)
#: Bivariate local Moran clusters: the first word is the ward's own value, the second its neighbours' (GeoDa's
#: colours, as the univariate clusters).
BIVARIATE_STYLES = LISA_STYLES
#: Risk profiles (hotspots.profiles), in profile order: Okabe and Ito's colour-blind safe qualitative palette
#: (without its black, which the hot-spot outlines use), repeated when there are more profiles than colours.
PROFILE_COLORS = ("#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7")
HOTSPOT_NOTE = "Hot spot = ward whose neighbourhood has significantly high risk (Gi*, permutation test, FDR)"


# ------------------------------------------------------------------------------------------------- score classes


def _score_classes(values: np.ndarray, column: str, given, scheme: str) -> Classification:
    """The classes of one score column: from a Classification's bins, from bins, or learned by ``scheme``.

    A given Classification's bins are applied to the layer's own column, row by row: its ``codes`` may be in
    another row order (e.g. the indicator table's).
    """
    if given is None:
        return classify(values, scheme)
    bins = given.bins if isinstance(given, Classification) else given
    if len(bins) == 0:  # no ward had a score (a dimension switched off by weights of 0): every ward "No data"
        return classify(values, scheme)
    return classify(values, bins=check_bins(bins, len(CLASS_LABELS), f"'{column}'"))


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


def _score_view(label: str, classes: Classification) -> dict:
    """A score layer: one colour per label (fewer classes keep their labels' colours), legend rows by bin."""
    bins, rows = classes.bins, []
    for i, (upper, level) in enumerate(zip(bins, classes.levels)):
        text = f"≤ {_fmt(upper)}" if i == 0 else f"{_fmt(bins[i - 1])} – {_fmt(upper)}"
        rows.append((f"background:{RISK_COLORS[level]}", text))
    rows.append((f"background:{NO_DATA_COLOR}", "No data"))
    return {
        "label": label,
        "cls": _codes(classes.codes),
        "colors": list(RISK_COLORS),
        "legend": _legend_html(label, rows),
    }


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


def _profile_view(values: pd.Series) -> dict:
    """The risk profiles as categories ("P1: ..." first), one colour per profile number, with a legend."""
    labels = pd.Series(values, dtype="string")
    found = sorted(labels.dropna().unique(), key=_profile_number)[:10]  # one code character per ward: 0-9
    codes = pd.Categorical(labels, categories=found).codes
    # the colour follows the profile's number, so that P3 has the same colour in a city that has no P2
    colors = [PROFILE_COLORS[(_profile_number(label)[0] - 1) % len(PROFILE_COLORS)] for label in found]
    rows = [(f"background:{c}", html.escape(str(label))) for c, label in zip(colors, found)]
    rows.append((f"background:{NO_DATA_COLOR}", "No profile (no data)"))
    return {
        "label": "Risk profile",
        "cls": _codes(np.asarray(codes)),
        "colors": colors,
        "legend": _legend_html("Risk profile", rows, "Wards grouped by the pattern of their dimension scores."),
    }


def _profile_number(label: str) -> tuple[int, str]:
    head = str(label).split(":", 1)[0].lstrip("P")
    return (int(head) if head.isdigit() else 1, str(label))


_HALO_SWATCH = f"box-shadow:inset 0 0 0 1px {HALO_COLOR},0 0 0 1px {HALO_COLOR}"


def _hotspot_overlay(values: pd.Series, compact: bool = False) -> dict:
    classes = _category_codes(values, [key for key, _, _, _ in HOTSPOT_STYLES])
    rows, note = [], ""
    if compact:  # two rows: the line style of each confidence level goes into a note
        for label, color, weight, _ in HOTSPOT_STYLES[::3]:
            style = f"background:transparent;border:{min(weight, 2.0):g}px solid {color};{_HALO_SWATCH}"
            rows.append((style, label.split()[0].capitalize() + " spot"))
        note = "99% solid, 95% dashed, 90% dotted"
    else:
        for label, color, weight, dash in HOTSPOT_STYLES:
            border = "dashed" if dash.startswith("8") else "dotted" if dash else "solid"
            style = f"background:transparent;border:{weight:g}px {border} {color};{_HALO_SWATCH}"
            rows.append((style, label.capitalize()))
    return {
        "label": "Hot/cold spots (Gi*)",
        "cls": _codes(classes),
        "styles": [
            {"color": c, "weight": w, "dashArray": d or None, "halo": HALO_COLOR, "haloWeight": w + HALO_EXTRA}
            for _, c, w, d in HOTSPOT_STYLES
        ],
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
    indicators: Sequence[str | Indicator] = (),
    breaks: Mapping[str, Classification | Sequence[float]] | None = None,
    scheme: str = "quantiles",
    population_column: str = "population",
    count_columns: Sequence[str] = (),
    suppress_below: int = DEFAULT_SUPPRESS_BELOW,
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
    view: str = "risk_score",
    legend: bool = True,
    model_values: Mapping[str, Sequence[float]] | None = None,
) -> OfflineMap:
    """Interactive map of a scored ward layer, loading nothing from the network.

    Parameters
    ----------
    layer : geopandas.GeoDataFrame
        Scored wards (EPSG:4326, or any CRS: reprojected): ``ward_id``, optional ``ward_name``, ``risk_score``,
        ``<dimension>_score`` per dimension, the ``indicators`` columns, and optionally ``risk_class``,
        ``risk_rank``, ``coverage``, ``population``, ``hotspot_class`` (+ ``gi_star_z``), ``lisa_cluster``,
        ``risk_profile`` (a "Risk profile" layer in categorical colours).
        Scores are 0-10 with NaN for no data.
    dimensions : sequence of str
        Dimension names; each gives a map layer from ``<dimension>_score``.
    indicators : sequence of str or Indicator
        Indicators shown in the tooltip: a column name shows the raw column under its name; an
        :class:`~hotspots.framework.Indicator` (e.g. ``result.framework.indicators``) shows the value the model
        uses under its label (a count with a denominator as a rate per ``per_population`` residents, the value of
        the ward breakdown).
    breaks : mapping, optional
        Per score column, a :class:`~hotspots.classify.Classification` or its class upper bounds (up to 5,
        increasing), e.g. ``RiskResult.breaks`` or ``{"risk_score": [2, 4, 6, 8, 10]}``; the bounds are applied to
        the layer's column. Columns not given are classified by ``scheme``.
    scheme : str
        A scheme of :data:`hotspots.classify.SCHEMES` for the columns without ``breaks`` (default quantiles).
    population_column : str
        The population column that turns counts of indicators with ``per_population`` into rates.
    count_columns : sequence of str
        Columns holding counts (the framework's indicators with unit "count", ``RiskResult.count_columns``):
        counts from 1 to ``suppress_below - 1`` show as "suppressed (< 5)" in the tooltip, never their value,
        by the rule of the exports (:func:`hotspots.export.suppress_small_counts`).
    suppress_below : int
        The small-number threshold (default 5, as the exports; 0 shows every count).
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
        Where Leaflet is loaded from: :func:`~hotspots.maps.offline_asset_urls` (default ``data:`` URLs).
    width, height : int
        Map size in pixels assumed for the simplification tolerance.
    compact : bool
        For small maps side by side: the layer control is collapsed to an icon, the info box is dropped (only
        the synthetic badge stays), the legends are smaller and the hot/cold spot legend has two rows.
    view : str
        The layer shown when the map opens: ``"risk_score"`` (default), ``"<dimension>_score"`` or
        ``"lisa_cluster"`` or ``"risk_profile"`` (maps side by side all open on the same layer).
    legend : bool
        Draw the legend in the map (``False`` when one legend outside the maps serves several).
    model_values : mapping, optional
        The values the model uses of smoothed indicators, per column in the layer's row order
        (``RiskResult.model_values()``): the tooltip shows them, labelled smoothed, as the ward breakdown does,
        instead of the rate made from the layer's raw count.

    Returns
    -------
    OfflineMap
        Render with :func:`~hotspots.maps.map_html` for a standalone file, or pass to
        ``streamlit_folium.st_folium``.

    Raises
    ------
    DataError
        Missing columns, bad breaks or scheme, wards without polygon geometry, unknown tiles.

    Examples
    --------
    >>> m = risk_map(result.layer, dimensions=result.dimension_names, indicators=result.framework.columns,
    ...              breaks=result.breaks, count_columns=result.count_columns,
    ...              suppress_below=result.suppress_below)  # doctest: +SKIP
    """
    dimensions, indicators = list(dimensions), list(indicators)
    columns = _indicator_columns(indicators)
    _check_columns(layer, dimensions, columns)
    _check_tiles(tiles)
    suppress_below = _check_suppress_below(suppress_below)
    if layer.crs is not None and not layer.crs.equals("EPSG:4326"):
        layer = layer.to_crs(4326)
    geometry = encode_geometry(layer, width=width, height=height, pixels=0.25 if simplify else 0.0)
    views = _score_views(layer, dimensions, dict(breaks or {}), scheme)
    if show_lisa and "lisa_cluster" in layer:
        views.append({**_lisa_view(layer["lisa_cluster"]), "column": "lisa_cluster"})
    if "risk_profile" in layer and layer["risk_profile"].notna().any():
        views.append({**_profile_view(layer["risk_profile"]), "column": "risk_profile"})
    views = _first_view(views, view)
    has_hot = show_hotspots and "hotspot_class" in layer
    hot = _hotspot_overlay(layer["hotspot_class"], compact) if has_hot else None
    if hot is not None:
        hot["shown"] = True
    data = _map_data(
        layer,
        views=views,
        hot=hot,
        legend=legend,
        rows=_tooltip_rows(
            layer, dimensions, indicators, count_columns, suppress_below, population_column, model_values
        ),
        info=_info_html(title, synthetic, has_hot, compact),
        tiles=tiles,
        compact=compact,
    )
    return make_map(layer, geometry, data, tiles=tiles, assets=assets, width=width, height=height)


def _score_views(layer: gpd.GeoDataFrame, dimensions: Sequence[str], breaks: Mapping, scheme: str) -> list[dict]:
    views = []
    for column, label in [("risk_score", "Composite risk")] + [
        (f"{d}_score", f"{_label(d)} score") for d in dimensions
    ]:
        values = pd.to_numeric(layer[column], errors="coerce").to_numpy(dtype=float)
        view = _score_view(label, _score_classes(values, column, breaks.get(column), scheme))
        views.append({**view, "column": column})
    return views


def _first_view(views: list[dict], column: str) -> list[dict]:
    """The views with the one of ``column`` first (the layer shown when the map opens)."""
    chosen = [v for v in views if v.get("column") == column]
    if not chosen:
        known = ", ".join(repr(v["column"]) for v in views)
        raise DataError(f"No map layer of {column!r}: use one of {known}.")
    return chosen + [v for v in views if v.get("column") != column]


def _check_tiles(tiles: str | None) -> None:
    if tiles is not None and tiles not in TILES:
        raise DataError(f"Unknown tiles {tiles!r}: use None (plain background), {' or '.join(map(repr, TILES))}.")


def _map_data(layer, *, views, hot, rows, info, tiles, compact, legend=True) -> dict:
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
        "nolegend": not legend,
        "collapsed": bool(compact),
        "nodata": NO_DATA_COLOR,
        "line": "#ffffff" if n <= 3000 else "#f7f7f7",
        "weight": 1.0 if n <= 3000 else 0.4,
        "opacity": 0.75 if tiles else 0.9,
    }


def bivariate_map(
    layer: gpd.GeoDataFrame,
    clusters: pd.DataFrame | pd.Series | Sequence[str],
    x_label: str,
    y_label: str,
    *,
    x_column: str | None = None,
    y_column: str | None = None,
    count_columns: Sequence[str] = (),
    suppress_below: int = DEFAULT_SUPPRESS_BELOW,
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
        Wards with ``ward_id`` (optional ``ward_name``). A clusters frame with ``ward_id`` is aligned by ward ID;
        bare labels are taken in the layer's row order.
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
    count_columns, suppress_below, title, synthetic, tiles, simplify, assets, width, height
        As in :func:`risk_map` (small counts in ``x_column`` / ``y_column`` are shown as suppressed).
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
    labels, statistics = _cluster_labels(layer, clusters)
    x_column = x_column if x_column is not None else _default_column(layer, x_label)
    y_column = y_column if y_column is not None else _default_column(layer, y_label)
    missing = [c for c in (x_column, y_column) if c is not None and c not in layer.columns]
    if missing:
        raise DataError(f"The ward layer lacks column(s) {', '.join(map(repr, missing))} for the tooltip.")
    _check_tiles(tiles)
    columns = [c for c in (x_column, y_column) if c is not None]
    suppression = _Suppression(layer, columns, count_columns, suppress_below)
    if layer.crs is not None and not layer.crs.equals("EPSG:4326"):
        layer = layer.to_crs(4326)
    geometry = encode_geometry(layer, width=width, height=height, pixels=0.25 if simplify else 0.0)
    rows = []
    for column, label in dict.fromkeys([(x_column, x_label), (y_column, y_label)]):  # once when x is y
        if column is not None:
            rows.append({"label": f"{_label(label)} score", "num": suppression.numbers(layer, column)})
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
    return make_map(layer, geometry, data, tiles=tiles, assets=assets, width=width, height=height)


def _cluster_labels(layer: gpd.GeoDataFrame, clusters) -> tuple[pd.Series, pd.DataFrame | None]:
    """One cluster label per ward (by position) and the statistics frame when one was given."""
    statistics = clusters if isinstance(clusters, pd.DataFrame) else None
    if statistics is not None:
        if "bv_cluster" not in statistics.columns:
            raise DataError(
                "The clusters frame has no 'bv_cluster' column: pass bivariate_local_moran(...).frame or a "
                "sequence of cluster labels."
            )
        if "ward_id" in statistics.columns:  # keyed by ward ID (bivariate_local_moran's frame): align, never by row
            keyed = statistics.set_index(statistics["ward_id"].astype(str))
            ward_ids = layer["ward_id"].astype(str)
            unknown = ward_ids[~ward_ids.isin(keyed.index)]
            if len(unknown):
                raise DataError(
                    f"The clusters have no entry for wards {list(unknown[:10])}: compute them on the "
                    "same wards as the layer."
                )
            statistics = keyed.reindex(ward_ids).reset_index(drop=True)
        labels = pd.Series(statistics["bv_cluster"].to_numpy(), dtype=object)
    else:
        labels = pd.Series(np.asarray(clusters, dtype=object), dtype=object)
    if labels.ndim != 1 or len(labels) != len(layer):
        raise DataError(f"Got {len(labels)} cluster label(s) for {len(layer)} wards: give one per ward, in order.")
    return labels, statistics


def _default_column(layer: gpd.GeoDataFrame, label: str) -> str | None:
    column = f"{label}_score"
    return column if column in layer.columns else None


def _bivariate_info(title: str, synthetic: bool) -> str:
    parts = [f'<div class="hs-title">{html.escape(title)}</div>'] if title else []
    if synthetic:
        parts.append('<div class="hs-badge">Synthetic demo data</div>')
    return "".join(parts)
