"""From a weight change to the new map, for Kolkata (144 wards, synthetic demo): target < 0.3 s.

Two figures, each the median of ``--repeat`` (default 20) changes, every one to a weight not used before (so no
cache of the app returns an old result):

1. *library*: the calls the app's rerun makes after a weight slider moves, with the city and the neighbour graph
   cached as in the app: ``Framework.with_weights`` -> ``score_city`` (999 permutations, Gi* and local Moran) ->
   ``risk_map`` -> the HTML/JS that ``st_folium`` renders and sends to the browser (its own helper functions, and
   the JSON of the component's arguments);
2. *AppTest rerun*: ``streamlit.testing.v1.AppTest`` on ``app.py``, one ``slider.set_value(...).run()``: the whole
   script (sidebar, caches, scoring, map, ranked table, ward breakdown), without a browser.

Run from the repository root::

    python bench/bench_app.py
    python bench/bench_app.py --repeat 50
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hotspots.demo import demo_cities  # noqa: E402
from hotspots.framework import default_framework  # noqa: E402
from hotspots.maps import risk_map  # noqa: E402
from hotspots.pipeline import city_graph, prepare_city, read_city, score_city  # noqa: E402

TARGET_S = 0.3
SLIDER = "w_ind:hate_incidents"


def st_folium_payload(fmap) -> int:
    """What ``st_folium`` renders and sends for a map (streamlit-folium 0.27's own steps); returns its size."""
    import streamlit_folium as sf

    fmap.get_root().render()
    fmap.render()
    html = sf._get_html(fmap)
    header = sf._get_header(fmap)
    script = sf._get_map_string(fmap)
    js_links = [src for _, src in getattr(fmap, "default_js", [])]
    css_links = [href for _, href in getattr(fmap, "default_css", [])]
    args = {
        "script": script,
        "header": header,
        "html": html,
        "id": sf.get_full_id(fmap),
        "js_links": js_links,
        "css_links": css_links,
        "key": sf.generate_js_hash(script, "map", False),
    }
    return len(json.dumps(args))


def bench_library(repeat: int) -> dict[str, float]:
    kolkata = demo_cities()["kolkata"]
    framework = default_framework()
    raw = read_city(kolkata.indicators_path, kolkata.boundaries_path, name=kolkata.name, synthetic=True)
    city = prepare_city(raw, framework, id_column=kolkata.id_column)
    graph = city_graph(city, "queen")
    score_city(city, framework, graph=graph)  # warm up: numba compiles the permutation kernel once
    steps: dict[str, list[float]] = {"score": [], "map": [], "payload": [], "total": []}
    size = 0
    for k in range(repeat):
        t0 = time.perf_counter()
        model = framework.with_weights({"hate_incidents": 1.1 + 0.1 * k}, {"ideological": 1.05 + 0.05 * k})
        result = score_city(city, model, graph=graph, permutations=999, correction="fdr")
        t1 = time.perf_counter()
        fmap = risk_map(
            result.layer,
            dimensions=model.dimension_names,
            indicators=model.columns,
            breaks=result.breaks,
            count_columns=result.count_columns,
            suppress_below=result.suppress_below,
            title=f"{city.name} (synthetic)",
            synthetic=True,
        )
        t2 = time.perf_counter()
        size = st_folium_payload(fmap)
        t3 = time.perf_counter()
        for name, value in zip(steps, (t1 - t0, t2 - t1, t3 - t2, t3 - t0)):
            steps[name].append(value)
    out = {name: statistics.median(values) for name, values in steps.items()}
    out["payload_bytes"] = size
    return out


def bench_apptest(repeat: int) -> dict[str, float]:
    from streamlit.testing.v1 import AppTest

    t0 = time.perf_counter()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    first = time.perf_counter() - t0
    if at.exception:
        raise SystemExit(f"app.py raised: {[e.value for e in at.exception]}")
    times = []
    for k in range(repeat):
        t0 = time.perf_counter()
        at.slider(key=SLIDER).set_value(round(1.1 + 0.1 * k, 1)).run()
        times.append(time.perf_counter() - t0)
        if at.exception:
            raise SystemExit(f"app.py raised: {[e.value for e in at.exception]}")
    return {"first_run": first, "rerun": statistics.median(times), "rerun_max": max(times)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="weight changes to time (default 20)")
    args = parser.parse_args(argv)

    lib = bench_library(args.repeat)
    print(f"Kolkata, 144 wards, 999 permutations; median of {args.repeat} weight changes")
    print(f"  library: with_weights + score_city     {lib['score'] * 1000:7.1f} ms")
    print(f"           risk_map                      {lib['map'] * 1000:7.1f} ms")
    print(
        f"           st_folium render + JSON       {lib['payload'] * 1000:7.1f} ms"
        f"  ({lib['payload_bytes'] / 1024:.0f} KiB sent, Leaflet as data: URLs)"
    )
    print(
        f"           weight change -> map payload  {lib['total'] * 1000:7.1f} ms"
        f"  [{'OK' if lib['total'] < TARGET_S else 'SLOW'}: target < {TARGET_S * 1000:.0f} ms]"
    )
    app = bench_apptest(args.repeat)
    print(f"  AppTest: first run (cold caches)       {app['first_run'] * 1000:7.1f} ms")
    print(
        f"           rerun after a slider change   {app['rerun'] * 1000:7.1f} ms (max {app['rerun_max'] * 1000:.1f})"
        f"  [{'OK' if app['rerun'] < TARGET_S else 'SLOW'}: target < {TARGET_S * 1000:.0f} ms]"
    )


if __name__ == "__main__":
    main()
