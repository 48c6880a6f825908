"""One exception family for everything a user can get wrong.

Every error a user can cause derives from :class:`HotspotsError`; each kind also inherits the builtin a caller
would expect (``ValueError`` for bad content, ``OSError`` for unreadable files), so ``except ValueError`` works too.
Messages name the file, the column, the rows or wards, and say how to fix the problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class HotspotsError(Exception):
    """Base class of every error the hotspots package raises on purpose."""


class InputFileError(HotspotsError, OSError):
    """A file is missing, unreadable or not in a format we can read."""


class DataError(HotspotsError, ValueError):
    """The content of an input is wrong (a column, a value, a geometry)."""


class FrameworkError(HotspotsError, ValueError):
    """The framework (indicators, dimensions, weights, directions) is invalid."""


class NotFittedError(HotspotsError, ValueError, AttributeError):
    """A scorer was used before ``fit``."""


@dataclass(frozen=True)
class FailingCell:
    """One cell that failed a check (pandera's "failure case"): where it is in the file and what it holds.

    Attributes
    ----------
    line : int or None
        Line of the file (CSV) or row of the sheet (xlsx) the cell is on, counted as the user sees it (the header is
        line 1 of a plain CSV file); None when unknown.
    ward : str or None
        Ward ID of the cell's row (normalised, see :func:`hotspots.io.normalise_ids`); None when the row has none.
    value : object
        The cell as written in the file (None for an empty cell).
    where : str
        What ``line`` counts: "line" (of a text file) or "row" (of a sheet).
    """

    line: int | None = None
    ward: str | None = None
    value: Any = None
    where: str = "line"


@dataclass
class Problem:
    """One failed check: where it failed and how to fix it.

    ``rows`` are the places as text ("line 5 (ward 12)"); ``cells`` are the failing cells themselves, one
    :class:`FailingCell` each (empty for a problem of the whole table, such as a missing column).
    """

    check: str
    message: str
    source: str = ""
    column: str = ""
    rows: list = field(default_factory=list)
    fix: str = ""
    cells: list[FailingCell] = field(default_factory=list)

    def __str__(self) -> str:
        where = ", ".join(
            p
            for p in (
                f"file {self.source}" if self.source else "",
                f"column '{self.column}'" if self.column else "",
                _rows_text(self.rows),
            )
            if p
        )
        text = f"{where}: {self.message}" if where else self.message
        return f"{text} {self.fix}".strip()


def _cells_table(problems: list[Problem], limit: int) -> list[str]:
    """The failing cells of ``problems`` as the lines of a plain-text table (none when no problem has cells)."""
    total = sum(len(p.cells) for p in problems)
    if not total:
        return []
    counted = {c.where for p in problems for c in p.cells}
    header = (counted.pop() if len(counted) == 1 else "line/row", "ward", "column", "check", "value")
    body = [
        (
            "" if c.line is None else str(c.line),
            "" if c.ward is None else str(c.ward),
            p.column,
            p.check,
            _shown_value(c.value),
        )
        for p in problems
        for c in p.cells
    ][:limit]
    widths = [max(len(r[k]) for r in [header, *body]) for k in range(len(header))]
    out = [f"Failing cells ({total}):"]
    out += ["    " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in [header, *body]]
    if total > limit:
        out.append(f"    ... and {total - limit} more (all of them are in the error's failure_cases table)")
    return out


def _shown_value(value: Any, width: int = 40) -> str:
    if value is None or type(value).__name__ == "NAType" or (isinstance(value, float) and value != value):
        return "(empty)"
    text = repr(str(value))
    return text if len(text) <= width else text[: width - 4] + "...'"


def _rows_text(rows: list, limit: int = 20) -> str:
    if not rows:
        return ""
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"rows/wards {shown}{more}"


class ValidationError(DataError):
    """Several problems found at once (lazy validation: all failures are reported together).

    The message lists every problem (check, file, column, places, how to fix it), then a table of the failing cells
    (line, ward, column, check, value; the first :attr:`CELLS_SHOWN` of them). :attr:`failure_cases` has every
    failing cell; :meth:`to_frame` has one row per problem.
    """

    CELLS_SHOWN = 100

    def __init__(self, problems: list[Problem], title: str = "The input has problems"):
        self.problems = list(problems)
        lines = [f"{title} ({len(self.problems)}):"] + [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines + _cells_table(self.problems, self.CELLS_SHOWN)))

    @property
    def failure_cases(self):
        """Every failing cell as a table (pandera's ``failure_cases``): one row per cell, with the columns source,
        column, check, value (as written; None if empty), line (or sheet row; Int64), ward (None if the row has no
        ward ID). A problem of the whole table (a missing column) is one row whose value, line and ward are missing."""
        import pandas as pd

        names = ["source", "column", "check", "value", "line", "ward"]
        records = [
            (p.source, p.column, p.check, cell.value, cell.line, cell.ward)
            for p in self.problems
            for cell in p.cells or [FailingCell()]
        ]
        columns = list(zip(*records)) if records else [()] * len(names)
        frame = pd.DataFrame({n: pd.Series(c, dtype=object) for n, c in zip(names, columns)})
        frame["line"] = frame["line"].astype("Int64")  # None (a problem of the whole table) becomes <NA>
        return frame

    def to_frame(self):
        """The problems as a table (check, source, column, rows, message, fix)."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "check": p.check,
                    "source": p.source,
                    "column": p.column,
                    "rows": _rows_text(p.rows, limit=50),
                    "message": p.message,
                    "fix": p.fix,
                }
                for p in self.problems
            ]
        )
