"""Where the user waits, in a real browser: first map, weight change, rapid nudges, city switch (seconds).

Starts ``streamlit run app.py`` on 127.0.0.1 and a free port, drives Debian's Chromium with Playwright (headless)
and prints, in seconds:

* *first map*: from navigation start to every ward of the Kolkata demo drawn, for the first visitor of a fresh
  server (``cold``: imports, reading, scoring and the neighbour graph included) and for new visitors afterwards
  (``new visitor``: a new browser context each, the server's caches warm);
* *weight change*: from the key press on a weight slider (the sidebar's first dimension slider, one step) to the
  map showing the new scores, per permutation setting (``auto`` and ``999``); each press gives a weight not used
  before, so the app scores anew each time;
* *rapid nudges*: five presses 120 ms apart, ``--repeat`` times: how many times the map was redrawn after the last
  press, how long after it the map settled, and whether the map ends on the last weight (the component's
  ``data-hs-state``);
* *city switch*: from choosing another city in the sidebar to its wards drawn;
* *Interactions* and *Compare*: from a click on the tab to its maps drawn (the bivariate map; two cities' maps);
* the same weight-change figures for a city of ``--wards`` wards (default 1,000; the reference's synthetic wards
  from ``bench/bench_pipeline.py``), uploaded through the Data tab.

"Redrawn" is measured in the map's frame: a requestAnimationFrame loop notes the first frame in which the map
shows a new state (a new Leaflet container, the component's render or preview counter, or the wards' fill colours)
with every ward drawn; times are ``performance.timeOrigin + performance.now()`` of the page and the frame (one clock). Works
for the app's map component and for streamlit-folium (to measure an older checkout: ``--app path/to/app.py``);
streamlit-folium mounts a new frame on a rerun, whose map is noted when the benchmark first looks at it (every
25 ms: up to that much late, in the old app's favour).

Each figure is printed as the median and the worst (slowest) of its runs, with the target judged on both.

Run from the repository root (needs ../shared/bench/reference_pipeline.py for the big city)::

    python bench/bench_browser.py
    python bench/bench_browser.py --repeat 10 --wards 0      # no big city
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
KOLKATA = "Kolkata (synthetic demo)"
OTHER_CITY = "Dhaka (synthetic demo)"
# Indicator weights' sliders: a rate, previewed in the frame; a count with suppressed cells (its normalised values
# stay on the server), whose change waits for the server's map
INDICATOR = "Youth unemployment"
SUPPRESSED_INDICATOR = "Recorded hate incidents"
TARGETS = {"first map": 3.0, "weight change": 0.3, "weight change (big city)": 1.0, "city switch": 1.0}

# In the map's frame: note each new state of the map (container, render counter, fills) once all wards are drawn.
WATCH_JS = """() => {
  // per document: a frame's first (about:blank) document hands its window over to the component's page
  if (document.__hsWatched) return;
  document.__hsWatched = true;
  const B = window.__hsBench = {sig: null, first: null, changes: [], seq: 0, renders: [], rendersSeen: null};
  const state = () => {
    const c = document.querySelector('.leaflet-container');
    if (!c) return null;
    if (!c.__hsSeq) c.__hsSeq = ++B.seq;
    const paths = document.querySelectorAll('path.leaflet-interactive');
    const want = Number(c.getAttribute('data-hs-wards') || 0);
    if (!want || paths.length < want) return null;
    let fills = '';
    for (const p of paths) fills += p.getAttribute('fill') + ',';
    // a preview that moves no ward to another class still shows the new weights' map: it counts as a new state
    const shown = (c.getAttribute('data-hs-renders') || '') + '|' + (c.getAttribute('data-hs-previews') || '');
    return {sig: c.__hsSeq + '|' + shown + '|' + fills, n: want};
  };
  const loop = () => {
    requestAnimationFrame(loop);
    let s = null;
    try { s = state(); } catch (e) { return; }
    const c = document.querySelector('.leaflet-container');
    const r = c ? c.getAttribute('data-hs-renders') : null;  // a map state from the server (not a preview)
    if (r !== B.rendersSeen) {
      if (B.rendersSeen !== null) B.renders.push(performance.timeOrigin + performance.now());
      B.rendersSeen = r;
    }
    if (s && s.sig !== B.sig) {
      const t = performance.timeOrigin + performance.now();
      if (B.sig === null) B.first = t;
      else B.changes.push({t: t, n: s.n});
      B.sig = s.sig;
    }
  };
  loop();
}"""
NOW_JS = "() => performance.timeOrigin + performance.now()"
DRAWN_JS = """() => {
  const c = document.querySelector('.leaflet-container');
  const want = c ? Number(c.getAttribute('data-hs-wards') || 0) : 0;
  return want > 0 && document.querySelectorAll('path.leaflet-interactive').length >= want ? want : 0;
}"""
# In the page: the time of the last key press or pointer press (the user's action).
ACTION_JS = """() => {
  if (document.__hsActions) return;
  document.__hsActions = true;
  window.__hsAction = 0;
  const note = () => { window.__hsAction = performance.timeOrigin + performance.now(); };
  document.addEventListener('keydown', note, true);
  document.addEventListener('pointerdown', note, true);
}"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(app: Path, log_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none"]
    server = subprocess.Popen(command, cwd=app.parent, stdout=log_path.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return server, url
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"streamlit did not start:\n{log_path.read_text()[-3000:]}")


def map_frame(page, timeout_s: float = 120):
    """The frame holding the drawn Leaflet map (the app's component or streamlit-folium)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for frame in page.frames:
            if "/component/" not in frame.url:
                continue
            try:
                if frame.evaluate(DRAWN_JS):
                    return frame
            except Exception:  # detached while the app reruns
                continue
        page.wait_for_timeout(20)
    raise SystemExit("the map did not appear")


def new_context(browser):
    """A new visitor: a new browser context."""
    return browser.new_context(viewport={"width": 1500, "height": 1050})


def first_map(browser, url: str) -> tuple[float, float]:
    """A new visitor: seconds from navigation start, and from the page's load event, to every ward drawn."""
    context = new_context(browser)
    try:
        page = context.new_page()
        page.goto(url, wait_until="commit")
        frame = map_frame(page)  # looks every 20 ms: the figure may be up to that late
        frame.wait_for_function(DRAWN_JS, polling="raf", timeout=120_000)
        drawn_at = frame.evaluate(NOW_JS)
        origin, loaded = page.evaluate(
            "() => [performance.timeOrigin, performance.getEntriesByType('navigation')[0].loadEventEnd]"
        )
        return (drawn_at - origin) / 1000, (drawn_at - origin - loaded) / 1000
    finally:
        context.close()


def map_events(page, since: float, server: bool = False) -> list[float]:
    """Times at which any map frame (old or newly mounted) showed a new, fully drawn map state after ``since``
    (``server``: only the states the server sent, not the frame's own previews)."""
    times = []
    for frame in page.frames:
        if "/component/" not in frame.url:
            continue
        try:
            frame.evaluate(WATCH_JS)  # in a frame mounted since the last look: its first state is noted from now
            bench = frame.evaluate("() => window.__hsBench || null")
        except Exception:  # detached: streamlit-folium mounts a new frame
            continue
        if bench and server:
            times += [t for t in [bench["first"], *bench.get("renders", [])] if t and t > since]
        elif bench:
            times += [t for t in [bench["first"], *(c["t"] for c in bench["changes"])] if t and t > since]
    return sorted(times)


def wait_quiet(page, quiet_s: float, timeout_s: float = 120) -> list[float]:
    """The map's new states since the user's last action, once none came for ``quiet_s`` seconds."""
    since = page.evaluate("() => window.__hsAction")
    deadline = time.monotonic() + timeout_s
    seen, last = 0, time.monotonic()
    while time.monotonic() < deadline:
        events = map_events(page, since)
        if len(events) != seen:
            seen, last = len(events), time.monotonic()
        elif seen and time.monotonic() - last > quiet_s:
            return events
        page.wait_for_timeout(25)
    return map_events(page, since)


def slider_input(page, label: str):
    """The range input of the sidebar slider with this label (Streamlit's react-aria slider); an indicator's
    slider is in its dimension's expander, opened first."""
    box = page.locator("[data-testid='stSidebar'] [data-testid='stSlider']").filter(has_text=label).first
    if not box.is_visible():
        for expander in page.locator("[data-testid='stSidebar'] [data-testid='stExpander']").all():
            if expander.locator("[data-testid='stSlider']").filter(has_text=label).count():
                expander.locator("summary").first.click()
                box.wait_for(state="visible", timeout=30_000)
                break
    return box.locator("input[type='range']").first


def press(page, thumb, key: str, times: int = 1, gap_ms: int = 0) -> None:
    thumb.focus()
    for i in range(times):
        page.keyboard.press(key)
        if gap_ms and i < times - 1:
            page.wait_for_timeout(gap_ms)


def weight_changes(page, repeat: int, label: str = "Individual dimension") -> tuple[list[float], list[float]]:
    """Key press on a weight slider to the redrawn map, ``repeat`` times (a new weight each time): seconds to the
    first new colours (the frame's preview, or the server's map where there is none), and to the server's map
    (hot spots, tooltips)."""
    times, server = [], []
    for i in range(repeat):
        press(page, slider_input(page, label), "ArrowRight")  # one step up: a weight not used before
        action = page.evaluate("() => window.__hsAction")
        events = wait_quiet(page, quiet_s=1.0)
        if not events:
            print(f"  weight change {i + 1}: the map did not change", flush=True)
            continue
        times.append((events[0] - action) / 1000)
        served = map_events(page, action, server=True)
        if served:
            server.append((served[0] - action) / 1000)
        wait_idle(page)
    return times, server


def weight_figures(page, name: str, repeat: int, target: float, label: str = "Individual dimension") -> None:
    recoloured, server = weight_changes(page, repeat, label)
    figures(f"{name}: map recoloured", recoloured, target)
    figures(f"{name}: server's map (hot spots)", server)


def rapid_nudges(page, nudges: int = 5, gap_ms: int = 120) -> tuple[int, int, float]:
    """Five quick presses: new map states after the last press (previews and server maps), server maps among
    them, and seconds from the last press until the map settled."""
    press(page, slider_input(page, "Institutional dimension"), "ArrowRight", times=nudges, gap_ms=gap_ms)
    last_press = page.evaluate("() => window.__hsAction")
    events = wait_quiet(page, quiet_s=2.5)
    served = map_events(page, last_press, server=True)
    return len(events), len(served), (events[-1] - last_press) / 1000 if events else float("nan")


def choose(page, label: str, option: str) -> None:
    box = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").filter(has_text=label).first
    box.locator("input, [role='combobox']").first.click()
    page.get_by_role("option", name=option, exact=True).click()


def set_permutations(page, value: str) -> None:
    """The Permutations select slider (auto, 99, 499, 999, 9999) to ``value``, then wait for the map."""
    steps = ["auto", "99", "499", "999", "9999"]
    thumb = slider_input(page, "Permutations")
    current, target = int(thumb.input_value()), steps.index(value)
    if target != current:
        press(page, thumb, "ArrowRight" if target > current else "ArrowLeft", times=abs(target - current), gap_ms=50)
    page.wait_for_timeout(500)
    page.get_by_text("Wards ranked by risk").wait_for(timeout=300_000)
    wait_idle(page)


def wait_idle(page, timeout_s: float = 300) -> None:
    """Until the app's script has stopped running (Streamlit's status widget gone)."""
    deadline = time.monotonic() + timeout_s
    quiet = 0
    while time.monotonic() < deadline and quiet < 4:
        running = page.locator("[data-testid='stStatusWidget']").count()
        quiet = 0 if running else quiet + 1
        page.wait_for_timeout(150)


def city_switch(page, city: str) -> float:
    """Choosing another city in the sidebar to its wards drawn."""
    choose(page, "City", city)
    action = page.evaluate("() => window.__hsAction")
    events = wait_quiet(page, quiet_s=1.0)
    return (events[0] - action) / 1000 if events else float("nan")


def upload_city(page, wards: int, folder: Path) -> str:
    """Upload the reference's synthetic wards through the Data tab; the city's name."""
    from bench_pipeline import make_inputs

    csv, geojson = make_inputs(wards, folder)
    page.get_by_role("tab", name="Data").click()

    def uploader(label: str):  # the Data tab's uploaders by label (the sidebar has uploaders of its own)
        return page.locator('[data-testid="stFileUploader"]').filter(has_text=label).locator("input[type='file']")

    uploader("Indicator table").wait_for(state="attached", timeout=60_000)
    uploader("Indicator table").set_input_files(str(csv))
    page.wait_for_timeout(500)
    uploader("Ward boundaries").set_input_files(str(geojson))
    button = page.get_by_role("button", name="Add this city")
    button.wait_for(timeout=300_000)
    button.click()
    page.wait_for_timeout(500)
    page.get_by_role("tab", name="Map").click()
    page.get_by_text("Wards ranked by risk").wait_for(timeout=300_000)
    map_frame(page, timeout_s=300)
    wait_idle(page)
    return csv.stem


def figures(name: str, values: list[float], target: float | None = None) -> None:
    """One line: median and worst (slowest) of the runs, the fastest, and the target judged on median and worst."""
    if not values:
        print(f"{name:<42} no figures")
        return
    values = sorted(values)
    median, worst = statistics.median(values), values[-1]
    line = f"{name:<42} median {median:6.3f} s   worst {worst:6.3f} s   best {values[0]:6.3f}   (n={len(values)})"
    if target is not None:
        verdict = "met" if worst <= target else "met by the median only" if median <= target else "NOT met"
        line += f"   target <= {target:g} s: {verdict}"
    print(line, flush=True)


SHOWN_JS = """() => {
  const c = document.querySelector('.leaflet-container');
  return c ? c.getAttribute('data-hs-state') : null;
}"""


def shown_weight(page, dimension: str) -> float | None:
    """The weight of ``dimension`` the map shows (the component's data-hs-state; None without it)."""
    import json

    for frame in page.frames:
        if "/component/" not in frame.url:
            continue
        try:
            state = frame.evaluate(SHOWN_JS)
        except Exception:  # detached
            continue
        if state:
            return (json.loads(state) or {}).get("dimension_weights", {}).get(dimension)
    return None


def rapid_rounds(page, rounds: int) -> None:
    """``rounds`` times five quick presses: redraws after the last press, settling time, the map's final weight."""
    redraws, served, settles, right = [], [], [], 0
    for _ in range(rounds):
        count, from_server, settle = rapid_nudges(page)
        redraws.append(count)
        served.append(from_server)
        settles.append(settle)
        final = float(slider_input(page, "Institutional dimension").input_value())
        shown = shown_weight(page, "institutional")
        right += shown is not None and abs(shown - final) < 1e-9
        wait_idle(page)
    figures("rapid nudges (5 x 120 ms): settled after", settles)
    print(
        f"{'rapid nudges: map states after the last press':<42} {redraws}, of which from the server {served} "
        f"(one server map each is the target); ends on the last weight: {right} of {rounds}",
        flush=True,
    )


DRAWN_AT_JS = """(has) => {
  const c = document.querySelector('.leaflet-container');
  if (!c || !c.getAttribute('data-hs-wards')) return null;
  const state = c.getAttribute('data-hs-state');
  if (has && !(state && has in (JSON.parse(state) || {}))) return null;
  const want = Number(c.getAttribute('data-hs-wards'));
  if (document.querySelectorAll('path.leaflet-interactive').length < want) return null;
  return Number(c.getAttribute('data-hs-drawn')) || performance.timeOrigin + performance.now();
}"""


def tab_maps(page, tab: str, count: int, has: str) -> float:
    """A click on ``tab`` to ``count`` maps drawn whose state has ``has`` (seconds)."""
    page.get_by_role("tab", name=tab, exact=True).click()
    action = page.evaluate("() => window.__hsAction")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        times = []
        for frame in page.frames:
            if "/component/" not in frame.url:
                continue
            try:
                at = frame.evaluate(DRAWN_AT_JS, has)
            except Exception:  # detached
                continue
            if at and at > action:
                times.append(at)
        if len(times) >= count:
            return (sorted(times)[count - 1] - action) / 1000
        page.wait_for_timeout(25)
    return float("nan")


def other_tabs(page, repeat: int) -> None:
    """Interactions and Compare (two demo cities), each opened ``repeat`` times from the Map tab."""
    interactions, compare = [], []
    for _ in range(repeat):
        interactions.append(tab_maps(page, "Interactions", 1, "pair"))
        wait_idle(page)
        compare.append(tab_maps(page, "Compare", 2, "view"))
        wait_idle(page)
        page.get_by_role("tab", name="Map").click()
        map_frame(page)
        wait_idle(page)
    figures("Interactions tab: click to map drawn", interactions)
    figures("Compare tab (2 cities): click to maps drawn", compare)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--app", type=Path, default=ROOT / "app.py")
    parser.add_argument("--repeat", type=int, default=8, help="weight changes and new visitors per figure")
    parser.add_argument("--wards", type=int, default=1000, help="wards of the uploaded big city (0: none)")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        server, url = start_server(args.app.resolve(), Path(tmp) / "server.log")
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                print(f"app {args.app}, {url}", flush=True)
                cold = first_map(browser, url)
                figures("first map, cold server (from navigation)", [cold[0]])
                visits = [first_map(browser, url) for _ in range(args.repeat)]
                figures("first map, new visitor (from navigation)", [v[0] for v in visits])
                figures("first map, new visitor (after page load)", [v[1] for v in visits], 3.0)

                page = new_context(browser).new_page()
                page.goto(url)
                page.evaluate(ACTION_JS)
                map_frame(page).evaluate(WATCH_JS)
                wait_idle(page)
                for permutations in ("auto", "999"):
                    set_permutations(page, permutations)
                    weight_figures(page, f"dimension weight, 144 wards, {permutations}", args.repeat, 0.3)
                weight_figures(page, "indicator weight (a rate), 144 wards, 999", args.repeat, 0.3, INDICATOR)
                weight_figures(
                    page,
                    "indicator weight (suppressed counts: server), 144 wards, 999",
                    args.repeat,
                    0.3,
                    SUPPRESSED_INDICATOR,
                )
                rapid_rounds(page, args.repeat)
                switches = []
                for i in range(args.repeat):
                    switches.append(city_switch(page, OTHER_CITY if i % 2 == 0 else KOLKATA))
                    wait_idle(page)
                figures("city switch (Dhaka <-> Kolkata)", switches, 1.0)
                other_tabs(page, args.repeat)
                if args.wards:
                    name = upload_city(page, args.wards, Path(tmp))
                    print(f"uploaded {name}", flush=True)
                    for permutations in ("auto", "999"):
                        set_permutations(page, permutations)
                        weight_figures(page, f"dimension weight, {args.wards} wards, {permutations}", args.repeat, 1.0)
                browser.close()
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    main()
