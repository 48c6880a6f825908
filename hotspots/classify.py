"""Class breaks for maps, five labelled classes plus "No data".

Quantiles, equal interval and fixed thresholds reproduce mapclassify's classes in numpy (tested against it):
importing mapclassify takes seconds because it compiles numba kernels. Fisher-Jenks uses mapclassify itself.

Each scheme is a small mapclassify class; the name-to-class dispatch is a dict, not an if/elif chain.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import DataError

CLASS_LABELS = ("Very low", "Low", "Medium", "High", "Very high")
NO_DATA = "No data"
DEFAULT_THRESHOLDS = (2.0, 4.0, 6.0, 8.0)
FISHER_JENKS_SAMPLE_ABOVE = 2000  # exact Fisher-Jenks is O(n^2): sample above this many wards


class _Bins:
    """Upper class bounds and class ids, as a mapclassify classifier exposes them (``bins``, ``yb``)."""

    def __init__(self, values: np.ndarray, bins) -> None:
        self.bins = np.asarray(bins, dtype=float)
        # mapclassify's bin1d: class j holds bins[j-1] < x <= bins[j]
        self.yb = np.searchsorted(self.bins, values, side="left")


def _quantiles(values, k, thresholds):
    # as mapclassify.Quantiles (same percentiles, linear interpolation, repeated bounds collapsed), in numpy:
    # importing mapclassify costs seconds (it compiles numba kernels), too slow for a first map
    w = 100.0 / k
    pct = np.minimum(np.arange(w, 100 + w, w)[:k], 100.0)
    return _Bins(values, np.unique(np.percentile(values, pct)))


def _equal_interval(values, k, thresholds):
    # as mapclassify.EqualInterval
    lo, hi = float(values.min()), float(values.max())
    width = (hi - lo) / k
    cuts = np.arange(lo + width, hi + width, width)[:k]
    cuts[-1] = hi
    return _Bins(values, cuts)


def _fixed(values, k, thresholds):
    # as mapclassify.UserDefined with the top class closed at max(10, max(values))
    return _Bins(values, list(thresholds or DEFAULT_THRESHOLDS) + [max(10.0, float(np.max(values)))])


def _fisher_jenks(values, k, thresholds):
    import mapclassify

    if len(values) > FISHER_JENKS_SAMPLE_ABOVE:
        return mapclassify.FisherJenksSampled(values, k=k, pct=min(1.0, FISHER_JENKS_SAMPLE_ABOVE / len(values)))
    return mapclassify.FisherJenks(values, k=k)


SCHEMES = {
    "quantiles": _quantiles,
    "fisher_jenks": _fisher_jenks,
    "equal_interval": _equal_interval,
    "fixed": _fixed,
}


@dataclass
class Classification:
    """Class of every ward and the class breaks.

    Attributes
    ----------
    labels : per ward, one of ``CLASS_LABELS`` or ``"No data"``.
    codes : per ward, 0..4 (``-1`` for no data).
    bins : upper bound of each class (as mapclassify's ``bins``); may hold fewer than five classes when the values
        have fewer distinct levels.
    scheme : the scheme's name.
    counts : wards per label, "No data" included.
    """

    labels: pd.Series
    codes: np.ndarray
    bins: list[float]
    scheme: str
    counts: dict[str, int]

    def to_dict(self) -> dict:
        return {"scheme": self.scheme, "bins": self.bins, "labels": list(CLASS_LABELS), "counts": self.counts}


def classify(values, scheme: str = "quantiles", k: int = 5, thresholds=None, index=None,
             reference=None) -> Classification:
    """Put values into five classes labelled Very low .. Very high; NaN becomes "No data".

    Parameters
    ----------
    values : scores (0-10), NaN for wards without a score.
    scheme : "quantiles", "fisher_jenks", "equal_interval" or "fixed" (``thresholds`` on the 0-10 scale).
    k : number of classes (5).
    thresholds : four increasing cut points for "fixed" (default 2, 4, 6, 8).
    reference : values to learn the class breaks from (default: ``values``), e.g. the scores of several cities
        pooled, so that a class means the same in every city. Values above the top break go to the top class.
    """
    if scheme not in SCHEMES:
        raise DataError(f"Unknown classification '{scheme}'; use one of {', '.join(SCHEMES)}.")
    arr = np.asarray(values, dtype=float)
    ref = arr if reference is None else np.asarray(reference, dtype=float)
    ref = ref[~np.isnan(ref)]
    ok = ~np.isnan(arr)
    codes = np.full(arr.shape, -1, dtype=int)
    bins: list[float] = []
    if ok.any() and ref.size:
        if np.unique(ref).size == 1:
            bins = [float(ref[0])]
            middle = 2 if scheme != "fixed" else int(np.searchsorted(list(thresholds or DEFAULT_THRESHOLDS), ref[0]))
            codes[ok] = middle
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = SCHEMES[scheme](ref, k, thresholds)
            bins = [float(b) for b in result.bins]
            # mapclassify's bin1d: class j holds bins[j-1] < x <= bins[j]
            yb = np.minimum(np.searchsorted(np.asarray(bins), arr[ok], side="left"), len(bins) - 1)
            if len(bins) < k and scheme != "fixed":
                # fewer distinct levels than classes (a small city): spread the classes we have over the 5 labels
                yb = np.rint(yb * (k - 1) / max(len(bins) - 1, 1)).astype(int)
            codes[ok] = yb
    label_arr = np.where(codes >= 0, np.array(CLASS_LABELS, dtype=object)[np.clip(codes, 0, k - 1)], NO_DATA)
    labels = pd.Series(label_arr, index=index, name="risk_class", dtype=object)
    counts = {lab: int((label_arr == lab).sum()) for lab in (*CLASS_LABELS, NO_DATA)}
    return Classification(labels=labels, codes=codes, bins=bins, scheme=scheme, counts=counts)
