"""The static SVG map (hotspots.maps.svg_map), used for the room's wall: one path per ward in the classes drawn,
hot and cold spots outlined over a halo, the projection by hand, holes, texts from uploads inert."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Polygon, box

from hotspots.demo import demo_cities
from hotspots.errors import DataError
from hotspots.framework import default_framework
from hotspots.maps.svg_map import inert, svg_map
from hotspots.maps.views import HALO_COLOR, HOTSPOT_STYLES, NO_DATA_COLOR, RISK_COLORS
from hotspots.pipeline import prepare_city, read_city, score_city

SVG = "{http://www.w3.org/2000/svg}"
BREAKS = [2.0, 4.0, 6.0, 8.0, 10.0]


@pytest.fixture(scope="module")
def kolkata():
    demo = demo_cities()["kolkata"]
    raw = read_city(demo.indicators_path, demo.boundaries_path, name=demo.name, synthetic=True)
    framework = default_framework()
    return score_city(prepare_city(raw, framework, id_column=demo.id_column), framework, permutations=199).layer


def _wards(svg: str) -> list[ET.Element]:
    root = ET.fromstring(svg)  # well-formed XML: every text and attribute from the data is escaped
    return [p for p in root.iter(f"{SVG}path") if p.get("class") == "ward"]


def _square_layer(names=("a", "b"), scores=(1.0, 9.0), crs="EPSG:4326") -> gpd.GeoDataFrame:
    """Two 1-degree squares side by side, at latitude 60 to 61 (a degree of longitude is half as wide there)."""
    return gpd.GeoDataFrame(
        {"ward_id": list(names), "ward_name": ["", ""], "risk_score": list(scores)},
        geometry=[box(0, 60, 1, 61), box(1, 60, 2, 61)],
        crs="EPSG:4326",
    ).to_crs(crs)


def test_one_path_per_ward_in_the_class_of_its_score(kolkata):
    layer = kolkata.copy()
    layer.loc[layer.index[5], "risk_score"] = np.nan  # a ward without a score: "No data"
    paths = _wards(svg_map(layer, breaks=BREAKS))
    assert [p.get("data-ward") for p in paths] == layer["ward_id"].tolist()  # keyed by ward, in the layer's order
    scores = layer["risk_score"].to_numpy(dtype=float)
    # by hand: the class is the first break at or above the score (0-2 Very low, ..., 8-10 Very high)
    expected = [NO_DATA_COLOR if np.isnan(s) else RISK_COLORS[int(np.searchsorted(BREAKS, s))] for s in scores]
    assert [p.get("fill") for p in paths] == expected
    assert len(set(expected)) >= 3  # the demo city spans several classes: the check can fail
    titles = [p.find(f"{SVG}title").text for p in paths]
    assert titles[5].splitlines()[1] == "Risk score: no data"
    first = layer.iloc[0]
    assert titles[0].splitlines()[0] == f"{first['ward_name']} ({first['ward_id']})"
    assert titles[0].splitlines()[1].startswith(f"Risk score: {first['risk_score']:.2f}".rstrip("0").rstrip("."))


def test_hot_and_cold_spots_are_outlined_over_a_halo(kolkata):
    root = ET.fromstring(svg_map(kolkata, breaks=BREAKS))
    groups = {g.get("class"): g for g in root.iter(f"{SVG}g") if g.get("class")}
    spots = kolkata["hotspot_class"].astype(str)
    marked = spots[spots != "not significant"]
    assert len(marked) > 0  # the demo city has hot and cold spots
    halos, lines = list(groups["hotspot-halos"]), list(groups["hotspot-outlines"])
    assert len(halos) == len(lines) == len(marked)
    assert groups["hotspot-halos"].get("stroke") == HALO_COLOR
    assert groups["hotspot-outlines"].get("pointer-events") == "none"  # the ward under it keeps its tooltip
    ward_d = {p.get("data-ward"): p.get("d") for p in _wards(svg_map(kolkata, breaks=BREAKS))}
    styles = {label: (color, weight, dash) for label, color, weight, dash in HOTSPOT_STYLES}
    for line, halo, (ward, label) in zip(lines, halos, kolkata.loc[marked.index, ["ward_id", "hotspot_class"]].values):
        color, weight, dash = styles[label]
        assert line.get("d") == halo.get("d") == ward_d[ward]
        assert (line.get("stroke"), float(line.get("stroke-width")), line.get("stroke-dasharray") or "") == (
            color,
            weight,
            dash,
        )
        assert float(halo.get("stroke-width")) > weight


def test_projection_by_hand():
    # Two 1-degree squares at latitude 60-61 in a 480 x 380 picture with a 4 px margin. By hand: kx = cos(60.5 deg)
    # = 0.4924, so the pair is 2 kx = 0.985 degrees wide and 1 high; scale = min(472 / 0.985, 372 / 1) = 372 px per
    # degree; the picture is centred: left = (480 - 0.985 * 372) / 2 = 56.8, top = 4; north is up (61 at the top).
    (a, b) = _wards(svg_map(_square_layer(), breaks=BREAKS))
    kx = np.cos(np.radians(60.5))
    scale = 372.0
    left = (480 - 2 * kx * scale) / 2
    points = [tuple(map(float, xy.split(","))) for xy in a.get("d").strip("MZ").split()]
    expected = {(left, 4 + scale), (left + kx * scale, 4 + scale), (left + kx * scale, 4.0), (left, 4.0)}
    assert len(points) == 4
    for x, y in points:
        assert min(abs(x - ex) + abs(y - ey) for ex, ey in expected) < 0.11  # rounded to a tenth of a pixel
    assert (a.get("fill"), b.get("fill")) == (RISK_COLORS[0], RISK_COLORS[4])
    # the same wards in another CRS draw the same picture (the map works in EPSG:4326)
    again = _wards(svg_map(_square_layer(crs="EPSG:3857"), breaks=BREAKS))
    assert [p.get("d") for p in again] == [a.get("d"), b.get("d")]


def test_a_hole_is_a_second_ring_of_the_ward_drawn_even_odd():
    ring = Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], holes=[[(1, 1), (3, 1), (3, 3), (1, 3)]])
    layer = gpd.GeoDataFrame({"ward_id": ["w"], "risk_score": [5.0]}, geometry=[ring], crs="EPSG:4326")
    svg = svg_map(layer, breaks=BREAKS)
    (ward,) = _wards(svg)
    assert ward.get("d").count("M") == 2 and ward.get("d").count("Z") == 2
    assert 'fill-rule="evenodd"' in svg


def test_names_and_ids_from_uploads_are_inert():
    hostile = ['<script>alert(1)</script>"', "![x](http://evil.example/x.png) **bold**"]
    layer = _square_layer(names=hostile)
    layer["ward_name"] = ["<img src=x onerror=alert(1)>", "&amp; ]("]
    svg = svg_map(layer, breaks=BREAKS, label='Map of "<b>x</b>" [a](b)')
    for raw in ("<script", "<img", "<b>", "](", "![", "**", '"<'):
        assert raw not in svg
    paths = _wards(svg)  # parses: no attribute was broken
    assert [p.get("data-ward") for p in paths] == hostile  # the reader sees the names as they are
    assert paths[0].find(f"{SVG}title").text.splitlines()[0] == f"<img src=x onerror=alert(1)> ({hostile[0]})"
    assert ET.fromstring(svg).get("aria-label") == 'Map of "<b>x</b>" [a](b)'
    assert html.unescape(inert("a.b (c)")) == "a.b (c)" and "(" not in inert("a.b (c)")


def test_a_ward_without_a_boundary_is_named():
    layer = _square_layer()
    layer.loc[1, "geometry"] = None
    with pytest.raises(DataError, match=r"1 ward\(s\) have a missing.*: b"):
        svg_map(layer, breaks=BREAKS)
