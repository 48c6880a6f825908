"""The Streamlit app, driven headless with ``streamlit.testing.v1.AppTest``.

AppTest cannot drive ``st.file_uploader``: the app keeps uploads in ``st.session_state["upload"]`` (a dict of
bytes and file names), which the uploaders fill and these tests fill directly. Tabs are lazy and keyed ``"view"``:
a test opens one by setting ``st.session_state["view"]``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("streamlit")
pytest.importorskip("streamlit_folium")

from streamlit.testing.v1 import AppTest  # noqa: E402

from hotspots.demo import demo_cities  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
KOLKATA = demo_cities()["kolkata"]
KOLKATA_LABEL = "Kolkata (synthetic demo)"
COLOMBO_LABEL = "Colombo (synthetic demo)"


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    _no_exception(at)
    return at


def _no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _metric(at: AppTest, label: str) -> str:
    """The value of the last metric with this label (in the Data tab: the upload's report, after the city's)."""
    values = [metric.value for metric in at.metric if metric.label == label]
    assert values, f"no metric {label!r}: {[m.label for m in at.metric]}"
    return values[-1]


def _frame_with(at: AppTest, column: str):
    """The first displayed dataframe with this column (AppTest does not expose a dataframe's key)."""
    for frame in at.dataframe:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"no dataframe with a column {column!r}")


def _ranked(at: AppTest):
    return _frame_with(at, "risk_rank")


def _open(at: AppTest, view: str) -> AppTest:
    at.session_state["view"] = view
    at.run()
    _no_exception(at)
    return at


def _upload(
    at: AppTest, indicators: bytes, indicators_name: str, boundaries: bytes, boundaries_name: str, name: str = "My city"
) -> AppTest:
    at.session_state["upload"] = {
        "indicators": indicators,
        "indicators_name": indicators_name,
        "boundaries": boundaries,
        "boundaries_name": boundaries_name,
        "name": name,
    }
    return _open(at, "Data")


@pytest.fixture(scope="module")
def kolkata_files() -> tuple[bytes, bytes]:
    return KOLKATA.indicators_path.read_bytes(), KOLKATA.boundaries_path.read_bytes()


def test_starts_on_kolkata_demo():
    at = _app()
    assert at.selectbox(key="city").value == KOLKATA_LABEL
    assert at.title[0].value.replace("\\", "").endswith(KOLKATA_LABEL)  # the city's name is Markdown-escaped
    assert _metric(at, "Wards") == "144"  # hotspots/data/demo: Kolkata has 144 wards
    ranked = _ranked(at)
    assert len(ranked) == 144
    assert list(ranked["risk_rank"])[:3] == [1, 2, 3]
    assert any("Synthetic demo data" in w.value for w in at.warning)
    assert not at.error
    # the ward breakdown is shown for the top-ranked ward
    assert at.selectbox(key=f"ward:{KOLKATA_LABEL}").value == ranked["ward_id"].iloc[0]
    assert set(_frame_with(at, "contribution_to_risk")["indicator"]) == set(KOLKATA_INDICATORS)


KOLKATA_INDICATORS = [
    "youth_unemployment_rate",
    "school_dropout_rate",
    "unlicensed_institutions",
    "institution_licensing_rate",
    "hate_incidents",
    "extremist_propaganda_reports",
]


def test_indicator_weight_changes_scores():
    at = _app()
    before = _ranked(at).set_index("ward_id")["risk_score"]
    at.slider(key="w_ind:hate_incidents").set_value(4.0).run()
    _no_exception(at)
    after = _ranked(at).set_index("ward_id")["risk_score"]
    assert not before.equals(after.reindex(before.index))
    assert (before - after.reindex(before.index)).abs().max() > 0.01


def test_dimension_weight_and_method_change_scores():
    at = _app()
    top_before = _metric(at, "Highest risk score")
    at.slider(key="w_dim:ideological").set_value(3.0).run()
    _no_exception(at)
    top_after = _metric(at, "Highest risk score")
    assert top_after != top_before
    at.selectbox(key="opt:aggregation").set_value("geometric").run()
    _no_exception(at)
    assert _metric(at, "Highest risk score") not in ("", None)


def test_switch_city():
    at = _app()
    at.selectbox(key="city").set_value(COLOMBO_LABEL).run()
    _no_exception(at)
    assert _metric(at, "Wards") == "47"  # hotspots/data/demo: Colombo has 47 wards
    assert len(_ranked(at)) == 47
    at.selectbox(key="city").set_value(KOLKATA_LABEL).run()
    _no_exception(at)
    assert _metric(at, "Wards") == "144"


def test_male_islands_are_named():
    at = _app()
    label = next(o for o in at.selectbox(key="city").options if o.startswith("Mal"))
    at.selectbox(key="city").set_value(label).run()
    _no_exception(at)
    shown = " ".join(str(i.value) for i in at.info).replace("\\", "")
    # hotspots/data/demo: Vilimalé (MLE-05) and Hulhumalé (MLE-06) are separate islands with no land neighbour
    assert "islands" in shown and "Vilimalé" in shown and "Hulhumalé" in shown


def test_bad_upload_shows_error_not_exception(kolkata_files):
    at = _app()
    _upload(at, b"\x00\x01\x02 not a table \xff\x00", "wards.csv", kolkata_files[1], "wards.geojson")
    assert at.error, "a binary 'CSV' must give an error message"
    assert "wards.csv" in at.error[0].value

    _upload(at, kolkata_files[0], "wards.csv", b'{"type": "FeatureCollection", "features": [', "wards.geojson")
    assert at.error and "wards.geojson" in at.error[0].value


def test_invalid_table_lists_problems(kolkata_files):
    table = kolkata_files[0].decode("utf-8").splitlines()
    header = table[0].split(",")
    column = header.index("school_dropout_rate")
    rows = [line.split(",") for line in table[1:]]
    for row in rows[:3]:
        row[column] = "many"  # not a number
    rows[4][column] = "250"  # a percentage above 100
    bad = "\n".join([table[0]] + [",".join(r) for r in rows]).encode("utf-8")
    at = _app()
    _upload(at, bad, "bad.csv", kolkata_files[1], "wards.geojson")
    assert at.error
    problems = _frame_with(at, "check")  # the ValidationError's table, under the message
    assert {"check", "column", "rows", "message"} <= set(problems.columns)
    assert "school_dropout_rate" in set(problems["column"])


def test_good_upload_is_validated_and_added(kolkata_files):
    at = _app()
    _upload(at, kolkata_files[0], "kolkata.csv", kolkata_files[1], "kolkata.geojson", name="My city")
    assert not at.error
    assert at.selectbox(key="upload_id_column").value == "ward_id"
    assert _metric(at, "Wards matched") == "144"
    at.button(key="add_city").click().run()
    _no_exception(at)
    assert at.selectbox(key="city").value == "My city"
    assert "My city" in at.selectbox(key="city").options
    _open(at, "Map")
    assert _metric(at, "Wards") == "144"
    # the upload is the demo data under another name: its GeoJSON metadata still marks it synthetic
    assert any("Synthetic demo data" in w.value for w in at.warning)


def test_upload_choices_are_kept_while_another_tab_is_open(kolkata_files):
    """The tabs are lazy: a widget not drawn in a run loses its value unless it persists for the session. The name
    typed and the ward ID columns chosen for an upload stay as they were after a look at the map."""
    at = _app()
    _upload(at, kolkata_files[0], "kolkata.csv", kolkata_files[1], "kolkata.geojson")
    at.text_input(key="upload_name").set_value("Kolkata north").run()
    table_ids = at.selectbox(key="upload_id_column")
    other = next(c for c in table_ids.options if c != table_ids.value)  # not the guess: the user's own choice
    table_ids.set_value(other).run()
    _open(at, "Map")
    _open(at, "Data")
    assert at.text_input(key="upload_name").value == "Kolkata north"
    assert at.selectbox(key="upload_id_column").value == other


def test_unmatched_wards_are_listed(kolkata_files):
    lines = kolkata_files[0].decode("utf-8").splitlines()
    lines = lines[:-2] + [lines[-1].replace("KMC-144", "KMC-999")]  # drop ward 143, rename 144 to 999
    at = _app()
    _upload(at, "\n".join(lines).encode("utf-8"), "partial.csv", kolkata_files[1], "kolkata.geojson")
    _no_exception(at)
    assert _metric(at, "Wards matched") == "142"
    shown = " ".join(str(w.value) for w in at.warning).replace("\\", "")  # markdown escapes removed
    assert "KMC-999" in shown and "KMC-143" in shown


def test_ward_ids_cannot_inject_markdown(kolkata_files):
    # an untrusted ward ID written as a markdown image would make the browser fetch a URL: it must stay text
    lines = kolkata_files[0].decode("utf-8").splitlines()
    lines[-1] = lines[-1].replace("KMC-144", "![x](http://example.org/x.png)")
    at = _app()
    _upload(at, "\n".join(lines).encode("utf-8"), "evil.csv", kolkata_files[1], "kolkata.geojson")
    _no_exception(at)
    shown = " ".join(str(w.value) for w in at.warning)
    assert "\\!\\[x\\]\\(http\\://example.org" in shown
    assert "![x](http" not in shown


def test_map_a_new_column_to_a_new_dimension(kolkata_files):
    lines = kolkata_files[0].decode("utf-8").splitlines()
    extra = [lines[0] + ",police_posts"] + [f"{line},{k % 7}" for k, line in enumerate(lines[1:])]
    at = _app()
    _upload(at, "\n".join(extra).encode("utf-8"), "extra.csv", kolkata_files[1], "kolkata.geojson", name="Extra")
    at.button(key="add_city").click().run()
    _open(at, "Model")
    at.selectbox(key="new_column").set_value("police_posts")
    at.text_input(key="new_dimension_name").input("safety")
    at.selectbox(key="new_direction").set_value("lower_is_riskier")
    at.button(key="add_indicator_submit").click().run()
    _no_exception(at)
    assert "model_error" not in at.session_state, at.session_state["model_error"]
    table = _frame_with(at, "dimension_weight")
    assert "police_posts" in set(table["indicator"])
    assert "safety" in set(table["dimension"])
    _open(at, "Map")
    assert "safety" not in " ".join(e.value for e in at.error)
    assert at.slider(key="w_dim:safety").value == 1.0
    # the other demo cities lack the column: their page says so, without an exception
    at.selectbox(key="city").set_value(COLOMBO_LABEL).run()
    _no_exception(at)
    assert at.error and "police_posts" in " ".join(e.value for e in at.error) + " ".join(
        str(df.value.to_dict()) for df in at.dataframe
    )


def test_compare_and_export_views():
    at = _app()
    _open(at, "Compare")
    assert at.multiselect(key="compare_cities").value == [KOLKATA_LABEL, "Dhaka (synthetic demo)"]
    assert not at.error
    own = [c.value for c in at.caption if "top score" in c.value]
    at.radio(key="compare_scale").set_value("common").run()
    _no_exception(at)
    common = [c.value for c in at.caption if "top score" in c.value]
    assert len(own) == len(common) == 2 and own != common  # the common scale changes the scores shown
    _open(at, "Export")
    labels = {b.label for b in at.get("download_button")}
    assert {"GeoJSON", "CSV", "Framework JSON", "Map (HTML)", "Map (PNG)", "Report (PDF)"} <= labels
    _open(at, "Model")
    assert len(_frame_with(at, "dimension_weight")) == 6


def test_framework_json_upload():
    from hotspots.framework import default_framework

    at = _open(_app(), "Model")
    at.session_state["framework_file"] = {
        "data": b'{"dimensions": {"individual": 1}, "indicators": [',
        "name": "bad.json",
    }
    at.run()
    _no_exception(at)
    assert any("bad.json" in e.value for e in at.error)

    model = default_framework().with_weights({"hate_incidents": 2.5}, {"institutional": 0.5})
    model = model.with_options(aggregation="geometric")
    at.session_state["framework_file"] = {"data": model.to_json().encode("utf-8"), "name": "mine.json"}
    at.run()
    _no_exception(at)
    assert not at.error
    assert at.slider(key="w_ind:hate_incidents").value == 2.5
    assert at.slider(key="w_dim:institutional").value == 0.5
    assert at.selectbox(key="opt:aggregation").value == "geometric"
    table = _frame_with(at, "dimension_weight").set_index("indicator")
    assert table.loc["hate_incidents", "weight"] == 2.5


def _bivariate_counts(at: AppTest) -> dict[str, int]:
    """The Interactions tab's cluster counts (an ``st.table`` indexed by cluster)."""
    tables = [t.value for t in at.table if "Wards" in t.value.columns]
    assert tables, "no cluster count table"
    return {str(k): int(v) for k, v in tables[0]["Wards"].items()}


def test_interactions_tab():
    at = _open(_app(), "Interactions")
    assert not at.error
    correlation = _frame_with(at, "Pearson r")
    # the default model has 3 dimensions: 3 pairs, each over all 144 Kolkata wards
    assert list(correlation["Kinds of risk"]) == [
        "Individual & institutional", "Individual & ideological", "Institutional & ideological"]  # fmt: skip
    assert list(correlation["Wards (n)"]) == [144, 144, 144]
    assert correlation[["Pearson r", "Spearman ρ"]].abs().le(1).all().all()
    assert correlation["Reading (Spearman)"].str.len().gt(0).all()
    assert at.selectbox(key="bv_x").value == "individual" and at.selectbox(key="bv_y").value == "institutional"
    before = _bivariate_counts(at)
    assert list(before) == ["High-High", "Low-Low", "High-Low", "Low-High", "Not significant", "No data"]
    assert sum(before.values()) == 144 and before["No data"] == 0
    assert any("High-High: high individual risk in the ward" in c.value.replace("*", "") for c in at.caption)

    at.selectbox(key="bv_y").set_value("ideological").run()
    _no_exception(at)
    after = _bivariate_counts(at)
    assert sum(after.values()) == 144
    assert after != before
    assert any("high ideological risk around it" in c.value for c in at.caption)


def test_interactions_with_missing_wards_and_fewer_dimensions(kolkata_files):
    from hotspots.framework import default_framework

    lines = kolkata_files[0].decode("utf-8").splitlines()
    at = _app()
    _upload(at, "\n".join(lines[:-1]).encode("utf-8"), "partial.csv", kolkata_files[1], "kolkata.geojson")
    at.button(key="add_city").click().run()
    _open(at, "Interactions")
    assert not at.error
    counts = _bivariate_counts(at)
    assert counts["No data"] == 1 and sum(counts.values()) == 144  # KMC-144 has a boundary but no table row
    assert _frame_with(at, "Pearson r")["Wards (n)"].tolist() == [143, 143, 143]
    at.selectbox(key="bv_x").set_value("ideological").run()
    _no_exception(at)

    # a model without the chosen dimension: the choice falls back to the first one
    two = default_framework().without_indicator("hate_incidents").without_indicator("extremist_propaganda_reports")
    at.session_state["framework_file"] = {"data": two.to_json().encode("utf-8"), "name": "two.json"}
    at.run()
    _no_exception(at)
    assert at.selectbox(key="bv_x").value == "individual"
    assert _frame_with(at, "Pearson r")["Kinds of risk"].tolist() == ["Individual & institutional"]

    # a model with one kind of risk: nothing to compare
    one = two.without_indicator("unlicensed_institutions").without_indicator("institution_licensing_rate")
    at.session_state["framework_file"] = {"data": one.to_json().encode("utf-8"), "name": "one.json"}
    at.run()
    _no_exception(at)
    assert any("one kind of risk" in i.value for i in at.info)


# ----------------------------------------------------------------------------------------------------------------
# Uploads of real ward boundaries (../shared/data/boundaries, see its README.md): the ward ID pair is guessed from the
# values, so that a first upload opens on the right columns and no error
# ----------------------------------------------------------------------------------------------------------------

BOUNDARIES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "boundaries"
needs_real_boundaries = pytest.mark.skipif(
    not BOUNDARIES.is_dir(), reason=f"real ward boundaries not found at {BOUNDARIES} (see its README.md)"
)


def _analyst_csv(ward_ids: list, names: list | None, id_header: str) -> bytes:
    """An indicator table as an analyst writes it: a row counter (FID), a count whose name holds "id"
    (hate_incidents) before the ward ID, names, and the default model's columns with values the validator accepts."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)
    n = len(ward_ids)
    columns = {
        "FID": range(n),
        "hate_incidents": rng.integers(0, 12, n),
        "Ward_Name": names,
        id_header: [f" {ward} " if k % 2 else ward for k, ward in enumerate(ward_ids)],  # spaces, as typed
        "population": rng.integers(20_000, 90_000, n),
        "youth_unemployment_rate": rng.uniform(5, 40, n).round(1),
        "school_dropout_rate": rng.uniform(1, 30, n).round(1),
        "unlicensed_institutions": rng.integers(0, 20, n),
        "institution_licensing_rate": rng.uniform(40, 100, n).round(1),
        "extremist_propaganda_reports": rng.integers(0, 9, n),
    }
    table = pd.DataFrame({column: values for column, values in columns.items() if values is not None})
    assert set(KOLKATA_INDICATORS) <= set(table.columns)
    return table.to_csv(index=False).encode("utf-8")


def _real_upload(relative: str, id_column: str, id_header: str, with_names: bool) -> AppTest:
    import geopandas as gpd

    path = BOUNDARIES / relative
    wards = gpd.read_file(path).dropna(subset=[id_column])
    names = wards["Ward_Name"].astype(str).tolist() if with_names else None
    table = _analyst_csv(wards[id_column].tolist(), names, id_header)
    at = _app()
    return _upload(at, table, "indicators.csv", path.read_bytes(), path.name, name="Real city")


@needs_real_boundaries
@pytest.mark.parametrize(
    ("relative", "id_column", "id_header", "with_names", "wards"),
    [
        # README: 290 features, one with no ID; IDs "1".."272", "NDMC_1".., "CANT_1".. as text
        ("delhi/Delhi_Wards.geojson", "Ward_No", "ward_no", True, 289),
        # README: 201 wards numbered 0..200 (0 is a cantonment); FID 0..200 matches as well: the name decides
        ("chennai/Wards.geojson", "Ward_No", "ward", False, 201),
    ],
)
def test_upload_preselects_the_ward_ids_that_match(relative, id_column, id_header, with_names, wards):
    at = _real_upload(relative, id_column, id_header, with_names)
    assert not at.error, [e.value for e in at.error]
    assert at.selectbox(key="upload_id_column").value == id_header
    assert at.selectbox(key="upload_boundary_id_column").value == id_column
    shown = " ".join(c.value for c in at.caption).replace("\\", "")
    assert f"{id_header}: {wards} of {wards} table wards match boundary column {id_column}" in shown
    assert _metric(at, "Wards matched") == str(wards)


@needs_real_boundaries
def test_upload_with_wrong_id_column_says_choose_above():
    at = _real_upload("delhi/Delhi_Wards.geojson", "Ward_No", "ward_no", True)
    at.selectbox(key="upload_id_column").set_value("Ward_Name").run()  # names: "RAM NAGAR" twice, no ward number
    _no_exception(at)
    assert at.error
    message = at.error[0].value.replace("\\", "")
    assert "choose the ward ID column above" in message
    assert "ward_no: 289 of 289 table wards match boundary column Ward_No" in message
    assert "add_city" not in [b.key for b in at.button]


def _new_files_script(root: str) -> None:
    """A page that only runs the uploaders' callback, with two files "uploaded" (AppTest cannot upload)."""
    import sys

    import streamlit as st

    sys.path.insert(0, root)
    from ui.state import remember_upload

    class Uploaded:
        def __init__(self, name: str) -> None:
            self.name = name

        def getvalue(self) -> bytes:
            return b"new"

    if st.session_state.get("new_files"):
        st.session_state["upload_table"] = Uploaded("new.csv")
        st.session_state["upload_boundaries"] = Uploaded("new.geojson")
        remember_upload()


def test_new_files_are_guessed_afresh():
    at = AppTest.from_function(_new_files_script, args=(str(ROOT),))
    at.session_state["upload_id_column"] = "ward_no"  # chosen for the previous upload
    at.session_state["upload_name"] = "Old city"
    at.session_state["new_files"] = True
    at.run()
    _no_exception(at)
    assert at.session_state["upload"]["indicators_name"] == "new.csv"
    assert "upload_id_column" not in at.session_state and "upload_name" not in at.session_state


# ----------------------------------------------------------------------------------------------------------------
# The shape of the app: an entry point, ui modules that only render, a package that never imports streamlit
# ----------------------------------------------------------------------------------------------------------------

UI_MODULES = sorted((ROOT / "ui").glob("*.py"))


def _module_level_calls(tree) -> list[str]:
    """Calls that run when a module is imported (decorators and function bodies excluded; re.compile allowed)."""
    import ast

    calls = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.Call) and ast.unparse(inner.func) != "re.compile":
                calls.append(f"line {inner.lineno}: {ast.unparse(inner)[:60]}")
    return calls


def test_ui_modules_run_nothing_on_import():
    import ast

    assert {p.name for p in UI_MODULES} >= {"__init__.py", "cache.py", "state.py", "sidebar.py", "common.py"}
    for path in UI_MODULES:
        calls = _module_level_calls(ast.parse(path.read_text(encoding="utf-8")))
        assert not calls, f"{path.name} runs code on import: {calls}"


def test_ui_modules_and_functions_stay_small():
    import ast

    assert len((ROOT / "app.py").read_text(encoding="utf-8").splitlines()) <= 100
    for path in [ROOT / "app.py", *UI_MODULES]:
        text = path.read_text(encoding="utf-8")
        assert len(text.splitlines()) <= 400, f"{path.name} has {len(text.splitlines())} lines"
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                assert length <= 60, f"{path.name}: {node.name} has {length} lines"


def test_caching_lives_in_one_module_and_the_package_never_imports_streamlit():
    for path in [ROOT / "app.py", *UI_MODULES]:
        text = path.read_text(encoding="utf-8")
        if path.name != "cache.py":
            assert "@st.cache_" not in text, f"{path.name} caches: caching belongs in ui/cache.py"
    for path in (ROOT / "hotspots").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import streamlit" not in text and "from streamlit" not in text, path


def test_a_reordered_table_on_the_same_boundaries_gets_its_own_wards_statistics(kolkata_files):
    # the app caches the neighbour graph per boundary file; a second table on the same boundaries (another year, or
    # a reordered copy) put 55 of 144 Kolkata wards in the wrong class when statistics followed row order
    at = _app()
    demo = _ranked(at).set_index("ward_id").sort_index()
    lines = kolkata_files[0].decode("utf-8").splitlines()
    reordered = "\n".join([lines[0]] + lines[1:][::-1]).encode("utf-8")
    _upload(at, reordered, "reordered.csv", kolkata_files[1], "kolkata.geojson", name="Reordered")
    at.button(key="add_city").click().run()
    _no_exception(at)
    _open(at, "Map")
    assert at.selectbox(key="city").value == "Reordered"
    mine = _ranked(at).set_index("ward_id").sort_index()
    assert list(mine.index) == list(demo.index)
    pd.testing.assert_series_equal(mine["hotspot_class"], demo["hotspot_class"])
    pd.testing.assert_series_equal(mine["risk_class"], demo["risk_class"])


# ----------------------------------------------------------------------------------------------------------------
# Right first time: a boundary file without an extension, a mostly unmatched pair, a workbook with a read-me first
# ----------------------------------------------------------------------------------------------------------------


def test_boundary_uploader_takes_any_file_name():
    # st.file_uploader(type=[...]) refused a file without an extension ("files are not allowed")
    import ast

    tree = ast.parse((ROOT / "ui" / "data_tab.py").read_text(encoding="utf-8"))
    uploaders = {
        node.args[0].value: {k.arg: k.value for k in node.keywords}
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "file_uploader"
    }
    (label,) = [name for name in uploaders if name.startswith("Ward boundaries")]
    kind = uploaders[label]["type"]
    assert isinstance(kind, ast.Constant) and kind.value is None


@needs_real_boundaries
def test_upload_of_boundaries_without_an_extension():
    # README: mumbai/bmc_electoral_wards_2017 is GeoJSON with no file extension, 227 wards keyed on PRABHAG_NO
    import geopandas as gpd

    path = BOUNDARIES / "mumbai" / "bmc_electoral_wards_2017"
    wards = gpd.read_file(path)
    table = _analyst_csv(wards["PRABHAG_NO"].tolist(), None, "PRABHAG_NO")
    at = _app()
    _upload(at, table, "mumbai.csv", path.read_bytes(), path.name, name="Mumbai")
    assert not at.error, [e.value for e in at.error]
    assert at.selectbox(key="upload_boundary_id_column").value == "PRABHAG_NO"
    assert _metric(at, "Wards matched") == "227"


def test_mostly_unmatched_upload_warns_and_shows_no_success(kolkata_files):
    lines = kolkata_files[0].decode("utf-8").splitlines()
    part = "\n".join(lines[:1] + lines[41:]).encode("utf-8")  # 104 of the 144 wards
    at = _app()
    _upload(at, part, "part.csv", kolkata_files[1], "kolkata.geojson")
    assert _metric(at, "Wards matched") == "104"
    shown = " ".join(w.value for w in at.warning).replace("\\", "")
    assert "Check the ward IDs first" in shown and "40 of the 144 wards in the boundaries (28%)" in shown
    successes = [s.value for s in at.success if "matched" in s.value]
    assert len(successes) == 1  # the demo city's report above the upload; none for the upload


def test_workbook_with_a_read_me_first_offers_its_sheets(kolkata_files, tmp_path):
    import io

    import openpyxl

    table = pd.read_csv(io.BytesIO(kolkata_files[0]), dtype=str, keep_default_na=False)
    book = openpyxl.Workbook()
    book.active.title = "Read me"
    book.active.append(["Ward indicators: see the sheet Data"])
    data = book.create_sheet("Data")
    data.append(list(table.columns))
    for row in table.itertuples(index=False):
        data.append(list(row))
    book.save(tmp_path / "kolkata.xlsx")
    at = _app()
    _upload(at, (tmp_path / "kolkata.xlsx").read_bytes(), "kolkata.xlsx", kolkata_files[1], "kolkata.geojson")
    assert not at.error, [e.value for e in at.error]
    sheet = at.selectbox(key="upload_sheet")
    assert sheet.options == ["Read me", "Data"] and sheet.value == "Data"
    assert _metric(at, "Wards matched") == "144"
    assert any("read sheet 'Data' of kolkata.xlsx" in m.value for m in at.markdown)
    sheet.set_value("Read me").run()
    _no_exception(at)
    assert at.error and "sheet 'Read me'" in at.error[0].value.replace("\\", "")


def test_every_model_control_has_help_and_the_glossary_explains_the_jargon():
    at = _app()
    controls = [*at.sidebar.selectbox, *at.sidebar.slider, *at.sidebar.select_slider, *at.sidebar.checkbox]
    assert len(controls) >= 10
    missing = [c.label for c in controls if not (c.help or "").strip()]
    assert not missing, f"sidebar controls without help: {missing}"
    # option names in words, the values stay the package's
    normalisation = at.sidebar.selectbox(key="opt:normalisation")
    assert normalisation.value == "minmax" and "Min–max (0 to 1)" in normalisation.options
    _open(at, "Glossary")
    text = " ".join(m.value for m in at.markdown)
    for word in ("hot spot", "Very high", "top fifth", "two-sided", "FDR", "Permutations", "Coverage", "min–max"):
        assert word.lower() in text.lower(), word
    _open(at, "Model")
    form_controls = [*at.selectbox, *at.number_input, *at.text_input]
    missing = [c.label for c in form_controls if c.key and c.key.startswith("new_") and not (c.help or "").strip()]
    assert not missing, f"model controls without help: {missing}"


def test_compare_three_cities_two_per_row_one_legend_one_layer_switch_and_a_table():
    at = _app()
    _open(at, "Compare")
    at.multiselect(key="compare_cities").set_value([KOLKATA_LABEL, "Dhaka (synthetic demo)", COLOMBO_LABEL]).run()
    _no_exception(at)
    legends = [m.value for m in at.markdown if "Very high" in m.value and "Hot spot" in m.value]
    assert len(legends) == 1  # one legend for all the maps, outside them
    summary = _frame_with(at, "dominant_dimension")
    assert list(summary["city"]) == [KOLKATA_LABEL, "Dhaka (synthetic demo)", COLOMBO_LABEL]
    assert (summary["wards"] > 0).all() and summary["share_top_class"].between(0, 1).all()
    assert summary.loc[0, "wards"] == 144  # Kolkata's demo wards
    layer = at.radio(key="compare_view")
    assert layer.value == "risk_score" and "LISA clusters" in layer.options
    layer.set_value("lisa_cluster").run()
    _no_exception(at)
    legends = [m.value for m in at.markdown if "High-High" in m.value]
    assert len(legends) == 1


def _in_order(node, out: list) -> list:
    """Every element under ``node``, in the order the page shows them."""
    for child in getattr(node, "children", {}).values():
        out.append(child)
        _in_order(child, out)
    return out


def test_orientation_and_ward_picker_come_before_the_map():
    at = _app()
    elements = _in_order(at.main, [])
    kinds = [getattr(e, "type", None) for e in elements]
    the_map = kinds.index("component_instance")  # st_folium
    before = elements[:the_map]
    captions = [e.value for e in before if getattr(e, "type", None) == "caption"]
    assert any("pick a ward" in c for c in captions), captions  # one line saying what to do
    picker = [e for e in before if getattr(e, "type", None) == "selectbox"]
    assert [p.key for p in picker] == [f"ward:{KOLKATA_LABEL}"]  # reachable by keyboard before the map's wards
    # picking a ward there explains that ward below the map
    ranked = _ranked(at)
    third = ranked["ward_id"].iloc[2]
    at.selectbox(key=f"ward:{KOLKATA_LABEL}").set_value(third).run()
    _no_exception(at)
    assert any(third in m.value for m in at.markdown if m.value.startswith("**"))
    assert _metric(at, "Rank").startswith("3 of 144")


def test_worksheet_downloads_and_a_filled_worksheet_restores_plan_and_notes():
    from hotspots.worksheet import COLUMNS

    at = _app()
    assert "risk_profile" in _ranked(at).columns  # the ward ranking shows each ward's risk profile
    assert any("Risk profile: P" in m.value for m in at.markdown)  # and so does the ward breakdown
    at.session_state["ward_notes"] = {KOLKATA_LABEL: {"KMC-015": "typed in the app"}}
    _open(at, "Export")
    labels = {b.label for b in at.get("download_button")}
    assert {"Worksheet (XLSX)", "Worksheet (CSV)", "Worksheet (Markdown)"} <= labels
    filled = pd.DataFrame([{c: "" for c in COLUMNS}] * 2)
    filled["City"] = KOLKATA_LABEL
    filled["Ward ID"] = ["KMC-015", "KMC-128"]
    filled.loc[0, "Partners (tier 3)"] = "=youth clubs"
    filled.loc[1, "Notes"] = "visit in March"
    at.session_state["worksheet_file"] = {"data": filled.to_csv(index=False).encode(), "name": "filled.csv"}
    at.run()
    _no_exception(at)
    assert at.session_state["action_plan"][KOLKATA_LABEL] == {
        "KMC-015": {"Partners (tier 3)": "=youth clubs"},
        "KMC-128": {"Notes": "visit in March"},
    }
    assert at.session_state["ward_notes"][KOLKATA_LABEL] == {"KMC-015": "typed in the app", "KMC-128": "visit in March"}
    assert any("restored" in s.value and "filled.csv" in s.value for s in at.success)
    filled["City"] = "Dhaka (synthetic demo)"
    at.session_state["worksheet_file"] = {"data": filled.to_csv(index=False).encode(), "name": "other.csv"}
    at.run()
    _no_exception(at)
    assert any("other.csv" in e.value for e in at.error) and not at.success
    assert "another city" in " ".join(str(df.value.to_dict()) for df in at.dataframe)


def test_compare_on_the_common_scale_offers_the_pooled_risk_profiles():
    at = _open(_app(), "Compare")
    assert "Risk profiles" not in at.radio(key="compare_view").options  # each city's own profiles: not comparable
    at.radio(key="compare_scale").set_value("common").run()
    _no_exception(at)
    at.radio(key="compare_view").set_value("risk_profile").run()
    _no_exception(at)
    legends = [m.value for m in at.markdown if "P1: " in m.value and "Hot spot" in m.value]
    assert len(legends) == 1  # one legend naming the profiles learned on both cities' wards
    at.radio(key="compare_scale").set_value("own").run()
    _no_exception(at)
