"""Plain-language summaries of results for the people who act on them.

What a scored map holds (wards, hot spots, the highest-risk wards), and how strongly two kinds of risk go together,
in words. A front end shows these as they are; it does not count or judge results itself.
"""

from __future__ import annotations

import itertools
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
