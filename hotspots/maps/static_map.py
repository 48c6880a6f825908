"""A static picture of the map for reports: a PNG of the current layer, and a one-page PDF with its legend, the
weights, the method and the date. Drawn with Pillow (no browser, no matplotlib), in the map's colours.

Examples
--------
>>> png = map_png(result)  # doctest: +SKIP
>>> pdf = report_pdf(result)  # one A4 page  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import io
import math
import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd

from hotspots.classify import CLASS_LABELS
from hotspots.errors import DataError
from hotspots.maps.views import (
    BACKGROUND_COLOR,
    HALO_COLOR,
    HALO_EXTRA,
    HOTSPOT_STYLES,
    LISA_STYLES,
    NO_DATA_COLOR,
    RISK_COLORS,
    _category_codes,
    _fmt,
    _score_classes,
)

FONT_FILES = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf")
BOLD_FONT_FILES = ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf")
#: A4 at 150 dots per inch.
PAGE_SIZE = (1240, 1754)
PAGE_DPI = 150


def _font(size: int, bold: bool = False):
    from PIL import ImageFont

    for name in BOLD_FONT_FILES if bold else FONT_FILES:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def _layer_name(column: str) -> str:
    if column == "risk_score":
        return "Composite risk"
    if column == "lisa_cluster":
        return "Local Moran clusters (LISA)"
    return column.removesuffix("_score").replace("_", " ").capitalize() + " score"


def _fills(layer, column: str, breaks, scheme: str) -> tuple[list[str], list[tuple[str, str]]]:
    """One fill colour per ward, and the legend rows (colour, text) of the layer."""
    if column == "lisa_cluster":
        codes = _category_codes(layer[column], [key for key, _, _ in LISA_STYLES])
        colors = [color for _, _, color in LISA_STYLES]
        rows = [(color, label) for _, label, color in LISA_STYLES]
    else:
        values = pd.to_numeric(layer[column], errors="coerce").to_numpy(dtype=float)
        classes = _score_classes(values, column, (breaks or {}).get(column), scheme)
        codes, colors, rows = classes.codes, list(RISK_COLORS), []
        for i, (upper, level) in enumerate(zip(classes.bins, classes.levels)):
            text = f"≤ {_fmt(upper)}" if i == 0 else f"{_fmt(classes.bins[i - 1])} – {_fmt(upper)}"
            rows.append((RISK_COLORS[level], f"{CLASS_LABELS[level]}: {text}"))
    rows.append((NO_DATA_COLOR, "No data"))
    fills = [colors[c] if c >= 0 else NO_DATA_COLOR for c in np.asarray(codes).tolist()]
    return fills, rows


class _Projection:
    """Longitude/latitude to pixels of a box, equirectangular at the city's mean latitude (north up)."""

    def __init__(self, bounds: Sequence[float], box: tuple[int, int, int, int]):
        x0, y0, x1, y1 = bounds
        self.kx = math.cos(math.radians((y0 + y1) / 2))
        left, top, right, bottom = box
        width, height = max((x1 - x0) * self.kx, 1e-9), max(y1 - y0, 1e-9)
        self.scale = min((right - left) / width, (bottom - top) / height)
        self.x0, self.y1 = x0, y1
        self.left = left + ((right - left) - width * self.scale) / 2
        self.top = top + ((bottom - top) - height * self.scale) / 2

    def array(self, coords) -> np.ndarray:
        """The points as an (n, 2) array of pixels (``shapely.transform`` takes this)."""
        xy = np.asarray(coords, dtype=float)[:, :2]
        return np.column_stack(
            [self.left + (xy[:, 0] - self.x0) * self.kx * self.scale, self.top + (self.y1 - xy[:, 1]) * self.scale]
        )

    def __call__(self, coords) -> list[tuple[float, float]]:
        return [tuple(point) for point in self.array(coords).tolist()]


def _polygons(geometry):
    if geometry is None or geometry.is_empty:
        return []
    return list(getattr(geometry, "geoms", [geometry]))


def _draw_wards(draw, layer, fills: list[str], project: _Projection) -> None:
    line = "#ffffff" if len(layer) <= 3000 else "#f7f7f7"
    for geometry, fill in zip(layer.geometry, fills):
        for polygon in _polygons(geometry):
            draw.polygon(project(polygon.exterior.coords), fill=fill, outline=line)
            for hole in polygon.interiors:
                draw.polygon(project(hole.coords), fill=BACKGROUND_COLOR, outline=line)


def _draw_hotspots(draw, layer, project: _Projection, scale: float) -> None:
    """Hot/cold spot outlines over a white halo, as on the interactive map (solid lines; width gives confidence)."""
    if "hotspot_class" not in layer:
        return
    codes = _category_codes(layer["hotspot_class"], [key for key, _, _, _ in HOTSPOT_STYLES])
    for halo in (True, False):
        for geometry, code in zip(layer.geometry, codes.tolist()):
            if code < 0:
                continue
            _, color, weight, _ = HOTSPOT_STYLES[code]
            width = max(1, round((weight + HALO_EXTRA if halo else weight) * 1.5 * scale))
            for polygon in _polygons(geometry):
                ring = project(polygon.exterior.coords)
                draw.line(ring + ring[:1], fill=HALO_COLOR if halo else color, width=width, joint="curve")


def _legend_rows(draw, xy: tuple[int, int], title: str, rows, font, bold, outline: bool = False) -> int:
    """Draw a legend block; return the y below it."""
    x, y = xy
    draw.text((x, y), title, fill="#222222", font=bold)
    y += int(bold.size * 1.5)
    box = int(font.size * 1.1)
    for color, text in rows:
        if outline:
            draw.rectangle([x, y, x + box * 1.6, y + box], outline=HALO_COLOR, width=5)
            draw.rectangle([x + 2, y + 2, x + box * 1.6 - 2, y + box - 2], outline=color, width=3)
        else:
            draw.rectangle([x, y, x + box * 1.6, y + box], fill=color, outline="#999999")
        draw.text((x + box * 1.6 + 8, y - 1), text, fill="#222222", font=font)
        y += int(box * 1.45)
    return y


def _hotspot_rows() -> list[tuple[str, str]]:
    return [(color, label.capitalize()) for label, color, _, _ in HOTSPOT_STYLES]


def render_map_image(
    layer,
    *,
    column: str = "risk_score",
    breaks=None,
    scheme: str = "quantiles",
    title: str = "",
    synthetic: bool = False,
    size: tuple[int, int] = (1400, 1000),
    legend: bool = True,
):
    """The map of one layer as a Pillow image: wards in their class colours, hot/cold spot outlines, a legend.

    Parameters
    ----------
    layer : geopandas.GeoDataFrame
        Scored wards (``RiskResult.layer``); reprojected to EPSG:4326 when needed.
    column : str
        The layer: ``"risk_score"``, ``"<dimension>_score"`` or ``"lisa_cluster"``.
    breaks, scheme
        Class breaks per score column (``RiskResult.breaks``), or the scheme for columns without.
    title, synthetic
        A title at the top; a "Synthetic demo data" note under it.
    size : (int, int)
        Width and height in pixels.
    legend : bool
        Draw the legend in a panel on the right.

    Returns
    -------
    PIL.Image.Image
    """
    from PIL import Image, ImageDraw

    if column not in layer.columns:
        raise DataError(f"The scored layer has no column {column!r} to draw.")
    if len(layer) == 0:
        raise DataError("The scored layer has no wards.")
    if layer.crs is not None and not layer.crs.equals("EPSG:4326"):
        layer = layer.to_crs(4326)
    width, height = size
    image = Image.new("RGB", size, BACKGROUND_COLOR)
    draw = ImageDraw.Draw(image)
    unit = max(width, height) / 1400
    font, bold = _font(max(15, round(17 * unit))), _font(max(17, round(19 * unit)), bold=True)
    top = 12
    if title:
        draw.text((16, top), title, fill="#222222", font=_font(round(26 * unit), bold=True))
        top += round(38 * unit)
    if synthetic:
        draw.text((16, top), "SYNTHETIC DEMO DATA", fill="#6a1b9a", font=bold)
        top += round(30 * unit)
    panel = round(330 * unit) if legend else 0
    project = _Projection(layer.total_bounds, (16, top + 8, width - panel - 16, height - 16))
    fills, rows = _fills(layer, column, breaks, scheme)
    _draw_wards(draw, layer, fills, project)
    _draw_hotspots(draw, layer, project, unit)
    if legend:
        x = width - panel + 8
        y = _legend_rows(draw, (x, top + 8), _layer_name(column), rows, font, bold)
        if "hotspot_class" in layer:
            y = _legend_rows(draw, (x, y + 16), "Hot/cold spots (Gi*)", _hotspot_rows(), font, bold, outline=True)
            draw.text((x, y + 4), "Line width: 99% > 95% > 90%", fill="#555555", font=font)
    return image


def map_png(result, *, column: str = "risk_score", size: tuple[int, int] = (1400, 1000)) -> bytes:
    """The map of a scored city (:class:`hotspots.pipeline.RiskResult`) as PNG bytes."""
    image = render_map_image(
        result.layer,
        column=column,
        breaks=result.breaks,
        title=_city_title(result),
        synthetic=result.city.synthetic,
        size=size,
    )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _city_title(result) -> str:
    return result.city.name + (" (synthetic)" if result.city.synthetic else "")


def method_lines(result) -> list[str]:
    """The method of a scored city in short lines: scoring, classes, hot-spot test."""
    fw, method = result.framework, result.method
    lines = [
        f"Normalisation: {fw.normalisation}; aggregation: {fw.aggregation}; map classes: {fw.classification} "
        "(5 classes; under quantiles each holds a fifth of the wards).",
    ]
    if method is not None and method.hotspots:
        lines.append(
            f"Hot spots: Getis-Ord Gi*, {method.neighbours} neighbours, {method.permutations} permutations "
            f"(seed {method.seed}), {method.correction} correction; 90/95/99% two-sided."
        )
    if method is not None:
        lines.append(f"Counts below {method.suppress_below} are suppressed.")
    return lines


def weight_lines(result) -> list[str]:
    """One line per dimension and per indicator: its weight, and each indicator's label."""
    fw = result.framework
    lines = []
    for dim, weight in fw.dimensions.items():
        lines.append(f"{dim.replace('_', ' ').capitalize()} dimension: weight {weight:g}")
        for ind in fw.indicators_of(dim):
            lower = ind.direction == "lower_is_riskier" and "lower is riskier" not in ind.display_label.lower()
            direction = " (lower is riskier)" if lower else ""
            lines.append(f"    {ind.display_label}: weight {ind.weight:g}{direction}")
    return lines


def report_pdf(result, *, column: str = "risk_score", date: dt.date | None = None) -> bytes:
    """One A4 page for a report: the map with its legend, the weights, the method and the date, as PDF bytes.

    Parameters
    ----------
    result : hotspots.pipeline.RiskResult
    column : str
        The map layer (see :func:`render_map_image`).
    date : datetime.date, optional
        The date printed on the page (default today).
    """
    page = report_page(result, column=column, date=date)
    out = io.BytesIO()
    page.save(out, format="PDF", resolution=PAGE_DPI, title=f"Ward risk: {result.city.name}", author="hotspots")
    return out.getvalue()


def report_page(result, *, column: str = "risk_score", date: dt.date | None = None):
    """The page of :func:`report_pdf` as a Pillow image (A4 at 150 dpi)."""
    from PIL import Image, ImageDraw

    from hotspots._version import __version__

    page = Image.new("RGB", PAGE_SIZE, "#ffffff")
    draw = ImageDraw.Draw(page)
    width = PAGE_SIZE[0]
    margin = 70
    heading, bold, font = _font(34, bold=True), _font(22, bold=True), _font(19)
    y = margin
    for line in textwrap.wrap(f"Ward risk and hot spots: {_city_title(result)}", 52)[:2]:
        draw.text((margin, y), line, fill="#111111", font=heading)
        y += 48
    when = (date or dt.date.today()).isoformat()
    draw.text((margin, y), f"{when} · hotspots {__version__}", fill="#555555", font=font)
    y += 36
    if result.city.synthetic:
        draw.text((margin, y), "SYNTHETIC DEMO DATA: describes no real ward.", fill="#6a1b9a", font=bold)
        y += 34
    picture = render_map_image(result.layer, column=column, breaks=result.breaks, size=(width - 2 * margin, 860))
    page.paste(picture, (margin, y))
    y += picture.height + 26
    for heading_text, lines in (("Weights", weight_lines(result)), ("Method", method_lines(result))):
        draw.text((margin, y), heading_text, fill="#111111", font=bold)
        y += 32
        for line in lines:
            for part in textwrap.wrap(line, 100, subsequent_indent="    ") or [""]:
                if y > PAGE_SIZE[1] - margin - 60:
                    break
                draw.text((margin, y), part, fill="#222222", font=font)
                y += 26
        y += 12
    note = "A hot spot is where high scores cluster, not a forecast. Scores rank wards within the city (0-10)."
    draw.text((margin, PAGE_SIZE[1] - margin - 20), note, fill="#555555", font=font)
    return page
