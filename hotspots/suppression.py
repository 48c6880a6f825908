"""Small numbers: which counts never leave the tool, in any output (exports, maps, the app's tables).

*Primary suppression.* A count from 1 to ``below - 1`` (``Method.suppress_below``, 5 by default; 10 is the
stricter rule of CDC WONDER; 0 or 1 turns suppression off) is left empty in the GeoJSON and CSV and shown as
"suppressed (< 5)" in the map tooltips and the ward breakdown. Zero is not a small count (it is shown). A rate made
from a suppressed count is suppressed with it (with the population beside it, the rate would give the count back).

*Complementary suppression.* The city total of a count column is treated as published (it is what the agency that
collected the counts reports, and it could be added up from the cells of a full export): with the other wards'
counts shown, a single suppressed cell is that total minus the rest. So, in each count column (the group whose
total is known), while the suppressed cells could be worked out from their sum -- one cell only; or every hidden
count at its least (all primary cells 1 and the complementary ones at ``below``); or, with primary cells only,
every one at ``below - 1`` -- the smallest count still shown is suppressed too (ties: the lowest ward ID first).
Complementary cells are shown as "suppressed (protects a small count)". Counts are whole numbers.

*What the scores use* (:func:`public_counts`). The scores are shown and exported to three decimals, with the weights,
the method and every other indicator's value beside them: a score made from a hidden count gives it back (in the
Kolkata demo, every one of the 129 hidden counts that is the only hidden value of its dimension in its ward came back
exactly from the GeoJSON export, as ``dimension score x total weight / 10`` minus the other indicators' parts). So
the scores, and everything made from them (classes, ranks, hot spots, profiles, smoothed rates of the neighbours),
use only what is public: a small count enters them at the middle of its band (2.5 for 1-4), and a count hidden with
one at an equal share of what the column's total leaves for the hidden cells (the total is treated as published).
A ward keeps its place on the map and its score; the score cannot tell what the table hides. With suppression off
(threshold 0 or 1) the scores use every value as it is. The export's metadata records the rule, the cells left
empty and this (:func:`suppression_metadata`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DEFAULT_SUPPRESS_BELOW = 5
SHOWN, SMALL, COMPLEMENTARY = 0, 1, 2

RULE = (
    "counts from 1 to {last} are suppressed (left empty in exports, 'suppressed (< {below})' in maps and tables), "
    "and rates made from them; complementary suppression: in each count column, whose city total is treated as "
    "published, while the suppressed cells could be worked out from the total (one cell only, or every hidden "
    "count at its least or most), the smallest count still shown is suppressed too (ties: lowest ward ID)"
)


def suppressed_text(below: int, code: int = SMALL) -> str:
    """What a table or tooltip shows instead of a suppressed value."""
    return f"suppressed (< {below})" if code == SMALL else "suppressed (protects a small count)"


def suppression_codes(
    table: pd.DataFrame, count_columns, below: int = DEFAULT_SUPPRESS_BELOW, *, id_column: str = "ward_id"
) -> pd.DataFrame:
    """For every count column of ``table``, what each cell is: :data:`SHOWN`, :data:`SMALL` (primary) or
    :data:`COMPLEMENTARY` (hidden so that a small count cannot be worked out from the column's total).

    Parameters
    ----------
    table : one row per ward, with the count columns (numbers or text of numbers; empty = no data).
    count_columns : the columns holding counts (columns ``table`` lacks are skipped).
    below : the threshold: counts ``0 < x < below`` are small; 0 or 1 turns suppression off.
    id_column : ties between equal counts are broken by this column (lowest first), so that the cells chosen do
        not depend on the row order.

    Returns
    -------
    DataFrame of int8 codes, indexed like ``table``, one column per count column present.

    Examples
    --------
    >>> t = pd.DataFrame({"ward_id": ["a", "b", "c", "d"], "incidents": [3, 0, 9, 7]})
    >>> suppression_codes(t, ["incidents"])["incidents"].tolist()  # 3 alone: 7 is hidden with it
    [1, 0, 0, 2]
    """
    columns = [c for c in dict.fromkeys(count_columns) if c in table.columns]
    keys = table[id_column].astype(str).to_numpy() if id_column in table.columns else np.arange(len(table))
    codes = {c: _column_codes(as_floats(table[c]), below, keys) for c in columns}
    return pd.DataFrame(codes, index=table.index, columns=columns, dtype=np.int8)


def as_floats(values) -> np.ndarray:
    """A column or array as floats (NaN where not a number), converting only when it is not numeric already."""
    x = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    if x.dtype.kind in "fiub":
        return x.astype(float, copy=False)
    return np.asarray(pd.to_numeric(pd.Series(x), errors="coerce"), dtype=float)


def _column_codes(x: np.ndarray, below: int, keys: np.ndarray) -> np.ndarray:
    codes = np.zeros(len(x), dtype=np.int8)
    if not below or below <= 1:
        return codes
    codes[(x > 0) & (x < below)] = SMALL
    if not codes.any():
        return codes
    candidates = np.flatnonzero(x >= below)
    for i in candidates[np.lexsort((keys[candidates], x[candidates]))]:
        if not _recoverable(x, codes, below):
            break
        codes[i] = COMPLEMENTARY
    return codes


def _recoverable(x: np.ndarray, codes: np.ndarray, below: int) -> bool:
    """Whether the hidden cells of a column could be worked out from their sum (the total minus what is shown)."""
    small, complementary = x[codes == SMALL], x[codes == COMPLEMENTARY]
    hidden = small.size + complementary.size
    total = small.sum() + complementary.sum()
    least = small.size + complementary.size * below  # every primary cell 1, every complementary one `below`
    most = small.size * (below - 1) if complementary.size == 0 else np.inf
    return hidden == 1 or np.isclose(total, least) or np.isclose(total, most)


def suppress_small_counts(table: pd.DataFrame, count_columns, below: int = DEFAULT_SUPPRESS_BELOW):
    """Blank out the suppressed counts (primary and complementary) of ``count_columns``.

    Returns
    -------
    (table copy, {column: cells left empty})
    """
    out = table.copy()
    codes = suppression_codes(out, count_columns, below)
    done = {}
    for c in codes.columns:
        hidden = codes[c].to_numpy() != SHOWN
        if hidden.any():
            out[c] = np.where(hidden, np.nan, as_floats(out[c]))
            done[c] = int(hidden.sum())
    return out, done


def public_counts(
    table: pd.DataFrame, count_columns, below: int = DEFAULT_SUPPRESS_BELOW, *, id_column: str = "ward_id"
) -> pd.DataFrame:
    """The counts the scores use: each suppressed cell replaced by a value made only of what is public.

    A primary cell (a count from 1 to ``below - 1``) becomes the middle of that band, ``below / 2``. A
    complementary cell (hidden so that a small count cannot be worked out from the column's total) becomes an equal
    share of what the total leaves for the complementary cells: the hidden cells' sum (the total minus the shown
    cells, public as the total is) minus the primary cells' stand-ins (never below 0). Shown cells and empty ones
    stay as they are. Whatever the hidden counts are, as long as what is shown (the values, and which cells are
    hidden) and the total stay the same, the scores stay the same: they cannot give a hidden count back.

    Returns
    -------
    ``table`` itself when nothing is suppressed, else a copy with the stand-ins.

    Examples
    --------
    >>> t = pd.DataFrame({"ward_id": ["a", "b", "c", "d"], "incidents": [3, 0, 9, 7]})
    >>> public_counts(t, ["incidents"])["incidents"].tolist()  # 3 -> 2.5; 7 -> (3 + 7) - 2.5
    [2.5, 0.0, 9.0, 7.5]
    """
    codes = suppression_codes(table, count_columns, below, id_column=id_column)
    out = table
    for c in codes.columns:
        code = codes[c].to_numpy()
        hidden = code != SHOWN
        if not hidden.any():
            continue
        x = as_floats(table[c]).copy()
        small, complementary = code == SMALL, code == COMPLEMENTARY
        stand_in = below / 2
        if complementary.any():
            left = x[hidden].sum() - stand_in * small.sum()
            x[complementary] = max(left, 0.0) / complementary.sum()
        x[small] = stand_in
        if out is table:
            out = table.copy()
        out[c] = x
    return out


def suppression_metadata(below: int, codes: pd.DataFrame) -> dict | None:
    """The ``small_number_suppression`` member of an export's metadata, from :func:`suppression_codes` (None when
    suppression is off)."""
    if not below or below <= 1:
        return None
    counted = {c: (int((codes[c] != SHOWN).sum()), int((codes[c] == COMPLEMENTARY).sum())) for c in codes.columns}
    return {
        "rule": RULE.format(last=below - 1, below=below),
        "threshold": below,
        "suppressed_cells": {c: n for c, (n, _) in counted.items() if n},
        "complementary_cells": {c: n for c, (_, n) in counted.items() if n},
        "score": (
            f"the scores (and classes, ranks, hot spots) use only what is public: a suppressed count enters them at "
            f"{below / 2:g}, the middle of 1-{below - 1}, and a count hidden with one at an equal share of what the "
            "column's total leaves for the hidden cells; so no score gives a hidden count back"
        ),
    }
