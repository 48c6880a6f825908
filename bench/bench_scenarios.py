"""Comparing scenarios on one city: ``compare_scenarios`` against scoring each scenario on its own.

For each city size, four scenarios (the presets "Current model", "Individual alone", "Geometric aggregation",
"Z-score normalisation", hot spots with ``auto`` permutations):

* *baseline*: what scoring the four scenarios one by one costs, each with its own neighbour graph (four
  ``city_graph`` + ``score_city`` calls): a loop over the Map tab's work without a shared cache;
* *compare*: ``compare_scenarios`` (one graph for the four, shared), then everything the Scenarios tab reads
  from it: ranks, rank shift, agreement counts, Spearman, the pooled scale, the classes on it, the export table;
* *extras*: the comparison's own work on top of the scoring (the second bullet's reads, timed alone), and the
  agreement map's HTML.

Printed as seconds and as the ratio compare / baseline (below 1: sharing the graph pays for the comparison).
Kolkata is the demo (144 wards); the larger cities are Voronoi wards with random indicators, written to a
temporary folder. Run from the repository root::

    python bench/bench_scenarios.py              # 144, 1000, 10000 wards
    python bench/bench_scenarios.py 1000
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hotspots import Method, default_framework, load_city  # noqa: E402
from hotspots.demo import demo_cities  # noqa: E402
from hotspots.maps import map_html  # noqa: E402
from hotspots.maps.agreement import agreement_map  # noqa: E402
from hotspots.pipeline import city_graph, score_city  # noqa: E402
from hotspots.scenarios import compare_scenarios, preset_methods  # noqa: E402

CHOSEN = ("Current model", "Individual alone", "Geometric aggregation", "Z-score normalisation")


def synthetic_city(n: int, folder: Path, seed: int = 0):
    """A city of about ``n`` Voronoi wards with the default framework's columns (CSV + GeoJSON in ``folder``)."""
    import geopandas as gpd
    import pandas as pd
    import shapely
    from shapely.geometry import box

    rng = np.random.default_rng(seed)
    frame = box(0, 0, 10_000, 10_000)
    points = shapely.multipoints(shapely.points(rng.uniform(0, 10_000, (n, 2))))
    cells = shapely.get_parts(shapely.voronoi_polygons(points, extend_to=frame))
    polys = shapely.intersection(np.asarray(cells), frame)
    ids = [f"W{i:06d}" for i in range(len(polys))]
    wards = gpd.GeoDataFrame({"ward_id": ids}, geometry=polys, crs=32645).to_crs(4326)
    table = pd.DataFrame({"ward_id": ids, "ward_name": [f"Ward {i}" for i in range(len(ids))]})
    table["population"] = rng.integers(5_000, 60_000, len(ids))
    for column in ("youth_unemployment_rate", "school_dropout_rate", "institution_licensing_rate"):
        table[column] = np.round(rng.uniform(0, 100, len(ids)), 1)
    for column in ("unlicensed_institutions", "hate_incidents", "extremist_propaganda_reports"):
        table[column] = rng.poisson(4, len(ids))
    table.to_csv(folder / f"city_{n}.csv", index=False)
    wards.to_file(folder / f"city_{n}.geojson", driver="GeoJSON")
    return load_city(folder / f"city_{n}.csv", folder / f"city_{n}.geojson", default_framework(), id_column="ward_id")


def read_everything(comparison) -> None:
    """What the Scenarios tab reads from a comparison."""
    _ = comparison.ranks, comparison.rank_shift, comparison.top_class_agreement, comparison.hotspot_agreement
    _ = comparison.spearman, comparison.common_classes, comparison.verdict(), comparison.to_frame()
    for name in comparison.names:
        comparison.on_common_scale(name)


def bench(city) -> dict:
    methods = {name: preset_methods(Method())[name] for name in CHOSEN}
    start = time.perf_counter()
    for method in methods.values():
        score_city(city, method, graph=city_graph(city, method))
    baseline = time.perf_counter() - start
    start = time.perf_counter()
    comparison = compare_scenarios(city, methods)
    read_everything(comparison)
    compare = time.perf_counter() - start
    again = type(comparison)(city=comparison.city, results=comparison.results)  # cold derived results
    start = time.perf_counter()
    read_everything(again)
    extras = time.perf_counter() - start
    start = time.perf_counter()
    map_html(agreement_map(again))
    agreement = time.perf_counter() - start
    return {"wards": len(city.wards), "baseline": baseline, "compare": compare, "extras": extras, "map": agreement}


def main(sizes: list[int]) -> None:
    print("wards   baseline s   compare s   ratio   extras s   agreement map s")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            if n == 144:
                demo = demo_cities()["kolkata"]
                city = load_city(demo.indicators_path, demo.boundaries_path, default_framework(), id_column="ward_id")
            else:
                city = synthetic_city(n, Path(tmp))
            bench(city)  # warm-up: imports, numba compilation, geometry caches
            r = bench(city)
            print(
                f"{r['wards']:>6}   {r['baseline']:>9.2f}   {r['compare']:>9.2f}   {r['compare'] / r['baseline']:>5.2f}"
                f"   {r['extras']:>8.3f}   {r['map']:>8.3f}"
            )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [144, 1_000, 10_000])
