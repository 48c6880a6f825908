"""Generate the built-in demo cities: synthetic ward boundaries and indicator tables.

Four cities are written into the package, to ``hotspots/data/demo/`` (or to ``--out DIR``): Kolkata (144 wards),
Dhaka (54 wards of the North City Corporation and 75 of the South), Colombo (47 wards) and Malé (6 wards on three
islands). For each city:

* ``<city>_wards_synthetic.geojson``: RFC 7946 GeoJSON in EPSG:4326 (lon/lat, exterior rings counter-clockwise,
  6 decimals), with a top-level ``"metadata"`` member that labels the data as synthetic;
* ``<city>_indicators_synthetic.csv``: UTF-8, comma-separated, one row per ward, ``ward_id`` first.

Everything is **synthetic**. The cities sit at their real locations with plausible sizes, but the ward boundaries
are seeded Voronoi cells clipped to an invented city outline, and populations and indicator values are random draws
from a smooth random field. Real ward names (Colombo, Malé) are used as labels only; no value says anything about
the real place of that name, and the clusters are placed at random.

How the geometry is built, so that neighbouring wards share their edges exactly (queen contiguity works):

1. in a metric CRS (UTM), an outline is drawn and optionally cut into regions (Dhaka's two corporations, Malé's
   islands); seeds are spread inside each region with best-candidate sampling;
2. the Voronoi edges of each region's seeds, the region boundaries and the cuts are noded together once and
   polygonised into faces; every face goes to the nearest seed of its region and the faces of one seed are merged;
3. every vertex is projected to lon/lat and rounded to 6 decimals; a vertex shared by two wards is one coordinate
   in UTM, so it is one coordinate after rounding too. The result is checked to be a valid coverage.

The output is reproducible byte for byte: fixed seeds, fixed column and key order, fixed number formats, no
timestamps. Run from the repository root::

    python data/make_demo.py            # rewrites hotspots/data/demo/
    python data/make_demo.py --out DIR  # writes the same files into DIR
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.polygon import orient
from shapely.ops import split

SEED = 20240917
"""Master seed; each city draws from ``numpy.random.default_rng([SEED, city_number])``."""

DEFAULT_OUT_DIR = Path(__file__).resolve().parent.parent / "hotspots" / "data" / "demo"
"""The demo cities ship inside the package, so that an installed ``hotspots`` finds them."""

COORDINATE_DECIMALS = 6
"""Decimals of lon/lat in the GeoJSON (RFC 7946 recommends 6: about 0.1 m)."""

SYNTHETIC_NOTE = (
    "Synthetic demo data generated for testing and teaching; not real. The city is placed at its real location, "
    "but ward boundaries are seeded Voronoi cells clipped to an invented outline, and populations and indicator "
    "values are random draws from a smooth random field with randomly placed clusters. Ward names, where real, "
    "are labels only: no value describes the real ward, neighbourhood or community of that name."
)

INDICATOR_COLUMNS = (
    "youth_unemployment_rate",
    "school_dropout_rate",
    "unlicensed_institutions",
    "institution_licensing_rate",
    "hate_incidents",
    "extremist_propaganda_reports",
)
"""The default indicators, in the order they appear in the CSV."""

CSV_COLUMNS = ("ward_id", "ward_name", "ward_name_local", "population", *INDICATOR_COLUMNS)

BENGALI_DIGITS = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")

COLOMBO_WARDS = (
    # (English name, Sinhala name), listed roughly from north to south as the real wards run along the coast.
    ("Mattakkuliya", "මට්ටක්කුලිය"),
    ("Modara", "මෝදර"),
    ("Madampitiya", "මාදම්පිටිය"),
    ("Mahawatta", "මහවත්ත"),
    ("Aluthmawatha", "අළුත්මාවත"),
    ("Lunupokuna", "ලුනුපොකුණ"),
    ("Bloemendhal", "බ්ලූමැන්ඩල්"),
    ("Kotahena East", "කොටහේන නැගෙනහිර"),
    ("Kotahena West", "කොටහේන බටහිර"),
    ("Kochchikade North", "කොච්චිකඩේ උතුර"),
    ("Gintupitiya", "ජින්තුපිටිය"),
    ("Masangasweediya", "මසංගස්වීදිය"),
    ("New Bazaar", "නිව් බසාර්"),
    ("Grandpass North", "ග්‍රෑන්ඩ්පාස් උතුර"),
    ("Grandpass South", "ග්‍රෑන්ඩ්පාස් දකුණ"),
    ("Nawagampura", "නවගම්පුර"),
    ("Maligawatta East", "මාලිගාවත්ත නැගෙනහිර"),
    ("Khettarama", "ඛෙත්තාරාම"),
    ("Aluthkade East", "අළුත්කඩේ නැගෙනහිර"),
    ("Aluthkade West", "අළුත්කඩේ බටහිර"),
    ("Kochchikade South", "කොච්චිකඩේ දකුණ"),
    ("Pettah", "පිටකොටුව"),
    ("Fort", "කොටුව"),
    ("Maligawatta West", "මාලිගාවත්ත බටහිර"),
    ("Dematagoda", "දෙමටගොඩ"),
    ("Maradana", "මරදාන"),
    ("Maligakanda", "මාලිගාකන්ද"),
    ("Panchikawatta", "පංචිකාවත්ත"),
    ("Suduwella", "සුදුවැල්ල"),
    ("Keselwatta", "කෙසෙල්වත්ත"),
    ("Slave Island", "කොම්පඤ්ඤවීදිය"),
    ("Galle Face", "ගාලු මුවදොර"),
    ("Hunupitiya", "හුණුපිටිය"),
    ("Wekanda", "වැකන්ද"),
    ("Ibbanwala", "ඉබ්බන්වල"),
    ("Wanathamulla", "වනාතමුල්ල"),
    ("Borella North", "බොරැල්ල උතුර"),
    ("Kuppiyawatta West", "කුප්පියාවත්ත බටහිර"),
    ("Kuppiyawatta East", "කුප්පියාවත්ත නැගෙනහිර"),
    ("Borella South", "බොරැල්ල දකුණ"),
    ("Kollupitiya", "කොල්ලුපිටිය"),
    ("Cinnamon Gardens", "කුරුඳු වත්ත"),
    ("Narahenpita", "නාරාහේන්පිට"),
    ("Bambalapitiya", "බම්බලපිටිය"),
    ("Milagiriya", "මිලාගිරිය"),
    ("Havelock Town", "හැව්ලොක් නගරය"),
    ("Wellawatta", "වැල්ලවත්ත"),
)

MALE_WARDS = (
    # (ward_id, English name, Dhivehi name in Thaana, seed x km, seed y km) relative to the centre of Malé island.
    ("MLE-01", "Henveiru", "ހެންވޭރު", 0.75, 0.05),
    ("MLE-02", "Galolhu", "ގަލޮޅު", 0.05, -0.30),
    ("MLE-03", "Machchangolhi", "މައްޗަންގޮޅި", -0.05, 0.28),
    ("MLE-04", "Maafannu", "މާފަންނު", -0.75, 0.0),
    ("MLE-05", "Vilimalé", "ވިލިމާލެ", 0.0, 0.0),
    ("MLE-06", "Hulhumalé", "ހުޅުމާލެ", 0.0, 0.0),
)


# --------------------------------------------------------------------------------------------------------------
# City specifications
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorScale:
    """How a standardised latent field becomes the values of one city's indicators.

    Rates are ``centre + spread * z`` clipped to their range; counts are Poisson draws with log-mean
    ``log_mean + log_slope * z``, capped.
    """

    population_range: tuple[int, int]
    youth_unemployment: tuple[float, float] = (18.0, 6.5)
    school_dropout: tuple[float, float] = (9.0, 4.5)
    licensing_rate: tuple[float, float] = (78.0, 11.0)
    unlicensed_log_mean: float = 1.4
    hate_log_mean: float = 0.4
    propaganda_log_mean: float = 0.1
    log_slope: float = 0.75


@dataclass(frozen=True)
class Region:
    """A part of a city that is divided into wards on its own (a corporation, an island).

    Parameters
    ----------
    n_wards : int
        Number of wards in the region.
    ward_id_prefix : str
        Prefix of the ward IDs, e.g. ``"DNCC-"``; IDs are numbered from 1 in north-to-south snake order.
    fixed_seeds_km : tuple of (x, y), optional
        Seed positions (km from the city origin) to use instead of random ones, in ward order.
    """

    n_wards: int
    ward_id_prefix: str = ""
    id_digits: int = 3
    fixed_seeds_km: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class CitySpec:
    """Everything that defines one synthetic demo city."""

    key: str
    name: str
    country: str
    latitude: float
    longitude: float
    utm_epsg: int
    outline_km: Callable[[np.random.Generator], list[Polygon]]
    regions: tuple[Region, ...]
    cut_lines_km: Callable[[np.random.Generator], list[LineString]] = lambda rng: []
    density_km: Callable[[np.ndarray, np.ndarray], np.ndarray] = lambda x, y: np.ones_like(x)
    n_clusters: int = 3
    cluster_sigma_km: tuple[float, float] = (1.5, 2.5)
    scale: IndicatorScale = field(default_factory=lambda: IndicatorScale((25_000, 45_000)))
    n_missing: int = 4
    names: Callable[[int, str, int], tuple[str, str]] = lambda region_index, ward_id, number: ("", "")
    typical_population: tuple[int, ...] = ()
    """Round populations per ward, in ward order, to use instead of random ones (jittered by up to 7%)."""


def _band_outline(
    y_knots: Sequence[float],
    west_knots: Sequence[float],
    east_knots: Sequence[float],
    rng: np.random.Generator,
    wiggle_km: float = 0.15,
    n_points: int = 60,
) -> Polygon:
    """An elongated north-south outline between a western and an eastern edge (km from the city origin).

    The edges are piecewise-linear through the knots, smoothed, and given a small seeded wiggle so that they look
    drawn rather than ruled.
    """
    y_north, y_south = max(y_knots), min(y_knots)
    y = np.linspace(y_north, y_south, n_points)
    order = np.argsort(y_knots)
    knots_y = np.asarray(y_knots)[order]
    west = np.interp(y, knots_y, np.asarray(west_knots)[order])
    east = np.interp(y, knots_y, np.asarray(east_knots)[order])
    kernel = np.array([1.0, 2.0, 3.0, 2.0, 1.0]) / 9.0
    west = np.convolve(np.pad(west, 2, mode="edge"), kernel, mode="valid")
    east = np.convolve(np.pad(east, 2, mode="edge"), kernel, mode="valid")
    phase_west, phase_east = rng.uniform(0, 2 * np.pi, 2)
    west = west + wiggle_km * np.sin(y * 2.1 + phase_west)
    east = east + wiggle_km * np.sin(y * 1.7 + phase_east)
    ring = list(zip(east, y)) + list(zip(west[::-1], y[::-1]))
    return Polygon(ring).buffer(0)


def _blob_outline(
    centre_km: tuple[float, float],
    half_length_km: float,
    half_width_km: float,
    angle_deg: float,
    rng: np.random.Generator,
    roughness: float = 0.04,
    n_points: int = 40,
) -> Polygon:
    """A rounded, slightly irregular island-like outline: a super-ellipse with seeded harmonics."""
    theta = np.linspace(0.0, 2 * np.pi, n_points, endpoint=False)
    radius = 1.0 + sum(roughness / k * np.sin(k * theta + rng.uniform(0, 2 * np.pi)) for k in (2, 3, 5))
    exponent = 2.0 / 3.0  # super-ellipse: squarer than an ellipse, like a reclaimed island
    x = half_length_km * np.sign(np.cos(theta)) * np.abs(np.cos(theta)) ** exponent * radius
    y = half_width_km * np.sign(np.sin(theta)) * np.abs(np.sin(theta)) ** exponent * radius
    angle = np.deg2rad(angle_deg)
    x_rot = centre_km[0] + x * np.cos(angle) - y * np.sin(angle)
    y_rot = centre_km[1] + x * np.sin(angle) + y * np.cos(angle)
    return Polygon(list(zip(x_rot, y_rot)))


def _kolkata_outline(rng: np.random.Generator) -> list[Polygon]:
    # West edge: the east bank of the Hooghly, which bends west to Garden Reach; the south spreads towards
    # Behala and Garia. Knots are km from 22.5726N 88.3639E.
    return [
        _band_outline(
            y_knots=[6.5, 4.0, 1.0, -1.0, -3.0, -5.0, -8.0, -12.5],
            west_knots=[-0.6, -1.2, -2.0, -3.5, -7.0, -8.0, -7.5, -5.0],
            east_knots=[2.0, 3.2, 4.5, 5.0, 5.5, 6.0, 6.0, 4.0],
            rng=rng,
        )
    ]


def _dhaka_outline(rng: np.random.Generator) -> list[Polygon]:
    # km from 23.78N 90.40E: Uttara in the north, the Buriganga in the south.
    return [
        _band_outline(
            y_knots=[12.0, 9.0, 5.0, 1.0, -3.0, -6.0, -9.0, -10.5],
            west_knots=[-3.0, -5.0, -6.5, -6.0, -5.0, -4.5, -3.5, -2.0],
            east_knots=[3.0, 5.0, 6.5, 7.0, 7.0, 6.0, 4.0, 2.0],
            rng=rng,
            wiggle_km=0.25,
        )
    ]


def _dhaka_cut(rng: np.random.Generator) -> list[LineString]:
    # The boundary between the North and South City Corporations: a wavy line about 2.8 km south of the origin.
    x = np.linspace(-10.0, 10.0, 41)
    phase = rng.uniform(0, 2 * np.pi)
    y = -2.8 + 0.5 * np.sin(x * 0.6 + phase) + 0.03 * x
    return [LineString(list(zip(x, y)))]


def _colombo_outline(rng: np.random.Generator) -> list[Polygon]:
    # km from 6.92N 79.86E; the west edge is the coast, the north edge the Kelani river mouth.
    return [
        _band_outline(
            y_knots=[6.6, 5.0, 3.0, 1.0, -1.0, -3.0, -5.0, -6.1],
            west_knots=[0.2, -0.6, -1.6, -2.0, -1.7, -1.2, -0.8, -0.5],
            east_knots=[2.0, 2.2, 1.8, 2.0, 2.6, 2.8, 2.4, 1.6],
            rng=rng,
            wiggle_km=0.06,
        )
    ]


def _male_outline(rng: np.random.Generator) -> list[Polygon]:
    # km from the centre of Malé island (4.1750N 73.5110E). Malé ~2.4 km x 1.1 km; Vilimalé ~2.6 km west;
    # Hulhumalé ~5 km north-east, long and narrow, lying NNE-SSW.
    return [
        _blob_outline((0.0, 0.0), 1.2, 0.55, 3.0, rng),
        _blob_outline((-2.65, -0.20), 0.35, 0.28, 0.0, rng),
        _blob_outline((3.2, 4.7), 2.0, 0.55, 72.0, rng),
    ]


def _kolkata_density(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    # Small wards in the old city in the north, larger ones in the added southern wards.
    return 0.35 + np.exp(-(((y - 2.0) / 6.0) ** 2)) + 0.3 * np.exp(-((x / 4.0) ** 2))


def _dhaka_density(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    # Dense old city in the south, sparse new wards on the northern and eastern fringes.
    return 0.3 + np.exp(-(((y + 6.0) / 5.0) ** 2) - ((x / 6.0) ** 2))


def _colombo_density(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return 0.6 + np.exp(-(((y - 2.5) / 4.0) ** 2))


def _bengali_ward_names(prefix_en: str, prefix_bn: str) -> Callable[[int, str, int], tuple[str, str]]:
    def names(region_index: int, ward_id: str, number: int) -> tuple[str, str]:
        return f"{prefix_en}Ward {number}", f"{prefix_bn}ওয়ার্ড {str(number).translate(BENGALI_DIGITS)}"

    return names


def _dhaka_names(region_index: int, ward_id: str, number: int) -> tuple[str, str]:
    if region_index == 0:
        return f"DNCC Ward {number}", f"ঢাকা উত্তর ওয়ার্ড {str(number).translate(BENGALI_DIGITS)}"
    return f"DSCC Ward {number}", f"ঢাকা দক্ষিণ ওয়ার্ড {str(number).translate(BENGALI_DIGITS)}"


def _colombo_names(region_index: int, ward_id: str, number: int) -> tuple[str, str]:
    return COLOMBO_WARDS[number - 1]


def _male_names(region_index: int, ward_id: str, number: int) -> tuple[str, str]:
    ward = next(w for w in MALE_WARDS if w[0] == ward_id)
    return ward[1], ward[2]


CITIES: tuple[CitySpec, ...] = (
    CitySpec(
        key="kolkata",
        name="Kolkata",
        country="India",
        latitude=22.5726,
        longitude=88.3639,
        utm_epsg=32645,
        outline_km=_kolkata_outline,
        regions=(Region(144, "KMC-", 3),),
        density_km=_kolkata_density,
        n_clusters=3,
        cluster_sigma_km=(1.6, 2.6),
        scale=IndicatorScale(population_range=(25_000, 45_000)),
        n_missing=5,
        names=_bengali_ward_names("", ""),
    ),
    CitySpec(
        key="dhaka",
        name="Dhaka",
        country="Bangladesh",
        latitude=23.78,
        longitude=90.40,
        utm_epsg=32646,
        outline_km=_dhaka_outline,
        regions=(Region(54, "DNCC-", 2), Region(75, "DSCC-", 2)),
        cut_lines_km=_dhaka_cut,
        density_km=_dhaka_density,
        n_clusters=3,
        cluster_sigma_km=(1.8, 2.8),
        scale=IndicatorScale(population_range=(50_000, 250_000)),
        n_missing=5,
        names=_dhaka_names,
    ),
    CitySpec(
        key="colombo",
        name="Colombo",
        country="Sri Lanka",
        latitude=6.92,
        longitude=79.86,
        utm_epsg=32644,
        outline_km=_colombo_outline,
        regions=(Region(47, "CMC-", 2),),
        density_km=_colombo_density,
        n_clusters=2,
        cluster_sigma_km=(1.0, 1.6),
        scale=IndicatorScale(
            population_range=(5_000, 30_000),
            unlicensed_log_mean=0.9,
            hate_log_mean=0.0,
            propaganda_log_mean=-0.3,
        ),
        n_missing=3,
        names=_colombo_names,
    ),
    CitySpec(
        key="male",
        name="Malé",
        country="Maldives",
        latitude=4.1750,
        longitude=73.5110,
        utm_epsg=32643,
        outline_km=_male_outline,
        regions=(
            Region(4, "", 0, tuple((w[3], w[4]) for w in MALE_WARDS[:4])),
            Region(1, "", 0, ((-2.65, -0.20),)),
            Region(1, "", 0, ((3.2, 4.7),)),
        ),
        n_clusters=1,
        cluster_sigma_km=(0.8, 1.2),
        scale=IndicatorScale(
            population_range=(10_000, 60_000),
            unlicensed_log_mean=0.8,
            hate_log_mean=-0.2,
            propaganda_log_mean=-0.4,
        ),
        n_missing=1,
        names=_male_names,
        typical_population=(40_000, 30_000, 28_000, 36_000, 11_000, 55_000),
    ),
)


# --------------------------------------------------------------------------------------------------------------
# Geometry
# --------------------------------------------------------------------------------------------------------------


@dataclass
class Ward:
    """One generated ward: its ID, region and polygon in km from the city origin."""

    ward_id: str
    number: int
    region_index: int
    seed_km: tuple[float, float]
    polygon_km: Polygon | None = None


def _best_candidate_seeds(
    region: Polygon,
    n_seeds: int,
    density: Callable[[np.ndarray, np.ndarray], np.ndarray],
    existing: np.ndarray,
    rng: np.random.Generator,
    n_candidates: int = 40,
) -> np.ndarray:
    """Spread ``n_seeds`` points over ``region`` (Mitchell's best candidate, spacing scaled by density)."""
    min_x, min_y, max_x, max_y = region.bounds
    seeds = [tuple(p) for p in existing]
    chosen = []
    while len(chosen) < n_seeds:
        candidates_x = rng.uniform(min_x, max_x, n_candidates * 4)
        candidates_y = rng.uniform(min_y, max_y, n_candidates * 4)
        inside = shapely.contains_xy(region, candidates_x, candidates_y)
        candidates = np.column_stack([candidates_x[inside], candidates_y[inside]])[:n_candidates]
        if len(candidates) == 0:
            continue
        if not seeds:
            best = candidates[0]
        else:
            distance = np.min(
                np.hypot(
                    candidates[:, None, 0] - np.asarray(seeds)[None, :, 0],
                    candidates[:, None, 1] - np.asarray(seeds)[None, :, 1],
                ),
                axis=1,
            )
            # The margin to the region edge counts too, so that seeds do not hug the outline.
            edge = shapely.distance(region.exterior, shapely.points(candidates)) * 2.0
            spacing = np.minimum(distance, edge) * np.sqrt(density(candidates[:, 0], candidates[:, 1]))
            best = candidates[int(np.argmax(spacing))]
        seeds.append((float(best[0]), float(best[1])))
        chosen.append((float(best[0]), float(best[1])))
    return np.asarray(chosen)


def _snake_order(seeds: np.ndarray, band_km: float) -> np.ndarray:
    """Order seeds north to south in east-west bands, alternating direction (like real ward numbering)."""
    band = np.floor((seeds[:, 1].max() - seeds[:, 1]) / band_km).astype(int)
    along = np.where(band % 2 == 0, seeds[:, 0], -seeds[:, 0])
    return np.lexsort((along, band))


def _build_wards(spec: CitySpec, rng: np.random.Generator) -> list[Ward]:
    """Seeds, Voronoi linework and polygonised wards for one city, in km from the city origin."""
    islands = spec.outline_km(rng)
    cut_lines = spec.cut_lines_km(rng)
    outline = shapely.union_all(islands)
    # Regions: the islands, each split by the cut lines; listed in the order of spec.regions.
    pieces: list[Polygon] = []
    for island in islands:
        parts = [island]
        for line in cut_lines:
            parts = [p for part in parts for p in split(part, line).geoms]
        parts.sort(key=lambda p: -p.centroid.y)  # north first: DNCC before DSCC
        pieces.extend(parts)
    if len(pieces) != len(spec.regions):
        raise RuntimeError(f"{spec.name}: {len(pieces)} regions drawn, {len(spec.regions)} specified")

    wards: list[Ward] = []
    all_seeds = np.empty((0, 2))
    linework = [piece.boundary for piece in pieces]
    for region_index, (piece, region) in enumerate(zip(pieces, spec.regions)):
        if region.fixed_seeds_km:
            seeds = np.asarray(region.fixed_seeds_km, dtype=float)
            order = np.arange(len(seeds))
        else:
            seeds = _best_candidate_seeds(piece, region.n_wards, spec.density_km, all_seeds, rng)
            band = np.sqrt(piece.area / region.n_wards) * 1.6
            order = _snake_order(seeds, band)
        all_seeds = np.vstack([all_seeds, seeds])
        for number, seed_index in enumerate(order, start=1):
            if region.ward_id_prefix:
                ward_id = f"{region.ward_id_prefix}{number:0{region.id_digits}d}"
            else:
                ward_id = MALE_WARDS[len(wards)][0]
            wards.append(Ward(ward_id, number, region_index, tuple(seeds[seed_index])))
        if len(seeds) > 1:
            envelope = piece.envelope.buffer(5.0)
            edges = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=envelope, only_edges=True)
            # Overshoot the region by 1 m so that every edge crosses the boundary and is noded with it; the
            # overshooting stubs are dangles, which polygonize drops.
            linework.append(edges.intersection(piece.buffer(0.001)))

    noded = shapely.union_all(linework)
    faces = list(shapely.polygonize(list(shapely.get_parts(noded))).geoms)
    faces_by_ward: dict[int, list[Polygon]] = {i: [] for i in range(len(wards))}
    region_of_ward = np.array([w.region_index for w in wards])
    seed_xy = np.array([w.seed_km for w in wards])
    for face in faces:
        inside = face.point_on_surface()
        region_index = next((i for i, p in enumerate(pieces) if p.contains(inside)), None)
        if region_index is None:
            continue  # a face outside the city (between islands), if any
        candidates = np.flatnonzero(region_of_ward == region_index)
        distance = np.hypot(seed_xy[candidates, 0] - inside.x, seed_xy[candidates, 1] - inside.y)
        faces_by_ward[int(candidates[np.argmin(distance)])].append(face)

    _merge_faces(wards, faces_by_ward)
    covered = shapely.union_all([w.polygon_km for w in wards])
    if abs(covered.area - outline.area) > 1e-6 * outline.area:
        raise RuntimeError(f"{spec.name}: wards cover {covered.area:.4f} km2 of {outline.area:.4f} km2")
    return wards


def _merge_faces(wards: list[Ward], faces_by_ward: dict[int, list[Polygon]]) -> None:
    """Merge each ward's faces; hand any piece cut off from its seed to the neighbour it shares most edge with."""
    for _ in range(10):
        moved = False
        for index, ward in enumerate(wards):
            merged = shapely.union_all(faces_by_ward[index])
            if merged.geom_type == "Polygon":
                ward.polygon_km = merged
                continue
            seed = Point(ward.seed_km)
            for part in merged.geoms:
                if part.buffer(1e-9).contains(seed):
                    continue
                stray = [f for f in faces_by_ward[index] if part.contains(f.point_on_surface())]
                best, best_length = None, 0.0
                for other, other_faces in faces_by_ward.items():
                    if other == index or wards[other].region_index != ward.region_index or not other_faces:
                        continue
                    length = shapely.union_all(other_faces).boundary.intersection(part.boundary).length
                    if length > best_length:
                        best, best_length = other, length
                if best is None:
                    raise RuntimeError(f"ward {ward.ward_id}: a detached piece has no neighbour")
                faces_by_ward[index] = [f for f in faces_by_ward[index] if not any(f is s for s in stray)]
                faces_by_ward[best].extend(stray)
                moved = True
        if not moved:
            return
    raise RuntimeError("could not make every ward a single polygon")


def _project_rings(
    polygon_km: Polygon, origin_xy: tuple[float, float], transformer: Transformer
) -> list[list[tuple[float, float]]]:
    """Exterior (counter-clockwise) and hole rings in lon/lat, rounded, without repeated points."""
    polygon_km = orient(polygon_km, sign=1.0)
    rings = []
    for ring in [polygon_km.exterior, *polygon_km.interiors]:
        xy = np.asarray(ring.coords)
        lon, lat = transformer.transform(origin_xy[0] + xy[:, 0] * 1000.0, origin_xy[1] + xy[:, 1] * 1000.0)
        lon = np.round(lon, COORDINATE_DECIMALS)
        lat = np.round(lat, COORDINATE_DECIMALS)
        points: list[tuple[float, float]] = []
        for point in zip(lon.tolist(), lat.tolist()):
            if not points or point != points[-1]:
                points.append(point)
        rings.append(points)
    return rings


# --------------------------------------------------------------------------------------------------------------
# Indicators
# --------------------------------------------------------------------------------------------------------------


def _neighbours(polygons: list[Polygon]) -> list[np.ndarray]:
    """Queen neighbours (sharing at least one point) of every ward."""
    tree = shapely.STRtree(polygons)
    pairs = tree.query(polygons, predicate="touches")
    return [np.sort(pairs[1][pairs[0] == i]) for i in range(len(polygons))]


def _smooth(values: np.ndarray, neighbours: list[np.ndarray], rounds: int) -> np.ndarray:
    """Average every ward with its neighbours, ``rounds`` times (islands keep their own value)."""
    for _ in range(rounds):
        values = np.array([(values[i] + values[nb].sum()) / (1 + len(nb)) for i, nb in enumerate(neighbours)])
    return values


def _standardise(values: np.ndarray) -> np.ndarray:
    spread = values.std()
    return (values - values.mean()) / (spread if spread > 0 else 1.0)


def _indicator_table(spec: CitySpec, wards: list[Ward], rng: np.random.Generator) -> list[dict[str, object]]:
    """Populations and indicator values from a smooth random field with a few clusters."""
    polygons = [w.polygon_km for w in wards]
    neighbours = _neighbours(polygons)
    centroids = np.array([[p.centroid.x, p.centroid.y] for p in polygons])
    n_wards = len(wards)

    # Cluster centres at random wards, at least 3 sigma apart where possible.
    cluster_centres: list[tuple[float, float]] = []
    for _ in range(spec.n_clusters):
        for _attempt in range(200):
            centre = centroids[rng.integers(n_wards)]
            if all(np.hypot(*(centre - c)) > 3 * spec.cluster_sigma_km[1] for c in cluster_centres):
                break
        cluster_centres.append((float(centre[0]), float(centre[1])))
    sigmas = rng.uniform(*spec.cluster_sigma_km, spec.n_clusters)
    amplitudes = rng.uniform(1.0, 1.6, spec.n_clusters)

    def bumps(weights: np.ndarray) -> np.ndarray:
        field_values = np.zeros(n_wards)
        for (cx, cy), sigma, amplitude, weight in zip(cluster_centres, sigmas, amplitudes, weights):
            distance2 = (centroids[:, 0] - cx) ** 2 + (centroids[:, 1] - cy) ** 2
            field_values += weight * amplitude * np.exp(-distance2 / (2 * sigma**2))
        return field_values

    def smooth_noise(rounds: int = 2) -> np.ndarray:
        return _standardise(_smooth(rng.normal(size=n_wards), neighbours, rounds))

    common_risk = _standardise(bumps(np.ones(spec.n_clusters)) * 2.0 + 0.6 * smooth_noise())
    # Three dimensions share the common field but each has its own noise and its own weighting of the clusters,
    # so that correlations between dimensions are moderate, not perfect.
    dimension_fields = []
    for _ in range(3):
        own_weights = rng.uniform(0.3, 1.0, spec.n_clusters)
        dimension_fields.append(
            _standardise(0.75 * common_risk + 0.45 * _standardise(bumps(own_weights)) + 0.5 * smooth_noise())
        )
    socio_economic, institutional, incidents = dimension_fields

    def indicator(dimension: np.ndarray, noise: float = 0.7) -> np.ndarray:
        return _standardise(dimension + noise * rng.normal(size=n_wards))

    scale = spec.scale

    def rate(z: np.ndarray, centre_spread: tuple[float, float], low: float, high: float) -> np.ndarray:
        return np.round(np.clip(centre_spread[0] + centre_spread[1] * z, low, high), 1)

    def count(z: np.ndarray, log_mean: float, cap: int) -> np.ndarray:
        return np.minimum(rng.poisson(np.exp(log_mean + scale.log_slope * z)), cap)

    values = {
        "youth_unemployment_rate": rate(indicator(socio_economic), scale.youth_unemployment, 5.0, 40.0),
        "school_dropout_rate": rate(indicator(socio_economic), scale.school_dropout, 1.0, 25.0),
        "unlicensed_institutions": count(indicator(institutional), scale.unlicensed_log_mean, 30),
        # Lower licensing is riskier, hence the minus sign.
        "institution_licensing_rate": rate(-indicator(institutional), scale.licensing_rate, 40.0, 100.0),
        "hate_incidents": count(indicator(incidents), scale.hate_log_mean, 20),
        "extremist_propaganda_reports": count(indicator(incidents), scale.propaganda_log_mean, 20),
    }
    low, high = scale.population_range
    population_z = 0.3 * common_risk + rng.normal(size=n_wards)
    population_share = (np.argsort(np.argsort(population_z)) + rng.uniform(0.1, 0.9, n_wards)) / n_wards
    population = np.round(low + (high - low) * population_share).astype(int)
    if spec.typical_population:
        jitter = rng.uniform(0.93, 1.07, n_wards)
        population = np.round(np.asarray(spec.typical_population) * jitter).astype(int)

    rows: list[dict[str, object]] = []
    for i, ward in enumerate(wards):
        name, name_local = spec.names(ward.region_index, ward.ward_id, ward.number)
        row: dict[str, object] = {
            "ward_id": ward.ward_id,
            "ward_name": name,
            "ward_name_local": name_local,
            "population": int(population[i]),
        }
        for column in INDICATOR_COLUMNS:
            row[column] = values[column][i].item()
        rows.append(row)

    # A few missing values, each in a different indicator column (cycled if there are more than six).
    missing_wards = rng.choice(n_wards, size=spec.n_missing, replace=False)
    missing_columns = rng.permutation(len(INDICATOR_COLUMNS))
    for k, ward_index in enumerate(missing_wards):
        rows[int(ward_index)][INDICATOR_COLUMNS[int(missing_columns[k % len(INDICATOR_COLUMNS)])]] = None
    return rows


# --------------------------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------------------------


def _format_number(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _csv_text(rows: list[dict[str, object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([_format_number(row[column]) for column in CSV_COLUMNS])
    return buffer.getvalue()


def _geojson_text(spec: CitySpec, wards: list[Ward], rows: list[dict[str, object]], city_number: int) -> str:
    """RFC 7946 GeoJSON, one feature per line, fixed key order and 6-decimal coordinates."""
    utm_to_lonlat = Transformer.from_crs(f"EPSG:{spec.utm_epsg}", "EPSG:4326", always_xy=True)
    lonlat_to_utm = Transformer.from_crs("EPSG:4326", f"EPSG:{spec.utm_epsg}", always_xy=True)
    origin_xy = lonlat_to_utm.transform(spec.longitude, spec.latitude)

    rings_by_ward = [_project_rings(w.polygon_km, origin_xy, utm_to_lonlat) for w in wards]
    _check_coverage(spec, rings_by_ward)

    metadata = {
        "city": spec.name,
        "country": spec.country,
        "generator": "data/make_demo.py",
        "note": SYNTHETIC_NOTE,
        "seed": [SEED, city_number],
        "synthetic": True,
    }
    header = {
        "type": "FeatureCollection",
        "name": f"{spec.key}_wards_synthetic",
        "metadata": metadata,
    }
    head = json.dumps(header, ensure_ascii=False, separators=(",", ":"))[:-1]
    lines = [head + ',"features":[']
    for i, rings in enumerate(rings_by_ward):
        properties = json.dumps(
            {key: rows[i][key] for key in ("ward_id", "ward_name")},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        coordinates = ",".join(
            "[" + ",".join(f"[{lon:.{COORDINATE_DECIMALS}f},{lat:.{COORDINATE_DECIMALS}f}]" for lon, lat in ring) + "]"
            for ring in rings
        )
        separator = "," if i < len(wards) - 1 else ""
        lines.append(
            f'{{"type":"Feature","properties":{properties},'
            f'"geometry":{{"type":"Polygon","coordinates":[{coordinates}]}}}}{separator}'
        )
    lines.append("]}")
    return "\n".join(lines) + "\n"


def _check_coverage(spec: CitySpec, rings_by_ward: list[list[list[tuple[float, float]]]]) -> None:
    """Fail loudly if rounding broke a polygon or the ward coverage (gaps are allowed only between islands)."""
    polygons = [Polygon(rings[0], rings[1:]) for rings in rings_by_ward]
    invalid = [i for i, p in enumerate(polygons) if not p.is_valid]
    if invalid:
        raise RuntimeError(f"{spec.name}: invalid ward polygons after rounding: {invalid}")
    if not shapely.coverage_is_valid(shapely.GeometryCollection(polygons)):
        raise RuntimeError(f"{spec.name}: ward polygons overlap or do not share edges exactly")
    not_ccw = [i for i, p in enumerate(polygons) if not p.exterior.is_ccw]
    if not_ccw:
        raise RuntimeError(f"{spec.name}: exterior rings not counter-clockwise: {not_ccw}")


def _readme_text() -> str:
    lines = [
        "# Demo cities (synthetic)",
        "",
        "Generated by `data/make_demo.py`; do not edit by hand. Regenerate with `python data/make_demo.py`.",
        "",
        SYNTHETIC_NOTE,
        "",
        "| city | wards | boundaries | indicators |",
        "|---|---|---|---|",
    ]
    for spec in CITIES:
        n_wards = sum(r.n_wards for r in spec.regions)
        lines.append(
            f"| {spec.name}, {spec.country} | {n_wards} | `{spec.key}_wards_synthetic.geojson` "
            f"| `{spec.key}_indicators_synthetic.csv` |"
        )
    lines += [
        "",
        "Boundaries: RFC 7946 GeoJSON, EPSG:4326 (lon/lat), exterior rings counter-clockwise, 6 decimals; "
        "neighbouring wards share edges exactly.",
        "Indicators: UTF-8 CSV; `ward_id` first, then `ward_name`, `ward_name_local`, `population` and the "
        "default indicators: " + ", ".join(f"`{c}`" for c in INDICATOR_COLUMNS) + ".",
        "Rates are percentages (0-100); `institution_licensing_rate` is higher-is-safer. Counts are integers. "
        "A few cells are empty on purpose (missing values).",
        "",
    ]
    return "\n".join(lines)


def write_demo_files(out_dir: Path) -> list[Path]:
    """Generate every demo city into ``out_dir``.

    Parameters
    ----------
    out_dir : Path
        Directory to write into (created if missing).

    Returns
    -------
    list of Path
        The files written, in a fixed order.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for city_number, spec in enumerate(CITIES):
        rng = np.random.default_rng([SEED, city_number])
        wards = _build_wards(spec, rng)
        rows = _indicator_table(spec, wards, rng)
        boundaries = out_dir / f"{spec.key}_wards_synthetic.geojson"
        indicators = out_dir / f"{spec.key}_indicators_synthetic.csv"
        boundaries.write_bytes(_geojson_text(spec, wards, rows, city_number).encode("utf-8"))
        indicators.write_bytes(_csv_text(rows).encode("utf-8"))
        written += [indicators, boundaries]
    readme = out_dir / "README.md"
    readme.write_bytes(_readme_text().encode("utf-8"))
    written.append(readme)
    return written


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Generate the synthetic demo cities (reproducible).")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT_DIR, help=f"output directory (default {DEFAULT_OUT_DIR})"
    )
    arguments = parser.parse_args(argv)
    for path in write_demo_files(arguments.out):
        print(f"{path}  {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
