"""ADaM checks: baseline flags, change from baseline, criteria flags, 1:1 pairs, source records."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cdisc_msc.validate.checks.util import findings, one_to_one, text
from cdisc_msc.validate.engine import CheckContext, NotApplicable, SkipCheck, register
from cdisc_msc.validate.package import DatasetData

CRIT_FL = re.compile(r"^(M?CRIT\d+)FL$")


def _need(ctx: CheckContext, *columns: str) -> pd.DataFrame:
    if not set(columns) <= set(ctx.frame.columns):
        raise NotApplicable(f"needs {', '.join(columns)}")
    return ctx.frame


@register("one_baseline")
def one_baseline(ctx: CheckContext) -> pd.DataFrame | None:
    frame = _need(ctx, "USUBJID", "PARAMCD", "ABLFL")
    by = ["USUBJID", "PARAMCD"] + (["BASETYPE"] if "BASETYPE" in frame.columns else [])
    flagged = frame[frame["ABLFL"] == "Y"]
    dup = flagged[flagged.duplicated(subset=by, keep=False)]
    detail = pd.Series("", index=dup.index, dtype=object)
    for i, name in enumerate(by):
        detail = detail + (", " if i else "") + name + "=" + dup[name].astype(str)
    return findings(dup.index, variable="ABLFL", value="Y", detail=detail)


def _mismatch(actual: pd.Series, expected: pd.Series, tolerance: float) -> pd.Series:
    """True where exactly one is missing, or both present and differing beyond ``tolerance`` (relative, min 1)."""
    both = actual.notna() & expected.notna()
    scale = np.maximum(1.0, expected.abs().fillna(0.0))
    differ = both & ((actual - expected).abs() > tolerance * scale)
    return differ | (actual.notna() != expected.notna())


def _baseline_left_empty(frame: pd.DataFrame, column: str) -> pd.Series:
    """Baseline records (ABLFL = "Y") may leave CHG/PCHG empty: change is defined after baseline."""
    if "ABLFL" not in frame.columns:
        return pd.Series(False, index=frame.index)
    return (frame["ABLFL"] == "Y").fillna(False) & frame[column].isna()


@register("chg_consistent")
def chg_consistent(ctx: CheckContext) -> pd.DataFrame | None:
    frame = _need(ctx, "AVAL", "BASE", "CHG")
    expected = frame["AVAL"] - frame["BASE"]
    bad = _mismatch(frame["CHG"], expected, float(ctx.params["tolerance"])) & ~_baseline_left_empty(frame, "CHG")
    return findings(frame.index[bad], variable="CHG", value=text(frame.loc[bad, "CHG"]).to_numpy(),
                    detail=("AVAL - BASE = " + text(expected[bad]).replace("", "missing")).to_numpy())


@register("pchg_consistent")
def pchg_consistent(ctx: CheckContext) -> pd.DataFrame | None:
    frame = _need(ctx, "AVAL", "BASE", "PCHG")
    base = frame["BASE"].where(frame["BASE"] != 0)
    expected = 100 * (frame["AVAL"] - base) / base
    bad = _mismatch(frame["PCHG"], expected, float(ctx.params["tolerance"])) & ~_baseline_left_empty(frame, "PCHG")
    return findings(frame.index[bad], variable="PCHG", value=text(frame.loc[bad, "PCHG"]).to_numpy(),
                    detail=("100 * (AVAL - BASE) / BASE = " + text(expected[bad]).replace("", "missing")).to_numpy())


@register("crit_flag_consistent")
def crit_flag_consistent(ctx: CheckContext) -> pd.DataFrame | None:
    frame, out = ctx.frame, []
    for flag in [c for c in frame.columns if CRIT_FL.match(c)]:
        crit = CRIT_FL.match(flag).group(1)
        fl = frame[flag]
        has_crit = frame[crit].notna() if crit in frame.columns else pd.Series(False, index=frame.index)
        cases = (
            (fl.notna() & ~fl.isin(["Y", "N"]), f"is not Y or N"),
            (fl.notna() & ~has_crit, f"is populated but {crit} is missing"),
            (fl.isna() & has_crit, f"is missing but {crit} is populated"),
        )
        for mask, detail in cases:
            rows = frame.index[mask.to_numpy()]
            out.append(findings(rows, variable=flag, value=text(fl[rows]).to_numpy(), detail=detail))
    return pd.concat(out) if out else None


@register("paramcd_param")
def paramcd_param(ctx: CheckContext) -> pd.DataFrame | None:
    return one_to_one(_need(ctx, "PARAMCD", "PARAM"), "PARAMCD", "PARAM", ds=ctx.ds)


@register("aval_avalc")
def aval_avalc(ctx: CheckContext) -> pd.DataFrame | None:
    frame = _need(ctx, "PARAMCD", "AVAL", "AVALC")
    return one_to_one(frame, "AVAL", "AVALC", within=["PARAMCD"], ds=ctx.ds)


def _source_index(ctx: CheckContext, domain: str) -> tuple[DatasetData | None, str | None]:
    """The source dataset and its sequence variable (SDTM --SEQ or ADaM ASEQ)."""
    for kind in ("sdtm", "adam"):
        folder = ctx.package.folder(kind)
        data = folder.datasets.get(domain) if folder is not None else None
        if data is not None and data.frame is not None:
            seq = next((c for c in (f"{domain[:2]}SEQ", "ASEQ", f"{data.domain[:2]}SEQ") if c in data.frame.columns),
                       None)
            return data, seq
    return None, None


def _source_labels(frame: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """``SRCDOM/SRCVAR/SRCSEQ`` of some records, as shown with the findings."""
    group = frame.iloc[rows]
    label = group["SRCDOM"].astype(str)
    if "SRCVAR" in group.columns:
        label = label + "/" + group["SRCVAR"].fillna("").astype(str)
    if "SRCSEQ" in group.columns:
        label = label + "/" + text(group["SRCSEQ"])
    return label.to_numpy()


def _known_records(ctx: CheckContext, source: DatasetData, seq: str | None, rows: np.ndarray) -> np.ndarray:
    """Whether (USUBJID, SRCSEQ) of each of ``rows`` is a (USUBJID, sequence) pair of the source."""
    if seq is None:
        return np.zeros(len(rows), dtype=bool)
    group = ctx.frame.iloc[rows]
    numeric = pd.api.types.is_float_dtype(source.frame[seq]) and pd.api.types.is_float_dtype(group["SRCSEQ"])
    if not numeric:  # not numbers on both sides: compare the values as they are
        pairs = pd.MultiIndex.from_frame(source.frame[["USUBJID", seq]].dropna())
        return pd.MultiIndex.from_arrays([group["USUBJID"], group["SRCSEQ"]]).isin(pairs)
    codes, subjects = source.codes("USUBJID")
    numbers = source.frame[seq].to_numpy()
    has = (codes >= 0) & ~np.isnan(numbers)
    wanted_codes, wanted_subjects = ctx.ds.codes("USUBJID")
    as_source = np.append(pd.Index(subjects, dtype=object).get_indexer(pd.Index(wanted_subjects, dtype=object)), -1)
    subject = as_source[wanted_codes[rows]]  # the source's code of the record's subject, -1 when it has none
    wanted = group["SRCSEQ"].to_numpy()
    seq_codes = pd.factorize(np.concatenate([numbers[has], wanted]))[0].astype(np.int64)  # one numbering for both
    width, split = int(seq_codes.max(initial=0)) + 1, int(has.sum())
    pairs = codes[has].astype(np.int64) * width + seq_codes[:split]
    keys = subject.astype(np.int64) * width + seq_codes[split:]
    return (subject >= 0) & ~np.isnan(wanted) & pd.Series(keys).isin(pd.unique(pairs)).to_numpy()


@register("source_record")
def source_record(ctx: CheckContext) -> pd.DataFrame | None:
    """Each SRCDOM names a dataset, SRCVAR a variable of it, and (USUBJID, SRCSEQ) one of its records."""
    frame = _need(ctx, "SRCDOM")
    if ctx.package.folder("sdtm") is None:
        raise SkipCheck("no SDTM folder to resolve SRCDOM against")
    codes, domains = ctx.ds.codes("SRCDOM")
    out = []
    for k in sorted(range(len(domains)), key=lambda i: domains[i]):  # groupby order: by SRCDOM value
        domain, rows = domains[k], np.flatnonzero(codes == k)
        source, seq = _source_index(ctx, str(domain))
        if source is None:
            out.append(findings(rows, variable="SRCDOM", value=_source_labels(frame, rows),
                                detail=f"dataset {domain} is not in the package"))
            continue
        if "SRCVAR" in frame.columns:
            var_codes, variables = ctx.ds.codes("SRCVAR")
            unknown = np.append(~pd.Series(variables, dtype=object).isin(set(source.frame.columns)).to_numpy(), False)
            bad = rows[unknown[var_codes[rows]]]
            out.append(findings(bad, variable="SRCVAR", value=_source_labels(frame, bad),
                                detail=f"names no variable of {domain}"))
        if "SRCSEQ" in frame.columns and "USUBJID" in frame.columns:
            has_seq = frame["SRCSEQ"].notna().to_numpy()[rows]
            bad = rows[has_seq & ~_known_records(ctx, source, seq, rows)]
            out.append(findings(bad, variable="SRCSEQ", value=_source_labels(frame, bad),
                                detail=f"matches no {domain} record of the subject"))
    return pd.concat(out) if out else None
