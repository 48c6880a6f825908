"""The Room tab: a workshop's shared wall. A facilitator opens a room and reads out its join code; groups join,
publish a city under one of their scenarios, and everyone sees every published map side by side.

Only what is published is visible in a room (a copy made when published: the group's other cities and its uploads
stay in its workspace). The room travels in the URL (``?room=<random ID>``). When the app is served to others, a
room passcode (``HOTSPOTS_ROOM_PASSCODE`` or ``room_passcode`` in ``.streamlit/secrets.toml``, compared in constant
time) is asked before a room can be opened or joined; with an ``[auth]`` section in the secrets, the whole app asks
for the organisation's sign-in first (Streamlit's OIDC ``st.login``). Wrong passcodes and join codes are limited in
the store (:mod:`hotspots.workspace.limits`), per workspace and per server.

The facilitator's rights come only from the room's secret token, which travels in the facilitator's own link
(``?room=...&host=<token>``, shown once when the room is opened) and in nothing that is saved with the workspace:
the group's ``?ws=`` link, or the room's link alone, gives none. The wall redraws itself when something is published
or removed: a fragment checks the room's revision every :data:`REFRESH_S` seconds (one small query).
"""

from __future__ import annotations

import dataclasses
import os
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from hotspots.classify import CLASS_LABELS
from hotspots.errors import HotspotsError
from hotspots.maps import NO_DATA_COLOR, RISK_COLORS
from hotspots.maps.element import map_parts
from hotspots.profiles import profile_results
from hotspots.summary import city_summary
from ui.cache import per_revision, per_wall, room_items, scored_city, scored_on_common_scale, workspace_store
from ui.common import city_map, plain, show_error
from ui.map_component import risk_map_component
from ui.workspace import STORE_ERRORS

PASSCODE_ENV = "HOTSPOTS_ROOM_PASSCODE"
REFRESH_S = 15  #: seconds between the wall's checks for news
WALL_MAP_HEIGHT = 380
MAPS_PER_ROW = 2
MAX_WALL_MAPS = 8  # maps drawn at once (the table and the chart hold every item): 30 maps would stall a laptop
#: The wall's classes: fixed bounds on the 0-10 scale, the same in every map, so one legend reads them all.
WALL_BREAKS = [2.0, 4.0, 6.0, 8.0, 10.0]


def _secrets() -> dict:
    """``st.secrets`` as a dict (empty when the app has no secrets file)."""
    try:
        return dict(st.secrets)
    except (FileNotFoundError, KeyError):
        return {}


def room_passcode() -> str | None:
    """The room passcode of this server (None: rooms need none, e.g. on a laptop for one table)."""
    return os.environ.get(PASSCODE_ENV) or _secrets().get("room_passcode") or None


def require_sign_in() -> None:
    """With an ``[auth]`` section in the secrets, stop here until the user has signed in (``st.login``)."""
    if "auth" in _secrets() and not st.user.is_logged_in:
        st.title("Ward risk hotspots")
        st.button("Sign in", on_click=st.login, key="sign_in")
        st.stop()


def render_room(inputs: dict) -> None:
    """The tab: unlock (passcode), join or open a room; in a room: publish, the wall, the facilitator's tools."""
    st.subheader("Workshop room")
    state = st.session_state
    for key, show in (("room_error", st.error), ("room_message", st.success)):
        if key in state:
            show(plain(state.pop(key)))
    _show_facilitator_link()
    if not _unlocked():
        return
    room = st.query_params.get("room")
    code = workspace_store().room_code(room) if room else None
    if code is None:
        if room:
            st.warning("This room is closed (or the link is mistyped).")
        _join_or_open()
        return
    token = facilitator_token(room)
    st.markdown(f"Room code **{code}** · share it with the groups; they join in this tab.")
    st.button("Leave the room", key="leave_room", on_click=_leave)
    _publish_form(room)
    st.divider()
    _wall(room, token)
    if token:
        _facilitator_tools(room, token)


def _facilitator_tools(room: str, token: str) -> None:
    with st.expander("The room's link for the groups"):
        st.caption(
            "When a group cannot join with the code (after too many wrong codes on this server it must wait), give it "
            "this link: it opens the room (after the passcode) without the code, and gives no facilitator rights."
        )
        st.code(f"{_address()}?{urlencode({'room': room})}", language=None, wrap_lines=True)
    st.button("Close the room (for everyone)", key="close_room", on_click=_close, args=(room, token))


def _address() -> str:
    """This app's address without its query (empty where the runner does not know it, as in tests)."""
    return (st.context.url or "").split("?")[0]


def _unlocked() -> bool:
    """Whether this session may use rooms: no passcode is set, or the right one was given."""
    passcode = room_passcode()
    if passcode is None or st.session_state.get("room_unlocked"):
        return True
    st.text_input("Room passcode", type="password", key="room_passcode_input", help="Ask the facilitator.")
    st.button("Unlock", key="unlock_room", on_click=_unlock, args=(passcode,))
    return False


def _unlock(passcode: str) -> None:
    state = st.session_state
    given = str(state.get("room_passcode_input") or "")
    try:
        right = workspace_store().try_passcode(given, passcode, scope=state["ws"])
    except STORE_ERRORS as exc:  # too many wrong passcodes: the message says how long to wait
        state["room_error"] = str(exc)
        return
    if right:
        state["room_unlocked"] = True
    else:
        state["room_error"] = "That is not the room passcode."


def _join_or_open() -> None:
    st.text_input("Join code", key="join_code", max_chars=20, help="The 8-character code the facilitator gave.")
    st.button("Join the room", key="join_room", on_click=_join)
    st.caption("Facilitator: open a room for the workshop and read its code out to the groups.")
    st.button("Open a new room", key="open_room", on_click=_open)


def _join() -> None:
    state = st.session_state
    try:  # wrong codes count against this workspace and the server (hotspots.workspace.limits)
        st.query_params["room"] = workspace_store().join_room(state.get("join_code") or "", scope=state["ws"])
    except STORE_ERRORS as exc:
        state["room_error"] = str(exc)


def _open() -> None:
    code, room, token = workspace_store().create_room()
    st.session_state.setdefault("facilitator", {})[room] = token
    st.query_params["room"], st.query_params["host"] = room, token
    st.session_state["room_message"] = f"Room {code} is open. You are its facilitator."
    st.session_state["facilitator_link"] = {"ws": st.session_state["ws"], "room": room, "host": token}


def facilitator_token(room: str) -> str | None:
    """The room's facilitator token when this session holds it, else None.

    It comes from the link's ``host=`` (the facilitator link), checked against the store, or from this browser
    session (the one that opened the room or came in by the facilitator link keeps it after leaving and rejoining),
    and is put back into the address so that a reload keeps the rights. It is never saved with the workspace.
    """
    remembered = st.session_state.setdefault("facilitator", {})
    given = st.query_params.get("host")
    if given and workspace_store().is_facilitator(room, given):
        remembered[room] = given
    elif given:
        st.warning("The facilitator key in this link (host=…) is not this room's: you are here as a group.")
    token = remembered.get(room)
    if token and given != token:
        st.query_params["host"] = token
    return token


def _show_facilitator_link() -> None:
    """Once, right after the room is opened: the facilitator's own link, and to keep it private."""
    link = st.session_state.pop("facilitator_link", None)
    if link is None:
        return
    st.markdown("**Your facilitator link.** Open it again (on any device) to come back as the facilitator:")
    st.code(f"{_address()}?{urlencode(link)}", language=None, wrap_lines=True)
    st.caption(
        "Keep this link private: anyone with it can remove items from the wall and close the room. Give the groups "
        "the join code, never this link."
    )


def _leave() -> None:
    st.query_params.pop("room", None)
    st.query_params.pop("host", None)


def _close(room: str, token: str) -> None:
    try:
        workspace_store().close_room(room, token)
    except STORE_ERRORS as exc:
        st.session_state["room_error"] = str(exc)
        return
    st.query_params.pop("room", None)
    st.query_params.pop("host", None)
    st.session_state.get("facilitator", {}).pop(room, None)
    st.session_state["room_message"] = "The room is closed."


# -- publishing -------------------------------------------------------------------------------------------------


def _publish_form(room: str) -> None:
    """A city of this workspace under one of its saved scenarios, published to the room (a copy)."""
    state = st.session_state
    scenarios = list(state.get("scenarios", {}))
    st.markdown("**Publish to the room**")
    if not scenarios:
        st.info("Save a scenario first (sidebar, Scenarios): a city is published under a scenario.")
        return
    c1, c2 = st.columns(2)
    c1.selectbox("City", list(state["cities"]), key="publish_city")
    c2.selectbox("Scenario", scenarios, key="publish_scenario")
    st.button("Publish", key="publish", on_click=_publish, args=(room,))
    st.caption("Only what you publish is visible in the room: your other cities and files stay in your workspace.")


def _publish(room: str) -> None:
    state, store = st.session_state, workspace_store()
    city, scenario = state.get("publish_city"), state.get("publish_scenario")
    try:
        store.put_city(state["ws"], state["cities"][city])
        store.save_scenario(state["ws"], scenario, state["scenarios"][scenario])
        store.publish(room, state["ws"], city, scenario)
    except STORE_ERRORS as exc:
        state["room_error"] = str(exc)
        return
    state["room_message"] = f"Published {city} under {scenario}."


# -- the wall ---------------------------------------------------------------------------------------------------


def _inputs_of(method) -> dict:
    """A scenario as the sidebar's inputs (what :mod:`ui.cache` scores with)."""
    return {
        "framework": method.framework,
        "neighbours": method.neighbours,
        "permutations": method.permutations,
        "correction": method.correction,
        "suppress_below": method.suppress_below,
        "basemap": False,
    }


def _labels(items) -> dict[str, object]:
    """Each item under a readable label ("city · scenario"; numbered when the same pair is there twice)."""
    labels = {}
    for item in items:
        label = f"{item.city} · {item.scenario}"
        labels[label if label not in labels else f"{label} (#{item.id})"] = item
    return labels


def wall_results(items) -> tuple[dict, str]:
    """Every item scored: on one common scale when all share one scenario's method, else each on its own."""
    labels = _labels(items)
    methods = {item.method.key for item in items}
    if len(methods) == 1 and len(items) > 1:
        inputs = _inputs_of(items[0].method)
        return scored_on_common_scale({label: item.spec for label, item in labels.items()}, inputs), "common"
    results = {}
    for label, item in labels.items():
        try:
            results[label] = scored_city(item.spec, _inputs_of(item.method))
        except HotspotsError as exc:
            show_error(exc, f"{plain(label)}: ")
    return pooled_profiles(results, items[0].method if items else None), "own"


def pooled_profiles(results: dict, method) -> dict:
    """The items with risk profiles learned on all their wards together, so that a profile means the same in every
    city of the room (copies: the scored cities in the app's cache keep their own profiles)."""
    if len(results) < 2 or method is None or method.profiles == 0:
        return results
    copies = {label: dataclasses.replace(r, layer=r.layer.copy()) for label, r in results.items()}
    try:
        profile_results(copies, k=None if method.profiles == "auto" else int(method.profiles), seed=method.seed)
    except HotspotsError as exc:  # e.g. items scored with different dimensions: each keeps its own profiles
        st.caption(f"Risk profiles are each city's own here: {plain(str(exc))}")
        return results
    return copies


def _wall(room: str, token: str | None) -> None:
    """Every published map side by side under one legend, the cities in numbers, and their dimension scores."""
    revision = workspace_store().room_revision(room)
    items = room_items(room, revision)
    st.markdown(f"**The wall: {len(items)} published**")
    _watch_wall(room, revision)
    if not items:
        st.info("Nothing is published yet.")
        return
    try:
        # once per room and revision for every session showing the wall (a publish redraws every session's wall)
        results, scale = per_wall(f"results|{room}|{revision}", lambda: wall_results(items))
    except HotspotsError as exc:
        show_error(exc)
        return
    st.caption(
        "All published items share one scenario: scores are on one scale learned from all their wards."
        if scale == "common"
        else "Each city's scores are on its own scale (how a ward ranks within its city; the items do not all share "
        "one scenario), and a colour means the same score range in every map."
    )
    st.markdown(wall_legend(), unsafe_allow_html=True)
    ids = {label: item.id for label, item in _labels(items).items()}
    labels = list(results)
    if len(labels) > MAX_WALL_MAPS:
        labels = st.multiselect(
            "Maps shown",
            list(results),
            default=list(results)[-MAX_WALL_MAPS:],
            max_selections=MAX_WALL_MAPS,
            key="wall_maps",
            help=f"Up to {MAX_WALL_MAPS} maps at once (the latest published first shown); the table and the chart "
            "below hold every item.",
        )
    for start in range(0, len(labels), MAPS_PER_ROW):
        for column, label in zip(st.columns(MAPS_PER_ROW), labels[start : start + MAPS_PER_ROW]):
            with column:
                _wall_map(label, results[label], room, token, ids[label], revision)
    _wall_tables(results, f"{room}|{revision}")


@st.fragment(run_every=REFRESH_S)
def _watch_wall(room: str, drawn: tuple) -> None:
    """Every :data:`REFRESH_S` seconds, and on Refresh, only this runs: one small query for the room's revision.
    When the wall changed since it was drawn (a publish, a removal, the room closed), the page is drawn again;
    otherwise nothing is read, scored or drawn."""
    refresh = st.button("Refresh", key="refresh_wall", help=f"The wall also updates itself every {REFRESH_S} s.")
    if refresh or wall_changed(room, drawn):
        st.rerun()


def wall_changed(room: str, drawn: tuple) -> bool:
    """Whether the room's wall is no longer the one drawn at revision ``drawn``."""
    return workspace_store().room_revision(room) != drawn


def _wall_parts(result, version: str) -> dict:
    """One wall map as the map component draws it (made once per room, item and revision: the pooled risk
    profiles change when the wall does)."""
    fixed = dataclasses.replace(result, breaks={column: WALL_BREAKS for column in result.breaks})
    return {**map_parts(city_map(fixed, {"basemap": False}, compact=True, legend=False)), "version": version}


def _wall_map(label: str, result, room: str, token: str | None, item_id: int, revision: tuple) -> None:
    """One published map, in the app's map component: it stays drawn when the wall changes (a publish restyles
    the maps already drawn, it does not mount them again)."""
    st.markdown(f"**{plain(label)}**")
    try:
        version = f"wall|{room}|{item_id}|{revision}"
        parts = per_revision(version, lambda: _wall_parts(result, version))
    except HotspotsError as exc:
        show_error(exc)
        return
    risk_map_component(parts, key=f"wall:{item_id}", name=label, height=WALL_MAP_HEIGHT)
    if token:
        st.button("Remove from the wall", key=f"remove:{item_id}", on_click=_remove, args=(room, token, item_id))


def _remove(room: str, token: str, item_id: int) -> None:
    try:
        workspace_store().remove_item(room, token, item_id)
    except STORE_ERRORS as exc:
        st.session_state["room_error"] = str(exc)


def wall_legend() -> str:
    """One legend for every map of the wall: five fixed classes on the 0-10 scale, and No data."""
    bounds = [0.0, *WALL_BREAKS]
    swatches = [
        f'<span style="margin-right:14px;white-space:nowrap"><i style="display:inline-block;width:20px;height:13px;'
        f'margin-right:5px;background:{color}"></i>{label} ({low:g}–{high:g})</span>'
        for color, label, low, high in zip(RISK_COLORS, CLASS_LABELS, bounds, bounds[1:])
    ]
    swatches.append(
        f'<span><i style="display:inline-block;width:20px;height:13px;margin-right:5px;'
        f'background:{NO_DATA_COLOR}"></i>No data</span>'
    )
    return '<div style="font-size:0.9rem;line-height:1.9">Risk score: ' + "".join(swatches) + "</div>"


def _wall_tables(results: dict, version: str) -> None:
    """The summary table per city, and a chart of the dimension scores per city."""
    table = per_revision(f"summary|{version}", lambda: city_summary(results))
    st.markdown("**The cities in numbers**")
    st.dataframe(table, hide_index=True, width="stretch", key="wall_summary")
    dimensions = [c[: -len("_mean")] for c in table.columns if c.endswith("_mean")]
    chart = pd.DataFrame({d.capitalize(): table[f"{d}_mean"].to_numpy() for d in dimensions}, index=table["city"])
    st.markdown("**Mean dimension scores (0-10) per city**")
    st.bar_chart(chart, stack=False, horizontal=True, height=80 + 40 * len(table))
