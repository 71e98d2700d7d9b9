"""Small vectorised helpers shared by the checks."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

ISO_RE = re.compile(
    r"^(?P<y>\d{4}|-)(?:-(?P<m>\d{2}|-)(?:-(?P<d>\d{2}|-)"
    r"(?:T(?P<H>\d{2}|-)(?::(?P<M>\d{2}|-)(?::(?P<S>\d{2}(?:\.\d+)?))?)?)?)?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?$"
)


def findings(rows=None, *, variable="", value=None, detail="", dataset=None, severity=None) -> pd.DataFrame:
    """A findings frame: one row per finding; scalars are broadcast.

    >>> findings([0, 2], variable="AESEQ", value=["1", "1"]).shape
    (2, 4)
    """
    rows = list(rows) if rows is not None else [np.nan]
    n = len(rows)
    frame = pd.DataFrame({"row": pd.array(rows, dtype="Float64"), "variable": variable,
                          "value": value if value is not None else "", "detail": detail}, index=range(n))
    if dataset is not None:
        frame["dataset"] = dataset
    if severity is not None:
        frame["severity"] = severity
    return frame


def text(values: pd.Series) -> pd.Series:
    """Values as display text (1.0 -> '1'), missing as ''."""
    if pd.api.types.is_float_dtype(values):
        out = values.astype(object).where(values.notna(), "").astype(str)
        whole = values.notna() & (values == values.round()) & (values.abs() < 1e15)
        out[whole] = values[whole].astype("int64").astype(str)
        return out
    return values.astype(object).where(values.notna(), "").astype(str)


def iso_problems(values: pd.Series) -> pd.Series:
    """Reason each non-missing value is not valid ISO 8601 ('' when valid); works on distinct values.

    >>> iso_problems(pd.Series(["2021-02-28", "2021-02-30", "2021-13", "2003---15", "21-01-01"])).tolist()
    ['', 'impossible date', 'month out of range', '', 'not ISO 8601']
    """
    present = values.dropna().astype(str)
    uniques = pd.Series(present.unique(), dtype=object)
    reasons = pd.Series("", index=uniques.index, dtype=object)
    if uniques.empty:
        return pd.Series("", index=values.index, dtype=object)
    interval = uniques.str.contains("/", regex=False)
    parts = uniques.str.split("/", n=1, expand=True) if interval.any() else uniques.to_frame(0)
    for col in parts.columns:
        part = parts[col].where(parts[col].notna() & (parts[col] != ""), None)
        checked = part.notna()
        r = _iso_part_reasons(part[checked].astype(str))
        reasons[checked] = reasons[checked].where(reasons[checked] != "", r)
    lookup = dict(zip(uniques, reasons))
    out = pd.Series("", index=values.index, dtype=object)
    out[present.index] = present.map(lookup).to_numpy()
    return out


def _iso_part_reasons(values: pd.Series) -> pd.Series:
    parts = values.str.extract(ISO_RE)
    reasons = pd.Series("", index=values.index, dtype=object)
    reasons[parts["y"].isna()] = "not ISO 8601"
    ok = parts["y"].notna()
    for name, low, high, what in (("m", 1, 12, "month"), ("d", 1, 31, "day"), ("H", 0, 23, "hour"),
                                  ("M", 0, 59, "minute")):
        number = pd.to_numeric(parts[name].where(parts[name] != "-"), errors="coerce")
        bad = ok & number.notna() & ((number < low) | (number > high)) & (reasons == "")
        reasons[bad] = f"{what} out of range"
    seconds = pd.to_numeric(parts["S"], errors="coerce")
    reasons[ok & seconds.notna() & (seconds >= 60) & (reasons == "")] = "second out of range"
    full = ok & parts["y"].str.isdigit() & parts["m"].fillna("-").str.isdigit() & parts["d"].fillna("-").str.isdigit()
    full &= reasons == ""
    if full.any():
        stamp = parts.loc[full, "y"] + "-" + parts.loc[full, "m"] + "-" + parts.loc[full, "d"]
        impossible = pd.to_datetime(stamp, format="%Y-%m-%d", errors="coerce").isna()
        reasons[impossible[impossible].index] = "impossible date"
    return reasons


def full_date(values: pd.Series) -> pd.Series:
    """The calendar date of values with a complete date part (YYYY-MM-DD...), else NaT.

    >>> full_date(pd.Series(["2021-03-04T10:00", "2021-03", None])).notna().tolist()
    [True, False, False]
    """
    head = values.astype(object).where(values.notna(), "").astype(str).str.slice(0, 10)
    head = head.where(head.str.fullmatch(r"\d{4}-\d{2}-\d{2}"), None)
    return pd.to_datetime(head, format="%Y-%m-%d", errors="coerce")


def sas_date(values: pd.Series) -> pd.Series:
    """SAS numeric dates (days since 1960-01-01) as timestamps."""
    return pd.Timestamp("1960-01-01") + pd.to_timedelta(values, unit="D")


def by_subject(frame: pd.DataFrame, reference: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``columns`` of ``reference`` (one row per USUBJID) aligned to the rows of ``frame``."""
    ref = reference.drop_duplicates("USUBJID").set_index("USUBJID")[columns]
    return ref.reindex(frame["USUBJID"]).set_axis(frame.index)


def one_to_one(frame: pd.DataFrame, code: str, name: str, within: list[str] | None = None) -> pd.DataFrame:
    """Findings for every row whose ``code`` has several ``name``s, or whose ``name`` has several ``code``s."""
    within = within or []
    both = frame[within + [code, name]].dropna(subset=[code, name])
    out = []
    for a, b in ((code, name), (name, code)):
        counts = both.groupby(within + [a], sort=False)[b].transform("nunique")
        bad = both[counts > 1]
        if len(bad):
            out.append(findings(bad.index, variable=a, value=text(bad[a]).to_numpy(),
                                detail=f"has more than one {b} (this record: {b}=" + text(bad[b]) + ")"))
    return pd.concat(out) if out else findings([])
