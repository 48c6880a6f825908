"""Memory of the app's server over a day-long workshop: 50 participants each upload their own city and play with it.

Every variant is a new participant (a fresh ``AppTest`` session of ``app.py``, in one server process, as Streamlit
serves them): a new pair of files (N Voronoi wards drawn with seed k: new geometry, new values), validated on the
Data tab, added, scored and drawn on the Map tab, then re-weighted once (a second scored city and drawn map). The
caches of ``ui/cache.py`` are shared by all sessions, as on a real server.

Two fresh processes run the same loop:

* ``bounded``: the app as it is (every cache bounded in entries and age, ``ui/cache.py``);
* ``unbounded``: the same with ``max_entries`` and ``ttl`` taken off every cache (the app before issue 10).

Printed: resident memory (VmRSS, after ``gc.collect()``) after the first variant and after every tenth, the peak
(VmHWM), and the ratio bounded / unbounded at the end. Run from the repository root::

    python bench/bench_memory.py                        # 50 variants of 1,000 wards, both modes
    python bench/bench_memory.py --variants 20 --wards 500
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = [
    "youth_unemployment_rate",
    "school_dropout_rate",
    "unlicensed_institutions",
    "institution_licensing_rate",
    "hate_incidents",
    "extremist_propaganda_reports",
]


def variant_files(wards: int, seed: int) -> tuple[bytes, bytes]:
    """A city of ``wards`` Voronoi wards (10 km square near Kolkata) and its indicator table, as uploaded bytes."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely
    from shapely.geometry import box

    rng = np.random.default_rng(seed)
    frame = box(0, 0, 10_000, 10_000)
    points = shapely.multipoints(shapely.points(rng.uniform(0, 10_000, (wards, 2))))
    cells = shapely.intersection(
        np.asarray(shapely.get_parts(shapely.voronoi_polygons(points, extend_to=frame))), frame
    )
    ids = [f"V{seed:02d}-{i:05d}" for i in range(len(cells))]
    boundaries = gpd.GeoDataFrame({"ward_id": ids}, geometry=cells, crs=32645).to_crs(4326)
    table = pd.DataFrame({"ward_id": ids, "population": rng.integers(200, 60_000, len(ids))})
    for column in COLUMNS:
        table[column] = (
            np.round(rng.uniform(1, 99, len(ids)), 1) if column.endswith("_rate") else rng.poisson(6, len(ids))
        )
    return table.to_csv(index=False).encode("utf-8"), boundaries.to_json().encode("utf-8")


def memory_mb() -> dict[str, float]:
    """Resident memory now and at its peak (Linux ``/proc/self/status``), in MB."""
    gc.collect()
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return {key: int(status[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM")}


def unbound_caches() -> None:
    """Take ``max_entries`` and ``ttl`` off every ``st.cache_data`` / ``st.cache_resource`` made from now on."""
    import streamlit as st

    def unbounded(api):
        def decorator(func=None, **options):
            options.pop("max_entries", None)
            options.pop("ttl", None)
            return api(func, **options) if func is not None else api(**options)

        return decorator

    st.cache_data = unbounded(st.cache_data)
    st.cache_resource = unbounded(st.cache_resource)


def participant(k: int, wards: int) -> None:
    """One session: upload variant k, add it, open its map, move a weight."""
    from streamlit.testing.v1 import AppTest

    table, boundaries = variant_files(wards, k)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.session_state["upload"] = {
        "indicators": table,
        "indicators_name": f"variant_{k}.csv",
        "boundaries": boundaries,
        "boundaries_name": f"variant_{k}.geojson",
        "name": f"Variant {k}",
    }
    at.session_state["view"] = "Data"
    at.run()
    at.button(key="add_city").click().run()
    at.session_state["view"] = "Map"
    at.run()
    at.slider(key="w_ind:hate_incidents").set_value(2.0).run()
    if at.exception:
        raise RuntimeError(f"variant {k}: {[e.value for e in at.exception]}")


def loop(mode: str, variants: int, wards: int) -> dict:
    """The workshop in this process; returns memory after the first and every tenth variant, and the time."""
    sys.path.insert(0, str(ROOT))
    if mode == "unbounded":
        unbound_caches()
    start = time.perf_counter()
    marks = {}
    for k in range(variants):
        participant(k, wards)
        if k == 0 or (k + 1) % 10 == 0 or k + 1 == variants:
            marks[k + 1] = memory_mb()
    return {"mode": mode, "marks": marks, "seconds": time.perf_counter() - start}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--variants", type=int, default=50)
    parser.add_argument("--wards", type=int, default=1000)
    parser.add_argument("--mode", choices=["bounded", "unbounded"], help="run one mode in this process (internal)")
    args = parser.parse_args(argv)
    if args.mode:
        print(json.dumps(loop(args.mode, args.variants, args.wards)))
        return
    runs = {}
    for mode in ("bounded", "unbounded"):
        command = [
            sys.executable,
            __file__,
            "--mode",
            mode,
            "--variants",
            str(args.variants),
            "--wards",
            str(args.wards),
        ]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
        runs[mode] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{args.variants} participants, each uploading a city of {args.wards} wards, scoring it and moving a weight")
    print(f"{'after':>6} {'bounded MB':>11} {'unbounded MB':>13} {'ratio':>6}")
    for mark, bounded in runs["bounded"]["marks"].items():
        unbounded = runs["unbounded"]["marks"][mark]
        print(
            f"{mark:>6} {bounded['VmRSS']:>11.0f} {unbounded['VmRSS']:>13.0f} {bounded['VmRSS'] / unbounded['VmRSS']:>6.2f}"
        )
    last = str(args.variants)
    peak_b, peak_u = runs["bounded"]["marks"][last]["VmHWM"], runs["unbounded"]["marks"][last]["VmHWM"]
    print(f"peak   {peak_b:>11.0f} {peak_u:>13.0f} {peak_b / peak_u:>6.2f}")
    print(f"time: bounded {runs['bounded']['seconds']:.0f} s, unbounded {runs['unbounded']['seconds']:.0f} s")


if __name__ == "__main__":
    main()
