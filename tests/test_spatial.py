"""Tests of hotspots.spatial: neighbour graph, Gi*, local Moran, multiple testing.

Reference values come from esda 2.9.0 / libpysal 4.14.1 run on the same weights (our graph's ``to_libpysal()``), on
the Columbus example shipped with libpysal (no download needed) and on the real ward layers in
``../shared/data/boundaries`` (skipped where that folder is absent).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from shapely.geometry import box

from hotspots.errors import DataError
from hotspots.spatial import (
    DEFAULT_SNAP_M,
    HOTSPOT_CLASSES,
    LISA_CLUSTERS,
    NeighbourGraph,
    adjust_pvalues,
    bivariate_local_moran,
    dimension_correlation,
    global_moran,
    hotspot_statistics,
    local_gi_star_z,
    neighbour_graph,
)

BOUNDARIES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "boundaries"
METRIC_CRS = 32643  # UTM 43N (Delhi, Pune, Mumbai); any metre CRS works for the synthetic layers


# ---------------------------------------------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------------------------------------------


def _lattice(rows: int = 3, cols: int = 3, size: float = 100.0) -> gpd.GeoDataFrame:
    """rows x cols square wards of ``size`` metres, ids 'r{row}c{col}', row-major."""
    cells = [box(c * size, r * size, (c + 1) * size, (r + 1) * size) for r in range(rows) for c in range(cols)]
    ids = [f"r{r}c{c}" for r in range(rows) for c in range(cols)]
    return gpd.GeoDataFrame({"ward_id": ids}, geometry=cells, crs=METRIC_CRS)


def _voronoi_wards(n: int, seed: int = 0) -> gpd.GeoDataFrame:
    """Voronoi cells in a 10 km square (as ``synthetic_wards`` in ../shared/bench/reference_pipeline.py)."""
    rng = np.random.default_rng(seed)
    frame = box(0, 0, 10_000, 10_000)
    points = shapely.points(rng.uniform(0, 10_000, (n, 2)))
    cells = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=frame)
    polygons = shapely.intersection(np.asarray(shapely.get_parts(cells)), frame)
    return gpd.GeoDataFrame({"ward_id": [f"W{i:04d}" for i in range(len(polygons))]}, geometry=polygons, crs=32645)


@pytest.fixture(scope="module")
def columbus():
    path = libpysal.examples.get_path("columbus.shp")
    if not Path(path).exists():
        pytest.skip(f"libpysal example 'columbus' not available locally: {path}")
    return gpd.read_file(path)


@pytest.fixture(scope="module")
def columbus_graph(columbus):
    # Columbus has no CRS (its coordinates are in an unknown planar unit): we warn and use them as they are
    with pytest.warns(UserWarning, match="no CRS"):
        return neighbour_graph(columbus, "queen", id_column="POLYID", snap_tolerance=0)


@pytest.fixture(scope="module")
def crime(columbus, columbus_graph):
    """Columbus CRIME keyed by ward ID (POLYID as text)."""
    return pd.Series(columbus["CRIME"].to_numpy(), index=columbus["POLYID"].astype(str))


def _in_graph_order(values: pd.Series, graph: NeighbourGraph) -> np.ndarray:
    return values.reindex(graph.ward_ids.astype(str)).to_numpy(dtype=float)


def _keyed(values, graph: NeighbourGraph) -> pd.Series:
    """Values given in the graph's order, keyed by its ward IDs."""
    return pd.Series(np.asarray(values, dtype=float), index=graph.ward_ids.astype(str))


def _boundary(relative: str) -> Path:
    path = BOUNDARIES / relative
    if not path.exists():
        pytest.skip(
            f"../shared/data/boundaries not found: {path} is absent (real ward layers are kept outside the repo)"
        )
    return path


@pytest.fixture(scope="module")
def delhi():
    wards = gpd.read_file(_boundary("delhi/Delhi_Wards.geojson"))
    # one feature has no Ward_No (see the folder's README): give it an id so that every ward is kept
    wards["ward_id"] = wards["Ward_No"].fillna("no-id")
    return wards


def _pairs(graph: NeighbourGraph) -> set[tuple[str, str]]:
    ids = graph.ward_ids
    return {(ids[i], ids[j]) for i in range(graph.n) for j in graph.indices[graph.indptr[i] : graph.indptr[i + 1]]}


def _libpysal_pairs(w, ids) -> set[tuple[str, str]]:
    return {(str(ids[i]), str(ids[j])) for i, neighbours in w.neighbors.items() for j in neighbours}


# ---------------------------------------------------------------------------------------------------------------
# neighbour graph
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["queen", "rook"])
def test_graph_equals_libpysal_on_columbus(columbus, method):
    with pytest.warns(UserWarning, match="no CRS"):
        graph = neighbour_graph(columbus, method, id_column="POLYID", snap_tolerance=0)
    builder = libpysal.weights.Queen if method == "queen" else libpysal.weights.Rook
    w = builder.from_dataframe(columbus, use_index=False, silence_warnings=True)
    assert _pairs(graph) == _libpysal_pairs(w, columbus["POLYID"].astype(str).to_numpy())
    assert graph.islands == []


@pytest.mark.parametrize("method", ["queen", "rook"])
def test_graph_equals_libpysal_on_voronoi_wards(method):
    wards = _voronoi_wards(600)
    graph = neighbour_graph(wards, method, snap_tolerance=0)
    builder = libpysal.weights.Queen if method == "queen" else libpysal.weights.Rook
    w = builder.from_dataframe(wards, use_index=False, silence_warnings=True)
    assert _pairs(graph) == _libpysal_pairs(w, wards["ward_id"].to_numpy())
    assert graph.describe()["symmetric"] is True


def test_graph_structure_and_description():
    graph = neighbour_graph(_lattice(), "queen")
    assert graph.n == 9
    # 3x3 queen: corners 3 neighbours, edge middles 5, centre 8
    assert graph.cardinalities.tolist() == [3, 5, 3, 5, 8, 5, 3, 5, 3]
    assert sorted(graph.neighbours_of("r0c0")) == ["r0c1", "r1c0", "r1c1"]
    rook = neighbour_graph(_lattice(), "rook")
    assert rook.cardinalities.tolist() == [2, 3, 2, 3, 4, 3, 2, 3, 2]
    description = graph.describe()
    json.dumps(description)
    assert description["snap_tolerance_m"] == DEFAULT_SNAP_M
    assert description["method"] == "queen" and description["islands"] == []
    w = graph.to_libpysal()
    assert w.id_order == list(graph.ward_ids) and w.n == 9


def test_snap_tolerance_closes_sliver_gaps():
    # two 100 m squares 1 m apart: not neighbours at tolerance 0, neighbours with the default tolerance
    wards = gpd.GeoDataFrame(
        {"ward_id": ["a", "b"]}, geometry=[box(0, 0, 100, 100), box(101, 0, 201, 100)], crs=METRIC_CRS
    )
    assert neighbour_graph(wards, snap_tolerance=0).islands == ["a", "b"]
    snapped = neighbour_graph(wards)
    assert snapped.islands == [] and snapped.cardinalities.tolist() == [1, 1]
    assert neighbour_graph(wards, "rook").cardinalities.tolist() == [1, 1]


def test_graph_projects_geographic_input_to_metres():
    lattice = _lattice(size=1000.0)
    geographic = lattice.to_crs(4326)
    graph = neighbour_graph(geographic, "queen")
    assert graph.metric_crs is not None and "326" in graph.metric_crs
    assert graph.cardinalities.tolist() == neighbour_graph(lattice, "queen").cardinalities.tolist()
    # distance band in metres after projection: centroids of rook neighbours are 1000 m apart, diagonals 1414 m
    assert neighbour_graph(geographic, "distance:1100").cardinalities.tolist() == [2, 3, 2, 3, 4, 3, 2, 3, 2]


def test_knn_and_distance_graphs():
    lattice = _lattice(4, 4)
    knn = neighbour_graph(lattice, "knn:3")
    assert (knn.cardinalities == 3).all() and knn.method == "knn:3" and knn.snap_tolerance == 0.0
    assert all(ward not in knn.neighbours_of(ward) for ward in knn.ward_ids)
    band = neighbour_graph(lattice, "distance:150")  # centre distances 100 (rook) and 141 (diagonal)
    assert band.cardinalities.tolist() == neighbour_graph(lattice, "queen", snap_tolerance=0).cardinalities.tolist()
    assert band.describe()["symmetric"] is True
    assert neighbour_graph(lattice, "distance:50").islands == list(lattice["ward_id"])


@pytest.mark.parametrize("method", ["queens", "knn", "knn:0", "knn:2.5", "distance:-3", "distance:far", ""])
def test_bad_method_string_lists_valid_options(method):
    with pytest.raises(DataError, match="queen|knn:|distance:"):
        neighbour_graph(_lattice(), method)


def test_bad_method_message_names_every_option():
    with pytest.raises(DataError) as info:
        neighbour_graph(_lattice(), "contiguity")
    message = str(info.value)
    for option in ("'queen'", "'rook'", "'knn:K'", "'distance:METRES'"):
        assert option in message


def test_graph_input_errors():
    lattice = _lattice()
    with pytest.raises(DataError, match="not found"):
        neighbour_graph(lattice, id_column="code")
    duplicated = lattice.assign(ward_id=["a"] * 9)
    with pytest.raises(DataError, match="duplicated"):
        neighbour_graph(duplicated)
    missing = lattice.copy()
    missing.loc[2, "ward_id"] = None
    with pytest.raises(DataError, match="rows \\[2\\]"):
        neighbour_graph(missing)
    with pytest.raises(DataError, match="snap_tolerance"):
        neighbour_graph(lattice, snap_tolerance=-1)
    with pytest.raises(DataError, match="knn:9"):
        neighbour_graph(lattice, "knn:9")
    assert isinstance(DataError("x"), ValueError)


def test_invalid_bow_tie_ward_does_not_break_the_graph():
    bow_tie = shapely.Polygon([(100, 0), (200, 100), (200, 0), (100, 100)])  # self-intersecting, as in real uploads
    wards = gpd.GeoDataFrame(
        {"ward_id": ["a", "b", "c"]}, geometry=[box(0, 0, 100, 100), bow_tie, box(200, 0, 300, 100)], crs=METRIC_CRS
    )
    for method in ("queen", "rook"):
        assert neighbour_graph(wards, method).cardinalities.tolist() == [1, 2, 1]


def test_islands_are_listed_by_id():
    # a Maldives-like layer: a 3x3 block and one atoll 50 km away
    lattice = _lattice()
    atoll = gpd.GeoDataFrame({"ward_id": ["atoll"]}, geometry=[box(50_000, 0, 50_100, 100)], crs=METRIC_CRS)
    wards = pd.concat([lattice, atoll], ignore_index=True)
    graph = neighbour_graph(wards)
    assert graph.islands == ["atoll"]
    assert graph.describe()["n_islands"] == 1
    values = pd.Series(np.arange(1.0, 11.0), index=wards["ward_id"])
    result = hotspot_statistics(values, graph, permutations=99, seed=1)
    assert list(result.frame.index) == sorted(wards["ward_id"])  # keyed by ward ID, in ward-ID order
    row = result.frame.loc["atoll"]
    assert np.isnan(row["gi_star_z"]) and np.isnan(row["gi_star_p"]) and np.isnan(row["lisa_i"])
    assert row["hotspot_class"] == "not tested" and row["lisa_cluster"] == "not tested"
    assert row["neighbour_count"] == 0
    assert result.metadata["islands"] == ["atoll"]
    # the other wards are unaffected by NaN: finite statistics everywhere else
    assert (
        result.frame.set_index("ward_id")
        .drop(index="atoll")[["gi_star_z", "gi_star_p", "lisa_i", "lisa_p"]]
        .notna()
        .all()
        .all()
    )


# ---------------------------------------------------------------------------------------------------------------
# real boundaries
# ---------------------------------------------------------------------------------------------------------------


def test_delhi_tolerance_recovers_neighbours_libpysal_misses(delhi):
    w = libpysal.weights.Queen.from_dataframe(delhi, use_index=False, silence_warnings=True)
    exact = _libpysal_pairs(w, delhi["ward_id"].astype(str).to_numpy())
    snapped = _pairs(neighbour_graph(delhi))
    assert exact <= snapped  # nothing libpysal finds is lost
    gained = snapped - exact
    # measured 2026-11: libpysal 743 pairs; ours 800 at 0 m (overlaps and T-junctions with no shared vertex),
    # 823 at the default 5 m
    assert len(gained) // 2 >= 60
    zero = _pairs(neighbour_graph(delhi, snap_tolerance=0))
    assert len(snapped) > len(zero) >= len(exact)


def test_pune_admin_wards_are_not_all_islands():
    wards = gpd.read_file(_boundary("pune/pune-admin-wards_2017.geojson"))
    wards["ward_id"] = wards["name"]
    w = libpysal.weights.Queen.from_dataframe(wards, use_index=False, silence_warnings=True)
    assert len(w.islands) == len(wards)  # the ~900 sliver gaps leave libpysal with 15 islands, no neighbours
    graph = neighbour_graph(wards)
    assert graph.islands == [] and graph.n_links > 0


def test_statistics_equal_esda_on_real_boundaries(delhi):
    graph = neighbour_graph(delhi)
    values = np.random.default_rng(20260501).gamma(2.0, 2.0, graph.n)
    result = hotspot_statistics(_keyed(values, graph), graph, permutations=0)
    gi = esda.G_Local(values, graph.to_libpysal(), star=True, transform="B", permutations=0)
    np.testing.assert_allclose(result.frame["gi_star_z"], gi.Zs, rtol=0, atol=1e-9)
    lisa = esda.Moran_Local(values, graph.to_libpysal(), transformation="r", permutations=0)
    np.testing.assert_allclose(result.frame["lisa_i"], lisa.Is, rtol=0, atol=1e-9)
    assert (result.frame["lisa_q"].to_numpy(dtype=int) == lisa.q).all()


# ---------------------------------------------------------------------------------------------------------------
# Gi* and local Moran against esda and by hand
# ---------------------------------------------------------------------------------------------------------------


def test_gi_star_z_equals_esda_on_columbus(crime, columbus_graph):
    result = hotspot_statistics(crime, columbus_graph, permutations=0)
    y = _in_graph_order(crime, columbus_graph)
    gi = esda.G_Local(y, columbus_graph.to_libpysal(), star=True, transform="B", permutations=0)
    np.testing.assert_allclose(result.frame["gi_star_z"], gi.Zs, rtol=0, atol=1e-9)
    # esda 2.9.0 G_Local(CRIME, queen, star=True, transform="B").Zs[:5] on libpysal's Columbus (POLYID 1..5)
    np.testing.assert_allclose(
        result.frame["gi_star_z"].loc[["1", "2", "3", "4", "5"]],
        [-1.43277965, -1.3400081, -0.77199868, -0.13173336, 1.2853628],
        atol=1e-8,
    )


def test_local_moran_equals_esda_on_columbus(crime, columbus_graph):
    result = hotspot_statistics(crime, columbus_graph, permutations=0)
    y = _in_graph_order(crime, columbus_graph)
    lisa = esda.Moran_Local(y, columbus_graph.to_libpysal(), transformation="r", permutations=0)
    np.testing.assert_allclose(result.frame["lisa_i"], lisa.Is, rtol=0, atol=1e-9)
    assert (result.frame["lisa_q"].to_numpy(dtype=int) == lisa.q).all()
    # esda 2.9.0 Moran_Local(CRIME, queen, transformation="r").Is[:5] on libpysal's Columbus (POLYID 1..5)
    np.testing.assert_allclose(
        result.frame["lisa_i"].loc[["1", "2", "3", "4", "5"]],
        [0.72178138, 0.51798565, 0.09193542, 0.00472258, 0.29741008],
        atol=1e-8,
    )


ESDA_WITHOUT_NUMBA = """
import json, sys, warnings
sys.modules["numba"] = None  # esda falls back to numpy: no 20-90 s of numba compilation inside the test run
warnings.simplefilter("ignore")
import numpy as np, esda, libpysal
data = json.load(sys.stdin)
def w():
    return libpysal.weights.W(data["neighbours"], id_order=data["ids"], silence_warnings=True)
y, x, seed = np.array(data["y"]), np.array(data["x"]), data["seed"]
gi = esda.G_Local(y, w(), star=True, transform="B", permutations=999, seed=seed, n_jobs=1)
lisa = esda.Moran_Local(y, w(), permutations=999, seed=seed, n_jobs=1)
bv = esda.Moran_Local_BV(x, y, w(), permutations=999, seed=seed, n_jobs=1)
print(json.dumps({"gi": gi.p_sim.tolist(), "lisa": lisa.p_sim.tolist(), "bv": bv.p_sim.tolist()}))
"""


@pytest.fixture(scope="module")
def esda_columbus_p_values(columbus, columbus_graph):
    """esda's p_sim for Columbus CRIME (and INC x CRIME), 999 permutations, seed 7, run in a numba-free process."""
    w = columbus_graph.to_libpysal()
    by_id = columbus.set_index(columbus["POLYID"].astype(str)).reindex(columbus_graph.ward_ids.astype(str))
    payload = {
        "ids": list(w.id_order),
        "neighbours": {k: list(v) for k, v in w.neighbors.items()},
        "y": by_id["CRIME"].tolist(),
        "x": by_id["INC"].tolist(),
        "seed": 7,
    }
    proc = subprocess.run(
        [sys.executable, "-c", ESDA_WITHOUT_NUMBA],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {k: np.array(v) for k, v in json.loads(proc.stdout).items()}


def _assert_same_p_distribution(ours: np.ndarray, esda_p_sim: np.ndarray, permutations: int = 999) -> None:
    # esda's p_sim is one-sided ("half of the two-sided p-value", its documentation): on continuous data without
    # ties our two-sided p estimates min(1, 2 p_sim). Two independent Monte Carlo estimates of the same one-sided
    # p differ with sd sqrt(2 p (1 - p) / permutations), doubled here.
    theirs = np.minimum(1.0, 2.0 * esda_p_sim)
    half = np.minimum(ours, theirs) / 2
    standard_error = 2 * np.sqrt(2 * half * (1 - half) / permutations)
    assert np.mean(np.abs(ours - theirs)) < 2 * standard_error.mean() + 0.003
    assert np.all(np.abs(ours - theirs) <= 5 * standard_error + 0.006)
    # two-sided p-values lie in [2 / (P + 1), 1]
    assert ours.min() >= 2 / (permutations + 1) - 1e-12 and ours.max() <= 1.0


def test_pseudo_p_values_are_twice_esdas_one_sided_p_sim(crime, columbus_graph, esda_columbus_p_values):
    frame = hotspot_statistics(crime, columbus_graph, permutations=999, seed=7).frame
    _assert_same_p_distribution(frame["gi_star_p"].to_numpy(), esda_columbus_p_values["gi"])
    _assert_same_p_distribution(frame["lisa_p"].to_numpy(), esda_columbus_p_values["lisa"])


def test_gi_star_and_moran_by_hand_on_3x3_rook_lattice():
    # rook 3x3 lattice, one value of 9 in the centre, 0 elsewhere: n = 9, mean = 1, population variance
    # s^2 = 81/9 - 1 = 8. Gi* (ward included, c = neighbours + 1):
    #   centre:      c = 5, G = 9/9 = 1, E = 5/9, V = 5*4/8/81 * 8/1 = 20/81  -> z = (4/9) / (sqrt(20)/9) = 2/sqrt(5)
    #   edge middle: c = 4, G = 9/9 = 1, E = 4/9, V = 4*5/8/81 * 8   = 20/81  -> z = (5/9) / (sqrt(20)/9) = sqrt(5)/2
    #   corner:      c = 3, G = 0,       E = 3/9, V = 3*6/8/81 * 8   = 18/81  -> z = -(3/9) / (sqrt(18)/9) = -1/sqrt(2)
    # Local Moran: z = (y - 1)/sqrt(8): centre sqrt(8), others -1/sqrt(8); sum z^2 = 9.
    #   centre: lag = -1/sqrt(8) -> I = (n - 1) z lag / sum z^2 = 8 * sqrt(8) * (-1/sqrt(8)) / 9 = -8/9
    #   corner: lag = -1/sqrt(8) -> I = 8 * (1/8) / 9 = 1/9
    graph = neighbour_graph(_lattice(), "rook")
    values = np.array([0, 0, 0, 0, 9, 0, 0, 0, 0], dtype=float)  # r0c0 .. r2c2, which is also the ward-ID order
    frame = hotspot_statistics(_keyed(values, graph), graph, permutations=0).frame
    corner, edge, centre = -1 / np.sqrt(2), np.sqrt(5) / 2, 2 / np.sqrt(5)
    np.testing.assert_allclose(
        frame["gi_star_z"], [corner, edge, corner, edge, centre, edge, corner, edge, corner], atol=1e-12
    )
    assert frame.loc["r1c1", "lisa_i"] == pytest.approx(-8 / 9)
    assert frame.loc["r0c0", "lisa_i"] == pytest.approx(1 / 9)
    assert frame.loc["r1c1", "lisa_q"] == 4  # high value, low neighbours: high-low
    assert frame.loc["r0c0", "lisa_q"] == 3  # low-low
    np.testing.assert_allclose(local_gi_star_z(values, graph), frame["gi_star_z"], atol=0)


@settings(max_examples=10, deadline=None)
@given(st.floats(min_value=0.01, max_value=1000.0))
def test_gi_star_z_and_moran_do_not_depend_on_the_unit(scale):
    graph = neighbour_graph(_lattice(4, 4), "queen", snap_tolerance=0)
    values = _keyed(np.random.default_rng(3).gamma(2.0, 2.0, graph.n), graph)
    base = hotspot_statistics(values, graph, permutations=0).frame
    scaled = hotspot_statistics(values * scale, graph, permutations=0).frame
    np.testing.assert_allclose(scaled["gi_star_z"], base["gi_star_z"], atol=1e-9)
    np.testing.assert_allclose(scaled["lisa_i"], base["lisa_i"], atol=1e-9)


# ---------------------------------------------------------------------------------------------------------------
# p-values, seeds, classes, no data
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_others,k,permutations", [(143, 8, 999), (99_999, 12, 999), (99_999, 400, 50)])
def test_permutation_draws_are_distinct_and_uniform(n_others, k, permutations):
    from hotspots.spatial.permutation import _draw_permutation_ids

    ids = _draw_permutation_ids(n_others, k, permutations, seed=1)
    assert ids.shape == (permutations, k) and ids.min() >= 0 and ids.max() < n_others
    assert all(len(np.unique(row)) == k for row in ids)
    # every position of a row is uniform over the other wards: the first column's mean is (n_others - 1) / 2
    first = ids[:, 0]
    assert abs(first.mean() - (n_others - 1) / 2) < 5 * n_others / np.sqrt(12 * permutations)


def test_seed_reproduces_and_engines_agree(crime, columbus_graph):
    first = hotspot_statistics(crime, columbus_graph, permutations=199, seed=11).frame
    again = hotspot_statistics(crime, columbus_graph, permutations=199, seed=11).frame
    other = hotspot_statistics(crime, columbus_graph, permutations=199, seed=12).frame
    pd.testing.assert_frame_equal(first, again)
    assert not np.array_equal(first["gi_star_p"], other["gi_star_p"])
    # the numba kernel and the numpy path use the same draws: identical p-values
    compiled = hotspot_statistics(crime, columbus_graph, permutations=199, seed=11, _engine="numba").frame
    pd.testing.assert_frame_equal(first, compiled)


def test_classes_and_metadata(crime, columbus_graph):
    result = hotspot_statistics(crime, columbus_graph, seed=1)  # permutations "auto"
    frame = result.frame
    assert list(frame.columns[:4]) == ["ward_id", "gi_star_z", "gi_star_p", "gi_star_p_adj"]
    assert (frame["ward_id"] == columbus_graph.ward_ids).all()
    assert set(frame["hotspot_class"]) <= set(HOTSPOT_CLASSES)
    assert set(frame["lisa_cluster"]) <= set(LISA_CLUSTERS)
    hot = frame["hotspot_class"].str.startswith("hot")
    cold = frame["hotspot_class"].str.startswith("cold")
    assert (frame.loc[hot, "gi_star_z"] > 0).all() and (frame.loc[cold, "gi_star_z"] < 0).all()
    assert (frame.loc[frame["hotspot_class"].str.endswith("99%"), "gi_star_p_adj"] <= 0.01).all()
    assert (frame.loc[frame["hotspot_class"].str.endswith("95%"), "gi_star_p_adj"] <= 0.05).all()
    assert hot.any() and cold.any()
    # a cluster is the esda quadrant of a significant ward
    labelled = frame["lisa_cluster"] != "not significant"
    names = {1: "high-high", 2: "low-high", 3: "low-low", 4: "high-low"}
    assert (frame.loc[labelled, "lisa_p_adj"] <= 0.05).all()
    assert (frame.loc[labelled, "lisa_cluster"] == frame.loc[labelled, "lisa_q"].map(names)).all()
    metadata = result.metadata
    json.dumps(metadata)
    assert metadata["permutations"]["requested"] == "auto" and metadata["seed"] == 1
    assert metadata["permutations"]["refined"] > 999  # wards limited by 999 permutations were re-tested
    assert metadata["correction"] == "fdr" and "two-sided" in metadata["classification"]["p_value"]
    assert metadata["graph"]["snap_tolerance_m"] == 0.0
    assert sum(metadata["counts"]["hotspot_class"].values()) == len(frame)
    assert frame["neighbour_count"].tolist() == columbus_graph.cardinalities.tolist()


@pytest.mark.parametrize("correction", ["none", "bonferroni", "fdr"])
def test_corrections_in_classification(crime, columbus_graph, correction):
    frame = hotspot_statistics(crime, columbus_graph, permutations=199, seed=1, correction=correction).frame
    np.testing.assert_allclose(frame["gi_star_p_adj"], adjust_pvalues(frame["gi_star_p"], correction))
    labelled = frame["hotspot_class"] != "not significant"
    assert (frame.loc[labelled, "gi_star_p_adj"] <= 0.10).all()


def test_correction_is_stricter_in_order(crime, columbus_graph):
    counts = {
        c: (
            hotspot_statistics(crime, columbus_graph, 199, seed=1, correction=c).frame["hotspot_class"]
            != "not significant"
        ).sum()
        for c in ("none", "fdr", "bonferroni")
    }
    assert counts["none"] >= counts["fdr"] >= counts["bonferroni"]


def test_no_data_wards_use_the_subgraph(columbus, crime, columbus_graph):
    gaps = crime.copy()
    gaps.loc[["4", "21"]] = np.nan
    result = hotspot_statistics(gaps, columbus_graph, permutations=99, seed=1)
    frame = result.frame
    assert (frame.loc[["4", "21"], "hotspot_class"] == "no data").all()
    assert (frame.loc[["4", "21"], "lisa_cluster"] == "no data").all()
    assert frame.loc[["4", "21"], ["gi_star_z", "gi_star_p", "lisa_i", "lisa_p"]].isna().all().all()
    assert frame.loc[["4", "21"], "lisa_q"].isna().all()
    assert sorted(result.metadata["no_data"]) == ["21", "4"]
    # statistics equal those of the layer with the two wards removed
    kept = columbus[~columbus["POLYID"].astype(str).isin(["4", "21"])]
    sub_graph = neighbour_graph(kept, id_column="POLYID", snap_tolerance=0)
    expected = hotspot_statistics(crime.drop(index=["4", "21"]), sub_graph, permutations=0).frame
    np.testing.assert_allclose(frame["gi_star_z"].drop(index=["4", "21"]), expected["gi_star_z"], atol=1e-12)
    np.testing.assert_allclose(frame["lisa_i"].drop(index=["4", "21"]), expected["lisa_i"], atol=1e-12)
    assert frame.loc[["4", "21"], "neighbour_count"].tolist() == [0, 0]


def test_wards_isolated_by_no_data_are_reported():
    graph = neighbour_graph(_lattice(), "rook")
    values = _keyed([5, np.nan, 1, np.nan, 2, 3, 4, 6, 7], graph)  # r0c0's two rook neighbours have no data
    result = hotspot_statistics(values, graph, permutations=99, seed=1)
    assert result.metadata["isolated_by_no_data"] == ["r0c0"]
    assert result.frame.loc["r0c0", "hotspot_class"] == "not tested"
    assert np.isnan(result.frame.loc["r0c0", "gi_star_z"])


def test_values_are_keyed_by_ward_id(crime, columbus_graph):
    frame = hotspot_statistics(crime, columbus_graph, permutations=0).frame
    assert list(frame.index) == list(columbus_graph.ward_ids)
    as_dict = hotspot_statistics(crime.to_dict(), columbus_graph, permutations=0).frame
    pd.testing.assert_frame_equal(frame, as_dict)


def test_value_errors(crime, columbus_graph):
    with pytest.raises(DataError, match="keyed by ward ID"):
        hotspot_statistics(np.arange(49.0), columbus_graph)
    with pytest.raises(DataError, match="not in the neighbour graph"):
        hotspot_statistics(crime.rename(index={"1": "one"}), columbus_graph)
    with pytest.raises(DataError, match="without an entry"):
        hotspot_statistics(crime.drop(index="7"), columbus_graph)
    with pytest.raises(DataError, match="correction"):
        hotspot_statistics(crime, columbus_graph, correction="holm")
    with pytest.raises(DataError, match="statistics"):
        hotspot_statistics(crime, columbus_graph, statistics=("geary",))
    with pytest.raises(DataError, match="permutations"):
        hotspot_statistics(crime, columbus_graph, permutations=-5)
    text = crime.astype(object)
    text.iloc[3] = "high"
    with pytest.raises(DataError, match="not numbers"):
        hotspot_statistics(text, columbus_graph)


# ---------------------------------------------------------------------------------------------------------------
# multiple testing
# ---------------------------------------------------------------------------------------------------------------


def test_adjust_pvalues_by_hand():
    p = np.array([0.01, 0.04, 0.03, 0.20])
    # BH: sorted 0.01, 0.03, 0.04, 0.20 -> p * m / rank = 0.04, 0.06, 0.0533, 0.20 -> running minimum from the top
    #     0.04, 0.0533, 0.0533, 0.20 -> back in input order:
    np.testing.assert_allclose(adjust_pvalues(p, "fdr"), [0.04, 0.16 / 3, 0.16 / 3, 0.20])
    np.testing.assert_allclose(adjust_pvalues(p, "bonferroni"), [0.04, 0.16, 0.12, 0.80])
    np.testing.assert_allclose(adjust_pvalues(p, "none"), p)
    np.testing.assert_allclose(adjust_pvalues(p, "fdr"), stats.false_discovery_control(p, method="bh"))
    # NaN (islands, no data) are not tests
    with_nan = adjust_pvalues([0.01, np.nan, 0.04, 0.03, 0.20], "fdr")
    assert np.isnan(with_nan[1])
    np.testing.assert_allclose(np.delete(with_nan, 1), [0.04, 0.16 / 3, 0.16 / 3, 0.20])
    with pytest.raises(DataError, match="bonferroni"):
        adjust_pvalues(p, "holm")


def test_fdr_classification_matches_esda_fdr_threshold():
    # esda.fdr(p, alpha) returns the Benjamini-Hochberg threshold; GeoDa / esda users classify p < threshold.
    # Without ties at the threshold this is the same set as our adjusted p <= alpha.
    rng = np.random.default_rng(5)
    p = np.concatenate([rng.uniform(0, 0.004, 20), rng.uniform(0, 1, 300)])
    adjusted = adjust_pvalues(p, "fdr")
    for alpha in (0.01, 0.05, 0.10):
        threshold = esda.fdr(p, alpha)
        assert ((adjusted <= alpha) == (p < threshold)).all()


# ---------------------------------------------------------------------------------------------------------------
# global Moran, bivariate local Moran, correlation between dimensions
# ---------------------------------------------------------------------------------------------------------------


def test_global_moran_columbus_crime(crime, columbus_graph):
    # Anselin (1988) / GeoDa workbook: Moran's I of CRIME in Columbus with queen contiguity, row-standardised,
    # is 0.500 (esda 2.9.0 Moran(CRIME, queen).I = 0.5001885571828611)
    result = global_moran(crime, columbus_graph, permutations=999, seed=1)
    assert round(result.I, 3) == 0.500
    y = _in_graph_order(crime, columbus_graph)
    reference = esda.Moran(y, columbus_graph.to_libpysal(), permutations=0)
    assert result.I == pytest.approx(reference.I, abs=1e-12)
    assert result.EI == pytest.approx(reference.EI) and result.z == pytest.approx(reference.z_rand, abs=1e-9)
    assert result.p_sim == pytest.approx(0.002)  # no permutation of 999 reaches 0.5: two-sided 2 x 1/1000
    json.dumps(result.to_dict())


def test_bivariate_local_moran_equals_esda(columbus, crime, columbus_graph, esda_columbus_p_values):
    income = pd.Series(columbus["INC"].to_numpy(), index=columbus["POLYID"].astype(str))
    result = bivariate_local_moran(income, crime, columbus_graph, permutations=999, seed=3)
    reference = esda.Moran_Local_BV(
        _in_graph_order(income, columbus_graph),
        _in_graph_order(crime, columbus_graph),
        columbus_graph.to_libpysal(),
        permutations=0,
    )
    np.testing.assert_allclose(result.Is, reference.Is, rtol=0, atol=1e-9)
    assert (result.q == reference.q).all()
    _assert_same_p_distribution(result.p_sim, esda_columbus_p_values["bv"])
    assert set(result.frame["bv_cluster"]) <= set(LISA_CLUSTERS)


def test_dimension_correlation():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"social": rng.normal(size=50), "economic": rng.normal(size=50)})
    frame["security"] = frame["social"] * 2 + rng.normal(scale=0.1, size=50)
    frame.loc[3, "economic"] = np.nan
    result = dimension_correlation(frame, ["social", "economic", "security"])
    assert result.pearson.loc["social", "security"] == pytest.approx(
        stats.pearsonr(frame["social"], frame["security"])[0]
    )
    ok = frame["economic"].notna()
    assert result.spearman.loc["social", "economic"] == pytest.approx(
        stats.spearmanr(frame.loc[ok, "social"], frame.loc[ok, "economic"])[0]
    )
    assert result.n.loc["social", "economic"] == 49 and result.n.loc["social", "social"] == 50
    json.dumps(result.to_dict())
    with pytest.raises(DataError, match="not found"):
        dimension_correlation(frame, ["social", "cultural"])
