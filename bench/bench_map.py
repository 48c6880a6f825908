"""Map HTML size and time: hotspots.maps against the plain folium choropleth of the reference pipeline.

For N Voronoi wards (as /work/shared/bench/reference_pipeline.py's ``synthetic_wards``: a 10 km square in
EPSG:32645, then EPSG:4326) it measures

* reference: ``folium.Map`` + ``folium.Choropleth(geo_data=wgs.to_json(), ...)``, rendered (Leaflet from CDNs);
* ours, standalone: ``map_html(risk_map(...))`` with Leaflet inlined, from a cold geometry cache;
* ours, like for like: ``risk_map(..., assets=offline_asset_urls("static")).get_root().render()`` (Leaflet by URL,
  as the reference);
* weight change: new scores on the same wards, geometry cached: ``map_html(risk_map(...))``, and the render
  ``st_folium`` does (``data:`` URLs).

Machines are noisy: read the ratios. ::

    python bench/bench_map.py                 # N = 144, 1000, 10000
    python bench/bench_map.py 144 2000        # other sizes
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import box

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hotspots import maps  # noqa: E402

DIMENSIONS = ["individual", "institutional", "ideological"]
INDICATORS = ["youth_unemployment_rate", "incidents", "unlicensed_institutions", "hate_speech_reports"]


def synthetic_wards(n: int, seed: int = 0) -> gpd.GeoDataFrame:
    """Voronoi wards with indicators (as the reference pipeline) and the columns of a scored layer."""
    rng = np.random.default_rng(seed)
    frame = box(0, 0, 10_000, 10_000)
    cells = shapely.voronoi_polygons(shapely.multipoints(shapely.points(rng.uniform(0, 10_000, (n, 2)))),
                                     extend_to=frame)  # fmt: skip
    polys = shapely.intersection(np.asarray(shapely.get_parts(cells)), frame)
    wards = gpd.GeoDataFrame({"ward_id": [f"W{i:06d}" for i in range(len(polys))]}, geometry=polys, crs=32645)
    wards["ward_name"] = [f"Ward {i}" for i in range(len(wards))]
    for col in INDICATORS:
        wards[col] = rng.gamma(2.0, 2.0, len(wards))
    rescore(wards, np.array([1.0, 1.0, 1.0]), rng)
    hot = ["hot spot 99%", "hot spot 95%", "hot spot 90%", "cold spot 95%"] + ["not significant"] * 16
    wards["hotspot_class"] = rng.choice(hot, len(wards))
    wards["gi_star_z"] = rng.normal(0, 1.5, len(wards))
    wards["lisa_cluster"] = rng.choice(["high-high", "low-low", "high-low", "low-high"] + ["not significant"] * 6,
                                       len(wards))  # fmt: skip
    wards["coverage"] = 1.0
    return wards.to_crs(4326)


def rescore(wards: gpd.GeoDataFrame, weights: np.ndarray, rng=None) -> gpd.GeoDataFrame:
    """Dimension scores and the composite, as a weight change would produce them."""
    rng = rng or np.random.default_rng(1)
    for dim in DIMENSIONS:
        if f"{dim}_score" not in wards:
            wards[f"{dim}_score"] = rng.uniform(0, 10, len(wards))
    dims = wards[[f"{d}_score" for d in DIMENSIONS]].to_numpy()
    wards["risk_score"] = dims @ weights / weights.sum()
    wards["risk_rank"] = wards["risk_score"].rank(ascending=False, method="min")
    wards["risk_class"] = np.array(["Very low", "Low", "Medium", "High", "Very high"])[
        np.minimum((wards["risk_score"].to_numpy() // 2).astype(int), 4)
    ]
    return wards


def timed(fn, repeat: int = 1):
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return out, best


def reference_html(wgs: gpd.GeoDataFrame) -> str:
    centre = wgs.geometry.union_all().centroid
    fmap = folium.Map(location=[centre.y, centre.x], zoom_start=12)
    folium.Choropleth(geo_data=wgs.to_json(), data=wgs, columns=["ward_id", "risk_score"],
                      key_on="feature.properties.ward_id").add_to(fmap)  # fmt: skip
    return fmap.get_root().render()


def bench(n: int) -> dict:
    wards = synthetic_wards(n)
    repeat = 3 if n <= 1000 else 1
    # the reference maps what reference_pipeline.py has at that point: IDs, indicators, risk score
    ref, t_ref = timed(lambda: reference_html(wards[["ward_id", *INDICATORS, "risk_score", "geometry"]]), repeat)

    def ours_cold():
        maps.geometry._GEOMETRY_CACHE.clear()
        return maps.map_html(maps.risk_map(wards, indicators=INDICATORS, synthetic=True, title=f"{n} wards"))

    standalone, t_cold = timed(ours_cold, repeat)
    static_assets = maps.offline_asset_urls("static")
    like_for_like = maps.risk_map(wards, indicators=INDICATORS, assets=static_assets).get_root().render()

    weights = iter(np.random.default_rng(7).uniform(0.5, 2.0, (10, 3)))
    _, t_weight = timed(lambda: maps.map_html(maps.risk_map(rescore(wards, next(weights)), indicators=INDICATORS)),
                        repeat)  # fmt: skip
    _, t_weight_st = timed(lambda: maps.risk_map(rescore(wards, next(weights)), indicators=INDICATORS)
                           .get_root().render(), repeat)  # fmt: skip

    vertices_in = int(shapely.get_num_coordinates(wards.geometry.values).sum())
    encoded = maps.encode_geometry(wards)
    return {
        "n": n,
        "vertices": vertices_in,
        "geometry_kB": len(encoded) / 1e3,
        "ref_MB": len(ref.encode()) / 1e6,
        "ours_standalone_MB": len(standalone.encode()) / 1e6,
        "ours_like_for_like_MB": len(like_for_like.encode()) / 1e6,
        "ref_s": t_ref,
        "ours_cold_s": t_cold,
        "weight_change_s": t_weight,
        "weight_change_render_for_st_folium_s": t_weight_st,
    }


def main(sizes: list[int]) -> None:
    maps.map_html(maps.risk_map(synthetic_wards(16)))  # warm up imports and the Leaflet asset cache
    rows = [bench(n) for n in sizes]
    print(f"{'N':>6} {'ref MB':>8} {'ours MB':>8} {'ratio':>6} {'l4l MB':>8} {'ratio':>6} "
          f"{'ref s':>7} {'ours s':>7} {'ratio':>6} {'reweight s':>10} {'(st) s':>7}")  # fmt: skip
    for r in rows:
        print(
            f"{r['n']:>6} {r['ref_MB']:>8.3f} {r['ours_standalone_MB']:>8.3f} "
            f"{r['ours_standalone_MB'] / r['ref_MB']:>6.3f} {r['ours_like_for_like_MB']:>8.3f} "
            f"{r['ours_like_for_like_MB'] / r['ref_MB']:>6.3f} {r['ref_s']:>7.3f} {r['ours_cold_s']:>7.3f} "
            f"{r['ours_cold_s'] / r['ref_s']:>6.2f} {r['weight_change_s']:>10.3f} "
            f"{r['weight_change_render_for_st_folium_s']:>7.3f}"
        )
    print("ours = standalone map_html (Leaflet inlined, cold geometry cache); l4l = like for like, Leaflet by URL;")
    print("reweight = new scores, geometry cached, to standalone HTML; (st) = to the render st_folium does.")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [144, 1_000, 10_000])
