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
