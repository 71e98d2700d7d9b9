"""Define-XML checks: schema validity and define-data consistency.

Both go through adapters: the define engineer's ``cdisc_msc.define.schema.validate_define``
and ``cdisc_msc.define.consistency.check_consistency`` when they are installed;
otherwise the schema check validates with lxml against an XSD given in the
options (else it is skipped with an info issue), and the consistency check
uses the small comparison below.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cdisc_msc.validate.checks.util import findings
from cdisc_msc.validate.engine import CheckContext, SkipCheck, register
from cdisc_msc.validate.package import DatasetData


def external_schema_validator():
    try:
        from cdisc_msc.define.schema import validate_define
    except ImportError:
        return None
    return validate_define


def external_consistency_check():
    try:
        from cdisc_msc.define.consistency import check_consistency
    except ImportError:
        return None
    return check_consistency


def xsd_problems(define: Path, xsd: Path) -> list[tuple[int | None, str]]:
    """(line, message) of each schema violation, validating with lxml."""
    from lxml import etree

    try:
        document = etree.parse(str(define), etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    except etree.XMLSyntaxError as exc:
        return [(exc.lineno, f"not well-formed XML: {exc.msg}")]
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    if schema.validate(document):
        return []
    return [(e.line, e.message) for e in schema.error_log]


def _define(ctx: CheckContext) -> Path:
    if ctx.folder.missing or ctx.folder.define_path is None:
        raise SkipCheck("no define.xml")
    return ctx.folder.define_path


@register("define_schema")
def define_schema(ctx: CheckContext) -> pd.DataFrame | None:
    define = _define(ctx)
    validator = external_schema_validator()
    if validator is not None:
        problems = [p for p in validator(define) if p.severity == "error"]
        found = [(p.row, p.message) for p in problems]
    elif ctx.options.define_schema is not None:
        found = xsd_problems(define, ctx.options.define_schema)
    else:
        return findings(dataset="define.xml", severity="info",
                        detail="schema not checked: no Define-XML schema validator is available")
    if not found:
        return None
    lines = ["" if line is None else str(line) for line, _ in found]
    return findings([np.nan] * len(found), dataset="define.xml", value=lines,
                    detail=[f"line {line}: {m}" if line else m for line, m in zip(lines, (m for _, m in found))])


def own_consistency(ctx: CheckContext) -> list[dict]:
    """Datasets and variables of the define against the files and their columns."""
    meta = ctx.folder.meta
    out: list[dict] = []
    if meta is None:
        return [{"dataset": "define.xml", "detail": f"define.xml cannot be read: {ctx.folder.define_error}"}]
    files = {d.path.name.lower(): d for d in ctx.folder.datasets.values()}
    for name, ds in meta.datasets.items():
        location = Path(ds.location or f"{name.lower()}.xpt").name.lower()
        data = files.get(location)
        if data is None:
            out.append({"dataset": name, "detail": f"described in define.xml but {location} is not in the folder"})
            continue
        if not data.readable:
            continue
        columns = [c.name for c in data.columns]
        described = [v.name for v in ds.variables]
        out += [{"dataset": name, "variable": v, "detail": f"variable {v} is in define.xml but not in the file"}
                for v in described if v not in columns]
        out += [{"dataset": name, "variable": c, "detail": f"variable {c} is in the file but not in define.xml"}
                for c in columns if c not in described]
    described_files = {Path(d.location or f"{n.lower()}.xpt").name.lower() for n, d in meta.datasets.items()}
    out += [{"dataset": d.name, "file": f, "detail": f"{f} is not described in define.xml"}
            for f, d in files.items() if f not in described_files]
    return out


def define_frame(data: DatasetData) -> pd.DataFrame:
    """The dataset as the consistency check gets it: numbers as read, text as categoricals over the
    reader's codes. The same values, without an object per record (``DatasetData.frame``'s object
    columns cost 8 bytes a cell and about 1 s at 10,000 subjects); the check reads a text column's
    values through ``codes`` and looks at its frame column for the dtype only."""
    from cdisc_msc.define.consistency import coded_text

    columns = {}
    for name in data.names:
        if data.is_text(name):
            columns[name] = coded_text(*data.codes(name))
        else:
            columns[name] = data.series(name)
    return pd.DataFrame(columns, index=data.index, copy=False)


def already_read(ctx: CheckContext) -> dict:
    """The folder's files our reader has read, for the consistency check (it reads the others itself)."""
    from cdisc_msc.define.consistency import LoadedDataset

    return {d.path.name.lower(): LoadedDataset(define_frame(d), d.xpt, d.codes) for d in ctx.folder.datasets.values()
            if d.readable and d.xpt is not None}


@register("define_consistency")
def define_consistency(ctx: CheckContext) -> pd.DataFrame | list[dict] | None:
    define = _define(ctx)
    check = external_consistency_check()
    if check is None:
        return own_consistency(ctx)
    covered = set(ctx.params.get("covered_by_other_rules", []))
    problems = [p for p in check(define, ctx.folder.path, datasets=already_read(ctx)) if p.severity == "error"
                and not (p.code in covered and " where " not in p.column)]
    return [{"dataset": Path(p.file).stem.upper() if p.file else "", "variable": p.column, "value": p.value,
             "detail": p.message + (f" (expected {p.expected})" if p.expected else "")} for p in problems]
