"""The app does no harm: a ward without data does not crash the breakdown, uploaded text stays text in every tab,
small counts are suppressed in every table it shows.

Driven headless with ``streamlit.testing.v1.AppTest``, like tests/test_app.py (whose helpers these tests share).
"""

from __future__ import annotations

import io

import pandas as pd
import pytest

pytest.importorskip("streamlit")
pytest.importorskip("streamlit_folium")

from test_app import KOLKATA, KOLKATA_INDICATORS, _app, _frame_with, _no_exception, _open, _upload  # noqa: E402


@pytest.fixture(scope="module")
def kolkata_table() -> pd.DataFrame:
    return pd.read_csv(KOLKATA.indicators_path)


@pytest.fixture(scope="module")
def kolkata_boundaries() -> bytes:
    return KOLKATA.boundaries_path.read_bytes()


def _csv(table: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    table.to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8")


def _add_city(at, table: pd.DataFrame, boundaries: bytes, name: str, **names):
    _upload(at, _csv(table), names.get("table_name", "wards.csv"), boundaries, names.get("geo_name", "k.geojson"), name)
    at.button(key="add_city").click().run()
    _no_exception(at)
    return at


def test_a_ward_with_every_indicator_empty_has_a_breakdown_not_a_crash(kolkata_table, kolkata_boundaries):
    # issue 10: selecting such a ward raised "TypeError: boolean value of NA is ambiguous" (its rank is pd.NA)
    table = kolkata_table.copy()
    table.loc[table["ward_id"] == "KMC-001", KOLKATA_INDICATORS] = None
    at = _add_city(_app(), table, kolkata_boundaries, "Empty ward")
    _open(at, "Map")
    at.selectbox(key="ward:Empty ward").set_value("KMC-001").run()
    _no_exception(at)
    shown = {m.label: m.value for m in at.metric}
    assert shown["Risk score (0–10)"] == "no data" and shown["Rank"] == "no data"
    breakdown = _frame_with(at, "contribution_to_risk")
    assert set(breakdown["indicator"]) == set(KOLKATA_INDICATORS)
    assert breakdown["normalised"].isna().all()


# -- uploaded text stays text ----------------------------------------------------------------------------------------

#: Markdown that would load a remote image, make a link, bold or raw HTML if rendered live.
HOSTILE = "![x](http://evil.example/x.png) **bold** <img src=x>"
#: Live Markdown or HTML: an image or link opener, a link target, bold, a tag (each not escaped by a backslash).
LIVE_MARKUP = r"(?<!\\)!(?<!\\)\[|(?<!\\)\]\(|(?<!\\)\*\*bold|(?<!\\)<img"


def _hostile_framework() -> bytes:
    import json

    from hotspots.framework import default_framework

    data = default_framework().to_dict()
    dimension = "![d](http://evil.example/d.png) **bold**"
    data["dimensions"] = {dimension if d == "individual" else d: w for d, w in data["dimensions"].items()}
    for item in data["indicators"]:
        if item["dimension"] == "individual":
            item["dimension"] = dimension
        item["label"] = f"{item['label']} {HOSTILE}"
    return json.dumps(data).encode("utf-8")


def _hostile_boundaries(boundaries: bytes, rename) -> bytes:
    import json

    data = json.loads(boundaries)
    for feature in data["features"]:
        feature["properties"]["ward_id"] = rename(feature["properties"]["ward_id"])
    return json.dumps(data).encode("utf-8")


def _markdown_texts(at) -> list[str]:
    """Every text the page renders as Markdown: bodies of markdown, captions, headings and alerts, metric labels
    and values, widget labels and help, radio options, expander and tab labels, st.table cells."""
    import re

    texts = []
    nodes = [at._tree]
    while nodes:
        node = nodes.pop()
        nodes.extend(getattr(node, "children", {}).values())
        kind, proto = getattr(node, "type", ""), getattr(node, "proto", None)
        if kind in ("markdown", "caption", "title", "header", "subheader", "error", "warning", "info", "success"):
            texts.append(node.value)
        elif kind == "table":
            texts += [str(v) for v in [*node.value.index, *node.value.to_numpy().ravel()]]
        for name in ("label", "help", "body"):
            if proto is not None and kind not in ("markdown", "table") and isinstance(getattr(proto, name, None), str):
                texts.append(getattr(proto, name))
        if kind == "radio":
            texts += list(proto.options)
    return [t for t in texts if re.search("evil|bold|<img", t)]


def _assert_inert(at, where: str) -> list[str]:
    import re

    texts = _markdown_texts(at)
    live = [t for t in texts if re.search(LIVE_MARKUP, t)]
    assert not live, f"{where}: live Markdown in {live[:3]}"
    return texts


def _unescaped(texts: list[str]) -> str:
    """The texts as a reader sees them (Markdown backslash escapes removed)."""
    import re

    return " ".join(re.sub(r"\\(.)", r"\1", t) for t in texts)


def test_uploaded_names_labels_and_ids_render_literally_in_every_tab(kolkata_table, kolkata_boundaries):
    # issue 10, "Markdown in the app": a city name, file names, framework labels and dimensions, an error message
    # and ward IDs (e.g. the Compare caption) rendered as Markdown, so an uploaded name loaded a remote image
    def rename(ward_id):
        return f"![{ward_id}](http://evil.example/w.png)"

    table = kolkata_table.copy()
    table["ward_id"] = table["ward_id"].map(rename)
    table["ward_name"] = "**bold** <img src=x>"
    at = _app()
    at.session_state["framework_file"] = {"data": _hostile_framework(), "name": "model.json"}
    _upload(
        at,
        _csv(table),
        f"{HOSTILE}.csv",
        _hostile_boundaries(kolkata_boundaries, rename),
        f"{HOSTILE}.geojson",
        HOSTILE,
    )
    at.button(key="add_city").click().run()
    _no_exception(at)
    assert at.selectbox(key="city").value == HOSTILE
    at.session_state["compare_cities"] = [HOSTILE, "Kolkata (synthetic demo)"]
    seen = []
    views = ("Map", "Interactions", "Data", "Model", "How sure are we?", "Compare", "Scenarios", "Export", "Glossary")
    for view in views:
        seen += _assert_inert(_open(at, view), view)
    shown = _unescaped(seen)
    assert HOSTILE in shown  # the city name (title, headings) and the file names, literally
    assert f"{HOSTILE}.csv" in shown and f"{HOSTILE}.geojson" in shown
    assert "![d](http://evil.example/d.png) **bold** indicators" in shown  # a dimension, in the sidebar
    assert f"Recorded hate incidents per 10,000 residents {HOSTILE}" in shown  # a framework label
    assert "![KMC-" in shown and "](http://evil.example/w.png)" in shown  # ward IDs (breakdown, Compare caption)


def test_a_framework_error_quoting_the_file_renders_literally():
    at = _open(_app(), "Model")
    at.session_state["framework_file"] = {"data": b'{"dimensions": {"x": -1}, "indicators": []}', "name": HOSTILE}
    at.run()
    _no_exception(at)
    texts = _assert_inert(at, "Model")
    assert any(HOSTILE in _unescaped([e.value]) for e in at.error), texts


# -- bounded memory --------------------------------------------------------------------------------------------------


def test_every_cache_of_the_app_is_bounded_in_entries_and_age():
    # issue 10, "Memory that only grows": the caches never expired (3.3 GB after a day of tests)
    import ast
    from pathlib import Path

    import ui.cache

    tree = ast.parse(Path(ui.cache.__file__).read_text(encoding="utf-8"))
    caches = [
        (node.name, decorator)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        for decorator in node.decorator_list
        if "cache_" in ast.unparse(decorator)
    ]
    assert len(caches) >= 10
    for name, decorator in caches:
        assert isinstance(decorator, ast.Call), f"{name}: a bare @st.cache_* has no bound"
        options = {keyword.arg for keyword in decorator.keywords}
        assert "max_entries" in options, f"{name} has no max_entries"
        if name != "static_leaflet":  # one entry per server, a folder path
            assert "ttl" in options, f"{name} has no ttl"
    assert ui.cache.TTL_S <= 24 * 3600 and max(ui.cache.FILES, ui.cache.CITIES, ui.cache.SCORED) <= 32


# -- small numbers in the app ----------------------------------------------------------------------------------------


def _ward_with_count_between(low: int, high: int, shown: bool = True) -> tuple[str, str]:
    """A Kolkata ward and count column whose count is in [low, high] and which the default rule shows (or hides)."""
    table = pd.read_csv(KOLKATA.indicators_path)
    import hotspots
    from hotspots.method import Method

    result = hotspots.run(
        KOLKATA.indicators_path, KOLKATA.boundaries_path, id_column="ward_id", method=Method(permutations=0)
    )
    export, _ = result.export_table()
    for column in result.count_columns:
        values = table.set_index("ward_id")[column]
        exported = export.set_index("ward_id")[column]
        for ward, value in values.items():
            if low <= value <= high and (exported[ward] == value) == shown:
                return ward, column
    raise AssertionError("no such ward")


def test_the_threshold_is_a_sidebar_setting_used_by_the_breakdown_with_a_warning_when_off():
    from hotspots.framework import default_framework

    ward, column = _ward_with_count_between(5, 9)
    label = default_framework().labels[column]
    at = _app()
    assert at.sidebar.selectbox(key="suppress_below").value == 5
    at.selectbox(key="ward:Kolkata (synthetic demo)").set_value(ward).run()

    def shown() -> str:
        return _frame_with(at, "contribution_to_risk").set_index("label").loc[label, "value"]

    assert not shown().startswith("suppressed")  # a count of 5-9 is shown under the default rule
    at.sidebar.selectbox(key="suppress_below").set_value(10).run()
    _no_exception(at)
    assert shown() in ("suppressed (< 10)", "suppressed (protects a small count)")
    assert not any("Small counts are shown" in w.value for w in at.sidebar.warning)
    at.sidebar.selectbox(key="suppress_below").set_value(0).run()
    _no_exception(at)
    assert not shown().startswith("suppressed")
    assert any("Small counts are shown" in w.value for w in at.sidebar.warning)  # off only with a visible warning


def test_no_table_of_any_tab_shows_a_small_count():
    # every dataframe and st.table the app shows: a count column (by name or by label) holds no count of 1-4, and
    # the breakdown shows "suppressed" where the exports leave a cell empty
    from hotspots.framework import default_framework

    counts = {i.column: i.display_label for i in default_framework().indicators if i.unit == "count"}
    at = _app()
    ward, _ = _ward_with_count_between(1, 4, shown=False)
    at.selectbox(key="ward:Kolkata (synthetic demo)").set_value(ward).run()
    assert "suppressed (< 5)" in _frame_with(at, "contribution_to_risk")["value"].tolist()
    for view in ("Map", "Interactions", "Data", "Model", "Compare", "Export"):
        _open(at, view)
        for frame in [*(f.value for f in at.dataframe), *(t.value for t in at.table)]:
            for column in frame.columns:
                if column in counts or column in counts.values():
                    values = pd.to_numeric(frame[column], errors="coerce")
                    assert not ((values > 0) & (values < 5)).any(), (view, column)
