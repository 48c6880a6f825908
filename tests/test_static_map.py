"""Tests of hotspots.maps.static_map: the PNG and the one-page PDF for reports (Pillow, no browser)."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pytest
from PIL import Image

import hotspots
from hotspots.errors import DataError
from hotspots.maps import HALO_COLOR, HOTSPOT_STYLES, NO_DATA_COLOR, RISK_COLORS, static_map


@pytest.fixture(scope="module")
def kolkata_result():
    city = hotspots.demo_city("kolkata")
    return hotspots.run(city.indicators_path, city.boundaries_path, id_column="ward_id", permutations=99)


def _rgb(color: str) -> tuple[int, int, int]:
    return tuple(int(color.lstrip("#")[k : k + 2], 16) for k in (0, 2, 4))


def test_png_shows_every_class_colour_the_hot_spot_outlines_and_halo(kolkata_result):
    png = static_map.map_png(kolkata_result, size=(1000, 700))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size == (1000, 700)
    colors = {c for _, c in image.getcolors(maxcolors=1 << 20)}
    for color in RISK_COLORS:  # quantiles: every class holds wards (and the legend has a swatch)
        assert _rgb(color) in colors, color
    hot = {_rgb(color) for label, color, _, _ in HOTSPOT_STYLES if label.startswith("hot")}
    assert hot & colors  # Kolkata's demo has hot spots (see test_maps), drawn in the outline colour
    assert _rgb(HALO_COLOR) in colors


def test_png_of_a_layer_without_data_or_with_unknown_column(kolkata_result):
    layer = kolkata_result.layer.assign(risk_score=np.nan)
    image = static_map.render_map_image(layer.drop(columns="hotspot_class"), size=(600, 400), legend=False)
    colors = {c for _, c in image.getcolors(maxcolors=1 << 20)}
    assert _rgb(NO_DATA_COLOR) in colors and _rgb(RISK_COLORS[-1]) not in colors
    with pytest.raises(DataError, match="no column"):
        static_map.render_map_image(kolkata_result.layer, column="nonsense")


def test_pdf_is_one_page_with_weights_method_and_date(kolkata_result):
    pdf = static_map.report_pdf(kolkata_result, date=dt.date(2026, 12, 1))
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert b"/Count 1" in pdf  # one page
    lines = static_map.weight_lines(kolkata_result) + static_map.method_lines(kolkata_result)
    text = "\n".join(lines)
    for indicator in kolkata_result.framework.indicators:
        assert indicator.display_label in text  # the labels, not the column names
    assert "Gi*" in text and "permutations" in text and "quantiles" in text
    page = static_map.report_page(kolkata_result, date=dt.date(2026, 12, 1))
    assert page.size == static_map.PAGE_SIZE
