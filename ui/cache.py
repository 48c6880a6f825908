"""Every cached package call of the app, in one place, following the data flow.

Files are read once per (bytes, name) (``st.cache_data``); validation and join once per city and set of framework
columns (:meth:`hotspots.framework.Framework.columns_key`); the neighbour graph once per boundary file and neighbour
rule; so a weight change redoes only scoring, hotspot statistics and the map. The correlation and bivariate
statistics of the Interactions tab are cached on the scores themselves (and the graph's key).

A city is a *spec*, a plain dict (see :func:`ui.state.demo_specs`). Arguments whose names start with ``_`` are not
hashed by Streamlit: the key arguments before them say what they depend on.

*Bounded memory.* Every cache is shared by all sessions of the server and bounded twice: by entries (least
recently used go first) and by age (:data:`TTL_S`, an hour: an entry older than that is made again when next
asked for). The largest entries are the cities' files as read; a prepared or scored city keeps its files alive, so
the number of cities held at once is bounded by the entries below, whatever a day-long workshop uploads.
``python bench/bench_memory.py`` measures it (bench/RESULTS.md: memory of a server after 50 uploaded variants).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from hotspots.framework import Framework
from hotspots.io import IdGuess, guess_id_columns, numeric_columns, workbook_sheets
from hotspots.maps import bivariate_map, ensure_static_assets
from hotspots.maps.element import map_parts
from hotspots.method import Method
from hotspots.pipeline import city_graph, city_key, prepare_city, read_city, score_cities, score_city
from hotspots.scenarios import compare_scenarios, union_framework
from hotspots.spatial import DimensionCorrelation, bivariate_local_moran, dimension_correlation
from hotspots.suppression import DEFAULT_SUPPRESS_BELOW
from hotspots.uncertainty import uncertainty_analysis
from hotspots.workspace import Store, default_path, open_store
from ui.common import basemap_tiles, city_map, city_title

SEED = 12345  # the pipeline's default seed: the same permutations as the command line
TTL_S = 3600  #: seconds an entry of any cache lives
FILES = 8  #: cities' files as read (the largest entries: tables and boundaries)
CITIES = 8  #: validated and joined cities, and their neighbour graphs
SCORED = 16  #: scored cities and drawn maps: one per city and model setting (weights, method)
SMALL = 32  #: sheets, numeric columns, ID guesses, correlations and bivariate statistics (small results)
ROOMS = 4  #: the walls of rooms held (published items, files included, scored), one per room


@st.cache_data(show_spinner="Reading the files…", max_entries=FILES, ttl=TTL_S)
def load_raw(
    indicators: str | bytes,
    indicators_name: str,
    boundaries: str | bytes,
    boundaries_name: str,
    name: str,
    synthetic: bool | None,
    sheet: str | None = None,
):
    """The city's files as read (cached on their bytes or paths, names and the workbook's sheet)."""
    return read_city(
        indicators,
        boundaries,
        name=name,
        indicators_name=indicators_name,
        boundaries_name=boundaries_name,
        synthetic=synthetic,
        sheet=sheet,
    )


@st.cache_data(max_entries=SMALL, ttl=TTL_S)
def table_sheets(indicators: str | bytes, indicators_name: str) -> tuple[list[str], str | None]:
    """The sheets of an uploaded workbook and the one read by default (``([], None)`` for CSV)."""
    return workbook_sheets(indicators, name=indicators_name)


@st.cache_resource(show_spinner="Checking and joining the data…", max_entries=CITIES, ttl=TTL_S)
def _prepared(key: str, id_column: str, boundary_id_column: str, _raw, _framework: Framework):
    return prepare_city(_raw, _framework, id_column=id_column, boundary_id_column=boundary_id_column)


@st.cache_resource(show_spinner="Finding neighbouring wards…", max_entries=CITIES, ttl=TTL_S)
def _graph(graph_key: str, _city, _method: Method):
    return city_graph(_city, _method)


@st.cache_resource(show_spinner="Scoring wards and testing for hot spots…", max_entries=SCORED, ttl=TTL_S)
def _scored(city_key: str, method_key: str, graph_key: str, _city, _method: Method, _graph):
    return score_city(_city, _method, graph=_graph)


@st.cache_resource(show_spinner="Re-scoring under many variants of the model…", max_entries=CITIES, ttl=TTL_S)
def _uncertainty(
    city_key: str, method_key: str, graph_key: str, n_variants: int, seed: int, _city, _method: Method, _graph
):
    return uncertainty_analysis(_city, _method, n_variants, seed, graph=_graph)


def uncertainty_of(spec: dict, inputs: dict, n_variants: int, seed: int):
    """The city's ranks and hot spots across ``n_variants`` seeded variants of the current model (cached per city
    key, method key, N and seed)."""
    method = method_of(inputs)
    city = prepared_city(spec, method.framework)
    graph, graph_key = neighbour_graph_of(spec, inputs)
    return _uncertainty(city.key, method.key, graph_key, n_variants, seed, _city=city, _method=method, _graph=graph)


@st.cache_resource(show_spinner="Scoring the cities on one common scale…", max_entries=CITIES, ttl=TTL_S)
def _scored_common(cities_key: tuple, method_key: str, _cities: dict, _method: Method, _graphs: dict):
    return score_cities(_cities, _method, scale="common", graphs=_graphs)


@st.cache_data(show_spinner="Testing where kinds of risk meet…", max_entries=SMALL, ttl=TTL_S)
def bivariate_clusters(
    x: pd.Series, y: pd.Series, graph_key: str, permutations: int | str, correction: str, _graph
) -> pd.DataFrame:
    """Bivariate local Moran of x against the neighbours' y, both keyed by ward ID (cached on values and graph)."""
    return bivariate_local_moran(x, y, _graph, permutations=permutations, seed=SEED, correction=correction).frame


@st.cache_data(max_entries=SMALL, ttl=TTL_S)
def score_correlation(scores: pd.DataFrame) -> DimensionCorrelation:
    """Pearson and Spearman correlations between the dimension score columns (cached on the scores)."""
    return dimension_correlation(scores, list(scores.columns))


@st.cache_data(max_entries=SMALL, ttl=TTL_S)
def _numeric_columns(table_sha256: str, _raw) -> list[str]:
    return numeric_columns(_raw.table_read)


@st.cache_data(show_spinner="Looking for the ward ID columns…", max_entries=SMALL, ttl=TTL_S)
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
        spec.get("sheet"),
    )


def _files_key(raw) -> str:
    return raw.key


def table_numeric_columns(raw) -> list[str]:
    """Columns of a city's table that hold numbers (candidates for new indicators; cached per table)."""
    return _numeric_columns(raw.table_read.sha256, _raw=raw)


def id_guess(raw) -> IdGuess:
    """The ward ID columns of an upload, guessed from their values (cached per pair of files)."""
    return _id_guess(_files_key(raw), _raw=raw)


def method_of(inputs: dict) -> Method:
    """The sidebar's choices as the package's Method (its key is the cache key of every scored city)."""
    return Method(
        framework=inputs["framework"],
        neighbours=inputs["neighbours"],
        permutations=inputs["permutations"],
        seed=SEED,
        correction=inputs["correction"],
        suppress_below=inputs.get("suppress_below", DEFAULT_SUPPRESS_BELOW),
    )


def prepared_city(spec: dict, framework: Framework):
    """Read, validate and join a city (each step cached). Raises the package's errors."""
    raw = raw_city(spec)
    key = city_key(raw, framework.columns_key(), spec["id_column"], spec["boundary_id_column"])
    return _prepared(key, spec["id_column"], spec["boundary_id_column"], _raw=raw, _framework=framework)


def neighbour_graph_of(spec: dict, inputs: dict):
    """The city's neighbour graph (cached per boundary file, ID column and neighbour rule) and its cache key.

    The graph carries its ward IDs and every statistic aligns values to it by ward ID, so one graph serves every
    table joined to the same boundaries (another year, another row order) and never mixes wards up.
    """
    city = prepared_city(spec, inputs["framework"])
    method = method_of(inputs)
    key = city.graph_key(method)
    return _graph(key, _city=city, _method=method), key


def scored_city(spec: dict, inputs: dict):
    """A city scored with the current model (cached per city key and method key, from the package)."""
    method = method_of(inputs)
    city = prepared_city(spec, method.framework)
    graph, graph_key = neighbour_graph_of(spec, inputs)
    return _scored(city.key, method.key, graph_key, _city=city, _method=method, _graph=graph)


def scored_on_common_scale(specs: dict[str, dict], inputs: dict) -> dict:
    """Several cities scored on one scale learned from all their wards (cached per set of cities and method). The
    same city given twice (two groups publishing it to a room) is scored once and counts once in the scale."""
    method = method_of(inputs)
    prepared = {label: prepared_city(spec, method.framework) for label, spec in specs.items()}
    first = {}  # city key -> the first label of that city
    for label, city in prepared.items():
        first.setdefault(city.key, label)
    distinct = {label: prepared[label] for label in first.values()}
    graphs = {label: neighbour_graph_of(specs[label], inputs)[0] for label in distinct}
    key = tuple((label, city.key) for label, city in distinct.items())
    scored = _scored_common(key, method.key, _cities=distinct, _method=method, _graphs=graphs)
    return {label: scored[first[city.key]] for label, city in prepared.items()}


@st.cache_resource(show_spinner="Drawing the map…", max_entries=SCORED, ttl=TTL_S)
def _map_parts(version: str, _result, _inputs: dict, _options: dict) -> dict:
    return {**map_parts(city_map(_result, _inputs, **_options)), "version": version}


def drawn_map(result, inputs: dict, *, scale: str = "own", **options) -> dict:
    """A scored city's risk map as the map component draws it, with its ``version`` (the cache key: city key,
    method key, basemap, and the scale and :func:`ui.common.city_map` options of the Compare tab's maps)."""
    version = "|".join(
        [result.city.key, method_of(inputs).key, str(basemap_tiles(inputs)), scale]
        + [f"{k}={v}" for k, v in sorted(options.items())]
    )
    return _map_parts(version, _result=result, _inputs=inputs, _options=options)


@st.cache_resource(show_spinner="Drawing the map…", max_entries=SMALL, ttl=TTL_S)
def _bivariate_parts(version: str, x: str, y: str, _result, _clusters: pd.DataFrame, _inputs: dict) -> dict:
    fmap = bivariate_map(
        _result.layer,
        _clusters,
        x,
        y,
        title=city_title(_result),
        synthetic=_result.city.synthetic,
        tiles=basemap_tiles(_inputs),
        compact=True,
    )
    return {**map_parts(fmap), "version": version}


def drawn_bivariate_map(result, clusters: pd.DataFrame, x: str, y: str, inputs: dict) -> dict:
    """The bivariate cluster map of ``x`` in the ward against ``y`` around it, as the map component draws it
    (cached per city key, method key, pair and basemap: the clusters follow from these)."""
    version = "|".join([result.city.key, method_of(inputs).key, str(basemap_tiles(inputs)), "bivariate", x, y])
    return _bivariate_parts(version, x, y, _result=result, _clusters=clusters, _inputs=inputs)


@st.cache_resource(show_spinner=False, max_entries=1)
def static_leaflet(app_dir: str) -> str:
    """Copy Leaflet into ``<app_dir>/static/hotspots-leaflet`` for Streamlit's static serving (once per server)."""
    return str(ensure_static_assets(app_dir))


@st.cache_resource(show_spinner=False, max_entries=4, ttl=TTL_S)  # expiring only reopens the same file
def _workspace_store(path: str) -> Store:
    return open_store(path)


def workspace_store() -> Store:
    """The workspace store of this server (``$HOTSPOTS_DB``, else the per-user default), opened once per path."""
    return _workspace_store(str(default_path()))


@st.cache_resource(show_spinner=False, max_entries=SCORED * ROOMS, ttl=TTL_S)
def per_revision(version: str, _make: Callable[[], Any]) -> Any:
    """What ``_make()`` returns, made once per ``version`` for every session of the server: for the small parts of
    what a room's wall shows (its summary table and maps), ``version`` names the room, its revision
    (:meth:`hotspots.workspace.Store.room_revision`) and the part, so a wall that did not change is not made again."""
    return _make()


class _Walls:
    """The last wall built for each of the last :data:`ROOMS` rooms, and the rooms whose wall is being built."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.built: OrderedDict[str, tuple[tuple, Any]] = OrderedDict()  # room -> (revision, wall)
        self.building: set[str] = set()


@st.cache_resource(show_spinner=False, max_entries=1, ttl=TTL_S)
def _walls() -> _Walls:
    return _Walls()  # one for the server (renewed, empty, after TTL_S: a wall is then built again)


def built_revision(room: str) -> tuple | None:
    """The revision of the room's last wall built (None: none is held)."""
    walls = _walls()
    with walls.lock:
        done = walls.built.get(room)
    return None if done is None else done[0]


def latest_wall(room: str, revision: tuple, build: Callable[[], Any]) -> tuple[tuple, Any]:
    """The room's wall at ``revision`` (``build()``, made once for every session of the server), or, while one
    session builds a newer wall, the last one built: ``(revision shown, wall)``.

    A burst of publishes (every group at the end of its work) then costs one build at a time, each of the newest
    revision when it starts, instead of one build per publish and per session, all at once on the server's one
    Python core. The walls of the last :data:`ROOMS` rooms are held.
    """
    revision, walls = tuple(revision), _walls()
    with walls.lock:
        done = walls.built.get(room)
        if done is not None and (done[0] == revision or room in walls.building):
            return done
        walls.building.add(room)
    try:
        wall = build()
    finally:
        with walls.lock:
            walls.building.discard(room)
    with walls.lock:  # the last build to finish is shown (a wall older than the room's is built again)
        walls.built[room] = (revision, wall)
        walls.built.move_to_end(room)
        while len(walls.built) > ROOMS:
            walls.built.popitem(last=False)
    return revision, wall


@st.cache_resource(show_spinner="Scoring the scenarios…", max_entries=CITIES, ttl=TTL_S)
def _compared(city_key: str, scenario_keys: tuple, _city, _methods: dict, _graphs: dict):
    return compare_scenarios(_city, _methods, graphs=_graphs)


def compared_scenarios(spec: dict, methods: dict[str, Method]):
    """One city scored under each scenario and compared (cached per city key and (name, method key) pairs); the
    neighbour graphs come from the same cache as the Map tab's."""
    city = prepared_city(spec, union_framework(methods.values()))
    graphs = {}
    for method in methods.values():
        key = city.graph_key(method)
        if method.hotspots and key not in graphs:
            graphs[key] = _graph(key, _city=city, _method=method)
    keys = tuple((name, method.key) for name, method in methods.items())
    return _compared(city.key, keys, _city=city, _methods=methods, _graphs=graphs)
