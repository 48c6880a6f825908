"""The package as pip installs it: declared dependencies, package data, version, console script.

``pyproject.toml`` is the one place that says what the package needs and ships; ``requirements.txt`` (the app) and
``requirements-dev.txt`` (the tests) repeat it for the README's two set-up commands, and these tests keep the three
in step with each other and with what the code imports. The last test installs the package into a throwaway
virtual environment and runs the ``hotspots`` console script from another folder; it takes about half a minute
(pip fetches setuptools to build), so it runs under ``CI=true`` or when asked::

    HOTSPOTS_TEST_INSTALL=1 python -m pytest tests/test_package.py
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import hotspots

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]

# Declared but never imported, on purpose (every other runtime dependency must be imported by hotspots/).
NOT_IMPORTED = {
    "pyproj": "geopandas reprojects with it (GeoDataFrame.to_crs); data/make_demo.py imports it",
}


def _requirement_key(text: str) -> tuple:
    req = Requirement(text)
    return canonicalize_name(req.name), tuple(sorted(req.extras)), str(req.specifier), str(req.marker or "")


def _requirements_file(path: Path) -> tuple[list[str], set[tuple]]:
    """The ``-r`` includes and the requirements of a pip requirements file."""
    includes, requirements = [], set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            includes.append(line[3:].strip())
        elif line:
            requirements.add(_requirement_key(line))
    return includes, requirements


def _declared(*extras: str) -> set[str]:
    """Canonical distribution names of the runtime dependencies plus the given extras (without the self-reference)."""
    texts = list(PROJECT["dependencies"])
    for extra in extras:
        texts += PROJECT["optional-dependencies"][extra]
    names = {canonicalize_name(Requirement(t).name) for t in texts}
    return names - {"hotspots"}


def _imported_modules(paths: list[Path]) -> dict[str, set[str]]:
    """Top-level third-party module name -> the files that import it (absolute imports, outside the stdlib)."""
    found: dict[str, set[str]] = {}
    local = {"hotspots", "ui"} | {p.stem for p in (ROOT / "tests").glob("*.py")}  # ours, and tests sharing fixtures
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in local:
                    found.setdefault(top, set()).add(path.relative_to(ROOT).as_posix())
    return found


@functools.cache
def _providers() -> dict[str, list[str]]:
    """Importable top-level name -> the installed distributions that provide it."""
    return importlib.metadata.packages_distributions()


def _undeclared(paths: list[Path], declared: set[str]) -> list[str]:
    providers = _providers()
    problems = []
    for module, files in sorted(_imported_modules(paths).items()):
        dists = {canonicalize_name(d) for d in providers.get(module, [])}
        if not dists & declared:
            problems.append(f"{module} (imported by {', '.join(sorted(files))}; provided by {sorted(dists) or '?'})")
    return problems


def _package_sources() -> list[Path]:
    return sorted(p for p in (ROOT / "hotspots").rglob("*.py") if "__pycache__" not in p.parts)


# ---------------------------------------------------------------------------------------------------------------
# Requirements say what the code uses
# ---------------------------------------------------------------------------------------------------------------


def test_every_import_of_the_package_is_a_declared_dependency():
    assert _undeclared(_package_sources(), _declared()) == []


def test_every_import_of_the_app_is_declared():
    assert _undeclared([ROOT / "app.py"], _declared("app")) == []


def test_every_import_of_the_tests_is_declared():
    assert _undeclared(sorted((ROOT / "tests").glob("*.py")), _declared("app", "test")) == []


def test_every_runtime_dependency_is_used():
    providers = _providers()
    imported = {
        canonicalize_name(dist)
        for module in _imported_modules(_package_sources())
        for dist in providers.get(module, [])
    }
    unused = sorted(_declared() - imported - set(NOT_IMPORTED))
    assert unused == [], f"declared in [project] dependencies but not imported by hotspots/: {unused}"


def test_reference_libraries_are_test_dependencies_only():
    runtime = _declared("app")
    assert "esda" not in runtime and "esda" in _declared("test")  # the statistics are checked against esda
    assert "scikit-learn" in _declared()  # used since issue 12: risk profiles (hotspots/profiles/)


def test_requirements_txt_is_the_runtime_and_app_dependencies():
    includes, requirements = _requirements_file(ROOT / "requirements.txt")
    expected = {_requirement_key(t) for t in PROJECT["dependencies"] + PROJECT["optional-dependencies"]["app"]}
    assert includes == []
    assert requirements == expected


def test_requirements_dev_txt_is_requirements_txt_and_the_test_dependencies():
    includes, requirements = _requirements_file(ROOT / "requirements-dev.txt")
    expected = {_requirement_key(t) for t in PROJECT["optional-dependencies"]["test"]}
    expected = {key for key in expected if key[0] != "hotspots"}  # hotspots[app] is requirements.txt
    assert includes == ["requirements.txt"]
    assert requirements == expected
    assert _requirement_key("hotspots[app]") in {_requirement_key(t) for t in PROJECT["optional-dependencies"]["test"]}


def test_leaflet_stays_pinned():
    # maps.py inlines this exact Leaflet; a newer one could change the JavaScript API the map code relies on
    assert _requirement_key("xstatic-leaflet==1.9.3.0") in {_requirement_key(t) for t in PROJECT["dependencies"]}


# ---------------------------------------------------------------------------------------------------------------
# Packaging
# ---------------------------------------------------------------------------------------------------------------


def test_the_tests_import_this_checkout():
    # pyproject's [tool.pytest.ini_options] pythonpath = ["."]: an installed copy must not shadow the code under test
    assert Path(hotspots.__file__).resolve() == ROOT / "hotspots" / "__init__.py"


def test_version_is_read_from_the_package():
    assert "version" in PROJECT["dynamic"] and "version" not in PROJECT
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "hotspots._version.__version__"}
    assert isinstance(hotspots.__version__, str) and hotspots.__version__[0].isdigit()


def test_console_script_and_package_discovery():
    assert PROJECT["scripts"] == {"hotspots": "hotspots.cli:main"}
    assert PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"] == ["hotspots*"]


def _ships(path: Path, package_data: dict[str, list[str]]) -> bool:
    """Whether setuptools ships ``path`` by a package-data glob of the package (folder) it lies in or above."""
    for folder in path.relative_to(ROOT).parents:
        package = ".".join(folder.parts)
        for pattern in package_data.get(package, []):
            if path in set((ROOT / folder).glob(pattern)):
                return True
    return False


def test_every_data_file_in_the_package_is_package_data():
    package_data = PYPROJECT["tool"]["setuptools"]["package-data"]
    data_files = sorted(
        p
        for p in (ROOT / "hotspots").rglob("*")
        if p.is_file() and p.suffix not in {".py", ".pyc"} and "__pycache__" not in p.parts
    )
    assert ROOT / "hotspots" / "data" / "framework_default.json" in data_files
    not_shipped = [p.relative_to(ROOT).as_posix() for p in data_files if not _ships(p, package_data)]
    assert not_shipped == [], "add them to [tool.setuptools.package-data] in pyproject.toml"


def test_data_is_found_inside_the_package():
    from hotspots.demo import DEMO_DIR
    from hotspots.framework import DEFAULT_FRAMEWORK_PATH

    package = Path(hotspots.__file__).resolve().parent
    assert DEFAULT_FRAMEWORK_PATH == package / "data" / "framework_default.json"
    assert DEMO_DIR == package / "data" / "demo"
    for city in hotspots.demo_cities().values():
        assert city.indicators_path.is_file() and city.boundaries_path.is_file()


# ---------------------------------------------------------------------------------------------------------------
# pip install, end to end
# ---------------------------------------------------------------------------------------------------------------


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the installation test must run)")
    pytest.skip(reason)


def _run(args: list, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


INSTALL_ENV = "HOTSPOTS_TEST_INSTALL"


@pytest.mark.skipif(
    os.environ.get("CI", "").lower() != "true" and os.environ.get(INSTALL_ENV) != "1",
    reason=f"pip install into a fresh virtual environment takes ~30 s: runs under CI=true or with {INSTALL_ENV}=1",
)
def test_pip_install_and_console_script_from_another_folder(tmp_path):
    """``pip install .`` into a fresh virtual environment, then ``hotspots demo --list`` from another folder.

    The environment sees the already installed dependencies (``--system-site-packages``), so only the package
    itself is built and installed (``--no-deps``); building needs setuptools from PyPI (pip's build isolation).
    Only what the build needs is copied (pyproject.toml, README.md, hotspots/), so nothing is written into the
    checkout.
    """
    try:
        import venv  # noqa: F401
    except ImportError:
        _skip_or_fail("the venv module is not available")
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "hotspots", source / "hotspots", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    env_dir = tmp_path / "venv"
    made = _run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", env_dir], cwd=tmp_path)
    if made.returncode != 0:
        _skip_or_fail(f"cannot create a virtual environment: {made.stderr.strip()[-500:]}")
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / ("python.exe" if os.name == "nt" else "python")

    # pip from the base environment (visible through --system-site-packages) installs into the new one
    installed = _run(
        [python, "-m", "pip", "install", "--no-deps", "--no-input", "--retries", "1", source], cwd=tmp_path
    )
    if (
        installed.returncode != 0
        and "No matching distribution found for setuptools" in installed.stdout + installed.stderr
    ):
        _skip_or_fail("cannot fetch the build backend (setuptools) from PyPI: no network?")
    assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-3000:]

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = bin_dir / ("hotspots.exe" if os.name == "nt" else "hotspots")
    listed = _run([script, "demo", "--list"], cwd=elsewhere)
    assert listed.returncode == 0, listed.stderr
    for key in hotspots.demo_cities():
        assert key in listed.stdout
    version = _run([script, "--version"], cwd=elsewhere)
    assert version.stdout.strip() == f"hotspots {hotspots.__version__}", version.stderr

    check = (
        "import importlib.metadata, pathlib, sys, hotspots\n"
        "package = pathlib.Path(hotspots.__file__).resolve().parent\n"
        "assert package.is_relative_to(pathlib.Path(sys.prefix).resolve()), package\n"
        "assert importlib.metadata.version('hotspots') == hotspots.__version__\n"
        "assert hotspots.default_framework().columns\n"
        "assert all(c.indicators_path.is_file() and c.boundaries_path.is_file() and "
        "c.indicators_path.is_relative_to(package) for c in hotspots.demo_cities().values())\n"
    )
    checked = _run([python, "-c", check], cwd=elsewhere)
    assert checked.returncode == 0, checked.stderr[-3000:]
