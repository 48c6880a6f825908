"""Limits on guessing: wrong join codes and room passcodes, counted in the store so the limit holds across browser
sessions, server processes and restarts.

Every wrong attempt is recorded twice: under its *scope* (the workspace that tried) and under the server-wide scope
``"*"``. A scope that has made :attr:`Limit.per_scope` wrong attempts within the last :data:`WINDOW_S` (the server:
:attr:`Limit.per_server`) must wait before its next attempt: :data:`BASE_WAIT_S` after the last wrong one, doubling
with each further wrong attempt (30 s, 1 min, 2 min, ...), at most :data:`WINDOW_S`. A refused attempt tests no code
and is not recorded; a right code within the limit works at once.

How many guesses this allows (a hand calculation). Take the failures in any hour, and the j-th beyond the limit L:
when it was made, the L + j - 1 before it were all in the hour before it, so it came at least 30 s x 2^(j-1) after
the previous one. The gaps add up to 30 s x (2^(m-L) - 1) for m failures in the hour, which must stay under 3,600 s:
2^(m-L) <= 121, so m <= L + 6. A script that makes new workspaces to dodge the per-workspace limit still meets the
server's: at most 60 + 6 = 66 wrong codes an hour, 24 x 66 = 1,584 a day, against 31^8 = 852,891,037,441 join
codes (:data:`hotspots.workspace.store.CODE_LENGTH` symbols of 31): a day of guessing finds one open room's code
with a chance of 1,584 / 8.5e11 = 1.9e-9 (10 rooms open at once: 1.9e-8). The price: a script can make the server
refuse join codes for a while; the facilitator can then give the groups the room's link (``?room=...``) instead.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass

from hotspots.errors import DataError

WINDOW_S = 3600.0  #: seconds a wrong attempt is remembered (and the longest wait)
BASE_WAIT_S = 30.0  #: the first wait once a scope is over its limit
SERVER = "*"  #: the scope of every attempt on this server


@dataclass(frozen=True)
class Limit:
    """What is guessed, the words for it, and how many wrong attempts a workspace and the server may make within
    :data:`WINDOW_S` before they must wait."""

    kind: str
    what: str
    ask_for: str
    per_scope: int = 5
    per_server: int = 60


JOIN_CODES = Limit("join", "wrong join codes", "the code")
PASSCODES = Limit("passcode", "wrong passcodes", "the passcode")


class TooManyAttempts(DataError):
    """Too many wrong attempts: the next is refused for ``wait_s`` seconds."""

    def __init__(self, limit: Limit, wait_s: float) -> None:
        self.wait_s = wait_s
        super().__init__(
            f"Too many {limit.what}: wait {wait_words(wait_s)} and try again, or ask the facilitator for "
            f"{limit.ask_for}."
        )


def wait_words(seconds: float) -> str:
    """'40 seconds', '1 second', '3 minutes' (rounded up: never tells anyone to come back too early)."""
    seconds = max(1, math.ceil(seconds))
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{math.ceil(seconds / 60)} minutes"


def _scopes(limit: Limit, scope: str) -> dict[str, int]:
    return {f"{limit.kind}:{scope}": limit.per_scope, f"{limit.kind}:{SERVER}": limit.per_server}


def wait_for(conn: sqlite3.Connection, limit: Limit, scope: str, now: float) -> float:
    """Seconds before ``scope`` may try again (0: it may try now), the longer of its own and the server's wait."""
    waits = [0.0]
    for key, allowed in _scopes(limit, scope).items():
        count, last = conn.execute(
            "SELECT COUNT(*), MAX(at) FROM failed_attempts WHERE scope=? AND at>?", (key, now - WINDOW_S)
        ).fetchone()
        if count >= allowed:
            waits.append(last + min(BASE_WAIT_S * 2.0 ** (count - allowed), WINDOW_S) - now)
    return max(waits)


def check(conn: sqlite3.Connection, limit: Limit, scope: str, now: float) -> None:
    """Raise :class:`TooManyAttempts` when ``scope`` (or the server) must wait before its next attempt."""
    wait = wait_for(conn, limit, scope, now)
    if wait > 0:
        raise TooManyAttempts(limit, wait)


def record_failure(conn: sqlite3.Connection, limit: Limit, scope: str, now: float) -> None:
    """Count a wrong attempt of ``scope`` (and of the server); forget those older than :data:`WINDOW_S`."""
    conn.execute("DELETE FROM failed_attempts WHERE at<=?", (now - WINDOW_S,))
    conn.executemany("INSERT INTO failed_attempts VALUES (?, ?)", [(key, now) for key in _scopes(limit, scope)])
