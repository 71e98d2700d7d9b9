"""Date checks: ISO 8601 values, end not before start, study days, EPOCH against SE."""
from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_msc.validate.checks.util import by_subject, findings, full_date, iso_problems, sas_date, text
from cdisc_msc.validate.engine import CheckContext, SkipCheck, register

NUMERIC_DATE_PAIRS = (("STDT", "ENDT"), ("SDT", "EDT"), ("STDTM", "ENDTM"), ("SDTM", "EDTM"))


def dtc_columns(ctx: CheckContext) -> list[str]:
    return [c.name for c in ctx.ds.columns if c.type == "char" and c.name.endswith("DTC")]


@register("iso8601")
def iso8601(ctx: CheckContext) -> pd.DataFrame | None:
    """All --DTC columns checked at once (their distinct values are validated once)."""
    names = dtc_columns(ctx)
    if not names:
        return None
    stacked = ctx.frame[names].melt(var_name="variable", value_name="value", ignore_index=False).dropna()
    reasons = iso_problems(stacked["value"].reset_index(drop=True))
    bad = (reasons != "").to_numpy()
    hits = stacked[bad]
    return findings(hits.index, variable=hits["variable"].to_numpy(), value=hits["value"].to_numpy(),
                    detail=reasons[bad].to_numpy())


def _text_pairs(columns: list[str]) -> list[tuple[str, str]]:
    cols = set(columns)
    return [(c, c[:-5] + "ENDTC") for c in columns if c.endswith("STDTC") and c[:-5] + "ENDTC" in cols]


def _numeric_pairs(columns: list[str]) -> list[tuple[str, str]]:
    cols, pairs = set(columns), []
    for c in columns:
        for start, end in NUMERIC_DATE_PAIRS:
            if c.endswith(start) and c[: -len(start)] + end in cols and c[: -len(start)] + end != c:
                pairs.append((c, c[: -len(start)] + end))
                break
    return pairs


@register("end_before_start")
def end_before_start(ctx: CheckContext) -> pd.DataFrame | None:
    """End date before start date, compared at the precision both have (date; date and minute)."""
    frame, out = ctx.frame, []
    chars = [c.name for c in ctx.ds.columns if c.type == "char"]
    nums = [c.name for c in ctx.ds.columns if c.type == "num"]
    for start, end in _text_pairs(chars):
        a, b = full_date(frame[start]), full_date(frame[end])
        bad = (b < a).to_numpy().copy()
        sa, sb = frame[start].fillna("").astype(str), frame[end].fillna("").astype(str)
        timed = (a == b) & (sa.str.len() >= 16) & (sb.str.len() >= 16)
        bad |= (timed & (sb.str.slice(0, 16) < sa.str.slice(0, 16))).to_numpy()
        rows = frame.index[bad]
        out.append(findings(rows, variable=end, value=frame.loc[rows, end].to_numpy(),
                            detail=start + " " + frame.loc[rows, start].astype(str)))
    for start, end in _numeric_pairs(nums):
        bad = frame[end] < frame[start]
        rows = frame.index[bad]
        out.append(findings(rows, variable=end, value=text(frame.loc[rows, end]).to_numpy(),
                            detail=start + " " + text(frame.loc[rows, start])))
    return pd.concat(out) if out else None


def _dm(ctx: CheckContext, columns: list[str]) -> pd.DataFrame:
    dm = ctx.folder.datasets.get("DM")
    if dm is None or dm.frame is None or not set(columns + ["USUBJID"]) <= set(dm.frame.columns):
        raise SkipCheck(f"no DM with {', '.join(columns)}")
    return dm.frame


def study_day_of(dates: pd.Series, reference: pd.Series) -> pd.Series:
    """SDTM study day: day 1 is the reference date, no day 0.

    >>> d = pd.to_datetime(pd.Series(["2020-01-01", "2020-01-03", "2019-12-31"]))
    >>> study_day_of(d, pd.Series([pd.Timestamp("2020-01-01")] * 3)).tolist()
    [1.0, 3.0, -1.0]
    """
    days = (dates - reference).dt.days.astype("float64")
    return days + (days >= 0)


@register("study_day")
def study_day(ctx: CheckContext) -> pd.DataFrame | None:
    frame = ctx.frame
    pairs = [(c, c[:-3] + "DY") for c in dtc_columns(ctx) if c[:-3] + "DY" in frame.columns]
    if not pairs or "USUBJID" not in frame.columns:
        return None
    reference = full_date(by_subject(frame, _dm(ctx, ["RFSTDTC"]), ["RFSTDTC"])["RFSTDTC"])
    out = []
    for dtc, dy in pairs:
        expected = study_day_of(full_date(frame[dtc]), reference)
        bad = expected.notna() & frame[dy].notna() & (frame[dy] != expected)
        rows = frame.index[bad]
        out.append(findings(rows, variable=dy, value=text(frame.loc[rows, dy]).to_numpy(),
                            detail=text(expected[bad]) + f" from {dtc} " + frame.loc[rows, dtc].astype(str)
                            + " and RFSTDTC"))
    return pd.concat(out)


@register("epoch_vs_se")
def epoch_vs_se(ctx: CheckContext) -> pd.DataFrame | None:
    """The record's date (--DTC, else --STDTC) lies in SE elements; EPOCH must be one of theirs."""
    frame, p = ctx.frame, ctx.ds.prefix
    date_col = next((c for c in (f"{p}DTC", f"{p}STDTC") if c in frame.columns), None)
    if ctx.ds.name in ("SE", "DM") or "EPOCH" not in frame.columns or date_col is None:
        return None
    se_data = ctx.folder.datasets.get("SE")
    if se_data is None or se_data.frame is None:
        raise SkipCheck("no SE dataset")
    se = se_data.frame
    elements = pd.DataFrame({"USUBJID": se["USUBJID"], "start": full_date(se["SESTDTC"]),
                             "end": full_date(se["SEENDTC"]).fillna(pd.Timestamp.max), "se_epoch": se["EPOCH"]})
    records = pd.DataFrame({"row": frame.index, "USUBJID": frame["USUBJID"], "date": full_date(frame[date_col]),
                            "EPOCH": frame["EPOCH"]}).dropna(subset=["date", "EPOCH"])
    merged = records.merge(elements, on="USUBJID", how="inner")
    merged = merged[(merged["start"] <= merged["date"]) & (merged["date"] <= merged["end"])]
    if merged.empty:
        return None
    merged["match"] = merged["EPOCH"] == merged["se_epoch"]
    matched = merged.groupby("row", sort=True)["match"].any()
    bad_rows = matched.index[~matched.to_numpy()]
    if not len(bad_rows):
        return None
    epochs = (merged[merged["row"].isin(bad_rows)].drop_duplicates(["row", "se_epoch"])
              .sort_values(["row", "se_epoch"]).groupby("row")["se_epoch"].agg("/".join))
    return findings(bad_rows, variable="EPOCH", value=frame.loc[bad_rows, "EPOCH"].to_numpy(),
                    detail=epochs.reindex(bad_rows).to_numpy())
