"""Local statistics: Getis-Ord Gi* hot and cold spots and local Moran clusters, labelled so the labels hold.

The arithmetic reproduces esda 2.9 where esda defines it:

* Gi* z-scores equal ``esda.G_Local(y, w, star=True, transform="B").Zs`` (binary weights, the ward itself in its own
  neighbourhood, analytic moments of Getis & Ord 1992 / Ord & Getis 1995).
* Local Moran's I equals ``esda.Moran_Local(y, w, transformation="r").Is`` with the same quadrants ``q``
  (1 high-high, 2 low-high, 3 low-low, 4 high-low).

The labels do **not** follow esda's ``p_sim`` (see :mod:`hotspots.spatial.permutation`): p-values are two-sided and
count ties as at least as extreme, so that, under spatial randomness, the share of wards labelled at a level is the
level (ArcGIS's Gi_Bin: 90/95/99% two-sided). A label's direction comes from the same permutation tail as its
p-value, and must agree with the statistic's sign; where the two disagree (a ward whose own value pulls against its
neighbours') the ward is not labelled.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hotspots.errors import DataError

from .graph import NeighbourGraph, _subgraph, align_values
from .multitest import adjust_pvalues, check_correction, significance_level
from .permutation import (
    check_permutations,
    conditional_permutation_test,
    neighbour_sums,
    unreachable_note,
)

DEFAULT_PERMUTATIONS = "auto"

HOTSPOT_CLASSES = (
    "hot spot 99%",
    "hot spot 95%",
    "hot spot 90%",
    "not significant",
    "cold spot 90%",
    "cold spot 95%",
    "cold spot 99%",
    "not tested",
    "no data",
)
LISA_CLUSTERS = ("high-high", "low-low", "high-low", "low-high", "not significant", "not tested", "no data")
QUADRANT_CLUSTER = {1: "high-high", 2: "low-high", 3: "low-low", 4: "high-low"}
_STATISTICS = ("gi_star", "local_moran")

P_VALUE_RULE = (
    "two-sided conditional permutation pseudo p-value: 2 x min(upper, lower) tail share, ties counted as at least "
    "as extreme in both tails, capped at 1 (not esda's folded one-sided p_sim)"
)
HOTSPOT_RULE = (
    "ArcGIS Gi_Bin levels, two-sided: 99% (corrected p <= 0.01), 95% (<= 0.05), 90% (<= 0.10); hot or cold from the "
    "same permutation tail as the p-value, and only where the Gi* z-score has the same sign"
)


# --------------------------------------------------------------------------------------------------------------
# The statistics on complete values
# --------------------------------------------------------------------------------------------------------------


def _csr_of(graph_or_csr) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(graph_or_csr, NeighbourGraph):
        return graph_or_csr.indptr, graph_or_csr.indices
    return graph_or_csr


def local_gi_star_z(values: np.ndarray, graph_or_csr) -> np.ndarray:
    """Analytic Gi* z-scores with binary weights and the ward itself included (``esda.G_Local`` ``star=True``).

    With :math:`n` wards, :math:`\\bar y` and :math:`s^2` the mean and (population) variance of all values and
    :math:`c_i = k_i + 1` the number of wards in the neighbourhood of ward *i* including itself,

    .. math:: G^*_i = \\frac{\\sum_{j \\in N_i \\cup \\{i\\}} y_j}{\\sum_j y_j}, \\quad
              E = \\frac{c_i}{n}, \\quad
              V = \\frac{c_i (n - c_i)}{(n - 1) n^2} \\frac{s^2}{\\bar y^2}, \\quad z_i = \\frac{G^*_i - E}{\\sqrt V}.

    Islands (``k_i = 0``) get NaN. Values must be complete (no NaN) and in the graph's order; see
    :func:`hotspot_statistics` for values keyed by ward ID with gaps.
    """
    indptr, indices = _csr_of(graph_or_csr)
    y = np.asarray(values, dtype=np.float64)
    n = len(y)
    card = np.diff(indptr)
    total = y.sum()
    statistic = (neighbour_sums(y, indptr, indices) + y) / total
    mean = total / n
    variance = (y**2).sum() / n - mean**2
    c = (card + 1).astype(np.float64)
    expected = c / n
    expected_variance = c * (n - c) / (n - 1) / n**2 * variance / mean**2
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (statistic - expected) / np.sqrt(expected_variance)
    return np.where(card > 0, z, np.nan)


def local_moran_i(values: np.ndarray, graph_or_csr) -> tuple[np.ndarray, np.ndarray]:
    """Local Moran's I with row-standardised weights and esda's quadrants.

    ``I_i = (n - 1) z_i lag_i / sum(z^2)``, with ``z`` the values standardised by their population standard
    deviation and ``lag_i`` the mean of ``z`` over the neighbours (``esda.Moran_Local(..., transformation="r")``).
    Quadrant ``q``: 1 high-high, 2 low-high, 3 low-low, 4 high-low. Islands get NaN and quadrant 0.
    """
    indptr, indices = _csr_of(graph_or_csr)
    y = np.asarray(values, dtype=np.float64)
    z = y - y.mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        z = z / y.std()
    return moran_from_z(z, z, indptr, indices)


def moran_from_z(zx, zy, indptr, indices):
    """Local (bivariate) Moran's I of standardised ``zx`` against the neighbours' mean of ``zy``, and quadrants."""
    card = np.diff(indptr)
    n = len(zx)
    with np.errstate(divide="ignore", invalid="ignore"):
        lag = np.where(card > 0, neighbour_sums(zy, indptr, indices) / np.maximum(card, 1), 0.0)
        local_i = (n - 1) * zx * lag / (zx * zx).sum()
    high, high_lag = zx > 0, lag > 0
    q = np.where(high & high_lag, 1, np.where(~high & high_lag, 2, np.where(~high & ~high_lag, 3, 4)))
    island = card == 0
    return np.where(island, np.nan, local_i), np.where(island, 0, q)


def moran_tail(sum_tail: np.ndarray, zx: np.ndarray) -> np.ndarray:
    """The tail of local Moran's I from the tail of the neighbour sum: I grows with the sum where ``zx > 0``."""
    return (sum_tail * np.sign(zx)).astype(np.int64)


def moran_clusters(q, p_adj, i_tail, alpha: float) -> np.ndarray:
    """Cluster labels: the quadrant where the corrected p <= alpha and I's tail agrees with it.

    High-high and low-low (positive association) need I in its upper tail; high-low and low-high its lower tail.
    """
    q = np.asarray(q)
    cluster = np.array([QUADRANT_CLUSTER.get(int(v), "not significant") for v in q], dtype=object)
    positive = np.isin(q, (1, 3))
    agrees = np.where(positive, i_tail > 0, i_tail < 0)
    significant = (np.asarray(p_adj) <= alpha * (1 + 1e-12)) & agrees
    cluster[~significant] = "not significant"
    return cluster


# --------------------------------------------------------------------------------------------------------------
# Result object and the one call
# --------------------------------------------------------------------------------------------------------------


@dataclass
class HotspotResult:
    """Local statistics of every ward, classified, keyed by ward ID.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per ward of the graph, indexed by ward ID (the graph's order), columns ``ward_id``,
        ``gi_star_z``, ``gi_star_p`` (raw two-sided pseudo p-value), ``gi_star_p_adj`` (corrected),
        ``hotspot_class``, ``lisa_i``, ``lisa_p``, ``lisa_p_adj``, ``lisa_q``, ``lisa_cluster``,
        ``neighbour_count``, ``permutations`` (behind each ward's p-value).
    metadata : dict
        JSON-safe provenance: graph description, permutation plan, seed, correction, rules, islands, counts.
    notes : list of str
        Plain-language notes (unreachable levels, wards not tested and why).
    """

    frame: pd.DataFrame
    metadata: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def Zs(self) -> np.ndarray:  # noqa: N802 -- esda's name
        """Gi* z-scores (esda's ``G_Local.Zs``), in the graph's order."""
        return self.frame["gi_star_z"].to_numpy()

    @property
    def Is(self) -> np.ndarray:  # noqa: N802 -- esda's name
        """Local Moran's I (esda's ``Moran_Local.Is``), in the graph's order."""
        return self.frame["lisa_i"].to_numpy()


def _check_options(statistics, correction, permutations, alpha):
    chosen = tuple(statistics)
    unknown = [s for s in chosen if s not in _STATISTICS]
    if unknown or not chosen:
        raise DataError(f"Unknown statistics {unknown or chosen!r}; choose from {list(_STATISTICS)}.")
    if not (isinstance(alpha, (int, float)) and 0 < alpha < 1):
        raise DataError(f"alpha must be between 0 and 1; got {alpha!r}.")
    return chosen, check_correction(correction), check_permutations(permutations)


def _untested_reason(n_valid: int, y: np.ndarray, permutations) -> str | None:
    if n_valid < 3:
        return f"only {n_valid} ward(s) have a value; the local statistics need at least 3"
    if np.ptp(y) == 0:
        return "all wards have the same value: there is no pattern to test"
    if permutations == 0:
        return "the permutation test was switched off (permutations 0)"
    return None


def hotspot_statistics(
    values,
    graph: NeighbourGraph,
    permutations: int | str = DEFAULT_PERMUTATIONS,
    seed: int | None = 12345,
    correction: str = "fdr",
    statistics: Sequence[str] = _STATISTICS,
    alpha: float = 0.05,
    _engine: str = "auto",
) -> HotspotResult:
    """Gi* hot and cold spots and local Moran clusters for one value per ward, in one pass.

    Parameters
    ----------
    values : pandas.Series or Mapping
        One value per ward of ``graph``, **keyed by ward ID** (a bare array is refused). NaN means "no data": the
        statistics are computed on the subgraph of wards with values, and those wards get class "no data".
    graph : NeighbourGraph
        From :func:`neighbour_graph`; binary weights for Gi* (ward included), row-standardised for local Moran.
    permutations : "auto" or int, default "auto"
        Conditional permutations for the pseudo p-values. ``"auto"``: 999 for every ward, and more for the wards
        with small p-values, enough that 99% is reachable after the correction (see
        :mod:`hotspots.spatial.permutation`). ``0``: z-scores and I only; the classes say "not tested".
    seed : int or None, default 12345
        Seed of the random draws; the same seed gives the same p-values for the same wards, in any row order.
    correction : {"fdr", "bonferroni", "none"}, default "fdr"
        Multiple-testing correction for the classes. ``*_p`` are raw, ``*_p_adj`` corrected.
    statistics : sequence of {"gi_star", "local_moran"}
        Which statistics to compute; the columns of the other are NaN / "not computed".
    alpha : float, default 0.05
        Level for the local Moran clusters (corrected two-sided p <= alpha). Hot/cold spots use 0.01, 0.05, 0.10.

    Returns
    -------
    HotspotResult
        ``.frame`` (one row per ward, indexed by ward ID), ``.metadata`` and ``.notes``.

    Notes
    -----
    ``hotspot_class`` is "hot spot" or "cold spot" at the strictest of 99%, 95%, 90% whose level the corrected
    two-sided p-value reaches, from the permutation tail that gave the p-value and only where the z-score agrees;
    "not tested" for islands, wards whose neighbours have no data, too few wards, constant values or
    ``permutations=0``; "no data" for wards without a value.
    """
    chosen, correction, permutations = _check_options(statistics, correction, permutations, alpha)
    y_all = align_values(values, graph)
    has_data = ~np.isnan(y_all)
    sub_indptr, sub_indices = _subgraph(graph.indptr, graph.indices, has_data)
    y = y_all[has_data]
    sub_card = np.diff(sub_indptr)
    reason = _untested_reason(len(y), y, permutations)
    if "gi_star" in chosen and len(y) >= 3 and np.ptp(y) > 0:
        if y.sum() <= 0:
            raise DataError("Gi* needs values whose total is positive (e.g. risk scores >= 0); got a total <= 0.")
        if (y < 0).any():
            warnings.warn("Gi* assumes non-negative values; some are negative.", UserWarning, 2)
    columns, test = _local_columns(y, sub_indptr, sub_indices, chosen, permutations, seed, correction, alpha, reason)
    frame = _scatter_frame(graph, has_data, sub_card, columns)
    return HotspotResult(
        frame=frame,
        metadata=_metadata(graph, frame, has_data, sub_card, chosen, test, seed, correction, alpha, reason),
        notes=_notes(test, correction, reason, frame),
    )


def _local_columns(y, indptr, indices, chosen, permutations, seed, correction, alpha, reason):
    """The statistics on the wards with data (subgraph order)."""
    n = len(y)
    card = np.diff(indptr)
    degenerate = n < 3 or np.ptp(y) == 0
    test = None
    if reason is None:
        test = conditional_permutation_test(y, indptr, indices, permutations, seed, correction)
    out: dict[str, np.ndarray] = {}
    untested = np.full(n, "not tested", dtype=object)
    if "gi_star" in chosen:
        z = np.full(n, np.nan) if degenerate else local_gi_star_z(y, (indptr, indices))
        out["gi_star_z"] = z
        out["gi_star_p"] = test.p if test is not None else np.full(n, np.nan)
        out["gi_star_p_adj"] = adjust_pvalues(out["gi_star_p"], correction)
        out["hotspot_class"] = untested if test is None else _hotspot_labels(z, out["gi_star_p_adj"], test.tail, card)
        if test is not None:
            significant = significance_level(out["gi_star_p_adj"]) != ""
            out["direction_conflicts"] = significant & (test.tail != 0) & (np.sign(z) != test.tail)
    if "local_moran" in chosen:
        if degenerate:
            local_i, q = np.full(n, np.nan), np.zeros(n, dtype=np.int64)
        else:
            local_i, q = local_moran_i(y, (indptr, indices))
        zs = y - y.mean()
        p = np.full(n, np.nan) if test is None else np.where(zs == 0, 1.0, test.p)  # I is 0 under every draw
        out.update(lisa_i=local_i, lisa_q=q, lisa_p=p, lisa_p_adj=adjust_pvalues(p, correction))
        if test is None:
            out["lisa_cluster"] = untested.copy()
        else:
            cluster = moran_clusters(q, out["lisa_p_adj"], moran_tail(test.tail, zs), alpha)
            cluster[card == 0] = "not tested"
            out["lisa_cluster"] = cluster
    out["permutations"] = test.permutations if test is not None else np.zeros(n, dtype=np.int64)
    return out, test


def _hotspot_labels(z, p_adj, tail, card) -> np.ndarray:
    level = significance_level(p_adj)
    hot = (tail > 0) & (z > 0)
    cold = (tail < 0) & (z < 0)
    side = np.where(hot, "hot spot ", np.where(cold, "cold spot ", ""))
    labels = np.where((level != "") & (side != ""), side + level, "not significant").astype(object)
    labels[card == 0] = "not tested"
    return labels


def _scatter_frame(graph, has_data, sub_card, columns) -> pd.DataFrame:
    n = graph.n

    def scatter(sub_values, fill=np.nan, dtype=np.float64):
        out = np.full(n, fill, dtype=dtype)
        out[has_data] = sub_values
        return out

    ids = graph.ward_ids.astype(str)
    data: dict[str, Any] = {"ward_id": ids}
    for name in ("gi_star_z", "gi_star_p", "gi_star_p_adj"):
        data[name] = scatter(columns[name]) if name in columns else np.full(n, np.nan)
    data["hotspot_class"] = (
        scatter(columns["hotspot_class"], "no data", object)
        if "hotspot_class" in columns
        else np.where(has_data, "not computed", "no data").astype(object)
    )
    for name in ("lisa_i", "lisa_p", "lisa_p_adj"):
        data[name] = scatter(columns[name]) if name in columns else np.full(n, np.nan)
    q = scatter(columns["lisa_q"], 0, np.int64) if "lisa_q" in columns else np.zeros(n, dtype=np.int64)
    data["lisa_q"] = pd.array(np.where(q == 0, None, q), dtype="Int64")
    data["lisa_cluster"] = (
        scatter(columns["lisa_cluster"], "no data", object)
        if "lisa_cluster" in columns
        else np.where(has_data, "not computed", "no data").astype(object)
    )
    data["neighbour_count"] = scatter(sub_card, 0, np.int64)
    data["permutations"] = scatter(columns["permutations"], 0, np.int64)
    frame = pd.DataFrame(data, index=pd.Index(ids, name="ward_id"))  # one construction, not 14 insertions
    if "direction_conflicts" in columns:
        frame.attrs["direction_conflicts"] = list(ids[has_data][columns["direction_conflicts"]])
    return frame


def _metadata(graph, frame, has_data, sub_card, chosen, test, seed, correction, alpha, reason) -> dict[str, Any]:
    geometric_islands = set(graph.islands)
    data_ids = graph.ward_ids[has_data].astype(str)
    isolated = [w for w in data_ids[sub_card == 0] if w not in geometric_islands]
    plan = test.plan if test is not None else {"requested": 0 if reason and "switched off" in reason else None}
    return {
        "graph": graph.describe(),
        "snap_tolerance_m": float(graph.snap_tolerance),
        "statistics": list(chosen),
        "permutations": plan,
        "seed": None if seed is None else int(seed),
        "correction": correction,
        "alpha_lisa": float(alpha),
        "not_tested_reason": reason,
        "classification": {
            "hotspot_class": HOTSPOT_RULE,
            "lisa_cluster": f"esda quadrant where the corrected two-sided p-value <= {alpha} and the tail of I "
            "agrees with the quadrant (upper for high-high and low-low, lower for high-low and low-high)",
            "p_value": P_VALUE_RULE,
        },
        "gi_star_weights": "binary, ward included (esda G_Local star=True, transform='B')",
        "local_moran_weights": "row-standardised (esda Moran_Local transformation='r')",
        "n_wards": int(graph.n),
        "n_with_data": int(has_data.sum()),
        "no_data": [str(w) for w in graph.ward_ids[~has_data]],
        "islands": list(graph.islands),
        "isolated_by_no_data": isolated,
        "direction_conflicts": list(frame.attrs.get("direction_conflicts", [])),
        "counts": {
            "hotspot_class": {str(k): int(v) for k, v in frame["hotspot_class"].value_counts().items()},
            "lisa_cluster": {str(k): int(v) for k, v in frame["lisa_cluster"].value_counts().items()},
        },
    }


def _notes(test, correction, reason, frame) -> list[str]:
    notes = []
    if reason is not None:
        notes.append(f"Hot spots were not tested: {reason}.")
    elif test is not None:
        unreachable = unreachable_note(test.plan, correction, int(test.plan.get("n_tests", 0)))
        if unreachable:
            notes.append(unreachable)
    conflicts = frame.attrs.get("direction_conflicts", [])
    if conflicts:
        notes.append(
            f"{len(conflicts)} ward(s) have a significant neighbourhood whose direction disagrees with the ward's "
            f"own Gi* z-score (a ward unlike its neighbours) and are not labelled hot or cold: "
            + ", ".join(conflicts[:20])
        )
    return notes
