"""Read indicator tables and ward boundaries, and join them on the ward ID.

This is the first step of the data flow (load -> validate -> score -> ...). It reads what municipal analysts
actually upload: CSV as Excel writes it (UTF-8 with or without BOM, UTF-16 "Unicode text", Windows-1252; comma,
semicolon or tab separated), ``.xlsx`` workbooks, and ward boundaries as GeoJSON, zipped Shapefile, GeoPackage or
KML. Nothing is converted or dropped silently: a table is returned as text exactly as written (numbers are parsed
later with :func:`parse_numbers`), and every repair, reprojection or assumption is written into ``notes``.

Public functions
----------------
read_table, workbook_sheets, parse_numbers, guess_decimal
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

from hotspots.io._common import Source as Source  # the type of every `source` argument (not in __all__, as before)
from hotspots.io._common import file_sha256, read_json_file
from hotspots.io.boundaries import BoundariesRead, read_boundaries
from hotspots.io.guess import IdGuess, guess_id_columns, numeric_columns  # noqa: F401 (re-exported)
from hotspots.io.join import JoinReport, join_wards, normalise_ids
from hotspots.io.tables import TableRead, guess_decimal, parse_numbers, read_table, workbook_sheets

# The switches of the fast paths (FAST_CSV, PARALLEL_GEOJSON_BYTES) are not re-exported: they take effect only on
# the submodules that use them (hotspots.io.tables, hotspots.io.boundaries).

__all__ = [
    "TableRead",
    "BoundariesRead",
    "JoinReport",
    "read_table",
    "workbook_sheets",
    "parse_numbers",
    "guess_decimal",
    "read_boundaries",
    "normalise_ids",
    "join_wards",
    "file_sha256",
    "read_json_file",
]
