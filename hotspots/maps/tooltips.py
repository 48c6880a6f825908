"""The tooltip of the ward maps: its rows (scores, classes, indicators), numbers rounded for reading, small counts
suppressed by the rule of the exports, every string HTML-escaped (used by :mod:`hotspots.maps.views`)."""

from __future__ import annotations

import hashlib
import html
import math
from collections import OrderedDict
from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots.errors import DataError
from hotspots.framework import Indicator
from hotspots.suppression import COMPLEMENTARY, SHOWN, SMALL, as_floats, suppressed_text, suppression_codes


def _numbers(values: pd.Series, hidden: np.ndarray | None = None, hidden_text: str = "") -> list:
    """Numbers for the tooltip, to 3 significant digits of the column's largest value (None = no data).

    Cells where ``hidden`` is true get ``hidden_text`` (escaped HTML) instead of their value.
    """
    x = as_floats(values)
    if hidden is not None and hidden.any():
        x = np.where(hidden, np.nan, x)
        return [hidden_text if h else v for v, h in zip(_numbers(x), hidden.tolist())]
    finite = np.isfinite(x)
    if not finite.any():
        return [None] * len(x)
    top = float(np.max(np.abs(x[finite])))
    decimals = int(max(0, 2 - math.floor(math.log10(top)))) if top > 0 else 0
    r = np.round(np.where(finite, x, 0.0), decimals)
    out = r.astype(np.int64).tolist() if decimals == 0 or np.all(r == np.round(r)) else r.tolist()
    if not finite.all():
        out = [v if f else None for v, f in zip(out, finite.tolist())]
    return out


def _texts(values: pd.Series) -> dict:
    """A text column as escaped categories plus one code per ward (compact when labels repeat)."""
    codes, uniques = pd.factorize(pd.Series(values).astype("string").fillna("no data"))
    return {"cats": [html.escape(str(u)) for u in uniques], "codes": codes.tolist()}


def _escape_all(values: pd.Series) -> list[str]:
    """HTML-escaped text of every value ('' for missing), in one ``html.escape`` call when possible."""
    texts = values.astype("string").fillna("").tolist()
    joined = "\x1f".join(texts)
    if "\x1f" in "".join(texts):
        return [html.escape(t) for t in texts]
    return html.escape(joined).split("\x1f") if texts else []


def _plain(layer: pd.DataFrame, columns: Sequence[str]) -> dict[str, np.ndarray]:
    """The layer's ``columns`` (those it has) as arrays, each read once: a GeoDataFrame's column access checks for
    geometry on every call, and the tooltip reads most columns more than once (30 ms per 144-ward map before)."""
    return {c: layer[c].to_numpy() for c in dict.fromkeys(columns) if c in layer.columns}


def _label(column: str) -> str:
    return html.escape(column.replace("_", " ").strip().capitalize())


class _Suppression:
    """The wards whose counts the exports leave empty, by :func:`hotspots.suppression.suppression_codes` (small
    counts, and the counts hidden with them so that they cannot be worked out from a column's total).

    ``masks`` holds, per count column with suppressed cells, a boolean mask per ward; ``texts`` what the tooltip
    shows instead of each hidden cell (escaped HTML); ``text`` the text of a small count.
    """

    def __init__(self, layer: pd.DataFrame, columns: Sequence[str], count_columns: Sequence[str], below: int):
        below = _check_suppress_below(below)
        counts = [c for c in dict.fromkeys(columns) if c in set(count_columns) and c in layer.columns]
        codes = suppression_codes(pd.DataFrame(layer), counts, below)
        self.masks, self.texts = {}, {}
        self.text = html.escape(suppressed_text(below, SMALL))
        complementary = html.escape(suppressed_text(below, COMPLEMENTARY))
        for c in codes.columns:
            code = codes[c].to_numpy()
            if (code != SHOWN).any():
                self.masks[c] = code != SHOWN
                self.texts[c] = np.where(code == COMPLEMENTARY, complementary, self.text)

    def numbers(self, layer: pd.DataFrame, column: str, values: pd.Series | None = None) -> list:
        """The tooltip numbers of ``column`` (or of ``values`` made from it, e.g. a rate), hidden cells as text."""
        shown = _numbers(layer[column] if values is None else values, self.masks.get(column), self.text)
        if column in self.texts:
            shown = [t if h else v for v, h, t in zip(shown, self.masks[column].tolist(), self.texts[column].tolist())]
        return shown


def _check_suppress_below(below) -> int:
    if isinstance(below, bool) or not isinstance(below, (int, np.integer)) or below < 0:
        raise DataError(f"suppress_below must be a whole number >= 0 (5 by default; 0 turns it off), got {below!r}.")
    return int(below)


def _tooltip_rows(
    layer: gpd.GeoDataFrame,
    dimensions: Sequence[str],
    indicators: Sequence,
    count_columns: Sequence[str],
    suppress_below: int,
    population_column: str = "population",
    model_values: Mapping[str, Sequence[float]] | None = None,
) -> list[dict]:
    """The tooltip's rows: the scores and classes of this run, then the input rows (population and indicators,
    cached on their values: a weight change moves only the scores)."""
    fixed = ["risk_score", "risk_class", "risk_rank", "hotspot_class", "gi_star_z", "lisa_cluster"]
    fixed += ["risk_profile", "coverage"]
    scores = [f"{dim}_score" for dim in dimensions]
    frame = layer  # the layer itself, for the suppression rule; its columns as arrays below
    layer = _plain(frame, [*fixed, *scores, "population", population_column, *_indicator_columns(indicators)])
    rows = [{"label": "Risk score (0–10)", "num": _numbers(layer["risk_score"])}]
    if "risk_class" in layer:
        rows.append({"label": "Risk class", **_texts(layer["risk_class"])})
    if "risk_rank" in layer:
        rows.append({"label": "Rank (1 = highest)", "num": _numbers(layer["risk_rank"])})
    for dim in dimensions:
        rows.append({"label": f"{_label(dim)} score", "num": _numbers(layer[f"{dim}_score"])})
    if "hotspot_class" in layer:
        rows.append({"label": "Hot spot (Gi*)", **_texts(layer["hotspot_class"])})
    if "gi_star_z" in layer:
        rows.append({"label": "Gi* z-score", "num": _numbers(layer["gi_star_z"])})
    if "lisa_cluster" in layer:
        rows.append({"label": "LISA cluster", **_texts(layer["lisa_cluster"])})
    if "risk_profile" in layer:
        rows.append({"label": "Risk profile", **_texts(layer["risk_profile"])})
    if "coverage" in layer:
        rows.append({"label": "Data coverage (%)", "num": _numbers(100 * as_floats(layer["coverage"]))})
    inputs = _input_rows(frame, layer, indicators, count_columns, suppress_below, population_column, model_values or {})
    return rows + inputs


_INPUT_ROWS_CACHE: OrderedDict[str, list[dict]] = OrderedDict()
_INPUT_ROWS_CACHE_SIZE = 32


def _input_rows(
    frame, layer: dict, indicators: Sequence, count_columns: Sequence[str], below: int, population_column, model_values
):
    """Population and indicator rows (small counts suppressed), cached on the columns' values (as numbers, in row
    order: all the rows show), the model's values given and the indicators' definitions. The rows are shared
    between maps: read-only."""
    wanted = ["population", population_column, *_indicator_columns(indicators)]
    columns = [c for c in dict.fromkeys(wanted) if c in layer]
    digest = hashlib.blake2b(digest_size=20)
    for column in columns:
        digest.update(as_floats(layer[column]).tobytes())
    for column, values in sorted(model_values.items()):
        digest.update(column.encode() + np.asarray(values, dtype=float).tobytes())
    digest.update(repr((columns, list(indicators), sorted(map(str, count_columns)), below, population_column)).encode())
    key = digest.hexdigest()
    if key in _INPUT_ROWS_CACHE:
        _INPUT_ROWS_CACHE.move_to_end(key)
        return _INPUT_ROWS_CACHE[key]
    suppression = _Suppression(frame, ["population", *_indicator_columns(indicators)], count_columns, below)
    rows = [{"label": "Population", "num": suppression.numbers(layer, "population")}] if "population" in layer else []
    rows += [_indicator_row(layer, ind, suppression, population_column, model_values) for ind in indicators]
    _INPUT_ROWS_CACHE[key] = rows
    while len(_INPUT_ROWS_CACHE) > _INPUT_ROWS_CACHE_SIZE:
        _INPUT_ROWS_CACHE.popitem(last=False)
    return rows


def _indicator_row(layer: dict, indicator, suppression: _Suppression, population_column: str, model_values) -> dict:
    """A column name: its raw values under its name. An :class:`~hotspots.framework.Indicator`: the value the model
    uses (a count with a denominator as a rate per ``per_population`` residents, as in the ward breakdown; a smoothed
    indicator's value from ``model_values``, labelled smoothed as the breakdown's unit says) under its label. A rate
    made from a suppressed count is suppressed too (with the population it would give the count)."""
    if not isinstance(indicator, Indicator):
        return {"label": html.escape(str(indicator)), "num": suppression.numbers(layer, indicator)}
    column = indicator.column
    if column in model_values and indicator.smoothing != "none":
        label = f"{indicator.display_label}, smoothed ({indicator.smoothing})"
        values = np.asarray(model_values[column], dtype=float)
        return {"label": html.escape(label), "num": suppression.numbers(layer, column, values)}
    values = as_floats(layer[column])
    if indicator.per_population is not None and population_column in layer:
        population = as_floats(layer[population_column])
        with np.errstate(divide="ignore", invalid="ignore"):
            values = values / np.where(population > 0, population, np.nan) * float(indicator.per_population)
    return {"label": html.escape(indicator.display_label), "num": suppression.numbers(layer, column, values)}


def _indicator_columns(indicators: Sequence) -> list[str]:
    return [ind.column if isinstance(ind, Indicator) else ind for ind in indicators]
