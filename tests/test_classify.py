import numpy as np
import pytest

from hotspots.classify import CLASS_LABELS, classify
from hotspots.errors import DataError


@pytest.mark.parametrize("scheme", ["quantiles", "fisher_jenks", "equal_interval", "fixed"])
def test_five_labelled_classes_and_no_data(scheme):
    values = np.r_[np.linspace(0, 10, 50), np.nan]
    c = classify(values, scheme)
    assert c.labels.iloc[-1] == "No data"
    assert set(c.labels.iloc[:-1]) == set(CLASS_LABELS)
    assert c.counts["No data"] == 1 and sum(c.counts.values()) == 51
    # classes are ordered: a higher value never gets a lower class
    assert np.all(np.diff(c.codes[:-1]) >= 0)


def test_quantile_counts_hand_checked():
    # 10 values, 5 quantile classes: 2 per class (hand count)
    c = classify(np.arange(10.0), "quantiles")
    assert [c.counts[lab] for lab in CLASS_LABELS] == [2, 2, 2, 2, 2]


def test_fixed_thresholds():
    c = classify([0.5, 2.5, 4.5, 6.5, 9.5], "fixed", thresholds=(2, 4, 6, 8))
    assert c.labels.tolist() == list(CLASS_LABELS)


def test_unknown_scheme():
    with pytest.raises(DataError, match="quantiles"):
        classify([1, 2, 3], "natural")


@pytest.mark.parametrize("scheme", ["quantiles", "equal_interval", "fixed"])
def test_same_classes_as_mapclassify(scheme):
    import mapclassify

    rng = np.random.default_rng(3)
    values = np.r_[rng.gamma(2, 1.5, 997).clip(0, 10), 2.0, 4.0, 6.0]  # values on the fixed thresholds too
    ref = {
        "quantiles": lambda: mapclassify.Quantiles(values, k=5),
        "equal_interval": lambda: mapclassify.EqualInterval(values, k=5),
        "fixed": lambda: mapclassify.UserDefined(values, bins=[2, 4, 6, 8, 10]),
    }[scheme]()
    c = classify(values, scheme)
    np.testing.assert_allclose(c.bins, ref.bins)
    np.testing.assert_array_equal(c.codes, ref.yb)
