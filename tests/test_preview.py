"""The map's instant preview of a dimension-weight change (ui/preview.py, ui/map_frontend/preview.js).

The frame recomputes the composite risk and its classes in JavaScript; these tests run that script in Chromium
(no server) and compare it, bit for bit, with the package's own scoring and classes for the demo cities under
other dimension weights: the preview must show what the server will show. The app-level check (the preview comes
before the server's map and agrees with it) is in tests/test_browser.py.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from test_browser import CHROMIUM_ARGS, chromium_path  # noqa: F401 -- the shared fixture

from hotspots.classify import classify
from hotspots.demo import demo_cities
from hotspots.framework import default_framework
from hotspots.pipeline import city_graph, prepare_city, read_city, score_city
from ui.preview import MAX_PREVIEW_WARDS, preview_spec, slider_class

PREVIEW_JS = Path(__file__).resolve().parent.parent / "ui" / "map_frontend" / "preview.js"
WEIGHTS = [(1.0, 1.0, 1.0), (5.0, 0.1, 1.3), (0.0, 2.0, 0.7), (1.7, 0.0, 0.0), (0.3, 0.3, 4.9)]


@pytest.fixture(scope="module")
def cities():
    framework = default_framework()
    out = {}
    for key in ("kolkata", "dhaka"):
        demo = demo_cities()[key]
        raw = read_city(demo.indicators_path, demo.boundaries_path, name=demo.name, synthetic=True)
        city = prepare_city(raw, framework, id_column=demo.id_column)
        out[key] = (city, city_graph(city, "queen"))
    return out


def _score(city, graph, aggregation: str, scheme: str, weights):
    thresholds = (1.5, 3.0, 4.5, 6.0) if scheme == "fixed" else None  # not the default: the spec must carry them
    framework = default_framework().with_options(aggregation=aggregation, classification=scheme, thresholds=thresholds)
    framework = framework.with_weights({}, dict(zip(framework.dimension_names, weights)))
    return score_city(city, framework, graph=graph, permutations=0)


@pytest.fixture(scope="module")
def page(chromium_path):  # noqa: F811
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page()
        page.set_content("<html><body></body></html>")
        page.add_script_tag(path=str(PREVIEW_JS))
        yield page
        browser.close()


PREVIEW_JS_CALL = """([spec, weights]) => {
  const P = window.hsPreview, scores = spec.scores.map(P.floats);
  const effective = weights.map((w, d) => spec.on[d] ? w : 0);
  const risk = P.risk(scores, effective, spec.aggregation === 'geometric');
  const bins = P.bins(risk, spec.scheme, spec.thresholds);
  return {risk: Array.from(risk, (v) => (isNaN(v) ? null : v)), bins: bins, codes: P.codes(risk, bins)};
}"""


@pytest.mark.parametrize("aggregation", ["arithmetic", "geometric"])
@pytest.mark.parametrize("scheme", ["quantiles", "equal_interval", "fixed"])
def test_the_preview_gives_the_servers_scores_and_classes(page, cities, aggregation, scheme):
    """For each demo city, the preview made from the map at weights 1, 1, 1 equals score_city at other weights:
    the same risk scores (bit for bit), class breaks and class of every ward."""
    for city, graph in cities.values():
        base = _score(city, graph, aggregation, scheme, (1.0, 1.0, 1.0))
        spec = preview_spec(base, {})
        assert spec is not None
        for weights in WEIGHTS:
            expected = _score(city, graph, aggregation, scheme, weights)
            got = page.evaluate(PREVIEW_JS_CALL, [spec, list(weights)])
            want_risk = expected.layer["risk_score"].to_numpy(dtype=float, na_value=np.nan)
            got_risk = np.array([np.nan if v is None else v for v in got["risk"]])
            np.testing.assert_array_equal(got_risk, want_risk, err_msg=f"{city.name} {weights}")
            assert got["bins"] == expected.breaks["risk_score"], (city.name, weights)
            want_codes = classify(want_risk, bins=expected.breaks["risk_score"]).codes
            assert got["codes"] == "".join("-" if c < 0 else str(c) for c in want_codes), (city.name, weights)


def test_class_breaks_match_the_package_on_awkward_values(page):
    """Ties, few distinct levels, NaN, one value, negative zero: the script's breaks and classes equal
    hotspots.classify's (which equals mapclassify's, tests/test_classify.py)."""
    rng = np.random.default_rng(7)
    samples = [
        rng.uniform(0, 10, 144),
        np.round(rng.uniform(0, 10, 57), 1),
        np.array([3.0, 3.0, 3.0, 7.0, np.nan, 7.0]),
        np.array([4.2]),
        np.array([1.0, 2.0]),
        np.array([0.0, -0.0, 5.0, 10.0, 10.0, 2.5, 2.5, 2.5]),
        rng.integers(0, 4, 300).astype(float),
    ]
    for values in samples:
        for scheme in ("quantiles", "equal_interval", "fixed"):
            want = classify(values, scheme)
            got = page.evaluate(
                """([v, scheme]) => { const P = window.hsPreview, x = Float64Array.from(v, (e) => e === null ? NaN : e);
                       const b = P.bins(x, scheme, [2, 4, 6, 8]); return {bins: b, codes: P.codes(x, b)}; }""",
                [[None if np.isnan(v) else float(v) for v in values], scheme],
            )
            assert got["bins"] == want.bins, (scheme, values)
            assert got["codes"] == "".join("-" if c < 0 else str(c) for c in want.codes), (scheme, values)


def test_the_preview_legend_is_the_servers_legend(page, cities):
    """The legend the preview writes (before its note) is the map's own legend of the same classes."""
    from hotspots.maps import NO_DATA_COLOR
    from hotspots.maps.views import _score_classes, _score_view

    city, graph = cities["kolkata"]
    result = _score(city, graph, "arithmetic", "quantiles", (2.0, 1.0, 0.5))
    values = result.layer["risk_score"].to_numpy(dtype=float)
    view = _score_view("Composite risk", _score_classes(values, "risk_score", result.breaks["risk_score"], ""))
    got = page.evaluate(
        "([bins, colors, nodata]) => window.hsPreview.legend('Composite risk', bins, colors, nodata, '')",
        [result.breaks["risk_score"], view["colors"], NO_DATA_COLOR],
    )
    assert got == view["legend"]


def test_the_spec_holds_exact_scores_in_map_order(cities):
    city, graph = cities["dhaka"]
    result = _score(city, graph, "arithmetic", "quantiles", (1.0, 1.0, 1.0))
    spec = preview_spec(result, {"individual": 2.5})
    assert spec["keys"] == ["w_dim-individual", "w_dim-institutional", "w_dim-ideological"]
    assert spec["weights"] == [2.5, 1.0, 1.0]
    decoded = np.frombuffer(base64.b64decode(spec["scores"][0]), dtype="<f8")
    np.testing.assert_array_equal(decoded, result.layer["individual_score"].to_numpy(dtype=float))
    json.dumps(spec)  # the component's arguments are JSON


def test_no_preview_where_the_browser_could_not_repeat_the_server(cities):
    city, graph = cities["kolkata"]
    assert preview_spec(_score(city, graph, "arithmetic", "fisher_jenks", (1.0, 1.0, 1.0)), {}) is None
    result = _score(city, graph, "arithmetic", "quantiles", (1.0, 1.0, 1.0))
    assert preview_spec(result, {}, slider_key=lambda d: "same key") is None  # sliders it cannot tell apart
    assert MAX_PREVIEW_WARDS >= 10_000


def test_slider_class_is_streamlits_key_class():
    # Streamlit 1.67's frontend: "st-key-" + key.trim().replaceAll(/[^a-zA-Z0-9_-]/g, "-")
    assert slider_class("w_dim:individual") == "w_dim-individual"
    assert slider_class(" w_dim:a b.c ") == "w_dim-a-b-c"


MOVED_ON_JS = """([spec, dims, others]) => {
  // the page's sliders as Streamlit draws them: an element with the st-key-<key> class holding a range input
  document.body.innerHTML = '';
  const add = (key, value) => {
    const box = document.createElement('div');
    box.className = 'st-key-' + key;
    const input = document.createElement('input');
    input.type = 'range';
    input.setAttribute('value', String(value));
    box.appendChild(input);
    document.body.appendChild(box);
  };
  spec.keys.forEach((key, d) => add(key, dims[d]));
  spec.others.keys.forEach((key, i) => add(key, others[i]));
  return window.hsPreview.movedOn(document, spec);
}"""


def test_a_map_state_is_outdated_exactly_when_a_weight_slider_has_moved_on(page, cities):
    """The frame holds a server map drawn with weights the page's sliders no longer show (quick nudges: the next
    run's map follows). A dimension slider or an indicator slider that moved makes the state outdated; sliders at
    the state's weights, or a slider the frame cannot read, do not (it then draws, as without the check)."""
    city, graph = cities["kolkata"]
    result = _score(city, graph, "arithmetic", "quantiles", (1.0, 1.0, 1.0))
    indicators = {f"w_ind:{i.column}": float(i.weight) for i in result.framework.indicators}
    spec = preview_spec(result, {"individual": 1.0, "institutional": 1.0, "ideological": 1.0}, others=indicators)
    assert spec["others"]["keys"] == [slider_class(k) for k in indicators]
    dims, others = [1.0, 1.0, 1.0], list(indicators.values())
    moved = lambda d, o: page.evaluate(MOVED_ON_JS, [spec, d, o])  # noqa: E731
    assert moved(dims, others) is False
    assert moved([1.0, 1.1, 1.0], others) is True
    assert moved(dims, [others[0] + 0.1, *others[1:]]) is True
    assert moved(dims, [*others[:-1], others[-1] - 0.1]) is True
    assert moved(["", 1.0, 1.0], [others[0] + 0.1, *others[1:]]) is True  # unreadable dimension, moved indicator
    assert moved(dims, ["", *others[1:]]) is False  # an unreadable slider: not outdated
    assert page.evaluate(MOVED_ON_JS, [{**spec, "others": {"keys": [], "weights": []}}, [1.0, 1.2, 1.0], []]) is True


INDICATOR_JS_CALL = """([spec, dims, inds]) => {
  const P = window.hsPreview, scores = spec.scores.map(P.floats);
  const values = spec.others.values.map((v) => (v ? P.floats(v) : null));
  const dimScores = P.dimensionScores(spec, scores, values, inds);
  if (!dimScores) return null;
  const on = P.dimensionsOn(spec, inds);
  const risk = P.risk(dimScores, dims.map((w, d) => (on[d] ? w : 0)), spec.aggregation === 'geometric');
  const bins = P.bins(risk, spec.scheme, spec.thresholds);
  return {risk: Array.from(risk, (v) => (isNaN(v) ? null : v)), bins: bins, codes: P.codes(risk, bins)};
}"""


def _score_indicators(city, graph, aggregation: str, scheme: str, indicator_weights: dict):
    framework = default_framework().with_options(aggregation=aggregation, classification=scheme)
    framework = framework.with_weights(indicator_weights, {})
    return score_city(city, framework, graph=graph, permutations=0)


@pytest.mark.parametrize("aggregation", ["arithmetic", "geometric"])
@pytest.mark.parametrize("scheme", ["quantiles", "equal_interval"])
def test_an_indicator_weight_preview_gives_the_servers_classes(page, cities, aggregation, scheme):
    """An indicator weight moved: the preview recomputes the dimension scores from the indicators' normalised values
    and gives score_city's risk scores (to rounding: numpy sums in another order), class breaks and classes; for an
    indicator in a dimension that holds a count column with a suppressed cell, it gives nothing (the server's map
    follows) and the spec carries no value of that column."""
    previewed = waited = 0
    for city, graph in cities.values():
        base = _score_indicators(city, graph, aggregation, scheme, {})
        spec = preview_spec(base, {})
        codes = base.suppression
        hidden = {c for c in codes.columns if (codes[c].to_numpy() != 0).any()}
        indicators = list(base.framework.indicators)
        for i, indicator in enumerate(indicators):
            assert (spec["others"]["values"][i] is None) == (indicator.column in hidden), indicator.column
        for indicator in indicators:
            for weight in (0.0, 2.5):
                weights = {ind.column: float(ind.weight) for ind in indicators} | {indicator.column: weight}
                got = page.evaluate(INDICATOR_JS_CALL, [spec, spec["weights"], [weights[k.column] for k in indicators]])
                dimension_hidden = any(
                    k.column in hidden and weights[k.column] > 0
                    for k in indicators
                    if k.dimension == indicator.dimension
                )
                if dimension_hidden:
                    assert got is None, indicator.column
                    waited += 1
                    continue
                previewed += 1
                expected = _score_indicators(city, graph, aggregation, scheme, {indicator.column: weight})
                want_risk = expected.layer["risk_score"].to_numpy(dtype=float, na_value=np.nan)
                got_risk = np.array([np.nan if v is None else v for v in got["risk"]])
                np.testing.assert_allclose(
                    got_risk, want_risk, rtol=0, atol=1e-12, err_msg=f"{city.name} {indicator.column}"
                )
                np.testing.assert_allclose(got["bins"], expected.breaks["risk_score"], rtol=0, atol=1e-12)
                want_codes = classify(want_risk, bins=expected.breaks["risk_score"]).codes
                assert got["codes"] == "".join("-" if c < 0 else str(c) for c in want_codes), (
                    city.name,
                    indicator.column,
                )
    assert previewed > 0 and waited > 0  # both paths are tried on the demo cities
