"""Command-line entry points, one per pipeline step (`python -m lac_outcomes <command>`).

The Snakemake rules call the same package functions through `script:` files
in workflow/scripts, inside :func:`rule_step`. Either way a fault in the input
ends the step with one message naming file, row, column and rule on stderr
(and in the log), not a Python traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import keyword
import logging
import sys
from pathlib import Path

from lac_outcomes.errors import ConfigError, InputError

log = logging.getLogger("lac_outcomes")


def check_parameter_names(parameters: dict, where: str) -> None:
    """Refuse parameter names that are not plain Python identifiers.

    Papermill writes each name into the notebook as Python source (``name = value``),
    so a name is code: only identifiers that are not keywords may pass.
    """
    bad = [n for n in parameters if not (isinstance(n, str) and n.isidentifier() and not keyword.iskeyword(n))]
    if bad:
        names = ", ".join(repr(n) for n in bad)
        raise ConfigError(f"{where}: parameter name(s) {names} are not Python identifiers (letters, digits, _)")


def notebook_parameters(notebook) -> set[str]:
    """Names the notebook's cell tagged ``parameters`` assigns: the parameters papermill may set."""
    import ast

    cells = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
    names = set()
    for cell in cells:
        if cell["cell_type"] == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    names.add(node.id)
    return names


def supported_options(function, options: dict[str, tuple[str, object, object]]) -> dict:
    """The options ``function`` accepts, from ``{argument: (config key, value, default)}``.

    An option the function does not take yet is left out while it has its default
    value; any other value stops the step naming the key, never silently.
    """
    accepted = inspect.signature(function).parameters
    passed = {}
    for name, (key, value, default) in options.items():
        if name in accepted:
            passed[name] = value
        elif value != default:
            raise ConfigError(
                f"config {key}: {value!r} is not supported by {function.__module__}.{function.__qualname__} "
                f"in this version (only the default, {default!r})"
            )
    return passed


def notebook_in_step(notebook: Path) -> None:
    """Stop when a notebook and its py:percent pair say different things (the .py was edited, not paired)."""
    pair = Path(notebook).with_suffix(".py")
    if not pair.exists():
        return
    import jupytext
    import nbformat

    script = [c.source for c in jupytext.read(pair).cells]
    cells = [c.source for c in nbformat.read(notebook, as_version=4).cells]
    if script != cells:
        raise ConfigError(
            f"notebook {notebook} differs from its pair {pair}: run `make notebooks` to pair them, then rerun"
        )


@contextlib.contextmanager
def rule_step(log_file: str | None, step: str):
    """Run one pipeline step: log to ``log_file``; a known fault ends it with one line and exit status 1."""
    _setup_logging(log_file)
    from lac_outcomes.render import NotebookFailed

    try:
        yield
    except (InputError, NotebookFailed, ConfigError) as error:
        log.error("%s", error)
        print(f"lac-outcomes {step}: ERROR: {error}", file=sys.stderr)
        sys.exit(1)


def _setup_logging(log_file: str | None) -> None:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, mode="w", encoding="utf-8"))
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", handlers=handlers, force=True
    )


def _years(text: str) -> list[int]:
    """'2009-2023' or '2009,2010' to a list of years."""
    try:
        if "-" in text:
            first, last = (int(x) for x in text.split("-"))
            if first > last:
                raise ConfigError(f"years: the first year {first} is after the last year {last}")
            return list(range(first, last + 1))
        return [int(x) for x in text.split(",") if x]
    except ValueError:
        raise ConfigError(f"years: {text!r} is not a year range such as 2009-2023") from None


def cmd_simulate_scotland(args) -> None:
    from lac_outcomes.scotland.layout import LOCAL_AUTHORITIES
    from lac_outcomes.scotland.simulate import simulate_scotland

    las = None if args.local_authorities in (None, "", "all") else args.local_authorities.split(",")
    unknown = [code for code in las or [] if code not in LOCAL_AUTHORITIES]
    if unknown:
        raise ConfigError(f"scotland.synthetic.local_authorities: unknown local authority code(s) {', '.join(unknown)}")
    simulate_scotland(
        Path(args.out_dir),
        seed=args.seed,
        years=_years(args.years),
        scale=args.scale,
        local_authorities=las,
        published_figures=Path(args.published),
    )


def cmd_clean_scotland(args) -> None:
    from lac_outcomes.scotland import clean

    result = clean.clean(Path(args.raw_dir), years=_years(args.years), flag_share=args.flag_share)
    clean.write(result, Path(args.out_dir))


def _all_or_number(text: str) -> int | str:
    """A scale argument: a whole number, or a word ("all", "national") the generator checks."""
    return int(text) if text.strip().isdigit() else text.strip()


def cmd_simulate_england(args) -> None:
    from lac_outcomes.england.simulate import simulate_england

    truth = simulate_england(
        Path(args.out_dir),
        seed=args.seed,
        years=_years(args.years),
        n_las=args.n_las,
        children_per_la=args.children_per_la,
    )
    log.info(
        "wrote %d SSDA903 files for %d local authorities to %s",
        len(truth["files"]),
        len(truth["local_authorities"]),
        args.out_dir,
    )


def cmd_clean_england(args) -> None:
    from lac_outcomes.england import clean

    result = clean.clean(
        Path(args.raw_dir),
        years=_years(args.years),
        file_year_label=args.file_year_label,
        flag_share=args.flag_share,
        history=args.history,
    )
    clean.write(result, Path(args.out_dir))


def cmd_render(args) -> None:
    from lac_outcomes import render

    parameters = json.loads(args.parameters)
    check_parameter_names(parameters, "--parameters")
    notebook_in_step(Path(args.notebook))
    rendered = render.render(
        args.notebook,
        executed=args.executed,
        html=args.html,
        meta=args.meta,
        parameters=parameters,
        inputs=args.inputs,
        config_sha256=args.config_sha256,
        title=args.title or None,
    )
    log.info("rendered %s: %s", rendered.html_path, rendered.summary)


def cmd_index(args) -> None:
    from lac_outcomes.report_index import write_index, write_site

    write_index([Path(p) for p in args.meta], Path(args.out), title=args.title)
    if args.site:
        write_site(Path(args.out), [Path(p) for p in args.meta], Path(args.site))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lac-outcomes")
    parser.add_argument("--log", help="also write the log to this file")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("simulate-scotland", help="write synthetic Scottish returns")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--years", required=True, help="e.g. 2009-2023")
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--local-authorities", default="all", help="comma-separated GSS codes, or 'all'")
    p.add_argument("--published", required=True, help="published_figures.csv to calibrate to")
    p.set_defaults(func=cmd_simulate_scotland)

    p = sub.add_parser("clean-scotland", help="validate Scottish returns into parquet and a quarantine log")
    p.add_argument("--raw-dir", required=True)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--years", required=True)
    p.add_argument(
        "--flag-share", type=float, default=0.02, help="flag a table that loses more than this share of its rows"
    )
    p.set_defaults(func=cmd_clean_scotland)

    p = sub.add_parser("simulate-england", help="write synthetic SSDA903 returns (one folder per LA) and truth.yaml")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument(
        "--years", required=True, help="collection years, e.g. 2015-2024 (2019 = 1 April 2018 to 31 March 2019)"
    )
    p.add_argument(
        "--n-las", type=_all_or_number, default="all", help='number of local authorities, or "all" (default)'
    )
    p.add_argument(
        "--children-per-la",
        type=_all_or_number,
        default="national",
        help='looked after at 31 March in an average LA, or "national" (default: each LA its share of England)',
    )
    p.set_defaults(func=cmd_simulate_england)

    p = sub.add_parser("clean-england", help="validate SSDA903 returns into parquet, indicators and a quarantine log")
    p.add_argument("--raw-dir", required=True, help="folder with one subfolder per LA")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--years", required=True, help="collection years, e.g. 2015-2024")
    p.add_argument(
        "--file-year-label",
        choices=["end", "start"],
        default="end",
        help="whether file names label a collection year by the year it ends (2019 = 2018/19) or starts",
    )
    p.add_argument(
        "--flag-share",
        type=float,
        default=0.02,
        help="flag an LA-year whose Header or Episodes lose more than this share of their rows",
    )
    p.add_argument(
        "--history",
        choices=["submitted", "merged"],
        default="submitted",
        help="each year's figures from that year's return as submitted, or from one history merged across returns",
    )
    p.set_defaults(func=cmd_clean_england)

    p = sub.add_parser("render", help="execute a notebook with papermill and render it to HTML")
    p.add_argument("--notebook", required=True)
    p.add_argument("--executed", required=True)
    p.add_argument("--html", required=True)
    p.add_argument("--meta", required=True)
    p.add_argument("--parameters", default="{}", help="JSON object of papermill parameters")
    p.add_argument("--config-sha256", required=True)
    p.add_argument("--title", default="", help="report title; default: the notebook's first heading")
    p.add_argument("--inputs", nargs="*", default=[])
    p.set_defaults(func=cmd_render)

    p = sub.add_parser("index", help="write reports/index.html from the reports' meta files")
    p.add_argument("--out", required=True)
    p.add_argument("--title", default="lac-outcomes reports")
    p.add_argument("--site", help="also copy the index, reports and tables into this folder (snakemake --report)")
    p.add_argument("meta", nargs="+")
    p.set_defaults(func=cmd_index)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging(args.log)
    from lac_outcomes.render import NotebookFailed

    try:
        args.func(args)
    except (InputError, ConfigError, NotebookFailed) as error:
        log.error("%s", error)
        print(f"lac-outcomes {args.command}: ERROR: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # a full disk, a folder without write permission: one line, no traceback
        where = f" {error.filename}" if error.filename else ""
        log.error("could not read or write%s: %s", where, error.strerror or error)
        print(
            f"lac-outcomes {args.command}: ERROR: could not read or write{where}: {error.strerror or error}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
