"""Read indicator tables and ward boundaries, and join them on the ward ID.

This is the first step of the data flow (load -> validate -> score -> ...). It reads what municipal analysts
actually upload: CSV as Excel writes it (UTF-8 with or without BOM, UTF-16 "Unicode text", Windows-1252; comma,
semicolon or tab separated), ``.xlsx`` workbooks, and ward boundaries as GeoJSON, zipped Shapefile, GeoPackage or
KML. Nothing is converted or dropped silently: a table is returned as text exactly as written (numbers are parsed
later with :func:`parse_numbers`), and every repair, reprojection or assumption is written into ``notes``.

Public functions
----------------
read_table, parse_numbers, guess_decimal
read_boundaries
normalise_ids, join_wards
file_sha256, read_json_file

Conventions
-----------
* Row numbers in messages are spreadsheet rows: the header is row 1, the first data row is row 2
  (``TableRead.line_numbers`` has the exact line of each record in a CSV file).
* Feature numbers of boundary files are 1-based, in file order ("feature 193").
* Heavy optional imports (openpyxl, pyogrio, geopandas, shapely) happen inside the functions that need them.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np
import pandas as pd

from hotspots.errors import DataError, InputFileError, Problem, ValidationError

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

__all__ = [
    "TableRead",
    "BoundariesRead",
    "JoinReport",
    "read_table",
    "parse_numbers",
    "guess_decimal",
    "read_boundaries",
    "normalise_ids",
    "join_wards",
    "file_sha256",
    "read_json_file",
]

Source = str | os.PathLike | bytes | bytearray | memoryview | BinaryIO  # BinaryIO: anything with .getvalue() or .read()

TABLE_SUFFIXES = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".tab": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx"}
BOUNDARY_SUFFIXES = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".zip": "zip",
    ".shp": "ESRI Shapefile",
    ".gpkg": "GPKG",
    ".kml": "KML",
    ".kmz": "KMZ",
}
SAVE_AS_CSV = "Open it in Excel and use File > Save As > 'CSV UTF-8 (Comma delimited) (*.csv)', or save it as .xlsx."
SAVE_AS_GEO = "Export the ward layer from QGIS as GeoJSON (Layer > Export > Save Features As... > GeoJSON)."
CSV_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}

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
# Tables
# --------------------------------------------------------------------------------------------------------------


@dataclass
class TableRead:
    """An indicator table as read from a file, before any conversion.

    Attributes
    ----------
    table : pandas.DataFrame
        Every cell as a Python ``str`` exactly as in the file (object dtype), empty cells as ``pd.NA``. Header names
        are stripped of surrounding whitespace and BOM. RangeIndex: data row ``i`` is spreadsheet row ``i + 2``.
    source : str
        File name for messages.
    encoding : str
        Text encoding used ("utf-8", "utf-8-sig", "utf-16-le", "cp1252", ...; "xlsx" for workbooks).
    delimiter : str or None
        Field separator of a CSV file; None for a workbook.
    sha256 : str
        SHA-256 of the file's bytes.
    notes : list of str
        What was assumed or skipped while reading (shown to the user).
    line_numbers : list of int
        For each data row, the line (CSV) or sheet row (xlsx) where it starts in the file.
    sheet : str or None
        Sheet read from a workbook.
    """

    table: pd.DataFrame
    source: str
    encoding: str
    delimiter: str | None
    sha256: str
    notes: list[str] = field(default_factory=list)
    line_numbers: list[int] = field(default_factory=list)
    sheet: str | None = None


def read_table(source: Source, *, name: str | None = None) -> TableRead:
    """Read a ward indicator table (CSV or .xlsx) as text.

    Parameters
    ----------
    source : path, bytes or binary file-like object
        A ``.csv``/``.txt``/``.tsv`` file (UTF-8 with or without BOM, UTF-16 with BOM, or Windows-1252; separated by
        commas, semicolons or tabs) or an ``.xlsx`` workbook (first sheet; formulas give their saved values).
        Streamlit's ``UploadedFile`` works as is.
    name : str, optional
        File name for messages (and to know the format) when ``source`` is not a path.

    Returns
    -------
    TableRead
        All cells as ``str`` (missing as ``pd.NA``); nothing is converted yet.

    Raises
    ------
    InputFileError
        Missing, empty, binary or unknown-format file.
    DataError
        No header row, duplicate column names, rows with a different number of fields (with their line numbers).

    Examples
    --------
    >>> read = read_table(b"ward_id,incidents\\n7,12\\n8,\\n", name="wards.csv")
    >>> read.table["incidents"].tolist()
    ['12', <NA>]
    """
    src = _open_source(source, name, "table")
    raw = src.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    kind = _table_kind(src, raw)
    if kind == "xlsx":
        return _read_xlsx(src, raw, sha)
    return _read_csv(src, raw, sha)


def _table_kind(src: _Source, raw: bytes) -> str:
    if not raw.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise InputFileError(f"{src.name} is empty. Check that you saved the table before uploading it.")
    head = raw[:8]
    suffix = src.suffix
    if head.startswith(b"PK\x03\x04"):
        if _zip_has(raw, "xl/workbook.xml"):
            return "xlsx"
        if _zip_has(raw, "content.xml"):
            raise InputFileError(f"{src.name} is an OpenDocument spreadsheet (.ods). {SAVE_AS_CSV}")
        raise InputFileError(f"{src.name} is a zip archive, not a table. Unzip it and upload the .csv or .xlsx.")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputFileError(f"{src.name} is an old Excel 97-2003 workbook (.xls), which we do not read. {SAVE_AS_CSV}")
    if head.startswith(b"%PDF"):
        raise InputFileError(f"{src.name} is a PDF document, not a table. {SAVE_AS_CSV}")
    if suffix in (".xls", ".ods", ".numbers", ".docx", ".doc", ".pdf"):
        raise InputFileError(f"{src.name}: '{suffix}' files cannot be read. {SAVE_AS_CSV}")
    if suffix in TABLE_SUFFIXES or suffix == "":
        return "csv"
    raise InputFileError(
        f"{src.name}: unknown table format '{suffix}'. Upload a .csv (comma, semicolon or tab separated) or an "
        f".xlsx file. {SAVE_AS_CSV}"
    )


def _zip_has(raw: bytes, member: str) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            return member in zf.namelist()
    except zipfile.BadZipFile:
        return False


def _decode(src: _Source, raw: bytes) -> tuple[str, str, list[str]]:
    """Decode a text file as Excel writes them; return (text, encoding, notes)."""
    notes: list[str] = []
    if raw.startswith(b"\xef\xbb\xbf"):
        encoding, body = "utf-8-sig", raw[3:]
    elif raw.startswith(b"\xff\xfe"):
        encoding, body = "utf-16-le", raw[2:]
    elif raw.startswith(b"\xfe\xff"):
        encoding, body = "utf-16-be", raw[2:]
    else:
        body = raw
        sample = raw[:4000]
        even, odd = sample[0::2], sample[1::2]
        if len(sample) >= 4 and odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
            encoding = "utf-16-le"
        elif len(sample) >= 4 and even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
            encoding = "utf-16-be"
        else:
            encoding = "utf-8"
    if encoding == "utf-8" and b"\x00" in raw[:65536]:
        raise InputFileError(_binary_message(src))
    try:
        text = body.decode(encoding.replace("-sig", ""))
    except UnicodeDecodeError as exc:
        if encoding.startswith("utf-16"):
            raise InputFileError(
                f"{src.name} starts like UTF-16 text but is damaged at byte {exc.start}. {SAVE_AS_CSV}"
            ) from None
        try:
            text = body.decode("cp1252")
            encoding = "cp1252"
        except UnicodeDecodeError:
            text = body.decode("latin-1")
            encoding = "latin-1"
        notes.append(
            f"{src.name} is not UTF-8; read it as Windows-1252 (Excel's plain 'CSV' on Western Windows). If names in "
            "Bengali, Sinhala, Dhivehi or Hindi look wrong, save the file as 'CSV UTF-8' in Excel and upload it again."
        )
    sample_text = text[:20000]
    bad = len(_CONTROL_CHARACTERS.findall(sample_text))
    if sample_text and bad > max(2, 0.005 * len(sample_text)):
        raise InputFileError(_binary_message(src))
    return text, encoding, notes


# Unicode category "Cc" (U+0000-U+001F, U+007F-U+009F) but tab, line feed, form feed and carriage return
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def _binary_message(src: _Source) -> str:
    return (
        f"{src.name} does not look like a text table (it contains binary data). If it is a spreadsheet, upload the "
        f".xlsx itself or {SAVE_AS_CSV[0].lower()}{SAVE_AS_CSV[1:]}"
    )


def _sniff_delimiter(lines: list[str]) -> str:
    """The separator that splits the sample into the same number (> 1) of fields on every line."""
    best, best_score = ",", (-1.0, 0, 0)
    for rank, delim in enumerate(CSV_DELIMITERS):
        try:
            counts = [len(r) for r in csv.reader(lines, delimiter=delim) if r]
        except csv.Error:
            continue
        if not counts:
            continue
        header = counts[0]
        if header < 2:
            score = (0.0, 0, -rank)
        else:
            # Excel pads short rows with separators; a row may also carry trailing empty fields
            consistent = sum(c == header for c in counts) / len(counts)
            score = (consistent, header, -rank)
        if score > best_score:
            best, best_score = delim, score
    return best


def _read_csv(src: _Source, raw: bytes, sha: str) -> TableRead:
    text, encoding, notes = _decode(src, raw)
    if "\r" in text and "\n" not in text:  # old Mac line ends
        text = text.replace("\r", "\n")
    first_line = 1
    delim = None
    m = re.match(r"\ufeff?sep=([,;\t|])[ \t]*\r?\n", text)
    if m:  # Excel's separator hint line
        delim = m.group(1)
        text = text[m.end() :]
        first_line = 2
        notes.append(f"used the separator line 'sep={delim}' at the top of {src.name}")
    m = re.match(r"(?:[ \t]*\r?\n)+", text)
    if m:
        first_line += text[: m.end()].count("\n")
        text = text[m.end() :]
    if not text.strip():
        raise InputFileError(f"{src.name} is empty. Check that you saved the table before uploading it.")
    if delim is None:
        delim = _sniff_delimiter(text[:200_000].splitlines()[:200])
    columns = _split_plain_csv(text, delim)
    if columns is not None:  # every line has the same number of fields: record i is on line first_line + i
        values = np.empty((len(columns[0]) - 1, len(columns)), dtype=object)
        for j, column in enumerate(columns):
            values[:, j] = column[1:]
        starts = list(range(first_line + 1, first_line + 1 + len(values)))
        header = [column[0] for column in columns]
        return _finish_table(src, header, values, starts, sha, encoding, delim, notes, sheet=None)
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delim, strict=False))
    except csv.Error as exc:
        raise DataError(
            f'{src.name}: cannot split the file into fields ({exc}). Check for an unclosed quote ("). {SAVE_AS_CSV}'
        ) from None
    physical_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if physical_lines == len(rows):  # no line break inside a quoted cell: record i is on line first_line + i
        starts = list(range(first_line, first_line + len(rows)))
    else:
        starts, prev = [], 0
        reader = csv.reader(io.StringIO(text), delimiter=delim, strict=False)
        for _ in reader:
            starts.append(prev + first_line)
            prev = reader.line_num
    return _finish_table(src, rows[0], rows[1:], starts[1:], sha, encoding, delim, notes, sheet=None)


# CSV text without quotes whose lines all have the same number of fields is split by pyarrow's C reader (what
# csv.reader gives for such text, without a Python object per row): 100,000 rows x 8 columns in 0.07 s, not 0.2 s
FAST_CSV = True


def _split_plain_csv(text: str, delim: str) -> list[np.ndarray] | None:
    """The columns (header cell first, then one ``str`` per line) of a CSV text that has no quote, no NUL and no
    line break but ``\\n`` / ``\\r\\n``, and whose lines all have the same number (>= 2) of fields; else None."""
    if not FAST_CSV or '"' in text or "\x00" in text or text.startswith("\ufeff"):
        return None
    if text.count("\r") != text.count("\r\n"):  # a lone CR ends a record for csv.reader
        return None
    newline = text.find("\n")
    width = text[: newline if newline >= 0 else len(text)].count(delim) + 1
    if width < 2:
        return None
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pa_csv

    names = [f"c{i}" for i in range(width)]
    try:
        data = text.encode("utf-8")
        table = pa_csv.read_csv(
            io.BytesIO(data),
            read_options=pa_csv.ReadOptions(column_names=names),
            parse_options=pa_csv.ParseOptions(
                delimiter=delim, quote_char=False, escape_char=False, newlines_in_values=False, ignore_empty_lines=False
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeEncodeError):  # a line with another number of fields, an empty line, ...
        return None
    if table.num_columns != width or table.num_rows == 0:
        return None
    longest = max((pc.max(pc.utf8_length(column)).as_py() or 0) for column in table.columns)
    if longest > csv.field_size_limit():
        return None  # csv.reader refuses such a field: let it say so
    return [column.to_numpy() for column in table.columns]


def _finish_table(
    src: _Source,
    header: list[Any],
    body: list[list[Any]] | np.ndarray,
    body_starts: list[int],
    sha: str,
    encoding: str,
    delim: str | None,
    notes: list[str],
    sheet: str | None,
) -> TableRead:
    """Common checks for CSV and xlsx (header, ragged rows, padding); builds the all-text DataFrame.

    ``body`` cells are ``str`` or None; "" and None are empty cells. ``body`` is a list of rows, or a 2-D object
    array when every row has as many fields as the header.
    """
    where = "line" if delim is not None else "row"
    width = len(header)
    if isinstance(body, np.ndarray):
        body, values = [], body
    else:
        values = None
    counts = np.fromiter(map(len, body), dtype=np.int64, count=len(body))

    def blank(cells: Iterable[Any]) -> bool:
        return all(c is None or c == "" for c in cells)

    # rows with more fields than the header are fine when the extra fields are empty (Excel pads with separators)
    longer = np.flatnonzero(counts > width)
    ragged_long = [int(i) for i in longer if not blank(body[i][width:])]
    ragged_short = np.flatnonzero((counts < width) & (counts > 0)).tolist()
    # an empty line has no fields at all: it becomes a row of empty cells, it does not shift the rows below
    if longer.size or ragged_short or (counts == 0).any():
        for i in np.flatnonzero(counts != width):
            r = body[i]
            body[i] = list(r[:width]) + [None] * (width - len(r))
    ragged = sorted(ragged_long + ragged_short)
    if values is None:
        values = np.empty((len(body), width), dtype=object)
        if body and width:
            values[:] = body
    empty_cells = np.equal(values, None) | (values == "")

    # trailing empty header cells with no data under them are padding, not columns
    header = [("" if h is None else str(h)).strip().strip("\ufeff\u200b").strip() for h in header]
    keep = width
    while keep > 0 and not header[keep - 1] and empty_cells[:, keep - 1].all():
        keep -= 1
    if keep == 0:
        raise DataError(
            f"{src.name} has no column names in its first {where}. Add a header row such as "
            "'ward_id,incidents,...' as the first line."
        )
    if ragged:
        lines_ = [body_starts[i] for i in ragged]
        found = sorted({int(counts[i]) for i in ragged})
        raise ValidationError(
            [
                Problem(
                    "row_length",
                    f"{len(ragged)} {where}(s) have a different number of fields ({', '.join(map(str, found))}) than the "
                    f"header ({width}).",
                    source=src.name,
                    rows=lines_,
                    fix=(
                        "A ward name or number probably contains the separator "
                        f"({_DELIMITER_NAMES.get(delim, delim)}) without quotes, or cells were shifted; fix these lines or "
                        + SAVE_AS_CSV[0].lower()
                        + SAVE_AS_CSV[1:]
                    )
                    if delim is not None
                    else "Check these rows in the sheet.",
                )
            ],
            title=f"Cannot read the table {src.name}",
        )
    if keep < width:
        values = values[:, :keep]
        empty_cells = empty_cells[:, :keep]
        header = header[:keep]

    # drop empty rows at the end (Excel writes ',,,,' for cleared rows); empty rows in the middle stay as NA rows
    row_empty = empty_cells.all(axis=1)
    n = len(row_empty)
    while n > 0 and row_empty[n - 1]:
        n -= 1
    if n < len(row_empty):
        values = values[:n]
        empty_cells = empty_cells[:n]
        body_starts = body_starts[:n]
    if n == 0:
        raise DataError(f"{src.name} has column names but no data rows. Check that you saved the sheet with the data.")
    inner_empty = np.flatnonzero(row_empty[:n])
    if inner_empty.size:
        notes.append(
            f"{inner_empty.size} empty row(s) in {src.name} kept as rows without data ({where}s "
            f"{', '.join(str(body_starts[i]) for i in inner_empty[:20])})"
        )

    if all(h and _looks_numeric(h) for h in header):
        raise DataError(
            f"{src.name}: the first {where} ({', '.join(header[:5])}...) looks like data, not column names. Insert a "
            "header row with a name for each column (for example ward_id, population, incidents)."
        )
    blanks = [i + 1 for i, h in enumerate(header) if not h]
    if blanks and len(blanks) * 2 >= len(header):
        raise DataError(
            f"{src.name}: {len(blanks)} of {len(header)} columns have no name in the first {where} (columns "
            f"{', '.join(map(str, blanks[:10]))}). The first {where} must hold the column names: delete any title or "
            "blank rows above them."
        )
    for i in blanks:
        header[i - 1] = f"unnamed_{i}"
        notes.append(f"column {i} of {src.name} has no name; called it 'unnamed_{i}'")
    dups = sorted({h for h in header if header.count(h) > 1})
    if dups:
        raise ValidationError(
            [
                Problem(
                    "duplicate_column",
                    f"column name(s) {', '.join(repr(d) for d in dups)} appear more than once.",
                    source=src.name,
                    fix="Rename the columns so that each one has a unique name.",
                )
            ],
            title=f"Cannot read the table {src.name}",
        )

    values[empty_cells] = pd.NA
    table = pd.DataFrame(values, columns=pd.Index(header, dtype=object), dtype=object)
    return TableRead(table, src.name, encoding, delim, sha, notes, list(body_starts), sheet)


def _looks_numeric(text: str) -> bool:
    return bool(re.fullmatch(r"\s*[+-]?(\d+([.,]\d*)?|[.,]\d+)\s*%?\s*", text))


def _read_xlsx(src: _Source, raw: bytes, sha: str) -> TableRead:
    try:
        import openpyxl
    except ImportError as exc:  # pragma: no cover - openpyxl is a dependency
        raise InputFileError(f"Reading {src.name} needs openpyxl (pip install openpyxl), or save it as CSV.") from exc
    import warnings

    notes: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about data validation / styles it ignores
            book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for damaged or encrypted files
        raise InputFileError(
            f"Cannot open the workbook {src.name} ({type(exc).__name__}: {exc}). If it is password-protected, "
            f"remove the password. {SAVE_AS_CSV}"
        ) from None
    try:
        sheets = book.sheetnames
        sheet = book.worksheets[0]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        formats = {}
        if len(rows) > 1:
            for cell in next(sheet.iter_rows(min_row=2, max_row=2)):
                if getattr(cell, "column", None) is not None:
                    formats[cell.column - 1] = getattr(cell, "number_format", "General") or "General"
    finally:
        book.close()
    if len(sheets) > 1:
        notes.append(
            f"read the first sheet '{sheets[0]}' of {src.name} (it has {len(sheets)} sheets: "
            f"{', '.join(sheets)}); move the indicator table to the first sheet to use another"
        )
    else:
        notes.append(f"read sheet '{sheets[0]}' of {src.name}")
    first_row = 1  # sheet row of the header: leading empty rows are skipped
    while rows and all(c is None or (isinstance(c, str) and not c.strip()) for c in rows[0]):
        rows.pop(0)
        first_row += 1
    if not rows:
        raise InputFileError(
            f"The first sheet '{sheets[0]}' of {src.name} is empty. Put the indicator table on the "
            "first sheet, with column names in row 1."
        )
    missing_formulas = _formulas_without_values(raw, rows)
    if missing_formulas:
        raise ValidationError(
            [
                Problem(
                    "formula_without_value",
                    f"{len(missing_formulas)} cell(s) contain formulas whose results were never saved "
                    f"({', '.join(missing_formulas[:10])}).",
                    source=src.name,
                    fix="Open the workbook in Excel (or LibreOffice), let it calculate, and save it again.",
                )
            ],
            title=f"Cannot read the workbook {src.name}",
        )
    text_rows = [[_cell_text(c) for c in r] for r in rows]
    header = text_rows[0]
    for j, fmt in formats.items():
        if "%" in fmt and j < len(header) and header[j]:
            notes.append(
                f"column '{str(header[j]).strip()}' of {src.name} is formatted as a percentage in Excel; "
                "read the stored values (12% is 0.12)"
            )
    starts = list(range(first_row + 1, first_row + len(text_rows)))
    return _finish_table(src, header, text_rows[1:], starts, sha, "xlsx", None, notes, sheet=sheets[0])


def _cell_text(value: Any) -> Any:
    """A workbook cell as the text a user sees in Excel's formula bar (None stays None)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _formulas_without_values(raw: bytes, rows: list[list[Any]]) -> list[str]:
    """Cells of the first sheet that hold a formula but no saved result (a workbook written by a script)."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            names = sorted(n for n in zf.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))
            first = _first_sheet_part(zf) or (names[0] if names else None)
            if first is None:
                return []
            xml = zf.read(first)
    except (zipfile.BadZipFile, KeyError):
        return []
    if b"<f" not in xml:
        return []
    missing = []
    for match in re.finditer(rb'<c r="([A-Z]+\d+)"[^>]*?(?:/>|>(.*?)</c>)', xml, re.S):
        inner = match.group(2) or b""
        if b"<f" in inner and not re.search(rb"<v(?:\s[^>]*)?>[^<]+</v>", inner):
            missing.append(match.group(1).decode())
    return missing


def _first_sheet_part(zf: zipfile.ZipFile) -> str | None:
    """Path of the first sheet inside an xlsx (workbook order, through the relationships)."""
    try:
        wb = zf.read("xl/workbook.xml")
        rels = zf.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return None
    m = re.search(rb"<(?:\w+:)?sheet\b[^>]*?r:id=\"([^\"]+)\"", wb)
    if not m:
        return None
    rid = m.group(1)
    for rel in re.finditer(rb"<Relationship\b[^>]*>", rels):
        tag = rel.group(0)
        if re.search(rb'Id="' + re.escape(rid) + rb'"', tag):
            target = re.search(rb'Target="([^"]+)"', tag).group(1).decode()
            target = target.lstrip("/")
            return target if target.startswith("xl/") else "xl/" + target
    return None


# --------------------------------------------------------------------------------------------------------------
# Numbers
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
_MINUSES = "\u2212\u2012\u2013\ufe63\uff0d"


@lru_cache(maxsize=1)
def _digit_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for zero in _DIGIT_ZEROS:
        for k in range(10):
            table[zero + k] = str(k)
    return table


@lru_cache(maxsize=2)
def _number_table(decimal: str) -> dict[int, Any]:
    table: dict[int, Any] = dict(_digit_table())
    for ch in _SPACES:
        table[ord(ch)] = " "
    for ch in _MINUSES:
        table[ord(ch)] = "-"
    table[0xFF0B] = "+"
    table[0x066A] = "%"  # Arabic percent sign
    table[0xFF05] = "%"
    table[0x066B] = decimal  # Arabic decimal separator
    table[0x066C] = "," if decimal == "." else "."  # Arabic thousands separator
    for ch in "\u200b\u200c\u200d\u2060\ufeff":
        table[ord(ch)] = None
    return table


@lru_cache(maxsize=2)
def _number_pattern(decimal: str) -> str:
    if decimal == ".":
        grouped = r"\d{1,3}(?:,\d{3})+|\d{1,2}(?:,\d{2})+,\d{3}|\d{1,3}(?: \d{3})+"  # 12,345 | 1,23,456 | 12 345
        num = rf"(?:(?:{grouped}|\d+)(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
    elif decimal == ",":
        grouped = r"\d{1,3}(?:\.\d{3})+|\d{1,3}(?: \d{3})+"  # 12.345 | 12 345
        num = rf"(?:(?:{grouped}|\d+)(?:,\d*)?|,\d+)(?:[eE][+-]?\d+)?"
    else:
        raise ValueError(f"decimal must be '.' or ',', not {decimal!r}")
    pct = r"(?: ?%)?"
    return rf"^(?:[+-]?{num}{pct}|\({num}{pct}\)|\({num}\) ?%)$"


def parse_numbers(values: pd.Series, *, decimal: str = ".") -> tuple[np.ndarray, np.ndarray]:
    """Parse numbers written the way people write them in spreadsheets.

    Accepted (with ``decimal="."``): surrounding spaces (also no-break and thin spaces), thousands separators
    ``12,345`` / ``12 345`` and Indian grouping ``1,23,456``, a leading ``+``, the minus sign ``−``, accounting
    negatives ``(12)``, a trailing ``%``, scientific notation ``1.5E+05``, and digits in Bengali (০-৯), Devanagari
    (०-९), Sinhala Lith, Arabic-Indic and other scripts. With ``decimal=","``: ``12,5`` and ``12.345,6``.

    A trailing ``%`` is removed and the number kept as written: ``"12%"`` gives 12.0 (not 0.12), so a column that
    mixes ``12`` and ``12%`` stays consistent.

    Parameters
    ----------
    values : pandas.Series
        Text cells (as from :func:`read_table`); numeric series are passed through.
    decimal : {".", ","}
        Decimal separator. With ``"."`` a comma is a thousands separator and ``"1,5"`` is not a number (flagged,
        never guessed); with ``","`` a dot is the thousands separator.

    Returns
    -------
    numbers : numpy.ndarray of float64
        NaN where the cell is missing or not a number.
    not_numbers : numpy.ndarray of bool
        True where a cell holds something that is not a number ("n/a", "12 wards", "1,5" with decimal ".").
        Missing cells (``pd.NA``, empty or blank) are NaN and *not* flagged.

    Examples
    --------
    >>> numbers, bad = parse_numbers(pd.Series(["1,23,456", "(12)", "৪২", "n/a", pd.NA]))
    >>> numbers.tolist(), bad.tolist()
    ([123456.0, -12.0, 42.0, nan, nan], [False, False, False, True, False])
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    pattern = _number_pattern(decimal)
    series = pd.Series(values, copy=False)
    n = len(series)
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        return numbers, np.zeros(n, dtype=bool)
    text = _arrow_text(series)
    if text is None:  # numbers or other objects among the text: as pandas writes them ("12", "12.5")
        text = _arrow_text(series.astype("string"))
    stripped = pc.utf8_trim_whitespace(text)  # Unicode whitespace, also no-break and thin spaces (= str.strip)
    missing = pc.fill_null(pc.equal(stripped, ""), True).to_numpy(zero_copy_only=False)
    numbers = np.full(n, np.nan)
    not_numbers = np.zeros(n, dtype=bool)
    # fast path: plain numbers (the bulk of any table) are converted directly. Arrow's conversion of such text is
    # correctly rounded, as Python's float() is: the same float64 (tests/test_io.py checks it against float()).
    if decimal == ".":
        # a column of plain numbers only (the usual case): Arrow reads exactly the text that the pattern below
        # accepts, and also "nan" / "inf", which are not finite: then the column takes the path below
        try:
            present = stripped if not missing.any() else stripped.filter(pa.array(~missing))
            converted = pc.cast(present, pa.float64()).to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            converted = None
        if converted is not None and np.isfinite(converted).all():
            numbers[~missing] = converted
            return numbers, not_numbers
    plain_pattern = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?" if decimal == "." else r"[+-]?\d+"
    plain = pc.fill_null(pc.match_substring_regex(stripped, f"^(?:{plain_pattern})$"), False)
    plain = plain.to_numpy(zero_copy_only=False) & ~missing
    if plain.any():
        numbers[plain] = pc.cast(stripped.filter(pa.array(plain)), pa.float64()).to_numpy(zero_copy_only=False)
    rest = ~plain & ~missing
    if rest.any():
        other = _string_series(stripped.filter(pa.array(rest))).str.translate(_number_table(decimal)).str.strip()
        valid = other.str.fullmatch(pattern).to_numpy(dtype=bool, na_value=False)
        group_chars = r"[,\s%()]" if decimal == "." else r"[.\s%()]"
        cleaned = other[valid].str.replace(group_chars, "", regex=True)
        if decimal == ",":
            cleaned = cleaned.str.replace(",", ".", regex=False)
        parsed = cleaned.astype("float64").to_numpy(copy=True)
        negative = other[valid].str.startswith("(").to_numpy(dtype=bool, na_value=False)
        parsed[negative] = -parsed[negative]
        where = np.flatnonzero(rest)
        numbers[where[valid]] = parsed
        not_numbers[where[~valid]] = True
    return numbers, not_numbers


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


def _string_series(text) -> pd.Series:
    """A pyarrow string array as a pandas "string" Series (what ``Series.astype("string")`` gives)."""
    if hasattr(pd.arrays, "ArrowStringArray"):
        return pd.Series(pd.arrays.ArrowStringArray(text))
    return pd.Series(text.to_pylist(), dtype="string")  # pragma: no cover - pandas without pyarrow strings


def guess_decimal(table_read: TableRead) -> str:
    """Guess the decimal separator of a table: ``","`` or ``"."``.

    ``","`` when the file is semicolon-separated (Excel's CSV in locales with a decimal comma) and numbers look like
    ``12,5`` rather than ``12.5``; also for tab-separated files whose numbers are unambiguously ``12,5`` (a comma
    followed by other than three digits) and none look like ``12.5``. Otherwise ``"."`` (always for workbooks:
    Excel stores numbers, not text).

    Parameters
    ----------
    table_read : TableRead

    Returns
    -------
    str
    """
    if table_read.delimiter not in (";", "\t"):
        return "."
    cells = table_read.table.stack(future_stack=True).dropna()
    if cells.empty:
        return "."
    text = cells.astype("string").str.translate(_digit_table()).str.strip()
    comma = int(text.str.fullmatch(r"[+-]?\d+,\d+ ?%?").sum())
    comma_unambiguous = int(text.str.fullmatch(r"[+-]?\d+,(?:\d{1,2}|\d{4,}) ?%?").sum())
    dot = int(text.str.fullmatch(r"[+-]?\d+\.\d+ ?%?").sum())
    if table_read.delimiter == ";":
        return "," if comma > 0 and comma >= dot else "."
    return "," if comma_unambiguous > 0 and dot == 0 else "."


# --------------------------------------------------------------------------------------------------------------
# Boundaries
# --------------------------------------------------------------------------------------------------------------


@dataclass
class BoundariesRead:
    """Ward boundaries as read from a file.

    Attributes
    ----------
    wards : geopandas.GeoDataFrame
        EPSG:4326, 2-D, polygons and multipolygons only; all attribute columns of the file kept; one row per feature
        in file order (RangeIndex: feature ``i + 1``). Features without usable geometry keep their row with a missing
        geometry (see ``missing_geometry``).
    source : str
        File name for messages.
    format : str
        "GeoJSON", "ESRI Shapefile", "GPKG", "KML" or "KMZ".
    sha256 : str
        SHA-256 of the uploaded file.
    crs_in : str
        CRS of the file as read ("EPSG:32645", or "none (assumed EPSG:4326)").
    notes : list of str
        Repairs, reprojection, layer choice, assumptions.
    repaired : list of str
        Wards (IDs if ``id_column`` was given, else "feature N") whose invalid geometry was repaired.
    missing_geometry : list of str
        Wards with a null or empty geometry, or one with no area (points, lines).
    layer : str or None
        Layer read (for multi-layer files).
    """

    wards: gpd.GeoDataFrame
    source: str
    format: str
    sha256: str
    crs_in: str
    notes: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    missing_geometry: list[str] = field(default_factory=list)
    layer: str | None = None


def read_boundaries(source: Source, *, name: str | None = None, id_column: str | None = None) -> BoundariesRead:
    """Read ward boundaries: GeoJSON, zipped Shapefile, GeoPackage or KML.

    The result is in EPSG:4326, 2-D, with valid polygonal geometries; every change is listed in ``notes``.

    * Format from the extension, or sniffed from the content (a GeoJSON file without extension works).
    * Any CRS is reprojected to EPSG:4326. A file without CRS whose coordinates look like longitude/latitude is
      taken as EPSG:4326 (with a note); one with larger coordinates is refused (they are projected metres).
    * Z coordinates are dropped. Invalid geometries (self-intersections, bow-ties) are repaired with
      ``shapely.make_valid`` keeping only the polygonal parts, and the wards are named in a note.
    * Null or empty geometries are kept as rows with missing geometry and listed in ``missing_geometry``;
      :func:`join_wards` reports them again.

    Parameters
    ----------
    source : path, bytes or binary file-like object
    name : str, optional
        File name for messages and to know the format when ``source`` is not a path.
    id_column : str, optional
        Ward ID column, used only to name wards in notes (else "feature N", counting from 1).

    Returns
    -------
    BoundariesRead

    Raises
    ------
    InputFileError
        Missing file, unknown format, a zip with no or several layers, KML unsupported by this GDAL.
    DataError
        No CRS with projected coordinates, no polygons at all, unknown ``id_column``.
    """
    from concurrent.futures import ThreadPoolExecutor

    import pyogrio

    src = _open_source(source, name, "boundary file")
    notes: list[str] = []
    # hash the file in a thread while GDAL parses it (hashlib and GDAL both release the GIL)
    with ThreadPoolExecutor(max_workers=1) as pool, tempfile.TemporaryDirectory(prefix="hotspots-") as tmp:
        fmt, location = _boundary_location(src, Path(tmp))
        layer, layer_note = _choose_layer(src, fmt, location)
        if layer_note:
            notes.append(layer_note)
        frame, valid, raw = None, None, src.data
        in_parts = fmt == "GeoJSON" and layer is None and _file_size(src, location) > PARALLEL_GEOJSON_BYTES
        if in_parts and raw is None:
            raw = _read_file_bytes(location)  # hashed from memory below
        sha_future = pool.submit(file_sha256, raw if raw is not None else src.path)
        parts = _read_geojson_in_parts(raw) if in_parts and raw is not None else None
        if parts is not None:
            frame, valid = parts
        else:
            try:
                frame = pyogrio.read_dataframe(location, layer=layer)  # measured: the arrow path is slower here
            except Exception as exc:  # pyogrio.errors.DataSourceError, DataLayerError, ...
                raise InputFileError(
                    f"Cannot read {src.name} as {fmt}: {exc}. The file may be damaged or incomplete. {SAVE_AS_GEO}"
                ) from None
        sha = sha_future.result()
    return _finish_boundaries(frame, src, fmt, sha, notes, id_column, layer, valid=valid)


# A GeoJSON file larger than this is parsed in parts, two at once (GDAL's GeoJSON reader is single-threaded and
# releases the GIL): on two cores 100,000 wards (42 MB) in 0.55 s instead of 0.95 s, 10,000 (4 MB) in 0.05 s
# instead of 0.1 s.
PARALLEL_GEOJSON_BYTES = 1 << 20
GEOJSON_PARTS = 4  # on two threads: when one thread is slowed down (the table is read meanwhile), the other reads more

_FEATURES_MEMBER = re.compile(rb'"features"\s*:\s*\[')
# the end of one feature and the start of the next one. In valid JSON this text cannot be inside a string (a string
# cannot hold an unescaped quote), so it always separates two sibling objects, the second being a Feature.
_FEATURE_BOUNDARY = re.compile(rb'\}\s*,\s*(\{\s*"type"\s*:\s*"Feature"\s*,)')
# property types whose arrow and plain (pyogrio.raw.read) values are the same arrays: see _arrow_column_values
_HALVES_FIELD_TYPES = {
    ("OFTString", "OFSTNone"),
    ("OFTInteger", "OFSTNone"),
    ("OFTInteger64", "OFSTNone"),
    ("OFTReal", "OFSTNone"),
}


def _file_size(src: _Source, location: str) -> int:
    if src.data is not None:
        return len(src.data)
    try:
        return os.path.getsize(location)  # a /vsizip/ path (GeoJSON inside a zip) is not a file: 0
    except OSError:
        return 0


def _read_file_bytes(location: str) -> bytes | None:
    try:
        with open(location, "rb") as fh:
            return fh.read()
    except OSError:
        return None  # the plain read reports it


def _split_feature_collection(raw: bytes, parts: int) -> tuple[list[bytes], bytes, bytes] | None:
    """FeatureCollections holding the features of ``raw`` in ``parts`` runs of about equal size (None if unsure).

    Each keeps every member of the original around ``features`` (``crs``, ``name``, ``metadata``, ``bbox``). The
    cuts are made between two features; the end of the features array is found by decoding the last feature as
    JSON. Anything unexpected gives None, and the caller reads the file as a whole.

    Returns (the collections, the text copied in front of each one's features, the text copied after them).
    """
    members = _FEATURES_MEMBER.search(raw)
    if members is None:
        return None
    body_start = members.end()
    # the last feature, and what follows the features array (the tail of the collection)
    last = raw.rfind(b'"Feature"')
    last = raw.rfind(b"{", body_start, last + 1)
    if last < body_start or not re.match(rb'\{\s*"type"\s*:\s*"Feature"', raw[last : last + 64]):
        return None
    try:
        rest = raw[last:].decode("utf-8")
        _, end = json.JSONDecoder().raw_decode(rest)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    after = rest[end:].lstrip(" \t\r\n")
    if not after.startswith("]"):
        return None
    body_end = last + len(rest[:end].encode("utf-8"))  # just after the last feature's closing brace
    starts, ends = [body_start], []
    for k in range(1, parts):
        cut = _FEATURE_BOUNDARY.search(raw, max(starts[-1], body_start + (body_end - body_start) * k // parts))
        if cut is None or cut.start(1) > last:
            break  # fewer features than parts
        ends.append(cut.start() + 1)
        starts.append(cut.start(1))
    if len(starts) < 2:
        return None
    ends.append(body_end)
    head = raw[:body_start] + b"\n"
    tail = b"\n]" + after[1:].encode("utf-8")
    whole = memoryview(raw)
    return [b"".join((head, whole[a:b], tail)) for a, b in zip(starts, ends)], head, tail


def _read_geojson_in_parts(raw: bytes, parts: int = GEOJSON_PARTS) -> tuple[Any, np.ndarray | None] | None:
    """Parse a large FeatureCollection in parts, two threads at a time.

    Returns the same GeoDataFrame as ``pyogrio.read_dataframe(path)`` (plus the validity of its geometries when
    they are already in EPSG:4326, see :func:`_finish_boundaries`), or None whenever the result could differ: then
    the caller reads the file as a whole.

    GDAL holds no Python lock while parsing with ``pyogrio.raw.read_arrow``; the arrow columns are turned into the
    arrays ``pyogrio.raw.read`` gives (only for the property types where they agree), joined in file order, and
    made into a GeoDataFrame as ``pyogrio.read_dataframe`` does.
    """
    from concurrent.futures import ThreadPoolExecutor

    import geopandas as gpd

    if not raw.isascii():
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return None  # GDAL's plain reader decides what to do with it
    split = _split_feature_collection(raw, parts)
    if split is None:
        return None
    texts, head, tail = split
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="hotspots-geojson") as pool:
        read = list(pool.map(_read_geojson_part, texts))
    if any(r is None for r in read):
        return None
    meta = read[0][0]
    for other in read[1:]:
        for key in ("fields", "ogr_types", "ogr_subtypes", "crs", "geometry_name", "encoding"):
            if not np.array_equal(np.asarray(meta[key], dtype=object), np.asarray(other[0][key], dtype=object)):
                return None  # e.g. a property that holds numbers in one part and text in another
    written = sum(r[4] for r in read) - len(read) * (head.count(b'"Feature"') + tail.count(b'"Feature"'))
    if any(len(r[2]) == 0 for r in read) or sum(len(r[2]) for r in read) != written:
        return None  # a feature lost or counted twice, or "Feature" written elsewhere: do not guess
    fields = [str(f) for f in meta["fields"]]
    data = {f: np.concatenate([r[1][i] for r in read]) for i, f in enumerate(fields)}
    geometry = np.concatenate([r[2] for r in read])
    frame = gpd.GeoDataFrame(pd.DataFrame(data, columns=fields), geometry=geometry, crs=meta["crs"])
    valid = None if any(r[3] is None for r in read) else np.concatenate([r[3] for r in read])
    return frame, valid


def _read_geojson_part(part: bytes) -> tuple[dict, list[np.ndarray], np.ndarray, np.ndarray | None, int] | None:
    """(meta, property arrays as ``pyogrio.raw.read`` gives them, shapely geometries, their validity if in
    EPSG:4326, how many times ``"Feature"`` is written in ``part``) of one part, or None."""
    import shapely
    from pyogrio.raw import read_arrow

    try:
        meta, table = read_arrow(part, datetime_as_string=True)
        types = list(zip(meta["ogr_types"], meta["ogr_subtypes"]))
        fields = [str(f) for f in meta["fields"]]
        geometry_name = meta["geometry_name"] or "wkb_geometry"
        if any(t not in _HALVES_FIELD_TYPES for t in types) or "geometry" in fields or geometry_name in fields:
            return None
        columns = [_arrow_column_values(table.column(f)) for f in fields]
        geometry = shapely.from_wkb(_arrow_column_values(table.column(geometry_name)), on_invalid="raise")
        # the validity check of _finish_boundaries, done here in parallel when no reprojection will come before it
        valid = shapely.is_valid(geometry) if meta["crs"] in ("EPSG:4326", "OGC:CRS84") else None
        return meta, columns, geometry, valid, part.count(b'"Feature"')
    except Exception:  # any doubt: the caller reads the whole file the usual way
        return None


def _arrow_column_values(column) -> np.ndarray:
    """A pyarrow column as ``pyogrio.raw.read`` gives it: text as object (None where null), integers as int32 /
    int64 (float64 with NaN when some are null), reals as float64, WKB as object arrays of bytes."""
    import pyarrow as pa

    chunks = [c.storage if isinstance(c, pa.ExtensionArray) else c for c in column.chunks]
    if not chunks:
        return np.empty(0, dtype=object)  # an empty part: refused by the caller
    return pa.chunked_array(chunks).to_numpy()


def _sniff_boundary_format(head: bytes) -> str | None:
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"SQLite format 3\x00"):
        return "GPKG"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"{") and b'"type"' in text[:4096] or b'"FeatureCollection"' in text[:4096]:
        return "GeoJSON"
    if text.startswith(b"<") and b"<kml" in text[:4096]:
        return "KML"
    return None


def _boundary_location(src: _Source, tmp: Path) -> tuple[str, str]:
    """(format, path for GDAL); bytes are written to ``tmp`` with a suffix GDAL recognises."""
    if src.path is not None:
        with open(src.path, "rb") as fh:
            head = fh.read(4096)
    else:
        head = src.data[:4096]
    if not head.strip():
        raise InputFileError(f"{src.name} is empty. Export the ward layer again. {SAVE_AS_GEO}")
    sniffed = _sniff_boundary_format(head)
    by_suffix = BOUNDARY_SUFFIXES.get(src.suffix)
    if by_suffix == "ESRI Shapefile" and src.path is None:
        raise InputFileError(
            f"{src.name}: a Shapefile is several files (.shp, .shx, .dbf, .prj). Put them together in one .zip and "
            "upload the .zip."
        )
    if by_suffix == "KMZ":
        sniffed = "KMZ"
    fmt = sniffed if sniffed is not None and by_suffix not in ("ESRI Shapefile",) else by_suffix
    if fmt is None:
        if src.suffix in TABLE_SUFFIXES or src.suffix in (".xls",):
            hint = " It looks like a table: upload it as the indicator table instead."
        else:
            hint = ""
        raise InputFileError(
            f"{src.name}: cannot tell the format of this boundary file ('{src.suffix or 'no extension'}').{hint} "
            f"Upload GeoJSON, a zipped Shapefile (.zip), a GeoPackage (.gpkg) or KML. {SAVE_AS_GEO}"
        )
    if fmt in ("KML", "KMZ"):
        import pyogrio

        drivers = pyogrio.list_drivers()
        if "LIBKML" not in drivers and not (fmt == "KML" and "KML" in drivers):
            raise InputFileError(
                f"{src.name}: this installation's GDAL cannot read {fmt}. Open the file in QGIS or Google Earth Pro "
                f"and save it as GeoJSON. {SAVE_AS_GEO}"
            )
    suffix = {
        "GeoJSON": ".geojson",
        "zip": ".zip",
        "GPKG": ".gpkg",
        "KML": ".kml",
        "KMZ": ".kmz",
        "ESRI Shapefile": ".shp",
    }[fmt]
    if src.path is not None:
        path = str(src.path)  # GDAL recognises GeoJSON by its content, whatever the extension
    else:
        path = str(tmp / f"upload{suffix}")
        Path(path).write_bytes(src.data)
    if fmt == "zip":
        return _zip_member(src, path)
    return fmt, path


def _zip_member(src: _Source, path: str) -> tuple[str, str]:
    """Pick the one layer inside a zip; return (format, /vsizip/ path)."""
    try:
        with zipfile.ZipFile(path) as zf:
            members = [
                m
                for m in zf.namelist()
                if not m.endswith("/") and not m.startswith("__MACOSX/") and not Path(m).name.startswith("._")
            ]
    except zipfile.BadZipFile:
        raise InputFileError(
            f"{src.name} is not a valid zip file (it may be cut short). Zip the files again."
        ) from None
    lower = {m.lower(): m for m in members}
    shps = [m for m in members if m.lower().endswith(".shp")]
    others = [m for m in members if Path(m).suffix.lower() in (".geojson", ".json", ".gpkg", ".kml")]
    if len(shps) > 1 or (shps and others) or (not shps and len(others) > 1):
        layers = shps + others
        raise InputFileError(
            f"{src.name} contains {len(layers)} layers ({', '.join(layers[:8])}). Zip only the ward layer (for a "
            "Shapefile: its .shp, .shx, .dbf and .prj files) and upload that zip."
        )
    if shps:
        shp = shps[0]
        stem = shp[:-4]
        missing = [ext for ext in (".shx", ".dbf") if (stem + ext).lower() not in lower]
        if missing:
            raise InputFileError(
                f"{src.name}: the Shapefile {Path(shp).name} is incomplete: {', '.join(missing)} missing from the "
                f"zip. Zip all files that share the name {Path(stem).name} (.shp, .shx, .dbf, .prj) together."
            )
        return "ESRI Shapefile", f"/vsizip/{path}/{shp}"
    if others:
        inner = others[0]
        fmt = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG", ".kml": "KML"}[Path(inner).suffix.lower()]
        return fmt, f"/vsizip/{path}/{inner}"
    raise InputFileError(
        f"{src.name} contains no ward layer (no .shp, .geojson, .gpkg or .kml; it has: "
        f"{', '.join(members[:8]) or 'nothing'}). Zip the Shapefile's .shp, .shx, .dbf and .prj files together."
    )


_POLYGONAL_TYPES = (
    "Polygon",
    "MultiPolygon",
    "Polygon Z",
    "MultiPolygon Z",
    "3D Polygon",
    "3D MultiPolygon",
    "Unknown",
    "3D Unknown",
    "GeometryCollection",
    "3D GeometryCollection",
    "Unknown (any)",
)


def _choose_layer(src: _Source, fmt: str, location: str) -> tuple[str | None, str | None]:
    import pyogrio

    if fmt in ("GeoJSON", "ESRI Shapefile"):
        return None, None  # always one layer (and listing layers would scan a large GeoJSON once more)
    try:
        layers = pyogrio.list_layers(location)
    except Exception as exc:
        raise InputFileError(
            f"Cannot open {src.name} as {fmt}: {exc}. The file may be damaged or incomplete. {SAVE_AS_GEO}"
        ) from None
    if len(layers) == 0:
        raise DataError(f"{src.name} has no layers. Export the ward layer again. {SAVE_AS_GEO}")
    if len(layers) == 1:
        return None, None
    polygonal = [str(name) for name, gtype in layers if gtype is None or "Polygon" in str(gtype)]
    unknown = [
        str(name)
        for name, gtype in layers
        if gtype is not None and str(gtype) in _POLYGONAL_TYPES and "Polygon" not in str(gtype)
    ]
    candidates = polygonal or unknown
    if not candidates:
        raise DataError(
            f"{src.name} has {len(layers)} layers and none of them holds polygons "
            f"({', '.join(f'{n}: {t}' for n, t in layers)}). Ward boundaries must be polygons."
        )
    chosen = candidates[0]
    return chosen, (
        f"read layer '{chosen}' of {src.name} (the first of {len(layers)} layers with polygons: "
        f"{', '.join(str(n) for n in layers[:, 0])}); export only the ward layer to use another"
    )


def _ward_labels(frame: pd.DataFrame, positions: Iterable[int], id_column: str | None) -> list[str]:
    positions = list(positions)
    if id_column is None:
        return [f"feature {p + 1}" for p in positions]
    ids = normalise_ids(frame[id_column].iloc[positions]) if positions else pd.Series([], dtype=object)
    return [f"feature {p + 1} (no ID)" if pd.isna(v) else str(v) for p, v in zip(positions, ids)]


def _finish_boundaries(
    frame,
    src: _Source,
    fmt: str,
    sha: str,
    notes: list[str],
    id_column: str | None,
    layer: str | None,
    *,
    valid: np.ndarray | None = None,
) -> BoundariesRead:
    """CRS, Z, geometry types and validity of the boundaries as read (see :func:`read_boundaries`).

    ``valid`` is ``shapely.is_valid`` of ``frame``'s geometries if already known; it is used only when the
    geometries are not changed (reprojected, made 2-D, collections reduced) before the validity check.
    """
    import geopandas as gpd
    import shapely

    if id_column is not None and id_column not in frame.columns:
        raise _missing_column_error(
            id_column, [c for c in frame.columns if c != frame.geometry.name], src.name, "boundary file"
        )
    if len(frame) == 0:
        raise DataError(f"{src.name} has no features (0 wards). Export the ward layer again. {SAVE_AS_GEO}")
    if frame.geometry.name != "geometry":
        frame = frame.rename_geometry("geometry")
    geoms = np.asarray(frame.geometry.array, dtype=object)

    # --- CRS ---------------------------------------------------------------------------------------------------
    crs = frame.crs
    if crs is None:
        xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
        if np.isfinite([xmin, ymin, xmax, ymax]).all() and (
            max(abs(xmin), abs(xmax)) > 180 or max(abs(ymin), abs(ymax)) > 90
        ):
            hint = "add the .prj file to the zip, or " if fmt == "ESRI Shapefile" else ""
            raise DataError(
                f"{src.name} has no CRS (coordinate reference system) and its coordinates look projected "
                f"(x from {xmin:.0f} to {xmax:.0f}, y from {ymin:.0f} to {ymax:.0f}: metres, not degrees). "
                f"Fix: {hint}set the CRS of the layer in QGIS (Layer Properties > Source > Assigned CRS, e.g. the "
                "UTM zone of the city) and re-export it as GeoJSON."
            )
        crs_in = "none (assumed EPSG:4326)"
        notes.append(f"{src.name} has no CRS; its coordinates look like longitude/latitude, so EPSG:4326 was assumed")
        frame = frame.set_crs(4326)
    else:
        epsg = crs.to_epsg(min_confidence=70)
        crs_in = f"EPSG:{epsg}" if epsg else crs.to_string()
        if crs.is_geographic:
            xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
            if np.isfinite([xmin, ymin, xmax, ymax]).all() and (
                max(abs(xmin), abs(xmax)) > 360 or max(abs(ymin), abs(ymax)) > 90
            ):
                raise DataError(
                    f"{src.name} says its coordinates are longitude/latitude ({crs_in}; GeoJSON always does), but "
                    f"they look projected (x from {xmin:.0f} to {xmax:.0f}, y from {ymin:.0f} to {ymax:.0f}: "
                    "metres, not degrees). Fix: in QGIS, set the layer's real CRS (Layer Properties > Source > "
                    "Assigned CRS, e.g. the UTM zone of the city) and export it again as GeoJSON, which reprojects it "
                    "to EPSG:4326."
                )
        if epsg == 4326 or "CRS84" in crs.to_string().upper():
            if epsg != 4326:
                frame = frame.set_crs(4326, allow_override=True)  # OGC:CRS84 is EPSG:4326 in lon/lat order
        else:
            try:
                frame = frame.to_crs(4326)
                valid = None  # known for the geometries before reprojection
            except Exception as exc:
                raise DataError(
                    f"{src.name}: cannot reproject from {crs_in} to EPSG:4326 ({exc}). Reproject the layer to "
                    f"EPSG:4326 in QGIS and re-export. {SAVE_AS_GEO}"
                ) from None
            notes.append(f"reprojected {src.name} from {crs_in} ({crs.name}) to EPSG:4326")
        geoms = np.asarray(frame.geometry.array, dtype=object)

    # --- Z -----------------------------------------------------------------------------------------------------
    if shapely.has_z(geoms).any():
        geoms = shapely.force_2d(geoms)
        valid = None
        notes.append(f"dropped the Z (height) coordinates of {src.name}")

    # --- geometry types ----------------------------------------------------------------------------------------
    type_ids = shapely.get_type_id(geoms)  # -1 None, 0 point, 1 line, 2 ring, 3 polygon, 4-6 multi, 7 collection
    collections = np.flatnonzero(type_ids == 7)
    if collections.size:
        geoms[collections] = [_polygonal_part(g) for g in geoms[collections]]
        valid = None
        type_ids = shapely.get_type_id(geoms)
    polygonal = (type_ids == 3) | (type_ids == 6)
    if not polygonal.any():
        kinds = sorted({str(t) for t in shapely.get_type_id(geoms) if t >= 0})
        names = {"0": "points", "1": "lines", "2": "rings", "4": "multipoints", "5": "multilines"}
        found = ", ".join(names.get(k, k) for k in kinds) or "no geometries"
        raise DataError(
            f"{src.name} has no polygons ({found}). Ward boundaries must be polygons (areas). If the wards were "
            "drawn as lines, use QGIS 'Polygonize'; if these are ward centre points, find the ward boundary file."
        )
    empty = shapely.is_empty(geoms) | (type_ids < 0)
    not_area = ~polygonal & ~empty
    if not_area.any():
        labels = _ward_labels(frame, np.flatnonzero(not_area), id_column)
        notes.append(
            f"{int(not_area.sum())} feature(s) of {src.name} are points or lines, not polygons, and have "
            f"no boundary to map: {', '.join(labels[:20])}"
        )
        geoms[not_area] = None

    # --- validity ----------------------------------------------------------------------------------------------
    polygonal_now = ~empty & ~not_area
    if valid is None:
        valid = shapely.is_valid(geoms)
    invalid = np.flatnonzero(polygonal_now & ~valid)
    repaired: list[str] = []
    if invalid.size:
        fixed = shapely.make_valid(geoms[invalid])
        fixed = np.array([_polygonal_part(g) for g in fixed], dtype=object)
        geoms[invalid] = fixed
        repaired = _ward_labels(frame, invalid, id_column)
        notes.append(
            f"repaired {invalid.size} invalid geometr{'y' if invalid.size == 1 else 'ies'} of {src.name} "
            f"(self-intersections): wards {', '.join(repaired[:20])}"
            + (f" and {len(repaired) - 20} more" if len(repaired) > 20 else "")
        )
        lost = invalid[shapely.is_empty(fixed) | pd.isna(fixed)]
        if lost.size:
            empty[lost] = True
    missing_mask = empty | not_area
    missing_geometry = _ward_labels(frame, np.flatnonzero(missing_mask), id_column)
    if missing_mask.any():
        geoms[missing_mask] = None
        notes.append(
            f"{len(missing_geometry)} feature(s) of {src.name} have no usable geometry and cannot be "
            f"mapped: {', '.join(missing_geometry[:20])}"
        )
    wards = gpd.GeoDataFrame(frame.drop(columns="geometry"), geometry=gpd.array.from_shapely(geoms, crs=4326))
    wards = wards.reset_index(drop=True)
    return BoundariesRead(wards, src.name, fmt, sha, crs_in, notes, repaired, missing_geometry, layer)


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
            lines.append(f"rows with no ward ID in the table: {', '.join(map(str, self.missing_ids_table[:20]))}.")
        if self.missing_ids_boundaries:
            lines.append(
                f"features with no ward ID in the boundaries: {', '.join(map(str, self.missing_ids_boundaries[:20]))}."
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


def _missing_column_error(column: str, available: list, source: str, what: str) -> DataError:
    names = [str(c) for c in available]
    folded = {n.casefold().strip(): n for n in names}
    close = difflib.get_close_matches(column.casefold().strip(), list(folded), n=3, cutoff=0.5)
    suggestion = f" Did you mean {' or '.join(repr(folded[c]) for c in close)}?" if close else ""
    return DataError(
        f"The {what} {source + ' ' if source else ''}has no column '{column}'.{suggestion} Available columns: "
        f"{', '.join(repr(n) for n in names)}. Choose the column that holds the ward ID."
    )


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
    import geopandas as gpd
    import pyarrow as pa
    import pyarrow.compute as pc
    import shapely

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
    notes: list[str] = []
    table_ids = _normalised_id_text(table[id_column])
    ward_ids = _normalised_id_text(wards[boundary_id_column])
    geoms = np.asarray(wards.geometry.array, dtype=object)
    n_wards = len(ward_ids)

    # one hashing pass over both sides: integer codes (-1 = missing ID)
    encoded = pa.concat_arrays([ward_ids, table_ids]).dictionary_encode()
    codes = encoded.indices.fill_null(-1).to_numpy().astype(np.int64)
    unique_ids = encoded.dictionary
    uniques = np.asarray(unique_ids.to_numpy(zero_copy_only=False), dtype=object)
    ward_codes, table_codes = codes[:n_wards], codes[n_wards:]
    n_codes = len(uniques)
    ward_count = np.bincount(ward_codes[ward_codes >= 0], minlength=n_codes)
    table_count = np.bincount(table_codes[table_codes >= 0], minlength=n_codes)

    missing_ids_table = (np.flatnonzero(table_codes < 0) + 2).tolist()
    missing_ids_boundaries = (np.flatnonzero(ward_codes < 0) + 1).tolist()
    duplicate_table_ids = sorted(uniques[table_count > 1].tolist(), key=_id_sort_key)
    duplicate_boundary_ids = sorted(uniques[ward_count > 1].tolist(), key=_id_sort_key)

    # one geometry per ward ID: the feature's geometry; features sharing an ID are merged (multi-part ward)
    first_feature = _first_positions(ward_codes, n_codes)
    geometry_by_code = np.full(n_codes, None, dtype=object)
    has_ward = first_feature >= 0
    geometry_by_code[has_ward] = geoms[first_feature[has_ward]]
    if duplicate_boundary_ids:
        for code in np.flatnonzero(ward_count > 1):
            parts = [g for g in geoms[ward_codes == code] if g is not None and not g.is_empty]
            geometry_by_code[code] = _polygonal_part(shapely.union_all(parts)) if parts else None
        notes.append(
            f"{len(duplicate_boundary_ids)} ward ID(s) appear in several features of the boundaries "
            f"{boundary_source}; their parts were merged into one ward each: "
            f"{', '.join(duplicate_boundary_ids[:20])}. If they are different wards, give them distinct IDs."
        )

    safe_codes = np.where(table_codes >= 0, table_codes, 0)
    in_boundaries = (table_codes >= 0) & (ward_count[safe_codes] > 0) if n_codes else np.zeros(len(table_codes), bool)
    matched_geoms = np.where(in_boundaries, geometry_by_code[safe_codes] if n_codes else None, None)
    has_geometry = in_boundaries & ~shapely.is_missing(matched_geoms) & ~shapely.is_empty(matched_geoms)

    def ids_of(codes_: np.ndarray) -> list[str]:
        return uniques[pd.unique(codes_)].tolist() if codes_.size else []

    missing_geometry = ids_of(table_codes[in_boundaries & ~has_geometry])
    unmatched_table = ids_of(table_codes[(table_codes >= 0) & ~in_boundaries])
    unmatched_boundaries = ids_of(ward_codes[(ward_codes >= 0) & (table_count[np.maximum(ward_codes, 0)] == 0)])

    # hints for near misses
    if unmatched_table and unmatched_boundaries:
        folded = {i.casefold(): i for i in unmatched_boundaries}
        case_only = [f"{i} / {folded[i.casefold()]}" for i in unmatched_table if i.casefold() in folded]
        if case_only:
            notes.append(
                f"{len(case_only)} unmatched ID(s) differ only in upper/lower case: "
                f"{', '.join(case_only[:10])}. IDs are compared with their case; correct one of the files."
            )
        if not in_boundaries.any():
            notes.append(
                f"no ward ID of the table matches the boundaries (table examples: {', '.join(unmatched_table[:3])}; "
                f"boundary examples: {', '.join(unmatched_boundaries[:3])}). Check that '{id_column}' and "
                f"'{boundary_id_column}' are the same ward numbering (and the same delimitation year)."
            )

    names: dict[str, str] = {}
    name_table = _name_column(table, id_column)
    name_wards = _name_column(wards, boundary_id_column)
    wanted = [
        (name_wards, wards, ward_codes, unmatched_boundaries),
        (name_table, table, table_codes, unmatched_table + missing_geometry),
    ]
    code_of = (
        {ward_id: code for code, ward_id in enumerate(uniques)}
        if unmatched_table or unmatched_boundaries or missing_geometry
        else {}
    )
    for column, frame, frame_codes, ids in wanted:
        if column is None or not ids:
            continue
        values = frame[column].to_numpy(dtype=object)
        first_row = _first_positions(frame_codes, n_codes)
        for ward_id in ids:
            row = first_row[code_of[ward_id]]
            value = values[row] if row >= 0 else None
            if value is not None and not pd.isna(value) and str(value).strip():
                names[ward_id] = str(value).strip()

    take = np.flatnonzero(has_geometry)
    if not _COPY_ON_WRITE:
        joined_table = table.iloc[take].copy()
    elif len(take) == len(table):  # every row matched: nothing to take (copy-on-write keeps ``table`` unchanged)
        joined_table = table.copy(deep=False)
    else:
        joined_table = table.iloc[take]
    ids_out = unique_ids.take(pa.array(table_codes[take]))
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
    joined = gpd.GeoDataFrame(joined_table, geometry=gpd.array.from_shapely(matched_geoms[take], crs=wards.crs))

    report = JoinReport(
        matched=int(has_geometry.sum()),
        unmatched_table=unmatched_table,
        unmatched_boundaries=unmatched_boundaries,
        duplicate_table_ids=duplicate_table_ids,
        duplicate_boundary_ids=duplicate_boundary_ids,
        missing_ids_table=missing_ids_table,
        missing_ids_boundaries=missing_ids_boundaries,
        missing_geometry=missing_geometry,
        names=names,
        name_column_table=name_table,
        name_column_boundaries=name_wards,
        notes=notes,
    )
    return joined, report


def _first_positions(codes: np.ndarray, n_codes: int) -> np.ndarray:
    """Position of the first occurrence of each code (-1 where it does not occur; negative codes are ignored)."""
    first = np.full(n_codes, -1, dtype=np.int64)
    known = np.flatnonzero(codes >= 0)[::-1]
    first[codes[known]] = known  # with repeated indices the last write wins: the first occurrence
    return first


def _id_sort_key(ward_id: str) -> tuple:
    return (0, int(ward_id), "") if ward_id.isdigit() else (1, 0, ward_id)
