"""The room's watcher frame (ui/room_watch/index.html) in Chromium: it tells the app about each change of the room's
signal once, only when the signal differs from what the wall shows, never in a loop, and falls back to a slow check
where the app has no static serving.

The frame runs on its own page here: Playwright serves it and a signal file whose text the test sets, and the test
plays the app (the render messages) and records what the frame sends (its component values).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_browser import CHROMIUM_ARGS, chromium_path  # noqa: F401 -- the shared fixture

FRAME = Path(__file__).resolve().parents[1] / "ui" / "room_watch" / "index.html"
ORIGIN = "http://watch.test"
POLL_MS = 40


@pytest.fixture()
def watch(chromium_path):  # noqa: F811
    from playwright.sync_api import sync_playwright

    signal = {"text": "1.0.0/1.0.0", "status": 200, "reads": 0}

    def serve(route):
        if route.request.url.endswith("/signal.txt"):
            signal["reads"] += 1
            route.fulfill(status=signal["status"], body=signal["text"], content_type="text/plain")
        else:
            route.fulfill(status=200, body=FRAME.read_text(encoding="utf-8"), content_type="text/html")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page()
        page.route(f"{ORIGIN}/**", serve)
        page.add_init_script(  # the frame is its own parent here: collect what it sends to the app
            "window.sent = []; window.heights = []; window.addEventListener('message', (e) => {"
            " if (e.data && e.data.type === 'streamlit:setComponentValue') window.sent.push(e.data.value.signal);"
            " if (e.data && e.data.type === 'streamlit:setFrameHeight') window.heights.push(e.data.height); });"
        )
        page.goto(f"{ORIGIN}/index.html")

        def render(
            seen: str, fallback_ms=60_000, gap_ms=0, follow=True, awaiting=False, every_ms=POLL_MS, **more
        ) -> None:
            args = {"url": "signal.txt", "seen": seen, "every_ms": every_ms, "fallback_ms": fallback_ms}
            args |= {"gap_ms": gap_ms, "follow": follow, "awaiting": awaiting} | more
            page.evaluate("(args) => window.postMessage({type: 'streamlit:render', args: args}, '*')", args)

        def polls(n: int) -> list:
            start = signal["reads"]
            while signal["reads"] < start + n:
                page.wait_for_timeout(POLL_MS)
            return page.evaluate("() => window.sent")

        yield signal, render, polls, page
        browser.close()


def test_the_watcher_reports_each_change_once_and_never_what_is_shown(watch):
    signal, render, polls, _ = watch
    render("1.0.0/1.0.0")
    assert polls(4) == []  # the wall shows what the signal says: nothing to do
    signal["text"] = "1.1.5/1.0.0"  # a publish: the wall at 1.1.5 is being built
    assert polls(1) == []
    signal["text"] = "1.1.5/1.1.5"  # ... and is built by the next read
    assert polls(4) == ["1.1.5/1.1.5"]  # one redraw, once the signal stayed the same for one read
    render("1.1.5/1.1.5")  # the app drew the new wall
    assert polls(4) == ["1.1.5/1.1.5"]


def test_a_signal_behind_the_page_makes_one_report_not_a_loop(watch):
    signal, render, polls, _ = watch
    render("1.0.0/1.0.0")
    signal["text"] = "1.1.5/1.0.0"  # a publish whose wall is still being built (another session builds it)
    assert polls(4) == ["1.1.5/1.0.0"]
    render("1.1.5/1.0.0")  # the page shows the last wall built and says more is coming
    assert polls(4) == ["1.1.5/1.0.0"]
    render("1.2.6/1.0.0")  # the page ran again for another reason and is ahead of the file
    assert polls(6) == ["1.1.5/1.0.0"]  # the file lags: no report, and no loop of reruns
    signal["text"] = "1.2.6/1.2.6"
    assert polls(4) == ["1.1.5/1.0.0", "1.2.6/1.2.6"]


def test_without_static_serving_the_watcher_asks_the_app_now_and_then(watch):
    signal, render, polls, page = watch
    signal["status"] = 404  # the app runs without server.enableStaticServing: no signal file
    render("1.0.0/1.0.0", fallback_ms=400)
    assert polls(1) == []
    page.wait_for_function("() => window.sent.length > 0", timeout=10_000)
    assert page.evaluate("() => window.sent") == [None]  # a check: the wall reads the room's revision itself


def test_in_a_burst_of_publishes_the_wall_is_redrawn_at_most_once_per_gap(watch):
    signal, render, polls, page = watch
    render("1.0.0/1.0.0", gap_ms=3000)
    signal["text"] = "1.1.5/1.1.5"
    assert polls(3) == ["1.1.5/1.1.5"]  # the first change after a quiet time: at once
    render("1.1.5/1.1.5", gap_ms=3000)
    signal["text"] = "1.2.6/1.2.6"  # the next publish, a moment later
    assert polls(6) == ["1.1.5/1.1.5"]  # waits for the gap
    signal["text"] = "1.3.7/1.3.7"  # and another
    page.wait_for_function("() => window.sent.length > 1", timeout=10_000)
    assert polls(3) == ["1.1.5/1.1.5", "1.3.7/1.3.7"]  # then one redraw catches up with both


def test_after_its_own_publish_the_page_asks_for_its_wall_at_once(watch):
    """The publishing session's run shows the last wall built (its confirmation comes first) and leaves the new wall
    to build: the watcher asks for it as soon as that run is drawn (not two reads later), once per run, even when it
    has already reported the publish's signal."""
    signal, render, polls, page = watch
    render("1.0.0/1.0.0", gap_ms=60_000)
    signal["text"] = "1.1.5/1.0.0"  # the publish, read by the watcher while the publishing run still goes on
    assert polls(4) == ["1.1.5/1.0.0"]
    signal["text"] = "1.2.6/1.0.0"  # another publish, not read yet (reading it twice would take a minute below)
    render("build", gap_ms=0, every_ms=60_000)  # the run ended: the wall is still to build
    page.wait_for_function("() => window.sent.length > 1", timeout=5_000)  # at once, without reading the file
    assert page.evaluate("() => window.sent") == ["1.1.5/1.0.0", "1.1.5/1.0.0"]
    render("build", gap_ms=0, every_ms=60_000)  # the same run drawn again (a frame is rendered more than once)
    page.wait_for_timeout(500)
    assert page.evaluate("() => window.sent") == ["1.1.5/1.0.0", "1.1.5/1.0.0"]  # no second ask


def test_a_group_not_following_gets_a_line_and_redraws_only_when_asked(watch):
    """Not following (a group's page), a change is not reported: the frame shows what is new and a button that
    asks for the wall; a closing and the page's own build request are reported all the same."""
    signal, render, polls, page = watch
    render("1.2.6/1.2.6", follow=False)
    signal["text"] = "1.5.9/1.5.9"  # three publishes, their wall built by another session
    assert polls(6) == []  # no redraw of its own accord
    news = page.locator("#news")
    assert news.is_visible()
    assert news.inner_text().startswith("3 new maps were published since this wall was drawn.")
    assert page.evaluate("() => window.heights").pop() > 0  # the line takes room on the page
    page.get_by_role("button", name="Show the new wall").click()
    # the frame's message reaches the page in a task of its own (CI once read it before it came)
    page.wait_for_function("() => window.sent.length > 0", timeout=5_000)
    assert page.evaluate("() => window.sent") == ["1.5.9/1.5.9"]  # asked: one redraw
    render("1.5.9/1.5.9", follow=False)  # the app drew it
    assert polls(4) == ["1.5.9/1.5.9"] and not news.is_visible()
    assert page.evaluate("() => window.heights").pop() == 0
    render("build", follow=False)  # this session published: its wall is drawn without asking
    assert polls(2) == ["1.5.9/1.5.9", "1.5.9/1.5.9"]
    render("1.5.9/1.5.9", follow=False)
    signal["text"] = "0.5.9/1.5.9"  # the facilitator closed the room: the page says so at once
    assert polls(4) == ["1.5.9/1.5.9", "1.5.9/1.5.9", "0.5.9/1.5.9"]


def test_turning_follow_on_takes_the_line_away_and_follows(watch):
    signal, render, polls, page = watch
    render("1.2.6/1.2.6", follow=False)
    signal["text"] = "1.1.6/1.1.6"  # an item removed
    assert polls(4) == []
    assert page.locator("#news").inner_text().startswith("The wall has changed since it was drawn.")
    render("1.2.6/1.2.6", follow=True)  # the group turned "Follow live" on (the wall ran, still at 1.2.6)
    assert not page.locator("#news").is_visible()
    assert polls(2) == ["1.1.6/1.1.6"]


def test_a_page_awaiting_its_own_publish_follows_each_newer_wall_built(watch):
    """Not following, a page whose own item is not on the wall shown yet (another session was building) redraws
    when a newer wall is built, once per wall built and whatever the gap; not for a publish alone."""
    signal, render, polls, _ = watch
    signal["text"] = "1.2.6/1.1.5"
    render("1.2.6/1.1.5", follow=False, awaiting=True, gap_ms=60_000)  # item 6 is this page's, not on its wall
    signal["text"] = "1.3.7/1.1.5"  # another publish: no wall built yet
    assert polls(4) == []
    signal["text"] = "1.3.7/1.3.7"  # a wall with both built
    assert polls(4) == ["1.3.7/1.3.7"]
    render("1.3.7/1.3.7", follow=False)  # drawn: its item is there, it awaits nothing
    signal["text"] = "1.4.8/1.4.8"
    assert polls(4) == ["1.3.7/1.3.7"]  # back to the line with a button


def test_the_publish_forms_frame_asks_once_for_each_item_published(watch):
    """The publish form's frame (ui.room_signal.ask_for_wall: no signal to read) stays on the form: it asks for the
    wall's run once in the run after a publish, not when the form is drawn again, and again for the next item."""
    _, render, _, page = watch
    ask = {"url": None, "fallback_ms": 60_000}
    render("idle", nonce=None, **ask)  # the form before any publish
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.sent") == []
    render("build", nonce=7, **ask)  # the run after the publish of item 7
    page.wait_for_function("() => window.sent.length === 1", timeout=5_000)
    render("build", nonce=7, **ask)  # the same run drawn again
    page.wait_for_timeout(300)
    assert len(page.evaluate("() => window.sent")) == 1
    render("build", nonce=8, **ask)  # a second publish before the form's next run
    page.wait_for_function("() => window.sent.length === 2", timeout=5_000)
    render("idle", nonce=None, **ask)  # the form's next run
    page.wait_for_timeout(300)
    assert len(page.evaluate("() => window.sent")) == 2
    render("build", nonce=9, **ask)  # the next publish
    page.wait_for_function("() => window.sent.length === 3", timeout=5_000)
