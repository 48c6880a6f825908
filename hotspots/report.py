"""Plain-language summaries of results for the people who act on them.

What a scored map holds (wards, hot spots, the highest-risk wards), and how strongly two kinds of risk go together,
in words. A front end shows these as they are; it does not count or judge results itself.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from hotspots.spatial import DimensionCorrelation

#: Upper bounds of |Spearman rho| for the words of :func:`link_strength` (the usual reading of a rank correlation:
#: below 0.1 no clear link, then weak, moderate, strong; e.g. Cohen's benchmarks 0.1 / 0.3 / 0.5).
LINK_WORDS = ((0.1, "no clear link"), (0.3, "weak"), (0.5, "moderate"), (float("inf"), "strong"))


@dataclass(frozen=True)
class MapSummary:
    """What a scored city's map layer holds.

    Attributes
    ----------
    wards : int
        Wards on the map (with or without data).
    hot_spots : int
        Wards classed as a hot spot (any confidence).
    top_score : float
        The highest risk score (NaN when no ward has one).
    top_wards : list of str
        Ward IDs of the highest-ranked wards, best first.
    """

    wards: int
    hot_spots: int
    top_score: float
    top_wards: list[str]


def summarise_layer(layer: pd.DataFrame, top: int = 3) -> MapSummary:
    """Count the wards and hot spots of a scored layer and name its highest-risk wards.

    Parameters
    ----------
    layer : pandas.DataFrame
        ``RiskResult.layer``: ``ward_id``, ``risk_score``, ``risk_rank`` and, when hot spots were tested,
        ``hotspot_class`` ("hot spot (99%)", "cold spot (95%)", "not significant", ...).
    top : int
        How many of the highest-ranked wards to name.

    Returns
    -------
    MapSummary
    """
    hot_spots = 0
    if "hotspot_class" in layer:
        hot_spots = int(layer["hotspot_class"].astype(str).str.startswith("hot").sum())
    ranked = layer.sort_values("risk_rank")["ward_id"].astype(str)
    return MapSummary(
        wards=len(layer),
        hot_spots=hot_spots,
        top_score=float(layer["risk_score"].max()),
        top_wards=ranked.head(top).tolist(),
    )


def link_strength(rho: float, n: int) -> str:
    """Plain words for a rank correlation between two kinds of risk.

    Parameters
    ----------
    rho : float
        Spearman's rank correlation.
    n : int
        Wards with both scores.

    Returns
    -------
    str
        "too few wards" (fewer than 3, or no correlation), "no clear link", or the strength and its sense, e.g.
        "moderate, together" or "weak, opposite".

    Examples
    --------
    >>> link_strength(0.42, 144)
    'moderate, together'
    >>> link_strength(-0.05, 144)
    'no clear link'
    """
    if n < 3 or rho != rho:
        return "too few wards"
    size = abs(rho)
    words = next(word for bound, word in LINK_WORDS if size < bound)
    return words if size < LINK_WORDS[0][0] else f"{words}, {'together' if rho > 0 else 'opposite'}"


def correlation_pairs(correlation: DimensionCorrelation) -> pd.DataFrame:
    """One row per pair of score columns, with both correlations, the wards behind them and a reading in words.

    Parameters
    ----------
    correlation : DimensionCorrelation
        From :func:`hotspots.spatial.dimension_correlation`.

    Returns
    -------
    pandas.DataFrame
        Columns ``first``, ``second`` (score column names, in the matrices' order), ``pearson_r``,
        ``spearman_rho``, ``n_wards`` (wards with both scores) and ``reading`` (:func:`link_strength` of Spearman's
        rho).
    """
    rows = []
    for a, b in itertools.combinations(correlation.spearman.columns, 2):
        n = int(correlation.n.loc[a, b])
        rho = float(correlation.spearman.loc[a, b])
        rows.append(
            {
                "first": a,
                "second": b,
                "pearson_r": float(correlation.pearson.loc[a, b]),
                "spearman_rho": rho,
                "n_wards": n,
                "reading": link_strength(rho, n),
            }
        )
    columns = ["first", "second", "pearson_r", "spearman_rho", "n_wards", "reading"]
    return pd.DataFrame(rows, columns=columns)


#: The columns of :func:`compare_cities`, in order.
COMPARE_COLUMNS = (
    "city",
    "wards",
    "wards_with_score",
    "mean_risk",
    "median_risk",
    "share_top_class",
    "share_hot_spots",
    "dominant_dimension",
)


def compare_cities(layers: Mapping[str, pd.DataFrame], dimensions: Sequence[str]) -> pd.DataFrame:
    """One row per city: how much risk its wards hold, and where it comes from.

    Parameters
    ----------
    layers : mapping of str to pandas.DataFrame
        City name -> ``RiskResult.layer`` (``risk_score``, ``risk_class``, ``<dimension>_score`` and, when hot spots
        were tested, ``hotspot_class``).
    dimensions : sequence of str
        The dimension names (``RiskResult.dimension_names``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COMPARE_COLUMNS`: ``wards`` on the map, ``wards_with_score``, ``mean_risk`` and
        ``median_risk`` of the risk score (0-10), ``share_top_class`` (share of the scored wards in the top class,
        "Very high"; a fifth under quantiles on each city's own scale), ``share_hot_spots`` (share of the scored
        wards that are significant hot spots, any confidence; NaN when not tested), ``dominant_dimension`` (the
        dimension with the highest mean score, "" when none has a score).

    Examples
    --------
    >>> compare_cities({r.city.name: r.layer for r in results}, results[0].dimension_names)  # doctest: +SKIP
    """
    from hotspots.classify import CLASS_LABELS

    rows = []
    for city, layer in layers.items():
        risk = pd.to_numeric(layer["risk_score"], errors="coerce")
        scored = risk.notna()
        n = int(scored.sum())
        top = layer["risk_class"].astype(str).eq(CLASS_LABELS[-1]) & scored if "risk_class" in layer else scored & False
        hot = float("nan")
        if "hotspot_class" in layer and n:
            hot = float((layer["hotspot_class"].astype(str).str.startswith("hot") & scored).sum() / n)
        means = {d: pd.to_numeric(layer[f"{d}_score"], errors="coerce").mean() for d in dimensions}
        means = {d: m for d, m in means.items() if m == m}
        rows.append(
            {
                "city": city,
                "wards": len(layer),
                "wards_with_score": n,
                "mean_risk": float(risk.mean()) if n else float("nan"),
                "median_risk": float(risk.median()) if n else float("nan"),
                "share_top_class": float(top.sum() / n) if n else float("nan"),
                "share_hot_spots": hot,
                "dominant_dimension": max(means, key=means.get) if means else "",
            }
        )
    return pd.DataFrame(rows, columns=list(COMPARE_COLUMNS))


def dimension_profile(layers: Mapping[str, pd.DataFrame], dimensions: Sequence[str]) -> pd.DataFrame:
    """One row per city and dimension: the mean, median and middle half (25th-75th percentile) of the wards'
    dimension scores, for a chart of the dimensions per city.

    Parameters
    ----------
    layers : mapping of str to pandas.DataFrame
        City name -> ``RiskResult.layer`` (``<dimension>_score`` columns; a city without one is left out of that
        dimension's rows).
    dimensions : sequence of str
        The dimension names, in the order to show them.

    Returns
    -------
    pandas.DataFrame
        Columns ``city``, ``dimension``, ``mean``, ``median``, ``q25``, ``q75`` (scores 0-10) and ``wards`` (wards
        with a score); cities and dimensions in the order given.
    """
    rows = []
    for city, layer in layers.items():
        for dimension in dimensions:
            column = f"{dimension}_score"
            if column not in layer:
                continue
            scores = pd.to_numeric(layer[column], errors="coerce").dropna()
            if scores.empty:
                continue
            q25, median, q75 = scores.quantile([0.25, 0.5, 0.75]).to_numpy()
            rows.append(
                {
                    "city": city,
                    "dimension": dimension,
                    "mean": float(scores.mean()),
                    "median": float(median),
                    "q25": float(q25),
                    "q75": float(q75),
                    "wards": int(scores.size),
                }
            )
    return pd.DataFrame(rows, columns=["city", "dimension", "mean", "median", "q25", "q75", "wards"])
