"""Shared plumbing of :mod:`hotspots.io`: sources (paths, bytes, uploaded files), file hashes, JSON files, the
messages and text tables that reading tables, reading boundaries and joining them all use."""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd

from hotspots.errors import DataError, InputFileError

Source = str | os.PathLike | bytes | bytearray | memoryview | BinaryIO  # BinaryIO: anything with .getvalue() or .read()

TABLE_SUFFIXES = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".tab": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx"}
SAVE_AS_CSV = "Open it in Excel and use File > Save As > 'CSV UTF-8 (Comma delimited) (*.csv)', or save it as .xlsx."
SAVE_AS_GEO = "Export the ward layer from QGIS as GeoJSON (Layer > Export > Save Features As... > GeoJSON)."

# --------------------------------------------------------------------------------------------------------------
# Sources: paths, bytes, uploaded files
# --------------------------------------------------------------------------------------------------------------


@dataclass
class _Source:
    name: str  # file name for messages
    path: Path | None  # set when the source is a file on disk
    data: bytes | None  # set when the source was given as bytes or a file-like object

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix.lower()

    def read_bytes(self) -> bytes:
        if self.data is not None:
            return self.data
        try:
            return self.path.read_bytes()
        except OSError as exc:
            raise InputFileError(
                f"Cannot read file {self.name}: {exc.strerror or exc}. Check that it is not open "
                "in another program and that you may read it."
            ) from exc


def _open_source(source: Source, name: str | None, what: str = "file") -> _Source:
    """Turn a path, bytes or a file-like object into a :class:`_Source` (with a name for messages)."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        shown = name or path.name
        if not path.exists():
            raise InputFileError(f"The {what} '{path}' does not exist. Check the file name and folder.")
        if path.is_dir():
            raise InputFileError(
                f"'{path}' is a folder, not a file. Give the file itself (for a Shapefile: zip its .shp, .shx, .dbf "
                "and .prj files into one .zip and give the .zip)."
            )
        return _Source(shown, path, None)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _Source(name or "uploaded file", None, bytes(source))
    if hasattr(source, "getvalue") or hasattr(source, "read"):
        shown = name or Path(str(getattr(source, "name", "") or "uploaded file")).name
        if hasattr(source, "getvalue"):
            data = source.getvalue()
        else:
            if hasattr(source, "seek"):
                try:
                    source.seek(0)
                except (OSError, ValueError):
                    pass
            data = source.read()
        if isinstance(data, str):
            data = data.encode("utf-8")
        return _Source(shown, None, bytes(data))
    raise InputFileError(
        f"Cannot read a {what} from a {type(source).__name__}: give a file path, the file's bytes, or an uploaded "
        "file object."
    )


def file_sha256(source: Source) -> str:
    """SHA-256 hex digest of a file's bytes (for provenance logs).

    Parameters
    ----------
    source : path, bytes or binary file-like object

    Returns
    -------
    str
        64 hex digits.
    """
    src = _open_source(source, None)
    if src.data is not None:
        return hashlib.sha256(src.data).hexdigest()
    digest = hashlib.sha256()
    try:
        with open(src.path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise InputFileError(f"Cannot read file {src.name}: {exc.strerror or exc}.") from exc
    return digest.hexdigest()


def read_json_file(source: Source, name: str | None = None) -> Any:
    """Read a small JSON file (a configuration, a framework definition).

    Parameters
    ----------
    source : path, bytes or binary file-like object
    name : str, optional
        File name for messages when ``source`` is not a path.

    Returns
    -------
    object
        The parsed JSON value.

    Raises
    ------
    InputFileError
        The file is missing or not text.
    DataError
        The file is not valid JSON; the message gives the line and column.
    """
    src = _open_source(source, name, "JSON file")
    raw = src.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"{src.name} is not a UTF-8 text file (byte {exc.start}). Save it as UTF-8 text (in Notepad: "
            "File > Save As > Encoding: UTF-8)."
        ) from None
    if not text.strip():
        raise DataError(f'{src.name} is empty: it should contain a JSON object such as {{"weights": {{...}}}}.')
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        line_text = text.splitlines()[exc.lineno - 1] if exc.lineno - 1 < len(text.splitlines()) else ""
        raise DataError(
            f"{src.name} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}: "
            f"{line_text.strip()[:80]!r}. Check for a missing comma or quote, a trailing comma, or single quotes "
            "(JSON needs double quotes)."
        ) from None


# --------------------------------------------------------------------------------------------------------------
# Text shared by numbers and ward IDs
# --------------------------------------------------------------------------------------------------------------

# zero of every decimal-digit block in use in South Asia (and a few neighbours)
_DIGIT_ZEROS = (
    0x0660,  # Arabic-Indic
    0x06F0,  # Extended Arabic-Indic (Urdu, Persian)
    0x0966,  # Devanagari
    0x09E6,  # Bengali
    0x0A66,  # Gurmukhi
    0x0AE6,  # Gujarati
    0x0B66,  # Oriya
    0x0BE6,  # Tamil
    0x0C66,  # Telugu
    0x0CE6,  # Kannada
    0x0D66,  # Malayalam
    0x0DE6,  # Sinhala Lith
    0x0E50,  # Thai
    0x0F20,  # Tibetan
    0x1040,  # Myanmar
    0xFF10,  # Fullwidth
)
_SPACES = "\u00a0\u2007\u2009\u202f\u200a\u2002\u2003\u2004\u2005\u2006\u2008\u3000"


@lru_cache(maxsize=1)
def _digit_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for zero in _DIGIT_ZEROS:
        for k in range(10):
            table[zero + k] = str(k)
    return table


def _arrow_text(series: pd.Series):
    """The cells of a text column as a pyarrow string array (null where missing), without going through Python
    objects twice; None when some cell is not text (a number in an object column), which the caller converts."""
    import pyarrow as pa

    if series.dtype == object:
        cells = series.to_numpy()
        if pd.api.types.infer_dtype(cells, skipna=True) not in ("string", "empty"):
            return None
        return pa.array(cells, type=pa.string(), from_pandas=True)  # None, NaN and pd.NA become null
    if isinstance(series.dtype, pd.StringDtype):
        text = pa.array(series.array)
        if isinstance(text, pa.ChunkedArray):
            text = text.combine_chunks()
        return text if text.type == pa.string() else text.cast(pa.string())
    return None


# --------------------------------------------------------------------------------------------------------------
# Shared by boundaries and the join
# --------------------------------------------------------------------------------------------------------------


def _missing_column_error(column: str, available: list, source: str, what: str) -> DataError:
    names = [str(c) for c in available]
    folded = {n.casefold().strip(): n for n in names}
    close = difflib.get_close_matches(column.casefold().strip(), list(folded), n=3, cutoff=0.5)
    suggestion = f" Did you mean {' or '.join(repr(folded[c]) for c in close)}?" if close else ""
    return DataError(
        f"The {what} {source + ' ' if source else ''}has no column '{column}'.{suggestion} Available columns: "
        f"{', '.join(repr(n) for n in names)}. Choose the column that holds the ward ID."
    )


def _polygonal_part(geom):
    """Keep only the polygons of a geometry (a repaired bow-tie may come back with stray lines)."""
    import shapely

    if geom is None:
        return None
    type_id = shapely.get_type_id(geom)
    if type_id in (3, 6):
        return geom
    if type_id == 7:
        parts = [p for p in shapely.get_parts(geom) if shapely.get_type_id(p) in (3, 6)]
        polys = []
        for p in parts:
            polys.extend(shapely.get_parts(p) if shapely.get_type_id(p) == 6 else [p])
        if not polys:
            return shapely.Polygon()
        return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)
    return shapely.Polygon()
