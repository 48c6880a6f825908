"""city_summary: the per-city table of the workshop wall, checked by hand on small layers."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pandas as pd
import pytest

from hotspots.framework import default_framework
from hotspots.summary import HEAD_COLUMNS, SHARE_COLUMNS, city_summary


def _result(layer: pd.DataFrame, dimensions=("individual", "institutional", "ideological")):
    framework = default_framework()
    framework = SimpleNamespace(dimension_names=list(dimensions), population_column=framework.population_column)
    return SimpleNamespace(layer=layer, framework=framework)


def _layer_a() -> pd.DataFrame:
    # Four wards, one without a score (w4). Hand-worked below.
    return pd.DataFrame(
        {
            "ward_id": ["w1", "w2", "w3", "w4"],
            "population": [1000.0, 3000.0, 6000.0, 500.0],
            "risk_score": [8.0, 2.0, 5.0, None],
            "risk_class": ["Very high", "Very low", "Medium", "No data"],
            "hotspot_class": ["hot spot 99%", "not significant", "hot spot 90%", "not tested"],
            "individual_score": [9.0, 1.0, 2.0, None],
            "institutional_score": [7.0, 3.0, 8.0, None],
            "ideological_score": [8.0, 2.0, 5.0, None],
        }
    )


def test_city_summary_by_hand():
    table = city_summary({"A <b>": _result(_layer_a())})
    row = table.iloc[0]
    assert row["city"] == "A <b>"
    assert row["wards"] == 4 and row["wards_with_score"] == 3
    assert row["population"] == 10000.0  # 1000 + 3000 + 6000: w4 has no score
    assert row["mean_risk"] == pytest.approx(5.0)  # (8 + 2 + 5) / 3
    assert row["median_risk"] == pytest.approx(5.0)
    assert row["individual_mean"] == pytest.approx(4.0)  # (9 + 1 + 2) / 3
    assert row["institutional_mean"] == pytest.approx(6.0)  # (7 + 3 + 8) / 3, the highest mean
    assert row["institutional_median"] == pytest.approx(7.0)
    assert row["share_wards_top_class"] == pytest.approx(1 / 3)  # w1 of w1..w3
    assert row["share_population_top_class"] == pytest.approx(0.1)  # 1000 / 10000
    assert row["share_wards_hot_spots"] == pytest.approx(2 / 3)  # w1, w3
    assert row["share_population_hot_spots"] == pytest.approx(0.7)  # (1000 + 6000) / 10000
    assert row["dominant_dimension"] == "institutional"
    dims = [f"{d}_{s}" for d in ("individual", "institutional", "ideological") for s in ("mean", "median")]
    assert list(table.columns) == [*HEAD_COLUMNS, *dims, *SHARE_COLUMNS]


def test_city_summary_order_of_rows_does_not_matter():
    layer = _layer_a()
    shuffled = layer.sample(frac=1, random_state=3)
    a, b = city_summary({"x": _result(layer)}), city_summary({"x": _result(shuffled)})
    pd.testing.assert_frame_equal(a, b)


def test_city_summary_without_population_hot_spots_or_a_dimension():
    layer = _layer_a().drop(columns=["population", "hotspot_class", "ideological_score"])
    other = _result(_layer_a())
    table = city_summary({"no extras": _result(layer, ("individual", "institutional")), "full": other})
    row = table.set_index("city").loc["no extras"]
    assert math.isnan(row["population"]) and math.isnan(row["share_population_top_class"])
    assert math.isnan(row["share_wards_hot_spots"]) and math.isnan(row["share_population_hot_spots"])
    assert math.isnan(row["ideological_mean"])  # this city's model has no ideological dimension
    assert row["share_wards_top_class"] == pytest.approx(1 / 3)
    assert table.set_index("city").loc["full", "ideological_mean"] == pytest.approx(5.0)


def test_city_summary_of_a_city_without_scores():
    layer = _layer_a().assign(risk_score=None, individual_score=None, institutional_score=None, ideological_score=None)
    row = city_summary({"empty": _result(layer)}).iloc[0]
    assert row["wards_with_score"] == 0 and row["dominant_dimension"] == ""
    assert math.isnan(row["mean_risk"]) and math.isnan(row["share_wards_top_class"])
    assert math.isnan(row["population"])


def test_city_summary_agrees_with_compare_cities_on_a_demo_city():
    import hotspots
    from hotspots.report import compare_cities

    city = hotspots.demo.demo_city("colombo")
    result = hotspots.run(city.indicators_path, city.boundaries_path, id_column="ward_id", permutations=99)
    ours = city_summary({"Colombo": result}).iloc[0]
    theirs = compare_cities({"Colombo": result.layer}, result.dimension_names).iloc[0]
    for a, b in [
        ("mean_risk", "mean_risk"),
        ("median_risk", "median_risk"),
        ("share_wards_top_class", "share_top_class"),
        ("share_wards_hot_spots", "share_hot_spots"),
        ("dominant_dimension", "dominant_dimension"),
        ("wards", "wards"),
    ]:
        assert ours[a] == pytest.approx(theirs[b]) if isinstance(ours[a], float) else ours[a] == theirs[b]
    assert ours["population"] == pytest.approx(result.layer.loc[result.layer["risk_score"].notna(), "population"].sum())
