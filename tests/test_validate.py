import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import hotspots.io.tables as hio_t  # the switch of the CSV fast path
from hotspots.errors import HotspotsError, ValidationError
from hotspots.framework import Framework, default_framework
from hotspots.io import guess_decimal, read_table
from hotspots.validate import TableSchema, validate_table

FW = default_framework()


def good_table(n=4):
    return pd.DataFrame(
        {
            "ward_id": [str(i) for i in range(1, n + 1)],
            "ward_name": ["ওয়ার্ড ১", "කොටහේන", "ހެންވޭރު", "Ward 4"][:n],
            "population": ["12,345", "20000", "1,23,456", "9000"][:n],
            "youth_unemployment_rate": ["12.5", "30", "", "8"][:n],
            "school_dropout_rate": ["5", "6", "7", "8"][:n],
            "unlicensed_institutions": ["0", "3", "10", "2"][:n],
            "institution_licensing_rate": ["90", "80", "70", "60"][:n],
            "hate_incidents": ["1", "0", "4", "2"][:n],
            "extremist_propaganda_reports": ["0", "0", "1", "5"][:n],
        }
    )


def test_good_table_parses_numbers_and_keeps_missing():
    v = validate_table(good_table(), FW, id_column="ward_id", source="wards.csv")
    t = v.table
    assert list(t.columns[:3]) == ["ward_id", "ward_name", "population"]
    assert t["population"].tolist() == [12345, 20000, 123456, 9000]  # thousands and lakh separators
    assert np.isnan(t.loc[2, "youth_unemployment_rate"])  # missing stays missing, never 0
    assert v.missing["youth_unemployment_rate"] == 1
    assert t["ward_name"].tolist()[:3] == ["ওয়ার্ড ১", "කොටහේන", "ހެންވޭރު"]  # scripts intact
    assert any("missing" in n for n in v.notes)


def test_all_problems_reported_together_with_file_column_rows():
    t = good_table()
    t.loc[1, "school_dropout_rate"] = "n/a"  # not a number, line 3
    t.loc[2, "hate_incidents"] = "-2"  # negative count, line 4
    t.loc[3, "institution_licensing_rate"] = "130"  # percentage above 100, line 5
    t = t.drop(columns=["extremist_propaganda_reports"])
    with pytest.raises(ValidationError) as info:
        validate_table(t, FW, id_column="ward_id", source="wards.csv")
    problems = {p.check: p for p in info.value.problems}
    assert set(problems) == {"number", "negative", "percentage", "framework column"}
    text = str(info.value)
    assert "wards.csv" in text and "'school_dropout_rate'" in text and "line 3 (ward 2)" in text
    assert "line 4 (ward 3)" in text and "line 5 (ward 4)" in text
    assert "extremist_propaganda_reports" in text
    frame = info.value.to_frame()
    assert len(frame) == 4 and {"check", "column", "rows", "fix"} <= set(frame.columns)


def test_several_rows_per_ward_is_refused_as_individual_level():
    t = pd.concat([good_table(), good_table().iloc[[0, 0]]], ignore_index=True)
    t.loc[5, "ward_id"] = " 1 "  # the same ward with spaces
    with pytest.raises(ValidationError, match="individual-level") as info:
        validate_table(t, FW, id_column="ward_id", source="wards.csv")
    assert "ward IDs appear" in str(info.value) or "ward ID(s) appear" in str(info.value)


def test_missing_id_column_suggests_the_closest():
    with pytest.raises(ValidationError, match="Did you mean 'ward_id'"):
        validate_table(good_table(), FW, id_column="wardid", source="wards.csv")


def test_decimal_comma():
    t = good_table()
    t["youth_unemployment_rate"] = ["12,5", "30,0", "", "8"]
    t["population"] = ["12.345", "20.000", "123.456", "9.000"]
    v = validate_table(t, FW, id_column="ward_id", source="wards.csv", decimal=",")
    assert v.table.loc[0, "youth_unemployment_rate"] == 12.5
    assert v.table.loc[0, "population"] == 12345


# ----------------------------------------------------------------------------------------------------------------
# True line numbers of the file, every failing cell (the table as read: hotspots.io.TableRead)
# ----------------------------------------------------------------------------------------------------------------

HEADER = ";".join(["ward_id", "ward_name", "population", *FW.columns])  # the default framework's columns, in order

# What Excel writes for "CSV (semicolon)" with a separator line, plus a blank line and a ward name typed over two
# lines (Alt+Enter). The comments give each line's number in the file; the failing cells are on lines 6 and 7.
EXCEL_CSV = "\r\n".join(
    [
        "\ufeffsep=;",  # line 1 (BOM, then Excel's separator hint)
        "",  # line 2
        HEADER,  # line 3
        '1;"Ward',  # line 4 (a quoted name with a line break in it ...)
        'one";12 345;12,5;5;0;90;1;0',  # line 5 (... ends here)
        "2;Beta;20000;n/a;6;-3;80;0;0",  # line 6: youth_unemployment_rate 'n/a', unlicensed_institutions -3
        "3;Gamma;9000;8;7;2;130;x;1",  # line 7: institution_licensing_rate 130 %, hate_incidents 'x'
        "",
    ]
).encode("utf-8")
EXCEL_CSV_FAILURES = {  # (column, check, value as written, line of the file, ward), counted from the lines above
    ("youth_unemployment_rate", "number", "n/a", 6, "2"),
    ("unlicensed_institutions", "negative", "-3", 6, "2"),
    ("institution_licensing_rate", "percentage", "130", 7, "3"),
    ("hate_incidents", "number", "x", 7, "3"),
}


def failures(error: ValidationError) -> set[tuple]:
    cases = error.failure_cases
    return {
        (r.column, r.check, r.value, int(r.line), r.ward)
        for r in cases[["column", "check", "value", "line", "ward"]].itertuples(index=False)
    }


def test_every_failing_cell_is_reported_with_its_true_line_of_the_file():
    read = read_table(EXCEL_CSV, name="wards.csv")
    assert read.line_numbers == [4, 6, 7]  # the reader knows where each row starts
    with pytest.raises(ValidationError) as info:
        validate_table(read, FW, id_column="ward_id")
    assert failures(info.value) == EXCEL_CSV_FAILURES
    text = str(info.value)
    assert "wards.csv has 4 problem(s)" in text
    assert "column 'youth_unemployment_rate', rows/wards line 6 (ward 2)" in text
    assert "column 'unlicensed_institutions', rows/wards line 6 (ward 2)" in text
    assert "column 'institution_licensing_rate', rows/wards line 7 (ward 3)" in text
    assert "column 'hate_incidents', rows/wards line 7 (ward 3)" in text
    # the old count from the bare DataFrame (data row i on line i + 2) put these rows on lines 3 and 4
    assert "line 3" not in text and "line 4" not in text
    # the readable table of failing cells: line, ward, column, check, value
    assert re.search(r"Failing cells \(4\):\n +line +ward +column +check +value\n", text)
    assert re.search(r"\n +6 +2 +youth_unemployment_rate +number +'n/a'\n", text)
    assert re.search(r"\n +7 +3 +hate_incidents +number +'x'", text)


def test_the_old_call_with_the_dataframe_gets_true_lines_from_line_numbers():
    read = read_table(EXCEL_CSV, name="wards.csv")
    with pytest.raises(ValidationError) as info:  # the call pipeline.py makes, plus the lines of the rows
        validate_table(
            read.table,
            FW,
            id_column="ward_id",
            source=read.source,
            decimal=guess_decimal(read),
            line_numbers=read.line_numbers,
        )
    assert failures(info.value) == EXCEL_CSV_FAILURES
    with pytest.raises(ValueError, match="one line per row"):  # a programming error, not a user's
        validate_table(read.table, FW, id_column="ward_id", line_numbers=[4, 6])


@pytest.mark.parametrize("fast", [True, False])
def test_true_lines_on_the_fast_path_and_the_csv_reader_path(monkeypatch, fast):
    # no quote in the file: pyarrow's reader splits it (fast=True); csv.reader must agree (fast=False)
    monkeypatch.setattr(hio_t, "FAST_CSV", fast)
    taken = []
    split = hio_t._split_plain_csv
    monkeypatch.setattr(hio_t, "_split_plain_csv", lambda *a: taken.append(split(*a)) or taken[-1])
    data = EXCEL_CSV.replace(b'"Ward\r\none"', b"Ward one")  # line 4 now holds the whole first row
    with pytest.raises(ValidationError) as info:
        validate_table(read_table(data, name="wards.csv"), FW, id_column="ward_id")
    assert (taken[0] is not None) is fast
    assert failures(info.value) == {(c, k, v, line - 1, w) for c, k, v, line, w in EXCEL_CSV_FAILURES}


def test_blank_line_in_the_middle_is_skipped_and_later_lines_stay_true():
    data = b"ward_id,population," + ",".join(FW.columns).encode() + b"\n1,10,1,1,1,1,1,1\n\n2,-5,1,1,1,1,1,1\n"
    with pytest.raises(ValidationError) as info:
        validate_table(read_table(data, name="gap.csv"), FW, id_column="ward_id")
    # line 3 is the blank line (skipped: it holds no ward), line 4 the ward with a negative population
    assert failures(info.value) == {("population", "negative", "-5", 4, "2")}


def test_xlsx_problems_name_the_row_of_the_sheet(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    rows = [HEADER.split(";"), ["1", "A", 100, 5, 5, 1, 50, 1, 1], ["2", "B", 100, 5, 5, 1, 150, "x", 1]]
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            sheet.cell(row=3 + i, column=j + 1, value=value)  # rows 1 and 2 of the sheet are left empty
    book.save(tmp_path / "wards.xlsx")
    with pytest.raises(ValidationError) as info:
        validate_table(read_table(tmp_path / "wards.xlsx"), FW, id_column="ward_id")
    # header on sheet row 3, so ward 2 is on sheet row 5
    assert failures(info.value) == {
        ("institution_licensing_rate", "percentage", "150", 5, "2"),
        ("hate_incidents", "number", "x", 5, "2"),
    }
    assert "rows/wards row 5 (ward 2)" in str(info.value)
    assert all(cell.where == "row" for p in info.value.problems for cell in p.cells)


def test_every_failing_cell_not_one_per_check():
    n = 150
    rows = [f"{i},{1000 + i},n/a,5,1,50,1,1" for i in range(1, n + 1)]
    data = ("ward_id,population," + ",".join(FW.columns) + "\n" + "\n".join(rows) + "\n").encode()
    with pytest.raises(ValidationError) as info:
        validate_table(read_table(data, name="many.csv"), FW, id_column="ward_id")
    (problem,) = info.value.problems
    assert len(problem.cells) == n and len(info.value.failure_cases) == n
    assert [c.line for c in problem.cells] == list(range(2, n + 2))  # header on line 1
    text = str(info.value)
    shown = ValidationError.CELLS_SHOWN
    assert f"Failing cells ({n}):" in text and f"... and {n - shown} more" in text
    assert f" {shown + 1} " in text and f"\n    {shown + 2} " not in text  # the first CELLS_SHOWN cells, lines 2..


def test_problems_of_the_whole_table_are_rows_without_a_cell():
    t = good_table().drop(columns=["hate_incidents"])
    with pytest.raises(ValidationError) as info:
        validate_table(t, FW, id_column="ward_id", source="wards.csv")
    cases = info.value.failure_cases
    assert cases[["source", "column", "check"]].values.tolist() == [["wards.csv", "hate_incidents", "framework column"]]
    assert cases["line"].isna().all() and "Failing cells" not in str(info.value)


def test_infinite_numbers_are_refused_not_passed_on():
    t = good_table()
    t.loc[0, "hate_incidents"] = "1e999"  # overflows to infinity
    with pytest.raises(ValidationError) as info:
        validate_table(t, FW, id_column="ward_id", source="wards.csv")
    assert failures(info.value) == {("hate_incidents", "finite", "1e999", 2, "1")}


def test_schema_from_framework_checks_a_population_indicator_once():
    fw = Framework.from_dict(
        {
            "dimensions": {"d": 1},
            "indicators": [
                {"column": "population", "dimension": "d", "unit": "count"},
                {"column": "incidents", "dimension": "d", "unit": "count", "per_population": 1000},
            ],
        }
    )
    schema = TableSchema.from_framework(fw, id_column="ward_id")
    assert [c.name for c in schema.indicators] == ["population", "incidents"]
    table = pd.DataFrame({"ward_id": ["1", "2"], "population": ["-5", "0"], "incidents": ["1", "2"]})
    with pytest.raises(ValidationError) as info:
        schema.validate(table, source="wards.csv")
    assert [(p.check, p.column) for p in info.value.problems] == [
        ("negative", "population"),
        ("population", "population"),
    ]


def test_validated_table_as_read_is_the_same_as_from_the_dataframe():
    read = read_table(
        EXCEL_CSV.replace(b"n/a", b"").replace(b"-3", b"3").replace(b"130", b"13").replace(b";x;", b";4;"),
        name="wards.csv",
    )
    from_read = validate_table(read, FW, id_column="ward_id")
    from_frame = validate_table(read.table, FW, id_column="ward_id", source=read.source, decimal=guess_decimal(read))
    pd.testing.assert_frame_equal(from_read.table, from_frame.table)
    assert from_read.notes == from_frame.notes and from_read.table.loc[0, "youth_unemployment_rate"] == 12.5


# ----------------------------------------------------------------------------------------------------------------
# Fuzz: whatever the bytes, reading and validating a table loads it or raises the package's own error
# ----------------------------------------------------------------------------------------------------------------

_PIECES = [
    ",",
    ";",
    "\t",
    "|",
    '"',
    "\n",
    "\r\n",
    "\r",
    " ",
    "sep=;\n",
    "\ufeff",
    "1",
    "-2",
    "1e999",
    "12,5",
    "n/a",
    "০৭",
    "%",
    "(3)",
    "ward_id",
    "population",
    "\x00",
    "é",
    "nan",
    "0",
    "150",
]
_TEXT = st.lists(st.sampled_from(_PIECES), max_size=60).map("".join)
_CELLS = st.sampled_from(["", " ", "1", "2", "-2", "0", "12,5", "1.5", "150", "n/a", "1e999", "০৭", '"a\nb"', '"', "x"])
_ROWS = st.tuples(
    st.sampled_from([",", ";", "\t"]),
    st.integers(1, 10),  # columns of the framework's header kept
    st.lists(st.lists(_CELLS, max_size=11), max_size=8),
).map(
    lambda t: t[0].join(HEADER.split(";")[: t[1]]) + "\n" + "\n".join(t[0].join(row) for row in t[2])
)  # the framework's header (or its first columns), then rows of cells people type
_TABLE_TEXT = st.tuples(st.sampled_from(["", "sep=,\n", "\ufeff", "\n\n"]), st.one_of(_TEXT, _ROWS)).map(
    lambda t: t[0] + (t[1] if t[1].startswith("ward_id") else HEADER.replace(";", ",") + "\n" + t[1])
)
_ANY_INPUT = st.one_of(
    st.binary(max_size=300),
    _TEXT.map(lambda s: s.encode("utf-8")),
    _TABLE_TEXT.map(lambda s: s.encode("utf-8")),
    _TABLE_TEXT.map(lambda s: s.encode("utf-16")),
    _TABLE_TEXT.map(lambda s: s.encode("cp1252", errors="replace")),
)


@settings(max_examples=200, deadline=None)
@given(raw=_ANY_INPUT, name=st.sampled_from(["wards.csv", "wards.txt", "wards.xlsx", "wards"]))
@example(raw=b"ward_id,x\n,1\n", name="wards.csv")  # no ward ID at all once broke the count of repeated IDs
def test_any_input_loads_or_raises_the_packages_own_error(raw, name):
    try:
        read = read_table(raw, name=name)
        validated = validate_table(read, FW, id_column="ward_id")
    except HotspotsError as error:
        assert str(error)  # a message, whatever went wrong
    else:
        assert len(validated.table) == len(read.table) == len(read.line_numbers)


def test_command_line_reports_the_files_true_line(tmp_path):
    # Excel's "sep=;" line and a blank line: the bad row is on line 5 of the file (it was reported as "line 3")
    import hotspots
    from hotspots.cli import main

    city = hotspots.demo_city("kolkata")
    rows = city.indicators_path.read_text(encoding="utf-8").splitlines()
    header, first, second = rows[0], rows[1], rows[2].split(",")
    second[header.split(",").index("school_dropout_rate")] = "lots"
    text = "sep=,\n" + header + "\n\n" + first + "\n" + ",".join(second) + "\n" + "\n".join(rows[3:]) + "\n"
    path = tmp_path / "excel.csv"
    path.write_text(text, encoding="utf-8")
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(
            ["validate", "--indicators", str(path), "--boundaries", str(city.boundaries_path), "--id-column", "ward_id"]
        )
    assert code == 1
    assert "line 5" in err.getvalue() and "line 3" not in err.getvalue(), err.getvalue()


@pytest.mark.parametrize("header", ["Population", "POPULATION", " population "])
def test_population_column_is_found_whatever_its_case_and_the_note_says_which(header):
    table = good_table().rename(columns={"population": header})
    v = validate_table(table, FW, id_column="ward_id", source="wards.csv")
    assert v.table["population"].tolist() == [12345, 20000, 123456, 9000]
    assert f"used the column '{header}' of the table as the population column 'population'" in v.notes


def test_population_spelled_otherwise_is_checked_under_the_users_name():
    data = good_table().rename(columns={"population": "Population"}).to_csv(index=False).replace("9000", "-9000")
    with pytest.raises(ValidationError) as info:
        validate_table(read_table(data.encode(), name="wards.csv"), FW, id_column="ward_id")
    # the message names the column as the user wrote it, and the file line of the cell (header = line 1)
    assert ("Population", "negative", "-9000", 5, "4") in failures(info.value)


def test_two_population_spellings_are_not_guessed_between():
    table = good_table().rename(columns={"population": "Population"}).assign(POPULATION="1")
    with pytest.raises(ValidationError, match="no 'population' column"):
        validate_table(table, FW, id_column="ward_id")
