"""The room's wall: every published map side by side on one scale under one legend, the cities in numbers and a
chart of their dimension scores (:mod:`ui.room` draws the rest of the Room tab).

The wall is a fragment: on Refresh, on Remove, when the maps shown change, after the session's own publish (the
publish form, a fragment of its own, asks for it: :mod:`ui.publish`) and when the room's signal changes
(:mod:`ui.room_signal`: a frame reads a few bytes every few seconds; something was published or removed, or a newer
wall was built) only the wall runs again; an unchanged wall is not redrawn. A signal's change redraws the wall by
itself only with "Follow live" on (the facilitator's default: the room's screen); a group's page shows a line with
a button instead (the maps stay as they are while people read them, and a room's 30 browsers do not each spend a
CPU-second or two redrawing for every publish: ``bench/bench_room.py``). What the wall
shows is built once per room and revision for every session of the server, one build at a time
(:func:`ui.cache.latest_wall`): during a burst of publishes each session shows the last wall built until the newest
is ready.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io

import pandas as pd
import streamlit as st

from hotspots.classify import CLASS_LABELS
from hotspots.errors import HotspotsError
from hotspots.maps import NO_DATA_COLOR, RISK_COLORS
from hotspots.maps.static_map import render_map_image
from hotspots.maps.svg_map import svg_map
from hotspots.maps.views import HALO_COLOR, HOTSPOT_STYLES
from hotspots.profiles import profile_results
from hotspots.summary import city_summary
from ui.cache import latest_wall, per_revision, scored_city, scored_on_common_scale, workspace_store
from ui.common import plain, show_error
from ui.publish import WALL_AWAITS, WALL_FRAGMENT, WALL_MAPS_CHOICE
from ui.room_signal import post_signal, signal_of, watch_room
from ui.wall_chart import dimension_bars_svg
from ui.workspace import STORE_ERRORS

WALL_MAP_HEIGHT = 380
MAPS_PER_ROW = 2
MAX_WALL_MAPS = 8  # maps drawn at once at most (the table and the chart hold every item): 30 would stall a laptop
#: Maps drawn at first: the latest published, two rows that fit a screen or a projector. Each map drawn costs every
#: browser on the Room tab about half a CPU-second when the wall changes (bench/bench_room.py); more can be chosen.
WALL_MAPS_SHOWN = 4
#: Above this many wards a wall map is a PNG picture (no tooltips) instead of an SVG: a national layer's SVG would be
#: megabytes for every browser in the room to parse (a city's is 15-100 kB: the wards of ../shared's cities).
MAX_SVG_WARDS = 3000
FOLLOW_HELP = (
    "On: the wall redraws by itself when a group publishes (for the facilitator's screen; on by default there). "
    "Off: a line says what is new and you choose when to redraw, so the maps do not change while you read them "
    "(and 30 laptops do not all redraw for every publish)."
)
#: The wall's classes: fixed bounds on the 0-10 scale, the same in every map, so one legend reads them all.
WALL_BREAKS = [2.0, 4.0, 6.0, 8.0, 10.0]


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


@dataclasses.dataclass
class Wall:
    """What a wall shows at one revision of its room: the items, each scored, the scale, and notes on items that
    could not be scored as the others (``(kind, text)``: ``"error"`` or ``"caption"``)."""

    items: list
    results: dict
    scale: str
    notes: list


def build_wall(items) -> Wall:
    """The wall of these items (no element drawn: the wall is built once for every session of the server)."""
    notes: list = []
    results, scale = wall_results(items, notes)
    return Wall(items, results, scale, notes)


def wall_results(items, notes: list | None = None) -> tuple[dict, str]:
    """Every item scored: on one common scale when all share one scenario's method, else each on its own. Items
    that cannot be scored are left out, with a note in ``notes`` (shown at once when no list is given)."""
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
            _note(notes, "error", f"{label}: {exc}")
    return pooled_profiles(results, items[0].method if items else None, notes), "own"


def _note(notes: list | None, kind: str, text: str) -> None:
    if notes is None:
        (st.error if kind == "error" else st.caption)(plain(text))
    else:
        notes.append((kind, text))


def pooled_profiles(results: dict, method, notes: list | None = None) -> dict:
    """The items with risk profiles learned on all their wards together, so that a profile means the same in every
    city of the room (copies: the scored cities in the app's cache keep their own profiles)."""
    if len(results) < 2 or method is None or method.profiles == 0:
        return results
    copies = {label: dataclasses.replace(r, layer=r.layer.copy()) for label, r in results.items()}
    try:
        profile_results(copies, k=None if method.profiles == "auto" else int(method.profiles), seed=method.seed)
    except HotspotsError as exc:  # e.g. items scored with different dimensions: each keeps its own profiles
        _note(notes, "caption", f"Risk profiles are each city's own here: {exc}")
        return results
    return copies


@st.fragment(key=WALL_FRAGMENT)
def render_wall(room: str, token: str | None) -> None:
    """Every published map side by side under one legend, the cities in numbers, and their dimension scores.

    A fragment: on Refresh, on Remove, on the maps' choice, after this session's publish (:mod:`ui.publish`: the
    form's run asks for it) and when the room's signal says the wall changed (:func:`ui.room_signal.watch_room`)
    only the wall runs again; an unchanged wall is not redrawn. What it shows is read, scored and drawn once per
    room and revision for every session (:func:`ui.cache.latest_wall`, :func:`ui.cache.per_revision`), one build at a
    time: during a burst of publishes the last wall built is shown until the newest is ready."""
    revision = workspace_store().room_revision(room)
    if not revision or not revision[0]:  # closed since the page was drawn: the page says so
        st.rerun(scope="app")
    try:  # built once per revision for every session; while a newer wall is built, the last one is shown
        shown, wall = latest_wall(room, revision, lambda: build_wall(workspace_store().room_items(room)))
    except HotspotsError as exc:
        show_error(exc)
        return
    post_signal(room)  # after a build: the other sessions' watchers learn that a newer wall is there
    _wall_head(room, token, tuple(revision), shown, len(wall.items))
    for kind, text in wall.notes:
        (st.error if kind == "error" else st.caption)(plain(text))
    if not wall.items:
        st.info("Nothing is published yet.")
        return
    st.caption(
        "All published items share one scenario: scores are on one scale learned from all their wards."
        if wall.scale == "common"
        else "Each city's scores are on its own scale (how a ward ranks within its city; the items do not all share "
        "one scenario), and a colour means the same score range in every map."
    )
    st.markdown(wall_legend(), unsafe_allow_html=True)
    _wall_maps(wall.items, wall.results, room, token, shown)
    _wall_tables(wall.results, f"{room}|{shown}")


def _wall_head(room: str, token: str | None, revision: tuple, shown: tuple, count: int) -> None:
    """The wall's heading, "Follow live", Refresh and the room's watcher; a caption when the wall is behind.

    After this session's publish the watcher asks for the wall at each newer wall built until this session's item is
    on the wall shown (followed live or not: a group sees its own map)."""
    behind = shown != revision
    state = st.session_state
    if not behind or shown[2] >= state.get(WALL_AWAITS, shown[2]):
        state.pop(WALL_AWAITS, None)  # this session's item is on the wall (or the wall shows the room as it is)
    head, live, refresh = st.columns([3, 1, 1], vertical_alignment="center")
    head.markdown(f"**The wall: {count} published**")
    # on by default for the facilitator (the room's screen), off for a group; a choice holds for this room and role,
    # and a session that leaves for another room, or opens one, starts from that room's default
    role = "host" if token is not None else "group"
    follow = live.toggle(
        "Follow live",
        value=token is not None,
        key=f"wall_follow:{room}:{role}",
        help=FOLLOW_HELP,
        persist_state="session",
    )
    refresh.button("Refresh", key="refresh_wall", help="Show the wall as it is now.")
    awaiting = WALL_AWAITS in state
    watch_room(room, signal_of(revision, shown), follow=follow, awaiting=awaiting)
    if behind:
        st.caption(
            "Something new was published: the wall adds it in a moment (it updates itself)."
            if follow or awaiting
            else "Something new was published and its wall is being built: the line above offers it when it is ready."
        )


def _wall_maps(items, results: dict, room: str, token: str | None, revision: tuple) -> None:
    """The maps of the latest :data:`WALL_MAPS_SHOWN` items, or of those the group chose (up to eight).

    Until the group chooses, the maps follow the wall: a newer item (the group's own, just published) replaces the
    oldest shown. A choice is kept as the wall changes (items removed drop out of it), until the group publishes."""
    ids = {label: item.id for label, item in _labels(items).items()}
    labels = list(results)
    if len(labels) > WALL_MAPS_SHOWN:
        choice = st.session_state.get(WALL_MAPS_CHOICE)
        default = [label for label in choice if label in results] if choice is not None else labels[-WALL_MAPS_SHOWN:]
        key = "wall_maps|" + hashlib.sha256("\n".join(default).encode()).hexdigest()[:16]  # a new default: a new widget
        labels = st.multiselect(
            "Maps shown",
            list(results),
            default=default,
            max_selections=MAX_WALL_MAPS,
            key=key,
            on_change=_keep_choice,
            args=(key,),
            help=f"Up to {MAX_WALL_MAPS} maps at once (the latest {WALL_MAPS_SHOWN} published are shown first, and "
            "follow the wall until you choose); the table and the chart below hold every item.",
        )
    for start in range(0, len(labels), MAPS_PER_ROW):
        for column, label in zip(st.columns(MAPS_PER_ROW), labels[start : start + MAPS_PER_ROW]):
            with column:
                _wall_map(label, results[label], room, token, ids[label], revision)


def _keep_choice(key: str) -> None:
    st.session_state[WALL_MAPS_CHOICE] = list(st.session_state[key])


def _wall_map(label: str, result, room: str, token: str | None, item_id: int, revision: tuple) -> None:
    """One published map: an SVG of its risk classes on the wall's fixed scale, hot and cold spots outlined, each
    ward's score in its tooltip (made once per room, item and revision: the pooled risk profiles change when the
    wall does). A wall of Leaflet maps cost each browser in the room about half a CPU-second per map it drew, on
    joining, on every visit of the Room tab and on every publish (``bench/bench_room.py``); the group's own Map tab
    has the interactive map."""
    st.markdown(f"**{plain(label)}**")
    try:
        picture = per_revision(f"wall|{room}|{item_id}|{revision}", lambda: _wall_picture(result.layer, label))
    except HotspotsError as exc:
        show_error(exc)
        return
    if isinstance(picture, bytes):
        st.image(
            picture,
            caption=f"{len(result.layer):,} wards: a picture without tooltips (the group's own Map tab "
            "has the interactive map).",
        )
    else:
        # st.markdown, not st.html: st.html's sanitizer keeps HTML only (no SVG). Every text in it is inert, in HTML
        # and in Markdown (hotspots.maps.svg_map.inert), and the picture is one line: nothing ends the HTML block.
        st.markdown(f"<div>{picture}</div>", unsafe_allow_html=True)
    if token:
        st.button("Remove from the wall", key=f"remove:{item_id}", on_click=_remove, args=(room, token, item_id))


def _wall_picture(layer, label: str) -> str | bytes:
    """A wall map: an SVG (tooltips) up to :data:`MAX_SVG_WARDS` wards, else a PNG of the same classes and outlines."""
    if len(layer) <= MAX_SVG_WARDS:
        return svg_map(layer, breaks=WALL_BREAKS, height=WALL_MAP_HEIGHT, label=f"Risk map: {label}")
    image = render_map_image(layer, breaks={"risk_score": WALL_BREAKS}, size=(960, 2 * WALL_MAP_HEIGHT), legend=False)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _remove(room: str, token: str, item_id: int) -> None:
    try:
        workspace_store().remove_item(room, token, item_id)
    except STORE_ERRORS as exc:
        st.session_state["room_error"] = str(exc)
    post_signal(room)


def wall_legend() -> str:
    """One legend for every map of the wall: five fixed classes on the 0-10 scale, No data, and the hot and cold
    spot outlines (drawn as on the maps: over a white halo; solid, dashed, dotted by confidence)."""
    bounds = [0.0, *WALL_BREAKS]
    box = "display:inline-block;width:20px;height:13px;margin-right:5px;vertical-align:-2px"
    item = '<span style="margin-right:14px;white-space:nowrap"><i style="{box};{fill}"></i>{text}</span>'
    swatches = [
        item.format(box=box, fill=f"background:{color}", text=f"{label} ({low:g}–{high:g})")
        for color, label, low, high in zip(RISK_COLORS, CLASS_LABELS, bounds, bounds[1:])
    ]
    swatches.append(item.format(box=box, fill=f"background:{NO_DATA_COLOR}", text="No data"))
    spots = []
    for label, color, _, dash in HOTSPOT_STYLES[:4]:  # hot spots at each level, and one cold spot
        line = "solid" if not dash else "dashed" if dash.startswith("8") else "dotted"
        outline = f"border:2px {line} {color};box-shadow:0 0 0 2px {HALO_COLOR};background:transparent"
        text = label.capitalize() if label.startswith("hot") else "Cold spot (blue, the same three lines)"
        spots.append(item.format(box=box, fill=outline, text=text))
    return (
        '<div style="font-size:0.9rem;line-height:1.9">Risk score: ' + "".join(swatches) + "<br>Hot/cold spots "
        "(Gi*), outlined: " + "".join(spots) + "</div>"
    )


def _wall_tables(results: dict, version: str) -> None:
    """The summary table per city, and a chart of the dimension scores per city (both made once per revision)."""
    table, chart = per_revision(f"summary|{version}", lambda: _summary_and_chart(results))
    st.markdown("**The cities in numbers**")
    st.dataframe(table, hide_index=True, width="stretch", key="wall_summary")
    st.markdown("**Mean dimension scores (0-10) per city**")
    st.markdown(chart, unsafe_allow_html=True)  # every text in it is escaped (ui.wall_chart)


def _summary_and_chart(results: dict) -> tuple[pd.DataFrame, str]:
    """:func:`hotspots.summary.city_summary` and the chart of its mean dimension scores (an SVG made here: a
    Vega-Lite chart cost each browser joining the room about 0.9 CPU-s; :mod:`ui.wall_chart`)."""
    table = city_summary(results)
    return table, dimension_bars_svg(table)
