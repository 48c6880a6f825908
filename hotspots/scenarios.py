"""Scenarios compared on one city: do the weights change the picture, or only the colours?

A *scenario* is a named :class:`~hotspots.method.Method` (weights, directions, normalisation, aggregation,
classification and the hot-spot options). :func:`compare_scenarios` scores one prepared city under two or more
scenarios with the pipeline's own steps (:func:`~hotspots.pipeline.score_city`; one neighbour graph per neighbour
rule, shared between the scenarios that use it) and returns a :class:`ScenarioComparison`:

* ``ranks``: each ward's rank under each scenario (1 = highest risk; tied scores share the average of their ranks);
* ``rank_shift``: how far a ward moves between the scenarios (its highest rank minus its lowest);
* ``top_class_agreement`` and ``hotspot_agreement``: in how many scenarios a ward is in the top class, or a
  significant hot spot;
* ``spearman``: the rank correlation between every two scenarios;
* ``common_breaks``: one scale for maps side by side (see :class:`ScenarioComparison`);
* :meth:`ScenarioComparison.verdict`: one sentence saying whether the scenarios agree.

Everything is keyed by ward ID (sorted), never by row position: a shuffled table gives the same result.

Examples
--------
>>> from hotspots import Method, default_framework, demo_city, load_city     # doctest: +SKIP
>>> demo = demo_city("kolkata")                                            # doctest: +SKIP
>>> city = load_city(demo.indicators_path, demo.boundaries_path, default_framework(), id_column="ward_id")  # doctest: +SKIP
>>> current = Method()                                                     # doctest: +SKIP
>>> comparison = compare_scenarios(city, preset_methods(current))          # doctest: +SKIP
>>> comparison.verdict()                                                   # doctest: +SKIP
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from .classify import CLASS_LABELS, NO_DATA, classify, label_levels
from .errors import DataError, FrameworkError
from .export import EXPORT_PRECISION, csv_text
from .framework import Framework
from .method import Method
from .pipeline import CityData, RiskResult, city_graph, score_city

TOP_CLASS = CLASS_LABELS[-1]
#: The lowest Spearman correlation at which scenarios "agree closely" (the picture holds, only the colours move).
AGREE_CLOSELY = 0.9
#: Below :data:`AGREE_CLOSELY` and at least this: the scenarios broadly agree.
AGREE_BROADLY = 0.7
HOT_SPOT_PREFIX = "hot spot"


def compare_scenarios(
    city: CityData, methods: Mapping[str, Method], graphs: Mapping[str, object] | None = None
) -> ScenarioComparison:
    """Score one city under each scenario and compare the results ward by ward.

    Parameters
    ----------
    city : a prepared city (:func:`~hotspots.pipeline.prepare_city`) whose table has every scenario's indicator
        columns (prepare it with :func:`union_framework` of the scenarios when they use different indicators).
    methods : scenario name -> method, two or more, in the order to show them.
    graphs : ``city.graph_key(method)`` -> neighbour graph (:func:`~hotspots.pipeline.city_graph`), e.g. from a
        cache; the missing ones are built, once per neighbour rule.

    Returns
    -------
    ScenarioComparison

    Raises
    ------
    DataError
        Fewer than two scenarios, a scenario that is not a Method, or one that needs columns the city lacks.
    """
    methods = _checked_methods(city, methods)
    graphs = _graphs_for(city, methods, dict(graphs or {}))
    scored: dict[str, RiskResult] = {}  # by method key: a method given twice is scored once
    results = {}
    for name, method in methods.items():
        if method.key not in scored:
            graph = graphs.get(city.graph_key(method)) if method.hotspots else None
            scored[method.key] = score_city(city, method, graph=graph)
        results[name] = scored[method.key]
    return ScenarioComparison(city=city, results=results)


def _checked_methods(city: CityData, methods: Mapping[str, Method]) -> dict[str, Method]:
    """The scenarios as a dict, checked: two or more Methods whose columns the city's table has."""
    if not isinstance(methods, Mapping) or len(methods) < 2:
        raise DataError("Comparing scenarios needs two or more of them, as a mapping of name -> Method.")
    columns = set(city.scored_table.columns)
    for name, method in methods.items():
        if not isinstance(method, Method):
            raise DataError(f"Scenario {str(name)!r} is a {type(method).__name__}, not a hotspots.Method.")
        missing = [c for c in method.framework.columns if c not in columns]
        if missing:
            raise DataError(
                f"Scenario {str(name)!r} uses column(s) {', '.join(map(repr, missing))} that {city.name} was not "
                "prepared with: prepare the city with hotspots.scenarios.union_framework(<the scenarios>), or "
                "remove those indicators from the scenario."
            )
    return {str(name): method for name, method in methods.items()}


def _graphs_for(city: CityData, methods: dict[str, Method], graphs: dict) -> dict:
    """One neighbour graph per neighbour rule among the scenarios that test hot spots (given ones reused)."""
    for method in methods.values():
        key = city.graph_key(method)
        if method.hotspots and key not in graphs:
            graphs[key] = city_graph(city, method)
    return graphs


def union_framework(methods: Iterable[Method]) -> Framework:
    """A framework holding every indicator of the scenarios: prepare the city with it, so each scenario finds its
    columns (the weights of this framework do not matter; each scenario scores with its own)."""
    methods = list(methods)
    if not methods:
        raise DataError("union_framework needs at least one Method.")
    framework = methods[0].framework
    for method in methods[1:]:
        for indicator in method.framework.indicators:
            if indicator.column not in framework.columns:
                framework = framework.with_indicator(indicator)
    return framework


def preset_methods(current: Method) -> dict[str, Method]:
    """Comparison presets derived from the current method, for a group that has not saved scenarios yet.

    "Current model"; "Equal weights" (every indicator and dimension weight 1); "<Dimension> alone" for each
    dimension (the framework with only that dimension's indicators at their weights; left out when they all weigh
    0); the other aggregation; z-score normalisation (min-max when the current one is z-score). The hot-spot
    options stay the current ones.
    """
    framework = current.framework
    presets = {"Current model": current}
    equal = framework.with_weights({c: 1.0 for c in framework.columns}, {d: 1.0 for d in framework.dimensions})
    presets["Equal weights"] = current.replace(framework=equal)
    if len(framework.dimensions) > 1:
        for dimension in framework.dimension_names:
            try:
                alone = replace(
                    framework, indicators=tuple(framework.indicators_of(dimension)), dimensions={dimension: 1.0}
                )
            except FrameworkError:  # e.g. every indicator of the dimension weighs 0: nothing to score alone
                continue
            presets[f"{dimension.replace('_', ' ').capitalize()} alone"] = current.replace(framework=alone)
    other = "arithmetic" if framework.aggregation == "geometric" else "geometric"
    presets[f"{other.capitalize()} aggregation"] = current.replace(framework=framework.with_options(aggregation=other))
    norm = "minmax" if framework.normalisation == "zscore" else "zscore"
    words = {"minmax": "Min-max normalisation", "zscore": "Z-score normalisation"}
    presets[words[norm]] = current.replace(framework=framework.with_options(normalisation=norm))
    return presets


def ranks_high_first(values: pd.Series) -> pd.Series:
    """Rank 1 = the highest value; tied values share the average of their ranks (scipy ``rankdata`` "average");
    missing values stay missing and are not ranked."""
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    out = np.full(x.shape, np.nan)
    ok = np.isfinite(x)
    out[ok] = rankdata(-x[ok], method="average")
    return pd.Series(out, index=values.index, name=values.name)


def spearman_matrix(values: pd.DataFrame) -> pd.DataFrame:
    """Spearman's rank correlation between every two columns, on the rows where both have a value.

    Each pair is ranked afresh on its complete rows (ties averaged) and the ranks' Pearson correlation is taken,
    as ``scipy.stats.spearmanr(x, y, nan_policy="omit")``. NaN where fewer than three rows are complete or one
    column is constant on them.
    """
    names = list(values.columns)
    matrix = np.full((len(names), len(names)), np.nan)
    data = values.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    for i in range(len(names)):
        for j in range(i, len(names)):
            matrix[i, j] = matrix[j, i] = _spearman(data[:, i], data[:, j])
    return pd.DataFrame(matrix, index=pd.Index(names, name="scenario"), columns=names)


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    both = np.isfinite(x) & np.isfinite(y)
    if both.sum() < 3:
        return float("nan")
    rx, ry = rankdata(x[both]), rankdata(y[both])
    if np.ptp(rx) == 0 or np.ptp(ry) == 0:
        return float("nan")
    rx, ry = rx - rx.mean(), ry - ry.mean()
    return float(np.clip((rx @ ry) / np.sqrt((rx @ rx) * (ry @ ry)), -1.0, 1.0))


@dataclass
class ScenarioComparison:
    """One city scored under several scenarios, compared ward by ward (all frames indexed by ward ID, sorted).

    *One scale.* Maps side by side are drawn on one set of class breaks, :attr:`common_breaks`: the first
    scenario's classification scheme (quantiles by default) learned on the risk scores of **all** scenarios
    pooled (each dimension score likewise). So a ward that is "High" on one map and "Medium" on the next really
    scored lower, and a scenario whose scores are higher overall looks darker. The fixed 0-10 scale was not chosen:
    min-max scores seldom reach its top classes, so most maps would be pale and alike.

    *Agreement* counts, for each ward, the scenarios in which it is in the top class of **that scenario's own**
    classification (as its own map shows it: with quantiles, its top fifth) and those in which it is a
    significant hot spot (Gi*, any confidence level the map outlines: 90%, 95% or 99% after the correction). The own
    classes are used so that agreement is about which wards lead, not about the level of the scores.

    Attributes
    ----------
    city : the prepared city.
    results : scenario name -> :class:`~hotspots.pipeline.RiskResult`, in the order given.
    """

    city: CityData
    results: dict[str, RiskResult]

    @property
    def names(self) -> list[str]:
        return list(self.results)

    @functools.cached_property
    def ward_ids(self) -> pd.Index:
        """Every ward of the city (those without a score included), sorted."""
        ids = sorted(self.city.wards["ward_id"].astype(str).unique())
        return pd.Index(ids, name="ward_id", dtype=object)

    def _column(self, column: str, fill=np.nan) -> pd.DataFrame:
        """One layer column per scenario, by ward ID."""
        out = {}
        for name, result in self.results.items():
            layer = result.layer
            if column in layer.columns:
                out[name] = pd.Series(layer[column].to_numpy(), index=layer["ward_id"].astype(str)).reindex(
                    self.ward_ids
                )
            else:
                out[name] = pd.Series(fill, index=self.ward_ids, dtype=object)
        return pd.DataFrame(out, index=self.ward_ids)

    @functools.cached_property
    def risk(self) -> pd.DataFrame:
        """The risk score (0-10) of each ward under each scenario (NaN: no score)."""
        return self._column("risk_score").astype(float)

    @functools.cached_property
    def ranks(self) -> pd.DataFrame:
        """Each ward's rank under each scenario: 1 = highest risk, ties averaged, NaN for wards without a score."""
        return self.risk.apply(ranks_high_first)

    @functools.cached_property
    def rank_shift(self) -> pd.Series:
        """Highest minus lowest rank of each ward over the scenarios (0: the same rank everywhere; NaN when the ward
        is ranked in fewer than two scenarios)."""
        shift = self.ranks.max(axis=1) - self.ranks.min(axis=1)
        return shift.where(self.ranks.count(axis=1) >= 2).rename("rank_shift")

    @functools.cached_property
    def _top_class_own(self) -> pd.DataFrame:
        """Per ward and scenario: in the top class of the scenario's own classification."""
        return self._column("risk_class", NO_DATA) == TOP_CLASS

    @functools.cached_property
    def _hot_spots(self) -> pd.DataFrame:
        """Per ward and scenario: a significant hot spot (any confidence level the map outlines)."""
        classes = self._column("hotspot_class", "not tested")
        return classes.apply(lambda column: column.astype("string").str.startswith(HOT_SPOT_PREFIX).fillna(False))

    @functools.cached_property
    def top_class_agreement(self) -> pd.Series:
        """In how many scenarios the ward is in the top class ("Very high") of the scenario's own classification."""
        return self._top_class_own.sum(axis=1).rename("top_class_agreement")

    @functools.cached_property
    def hotspot_agreement(self) -> pd.Series:
        """In how many scenarios the ward is a significant hot spot (Gi*, 90%, 95% or 99% after the correction)."""
        return self._hot_spots.sum(axis=1).astype(int).rename("hotspot_agreement")

    @functools.cached_property
    def spearman(self) -> pd.DataFrame:
        """Spearman's rank correlation of the risk scores between every two scenarios (square, 1 on the
        diagonal), on the wards scored in both."""
        return spearman_matrix(self.risk)

    @property
    def hotspot_scenarios(self) -> list[str]:
        """The scenarios in which hot spots were tested."""
        return [name for name, result in self.results.items() if result.hotspots is not None]

    @functools.cached_property
    def common_breaks(self) -> dict[str, list[float]]:
        """Per score column, the class upper bounds learned on all scenarios' values pooled (see the class
        docstring); a column no scenario has a value in is left out."""
        first = next(iter(self.results.values())).framework
        columns = dict.fromkeys(c for r in self.results.values() for c in r.breaks)
        out = {}
        for column in columns:
            pooled = np.concatenate(
                [r.layer[column].to_numpy(dtype=float) for r in self.results.values() if column in r.layer]
            )
            if np.isfinite(pooled).any():
                out[column] = classify(pooled, first.classification, thresholds=first.thresholds, reference=pooled).bins
        return out

    @property
    def common_scheme(self) -> str:
        """The scheme of :attr:`common_breaks` (the first scenario's)."""
        return next(iter(self.results.values())).framework.classification

    def common_levels(self, column: str = "risk_score") -> list[int]:
        """The label index (0 = Very low .. 4 = Very high) of each class of ``common_breaks[column]``."""
        return label_levels(len(self.common_breaks.get(column, [])))

    @functools.cached_property
    def common_classes(self) -> pd.DataFrame:
        """Each ward's risk class on the one scale of :attr:`common_breaks`, under each scenario."""
        bins = self.common_breaks.get("risk_score")
        out = {}
        for name in self.names:
            values = self.risk[name].to_numpy()
            out[name] = classify(values, bins=bins).labels.to_numpy() if bins else np.full(len(values), NO_DATA)
        return pd.DataFrame(out, index=self.ward_ids)

    def summary(self) -> pd.DataFrame:
        """One row per scenario: ``mean_risk``, ``wards_scored``, ``top_class_common`` (wards Very high on the one
        scale), ``top_class_own`` (Very high in the scenario's own classes) and ``hot_spots`` (significant)."""
        frame = pd.DataFrame(
            {
                "mean_risk": self.risk.mean(),
                "wards_scored": self.risk.notna().sum(),
                "top_class_common": (self.common_classes == TOP_CLASS).sum(),
                "top_class_own": self._top_class_own.sum(),
                "hot_spots": self._hot_spots.sum().astype(int),
            }
        )
        frame.index.name = "scenario"
        return frame

    def on_common_scale(self, name: str) -> RiskResult:
        """The scenario's result with the class breaks of :attr:`common_breaks` (for maps side by side)."""
        result = self.results[name]
        breaks = {c: b for c, b in self.common_breaks.items() if c in result.breaks}
        if "risk_score" not in breaks:
            return result
        layer = result.layer.copy()
        layer["risk_class"] = classify(
            layer["risk_score"].to_numpy(dtype=float), bins=breaks["risk_score"]
        ).labels.to_numpy()
        return replace(result, layer=layer, breaks={**result.breaks, **breaks})

    def lowest_agreement(self) -> tuple[float, str, str]:
        """The lowest Spearman correlation between two scenarios and the two scenarios."""
        names, values = self.names, self.spearman.to_numpy()
        pairs = [(values[i, j], names[i], names[j]) for i in range(len(names)) for j in range(i + 1, len(names))]
        finite = [p for p in pairs if np.isfinite(p[0])]
        return min(finite) if finite else (float("nan"), names[0], names[-1])

    def verdict(self) -> str:
        """One sentence: do the scenarios agree on which wards are at highest risk?"""
        rho, a, b = self.lowest_agreement()
        pair = f"between {a} and {b}" if len(self.names) > 2 else ""
        if not np.isfinite(rho):
            return "The scenarios cannot be compared: fewer than three wards have a score under every scenario."
        where = f"lowest Spearman ρ = {rho:.2f}, {pair}" if pair else f"Spearman ρ = {rho:.2f}"
        if rho >= AGREE_CLOSELY:
            return (
                f"The scenarios agree closely ({where}; ≥ {AGREE_CLOSELY}): the weights change the colours more "
                "than the picture."
            )
        if rho >= AGREE_BROADLY:
            return (
                f"The scenarios broadly agree ({where}): the picture holds, but some wards move; see the rank shifts."
            )
        if rho <= -AGREE_BROADLY:
            return f"The scenarios rank the wards in opposite orders ({where}): the weights change the picture."
        return f"The scenarios disagree ({where}; < {AGREE_BROADLY}): the weights change the picture, not only the colours."

    def to_frame(self) -> pd.DataFrame:
        """One row per ward and scenario, for export: ``ward_id``, ``ward_name`` (when known), ``scenario``,
        ``risk_score``, ``rank`` (1 = highest, ties averaged), ``risk_class`` (the scenario's own classes),
        ``common_class`` (the one scale), ``hotspot_class``, and per ward ``rank_shift``, ``top_class_agreement``,
        ``hotspot_agreement``. Scenario names are cells, not column names (so an export neutralises them)."""
        own, hot = self._column("risk_class", NO_DATA), self._column("hotspot_class", "not tested")
        rows = []
        for name in self.names:
            part = pd.DataFrame(
                {
                    "ward_id": self.ward_ids,
                    "scenario": name,
                    "risk_score": self.risk[name].round(EXPORT_PRECISION["scores"]).to_numpy(),
                    "rank": self.ranks[name].to_numpy(),
                    "risk_class": own[name].fillna(NO_DATA).to_numpy(),
                    "common_class": self.common_classes[name].to_numpy(),
                    "hotspot_class": hot[name].fillna("not tested").to_numpy(),
                }
            )
            rows.append(part)
        frame = pd.concat(rows, ignore_index=True)
        per_ward = pd.concat([self.rank_shift, self.top_class_agreement, self.hotspot_agreement], axis=1)
        frame = frame.join(per_ward, on="ward_id")
        names = self._ward_names()
        if names is not None:
            frame.insert(1, "ward_name", frame["ward_id"].map(names).to_numpy())
        return frame

    def _ward_names(self) -> pd.Series | None:
        wards = self.city.wards
        if "ward_name" not in wards.columns:
            return None
        return pd.Series(wards["ward_name"].to_numpy(), index=wards["ward_id"].astype(str)).groupby(level=0).first()

    def to_csv(self) -> str:
        """:meth:`to_frame` as CSV, spreadsheet formulas neutralised (:func:`hotspots.export.csv_text`)."""
        return csv_text(self.to_frame())
