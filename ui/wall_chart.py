"""The wall's chart of the cities' mean dimension scores, as a small SVG made on the server.

A grouped bar chart: one row per published item, one bar per dimension, on the 0-10 scale. It replaces a Vega-Lite
chart: the first Vega chart on a page loads and compiles about a megabyte of JavaScript, which cost each browser
joining a room about 0.9 CPU-s of its 5 (the join step with a wall of six items, with and without the chart). The
SVG is drawn by the browser as it stands. Every text in it comes from uploads or groups (city and scenario names):
each ASCII punctuation mark is written as a character reference (:func:`hotspots.maps.svg_map.inert`: no HTML and
no Markdown; the chart goes through ``st.markdown`` as one HTML block, in a ``<div>``), and each bar names its item,
dimension and value in a tooltip (``<title>``).
"""

from __future__ import annotations

import math

import pandas as pd

from hotspots.maps.svg_map import inert

#: Colours of the dimensions, in the framework's order (Okabe and Ito's palette, told apart with colour-blindness).
DIMENSION_COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
LABEL_W = 300  #: room for the item labels, left of the bars
PLOT_W = 420  #: the 0-10 axis
BAR_H = 10
GAP = 12  #: between two items
TOP = 34  #: the legend, above the bars
AXIS_H = 34  #: the axis and its title, below
LABEL_CHARS = 44  #: longer labels are cut (the tooltip holds the whole label)


def _dimension_columns(table: pd.DataFrame) -> list[str]:
    """The dimensions of :func:`hotspots.summary.city_summary`'s table, in its order."""
    return [c[: -len("_mean")] for c in table.columns if c.endswith("_mean")]


def dimension_bars_svg(table: pd.DataFrame) -> str:
    """An SVG grouped bar chart of ``<dimension>_mean`` per row of ``table`` (``city`` names the row), 0-10."""
    dimensions = _dimension_columns(table)
    colors = {d: DIMENSION_COLORS[i % len(DIMENSION_COLORS)] for i, d in enumerate(dimensions)}
    group_h = len(dimensions) * (BAR_H + 1) + GAP
    height = TOP + len(table) * group_h + AXIS_H
    width = LABEL_W + PLOT_W + 20
    parts = [
        f'<div><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'style="max-width:{width}px;font-family:sans-serif;font-size:13px" role="img" '
        f'aria-label="Mean dimension scores per city, 0 to 10 (the table above holds the same numbers)">'
    ]
    x = LABEL_W
    for d in dimensions:  # the legend
        parts.append(f'<rect x="{x}" y="8" width="14" height="10" fill="{colors[d]}"/>')
        parts.append(f'<text x="{x + 19}" y="17">{inert(d.capitalize())}</text>')
        x += 30 + 8 * len(d)
    axis_y = TOP + len(table) * group_h
    for tick in range(0, 11, 2):  # grid lines under the bars
        tx = LABEL_W + tick / 10 * PLOT_W
        parts.append(f'<line x1="{tx}" y1="{TOP - 4}" x2="{tx}" y2="{axis_y + 4}" stroke="#ddd"/>')
        parts.append(f'<text x="{tx}" y="{axis_y + 17}" text-anchor="middle" fill="#555">{tick}</text>')
    for row, (_, item) in enumerate(table.iterrows()):
        label = str(item["city"])
        y = TOP + row * group_h
        shown = label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"
        middle = y + len(dimensions) * (BAR_H + 1) / 2 + 4
        parts.append(
            f'<text x="{LABEL_W - 8}" y="{middle:.1f}" text-anchor="end"><title>{inert(label)}</title>'
            f"{inert(shown)}</text>"
        )
        for k, d in enumerate(dimensions):
            score = float(item[f"{d}_mean"])
            title = f"{label} · {d.capitalize()}: " + (f"{score:.2f}" if math.isfinite(score) else "no score")
            bar = max(0.0, min(score, 10.0)) / 10 * PLOT_W if math.isfinite(score) else 0.0
            parts.append(
                f'<rect x="{LABEL_W}" y="{y + k * (BAR_H + 1)}" width="{bar:.1f}" height="{BAR_H}" '
                f'fill="{colors[d]}" data-score="{score:.4f}"><title>{inert(title)}</title></rect>'
            )
    parts.append(f'<line x1="{LABEL_W}" y1="{axis_y}" x2="{LABEL_W + PLOT_W}" y2="{axis_y}" stroke="#888"/>')
    parts.append(
        f'<text x="{LABEL_W + PLOT_W / 2}" y="{axis_y + 32}" text-anchor="middle" fill="#555">Mean score</text></svg></div>'
    )
    return "".join(parts)
