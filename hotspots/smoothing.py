"""Stable rates: Empirical Bayes smoothing of counts per population, before normalisation.

A rate from a small population swings with one event more or less: 2 incidents among 300 residents is a rate of 67
per 10,000, the city's highest, by chance. Empirical Bayes (EB) pulls each ward's rate towards a reference rate,
the more the smaller its population (Marshall 1991, "Mapping disease and mortality rates using empirical Bayes
estimators", Applied Statistics 40: 283-294; as GeoDa and esda's ``smoothing`` module offer):

* ``"eb"``, global EB: the reference is the city's rate ``m = sum(e) / sum(b)``; the between-ward variance by the
  method of moments, ``s2 = sum(b * (r - m)^2) / sum(b) - m / mean(b)`` (0 when negative: then every ward gets
  ``m``); the smoothed rate ``m + (r - m) * s2 / (s2 + m / b)``;
* ``"spatial_eb"``, spatial EB: the same with the reference and variance of each ward's neighbourhood (the ward
  and its neighbours in the city's neighbour graph, keyed by ward ID), as esda's ``Spatial_Empirical_Bayes``.

``e`` is the count, ``b`` the population at risk. Wards without a count or a population are left out of the sums
and get no rate (never 0). The score uses the smoothed rate times ``per_population``; the exports keep the counts as
read; the metadata records the smoothing of every indicator. Implemented with numpy (esda is a test dependency:
tests/test_smoothing.py compares with it).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

SMOOTHINGS = ("none", "eb", "spatial_eb")
REFERENCE = "Marshall (1991) empirical Bayes, method of moments; as esda.smoothing (Empirical_Bayes, Spatial_...)"


def _valid(events: np.ndarray, population: np.ndarray) -> np.ndarray:
    return np.isfinite(events) & np.isfinite(population) & (population > 0)


def _shrink(rate, reference, variance, population) -> np.ndarray:
    """``reference + (rate - reference) * variance / (variance + reference / population)`` (weight 0 when the
    denominator is 0: no variation at all)."""
    denominator = variance + reference / population
    weight = np.divide(variance, denominator, out=np.zeros_like(rate), where=denominator > 0)
    return reference + (rate - reference) * weight


def empirical_bayes(events, population) -> np.ndarray:
    """Global EB-smoothed rates (per person) of counts ``events`` among ``population`` (NaN where either is missing).

    Examples
    --------
    The small ward's rate of 1/100 is pulled most towards the city's 11/2100 (by hand: variance 1.746e-5, weight
    1.746e-5 / (1.746e-5 + 0.005238 / 100) = 0.25, so 0.005238 + 0.25 * (0.01 - 0.005238) = 0.00643):

    >>> empirical_bayes([1, 10, 0], [100, 1000, 1000]).round(5)
    array([0.00643, 0.0089 , 0.00121])
    """
    e = np.asarray(events, dtype=float)
    b = np.asarray(population, dtype=float)
    ok = _valid(e, b)
    out = np.full(e.shape, np.nan)
    if not ok.any():
        return out
    e, b = e[ok], b[ok]
    mean = e.sum() / b.sum()
    rate = e / b
    variance = max((b * (rate - mean) ** 2).sum() / b.sum() - mean / b.mean(), 0.0)
    out[ok] = _shrink(rate, np.full(rate.shape, mean), np.full(rate.shape, variance), b)
    return out


def spatial_empirical_bayes(events: pd.Series, population: pd.Series, graph) -> pd.Series:
    """Spatial EB-smoothed rates (per person), keyed by ward ID like ``events``.

    Parameters
    ----------
    events, population : pandas.Series indexed by ward ID (every ID must be in ``graph``).
    graph : :class:`hotspots.spatial.NeighbourGraph` of the city (binary; a ward's neighbourhood is itself and its
        neighbours).
    """
    positions = graph.position(events.index)
    e = np.full(graph.n, np.nan)
    b = np.full(graph.n, np.nan)
    e[positions] = events.to_numpy(dtype=float)
    b[positions] = population.reindex(events.index).to_numpy(dtype=float)
    ok = _valid(e, b)
    e0, b0 = np.where(ok, e, 0.0), np.where(ok, b, 0.0)
    rows = np.concatenate([np.repeat(np.arange(graph.n), np.diff(graph.indptr)), np.arange(graph.n)])
    cols = np.concatenate([graph.indices, np.arange(graph.n)])  # each ward's neighbours, and itself
    events_around = np.bincount(rows, weights=e0[cols], minlength=graph.n)
    people_around = np.bincount(rows, weights=b0[cols], minlength=graph.n)
    wards_around = np.bincount(rows, weights=ok[cols].astype(float), minlength=graph.n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = events_around / people_around
        rate = e / b
        spread = np.where(ok[cols], b0[cols] * (np.nan_to_num(rate)[cols] - mean[rows]) ** 2, 0.0)
        variance = np.bincount(rows, weights=spread, minlength=graph.n) / people_around
        variance = np.maximum(variance - mean / (people_around / wards_around), 0.0)
    smoothed = np.full(graph.n, np.nan)
    smoothed[ok] = _shrink(rate[ok], mean[ok], variance[ok], b[ok])
    return pd.Series(smoothed[positions], index=events.index)


def smooth_counts(table: pd.DataFrame, framework, graph=None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """``table`` with each smoothed indicator's count replaced by its smoothed rate times the population (so that
    the scorer's ``count / population * per_population`` is the smoothed rate), and the log of what was done.

    Parameters
    ----------
    table : the ward table (``ward_id``, the population column and the indicator columns).
    framework : the model; indicators with ``smoothing`` ``"eb"`` or ``"spatial_eb"`` are smoothed.
    graph : the city's neighbour graph (needed for ``"spatial_eb"``).
    """
    smoothed = [ind for ind in framework.indicators if ind.smoothing != "none"]
    if not smoothed:
        return table, {}
    out = table.copy()
    population = pd.to_numeric(out[framework.population_column], errors="coerce")
    log = {}
    for ind in smoothed:
        counts = pd.to_numeric(out[ind.column], errors="coerce")
        if ind.smoothing == "eb":
            rate = empirical_bayes(counts.to_numpy(), population.to_numpy())
        else:
            keyed = pd.Index(out["ward_id"].astype(str))
            rate = spatial_empirical_bayes(
                pd.Series(counts.to_numpy(), index=keyed), pd.Series(population.to_numpy(), index=keyed), graph
            ).to_numpy()
        out[ind.column] = rate * population.to_numpy()
        log[ind.column] = {
            "method": ind.smoothing,
            "reference": REFERENCE,
            "population": framework.population_column,
            **({"neighbours": graph.method} if ind.smoothing == "spatial_eb" else {}),
        }
    return out, log
