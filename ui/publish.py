"""Publishing to the room: a city of the group's workspace under one of its saved scenarios (a copy).

The form is a fragment of its own, above the wall's (:func:`ui.wall.render_wall`): a publish reruns the form alone,
so the confirmation is drawn at once, without the wall's maps, table and chart drawn again with it (every element of
a fragment is drawn anew by the browser on each of its runs). The run gives the form's invisible frame
(:func:`ui.room_signal.ask_for_wall`) the item published, and the frame asks at once for a run of the form and the
wall: the wall is then drawn in a run of its own, with the group's own map.
"""

from __future__ import annotations

import streamlit as st

from ui.cache import workspace_store
from ui.common import keep_choice, plain
from ui.room_signal import ask_for_wall, post_signal
from ui.workspace import STORE_ERRORS

# Session-state keys a publish sets for the wall (ui.wall reads them):
JUST_PUBLISHED = "_just_published"  #: the item this session just published: the form's run asks for the wall
PUBLISHED = "_published"  #: (room, confirmation) of this session's last publish, shown until the next
WALL_AWAITS = "_wall_awaits"  #: the item published, followed until it is on the wall shown
WALL_MAPS_CHOICE = "_wall_maps_choice"  #: the maps the group chose (none: the latest follow the wall)


#: The fragments' keys: after a publish the form's frame asks for both by their keys (``st.rerun([...])``).
PUBLISH_FRAGMENT, WALL_FRAGMENT = "room_publish", "room_wall"


@st.fragment(key=PUBLISH_FRAGMENT)
def publish_form(room: str) -> None:
    """The form, the confirmation (or the error) of the last publish, and the frame that, after a publish, asks for
    the wall's run."""
    state = st.session_state
    scenarios = list(state.get("scenarios", {}))
    st.markdown("**Publish to the room**")
    if not scenarios:
        st.info("Save a scenario first (sidebar, Scenarios): a city is published under a scenario.")
        return
    c1, c2 = st.columns(2)
    cities = list(state["cities"])
    c1.selectbox("City", cities, key=keep_choice("publish_city", cities), persist_state="session")
    c2.selectbox("Scenario", scenarios, key=keep_choice("publish_scenario", scenarios), persist_state="session")
    st.button("Publish", key="publish", on_click=_publish, args=(room,))
    if "publish_error" in state:
        st.error(plain(state.pop("publish_error")))
    elif state.get(PUBLISHED, (None,))[0] == room:  # the last publish to this room, until the next
        st.success(plain(state[PUBLISHED][1]))
    # after a publish: the form's run that follows (the frame's answer) draws the form as it is, then the wall
    ask_for_wall(state.pop(JUST_PUBLISHED, None), [PUBLISH_FRAGMENT, WALL_FRAGMENT])
    st.caption("Only what you publish is visible in the room: your other cities and files stay in your workspace.")


def _publish(room: str) -> None:
    state, store = st.session_state, workspace_store()
    city, scenario = state.get("publish_city"), state.get("publish_scenario")
    try:
        store.put_city(state["ws"], state["cities"][city])
        store.save_scenario(state["ws"], scenario, state["scenarios"][scenario])
        item = store.publish(room, state["ws"], city, scenario)
    except STORE_ERRORS as exc:
        state["publish_error"] = str(exc)
        state.pop(PUBLISHED, None)
        return
    post_signal(room)  # the other browsers in the room learn of it in a few seconds
    state[PUBLISHED] = (room, f"Published {city} under {scenario}.")
    state[JUST_PUBLISHED] = item
    state[WALL_AWAITS] = item
    state.pop(WALL_MAPS_CHOICE, None)  # its maps: the latest, its own among them
