"""Command line: ``hotspots demo|validate|score|map|worksheet`` (installed by ``pip install .``), or
``python -m hotspots ...``.

``score`` takes several cities as repeated groups: ``--city NAME --indicators CSV --boundaries FILE [--id-column ID]
[--boundary-id-column ID] [--sheet NAME]`` per city (options given before the first ``--city`` are every city's
defaults), with ``--scaling per-city|pooled``.

Exit codes: 0 success; 1 bad input (a message on stderr names the file, column and rows or wards, and how to fix
it); 2 usage errors (argparse).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from ._version import __version__
from .errors import HotspotsError

EXIT_OK, EXIT_INPUT, EXIT_USAGE = 0, 1, 2


def _add_inputs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--indicators", required=True, help="ward indicator table: CSV (any Excel flavour) or XLSX")
    p.add_argument("--boundaries", required=True, help="ward boundaries: GeoJSON, zipped Shapefile, GeoPackage or KML")
    p.add_argument("--id-column", required=True, help="ward ID column of the indicator table")
    p.add_argument(
        "--sheet", help="sheet of an .xlsx workbook to read (default: the first sheet that has the ward ID column)"
    )
    p.add_argument("--boundary-id-column", help="ward ID column of the boundaries (default: --id-column)")
    p.add_argument(
        "--framework", help="framework file (JSON or TOML); default: the shipped hotspots/data/framework_default.json"
    )
    p.add_argument("--name", default="", help="city name for titles")


def _add_model(p: argparse.ArgumentParser) -> None:
    from .classify import SCHEMES

    p.add_argument("--classification", choices=list(SCHEMES), help="map classes (default: the framework's)")
    p.add_argument(
        "--thresholds",
        type=_thresholds,
        help="class limits for '--classification fixed': four increasing numbers on the 0-10 score scale, "
        "separated by commas, e.g. 2,4,6,8 (given alone, they imply --classification fixed)",
    )
    p.add_argument("--neighbours", default="queen", help="queen (default), rook, knn:K or distance:METRES")
    p.add_argument(
        "--permutations",
        type=_permutations,
        default="auto",
        help="permutations for the pseudo p-values: 'auto' (default: 999, and more for the wards with "
        "small p-values, enough that 99%% is reachable after the correction) or a number; 0 switches "
        "the test off (classes say 'not tested')",
    )
    p.add_argument("--seed", type=int, default=12345, help="random seed (default 12345)")
    p.add_argument(
        "--correction",
        choices=["fdr", "bonferroni", "none"],
        default="fdr",
        help="multiple-testing correction (default fdr)",
    )
    p.add_argument("--no-hotspots", action="store_true", help="skip the hotspot statistics")
    p.add_argument(
        "--suppress-below",
        type=int,
        default=5,
        help="suppress counts from 1 to N-1 in every output (exports, map tooltips), and the counts that would give "
        "them back from a column's total (complementary suppression); default 5, 10 is CDC WONDER's stricter rule, "
        "0 turns it off",
    )
    p.add_argument(
        "--profiles",
        type=_profiles_option,
        default="auto",
        help="risk profiles: 'auto' (default: 2 to 6, chosen by silhouette), a number, or 0 for none",
    )


def _permutations(text: str):
    text = text.strip().lower()
    if text == "auto":
        return "auto"
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 'auto' or a whole number >= 0, got {text!r}")
    return value


def _variants(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0 (e.g. 200; 0 turns it off), got {text!r}")
    return value


def _thresholds(text: str) -> tuple[float, ...]:
    """``"2,4,6,8"`` -> (2.0, 4.0, 6.0, 8.0): four increasing finite numbers (argparse shows the message)."""
    import math

    parts = [t.strip() for t in text.split(",")]
    try:
        values = tuple(float(t) for t in parts)
    except ValueError:
        bad = next(t for t in parts if not _is_number(t))
        raise argparse.ArgumentTypeError(
            f"{bad!r} in {text!r} is not a number; give four increasing numbers separated by commas, e.g. 2,4,6,8"
        ) from None
    if len(values) != 4 or any(not math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(
            f"expected four numbers separated by commas (the limits between the five classes), e.g. 2,4,6,8; "
            f"got {len(values)} in {text!r}"
        )
    if any(b <= a for a, b in zip(values, values[1:])):
        raise argparse.ArgumentTypeError(f"the thresholds must increase from left to right, e.g. 2,4,6,8; got {text!r}")
    return values


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def build_parser(prog: str = "hotspots") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Ward-level risk scores and hotspots.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="list or write the built-in (synthetic) demo cities")
    p.add_argument("city", nargs="?", help="kolkata, dhaka, colombo or male")
    p.add_argument("--list", action="store_true", help="list the demo cities")
    p.add_argument("--out", help="folder to write the city's CSV and boundaries to")
    p.add_argument("--force", action="store_true", help="overwrite files of the same name in the --out folder")

    p = sub.add_parser("validate", help="check an indicator table and boundaries; report every problem")
    _add_inputs(p)

    p = sub.add_parser("score", help="score wards and write GeoJSON (.geojson) or CSV (.csv)")
    _add_inputs(p)
    _add_model(p)
    _add_cities_options(p)
    p.add_argument("--out", required=True, help="output file: .geojson or .csv")
    p.add_argument(
        "--variants",
        type=_variants,
        default=0,
        help="uncertainty analysis: re-score under N seeded variants of the model (weights +-25%%, every "
        "normalisation and aggregation, one indicator left out) and add risk_rank_median, risk_rank_p05, "
        "risk_rank_p95 and hotspot_frequency (seeded by --seed); 0 (the default) turns it off: a few hundred "
        "variants take seconds at 1,000 wards but many minutes at 100,000",
    )

    p = sub.add_parser("worksheet", help="write the action-plan worksheet: .xlsx, .csv or .md")
    _add_inputs(p)
    _add_model(p)
    _add_cities_options(p)
    p.add_argument("--out", required=True, help="output file: .xlsx, .csv or .md (Markdown, for printing)")

    p = sub.add_parser("map", help="write the interactive map as a standalone HTML file that opens offline")
    _add_inputs(p)
    _add_model(p)
    p.add_argument("--tiles", default=None, help="optional basemap (e.g. OpenStreetMap); default plain background")
    p.add_argument("--out", required=True, help="output .html file")
    return parser


def _framework(args):
    from .framework import Framework, default_framework

    fw = Framework.load(args.framework) if args.framework else default_framework()
    thresholds = getattr(args, "thresholds", None)
    classification = getattr(args, "classification", None)
    if thresholds is not None:
        if classification not in (None, "fixed"):
            raise _Usage(f"--thresholds go with --classification fixed, not --classification {classification}")
        classification = "fixed"
    if classification == "fixed" and thresholds is None and not fw.thresholds:
        raise _Usage("--classification fixed needs --thresholds, e.g. --thresholds 2,4,6,8 (limits on the 0-10 scale)")
    if classification or thresholds is not None:
        options = {"classification": classification}
        if thresholds is not None:
            options["thresholds"] = thresholds
        fw = fw.with_options(**options)
    return fw


def _prepare(args):
    fw = _framework(args)
    return fw, load_source(args, fw, name=args.name)


def load_source(source, fw, name):
    """The city of one set of input options (``--indicators``, ``--boundaries``, the ID columns, ``--sheet``)."""
    from .pipeline import load_city

    return load_city(
        source.indicators,
        source.boundaries,
        fw,
        id_column=source.id_column,
        boundary_id_column=source.boundary_id_column,
        name=name,
        sheet=source.sheet,
    )


def _report(city) -> str:
    j = city.join
    lines = [
        f"{city.raw.table_read.source}: {len(city.table.table)} wards read",
        f"{city.raw.boundaries_read.source}: {len(city.raw.boundaries_read.wards)} boundary features",
        f"matched: {j.matched}",
    ]
    if j.unmatched_table:
        lines.append(
            f"in the table but not in the boundaries ({len(j.unmatched_table)}): {', '.join(map(str, j.unmatched_table))}"
        )
    if j.unmatched_boundaries:
        lines.append(
            f"in the boundaries but not in the table ({len(j.unmatched_boundaries)}): "
            f"{', '.join(map(str, j.unmatched_boundaries))}"
        )
    if j.missing_ids_boundaries:
        lines.append(
            f"boundary features with no ward ID, left out ({len(j.missing_ids_boundaries)}): "
            f"{', '.join(f'feature {i}' for i in j.missing_ids_boundaries)}"
        )
    if j.missing_geometry:
        lines.append(
            f"in the table but without a usable boundary, left out ({len(j.missing_geometry)}): "
            f"{', '.join(j.missing_geometry)}"
        )
    table = city.table.table
    for c, m in city.table.missing.items():
        if m:
            wards = table.loc[table[c].isna(), "ward_id"].astype(str).tolist()
            lines.append(f"missing values in {c} ({m}): wards {', '.join(wards)}")
    lines += [f"note: {n}" for n in city.notes]
    lines += [f"warning: {w}" for w in j.warnings]
    return "\n".join(lines)


def _score(args, out_suffixes):
    from .pipeline import score_city

    out = Path(args.out)
    if out.suffix.lower() not in out_suffixes:
        raise _Usage(f"--out must end in {' or '.join(out_suffixes)} (got '{args.out}')")
    _refuse_writing_over_inputs(args, out)
    fw, city = _prepare(args)
    result = score_city(
        city,
        fw,
        hotspots=not args.no_hotspots,
        permutations=args.permutations,
        seed=args.seed,
        correction=args.correction,
        neighbours=args.neighbours,
        suppress_below=args.suppress_below,
        profiles=args.profiles,
    )
    return out, result


def _refuse_writing_over_inputs(args, out: Path) -> None:
    """Refuse an ``--out`` that is one of the input files (writing the result would destroy the input)."""
    from .errors import InputFileError

    for option in ("indicators", "boundaries", "framework"):
        given = getattr(args, option, None)
        if given and _same_file(Path(given), out):
            raise InputFileError(
                f"--out {args.out} is the --{option} file: writing the result there would overwrite your input. "
                "Choose another output file name."
            )


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return a.samefile(b)
        return a.resolve() == b.resolve()
    except OSError:
        return False


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _printable(text: object) -> str:
    """``text`` with control characters escaped (a ward ID or file content holding a terminal escape sequence or a
    bidirectional override must not act on the user's terminal)."""
    return _CONTROL.sub(lambda m: ascii(m.group())[1:-1], str(text))


class _Usage(Exception):
    pass


def main(argv: list[str] | None = None, *, prog: str = "hotspots") -> int:
    """Run the command line; return the exit code (the ``hotspots`` console script exits with it).

    Parameters
    ----------
    argv : list of str, optional
        The arguments, without the program name; default ``sys.argv[1:]``.
    prog : str, default "hotspots"
        The program name shown in usage messages (``python -m hotspots`` passes its own).

    Returns
    -------
    int
        0 success, 1 bad input, 2 usage error (argparse itself exits with 2 on malformed arguments).
    """
    parser = build_parser(prog)
    args = _parse_cities(parser, sys.argv[1:] if argv is None else list(argv))
    try:
        return _dispatch(args)
    except _Usage as exc:
        parser.print_usage(sys.stderr)
        print(f"error: {_printable(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except HotspotsError as exc:
        if args.debug:
            raise
        print(f"error: {_printable(exc)}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        return 130


def _dispatch(args) -> int:
    if args.command == "demo":
        from .demo import demo_cities, demo_city, write_demo

        if args.list or not args.city:
            for key, c in demo_cities().items():
                print(
                    f"{key:10s} {c.name} ({c.country}), {c.n_wards} wards, SYNTHETIC data: "
                    f"{c.indicators_path.name}, {c.boundaries_path.name}"
                )
            return EXIT_OK
        if not args.out:
            raise _Usage("demo CITY needs --out DIR")
        city = demo_city(args.city)
        for path in write_demo(city.key, args.out, force=args.force):
            print(path)
        return EXIT_OK
    if args.command == "validate":
        _, city = _prepare(args)
        print(_printable(_report(city)))
        if city.join.warnings:
            print("The table and boundaries can be scored, but check the warnings above first.")
        else:
            print("OK: the table and boundaries can be scored.")
        return EXIT_OK
    if args.command == "score" and args.cities:
        from .cli_cities import score_many

        return score_many(args)
    if args.command == "worksheet":
        from .cli_cities import worksheet_command

        return worksheet_command(args)
    if args.command == "score":
        start = time.perf_counter()
        out, result = _score(args, (".geojson", ".json", ".csv"))
        if args.variants:
            from .uncertainty import add_uncertainty

            add_uncertainty(result, args.variants, args.seed)
        if out.suffix.lower() == ".csv":
            result.to_csv(out)
        else:
            result.to_geojson(out)
        n = len(result.layer)
        for warning in result.city.join.warnings:
            print(_printable(f"warning: {warning}"), file=sys.stderr)
        for note in result.hotspot_notes():
            print(f"note: {_printable(note)}", file=sys.stderr)
        print(f"wrote {out} ({n} wards, {time.perf_counter() - start:.1f} s)", file=sys.stderr)
        return EXIT_OK
    if args.command == "map":
        from .maps import map_html, risk_map

        out, result = _score(args, (".html", ".htm"))
        for warning in result.city.join.warnings:
            print(_printable(f"warning: {warning}"), file=sys.stderr)
        m = risk_map(
            result.layer,
            dimensions=result.dimension_names,
            indicators=result.framework.indicators,
            population_column=result.framework.population_column,
            breaks=result.breaks,
            count_columns=result.count_columns,
            suppress_below=result.suppress_below,
            title=result.city.name,
            synthetic=result.city.synthetic,
            tiles=args.tiles,
            model_values=result.model_values(),
        )
        from .export import write_text

        write_text(out, map_html(m))
        print(f"wrote {out}", file=sys.stderr)
        return EXIT_OK
    raise _Usage(f"unknown command {args.command}")


def _profiles_option(text: str):
    from .cli_cities import profiles_option

    return profiles_option(text)


def _add_cities_options(p: argparse.ArgumentParser) -> None:
    from .cli_cities import add_cities

    add_cities(p)


def _parse_cities(parser: argparse.ArgumentParser, argv: list[str]):
    """Parse the command line, with the ``--city`` groups of a multi-city ``score`` in ``args.cities``."""
    from .cli_cities import parse

    return parse(parser, argv)
