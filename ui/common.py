"""Shared rendering: untrusted text made inert, package errors, the synthetic-data banner, and a result's map."""

from __future__ import annotations

import re

import streamlit as st

from hotspots.errors import HotspotsError, ValidationError
from hotspots.maps import risk_map

#: Characters that start Markdown, HTML or a Streamlit directive (``:red[...]``, ``:material/icon:``, ``$LaTeX$``),
#: and ``&`` (an entity) and ``@`` (an e-mail autolink): a backslash before any of them makes it literal.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#!|<>~$:&@])")
#: A GFM autolink without a scheme ("www.example.org" becomes a link): the dot after "www" is escaped too.
_BARE_WWW = re.compile(r"(?i)\b(www)\.")
#: A list item, setext heading or thematic break at the start of a line ("- x", "+ x", "1. x", "2) x", "==="").
_LINE_START = re.compile(r"(?m)^([ \t]*\d*)([-+=.)])")
CORRECTION_WORDS = {"fdr": "false discovery rate", "bonferroni": "Bonferroni", "none": "no"}


def plain(text: object) -> str:
    """Untrusted text (ward names, IDs, file names, column and dimension names, framework labels, messages that
    quote them) made inert for Streamlit Markdown (st.markdown, st.caption, st.title, alerts, widget labels and
    help, radio options, st.table cells): no links, images (which would load from the internet), HTML, colour
    directives, icons or LaTeX; line breaks kept. Not for selectbox or multiselect options (shown as plain text).

    >>> plain("![x](http://evil/img.png)")
    '\\\\!\\\\[x\\\\]\\\\(http\\\\://evil/img.png\\\\)'
    """
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", str(text).replace("\r\n", "\n"))
    escaped = _LINE_START.sub(r"\1\\\2", _BARE_WWW.sub(r"\1\\.", escaped))
    return escaped.replace("\n", "  \n")


def held_index(options: list, key: str) -> int:
    """The index of the value the session holds for the widget of ``key`` (0 when it holds none of the options),
    passed as the widget's default.

    A keyed widget drawn without a default tells the browser to fall back to its first option (a slider: its
    minimum). Whenever the browser draws the widget anew without a value of its own, for example when a tab was
    clicked while the page's first run was still under way, it takes that fallback and sends it back as the
    user's choice: every dimension weight became 0 and the map an error (tests/test_browser_upload.py caught it,
    once in five runs). With the session's value as the default, a fresh widget shows what the session holds.
    """
    value = st.session_state.get(key)
    return options.index(value) if value in options else 0


def keep_choice(key: str, options, many: bool = False) -> str:
    """``key``, for a widget of a tab that keeps its choice while another tab is open (``persist_state="session"``:
    the tabs are lazy, and a widget not drawn in a run would lose the user's choice): a remembered value that is no
    longer among ``options`` (a city or scenario gone, a workspace imported) is dropped, or for a multiselect
    (``many``) the values no longer among them."""
    state = st.session_state
    if key in state:
        value = state[key]
        if many and value is not None and any(v not in options for v in value):
            state[key] = [v for v in value if v in options]
        elif not many and value not in options:
            del state[key]
    return key


def show_error(exc: HotspotsError, what: str = "") -> None:
    """A package error in plain words; a validation error also as a table of problems."""
    if isinstance(exc, ValidationError):
        st.error(f"{plain(what)}{len(exc.problems)} problem(s) in the input. Fix them and upload again:")
        st.dataframe(exc.to_frame(), hide_index=True, width="stretch")
    else:
        st.error(f"{plain(what)}{plain(exc)}")


def synthetic_banner(synthetic: bool, compact: bool = False) -> None:
    """Say so when the data are the synthetic demo (a badge when ``compact``)."""
    if synthetic and compact:
        st.caption(":orange-badge[:material/warning: Synthetic demo data]")
    elif synthetic:
        st.warning(
            "**Synthetic demo data.** Boundaries, populations and indicator values are generated for "
            "teaching and testing; they describe no real ward or community.",
            icon="⚠️",
        )


def city_title(result) -> str:
    """A scored city's name, marked when its data are synthetic."""
    return result.city.name + (" (synthetic)" if result.city.synthetic else "")


def basemap_tiles(inputs: dict) -> str | None:
    """The tiles under the maps: none unless the user asked for them (they need the internet)."""
    return "CartoDB positron" if inputs["basemap"] else None


def city_map(result, inputs: dict, compact: bool = False, **options):
    """The risk map of a scored city (folium); ``options`` go to :func:`hotspots.maps.risk_map` (``view``,
    ``legend``)."""
    framework = result.framework
    return risk_map(
        result.layer,
        dimensions=framework.dimension_names,
        indicators=framework.indicators,
        population_column=framework.population_column,
        breaks=result.breaks,
        count_columns=result.count_columns,
        suppress_below=result.suppress_below,
        title=city_title(result),
        synthetic=result.city.synthetic,
        tiles=basemap_tiles(inputs),
        compact=compact,
        model_values=result.model_values(),
        **options,
    )


def permutation_words(permutations, noun: str = "permutations") -> str:
    """'999 random permutations', or for 'auto' what auto does, for the help texts."""
    if permutations == "auto":
        return f"999 random {noun}, and more for the wards that need them to reach 99% after the correction"
    return f"{permutations} random {noun}"
