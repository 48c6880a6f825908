import json

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Polygon

from hotspots.export import csv_text, export_table, geojson_text, neutralise_formulas, read_geojson


def layer():
    # clockwise exterior ring on purpose: the export must orient it counter-clockwise (RFC 7946)
    cw = Polygon([(88.30, 22.50), (88.30, 22.51), (88.31, 22.51), (88.31, 22.50)])
    sq = shapely.box(88.31, 22.50, 88.32, 22.51)
    return gpd.GeoDataFrame(
        {
            "ward_id": ["1", "2"],
            "ward_name": ['=HYPERLINK("x")', "ওয়ার্ড ২"],
            "population": [1000.0, 2000.0],
            "hate_incidents": [3.0, 12.0],
            "individual_score": [1.5, np.nan],
            "risk_score": [2.25, np.nan],
            "risk_rank": pd.array([1, None], dtype="Int64"),
            "risk_class": ["Low", "No data"],
            "coverage": [1.0, 0.0],
            "councillor_name": ["A. Person", "B. Person"],  # personal data in the upload: must not be exported
        },
        geometry=[cw, sq],
        crs=4326,
    )


def test_only_model_columns_go_out():
    table, _ = export_table(layer(), ["hate_incidents"], ["individual"], suppress_below=0)
    assert "councillor_name" not in table.columns
    assert list(table.columns) == [
        "ward_id",
        "ward_name",
        "population",
        "hate_incidents",
        "individual_score",
        "risk_score",
        "risk_rank",
        "risk_class",
        "coverage",
    ]


def test_geojson_is_rfc7946_and_round_trips(tmp_path):
    g = layer()
    table, _ = export_table(g, ["hate_incidents"], ["individual"], suppress_below=0)
    text = geojson_text(g, table, {"framework": {"x": 1}})
    data = json.loads(text)
    assert data["type"] == "FeatureCollection" and data["metadata"]["framework"] == {"x": 1}
    ring = shapely.geometry.shape(data["features"][0]["geometry"]).exterior
    assert ring.is_ccw  # exterior rings counter-clockwise
    lon, lat = data["features"][0]["geometry"]["coordinates"][0][0]
    assert 88 < lon < 89 and 22 < lat < 23  # longitude first
    assert data["features"][1]["properties"]["risk_score"] is None  # NaN -> null, not 0
    p = tmp_path / "out.geojson"
    p.write_text(text, encoding="utf-8")
    back, meta = read_geojson(p)
    assert meta == {"framework": {"x": 1}}
    pd.testing.assert_frame_equal(
        pd.DataFrame(back.drop(columns="geometry")).astype({"risk_rank": "Int64"}),
        table.reset_index(drop=True),
        check_dtype=False,
    )
    assert all(a.equals(b) for a, b in zip(back.geometry, g.geometry))


def test_small_counts_suppressed():
    table, suppressed = export_table(
        layer(), ["hate_incidents"], ["individual"], count_columns=["hate_incidents"], suppress_below=5
    )
    # 3 is small; 12 goes too: with the city total (15) known, 3 would be 15 - 12 (complementary suppression)
    assert suppressed == {"hate_incidents": 2}
    assert table["hate_incidents"].isna().all()
    table, suppressed = export_table(
        layer(), ["hate_incidents"], ["individual"], count_columns=["hate_incidents"], suppress_below=0
    )
    assert suppressed == {} and table["hate_incidents"].tolist() == [3, 12]


def test_csv_neutralises_formulas_and_keeps_scripts():
    table, _ = export_table(layer(), ["hate_incidents"], ["individual"], suppress_below=0)
    text = csv_text(table)
    assert text.startswith("\ufeff")
    assert "'=HYPERLINK" in text and "ওয়ার্ড ২" in text
    assert neutralise_formulas(pd.DataFrame({"a": ["-1", "+x", "@y", "ok"]}))["a"].tolist() == [
        "'-1",
        "'+x",
        "'@y",
        "ok",
    ]


def test_record_separator_inside_a_name_round_trips(tmp_path):
    g = layer()
    g.loc[1, "ward_name"] = 'odd"},{"name'
    table, _ = export_table(g, ["hate_incidents"], ["individual"], suppress_below=0)
    text = geojson_text(g, table, {})
    names = [f["properties"]["ward_name"] for f in json.loads(text)["features"]]
    assert names == table["ward_name"].tolist()


def test_exported_numbers_are_rounded_as_people_read_them(tmp_path):
    # Delhi's CSV had coverage 0.9999999999999999 for 235 of 289 wards (so "coverage = 1" found nothing in Excel)
    # and p-values like 0.49900000000000005
    import hotspots
    from hotspots.export import EXPORT_PRECISION

    city = hotspots.demo_city("kolkata")
    result = hotspots.run(city.indicators_path, city.boundaries_path, id_column="ward_id", permutations=99)
    table, _ = result.export_table()
    complete = result.layer["coverage"] > 1 - 1e-9
    assert complete.any() and (table.loc[complete.to_numpy(), "coverage"] == 1.0).all()
    for column, decimals in (("risk_score", 3), ("gi_star_p", 4), ("gi_star_z", 3)):
        values = table[column].dropna()
        assert (values == values.round(decimals)).all(), column
    text = result.to_csv(tmp_path / "k.csv")
    assert "0.9999999" not in text and "00000000" not in text
    meta = result.metadata()
    assert meta["precision"]["decimals"] == EXPORT_PRECISION


def test_file_stem():
    from hotspots.export import file_stem

    assert file_stem("Delhi (NDMC) 2022") == "delhi_ndmc_2022"
    assert file_stem("Malé") == "malé"  # letters of any script stay
    assert file_stem("../../etc/passwd") == "etc_passwd"  # no path in a download name
    assert file_stem(" ?! ") == "city"


def _kolkata_with_own_id_columns(tmp_path):
    """The Kolkata demo with the user's own ID columns: the boundaries number their wards in an integer 'WARD_NO',
    the table in a text column 'Ward' written with zeros and spaces ('007 ', as typed); ward 1 is not in the
    table."""
    from hotspots.demo import demo_cities

    city = demo_cities()["kolkata"]
    collection = json.loads(city.boundaries_path.read_text(encoding="utf-8"))
    for feature in collection["features"]:
        props = feature["properties"]
        props["WARD_NO"] = int(props.pop("ward_id").removeprefix("KMC-"))
    boundaries = tmp_path / "wards.geojson"
    boundaries.write_text(json.dumps(collection), encoding="utf-8")
    table = pd.read_csv(city.indicators_path, dtype=str).iloc[1:]
    table.insert(0, "Ward", [f"{int(w.removeprefix('KMC-')):03d} " for w in table.pop("ward_id")])
    indicators = tmp_path / "wards.csv"
    table.to_csv(indicators, index=False)
    return indicators, boundaries


def test_exports_keep_the_users_own_id_columns_as_read(tmp_path):
    import hotspots

    indicators, boundaries = _kolkata_with_own_id_columns(tmp_path)
    result = hotspots.run(indicators, boundaries, id_column="Ward", boundary_id_column="WARD_NO", permutations=0)
    assert result.city.kept_id_columns == ("WARD_NO", "Ward")
    table, _ = result.export_table()
    assert list(table.columns[:4]) == ["ward_id", "WARD_NO", "Ward", "ward_name"]
    by_ward = table.set_index("ward_id")
    assert by_ward.loc["7", "WARD_NO"] == 7  # the boundaries' integers stay integers (a GIS joins on them)
    assert by_ward.loc["7", "Ward"] == "007 "  # the table's text as written, not normalised
    assert by_ward.loc["1", "WARD_NO"] == 1 and pd.isna(by_ward.loc["1", "Ward"])  # ward 1: boundaries only
    out = tmp_path / "scored.geojson"
    result.to_geojson(out)
    back, _ = read_geojson(out)
    assert back.set_index("ward_id").loc["7", "WARD_NO"] == 7
    assert back.set_index("ward_id").loc["7", "Ward"] == "007 "
    csv_out = tmp_path / "scored.csv"
    result.to_csv(csv_out)
    assert csv_out.read_text(encoding="utf-8-sig").splitlines()[0].startswith("ward_id,WARD_NO,Ward,ward_name,")


def test_an_id_column_called_ward_id_is_not_repeated():
    import hotspots
    from hotspots.demo import demo_cities

    city = demo_cities()["kolkata"]
    result = hotspots.run(city.indicators_path, city.boundaries_path, id_column="ward_id", permutations=0)
    assert result.city.kept_id_columns == ()
    assert list(result.export_table()[0].columns[:2]) == ["ward_id", "ward_name"]
