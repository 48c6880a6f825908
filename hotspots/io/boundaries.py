"""Read ward boundaries (GeoJSON, zipped Shapefile, GeoPackage, KML) into EPSG:4326 with valid polygons."""

from __future__ import annotations

import json
import os
import re
import tempfile
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hotspots.errors import DataError, InputFileError
from hotspots.io import limits
from hotspots.io._common import (
    SAVE_AS_GEO,
    TABLE_SUFFIXES,
    Source,
    _missing_column_error,
    _open_source,
    _polygonal_part,
    _Source,
    file_sha256,
)
from hotspots.io.join import normalise_ids
from hotspots.io.safety import (
    ZIP_ERRORS,
    check_boundary_content,
    check_upload_size,
    check_zip_content,
    check_zip_members,
    gdal_path,
    scrub,
)

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

BOUNDARY_SUFFIXES = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".zip": "zip",
    ".shp": "ESRI Shapefile",
    ".gpkg": "GPKG",
    ".kml": "KML",
    ".kmz": "KMZ",
}

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
        Missing file, unknown format, a zip with no layer, KML unsupported by this GDAL; content that is not plainly
        an allowed format or points GDAL at other files or URLs; an unsafe zip (see :mod:`hotspots.io.safety`).
    DataError
        No CRS with projected coordinates, no polygons at all, unknown ``id_column``, NaN or infinite coordinates,
        more features or vertices than :mod:`hotspots.io.limits` allows.
    """
    from concurrent.futures import ThreadPoolExecutor

    import pyogrio

    src = _open_source(source, name, "boundary file")
    notes: list[str] = []
    # hash the file in a thread while GDAL parses it (hashlib and GDAL both release the GIL)
    with ThreadPoolExecutor(max_workers=1) as pool, tempfile.TemporaryDirectory(prefix="hotspots-") as tmp:
        fmt, location = _boundary_location(src, Path(tmp), notes)
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
                # measured: the arrow path is slower here. One feature more than the limit tells it is exceeded.
                with warnings.catch_warnings():  # NaN coordinates: refused with a message below, no warning
                    warnings.simplefilter("ignore", RuntimeWarning)
                    frame = pyogrio.read_dataframe(
                        gdal_path(fmt, location), layer=layer, max_features=limits.MAX_FEATURES + 1
                    )
            except Exception as exc:  # pyogrio.errors.DataSourceError, DataLayerError, ...
                raise InputFileError(
                    f"Cannot read {src.name} as {fmt}: {scrub(exc, src.name, location, tmp)}. The file may be "
                    f"damaged or incomplete. {SAVE_AS_GEO}"
                ) from None
        sha = sha_future.result()
    _check_size(frame, src)
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


def _check_size(frame, src: _Source) -> None:
    """Refuse boundaries with more features or vertices than :mod:`hotspots.io.limits` allows (before any
    geometry work, which would take minutes on a 10-million-vertex polygon)."""
    import shapely

    if len(frame) > limits.MAX_FEATURES:
        raise DataError(
            f"{src.name} has more than {limits.MAX_FEATURES:,} features (the limit; a city has hundreds or a few "
            "thousand wards). Export only the ward layer of one city."
        )
    geoms = np.asarray(frame.geometry.array, dtype=object)
    vertices = shapely.get_num_coordinates(geoms)
    if len(vertices) and (
        vertices.max() > limits.MAX_VERTICES_PER_FEATURE or vertices.sum() > limits.MAX_VERTICES_TOTAL
    ):
        worst = int(np.argmax(vertices))
        raise DataError(
            f"{src.name} is too detailed: feature {worst + 1} has {int(vertices[worst]):,} vertices and all features "
            f"together {int(vertices.sum()):,} (the limits are {limits.MAX_VERTICES_PER_FEATURE:,} per feature and "
            f"{limits.MAX_VERTICES_TOTAL:,} in all). Simplify the boundaries in QGIS (Vector > Geometry Tools > "
            "Simplify, tolerance 0.00001 degrees or 1 m) and upload them again."
        )
    not_finite = [
        start + k
        for start in range(0, len(geoms), 10_000)
        for k in np.flatnonzero(_has_non_finite(geoms[start : start + 10_000]))
    ]
    if not_finite:
        shown = ", ".join(f"feature {k + 1}" for k in not_finite[:20])
        raise DataError(
            f"{src.name}: {len(not_finite)} feature(s) have coordinates that are not numbers (NaN or Infinity): "
            f"{shown}. Fix or delete these features in QGIS (Vector > Geometry Tools > Check Validity) and export "
            f"the layer again. {SAVE_AS_GEO}"
        )


def _has_non_finite(geoms: np.ndarray) -> np.ndarray:
    """Whether each geometry has a NaN or infinite coordinate."""
    import shapely

    coords, index = shapely.get_coordinates(geoms, include_z=True, return_index=True)
    bad = np.zeros(len(geoms), dtype=bool)
    rows = ~np.isfinite(coords).all(axis=1) if coords.size else np.zeros(0, dtype=bool)
    if coords.shape[1] == 3:  # a 2-D point has z NaN: only x and y count then, unless z is infinite
        rows = ~np.isfinite(coords[:, :2]).all(axis=1) | np.isinf(coords[:, 2])
    bad[index[rows]] = True
    return bad


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
    if text.startswith(b"{") and re.search(rb'"type"\s*:\s*"Topology"', text[:4096]):
        return "TopoJSON"
    if text.startswith(b"{") and b'"type"' in text[:4096] or b'"FeatureCollection"' in text[:4096]:
        return "GeoJSON"
    if text.startswith(b"<") and b"<kml" in text[:4096]:
        return "KML"
    return None


def _boundary_location(src: _Source, tmp: Path, notes: list[str] | None = None) -> tuple[str, str]:
    """(format, path for GDAL); bytes are written to ``tmp`` with a suffix GDAL recognises.

    The content must be plainly one of the allowed formats, whatever the file's name (see :mod:`.safety`)."""
    if src.path is not None:
        check_upload_size(src.name, os.path.getsize(src.path))
        with open(src.path, "rb") as fh:
            head = fh.read(4096)
    else:
        check_upload_size(src.name, len(src.data))
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
    if sniffed is None and fmt in ("GeoJSON", "GPKG", "KML"):
        fmt = "unknown"  # named like a boundary file, but its content is not one: refused below, with an excerpt
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
    if fmt not in ("zip", "KMZ"):
        check_boundary_content(src.name, fmt, head, lambda: _chunks(src))
    suffix = {
        "GeoJSON": ".geojson",
        "TopoJSON": ".topojson",
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
        return _zip_member(src, path, notes)
    if fmt == "KMZ":
        _checked_zip(src, path)
    return fmt, path


def _chunks(src: _Source):
    from hotspots.io.safety import _chunks_of_bytes, _chunks_of_file

    return _chunks_of_bytes(src.data) if src.data is not None else _chunks_of_file(src.path)


def _checked_zip(src: _Source, path: str) -> tuple[list[str], dict[str, bytes]]:
    """(the member names of the zip at ``path``, the first bytes of each), after the checks of
    :func:`.safety.check_zip_members` and :func:`.safety.check_zip_content`."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = check_zip_members(zf, src.name)
            heads = check_zip_content(zf, src.name, infos)
    except ZIP_ERRORS:
        raise InputFileError(
            f"{src.name} is not a valid zip file (it may be cut short). Zip the files again."
        ) from None
    return [i.filename for i in infos], heads


def _zip_member(src: _Source, path: str, notes: list[str] | None = None) -> tuple[str, str]:
    """Pick one layer inside a zip; return (format, /vsizip/ path). With several layers, the first whose name
    says "ward", else the first in the zip, is read, and ``notes`` says which."""
    names, heads = _checked_zip(src, path)
    members = [m for m in names if not m.startswith("__MACOSX/") and not Path(m).name.startswith("._")]
    lower = {m.lower(): m for m in members}
    shps = [m for m in members if m.lower().endswith(".shp")]
    others = [m for m in members if Path(m).suffix.lower() in (".geojson", ".json", ".gpkg", ".kml")]
    layers = shps + others
    if len(layers) > 1:
        complete = others + [m for m in shps if all((m[:-4] + ext).lower() in lower for ext in (".shx", ".dbf"))]
        candidates = [m for m in layers if m in complete] or layers
        chosen = next((m for m in candidates if "ward" in Path(m).stem.lower()), candidates[0])
        if notes is not None:
            notes.append(
                f"{src.name} holds {len(layers)} layers ({', '.join(Path(m).name for m in layers[:8])}"
                f"{' ...' if len(layers) > 8 else ''}); read {Path(chosen).name}. To use another, zip only that "
                "layer's files"
            )
        shps, others = ([chosen], []) if chosen in shps else ([], [chosen])
    if shps:
        shp = shps[0]
        stem = shp[:-4]
        missing = [ext for ext in (".shx", ".dbf") if (stem + ext).lower() not in lower]
        if missing:
            raise InputFileError(
                f"{src.name}: the Shapefile {Path(shp).name} is incomplete: {', '.join(missing)} missing from the "
                f"zip. Zip all files that share the name {Path(stem).name} (.shp, .shx, .dbf, .prj) together."
            )
        shown = f"{src.name} ({Path(shp).name})"
        for part in (shp, next(m for m in members if m.lower() == (stem + ".shx").lower())):
            check_boundary_content(shown, "ESRI Shapefile", heads[part], lambda: iter(()))
        return "ESRI Shapefile", f"/vsizip/{path}/{shp}"
    if others:
        inner = others[0]
        fmt = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG", ".kml": "KML"}[Path(inner).suffix.lower()]
        fmt = _sniff_boundary_format(heads[inner]) or fmt
        check_boundary_content(f"{src.name} ({Path(inner).name})", fmt, heads[inner], lambda: iter(()))
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
        layers = pyogrio.list_layers(gdal_path(fmt, location))
    except Exception as exc:
        raise InputFileError(
            f"Cannot open {src.name} as {fmt}: {scrub(exc, src.name, location)}. The file may be damaged or "
            f"incomplete. {SAVE_AS_GEO}"
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

    if id_column is not None and id_column not in frame.columns:
        raise _missing_column_error(
            id_column, [c for c in frame.columns if c != frame.geometry.name], src.name, "boundary file"
        )
    if len(frame) == 0:
        raise DataError(f"{src.name} has no features (0 wards). Export the ward layer again. {SAVE_AS_GEO}")
    if frame.geometry.name != "geometry":
        frame = frame.rename_geometry("geometry")
    frame, crs_in, valid = _to_wgs84(frame, src, fmt, notes, valid)
    geoms, valid = _flat_geometries(frame, src, notes, valid)
    empty, not_area, changed = _polygons_only(geoms, frame, src, id_column, notes)
    if changed:
        valid = None
    repaired, lost = _repair_invalid(geoms, ~empty & ~not_area, valid, frame, src, id_column, notes)
    empty[lost] = True
    missing_geometry = _drop_unusable(geoms, empty | not_area, frame, src, id_column, notes)
    wards = gpd.GeoDataFrame(frame.drop(columns="geometry"), geometry=gpd.array.from_shapely(geoms, crs=4326))
    wards = wards.reset_index(drop=True)
    return BoundariesRead(wards, src.name, fmt, sha, crs_in, notes, repaired, missing_geometry, layer)


def _bounds(frame) -> tuple[float, float, float, float] | None:
    """(xmin, ymin, xmax, ymax) of the geometries, None when there are no coordinates."""
    import shapely

    bounds = shapely.total_bounds(np.asarray(frame.geometry.array, dtype=object))
    return tuple(bounds) if np.isfinite(bounds).all() else None


def _to_wgs84(frame, src: _Source, fmt: str, notes: list[str], valid: np.ndarray | None):
    """(the frame in EPSG:4326, its CRS as read, ``valid`` if the geometries were not reprojected else None).

    A file without CRS is taken as longitude/latitude unless its coordinates are too large; a file that says it is
    longitude/latitude with coordinates far too large is refused (both are projected metres)."""
    crs = frame.crs
    if crs is None:
        bounds = _bounds(frame)
        if bounds is not None and (
            max(abs(bounds[0]), abs(bounds[2])) > 180 or max(abs(bounds[1]), abs(bounds[3])) > 90
        ):
            xmin, ymin, xmax, ymax = bounds
            hint = "add the .prj file to the zip, or " if fmt == "ESRI Shapefile" else ""
            raise DataError(
                f"{src.name} has no CRS (coordinate reference system) and its coordinates look projected "
                f"(x from {xmin:.0f} to {xmax:.0f}, y from {ymin:.0f} to {ymax:.0f}: metres, not degrees). "
                f"Fix: {hint}set the CRS of the layer in QGIS (Layer Properties > Source > Assigned CRS, e.g. the "
                "UTM zone of the city) and re-export it as GeoJSON."
            )
        notes.append(f"{src.name} has no CRS; its coordinates look like longitude/latitude, so EPSG:4326 was assumed")
        return frame.set_crs(4326), "none (assumed EPSG:4326)", valid
    epsg = crs.to_epsg(min_confidence=70)
    crs_in = f"EPSG:{epsg}" if epsg else crs.to_string()
    bounds = _bounds(frame) if crs.is_geographic else None
    if bounds is not None and (max(abs(bounds[0]), abs(bounds[2])) > 360 or max(abs(bounds[1]), abs(bounds[3])) > 90):
        xmin, ymin, xmax, ymax = bounds
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
        return frame, crs_in, valid
    try:
        frame = frame.to_crs(4326)
    except Exception as exc:
        raise DataError(
            f"{src.name}: cannot reproject from {crs_in} to EPSG:4326 ({scrub(exc, src.name)}). Reproject the layer to "
            f"EPSG:4326 in QGIS and re-export. {SAVE_AS_GEO}"
        ) from None
    notes.append(f"reprojected {src.name} from {crs_in} ({crs.name}) to EPSG:4326")
    return frame, crs_in, None  # validity was known for the geometries before reprojection


def _flat_geometries(frame, src: _Source, notes: list[str], valid: np.ndarray | None):
    """(the geometries as a 2-D object array, ``valid`` if unchanged else None): Z coordinates are dropped."""
    import shapely

    geoms = np.asarray(frame.geometry.array, dtype=object)
    if shapely.has_z(geoms).any():
        geoms = shapely.force_2d(geoms)
        valid = None
        notes.append(f"dropped the Z (height) coordinates of {src.name}")
    return geoms, valid


def _polygons_only(
    geoms: np.ndarray, frame, src: _Source, id_column: str | None, notes: list[str]
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Keep the polygons of ``geoms`` (in place): collections are reduced to their polygonal parts; points and
    lines are noted and set to None. Refused when there is no polygon at all.

    Returns (empty or null, not an area, whether some geometry was changed)."""
    import shapely

    type_ids = shapely.get_type_id(geoms)  # -1 None, 0 point, 1 line, 2 ring, 3 polygon, 4-6 multi, 7 collection
    collections = np.flatnonzero(type_ids == 7)
    if collections.size:
        geoms[collections] = [_polygonal_part(g) for g in geoms[collections]]
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
    return empty, not_area, bool(collections.size)


def _repair_invalid(
    geoms: np.ndarray,
    polygonal: np.ndarray,
    valid: np.ndarray | None,
    frame,
    src: _Source,
    id_column: str | None,
    notes: list[str],
) -> tuple[list[str], np.ndarray]:
    """Repair the invalid polygons of ``geoms`` in place (``shapely.make_valid``, polygonal parts kept).

    Returns (the repaired wards' labels, positions whose repair left nothing)."""
    import shapely

    if valid is None:
        valid = shapely.is_valid(geoms)
    invalid = np.flatnonzero(polygonal & ~valid)
    if not invalid.size:
        return [], invalid
    fixed = shapely.make_valid(geoms[invalid])
    fixed = np.array([_polygonal_part(g) for g in fixed], dtype=object)
    geoms[invalid] = fixed
    repaired = _ward_labels(frame, invalid, id_column)
    notes.append(
        f"repaired {invalid.size} invalid geometr{'y' if invalid.size == 1 else 'ies'} of {src.name} "
        f"(self-intersections): wards {', '.join(repaired[:20])}"
        + (f" and {len(repaired) - 20} more" if len(repaired) > 20 else "")
    )
    return repaired, invalid[shapely.is_empty(fixed) | pd.isna(fixed)]


def _drop_unusable(
    geoms: np.ndarray, missing: np.ndarray, frame, src: _Source, id_column: str | None, notes: list[str]
) -> list[str]:
    """Set the geometries without a usable area to None (in place); return and note their wards' labels."""
    labels = _ward_labels(frame, np.flatnonzero(missing), id_column)
    if missing.any():
        geoms[missing] = None
        notes.append(
            f"{len(labels)} feature(s) of {src.name} have no usable geometry and cannot be "
            f"mapped: {', '.join(labels[:20])}"
        )
    return labels
