"""Stable rates: Empirical Bayes smoothing (hotspots/smoothing.py) against esda's ``smoothing`` module on the same
input, in the framework and the scores, recorded in the metadata; and the population minimum, flagged everywhere.

The reference values come from esda (2.9.0 when these tests were written; ``esda>=2.6`` in requirements-dev.txt):
``esda.smoothing.Empirical_Bayes`` and ``Spatial_Empirical_Bayes`` with the city's graph as a binary libpysal W.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import hotspots
from hotspots.errors import FrameworkError, ValidationError
from hotspots.framework import Framework, default_framework
from hotspots.method import Method
from hotspots.pipeline import city_graph
from hotspots.smoothing import empirical_bayes, spatial_empirical_bayes
from hotspots.suppression import public_counts

esda_smoothing = pytest.importorskip("esda.smoothing")

KOLKATA = hotspots.demo_city("kolkata")


@pytest.fixture(scope="module")
def kolkata_city():
    return hotspots.load_city(
        KOLKATA.indicators_path, KOLKATA.boundaries_path, default_framework(), id_column="ward_id"
    )


@pytest.fixture(scope="module")
def small_city():
    """Kolkata's wards with small populations (30 to 3,000 residents) and a few incidents: rates that swing."""
    rng = np.random.default_rng(3)
    table = pd.read_csv(KOLKATA.indicators_path)
    table["population"] = rng.integers(30, 3000, len(table))
    true_rate = rng.gamma(2.0, 0.002, len(table))  # rates that truly differ between wards (variance > 0)
    table["hate_incidents"] = rng.poisson(table["population"] * true_rate)
    return table


def test_global_eb_equals_esda(small_city):
    e, b = small_city["hate_incidents"].to_numpy(float), small_city["population"].to_numpy(float)
    ours = empirical_bayes(e, b)
    reference = esda_smoothing.Empirical_Bayes(e, b).r.ravel()
    np.testing.assert_allclose(ours, reference, rtol=1e-12)
    assert np.std(ours) < np.std(e / b)  # smoothing pulls rates together


def test_global_eb_without_between_ward_variance_gives_the_city_rate():
    # hand-worked: rates 0.01 everywhere, so s2 = 0 and s2 - m / mean(b) < 0, set to 0 (Marshall): every ward gets m
    # (esda does not clip there and gives other numbers; GeoDa clips, as here)
    np.testing.assert_allclose(empirical_bayes([1, 2, 10], [100, 200, 1000]), [0.01, 0.01, 0.01])


def test_missing_counts_or_populations_are_left_out_not_zero(small_city):
    e, b = small_city["hate_incidents"].to_numpy(float), small_city["population"].to_numpy(float)
    e[3], b[7] = np.nan, 0.0
    ours = empirical_bayes(e, b)
    assert np.isnan(ours[[3, 7]]).all()
    keep = np.ones(len(e), bool)
    keep[[3, 7]] = False
    np.testing.assert_allclose(ours[keep], esda_smoothing.Empirical_Bayes(e[keep], b[keep]).r.ravel(), rtol=1e-12)


def test_spatial_eb_equals_esda_keyed_by_ward_id(small_city, kolkata_city):
    graph = city_graph(kolkata_city, "queen")
    keyed = small_city.set_index("ward_id")
    ours = spatial_empirical_bayes(keyed["hate_incidents"].astype(float), keyed["population"].astype(float), graph)
    order = [str(w) for w in graph.ward_ids]
    e = keyed.loc[order, "hate_incidents"].to_numpy(float)
    b = keyed.loc[order, "population"].to_numpy(float)
    reference = esda_smoothing.Spatial_Empirical_Bayes(e, b, graph.to_libpysal()).r.ravel()
    np.testing.assert_allclose(ours.loc[order].to_numpy(), reference, rtol=1e-10)
    shuffled = keyed.sample(frac=1, random_state=1)  # row order does not matter: results are keyed by ward ID
    again = spatial_empirical_bayes(
        shuffled["hate_incidents"].astype(float), shuffled["population"].astype(float), graph
    )
    pd.testing.assert_series_equal(again.loc[order], ours.loc[order])


def _smoothing_framework(**smoothing) -> Framework:
    data = default_framework().to_dict()
    for item in data["indicators"]:
        if item["column"] in smoothing:
            item["smoothing"] = smoothing[item["column"]]
    return Framework.from_dict(data)


def test_the_framework_option_smooths_before_normalisation_and_the_metadata_says_so(small_city, tmp_path):
    table = tmp_path / "small.csv"
    small_city.to_csv(table, index=False)
    framework = _smoothing_framework(hate_incidents="eb", extremist_propaganda_reports="spatial_eb")
    result = hotspots.run(
        table, KOLKATA.boundaries_path, id_column="ward_id", method=Method(framework=framework, permutations=0)
    )
    prepared = pd.Series(result.scores.prepared["hate_incidents"].to_numpy(), index=result.city.scored_table["ward_id"])
    # esda on the same input: the counts as suppression leaves them public (hotspots.suppression.public_counts: the
    # scores, and so the smoothing, count a hidden count at the middle of its band)
    public = public_counts(small_city, ["hate_incidents"])
    keyed = public.set_index("ward_id").loc[prepared.index]
    assert (public["hate_incidents"] != small_city["hate_incidents"]).any()  # the city has small counts
    expected = esda_smoothing.Empirical_Bayes(keyed["hate_incidents"], keyed["population"]).r.ravel() * 10000
    np.testing.assert_allclose(prepared.to_numpy(), expected, rtol=1e-10)
    meta = json.loads(result.to_geojson())["metadata"]
    assert meta["smoothing"]["hate_incidents"]["method"] == "eb"
    assert meta["smoothing"]["extremist_propaganda_reports"] == {
        **meta["smoothing"]["extremist_propaganda_reports"],
        "method": "spatial_eb",
        "neighbours": "queen",
    }
    assert meta["method"]["framework"]["indicators"][4]["smoothing"] == "eb"
    assert Method.from_metadata(meta).framework == framework  # the run can be rebuilt
    # the exports keep the counts as read (suppressed where small); only the scores use the smoothed rates
    exported = json.loads(result.to_geojson())["features"][0]["properties"]["hate_incidents"]
    assert exported is None or float(exported).is_integer()
    unsmoothed = hotspots.run(table, KOLKATA.boundaries_path, id_column="ward_id", permutations=0)
    assert not np.allclose(unsmoothed.layer["risk_score"], result.layer["risk_score"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"smoothing": "bayes"}, "use one of none, eb, spatial_eb"),
        ({"smoothing": "eb", "per_population": None}, 'no "per_population"'),
    ],
)
def test_a_smoothing_the_framework_cannot_use_is_refused(change, message):
    data = default_framework().to_dict()
    item = data["indicators"][4]
    item.update(change)
    data["indicators"][4] = {k: v for k, v in item.items() if v is not None}
    with pytest.raises(FrameworkError, match=message):
        Framework.from_dict(data)


# -- the population minimum ------------------------------------------------------------------------------------------


def _min_population_framework(minimum) -> Framework:
    return Framework.from_dict({**default_framework().to_dict(), "min_population": minimum})


def test_wards_below_the_minimum_are_flagged_in_the_report_the_export_and_the_metadata(tmp_path):
    framework = _min_population_framework(30000)
    table = pd.read_csv(KOLKATA.indicators_path)
    small = sorted(table.loc[table["population"] < 30000, "ward_id"])
    assert 0 < len(small) < len(table)
    result = hotspots.run(
        KOLKATA.indicators_path, KOLKATA.boundaries_path, id_column="ward_id", framework=framework, permutations=0
    )
    note = next(n for n in result.city.notes if "min_population" in n)
    assert f"{len(small)} ward(s)" in note and small[0] in note and "not dropped" in note
    assert len(result.layer) == len(table)  # flagged, not dropped
    features = json.loads(result.to_geojson())
    flagged = sorted(f["properties"]["ward_id"] for f in features["features"] if f["properties"]["small_population"])
    assert flagged == small
    assert sorted(features["metadata"]["small_population"]["wards"]) == small
    assert features["metadata"]["small_population"]["min_population"] == 30000
    result.to_csv(tmp_path / "k.csv")
    csv = pd.read_csv(tmp_path / "k.csv")
    assert sorted(csv.loc[csv["small_population"], "ward_id"]) == small


def test_the_minimum_is_validated_and_needs_a_population():
    with pytest.raises(FrameworkError, match="min_population"):
        _min_population_framework(-5)
    framework = Framework.from_dict(
        {
            "dimensions": {"d": 1},
            "indicators": [{"column": "youth_unemployment_rate", "dimension": "d"}],
            "min_population": 500,
        }
    )
    assert framework.to_dict()["min_population"] == 500
    table = pd.DataFrame({"ward_id": ["a", "b"], "youth_unemployment_rate": ["1", "2"]})
    with pytest.raises(ValidationError, match="min_population of 500"):
        hotspots.validate_table(table, framework, id_column="ward_id")


def test_cli_validate_names_the_small_wards(tmp_path):
    import subprocess
    import sys

    framework = tmp_path / "framework.json"
    framework.write_text(_min_population_framework(30000).to_json(), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "hotspots", "validate", "--indicators", str(KOLKATA.indicators_path),
         "--boundaries", str(KOLKATA.boundaries_path), "--id-column", "ward_id", "--framework", str(framework)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "min_population of 30,000" in done.stdout and "KMC-001" in done.stdout
