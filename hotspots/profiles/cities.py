"""Risk profiles of scored cities, one or several pooled (see :mod:`hotspots.profiles`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..errors import DataError
from .core import DEFAULT_SEED, Profiles, risk_profiles


def dimension_scores(result) -> pd.DataFrame:
    """A scored city's dimension scores indexed by ward ID (wards on the map; no data stays NaN)."""
    layer = result.layer
    columns = [f"{d}_score" for d in result.dimension_names]
    frame = pd.DataFrame(layer[columns].to_numpy(dtype=float), columns=columns)
    frame.index = pd.Index(layer["ward_id"].astype(str).to_numpy(), name="ward_id")
    return frame


def pooled_scores(results: Mapping[str, Any]) -> pd.DataFrame:
    """Several scored cities' dimension scores in one table indexed by (city, ward ID): profiles learned on it
    mean the same in every city.

    Parameters
    ----------
    results : mapping of str to RiskResult
        City name -> scored city (all scored with the same dimensions).
    """
    frames = {city: dimension_scores(r) for city, r in results.items()}
    if not frames:
        raise DataError("No scored city to learn risk profiles on.")
    columns = [list(f.columns) for f in frames.values()]
    if any(c != columns[0] for c in columns):
        raise DataError("The cities were scored with different dimensions: profiles need the same dimensions.")
    return pd.concat(frames, names=["city", "ward_id"])


def profile_results(results: Mapping[str, Any], k: int | None = None, seed: int | None = DEFAULT_SEED) -> Profiles:
    """Learn risk profiles on several scored cities pooled and write each city's into its ``layer`` (column
    ``risk_profile``) and ``profiles`` attribute.

    Parameters
    ----------
    results : mapping of str to RiskResult
        City name -> scored city; changed in place.
    k, seed
        As in :func:`risk_profiles`.

    Returns
    -------
    Profiles
        The pooled profiles (indexed by (city, ward ID)).
    """
    profiles = risk_profiles(pooled_scores(results), k=k, seed=seed)
    if len(results) > 1:
        profiles.notes.append(
            f"Risk profiles learned on the wards of {len(results)} cities pooled ({', '.join(map(str, results))}): "
            "a profile means the same in every one of them."
        )
    for city, result in results.items():
        attach_profiles(result, profiles, city)
    return profiles


def attach_profiles(result, profiles: Profiles, city: Any = None) -> None:
    """Write ``profiles``' labels of ``city`` into ``result.layer['risk_profile']`` (by ward ID) and keep them."""
    labels = profiles.for_city(city)
    result.layer["risk_profile"] = labels.reindex(result.layer["ward_id"].astype(str)).to_numpy()
    result.profiles = profiles


def profiles_of(result, k: int | None = None, seed: int | None = DEFAULT_SEED) -> Profiles:
    """Learn one scored city's risk profiles and attach them (:func:`attach_profiles`)."""
    profiles = risk_profiles(dimension_scores(result), k=k, seed=seed)
    attach_profiles(result, profiles)
    return profiles
