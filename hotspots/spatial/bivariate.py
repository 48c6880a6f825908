"""How kinds of risk meet: bivariate local Moran and correlations between dimension scores."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hotspots.errors import DataError

from .graph import NeighbourGraph, _subgraph, align_values
from .local import DEFAULT_PERMUTATIONS, moran_clusters, moran_from_z, moran_tail
from .multitest import adjust_pvalues, check_correction
from .permutation import check_permutations, conditional_permutation_test


@dataclass
class BivariateLocalMoranResult:
    """Bivariate local Moran's I of x against the spatial lag of y (``esda.Moran_Local_BV``).

    Attributes
    ----------
    Is : numpy.ndarray
        Local statistics (NaN for islands and wards with no data).
    p_sim : numpy.ndarray
        Two-sided, tie-aware conditional-permutation pseudo p-values (raw), in the graph's order.
    q : numpy.ndarray
        Quadrants (1 high-high, 2 low-high, 3 low-low, 4 high-low; 0 for islands / no data).
    frame : pandas.DataFrame
        ``bv_i``, ``bv_p``, ``bv_p_adj``, ``bv_q``, ``bv_cluster`` per ward.
    metadata : dict
    """

    Is: np.ndarray  # noqa: N815 -- esda's name
    p_sim: np.ndarray
    q: np.ndarray
    frame: pd.DataFrame
    metadata: dict[str, Any]


def bivariate_local_moran(
    x: pd.Series,
    y: pd.Series,
    graph: NeighbourGraph,
    permutations: int | str = DEFAULT_PERMUTATIONS,
    seed: int | None = 12345,
    correction: str = "fdr",
    alpha: float = 0.05,
) -> BivariateLocalMoranResult:
    """Bivariate local Moran's I: ward's x against the mean y of its neighbours (row-standardised).

    ``I_i = (n - 1) zx_i lag(zy)_i / sum(zx^2)``, equal to ``esda.Moran_Local_BV(x, y, w).Is``. Conditional
    permutation holds ``x_i`` fixed and draws the neighbours' ``y`` from the other wards. Wards where either value
    is NaN are left out (subgraph); clusters use the corrected two-sided p-value <= ``alpha`` and the tail of I
    that agrees with the quadrant. ``x`` and ``y`` are keyed by ward ID (Series or dict).
    """
    correction = check_correction(correction)
    permutations = check_permutations(permutations)
    x_all = align_values(x, graph, "x")
    y_all = align_values(y, graph, "y")
    n = graph.n
    keep = ~np.isnan(x_all) & ~np.isnan(y_all)
    indptr, indices = _subgraph(graph.indptr, graph.indices, keep)
    xs, ys = x_all[keep], y_all[keep]
    if len(xs) < 3:
        raise DataError(f"Only {len(xs)} wards have both values; need at least 3.")
    with np.errstate(divide="ignore", invalid="ignore"):
        zx = (xs - xs.mean()) / xs.std()
        zy = (ys - ys.mean()) / ys.std()
    i_sub, q_sub = moran_from_z(zx, zy, indptr, indices)
    card = np.diff(indptr)
    p_sub = np.full(len(xs), np.nan)
    tail = np.zeros(len(xs), dtype=np.int64)
    test = None
    if permutations != 0 and np.ptp(ys) > 0:
        test = conditional_permutation_test(ys, indptr, indices, permutations, seed, correction)
        p_sub = np.where(zx == 0, 1.0, test.p)
        tail = moran_tail(test.tail, zx)
    local_i = np.full(n, np.nan)
    local_i[keep] = i_sub
    p = np.full(n, np.nan)
    p[keep] = p_sub
    q = np.zeros(n, dtype=np.int64)
    q[keep] = q_sub
    p_adj = adjust_pvalues(p, correction)
    i_tail = np.zeros(n, dtype=np.int64)
    i_tail[keep] = tail
    cluster = moran_clusters(q, p_adj, i_tail, alpha)
    tested = np.zeros(n, dtype=bool)
    tested[keep] = (card > 0) & (test is not None)
    cluster[keep & ~tested] = "not tested"
    cluster[~keep] = "no data"
    ids = graph.ward_ids.astype(str)
    frame = pd.DataFrame(
        {"ward_id": ids, "bv_i": local_i, "bv_p": p, "bv_p_adj": p_adj, "bv_q": q, "bv_cluster": cluster},
        index=pd.Index(ids, name="ward_id"),
    )
    metadata = {
        "graph": graph.describe(),
        "permutations": test.plan if test is not None else 0,
        "seed": None if seed is None else int(seed),
        "correction": correction,
        "p_value": "two-sided conditional permutation pseudo p-value, ties counted as at least as extreme",
        "alpha": float(alpha),
        "no_data": [str(w) for w in graph.ward_ids[~keep]],
        "counts": {str(k): int(v) for k, v in pd.Series(cluster).value_counts().items()},
    }
    return BivariateLocalMoranResult(Is=local_i, p_sim=p, q=q, frame=frame, metadata=metadata)


@dataclass
class DimensionCorrelation:
    """Pearson and Spearman correlation matrices between dimension scores (pairwise complete wards)."""

    pearson: pd.DataFrame
    spearman: pd.DataFrame
    n: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe nested dictionaries (NaN as None)."""

        def clean(frame: pd.DataFrame) -> dict:
            return {
                str(r): {str(c): (None if pd.isna(v) else float(v)) for c, v in row.items()}
                for r, row in frame.iterrows()
            }

        return {"pearson": clean(self.pearson), "spearman": clean(self.spearman), "n": clean(self.n)}


def dimension_correlation(frame: pd.DataFrame, columns: Sequence[str]) -> DimensionCorrelation:
    """Pearson and Spearman correlations between dimension scores.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per ward.
    columns : sequence of str
        The dimension score columns (at least two).

    Returns
    -------
    DimensionCorrelation
        ``pearson`` and ``spearman`` matrices and ``n``, the number of wards with both values for each pair.
    """
    columns = list(columns)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"Columns {missing} not found; columns are {list(map(str, frame.columns))}.")
    if len(columns) < 2:
        raise DataError("dimension_correlation needs at least two columns.")
    data = frame[columns].apply(pd.to_numeric, errors="coerce")
    present = data.notna().astype(np.float64)
    counts = present.T @ present
    return DimensionCorrelation(
        pearson=data.corr(method="pearson"),
        spearman=data.corr(method="spearman"),
        n=counts.astype(np.int64),
    )
