import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotspots.errors import NotFittedError
from hotspots.framework import Framework
from hotspots.scoring import RiskScorer, score_wards

FW = Framework.from_dict(
    {
        "dimensions": {"individual": 1, "ideological": 1},
        "indicators": [
            {"column": "a", "dimension": "individual", "weight": 3},
            {"column": "b", "dimension": "individual", "weight": 1, "direction": "lower_is_riskier"},
            {"column": "c", "dimension": "ideological", "weight": 1, "per_population": 10000},
        ],
    }
)


def table():
    return pd.DataFrame(
        {
            "a": [0.0, 5.0, 10.0, np.nan],
            "b": [100.0, 50.0, 0.0, np.nan],
            "c": [0.0, 2.0, 4.0, np.nan],
            "population": [10000, 20000, 40000, 1000],
        }
    )


def test_hand_calculation():
    r = score_wards(table(), FW)
    s = r.scores
    # a -> (0, .5, 1); b lower-is-riskier -> (0, .5, 1); individual = 10*(3a+b)/4 = (0, 5, 10)
    np.testing.assert_allclose(s["individual_score"][:3], [0, 5, 10])
    # c per 10,000: (0, 1, 1) -> minmax (0, 1, 1); ideological = (0, 10, 10)
    np.testing.assert_allclose(s["ideological_score"][:3], [0, 10, 10])
    np.testing.assert_allclose(s["risk_score"][:3], [0, 7.5, 10])
    assert s["risk_rank"].tolist()[:3] == [3, 2, 1]
    # ward 4 has nothing: no data, not 0
    assert np.isnan(s["risk_score"][3]) and s["coverage"][3] == 0
    assert pd.isna(s["risk_rank"][3])


def test_missing_indicator_renormalises_weights_and_reports_coverage():
    t = table()
    t.loc[1, "a"] = np.nan
    r = score_wards(t, FW)
    # ward 1: individual from b only: b normalised .5 -> 5.0; coverage = 1 - (1/2 * 3/4) = 0.625
    assert r.scores.loc[1, "individual_score"] == pytest.approx(5.0)
    assert r.scores.loc[1, "coverage"] == pytest.approx(0.625)
    assert any("miss some indicators" in n for n in r.notes)


def test_geometric_aggregation_hand_value():
    fw = FW.with_options(aggregation="geometric")
    r = score_wards(table(), fw)
    # ward 1: dims (5, 10): exp((log 6 + log 11)/2) - 1 = sqrt(66) - 1
    assert r.scores.loc[1, "risk_score"] == pytest.approx(np.sqrt(66) - 1)


def test_contributions_add_up():
    for agg in ("arithmetic", "geometric"):
        r = score_wards(table(), FW.with_options(aggregation=agg))
        c = r.contributions()
        np.testing.assert_allclose(c["risk"].sum(axis=1)[:3], r.scores["risk_score"][:3])
        np.testing.assert_allclose(c["dimension"][["a", "b"]].sum(axis=1)[:3], r.scores["individual_score"][:3])
    e = r.explain(1)
    assert list(e["indicator"]) == ["a", "b", "c"]


def test_fit_on_one_transform_another_and_not_fitted():
    with pytest.raises(NotFittedError):
        RiskScorer(FW).transform(table())
    scorer = RiskScorer(FW).fit(table())
    other = table() * 0.5
    other["population"] = table()["population"]
    r = scorer.transform(other)
    # a = 2.5 on a 0..10 scale -> 0.25
    assert r.normalised.loc[1, "a"] == pytest.approx(0.25)
    assert scorer.params_["a"] == {"n": 3, "min": 0.0, "max": 10.0}


@pytest.mark.parametrize("method", ["minmax", "zscore", "percentile"])
def test_scores_are_on_0_10(method):
    rng = np.random.default_rng(1)
    t = pd.DataFrame({c: rng.gamma(2, 2, 200) for c in "abc"})
    t["population"] = rng.integers(100, 10000, 200)
    s = score_wards(t, FW.with_options(normalisation=method)).scores
    cols = ["individual_score", "ideological_score", "risk_score"]
    assert s[cols].min().min() >= 0 and s[cols].max().max() <= 10


# -------- property tests: the scoring laws of STYLE.md
# no subnormal values: 5e-324 * 0.5 underflows to 0, so "rescaling" would change which wards differ
finite = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False, allow_subnormal=False)
tables = st.lists(st.tuples(finite, finite, finite, st.integers(1, 10**6)), min_size=3, max_size=30).map(
    lambda rows: pd.DataFrame(rows, columns=["a", "b", "c", "population"]).astype(float)
)


@settings(max_examples=60, deadline=None)
@given(tables, st.integers(0, 29), st.floats(0.1, 1e5))
def test_raising_a_risk_indicator_never_lowers_the_ward_score(t, i, bump):
    i = i % len(t)
    before = score_wards(t, FW).scores["risk_score"].iloc[i]
    t2 = t.copy()
    t2.loc[i, "a"] += bump  # 'a' is higher-is-riskier
    after = score_wards(t2, FW).scores["risk_score"].iloc[i]
    assert after >= before - 1e-9
    t3 = t.copy()
    t3.loc[i, "b"] = max(t3.loc[i, "b"] - bump, 0)  # 'b' is lower-is-riskier: lowering it raises risk
    assert score_wards(t3, FW).scores["risk_score"].iloc[i] >= before - 1e-9


@settings(max_examples=60, deadline=None)
@given(tables, st.floats(1e-3, 1e3))
def test_minmax_scores_unchanged_when_a_column_is_rescaled(t, factor):
    before = score_wards(t, FW).scores["risk_score"]
    t2 = t.copy()
    t2["a"] = t2["a"] * factor
    np.testing.assert_allclose(score_wards(t2, FW).scores["risk_score"], before, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(tables, st.floats(0.01, 100))
def test_weights_multiplied_by_a_constant_give_the_same_result(t, k):
    before = score_wards(t, FW).scores["risk_score"]
    fw2 = FW.with_weights({i.column: i.weight * k for i in FW.indicators}, {d: w * k for d, w in FW.dimensions.items()})
    np.testing.assert_allclose(score_wards(t, fw2).scores["risk_score"], before, atol=1e-9)


def test_weight_zero_switches_an_indicator_or_a_dimension_off():
    """Weights reach 0 (issue 11): an indicator of weight 0 counts for nothing, a dimension of weight 0 (or whose
    indicators all weigh 0) is left out of the risk score; hand values from test_hand_calculation."""
    no_b = score_wards(table(), FW.with_weights({"b": 0})).scores
    # individual from a only: a normalised (0, .5, 1) -> (0, 5, 10); a ward missing only b keeps coverage 1
    np.testing.assert_allclose(no_b["individual_score"][:3], [0, 5, 10])
    np.testing.assert_allclose(no_b["coverage"][:3], [1, 1, 1])
    for fw in (FW.with_weights(dimension_weights={"ideological": 0}), FW.with_weights({"c": 0})):
        r = score_wards(table(), fw)
        # risk = individual alone: (0, 5, 10), not the mean with ideological (0, 7.5, 10)
        np.testing.assert_allclose(r.scores["risk_score"][:3], [0, 5, 10])
        np.testing.assert_allclose(r.scores["coverage"][:3], [1, 1, 1])
        assert any("Weight 0" in n and "ideological" in n for n in r.notes)
        contributions = r.contributions()["risk"].sum(axis=1)
        np.testing.assert_allclose(contributions[:3], r.scores["risk_score"][:3])
    off = score_wards(table(), FW.with_weights({"c": 0})).scores
    assert off["ideological_score"].isna().all()  # all its indicators weigh 0: no score, not 0


def test_negative_weights_and_all_weights_zero_are_refused():
    from hotspots.errors import FrameworkError

    with pytest.raises(FrameworkError, match="not a positive number"):
        FW.with_weights({"a": -1})
    with pytest.raises(FrameworkError, match="every weight is 0"):
        FW.with_weights(dimension_weights={"individual": 0, "ideological": 0})
    with pytest.raises(FrameworkError, match="every weight is 0"):
        FW.with_weights({"a": 0, "b": 0}, {"ideological": 0})
