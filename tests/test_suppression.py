"""Small numbers never leave the tool: primary and complementary suppression (hotspots/suppression.py), the same in
the GeoJSON, the CSV, the map tooltips and the ward breakdown; a hidden count cannot be worked out from a total."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hotspots
from hotspots.method import Method
from hotspots.suppression import COMPLEMENTARY, SHOWN, SMALL, suppress_small_counts, suppression_codes


def _codes(counts, below=5, ids=None) -> list[int]:
    table = pd.DataFrame({"ward_id": ids or [f"w{i:02d}" for i in range(len(counts))], "n": counts})
    return suppression_codes(table, ["n"], below)["n"].tolist()


@pytest.mark.parametrize(
    ("counts", "below", "expected", "why"),
    [
        ([3, 0, 9, 7], 5, [1, 0, 0, 2], "one small cell: the smallest count shown (7) goes with it"),
        ([2, 3, 9, 12], 5, [1, 1, 0, 0], "two small cells summing to 5: (1,4), (2,3), (3,2), (4,1) all fit"),
        (
            [1, 1, 9, 12],
            5,
            [1, 1, 2, 0],
            "1 + 1: the sum 2 pins both at 1, so 9 goes too (1+1+9 = 11 fits 1,1,9 / 1,2,8 ...)",
        ),
        ([4, 4, 20, 30], 5, [1, 1, 2, 0], "4 + 4: the sum 8 pins both at 4"),
        ([1, 5, 6, 40], 5, [1, 2, 2, 0], "1 + 5 = 6 is the least a small and a complementary cell hold: 6 goes too"),
        ([0, 0, 7, 12], 5, [0, 0, 0, 0], "zero is not a small count"),
        ([3, 12], 0, [0, 0], "0 turns suppression off"),
        ([9, 3, 12], 10, [1, 1, 0], "the stricter rule (CDC WONDER): 9 is small below 10; 3 + 9 fit many ways"),
        ([np.nan, 3, 8], 5, [0, 1, 2], "no data is neither shown nor hidden"),
    ],
)
def test_primary_and_complementary_cells(counts, below, expected, why):
    # hand-worked: primary cells are 1..below-1; while the hidden cells could be worked out from the column's
    # total (one cell; all at their least; all primary at below-1), the smallest count shown is hidden too
    assert _codes(counts, below) == expected, why


def test_ties_are_broken_by_ward_id_not_by_row_order():
    ids = ["c", "a", "b", "d"]
    assert _codes([3, 7, 7, 9], ids=ids) == [SMALL, COMPLEMENTARY, SHOWN, SHOWN]  # "a" before "b"
    assert _codes([7, 9, 3, 7], ids=["b", "d", "c", "a"]) == [SHOWN, SHOWN, SMALL, COMPLEMENTARY]


def _feasible_values(counts: np.ndarray, codes: np.ndarray, below: int) -> dict[int, range]:
    """What an attacker who knows the rule, every shown cell and the column's total can say of each hidden cell:
    the values it may take (small cells 1..below-1, complementary cells below..total; integer ranges, so the sums
    of the others form one interval)."""
    total = int(np.nansum(counts))
    shown = int(np.nansum(np.where(codes == SHOWN, counts, 0)))
    hidden_total = total - shown
    bounds = {i: (1, below - 1) if codes[i] == SMALL else (below, hidden_total) for i in np.flatnonzero(codes != SHOWN)}
    out = {}
    for i, (low, high) in bounds.items():
        others_low = sum(b[0] for j, b in bounds.items() if j != i)
        others_high = sum(b[1] for j, b in bounds.items() if j != i)
        out[i] = range(max(low, hidden_total - others_high), min(high, hidden_total - others_low) + 1)
    return out


@settings(max_examples=400, deadline=None)
@given(
    counts=st.lists(st.integers(0, 40), min_size=2, max_size=14),
    below=st.sampled_from([5, 10]),
)
def test_no_hidden_count_can_be_worked_out_from_the_total(counts, below):
    counts = np.array(counts, dtype=float)
    codes = np.array(_codes(list(counts), below))
    shown = counts[codes == SHOWN]
    assert not ((shown > 0) & (shown < below)).any()  # no small count is shown
    if not (codes == SMALL).any():
        assert (codes == SHOWN).all()  # nothing hidden without a small count
        return
    if ((codes == SHOWN) & (counts >= below)).any():
        # the rule had counts to spare: every hidden cell has at least two values consistent with what is shown
        # (with none to spare, e.g. [1, 5, 5], every non-zero count is hidden; the README says so)
        for i, values in _feasible_values(counts, codes, below).items():
            assert counts[i] in values and len(values) >= 2, (list(counts), list(codes), i, values)


def test_the_rule_hides_cells_so_blanked_table_matches_codes():
    table = pd.DataFrame({"ward_id": ["a", "b", "c"], "n": [2, 0, 30], "m": [8, 9, 10]})
    blanked, done = suppress_small_counts(table, ["n", "m", "absent"], 5)
    assert done == {"n": 2} and blanked["n"].isna().tolist() == [True, False, True]
    assert blanked["m"].tolist() == [8, 9, 10] and table["n"].tolist() == [2, 0, 30]  # the input is not changed


# -- every output of a scored city -----------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=[5, 10])
def kolkata(request):
    city = hotspots.demo_city("kolkata")
    method = Method(permutations=0, suppress_below=request.param)
    return hotspots.run(city.indicators_path, city.boundaries_path, id_column="ward_id", method=method)


def test_no_exported_count_is_small_and_the_metadata_records_the_rule(kolkata, tmp_path):
    below = kolkata.suppress_below
    geojson = json.loads(kolkata.to_geojson())
    kolkata.to_csv(tmp_path / "k.csv")
    csv = pd.read_csv(tmp_path / "k.csv")
    meta = geojson["metadata"]["small_number_suppression"]
    assert meta["threshold"] == below and "complementary" in meta["rule"]
    for column in kolkata.count_columns:
        values = [f["properties"][column] for f in geojson["features"]]
        assert not any(v is not None and 0 < v < below for v in values), column
        assert not ((csv[column] > 0) & (csv[column] < below)).any(), column
        raw = pd.to_numeric(kolkata.layer[column], errors="coerce")
        hidden = sum(v is None for v in values) - int(raw.isna().sum())
        assert hidden == meta["suppressed_cells"].get(column, 0)
        if column in meta["suppressed_cells"]:  # rates made from these counts could give them back: withheld
            assert "withheld" in geojson["metadata"]["normalisation"]["parameters"][column]
    sidecar = json.loads((tmp_path / "k.csv.metadata.json").read_text(encoding="utf-8"))
    assert sidecar["small_number_suppression"] == meta


def test_the_breakdown_hides_what_the_exports_hide(kolkata):
    below = kolkata.suppress_below
    table, _ = kolkata.export_table()
    counts = kolkata.count_columns
    hidden = table[counts].isna().to_numpy() & kolkata.layer[counts].notna().to_numpy()
    assert hidden.any()
    for position in np.flatnonzero(hidden.any(axis=1))[:20]:
        ward = kolkata.layer["ward_id"].iloc[position]
        breakdown = kolkata.explain(ward).set_index("indicator")
        for column, is_hidden in zip(counts, hidden[position]):
            value = breakdown.loc[column, "value"]
            if is_hidden:
                assert str(value).startswith("suppressed"), (ward, column, value)
                assert breakdown.loc[column, ["normalised", "contribution_to_risk", "rank_among_wards"]].isna().all()
            else:
                assert not isinstance(value, str)
        if f"suppressed (< {below})" in breakdown["value"].astype(str).tolist():
            break
    else:
        pytest.fail("no ward with a small count found")


def test_one_small_count_hides_the_next_smallest_in_every_output(tmp_path):
    # a column with a single small count: with the city total known, 2 = total - the rest; the smallest count shown
    # (ward KMC-010, 5 after the others are raised) goes too, in the exports, the tooltips and the breakdown
    from test_maps import embedded_data

    from hotspots import maps

    city = hotspots.demo_city("kolkata")
    table = pd.read_csv(city.indicators_path)
    table["hate_incidents"] = 9 + np.arange(len(table)) % 7
    table.loc[table["ward_id"] == "KMC-003", "hate_incidents"] = 2
    table.loc[table["ward_id"] == "KMC-010", "hate_incidents"] = 5
    path = tmp_path / "one_small.csv"
    table.to_csv(path, index=False)
    result = hotspots.run(path, city.boundaries_path, id_column="ward_id", method=Method(permutations=0))
    exported = {
        f["properties"]["ward_id"]: f["properties"]["hate_incidents"]
        for f in json.loads(result.to_geojson())["features"]
    }
    assert exported["KMC-003"] is None and exported["KMC-010"] is None
    assert sum(v is None for v in exported.values()) == 2
    assert result.metadata()["small_number_suppression"]["complementary_cells"] == {"hate_incidents": 1}
    page = maps.map_html(
        maps.risk_map(
            result.layer,
            dimensions=result.dimension_names,
            indicators=result.framework.indicators,
            breaks=result.breaks,
            count_columns=result.count_columns,
            suppress_below=result.suppress_below,
        )
    )
    label = result.framework.labels["hate_incidents"]
    rate = next(r["num"] for r in embedded_data(page)["rows"] if r["label"] == label)
    shown = dict(zip(result.layer["ward_id"], rate))
    assert shown["KMC-003"] == "suppressed (&lt; 5)"
    assert shown["KMC-010"] == "suppressed (protects a small count)"
    assert sum(isinstance(v, str) for v in rate) == 2
    breakdown = result.explain("KMC-010").set_index("indicator")
    assert breakdown.loc["hate_incidents", "value"] == "suppressed (protects a small count)"


SCORED = ["individual_score", "institutional_score", "ideological_score", "risk_score", "risk_rank", "risk_class"]


def _scored(table: pd.DataFrame, folder, name: str, **options) -> pd.DataFrame:
    """The Kolkata demo's boundaries scored with this indicator table: the score columns and Gi*, by ward ID."""
    city = hotspots.demo_city("kolkata")
    path = folder / f"{name}.csv"
    table.to_csv(path, index=False)
    method = Method(permutations=99, **options)
    result = hotspots.run(path, city.boundaries_path, id_column="ward_id", method=method)
    return result.layer.set_index("ward_id")[[*SCORED, "hotspot_class", "gi_star_z"]].sort_index()


def _other_hidden_counts(table: pd.DataFrame, below: int = 5) -> pd.DataFrame:
    """The same table with every hidden count changed and everything public kept: each count column's cells shown,
    its total, and which cells are hidden (small counts rotated within 1..below-1, pairs swapped so that the
    column's sum stays; a complementary cell takes what its column's small cells gave up)."""
    out = table.copy()
    for column in ("unlicensed_institutions", "hate_incidents", "extremist_propaganda_reports"):
        codes = suppression_codes(table, [column], below)[column].to_numpy()
        x = table[column].to_numpy(dtype=float).copy()
        small = np.flatnonzero(codes == SMALL)
        for a, b in zip(small[::2], small[1::2]):  # a pair keeps its sum (1 and 3 -> 2 and 2)
            total = x[a] + x[b]
            new_a = 1.0 + (x[a] % (below - 1))  # another value of the band
            new_b = total - new_a
            if not 1 <= new_b <= below - 1:
                new_a, new_b = x[b], x[a]  # at least swap them (the ward that had one has the other)
            x[a], x[b] = new_a, new_b
        if len(small) % 2:  # the odd one: a complementary cell makes up for it, else it keeps its value
            last = small[-1]
            complementary = np.flatnonzero(codes == COMPLEMENTARY)
            if complementary.size:
                new = 1.0 + (x[last] % (below - 1))
                moved = x[last] - new
                x[last] = new
                x[complementary[0]] += moved
        out[column] = x
        assert (suppression_codes(out, [column], below)[column].to_numpy() == codes).all(), column
        assert np.isclose(out[column].sum(), table[column].sum()), column
        shown = codes == SHOWN
        assert np.array_equal(out[column].to_numpy()[shown], table[column].to_numpy()[shown], equal_nan=True)
    return out


def test_no_score_gives_a_hidden_count_back(tmp_path):
    # The scores are exported to three decimals beside the weights and every other value, so a score made from a
    # hidden count gives it back (before this rule, all 129 hidden counts of the Kolkata demo that were the only
    # hidden value of their dimension in their ward came back exactly from the GeoJSON). Changed hidden counts, with
    # all that is public kept, must leave every score, rank, class and hot spot as it was.
    city = hotspots.demo_city("kolkata")
    table = pd.read_csv(city.indicators_path)
    changed = _other_hidden_counts(table)
    assert (changed != table).any(axis=None)  # the test changes something
    pd.testing.assert_frame_equal(_scored(table, tmp_path, "as_is"), _scored(changed, tmp_path, "changed"))


def _one_small_count() -> pd.DataFrame:
    """The Kolkata demo's table with one small hate-incident count (2, KMC-003) and the smallest count shown 7
    (KMC-010, hidden with it); the other wards 9-15."""
    table = pd.read_csv(hotspots.demo_city("kolkata").indicators_path)
    table["hate_incidents"] = 9 + np.arange(len(table)) % 7
    table.loc[table["ward_id"] == "KMC-003", "hate_incidents"] = 2
    table.loc[table["ward_id"] == "KMC-010", "hate_incidents"] = 7
    return table


def test_no_score_gives_a_hidden_count_back_with_complementary_cells(tmp_path):
    # one small count (KMC-003), hidden with the smallest count shown (KMC-010): 2 and 7 -> 4 and 5 keeps the
    # column's total and the two cells hidden
    table = _one_small_count()
    changed = table.copy()
    changed.loc[changed["ward_id"] == "KMC-003", "hate_incidents"] = 4
    changed.loc[changed["ward_id"] == "KMC-010", "hate_incidents"] = 5
    for t in (table, changed):
        codes = suppression_codes(t, ["hate_incidents"])["hate_incidents"]
        assert codes[t["ward_id"] == "KMC-003"].item() == SMALL
        assert codes[t["ward_id"] == "KMC-010"].item() == COMPLEMENTARY
    pd.testing.assert_frame_equal(_scored(table, tmp_path, "as_is"), _scored(changed, tmp_path, "changed"))


def test_the_scores_are_those_of_the_public_stand_ins(tmp_path):
    # Hand-built reference: the table with each hidden count replaced by hand (a small count by 2.5, the middle of
    # 1-4; the complementary cell by the hidden sum 2 + 7 minus 2.5), scored with suppression off, gives the same
    # scores as the table as it is with suppression on.
    table = _one_small_count()
    by_hand = table.copy().astype({c: float for c in ("unlicensed_institutions", "extremist_propaganda_reports")})
    by_hand["hate_incidents"] = by_hand["hate_incidents"].astype(float)
    by_hand.loc[by_hand["ward_id"] == "KMC-003", "hate_incidents"] = 2.5
    by_hand.loc[by_hand["ward_id"] == "KMC-010", "hate_incidents"] = 6.5
    for column in ("unlicensed_institutions", "extremist_propaganda_reports"):
        values = by_hand[column]
        by_hand.loc[(values > 0) & (values < 5), column] = 2.5  # these columns hold several small counts, no pair
        assert not suppression_codes(table, [column])[column].eq(COMPLEMENTARY).any()
    reference = _scored(by_hand, tmp_path, "by_hand", suppress_below=0)
    pd.testing.assert_frame_equal(_scored(table, tmp_path, "as_is", suppress_below=5), reference)
    exact = _scored(table, tmp_path, "exact", suppress_below=0)
    assert not np.allclose(exact["risk_score"], reference["risk_score"])  # the stand-ins do change the scores


def test_small_populations_are_flagged_not_scored_differently():
    # issue 10: wards below the framework's minimum population are flagged in the export, never dropped or rescored
    from hotspots.framework import Framework, default_framework

    city = hotspots.demo_city("kolkata")
    flagged = Framework.from_dict({**default_framework().to_dict(), "min_population": 30000})
    runs = [
        hotspots.run(city.indicators_path, city.boundaries_path, id_column="ward_id", method=method)
        for method in (
            Method(permutations=99, suppress_below=10),
            Method(framework=flagged, permutations=99, suppress_below=10),
        )
    ]
    columns = ["ward_id", "risk_score", "risk_rank", "risk_class", "hotspot_class", "gi_star_z"]
    pd.testing.assert_frame_equal(runs[0].layer[columns], runs[1].layer[columns])
    assert runs[1].layer["small_population"].any()


def test_the_scores_hide_the_cells_the_outputs_hide(kolkata):
    # the scores' stand-ins (computed on the scored table) and the outputs' blanks (computed on the map's layer) are
    # the same cells of the same wards, matched by ward ID
    counts = kolkata.count_columns
    scored = kolkata.city.scored_table
    in_scores = suppression_codes(scored, counts, kolkata.suppress_below).set_axis(scored["ward_id"].astype(str))
    in_outputs = kolkata.suppression.set_axis(kolkata.layer["ward_id"].astype(str))
    assert (in_outputs.loc[in_scores.index] != SHOWN).to_numpy().sum() > 0
    pd.testing.assert_frame_equal(in_outputs.loc[in_scores.index], in_scores)
    assert (in_outputs.drop(index=in_scores.index) == SHOWN).all(axis=None)  # wards without data: nothing hidden
