"""One row per scored city: how much risk its wards hold, for how many people, and where it comes from.

:func:`city_summary` is the table of a workshop's wall (every group's city side by side) and of the command line's
multi-city summary. It reads the scored layers only; it never re-scores.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from hotspots.classify import CLASS_LABELS

#: The leading columns of :func:`city_summary`; the dimension columns (``<dimension>_mean``,
#: ``<dimension>_median``) follow them, then :data:`SHARE_COLUMNS`.
HEAD_COLUMNS = ("city", "wards", "wards_with_score", "population", "mean_risk", "median_risk")
#: The trailing columns of :func:`city_summary`.
SHARE_COLUMNS = (
    "share_wards_top_class",
    "share_population_top_class",
    "share_wards_hot_spots",
    "share_population_hot_spots",
    "dominant_dimension",
)


def city_summary(results: Mapping[str, Any]) -> pd.DataFrame:
    """Summarise scored cities, one row each.

    Parameters
    ----------
    results : mapping of str to RiskResult
        City label -> scored city (:func:`hotspots.score_city`, :func:`hotspots.score_cities`); only its ``layer``
        (``risk_score``, ``risk_class``, ``<dimension>_score``, the population column and, when hot spots were
        tested, ``hotspot_class``) and ``framework`` (dimension names, population column) are read.

    Returns
    -------
    pandas.DataFrame
        One row per city, in the order given. ``wards`` on the map; ``wards_with_score``; ``population``, the
        residents of the scored wards (NaN when the table has no population); ``mean_risk`` and ``median_risk`` of the
        risk score (0-10); ``<dimension>_mean`` and ``<dimension>_median`` for every dimension of any city (NaN
        where a city's model has no such dimension); ``share_wards_top_class`` and ``share_population_top_class``:
        the share of the scored wards, and of their residents, in the top class ("Very high");
        ``share_wards_hot_spots`` and ``share_population_hot_spots``: the same for significant hot spots (any
        confidence; NaN when hot spots were not tested); ``dominant_dimension``: the dimension with the highest
        mean score ("" when none has a score). Shares of population count only wards whose population is known.

    Examples
    --------
    >>> table = city_summary({"Kolkata": kolkata_result, "Dhaka": dhaka_result})  # doctest: +SKIP
    >>> table[["city", "mean_risk", "share_population_hot_spots"]]  # doctest: +SKIP
    """
    dimensions = list(dict.fromkeys(d for result in results.values() for d in result.framework.dimension_names))
    rows = [_city_row(label, result.layer, result.framework, dimensions) for label, result in results.items()]
    dimension_columns = [f"{d}_{stat}" for d in dimensions for stat in ("mean", "median")]
    return pd.DataFrame(rows, columns=[*HEAD_COLUMNS, *dimension_columns, *SHARE_COLUMNS])


def _city_row(label: str, layer: pd.DataFrame, framework, dimensions: list[str]) -> dict[str, Any]:
    """One city's row: counts, risk, dimension scores, shares, dominant dimension."""
    risk = pd.to_numeric(layer["risk_score"], errors="coerce")
    scored = risk.notna()
    population = _population(layer, framework.population_column).where(scored)
    top = layer["risk_class"].astype(str).eq(CLASS_LABELS[-1]) & scored if "risk_class" in layer else scored & False
    hot = layer["hotspot_class"].astype(str).str.startswith("hot") & scored if "hotspot_class" in layer else None
    means = {}
    row: dict[str, Any] = {
        "city": label,
        "wards": len(layer),
        "wards_with_score": int(scored.sum()),
        "population": float(population.sum()) if population.notna().any() else float("nan"),
        "mean_risk": float(risk.mean()),
        "median_risk": float(risk.median()),
    }
    for dimension in dimensions:
        column = f"{dimension}_score"
        values = pd.to_numeric(layer[column], errors="coerce") if column in layer else pd.Series(dtype=float)
        row[f"{dimension}_mean"], row[f"{dimension}_median"] = float(values.mean()), float(values.median())
        if values.notna().any():
            means[dimension] = float(values.mean())
    row.update(
        share_wards_top_class=_share(top, scored),
        share_population_top_class=_share_of_people(top, population),
        share_wards_hot_spots=float("nan") if hot is None else _share(hot, scored),
        share_population_hot_spots=float("nan") if hot is None else _share_of_people(hot, population),
        dominant_dimension=max(means, key=means.get) if means else "",
    )
    return row


def _population(layer: pd.DataFrame, column: str) -> pd.Series:
    """Residents per ward (NaN where unknown, or everywhere when the layer has no population column)."""
    if column not in layer:
        return pd.Series(float("nan"), index=layer.index)
    return pd.to_numeric(layer[column], errors="coerce")


def _share(selected: pd.Series, scored: pd.Series) -> float:
    """Share of the scored wards that are selected (NaN when none is scored)."""
    n = int(scored.sum())
    return float((selected & scored).sum() / n) if n else float("nan")


def _share_of_people(selected: pd.Series, population: pd.Series) -> float:
    """Share of the residents of the scored wards (population known) who live in a selected ward."""
    known = population.notna()
    total = float(population[known].sum())
    return float(population[known & selected].sum() / total) if total > 0 else float("nan")
