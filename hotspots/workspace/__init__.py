"""A workspace that persists, and rooms for a workshop: an embedded SQLite store (plain :mod:`sqlite3`).

>>> store = open_store(tmp_path / "ws.sqlite3")  # doctest: +SKIP
>>> ws = store.create_workspace()  # doctest: +SKIP
>>> store.save_scenario(ws, "Ideology x2", method)  # doctest: +SKIP
>>> store.scenarios(ws)  # doctest: +SKIP
{'Ideology x2': Method(...)}

The file is ``$HOTSPOTS_DB``, else ``~/.local/share/hotspots/workspace.sqlite3`` (``$XDG_DATA_HOME`` respected).
"""

from hotspots.workspace._db import ENV_VAR, default_path
from hotspots.workspace.archive import read_scenario_file, scenario_file
from hotspots.workspace.limits import TooManyAttempts
from hotspots.workspace.store import CODE_ALPHABET, CODE_LENGTH, RoomItem, Store, open_store

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "ENV_VAR",
    "RoomItem",
    "Store",
    "TooManyAttempts",
    "default_path",
    "open_store",
    "read_scenario_file",
    "scenario_file",
]
