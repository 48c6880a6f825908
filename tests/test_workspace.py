"""The workspace store: round trips, transactions, export/import (hostile zips refused), rooms, threads."""

from __future__ import annotations

import io
import json
import sqlite3
import threading
import zipfile

import pytest

from hotspots.errors import DataError, HotspotsError, InputFileError
from hotspots.framework import default_framework
from hotspots.method import Method
from hotspots.workspace import CODE_ALPHABET, CODE_LENGTH, open_store, read_scenario_file, scenario_file
from hotspots.workspace.specs import demo_files

TABLE = b"ward_id,population,youth_unemployment_rate\nA,100,5\n"
BOUNDARIES = b'{"type":"FeatureCollection","features":[]}'


@pytest.fixture
def store(tmp_path):
    return open_store(tmp_path / "ws.sqlite3")


def upload(label="My city <b>", table=TABLE) -> dict:
    return {
        "label": label,
        "name": label,
        "indicators": table,
        "indicators_name": "wards.csv",
        "boundaries": BOUNDARIES,
        "boundaries_name": "wards.geojson",
        "id_column": "ward_id",
        "boundary_id_column": "ward_id",
        "sheet": None,
        "synthetic": None,
    }


def demo_spec() -> dict:
    files = demo_files()
    return {
        **upload("Kolkata (synthetic demo)"),
        "indicators": str(files["kolkata_indicators_synthetic.csv"]),
        "indicators_name": "kolkata_indicators_synthetic.csv",
        "boundaries": str(files["kolkata_wards_synthetic.geojson"]),
        "boundaries_name": "kolkata_wards_synthetic.geojson",
        "synthetic": True,
    }


def ideology_heavy() -> Method:
    fw = default_framework()
    return Method(framework=fw.with_weights(dimension_weights={"ideological": 3.0}), permutations=99)


def fill(store) -> str:
    ws = store.create_workspace()
    store.put_city(ws, upload())
    store.put_city(ws, demo_spec())
    store.save_scenario(ws, "Default", Method())
    store.save_scenario(ws, "Ideology x3", ideology_heavy())
    store.set_note(ws, "My city <b>", "A", "Check the new school data")
    store.set_view(ws, {"city": "My city <b>", "tab": "Map", "scenario": "Ideology x3"})
    return ws


def state(store, ws) -> tuple:
    return store.cities(ws), store.scenarios(ws), store.notes(ws), store.view(ws)


def test_round_trip(store):
    ws = fill(store)
    assert len(ws) >= 24 and store.has_workspace(ws)
    assert store.get_city(ws, "My city <b>") == upload()
    assert list(store.cities(ws)) == ["My city <b>", "Kolkata (synthetic demo)"]
    assert store.get_city(ws, "Kolkata (synthetic demo)")["indicators"] == demo_spec()["indicators"]
    scenarios = store.scenarios(ws)
    assert list(scenarios) == ["Default", "Ideology x3"]
    assert scenarios["Ideology x3"] == ideology_heavy()  # Method equality: the same canonical JSON
    assert scenarios["Ideology x3"].framework.dimensions["ideological"] == 3.0
    assert store.notes(ws) == {("My city <b>", "A"): "Check the new school data"}
    assert store.view(ws)["scenario"] == "Ideology x3"
    store.save_scenario(ws, "Default", ideology_heavy())  # replaced, keeps its place
    assert list(store.scenarios(ws)) == ["Default", "Ideology x3"]
    assert store.scenarios(ws)["Default"] == ideology_heavy()
    store.delete_scenario(ws, "Default")
    store.set_note(ws, "My city <b>", "A", "  ")
    assert list(store.scenarios(ws)) == ["Ideology x3"] and store.notes(ws) == {}


def test_a_new_store_object_on_the_same_file_sees_everything(store, tmp_path):
    ws = fill(store)
    again = open_store(tmp_path / "ws.sqlite3")  # a restarted server
    assert state(again, ws) == state(store, ws)


def test_workspaces_are_separate(store):
    a, b = fill(store), store.create_workspace()
    assert store.cities(b) == {} and store.scenarios(b) == {} and store.view(b) == {}
    assert a != b


def test_unknown_or_odd_workspace_ids(store):
    for ws in ["", "x", "../../etc/passwd", "'; DROP TABLE workspaces; --", None, 7]:
        assert not store.has_workspace(ws)
    with pytest.raises(DataError, match="does not exist"):
        store.save_scenario("A" * 24, "x", Method())


def test_a_spec_naming_a_server_path_is_refused(store, tmp_path):
    ws = store.create_workspace()
    secret = tmp_path / "secret.csv"
    secret.write_text("x")
    with pytest.raises(DataError, match="path on the server"):
        store.put_city(ws, {**upload(), "indicators": str(secret)})
    assert store.cities(ws) == {}


def test_a_failed_write_leaves_nothing(store):
    ws = store.create_workspace()
    store.put_city(ws, upload())
    with pytest.raises(sqlite3.IntegrityError), store.db.transaction() as conn:
        conn.execute("DELETE FROM cities WHERE ws=?", (ws,))
        conn.execute("INSERT INTO workspaces VALUES (?, 0, 0)", (ws,))  # duplicate key: the whole block rolls back
    assert list(store.cities(ws)) == ["My city <b>"]


def test_wal_mode(store):
    assert store.db.read("PRAGMA journal_mode")[0][0] == "wal"


def test_export_then_import_on_a_fresh_database_gives_the_same_state(store, tmp_path):
    ws = fill(store)
    data = store.export_workspace(ws)
    other = open_store(tmp_path / "other.sqlite3")
    imported = other.import_workspace(data)
    assert imported != ws
    assert state(other, imported) == state(store, ws)


def _zip(members: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return buffer.getvalue()


def _exported_members(store) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(store.export_workspace(fill(store)))) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_damaged_or_hostile_zips_are_refused_with_a_message(store):
    members = _exported_members(store)
    manifest = members["manifest.json"]
    cities = json.loads(members["cities.json"])
    digest = next(name for name in members if name.startswith("files/"))
    hostile = {
        "not a zip": (b"PK\x03\x04 truncated", "not a zip file"),
        "climbing path": (_zip({"manifest.json": manifest, "../evil.txt": "x"}), "climbs out"),
        "nested archive": (_zip({"manifest.json": manifest, "files/a.zip": "x"}), "another archive"),
        "unknown member": (_zip({"manifest.json": manifest, "run.sh": "x"}), "not a hotspots workspace"),
        "no manifest": (_zip({"cities.json": "[]"}), "no manifest"),
        "bad json": (_zip({"manifest.json": "{nope"}), "not valid UTF-8 JSON"),
        "wrong version": (_zip({"manifest.json": '{"hotspots_workspace": 99}'}), "version 1"),
        "server path": (
            _zip({**members, "cities.json": json.dumps([{**cities[0], "indicators": {"demo": "../../etc/passwd"}}])}),
            "neither stored nor one of the demo files",
        ),
        "missing file": (
            _zip({k: v for k, v in members.items() if not k.startswith("files/")}),
            "missing from the zip",
        ),
        "damaged file": (_zip({**members, digest: b"changed"}), "SHA-256 does not match"),
        "bad scenario": (
            _zip({**members, "scenarios.json": '{"x": {"framework": {"dimensions": {"a": -1}}}}'}),
            "scenario 'x'",
        ),
        "scenario of wrong type": (_zip({**members, "scenarios.json": '{"x": {"framework": 5}}'}), "scenario 'x'"),
        "bad note": (_zip({**members, "notes.json": '[{"city": 1}]'}), "note 1"),
        "bad city": (_zip({**members, "cities.json": '[{"label": ["x"]}]'}), "city 1"),
    }
    before = store.db.read("SELECT COUNT(*) FROM workspaces")[0][0]
    for what, (data, message) in hostile.items():
        with pytest.raises(HotspotsError, match=message):  # noqa: PT012
            store.import_workspace(data, name="upload.zip")
            pytest.fail(f"accepted: {what}")
    assert store.db.read("SELECT COUNT(*) FROM workspaces")[0][0] == before, "a refused import left a workspace"


def test_a_zip_bomb_is_refused(store):
    bomb = _zip({"manifest.json": '{"hotspots_workspace": 1}', "files/" + "0" * 64: b"\0" * (50 << 20)})
    with pytest.raises(InputFileError, match="expands to far more"):
        store.import_workspace(bomb)


def test_scenario_file_round_trip_and_refusals():
    text = scenario_file("Ideology x3", ideology_heavy())
    assert read_scenario_file(text.encode()) == ("Ideology x3", ideology_heavy())
    with pytest.raises(DataError, match="not a scenario file"):
        read_scenario_file(default_framework().to_json(), "framework.json")
    with pytest.raises(DataError, match="not valid UTF-8 JSON"):
        read_scenario_file(b"\xff\xfe", "x.json")
    bad = json.dumps({"hotspots_scenario": 1, "name": "x", "method": {"framework": {"dimensions": {}}}})
    with pytest.raises(DataError, match="x.json"):
        read_scenario_file(bad, "x.json")


def test_rooms(store):
    a, b = fill(store), fill(store)
    code, room, token = store.create_room()
    assert len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET)
    assert store.join_room(f" {code[:4].lower()}-{code[4:]} ") == room
    with pytest.raises(DataError, match="No open room"):
        store.join_room("AAAAAAAA")
    item = store.publish(room, a, "My city <b>", "Ideology x3")
    items = store.room_items(room)
    assert [(i.id, i.ws, i.city, i.scenario) for i in items] == [(item, a, "My city <b>", "Ideology x3")]
    assert items[0].method == ideology_heavy() and items[0].spec == upload()
    store.save_scenario(a, "Ideology x3", Method())  # a later change in the workspace does not change the wall
    assert store.room_items(room)[0].method == ideology_heavy()
    other_code, other_room, other_token = store.create_room()
    assert store.room_items(other_room) == []  # one room never sees another's items
    assert not store.is_facilitator(room, other_token) and store.is_facilitator(room, token)
    with pytest.raises(DataError, match="facilitator"):
        store.remove_item(room, other_token, item)
    store.publish(room, b, "Kolkata (synthetic demo)", "Default")
    store.remove_item(room, token, item)
    assert [i.ws for i in store.room_items(room)] == [b]
    store.close_room(room, token)
    assert store.room_items(room) == [] and store.room_code(room) is None
    with pytest.raises(DataError, match="closed"):
        store.publish(room, a, "My city <b>", "Default")
    with pytest.raises(DataError, match="No open room"):
        store.join_room(code)


def test_concurrent_writers_from_threads(store):
    """30 sessions save at once: every write lands, none is lost or mixed up."""
    workspaces = [store.create_workspace() for _ in range(30)]
    errors = []

    def session(number: int, ws: str) -> None:
        try:
            for step in range(10):
                store.put_city(ws, upload(f"city {number}", table=TABLE + f"B,{step},1\n".encode()))
                store.save_scenario(ws, f"scenario {step}", Method(seed=number))
                store.set_view(ws, {"step": step, "session": number})
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=session, args=(n, ws)) for n, ws in enumerate(workspaces)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for number, ws in enumerate(workspaces):
        assert list(store.cities(ws)) == [f"city {number}"]
        assert store.get_city(ws, f"city {number}")["indicators"].endswith(b"B,9,1\n")
        assert len(store.scenarios(ws)) == 10 and all(m.seed == number for m in store.scenarios(ws).values())
        assert store.view(ws) == {"step": 9, "session": number}
