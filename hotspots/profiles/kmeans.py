"""KMeans with the number of clusters chosen by silhouette, seeded and on one thread (see :mod:`hotspots.profiles`)."""

from __future__ import annotations

import hashlib
import warnings
from collections import OrderedDict

import numpy as np

MIN_K, MAX_K = 2, 6
#: KMeans restarts from different seeded centres (the best of them is kept).
N_INIT = 3
#: Above this many wards the silhouette is measured on a seeded sample of them (its cost grows with the square).
SILHOUETTE_SAMPLE = 2000
#: Above this many wards KMeans is fitted on a seeded sample of them (every ward then takes its nearest centre).
FIT_SAMPLE = 2_000


#: Results of :func:`cluster` by the digest of their inputs (most recent last). The clustering is a pure function of
#: the standardised dimension scores, ``k`` and the seed, and the dimension scores stay the same when only dimension
#: weights, classes, permutations or the correction change: the app re-scores on each such change.
_RECENT: OrderedDict[tuple, tuple] = OrderedDict()
RECENT_SIZE = 32


def cluster(z: np.ndarray, k, seed: int, notes: list[str]) -> tuple[np.ndarray, int, dict[int, float]]:
    """Cluster codes per row of ``z``, the number of profiles and the silhouette per ``k`` tried.

    Above :data:`FIT_SAMPLE` wards, KMeans is fitted on a seeded sample of them and every ward is assigned to its
    nearest centre (a note says so). One thread: on a few thousand points OpenMP's threads cost more than they
    save, and far more on a busy machine (bench/bench_profiles.py). The same inputs return the remembered result.
    """
    z = np.ascontiguousarray(z, dtype=float)
    key = (hashlib.blake2b(z.tobytes(), digest_size=16).hexdigest(), z.shape, k, seed)
    if key in _RECENT:
        _RECENT.move_to_end(key)
    else:
        from threadpoolctl import threadpool_limits

        own_notes: list[str] = []
        with threadpool_limits(limits=1):
            codes, chosen, silhouette = _cluster_rows(z, k, seed, own_notes)
        _RECENT[key] = (codes, chosen, silhouette, own_notes)
        while len(_RECENT) > RECENT_SIZE:
            _RECENT.popitem(last=False)
    codes, chosen, silhouette, own_notes = _RECENT[key]
    notes.extend(own_notes)
    return codes.copy(), chosen, dict(silhouette)


def _cluster_rows(z: np.ndarray, k, seed: int, notes: list[str]) -> tuple[np.ndarray, int, dict[int, float]]:
    n = len(z)
    if n == 0:
        notes.append("No ward has every dimension score: no risk profiles.")
        return np.zeros(0, dtype=int), 0, {}
    fit = z
    if n > FIT_SAMPLE:
        fit = z[np.sort(np.random.default_rng(seed).choice(n, FIT_SAMPLE, replace=False))]
        notes.append(
            f"Profiles learned on a seeded sample of {FIT_SAMPLE:,} of the {n:,} wards; every ward is given the "
            "profile of its nearest centre."
        )
    distinct = len(np.unique(fit, axis=0))
    if distinct == 1:
        notes.append(f"All {n} ward(s) with scores have the same dimension scores: one profile.")
        return np.zeros(n, dtype=int), 1, {}
    if k is not None:
        if k > distinct:
            notes.append(
                f"{k} risk profiles were asked for, but only {distinct} ward(s) have distinct dimension scores: "
                f"{distinct} profiles."
            )
        k = min(int(k), distinct)
        return _kmeans(fit, k, seed).predict(z), k, {}
    model, k, silhouette = _choose_k(fit, distinct, seed, notes)
    return model.predict(z), k, silhouette


def _choose_k(z: np.ndarray, distinct: int, seed: int, notes: list[str]):
    """KMeans for every ``k`` from 2 to 6 that the wards allow; the one with the highest silhouette."""
    n = len(z)
    candidates = [k for k in range(MIN_K, MAX_K + 1) if k <= distinct and k <= n - 1]
    if not candidates:
        notes.append(f"Only {n} wards with scores: too few to choose the number of profiles; {distinct} profiles.")
        return _kmeans(z, distinct, seed), distinct, {}
    rows = np.arange(n)
    if n > SILHOUETTE_SAMPLE:
        rows = np.sort(np.random.default_rng(seed).choice(n, SILHOUETTE_SAMPLE, replace=False))
    distances = _distances(z[rows])
    best, silhouette = None, {}
    for k in candidates:
        model = _kmeans(z, k, seed)
        silhouette[k] = mean_silhouette(distances, model.labels_[rows])
        if best is None or silhouette[k] > silhouette[best[1]] + 1e-12:
            best = (model, k)
    return best[0], best[1], silhouette


def _distances(points: np.ndarray) -> np.ndarray:
    from scipy.spatial.distance import cdist

    return cdist(points, points)


def mean_silhouette(distances: np.ndarray, labels: np.ndarray) -> float:
    """The mean silhouette (Rousseeuw 1987) of a clustering, from the points' pairwise distances.

    ``a`` is a point's mean distance to the other points of its cluster, ``b`` the smallest mean distance to the
    points of another cluster, ``s = (b - a) / max(a, b)``; 0 for a point alone in its cluster (as scikit-learn's
    ``silhouette_score``, which this equals: tests/test_profiles.py). Computed here, in one matrix product, because
    scikit-learn's input checks cost more than the silhouette on a city's few hundred wards.
    """
    codes, labels = np.unique(labels, return_inverse=True)
    if not 2 <= len(codes) <= len(labels) - 1:
        return float("nan")
    members = np.eye(len(codes))[labels]  # one-hot, wards x clusters
    sizes = members.sum(axis=0)
    sums = distances @ members  # each ward's total distance to every cluster
    own = sizes[labels] - 1
    a = np.divide(sums[np.arange(len(labels)), labels], own, out=np.zeros(len(labels)), where=own > 0)
    other = sums / sizes
    other[np.arange(len(labels)), labels] = np.inf
    b = other.min(axis=1)
    s = np.where(own > 0, (b - a) / np.maximum(np.maximum(a, b), np.finfo(float).tiny), 0.0)
    return float(s.mean())


def _kmeans(z: np.ndarray, k: int, seed: int):
    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # duplicated points: fewer distinct centres than k
        return KMeans(n_clusters=k, n_init=N_INIT, random_state=seed).fit(z)
