"""Hot spots of many variants of the risk score at once: which wards are significant Gi* hot spots in each.

An uncertainty analysis (:mod:`hotspots.uncertainty`) re-scores a city hundreds of times; testing each variant with
:func:`hotspots.spatial.hotspot_statistics` would cost hundreds of full permutation tests. This module runs the
**same test** on every variant in one pass:

* **One shared permutation draw.** The conditional permutations (which wards stand in for a ward's neighbours)
  depend only on the wards and the seed, not on the values (:func:`hotspots.spatial.permutation._draw_chunks`), so
  the run's own draws serve every variant. In the first round (999 permutations for every ward) the variants are
  counted side by side, and along the wards a drawn set of neighbours changes only where the ward passes a drawn
  index, so the permuted sums are added once per piece of wards rather than once per ward (:func:`_base_kernel`).
  Every permuted sum is the same number, added in the same order, as the single-run kernel adds.
* **The same "auto" refinement, per variant.** Each variant re-tests the wards whose p-value is limited by the
  count, with as many permutations as that variant needs (Benjamini-Hochberg's threshold depends on how many of its
  wards are significant): the draws are made once per permutation count and shared by the variants that need that
  count, so a variant is re-tested with exactly the draws a separate run would make.
* **The same labels.** A ward is a hot spot in a variant when its corrected two-sided p-value is at most 0.10
  (90%, the weakest level of the labels), the permutation tail is the upper one and the Gi* z-score is positive:
  the rule of ``hotspot_class`` ("hot spot 90%" or stronger). The flags equal those of
  :func:`hotspots.spatial.hotspot_statistics` run on each variant with the same seed (tests/test_uncertainty.py);
  nothing is drawn with fewer permutations than the run would use.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hotspots.errors import DataError

from .graph import NeighbourGraph, _subgraph
from .multitest import CONFIDENCE, check_correction
from .permutation import (
    _AUTO_ROUNDS,
    _CACHE_BYTES,
    AUTO_MAX_PERMUTATIONS,
    AUTO_WORK_BUDGET,
    BASE_PERMUTATIONS,
    LIMITED_COUNT,
    STRICTEST_LEVEL,
    _draw_chunks,
    _user_cache_dir,
    check_permutations,
    needed_permutations,
    two_sided,
)

#: The weakest confidence level of a label (90%): a ward is "a significant hot spot" at this level or stronger.
HOT_LEVEL = max(level for level, _ in CONFIDENCE)


def variant_hotspots(
    values: pd.DataFrame,
    graph: NeighbourGraph,
    permutations: int | str = "auto",
    seed: int | None = 12345,
    correction: str = "fdr",
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Whether each ward is a significant Gi* hot spot (90% or stronger) under each variant of its values.

    Parameters
    ----------
    values : pandas.DataFrame
        One row per ward of ``graph``, **indexed by ward ID**, one column per variant; NaN means "no data" (the
        test runs on the wards with values, as :func:`hotspots.spatial.hotspot_statistics` does).
    graph : NeighbourGraph
    permutations, seed, correction
        As for :func:`hotspots.spatial.hotspot_statistics` (``0``: nothing is tested, no ward is a hot spot).

    Returns
    -------
    hot : pandas.DataFrame of bool
        Indexed by ward ID (the graph's order), the columns of ``values``.
    plan : dict
        JSON-safe summary: permutations requested and used (base, largest refined count, rounds).
    """
    requested = check_permutations(permutations)
    correction = check_correction(correction)
    y_all = _aligned(values, graph)
    hot = np.zeros(y_all.shape, dtype=bool)
    plan: dict[str, Any] = {"requested": requested, "base": 0, "largest_refined": 0, "rounds": 0}
    masks = ~np.isnan(y_all)
    groups: dict[bytes, list[int]] = {}
    for v in range(y_all.shape[1]):
        groups.setdefault(np.packbits(masks[:, v]).tobytes(), []).append(v)
    for columns in groups.values():  # variants that score the same wards share one subgraph
        has_data = masks[:, columns[0]]
        indptr, indices = _subgraph(graph.indptr, graph.indices, has_data)
        y = np.ascontiguousarray(y_all[np.ix_(has_data, columns)])
        group_hot, group_plan = _hot_on_subgraph(y, indptr, indices, requested, seed, correction)
        hot[np.ix_(has_data, columns)] = group_hot
        plan["base"] = max(plan["base"], group_plan["base"])
        plan["largest_refined"] = max(plan["largest_refined"], group_plan["largest_refined"])
        plan["rounds"] = max(plan["rounds"], group_plan["rounds"])
    ids = pd.Index(graph.ward_ids.astype(str), name="ward_id")
    return pd.DataFrame(hot, index=ids, columns=values.columns), plan


def _aligned(values: pd.DataFrame, graph: NeighbourGraph) -> np.ndarray:
    if not isinstance(values, pd.DataFrame):
        raise DataError("values must be a DataFrame indexed by ward ID, one column per variant.")
    keys = pd.Index([str(k) for k in values.index])
    graph_ids = pd.Index(graph.ward_ids.astype(str))
    if keys.has_duplicates or len(keys.symmetric_difference(graph_ids)):
        raise DataError(
            "The variants' values and the neighbour graph do not hold the same wards (each ward once): build the "
            "graph from the same boundaries and give every ward a row (NaN for no data)."
        )
    frame = pd.DataFrame(values.to_numpy(dtype=np.float64), index=keys)
    return frame.reindex(graph_ids).to_numpy(dtype=np.float64)


def _hot_on_subgraph(y, indptr, indices, requested, seed, correction):
    """Hot-spot flags (wards x variants) on complete values, and the permutation plan."""
    n, n_variants = y.shape
    card = np.diff(indptr)
    tested = card > 0
    plan = {"base": 0, "largest_refined": 0, "rounds": 0}
    if n < 3 or requested == 0 or not tested.any():
        return np.zeros(y.shape, dtype=bool), plan
    varies = np.ptp(y, axis=0) > 0  # a constant variant has no pattern to test
    base = BASE_PERMUTATIONS if requested == "auto" else int(requested)
    counts = _TailCounts(y, indptr, indices, seed)
    counts.base(base)
    plan["base"] = base
    if requested == "auto":
        _refine_all(counts, tested, correction, plan)
    p, tail = two_sided(counts.at_least, counts.at_most, counts.permutations)
    adjusted = adjust_columns(p, tested, correction)
    z = gi_star_z_columns(y, indptr, indices)
    hot = (adjusted <= HOT_LEVEL * (1 + 1e-12)) & (tail > 0) & (z > 0) & tested[:, None] & varies[None, :]
    return hot, plan


def adjust_columns(p: np.ndarray, tested: np.ndarray, correction: str) -> np.ndarray:
    """:func:`hotspots.spatial.multitest.adjust_pvalues` of every column of ``p`` over the ``tested`` rows."""
    out = np.full(p.shape, np.nan)
    m = int(tested.sum())
    if m == 0:
        return out
    raw = p[tested]
    if correction == "none":
        adjusted = raw.copy()
    elif correction == "bonferroni":
        adjusted = np.minimum(raw * m, 1.0)
    else:  # Benjamini-Hochberg, as multitest._benjamini_hochberg, column by column
        order = np.argsort(raw, axis=0, kind="stable")
        scaled = np.take_along_axis(raw, order, axis=0) * m / np.arange(1, m + 1)[:, None]
        stepped = np.minimum.accumulate(scaled[::-1], axis=0)[::-1]
        adjusted = np.empty_like(raw)
        np.put_along_axis(adjusted, order, np.minimum(stepped, 1.0), axis=0)
    out[tested] = adjusted
    return out


def gi_star_z_columns(y: np.ndarray, indptr: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Gi* z-scores of every column of ``y`` (:func:`hotspots.spatial.local_gi_star_z`, one column at a time)."""
    n = y.shape[0]
    card = np.diff(indptr)
    total = y.sum(axis=0)
    statistic = (_neighbour_sums_columns(y, indptr, indices) + y) / total
    mean = total / n
    variance = (y**2).sum(axis=0) / n - mean**2
    c = (card + 1).astype(np.float64)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (statistic - c / n) / np.sqrt(c * (n - c) / (n - 1) / n**2 * variance / mean**2)
    return np.where(card[:, None] > 0, z, np.nan)


def _neighbour_sums_columns(y, indptr, indices) -> np.ndarray:
    """Sum of the neighbours' values of each ward, for every column (as :func:`neighbour_sums` does for one)."""
    out = np.zeros_like(y)
    card = np.diff(indptr)
    rows = np.flatnonzero(card > 0)
    if len(rows):
        out[rows] = np.add.reduceat(y[indices], indptr[:-1][rows], axis=0)
    return out


class _TailCounts:
    """Tail counts (wards x variants) of the conditional permutation test, with the run's draws."""

    def __init__(self, y, indptr, indices, seed):
        self.y, self.indptr, self.seed = y, np.ascontiguousarray(indptr, dtype=np.int64), seed
        self.card = np.diff(indptr)
        observed = _neighbour_sums_columns(y, indptr, indices)
        scale = np.abs(y).max(axis=0, initial=0.0)
        # as _tail_counts: sums of the same values added in another order may differ in the last bits; a tie is a tie
        tolerance = 1e-9 * (np.abs(observed) + self.card[:, None] * scale[None, :]) + 1e-300
        self.low, self.high = observed - tolerance, observed + tolerance
        self.at_least = np.zeros(y.shape, dtype=np.int64)
        self.at_most = np.zeros(y.shape, dtype=np.int64)
        self.permutations = np.zeros(y.shape, dtype=np.int64)

    def _width(self, permutations: int, targets: np.ndarray) -> int:
        """The width of the draws, as :func:`hotspots.spatial.permutation._tail_counts` chooses it."""
        k = int(self.card.max())
        return int(self.card[targets].max()) if permutations * k * 8 > _CACHE_BYTES else k

    def base(self, permutations: int) -> None:
        """The first round: ``permutations`` draws (stage 0) for every tested ward and variant, in blocks of
        :data:`_LANES` variants whose values sit side by side (:func:`_base_kernel`)."""
        n, n_variants = self.y.shape
        blocks = -(-n_variants // _LANES)
        lanes = np.arange(blocks * _LANES) % n_variants  # the last block repeats variants to fill its lanes

        def blocked(a):
            return np.ascontiguousarray(a[:, lanes].reshape(n, blocks, _LANES).transpose(1, 0, 2))

        values, low, high = blocked(self.y), blocked(self.low), blocked(self.high)
        least = np.zeros(values.shape, dtype=np.int64)
        most = np.zeros(values.shape, dtype=np.int64)
        tested = np.flatnonzero(self.card > 0)
        for ids in _draw_chunks(n - 1, self._width(permutations, tested), permutations, self.seed, 0):
            _kernels()[0](values, self.card, ids, low, high, least, most)
        self.at_least = least.transpose(1, 0, 2).reshape(n, -1)[:, :n_variants].copy()
        self.at_most = most.transpose(1, 0, 2).reshape(n, -1)[:, :n_variants].copy()
        self.permutations[tested] = permutations

    def refine(self, ward: np.ndarray, variant: np.ndarray, permutations: int, width: int, stage: int) -> None:
        """Fresh counts with ``permutations`` draws of ``stage`` for the (ward, variant) pairs, sorted by ward."""
        starts = np.append(np.flatnonzero(np.diff(ward, prepend=-1)), len(ward))
        # few wards re-tested (a lone ward may need 400,000 permutations): their draws are split between threads
        slices = max(1, -(-4 // (len(starts) - 1)))
        least = np.zeros((slices, len(ward)), dtype=np.int64)
        most = np.zeros((slices, len(ward)), dtype=np.int64)
        for ids in _draw_chunks(len(self.y) - 1, width, permutations, self.seed, stage):
            _kernels()[1](self.y, self.indptr, ids, self.low, self.high, ward, variant, starts, least, most)
        self.at_least[ward, variant] = least.sum(axis=0)
        self.at_most[ward, variant] = most.sum(axis=0)
        self.permutations[ward, variant] = permutations


def _refine_all(counts: _TailCounts, tested, correction, plan) -> None:
    """``"auto"``'s later rounds for every variant, as :func:`hotspots.spatial.permutation._refine` does for one:
    the same wards re-tested with the same fresh draws (one draw per permutation count and width)."""
    card = counts.card
    n_tests = int(tested.sum())
    budget = np.full(counts.y.shape[1], AUTO_WORK_BUDGET, dtype=np.int64)
    active = np.ones(counts.y.shape[1], dtype=bool)
    for round_number in range(1, _AUTO_ROUNDS + 1):
        p, _ = two_sided(counts.at_least, counts.at_most, counts.permutations)
        at_strictest = adjust_columns(p, tested, correction) <= STRICTEST_LEVEL * (1 + 1e-12)
        limited = tested[:, None] & (np.minimum(counts.at_least, counts.at_most) <= LIMITED_COUNT) & ~at_strictest
        limited[:, ~active] = False
        refined, links = _refined_counts(limited, at_strictest, card, n_tests, correction, budget)
        current = np.where(limited, counts.permutations, np.iinfo(np.int64).max).min(axis=0)
        active &= limited.any(axis=0) & (refined > current)  # as _refine: a variant stops for good
        if not active.any():
            return
        budget[active] -= refined[active] * links[active]
        widest = (card[:, None] * limited).max(axis=0)
        width = np.where(refined * int(card.max()) * 8 > _CACHE_BYTES, widest, int(card.max()))
        ward, variant = np.nonzero(limited & active[None, :])  # sorted by ward
        for key in np.unique(np.column_stack([refined[variant], width[variant]]), axis=0):
            chosen = (refined[variant] == key[0]) & (width[variant] == key[1])
            counts.refine(ward[chosen], variant[chosen], int(key[0]), int(key[1]), round_number)
            plan["largest_refined"] = max(plan["largest_refined"], int(key[0]))
        plan["rounds"] = round_number


def _refined_counts(limited, at_strictest, card, n_tests, correction, budget):
    """Per variant: the permutations ``"auto"`` re-tests its limited wards with, and their links (the work)."""
    candidates = at_strictest.sum(axis=0) + limited.sum(axis=0)
    unique, inverse = np.unique(candidates, return_inverse=True)
    need = np.array([needed_permutations(n_tests, correction, candidates=int(c)) for c in unique])[inverse]
    links = card @ limited + (card[:, None] * limited).max(axis=0)
    refined = np.minimum(np.minimum(need, AUTO_MAX_PERMUTATIONS), budget // np.maximum(links, 1))
    return refined.astype(np.int64), links.astype(np.int64)


# --------------------------------------------------------------------------------------------------------------
# Kernels
# --------------------------------------------------------------------------------------------------------------

#: Variants side by side in the first round (a multiple of the SIMD width). Measured per lane and permutation on
#: 1,000 wards: 1.7 ns at 8 lanes, 1.5 at 16, 0.8 at 32 and 64.
_LANES = 32
#: Above this many values a ward's variants are read in place rather than copied side by side (bounds memory).
_COPY_LIMIT = 4_000_000


def _prange(*args):  # rebound to numba.prange when the kernels are compiled
    return range(*args)


def _count_lanes(values, ids, i, k, low, high, at_least, at_most):
    """Ward ``i``'s permuted neighbour sums >= ``low`` / <= ``high`` for every column (lane) of ``values`` (wards x
    lanes, side by side so that the sums vectorise), the neighbours summed in the order drawn (as the single-run
    kernel sums them)."""
    lanes = values.shape[1]
    acc = np.empty(lanes)
    for r in range(ids.shape[0]):
        acc[:] = 0.0
        for c in range(k):
            j = ids[r, c]
            if j >= i:
                j += 1
            for w in range(lanes):
                acc[w] += values[j, w]
        for w in range(lanes):
            at_least[w] += acc[w] >= low[w]
            at_most[w] += acc[w] <= high[w]


def _base_kernel(values, card, ids, low, high, at_least, at_most):
    """Tail counts of every ward for each block of variants (arrays: blocks x wards x lanes), one draw at a time.

    A draw ``d`` stands for ward ``d + 1`` for wards ``i <= d`` and for ward ``d`` above (a ward is never its own
    neighbour), so along the wards a drawn set of neighbours changes only where ``i`` passes a drawn ``d``: the
    wards fall into at most ``k + 1`` pieces that share their permuted sums. Each piece's sums are added in the
    order drawn (prefix by prefix, so the sum of the first ``k`` draws serves the wards with ``k`` neighbours): the
    same numbers, added in the same order, as the single-run kernel adds for every ward.
    """
    blocks, n, lanes = values.shape
    width = ids.shape[1]
    for b in _prange(blocks):
        sums = np.empty((width + 1, width + 1, lanes))
        edges = np.empty(width + 2, dtype=np.int64)
        for r in range(ids.shape[0]):
            pieces = _piece_edges(ids[r], n, edges)
            for p in range(pieces):
                sums[p, 0, :] = 0.0
                for c in range(width):
                    j = ids[r, c]
                    if j >= edges[p]:
                        j += 1
                    for w in range(lanes):
                        sums[p, c + 1, w] = sums[p, c, w] + values[b, j, w]
            p = 0
            for i in range(n):
                while i >= edges[p + 1]:
                    p += 1
                k = card[i]
                if k == 0:
                    continue
                for w in range(lanes):
                    at_least[b, i, w] += sums[p, k, w] >= low[b, i, w]
                    at_most[b, i, w] += sums[p, k, w] <= high[b, i, w]


def _piece_edges(draws, n, edges):
    """``edges[0:pieces + 1]``: 0, the distinct ``d + 1`` of the draws in increasing order, then ``n``; returns the
    number of pieces."""
    count = 1
    edges[0] = 0
    for c in range(draws.shape[0]):
        e = draws[c] + 1
        pos = count
        while pos > 1 and edges[pos - 1] > e:  # insertion sort: a few draws
            pos -= 1
        if edges[pos - 1] == e:
            continue
        for q in range(count, pos, -1):
            edges[q] = edges[q - 1]
        edges[pos] = e
        count += 1
    edges[count] = n
    return count


def _pairs_kernel(values, indptr, ids, low, high, ward, variant, starts, at_least, at_most):
    """:func:`_count_lanes` for (ward, variant) pairs sorted by ward (``starts``: where each ward's pairs begin, then
    the end): a ward's variants are copied side by side, in slices of at most ``_COPY_LIMIT`` values; the draws are
    split into ``at_least.shape[0]`` parts counted apart (added up by the caller)."""
    n = values.shape[0]
    width = max(1, _COPY_LIMIT // n)
    parts = at_least.shape[0]
    step = -(-ids.shape[0] // parts)
    for t in _prange((starts.shape[0] - 1) * parts):
        g = t // parts
        rows = ids[(t % parts) * step : (t % parts + 1) * step]
        i = ward[starts[g]]
        k = indptr[i + 1] - indptr[i]
        for first in range(starts[g], starts[g + 1], width):
            last = min(first + width, starts[g + 1])
            m = last - first
            side = np.empty((n, m))
            lo = np.empty(m)
            hi = np.empty(m)
            for q in range(m):
                v = variant[first + q]
                side[:, q] = values[:, v]
                lo[q] = low[i, v]
                hi[q] = high[i, v]
            _count_lanes(side, rows, i, k, lo, hi, at_least[t % parts, first:last], at_most[t % parts, first:last])


_COMPILED = None


def _kernels():
    """The two kernels compiled with numba (cached on disk, as the permutation kernel), or plain Python."""
    global _COMPILED, _prange, _count_lanes, _piece_edges
    if _COMPILED is None:
        try:
            import numba
        except ImportError:  # pragma: no cover - numba is a declared dependency
            return _base_kernel, _pairs_kernel
        _prange = numba.prange
        if not numba.config.CACHE_DIR:
            numba.config.CACHE_DIR = str(_user_cache_dir() / "numba")
        _count_lanes = numba.njit(cache=True, nogil=True)(_count_lanes)
        _piece_edges = numba.njit(cache=True, nogil=True)(_piece_edges)
        compile_ = numba.njit(cache=True, parallel=True, nogil=True)
        _COMPILED = (compile_(_base_kernel), compile_(_pairs_kernel))
    return _COMPILED
