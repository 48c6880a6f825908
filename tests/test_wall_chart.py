"""The wall's chart of mean dimension scores (ui/wall_chart.py): an SVG whose bars are the table's numbers, whose
texts are escaped, and which the wall shows (no Vega chart: it cost each joining browser about 0.9 CPU-s)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pandas as pd

from ui.wall_chart import LABEL_CHARS, PLOT_W, dimension_bars_svg

SVG = "{http://www.w3.org/2000/svg}"


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "city": ["Kolkata · Group 1", '<img src=x onerror="alert(1)"> & co', "A" * 80],
            "wards": [144, 6, 10],
            "individual_mean": [5.0, 2.5, float("nan")],
            "individual_median": [5.0, 2.5, float("nan")],
            "ideological_mean": [10.0, 0.0, 7.5],
            "ideological_median": [10.0, 0.0, 7.5],
        }
    )


def test_the_bars_are_the_tables_means_on_the_0_to_10_axis():
    svg = ET.fromstring(dimension_bars_svg(_table()))[0]  # well-formed XML: the browser draws it as it stands
    bars = [r for r in svg.iter(f"{SVG}rect") if r.get("data-score") is not None]
    assert len(bars) == 6  # three items, two dimensions
    # hand calculation: width = mean / 10 * PLOT_W (420 px); a missing mean draws no bar and says so
    widths = [float(b.get("width")) for b in bars]
    assert widths == [0.5 * PLOT_W, 1.0 * PLOT_W, 0.25 * PLOT_W, 0.0, 0.0, 0.75 * PLOT_W]
    titles = [b.find(f"{SVG}title").text for b in bars]
    assert titles[0] == "Kolkata · Group 1 · Individual: 5.00"  # XML reads the references back
    assert titles[4].endswith("Individual: no score")
    # one colour per dimension, the same in every item
    fills = [b.get("fill") for b in bars]
    assert fills[0::2] == [fills[0]] * 3 and fills[1::2] == [fills[1]] * 3 and fills[0] != fills[1]


def test_names_from_uploads_are_escaped_and_long_ones_cut():
    text = dimension_bars_svg(_table())
    # no HTML and no Markdown from a name: punctuation as character references (st.markdown shows the chart)
    assert "<img" not in text and "](" not in text and "&#60;img src&#61;x onerror" in text
    svg = ET.fromstring(text)[0]
    labels = [t for t in svg.iter(f"{SVG}text") if t.find(f"{SVG}title") is not None]
    assert labels[2].find(f"{SVG}title").text == "A" * 80  # the whole label in the tooltip
    assert "".join(labels[2].itertext()).endswith("A" * (LABEL_CHARS - 1) + "…")
