"""Uploads in a real browser: the real file uploader, the ID columns chosen from their values, a boundary file
without an extension, and no request to any other host.

AppTest cannot drive ``st.file_uploader``; Playwright can (``set_input_files``). The app runs as in
``tests/test_browser.py`` (its fixtures are reused). Real ward layers come from ../shared/data/boundaries; the test
is skipped with the reason where that folder is absent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_browser import CHROMIUM_ARGS, _is_local, app_url, chromium_path  # noqa: F401 -- the shared fixtures

BOUNDARIES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "boundaries"


def _boundary(relative: str) -> Path:
    path = BOUNDARIES / relative
    if not path.exists():
        pytest.skip(f"../shared/data/boundaries not found: {path} is absent (real ward layers stay outside the repo)")
    return path


def _analyst_csv(ward_ids: list, id_header: str, path: Path) -> Path:
    """A table as an analyst writes it: a row counter (FID) and a count whose name holds "id" before the ward ID."""
    rng = np.random.default_rng(3)
    n = len(ward_ids)
    pd.DataFrame(
        {
            "FID": range(n),
            "hate_incidents": rng.integers(0, 12, n),
            id_header: ward_ids,
            "population": rng.integers(20_000, 90_000, n),
            "youth_unemployment_rate": rng.uniform(5, 40, n).round(1),
            "school_dropout_rate": rng.uniform(1, 30, n).round(1),
            "unlicensed_institutions": rng.integers(0, 20, n),
            "institution_licensing_rate": rng.uniform(40, 100, n).round(1),
            "extremist_propaganda_reports": rng.integers(0, 9, n),
        }
    ).to_csv(path, index=False)
    return path


def _upload_and_read_choices(browser_path, url, table: Path, boundaries: Path) -> tuple[str, str, str, list]:
    """Upload both files on the Data tab; the two chosen ID columns, the page text and every outside request."""
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.on("request", lambda request: outside.append(request.url) if not _is_local(request.url) else None)
            page.goto(url, wait_until="domcontentloaded")
            page.get_by_role("tab", name="Data").click(timeout=90_000)

            # the Data tab's two uploaders, found by their labels (the sidebar has uploaders of its own)
            def uploader(label: str):
                box = page.locator('[data-testid="stFileUploader"]').filter(has_text=label)
                return box.locator('input[type="file"]')

            uploader("Indicator table").wait_for(state="attached", timeout=60_000)
            uploader("Indicator table").set_input_files(str(table))
            uploader("Ward boundaries").set_input_files(str(boundaries))
            label = page.get_by_text("Ward ID column in the boundaries")
            label.wait_for(timeout=90_000)
            page.wait_for_timeout(1500)  # the guess is made on the server; let the rerun settle

            def chosen(name: str) -> str:
                return page.get_by_role("combobox", name=name).input_value(timeout=30_000).strip()

            table_id, boundary_id = chosen("Ward ID column in the table"), chosen("Ward ID column in the boundaries")
            text = page.locator("section.main, [data-testid='stMain']").first.inner_text()
        finally:
            browser.close()
    return table_id, boundary_id, text, outside


def test_delhi_upload_opens_on_the_ward_number_columns(chromium_path, app_url, tmp_path):  # noqa: F811
    # Delhi: Ward_No is text ("1".."272", "NDMC_1", ...); one feature has no ID. The name guess used to pick
    # hate_incidents ("id" inside "incidents") or FID, and the user's first sight was a red error.
    import geopandas as gpd

    path = _boundary("delhi/Delhi_Wards.geojson")
    ids = gpd.read_file(path)["Ward_No"].dropna().tolist()
    table = _analyst_csv(ids, "ward_no", tmp_path / "delhi_indicators.csv")
    table_id, boundary_id, text, outside = _upload_and_read_choices(chromium_path, app_url, table, path)
    assert (table_id, boundary_id) == ("ward_no", "Ward_No"), text[-2000:]
    assert "Fix them and upload again" not in text
    assert outside == [], outside


def test_a_boundary_file_without_an_extension_is_accepted(chromium_path, app_url, tmp_path):  # noqa: F811
    # Mumbai's electoral wards: a GeoJSON with no file extension (the command line read it; the app said
    # "files are not allowed")
    import geopandas as gpd

    path = _boundary("mumbai/bmc_electoral_wards_2017")
    ids = gpd.read_file(path)["PRABHAG_NO"].tolist()
    table = _analyst_csv(ids, "prabhag_no", tmp_path / "mumbai_indicators.csv")
    table_id, boundary_id, text, outside = _upload_and_read_choices(chromium_path, app_url, table, path)
    assert "not allowed" not in text.lower()
    assert (table_id, boundary_id) == ("prabhag_no", "PRABHAG_NO"), text[-2000:]
    assert outside == [], outside
