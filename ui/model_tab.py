"""The Model tab: the framework as a table, adding and removing indicators, saving and loading the model."""

from __future__ import annotations

import streamlit as st

from hotspots.errors import HotspotsError
from hotspots.framework import DIRECTIONS, UNITS, Framework, default_framework
from ui.cache import raw_city, table_numeric_columns
from ui.common import plain, show_error
from ui.glossary import HELP
from ui.state import add_indicator, on_framework_upload, remove_indicator, set_framework


def render_model(spec: dict, inputs: dict) -> None:
    """The tab: the model, a form to add a column of the table, removal, download and upload of the JSON."""
    framework: Framework = inputs["framework"]
    st.subheader("The model")
    st.caption(
        "Weights and methods are set in the sidebar. Dimension scores and the risk score run from 0 "
        "(least risk) to 10 (most risk) within the city."
    )
    st.dataframe(framework.to_frame(), hide_index=True, width="stretch", key="framework_table")
    st.caption("Words such as minmax, geometric or fisher_jenks are explained in the Glossary tab.")
    if "model_error" in st.session_state:
        st.error(plain(st.session_state["model_error"]))

    st.markdown("**Add a column of the table to the model**")
    try:
        raw = raw_city(spec)
        used = {*framework.columns, spec["id_column"], framework.population_column}
        candidates = [c for c in table_numeric_columns(raw) if c not in used]
    except HotspotsError as exc:
        show_error(exc)
        candidates = []
    if candidates:
        _add_indicator_form(candidates, framework)
    else:
        st.caption(f"Every numeric column of {plain(spec['indicators_name'])} is already in the model.")
    with st.expander("Remove an indicator"):
        column = st.selectbox(
            "Indicator",
            framework.columns,
            key="remove_column",
            format_func=lambda c: framework.labels.get(c, c),
            help="The indicator to take out of the model.",
        )
        st.button("Remove", key="remove_indicator", on_click=remove_indicator, args=(column,))
    _save_or_load(framework)


def _add_indicator_form(candidates: list[str], framework: Framework) -> None:
    """Column, dimension (or a new one), direction, weight, denominator, unit; submitted to ``add_indicator``."""
    with st.form("add_indicator"):
        c1, c2, c3 = st.columns(3)
        c1.selectbox("Column", candidates, key="new_column", help="A numeric column of the indicator table.")
        c2.selectbox("Dimension", framework.dimension_names, key="new_dimension", help=HELP["dimension"])
        c3.text_input(
            "…or a new dimension",
            key="new_dimension_name",
            help="A new dimension's name (leave empty to use the left).",
        )
        c1, c2, c3, c4 = st.columns(4)
        c1.selectbox(
            "Direction",
            DIRECTIONS,
            key="new_direction",
            format_func=lambda d: d.replace("_", " "),
            help=HELP["direction"],
        )
        c2.number_input(
            "Weight", min_value=0.1, max_value=5.0, value=1.0, step=0.1, key="new_weight", help=HELP["weight"]
        )
        c3.number_input(
            "Per N residents (0 = as is)",
            min_value=0,
            value=0,
            step=1000,
            key="new_per_population",
            help=HELP["per_population"],
        )
        c4.selectbox("Unit", ["(none)", *UNITS], key="new_unit", help=HELP["unit"])
        st.text_input("Label (optional)", key="new_label", help=HELP["label"])
        st.form_submit_button("Add to the model", key="add_indicator_submit", on_click=add_indicator)


def _save_or_load(framework: Framework) -> None:
    """Download the model as JSON, load one, or go back to the default model."""
    st.markdown("**Save or load the model**")
    c1, c2 = st.columns(2)
    c1.download_button(
        "Download framework JSON",
        framework.to_json(),
        file_name="framework.json",
        mime="application/json",
        key="download_framework_model",
        on_click="ignore",
    )
    c2.file_uploader("Load a framework JSON", type=["json"], key="framework_upload", on_change=on_framework_upload)
    if "framework_error" in st.session_state:
        st.error(plain(st.session_state["framework_error"]))
    st.button("Reset to the default model", key="reset_model", on_click=set_framework, args=(default_framework(),))
