"""Several scored cities in one export: every feature carries its ``city``; the metadata says the scaling.

:func:`hotspots.pipeline.score_cities` scores the cities (each on its own scale, or on one pooled scale) and learns
their risk profiles on all their wards pooled; this module writes them as one GeoJSON or CSV, and the cross-city
summary (:func:`hotspots.summary.city_summary`) beside it.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._version import __version__
from .export import _json_default, csv_text, geojson_text, write_text

#: The command line's words for the two scalings, and the :class:`hotspots.Method` values they map to.
SCALING_WORDS = {"per-city": "own", "pooled": "common"}
SCALING_MEANING = {
    "own": "per-city: each city normalised and classified on its own wards (a score says how a ward ranks in its city)",
    "common": "pooled: one normalisation and one set of class breaks learned on all the cities' wards together "
    "(the same score and class mean the same in every city)",
}


def cities_table(results: Mapping[str, Any]) -> tuple[pd.DataFrame, dict[str, dict]]:
    """The cities' export tables one under the other, with a ``city`` column first; and each city's suppressed
    cells."""
    tables, suppressed = [], {}
    for city, result in results.items():
        table, suppressed[city] = result.export_table()
        tables.append(table.assign(city=city)[["city", *table.columns]])
    return pd.concat(tables, ignore_index=True), suppressed


def cities_metadata(results: Mapping[str, Any], suppressed: Mapping[str, dict]) -> dict[str, Any]:
    """The ``metadata`` of a multi-city export: the scaling, the method, the pooled profiles, each city's own."""
    first = next(iter(results.values()))
    method = first.method
    per_city = {}
    for city, result in results.items():
        meta = result.metadata(suppressed[city])
        meta.pop("risk_profiles", None)  # pooled: written once, below
        per_city[city] = meta
    out = {
        "title": "Ward risk scores: " + ", ".join(map(str, results)),
        "software": {"name": "hotspots", "version": __version__},
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "cities": list(map(str, results)),
        "city_column": "city",
        "scaling": {
            "method_scaling": method.scaling if method else "own",
            "option": {v: k for k, v in SCALING_WORDS.items()}[method.scaling if method else "own"],
            "meaning": SCALING_MEANING[method.scaling if method else "own"],
        },
        "synthetic_data": any(r.city.synthetic for r in results.values()),
        "method": method.to_dict() if method else None,
        "crs": "EPSG:4326 (RFC 7946: longitude, latitude)",
        "per_city": per_city,
    }
    if first.profiles is not None:
        out["risk_profiles"] = first.profiles.to_dict()
    return out


def cities_geojson(results: Mapping[str, Any], path=None) -> str:
    """One RFC 7946 FeatureCollection of every city's wards (property ``city``), with :func:`cities_metadata`."""
    import geopandas as gpd

    table, suppressed = cities_table(results)
    shapes = [r.layer.geometry.to_crs(4326).to_numpy() for r in results.values()]
    geometry = gpd.GeoDataFrame(geometry=gpd.GeoSeries(np.concatenate(shapes), crs=4326))
    text = geojson_text(geometry, table, cities_metadata(results, suppressed))
    if path is not None:
        write_text(path, text)
    return text


def cities_csv(results: Mapping[str, Any], path=None) -> str:
    """One CSV of every city's wards (column ``city``); with ``path``, the metadata in ``<path>.metadata.json``."""
    table, suppressed = cities_table(results)
    text = csv_text(table)
    if path is not None:
        write_text(path, text)
        meta = json.dumps(cities_metadata(results, suppressed), indent=2, ensure_ascii=False, default=_json_default)
        write_text(Path(str(path) + ".metadata.json"), meta + "\n")
    return text


def summary_path(out) -> Path:
    """Where a multi-city run writes its cross-city summary: ``<out stem>_summary.csv`` next to ``out``."""
    out = Path(out)
    return out.with_name(f"{out.stem}_summary.csv")


def write_summary(results: Mapping[str, Any], out) -> Path:
    """The cross-city summary table (:func:`hotspots.summary.city_summary`) as CSV next to ``out``."""
    from .summary import city_summary

    table = city_summary(results).round(4)
    path = summary_path(out)
    write_text(path, csv_text(table))
    return path
