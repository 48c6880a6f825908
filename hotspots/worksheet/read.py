"""Reading a filled action-plan worksheet back (XLSX or CSV); see :mod:`hotspots.worksheet`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .build import PLAN_COLUMNS


@dataclass
class FilledWorksheet:
    """What a group filled into a worksheet (:func:`read_worksheet`).

    Attributes
    ----------
    source : str
        The file read.
    city : str
        The city named in the worksheet's "City" column ("" when it has none).
    wards : list of str
        Every ward ID listed, in the file's order.
    plans : dict of str to dict of str to str
        Per ward ID with anything filled in, the filled :data:`PLAN_COLUMNS` (empty cells left out).
    notes : dict of str to str
        Per ward ID, its "Notes" (the app's ward notes).
    """

    source: str
    city: str
    wards: list[str]
    plans: dict[str, dict[str, str]]
    notes: dict[str, str]


_NEUTRALISED = re.compile(r"^'(?=[=+\-@\t\r])")


def read_worksheet(source, *, name: str | None = None, city: str | None = None, wards=None) -> FilledWorksheet:
    """Read a filled action-plan worksheet (XLSX or CSV) back: the filled-in columns keyed by ward ID.

    Parameters
    ----------
    source : path, bytes or uploaded file
        A worksheet written by :class:`Worksheet` (``.xlsx`` or ``.csv``) and filled in.
    name : str, optional
        The file's name (for messages, and to tell the format of bytes).
    city : str, optional
        The city it must belong to: rows of another city are refused.
    wards : iterable of str, optional
        The city's ward IDs: unknown ward IDs are refused.

    Returns
    -------
    FilledWorksheet

    Raises
    ------
    ValidationError
        Missing columns, rows without a ward ID, a ward listed twice, another city, unknown wards: every problem at
        once, each naming the file, column and rows.
    """
    from ..errors import Problem, ValidationError
    from ..io import read_table

    read = read_table(source, name=name, id_column="Ward ID")
    table = read.table.map(_plain_text)
    where = Path(str(read.source)).name
    missing = [c for c in ("Ward ID", *PLAN_COLUMNS) if c not in table.columns]
    if missing:
        raise ValidationError(
            [
                Problem(
                    "columns",
                    f"the worksheet lacks column(s) {', '.join(repr(c) for c in missing)}",
                    source=where,
                    fix="Upload the worksheet as downloaded (keep its header row), with the plan columns filled in.",
                )
            ],
            "This file is not an action-plan worksheet",
        )
    problems = _row_problems(table, where, city, wards)
    if problems:
        raise ValidationError(problems, f"The worksheet {where} cannot be read back")
    ids = table["Ward ID"].str.strip()
    plans = {}
    for ward, (_, row) in zip(ids, table.iterrows()):
        filled = {c: row[c].strip() for c in PLAN_COLUMNS if isinstance(row[c], str) and row[c].strip()}
        if filled:
            plans[ward] = filled
    cities = table["City"].dropna().unique().tolist() if "City" in table else []
    return FilledWorksheet(
        source=where,
        city=str(cities[0]) if len(cities) == 1 else "",
        wards=ids.tolist(),
        plans=plans,
        notes={w: p["Notes"] for w, p in plans.items() if "Notes" in p},
    )


def _plain_text(value):
    """A cell as read, with the apostrophe that neutralised a formula taken off again."""
    return _NEUTRALISED.sub("", value) if isinstance(value, str) else value


def _row_problems(table: pd.DataFrame, where: str, city: str | None, wards) -> list:
    from ..errors import Problem

    problems = []
    ids = table["Ward ID"].astype("string").str.strip()
    lines = pd.Series(range(2, len(table) + 2), index=table.index)  # the header is row 1
    empty = ids.isna() | ids.eq("")
    if empty.any():
        problems.append(
            Problem("ward ID", "row(s) without a ward ID", where, "Ward ID", [f"row {n}" for n in lines[empty]])
        )
    twice = ids.duplicated(keep=False) & ~empty
    if twice.any():
        problems.append(
            Problem(
                "unique",
                "ward(s) listed more than once",
                where,
                "Ward ID",
                sorted(set(ids[twice])),
                "Keep one row per ward.",
            )
        )
    if city is not None and "City" in table:
        other = table["City"].notna() & table["City"].astype("string").str.strip().ne(str(city).strip())
        if other.any():
            problems.append(
                Problem(
                    "city",
                    f"row(s) of another city ({', '.join(sorted(set(table.loc[other, 'City'].astype(str))))}), "
                    f"not {city}",
                    where,
                    "City",
                    [f"row {n}" for n in lines[other]],
                    "Upload each city's worksheet while that city is selected.",
                )
            )
    if wards is not None:
        known = {str(w) for w in wards}
        unknown = ~ids.isin(known) & ~empty
        if unknown.any():
            problems.append(
                Problem(
                    "known ward",
                    "ward ID(s) not in this city",
                    where,
                    "Ward ID",
                    [f"row {n} ({w})" for n, w in zip(lines[unknown], ids[unknown])],
                    "Check the ward IDs against the worksheet as downloaded.",
                )
            )
    return problems
