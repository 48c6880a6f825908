"""Shared rendering: untrusted text made inert, package errors, the synthetic-data banner, and a result's map."""

from __future__ import annotations

import re

import streamlit as st

from hotspots.errors import HotspotsError, ValidationError
from hotspots.maps import risk_map

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#!|<>~$:])")
CORRECTION_WORDS = {"fdr": "false discovery rate", "bonferroni": "Bonferroni", "none": "no"}


def plain(text: object) -> str:
    """Untrusted text (ward names, IDs, file names, messages that quote them) made inert for st.markdown:
    no links, images (which would load from the internet), colour directives or LaTeX."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text)).replace("\n", "  \n")


def show_error(exc: HotspotsError, what: str = "") -> None:
    """A package error in plain words; a validation error also as a table of problems."""
    if isinstance(exc, ValidationError):
        st.error(f"{what}{len(exc.problems)} problem(s) in the input. Fix them and upload again:")
        st.dataframe(exc.to_frame(), hide_index=True, width="stretch")
    else:
        st.error(f"{what}{plain(exc)}")


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
        **options,
    )


def permutation_words(permutations, noun: str = "permutations") -> str:
    """'999 random permutations', or for 'auto' what auto does, for the help texts."""
    if permutations == "auto":
        return f"999 random {noun}, and more for the wards that need them to reach 99% after the correction"
    return f"{permutations} random {noun}"
