"""The workspace: this group's cities, scenarios and view, saved as they change and restored from the link.

The URL carries the workspace (``?ws=<random ID>``): reopening the link, in another tab or after a server restart,
brings the work back. :func:`init_workspace` opens or starts the workspace and, on a session's first run, restores
it (before the sidebar is drawn, so the restored weights are the widgets' values); :func:`save_workspace` runs at
the end of each run and writes only what changed. ``st.session_state["scenarios"]`` holds the saved scenarios
(name -> :class:`hotspots.method.Method`) and ``st.session_state["scenario"]`` the active one.

Uploads of a scenario or workspace file go through ``st.session_state["scenario_file"]`` and
``st.session_state["workspace_file"]`` (dicts of ``data`` and ``name``), which tests fill directly.
"""

from __future__ import annotations

import re
import sqlite3

import streamlit as st

from hotspots.errors import HotspotsError
from hotspots.method import Method
from hotspots.workspace import read_scenario_file, scenario_file
from ui.cache import method_of, workspace_store
from ui.common import plain
from ui.state import apply_method, demo_specs

STORE_ERRORS = (HotspotsError, sqlite3.Error, OSError)


def init_workspace() -> None:
    """Open the URL's workspace (or start one), restore it on the session's first run, apply uploaded files."""
    state, store = st.session_state, workspace_store()
    ws = st.query_params.get("ws")
    if state.get("ws") is None or state["ws"] != ws:
        if not store.has_workspace(ws):
            if ws:
                state["workspace_notice"] = "The workspace of this link was not found here: a new one was started."
            ws = store.create_workspace()
            st.query_params["ws"] = ws
        state["ws"] = ws
        restore(ws)
    _apply_scenario_file()
    _apply_workspace_file()


def restore(ws: str) -> None:
    """Put a saved workspace into the session: its cities, scenarios, and view (city, tab, scenario, settings)."""
    state, store = st.session_state, workspace_store()
    state["cities"] = {**demo_specs(), **store.cities(ws)}
    state["saved_cities"] = set(state["cities"])
    state["scenarios"] = store.scenarios(ws)
    view = store.view(ws)
    state["saved_view"] = view
    if view.get("city") in state["cities"]:
        state["city"] = view["city"]
    if isinstance(view.get("tab"), str):
        state["view"] = view["tab"]
    state["scenario"] = view.get("scenario") if view.get("scenario") in state["scenarios"] else None
    if view.get("room") and not st.query_params.get("room"):
        st.query_params["room"] = view["room"]
    if isinstance(view.get("method"), dict):
        try:
            apply_method(Method.from_dict(view["method"]))
        except HotspotsError as exc:
            state["workspace_notice"] = f"The saved settings could not be restored: {exc}"


def save_workspace(inputs: dict) -> None:
    """Save what changed in this run: new cities and the view (city, tab, scenario, settings, room)."""
    state = st.session_state
    state["current_method"] = method = method_of(inputs)
    view = {
        "city": inputs["city"],
        "tab": state.get("view"),
        "scenario": state.get("scenario"),
        "method": method.to_dict(),
        "room": st.query_params.get("room"),
    }  # never the facilitator's token: whoever has the ?ws= link would become the facilitator
    try:
        for label, spec in state["cities"].items():
            if label not in state.get("saved_cities", set()):
                workspace_store().put_city(state["ws"], spec)
                state.setdefault("saved_cities", set()).add(label)
        if view != state.get("saved_view"):
            workspace_store().set_view(state["ws"], view)
            state["saved_view"] = view
    except STORE_ERRORS as exc:
        st.warning(f"Your work could not be saved: {plain(exc)}")


# -- scenarios in the sidebar -----------------------------------------------------------------------------------


def render_scenarios(inputs: dict) -> None:
    """Scenario picker (switching applies it), save as, download, upload, delete; then the workspace's tools."""
    state = st.session_state
    state["current_method"] = method_of(inputs)
    st.header("Scenarios")
    names = list(state.get("scenarios", {}))
    st.selectbox(
        "Scenario",
        names,
        key="scenario",
        index=names.index(state["scenario"]) if state.get("scenario") in names else None,  # as ui.common.held_index
        placeholder="No scenario saved yet" if not names else "Choose a scenario",
        on_change=on_switch_scenario,
        help="A scenario is a saved model: weights, directions, normalisation, aggregation, classes and hot-spot "
        "options. Choosing one sets the sidebar to it.",
    )
    active = state.get("scenario")
    if active and state.get("current_method") is not None and state["scenarios"][active] != state["current_method"]:
        st.caption("The settings have changed since this scenario was saved: save to keep them.")
    with st.form("save_scenario", clear_on_submit=True, border=False):
        st.text_input("Save the current settings as", key="scenario_name", max_chars=200)
        st.form_submit_button("Save scenario", on_click=on_save_scenario)
    if "scenario_error" in state:
        st.error(plain(state["scenario_error"]))
    if active:
        st.download_button(
            "Download this scenario",
            scenario_file(active, state["scenarios"][active]),
            file_name=f"{_file_stem(active)}.scenario.json",
            mime="application/json",
            key="download_scenario",
            on_click="ignore",
        )
        st.button("Delete this scenario", key="delete_scenario", on_click=on_delete_scenario)
    st.file_uploader("Load a scenario file", type=["json"], key="scenario_upload", on_change=on_scenario_upload)
    render_note(inputs["city"])
    render_workspace_tools()


def on_switch_scenario() -> None:
    """Callback of the scenario picker: the chosen scenario becomes the sidebar's settings."""
    name = st.session_state.get("scenario")
    if name in st.session_state.get("scenarios", {}):
        apply_method(st.session_state["scenarios"][name])


def on_save_scenario() -> None:
    """Callback of "Save scenario": the settings of the last run, under the name typed."""
    state = st.session_state
    state.pop("scenario_error", None)
    name = (state.get("scenario_name") or "").strip()
    if not name:
        state["scenario_error"] = "Type a name for the scenario first."
        return
    _save_scenario(name, state.get("current_method") or Method())


def _save_scenario(name: str, method: Method) -> None:
    state = st.session_state
    try:
        workspace_store().save_scenario(state["ws"], name, method)
        state["scenarios"] = workspace_store().scenarios(state["ws"])
    except STORE_ERRORS as exc:
        state["scenario_error"] = str(exc)
        return
    state["scenario"] = name


def on_delete_scenario() -> None:
    state = st.session_state
    name = state.get("scenario")
    try:
        workspace_store().delete_scenario(state["ws"], name)
        state["scenarios"] = workspace_store().scenarios(state["ws"])
    except STORE_ERRORS as exc:
        state["scenario_error"] = str(exc)
        return
    state["scenario"] = None


def on_scenario_upload() -> None:
    upload = st.session_state.get("scenario_upload")
    if upload is not None:
        st.session_state["scenario_file"] = {"data": upload.getvalue(), "name": upload.name}


def _apply_scenario_file() -> None:
    """Save an uploaded scenario file (under a new name if its name is taken by another) and make it active."""
    state = st.session_state
    pending = state.pop("scenario_file", None)
    if pending is None:
        return
    state.pop("scenario_error", None)
    try:
        name, method = read_scenario_file(pending["data"], pending["name"])
    except HotspotsError as exc:
        state["scenario_error"] = str(exc)
        return
    taken = state.get("scenarios", {})
    base, number = name, 2
    while name in taken and taken[name] != method:
        name, number = f"{base} ({number})", number + 1
    _save_scenario(name, method)
    apply_method(method)


def _file_stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_")[:60] or "scenario"


# -- notes on wards ---------------------------------------------------------------------------------------------


def render_note(city: str) -> None:
    """The group's note on the ward picked on the map (saved as it is typed)."""
    state = st.session_state
    ward_id = state.get(f"ward:{city}")
    with st.expander("Notes"):
        notes = workspace_store().notes(state["ws"], city)
        if ward_id is None:
            st.caption("Pick a ward on the map to write a note on it.")
        else:
            key = f"note:{city}:{ward_id}"
            state.setdefault(key, notes.get((city, str(ward_id)), ""))
            st.text_area(
                f"Note on ward {plain(ward_id)}", key=key, max_chars=10_000, on_change=_save_note, args=(city, ward_id)
            )
        if notes:
            st.caption(f"Notes in this city: {len(notes)} ward(s): {plain(', '.join(w for _, w in notes))}")


def _save_note(city: str, ward_id: str) -> None:
    try:
        workspace_store().set_note(
            st.session_state["ws"], city, str(ward_id), st.session_state[f"note:{city}:{ward_id}"]
        )
    except STORE_ERRORS as exc:
        st.session_state["workspace_error"] = str(exc)


# -- the workspace: link, export, import ------------------------------------------------------------------------


def render_workspace_tools() -> None:
    """The workspace's link, and its export and import as one zip file."""
    state = st.session_state
    with st.expander("Workspace: link, export, import"):
        st.caption(
            "Your work is saved as you go. Keep this page's address (it ends in ?ws=…) to come back to it; anyone "
            "with the address can open this workspace."
        )
        if st.query_params.get("host"):
            st.caption(
                "This address also carries your facilitator key (host=…): to share the workspace, remove that part."
            )
        if "workspace_notice" in state:
            st.info(plain(state.pop("workspace_notice")))
        st.download_button(
            "Export the workspace (zip)",
            lambda: workspace_store().export_workspace(state["ws"]),
            file_name="hotspots-workspace.zip",
            mime="application/zip",
            key="export_workspace",
            on_click="ignore",
        )
        st.file_uploader(
            "Import a workspace (zip)", type=["zip"], key="workspace_upload", on_change=on_workspace_upload
        )
        if "workspace_error" in state:
            st.error(plain(state["workspace_error"]))


def on_workspace_upload() -> None:
    upload = st.session_state.get("workspace_upload")
    if upload is not None:
        st.session_state["workspace_file"] = {"data": upload.getvalue(), "name": upload.name}


def _apply_workspace_file() -> None:
    """Import an uploaded workspace zip as a new workspace and open it (its link replaces this one)."""
    state = st.session_state
    pending = state.pop("workspace_file", None)
    if pending is None:
        return
    state.pop("workspace_error", None)
    try:
        ws = workspace_store().import_workspace(pending["data"], pending["name"])
    except STORE_ERRORS as exc:
        state["workspace_error"] = str(exc)
        return
    st.query_params["ws"] = ws
    state["ws"] = ws
    restore(ws)
    state["workspace_notice"] = f"Imported {pending['name']}: this is now your workspace (the address changed)."
