"""Risk profiles (hotspots.profiles): KMeans on dimension scores, k by silhouette, canonical numbers and names,
pooled over cities, and in the exports."""

import json

import numpy as np
import pandas as pd
import pytest

import hotspots
from hotspots.errors import DataError
from hotspots.profiles import (
    pooled_scores,
    profile_name,
    profile_results,
    risk_profiles,
)

DIMS = ["individual_score", "institutional_score", "ideological_score"]


def planted(n_per: int = 30, seed: int = 1) -> pd.DataFrame:
    """Three tight groups, each high on one dimension only (0-10 scale), keyed by ward ID."""
    rng = np.random.default_rng(seed)
    centres = np.array([[8.0, 1.0, 1.0], [1.0, 8.0, 1.0], [1.0, 1.0, 8.0]])
    rows = np.vstack([c + rng.normal(0, 0.4, size=(n_per, 3)) for c in centres])
    ids = [f"W{i:03d}" for i in range(len(rows))]
    return pd.DataFrame(rows, columns=DIMS, index=pd.Index(ids, name="ward_id"))


def test_silhouette_picks_the_three_planted_groups_and_names_them():
    scores = planted()
    profiles = risk_profiles(scores)
    assert profiles.k == 3
    assert max(profiles.silhouette, key=profiles.silhouette.get) == 3
    assert set(profiles.silhouette) == {2, 3, 4, 5, 6}
    # each planted group is one profile, named after the one dimension it was planted high on
    for group, dim in enumerate(["individual", "institutional", "ideological"]):
        ids = scores.index[group * 30 : (group + 1) * 30]
        assert profiles.labels[ids].nunique() == 1
        assert profiles.labels[ids].iloc[0].endswith(f"mainly {dim}")
    assert profiles.centres["wards"].tolist() == [30, 30, 30]


def test_same_seed_repeats_and_shuffled_rows_give_the_same_profile_per_ward():
    scores = planted(n_per=25, seed=7)
    scores.iloc[::4] += 1.5  # make the groups less clean, so that the seed and order could matter
    first = risk_profiles(scores, seed=3)
    again = risk_profiles(scores, seed=3)
    shuffled = risk_profiles(scores.sample(frac=1, random_state=11), seed=3)
    pd.testing.assert_series_equal(first.labels, again.labels)
    pd.testing.assert_series_equal(first.labels, shuffled.labels)
    pd.testing.assert_frame_equal(first.centres, shuffled.centres)


def test_numbers_follow_the_centres_total_score_highest_first():
    profiles = risk_profiles(planted(), k=4)
    totals = profiles.centres[["individual", "institutional", "ideological"]].sum(axis=1)
    assert list(profiles.centres.index) == [1, 2, 3, 4]
    assert totals.is_monotonic_decreasing
    assert all(label.startswith(f"P{n}: ") for n, label in profiles.centres["label"].items())


def test_centres_are_the_mean_scores_of_their_wards():
    scores = planted()
    profiles = risk_profiles(scores)
    for number, row in profiles.centres.iterrows():
        members = scores[profiles.numbers == number]
        assert row["individual"] == pytest.approx(members["individual_score"].mean())
        assert row["wards"] == len(members)


@pytest.mark.parametrize(
    "z, name",
    [
        ({"a": 0.5, "b": 0.5, "c": 0.5}, "all three high"),  # 0.5 is high (>=)
        ({"a": 0.49, "b": 0.0, "c": 2.0}, "mainly c"),
        ({"a": 1.0, "b": 0.0, "c": 2.0}, "a and c high"),
        ({"a": -0.5, "b": -0.6, "c": -3.0}, "all low"),
        ({"a": -0.5, "b": -0.4, "c": -3.0}, "near average"),
        ({"a": 0.0, "b": 0.0, "c": 0.0}, "near average"),
        ({"x": 1.0, "y": 1.0}, "all high"),
        ({"hate_speech": 1.0, "y": 0.0}, "mainly hate speech"),
    ],
)
def test_naming_rule(z, name):
    assert profile_name(z) == name


def test_wards_without_every_dimension_score_get_no_profile_and_a_note():
    scores = planted()
    scores.loc["W005", "institutional_score"] = np.nan
    scores.loc["W040"] = np.nan
    profiles = risk_profiles(scores)
    assert profiles.labels[["W005", "W040"]].isna().all()
    assert profiles.labels.drop(["W005", "W040"]).notna().all()
    assert any("2 ward(s) lack a dimension score" in n and "W005" in n and "W040" in n for n in profiles.notes)


def test_all_equal_scores_one_profile_with_a_note():
    scores = pd.DataFrame({d: [4.0] * 6 for d in DIMS}, index=[f"w{i}" for i in range(6)])
    profiles = risk_profiles(scores)
    assert profiles.k == 1
    assert set(profiles.labels) == {"P1: near average"}
    assert any("same dimension scores" in n for n in profiles.notes)


def test_fewer_distinct_wards_than_k_lowers_k_with_a_note():
    scores = pd.DataFrame({d: [1.0, 1.0, 9.0] for d in DIMS}, index=["a", "b", "c"])
    profiles = risk_profiles(scores, k=5)
    assert profiles.k == 2
    assert profiles.labels["a"] == profiles.labels["b"] != profiles.labels["c"]
    assert any("5 risk profiles were asked for" in n for n in profiles.notes)
    two = risk_profiles(scores.iloc[[0, 2]])  # two wards: no silhouette possible
    assert two.k == 2 and any("too few" in n for n in two.notes)


def test_no_ward_with_scores_and_bad_input():
    empty = risk_profiles(pd.DataFrame({d: [np.nan] for d in DIMS}, index=["a"]))
    assert empty.k == 0 and empty.labels.isna().all() and empty.notes
    with pytest.raises(DataError, match="more than once"):
        risk_profiles(pd.DataFrame({d: [1.0, 2.0] for d in DIMS}, index=["a", "a"]))
    with pytest.raises(DataError, match="whole number"):
        risk_profiles(planted(), k=0)
    with pytest.raises(DataError, match="not a number"):
        risk_profiles(pd.DataFrame({"individual_score": ["x", 1.0]}, index=["a", "b"]))


def test_to_dict_is_json_and_holds_centres_and_rule():
    meta = risk_profiles(planted()).to_dict()
    text = json.dumps(meta)
    assert meta["k"] == 3 and meta["standardised"] is True and "silhouette" in meta["rule"]
    assert {c["name"] for c in meta["centres"]} == {"mainly individual", "mainly institutional", "mainly ideological"}
    assert "NaN" not in text


# ---------------------------------------------------------------------------------------------- scored cities


@pytest.fixture(scope="module")
def two_cities():
    fw = hotspots.default_framework()
    cities = {
        key: hotspots.load_city(c.indicators_path, c.boundaries_path, fw, id_column="ward_id")
        for key, c in hotspots.demo_cities().items()
        if key in ("kolkata", "dhaka")
    }
    return fw, cities


@pytest.mark.parametrize("scale", ["own", "common"])
def test_multi_city_profiles_are_learned_on_the_pooled_wards(two_cities, scale):
    fw, cities = two_cities
    results = hotspots.score_cities(cities, fw, scale=scale, permutations=0)
    shared = results["kolkata"].profiles
    assert shared is results["dhaka"].profiles  # one set of profiles for both cities
    assert isinstance(shared.labels.index, pd.MultiIndex)
    # the same fit, by hand, on both cities' dimension scores pooled
    by_hand = risk_profiles(pooled_scores(results), seed=12345)
    pd.testing.assert_series_equal(shared.labels, by_hand.labels)
    n_wards = sum(len(r.layer) for r in results.values())
    assert shared.centres["wards"].sum() == n_wards - len(shared.labels) + shared.labels.notna().sum()
    for city, result in results.items():
        expected = by_hand.labels.xs(city, level=0).reindex(result.layer["ward_id"]).to_numpy()
        assert list(result.layer["risk_profile"]) == list(expected)
    # a single city's own profiles differ from the pooled ones in general: the pooled fit is not per city
    alone = hotspots.score_city(cities["dhaka"], fw, permutations=0).profiles
    assert not isinstance(alone.labels.index, pd.MultiIndex)


def test_profile_results_repeat_with_the_same_seed(two_cities):
    fw, cities = two_cities
    results = hotspots.score_cities(cities, fw, permutations=0, profiles=0)
    assert "risk_profile" not in results["kolkata"].layer  # profiles=0 switches them off
    first = profile_results(results, k=3, seed=5).labels.copy()
    second = profile_results(results, k=3, seed=5).labels
    pd.testing.assert_series_equal(first, second)
    assert results["dhaka"].layer["risk_profile"].str.match(r"P[123]: ").all()


def test_risk_profile_in_geojson_csv_and_metadata():
    city = hotspots.demo_city("colombo")
    result = hotspots.run(city.indicators_path, city.boundaries_path, id_column="ward_id", permutations=0)
    data = json.loads(result.to_geojson())
    profiles = {f["properties"]["ward_id"]: f["properties"]["risk_profile"] for f in data["features"]}
    expected = result.profiles.labels
    assert profiles == {w: (None if pd.isna(expected.get(w)) else expected[w]) for w in profiles}
    meta = data["metadata"]["risk_profiles"]
    assert meta["k"] == result.profiles.k and len(meta["centres"]) == meta["k"]
    assert data["metadata"]["method"]["profiles"] == "auto"
    table = pd.read_csv(pd.io.common.StringIO(result.to_csv().lstrip("\ufeff")))
    assert table.set_index("ward_id")["risk_profile"].to_dict() == expected.to_dict()


def test_method_profiles_option_round_trips_and_is_checked():
    m = hotspots.Method(profiles=4)
    assert hotspots.Method.from_dict(m.to_dict()).profiles == 4
    assert hotspots.Method().key != m.key
    with pytest.raises(DataError, match="profiles"):
        hotspots.Method(profiles=-1)
    with pytest.raises(DataError, match="profiles"):
        hotspots.Method(profiles="many")
    with pytest.raises(DataError, match="to 10"):
        hotspots.Method(profiles=11)


# ---------------------------------------------------------------------------------------------------- the map


def _map_data(layer, **options) -> dict:
    import re

    from hotspots.maps import map_html, risk_map

    page = map_html(risk_map(layer, **options))
    return json.loads(re.search(r"var D = (\{.*?\});\n", page).group(1))


def test_risk_profile_map_layer_colours_each_ward_by_its_profile():
    from hotspots.maps import NO_DATA_COLOR, PROFILE_COLORS

    city = hotspots.demo_city("colombo")
    result = hotspots.run(city.indicators_path, city.boundaries_path, id_column="ward_id", permutations=0, profiles=3)
    layer = result.layer.copy()
    layer.loc[layer.index[0], "risk_profile"] = pd.NA  # a ward without a profile: the no-data colour
    data = _map_data(layer, dimensions=result.dimension_names, view="risk_profile")
    view = data["views"][0]
    assert view["label"] == "Risk profile" and view["column"] == "risk_profile"
    assert view["colors"] == list(PROFILE_COLORS[:3]) and NO_DATA_COLOR not in view["colors"]
    order = sorted(layer["risk_profile"].dropna().unique())  # "P1: ..." < "P2: ..." < "P3: ..."
    for code, profile in zip(view["cls"], layer["risk_profile"]):
        assert code == ("-" if pd.isna(profile) else str(order.index(profile)))
    assert all(name in view["legend"] for name in order) and "No profile" in view["legend"]
    tooltip = next(r for r in data["rows"] if r["label"] == "Risk profile")
    assert tooltip["cats"][tooltip["codes"][1]] == layer["risk_profile"].iloc[1]


def test_profile_labels_are_escaped_on_the_map():
    city = hotspots.demo_city("colombo")
    result = hotspots.run(city.indicators_path, city.boundaries_path, id_column="ward_id", permutations=0, profiles=2)
    layer = result.layer.copy()
    layer["risk_profile"] = layer["risk_profile"].str.replace("P1: ", "P1: <img src=x onerror=alert(1)> ")
    data = _map_data(layer, dimensions=result.dimension_names)
    view = next(v for v in data["views"] if v["column"] == "risk_profile")
    assert "<img" not in view["legend"] and "&lt;img src=x" in view["legend"]


def test_a_profiles_colour_follows_its_number_in_every_city():
    from hotspots.maps import PROFILE_COLORS

    city = hotspots.demo_city("colombo")
    result = hotspots.run(city.indicators_path, city.boundaries_path, id_column="ward_id", permutations=0, profiles=3)
    layer = result.layer[~result.layer["risk_profile"].str.startswith("P2:")]  # a city without profile 2
    view = _map_data(layer, dimensions=result.dimension_names, view="risk_profile")["views"][0]
    assert view["colors"] == [PROFILE_COLORS[0], PROFILE_COLORS[2]]


def test_mean_silhouette_equals_scikit_learns():
    from sklearn.metrics import silhouette_score

    from hotspots.profiles.kmeans import _distances, mean_silhouette

    rng = np.random.default_rng(4)
    points = rng.normal(size=(200, 3))
    labels = rng.integers(0, 4, 200)
    labels[17] = 9  # a ward alone in its cluster: silhouette 0, as scikit-learn
    assert mean_silhouette(_distances(points), labels) == pytest.approx(silhouette_score(points, labels), abs=1e-12)
    planted_z = planted().to_numpy()
    codes = np.repeat([0, 1, 2], 30)
    assert mean_silhouette(_distances(planted_z), codes) == pytest.approx(silhouette_score(planted_z, codes))


def test_the_same_scores_are_clustered_once_and_give_the_same_result_and_notes(monkeypatch):
    # the app re-scores on every dimension-weight or option change; the dimension scores (and so the profiles)
    # do not change then: the clustering must be remembered, with its notes, and not refitted
    from hotspots.profiles import kmeans

    calls = []
    real = kmeans._cluster_rows
    monkeypatch.setattr(kmeans, "_cluster_rows", lambda *a: calls.append(1) or real(*a))
    monkeypatch.setattr(kmeans, "_RECENT", type(kmeans._RECENT)())
    z = np.random.default_rng(3).normal(size=(60, 3))
    z[0] = z[1]
    notes_a, notes_b = [], []
    first = kmeans.cluster(z, None, 7, notes_a)
    second = kmeans.cluster(z.copy(), None, 7, notes_b)
    assert len(calls) == 1
    assert np.array_equal(first[0], second[0]) and first[1:] == second[1:] and notes_a == notes_b
    second[0][:] = -1  # the caller's copy: the remembered codes stay intact
    assert np.array_equal(kmeans.cluster(z, None, 7, [])[0], first[0])
    kmeans.cluster(z, 3, 7, [])  # another k is another clustering
    assert len(calls) == 2
