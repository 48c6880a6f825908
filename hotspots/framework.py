"""The risk model as data: indicators, dimensions, weights, directions, denominators.

A framework says which column of the ward table feeds which risk dimension, with what weight and direction, and
optionally a denominator that turns a count into a rate per N population. It is plain data: it is read from and
written to JSON (or TOML), shown as a table in the app, and written into every export so that a map can be rebuilt.

Example
-------
>>> fw = Framework.from_dict({
...     "dimensions": {"individual": 1, "ideological": 1},
...     "indicators": [
...         {"column": "youth_unemployment_rate", "dimension": "individual"},
...         {"column": "hate_incidents", "dimension": "ideological", "per_population": 10000},
...     ],
... })
>>> fw.columns
['youth_unemployment_rate', 'hate_incidents']
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .classify import SCHEMES
from .data import data_path
from .errors import FrameworkError, InputFileError
from .io import limits

DIRECTIONS = ("higher_is_riskier", "lower_is_riskier")
NORMALISATIONS = ("minmax", "zscore", "percentile")
AGGREGATIONS = ("arithmetic", "geometric")
CLASSIFICATIONS = tuple(SCHEMES)  # the one list of scheme names lives in hotspots.classify
UNITS = ("percent", "count", "rate", "other")
SMOOTHINGS = ("none", "eb", "spatial_eb")  # hotspots.smoothing

DEFAULT_FRAMEWORK_PATH: Path = data_path("framework_default.json")
"""The default framework, shipped inside the package (``hotspots/data/framework_default.json``)."""


def _positive_number(value: Any, what: str, maximum: float | None = None, zero: bool = False) -> float:
    """``value`` as a float, refused unless finite, above 0 (or 0 with ``zero``) and at most ``maximum``."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        number = float("nan")
    if isinstance(value, bool) or not math.isfinite(number) or number < 0 or (number == 0 and not zero):
        how = (
            "Use a number of 0 or more (0 switches it off)"
            if zero
            else "Use a number greater than 0 (to leave an indicator out, remove it from the framework)"
        )
        raise FrameworkError(f"{what}: the weight {_shown(value)} is not a positive number. {how}.")
    if maximum is not None and number > maximum:
        raise FrameworkError(
            f"{what}: the weight {_shown(value)} is larger than the limit of {maximum:,.0f}. Weights are relative "
            "(1, 2 or 0.5 are usual): divide all weights by the same number."
        )
    return number


def _shown(value: Any, width: int = 40) -> str:
    """A value of a framework file for a message: its repr, shortened."""
    try:
        text = repr(value)
    except (RecursionError, ValueError):  # deeply nested lists; an int of too many digits
        text = f"(a {type(value).__name__})"
    return text if len(text) <= width else text[: width - 3] + "..."


@dataclass(frozen=True)
class Indicator:
    """One column of the ward table and how it feeds the model.

    Parameters
    ----------
    column : name of the column in the indicator table.
    dimension : the risk dimension it belongs to (a key of ``Framework.dimensions``).
    weight : relative weight inside its dimension (>= 0; 0 switches the indicator off).
    direction : ``"higher_is_riskier"`` (default) or ``"lower_is_riskier"``.
    per_population : if set, the value is divided by the ward population and multiplied by this number
        (a count becomes a rate per ``per_population`` residents) before normalisation.
    unit : ``"percent"`` (checked to lie in 0-100), ``"count"`` (checked non-negative), ``"rate"`` or ``"other"``.
    label : a human-readable name, with the unit of the value the model uses, e.g. "Youth unemployment (% of 15–29
        labour force)" or, for a count with ``per_population``, "Recorded hate incidents per 10,000 residents".
        Shown in tooltips, the ward breakdown and the app; :attr:`display_label` makes one when it is missing.
    smoothing : ``"none"`` (default), ``"eb"`` (global Empirical Bayes) or ``"spatial_eb"`` (spatial EB over the
        ward and its neighbours): a count per population is smoothed before normalisation, so that a rate from a
        small population is not mistaken for risk (:mod:`hotspots.smoothing`). Needs ``per_population``.
    """

    column: str
    dimension: str
    weight: float = 1.0
    direction: str = "higher_is_riskier"
    per_population: float | None = None
    unit: str | None = None
    label: str | None = None
    smoothing: str = "none"

    @property
    def display_label(self) -> str:
        """The label, or one made from the column name and the unit of the value the model uses.

        Examples
        --------
        >>> Indicator("hate_incidents", "ideological", unit="count", per_population=10000).display_label
        'Hate incidents per 10,000 residents'
        """
        if self.label:
            return self.label
        name = self.column.replace("_", " ").strip().capitalize()
        if self.per_population is not None:
            return f"{name} {self.value_unit}"
        return f"{name} (%)" if self.unit == "percent" else name

    @property
    def value_unit(self) -> str:
        """The unit of the value the model uses: "per 10,000 residents" for a count with a denominator, "%", "count",
        "rate" or ""."""
        if self.per_population is not None:
            return f"per {self.per_population:,.0f} residents"
        return {"percent": "%", "count": "count", "rate": "rate"}.get(self.unit or "", "")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "column": self.column,
            "dimension": self.dimension,
            "weight": self.weight,
            "direction": self.direction,
        }
        if self.per_population is not None:
            out["per_population"] = self.per_population
        if self.unit is not None:
            out["unit"] = self.unit
        if self.label is not None:
            out["label"] = self.label
        if self.smoothing != "none":
            out["smoothing"] = self.smoothing
        return out


@dataclass(frozen=True)
class Framework:
    """The whole model: dimensions with weights, indicators, normalisation, aggregation and classification."""

    dimensions: dict[str, float]
    indicators: tuple[Indicator, ...]
    normalisation: str = "minmax"
    aggregation: str = "arithmetic"
    classification: str = "quantiles"
    thresholds: tuple[float, ...] | None = None
    population_column: str = "population"
    min_population: float | None = None
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        problems = []
        if not self.dimensions:
            problems.append("it names no dimensions")
        if not self.indicators:
            problems.append("it names no indicators")
        for name, weight in self.dimensions.items():
            try:
                _positive_number(weight, f"dimension '{name}'", limits.MAX_WEIGHT, zero=True)
            except FrameworkError as exc:
                problems.append(str(exc))
        seen = set()
        for ind in self.indicators:
            if ind.column in seen:
                problems.append(f"the column '{ind.column}' is listed twice; list each column once.")
            seen.add(ind.column)
            if ind.dimension not in self.dimensions:
                problems.append(
                    f"indicator '{ind.column}' names the unknown dimension '{ind.dimension}'. "
                    f'Known dimensions: {", ".join(self.dimensions)}; add it to "dimensions" or fix the name.'
                )
            try:
                _positive_number(ind.weight, f"indicator '{ind.column}'", limits.MAX_WEIGHT, zero=True)
            except FrameworkError as exc:
                problems.append(str(exc))
            if ind.direction not in DIRECTIONS:
                problems.append(
                    f"indicator '{ind.column}' has direction '{ind.direction}'; use one of {', '.join(DIRECTIONS)}."
                )
            if ind.per_population is not None:
                try:
                    _positive_number(ind.per_population, f"indicator '{ind.column}' per_population")
                except FrameworkError:
                    problems.append(
                        f"indicator '{ind.column}': per_population {ind.per_population!r} must be a positive number "
                        "such as 10000."
                    )
            if ind.unit is not None and ind.unit not in UNITS:
                problems.append(f"indicator '{ind.column}' has unit '{ind.unit}'; use one of {', '.join(UNITS)}.")
            problems += _smoothing_problems(ind)
        for dim in self.dimensions:
            if not any(ind.dimension == dim for ind in self.indicators):
                problems.append(f"dimension '{dim}' has no indicator; map a column to it or remove it.")
        if not problems and not any(self.effective_dimension_weights.values()):
            problems.append(
                "every weight is 0 (each dimension has weight 0, or only indicators of weight 0): give at least one "
                "dimension, and one of its indicators, a weight above 0."
            )
        for what, value, options in (
            ("normalisation", self.normalisation, NORMALISATIONS),
            ("aggregation", self.aggregation, AGGREGATIONS),
            ("classification", self.classification, CLASSIFICATIONS),
        ):
            if value not in options:
                problems.append(f"{what} '{value}' is not known; use one of {', '.join(options)}.")
        if self.min_population is not None:
            try:
                _positive_number(self.min_population, "min_population")
            except FrameworkError:
                problems.append(
                    f"min_population {_shown(self.min_population)} must be a positive number of residents, e.g. 500."
                )
        if self.classification == "fixed":
            th = self.thresholds
            if not th or len(th) != 4 or any(not isinstance(t, (int, float)) for t in th) or list(th) != sorted(th):
                problems.append(
                    "classification 'fixed' needs \"thresholds\": four increasing numbers on the 0-10 scale "
                    "that separate the five classes, e.g. [2, 4, 6, 8]."
                )
        if problems:
            where = f" in {self.source}" if self.source else ""
            raise FrameworkError(f"The framework{where} is not valid:\n" + "\n".join(f"  - {p}" for p in problems))

    # ----------------------------------------------------------------- views
    @property
    def columns(self) -> list[str]:
        """Indicator columns in framework order."""
        return [ind.column for ind in self.indicators]

    @property
    def dimension_names(self) -> list[str]:
        return list(self.dimensions)

    @property
    def count_columns(self) -> list[str]:
        """The indicator columns holding counts (unit "count"), whose small counts are suppressed
        (:mod:`hotspots.suppression`)."""
        return [ind.column for ind in self.indicators if ind.unit == "count"]

    @property
    def labels(self) -> dict[str, str]:
        """Indicator column -> its :attr:`Indicator.display_label`, in framework order."""
        return {ind.column: ind.display_label for ind in self.indicators}

    @property
    def effective_dimension_weights(self) -> dict[str, float]:
        """Dimension weights as they enter the risk score: 0 for a dimension whose indicators all weigh 0."""
        return {
            d: float(w) if any(float(i.weight) > 0 for i in self.indicators_of(d)) else 0.0
            for d, w in self.dimensions.items()
        }

    @property
    def switched_off(self) -> list[str]:
        """Dimensions and indicators of weight 0 (left out of the risk score), for notes."""
        off = [f"dimension '{d}'" for d, w in self.effective_dimension_weights.items() if w == 0]
        return off + [f"indicator '{i.column}'" for i in self.indicators if float(i.weight) == 0]

    def indicators_of(self, dimension: str) -> list[Indicator]:
        return [ind for ind in self.indicators if ind.dimension == dimension]

    @property
    def needs_population(self) -> bool:
        return any(ind.per_population is not None for ind in self.indicators)

    def columns_key(self) -> str:
        """What validating a table depends on, as text: the population column and each indicator's column, unit and
        denominator (not the weights or the methods). Frameworks with equal keys validate a table the same way, so a
        front end can cache validation on it."""
        return json.dumps(
            [self.population_column] + [[ind.column, ind.unit, ind.per_population] for ind in self.indicators]
        )

    def to_frame(self):
        """The framework as a table: indicator, dimension, direction, weight, denominator, unit."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "indicator": ind.column,
                    "label": ind.display_label,
                    "dimension": ind.dimension,
                    "direction": ind.direction,
                    "weight": ind.weight,
                    "dimension_weight": self.dimensions[ind.dimension],
                    "per_population": ind.per_population,
                    "unit": ind.unit,
                    "smoothing": ind.smoothing,
                }
                for ind in self.indicators
            ]
        )

    # ----------------------------------------------------------------- changes
    def with_weights(
        self,
        indicator_weights: dict[str, float] | None = None,
        dimension_weights: dict[str, float] | None = None,
    ) -> Framework:
        """A copy with some weights changed (validated like a file)."""
        indicator_weights = indicator_weights or {}
        unknown = set(indicator_weights) - set(self.columns)
        unknown_dims = set(dimension_weights or {}) - set(self.dimensions)
        if unknown or unknown_dims:
            raise FrameworkError(
                f"with_weights: unknown indicators {sorted(unknown)} or dimensions {sorted(unknown_dims)}"
            )
        indicators = tuple(
            replace(ind, weight=indicator_weights.get(ind.column, ind.weight)) for ind in self.indicators
        )
        dims = {**self.dimensions, **(dimension_weights or {})}
        return replace(self, indicators=indicators, dimensions=dims)

    def with_options(self, **options: Any) -> Framework:
        """A copy with normalisation, aggregation, classification or thresholds changed."""
        if "thresholds" in options and options["thresholds"] is not None:
            options["thresholds"] = tuple(float(t) for t in options["thresholds"])
        return replace(self, **options)

    def with_indicator(self, indicator: Indicator) -> Framework:
        """A copy with an indicator added (or replaced, when its column is already there)."""
        indicators = [ind for ind in self.indicators if ind.column != indicator.column] + [indicator]
        dims = dict(self.dimensions)
        dims.setdefault(indicator.dimension, 1.0)
        return replace(self, indicators=tuple(indicators), dimensions=dims)

    def without_indicator(self, column: str) -> Framework:
        indicators = tuple(ind for ind in self.indicators if ind.column != column)
        used = {ind.dimension for ind in indicators}
        dims = {d: w for d, w in self.dimensions.items() if d in used}
        return replace(self, indicators=indicators, dimensions=dims)

    # ----------------------------------------------------------------- (de)serialise
    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "dimensions": dict(self.dimensions),
            "indicators": [ind.to_dict() for ind in self.indicators],
            "normalisation": self.normalisation,
            "aggregation": self.aggregation,
            "classification": self.classification,
            "population_column": self.population_column,
        }
        if self.thresholds is not None:
            out["thresholds"] = list(self.thresholds)
        if self.min_population is not None:
            out["min_population"] = self.min_population
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.to_json() + "\n", encoding="utf-8")
        return path

    @classmethod
    def from_dict(cls, data: Any, source: str = "") -> Framework:
        """Build a framework from a dict as in the JSON file format (see README)."""
        where = f" in {source}" if source else ""
        if not isinstance(data, dict):
            raise FrameworkError(f'The framework{where} must be a JSON object with "dimensions" and "indicators".')
        known = {
            "dimensions",
            "indicators",
            "normalisation",
            "normalization",
            "aggregation",
            "classification",
            "thresholds",
            "population_column",
            "min_population",
            "description",
            "name",
            "metadata",
        }
        unknown = sorted(set(data) - known)
        if unknown:
            raise FrameworkError(
                f"The framework{where} has unknown keys {unknown}; known keys: {', '.join(sorted(known))}."
            )
        dims = data.get("dimensions")
        if not isinstance(dims, dict):
            raise FrameworkError(
                f'The framework{where} needs "dimensions": an object of dimension name to weight, '
                'e.g. {"individual": 1, "institutional": 1, "ideological": 1}.'
            )
        raw_indicators = data.get("indicators")
        if not isinstance(raw_indicators, list):
            raise FrameworkError(
                f'The framework{where} needs "indicators": a list of objects with "column" and "dimension".'
            )
        indicators = []
        fields = {"column", "dimension", "weight", "direction", "per_population", "unit", "label", "smoothing"}
        for k, item in enumerate(raw_indicators, start=1):
            if not isinstance(item, dict) or "column" not in item or "dimension" not in item:
                raise FrameworkError(
                    f'The framework{where}: indicator #{k} must be an object with at least "column" and "dimension".'
                )
            extra = sorted(set(item) - fields)
            if extra:
                raise FrameworkError(
                    f"The framework{where}: indicator '{item['column']}' has unknown keys {extra}; "
                    f"known keys: {', '.join(sorted(fields))}."
                )
            indicators.append(
                Indicator(
                    column=str(item["column"]),
                    dimension=str(item["dimension"]),
                    weight=item.get("weight", 1.0),
                    direction=item.get("direction", "higher_is_riskier"),
                    per_population=item.get("per_population"),
                    unit=item.get("unit"),
                    label=item.get("label"),
                    smoothing=item.get("smoothing", "none"),
                )
            )
        thresholds = data.get("thresholds")
        return cls(
            dimensions=dict(dims),
            indicators=tuple(indicators),
            normalisation=data.get("normalisation", data.get("normalization", "minmax")),
            aggregation=data.get("aggregation", "arithmetic"),
            classification=data.get("classification", "quantiles"),
            thresholds=tuple(thresholds) if isinstance(thresholds, list) else thresholds,
            population_column=data.get("population_column", "population"),
            min_population=data.get("min_population"),
            source=source,
        )

    @classmethod
    def from_json(cls, text: str | bytes, source: str = "") -> Framework:
        if isinstance(text, (bytes, bytearray)):
            text = _framework_text(bytes(text), source)
        _check_framework_size(len(text), source)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FrameworkError(
                f"The framework file {source or ''} is not valid JSON: {exc.msg} at line {exc.lineno}, "
                f"column {exc.colno}. Check commas and quotes there."
            ) from None
        except (RecursionError, ValueError) as exc:  # nested thousands deep; an integer of thousands of digits
            raise FrameworkError(
                f"The framework file {source or ''} cannot be read: "
                f"{'it is nested too deeply' if isinstance(exc, RecursionError) else 'a number is too long'}. "
                "A framework is a JSON object of dimensions and a list of indicators; start from "
                "hotspots/data/framework_default.json."
            ) from None
        return cls.from_dict(data, source=source)

    @classmethod
    def load(cls, path: str | Path) -> Framework:
        """Read a framework from a ``.json`` or ``.toml`` file."""
        path = Path(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise InputFileError(
                f"Cannot read the framework file {path}: {exc.strerror or exc}. Check the path."
            ) from None
        if path.suffix.lower() == ".toml":
            import tomllib

            text = _framework_text(raw, str(path))
            try:
                data = tomllib.loads(text)
            except (tomllib.TOMLDecodeError, RecursionError, ValueError) as exc:
                raise FrameworkError(f"The framework file {path} is not valid TOML: {_shown(str(exc), 200)}") from None
            return cls.from_dict(data, source=str(path))
        return cls.from_json(raw, source=str(path))


def _smoothing_problems(ind: Indicator) -> list[str]:
    """What is wrong with an indicator's ``smoothing`` (an unknown method, or smoothing without a denominator)."""
    if ind.smoothing not in SMOOTHINGS:
        return [f"indicator '{ind.column}' has smoothing {_shown(ind.smoothing)}; use one of {', '.join(SMOOTHINGS)}."]
    if ind.smoothing != "none" and ind.per_population is None:
        return [
            f"indicator '{ind.column}' is smoothed ({ind.smoothing}) but has no \"per_population\": smoothing is for "
            'counts per population; add e.g. "per_population": 10000, or remove the smoothing.'
        ]
    return []


def _check_framework_size(size: int, source: str) -> None:
    if size > limits.MAX_FRAMEWORK_BYTES:
        raise FrameworkError(
            f"The framework file {source or ''} is {size:,} bytes, more than the limit of "
            f"{limits.MAX_FRAMEWORK_BYTES:,}: a framework lists a few dimensions and indicators. Check that this is "
            "the framework file."
        )


def _framework_text(raw: bytes, source: str) -> str:
    """The text of a framework file: UTF-8 (with or without BOM), or UTF-16/UTF-32 with a BOM (Notepad's
    "Unicode")."""
    _check_framework_size(len(raw), source)
    boms = {b"\xff\xfe\x00\x00": "utf-32", b"\x00\x00\xfe\xff": "utf-32", b"\xff\xfe": "utf-16", b"\xfe\xff": "utf-16"}
    encoding = next((enc for bom, enc in boms.items() if raw.startswith(bom)), "utf-8-sig")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise FrameworkError(
            f"The framework file {source or ''} is not text in a known encoding (byte {exc.start} is not "
            f"{encoding.upper().replace('-SIG', '')}). Save it as UTF-8 text (in Notepad: File > Save As > "
            "Encoding: UTF-8)."
        ) from None


def default_framework() -> Framework:
    """The default framework, shipped inside the package in ``hotspots/data/framework_default.json``."""
    return Framework.load(DEFAULT_FRAMEWORK_PATH)
