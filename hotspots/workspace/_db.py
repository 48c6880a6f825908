"""The SQLite file under a workspace store: where it is, its tables, one connection per thread, transactions.

The database is one file (``HOTSPOTS_DB``, else :func:`default_path`) in WAL mode, so readers never wait for a writer
and 30 sessions of a workshop can save at once; a writer that finds the file locked waits up to
:data:`BUSY_TIMEOUT_MS`. Every write runs in one ``BEGIN IMMEDIATE`` transaction: it lands whole or not at all.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ENV_VAR = "HOTSPOTS_DB"
BUSY_TIMEOUT_MS = 30_000
SCHEMA_VERSION = 2  # 2: failed_attempts (limits on guessing join codes and passcodes)

SCHEMA = """
CREATE TABLE IF NOT EXISTS workspaces (
    id TEXT PRIMARY KEY, created REAL NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS blobs (
    sha256 TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS cities (
    ws TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE, label TEXT NOT NULL, spec TEXT NOT NULL,
    position INTEGER NOT NULL, PRIMARY KEY (ws, label));
CREATE TABLE IF NOT EXISTS scenarios (
    ws TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE, name TEXT NOT NULL, method TEXT NOT NULL,
    position INTEGER NOT NULL, PRIMARY KEY (ws, name));
CREATE TABLE IF NOT EXISTS notes (
    ws TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE, city TEXT NOT NULL, ward_id TEXT NOT NULL,
    text TEXT NOT NULL, PRIMARY KEY (ws, city, ward_id));
CREATE TABLE IF NOT EXISTS views (
    ws TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE, view TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rooms (
    id TEXT PRIMARY KEY, code TEXT NOT NULL UNIQUE, token_sha256 TEXT NOT NULL, open INTEGER NOT NULL,
    created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS room_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT, room TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    ws TEXT NOT NULL, city TEXT NOT NULL, scenario TEXT NOT NULL, method TEXT NOT NULL, spec TEXT NOT NULL,
    published REAL NOT NULL);
CREATE INDEX IF NOT EXISTS room_items_room ON room_items (room);
CREATE TABLE IF NOT EXISTS failed_attempts (
    scope TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS failed_attempts_scope ON failed_attempts (scope, at);
"""


def default_path() -> Path:
    """``$HOTSPOTS_DB``, else ``$XDG_DATA_HOME/hotspots/workspace.sqlite3`` (``~/.local/share/hotspots/...``)."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "hotspots" / "workspace.sqlite3"


class Database:
    """One SQLite file; a connection per thread (sqlite3 connections must not cross threads)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        conn = self.connection()  # CREATE ... IF NOT EXISTS: safe when several processes open the file at once
        conn.executescript(SCHEMA)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use, in autocommit mode: transactions are explicit)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        conn = self.connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def read(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Rows of a query (a read sees the last committed state)."""
        return self.connection().execute(sql, params).fetchall()

    def close(self) -> None:
        """Close this thread's connection (others close when their thread ends)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
