"""ADaM checks: baseline flags, change from baseline, criteria flags, 1:1 pairs, source records."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cdisc_msc.validate.checks.util import findings, one_to_one, text
from cdisc_msc.validate.engine import CheckContext, NotApplicable, SkipCheck, register

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
    return one_to_one(_need(ctx, "PARAMCD", "PARAM"), "PARAMCD", "PARAM")


@register("aval_avalc")
def aval_avalc(ctx: CheckContext) -> pd.DataFrame | None:
    frame = _need(ctx, "PARAMCD", "AVAL", "AVALC")
    return one_to_one(frame, "AVAL", "AVALC", within=["PARAMCD"])


def _source_index(ctx: CheckContext, domain: str) -> tuple[pd.DataFrame | None, str | None]:
    """The source dataset's frame and its sequence variable (SDTM --SEQ or ADaM ASEQ)."""
    for kind in ("sdtm", "adam"):
        folder = ctx.package.folder(kind)
        data = folder.datasets.get(domain) if folder is not None else None
        if data is not None and data.frame is not None:
            seq = next((c for c in (f"{domain[:2]}SEQ", "ASEQ", f"{data.domain[:2]}SEQ") if c in data.frame.columns),
                       None)
            return data.frame, seq
    return None, None


@register("source_record")
def source_record(ctx: CheckContext) -> pd.DataFrame | None:
    """Each SRCDOM names a dataset, SRCVAR a variable of it, and (USUBJID, SRCSEQ) one of its records."""
    frame = _need(ctx, "SRCDOM")
    if ctx.package.folder("sdtm") is None:
        raise SkipCheck("no SDTM folder to resolve SRCDOM against")
    rows = frame[frame["SRCDOM"].notna()]
    out = []
    for domain, group in rows.groupby("SRCDOM", sort=True):
        source, seq = _source_index(ctx, str(domain))
        label = group["SRCDOM"].astype(str)
        if "SRCVAR" in group.columns:
            label = label + "/" + group["SRCVAR"].fillna("").astype(str)
        if "SRCSEQ" in group.columns:
            label = label + "/" + text(group["SRCSEQ"])
        if source is None:
            out.append(findings(group.index, variable="SRCDOM", value=label.to_numpy(),
                                detail=f"dataset {domain} is not in the package"))
            continue
        if "SRCVAR" in group.columns:
            bad = group["SRCVAR"].notna() & ~group["SRCVAR"].isin(set(source.columns))
            out.append(findings(group.index[bad], variable="SRCVAR", value=label[bad].to_numpy(),
                                detail=f"names no variable of {domain}"))
        if "SRCSEQ" in group.columns and "USUBJID" in group.columns:
            has_seq = group["SRCSEQ"].notna()
            if seq is None:
                known = pd.Series(False, index=group.index)
            else:
                pairs = pd.MultiIndex.from_frame(source[["USUBJID", seq]].dropna())
                wanted = pd.MultiIndex.from_arrays([group["USUBJID"], group["SRCSEQ"]])
                known = pd.Series(wanted.isin(pairs), index=group.index)
            bad = has_seq & ~known
            out.append(findings(group.index[bad], variable="SRCSEQ", value=label[bad].to_numpy(),
                                detail=f"matches no {domain} record of the subject"))
    return pd.concat(out) if out else None
