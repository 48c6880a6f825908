"""What one group's steps cost its browser: Chromium CPU seconds per step of one quiet session, in a room whose wall
holds six published maps; optionally against another checkout of the app, alternating, to see what a change saves.

The 30-session room (``bench/bench_room.py``) is bound on this machine by the browsers' own rendering: its step
times follow from what each step costs a page. This script measures that cost where it can be compared: one
Chromium page, nothing else running, each step as ``bench_room.py`` takes it (join, back to the map, switch city,
change a weight, save a scenario, the Room tab, publish), and the CPU used by the page's renderer and the rest of
Chromium from the action until 4 s after it is done (8 s after a publish, whose wall follows). CPU seconds, not
wall time: on a quiet machine a step's wall time says little about what thirty pages sharing two cores would wait.

``--slow-run S`` measures something else: what a page costs its browser while it *waits* for the server, as every
page does in a loaded room. The app runs behind a wrapper whose runs take S seconds more while a switch is on; one
page changes a weight five times with the switch off and five times with it on, and the Chromium CPU of each change
is counted until 4 s after its run.

Run from the repository root::

    python bench/bench_steps.py                          # this checkout, 3 walks
    python bench/bench_steps.py --against /tmp/other     # and a checkout at another commit, alternating
    python bench/bench_steps.py --slow-run 3 --against /tmp/other
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import bench_room as room_bench  # noqa: E402
from bench_browser import CHROMIUM, CHROMIUM_ARGS, start_server  # noqa: E402
from bench_room_idle import populate as populate_room  # noqa: E402

WALL_ITEMS = 6
SETTLE_S = 4.0
STEPS = ("join", "back to the map", "switch city", "change weight", "save scenario", "room tab", "publish")


def populate(db: Path, items: int) -> str:
    """A room with ``items`` published maps (:func:`bench_room_idle.populate`); its join code."""
    from hotspots.workspace import open_store

    return open_store(db).room_code(populate_room(db, items))


def chromium_cpu(server_pid: int) -> float:
    used = room_bench.cpu_by_kind(server_pid)
    return used["page renderers"] + used["rest of Chromium"]


async def walk(browser, url: str, code: str, server_pid: int, wards: dict[str, int]) -> dict[str, float]:
    """One session through the steps; the Chromium CPU seconds of each."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    spent: dict[str, float] = {}

    async def text(t: str) -> None:
        await room_bench.wait_in_page(page, room_bench.TEXT_JS, t, t)

    await page.goto(url)
    await room_bench.wards_drawn(page, None, "first map")
    await text("Wards ranked by risk")
    await asyncio.sleep(2 * SETTLE_S)

    async def join() -> None:
        await page.get_by_role("tab", name="Room").click()
        await page.get_by_role("textbox", name="Join code").fill(code)
        await page.get_by_role("button", name="Join the room").click()
        await room_bench.wait_in_page(page, room_bench.ROOM_DRAWN_JS, None, "join")

    async def back() -> None:
        await page.get_by_role("tab", name="Map").click()
        await room_bench.wards_drawn(page, None, "map tab")
        await text("Wards ranked by risk")

    city = room_bench.CITIES[0]

    async def switch() -> None:
        box = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").filter(has_text="City").first
        await box.locator("input, [role='combobox']").first.click()
        await page.get_by_role("option", name=city, exact=True).click()
        await room_bench.wards_drawn(page, wards[city], "city switch")
        await text("Wards ranked by risk")

    async def weight() -> None:
        before = (await page.evaluate(room_bench.MAP_JS))["fills"]
        slider = page.locator("[data-testid='stSidebar'] [data-testid='stSlider']").filter(
            has_text="Individual dimension"
        )
        await slider.first.locator("input[type='range']").first.focus()
        await page.keyboard.press("ArrowRight")
        await room_bench.wait_in_page(page, room_bench.REFILLED_WAIT_JS, [before, wards[city]], "weight change")

    async def save() -> None:
        await page.get_by_role("textbox", name="Save the current settings as").fill("Group X")
        await page.get_by_role("button", name="Save scenario").click()
        await room_bench.wait_in_page(page, room_bench.BUTTON_JS, "Download this scenario", "save scenario")

    async def to_room() -> None:
        await page.get_by_role("tab", name="Room").click()
        await room_bench.wait_in_page(page, room_bench.PUBLISH_FORM_JS, None, "publish form")
        await room_bench.wait_in_page(page, room_bench.ROOM_DRAWN_JS, None, "room tab drawn")

    async def publish() -> None:
        await page.get_by_role("button", name="Publish").click()
        await room_bench.wait_in_page(page, room_bench.PUBLISHED_JS, None, "publish")

    for name, step in zip(STEPS, (join, back, switch, weight, save, to_room, publish)):
        before = chromium_cpu(server_pid)
        await step()
        await asyncio.sleep(2 * SETTLE_S if name == "publish" else SETTLE_S)
        spent[name] = chromium_cpu(server_pid) - before
    await context.close()
    return spent


async def run(servers: dict, codes: dict, repeat: int) -> dict[str, list[dict[str, float]]]:
    """``repeat`` walks on each server, alternating which goes first."""
    from playwright.async_api import async_playwright

    from hotspots.demo import demo_cities

    wards = {f"{d.name} (synthetic demo)": d.n_wards for d in demo_cities().values()}
    walks = {name: [] for name in servers}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for number in range(repeat):
            order = list(servers) if number % 2 == 0 else list(servers)[::-1]
            for name in order:
                proc, url = servers[name]
                walks[name].append(await walk(browser, url, codes[name], proc.pid, wards))
                print(f"  walk {number + 1} of {repeat}: {name} done", flush=True)
        await browser.close()
    return walks


# The app behind a wrapper: while a file named "slow" sits next to it, each run takes SLOW_S seconds more.
SLOW_APP = """import os, time
from pathlib import Path

if (Path(__file__).resolve().parent / "slow").exists():
    time.sleep(float(os.environ["SLOW_S"]))
APP = {app!r}
exec(compile(Path(APP).read_text(encoding="utf-8"), APP, "exec"), {{"__file__": APP, "__name__": "__main__"}})
"""
SLOW_CHANGES = 5


def slow_wrapper(app: Path, folder: Path) -> Path:
    """The wrapper of ``app`` in ``folder``, beside links to the app's settings and static files (Streamlit reads
    them next to the script it runs)."""
    (app.parent / "static").mkdir(exist_ok=True)  # the app fills it when it starts (git-ignored)
    for name in (".streamlit", "static"):
        (folder / name).symlink_to(app.parent / name, target_is_directory=True)
    script = folder / "slow_app.py"
    script.write_text(SLOW_APP.format(app=str(app)), encoding="utf-8")
    return script


async def waiting_page(browser, url: str, server_pid: int, switch: Path, slow_s: float) -> dict[str, list[float]]:
    """One page changing a weight with quick runs, then with runs ``slow_s`` longer: Chromium CPU-s of each."""
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    await page.goto(url)
    await room_bench.wards_drawn(page, None, "first map")
    await room_bench.wait_in_page(page, room_bench.TEXT_JS, "Wards ranked by risk", "first map")
    await asyncio.sleep(2 * SETTLE_S)
    slider = page.locator("[data-testid='stSidebar'] [data-testid='stSlider']").filter(has_text="Individual dimension")
    spent: dict[str, list[float]] = {"quick run": [], f"run {slow_s:g} s longer": []}
    for label, extra in zip(spent, (0.0, slow_s)):
        if extra:
            switch.touch()
        for number in range(SLOW_CHANGES):
            before = chromium_cpu(server_pid)
            await slider.first.locator("input[type='range']").first.focus()
            await page.keyboard.press("ArrowRight" if number % 2 == 0 else "ArrowLeft")
            await asyncio.sleep(extra + SETTLE_S)
            spent[label].append(chromium_cpu(server_pid) - before)
    switch.unlink()
    await page.close()
    return spent


async def run_waiting(servers: dict, switches: dict, slow_s: float) -> dict[str, dict[str, list[float]]]:
    from playwright.async_api import async_playwright

    found = {}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for name, (proc, url) in servers.items():
            found[name] = await waiting_page(browser, url, proc.pid, switches[name], slow_s)
            print(f"  {name} done", flush=True)
        await browser.close()
    return found


def main_waiting(apps: dict[str, Path], slow_s: float) -> None:
    """``--slow-run``: each app's page with quick and slow runs, one app after the other."""
    os.environ["SLOW_S"] = str(slow_s)
    servers, switches = {}, {}
    try:
        for name, app in apps.items():
            folder = Path(tempfile.mkdtemp(prefix="bench_steps_"))
            os.environ["HOTSPOTS_DB"] = str(folder / "workspace.sqlite3")
            servers[name] = start_server(slow_wrapper(app, folder), folder / "server.log")
            switches[name] = folder / "slow"
            room_bench.warm_up(servers[name][1])
        found = asyncio.run(run_waiting(servers, switches, slow_s))
    finally:
        for proc, _ in servers.values():
            proc.terminate()
    print(f"\nChromium CPU-s per weight change, until {SETTLE_S:g} s after its run", end=" ")
    print(f"(median of {SLOW_CHANGES}; each in brackets)")
    for name, spent in found.items():
        print(f"  {name}")
        for label, values in spent.items():
            print(f"    {label:<18}{statistics.median(values):5.2f} [{' '.join(f'{v:.2f}' for v in values)}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="walks per app (default 3)")
    parser.add_argument("--against", type=Path, help="another checkout of the app (a folder with app.py)")
    parser.add_argument("--slow-run", type=float, metavar="S", help="measure a page waiting S s for each run")
    args = parser.parse_args()
    apps = {"this checkout": ROOT / "app.py"}
    if args.against:
        apps[f"{args.against}"] = args.against / "app.py"
    if args.slow_run:
        main_waiting(apps, args.slow_run)
        return
    servers, codes = {}, {}
    try:
        for name, app in apps.items():
            folder = Path(tempfile.mkdtemp(prefix="bench_steps_"))
            os.environ["HOTSPOTS_DB"] = str(folder / "workspace.sqlite3")
            codes[name] = populate(folder / "workspace.sqlite3", WALL_ITEMS)
            servers[name] = start_server(app, folder / "server.log")
            room_bench.warm_up(servers[name][1])
        walks = asyncio.run(run(servers, codes, args.repeat))
    finally:
        for proc, _ in servers.values():
            proc.terminate()
    print(f"\nChromium CPU-s per step of one session (median of {args.repeat} walks; each walk's figure in brackets)")
    totals = dict.fromkeys(apps, 0.0)
    for step in STEPS:
        cells = []
        for name in apps:
            values = [w[step] for w in walks[name]]
            totals[name] += statistics.median(values)
            cells.append(f"{statistics.median(values):5.2f} [{' '.join(f'{v:.2f}' for v in values)}]")
        print(f"  {step:<16}" + "   ".join(cells))
    print("  " + "   ".join(f"{name}: {total:.2f} CPU-s in all" for name, total in totals.items()))


if __name__ == "__main__":
    main()
