"""Two checkouts side by side: is a figure within 10% of an earlier commit's, on a shared, noisy machine?

Runs the same measurement in an old and a new checkout alternately (old, new, old, new, ...) so both see the same
load, and prints the medians and new / old:

* ``app``: ``bench/bench_app.py``'s library figures (weight change -> score_city -> risk_map -> map payload, Kolkata,
  15 weight changes per round), in a fresh process per round;
* ``cli N``: ``python -m hotspots score`` on N synthetic wards (the inputs of ``bench/bench_pipeline.py``, 999
  permutations), a fresh process per round.

    git worktree add /tmp/oldtree 0b94723
    python bench/bench_versions.py /tmp/oldtree . app --rounds 5
    python bench/bench_versions.py /tmp/oldtree . cli 100000 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

APP_ROUND = """
import json, sys
sys.argv = ["bench_app"]
sys.path[:0] = [{tree!r}, {tree!r} + "/bench"]
import bench_app
print(json.dumps(bench_app.bench_library(15)))
"""


def app_round(tree: Path) -> dict[str, float]:
    code = APP_ROUND.format(tree=str(tree))
    out = subprocess.run([sys.executable, "-c", code], cwd=tree, capture_output=True, text=True, check=True)
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    return {k: figures[k] * 1000 for k in ("score", "map", "payload", "total")}


def cli_round(tree: Path, csv: Path, boundaries: Path, out: Path) -> dict[str, float]:
    args = [sys.executable, "-m", "hotspots", "score", "--indicators", str(csv), "--boundaries", str(boundaries)]
    args += ["--id-column", "ward_id", "--permutations", "999", "--out", str(out)]
    t0 = time.perf_counter()
    subprocess.run(args, cwd=tree, capture_output=True, text=True, check=True)
    return {"seconds": time.perf_counter() - t0}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("what", choices=("app", "cli"))
    parser.add_argument("wards", nargs="?", type=int, default=100_000, help="for cli: synthetic wards")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    trees = [args.old.resolve(), args.new.resolve()]
    with tempfile.TemporaryDirectory() as tmp:
        if args.what == "cli":
            sys.path.insert(0, str(HERE))
            import bench_pipeline

            csv, boundaries = bench_pipeline.make_inputs(args.wards, Path(tmp))

            def measure(tree):
                return cli_round(tree, csv, boundaries, Path(tmp) / "out.geojson")
        else:
            measure = app_round
        runs: dict[Path, list[dict[str, float]]] = {tree: [] for tree in trees}
        for _ in range(args.rounds):
            for tree in trees:
                runs[tree].append(measure(tree))
    unit = "ms" if args.what == "app" else "s"
    print(f"{args.what}: median of {args.rounds} alternating rounds ({unit}); old = {trees[0]}, new = {trees[1]}")
    for key in runs[trees[0]][0]:
        old, new = (statistics.median(r[key] for r in runs[tree]) for tree in trees)
        print(f"  {key:10s} old {old:9.2f}  new {new:9.2f}  new/old {new / old:.3f}")


if __name__ == "__main__":
    main()
