"""hotspots: ward-level risk scoring and hotspot mapping for prevention practitioners.

The data flow is the layout: :mod:`hotspots.io` (read) -> :mod:`hotspots.validate` -> :mod:`hotspots.scoring`
-> :mod:`hotspots.spatial` -> :mod:`hotspots.classify` -> :mod:`hotspots.maps` / :mod:`hotspots.export`;
:mod:`hotspots.pipeline` runs them in one call.
"""

from ._version import __version__  # the one place the version is set (pyproject.toml reads it there)
from .classify import CLASS_LABELS, Classification, classify
from .demo import DemoCity, demo_cities, demo_city
from .errors import (
    DataError,
    FrameworkError,
    HotspotsError,
    InputFileError,
    NotFittedError,
    Problem,
    ValidationError,
)
from .framework import Framework, Indicator, default_framework
from .method import Method
from .pipeline import (
    CityData,
    RawCity,
    RiskResult,
    city_graph,
    city_key,
    classify_scores,
    find_hotspots,
    load_city,
    prepare_city,
    read_city,
    run,
    score,
    score_cities,
    score_city,
)
from .profiles import Profiles, profile_results, risk_profiles
from .scenarios import ScenarioComparison, compare_scenarios
from .scoring import RiskScorer, ScoreResult, prepare_indicators, score_wards
from .spatial import (
    NeighbourGraph,
    adjust_pvalues,
    bivariate_local_moran,
    dimension_correlation,
    global_moran,
    hotspot_statistics,
    neighbour_graph,
)
from .validate import ValidatedTable, validate_table
from .worksheet import Worksheet, action_worksheet, read_worksheet

__all__ = [
    "__version__",
    "CLASS_LABELS",
    "Classification",
    "classify",
    "DemoCity",
    "demo_cities",
    "demo_city",
    "DataError",
    "FrameworkError",
    "HotspotsError",
    "InputFileError",
    "NotFittedError",
    "Problem",
    "ValidationError",
    "Framework",
    "Indicator",
    "default_framework",
    "Method",
    "CityData",
    "RawCity",
    "RiskResult",
    "city_graph",
    "city_key",
    "classify_scores",
    "find_hotspots",
    "score",
    "load_city",
    "prepare_city",
    "read_city",
    "run",
    "score_city",
    "score_cities",
    "Profiles",
    "risk_profiles",
    "profile_results",
    "Worksheet",
    "action_worksheet",
    "read_worksheet",
    "NeighbourGraph",
    "adjust_pvalues",
    "bivariate_local_moran",
    "dimension_correlation",
    "global_moran",
    "hotspot_statistics",
    "neighbour_graph",
    "ScenarioComparison",
    "compare_scenarios",
    "RiskScorer",
    "ScoreResult",
    "prepare_indicators",
    "score_wards",
    "ValidatedTable",
    "validate_table",
]
