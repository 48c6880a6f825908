"""The command line's multi-city ``score`` and ``worksheet`` (``--city`` groups, ``--scaling``), and ``worksheet``.

Kept apart from :mod:`hotspots.cli` (which imports these functions when it needs them) so that the single-city
commands read as before.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .cli import EXIT_OK, _framework, _printable, _refuse_writing_over_inputs, _score, _Usage, load_source


def profiles_option(text: str):
    text = text.strip().lower()
    if text == "auto":
        return "auto"
    if not text.isdigit() or int(text) > 10:
        raise argparse.ArgumentTypeError(f"expected 'auto' or a whole number from 0 (no profiles) to 10, got {text!r}")
    return int(text)


#: The options that belong to one city of a multi-city run (each group starts with --city).
CITY_OPTIONS = ("--city", "--indicators", "--boundaries", "--id-column", "--boundary-id-column", "--sheet")


def add_cities(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--city",
        metavar="NAME",
        help="several cities: start each city's group with --city NAME, then its --indicators, --boundaries "
        "(and --id-column, --boundary-id-column, --sheet when they differ from the ones given before the first "
        "--city); score: every feature carries its city and <out stem>_summary.csv compares the cities; "
        "worksheet: one file per city, <out stem>_<city>",
    )
    p.add_argument(
        "--scaling",
        choices=("per-city", "pooled"),
        default="per-city",
        help="several cities: each on its own scale (per-city, default) or one scale learned on all (pooled)",
    )


def _split_cities(argv: list[str]) -> tuple[list[str], list[list[str]]]:
    """``argv`` without the per-city groups, and the groups (each from a ``--city`` to the next)."""
    rest, groups, i = [], [], 0
    while i < len(argv):
        option = argv[i].split("=", 1)[0]
        if option == "--city":
            groups.append([])
        if groups and option in CITY_OPTIONS:
            taken = argv[i : i + (1 if "=" in argv[i] else 2)]
            groups[-1] += taken
            i += len(taken)
            continue
        rest.append(argv[i])
        i += 1
    return rest, groups


def parse(parser: argparse.ArgumentParser, argv: list[str]):
    """Parse the command line; ``args.cities`` holds one namespace per ``--city`` group (empty without)."""
    rest, groups = _split_cities(argv)
    if not groups:
        args = parser.parse_args(argv)
        args.cities = []
        return args
    args = parser.parse_args(rest + _first_inputs(groups[0]))
    if args.command not in ("score", "worksheet"):
        parser.error(f"--city is an option of score and worksheet, not of {args.command}")
    defaults = _city_args(parser, rest, {}, defaults_only=True)
    args.cities = [_city_args(parser, group, vars(defaults)) for group in groups]
    names = [c.city for c in args.cities]
    if len(set(names)) < len(names):
        parser.error(f"each --city needs its own name; got {', '.join(names)}")
    return args


def _first_inputs(group: list[str]) -> list[str]:
    """The first city's options without its ``--city``: they satisfy the parser's required inputs."""
    out, i = [], 0
    while i < len(group):
        step = 1 if "=" in group[i] else 2
        if group[i].split("=", 1)[0] != "--city":
            out += group[i : i + step]
        i += step
    return out


def _city_args(parser, group: list[str], defaults: dict, defaults_only: bool = False) -> argparse.Namespace:
    """One city's options (``defaults``: those given before the first ``--city``)."""
    city = argparse.ArgumentParser(prog=f"{parser.prog} score --city", add_help=False)
    for option in CITY_OPTIONS:
        key = option[2:].replace("-", "_")
        city.add_argument(option, default=defaults.get(key))
    parsed, unknown = city.parse_known_args(group)
    if defaults_only:
        return parsed
    missing = [
        o for o in ("--indicators", "--boundaries", "--id-column") if not getattr(parsed, o[2:].replace("-", "_"))
    ]
    if unknown or not parsed.city or missing:
        parser.error(
            f"--city {parsed.city or '?'} needs its own --indicators and --boundaries and an --id-column (its own "
            f"or one given before the first --city); missing {', '.join(missing) or 'a name'}"
        )
    return parsed


def score_many(args) -> int:
    """``score`` with several ``--city`` groups: one export of every city's wards and the cross-city summary."""
    from .multicity import cities_csv, cities_geojson, write_summary

    start = time.perf_counter()
    out = _checked_out(args, (".geojson", ".json", ".csv"))
    results = _score_groups(args, out)
    (cities_csv if out.suffix.lower() == ".csv" else cities_geojson)(results, out)
    summary = write_summary(results, out)
    _print_notes(results)
    n = sum(len(r.layer) for r in results.values())
    print(f"wrote {out} ({n} wards of {len(results)} cities, {time.perf_counter() - start:.1f} s)", file=sys.stderr)
    print(f"wrote {summary} (the cities compared)", file=sys.stderr)
    return EXIT_OK


def worksheet_many(args) -> int:
    """``worksheet`` with several ``--city`` groups: one worksheet per city, ``<out stem>_<city><suffix>``, with
    the risk profiles learned on all the cities' wards pooled."""
    from .export import file_stem
    from .worksheet import action_worksheet

    out = _checked_out(args, (".xlsx", ".csv", ".md"))
    results = _score_groups(args, out)
    _print_notes(results)
    for city, result in results.items():
        path = out.with_name(f"{out.stem}_{file_stem(city)}{out.suffix}")
        sheet = action_worksheet(result, city=city)
        sheet.write(path)
        for note in sheet.notes:
            print(f"note: {_printable(city)}: {_printable(note)}", file=sys.stderr)
        print(f"wrote {path} ({len(sheet.table)} wards to plan for)", file=sys.stderr)
    return EXIT_OK


def _checked_out(args, suffixes: tuple[str, ...]) -> Path:
    out = Path(args.out)
    if out.suffix.lower() not in suffixes:
        raise _Usage(f"--out must end in {' or '.join(suffixes)} (got '{args.out}')")
    return out


def _score_groups(args, out: Path) -> dict:
    """The ``--city`` groups read, validated and scored with one model (``--scaling``), profiles pooled."""
    from .method import Method
    from .multicity import SCALING_WORDS
    from .pipeline import score_cities

    fw = _framework(args)
    cities = {}
    for group in args.cities:
        _refuse_writing_over_inputs(group, out)
        cities[group.city] = load_source(group, fw, name=group.city)
    method = Method(
        framework=fw,
        neighbours=args.neighbours,
        permutations=args.permutations,
        seed=args.seed,
        correction=args.correction,
        suppress_below=args.suppress_below,
        scaling=SCALING_WORDS[args.scaling],
        hotspots=not args.no_hotspots,
        profiles=args.profiles,
    )
    return score_cities(cities, method)


def _print_notes(results) -> None:
    for city, result in results.items():
        for warning in result.city.join.warnings:
            print(_printable(f"warning: {city}: {warning}"), file=sys.stderr)
        for note in result.hotspot_notes():
            print(f"note: {_printable(city)}: {_printable(note)}", file=sys.stderr)
    profiles = next(iter(results.values())).profiles
    for note in profiles.notes if profiles is not None else []:
        print(f"note: {_printable(note)}", file=sys.stderr)


def worksheet_command(args) -> int:
    """``worksheet``: the action-plan worksheet of one city (.xlsx, .csv or .md by the suffix of ``--out``); of
    each city, with ``--city`` groups."""
    from .worksheet import action_worksheet

    if args.cities:
        return worksheet_many(args)
    out, result = _score(args, (".xlsx", ".csv", ".md"))
    sheet = action_worksheet(result, city=args.name or None)
    sheet.write(out)
    for note in sheet.notes + result.hotspot_notes():
        print(f"note: {_printable(note)}", file=sys.stderr)
    print(f"wrote {out} ({len(sheet.table)} wards to plan for)", file=sys.stderr)
    return EXIT_OK
