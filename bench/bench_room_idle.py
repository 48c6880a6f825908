"""What browsers that wait cost a room: N pages idle on the Map tab, then on the Room tab with a wall, in cores.

Starts ``streamlit run app.py`` on 127.0.0.1 with its own workspace database, publishes ``--items`` demo cities to a
room (straight into the store), opens N Chromium contexts on the app (one after another: the CPU-seconds per page
load are printed), lets them settle, then measures ``--seconds`` of idle time on the Map tab and on the Room tab
(the wall drawn), split by process kind (the server, Chromium's page renderers, the rest of Chromium, Playwright
and this script). A page that waits should cost almost nothing: the wall learns of news from a few bytes read every
few seconds (``ui/room_signal.py``: 6 s in a group's page, the pages here), not from a rerun of the page.

Run from the repository root::

    python bench/bench_room_idle.py              # 30 pages, 8 items, 60 s each
    python bench/bench_room_idle.py --pages 5
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from bench_browser import CHROMIUM, CHROMIUM_ARGS, start_server  # noqa: E402
from bench_room import cpu_by_kind  # noqa: E402


def populate(db: Path, items: int) -> str:
    """A room with ``items`` demo cities published, each by its own workspace under its own scenario."""
    from hotspots.method import Method
    from hotspots.workspace import open_store
    from ui.state import demo_specs

    store = open_store(db)
    _code, room, _token = store.create_room()
    specs = list(demo_specs().values())
    for number in range(items):
        ws = store.create_workspace()
        spec = specs[number % len(specs)]
        store.put_city(ws, spec)
        store.save_scenario(ws, f"Group {number}", Method(seed=number))
        store.publish(room, ws, spec["label"], f"Group {number}")
    return room


def cores(before: dict, server_pid: int, seconds: float) -> str:
    after = cpu_by_kind(server_pid)
    used = {kind: (after[kind] - before[kind]) / seconds for kind in after}
    return f"{sum(used.values()):.2f} cores: " + ", ".join(f"{kind} {value:.3f}" for kind, value in used.items())


async def run(url: str, room: str, pages: int, seconds: float, server_pid: int) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        opened = []
        before, start = cpu_by_kind(server_pid), time.perf_counter()
        for _ in range(pages):
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            page = await context.new_page()
            await page.goto(f"{url}/?room={room}")
            await page.get_by_text("Wards ranked by risk").wait_for(timeout=300_000)
            opened.append(page)
        after = cpu_by_kind(server_pid)
        print(
            f"{pages} page loads one after another in {time.perf_counter() - start:.0f} s; CPU-s per load: "
            + ", ".join(f"{kind} {(after[kind] - before[kind]) / pages:.2f}" for kind in after),
            flush=True,
        )
        await asyncio.sleep(30)  # settle
        before = cpu_by_kind(server_pid)
        await asyncio.sleep(seconds)
        print(f"{pages} pages idle on the Map tab:  {cores(before, server_pid, seconds)}", flush=True)
        for page in opened:
            await page.get_by_role("tab", name="Room").click()
        for page in opened:
            await page.get_by_text("The cities in numbers").wait_for(timeout=300_000)
        await asyncio.sleep(30)
        before = cpu_by_kind(server_pid)
        await asyncio.sleep(seconds)
        print(f"{pages} pages idle on the Room tab: {cores(before, server_pid, seconds)}", flush=True)
        await browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=30)
    parser.add_argument("--items", type=int, default=8, help="demo cities published to the room")
    parser.add_argument("--seconds", type=float, default=60.0, help="idle time measured on each tab")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "workspace.sqlite3"
        os.environ["HOTSPOTS_DB"] = str(db)
        os.environ.pop("HOTSPOTS_ROOM_PASSCODE", None)
        room = populate(db, args.items)
        server, url = start_server(ROOT / "app.py", Path(tmp) / "server.log")
        print(f"{args.pages} pages on {url}, a room with {args.items} items; {os.cpu_count()} cores", flush=True)
        try:
            asyncio.run(run(url, room, args.pages, args.seconds, server.pid))
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
