"""The session: the cities (as specs), the current model, uploads, and the callbacks that change them.

A city is a *spec*, a plain dict of its files and ID columns (demo cities are paths, uploads are bytes). The model
is ``st.session_state["framework"]``; the sidebar's widgets (``w_ind:*``, ``w_dim:*``, ``opt:*``) hold the weights
and methods set on top of it. Uploads go through ``st.session_state["upload"]`` (a dict of bytes and file names):
the file uploaders fill it, and tests can fill it directly (``AppTest`` cannot drive ``st.file_uploader``); an
uploaded framework goes through ``st.session_state["framework_file"]`` the same way.
"""

from __future__ import annotations

import streamlit as st

from hotspots.demo import demo_cities
from hotspots.errors import HotspotsError
from hotspots.framework import Framework, Indicator, default_framework
from hotspots.method import Method
from ui.sidebar import SUPPRESSION, dimension_key, indicator_key

_WIDGET_PREFIXES = ("w_ind:", "w_dim:", "opt:")
_OPTIONS = ("normalisation", "aggregation", "classification")
_UPLOAD_CHOICES = ("upload_name", "upload_sheet", "upload_id_column", "upload_boundary_id_column")


def demo_specs() -> dict[str, dict]:
    """The synthetic demo cities, by label."""
    specs = {}
    for demo in demo_cities().values():
        label = f"{demo.name} (synthetic demo)"
        specs[label] = {
            "label": label,
            "name": demo.name,
            "indicators": str(demo.indicators_path),
            "indicators_name": demo.indicators_path.name,
            "boundaries": str(demo.boundaries_path),
            "boundaries_name": demo.boundaries_path.name,
            "id_column": demo.id_column,
            "boundary_id_column": demo.id_column,
            "synthetic": True,
        }
    return specs


def upload_spec(upload: dict, name: str, id_column: str, boundary_id_column: str, sheet: str | None = None) -> dict:
    """The spec of an uploaded pair of files (``sheet``: the workbook's sheet chosen, None for CSV)."""
    return {
        "sheet": sheet,
        "label": name,
        "name": name,
        "indicators": upload["indicators"],
        "indicators_name": upload["indicators_name"],
        "boundaries": upload["boundaries"],
        "boundaries_name": upload["boundaries_name"],
        "id_column": id_column,
        "boundary_id_column": boundary_id_column,
        "synthetic": None,
    }


def init_session() -> None:
    """Demo cities and the default model on the first run; apply what callbacks left for this run."""
    state = st.session_state
    if "cities" not in state:
        state["cities"] = demo_specs()
    if "framework" not in state:
        state["framework"] = default_framework()
    if "next_city" in state:  # set by "Add city" in the previous run, before the city selectbox exists
        state["city"] = state.pop("next_city")
    apply_framework_file()


def add_city(spec: dict) -> None:
    """Add an uploaded city and open it on the next run."""
    st.session_state["cities"][spec["label"]] = spec
    st.session_state["next_city"] = spec["label"]
    st.session_state.pop("upload", None)


def remember_upload() -> None:
    """Copy the uploaded files into ``st.session_state["upload"]`` (where tests put bytes directly)."""
    table = st.session_state.get("upload_table")
    boundaries = st.session_state.get("upload_boundaries")
    if table is not None and boundaries is not None:
        for key in _UPLOAD_CHOICES:  # a new pair of files: guess its ward ID columns afresh
            st.session_state.pop(key, None)
        st.session_state["upload"] = {
            "indicators": table.getvalue(),
            "indicators_name": table.name,
            "boundaries": boundaries.getvalue(),
            "boundaries_name": boundaries.name,
        }


def widget_values(framework: Framework) -> dict[str, object]:
    """The sidebar's weight and option widgets (``w_ind:*``, ``w_dim:*``, ``opt:*``) as ``framework`` sets them."""
    values: dict[str, object] = {dimension_key(d): float(w) for d, w in framework.dimensions.items()}
    values.update({indicator_key(i.column): float(i.weight) for i in framework.indicators})
    values.update({f"opt:{o}": getattr(framework, o) for o in _OPTIONS})
    return values


def set_framework(framework: Framework) -> None:
    """Make ``framework`` the model and set the weight and option widgets to its values (call it before the
    widgets are drawn: from a callback or :func:`init_session`).

    The values are *set*, not deleted: a widget whose key is only deleted keeps its old value in the browser, which
    sends it back on the next rerun (the model "reverted" after one click). Set through the Session State API, the
    new value goes to the browser with the widget.
    """
    state = st.session_state
    state["framework"] = framework
    values = widget_values(framework)
    for key in list(state):
        if isinstance(key, str) and key.startswith(_WIDGET_PREFIXES) and key not in values:
            del state[key]
    for key, value in values.items():
        state[key] = value


def apply_method(method: Method) -> None:
    """Make a scenario (a :class:`hotspots.method.Method`) the model and the hot-spot options of the sidebar."""
    set_framework(method.framework)
    st.session_state["neighbours"] = method.neighbours
    st.session_state["permutations"] = method.permutations
    st.session_state["correction"] = method.correction
    if method.suppress_below in SUPPRESSION:
        st.session_state["suppress_below"] = method.suppress_below


def current_framework() -> Framework:
    """The model with the weights and options currently set in the sidebar (for callbacks)."""
    state, base = st.session_state, st.session_state["framework"]
    framework = base.with_weights(
        {i.column: state.get(indicator_key(i.column), i.weight) for i in base.indicators},
        {d: state.get(dimension_key(d), w) for d, w in base.dimensions.items()},
    )
    return framework.with_options(**{o: state[f"opt:{o}"] for o in _OPTIONS if f"opt:{o}" in state})


def on_framework_upload() -> None:
    """Keep the uploaded framework's bytes; :func:`init_session` applies them (tests set the same key)."""
    upload = st.session_state.get("framework_upload")
    if upload is not None:
        st.session_state["framework_file"] = {"data": upload.getvalue(), "name": upload.name}


def apply_framework_file() -> None:
    """Make an uploaded framework JSON the model, or keep the error to show it in the Model tab."""
    pending = st.session_state.pop("framework_file", None)
    if pending is None:
        return
    st.session_state.pop("framework_error", None)
    try:
        set_framework(Framework.from_json(pending["data"], source=pending["name"]))
    except HotspotsError as exc:
        st.session_state["framework_error"] = str(exc)


def add_indicator() -> None:
    """Callback of "Add to the model": the form's column as a new indicator (runs before the widgets are drawn)."""
    state = st.session_state
    state.pop("model_error", None)
    try:
        framework = current_framework().with_indicator(
            Indicator(
                column=state["new_column"],
                dimension=state["new_dimension_name"].strip() or state["new_dimension"],
                weight=state["new_weight"],
                direction=state["new_direction"],
                per_population=state["new_per_population"] or None,
                unit=None if state["new_unit"] == "(none)" else state["new_unit"],
                label=(state.get("new_label") or "").strip() or None,
            )
        )
    except HotspotsError as exc:
        state["model_error"] = str(exc)
        return
    set_framework(framework)  # carries the current weights, so the sliders keep their values


def remove_indicator(column: str) -> None:
    """Callback of "Remove": the model without this indicator."""
    st.session_state.pop("model_error", None)
    try:
        framework = current_framework().without_indicator(column)
    except HotspotsError as exc:
        st.session_state["model_error"] = str(exc)
        return
    set_framework(framework)
