"""Class breaks for maps, five labelled classes plus "No data": the one place where class breaks are computed.

Every scheme is a small class in the manner of mapclassify's classifiers: the shared work (clean the values, sort
them, assign classes, spread fewer classes over the five labels, write notes) lives once in :func:`classify`, and
a scheme only sets ``bins``, the upper bound of each class. :data:`SCHEMES` maps each scheme's name to its class;
it is the one list of scheme names (the framework, the command line and the app take theirs from it).
:mod:`hotspots.maps` draws the classes made here (a :class:`Classification`, or bins learned here).

Quantiles, equal interval and fixed thresholds reproduce mapclassify's classes in numpy (tested against it):
importing mapclassify takes seconds because it compiles numba kernels. Fisher-Jenks runs mapclassify's exact
algorithm, above :data:`FISHER_JENKS_SAMPLE_SIZE` values on evenly spaced order statistics of the sorted values (a
deterministic sample: the same values, in any row order, always give the same breaks).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import DataError

CLASS_LABELS = ("Very low", "Low", "Medium", "High", "Very high")
NO_DATA = "No data"
DEFAULT_THRESHOLDS = (2.0, 4.0, 6.0, 8.0)
#: Exact Fisher-Jenks is O(k n^2): above this many values it runs on this many evenly spaced order statistics.
FISHER_JENKS_SAMPLE_SIZE = 2000
USER_DEFINED = "user_defined"


class Scheme:
    """Base of the classification schemes: learns the upper class bounds ``bins`` from reference values.

    As in mapclassify, a subclass only sets ``self.bins`` (increasing) in :meth:`_set_bins`; the constructor has
    already sorted the values and dropped missing ones.

    Parameters
    ----------
    values : array-like
        Reference values (NaN is dropped).
    k : int
        Number of classes wanted.
    thresholds : sequence of float, optional
        Cut points, for schemes that take them (``fixed``).
    """

    name = ""
    description = ""

    def __init__(self, values, k: int = 5, thresholds=None) -> None:
        values = np.asarray(values, dtype=float)
        self.values = np.sort(values[~np.isnan(values)])
        self.k = int(k)
        self.thresholds = thresholds
        self.bins = np.empty(0)
        if self.values.size:
            self._set_bins()
        self.bins = np.asarray(self.bins, dtype=float)

    def _set_bins(self) -> None:  # pragma: no cover - every scheme overrides it
        raise NotImplementedError


class Quantiles(Scheme):
    """As ``mapclassify.Quantiles``: same percentiles, linear interpolation, repeated bounds collapsed."""

    name = "quantiles"
    description = "about the same number of wards in each class"

    def _set_bins(self) -> None:
        width = 100.0 / self.k
        pct = np.minimum(np.arange(width, 100 + width, width)[: self.k], 100.0)
        self.bins = np.unique(np.percentile(self.values, pct))


class EqualInterval(Scheme):
    """As ``mapclassify.EqualInterval``: classes of equal width between the smallest and largest value."""

    name = "equal_interval"
    description = "classes of equal width"

    def _set_bins(self) -> None:
        lo, hi = float(self.values[0]), float(self.values[-1])
        if hi == lo:  # one level: one class (mapclassify would divide by a zero width)
            self.bins = [hi]
            return
        width = (hi - lo) / self.k
        cuts = np.arange(lo + width, hi + width, width)[: self.k]
        cuts[-1] = hi
        self.bins = cuts


class Fixed(Scheme):
    """As ``mapclassify.UserDefined`` with ``thresholds`` and the top class closed at ``max(10, max(values))``."""

    name = "fixed"
    description = "fixed thresholds on the 0-10 scale (default 2, 4, 6, 8)"

    def _set_bins(self) -> None:
        cuts = [*(self.thresholds or DEFAULT_THRESHOLDS), max(10.0, float(self.values[-1]))]
        self.bins = check_bins(cuts, self.k, "the fixed thresholds")


class FisherJenks(Scheme):
    """Jenks natural breaks: the classes with the least variance within them (Fisher's exact algorithm).

    With at most ``k`` distinct values each value is a class of its own (no variance within classes: the optimum,
    where mapclassify raises). Above :data:`FISHER_JENKS_SAMPLE_SIZE` values the breaks are learned from evenly
    spaced order statistics of the sorted values, the smallest and largest included, and the top bound is the
    largest value: deterministic, unlike mapclassify's randomly sampled ``FisherJenksSampled``.
    """

    name = "fisher_jenks"
    description = "Jenks natural breaks, least variance within classes"

    def _set_bins(self) -> None:
        levels = np.unique(self.values)
        if levels.size <= self.k:
            self.bins = levels
            return
        sample = order_statistics(self.values, FISHER_JENKS_SAMPLE_SIZE)
        import mapclassify

        k = min(self.k, int(np.unique(sample).size))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bins = np.asarray(mapclassify.FisherJenks(sample, k=k).bins, dtype=float)
        bins[-1] = self.values[-1]
        self.bins = np.unique(bins)


#: Scheme name -> scheme class: the one list of classification names.
SCHEMES: dict[str, type[Scheme]] = {scheme.name: scheme for scheme in (Quantiles, FisherJenks, EqualInterval, Fixed)}


def order_statistics(sorted_values: np.ndarray, size: int) -> np.ndarray:
    """``size`` evenly spaced order statistics of sorted values (first and last included); all when fewer."""
    n = len(sorted_values)
    if n <= size:
        return sorted_values
    return sorted_values[np.rint(np.linspace(0, n - 1, size)).astype(np.int64)]


def scheme_class(scheme: str) -> type[Scheme]:
    """The class of a scheme name, or a :class:`DataError` naming every valid scheme."""
    try:
        return SCHEMES[scheme]
    except (KeyError, TypeError):
        valid = "; ".join(f"'{name}' ({cls.description})" for name, cls in SCHEMES.items())
        raise DataError(f"Unknown classification {scheme!r}: use one of {valid}.") from None


def check_bins(bins, k: int = len(CLASS_LABELS), what: str = "the classes") -> list[float]:
    """Upper class bounds given by a caller, checked: 1 to ``k`` finite, increasing numbers."""
    try:
        out = [float(b) for b in bins]
    except (TypeError, ValueError):
        raise DataError(f"Class breaks for {what} must be numbers, got {bins!r}.") from None
    if not out or len(out) > k or not np.all(np.isfinite(out)) or any(b2 <= b1 for b1, b2 in zip(out, out[1:])):
        raise DataError(f"Class breaks for {what} must be 1 to {k} increasing upper bounds, got {out}.")
    return out


def label_levels(n_classes: int, k: int = len(CLASS_LABELS)) -> list[int]:
    """The label (0 .. k-1) of each of ``n_classes`` classes: fewer classes than labels are spread over the labels.

    One class is the middle label; two are the lowest and highest; three take labels 0, 2 and 4 of five.
    """
    if n_classes <= 0:
        return []
    if n_classes == 1:
        return [k // 2]
    return [int(v) for v in np.rint(np.linspace(0, k - 1, min(n_classes, k)))]


@dataclass
class Classification:
    """Class of every ward and the class breaks.

    Attributes
    ----------
    labels : per ward, one of ``CLASS_LABELS`` or ``"No data"``.
    codes : per ward, 0..4 (``-1`` for no data), the index of its label.
    bins : upper bound of each class (as mapclassify's ``bins``); may hold fewer than five classes when the values
        have fewer distinct levels.
    scheme : the scheme's name (``"user_defined"`` for bins given by the caller).
    counts : wards per label, "No data" included.
    levels : the label index (0..4) of each class in ``bins``; fewer classes are spread over the labels.
    notes : plain-language notes, e.g. why there are fewer classes than asked for.
    """

    labels: pd.Series
    codes: np.ndarray
    bins: list[float]
    scheme: str
    counts: dict[str, int]
    levels: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "scheme": self.scheme,
            "bins": self.bins,
            "labels": list(CLASS_LABELS),
            "counts": self.counts,
            "notes": list(self.notes),
        }


def classify(
    values, scheme: str = "quantiles", k: int = 5, thresholds=None, index=None, reference=None, bins=None
) -> Classification:
    """Put values into five classes labelled Very low .. Very high; NaN becomes "No data".

    Parameters
    ----------
    values : scores (0-10), NaN for wards without a score.
    scheme : a name in :data:`SCHEMES`: "quantiles", "fisher_jenks", "equal_interval" or "fixed" (``thresholds``
        on the 0-10 scale).
    k : number of classes (5).
    thresholds : four increasing cut points for "fixed" (default 2, 4, 6, 8).
    reference : values to learn the class breaks from (default: ``values``), e.g. the scores of several cities
        pooled, so that a class means the same in every city. Values above the top break go to the top class.
    bins : upper class bounds to use instead of learning them (1 to ``k`` increasing numbers), e.g. the ``bins``
        of another :class:`Classification`; ``scheme`` is then ignored.

    Examples
    --------
    >>> classify([1.0, 2.0, 3.0, float("nan")], "fisher_jenks").labels.tolist()
    ['Very low', 'Medium', 'Very high', 'No data']
    """
    arr = np.asarray(values, dtype=float)
    notes: list[str] = []
    if bins is not None:
        learned, name = check_bins(bins, k), USER_DEFINED
    else:
        learned_by = scheme_class(scheme)(arr if reference is None else reference, k, thresholds)
        learned, name = [float(b) for b in learned_by.bins], scheme
        notes = _fewer_classes_notes(learned_by, len(learned))
    return _assign(arr, learned, name, k, index, notes)


def _fewer_classes_notes(learned: Scheme, n_classes: int) -> list[str]:
    if n_classes == 0 or n_classes >= learned.k or isinstance(learned, Fixed):
        return []
    levels = int(np.unique(learned.values).size)
    return [
        f"{n_classes} class(es) instead of {learned.k}: the values have {levels} distinct level(s), so "
        f"{learned.name} breaks coincide; the classes are spread over the labels "
        f"({', '.join(CLASS_LABELS[i] for i in label_levels(n_classes, learned.k))})."
    ]


def _assign(arr: np.ndarray, bins: list[float], scheme: str, k: int, index, notes: list[str]) -> Classification:
    ok = ~np.isnan(arr)
    codes = np.full(arr.shape, -1, dtype=int)
    levels = label_levels(len(bins), k)
    if bins and ok.any():
        # mapclassify's bin1d: class j holds bins[j-1] < x <= bins[j]; above the top bound: the top class
        yb = np.minimum(np.searchsorted(np.asarray(bins), arr[ok], side="left"), len(bins) - 1)
        codes[ok] = np.asarray(levels)[yb]
    label_arr = np.where(codes >= 0, np.array(CLASS_LABELS, dtype=object)[np.clip(codes, 0, k - 1)], NO_DATA)
    labels = pd.Series(label_arr, index=index, name="risk_class", dtype=object)
    counts = {lab: int((label_arr == lab).sum()) for lab in (*CLASS_LABELS, NO_DATA)}
    return Classification(
        labels=labels, codes=codes, bins=list(bins), scheme=scheme, counts=counts, levels=levels, notes=notes
    )
