"""The uncertainty and sensitivity analysis (hotspots.uncertainty, hotspots.spatial.variants), its command-line fields
and the app's "How sure are we?" tab."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from hotspots.cli import main
from hotspots.demo import demo_city
from hotspots.framework import Framework, default_framework
from hotspots.method import Method
from hotspots.pipeline import city_graph, load_city, score_city
from hotspots.spatial import hotspot_statistics
from hotspots.spatial.multitest import adjust_pvalues
from hotspots.spatial.variants import adjust_columns, variant_hotspots
from hotspots.uncertainty import (
    add_uncertainty,
    first_order_indices,
    rank_columns,
    sample_variants,
    score_variants,
    uncertainty_analysis,
)

KOLKATA = demo_city("kolkata")


@pytest.fixture(scope="module")
def kolkata():
    framework = default_framework()
    city = load_city(KOLKATA.indicators_path, KOLKATA.boundaries_path, framework, id_column="ward_id")
    method = Method(framework=framework)
    graph = city_graph(city, method)
    return city, method, graph


def _is_hot(classes: pd.Series) -> pd.Series:
    return classes.astype(str).str.startswith("hot spot")


# -- the variants ---------------------------------------------------------------------------------------------------


def test_same_seed_same_result_other_seed_other_variants(kolkata):
    city, method, graph = kolkata
    first = uncertainty_analysis(city, method, 40, seed=3, graph=graph)
    again = uncertainty_analysis(city, method, 40, seed=3, graph=graph)
    pd.testing.assert_frame_equal(first.frame, again.frame)
    pd.testing.assert_frame_equal(first.sensitivity, again.sensitivity)
    other = sample_variants(method.framework, 40, seed=4)
    assert not other.inputs.equals(first.design.drop(columns="mean_abs_rank_shift"))


def test_variant_rule_is_the_stated_one():
    design = sample_variants(default_framework(), 2000, seed=1)
    factors = design.inputs.filter(like="weight:")
    assert factors.to_numpy().min() >= 0.75 and factors.to_numpy().max() <= 1.25
    assert set(design.inputs["normalisation"]) == {"minmax", "zscore", "percentile"}
    assert set(design.inputs["aggregation"]) == {"arithmetic", "geometric"}
    assert set(design.inputs["dropped_indicator"]) == {"none", *default_framework().columns}
    assert "[0.75, 1.25]" in design.rule["weights"]


def test_shuffled_rows_give_the_same_result_per_ward(kolkata, tmp_path):
    city, method, graph = kolkata
    table = pd.read_csv(KOLKATA.indicators_path)
    shuffled = tmp_path / "shuffled.csv"
    table.sample(frac=1.0, random_state=5).to_csv(shuffled, index=False)
    other = load_city(shuffled, KOLKATA.boundaries_path, method.framework, id_column="ward_id")
    a = uncertainty_analysis(city, method, 30, seed=9, graph=graph)
    b = uncertainty_analysis(other, method, 30, seed=9)
    pd.testing.assert_frame_equal(a.frame.sort_index(), b.frame.sort_index())
    pd.testing.assert_frame_equal(a.sensitivity, b.sensitivity)


def _smoothing_method() -> Method:
    data = default_framework().to_dict()
    for item in data["indicators"]:
        item["smoothing"] = {"hate_incidents": "eb", "extremist_propaganda_reports": "spatial_eb"}.get(
            item["column"], "none"
        )
    return Method(framework=Framework.from_dict(data))


@pytest.mark.parametrize("smoothed", [False, True])
def test_no_perturbation_collapses_the_intervals_to_the_model(kolkata, smoothed):
    city, method, graph = kolkata
    method = _smoothing_method() if smoothed else method  # rates smoothed as the run smooths them
    model = score_city(city, method, graph=graph).layer.set_index("ward_id")
    fw = method.framework
    fixed = dict(spread=0.0, normalisations=[fw.normalisation], aggregations=[fw.aggregation], drop_one=False)
    for n in (1, 5):
        frame = uncertainty_analysis(city, method, n, graph=graph, **fixed).frame
        rank = model["risk_rank"].astype(float).reindex(frame.index)
        for column in ("risk_rank_median", "risk_rank_p05", "risk_rank_p95"):
            pd.testing.assert_series_equal(frame[column], rank, check_names=False)
        # every variant is the model: a ward is a hot spot in all of them or in none, as the run says
        hot = _is_hot(model["hotspot_class"]).reindex(frame.index)
        assert set(frame["hotspot_frequency"]) <= {0.0, 1.0}
        assert ((frame["hotspot_frequency"] == 1.0) == hot).all()
        assert hot.sum() > 5  # the comparison is not vacuous (Kolkata's demo has 21 hot spots)


def test_ranks_share_ties_and_skip_missing():
    risk = np.array([[5.0, 1.0], [7.0, np.nan], [5.0, 3.0], [1.0, 3.0 + 1e-12]])
    # hand-ranked, 1 = highest, ties take the smallest rank (pandas' method="min"); within 1e-9 is a tie
    expected = np.array([[2.0, 3.0], [1.0, np.nan], [2.0, 1.0], [4.0, 1.0]])
    np.testing.assert_array_equal(rank_columns(risk), expected)


def test_scoring_a_variant_equals_the_scorer(kolkata):
    """One variant with weights changed, another normalisation and an indicator left out scores as the package's
    scorer does with that framework."""
    city, method, _ = kolkata
    fw = method.framework
    design = sample_variants(fw, 1, seed=0)
    design.inputs.loc[0, design.inputs.filter(like="weight:").columns] = 1.0
    design.inputs.loc[0, "weight:school_dropout_rate"] = 1.2
    design.inputs.loc[0, "dimension_weight:ideological"] = 0.8
    design.inputs.loc[0, ["normalisation", "aggregation", "dropped_indicator"]] = [
        "zscore",
        "geometric",
        "hate_incidents",
    ]
    changed = (
        fw.with_weights({"school_dropout_rate": 1.2}, {"ideological": 0.8})
        .with_options(normalisation="zscore", aggregation="geometric")
        .without_indicator("hate_incidents")
    )
    table = city.scored_table
    from hotspots.scoring import score_wards

    expected = score_wards(table, changed).scores["risk_score"].to_numpy()
    got = score_variants(table, fw, design)[0].to_numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


# -- hot spots of many variants ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("permutations", "correction"), [("auto", "fdr"), ("auto", "bonferroni"), (199, "none")])
def test_variant_flags_equal_separate_runs(kolkata, permutations, correction):
    """The shared draw and the per-variant refinement give exactly the flags of hotspot_statistics per variant."""
    city, method, graph = kolkata
    design = sample_variants(method.framework, 6, seed=2)
    risk = score_variants(city.scored_table, method.framework, design)
    values = risk.reindex(pd.Index(graph.ward_ids.astype(str), name="ward_id"))
    hot, _ = variant_hotspots(values, graph, permutations, 12345, correction)
    labelled = 0
    for v in risk.columns:
        single = hotspot_statistics(values[v], graph, permutations=permutations, seed=12345, correction=correction)
        expected = _is_hot(single.frame["hotspot_class"]).reindex(hot.index)
        assert (hot[v] == expected).all(), v
        labelled += int(expected.sum())
    assert labelled > 0


def test_adjusting_columns_equals_adjust_pvalues():
    rng = np.random.default_rng(0)
    p = rng.uniform(size=(50, 4)) ** 3
    tested = rng.uniform(size=50) > 0.2
    for correction in ("fdr", "bonferroni", "none"):
        columns = adjust_columns(p, tested, correction)
        for v in range(4):
            expected = adjust_pvalues(np.where(tested, p[:, v], np.nan), correction)
            np.testing.assert_allclose(columns[:, v], expected, rtol=0, atol=0)


def _planted_city(tmp_path):
    """A 20 x 20 grid of wards: a 4 x 4 block of high values in one corner region, low noise elsewhere."""
    rows = cols = 20
    size = 500.0
    cells = [box(c * size, r * size, (c + 1) * size, (r + 1) * size) for r in range(rows) for c in range(cols)]
    ids = [f"r{r:02d}c{c:02d}" for r in range(rows) for c in range(cols)]
    gpd.GeoDataFrame({"ward_id": ids}, geometry=cells, crs=32645).to_crs(4326).to_file(
        tmp_path / "grid.geojson", driver="GeoJSON"
    )
    rng = np.random.default_rng(1)
    cluster = np.array([(3 <= r <= 6) and (3 <= c <= 6) for r in range(rows) for c in range(cols)])
    table = pd.DataFrame({"ward_id": ids})
    for name in ("a", "b", "c"):
        table[name] = np.where(cluster, 90 + rng.uniform(0, 5, len(ids)), rng.uniform(0, 30, len(ids)))
    table.to_csv(tmp_path / "grid.csv", index=False)
    framework = Framework.from_dict(
        {
            "dimensions": {"first": 1, "second": 1},
            "indicators": [
                {"column": "a", "dimension": "first"},
                {"column": "b", "dimension": "first"},
                {"column": "c", "dimension": "second"},
            ],
        }
    )
    city = load_city(tmp_path / "grid.csv", tmp_path / "grid.geojson", framework, id_column="ward_id")
    return city, Method(framework=framework)


def test_hotspot_frequency_is_one_in_a_planted_cluster_and_zero_far_from_it(tmp_path):
    city, method = _planted_city(tmp_path)
    frame = uncertainty_analysis(city, method, 60, seed=1).frame
    # the four wards at the heart of the block: every neighbour is in the block too, under every variant
    core = ["r04c04", "r04c05", "r05c04", "r05c05"]
    assert (frame.loc[core, "hotspot_frequency"] == 1.0).all()
    far = [i for i in frame.index if int(i[1:3]) >= 12 and int(i[4:6]) >= 12]  # the opposite quarter
    assert frame.loc[far, "hotspot_frequency"].mean() < 0.02
    assert frame.loc[core, "risk_rank_p95"].max() <= 16  # the block's 16 wards rank on top in every variant


# -- sensitivity --------------------------------------------------------------------------------------------------------


def test_first_order_indices_on_models_with_known_answers():
    rng = np.random.default_rng(0)
    n = 20_000
    x = pd.DataFrame({"x1": rng.uniform(size=n), "x2": rng.uniform(size=n), "noise": rng.uniform(size=n)})
    # Y = X1 + 2 X2, independent U(0,1): Var = 1/12 + 4/12, so S1 = 1/5 and S2 = 4/5 (analytic); an unused input: 0
    s = first_order_indices(x, x["x1"] + 2 * x["x2"])
    assert s["x1"] == pytest.approx(0.2, abs=0.01)
    assert s["x2"] == pytest.approx(0.8, abs=0.01)
    assert s["noise"] == pytest.approx(0.0, abs=0.005)
    # a choice: Y = +-1 by the choice plus N(0, 1) noise: Var(E[Y|X]) = 1 of Var(Y) = 2, S = 0.5
    choice = pd.DataFrame({"choice": rng.choice(np.array(["a", "b"], dtype=object), n)})
    y = np.where(choice["choice"] == "a", 1.0, -1.0) + rng.normal(size=n)
    assert first_order_indices(choice, y)["choice"] == pytest.approx(0.5, abs=0.02)
    # with few runs the between-group share of pure noise is corrected towards 0, not left at (groups - 1) / N
    small = first_order_indices(x.head(200), rng.normal(size=200))
    assert small.max() < 0.1


def test_sensitivity_reports_every_input(kolkata):
    city, method, graph = kolkata
    result = uncertainty_analysis(city, method, 60, graph=graph)
    inputs = set(result.sensitivity["input"])
    assert {"normalisation", "aggregation", "dropped_indicator"} <= inputs
    assert {f"weight:{c}" for c in method.framework.columns} <= inputs
    assert result.sensitivity["first_order_index"].between(0, 1).all()
    assert result.metadata["sensitivity"]["first_order_indices"].keys() == inputs


# -- command line and export -------------------------------------------------------------------------------------------

FIELDS = ("risk_rank_median", "risk_rank_p05", "risk_rank_p95", "hotspot_frequency")


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "kolkata", "--out", str(out)]) == 0
    return next(out.glob("*.csv")), next(out.glob("*.geojson"))


def _score(demo_files, out, *extra) -> int:
    csv, gj = demo_files
    args = ["score", "--indicators", csv, "--boundaries", gj, "--id-column", "ward_id", "--out", out, *extra]
    return main([str(a) for a in args])


def test_cli_variants_add_fields_and_metadata(demo_files, tmp_path):
    out = tmp_path / "k.geojson"
    assert _score(demo_files, out, "--variants", 30, "--seed", 7) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    props = data["features"][0]["properties"]
    for field in FIELDS:
        assert field in props
    frequencies = [f["properties"]["hotspot_frequency"] for f in data["features"]]
    assert all(len(str(v).split(".")[-1]) <= 3 for v in frequencies)  # rounded like the other fields
    meta = data["metadata"]["uncertainty"]
    assert meta["variants"] == 30 and meta["seed"] == 7
    assert "[0.75, 1.25]" in meta["variant_rule"]["weights"]
    assert "weight:hate_incidents" in meta["sensitivity"]["first_order_indices"]
    csv_out = tmp_path / "k.csv"
    assert _score(demo_files, csv_out, "--variants", 30, "--seed", 7) == 0
    header = csv_out.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert all(field in header for field in FIELDS)
    sidecar = json.loads((tmp_path / "k.csv.metadata.json").read_text(encoding="utf-8"))
    assert sidecar["uncertainty"]["variants"] == 30


def test_cli_variants_0_adds_nothing(demo_files, tmp_path, capsys):
    out = tmp_path / "k.geojson"
    assert _score(demo_files, out, "--variants", 0) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert not set(FIELDS) & set(data["features"][0]["properties"])
    assert "uncertainty" not in data["metadata"]
    with pytest.raises(SystemExit):
        _score(demo_files, out, "--variants", "-3")
    assert "whole number" in capsys.readouterr().err


def test_add_uncertainty_keys_fields_by_ward(kolkata):
    city, method, graph = kolkata
    result = add_uncertainty(score_city(city, method, graph=graph), 20, seed=1, graph=graph)
    layer = result.layer.set_index("ward_id")
    pd.testing.assert_series_equal(
        layer["risk_rank_median"], result.uncertainty.frame["risk_rank_median"].reindex(layer.index)
    )


# -- the app -----------------------------------------------------------------------------------------------------------


def test_app_tab_opens_on_the_demo_city():
    pytest.importorskip("streamlit")
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=180)
    at.run()
    at.session_state["view"] = "How sure are we?"
    at.session_state["uncertainty_variants"] = 50
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(h.value == "How sure are we?" for h in at.subheader)
    assert len(at.get("vega_lite_chart")) == 2  # the rank intervals and the sensitivity bars
    assert any("depends on the weights" in c.value for c in at.caption)


def test_app_tab_waits_for_the_button_on_a_large_city(monkeypatch):
    pytest.importorskip("streamlit")
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    import ui.uncertainty_tab

    monkeypatch.setattr(ui.uncertainty_tab, "AUTO_RUN", 1000)  # Kolkata: 144 wards x 50 variants is "large" now
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=180)
    at.run()
    at.session_state["view"] = "How sure are we?"
    at.session_state["uncertainty_variants"] = 50
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.get("vega_lite_chart") and any("may take minutes" in i.value for i in at.info)
    at.button(key="uncertainty_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.get("vega_lite_chart")) == 2
