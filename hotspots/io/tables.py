"""Read indicator tables (CSV as Excel writes it, ``.xlsx``) as text, and parse the numbers in them."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from hotspots.errors import DataError, InputFileError, Problem, ValidationError
from hotspots.io._common import (
    _SPACES,
    SAVE_AS_CSV,
    TABLE_SUFFIXES,
    Source,
    _arrow_text,
    _digit_table,
    _open_source,
    _Source,
)
from hotspots.io.safety import check_table_shape, check_table_source

CSV_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}

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
        are stripped of surrounding whitespace and BOM. RangeIndex; row ``i`` starts on line ``line_numbers[i]`` of
        the file (``i + 2`` only when the header is on line 1 and no record spans several lines).
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
        For each data row, the line (CSV) or sheet row (xlsx) where it starts in the file, counting Excel's
        ``sep=`` line, blank lines and line breaks inside quoted cells; what validation messages name.
    sheet : str or None
        Sheet read from a workbook.
    sheets : list of str
        Every sheet of a workbook, in workbook order (empty for CSV).
    """

    table: pd.DataFrame
    source: str
    encoding: str
    delimiter: str | None
    sha256: str
    notes: list[str] = field(default_factory=list)
    line_numbers: list[int] = field(default_factory=list)
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)


def read_table(
    source: Source, *, name: str | None = None, sheet: str | None = None, id_column: str | None = None
) -> TableRead:
    """Read a ward indicator table (CSV or .xlsx) as text.

    Parameters
    ----------
    source : path, bytes or binary file-like object
        A ``.csv``/``.txt``/``.tsv`` file (UTF-8 with or without BOM, UTF-16 with BOM, or Windows-1252; separated by
        commas, semicolons or tabs) or an ``.xlsx`` workbook (first sheet; formulas give their saved values).
        Streamlit's ``UploadedFile`` works as is.
    name : str, optional
        File name for messages (and to know the format) when ``source`` is not a path.
    sheet : str, optional
        The sheet of a workbook to read (ignored for CSV). Default: the first sheet that has ``id_column`` in its
        header row, else the first sheet. The notes name the sheet read.
    id_column : str, optional
        The ward ID column, to find the sheet of a workbook whose first sheet is, say, a read-me.

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
    check_table_source(raw, src.name, kind)  # limits, and no DTD in a workbook, before any parser sees it
    read = _read_xlsx(src, raw, sha, sheet, id_column) if kind == "xlsx" else _read_csv(src, raw, sha)
    check_table_shape(read.table, src.name)
    return read


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
    except (zipfile.BadZipFile, NotImplementedError, ValueError):  # damaged: "a zip archive, not a table"
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
    text, first_line, delim = _skip_leading_lines(src, text, notes)
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
        raise _split_error(src, text, first_line, exc) from None
    starts = _record_lines(text, delim, first_line, len(rows))
    return _finish_table(src, rows[0], rows[1:], starts[1:], sha, encoding, delim, notes, sheet=None)


def _skip_leading_lines(src: _Source, text: str, notes: list[str]) -> tuple[str, int, str | None]:
    """(the text from the header on, the header's line in the file, the separator named by Excel's ``sep=`` line).

    Excel's separator line and blank lines above the header are skipped (and counted)."""
    first_line, delim = 1, None
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
    return text, first_line, delim


def _record_lines(text: str, delim: str, first_line: int, records: int) -> list[int]:
    """The line of the file where each of the ``records`` records of ``text`` (as csv.reader splits it) starts."""
    physical_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if physical_lines == records:  # no line break inside a quoted cell: record i is on line first_line + i
        return list(range(first_line, first_line + records))
    starts, prev = [], 0
    reader = csv.reader(io.StringIO(text), delimiter=delim, strict=False)
    for _ in reader:
        starts.append(prev + first_line)
        prev = reader.line_num
    return starts


def _split_error(src: _Source, text: str, first_line: int, exc: csv.Error) -> DataError:
    lone_cr = re.search("\r(?!\n)", text)
    if lone_cr is not None and "new-line" in str(exc):
        line = first_line + text.count("\n", 0, lone_cr.start())
        return DataError(
            f"{src.name}: line {line} ends with a carriage return alone while other lines end with a line feed "
            f"(the file mixes line ends), so it cannot be split into fields. {SAVE_AS_CSV}"
        )
    if "field larger than field limit" in str(exc):
        return _huge_cell_error(src, text, first_line)
    return DataError(
        f'{src.name}: cannot split the file into fields ({exc}). Check for an unclosed quote ("). {SAVE_AS_CSV}'
    )


def _huge_cell_error(src: _Source, text: str, first_line: int) -> DataError:
    """A cell longer than csv's field limit: name the first line that holds one, or the quote that never closes."""
    from hotspots.io import limits

    limit = f"{limits.MAX_CELL_CHARS:,}"
    for number, line in enumerate(text.split("\n"), start=first_line):
        if len(line) > csv.field_size_limit():
            return DataError(
                f"{src.name}: line {number} has a cell of more than {limit} characters (the limit per cell; "
                f"line {number} holds {len(line):,} characters). A ward table has short cells: check that this is the "
                f"right file, or remove the long text."
            )
    return DataError(
        f'{src.name}: a quoted cell runs on for more than {limit} characters: a quote (") is probably never '
        f"closed. Check the quotes in the file. {SAVE_AS_CSV}"
    )


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
    array when every row has as many fields as the header. ``body_starts`` is the line (CSV) or sheet row (xlsx) of
    each row of ``body``; the rows kept keep theirs (``TableRead.line_numbers``).
    """
    where = "line" if delim is not None else "row"
    width = len(header)
    values, ragged = _cells_grid(body, width)
    empty_cells = np.equal(values, None) | (values == "")
    header = _clean_header(header)
    keep = _header_width(header, empty_cells)
    if keep == 0:
        raise DataError(
            f"{src.name} has no column names in its first {where}. Add a header row such as "
            "'ward_id,incidents,...' as the first line."
        )
    if ragged:
        raise _ragged_rows_error(src, ragged, body_starts, width, delim, where)
    if keep < width:
        values, empty_cells, header = values[:, :keep], empty_cells[:, :keep], header[:keep]
    rows = _rows_with_data(src, empty_cells, body_starts, where, notes)
    if len(rows) < len(values):
        values, empty_cells = values[rows], empty_cells[rows]
        body_starts = [body_starts[i] for i in rows]
    header = _column_names(src, header, where, notes)
    values[empty_cells] = pd.NA
    table = pd.DataFrame(values, columns=pd.Index(header, dtype=object), dtype=object)
    return TableRead(table, src.name, encoding, delim, sha, notes, list(body_starts), sheet)


def _blank(cells: Iterable[Any]) -> bool:
    return all(c is None or c == "" for c in cells)


def _cells_grid(body: list[list[Any]] | np.ndarray, width: int) -> tuple[np.ndarray, dict[int, int]]:
    """The cells as a 2-D object array of ``width`` columns, and the rows (index: number of fields) whose fields do
    not fit under the header.

    Rows with more fields than the header are fine when the extra fields are empty (Excel pads with separators); an
    empty line has no fields at all: it becomes a row of empty cells, it does not shift the rows below.
    """
    if isinstance(body, np.ndarray):
        return body, {}
    counts = np.fromiter(map(len, body), dtype=np.int64, count=len(body))
    ragged_long = [int(i) for i in np.flatnonzero(counts > width) if not _blank(body[i][width:])]
    ragged_short = np.flatnonzero((counts < width) & (counts > 0)).tolist()
    for i in np.flatnonzero(counts != width):
        row = body[i]
        body[i] = list(row[:width]) + [None] * (width - len(row))
    values = np.empty((len(body), width), dtype=object)
    if body and width:
        values[:] = body
    return values, {i: int(counts[i]) for i in sorted(ragged_long + ragged_short)}


def _clean_header(header: list[Any]) -> list[str]:
    return [("" if h is None else str(h)).strip().strip("\ufeff\u200b").strip() for h in header]


def _header_width(header: list[str], empty_cells: np.ndarray) -> int:
    """The number of columns: trailing empty header cells with no data under them are padding, not columns."""
    keep = len(header)
    while keep > 0 and not header[keep - 1] and empty_cells[:, keep - 1].all():
        keep -= 1
    return keep


def _ragged_rows_error(
    src: _Source, ragged: dict[int, int], body_starts: list[int], width: int, delim: str | None, where: str
) -> ValidationError:
    found = sorted(set(ragged.values()))
    return ValidationError(
        [
            Problem(
                "row_length",
                f"{len(ragged)} {where}(s) have a different number of fields ({', '.join(map(str, found))}) than the "
                f"header ({width}).",
                source=src.name,
                rows=[body_starts[i] for i in ragged],
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


def _rows_with_data(
    src: _Source, empty_cells: np.ndarray, body_starts: list[int], where: str, notes: list[str]
) -> np.ndarray:
    """The rows to keep: rows with no value at all (blank lines, Excel's ',,,,' for cleared rows) hold no ward and
    are left out, and said so with their lines."""
    row_empty = empty_cells.all(axis=1)
    if row_empty.all():
        raise DataError(f"{src.name} has column names but no data rows. Check that you saved the sheet with the data.")
    n = len(row_empty)
    while n > 0 and row_empty[n - 1]:
        n -= 1
    inner_empty = np.flatnonzero(row_empty[:n])
    if inner_empty.size:
        notes.append(
            f"{inner_empty.size} empty row(s) in {src.name} hold no ward and were skipped ({where}s "
            f"{', '.join(str(body_starts[i]) for i in inner_empty[:20])})"
        )
    return np.flatnonzero(~row_empty)


def _column_names(src: _Source, header: list[str], where: str, notes: list[str]) -> list[str]:
    """The header as column names: refused when it looks like data, is mostly unnamed or repeats a name; a few
    unnamed columns are called ``unnamed_<i>`` (noted)."""
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
    header = list(header)
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
    return header


def _looks_numeric(text: str) -> bool:
    return bool(re.fullmatch(r"\s*[+-]?(\d+([.,]\d*)?|[.,]\d+)\s*%?\s*", text))


def _read_xlsx(src: _Source, raw: bytes, sha: str, sheet: str | None, id_column: str | None) -> TableRead:
    sheets, position, rows, formats, why = _workbook_sheet(src, raw, sheet, id_column)
    name = sheets[position]
    notes: list[str] = []
    if len(sheets) > 1:
        notes.append(
            f"read sheet '{name}' of {src.name} ({why}; the workbook has {len(sheets)} sheets: "
            f"{', '.join(sheets)}); choose another sheet with --sheet NAME (in the app: the sheet choice)"
        )
    else:
        notes.append(f"read sheet '{name}' of {src.name}")
    first_row = 1  # sheet row of the header: leading empty rows are skipped
    while rows and all(c is None or (isinstance(c, str) and not c.strip()) for c in rows[0]):
        rows.pop(0)
        first_row += 1
    if not rows:
        raise InputFileError(
            f"The sheet '{name}' of {src.name} is empty. Put the indicator table on the first sheet, with "
            "column names in row 1, or choose the sheet that holds it (--sheet NAME)."
        )
    missing_formulas = _formulas_without_values(raw, rows, position)
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
    starts = list(range(first_row + 1, first_row + len(text_rows)))  # the sheet row of each data row
    try:
        read = _finish_table(src, header, text_rows[1:], starts, sha, "xlsx", None, notes, sheet=name)
    except (DataError, InputFileError) as exc:
        if len(sheets) < 2 or isinstance(exc, ValidationError):
            raise
        raise type(exc)(
            f"{exc} (This is sheet '{name}' of {src.name}, {why}; its sheets are {', '.join(sheets)}: choose the "
            "sheet with the indicator table with --sheet NAME, in the app with the sheet choice.)"
        ) from None
    read.sheets = list(sheets)
    return read


def _header_cells(rows: list[list[Any]]) -> list[str]:
    """The stripped text of the first non-empty row of a sheet (its header)."""
    for row in rows:
        cells = [str(c).strip() for c in row if c is not None and str(c).strip()]
        if cells:
            return cells
    return []


def _workbook_sheet(
    src: _Source, raw: bytes, sheet: str | None, id_column: str | None
) -> tuple[list[str], int, list[list[Any]], dict[int, str], str]:
    """(the sheet names, the position of the sheet to read, its rows from sheet row 1 on, the number format of each
    column of its row 2, why this sheet)."""
    book = _open_workbook(src, raw)
    try:
        sheets = list(book.sheetnames)
        position, why = _choose_sheet(src, book, sheet, id_column)
        return sheets, position, *_sheet_rows(book.worksheets[position]), why
    finally:
        book.close()


def _choose_sheet(src: _Source, book, sheet: str | None, id_column: str | None) -> tuple[int, str]:
    """(position, why): ``sheet`` by name; else the first sheet with ``id_column`` in its header row; else (no ID
    column given) the first sheet whose header row has two or more cells (a read-me of one column of text is
    passed over), else the first sheet."""
    sheets = list(book.sheetnames)
    if sheet is not None:
        wanted = {name.strip().casefold(): k for k, name in enumerate(sheets)}
        position = sheets.index(sheet) if sheet in sheets else wanted.get(sheet.strip().casefold())
        if position is None:
            raise InputFileError(
                f"{src.name} has no sheet '{sheet}'. Its sheets are: {', '.join(sheets)}. Choose one of them."
            )
        return position, "the sheet chosen"
    if len(sheets) < 2:
        return 0, "the first sheet"
    headers = [_header_cells(_head_rows(worksheet)) for worksheet in book.worksheets]
    if id_column is not None:
        for position, header in enumerate(headers):
            if id_column.strip() in header:
                return position, f"the first sheet with the ward ID column '{id_column}'"
        raise DataError(
            f"No sheet of {src.name} has the ward ID column '{id_column}' in its first row ("
            + "; ".join(f"sheet '{name}': {', '.join(h[:8]) or 'empty'}" for name, h in zip(sheets, headers))
            + "). Choose the sheet with --sheet NAME (in the app: the sheet choice) and its ward ID column."
        )
    for position, header in enumerate(headers):
        if len(header) >= 2:
            return position, "the first sheet with a table" if position else "the first sheet"
    return 0, "the first sheet"


def _head_rows(worksheet, rows: int = 50) -> list[list[Any]]:
    """The first rows of a sheet (enough to find its header row)."""
    return [list(r) for r in worksheet.iter_rows(max_row=rows, values_only=True)]


def workbook_sheets(source: Source, *, name: str | None = None) -> tuple[list[str], str | None]:
    """The sheets of an ``.xlsx`` workbook and the one :func:`read_table` reads without ``sheet`` or ``id_column``.

    For a CSV file (or any file that is not a workbook): ``([], None)``.

    Examples
    --------
    >>> workbook_sheets(b"ward_id,x\\n7,1\\n", name="wards.csv")
    ([], None)
    """
    src = _open_source(source, name, "table")
    raw = src.read_bytes()
    if _table_kind(src, raw) != "xlsx":
        return [], None
    book = _open_workbook(src, raw)
    try:
        sheets = list(book.sheetnames)
        return sheets, sheets[_choose_sheet(src, book, None, None)[0]]
    finally:
        book.close()


def _open_workbook(src: _Source, raw: bytes):
    """The workbook, read-only with saved formula values (closed by the caller)."""
    try:
        import openpyxl
    except ImportError as exc:  # pragma: no cover - openpyxl is a dependency
        raise InputFileError(f"Reading {src.name} needs openpyxl (pip install openpyxl), or save it as CSV.") from exc
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about data validation / styles it ignores
            book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for damaged or encrypted files
        raise InputFileError(
            f"Cannot open the workbook {src.name} ({type(exc).__name__}: {exc}). If it is password-protected, "
            f"remove the password. {SAVE_AS_CSV}"
        ) from None
    return book


def _sheet_rows(sheet) -> tuple[list[list[Any]], dict[int, str]]:
    """(the sheet's rows from sheet row 1 on, the number format of each column of sheet row 2)."""
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]  # from sheet row 1 (empty rows included)
    formats = {}
    if len(rows) > 1:
        for cell in next(sheet.iter_rows(min_row=2, max_row=2)):
            if getattr(cell, "column", None) is not None:
                formats[cell.column - 1] = getattr(cell, "number_format", "General") or "General"
    return rows, formats


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


def _formulas_without_values(raw: bytes, rows: list[list[Any]], position: int = 0) -> list[str]:
    """Cells of the sheet read (``position`` in workbook order) that hold a formula but no saved result (a workbook
    written by a script)."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            names = sorted(n for n in zf.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))
            first = _sheet_part(zf, position) or (names[position] if position < len(names) else None)
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


def _sheet_part(zf: zipfile.ZipFile, position: int = 0) -> str | None:
    """Path of the sheet at ``position`` inside an xlsx (workbook order, through the relationships)."""
    try:
        wb = zf.read("xl/workbook.xml")
        rels = zf.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return None
    found = re.findall(rb"<(?:\w+:)?sheet\b[^>]*?r:id=\"([^\"]+)\"", wb)
    if position >= len(found):
        return None
    rid = found[position]
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

_MINUSES = "\u2212\u2012\u2013\ufe63\uff0d"


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
