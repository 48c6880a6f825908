"""The app in a real browser: the demo map draws every ward, offline, with its legend.

Starts ``streamlit run app.py`` on a free local port and drives Debian's Chromium with Playwright (Playwright's own
browser download does not work offline). Without Chromium the test is skipped, except under ``CI=true``, where a
missing browser is a failure.

The test writes no file of the repository. To refresh the README's screenshot, ask for it::

    HOTSPOTS_SCREENSHOT=docs/screenshot.png python -m pytest tests/test_browser.py
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT_ENV = "HOTSPOTS_SCREENSHOT"  # path of a PNG to write the demo map's screenshot to (only when set)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
KOLKATA_WARDS = 144  # hotspots/data/demo/kolkata_wards_synthetic.geojson has 144 features (hotspots.demo: n_wards=144)
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
LOCAL_SCHEMES = {"data", "blob", "about"}
MAP_COMPONENT = "hotspots_map"  # the name of the map component (ui/map_component.py) in its frame's URL


def _chromium() -> str | None:
    for candidate in (
        os.environ.get("CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the browser test must run)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium_path() -> str:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _skip_or_fail("the playwright Python package is not installed")
    path = _chromium()
    if path is None:
        _skip_or_fail("no Chromium found (install Debian's chromium package)")
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def _served(script: Path, log_dir: Path, *options: str):
    """``streamlit run script`` from the repository's folder (its settings) on 127.0.0.1 and a free port: the URL;
    always terminated."""
    port = _free_port()
    log = (log_dir / "server.log").open("w+")
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.headless",
        "true",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.fileWatcherType",
        "none",
        "--client.toolbarMode",
        "viewer",
        *options,
    ]
    server = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"streamlit did not start (exit code {server.poll()}):\n{log.read()[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """``streamlit run app.py`` on 127.0.0.1 and a free port; always terminated."""
    with _served(ROOT / "app.py", tmp_path_factory.mktemp("streamlit")) as url:
        yield url


WARDS_COUNT_JS = """() => {
  const paths = document.querySelectorAll('path.leaflet-interactive').length;
  if (paths > 0) return {renderer: 'svg', wards: paths};
  const map = window.map_div || window.map;
  let n = 0;
  if (map && map._layers) {
    for (const id in map._layers) {
      const layer = map._layers[id];
      if (layer instanceof L.Polygon && layer.options.interactive !== false && layer.options.fill) n++;
    }
  }
  return {renderer: document.querySelector('.leaflet-overlay-pane canvas') ? 'canvas' : 'none', wards: n};
}"""
WARDS_DRAWN_JS = "(expected) => (" + WARDS_COUNT_JS + ")().wards >= expected"


def _is_local(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme in LOCAL_SCHEMES:
        return True
    return parsed.hostname in LOCAL_HOSTS


def _map_frame(page, timeout_s: float = 90):
    """The frame of the app's map component (ui/map_component.py) whose Leaflet map has drawn its legend."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for frame in page.frames:
            if MAP_COMPONENT not in frame.url:
                continue
            try:
                if frame.locator(".leaflet-container").count() and frame.locator(".hs-legend").count():
                    return frame
            except Exception:  # frame detached while the app reruns
                continue
        page.wait_for_timeout(250)
    return None


def test_demo_map_in_browser(chromium_path, app_url):
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        try:
            page = _recording_page(browser, requests)
            page.goto(app_url, wait_until="domcontentloaded")
            page.get_by_text("Wards ranked by risk").wait_for(timeout=90_000)

            frame = _map_frame(page)
            assert frame is not None, "the Leaflet map did not appear in the streamlit-folium frame"
            # Every ward of the visible (composite) layer is one interactive polygon; the Gi* outlines are not
            # interactive, so they are not counted. With Leaflet's SVG renderer each is a path.leaflet-interactive;
            # with the canvas renderer (maps of many wards) there are no paths: count the Leaflet polygons instead.
            frame.wait_for_function(WARDS_DRAWN_JS, arg=KOLKATA_WARDS, timeout=30_000)
            drawn = frame.evaluate(WARDS_COUNT_JS)
            assert drawn == {"renderer": drawn["renderer"], "wards": KOLKATA_WARDS}, drawn
            # a city-sized map uses Leaflet's SVG renderer (hotspots.maps: canvas only above 2,000 wards)
            assert drawn["renderer"] == "svg", drawn
            assert frame.locator("path.leaflet-interactive").count() == KOLKATA_WARDS
            legend = frame.locator(".hs-legend")
            assert legend.count() == 1 and "Composite risk" in legend.inner_text()
            # the badge is upper-cased by CSS, and inner_text() follows CSS
            assert "synthetic demo data" in frame.locator(".leaflet-container").inner_text().lower()

            page.wait_for_timeout(1000)  # let the ranked table and captions settle
            text = page.locator("body").inner_text()
            for marker in ("Traceback", "Error"):
                assert marker not in text, f"'{marker}' on the page:\n{text[:2000]}"
            assert "synthetic demo data" in text.lower()

            screenshot = os.environ.get(SCREENSHOT_ENV)
            if screenshot:
                Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=screenshot, full_page=False)

            # Export: the standalone map and the GeoJSON download, as the command line writes them.
            page.get_by_role("tab", name="Export").click()
            for label, needle in (("Map (HTML)", "leaflet"), ("GeoJSON", '"FeatureCollection"')):
                button = page.get_by_role("button", name=label)
                button.wait_for(timeout=60_000)
                with page.expect_download(timeout=60_000) as download_info:
                    button.click()
                content = Path(download_info.value.path()).read_text(encoding="utf-8")
                assert needle in content.lower() if needle == "leaflet" else needle in content, label
                assert "synthetic" in content.lower(), f"{label} export is not labelled synthetic"
        finally:
            browser.close()

    _assert_all_local(requests)
    assert any(MAP_COMPONENT in url for url in requests)
    # Leaflet is served once as a static file (.streamlit/config.toml: enableStaticServing), not as data: URLs
    assert any(url.endswith("/app/static/hotspots-leaflet/leaflet.js") for url in requests), requests


def _recording_page(browser, requests: list[str]):
    """A new page of a new context that records the URL of every request of every frame and worker in it."""
    context = browser.new_context(viewport={"width": 1500, "height": 1050})
    context.on("request", lambda request: requests.append(request.url))
    return context.new_page()


def _assert_all_local(requests: list[str]) -> None:
    """No request left this machine (Streamlit's usage statistics, CDNs, tiles...)."""
    assert requests, "no request was recorded"
    remote = sorted({url[:120] for url in requests if not _is_local(url)})
    assert not remote, f"requests to non-local hosts: {remote}"


# The ward whose polygon centre lies nearest the top (edge = "top") or bottom of the map, in page pixels.
EDGE_WARD_JS = """(edge) => {
  const container = document.querySelector('.leaflet-container');
  const map = window[Object.keys(window).find((k) => k.startsWith('map_') && window[k] && window[k].getContainer)];
  // the ward's centre must be a point of the ward itself, not of the legend or the info box above it
  const box = container.getBoundingClientRect();
  let best = null;
  container._hsWards.eachLayer((layer) => {
    const p = map.latLngToContainerPoint(layer.getBounds().getCenter());
    if (p.x < 20 || p.x > box.width - 20 || p.y < 4 || p.y > box.height - 4) return;
    if (document.elementFromPoint(box.left + p.x, box.top + p.y) !== layer._path) return;  // legend, info box
    const score = edge === 'top' ? p.y : -p.y;
    if (best === null || score < best.score) best = {score: score, x: box.left + p.x, y: box.top + p.y};
  });
  return best;
}"""


def test_tooltips_stay_inside_the_map(chromium_path, tmp_path):
    """Hovering a ward at the top or the bottom edge of the map opens a tooltip that the frame does not cut off."""
    from playwright.sync_api import sync_playwright

    import hotspots
    from hotspots import maps

    city = hotspots.demo_city("kolkata")
    result = hotspots.run(city.indicators_path, city.boundaries_path, id_column="ward_id", permutations=99)
    page_path = tmp_path / "map.html"
    fmap = maps.risk_map(
        result.layer,
        dimensions=result.dimension_names,
        indicators=result.framework.columns,
        breaks=result.breaks,
        count_columns=result.count_columns,
    )
    page_path.write_text(maps.map_html(fmap), encoding="utf-8")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 900, "height": 620})
            page.goto(page_path.as_uri())
            page.wait_for_function("() => document.querySelector('.leaflet-container')?._hsWards", timeout=30_000)
            frame_box = page.locator(".leaflet-container").bounding_box()
            for edge in ("top", "bottom"):
                ward = page.evaluate(EDGE_WARD_JS, edge)
                assert ward is not None, f"no ward near the {edge} edge"
                page.mouse.move(ward["x"], ward["y"])
                page.mouse.move(ward["x"] + 1, ward["y"])
                tip = page.locator(".leaflet-tooltip")
                tip.wait_for(state="visible", timeout=5_000)
                box = tip.bounding_box()
                assert box["height"] > 100, box  # the tooltip with all its rows
                inside = (
                    box["x"] >= frame_box["x"] - 0.5
                    and box["y"] >= frame_box["y"] - 0.5
                    and box["x"] + box["width"] <= frame_box["x"] + frame_box["width"] + 0.5
                    and box["y"] + box["height"] <= frame_box["y"] + frame_box["height"] + 0.5
                )
                assert inside, f"tooltip of the ward at the {edge} edge {box} leaves the map {frame_box}"
                page.mouse.move(0, 0)
        finally:
            browser.close()


FOCUS_JS = """() => {
  const a = document.activeElement;
  if (!a) return 'none';
  if (a.tagName === 'IFRAME') return 'map';
  const box = a.closest('[data-testid="stSelectbox"]');
  if (box && box.innerText.startsWith('Ward') && a.tagName === 'INPUT') return 'ward picker';
  return a.tagName + ':' + (a.getAttribute('aria-label') || a.innerText || '').slice(0, 30);
}"""


def test_map_and_legend_in_view_on_a_laptop(chromium_path, app_url):
    """On a 1280x720 window the map starts above the fold and its legend is in view, with no scrolling."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(app_url, wait_until="domcontentloaded")
            page.get_by_text("Wards ranked by risk").wait_for(timeout=90_000)
            frame = _map_frame(page)
            assert frame is not None, "the Leaflet map did not appear"
            page.wait_for_timeout(1500)  # the frame takes its final height
            assert page.evaluate("() => window.scrollY") == 0
            the_map = frame.locator(".leaflet-container").bounding_box()  # in page coordinates
            legend = frame.locator(".hs-legend").bounding_box()
            assert the_map["y"] < 300, the_map  # was ~400 px down
            assert legend["y"] >= the_map["y"] and legend["y"] + legend["height"] <= 720, legend
            assert page.get_by_text("pick a ward here").is_visible()  # the line of orientation
            # Keyboard: from the Map tab, a few Tab presses reach the ward picker, before any ward of the map
            page.get_by_role("tab", name="Map").focus()
            for presses in range(1, 16):
                page.keyboard.press("Tab")
                where = page.evaluate(FOCUS_JS)
                if where == "ward picker":
                    break
                assert where != "map", f"Tab reached the map before the ward picker ({presses} presses)"
            assert where == "ward picker", f"the ward picker is not reached in {presses} Tab presses ({where})"
            page.keyboard.type("KMC-100")
            page.keyboard.press("Enter")
            page.get_by_text("KMC-100 Ward 100").last.wait_for(timeout=30_000)
            assert (
                page.locator("[data-testid='stMarkdown']", has_text="pick another ward")
                .inner_text()
                .startswith("KMC-100")
            )
        finally:
            browser.close()


def test_the_request_check_catches_usage_statistics():
    # what Streamlit's browser fetches on every page load when browser.gatherUsageStats is true
    with pytest.raises(AssertionError, match="data.streamlit.io"):
        _assert_all_local(["http://127.0.0.1:8501/", "https://data.streamlit.io/metrics.json"])
    with pytest.raises(AssertionError, match="unpkg"):
        _assert_all_local(["https://unpkg.com/leaflet@1.9.3/dist/leaflet.js"])
    _assert_all_local(["http://127.0.0.1:8501/app/static/hotspots-leaflet/leaflet.js", "data:text/css;base64,"])


def test_privacy_settings_are_shipped():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["address"] == "127.0.0.1"  # no checkip.amazonaws.com at start, no LAN exposure
    assert config["server"]["showEmailPrompt"] is False  # no e-mail sent to data.streamlit.io on a first run
    assert config["server"]["enableStaticServing"] is True
    assert config["server"]["maxUploadSize"] == 50  # MB; the upload widgets say so


MAP_STATE_JS = """() => {
  const c = document.querySelector('.leaflet-container');
  return {
    marker: c.__testMarker || null,
    windowMarker: window.__testMarker || null,
    builds: Number(c.getAttribute('data-hs-builds')),
    renders: Number(c.getAttribute('data-hs-renders')),
    paths: document.querySelectorAll('path.leaflet-interactive').length,
    fills: Array.from(document.querySelectorAll('path.leaflet-interactive')).map(p => p.getAttribute('fill')),
  };
}"""


def test_weight_change_restyles_the_map_without_remount_and_a_click_selects(chromium_path, app_url):
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        try:
            page = _recording_page(browser, requests)
            page.goto(app_url, wait_until="domcontentloaded")
            page.get_by_text("Wards ranked by risk").wait_for(timeout=90_000)
            frame = _map_frame(page)
            assert frame is not None, "the map did not appear"
            frame.wait_for_function(WARDS_DRAWN_JS, arg=KOLKATA_WARDS, timeout=30_000)
            page.wait_for_timeout(1500)  # let the first runs settle
            frame.evaluate(
                "() => { document.querySelector('.leaflet-container').__testMarker = 'kept'; "
                "window.__testMarker = 'kept'; }"
            )
            before = frame.evaluate(MAP_STATE_JS)
            assert before["paths"] == KOLKATA_WARDS, before["paths"]  # one SVG path per ward

            # the Individual dimension's weight from 1 to its maximum, 5: the composite classes change
            weight = page.locator("[data-testid='stSidebar'] [data-testid='stSlider']").filter(
                has_text="Individual dimension"
            )
            weight.locator("input[type='range']").first.focus()
            page.keyboard.press("End")
            frame.wait_for_function(
                "(n) => Number(document.querySelector('.leaflet-container').getAttribute('data-hs-renders')) > n",
                arg=before["renders"],
                timeout=60_000,
            )
            page.wait_for_timeout(1500)
            after = frame.evaluate(MAP_STATE_JS)
            # the same Leaflet map in the same frame, restyled: no remount, no new map
            assert after["marker"] == "kept" and after["windowMarker"] == "kept", "the map was mounted anew"
            assert after["builds"] == before["builds"] == 1, (before["builds"], after["builds"])
            assert after["paths"] == KOLKATA_WARDS, after["paths"]  # still one SVG path per ward
            assert after["fills"] != before["fills"], "the weight change did not restyle the map"

            # a click on a ward selects it in the ward box below the map
            path = frame.locator("path.leaflet-interactive").nth(40)
            path.click()
            tip = frame.locator(".hs-tip")
            tip.wait_for(timeout=10_000)
            ward_id = tip.inner_text().split("Ward ID:")[1].split()[0]
            chosen = page.get_by_role("combobox", name="Ward", exact=True)  # the ward picker shows its value
            deadline = time.monotonic() + 30
            while ward_id not in chosen.input_value() and time.monotonic() < deadline:
                page.wait_for_timeout(100)
            assert chosen.input_value().split()[0] == ward_id, (chosen.input_value(), ward_id)
            assert frame.evaluate(MAP_STATE_JS)["builds"] == 1  # the click's rerun did not redraw the map either
        finally:
            browser.close()
    _assert_all_local(requests)


def _open_app(browser, url: str):
    """A new page on the app once its map and the tables below it are drawn (the tables follow the map's report
    that it is drawn), after the first runs have settled: the page and the map's frame."""
    page = browser.new_page(viewport={"width": 1500, "height": 1050})
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_text("Wards ranked by risk").wait_for(timeout=90_000)
    frame = _map_frame(page)
    assert frame is not None, "the map did not appear"
    page.wait_for_timeout(1500)
    return page, frame


# In the map's frame: the fills and legend at each preview (ui/map_frontend/preview.js) and each server render.
RECORD_PREVIEWS_JS = """() => {
  const c = document.querySelector('.leaflet-container');
  window.__events = [];
  new MutationObserver((records) => {
    for (const r of records) {
      window.__events.push({what: r.attributeName, t: performance.timeOrigin + performance.now(),
        fills: Array.from(document.querySelectorAll('path.leaflet-interactive')).map(p => p.getAttribute('fill')),
        legend: document.querySelector('.hs-legend').textContent});
    }
  }).observe(c, {attributes: true, attributeFilter: ['data-hs-previews', 'data-hs-renders']});
}"""


def _weight_slider(page, label: str):
    """The range input of the sidebar's weight slider with this label; an indicator's is in its dimension's
    expander, opened first."""
    box = page.locator("[data-testid='stSidebar'] [data-testid='stSlider']").filter(has_text=label).first
    if not box.is_visible():
        for expander in page.locator("[data-testid='stSidebar'] [data-testid='stExpander']").all():
            if expander.locator("[data-testid='stSlider']").filter(has_text=label).count():
                expander.locator("summary").first.click()
                box.wait_for(state="visible", timeout=30_000)
                break
    return box.locator("input[type='range']").first


@pytest.mark.parametrize("label", ["Individual dimension", "Youth unemployment"])
def test_a_weight_recolours_the_map_before_the_server_and_the_server_agrees(chromium_path, app_url, label):
    """The frame recolours the map from the slider at once (the preview), says the hot spots are updating, and
    the server's map that follows shows the same class in every ward: for a dimension's weight (from the
    dimension scores) and for an indicator's (a rate: from its normalised values)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        try:
            page, frame = _open_app(browser, app_url)
            frame.wait_for_function(WARDS_DRAWN_JS, arg=KOLKATA_WARDS, timeout=30_000)
            _weight_slider(page, label).focus()
            page.wait_for_timeout(1000)
            before = frame.evaluate(MAP_STATE_JS)
            frame.evaluate(RECORD_PREVIEWS_JS)  # after the expander opened (a rerun of the page, not of the map)
            page.keyboard.press("End")  # weight 1 -> 5: many wards change class
            frame.wait_for_function(
                "(n) => Number(document.querySelector('.leaflet-container').getAttribute('data-hs-renders')) > n",
                arg=before["renders"],
                timeout=60_000,
            )
            page.wait_for_timeout(1500)
            events = frame.evaluate("() => window.__events")
        finally:
            browser.close()
    previews = [e for e in events if e["what"] == "data-hs-previews"]
    renders = [e for e in events if e["what"] == "data-hs-renders"]
    assert previews and renders, events
    assert previews[0]["t"] < renders[0]["t"], "the server's map came before the preview"
    assert previews[0]["fills"] != before["fills"], "the preview did not recolour the map"
    assert "updating" in previews[0]["legend"], previews[0]["legend"]
    assert renders[-1]["fills"] == previews[-1]["fills"], "the server's classes differ from the preview's"
    assert "updating" not in renders[-1]["legend"], renders[-1]["legend"]


# In the map's frame: every map state the frame applies (the component's data-hs-seq and data-hs-state), in order.
RECORD_STATES_JS = """() => {
  const c = document.querySelector('.leaflet-container');
  window.__applied = [];
  new MutationObserver(() => {
    window.__applied.push({seq: Number(c.getAttribute('data-hs-seq')), state: c.getAttribute('data-hs-state'),
                           t: performance.timeOrigin + performance.now()});
  }).observe(c, {attributes: true, attributeFilter: ['data-hs-seq']});
}"""
SHOWN_WEIGHT_JS = "(dim) => JSON.parse(document.querySelector('.leaflet-container').getAttribute('data-hs-state'))" + (
    ".dimension_weights[dim]"
)


def test_rapid_nudges_end_on_the_last_value_drawn_once(chromium_path, app_url):
    """Five quick presses on a weight slider: the map ends showing the last weight, drawn once, no older state
    is drawn after a newer one (the component's sequence numbers), and after the last press the server's map is
    drawn once: the states of earlier presses that arrive later are held (the sliders have moved on from them)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        try:
            page, frame = _open_app(browser, app_url)
            start = frame.evaluate(SHOWN_WEIGHT_JS, "institutional")
            frame.evaluate(RECORD_STATES_JS)
            slider = page.locator("[data-testid='stSidebar'] [data-testid='stSlider']").filter(
                has_text="Institutional dimension"
            )
            thumb = slider.locator("input[type='range']").first
            thumb.focus()
            for press in range(5):
                page.keyboard.press("ArrowRight")
                if press < 4:
                    page.wait_for_timeout(120)
            last_press = page.evaluate("() => performance.timeOrigin + performance.now()")
            final = float(thumb.input_value())
            assert final == pytest.approx(start + 0.5), (start, final)  # five steps of 0.1
            frame.wait_for_function(
                f"(dim) => ({SHOWN_WEIGHT_JS})(dim) === {final}", arg="institutional", timeout=60_000
            )
            page.wait_for_timeout(2500)  # anything late would arrive now
            applied = frame.evaluate("() => window.__applied")
            assert frame.evaluate(SHOWN_WEIGHT_JS, "institutional") == pytest.approx(final)
            seqs = [a["seq"] for a in applied]
            assert seqs == sorted(set(seqs)), f"a state was drawn twice or after a newer one: {applied}"
            final_draws = [a for a in applied if a["t"] >= last_press - 5]
            weights = [json.loads(a["state"])["dimension_weights"]["institutional"] for a in final_draws]
            assert weights and weights[-1] == pytest.approx(final), weights
            assert weights.count(weights[-1]) == 1, f"the last value was drawn {weights.count(weights[-1])} times"
            after = [
                json.loads(a["state"])["dimension_weights"]["institutional"] for a in applied if a["t"] > last_press
            ]
            assert after == [pytest.approx(final)], f"server maps drawn after the last press: {after}"
        finally:
            browser.close()


def test_interactions_and_compare_maps_draw_locally_in_the_map_component(chromium_path, app_url):
    """The Interactions tab's map and the Compare tab's maps are the app's own map component, with Leaflet served
    once as a static file: no streamlit-folium frame, no request leaves the machine."""
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        try:
            page = _recording_page(browser, requests)
            page.goto(app_url, wait_until="domcontentloaded")
            page.get_by_text("Wards ranked by risk").wait_for(timeout=90_000)
            page.get_by_role("tab", name="Interactions", exact=True).click()
            page.get_by_text("Where does one kind of risk meet another").wait_for(timeout=90_000)
            bivariate = _frames_with_map(page, 1, has="pair")
            bivariate[0].wait_for_function(WARDS_DRAWN_JS, arg=KOLKATA_WARDS, timeout=30_000)
            page.get_by_role("tab", name="Compare", exact=True).click()
            page.get_by_text("The cities in numbers").wait_for(timeout=120_000)
            maps = _frames_with_map(page, 2, has="view")
            for frame in maps:
                frame.wait_for_function(WARDS_DRAWN_JS, arg=1, timeout=30_000)
            states = sorted(
                json.loads(f.locator(".leaflet-container").get_attribute("data-hs-state"))["city"] for f in maps
            )
            assert len(set(states)) == 2, states  # one map per chosen city
        finally:
            browser.close()
    _assert_all_local(requests)
    assert not [url for url in requests if "streamlit_folium" in url], "a streamlit-folium frame was mounted"
    leaflet = [url for url in requests if url.endswith("/app/static/hotspots-leaflet/leaflet.js")]
    assert leaflet, "Leaflet was not served as a static file"


def _frames_with_map(page, count: int, has: str, timeout_s: float = 90) -> list:
    """``count`` frames of the map component with a drawn Leaflet map whose state (``data-hs-state``) has ``has``."""
    deadline = time.monotonic() + timeout_s
    found = []
    while time.monotonic() < deadline:
        found = []
        for frame in page.frames:
            if MAP_COMPONENT not in frame.url:
                continue
            try:
                container = frame.locator(".leaflet-container")
                state = container.get_attribute("data-hs-state", timeout=1000) if container.count() else None
                if state and has in json.loads(state) and container.get_attribute("data-hs-wards"):
                    found.append(frame)
            except Exception:  # frame detached while the app reruns
                continue
        if len(found) >= count:
            return found
        page.wait_for_timeout(250)
    raise AssertionError(f"{len(found)} of {count} map frame(s) appeared in {timeout_s} s")


# Before the page's scripts: what the sidebar holds when the map's frame first appears.
SIDEBAR_AT_MAP_JS = """
new MutationObserver((records, observer) => {
  if (!document.querySelector('iframe[src*="/component/"]')) return;
  const side = document.querySelector('[data-testid="stSidebar"]');
  window.__atMap = {
    sliders: side.querySelectorAll('[data-testid="stSlider"]').length,
    expanders: side.querySelectorAll('[data-testid="stExpander"]').length,
    uploaders: side.querySelectorAll('[data-testid="stFileUploader"]').length,
    text: side.innerText,
  };
  observer.disconnect();
}).observe(document, {subtree: true, childList: true});
"""


def test_a_new_visitor_gets_the_map_before_the_rest_of_the_sidebar(chromium_path, app_url):
    """On a browser's first view the first run draws the city and the dimension weights, then the map; the
    indicator weights, the method, scenarios and the workspace's tools follow in the run after the map's report
    (ui.map_component.first_map_pending): the browser lays out a part of the sidebar before the map (first map
    after page load 2.76 -> 1.76 s by the median in a /tmp A/B probe). Nothing is lost: the full sidebar follows
    by itself."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1500, "height": 1050})
            context.add_init_script(SIDEBAR_AT_MAP_JS)
            page = context.new_page()
            page.goto(app_url, wait_until="domcontentloaded")
            page.get_by_text("Wards ranked by risk").wait_for(timeout=90_000)
            at_map = page.evaluate("() => window.__atMap")
            side = page.locator('[data-testid="stSidebar"]')
            side.get_by_text("Individual indicators").wait_for(timeout=30_000)  # the rest follows by itself
            side.locator('[data-testid="stFileUploader"]').first.wait_for(timeout=30_000)
            after = {
                "sliders": side.locator('[data-testid="stSlider"]').count(),
                "expanders": side.locator('[data-testid="stExpander"]').count(),
                "uploaders": side.locator('[data-testid="stFileUploader"]').count(),
            }
            assert "follow as soon as the map is drawn" not in side.inner_text()
        finally:
            browser.close()
    assert at_map is not None, "the map's frame never appeared"
    # at most the three dimension sliders (a slider's script may still be loading then), no expander, no uploader
    assert at_map["sliders"] <= 3 and at_map["expanders"] == 0 and at_map["uploaders"] == 0, at_map
    assert "follow as soon as the map is drawn" in at_map["text"]
    assert after["sliders"] > 3 and after["expanders"] >= 3 and after["uploaders"] >= 1, after


# A wrapper of app.py whose runs take 2.5 s more while a file named "slow" sits next to it: a page waiting for the
# server, as on a loaded machine.
SLOW_APP = """
import time
from pathlib import Path

if (Path(__file__).resolve().parent / "slow").exists():
    time.sleep(2.5)
APP = {app!r}
exec(compile(Path(APP).read_text(encoding="utf-8"), APP, "exec"), {{"__file__": APP, "__name__": "__main__"}})
"""

# The longest CSS transition any element of the page (or its ::before and ::after) would run, in seconds.
LONGEST_TRANSITION_JS = """() => {
  let longest = 0;
  for (const e of document.querySelectorAll('*')) {
    for (const pseudo of [null, '::before', '::after']) {
      for (const d of getComputedStyle(e, pseudo).transitionDuration.split(',')) {
        longest = Math.max(longest, parseFloat(d) || 0);
      }
    }
  }
  return longest;
}"""

# The page's elements shown dimmed as out of date (by the test ID of what each holds), the CSS transitions under
# way that take time, and the status widget's sign of a run: the text it shows, and how many of its pictures are
# drawn (Streamlit's sign is a running man whose picture it swaps every 200 ms).
STALE_JS = """() => ({
  running: [...document.querySelectorAll('[data-testid="stStatusWidgetRunningIcon"]')].map(e => ({
    text: getComputedStyle(e, '::after').content,
    drawn: [...e.querySelectorAll('svg, img')].filter(p => p.getBoundingClientRect().width > 0).length,
  })),
  dimmed: [...document.querySelectorAll('[data-testid="stElementContainer"][data-stale="true"]')]
    .filter(e => e.getBoundingClientRect().height > 0 && Number(getComputedStyle(e).opacity) < 1)
    .map(e => e.firstElementChild?.getAttribute('data-testid')),
  fading: document.getAnimations().filter(a => a instanceof CSSTransition && a.effect.getComputedTiming().duration > 0)
    .map(a => a.transitionProperty),
})"""


def test_a_page_waiting_for_its_run_dims_without_fading_and_shows_a_still_sign(chromium_path, tmp_path):
    """While a run is under way Streamlit dims the page's elements after 0.5 s in a fade of 1 s, which the browser
    draws frame by frame: a weight change whose run took 3 s longer cost a page 2.56 CPU-s of Chromium, against 1.09
    without the fades (python bench/bench_steps.py --slow-run 3). The app's style (app.PAGE_STYLE) makes every
    transition take no time and keeps its delay: a run longer than 0.5 s still dims the page, in one step, and a
    shorter one does not. (bench_steps.py has a wrapper like SLOW_APP; the test keeps its own, without the bench's
    imports.)

    The same holds for the status widget's sign of a run, a running man whose picture Streamlit swaps every 200 ms:
    each swap is a new frame for the browser to lay out, draw and composite, for as long as the page waits (50
    layouts in 6 s against 15 without, CDP's Performance.getMetrics). The app shows a static "Running…" instead."""
    from playwright.sync_api import sync_playwright

    script = tmp_path / "slow_app.py"
    script.write_text(SLOW_APP.format(app=str(ROOT / "app.py")), encoding="utf-8")
    with _served(script, tmp_path, "--server.enableStaticServing", "false") as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        try:
            page, _ = _open_app(browser, url)
            assert page.evaluate(LONGEST_TRANSITION_JS) == 0, "an element of the page has a transition that takes time"
            (tmp_path / "slow").touch()
            _weight_slider(page, "Individual dimension").focus()
            pressed = time.monotonic()
            page.keyboard.press("ArrowRight")
            samples = []
            while time.monotonic() - pressed < 2.3:
                samples.append((time.monotonic() - pressed, page.evaluate(STALE_JS)))
                page.wait_for_timeout(50)
            (tmp_path / "slow").unlink()
            page.wait_for_function(f"() => !({STALE_JS})().dimmed.length", timeout=30_000)
        finally:
            browser.close()
    dimmed = [t for t, sample in samples if sample["dimmed"]]
    assert dimmed, "the page never showed that it was out of date"
    assert dimmed[0] >= 0.45, f"the page dimmed {dimmed[0]:.2f} s after the key: a quick run would flicker"
    fading = {name for _, sample in samples for name in sample["fading"]}
    assert not fading, f"transitions that take time ran while the page waited: {sorted(fading)}"
    signs = [sign for _, sample in samples for sign in sample["running"]]
    assert signs, "the page never showed that a run was under way"
    assert all("Running" in sign["text"] for sign in signs), f"the status widget does not say it is running: {signs}"
    drawn = max(sign["drawn"] for sign in signs)
    assert drawn == 0, f"the status widget drew {drawn} moving picture(s) while the page waited"
