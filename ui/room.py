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
the group's ``?ws=`` link, or the room's link alone, gives none. The wall itself is :mod:`ui.wall`: a fragment that
learns when something is published or removed (:mod:`ui.room_signal`) and redraws itself ("Follow live", the
facilitator's default) or offers the new wall with a button (a group's default).
"""

from __future__ import annotations

import os
from urllib.parse import urlencode

import streamlit as st

from ui.cache import workspace_store
from ui.common import plain
from ui.publish import publish_form
from ui.room_signal import post_signal
from ui.wall import render_wall
from ui.workspace import STORE_ERRORS

PASSCODE_ENV = "HOTSPOTS_ROOM_PASSCODE"


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
    publish_form(room)  # a fragment: a publish reruns the form, and then the wall (each alone)
    st.divider()
    render_wall(room, token)
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
    with st.form("join", border=False):  # the code and the button in one run (Enter joins too)
        st.text_input("Join code", key="join_code", max_chars=20, help="The 8-character code the facilitator gave.")
        st.form_submit_button("Join the room", key="join_room", on_click=_join)
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
    post_signal(room)  # the other browsers in the room learn at once that it closed
    st.query_params.pop("room", None)
    st.query_params.pop("host", None)
    st.session_state.get("facilitator", {}).pop(room, None)
    st.session_state["room_message"] = "The room is closed."
