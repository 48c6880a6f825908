"""The command line, end to end, in a subprocess (as a user runs it)."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "hotspots", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def kolkata(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    r = cli("demo", "kolkata", "--out", out)
    assert r.returncode == 0, r.stderr
    csv = next(out.glob("*.csv"))
    gj = next(out.glob("*.geojson"))
    return csv, gj


def test_demo_list():
    r = cli("demo", "--list")
    assert r.returncode == 0
    for name in ("kolkata", "dhaka", "colombo", "male"):
        assert name in r.stdout
    assert "SYNTHETIC" in r.stdout


def test_validate_ok(kolkata):
    csv, gj = kolkata
    r = cli("validate", "--indicators", csv, "--boundaries", gj, "--id-column", "ward_id")
    assert r.returncode == 0, r.stderr
    assert "matched: 144" in r.stdout


def test_score_geojson_and_csv(kolkata, tmp_path):
    csv, gj = kolkata
    out = tmp_path / "k.geojson"
    r = cli("score", "--indicators", csv, "--boundaries", gj, "--id-column", "ward_id", "--permutations", 99,
            "--classification", "fisher_jenks", "--out", out)
    assert r.returncode == 0, r.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data["features"]) == 144
    meta = data["metadata"]
    assert meta["classification"]["scheme"] == "fisher_jenks"
    assert meta["hotspot_analysis"]["permutations"]["requested"] == 99
    assert {i["role"] for i in meta["inputs"]} == {"indicators", "boundaries"}
    assert all(len(i["sha256"]) == 64 for i in meta["inputs"])
    props = data["features"][0]["properties"]
    for key in ("ward_id", "risk_score", "risk_rank", "risk_class", "coverage", "individual_score",
                "gi_star_z", "gi_star_p", "hotspot_class", "lisa_cluster"):
        assert key in props
    out_csv = tmp_path / "k.csv"
    r = cli("score", "--indicators", csv, "--boundaries", gj, "--id-column", "ward_id", "--permutations", 99,
            "--out", out_csv)
    assert r.returncode == 0, r.stderr
    table = pd.read_csv(out_csv, encoding="utf-8-sig")
    assert len(table) == 144 and "hotspot_class" in table.columns
    sidecar = json.loads((tmp_path / "k.csv.metadata.json").read_text(encoding="utf-8"))
    assert sidecar["framework"]["dimensions"] and len(sidecar["inputs"]) == 2  # the method travels with the CSV


def test_islands_reported_by_name(tmp_path):
    r = cli("demo", "male", "--out", tmp_path)
    csv, gj = next(tmp_path.glob("*.csv")), next(tmp_path.glob("*.geojson"))
    r = cli("score", "--indicators", csv, "--boundaries", gj, "--id-column", "ward_id", "--permutations", 99,
            "--out", tmp_path / "m.geojson")
    assert r.returncode == 0, r.stderr
    assert "islands" in r.stderr and "Vilimalé" in r.stderr and "Hulhumalé" in r.stderr
    meta = json.loads((tmp_path / "m.geojson").read_text(encoding="utf-8"))["metadata"]
    assert meta["hotspot_analysis"]["islands"] == ["MLE-05", "MLE-06"]


def test_map_html_offline(kolkata, tmp_path):
    csv, gj = kolkata
    out = tmp_path / "map.html"
    r = cli("map", "--indicators", csv, "--boundaries", gj, "--id-column", "ward_id", "--permutations", 99, "--out", out)
    assert r.returncode == 0, r.stderr
    html = out.read_text(encoding="utf-8")
    assert "<script src=\"http" not in html and "L.map" in html
    # the tooltips hide the small counts the exports hide (--suppress-below 5 by default)
    data = json.loads(re.search(r"var D = (\{.*?\});\n", html).group(1).replace("<\\/", "</"))
    rows = {row["label"]: row.get("num") for row in data["rows"]}
    for column in ("unlicensed_institutions", "hate_incidents", "extremist_propaganda_reports"):  # unit "count"
        assert not any(isinstance(v, (int, float)) and 0 < v < 5 for v in rows[column]), column
    # 84 of 144 Kolkata wards: the cells the GeoJSON and CSV exports blank out in this column (the issue)
    assert rows["extremist_propaganda_reports"].count("suppressed (&lt; 5)") == 84


@pytest.mark.parametrize("levels", [2, 3, 4])
def test_fisher_jenks_with_few_score_levels(kolkata, tmp_path, levels):
    # a framework of one indicator with 2-4 distinct values gives score columns with 2-4 levels: mapclassify's
    # FisherJenks raised "Fewer unique values than specified classes" (a 27-line traceback from this command)
    csv, gj = kolkata
    few = _bad(tmp_path, csv, lambda t: t.assign(hate_incidents=pd.to_numeric(t.hate_incidents).clip(upper=levels - 1)))
    fw = tmp_path / "few.json"
    fw.write_text(json.dumps({"dimensions": {"ideological": 1}, "indicators": [
        {"column": "hate_incidents", "dimension": "ideological", "direction": "higher_is_riskier", "unit": "other"}]}))
    args = ["--indicators", few, "--boundaries", gj, "--id-column", "ward_id", "--framework", fw,
            "--classification", "fisher_jenks", "--no-hotspots"]
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
        (lambda t: t.assign(school_dropout_rate=["abc"] + list(t.school_dropout_rate[1:])),
         ["bad.csv", "school_dropout_rate", "line 2", "not numbers"]),
        (lambda t: t.assign(hate_incidents=["-3"] + list(t.hate_incidents[1:])), ["hate_incidents", "negative"]),
        (lambda t: t.assign(youth_unemployment_rate=["150"] + list(t.youth_unemployment_rate[1:])),
         ["youth_unemployment_rate", "above 100"]),
        (lambda t: pd.concat([t, t.iloc[[0, 1]]]), ["individual-level", "one row per ward"]),
        (lambda t: t.drop(columns=["hate_incidents"]), ["hate_incidents", "framework"]),
    ],
)
def test_bad_input_exit_1_with_message(kolkata, tmp_path, edit, words):
    csv, gj = kolkata
    bad = _bad(tmp_path, csv, edit)
    r = cli("score", "--indicators", bad, "--boundaries", gj, "--id-column", "ward_id", "--out", tmp_path / "o.geojson")
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    for w in words:
        assert w in r.stderr, (w, r.stderr)


def test_bad_files_and_columns(kolkata, tmp_path):
    csv, gj = kolkata
    r = cli("validate", "--indicators", tmp_path / "nope.csv", "--boundaries", gj, "--id-column", "ward_id")
    assert r.returncode == 1 and "nope.csv" in r.stderr and "Traceback" not in r.stderr
    r = cli("validate", "--indicators", csv, "--boundaries", gj, "--id-column", "ward")
    assert r.returncode == 1 and "ward_id" in r.stderr and "Traceback" not in r.stderr
    fw = tmp_path / "fw.json"
    fw.write_text(json.dumps({"dimensions": {"individual": 1},
                              "indicators": [{"column": "youth_unemployment_rate", "dimension": "urban"}]}))
    r = cli("validate", "--indicators", csv, "--boundaries", gj, "--id-column", "ward_id", "--framework", fw)
    assert r.returncode == 1 and "unknown dimension 'urban'" in r.stderr
    fw.write_text(json.dumps({"dimensions": {"individual": 1},
                              "indicators": [{"column": "youth_unemployment_rate", "dimension": "individual",
                                              "weight": "x"}]}))
    r = cli("validate", "--indicators", csv, "--boundaries", gj, "--id-column", "ward_id", "--framework", fw)
    assert r.returncode == 1 and "not a positive number" in r.stderr
    pts = tmp_path / "points.geojson"
    pts.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"ward_id": "1"}, "geometry": {"type": "Point", "coordinates": [88.3, 22.5]}}]}))
    r = cli("validate", "--indicators", csv, "--boundaries", pts, "--id-column", "ward_id")
    assert r.returncode == 1 and "points.geojson" in r.stderr and "Traceback" not in r.stderr
    proj = tmp_path / "projected.geojson"
    proj.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"ward_id": "1"}, "geometry": {"type": "Polygon", "coordinates": [
            [[600000, 2500000], [601000, 2500000], [601000, 2501000], [600000, 2500000]]]}}]}))
    r = cli("validate", "--indicators", csv, "--boundaries", proj, "--id-column", "ward_id")
    assert r.returncode == 1 and "CRS" in r.stderr and "Traceback" not in r.stderr


def test_usage_errors_exit_2(kolkata, tmp_path):
    csv, gj = kolkata
    assert cli("score", "--indicators", csv).returncode == 2
    r = cli("score", "--indicators", csv, "--boundaries", gj, "--id-column", "ward_id", "--out", tmp_path / "x.txt")
    assert r.returncode == 2
