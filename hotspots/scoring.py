"""Normalise, weight and aggregate indicators into dimension scores and a composite risk score.

The scorer follows scikit-learn's estimator contract: the constructor only stores the framework, ``fit`` learns the
normalisation parameters from a ward table (fitted attributes end in ``_``), ``transform`` applies them to a table
(the same city, another city, or all cities pooled) and refuses to run unfitted. :func:`score_wards` is the quick
function for notebooks.

How a score is computed (see also the README):

1. *Prepare*: an indicator with ``per_population = P`` becomes ``value / population * P``.
2. *Normalise* each indicator to 0..1 with parameters learned in ``fit``: min-max ``(x - min) / (max - min)``;
   z-score ``(clip((x - mean) / sd, -3, 3) + 3) / 6``; or percentile rank (average rank of ``x`` among the fitted
   values, ``(rank - 1) / (n - 1)``). Values outside the fitted range are clipped to 0..1 and counted in the notes.
   ``lower_is_riskier`` indicators are flipped: ``1 - n``.
3. *Dimension score* on 0..10: ``10 * sum(w_j * n_j) / sum(w_j)`` over the indicators the ward has (weights are
   renormalised over the available ones; a missing value is never read as 0).
4. *Risk score* on 0..10 across dimensions with dimension weights ``W_d``: arithmetic ``sum(W_d * S_d) / sum(W_d)``
   or geometric ``exp(sum(W_d * log(S_d + 1)) / sum(W_d)) - 1``, again over the dimensions the ward has.
5. ``coverage`` is the share of the total weight (``W_d / sum W`` times ``w_j / sum w`` within the dimension)
   that was available for the ward. A ward with nothing available has no score ("no data"), not 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataError, NotFittedError
from .framework import Framework


def prepare_indicators(table: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    """Indicator values as used by the model: counts with a denominator become rates per ``per_population``.

    Parameters
    ----------
    table : ward table with numeric indicator columns (and the population column when a denominator is used).
    framework : the model.

    Returns
    -------
    DataFrame with one float column per indicator, in framework order, indexed like ``table``.
    """
    missing = [c for c in framework.columns if c not in table.columns]
    if framework.needs_population and framework.population_column not in table.columns:
        missing.append(framework.population_column)
    if missing:
        raise DataError(
            f"The ward table has no column(s) {missing} that the framework uses. "
            f"Available columns: {', '.join(map(str, table.columns))}. Rename the column or change the framework."
        )
    values = {}
    population = None
    if framework.needs_population:
        population = pd.to_numeric(table[framework.population_column], errors="coerce").to_numpy(dtype=float)
        population = np.where(population > 0, population, np.nan)
    for ind in framework.indicators:
        column = table[ind.column]
        try:
            x = column.to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError):
            raise DataError(
                f"Column '{ind.column}' is not numeric; validate the table first (hotspots.validate_table) "
                "to see the rows that are not numbers."
            ) from None
        if ind.per_population is not None:
            x = x / population * float(ind.per_population)
        values[ind.column] = x
    return pd.DataFrame(values, index=table.index)


@dataclass
class ScoreResult:
    """Every stage of a scoring run, kept under its name (COINr's 'coin' idea).

    Attributes
    ----------
    prepared : indicator values after denominators (rates), before normalisation.
    normalised : indicator values on 0..1, direction applied (1 = riskiest).
    scores : ``<dimension>_score`` per dimension, ``risk_score``, ``risk_rank`` (1 = highest) and ``coverage``.
    framework : the framework used.
    log : the parameters of every step (normalisation parameters included), JSON-safe.
    notes : plain-language notes (constant indicators, clipped values, wards with no data).
    """

    prepared: pd.DataFrame
    normalised: pd.DataFrame
    scores: pd.DataFrame
    framework: Framework
    log: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    # internal: effective weights for explanations
    _indicator_share: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]
    _dimension_share: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]

    @property
    def score_columns(self) -> list[str]:
        return [f"{d}_score" for d in self.framework.dimension_names] + ["risk_score"]

    @property
    def no_data(self) -> pd.Index:
        """Index labels of wards with no risk score (nothing available to score them on)."""
        return self.scores.index[self.scores["risk_score"].isna()]

    def contributions(self) -> pd.DataFrame:
        """Each indicator's contribution to its dimension score and to the risk score, for every ward.

        Returns
        -------
        DataFrame with a two-level column index (``"dimension"`` / ``"risk"``, indicator). For each ward the
        ``dimension`` contributions of a dimension's indicators add up to its dimension score, and the ``risk``
        contributions of all indicators add up to the risk score (for geometric aggregation, the risk score is
        shared out in proportion to the weighted dimension scores).
        """
        fw = self.framework
        norm = self.normalised.to_numpy()
        avail = ~np.isnan(norm)
        dim_of = np.array([fw.dimension_names.index(ind.dimension) for ind in fw.indicators])
        w = np.array([ind.weight for ind in fw.indicators], dtype=float)
        wa = np.where(avail, w, 0.0)
        denom = np.zeros((len(norm), len(fw.dimensions)))
        np.add.at(denom.T, dim_of, wa.T)
        share = np.divide(wa, denom[:, dim_of], out=np.zeros_like(wa), where=denom[:, dim_of] > 0)
        to_dim = 10.0 * share * np.nan_to_num(norm)
        dims = self.scores[[f"{d}_score" for d in fw.dimension_names]].to_numpy()
        W = np.array([fw.effective_dimension_weights[d] for d in fw.dimension_names], dtype=float)
        Wa = np.where(np.isnan(dims), 0.0, W)
        weighted = Wa * np.nan_to_num(dims)
        total = weighted.sum(axis=1, keepdims=True)
        risk = self.scores["risk_score"].to_numpy()[:, None]
        dim_factor = np.divide(
            Wa, Wa.sum(axis=1, keepdims=True), out=np.zeros_like(Wa), where=Wa.sum(axis=1, keepdims=True) > 0
        )
        if fw.aggregation == "arithmetic":
            to_risk = to_dim * dim_factor[:, dim_of]
        else:
            to_risk = np.divide(risk * Wa[:, dim_of] * to_dim, total, out=np.zeros_like(to_dim), where=total > 0)
        to_dim[~avail] = np.nan
        to_risk[~avail] = np.nan
        cols = fw.columns
        frame = pd.concat(
            {
                "dimension": pd.DataFrame(to_dim, index=self.scores.index, columns=cols),
                "risk": pd.DataFrame(to_risk, index=self.scores.index, columns=cols),
            },
            axis=1,
        )
        return frame

    def explain(self, ward: Any) -> pd.DataFrame:
        """One ward's breakdown: per indicator its label, value (a rate per ``per_population`` residents when the
        indicator has a denominator, as the model uses it) and unit, normalised value, contributions, and its rank
        among wards.

        Parameters
        ----------
        ward : index label of the ward in the scored table.
        """
        if ward not in self.scores.index:
            raise DataError(f"No ward {ward!r} in the scored table.")
        fw = self.framework
        contrib = self.contributions()
        ranks = self.prepared.rank(ascending=False, method="min")
        for ind in fw.indicators:
            if ind.direction == "lower_is_riskier":
                ranks[ind.column] = self.prepared[ind.column].rank(ascending=True, method="min")
        rows = []
        for ind in fw.indicators:
            rows.append(
                {
                    "indicator": ind.column,
                    "label": ind.display_label,
                    "dimension": ind.dimension,
                    "value": self.prepared.at[ward, ind.column],
                    "unit": ind.value_unit + ("" if ind.smoothing == "none" else f", smoothed ({ind.smoothing})"),
                    "normalised": self.normalised.at[ward, ind.column],
                    "contribution_to_dimension": contrib.at[ward, ("dimension", ind.column)],
                    "contribution_to_risk": contrib.at[ward, ("risk", ind.column)],
                    "rank_among_wards": ranks.at[ward, ind.column],
                    "wards_with_value": int(self.prepared[ind.column].notna().sum()),
                }
            )
        return pd.DataFrame(rows)


def _rank_desc(values: np.ndarray) -> pd.Series:
    s = pd.Series(values)
    return s.rank(ascending=False, method="min").astype("Int64")


class RiskScorer:
    """Fit normalisation on one ward table and score any table on that scale.

    Parameters
    ----------
    framework : the model (indicators, dimensions, weights, directions, normalisation, aggregation).

    Attributes
    ----------
    params_ : dict of indicator -> learned normalisation parameters (min/max, mean/sd or reference values).
    n_wards_fit_ : number of wards the scale was learned on.

    Examples
    --------
    >>> scorer = RiskScorer(framework).fit(kolkata)      # doctest: +SKIP
    >>> on_kolkata_scale = scorer.transform(dhaka)       # doctest: +SKIP
    """

    def __init__(self, framework: Framework):
        self.framework = framework

    # ------------------------------------------------------------------ fit
    def fit(self, table: pd.DataFrame) -> RiskScorer:
        """Learn each indicator's normalisation parameters from ``table``."""
        fw = self.framework
        prepared = prepare_indicators(table, fw)
        params: dict[str, dict[str, Any]] = {}
        for col in fw.columns:
            x = prepared[col].to_numpy()
            x = x[~np.isnan(x)]
            if x.size == 0:
                params[col] = {"n": 0}
                continue
            p: dict[str, Any] = {"n": int(x.size)}
            if fw.normalisation == "minmax":
                p.update(min=float(x.min()), max=float(x.max()))
            elif fw.normalisation == "zscore":
                sd = float(x.std(ddof=0))
                p.update(mean=float(x.mean()), sd=sd)
            else:  # percentile
                ref = np.sort(x)
                uniq, first = np.unique(ref, return_index=True)
                last = np.append(first[1:], ref.size) - 1
                avg_rank = (first + last) / 2.0  # 0-based average rank of ties
                p.update(values=uniq.tolist(), ranks=(avg_rank / max(ref.size - 1, 1)).tolist())
            params[col] = p
        self.params_ = params
        self.n_wards_fit_ = int(len(table))
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "params_"):
            raise NotFittedError("This RiskScorer is not fitted yet: call fit(table) first (or use fit_transform).")

    # ------------------------------------------------------------------ transform
    def normalise(self, prepared: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
        """Normalised values on 0..1 (1 = riskiest) and notes about constant indicators and clipping."""
        self._check_fitted()
        fw = self.framework
        out = np.full(prepared.shape, np.nan)
        notes: list[str] = []
        for j, ind in enumerate(fw.indicators):
            x = prepared[ind.column].to_numpy()
            p = self.params_[ind.column]
            if p["n"] == 0:
                notes.append(f"Indicator '{ind.column}' had no values in the fitted table: it is left out.")
                continue
            if fw.normalisation == "minmax":
                span = p["max"] - p["min"]
                if span == 0:
                    n = np.where(np.isnan(x), np.nan, 0.5)
                    notes.append(
                        f"Indicator '{ind.column}' is the same in every ward: it does not separate wards (set to the middle)."
                    )
                else:
                    n = (x - p["min"]) / span
            elif fw.normalisation == "zscore":
                if p["sd"] == 0:
                    n = np.where(np.isnan(x), np.nan, 0.5)
                    notes.append(
                        f"Indicator '{ind.column}' is the same in every ward: it does not separate wards (set to the middle)."
                    )
                else:
                    n = (np.clip((x - p["mean"]) / p["sd"], -3.0, 3.0) + 3.0) / 6.0
            else:
                ref = np.asarray(p["values"])
                if ref.size == 1:
                    n = np.where(np.isnan(x), np.nan, 0.5)
                else:
                    n = np.interp(x, ref, np.asarray(p["ranks"]))
            outside = int(np.sum((n < -1e-12) | (n > 1 + 1e-12)))
            if outside:
                notes.append(
                    f"Indicator '{ind.column}': {outside} ward(s) lie outside the fitted range and were clipped to it."
                )
            n = np.clip(n, 0.0, 1.0)
            if ind.direction == "lower_is_riskier":
                n = 1.0 - n
            out[:, j] = n
        return pd.DataFrame(out, index=prepared.index, columns=fw.columns), notes

    def transform(self, table: pd.DataFrame) -> ScoreResult:
        """Score ``table`` on the fitted scale."""
        self._check_fitted()
        fw = self.framework
        prepared = prepare_indicators(table, fw)
        normalised, notes = self.normalise(prepared)
        norm = normalised.to_numpy()
        avail = ~np.isnan(norm)
        dims = fw.dimension_names
        dim_of = np.array([dims.index(ind.dimension) for ind in fw.indicators])
        w = np.array([float(ind.weight) for ind in fw.indicators])
        W = np.array([fw.effective_dimension_weights[d] for d in dims])  # 0 for a dimension switched off
        n_dims = len(dims)

        # weighted mean inside each dimension, over available indicators
        onehot = np.zeros((len(w), n_dims))
        onehot[np.arange(len(w)), dim_of] = 1.0
        wa = np.where(avail, w, 0.0)
        num = (wa * np.nan_to_num(norm)) @ onehot
        den = wa @ onehot
        with np.errstate(invalid="ignore", divide="ignore"):
            dim_scores = np.where(den > 0, 10.0 * num / den, np.nan)

        dim_avail = ~np.isnan(dim_scores)
        Wa = np.where(dim_avail, W, 0.0)
        Wsum = Wa.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            if fw.aggregation == "arithmetic":
                risk = (Wa * np.nan_to_num(dim_scores)).sum(axis=1) / Wsum
            else:
                risk = np.exp((Wa * np.log1p(np.nan_to_num(dim_scores))).sum(axis=1) / Wsum) - 1.0
        risk = np.where(Wsum > 0, risk, np.nan)
        risk = np.clip(risk, 0.0, 10.0)

        w_total_dim = onehot.T @ w  # total indicator weight per dimension
        within = np.divide(w, w_total_dim[dim_of], out=np.zeros_like(w), where=w_total_dim[dim_of] > 0)
        share = (W / W.sum())[dim_of] * within
        coverage = np.minimum((avail * share).sum(axis=1), 1.0)

        scores = pd.DataFrame(dim_scores, index=table.index, columns=[f"{d}_score" for d in dims])
        scores["risk_score"] = risk
        scores["risk_rank"] = pd.array(_rank_desc(risk).to_numpy(), dtype="Int64")
        scores["coverage"] = coverage
        no_data = int(np.isnan(risk).sum())
        partial = int(((coverage < 1 - 1e-9) & ~np.isnan(risk)).sum())
        if no_data:
            notes.append(
                f"{no_data} ward(s) have no value for any indicator: they are shown as 'no data', not scored 0."
            )
        if fw.switched_off:
            notes.append(
                f"Weight 0 (left out of the risk score): {', '.join(fw.switched_off)}. A dimension whose indicators "
                "all weigh 0 has no score."
            )
        if partial:
            notes.append(
                f"{partial} ward(s) miss some indicators: they are scored on the indicators they have, with the weights "
                "renormalised; 'coverage' gives the share of the weight that was available."
            )
        log = {
            "framework": fw.to_dict(),
            "normalisation": {
                "method": fw.normalisation,
                "fitted_on_wards": self.n_wards_fit_,
                "parameters": self.params_,
            },
            "aggregation": fw.aggregation,
            "scale": "0-10",
            "missing_values": "scored on available indicators with weights renormalised; coverage = share of weight available",
        }
        return ScoreResult(
            prepared=prepared,
            normalised=normalised,
            scores=scores,
            framework=fw,
            log=log,
            notes=notes,
            _indicator_share=share,
            _dimension_share=W / W.sum(),
        )

    def fit_transform(self, table: pd.DataFrame) -> ScoreResult:
        return self.fit(table).transform(table)


def score_wards(table: pd.DataFrame, framework: Framework, reference: pd.DataFrame | None = None) -> ScoreResult:
    """Score a ward table with a framework (quick function beside :class:`RiskScorer`).

    Parameters
    ----------
    table : ward table with numeric indicator columns.
    framework : the model.
    reference : table to learn the normalisation from (default: ``table`` itself). Pass another city, or several
        cities concatenated, to score on a shared scale.
    """
    scorer = RiskScorer(framework).fit(table if reference is None else reference)
    return scorer.transform(table)
