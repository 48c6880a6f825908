"""City specs as stored: uploaded files become content-addressed blobs, demo files a reference to the demo.

A spec is the app's plain dict of a city (``label``, ``name``, ``indicators`` / ``boundaries`` as bytes or a demo
file's path, their ``*_name``, ``id_column``, ``boundary_id_column``, ``sheet``, ``synthetic``). Stored, its file
fields are ``{"blob": sha256}`` or ``{"demo": file name}``: a stored (or imported) spec can never name a file of the
server other than the package's own demo files.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from hotspots.errors import DataError

FILE_FIELDS = ("indicators", "boundaries")
TEXT_FIELDS = ("label", "name", "indicators_name", "boundaries_name", "id_column", "boundary_id_column")
MAX_TEXT = 500  # characters of a label, name or column in a spec


def demo_files() -> dict[str, Path]:
    """The demo cities' files, by file name."""
    from hotspots.demo import demo_cities

    files = {}
    for demo in demo_cities().values():
        files[demo.indicators_path.name] = demo.indicators_path
        files[demo.boundaries_path.name] = demo.boundaries_path
    return files


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def encode_spec(spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The spec as stored, and the bytes of its uploaded files by SHA-256."""
    check_spec_text(spec, "the city")
    stored = {key: spec.get(key) for key in (*TEXT_FIELDS, "sheet", "synthetic")}
    blobs = {}
    demos = demo_files()
    for field in FILE_FIELDS:
        value = spec.get(field)
        if isinstance(value, (bytes, bytearray, memoryview)):
            data = bytes(value)
            blobs[sha256(data)] = data
            stored[field] = {"blob": sha256(data)}
        elif isinstance(value, (str, Path)) and Path(value).name in demos and Path(value) == demos[Path(value).name]:
            stored[field] = {"demo": Path(value).name}
        else:
            raise DataError(
                f"City {spec.get('label')!r}: its {field} file must be uploaded bytes or a demo file; "
                "a path on the server cannot be saved."
            )
    return stored, blobs


def decode_spec(stored: dict[str, Any], blob: Any) -> dict[str, Any]:
    """A stored spec with its files back (``blob(sha256) -> bytes``, raising DataError when missing)."""
    check_spec_text(stored, "the stored city")
    spec = {key: stored.get(key) for key in (*TEXT_FIELDS, "sheet", "synthetic")}
    demos = demo_files()
    for field in FILE_FIELDS:
        ref = stored.get(field)
        if isinstance(ref, dict) and isinstance(ref.get("blob"), str):
            spec[field] = blob(ref["blob"])
        elif isinstance(ref, dict) and ref.get("demo") in demos:
            spec[field] = str(demos[ref["demo"]])
        else:
            raise DataError(
                f"City {stored.get('label')!r}: its {field} file is neither stored nor one of the demo files."
            )
    return spec


def check_spec_text(spec: Any, where: str) -> None:
    """Refuse a spec whose names and columns are not short strings, or whose sheet and flags are of the wrong type."""
    if not isinstance(spec, dict):
        raise DataError(f"{where}: a city must be a JSON object.")
    for field in TEXT_FIELDS:
        value = spec.get(field)
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
            raise DataError(
                f"{where}: the city's {field!r} must be a text of 1 to {MAX_TEXT} characters "
                f"(found {type(value).__name__})."
            )
    if spec.get("sheet") is not None and not (isinstance(spec["sheet"], str) and len(spec["sheet"]) <= MAX_TEXT):
        raise DataError(f"{where}: the city's 'sheet' must be a sheet name or null.")
    if spec.get("synthetic") not in (None, True, False):
        raise DataError(f"{where}: the city's 'synthetic' must be true, false or null.")
