"""The command line: every command in this process (``hotspots.cli.main``), and a few real runs as a user starts them.

Most tests call :func:`hotspots.cli.main` directly and read its exit code and what it printed (pytest's ``capsys``):
starting a Python process per call cost about two seconds each. ``test_python_dash_m_*`` run ``python -m hotspots``
in a subprocess, to check what only a real process shows (the exit code reaches the shell, no traceback); the
installed ``hotspots`` console script is run by ``tests/test_package.py``.
"""

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

import hotspots
from hotspots.cli import main

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Run:
    """What a command-line run returned and printed."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys):
    """Run the command line in this process: ``cli("demo", "--list")`` returns a :class:`Run`."""

    def run(*args) -> Run:
        capsys.readouterr()  # drop anything printed before
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse exits on malformed arguments (code 2), --help and --version (0)
            code = exc.code
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run


def python_dash_m(*args, cwd) -> subprocess.CompletedProcess:
    """``python -m hotspots ARGS`` in a new process, importing this checkout's package from any working folder."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    }
    return subprocess.run(
        [sys.executable, "-m", "hotspots", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


@pytest.fixture(scope="module")
def kolkata(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "kolkata", "--out", str(out)]) == 0
    csv = next(out.glob("*.csv"))
    gj = next(out.glob("*.geojson"))
    return csv, gj


def test_python_dash_m_runs_from_any_folder(tmp_path):
    r = python_dash_m("demo", "--list", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "kolkata" in r.stdout and "SYNTHETIC" in r.stdout


def test_python_dash_m_exit_code_1_and_no_traceback(kolkata, tmp_path):
    _, gj = kolkata
    r = python_dash_m(
        "validate", "--indicators", tmp_path / "nope.csv", "--boundaries", gj, "--id-column", "ward_id", cwd=tmp_path
    )
    assert r.returncode == 1, r.stderr
    assert "nope.csv" in r.stderr and "Traceback" not in r.stderr
    assert r.stdout == ""


def test_demo_list(cli):
    r = cli("demo", "--list")
    assert r.returncode == 0
    for name in ("kolkata", "dhaka", "colombo", "male"):
        assert name in r.stdout
    assert "SYNTHETIC" in r.stdout


def test_validate_ok(cli, kolkata):
    csv, gj = kolkata
    r = cli("validate", "--indicators", csv, "--boundaries", gj, "--id-column", "ward_id")
    assert r.returncode == 0, r.stderr
    assert "matched: 144" in r.stdout


def test_score_geojson_and_csv(cli, kolkata, tmp_path):
    csv, gj = kolkata
    out = tmp_path / "k.geojson"
    r = cli(
        "score",
        "--indicators",
        csv,
        "--boundaries",
        gj,
        "--id-column",
        "ward_id",
        "--permutations",
        99,
        "--classification",
        "fisher_jenks",
        "--out",
        out,
    )
    assert r.returncode == 0, r.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data["features"]) == 144
    meta = data["metadata"]
    assert meta["classification"]["scheme"] == "fisher_jenks"
    assert meta["hotspot_analysis"]["permutations"]["requested"] == 99
    assert {i["role"] for i in meta["inputs"]} == {"indicators", "boundaries"}
    assert all(len(i["sha256"]) == 64 for i in meta["inputs"])
    props = data["features"][0]["properties"]
    for key in (
        "ward_id",
        "risk_score",
        "risk_rank",
        "risk_class",
        "coverage",
        "individual_score",
        "gi_star_z",
        "gi_star_p",
        "hotspot_class",
        "lisa_cluster",
    ):
        assert key in props
    out_csv = tmp_path / "k.csv"
    r = cli(
        "score",
        "--indicators",
        csv,
        "--boundaries",
        gj,
        "--id-column",
        "ward_id",
        "--permutations",
        99,
        "--out",
        out_csv,
    )
    assert r.returncode == 0, r.stderr
    table = pd.read_csv(out_csv, encoding="utf-8-sig")
    assert len(table) == 144 and "hotspot_class" in table.columns
    sidecar = json.loads((tmp_path / "k.csv.metadata.json").read_text(encoding="utf-8"))
    assert sidecar["framework"]["dimensions"] and len(sidecar["inputs"]) == 2  # the method travels with the CSV


def test_islands_reported_by_name(cli, tmp_path):
    r = cli("demo", "male", "--out", tmp_path)
    csv, gj = next(tmp_path.glob("*.csv")), next(tmp_path.glob("*.geojson"))
    r = cli(
        "score",
        "--indicators",
        csv,
        "--boundaries",
        gj,
        "--id-column",
        "ward_id",
        "--permutations",
        99,
        "--out",
        tmp_path / "m.geojson",
    )
    assert r.returncode == 0, r.stderr
    assert "islands" in r.stderr and "Vilimalé" in r.stderr and "Hulhumalé" in r.stderr
    meta = json.loads((tmp_path / "m.geojson").read_text(encoding="utf-8"))["metadata"]
    assert meta["hotspot_analysis"]["islands"] == ["MLE-05", "MLE-06"]


def test_map_html_offline(cli, kolkata, tmp_path):
    csv, gj = kolkata
    out = tmp_path / "map.html"
    r = cli(
        "map", "--indicators", csv, "--boundaries", gj, "--id-column", "ward_id", "--permutations", 99, "--out", out
    )
    assert r.returncode == 0, r.stderr
    html = out.read_text(encoding="utf-8")
    assert '<script src="http' not in html and "L.map" in html
    # the tooltips hide the small counts the exports hide (--suppress-below 5 by default)
    data = json.loads(re.search(r"var D = (\{.*?\});\n", html).group(1).replace("<\\/", "</"))
    rows = {row["label"]: row.get("num") for row in data["rows"]}
    import html as html_module

    labels = {i.column: html_module.escape(i.display_label) for i in hotspots.default_framework().indicators}
    assert set(labels.values()) <= set(rows)  # the tooltips use the indicators' labels, as the app does
    # 84 of 144 Kolkata wards: the cells the GeoJSON and CSV exports blank out in this column (the issue); the rate
    # made from a suppressed count is suppressed too
    assert rows[labels["extremist_propaganda_reports"]].count("suppressed (&lt; 5)") == 84


@pytest.mark.parametrize("levels", [2, 3, 4])
def test_fisher_jenks_with_few_score_levels(cli, kolkata, tmp_path, levels):
    # a framework of one indicator with 2-4 distinct values gives score columns with 2-4 levels: mapclassify's
    # FisherJenks raised "Fewer unique values than specified classes" (a 27-line traceback from this command)
    csv, gj = kolkata
    few = _bad(tmp_path, csv, lambda t: t.assign(hate_incidents=pd.to_numeric(t.hate_incidents).clip(upper=levels - 1)))
    fw = tmp_path / "few.json"
    fw.write_text(
        json.dumps(
            {
                "dimensions": {"ideological": 1},
                "indicators": [
                    {
                        "column": "hate_incidents",
                        "dimension": "ideological",
                        "direction": "higher_is_riskier",
                        "unit": "other",
                    }
                ],
            }
        )
    )
    args = [
        "--indicators",
        few,
        "--boundaries",
        gj,
        "--id-column",
        "ward_id",
        "--framework",
        fw,
        "--classification",
        "fisher_jenks",
        "--no-hotspots",
    ]
    r = cli("score", *args, "--out", tmp_path / "few.geojson")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    meta = json.loads((tmp_path / "few.geojson").read_text(encoding="utf-8"))["metadata"]["classification"]
    assert len(meta["bins"]) == levels
    assert meta["notes"] and f"{levels} class(es) instead of 5" in meta["notes"][0]
    r = cli("map", *args, "--out", tmp_path / "few.html")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr


def _bad(tmp_path, csv, edit):
    t = pd.read_csv(csv, dtype=str, keep_default_na=False)
    t = edit(t)
    p = tmp_path / "bad.csv"
    t.to_csv(p, index=False)
    return p


@pytest.mark.parametrize(
    "edit, words",
    [
        (
            lambda t: t.assign(school_dropout_rate=["abc"] + list(t.school_dropout_rate[1:])),
            ["bad.csv", "school_dropout_rate", "line 2", "not numbers"],
        ),
        (lambda t: t.assign(hate_incidents=["-3"] + list(t.hate_incidents[1:])), ["hate_incidents", "negative"]),
        (
            lambda t: t.assign(youth_unemployment_rate=["150"] + list(t.youth_unemployment_rate[1:])),
            ["youth_unemployment_rate", "above 100"],
        ),
        (lambda t: pd.concat([t, t.iloc[[0, 1]]]), ["individual-level", "one row per ward"]),
        (lambda t: t.drop(columns=["hate_incidents"]), ["hate_incidents", "framework"]),
    ],
)
def test_bad_input_exit_1_with_message(cli, kolkata, tmp_path, edit, words):
    csv, gj = kolkata
    bad = _bad(tmp_path, csv, edit)
    r = cli("score", "--indicators", bad, "--boundaries", gj, "--id-column", "ward_id", "--out", tmp_path / "o.geojson")
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    for w in words:
        assert w in r.stderr, (w, r.stderr)


def test_bad_files_and_columns(cli, kolkata, tmp_path):
    csv, gj = kolkata
    r = cli("validate", "--indicators", tmp_path / "nope.csv", "--boundaries", gj, "--id-column", "ward_id")
    assert r.returncode == 1 and "nope.csv" in r.stderr and "Traceback" not in r.stderr
    r = cli("validate", "--indicators", csv, "--boundaries", gj, "--id-column", "ward")
    assert r.returncode == 1 and "ward_id" in r.stderr and "Traceback" not in r.stderr
    fw = tmp_path / "fw.json"
    fw.write_text(
        json.dumps(
            {
                "dimensions": {"individual": 1},
                "indicators": [{"column": "youth_unemployment_rate", "dimension": "urban"}],
            }
        )
    )
    r = cli("validate", "--indicators", csv, "--boundaries", gj, "--id-column", "ward_id", "--framework", fw)
    assert r.returncode == 1 and "unknown dimension 'urban'" in r.stderr
    fw.write_text(
        json.dumps(
            {
                "dimensions": {"individual": 1},
                "indicators": [{"column": "youth_unemployment_rate", "dimension": "individual", "weight": "x"}],
            }
        )
    )
    r = cli("validate", "--indicators", csv, "--boundaries", gj, "--id-column", "ward_id", "--framework", fw)
    assert r.returncode == 1 and "not a positive number" in r.stderr
    pts = tmp_path / "points.geojson"
    pts.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"ward_id": "1"},
                        "geometry": {"type": "Point", "coordinates": [88.3, 22.5]},
                    }
                ],
            }
        )
    )
    r = cli("validate", "--indicators", csv, "--boundaries", pts, "--id-column", "ward_id")
    assert r.returncode == 1 and "points.geojson" in r.stderr and "Traceback" not in r.stderr
    proj = tmp_path / "projected.geojson"
    proj.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"ward_id": "1"},
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [
                                [[600000, 2500000], [601000, 2500000], [601000, 2501000], [600000, 2500000]]
                            ],
                        },
                    }
                ],
            }
        )
    )
    r = cli("validate", "--indicators", csv, "--boundaries", proj, "--id-column", "ward_id")
    assert r.returncode == 1 and "CRS" in r.stderr and "Traceback" not in r.stderr


def test_usage_errors_exit_2(cli, kolkata, tmp_path):
    csv, gj = kolkata
    assert cli("score", "--indicators", csv).returncode == 2
    r = cli("score", "--indicators", csv, "--boundaries", gj, "--id-column", "ward_id", "--out", tmp_path / "x.txt")
    assert r.returncode == 2


def test_version_and_program_name(cli):
    import hotspots

    r = cli("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"hotspots {hotspots.__version__}"
    r = cli("score")
    assert r.returncode == 2 and r.stderr.startswith("usage: hotspots score")  # the console script's name


# ---------------------------------------------------------------------------------------------------------------
# Right first time: thresholds, workbook sheets, what validate names, a mostly unmatched pair
# ---------------------------------------------------------------------------------------------------------------


def test_fixed_classes_with_thresholds(cli, kolkata, tmp_path):
    csv, gj = kolkata
    out = tmp_path / "fixed.geojson"
    inputs = ("--indicators", csv, "--boundaries", gj, "--id-column", "ward_id", "--no-hotspots")
    r = cli("score", *inputs, "--classification", "fixed", "--thresholds", "2,4,6,8", "--out", out)
    assert r.returncode == 0, r.stderr
    meta = json.loads(out.read_text(encoding="utf-8"))["metadata"]
    assert meta["classification"]["scheme"] == "fixed"
    assert meta["framework"]["thresholds"] == [2, 4, 6, 8]
    r = cli("score", *inputs, "--thresholds", " 1.5, 3,4.5 ,9", "--out", out)  # alone, they imply fixed
    assert r.returncode == 0, r.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["metadata"]["classification"]["scheme"] == "fixed"


@pytest.mark.parametrize(
    ("thresholds", "words"),
    [
        ("2,4,x,8", "'x' in '2,4,x,8' is not a number"),
        ("8,6,4,2", "must increase"),
        ("2,2,6,8", "must increase"),
        ("2,4", "expected four numbers"),
        ("2,4,6,nan", "expected four numbers"),
    ],
)
def test_bad_thresholds_are_usage_errors(cli, kolkata, tmp_path, thresholds, words):
    csv, gj = kolkata
    r = cli(
        "score", "--indicators", csv, "--boundaries", gj, "--id-column", "ward_id", "--thresholds", thresholds,
        "--out", tmp_path / "o.geojson",
    )  # fmt: skip
    assert r.returncode == 2 and words in r.stderr and "--thresholds" in r.stderr, r.stderr


def test_fixed_without_thresholds_or_with_another_scheme(cli, kolkata, tmp_path):
    csv, gj = kolkata
    inputs = ("--indicators", csv, "--boundaries", gj, "--id-column", "ward_id", "--out", tmp_path / "o.geojson")
    r = cli("score", *inputs, "--classification", "fixed")
    assert r.returncode == 2 and "--thresholds 2,4,6,8" in r.stderr, r.stderr
    r = cli("score", *inputs, "--classification", "quantiles", "--thresholds", "2,4,6,8")
    assert r.returncode == 2 and "--classification fixed" in r.stderr, r.stderr


def _readme_first_workbook(csv: Path, path: Path) -> Path:
    import openpyxl

    table = pd.read_csv(csv, dtype=str, keep_default_na=False)
    book = openpyxl.Workbook()
    book.active.title = "Read me"
    book.active.append(["Ward indicators, synthetic demo: see the Data sheet"])
    data = book.create_sheet("Data")
    data.append(list(table.columns))
    for row in table.itertuples(index=False):
        data.append(list(row))
    book.save(path)
    return path


def test_workbook_with_a_read_me_first_and_sheet_option(cli, kolkata, tmp_path):
    csv, gj = kolkata
    book = _readme_first_workbook(csv, tmp_path / "kolkata.xlsx")
    inputs = ("--indicators", book, "--boundaries", gj, "--id-column", "ward_id")
    r = cli("validate", *inputs)
    assert r.returncode == 0, r.stderr
    assert "matched: 144" in r.stdout and "read sheet 'Data' of kolkata.xlsx" in r.stdout
    r = cli("validate", *inputs, "--sheet", "Data")
    assert r.returncode == 0 and "matched: 144" in r.stdout, r.stderr
    r = cli("validate", *inputs, "--sheet", "Read me")  # one line of text: no data rows
    assert r.returncode == 1 and "This is sheet 'Read me' of kolkata.xlsx, the sheet chosen" in r.stderr, r.stderr
    r = cli("validate", *inputs, "--sheet", "Sheet9")
    assert r.returncode == 1 and "kolkata.xlsx has no sheet 'Sheet9'. Its sheets are: Read me, Data" in r.stderr


def test_validate_names_dropped_features_and_wards_with_missing_values(cli, kolkata, tmp_path):
    csv, gj = kolkata
    collection = json.loads(Path(gj).read_text(encoding="utf-8"))
    feature = 100  # 1-based, as messages count features
    lost = collection["features"][feature - 1]["properties"]["ward_id"]
    collection["features"][feature - 1]["properties"]["ward_id"] = None
    no_id = tmp_path / "no_id.geojson"
    no_id.write_text(json.dumps(collection), encoding="utf-8")
    missing = _bad(tmp_path, csv, lambda t: t.assign(school_dropout_rate=[""] * 2 + list(t.school_dropout_rate[2:])))
    r = cli("validate", "--indicators", missing, "--boundaries", no_id, "--id-column", "ward_id")
    assert r.returncode == 0, r.stderr
    assert f"boundary features with no ward ID, left out (1): feature {feature}" in r.stdout
    assert f"in the table but not in the boundaries (1): {lost}" in r.stdout
    assert "missing values in school_dropout_rate (2): wards KMC-001, KMC-002" in r.stdout
    assert "OK: the table and boundaries can be scored." in r.stdout


def test_mostly_unmatched_pair_warns(cli, kolkata, tmp_path):
    csv, gj = kolkata
    part = _bad(tmp_path, csv, lambda t: t.iloc[40:])  # 104 of 144 wards: 40 (28%) of the boundaries unmatched
    r = cli("validate", "--indicators", part, "--boundaries", gj, "--id-column", "ward_id")
    assert r.returncode == 0, r.stderr
    assert "warning: 40 of the 144 wards in the boundaries (28%) are not in the table" in r.stdout
    assert "OK:" not in r.stdout and "check the warnings above" in r.stdout
    r = cli("score", "--indicators", part, "--boundaries", gj, "--id-column", "ward_id", "--no-hotspots",
            "--out", tmp_path / "o.csv")  # fmt: skip
    assert r.returncode == 0 and "warning: 40 of the 144 wards" in r.stderr, r.stderr


# ------------------------------------------------------------------------------ several cities, worksheet (issue 12)


def _monotone_city(folder: Path, prefix: str, values: range) -> tuple[Path, Path]:
    """A 3x3 city whose ward i has every indicator at its i-th value (licensing falls as the others rise): with
    min-max scaling, its lowest ward scores 0 and its highest 10 on its own scale (a hand calculation)."""
    import geopandas as gpd
    from shapely.geometry import box

    ids = [f"{prefix}{i}" for i in range(9)]
    v = list(values)
    table = pd.DataFrame(
        {
            "ward_id": ids,
            "population": [10_000] * 9,
            "youth_unemployment_rate": v,
            "school_dropout_rate": v,
            "unlicensed_institutions": [10 * x for x in v],
            "institution_licensing_rate": [100 - 5 * x for x in v],
            "hate_incidents": [10 * x for x in v],
            "extremist_propaganda_reports": [10 * x for x in v],
        }
    )
    cells = [box(c * 0.01, r * 0.01, (c + 1) * 0.01, (r + 1) * 0.01) for r in range(3) for c in range(3)]
    shapes = gpd.GeoDataFrame({"ward_id": ids}, geometry=cells, crs=4326)
    csv, gj = folder / f"{prefix}.csv", folder / f"{prefix}.geojson"
    table.to_csv(csv, index=False)
    shapes.to_file(gj, driver="GeoJSON")
    return csv, gj


@pytest.fixture(scope="module")
def two_monotone_cities(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cities")
    return _monotone_city(folder, "A", range(0, 9)), _monotone_city(folder, "B", range(8, 17))


def _cities_args(two, scaling, out):
    (a_csv, a_gj), (b_csv, b_gj) = two
    return [
        "score", "--id-column", "ward_id", "--permutations", 0, "--suppress-below", 0,
        "--city", "Alpha", "--indicators", a_csv, "--boundaries", a_gj,
        "--city", "Beta", "--indicators", b_csv, "--boundaries", b_gj,
        "--scaling", scaling, "--out", out,
    ]  # fmt: skip


def test_pooled_scaling_reaches_0_and_10_once_across_cities_per_city_in_each(cli, two_monotone_cities, tmp_path):
    per = cli(*_cities_args(two_monotone_cities, "per-city", tmp_path / "per.geojson"))
    assert per.returncode == 0, per.stderr
    pooled = cli(*_cities_args(two_monotone_cities, "pooled", tmp_path / "pooled.geojson"))
    assert pooled.returncode == 0, pooled.stderr
    for name, extremes in (("per", {"Alpha": (0, 10), "Beta": (0, 10)}), ("pooled", {"Alpha": (0,), "Beta": (10,)})):
        data = json.loads((tmp_path / f"{name}.geojson").read_text(encoding="utf-8"))
        props = pd.DataFrame([f["properties"] for f in data["features"]])
        assert len(props) == 18 and props["city"].notna().all()  # every feature carries its city
        assert data["metadata"]["scaling"]["option"] == ("per-city" if name == "per" else "pooled")
        assert data["metadata"]["method"]["scaling"] == ("own" if name == "per" else "common")
        for city, rows in props.groupby("city"):
            reached = {x for x in (0, 10) if (rows["risk_score"].round(6) == x).sum() == 1}
            assert reached == set(extremes[city]), (name, city)
        assert set(data["metadata"]["per_city"]) == {"Alpha", "Beta"}
        assert data["metadata"]["risk_profiles"]["k"] >= 2  # learned once, on both cities' wards
    summary = pd.read_csv(tmp_path / "pooled_summary.csv", encoding="utf-8-sig")
    assert summary["city"].tolist() == ["Alpha", "Beta"]
    assert summary.set_index("city").at["Alpha", "mean_risk"] < summary.set_index("city").at["Beta", "mean_risk"]
    assert {"population", "share_population_top_class", "dominant_dimension"} <= set(summary.columns)


def test_multi_city_csv_has_a_city_column_and_pooled_profiles(cli, kolkata, tmp_path):
    csv, gj = kolkata
    out = tmp_path / "two.csv"
    r = cli(
        "score", "--id-column", "ward_id", "--permutations", 0,
        "--city", "One", "--indicators", csv, "--boundaries", gj,
        "--city", "Two", "--indicators", csv, "--boundaries", gj,
        "--out", out,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert len(table) == 288 and table.columns[0] == "city" and set(table["city"]) == {"One", "Two"}
    one, two = (table[table["city"] == c].set_index("ward_id")["risk_profile"] for c in ("One", "Two"))
    pd.testing.assert_series_equal(one, two, check_names=False)  # the same wards: the same pooled profile
    meta = json.loads((tmp_path / "two.csv.metadata.json").read_text(encoding="utf-8"))
    assert meta["scaling"]["option"] == "per-city" and meta["cities"] == ["One", "Two"]
    assert (tmp_path / "two_summary.csv").exists()


def test_multi_city_usage_errors(cli, kolkata, tmp_path):
    csv, gj = kolkata
    r = cli("score", "--id-column", "ward_id", "--city", "A", "--indicators", csv, "--out", tmp_path / "x.geojson")
    assert r.returncode == 2 and "--boundaries" in r.stderr
    r = cli(
        "score", "--id-column", "ward_id", "--out", tmp_path / "x.geojson",
        "--city", "A", "--indicators", csv, "--boundaries", gj,
        "--city", "A", "--indicators", csv, "--boundaries", gj,
    )  # fmt: skip
    assert r.returncode == 2 and "own name" in r.stderr
    r = cli(
        "score", "--indicators", csv, "--boundaries", gj, "--id-column", "ward_id", "--profiles", 11, "--out", "x.csv"
    )
    assert r.returncode == 2 and "--profiles" in r.stderr and "to 10" in r.stderr
    r = cli("validate", "--id-column", "ward_id", "--city", "A", "--indicators", csv, "--boundaries", gj)
    assert r.returncode == 2 and "option of score and worksheet" in r.stderr


def test_single_city_score_unchanged_with_profiles_option(cli, kolkata, tmp_path):
    csv, gj = kolkata
    out = tmp_path / "one.geojson"
    r = cli("score", "--indicators", csv, "--boundaries", gj, "--id-column", "ward_id", "--permutations", 0,
            "--profiles", 3, "--out", out)  # fmt: skip
    assert r.returncode == 0, r.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert "city" not in data["features"][0]["properties"]
    assert data["metadata"]["risk_profiles"]["k"] == 3
    assert {f["properties"]["risk_profile"][:3] for f in data["features"]} == {"P1:", "P2:", "P3:"}


@pytest.mark.parametrize("suffix", [".xlsx", ".csv", ".md"])
def test_worksheet_command(cli, kolkata, tmp_path, suffix):
    from hotspots.worksheet import read_worksheet

    csv, gj = kolkata
    out = tmp_path / f"plan{suffix}"
    r = cli("worksheet", "--indicators", csv, "--boundaries", gj, "--id-column", "ward_id", "--permutations", 99,
            "--name", "Kolkata", "--out", out)  # fmt: skip
    assert r.returncode == 0, r.stderr
    result = hotspots.run(csv, gj, id_column="ward_id", permutations=99)
    layer = result.layer
    expected = set(
        layer.loc[layer["hotspot_class"].str.startswith("hot spot") | (layer["risk_class"] == "Very high"), "ward_id"]
    )
    assert f"({len(expected)} wards to plan for)" in r.stderr
    if suffix == ".md":
        text = out.read_text(encoding="utf-8")
        assert text.startswith("# Action plan: Kolkata") and all(w in text for w in expected)
    else:
        assert set(read_worksheet(out, city="Kolkata").wards) == expected


def test_worksheet_refuses_other_suffixes(cli, kolkata, tmp_path):
    csv, gj = kolkata
    r = cli("worksheet", "--indicators", csv, "--boundaries", gj, "--id-column", "ward_id", "--out", tmp_path / "p.pdf")
    assert r.returncode == 2 and ".xlsx" in r.stderr


def test_worksheet_per_city_with_pooled_profiles(cli, kolkata, tmp_path):
    from hotspots.worksheet import read_worksheet

    csv, gj = kolkata
    r = cli(
        "worksheet", "--id-column", "ward_id", "--permutations", 99,
        "--city", "One", "--indicators", csv, "--boundaries", gj,
        "--city", "Two", "--indicators", csv, "--boundaries", gj,
        "--out", tmp_path / "plan.csv",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    one, two = (pd.read_csv(tmp_path / f"plan_{c}.csv", encoding="utf-8-sig") for c in ("one", "two"))
    assert set(one["City"]) == {"One"} and set(two["City"]) == {"Two"}
    # the same wards in both cities: the same profiles (learned once, on both cities' wards pooled)
    assert one.set_index("Ward ID")["Risk profile"].to_dict() == two.set_index("Ward ID")["Risk profile"].to_dict()
    assert read_worksheet(tmp_path / "plan_two.csv", city="Two").wards == two["Ward ID"].tolist()
