"""Access to rooms in the store: wrong join codes and passcodes are limited (per workspace and per server, held in the
database), and the room's revision that the wall watches. The clock is a fake one: nothing sleeps."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from test_workspace import fill

from hotspots.errors import DataError
from hotspots.workspace import Store, TooManyAttempts
from hotspots.workspace.limits import WINDOW_S, wait_words

WRONG = "AAAAAAAA"  # a well-formed code no room has (codes are random; the tests check no room got it)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(tmp_path, clock):
    return Store(tmp_path / "ws.sqlite3", clock=clock)


def _room(store) -> tuple[str, str, str]:
    code, room, token = store.create_room()
    assert code != WRONG
    return code, room, token


def _wrong(store, scope: str, times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises(DataError, match="No open room has this code"):
            store.join_room(WRONG, scope=scope)


def test_a_right_code_within_the_limit_works_and_one_over_it_waits(store, clock):
    code, room, _ = _room(store)
    _wrong(store, "group-a", 4)
    assert store.join_room(code, scope="group-a") == room  # 4 wrong: within the limit of 5
    _wrong(store, "group-a")
    with pytest.raises(TooManyAttempts) as refused:  # 5 wrong: even the right code waits (or it would leak)
        store.join_room(code, scope="group-a")
    assert str(refused.value) == (
        "Too many wrong join codes: wait 30 seconds and try again, or ask the facilitator for the code."
    )
    assert store.join_room(code, scope="group-b") == room  # another workspace is not held up
    clock.now += 29.5
    with pytest.raises(TooManyAttempts, match="wait 1 second and"):
        store.join_room(code, scope="group-a")
    clock.now += 0.5
    _wrong(store, "group-a")  # the 6th wrong code: the next wait doubles
    with pytest.raises(TooManyAttempts, match="wait 60 seconds"):
        store.join_room(code, scope="group-a")
    clock.now += 60
    assert store.join_room(code, scope="group-a") == room
    clock.now += WINDOW_S  # an hour later the wrong codes are forgotten
    _wrong(store, "group-a", 4)
    assert store.join_room(code, scope="group-a") == room


def test_the_server_wide_limit_holds_against_new_workspaces_and_a_restart(store, clock, tmp_path):
    code, room, _ = _room(store)
    for n in range(60):  # a script that makes a new workspace for every guess
        _wrong(store, f"script-{n}")
    with pytest.raises(TooManyAttempts, match="wait 30 seconds"):
        store.join_room(code, scope="honest-group")
    restarted = Store(tmp_path / "ws.sqlite3", clock=clock)  # the limit is in the database, not in the process
    with pytest.raises(TooManyAttempts, match="wait 30 seconds"):
        restarted.join_room(code, scope="honest-group")
    clock.now += 30
    assert restarted.join_room(code, scope="honest-group") == room


def test_what_cannot_be_a_code_tests_nothing_and_does_not_count(store):
    code, room, _ = _room(store)
    for typo in ["", "ABC", "ABCDEFGHJ", "0O1IL234", "AAAA AAAA A"]:
        with pytest.raises(DataError, match="A join code is 8 letters and digits"):
            store.join_room(typo, scope="group-a")
    _wrong(store, "group-a", 4)
    assert store.join_room(code.lower(), scope="group-a") == room


def test_a_script_gets_at_most_the_hand_calculated_guesses_a_day(store, clock):
    """limits.py's bound: at most 60 + 6 = 66 wrong codes in any hour, 24 x 66 = 1,584 in a day, whatever the
    script does. The script here tries again the moment it is allowed, from a new workspace each time."""
    start, guesses = clock.now, []
    while clock.now < start + 24 * 3600:
        try:
            store.join_room(WRONG, scope=f"script-{len(guesses)}")
        except TooManyAttempts as exc:
            clock.now += exc.wait_s + 1e-6
            continue
        except DataError:
            guesses.append(clock.now)
    assert len(guesses) <= 24 * 66
    assert max(sum(1 for t in guesses if first <= t < first + 3600) for first in guesses) <= 66
    assert len(guesses) > 24 * 5  # it is a limit, not a wall: the server keeps answering


def test_wrong_passcodes_are_limited_too(store, clock):
    assert store.try_passcode("tea-and-maps", "tea-and-maps", scope="group-a")
    for given in ["coffee", "", None, "tea"]:
        assert not store.try_passcode(given, "tea-and-maps", scope="group-a")
    assert store.try_passcode("tea-and-maps", "tea-and-maps", scope="group-a")
    assert not store.try_passcode("milk", "tea-and-maps", scope="group-a")
    with pytest.raises(TooManyAttempts, match="Too many wrong passcodes: wait 30 seconds .* for the passcode"):
        store.try_passcode("tea-and-maps", "tea-and-maps", scope="group-a")
    _wrong(store, "group-a", 4)  # join codes are counted apart from passcodes


def test_wait_words():
    assert [wait_words(s) for s in (0.2, 1, 40, 119.5, 120, 3600)] == [
        "1 second",
        "1 second",
        "40 seconds",
        "2 minutes",  # 119.5 s rounds up to 120 s: two minutes
        "2 minutes",
        "60 minutes",
    ]


def test_the_revision_changes_exactly_when_the_wall_does(store):
    """The same revision means the same wall (item IDs are never reused), a new wall a new revision."""
    a = fill(store)
    _, room, token = _room(store)
    _, other, _ = _room(store)
    assert store.room_revision("no such room") is None
    seen = []

    def look() -> None:
        wall = (store.room_code(room) is not None, tuple(item.id for item in store.room_items(room)))
        seen.append((store.room_revision(room), wall))

    look()
    first = store.publish(room, a, "My city <b>", "Ideology x3")
    look()
    store.publish(other, a, "My city <b>", "Default")  # another room's wall: no change here
    look()
    second = store.publish(room, a, "My city <b>", "Default")
    look()
    store.remove_item(room, token, first)  # as many items as after the first publish, another one
    look()
    store.remove_item(room, token, second)  # back to the empty wall: the revision it started with
    look()
    store.publish(room, a, "My city <b>", "Default")
    look()
    store.close_room(room, token)
    look()
    assert seen[0][0] == (1, 0, 0) and seen[-1][0] == (0, 0, 0)
    for revision, wall in seen:
        assert {w for r, w in seen if r == revision} == {wall}, seen
    assert len({wall for _, wall in seen}) == 6


def test_a_view_never_keeps_the_facilitators_tokens(store):
    """Earlier versions saved them in the view: whoever had the group's ?ws= link became the facilitator."""
    ws = fill(store)
    _, room, token = _room(store)
    store.set_view(ws, {"tab": "Room", "room": room, "facilitator": {room: token}})
    assert store.view(ws) == {"tab": "Room", "room": room}
    with store.db.transaction() as conn:  # a view written by an earlier version
        conn.execute(
            "UPDATE views SET view=? WHERE ws=?", (json.dumps({"room": room, "facilitator": {room: token}}), ws)
        )
    assert store.view(ws) == {"room": room}
    with zipfile.ZipFile(io.BytesIO(store.export_workspace(ws))) as archive:
        assert json.loads(archive.read("view.json")) == {"room": room}
