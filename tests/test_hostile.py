"""Hostile and broken files ("Do no harm"): every one ends in the package's own error, with a message that names the
file, says what is wrong and what to do, and shows nothing read from outside the uploaded files.

A file written in ``tmp_path`` outside the upload (``secret_file``) stands in for ``/etc/passwd``: its content must
never appear in any message or output.
"""

from __future__ import annotations

import io
import json
import sqlite3
import stat
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from hotspots.errors import DataError, HotspotsError, InputFileError
from hotspots.io import limits, read_boundaries, read_table

SECRET = "root-secret-line-4711"


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    """A server file the upload must not be able to read (stands in for /etc/passwd)."""
    path = tmp_path / "server" / "passwd.csv"
    path.parent.mkdir()
    path.write_text(f"field_1,field_2\n{SECRET},x\n{SECRET}-2,y\n", encoding="utf-8")
    return path


def wards() -> gpd.GeoDataFrame:
    """Three unit squares in a row, ward IDs W1..W3."""
    return gpd.GeoDataFrame(
        {"ward_id": ["W1", "W2", "W3"]},
        geometry=[shapely.box(k * 0.01, 0, (k + 1) * 0.01, 0.01) for k in range(3)],
        crs=4326,
    )


def vrt(source: str, sql: str | None = None) -> str:
    """A GDAL VRT reading ``source`` (what an attacker would save as wards.geojson)."""
    src_sql = f"<SrcSQL>{sql}</SrcSQL>" if sql else "<SrcLayer>passwd</SrcLayer>"
    return (
        '<OGRVRTDataSource><OGRVRTLayer name="x">'
        f"<SrcDataSource>{source}</SrcDataSource>{src_sql}"
        "</OGRVRTLayer></OGRVRTDataSource>"
    )


def refused(source, *, name=None, error=InputFileError, shown="") -> str:
    """Read ``source`` as boundaries; it must raise ``error`` with the file's name and no server content."""
    with pytest.raises(error) as info:
        read_boundaries(source, name=name)
    message = str(info.value)
    assert SECRET not in message
    assert "/tmp/" not in message and "hotspots-" not in message  # no server temp path
    assert (shown or name or Path(str(source)).name) in message
    return message


# ------------------------------------------------------------------------------------------------------------------
# 1. Server files readable through an upload
# ------------------------------------------------------------------------------------------------------------------


def test_vrt_named_geojson_is_refused_and_never_reads_the_server_file(tmp_path, secret_file):
    upload = tmp_path / "wards.geojson"
    upload.write_text(vrt(f"CSV:{secret_file}", "SELECT field_1 AS ward_id FROM passwd"), encoding="utf-8")
    message = refused(upload)
    assert "not a boundary file we can open" in message and "VRT" in message
    assert "GeoJSON" in message  # what to do
    # the same bytes uploaded through the app
    refused(upload.read_bytes(), name="wards.geojson")
    refused(upload.read_bytes(), name="wards.json")
    refused(upload.read_bytes(), name="wards.kml")
    refused(upload.read_bytes(), name="wards.gpkg")


def test_vrt_that_fetches_a_url_is_refused(tmp_path):
    text = vrt("/vsicurl/http://127.0.0.1:9/secret.csv")
    refused(text.encode(), name="wards.geojson")
    # a VRT hidden after a JSON-looking start is not GeoJSON either
    refused(('{"type": "FeatureCollection", "x": "' + text + '"}').encode(), name="wards.geojson")


def test_vsi_path_inside_geojson_is_refused():
    collection = json.loads(wards().to_json())
    collection["features"][0]["properties"]["name"] = "/vsicurl/http://127.0.0.1:9/x"
    message = refused(json.dumps(collection).encode(), name="wards.geojson")
    assert "/vsi" in message and "other files" in message


def test_kml_network_link_and_dtd_are_refused(tmp_path):
    link = (
        '<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document><NetworkLink><Link>'
        "<href>http://127.0.0.1:9/wards.kml</href></Link></NetworkLink></Document></kml>"
    )
    assert "network link" in refused(link.encode(), name="wards.kml")
    dtd = (
        '<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>&x;</name></Document></kml>'
    )
    assert "DOCTYPE" in refused(dtd.encode(), name="wards.kml")


def test_gml_with_schema_link_is_refused():
    gml = (
        '<?xml version="1.0"?><ogr:FeatureCollection xmlns:ogr="http://ogr.maptools.org/" '
        'xmlns:gml="http://www.opengis.net/gml" xsi:schemaLocation="http://127.0.0.1:9/x.xsd"></ogr:FeatureCollection>'
    )
    refused(gml.encode(), name="wards.geojson")
    refused(gml.encode(), name="wards.kml")
    refused(gml.encode(), name="wards.gml")


def test_sqlite_database_that_is_not_a_geopackage_is_refused(tmp_path):
    path = tmp_path / "wards.gpkg"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (a)")
    db.close()
    assert "not a GeoPackage" in refused(path)


def test_vrt_inside_a_zip_is_refused(tmp_path, secret_file):
    for member in ("wards.shp", "wards.geojson", "wards.vrt"):
        target = tmp_path / f"{Path(member).suffix[1:]}.zip"
        with zipfile.ZipFile(target, "w") as zf:
            zf.writestr(member, vrt(f"CSV:{secret_file}"))
            if member.endswith(".shp"):
                zf.writestr("wards.shx", vrt(f"CSV:{secret_file}"))
                zf.writestr("wards.dbf", b"\x03")
        refused(target)


def test_a_message_shows_a_short_escaped_excerpt_only(tmp_path):
    junk = b"<\x1b[31mred\x07" + b"A" * 5000
    message = refused(junk, name="wards.geojson")
    assert "\x1b" not in message and "\x07" not in message
    assert "A" * 100 not in message


def test_good_files_still_read(tmp_path):
    """The checks refuse nothing a GIS writes: GeoJSON, GeoPackage, KML and a zipped Shapefile."""
    frame = wards()
    for name, driver in (("w.geojson", "GeoJSON"), ("w.gpkg", "GPKG"), ("w.kml", "KML")):
        frame.to_file(tmp_path / name, driver=driver)
        assert len(read_boundaries(tmp_path / name).wards) == 3
        assert len(read_boundaries((tmp_path / name).read_bytes(), name=name).wards) == 3
    frame.to_file(tmp_path / "w.shp")
    with zipfile.ZipFile(tmp_path / "w.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for ext in ("shp", "shx", "dbf", "prj"):
            zf.write(tmp_path / f"w.{ext}", f"w.{ext}")
    assert len(read_boundaries(tmp_path / "w.zip").wards) == 3
    with zipfile.ZipFile(tmp_path / "w.kmz", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(tmp_path / "w.kml", "doc.kml")
    assert len(read_boundaries(tmp_path / "w.kmz").wards) == 3


# ------------------------------------------------------------------------------------------------------------------
# 2. Zipped Shapefiles
# ------------------------------------------------------------------------------------------------------------------


def shapefile_parts(tmp_path: Path) -> dict[str, bytes]:
    wards().to_file(tmp_path / "w.shp")
    return {f"w.{ext}": (tmp_path / f"w.{ext}").read_bytes() for ext in ("shp", "shx", "dbf", "prj")}


def zip_of(path: Path, members: dict[str, bytes], **infos) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = infos.get(name) or zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return path


@pytest.mark.parametrize("prefix", ["../", "/", "a/../../", "C:/", "..\\"])
def test_zip_member_paths_that_climb_or_are_absolute_are_refused(tmp_path, prefix):
    parts = shapefile_parts(tmp_path)
    target = zip_of(tmp_path / "wards.zip", {prefix + k: v for k, v in parts.items()})
    assert "absolute path or climbs" in refused(target)
    assert not (tmp_path.parent / "w.shp").exists()


def test_zip_symlink_is_refused(tmp_path):
    parts = shapefile_parts(tmp_path)
    link = zipfile.ZipInfo("w.dbf")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    parts["w.dbf"] = b"/etc/passwd"
    assert "symbolic link" in refused(zip_of(tmp_path / "wards.zip", parts, **{"w.dbf": link}))


def test_nested_zip_is_refused(tmp_path):
    inner = zip_of(tmp_path / "inner.zip", shapefile_parts(tmp_path)).read_bytes()
    assert "another archive" in refused(zip_of(tmp_path / "wards.zip", {"inner.zip": inner}))


def test_several_layers_in_a_zip_one_is_read_and_named(tmp_path):
    parts = shapefile_parts(tmp_path)
    roads = {k.replace("w.", "roads."): v for k, v in parts.items()}
    wards_parts = {k.replace("w.", "city_wards."): v for k, v in parts.items()}
    read = read_boundaries(zip_of(tmp_path / "both.zip", {**roads, **wards_parts}))
    assert len(read.wards) == 3
    assert any("holds 2 layers (roads.shp, city_wards.shp); read city_wards.shp" in n for n in read.notes)
    # without a ward layer by name, the first; an incomplete Shapefile is passed over
    read = read_boundaries(zip_of(tmp_path / "two.zip", {"a.shp": parts["w.shp"], **roads}))
    assert any("read roads.shp" in n for n in read.notes)


def test_zip_bomb_is_refused_by_ratio_and_by_actual_size(tmp_path, monkeypatch):
    parts = shapefile_parts(tmp_path)
    bomb = zip_of(tmp_path / "bomb.zip", {**parts, "w.cpg": b"\0" * (20 << 20)})  # 20 MB of zeros: ratio ~1000
    monkeypatch.setattr(limits, "MAX_COMPRESSION_RATIO", 100)
    assert "expands to far more" in refused(bomb)
    monkeypatch.setattr(limits, "MAX_COMPRESSION_RATIO", 10**9)
    monkeypatch.setattr(limits, "MAX_UNZIPPED_BYTES", 1 << 20)
    assert "expands to" in refused(bomb)


def test_zip_that_lies_about_its_size_is_refused(tmp_path):
    parts = shapefile_parts(tmp_path)
    raw = bytearray(zip_of(tmp_path / "wards.zip", {**parts, "w.cpg": b"UTF-8" * 100_000}).read_bytes())
    # declare 10 bytes for w.cpg (500,000 in truth) in its central directory entry, as a hand-made bomb does
    header = raw.rfind(b"PK\x01\x02", 0, raw.rfind(b"w.cpg"))
    raw[header + 24 : header + 28] = (10).to_bytes(4, "little")
    (tmp_path / "liar.zip").write_bytes(bytes(raw))
    message = refused(tmp_path / "liar.zip")  # zipfile reads at most the declared size, then the CRC fails
    assert "cannot be unzipped" in message and "w.cpg" in message


# ------------------------------------------------------------------------------------------------------------------
# 3. Limits
# ------------------------------------------------------------------------------------------------------------------


def test_too_many_features_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_FEATURES", 2)
    wards().to_file(tmp_path / "w.geojson")
    assert "more than 2 features" in refused(tmp_path / "w.geojson", error=DataError)


def test_too_many_vertices_are_refused_quickly(tmp_path, monkeypatch):
    import time

    import numpy as np

    angle = np.linspace(0, 2 * np.pi, 200_000, endpoint=False)
    ring = shapely.Polygon(np.column_stack([0.01 * np.cos(angle), 0.01 * np.sin(angle)]))  # 200,001 vertices
    frame = gpd.GeoDataFrame({"ward_id": ["W1"]}, geometry=[ring], crs=4326)
    frame.to_file(tmp_path / "w.gpkg")
    monkeypatch.setattr(limits, "MAX_VERTICES_PER_FEATURE", 100_000)
    start = time.perf_counter()
    message = refused(tmp_path / "w.gpkg", error=DataError)
    assert "too detailed" in message and "Simplify" in message
    assert time.perf_counter() - start < 10


def test_upload_larger_than_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(limits, "MAX_UPLOAD_BYTES", 100)
    assert "more than the limit" in refused(wards().to_json().encode(), name="w.geojson")


def test_errors_are_the_package_family():
    assert issubclass(InputFileError, HotspotsError) and issubclass(DataError, HotspotsError)
    assert read_table  # used by the table tests


# ------------------------------------------------------------------------------------------------------------------
# The command line: exit 1, a message, no traceback, nothing from the server file
# ------------------------------------------------------------------------------------------------------------------


def run_cli(capsys, *args) -> tuple[int, str]:
    from hotspots.cli import main

    capsys.readouterr()
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out + err


def indicators_csv(tmp_path: Path) -> Path:
    """The Malé demo table (columns of the default framework)."""
    from hotspots.demo import demo_city

    return demo_city("male").indicators_path


def test_cli_refuses_a_vrt_without_traceback_or_server_content(tmp_path, secret_file, capsys):
    upload = tmp_path / "wards.geojson"
    upload.write_text(vrt(f"CSV:{secret_file}", "SELECT field_1 AS ward_id FROM passwd"), encoding="utf-8")
    table = indicators_csv(tmp_path)
    for command in (["validate"], ["score", "--out", tmp_path / "out.csv"]):
        code, printed = run_cli(
            capsys, *command, "--indicators", table, "--boundaries", upload, "--id-column", "ward_id"
        )
        assert code == 1
        assert "wards.geojson" in printed and "Traceback" not in printed and SECRET not in printed
    assert not (tmp_path / "out.csv").exists()


# ------------------------------------------------------------------------------------------------------------------
# 3. Limits of tables; 4. tables and geometries that used to end in tracebacks
# ------------------------------------------------------------------------------------------------------------------


def table_refused(raw: bytes, name: str, error=HotspotsError, match: str = "") -> str:
    with pytest.raises(error) as info:
        read_table(raw, name=name)
    message = str(info.value)
    assert name in message and "Traceback" not in message
    assert match in message
    return message


def test_table_with_too_many_columns_rows_or_a_huge_cell_is_refused(monkeypatch):
    table_refused(
        ("ward_id," + ",".join(f"c{k}" for k in range(10_000)) + "\nW1" + ",1" * 10_000 + "\n").encode(),
        "wide.csv",
        DataError,
        "10,001 columns",
    )
    monkeypatch.setattr(limits, "MAX_TABLE_ROWS", 100)
    table_refused(b"ward_id,x\n" + b"W,1\n" * 1000, "long.csv", DataError, "limit of 100 rows")
    monkeypatch.setattr(limits, "MAX_CELL_CHARS", 1000)
    table_refused(b"ward_id,x\nW1," + b"9" * 5000 + b"\n", "cell.csv", DataError, "5,000 characters")


def test_a_cell_beyond_the_csv_field_limit_is_named_by_its_line_not_called_an_unclosed_quote():
    # csv.reader refuses fields over csv.field_size_limit() (131,072): the message must say which line and why
    big = b"ward_id,x\nW0,1\nW1," + b"9" * 200_000 + b"\n"
    message = table_refused(big, "cell.csv", DataError, "line 3 has a cell of more than")
    assert "unclosed" not in message
    never_closed = b'ward_id,x\nW0,1\nW1,"' + b"9\n" * 100_000 + b'"\n'
    table_refused(never_closed, "quote.csv", DataError, "never closed")


def xlsx(cells: list[list[object]], *, patch=None) -> bytes:
    """A workbook of ``cells``; ``patch(name, data)`` may change the XML parts."""
    import openpyxl

    book = openpyxl.Workbook()
    for row in cells:
        book.active.append(row)
    plain = io.BytesIO()
    book.save(plain)
    if patch is None:
        return plain.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain.getvalue())) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in zin.infolist():
            zf.writestr(info.filename, patch(info.filename, zin.read(info)))
    return out.getvalue()


def test_workbook_with_external_entity_or_billion_laughs_is_refused(secret_file):
    doctype = {
        "xxe": f'<!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret_file}">]>'.encode(),
        "laughs": b'<!DOCTYPE x [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
    }
    for kind, dtd in doctype.items():

        def patch(name, data, dtd=dtd):
            if not name.endswith("sheet1.xml"):
                return data
            return data.replace(b"?>", b"?>" + dtd, 1) if data.startswith(b"<?xml") else dtd + data

        message = table_refused(xlsx([["ward_id", "x"], ["W1", 1]], patch=patch), f"{kind}.xlsx", DataError, "DOCTYPE")
        assert SECRET not in message


def test_workbook_that_inflates_to_millions_of_cells_is_refused_before_it_is_read(monkeypatch):
    monkeypatch.setattr(limits, "MAX_TABLE_CELLS", 1000)
    table_refused(xlsx([["ward_id", "x"]] + [[f"W{k}", k] for k in range(1000)]), "big.xlsx", DataError, "cells")


def test_binary_garbage_and_duplicate_columns_are_messages():
    table_refused(bytes(range(256)) * 40, "garbage.csv", InputFileError, "binary")
    table_refused(b"ward_id,x,x\nW1,1,2\n", "dups.csv", DataError, "more than once")


@pytest.mark.parametrize("bad", ["Infinity", "NaN", "-Infinity"])
def test_nan_and_infinite_coordinates_are_a_message_without_warnings(bad, recwarn):
    collection = json.loads(wards().to_json())
    collection["features"][1]["geometry"]["coordinates"][0][1] = [0.02, "BAD"]
    raw = json.dumps(collection).replace('"BAD"', bad).encode()
    message = refused(raw, name="wards.geojson", error=DataError)
    assert "feature 2" in message and "NaN or Infinity" in message
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


# ------------------------------------------------------------------------------------------------------------------
# 4. and 7. Framework files; 8. a fuzz test of the framework reader
# ------------------------------------------------------------------------------------------------------------------


def default_dict() -> dict:
    from hotspots.framework import default_framework

    return default_framework().to_dict()


def test_framework_in_utf16_with_bom_loads(tmp_path):
    from hotspots.framework import Framework

    path = tmp_path / "framework.json"
    path.write_bytes(json.dumps(default_dict()).encode("utf-16"))
    assert Framework.load(path).columns == Framework.from_dict(default_dict()).columns
    path.write_bytes(b"\x80\x81{}")
    with pytest.raises(HotspotsError, match="framework.json is not text.*UTF-8"):
        Framework.load(path)


def test_deeply_nested_or_huge_framework_is_a_message(tmp_path, monkeypatch):
    from hotspots.errors import FrameworkError
    from hotspots.framework import Framework

    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(FrameworkError, match="deep.json cannot be read: it is nested too deeply"):
        Framework.load(path)
    monkeypatch.setattr(limits, "MAX_FRAMEWORK_BYTES", 100)
    with pytest.raises(FrameworkError, match="more than the limit"):
        Framework.from_json(json.dumps(default_dict()), source="big.json")


@pytest.mark.parametrize(
    ("weight", "message"),
    [(1e308, "larger than the limit"), (1e7, "larger than the limit"), (-1, "not a positive number")],
)
def test_absurd_or_negative_weights_name_the_weight(weight, message):
    from hotspots.errors import FrameworkError
    from hotspots.framework import Framework

    data = default_dict()
    dimension = next(iter(data["dimensions"]))
    data["dimensions"][dimension] = weight
    with pytest.raises(FrameworkError, match=message) as info:
        Framework.from_dict(data)
    assert f"dimension '{dimension}'" in str(info.value)
    data = default_dict()
    column = data["indicators"][0]["column"]
    data["indicators"][0]["weight"] = weight
    with pytest.raises(FrameworkError, match=message) as info:
        Framework.from_dict(data)
    assert f"indicator '{column}'" in str(info.value)


def test_largest_allowed_weights_score_without_overflow(recwarn):
    import warnings

    import hotspots
    from hotspots.demo import demo_city
    from hotspots.framework import Framework

    data = default_dict()
    data["dimensions"] = {name: limits.MAX_WEIGHT for name in data["dimensions"]}
    for indicator in data["indicators"]:
        indicator["weight"] = limits.MAX_WEIGHT
    city = demo_city("male")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        result = hotspots.run(
            city.indicators_path,
            city.boundaries_path,
            id_column="ward_id",
            framework=Framework.from_dict(data),
            permutations=0,
        )
        plain = hotspots.run(city.indicators_path, city.boundaries_path, id_column="ward_id", permutations=0)
    assert result.layer["risk_score"].round(9).tolist() == plain.layer["risk_score"].round(9).tolist()


try:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover
    given = None


if given is not None:
    json_values = st.recursive(
        st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
        max_leaves=20,
    )

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.binary(max_size=2000))
    def test_any_bytes_load_or_raise_the_package_error(raw):
        from hotspots.framework import Framework

        try:
            Framework.from_json(raw, source="fuzz.json")
        except HotspotsError:
            pass

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.sampled_from(["dimensions", "indicators", "weight", "thresholds", "classification", "other"]), json_values
    )
    def test_any_json_in_any_place_loads_or_raises_the_package_error(place, value):
        from hotspots.framework import Framework

        data = default_dict()
        if place == "weight":
            data["indicators"][0]["weight"] = value
        elif place == "other":
            data["indicators"][0]["direction"] = value
        else:
            data[place] = value
        try:
            Framework.from_json(json.dumps(data), source="fuzz.json")
        except HotspotsError:
            pass


# ------------------------------------------------------------------------------------------------------------------
# 5. Writing over the user's input
# ------------------------------------------------------------------------------------------------------------------


def test_score_out_onto_an_input_is_refused(tmp_path, capsys):
    from hotspots.demo import demo_city, write_demo

    table, boundaries = write_demo("male", tmp_path)
    before = {p: p.read_bytes() for p in (table, boundaries)}
    for out, option in ((table, "indicators"), (boundaries, "boundaries"), (tmp_path / "." / table.name, "indicators")):
        code, printed = run_cli(
            capsys, "score", "--indicators", table, "--boundaries", boundaries, "--id-column", "ward_id", "--out", out
        )
        assert code == 1 and f"is the --{option} file" in printed and "Traceback" not in printed
    assert {p: p.read_bytes() for p in before} == before
    assert demo_city("male")


def test_demo_out_onto_a_file_or_existing_files_needs_force(tmp_path, capsys):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    code, printed = run_cli(capsys, "demo", "male", "--out", a_file)
    assert code == 1 and "is a file, not a folder" in printed and "Traceback" not in printed
    assert a_file.read_text() == "mine"
    folder = tmp_path / "demo"
    assert run_cli(capsys, "demo", "male", "--out", folder)[0] == 0
    table = next(folder.glob("*indicators*"))
    table.write_text("my edits")
    code, printed = run_cli(capsys, "demo", "male", "--out", folder)
    assert code == 1 and "already holds" in printed and "--force" in printed
    assert table.read_text() == "my edits"
    assert run_cli(capsys, "demo", "male", "--out", folder, "--force")[0] == 0
    assert table.read_text() != "my edits"


# ------------------------------------------------------------------------------------------------------------------
# 6. Messages that say too much
# ------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        (b'{"type": "FeatureCollection", "features": [ {"type": "Feature", ', "cut.geojson"),
        (b"SQLite format 3\x00" + b"\x00" * 52 + b"GPKG" + b"\x00" * 200, "broken.gpkg"),
        (b'<?xml version="1.0"?><kml><Document><Placemark>', "cut.kml"),
    ],
)
def test_damaged_uploads_name_the_upload_not_the_server_path_or_gdal_internals(raw, name):
    message = refused(raw, name=name)
    assert "upload." not in message and "sqlite3_" not in message and "SELECT" not in message
    assert "damaged" in message


# ------------------------------------------------------------------------------------------------------------------
# The app: an error message, and the app stays usable
# ------------------------------------------------------------------------------------------------------------------


def test_app_shows_an_error_for_hostile_uploads_and_stays_usable(tmp_path, secret_file):
    import os

    os.environ.setdefault("STREAMLIT_SERVER_HEADLESS", "true")
    from streamlit.testing.v1 import AppTest

    from hotspots.demo import demo_city

    city = demo_city("kolkata")
    table, boundaries = city.indicators_path.read_bytes(), city.boundaries_path.read_bytes()
    hostile = [
        (
            table,
            "wards.csv",
            vrt(f"CSV:{secret_file}", "SELECT field_1 AS ward_id FROM passwd").encode(),
            "wards.geojson",
        ),
        (table, "wards.csv", vrt("/vsicurl/http://127.0.0.1:9/x.csv").encode(), "wards.geojson"),
        (
            xlsx([["ward_id"], ["W1"]], patch=lambda n, d: (b"<!DOCTYPE x>" + d) if n.endswith("sheet1.xml") else d),
            "evil.xlsx",
            boundaries,
            "wards.geojson",
        ),
    ]
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=120)
    at.run()
    for indicators, indicators_name, bounds, bounds_name in hostile:
        at.session_state["upload"] = {
            "indicators": indicators,
            "indicators_name": indicators_name,
            "boundaries": bounds,
            "boundaries_name": bounds_name,
            "name": "Evil city",
        }
        at.session_state["view"] = "Data"
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        shown = " ".join(e.value for e in at.error)
        assert (bounds_name if indicators_name == "wards.csv" else indicators_name) in shown
        assert SECRET not in shown and "/tmp/" not in shown
    at.session_state["upload"] = None
    at.session_state["view"] = "Map"
    at.run()
    assert not at.exception
    assert at.title and "Kolkata" in at.title[0].value


def test_readme_states_the_limits_of_limits_py():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    paragraph = readme[readme.index("**Limits.**") :].split("\n\n")[0].replace("\n", " ")
    for number in (
        limits.MAX_FEATURES,
        limits.MAX_VERTICES_PER_FEATURE,
        limits.MAX_VERTICES_TOTAL,
        limits.MAX_TABLE_ROWS,
        limits.MAX_TABLE_COLUMNS,
        limits.MAX_TABLE_CELLS,
        limits.MAX_CELL_CHARS,
        limits.MAX_ZIP_MEMBERS,
        limits.MAX_COMPRESSION_RATIO,
        int(limits.MAX_WEIGHT),
    ):
        assert f"{number:,}" in paragraph, number
    assert limits.MAX_UPLOAD_BYTES == limits.MAX_UNZIPPED_BYTES == 1 << 30 and "1 GiB" in paragraph
    assert limits.MAX_FRAMEWORK_BYTES == 1 << 20 and "1 MiB" in paragraph


def test_damaged_zips_and_workbooks_are_messages(tmp_path):
    """Random bytes changed in a zipped Shapefile and in a workbook (a damaged download): a message or a result,
    never another exception (zipfile raises NotImplementedError, zlib.error, ValueError on such files)."""
    import random

    good_zip = zip_of(tmp_path / "w.zip", shapefile_parts(tmp_path)).read_bytes()
    good_xlsx = xlsx([["ward_id", "x"], ["W1", 1]])
    rng = random.Random(20261201)  # fixed: the same damaged files each run
    for _ in range(300):
        for good, name, reader in ((good_zip, "w.zip", read_boundaries), (good_xlsx, "t.xlsx", read_table)):
            damaged = bytearray(good)
            for _ in range(rng.randint(1, 4)):
                damaged[rng.randrange(len(damaged))] = rng.randrange(256)
            try:
                reader(bytes(damaged), name=name)
            except HotspotsError as exc:
                assert name in str(exc)


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("deep.json", b"[" * 50_000 + b"]" * 50_000, "nested too deeply"),
        ("huge.json", None, "larger than the limit"),
        ("utf16.json", "utf-16", None),
        ("tiny.json", "tiny", None),
        ("big.json", "big", None),
    ],
)
def test_app_framework_uploads_show_an_error_or_load(name, data, error):
    from streamlit.testing.v1 import AppTest

    model = default_dict()
    if data is None:
        model["dimensions"][next(iter(model["dimensions"]))] = 1e300
        data = json.dumps(model).encode()
    elif data == "utf-16":
        data = json.dumps(model).encode("utf-16")
    elif data in ("tiny", "big"):  # the smallest and largest weights a file may give reach the sliders
        for indicator in model["indicators"]:
            indicator["weight"] = 0.001 if data == "tiny" else limits.MAX_WEIGHT
        data = json.dumps(model).encode()
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=120)
    at.run()
    at.session_state["view"] = "Model"
    at.session_state["framework_file"] = {"data": data, "name": name}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join(e.value for e in at.error)
    if error:
        assert name in shown and error in shown
    else:
        assert not shown


def test_geopackage_with_a_gdal_virtual_table_or_vsi_path_is_refused(tmp_path):
    wards().to_file(tmp_path / "w.gpkg")
    for statement in (
        "CREATE TABLE notes (text)",
        "CREATE VIEW v AS SELECT 1 AS a",
    ):
        path = tmp_path / "evil.gpkg"
        path.write_bytes((tmp_path / "w.gpkg").read_bytes())
        with sqlite3.connect(path) as db:
            db.execute(statement)
            db.execute("CREATE TABLE IF NOT EXISTS t (s)")
            db.execute("INSERT INTO t VALUES ('VirtualOGR(''/vsicurl/http://127.0.0.1:9/x'')')")
        db.close()
        assert "other files" in refused(path)


def kmz_of(path: Path, kml: str, extra: dict[str, bytes] | None = None) -> Path:
    return zip_of(path, {"doc.kml": kml.encode(), **(extra or {})})


def test_kmz_with_a_network_link_climbing_path_or_nested_archive_is_refused(tmp_path):
    wards().to_file(tmp_path / "w.kml", driver="KML")
    kml = (tmp_path / "w.kml").read_text()
    link = kml.replace(
        "<Document", "<Document><NetworkLink><Link><href>http://127.0.0.1:9/x</href></Link></NetworkLink", 1
    )
    link = link.replace("<NetworkLink", "<NetworkLink>", 1).replace("</NetworkLink", "</NetworkLink>", 1)
    assert "network link" in refused(kmz_of(tmp_path / "link.kmz", link))
    assert "climbs" in refused(kmz_of(tmp_path / "climb.kmz", kml, {"../x.png": b"png"}))
    assert "another archive" in refused(kmz_of(tmp_path / "nested.kmz", kml, {"files/x.zip": b"PK"}))


if given is not None:

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.sampled_from(["w.geojson", "w.json", "w.kml", "w.gpkg", "w.zip", "w.kmz", "w"]),
        st.sampled_from([b"", b"{", b"<", b"PK\x03\x04", b"SQLite format 3\x00", b'{"type":"FeatureCollection",']),
        st.binary(max_size=1000),
    )
    def test_any_boundary_bytes_read_or_raise_the_package_error(name, start, rest):
        try:
            read_boundaries(start + rest, name=name)
        except HotspotsError as exc:
            assert name in str(exc) and "/tmp/" not in str(exc)


def test_cli_escapes_terminal_control_characters_from_files(tmp_path, capsys):
    from hotspots.demo import demo_city

    city = demo_city("male")
    table = tmp_path / "evil.csv"
    lines = city.indicators_path.read_text(encoding="utf-8").splitlines()
    lines[1] = "\x1b[2JMLE-X\x07" + lines[1][lines[1].index(",") :]  # clear the screen, ring the bell
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, printed = run_cli(
        capsys, "validate", "--indicators", table, "--boundaries", city.boundaries_path, "--id-column", "ward_id"
    )
    assert "\x1b" not in printed and "\x07" not in printed
    assert "\\x1b[2J" in printed  # shown, escaped
