"""Checks that turn bad input into one clear report (pandera-style lazy validation).

A :class:`TableSchema` is built from the framework: the ward ID column, the indicator columns and the population
column, each with its :class:`Check` s. :meth:`TableSchema.validate` runs every check on a table as read
(:class:`hotspots.io.TableRead`: it knows the file's name and the line each row came from) and collects every
failing cell -- column, check, value as written, line of the file, ward -- into :class:`~hotspots.errors.Problem` s
that name the file, the column, the lines and how to fix them; then raises them together as one
:class:`~hotspots.errors.ValidationError`. Nothing the user gave is changed silently: missing values stay missing.

:func:`validate_table` is the one-call form (``validate_table(read, framework, id_column="ward_id")``).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .errors import FailingCell, Problem, ValidationError
from .framework import Framework

if TYPE_CHECKING:  # pragma: no cover
    from .io import TableRead

HEADER_LINES = 1  # a bare DataFrame (no line numbers known): data row 0 is taken to be on line 2 of its file
DEFAULT_SOURCE = "the indicator table"


def _suggest(name: str, options) -> str:
    close = difflib.get_close_matches(str(name), [str(o) for o in options], n=1, cutoff=0.5)
    return f" Did you mean '{close[0]}'?" if close else ""


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


# --------------------------------------------------------------------------------------------------------------
# Checks of the numbers in a column
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnCells:
    """The cells of one column, as written and as numbers (what a :class:`Check` looks at).

    Attributes
    ----------
    text : the cells as written (a column of :attr:`hotspots.io.TableRead.table`).
    numbers : the parsed numbers (NaN where missing or not a number).
    not_numbers : True where a cell holds something that is not a number.
    """

    text: pd.Series
    numbers: np.ndarray
    not_numbers: np.ndarray

    def examples(self, positions: np.ndarray, n: int = 5) -> str:
        return ", ".join(repr(str(v)) for v in self.text.iloc[positions[:n]])


@dataclass(frozen=True)
class Check:
    """One check of a column: which cells fail it, what to tell the user, how to fix it.

    Parameters
    ----------
    name : the check's name in the report ("number", "negative", ...).
    fails : the column's cells -> boolean array, True where a cell fails (a missing cell never fails).
    says : (the cells, positions of the failing ones) -> the sentence that describes them.
    fix : how to fix them.
    """

    name: str
    fails: Callable[[ColumnCells], np.ndarray]
    says: Callable[[ColumnCells, np.ndarray], str]
    fix: str


NOT_A_NUMBER = Check(
    "number",
    lambda cells: cells.not_numbers,
    lambda cells, bad: f"{bad.size} value(s) are not numbers (e.g. {cells.examples(bad)}).",
    "Enter plain numbers (leave the cell empty where the value is unknown; do not write 'n/a' or '-').",
)
TOO_LARGE = Check(
    "finite",
    lambda cells: np.isinf(cells.numbers),
    lambda cells, bad: f"{bad.size} value(s) are too large to be numbers (e.g. {cells.examples(bad)}).",
    "Enter the value as an ordinary number (such as 12 or 0.5); check for a typing error.",
)
ABOVE_100 = Check(
    "percentage",
    lambda cells: np.isfinite(cells.numbers) & (cells.numbers > 100),
    lambda cells, bad: f"{bad.size} percentage(s) are above 100 (e.g. {cells.numbers[bad[0]]:g}).",
    "Give percentages on 0-100 (not per-thousand, not counts); check the column is a percentage.",
)
ZERO_POPULATION = Check(
    "population",
    lambda cells: cells.numbers == 0,
    lambda cells, bad: f"{bad.size} ward(s) have population 0, so rates per population cannot be computed.",
    "Enter the ward population (or leave it empty if unknown: those rates are then missing).",
)


def negative(noun: str) -> Check:
    """The check that no value is below 0 (``noun``: what the values are, for the message)."""
    return Check(
        "negative",
        lambda cells: np.isfinite(cells.numbers) & (cells.numbers < 0),
        lambda cells, bad: f"{bad.size} value(s) are negative; a {noun} cannot be below 0.",
        "Correct the values (a missing value is an empty cell, not a negative number).",
    )


# the checks of an indicator's numbers, by its unit (every number column is first checked by NUMBER_CHECKS)
NUMBER_CHECKS = (NOT_A_NUMBER, TOO_LARGE)
UNIT_CHECKS: dict[str | None, tuple[Check, ...]] = {
    "count": (negative("count"),),
    "rate": (negative("rate"),),
    "percent": (negative("percent"), ABOVE_100),
}


@dataclass(frozen=True)
class NumberColumn:
    """A column whose cells must be numbers, with the checks its numbers must pass (in order)."""

    name: str
    checks: tuple[Check, ...] = NUMBER_CHECKS


# --------------------------------------------------------------------------------------------------------------
# Where rows are in the file
# --------------------------------------------------------------------------------------------------------------


@dataclass
class _Places:
    """Where each row of a table is in its file (line of a CSV file, row of a sheet), to name it in messages."""

    source: str
    lines: Sequence[int] | None  # per row; None: row i is on line i + 1 + HEADER_LINES
    where: str = "line"  # "line" (text file) or "row" (sheet)
    wards: np.ndarray | None = None  # normalised ward ID per row (None where missing), once known

    def line(self, position: int) -> int:
        return int(self.lines[position]) if self.lines is not None else int(position) + 1 + HEADER_LINES

    def problem(
        self, check: str, message: str, *, column: str, positions: np.ndarray, text: pd.Series, fix: str
    ) -> Problem:
        """A problem of the cells of ``text`` at ``positions``: every one of them, with its line and ward."""
        values = text.to_numpy(dtype=object)[positions]
        rows, cells = [], []
        for position, value in zip(positions.tolist(), values):
            line = self.line(position)
            ward = self.wards[position] if self.wards is not None else None
            rows.append(f"{self.where} {line} (ward {ward})" if ward is not None else f"{self.where} {line}")
            empty = value is None or value is pd.NA or (isinstance(value, float) and value != value)
            cells.append(FailingCell(line=line, ward=ward, value=None if empty else value, where=self.where))
        return Problem(check, message, source=self.source, column=column, rows=rows, fix=fix, cells=cells)


def _unpack(
    table, source: str | None, decimal: str | None, line_numbers: Sequence[int] | None
) -> tuple[pd.DataFrame, _Places, str]:
    """(the DataFrame to check, where its rows are, its decimal mark) from a TableRead or a bare DataFrame."""
    from .io import TableRead, guess_decimal

    if isinstance(table, TableRead):
        frame, where = table.table, ("line" if table.delimiter is not None else "row")
        source = source or table.source
        if len(table.sheets) > 1:  # a workbook of several sheets: messages name the sheet read
            source = f"{source} (sheet '{table.sheet}')"
        decimal = decimal or guess_decimal(table)
        if line_numbers is None and (len(table.line_numbers) or not len(frame)):
            line_numbers = table.line_numbers
    else:
        frame, where, decimal = table, "line", decimal or "."
    if line_numbers is not None and len(line_numbers) != len(frame):
        raise ValueError(
            f"line_numbers has {len(line_numbers)} entries for a table of {len(frame)} rows: give one line per row "
            "(TableRead.line_numbers of the table as read)"
        )
    return frame, _Places(source or DEFAULT_SOURCE, line_numbers, where), decimal


# --------------------------------------------------------------------------------------------------------------
# The schema
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableSchema:
    """What a ward table must look like for a framework: every check of every column, run together.

    Build it with :meth:`from_framework`; :meth:`validate` checks a table and raises one
    :class:`~hotspots.errors.ValidationError` listing every failing cell.

    Attributes
    ----------
    id_column : the ward ID column (present, no empty cell, one row per ward).
    indicators : the framework's columns (present, numbers, checked by unit).
    population : the population column (numbers, not negative, not 0 when rates need it).
    needs_population : True when some indicator is a rate per population (the column must then be present).
    population_users : the indicators turned into rates per population.
    name_column : the ward-name column (None: found by :func:`find_name_column`).
    min_population : the framework's ``min_population``: wards below it are flagged in the notes (not dropped).
    """

    id_column: str
    indicators: tuple[NumberColumn, ...]
    population: NumberColumn
    needs_population: bool = False
    population_users: tuple[str, ...] = ()
    name_column: str | None = None
    min_population: float | None = None

    @classmethod
    def from_framework(cls, framework: Framework, *, id_column: str, name_column: str | None = None) -> TableSchema:
        """The schema of the ward table that ``framework`` reads: its columns with the checks of their units."""
        pop = framework.population_column
        units = {i.column: i.unit for i in framework.indicators}
        indicators = tuple(NumberColumn(c, NUMBER_CHECKS + UNIT_CHECKS.get(units[c], ())) for c in framework.columns)
        noun = "count" if units.get(pop) == "count" else units.get(pop) or "population"
        extra = (ZERO_POPULATION,) if framework.needs_population else ()
        return cls(
            id_column=id_column,
            indicators=indicators,
            population=NumberColumn(pop, NUMBER_CHECKS + (negative(noun),) + extra),
            needs_population=framework.needs_population or framework.min_population is not None,
            population_users=tuple(i.column for i in framework.indicators if i.per_population is not None),
            name_column=name_column,
            min_population=framework.min_population,
        )

    def validate(
        self,
        table: TableRead | pd.DataFrame,
        *,
        source: str | None = None,
        decimal: str | None = None,
        line_numbers: Sequence[int] | None = None,
    ) -> ValidatedTable:
        """Run every check on ``table``; return it with numbers parsed, or raise one report of every problem.

        Parameters
        ----------
        table : the table as read (:class:`hotspots.io.TableRead`: messages then give the file's name and the
            true line, or sheet row, of each failing cell), or its DataFrame (cells as text; numeric columns are
            accepted too).
        source : file name for messages (default: the TableRead's, else "the indicator table").
        decimal : decimal mark, "." or "," (default: :func:`hotspots.io.guess_decimal` of a TableRead, else ".").
        line_numbers : the line of each row in the file, for a DataFrame (default: the TableRead's; for a bare
            DataFrame, row ``i`` is taken to be on line ``i + 2``, after one header line).

        Raises
        ------
        ValidationError
            Listing every problem and every failing cell: missing columns, empty or duplicate ward IDs (several
            rows per ward means individual-level or unaggregated data, which the tool refuses), values that are not
            numbers, negative counts, percentages above 100, populations of 0 where rates need them.
        """
        found = self._population_spelled_otherwise(table.table if hasattr(table, "table") else table)
        if found is not None:  # "Population" or " population ": validated under its own name, then named as used
            pop = self.population.name
            validated = replace(self, population=replace(self.population, name=found)).validate(
                table, source=source, decimal=decimal, line_numbers=line_numbers
            )
            validated.table = validated.table.rename(columns={found: pop})
            validated.notes.append(f"used the column '{found}' of the table as the population column '{pop}'")
            return validated
        frame, places, decimal = _unpack(table, source, decimal, line_numbers)
        columns = [str(c) for c in frame.columns]
        problems = self._column_problems(columns, places.source)
        if self.id_column not in columns:
            raise ValidationError(problems, title=f"{places.source} cannot be used as it is")
        ids = self._ward_ids(frame, places)
        problems += self._id_problems(frame[self.id_column], ids, places)
        parsed: dict[str, np.ndarray] = {}
        for column in self._number_columns(columns):
            parsed[column.name], found = _check_column(column, frame[column.name], decimal, places)
            problems += found
        if problems:
            raise ValidationError(problems, title=f"{places.source} has {len(problems)} problem(s); nothing was scored")
        return self._validated(frame, columns, places.wards, parsed, decimal)

    # --- the steps of validate --------------------------------------------------------------------------------

    def _population_spelled_otherwise(self, frame: pd.DataFrame) -> str | None:
        """The table's population column when it differs from the framework's name only in case or surrounding
        spaces ("Population", "POPULATION ", ...) and no column has the exact name; None otherwise (also when
        several columns would match: then nothing is guessed)."""
        pop = self.population.name
        columns = [str(c) for c in frame.columns]
        if pop in columns:
            return None
        wanted = pop.strip().casefold()
        others = {i.name for i in self.indicators} | {self.id_column}
        found = [c for c in columns if c.strip().casefold() == wanted and c not in others]
        return found[0] if len(found) == 1 else None

    def _column_problems(self, columns: list[str], source: str) -> list[Problem]:
        """The columns the schema needs that the table does not have."""
        problems = []
        if self.id_column not in columns:
            problems.append(
                Problem(
                    "id column",
                    f"there is no ward ID column '{self.id_column}'.{_suggest(self.id_column, columns)}",
                    source=source,
                    fix=f"Available columns: {', '.join(columns)}. Choose the column that holds the ward IDs.",
                )
            )
        for c in (i.name for i in self.indicators if i.name not in columns):
            problems.append(
                Problem(
                    "framework column",
                    f"the framework uses the column '{c}', which the table does not have.{_suggest(c, columns)}",
                    source=source,
                    column=c,
                    fix="Rename the column in the table, or change the framework to the column name you have.",
                )
            )
        pop = self.population.name
        if self.needs_population and pop not in columns:
            problems.append(
                Problem(
                    "population column",
                    (
                        f"indicators {list(self.population_users)} are turned into rates per population"
                        if self.population_users
                        else f"the framework flags wards below a min_population of {self.min_population:g}"
                    )
                    + f", but there is no '{pop}' column.{_suggest(pop, columns)}",
                    source=source,
                    column=pop,
                    fix='Add the ward population, or remove "per_population" from those indicators in the framework.',
                )
            )
        return problems

    def _ward_ids(self, frame: pd.DataFrame, places: _Places):
        """The normalised ward IDs (pyarrow strings, null where missing); also given to ``places`` for messages."""
        from .io.join import _normalised_id_text

        ids = _normalised_id_text(frame[self.id_column])
        places.wards = ids.to_numpy(zero_copy_only=False)
        return ids

    def _id_problems(self, text: pd.Series, ids, places: _Places) -> list[Problem]:
        """Rows without a ward ID, and ward IDs on more than one row."""
        problems = []
        codes = ids.dictionary_encode()
        index = codes.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        empty = np.flatnonzero(index < 0)
        if empty.size:
            problems.append(
                places.problem(
                    "empty id",
                    f"{empty.size} row(s) have no ward ID.",
                    column=self.id_column,
                    positions=empty,
                    text=text,
                    fix="Fill in the ward ID or delete those rows.",
                )
            )
        counts = np.bincount(index[index >= 0], minlength=len(codes.dictionary) or 1)  # [0]: no ID at all
        repeated = np.flatnonzero((index >= 0) & (counts[np.maximum(index, 0)] > 1))
        if repeated.size:
            dup_ids = codes.dictionary.to_numpy(zero_copy_only=False)[pd.unique(index[repeated])].tolist()
            problems.append(
                places.problem(
                    "one row per ward",
                    f"{len(dup_ids)} ward ID(s) appear on more than one row: {', '.join(map(str, dup_ids[:30]))}"
                    f"{' ...' if len(dup_ids) > 30 else ''}. Several rows per ward look like individual-level or "
                    "unaggregated records; this tool works on ward-level aggregates only.",
                    column=self.id_column,
                    positions=repeated,
                    text=text,
                    fix="Aggregate the table to one row per ward (e.g. a pivot table with one row per ward ID) and "
                    "upload that; do not upload data about individuals.",
                )
            )
        return problems

    def _number_columns(self, columns: list[str]) -> list[NumberColumn]:
        """The number columns the table has: the indicators, then the population column."""
        present = [c for c in self.indicators if c.name in columns]
        pop = self.population
        if pop.name in columns:
            known = next((c for c in present if c.name == pop.name), None)
            if known is not None:  # the population is also an indicator: one column, each check once
                present.remove(known)
                names = {check.name for check in known.checks}
                pop = NumberColumn(pop.name, known.checks + tuple(c for c in pop.checks if c.name not in names))
            present.append(pop)
        return present

    def _validated(
        self, frame: pd.DataFrame, columns: list[str], ward_ids: np.ndarray, parsed: dict[str, np.ndarray], decimal: str
    ) -> ValidatedTable:
        """The validated table (ward ID, name, population, indicators) and the notes about it.

        ``ward_ids``: the normalised ward IDs (an object array of ``str``, none missing once the checks passed)."""
        needed = [c.name for c in self.indicators]
        pop = self.population.name
        name_column = self.name_column or find_name_column([c for c in columns if c != self.id_column])
        out = pd.DataFrame({"ward_id": ward_ids}, index=frame.index)
        if name_column and name_column in columns:
            out["ward_name"] = frame[name_column].astype("string").str.strip().to_numpy()
        for c in ([pop] if pop in parsed else []) + needed:
            out[c] = parsed[c]
        missing = {c: int(np.isnan(parsed[c]).sum()) for c in needed}
        notes = _notes(missing, parsed.get(pop), decimal)
        notes += small_population_notes(ward_ids, parsed.get(pop), self.min_population)
        return ValidatedTable(table=out, missing=missing, notes=notes, name_column=name_column)


def _check_column(
    column: NumberColumn, text: pd.Series, decimal: str, places: _Places
) -> tuple[np.ndarray, list[Problem]]:
    """Parse one column's numbers and run its checks: (the numbers, a problem per failed check)."""
    from .io import parse_numbers

    numbers, not_numbers = parse_numbers(text, decimal=decimal)
    cells = ColumnCells(text, numbers, not_numbers)
    problems = []
    for check in column.checks:
        bad = np.flatnonzero(check.fails(cells))
        if bad.size:
            problems.append(
                places.problem(
                    check.name, check.says(cells, bad), column=column.name, positions=bad, text=text, fix=check.fix
                )
            )
    return numbers, problems


def _notes(missing: dict[str, int], population: np.ndarray | None, decimal: str) -> list[str]:
    """Plain-language remarks about a table that passed: missing values, missing populations, decimal comma."""
    notes = []
    total_missing = sum(missing.values())
    if total_missing:
        detail = ", ".join(f"{c}: {m}" for c, m in missing.items() if m)
        notes.append(
            f"{total_missing} indicator value(s) are missing ({detail}). Those wards are scored on the indicators "
            "they have; nothing is filled in."
        )
    if population is not None:
        m = int(np.isnan(population).sum())
        if m:
            notes.append(f"{m} ward(s) have no population: their per-population rates are missing.")
    if decimal == ",":
        notes.append("Numbers were read with a decimal comma (e.g. 12,5 = 12.5).")
    return notes


def small_population_wards(ward_ids, population, min_population: float | None) -> list[str]:
    """The wards whose population is below ``min_population`` (none when it is not set or no population is given)."""
    if min_population is None or population is None:
        return []
    population = np.asarray(population, dtype=float)
    return [str(w) for w in np.asarray(ward_ids, dtype=object)[population < float(min_population)]]


def small_population_notes(ward_ids, population, min_population: float | None) -> list[str]:
    """The validation report's note on wards below the framework's ``min_population`` (flagged, never dropped)."""
    small = small_population_wards(ward_ids, population, min_population)
    if not small:
        return []
    shown = ", ".join(small[:50]) + (f" and {len(small) - 50} more" if len(small) > 50 else "")
    return [
        f"{len(small)} ward(s) have fewer residents than the framework's min_population of {min_population:,g}: "
        f"{shown}. Their rates rest on few people and swing by chance; they are scored as usual and flagged "
        '(small_population in the export), not dropped. Consider smoothing their rates ("smoothing": "eb").'
    ]


def validate_table(
    table: TableRead | pd.DataFrame,
    framework: Framework,
    *,
    id_column: str,
    source: str | None = None,
    decimal: str | None = None,
    name_column: str | None = None,
    line_numbers: Sequence[int] | None = None,
) -> ValidatedTable:
    """Check a ward table against a framework and parse its numbers; raise one report listing every problem.

    The one-call form of ``TableSchema.from_framework(framework, ...).validate(table, ...)``.

    Parameters
    ----------
    table : the table as read by :func:`hotspots.io.read_table` -- the :class:`~hotspots.io.TableRead` itself, so
        that messages give the file's name and the true line (or sheet row) of every failing cell -- or its
        DataFrame (cells as text; numeric columns are accepted too).
    framework : the model whose columns must be present and numeric.
    id_column : the ward ID column.
    source : file name used in messages (default: the TableRead's, else "the indicator table").
    decimal : decimal mark of the file, "." or "," (default: guessed for a TableRead, else ".").
    name_column : the ward-name column (default: found by :func:`find_name_column`).
    line_numbers : for a DataFrame, the line (or sheet row) of each row in its file, e.g.
        ``TableRead.line_numbers`` (default: row ``i`` on line ``i + 2``).

    Raises
    ------
    ValidationError
        Listing every problem and every failing cell (see :meth:`TableSchema.validate`).

    Examples
    --------
    >>> from hotspots.io import read_table
    >>> fw = Framework.from_dict(
    ...     {"dimensions": {"d": 1}, "indicators": [{"column": "incidents", "dimension": "d", "unit": "count"}]}
    ... )
    >>> read = read_table(b"sep=;\\nward_id;incidents\\n7;12\\n8;-2\\n9;n/a\\n", name="wards.csv")
    >>> try:
    ...     validate_table(read, fw, id_column="ward_id")
    ... except ValidationError as error:
    ...     print(error.failure_cases[["column", "check", "value", "line", "ward"]].to_string(index=False))
       column    check value  line ward
    incidents   number   n/a     5    9
    incidents negative    -2     4    8
    """
    schema = TableSchema.from_framework(framework, id_column=id_column, name_column=name_column)
    return schema.validate(table, source=source, decimal=decimal, line_numbers=line_numbers)
