"""Every cached package call of the app, in one place, following the data flow.

Files are read once per (bytes, name) (``st.cache_data``); validation and join once per city and set of framework
columns (:meth:`hotspots.framework.Framework.columns_key`); the neighbour graph once per boundary file and neighbour
rule; so a weight change redoes only scoring, hotspot statistics and the map. The correlation and bivariate
statistics of the Interactions tab are cached on the scores themselves (and the graph's key).

A city is a *spec*, a plain dict (see :func:`ui.state.demo_specs`). Arguments whose names start with ``_`` are not
hashed by Streamlit: the key arguments before them say what they depend on.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import streamlit as st

from hotspots.framework import Framework
from hotspots.io import IdGuess, guess_id_columns, numeric_columns
from hotspots.pipeline import city_graph, prepare_city, read_city, score_cities, score_city
from hotspots.spatial import DimensionCorrelation, bivariate_local_moran, dimension_correlation

SEED = 12345  # the pipeline's default seed: the same permutations as the command line


@st.cache_data(show_spinner="Reading the files…", max_entries=32)
def load_raw(
    indicators: str | bytes,
    indicators_name: str,
    boundaries: str | bytes,
    boundaries_name: str,
    name: str,
    synthetic: bool | None,
):
    """The city's files as read (cached on their bytes or paths, and names)."""
    return read_city(
        indicators,
        boundaries,
        name=name,
        indicators_name=indicators_name,
        boundaries_name=boundaries_name,
        synthetic=synthetic,
    )


@st.cache_resource(show_spinner="Checking and joining the data…", max_entries=64)
def _prepared(
    files_key: str, columns_key: str, id_column: str, boundary_id_column: str, name: str, _raw, _framework: Framework
):
    return prepare_city(_raw, _framework, id_column=id_column, boundary_id_column=boundary_id_column)


@st.cache_resource(show_spinner="Finding neighbouring wards…", max_entries=64)
def _graph(boundaries_key: str, boundary_id_column: str, neighbours: str, _city):
    return city_graph(_city, neighbours)


@st.cache_resource(show_spinner="Scoring wards and testing for hot spots…", max_entries=64)
def _scored(
    city_key: str,
    framework_json: str,
    neighbours: str,
    permutations: int,
    correction: str,
    _city,
    _framework: Framework,
    _graph,
):
    return score_city(
        _city, _framework, graph=_graph, permutations=permutations, correction=correction, neighbours=neighbours
    )


@st.cache_resource(show_spinner="Scoring the cities on one common scale…", max_entries=16)
def _scored_common(
    cities_key: str,
    framework_json: str,
    neighbours: str,
    permutations: int,
    correction: str,
    _cities: dict,
    _framework: Framework,
    _graphs: dict,
):
    return score_cities(
        _cities,
        _framework,
        scale="common",
        graphs=_graphs,
        permutations=permutations,
        correction=correction,
        neighbours=neighbours,
    )


@st.cache_data(show_spinner="Testing where kinds of risk meet…", max_entries=64)
def bivariate_clusters(
    x: pd.Series, y: pd.Series, graph_key: str, permutations: int | str, correction: str, _graph
) -> pd.DataFrame:
    """Bivariate local Moran of x against the neighbours' y, both keyed by ward ID (cached on values and graph)."""
    return bivariate_local_moran(x, y, _graph, permutations=permutations, seed=SEED, correction=correction).frame


@st.cache_data(max_entries=64)
def score_correlation(scores: pd.DataFrame) -> DimensionCorrelation:
    """Pearson and Spearman correlations between the dimension score columns (cached on the scores)."""
    return dimension_correlation(scores, list(scores.columns))


@st.cache_data(max_entries=32)
def _numeric_columns(table_sha256: str, _raw) -> list[str]:
    return numeric_columns(_raw.table_read)


@st.cache_data(show_spinner="Looking for the ward ID columns…", max_entries=32)
def _id_guess(files_key: str, _raw) -> IdGuess:
    return guess_id_columns(_raw.table_read.table, _raw.boundaries_read.wards)


def raw_city(spec: dict):
    """A city's files as read (cached)."""
    return load_raw(
        spec["indicators"],
        spec["indicators_name"],
        spec["boundaries"],
        spec["boundaries_name"],
        spec["name"],
        spec["synthetic"],
    )


def _files_key(raw) -> str:
    return f"{raw.table_read.sha256}:{raw.boundaries_read.sha256}:{raw.synthetic}"


def table_numeric_columns(raw) -> list[str]:
    """Columns of a city's table that hold numbers (candidates for new indicators; cached per table)."""
    return _numeric_columns(raw.table_read.sha256, _raw=raw)


def id_guess(raw) -> IdGuess:
    """The ward ID columns of an upload, guessed from their values (cached per pair of files)."""
    return _id_guess(_files_key(raw), _raw=raw)


def prepared_city(spec: dict, framework: Framework):
    """Read, validate and join a city (each step cached). Raises the package's errors."""
    raw = raw_city(spec)
    return _prepared(
        _files_key(raw),
        framework.columns_key(),
        spec["id_column"],
        spec["boundary_id_column"],
        spec["name"],
        _raw=raw,
        _framework=framework,
    )


def neighbour_graph_of(spec: dict, inputs: dict):
    """The city's neighbour graph (cached per boundary file and neighbour rule) and its cache key."""
    city = prepared_city(spec, inputs["framework"])
    key = [city.raw.boundaries_read.sha256, spec["boundary_id_column"], inputs["neighbours"]]
    return _graph(*key, _city=city), json.dumps(key)


def _city_key(spec: dict, raw) -> str:
    """What a city's scores depend on besides the model (to be replaced by the package's city key)."""
    return json.dumps(
        [
            raw.table_read.sha256,
            raw.boundaries_read.sha256,
            raw.synthetic,
            spec["name"],
            spec["id_column"],
            spec["boundary_id_column"],
        ]
    )


def scored_city(spec: dict, inputs: dict):
    """A city scored with the current model (cached per city, model and hotspot options)."""
    framework = inputs["framework"]
    city = prepared_city(spec, framework)
    graph, _ = neighbour_graph_of(spec, inputs)
    return _scored(
        _city_key(spec, city.raw),
        framework.to_json(),
        inputs["neighbours"],
        inputs["permutations"],
        inputs["correction"],
        _city=city,
        _framework=framework,
        _graph=graph,
    )


def scored_on_common_scale(specs: dict[str, dict], inputs: dict) -> dict:
    """Several cities scored on one scale learned from all their wards (cached per set of cities and model)."""
    framework = inputs["framework"]
    prepared = {label: prepared_city(spec, framework) for label, spec in specs.items()}
    graphs = {label: neighbour_graph_of(spec, inputs)[0] for label, spec in specs.items()}
    key = json.dumps([[label, c.raw.table_read.sha256, c.raw.boundaries_read.sha256] for label, c in prepared.items()])
    return _scored_common(
        key,
        framework.to_json(),
        inputs["neighbours"],
        inputs["permutations"],
        inputs["correction"],
        _cities=prepared,
        _framework=framework,
        _graphs=graphs,
    )
