"""Spatial statistics: the neighbour graph, Gi* and local Moran hot spots, global and bivariate Moran.

The spatial step of the pipeline (load -> validate -> score -> **spatial statistics** -> classify -> export), one
module per part:

* :mod:`.graph`: the neighbour graph, built once from the boundaries, in ward-ID order, carrying its ward IDs;
  values are aligned to it by ward ID (:func:`align_values`), never by row position.
* :mod:`.permutation`: the conditional permutation engine (numba for large inputs, numpy for small), with
  two-sided, tie-aware pseudo p-values and ``"auto"`` permutation counts.
* :mod:`.multitest`: FDR / Bonferroni and the confidence levels of the labels.
* :mod:`.local`: Gi* and local Moran, classified (``hotspot_statistics``).
* :mod:`.global_stats`: global Moran's I.
* :mod:`.bivariate`: bivariate local Moran and correlations between dimension scores.
"""

from .bivariate import BivariateLocalMoranResult, DimensionCorrelation, bivariate_local_moran, dimension_correlation
from .global_stats import GlobalMoranResult, global_moran
from .graph import DEFAULT_SNAP_M, NeighbourGraph, align_values, neighbour_graph
from .local import (
    DEFAULT_PERMUTATIONS,
    HOTSPOT_CLASSES,
    LISA_CLUSTERS,
    HotspotResult,
    hotspot_statistics,
    local_gi_star_z,
    local_moran_i,
)
from .multitest import CORRECTIONS, adjust_pvalues
from .permutation import BASE_PERMUTATIONS, check_permutations, needed_permutations, reachable_levels

__all__ = [
    "DEFAULT_SNAP_M",
    "DEFAULT_PERMUTATIONS",
    "BASE_PERMUTATIONS",
    "HOTSPOT_CLASSES",
    "LISA_CLUSTERS",
    "CORRECTIONS",
    "NeighbourGraph",
    "neighbour_graph",
    "align_values",
    "HotspotResult",
    "hotspot_statistics",
    "GlobalMoranResult",
    "global_moran",
    "BivariateLocalMoranResult",
    "bivariate_local_moran",
    "DimensionCorrelation",
    "dimension_correlation",
    "adjust_pvalues",
    "check_permutations",
    "needed_permutations",
    "reachable_levels",
    "local_gi_star_z",
    "local_moran_i",
]
