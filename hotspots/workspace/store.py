"""The workspace store: cities, scenarios, notes and the view of each workspace, and the rooms of a workshop.

A workspace is one group's work, named by a random, unguessable ID (it travels in the app's URL). A room is a
workshop's shared wall: a facilitator opens it and gets a short join code and a secret token (stored only as its
SHA-256; the facilitator's rights come from that token and nothing else); groups publish a city under a scenario to
it (a copy, made when published); only published items are visible in the room. Wrong join codes and passcodes are
counted here, so guessing is limited across sessions and restarts (:mod:`hotspots.workspace.limits`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hotspots.errors import DataError
from hotspots.method import Method
from hotspots.workspace import limits, specs
from hotspots.workspace._db import Database, default_path

#: Join codes use letters and digits that cannot be mistaken for each other when read aloud or off a screen
#: (no 0/O, 1/I/L); 8 of 31 symbols: 31^8 = 8.5e11 codes. With at most 1,584 wrong codes a day on a server
#: (:mod:`hotspots.workspace.limits`), a day of guessing finds one open room's code with a chance of 1.9e-9.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
_ID = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
MAX_NAME = 200  # characters of a scenario name
MAX_NOTE = 10_000  # characters of a note
#: Keys a view never keeps: earlier versions saved the facilitator's tokens in the view, so that whoever had the
#: group's ?ws= link became the facilitator. Dropped when a view is saved, read or exported.
SECRET_VIEW_KEYS = ("facilitator",)


@dataclass(frozen=True)
class RoomItem:
    """A city published to a room under a scenario: everything the wall needs to score and draw it."""

    id: int
    ws: str
    city: str
    scenario: str
    method: Method
    spec: dict
    published: float


def open_store(path: str | os.PathLike | None = None) -> Store:
    """The store in ``path`` (default: ``$HOTSPOTS_DB``, else ``~/.local/share/hotspots/workspace.sqlite3``)."""
    return Store(path or default_path())


def check_name(name: Any, what: str = "scenario name", limit: int = MAX_NAME) -> str:
    """A scenario name (or city label) trimmed; refused when empty or too long."""
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > limit:
        raise DataError(f"A {what} must be a text of 1 to {limit} characters.")
    return name.strip()


class Store:
    """Workspaces and rooms in one SQLite file (see :mod:`hotspots.workspace._db`). Safe to share between threads."""

    def __init__(self, path: str | os.PathLike, clock: Callable[[], float] = time.time) -> None:
        self.db = Database(path)
        self.clock = clock  #: seconds since the epoch; the limits on guessing read it (tests pass a fake clock)

    @property
    def path(self):
        return self.db.path

    # -- workspaces ------------------------------------------------------------------------------------------------

    def create_workspace(self) -> str:
        """A new, empty workspace; returns its ID (24 random URL-safe characters, 144 bits)."""
        ws = secrets.token_urlsafe(18)
        with self.db.transaction() as conn:
            conn.execute("INSERT INTO workspaces VALUES (?, ?, ?)", (ws, time.time(), time.time()))
        return ws

    def has_workspace(self, ws: Any) -> bool:
        """Whether ``ws`` names a workspace (any other text, however odd, is simply not one)."""
        return (
            isinstance(ws, str)
            and bool(_ID.match(ws))
            and bool(self.db.read("SELECT 1 FROM workspaces WHERE id=?", (ws,)))
        )

    def _check(self, ws: str) -> None:
        if not self.has_workspace(ws):
            raise DataError("This workspace does not exist (the link may be mistyped): start a new one.")

    def _touch(self, conn, ws: str) -> None:
        conn.execute("UPDATE workspaces SET updated=? WHERE id=?", (time.time(), ws))

    # -- cities ----------------------------------------------------------------------------------------------------

    def put_city(self, ws: str, spec: dict) -> None:
        """Save a city (its spec and files); a city of the same label is replaced and keeps its place."""
        self._check(ws)
        stored, blobs = specs.encode_spec(spec)
        with self.db.transaction() as conn:
            for digest, data in blobs.items():
                conn.execute("INSERT OR IGNORE INTO blobs VALUES (?, ?)", (digest, data))
            conn.execute(
                "INSERT INTO cities VALUES (?, ?, ?, (SELECT COUNT(*) FROM cities WHERE ws=?)) "
                "ON CONFLICT (ws, label) DO UPDATE SET spec=excluded.spec",
                (ws, stored["label"], json.dumps(stored), ws),
            )
            self._touch(conn, ws)

    def get_city(self, ws: str, label: str) -> dict:
        """A saved city's spec, files included."""
        rows = self.db.read("SELECT spec FROM cities WHERE ws=? AND label=?", (ws, label))
        if not rows:
            raise DataError(f"The workspace has no city {label!r}.")
        return specs.decode_spec(json.loads(rows[0][0]), self.blob)

    def cities(self, ws: str) -> dict[str, dict]:
        """Every saved city of the workspace, by label, in the order they were added."""
        rows = self.db.read("SELECT label, spec FROM cities WHERE ws=? ORDER BY position, label", (ws,))
        return {label: specs.decode_spec(json.loads(spec), self.blob) for label, spec in rows}

    def delete_city(self, ws: str, label: str) -> None:
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM cities WHERE ws=? AND label=?", (ws, label))

    def blob(self, digest: str) -> bytes:
        """A stored file's bytes by its SHA-256."""
        rows = self.db.read("SELECT data FROM blobs WHERE sha256=?", (digest,))
        if not rows:
            raise DataError("A file of this city is missing from the store: upload it again.")
        return bytes(rows[0][0])

    # -- scenarios -------------------------------------------------------------------------------------------------

    def save_scenario(self, ws: str, name: str, method: Method) -> None:
        """Save a method under a name (replacing one of the same name, which keeps its place)."""
        self._check(ws)
        name = check_name(name)
        if not isinstance(method, Method):
            raise DataError(f"A scenario is a Method, not {type(method).__name__}.")
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO scenarios VALUES (?, ?, ?, (SELECT COUNT(*) FROM scenarios WHERE ws=?)) "
                "ON CONFLICT (ws, name) DO UPDATE SET method=excluded.method",
                (ws, name, json.dumps(method.to_dict()), ws),
            )
            self._touch(conn, ws)

    def scenarios(self, ws: str) -> dict[str, Method]:
        """The workspace's scenarios by name, in the order they were first saved."""
        rows = self.db.read("SELECT name, method FROM scenarios WHERE ws=? ORDER BY position, name", (ws,))
        return {name: Method.from_dict(json.loads(method)) for name, method in rows}

    def delete_scenario(self, ws: str, name: str) -> None:
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM scenarios WHERE ws=? AND name=?", (ws, name))

    # -- notes and the view ----------------------------------------------------------------------------------------

    def set_note(self, ws: str, city: str, ward_id: str, text: str) -> None:
        """A group's note on a ward of a city (empty text deletes it)."""
        self._check(ws)
        if not isinstance(text, str) or len(text) > MAX_NOTE:
            raise DataError(f"A note must be a text of at most {MAX_NOTE:,} characters.")
        with self.db.transaction() as conn:
            if text.strip():
                conn.execute(
                    "INSERT INTO notes VALUES (?, ?, ?, ?) ON CONFLICT (ws, city, ward_id) DO UPDATE SET text=excluded.text",
                    (ws, str(city), str(ward_id), text),
                )
            else:
                conn.execute("DELETE FROM notes WHERE ws=? AND city=? AND ward_id=?", (ws, str(city), str(ward_id)))
            self._touch(conn, ws)

    def notes(self, ws: str, city: str | None = None) -> dict[tuple[str, str], str]:
        """Notes by (city, ward ID), of one city or all."""
        sql, params = "SELECT city, ward_id, text FROM notes WHERE ws=?", (ws,)
        if city is not None:
            sql, params = sql + " AND city=?", (ws, city)
        return {(c, w): t for c, w, t in self.db.read(sql + " ORDER BY city, ward_id", params)}

    def set_view(self, ws: str, view: dict) -> None:
        """The workspace's current view (a small JSON object: city, tab, scenario, ...; never a secret)."""
        self._check(ws)
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO views VALUES (?, ?) ON CONFLICT (ws) DO UPDATE SET view=excluded.view",
                (ws, json.dumps(_public(view), sort_keys=True)),
            )

    def view(self, ws: str) -> dict:
        rows = self.db.read("SELECT view FROM views WHERE ws=?", (ws,))
        return _public(json.loads(rows[0][0])) if rows else {}

    # -- export and import -----------------------------------------------------------------------------------------

    def export_workspace(self, ws: str) -> bytes:
        """The whole workspace as one zip (see :mod:`hotspots.workspace.archive`)."""
        from hotspots.workspace.archive import export_zip

        self._check(ws)
        return export_zip(self, ws)

    def import_workspace(self, data: bytes, name: str = "workspace.zip") -> str:
        """A new workspace from an exported zip, checked like any upload; returns its ID."""
        from hotspots.workspace.archive import read_zip

        content = read_zip(data, name)
        ws = self.create_workspace()
        for spec in content.cities:
            self.put_city(ws, spec)
        for scenario, method in content.scenarios.items():
            self.save_scenario(ws, scenario, method)
        for (city, ward_id), text in content.notes.items():
            self.set_note(ws, city, ward_id, text)
        self.set_view(ws, content.view)
        return ws

    # -- rooms -----------------------------------------------------------------------------------------------------

    def create_room(self) -> tuple[str, str, str]:
        """A new open room: its join code (8 symbols, for the groups), its ID and the facilitator's secret token."""
        room, token = secrets.token_urlsafe(18), secrets.token_urlsafe(24)
        with self.db.transaction() as conn:
            while True:
                code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
                if not conn.execute("SELECT 1 FROM rooms WHERE code=?", (code,)).fetchall():
                    break
            conn.execute("INSERT INTO rooms VALUES (?, ?, ?, 1, ?)", (room, code, _digest(token), time.time()))
        return code, room, token

    def join_room(self, code: Any, scope: str = "anonymous") -> str:
        """The ID of the open room with this join code (spaces, dashes and case do not matter).

        ``scope`` is who tries (the workspace ID): a wrong code counts against it and against the server, and too
        many make the next attempts wait (:mod:`hotspots.workspace.limits`); a text that cannot be a code at all
        (wrong length or symbols) tests nothing and is refused without counting.

        Raises
        ------
        limits.TooManyAttempts
            When ``scope`` or the server must wait (the message says how long).
        DataError
            When no open room has this code.
        """
        code = re.sub(r"[\s-]", "", str(code)).upper()[:32]
        if len(code) != CODE_LENGTH or set(code) - set(CODE_ALPHABET):
            raise DataError(f"A join code is {CODE_LENGTH} letters and digits, such as 7KQ4-M9XD: check it.")
        now = self.clock()
        with self.db.transaction() as conn:  # one write lock: parallel attempts cannot all slip under the limit
            limits.check(conn, limits.JOIN_CODES, str(scope), now)
            rows = conn.execute("SELECT id FROM rooms WHERE code=? AND open=1", (code,)).fetchall()
            if not rows:
                limits.record_failure(conn, limits.JOIN_CODES, str(scope), now)
        if not rows:
            raise DataError("No open room has this code: check it with the facilitator.")
        return rows[0][0]

    def try_passcode(self, given: Any, passcode: str, scope: str = "anonymous") -> bool:
        """Whether ``given`` is the room passcode (compared in constant time); wrong ones are limited like join
        codes (raises :class:`limits.TooManyAttempts` when ``scope`` or the server must wait)."""
        given = given if isinstance(given, str) else ""
        now = self.clock()
        with self.db.transaction() as conn:
            limits.check(conn, limits.PASSCODES, str(scope), now)
            right = hmac.compare_digest(given.encode("utf-8"), passcode.encode("utf-8"))
            if not right:
                limits.record_failure(conn, limits.PASSCODES, str(scope), now)
        return right

    def room_code(self, room: str) -> str | None:
        """The join code of an open room (None when the room is closed or unknown)."""
        rows = self.db.read("SELECT code FROM rooms WHERE id=? AND open=1", (room,))
        return rows[0][0] if rows else None

    def room_revision(self, room: str) -> tuple[int, int, int] | None:
        """What the wall shows, in one small query: (open, number of items, last item ID); it changes with every
        publish, removal and closing (item IDs are never reused). None for an unknown room."""
        rows = self.db.read(
            "SELECT r.open, COUNT(i.id), COALESCE(MAX(i.id), 0) FROM rooms r "
            "LEFT JOIN room_items i ON i.room = r.id WHERE r.id=? GROUP BY r.id",
            (room,),
        )
        return tuple(rows[0]) if rows else None

    def is_facilitator(self, room: str, token: Any) -> bool:
        """Whether ``token`` is the room's facilitator token (compared in constant time)."""
        rows = self.db.read("SELECT token_sha256 FROM rooms WHERE id=?", (room,))
        return bool(rows) and isinstance(token, str) and hmac.compare_digest(rows[0][0], _digest(token))

    def publish(self, room: str, ws: str, city: str, scenario: str) -> int:
        """Publish a copy of a workspace's city under one of its scenarios to an open room; returns the item's ID."""
        if self.room_code(room) is None:
            raise DataError("This room is closed: nothing more can be published to it.")
        spec, methods = self.get_city(ws, city), self.scenarios(ws)
        if scenario not in methods:
            raise DataError(f"The workspace has no scenario {scenario!r}: save it first.")
        stored, blobs = specs.encode_spec(spec)
        with self.db.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO room_items (room, ws, city, scenario, method, spec, published) VALUES (?,?,?,?,?,?,?)",
                (room, ws, city, scenario, json.dumps(methods[scenario].to_dict()), json.dumps(stored), time.time()),
            )
        return int(cursor.lastrowid)

    def room_items(self, room: str) -> list[RoomItem]:
        """What is published to a room, oldest first."""
        rows = self.db.read(
            "SELECT id, ws, city, scenario, method, spec, published FROM room_items WHERE room=? ORDER BY id", (room,)
        )
        return [
            RoomItem(i, ws, city, scen, Method.from_dict(json.loads(m)), specs.decode_spec(json.loads(s), self.blob), t)
            for i, ws, city, scen, m, s, t in rows
        ]

    def remove_item(self, room: str, token: str, item: int) -> None:
        """The facilitator takes an item off the wall."""
        self._facilitator(room, token)
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM room_items WHERE room=? AND id=?", (room, int(item)))

    def close_room(self, room: str, token: str) -> None:
        """The facilitator closes the room: no more joining or publishing; the wall is emptied."""
        self._facilitator(room, token)
        with self.db.transaction() as conn:
            conn.execute("UPDATE rooms SET open=0 WHERE id=?", (room,))
            conn.execute("DELETE FROM room_items WHERE room=?", (room,))

    def _facilitator(self, room: str, token: str) -> None:
        if not self.is_facilitator(room, token):
            raise DataError("Only the room's facilitator can do this.")


def _public(view: dict) -> dict:
    return {key: value for key, value in view.items() if key not in SECRET_VIEW_KEYS}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
