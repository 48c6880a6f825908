"""Neighbour graph, Getis-Ord Gi*, local Moran's I and multiple-testing correction.

The spatial step of the pipeline (load -> validate -> score -> **spatial statistics** -> classify -> export).
A :class:`NeighbourGraph` is built once from the ward polygons with :func:`neighbour_graph` and passed to every
statistic; no statistic ever rebuilds it (the esda convention).

The statistics reproduce esda 2.9 exactly where esda defines them:

* Gi* z-scores equal ``esda.G_Local(y, w, star=True, transform="B").Zs`` (binary weights, the ward itself
  included in its own neighbourhood sum, analytic moments of Getis & Ord 1992 / Ord & Getis 1995).
* Local Moran's I equals ``esda.Moran_Local(y, w, transformation="r").Is`` with the same quadrants ``q``
  (1 high-high, 2 low-high, 3 low-low, 4 high-low).
* Pseudo p-values come from conditional permutation (Anselin 1995): the value of the ward is held fixed and its
  neighbours' values are drawn at random, without replacement, from the other wards. One matrix of random draws is
  shared by all wards, as esda does, and the p-value is "folded" like esda's ``p_sim``:
  ``(min(larger, permutations - larger) + 1) / (permutations + 1)``.

Both statistics are monotone in the *sum of the neighbours' values* of a ward (its value being fixed), so one pass
over the shared permutations gives both p-values. The pass runs in numba (``parallel=True``) for large inputs and in
vectorised numpy for small ones, so that a small city does not pay numba's import and cache-load time; both paths use
the same random draws and give the same p-values.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hotspots.errors import DataError

__all__ = [
    "DEFAULT_SNAP_M",
    "DEFAULT_PERMUTATIONS",
    "HOTSPOT_CLASSES",
    "LISA_CLUSTERS",
    "CORRECTIONS",
    "NeighbourGraph",
    "neighbour_graph",
    "HotspotResult",
    "hotspot_statistics",
    "GlobalMoranResult",
    "global_moran",
    "BivariateLocalMoranResult",
    "bivariate_local_moran",
    "DimensionCorrelation",
    "dimension_correlation",
    "adjust_pvalues",
    "local_gi_star_z",
    "local_moran_i",
]

#: Default snapping tolerance in metres. Ward layers digitised separately (or simplified) leave sliver gaps and
#: small overlaps between wards that touch on the ground. In the Delhi ward layer (datameet) the pairs of wards that
#: libpysal's exact Queen misses are separated by 0.04-6.4 m along hundreds of metres of common boundary (measured:
#: 2 pairs 8-10 m and 2 pairs 16-17 m apart touch only over some 30 m, corner-like). Five metres closes most of
#: those gaps (about the positional accuracy of a 1:10,000 municipal map, 0.5 mm at scale) while staying far below
#: the width of a real ward (hundreds of metres), so wards that are genuinely apart are not joined. Raise it for
#: coarser layers; use 0 for exact contiguity. A side effect: wards whose corners come within the tolerance become
#: queen neighbours (rook needs more than 3 x tolerance of boundary in common).
DEFAULT_SNAP_M = 5.0
DEFAULT_PERMUTATIONS = 999

HOTSPOT_CLASSES = (
    "hot spot 99%",
    "hot spot 95%",
    "hot spot 90%",
    "not significant",
    "cold spot 90%",
    "cold spot 95%",
    "cold spot 99%",
    "no data",
)
LISA_CLUSTERS = ("high-high", "low-low", "high-low", "low-high", "not significant", "no data")
_QUADRANT_CLUSTER = {1: "high-high", 2: "low-high", 3: "low-low", 4: "high-low"}
#: Confidence levels of the hot/cold spot classes and the (corrected) p-value each requires (ArcGIS convention).
_CONFIDENCE = ((0.01, "99%"), (0.05, "95%"), (0.10, "90%"))

_METHODS_HELP = "'queen', 'rook', 'knn:K' (e.g. 'knn:6') or 'distance:METRES' (e.g. 'distance:1500')"

# Above this many neighbour-value draws (permutations x sum of cardinalities) the numba kernel is worth its import
# and cache-load time (about 0.5 s in a fresh process); below it the vectorised numpy path is faster end to end.
_NUMBA_THRESHOLD = 30_000_000


# --------------------------------------------------------------------------------------------------------------
# Neighbour graph
# --------------------------------------------------------------------------------------------------------------


@dataclass
class NeighbourGraph:
    """Binary neighbour graph of the wards, in compressed sparse row (CSR) form.

    Row ``i`` lists the neighbours of ward ``ward_ids[i]`` in ``indices[indptr[i]:indptr[i + 1]]``. The graph is
    binary and has no self-loops; contiguity graphs are symmetric, k-nearest-neighbour graphs in general are not.

    Attributes
    ----------
    ward_ids : numpy.ndarray
        Ward ids as strings, in the order of the input rows.
    indptr, indices : numpy.ndarray
        CSR structure (int64).
    method : str
        ``"queen"``, ``"rook"``, ``"knn:K"`` or ``"distance:METRES"``.
    snap_tolerance : float
        Snapping tolerance in metres used for contiguity (0 for knn and distance graphs).
    islands : list of str
        Ids of wards with no neighbour.
    metric_crs : str or None
        The metric CRS the geometry was projected to (``None`` when the input had no CRS).
    """

    ward_ids: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    method: str
    snap_tolerance: float
    islands: list[str]
    metric_crs: str | None = None
    symmetric: bool | None = None

    @property
    def n(self) -> int:
        """Number of wards."""
        return len(self.ward_ids)

    @property
    def cardinalities(self) -> np.ndarray:
        """Number of neighbours of each ward (int64, input order)."""
        return np.diff(self.indptr)

    @property
    def n_links(self) -> int:
        """Number of directed links (twice the number of neighbour pairs for a symmetric graph)."""
        return int(self.indptr[-1])

    def sparse(self):
        """The binary adjacency matrix as a ``scipy.sparse.csr_array``."""
        from scipy import sparse

        data = np.ones(len(self.indices), dtype=np.float64)
        return sparse.csr_array((data, self.indices, self.indptr), shape=(self.n, self.n))

    def neighbours_of(self, ward_id: str) -> list[str]:
        """Ids of the neighbours of one ward."""
        position = np.flatnonzero(self.ward_ids == str(ward_id))
        if len(position) == 0:
            raise DataError(f"Ward '{ward_id}' is not in the neighbour graph.")
        i = int(position[0])
        return [str(w) for w in self.ward_ids[self.indices[self.indptr[i] : self.indptr[i + 1]]]]

    def to_libpysal(self):
        """The graph as a binary ``libpysal.weights.W`` keyed by ward id (for tests and interoperability).

        Returns
        -------
        libpysal.weights.W
            Binary weights whose ``id_order`` is the input row order, so that ``esda`` results line up with ours.
        """
        from libpysal.weights import W

        ids = [str(w) for w in self.ward_ids]
        neighbours = {
            ids[i]: [ids[j] for j in self.indices[self.indptr[i] : self.indptr[i + 1]]] for i in range(self.n)
        }
        weights = {key: [1.0] * len(value) for key, value in neighbours.items()}
        return W(neighbours, weights, id_order=ids, silence_warnings=True)

    def describe(self) -> dict[str, Any]:
        """A JSON-safe description, for the provenance written into exports."""
        card = self.cardinalities
        if self.symmetric is None:
            self.symmetric = _is_symmetric(self.indptr, self.indices, self.n)
        symmetric = self.symmetric
        return {
            "method": self.method,
            "snap_tolerance_m": float(self.snap_tolerance),
            "metric_crs": self.metric_crs,
            "n_wards": int(self.n),
            "n_links": int(self.n_links),
            "symmetric": bool(symmetric),
            "mean_neighbours": float(card.mean()) if self.n else 0.0,
            "min_neighbours": int(card.min()) if self.n else 0,
            "max_neighbours": int(card.max()) if self.n else 0,
            "n_islands": len(self.islands),
            "islands": [str(i) for i in self.islands],
        }


def _is_symmetric(indptr: np.ndarray, indices: np.ndarray, n: int) -> bool:
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    forward = rows * n + indices
    backward = indices * n + rows
    return bool(np.array_equal(np.sort(forward), np.sort(backward)))


def _parse_method(method: str) -> tuple[str, float | int | None]:
    if not isinstance(method, str):
        raise DataError(f"Neighbour method must be a string: {_METHODS_HELP}; got {method!r}.")
    text = method.strip().lower()
    if text in ("queen", "rook"):
        return text, None
    kind, _, param = text.partition(":")
    if kind == "knn":
        try:
            k = int(param)
        except ValueError:
            k = 0
        if k < 1 or str(k) != param.strip():
            raise DataError(f"Neighbour method {method!r}: K must be a whole number >= 1, e.g. 'knn:6'.")
        return "knn", k
    if kind == "distance":
        try:
            band = float(param)
        except ValueError:
            band = float("nan")
        if not (math.isfinite(band) and band > 0):
            raise DataError(
                f"Neighbour method {method!r}: the distance band must be a positive number of metres, "
                "e.g. 'distance:1500'."
            )
        return "distance", band
    raise DataError(f"Unknown neighbour method {method!r}. Use one of {_METHODS_HELP}.")


def _metric_geometry(wards) -> tuple[np.ndarray, str | None]:
    """Geometry in a metric CRS: geographic layers go to their UTM zone, metre-based projections stay."""
    crs = wards.crs
    if crs is None:
        warnings.warn(
            "The wards have no CRS; coordinates are used as they are and the snapping tolerance and distances are "
            "taken in the layer's own units. Set the CRS with wards.set_crs(...) (e.g. 4326 for longitude/latitude).",
            UserWarning,
            stacklevel=3,
        )
        return np.asarray(wards.geometry.values), None
    in_metres = crs.is_projected and all(
        (axis.unit_name or "").lower() in ("metre", "meter", "m") for axis in crs.axis_info[:2]
    )
    if in_metres:
        return np.asarray(wards.geometry.values), crs.to_string()
    utm = wards.estimate_utm_crs()
    return np.asarray(wards.geometry.to_crs(utm).values), utm.to_string()


def _contiguity_pairs(geoms: np.ndarray, tolerance: float, rook: bool) -> tuple[np.ndarray, np.ndarray]:
    """Unordered pairs (i < j) of wards within ``tolerance`` of each other (queen), or sharing a boundary (rook)."""
    import shapely

    n = len(geoms)
    bounds = shapely.bounds(geoms)
    if tolerance > 0:
        half = tolerance / 2.0
        boxes = shapely.box(bounds[:, 0] - half, bounds[:, 1] - half, bounds[:, 2] + half, bounds[:, 3] + half)
        tree = shapely.STRtree(boxes)
        left, right = tree.query(boxes)
    else:
        tree = shapely.STRtree(geoms)
        left, right = tree.query(geoms)
    keep = left < right
    left, right = left[keep], right[keep]
    if len(left) == 0:
        return left, right
    shapely.prepare(geoms)

    def test(chunk: np.ndarray) -> np.ndarray:
        a, b = geoms[left[chunk]], geoms[right[chunk]]
        if tolerance > 0:
            return shapely.dwithin(a, b, tolerance)
        return shapely.intersects(a, b)

    chunks = np.array_split(np.arange(len(left)), max(1, min(8, len(left) // 20_000)))
    if len(chunks) > 1:  # shapely releases the GIL: use the cores
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=2) as pool:
            touching = np.concatenate(list(pool.map(test, chunks)))
    else:
        touching = test(chunks[0])
    left, right = left[touching], right[touching]
    if rook and len(left):
        shared = _shared_boundary_length(geoms, left, right, tolerance)
        # a point contact has zero shared length at tolerance 0; within a tolerance a corner contact still leaves
        # a short stretch of boundary (about 2 x tolerance), so ask for more than that
        keep = shared > (3.0 * tolerance if tolerance > 0 else 0.0)
        left, right = left[keep], right[keep]
    del n
    return left, right


def _shared_boundary_length(geoms, left, right, tolerance: float) -> np.ndarray:
    import shapely

    boundary = shapely.boundary(geoms)
    if tolerance > 0:
        zone = shapely.buffer(boundary[right], tolerance, quad_segs=2)
        return shapely.length(shapely.intersection(boundary[left], zone))
    return shapely.length(shapely.intersection(boundary[left], boundary[right]))


def _csr_from_pairs(n: int, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Binary CSR (sorted columns, duplicates and self-loops removed) from directed pairs."""
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    keep = rows != cols
    key = np.sort(rows[keep] * n + cols[keep])  # sorting beats np.unique's hash path here
    if len(key) > 1:
        key = key[np.concatenate(([True], key[1:] != key[:-1]))]
    rows, cols = key // n, key % n
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return indptr, cols.astype(np.int64)


def neighbour_graph(
    wards,
    method: str = "queen",
    id_column: str = "ward_id",
    snap_tolerance: float = DEFAULT_SNAP_M,
) -> NeighbourGraph:
    """Build the neighbour graph of the wards, once, for all the statistics.

    Parameters
    ----------
    wards : geopandas.GeoDataFrame
        Ward polygons in any CRS (typically EPSG:4326). Geographic layers are projected to their UTM zone
        (``estimate_utm_crs``) so that tolerances and distances are in metres.
    method : str, default "queen"
        ``"queen"`` (wards sharing any boundary point), ``"rook"`` (wards sharing a stretch of boundary),
        ``"knn:K"`` (the K nearest ward centroids; not symmetric in general) or ``"distance:METRES"`` (centroids
        within the band).
    id_column : str, default "ward_id"
        Column holding the ward id (unique, not missing). Ids are kept as strings.
    snap_tolerance : float, default :data:`DEFAULT_SNAP_M`
        Contiguity only: wards whose boundaries come within this many metres are neighbours, which closes the
        sliver gaps of real ward layers. Use 0 for exact contiguity (the neighbours libpysal's ``Queen`` / ``Rook``
        find on clean data).

    Returns
    -------
    NeighbourGraph

    Raises
    ------
    DataError
        Unknown method, missing or duplicated ids, missing geometry, negative tolerance.

    Examples
    --------
    >>> graph = neighbour_graph(wards, "queen")                       # doctest: +SKIP
    >>> graph.describe()["islands"]                                   # doctest: +SKIP
    []
    """
    kind, param = _parse_method(method)
    try:
        tolerance = float(snap_tolerance)
    except (TypeError, ValueError):
        tolerance = float("nan")
    if not (math.isfinite(tolerance) and tolerance >= 0):
        raise DataError(f"snap_tolerance must be a number of metres >= 0; got {snap_tolerance!r}.")
    if not hasattr(wards, "geometry"):
        raise DataError("The wards must be a GeoDataFrame with polygon geometry (read them with hotspots.io).")
    if id_column not in wards.columns:
        raise DataError(
            f"Ward id column '{id_column}' not found; columns are {list(map(str, wards.columns))}. Pass id_column=... ."
        )
    raw_ids = wards[id_column]
    missing = np.flatnonzero(raw_ids.isna().to_numpy())
    if len(missing):
        raise DataError(f"Column '{id_column}' has no ward id in rows {missing[:20].tolist()}. Fill or drop them.")
    ward_ids = raw_ids.astype(str).to_numpy(dtype=object)
    duplicated = pd.Index(ward_ids)[pd.Index(ward_ids).duplicated()].unique()
    if len(duplicated):
        raise DataError(f"Column '{id_column}' has duplicated ward ids: {list(duplicated[:20])}. Ids must be unique.")
    geometry = wards.geometry
    bad = np.flatnonzero((geometry.isna() | geometry.is_empty).to_numpy())
    if len(bad):
        raise DataError(f"Wards {[str(ward_ids[i]) for i in bad[:20]]} have no geometry. Fix or drop them.")

    import shapely

    n = len(wards)
    geoms, metric_crs = _metric_geometry(wards)
    if kind in ("queen", "rook"):
        try:
            left, right = _contiguity_pairs(geoms, tolerance, rook=kind == "rook")
        except shapely.errors.GEOSException:  # invalid polygons (self-intersections): repair once, then retry
            geoms = shapely.make_valid(geoms)
            left, right = _contiguity_pairs(geoms, tolerance, rook=kind == "rook")
        rows, cols = np.concatenate([left, right]), np.concatenate([right, left])
        used_tolerance = tolerance
        method_name = kind
    else:
        from scipy.spatial import cKDTree

        xy = shapely.get_coordinates(shapely.centroid(geoms))
        tree = cKDTree(xy)
        used_tolerance = 0.0
        if kind == "knn":
            k = int(param)
            if k >= n:
                raise DataError(f"Neighbour method 'knn:{k}' needs more than {k} wards; there are {n}.")
            _, nearest = tree.query(xy, k=k + 1)
            rows = np.repeat(np.arange(n), k + 1)
            cols = nearest.reshape(-1)
            # drop self (wherever it sorts among ties) and keep exactly k others per ward
            order = np.argsort(rows * (n + 1) + np.where(cols == rows, n, 0), kind="stable")
            rows, cols = rows[order], cols[order]
            rows, cols = rows.reshape(n, k + 1)[:, :k].reshape(-1), cols.reshape(n, k + 1)[:, :k].reshape(-1)
            method_name = f"knn:{k}"
        else:
            pairs = tree.query_pairs(float(param), output_type="ndarray")
            rows = np.concatenate([pairs[:, 0], pairs[:, 1]]) if len(pairs) else np.empty(0, np.int64)
            cols = np.concatenate([pairs[:, 1], pairs[:, 0]]) if len(pairs) else np.empty(0, np.int64)
            method_name = f"distance:{param:g}"
    indptr, indices = _csr_from_pairs(n, rows, cols)
    islands = [str(ward_ids[i]) for i in np.flatnonzero(np.diff(indptr) == 0)]
    return NeighbourGraph(
        ward_ids=ward_ids,
        indptr=indptr,
        indices=indices,
        method=method_name,
        snap_tolerance=used_tolerance,
        islands=islands,
        metric_crs=metric_crs,
        symmetric=None if kind == "knn" else True,
    )


# --------------------------------------------------------------------------------------------------------------
# Conditional permutation engine
# --------------------------------------------------------------------------------------------------------------


def _draw_permutation_ids(n_others: int, k: int, permutations: int, seed) -> np.ndarray:
    """``permutations`` rows of ``k`` distinct indices in ``[0, n_others)``, each row a random ordered sample.

    The first ``c`` entries of a row are a uniform random sample of size ``c``, so one matrix serves every
    cardinality (as esda's ``vec_permutations``). Rather than a full permutation of ``n - 1`` per row (slow at
    100,000 wards), rows are drawn with replacement and the rows with a repeat are drawn again.
    """
    rng = np.random.default_rng(seed)
    k = min(k, n_others)
    if k <= 0 or permutations <= 0:
        return np.zeros((max(permutations, 0), 0), dtype=np.int64)
    if n_others * permutations > 4_000_000 and 4 * k * k > n_others:  # many neighbours in a large layer
        return np.stack([rng.choice(n_others, size=k, replace=False, shuffle=True) for _ in range(permutations)])
    if n_others * permutations <= 4_000_000:
        keys = rng.random((permutations, n_others))
        part = (
            np.argpartition(keys, k - 1, axis=1)[:, :k]
            if k < n_others
            else np.tile(np.arange(n_others), (permutations, 1))
        )
        order = np.argsort(np.take_along_axis(keys, part, axis=1), axis=1)
        return np.take_along_axis(part, order, axis=1).astype(np.int64)
    ids = rng.integers(0, n_others, size=(permutations, k), dtype=np.int64)
    while True:
        ordered = np.sort(ids, axis=1)
        repeats = np.flatnonzero((np.diff(ordered, axis=1) == 0).any(axis=1))
        if len(repeats) == 0:
            return ids
        ids[repeats] = rng.integers(0, n_others, size=(len(repeats), k), dtype=np.int64)


def _prange(*args):  # rebound to numba.prange when the kernel is compiled
    return range(*args)


def _permutation_counts_kernel(values, indptr, ids, observed, at_least, at_most):
    """For each ward i: how many permuted neighbour sums are >= / <= the observed sum (numba or plain Python)."""
    n = values.shape[0]
    permutations = ids.shape[0]
    for i in _prange(n):
        k = indptr[i + 1] - indptr[i]
        if k == 0:
            continue
        obs = observed[i]
        ge = 0
        le = 0
        for r in range(permutations):
            s = 0.0
            for c in range(k):
                j = ids[r, c]
                if j >= i:
                    j += 1
                s += values[j]
            if s >= obs:
                ge += 1
            if s <= obs:
                le += 1
        at_least[i] = ge
        at_most[i] = le


_COMPILED_KERNEL = None


def _numba_kernel():
    """The permutation kernel compiled with numba (cached on disk), or ``None`` if numba is not installed."""
    global _COMPILED_KERNEL, _prange
    if _COMPILED_KERNEL is None:
        try:
            import numba
        except ImportError:  # pragma: no cover - numba is a declared dependency
            return None
        _prange = numba.prange
        _COMPILED_KERNEL = numba.njit(cache=True, parallel=True, nogil=True)(_permutation_counts_kernel)
    return _COMPILED_KERNEL


def _permutation_counts_numpy(values, indptr, ids, observed, at_least, at_most, chunk_elements=1 << 22):
    card = np.diff(indptr)
    permutations = ids.shape[0]
    for k in np.unique(card[card > 0]):
        wards = np.flatnonzero(card == k)
        draws = ids[:, :k][None, :, :]
        step = max(1, chunk_elements // (permutations * int(k)))
        for start in range(0, len(wards), step):
            chunk = wards[start : start + step]
            shifted = draws + (draws >= chunk[:, None, None])
            sums = values[shifted].sum(axis=2)
            obs = observed[chunk][:, None]
            at_least[chunk] = (sums >= obs).sum(axis=1)
            at_most[chunk] = (sums <= obs).sum(axis=1)


def _permutation_counts(
    values: np.ndarray, indptr: np.ndarray, indices: np.ndarray, permutations: int, seed, engine: str = "auto"
) -> tuple[np.ndarray, np.ndarray]:
    """Counts of conditional-permutation neighbour sums at least / at most the observed one, per ward."""
    n = len(values)
    card = np.diff(indptr)
    at_least = np.zeros(n, dtype=np.int64)
    at_most = np.zeros(n, dtype=np.int64)
    if n < 2 or card.max(initial=0) == 0 or permutations <= 0:
        return at_least, at_most
    ids = _draw_permutation_ids(n - 1, int(card.max()), permutations, seed)
    observed = _neighbour_sums(values, indptr, indices)
    work = permutations * int(card.sum())
    use_numba = engine == "numba" or (engine == "auto" and work > _NUMBA_THRESHOLD)
    kernel = _numba_kernel() if use_numba else None
    values = np.ascontiguousarray(values, dtype=np.float64)
    if kernel is not None:
        kernel(values, indptr.astype(np.int64), ids, observed, at_least, at_most)
    else:
        _permutation_counts_numpy(values, indptr, ids, observed, at_least, at_most)
    return at_least, at_most


def _folded_p(larger: np.ndarray, permutations: int) -> np.ndarray:
    """esda's folded pseudo p-value: ``(min(larger, P - larger) + 1) / (P + 1)``."""
    larger = np.minimum(larger, permutations - larger)
    return (larger + 1.0) / (permutations + 1.0)


# --------------------------------------------------------------------------------------------------------------
# Statistics on a (sub)graph with complete values
# --------------------------------------------------------------------------------------------------------------


def _neighbour_sums(values: np.ndarray, indptr: np.ndarray, indices: np.ndarray) -> np.ndarray:
    n = len(values)
    rows = np.repeat(np.arange(n), np.diff(indptr))
    return np.bincount(rows, weights=values[indices], minlength=n)


def local_gi_star_z(values: np.ndarray, graph_or_csr) -> np.ndarray:
    """Analytic Gi* z-scores with binary weights and the ward itself included (``esda.G_Local`` ``star=True``).

    With :math:`n` wards, :math:`\\bar y` and :math:`s^2` the mean and (population) variance of all values and
    :math:`c_i = k_i + 1` the number of wards in the neighbourhood of ward *i* including itself,

    .. math:: G^*_i = \\frac{\\sum_{j \\in N_i \\cup \\{i\\}} y_j}{\\sum_j y_j}, \\quad
              E = \\frac{c_i}{n}, \\quad
              V = \\frac{c_i (n - c_i)}{(n - 1) n^2} \\frac{s^2}{\\bar y^2}, \\quad z_i = \\frac{G^*_i - E}{\\sqrt V}.

    Islands (``k_i = 0``) get NaN. Values must be complete (no NaN); see :func:`hotspot_statistics` for gaps.
    """
    indptr, indices = _csr_of(graph_or_csr)
    y = np.asarray(values, dtype=np.float64)
    n = len(y)
    card = np.diff(indptr)
    total = y.sum()
    statistic = (_neighbour_sums(y, indptr, indices) + y) / total
    mean = total / n
    variance = (y**2).sum() / n - mean**2
    c = (card + 1).astype(np.float64)
    expected = c / n
    expected_variance = c * (n - c) / (n - 1) / n**2 * variance / mean**2
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (statistic - expected) / np.sqrt(expected_variance)
    return np.where(card > 0, z, np.nan)


def local_moran_i(values: np.ndarray, graph_or_csr) -> tuple[np.ndarray, np.ndarray]:
    """Local Moran's I with row-standardised weights and esda's quadrants.

    ``I_i = (n - 1) z_i lag_i / sum(z^2)``, with ``z`` the values standardised by their population standard
    deviation and ``lag_i`` the mean of ``z`` over the neighbours (``esda.Moran_Local(..., transformation="r")``).
    Quadrant ``q``: 1 high-high, 2 low-high, 3 low-low, 4 high-low. Islands get NaN and quadrant 0.
    """
    indptr, indices = _csr_of(graph_or_csr)
    y = np.asarray(values, dtype=np.float64)
    z = y - y.mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        z = z / y.std()
    return _moran_from_z(z, z, indptr, indices)


def _moran_from_z(zx, zy, indptr, indices):
    card = np.diff(indptr)
    n = len(zx)
    with np.errstate(divide="ignore", invalid="ignore"):
        lag = np.where(card > 0, _neighbour_sums(zy, indptr, indices) / np.maximum(card, 1), 0.0)
        local_i = (n - 1) * zx * lag / (zx * zx).sum()
    high, high_lag = zx > 0, lag > 0
    q = np.where(high & high_lag, 1, np.where(~high & high_lag, 2, np.where(~high & ~high_lag, 3, 4)))
    island = card == 0
    return np.where(island, np.nan, local_i), np.where(island, 0, q)


def _csr_of(graph_or_csr) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(graph_or_csr, NeighbourGraph):
        return graph_or_csr.indptr, graph_or_csr.indices
    return graph_or_csr


def _subgraph(indptr, indices, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CSR of the graph restricted to the wards in the boolean mask ``keep``, renumbered."""
    n = len(indptr) - 1
    if keep.all():
        return indptr, indices
    new_position = np.full(n, -1, dtype=np.int64)
    new_position[keep] = np.arange(int(keep.sum()))
    rows = np.repeat(np.arange(n), np.diff(indptr))
    valid = keep[rows] & keep[indices]
    return _csr_from_pairs(int(keep.sum()), new_position[rows[valid]], new_position[indices[valid]])


# --------------------------------------------------------------------------------------------------------------
# Multiple testing
# --------------------------------------------------------------------------------------------------------------


def _bonferroni(p: np.ndarray) -> np.ndarray:
    return np.minimum(p * len(p), 1.0)


def _benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    m = len(p)
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return out


#: Name -> adjustment of a vector of p-values (without NaN).
CORRECTIONS = {"none": lambda p: p.copy(), "bonferroni": _bonferroni, "fdr": _benjamini_hochberg}


def adjust_pvalues(p: np.ndarray, method: str = "fdr") -> np.ndarray:
    """Adjust p-values for multiple testing; NaN entries are left NaN and not counted as tests.

    Parameters
    ----------
    p : array_like
        Raw (pseudo) p-values.
    method : {"fdr", "bonferroni", "none"}
        ``"fdr"``: Benjamini-Hochberg adjusted p-values (q-values), as ``scipy.stats.false_discovery_control``;
        ``"bonferroni"``: ``min(p * m, 1)``; ``"none"``: unchanged. ``m`` is the number of non-NaN p-values.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values. A ward is significant at level alpha when its adjusted p-value is <= alpha; for
        ``"fdr"`` this is the Benjamini-Hochberg step-up rule (reject the k smallest p-values, k the largest rank
        with ``p_(k) <= k alpha / m``). ``esda.fdr(p, alpha)`` returns the threshold ``k alpha / m`` of the same
        rule with a strict ``<`` and is used as ``p < threshold``: the two agree except when a p-value equals its
        rank's threshold exactly.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.03, 0.20], "fdr").round(4)
    array([0.04  , 0.0533, 0.0533, 0.2   ])
    """
    key = str(method).lower()
    if key not in CORRECTIONS:
        raise DataError(f"Unknown multiple-testing correction {method!r}. Use one of {sorted(CORRECTIONS)}.")
    p = np.asarray(p, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    finite = ~np.isnan(p)
    if finite.any():
        out[finite] = CORRECTIONS[key](p[finite])
    return out


def _significance_level(p_adjusted: np.ndarray) -> np.ndarray:
    """Confidence label ('99%', '95%', '90%' or '') for each adjusted p-value (p <= alpha, with float slack)."""
    label = np.full(p_adjusted.shape, "", dtype=object)
    for alpha, name in reversed(_CONFIDENCE):
        label[p_adjusted <= alpha * (1 + 1e-12)] = name
    return label


# --------------------------------------------------------------------------------------------------------------
# Result objects and the one call
# --------------------------------------------------------------------------------------------------------------


@dataclass
class HotspotResult:
    """Local statistics of every ward, classified.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per ward, indexed like the input values (a Series keeps its index, an array gets 0..n-1), columns
        ``ward_id``, ``gi_star_z``, ``gi_star_p``
        (raw pseudo p-value), ``gi_star_p_adj`` (corrected), ``hotspot_class``, ``lisa_i``, ``lisa_p``,
        ``lisa_p_adj``, ``lisa_q``, ``lisa_cluster``, ``neighbour_count``.
    metadata : dict
        JSON-safe provenance: graph description (with snap tolerance), permutations, seed, correction, islands,
        wards with no data, counts per class.
    """

    frame: pd.DataFrame
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def Zs(self) -> np.ndarray:  # noqa: N802 -- esda's name
        """Gi* z-scores (esda's ``G_Local.Zs``)."""
        return self.frame["gi_star_z"].to_numpy()

    @property
    def Is(self) -> np.ndarray:  # noqa: N802 -- esda's name
        """Local Moran's I (esda's ``Moran_Local.Is``)."""
        return self.frame["lisa_i"].to_numpy()


_STATISTICS = ("gi_star", "local_moran")


def _check_values(values, graph: NeighbourGraph, name: str = "values") -> tuple[np.ndarray, pd.Index]:
    if isinstance(values, pd.Series):
        index = values.index
        array = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        raw = values
    else:
        array = np.asarray(values)
        raw = array
        index = pd.RangeIndex(len(array)) if np.ndim(array) == 1 else None
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError):
            array = pd.to_numeric(pd.Series(array), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    if array.ndim != 1 or len(array) != graph.n:
        raise DataError(
            f"{name} must be one value per ward in the graph's row order: got shape {np.shape(raw)}, "
            f"the graph has {graph.n} wards."
        )
    raw_missing = pd.isna(pd.Series(np.asarray(raw, dtype=object))).to_numpy()
    not_numeric = np.isnan(array) & ~raw_missing
    if not_numeric.any():
        bad = [str(graph.ward_ids[i]) for i in np.flatnonzero(not_numeric)[:20]]
        raise DataError(f"{name} are not numbers for wards {bad}. Clean them or leave them empty (no data).")
    if np.isinf(array).any():
        bad = [str(graph.ward_ids[i]) for i in np.flatnonzero(np.isinf(array))[:20]]
        raise DataError(f"{name} are infinite for wards {bad}.")
    return array, index


def _check_permutations(permutations) -> int:
    if isinstance(permutations, bool) or not isinstance(permutations, (int, np.integer)) or permutations < 0:
        raise DataError(f"permutations must be a whole number >= 0 (999 is usual); got {permutations!r}.")
    return int(permutations)


def hotspot_statistics(
    values: np.ndarray,
    graph: NeighbourGraph,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int | None = 12345,
    correction: str = "fdr",
    statistics: Sequence[str] = _STATISTICS,
    alpha: float = 0.05,
    _engine: str = "auto",
) -> HotspotResult:
    """Gi* hot and cold spots and local Moran clusters for one value per ward, in one pass.

    Parameters
    ----------
    values : array_like or pandas.Series
        One value per ward, in the graph's row order (a Series keeps its index in the result). NaN means "no
        data": the statistics are computed on the subgraph of wards with values (moments, permutations and
        neighbour sums ignore the wards with no data), and those wards get NaN statistics and class "no data".
    graph : NeighbourGraph
        From :func:`neighbour_graph`; binary weights for Gi* (ward included), row-standardised for local Moran.
    permutations : int, default 999
        Conditional permutations for the pseudo p-values; 0 gives z-scores and I only (p-values NaN).
    seed : int or None, default 12345
        Seed of the random draws; the same seed gives the same p-values.
    correction : {"fdr", "bonferroni", "none"}, default "fdr"
        Multiple-testing correction used for the classes (see :func:`adjust_pvalues`). ``gi_star_p`` and
        ``lisa_p`` keep the raw pseudo p-values; ``*_p_adj`` hold the corrected ones the classes are made from.
    statistics : sequence of {"gi_star", "local_moran"}
        Which statistics to compute; the columns of the other are NaN / "not computed".
    alpha : float, default 0.05
        Level for the local Moran clusters (corrected p <= alpha). Hot/cold spots use 0.01, 0.05 and 0.10.

    Returns
    -------
    HotspotResult
        ``.frame`` (one row per ward) and ``.metadata`` (JSON-safe provenance).

    Notes
    -----
    ``hotspot_class``: the sign of the Gi* z-score says hot or cold; the confidence is the smallest of 99%, 95%,
    90% whose level (0.01, 0.05, 0.10) the corrected permutation p-value reaches (ArcGIS Hot Spot Analysis uses
    the same classes with the normal p-value). Islands (no neighbour, or no neighbour with data) have NaN
    statistics and class "not significant" and are listed in ``metadata["islands"]`` /
    ``metadata["isolated_by_no_data"]``.
    """
    chosen = tuple(statistics)
    unknown = [s for s in chosen if s not in _STATISTICS]
    if unknown or not chosen:
        raise DataError(f"Unknown statistics {unknown or chosen!r}; choose from {list(_STATISTICS)}.")
    if str(correction).lower() not in CORRECTIONS:
        raise DataError(f"Unknown multiple-testing correction {correction!r}. Use one of {sorted(CORRECTIONS)}.")
    correction = str(correction).lower()
    permutations = _check_permutations(permutations)
    if not (isinstance(alpha, (int, float)) and 0 < alpha < 1):
        raise DataError(f"alpha must be between 0 and 1; got {alpha!r}.")
    y_all, index = _check_values(values, graph)

    n = graph.n
    has_data = ~np.isnan(y_all)
    sub_indptr, sub_indices = _subgraph(graph.indptr, graph.indices, has_data)
    y = y_all[has_data]
    sub_card = np.diff(sub_indptr)
    n_valid = len(y)
    if n_valid < 3:
        raise DataError(f"Only {n_valid} wards have a value; the local statistics need at least 3.")

    constant = bool(np.ptp(y) == 0)
    if constant:
        warnings.warn("All wards have the same value: the local statistics are undefined (NaN).", UserWarning, 2)
    if "gi_star" in chosen and not constant:
        if y.sum() <= 0:
            raise DataError("Gi* needs values whose total is positive (e.g. risk scores >= 0); got a total <= 0.")
        if (y < 0).any():
            warnings.warn("Gi* assumes non-negative values; some are negative.", UserWarning, 2)

    at_least = at_most = None
    if permutations and not constant:
        at_least, at_most = _permutation_counts(y, sub_indptr, sub_indices, permutations, seed, engine=_engine)
    island_sub = sub_card == 0

    def scatter(sub_values, fill=np.nan):
        out = np.full(n, fill, dtype=np.float64)
        out[has_data] = sub_values
        return out

    gi_z = gi_p = np.full(n, np.nan)
    lisa_i = lisa_p = np.full(n, np.nan)
    lisa_q = np.zeros(n, dtype=np.int64)
    if "gi_star" in chosen:
        z_sub = np.full(n_valid, np.nan) if constant else local_gi_star_z(y, (sub_indptr, sub_indices))
        gi_z = scatter(z_sub)
        if at_least is not None:
            gi_p = scatter(np.where(island_sub, np.nan, _folded_p(at_least, permutations)))
    if "local_moran" in chosen:
        if constant:
            i_sub, q_sub = np.full(n_valid, np.nan), np.zeros(n_valid, dtype=np.int64)
        else:
            i_sub, q_sub = local_moran_i(y, (sub_indptr, sub_indices))
        lisa_i = scatter(i_sub)
        lisa_q[has_data] = q_sub
        if at_least is not None:
            zs = y - y.mean()
            larger = np.where(zs > 0, at_least, np.where(zs < 0, at_most, permutations))
            p_sub = _folded_p(larger, permutations)
            p_sub = np.where(zs == 0, 1.0, p_sub)  # I is 0 under every permutation: no evidence at all
            lisa_p = scatter(np.where(island_sub, np.nan, p_sub))

    gi_p_adj = adjust_pvalues(gi_p, correction)
    lisa_p_adj = adjust_pvalues(lisa_p, correction)

    if "gi_star" in chosen:
        level = _significance_level(gi_p_adj)
        side = np.where(gi_z > 0, "hot spot ", np.where(gi_z < 0, "cold spot ", ""))
        hotspot = np.where((level != "") & (side != ""), side + level, "not significant").astype(object)
        hotspot[~has_data] = "no data"
    else:
        hotspot = np.where(has_data, "not computed", "no data").astype(object)
    if "local_moran" in chosen:
        significant = lisa_p_adj <= alpha * (1 + 1e-12)
        cluster = np.array([_QUADRANT_CLUSTER.get(int(q), "not significant") for q in lisa_q], dtype=object)
        cluster[~significant] = "not significant"
        cluster[~has_data] = "no data"
    else:
        cluster = np.where(has_data, "not computed", "no data").astype(object)

    neighbour_count = np.zeros(n, dtype=np.int64)
    neighbour_count[has_data] = sub_card
    q_column = pd.array(np.where(lisa_q > 0, lisa_q, 0), dtype="Int64")
    q_column[(lisa_q == 0)] = pd.NA
    frame = pd.DataFrame(
        {
            "ward_id": graph.ward_ids.astype(str),
            "gi_star_z": gi_z,
            "gi_star_p": gi_p,
            "gi_star_p_adj": gi_p_adj,
            "hotspot_class": hotspot,
            "lisa_i": lisa_i,
            "lisa_p": lisa_p,
            "lisa_p_adj": lisa_p_adj,
            "lisa_q": q_column,
            "lisa_cluster": cluster,
            "neighbour_count": neighbour_count,
        },
        index=index,
    )

    geometric_islands = set(graph.islands)
    isolated = [
        str(graph.ward_ids[i])
        for i in np.flatnonzero(has_data)[island_sub]
        if str(graph.ward_ids[i]) not in geometric_islands
    ]
    metadata = {
        "graph": graph.describe(),
        "snap_tolerance_m": float(graph.snap_tolerance),
        "statistics": list(chosen),
        "permutations": permutations,
        "seed": None if seed is None else int(seed),
        "correction": correction,
        "classification": {
            "hotspot_class": "sign of the Gi* z-score; confidence from the corrected permutation p-value "
            "(<= 0.01: 99%, <= 0.05: 95%, <= 0.10: 90%)",
            "lisa_cluster": f"esda quadrant where the corrected permutation p-value <= {alpha}",
            "p_value": "conditional permutation pseudo p-value, folded as esda's p_sim",
        },
        "gi_star_weights": "binary, ward included (esda G_Local star=True, transform='B')",
        "local_moran_weights": "row-standardised (esda Moran_Local transformation='r')",
        "n_wards": int(n),
        "n_with_data": int(n_valid),
        "no_data": [str(w) for w in graph.ward_ids[~has_data]],
        "islands": list(graph.islands),
        "isolated_by_no_data": isolated,
        "counts": {
            "hotspot_class": {str(k): int(v) for k, v in pd.Series(hotspot).value_counts().items()},
            "lisa_cluster": {str(k): int(v) for k, v in pd.Series(cluster).value_counts().items()},
        },
    }
    return HotspotResult(frame=frame, metadata=metadata)


# --------------------------------------------------------------------------------------------------------------
# Global Moran, bivariate local Moran, correlation between dimensions
# --------------------------------------------------------------------------------------------------------------


@dataclass
class GlobalMoranResult:
    """Global Moran's I with row-standardised weights (``esda.Moran``).

    Attributes
    ----------
    I, EI : float
        The statistic and its expectation ``-1 / (n - 1)``.
    VI_rand, z : float
        Variance and z-score under the randomisation assumption (esda's ``VI_rand``, ``z_rand``).
    p_sim : float
        Folded permutation pseudo p-value (esda's ``p_sim``); NaN when ``permutations`` is 0.
    z_sim : float
        z-score against the permutation distribution.
    n, permutations, seed
        Wards with data, permutations, seed.
    """

    I: float  # noqa: E741 -- the paper's name
    EI: float
    VI_rand: float
    z: float
    p_sim: float
    z_sim: float
    n: int
    permutations: int
    seed: int | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary."""
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in self.__dict__.items()}


def _row_standardised(indptr, indices):
    from scipy import sparse

    n = len(indptr) - 1
    card = np.diff(indptr)
    data = np.repeat(1.0 / np.maximum(card, 1), card)
    return sparse.csr_array((data, indices, indptr), shape=(n, n))


def global_moran(
    values: np.ndarray, graph: NeighbourGraph, permutations: int = DEFAULT_PERMUTATIONS, seed: int | None = 12345
) -> GlobalMoranResult:
    """Global Moran's I of one value per ward, row-standardised weights, permutation inference.

    Wards with NaN values are left out (statistic on the subgraph of wards with data); islands have a zero row,
    as in esda.

    Examples
    --------
    Columbus (libpysal example), CRIME, queen contiguity: ``global_moran(crime, graph).I`` is 0.500 (Anselin 1988).
    """
    permutations = _check_permutations(permutations)
    y_all, _ = _check_values(values, graph)
    keep = ~np.isnan(y_all)
    indptr, indices = _subgraph(graph.indptr, graph.indices, keep)
    y = y_all[keep]
    n = len(y)
    if n < 4:
        raise DataError(f"Global Moran's I needs at least 4 wards with values; got {n}.")
    w = _row_standardised(indptr, indices)
    z = y - y.mean()
    z2ss = (z * z).sum()
    s0 = w.sum()
    wt = w + w.T
    s1 = (wt.multiply(wt)).sum() / 2.0
    s2 = ((np.asarray(w.sum(axis=1)).ravel() + np.asarray(w.sum(axis=0)).ravel()) ** 2).sum()
    moran = n / s0 * (z * (w @ z)).sum() / z2ss
    ei = -1.0 / (n - 1)
    k = ((z**4).sum() / n) / ((z**2).sum() / n) ** 2
    a = n * ((n * n - 3 * n + 3) * s1 - n * s2 + 3 * s0 * s0)
    b = k * ((n * n - n) * s1 - 2 * n * s2 + 6 * s0 * s0)
    vi_rand = (a - b) / ((n - 1) * (n - 2) * (n - 3) * s0 * s0) - ei * ei
    z_rand = (moran - ei) / math.sqrt(vi_rand)
    p_sim = z_sim = float("nan")
    if permutations:
        rng = np.random.default_rng(seed)
        simulated = np.empty(permutations)
        chunk = max(1, min(permutations, 20_000_000 // max(n, 1)))
        for start in range(0, permutations, chunk):
            m = min(chunk, permutations - start)
            zp = rng.permuted(np.broadcast_to(z, (m, n)), axis=1).T  # (n, m)
            simulated[start : start + m] = n / s0 * (zp * (w @ zp)).sum(axis=0) / z2ss
        larger = int((simulated >= moran).sum())
        p_sim = float(_folded_p(np.array([larger]), permutations)[0])
        z_sim = float((moran - simulated.mean()) / simulated.std())
    return GlobalMoranResult(
        I=float(moran),
        EI=ei,
        VI_rand=float(vi_rand),
        z=float(z_rand),
        p_sim=p_sim,
        z_sim=z_sim,
        n=int(n),
        permutations=permutations,
        seed=None if seed is None else int(seed),
    )


@dataclass
class BivariateLocalMoranResult:
    """Bivariate local Moran's I of x against the spatial lag of y (``esda.Moran_Local_BV``).

    Attributes
    ----------
    Is : numpy.ndarray
        Local statistics (NaN for islands and wards with no data).
    p_sim : numpy.ndarray
        Folded conditional-permutation pseudo p-values (raw).
    q : numpy.ndarray
        Quadrants (1 high-high, 2 low-high, 3 low-low, 4 high-low; 0 for islands / no data).
    frame : pandas.DataFrame
        ``bv_i``, ``bv_p``, ``bv_p_adj``, ``bv_q``, ``bv_cluster`` per ward.
    metadata : dict
    """

    Is: np.ndarray  # noqa: N815 -- esda's name
    p_sim: np.ndarray
    q: np.ndarray
    frame: pd.DataFrame
    metadata: dict[str, Any]


def bivariate_local_moran(
    x: np.ndarray,
    y: np.ndarray,
    graph: NeighbourGraph,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int | None = 12345,
    correction: str = "fdr",
    alpha: float = 0.05,
) -> BivariateLocalMoranResult:
    """Bivariate local Moran's I: ward's x against the mean y of its neighbours (row-standardised).

    ``I_i = (n - 1) zx_i lag(zy)_i / sum(zx^2)``, equal to ``esda.Moran_Local_BV(x, y, w).Is``. Conditional
    permutation holds ``x_i`` fixed and draws the neighbours' ``y`` from the other wards. Wards where either value
    is NaN are left out (subgraph); clusters use the corrected p-value <= ``alpha``.
    """
    permutations = _check_permutations(permutations)
    if str(correction).lower() not in CORRECTIONS:
        raise DataError(f"Unknown multiple-testing correction {correction!r}. Use one of {sorted(CORRECTIONS)}.")
    x_all, index = _check_values(x, graph, "x")
    y_all, _ = _check_values(y, graph, "y")
    n = graph.n
    keep = ~np.isnan(x_all) & ~np.isnan(y_all)
    indptr, indices = _subgraph(graph.indptr, graph.indices, keep)
    xs, ys = x_all[keep], y_all[keep]
    if len(xs) < 3:
        raise DataError(f"Only {len(xs)} wards have both values; need at least 3.")
    with np.errstate(divide="ignore", invalid="ignore"):
        zx = (xs - xs.mean()) / xs.std()
        zy = (ys - ys.mean()) / ys.std()
    i_sub, q_sub = _moran_from_z(zx, zy, indptr, indices)
    card = np.diff(indptr)
    p_sub = np.full(len(xs), np.nan)
    if permutations:
        at_least, at_most = _permutation_counts(ys, indptr, indices, permutations, seed)
        larger = np.where(zx > 0, at_least, np.where(zx < 0, at_most, permutations))
        p_sub = np.where(zx == 0, 1.0, _folded_p(larger, permutations))
        p_sub = np.where(card == 0, np.nan, p_sub)
    local_i = np.full(n, np.nan)
    local_i[keep] = i_sub
    p = np.full(n, np.nan)
    p[keep] = p_sub
    q = np.zeros(n, dtype=np.int64)
    q[keep] = q_sub
    p_adj = adjust_pvalues(p, correction)
    cluster = np.array([_QUADRANT_CLUSTER.get(int(v), "not significant") for v in q], dtype=object)
    cluster[~(p_adj <= alpha * (1 + 1e-12))] = "not significant"
    cluster[~keep] = "no data"
    frame = pd.DataFrame({"bv_i": local_i, "bv_p": p, "bv_p_adj": p_adj, "bv_q": q, "bv_cluster": cluster}, index=index)
    metadata = {
        "graph": graph.describe(),
        "permutations": permutations,
        "seed": None if seed is None else int(seed),
        "correction": str(correction).lower(),
        "alpha": float(alpha),
        "no_data": [str(w) for w in graph.ward_ids[~keep]],
        "counts": {str(k): int(v) for k, v in pd.Series(cluster).value_counts().items()},
    }
    return BivariateLocalMoranResult(Is=local_i, p_sim=p, q=q, frame=frame, metadata=metadata)


@dataclass
class DimensionCorrelation:
    """Pearson and Spearman correlation matrices between dimension scores (pairwise complete wards)."""

    pearson: pd.DataFrame
    spearman: pd.DataFrame
    n: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe nested dictionaries (NaN as None)."""

        def clean(frame: pd.DataFrame) -> dict:
            return {
                str(r): {str(c): (None if pd.isna(v) else float(v)) for c, v in row.items()}
                for r, row in frame.iterrows()
            }

        return {"pearson": clean(self.pearson), "spearman": clean(self.spearman), "n": clean(self.n)}


def dimension_correlation(frame: pd.DataFrame, columns: Sequence[str]) -> DimensionCorrelation:
    """Pearson and Spearman correlations between dimension scores.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per ward.
    columns : sequence of str
        The dimension score columns (at least two).

    Returns
    -------
    DimensionCorrelation
        ``pearson`` and ``spearman`` matrices and ``n``, the number of wards with both values for each pair.
    """
    columns = list(columns)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"Columns {missing} not found; columns are {list(map(str, frame.columns))}.")
    if len(columns) < 2:
        raise DataError("dimension_correlation needs at least two columns.")
    data = frame[columns].apply(pd.to_numeric, errors="coerce")
    present = data.notna().astype(np.float64)
    counts = present.T @ present
    return DimensionCorrelation(
        pearson=data.corr(method="pearson"),
        spearman=data.corr(method="spearman"),
        n=counts.astype(np.int64),
    )
