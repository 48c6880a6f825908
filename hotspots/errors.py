"""One exception family for everything a user can get wrong.

Every error a user can cause derives from :class:`HotspotsError`; each kind also inherits the builtin a caller
would expect (``ValueError`` for bad content, ``OSError`` for unreadable files), so ``except ValueError`` works too.
Messages name the file, the column, the rows or wards, and say how to fix the problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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


@dataclass
class Problem:
    """One failed check: where it failed and how to fix it."""

    check: str
    message: str
    source: str = ""
    column: str = ""
    rows: list = field(default_factory=list)
    fix: str = ""

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


def _rows_text(rows: list, limit: int = 20) -> str:
    if not rows:
        return ""
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"rows/wards {shown}{more}"


class ValidationError(DataError):
    """Several problems found at once (lazy validation: all failures are reported together)."""

    def __init__(self, problems: list[Problem], title: str = "The input has problems"):
        self.problems = list(problems)
        lines = [f"{title} ({len(self.problems)}):"] + [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))

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
