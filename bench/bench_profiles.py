"""What risk profiles cost on top of scoring a city (hotspots.profiles), as ratios measured in the same run.

1. *Kolkata, weight change*: ``score_city`` (999 permutations, as the app) with profiles ("auto": k chosen by
   silhouette among 2 to 6) against the same call with ``profiles=0``; the ratio is what a weight change in the app
   pays for them.
2. *Profiles alone*: ``risk_profiles`` on random dimension scores of N wards, on one thread (as the package runs it)
   and with OpenMP's default threads, against ``score_city`` of Kolkata without profiles as the baseline unit.

Run from the repository root::

    python bench/bench_profiles.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from hotspots import profiles as profiles_module  # noqa: E402
from hotspots.demo import demo_cities  # noqa: E402
from hotspots.framework import default_framework  # noqa: E402
from hotspots.pipeline import city_graph, load_city, score_city  # noqa: E402


def median_time(call, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def kolkata(repeat: int) -> float:
    demo = demo_cities()["kolkata"]
    fw = default_framework()
    city = load_city(demo.indicators_path, demo.boundaries_path, fw, id_column="ward_id")
    graph = city_graph(city)
    score_city(city, fw, graph=graph)  # warm up: imports (scikit-learn among them), numba compilation
    without = median_time(lambda: score_city(city, fw, graph=graph, profiles=0), repeat)
    with_profiles = median_time(lambda: score_city(city, fw, graph=graph), repeat)
    print(f"Kolkata (144 wards) score_city: without profiles {without:.3f} s, with {with_profiles:.3f} s, "
          f"ratio {with_profiles / without:.2f}")  # fmt: skip
    return without


def profiles_alone(n: int, repeat: int, unit: float) -> None:
    rng = np.random.default_rng(0)
    scores = pd.DataFrame(rng.uniform(0, 10, (n, 3)), index=[f"W{i:06d}" for i in range(n)])
    one = median_time(lambda: profiles_module.risk_profiles(scores), repeat)
    import threadpoolctl  # hotspots.profiles imports threadpool_limits from it at each call: patched here

    original = threadpoolctl.threadpool_limits
    threadpoolctl.threadpool_limits = lambda limits=None: original(limits=None)  # the default threads
    try:
        many = median_time(lambda: profiles_module.risk_profiles(scores), max(1, repeat // 2))
    finally:
        threadpoolctl.threadpool_limits = original
    print(f"risk_profiles, {n:,} wards: one thread {one:.3f} s ({one / unit:.2f} x Kolkata's score_city), "
          f"default threads {many:.3f} s (ratio one/default {one / many:.2f})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    unit = kolkata(args.repeat)
    for n in (144, 5_000, 100_000):
        profiles_alone(n, max(1, args.repeat if n < 100_000 else 2), unit)


if __name__ == "__main__":
    main()
