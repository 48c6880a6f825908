"""The whole path on the demo cities and on real ward boundaries from ../shared/data/boundaries."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hotspots
from hotspots.demo import demo_cities
from hotspots.spatial import HOTSPOT_CLASSES

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "boundaries"
needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(),
    reason=f"real boundary files not found at {SHARED} (they live beside the project, in ../shared/data/boundaries)",
)


@pytest.mark.parametrize("key", list(demo_cities()))
def test_every_demo_city_scores(key):
    c = demo_cities()[key]
    result = hotspots.run(c.indicators_path, c.boundaries_path, id_column="ward_id", permutations=99)
    layer = result.layer
    assert len(layer) == c.n_wards
    assert layer["risk_score"].dropna().between(0, 10).all()
    assert result.city.synthetic
    assert set(layer["hotspot_class"]) <= set(HOTSPOT_CLASSES)
    meta = result.metadata()
    assert meta["synthetic_data"] is True and "SYNTHETIC" in meta["title"]


def test_demo_kolkata_has_hotspots_and_round_trips(tmp_path):
    c = demo_cities()["kolkata"]
    result = hotspots.run(c.indicators_path, c.boundaries_path, id_column="ward_id", permutations=999)
    assert result.layer["hotspot_class"].str.startswith("hot spot").sum() >= 3
    out = tmp_path / "k.geojson"
    result.to_geojson(out)
    back, meta = hotspots.export.read_geojson(out)
    table, _ = result.export_table()
    pd.testing.assert_frame_equal(
        pd.DataFrame(back.drop(columns="geometry")), table.reset_index(drop=True), check_dtype=False
    )
    assert meta["framework"] == result.framework.to_dict()


def _indicator_table(ids, seed=0):
    rng = np.random.default_rng(seed)
    n = len(ids)
    return pd.DataFrame(
        {
            "WARD": ids,
            "population": rng.integers(5000, 80000, n),
            "youth_unemployment_rate": rng.uniform(2, 40, n).round(1),
            "school_dropout_rate": rng.uniform(1, 20, n).round(1),
            "unlicensed_institutions": rng.poisson(5, n),
            "institution_licensing_rate": rng.uniform(40, 100, n).round(1),
            "hate_incidents": rng.poisson(3, n),
            "extremist_propaganda_reports": rng.poisson(2, n),
        }
    )


@needs_shared
def test_mumbai_personal_data_columns_do_not_reach_the_export(tmp_path):
    import geopandas as gpd

    src = SHARED / "mumbai" / "bmc_electoral_wards_2017"  # GeoJSON without extension; has councillor names
    wards = gpd.read_file(src)
    personal = [c for c in wards.columns if c not in ("geometry", "PRABHAG_NO")]
    t = _indicator_table([f" {v} " for v in wards["PRABHAG_NO"]])  # IDs with spaces: tolerated
    csv = tmp_path / "mumbai.csv"
    t.to_csv(csv, index=False)
    result = hotspots.run(csv, src, id_column="WARD", boundary_id_column="PRABHAG_NO", permutations=99)
    assert result.city.join.matched == len(wards)
    text = result.to_geojson(tmp_path / "m.geojson")
    props = json.loads(text)["features"][0]["properties"]
    # the table's own ID column is kept beside ward_id (for joining back in a GIS); here it is called WARD, like
    # a boundary column, and holds the table's IDs as written, not the boundaries' WARD values
    assert props["WARD"].strip() == props["ward_id"] == str(props["PRABHAG_NO"])
    personal.remove("WARD")
    assert not set(personal) & set(props), set(personal) & set(props)
    assert not any(c in result.to_csv() for c in ("COUNCILLOR", "RESERVATION") if c in personal)


@needs_shared
def test_delhi_null_id_and_unmatched_reported(tmp_path):
    import geopandas as gpd

    src = SHARED / "delhi" / "Delhi_Wards.geojson"
    ids = gpd.read_file(src)["Ward_No"].dropna().tolist()
    t = _indicator_table(ids[:-5] + ["NOT_A_WARD"])
    csv = tmp_path / "delhi.csv"
    t.to_csv(csv, index=False)
    raw = hotspots.read_city(csv, src, boundary_id_column="Ward_No")
    city = hotspots.prepare_city(raw, hotspots.default_framework(), id_column="WARD", boundary_id_column="Ward_No")
    assert city.join.unmatched_table == ["NOT_A_WARD"]
    assert set(ids[-5:]) <= set(city.join.unmatched_boundaries)
    result = hotspots.score_city(city, hotspots.default_framework(), permutations=99)
    # boundary wards without a table row are mapped as no data, never scored 0
    nodata = result.layer[result.layer["ward_id"].isin([str(i) for i in ids[-5:]])]
    assert nodata["risk_score"].isna().all() and (nodata["risk_class"] == "No data").all()


def test_common_scale_makes_cities_comparable():
    cities = {}
    for key in ("kolkata", "colombo"):
        c = demo_cities()[key]
        raw = hotspots.read_city(c.indicators_path, c.boundaries_path)
        cities[c.name] = hotspots.prepare_city(raw, hotspots.default_framework(), id_column="ward_id")
    fw = hotspots.default_framework()
    own = hotspots.score_cities(cities, fw, scale="own", permutations=99)
    common = hotspots.score_cities(cities, fw, scale="common", permutations=99)
    # common scale = the scores of the pooled table (hand-checkable definition), split back by city; each city's
    # counts as its own suppression leaves them public (hotspots.suppression.public_counts: per city, whose totals
    # are the published ones)
    from hotspots.suppression import public_counts

    pooled = pd.concat([public_counts(c.table.table, fw.count_columns) for c in cities.values()], ignore_index=True)
    expected = hotspots.score_wards(pooled, fw).scores["risk_score"].to_numpy()
    got = np.concatenate([common[n].scores.scores["risk_score"].to_numpy() for n in cities])
    np.testing.assert_allclose(got, expected)
    # one set of class breaks for every city on the common scale; per-city breaks otherwise
    assert common["Kolkata"].breaks == common["Colombo"].breaks
    assert own["Kolkata"].breaks != own["Colombo"].breaks
    assert any("common scale" in n for n in common["Colombo"].metadata()["notes"])


def test_rows_without_a_ward_do_not_move_the_scale(tmp_path):
    # three table rows whose ward is not in the boundaries, with extreme values: before, they entered the
    # normalisation and changed 60 of Kolkata's 144 classes
    city = demo_cities()["kolkata"]
    table = pd.read_csv(city.indicators_path, dtype={"ward_id": str})
    extra = table.head(3).copy()
    extra["ward_id"] = ["NOWHERE-1", "NOWHERE-2", "NOWHERE-3"]
    for column in ("youth_unemployment_rate", "school_dropout_rate"):
        extra[column] = [99.0, 98.0, 97.0]
    path = tmp_path / "with_unmatched.csv"
    pd.concat([table, extra]).to_csv(path, index=False)
    base = hotspots.run(city.indicators_path, city.boundaries_path, id_column="ward_id", permutations=0)
    more = hotspots.run(path, city.boundaries_path, id_column="ward_id", permutations=0)
    a = base.layer.set_index("ward_id").sort_index()
    b = more.layer.set_index("ward_id").sort_index()
    assert list(a.index) == list(b.index)  # the unmatched rows are not on the map
    pd.testing.assert_series_equal(a["risk_score"], b["risk_score"])
    assert (a["risk_class"] == b["risk_class"]).all()
    assert any("do not enter the scale" in note for note in more.city.notes)


def test_ward_breakdown_suppresses_small_counts():
    # the app's ward breakdown showed the counts of 1-4 that the exports blank out
    city = demo_cities()["kolkata"]
    result = hotspots.run(city.indicators_path, city.boundaries_path, id_column="ward_id", permutations=0)
    table, _ = result.export_table()
    counts = result.count_columns
    blanked = table[counts].isna() & result.layer[counts].notna().to_numpy()
    ward = result.layer.loc[blanked.any(axis=1).to_numpy(), "ward_id"].iloc[0]
    breakdown = result.explain(ward).set_index("indicator")
    row = blanked.loc[(result.layer["ward_id"] == ward).to_numpy()].iloc[0]
    for column in counts:
        shown = breakdown.loc[column, "value"]
        assert (shown == "suppressed (< 5)") == bool(row[column]), (column, shown)
