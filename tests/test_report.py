"""Tests of hotspots.report: plain-language summaries of a scored map and of correlations between kinds of risk."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

import hotspots.report
from hotspots.report import correlation_pairs, link_strength, summarise_layer
from hotspots.spatial import dimension_correlation


@pytest.mark.parametrize(
    ("rho", "n", "words"),
    [
        (0.05, 100, "no clear link"),
        (-0.099, 100, "no clear link"),
        (0.1, 100, "weak, together"),  # the bounds belong to the stronger word
        (-0.29, 100, "weak, opposite"),
        (0.3, 100, "moderate, together"),
        (0.5, 100, "strong, together"),
        (-1.0, 100, "strong, opposite"),
        (0.9, 2, "too few wards"),
        (float("nan"), 100, "too few wards"),
    ],
)
def test_link_strength(rho, n, words):
    assert link_strength(rho, n) == words


def test_correlation_pairs_follow_the_matrices():
    rng = np.random.default_rng(0)
    a = rng.normal(size=50)
    scores = pd.DataFrame({"a_score": a, "b_score": a + rng.normal(scale=0.1, size=50), "c_score": -a})
    scores.loc[:4, "c_score"] = np.nan  # 5 wards without the third score
    corr = dimension_correlation(scores, list(scores.columns))
    pairs = correlation_pairs(corr)
    assert pairs[["first", "second"]].values.tolist() == [
        ["a_score", "b_score"], ["a_score", "c_score"], ["b_score", "c_score"]]  # fmt: skip
    assert pairs["n_wards"].tolist() == [50, 45, 45]
    assert pairs.loc[1, "spearman_rho"] == pytest.approx(-1.0)  # c is minus a
    assert pairs["reading"].tolist()[:2] == ["strong, together", "strong, opposite"]
    for row in pairs.itertuples():
        assert row.pearson_r == corr.pearson.loc[row.first, row.second]


def test_summarise_layer():
    layer = pd.DataFrame(
        {
            "ward_id": ["W1", "W2", "W3", "W4"],
            "risk_score": [2.0, 9.5, np.nan, 7.0],
            "risk_rank": [3, 1, np.nan, 2],
            "hotspot_class": ["not significant", "hot spot (99%)", "no data", "hot spot (90%)"],
        }
    )
    summary = summarise_layer(layer, top=2)
    assert (summary.wards, summary.hot_spots, summary.top_score, summary.top_wards) == (4, 2, 9.5, ["W2", "W4"])
    assert summarise_layer(layer.drop(columns="hotspot_class")).hot_spots == 0


def test_docstring_examples():
    assert doctest.testmod(hotspots.report).failed == 0


def test_compare_cities_by_hand():
    from hotspots.report import COMPARE_COLUMNS, compare_cities

    # 5 wards, one without a score: worked out by hand below
    a = pd.DataFrame(
        {
            "risk_score": [1.0, 2.0, 3.0, 10.0, np.nan],
            "risk_class": ["Very low", "Low", "Medium", "Very high", "No data"],
            "hotspot_class": ["not significant", "cold spot 90%", "hot spot 95%", "hot spot 99%", "no data"],
            "individual_score": [1.0, 1.0, 1.0, 1.0, np.nan],
            "ideological_score": [0.0, 2.0, 4.0, 6.0, np.nan],
        }
    )
    b = a.drop(columns="hotspot_class").assign(individual_score=9.0)
    table = compare_cities({"A <city>": a, "B": b}, ["individual", "ideological"])
    assert list(table.columns) == list(COMPARE_COLUMNS)
    first = table.iloc[0]
    assert first["city"] == "A <city>" and first["wards"] == 5 and first["wards_with_score"] == 4
    assert first["mean_risk"] == pytest.approx(4.0)  # (1 + 2 + 3 + 10) / 4
    assert first["median_risk"] == pytest.approx(2.5)
    assert first["share_top_class"] == pytest.approx(0.25)  # 1 "Very high" of 4 scored
    assert first["share_hot_spots"] == pytest.approx(0.5)  # 2 hot spots (95%, 99%) of 4; cold spots do not count
    assert first["dominant_dimension"] == "ideological"  # mean 3 > mean 1
    second = table.iloc[1]
    assert np.isnan(second["share_hot_spots"])  # not tested
    assert second["dominant_dimension"] == "individual"  # mean 9 > 3


def test_dimension_profile_by_hand():
    from hotspots.report import dimension_profile

    layers = {
        "A": pd.DataFrame({"individual_score": [1.0, 2.0, 3.0, 4.0], "ideological_score": [np.nan] * 4}),
        "B": pd.DataFrame({"individual_score": [5.0, np.nan, 5.0, 8.0], "ideological_score": [0.0, 1.0, 2.0, 3.0]}),
    }
    profile = dimension_profile(layers, ["individual", "ideological"])
    # A: numpy's linear percentiles of 1..4 are 1.75 and 3.25; A has no ideological score, so no row
    assert profile[["city", "dimension"]].values.tolist() == [
        ["A", "individual"],
        ["B", "individual"],
        ["B", "ideological"],
    ]
    a = profile.iloc[0]
    assert (a["mean"], a["median"], a["q25"], a["q75"], a["wards"]) == (2.5, 2.5, 1.75, 3.25, 4)
    b = profile.iloc[1]  # 5, 5, 8: mean 6, median 5, the missing ward left out
    assert (b["mean"], b["median"], b["wards"]) == (6.0, 5.0, 3)
