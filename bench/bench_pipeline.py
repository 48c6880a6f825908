"""The whole command-line path against ../shared/bench/reference_pipeline.py, on the same synthetic wards.

    python bench/bench_pipeline.py                 # 144, 1,000, 10,000, 100,000 wards
    python bench/bench_pipeline.py 144 10000       # chosen sizes
    python bench/bench_pipeline.py --permutations 99 1000

For each size: writes the reference's synthetic wards (Voronoi cells, EPSG:32645) as GeoJSON plus an indicator CSV
with the default indicators, then in fresh processes (so imports, numba compilation and caches count):
  * ours:      ``python -m hotspots score`` stage by stage (read+join, score, neighbours, statistics, classify,
               write GeoJSON), and the plain ``python -m hotspots score`` command end to end;
  * reference: reference_pipeline.py (its own stages); and geopandas/pyogrio + pandas reading the same files.
Prints per-stage times and ratios ours / reference (the machines are shared and noisy: read the ratios).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "bench" / "reference_pipeline.py"
DEFAULT_COLUMNS = [
    "youth_unemployment_rate",
    "school_dropout_rate",
    "unlicensed_institutions",
    "institution_licensing_rate",
    "hate_incidents",
    "extremist_propaganda_reports",
]


def make_inputs(n: int, folder: Path) -> tuple[Path, Path]:
    """The reference's synthetic wards as GeoJSON + a CSV of the default indicators."""
    import importlib.util

    import numpy as np
    import pandas as pd

    spec = importlib.util.spec_from_file_location("reference_pipeline", REFERENCE)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    wards = ref.synthetic_wards(n)
    rng = np.random.default_rng(7)
    table = pd.DataFrame({"ward_id": wards["ward_id"], "population": rng.integers(5_000, 60_000, len(wards))})
    for col in DEFAULT_COLUMNS:
        if col.endswith("_rate"):
            table[col] = np.round(rng.uniform(1, 99, len(wards)), 1)
        else:
            table[col] = rng.poisson(6, len(wards))
    csv = folder / f"wards_{n}.csv"
    table.to_csv(csv, index=False)
    gj = folder / f"wards_{n}.geojson"
    wards[["ward_id", "geometry"]].to_crs(4326).to_file(gj, driver="GeoJSON", engine="pyogrio")
    return csv, gj


STAGES_OURS = r"""
import json, sys, time
t0 = time.perf_counter()
t = {}
s = time.perf_counter()
from hotspots.framework import default_framework
from hotspots.pipeline import load_city, score_city, city_graph
import geopandas, pyogrio  # imported in the baseline's import stage too: compare reading, not importing
fw = default_framework()
t["import"] = time.perf_counter() - s
s = time.perf_counter()
city = load_city(sys.argv[1], sys.argv[2], fw, id_column="ward_id")
t["read_join"] = time.perf_counter() - s
from hotspots.scoring import RiskScorer
s = time.perf_counter()
RiskScorer(fw).fit(city.table.table).transform(city.table.table)
t["score"] = time.perf_counter() - s
s = time.perf_counter()
graph = city_graph(city)
t["weights"] = time.perf_counter() - s
s = time.perf_counter()
result = score_city(city, fw, graph=graph, permutations=int(sys.argv[4]))
t["score_classify_statistics"] = time.perf_counter() - s
s = time.perf_counter()
result.to_geojson(sys.argv[3])
t["geojson"] = time.perf_counter() - s
t["total"] = time.perf_counter() - t0
print(json.dumps(t))
"""

READ_BASELINE = r"""
import json, sys, time
s = time.perf_counter()
import geopandas as gpd, pandas as pd
t_import = time.perf_counter() - s
s = time.perf_counter()
g = gpd.read_file(sys.argv[2], engine="pyogrio")
d = pd.read_csv(sys.argv[1], dtype={"ward_id": str})
m = g.merge(d, on="ward_id")
print(json.dumps({"import": t_import, "read_join": time.perf_counter() - s}))
"""


def run_json(args: list[str]) -> dict:
    out = subprocess.run(args, capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(args[:3])} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def timed(args: list[str]) -> float:
    s = time.perf_counter()
    out = subprocess.run(args, capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(args[:4])} failed:\n{out.stderr[-3000:]}")
    return time.perf_counter() - s


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("sizes", nargs="*", type=int, default=[144, 1_000, 10_000, 100_000])
    ap.add_argument("--permutations", type=int, default=999)
    args = ap.parse_args()
    if not REFERENCE.exists():
        raise SystemExit(f"{REFERENCE} not found: the baseline lives in ../shared/bench")
    py = sys.executable
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            csv, gj = make_inputs(n, tmp)
            ours = run_json(
                [py, "-c", STAGES_OURS, str(csv), str(gj), str(tmp / "out.geojson"), str(args.permutations)]
            )
            cli = timed(
                [
                    py,
                    "-m",
                    "hotspots",
                    "score",
                    "--indicators",
                    str(csv),
                    "--boundaries",
                    str(gj),
                    "--id-column",
                    "ward_id",
                    "--permutations",
                    str(args.permutations),
                    "--out",
                    str(tmp / "cli.geojson"),
                ]
            )
            ref = run_json([py, str(REFERENCE), str(n), str(args.permutations)])
            base_read = run_json([py, "-c", READ_BASELINE, str(csv), str(gj)])
            ref_nonumba = run_json(
                [
                    py,
                    "-c",
                    "import sys; sys.modules['numba'] = None; sys.argv = sys.argv[1:]; "
                    f"exec(open({str(REFERENCE)!r}).read())",
                    str(REFERENCE),
                    str(n),
                    str(args.permutations),
                ]
            )
        ref_stats = min(ref["gi_star"] + ref["local_moran"], ref_nonumba["gi_star"] + ref_nonumba["local_moran"])
        ref_total_nomap = min(r["total"] - r["map_html"] for r in (ref, ref_nonumba))
        rows = {
            "n": n,
            "read_join_s": round(ours["read_join"], 3),
            "read_join_vs_geopandas_pyogrio": round(ours["read_join"] / base_read["read_join"], 3),
            "score_s": round(ours["score"], 4),
            "score_vs_reference": round(ours["score"] / max(ref["score"], 1e-9), 3),
            "weights_vs_libpysal_queen": round(ours["weights"] / ref["weights"], 3),
            "score_classify_statistics_s": round(ours["score_classify_statistics"], 3),
            "statistics_vs_esda_faster": round(ours["score_classify_statistics"] / ref_stats, 3),
            "geojson_vs_reference": round(ours["geojson"] / ref["geojson"], 3),
            "cli_total_s": round(cli, 2),
            "reference_total_without_map_s": round(ref_total_nomap, 2),
            "cli_vs_reference_without_map": round(cli / ref_total_nomap, 3),
            "reference_esda_numba_stats_s": round(ref["gi_star"] + ref["local_moran"], 2),
            "reference_esda_numpy_stats_s": round(ref_nonumba["gi_star"] + ref_nonumba["local_moran"], 2),
        }
        print(json.dumps(rows), flush=True)


if __name__ == "__main__":
    main()
