"""Scenarios compared on one city (hotspots.scenarios): ranks, rank shift, agreement, Spearman, the one scale."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

import hotspots
from hotspots import DataError, Method, default_framework, load_city
from hotspots.demo import demo_cities
from hotspots.framework import DIRECTIONS
from hotspots.maps import map_html
from hotspots.maps.agreement import agreement_colors, agreement_map
from hotspots.scenarios import (
    compare_scenarios,
    preset_methods,
    ranks_high_first,
    spearman_matrix,
    union_framework,
)

KOLKATA = demo_cities()["kolkata"]


@pytest.fixture(scope="module")
def kolkata():
    return load_city(KOLKATA.indicators_path, KOLKATA.boundaries_path, default_framework(), id_column="ward_id")


def _reversed(method: Method) -> Method:
    """Every indicator's direction flipped: with min-max normalisation each normalised value n becomes 1 - n, so
    (weighted means of the available values, arithmetic aggregation) every score s becomes 10 - s exactly."""
    from dataclasses import replace

    flipped = tuple(
        replace(ind, direction=DIRECTIONS[1 - DIRECTIONS.index(ind.direction)]) for ind in method.framework.indicators
    )
    return method.replace(framework=replace(method.framework, indicators=flipped))


# ------------------------------------------------------------------------------------------------------ Spearman


def test_spearman_matrix_equals_scipy_with_ties_and_missing_values():
    rng = np.random.default_rng(7)
    base = rng.normal(size=60)
    values = pd.DataFrame(
        {
            "a": np.round(base, 1),  # rounding makes ties
            "b": np.round(base + rng.normal(scale=0.8, size=60), 1),
            "c": np.round(-base + rng.normal(scale=0.3, size=60), 0),
            "d": rng.integers(0, 5, size=60).astype(float),
        }
    )
    values.iloc[[3, 17, 40], 0] = np.nan
    values.iloc[[5, 17], 2] = np.nan
    ours = spearman_matrix(values)
    for a in values.columns:
        for b in values.columns:
            expected = spearmanr(values[a], values[b], nan_policy="omit").statistic
            assert ours.loc[a, b] == pytest.approx(expected, abs=1e-12), (a, b)


def test_spearman_of_the_comparison_equals_scipy_on_the_risk_scores(kolkata):
    presets = preset_methods(Method())
    chosen = {name: presets[name] for name in ("Current model", "Individual alone", "Geometric aggregation")}
    comparison = compare_scenarios(kolkata, chosen)
    for a in chosen:
        for b in chosen:
            expected = spearmanr(comparison.risk[a], comparison.risk[b], nan_policy="omit").statistic
            assert comparison.spearman.loc[a, b] == pytest.approx(expected, abs=1e-12)
    assert comparison.spearman.shape == (3, 3) and list(comparison.spearman.columns) == list(chosen)


def test_ranks_put_the_highest_first_and_average_ties():
    ranks = ranks_high_first(pd.Series([5.0, 9.0, 5.0, np.nan, 1.0], index=list("abcde")))
    # by hand: 9 -> 1; the two 5s share ranks 2 and 3 -> 2.5; 1 -> 4; no score -> not ranked
    assert ranks.to_dict() == pytest.approx({"a": 2.5, "b": 1.0, "c": 2.5, "d": np.nan, "e": 4.0}, nan_ok=True)


# ------------------------------------------------------------------------------------------------ comparisons


def test_identical_methods_agree_completely(kolkata):
    method = Method()
    comparison = compare_scenarios(kolkata, {"one": method, "two": method, "three": method})
    np.testing.assert_allclose(comparison.spearman.to_numpy(), 1.0)
    scored = comparison.ranks.notna().all(axis=1)
    assert (comparison.rank_shift[scored] == 0).all()
    top = comparison.results["one"].layer.set_index("ward_id")["risk_class"].eq("Very high")
    assert top.sum() > 0
    expected_top = top.reindex(comparison.ward_ids).fillna(False).astype(int) * 3
    pd.testing.assert_series_equal(comparison.top_class_agreement, expected_top, check_names=False)
    hot = comparison.results["one"].layer.set_index("ward_id")["hotspot_class"].str.startswith("hot spot")
    assert hot.sum() > 0
    assert (comparison.hotspot_agreement == hot.reindex(comparison.ward_ids).fillna(False).astype(int) * 3).all()
    assert set(comparison.hotspot_agreement) == {0, 3}
    assert "agree closely" in comparison.verdict()


def test_a_planted_reversal_ranks_the_wards_in_opposite_order(kolkata):
    method = Method()
    comparison = compare_scenarios(kolkata, {"as is": method, "reversed": _reversed(method)})
    # every score s becomes 10 - s (see _reversed): the ranks reverse exactly, Spearman is -1
    assert comparison.spearman.loc["as is", "reversed"] == pytest.approx(-1.0, abs=1e-9)
    ranks = comparison.ranks.dropna()
    n = len(ranks)
    np.testing.assert_allclose(ranks["as is"] + ranks["reversed"], n + 1)
    assert comparison.rank_shift.max() == n - 1  # the first ward becomes the last
    assert comparison.top_class_agreement.max() == 1  # nobody is on top both ways
    assert "opposite orders" in comparison.verdict()


@pytest.mark.parametrize(
    ("rho", "words"),
    [(0.95, "agree closely"), (0.9, "agree closely"), (0.8, "broadly agree"), (0.3, "disagree"), (-0.09, "disagree"),
     (-0.5, "disagree"), (-0.7, "opposite orders")],
)  # fmt: skip
def test_the_verdict_follows_the_lowest_correlation(kolkata, rho, words):
    method = Method()
    comparison = compare_scenarios(kolkata, {"a": method, "b": method})
    comparison.__dict__["spearman"] = pd.DataFrame([[1.0, rho], [rho, 1.0]], index=["a", "b"], columns=["a", "b"])
    assert words in comparison.verdict() and f"{rho:.2f}" in comparison.verdict()


def _shuffled_files(tmp_path):
    table = pd.read_csv(KOLKATA.indicators_path, dtype={"ward_id": str}).sample(frac=1.0, random_state=3)
    indicators = tmp_path / "shuffled.csv"
    table.to_csv(indicators, index=False)
    wards = gpd.read_file(KOLKATA.boundaries_path).sample(frac=1.0, random_state=4)
    boundaries = tmp_path / "shuffled.geojson"
    wards.to_file(boundaries, driver="GeoJSON")
    return indicators, boundaries


def test_shuffled_input_gives_the_same_comparison(kolkata, tmp_path):
    methods = {name: m for name, m in preset_methods(Method()).items() if name in ("Current model", "Equal weights")}
    methods["Ideological alone"] = preset_methods(Method())["Ideological alone"]
    indicators, boundaries = _shuffled_files(tmp_path)
    shuffled_city = load_city(indicators, boundaries, default_framework(), id_column="ward_id")
    assert list(shuffled_city.wards["ward_id"]) != list(kolkata.wards["ward_id"])
    original, shuffled = compare_scenarios(kolkata, methods), compare_scenarios(shuffled_city, methods)
    pd.testing.assert_frame_equal(original.ranks, shuffled.ranks)
    pd.testing.assert_frame_equal(original.spearman, shuffled.spearman)
    pd.testing.assert_frame_equal(original.to_frame(), shuffled.to_frame())
    assert original.common_breaks == shuffled.common_breaks


def test_one_scale_is_learned_on_all_scenarios_pooled_and_shared_by_every_map(kolkata):
    presets = preset_methods(Method())
    chosen = {name: presets[name] for name in ("Current model", "Z-score normalisation", "Ideological alone")}
    comparison = compare_scenarios(kolkata, chosen)
    pooled = np.concatenate([r.layer["risk_score"].to_numpy(dtype=float) for r in comparison.results.values()])
    pooled = pooled[np.isfinite(pooled)]
    # quantiles (the framework's scheme) of the pooled values: numpy percentiles at 20, 40, ..., 100
    expected = np.percentile(pooled, [20, 40, 60, 80, 100])
    np.testing.assert_allclose(comparison.common_breaks["risk_score"], expected)
    for name in chosen:
        on_scale = comparison.on_common_scale(name)
        assert on_scale.breaks["risk_score"] == comparison.common_breaks["risk_score"]
        risk = on_scale.layer.set_index("ward_id")["risk_score"]
        classes = on_scale.layer.set_index("ward_id")["risk_class"]
        pd.testing.assert_series_equal(
            classes.reindex(comparison.ward_ids), comparison.common_classes[name], check_names=False
        )
        assert (classes[risk > expected[3]] == "Very high").all() and (classes[risk <= expected[0]] == "Very low").all()
        assert comparison.results[name].breaks["risk_score"] != on_scale.breaks["risk_score"]  # own breaks untouched
    # z-scores sit higher on the 0-10 scale: on one scale that scenario has more "Very high" wards than its own fifth
    counts = comparison.common_classes.eq("Very high").sum()
    assert counts["Z-score normalisation"] > counts["Current model"]
    summary = comparison.summary()
    assert summary["top_class_common"].to_dict() == counts.to_dict()
    for name, result in comparison.results.items():
        layer = result.layer
        assert summary.loc[name, "top_class_own"] == (layer["risk_class"] == "Very high").sum()
        assert summary.loc[name, "hot_spots"] == layer["hotspot_class"].str.startswith("hot spot").sum()
        assert summary.loc[name, "mean_risk"] == pytest.approx(layer["risk_score"].mean())


# ------------------------------------------------------------------------------------------ inputs and outputs


def test_graphs_are_built_once_per_neighbour_rule(kolkata, monkeypatch):
    import hotspots.scenarios as scenarios

    built = []
    real = scenarios.city_graph
    monkeypatch.setattr(
        scenarios, "city_graph", lambda city, method: built.append(method.neighbours) or real(city, method)
    )
    method = Method()
    methods = {"a": method, "b": _reversed(method), "c": method.replace(neighbours="rook")}
    comparison = compare_scenarios(kolkata, methods)
    assert sorted(built) == ["queen", "rook"]
    built.clear()
    graphs = {kolkata.graph_key(m): real(kolkata, m) for m in methods.values()}
    again = compare_scenarios(kolkata, methods, graphs=graphs)
    assert built == []
    pd.testing.assert_frame_equal(comparison.to_frame(), again.to_frame())


def test_hotspot_agreement_counts_only_the_scenarios_that_tested(kolkata):
    method = Method()
    comparison = compare_scenarios(kolkata, {"tested": method, "untested": method.replace(hotspots=False)})
    assert comparison.hotspot_scenarios == ["tested"]
    assert comparison.hotspot_agreement.max() == 1
    assert (comparison.top_class_agreement.isin([0, 2])).all()


def test_too_few_scenarios_and_missing_columns_are_clear_errors(kolkata):
    with pytest.raises(DataError, match="two or more"):
        compare_scenarios(kolkata, {"only": Method()})
    with pytest.raises(DataError, match="not a hotspots.Method"):
        compare_scenarios(kolkata, {"a": Method(), "b": "weights"})
    extra = hotspots.Indicator(column="literacy_gap", dimension="individual", direction="higher_is_riskier")
    other = Method(framework=default_framework().with_indicator(extra))
    with pytest.raises(DataError, match=r"Scenario 'more' uses column\(s\) 'literacy_gap'.*union_framework"):
        compare_scenarios(kolkata, {"current": Method(), "more": other})
    union = union_framework([Method(), other])
    assert "literacy_gap" in union.columns and set(default_framework().columns) <= set(union.columns)


def test_presets_are_derived_from_the_current_model():
    framework = default_framework().with_weights({"hate_incidents": 3.0}, {"individual": 2.0})
    current = Method(framework=framework, neighbours="rook", permutations=99)
    presets = preset_methods(current)
    assert presets["Current model"] == current
    dims = framework.dimension_names
    assert list(presets) == [
        "Current model",
        "Equal weights",
        *[f"{d.capitalize()} alone" for d in dims],
        "Geometric aggregation",
        "Z-score normalisation",
    ]
    assert all(m.neighbours == "rook" and m.permutations == 99 for m in presets.values())
    equal = presets["Equal weights"].framework
    assert {i.weight for i in equal.indicators} == {1.0} and set(equal.dimensions.values()) == {1.0}
    assert presets["Individual alone"].framework.columns == [i.column for i in framework.indicators_of("individual")]
    geometric = preset_methods(presets["Geometric aggregation"].replace())
    assert "Arithmetic aggregation" in geometric


def test_export_is_long_keyed_by_ward_and_neutralises_formulas(kolkata):
    method = Method()
    comparison = compare_scenarios(kolkata, {'=HYPERLINK("http://x")': method, "plain": _reversed(method)})
    frame = comparison.to_frame()
    assert len(frame) == 2 * len(comparison.ward_ids)
    assert list(frame.columns[:3]) == ["ward_id", "ward_name", "scenario"]
    first = frame[frame["ward_id"] == comparison.ward_ids[0]]
    assert first["rank_shift"].nunique() == 1 and first["rank"].sum() == pytest.approx(len(comparison.ranks) + 1)
    text = comparison.to_csv()
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text


def test_agreement_map_colours_each_count_and_escapes_scenario_names(kolkata):
    method = Method()
    comparison = compare_scenarios(kolkata, {"<b>bold</b>": method, "same": method})
    page = map_html(agreement_map(comparison, view="hotspot_agreement", title="<i>x</i>"))
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "<i>x</i>" not in page
    assert agreement_colors(2) == ["#f2f0f7", "#9e9ac8", "#54278f"]  # none, one, both: Purples, evenly spread
    with pytest.raises(DataError, match="agreement layer"):
        agreement_map(comparison, view="risk_score")
