"""The uncertainty analysis: N variants of a city's model, ranks and hot spots, against one plain scoring run.

    python bench/bench_uncertainty.py                      # 1,000 wards, 500 variants
    python bench/bench_uncertainty.py --wards 100000 --variants 10 --repeat 1

Makes a synthetic city (Voronoi cells of uniform random points, EPSG:32645; the default indicators as uniform rates
and Poisson counts, as bench/bench_pipeline.py makes them), reads and prepares it once, builds the neighbour graph
once, warms up (numba kernels compiled or loaded from their cache), then times in the same process:

* baseline: one ``score_city`` (scores, classes, Gi* and local Moran with ``permutations="auto"``, FDR);
* ours: ``uncertainty_analysis`` with N variants (scoring every variant, ranks, hot-spot flags of every variant
  with the same permutations, sensitivity indices).

Prints wall-clock and CPU seconds (all threads) of the best of ``--repeat`` runs, the ratio ours / baseline and the
load average (the machine is shared: wall-clock time depends on what else runs).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RATES = ["youth_unemployment_rate", "school_dropout_rate", "institution_licensing_rate"]
COUNTS = ["unlicensed_institutions", "hate_incidents", "extremist_propaganda_reports"]


def make_city(n: int, folder: Path):
    """A synthetic city of ``n`` Voronoi wards with the default indicators, prepared by the package."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely
    from shapely.geometry import box

    from hotspots.framework import default_framework
    from hotspots.pipeline import load_city

    rng = np.random.default_rng(0)
    frame = box(0, 0, 10_000, 10_000)
    cells = shapely.voronoi_polygons(
        shapely.multipoints(shapely.points(rng.uniform(0, 10_000, (n, 2)))), extend_to=frame
    )
    polygons = shapely.intersection(np.asarray(shapely.get_parts(cells)), frame)
    ids = [f"W{i:06d}" for i in range(len(polygons))]
    wards = gpd.GeoDataFrame({"ward_id": ids}, geometry=polygons, crs=32645).to_crs(4326)
    wards.to_file(folder / "wards.geojson", driver="GeoJSON", engine="pyogrio")
    table = pd.DataFrame({"ward_id": ids, "population": rng.integers(5_000, 60_000, len(ids))})
    for column in RATES:
        table[column] = np.round(rng.uniform(1, 99, len(ids)), 1)
    for column in COUNTS:
        table[column] = rng.poisson(6, len(ids))
    table.to_csv(folder / "wards.csv", index=False)
    return load_city(folder / "wards.csv", folder / "wards.geojson", default_framework(), id_column="ward_id")


def best_of(repeat: int, call) -> tuple[float, float]:
    """The fastest (wall, CPU) seconds of ``repeat`` calls."""
    runs = []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        call()
        runs.append((time.perf_counter() - wall, time.process_time() - cpu))
    return min(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wards", type=int, default=1000)
    parser.add_argument("--variants", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from hotspots.method import Method
    from hotspots.pipeline import city_graph, score_city
    from hotspots.uncertainty import uncertainty_analysis

    with tempfile.TemporaryDirectory() as folder:
        city = make_city(args.wards, Path(folder))
    method = Method(framework=_framework())
    graph = city_graph(city, method)
    score_city(city, method, graph=graph)  # warm-up: kernels compiled or loaded, draws cached
    uncertainty_analysis(city, method, 8, graph=graph)
    base = best_of(args.repeat, lambda: score_city(city, method, graph=graph))
    analysis = {}
    ours = best_of(
        args.repeat, lambda: analysis.setdefault("last", uncertainty_analysis(city, method, args.variants, graph=graph))
    )
    plan = analysis["last"].metadata["hotspots"]["permutations"]
    print(f"{len(city.wards):,} wards, {args.variants} variants, permutations {plan}")
    print(f"baseline score_city:      wall {base[0]:.3f} s, CPU {base[1]:.3f} s")
    print(f"uncertainty_analysis:     wall {ours[0]:.3f} s, CPU {ours[1]:.3f} s")
    print(
        f"ratio ours / baseline:    wall {ours[0] / base[0]:.1f}, per variant {ours[0] / base[0] / args.variants:.3f}"
    )
    print(f"load average (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")


def _framework():
    from hotspots.framework import default_framework

    return default_framework()


if __name__ == "__main__":
    main()
