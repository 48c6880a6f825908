"""The built-in demo cities: synthetic ward boundaries and indicator tables to try the tool on.

Four cities ship inside the package, in ``hotspots/data/demo/``: Kolkata (144 wards), Dhaka (54 North + 75 South
City Corporation wards), Colombo (47 wards) and Malé (6 wards on three islands). Each has an indicator CSV and a
ward boundary GeoJSON, joined on ``ward_id``.

The data are **synthetic**: the cities sit at their real locations, but boundaries, populations and indicator values
are generated (see ``data/make_demo.py``) and describe no real ward. Use them to learn the tool, to test it, and as
templates for the layout of your own files (:func:`write_demo`).

Examples
--------
>>> from hotspots.demo import demo_city
>>> kolkata = demo_city("kolkata")
>>> kolkata.n_wards
144
>>> demo_city("Malé").key
'male'
"""

from __future__ import annotations

import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from hotspots.data import data_path
from hotspots.errors import DataError, InputFileError

__all__ = ["DEMO_DIR", "DemoCity", "demo_cities", "demo_city", "write_demo"]

DEMO_DIR: Path = data_path("demo")
"""Folder of the demo files, inside the package (``hotspots/data/demo``), found with :mod:`importlib.resources`."""


@dataclass(frozen=True)
class DemoCity:
    """One demo city: where its files are and what they contain.

    Parameters
    ----------
    key : str
        Short ASCII key: ``"kolkata"``, ``"dhaka"``, ``"colombo"`` or ``"male"``.
    name : str
        Display name, e.g. ``"Malé"``.
    country : str
        Country name.
    indicators_path : Path
        The indicator CSV (UTF-8, comma-separated, one row per ward, ``ward_id`` first).
    boundaries_path : Path
        The ward boundaries (GeoJSON, EPSG:4326).
    n_wards : int
        Number of wards in both files.
    id_column : str, default "ward_id"
        The column that joins the CSV to the boundaries.
    """

    key: str
    name: str
    country: str
    indicators_path: Path
    boundaries_path: Path
    n_wards: int
    id_column: str = "ward_id"

    @property
    def synthetic(self) -> bool:
        """Always ``True``: every demo city is generated, not real data."""
        return True


def _demo_city(key: str, name: str, country: str, n_wards: int) -> DemoCity:
    return DemoCity(
        key=key,
        name=name,
        country=country,
        indicators_path=DEMO_DIR / f"{key}_indicators_synthetic.csv",
        boundaries_path=DEMO_DIR / f"{key}_wards_synthetic.geojson",
        n_wards=n_wards,
    )


_DEMO_CITIES: dict[str, DemoCity] = {
    city.key: city
    for city in (
        _demo_city("kolkata", "Kolkata", "India", 144),
        _demo_city("dhaka", "Dhaka", "Bangladesh", 129),
        _demo_city("colombo", "Colombo", "Sri Lanka", 47),
        _demo_city("male", "Malé", "Maldives", 6),
    )
}


def demo_cities() -> dict[str, DemoCity]:
    """All demo cities, by key, Kolkata first.

    Returns
    -------
    dict of str to DemoCity
        A new dict (changing it does not change the registry), in the order Kolkata, Dhaka, Colombo, Malé.

    Examples
    --------
    >>> list(demo_cities())
    ['kolkata', 'dhaka', 'colombo', 'male']
    """
    return dict(_DEMO_CITIES)


def _normalise_key(key: str) -> str:
    """Case-fold and strip accents, so that "Malé", "MALE" and "male" are one key."""
    decomposed = unicodedata.normalize("NFKD", key.strip().casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def demo_city(key: str) -> DemoCity:
    """One demo city by key or name.

    Parameters
    ----------
    key : str
        ``"kolkata"``, ``"dhaka"``, ``"colombo"`` or ``"male"``; case and accents are ignored, so ``"Malé"`` and
        ``"MALE"`` work too.

    Returns
    -------
    DemoCity

    Raises
    ------
    DataError
        If there is no demo city of that name; the message lists the valid keys.

    Examples
    --------
    >>> demo_city("Dhaka").n_wards
    129
    """
    normalised = _normalise_key(str(key))
    for city in _DEMO_CITIES.values():
        if normalised in (city.key, _normalise_key(city.name)):
            return city
    valid = ", ".join(f"'{k}'" for k in _DEMO_CITIES)
    raise DataError(f"There is no demo city '{key}'. Use one of {valid}.")


def write_demo(key: str, out_dir: str | Path, *, force: bool = False) -> list[Path]:
    """Copy a demo city's indicator CSV and boundary GeoJSON into a folder, as a template for your own data.

    Parameters
    ----------
    key : str
        The demo city (see :func:`demo_city`).
    out_dir : str or Path
        Folder to write into; created if missing.
    force : bool, default False
        Overwrite files of the same name in ``out_dir`` (else they are refused with a message).

    Returns
    -------
    list of Path
        The written indicator CSV and boundary GeoJSON, in that order.

    Raises
    ------
    DataError
        If ``key`` is not a demo city.
    InputFileError
        If the demo files are missing from the installation, ``out_dir`` is a file, or it holds files of the same
        name and ``force`` is False.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     [path.name for path in write_demo("male", folder)]
    ['male_indicators_synthetic.csv', 'male_wards_synthetic.geojson']
    """
    city = demo_city(key)
    sources = [city.indicators_path, city.boundaries_path]
    missing = [str(path) for path in sources if not path.is_file()]
    if missing:
        raise InputFileError(
            f"The demo files for {city.name} are missing: {', '.join(missing)}. "
            "Reinstall the package (pip install .), or regenerate them in a checkout of the repository with: "
            "python data/make_demo.py"
        )
    out_dir = Path(out_dir)
    _check_demo_folder(out_dir, [out_dir / source.name for source in sources], force)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputFileError(
            f"Cannot create the folder {out_dir}: {exc.strerror or exc}. Choose a folder you may write to."
        ) from None
    return [Path(shutil.copyfile(source, out_dir / source.name)) for source in sources]


def _check_demo_folder(out_dir: Path, targets: list[Path], force: bool) -> None:
    """Refuse a folder that is a file, or that holds files of the demo's names (unless ``force``)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputFileError(
            f"{out_dir} is a file, not a folder: the demo writes two files (a table and boundaries) into a folder. "
            "Give a folder name with --out, e.g. --out demo_data."
        )
    existing = [path.name for path in targets if path.exists()]
    if existing and not force:
        raise InputFileError(
            f"{out_dir} already holds {', '.join(existing)}; they were left as they are. Choose another folder, or "
            "add --force (force=True) to overwrite them."
        )
