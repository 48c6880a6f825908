"""Join an indicator table to the ward boundaries on the ward ID, reporting every ID that does not match."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hotspots.errors import DataError
from hotspots.io._common import _SPACES, _arrow_text, _digit_table, _missing_column_error, _polygonal_part

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd


# --------------------------------------------------------------------------------------------------------------
# Join
# --------------------------------------------------------------------------------------------------------------


@dataclass
class JoinReport:
    """What happened when the indicator table was joined to the boundaries.

    Attributes
    ----------
    matched : int
        Table rows that found a ward with a geometry.
    unmatched_table : list of str
        Normalised IDs in the table with no ward in the boundaries (left out of the result).
    unmatched_boundaries : list of str
        Normalised IDs of wards in the boundaries that are not in the table.
    duplicate_table_ids, duplicate_boundary_ids : list of str
        IDs that appear more than once. Duplicate table rows are all kept (the validator refuses them); features that
        share an ID are merged into one (multi-part) ward.
    missing_ids_table : list of int
        Spreadsheet rows (header = row 1) with an empty ward ID.
    missing_ids_boundaries : list of int
        Features (1-based) of the boundary file with an empty ward ID.
    missing_geometry : list of str
        IDs in the table whose ward has no usable geometry (left out of the result).
    names : dict
        Ward name of each unmatched ID, where a name column was found.
    name_column_table, name_column_boundaries : str or None
        The columns used for ``names``.
    notes : list of str
    table_wards, boundary_wards : int
        Distinct ward IDs in the table and in the boundaries (the denominators of :attr:`warnings`).

    The share of unmatched wards above which the join is called mostly unmatched is :data:`MAX_UNMATCHED_SHARE`.
    """

    matched: int
    unmatched_table: list[str] = field(default_factory=list)
    unmatched_boundaries: list[str] = field(default_factory=list)
    duplicate_table_ids: list[str] = field(default_factory=list)
    duplicate_boundary_ids: list[str] = field(default_factory=list)
    missing_ids_table: list[int] = field(default_factory=list)
    missing_ids_boundaries: list[int] = field(default_factory=list)
    missing_geometry: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    name_column_table: str | None = None
    name_column_boundaries: str | None = None
    notes: list[str] = field(default_factory=list)
    table_wards: int = 0
    boundary_wards: int = 0

    @property
    def complete(self) -> bool:
        """True when every table row and every ward matched exactly once."""
        return not (
            self.unmatched_table
            or self.unmatched_boundaries
            or self.duplicate_table_ids
            or self.duplicate_boundary_ids
            or self.missing_ids_table
            or self.missing_ids_boundaries
            or self.missing_geometry
        )

    @property
    def warnings(self) -> list[str]:
        """Warnings that the join is mostly unmatched: more than :data:`MAX_UNMATCHED_SHARE` of the wards of the
        table, or of the boundaries, found no partner. Empty when the join is good enough to trust the map."""
        out = []
        for count, total, side, other in (
            (len(self.unmatched_table), self.table_wards, "table", "boundaries"),
            (len(self.unmatched_boundaries), self.boundary_wards, "boundaries", "table"),
        ):
            if total and count / total > MAX_UNMATCHED_SHARE:
                out.append(
                    f"{count} of the {total} wards in the {side} ({count / total:.0%}) are not in the {other}. "
                    "Check that both files use the same ward numbering and the same delimitation year, and that the "
                    "right ward ID columns are chosen; the map leaves these wards out or shows them as no data."
                )
        return out

    def summary(self) -> str:
        """The report as plain sentences for the user."""
        lines = [f"{self.matched} ward(s) matched."]

        def named(ids: list[str]) -> str:
            shown = [f"{i} ({self.names[i]})" if self.names.get(i) else i for i in ids[:20]]
            return ", ".join(shown) + (f" and {len(ids) - 20} more" if len(ids) > 20 else "")

        if self.unmatched_table:
            lines.append(
                f"{len(self.unmatched_table)} ward(s) in the table are not in the boundaries: "
                f"{named(self.unmatched_table)}."
            )
        if self.unmatched_boundaries:
            lines.append(
                f"{len(self.unmatched_boundaries)} ward(s) in the boundaries are not in the table: "
                f"{named(self.unmatched_boundaries)}."
            )
        if self.missing_ids_table:
            lines.append(_counted(self.missing_ids_table, "table row", "with no ward ID", "row") + ".")
        if self.missing_ids_boundaries:
            lines.append(
                _counted(self.missing_ids_boundaries, "feature", "with no ward ID in the boundaries", "feature")
                + ", left out of the map."
            )
        if self.duplicate_table_ids:
            lines.append(f"ward IDs repeated in the table: {', '.join(self.duplicate_table_ids[:20])}.")
        if self.duplicate_boundary_ids:
            lines.append(
                f"ward IDs repeated in the boundaries (parts merged): {', '.join(self.duplicate_boundary_ids[:20])}."
            )
        if self.missing_geometry:
            lines.append(f"wards without a usable boundary: {', '.join(self.missing_geometry[:20])}.")
        return "\n".join(lines + self.notes)


MAX_UNMATCHED_SHARE = 0.2
"""More than this share of the wards of either file unmatched: :attr:`JoinReport.warnings` warns."""


def _counted(positions: list[int], noun: str, what: str, label: str, shown: int = 20) -> str:
    """How many, then which: ``"1 feature with no ward ID (feature 193)"``, ``"3 rows ... (rows 4, 9, 12)"``."""
    n = len(positions)
    listed = ", ".join(map(str, positions[:shown])) + (f" and {n - shown} more" if n > shown else "")
    plural = "" if n == 1 else "s"
    return f"{n} {noun}{plural} {what} ({label}{plural} {listed})"


# pandas 3 (or 2.x with the option set): a DataFrame never shares data that another one changes
_COPY_ON_WRITE = int(pd.__version__.split(".")[0]) >= 3 or pd.options.mode.copy_on_write is True
_STRIP_CHARS = " \t\r\n\f\v" + _SPACES + "\u200b\u2060\ufeff"
_SPACE_RUN = "[\\s" + "".join(f"\\x{{{ord(c):04x}}}" for c in _SPACES) + "]+"  # RE2 syntax (pyarrow)


def normalise_ids(values: pd.Series) -> pd.Series:
    """Normalise ward IDs so that the usual spellings of one ID compare equal.

    * surrounding whitespace (also no-break, thin and zero-width spaces, BOM) is removed, and runs of spaces inside
      an ID become one space;
    * numbers lose a float tail and leading zeros: ``7``, ``"7"``, ``" 7 "``, ``"7.0"``, ``7.0``, ``"07"`` and
      ``"০৭"`` (Bengali digits) all become ``"7"``; ``"0"`` stays ``"0"`` (it is an ID, not a missing value);
    * text IDs keep their case and inner zeros: ``"NDMC_1"`` and ``"ndmc_1"`` differ, ``"W-07"`` stays ``"W-07"``
      (:func:`join_wards` points out IDs that would match ignoring case);
    * missing values (None, NaN, pd.NA, empty or blank text) become ``pd.NA``.

    Parameters
    ----------
    values : pandas.Series

    Returns
    -------
    pandas.Series
        Object dtype (``str`` or ``pd.NA``), same index.

    Examples
    --------
    >>> normalise_ids(pd.Series([" 07", 7.0, "7.0", "NDMC_1", None])).tolist()
    ['7', '7', '7', 'NDMC_1', <NA>]
    """
    normalised = _normalised_ids(values)
    out = normalised.to_numpy(dtype=object, na_value=pd.NA)
    return pd.Series(out, index=normalised.index, dtype=object, name=normalised.name)


def _normalised_ids(values: pd.Series) -> pd.Series:
    """:func:`normalise_ids` as a pyarrow-backed string Series (fast isna / duplicated / factorize)."""
    series = pd.Series(values, copy=False)
    text = _normalised_id_text(series)
    return pd.Series(
        pd.arrays.ArrowStringArray(text)
        if hasattr(pd.arrays, "ArrowStringArray")
        else pd.array(text.to_pylist(), dtype="string"),
        index=series.index,
        name=getattr(values, "name", None),
    )


def _normalised_id_text(series: pd.Series):
    """:func:`normalise_ids` as a pyarrow string array (null for missing IDs)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = _arrow_text(series)  # None unless every cell is text or missing (then there are no numbers to fix)
    if text is not None:
        pass  # the usual case: IDs read as text
    elif pd.api.types.is_float_dtype(series.dtype):
        floats = series.to_numpy(dtype="float64", na_value=np.nan)
        integral = np.isfinite(floats) & (np.mod(floats, 1) == 0)
        as_text = series.astype(object).to_numpy(copy=True)
        as_text[integral] = [str(int(v)) for v in floats[integral]]
        series = pd.Series(as_text, index=series.index, dtype=object)
    elif pd.api.types.is_integer_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        series = series.astype("string")
    elif series.dtype == object:
        # numbers inside a text column (an object column from a hand-made DataFrame): 7.0 -> "7"
        objects = series.to_numpy()
        is_float = np.fromiter((isinstance(v, float) for v in objects), dtype=bool, count=len(objects))
        if is_float.any():
            objects = objects.copy()
            objects[is_float] = [
                str(int(v)) if v == v and v % 1 == 0 and abs(v) != np.inf else (None if v != v else str(v))
                for v in objects[is_float]
            ]
            series = pd.Series(objects, index=series.index, dtype=object)
    if text is None:
        text = pa.array(series.astype("string").to_numpy(dtype=object, na_value=None), type=pa.string())
    text = pc.utf8_trim(text, characters=_STRIP_CHARS)
    # the regular expressions that rewrite text run only on the IDs they change (most IDs: none of them)
    spaced = pc.fill_null(pc.match_substring_regex(text, pattern=_SPACE_RUN), False)
    if spaced.true_count:
        inner = pc.replace_substring_regex(text.filter(spaced), pattern=_SPACE_RUN, replacement=" ")
        text = pc.replace_with_mask(text, spaced, inner)
    not_ascii = pc.fill_null(pc.invert(pc.string_is_ascii(text)), False).to_numpy(zero_copy_only=False)
    digits = text
    if not_ascii.any():  # Bengali, Devanagari, ... digits: "০৭" is ward 7
        py = np.array(text.to_pylist(), dtype=object)
        py[not_ascii] = [v.translate(_digit_table()) for v in py[not_ascii]]
        digits = pa.array(py, type=pa.string())
    numeric = pc.fill_null(pc.match_substring_regex(digits, pattern=r"^\d+(?:\.0*)?$"), False)
    if numeric.true_count:
        number = pc.replace_substring_regex(digits.filter(numeric), pattern=r"\.0*$", replacement="")
        canonical = pc.utf8_ltrim(number, characters="0")
        canonical = pc.if_else(pc.equal(canonical, ""), "0", canonical)
        text = pc.replace_with_mask(text, numeric, canonical)
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


_NAME_COLUMNS = ("ward_name", "wardname", "ward name", "name", "ward", "name1", "name2", "zone")


def _name_column(frame: pd.DataFrame, id_column: str) -> str | None:
    """An 'obvious' ward name column: one called like ward_name / name (not the ID column)."""
    candidates = {str(c).strip().casefold(): c for c in frame.columns if c != id_column and c != "geometry"}
    for key in _NAME_COLUMNS:
        col = candidates.get(key)
        if col is not None and not pd.api.types.is_numeric_dtype(frame[col].dtype):
            return col
    for key, col in candidates.items():
        if "name" in key and not pd.api.types.is_numeric_dtype(frame[col].dtype):
            return col
    return None


def join_wards(
    table: pd.DataFrame,
    wards: gpd.GeoDataFrame,
    *,
    id_column: str,
    boundary_id_column: str | None = None,
    table_source: str = "",
    boundary_source: str = "",
) -> tuple[gpd.GeoDataFrame, JoinReport]:
    """Attach ward boundaries to the rows of an indicator table, matching on the ward ID.

    IDs are compared after :func:`normalise_ids` (spaces, ``7`` / ``"7"`` / ``"7.0"`` / ``"07"``, numeric against
    text). Nothing is dropped silently: every ID that does not match, is missing or repeated is in the report.

    Parameters
    ----------
    table : pandas.DataFrame
        The indicator table (e.g. ``read_table(...).table``).
    wards : geopandas.GeoDataFrame
        The boundaries (e.g. ``read_boundaries(...).wards``).
    id_column : str
        Ward ID column of the table.
    boundary_id_column : str, optional
        Ward ID column of the boundaries; by default the same name as ``id_column``.
    table_source, boundary_source : str
        File names for messages.

    Returns
    -------
    joined : geopandas.GeoDataFrame
        One row per table row whose ward has a geometry, in the table's order, keeping the table's index:
        ``ward_id`` (normalised ID, str) first, then the table's columns, then ``geometry``; CRS of ``wards``.
    report : JoinReport

    Raises
    ------
    DataError
        An ID column is missing (the message lists the columns and the closest name), or the table has a column
        called ``geometry``.

    Notes
    -----
    Features of the boundaries that share an ID are treated as parts of one multi-part ward: their geometries are
    merged (union) and the attributes of the first are kept; the IDs are listed in ``duplicate_boundary_ids``.
    Table rows that share an ID are all kept, each with the ward's geometry, and listed in ``duplicate_table_ids``.
    If the table's ID column is itself called ``ward_id`` and normalising changed some IDs, the IDs as written are
    kept in ``ward_id_as_given``.
    """
    boundary_id_column = _check_id_columns(table, wards, id_column, boundary_id_column, table_source, boundary_source)
    notes: list[str] = []
    codes = _WardCodes.encode(_normalised_id_text(table[id_column]), _normalised_id_text(wards[boundary_id_column]))
    geometry_by_code = _ward_geometries(codes, wards, boundary_source, notes)
    in_boundaries, matched_geoms, has_geometry = _match(codes, geometry_by_code)
    table_codes, ward_codes = codes.table, codes.wards
    missing_geometry = codes.ids_of(table_codes[in_boundaries & ~has_geometry])
    unmatched_table = codes.ids_of(table_codes[(table_codes >= 0) & ~in_boundaries])
    unmatched_boundaries = codes.ids_of(
        ward_codes[(ward_codes >= 0) & (codes.table_count[np.maximum(ward_codes, 0)] == 0)]
    )
    notes += _near_miss_notes(
        unmatched_table, unmatched_boundaries, bool(in_boundaries.any()), id_column, boundary_id_column
    )
    name_table = _name_column(table, id_column)
    name_wards = _name_column(wards, boundary_id_column)
    names = _unmatched_names(
        codes,
        [
            (name_wards, wards, ward_codes, unmatched_boundaries),
            (name_table, table, table_codes, unmatched_table + missing_geometry),
        ],
    )
    joined = _joined_frame(table, wards, codes, has_geometry, matched_geoms, id_column, notes)
    report = JoinReport(
        matched=int(has_geometry.sum()),
        unmatched_table=unmatched_table,
        unmatched_boundaries=unmatched_boundaries,
        duplicate_table_ids=sorted(codes.uniques[codes.table_count > 1].tolist(), key=_id_sort_key),
        duplicate_boundary_ids=sorted(codes.uniques[codes.ward_count > 1].tolist(), key=_id_sort_key),
        missing_ids_table=(np.flatnonzero(table_codes < 0) + 2).tolist(),
        missing_ids_boundaries=(np.flatnonzero(ward_codes < 0) + 1).tolist(),
        missing_geometry=missing_geometry,
        names=names,
        name_column_table=name_table,
        name_column_boundaries=name_wards,
        notes=notes,
        table_wards=int((codes.table_count > 0).sum()),
        boundary_wards=int((codes.ward_count > 0).sum()),
    )
    return joined, report


def _check_id_columns(
    table: pd.DataFrame, wards, id_column: str, boundary_id_column: str | None, table_source: str, boundary_source: str
) -> str:
    """The boundaries' ID column; refuses a missing ID column (naming the closest) or a table column 'geometry'."""
    if id_column not in table.columns:
        raise _missing_column_error(id_column, list(table.columns), table_source, "table")
    boundary_id_column = boundary_id_column or id_column
    if boundary_id_column not in wards.columns:
        raise _missing_column_error(
            boundary_id_column, [c for c in wards.columns if c != wards.geometry.name], boundary_source, "boundary file"
        )
    if "geometry" in table.columns:
        raise DataError(
            f"The table {table_source} has a column called 'geometry'. Rename it (the ward boundaries "
            "come from the boundary file)."
        )
    return boundary_id_column


@dataclass
class _WardCodes:
    """The ward IDs of both sides as integer codes into one list of unique IDs (-1: no ID), from one hashing pass.

    Attributes
    ----------
    unique_ids : pyarrow string array of the unique IDs; ``uniques`` the same as an object array of ``str``.
    wards, table : the code of each feature of the boundaries, of each row of the table.
    ward_count, table_count : how many features, rows have each code.
    """

    unique_ids: Any
    uniques: np.ndarray
    wards: np.ndarray
    table: np.ndarray
    ward_count: np.ndarray
    table_count: np.ndarray

    @classmethod
    def encode(cls, table_ids, ward_ids) -> _WardCodes:
        import pyarrow as pa

        encoded = pa.concat_arrays([ward_ids, table_ids]).dictionary_encode()
        codes = encoded.indices.fill_null(-1).to_numpy().astype(np.int64)
        uniques = np.asarray(encoded.dictionary.to_numpy(zero_copy_only=False), dtype=object)
        ward_codes, table_codes = codes[: len(ward_ids)], codes[len(ward_ids) :]
        return cls(
            encoded.dictionary,
            uniques,
            ward_codes,
            table_codes,
            np.bincount(ward_codes[ward_codes >= 0], minlength=len(uniques)),
            np.bincount(table_codes[table_codes >= 0], minlength=len(uniques)),
        )

    @property
    def n_codes(self) -> int:
        return len(self.uniques)

    def ids_of(self, codes: np.ndarray) -> list[str]:
        """The IDs of ``codes``, each once, in order of first appearance."""
        return self.uniques[pd.unique(codes)].tolist() if codes.size else []


def _ward_geometries(codes: _WardCodes, wards, boundary_source: str, notes: list[str]) -> np.ndarray:
    """One geometry per ward ID (by code): the feature's geometry; features sharing an ID are merged (multi-part
    ward, noted)."""
    import shapely

    geoms = np.asarray(wards.geometry.array, dtype=object)
    first_feature = _first_positions(codes.wards, codes.n_codes)
    geometry_by_code = np.full(codes.n_codes, None, dtype=object)
    has_ward = first_feature >= 0
    geometry_by_code[has_ward] = geoms[first_feature[has_ward]]
    shared = np.flatnonzero(codes.ward_count > 1)
    if shared.size:
        for code in shared:
            parts = [g for g in geoms[codes.wards == code] if g is not None and not g.is_empty]
            geometry_by_code[code] = _polygonal_part(shapely.union_all(parts)) if parts else None
        duplicate_ids = sorted(codes.uniques[shared].tolist(), key=_id_sort_key)
        notes.append(
            f"{len(duplicate_ids)} ward ID(s) appear in several features of the boundaries "
            f"{boundary_source}; their parts were merged into one ward each: "
            f"{', '.join(duplicate_ids[:20])}. If they are different wards, give them distinct IDs."
        )
    return geometry_by_code


def _match(codes: _WardCodes, geometry_by_code: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each table row: (its ID is in the boundaries, its ward's geometry or None, that geometry is usable)."""
    import shapely

    table_codes = codes.table
    safe_codes = np.where(table_codes >= 0, table_codes, 0)
    if codes.n_codes:
        in_boundaries = (table_codes >= 0) & (codes.ward_count[safe_codes] > 0)
        matched_geoms = np.where(in_boundaries, geometry_by_code[safe_codes], None)
    else:
        in_boundaries = np.zeros(len(table_codes), bool)
        matched_geoms = np.where(in_boundaries, None, None)
    has_geometry = in_boundaries & ~shapely.is_missing(matched_geoms) & ~shapely.is_empty(matched_geoms)
    return in_boundaries, matched_geoms, has_geometry


def _near_miss_notes(
    unmatched_table: list[str],
    unmatched_boundaries: list[str],
    any_match: bool,
    id_column: str,
    boundary_id_column: str,
) -> list[str]:
    """Hints for IDs that do not match: a difference of case only, or no match at all (another numbering)."""
    if not (unmatched_table and unmatched_boundaries):
        return []
    notes = []
    folded = {i.casefold(): i for i in unmatched_boundaries}
    case_only = [f"{i} / {folded[i.casefold()]}" for i in unmatched_table if i.casefold() in folded]
    if case_only:
        notes.append(
            f"{len(case_only)} unmatched ID(s) differ only in upper/lower case: "
            f"{', '.join(case_only[:10])}. IDs are compared with their case; correct one of the files."
        )
    if not any_match:
        notes.append(
            f"no ward ID of the table matches the boundaries (table examples: {', '.join(unmatched_table[:3])}; "
            f"boundary examples: {', '.join(unmatched_boundaries[:3])}). Check that '{id_column}' and "
            f"'{boundary_id_column}' are the same ward numbering (and the same delimitation year)."
        )
    return notes


def _unmatched_names(codes: _WardCodes, wanted: list[tuple]) -> dict[str, str]:
    """The ward name of each ID in ``wanted`` ((name column, frame, its codes, IDs), ...): from the first row with
    that ID, where the frame has a name column and the name is not empty."""
    names: dict[str, str] = {}
    if not any(column is not None and ids for column, _, _, ids in wanted):
        return names
    code_of = {ward_id: code for code, ward_id in enumerate(codes.uniques)}
    for column, frame, frame_codes, ids in wanted:
        if column is None or not ids:
            continue
        values = frame[column].to_numpy(dtype=object)
        first_row = _first_positions(frame_codes, codes.n_codes)
        for ward_id in ids:
            row = first_row[code_of[ward_id]]
            value = values[row] if row >= 0 else None
            if value is not None and not pd.isna(value) and str(value).strip():
                names[ward_id] = str(value).strip()
    return names


def _joined_frame(
    table: pd.DataFrame,
    wards,
    codes: _WardCodes,
    has_geometry: np.ndarray,
    matched_geoms: np.ndarray,
    id_column: str,
    notes: list[str],
):
    """The table rows that have a ward geometry: ``ward_id`` (normalised) first, the table's columns, ``geometry``.

    A table column ``ward_id`` that is not the ID column is renamed ``ward_id_table``; the ID column ``ward_id`` is
    kept as ``ward_id_as_given`` when normalising changed some IDs (both noted)."""
    import geopandas as gpd
    import pyarrow as pa
    import pyarrow.compute as pc

    take = np.flatnonzero(has_geometry)
    if not _COPY_ON_WRITE:
        joined_table = table.iloc[take].copy()
    elif len(take) == len(table):  # every row matched: nothing to take (copy-on-write keeps ``table`` unchanged)
        joined_table = table.copy(deep=False)
    else:
        joined_table = table.iloc[take]
    ids_out = codes.unique_ids.take(pa.array(codes.table[take]))
    if "ward_id" in joined_table.columns:
        if id_column == "ward_id":
            as_given = _arrow_text(joined_table["ward_id"])
            if as_given is None:
                as_given = _arrow_text(joined_table["ward_id"].astype("string"))
            if pc.all(pc.fill_null(pc.equal(as_given, ids_out), False)).as_py() is False:  # (None: no rows)
                joined_table = joined_table.rename(columns={"ward_id": "ward_id_as_given"})
                notes.append(
                    "kept the ward IDs as written in the table in 'ward_id_as_given'; 'ward_id' holds the "
                    "normalised IDs"
                )
            else:
                joined_table = joined_table.drop(columns="ward_id")
        else:
            joined_table = joined_table.rename(columns={"ward_id": "ward_id_table"})
            notes.append(
                f"the table's column 'ward_id' is not the ID column ('{id_column}'); renamed it 'ward_id_table'"
            )
    joined_table.insert(0, "ward_id", pd.array(ids_out if _COPY_ON_WRITE else ids_out.to_pylist(), dtype="str"))
    return gpd.GeoDataFrame(joined_table, geometry=gpd.array.from_shapely(matched_geoms[take], crs=wards.crs))


def _first_positions(codes: np.ndarray, n_codes: int) -> np.ndarray:
    """Position of the first occurrence of each code (-1 where it does not occur; negative codes are ignored)."""
    first = np.full(n_codes, -1, dtype=np.int64)
    known = np.flatnonzero(codes >= 0)[::-1]
    first[codes[known]] = known  # with repeated indices the last write wins: the first occurrence
    return first


def _id_sort_key(ward_id: str) -> tuple:
    return (0, int(ward_id), "") if ward_id.isdigit() else (1, 0, ward_id)
