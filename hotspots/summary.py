"""The cross-city summary table: one row per scored city, for a workshop's wall or a multi-city run's CSV.

(A minimal version written for the command line's multi-city run; to be reconciled with the workspace's.)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .classify import CLASS_LABELS


def summary_columns(dimensions) -> list[str]:
    """The columns of :func:`city_summary`, in order, for the given dimension names."""
    columns = ["city", "wards", "wards_with_score", "population", "mean_risk", "median_risk"]
    for d in dimensions:
        columns += [f"mean_{d}_score", f"median_{d}_score"]
    columns += [
        "share_wards_top_class",
        "share_population_top_class",
        "share_wards_hot_spots",
        "share_population_hot_spots",
        "dominant_dimension",
    ]
    return columns


def city_summary(results: Mapping[str, object]) -> pd.DataFrame:
    """One row per city: wards, population, mean and median risk and dimension scores, the shares of wards and of
    population in the top class and in significant hot spots, and the dominant dimension.

    Parameters
    ----------
    results : mapping of str to RiskResult
        City name -> scored city (one model: the same dimensions).

    Returns
    -------
    pandas.DataFrame
        Columns :func:`summary_columns`. Shares are of the wards with a risk score (and of their population, where
        it is known); ``share_*_hot_spots`` counts every significant hot spot (90%, 95% or 99%) and is NaN when the
        hot spots were not tested; ``dominant_dimension`` is the dimension with the highest mean score ("" when
        none has one).
    """
    rows, dimensions = [], []
    for city, result in results.items():
        dimensions = result.dimension_names
        rows.append(_city_row(city, result.layer, dimensions, result.framework.population_column))
    return pd.DataFrame(rows, columns=summary_columns(dimensions))


def _city_row(city: str, layer: pd.DataFrame, dimensions, population_column: str) -> dict:
    risk = pd.to_numeric(layer["risk_score"], errors="coerce")
    scored = risk.notna().to_numpy()
    population = (
        pd.to_numeric(layer[population_column], errors="coerce").to_numpy(dtype=float)
        if population_column in layer
        else np.full(len(layer), np.nan)
    )
    top = layer["risk_class"].astype(str).eq(CLASS_LABELS[-1]).to_numpy() & scored
    tested = "hotspot_class" in layer
    hot = layer["hotspot_class"].astype(str).str.startswith("hot").to_numpy() & scored if tested else None
    row = {
        "city": city,
        "wards": len(layer),
        "wards_with_score": int(scored.sum()),
        "population": float(np.nansum(population)) if np.isfinite(population).any() else float("nan"),
        "mean_risk": float(risk.mean()),
        "median_risk": float(risk.median()),
    }
    means = {}
    for d in dimensions:
        score = pd.to_numeric(layer[f"{d}_score"], errors="coerce")
        row[f"mean_{d}_score"], row[f"median_{d}_score"] = float(score.mean()), float(score.median())
        if score.notna().any():
            means[d] = row[f"mean_{d}_score"]
    row["share_wards_top_class"] = _share(top, scored)
    row["share_population_top_class"] = _population_share(top, scored, population)
    row["share_wards_hot_spots"] = _share(hot, scored) if tested else float("nan")
    row["share_population_hot_spots"] = _population_share(hot, scored, population) if tested else float("nan")
    row["dominant_dimension"] = max(means, key=means.get) if means else ""
    return row


def _share(mask: np.ndarray, scored: np.ndarray) -> float:
    n = int(scored.sum())
    return float(mask.sum() / n) if n else float("nan")


def _population_share(mask: np.ndarray, scored: np.ndarray, population: np.ndarray) -> float:
    known = scored & np.isfinite(population)
    total = population[known].sum()
    return float(population[known & mask].sum() / total) if total > 0 else float("nan")
