"""Tests of hotspots.io.guess: the ward ID pair chosen by values, and the numeric columns of a table.

The real ward boundaries of Delhi and Chennai are read from ../shared/data/boundaries (see its README.md); those
tests skip when the folder is absent. The indicator tables are made here, as an analyst's file would look: a row
counter (``FID``), ward names, counts (``hate_incidents``, where the old name-based guess found "id"), and the ward
ID written the messy way (spaces, leading zeros, ``7.0``).
"""

from __future__ import annotations

import doctest
import io
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

import hotspots.io.guess
from hotspots.io import IdGuess, guess_id_columns, join_wards, numeric_columns, read_boundaries, read_table

BOUNDARIES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "boundaries"
needs_real_boundaries = pytest.mark.skipif(
    not BOUNDARIES.is_dir(), reason=f"real ward boundaries not found at {BOUNDARIES} (see its README.md)"
)


def analyst_table(ids: list, names: list | None = None, seed: int = 0) -> pd.DataFrame:
    """An indicator table as read from a CSV (every cell text): FID, names, ward IDs written loosely, indicators."""
    rng = np.random.default_rng(seed)
    n = len(ids)
    written = [f" {v} " if k % 3 == 0 else (f"0{v}" if k % 3 == 1 else f"{v}.0") for k, v in enumerate(ids)]
    written = [w if str(v).isdigit() else str(v) for w, v in zip(written, ids)]  # loose spellings of numbers only
    table = {
        "FID": [str(k) for k in range(n)],  # a GIS row counter: 0, 1, 2, ... overlaps numeric ward IDs
        "hate_incidents": rng.integers(0, 12, n).astype(str),  # counts: "id" inside the name, many repeats
        "ward_no": written,
        "population": rng.integers(20_000, 90_000, n).astype(str),
        "school_dropout_rate": [f"{v:.1f}" for v in rng.uniform(1, 30, n)],
    }
    if names is not None:
        table["Ward_Name"] = [str(v) for v in names]
    return pd.DataFrame(table)


def squares(ids: list, **columns) -> gpd.GeoDataFrame:
    """Boundaries of unit squares in a row, one per ID."""
    return gpd.GeoDataFrame({"ward": ids, **columns}, geometry=[box(k, 0, k + 1, 1) for k in range(len(ids))], crs=4326)


# ----------------------------------------------------------------------------------------------------------------
# Real boundaries
# ----------------------------------------------------------------------------------------------------------------


@needs_real_boundaries
def test_delhi_ward_no_is_chosen_over_fid_names_and_counts():
    wards = read_boundaries(BOUNDARIES / "delhi/Delhi_Wards.geojson").wards
    known = wards.dropna(subset=["Ward_No"])  # one feature has no ID (README)
    table = analyst_table(known["Ward_No"].tolist(), names=known["Ward_Name"].tolist())
    guess = guess_id_columns(table, wards)
    assert (guess.id_column, guess.boundary_id_column) == ("ward_no", "Ward_No")
    # 290 features, one without an ID: 289 IDs ("1".."272", "NDMC_1".., "CANT_1"..), all in the table
    assert (guess.matched, guess.table_ids, guess.boundary_ids) == (289, 289, 289)
    assert guess.reason == "ward_no: 289 of 289 table wards match boundary column Ward_No"
    # the names match too (288 distinct: "RAM NAGAR" is two wards), and FID 0..288 meets wards "1".."272"
    assert guess.matched_for("Ward_Name", "Ward_Name") == 288
    assert guess.matched_for("FID", "Ward_No") == 272
    # counts and decimal rates are not ID candidates at all
    assert not {t for t, _ in guess.overlaps} & {"hate_incidents", "school_dropout_rate"}
    # the guess is what the join needs: every ward matches
    _, report = join_wards(table, wards, id_column=guess.id_column, boundary_id_column=guess.boundary_id_column)
    assert report.matched == 289 and not report.unmatched_table


@needs_real_boundaries
def test_chennai_ward_zero_and_a_tie_broken_by_name():
    wards = read_boundaries(BOUNDARIES / "chennai/Wards.geojson").wards
    ids = wards["Ward_No"].tolist()
    assert 0 in ids  # README: ward 0 is the St. Thomas Mount cantonment
    table = analyst_table(sorted(ids))  # FID runs 0..200 like the ward numbers: a tie, broken by the name
    table = table.rename(columns={"ward_no": "Ward_No"})
    guess = guess_id_columns(table, wards)
    assert (guess.id_column, guess.boundary_id_column) == ("Ward_No", "Ward_No")
    assert guess.matched == 201 == guess.matched_for("FID", "Ward_No")
    assert "FID and Ward_No match as many; chosen by name" in guess.reason
    assert "0" in set(pd.Series(table["Ward_No"]).str.strip())  # ward 0 was in the table, as " 0 "
    # AREA and PERIMETER are decimal degrees: never candidates
    assert not {b for _, b in guess.overlaps} & {"AREA", "PERIMETER"}


@needs_real_boundaries
def test_real_guess_is_fast():
    wards = read_boundaries(BOUNDARIES / "delhi/Delhi_Wards.geojson").wards
    big = pd.concat([wards.dropna(subset=["Ward_No"])] * 40, ignore_index=True)  # 11,560 features
    big["Ward_No"] = [f"{w}-{k}" for k, w in enumerate(big["Ward_No"])]
    table = analyst_table(big["Ward_No"].tolist(), names=big["Ward_Name"].tolist())
    for k in range(30):  # a wide table: 30 more indicator columns
        table[f"indicator_{k}"] = table["population"]
    start = time.perf_counter()
    guess = guess_id_columns(table, big)
    elapsed = time.perf_counter() - start
    assert guess.id_column == "ward_no" and guess.matched == 289 * 40
    # about 0.6 s on the development machine; a generous bound for slow CI machines
    assert elapsed < 5, f"{elapsed:.1f} s"


# ----------------------------------------------------------------------------------------------------------------
# Small cases worked out by hand
# ----------------------------------------------------------------------------------------------------------------


def test_guess_by_values_not_names():
    # the old name-based guess picked "hate_incidents" ("id" inside "incidents") and "FID"
    table = pd.DataFrame(
        {"hate_incidents": ["4", "1", "4", "4"], "FID": ["0", "1", "2", "3"], "w": ["A", "B", "C", "D"]}
    )
    wards = squares(["A", "B", "C", "D"], FID=[10, 11, 12, 13])
    guess = guess_id_columns(table, wards)
    assert (guess.id_column, guess.boundary_id_column, guess.matched) == ("w", "ward", 4)
    assert guess.reason == "w: 4 of 4 table wards match boundary column ward"


def test_rows_in_another_order_give_the_same_guess():
    table = analyst_table(list(range(1, 41)))
    wards = squares([str(v) for v in range(1, 41)], OBJECTID=list(range(40)))
    expected = guess_id_columns(table, wards)
    shuffled = guess_id_columns(table.sample(frac=1, random_state=3), wards.sample(frac=1, random_state=4))
    assert shuffled == expected and expected.id_column == "ward_no"


def test_names_are_a_last_resort():
    table = pd.DataFrame({"ward_id": ["1", "2", "3", "99"], "ward_name": ["Ash", "Birch", "Cedar", "Oak"]})
    wards = squares(["1", "2", "3", "4"], ward_name=["Ash", "Birch", "Cedar", "Oak"])
    guess = guess_id_columns(table, wards)
    # the names match 4 wards, the IDs 3: the ID column is still the guess
    assert (guess.id_column, guess.boundary_id_column, guess.matched) == ("ward_id", "ward", 3)
    assert guess.matched_for("ward_name", "ward_name") == 4

    only_names = guess_id_columns(table[["ward_name"]], wards)
    assert (only_names.id_column, only_names.boundary_id_column, only_names.matched) == ("ward_name", "ward_name", 4)
    assert "ward names: no ID column matches" in only_names.reason


def test_no_match_guesses_by_name_and_says_so():
    table = pd.DataFrame({"hate_incidents": ["12", "40", "33"], "ward_code": ["X-1", "X-2", "X-3"]})
    wards = squares(["1", "2", "3"])
    guess = guess_id_columns(table, wards)
    assert not guess.found and guess.matched == 0
    assert (guess.id_column, guess.boundary_id_column) == ("ward_code", "ward")  # by name, never "hate_incidents"
    assert "no column of the table shares a ward ID" in guess.reason
    assert guess.advice("ward_code", "ward") is None


def test_advice_when_another_pair_would_match():
    table = pd.DataFrame({"FID": ["0", "1", "2"], "ward": ["a", "b", "c"]})
    wards = squares(["a", "b", "c"], OBJECTID=[7, 8, 9])
    guess = guess_id_columns(table, wards)
    assert guess.advice("ward", "ward") is None
    assert guess.advice("FID", "OBJECTID") == (
        "ward: 3 of 3 table wards match boundary column ward, while FID and OBJECTID match no ward"
    )
    assert guess.advice("FID", "not a column") is not None


@pytest.mark.parametrize(
    ("values", "candidate"),
    [
        (["1.5", "2.25", "3.5", "4.75"], False),  # decimals: a measurement
        ([1.5, 2.0, 3.0, 4.0], False),  # a float column with a fraction
        ([1.0, 2.0, 3.0, np.nan], True),  # integral floats (a column with a gap reads as float)
        (["1", "1", "1", "1", "2"], False),  # repeats: a count or a class
        ([None, None, None, None], False),
        (["07", "7", "8", "9"], True),  # "07" and "7" are one ID: 3 distinct of 4 filled cells, over half
    ],
)
def test_which_columns_can_hold_ids(values, candidate):
    table = pd.DataFrame({"ward": pd.Series(values)})
    wards = squares(["1", "2", "3", "4"])
    assert (("ward", "ward") in guess_id_columns(table, wards).overlaps) is candidate


def test_id_guess_is_hashable_and_compares_without_overlaps():
    guess = IdGuess("a", "b", 1, 1, 1, "a: 1 of 1 table wards match boundary column b", {("a", "b"): 1})
    assert guess == IdGuess("a", "b", 1, 1, 1, "a: 1 of 1 table wards match boundary column b")
    assert hash(guess)


def test_numeric_columns_with_decimal_commas():
    csv = b"ward;name;rate;count;note\n1;Ash;12,5;3;ok\n2;Birch;7,25;4;\n3;Cedar;n/a;5;late\n"
    assert numeric_columns(read_table(io.BytesIO(csv), name="t.csv")) == ["ward", "rate", "count"]


def test_docstring_examples():
    assert doctest.testmod(hotspots.io.guess).failed == 0
