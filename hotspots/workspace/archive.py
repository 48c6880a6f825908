"""A workspace as one zip file, and the same zip read back with the checks of any upload.

The zip holds ``manifest.json`` (format and version), ``cities.json`` (the specs, files by SHA-256 or demo name),
``scenarios.json`` (name -> ``Method.to_dict()``), ``notes.json``, ``view.json`` and ``files/<sha256>`` (the bytes
of each uploaded file, no extension: a zipped Shapefile inside stays one opaque member). Reading refuses what
:func:`hotspots.io.safety.check_zip_members` refuses (climbing or absolute paths, links, nested archives, zip bombs,
too many or too large members), unknown members, JSON of the wrong shape, files whose SHA-256 does not match, and
scenarios that :meth:`hotspots.method.Method.from_dict` refuses, each with a message naming the zip and the part.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from hotspots.errors import DataError, HotspotsError, InputFileError
from hotspots.io import limits
from hotspots.io.safety import ZIP_ERRORS, check_upload_size, check_zip_members, member_chunks
from hotspots.method import Method
from hotspots.workspace import specs

FORMAT = "hotspots_workspace"
VERSION = 1
JSON_MEMBERS = ("manifest.json", "cities.json", "scenarios.json", "notes.json", "view.json")
MAX_JSON_BYTES = 16 << 20
_FILE_MEMBER = re.compile(r"^files/([0-9a-f]{64})$")


@dataclass
class WorkspaceContent:
    """What an exported workspace holds, checked."""

    cities: list[dict] = field(default_factory=list)
    scenarios: dict[str, Method] = field(default_factory=dict)
    notes: dict[tuple[str, str], str] = field(default_factory=dict)
    view: dict = field(default_factory=dict)


def export_zip(store, ws: str) -> bytes:
    """The workspace ``ws`` of ``store`` as zip bytes."""
    stored_cities, blobs = [], {}
    for spec in store.cities(ws).values():
        stored, files = specs.encode_spec(spec)
        stored_cities.append(stored)
        blobs.update(files)
    members = {
        "manifest.json": {FORMAT: VERSION, "cities": len(stored_cities), "files": len(blobs)},
        "cities.json": stored_cities,
        "scenarios.json": {name: method.to_dict() for name, method in store.scenarios(ws).items()},
        "notes.json": [{"city": c, "ward_id": w, "text": t} for (c, w), t in store.notes(ws).items()],
        "view.json": store.view(ws),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, json.dumps(content, ensure_ascii=False, indent=1))
        for digest, data in blobs.items():
            zf.writestr(f"files/{digest}", data)
    return buffer.getvalue()


def read_zip(data: bytes, name: str = "workspace.zip") -> WorkspaceContent:
    """The content of an exported workspace, every part checked. Raises InputFileError or DataError."""
    check_upload_size(name, len(data))
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (*ZIP_ERRORS, OSError):
        raise InputFileError(f"{name} is not a zip file (or is damaged): export the workspace again.") from None
    with zf:
        members = {info.filename: info for info in check_zip_members(zf, name)}
        unknown = [m for m in members if m not in JSON_MEMBERS and not _FILE_MEMBER.match(m)]
        if unknown or "manifest.json" not in members:
            raise InputFileError(
                f"{name} is not a hotspots workspace (it has {'no manifest.json' if not unknown else 'other files'}): "
                "import a file made by 'Export the workspace'."
            )
        budget = [limits.MAX_UNZIPPED_BYTES]
        raw = {m: b"".join(member_chunks(zf, info, name, budget)) for m, info in members.items()}
    parts = {m: _json(raw[m], name, m) for m in JSON_MEMBERS if m in raw}
    if not isinstance(parts["manifest.json"], dict) or parts["manifest.json"].get(FORMAT) != VERSION:
        raise DataError(f"{name}: manifest.json is not of a hotspots workspace version {VERSION}.")
    files = {_FILE_MEMBER.match(m).group(1): data for m, data in raw.items() if _FILE_MEMBER.match(m)}
    for digest, content in files.items():
        if specs.sha256(content) != digest:
            raise DataError(f"{name}: the file files/{digest[:12]}... is damaged (its SHA-256 does not match).")
    return WorkspaceContent(
        cities=_cities(parts.get("cities.json", []), files, name),
        scenarios=_scenarios(parts.get("scenarios.json", {}), name),
        notes=_notes(parts.get("notes.json", []), name),
        view=_view(parts.get("view.json", {}), name),
    )


def _json(raw: bytes, name: str, member: str) -> Any:
    if len(raw) > MAX_JSON_BYTES:
        raise InputFileError(f"{name}: {member} is larger than {MAX_JSON_BYTES:,} bytes.")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise DataError(f"{name}: {member} is not valid UTF-8 JSON: export the workspace again.") from None


def _cities(items: Any, files: dict[str, bytes], name: str) -> list[dict]:
    if not isinstance(items, list):
        raise DataError(f"{name}: cities.json must be a list of cities.")
    cities = []
    for number, stored in enumerate(items, start=1):
        where = f"{name}: city {number} of cities.json"
        specs.check_spec_text(stored, where)

        def blob(digest: str, where: str = where) -> bytes:
            if digest not in files:
                raise DataError(f"{where}: its file files/{str(digest)[:64]} is missing from the zip.")
            return files[digest]

        try:
            cities.append(specs.decode_spec(stored, blob))
        except DataError as exc:
            raise DataError(f"{where}: {exc}") from None
    return cities


def _scenarios(items: Any, name: str) -> dict[str, Method]:
    if not isinstance(items, dict):
        raise DataError(f"{name}: scenarios.json must be an object of scenario name to method.")
    scenarios = {}
    for scenario, method in items.items():
        if not scenario.strip() or len(scenario) > 200:
            raise DataError(f"{name}: a scenario name in scenarios.json is empty or longer than 200 characters.")
        scenarios[scenario] = method_from_json(method, f"{name}, scenario {scenario[:60]!r}")
    return scenarios


def method_from_json(data: Any, where: str) -> Method:
    """``Method.from_dict`` with every failure (also a wrong type deep inside) as a DataError naming ``where``."""
    try:
        return Method.from_dict(data)
    except HotspotsError as exc:
        raise DataError(f"{where}: {exc}") from None
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
        raise DataError(f"{where}: the method is not valid ({type(exc).__name__}): save the scenario again.") from None


def _notes(items: Any, name: str) -> dict[tuple[str, str], str]:
    if not isinstance(items, list):
        raise DataError(f"{name}: notes.json must be a list of notes.")
    notes = {}
    for number, note in enumerate(items, start=1):
        fields = [note.get(k) for k in ("city", "ward_id", "text")] if isinstance(note, dict) else [None]
        if len(fields) != 3 or not all(isinstance(f, str) for f in fields) or len(fields[2]) > 10_000:
            raise DataError(f"{name}: note {number} of notes.json needs a city, a ward_id and a text (strings).")
        notes[(fields[0], fields[1])] = fields[2]
    return notes


def _view(view: Any, name: str) -> dict:
    if not isinstance(view, dict) or len(json.dumps(view)) > 100_000:
        raise DataError(f"{name}: view.json must be a small JSON object.")
    return view


# -- one scenario as a file ------------------------------------------------------------------------------------------

SCENARIO_FORMAT = "hotspots_scenario"


def scenario_file(name: str, method: Method) -> str:
    """A scenario as the JSON file a group downloads: ``{"hotspots_scenario": 1, "name": ..., "method": ...}``."""
    return json.dumps({SCENARIO_FORMAT: 1, "name": name, "method": method.to_dict()}, ensure_ascii=False, indent=1)


def read_scenario_file(data: bytes | str, source: str = "scenario.json") -> tuple[str, Method]:
    """The name and method of a scenario file, checked (size, JSON, format, the method). Raises DataError."""
    if len(data) > limits.MAX_FRAMEWORK_BYTES:
        raise InputFileError(f"{source} is larger than {limits.MAX_FRAMEWORK_BYTES:,} bytes: it is not a scenario.")
    raw = data.encode("utf-8") if isinstance(data, str) else data
    content = _json(raw, source, "the file")
    if not isinstance(content, dict) or content.get(SCENARIO_FORMAT) != 1:
        raise DataError(
            f'{source} is not a scenario file (it has no "{SCENARIO_FORMAT}": 1). A framework file is loaded in '
            "the Model tab."
        )
    name = content.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise DataError(f"{source}: the scenario's name must be a text of 1 to 200 characters.")
    return name.strip(), method_from_json(content.get("method"), source)
