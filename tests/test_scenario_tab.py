"""The Scenarios tab (ui/scenario_compare.py), driven headless with ``streamlit.testing.v1.AppTest``.

Saved scenarios come from ``st.session_state["scenarios"]`` (name -> Method); with fewer than two saved the tab
offers presets made from the current model. Tabs are lazy and keyed ``"view"``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
pytest.importorskip("streamlit_folium")

from streamlit.testing.v1 import AppTest  # noqa: E402

from hotspots import Indicator, Method, default_framework  # noqa: E402
from hotspots.framework import DIRECTIONS  # noqa: E402

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _scenarios_tab(scenarios: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()  # the first run sets up the session (a workspace restores its saved scenarios then)
    _no_exception(at)
    if scenarios is not None:
        at.session_state["scenarios"] = scenarios
    at.session_state["view"] = "Scenarios"
    at.run()
    _no_exception(at)
    return at


def _no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _verdict(at: AppTest) -> str:
    texts = [e.value for e in [*at.success, *at.info, *at.warning] if "Spearman" in e.value]
    assert len(texts) == 1, texts
    return texts[0]


def _reversed(method: Method) -> Method:
    """Every direction flipped: every score s becomes 10 - s (see tests/test_scenarios.py), the ranks reverse."""
    indicators = tuple(
        replace(i, direction=DIRECTIONS[1 - DIRECTIONS.index(i.direction)]) for i in method.framework.indicators
    )
    return method.replace(framework=replace(method.framework, indicators=indicators))


def test_presets_compare_at_once_on_the_demo_city():
    at = _scenarios_tab()
    choice = at.multiselect(key="scenario_choice")
    assert choice.value == ["Current model", "Individual alone"]
    assert {"Equal weights", "Geometric aggregation", "Z-score normalisation"} <= set(choice.options)
    assert "Spearman ρ" in _verdict(at)
    assert len(at.get("vega_lite_chart")) == 1  # the rank-shift chart
    spearman = next(f.value for f in at.dataframe if list(f.value.columns) == ["Current model", "Individual alone"])
    assert spearman.shape == (2, 2) and spearman.iloc[0, 0] == pytest.approx(1.0)
    captions = " ".join(c.value for c in at.caption)
    assert "One scale" in captions and "average of their ranks" in captions and "in all 2" in captions
    choice.set_value(["Current model", "Equal weights", "Ideological alone", "Geometric aggregation"]).run()
    _no_exception(at)
    assert "lowest Spearman ρ" in _verdict(at)
    at.multiselect(key="scenario_choice").set_value(["Current model"]).run()
    _no_exception(at)
    assert any("two to four" in i.value for i in at.info)


def test_two_saved_scenarios_are_compared_and_their_names_escaped():
    ours = Method(framework=default_framework().with_weights(dimension_weights={"individual": 3.0}))
    at = _scenarios_tab({"[ours](http://x.example)": ours, "theirs": _reversed(ours)})
    assert at.multiselect(key="scenario_choice").value == ["[ours](http://x.example)", "theirs"]
    assert "opposite orders" in _verdict(at)
    headings = [m.value for m in at.markdown if "ours" in m.value]
    assert headings and all(r"\[ours\]\(http" in h for h in headings)  # inert: no link
    assert "Current model" in at.multiselect(key="scenario_choice").options  # presets stay on offer


def test_a_scenario_needing_other_columns_is_an_error_not_a_traceback():
    extra = Indicator(column="literacy_gap", dimension="individual", direction="higher_is_riskier")
    other = Method(framework=default_framework().with_indicator(extra))
    at = _scenarios_tab({"with literacy": other, "current": Method()})
    _no_exception(at)
    shown = [re.sub(r"\\(.)", r"\1", e.value) for e in at.error]  # as read: Markdown escapes removed
    assert any("'with literacy'" in text and "'literacy_gap'" in text for text in shown), shown


def test_a_saved_scenario_that_is_not_a_method_is_named_as_left_out():
    at = _scenarios_tab({"a": Method(), "b": {"weights": 1}})
    assert any("1 saved scenario(s) are not a method" in w.value for w in at.warning)
    assert "b" not in at.multiselect(key="scenario_choice").options


def test_a_remembered_choice_of_a_deleted_scenario_is_dropped():
    at = _scenarios_tab({"a": Method(), "b": _reversed(Method())})
    at.session_state["scenarios"] = {"a": Method()}
    at.run()
    _no_exception(at)
    assert at.multiselect(key="scenario_choice").value == ["a"]


def test_compare_tab_charts_the_dimension_scores_per_city():
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["view"] = "Compare"
    at.run()
    _no_exception(at)
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1
    assert any("The dimensions per city" in m.value for m in at.markdown)
    assert any("compare which dimension leads" in c.value for c in at.caption)
