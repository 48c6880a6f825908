"""Conditional permutation engine: tie-aware, two-sided pseudo p-values with an adaptive permutation count.

Conditional permutation (Anselin 1995): the value of a ward is held fixed and its ``k`` neighbours' values are
drawn at random, without replacement, from the other wards. Gi*, local Moran's I and the bivariate local Moran are
all monotone in the **sum of the neighbours' values** (the ward's own value being fixed), so one pass that counts,
per ward, the permuted neighbour sums at least / at most the observed one serves every statistic.

p-values (this is where we differ from esda's ``p_sim`` on purpose):

* **ties count as "at least as extreme" in both tails**: ``upper = (#{S* >= S} + 1) / (P + 1)``,
  ``lower = (#{S* <= S} + 1) / (P + 1)`` (esda counts the lower tail as "strictly below", which makes tied and
  zero-heavy data look significant);
* **two-sided**: ``p = min(1, 2 min(upper, lower))``, so that "95%" means what ArcGIS's Gi_Bin level means
  (|z| > 1.96), not a one-sided 95% (esda's folded ``p_sim`` is "half of the two-sided p-value");
* the **tail** (+1 upper, -1 lower, 0 neither) travels with the p-value, so that a label's direction and its
  significance come from the same tail.

Permutation count: with ``P`` permutations the smallest two-sided p is ``2 / (P + 1)``; a correction over ``m``
tests asks the most significant ward for ``level / m`` (Bonferroni, and Benjamini-Hochberg's first step), so 999
permutations can never give Kolkata (144 wards) a Bonferroni hot spot. ``"auto"`` draws 999 permutations for every
ward, then, in up to three rounds, draws a fresh, larger set for the wards whose p-value is **limited by the
permutations** (at most :data:`LIMITED_COUNT` permuted sums as extreme as the observed one, and not yet at 99%
after the correction): as many as the
strictest level (99%) needs after the correction, with a margin of 2 (Bonferroni: ``4 m / 0.01``; FDR: the
Benjamini-Hochberg threshold of the wards that could reach 99%, ``0.01 (S + L) / m``, S already there, L limited;
no correction: ``4 / 0.01``), within a work budget. Levels that stay unreachable are reported. Taking the fresh
p-value for the re-tested wards keeps the levels valid: a ward is re-tested only when its p-value is already at the
bottom of what its count can give (<= 0.01 with 999), so under the null ``P(final p <= a) <= a`` for ``a`` above
that, and below it only a ward that the first, valid test already put at 99% keeps its p-value (an excess of at
most ``a`` times the chance of being re-tested, under 1% of ``a``).

Draws are made in the graph's ward-ID order, so a seed means the same permutations whatever the row order.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hotspots.errors import DataError

#: Permutations drawn for every ward (the first round of ``"auto"``; esda's and GeoDa's usual count).
BASE_PERMUTATIONS = 999
#: ``"auto"`` re-tests a ward whose extreme tail holds at most this many permuted sums: its p-value is then
#: limited by the count (with 999 permutations: p <= 0.01), not by the data.
LIMITED_COUNT = 4
#: ``"auto"`` aims the smallest attainable p at half the threshold, so that a clear hot spot is not borderline.
_AUTO_MARGIN = 2.0
#: The strictest confidence level of the labels (99%).
STRICTEST_LEVEL = 0.01
#: Most neighbour-value draws (permutations x neighbours, summed over the re-tested wards) that ``"auto"`` spends on
#: its later rounds: about a second on two cores with the numba kernel.
AUTO_WORK_BUDGET = 600_000_000
#: Most permutations ``"auto"`` uses for one ward (bounds time and the draws' memory).
AUTO_MAX_PERMUTATIONS = 1_000_000
_AUTO_ROUNDS = 3
# Permutations drawn per chunk (bounds memory: chunk x max neighbours x 8 bytes).
_CHUNK_ELEMENTS = 8_000_000

# Above this many neighbour-value draws (permutations x sum of cardinalities) the numba kernel is worth its import
# and cache-load time (about 0.5 s in a fresh process); below it the vectorised numpy path is faster end to end.
_NUMBA_THRESHOLD = 30_000_000


def check_permutations(permutations) -> int | str:
    """``"auto"`` or a whole number >= 0 (``0``: no test; the labels say "not tested")."""
    if isinstance(permutations, str):
        text = permutations.strip().lower()
        if text == "auto":
            return "auto"
        if text.isdigit():
            return int(text)
    elif not isinstance(permutations, bool) and isinstance(permutations, (int, np.integer)) and permutations >= 0:
        return int(permutations)
    raise DataError(
        f"permutations must be 'auto' (the default: enough for the correction and the number of wards) or a whole "
        f"number >= 0 (0 switches the test off); got {permutations!r}."
    )


def tests_factor(n_tests: int, correction: str) -> int:
    """How much stricter than the nominal level the most significant ward is tested (Bonferroni and BH: ``m``)."""
    return max(int(n_tests), 1) if correction in ("bonferroni", "fdr") else 1


def needed_permutations(n_tests: int, correction: str, level: float = STRICTEST_LEVEL, candidates: int = 1) -> int:
    """Permutations for which a ward can reach ``level`` after the correction, with the auto margin.

    ``candidates``: with FDR, how many wards could reach the level together (Benjamini-Hochberg's threshold for
    the k-th smallest p-value is ``level k / m``); 1 is the worst case, a lone hot spot.
    """
    threshold = level
    if correction == "bonferroni":
        threshold = level / max(int(n_tests), 1)
    elif correction == "fdr":
        threshold = level * min(max(int(candidates), 1), max(int(n_tests), 1)) / max(int(n_tests), 1)
    need = _AUTO_MARGIN * 2.0 / threshold
    return max(BASE_PERMUTATIONS, int(math.ceil(need / 1000.0)) * 1000 - 1)


def reachable_levels(permutations: int, n_tests: int, correction: str) -> dict[str, bool]:
    """Which confidence levels (90/95/99%) a single ward can reach with ``permutations`` after the correction."""
    if permutations <= 0:
        return {"90%": False, "95%": False, "99%": False}
    smallest = 2.0 / (permutations + 1.0) * tests_factor(n_tests, correction)
    return {name: smallest <= level * (1 + 1e-12) for level, name in ((0.10, "90%"), (0.05, "95%"), (0.01, "99%"))}


@dataclass
class PermutationTest:
    """Counts and p-values of one conditional permutation test, per ward (on the graph's order).

    Attributes
    ----------
    at_least, at_most : numpy.ndarray
        Permuted neighbour sums >= / <= the observed one (ties in both), per ward.
    permutations : numpy.ndarray
        Permutations behind each ward's counts (0 for islands and untested wards).
    p : numpy.ndarray
        Two-sided, tie-aware pseudo p-value (NaN where untested).
    tail : numpy.ndarray
        +1 where the observed sum is in the upper tail, -1 in the lower, 0 in neither (equal tails).
    plan : dict
        JSON-safe record of what was drawn: requested, base and refined counts, wards re-tested, reachable levels.
    """

    at_least: np.ndarray
    at_most: np.ndarray
    permutations: np.ndarray
    p: np.ndarray
    tail: np.ndarray
    plan: dict[str, Any] = field(default_factory=dict)


def two_sided(at_least: np.ndarray, at_most: np.ndarray, permutations) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided, tie-aware p-values and the tail they come from, from the tail counts."""
    permutations = np.asarray(permutations, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        upper = (at_least + 1.0) / (permutations + 1.0)
        lower = (at_most + 1.0) / (permutations + 1.0)
    p = np.minimum(1.0, 2.0 * np.minimum(upper, lower))
    tail = np.sign(lower - upper).astype(np.int64)
    untested = permutations <= 0
    return np.where(untested, np.nan, p), np.where(untested, 0, tail)


def conditional_permutation_test(
    values: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    permutations: int | str = "auto",
    seed: int | None = 12345,
    correction: str = "fdr",
    engine: str = "auto",
) -> PermutationTest:
    """Count permuted neighbour sums in both tails for every ward with a neighbour; two-sided p-values.

    Parameters
    ----------
    values : numpy.ndarray
        Complete values (no NaN), in the graph's order.
    indptr, indices : numpy.ndarray
        CSR neighbour structure of the same wards.
    permutations : "auto" or int
        See the module's docstring.
    seed : int or None
        Seed of the draws (the same seed gives the same draws for the same wards).
    correction : {"fdr", "bonferroni", "none"}
        Used by ``"auto"`` (how small a p-value must be reachable) and for the reachable levels.
    """
    requested = check_permutations(permutations)
    card = np.diff(indptr)
    tested = card > 0
    n_tests = int(tested.sum())
    base = BASE_PERMUTATIONS if requested == "auto" else int(requested)
    at_least, at_most = _tail_counts(values, indptr, indices, np.flatnonzero(tested), base, (seed, 0), engine)
    per_ward = np.where(tested, base, 0)
    test = PermutationTest(at_least, at_most, per_ward, *two_sided(at_least, at_most, per_ward))
    test.plan = {"requested": requested, "base": base, "refined": 0, "refined_wards": 0, "rounds": []}
    if requested == "auto":
        _refine(test, values, indptr, indices, tested, n_tests, correction, seed, engine)
    counts = test.permutations[tested]
    smallest_floor = int(counts.max()) if len(counts) else 0
    test.plan["reachable_levels"] = reachable_levels(smallest_floor, n_tests, correction)
    test.plan["held_back"] = held_back(test, tested, correction)
    test.plan["n_tests"] = n_tests
    return test


def _refine(test, values, indptr, indices, tested, n_tests, correction, seed, engine) -> None:
    """``"auto"``: re-test, with fresh and larger draws, the wards whose p-value is limited by the count."""
    from .multitest import adjust_pvalues

    card = np.diff(indptr)
    budget = AUTO_WORK_BUDGET
    for round_number in range(1, _AUTO_ROUNDS + 1):
        extreme = np.minimum(test.at_least, test.at_most)
        adjusted = adjust_pvalues(np.where(tested, test.p, np.nan), correction)
        at_strictest = adjusted <= STRICTEST_LEVEL * (1 + 1e-12)
        # a ward already at 99% cannot go higher: re-test only the wards the count may be holding back
        limited = np.flatnonzero(tested & (extreme <= LIMITED_COUNT) & ~at_strictest)
        if len(limited) == 0:
            return
        already = int(at_strictest.sum())
        need = needed_permutations(n_tests, correction, candidates=already + len(limited))
        current = int(test.permutations[limited].min())
        links = int(card[limited].sum()) + int(card[limited].max())  # counting, and drawing the permutations
        affordable = budget // max(links, 1)
        refined = int(min(need, AUTO_MAX_PERMUTATIONS, affordable))
        test.plan["needed_for_99%"] = need
        if refined <= current:
            test.plan["budget_capped"] = need > current
            return
        more_least, more_most = _tail_counts(values, indptr, indices, limited, refined, (seed, round_number), engine)
        test.at_least[limited], test.at_most[limited] = more_least[limited], more_most[limited]
        test.permutations[limited] = refined
        test.p, test.tail = two_sided(test.at_least, test.at_most, test.permutations)
        budget -= refined * links
        test.plan["rounds"].append({"wards": int(len(limited)), "permutations": refined})
        test.plan.update(refined=refined, refined_wards=int(len(limited)))


def held_back(test: PermutationTest, tested: np.ndarray, correction: str) -> dict[str, int]:
    """Per level, how many wards might reach it with more permutations.

    A ward is held back at a level when its p-value is at the bottom of what its permutations can give (at most
    :data:`LIMITED_COUNT` permuted sums as extreme), corrected still above the level, and even the smallest p-value
    its count can give would be above the level after the same correction.
    """
    from .multitest import CONFIDENCE, adjust_pvalues

    extreme = np.minimum(test.at_least, test.at_most)
    raw = np.where(tested, test.p, np.nan)
    adjusted = adjust_pvalues(raw, correction)
    with np.errstate(divide="ignore", invalid="ignore"):
        # the smallest p-value the ward's count can give, corrected as its own p-value was
        floor = 2.0 / (test.permutations + 1.0) * np.where(raw > 0, adjusted / raw, 1.0)
    limited = tested & (extreme <= LIMITED_COUNT)
    return {
        name: int((limited & ~(adjusted <= level * (1 + 1e-12)) & (floor > level * (1 + 1e-12))).sum())
        for level, name in CONFIDENCE
    }


def unreachable_note(plan: dict[str, Any], correction: str, n_tests: int) -> str | None:
    """A plain-language warning when wards may be shown as less certain than they are, for lack of permutations."""
    held = plan.get("held_back") or {}
    levels = [name for name, count in held.items() if count]
    if not levels or not plan.get("base"):
        return None
    used = max(int(plan.get("refined") or 0), int(plan.get("base") or 0))
    fix = (
        "use permutations 'auto'"
        if plan.get("requested") != "auto"
        else "the work budget capped the permutations; use the 'fdr' or 'none' correction, or fewer wards"
    )
    count = max(held.values())
    statics = plan.get("reachable_levels") or {}
    # with FDR the static check is for a lone hot spot (many together reach further): say it only for the others
    nobody = [name for name, ok in statics.items() if not ok] if correction != "fdr" else []
    head = (
        f"With {used:,} permutations and the {correction} correction over {n_tests} wards, no ward can reach "
        f"{', '.join(nobody)} confidence"
        if nobody
        else f"{count} ward(s) might reach {levels[0]} confidence with more permutations"
    )
    return (
        f"{head} (the smallest possible p-value is {2 / (used + 1):.2g} before the correction): a ward shown as "
        f"less certain may be more so. To fix it, {fix}."
    )


# --------------------------------------------------------------------------------------------------------------
# Drawing and counting
# --------------------------------------------------------------------------------------------------------------


def _draw_permutation_ids(n_others: int, k: int, permutations: int, seed) -> np.ndarray:
    """``permutations`` rows of ``k`` distinct indices in ``[0, n_others)``, each row a random ordered sample.

    The first ``c`` entries of a row are a uniform random sample of size ``c``, so one matrix serves every
    cardinality (as esda's ``vec_permutations``). Rather than a full permutation of ``n - 1`` per row (slow at
    100,000 wards), rows are drawn with replacement and the rows with a repeat are drawn again (while a repeat is
    rare enough: ``k^2 <= 3 n``; otherwise the k smallest of ``n`` random keys). ``seed`` may be a
    seed or a ``numpy.random.Generator`` (drawing continues from its state).
    """
    rng = np.random.default_rng(seed)
    k = min(k, n_others)
    if k <= 0 or permutations <= 0:
        return np.zeros((max(permutations, 0), 0), dtype=np.int64)
    if k * k > 3 * n_others:  # a row of k distinct draws would often repeat: sample without repeats directly
        if n_others > 4096:  # many neighbours in a large layer: one sample without replacement per row
            return np.stack([rng.choice(n_others, size=k, replace=False, shuffle=True) for _ in range(permutations)])
        # small layers: the k smallest of n_others random keys, row chunks of at most 4 million keys
        out = np.empty((permutations, k), dtype=np.int64)
        rows = max(1, 4_000_000 // n_others)
        for start in range(0, permutations, rows):
            keys = rng.random((min(rows, permutations - start), n_others))
            part = np.argpartition(keys, k - 1, axis=1)[:, :k] if k < n_others else np.argsort(keys, axis=1)
            order = np.argsort(np.take_along_axis(keys, part, axis=1), axis=1)
            out[start : start + len(keys)] = np.take_along_axis(part, order, axis=1)
        return out
    ids = rng.integers(0, n_others, size=(permutations, k), dtype=np.int64)
    repeats = _rows_with_repeats(ids)
    while len(repeats):  # draw again only the rows with a repeat, and check only those
        ids[repeats] = rng.integers(0, n_others, size=(len(repeats), k), dtype=np.int64)
        repeats = repeats[_rows_with_repeats(ids[repeats])]
    return ids


def _rows_with_repeats(ids: np.ndarray) -> np.ndarray:
    if ids.shape[1] < 2:
        return np.zeros(0, dtype=np.int64)
    ordered = np.sort(ids, axis=1)
    return np.flatnonzero((ordered[:, 1:] == ordered[:, :-1]).any(axis=1))


def _prange(*args):  # rebound to numba.prange when the kernel is compiled
    return range(*args)


def _permutation_counts_kernel(values, indptr, ids, observed, tolerance, targets, at_least, at_most):
    """For each target ward i: permuted neighbour sums >= / <= the observed sum, within a float tolerance."""
    permutations = ids.shape[0]
    for t in _prange(targets.shape[0]):
        i = targets[t]
        k = indptr[i + 1] - indptr[i]
        if k == 0:
            continue
        obs = observed[i]
        tol = tolerance[i]
        ge = 0
        le = 0
        for r in range(permutations):
            s = 0.0
            for c in range(k):
                j = ids[r, c]
                if j >= i:
                    j += 1
                s += values[j]
            if s >= obs - tol:
                ge += 1
            if s <= obs + tol:
                le += 1
        at_least[i] += ge
        at_most[i] += le


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
        if not numba.config.CACHE_DIR:  # the compiled kernel goes to the user's cache, never into the package
            numba.config.CACHE_DIR = str(_user_cache_dir() / "numba")
        _COMPILED_KERNEL = numba.njit(cache=True, parallel=True, nogil=True)(_permutation_counts_kernel)
    return _COMPILED_KERNEL


def _user_cache_dir():
    """``$XDG_CACHE_HOME/hotspots`` (``~/.cache/hotspots``), or a temporary folder where home is not writable."""
    import os
    import tempfile
    from pathlib import Path

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = Path(base) / "hotspots"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        folder = Path(tempfile.gettempdir()) / "hotspots-cache"
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def _permutation_counts_numpy(values, indptr, ids, observed, tolerance, targets, at_least, at_most):
    card = np.diff(indptr)
    permutations = ids.shape[0]
    target_card = card[targets]
    for k in np.unique(target_card[target_card > 0]):
        wards = targets[target_card == k]
        draws = ids[:, :k][None, :, :]
        step = max(1, (1 << 22) // (permutations * int(k)))
        for start in range(0, len(wards), step):
            chunk = wards[start : start + step]
            shifted = draws + (draws >= chunk[:, None, None])
            sums = values[shifted].sum(axis=2)
            at_least[chunk] += (sums >= (observed[chunk] - tolerance[chunk])[:, None]).sum(axis=1)
            at_most[chunk] += (sums <= (observed[chunk] + tolerance[chunk])[:, None]).sum(axis=1)


def neighbour_sums(values: np.ndarray, indptr: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Sum of the neighbours' values of each ward."""
    n = len(values)
    rows = np.repeat(np.arange(n), np.diff(indptr))
    return np.bincount(rows, weights=values[indices], minlength=n)


def _tail_counts(values, indptr, indices, targets, permutations, seed_stage, engine="auto"):
    """Counts of permuted neighbour sums at least / at most the observed one, for the target wards."""
    n = len(values)
    card = np.diff(indptr)
    at_least = np.zeros(n, dtype=np.int64)
    at_most = np.zeros(n, dtype=np.int64)
    targets = np.asarray(targets, dtype=np.int64)
    if n < 2 or len(targets) == 0 or permutations <= 0:
        return at_least, at_most
    values = np.ascontiguousarray(values, dtype=np.float64)
    observed = neighbour_sums(values, indptr, indices)
    # sums of the same values added in another order may differ in the last bits: a tie is a tie
    scale = np.abs(values).max(initial=0.0)
    tolerance = 1e-9 * (np.abs(observed) + card * scale) + 1e-300
    work = permutations * int(card[targets].sum())
    # numba once its import and cache load are paid (a long-running app) or when the work is worth them
    warm = _COMPILED_KERNEL is not None
    use_numba = engine == "numba" or (engine == "auto" and (work > _NUMBA_THRESHOLD or (warm and work > 100_000)))
    kernel = _numba_kernel() if use_numba else None
    indptr64 = np.ascontiguousarray(indptr, dtype=np.int64)
    # the draws depend on the wards and the seed, not on the values, so one set serves every weight change; draws
    # too large to keep are made only as wide as the re-tested wards need
    k = int(card.max())
    if permutations * k * 8 > _CACHE_BYTES:
        k = int(card[targets].max())
    for ids in _draw_chunks(n - 1, k, permutations, *seed_stage):
        if kernel is not None:
            kernel(values, indptr64, ids, observed, tolerance, targets, at_least, at_most)
        else:
            _permutation_counts_numpy(values, indptr64, ids, observed, tolerance, targets, at_least, at_most)
    return at_least, at_most


#: Draws up to this size are kept for the next call with the same wards, count and seed (a weight change).
_CACHE_BYTES = 64 * 1024 * 1024


def _draw_chunks(n_others: int, k: int, permutations: int, seed: int | None, stage: int):
    """The permutation draws in chunks (bounded memory); the same seed and stage give the same draws."""
    chunk = max(1, _CHUNK_ELEMENTS // max(k, 1))
    if seed is not None and permutations * k * 8 <= _CACHE_BYTES:
        return _cached_chunks(n_others, k, permutations, int(seed), stage, chunk)
    return _generate_chunks(n_others, k, permutations, seed, stage, chunk)


def _generate_chunks(n_others, k, permutations, seed, stage, chunk):
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stage,)))
    for start in range(0, permutations, chunk):
        yield _draw_permutation_ids(n_others, k, min(chunk, permutations - start), rng)


@functools.lru_cache(maxsize=6)
def _cached_chunks(n_others, k, permutations, seed, stage, chunk) -> tuple[np.ndarray, ...]:
    chunks = tuple(_generate_chunks(n_others, k, permutations, seed, stage, chunk))
    for ids in chunks:
        ids.setflags(write=False)
    return chunks
