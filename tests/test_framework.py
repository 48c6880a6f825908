import json

import pytest

from hotspots.errors import FrameworkError
from hotspots.framework import Framework, Indicator, default_framework

ISSUE_EXAMPLE = {
    "dimensions": {"individual": 1, "institutional": 1, "ideological": 1},
    "indicators": [
        {"column": "youth_unemployment_rate", "dimension": "individual", "weight": 1, "direction": "higher_is_riskier"},
        {
            "column": "institution_licensing_rate",
            "dimension": "institutional",
            "weight": 1,
            "direction": "lower_is_riskier",
        },
        {"column": "hate_incidents", "dimension": "ideological", "weight": 1, "per_population": 10000},
    ],
    "normalisation": "minmax",
    "aggregation": "arithmetic",
}


def test_issue_example_parses_with_defaults():
    fw = Framework.from_dict(ISSUE_EXAMPLE)
    assert fw.columns == ["youth_unemployment_rate", "institution_licensing_rate", "hate_incidents"]
    assert fw.indicators[2].direction == "higher_is_riskier"  # the documented default
    assert fw.indicators[2].per_population == 10000
    assert fw.needs_population


def test_default_framework_covers_default_indicators():
    fw = default_framework()
    assert set(fw.columns) == {
        "youth_unemployment_rate",
        "school_dropout_rate",
        "unlicensed_institutions",
        "institution_licensing_rate",
        "hate_incidents",
        "extremist_propaganda_reports",
    }
    assert fw.dimension_names == ["individual", "institutional", "ideological"]
    by_col = {i.column: i for i in fw.indicators}
    assert by_col["institution_licensing_rate"].direction == "lower_is_riskier"


def test_json_and_toml_round_trip(tmp_path):
    fw = default_framework().with_weights({"hate_incidents": 3}, {"ideological": 2})
    p = fw.save(tmp_path / "fw.json")
    assert Framework.load(p) == fw
    toml = tmp_path / "fw.toml"
    toml.write_text(
        'normalisation = "zscore"\n[dimensions]\nindividual = 1\nurban = 2\n'
        '[[indicators]]\ncolumn = "a"\ndimension = "individual"\n'
        '[[indicators]]\ncolumn = "b"\ndimension = "urban"\nweight = 0.5\n'
    )
    fw2 = Framework.load(toml)
    assert fw2.dimensions == {"individual": 1, "urban": 2}  # dimensions are not fixed to three
    assert fw2.normalisation == "zscore"


@pytest.mark.parametrize(
    "change, words",
    [
        ({"indicators": [{"column": "a", "dimension": "nope"}]}, "unknown dimension 'nope'"),
        ({"indicators": [{"column": "a", "dimension": "individual", "weight": 0}]}, "every weight is 0"),
        ({"dimensions": {"individual": 0}}, "every weight is 0"),
        ({"indicators": [{"column": "a", "dimension": "individual", "weight": "heavy"}]}, "not a positive number"),
        ({"indicators": [{"column": "a", "dimension": "individual", "weight": -1}]}, "not a positive number"),
        ({"indicators": [{"column": "a", "dimension": "individual", "direction": "up"}]}, "direction 'up'"),
        ({"normalisation": "log"}, "normalisation 'log'"),
        ({"classification": "fixed"}, "four increasing numbers"),
    ],
)
def test_invalid_frameworks_explain_the_fix(change, words):
    data = {"dimensions": {"individual": 1}, "indicators": [{"column": "a", "dimension": "individual"}], **change}
    with pytest.raises(FrameworkError, match=words):
        Framework.from_dict(data, source="fw.json")


def test_invalid_json_names_line(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text('{"dimensions": {"a": 1},\n "indicators": [}')
    with pytest.raises(FrameworkError, match="line 2"):
        Framework.load(p)


def test_framework_error_is_a_value_error():
    with pytest.raises(ValueError):
        Framework.from_dict({"dimensions": {}, "indicators": []})


def test_with_indicator_adds_new_dimension():
    fw = default_framework().with_indicator(Indicator("street_lighting_gap", "urban", 2))
    assert "urban" in fw.dimensions and fw.columns[-1] == "street_lighting_gap"
    assert json.loads(fw.to_json())["indicators"][-1]["weight"] == 2


def test_columns_key_follows_what_validation_reads():
    from dataclasses import replace

    base = default_framework()
    assert base.columns_key() == default_framework().columns_key()
    # weights and methods do not change how a table is validated
    assert base.with_weights({"hate_incidents": 3.0}, {"individual": 2.0}).columns_key() == base.columns_key()
    assert base.with_options(aggregation="geometric").columns_key() == base.columns_key()
    # columns, units and denominators do
    assert base.without_indicator("hate_incidents").columns_key() != base.columns_key()
    changed = base.with_indicator(replace(base.indicators[0], unit="other"))
    assert changed.columns_key() != base.columns_key()


def test_default_labels_and_units_round_trip(tmp_path):
    fw = default_framework()
    for ind in fw.indicators:
        assert ind.label and ind.unit, ind.column  # every default indicator has a label and a unit
        if ind.per_population:
            assert f"per {ind.per_population:,.0f} residents" in ind.label  # says what the value is
            assert ind.value_unit == "per 10,000 residents"
    assert fw.labels["youth_unemployment_rate"] == "Youth unemployment (% of 15–29 labour force)"
    again = Framework.load(fw.save(tmp_path / "fw.json"))
    assert again.labels == fw.labels and [i.unit for i in again.indicators] == [i.unit for i in fw.indicators]
    assert Framework.from_json(fw.to_json()) == fw
    assert list(fw.to_frame()["label"]) == list(fw.labels.values())


def test_labels_travel_in_the_metadata_and_back():
    from hotspots.method import Method

    fw = default_framework().with_indicator(
        Indicator("extra", "individual", unit="percent", label="Extra <b>share</b> (%)")
    )
    method = Method(framework=fw)
    meta = {"method": method.to_dict()}
    again = Method.from_metadata(meta)
    assert again.framework.labels == fw.labels
    assert again.key == method.key
