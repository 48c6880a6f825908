"""Guess which columns of an upload play which role: the ward ID pair (by values) and the numeric columns.

The ward ID pair is chosen by what the columns hold, not by their names: the table column and the boundary column
whose IDs overlap most after the join's own normalisation (:func:`hotspots.io.join.normalise_ids`: spaces, ``7`` =
``"07"`` = ``"7.0"``, numbers against text). Names only break ties, and only as whole words (``Ward_No``,
``ward_id``, ``WARDCODE``), so ``hate_incidents`` ("id" inside "incidents") or ``FID`` is never chosen for its name.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hotspots.io.join import normalise_ids
from hotspots.io.tables import TableRead, guess_decimal, parse_numbers

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

#: Whole words of a column name that suggest a ward ID ("Ward_No", "ward id", "WardCode"); "ward" counts double.
_ID_WORDS = frozenset({"id", "no", "nr", "num", "number", "code", "key"})
_NAME_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")  # "Ward_No" -> Ward, No; "wardNo" -> ward, No
_FRACTION = re.compile(r"[-+]?\d*[.,]\d+")  # "12.5", "0,25": a measurement, not an ID (normalised "7.0" is "7")
_FRACTION_SAMPLE = 500  # distinct values looked at to tell decimals from IDs
_MIN_DISTINCT_SHARE = 0.5  # a column with fewer distinct values than half its filled cells holds no ward IDs


@dataclass(frozen=True)
class IdGuess:
    """The ward ID columns of an upload, as guessed by :func:`guess_id_columns`.

    Attributes
    ----------
    id_column, boundary_id_column : str or None
        The table's and the boundaries' ward ID column (None when a file has no column that could hold IDs).
    matched : int
        Distinct ward IDs of the table column also found in the boundary column (after :func:`normalise_ids`).
    table_ids, boundary_ids : int
        Distinct ward IDs in each of the two columns.
    reason : str
        The choice in plain words, e.g. ``"Ward_No: 289 of 289 table wards match boundary column Ward_No"``.
    overlaps : mapping
        Matched IDs of every pair of candidate columns, ``{(table column, boundary column): matched}``.
    """

    id_column: str | None
    boundary_id_column: str | None
    matched: int
    table_ids: int
    boundary_ids: int
    reason: str
    overlaps: Mapping[tuple[str, str], int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def found(self) -> bool:
        """True when some ward ID of the table is found in the boundaries."""
        return self.matched > 0

    def matched_for(self, id_column: str, boundary_id_column: str) -> int:
        """Matched IDs of another pair of columns (0 for columns that cannot hold ward IDs)."""
        return self.overlaps.get((id_column, boundary_id_column), 0)

    def advice(self, id_column: str, boundary_id_column: str) -> str | None:
        """Why the guessed pair is better than the chosen one, or None when the chosen one matches as well."""
        chosen = self.matched_for(id_column, boundary_id_column)
        if not self.found or chosen >= self.matched:
            return None
        return (
            f"{self.reason}, while {id_column} and {boundary_id_column} match "
            f"{'no ward' if chosen == 0 else f'{chosen} ward(s)'}"
        )


def guess_id_columns(table: pd.DataFrame, boundaries: gpd.GeoDataFrame) -> IdGuess:
    """Choose the ward ID column of a table and of its boundaries: the pair whose IDs overlap most.

    Every column is normalised as :func:`join_wards` does (:func:`normalise_ids`), and each pair of a table column
    and a boundary column is scored by the number of distinct IDs they share. Ties are broken by the names: whole
    words such as ``ward``, ``id``, ``no``, ``code`` (never "id" inside another word), then by equal names. Columns
    that cannot hold ward IDs are skipped: decimal numbers (``12.5``), and columns with many repeated values (fewer
    distinct values than half the filled cells: counts, classes, flags). Ward names (a column whose header has the
    word "name") are a last resort, chosen only when no other pair shares an ID: names are labels, often spelled
    differently in two files, and repeated (two wards called "Ram Nagar").

    Parameters
    ----------
    table : pandas.DataFrame
        The indicator table (e.g. ``read_table(...).table``).
    boundaries : geopandas.GeoDataFrame
        The ward boundaries (e.g. ``read_boundaries(...).wards``); the geometry column is ignored.

    Returns
    -------
    IdGuess
        The pair, the counts and the reason in plain words. When no pair shares an ID, ``matched`` is 0 and the
        columns are the best guesses by name (or the first candidates).

    Examples
    --------
    >>> import geopandas as gpd
    >>> table = pd.DataFrame({"hate_incidents": ["3", "3", "1"], "ward": ["01", "02", "03"]})
    >>> wards = gpd.GeoDataFrame({"WARD_NO": [1, 2, 3]}, geometry=[None, None, None])
    >>> guess = guess_id_columns(table, wards)
    >>> guess.id_column, guess.boundary_id_column, guess.matched
    ('ward', 'WARD_NO', 3)
    >>> guess.reason
    'ward: 3 of 3 table wards match boundary column WARD_NO'
    """
    geometry = getattr(getattr(boundaries, "geometry", None), "name", None)
    table_sets = _candidate_ids(table, exclude=None)
    boundary_sets = _candidate_ids(boundaries, exclude=geometry)
    overlaps = {(t, b): len(t_ids & b_ids) for t, t_ids in table_sets.items() for b, b_ids in boundary_sets.items()}
    ranked = sorted(overlaps, key=lambda pair: _pair_rank(pair, overlaps[pair]), reverse=True)
    if not ranked or overlaps[ranked[0]] == 0:
        return _guess_by_name(table, boundaries, geometry, table_sets, boundary_sets, overlaps)
    best = ranked[0]
    t, b = best
    matched = overlaps[best]
    reason = f"{t}: {matched} of {len(table_sets[t])} table wards match boundary column {b}"
    rank = _pair_rank(best, matched)
    tied = [pair for pair in ranked[1:] if _pair_rank(pair, overlaps[pair])[:2] == rank[:2]]
    if tied:
        by_name = rank > _pair_rank(tied[0], matched)
        reason += f" ({tied[0][0]} and {tied[0][1]} match as many; chosen {'by name' if by_name else 'as the first'})"
    if _is_name_pair(best):
        reason += " (ward names: no ID column matches)"
    return IdGuess(t, b, matched, len(table_sets[t]), len(boundary_sets[b]), reason, overlaps)


def _candidate_ids(frame: pd.DataFrame, exclude: Any) -> dict[Any, frozenset[str]]:
    """The normalised IDs of every column that could hold ward IDs, in column order."""
    out = {}
    for column in frame.columns:
        if column == exclude or str(frame[column].dtype) == "geometry":
            continue
        ids = _ward_ids(frame[column])
        if ids:
            out[column] = ids
    return out


def _ward_ids(values: pd.Series) -> frozenset[str] | None:
    """The column's distinct normalised IDs, or None when it cannot be a ward ID column."""
    try:
        filled = int(values.notna().sum())
        if filled == 0 or values.nunique(dropna=True) < _MIN_DISTINCT_SHARE * filled:
            return None  # cheap test first: normalising only merges values
        if pd.api.types.is_float_dtype(values.dtype):
            numbers = values.to_numpy(dtype="float64", na_value=np.nan)
            numbers = numbers[np.isfinite(numbers)]
            if (np.mod(numbers, 1) != 0).any():
                return None
        ids = normalise_ids(values).dropna()
    except (TypeError, ValueError):  # unhashable cells (lists, dicts), or cells no ID can be made of
        return None
    distinct = frozenset(ids)
    if len(distinct) < _MIN_DISTINCT_SHARE * len(ids):
        return None
    sample = list(itertools.islice(distinct, _FRACTION_SAMPLE))
    if 2 * sum(1 for v in sample if _FRACTION.fullmatch(v)) > len(sample):
        return None
    return distinct


def _name_hint(name: Any) -> int:
    """How much a column's name suggests a ward ID: 2 for the word "ward", 1 for an ID word; -1 for a name."""
    words = [w.lower() for w in _NAME_WORDS.findall(str(name))]
    if any("name" in w for w in words):
        return -1
    ward = any(w.startswith("ward") for w in words)
    id_word = any(w in _ID_WORDS or (w.startswith("ward") and w[4:] in _ID_WORDS) for w in words)
    return 2 * ward + id_word


def _is_name_pair(pair: tuple[Any, Any]) -> bool:
    """True when either column's header calls it a name ("Ward_Name", "zone name")."""
    return min(_name_hint(pair[0]), _name_hint(pair[1])) < 0


def _pair_rank(pair: tuple[Any, Any], matched: int) -> tuple[bool, int, int, bool]:
    """Sort key of a pair: an ID pair that matches before ward names, then matched IDs, the names' hints, equal
    names."""
    t, b = pair
    id_pair_matches = matched > 0 and not _is_name_pair(pair)
    return id_pair_matches, matched, _name_hint(t) + _name_hint(b), str(t).casefold() == str(b).casefold()


def _guess_by_name(table, boundaries, geometry, table_sets, boundary_sets, overlaps) -> IdGuess:
    """No pair shares an ID: the likeliest columns by name, so that the user starts from a sensible choice."""

    def likeliest(frame, candidates, exclude):
        columns = [c for c in (candidates or frame.columns) if c != exclude]
        return max(columns, key=_name_hint) if columns else None  # max keeps the first of equals

    t = likeliest(table, list(table_sets), None)
    b = likeliest(boundaries, list(boundary_sets), geometry)
    reason = (
        "no column of the table shares a ward ID with a column of the boundaries (compared as the join does: "
        "spaces, leading zeros and 7 = 7.0 ignored); check that both files use the same ward numbering"
    )
    table_ids = len(table_sets.get(t, ()))
    boundary_ids = len(boundary_sets.get(b, ()))
    return IdGuess(t, b, 0, table_ids, boundary_ids, reason, overlaps)


def numeric_columns(table_read: TableRead) -> list[str]:
    """Columns of a table whose filled cells are mostly numbers (candidates for new indicators).

    Numbers are parsed as the validation parses them (:func:`parse_numbers` with the table's decimal separator,
    :func:`guess_decimal`).

    Parameters
    ----------
    table_read : TableRead

    Returns
    -------
    list of str
        Column names, in table order.
    """
    decimal = guess_decimal(table_read)
    out = []
    for column in table_read.table.columns:
        numbers, not_numbers = parse_numbers(table_read.table[column], decimal=decimal)
        if (~np.isnan(numbers)).sum() > not_numbers.sum():
            out.append(str(column))
    return out
