"""Terminology checks: codelist values and code/name pairs."""
from __future__ import annotations

import pandas as pd

from cdisc_msc.io.columns import rows_with
from cdisc_msc.spec.ct import DEFAULT_VERSION, load_ct
from cdisc_msc.validate.checks.util import findings, one_to_one, texts_of
from cdisc_msc.validate.engine import CheckContext, register
from cdisc_msc.validate.igmeta import domain_variables
from cdisc_msc.validate.package import DatasetData

CODE_NAME_PAIRS = (("{p}TESTCD", "{p}TEST"), ("TSPARMCD", "TSPARM"), ("QNAM", "QLABEL"), ("IETESTCD", "IETEST"))


def _outside(ds: DatasetData, variable: str, allowed: frozenset[str] | set[str], detail: str) -> pd.DataFrame:
    """Records whose value (as text) is not in ``allowed``; each distinct value is looked up once."""
    codes, _ = ds.codes(variable)
    shown = texts_of(ds, variable)
    rows = rows_with(~pd.Series(shown, dtype=object).isin(allowed).to_numpy(), codes)
    return findings(rows, variable=variable, value=shown[codes[rows]], detail=detail)


def define_codelists(ctx: CheckContext) -> dict[str, tuple[frozenset[str], str]]:
    """Variable -> (allowed values, codelist name) from the define/spec; external dictionaries skipped."""
    meta = ctx.dataset_meta()
    if meta is None or ctx.folder.meta is None:
        return {}
    out = {}
    for v in meta.variables:
        cl = ctx.folder.meta.codelists.get(v.codelist or "")
        if cl is not None and not cl.external and cl.values and ctx.ds.has(v.name):
            out[v.name] = (cl.values, cl.oid)
    return out


def ct_codelists(ctx: CheckContext) -> dict[str, tuple[frozenset[str], str, bool]]:
    """Variable -> (CT terms, codelist names, extensible) from the IG metadata and the shipped CT,
    for variables the define/spec gives no codelist."""
    described = set(define_codelists(ctx))
    name = "ADSL" if ctx.ds.name == "ADSL" else ("BDS" if ctx.folder.kind == "adam" else ctx.ds.domain)
    try:
        rows = domain_variables(ctx.folder.ig, ctx.folder.ig_version, name)
    except KeyError:
        return {}
    ct = load_ct()
    out = {}
    excluded = tuple(ctx.params.get("exclude_suffixes", ()))
    for variable, codes in zip(rows["variable"], rows["codelists"]):
        if not codes or not ctx.ds.has(variable) or variable in described or variable.endswith(excluded):
            continue
        lists = [ct[c] for c in codes.split(";") if c in ct]
        if lists:
            terms = frozenset(t for cl in lists for t in cl.terms)
            out[variable] = (terms, "/".join(cl.submission_value for cl in lists), any(cl.extensible for cl in lists))
    return out


def ct_label(ctx: CheckContext) -> tuple[str, str | None]:
    """How shipped-CT findings are labelled, and the severity they drop to when the package declares
    another CT version (the check then cannot follow the declared version)."""
    if ctx.folder.ct_caveat:
        return f"(CDISC CT {DEFAULT_VERSION}; the define declares another version)", "warning"
    return f"(CDISC CT {DEFAULT_VERSION})", None


@register("codelist_values")
def codelist_values(ctx: CheckContext) -> pd.DataFrame | None:
    out = [_outside(ctx.ds, v, values, oid) for v, (values, oid) in define_codelists(ctx).items()]
    label, severity = ct_label(ctx)
    out += [_outside(ctx.ds, v, terms, f"{names} {label}").assign(severity=severity)
            for v, (terms, names, extensible) in ct_codelists(ctx).items() if not extensible]
    return pd.concat(out) if out else None


@register("codelist_values_extensible")
def codelist_values_extensible(ctx: CheckContext) -> pd.DataFrame | None:
    label, _ = ct_label(ctx)
    out = [_outside(ctx.ds, v, terms, f"{names} {label}")
           for v, (terms, names, extensible) in ct_codelists(ctx).items() if extensible]
    return pd.concat(out) if out else None


@register("code_name_one_to_one")
def code_name_one_to_one(ctx: CheckContext) -> pd.DataFrame | None:
    ds, p = ctx.ds, ctx.ds.prefix or ctx.ds.domain[:2]
    out = []
    for code, name in CODE_NAME_PAIRS:
        code, name = code.format(p=p), name.format(p=p)
        if ds.has(code) and ds.has(name):
            out.append(one_to_one(ds, code, name))
    return pd.concat(out) if out else None
