"""One call that runs the whole path: read -> validate -> join -> score -> hotspots -> classify -> export.

The stages are separate so that an interactive front end can cache what does not change: :func:`read_city`
(file reading, the slow part) does not depend on the model; :func:`prepare_city` (validation and join) depends on
which columns the framework uses; :func:`score_city` depends on the weights; the neighbour graph depends only on
the boundaries (:func:`city_graph`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .classify import Classification, classify
from .errors import DataError
from .export import (
    csv_text,
    export_table,
    geojson_text,
    provenance,
    write_text,
)
from .framework import Framework, default_framework
from .io import guess_decimal, join_wards, normalise_ids, read_boundaries, read_table
from .method import Method
from .scoring import RiskScorer, ScoreResult
from .suppression import DEFAULT_SUPPRESS_BELOW
from .validate import ValidatedTable, validate_table


@dataclass
class RawCity:
    """The files of one city as read, before any model is applied (cache this: reading is the slow part)."""

    name: str
    table_read: Any  # hotspots.io.TableRead
    boundaries_read: Any  # hotspots.io.BoundariesRead
    synthetic: bool = False

    @property
    def key(self) -> str:
        """What the city's files are: their SHA-256 digests, the name and the synthetic flag, and the sheet read
        from a workbook of several sheets (a cache key)."""
        parts = [self.table_read.sha256, self.boundaries_read.sha256, self.name, self.synthetic]
        if len(getattr(self.table_read, "sheets", ())) > 1:
            parts.append(self.table_read.sheet)
        return _digest(parts)

    @property
    def inputs(self) -> list[dict]:
        out = []
        for role, r in (("indicators", self.table_read), ("boundaries", self.boundaries_read)):
            item = {"role": role, "file": Path(str(r.source)).name, "sha256": r.sha256}
            fmt = getattr(r, "format", None) or getattr(r, "encoding", None)
            if fmt:
                item["format" if role == "boundaries" else "encoding"] = fmt
            out.append(item)
        return out


@dataclass
class CityData:
    """A city whose table passed validation and was joined to its boundaries.

    Attributes
    ----------
    wards : every boundary ward (EPSG:4326) with ``ward_id`` and the validated table's columns; wards without a
        table row keep empty values (they are mapped as "no data").
    table : the validated table (every table row, matched or not).
    join : the join report (unmatched wards both ways).
    kept_id_columns : the user's own ward ID columns kept in ``wards`` beside ``ward_id``, with the IDs as read
        (not normalised), for exports that a GIS joins back on: the boundaries' ID column (its values for every
        ward), and the table's when it has another name (its text, empty for wards not in the table). Names that
        are ``ward_id`` or already used by the export are not repeated.
    """

    name: str
    wards: Any
    table: ValidatedTable
    join: Any
    raw: RawCity
    notes: list[str] = field(default_factory=list)
    id_column: str = "ward_id"
    boundary_id_column: str = "ward_id"
    columns_key: str = ""
    kept_id_columns: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """What the prepared city depends on: its files, ID columns and the framework's columns (a cache key)."""
        return city_key(self.raw, self.columns_key, self.id_column, self.boundary_id_column)

    def graph_key(self, method: Method | str = "queen") -> str:
        """What the city's neighbour graph depends on: the boundary file, its ID column and the neighbour rule."""
        rule = [method.neighbours, method.snap_tolerance] if isinstance(method, Method) else [method, None]
        return _digest([self.raw.boundaries_read.sha256, self.boundary_id_column, *rule])

    @property
    def synthetic(self) -> bool:
        return self.raw.synthetic

    @functools.cached_property
    def scored_table(self) -> pd.DataFrame:
        """The table's rows whose ward is on the map: the rows that are scored and that the scale is learned on.

        Rows whose ward ID has no boundary are reported by the join and left out: they must not move the scale
        (an extreme unmatched row would shift every ward's normalised value).
        """
        table = self.table.table
        ids = pd.Index(self.wards["ward_id"].to_numpy(dtype=object))  # object hashing: fast for Arrow strings too
        on_map = ids.get_indexer(table["ward_id"].to_numpy(dtype=object)) >= 0
        return table if on_map.all() else table[on_map]


def read_city(
    indicators,
    boundaries,
    *,
    name: str = "",
    indicators_name: str | None = None,
    boundaries_name: str | None = None,
    boundary_id_column: str | None = None,
    synthetic: bool | None = None,
    sheet: str | None = None,
) -> RawCity:
    """Read a city's indicator table and boundary file (paths, bytes or uploaded files).

    The boundary file is parsed in a background thread (GDAL releases the GIL) while the table is read.
    ``sheet``: the sheet of a workbook to read (default: the first; see :func:`hotspots.io.read_table`).
    """
    return _read_and_validate(
        indicators,
        boundaries,
        name=name,
        indicators_name=indicators_name,
        boundaries_name=boundaries_name,
        boundary_id_column=boundary_id_column,
        synthetic=synthetic,
        sheet=sheet,
    )[0]


def load_city(
    indicators,
    boundaries,
    framework: Framework,
    *,
    id_column: str,
    boundary_id_column: str | None = None,
    name: str = "",
    indicators_name: str | None = None,
    boundaries_name: str | None = None,
    synthetic: bool | None = None,
    sheet: str | None = None,
) -> CityData:
    """Read, validate and join a city in one call (:func:`read_city` then :func:`prepare_city`, overlapped).

    The boundary file is parsed in a background thread while the table is read and validated, so that reading
    and checking the table costs (almost) nothing on top of reading the boundaries. ``sheet``: the sheet of a
    workbook to read (default: the first sheet that has ``id_column``).
    """
    raw, validated = _read_and_validate(
        indicators,
        boundaries,
        name=name,
        indicators_name=indicators_name,
        boundaries_name=boundaries_name,
        boundary_id_column=boundary_id_column or id_column,
        synthetic=synthetic,
        framework=framework,
        id_column=id_column,
        sheet=sheet,
    )
    return prepare_city(raw, framework, id_column=id_column, boundary_id_column=boundary_id_column, validated=validated)


def _read_and_validate(
    indicators,
    boundaries,
    *,
    name,
    indicators_name,
    boundaries_name,
    boundary_id_column,
    synthetic,
    framework=None,
    id_column=None,
    sheet=None,
):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="hotspots-read") as pool:
        boundaries_future = pool.submit(read_boundaries, boundaries, name=boundaries_name, id_column=boundary_id_column)
        try:
            table_read = read_table(indicators, name=indicators_name, sheet=sheet, id_column=id_column)
            validated = None
            if framework is not None:
                validated = validate_table(
                    table_read, framework, id_column=id_column, decimal=guess_decimal(table_read)
                )
        except BaseException:
            boundaries_future.cancel()
            raise
        boundaries_read = boundaries_future.result()
    if synthetic is None:
        synthetic = (
            "synthetic" in str(table_read.source).lower()
            or "synthetic" in str(boundaries_read.source).lower()
            or _declares_synthetic(boundaries)
        )
    raw = RawCity(
        name=name or Path(str(table_read.source)).stem,
        table_read=table_read,
        boundaries_read=boundaries_read,
        synthetic=bool(synthetic),
    )
    return raw, validated


def _declares_synthetic(source) -> bool:
    """True when a GeoJSON's top-level ``metadata`` says ``"synthetic": true`` (as the demo files do)."""
    import re

    try:
        if isinstance(source, (str, Path)):
            with open(source, "rb") as fh:
                head = fh.read(4096)
        elif isinstance(source, bytes):
            head = source[:4096]
        elif hasattr(source, "getvalue"):
            head = source.getvalue()[:4096]
        else:
            return False
    except OSError:
        return False
    return re.search(rb'"metadata"\s*:\s*\{[^{}]*"synthetic"\s*:\s*true', head) is not None


def prepare_city(
    raw: RawCity,
    framework: Framework,
    *,
    id_column: str,
    boundary_id_column: str | None = None,
    decimal: str | None = None,
    validated: ValidatedTable | None = None,
) -> CityData:
    """Validate the table against the framework and join it to the boundaries.

    ``validated`` skips the validation when the table was already validated against this framework.
    """
    tr = raw.table_read
    if validated is None:
        decimal = decimal or guess_decimal(tr)
        validated = validate_table(tr, framework, id_column=id_column, decimal=decimal)
    bid = boundary_id_column or id_column
    joined, report = join_wards(
        validated.table,
        raw.boundaries_read.wards,
        id_column="ward_id",
        boundary_id_column=bid,
        table_source=tr.source,
        boundary_source=raw.boundaries_read.source,
    )
    wards = _all_boundary_wards(joined, raw.boundaries_read.wards, bid, report, validated.table.columns)
    wards, kept_id_columns = _with_user_id_columns(wards, raw, id_column, bid)
    notes = list(tr.notes) + list(raw.boundaries_read.notes) + list(validated.notes) + list(report.notes)
    if report.matched == 0:
        raise DataError(
            f"No ward of {tr.source} (column '{id_column}') matches a ward of {raw.boundaries_read.source} "
            f"(column '{bid}'). Check that both columns hold the same ward IDs; e.g. table IDs "
            f"{validated.table['ward_id'].head(3).tolist()} vs boundary IDs "
            f"{raw.boundaries_read.wards[bid].head(3).tolist() if bid in raw.boundaries_read.wards else '?'}."
        )
    if report.unmatched_table:
        notes.append(
            f"{len(report.unmatched_table)} row(s) of the table have no ward in the boundaries: they are not scored "
            f"and do not enter the scale, which is learned on the {report.matched} ward(s) on the map."
        )
    return CityData(
        name=raw.name,
        wards=wards,
        table=validated,
        join=report,
        raw=raw,
        notes=notes,
        id_column=id_column,
        boundary_id_column=bid,
        columns_key=framework.columns_key(),
        kept_id_columns=kept_id_columns,
    )


def city_key(raw: RawCity, columns_key: str, id_column: str, boundary_id_column: str | None = None) -> str:
    """The key of a prepared city (:attr:`CityData.key`), computable before preparing it (for caches)."""
    return _digest([raw.key, columns_key, id_column, boundary_id_column or id_column])


def _digest(parts) -> str:
    import hashlib
    import json

    return hashlib.sha256(json.dumps(parts, default=str).encode("utf-8")).hexdigest()[:20]


def _all_boundary_wards(joined, boundaries, bid, report, table_columns):
    """Matched wards (table order) plus boundary-only wards as "no data" (never dropped, never scored 0)."""
    import geopandas as gpd

    cols = ["ward_id"] + [c for c in table_columns if c != "ward_id" and c in joined.columns]
    matched = gpd.GeoDataFrame(joined[cols], geometry=joined.geometry.to_numpy(), crs=joined.crs)
    if not report.unmatched_boundaries or bid not in boundaries.columns:
        return matched.reset_index(drop=True)
    ids = normalise_ids(boundaries[bid])
    extra_mask = ids.isin(set(report.unmatched_boundaries)).to_numpy()
    extra = gpd.GeoDataFrame(
        {"ward_id": ids[extra_mask].to_numpy()}, geometry=boundaries.geometry.to_numpy()[extra_mask], crs=boundaries.crs
    )
    if extra["ward_id"].duplicated().any():
        extra = extra.dissolve(by="ward_id", as_index=False)
    out = pd.concat([matched, extra], ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=joined.crs)


def _with_user_id_columns(wards, raw: RawCity, id_column: str, bid: str):
    """``wards`` with the user's ID columns beside ``ward_id`` (the IDs as read), and their names."""
    from .export import HOTSPOT_FIELDS, SCORE_FIELDS

    sources = [(bid, raw.boundaries_read.wards)]
    if id_column != bid:
        sources.append((id_column, raw.table_read.table))
    taken = set(wards.columns) | set(SCORE_FIELDS) | set(HOTSPOT_FIELDS) | {"ward_id", "ward_id_table"}
    kept = []
    for column, frame in sources:
        if column in taken or column.endswith("_score") or column not in frame.columns:
            continue
        values = frame[column]
        as_read: dict[str, Any] = {}
        for ward_id, value in zip(normalise_ids(values), values.to_numpy(dtype=object)):
            if ward_id is not pd.NA:
                as_read.setdefault(ward_id, value)  # a multi-part ward: its first feature's value
        column_values = [as_read.get(w, pd.NA) for w in wards["ward_id"]]
        if all(w in as_read for w in wards["ward_id"]):
            wards[column] = pd.array(column_values, dtype=values.dtype)
        else:
            wards[column] = pd.array(column_values, dtype=object)
        kept.append(column)
        taken.add(column)
    if kept:
        ordered = ["ward_id", *kept] + [c for c in wards.columns if c not in kept and c != "ward_id"]
        wards = wards[ordered]
    return wards, tuple(kept)


def city_graph(city: CityData, neighbours: Method | str = "queen"):
    """The neighbour graph of a city's wards (depends only on the boundaries: cache it on ``city.graph_key``)."""
    from .spatial import neighbour_graph

    if isinstance(neighbours, Method):
        return neighbour_graph(
            city.wards, method=neighbours.neighbours, id_column="ward_id", snap_tolerance=neighbours.snap_tolerance
        )
    return neighbour_graph(city.wards, method=neighbours, id_column="ward_id")


@dataclass
class RiskResult:
    """A scored city: the map layer, every scoring stage, the class breaks, the hotspot statistics, the provenance."""

    city: CityData
    framework: Framework
    scores: ScoreResult
    classification: Classification
    breaks: dict[str, list[float]]
    layer: Any  # GeoDataFrame, EPSG:4326
    hotspots: Any = None  # hotspots.spatial.HotspotResult
    suppress_below: int = DEFAULT_SUPPRESS_BELOW
    method: Method | None = None
    profiles: Any = None  # hotspots.profiles.Profiles (pooled over the cities of a multi-city run)
    uncertainty: Any = None  # hotspots.uncertainty.UncertaintyResult, from hotspots.uncertainty.add_uncertainty

    @property
    def dimension_names(self) -> list[str]:
        return self.framework.dimension_names

    def hotspot_notes(self) -> list[str]:
        """Plain-language notes on the hotspot statistics: islands, wards cut off by missing data, small cities."""
        if self.hotspots is None:
            return []
        meta = self.hotspots.metadata
        names = dict(zip(self.layer["ward_id"], self.layer["ward_name"])) if "ward_name" in self.layer else {}

        def named(ids) -> str:
            return ", ".join(f"{i} ({names[i]})" if names.get(i) else str(i) for i in ids)

        notes = list(self.hotspots.notes)
        if meta.get("islands"):
            notes.append(
                f"{len(meta['islands'])} ward(s) have no neighbouring ward (islands) and get no hotspot "
                f"statistic (shown as not tested): {named(meta['islands'])}."
            )
        if meta.get("isolated_by_no_data"):
            notes.append(
                f"{len(meta['isolated_by_no_data'])} ward(s) have neighbours, but none with data, and get "
                f"no hotspot statistic: {named(meta['isolated_by_no_data'])}."
            )
        n = int(meta.get("n_with_data", len(self.layer)))
        if n < 30:
            notes.append(
                f"Only {n} wards have a score: with so few wards a hot spot can rarely be significant; "
                "read the map of scores rather than the hotspot layer."
            )
        return notes

    def metadata(self, suppressed: dict | None = None) -> dict[str, Any]:
        """The export's ``metadata`` member (method, weights, parameters, provenance, notes)."""
        if suppressed is None:
            _, suppressed = self.export_table()
        return provenance(self, suppressed)

    @property
    def count_columns(self) -> list[str]:
        """The indicator columns holding counts (unit "count"): small counts are suppressed in exports and maps."""
        return self.framework.count_columns

    def model_values(self) -> dict[str, np.ndarray]:
        """The values the model uses of its smoothed indicators (a smoothed rate), in the layer's row order (matched
        by ward ID), for the map's tooltip: the rate made from the layer's raw count would differ from the ward
        breakdown's under the same label. Empty when nothing is smoothed."""
        smoothed = [i.column for i in self.framework.indicators if i.smoothing != "none"]
        if not smoothed:
            return {}
        table = self.city.scored_table
        used = self.scores.prepared.loc[table.index, smoothed].set_axis(table["ward_id"].astype(str).to_numpy())
        aligned = used.reindex(self.layer["ward_id"].astype(str).to_numpy())
        return {column: aligned[column].to_numpy(dtype=float) for column in smoothed}

    def export_table(self):
        return export_table(
            self.layer,
            self.framework.columns,
            self.dimension_names,
            count_columns=self.count_columns,
            suppress_below=self.suppress_below,
            population_column=self.framework.population_column,
            id_columns=self.city.kept_id_columns,
        )

    def to_geojson(self, path=None) -> str:
        table, suppressed = self.export_table()
        text = geojson_text(self.layer, table, self.metadata(suppressed))
        if path is not None:
            write_text(path, text)
        return text

    def to_csv(self, path=None) -> str:
        """The CSV export; with ``path``, the method and provenance go beside it in ``<path>.metadata.json``."""
        table, suppressed = self.export_table()
        text = csv_text(table)
        if path is not None:
            import json

            write_text(path, text)
            write_text(
                Path(str(path) + ".metadata.json"),
                json.dumps(self.metadata(suppressed), indent=2, ensure_ascii=False, default=str) + "\n",
            )
        return text

    @functools.cached_property
    def suppression(self) -> pd.DataFrame:
        """What each count cell of :attr:`layer` is in every output: shown, small or complementary
        (:func:`hotspots.suppression.suppression_codes`, one int8 column per count column, indexed like the layer)."""
        from .suppression import suppression_codes

        return suppression_codes(self.layer, self.count_columns, self.suppress_below)

    def explain(self, ward_id: str) -> pd.DataFrame:
        """One ward's breakdown (indicator contributions to its dimension and risk scores, and its ranks).

        A suppressed count (:mod:`hotspots.suppression`: below the threshold, or hidden with one) is shown as
        "suppressed (< N)" (or "suppressed (protects a small count)"), as in every export, and so is a rate made
        from it; its normalised value, contributions and rank are left empty too (with the other wards' values
        they would give the count back). The scores use it all the same.
        """
        table = self.city.scored_table
        idx = table.index[table["ward_id"] == str(ward_id)]
        if len(idx) == 0:
            raise DataError(f"No ward with ID {ward_id!r} in {self.city.name} (or it has no boundary).")
        breakdown = self.scores.explain(idx[0])
        hidden = self._suppressed_of(str(ward_id))
        if hidden:
            from .suppression import suppressed_text

            rows = breakdown["indicator"].isin(list(hidden)).to_numpy()
            breakdown["value"] = breakdown["value"].astype(object)
            breakdown.loc[rows, "value"] = [
                suppressed_text(self.suppress_below, hidden[c]) for c in breakdown.loc[rows, "indicator"]
            ]
            blank = ["normalised", "contribution_to_dimension", "contribution_to_risk", "rank_among_wards"]
            breakdown.loc[rows, blank] = float("nan")
        return breakdown

    def _suppressed_of(self, ward_id: str) -> dict[str, int]:
        """The count indicators of one ward that every output hides, with their suppression code."""
        from .suppression import SHOWN

        codes = self.suppression.loc[(self.layer["ward_id"].astype(str) == ward_id).to_numpy()]
        if codes.empty:
            return {}
        row = codes.iloc[0]
        return {c: int(code) for c, code in row.items() if code != SHOWN}


def smoothed_table(city: CityData, method: Method, graph=None) -> tuple[pd.DataFrame, dict]:
    """Step 0: the wards on the map with their smoothed counts (:func:`hotspots.smoothing.smooth_counts`), and the
    log of the smoothing (empty when no indicator is smoothed). ``graph``: the city's (built when spatial EB needs
    it)."""
    from .smoothing import smooth_counts
    from .suppression import public_counts

    framework = method.framework
    if graph is None and any(ind.smoothing == "spatial_eb" for ind in framework.indicators):
        graph = city_graph(city, method)
    # the scores use only what suppression leaves public (hotspots.suppression.public_counts): a score made from a
    # hidden count would give it back
    return smooth_counts(
        public_counts(city.scored_table, framework.count_columns, method.suppress_below), framework, graph
    )


def score(city: CityData, method: Method, *, scorer: RiskScorer | None = None, graph=None) -> ScoreResult:
    """Step 1: smooth the rates that ask for it, then normalise, weight and aggregate the wards on the map
    (``scorer``: a fitted scale, else this city; ``graph``: the neighbour graph, for spatial smoothing)."""
    table, smoothing = smoothed_table(city, method, graph)
    if scorer is None:
        scorer = RiskScorer(method.framework).fit(table)
    result = scorer.transform(table)
    if smoothing:
        result.log["smoothing"] = smoothing
    return result


def classify_scores(
    scores: ScoreResult, method: Method, *, class_reference: dict[str, Any] | None = None
) -> tuple[Classification, dict[str, list[float]]]:
    """Step 2: the risk classes and the class breaks of every score column.

    ``class_reference``: per score column, the values to learn the breaks from (default: these scores); see
    :func:`score_cities`.
    """
    framework = method.framework
    class_reference = class_reference or {}
    frame = scores.scores
    cls = classify(
        frame["risk_score"].to_numpy(),
        framework.classification,
        thresholds=framework.thresholds,
        index=frame.index,
        reference=class_reference.get("risk_score"),
    )
    breaks = {"risk_score": cls.bins}
    for d in framework.dimension_names:
        breaks[f"{d}_score"] = classify(
            frame[f"{d}_score"].to_numpy(),
            framework.classification,
            thresholds=framework.thresholds,
            reference=class_reference.get(f"{d}_score"),
        ).bins
    return cls, breaks


def find_hotspots(risk: pd.Series, graph, method: Method):
    """Step 3: Gi* hot spots and local Moran clusters of the risk score, keyed by ward ID."""
    from .spatial import hotspot_statistics

    return hotspot_statistics(
        risk, graph, permutations=method.permutations, seed=method.seed, correction=method.correction
    )


def _method_of(framework_or_method: Framework | Method, options: dict[str, Any]) -> Method:
    """A Method from a Method, or from a framework and the keyword options of :func:`score_city`."""
    if isinstance(framework_or_method, Method):
        return framework_or_method.replace(**options) if options else framework_or_method
    return Method(framework=framework_or_method, **options)


def score_city(
    city: CityData,
    framework: Framework | Method,
    *,
    scorer: RiskScorer | None = None,
    graph=None,
    class_reference: dict[str, Any] | None = None,
    learn_profiles: bool = True,
    **options,
) -> RiskResult:
    """Score a prepared city, classify it and (optionally) find its hotspots: the three steps in turn.

    Parameters
    ----------
    city : from :func:`prepare_city`.
    framework : a :class:`Method`, or the framework with the method's options as keywords (``permutations``,
        ``seed``, ``correction``, ``neighbours``, ``snap_tolerance``, ``suppress_below``, ``hotspots``).
    scorer : a fitted :class:`RiskScorer` to score on another scale (another city, pooled cities); default: fit on
        this city.
    graph : a neighbour graph from :func:`city_graph` (built when missing and hotspots are on); it must hold the
        city's wards (matched by ward ID).
    class_reference : per score column, the values to learn class breaks from (default: this city's scores).
    learn_profiles : learn the city's risk profiles (:mod:`hotspots.profiles`) when the method asks for them;
        :func:`score_cities` learns them on all its cities pooled instead.
    """
    method = _method_of(framework, options)
    framework = method.framework
    if graph is None and (method.hotspots or any(i.smoothing == "spatial_eb" for i in framework.indicators)):
        graph = city_graph(city, method)
    result = score(city, method, scorer=scorer, graph=graph)
    cls, breaks = classify_scores(result, method, class_reference=class_reference)
    scored = pd.concat([city.scored_table[["ward_id"]], result.scores], axis=1)
    scored["risk_class"] = cls.labels
    layer = city.wards[
        [
            c
            for c in city.wards.columns
            if c in ("ward_id", "ward_name", framework.population_column)
            or c in city.kept_id_columns
            or c in framework.columns
            or c == city.wards.geometry.name
        ]
    ]
    layer = layer.merge(scored, on="ward_id", how="left")
    layer["risk_class"] = layer["risk_class"].fillna("No data")
    layer["coverage"] = layer["coverage"].fillna(0.0)
    _flag_small_population(layer, framework)
    hot = None
    if method.hotspots:
        risk = pd.Series(layer["risk_score"].to_numpy(dtype=float), index=layer["ward_id"].astype(str))
        hot = find_hotspots(risk, graph, method)
        stats = hot.frame.drop(columns="ward_id").reindex(layer["ward_id"].astype(str))
        layer = pd.concat([layer, stats.set_axis(layer.index)], axis=1)  # one concat, not a column at a time
    risk = RiskResult(
        city=city,
        framework=framework,
        scores=result,
        classification=cls,
        breaks=breaks,
        layer=layer,
        hotspots=hot,
        suppress_below=method.suppress_below,
        method=method,
    )
    if learn_profiles and method.profiles != 0:
        from .profiles import profiles_of

        profiles_of(risk, k=_profile_k(method), seed=method.seed)
    return risk


def _profile_k(method: Method) -> int | None:
    return None if method.profiles == "auto" else int(method.profiles)


def _pooled_profiles(results: dict[str, RiskResult], method: Method) -> dict[str, RiskResult]:
    """Risk profiles learned on all the cities' wards together, so that a profile means the same in each."""
    if method.profiles != 0:
        from .profiles import profile_results

        profile_results(results, k=_profile_k(method), seed=method.seed)
    return results


def _flag_small_population(layer, framework: Framework) -> None:
    """``small_population``: True where the ward's population is below the framework's ``min_population`` (empty
    where the population is unknown); nothing when no minimum is set. Flagged, never dropped."""
    column = framework.population_column
    if framework.min_population is None or column not in layer:
        return
    population = pd.to_numeric(layer[column], errors="coerce")
    flags = (population < float(framework.min_population)).astype(object).where(population.notna(), None)
    layer["small_population"] = pd.array(flags.tolist(), dtype="boolean")


def score_cities(
    cities: dict[str, CityData],
    framework: Framework | Method,
    *,
    scale: str | None = None,
    graphs: dict | None = None,
    **score_options,
) -> dict[str, RiskResult]:
    """Score several cities with one model, each on its own scale or all on one common scale.

    Parameters
    ----------
    cities : name -> prepared city.
    framework : a :class:`Method` (its ``scaling`` says the scale), or the framework with options as keywords.
    scale : ``"own"``: each city is normalised and classified on its own wards (a score says how a ward ranks in
        its city); ``"common"``: the normalisation is learned on all the cities' wards pooled and the class breaks
        on all their scores, so the same score and the same class mean the same in every city. Overrides the
        method's ``scaling``.
    graphs : name -> neighbour graph (built when missing).
    **score_options : the method's options (permutations, seed, correction, ...).
    """
    graphs = graphs or {}
    if scale is not None:
        score_options["scaling"] = scale
    method = _method_of(framework, score_options)
    if method.scaling == "own" or len(cities) < 2:
        own = {name: score_city(c, method, graph=graphs.get(name), learn_profiles=False) for name, c in cities.items()}
        return _pooled_profiles(own, method)
    import numpy as np

    framework = method.framework
    tables = [smoothed_table(c, method, graphs.get(name))[0] for name, c in cities.items()]
    pooled = pd.concat(tables, ignore_index=True)
    scorer = RiskScorer(framework).fit(pooled)
    scores = [scorer.transform(table).scores for table in tables]
    columns = [f"{d}_score" for d in framework.dimension_names] + ["risk_score"]
    reference = {col: np.concatenate([s[col].to_numpy(dtype=float) for s in scores]) for col in columns}
    out = {}
    for name, c in cities.items():
        result = score_city(
            c, method, scorer=scorer, graph=graphs.get(name), class_reference=reference, learn_profiles=False
        )
        result.scores.notes.append(
            f"Scored on a common scale learned from {len(pooled)} wards of {len(cities)} cities "
            f"({', '.join(cities)}): scores and classes are comparable between these cities."
        )
        out[name] = result
    return _pooled_profiles(out, method)


def run(
    indicators,
    boundaries,
    *,
    id_column: str,
    boundary_id_column: str | None = None,
    framework: Framework | str | Path | None = None,
    classification: str | None = None,
    name: str = "",
    method: Method | None = None,
    sheet: str | None = None,
    **score_options,
) -> RiskResult:
    """Read, validate, join, score and analyse one city in one call.

    ``method`` gives the whole run (e.g. ``Method.from_metadata(meta)`` re-runs an export); otherwise the
    framework (default: the built-in one), ``classification`` and the keyword options make it. ``sheet``: the sheet
    of a workbook (default: the first sheet that has ``id_column``).

    Examples
    --------
    >>> from hotspots import demo_city, run                             # doctest: +SKIP
    >>> city = demo_city("kolkata")                                      # doctest: +SKIP
    >>> result = run(city.indicators_path, city.boundaries_path, id_column="ward_id")  # doctest: +SKIP
    >>> result.to_geojson("kolkata.geojson")                             # doctest: +SKIP
    """
    if method is None:
        if framework is None:
            framework = default_framework()
        elif not isinstance(framework, Framework):
            framework = Framework.load(framework)
        if classification:
            framework = framework.with_options(classification=classification)
        method = Method(framework=framework, **score_options)
    elif framework is not None or classification or score_options:
        raise DataError("Give either method=... or the framework and options, not both.")
    city = load_city(
        indicators,
        boundaries,
        method.framework,
        id_column=id_column,
        boundary_id_column=boundary_id_column,
        name=name,
        sheet=sheet,
    )
    return score_city(city, method)
