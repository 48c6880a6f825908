"""The room's wall: risk profiles are learned on all published cities together (issue 12), on copies."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from hotspots import Method, default_framework, load_city
from hotspots.demo import demo_cities
from hotspots.pipeline import score_city
from hotspots.profiles import pooled_scores, risk_profiles

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ui.wall import pooled_profiles  # noqa: E402


def scored(name: str, method: Method):
    demo = demo_cities()[name]
    city = load_city(demo.indicators_path, demo.boundaries_path, default_framework(), id_column=demo.id_column)
    return score_city(city, method)


def test_wall_items_under_different_scenarios_share_one_set_of_profiles():
    base = Method(permutations=99)
    heavy = base.replace(framework=base.framework.with_weights({}, {"ideological": 3.0}))
    names = list(demo_cities())[:2]
    results = {f"{names[0]} · base": scored(names[0], base), f"{names[1]} · heavy": scored(names[1], heavy)}
    own = {label: r.layer["risk_profile"].copy() for label, r in results.items()}
    pooled = pooled_profiles(results, base)
    # the reference: the same pooled fit done by hand on the two cities' dimension scores
    expected = risk_profiles(pooled_scores(results), seed=base.seed)
    for label, result in pooled.items():
        got = pd.Series(result.layer["risk_profile"].to_numpy(), index=result.layer["ward_id"].astype(str))
        pd.testing.assert_series_equal(
            got.sort_index(),
            expected.for_city(label).reindex(got.index).sort_index(),
            check_names=False,
            check_dtype=False,
        )
        assert result.profiles is not results[label].profiles
    labels = [set(r.layer["risk_profile"].dropna()) for r in pooled.values()]
    assert labels[0] | labels[1] <= set(expected.centres["label"])
    for label, result in results.items():  # the cached results keep their own profiles
        pd.testing.assert_series_equal(result.layer["risk_profile"], own[label])
