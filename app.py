"""Streamlit front end of hotspots: widgets in, package calls, results out.

Run with ``streamlit run app.py``. The app opens on the synthetic demo cities (Kolkata first). Everything it shows
is computed by the ``hotspots`` package; the ``ui`` package next to this file only routes inputs to package calls,
caches them (:mod:`ui.cache`) and renders:

* :func:`ui.sidebar.sidebar_inputs` returns the model settings as a plain dict (city, weights, options);
* one module per tab draws it (tabs are lazy: only the open one runs): :mod:`ui.map_tab`, :mod:`ui.interactions`,
  :mod:`ui.data_tab`, :mod:`ui.model_tab`, :mod:`ui.compare`, :mod:`ui.export_tab`, :mod:`ui.room`, :mod:`ui.glossary`;
* :mod:`ui.workspace` saves the session to the workspace store as it changes and restores it from the URL.

Uploads go through ``st.session_state["upload"]`` (a dict of bytes and file names): the file uploaders fill it, and
tests can fill it directly (``AppTest`` cannot drive ``st.file_uploader``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:  # `streamlit run` puts the app's folder on the path; AppTest and other runners may not
    sys.path.insert(0, HERE)

from ui.common import plain  # noqa: E402
from ui.compare import render_compare  # noqa: E402
from ui.data_tab import render_data_tab  # noqa: E402
from ui.export_tab import render_export  # noqa: E402
from ui.glossary import render_glossary  # noqa: E402
from ui.interactions import render_interactions  # noqa: E402
from ui.map_component import first_map_pending  # noqa: E402
from ui.map_tab import render_map  # noqa: E402
from ui.model_tab import render_model  # noqa: E402
from ui.room import render_room, require_sign_in  # noqa: E402
from ui.scenario_compare import render_scenario_compare  # noqa: E402
from ui.sidebar import sidebar_inputs  # noqa: E402
from ui.state import init_session  # noqa: E402
from ui.uncertainty_tab import render_uncertainty  # noqa: E402
from ui.workspace import init_workspace, render_scenarios, save_workspace  # noqa: E402

#: The page's style.
#:
#: * Less space above the page and a smaller title, so that on a 1280x720 laptop the map (and its legend) is in
#:   view when the app opens.
#: * Changes of style take no time. While a run of the page is under way, Streamlit dims what it will redraw: after
#:   0.5 s, in a fade of 1 s, which the browser draws frame by frame (and the same for the expanders, the tabs and
#:   the status widget). A weight change whose run took 3 s longer cost a page 2.56 CPU-s of Chromium that way,
#:   against 1.09 without the fades (``python bench/bench_steps.py --slow-run 3``; a quick run 0.76 and 0.81): CPU
#:   that a laptop, or a machine serving a room, needs for the answer. The delays stay: a run longer than 0.5 s
#:   still dims the page, in one step, and a shorter one does not flicker.
#: * The status widget's sign of a run is still: the word "Running…", not Streamlit's running man, whose picture it
#:   swaps every 200 ms for as long as the run lasts, each swap a frame for the browser to lay out, draw and
#:   composite (a page waiting 6 s for its run: 50 layouts and 30 frames drawn, against 15 and 2-4).
PAGE_STYLE = """<style>
[data-testid="stMainBlockContainer"]{padding-top:2.2rem}
[data-testid="stMainBlockContainer"] h1{font-size:1.6rem;padding:0 0 .2rem 0}
*,*::before,*::after{transition-duration:0s!important}
[data-testid="stStatusWidgetRunningIcon"]{width:auto!important;margin-right:0!important}
[data-testid="stStatusWidgetRunningIcon"]>*{display:none}
[data-testid="stStatusWidgetRunningIcon"]::after{content:"Running…";font-size:.875rem;white-space:nowrap;opacity:.6}
</style>"""


def main() -> None:
    st.set_page_config(page_title="Ward risk hotspots", page_icon="🗺️", layout="wide")
    require_sign_in()
    init_session()
    init_workspace()  # the URL's workspace, restored before the sidebar's widgets are drawn
    inputs = sidebar_inputs()
    if not first_map_pending():  # on a browser's first view, scenarios and the workspace's tools follow the map
        with st.sidebar:
            render_scenarios(inputs)
    spec = st.session_state["cities"][inputs["city"]]
    st.html(PAGE_STYLE)
    st.title(f"Ward risk and hot spots: {plain(spec['label'])}")
    views = {
        "Map": lambda: render_map(spec, inputs),
        "Interactions": lambda: render_interactions(spec, inputs),
        "Data": lambda: render_data_tab(spec, inputs),
        "Model": lambda: render_model(spec, inputs),
        "How sure are we?": lambda: render_uncertainty(spec, inputs),
        "Compare": lambda: render_compare(inputs),
        "Scenarios": lambda: render_scenario_compare(spec, inputs),
        "Export": lambda: render_export(spec, inputs),
        "Room": lambda: render_room(inputs),
        "Glossary": render_glossary,
    }
    for tab, render in zip(st.tabs(list(views), key="view", on_change="rerun"), views.values()):
        with tab:
            if tab.open:
                render()
    save_workspace(inputs)


main()
