"""Scenarios, the workspace that persists, and rooms, in the app (``streamlit.testing.v1.AppTest``).

Every test has its own database (``HOTSPOTS_DB`` in ``tmp_path``). A "new browser session" is a new AppTest with the
same ``?ws=`` query parameter; a "restarted server" also drops the cached store object, so the state can only come
from the file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
pytest.importorskip("streamlit_folium")

from streamlit.testing.v1 import AppTest  # noqa: E402

from hotspots.demo import demo_cities  # noqa: E402
from hotspots.framework import default_framework  # noqa: E402
from hotspots.method import Method  # noqa: E402
from hotspots.workspace import open_store, scenario_file  # noqa: E402
from ui.common import plain  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
KOLKATA_LABEL = "Kolkata (synthetic demo)"
COLOMBO_LABEL = "Colombo (synthetic demo)"


@pytest.fixture(autouse=True)
def database(tmp_path, monkeypatch):
    path = tmp_path / "workspace.sqlite3"
    monkeypatch.setenv("HOTSPOTS_DB", str(path))
    monkeypatch.delenv("HOTSPOTS_ROOM_PASSCODE", raising=False)
    return path


def _session(ws: str | None = None, room: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    if ws:
        at.query_params["ws"] = ws
    if room:
        at.query_params["room"] = room
    at.run()
    _ok(at)
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _open(at: AppTest, view: str) -> AppTest:
    at.session_state["view"] = view
    at.run()
    _ok(at)
    return at


def _metric(at: AppTest, label: str) -> str:
    values = [metric.value for metric in at.metric if metric.label == label]
    assert values, f"no metric {label!r}"
    return values[-1]


def _save_scenario(at: AppTest, name: str) -> AppTest:
    at.text_input(key="scenario_name").input(name)
    next(b for b in at.button if b.label == "Save scenario").click().run()
    _ok(at)
    return at


def _weights(at: AppTest) -> tuple[float, float, str]:
    return (
        at.slider(key="w_ind:hate_incidents").value,
        at.slider(key="w_dim:ideological").value,
        at.selectbox(key="opt:aggregation").value,
    )


def test_scenarios_save_switch_and_stay_loaded_across_tabs():
    at = _session()
    default_top = _metric(at, "Highest risk score")
    _save_scenario(at, "Default")
    at.slider(key="w_ind:hate_incidents").set_value(4.0).run()
    at.slider(key="w_dim:ideological").set_value(0.0).run()  # a dimension switched off
    at.selectbox(key="opt:aggregation").set_value("geometric").run()
    _ok(at)
    changed_top = _metric(at, "Highest risk score")
    assert changed_top != default_top
    _save_scenario(at, "No ideology <b>")
    assert list(at.session_state["scenarios"]) == ["Default", "No ideology <b>"]
    assert at.session_state["scenario"] == "No ideology <b>"

    at.selectbox(key="scenario").set_value("Default").run()
    _ok(at)
    assert _weights(at) == (1.0, 1.0, "arithmetic")
    # The widgets are *set* (the browser is told to take the new value), not deleted: a deleted key kept the old
    # value in the browser, which sent it back on the next click (the revert bug).
    assert at.slider(key="w_ind:hate_incidents").proto.set_value
    assert at.selectbox(key="opt:aggregation").proto.set_value
    for view in ("Model", "Compare", "Map"):  # switch tabs: the scenario stays loaded
        _open(at, view)
        assert _weights(at) == (1.0, 1.0, "arithmetic")
    assert _metric(at, "Highest risk score") == default_top  # the map reflects it

    at.selectbox(key="scenario").set_value("No ideology <b>").run()
    _open(at, "Data")
    _open(at, "Map")
    assert _weights(at) == (4.0, 0.0, "geometric")
    assert _metric(at, "Highest risk score") == changed_top
    assert at.session_state["scenarios"]["No ideology <b>"].framework.dimensions["ideological"] == 0.0


def _falls_back_to_its_value(widget) -> bool:
    """Whether the browser, drawing this widget anew without a value of its own, shows the value the session holds:
    the widget's default (a slider's values, a select box's or select slider's option index, a checkbox's state)
    against its value."""
    proto = widget.proto
    if widget.type == "slider":
        return list(proto.default) == [float(widget.value)]
    if widget.type == "selectbox":
        return proto.HasField("default") and proto.default == widget.index
    if widget.type == "select_slider":
        return list(proto.default) == [widget.options.index(str(widget.value))]
    return proto.default == widget.value


def test_a_widget_drawn_anew_in_the_browser_shows_the_sessions_value():
    # The browser falls back to a widget's default whenever it draws the widget without a value of its own (a tab
    # clicked while the page's first run was still under way did it, once in five runs of
    # tests/test_browser_upload.py), and sends that back as the user's choice. The sliders had no default but
    # their minimum, so every dimension weight became 0 and the map an error. Every setting of the sidebar must
    # fall back to the value the session holds: here a loaded scenario's, none of them the widget's first option.
    at = _session()
    method = Method(
        framework=default_framework()
        .with_weights({"hate_incidents": 2.5}, {"individual": 3.0, "institutional": 0.5, "ideological": 1.5})
        .with_options(normalisation="zscore", aggregation="geometric", classification="equal_interval"),
        neighbours="rook",
        permutations=499,
        correction="bonferroni",
        suppress_below=10,
    )
    at.session_state["scenario_file"] = {"data": scenario_file("Wide", method), "name": "wide.scenario.json"}
    at.run()
    _ok(at)
    at.selectbox(key="city").set_value(COLOMBO_LABEL).run()  # and a city other than the first
    _ok(at)
    checked = 0
    for kind in ("slider", "selectbox", "select_slider", "checkbox"):
        for widget in getattr(at.sidebar, kind):
            if widget.key in (None, "scenario"):
                continue
            assert _falls_back_to_its_value(widget), (widget.key, widget.value, widget.proto.default)
            checked += 1
    assert checked >= 14, checked  # city, 3 dimensions, 6 indicators, 3 method options, 4 hot-spot options
    assert at.slider(key="w_dim:individual").value == 3.0 and at.selectbox(key="correction").value == "bonferroni"
    assert at.selectbox(key="scenario").value == "Wide"
    assert _falls_back_to_its_value(at.selectbox(key="scenario"))


def test_reset_and_framework_json_are_set_in_the_widgets():
    at = _session()
    at.slider(key="w_ind:hate_incidents").set_value(4.0).run()
    _open(at, "Model")
    next(b for b in at.button if b.label == "Reset to the default model").click().run()
    _ok(at)
    assert at.slider(key="w_ind:hate_incidents").value == 1.0
    assert at.slider(key="w_ind:hate_incidents").proto.set_value  # told to the browser: it stays reset
    model = default_framework().with_weights({"hate_incidents": 2.5})
    at.session_state["framework_file"] = {"data": model.to_json().encode(), "name": "mine.json"}
    at.run()
    assert at.slider(key="w_ind:hate_incidents").value == 2.5 and at.slider(key="w_ind:hate_incidents").proto.set_value


def test_all_weights_zero_says_so():
    at = _session()
    for dim in ("individual", "institutional", "ideological"):
        at.slider(key=f"w_dim:{dim}").set_value(0.0).run()
    _ok(at)
    assert any("every weight is 0" in e.value for e in at.error)


def test_scenario_file_upload_download_and_a_bad_file():
    at = _session()
    method = Method(framework=default_framework().with_weights({"school_dropout_rate": 3.0}), permutations=99)
    at.session_state["scenario_file"] = {"data": scenario_file("From a file", method).encode(), "name": "s.json"}
    at.run()
    _ok(at)
    assert at.session_state["scenario"] == "From a file"
    assert at.slider(key="w_ind:school_dropout_rate").value == 3.0
    assert at.select_slider(key="permutations").value == 99
    at.session_state["scenario_file"] = {"data": b'{"hotspots_scenario": 1, "name": "x"}', "name": "bad.json"}
    at.run()
    _ok(at)
    assert any("bad.json" in e.value for e in at.error)
    assert list(at.session_state["scenarios"]) == ["From a file"]


def test_a_new_session_and_a_restarted_server_see_the_same_workspace(database):
    import ui.cache

    at = _session()
    ws = at.session_state["ws"]
    city = demo_cities()["colombo"]
    spec = {
        "label": "My upload",
        "name": "My upload",
        "indicators": city.indicators_path.read_bytes(),
        "indicators_name": "mine.csv",
        "boundaries": city.boundaries_path.read_bytes(),
        "boundaries_name": "mine.geojson",
        "id_column": "ward_id",
        "boundary_id_column": "ward_id",
        "sheet": None,
        "synthetic": None,
    }
    at.session_state["cities"]["My upload"] = spec  # as "Add city" leaves it
    at.selectbox(key="city").set_value(COLOMBO_LABEL).run()
    at.slider(key="w_dim:institutional").set_value(2.5).run()
    _save_scenario(at, "Institutions x2.5")
    _open(at, "Model")

    for restart in (False, True):
        if restart:
            ui.cache._workspace_store.clear()  # a new store object on the same file
        again = _session(ws=ws)
        assert again.session_state["ws"] == ws
        assert "My upload" in again.session_state["cities"]
        assert again.session_state["cities"]["My upload"]["indicators"] == spec["indicators"]
        assert again.selectbox(key="city").value == COLOMBO_LABEL
        assert list(again.session_state["scenarios"]) == ["Institutions x2.5"]
        assert again.session_state["scenario"] == "Institutions x2.5"
        assert again.slider(key="w_dim:institutional").value == 2.5
        assert again.session_state["view"] == "Model"
    assert open_store(database).has_workspace(ws)


def test_an_unknown_workspace_link_starts_a_new_one():
    at = _session(ws="A" * 24)
    assert at.session_state["ws"] != "A" * 24
    assert at.query_params["ws"] == at.session_state["ws"]


def test_workspace_import_refuses_a_hostile_zip_and_opens_a_good_one(database):
    at = _session()
    at.session_state["workspace_file"] = {"data": b"PK\x03\x04 not really", "name": "evil.zip"}
    at.run()
    _ok(at)
    assert any("evil.zip" in e.value for e in at.error)
    store = open_store(database)
    source = store.create_workspace()
    store.save_scenario(source, "Imported", Method(permutations=99))
    at.session_state["workspace_file"] = {"data": store.export_workspace(source), "name": "good.zip"}
    at.run()
    _ok(at)
    assert at.session_state["ws"] not in (source, None)
    assert list(at.session_state["scenarios"]) == ["Imported"]


def _room_session(ws: str | None = None, room: str | None = None) -> AppTest:
    return _open(_session(ws=ws, room=room), "Room")


def test_rooms_publish_isolation_and_the_facilitator(database):
    facilitator = _room_session()
    next(b for b in facilitator.button if b.label == "Open a new room").click().run()
    _ok(facilitator)
    room = facilitator.query_params["room"]
    store = open_store(database)
    code = store.room_code(room)
    assert code and any(code in m.value for m in facilitator.markdown)

    group_a = _room_session()
    group_a.session_state["cities"]["Private upload of A"] = {
        **group_a.session_state["cities"][COLOMBO_LABEL],
        "label": "Private upload of A",
    }
    group_a.text_input(key="join_code").input(code.lower())  # the form: sent with its button
    next(b for b in group_a.button if b.label == "Join the room").click().run()
    _ok(group_a)
    assert group_a.query_params["room"] == room
    _save_scenario(group_a, "A's weights")
    group_a.selectbox(key="publish_city").set_value(COLOMBO_LABEL).run()
    next(b for b in group_a.button if b.label == "Publish").click().run()
    _ok(group_a)

    group_b = _room_session(room=room)
    assert "Private upload of A" not in group_b.session_state["cities"]
    assert "A's weights" not in group_b.session_state.get("scenarios", {})
    wall = [m.value for m in group_b.markdown]
    assert any(plain("Colombo (synthetic demo) · A's weights") in v for v in wall), wall
    assert not any("Private upload" in v for v in wall)
    assert not [b for b in group_b.button if b.label.startswith("Remove")]  # not the facilitator
    summary = group_b.dataframe[0].value
    assert list(summary["city"]) == ["Colombo (synthetic demo) · A's weights"] and summary["wards"].iloc[0] == 47

    facilitator.run()
    next(b for b in facilitator.button if b.label == "Remove from the wall").click().run()
    _ok(facilitator)
    assert store.room_items(room) == []
    next(b for b in facilitator.button if b.label.startswith("Close the room")).click().run()
    _ok(facilitator)
    assert store.room_code(room) is None
    group_b.run()
    assert any("closed" in w.value for w in group_b.warning)


def test_a_room_passcode_is_required_when_set(monkeypatch):
    monkeypatch.setenv("HOTSPOTS_ROOM_PASSCODE", "tea-and-maps")
    at = _room_session()
    assert not [b for b in at.button if b.label == "Open a new room"]
    at.text_input(key="room_passcode_input").input("coffee").run()
    next(b for b in at.button if b.label == "Unlock").click().run()
    assert any("not the room passcode" in e.value for e in at.error)
    at.text_input(key="room_passcode_input").input("tea-and-maps").run()
    next(b for b in at.button if b.label == "Unlock").click().run()
    _ok(at)
    assert [b for b in at.button if b.label == "Open a new room"]


def test_a_note_on_the_picked_ward_is_saved_and_restored():
    at = _session()
    ward = at.selectbox(key=f"ward:{KOLKATA_LABEL}").value
    at.run()  # the sidebar (drawn first) sees the ward the map picked in the run before
    key = f"note:{KOLKATA_LABEL}:{ward}"
    at.text_area(key=key).input("Ask the ward office about the *new* school").run()
    _ok(at)
    again = _session(ws=at.session_state["ws"])
    again.run()
    assert again.text_area(key=key).value == "Ask the ward office about the *new* school"


def test_hostile_city_and_scenario_names_on_the_wall_stay_inert(database):
    from test_app_safety import HOSTILE, _assert_inert

    store = open_store(database)
    code, room, token = store.create_room()
    group = store.create_workspace()
    colombo = demo_cities()["colombo"]
    store.put_city(
        group,
        {
            "label": f"City {HOSTILE}",
            "name": "x",
            "indicators": colombo.indicators_path.read_bytes(),
            "indicators_name": "x.csv",
            "boundaries": colombo.boundaries_path.read_bytes(),
            "boundaries_name": "x.geojson",
            "id_column": "ward_id",
            "boundary_id_column": "ward_id",
        },
    )
    store.save_scenario(group, f"Weights {HOSTILE}", Method(permutations=99))
    store.publish(room, group, f"City {HOSTILE}", f"Weights {HOSTILE}")
    at = _room_session(room=room)
    texts = _assert_inert(at, "Room")
    assert any("evil" in t for t in texts)  # the name is shown, escaped


# -- access: the facilitator's own link, limits on guessing, a wall that updates itself ---------------------------


def _link_session(**params: str) -> AppTest:
    """A new browser session opening a link with these query parameters, on the Room tab."""
    at = AppTest.from_file(APP, default_timeout=180)
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    _ok(at)
    return _open(at, "Room")


def _facilitator_buttons(at: AppTest) -> list[str]:
    return [b.label for b in at.button if b.label.startswith(("Remove from the wall", "Close the room"))]


def test_only_the_facilitator_link_gives_facilitator_rights(database):
    facilitator = _room_session()
    next(b for b in facilitator.button if b.label == "Open a new room").click().run()
    _ok(facilitator)
    ws, room, host = (facilitator.query_params[k] for k in ("ws", "room", "host"))
    link = next(c.value for c in facilitator.code if "host=" in c.value)  # shown once, with a line to keep it private
    assert f"room={room}" in link and f"host={host}" in link and f"ws={ws}" in link
    assert any("Keep this link private" in c.value for c in facilitator.caption)
    _save_scenario(facilitator, "Facilitator's weights")
    next(b for b in facilitator.button if b.label == "Publish").click().run()
    facilitator.run()  # the wall's run after the publish (ui.wall: the publishing run shows the last wall built)
    _ok(facilitator)
    assert _facilitator_buttons(facilitator) == ["Remove from the wall", "Close the room (for everyone)"]
    assert [c.value for c in facilitator.code] == [f"?room={room}"]  # once only; the room's link for the groups
    store = open_store(database)
    assert host not in json.dumps(store.view(ws)) and store.is_facilitator(room, host)

    by_ws_link = _link_session(ws=ws)  # the group's workspace link: the work and the room, not the rights
    assert by_ws_link.query_params.get("room") == room and "host" not in by_ws_link.query_params
    assert any("The wall: 1 published" in m.value for m in by_ws_link.markdown)
    assert "Facilitator's weights" in by_ws_link.session_state["scenarios"]
    assert _facilitator_buttons(by_ws_link) == []
    assert _facilitator_buttons(_link_session(room=room)) == []  # the room link alone
    wrong = _link_session(ws=ws, room=room, host=host[:-2] + "xx")
    assert _facilitator_buttons(wrong) == [] and any("not this room's" in w.value for w in wrong.warning)

    reopened = _link_session(ws=ws, room=room, host=host)  # the facilitator link, in a new session
    assert _facilitator_buttons(reopened) == ["Remove from the wall", "Close the room (for everyone)"]
    assert "Facilitator's weights" in reopened.session_state["scenarios"]  # nothing the facilitator did is lost
    next(b for b in reopened.button if b.label == "Leave the room").click().run()
    reopened.text_input(key="join_code").input(store.room_code(room))
    next(b for b in reopened.button if b.label == "Join the room").click().run()
    assert reopened.query_params["host"] == host  # this session keeps the rights it was given
    assert _facilitator_buttons(reopened) == ["Remove from the wall", "Close the room (for everyone)"]


def test_wrong_join_codes_are_limited_across_sessions(database):
    store = open_store(database)
    code, room, _ = store.create_room()
    group = _room_session()
    for _ in range(5):
        group.text_input(key="join_code").input("AAAA-AAAA" if code != "AAAAAAAA" else "BBBBBBBB")
        next(b for b in group.button if b.label == "Join the room").click().run()
        assert any("No open room has this code" in e.value for e in group.error)
    group.text_input(key="join_code").input(code)  # the right code, too late
    next(b for b in group.button if b.label == "Join the room").click().run()
    _ok(group)
    assert [e.value for e in group.error] == [
        plain("Too many wrong join codes: wait 30 seconds and try again, or ask the facilitator for the code.")
    ]
    assert "room" not in group.query_params
    again = _room_session(ws=group.query_params["ws"])  # a new browser session of the same workspace
    again.text_input(key="join_code").input(code)
    next(b for b in again.button if b.label == "Join the room").click().run()
    assert any("Too many wrong join codes" in e.value for e in again.error) and "room" not in again.query_params
    other = _room_session()  # another group is not held up
    other.text_input(key="join_code").input(code)
    next(b for b in other.button if b.label == "Join the room").click().run()
    assert other.query_params["room"] == room


def test_a_second_groups_publish_reaches_the_first_groups_wall(database, monkeypatch, tmp_path):
    from hotspots.workspace.store import Store
    from ui import room_signal

    monkeypatch.setattr(room_signal, "_serving", lambda: True)  # as `streamlit run` with the app's config
    monkeypatch.setattr(room_signal, "app_dir", lambda: tmp_path)
    store = open_store(database)
    code, room, _ = store.create_room()
    signal = tmp_path / "static" / room_signal.SIGNAL_DIR / room_signal.signal_name(room)
    first = _room_session(room=room)
    # what the first group's browser reads every few seconds: the room's revision and that of the wall built
    assert signal.read_text() == room_signal.signal_of(store.room_revision(room), store.room_revision(room))
    assert room not in signal.name
    assert any("Nothing is published yet" in i.value for i in first.info)
    assert [b.label for b in first.button if b.label == "Refresh"] == ["Refresh"]
    reads = []
    original = Store.room_items
    monkeypatch.setattr(Store, "room_items", lambda self, r: reads.append(r) or original(self, r))
    first.run()
    assert reads == []  # the wall did not change: it is not read again
    revision = store.room_revision(room)

    second = _room_session()
    second.text_input(key="join_code").input(code)
    next(b for b in second.button if b.label == "Join the room").click().run()
    _save_scenario(second, "Second group's weights")
    second.selectbox(key="publish_city").set_value(COLOMBO_LABEL).run()
    next(b for b in second.button if b.label == "Publish").click().run()
    _ok(second)
    assert store.room_revision(room) != revision
    # in a browser the publish reruns the form's fragment alone (its confirmation), whose frame then asks for the
    # wall's run (test_browser_room.py); AppTest runs the whole page, the wall with it
    assert any("Published" in s.value for s in second.success)
    item = store.room_revision(room)[2]  # the last item's number (not read with room_items: counted below)
    asks = {"seen": "build", "nonce": item, "url": None, "rerun": ["room_publish", "room_wall"]}
    assert _asks_for_wall(second) == [asks]
    new = store.room_revision(room)
    assert any("The wall: 1 published" in m.value for m in second.markdown)
    assert not any("adds it in a moment" in c.value for c in second.caption)
    assert signal.read_text() == room_signal.signal_of(new, new) != room_signal.signal_of(revision, revision)
    second.run()  # the frame stays on the form, asking for nothing until the next publish
    assert _asks_for_wall(second) == [asks | {"seen": "idle", "nonce": None}]

    first.run()
    _ok(first)
    assert any("The wall: 1 published" in m.value for m in first.markdown)
    assert any(plain(f"{COLOMBO_LABEL} · Second group's weights") in m.value for m in first.markdown)
    assert reads == [room]  # read once for the new revision, for every session of the server


def test_while_a_newer_wall_is_built_the_last_one_is_shown_without_redrawing_the_page(database):
    """A burst of publishes: while one session builds the newest wall, another shows the last wall built, says
    more is coming, and does not draw its page again and again until the build is done (a loop that once kept the
    server busy); once the newer wall is built, the check draws it."""
    from hotspots.method import Method
    from ui.cache import _walls
    from ui.state import demo_specs

    store = open_store(database)
    _, room, _ = store.create_room()
    spec = demo_specs()[COLOMBO_LABEL]
    for name in ("First", "Second"):
        ws = store.create_workspace()
        store.put_city(ws, spec)
        store.save_scenario(ws, name, Method())
        store.publish(room, ws, COLOMBO_LABEL, name)
        if name == "First":
            first = _room_session(room=room)
            assert any("The wall: 1 published" in m.value for m in first.markdown)
    walls = _walls()
    walls.building.add(room)  # another session is building the wall with both items
    try:
        second = _room_session(room=room)  # completes: no rerun loop (AppTest would time out)
        assert any("The wall: 1 published" in m.value for m in second.markdown)
        # a group does not follow live: the watcher's line offers the new wall when it is built
        assert any("the line above offers it when it is ready" in c.value for c in second.caption)
    finally:
        walls.building.discard(room)
    second.run()
    _ok(second)
    assert any("The wall: 2 published" in m.value for m in second.markdown)


def _asks_for_wall(at: AppTest) -> list[dict]:
    """The frames of the last run that ask for the wall's run (ui.room_signal.ask_for_wall): what each reads, and
    the fragment it asks for."""
    import json

    frames = [e for e in at.get("component_instance") if e.proto.id.endswith("-ask_for_wall")]
    return [{k: json.loads(f.proto.json_args)[k] for k in ("seen", "nonce", "url", "rerun")} for f in frames]


def _watcher(at: AppTest) -> dict:
    """The arguments the room's watcher frame got in the last run."""
    import json

    (frame,) = [e for e in at.get("component_instance") if e.proto.id.endswith("-room_watch")]
    return json.loads(frame.proto.json_args)


def test_follow_live_starts_from_the_default_of_each_room_and_role(database):
    """The facilitator's wall follows live by default (the room's screen), a group's does not. A group that later
    opens a room of its own is that room's facilitator: its wall follows, whatever its toggle said as a group (the
    toggle once kept its first value for the whole session). A choice made holds in its room."""
    store = open_store(database)
    code, room, _ = store.create_room()
    session = _room_session()
    session.text_input(key="join_code").input(code)
    next(b for b in session.button if b.label == "Join the room").click().run()
    _ok(session)
    assert _watcher(session)["follow"] is False  # a group
    assert _watcher(session)["every_ms"] == 6000  # that reads the room's signal a third as often
    next(b for b in session.button if b.label == "Leave the room").click().run()
    next(b for b in session.button if b.label == "Open a new room").click().run()
    _ok(session)
    assert session.query_params["room"] != room
    assert _watcher(session)["follow"] is True and _watcher(session)["every_ms"] == 2000  # the facilitator
    (toggle,) = [t for t in session.toggle if t.label == "Follow live"]
    toggle.set_value(False).run()
    _opened = session.query_params["room"]
    _open(session, "Map")
    _open(session, "Room")
    assert session.query_params["room"] == _opened and _watcher(session)["follow"] is False  # the choice holds


def test_a_groups_own_publish_reaches_its_wall_while_another_session_builds(database):
    """A group does not follow the wall live, but its own item must reach its wall: when another session is building
    (a wall without the item) the watcher follows each newer wall built until the item is shown (a group once
    waited minutes for its own map: bench/bench_room.py)."""
    from ui.cache import _walls

    store = open_store(database)
    code, room, _ = store.create_room()
    group = _room_session()
    group.text_input(key="join_code").input(code)
    next(b for b in group.button if b.label == "Join the room").click().run()
    _save_scenario(group, "Own weights")
    assert _watcher(group)["follow"] is False and _watcher(group)["awaiting"] is False  # a group's default
    group.selectbox(key="publish_city").set_value(COLOMBO_LABEL).run()
    walls = _walls()
    walls.building.add(room)  # another session is building a wall when the group publishes
    try:
        next(b for b in group.button if b.label == "Publish").click().run()
        _ok(group)
        assert any("Published" in s.value for s in group.success)
        assert _asks_for_wall(group)[0]["seen"] == "build"  # the wall's run is asked for at once
        assert any("Nothing is published yet" in i.value for i in group.info)  # the last wall built
        args = _watcher(group)
        assert args["awaiting"] is True and args["seen"] != "build"  # follows the next wall built, not a loop
        assert args["every_ms"] == 2000  # and reads the signal as often as a page that follows
        assert any("adds it in a moment" in c.value for c in group.caption)
    finally:
        walls.building.discard(room)
    group.run()  # the watcher saw a newer wall built (or this run builds it)
    _ok(group)
    assert any("The wall: 1 published" in m.value for m in group.markdown)
    assert _watcher(group)["awaiting"] is False and "_wall_awaits" not in group.session_state


def test_the_wall_draws_the_latest_four_maps_and_more_on_request(database):
    """Six items: the wall draws the maps of the latest four (each map drawn costs every browser in the room when
    the wall changes), the table holds all six, and the group can choose up to eight maps. Until it chooses, the
    maps follow the wall (a new item shows, the oldest goes); a choice stays as others publish."""
    from hotspots.method import Method
    from ui.state import demo_specs
    from ui.wall import MAX_WALL_MAPS, WALL_MAPS_SHOWN

    store = open_store(database)
    _, room, _ = store.create_room()
    spec = demo_specs()[COLOMBO_LABEL]

    def publish(number: int) -> None:
        ws = store.create_workspace()
        store.put_city(ws, spec)
        store.save_scenario(ws, f"Group {number}", Method(seed=number))
        store.publish(room, ws, COLOMBO_LABEL, f"Group {number}")

    def drawn(session) -> list[int]:
        return [
            n
            for n in range(10)
            if any(m.value == f"**{plain(f'{COLOMBO_LABEL} · Group {n}')}**" for m in session.markdown)
        ]

    def maps_shown(session):
        (widget,) = [w for w in session.multiselect if w.label == "Maps shown"]
        return widget

    for number in range(6):
        publish(number)
    session = _room_session(room=room)
    _ok(session)
    assert WALL_MAPS_SHOWN == 4 and drawn(session) == [2, 3, 4, 5]
    chosen = maps_shown(session)
    assert chosen.value == [f"{COLOMBO_LABEL} · Group {number}" for number in range(2, 6)]
    assert chosen.max_selections == MAX_WALL_MAPS == 8
    publish(6)  # another group publishes: the latest four follow (the wall's run, as its watcher asks)
    session.run()
    _ok(session)
    assert drawn(session) == [3, 4, 5, 6]
    maps_shown(session).set_value([f"{COLOMBO_LABEL} · Group {number}" for number in range(7)]).run()
    _ok(session)
    assert drawn(session) == list(range(7))
    assert any(len(frame.value) == 7 for frame in session.dataframe)  # the cities in numbers: every item
    publish(7)  # a choice stays as the wall changes
    session.run()
    _ok(session)
    assert drawn(session) == list(range(7))
    # the chart of dimension scores: an SVG with a bar per item and dimension, no Vega chart (ui.wall_chart)
    svgs = [m.value for m in session.markdown if m.value.startswith("<div><svg")]
    (chart,) = [svg for svg in svgs if "data-score=" in svg]
    assert chart.count("data-score=") == 8 * 3 and not session.get("vega_lite_chart")
    # the maps: SVG pictures (hotspots.maps.svg_map), one per map drawn, every Colombo ward in each; no map frame
    maps = [svg for svg in svgs if 'aria-label="Risk map&#58; ' in svg]
    wards = demo_cities()["colombo"].n_wards
    assert len(maps) == 7 and all(svg.count('<path class="ward"') == wards for svg in maps)
    frames = [c.proto.component_name for c in session.get("component_instance")]
    assert frames and not [name for name in frames if "hotspots_map" in name]  # the room's watcher only


def test_a_wall_map_of_many_wards_is_a_picture(database, monkeypatch):
    """Above ui.wall.MAX_SVG_WARDS wards (lowered here below Colombo's 47) a wall map is a PNG, not an SVG of
    every ward: a national layer's SVG would be megabytes for every browser in the room."""
    import ui.wall
    from hotspots.method import Method
    from ui.state import demo_specs

    store = open_store(database)
    _, room, _ = store.create_room()
    ws = store.create_workspace()
    store.put_city(ws, demo_specs()[COLOMBO_LABEL])
    store.save_scenario(ws, "Group 1", Method(seed=1))
    store.publish(room, ws, COLOMBO_LABEL, "Group 1")
    monkeypatch.setattr(ui.wall, "MAX_SVG_WARDS", 40)
    session = _room_session(room=room)
    _ok(session)
    (picture,) = session.get("image")
    assert "47 wards: a picture without tooltips" in str(picture.proto)
    assert not [m for m in session.markdown if 'aria-label="Risk map&#58; ' in m.value]


def test_choices_made_in_a_tab_stay_while_another_tab_is_open():
    # The tabs are lazy: a widget not drawn in a run lost its value, so a group comparing three cities that looked at
    # the map came back to the first two, and the ward picked on the Map tab was gone after a look at another tab.
    at = _session()
    wards = at.selectbox(key=f"ward:{KOLKATA_LABEL}")
    picked = wards.options[5].split(" ")[0]
    wards.set_value(picked).run()
    _open(at, "Compare")
    three = list(at.session_state["cities"])[:3]
    at.multiselect(key="compare_cities").set_value(three).run()
    at.radio(key="compare_scale").set_value("common").run()
    _open(at, "Interactions")
    at.selectbox(key="bv_y").set_value("ideological").run()
    _ok(at)
    _open(at, "Map")
    assert at.selectbox(key=f"ward:{KOLKATA_LABEL}").value == picked
    _open(at, "Compare")
    assert at.multiselect(key="compare_cities").value == three
    assert at.radio(key="compare_scale").value == "common"
    _open(at, "Interactions")
    assert at.selectbox(key="bv_y").value == "ideological"
