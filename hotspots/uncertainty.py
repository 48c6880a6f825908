"""How sure are we? Uncertainty and sensitivity analysis of the ranking and the hot spots.

The OECD/JRC Handbook on Constructing Composite Indicators (2008) and COINr treat a composite index without an
uncertainty analysis as unfinished. Here a prepared city is re-scored under ``N`` seeded variants of the model and
each ward's rank (and hot-spot status) is read across them.

**The variants** (:func:`sample_variants`). Every variant draws, independently and uniformly:

* each indicator weight and each dimension weight times a factor in ``[1 - spread, 1 + spread]`` (default
  ``spread = 0.25``: +-25%, uniform, one factor per weight);
* the normalisation, one of :data:`hotspots.framework.NORMALISATIONS`;
* the aggregation, one of :data:`hotspots.framework.AGGREGATIONS`;
* the indicator left out: none, or one of the framework's indicators (each of the ``J + 1`` choices equally likely).

Each normalisation is learned on the city itself (its own scale), from the rates as the run uses them (smoothed
where the framework asks, :func:`hotspots.pipeline.smoothed_table`). Scoring is vectorised: the normalised indicators
(one matrix per normalisation, from :class:`hotspots.scoring.RiskScorer`) times a matrix of the variants' weights.

**Per ward** (keyed by ward ID): ``risk_rank_median`` and the 5% and 95% quantiles of its rank across the variants
(``risk_rank_p05``, ``risk_rank_p95``; empirical quantiles, so they are ranks some variant gave), and
``hotspot_frequency``, the share of the variants in which the ward is a significant Gi* hot spot (90% or stronger,
with the run's permutations, seed and correction; see :mod:`hotspots.spatial.variants`: one shared permutation draw
serves every variant, and each variant's flags are those a separate run would give). Ranks are 1 = highest risk;
scores within 1e-9 of each other share a rank.

**Sensitivity** (:func:`first_order_indices`): which uncertain input moves the ranking most. The output of a
variant is the mean absolute rank shift of the wards from the model's own ranks; for each input ``X_i`` the
first-order index ``S_i = Var(E[Y | X_i]) / Var(Y)`` (as COINr's ``get_sensitivity`` reports) is estimated from the
same variants by grouping them on ``X_i`` (its value for a choice, quantile bins for a weight factor) and taking the
between-group share of the variance, less the share that noise alone gives ``G`` groups (ANOVA's correction:
``(SSB - (G - 1) MSW) / SST``, clipped to 0..1). The inputs being drawn independently, the indices need no extra
model runs; they sum to at most about 1, the rest being interactions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataError
from .framework import AGGREGATIONS, NORMALISATIONS, Framework
from .scoring import RiskScorer

#: Default spread of the weights: each weight times a uniform factor in [0.75, 1.25].
WEIGHT_SPREAD = 0.25
#: Default number of variants in the app (the command line's default is 0: see ``hotspots score --help``).
DEFAULT_VARIANTS = 200
#: Scores closer than this (on the 0-10 scale) share a rank in a variant.
RANK_TIE = 1e-9
#: The output whose variance the sensitivity indices share out.
OUTPUT = "mean absolute rank shift from the model's ranks"
ESTIMATOR = (
    "first-order index S_i = Var(E[Y|X_i]) / Var(Y) estimated from the same variants: variants grouped by X_i (each "
    "choice; quantile bins for a weight factor), between-group sum of squares less (groups - 1) x within-group mean "
    "square, over the total sum of squares, clipped to 0..1"
)


@dataclass
class VariantDesign:
    """The inputs of each variant: one row per variant.

    Attributes
    ----------
    inputs : pandas.DataFrame
        ``weight:<indicator>`` and ``dimension_weight:<dimension>`` factors, ``normalisation``, ``aggregation`` and
        ``dropped_indicator`` ("none" or a column name).
    rule : dict
        What was drawn and how (JSON-safe, written into the metadata).
    """

    inputs: pd.DataFrame
    rule: dict[str, Any]


def sample_variants(
    framework: Framework,
    n_variants: int,
    seed: int | None = 12345,
    *,
    spread: float = WEIGHT_SPREAD,
    normalisations: Sequence[str] | None = None,
    aggregations: Sequence[str] | None = None,
    drop_one: bool = True,
) -> VariantDesign:
    """Draw ``n_variants`` variants of the model (see the module's docstring for the rule).

    Parameters
    ----------
    framework : the model whose weights are perturbed.
    n_variants : how many variants (>= 1).
    seed : seed of the draws (the same seed gives the same variants).
    spread : each weight is multiplied by a uniform factor in ``[1 - spread, 1 + spread]`` (0 <= spread < 1).
    normalisations, aggregations : the choices drawn from (default: all the package offers; give the model's own
        alone to keep it fixed).
    drop_one : whether a variant may leave one indicator out (each indicator, or none, equally likely).
    """
    if isinstance(n_variants, bool) or not isinstance(n_variants, (int, np.integer)) or n_variants < 1:
        raise DataError(f"The number of variants must be a whole number >= 1, not {n_variants!r}.")
    if not (isinstance(spread, (int, float)) and 0 <= spread < 1):
        raise DataError(f"The weight spread must be a number from 0 to below 1 (0.25 is +-25%), not {spread!r}.")
    normalisations = list(normalisations or NORMALISATIONS)
    aggregations = list(aggregations or AGGREGATIONS)
    for given, known, what in (
        (normalisations, NORMALISATIONS, "normalisation"),
        (aggregations, AGGREGATIONS, "aggregation"),
    ):
        unknown = [g for g in given if g not in known]
        if unknown:
            raise DataError(f"Unknown {what} {unknown}; use some of {', '.join(known)}.")
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(7,)))  # not the permutations' stream
    n = int(n_variants)
    inputs = {}
    for ind in framework.indicators:
        inputs[f"weight:{ind.column}"] = rng.uniform(1 - spread, 1 + spread, n)
    for dim in framework.dimension_names:
        inputs[f"dimension_weight:{dim}"] = rng.uniform(1 - spread, 1 + spread, n)
    inputs["normalisation"] = np.asarray(normalisations, dtype=object)[rng.integers(0, len(normalisations), n)]
    inputs["aggregation"] = np.asarray(aggregations, dtype=object)[rng.integers(0, len(aggregations), n)]
    drops = ["none"] + (framework.columns if drop_one and len(framework.columns) > 1 else [])
    inputs["dropped_indicator"] = np.asarray(drops, dtype=object)[rng.integers(0, len(drops), n)]
    rule = {
        "variants": n,
        "seed": seed,
        "weights": f"each indicator and dimension weight times an independent uniform factor in [{1 - spread:g}, "
        f"{1 + spread:g}]",
        "normalisation": f"uniform over {normalisations}",
        "aggregation": f"uniform over {aggregations}",
        "dropped_indicator": f"uniform over {drops} ('none' keeps every indicator)",
        "scale": "each normalisation learned on this city's wards",
    }
    return VariantDesign(inputs=pd.DataFrame(inputs), rule=rule)


def score_variants(table: pd.DataFrame, framework: Framework, design: VariantDesign) -> pd.DataFrame:
    """Risk scores (0-10) of every ward under every variant: wards (indexed by ward ID) x variants.

    ``table`` holds ``ward_id`` and the framework's columns (e.g. :func:`hotspots.pipeline.smoothed_table`).
    A ward with nothing to score it on in a variant gets NaN there.
    """
    ward_ids = pd.Index(table["ward_id"].astype(str), name="ward_id")
    if ward_ids.has_duplicates:
        raise DataError(f"Ward IDs appear more than once: {list(ward_ids[ward_ids.duplicated()].unique()[:10])}.")
    inputs = design.inputs
    dims = framework.dimension_names
    onehot = np.zeros((len(framework.indicators), len(dims)))
    onehot[np.arange(len(framework.indicators)), [dims.index(i.dimension) for i in framework.indicators]] = 1.0
    w = np.array([ind.weight for ind in framework.indicators], dtype=float)
    weights = w * inputs[[f"weight:{c}" for c in framework.columns]].to_numpy(dtype=float)
    weights[inputs["dropped_indicator"].to_numpy()[:, None] == np.array(framework.columns)[None, :]] = 0.0
    dim_weights = np.array([framework.dimensions[d] for d in dims], dtype=float) * inputs[
        [f"dimension_weight:{d}" for d in dims]
    ].to_numpy(dtype=float)
    risk = np.full((len(table), len(inputs)), np.nan)
    for normalisation in pd.unique(inputs["normalisation"]):
        chosen = np.flatnonzero(inputs["normalisation"].to_numpy() == normalisation)
        scorer = RiskScorer(framework.with_options(normalisation=normalisation))
        normalised = scorer.fit_transform(table).normalised.to_numpy(dtype=float)
        geometric = inputs["aggregation"].to_numpy()[chosen] == "geometric"
        risk[:, chosen] = _risk(normalised, weights[chosen], dim_weights[chosen], onehot, geometric)
    return pd.DataFrame(risk, index=ward_ids, columns=inputs.index)


def _risk(normalised, weights, dim_weights, onehot, geometric) -> np.ndarray:
    """Risk scores (wards x variants) from normalised indicators and each variant's weights (the scorer's steps 3-4)."""
    n_ind, n_dims = onehot.shape
    per_dim = (weights[:, :, None] * onehot[None, :, :]).transpose(1, 0, 2).reshape(n_ind, -1)  # J x (V * D)
    available = ~np.isnan(normalised)
    num = (np.nan_to_num(normalised) @ per_dim).reshape(len(normalised), -1, n_dims)
    den = (available.astype(float) @ per_dim).reshape(len(normalised), -1, n_dims)
    with np.errstate(invalid="ignore", divide="ignore"):
        dim_scores = np.where(den > 0, 10.0 * num / np.where(den > 0, den, 1.0), np.nan)
        used = np.where(np.isnan(dim_scores), 0.0, dim_weights[None, :, :])
        total = used.sum(axis=2)
        arithmetic = (used * np.nan_to_num(dim_scores)).sum(axis=2) / total
        geometric_mean = np.exp((used * np.log1p(np.nan_to_num(dim_scores))).sum(axis=2) / total) - 1.0
    risk = np.where(geometric[None, :], geometric_mean, arithmetic)
    return np.where(total > 0, np.clip(risk, 0.0, 10.0), np.nan)


def rank_columns(risk: np.ndarray) -> np.ndarray:
    """Rank (1 = highest, ties share the smallest rank, NaN unranked) of every column of ``risk``.

    Scores within :data:`RANK_TIE` of the next higher one share its rank.
    """
    n = risk.shape[0]
    key = np.where(np.isnan(risk), -np.inf, risk)
    order = np.argsort(-key, axis=0, kind="stable")
    ordered = np.take_along_axis(key, order, axis=0)
    starts = np.ones(ordered.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        starts[1:] = (ordered[:-1] - ordered[1:]) > RANK_TIE
    position = np.where(starts, np.arange(n)[:, None], 0)
    ranks_sorted = np.maximum.accumulate(position, axis=0) + 1.0
    ranks = np.empty(risk.shape)
    np.put_along_axis(ranks, order, ranks_sorted, axis=0)
    return np.where(np.isnan(risk), np.nan, ranks)


def first_order_indices(inputs: pd.DataFrame, output, bins: int | None = None) -> pd.Series:
    """First-order sensitivity index of ``output`` to each column of ``inputs`` (independent inputs, one row per
    model run), by grouping (see the module's docstring).

    Parameters
    ----------
    inputs : one column per uncertain input; text columns are choices (one group per value), numeric columns are
        binned into ``bins`` quantile bins (default ``clip(sqrt(N) / 2, 2, 20)``).
    output : one number per row.

    Returns
    -------
    pandas.Series of indices in 0..1 by input (NaN for an input that does not vary, or an output that does not).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = pd.DataFrame({"x1": rng.uniform(size=20000), "x2": rng.uniform(size=20000)})
    >>> first_order_indices(x, x["x1"] + 2 * x["x2"]).round(2).to_dict()  # analytic: 0.2 and 0.8
    {'x1': 0.2, 'x2': 0.8}
    """
    y = np.asarray(output, dtype=float)
    if len(y) != len(inputs) or not np.isfinite(y).all():
        raise DataError("The output needs one finite number per row of the inputs.")
    n = len(y)
    bins = bins or int(np.clip(round(np.sqrt(n) / 2), 2, 20))
    total = ((y - y.mean()) ** 2).sum()
    out = {}
    for name, column in inputs.items():
        if column.nunique() < 2 or total <= 0 or n < 3:
            out[name] = np.nan
            continue
        if pd.api.types.is_numeric_dtype(column):
            groups = pd.qcut(column.rank(method="first"), min(bins, column.nunique()), labels=False)
        else:
            groups = column.astype(str)
        codes = pd.factorize(groups)[0]
        g = codes.max() + 1
        counts = np.bincount(codes, minlength=g)
        means = np.bincount(codes, weights=y, minlength=g) / counts
        between = (counts * (means - y.mean()) ** 2).sum()
        within_mean_square = (total - between) / max(n - g, 1)
        out[name] = float(np.clip((between - (g - 1) * within_mean_square) / total, 0.0, 1.0))
    return pd.Series(out, name="first_order_index", dtype=float)


@dataclass
class UncertaintyResult:
    """A city's ranking and hot spots across the variants of its model.

    Attributes
    ----------
    frame : pandas.DataFrame
        Indexed by ward ID: ``risk_rank_median``, ``risk_rank_p05``, ``risk_rank_p95`` (NaN for a ward no variant
        ranks) and ``hotspot_frequency`` (NaN when the hot spots were not tested).
    sensitivity : pandas.DataFrame
        One row per uncertain input: ``input``, ``label`` and ``first_order_index``, largest first.
    design : pandas.DataFrame
        Each variant's inputs and its output (``mean_abs_rank_shift``).
    metadata : dict
        JSON-safe: the variant rule, N, seed, the sensitivity indices, the estimator and the hot-spot rule.
    """

    frame: pd.DataFrame
    sensitivity: pd.DataFrame
    design: pd.DataFrame
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def weight_dependent(self) -> pd.DataFrame:
        """Wards whose hot-spot status depends on the model: a hot spot in 20% to 80% of the variants."""
        frequency = self.frame["hotspot_frequency"]
        return self.frame[(frequency >= 0.2) & (frequency <= 0.8)]


def input_label(name: str, framework: Framework) -> str:
    """A plain name for an uncertain input (``weight:hate_incidents`` -> "Weight of Hate incidents per ...")."""
    kind, _, what = name.partition(":")
    if kind == "weight":
        return f"Weight of {framework.labels.get(what, what)}"
    if kind == "dimension_weight":
        return f"Weight of the {what} dimension"
    return {"normalisation": "Normalisation", "aggregation": "Aggregation", "dropped_indicator": "Indicator left out"}[
        kind
    ]


def uncertainty_analysis(
    city, method, n_variants: int = DEFAULT_VARIANTS, seed: int | None = None, *, graph=None, **design_options
) -> UncertaintyResult:
    """Re-score a prepared city under ``n_variants`` variants of ``method``'s model and summarise per ward.

    Parameters
    ----------
    city : hotspots.pipeline.CityData
    method : hotspots.Method (its framework is perturbed; its permutations, seed and correction test the hot spots).
    n_variants : number of variants.
    seed : seed of the variants (default: the method's seed).
    graph : the city's neighbour graph (built when missing and the method tests hot spots).
    **design_options : ``spread``, ``normalisations``, ``aggregations``, ``drop_one`` (see :func:`sample_variants`).
    """
    framework = method.framework
    seed = method.seed if seed is None else seed
    design = sample_variants(framework, n_variants, seed, **design_options)
    model = VariantDesign(
        inputs=pd.DataFrame(
            {
                **{c: [1.0] for c in design.inputs.columns if ":" in c},
                "normalisation": [framework.normalisation],
                "aggregation": [framework.aggregation],
                "dropped_indicator": ["none"],
            }
        ),
        rule={},
    )
    table, graph = _smoothed(city, method, graph)
    risk = score_variants(table, framework, design)
    ranks = rank_columns(risk.to_numpy())
    model_ranks = rank_columns(score_variants(table, framework, model).to_numpy())[:, 0]
    frame = _rank_summary(ranks, risk.index)
    frame["hotspot_frequency"] = np.nan
    plan = None
    if method.hotspots and method.permutations != 0:
        frame["hotspot_frequency"], plan = _hotspot_frequency(city, method, risk, graph)
    with np.errstate(invalid="ignore"):
        shift = np.nanmean(np.abs(ranks - model_ranks[:, None]), axis=0)
    shift = np.nan_to_num(shift)
    indices = first_order_indices(design.inputs, shift)
    sensitivity = pd.DataFrame(
        {
            "input": indices.index,
            "label": [input_label(name, framework) for name in indices.index],
            "first_order_index": indices.to_numpy(),
        }
    ).sort_values("first_order_index", ascending=False, na_position="last", ignore_index=True)
    metadata = _metadata(design, sensitivity, method, plan)
    return UncertaintyResult(frame, sensitivity, design.inputs.assign(mean_abs_rank_shift=shift), metadata)


def _smoothed(city, method, graph):
    """The wards on the map as the score uses them (rates smoothed where the framework asks), and the graph (built
    when the hot spots or spatial smoothing need it)."""
    from .pipeline import city_graph, smoothed_table

    needs_graph = method.hotspots or any(
        getattr(i, "smoothing", "none") == "spatial_eb" for i in method.framework.indicators
    )
    if graph is None and needs_graph:
        graph = city_graph(city, method)
    return smoothed_table(city, method, graph)[0], graph


def _rank_summary(ranks: np.ndarray, ward_ids: pd.Index) -> pd.DataFrame:
    ranked = ~np.isnan(ranks).all(axis=1)
    frame = pd.DataFrame(index=ward_ids, columns=["risk_rank_median", "risk_rank_p05", "risk_rank_p95"], dtype=float)
    if ranked.any():
        some = ranks[ranked]
        frame.loc[ranked, "risk_rank_median"] = np.nanmedian(some, axis=1)
        frame.loc[ranked, "risk_rank_p05"] = np.nanquantile(some, 0.05, axis=1, method="inverted_cdf")
        frame.loc[ranked, "risk_rank_p95"] = np.nanquantile(some, 0.95, axis=1, method="inverted_cdf")
    return frame


def _hotspot_frequency(city, method, risk: pd.DataFrame, graph):
    """Share of the variants in which each ward (of ``risk``'s index) is a significant hot spot."""
    from .spatial.variants import variant_hotspots

    values = risk.reindex(pd.Index(graph.ward_ids.astype(str), name="ward_id"))
    hot, plan = variant_hotspots(values, graph, method.permutations, method.seed, method.correction)
    return hot.mean(axis=1).reindex(risk.index).to_numpy(), plan


def _metadata(design: VariantDesign, sensitivity: pd.DataFrame, method, plan) -> dict[str, Any]:
    indices = {
        row.input: (None if np.isnan(row.first_order_index) else round(float(row.first_order_index), 3))
        for row in sensitivity.itertuples()
    }
    hotspots = None
    if plan is not None:
        hotspots = {
            "hotspot_frequency": "share of the variants in which the ward is a Gi* hot spot at 90% or stronger "
            f"(corrected two-sided p <= 0.10, {method.correction} correction, upper tail, positive z)",
            "permutations": plan,
            "seed": method.seed,
            "draws": "one shared permutation draw for all variants (the run's seed; draws depend on the wards, not "
            "the values), 'auto' refinement per variant: each variant's flags are those of a separate run",
        }
    return {
        "variant_rule": design.rule,
        "variants": design.rule["variants"],
        "seed": design.rule["seed"],
        "per_ward": {
            "risk_rank_median": "median rank across the variants (1 = highest risk)",
            "risk_rank_p05": "5% quantile of the rank (empirical, inverted CDF)",
            "risk_rank_p95": "95% quantile of the rank (empirical, inverted CDF)",
            "ties": f"scores within {RANK_TIE:g} share a rank",
        },
        "hotspots": hotspots,
        "sensitivity": {"output": OUTPUT, "estimator": ESTIMATOR, "first_order_indices": indices},
    }


def add_uncertainty(result, n_variants: int, seed: int | None = None, *, graph=None, **design_options):
    """Run :func:`uncertainty_analysis` on a scored city and add its fields to ``result.layer`` (by ward ID) and
    its metadata to the exports (``result.uncertainty``). Returns ``result``."""
    method = result.method
    if method is None:
        raise DataError("This result has no method to vary: score it with hotspots.score_city.")
    analysis = uncertainty_analysis(result.city, method, n_variants, seed, graph=graph, **design_options)
    keyed = analysis.frame.reindex(result.layer["ward_id"].astype(str))
    for column in analysis.frame.columns:
        result.layer[column] = keyed[column].to_numpy()
    result.uncertainty = analysis
    return result
