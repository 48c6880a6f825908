"""Publishing to the room: a city of the group's workspace under one of its saved scenarios (a copy).

The form is drawn inside the wall's fragment (:func:`ui.wall.render_wall`): a publish reruns the form and the wall,
not the page with its sidebar (one quiet session, a wall of six items, the publish and the wall's run after it:
2.4 + 0.7 CPU-s of Chromium, against 2.7 + 0.8 when the page ran; ``bench/RESULTS.md``).
"""

from __future__ import annotations

import streamlit as st

from ui.cache import workspace_store
from ui.common import keep_choice, plain
from ui.room_signal import post_signal
from ui.workspace import STORE_ERRORS

# Session-state keys a publish sets for the wall (ui.wall reads them):
JUST_PUBLISHED = "_just_published"  #: this run shows the confirmation first; the wall's build follows
WALL_AWAITS = "_wall_awaits"  #: the item published, followed until it is on the wall shown
WALL_MAPS_CHOICE = "_wall_maps_choice"  #: the maps the group chose (none: the latest follow the wall)


def publish_form(room: str) -> None:
    """The form, and the confirmation (or the error) of the last publish."""
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
    for key, show in (("publish_error", st.error), ("publish_message", st.success)):
        if key in state:
            show(plain(state.pop(key)))
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
        return
    post_signal(room)  # the other browsers in the room learn of it in a few seconds
    state["publish_message"] = f"Published {city} under {scenario}."
    state[JUST_PUBLISHED] = True
    state[WALL_AWAITS] = item
    state.pop(WALL_MAPS_CHOICE, None)  # its maps: the latest, its own among them
