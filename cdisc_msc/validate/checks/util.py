"""Small vectorised helpers shared by the checks."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cdisc_msc.io.columns import combined_key, row_of_each

if TYPE_CHECKING:
    from cdisc_msc.validate.package import DatasetData

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


COMMON_FORMATS = {10: "%Y-%m-%d", 16: "%Y-%m-%dT%H:%M", 19: "%Y-%m-%dT%H:%M:%S"}
"""The usual complete date/times by length: values of these exact shapes that parse are valid ISO 8601."""
COMMON_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2})?)?")


def commonly_valid(values: pd.Series) -> np.ndarray:
    """Values that are complete dates or date/times (YYYY-MM-DD[THH:MM[:SS]]) of real calendar days and clock
    times: valid without the full ISO 8601 analysis, which is then left to the other values.

    >>> commonly_valid(pd.Series(["2021-02-28", "2021-02-30", "2021-03-01T23:59", "2021-03-01T24:00", "2021-03"])).tolist()
    [True, False, True, False, False]
    """
    text = values.to_numpy(dtype=object)
    shaped = np.fromiter((COMMON_SHAPE.fullmatch(v) is not None for v in text), dtype=bool, count=len(text))
    lengths = np.fromiter(map(len, text), dtype=np.int64, count=len(text))
    valid = np.zeros(len(text), dtype=bool)
    for length, form in COMMON_FORMATS.items():
        pick = np.flatnonzero(shaped & (lengths == length))
        if len(pick):  # strict parsing: month, day of that month, hour, minute and second in range
            valid[pick] = pd.to_datetime(pd.Series(text[pick], dtype=object), format=form, errors="coerce").notna()
    return valid


def iso_problems(values: pd.Series) -> pd.Series:
    """Reason each non-missing value is not valid ISO 8601 ('' when valid); works on distinct values.

    >>> iso_problems(pd.Series(["2021-02-28", "2021-02-30", "2021-13", "2003---15", "21-01-01"])).tolist()
    ['', 'impossible date', 'month out of range', '', 'not ISO 8601']
    """
    present = values.dropna().astype(str)
    uniques = pd.Series(present.unique(), dtype=object)
    if uniques.empty:
        return pd.Series("", index=values.index, dtype=object)
    uniques = uniques[~commonly_valid(uniques)].reset_index(drop=True)  # the rest are analysed in full
    if uniques.empty:
        return pd.Series("", index=values.index, dtype=object)
    reasons = pd.Series("", index=uniques.index, dtype=object)
    interval = uniques.str.contains("/", regex=False)
    parts = uniques.str.split("/", n=1, expand=True) if interval.any() else uniques.to_frame(0)
    for col in parts.columns:
        part = parts[col].where(parts[col].notna() & (parts[col] != ""), None)
        checked = part.notna()
        r = _iso_part_reasons(part[checked].astype(str))
        reasons[checked] = reasons[checked].where(reasons[checked] != "", r)
    lookup = dict(zip(uniques, reasons))
    out = pd.Series("", index=values.index, dtype=object)
    out[present.index] = present.map(lookup).fillna("").to_numpy()  # not in lookup: commonly valid
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


FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def full_date(values: pd.Series) -> pd.Series:
    """The calendar date of values with a complete date part (YYYY-MM-DD...), else NaT.

    >>> full_date(pd.Series(["2021-03-04T10:00", "2021-03", None])).notna().tolist()
    [True, False, False]
    """
    present = values.notna().to_numpy()
    heads = [str(v)[:10] if has else "" for v, has in zip(values.to_numpy(dtype=object), present)]
    dates = [h if FULL_DATE.fullmatch(h) else None for h in heads]  # plain re: far cheaper than .str on a Series
    return pd.to_datetime(pd.Series(dates, index=values.index, dtype=object), format="%Y-%m-%d", errors="coerce")


def dates_of(ds: "DatasetData", name: str) -> pd.Series:
    """``full_date`` of a column of ``ds``, worked out once per distinct value and shared by the checks."""
    values = ds.per_value(name, "full_date", full_date, np.datetime64("NaT"))
    return pd.Series(values, index=ds.index)


def texts_of(ds: "DatasetData", name: str) -> np.ndarray:
    """``text`` of each distinct value of a column of ``ds`` (in the order of ``ds.codes(name)``), shared."""
    uniques = ds.codes(name)[1]
    if uniques.dtype == object and pd.api.types.infer_dtype(uniques, skipna=False) == "string":
        return uniques  # a text column: its distinct values are their own text
    return ds.distinct_values(name, "text", text, dtype=object)


def by_subject_of(ds: "DatasetData", reference: pd.DataFrame, values: pd.Series) -> np.ndarray:
    """``values`` (aligned to ``reference``, one row per USUBJID: the first) aligned to the records of ``ds``.

    Like ``by_subject``, but looked up once per distinct subject of ``ds``.
    """
    first = ~reference["USUBJID"].duplicated(keep="first")
    lookup = pd.Series(values.to_numpy()[first.to_numpy()], index=reference["USUBJID"][first].to_numpy())
    codes, subjects = ds.codes("USUBJID")
    keys = pd.Index(np.append(np.asarray(subjects, dtype=object), np.nan), dtype=object)  # last slot: missing
    return lookup.reindex(keys).to_numpy()[codes]


def by_subject(frame: pd.DataFrame, reference: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``columns`` of ``reference`` (one row per USUBJID) aligned to the rows of ``frame``."""
    ref = reference.drop_duplicates("USUBJID").set_index("USUBJID")[columns]
    return ref.reindex(frame["USUBJID"]).set_axis(frame.index)


def combine(codes: list[np.ndarray], size: int) -> np.ndarray:
    """One group number per row for its combination of codes (-1 = missing is a value like any other),
    numbered 0, 1, ... in order of first row (so they can index small per-group tables).

    >>> combine([np.array([0, 0, 1, 0]), np.array([2, -1, 2, 2])], 4).tolist()
    [0, 1, 2, 0]
    """
    key = combined_key(codes, [int(c.max(initial=-1)) + 2 for c in codes], size, refactorize=True)
    return pd.factorize(key)[0].astype(np.int64)


def duplicated(codes: list[np.ndarray], size: int) -> np.ndarray:
    """Rows repeating an earlier row's combination of codes (like ``DataFrame.duplicated(keep="first")``)."""
    key = combine(codes, size)
    dup = np.ones(size, dtype=bool)
    dup[row_of_each(key, int(key.max(initial=-1)) + 1)] = False  # the first row of each combination
    return dup


def value_ranks(values: pd.Series) -> np.ndarray:
    """The rank of each distinct value in sorted order (values of one type, as a column's distinct values are).

    >>> value_ranks(pd.Series(["b", "c", "a"], dtype=object)).tolist()
    [1, 2, 0]
    """
    ranks = np.empty(len(values), dtype=np.int64)
    ranks[np.argsort(values.to_numpy(), kind="stable")] = np.arange(len(values))
    return ranks


def duplicated_sorted(keys: list[np.ndarray]) -> np.ndarray | None:
    """``duplicated`` for rows already in the order of their sort keys: the rows equal to the row before.

    None when the rows are not in that order. Datasets are usually sorted by their keys, and this
    needs a few linear passes instead of hashing every row's combination.

    >>> duplicated_sorted([np.array([0, 0, 0, 1]), np.array([-np.inf, 2.0, 2.0, 0.0])]).tolist()
    [False, False, True, False]
    >>> duplicated_sorted([np.array([1, 0])]) is None
    True
    """
    size = len(keys[0]) if keys else 0
    tied = np.ones(max(size - 1, 0), dtype=bool)  # row i+1 equals row i on the keys seen so far
    for key in keys:
        before, after = key[:-1], key[1:]
        if (tied & (after < before)).any():
            return None
        tied &= after == before
    return np.concatenate([np.zeros(min(size, 1), dtype=bool), tied])


def sort_key(ds: "DatasetData", name: str) -> np.ndarray:
    """Numbers ordering the records by a column as sorting does, missing first: a numeric column's own
    values (missing as -inf), else the rank of each record's distinct value (missing -1).
    Raises TypeError when the distinct values do not sort (mixed types)."""
    values = None if ds.is_text(name) else ds.series(name).to_numpy()
    if values is not None and values.dtype == np.float64 and not np.isneginf(values).any():
        return np.where(np.isnan(values), -np.inf, values)  # no factorisation of the numbers needed
    return ds.per_value(name, "rank", value_ranks, -1, dtype=np.int64)


def duplicated_records(ds: "DatasetData", columns: list[str]) -> np.ndarray:
    """Records of ``ds`` repeating an earlier record's values of ``columns`` (missing equals missing), like
    ``DataFrame.duplicated(columns, keep="first")``; linear when the records are sorted by these columns."""
    size = ds.nrows
    if not columns:
        return np.arange(size) > 0
    try:
        found = duplicated_sorted([sort_key(ds, c) for c in columns])
    except TypeError:  # distinct values that do not sort (mixed types): hash the combinations
        found = None
    return found if found is not None else duplicated([ds.codes(c)[0] for c in columns], size)


def one_to_one(ds: "DatasetData", code: str, name: str, within: list[str] | None = None) -> pd.DataFrame:
    """Findings for every row whose ``code`` has several ``name``s, or whose ``name`` has several ``code``s.

    Counted on the distinct combinations of the columns' codes.
    """
    within = within or []
    codes = {c: ds.codes(c)[0] for c in within + [code, name]}
    both = (codes[code] >= 0) & (codes[name] >= 0)
    grouped = both & np.logical_and.reduce([codes[c] >= 0 for c in within]) if within else both
    rows = np.flatnonzero(grouped)  # groupby leaves out rows with a missing key
    combo = combine([codes[c][rows] for c in within + [code, name]], len(rows))  # the one pass over the rows
    first = row_of_each(combo, int(combo.max(initial=-1)) + 1, last=True)  # a row standing for each combination
    out = []
    for a, b in ((code, name), (name, code)):
        group = combine([codes[c][rows[first]] for c in within + [a]], len(first))
        several = np.bincount(group)[group] > 1  # combinations whose (within, a) has more than one b
        bad = rows[several[combo]]
        if len(bad):
            values = ds.take(a, bad), ds.take(b, bad)
            out.append(findings(values[0].index, variable=a, value=text(values[0]).to_numpy(),
                                detail=f"has more than one {b} (this record: {b}=" + text(values[1]) + ")"))
    return pd.concat(out) if out else findings([])
