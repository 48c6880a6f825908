"""Checks that turn bad input into one clear report (pandera-style lazy validation).

Every check runs; every failure is collected as a :class:`~hotspots.errors.Problem` naming the file, the column,
the rows (as line numbers of the file, with the ward ID) and how to fix it; then they are raised together as one
:class:`~hotspots.errors.ValidationError`. Nothing the user gave is changed silently: missing values stay missing.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import Problem, ValidationError
from .framework import Framework

HEADER_LINES = 1  # data row 0 is on line 2 of the file


def _suggest(name: str, options) -> str:
    close = difflib.get_close_matches(str(name), [str(o) for o in options], n=1, cutoff=0.5)
    return f" Did you mean '{close[0]}'?" if close else ""


def _where(rows: np.ndarray, ids: pd.Series | None) -> list[str]:
    out = []
    for r in rows:
        line = int(r) + 1 + HEADER_LINES
        if ids is not None and pd.notna(ids.iloc[r]):
            out.append(f"line {line} (ward {ids.iloc[r]})")
        else:
            out.append(f"line {line}")
    return out


@dataclass
class ValidatedTable:
    """A ward table that passed validation, with numbers parsed.

    Attributes
    ----------
    table : ``ward_id`` (str) first, then ``ward_name`` if any, the population column if any, the framework's
        indicator columns as floats (NaN where the file had no value), in the file's row order.
    missing : number of missing values per indicator column.
    notes : plain-language remarks (missing values, decimal comma, ...).
    name_column : the column the ward names came from (or None).
    """

    table: pd.DataFrame
    missing: dict[str, int]
    notes: list[str] = field(default_factory=list)
    name_column: str | None = None


def find_name_column(columns) -> str | None:
    """The column that holds ward names: ``ward_name`` or the first column whose name contains "name"."""
    cols = [str(c) for c in columns]
    if "ward_name" in cols:
        return "ward_name"
    for c in cols:
        if "name" in c.lower():
            return c
    return None


def validate_table(
    table: pd.DataFrame,
    framework: Framework,
    *,
    id_column: str,
    source: str = "the indicator table",
    decimal: str = ".",
    name_column: str | None = None,
) -> ValidatedTable:
    """Check a ward table against a framework and parse its numbers; raise one report listing every problem.

    Parameters
    ----------
    table : the table as read (cells as text; see :func:`hotspots.io.read_table`). Numeric columns are accepted too.
    framework : the model whose columns must be present and numeric.
    id_column : the ward ID column.
    source : file name used in messages.
    decimal : decimal mark of the file ("." or ",").
    name_column : the ward-name column (default: found by :func:`find_name_column`).

    Raises
    ------
    ValidationError
        Listing every problem: missing columns, empty or duplicate ward IDs (several rows per ward means
        individual-level or unaggregated data, which the tool refuses), values that are not numbers, negative
        counts, percentages above 100, non-positive populations.
    """
    from .io import normalise_ids, parse_numbers

    problems: list[Problem] = []
    columns = [str(c) for c in table.columns]
    if id_column not in columns:
        problems.append(
            Problem(
                "id column",
                f"there is no ward ID column '{id_column}'.{_suggest(id_column, columns)}",
                source=source,
                fix=f"Available columns: {', '.join(columns)}. Choose the column that holds the ward IDs.",
            )
        )
    needed = list(framework.columns)
    missing_cols = [c for c in needed if c not in columns]
    for c in missing_cols:
        problems.append(
            Problem(
                "framework column",
                f"the framework uses the column '{c}', which the table does not have.{_suggest(c, columns)}",
                source=source,
                column=c,
                fix="Rename the column in the table, or change the framework to the column name you have.",
            )
        )
    pop_col = framework.population_column
    if framework.needs_population and pop_col not in columns:
        users = [i.column for i in framework.indicators if i.per_population is not None]
        problems.append(
            Problem(
                "population column",
                f"indicators {users} are turned into rates per population, but there is no '{pop_col}' column."
                f"{_suggest(pop_col, columns)}",
                source=source,
                column=pop_col,
                fix="Add the ward population, or remove \"per_population\" from those indicators in the framework.",
            )
        )
    if problems and id_column not in columns:
        raise ValidationError(problems, title=f"{source} cannot be used as it is")

    ids = normalise_ids(table[id_column]) if id_column in columns else None
    if ids is not None:
        empty = np.flatnonzero(ids.isna().to_numpy())
        if empty.size:
            problems.append(
                Problem(
                    "empty id",
                    f"{empty.size} row(s) have no ward ID.",
                    source=source,
                    column=id_column,
                    rows=_where(empty, None),
                    fix="Fill in the ward ID or delete those rows.",
                )
            )
        dup_mask = ids.duplicated(keep=False) & ids.notna()
        if dup_mask.any():
            dup_ids = list(dict.fromkeys(ids[dup_mask].tolist()))
            problems.append(
                Problem(
                    "one row per ward",
                    f"{len(dup_ids)} ward ID(s) appear on more than one row: {', '.join(map(str, dup_ids[:30]))}"
                    f"{' ...' if len(dup_ids) > 30 else ''}. Several rows per ward look like individual-level or "
                    "unaggregated records; this tool works on ward-level aggregates only.",
                    source=source,
                    column=id_column,
                    rows=_where(np.flatnonzero(dup_mask.to_numpy()), ids),
                    fix="Aggregate the table to one row per ward (e.g. a pivot table with one row per ward ID) and "
                    "upload that; do not upload data about individuals.",
                )
            )

    parsed: dict[str, np.ndarray] = {}
    numeric_cols = [c for c in needed if c in columns]
    if framework.needs_population and pop_col in columns:
        numeric_cols.append(pop_col)
    elif pop_col in columns:
        numeric_cols.append(pop_col)
    units = {i.column: i.unit for i in framework.indicators}
    for c in numeric_cols:
        values, bad = parse_numbers(table[c], decimal=decimal)
        parsed[c] = values
        if bad.any():
            rows = np.flatnonzero(bad)
            examples = ", ".join(repr(str(v)) for v in table[c].iloc[rows[:5]])
            problems.append(
                Problem(
                    "number",
                    f"{rows.size} value(s) are not numbers (e.g. {examples}).",
                    source=source,
                    column=c,
                    rows=_where(rows, ids),
                    fix="Enter plain numbers (leave the cell empty where the value is unknown; do not write 'n/a' or '-').",
                )
            )
        unit = units.get(c)
        finite = ~np.isnan(values)
        if unit in ("count", "rate", "percent") or c == pop_col:
            neg = np.flatnonzero(finite & (values < 0))
            if neg.size:
                problems.append(
                    Problem(
                        "negative",
                        f"{neg.size} value(s) are negative; a {'count' if unit == 'count' else unit or 'population'} "
                        "cannot be below 0.",
                        source=source,
                        column=c,
                        rows=_where(neg, ids),
                        fix="Correct the values (a missing value is an empty cell, not a negative number).",
                    )
                )
        if unit == "percent":
            over = np.flatnonzero(finite & (values > 100))
            if over.size:
                problems.append(
                    Problem(
                        "percentage",
                        f"{over.size} percentage(s) are above 100 (e.g. {values[over[0]]:g}).",
                        source=source,
                        column=c,
                        rows=_where(over, ids),
                        fix="Give percentages on 0-100 (not per-thousand, not counts); check the column is a percentage.",
                    )
                )
        if c == pop_col and framework.needs_population:
            zero = np.flatnonzero(finite & (values == 0))
            if zero.size:
                problems.append(
                    Problem(
                        "population",
                        f"{zero.size} ward(s) have population 0, so rates per population cannot be computed.",
                        source=source,
                        column=c,
                        rows=_where(zero, ids),
                        fix="Enter the ward population (or leave it empty if unknown: those rates are then missing).",
                    )
                )
    if problems:
        raise ValidationError(problems, title=f"{source} has {len(problems)} problem(s); nothing was scored")

    name_column = name_column or find_name_column([c for c in columns if c != id_column])
    out = pd.DataFrame({"ward_id": ids.to_numpy()}, index=table.index)
    if name_column and name_column in columns:
        out["ward_name"] = table[name_column].astype("string").str.strip().to_numpy()
    for c in ([pop_col] if pop_col in parsed else []) + [c for c in needed if c in parsed]:
        out[c] = parsed[c]
    missing = {c: int(np.isnan(parsed[c]).sum()) for c in needed}
    notes = []
    total_missing = sum(missing.values())
    if total_missing:
        detail = ", ".join(f"{c}: {m}" for c, m in missing.items() if m)
        notes.append(
            f"{total_missing} indicator value(s) are missing ({detail}). Those wards are scored on the indicators "
            "they have; nothing is filled in."
        )
    if pop_col in parsed:
        m = int(np.isnan(parsed[pop_col]).sum())
        if m:
            notes.append(f"{m} ward(s) have no population: their per-population rates are missing.")
    if decimal == ",":
        notes.append("Numbers were read with a decimal comma (e.g. 12,5 = 12.5).")
    return ValidatedTable(table=out, missing=missing, notes=notes, name_column=name_column)
