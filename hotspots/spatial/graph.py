"""The neighbour graph of the wards: built once from the boundaries, carrying its ward IDs.

Wards are kept in **ward-ID order** (sorted as text), whatever the order of the input rows, so that every statistic
computed on the graph, and the random permutations drawn for it, are the same for the same wards however the table
or the layer was sorted. Statistics take values keyed by ward ID and align them to the graph
(:func:`align_values`); a value for a ward the graph does not have, or a ward without a value entry, is an error.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hotspots.errors import DataError

#: Default snapping tolerance in metres. Ward layers digitised separately (or simplified) leave sliver gaps and
#: small overlaps between wards that touch on the ground. In the Delhi ward layer (datameet) the pairs of wards that
#: libpysal's exact Queen misses are separated by 0.04-6.4 m along hundreds of metres of common boundary (measured:
#: 2 pairs 8-10 m and 2 pairs 16-17 m apart touch only over some 30 m, corner-like). Five metres closes most of
#: those gaps (about the positional accuracy of a 1:10,000 municipal map, 0.5 mm at scale) while staying far below
#: the width of a real ward (hundreds of metres), so wards that are genuinely apart are not joined. Raise it for
#: coarser layers; use 0 for exact contiguity. A side effect: wards whose corners come within the tolerance become
#: queen neighbours (rook needs more than 3 x tolerance of boundary in common).
DEFAULT_SNAP_M = 5.0

_METHODS_HELP = "'queen', 'rook', 'knn:K' (e.g. 'knn:6') or 'distance:METRES' (e.g. 'distance:1500')"


@dataclass
class NeighbourGraph:
    """Binary neighbour graph of the wards, in compressed sparse row (CSR) form.

    Row ``i`` lists the neighbours of ward ``ward_ids[i]`` in ``indices[indptr[i]:indptr[i + 1]]``. The graph is
    binary and has no self-loops; contiguity graphs are symmetric, k-nearest-neighbour graphs in general are not.

    Attributes
    ----------
    ward_ids : numpy.ndarray
        Ward ids as strings, sorted (ward-ID order, whatever the order of the input rows).
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

    @property
    def key(self) -> str:
        """A short fingerprint of the graph (ward IDs and links), for cache keys and provenance."""
        import hashlib

        digest = hashlib.sha256()
        digest.update("\x1f".join(map(str, self.ward_ids)).encode("utf-8"))
        digest.update(np.ascontiguousarray(self.indptr, dtype=np.int64).tobytes())
        digest.update(np.ascontiguousarray(self.indices, dtype=np.int64).tobytes())
        digest.update(f"{self.method}|{self.snap_tolerance}".encode())
        return digest.hexdigest()[:16]

    def position(self, ward_ids) -> np.ndarray:
        """Positions in the graph of the given ward IDs (raises :class:`DataError` for an unknown ID)."""
        wanted = pd.Index([str(w) for w in np.atleast_1d(np.asarray(ward_ids, dtype=object))])
        positions = pd.Index(self.ward_ids).get_indexer(wanted)
        if (positions < 0).any():
            unknown = list(wanted[positions < 0][:20])
            raise DataError(f"Ward(s) {unknown} are not in the neighbour graph (built from the boundaries).")
        return positions

    def neighbours_of(self, ward_id: str) -> list[str]:
        """Ids of the neighbours of one ward."""
        i = int(self.position([ward_id])[0])
        return [str(w) for w in self.ward_ids[self.indices[self.indptr[i] : self.indptr[i + 1]]]]

    def to_libpysal(self):
        """The graph as a binary ``libpysal.weights.W`` keyed by ward id (for tests and interoperability).

        Returns
        -------
        libpysal.weights.W
            Binary weights whose ``id_order`` is the graph's (ward-ID) order, so that ``esda`` results line up with ours.
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


def _metric_geometry(wards, kind: str, explicit_tolerance: bool) -> tuple[np.ndarray, str | None]:
    """Geometry in a metric CRS: geographic layers go to their UTM zone, metre-based projections stay.

    A layer without a CRS has no known unit: a default tolerance "in metres" could be degrees. It is refused unless
    the caller gives the tolerance explicitly (in the layer's own units) or asks for k-nearest neighbours.
    """
    crs = wards.crs
    if crs is None:
        if kind in ("queen", "rook") and not explicit_tolerance:
            raise DataError(
                "The wards have no CRS, so the 5 m snapping tolerance cannot be converted to the layer's units "
                "(it could be degrees). Set the CRS with wards.set_crs(...) (e.g. 4326 for longitude/latitude), or "
                "pass snap_tolerance=... explicitly in the layer's own units (0 for exact contiguity)."
            )
        if kind == "distance":
            raise DataError(
                "The wards have no CRS, so a distance band in metres has no meaning for them. Set the CRS with "
                "wards.set_crs(...) (e.g. 4326 for longitude/latitude)."
            )
        warnings.warn(
            "The wards have no CRS; coordinates are used as they are (tolerance in the layer's own units). Set the "
            "CRS with wards.set_crs(...) (e.g. 4326 for longitude/latitude).",
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
    snap_tolerance: float | None = None,
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
    snap_tolerance : float, optional
        Contiguity only: wards whose boundaries come within this many metres are neighbours, which closes the
        sliver gaps of real ward layers. Default :data:`DEFAULT_SNAP_M` (5 m). Use 0 for exact contiguity (the
        neighbours libpysal's ``Queen`` / ``Rook`` find on clean data). A layer without a CRS needs it explicitly
        (in its own units).

    Returns
    -------
    NeighbourGraph
        Wards in ward-ID order (sorted as text), whatever the order of the rows of ``wards``.

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
    explicit_tolerance = snap_tolerance is not None
    if snap_tolerance is None:
        snap_tolerance = DEFAULT_SNAP_M
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
    geoms, metric_crs = _metric_geometry(wards, kind, explicit_tolerance)
    order = np.argsort(ward_ids.astype(str), kind="stable")  # ward-ID order: independent of the row order
    ward_ids, geoms = ward_ids[order], geoms[order]
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


def _subgraph(indptr, indices, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CSR of the graph restricted to the wards in the boolean mask ``keep``, renumbered (order kept)."""
    n = len(indptr) - 1
    if keep.all():
        return indptr, indices
    new_position = np.full(n, -1, dtype=np.int64)
    new_position[keep] = np.arange(int(keep.sum()))
    rows = np.repeat(np.arange(n), np.diff(indptr))
    valid = keep[rows] & keep[indices]
    return _csr_from_pairs(int(keep.sum()), new_position[rows[valid]], new_position[indices[valid]])


def align_values(values, graph: NeighbourGraph, name: str = "values") -> np.ndarray:
    """One float per ward of ``graph``, in the graph's order, from values keyed by ward ID.

    Parameters
    ----------
    values : pandas.Series or Mapping
        Indexed (keyed) by ward ID. Missing values (NaN/None) mean "no data". A bare array is refused: results are
        aligned by ward ID, never by row position.
    graph : NeighbourGraph
    name : str
        What the values are, for messages.

    Raises
    ------
    DataError
        Values given by position, IDs the graph does not have (or lacks), duplicated IDs, text or infinite values.
    """
    if isinstance(values, Mapping) and not isinstance(values, pd.Series):
        values = pd.Series(dict(values), dtype=object)
    if not isinstance(values, pd.Series):
        raise DataError(
            f"{name} must be keyed by ward ID (a pandas Series indexed by ward ID, or a dict), not given by "
            f"position: e.g. pd.Series(scores, index=ward_ids)."
        )
    keys = pd.Index([str(k) for k in values.index])
    if keys.has_duplicates:
        raise DataError(f"{name}: ward IDs {list(keys[keys.duplicated()].unique()[:20])} appear more than once.")
    graph_ids = pd.Index(graph.ward_ids.astype(str))
    unknown = keys.difference(graph_ids)
    absent = graph_ids.difference(keys)
    if len(unknown) or len(absent):
        parts = []
        if len(unknown):
            parts.append(f"{len(unknown)} ward(s) not in the neighbour graph: {list(unknown[:10])}")
        if len(absent):
            parts.append(f"{len(absent)} ward(s) of the graph without an entry: {list(absent[:10])}")
        raise DataError(
            f"{name} and the neighbour graph do not hold the same wards ({'; '.join(parts)}). Build the graph from "
            "the same boundaries, and give every ward an entry (NaN for no data)."
        )
    ordered = pd.Series(values.to_numpy(), index=keys).reindex(graph_ids)
    array = pd.to_numeric(ordered, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    raw_missing = ordered.isna().to_numpy()
    not_numeric = np.isnan(array) & ~raw_missing
    if not_numeric.any():
        bad = list(graph_ids[not_numeric][:20])
        raise DataError(f"{name} are not numbers for wards {bad}. Clean them or leave them empty (no data).")
    if np.isinf(array).any():
        raise DataError(f"{name} are infinite for wards {list(graph_ids[np.isinf(array)][:20])}.")
    return array
