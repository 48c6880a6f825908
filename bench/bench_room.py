"""A workshop room under load: N concurrent browser sessions (default 30) on one server, in seconds.

Starts ``streamlit run app.py`` on 127.0.0.1 and a free port with its own workspace database, opens a room (as the
facilitator would) and drives N Chromium contexts (Playwright, async; each context is one group with its own
workspace). A workshop in two phases: the groups arrive and open the app, ``--arrival`` seconds apart (default
2 s); once all N are connected (and stay so to the end), they work: each starts at a random moment within
``--spread`` seconds (default 30) and pauses ``--think`` seconds (jittered by +-50%, seeded) between its steps, as
people reading a map and arguing about weights do. ``--arrival 0 --spread 0 --think 0`` is the stress test of
every session acting at the same instant. On this machine the 30 browsers share the server's two cores (a room's
laptops would not): the script prints the server's share of the CPU. Each session:

1. opens the app (to every ward of the first map drawn; the server was warmed by one visit before);
2. joins the room with its code (Room tab: from the click on "Join the room" to the room shown);
3. goes back to the Map tab and switches city (from choosing the city to its wards drawn);
4. changes a weight (from the key press on a dimension slider to the map redrawn with new fills);
5. saves a scenario, opens the Room tab (to the wall drawn, every map's wards: "room tab", not one of the
   issue's actions) and publishes its city to the room (from the click on "Publish" to the confirmation; and, not
   an action of its own, until its wall shows its own item: "on the wall").

Then every session checks what it sees: its own workspace (its ID differs from every other session's), the wall
lists every published item, and the store holds, for each session's workspace, only that session's scenario and
one published item. Prints the median and 95th percentile of each step, all steps together, and the server's
resident memory (largest seen). Times are taken in Python around polling (every 100 ms): up to that much late.
Before the sessions it prints a gauge of the host: what a warm page load costs Chromium, in CPU seconds. This
machine is shared and its speed changes by the hour (the gauge and a room's times with it), so two runs compare
only at similar gauges.

Run from the repository root::

    python bench/bench_room.py                 # 30 sessions, one step every 15 s or so
    python bench/bench_room.py --think 30      # calmer
    python bench/bench_room.py --sessions 5
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from bench_browser import CHROMIUM, CHROMIUM_ARGS, start_server  # noqa: E402

CITIES = ["Dhaka (synthetic demo)", "Colombo (synthetic demo)", "Malé (synthetic demo)"]
TARGET_P95 = 3.0
POLL_S = 0.1
TIMEOUT_S = 600
# In the app's page: the first map component frame (same origin) with a Leaflet map, its wards drawn (the number the
# frame says it draws, or 0), and its render, update and preview counters with the fills of its wards (a weight
# change that moves no ward to another class, as in Male's six wards, still counts as a new render). The waits run in
# the page (page.wait_for_function, every POLL_S): a wait from Python would cost each poll a round trip through
# Playwright, and 30 sessions polling so would take a core from the browsers being measured.
MAP_JS = """() => {
  for (const frame of document.querySelectorAll('iframe')) {
    let doc = null;
    try { doc = (frame.src || '').includes('/component/') ? frame.contentDocument : null; } catch (e) { doc = null; }
    const c = doc && doc.querySelector('.leaflet-container');
    if (!c) continue;
    const want = Number(c.getAttribute('data-hs-wards') || 0);
    const paths = [...doc.querySelectorAll('path.leaflet-interactive')];
    const counts = ['renders', 'updates', 'previews'].map((k) => c.getAttribute('data-hs-' + k)).join('|');
    return {drawn: want > 0 && paths.length >= want ? want : 0,
            fills: counts + '|' + paths.map((p) => p.getAttribute('fill')).join()};
  }
  return {drawn: 0, fills: null};
}"""
# The wall's heading ("The wall: N published") shows at least n items and the wall is not behind the room.
WALL_WAIT_JS = """(n) => {
  const text = document.body.textContent;
  const m = text.match(/The wall: (\\d+) published/);
  return !!m && Number(m[1]) >= n && !text.includes('the wall adds it in a moment');
}"""
DRAWN_WAIT_JS = "(n) => { const m = (" + MAP_JS + ")(); return m.drawn > 0 && (n === null || m.drawn === n); }"
# Texts and buttons, looked for in the page every POLL_S: Playwright's own waits for a locator (get_by_text(...)
# .wait_for()) test the page on every animation frame, about 1.2 CPU-s per 20 s of waiting for each page (a probe of
# one page on the Room tab), which 30 waiting pages took from the browsers being measured.
TEXT_JS = "(t) => document.body.textContent.includes(t)"
BUTTON_JS = "(t) => [...document.querySelectorAll('button')].some((b) => b.textContent.trim() === t)"
PUBLISH_FORM_JS = (
    "() => " + BUTTON_JS + "('Publish') && [...document.querySelectorAll('[data-testid=stSelectbox]')]"
    ".some((b) => b.textContent.includes('City'))"
)
# The Room tab drawn: the run ended (Streamlit's status says "Running" meanwhile), the wall's heading is there and
# every map on it (an SVG picture) has its wards. A person reads the wall before publishing: a click while the tab
# is still drawing would count the tab's drawing as the publish's.
ROOM_DRAWN_JS = """() => {
  const status = document.querySelector('[data-testid="stStatusWidget"]');
  const wall = /The wall: (\\d+) published/.exec(document.body.textContent);
  if ((status && status.textContent.includes('Running')) || !wall) return false;
  const maps = [...document.querySelectorAll('svg[aria-label^="Risk map: "]')];
  return Number(wall[1]) === 0 || (maps.length > 0 && maps.every((m) => m.querySelector('path.ward')));
}"""
PUBLISHED_JS = "() => /Published .+ under /.test(document.body.textContent)"
REFILLED_WAIT_JS = (
    "([before, n]) => { const m = (" + MAP_JS + ")(); return m.fills !== null && m.fills !== before && m.drawn === n; }"
)


def server_cpu_s(pid: int) -> float:
    """CPU seconds the server process has used (user + system, Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_s() -> float:
    """CPU seconds all cores of the machine have spent busy (Linux /proc/stat: everything but idle and iowait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def cpu_by_kind(server_pid: int) -> dict[str, float]:
    """CPU seconds used so far by the server, Chromium's page renderers, the rest of Chromium (browser, GPU and
    utility processes), Playwright's driver and this script (Linux /proc; processes that ended are not counted)."""
    used = dict.fromkeys(("server", "page renderers", "rest of Chromium", "Playwright and this script"), 0.0)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        seconds = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        if int(entry.name) == server_pid:
            used["server"] += seconds
        elif "chromium" in command:
            used["page renderers" if "--type=renderer" in command else "rest of Chromium"] += seconds
        elif int(entry.name) == os.getpid() or "playwright" in command:
            used["Playwright and this script"] += seconds
    return used


def server_rss_mb(pid: int) -> float:
    """Resident memory of the server process (Linux /proc), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def wait_in_page(page, js: str, arg, what: str) -> float:
    """Wait (in the page, every :data:`POLL_S`) until ``js(arg)`` is true; the seconds it took."""
    start = time.perf_counter()
    try:
        await page.wait_for_function(js, arg=arg, polling=POLL_S * 1000, timeout=TIMEOUT_S * 1000)
    except Exception as exc:  # noqa: BLE001 - named for the report
        raise TimeoutError(what) from exc
    return time.perf_counter() - start


async def wards_drawn(page, n: int | None, what: str) -> float:
    """Wait until the map shows its wards (all ``n`` of them when given); the seconds it took."""
    return await wait_in_page(page, DRAWN_WAIT_JS, n, what)


def note(number: int, step: str, times: dict) -> None:
    print(f"  session {number:2d}: {step:<14} {times[step][-1]:6.2f} s", flush=True)


async def session(
    browser, url: str, code: str, number: int, wards: dict[str, int], times: dict, seen: dict, pace: dict
) -> None:
    """One group's walk through the workshop; its step times go into ``times``."""
    rng = random.Random(number)

    async def think() -> None:  # a person reads the page before the next step
        await asyncio.sleep(pace["think"] * rng.uniform(0.5, 1.5))

    await asyncio.sleep(number * pace["arrival"])
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_S * 1000)  # a loaded machine is slow to click: the steps' times say how slow
    page = await context.new_page()
    start = time.perf_counter()
    await page.goto(url, wait_until="commit")
    await wards_drawn(page, None, "first map")
    times["first map"].append(time.perf_counter() - start)
    note(number, "first map", times)
    try:
        await wait_in_page(page, TEXT_JS, "Wards ranked by risk", "first page")
    finally:  # a session that failed to arrive holds nobody back
        pace["arrived"] += 1
        if pace["arrived"] == pace["sessions"]:
            pace["all here"].set()
    await pace["all here"].wait()  # the room is full: the work begins
    await asyncio.sleep(pace["spread"] * rng.random())

    await page.get_by_role("tab", name="Room").click()
    await page.get_by_role("textbox", name="Join code").fill(code)
    await page.get_by_role("button", name="Join the room").click()
    start = time.perf_counter()
    await wait_in_page(page, TEXT_JS, f"Room code {code}", "join")
    times["join"].append(time.perf_counter() - start)
    note(number, "join", times)
    await think()

    await page.get_by_role("tab", name="Map").click()
    await wards_drawn(page, None, "map tab")
    await wait_in_page(page, TEXT_JS, "Wards ranked by risk", "map tab")
    city = CITIES[number % len(CITIES)]
    box = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").filter(has_text="City").first
    await box.locator("input, [role='combobox']").first.click()
    await page.get_by_role("option", name=city, exact=True).click()
    times["switch city"].append(await wards_drawn(page, wards[city], "city switch"))
    note(number, "switch city", times)
    await think()

    before = (await page.evaluate(MAP_JS))["fills"]
    slider = page.locator("[data-testid='stSidebar'] [data-testid='stSlider']").filter(has_text="Individual dimension")
    await slider.first.locator("input[type='range']").first.focus()
    await page.keyboard.press("ArrowRight")
    times["change weight"].append(await wait_in_page(page, REFILLED_WAIT_JS, [before, wards[city]], "weight change"))
    note(number, "change weight", times)
    await think()

    await page.get_by_role("textbox", name="Save the current settings as").fill(f"Group {number}")
    await page.get_by_role("button", name="Save scenario").click()
    await wait_in_page(page, BUTTON_JS, "Download this scenario", "save scenario")
    start = time.perf_counter()
    await page.get_by_role("tab", name="Room").click()
    publish = page.get_by_role("button", name="Publish")
    await wait_in_page(page, PUBLISH_FORM_JS, None, "publish form")
    await wait_in_page(page, ROOM_DRAWN_JS, None, "room tab drawn")
    times["room tab"].append(time.perf_counter() - start)
    note(number, "room tab", times)
    start = time.perf_counter()
    await publish.click()
    await wait_in_page(page, PUBLISHED_JS, None, "publish")
    times["publish"].append(time.perf_counter() - start)
    note(number, "publish", times)
    # the wall follows the confirmation (ui.wall): until it shows the group's own item, that is, at least the items
    # the room held up to it (no item is removed here, item IDs increase)
    ws = parse_qs(urlparse(page.url).query)["ws"][0]
    items = pace["store"].room_items(pace["room"])
    own = max(item.id for item in items if item.ws == ws)
    await wait_in_page(page, WALL_WAIT_JS, sum(item.id <= own for item in items), "wall after publish")
    times["on the wall"].append(time.perf_counter() - start)
    note(number, "on the wall", times)
    seen[number] = {"url": page.url, "page": page, "context": context}


async def check_walls(seen: dict, sessions: int, checks: int) -> list[str]:
    """A few sessions refresh the wall: it must list every published item."""
    problems = []
    for number in list(seen)[:checks]:
        page = seen[number]["page"]
        try:
            await page.get_by_role("button", name="Refresh").click()
            await page.get_by_text(f"The wall: {len(seen)} published").wait_for(timeout=120_000)
        except Exception:  # noqa: BLE001 - reported
            problems.append(f"session {number}: the wall does not list the {len(seen)} items published")
    return problems


def warm_up(url: str, server_pid: int | None = None) -> float | None:
    """One visit before the sessions, so that imports and the first city's scoring are not counted.

    With ``server_pid``, a second visit in a new context gauges the host: the Chromium CPU seconds of a warm page
    load, returned. This shared host's speed changes from hour to hour (the same code's page load cost 4-8 CPU-s on
    different days), and a room run's times follow it: runs are compared by this figure, not by the clock."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page()
        page.goto(url)
        page.get_by_text("Wards ranked by risk").wait_for(timeout=TIMEOUT_S * 1000)
        spent = None
        if server_pid is not None:
            page.close()  # only the gauge's page is counted
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            time.sleep(2)
            before = cpu_by_kind(server_pid)
            page = context.new_page()
            page.goto(url)
            page.get_by_text("Wards ranked by risk").wait_for(timeout=TIMEOUT_S * 1000)
            time.sleep(2)  # the map's frame and the page settle
            after = cpu_by_kind(server_pid)
            spent = sum(after[k] - before[k] for k in ("page renderers", "rest of Chromium"))
        browser.close()
    return spent


def check_store(db: Path, room: str, seen: dict) -> list[str]:
    """Each session's workspace holds only its own scenario and published only its own item."""
    from hotspots.workspace import open_store

    store = open_store(db)
    problems = []
    workspaces = {number: parse_qs(urlparse(info["url"]).query)["ws"][0] for number, info in seen.items()}
    if len(set(workspaces.values())) != len(workspaces):
        problems.append("two sessions share a workspace")
    items = store.room_items(room)
    for number, ws in workspaces.items():
        if list(store.scenarios(ws)) != [f"Group {number}"]:
            problems.append(f"session {number}: scenarios {list(store.scenarios(ws))}")
        mine = [item for item in items if item.ws == ws]
        if len(mine) != 1 or mine[0].scenario != f"Group {number}":
            problems.append(f"session {number}: published {[(i.city, i.scenario) for i in mine]}")
    return problems


def report(name: str, values: list[float]) -> None:
    values = sorted(values)
    if not values:
        print(f"{name:<16} no figures")
        return
    p95 = values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]
    verdict = f"   target p95 <= {TARGET_P95:g} s: {'met' if p95 <= TARGET_P95 else 'NOT met'}"
    print(
        f"{name:<16} median {statistics.median(values):6.2f} s   p95 {p95:6.2f} s   max {values[-1]:6.2f} s   (n={len(values)}){verdict}"
    )


def renice(pid: int, nice: int) -> None:
    """Every thread of a process at this priority (threads it starts later inherit it; below 0 needs root)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        os.setpriority(os.PRIO_PROCESS, int(task.name), nice)


async def run(
    url: str, code: str, sessions: int, wards: dict[str, int], server_pid: int, pace: dict
) -> tuple[dict, dict, float, dict]:
    from playwright.async_api import async_playwright

    steps = ("first map", "join", "switch city", "change weight", "room tab", "publish", "on the wall")
    times = {step: [] for step in steps}
    pace.update({"arrived": 0, "all here": asyncio.Event()})
    seen: dict = {}
    peak = [0.0]

    async def watch_memory() -> None:
        while True:
            peak[0] = max(peak[0], server_rss_mb(server_pid))
            await asyncio.sleep(0.5)

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        before = cpu_by_kind(server_pid)
        watcher = asyncio.create_task(watch_memory())
        results = await asyncio.gather(
            *(session(browser, url, code, n, wards, times, seen, pace) for n in range(sessions)),
            return_exceptions=True,
        )
        failed = [f"session {n}: {type(r).__name__}: {str(r)[:200]}" for n, r in enumerate(results) if r is not None]
        seen["problems"] = failed + await check_walls({k: v for k, v in seen.items() if k != "problems"}, sessions, 3)
        watcher.cancel()
        split = {kind: seconds - before[kind] for kind, seconds in cpu_by_kind(server_pid).items()}
        await browser.close()
    return times, seen, peak[0], split


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--arrival", type=float, default=2.0, help="seconds between two sessions' arrivals")
    parser.add_argument("--spread", type=float, default=30.0, help="sessions start working within this many s")
    parser.add_argument("--think", type=float, default=15.0, help="seconds between a session's steps (+-50%%)")
    parser.add_argument(
        "--server-nice",
        type=int,
        default=0,
        help="run the server at this priority (e.g. -10, as root): on this machine the 30 browsers share the "
        "server's cores and the server waits behind them for the CPU; a room's laptops would not (default 0, the "
        "browsers' own priority; Chromium sets its threads' priorities itself, so they cannot be lowered instead)",
    )
    args = parser.parse_args()

    from hotspots.demo import demo_cities
    from hotspots.workspace import open_store

    wards = {f"{d.name} (synthetic demo)": d.n_wards for d in demo_cities().values()}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "workspace.sqlite3"
        os.environ["HOTSPOTS_DB"] = str(db)
        os.environ.pop("HOTSPOTS_ROOM_PASSCODE", None)
        server, url = start_server(ROOT / "app.py", Path(tmp) / "server.log")
        try:
            if args.server_nice:
                renice(server.pid, args.server_nice)
            code, room, _token = open_store(db).create_room()
            print(
                f"{args.sessions} sessions on {url}, room {code}; {os.cpu_count()} cores; arrivals {args.arrival:g} s "
                f"apart; work starts within {args.spread:g} s, {args.think:g} s (+-50%) between steps; server at nice "
                f"{args.server_nice}",
                flush=True,
            )
            idle = server_rss_mb(server.pid)
            gauge = warm_up(url, server.pid)
            print(f"server warmed up by one visit ({server_cpu_s(server.pid):.1f} CPU-s so far)", flush=True)
            print(
                f"host gauge       a warm page load cost Chromium {gauge:.2f} CPU-s (this host's speed at this hour: "
                "compare runs by it)",
                flush=True,
            )
            cpu, busy = server_cpu_s(server.pid), machine_busy_s()
            started = time.perf_counter()
            pace = {"arrival": args.arrival, "think": args.think, "spread": args.spread, "sessions": args.sessions}
            pace.update({"store": open_store(db), "room": room})
            times, seen, peak, split = asyncio.run(run(url, code, args.sessions, wards, server.pid, pace))
            print(f"all sessions done in {time.perf_counter() - started:.0f} s")
            for step, values in times.items():
                report(step, values)
            report(
                "all actions",
                [v for step in ("join", "switch city", "change weight", "publish") for v in times[step]],
            )
            print(f"server memory    {idle:.0f} MB at start, {peak:.0f} MB at most")
            actions = sum(len(v) for step, v in times.items() if step not in ("on the wall", "room tab"))
            cpu, busy = server_cpu_s(server.pid) - cpu, machine_busy_s() - busy
            print(
                f"server CPU       {cpu:.0f} s in all, {cpu / max(actions, 1):.2f} s per step; the machine was busy "
                f"{busy:.0f} CPU-s of {os.cpu_count() * (time.perf_counter() - started):.0f}: "
                + ", ".join(f"{kind} {seconds / max(busy, 1e-9):.0%}" for kind, seconds in split.items())
            )
            problems = seen.pop("problems") + check_store(db, room, seen)
            print("isolation        " + ("every session saw only its own and published data" if not problems else ""))
            for problem in problems:
                print(f"  PROBLEM {problem}")
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except Exception:  # noqa: BLE001
                server.kill()


if __name__ == "__main__":
    main()
