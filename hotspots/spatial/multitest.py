"""Multiple-testing correction and the confidence levels of the labels.

With hundreds of wards some look significant by chance. Benjamini-Hochberg (false discovery rate) gives the values
of scipy's ``false_discovery_control`` (tested) without importing scipy.stats; Bonferroni is ``min(p m, 1)``. The labels use ArcGIS's Gi_Bin levels, which are
two-sided: 99% (p <= 0.01), 95% (p <= 0.05), 90% (p <= 0.10).
"""

from __future__ import annotations

import numpy as np

from hotspots.errors import DataError

#: Confidence levels of the hot/cold spot classes and the (corrected, two-sided) p-value each requires.
CONFIDENCE = ((0.01, "99%"), (0.05, "95%"), (0.10, "90%"))


def _none(p: np.ndarray) -> np.ndarray:
    return p.copy()


def _bonferroni(p: np.ndarray) -> np.ndarray:
    return np.minimum(p * len(p), 1.0)


def _benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    # scipy.stats.false_discovery_control(p, method="bh") gives the same values (tested), but importing
    # scipy.stats costs 1-3 s in a fresh process (bench/RESULTS.md), more than the whole analysis of a city
    m = len(p)
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return out


#: Name -> adjustment of a vector of p-values (without NaN).
CORRECTIONS = {"none": _none, "bonferroni": _bonferroni, "fdr": _benjamini_hochberg}


def check_correction(method) -> str:
    """The correction's canonical name, or a :class:`DataError` naming the valid ones."""
    key = str(method).lower()
    if key not in CORRECTIONS:
        raise DataError(f"Unknown multiple-testing correction {method!r}. Use one of {sorted(CORRECTIONS)}.")
    return key


def adjust_pvalues(p: np.ndarray, method: str = "fdr") -> np.ndarray:
    """Adjust p-values for multiple testing; NaN entries are left NaN and not counted as tests.

    Parameters
    ----------
    p : array_like
        Raw (pseudo) p-values.
    method : {"fdr", "bonferroni", "none"}
        ``"fdr"``: Benjamini-Hochberg adjusted p-values (as ``scipy.stats.false_discovery_control``);
        ``"bonferroni"``: ``min(p * m, 1)``; ``"none"``: unchanged. ``m`` is the number of non-NaN p-values.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values. A ward is significant at level alpha when its adjusted p-value is <= alpha; for
        ``"fdr"`` this is the Benjamini-Hochberg step-up rule. ``esda.fdr(p, alpha)`` returns the threshold of the
        same rule with a strict ``<``: the two agree except when a p-value equals its rank's threshold exactly.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.03, 0.20], "fdr").round(4)
    array([0.04  , 0.0533, 0.0533, 0.2   ])
    """
    key = check_correction(method)
    p = np.asarray(p, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    finite = ~np.isnan(p)
    if finite.any():
        out[finite] = CORRECTIONS[key](p[finite])
    return out


def significance_level(p_adjusted: np.ndarray) -> np.ndarray:
    """Confidence label ('99%', '95%', '90%' or '') for each adjusted p-value (p <= level, with float slack)."""
    label = np.full(np.shape(p_adjusted), "", dtype=object)
    for level, name in reversed(CONFIDENCE):
        label[np.asarray(p_adjusted) <= level * (1 + 1e-12)] = name
    return label
