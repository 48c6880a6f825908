import numpy as np
import pandas as pd
import pytest

from hotspots.errors import ValidationError
from hotspots.framework import default_framework
from hotspots.validate import validate_table

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
    t.loc[1, "school_dropout_rate"] = "n/a"        # not a number, line 3
    t.loc[2, "hate_incidents"] = "-2"               # negative count, line 4
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
