"""Tests of the built-in demo cities (hotspots.demo) and of their generator (data/make_demo.py)."""

from __future__ import annotations

import doctest
import json
import runpy
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import shape

import hotspots
import hotspots.demo
from hotspots.demo import DEMO_DIR, DemoCity, demo_cities, demo_city, write_demo
from hotspots.errors import DataError

REPO_ROOT = Path(__file__).resolve().parent.parent
CITY_KEYS = ["kolkata", "dhaka", "colombo", "male"]

RATE_COLUMNS = ["youth_unemployment_rate", "school_dropout_rate", "institution_licensing_rate"]
COUNT_COLUMNS = ["unlicensed_institutions", "hate_incidents", "extremist_propaganda_reports"]
INDICATOR_COLUMNS = [
    "youth_unemployment_rate",
    "school_dropout_rate",
    "unlicensed_institutions",
    "institution_licensing_rate",
    "hate_incidents",
    "extremist_propaganda_reports",
]
EXPECTED_COLUMNS = ["ward_id", "ward_name", "ward_name_local", "population", *INDICATOR_COLUMNS]

# (min lon, min lat, max lon, max lat): generous boxes around the real cities (from any map), so that a demo city
# drawn in the wrong place, or with lat/lon swapped, fails.
REAL_BOUNDING_BOXES = {
    "kolkata": (88.24, 22.42, 88.46, 22.66),
    "dhaka": (90.30, 23.66, 90.50, 23.92),
    "colombo": (79.83, 6.85, 79.90, 6.99),
    "male": (73.47, 4.16, 73.56, 4.25),
}
# Population per ward from the brief (realistic ranges for each city).
POPULATION_RANGES = {
    "kolkata": (25_000, 45_000),
    "dhaka": (50_000, 250_000),
    "colombo": (5_000, 30_000),
    "male": (10_000, 60_000),
}
# Unicode blocks of the local-name scripts: Bengali, Bengali, Sinhala, Thaana.
LOCAL_SCRIPTS = {
    "kolkata": (0x0980, 0x09FF),
    "dhaka": (0x0980, 0x09FF),
    "colombo": (0x0D80, 0x0DFF),
    "male": (0x0780, 0x07BF),
}


@pytest.fixture(scope="module", params=CITY_KEYS)
def city(request) -> DemoCity:
    return demo_city(request.param)


def read_indicators(city: DemoCity) -> pd.DataFrame:
    return pd.read_csv(city.indicators_path, dtype={"ward_id": str}, encoding="utf-8")


def read_boundaries(city: DemoCity):
    import geopandas as gpd

    return gpd.read_file(city.boundaries_path)


def read_geojson(city: DemoCity) -> dict:
    return json.loads(city.boundaries_path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------------------------------------------


def test_demo_cities_are_ordered_kolkata_first():
    assert list(demo_cities()) == CITY_KEYS


def test_demo_cities_returns_a_copy():
    cities = demo_cities()
    cities.pop("kolkata")
    assert "kolkata" in demo_cities()


@pytest.mark.parametrize("spelling", ["male", "Male", "MALE", "malé", "Malé", "  MALÉ "])
def test_demo_city_accepts_male_in_any_spelling(spelling):
    assert demo_city(spelling).key == "male"
    assert demo_city(spelling).name == "Malé"


def test_unknown_demo_city_raises_data_error_listing_the_keys():
    with pytest.raises(DataError) as raised:
        demo_city("karachi")
    message = str(raised.value)
    assert "karachi" in message
    for key in CITY_KEYS:
        assert key in message
    assert isinstance(raised.value, ValueError)  # callers may catch the builtin too


def test_demo_dir_is_inside_the_package():
    # package data (hotspots/data/demo), so that an installed hotspots finds the demo cities too
    assert DEMO_DIR == Path(hotspots.__file__).resolve().parent / "data" / "demo"
    assert DEMO_DIR == REPO_ROOT / "hotspots" / "data" / "demo"
    assert not (REPO_ROOT / "data" / "demo").exists()  # one home for the demo files


def test_files_exist_and_say_synthetic_in_their_names(city):
    for path in (city.indicators_path, city.boundaries_path):
        assert path.is_file()
        assert path.parent == DEMO_DIR
        assert "synthetic" in path.name
    assert city.synthetic
    assert city.id_column == "ward_id"


def test_demo_data_is_small():
    total_bytes = sum(path.stat().st_size for path in DEMO_DIR.iterdir() if path.is_file())
    assert total_bytes < 2_000_000


def test_module_docstring_examples_run():
    failures, _ = doctest.testmod(hotspots.demo)
    assert failures == 0


# ---------------------------------------------------------------------------------------------------------------
# Ward counts and IDs
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "n_wards"), [("kolkata", 144), ("dhaka", 129), ("colombo", 47), ("male", 6)])
def test_ward_counts(key, n_wards):
    city = demo_city(key)
    assert city.n_wards == n_wards
    assert len(read_indicators(city)) == n_wards
    assert len(read_boundaries(city)) == n_wards


def test_dhaka_has_54_north_and_75_south_wards():
    ward_ids = read_indicators(demo_city("dhaka"))["ward_id"]
    assert sorted(ward_ids[ward_ids.str.startswith("DNCC-")]) == [f"DNCC-{n:02d}" for n in range(1, 55)]
    assert sorted(ward_ids[ward_ids.str.startswith("DSCC-")]) == [f"DSCC-{n:02d}" for n in range(1, 76)]


def test_dhaka_corporations_are_side_by_side():
    boundaries = read_boundaries(demo_city("dhaka"))
    north = shapely.union_all(boundaries.geometry[boundaries["ward_id"].str.startswith("DNCC-")].values)
    south = shapely.union_all(boundaries.geometry[boundaries["ward_id"].str.startswith("DSCC-")].values)
    assert north.geom_type == "Polygon" and south.geom_type == "Polygon"
    assert north.intersection(south).length > 0  # a shared border, not a corner
    assert north.centroid.y > south.centroid.y


def test_male_has_its_six_named_wards():
    table = read_indicators(demo_city("male"))
    assert sorted(table["ward_name"]) == sorted(
        ["Henveiru", "Galolhu", "Maafannu", "Machchangolhi", "Vilimalé", "Hulhumalé"]
    )


def test_ids_are_unique_strings_and_match_between_csv_and_geojson(city):
    table = read_indicators(city)
    boundaries = read_boundaries(city)
    assert table["ward_id"].is_unique
    assert boundaries["ward_id"].is_unique
    assert table["ward_id"].notna().all()
    assert list(table["ward_id"]) == list(boundaries["ward_id"])


def test_csv_columns_and_local_script(city):
    table = read_indicators(city)
    assert list(table.columns) == EXPECTED_COLUMNS
    low, high = LOCAL_SCRIPTS[city.key]
    for local_name in table["ward_name_local"]:
        assert any(low <= ord(char) <= high for char in local_name), local_name
    assert table["ward_name"].notna().all()


# ---------------------------------------------------------------------------------------------------------------
# Geometry
# ---------------------------------------------------------------------------------------------------------------


def test_crs_is_wgs84(city):
    assert read_boundaries(city).crs.to_epsg() == 4326
    assert "crs" not in read_geojson(city)  # RFC 7946: no crs member, lon/lat implied


def test_polygons_are_valid_single_parts(city):
    boundaries = read_boundaries(city)
    assert boundaries.geometry.is_valid.all()
    assert (boundaries.geom_type == "Polygon").all()
    assert (shapely.area(boundaries.geometry.values) > 0).all()


def test_rings_are_rfc7946_oriented_and_rounded(city):
    for feature in read_geojson(city)["features"]:
        exterior, *holes = feature["geometry"]["coordinates"]
        assert shapely.LinearRing(exterior).is_ccw
        assert all(not shapely.LinearRing(hole).is_ccw for hole in holes)
        for lon, lat in exterior:
            assert round(lon, 6) == lon and round(lat, 6) == lat


def test_wards_form_a_valid_coverage(city):
    # No overlaps, and neighbours share their edges vertex for vertex (what queen contiguity relies on).
    polygons = [shape(feature["geometry"]) for feature in read_geojson(city)["features"]]
    assert shapely.coverage_is_valid(shapely.GeometryCollection(polygons))


def test_city_lies_within_its_real_bounding_box(city):
    min_lon, min_lat, max_lon, max_lat = read_boundaries(city).total_bounds
    box_min_lon, box_min_lat, box_max_lon, box_max_lat = REAL_BOUNDING_BOXES[city.key]
    assert box_min_lon <= min_lon and max_lon <= box_max_lon
    assert box_min_lat <= min_lat and max_lat <= box_max_lat


def test_kolkata_is_elongated_north_south():
    boundaries = read_boundaries(demo_city("kolkata")).to_crs(32645)
    min_x, min_y, max_x, max_y = boundaries.total_bounds
    assert (max_y - min_y) > 1.2 * (max_x - min_x)


def queen_weights(frame):
    from libpysal.weights import Queen

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # libpysal warns about islands, which Malé has on purpose
        return Queen.from_dataframe(frame, use_index=False, silence_warnings=True)


def test_male_outer_islands_have_no_land_neighbour():
    boundaries = read_boundaries(demo_city("male"))
    weights = queen_weights(boundaries)
    names = dict(zip(boundaries["ward_name"], range(len(boundaries))))
    assert weights.cardinalities[names["Vilimalé"]] == 0
    assert weights.cardinalities[names["Hulhumalé"]] == 0
    for ward in ["Henveiru", "Galolhu", "Maafannu", "Machchangolhi"]:
        assert weights.cardinalities[names[ward]] >= 2
    # Real layout: Hulhumalé north-east of Malé island, Vilimalé west of it.
    centroids = boundaries.to_crs(32643).centroid
    male_island = centroids[[names[w] for w in ["Henveiru", "Galolhu", "Maafannu", "Machchangolhi"]]]
    hulhumale, vilimale = centroids[names["Hulhumalé"]], centroids[names["Vilimalé"]]
    assert hulhumale.x > male_island.x.max() and hulhumale.y > male_island.y.max()
    assert vilimale.x < male_island.x.min()


def test_big_cities_have_no_islands():
    for key in ["kolkata", "dhaka", "colombo"]:
        assert queen_weights(read_boundaries(demo_city(key))).islands == []


# ---------------------------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------------------------


def test_populations_are_realistic_integers(city):
    population = read_indicators(city)["population"]
    assert population.notna().all()
    assert pd.api.types.is_integer_dtype(population)
    low, high = POPULATION_RANGES[city.key]
    assert population.between(low, high).all()


def test_percentages_lie_within_0_and_100(city):
    table = read_indicators(city)
    for column in RATE_COLUMNS:
        values = table[column].dropna()
        assert values.between(0, 100).all(), column
    assert table["youth_unemployment_rate"].dropna().between(5, 40).all()
    assert table["school_dropout_rate"].dropna().between(1, 25).all()
    assert table["institution_licensing_rate"].dropna().between(40, 100).all()


def test_counts_are_non_negative_integers(city):
    table = read_indicators(city)
    for column in COUNT_COLUMNS:
        values = table[column].dropna()
        assert (values >= 0).all(), column
        assert (values == np.floor(values)).all(), column
    assert table["unlicensed_institutions"].max() <= 30
    assert table[["hate_incidents", "extremist_propaganda_reports"]].max().max() <= 20


def test_missing_values_are_present_but_few(city):
    table = read_indicators(city)
    missing_per_column = table[INDICATOR_COLUMNS].isna().sum()
    total_missing = int(missing_per_column.sum())
    assert (
        table[["ward_id", "ward_name", "ward_name_local", "population"]].notna().all().all()
    )  # IDs, names and population are complete
    if city.key == "male":
        assert total_missing == 1
    else:
        assert 3 <= total_missing <= 6
        assert (missing_per_column > 0).sum() == total_missing  # each in a different column


def test_kolkata_youth_unemployment_is_spatially_autocorrelated():
    from esda.moran import Moran

    city = demo_city("kolkata")
    frame = read_boundaries(city)[["ward_id", "geometry"]].merge(read_indicators(city), on="ward_id")
    frame = frame.dropna(subset=["youth_unemployment_rate"]).reset_index(drop=True)
    weights = queen_weights(frame)
    weights.transform = "r"
    np.random.seed(7)  # esda's Moran permutations draw from numpy's global generator
    moran = Moran(frame["youth_unemployment_rate"].to_numpy(float), weights, permutations=199)
    # The generator builds a smooth field (clusters + neighbour-averaged noise); 0.3 is well below what it
    # gives (about 0.58 for the committed file) and well above what random values give (about 0).
    assert moran.I > 0.3
    assert moran.p_sim < 0.01


def test_dimensions_are_correlated_but_not_perfectly():
    table = read_indicators(demo_city("kolkata"))
    correlation = table["youth_unemployment_rate"].corr(table["hate_incidents"])
    assert 0.1 < correlation < 0.9
    assert table["youth_unemployment_rate"].corr(table["institution_licensing_rate"]) < 0  # lower is riskier


# ---------------------------------------------------------------------------------------------------------------
# Synthetic label and reproducibility
# ---------------------------------------------------------------------------------------------------------------


def test_geojson_metadata_labels_the_data_synthetic(city):
    metadata = read_geojson(city)["metadata"]
    assert metadata["synthetic"] is True
    assert "synthetic" in metadata["note"].casefold() and "not real" in metadata["note"].casefold()
    assert metadata["generator"] == "data/make_demo.py"
    assert "seed" in metadata


def _make_demo() -> dict:
    """The names defined by data/make_demo.py (a script, not part of the package), run in this process."""
    return runpy.run_path(str(REPO_ROOT / "data" / "make_demo.py"), run_name="make_demo")


def test_generator_writes_into_the_package_by_default():
    assert _make_demo()["DEFAULT_OUT_DIR"] == DEMO_DIR


def test_generator_regenerates_the_committed_files_byte_for_byte(tmp_path):
    _make_demo()["main"](["--out", str(tmp_path)])
    generated = sorted(path.name for path in tmp_path.iterdir())
    committed = sorted(path.name for path in DEMO_DIR.iterdir() if path.is_file())
    assert generated == committed
    for name in generated:
        assert (tmp_path / name).read_bytes() == (DEMO_DIR / name).read_bytes(), name


# ---------------------------------------------------------------------------------------------------------------
# write_demo
# ---------------------------------------------------------------------------------------------------------------


def test_write_demo_copies_both_files_into_a_new_folder(tmp_path):
    out_dir = tmp_path / "new" / "folder"
    written = write_demo("Colombo", out_dir)
    city = demo_city("colombo")
    assert written == [out_dir / city.indicators_path.name, out_dir / city.boundaries_path.name]
    for copy, original in zip(written, [city.indicators_path, city.boundaries_path]):
        assert copy.read_bytes() == original.read_bytes()


def test_write_demo_rejects_an_unknown_city(tmp_path):
    with pytest.raises(DataError):
        write_demo("atlantis", tmp_path)
    assert list(tmp_path.iterdir()) == []
