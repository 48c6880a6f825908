"""GeoJSON (RFC 7946) and CSV exports that carry their method and provenance.

Only the columns the model uses go out (ward ID and name, population, the framework's indicators, the scores,
classes and hotspot statistics): other columns of an upload, which may hold personal data, never do. Counts
below a small-number threshold are suppressed (written as empty) so that a rare incident in a small place
cannot point at a person; the ``metadata`` member says which, how many and why.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._version import __version__
from .errors import InputFileError
from .suppression import DEFAULT_SUPPRESS_BELOW, suppress_small_counts  # noqa: F401 -- re-exported

SCORE_FIELDS = ("risk_score", "risk_rank", "risk_class", "coverage", "risk_profile")
HOTSPOT_FIELDS = (
    "gi_star_z",
    "gi_star_p",
    "gi_star_p_adj",
    "hotspot_class",
    "lisa_i",
    "lisa_p",
    "lisa_p_adj",
    "lisa_cluster",
    "neighbour_count",
)
#: Written when an uncertainty analysis was run (hotspots.uncertainty.add_uncertainty).
UNCERTAINTY_FIELDS = ("risk_rank_median", "risk_rank_p05", "risk_rank_p95", "hotspot_frequency")
#: Decimals written for computed values, so that a spreadsheet shows what people read: ``coverage`` is exactly 1
#: when complete (not 0.9999999999999999) and a p-value 0.499, not 0.49900000000000005. Input values (population,
#: indicators) are written as they were read.
EXPORT_PRECISION = {
    "scores": 3,  # risk_score and <dimension>_score, 0-10
    "coverage": 4,
    "z": 3,  # gi_star_z
    "p": 4,  # gi_star_p, gi_star_p_adj, lisa_p, lisa_p_adj
    "lisa_i": 4,
    "rank": 1,  # risk_rank_median (a median of ranks may end in .5), risk_rank_p05, risk_rank_p95
    "share": 3,  # hotspot_frequency
}
_PRECISION_OF = {"coverage": "coverage", "gi_star_z": "z", "lisa_i": "lisa_i", "risk_score": "scores"}
_PRECISION_OF.update({c: "p" for c in ("gi_star_p", "gi_star_p_adj", "lisa_p", "lisa_p_adj")})
_PRECISION_OF.update({c: "rank" for c in UNCERTAINTY_FIELDS[:3]}, hotspot_frequency="share")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_columns(
    layer: pd.DataFrame, indicator_columns, dimension_names, population_column="population", *, id_columns=()
) -> list[str]:
    """The columns that go into an export, in order; anything else in ``layer`` stays out.

    ``id_columns``: the user's own ward ID columns (:attr:`hotspots.pipeline.CityData.kept_id_columns`), written
    right after ``ward_id`` with the IDs as read, so that a GIS can join the export back on them.
    """
    wanted = ["ward_id", *id_columns, "ward_name", population_column, "small_population", *indicator_columns]
    wanted += [f"{d}_score" for d in dimension_names] + list(SCORE_FIELDS) + list(HOTSPOT_FIELDS)
    wanted += list(UNCERTAINTY_FIELDS)
    seen = []
    for c in wanted:
        if c in layer.columns and c not in seen:
            seen.append(c)
    return seen


def export_table(
    layer,
    indicator_columns,
    dimension_names,
    *,
    count_columns=(),
    suppress_below=DEFAULT_SUPPRESS_BELOW,
    population_column="population",
    id_columns=(),
):
    """The attribute table exactly as it is exported (selected columns, small counts suppressed)."""
    cols = export_columns(layer, indicator_columns, dimension_names, population_column, id_columns=id_columns)
    table = round_for_export(pd.DataFrame(layer[cols]).copy(), dimension_names)
    table, suppressed = suppress_small_counts(table, count_columns, suppress_below)
    return table, suppressed


def round_for_export(table: pd.DataFrame, dimension_names=()) -> pd.DataFrame:
    """Round computed columns to :data:`EXPORT_PRECISION` (input columns are left as they were read)."""
    kinds = dict(_PRECISION_OF)
    kinds.update({f"{d}_score": "scores" for d in dimension_names})
    for column, kind in kinds.items():
        if column in table.columns and pd.api.types.is_float_dtype(table[column]):
            table[column] = table[column].round(EXPORT_PRECISION[kind])
    return table


def build_metadata(
    *,
    framework: dict,
    score_log: dict | None = None,
    classification: dict | None = None,
    hotspots: dict | None = None,
    inputs: list[dict] | None = None,
    notes: list[str] | None = None,
    suppression: dict | None = None,
    synthetic: bool = False,
    title: str = "",
) -> dict[str, Any]:
    """The ``metadata`` member: method, weights, parameters, provenance."""
    meta: dict[str, Any] = {
        "title": title,
        "software": {"name": "hotspots", "version": __version__},
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "unit_of_analysis": "ward-level aggregates only (no data about individuals)",
        "synthetic_data": bool(synthetic),
        "framework": framework,
        "normalisation": (score_log or {}).get("normalisation"),
        "aggregation": (score_log or {}).get("aggregation", framework.get("aggregation")),
        "missing_values": (score_log or {}).get("missing_values"),
        "smoothing": (score_log or {}).get("smoothing") or None,
        "classification": classification,
        "hotspot_analysis": hotspots,
        "small_number_suppression": suppression,
        "precision": {"decimals": dict(EXPORT_PRECISION), "note": "computed values are rounded; inputs as read"},
        "inputs": inputs or [],
        "notes": notes or [],
        "crs": "EPSG:4326 (RFC 7946: longitude, latitude)",
    }
    return meta


def provenance(result, suppressed: dict) -> dict[str, Any]:
    """The ``metadata`` member of a scored city's export: its method, weights, parameters, inputs and notes.

    ``result`` is a :class:`hotspots.pipeline.RiskResult`; ``suppressed`` the cells suppressed per column (kept for
    callers; the counts are taken from ``result.suppression``).
    """
    from .suppression import suppression_metadata

    city = result.city
    notes = list(city.notes) + list(result.scores.notes) + result.hotspot_notes()
    notes += list(getattr(result.classification, "notes", []) or [])
    join = city.join
    if join.unmatched_table:
        notes.append(
            f"{len(join.unmatched_table)} ward(s) of the table have no boundary and are not in this layer: "
            + ", ".join(map(str, join.unmatched_table[:50]))
        )
    if join.unmatched_boundaries:
        notes.append(
            f"{len(join.unmatched_boundaries)} boundary ward(s) have no row in the table (no data): "
            + ", ".join(map(str, join.unmatched_boundaries[:50]))
        )
    below = result.suppress_below
    meta = build_metadata(
        framework=result.framework.to_dict(),
        score_log=_withheld_parameters(result.scores.log, result.suppression),
        classification={**result.classification.to_dict(), "column": "risk_class", "dimension_breaks": result.breaks},
        hotspots=None if result.hotspots is None else result.hotspots.metadata,
        inputs=city.raw.inputs,
        notes=notes,
        suppression=suppression_metadata(below, result.suppression),
        synthetic=city.synthetic,
        title=f"Ward risk scores: {city.name}" + (" (SYNTHETIC DEMO DATA)" if city.synthetic else ""),
    )
    if result.method is not None:
        meta["method"] = result.method.to_dict()
    if getattr(result, "uncertainty", None) is not None:
        meta["uncertainty"] = result.uncertainty.metadata
    meta["id_columns"] = {"table": city.id_column, "boundaries": city.boundary_id_column}
    meta["small_population"] = _small_population_metadata(result)
    if getattr(result, "profiles", None) is not None:
        meta["risk_profiles"] = result.profiles.to_dict()
    return meta


def _small_population_metadata(result) -> dict | None:
    """What the ``small_population`` property means, and the wards it flags (None when no minimum is set)."""
    minimum = result.framework.min_population
    if minimum is None or "small_population" not in result.layer:
        return None
    flags = result.layer["small_population"]
    return {
        "min_population": minimum,
        "property": "small_population: true where the ward's population is below min_population (null: unknown)",
        "wards": result.layer.loc[flags.fillna(False).to_numpy(dtype=bool), "ward_id"].astype(str).tolist(),
        "note": "rates from small populations swing by chance; these wards are scored as usual and flagged, not "
        "dropped",
    }


def _withheld_parameters(score_log: dict, codes) -> dict:
    """The scoring log without the normalisation parameters of count indicators that have suppressed cells: a
    minimum, maximum or mean of rates, or the list of every rate (percentile), could give a suppressed count back."""
    from .suppression import SHOWN

    hidden = [c for c in codes.columns if (codes[c] != SHOWN).any()]
    normalisation = dict(score_log.get("normalisation") or {})
    parameters = dict(normalisation.get("parameters") or {})
    if not hidden or not parameters:
        return score_log
    for column in hidden:
        if column in parameters:
            parameters[column] = {
                "n": parameters[column].get("n"),
                "withheld": "this count has suppressed cells; its parameters could give them back",
            }
    return {**score_log, "normalisation": {**normalisation, "parameters": parameters}}


def _json_default(obj):
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return None if np.isnan(obj) else float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (Path,)):
        return str(obj)
    if obj is pd.NA or obj is None:
        return None
    return str(obj)


def geojson_text(gdf, table: pd.DataFrame, metadata: dict) -> str:
    """RFC 7946 FeatureCollection text: WGS 84 lon/lat, exterior rings counter-clockwise, ``metadata`` member.

    Parameters
    ----------
    gdf : GeoDataFrame whose geometry (any CRS) is written, row-aligned with ``table``.
    table : the properties, one row per feature.
    metadata : the top-level ``metadata`` member.
    """
    import shapely

    geoms = gdf.geometry
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        geoms = geoms.to_crs(4326)
    arr = shapely.orient_polygons(np.asarray(geoms.values, dtype=object), exterior_cw=False)
    geom_text = shapely.to_geojson(arr)
    props = table.reset_index(drop=True)
    prop_lines = _record_texts(props)
    parts = [
        '{"type":"Feature","properties":' + p + ',"geometry":' + (g if g is not None else "null") + "}"
        for g, p in zip(geom_text, prop_lines)
    ]
    head = '{"type":"FeatureCollection","metadata":' + json.dumps(metadata, ensure_ascii=False, default=_json_default)
    return head + ',"features":[\n' + ",\n".join(parts) + "\n]}\n"


def _record_texts(props: pd.DataFrame) -> list[str]:
    """One JSON object text per row, by pandas' C JSON writer (NaN/NA -> null)."""
    if len(props) == 0:
        return []
    text = props.to_json(orient="records", force_ascii=False, double_precision=15)
    # split "[{...},{...}]" between records; safe unless a text cell itself contains the separator
    texts = [c for c in props.columns if not pd.api.types.is_numeric_dtype(props[c])]
    unsafe = any(props[c].astype("string").str.contains("},{", regex=False).any() for c in texts)
    if unsafe:
        return props.to_json(orient="records", lines=True, force_ascii=False, double_precision=15).splitlines()
    records = text[2:-2].split("},{")
    return ["{" + r + "}" for r in records]


def neutralise_formulas(table: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula (= + - @ tab CR) with an apostrophe."""
    out = table.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            s = out[c].astype("string")
            risky = s.str.startswith(_FORMULA_START).fillna(False)
            if risky.any():
                out[c] = s.where(~risky, "'" + s)
    return out


def csv_text(table: pd.DataFrame) -> str:
    """CSV (UTF-8 with BOM so Excel reads non-Latin ward names) with spreadsheet formulas neutralised."""
    return "\ufeff" + neutralise_formulas(table).to_csv(index=False, lineterminator="\n")


def read_geojson(path) -> tuple[Any, dict]:
    """Read an exported GeoJSON back: (GeoDataFrame, metadata)."""
    import geopandas as gpd

    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputFileError(f"Cannot read the GeoJSON {path}: {exc}") from None
    gdf = gpd.GeoDataFrame.from_features(raw["features"], crs=4326)
    cols = list(raw["features"][0]["properties"]) if raw["features"] else []
    gdf = gdf[cols + ["geometry"]]
    return gdf, raw.get("metadata", {})


def write_text(path, text: str) -> Path:
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputFileError(
            f"Cannot write {path}: {exc.strerror or exc}. Check the folder exists and is writable."
        ) from None
    return path


def file_stem(name: str) -> str:
    """A file name stem for a city's exports: lower case, runs of other than letters, digits, ``-`` made ``_``.

    >>> file_stem("Delhi (NDMC) 2022")
    'delhi_ndmc_2022'
    """
    return re.sub(r"[^\w-]+", "_", name.lower()).strip("_") or "city"
