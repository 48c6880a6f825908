"""The Export tab: the files the command line writes, each carrying the model and its settings."""

from __future__ import annotations

import json

import streamlit as st

from hotspots.errors import HotspotsError
from hotspots.export import file_stem
from hotspots.maps import map_html
from hotspots.maps.static_map import map_png, report_pdf
from ui.cache import scored_city
from ui.common import city_map, plain, show_error
from ui.worksheet_panel import render_worksheet


def render_export(spec: dict, inputs: dict) -> None:
    """The tab: one download button per file (files are made when the button is clicked)."""
    try:
        result = scored_city(spec, inputs)
    except HotspotsError as exc:
        show_error(exc)
        return
    st.subheader(f"Export: {plain(spec['label'])}")
    st.caption(
        "The same files as the command line writes; each carries the model and its settings, so a map "
        "can be rebuilt." + (" Demo exports are labelled synthetic." if result.city.synthetic else "")
    )
    downloads = _downloads(result, inputs, file_stem(result.city.name))
    for column, (label, data, file_name, mime, key, help) in zip(st.columns(len(downloads)), downloads):
        column.download_button(
            label,
            data,
            file_name=file_name,
            mime=mime,
            icon=":material/download:",
            key=key,
            on_click="ignore",
            help=help,
        )
    render_worksheet(result, spec["label"])


def _downloads(result, inputs: dict, stem: str) -> list[tuple]:
    """(label, data or a callable that makes it, file name, MIME type, widget key, help) of each download."""
    return [
        ("GeoJSON", result.to_geojson, f"{stem}_risk.geojson", "application/geo+json", "download_geojson", None),
        ("CSV", result.to_csv, f"{stem}_risk.csv", "text/csv", "download_csv", None),
        (
            "Framework JSON",
            result.framework.to_json(),
            "framework.json",
            "application/json",
            "download_framework",
            None,
        ),
        (
            "Map (HTML)",
            lambda: map_html(city_map(result, inputs)),
            f"{stem}_map.html",
            "text/html",
            "download_map",
            None,
        ),
        (
            "Map (PNG)",
            lambda: map_png(result),
            f"{stem}_map.png",
            "image/png",
            "download_png",
            "A picture of the composite-risk map with its legend and the hot/cold spots, for reports.",
        ),
        (
            "Report (PDF)",
            lambda: report_pdf(result),
            f"{stem}_report.pdf",
            "application/pdf",
            "download_pdf",
            "One page: the map with its legend, the weights, the method and today's date.",
        ),
        (
            "Method (JSON)",
            lambda: json.dumps(result.metadata(), indent=2, ensure_ascii=False, default=str),
            f"{stem}_risk.metadata.json",
            "application/json",
            "download_metadata",
            "The method, weights, parameters and input files (SHA-256) behind the CSV; the GeoJSON carries them "
            "inside.",
        ),
    ]
