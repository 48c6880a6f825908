"""The Data tab: the validation report of the current city, and the upload of a new city."""

from __future__ import annotations

import streamlit as st

from hotspots.errors import HotspotsError
from ui.cache import id_guess, load_raw, prepared_city, table_sheets
from ui.common import keep_choice, plain, show_error, synthetic_banner
from ui.state import add_city, remember_upload, upload_spec

TABLE_TYPES = ["csv", "txt", "tsv", "xlsx"]
BOUNDARY_TYPES = ["geojson", "json", "zip", "gpkg", "kml", "kmz"]


def render_data_tab(spec: dict, inputs: dict) -> None:
    """The tab: the current city's report, then the upload form."""
    st.subheader(f"Validation report: {plain(spec['label'])}")
    st.caption(
        f"Files: {plain(spec['indicators_name'])} (ward ID column '{plain(spec['id_column'])}') and "
        f"{plain(spec['boundaries_name'])} (column '{plain(spec['boundary_id_column'])}')."
    )
    try:
        city = prepared_city(spec, inputs["framework"])
    except HotspotsError as exc:
        show_error(exc)
    else:
        synthetic_banner(city.synthetic)
        render_validation(city)
    st.divider()
    render_upload(inputs)


def render_validation(city) -> None:
    """The validation report of a prepared city: rows, join both ways, missing values, notes."""
    raw, join = city.raw, city.join
    cols = st.columns(4)
    cols[0].metric("Table rows read", len(raw.table_read.table))
    cols[1].metric("Boundary wards read", len(raw.boundaries_read.wards))
    cols[2].metric("Wards matched", join.matched)
    cols[3].metric("Unmatched", len(join.unmatched_table) + len(join.unmatched_boundaries))
    for warning in join.warnings:  # mostly unmatched: the package's rule (more than 20% of either file)
        st.warning(f"**Check the ward IDs first.** {plain(warning)}")
    if join.complete:
        st.success("Every table row matched exactly one ward boundary.")
    else:
        st.warning(plain(join.summary()))
    for title, ids in (
        ("In the table but not in the boundaries (left out)", join.unmatched_table),
        ("In the boundaries but not in the table (mapped as no data)", join.unmatched_boundaries),
    ):
        if ids:
            st.markdown(f"**{title}: {len(ids)}**")  # title is ours
            st.dataframe([{"ward_id": i, "name": join.names.get(i, "")} for i in ids], hide_index=True, width="stretch")
    missing = [{"column": column, "missing values": count} for column, count in city.table.missing.items()]
    if missing:
        st.markdown("**Missing values per indicator column**")
        st.dataframe(missing, hide_index=True, width="stretch")
    render_notes(city)


def render_notes(city) -> None:
    """Repaired or missing geometries, and every note of reading, validating and joining."""
    boundaries = city.raw.boundaries_read
    if boundaries.repaired:
        st.info(f"Repaired geometries ({len(boundaries.repaired)}): {plain(', '.join(boundaries.repaired[:50]))}")
    if boundaries.missing_geometry:
        st.warning(
            f"Wards without a usable geometry ({len(boundaries.missing_geometry)}): "
            f"{plain(', '.join(boundaries.missing_geometry[:50]))}"
        )
    if city.notes:
        st.markdown("**Notes**")
        for note in dict.fromkeys(city.notes):
            st.markdown(f"- {plain(note)}")


def render_upload(inputs: dict) -> None:
    """Upload a table and boundaries, choose the ward ID columns (guessed from the values), check, add."""
    st.subheader("Add your own city")
    st.caption(
        "An indicator table (CSV or Excel .xlsx, one row per ward) and ward boundaries (GeoJSON, zipped "
        "Shapefile, GeoPackage or KML) with a ward ID column in common."
    )
    col1, col2 = st.columns(2)
    col1.file_uploader("Indicator table (up to 50 MB)", type=TABLE_TYPES, key="upload_table", on_change=remember_upload)
    col2.file_uploader(  # any name: a boundary file without an extension is recognised by its content
        "Ward boundaries (up to 50 MB)",
        type=None,
        key="upload_boundaries",
        on_change=remember_upload,
        help=f"GeoJSON, zipped Shapefile, GeoPackage or KML ({', '.join('.' + t for t in BOUNDARY_TYPES)}, "
        "or a file without an extension).",
    )
    upload = st.session_state.get("upload")
    if not upload:
        return
    # the choices below persist for the session: the tabs are lazy, and a widget not drawn in a run (another tab
    # open) would lose them; new files drop them (ui.state.remember_upload)
    name = st.text_input(
        "City name",
        value=upload.get("name") or upload["indicators_name"].rsplit(".", 1)[0],
        key="upload_name",
        persist_state="session",
    )
    try:
        sheet = _sheet(upload)
        raw = load_raw(
            upload["indicators"],
            upload["indicators_name"],
            upload["boundaries"],
            upload["boundaries_name"],
            name,
            None,
            sheet,
        )
    except HotspotsError as exc:
        show_error(exc, "Cannot read the upload: ")
        return
    columns = _id_columns(raw, upload["boundaries_name"])
    if columns is None:
        return
    spec = upload_spec(upload, name, *columns, sheet=sheet)
    try:
        city = prepared_city(spec, inputs["framework"])
    except HotspotsError as exc:
        _upload_error(exc, id_guess(raw).advice(*columns))
        return
    render_validation(city)
    if st.button("Add this city", key="add_city", type="primary"):
        add_city(spec)
        st.rerun()


def _sheet(upload: dict) -> str | None:
    """The sheet of an uploaded workbook: a choice when it has several (preselected: the package's default)."""
    sheets, default = table_sheets(upload["indicators"], upload["indicators_name"])
    if len(sheets) < 2:
        return None
    return st.selectbox(
        "Sheet of the workbook",
        sheets,
        index=sheets.index(default) if default in sheets else 0,
        key=keep_choice("upload_sheet", sheets),
        persist_state="session",
        help="The sheet that holds the indicator table (one row per ward).",
    )


def _id_columns(raw, boundaries_name: str) -> tuple[str, str] | None:
    """The two ward ID selectboxes, preselected with the package's guess; None when the boundaries have no columns."""
    table_columns = [str(c) for c in raw.table_read.table.columns]
    wards = raw.boundaries_read.wards
    boundary_columns = [str(c) for c in wards.columns if c != wards.geometry.name]
    if not boundary_columns:
        st.error(
            f"{plain(boundaries_name)} has no attribute columns, so no ward ID to join on. "
            "Add a ward ID to each boundary and upload again."
        )
        return None
    guess = id_guess(raw)
    col1, col2 = st.columns(2)
    id_column = col1.selectbox(
        "Ward ID column in the table",
        table_columns,
        index=_position(table_columns, guess.id_column),
        key=keep_choice("upload_id_column", table_columns),
        persist_state="session",
    )
    boundary_id_column = col2.selectbox(
        "Ward ID column in the boundaries",
        boundary_columns,
        index=_position(boundary_columns, guess.boundary_id_column),
        key=keep_choice("upload_boundary_id_column", boundary_columns),
        persist_state="session",
    )
    if guess.found:
        st.caption(f"Suggested from the values of the columns: {plain(guess.reason)}.")
    else:
        st.caption(f"No suggestion: {plain(guess.reason)}.")
    return id_column, boundary_id_column


def _position(options: list[str], choice: object) -> int:
    return options.index(str(choice)) if choice is not None and str(choice) in options else 0


def _upload_error(exc: HotspotsError, advice: str | None) -> None:
    """Why the upload cannot be used; first "choose the ward ID column" when other columns would match."""
    if advice:
        st.error(f"The ward ID columns chosen do not match: choose the ward ID column above. {plain(advice)}.")
        with st.expander("Details"):
            show_error(exc)
        return
    show_error(exc, "The upload cannot be used yet: ")
    st.info("Other columns of the table can be added to the model in the Model tab.")
