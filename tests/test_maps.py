"""Tests for hotspots.maps: offline, compact, escaped Leaflet maps of a scored ward layer."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from hotspots import maps
from hotspots.classify import CLASS_LABELS
from hotspots.errors import DataError
from hotspots.maps import geometry

EVIL_NAME = "<img src=x onerror=alert(1)>"
DIMENSIONS = ["individual", "institutional", "ideological"]
INDICATORS = ["incidents", "youth_unemployment_rate"]
HOTSPOT_CLASSES = ["hot spot 99%", "hot spot 95%", "hot spot 90%", "not significant",
                   "cold spot 90%", "cold spot 95%", "cold spot 99%", "no data"]  # fmt: skip
LISA_CLUSTERS = ["high-high", "low-low", "high-low", "low-high", "not significant", "no data"]
EXTERNAL_RESOURCE = re.compile(r"<(?:script[^>]*\ssrc|link[^>]*\shref)\s*=\s*[\"']?(?:https?:)?//", re.I)


def scored_grid(n: int = 4, seed: int = 0) -> gpd.GeoDataFrame:
    """An n x n grid of 0.01 degree squares in Kolkata with every column of a scored layer."""
    rng = np.random.default_rng(seed)
    x0, y0, d = 88.30, 22.52, 0.01
    cells = [box(x0 + i * d, y0 + j * d, x0 + (i + 1) * d, y0 + (j + 1) * d) for j in range(n) for i in range(n)]
    k = n * n
    layer = gpd.GeoDataFrame({"ward_id": [f"KOL{i:03d}" for i in range(k)]}, geometry=cells, crs=4326)
    layer["ward_name"] = [f"Ward {i}" for i in range(k)]
    layer.loc[5, "ward_name"] = EVIL_NAME
    layer["population"] = rng.integers(5_000, 60_000, k)
    layer["incidents"] = rng.gamma(2, 2, k).round(1)
    layer["youth_unemployment_rate"] = rng.uniform(5, 40, k)
    for dim in DIMENSIONS:
        layer[f"{dim}_score"] = rng.uniform(0, 10, k)
    layer.loc[3, "ideological_score"] = np.nan
    layer["risk_score"] = layer[[f"{d}_score" for d in DIMENSIONS]].mean(axis=1)
    layer.loc[7, "risk_score"] = np.nan
    layer["risk_rank"] = layer["risk_score"].rank(ascending=False)
    cut = pd.cut(layer["risk_score"], [-1, 2, 4, 6, 8, 10.1], labels=["Very low", "Low", "Medium", "High", "Very high"])
    layer["risk_class"] = cut.astype(object).where(layer["risk_score"].notna(), "No data")
    layer["coverage"] = np.where(layer["risk_score"].notna(), 1.0, 0.0)
    layer["hotspot_class"] = [HOTSPOT_CLASSES[i % len(HOTSPOT_CLASSES)] for i in range(k)]
    layer["gi_star_z"] = rng.normal(0, 2, k)
    layer["lisa_cluster"] = [LISA_CLUSTERS[i % len(LISA_CLUSTERS)] for i in range(k)]
    return layer


def voronoi_wards(n: int, seed: int = 0) -> gpd.GeoDataFrame:
    """Voronoi cells in a 10 km square in UTM 45N, as in /work/shared/bench/reference_pipeline.py, in EPSG:4326."""
    rng = np.random.default_rng(seed)
    frame = box(0, 0, 10_000, 10_000)
    cells = shapely.voronoi_polygons(shapely.multipoints(rng.uniform(0, 10_000, (n, 2))), extend_to=frame)
    polys = shapely.intersection(np.asarray(shapely.get_parts(cells)), frame)
    wards = gpd.GeoDataFrame({"ward_id": [f"W{i:06d}" for i in range(len(polys))]}, geometry=polys, crs=32645)
    for col in ["incidents", "youth_unemployment_rate"]:
        wards[col] = rng.gamma(2.0, 2.0, len(wards))
    for dim in DIMENSIONS:
        wards[f"{dim}_score"] = rng.uniform(0, 10, len(wards))
    wards["risk_score"] = wards[[f"{d}_score" for d in DIMENSIONS]].mean(axis=1)
    return wards.to_crs(4326)


def decode_wards(text: str) -> list[list[list[list[tuple[float, float]]]]]:
    """Python twin of the JS decoder: wards -> polygons -> rings -> (lat, lng)."""
    lookup = {ch: k for k, ch in enumerate(maps.ALPHABET)}
    wards, ward, poly, ring = [], [], [], []
    i, lat, lng = 0, 0, 0
    while i < len(text):
        c = ord(text[i])
        if c < 36:
            poly.append(ring)
            ring = []
            if c != ord("!"):
                ward.append(poly)
                poly = []
                if c == ord(" "):
                    wards.append(ward)
                    ward = []
            i += 1
            continue
        values = []
        for _ in range(2):
            shift = result = 0
            while True:
                b = lookup[text[i]]
                i += 1
                result |= (b & 31) << shift
                shift += 5
                if b < 32:
                    break
            values.append(~(result >> 1) if result & 1 else result >> 1)
        lat, lng = lat + values[0], lng + values[1]
        ring.append((lat / 1e5, lng / 1e5))
    poly.append(ring)
    ward.append(poly)
    wards.append(ward)
    return wards


def embedded_data(page: str) -> dict:
    """The per-ward data object the map script carries."""
    match = re.search(r"var D = (\{.*?\});\n", page)
    assert match, "map data not found"
    return json.loads(match.group(1).replace("<\\/", "</"))


def embedded_geometry(page: str) -> str:
    match = re.search(r'var GEOM = ("(?:[^"\\]|\\.)*");', page)
    assert match, "map geometry not found"
    return json.loads(match.group(1).replace("<\\/", "</"))


@pytest.fixture
def layer() -> gpd.GeoDataFrame:
    return scored_grid()


@pytest.fixture
def page(layer) -> str:
    m = maps.risk_map(layer, indicators=INDICATORS, title="Kolkata demo", synthetic=True,
                      breaks={"risk_score": [2, 4, 6, 8, 10]})  # fmt: skip
    return maps.map_html(m)


def test_one_polygon_feature_per_ward(layer, page):
    wards = decode_wards(embedded_geometry(page))
    assert len(wards) == len(layer) == 16
    # each grid square comes back as one ring of its 4 corners (closing vertex dropped), to 1e-5 degree
    for ward, geom in zip(wards, layer.geometry):
        assert len(ward) == 1 and len(ward[0]) == 1 and len(ward[0][0]) == 4
        lats, lngs = zip(*ward[0][0])
        minx, miny, maxx, maxy = geom.bounds
        assert np.allclose([min(lngs), min(lats), max(lngs), max(lats)], [minx, miny, maxx, maxy], atol=1e-5)


def test_multipolygons_and_holes_round_trip():
    donut = box(88.3, 22.5, 88.4, 22.6).difference(box(88.33, 22.53, 88.36, 22.56))
    islands = shapely.MultiPolygon([box(88.5, 22.5, 88.51, 22.51), box(88.52, 22.5, 88.53, 22.51)])
    layer = gpd.GeoDataFrame({"ward_id": ["A", "B", "C"]}, geometry=[donut, islands, box(88.6, 22.5, 88.7, 22.6)],
                             crs=4326)  # fmt: skip
    wards = decode_wards(maps.encode_geometry(layer))
    assert [len(w) for w in wards] == [1, 2, 1]  # polygons per ward
    assert [len(p) for p in wards[0]] == [2]  # outer ring + hole


def test_legend_has_breaks_and_no_data(page):
    data = embedded_data(page)
    legend = data["views"][0]["legend"]
    # breaks given as upper bounds [2, 4, 6, 8, 10] -> 5 classes, then the grey No data class
    for label in ["≤ 2", "2 – 4", "4 – 6", "6 – 8", "8 – 10", "No data"]:
        assert label in legend
    assert maps.NO_DATA_COLOR in legend
    assert all("No data" in view["legend"] for view in data["views"])
    assert [v["label"] for v in data["views"]] == [
        "Composite risk", "Individual score", "Institutional score", "Ideological score", "LISA clusters"]  # fmt: skip
    assert "Hot spot 99%" in data["hot"]["legend"] and "Cold spot 90%" in data["hot"]["legend"]


def test_classes_follow_breaks_and_nan_is_no_data(layer, page):
    codes = embedded_data(page)["views"][0]["cls"]
    expected = np.searchsorted([2, 4, 6, 8, 10], layer["risk_score"].to_numpy(), side="left")
    for i, score in enumerate(layer["risk_score"]):
        assert codes[i] == ("-" if np.isnan(score) else str(expected[i]))


def test_default_breaks_are_mapclassify_quantiles(layer):
    mapclassify = pytest.importorskip("mapclassify")
    values = layer["individual_score"].to_numpy()
    view = embedded_data(maps.map_html(maps.risk_map(layer)))["views"][1]  # "Individual score"
    reference = mapclassify.Quantiles(values, k=5)
    assert view["cls"] == "".join(str(c) for c in reference.yb)
    assert f"≤ {round(reference.bins[0], 2):g}" in view["legend"]


def test_no_external_scripts_or_stylesheets(layer, page):
    assert not EXTERNAL_RESOURCE.search(page)
    rendered = maps.risk_map(layer, indicators=INDICATORS).get_root().render()
    assert not EXTERNAL_RESOURCE.search(rendered)
    sources = re.findall(r"<(?:script|link)\b[^>]*\s(?:src|href)=[\"']([^\"']*)", rendered)
    # only Leaflet's JS and CSS, both as data: URLs (no jQuery, Bootstrap, Font Awesome, d3)
    assert len(sources) == 2 and all(src.startswith(("data:text/javascript", "data:text/css")) for src in sources)


def test_names_are_escaped(page):
    assert EVIL_NAME not in page
    assert "onerror=alert(1)>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in embedded_data(page)["name"]


def test_caller_text_is_escaped(layer):
    evil = "<b onmouseover=x>"
    layer = layer.rename(columns={"incidents": evil})
    m = maps.risk_map(layer, indicators=[evil, "youth_unemployment_rate"], title=evil)
    text = maps.map_html(m)
    assert evil not in text and "&lt;b onmouseover=x&gt;" in text


def test_template_syntax_in_names_stays_text(layer):
    # folium renders each script through Jinja twice: '{{ 7*7 }}' must not become 49
    layer.loc[0, "ward_name"] = "{{ 7*7 }} {% if 1 %}x{% endif %} {# c"
    data = embedded_data(maps.map_html(maps.risk_map(layer)))
    assert data["name"][0] == "{{ 7*7 }} {% if 1 %}x{% endif %} {# c"


def test_tooltip_rows(page):
    labels = [row["label"] for row in embedded_data(page)["rows"]]
    for label in ["Risk score (0–10)", "Risk class", "Individual score", "Hot spot (Gi*)", "incidents",
                  "youth_unemployment_rate"]:  # fmt: skip
        assert label in labels


def test_synthetic_badge_and_hotspot_note(layer, page):
    assert "Synthetic demo data" in page
    assert maps.HOTSPOT_NOTE in page
    plain = maps.map_html(maps.risk_map(layer, indicators=INDICATORS, synthetic=False))
    assert "Synthetic demo data" not in plain


def test_standalone_html_inlines_leaflet(page):
    assert "<script src=" not in page and '<link rel="stylesheet"' not in page
    assert "Leaflet 1.9.3" in page and "L.map(" in page
    assert ".leaflet-container" in page  # the CSS


def test_tiles_are_optional(layer):
    plain = maps.risk_map(layer).get_root().render()
    assert "tile.openstreetmap.org" not in plain and "basemaps.cartocdn" not in plain
    assert maps.BACKGROUND_COLOR in plain
    osm = maps.map_html(maps.risk_map(layer, tiles="OpenStreetMap"))
    assert "tile.openstreetmap.org" in osm
    assert not EXTERNAL_RESOURCE.search(osm)  # tile URLs only, no scripts or stylesheets
    with pytest.raises(DataError, match="Unknown tiles"):
        maps.risk_map(layer, tiles="Stamen Toner")


def test_optional_columns_absent(layer):
    bare = layer[["ward_id", "geometry", "risk_score"] + [f"{d}_score" for d in DIMENSIONS]]
    data = embedded_data(maps.map_html(maps.risk_map(bare)))
    assert data["hot"] is None and data["name"] is None
    assert len(data["views"]) == 4


def test_bad_input_is_a_data_error(layer):
    with pytest.raises(DataError, match="institutional_score"):
        maps.risk_map(layer.drop(columns=["institutional_score"]))
    with pytest.raises(DataError, match="no CRS"):
        maps.risk_map(layer.set_crs(None, allow_override=True))
    with pytest.raises(DataError, match="increasing"):
        maps.risk_map(layer, breaks={"risk_score": [5, 3]})
    empty = layer.copy()
    empty.loc[2, "geometry"] = None
    with pytest.raises(DataError, match="KOL002"):
        maps.risk_map(empty)


def test_projected_input_is_reprojected(layer):
    utm = layer.to_crs(32645)
    wards = decode_wards(embedded_geometry(maps.map_html(maps.risk_map(utm))))
    assert len(wards) == 16 and abs(wards[0][0][0][0][0] - 22.52) < 1e-4


def test_geometry_is_cached_across_weight_changes(layer, monkeypatch):
    calls = []
    real = geometry._encode
    monkeypatch.setattr(geometry, "_encode", lambda g: calls.append(1) or real(g))
    geometry._GEOMETRY_CACHE.clear()
    maps.risk_map(layer)
    reweighted = layer.assign(risk_score=layer["risk_score"] * 0.9)
    maps.risk_map(reweighted)
    assert len(calls) == 1
    maps.risk_map(layer.assign(geometry=layer.geometry.translate(0.001)))
    assert len(calls) == 2


def test_simplification_keeps_every_ward_and_shrinks_html():
    wards = voronoi_wards(2_000)
    # like for like with the reference (Leaflet loaded from a URL in both): reference_pipeline.py's map
    ref = folium.Map(location=[0.045, 82.556], zoom_start=12)
    folium.Choropleth(geo_data=wards.to_json(), data=wards, columns=["ward_id", "risk_score"],
                      key_on="feature.properties.ward_id").add_to(ref)  # fmt: skip
    reference = ref.get_root().render()
    m = maps.risk_map(wards, indicators=["incidents", "youth_unemployment_rate"],
                      assets=maps.offline_asset_urls("static"))  # fmt: skip
    ours = m.get_root().render()
    assert len(ours) <= len(reference) / 4
    decoded = decode_wards(embedded_geometry(ours))
    assert len(decoded) == len(wards)
    assert all(len(ring) >= 3 for ward in decoded for poly in ward for ring in poly)
    # shapes within a fraction of a pixel (~5 m at the fitting zoom 13) of the originals
    rebuilt = np.array([shapely.Polygon([(lng, lat) for lat, lng in ward[0][0]]) for ward in decoded])
    sym = shapely.area(shapely.symmetric_difference(rebuilt, wards.geometry.values))
    assert np.all(sym <= 0.05 * shapely.area(wards.geometry.values))


def test_streamlit_folium_gets_only_local_leaflet(layer):
    streamlit_folium = pytest.importorskip("streamlit_folium")
    m = maps.risk_map(layer, indicators=INDICATORS, synthetic=True)
    m.get_root().render()
    script = streamlit_folium._get_map_string(m)
    header = streamlit_folium._get_header(m)
    assert "map_div" in script and "var GEOM" in script and "L.control.layers" in script
    assert ".hs-badge" in header  # our CSS reaches the component (as a <style> in the header)
    urls = [u for _, u in m.default_js] + [u for _, u in m.default_css]
    assert urls and all(u.startswith("data:") for u in urls)


def test_asset_helpers(tmp_path):
    urls = maps.offline_asset_urls("static")
    assert urls["js"][0][1].endswith("hotspots-leaflet/leaflet.js")
    folder = maps.ensure_static_assets(tmp_path)
    assert (folder / "leaflet.js").stat().st_size > 100_000 and (folder / "images" / "layers.png").exists()
    assert folder == tmp_path / "static" / "hotspots-leaflet"
    with pytest.raises(DataError):
        maps.offline_asset_urls("cdn")


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="needs headless Chromium")
def test_page_draws_every_ward_offline(page, tmp_path):
    # what streamlit-folium does on a click: tooltip content(layer).innerText, searched by app.py for the ward ID
    probe = """<script>var c = document.querySelector('.hs-map'), w = c._hsWards;
document.body.setAttribute('data-tip', w.getTooltip().getContent()(w.getLayers()[5]).innerText);</script>"""
    path = tmp_path / "map.html"
    path.write_text(page.replace("</html>", probe + "</html>"), encoding="utf-8")
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--virtual-time-budget=3000", "--dump-dom", path.as_uri()]  # fmt: skip
    dom = subprocess.run(args, capture_output=True, text=True, timeout=60).stdout
    assert 'data-hs-wards="16"' in dom  # the script ran to the end and made one polygon per ward
    assert "Synthetic demo data" in dom and "No data" in dom
    tip = re.search(r'data-tip="([^"]*)"', dom).group(1)
    assert re.search(r"Ward ID:\s*(\S+)", tip).group(1) == "KOL005"
    assert "&lt;img src=x onerror=alert(1)&gt;" in tip  # the name, as text (re-escaped by the DOM dump)


# ------------------------------------------------------------------------------------------------- compact mode


def test_compact_map_collapses_controls_and_keeps_only_the_badge(layer):
    full = embedded_data(maps.map_html(maps.risk_map(layer, title="Kolkata demo", synthetic=True)))
    compact_page = maps.map_html(maps.risk_map(layer, title="Kolkata demo", synthetic=True, compact=True))
    compact = embedded_data(compact_page)
    assert not full["compact"] and not full["collapsed"] and "Kolkata demo" in full["info"]
    assert compact["compact"] and compact["collapsed"]
    # the info box is only the synthetic badge: no title, no notes
    assert compact["info"] == '<div class="hs-badge">Synthetic demo data</div>'
    assert "Kolkata demo" not in compact_page and maps.HOTSPOT_NOTE not in compact_page
    # same layers, smaller legends: the Gi* legend has 2 rows instead of 6
    assert [v["label"] for v in compact["views"]] == [v["label"] for v in full["views"]]
    assert full["hot"]["legend"].count('class="hs-row"') == 6
    assert compact["hot"]["legend"].count('class="hs-row"') == 2
    assert "Hot spot" in compact["hot"]["legend"] and "Cold spot" in compact["hot"]["legend"]
    assert ".hs-compact .hs-row" in compact_page  # the smaller legend's CSS
    # without synthetic data a compact map has no info box at all
    assert embedded_data(maps.map_html(maps.risk_map(layer, title="x", compact=True)))["info"] == ""
    assert not EXTERNAL_RESOURCE.search(compact_page)


def test_map_is_fitted_by_its_script(layer):
    data = embedded_data(maps.map_html(maps.risk_map(layer)))
    # the 4x4 grid of 0.01 degree cells from (88.30, 22.52): [[south, west], [north, east]]
    assert np.allclose(data["bounds"], [[22.52, 88.30], [22.56, 88.34]])


# ---------------------------------------------------------------------------------------------------- bivariate


@pytest.fixture
def bivariate(layer):
    """The bivariate local Moran of the grid (individual here x ideological around; ward 3 has no ideological)."""
    from hotspots.spatial import bivariate_local_moran, neighbour_graph

    graph = neighbour_graph(layer, method="queen", id_column="ward_id")
    keyed = layer.set_index("ward_id")
    result = bivariate_local_moran(keyed["individual_score"], keyed["ideological_score"], graph, permutations=99)
    result.frame = result.frame.reindex(layer["ward_id"])  # the map takes the clusters in the layer's row order
    return result


def test_bivariate_map_classes_and_legend(layer, bivariate):
    page = maps.map_html(maps.bivariate_map(layer, bivariate.frame, "individual", "ideological", synthetic=True))
    data = embedded_data(page)
    assert len(data["views"]) == 1 and data["hot"] is None  # one layer: the script adds no layer control
    view = data["views"][0]
    keys = [key for key, _, _ in maps.BIVARIATE_STYLES]
    expected = ["-" if c not in keys else str(keys.index(c)) for c in bivariate.frame["bv_cluster"]]
    assert list(view["cls"]) == expected
    assert view["cls"][3] == "-"  # ward 3 has no ideological score: no data
    # GeoDa's colours, every cluster and "No data" in the legend, which names both kinds of risk
    assert view["colors"] == ["#ff0000", "#0000ff", "#f4ada8", "#a7adf9", "#c2c2c2", "#ffffff"]
    for label in ["High-High", "Low-Low", "High-Low", "Low-High", "Not significant", "No data"]:
        assert label in view["legend"]
    assert "Individual here × ideological around" in view["legend"]
    labels = [row["label"] for row in data["rows"]]
    assert labels == ["Individual score", "Ideological score", "Bivariate cluster", "Bivariate local I",
                      "p-value (corrected)"]  # fmt: skip
    assert "Synthetic demo data" in data["info"]


def test_bivariate_map_escapes_and_loads_nothing_remote(layer, bivariate):
    evil = "<script>alert(1)</script>"
    layer = layer.assign(**{f"{evil}_score": layer["individual_score"]})
    page = maps.map_html(maps.bivariate_map(layer, bivariate.frame, evil, "ideological", title=evil))
    assert evil not in page and EVIL_NAME not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in embedded_data(page)["views"][0]["legend"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in embedded_data(page)["name"]
    assert not EXTERNAL_RESOURCE.search(page)
    rendered = maps.bivariate_map(layer, bivariate.frame, "individual", "ideological").get_root().render()
    sources = re.findall(r"<(?:script|link)\b[^>]*\s(?:src|href)=[\"']([^\"']*)", rendered)
    assert len(sources) == 2 and all(src.startswith("data:") for src in sources)


def test_bivariate_map_takes_plain_labels_and_checks_them(layer):
    labels = ["high-high", "LOW-LOW ", None, "not significant"] * 4
    data = embedded_data(maps.map_html(maps.bivariate_map(layer, labels, "individual", "institutional",
                                                          compact=True)))  # fmt: skip
    assert data["views"][0]["cls"] == "01-4" * 4  # labels are matched trimmed and case-blind; None is no data
    assert data["compact"] and data["info"] == ""
    assert [row["label"] for row in data["rows"]] == ["Individual score", "Institutional score", "Bivariate cluster"]
    with pytest.raises(DataError, match="one per ward"):
        maps.bivariate_map(layer, labels[:5], "individual", "institutional")
    with pytest.raises(DataError, match="bv_cluster"):
        maps.bivariate_map(layer, pd.DataFrame({"cluster": labels}), "individual", "institutional")
    with pytest.raises(DataError, match="nope"):
        maps.bivariate_map(layer, labels, "individual", "institutional", x_column="nope")


# ------------------------------------------------------------------------------------------------------ ward_at


def test_ward_at_finds_the_clicked_ward(layer):
    # the grid's ward k covers [88.30 + 0.01 i, +0.01] x [22.52 + 0.01 j, +0.01] with k = 4 j + i
    assert maps.ward_at(layer, 22.525, 88.305) == "KOL000"
    assert maps.ward_at(layer, 22.545, 88.335) == "KOL011"  # i = 3, j = 2
    assert maps.ward_at(layer, 22.60, 88.305) is None  # north of the grid
    assert maps.ward_at(layer, float("nan"), 88.305) is None
    assert maps.ward_at(layer, None, 88.305) is None
    # on the edge shared by wards 0 and 1: the first ward in row order
    assert maps.ward_at(layer, 22.525, 88.31) == "KOL000"
    # any CRS: reprojected
    assert maps.ward_at(layer.to_crs(32645), 22.545, 88.335) == "KOL011"


def test_ward_at_respects_holes():
    donut = box(88.3, 22.5, 88.4, 22.6).difference(box(88.33, 22.53, 88.36, 22.56))
    wards = gpd.GeoDataFrame({"ward_id": ["ring", "core"]}, geometry=[donut, box(88.33, 22.53, 88.36, 22.56)],
                             crs=4326)  # fmt: skip
    assert maps.ward_at(wards, 22.545, 88.345) == "core"
    assert maps.ward_at(wards, 22.51, 88.31) == "ring"
    assert maps.ward_at(wards.iloc[:1], 22.545, 88.345) is None  # inside the hole: no ward


def test_ward_at_matches_brute_force_on_many_wards():
    wards = voronoi_wards(2_000, seed=3)
    rng = np.random.default_rng(7)
    minx, miny, maxx, maxy = wards.total_bounds
    lngs, lats = rng.uniform(minx, maxx, 200), rng.uniform(miny, maxy, 200)
    for lat, lng in zip(lats, lngs):
        inside = np.flatnonzero(shapely.contains_xy(wards.geometry.values, lng, lat))
        expected = wards["ward_id"].iloc[inside[0]] if len(inside) else None
        assert maps.ward_at(wards, lat, lng) == expected


@pytest.mark.skipif(CHROMIUM is None, reason="needs headless Chromium")
def test_compact_and_bivariate_maps_draw_offline(layer, bivariate, tmp_path):
    pages = {
        "compact": maps.map_html(maps.risk_map(layer, synthetic=True, compact=True)),
        "bivariate": maps.map_html(maps.bivariate_map(layer, bivariate.frame, "individual", "ideological")),
    }
    doms = {}
    for name, text in pages.items():
        path = tmp_path / f"{name}.html"
        path.write_text(text, encoding="utf-8")
        args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--virtual-time-budget=3000", "--dump-dom", path.as_uri()]  # fmt: skip
        doms[name] = subprocess.run(args, capture_output=True, text=True, timeout=60).stdout
    for dom in doms.values():
        assert 'data-hs-wards="16"' in dom  # the script ran to the end
    # the elements' classes (the inlined Leaflet source and our script mention the same names as text)
    compact = {c for attr in re.findall(r'class="([^"]*)"', doms["compact"]) for c in attr.split()}
    bivariate = {c for attr in re.findall(r'class="([^"]*)"', doms["bivariate"]) for c in attr.split()}
    assert {"hs-compact", "leaflet-control-layers", "hs-info", "hs-badge"} <= compact
    assert "leaflet-control-layers-expanded" not in compact  # collapsed to its icon
    assert "hs-title" not in compact
    assert "leaflet-control-layers" not in bivariate  # one layer: no control
    assert "hs-info" not in bivariate and "hs-legend" in bivariate  # no title, not synthetic: no info box
    assert "High-High" in doms["bivariate"]


# ------------------------------------------------------------------------------------------- classes from classify


def test_breaks_may_be_a_classification(layer):
    from hotspots.classify import classify

    classes = classify(layer["risk_score"], "equal_interval")
    data = embedded_data(maps.map_html(maps.risk_map(layer, breaks={"risk_score": classes})))
    assert data["views"][0]["cls"] == "".join("-" if c < 0 else str(c) for c in classes.codes)


def test_every_classify_scheme_draws(layer):
    from hotspots.classify import SCHEMES, classify

    for scheme in SCHEMES:  # "fixed" failed in the map before there was one list of schemes
        view = embedded_data(maps.map_html(maps.risk_map(layer, scheme=scheme)))["views"][1]
        expected = classify(layer["individual_score"], scheme).codes
        assert view["cls"] == "".join(str(c) for c in expected)
    with pytest.raises(DataError, match="fisher_jenks"):
        maps.risk_map(layer, scheme="natural_breaks")


def test_few_levels_keep_their_labels_colours(layer):
    # 3 distinct risk scores with Fisher-Jenks: 3 classes on labels 0, 2, 4 (Very low, Medium, Very high)
    few = layer.assign(risk_score=np.resize([1.0, 5.0, 9.0], len(layer)))
    view = embedded_data(maps.map_html(maps.risk_map(few, scheme="fisher_jenks")))["views"][0]
    assert set(view["cls"]) == {"0", "2", "4"}
    assert view["legend"].count('class="hs-row"') == 4  # 3 classes and No data
    for level in (0, 2, 4):
        assert maps.RISK_COLORS[level] in view["legend"]
    assert maps.RISK_COLORS[1] not in view["legend"] and maps.RISK_COLORS[3] not in view["legend"]
    assert len(maps.RISK_COLORS) == len(CLASS_LABELS)  # one colour per label of hotspots.classify


# ------------------------------------------------------------------------------------------- static files, layout


def test_script_and_styles_are_package_data(layer):
    from importlib import resources
    from pathlib import Path

    static = resources.files("hotspots.maps") / "static"
    script = (static / "risk_layers.js").read_text(encoding="utf-8")
    css = (static / "map.css").read_text(encoding="utf-8")
    assert maps.BACKGROUND_COLOR in css
    # folium may pass the scripts through Jinja again: no template syntax in our own script
    assert not re.search(r"\{[{%#]", script) and not re.search(r"\{[{%#]", css)
    page = maps.map_html(maps.risk_map(layer))
    assert "function decode(s)" in page and ".hs-tip td" in page
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"hotspots.maps" = ["static/*.js", "static/*.css"]' in pyproject


def test_modules_and_functions_stay_small():
    import ast
    from pathlib import Path

    # STYLE.md: a module past ~600 lines or a function past ~60 lines is asking to be split
    for path in (Path(maps.__file__).parent).glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert text.count("\n") <= 600, path.name
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef):
                body = node.body[1:] if ast.get_docstring(node) else node.body
                assert body[-1].end_lineno - body[0].lineno + 1 <= 60, (path.name, node.name)


# -------------------------------------------------------------------------------------------------- small counts


def test_small_counts_are_suppressed_in_the_tooltip(layer):
    counts = layer.assign(incidents=np.arange(len(layer)) % 8, population=np.arange(len(layer)) + 1)
    page = maps.map_html(maps.risk_map(counts, indicators=INDICATORS, count_columns=["incidents"]))
    row = next(r for r in embedded_data(page)["rows"] if r["label"] == "incidents")
    # counts 1..4 are what hotspots.export blanks out with the default threshold 5; 0 is not a small count
    expected = [v if v == 0 or v >= 5 else "suppressed (&lt; 5)" for v in counts["incidents"]]
    assert row["num"] == expected
    population = next(r for r in embedded_data(page)["rows"] if r["label"] == "Population")
    assert population["num"] == list(range(1, 17))  # not a count column: shown as it is
    seven = maps.map_html(maps.risk_map(counts, indicators=INDICATORS, count_columns=["incidents"], suppress_below=7))
    assert "suppressed (&lt; 7)" in seven and "suppressed (&lt; 5)" not in seven
    everything = maps.map_html(maps.risk_map(counts, indicators=INDICATORS, count_columns=["incidents"],
                                             suppress_below=0))  # fmt: skip
    assert "suppressed" not in everything
    for bad in (-1, 2.5, "5", True):
        with pytest.raises(DataError, match="suppress_below"):
            maps.risk_map(counts, indicators=INDICATORS, count_columns=["incidents"], suppress_below=bad)


def test_bivariate_tooltip_suppresses_small_counts(layer, bivariate):
    counts = layer.assign(incidents=np.arange(len(layer)) % 8)
    page = maps.map_html(maps.bivariate_map(counts, bivariate.frame, "individual", "ideological",
                                            x_column="incidents", count_columns=["incidents"]))  # fmt: skip
    row = embedded_data(page)["rows"][0]
    assert row["num"][1:5] == ["suppressed (&lt; 5)"] * 4 and row["num"][5] == 5


@pytest.fixture(scope="module")
def kolkata_result():
    import hotspots

    city = hotspots.demo_city("kolkata")
    return hotspots.run(city.indicators_path, city.boundaries_path, id_column="ward_id", permutations=99)


def test_kolkata_map_hides_every_count_the_export_hides(kolkata_result):
    import html as html_lib

    result = kolkata_result
    page = maps.map_html(
        maps.risk_map(
            result.layer,
            dimensions=result.dimension_names,
            indicators=result.framework.columns,
            breaks=result.breaks,
            count_columns=result.count_columns,
            suppress_below=result.suppress_below,
        )
    )
    data = embedded_data(page)
    table, suppressed = result.export_table()
    # the issue: 84 of Kolkata's 144 wards have an extremist-propaganda count the exports blank out
    assert suppressed["extremist_propaganda_reports"] == 84
    assert [html_lib.unescape(i) for i in data["id"]] == table["ward_id"].astype(str).tolist()
    rows = {row["label"]: row.get("num") for row in data["rows"]}
    assert result.count_columns
    for column in result.count_columns:
        raw = pd.to_numeric(result.layer[column], errors="coerce")
        hidden = raw.notna() & table[column].isna()
        assert hidden.sum() == suppressed[column]
        shown = rows[column]
        for value, is_hidden, exported in zip(shown, hidden, table[column]):
            if is_hidden:
                assert value == "suppressed (&lt; 5)"  # never the count of 1-4
            else:
                assert value == (None if pd.isna(exported) else exported)
        assert not any(isinstance(v, (int, float)) and 0 < v < 5 for v in shown)
    assert "suppressed (&lt; 5)" in page


# ------------------------------------------------------------------------------------------------- contrast


def _luminance(color: str) -> float:
    """WCAG 2.x relative luminance of a #rrggbb colour."""
    channels = [int(color.lstrip("#")[k : k + 2], 16) / 255 for k in (0, 2, 4)]
    r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: str, b: str) -> float:
    """WCAG contrast ratio, 1 to 21."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_helper_matches_wcag():
    assert _contrast("#000000", "#ffffff") == pytest.approx(21.0)  # WCAG's extreme pair
    assert _contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # WebAIM's checker: 4.48:1
    # The colours of the issue: the old hot-spot outline on the top class
    assert _contrast("#b2182b", "#bd0026") < 1.1


def test_hotspot_outlines_stand_out_on_every_fill():
    """On every fill a hot/cold spot can sit on, the outline or its halo reaches 3:1 (WCAG non-text contrast)."""
    fills = [*maps.RISK_COLORS, maps.NO_DATA_COLOR, maps.BACKGROUND_COLOR]
    for label, outline, _, _ in maps.HOTSPOT_STYLES:
        for fill in fills:
            best = max(_contrast(outline, fill), _contrast(maps.HALO_COLOR, fill))
            assert best >= 3.0, f"{label} ({outline} with halo {maps.HALO_COLOR}) on {fill}: {best:.2f}:1"
        # the outline itself stands out from its halo, or the halo would just widen the outline
        assert _contrast(outline, maps.HALO_COLOR) >= 3.0


def test_hotspot_overlay_draws_a_halo_under_each_outline():
    view = maps.views._hotspot_overlay(pd.Series(["hot spot 99%", "cold spot 90%", "not significant"]))
    for style, (_, color, weight, _) in zip(view["styles"], maps.HOTSPOT_STYLES):
        assert style["color"] == color and style["halo"] == maps.HALO_COLOR
        assert style["haloWeight"] > weight
    script = (Path(maps.__file__).parent / "static" / "risk_layers.js").read_text(encoding="utf-8")
    assert "st.halo" in script and "st.haloWeight" in script


def test_lisa_light_classes_are_distinguishable_from_background_and_no_data():
    """Not significant, not tested, no data and the map background: each pair at least 1.3:1 apart."""
    colors = {label: color for key, label, color in maps.LISA_STYLES if key in ("not significant", "not tested")}
    colors["No data"] = maps.NO_DATA_COLOR
    colors["background"] = maps.BACKGROUND_COLOR
    names = list(colors)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            ratio = _contrast(colors[a], colors[b])
            assert ratio >= 1.2, f"{a} ({colors[a]}) vs {b} ({colors[b]}): {ratio:.2f}:1"
    not_significant = colors["Not significant"]
    assert _contrast(not_significant, maps.BACKGROUND_COLOR) >= 1.3


def test_tooltip_shows_labels_and_the_breakdown_values(kolkata_result):
    """With the framework's indicators, the tooltip shows each label and the value the ward breakdown shows
    (rates per 10,000 residents for counts with a denominator), not the raw count under the column name."""
    import html as html_lib

    result = kolkata_result
    framework = result.framework
    page = maps.map_html(
        maps.risk_map(
            result.layer,
            dimensions=result.dimension_names,
            indicators=framework.indicators,
            population_column=framework.population_column,
            count_columns=result.count_columns,
        )
    )
    rows = {html_lib.unescape(row["label"]): row.get("num") for row in embedded_data(page)["rows"]}
    for indicator in framework.indicators:
        assert indicator.label and indicator.label in rows, indicator.label  # the default framework has labels
        assert indicator.column not in rows
    rate = next(i for i in framework.indicators if i.per_population)
    assert "per 10,000 residents" in rate.display_label
    ids = result.layer["ward_id"].astype(str).tolist()
    for ward in ids[:40]:
        breakdown = result.explain(ward).set_index("indicator")
        for indicator in framework.indicators:
            shown = rows[indicator.display_label][ids.index(ward)]
            expected = breakdown.loc[indicator.column, "value"]
            assert breakdown.loc[indicator.column, "label"] == indicator.display_label
            if isinstance(expected, str):  # suppressed in the breakdown: suppressed in the tooltip
                assert shown == html_lib.escape(expected)
            elif pd.isna(expected):
                assert shown is None
            else:  # the tooltip rounds to 3 significant digits of the column's largest value
                top = pd.to_numeric(pd.Series(rows[indicator.display_label]), errors="coerce").abs().max()
                assert shown == pytest.approx(expected, abs=0.006 * top), (ward, indicator.column)


def test_indicator_labels_made_when_missing():
    from hotspots.framework import Indicator

    assert Indicator("hate_incidents", "x", unit="count", per_population=10000).display_label == (
        "Hate incidents per 10,000 residents"
    )
    assert Indicator("dropout", "x", unit="percent").display_label == "Dropout (%)"
    assert Indicator("dropout", "x", unit="percent", label="Drop-out <b>").display_label == "Drop-out <b>"


def test_indicator_labels_are_escaped_in_the_tooltip(layer):
    from hotspots.framework import Indicator

    label = '<img src=x onerror="alert(1)"> incidents'
    page = maps.map_html(maps.risk_map(layer, indicators=[Indicator("incidents", "individual", label=label)]))
    assert "<img src=x" not in page
    labels = [row["label"] for row in embedded_data(page)["rows"]]
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; incidents" in labels


def test_map_opens_on_the_chosen_layer_and_can_leave_its_legend_out(layer):
    data = embedded_data(maps.map_html(maps.risk_map(layer, indicators=INDICATORS, view="individual_score")))
    assert data["views"][0]["column"] == "individual_score" and not data["nolegend"]
    assert {v["column"] for v in data["views"]} >= {"risk_score", "individual_score"}
    data = embedded_data(maps.map_html(maps.risk_map(layer, indicators=INDICATORS, legend=False)))
    assert data["views"][0]["column"] == "risk_score" and data["nolegend"]
    with pytest.raises(DataError, match="No map layer"):
        maps.risk_map(layer, indicators=INDICATORS, view="nonsense")
    css = (Path(maps.__file__).parent / "static" / "map.css").read_text(encoding="utf-8")
    assert ".hs-nolegend .hs-legend{display:none}" in css


def test_map_parts_are_what_the_page_embeds(layer, page):
    # the app's map component draws from these parts: the same data and geometry as the standalone page
    from hotspots.maps.element import map_parts

    m = maps.risk_map(layer, indicators=INDICATORS, title="Kolkata demo", synthetic=True,
                      breaks={"risk_score": [2, 4, 6, 8, 10]})  # fmt: skip
    parts = map_parts(m)
    assert parts["geometry"] == embedded_geometry(page)
    data = json.loads(parts["data"])
    assert data == embedded_data(page)
    assert len(data["id"]) == len(layer) == 16
    assert parts["tiles"] == [] and parts["options"]["zoomSnap"] == 0.25
    assert "return {wards: wards, update: update};" in parts["layers_js"]  # restyles a drawn map on new data
    with pytest.raises(ValueError, match="no ward layers"):
        map_parts(folium.Map(tiles=None))


def test_input_rows_are_reused_only_for_the_same_values(layer):
    """The tooltip's indicator rows are cached on their values (a weight change moves only the scores): a new score
    reuses them, a changed indicator value or a shuffled row order gives rows of its own."""

    def rows(scored) -> dict:
        data = embedded_data(maps.map_html(maps.risk_map(scored, indicators=INDICATORS)))
        return {row["label"]: row.get("num") for row in data["rows"]}

    first = rows(layer)
    rescored = layer.assign(risk_score=layer["risk_score"][::-1].to_numpy())
    again = rows(rescored)
    assert again["incidents"] == first["incidents"] and again["Risk score (0–10)"] != first["Risk score (0–10)"]
    changed = layer.copy()
    changed.loc[0, "incidents"] = changed["incidents"].max() + 7
    assert rows(changed)["incidents"][0] == changed.loc[0, "incidents"]
    shuffled = layer.iloc[::-1]  # the rows follow the wards, not the positions
    assert rows(shuffled)["incidents"] == first["incidents"][::-1]


def test_a_smoothed_indicator_shows_the_model_value_in_the_tooltip_as_in_the_breakdown():
    """With Empirical Bayes smoothing, the model uses a smoothed rate: the tooltip shows it, labelled smoothed, as
    the ward breakdown does (it showed the raw rate under the same label: issue 9, the same values everywhere)."""
    import dataclasses
    import html

    from hotspots.demo import demo_cities
    from hotspots.framework import default_framework
    from hotspots.maps.tooltips import _tooltip_rows
    from hotspots.pipeline import prepare_city, read_city, score_city

    framework = default_framework()
    smoothed = next(i for i in framework.indicators if i.per_population and i.unit == "count")
    indicators = [dataclasses.replace(i, smoothing="eb") if i is smoothed else i for i in framework.indicators]
    framework = dataclasses.replace(framework, indicators=tuple(indicators))
    demo = demo_cities()["kolkata"]
    raw = read_city(demo.indicators_path, demo.boundaries_path, name=demo.name, synthetic=True)
    result = score_city(prepare_city(raw, framework, id_column=demo.id_column), framework, permutations=0)
    layer = result.layer.sample(frac=1.0, random_state=3)  # another row order: values follow the ward IDs
    result = dataclasses.replace(result, layer=layer)

    def row(model_values):
        args = (layer, result.dimension_names, framework.indicators, result.count_columns, result.suppress_below)
        rows = _tooltip_rows(*args, framework.population_column, model_values)
        return next(r for r in rows if r["label"].startswith(smoothed.display_label))

    shown = row(result.model_values())
    assert shown["label"] == f"{smoothed.display_label}, smoothed (eb)"
    compared = 0
    for ward, value in zip(layer["ward_id"], shown["num"]):
        expected = result.explain(ward).set_index("indicator").loc[smoothed.column, "value"]
        if isinstance(expected, str):  # a suppressed count: hidden in both
            assert isinstance(value, str) and html.unescape(value) == expected  # the tooltip's text is HTML
            continue
        if pd.isna(expected):  # no value: none in the tooltip either
            assert value is None
            continue
        assert value == pytest.approx(expected, abs=0.0051)  # to 3 significant digits of the largest (10.x): 2 decimals
        compared += 1
    assert compared > 50
    raw_rates = row(None)["num"]  # without the model's values: the raw rate, which differs
    assert raw_rates != shown["num"]
