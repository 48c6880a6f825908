"""Risk profiles: wards grouped by the pattern of their dimension scores (scikit-learn KMeans).

Different risk patterns need different responses: a ward high on ideological risk alone calls for another
prevention approach than a ward high on all three. :func:`risk_profiles` groups wards by their dimension scores and
names each group by what dominates its centre.

The method, in full (also written into every export's metadata by :meth:`Profiles.to_dict`):

1. **Wards.** Only wards with every dimension score take part; the others get no profile (and a note says how many
   and which). Rows are sorted by their key (ward ID, or city and ward ID when cities are pooled) before fitting,
   so that the input's row order never changes a result.
2. **Standardised.** Each dimension score is standardised on the wards taking part (``z = (score - mean) / sd``,
   population sd; a dimension with no spread is 0 for every ward), so that every dimension counts equally.
3. **KMeans** (scikit-learn, ``n_init`` = :data:`N_INIT`, ``random_state`` = the seed) on the standardised scores.
   The number of profiles ``k`` is given, or chosen between 2 and 6 by the highest mean silhouette (ties: the
   smaller ``k``; above :data:`SILHOUETTE_SAMPLE` wards the silhouette is measured on a seeded sample, above
   :data:`FIT_SAMPLE` KMeans is fitted on a seeded sample and every ward takes its nearest centre).
4. **Numbered** in a canonical order: by the centre's total score (sum of its dimension scores), highest first, so
   that P1 is the profile with the most risk, and the same data and seed give the same numbers.
5. **Named** by :func:`profile_name` from the centre's standardised scores: a dimension is *high* when its centre
   is at least :data:`HIGH` sd above the mean of the wards, *low* when at least :data:`HIGH` sd below. All high:
   "all three high"; one high: "mainly <dimension>"; some high: "<a> and <b> high"; none high and all low:
   "all low"; otherwise "near average". A ward's ``risk_profile`` is ``"P<number>: <name>"``.

Profiles learned on several cities pooled (:func:`pooled_scores`, :func:`profile_results`) mean the same in every
city: a ward of one city and a ward of another with the same profile have the same pattern of risk.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataError

MIN_K, MAX_K = 2, 6
#: At most this many profiles (a map tells no more categories apart; one code character per ward on the map).
MAX_PROFILES = 10
#: KMeans restarts from different seeded centres (the best of them is kept).
N_INIT = 3
#: A dimension is "high" in a centre this many standard deviations above the mean of the wards (and "low" below).
HIGH = 0.5
#: Above this many wards the silhouette is measured on a seeded sample of them (its cost grows with the square).
SILHOUETTE_SAMPLE = 2000
#: Above this many wards KMeans is fitted on a seeded sample of them (every ward then takes its nearest centre).
FIT_SAMPLE = 2_000
DEFAULT_SEED = 12345
RULE = (
    f"Profiles: KMeans (scikit-learn, n_init={N_INIT}, random_state=seed) on the dimension scores standardised "
    f"on the wards taking part (z = (score - mean) / sd; no spread: 0); k given, or chosen between {MIN_K} and "
    f"{MAX_K} by the highest mean silhouette (ties: smaller k). Numbered by the centre's total score, highest first. "
    f"Named from the centre's z: a dimension is high at z >= {HIGH}, low at z <= -{HIGH}; all high: 'all three "
    f"high'; one high: 'mainly <dimension>'; several: '<a> and <b> high'; none high and all low: 'all low'; "
    f"else 'near average'. Wards without every dimension score get no profile."
)


@dataclass
class Profiles:
    """Risk profiles of a set of wards (:func:`risk_profiles`).

    Attributes
    ----------
    labels : pandas.Series
        Per ward (the input's index: ward ID, or (city, ward ID)), ``"P<number>: <name>"``; ``<NA>`` for a ward
        without every dimension score. Sorted by the index.
    numbers : pandas.Series
        Per ward, the profile number (``Int64``, 1 = highest total score; ``<NA>`` without a profile).
    centres : pandas.DataFrame
        One row per profile (index: number): ``label``, ``name``, ``wards``, each dimension's centre in score
        units (the mean score of its wards) and ``<dimension>_z`` (standardised, which the name is read from).
    k : int
        The number of profiles.
    silhouette : dict of int to float
        The mean silhouette of each ``k`` tried (empty when ``k`` was given or could not be chosen).
    seed : int
        The KMeans seed.
    mean, sd : dict of str to float
        Per dimension, the mean and standard deviation the scores were standardised by.
    notes : list of str
        Plain-language notes (wards without a profile, ``k`` lowered, ...).
    """

    labels: pd.Series
    numbers: pd.Series
    centres: pd.DataFrame
    k: int
    silhouette: dict[int, float]
    seed: int
    mean: dict[str, float]
    sd: dict[str, float]
    dimensions: list[str]
    k_requested: int | None = None
    notes: list[str] = field(default_factory=list)

    def for_city(self, city: Any = None) -> pd.Series:
        """The labels of one city's wards, indexed by ward ID (``city=None``: profiles of a single city)."""
        if not isinstance(self.labels.index, pd.MultiIndex):
            if city is not None:
                raise DataError("These profiles were learned on one city's wards: call for_city() without a city.")
            return self.labels
        if city not in self.labels.index.get_level_values(0):
            return pd.Series([], index=pd.Index([], name="ward_id"), dtype="string")
        return self.labels.xs(city, level=0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe description for an export's metadata: the rule, ``k``, seed, centres and notes."""
        centres = []
        for number, row in self.centres.iterrows():
            centres.append(
                {
                    "profile": int(number),
                    "label": row["label"],
                    "name": row["name"],
                    "wards": int(row["wards"]),
                    "centre": {d: _round(row[d]) for d in self.dimensions},
                    "centre_z": {d: _round(row[f"{d}_z"]) for d in self.dimensions},
                }
            )
        return {
            "column": "risk_profile",
            "rule": RULE,
            "standardised": True,
            "k": self.k,
            "k_requested": self.k_requested if self.k_requested is not None else "auto (silhouette)",
            "silhouette": {str(k): _round(v) for k, v in self.silhouette.items()},
            "seed": self.seed,
            "wards": int(self.numbers.notna().sum()),
            "mean": {d: _round(v) for d, v in self.mean.items()},
            "sd": {d: _round(v) for d, v in self.sd.items()},
            "centres": centres,
            "notes": list(self.notes),
        }


def _round(x: float) -> float | None:
    return None if x is None or x != x else round(float(x), 4)


def profile_name(z: Mapping[str, float], high: float = HIGH) -> str:
    """The name of a profile from its centre's standardised dimension scores (the rule of this module).

    Examples
    --------
    >>> profile_name({"individual": 0.1, "institutional": -0.2, "ideological": 1.4})
    'mainly ideological'
    >>> profile_name({"individual": 0.9, "institutional": 0.6, "ideological": 1.4})
    'all three high'
    >>> profile_name({"individual": 0.9, "institutional": -0.6, "ideological": 1.4})
    'individual and ideological high'
    >>> profile_name({"individual": -0.9, "institutional": -0.6, "ideological": -1.4})
    'all low'
    """
    words = {d: d.replace("_", " ") for d in z}
    highs = [d for d, v in z.items() if v >= high]
    if highs and len(highs) == len(z):
        return "all three high" if len(z) == 3 else "all high"
    if len(highs) == 1:
        return f"mainly {words[highs[0]]}"
    if highs:
        return " and ".join(words[d] for d in highs) + " high"
    if all(v <= -high for v in z.values()):
        return "all low"
    return "near average"


def risk_profiles(scores: pd.DataFrame, k: int | None = None, seed: int | None = DEFAULT_SEED) -> Profiles:
    """Group wards into risk profiles by their dimension scores (see the module's docstring for the whole rule).

    Parameters
    ----------
    scores : pandas.DataFrame
        One column per dimension score (e.g. ``individual_score``; a ``_score`` suffix is dropped from the
        names), indexed by ward ID, or by (city, ward ID) for several cities pooled (:func:`pooled_scores`).
    k : int, optional
        The number of profiles (1 or more); default: chosen between 2 and 6 by silhouette.
    seed : int, optional
        The KMeans seed (``None``: 0, so that the result still repeats).

    Returns
    -------
    Profiles

    Raises
    ------
    DataError
        No dimension column, a duplicated ward, a non-numeric score, a bad ``k``.

    Examples
    --------
    >>> profiles = risk_profiles(result.scores.scores.set_index(ids)[["individual_score", ...]])  # doctest: +SKIP
    >>> profiles.for_city()["KMC-001"]                                                           # doctest: +SKIP
    'P2: mainly ideological'
    """
    frame = _checked_scores(scores, k)
    seed = DEFAULT_SEED if seed is None else int(seed)
    dimensions = list(frame.columns)
    complete = frame.notna().all(axis=1)
    notes = _missing_note(frame.index[~complete])
    values = frame[complete].to_numpy(dtype=float)
    mean, sd = _mean_sd(values, len(dimensions))
    z = np.where(sd > 0, (values - mean) / np.where(sd > 0, sd, 1.0), 0.0)
    codes, chosen_k, silhouette = _cluster(z, k, seed, notes)
    numbers, centres = _canonical(codes, values, z, dimensions, chosen_k)
    number_per_ward = pd.Series(pd.array([pd.NA] * len(frame), dtype="Int64"), index=frame.index)
    number_per_ward[complete.to_numpy()] = numbers
    label_of = dict(zip(centres.index, centres["label"]))
    labels = number_per_ward.map(label_of, na_action="ignore").astype("string")
    return Profiles(
        labels=labels.rename("risk_profile"),
        numbers=number_per_ward.rename("profile"),
        centres=centres,
        k=chosen_k,
        silhouette=silhouette,
        seed=seed,
        mean=dict(zip(dimensions, map(float, mean))),
        sd=dict(zip(dimensions, map(float, sd))),
        dimensions=dimensions,
        k_requested=k,
        notes=notes,
    )


def _checked_scores(scores: pd.DataFrame, k) -> pd.DataFrame:
    """The scores as floats, columns named by dimension, rows sorted by key; a clear message for bad input."""
    if not isinstance(scores, pd.DataFrame) or scores.shape[1] == 0:
        raise DataError("Risk profiles need a table of dimension scores (one column per dimension), keyed by ward ID.")
    if k is not None and (isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= MAX_PROFILES):
        raise DataError(
            f"The number of risk profiles must be a whole number from 1 to {MAX_PROFILES}, or None (auto), not {k!r}."
        )
    if scores.index.has_duplicates:
        dup = scores.index[scores.index.duplicated()].unique()[:10]
        raise DataError(f"Ward(s) {list(dup)} appear more than once in the scores: give one row per ward.")
    frame = scores.rename(columns=lambda c: str(c).removesuffix("_score"))
    for column in frame.columns:
        numeric = pd.to_numeric(frame[column], errors="coerce")
        bad = frame.index[numeric.isna() & frame[column].notna()]
        if len(bad):
            raise DataError(f"Dimension score '{column}' is not a number for ward(s) {list(bad[:10])}.")
        frame[column] = numeric.astype(float)
    return frame.sort_index()


def _mean_sd(values: np.ndarray, n_dims: int) -> tuple[np.ndarray, np.ndarray]:
    """Per dimension, the mean and population standard deviation (NaN when no ward takes part)."""
    if not len(values):
        return np.full(n_dims, np.nan), np.full(n_dims, np.nan)
    return values.mean(axis=0), values.std(axis=0)


def _missing_note(missing: pd.Index) -> list[str]:
    if not len(missing):
        return []
    shown = ", ".join(map(_key_text, missing[:20])) + (" ..." if len(missing) > 20 else "")
    return [f"{len(missing)} ward(s) lack a dimension score and get no risk profile: {shown}."]


def _key_text(key) -> str:
    return " / ".join(map(str, key)) if isinstance(key, tuple) else str(key)


def _cluster(z: np.ndarray, k, seed: int, notes: list[str]) -> tuple[np.ndarray, int, dict[int, float]]:
    """Cluster codes per row of ``z``, the number of profiles and the silhouette per ``k`` tried.

    Above :data:`FIT_SAMPLE` wards, KMeans is fitted on a seeded sample of them and every ward is assigned to its
    nearest centre (a note says so). One thread: on a few thousand points OpenMP's threads cost more than they
    save, and far more on a busy machine (bench/bench_profiles.py).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _cluster_rows(z, k, seed, notes)


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


def _canonical(codes: np.ndarray, values: np.ndarray, z: np.ndarray, dimensions: Sequence[str], k: int):
    """Profile numbers per row (1 = highest total score) and the table of centres, named."""
    present = np.unique(codes)
    centre = {c: values[codes == c].mean(axis=0) for c in present}
    centre_z = {c: z[codes == c].mean(axis=0) for c in present}
    order = sorted(present, key=lambda c: (-centre[c].sum(), tuple(-centre[c])))
    number_of = {c: i + 1 for i, c in enumerate(order)}
    rows = []
    for c in order:
        name = profile_name(dict(zip(dimensions, centre_z[c])))
        row = {"label": f"P{number_of[c]}: {name}", "name": name, "wards": int((codes == c).sum())}
        row.update(dict(zip(dimensions, map(float, centre[c]))))
        row.update({f"{d}_z": float(v) for d, v in zip(dimensions, centre_z[c])})
        rows.append(row)
    columns = ["label", "name", "wards", *dimensions, *[f"{d}_z" for d in dimensions]]
    centres = pd.DataFrame(rows, columns=columns, index=pd.Index([number_of[c] for c in order], name="profile"))
    numbers = np.array([number_of[c] for c in codes], dtype=int)
    return numbers, centres


# ------------------------------------------------------------------------------------------ scored cities, pooled


def dimension_scores(result) -> pd.DataFrame:
    """A scored city's dimension scores indexed by ward ID (wards on the map; no data stays NaN)."""
    layer = result.layer
    columns = [f"{d}_score" for d in result.dimension_names]
    frame = pd.DataFrame(layer[columns].to_numpy(dtype=float), columns=columns)
    frame.index = pd.Index(layer["ward_id"].astype(str).to_numpy(), name="ward_id")
    return frame


def pooled_scores(results: Mapping[str, Any]) -> pd.DataFrame:
    """Several scored cities' dimension scores in one table indexed by (city, ward ID): profiles learned on it
    mean the same in every city.

    Parameters
    ----------
    results : mapping of str to RiskResult
        City name -> scored city (all scored with the same dimensions).
    """
    frames = {city: dimension_scores(r) for city, r in results.items()}
    if not frames:
        raise DataError("No scored city to learn risk profiles on.")
    columns = [list(f.columns) for f in frames.values()]
    if any(c != columns[0] for c in columns):
        raise DataError("The cities were scored with different dimensions: profiles need the same dimensions.")
    return pd.concat(frames, names=["city", "ward_id"])


def profile_results(results: Mapping[str, Any], k: int | None = None, seed: int | None = DEFAULT_SEED) -> Profiles:
    """Learn risk profiles on several scored cities pooled and write each city's into its ``layer`` (column
    ``risk_profile``) and ``profiles`` attribute.

    Parameters
    ----------
    results : mapping of str to RiskResult
        City name -> scored city; changed in place.
    k, seed
        As in :func:`risk_profiles`.

    Returns
    -------
    Profiles
        The pooled profiles (indexed by (city, ward ID)).
    """
    profiles = risk_profiles(pooled_scores(results), k=k, seed=seed)
    if len(results) > 1:
        profiles.notes.append(
            f"Risk profiles learned on the wards of {len(results)} cities pooled ({', '.join(map(str, results))}): "
            "a profile means the same in every one of them."
        )
    for city, result in results.items():
        attach_profiles(result, profiles, city)
    return profiles


def attach_profiles(result, profiles: Profiles, city: Any = None) -> None:
    """Write ``profiles``' labels of ``city`` into ``result.layer['risk_profile']`` (by ward ID) and keep them."""
    labels = profiles.for_city(city)
    result.layer["risk_profile"] = labels.reindex(result.layer["ward_id"].astype(str)).to_numpy()
    result.profiles = profiles


def profiles_of(result, k: int | None = None, seed: int | None = DEFAULT_SEED) -> Profiles:
    """Learn one scored city's risk profiles and attach them (:func:`attach_profiles`)."""
    profiles = risk_profiles(dimension_scores(result), k=k, seed=seed)
    attach_profiles(result, profiles)
    return profiles
