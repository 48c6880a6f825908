"""The worksheet's rows and its writers (XLSX, CSV, Markdown); see :mod:`hotspots.worksheet`."""

from __future__ import annotations

import datetime as _dt
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .._version import __version__
from ..classify import CLASS_LABELS
from ..errors import DataError, InputFileError
from ..export import neutralise_formulas, write_text

#: The columns the group fills in (tier 2: prevention approach; tier 3: partners and resources).
PLAN_COLUMNS = ("Prevention approach (tier 2)", "Partners (tier 3)", "Resources (tier 3)", "Owner", "Date", "Notes")
#: The columns filled from the analysis.
WARD_COLUMNS = (
    "City",
    "Ward ID",
    "Ward name",
    "Why listed",
    "Risk score",
    "Risk rank",
    "Risk class",
    "Risk profile",
    "Dominant dimension",
    "Driving indicators",
)
COLUMNS = WARD_COLUMNS + PLAN_COLUMNS
PLAN_SHEET, METHOD_SHEET = "Action plan", "Method"
#: How many of the largest contributions to the risk score are named per ward.
TOP_INDICATORS = 3
#: Column widths (characters) in the XLSX sheet.
WIDTHS = {"Driving indicators": 60, "Why listed": 22, "Ward name": 24, "Risk profile": 28, "Notes": 40}
HOT = "hot spot"
TOP = "top class"


@dataclass
class Worksheet:
    """A city's action-plan worksheet: the table (:data:`COLUMNS`) and the method lines of its second sheet."""

    city: str
    table: pd.DataFrame
    method: list[tuple[str, str]]
    notes: list[str] = field(default_factory=list)

    def to_xlsx(self, path=None) -> bytes:
        """The workbook (sheets "Action plan" and "Method"); written to ``path`` when given."""
        data = _xlsx_bytes(self)
        if path is not None:
            _write_bytes(path, data)
        return data

    def to_csv(self, path=None) -> str:
        """CSV (UTF-8 with BOM) of the plan sheet, formulas neutralised."""
        text = "\ufeff" + neutralise_formulas(_as_text(self.table)).to_csv(index=False, lineterminator="\n")
        if path is not None:
            write_text(path, text)
        return text

    def to_markdown(self, path=None) -> str:
        """A Markdown page for printing: a title, the table (pipes and Markdown characters escaped), the method."""
        text = _markdown(self)
        if path is not None:
            write_text(path, text)
        return text

    def write(self, path) -> Path:
        """Write by the file's suffix: ``.xlsx``, ``.csv`` or ``.md``."""
        path = Path(path)
        writers = {".xlsx": self.to_xlsx, ".csv": self.to_csv, ".md": self.to_markdown}
        if path.suffix.lower() not in writers:
            raise DataError(f"A worksheet is written as .xlsx, .csv or .md, not '{path.name}'.")
        writers[path.suffix.lower()](path)
        return path


def action_worksheet(
    result,
    *,
    notes: Mapping[str, str] | None = None,
    plan: Mapping[str, Mapping[str, str]] | None = None,
    top: int = TOP_INDICATORS,
    city: str | None = None,
) -> Worksheet:
    """The action-plan worksheet of a scored city.

    Parameters
    ----------
    result : RiskResult
        A scored city (:func:`hotspots.run`, :func:`hotspots.score_city`).
    notes : mapping of ward ID to str, optional
        Notes typed per ward (the app's notes): they go into the "Notes" column of listed wards.
    plan : mapping of ward ID to {column: text}, optional
        Plan fields already filled in (from :func:`read_worksheet`), by :data:`PLAN_COLUMNS` name.
    top : int
        How many indicators to name as driving each ward's risk.
    city : str, optional
        The city's name in the "City" column (default: the result's city name).

    Returns
    -------
    Worksheet
    """
    layer = result.layer
    city = city or result.city.name
    listed = _listed(layer)
    rows_of = dict(zip(layer["ward_id"].astype(str), layer.to_dict("records")))
    drivers = _all_drivers(result, list(listed), top)
    rows = [_ward_row(result, rows_of[ward], why, city, drivers[ward]) for ward, why in listed.items()]
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    worksheet = Worksheet(city=city, table=table, method=_method_lines(result, city, top))
    _fill_plan(worksheet, dict(notes or {}), {str(w): dict(v) for w, v in (plan or {}).items()})
    return worksheet


def _listed(layer: pd.DataFrame) -> dict[str, str]:
    """Ward ID -> why it is listed, for the significant hot spots and the top-class wards, by risk rank."""
    ranked = layer.sort_values(["risk_rank", "ward_id"], na_position="last")
    out = {}
    hot = ranked["hotspot_class"].astype(str) if "hotspot_class" in ranked else pd.Series("", index=ranked.index)
    top = ranked["risk_class"].astype(str).eq(CLASS_LABELS[-1]) if "risk_class" in ranked else hot.eq(None)
    for ward, hot_class, in_top in zip(ranked["ward_id"].astype(str), hot, top):
        reasons = [hot_class] if hot_class.startswith(HOT) else []
        if in_top:
            reasons.append(TOP)
        if reasons:
            out[ward] = "; ".join(reasons)
    return out


def driving_indicators(result, ward_id: str, top: int = TOP_INDICATORS) -> list[tuple[str, float]]:
    """The ``top`` indicators with the largest (positive) contributions to a ward's risk score: (label, points)."""
    breakdown = result.explain(ward_id)
    contributions = pd.to_numeric(breakdown["contribution_to_risk"], errors="coerce")
    order = contributions[contributions > 0].sort_values(ascending=False, kind="stable").index[:top]
    return [(str(breakdown.at[i, "label"]), float(contributions[i])) for i in order]


def dominant_dimension(row: Mapping[str, Any], dimensions) -> str:
    """The dimension with the ward's highest score (first in the framework's order on a tie; "" without scores)."""
    scores = {d: pd.to_numeric(row.get(f"{d}_score"), errors="coerce") for d in dimensions}
    scores = {d: s for d, s in scores.items() if s == s and s is not None}
    return max(scores, key=scores.get) if scores else ""


def _all_drivers(result, wards: list[str], top: int) -> dict[str, list[tuple[str, float]]]:
    """:func:`driving_indicators` of many wards from one computation of the contributions (``explain`` computes
    them for every ward at each call: thousands of listed wards would take minutes)."""
    risk = result.scores.contributions()["risk"]
    table = result.city.scored_table
    index_of = dict(zip(table["ward_id"].astype(str), table.index))
    labels = [ind.display_label for ind in result.framework.indicators]
    columns = [ind.column for ind in result.framework.indicators]
    # a suppressed count's contribution is not shown, as in the ward breakdown (hotspots.suppression)
    codes = result.suppression.set_axis(result.layer["ward_id"].astype(str))
    hidden = codes.reindex(columns=columns, fill_value=0).ne(0)
    out = {}
    for ward in wards:
        values = pd.Series(risk.loc[index_of[ward], columns].to_numpy(dtype=float), index=range(len(columns)))
        values[hidden.loc[ward].to_numpy()] = float("nan")
        order = values[values > 0].sort_values(ascending=False, kind="stable").index[:top]
        out[ward] = [(labels[i], float(values[i])) for i in order]
    return out


def _ward_row(result, row: Mapping[str, Any], why: str, city: str, drivers) -> dict[str, Any]:
    ward_id = str(row["ward_id"])
    return {
        "City": city,
        "Ward ID": ward_id,
        "Ward name": _text(row.get("ward_name")),
        "Why listed": why,
        "Risk score": round(float(row["risk_score"]), 2),
        "Risk rank": int(row["risk_rank"]),
        "Risk class": _text(row.get("risk_class")),
        "Risk profile": _text(row.get("risk_profile")),
        "Dominant dimension": dominant_dimension(row, result.dimension_names),
        "Driving indicators": "; ".join(f"{label} (+{points:.2f})" for label, points in drivers),
        **{c: "" for c in PLAN_COLUMNS},
    }


def _text(value) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _fill_plan(worksheet: Worksheet, notes: dict, plan: dict) -> None:
    """Notes and plan fields into the rows of listed wards; a note names the wards whose notes have no row."""
    table = worksheet.table
    listed = set(table["Ward ID"])
    for i, ward in table["Ward ID"].items():
        for column, value in plan.get(ward, {}).items():
            if column in PLAN_COLUMNS and value:
                table.at[i, column] = str(value)
        if notes.get(ward):
            table.at[i, "Notes"] = str(notes[ward])
    left_out = sorted(str(w) for w, text in notes.items() if text and str(w) not in listed)
    if left_out:
        worksheet.notes.append(
            f"Notes on {len(left_out)} ward(s) that are neither a hot spot nor in the top class are not in the "
            f"worksheet: {', '.join(left_out[:20])}."
        )


def _method_lines(result, city: str, top: int) -> list[tuple[str, str]]:
    method = result.method
    hot = result.hotspots.metadata if result.hotspots is not None else {}
    lines = [
        ("City", city),
        ("Created", _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")),
        ("Software", f"hotspots {__version__}"),
        ("Data", "SYNTHETIC DEMO DATA" if result.city.synthetic else "as uploaded"),
        (
            "Wards listed",
            f"every ward that is a significant hot spot (Gi*, 90%, 95% or 99% confidence, "
            f"{hot.get('correction', 'no')} correction) or in the top risk class ('{CLASS_LABELS[-1]}', "
            f"{result.classification.to_dict().get('scheme', '')}), ranked by risk",
        ),
        ("Dominant dimension", "the dimension with the ward's highest dimension score (0-10)"),
        ("Driving indicators", f"the {top} largest contributions to the ward's risk score, in points of 0-10"),
        ("Risk profile", "see the profiles rule below" if result.profiles is not None else "not computed"),
        ("Plan columns", "tier 2: prevention approach; tier 3: partners and resources; then owner, date, notes"),
    ]
    if result.profiles is not None:
        lines.append(("Profiles rule", result.profiles.to_dict()["rule"]))
    if method is not None:
        lines.append(("Permutations, seed", f"{method.permutations}, {method.seed}"))
        lines.append(("Scaling", method.scaling))
    return lines


def _as_text(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].map(_text)
    return out


# --------------------------------------------------------------------------------------------------- writers


def _xlsx_bytes(worksheet: Worksheet) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = PLAN_SHEET
    table = neutralise_formulas(_as_text(worksheet.table))
    sheet.append(list(table.columns))
    for values in table.itertuples(index=False):
        sheet.append([_cell(v) for v in values])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for i, column in enumerate(table.columns, start=1):
        letter = sheet.cell(row=1, column=i).column_letter
        sheet.column_dimensions[letter].width = WIDTHS.get(column, max(12, len(column) + 2))
        for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    method = book.create_sheet(METHOD_SHEET)
    method.append(["Item", "Value"])
    lines = pd.DataFrame(worksheet.method + [("Note", n) for n in worksheet.notes], columns=["Item", "Value"])
    for values in neutralise_formulas(lines).itertuples(index=False):
        method.append([_cell(v) for v in values])
    method.column_dimensions["A"].width, method.column_dimensions["B"].width = 22, 110
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(value):
    """A cell value that openpyxl stores as plain data (text is never a formula: it was neutralised)."""
    if isinstance(value, str):
        return value if not value.startswith("=") else "'" + value
    return None if value is None or pd.isna(value) else value


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#|<>~$])")


def markdown_cell(value) -> str:
    """A table cell made inert in Markdown: pipes and Markdown characters escaped, line breaks as spaces."""
    text = re.sub(r"\s*[\r\n]+\s*", " ", _text(value))
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _markdown(worksheet: Worksheet) -> str:
    table = worksheet.table
    lines = [f"# Action plan: {markdown_cell(worksheet.city)}", ""]
    lines.append(f"{len(table)} ward(s) listed: the significant hot spots and the top-class wards.")
    lines += ["", "| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    for values in table.itertuples(index=False):
        lines.append("| " + " | ".join(markdown_cell(v) for v in values) + " |")
    lines += ["", "## Method", ""]
    lines += [f"- **{markdown_cell(k)}**: {markdown_cell(v)}" for k, v in worksheet.method]
    lines += [f"- {markdown_cell(n)}" for n in worksheet.notes]
    return "\n".join(lines) + "\n"


def _write_bytes(path, data: bytes) -> Path:
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise InputFileError(
            f"Cannot write {path}: {exc.strerror or exc}. Check the folder exists and is writable."
        ) from None
    return path
