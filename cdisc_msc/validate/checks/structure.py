"""Structure checks: required/expected variables, order and attributes, keys, --SEQ, DOMAIN."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cdisc_msc.io.columns import rows_with
from cdisc_msc.validate.checks.util import duplicated_records, findings, text
from cdisc_msc.validate.engine import CheckContext, SkipCheck, register
from cdisc_msc.validate.igmeta import domain_variables


def ig_table_name(ctx: CheckContext) -> str:
    """The IG table a dataset is checked against: its domain, SUPPQUAL, ADSL or BDS."""
    ds = ctx.ds
    if ctx.folder.kind == "adam":
        meta = ctx.dataset_meta()
        if ds.name == "ADSL":
            return "ADSL"
        if ds.has("PARAMCD") or (meta is not None and "BASIC DATA" in meta.class_.upper()):
            return "BDS"
        raise SkipCheck("no shipped ADaMIG metadata for this structure")
    return ds.domain


def ig_rows(ctx: CheckContext, core: str) -> pd.DataFrame:
    """IG variables of the dataset with the given core, ``variable`` holding a name or a name pattern."""
    rows = domain_variables(ctx.folder.ig, ctx.folder.ig_version, ig_table_name(ctx))
    if rows.empty:
        raise SkipCheck(f"{ctx.ds.name}: not a dataset of {ctx.folder.ig} {ctx.folder.ig_version}")
    return rows[rows["core"] == core]


def pattern(name: str) -> re.Pattern:
    """ADaM name templates: xx/zz -> two digits, y -> one or more digits (TRTxxP, CRITy)."""
    rx = re.sub(r"xx|zz", r"\\d\\d", name)
    rx = rx.replace("y", r"\d+").replace("w", r"\d+")
    return re.compile(f"^{rx}$")


def absent(ctx: CheckContext, core: str) -> pd.DataFrame:
    columns = ctx.ds.names
    wanted = ig_rows(ctx, core)["variable"].drop_duplicates()
    missing = [v for v in wanted if not any(pattern(v).match(c) for c in columns)]
    return findings([np.nan] * len(missing), variable=missing)


@register("required_present")
def required_present(ctx: CheckContext) -> pd.DataFrame:
    return absent(ctx, "Req")


@register("expected_present")
def expected_present(ctx: CheckContext) -> pd.DataFrame:
    return absent(ctx, "Exp")


@register("required_not_null")
def required_not_null(ctx: CheckContext) -> pd.DataFrame | None:
    """Null values of SDTMIG Req variables and of variables the define marks Mandatory=Yes.

    ADaMIG's "Req" means the variable must be included, not that every record
    has a value (ADSL TRT01P of a screen failure), so for ADaM only the
    define's Mandatory attribute asks for values.
    """
    ds = ctx.ds
    columns = ds.names
    names: set[str] = set()
    if ctx.folder.kind != "adam":
        try:
            names = {c for v in ig_rows(ctx, "Req")["variable"] for c in columns if pattern(v).match(c)}
        except SkipCheck:
            pass
    meta = ctx.dataset_meta()
    if meta is not None:
        names |= {v.name for v in meta.variables if v.mandatory and ds.has(v.name)}
    out = []
    for name in sorted(names, key=columns.index):
        nulls = np.flatnonzero(~ds.notna(name))
        if len(nulls):
            out.append(findings(nulls, variable=name))
    return pd.concat(out) if out else None


def _metadata(ctx: CheckContext):
    meta = ctx.dataset_meta()
    if meta is None:
        raise SkipCheck("no define.xml or spec metadata for this dataset")
    return meta


@register("variable_order")
def variable_order(ctx: CheckContext) -> pd.DataFrame | None:
    meta = _metadata(ctx)
    columns = ctx.ds.names
    expected = [v.name for v in meta.variables if v.name in columns]
    found = [c for c in columns if c in set(expected)]
    if found == expected:
        return None
    first = next(i for i, (a, b) in enumerate(zip(found, expected)) if a != b)
    where = "define.xml" if ctx.folder.define_path else "spec"
    return findings(variable=found[first], value=" ".join(found),
                    detail=f"{where}: position {first + 1} holds {found[first]}, expected {expected[first]}")


@register("variable_attributes")
def variable_attributes(ctx: CheckContext) -> pd.DataFrame | None:
    """Label, type and length of each variable against the define/spec."""
    meta = _metadata(ctx)
    out = []
    for c in ctx.ds.columns:
        v = meta.variable(c.name)
        if v is None:
            continue
        if v.label and c.label != v.label:
            out.append({"variable": c.name, "value": c.label, "detail": f"label is {c.label!r}, define has {v.label!r}"})
        if c.type != v.sas_type:
            out.append({"variable": c.name, "value": c.type,
                        "detail": f"type is {c.type}, define data type {v.data_type} needs {v.sas_type}"})
        elif c.type == "char" and v.length is not None and c.length != v.length:
            out.append({"variable": c.name, "value": str(c.length),
                        "detail": f"length is {c.length}, define has {v.length}"})
    return out


@register("keys_unique")
def keys_unique(ctx: CheckContext) -> pd.DataFrame | None:
    meta = _metadata(ctx)
    keys = [k for k in meta.keys if ctx.ds.has(k)]
    if not keys:
        raise SkipCheck("no key variables")
    rows = np.flatnonzero(duplicated_records(ctx.ds, keys))
    return findings(rows, variable=keys[-1], value=text(ctx.ds.take(keys[-1], rows)).to_numpy(),
                    detail=", ".join(keys))


def seq_variable(ctx: CheckContext) -> str | None:
    for name in (f"{ctx.ds.prefix}SEQ", "ASEQ", f"{ctx.ds.domain[:2]}SEQ"):
        if ctx.ds.has(name) and name != "SEQ":
            return name
    return None


@register("seq_unique")
def seq_unique(ctx: CheckContext) -> pd.DataFrame | None:
    seq = seq_variable(ctx)
    if seq is None:
        return None
    ds = ctx.ds
    within = [c for c in ("USUBJID", "POOLID") if ds.has(c)]
    if not within:
        return None
    rows = np.flatnonzero(ds.series(seq).notna().to_numpy() & duplicated_records(ds, within + [seq]))
    return findings(rows, variable=seq, value=text(ds.take(seq, rows)).to_numpy(),
                    detail=" / ".join(within))


@register("domain_value")
def domain_value(ctx: CheckContext) -> pd.DataFrame | None:
    name = ctx.ds.name
    if not ctx.ds.has("DOMAIN") or name.startswith(("SUPP", "RELREC")):
        return None
    meta = ctx.dataset_meta()
    expected = (meta.domain if meta is not None and meta.domain else name[:2] if len(name) > 2 else name)
    codes, uniques = ctx.ds.codes("DOMAIN")
    rows = rows_with(pd.Series(uniques, dtype=object).ne(expected).to_numpy(dtype=bool), codes)
    return findings(rows, variable="DOMAIN", value=uniques[codes[rows]], detail=expected)
