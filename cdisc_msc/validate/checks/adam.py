"""ADaM checks: baseline flags, change from baseline, criteria flags, 1:1 pairs, source records."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cdisc_msc.io.columns import rows_with, spread
from cdisc_msc.validate.checks.util import combine, findings, one_to_one, text
from cdisc_msc.validate.engine import CheckContext, NotApplicable, SkipCheck, register
from cdisc_msc.validate.package import DatasetData

CRIT_FL = re.compile(r"^(M?CRIT\d+)FL$")


def _need(ctx: CheckContext, *columns: str) -> DatasetData:
    if not all(ctx.ds.has(c) for c in columns):
        raise NotApplicable(f"needs {', '.join(columns)}")
    return ctx.ds


@register("one_baseline")
def one_baseline(ctx: CheckContext) -> pd.DataFrame | None:
    ds = _need(ctx, "USUBJID", "PARAMCD", "ABLFL")
    by = ["USUBJID", "PARAMCD"] + (["BASETYPE"] if ds.has("BASETYPE") else [])
    flagged = np.flatnonzero(_equals(ds, "ABLFL", "Y"))
    key = combine([ds.codes(c)[0][flagged] for c in by], len(flagged))  # missing is a value, as in duplicated()
    dup = flagged[np.bincount(key)[key] > 1]  # every record of a repeated key (keep=False)
    detail = pd.Series("", index=pd.Index(dup), dtype=object)
    for i, name in enumerate(by):
        detail = detail + (", " if i else "") + name + "=" + ds.take(name, dup).astype(str)
    return findings(dup, variable="ABLFL", value="Y", detail=detail)


def _equals(ds: DatasetData, name: str, value: str) -> np.ndarray:
    """Records whose text column ``name`` equals ``value`` (compared once per distinct value, cached)."""
    return ds.per_value(name, f"== {value!r}", lambda v: v == value, False, dtype=bool)


def _mismatch(actual: np.ndarray, expected: np.ndarray, tolerance: float) -> np.ndarray:
    """True where exactly one is missing, or both present and differing beyond ``tolerance`` (relative, min 1)."""
    has_actual, has_expected = ~np.isnan(actual), ~np.isnan(expected)
    scale = np.maximum(1.0, np.where(has_expected, np.abs(expected), 0.0))
    differ = has_actual & has_expected & (np.abs(actual - expected) > tolerance * scale)
    return differ | (has_actual != has_expected)


def _baseline_left_empty(ctx: CheckContext, column: str) -> np.ndarray:
    """Baseline records (ABLFL = "Y") may leave CHG/PCHG empty: change is defined after baseline."""
    if not ctx.ds.has("ABLFL"):
        return np.zeros(ctx.ds.nrows, dtype=bool)
    return _equals(ctx.ds, "ABLFL", "Y") & np.isnan(ctx.ds.series(column).to_numpy())


def _change_findings(ctx: CheckContext, column: str, expected: np.ndarray, formula: str) -> pd.DataFrame:
    """Records whose ``column`` (CHG or PCHG) is not the ``expected`` value, shown with the ``formula``."""
    actual = ctx.ds.series(column).to_numpy()
    bad = np.flatnonzero(_mismatch(actual, expected, float(ctx.params["tolerance"]))
                         & ~_baseline_left_empty(ctx, column))
    return findings(bad, variable=column, value=text(pd.Series(actual[bad])).to_numpy(),
                    detail=(formula + " = " + text(pd.Series(expected[bad])).replace("", "missing")).to_numpy())


@register("chg_consistent")
def chg_consistent(ctx: CheckContext) -> pd.DataFrame | None:
    ds = _need(ctx, "AVAL", "BASE", "CHG")
    expected = ds.series("AVAL").to_numpy() - ds.series("BASE").to_numpy()
    return _change_findings(ctx, "CHG", expected, "AVAL - BASE")


@register("pchg_consistent")
def pchg_consistent(ctx: CheckContext) -> pd.DataFrame | None:
    ds = _need(ctx, "AVAL", "BASE", "PCHG")
    base = ds.series("BASE").to_numpy()
    base = np.where(base != 0, base, np.nan)
    with np.errstate(all="ignore"):  # as pandas arithmetic: overflow and 0/0 give inf/NaN silently
        expected = 100 * (ds.series("AVAL").to_numpy() - base) / base
    return _change_findings(ctx, "PCHG", expected, "100 * (AVAL - BASE) / BASE")


@register("crit_flag_consistent")
def crit_flag_consistent(ctx: CheckContext) -> pd.DataFrame | None:
    ds, out = ctx.ds, []
    for flag in [c for c in ds.names if CRIT_FL.match(c)]:
        crit = CRIT_FL.match(flag).group(1)
        has_flag = ds.notna(flag)
        has_crit = ds.notna(crit) if ds.has(crit) else np.zeros(ds.nrows, dtype=bool)
        if ds.is_text(flag):  # Y/N looked up once per distinct value
            y_or_n = ds.per_value(flag, "in Y N", lambda v: v.isin(["Y", "N"]), False, dtype=bool)
        else:  # numbers as they are (per_value would factorise them)
            y_or_n = ds.series(flag).isin(["Y", "N"]).to_numpy()
        cases = (
            (has_flag & ~y_or_n, f"is not Y or N"),
            (has_flag & ~has_crit, f"is populated but {crit} is missing"),
            (~has_flag & has_crit, f"is missing but {crit} is populated"),
        )
        for mask, detail in cases:
            rows = np.flatnonzero(mask)
            out.append(findings(rows, variable=flag, value=text(ds.take(flag, rows)).to_numpy(), detail=detail))
    return pd.concat(out) if out else None


@register("paramcd_param")
def paramcd_param(ctx: CheckContext) -> pd.DataFrame | None:
    return one_to_one(_need(ctx, "PARAMCD", "PARAM"), "PARAMCD", "PARAM")


@register("aval_avalc")
def aval_avalc(ctx: CheckContext) -> pd.DataFrame | None:
    return one_to_one(_need(ctx, "PARAMCD", "AVAL", "AVALC"), "AVAL", "AVALC", within=["PARAMCD"])


def _source_index(ctx: CheckContext, domain: str) -> tuple[DatasetData | None, str | None]:
    """The source dataset and its sequence variable (SDTM --SEQ or ADaM ASEQ)."""
    for kind in ("sdtm", "adam"):
        folder = ctx.package.folder(kind)
        data = folder.datasets.get(domain) if folder is not None else None
        if data is not None and data.readable:
            seq = next((c for c in (f"{domain[:2]}SEQ", "ASEQ", f"{data.domain[:2]}SEQ") if data.has(c)), None)
            return data, seq
    return None, None


def _source_labels(ds: DatasetData, rows: np.ndarray) -> np.ndarray:
    """``SRCDOM/SRCVAR/SRCSEQ`` of some records, as shown with the findings."""
    label = ds.take("SRCDOM", rows).astype(str)
    if ds.has("SRCVAR"):
        label = label + "/" + ds.take("SRCVAR", rows).fillna("").astype(str)
    if ds.has("SRCSEQ"):
        label = label + "/" + text(ds.take("SRCSEQ", rows))
    return label.to_numpy()


def _known_records(ctx: CheckContext, source: DatasetData, seq: str | None, rows: np.ndarray) -> np.ndarray:
    """Whether (USUBJID, SRCSEQ) of each of ``rows`` is a (USUBJID, sequence) pair of the source."""
    if seq is None:
        return np.zeros(len(rows), dtype=bool)
    srcseq = ctx.ds.series("SRCSEQ")  # only the two columns used are taken at ``rows`` (not the whole frame)
    numeric = pd.api.types.is_float_dtype(source.series(seq)) and pd.api.types.is_float_dtype(srcseq)
    if not numeric:  # not numbers on both sides: compare the values as they are
        pairs = pd.MultiIndex.from_frame(source.frame[["USUBJID", seq]].dropna())
        return pd.MultiIndex.from_arrays([ctx.ds.take("USUBJID", rows).to_numpy(), srcseq.to_numpy()[rows]]).isin(pairs)
    codes, subjects = source.codes("USUBJID")
    numbers = source.series(seq).to_numpy()
    has = (codes >= 0) & ~np.isnan(numbers)
    wanted_codes, wanted_subjects = ctx.ds.codes("USUBJID")
    as_source = pd.Index(subjects, dtype=object).get_indexer(pd.Index(wanted_subjects, dtype=object))
    subject = spread(as_source, wanted_codes[rows], -1)  # the source's code of each record's subject (-1: none)
    wanted = srcseq.to_numpy()[rows]
    known, looked_up = numbers[has], ~np.isnan(wanted) & (subject >= 0)
    known_codes, wanted_codes = _sequence_codes(known, np.where(looked_up, wanted, 0.0))
    width = int(max(known_codes.max(initial=0), wanted_codes.max(initial=0))) + 1
    pairs = codes[has].astype(np.int64) * width + known_codes
    keys = np.where(looked_up, subject.astype(np.int64) * width + wanted_codes, 0)
    span = len(subjects) * width
    if span <= max(8 * len(rows), 1 << 22):  # small key range: a presence table instead of hashing
        present = np.zeros(span, dtype=bool)
        present[pairs] = True
        return looked_up & present[keys]
    return looked_up & pd.Series(keys).isin(pd.unique(pairs)).to_numpy()


def _sequence_codes(known: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One integer numbering of two arrays of sequence numbers (no missing values): the numbers themselves
    when all are whole and small (the usual --SEQ), else their factorisation.

    >>> [c.tolist() for c in _sequence_codes(np.array([1.0, 2.0]), np.array([2.0, 5.0]))]
    [[1, 2], [2, 5]]
    >>> [c.tolist() for c in _sequence_codes(np.array([1.5, 2.0]), np.array([2.0, 5.0]))]
    [[0, 1], [1, 2]]
    """
    both = np.concatenate([known, wanted])
    if len(both) == 0 or (both.min() >= 0 and both.max() < 2 ** 31 and (both == np.floor(both)).all()):
        return known.astype(np.int64), wanted.astype(np.int64)
    codes = pd.factorize(both)[0].astype(np.int64)
    return codes[:len(known)], codes[len(known):]


@register("source_record")
def source_record(ctx: CheckContext) -> pd.DataFrame | None:
    """Each SRCDOM names a dataset, SRCVAR a variable of it, and (USUBJID, SRCSEQ) one of its records."""
    ds = _need(ctx, "SRCDOM")
    if ctx.package.folder("sdtm") is None:
        raise SkipCheck("no SDTM folder to resolve SRCDOM against")
    codes, domains = ds.codes("SRCDOM")
    out = []
    for k in sorted(range(len(domains)), key=lambda i: domains[i]):  # groupby order: by SRCDOM value
        domain, rows = domains[k], np.flatnonzero(codes == k)
        source, seq = _source_index(ctx, str(domain))
        if source is None:
            out.append(findings(rows, variable="SRCDOM", value=_source_labels(ds, rows),
                                detail=f"dataset {domain} is not in the package"))
            continue
        if ds.has("SRCVAR"):
            var_codes, variables = ds.codes("SRCVAR")
            unknown = ~pd.Series(variables, dtype=object).isin(set(source.names)).to_numpy()
            bad = rows[rows_with(unknown, var_codes[rows])]
            out.append(findings(bad, variable="SRCVAR", value=_source_labels(ds, bad),
                                detail=f"names no variable of {domain}"))
        if ds.has("SRCSEQ") and ds.has("USUBJID"):
            has_seq = ds.notna("SRCSEQ")[rows]
            bad = rows[has_seq & ~_known_records(ctx, source, seq, rows)]
            out.append(findings(bad, variable="SRCSEQ", value=_source_labels(ds, bad),
                                detail=f"matches no {domain} record of the subject"))
    return pd.concat(out) if out else None
