"""Study days, analysis windows, baseline and analysed-record flags (SAP 2).

Generic helpers in the style of the admiral R package, used by every BDS
dataset:

* :func:`derive_study_day` -- ``--DY`` / ``ADY`` from dates: day 1 = reference
  (infusion) date, no day 0;
* :func:`study_day_to_date` -- the inverse (target day -> date);
* :func:`derive_vars_window` -- ``AVISIT``/``AVISITN`` and ``AWLO``/``AWHI``/
  ``AWTARGET``/``AWTDIFF`` from ``StudyConfig.analysis_windows``;
* :func:`derive_var_ablfl` -- baseline: last non-missing record on or before
  study day 1 -> ``ABLFL = "Y"``, ``AVISIT = "Baseline"``, ``AVISITN = 0``;
* :func:`derive_var_anl01fl` -- analysed record per parameter and window;
* :func:`extreme_mask` -- first/last record per group in a given order;
* :func:`window_grid` -- every subject x window, for non-responder imputation.

Typical order: ``derive_study_day`` -> ``derive_vars_window`` ->
``derive_var_ablfl`` -> ``derive_var_anl01fl``. All return new frames.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from cdisc_msc.adam.keys import key_codes
from cdisc_msc.config import AnalysisWindow
from cdisc_msc.scoring import distinct_text, require_columns
from cdisc_msc.spec.apply import sorted_factorize, stable_order_of

OrderSpec = Sequence["str | tuple[str, bool]"]
BASELINE_AVISIT = "Baseline"
BASELINE_AVISITN = 0


# --------------------------------------------------------------- dates ----
def to_date(values: pd.Series) -> pd.Series:
    """Dates (datetime64, day precision) from datetimes or ISO 8601 text.

    Text must hold a complete date (``YYYY-MM-DD``, optionally followed by a
    time); partial dates (``2024-05``) give NaT: they are imputed elsewhere.

    >>> to_date(pd.Series(["2024-05-02T10:30", "2024-05", None])).tolist()
    [Timestamp('2024-05-02 00:00:00'), NaT, NaT]
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.tz_localize(None).dt.normalize() if getattr(values.dt, "tz", None) else values.dt.normalize()
    text = values.astype("str").where(values.notna())
    day = text.str.extract(r"^(\d{4}-\d{2}-\d{2})(?:$|[T ])", expand=False)
    return pd.to_datetime(day, format="%Y-%m-%d", errors="coerce")


def _day_number(date: pd.Series, ref: pd.Series) -> pd.Series:
    diff = (to_date(date) - to_date(ref)).dt.days
    return diff.where(diff < 0, diff + 1).astype("Int64")


def derive_study_day(df: pd.DataFrame, date_col: str, ref_col: str, new_col: str = "ADY") -> pd.DataFrame:
    """Add ``new_col`` = study day of ``date_col`` relative to ``ref_col`` (day 1 = ref date, no day 0).

    day = date - ref + 1 when date >= ref, else date - ref. Missing or partial date -> missing.

    >>> d = pd.DataFrame({"ADT": ["2024-01-01", "2023-12-31", "2024-03-01"], "TRTSDT": "2024-01-01"})
    >>> derive_study_day(d, "ADT", "TRTSDT").ADY.tolist()
    [1, -1, 61]
    """
    require_columns(df, [date_col, ref_col], "derive_study_day")
    out = df.copy()
    out[new_col] = _day_number(df[date_col], df[ref_col])
    return out


def study_day_to_date(ref: pd.Series | pd.Timestamp, day: pd.Series | int) -> pd.Series | pd.Timestamp:
    """Date of study ``day`` for reference date ``ref`` (inverse of :func:`derive_study_day`).

    >>> str(study_day_to_date(pd.Timestamp("2024-01-01"), 91).date()), str(study_day_to_date(pd.Timestamp("2024-01-01"), -1).date())
    ('2024-03-31', '2023-12-31')
    """
    if isinstance(day, (int, np.integer)):
        if day == 0:
            raise ValueError("there is no study day 0")
        return pd.Timestamp(ref).normalize() + pd.Timedelta(days=int(day) - 1 if day > 0 else int(day))
    d = pd.to_numeric(day).astype("Float64")
    if (d == 0).any():
        raise ValueError("there is no study day 0")
    shift = d.where(d < 0, d - 1).astype(float)
    ref_dates = to_date(ref) if isinstance(ref, pd.Series) else pd.Timestamp(ref).normalize()
    return ref_dates + pd.to_timedelta(shift, unit="D")


# ------------------------------------------------------------- windows ----
def _windows_frame(windows: Sequence[AnalysisWindow]) -> pd.DataFrame:
    w = pd.DataFrame(
        [{"AVISIT": x.avisit, "AVISITN": x.avisitn, "AWLO": x.start_day, "AWHI": x.end_day, "AWTARGET": x.target_day}
         for x in windows]
    )
    if w.empty:
        raise ValueError("no analysis windows given")
    w = w.sort_values("AWLO", kind="stable").reset_index(drop=True)
    if (w["AWLO"].to_numpy()[1:] <= w["AWHI"].to_numpy()[:-1]).any():
        raise ValueError("analysis windows overlap")
    return w


def derive_vars_window(df: pd.DataFrame, windows: Sequence[AnalysisWindow], ady_col: str = "ADY") -> pd.DataFrame:
    """Assign each record to the analysis window containing its study day (bounds inclusive).

    Adds AVISIT, AVISITN, AWLO, AWHI, AWTARGET and AWTDIFF (= |ADY - AWTARGET|);
    records outside every window (or without a study day) get them missing.
    Run it before :func:`derive_var_ablfl`, which sets the baseline visit.

    >>> from cdisc_msc.config import AnalysisWindow as W
    >>> ws = [W(avisit="Month 1", avisitn=1, start_day=2, end_day=60, target_day=31),
    ...       W(avisit="Month 3", avisitn=3, start_day=61, end_day=135, target_day=91)]
    >>> derive_vars_window(pd.DataFrame({"ADY": [60, 61, 200]}), ws).AVISITN.tolist()
    [1, 3, <NA>]
    """
    require_columns(df, [ady_col], "derive_vars_window")
    w = _windows_frame(windows)
    ady = pd.to_numeric(df[ady_col]).astype("Float64")
    day = ady.to_numpy(dtype=float, na_value=np.nan)
    pos = np.searchsorted(w["AWLO"].to_numpy(dtype=float), day, side="right") - 1
    safe = np.clip(pos, 0, len(w) - 1)
    inside = (pos >= 0) & ~np.isnan(day) & (day <= w["AWHI"].to_numpy(dtype=float)[safe])
    out = df.copy(deep=False)  # copy-on-write: the input is never modified
    # the window of each record taken from the (few) windows' arrays, missing outside every window
    out["AVISIT"] = pd.Series(w["AVISIT"].astype("str").array.take(safe), index=df.index).where(inside)
    for col in ("AVISITN", "AWLO", "AWHI", "AWTARGET"):
        out[col] = pd.Series(pd.arrays.IntegerArray(w[col].to_numpy(dtype=np.int64)[safe], ~inside), index=df.index)
    out["AWTDIFF"] = (ady - out["AWTARGET"]).abs().astype("Int64")
    return out


def window_grid(keys: pd.DataFrame, windows: Sequence[AnalysisWindow]) -> pd.DataFrame:
    """Every row of ``keys`` (e.g. USUBJID, TRTSDT) crossed with every window.

    Adds AVISIT, AVISITN, AWLO, AWHI, AWTARGET; used so that a subject with
    no data in a window still gets a row (non-responder imputation).

    >>> from cdisc_msc.config import AnalysisWindow as W
    >>> ws = [W(avisit="Month 3", avisitn=3, start_day=61, end_day=135, target_day=91)]
    >>> window_grid(pd.DataFrame({"USUBJID": ["A", "B"]}), ws)[["USUBJID", "AVISITN"]].values.tolist()
    [['A', 3], ['B', 3]]
    """
    w = _windows_frame(windows).astype({"AVISITN": "Int64", "AWLO": "Int64", "AWHI": "Int64", "AWTARGET": "Int64"})
    return keys.reset_index(drop=True).merge(w, how="cross")


# ------------------------------------------------------------- ordering ----
def _order(order: OrderSpec) -> tuple[list[str], list[bool]]:
    cols, asc = [], []
    for item in order:
        if isinstance(item, tuple):
            cols.append(item[0])
            asc.append(bool(item[1]))
        else:
            cols.append(item)
            asc.append(True)
    return cols, asc


def extreme_mask(df: pd.DataFrame, by: Sequence[str], order: OrderSpec, mode: Literal["first", "last"] = "last",
                 na_position: Literal["first", "last"] = "first") -> np.ndarray:
    """Boolean mask (positions of ``df``) of the first or last record of each ``by`` group after sorting by ``order``.

    ``order`` items are column names (ascending) or ``(column, ascending)``
    tuples. Missing values sort first by default, so ``mode="last"`` prefers
    known values; ties keep the input order (stable sort), as in a pandas
    sort and group-by. One stable integer sort: the group (one code for the
    ``by`` values) first, then each ``order`` column as ranks.

    >>> d = pd.DataFrame({"ID": [1, 1, 2], "ADT": [3, 5, 4]})
    >>> extreme_mask(d, ["ID"], ["ADT"], "last").tolist()
    [False, True, True]
    """
    cols, asc = _order(order)
    require_columns(df, [*by, *cols], "extreme_mask")
    if mode not in ("first", "last") or na_position not in ("first", "last"):
        raise ValueError(f"extreme_mask: mode and na_position must be 'first' or 'last', got {mode!r}, {na_position!r}")
    if not len(df):
        return np.zeros(0, dtype=bool)
    group = key_codes([df], by)[0] if by else np.zeros(len(df), dtype=np.int64)
    ranks = [_rank_codes(df[c], a, na_position) for c, a in zip(cols, asc)]
    rows = _stable_order([group, *ranks])
    grp = group[rows]
    edge = grp[1:] != grp[:-1]
    chosen = np.zeros(len(df), dtype=bool)
    chosen[rows[np.r_[True, edge] if mode == "first" else np.r_[edge, True]]] = True
    return chosen


def _stable_order(keys: list[np.ndarray]) -> np.ndarray:
    """Positions sorting by ``keys`` (first key primary; non-negative ranks), ties in input order
    (``spec.apply.stable_order_of``: one sort of the packed keys when they fit an int64).

    >>> _stable_order([np.array([1, 0, 1]), np.array([0, 5, 0])]).tolist()
    [1, 0, 2]
    """
    order = stable_order_of([(key, int(key.max(initial=0)) + 1) for key in keys])
    return np.arange(len(keys[0])) if order is None else order


def _rank_codes(values: pd.Series, ascending: bool, na_position: str) -> np.ndarray:
    """Ranks 0..n ordering ``values`` as a pandas sort does (equal values tie; missing first or last).

    >>> _rank_codes(pd.Series([2.0, None, 1.0]), ascending=False, na_position="first").tolist()
    [1, 0, 2]
    """
    codes, n = sorted_factorize(values)
    missing = codes < 0
    if not ascending:
        codes = np.where(missing, codes, n - 1 - codes)
    return np.where(missing, 0, codes + 1) if na_position == "first" else np.where(missing, n, codes)


def _has_value(df: pd.DataFrame, value_cols: Sequence[str]) -> pd.Series:
    present = pd.Series(False, index=df.index)
    for col in value_cols:
        s = df[col]
        if pd.api.types.is_numeric_dtype(s):
            ok = s.notna().to_numpy()
        else:  # text: present and not blank, judged once per distinct value
            codes, distinct = distinct_text(s)
            ok = np.append(distinct.str.strip().ne("").to_numpy(dtype=bool), False)[codes]  # code -1: missing
        present |= ok
    return present


def derive_var_ablfl(
    df: pd.DataFrame,
    by: Sequence[str],
    order: OrderSpec,
    ady_col: str = "ADY",
    value_cols: Sequence[str] = ("AVAL",),
    baseline_day: int = 1,
    new_col: str = "ABLFL",
    set_avisit: bool = True,
) -> pd.DataFrame:
    """Flag the baseline record: the last non-missing record with ADY <= ``baseline_day`` per ``by``.

    ``order`` sorts records within a group (e.g. ``["ADT", "ATM", "QSSEQ"]``);
    the last one is the baseline. A record counts as non-missing when any of
    ``value_cols`` is non-missing (and non-blank). Sets ``new_col = "Y"`` and,
    with ``set_avisit``, AVISIT = "Baseline", AVISITN = 0 on it.

    >>> d = pd.DataFrame({"USUBJID": "S1", "PARAMCD": "P", "ADY": [-10, 1, 1, 31],
    ...                   "AVAL": [5.0, 6.0, None, 7.0], "SEQ": [1, 2, 3, 4]})
    >>> derive_var_ablfl(d, ["USUBJID", "PARAMCD"], ["ADY", "SEQ"]).ABLFL.tolist()
    [nan, 'Y', nan, nan]
    """
    cols, _ = _order(order)
    require_columns(df, [*by, *cols, ady_col, *value_cols], "derive_var_ablfl")
    ady = pd.to_numeric(df[ady_col])
    mask = (ady <= baseline_day).fillna(False).to_numpy(dtype=bool) & _has_value(df, value_cols).to_numpy()
    cand = df.loc[mask, list(dict.fromkeys([*by, *cols]))]
    is_base = np.zeros(len(df), dtype=bool)
    is_base[np.flatnonzero(mask)[extreme_mask(cand, by, order, "last")]] = True
    out = df.copy(deep=False)  # copy-on-write: the input is never modified
    out[new_col] = pd.Series("Y", index=df.index, dtype="str").where(is_base)
    if set_avisit:
        avisit = out["AVISIT"] if "AVISIT" in out else pd.Series(np.nan, index=df.index, dtype="str")
        avisitn = out["AVISITN"] if "AVISITN" in out else pd.Series(pd.NA, index=df.index, dtype="Int64")
        out["AVISIT"] = avisit.astype("str").mask(is_base, BASELINE_AVISIT).where(avisit.notna() | is_base)
        out["AVISITN"] = avisitn.astype("Int64").mask(is_base, BASELINE_AVISITN)
    return out


def derive_var_anl01fl(
    df: pd.DataFrame,
    by: Sequence[str],
    ady_col: str = "ADY",
    time_col: str | None = None,
    seq_col: str | None = None,
    value_cols: Sequence[str] = ("AVAL",),
    avisitn_col: str = "AVISITN",
    target_col: str = "AWTARGET",
    ablfl_col: str = "ABLFL",
    new_col: str = "ANL01FL",
) -> pd.DataFrame:
    """Flag the analysed record per ``by`` (e.g. USUBJID, PARAMCD) and window (SAP 2).

    Among non-missing records of a window: closest to the target day; on a
    tie the later day; on the same day the later time (``time_col``, missing
    time sorts first); else the higher ``seq_col``. Baseline records
    (``ablfl_col == "Y"``) are flagged too. Records outside every window get
    no flag.

    >>> d = pd.DataFrame({"USUBJID": "S1", "ADY": [81, 101, 95], "AVISITN": 3, "AWTARGET": 91,
    ...                   "AVAL": [1.0, 2.0, 3.0], "SEQ": [1, 2, 3]})
    >>> derive_var_anl01fl(d, ["USUBJID"], seq_col="SEQ").ANL01FL.tolist()   # 81 and 101 tie, 95 wins
    [nan, nan, 'Y']
    """
    extra = [c for c in (time_col, seq_col) if c]
    require_columns(df, [*by, ady_col, avisitn_col, target_col, *value_cols, *extra], "derive_var_anl01fl")
    ady = pd.to_numeric(df[ady_col]).astype("Float64")
    target = pd.to_numeric(df[target_col]).astype("Float64")
    work = df[list(dict.fromkeys([*by, avisitn_col, *extra]))].assign(_DIST=(ady - target).abs(), _ADY=ady)
    in_window = (work[avisitn_col].notna() & target.notna() & ady.notna()).to_numpy(dtype=bool)
    candidate = in_window & _has_value(df, value_cols).to_numpy()
    order: list[str | tuple[str, bool]] = [("_DIST", False), "_ADY", *extra]
    flag = np.zeros(len(df), dtype=bool)
    flag[np.flatnonzero(candidate)[extreme_mask(work[candidate], [*by, avisitn_col], order, "last")]] = True
    if ablfl_col in df.columns:
        flag |= (df[ablfl_col] == "Y").fillna(False).to_numpy(dtype=bool)
    out = df.copy(deep=False)  # copy-on-write: the input is never modified
    out[new_col] = pd.Series("Y", index=df.index, dtype="str").where(flag)
    return out


def windows_assessing(config, assessment: str) -> list[AnalysisWindow]:
    """Analysis windows that contain the target day of a scheduled visit assessing ``assessment``
    (e.g. ``disease_activity`` or ``steroids`` in the study configuration's visit schedule)."""
    targets = [v.target_day for v in config.visits if assessment in v.assessments]
    return [w for w in config.analysis_windows if any(w.start_day <= t <= w.end_day for t in targets)]
