"""What one group's steps cost its browser: Chromium CPU seconds per step of one quiet session, in a room whose wall
holds six published maps; optionally against another checkout of the app, alternating, to see what a change saves.

The 30-session room (``bench/bench_room.py``) is bound on this machine by the browsers' own rendering: its step
times follow from what each step costs a page. This script measures that cost where it can be compared: one
Chromium page, nothing else running, each step as ``bench_room.py`` takes it (join, back to the map, switch city,
change a weight, save a scenario, the Room tab, publish), and the CPU used by the page's renderer and the rest of
Chromium from the action until 4 s after it is done (8 s after a publish, whose wall follows). CPU seconds, not
wall time: on a quiet machine a step's wall time says little about what thirty pages sharing two cores would wait.

Run from the repository root::

    python bench/bench_steps.py                          # this checkout, 3 walks
    python bench/bench_steps.py --against /tmp/other     # and a checkout at another commit, alternating
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="walks per app (default 3)")
    parser.add_argument("--against", type=Path, help="another checkout of the app (a folder with app.py)")
    args = parser.parse_args()
    apps = {"this checkout": ROOT / "app.py"}
    if args.against:
        apps[f"{args.against}"] = args.against / "app.py"
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
