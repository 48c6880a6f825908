"""Hot-spot labels that mean what they say: calibration under spatial randomness, ties, direction, permutations.

A label is tested the way statisticians test one: simulate spatial randomness and count false labels. Under the
null (values placed at random over the wards), the share of wards labelled at 90% / 95% / 99% with no correction
must match 10% / 5% / 1% (ArcGIS's Gi_Bin levels are two-sided), and with FDR the share of false labels must stay
below the level. Exact permutation probabilities of small cases are enumerated by hand (itertools) and compared.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

import hotspots
from hotspots.errors import DataError
from hotspots.spatial import hotspot_statistics, needed_permutations, neighbour_graph, reachable_levels

BOUNDARIES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "boundaries"
METRIC_CRS = 32643


def _grid(rows: int, cols: int, size: float = 100.0) -> gpd.GeoDataFrame:
    cells = [box(c * size, r * size, (c + 1) * size, (r + 1) * size) for r in range(rows) for c in range(cols)]
    ids = [f"r{r:02d}c{c:02d}" for r in range(rows) for c in range(cols)]
    return gpd.GeoDataFrame({"ward_id": ids}, geometry=cells, crs=METRIC_CRS)


def _keyed(values, graph) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=float), index=graph.ward_ids.astype(str))


@pytest.fixture(scope="module")
def grid_graph():
    return neighbour_graph(_grid(30, 30), "queen", snap_tolerance=0)


@pytest.fixture(scope="module")
def delhi_graph():
    path = BOUNDARIES / "delhi" / "Delhi_Wards.geojson"
    if not path.exists():
        pytest.skip(f"../shared/data/boundaries not found: {path} is absent (real ward layers stay outside the repo)")
    wards = gpd.read_file(path)
    wards["ward_id"] = wards["Ward_No"].fillna("no-id")
    return neighbour_graph(wards)


def _label_shares(graph, draw_values, replications: int, correction: str = "none", seed: int = 0) -> dict:
    """Share of tested wards labelled at each level (or stronger), pooled over replications of spatial randomness."""
    rng = np.random.default_rng(seed)
    counts = {"90%": 0, "95%": 0, "99%": 0, "lisa": 0}
    tested = 0
    for r in range(replications):
        values = _keyed(draw_values(rng, graph.n), graph)
        frame = hotspot_statistics(values, graph, seed=1000 + r, correction=correction).frame
        frame = frame[frame["hotspot_class"] != "not tested"]
        labels = frame["hotspot_class"]
        tested += len(frame)
        counts["99%"] += labels.str.endswith("99%").sum()
        counts["95%"] += labels.str.endswith(("95%", "99%")).sum()
        counts["90%"] += labels.str.startswith(("hot", "cold")).sum()
        counts["lisa"] += (~frame["lisa_cluster"].isin(["not significant", "not tested"])).sum()
    return {k: v / tested for k, v in counts.items()}


def _uniform(rng, n):
    return rng.uniform(1.0, 2.0, n)


# ---------------------------------------------------------------------------------------------------------------
# calibration
# ---------------------------------------------------------------------------------------------------------------


def test_labels_are_calibrated_on_a_grid_under_spatial_randomness(grid_graph):
    # 30 x 30 queen grid, 20 replications = 18,000 labels. The one-sided labels this replaces gave 20% / 9.8% / 2%.
    # Tolerances: about 4 binomial standard errors, widened for the correlation between neighbouring labels.
    shares = _label_shares(grid_graph, _uniform, replications=20)
    assert shares["90%"] == pytest.approx(0.10, abs=0.02)
    assert shares["95%"] == pytest.approx(0.05, abs=0.013)
    assert shares["99%"] == pytest.approx(0.01, abs=0.006)
    assert shares["lisa"] == pytest.approx(0.05, abs=0.013)  # local Moran clusters at alpha 0.05


def test_labels_are_calibrated_on_delhi_wards(delhi_graph):
    # the real Delhi layer (290 wards, irregular neighbourhoods from 1 to 15 neighbours), 25 replications
    shares = _label_shares(delhi_graph, _uniform, replications=25)
    assert shares["90%"] == pytest.approx(0.10, abs=0.02)
    assert shares["95%"] == pytest.approx(0.05, abs=0.013)
    assert shares["99%"] == pytest.approx(0.01, abs=0.006)


def test_fdr_keeps_false_labels_below_the_level(grid_graph):
    # complete null: every label is false. Benjamini-Hochberg then controls the chance of any label at the level.
    shares = _label_shares(grid_graph, _uniform, replications=5, correction="fdr", seed=1)
    assert shares["90%"] < 0.10 and shares["95%"] < 0.05 and shares["99%"] < 0.01
    assert shares["lisa"] < 0.05


def test_zero_heavy_data_is_not_called_significant(delhi_graph):
    # 85% of wards at 0, the rest gamma: ties at 0. The strict lower tail called dozens of zero wards "cold 99%".
    def zero_heavy(rng, n):
        return np.where(rng.random(n) < 0.85, 0.0, rng.gamma(2.0, 2.0, n))

    shares = _label_shares(delhi_graph, zero_heavy, replications=20, seed=3)
    assert shares["90%"] <= 0.10 + 0.02 and shares["95%"] <= 0.05 + 0.013 and shares["99%"] <= 0.01 + 0.006
    rng = np.random.default_rng(7)
    values = _keyed(zero_heavy(rng, delhi_graph.n), delhi_graph)
    frame = hotspot_statistics(values, delhi_graph, correction="fdr").frame
    assert (frame["hotspot_class"] == "cold spot 99%").sum() == 0


# ---------------------------------------------------------------------------------------------------------------
# exact small cases
# ---------------------------------------------------------------------------------------------------------------


def _exact_two_sided(values: np.ndarray, graph, i: int) -> float:
    """Exact conditional-permutation two-sided p of ward i: every set of k neighbours drawn from the other wards."""
    k = int(graph.cardinalities[i])
    others = np.delete(values, i)
    neighbours = graph.indices[graph.indptr[i] : graph.indptr[i + 1]]
    observed = values[neighbours].sum()
    sums = np.array([sum(c) for c in itertools.combinations(others, k)])
    upper = np.mean(sums >= observed - 1e-9)
    lower = np.mean(sums <= observed + 1e-9)
    return min(1.0, 2 * min(upper, lower))


def test_three_wards_in_a_row_by_hand():
    # values 1, 2, 3 in a row. Ward a (value 1) has one neighbour, b (value 2); a random neighbour from {2, 3}
    # ties with the observed 2 half of the time: upper tail P(S >= 2) = 1, lower tail P(S <= 2) = 1/2, so the exact
    # two-sided p is min(1, 2 x 1/2) = 1. The strict lower tail called a "cold spot 99%".
    wards = _grid(1, 3)
    graph = neighbour_graph(wards, snap_tolerance=0)
    values = _keyed([1.0, 2.0, 3.0], graph)
    frame = hotspot_statistics(values, graph, permutations=9999, correction="none").frame
    assert _exact_two_sided(values.to_numpy(), graph, 0) == 1.0
    assert frame.loc["r00c00", "gi_star_p"] > 0.95
    assert frame["hotspot_class"].isin(["not significant", "not tested"]).all()


def test_permutation_p_values_match_exact_enumeration_on_a_3x3_lattice():
    graph = neighbour_graph(_grid(3, 3), "queen", snap_tolerance=0)
    values = np.array([9.0, 8.0, 1.0, 7.0, 5.0, 2.0, 6.0, 3.0, 4.0])
    permutations = 99_999
    frame = hotspot_statistics(_keyed(values, graph), graph, permutations=permutations, correction="none").frame
    for i, ward in enumerate(graph.ward_ids):
        exact = _exact_two_sided(values, graph, i)
        half = exact / 2
        tolerance = 2 * 5 * math.sqrt(max(half * (1 - half), 1e-6) / permutations) + 4 / (permutations + 1)
        assert frame.loc[ward, "gi_star_p"] == pytest.approx(exact, abs=tolerance), ward
    # the centre ward has all 8 others as neighbours: every draw gives the same sum, p = 1 exactly
    assert frame.loc["r01c01", "gi_star_p"] == 1.0


# ---------------------------------------------------------------------------------------------------------------
# direction and significance from the same tail
# ---------------------------------------------------------------------------------------------------------------


def test_an_outlier_among_the_lowest_values_is_not_a_hot_spot():
    # the city's highest value in the centre of a 5x5 grid, its 8 neighbours the city's lowest values. Its own
    # value makes its Gi* z positive, but its neighbourhood is in the lower permutation tail: the old rule (sign of
    # z, p from either tail) said "hot spot 99%".
    wards = _grid(5, 5)
    graph = neighbour_graph(wards, "queen", snap_tolerance=0)
    rng = np.random.default_rng(11)
    values = pd.Series(rng.uniform(10, 20, 25), index=wards["ward_id"])
    values["r02c02"] = 200.0
    for ward in graph.neighbours_of("r02c02"):
        values[ward] = 0.1
    result = hotspot_statistics(values, graph, permutations=9999, correction="none")
    row = result.frame.loc["r02c02"]
    assert row["gi_star_z"] > 0  # the premise: z says "hot"
    assert row["gi_star_p"] <= 0.01  # the neighbourhood is extreme ...
    assert not row["hotspot_class"].startswith("hot")  # ... in the cold direction: never "hot spot"
    assert "r02c02" in result.metadata["direction_conflicts"]
    assert any("disagrees" in note for note in result.notes)


# ---------------------------------------------------------------------------------------------------------------
# permutation counts
# ---------------------------------------------------------------------------------------------------------------


def test_needed_and_reachable_permutations_by_hand():
    # two-sided smallest p = 2 / (P + 1); Bonferroni over m wards needs 2 m / (P + 1) <= 0.01.
    assert reachable_levels(999, 144, "bonferroni") == {"90%": False, "95%": False, "99%": False}  # 0.288
    assert reachable_levels(999, 144, "none") == {"90%": True, "95%": True, "99%": True}  # 0.002
    assert reachable_levels(0, 10, "none") == {"90%": False, "95%": False, "99%": False}
    need = needed_permutations(144, "bonferroni")
    assert need == 57_999  # 2 (margin) x 2 x 144 / 0.01 = 57,600, rounded up to the next ...999
    assert all(reachable_levels(need, 144, "bonferroni").values())
    assert needed_permutations(144, "none") == 999  # 2 x 2 / 0.01 = 400 < 999
    # FDR: Benjamini-Hochberg's threshold for the 36th smallest of 144 p-values at 0.01 is 0.01 x 36 / 144
    assert needed_permutations(144, "fdr", candidates=36) == 1_999  # 4 / 0.0025 = 1,600
    assert needed_permutations(144, "fdr", candidates=1) == 57_999


@pytest.fixture(scope="module")
def kolkata():
    city = hotspots.demo_city("kolkata")
    return city


def test_bonferroni_with_auto_permutations_finds_kolkatas_hot_spots(kolkata):
    # 144 wards, |z| up to 5.3: with 999 permutations no Bonferroni-adjusted p can go below 144 x 2/1000 = 0.29
    fixed = hotspots.run(
        kolkata.indicators_path, kolkata.boundaries_path, id_column="ward_id", correction="bonferroni", permutations=999
    )
    assert set(fixed.layer["hotspot_class"]) <= {"not significant", "not tested", "no data"}
    assert any("no ward can reach" in note for note in fixed.hotspot_notes())
    assert fixed.hotspots.metadata["permutations"]["held_back"]["99%"] > 0
    auto = hotspots.run(kolkata.indicators_path, kolkata.boundaries_path, id_column="ward_id", correction="bonferroni")
    assert (auto.layer["hotspot_class"] == "hot spot 99%").any()
    plan = auto.hotspots.metadata["permutations"]
    assert plan["requested"] == "auto" and plan["refined"] >= 57_999 and all(plan["reachable_levels"].values())
    assert plan["refined_wards"] < 144  # only the wards whose p-value was limited by the count are re-tested
    assert not any("no ward can reach" in note or "might reach" in note for note in auto.hotspot_notes())


def test_zero_permutations_means_not_tested(kolkata):
    result = hotspots.run(kolkata.indicators_path, kolkata.boundaries_path, id_column="ward_id", permutations=0)
    scored = result.layer["risk_score"].notna()
    assert (result.layer.loc[scored, "hotspot_class"] == "not tested").all()
    assert (result.layer.loc[scored, "lisa_cluster"] == "not tested").all()
    assert result.layer.loc[scored, "gi_star_z"].notna().all()  # z-scores are still there
    assert any("switched off" in note for note in result.hotspot_notes())


# ---------------------------------------------------------------------------------------------------------------
# results keyed by ward ID, never by row position
# ---------------------------------------------------------------------------------------------------------------

_STAT_COLUMNS = [
    "gi_star_z",
    "gi_star_p",
    "gi_star_p_adj",
    "hotspot_class",
    "lisa_i",
    "lisa_p",
    "lisa_cluster",
    "neighbour_count",
    "risk_score",
    "risk_class",
]


def _shuffled_copy(city, tmp_path, seed: int):
    table = pd.read_csv(city.indicators_path, dtype={"ward_id": str})
    table = table.sample(frac=1.0, random_state=seed)
    indicators = tmp_path / f"shuffled_{seed}.csv"
    table.to_csv(indicators, index=False)
    wards = gpd.read_file(city.boundaries_path).sample(frac=1.0, random_state=seed + 1)
    boundaries = tmp_path / f"shuffled_{seed}.geojson"
    wards.to_file(boundaries, driver="GeoJSON")
    return indicators, boundaries


def test_shuffled_rows_give_identical_results_per_ward(kolkata, tmp_path):
    original = hotspots.run(kolkata.indicators_path, kolkata.boundaries_path, id_column="ward_id")
    indicators, boundaries = _shuffled_copy(kolkata, tmp_path, seed=5)
    shuffled = hotspots.run(indicators, boundaries, id_column="ward_id")
    a = original.layer.set_index("ward_id")[_STAT_COLUMNS].sort_index()
    b = shuffled.layer.set_index("ward_id")[_STAT_COLUMNS].sort_index()
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)


def test_graph_cached_for_one_table_serves_another_order_by_ward_id(kolkata, tmp_path):
    # the app caches the neighbour graph by boundary file: a second table (another year, reordered) must get the
    # statistics of its own wards, never another order's
    fw = hotspots.default_framework()
    first = hotspots.load_city(kolkata.indicators_path, kolkata.boundaries_path, fw, id_column="ward_id")
    graph = hotspots.city_graph(first)
    indicators, _ = _shuffled_copy(kolkata, tmp_path, seed=9)
    second = hotspots.load_city(indicators, kolkata.boundaries_path, fw, id_column="ward_id")
    with_cached = hotspots.score_city(second, fw, graph=graph).layer.set_index("ward_id").sort_index()
    fresh = hotspots.score_city(second, fw).layer.set_index("ward_id").sort_index()
    pd.testing.assert_frame_equal(with_cached[_STAT_COLUMNS], fresh[_STAT_COLUMNS])


def test_a_graph_of_other_wards_is_an_error(kolkata):
    fw = hotspots.default_framework()
    city = hotspots.load_city(kolkata.indicators_path, kolkata.boundaries_path, fw, id_column="ward_id")
    dhaka = hotspots.demo_cities()["dhaka"]
    other = hotspots.load_city(dhaka.indicators_path, dhaka.boundaries_path, fw, id_column=dhaka.id_column)
    with pytest.raises(DataError, match="do not hold the same wards"):
        hotspots.score_city(city, fw, graph=hotspots.city_graph(other))


# ---------------------------------------------------------------------------------------------------------------
# small cities and layers without a CRS
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_wards", [1, 2])
def test_a_city_of_one_or_two_wards_is_scored_and_marked_not_tested(kolkata, tmp_path, n_wards):
    table = pd.read_csv(kolkata.indicators_path, dtype={"ward_id": str}).head(n_wards)
    wards = gpd.read_file(kolkata.boundaries_path)
    wards = wards[wards["ward_id"].isin(table["ward_id"])]
    table.to_csv(tmp_path / "tiny.csv", index=False)
    wards.to_file(tmp_path / "tiny.geojson", driver="GeoJSON")
    result = hotspots.run(tmp_path / "tiny.csv", tmp_path / "tiny.geojson", id_column="ward_id")
    assert len(result.layer) == n_wards
    assert (result.layer["hotspot_class"] == "not tested").all()
    assert any("not tested" in note and "at least 3" in note for note in result.hotspot_notes())


def test_a_layer_without_crs_needs_an_explicit_tolerance():
    wards = _grid(3, 3).set_crs(None, allow_override=True)
    with pytest.raises(DataError, match="no CRS"):
        neighbour_graph(wards, "queen")
    with pytest.raises(DataError, match="no CRS"):
        neighbour_graph(wards, "distance:150")
    with pytest.warns(UserWarning, match="no CRS"):
        assert neighbour_graph(wards, "queen", snap_tolerance=0).n == 9
