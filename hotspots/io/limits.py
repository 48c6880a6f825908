"""The size limits of every input, in one place.

Each limit is far above any real city (the largest city in the demo has 144 wards; the largest ward layers we know of
have a few thousand wards of a few thousand vertices each) and is there only to refuse a broken or hostile file
early, with a message, instead of running for minutes or filling the memory. README "Limits" lists them.

The readers look the numbers up at call time (``limits.MAX_FEATURES``), so a test or a deployment can change them.
"""

from __future__ import annotations

# --- any uploaded file -----------------------------------------------------------------------------------------
MAX_UPLOAD_BYTES = 1 << 30  # 1 GiB as uploaded
MAX_UNZIPPED_BYTES = 1 << 30  # 1 GiB once decompressed (a zip, a KMZ, an XLSX: all members together)
MAX_ZIP_MEMBERS = 1_000  # files inside one zip
MAX_COMPRESSION_RATIO = 1_000  # uncompressed / compressed size of one zip member larger than 1 MB (a zip bomb)

# --- ward boundaries -------------------------------------------------------------------------------------------
MAX_FEATURES = 200_000  # wards (features) in one boundary file
MAX_VERTICES_PER_FEATURE = 1_000_000  # vertices of one ward's polygon(s)
MAX_VERTICES_TOTAL = 20_000_000  # vertices of all wards together

# --- indicator tables ------------------------------------------------------------------------------------------
MAX_TABLE_ROWS = 1_000_000
MAX_TABLE_COLUMNS = 5_000
MAX_TABLE_CELLS = 2_500_000  # rows x columns (an XLSX's cells are counted before it is read)
MAX_CELL_CHARS = 100_000  # characters in one cell

# --- framework files -------------------------------------------------------------------------------------------
MAX_FRAMEWORK_BYTES = 1 << 20  # 1 MiB
MAX_WEIGHT = 1e6  # a dimension or indicator weight (weights are relative: 1, 2 or 0.5 are the usual values)


def describe() -> list[str]:
    """The limits as lines of text (for README and messages)."""
    return [
        f"upload: {MAX_UPLOAD_BYTES:,} bytes; decompressed: {MAX_UNZIPPED_BYTES:,} bytes, {MAX_ZIP_MEMBERS:,} files "
        f"in a zip, compression ratio {MAX_COMPRESSION_RATIO:,}",
        f"boundaries: {MAX_FEATURES:,} features, {MAX_VERTICES_PER_FEATURE:,} vertices per feature, "
        f"{MAX_VERTICES_TOTAL:,} vertices in all",
        f"tables: {MAX_TABLE_ROWS:,} rows, {MAX_TABLE_COLUMNS:,} columns, {MAX_TABLE_CELLS:,} cells, "
        f"{MAX_CELL_CHARS:,} characters per cell",
        f"framework: {MAX_FRAMEWORK_BYTES:,} bytes, weights up to {MAX_WEIGHT:g}",
    ]
