"""Refuse hostile or broken uploads before GDAL or a parser sees them.

GDAL opens a file by its content, not by its name: a GDAL VRT saved as ``wards.geojson`` would make the server read
any file it can read (``CSV:/etc/passwd``) or fetch a URL (``/vsicurl/http://...``). So boundary files are opened
only when their bytes are plainly one of the allowed formats (GeoJSON, TopoJSON, zipped Shapefile, GeoPackage, KML),
the GDAL driver is named where GDAL allows it, and text that points GDAL elsewhere (``/vsi...`` paths, KML network
links, GML schema links, DTDs) is refused. Zip archives (Shapefiles, KMZ, XLSX) are checked member by member: no
absolute or climbing paths, no symlinks, no nested archives, sizes within :mod:`hotspots.io.limits`, checked both
as declared and as actually decompressed. Nothing is ever extracted: GDAL reads zip members in place (``/vsizip/``).

Messages show the uploaded file's name, never a server path, and at most a short escaped excerpt of the content.
"""

from __future__ import annotations

import re
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

from hotspots.errors import DataError, InputFileError
from hotspots.io import limits

ALLOWED_BOUNDARY_FORMATS = ("GeoJSON", "TopoJSON", "ESRI Shapefile", "GPKG", "KML", "KMZ")

# Text that makes GDAL read another file or fetch a URL: each a tuple of exact bytes (XML names and namespaces are
# case-sensitive, and so is GDAL's test for a VRT) or patterns. Each is searched on its own: on 50 MB a substring
# takes 0.06 s and "/[vV][sS][iI]" 0.09 s, where one case-insensitive alternation of them all took 10 s.
_VSI = (re.compile(rb"/[vV][sS][iI][a-zA-Z0-9_]*/"),)
_FOREIGN_DRIVER = (b"<OGRVRTDataSource", b"<VRTDataset", b"opengis.net/gml")
_NETWORK_LINK = (b"NetworkLink",)
_DTD = (b"<!DOCTYPE", b"<!ENTITY", b"<!doctype", b"<!entity")
_VIRTUAL_TABLE = (re.compile(rb"[vV][iI][rR][tT][uU][aA][lL][oO][gG][rR]"),)  # SQLite's door to any GDAL source
_SHAPEFILE_MAGIC = b"\x00\x00\x27\x0a"  # file code 9994, big-endian: the first 4 bytes of every .shp and .shx
_GPKG_APPLICATION_IDS = (b"GPKG", b"GP10", b"GP11")  # at byte 68 of a GeoPackage (SQLite application_id)
_ARCHIVE_SUFFIXES = (".zip", ".kmz", ".gz", ".tgz", ".tar", ".7z", ".rar", ".bz2", ".xz")
_CHUNK = 1 << 20
# what zipfile raises on a damaged archive (besides OSError): a bad header, an unknown version or method, bad data
ZIP_ERRORS = (zipfile.BadZipFile, NotImplementedError, ValueError, zlib.error)

# --------------------------------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------------------------------


def excerpt(raw: bytes, width: int = 40) -> str:
    """A short, escaped excerpt of ``raw`` for a message (``'<OGRVRTDataSource><OGRVRTL...'``)."""
    text = raw[: width * 4].decode("utf-8", errors="replace").strip()
    text = re.sub(r"\s+", " ", text)
    shown = ascii(text[:width])  # every control or non-ASCII character escaped
    return shown if len(text) <= width else shown[:-1] + "...'"


def scrub(message: object, name: str, *paths: object, width: int = 200) -> str:
    """A library's error message fit for a user: server paths replaced by ``name``, GDAL's virtual file prefixes
    removed, shortened to ``width`` characters."""
    text = str(message)
    for path in sorted((str(p) for p in paths if p), key=len, reverse=True):
        text = text.replace(path, name)
    text = re.sub(r"/vsi[a-z0-9_]*/", "", text)
    text = re.sub(r"(?:[A-Za-z]:)?[/\\](?:tmp|var|private|Users|home)[/\\][^\s:'\"),]*", "(file)", text)
    text = " ".join(text.split())
    parts = []  # GDAL repeats itself and shows its SQL: keep each plain statement once
    for part in re.split(r"[;\n]\s*", text):
        part = re.sub(r"sqlite3_\w+\(.*\) failed:\s*", "", part).strip()
        if part and part not in parts and not re.search(r"\b(?:SELECT|PRAGMA|INSERT|CREATE)\b", part):
            parts.append(part)
    text = "; ".join(parts) or "GDAL could not open it"
    return text if len(text) <= width else text[: width - 3] + "..."


# --------------------------------------------------------------------------------------------------------------
# Reading in chunks
# --------------------------------------------------------------------------------------------------------------


def _chunks_of_file(path: str | Path) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        yield from iter(lambda: fh.read(_CHUNK), b"")


def _chunks_of_bytes(data: bytes) -> Iterator[bytes]:
    view = memoryview(data)
    for start in range(0, len(data), _CHUNK):
        yield bytes(view[start : start + _CHUNK])


def _found(window: bytes, patterns: list[tuple]) -> tuple | None:
    """The first of ``patterns`` (tuples of bytes or compiled patterns) with a token found in ``window``."""
    for pattern in patterns:
        for token in pattern:
            if token.search(window) if isinstance(token, re.Pattern) else token in window:
                return pattern
    return None


def _search(chunks: Iterator[bytes], patterns: list[tuple]) -> tuple | None:
    """The first of ``patterns`` that occurs in the concatenated ``chunks`` (matches across chunk edges found)."""
    carry = b""
    for chunk in chunks:
        window = carry + chunk
        found = _found(window, patterns)
        if found is not None:
            return found
        carry = window[-64:]
    return None


# --------------------------------------------------------------------------------------------------------------
# Boundary files
# --------------------------------------------------------------------------------------------------------------


def check_upload_size(name: str, size: int) -> None:
    """Refuse a file larger than :data:`limits.MAX_UPLOAD_BYTES`."""
    if size > limits.MAX_UPLOAD_BYTES:
        raise InputFileError(
            f"{name} is {size:,} bytes, more than the limit of {limits.MAX_UPLOAD_BYTES:,} bytes. Upload only the "
            "ward layer (and simplify its boundaries in QGIS: Vector > Geometry Tools > Simplify)."
        )


def check_boundary_content(name: str, fmt: str, head: bytes, chunks: Callable[[], Iterator[bytes]]) -> None:
    """Refuse a boundary file whose bytes are not plainly ``fmt`` or that point GDAL at other files or URLs.

    Parameters
    ----------
    name : str
        The uploaded file's name, for messages.
    fmt : str
        The format the file will be read as (one of :data:`ALLOWED_BOUNDARY_FORMATS`).
    head : bytes
        The first bytes of the file (4 KB or more).
    chunks : callable
        Returns an iterator over the file's bytes (for the scan of text formats).
    """
    if fmt not in ALLOWED_BOUNDARY_FORMATS:
        raise InputFileError(_not_allowed(name, head))
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if fmt in ("GeoJSON", "TopoJSON") and not text.startswith(b"{"):
        raise InputFileError(_not_allowed(name, head, f"it does not start like {fmt} ('{{')"))
    if fmt == "KML" and not (text.startswith(b"<") and b"<kml" in text[:4096].lower()):
        raise InputFileError(_not_allowed(name, head, "it does not start like KML ('<kml')"))
    if fmt == "ESRI Shapefile" and not head.startswith(_SHAPEFILE_MAGIC):
        raise InputFileError(_not_allowed(name, head, "its .shp part does not start like a Shapefile"))
    if fmt == "GPKG" and head[68:72] not in _GPKG_APPLICATION_IDS:
        raise InputFileError(_not_allowed(name, head, "it is an SQLite database but not a GeoPackage"))
    if fmt in ("GeoJSON", "TopoJSON", "KML", "GPKG"):
        # JSON is read by the JSON driver named to GDAL (a VRT inside cannot act): only /vsi paths are looked for
        patterns = {"KML": [_VSI, _FOREIGN_DRIVER, _NETWORK_LINK, _DTD], "GPKG": [_VSI, _VIRTUAL_TABLE]}.get(
            fmt, [_VSI]
        )
        found = _search(chunks(), patterns)
        if found is not None:
            raise InputFileError(_pointer_message(name, found))


def _not_allowed(name: str, head: bytes, why: str = "") -> str:
    because = f": {why}" if why else ""
    return (
        f"{name} is not a boundary file we can open{because}. It starts with {excerpt(head)}. Only GeoJSON, "
        "TopoJSON, a zipped Shapefile, a GeoPackage or KML are read (not GDAL VRT, GML or other formats). Export the "
        "ward layer from QGIS as GeoJSON (Layer > Export > Save Features As... > GeoJSON)."
    )


def _pointer_message(name: str, found: tuple) -> str:
    what = {
        _VSI: "a GDAL virtual file path ('/vsi...')",
        _FOREIGN_DRIVER: "a GDAL VRT or GML definition",
        _NETWORK_LINK: "a KML network link (<NetworkLink>), which would fetch a file from the internet",
        _DTD: "a document type definition (<!DOCTYPE> or <!ENTITY>)",
        _VIRTUAL_TABLE: "an SQLite virtual table of GDAL (VirtualOGR)",
    }[found]
    return (
        f"{name} was refused: it contains {what}, which could make the server read other files or fetch web "
        "addresses. Boundary files must hold the ward polygons themselves. Export the ward layer from QGIS as "
        "GeoJSON (Layer > Export > Save Features As... > GeoJSON)."
    )


def gdal_path(fmt: str, location: str) -> str:
    """The path to give GDAL so that it uses the driver of ``fmt`` only, where GDAL allows naming it (the GeoJSON,
    TopoJSON and GeoPackage drivers accept a ``DRIVER:`` prefix; Shapefile and KML are checked by content)."""
    prefix = {"GeoJSON": "GeoJSON:", "TopoJSON": "TopoJSON:", "GPKG": "GPKG:"}.get(fmt)
    if prefix is None or (fmt == "GPKG" and ":" in location):  # "GPKG:C:\x.gpkg" would be read as a table name
        return location
    return prefix + location


# --------------------------------------------------------------------------------------------------------------
# Zip archives (zipped Shapefiles, KMZ, XLSX)
# --------------------------------------------------------------------------------------------------------------


def check_zip_members(zf: zipfile.ZipFile, name: str) -> list[zipfile.ZipInfo]:
    """The members of ``zf`` (folders left out), refused when one is unsafe or the declared sizes are too large.

    Refused: more than :data:`limits.MAX_ZIP_MEMBERS` members; absolute paths or paths with ``..``; symbolic links;
    archives inside the archive; declared sizes over :data:`limits.MAX_UNZIPPED_BYTES` in all; a member over 1 MB
    whose declared compression ratio exceeds :data:`limits.MAX_COMPRESSION_RATIO`.
    """
    infos = zf.infolist()
    if len(infos) > limits.MAX_ZIP_MEMBERS:
        raise InputFileError(
            f"{name} holds {len(infos):,} files, more than the limit of {limits.MAX_ZIP_MEMBERS:,}. Zip only the "
            "files of the ward layer."
        )
    members = []
    for info in infos:
        member = info.filename
        parts = PurePosixPath(member.replace("\\", "/")).parts
        if member.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", member) or ".." in parts:
            raise InputFileError(
                f"{name} was refused: the file {excerpt(member.encode())} inside it has an absolute path or climbs "
                "out of its folder ('..'). Zip the files again from inside their folder."
            )
        if stat.S_ISLNK(info.external_attr >> 16):
            raise InputFileError(
                f"{name} was refused: {excerpt(member.encode())} inside it is a symbolic link. Zip the files "
                "themselves, not links to them."
            )
        if info.is_dir():
            continue
        if member.lower().endswith(_ARCHIVE_SUFFIXES):
            raise InputFileError(
                f"{name} was refused: it holds another archive ({excerpt(member.encode())}). Unzip that one and zip "
                "the ward layer's files directly."
            )
        if info.file_size > (1 << 20) and info.file_size > limits.MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            raise InputFileError(_bomb_message(name, member))
        members.append(info)
    declared = sum(info.file_size for info in members)
    if declared > limits.MAX_UNZIPPED_BYTES:
        raise InputFileError(
            f"{name} expands to {declared:,} bytes, more than the limit of {limits.MAX_UNZIPPED_BYTES:,}. Zip only "
            "the ward layer (simplify its boundaries in QGIS if it is still too large)."
        )
    return members


def _bomb_message(name: str, member: str) -> str:
    return (
        f"{name} was refused: {excerpt(member.encode())} inside it expands to far more than its size (a damaged "
        f"or malicious archive; the limits are {limits.MAX_UNZIPPED_BYTES:,} bytes and a compression ratio of "
        f"{limits.MAX_COMPRESSION_RATIO:,}). Zip the ward layer's files again."
    )


def member_chunks(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, budget: list[int]) -> Iterator[bytes]:
    """The decompressed bytes of one member, in chunks, checked against its declared size and the remaining
    ``budget[0]`` of :data:`limits.MAX_UNZIPPED_BYTES` (a zip bomb can lie about its sizes)."""
    size = 0
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(_CHUNK):
                size += len(chunk)
                budget[0] -= len(chunk)
                if size > info.file_size or budget[0] < 0:
                    raise InputFileError(_bomb_message(name, info.filename))
                yield chunk
    except (*ZIP_ERRORS, EOFError, OSError, RuntimeError) as exc:
        if isinstance(exc, InputFileError):
            raise
        raise InputFileError(
            f"{name}: the file {excerpt(info.filename.encode())} inside it cannot be unzipped "
            f"({type(exc).__name__}). Zip the files again (without a password)."
        ) from None


def check_zip_content(zf: zipfile.ZipFile, name: str, members: list[zipfile.ZipInfo]) -> dict[str, bytes]:
    """Decompress every member once (nothing written), within the limits; refuse text members that point GDAL
    elsewhere. Returns the first 4 KB of each member, by member name."""
    budget = [limits.MAX_UNZIPPED_BYTES]
    heads = {}
    for info in members:
        suffix = Path(info.filename).suffix.lower()
        text = suffix in (".geojson", ".json", ".topojson", ".kml", ".vrt", ".gml", ".xml", ".prj", ".cpg")
        head = b""
        carry = b""
        patterns = [_VSI, _FOREIGN_DRIVER] + ([_NETWORK_LINK, _DTD] if suffix == ".kml" else [])
        for chunk in member_chunks(zf, info, name, budget):
            if len(head) < 4096:
                head += chunk[: 4096 - len(head)]
            if text:
                window = carry + chunk
                found = _found(window, patterns)
                if found is not None:
                    raise InputFileError(_pointer_message(f"{name} ({Path(info.filename).name})", found))
                carry = window[-64:]
        heads[info.filename] = head
    return heads


# --------------------------------------------------------------------------------------------------------------
# Workbooks
# --------------------------------------------------------------------------------------------------------------

_CELLS = (b"<c ", b"<c>", b"<c/")  # the cell tags of a sheet as Excel, LibreOffice and openpyxl write them
_ROWS = (b"<row ", b"<row>")


def check_workbook(raw: bytes, name: str) -> None:
    """Refuse an XLSX that is unsafe (DTDs and entities in its XML, a zip bomb) or whose sheets hold more cells or
    rows than :mod:`hotspots.io.limits` allows, before a parser reads it."""
    import io

    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except ZIP_ERRORS:
        raise InputFileError(
            f"{name} is a damaged workbook (its zip structure cannot be read). Open it in Excel and save it again, "
            "or save it as CSV."
        ) from None
    with zf:
        members = check_zip_members(zf, name)
        budget = [limits.MAX_UNZIPPED_BYTES]
        for info in members:
            if not info.filename.lower().endswith((".xml", ".rels", ".vml")):
                continue
            sheet = info.filename.startswith("xl/worksheets/")
            cells = rows = 0
            carry = b""
            for chunk in member_chunks(zf, info, name, budget):
                window = carry + chunk
                cut = window.rfind(b"<")
                if cut <= 0 or len(window) - cut > 4096:
                    cut = len(window)
                done, carry = window[:cut], window[cut:]
                if _found(done, [_DTD]):
                    raise DataError(
                        f"{name} was refused: its part {excerpt(info.filename.encode())} declares a document type "
                        "or entities (<!DOCTYPE>/<!ENTITY>), which Excel never writes and which can make a parser "
                        "read other files or expand without end. Open the workbook in Excel or LibreOffice and "
                        "save it again as .xlsx, or save it as CSV."
                    )
                if sheet:
                    cells += sum(done.count(tag) for tag in _CELLS)
                    rows += sum(done.count(tag) for tag in _ROWS)
                    _check_sheet_size(name, rows, cells)
            if sheet and carry:
                cells += sum(carry.count(tag) for tag in _CELLS)
                rows += sum(carry.count(tag) for tag in _ROWS)
                _check_sheet_size(name, rows, cells)


def _check_sheet_size(name: str, rows: int, cells: int) -> None:
    if rows > limits.MAX_TABLE_ROWS or cells > limits.MAX_TABLE_CELLS:
        raise DataError(
            f"{name} was refused: a sheet holds more than {limits.MAX_TABLE_ROWS:,} rows or "
            f"{limits.MAX_TABLE_CELLS:,} cells (the limits; a ward table has one row per ward). Keep only the ward "
            "table in the workbook, one row per ward, and upload it again."
        )


# --------------------------------------------------------------------------------------------------------------
# Tables as read
# --------------------------------------------------------------------------------------------------------------


def check_table_source(raw: bytes, name: str, kind: str) -> None:
    """Refuse a table file (``kind`` "csv" or "xlsx") that is too large or unsafe, before it is parsed."""
    check_upload_size(name, len(raw))
    if kind == "xlsx":
        check_workbook(raw, name)
    else:
        check_text_table_size(raw, name)


def check_text_table_size(raw: bytes, name: str) -> None:
    """Refuse a text table with far more lines than :data:`limits.MAX_TABLE_ROWS` before it is parsed."""
    end = raw.find(b"\n", 0, 50 << 20)
    first_line = raw[: end if end >= 0 else 50 << 20]  # the header (a 10,000-column header takes seconds to parse)
    fields = 1 + max(first_line.count(d) for d in (b",", b";", b"\t", b"|"))
    if fields > limits.MAX_TABLE_COLUMNS:
        raise DataError(
            f"{name} has about {fields:,} columns in its first line, more than the limit of "
            f"{limits.MAX_TABLE_COLUMNS:,}. Keep the ward ID and the indicator columns only."
        )
    lines = raw.count(b"\n")
    if lines > limits.MAX_TABLE_ROWS + 1:
        raise DataError(
            f"{name} has {lines:,} lines, more than the limit of {limits.MAX_TABLE_ROWS:,} rows (a ward table has "
            "one row per ward). Upload the ward table only, one row per ward."
        )


def check_table_shape(table, name: str) -> None:
    """Refuse a table as read (a DataFrame of text) with too many rows, columns or cells, or a cell that is too long
    (see :mod:`hotspots.io.limits`)."""
    import numpy as np
    import pandas as pd

    n_rows, n_columns = table.shape
    if n_columns > limits.MAX_TABLE_COLUMNS:
        raise DataError(
            f"{name} has {n_columns:,} columns, more than the limit of {limits.MAX_TABLE_COLUMNS:,}. Keep the ward "
            "ID and the indicator columns only."
        )
    if n_rows > limits.MAX_TABLE_ROWS or n_rows * n_columns > limits.MAX_TABLE_CELLS:
        raise DataError(
            f"{name} has {n_rows:,} rows and {n_columns:,} columns, more than the limits of "
            f"{limits.MAX_TABLE_ROWS:,} rows and {limits.MAX_TABLE_CELLS:,} cells. Upload the ward table only, one "
            "row per ward."
        )
    for column in table.columns:
        values = table[column]
        if values.dtype != object and not isinstance(values.dtype, pd.StringDtype):
            continue
        lengths = values.astype("string").str.len().to_numpy(dtype="float64", na_value=0)
        if lengths.size and np.max(lengths) > limits.MAX_CELL_CHARS:
            row = int(np.argmax(lengths))
            raise DataError(
                f"{name}: a cell of column {excerpt(str(column).encode())} (data row {row + 1}) holds "
                f"{int(lengths[row]):,} characters, more than the limit of {limits.MAX_CELL_CHARS:,}. A ward table "
                "holds short values; check that the file was saved from the right table."
            )
