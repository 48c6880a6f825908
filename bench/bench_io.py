"""Benchmark of the I/O layer against the baseline an analyst would write by hand.

Writes N synthetic Voronoi wards (as in ``../shared/bench/reference_pipeline.py``: cells in a 10 km square, EPSG:32645,
here reprojected to EPSG:4326 the way a municipal GeoJSON comes) to a temp dir as GeoJSON, plus an indicator CSV keyed
on the ward ID, then times

* hotspots: ``read_boundaries`` + ``read_table`` + ``parse_numbers`` (every indicator) + ``join_wards``
* baseline: ``geopandas.read_file(engine="pyogrio")`` + ``pandas.read_csv`` + ``merge``

and prints one JSON line with the best of ``repeats`` runs of each stage and the ratios hotspots / baseline
(machines are noisy: compare ratios, not seconds).

    python bench/bench_io.py              # N = 100,000
    python bench/bench_io.py 10000 3      # N, repeats (default 5)
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import box

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hotspots.io import join_wards, parse_numbers, read_boundaries, read_table  # noqa: E402

INDICATORS = ["youth_unemployment_rate", "incidents", "unlicensed_institutions", "hate_speech_reports"]


def synthetic_wards(n: int, seed: int = 0) -> gpd.GeoDataFrame:
    """Voronoi wards in a 10 km square (copied from ../shared/bench/reference_pipeline.py)."""
    rng = np.random.default_rng(seed)
    frame = box(0, 0, 10_000, 10_000)
    pts = shapely.points(rng.uniform(0, 10_000, (n, 2)))
    cells = shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=frame)
    polys = shapely.intersection(np.asarray(shapely.get_parts(cells)), frame)
    wards = gpd.GeoDataFrame({"ward_id": [f"W{i:06d}" for i in range(len(polys))]}, geometry=polys, crs=32645)
    for col in INDICATORS:
        wards[col] = rng.gamma(2.0, 2.0, len(wards))
    return wards


def main(n: int = 100_000, repeats: int = 5) -> None:
    wards = synthetic_wards(n)
    with tempfile.TemporaryDirectory() as tmp:
        geojson = Path(tmp) / "wards.geojson"
        csv = Path(tmp) / "indicators.csv"
        wards[["ward_id", "geometry"]].to_crs(4326).to_file(geojson, driver="GeoJSON", engine="pyogrio")
        table = pd.DataFrame(wards.drop(columns="geometry"))
        table = table.sample(frac=1.0, random_state=1)  # table rows in another order than the boundaries
        table.to_csv(csv, index=False, float_format="%.4f")

        def ours_boundaries():
            return read_boundaries(geojson, id_column="ward_id")

        def ours_table():
            read = read_table(csv)
            numbers = {c: parse_numbers(read.table[c])[0] for c in INDICATORS}
            return read, numbers

        def ours_all():
            b = read_boundaries(geojson)
            t, _ = ours_table()
            return join_wards(t.table, b.wards, id_column="ward_id")

        def base_boundaries():
            return gpd.read_file(geojson, engine="pyogrio")

        def base_table():
            return pd.read_csv(csv)

        def base_all():
            b = gpd.read_file(geojson, engine="pyogrio")
            t = pd.read_csv(csv)
            return b.merge(t, on="ward_id", how="inner")

        # interleave the runs of each pair so that both see the same machine load; keep the best of each
        pairs = {
            "boundaries": (ours_boundaries, base_boundaries),
            "table": (ours_table, base_table),
            "total": (ours_all, base_all),
        }
        t = {f"{who}_{stage}": float("inf") for stage in pairs for who in ("ours", "base")}
        out = {}
        for _ in range(repeats):
            for stage, (ours, base) in pairs.items():
                for who, fn in (("ours", ours), ("base", base)):
                    start = time.perf_counter()
                    out[f"{who}_{stage}"] = fn()
                    t[f"{who}_{stage}"] = min(t[f"{who}_{stage}"], time.perf_counter() - start)
        joined, report = out["ours_total"]
        merged = out["base_total"]
        assert report.matched == n == len(merged) == len(joined), (report.matched, len(merged))
        t["ours_join"] = t["ours_total"] - t["ours_boundaries"] - t["ours_table"]
        t["base_join"] = t["base_total"] - t["base_boundaries"] - t["base_table"]
        ratios = {
            "ratio_boundaries": t["ours_boundaries"] / t["base_boundaries"],
            "ratio_table": t["ours_table"] / t["base_table"],
            "ratio_total": t["ours_total"] / t["base_total"],
        }
        size_mb = {"geojson_MB": geojson.stat().st_size / 1e6, "csv_MB": csv.stat().st_size / 1e6}
    print(json.dumps({"n": n, "repeats": repeats, **{k: round(v, 3) for k, v in {**t, **ratios, **size_mb}.items()}}))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000, int(sys.argv[2]) if len(sys.argv) > 2 else 5)
