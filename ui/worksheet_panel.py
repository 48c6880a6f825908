"""The Export tab's action-plan worksheet: download it (with the ward notes typed in the app), upload a filled one.

Per city, the notes typed per ward live in ``st.session_state["ward_notes"][city]`` ({ward ID: text}) and the plan
fields read back from a filled worksheet in ``st.session_state["action_plan"][city]`` ({ward ID: {column: text}}).
An uploaded worksheet goes through ``st.session_state["worksheet_file"]`` (bytes and file name), which the uploader
fills and tests fill directly (``AppTest`` cannot drive ``st.file_uploader``).
"""

from __future__ import annotations

import streamlit as st

from hotspots.errors import HotspotsError
from hotspots.export import file_stem
from hotspots.worksheet import action_worksheet, read_worksheet
from ui.common import plain, show_error

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def city_notes(label: str) -> dict[str, str]:
    """The ward notes of one city (``ward_notes`` keyed by city; a flat {ward ID: text} is taken as this city's)."""
    notes = st.session_state.get("ward_notes", {}) or {}
    mine = notes.get(label)
    if isinstance(mine, dict):
        return {str(w): str(t) for w, t in mine.items() if t}
    return {str(w): t for w, t in notes.items() if isinstance(t, str) and t}


def city_plan(label: str) -> dict[str, dict[str, str]]:
    """The plan fields of one city read back from a filled worksheet."""
    return dict((st.session_state.get("action_plan", {}) or {}).get(label, {}))


def render_worksheet(result, label: str) -> None:
    """Download buttons (XLSX, CSV, Markdown) and the upload of a filled worksheet."""
    apply_worksheet_file(result, label)
    st.markdown("**Action-plan worksheet**")
    st.caption(
        "The city's significant hot spots and top-class wards, why each is listed, its risk profile, dominant "
        "dimension and the indicators driving it, then empty columns for the prevention approach (tier 2), "
        "partners and resources (tier 3), owner, date and notes. Notes typed per ward here go into it."
    )

    def sheet():
        return action_worksheet(result, notes=city_notes(label), plan=city_plan(label), city=label)

    stem = file_stem(label)
    files = [
        ("Worksheet (XLSX)", lambda: sheet().to_xlsx(), f"{stem}_action_plan.xlsx", XLSX_MIME, "download_ws_xlsx"),
        ("Worksheet (CSV)", lambda: sheet().to_csv(), f"{stem}_action_plan.csv", "text/csv", "download_ws_csv"),
        (
            "Worksheet (Markdown)",
            lambda: sheet().to_markdown(),
            f"{stem}_action_plan.md",
            "text/markdown",
            "download_ws_md",
        ),
    ]
    for column, (text, data, name, mime, key) in zip(st.columns(len(files) + 1), files):
        column.download_button(
            text, data, file_name=name, mime=mime, icon=":material/download:", key=key, on_click="ignore"
        )
    st.file_uploader(
        "Upload a filled worksheet (XLSX or CSV) to bring its plan and notes back",
        type=["xlsx", "csv"],
        key="worksheet_upload",
        on_change=remember_worksheet,
    )
    if st.session_state.get("worksheet_message"):
        st.success(st.session_state["worksheet_message"])


def remember_worksheet() -> None:
    """Callback of the uploader: keep the file's bytes (applied on the next run by :func:`apply_worksheet_file`)."""
    upload = st.session_state.get("worksheet_upload")
    if upload is not None:
        st.session_state["worksheet_file"] = {"data": upload.getvalue(), "name": upload.name}


def apply_worksheet_file(result, label: str) -> None:
    """Read a pending filled worksheet into ``ward_notes`` and ``action_plan`` of this city, or show why not."""
    pending = st.session_state.pop("worksheet_file", None)
    if pending is None:
        return
    st.session_state.pop("worksheet_message", None)
    try:
        filled = read_worksheet(pending["data"], name=pending["name"], city=label, wards=result.layer["ward_id"])
    except HotspotsError as exc:
        show_error(exc, f"{pending['name']}: ")
        return
    notes = st.session_state.setdefault("ward_notes", {})
    notes.setdefault(label, {}).update(filled.notes)
    plans = st.session_state.setdefault("action_plan", {})
    plans.setdefault(label, {}).update(filled.plans)
    st.session_state["worksheet_message"] = plain(
        f"{filled.source}: the plan of {len(filled.plans)} ward(s) and {len(filled.notes)} note(s) restored for "
        f"{label}."
    )
