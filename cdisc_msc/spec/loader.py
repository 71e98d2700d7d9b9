"""Load one package's spec from ``specs/<package>/`` and check all of it.

Layout (YAML, one dataset per file so a change shows as a small diff)::

    specs/sdtm/standards.yaml   list of Standard
    specs/sdtm/codelists.yaml   list of Codelist      (or codelists/*.yaml, by topic)
    specs/sdtm/methods.yaml     list of Method        (or methods/*.yaml; optional)
    specs/sdtm/comments.yaml    list of Comment       (or comments/*.yaml; optional)
    specs/sdtm/documents.yaml   list of Document      (optional)
    specs/sdtm/datasets/*.yaml  one Dataset each

Every problem in every file is collected before failing (``SpecError``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from cdisc_msc.problems import InputError, Problem, ProblemReport
from cdisc_msc.spec.ct import DEFAULT_VERSION, load_ct
from cdisc_msc.spec.model import (
    NAME_RE, Codelist, Comment, Dataset, Document, Method, Spec, Standard,
)

LIST_FILES: dict[str, type[BaseModel]] = {
    "standards": Standard,
    "codelists": Codelist,
    "methods": Method,
    "comments": Comment,
    "documents": Document,
}
REQUIRED_FILES = ("standards", "codelists")


class SpecError(InputError):
    """The spec has error-level problems; ``report`` lists all of them."""


def list_part_files(directory: Path, stem: str) -> list[Path]:
    """``<stem>.yaml`` and every ``<stem>/*.yaml`` (sorted): a list may be split by topic."""
    single = directory / f"{stem}.yaml"
    folder = directory / stem
    return ([single] if single.exists() else []) + (sorted(folder.glob("*.yaml")) if folder.is_dir() else [])


FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML has it: the same data, about ten times faster than the pure-Python one."""


def _load_yaml(text: str) -> Any:
    """``yaml.safe_load`` of valid YAML with the fast loader; invalid YAML is parsed again by
    ``safe_load`` so a problem reads the same whichever loader is installed."""
    try:
        return yaml.load(text, Loader=FAST_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        return yaml.safe_load(text)


def _read_yaml(path: Path, report: ProblemReport) -> Any:
    try:
        return _load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        report.add(code="SPEC-FILE", file=str(path), message=f"cannot read: {exc}")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        report.add(code="SPEC-YAML", file=str(path), row=(mark.line + 1) if mark else None,
                   message=f"not valid YAML: {getattr(exc, 'problem', exc)}")
    return None


def _validation_problems(path: Path, prefix: str, exc: ValidationError) -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in (prefix, *err["loc"]) if p != "")
        value = err.get("input")
        out.append(Problem(code="SPEC-FIELD", file=str(path), column=loc,
                           value="" if isinstance(value, (dict, list)) else str(value),
                           message=err["msg"]))
    return out


def _parse_list(path: Path, model: type[BaseModel], report: ProblemReport) -> list[Any]:
    data = _read_yaml(path, report)
    if data is None:
        return []
    if not isinstance(data, list):
        report.add(code="SPEC-SHAPE", file=str(path), message="expected a YAML list at the top level")
        return []
    items = []
    for i, item in enumerate(data):
        try:
            items.append(model.model_validate(item))
        except ValidationError as exc:
            report.extend(_validation_problems(path, f"[{i}]", exc))
    return items


def read_spec(directory: str | Path, package: str | None = None) -> tuple[Spec | None, ProblemReport]:
    """Parse and check a spec folder; return the spec (None if unparseable) and every problem."""
    directory = Path(directory)
    package = package or directory.name
    report = ProblemReport()
    if not directory.is_dir():
        report.add(code="SPEC-DIR", file=str(directory), message="spec folder not found")
        return None, report
    parts: dict[str, list[Any]] = {}
    for stem, model in LIST_FILES.items():
        paths = list_part_files(directory, stem)
        if not paths and stem in REQUIRED_FILES:
            report.add(code="SPEC-FILE", file=str(directory / f"{stem}.yaml"),
                       message=f"required spec file is missing (or folder {stem}/ with *.yaml)")
        parts[stem] = [item for path in paths for item in _parse_list(path, model, report)]
    datasets: list[Dataset] = []
    files: dict[str, Path] = {}
    ds_dir = directory / "datasets"
    for path in sorted(ds_dir.glob("*.yaml")) if ds_dir.is_dir() else []:
        data = _read_yaml(path, report)
        if data is None:
            continue
        try:
            ds = Dataset.model_validate(data)
        except ValidationError as exc:
            report.extend(_validation_problems(path, "", exc))
            continue
        if ds.name in files:
            report.add(code="SPEC-DUP", file=str(path), column="name", value=ds.name,
                       message=f"dataset also defined in {files[ds.name].name}")
            continue
        files[ds.name] = path
        datasets.append(ds)
    if package not in ("sdtm", "adam"):
        report.add(code="SPEC-DIR", file=str(directory), value=package,
                   message="spec folder must be named sdtm or adam", expected="sdtm or adam")
        return None, report
    spec = Spec(package=package, datasets=datasets, **parts)
    report.extend(check_spec(spec, directory, files))
    return spec, report


def load_spec(directory: str | Path, package: str | None = None) -> Spec:
    """Load a spec folder or raise ``SpecError`` naming every problem."""
    spec, report = read_spec(directory, package)
    if spec is None or report.has_errors:
        raise SpecError(f"spec {directory}", report)
    return spec


def _dup_oids(items: list[Any], path: Path, kind: str) -> list[Problem]:
    seen: set[str] = set()
    out = []
    for i, it in enumerate(items):
        if it.oid in seen:
            out.append(Problem(code="SPEC-DUP", file=str(path), column=f"[{i}].oid", value=it.oid,
                               message=f"duplicate {kind} OID"))
        seen.add(it.oid)
    return out


def _check_name(name: str, path: str, column: str, what: str) -> list[Problem]:
    if NAME_RE.match(name):
        return []
    return [Problem(code="SPEC-NAME", file=path, column=column, value=name,
                    expected="1-8 characters [A-Z][A-Z0-9_]*",
                    message=f"{what} name is not a valid SAS v5 name")]


def _check_label(label: str, path: str, column: str) -> list[Problem]:
    out = []
    if len(label) > 40:
        out.append(Problem(code="SPEC-LABEL", file=path, column=column, value=label,
                           expected="at most 40 characters", message=f"label has {len(label)} characters"))
    if not label.isascii():
        out.append(Problem(code="SPEC-ASCII", file=path, column=column, value=label,
                           expected="ASCII", message="label is not ASCII"))
    return out


def check_spec(spec: Spec, directory: Path, files: dict[str, Path] | None = None,
               ct_version: str = DEFAULT_VERSION) -> list[Problem]:
    """Cross-checks that need the whole spec: names, labels, references, keys, CT."""
    files = files or {}
    problems: list[Problem] = []
    for stem in LIST_FILES:
        if stem != "standards":
            problems += _dup_oids(getattr(spec, stem), directory / f"{stem}.yaml", stem[:-1])
    codelists = {c.oid for c in spec.codelists}
    methods = {m.oid for m in spec.methods}
    comments = {c.oid for c in spec.comments}
    documents = {d.oid for d in spec.documents}
    standards = {s.oid for s in spec.standards}

    def ref(kind: str, oid: str | None, known: set[str], path: str, column: str) -> None:
        if oid is not None and oid not in known:
            problems.append(Problem(code="SPEC-REF", file=path, column=column, value=oid,
                                    message=f"unknown {kind} reference", expected=f"a {kind} OID defined in the spec"))

    for ds in spec.datasets:
        path = str(files.get(ds.name, directory / "datasets" / f"{ds.name.lower()}.yaml"))
        problems += _check_name(ds.name, path, "name", "dataset")
        problems += _check_label(ds.label, path, "label")
        ref("standard", ds.standard, standards, path, "standard")
        ref("comment", ds.comment, comments, path, "comment")
        seen: set[str] = set()
        for i, var in enumerate(ds.variables):
            col = f"variables[{i}]"
            problems += _check_name(var.name, path, f"{col}.name", "variable")
            problems += _check_label(var.label, path, f"{col}.label")
            if var.name in seen:
                problems.append(Problem(code="SPEC-DUP", file=path, column=f"{col}.name", value=var.name,
                                        message="duplicate variable"))
            seen.add(var.name)
            if isinstance(var.length, int) and not 1 <= var.length <= 200:
                problems.append(Problem(code="SPEC-LENGTH", file=path, column=f"{col}.length",
                                        value=str(var.length), expected="1 to 200",
                                        message="length outside the XPT v5 range"))
            ref("codelist", var.codelist, codelists, path, f"{col}.codelist")
            ref("method", var.method, methods, path, f"{col}.method")
            ref("comment", var.comment, comments, path, f"{col}.comment")
            if var.origin.type == "Derived" and var.method is None and not var.value_level:
                problems.append(Problem(severity="warning", code="SPEC-METHOD", file=path, column=f"{col}.method",
                                        value=var.name, message="derived variable has no method"))
            for j, vl in enumerate(var.value_level):
                vcol = f"{col}.value_level[{j}]"
                ref("codelist", vl.codelist, codelists, path, f"{vcol}.codelist")
                ref("method", vl.method, methods, path, f"{vcol}.method")
                ref("comment", vl.comment, comments, path, f"{vcol}.comment")
                for k, cond in enumerate(vl.where):
                    if cond.variable not in {v.name for v in ds.variables}:
                        problems.append(Problem(code="SPEC-WHERE", file=path, column=f"{vcol}.where[{k}].variable",
                                                value=cond.variable, message="where clause names a variable not in the dataset"))
        for key in ds.keys:
            if key not in seen:
                problems.append(Problem(code="SPEC-KEY", file=path, column="keys", value=key,
                                        message="key variable not in the dataset"))
    for m in spec.methods:
        for d in m.documents:
            ref("document", d, documents, str(directory / "methods.yaml"), f"{m.oid}.documents")
    for c in spec.comments:
        for d in c.documents:
            ref("document", d, documents, str(directory / "comments.yaml"), f"{c.oid}.documents")
    problems += _check_codelists_against_ct(spec, directory / "codelists.yaml", ct_version)
    return problems


def _check_codelists_against_ct(spec: Spec, path: Path, version: str) -> list[Problem]:
    ct = load_ct(version)
    out: list[Problem] = []
    file = str(path)
    for i, cl in enumerate(spec.codelists):
        col = f"[{i}] {cl.oid}"
        if cl.external is not None:
            continue
        if cl.sponsor:
            if cl.nci_code:
                out.append(Problem(code="SPEC-CT", file=file, column=col, value=cl.nci_code,
                                   message="a sponsor codelist must not carry an NCI codelist code"))
            continue
        if not cl.nci_code:
            out.append(Problem(code="SPEC-CT", file=file, column=col,
                               message="codelist has no NCI code and is not marked sponsor: true"))
            continue
        ctl = ct.get(cl.nci_code)
        if ctl is None:
            out.append(Problem(code="SPEC-CT", file=file, column=col, value=cl.nci_code,
                               message=f"NCI codelist code not in CT {version}"))
            continue
        for j, term in enumerate(cl.terms):
            tcol = f"{col}.terms[{j}]"
            if term.extended:
                if not ctl.extensible:
                    out.append(Problem(code="SPEC-CT", file=file, column=tcol, value=term.value,
                                       message=f"sponsor term added to non-extensible codelist {ctl.submission_value} ({cl.nci_code})"))
                if term.value in ctl.terms:
                    out.append(Problem(severity="warning", code="SPEC-CT", file=file, column=tcol, value=term.value,
                                       message="term marked extended but it is in CT"))
                continue
            code = ctl.terms.get(term.value)
            if code is None:
                out.append(Problem(code="SPEC-CT", file=file, column=tcol, value=term.value,
                                   expected=f"a term of {ctl.submission_value} ({cl.nci_code}) in CT {version}, or extended: true",
                                   message="term missing from CT"))
            elif term.nci_code and term.nci_code != code:
                out.append(Problem(code="SPEC-CT", file=file, column=tcol, value=term.nci_code,
                                   expected=code, message=f"wrong NCI code for term {term.value}"))
    return out
