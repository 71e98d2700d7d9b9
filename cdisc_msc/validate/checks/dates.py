"""Date checks: ISO 8601 values, end not before start, study days, EPOCH against SE."""
from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_msc.io.columns import row_of_each
from cdisc_msc.validate.checks.util import by_subject_of, dates_of, combine, findings, iso_problems, text
from cdisc_msc.validate.engine import CheckContext, SkipCheck, register
from cdisc_msc.validate.package import DatasetData

NUMERIC_DATE_PAIRS = (("STDT", "ENDT"), ("SDT", "EDT"), ("STDTM", "ENDTM"), ("SDTM", "EDTM"))


def dtc_columns(ctx: CheckContext) -> list[str]:
    return [c.name for c in ctx.ds.columns if c.type == "char" and c.name.endswith("DTC")]


@register("iso8601")
def iso8601(ctx: CheckContext) -> pd.DataFrame | None:
    """Every --DTC column, column by column; each distinct value is validated once."""
    names = dtc_columns(ctx)
    if not names:
        return None
    ds, rows, variables, values, reasons = ctx.ds, [], [], [], []
    for name in names:
        codes, uniques = ds.codes(name)
        why = ds.per_value(name, "iso8601", iso_problems, "", dtype=object)
        hit = np.flatnonzero(why != "")
        rows.append(hit)
        variables.append(np.full(len(hit), name, dtype=object))
        values.append(uniques[codes[hit]])
        reasons.append(why[hit])
    return findings(np.concatenate(rows), variable=np.concatenate(variables), value=np.concatenate(values),
                    detail=np.concatenate(reasons))


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
    ds, out = ctx.ds, []
    chars = [c.name for c in ctx.ds.columns if c.type == "char"]
    nums = [c.name for c in ctx.ds.columns if c.type == "num"]
    for start, end in _text_pairs(chars):
        a, b = dates_of(ds, start), dates_of(ds, end)
        bad = (b < a).to_numpy().copy()
        timed = np.flatnonzero(((a == b).to_numpy() & (_lengths(ds, start) >= 16) & (_lengths(ds, end) >= 16)))
        bad[timed] |= _minutes(ds, end)[timed] < _minutes(ds, start)[timed]  # same day: compare to the minute
        rows = np.flatnonzero(bad)
        out.append(findings(rows, variable=end, value=ds.take(end, rows).to_numpy(),
                            detail=start + " " + ds.take(start, rows).astype(str)))
    for start, end in _numeric_pairs(nums):
        rows = np.flatnonzero((ds.series(end) < ds.series(start)).to_numpy())
        out.append(findings(rows, variable=end, value=text(ds.take(end, rows)).to_numpy(),
                            detail=start + " " + text(ds.take(start, rows))))
    return pd.concat(out) if out else None


def _lengths(ds: DatasetData, name: str) -> np.ndarray:
    """Characters of each record's value (0 when missing)."""
    return ds.per_value(name, "length", lambda v: v.astype(str).str.len(), 0, dtype=np.int64)


def _minutes(ds: DatasetData, name: str) -> np.ndarray:
    """The first 16 characters (date, hour and minute) of each record's value ('' when missing)."""
    return ds.per_value(name, "minute", lambda v: v.astype(str).str.slice(0, 16), "", dtype=object)


def _dm(ctx: CheckContext, columns: list[str]) -> DatasetData:
    dm = ctx.folder.datasets.get("DM")
    if dm is None or not dm.readable or not all(dm.has(c) for c in columns + ["USUBJID"]):
        raise SkipCheck(f"no DM with {', '.join(columns)}")
    return dm


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
    ds = ctx.ds
    pairs = [(c, c[:-3] + "DY") for c in dtc_columns(ctx) if ds.has(c[:-3] + "DY")]
    if not pairs or not ds.has("USUBJID"):
        return None
    dm = _dm(ctx, ["RFSTDTC"])
    reference = pd.Series(by_subject_of(ds, dm.frame, dates_of(dm, "RFSTDTC")), index=ds.index)
    out = []
    for dtc, dy in pairs:
        expected = study_day_of(dates_of(ds, dtc), reference)
        day = ds.series(dy)
        bad = expected.notna() & day.notna() & (day != expected)
        rows = np.flatnonzero(bad.to_numpy())
        out.append(findings(rows, variable=dy, value=text(ds.take(dy, rows)).to_numpy(),
                            detail=text(expected[bad]) + f" from {dtc} " + ds.take(dtc, rows).astype(str)
                            + " and RFSTDTC"))
    return pd.concat(out)


@register("epoch_vs_se")
def epoch_vs_se(ctx: CheckContext) -> pd.DataFrame | None:
    """The record's date (--DTC, else --STDTC) lies in SE elements; EPOCH must be one of theirs."""
    ds, p = ctx.ds, ctx.ds.prefix
    date_col = next((c for c in (f"{p}DTC", f"{p}STDTC") if ds.has(c)), None)
    if ds.name in ("SE", "DM") or not ds.has("EPOCH") or date_col is None:
        return None
    se_data = ctx.folder.datasets.get("SE")
    if se_data is None or not se_data.readable:
        raise SkipCheck("no SE dataset")
    se = se_data.frame
    elements = pd.DataFrame({"USUBJID": se["USUBJID"], "start": dates_of(se_data, "SESTDTC"),
                             "end": dates_of(se_data, "SEENDTC").fillna(pd.Timestamp.max), "se_epoch": se["EPOCH"]})
    date = dates_of(ctx.ds, date_col)
    rows, group = _same_subject_date_epoch(ctx.ds, date)
    first = rows[row_of_each(group, int(group.max(initial=-1)) + 1, last=True)]  # a record for each (USUBJID, date, EPOCH)
    records = pd.DataFrame({"row": np.arange(len(first)), "USUBJID": ds.take("USUBJID", first).to_numpy(),
                            "date": date.to_numpy()[first], "EPOCH": ds.take("EPOCH", first).to_numpy()})
    merged = records.merge(elements, on="USUBJID", how="inner")
    merged = merged[(merged["start"] <= merged["date"]) & (merged["date"] <= merged["end"])]
    if merged.empty:
        return None
    merged["match"] = merged["EPOCH"] == merged["se_epoch"]
    matched = merged.groupby("row", sort=True)["match"].any()
    bad_groups = matched.index[~matched.to_numpy()]
    if not len(bad_groups):
        return None
    epochs = (merged[merged["row"].isin(bad_groups)].drop_duplicates(["row", "se_epoch"])
              .sort_values(["row", "se_epoch"]).groupby("row")["se_epoch"].agg("/".join))
    detail = epochs.reindex(np.arange(len(first))).to_numpy()
    bad = np.zeros(len(first), dtype=bool)
    bad[bad_groups.to_numpy()] = True
    hit = bad[group]
    bad_rows = rows[hit]
    return findings(bad_rows, variable="EPOCH", value=ds.take("EPOCH", bad_rows).to_numpy(), detail=detail[group[hit]])


def _same_subject_date_epoch(ds: DatasetData, date: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Records with a date and an EPOCH, and for each a group number shared by the records of the same
    USUBJID, date and EPOCH (numbered in order of first record)."""
    subject, epoch = ds.codes("USUBJID")[0], ds.codes("EPOCH")[0]
    rows = np.flatnonzero(date.notna().to_numpy() & (epoch >= 0))
    day = date.to_numpy()[rows].astype("datetime64[D]").astype(np.int64)  # whole days: numbers, not hashed
    day -= day.min(initial=0)
    return rows, np.asarray(combine([subject[rows], epoch[rows], day], len(rows)), dtype=np.intp)
