"""The action-plan worksheet (hotspots.worksheet): which wards, why, what drives them, the writers and the reader."""

import dataclasses
import io

import pandas as pd
import pytest
from openpyxl import load_workbook

import hotspots
from hotspots.errors import ValidationError
from hotspots.worksheet import COLUMNS, PLAN_COLUMNS, action_worksheet, read_worksheet

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def kolkata():
    city = hotspots.demo_city("kolkata")
    # 99 permutations (seeded) give the synthetic Kolkata 20 hot spots at 90% next to its 29 "Very high" wards
    return hotspots.run(
        city.indicators_path, city.boundaries_path, id_column="ward_id", permutations=99, name="Kolkata"
    )


@pytest.fixture
def hostile(kolkata):
    """Kolkata with ward names and an indicator label a spreadsheet would run as formulas."""
    layer = kolkata.layer.copy()
    first = layer.sort_values("risk_rank")["ward_id"].iloc[:3].tolist()
    names = ['=HYPERLINK("http://x.invalid","click")', "+1+1", "a | b"]
    for ward, name in zip(first, names):
        layer.loc[layer["ward_id"] == ward, "ward_name"] = name
    return dataclasses.replace(kolkata, layer=layer), dict(zip(first, names))


def test_lists_exactly_the_significant_hot_spots_and_top_class_wards(kolkata):
    layer = kolkata.layer.set_index("ward_id")
    hot = set(layer.index[layer["hotspot_class"].str.startswith("hot spot")])
    top = set(layer.index[layer["risk_class"] == "Very high"])
    assert hot and top and hot - top and top - hot  # the demo has all three cases
    sheet = action_worksheet(kolkata).table
    assert list(sheet.columns) == list(COLUMNS)
    assert set(sheet["Ward ID"]) == hot | top and sheet["Ward ID"].is_unique
    for _, row in sheet.iterrows():
        ward = row["Ward ID"]
        expected = [layer.at[ward, "hotspot_class"]] if ward in hot else []
        expected += ["top class"] if ward in top else []
        assert row["Why listed"] == "; ".join(expected)
        assert row["Risk class"] == layer.at[ward, "risk_class"]
        assert row["Risk profile"] == layer.at[ward, "risk_profile"]
    assert sheet["Risk rank"].is_monotonic_increasing
    assert (sheet[list(PLAN_COLUMNS)] == "").all().all()


def test_driving_indicators_and_dominant_dimension_come_from_explain(kolkata):
    sheet = action_worksheet(kolkata).table.set_index("Ward ID")
    layer = kolkata.layer.set_index("ward_id")
    for ward in sheet.index:  # every ward listed: KMC-063's extremist-propaganda count is suppressed (not shown)
        breakdown = kolkata.explain(ward).sort_values("contribution_to_risk", ascending=False, kind="stable")
        top3 = breakdown[breakdown["contribution_to_risk"] > 0].head(3)
        expected = "; ".join(f"{lab} (+{c:.2f})" for lab, c in zip(top3["label"], top3["contribution_to_risk"]))
        assert sheet.at[ward, "Driving indicators"] == expected
        dims = {d: layer.at[ward, f"{d}_score"] for d in kolkata.dimension_names}
        assert sheet.at[ward, "Dominant dimension"] == max(dims, key=dims.get)


def test_notes_go_into_the_notes_column_and_unlisted_ones_are_named(kolkata):
    sheet = action_worksheet(kolkata)
    listed = sheet.table["Ward ID"].iloc[0]
    unlisted = next(w for w in kolkata.layer["ward_id"] if w not in set(sheet.table["Ward ID"]))
    sheet = action_worksheet(kolkata, notes={listed: "meet the ward councillor", unlisted: "quiet"})
    assert sheet.table.set_index("Ward ID").at[listed, "Notes"] == "meet the ward councillor"
    assert any(unlisted in n for n in sheet.notes)


def _fill(sheet_table: pd.DataFrame) -> dict:
    wards = sheet_table["Ward ID"].tolist()
    return {
        wards[0]: {"Prevention approach (tier 2)": "youth mentoring", "Partners (tier 3)": "=1+1", "Date": "2027-01"},
        wards[2]: {"Owner": "-ward office", "Notes": "line one\nline two"},
    }


def test_filled_xlsx_round_trips(kolkata, tmp_path):
    sheet = action_worksheet(kolkata)
    filled = _fill(sheet.table)
    book = load_workbook(io.BytesIO(sheet.to_xlsx()))
    plan = book["Action plan"]
    header = [c.value for c in plan[1]]
    for row in plan.iter_rows(min_row=2):
        for column, value in filled.get(row[header.index("Ward ID")].value, {}).items():
            row[header.index(column)].value = value  # as a user types it: '=1+1' becomes a formula in Excel
            row[header.index(column)].data_type = "s"
    path = tmp_path / "filled.xlsx"
    book.save(path)
    back = read_worksheet(path, city="Kolkata", wards=kolkata.layer["ward_id"])
    assert back.plans == filled
    assert back.notes == {w: p["Notes"] for w, p in filled.items() if "Notes" in p}
    assert back.wards == sheet.table["Ward ID"].tolist() and back.city == "Kolkata"


def test_filled_csv_round_trips_through_the_neutralised_text(kolkata, tmp_path):
    filled = _fill(action_worksheet(kolkata).table)
    notes = {w: p["Notes"] for w, p in filled.items() if "Notes" in p}
    sheet = action_worksheet(kolkata, plan=filled, notes=notes)  # written with the fields filled in
    path = tmp_path / "plan.csv"
    sheet.write(path)
    assert "'=1+1" in path.read_text(encoding="utf-8-sig")  # neutralised in the file
    back = read_worksheet(path, city="Kolkata", wards=kolkata.layer["ward_id"])
    assert back.plans == filled  # and read back as typed
    xlsx = read_worksheet(sheet.to_xlsx(), name="plan.xlsx")
    assert xlsx.plans == filled


def test_every_text_cell_is_neutralised(hostile):
    result, names = hostile
    sheet = action_worksheet(result, notes={next(iter(names)): "@SUM(A1)"})
    book = load_workbook(io.BytesIO(sheet.to_xlsx()))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cells)
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert not [t for t in texts if t.startswith(FORMULA_START)]
    assert '\'=HYPERLINK("http://x.invalid","click")' in texts and "'@SUM(A1)" in texts
    csv = pd.read_csv(io.StringIO(sheet.to_csv().lstrip("\ufeff")), dtype=str, keep_default_na=False)
    assert not [v for v in csv.to_numpy().ravel() if v.startswith(FORMULA_START)]
    assert "'+1+1" in set(csv["Ward name"])


def test_xlsx_layout_and_method_sheet(kolkata):
    book = load_workbook(io.BytesIO(action_worksheet(kolkata).to_xlsx()))
    plan, method = book["Action plan"], book["Method"]
    assert plan.freeze_panes == "A2"
    assert plan.column_dimensions["J"].width == 60  # Driving indicators
    items = {row[0].value: row[1].value for row in method.iter_rows(min_row=2)}
    assert items["City"] == "Kolkata" and items["Created"][:4].isdigit() and "Profiles rule" in items


def test_markdown_escapes_pipes(hostile):
    result, names = hostile
    text = action_worksheet(result).to_markdown()
    assert "a \\| b" in text
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    bare = [line.replace("\\|", "").count("|") for line in rows]
    assert set(bare) == {len(COLUMNS) + 1}  # every row has exactly the table's cells


def test_read_worksheet_refuses_bad_files_with_clear_messages(kolkata, tmp_path):
    table = action_worksheet(kolkata).table
    wrong = table.drop(columns=["Owner", "Notes"])
    path = tmp_path / "old.csv"
    wrong.to_csv(path, index=False)
    with pytest.raises(ValidationError, match=r"old\.csv.*'Owner', 'Notes'"):
        read_worksheet(path)
    bad = table.copy()
    bad.loc[0, "Ward ID"] = "KMC-999"
    bad.loc[1, "City"] = "Dhaka"
    bad.loc[3, "Ward ID"] = bad.loc[2, "Ward ID"]
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(ValidationError) as err:
        read_worksheet(path, city="Kolkata", wards=kolkata.layer["ward_id"])
    message = str(err.value)
    assert "bad.csv" in message and "KMC-999" in message and "row 2" in message  # row 1 is the header
    assert "another city (Dhaka)" in message and "row 3" in message
    assert "more than once" in message and bad.loc[2, "Ward ID"] in message
