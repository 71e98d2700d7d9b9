"""``cdisc-msc``: the command line.

Subcommands
  build     raw EDC exports -> SDTM, ADaM, XPT, Dataset-JSON, define.xml/html,
            validation and outcome report, written atomically under --out
  simulate  write a synthetic raw study in the raw data contract
  validate  check a package (ours or anyone's) for conformance
  define    regenerate define.xml/define.html from specs and existing XPT files
  report    outcome results (HTML + CSV) from an ADaM folder
  spec      check the specs, or export/import them as a P21-layout workbook
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from cdisc_msc import __version__

EPILOG = "Run 'cdisc-msc <command> --help' for the options of one command."


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="cdisc-msc",
        description="Turn the MSC-SLE trial's raw EDC exports into a submission-ready CDISC package.",
        epilog=EPILOG,
    )
    p.add_argument("--version", action="version", version=f"cdisc-msc {__version__}")
    sub = p.add_subparsers(dest="command", metavar="command", required=True)

    b = sub.add_parser("build", help="build the whole package from raw data",
                       description="Load and check the study configuration, specs and raw forms; map SDTM; derive "
                                   "ADaM; write XPT v5 and Dataset-JSON; generate define.xml/define.html; validate; "
                                   "write the outcome report. Output is written to a staging folder and moved into "
                                   "--out only when every stage succeeded; a failed run leaves --out untouched and "
                                   "its reports in <out>.failed/.")
    b.add_argument("--raw", type=Path, default=Path("fixtures/raw"), help="raw export folder (default ./fixtures/raw)")
    b.add_argument("--specs", type=Path, default=Path("specs"), help="spec folder (default ./specs)")
    b.add_argument("--out", type=Path, default=Path("out"), help="package folder (default ./out)")
    b.add_argument("--quiet", action="store_true", help="print only errors and the final line")

    s = sub.add_parser("simulate", help="write a synthetic raw study",
                       description="Write a realistic synthetic raw study in the raw data contract; the same seed "
                                   "gives the same bytes.")
    s.add_argument("--subjects", type=int, required=True, help="number of screened subjects")
    s.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    s.add_argument("--out", type=Path, required=True, help="folder to write the raw CSV forms into")
    s.add_argument("--specs", type=Path, default=Path("specs"), help="spec folder holding study.yaml")

    v = sub.add_parser("validate", help="check a package for conformance",
                       description="Validate a package root (with sdtm/ and adam/) or one folder of XPT files, with "
                                   "or without define.xml. Exit status 1 when any reject or error remains.")
    v.add_argument("path", type=Path, help="package root or XPT folder")
    v.add_argument("--define", type=Path, default=None, help="define.xml to use (default: the folder's own)")
    v.add_argument("--json", type=Path, default=None, help="write the JSON report here")
    v.add_argument("--html", type=Path, default=None, help="write the HTML report here")

    d = sub.add_parser("define", help="regenerate define.xml and define.html",
                       description="Regenerate define.xml and define.html of a package from the specs and the XPT "
                                   "files already there, without rebuilding the data.")
    d.add_argument("--package", type=Path, default=Path("out"), help="package root (default ./out)")
    d.add_argument("--specs", type=Path, default=Path("specs"), help="spec folder (default ./specs)")
    d.add_argument("--copy-to", type=Path, default=None,
                   help="also copy the defines here (the repository keeps them in ./define)")

    r = sub.add_parser("report", help="outcome results from ADaM",
                       description="Compute the registry's outcome results from an ADaM folder only and write an HTML "
                                   "report and the same tables as CSV.")
    r.add_argument("--adam", type=Path, default=Path("out/adam"), help="ADaM XPT folder (default ./out/adam)")
    r.add_argument("--out", type=Path, default=Path("out/report"), help="report folder (default ./out/report)")
    r.add_argument("--specs", type=Path, default=Path("specs"), help="spec folder holding study.yaml")

    sp = sub.add_parser("spec", help="check, export or import the specs",
                        description="check: load and check the specs, listing every problem. export: write the "
                                    "specs as a Pinnacle 21-layout Excel workbook. import: read such a workbook back "
                                    "into YAML spec folders.")
    spsub = sp.add_subparsers(dest="spec_command", metavar="action", required=True)
    c = spsub.add_parser("check", help="check the specs")
    c.add_argument("--specs", type=Path, default=Path("specs"))
    e = spsub.add_parser("export", help="write a workbook")
    e.add_argument("--specs", type=Path, default=Path("specs"))
    e.add_argument("--package", choices=["sdtm", "adam"], required=True)
    e.add_argument("--out", type=Path, required=True, help="workbook path (.xlsx)")
    i = spsub.add_parser("import", help="read a workbook into a spec folder")
    i.add_argument("workbook", type=Path)
    i.add_argument("--package", choices=["sdtm", "adam"], required=True)
    i.add_argument("--specs", type=Path, default=Path("specs"))
    i.add_argument("--overwrite", action="store_true",
                   help="replace the existing spec folder's files (the YAML is rewritten in the import layout)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler = {
        "build": _cmd_build, "simulate": _cmd_simulate, "validate": _cmd_validate,
        "define": _cmd_define, "report": _cmd_report, "spec": _cmd_spec,
    }[args.command]
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # every expected failure type prints one clear message
        from cdisc_msc.config import ConfigError
        from cdisc_msc.pipeline import BuildError
        from cdisc_msc.problems import InputError

        if isinstance(exc, (BuildError, ConfigError, InputError, OSError, ValueError)):
            print(f"cdisc-msc {args.command}: {exc}", file=sys.stderr)
            return 1
        raise


def _echo(quiet: bool):
    return (lambda _msg: None) if quiet else print


def _cmd_build(args) -> int:
    from cdisc_msc.pipeline import build
    from cdisc_msc.progress import progress_for

    with progress_for(quiet=args.quiet) as notify:  # per stage and dataset on stderr; none with --quiet
        summary = build(args.raw, args.specs, args.out, echo=_echo(args.quiet), notify=notify)
    print(f"built {summary['study']} into {args.out} in {summary['total_seconds']:.1f} s")
    return int(summary.get("exit_code", 0))


def _cmd_simulate(args) -> int:
    from cdisc_msc.config import load_config
    from cdisc_msc.simulate import simulate_study

    config = load_config(args.specs / "study.yaml")
    simulate_study(args.subjects, args.seed, args.out, config)
    print(f"wrote a synthetic study of {args.subjects} subjects (seed {args.seed}) to {args.out}")
    return 0


def _cmd_validate(args) -> int:
    from cdisc_msc.validate import validate_package

    result = validate_package(args.path, define=args.define)
    print(result.summary())
    if args.json:
        args.json.write_text(result.to_json(), encoding="utf-8")
    if args.html:
        args.html.write_text(result.to_html(), encoding="utf-8")
    return result.exit_code


def _cmd_define(args) -> int:
    import shutil

    from cdisc_msc.config import load_config
    from cdisc_msc.define.regenerate import regenerate_define

    config = load_config(args.specs / "study.yaml")
    failed = False
    for package in ("sdtm", "adam"):
        folder = args.package / package
        if not folder.is_dir():
            print(f"{folder}: no such package folder", file=sys.stderr)
            failed = True
            continue
        result = regenerate_define(folder, args.specs / package, config)
        print(f"{package}: {result.report.summary(limit=20)}")
        failed |= result.report.has_errors or result.define_xml is None
        for path in (result.define_xml, result.define_html):
            if path is None:
                continue
            print(f"wrote {path}")
            if args.copy_to is not None:
                target = args.copy_to / package / path.name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
                print(f"copied to {target}")
    return 1 if failed else 0


def _cmd_report(args) -> int:
    from cdisc_msc.config import load_config
    from cdisc_msc.report import write_report

    config = load_config(args.specs / "study.yaml")
    path = write_report(args.adam, args.out, config)
    print(f"wrote {path}")
    return 0


def _cmd_spec(args) -> int:
    from cdisc_msc.spec.loader import read_spec

    if args.spec_command == "check":
        failed = False
        for package in ("sdtm", "adam"):
            spec, report = read_spec(args.specs / package, package)
            n = len(spec.datasets) if spec else 0
            print(f"{package}: {n} datasets; {report.summary(limit=200)}")
            failed |= report.has_errors or spec is None
        return 1 if failed else 0
    from cdisc_msc.config import load_config
    from cdisc_msc.spec import workbook

    if args.spec_command == "export":
        from cdisc_msc.spec.loader import load_spec

        spec = load_spec(args.specs / args.package, args.package)
        workbook.export_workbook(spec, load_config(args.specs / "study.yaml"), args.out)
        print(f"wrote {args.out}")
        return 0
    spec, report = workbook.import_workbook(args.workbook)
    if spec is None or report.has_errors:
        print(report.summary(limit=200), file=sys.stderr)
        return 1
    workbook.write_spec_folder(spec, args.specs / args.package, overwrite=args.overwrite)
    print(f"wrote {args.specs / args.package}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
