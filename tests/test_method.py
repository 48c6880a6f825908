"""A run is a value: Method is frozen and hashable, round-trips through an export's metadata, and the pipeline's
three steps (score, classify, hot spots) can be called alone."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import hotspots
from hotspots import Method
from hotspots.errors import DataError
from hotspots.export import read_geojson


@pytest.fixture(scope="module")
def kolkata():
    return hotspots.demo_city("kolkata")


def test_method_is_frozen_hashable_and_keyed_by_content():
    a = Method()
    b = Method(framework=hotspots.default_framework())
    assert a == b and hash(a) == hash(b) and a.key == b.key
    assert len({a, b}) == 1
    heavier = a.replace(framework=a.framework.with_weights(dimension_weights={"ideological": 2.0}))
    assert heavier != a and heavier.key != a.key
    assert a.replace(correction="bonferroni").key != a.key
    with pytest.raises(AttributeError):
        a.seed = 1  # frozen
    assert Method.from_dict(json.loads(json.dumps(a.to_dict()))) == a


@pytest.mark.parametrize(
    "options, match",
    [
        ({"permutations": -1}, "permutations"),
        ({"correction": "holm"}, "correction"),
        ({"scaling": "x"}, "scaling"),
        ({"suppress_below": -2}, "suppress_below"),
        ({"seed": "abc"}, "seed"),
    ],
)
def test_bad_options_are_refused_with_a_message(options, match):
    with pytest.raises(DataError, match=match):
        Method(**options)


def test_an_export_rebuilds_the_run_that_made_it(kolkata, tmp_path):
    method = Method(
        framework=hotspots.default_framework().with_options(classification="equal_interval"),
        permutations=199,
        seed=7,
        correction="none",
        suppress_below=10,
    )
    first = hotspots.run(kolkata.indicators_path, kolkata.boundaries_path, id_column="ward_id", method=method)
    first.to_geojson(tmp_path / "k.geojson")
    _, meta = read_geojson(tmp_path / "k.geojson")
    rebuilt = Method.from_metadata(meta)
    assert rebuilt == method
    again = hotspots.run(kolkata.indicators_path, kolkata.boundaries_path, id_column="ward_id", method=rebuilt)
    a, _ = first.export_table()
    b, _ = again.export_table()
    pd.testing.assert_frame_equal(a, b)


def test_metadata_without_a_method_member_is_rebuilt_from_its_parts(kolkata):
    method = Method(permutations=99, seed=3, correction="bonferroni", neighbours="rook")
    result = hotspots.run(kolkata.indicators_path, kolkata.boundaries_path, id_column="ward_id", method=method)
    meta = result.metadata()
    del meta["method"]  # an export written before Method existed carries the parts
    assert Method.from_metadata(meta) == method.replace(snap_tolerance=5.0)  # the default tolerance, written out


def test_run_refuses_a_method_and_options_together(kolkata):
    with pytest.raises(DataError, match="either method"):
        hotspots.run(
            kolkata.indicators_path, kolkata.boundaries_path, id_column="ward_id", method=Method(), permutations=9
        )


def test_the_three_steps_can_be_called_alone(kolkata):
    method = Method(permutations=99)
    city = hotspots.load_city(kolkata.indicators_path, kolkata.boundaries_path, method.framework, id_column="ward_id")
    scores = hotspots.score(city, method)
    classes, breaks = hotspots.classify_scores(scores, method)
    risk = pd.Series(scores.scores["risk_score"].to_numpy(), index=city.scored_table["ward_id"])
    found = hotspots.find_hotspots(risk, hotspots.city_graph(city, method), method)
    whole = hotspots.score_city(city, method)
    np.testing.assert_allclose(whole.layer.set_index("ward_id").loc[risk.index, "risk_score"], risk.to_numpy())
    assert breaks["risk_score"] == whole.breaks["risk_score"]
    pd.testing.assert_series_equal(
        found.frame["hotspot_class"],
        whole.layer.set_index("ward_id")["hotspot_class"].reindex(found.frame.index),
        check_names=False,
    )


def test_city_and_graph_keys(kolkata):
    fw = hotspots.default_framework()
    city = hotspots.load_city(kolkata.indicators_path, kolkata.boundaries_path, fw, id_column="ward_id")
    same = hotspots.load_city(kolkata.indicators_path, kolkata.boundaries_path, fw, id_column="ward_id")
    assert city.key == same.key == hotspots.city_key(city.raw, fw.columns_key(), "ward_id")
    fewer = fw.without_indicator("hate_incidents")
    other = hotspots.load_city(kolkata.indicators_path, kolkata.boundaries_path, fewer, id_column="ward_id")
    assert other.key != city.key  # validated on other columns
    assert city.graph_key(Method()) == other.graph_key(Method())  # the same boundaries and rule
    assert city.graph_key(Method(neighbours="rook")) != city.graph_key(Method())
