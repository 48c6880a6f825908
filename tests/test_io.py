"""Tests of hotspots.io: reading tables and boundaries as analysts upload them, and joining them on the ward ID.

Small fixtures are written by the tests themselves (tmp_path); the real ward boundaries of four Indian cities are read
from ../shared/data/boundaries (see its README.md) and those tests skip when the folder is absent.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, Polygon, box

import hotspots.io.boundaries as hio_b  # the private switches of the fast paths, on the modules that use them
import hotspots.io.tables as hio_t
from hotspots.errors import DataError, HotspotsError, InputFileError, ValidationError
from hotspots.io import (
    BoundariesRead,
    JoinReport,
    TableRead,
    file_sha256,
    guess_decimal,
    join_wards,
    normalise_ids,
    parse_numbers,
    read_boundaries,
    read_json_file,
    read_table,
    workbook_sheets,
)

# Ward names in the scripts of the region; the Sinhala one holds a zero-width joiner (ශ්‍රී) that must survive.
BENGALI = "মিরপুর"  # Mirpur, Dhaka
SINHALA = "ශ්\u200dරී ජයවර්ධනපුර කෝට්ටේ"  # Sri Jayawardenepura Kotte
DHIVEHI = "މާލެ"  # Malé
HINDI = "चाँदनी चौक"  # Chandni Chowk

BOUNDARIES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "boundaries"
needs_real_boundaries = pytest.mark.skipif(
    not BOUNDARIES.is_dir(), reason=f"real ward boundaries not found at {BOUNDARIES} (see its README.md)"
)


def three_wards(crs="EPSG:4326", offset=(77.0, 28.0), size=0.01) -> gpd.GeoDataFrame:
    """Three square wards side by side, IDs 1, 2, 3 (as integers), with names."""
    x0, y0 = offset
    geoms = [box(x0 + i * size, y0, x0 + (i + 1) * size, y0 + size) for i in range(3)]
    return gpd.GeoDataFrame({"ward_no": [1, 2, 3], "ward_name": ["Alpha", "Beta", "Gamma"]}, geometry=geoms, crs=crs)


# ----------------------------------------------------------------------------------------------------------------
# read_table: CSV as Excel writes it
# ----------------------------------------------------------------------------------------------------------------


def test_csv_utf8_bom_header_is_clean_and_cells_are_text(tmp_path):
    path = tmp_path / "wards.csv"
    path.write_bytes("\ufeffward_id , incidents,rate\r\n007,12,0.5\r\n8,,1\r\n".encode("utf-8"))
    read = read_table(path)
    assert isinstance(read, TableRead)
    assert list(read.table.columns) == ["ward_id", "incidents", "rate"]  # BOM and spaces stripped from names
    assert read.table["ward_id"].tolist() == ["007", "8"]  # text exactly as written: leading zero kept
    assert read.table.loc[1, "incidents"] is pd.NA  # empty cell -> pd.NA
    assert all(isinstance(v, str) for v in read.table["rate"])
    assert read.encoding == "utf-8-sig" and read.delimiter == ","
    assert read.source == "wards.csv"
    assert read.sha256 == file_sha256(path)
    assert read.line_numbers == [2, 3]


def test_utf16_tab_separated_unicode_text(tmp_path):
    # Excel's "Unicode text (*.txt)": UTF-16 LE with BOM, tab separated
    text = f"ward_id\tname\tincidents\r\n1\t{BENGALI}\t3\r\n2\t{SINHALA}\t4\r\n"
    path = tmp_path / "wards.txt"
    path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    read = read_table(path)
    assert read.delimiter == "\t" and read.encoding == "utf-16-le"
    assert read.table["name"].tolist() == [BENGALI, SINHALA]


def test_utf16_big_endian(tmp_path):
    path = tmp_path / "wards.txt"
    path.write_bytes(b"\xfe\xff" + "ward_id\tx\r\n1\t2\r\n".encode("utf-16-be"))
    read = read_table(path)
    assert read.encoding == "utf-16-be" and read.table["x"].tolist() == ["2"]


def test_south_asian_names_round_trip_intact():
    names = [BENGALI, SINHALA, DHIVEHI, HINDI]
    data = "ward_id,name\n" + "".join(f"{i},{n}\n" for i, n in enumerate(names, 1))
    read = read_table(data.encode("utf-8"), name="names.csv")
    assert read.table["name"].tolist() == names
    assert "\u200d" in read.table["name"][1]  # the zero-width joiner of ශ්‍රී is kept


def test_cp1252_fallback_with_note():
    read = read_table("ward_id,name\n1,Caf\u00e9 Road\n".encode("cp1252"), name="old.csv")
    assert read.encoding == "cp1252"
    assert read.table["name"].tolist() == ["Caf\u00e9 Road"]
    assert any("CSV UTF-8" in note for note in read.notes)


def test_semicolon_with_decimal_comma_and_thousands():
    data = "ward_id;population;rate\n1;12.345;12,5\n2;1.234.567;0,75\n3;800;3\n"
    read = read_table(data.encode(), name="europe.csv")
    assert read.delimiter == ";"
    assert guess_decimal(read) == ","
    population, bad = parse_numbers(read.table["population"], decimal=",")
    assert population.tolist() == [12345.0, 1234567.0, 800.0] and not bad.any()
    rate, bad = parse_numbers(read.table["rate"], decimal=",")
    assert rate.tolist() == [12.5, 0.75, 3.0] and not bad.any()


def test_guess_decimal_point_for_comma_files_and_semicolon_with_points():
    assert guess_decimal(read_table(b'a,b\n1,"12,5"\n', name="x.csv")) == "."
    assert guess_decimal(read_table(b"a;b\n1;12.5\n2;3.25\n", name="x.csv")) == "."


def test_quoted_fields_with_separators_inside():
    data = 'ward_id,name,population\n1,"Ward 1, North","12,345"\n2,"Say ""hi""","1,23,456"\n'
    read = read_table(data.encode(), name="quoted.csv")
    assert read.delimiter == ","
    assert read.table["name"].tolist() == ["Ward 1, North", 'Say "hi"']
    numbers, bad = parse_numbers(read.table["population"])
    assert numbers.tolist() == [12345.0, 123456.0] and not bad.any()


def test_sniffer_prefers_consistent_semicolon_over_commas_in_names():
    data = "ward_id;name;score\n1;Ward 1, North;3\n2;Ward 2;4\n3;A, B, C;5\n"
    read = read_table(data.encode(), name="x.csv")
    assert read.delimiter == ";" and read.table.shape == (3, 3)


def test_excel_trailing_separators_and_empty_rows_are_padding():
    data = "ward_id,x,,\n1,2,,\n2,3,,\n,,,\n,,,\n"
    read = read_table(data.encode(), name="padded.csv")
    assert list(read.table.columns) == ["ward_id", "x"]
    assert len(read.table) == 2


def test_empty_row_in_the_middle_is_skipped_and_noted():
    # a blank line holds no ward: it is left out (and said, with its line), the rows after it keep their lines
    read = read_table(b"ward_id,x\n1,2\n\n3,4\n", name="gap.csv")
    assert read.table["ward_id"].tolist() == ["1", "3"] and read.line_numbers == [2, 4]
    assert any("skipped" in n and "lines 3" in n for n in read.notes)


def test_ragged_rows_name_their_line_numbers():
    data = "ward_id,name,score\n1,A,3\n2,Ward 2, North,4\n3,C,5\n4,D\n"
    with pytest.raises(ValidationError) as info:
        read_table(data.encode(), name="ragged.csv")
    message = str(info.value)
    assert "ragged.csv" in message and "3, 5" in message  # lines 3 (4 fields) and 5 (2 fields)
    assert "CSV UTF-8" in message
    assert info.value.problems[0].rows == [3, 5]


def test_sep_line_written_by_excel():
    read = read_table(b"sep=;\nward_id;x\n1;2,5\n", name="x.csv")
    assert read.delimiter == ";" and read.table["x"].tolist() == ["2,5"]
    assert read.line_numbers == [3]


@pytest.mark.parametrize(
    ("content", "name", "error", "words"),
    [
        (b"", "empty.csv", InputFileError, ["empty.csv", "empty"]),
        (b"\r\n\r\n", "blank.csv", InputFileError, ["blank.csv", "empty"]),
        (b"ward_id,x\n", "header_only.csv", DataError, ["no data rows"]),
        (b"1,2,3\n4,5,6\n", "no_header.csv", DataError, ["no_header.csv", "header row"]),
        (bytes(range(256)) * 20, "garbage.csv", InputFileError, ["garbage.csv", "binary"]),
        (b"%PDF-1.7 ...", "report.csv", InputFileError, ["PDF"]),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls", InputFileError, [".xls", "CSV UTF-8"]),
        (b"ward_id,x\n1,2\n", "wards.pdf", InputFileError, ["wards.pdf", ".pdf", "CSV UTF-8"]),
        (b"ward_id,x\n1,2\n", "wards.docx", InputFileError, ["wards.docx"]),
        (b"a,a\n1,2\n", "dups.csv", ValidationError, ["'a'", "unique"]),
        (b"Ward indicators 2024,,,\nward_id,x,y,z\n1,2,3,4\n", "title.csv", DataError, ["title"]),
        (b"ward_id,x\r\n1,2\r3,4\r\n", "mixed.csv", DataError, ["mixed.csv", "line 2", "mixes line ends"]),
    ],
)
def test_bad_tables_give_clear_messages(content, name, error, words):
    with pytest.raises(error) as info:
        read_table(content, name=name)
    assert isinstance(info.value, HotspotsError)
    for word in words:
        assert word in str(info.value)


def test_missing_file_is_input_file_error(tmp_path):
    with pytest.raises(InputFileError, match="does not exist"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(OSError):  # InputFileError is also an OSError
        read_table(tmp_path / "nope.csv")


def test_file_like_uploads_and_bytes():
    class Upload:  # what Streamlit's UploadedFile offers
        name = "upload.csv"

        def getvalue(self):
            return b"ward_id,x\n1,2\n"

    read = read_table(Upload())
    assert read.source == "upload.csv" and read.table["x"].tolist() == ["2"]
    read = read_table(io.BytesIO(b"ward_id,x\n1,2\n"), name="buffer.csv")
    assert read.source == "buffer.csv"
    assert read_table(b"ward_id,x\n1,2\n").source == "uploaded file"


# ----------------------------------------------------------------------------------------------------------------
# read_table: xlsx
# ----------------------------------------------------------------------------------------------------------------


def write_workbook(path: Path, rows, *, second_sheet=False, percent_column=None):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Indicators"
    for row in rows:
        sheet.append(row)
    if percent_column:
        for cell in sheet[percent_column][1:]:
            cell.number_format = "0%"
    if second_sheet:
        book.create_sheet("Notes").append(["not", "this"])
    book.save(path)


def test_xlsx_first_sheet_values_as_text(tmp_path):
    path = tmp_path / "wards.xlsx"
    write_workbook(
        path,
        [
            ["ward_id", "name", "population", "rate"],
            [7, BENGALI, 12345, 0.125],
            [8, DHIVEHI, None, 0.5],
            ["09", SINHALA, 3.0, 0.1],
        ],
        second_sheet=True,
        percent_column="D",
    )
    read = read_table(path)
    assert read.delimiter is None and read.encoding == "xlsx" and read.sheet == "Indicators"
    table = read.table
    assert table["ward_id"].tolist() == ["7", "8", "09"]  # text cell "09" keeps its zero
    assert table["name"].tolist() == [BENGALI, DHIVEHI, SINHALA]
    assert table["population"].tolist() == ["12345", pd.NA, "3"]
    assert table["rate"].tolist() == ["0.125", "0.5", "0.1"]
    assert any("Indicators" in n and "2 sheets" in n for n in read.notes)
    assert any("percentage" in n for n in read.notes)
    assert read.line_numbers == [2, 3, 4]


def _readme_first_workbook(path: Path, *, formula_on_data=False) -> Path:
    """A workbook as analysts send it: a read-me sheet first, the indicator table on the second sheet."""
    import openpyxl

    book = openpyxl.Workbook()
    readme = book.active
    readme.title = "Read me"
    readme.append(["Ward indicators 2024, prepared by the city statistics office"])
    readme.append(["Sources: police records, school census"])
    data = book.create_sheet("Data")
    data.append(["ward_id", "incidents"])
    data.append([7, 12])
    data.append([8, "=B2*2" if formula_on_data else 3])
    book.save(path)
    return path


def test_xlsx_reads_the_first_sheet_with_the_id_column_and_names_it(tmp_path):
    path = _readme_first_workbook(tmp_path / "wards.xlsx")
    read = read_table(path, id_column="ward_id")
    assert read.sheet == "Data" and read.sheets == ["Read me", "Data"]
    assert read.table["incidents"].tolist() == ["12", "3"]
    assert read.line_numbers == [2, 3]  # sheet rows of the sheet read
    assert any("read sheet 'Data'" in n and "ward ID column 'ward_id'" in n and "--sheet" in n for n in read.notes)
    # without an ID column (the app reads before the ID is chosen): the first sheet with two or more columns
    first = read_table(path)
    assert first.sheet == "Data" and any(
        "read sheet 'Data'" in n and "first sheet with a table" in n for n in first.notes
    )
    assert workbook_sheets(path) == (["Read me", "Data"], "Data")
    assert workbook_sheets(b"ward_id,x\n7,1\n", name="wards.csv") == ([], None)


def test_xlsx_sheet_by_name_and_unknown_sheet_or_column(tmp_path):
    path = _readme_first_workbook(tmp_path / "wards.xlsx")
    assert read_table(path, sheet="Data").table["ward_id"].tolist() == ["7", "8"]
    assert read_table(path, sheet=" data ").sheet == "Data"  # case and spaces as typed on a command line
    with pytest.raises(InputFileError, match=r"wards.xlsx has no sheet 'Sheet2'\. Its sheets are: Read me, Data"):
        read_table(path, sheet="Sheet2")
    with pytest.raises(
        DataError, match=r"No sheet of wards.xlsx has the ward ID column 'Ward No'.*sheet 'Data': ward_id"
    ):
        read_table(path, id_column="Ward No")


def test_xlsx_formula_check_looks_at_the_sheet_read(tmp_path):
    path = _readme_first_workbook(tmp_path / "wards.xlsx", formula_on_data=True)  # openpyxl saves no value
    with pytest.raises(ValidationError, match="B3"):
        read_table(path, sheet="Data")


def test_xlsx_formulas_give_cached_values(tmp_path):
    # openpyxl cannot compute formulas: write the cached value into the XML the way Excel saves it
    path = tmp_path / "formulas.xlsx"
    write_workbook(path, [["ward_id", "a", "b"], [1, 2, "=B2*2"]])
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    assert "<f>B2*2</f><v></v>" in sheet or "<f>B2*2</f><v />" in sheet or "<f>B2*2</f>" in sheet
    # a formula without saved value is refused with a fix
    with pytest.raises(ValidationError, match="Excel"):
        read_table(path)
    sheet = sheet.replace("<f>B2*2</f><v></v>", "<f>B2*2</f><v>4</v>").replace(
        "<f>B2*2</f><v />", "<f>B2*2</f><v>4</v>"
    )
    if "<v>4</v>" not in sheet:
        sheet = sheet.replace("<f>B2*2</f>", "<f>B2*2</f><v>4</v>")
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    assert read_table(path).table["b"].tolist() == ["4"]


def test_xlsx_uploaded_as_bytes_and_misnamed(tmp_path):
    path = tmp_path / "wards.xlsx"
    write_workbook(path, [["ward_id", "x"], [1, 2]])
    assert read_table(path.read_bytes(), name="wards.csv").table["x"].tolist() == ["2"]  # content wins over name


# ----------------------------------------------------------------------------------------------------------------
# parse_numbers
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12.0),
        (" 12.5 ", 12.5),
        ("\u00a012\u00a0", 12.0),  # no-break spaces around
        ("12,345", 12345.0),
        ("12\u202f345", 12345.0),  # narrow no-break space as thousands separator
        ("12\u2009345.5", 12345.5),  # thin space
        ("12 345", 12345.0),
        ("1,23,456", 123456.0),  # Indian lakh grouping
        ("12,34,56,789.25", 123456789.25),  # crore
        ("12%", 12.0),
        ("12.5 %", 12.5),
        ("+4", 4.0),
        ("\u22123.5", -3.5),  # unicode minus
        ("-3", -3.0),
        ("(12)", -12.0),  # accounting negative
        ("(1,234.5)", -1234.5),
        ("১২৩", 123.0),  # Bengali digits
        ("১,২৩,৪৫৬", 123456.0),
        ("१२.५", 12.5),  # Devanagari
        ("٤٢", 42.0),  # Arabic-Indic
        ("۴۲", 42.0),  # Extended Arabic-Indic (Urdu)
        ("\u0de7\u0de8", 12.0),  # Sinhala Lith digits
        ("1.5E+05", 150000.0),
        (".5", 0.5),
        ("0", 0.0),
    ],
)
def test_parse_numbers_accepts_the_usual_spellings(text, expected):
    numbers, bad = parse_numbers(pd.Series([text], dtype=object))
    assert numbers[0] == pytest.approx(expected) and not bad[0]


@pytest.mark.parametrize(
    "text", ["n/a", "NA", "-", "12 wards", "1,5", "12,34", "1,2345", "abc", "12..5", "(-12)", "#DIV/0!", "1 2"]
)
def test_parse_numbers_flags_what_is_not_a_number(text):
    numbers, bad = parse_numbers(pd.Series([text], dtype=object))
    assert np.isnan(numbers[0]) and bad[0]


def test_parse_numbers_missing_is_nan_not_flagged():
    numbers, bad = parse_numbers(pd.Series([pd.NA, None, "", "   ", np.nan], dtype=object))
    assert np.isnan(numbers).all() and not bad.any()


def test_parse_numbers_decimal_comma():
    numbers, bad = parse_numbers(pd.Series(["12,5", "1.234,5", "1 234,5", "12.5", "(3,5)"]), decimal=",")
    assert numbers[:3].tolist() == [12.5, 1234.5, 1234.5] and numbers[4] == -3.5
    assert bad.tolist() == [False, False, False, True, False]  # "12.5" is not read as 125 with a decimal comma
    with pytest.raises(ValueError):
        parse_numbers(pd.Series(["1"]), decimal=";")


def test_parse_numbers_numeric_series_pass_through():
    numbers, bad = parse_numbers(pd.Series([1, 2, None], dtype="Int64"))
    assert numbers[:2].tolist() == [1.0, 2.0] and np.isnan(numbers[2]) and not bad.any()


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False).map(lambda v: round(v, 2)))
def test_parse_numbers_round_trips_formatted_numbers(value):
    # law: a number written with thousands separators (or in the accounting style) reads back as itself
    spellings = [f"{value}", f"{value:,.2f}", f"({abs(value):,.2f})" if value < 0 else f"{value:,.2f}"]
    numbers, bad = parse_numbers(pd.Series(spellings, dtype=object))
    assert not bad.any()
    assert numbers == pytest.approx([value] * 3, rel=1e-12, abs=1e-9)


def test_parse_numbers_is_vectorised_for_100k_rows():
    import time

    values = pd.Series(np.round(np.random.default_rng(0).gamma(2, 2, 100_000), 3).astype(str), dtype=object)
    values[::10] = "1,23,456.5"
    start = time.perf_counter()
    numbers, bad = parse_numbers(values)
    assert time.perf_counter() - start < 5  # generous: a per-cell Python loop with regexes would take ~1 s
    assert not bad.any() and numbers[0] == 123456.5


# ----------------------------------------------------------------------------------------------------------------
# normalise_ids
# ----------------------------------------------------------------------------------------------------------------


def test_normalise_ids():
    values = pd.Series(
        [
            " 7 ",
            7.0,
            "7.0",
            "07",
            "০৭",
            "\u00a07\u200b",
            0,
            "0",
            "00",
            "NDMC_1",
            "ndmc_1",
            "W-07",
            "Ward  12",
            None,
            "",
            "  ",
            np.nan,
            7.5,
        ],
        dtype=object,
    )
    assert normalise_ids(values).tolist() == [
        "7",
        "7",
        "7",
        "7",
        "7",
        "7",
        "0",
        "0",
        "0",
        "NDMC_1",
        "ndmc_1",
        "W-07",
        "Ward 12",
        pd.NA,
        pd.NA,
        pd.NA,
        pd.NA,
        "7.5",
    ]
    assert normalise_ids(pd.Series([1.0, 2.0, np.nan])).tolist() == ["1", "2", pd.NA]
    assert normalise_ids(pd.Series([0, 12])).tolist() == ["0", "12"]


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=3))
def test_normalise_ids_numeric_spellings_agree(number, zeros):
    spellings = pd.Series(
        [number, float(number), str(number), "0" * zeros + str(number), f" {number}.0 "], dtype=object
    )
    assert set(normalise_ids(spellings)) == {str(number)}


# ----------------------------------------------------------------------------------------------------------------
# read_boundaries: formats
# ----------------------------------------------------------------------------------------------------------------


def test_geojson(tmp_path):
    path = tmp_path / "wards.geojson"
    three_wards().to_file(path, driver="GeoJSON")
    read = read_boundaries(path, id_column="ward_no")
    assert isinstance(read, BoundariesRead)
    assert read.format == "GeoJSON" and read.crs_in == "EPSG:4326" and read.wards.crs.to_epsg() == 4326
    assert list(read.wards.columns) == ["ward_no", "ward_name", "geometry"]
    assert read.sha256 == file_sha256(path) and read.source == "wards.geojson"
    assert read.notes == [] and read.repaired == [] and read.missing_geometry == []


def test_geojson_without_extension_and_as_bytes(tmp_path):
    path = tmp_path / "wards.geojson"
    three_wards().to_file(path, driver="GeoJSON")
    bare = tmp_path / "wards_2017"
    bare.write_bytes(path.read_bytes())
    assert len(read_boundaries(bare).wards) == 3
    read = read_boundaries(path.read_bytes(), name="upload")
    assert read.format == "GeoJSON" and len(read.wards) == 3 and read.source == "upload"
    read = read_boundaries(io.BytesIO(path.read_bytes()))
    assert len(read.wards) == 3


def zip_shapefile(tmp_path: Path, wards: gpd.GeoDataFrame, *, drop=(), name="wards") -> Path:
    folder = tmp_path / f"shp_{name}"
    folder.mkdir()
    wards.to_file(folder / f"{name}.shp")
    target = tmp_path / f"{name}.zip"
    with zipfile.ZipFile(target, "w") as zf:
        for part in folder.iterdir():
            if part.suffix not in drop:
                zf.write(part, f"{name}/{part.name}")
    return target


def test_zipped_shapefile_path_and_bytes(tmp_path):
    path = zip_shapefile(tmp_path, three_wards())
    read = read_boundaries(path, id_column="ward_no")
    assert read.format == "ESRI Shapefile" and len(read.wards) == 3
    assert read.wards["ward_name"].tolist() == ["Alpha", "Beta", "Gamma"]
    assert len(read_boundaries(path.read_bytes(), name="wards.zip").wards) == 3


def test_zip_with_several_layers_or_none_or_incomplete(tmp_path):
    one = zip_shapefile(tmp_path, three_wards(), name="a")
    two = zip_shapefile(tmp_path, three_wards(), name="b")
    both = tmp_path / "both.zip"
    with zipfile.ZipFile(both, "w") as out:
        for source in (one, two):
            with zipfile.ZipFile(source) as zf:
                for member in zf.namelist():
                    out.writestr(member, zf.read(member))
    read = read_boundaries(both)  # the first layer is read, and a note says so (tests/test_hostile.py)
    assert any("holds 2 layers" in note and "read a.shp" in note for note in read.notes)
    empty = tmp_path / "readme.zip"
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("README.txt", "nothing here")
    with pytest.raises(InputFileError, match="no ward layer"):
        read_boundaries(empty)
    partial = zip_shapefile(tmp_path, three_wards(), drop=(".dbf",), name="c")
    with pytest.raises(InputFileError, match=r"\.dbf"):
        read_boundaries(partial)


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_shapefile_without_prj_lonlat_is_assumed_4326(tmp_path):
    wards = three_wards().set_crs(None, allow_override=True)
    path = zip_shapefile(tmp_path, wards, drop=(".prj",))
    read = read_boundaries(path)
    assert read.wards.crs.to_epsg() == 4326
    assert read.crs_in.startswith("none")
    assert any("EPSG:4326 was assumed" in n for n in read.notes)


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_no_crs_with_projected_coordinates_is_refused(tmp_path):
    wards = three_wards(offset=(350_000, 3_100_000), size=1000).set_crs(None, allow_override=True)
    path = zip_shapefile(tmp_path, wards, drop=(".prj",))
    with pytest.raises(DataError) as info:
        read_boundaries(path)
    message = str(info.value)
    assert "no CRS" in message and "projected" in message and ".prj" in message and "QGIS" in message


def test_geojson_with_metres_but_no_crs_member_is_refused(tmp_path):
    # GeoJSON is longitude/latitude by definition; a file with metres in it was exported without reprojecting
    feature = {
        "type": "Feature",
        "properties": {"ward": 1},
        "geometry": shapely.geometry.mapping(box(350_000, 3_100_000, 351_000, 3_101_000)),
    }
    path = tmp_path / "metres.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    with pytest.raises(DataError, match="look projected"):
        read_boundaries(path)


def test_projected_crs_is_reprojected(tmp_path):
    wards = three_wards(crs="EPSG:32643", offset=(350_000, 3_100_000), size=1000)  # UTM 43N, near Delhi
    path = tmp_path / "utm.gpkg"
    wards.to_file(path, driver="GPKG")
    read = read_boundaries(path)
    assert read.crs_in == "EPSG:32643" and read.wards.crs.to_epsg() == 4326
    assert any("reprojected" in n and "EPSG:32643" in n for n in read.notes)
    minx, miny, maxx, maxy = read.wards.total_bounds
    assert 70 < minx < maxx < 80 and 25 < miny < maxy < 30  # degrees now
    expected = wards.to_crs(4326)
    assert shapely.equals_exact(read.wards.geometry.values, expected.geometry.values, tolerance=1e-9).all()


def test_geopackage_picks_first_polygon_layer(tmp_path):
    path = tmp_path / "city.gpkg"
    points = gpd.GeoDataFrame({"name": ["police station"]}, geometry=[Point(77.005, 28.005)], crs=4326)
    points.to_file(path, layer="stations", driver="GPKG")
    three_wards().to_file(path, layer="wards", driver="GPKG")
    read = read_boundaries(path)
    assert read.format == "GPKG" and read.layer == "wards" and len(read.wards) == 3
    assert any("'wards'" in n for n in read.notes)


def test_kml_with_extended_data(tmp_path):
    import pyogrio

    path = tmp_path / "wards.kml"
    driver = "LIBKML" if "LIBKML" in pyogrio.list_drivers() else "KML"
    three_wards().to_file(path, driver=driver)
    read = read_boundaries(path)
    assert read.format == "KML" and len(read.wards) == 3
    assert "ward_no" in read.wards.columns  # ExtendedData attribute
    assert set(shapely.get_type_id(read.wards.geometry.values)) <= {3, 6}
    assert not shapely.has_z(read.wards.geometry.values).any()


def test_z_coordinates_are_dropped(tmp_path):
    ward = Polygon([(77, 28, 5), (77.01, 28, 5), (77.01, 28.01, 5), (77, 28, 5)])
    path = tmp_path / "z.geojson"
    gpd.GeoDataFrame({"ward_no": [1]}, geometry=[ward], crs=4326).to_file(path)
    read = read_boundaries(path)
    assert not shapely.has_z(read.wards.geometry.values).any()
    assert any("Z" in n for n in read.notes)


def test_bow_tie_is_repaired_and_named(tmp_path):
    bow_tie = Polygon([(77.0, 28.0), (77.01, 28.01), (77.01, 28.0), (77.0, 28.01), (77.0, 28.0)])
    assert not bow_tie.is_valid
    wards = three_wards()
    wards.loc[1, "geometry"] = bow_tie
    path = tmp_path / "bowtie.geojson"
    wards.to_file(path)
    read = read_boundaries(path, id_column="ward_no")
    assert read.repaired == ["2"]
    assert any("repaired 1 invalid geometry" in n and "2" in n for n in read.notes)
    geom = read.wards.geometry.iloc[1]
    assert geom.is_valid and geom.geom_type == "MultiPolygon" and geom.area == pytest.approx(0.01 * 0.01 / 2)
    assert read_boundaries(path).repaired == ["feature 2"]  # without an ID column: feature numbers


def test_points_only_is_refused(tmp_path):
    path = tmp_path / "points.geojson"
    gpd.GeoDataFrame({"ward_no": [1, 2]}, geometry=[Point(77, 28), Point(77.1, 28.1)], crs=4326).to_file(path)
    with pytest.raises(DataError, match="no polygons"):
        read_boundaries(path)


def test_null_empty_and_line_geometries_are_reported_not_dropped(tmp_path):
    features = [
        {
            "type": "Feature",
            "properties": {"ward_no": 1},
            "geometry": shapely.geometry.mapping(box(77, 28, 77.01, 28.01)),
        },
        {"type": "Feature", "properties": {"ward_no": 2}, "geometry": None},
        {
            "type": "Feature",
            "properties": {"ward_no": 3},
            "geometry": shapely.geometry.mapping(LineString([(77, 28), (77.01, 28.01)])),
        },
    ]
    path = tmp_path / "mixed.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    read = read_boundaries(path, id_column="ward_no")
    assert len(read.wards) == 3  # nothing dropped
    assert read.missing_geometry == ["2", "3"]
    assert any("points or lines" in n for n in read.notes)
    joined, report = join_wards(pd.DataFrame({"ward_no": ["1", "2", "3"]}), read.wards, id_column="ward_no")
    assert joined["ward_id"].tolist() == ["1"] and report.missing_geometry == ["2", "3"]


@pytest.mark.parametrize(
    ("content", "name", "error", "words"),
    [
        (b"ward_id,x\n1,2\n", "wards.csv", InputFileError, ["wards.csv", "table", "GeoJSON"]),
        (b"hello", "wards.dat", InputFileError, ["wards.dat", "GeoJSON"]),
        (b"", "wards.geojson", InputFileError, ["empty"]),
        (b"\x00\x01", "wards.shp", InputFileError, ["several files", ".zip"]),
        (b'{"type": "FeatureCollection", "features": [', "cut.geojson", InputFileError, ["cut.geojson"]),
    ],
)
def test_bad_boundary_files(content, name, error, words):
    with pytest.raises(error) as info:
        read_boundaries(content, name=name)
    for word in words:
        assert word in str(info.value)


def test_unknown_boundary_id_column_suggests_the_closest(tmp_path):
    path = tmp_path / "wards.geojson"
    three_wards().to_file(path)
    with pytest.raises(DataError, match=r"Did you mean 'ward_no'") as info:
        read_boundaries(path, id_column="Ward_No")
    assert "'ward_name'" in str(info.value)  # lists the available columns


# ----------------------------------------------------------------------------------------------------------------
# join_wards
# ----------------------------------------------------------------------------------------------------------------


def test_join_tolerates_spelling_differences_and_keeps_table_order():
    wards = three_wards()  # integer IDs 1, 2, 3
    table = pd.DataFrame(
        {"Ward": [" 3 ", "01", "2.0", "9"], "name": ["C", "A", "B", "Ghost"], "x": ["1", "2", "3", "4"]}
    )
    joined, report = join_wards(table, wards, id_column="Ward", boundary_id_column="ward_no")
    assert isinstance(joined, gpd.GeoDataFrame) and isinstance(report, JoinReport)
    assert list(joined.columns) == ["ward_id", "Ward", "name", "x", "geometry"]
    assert joined["ward_id"].tolist() == ["3", "1", "2"]  # table order
    assert joined["Ward"].tolist() == [" 3 ", "01", "2.0"]  # the table's values untouched
    assert joined.crs.to_epsg() == 4326
    assert joined.geometry.iloc[0].equals(wards.geometry.iloc[2])
    assert report.matched == 3
    assert report.unmatched_table == ["9"] and report.names["9"] == "Ghost"
    assert report.unmatched_boundaries == []
    assert "9 (Ghost)" in report.summary()


def test_join_reports_both_ways_duplicates_and_missing_ids():
    wards = three_wards()
    table = pd.DataFrame({"ward_no": ["1", "1", None, "4"], "x": ["a", "b", "c", "d"]})
    joined, report = join_wards(table, wards, id_column="ward_no")
    assert joined["x"].tolist() == ["a", "b"]  # both rows of a duplicate ID are kept (the validator refuses them)
    assert report.duplicate_table_ids == ["1"]
    assert report.missing_ids_table == [4]  # spreadsheet row (header = row 1)
    assert "1 table row with no ward ID (row 4)." in report.summary()
    assert report.unmatched_table == ["4"]
    assert report.unmatched_boundaries == ["2", "3"]
    assert report.names == {"2": "Beta", "3": "Gamma"}
    assert not report.complete


def test_join_merges_boundary_features_sharing_an_id():
    wards = three_wards()
    wards.loc[2, "ward_no"] = 2  # ward 2 drawn as two features (a multi-part ward)
    joined, report = join_wards(pd.DataFrame({"ward_no": ["1", "2"]}), wards, id_column="ward_no")
    assert report.duplicate_boundary_ids == ["2"]
    assert joined.geometry.iloc[1].area == pytest.approx(2 * 0.01 * 0.01)
    assert any("merged" in n for n in report.notes)


def test_join_missing_id_column_lists_columns_and_suggests():
    wards = three_wards()
    with pytest.raises(DataError) as info:
        join_wards(pd.DataFrame({"Ward No": [1], "x": [2]}), wards, id_column="ward_no")
    message = str(info.value)
    assert "has no column 'ward_no'" in message and "Did you mean 'Ward No'" in message and "'x'" in message
    with pytest.raises(DataError, match="boundary file"):
        join_wards(pd.DataFrame({"ward": [1]}), wards, id_column="ward")


def test_join_case_difference_is_pointed_out_not_matched():
    wards = gpd.GeoDataFrame({"ward": ["NDMC_1"]}, geometry=[box(0, 0, 1, 1)], crs=4326)
    joined, report = join_wards(pd.DataFrame({"ward": ["ndmc_1"]}), wards, id_column="ward")
    assert report.matched == 0 and report.unmatched_table == ["ndmc_1"]
    assert any("upper/lower case" in n for n in report.notes)


def test_join_keeps_ward_id_as_given_when_normalising_changes_it():
    wards = three_wards().rename(columns={"ward_no": "ward_id"})
    joined, report = join_wards(pd.DataFrame({"ward_id": ["01", "2"]}), wards, id_column="ward_id")
    assert joined["ward_id"].tolist() == ["1", "2"]
    assert joined["ward_id_as_given"].tolist() == ["01", "2"]


def test_round_trip_table_and_boundaries_files(tmp_path):
    # write both files the way an analyst would, read them back, join: every ward matches
    wards = three_wards()
    wards.to_file(tmp_path / "wards.geojson")
    pd.DataFrame({"ward_no": [3, 2, 1], "incidents": [5, 6, 7]}).to_csv(tmp_path / "t.csv", index=False)
    table = read_table(tmp_path / "t.csv")
    bounds = read_boundaries(tmp_path / "wards.geojson")
    joined, report = join_wards(table.table, bounds.wards, id_column="ward_no")
    assert report.complete and report.matched == 3
    assert parse_numbers(joined["incidents"])[0].tolist() == [5.0, 6.0, 7.0]


# ----------------------------------------------------------------------------------------------------------------
# read_json_file, file_sha256
# ----------------------------------------------------------------------------------------------------------------


def test_read_json_file(tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{"weights": {"a": 1}}')
    assert read_json_file(path) == {"weights": {"a": 1}}
    assert read_json_file(b'\xef\xbb\xbf{"a": 1}', name="bom.json") == {"a": 1}
    with pytest.raises(DataError) as info:
        read_json_file(b'{\n  "a": 1,\n  "b": 2,\n}', name="bad.json")
    assert "bad.json" in str(info.value) and "line 4" in str(info.value) and "column 1" in str(info.value)
    with pytest.raises(InputFileError):
        read_json_file(tmp_path / "missing.json")


def test_file_sha256_same_for_path_bytes_and_file(tmp_path):
    path = tmp_path / "x.bin"
    path.write_bytes(b"abc")
    expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # SHA-256("abc"), FIPS 180-2
    assert file_sha256(path) == file_sha256(b"abc") == file_sha256(io.BytesIO(b"abc")) == expected


# ----------------------------------------------------------------------------------------------------------------
# Real boundaries of four Indian cities (../shared/data/boundaries, see its README.md)
# ----------------------------------------------------------------------------------------------------------------


def indicator_table(ids: pd.Series, rng_seed: int = 0) -> pd.DataFrame:
    """An indicator table keyed on the given IDs, written the messy way: spaces around, numbers as text."""
    rng = np.random.default_rng(rng_seed)
    known = ids.dropna()
    keys = [
        f" {v} " if i % 3 == 0 else (f"{v}.0" if i % 3 == 1 and str(v).isdigit() else str(v))
        for i, v in enumerate(known)
    ]
    return pd.DataFrame({"ward": keys, "incidents": rng.integers(0, 50, len(keys)).astype(str)})


@needs_real_boundaries
@pytest.mark.parametrize(
    ("relative", "fmt", "id_column", "features"),
    [
        ("delhi/Delhi_Wards.geojson", "GeoJSON", "Ward_No", 290),
        ("delhi/Delhi_Wards-SHP.zip", "ESRI Shapefile", "Ward_No", 290),
        ("chennai/Wards.geojson", "GeoJSON", "Ward_No", 201),
        ("chennai/Wards-2008.geojson", "GeoJSON", "ward", 155),
        ("pune/pune-electoral-wards_2022.geojson", "GeoJSON", "wardnum", 58),
        ("pune/pune-admin-wards_2017.geojson", "GeoJSON", "name", 15),
        ("mumbai/BMC_Wards.geojson", "GeoJSON", "gid", 24),
        ("mumbai/BMC_Wards.kml", "KML", "gid", 24),
        ("mumbai/bmc_electoral_wards_2017", "GeoJSON", "PRABHAG_NO", 227),
    ],
)
def test_real_boundaries_load_and_join(relative, fmt, id_column, features):
    path = BOUNDARIES / relative
    read = read_boundaries(path, id_column=id_column)
    assert read.format == fmt and len(read.wards) == features and read.wards.crs.to_epsg() == 4326
    assert set(shapely.get_type_id(read.wards.geometry.dropna().values)) <= {3, 6}
    ids = normalise_ids(read.wards[id_column])
    table = indicator_table(read.wards[id_column])
    joined, report = join_wards(
        table,
        read.wards,
        id_column="ward",
        boundary_id_column=id_column,
        table_source="generated.csv",
        boundary_source=path.name,
    )
    assert report.matched == ids.notna().sum() == len(joined)
    assert report.unmatched_table == [] and report.unmatched_boundaries == []
    assert joined.columns[0] == "ward_id" and joined["ward_id"].tolist() == ids.dropna().tolist()


@needs_real_boundaries
def test_delhi_null_id_feature_is_listed():
    read = read_boundaries(BOUNDARIES / "delhi/Delhi_Wards.geojson", id_column="Ward_No")
    null_feature = int(np.flatnonzero(read.wards["Ward_No"].isna())[0]) + 1
    table = indicator_table(read.wards["Ward_No"]).iloc[5:]  # the table lacks 5 wards as well
    joined, report = join_wards(table, read.wards, id_column="ward", boundary_id_column="Ward_No")
    assert report.missing_ids_boundaries == [null_feature]
    assert len(report.unmatched_boundaries) == 5 and report.matched == 289 - 5
    assert all(report.names.get(i) for i in report.unmatched_boundaries)  # named from Ward_Name
    assert report.name_column_boundaries == "Ward_Name"
    # a position is named as a position, beside how many: "1 feature (feature 193)", not "features ...: 193"
    assert f"1 feature with no ward ID in the boundaries (feature {null_feature})" in report.summary()
    assert report.warnings == []  # 5 of 289 unmatched: under the share that warns


@needs_real_boundaries
def test_mostly_unmatched_join_warns():
    # README: chennai/Wards.geojson has 201 wards; a table of 155 of them leaves 46 (23%) unmatched
    read = read_boundaries(BOUNDARIES / "chennai/Wards.geojson", id_column="Ward_No")
    table = indicator_table(read.wards["Ward_No"]).iloc[46:]
    _, report = join_wards(table, read.wards, id_column="ward", boundary_id_column="Ward_No")
    assert (report.matched, report.table_wards, report.boundary_wards) == (155, 155, 201)
    assert len(report.warnings) == 1
    assert "46 of the 201 wards in the boundaries (23%) are not in the table" in report.warnings[0]
    # 40 of 201 (19.9%) is at the limit: no warning
    _, report = join_wards(
        indicator_table(read.wards["Ward_No"]).iloc[40:], read.wards, id_column="ward", boundary_id_column="Ward_No"
    )
    assert report.warnings == []


@needs_real_boundaries
def test_chennai_ward_zero_is_an_id_not_missing():
    read = read_boundaries(BOUNDARIES / "chennai/Wards.geojson", id_column="Ward_No")
    assert 0 in read.wards["Ward_No"].tolist()
    table = pd.DataFrame({"Ward_No": ["0", "00", "1"], "x": ["1", "2", "3"]})
    joined, report = join_wards(table, read.wards, id_column="Ward_No")
    assert joined["ward_id"].tolist() == ["0", "0", "1"]
    assert report.missing_ids_table == [] and report.duplicate_table_ids == ["0"]


@needs_real_boundaries
def test_chennai_table_keyed_to_the_other_delimitation_does_not_match_silently():
    old = read_boundaries(BOUNDARIES / "chennai/Wards-2008.geojson")
    new = read_boundaries(BOUNDARIES / "chennai/Wards.geojson")
    table = indicator_table(new.wards["Ward_No"])
    joined, report = join_wards(table, old.wards, id_column="ward", boundary_id_column="ward")
    assert report.matched == 155 and len(report.unmatched_table) == 201 - 155  # wards 156..200 and 0 are listed
    assert "0" in report.unmatched_table


@needs_real_boundaries
def test_mumbai_kml_and_geojson_agree():
    kml = read_boundaries(BOUNDARIES / "mumbai/BMC_Wards.kml", id_column="gid")
    geojson = read_boundaries(BOUNDARIES / "mumbai/BMC_Wards.geojson", id_column="gid")
    a = kml.wards.sort_values("gid")
    b = geojson.wards.sort_values("gid")
    assert a["gid"].tolist() == b["gid"].tolist()
    assert np.allclose(shapely.area(a.geometry.values), shapely.area(b.geometry.values), rtol=1e-6)
    assert (BOUNDARIES / "mumbai/bmc_electoral_wards_2017").suffix == ""
    bare = read_boundaries(
        (BOUNDARIES / "mumbai/bmc_electoral_wards_2017").read_bytes(), name="bmc_electoral_wards_2017"
    )
    assert bare.format == "GeoJSON" and len(bare.wards) == 227


# ----------------------------------------------------------------------------------------------------------------
# Fast paths: each must give exactly what the plain path gives
# ----------------------------------------------------------------------------------------------------------------


def feature_collection(
    records: list[dict], *, crs: str | None = None, newline: str = "\n", after: str = "", before: str = ""
) -> bytes:
    """A FeatureCollection as GDAL / QGIS write it: one feature per line (``newline=""``: all on one line)."""
    features = [
        {
            "type": "Feature",
            "properties": r,
            "geometry": shapely.geometry.mapping(box(77 + i * 0.01, 28, 77.01 + i * 0.01, 28.01)),
        }
        for i, r in enumerate(records)
    ]
    head = '{"type": "FeatureCollection", "name": "wards", ' + before
    if crs:
        head += '"crs": {"type": "name", "properties": {"name": "' + crs + '"}}, '
    body = ("," + newline).join(json.dumps(f, ensure_ascii=False) for f in features)
    return (head + '"features": [' + newline + body + newline + "]" + after + "}\n").encode("utf-8")


def read_both_ways(monkeypatch, source, **kwargs) -> tuple[BoundariesRead, BoundariesRead, list[bool]]:
    """read_boundaries with the parse in parts forced, and as a whole; and whether the parts were used."""
    used: list[bool] = []
    in_parts = hio_b._read_geojson_in_parts

    def spy(raw):
        result = in_parts(raw)
        used.append(result is not None)
        return result

    monkeypatch.setattr(hio_b, "_read_geojson_in_parts", spy)
    monkeypatch.setattr(hio_b, "PARALLEL_GEOJSON_BYTES", 0)
    split = read_boundaries(source, **kwargs)
    monkeypatch.setattr(hio_b, "PARALLEL_GEOJSON_BYTES", 1 << 62)
    whole = read_boundaries(source, **kwargs)
    assert len(used) == 1  # the plain read does not split
    return split, whole, used


def assert_same_read(split: BoundariesRead, whole: BoundariesRead) -> None:
    pd.testing.assert_frame_equal(split.wards.drop(columns="geometry"), whole.wards.drop(columns="geometry"))
    assert split.wards.crs == whole.wards.crs and split.wards.geometry.name == whole.wards.geometry.name
    assert (shapely.to_wkb(split.wards.geometry.values) == shapely.to_wkb(whole.wards.geometry.values)).all()
    for attribute in ("source", "format", "sha256", "crs_in", "notes", "repaired", "missing_geometry", "layer"):
        assert getattr(split, attribute) == getattr(whole, attribute), attribute


WARD_RECORDS = [
    {"ward_no": i + 1, "ward_name": name, "area_km2": 1.5 * i, "code": f"W-{i:02d}"}
    for i, name in enumerate(["Alpha", BENGALI, None, HINDI, "Epsilon", SINHALA, "Eta", "Theta"])
]


@pytest.mark.parametrize("crs", [None, "urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:EPSG::4326"])
def test_geojson_read_in_parts_equals_the_plain_read(tmp_path, monkeypatch, crs):
    path = tmp_path / "wards.geojson"
    path.write_bytes(feature_collection(WARD_RECORDS, crs=crs))  # a legacy "crs" member is copied into every part
    split, whole, used = read_both_ways(monkeypatch, path, id_column="ward_no")
    assert used == [True]
    assert_same_read(split, whole)
    assert split.wards["ward_name"].iloc[1] == BENGALI and split.wards["ward_no"].tolist() == list(range(1, 9))


def test_geojson_parts_from_bytes_minified_and_with_members_after_the_features(monkeypatch):
    # an upload (bytes), all on one line, with "bbox" and a foreign member after the features array
    data = feature_collection(WARD_RECORDS, newline="", after=', "bbox": [77, 28, 77.09, 28.01], "note": "x ] }"')
    split, whole, used = read_both_ways(monkeypatch, data, name="upload.geojson")
    assert used == [True]
    assert_same_read(split, whole)


def test_geojson_parts_projected_legacy_crs_is_reprojected_the_same(tmp_path, monkeypatch):
    wards = three_wards(crs="EPSG:32643", offset=(300_000, 3_100_000), size=1000)
    path = tmp_path / "utm.geojson"
    wards.to_file(path, driver="GeoJSON", RFC7946="NO")  # GDAL keeps EPSG:32643 in a legacy "crs" member
    assert b'"crs"' in path.read_bytes()
    split, whole, used = read_both_ways(monkeypatch, path, id_column="ward_no")
    assert used == [True]
    assert_same_read(split, whole)
    assert split.crs_in == "EPSG:32643" and any("reprojected" in n for n in split.notes)


def test_geojson_parts_repair_and_report_the_same_geometries(tmp_path, monkeypatch):
    bow_tie = Polygon([(77.0, 28.0), (77.01, 28.01), (77.01, 28.0), (77.0, 28.01), (77.0, 28.0)])
    wards = gpd.GeoDataFrame(
        {"ward_no": range(1, 7)},
        geometry=[box(77, 28, 77.01, 28.01), bow_tie, None, Point(77, 28), box(77.02, 28, 77.03, 28.01), bow_tie],
        crs=4326,
    )
    path = tmp_path / "mixed.geojson"
    wards.to_file(path)
    split, whole, used = read_both_ways(monkeypatch, path, id_column="ward_no")
    assert used == [True]
    assert_same_read(split, whole)
    assert split.repaired == ["2", "6"] and split.missing_geometry == ["3", "4"]


def test_geojson_parts_text_that_looks_like_a_feature_boundary_inside_a_property(tmp_path, monkeypatch):
    # the split pattern written inside a string (its quotes are escaped there): not a place to cut
    records = [dict(r, remark='}, {"type": "Feature", "properties": {}}, {') for r in WARD_RECORDS]
    path = tmp_path / "tricky.geojson"
    path.write_bytes(feature_collection(records))
    split, whole, used = read_both_ways(monkeypatch, path, id_column="ward_no")
    assert used == [True]
    assert_same_read(split, whole)
    assert split.wards["remark"].iloc[7] == records[7]["remark"]


@pytest.mark.filterwarnings("ignore:Could not parse column")  # pyogrio, on the mixed column (as before)
@pytest.mark.parametrize(
    "records",
    [
        # "Feature" written as a value: the count check cannot vouch for the parts
        [dict(r, kind="Feature") for r in WARD_RECORDS],
        # a property with numbers in the first part and text in the last: GDAL types it differently per part
        [dict(r, ward_no=(r["ward_no"] if r["ward_no"] <= 4 else f"{r['ward_no']}a")) for r in WARD_RECORDS],
        # types whose arrow and plain conversions differ (dates, booleans, lists, objects)
        [dict(r, surveyed="2021-03-04") for r in WARD_RECORDS],
        [dict(r, urban=bool(r["ward_no"] % 2)) for r in WARD_RECORDS],
        [dict(r, parts=[1, 2]) for r in WARD_RECORDS],
        # a property that exists only in the last part
        [dict(r, **({"extra": 1} if r["ward_no"] > 6 else {})) for r in WARD_RECORDS],
    ],
    ids=["feature-as-value", "types-differ", "date", "bool", "list", "field-in-one-part"],
)
def test_geojson_parts_fall_back_to_the_plain_read_when_unsure(tmp_path, monkeypatch, records):
    path = tmp_path / "unsure.geojson"
    path.write_bytes(feature_collection(records))
    split, whole, used = read_both_ways(monkeypatch, path, id_column="ward_no")
    assert used == [False]
    assert_same_read(split, whole)


def test_geojson_parts_not_utf8_or_broken_falls_back(tmp_path, monkeypatch):
    latin1 = feature_collection(WARD_RECORDS[:4]).replace(b"Alpha", "Alph\xe9".encode("latin-1"))
    assert hio_b._read_geojson_in_parts(latin1) is None
    broken = feature_collection(WARD_RECORDS)[:-40]  # cut short
    assert hio_b._read_geojson_in_parts(broken) is None
    monkeypatch.setattr(hio_b, "PARALLEL_GEOJSON_BYTES", 0)
    with pytest.raises(InputFileError, match="damaged or incomplete"):  # the plain read's message, as before
        read_boundaries(broken, name="cut.geojson")


def test_small_geojson_takes_the_plain_path(tmp_path, monkeypatch):
    def refuse(raw):  # pragma: no cover - must not be called
        raise AssertionError("a small file was split")

    monkeypatch.setattr(hio_b, "_read_geojson_in_parts", refuse)
    path = tmp_path / "wards.geojson"
    path.write_bytes(feature_collection(WARD_RECORDS))
    assert path.stat().st_size < hio_b.PARALLEL_GEOJSON_BYTES
    assert len(read_boundaries(path).wards) == 8


CSV_TEXTS = [
    "ward_id,population,rate\n1,100,2.5\n2,200,3.5\n",
    "ward_id,population,rate\r\n1,100,2.5\r\n2,200,3.5\r\n",
    "ward_id;population;rate\n1;100;2,5\n2;200;3,5",  # no final line break
    "ward_id\tpopulation\n1\t100\n\n2\t200\n",  # empty line in the middle
    "ward_id,population,,\n1,100,,\n2,200,,\n,,,\n,,,\n",  # Excel's padding and cleared rows
    "ward_id,population\n1,100,,\n2,200\n",  # a longer row with empty extra fields
    "ward_id,population\n1,100,5\n2\n",  # ragged rows: line numbers in the error
    "\n\nsep=;\nward_id;population\n1;100\n",
    "sep=,\nward_id,population\n\n1,100\n",
    "ward_id, population ,\n 1 , 100 ,\n\t2,   \n",  # spaces are kept as written
    "ward_id,population\n",  # header only
    "ward_id,population\r1,100\r2,200\r",  # old Mac line ends
    "ward_id,population\n1,100\r2,200\n",  # a lone CR inside
    'ward_id,name\n1,"Ward, One"\n2,Two\n',  # quotes: csv.reader only
    "1,2\n3,4\n",  # data, no header
    "ward_id,ward_id\n1,2\n",
]


@pytest.mark.parametrize("text", CSV_TEXTS)
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_csv_fast_path_reads_exactly_what_csv_reader_reads(monkeypatch, text, encoding):
    def read(fast: bool):
        monkeypatch.setattr(hio_t, "FAST_CSV", fast)
        try:
            r = read_table(text.encode(encoding), name="t.csv")
        except HotspotsError as exc:
            return type(exc), str(exc)
        return r.table, (r.encoding, r.delimiter, r.notes, r.line_numbers, r.sha256)

    fast, slow = read(True), read(False)
    if isinstance(slow[0], pd.DataFrame):
        pd.testing.assert_frame_equal(fast[0], slow[0])
        assert fast[0]["ward_id" if "ward_id" in fast[0] else fast[0].columns[0]].dtype == object
        assert fast[1] == slow[1]
    else:
        assert fast == slow


def test_csv_fast_path_is_taken_for_a_plain_file(monkeypatch):
    seen = []
    split = hio_t._split_plain_csv
    monkeypatch.setattr(hio_t, "_split_plain_csv", lambda text, delim: seen.append(split(text, delim)) or seen[-1])
    read = read_table(b"ward_id,incidents\n7,12\n8,\n", name="wards.csv")
    assert seen[0] is not None
    assert read.table["incidents"].tolist() == ["12", pd.NA] and read.line_numbers == [2, 3]


# cells as people type them: empty, numbers, a decimal comma, quotes, a line break typed into a cell (Alt+Enter)
_CELLS = st.sampled_from(["", "1", "12,5", "Ward A", "n/a", "০৭", 'say "hi"', "a\nb", "a\r\nb", "two\n\nbreaks"])


def _csv_line(cells: list[str], delim: str) -> str:
    """One record as Excel writes it: a cell is quoted when it holds the separator, a quote or a line break."""
    quoted = ['"' + c.replace('"', '""') + '"' if any(ch in c for ch in (delim, '"', "\n", "\r")) else c for c in cells]
    return delim.join(quoted)


@settings(max_examples=200, deadline=None)
@given(
    records=st.lists(st.lists(_CELLS, min_size=3, max_size=3), min_size=1, max_size=8),
    delim=st.sampled_from([",", ";", "\t"]),
    newline=st.sampled_from(["\n", "\r\n"]),
    sep_line=st.booleans(),
    blank_lines=st.integers(0, 2),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
)
def test_line_numbers_are_the_lines_where_the_records_start(records, delim, newline, sep_line, blank_lines, encoding):
    # the expected line of each record is counted while writing the file, independently of the reader
    lines = ([f"sep={delim}"] if sep_line else []) + [""] * blank_lines + [delim.join(["ward_id", "name", "x"])]
    expected = []
    for record in records:
        expected.append(len(lines) + 1 + sum(line.count("\n") for line in lines))
        lines.append(_csv_line(record, delim))
    kept = [i for i, r in enumerate(records) if any(r)]  # empty records hold no ward: skipped (and noted)
    assume(kept)
    read = read_table(newline.join(lines + [""]).encode(encoding), name="wards.csv")
    assert read.line_numbers == [expected[i] for i in kept]
    cells = read.table.astype(object).where(read.table.notna(), "").values.tolist()
    assert cells == [records[i] for i in kept]  # line breaks in cells kept as written


@pytest.mark.parametrize(
    ("text", "number", "flagged"),
    [
        # Python's float() accepts these, the parser does not (as before the column fast path existed)
        ("nan", np.nan, True),
        ("NaN", np.nan, True),
        ("inf", np.nan, True),
        ("-Infinity", np.nan, True),
        ("1_000", np.nan, True),
        ("0x10", np.nan, True),
        (" 12 ", 12.0, False),
        ("\t+12.\t", 12.0, False),
        ("1e999", np.inf, False),  # a plain number too large for float64 (as float() reads it)
    ],
)
def test_parse_numbers_text_that_python_float_reads_differently(text, number, flagged):
    # alone, and in a column of plain numbers (where the whole column is first converted at once)
    for cells in ([text], ["1.5", text, "2", "3e2"]):
        numbers, bad = parse_numbers(pd.Series(cells, dtype=object))
        at = cells.index(text)
        assert np.array_equal(numbers[at : at + 1], [number], equal_nan=True) and bad[at] == flagged
        assert not bad[[i for i in range(len(cells)) if i != at]].any()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(allow_nan=False, allow_infinity=False),
            st.sampled_from(["{!r}", "{:.3f}", "{:e}", "{:.17g}", "+{!r}", "{:.0f}.", "00{!r}"]),
        ),
        min_size=1,
        max_size=20,
    ),
    st.booleans(),
)
def test_parse_numbers_plain_numbers_are_read_as_python_float_reads_them(cells, odd_one):
    # law: the column fast path (Arrow's conversion) and the per-cell path agree with float(), bit for bit
    texts = [fmt.format(abs(v) if fmt[0] in "+0" else v) for v, fmt in cells]  # "+1.5", "001.5", "-1.5"
    column = texts + (["1,234"] if odd_one else [])  # a grouped number sends the column through the pattern path
    numbers, bad = parse_numbers(pd.Series(column, dtype=object))
    assert not bad.any()
    assert numbers[: len(texts)].tolist() == [float(t) for t in texts]


def test_normalise_ids_rewrites_only_what_needs_it_and_keeps_order():
    ids = pd.Series(["W-07", " b \u00a0 c ", "007", "x", "3.00", None, "0", "১২", "a\tb", "", "12"], dtype=object)
    assert normalise_ids(ids).tolist() == ["W-07", "b c", "7", "x", "3", pd.NA, "0", "12", "a b", pd.NA, "12"]
    assert normalise_ids(ids.astype("str")).tolist() == normalise_ids(ids).tolist()


def test_join_leaves_the_table_unchanged_and_gives_str_ids():
    wards = three_wards().rename(columns={"ward_no": "ward_id"})
    table = pd.DataFrame({"ward_id": ["1", "2", "3"], "x": [1.0, 2.0, 3.0]})
    joined, report = join_wards(table, wards, id_column="ward_id")
    assert report.complete and list(joined.columns) == ["ward_id", "x", "geometry"]  # no 'ward_id_as_given'
    assert (
        joined["ward_id"].tolist() == ["1", "2", "3"] and joined["ward_id"].dtype == pd.array(["a"], dtype="str").dtype
    )
    joined.loc[0, "x"] = 99.0
    assert table["x"].tolist() == [1.0, 2.0, 3.0]
    none, report = join_wards(pd.DataFrame({"ward_id": ["9"]}), wards, id_column="ward_id")
    assert len(none) == 0 and report.matched == 0 and list(none.columns) == ["ward_id", "geometry"]


@needs_real_boundaries
@pytest.mark.parametrize("as_bytes", [False, True])
def test_boundaries_without_an_extension_are_read_by_their_content(as_bytes):
    # README: mumbai/bmc_electoral_wards_2017 is GeoJSON with no file extension, 227 wards keyed on PRABHAG_NO;
    # an upload arrives as bytes with that name
    path = BOUNDARIES / "mumbai" / "bmc_electoral_wards_2017"
    source = path.read_bytes() if as_bytes else path
    read = read_boundaries(source, name=path.name, id_column="PRABHAG_NO")
    assert read.format == "GeoJSON" and len(read.wards) == 227 and read.source == path.name
    _, report = join_wards(indicator_table(read.wards["PRABHAG_NO"]), read.wards, id_column="ward",
                           boundary_id_column="PRABHAG_NO")  # fmt: skip
    assert report.matched == 227 and report.complete and report.warnings == []
