"""``cdisc-msc define``: regenerate define.xml (and define.html) of a written
package from the specs and its XPT files alone, without rebuilding the data.

The XPT files give the frames and the lengths, the spec the metadata, so the
result is byte-identical to the define written by the build of the same data.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path

from cdisc_msc.config import StudyConfig, load_config
from cdisc_msc.define.consistency import LoadedDataset, check_consistency, factorizer
from cdisc_msc.define.schema import validate_define
from cdisc_msc.define.xml import DatasetContent, define_xml, write_define
from cdisc_msc.io.columns import FrameColumns
from cdisc_msc.io.xpt import XptFormatError, read_xpt
from cdisc_msc.problems import Problem, ProblemReport
from cdisc_msc.spec.loader import load_spec
from cdisc_msc.spec.model import Spec

DEFINE_FILE = "define.xml"
HTML_FILE = "define.html"


@dataclass
class DefineOutput:
    """What :func:`regenerate_define` wrote and every problem found on the way."""

    define_xml: Path | None
    define_html: Path | None
    report: ProblemReport = field(default_factory=ProblemReport)


def contents_from_xpt_dir(spec: Spec, package_dir: str | Path) -> tuple[dict[str, DatasetContent], list[Problem]]:
    """Read ``<name>.xpt`` of every spec dataset found in ``package_dir``.

    A missing file means the dataset has no data; an XPT file the spec does
    not declare, or one that cannot be read, is a problem. Each content has
    its column cache, for define.xml and the consistency check to share.
    """
    package_dir = Path(package_dir)
    files = {p.name.lower(): p for p in sorted(package_dir.glob("*")) if p.suffix.lower() == ".xpt"}
    contents: dict[str, DatasetContent] = {}
    problems: list[Problem] = []
    declared = {f"{d.name.lower()}.xpt": d.name for d in spec.datasets}
    for fname, path in files.items():
        name = declared.get(fname)
        if name is None:
            problems.append(Problem(code="DEFINE-DATASET", file=str(path),
                                    message=f"XPT file is not a dataset of the {spec.package} spec"))
            continue
        try:
            frame, meta = read_xpt(path)
        except (XptFormatError, OSError, ValueError) as exc:
            problems.append(Problem(code="DEFINE-XPT", file=str(path), message=f"cannot read: {exc}"))
            continue
        contents[name] = DatasetContent(frame, meta, FrameColumns(frame))
    return contents, problems


def _spec_folder(package_dir: Path, specs_dir: Path) -> Path:
    """``specs_dir`` itself, or its ``sdtm``/``adam`` sub-folder named like the package folder."""
    sub = specs_dir / package_dir.name
    return sub if sub.is_dir() and (sub / "datasets").is_dir() else specs_dir


def render_html(xml: bytes) -> str | None:
    """define.html from ``cdisc_msc.define.html.render_define_html`` when that module exists."""
    try:
        module = importlib.import_module("cdisc_msc.define.html")
    except ModuleNotFoundError as exc:
        if exc.name == "cdisc_msc.define.html":
            return None
        raise
    render = getattr(module, "render_define_html", None)
    return render(xml) if render is not None else None


def regenerate_define(package_dir: str | Path, specs_dir: str | Path,
                      config: StudyConfig | str | Path) -> DefineOutput:
    """Rewrite ``define.xml`` (and ``define.html``) of ``package_dir`` from the specs and its XPT files.

    The new file is checked against the Define-XML 2.1 schema and against the
    XPT files (:func:`check_consistency`); all problems are in the result's
    report. Nothing is written when the spec or the data cannot make a define.
    Example: ``regenerate_define("out/sdtm", "specs/sdtm", "specs/study.yaml")``.
    """
    package_dir, specs_dir = Path(package_dir), Path(specs_dir)
    config = config if isinstance(config, StudyConfig) else load_config(config)
    spec = load_spec(_spec_folder(package_dir, specs_dir))
    contents, problems = contents_from_xpt_dir(spec, package_dir)
    report = ProblemReport(problems)
    if report.has_errors:
        return DefineOutput(None, None, report)
    xml = define_xml(spec, config, contents)
    xml_path = write_define(package_dir / DEFINE_FILE, xml)
    report.extend(validate_define(xml, name=str(xml_path)))
    # not read twice, nor factorised: the check uses the columns define.xml factorised
    read = {f"{name.lower()}.xpt": LoadedDataset(c.frame, c.xpt, factorizer(c.columns)) for name, c in contents.items()}
    report.extend(check_consistency(xml, package_dir, name=str(xml_path), datasets=read))
    html = render_html(xml)
    html_path = None
    if html is not None:
        html_path = package_dir / HTML_FILE
        temp = html_path.with_name(f".{HTML_FILE}.tmp")
        temp.write_text(html, encoding="utf-8")
        temp.replace(html_path)
    return DefineOutput(xml_path, html_path, report)


__all__ = ["DefineOutput", "contents_from_xpt_dir", "regenerate_define", "render_html"]
