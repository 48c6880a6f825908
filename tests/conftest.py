"""Suite-wide checks.

The tests change no tracked file: every file git tracks is hashed when the session starts and again when it ends,
and a change fails the run (exit code 1) with the names of the files. Tests write into ``tmp_path``; the one file
a run may write on request is the screenshot named by ``HOTSPOTS_SCREENSHOT`` (see tests/test_browser.py).
Outside a git checkout (or without git) the check is skipped.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Collection
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_TRACKED = pytest.StashKey[dict]()


def tracked_file_digests(root: Path = ROOT) -> dict[str, str] | None:
    """SHA-256 of every file git tracks under ``root`` (``None`` outside a git checkout)."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    digests = {}
    for name in listed.stdout.decode("utf-8", "surrogateescape").split("\0"):
        path = root / name
        if name and path.is_file():
            digests[name] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif name:
            digests[name] = "missing"
    return digests


def changed_files(before: dict[str, str], after: dict[str, str], allowed: Collection[str] = ()) -> list[str]:
    """Tracked files whose content changed, appeared or disappeared between two snapshots, except ``allowed``."""
    names = set(before) | set(after)
    return sorted(n for n in names if before.get(n) != after.get(n) and n not in allowed)


def _allowed() -> set[str]:
    screenshot = os.environ.get("HOTSPOTS_SCREENSHOT")
    if not screenshot:
        return set()
    try:
        return {Path(screenshot).resolve().relative_to(ROOT).as_posix()}
    except ValueError:
        return set()


@pytest.fixture(autouse=True, scope="session")
def _workspace_database(tmp_path_factory):
    """The app saves workspaces (hotspots.workspace): into a file of this run, never the user's own database."""
    before = os.environ.get("HOTSPOTS_DB")
    os.environ["HOTSPOTS_DB"] = str(tmp_path_factory.mktemp("workspace") / "workspace.sqlite3")
    yield
    if before is None:
        os.environ.pop("HOTSPOTS_DB", None)
    else:
        os.environ["HOTSPOTS_DB"] = before


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_TRACKED] = tracked_file_digests()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    before = session.config.stash.get(_TRACKED, None)
    if before is None:
        return
    after = tracked_file_digests()
    changed = changed_files(before, after or {}, _allowed())
    if not changed:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    message = "the tests changed tracked files (a test must write into tmp_path): " + ", ".join(changed)
    if reporter is not None:
        reporter.write_sep("=", "tracked files changed", red=True)
        reporter.write_line(message)
    else:
        print(message)
    if session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
