"""Benchmark: hotspots.spatial (graph + Gi* + local Moran) against libpysal Queen + esda G_Local + Moran_Local.

Every measurement runs in a FRESH Python process, so numba's import, compilation or cache load is counted, as
an analyst running the pipeline once would pay it. esda is measured twice: with numba, and with numba hidden
(``sys.modules["numba"] = None`` before importing esda: esda's ``crand`` does ``from numba import ...`` in a
``try`` and falls back to ``libpysal.common.jit``, a no-op, when the import fails) -- the ratio is taken against the
faster of the two. Timed section, for both: import of the statistics package + neighbours + both statistics with
999 permutations (geopandas / libpysal imports and building the synthetic wards are not timed). The machine is
shared and noisy: read the ratios.

    python bench/bench_spatial.py                    # N = 144, 1000, 10000, 100000
    python bench/bench_spatial.py 144 1000           # chosen sizes
    python bench/bench_spatial.py 100000 --permutations 999 --repeat 2
    python bench/bench_spatial.py 144 100000 --correction bonferroni   # 'auto' sized for Bonferroni

Prints one line per run and a table with ratios; ``--json out.json`` also writes the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The wards of /work/shared/bench/reference_pipeline.py (``synthetic_wards``), copied so that the "ours" process
# does not import esda (which imports numba) before the timer starts.
SYNTHETIC_WARDS = textwrap.dedent(
    """
    import numpy as np, geopandas as gpd, shapely
    from shapely.geometry import box

    def synthetic_wards(n, seed=0):
        rng = np.random.default_rng(seed)
        frame = box(0, 0, 10_000, 10_000)
        pts = shapely.points(rng.uniform(0, 10_000, (n, 2)))
        cells = shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=frame)
        polys = shapely.intersection(np.asarray(shapely.get_parts(cells)), frame)
        wards = gpd.GeoDataFrame({"ward_id": [f"W{i:06d}" for i in range(len(polys))]}, geometry=polys, crs=32645)
        for col in ["youth_unemployment_rate", "incidents", "unlicensed_institutions", "hate_speech_reports"]:
            wards[col] = rng.gamma(2.0, 2.0, len(wards))
        return wards
    """
)

OURS = textwrap.dedent(
    """
    import json, resource, sys, time
    sys.path.insert(0, {root!r})
    wards = synthetic_wards({n})
    values = wards.set_index("ward_id")["incidents"]
    start = time.perf_counter()
    from hotspots.spatial import neighbour_graph, hotspot_statistics
    imported = time.perf_counter()
    graph = neighbour_graph(wards, "queen")
    built = time.perf_counter()
    result = hotspot_statistics(values, graph, permutations={perms!r}, seed=1, correction={correction!r})
    done = time.perf_counter()
    plan = result.metadata["permutations"]
    print(json.dumps({{"who": "ours", "n": {n}, "import": imported - start, "weights": built - imported,
                      "stats": done - built, "total": done - start, "numba_loaded": "numba" in sys.modules,
                      "refined": plan.get("refined", 0), "refined_wards": plan.get("refined_wards", 0),
                      "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
    """
)

ESDA = textwrap.dedent(
    """
    import json, resource, sys, time, warnings
    warnings.simplefilter("ignore")
    if {hide_numba}:
        sys.modules["numba"] = None  # esda (and libpysal.common) fall back to plain numpy
    wards = synthetic_wards({n})
    values = wards["incidents"].to_numpy()
    start = time.perf_counter()
    import libpysal, esda
    imported = time.perf_counter()
    w = libpysal.weights.Queen.from_dataframe(wards, use_index=False, silence_warnings=True)
    built = time.perf_counter()
    gi = esda.G_Local(values, w, star=True, transform="B", permutations={perms}, seed=1, n_jobs=1)
    w.transform = "r"
    lisa = esda.Moran_Local(values, w, permutations={perms}, seed=1, n_jobs=1)
    done = time.perf_counter()
    print(json.dumps({{"who": "esda+numba" if not {hide_numba} else "esda-numpy", "n": {n},
                      "import": imported - start, "weights": built - imported, "stats": done - built,
                      "total": done - start, "numba_loaded": sys.modules.get("numba") is not None,
                      "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
    """
)


def run(code: str, timeout: float) -> dict:
    """Run ``code`` in a fresh interpreter and return the JSON line it prints."""
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=[144, 1000, 10_000, 100_000])
    parser.add_argument(
        "--permutations",
        default="auto",
        help="ours: 'auto' (default; 999 for every ward, more for the wards with small p-values) or "
        "a number; esda always runs 999 (or this number)",
    )
    parser.add_argument(
        "--correction",
        default="fdr",
        choices=["fdr", "bonferroni", "none"],
        help="ours: the correction 'auto' sizes the permutations for (default fdr)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="fresh processes per measurement (best is kept)")
    parser.add_argument("--skip-esda", action="store_true", help="time ours only")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--json", help="write all figures to this file")
    args = parser.parse_args(argv)

    rows = []
    for n in args.sizes:
        runs = {}
        ours_perms = args.permutations if args.permutations == "auto" else int(args.permutations)
        esda_perms = 999 if args.permutations == "auto" else int(args.permutations)
        jobs = [
            ("ours", SYNTHETIC_WARDS + OURS.format(root=str(ROOT), n=n, perms=ours_perms, correction=args.correction))
        ]
        if not args.skip_esda:
            for hide in (False, True):
                code = SYNTHETIC_WARDS + ESDA.format(n=n, perms=esda_perms, hide_numba=hide)
                jobs.append(("esda-numpy" if hide else "esda+numba", code))
        for who, code in jobs:
            best = None
            for _ in range(args.repeat):
                figures = run(code, args.timeout)
                print(json.dumps(figures), flush=True)
                if best is None or figures["total"] < best["total"]:
                    best = figures
            runs[who] = best
        row = {"n": n, **{f"{who}_{k}": v for who, f in runs.items() for k, v in f.items() if k not in ("who", "n")}}
        if not args.skip_esda:
            faster = min(("esda+numba", "esda-numpy"), key=lambda who: runs[who]["stats"])
            row["faster_esda"] = faster
            row["ratio_stats"] = runs["ours"]["stats"] / runs[faster]["stats"]
            row["ratio_weights"] = runs["ours"]["weights"] / runs[faster]["weights"]
            faster_total = min(runs["esda+numba"]["total"], runs["esda-numpy"]["total"])
            row["ratio_total"] = runs["ours"]["total"] / faster_total
        rows.append(row)

    print()
    print(f"ours: permutations={args.permutations}, correction={args.correction}; esda: 999 permutations")
    header = f"{'N':>7} {'ours graph':>10} {'ours stats':>10} {'ours total':>10} {'ours MB':>8} {'refined P':>9}"
    if not args.skip_esda:
        header += (
            f" {'esda+nb tot':>11} {'esda-np tot':>11} {'stats ratio':>11} {'graph ratio':>11} {'total ratio':>11}"
        )
    print(header)
    for row in rows:
        line = (
            f"{row['n']:>7} {row['ours_weights']:>10.3f} {row['ours_stats']:>10.3f} {row['ours_total']:>10.3f}"
            f" {row['ours_maxrss_mb']:>8.0f} {row.get('ours_refined', 0):>9}"
        )
        if not args.skip_esda:
            line += (
                f" {row['esda+numba_total']:>11.2f} {row['esda-numpy_total']:>11.2f} {row['ratio_stats']:>11.3f}"
                f" {row['ratio_weights']:>11.3f} {row['ratio_total']:>11.3f}"
            )
        print(line)
    print("ratios: ours / faster esda (by statistics time); < 1 means ours is faster")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
