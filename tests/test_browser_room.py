"""Scenarios and rooms in a real browser (issue 11).

* The revert bug: in a browser (not in AppTest, which takes every value the server sends) a widget whose key was
  deleted kept its old value and sent it back on the next rerun, so "Reset to the default model" lasted one click.
* Rooms with separate browser contexts (separate sessions, separate workspaces): a facilitator opens a room, group A
  joins with the code, saves a scenario and publishes; group B joins and sees A's published map on the wall, and not
  A's scenarios; the facilitator's wall updates itself, and only the facilitator (by the link with ``host=``) has
  the facilitator's buttons; no request leaves this machine.

The app runs as in ``tests/test_browser.py`` (its fixtures are reused), with its own workspace database.
"""

from __future__ import annotations

import re

from test_browser import CHROMIUM_ARGS, _is_local, app_url, chromium_path  # noqa: F401 -- the shared fixtures

TIMEOUT = 90_000


def _page(browser, outside: list[str]):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.on("request", lambda request: outside.append(request.url) if not _is_local(request.url) else None)
    return context.new_page()


def _slider(page, label: str):
    return page.locator('[data-testid="stSlider"]').filter(has_text=label).get_by_role("slider")


def _slider_value(page, label: str) -> float:
    """The value a slider shows (the number above its thumb)."""
    box = page.locator('[data-testid="stSlider"]').filter(has_text=label)
    return float(box.locator('[data-testid="stSliderThumbValue"]').inner_text())


def _open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click(timeout=TIMEOUT)


def _wait_idle(page) -> None:
    """Until the app has finished its rerun (Streamlit shows a running indicator meanwhile)."""
    page.wait_for_timeout(500)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')?.innerText?.includes('Running')",
        timeout=TIMEOUT,
    )
    page.wait_for_timeout(500)


def test_reset_to_the_default_model_stays_reset_in_a_browser(chromium_path, app_url):  # noqa: F811
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        try:
            page = _page(browser, outside)
            page.goto(app_url, wait_until="domcontentloaded")
            page.get_by_text("Wards ranked by risk").wait_for(timeout=TIMEOUT)
            slider = _slider(page, "Ideological dimension")
            slider.focus()
            page.keyboard.press("End")  # the slider's maximum, 5
            _wait_idle(page)
            assert _slider_value(page, "Ideological dimension") == 5.0
            _open_tab(page, "Model")
            page.get_by_role("button", name="Reset to the default model").click(timeout=TIMEOUT)
            _wait_idle(page)
            assert _slider_value(page, "Ideological dimension") == 1.0
            for tab in ("Map", "Model", "Map"):  # each rerun sends the browser's widget values back
                _open_tab(page, tab)
                _wait_idle(page)
                assert _slider_value(page, "Ideological dimension") == 1.0, tab
        finally:
            browser.close()
    assert not outside, outside


def _save_scenario(page, name: str) -> None:
    page.get_by_role("textbox", name="Save the current settings as").fill(name)
    page.get_by_role("button", name="Save scenario").click(timeout=TIMEOUT)
    _wait_idle(page)


def _join(page, url: str, code: str, enter: bool = False) -> None:
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_text("Wards ranked by risk").wait_for(timeout=TIMEOUT)
    _open_tab(page, "Room")
    page.get_by_role("textbox", name="Join code").fill(code.lower())
    if enter:  # the code and the button are one form: Enter joins
        page.get_by_role("textbox", name="Join code").press("Enter")
    else:
        page.get_by_role("button", name="Join the room").click(timeout=TIMEOUT)
    page.get_by_text(f"Room code {code}").wait_for(timeout=TIMEOUT)


def test_two_groups_and_a_facilitator_share_only_what_is_published(chromium_path, app_url):  # noqa: F811
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        try:
            facilitator = _page(browser, outside)
            facilitator.goto(app_url, wait_until="domcontentloaded")
            facilitator.get_by_text("Wards ranked by risk").wait_for(timeout=TIMEOUT)
            _open_tab(facilitator, "Room")
            facilitator.get_by_role("button", name="Open a new room").click(timeout=TIMEOUT)
            facilitator.get_by_text("Room code").wait_for(timeout=TIMEOUT)
            code = re.search(r"Room code ([A-Z0-9]{8})", facilitator.locator("body").inner_text()).group(1)
            facilitator.get_by_text("Keep this link private").wait_for(timeout=TIMEOUT)
            host = re.search(r"host=([A-Za-z0-9_-]+)", facilitator.url).group(1)  # a reload keeps the rights
            assert f"host={host}" in facilitator.locator('[data-testid="stCode"]').first.inner_text()

            group_a = _page(browser, outside)
            _join(group_a, app_url, code, enter=True)
            _save_scenario(group_a, "Group A private weights")
            group_a.get_by_role("button", name="Publish").click(timeout=TIMEOUT)
            group_a.get_by_text("Published Kolkata (synthetic demo) under Group A private weights").wait_for(
                timeout=TIMEOUT
            )
            # the publish reran the form alone; its frame then asked for the wall's run: A's own map is on its wall
            # with nothing else done (a group does not follow the wall live)
            group_a.get_by_text("The wall: 1 published").wait_for(timeout=TIMEOUT)
            own = group_a.locator('svg[aria-label="Risk map: Kolkata (synthetic demo) · Group A private weights"]')
            own.wait_for(timeout=TIMEOUT)
            assert own.locator("path.ward").count() == 144
            assert group_a.get_by_text("Published Kolkata (synthetic demo) under Group A private weights").count() == 1
            group_a_ws = re.search(r"ws=([A-Za-z0-9_-]+)", group_a.url).group(1)

            group_b = _page(browser, outside)
            _join(group_b, app_url, code)
            group_b.get_by_text("The wall: 1 published").wait_for(timeout=TIMEOUT)
            group_b.get_by_text("Kolkata (synthetic demo) · Group A private weights").first.wait_for(timeout=TIMEOUT)
            assert group_a_ws not in group_b.url  # its own workspace
            # A's map on the wall: an SVG picture of Kolkata's 144 wards, each with its tooltip
            wall_map = group_b.locator('svg[aria-label="Risk map: Kolkata (synthetic demo) · Group A private weights"]')
            wall_map.wait_for(timeout=TIMEOUT)
            assert wall_map.locator("path.ward").count() == 144
            assert "Risk score: " in wall_map.locator("path.ward title").first.text_content()
            # B has no scenario of its own: A's saved scenario is not in B's sidebar
            assert "Group A private weights" not in group_b.locator('[data-testid="stSidebar"]').inner_text()
            # a saved scenario is active in A (its download button shows), none in B
            assert group_a.get_by_role("button", name="Download this scenario").count() == 1
            assert group_b.get_by_role("button", name="Download this scenario").count() == 0
            assert group_b.get_by_role("button", name="Remove from the wall").count() == 0
            # nobody touched the facilitator's page since the room opened: its wall updated itself, told by the
            # room's signal file (read by the watcher frame from the app's static serving, not a timer)
            facilitator.get_by_text("The wall: 1 published").wait_for(timeout=TIMEOUT)
            watcher = next(f for f in facilitator.frames if "hotspots_room_watch" in f.url)
            assert watcher.evaluate("() => document.body.getAttribute('data-hs-signal')") is not None
            assert "host=" not in group_b.url and group_b.get_by_role("button", name="Close the room").count() == 0
            facilitator.get_by_role("button", name="Refresh").click(timeout=TIMEOUT)
            facilitator.get_by_role("button", name="Remove from the wall").click(timeout=TIMEOUT)
            facilitator.get_by_text("Nothing is published yet.").wait_for(timeout=TIMEOUT)
            # B does not follow live (a group's default): its wall stays as drawn, a line says it changed
            b_watcher = next(f for f in group_b.frames if "hotspots_room_watch" in f.url)
            b_watcher.get_by_text("The wall has changed since it was drawn.").wait_for(timeout=TIMEOUT)
            assert group_b.get_by_text("The wall: 1 published").count() == 1
            b_watcher.get_by_role("button", name="Show the new wall").click(timeout=TIMEOUT)
            group_b.get_by_text("Nothing is published yet.").wait_for(timeout=TIMEOUT)
        finally:
            browser.close()
    assert not outside, outside
