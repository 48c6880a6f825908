"""How a browser on the Room tab learns that the wall changed, without redrawing its page to find out.

Each room has a *signal*: a few bytes saying the room's revision (:meth:`hotspots.workspace.Store.room_revision`:
something was published, removed, or the room closed) and the revision of the last wall built for it
(:func:`ui.cache.built_revision`). The server writes it into a file of the app's ``static/`` folder
(``static/hotspots-rooms/<digest of the room ID>.txt``, served by Streamlit's static file serving), and an
invisible frame on the Room tab (``ui/room_watch/index.html``) reads it every :data:`POLL_S` seconds (every
:data:`QUIET_POLL_S` in a group's page that does not follow the wall) and reruns the wall when it changed (at most
once per :data:`GAP_S` seconds). Reading a few bytes costs the browser and the server
almost nothing; a timer rerun on the server (``st.fragment(run_every=...)``) made every browser redraw its page on
every tick, about half a CPU-second each time with the wall on it (30 idle pages on the Room tab: 0.67 cores with
the timer, 0.38 now, of which the page renderers 0.59 and 0.09; ``bench/bench_room_idle.py``).

Static files are served without the app's sign-in or room passcode: the signal's file name is a digest of the room's
secret ID (not guessable, and not the ID), and it holds only revision numbers (whether the room is open, how many
items, the last item's number), nothing about what is published. Only this server's publishes, removals and
closings write it (every route to them goes through the app).

The file's name is a digest of the room's secret ID, and the file holds only revision numbers: nothing about what
is published. Where the app has no static serving the frame asks the app to check every :data:`FALLBACK_S`
seconds instead.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import time
from functools import cache
from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components

from ui.cache import built_revision, workspace_store
from ui.map_component import app_dir

SIGNAL_DIR = "hotspots-rooms"
POLL_S = 2  #: seconds between two reads of the signal in a browser that follows the wall (or awaits its own item)
#: seconds between two reads in a group's browser that does not follow the wall: it only shows a line saying what is
#: new. 30 group pages idle on the Room tab cost the machine 0.35 cores reading every 2 s, 0.17 every 6 s (most of it
#: in the reading: the server's static file serving, Chromium's network; bench/bench_room_idle.py).
QUIET_POLL_S = 6
#: seconds at least between two redraws the watcher asks for: in a burst of publishes each browser on the Room tab
#: redraws its wall (1-3 CPU-s with 8 maps) every GAP_S, not for every publish; Refresh shows the latest at once
GAP_S = 15
FALLBACK_S = 30  #: without static serving: seconds between two checks on the server
BUILD = "build"  #: a ``seen`` no signal equals: the frame asks for a run at once (:func:`ask_for_wall`)
KEEP_S = 7 * 24 * 3600  #: signals of rooms not touched for a week are removed when a new one is written


class _Signals:
    """The signals this server has written (file name -> text), and the lock they are read and written under."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.written: dict[str, str] = {}


@cache
def _signals() -> _Signals:
    return _Signals()


@cache
def _component():
    return components.declare_component("hotspots_room_watch", path=str(Path(__file__).resolve().parent / "room_watch"))


def signal_name(room: str) -> str:
    """The file name of the room's signal: a digest of its ID (the ID itself is a secret of the room)."""
    return hashlib.sha256(f"hotspots room signal|{room}".encode()).hexdigest()[:32] + ".txt"


def signal_of(revision, built) -> str:
    """A signal's text: the room's revision and the revision of its last wall built (``-`` when none is held)."""
    return "/".join(
        [".".join(map(str, revision or ("closed",))), ".".join(map(str, built)) if built is not None else "-"]
    )


def signal_text(room: str) -> str:
    """The room's signal now."""
    return signal_of(workspace_store().room_revision(room), built_revision(room))


def _serving() -> bool:
    return bool(st.get_option("server.enableStaticServing"))


def post_signal(room: str) -> str:
    """Write the room's signal as it is now, when it changed (call it after anything that changes the room or its
    wall); returns it. The text is read and written under one lock, so the file always ends at the newest state."""
    signals = _signals()
    with signals.lock:
        text = signal_text(room)
        name = signal_name(room)
        if not _serving() or signals.written.get(name) == text:
            return text
        folder = app_dir() / "static" / SIGNAL_DIR
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if name not in signals.written:
                _prune(folder)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".signal-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(text)
            os.replace(tmp, folder / name)  # a reader sees the old text or the new, never half of it
        except OSError:  # a read-only app folder: the frame falls back to checking every FALLBACK_S
            return text
        signals.written[name] = text
        return text


def _prune(folder: Path) -> None:
    cutoff = time.time() - KEEP_S
    for path in folder.glob("*.txt"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue


def watch_room(room: str, seen: str, follow: bool = True, awaiting: bool = False) -> None:
    """The watcher of the room's signal: when the signal differs from ``seen`` (the one the wall was drawn at), the
    fragment holding it (the wall) runs again, or, not following (``follow`` false), the frame shows a line saying
    what is new with a button that runs it again. With ``awaiting`` (this session's publish is not on the wall shown
    yet) each newer wall built runs it again, following or not; a closing is always followed."""
    _component()(
        key="room_watch",
        default=None,
        height=0,
        follow=follow,
        awaiting=awaiting,
        url=f"../../app/static/{SIGNAL_DIR}/{signal_name(room)}",
        seen=seen,
        every_ms=(POLL_S if follow or awaiting else QUIET_POLL_S) * 1000,
        fallback_ms=FALLBACK_S * 1000,
        gap_ms=GAP_S * 1000,
    )


def ask_for_wall(item: int | None, fragments: list[str]) -> None:
    """The publish form's frame (the watcher's, reading no signal): in the run that shows the confirmation of this
    session's publish of ``item``, it asks at once, once, for a run of the fragments keyed ``fragments`` (the form
    and the wall, in that order), so that the confirmation is drawn first, alone, and the wall follows in a run of
    its own; with no ``item`` it does nothing. One frame that stays on the form (a new frame for each publish cost
    a loaded browser seconds to create before it could ask)."""
    _component()(
        key="ask_for_wall",
        default=None,
        height=0,
        url=None,
        seen=BUILD if item is not None else "idle",
        nonce=item,
        rerun=fragments,  # for the reader of the page (the frame reports a value; the callback asks for the run)
        on_change=st.rerun,
        args=(fragments,),
    )
