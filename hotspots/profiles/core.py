"""Risk profiles of a table of dimension scores: :func:`risk_profiles`, :class:`Profiles`, the naming rule."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from .kmeans import MAX_K, MIN_K, N_INIT, cluster

#: At most this many profiles (a map tells no more categories apart; one code character per ward on the map).
MAX_PROFILES = 10
#: A dimension is "high" in a centre this many standard deviations above the mean of the wards (and "low" below).
HIGH = 0.5
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
    codes, chosen_k, silhouette = cluster(z, k, seed, notes)
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
