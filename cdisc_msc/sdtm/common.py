"""Shared SDTM derivations: identifiers, ISO 8601 dates, study days, --SEQ,
EPOCH, --LOBXFL and SUPPQUAL.

Each function is small, vectorised, checks its required columns first
(``require``), and returns a new frame rather than mutating its input.
"""
from __future__ import annotations

from typing import Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from cdisc_msc.config import StudyConfig
from cdisc_msc.scoring import MissingColumnsError, distinct_values, per_distinct, require_columns
from cdisc_msc.io.columns import factorize_column, row_of_each, spread
from cdisc_msc.spec.apply import combined_codes, stable_order


DerivationError = MissingColumnsError
"""A derivation was given a frame without the columns it needs."""


def require(df: pd.DataFrame, columns: Iterable[str], where: str) -> None:
    """Fail with a message naming every missing column (one rule for SDTM,
    ADaM and scoring: ``cdisc_msc.scoring.require_columns``)."""
    require_columns(df, columns, where)


# ------------------------------------------------------------------ identifiers
def usubjid(studyid: str, siteid: pd.Series, subjid: pd.Series) -> pd.Series:
    """USUBJID = STUDYID-SITEID-SUBJID, e.g. ``MSC-SLE-001-004``."""
    return studyid + "-" + siteid.astype(str) + "-" + subjid.astype(str)


def add_subject_ids(df: pd.DataFrame, subjects: pd.DataFrame, config: StudyConfig,
                    domain: str | None = None) -> pd.DataFrame:
    """Prefix a raw form with STUDYID, DOMAIN and USUBJID from the subject map.

    ``subjects`` has SUBJID and USUBJID (from DM). Raw rows whose SUBJID is not
    in DM are a raw-data error caught by the reader; here they would get NA.

    >>> subj = pd.DataFrame({"SUBJID": ["001"], "USUBJID": ["MSC-SLE-001-001"]})
    >>> add_subject_ids(pd.DataFrame({"SUBJID": ["001"]}), subj, cfg, "AE").columns.tolist()  # doctest: +SKIP
    ['STUDYID', 'DOMAIN', 'USUBJID', 'SUBJID']
    """
    require(df, ["SUBJID"], "add_subject_ids")
    require(subjects, ["SUBJID", "USUBJID"], "add_subject_ids (subjects)")
    ids = subjects[["SUBJID", "USUBJID"]]
    if ids["SUBJID"].duplicated().any():  # what merge(validate="many_to_one") would refuse
        raise pd.errors.MergeError("add_subject_ids: SUBJID is not unique in the subject map")
    # a lookup by position instead of a merge: no copy of the form's columns
    pos = pd.Index(ids["SUBJID"]).get_indexer(df["SUBJID"])
    found = spread(ids["USUBJID"].to_numpy(dtype=object), pos, None)  # position -1: not in DM
    out = df.reset_index(drop=True).assign(USUBJID=pd.Series(found, dtype=ids["USUBJID"].dtype))
    out.insert(0, "STUDYID", config.studyid)
    if domain is not None:
        out.insert(1, "DOMAIN", domain)
    cols = ["STUDYID"] + (["DOMAIN"] if domain else []) + ["USUBJID"]
    return out[cols + [c for c in out.columns if c not in cols]]


# ------------------------------------------------------------------ dates
def iso_date(raw: pd.Series) -> pd.Series:
    """Raw date (``YYYY-MM-DD``, ``YYYY-MM-UN``, ``YYYY-UN-UN``) to ISO 8601,
    truncating unknown parts, never inventing them.

    >>> iso_date(pd.Series(["2024-03-05", "2024-03-UN", "2024-UN-UN", None])).tolist()
    ['2024-03-05', '2024-03', '2024', <NA>]
    """
    return per_distinct(_iso_date, raw.astype("string"))


def _iso_date(raw: pd.Series) -> pd.Series:
    s = raw.str.replace(r"-UN-UN$", "", regex=True).str.replace(r"-UN$", "", regex=True)
    return s.where(s.notna() & (s != ""), pd.NA)


def iso_datetime(date: pd.Series, time: pd.Series | None = None) -> pd.Series:
    """ISO date plus ``THH:MM`` where the time is known and the date complete.

    >>> iso_datetime(pd.Series(["2024-03-05", "2024-03-UN"]), pd.Series(["09:30", "10:00"])).tolist()
    ['2024-03-05T09:30', '2024-03']
    """
    d = iso_date(date)
    if time is None:
        return d
    t = time.astype("string")
    full = d.str.len() == 10
    has_t = t.notna() & (t != "")
    return d.mask(full & has_t, d + "T" + t)


def _dtc_to_date(dtc: pd.Series) -> pd.Series:
    s = dtc.astype("string").str.slice(0, 10)
    s = s.where(s.str.len() == 10)
    return pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")


def dtc_to_date(dtc: pd.Series) -> pd.Series:
    """The complete date part of an ISO --DTC as datetime64 (NaT when partial)."""
    return per_distinct(_dtc_to_date, dtc)


def _dtc_to_datetime(dtc: pd.Series) -> pd.Series:
    s = dtc.astype("string")
    s = s.where(s.str.len() >= 16)
    return pd.to_datetime(s, format="ISO8601", errors="coerce")


def dtc_to_datetime(dtc: pd.Series) -> pd.Series:
    """A complete ISO date-time (``YYYY-MM-DDTHH:MM[:SS]``) as datetime64; NaT otherwise."""
    return per_distinct(_dtc_to_datetime, dtc)


def study_day(dtc: pd.Series, rfstdtc: pd.Series) -> pd.Series:
    """--DY from dates only: day 1 = reference date, no day 0.

    >>> study_day(pd.Series(["2024-03-05", "2024-03-04", "2024-03", None]),
    ...           pd.Series(["2024-03-05T09:30"] * 4)).tolist()
    [1, -1, <NA>, <NA>]
    """
    d = dtc_to_date(dtc)
    r = dtc_to_date(rfstdtc)
    delta = (d - r).dt.days
    day = delta.where(delta < 0, delta + 1)
    return day.astype("Int64")


# ------------------------------------------------------------------ sequence
def derive_seq(df: pd.DataFrame, seq_var: str, order: list[str]) -> pd.DataFrame:
    """Sort by USUBJID then ``order`` and number records 1.. within subject.

    The order uses natural keys only, so --SEQ is stable across rebuilds.
    Records are ordered on integer codes of the keys (stable, missing values
    last) and taken once; the number restarts where the USUBJID code changes.

    >>> derive_seq(pd.DataFrame({"USUBJID": ["A", "A", "B"], "X": [2, 1, 5]}), "XXSEQ", ["X"])["XXSEQ"].tolist()
    [1, 2, 1]
    """
    require(df, ["USUBJID", *order], "derive_seq")
    position = stable_order(df, ["USUBJID", *order], na_first=False)
    out = (df if position is None else df.take(position)).reset_index(drop=True)
    return out.assign(**{seq_var: numbers_within(out["USUBJID"])})


def numbers_within(sorted_ids: pd.Series) -> pd.Series:
    """1, 2, ... within each run of equal values of an already sorted column
    (NA where the value is missing, as a groupby would leave it).

    >>> numbers_within(pd.Series(["A", "A", "B", None])).tolist()
    [1, 2, 1, <NA>]
    """
    codes = factorize_column(sorted_ids).codes
    n = len(codes)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if n else np.zeros(0, dtype=np.intp)
    run_start = np.repeat(starts, np.diff(np.r_[starts, n]))
    seq = pd.array(np.arange(n, dtype=np.int64) - run_start + 1, dtype="Int64")
    seq[codes < 0] = pd.NA
    return pd.Series(seq, index=sorted_ids.index)


# ------------------------------------------------------------------ epoch
def derive_epoch(df: pd.DataFrame, dtc_var: str, se: pd.DataFrame) -> pd.Series:
    """EPOCH of each record from the subject's SE elements.

    A record belongs to the last element whose [SESTDTC, SEENDTC] contains it;
    a date without time is compared at day precision, so a date-only record on
    the infusion day is TREATMENT, while one timed before the infusion start is
    SCREENING. Partial or missing dates get no EPOCH.

    Elements are ordered by subject and TAETORD; each record is tested against
    its subject's 1st, 2nd... element in turn (a subject has a handful), a
    later match replacing an earlier one. Dates are parsed once per distinct value.
    """
    require(df, ["USUBJID", dtc_var], "derive_epoch")
    require(se, ["USUBJID", "SESTDTC", "SEENDTC", "EPOCH", "TAETORD"], "derive_epoch (SE)")
    el = se.iloc[np.lexsort([pd.to_numeric(se["TAETORD"]).to_numpy(dtype="float64"),
                             pd.factorize(se["USUBJID"], use_na_sentinel=False)[0]])]
    el_subj, subjects = pd.factorize(el["USUBJID"], use_na_sentinel=False)
    first = np.searchsorted(el_subj, np.arange(len(subjects)))
    count = np.bincount(el_subj, minlength=len(subjects))
    start_day, start = _dtc_instants(el["SESTDTC"], "date", "start")
    (end,) = _dtc_instants(el["SEENDTC"], "end")
    lo, hi, timed = _dtc_instants(df[dtc_var], "start", "end", "timed")
    subj = pd.Index(subjects).get_indexer(df["USUBJID"])
    n_el = np.where(subj >= 0, count[subj] if len(count) else 0, 0)
    chosen = np.full(len(df), -1, dtype=np.intp)
    for k in range(int(n_el.max()) if len(n_el) else 0):
        rows = np.flatnonzero(n_el > k)
        e = first[subj[rows]] + k
        # timed record: instant inside [start, end]; date-only: day overlaps the element's days
        inside = np.where(timed[rows], (lo[rows] >= start[e]) & (lo[rows] <= end[e]),
                          (hi[rows] >= start_day[e]) & (lo[rows] <= end[e]))
        chosen[rows[inside]] = e[inside]
    epoch = spread(el["EPOCH"].astype("string").to_numpy(dtype=object, na_value=pd.NA), chosen, pd.NA)
    return pd.Series(epoch, index=df.index, dtype="string")


# ------------------------------------------------------------------ baseline
def derive_lobxfl(df: pd.DataFrame, by: list[str], result_var: str, dtc_var: str,
                  rfxstdtc: pd.Series, flag_var: str) -> pd.DataFrame:
    """--LOBXFL = "Y" on the last non-missing result on or before the infusion.

    "On or before": the record's date is before the infusion date, or on it
    (when both times are known, at or before the infusion start). Among those,
    per ``by`` group, the latest --DTC wins; ties keep the higher --SEQ
    (``by`` should make records unique together with --DTC otherwise).
    ``rfxstdtc`` is aligned with ``df`` (one value per record).
    """
    require(df, [*by, result_var, dtc_var], "derive_lobxfl")
    d, t, start = _dtc_instants(df[dtc_var], "date", "full", "start")
    r, rt = _dtc_instants(rfxstdtc, "date", "full")
    same_day_ok = (d == r) & ~(~np.isnat(t) & ~np.isnat(rt) & (t > rt))
    eligible = ((d < r) | same_day_ok) & _has_text(df[result_var])
    seq_cols = [c for c in df.columns if c.endswith("SEQ")]
    # groups as one integer code; rows with a missing key belong to no group (as in a groupby)
    codes = [group_codes(df[k]) for k in by]
    for c, _ in codes:
        eligible &= c >= 0
    group = combined_codes([(np.maximum(c, 0), n) for c, n in codes])
    if group is None:
        group = df.groupby(by, sort=False, dropna=False).ngroup().to_numpy()
    cand = np.flatnonzero(eligible)
    # the last candidate of each group in (time, --SEQ, row) order; NaT and a missing --SEQ sort last
    ts = start[cand].view(np.int64)
    ts = np.where(np.isnat(start[cand]), np.iinfo(np.int64).max, ts)
    keys = [group[cand], ts]
    if seq_cols:
        keys.append(pd.to_numeric(df[seq_cols[0]]).to_numpy(dtype="float64", na_value=np.inf)[cand])
    ordered = cand[np.lexsort([np.arange(len(cand)), *keys[::-1]])]
    g = group[ordered]
    last = ordered[np.r_[g[1:] != g[:-1], True]] if len(ordered) else ordered
    flag = np.full(len(df), None, dtype=object)
    flag[last] = "Y"
    return df.assign(**{flag_var: pd.Series(flag, index=df.index, dtype="string")})


def group_codes(values: pd.Series) -> tuple[np.ndarray, int]:
    """Codes of a column in order of first appearance (-1 = missing) and how many
    distinct values there are (``factorize_column``: text by object identity first).

    >>> group_codes(pd.Series(["b", None, "a", "b"]))
    (array([ 0, -1,  1,  0]), 2)
    """
    f = factorize_column(values)
    return np.asarray(f.codes, dtype=np.int64), len(f.uniques)


def _has_text(values: pd.Series) -> np.ndarray:
    """Non-missing and not the empty string, as a boolean array (checked once per distinct value)."""
    codes, distinct = distinct_values(values)
    return (distinct.astype("string") != "").fillna(False).to_numpy(dtype=bool)[codes]


def _dtc_instants(dtc: pd.Series, *parts: str) -> list[np.ndarray]:
    """Per value of an ISO --DTC column, the ``parts`` asked for, each distinct
    value parsed once: ``date`` (complete date), ``full`` (complete date-time),
    ``start`` and ``end`` of the instant it denotes (date only -> 00:00 and
    23:59:59), as datetime64[ns] arrays (NaT where unknown), and ``timed``
    (whether it carries a time: 16 characters or more).

    >>> end, timed = _dtc_instants(pd.Series(["2024-03-05", "2024-03-05T09:30", "2024-03"]), "end", "timed")
    >>> np.datetime_as_string(end, unit="s").tolist(), timed.tolist()
    (['2024-03-05T23:59:59', '2024-03-05T09:30:00', 'NaT'], [False, True, False])
    """
    pick, distinct = distinct_values(dtc.astype("string"))
    date, full = _dtc_to_date(distinct), _dtc_to_datetime(distinct)
    at = {"date": date, "full": full, "start": full.fillna(date),
          "end": full.fillna(date + pd.Timedelta(days=1) - pd.Timedelta(seconds=1))}
    timed = (distinct.str.len().fillna(0) >= 16).to_numpy(dtype=bool)
    return [timed[pick] if p == "timed" else at[p].to_numpy(dtype="datetime64[ns]")[pick] for p in parts]


# ------------------------------------------------------------------ SUPPQUAL
def make_supp(df: pd.DataFrame, rdomain: str, idvar: str,
              qnams: Mapping[str, tuple[str, str, str]]) -> pd.DataFrame:
    """SUPP-- records for non-standard variables.

    ``qnams`` maps a column of ``df`` to (QLABEL, QORIG, QEVAL). One record per
    non-missing value; IDVARVAL is the text of ``idvar`` (empty when ``idvar``
    is "" for subject-level DM qualifiers).

    >>> d = pd.DataFrame({"STUDYID": ["S"], "USUBJID": ["S-1"], "AESEQ": [1], "AETRTEM": ["Y"]})
    >>> make_supp(d, "AE", "AESEQ", {"AETRTEM": ("Treatment Emergent Flag", "Derived", "")})["IDVARVAL"].tolist()
    ['1']
    """
    require(df, ["STUDYID", "USUBJID", *qnams, *([idvar] if idvar else [])], "make_supp")
    parts = []
    for col, (qlabel, qorig, qeval) in qnams.items():
        vals = df[col].astype("string")
        keep = vals.notna() & (vals != "")
        part = pd.DataFrame({
            "STUDYID": df.loc[keep, "STUDYID"].to_numpy(),
            "RDOMAIN": rdomain,
            "USUBJID": df.loc[keep, "USUBJID"].to_numpy(),
            "IDVAR": idvar,
            "IDVARVAL": (df.loc[keep, idvar].astype("Int64").astype("string").to_numpy() if idvar else ""),
            "QNAM": col,
            "QLABEL": qlabel,
            "QVAL": vals[keep].to_numpy(),
            "QORIG": qorig,
            "QEVAL": qeval,
        })
        parts.append(part)
    cols = ["STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QLABEL", "QVAL", "QORIG", "QEVAL"]
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)
    key = out["IDVARVAL"].astype("string").str.zfill(8)
    return out.assign(_k=key).sort_values(["USUBJID", "_k", "QNAM"], kind="mergesort").drop(columns="_k").reset_index(drop=True)


# ------------------------------------------------------------------ visits
def sdtm_visit(visit: pd.Series, visitnum: pd.Series) -> pd.Series:
    """SDTM VISIT: the planned visit name, or ``UNSCHEDULED <VISITNUM>`` for
    unscheduled visits, so VISIT and VISITNUM stay one-to-one across the study.

    >>> sdtm_visit(pd.Series(["M3", "UNSCHEDULED"]), pd.Series([4.0, 4.1])).tolist()
    ['M3', 'UNSCHEDULED 4.1']
    """
    pairs = pd.DataFrame({"v": visit.astype("string").to_numpy(), "n": pd.to_numeric(visitnum, errors="coerce")
                          .to_numpy(dtype="float64", na_value=np.nan)}, index=visit.index)
    return per_distinct_rows(_sdtm_visit, pairs).rename(visit.name)


def _sdtm_visit(pairs: pd.DataFrame) -> pd.Series:
    v, num = pairs["v"], pairs["n"].round(2).astype("Float64").astype("string")
    return v.mask(v.str.upper() == "UNSCHEDULED", "UNSCHEDULED " + num)


def per_distinct_rows(fn: Callable[[pd.DataFrame], pd.Series], frame: pd.DataFrame) -> pd.Series:
    """``fn(frame)`` worked out once per distinct row of ``frame`` (missing
    values compare equal), aligned with ``frame``.

    >>> f = pd.DataFrame({"a": ["x", "x", "y"], "b": [1, 1, 2]})
    >>> per_distinct_rows(lambda d: d["a"] + d["b"].astype(str), f).tolist()
    ['x1', 'x1', 'y2']
    """
    groups = frame.groupby(list(frame.columns), sort=False, dropna=False)
    codes = groups.ngroup().to_numpy()  # in order of first appearance
    distinct = frame.take(row_of_each(codes, groups.ngroups)).reset_index(drop=True)
    return pd.Series(fn(distinct).array.take(codes), index=frame.index)


# ------------------------------------------------------------------ timing
def add_days_and_epoch(df: pd.DataFrame, dm: pd.DataFrame, se: pd.DataFrame | None,
                       days: Mapping[str, str], epoch_dtc: str | None) -> pd.DataFrame:
    """--DY for each ``{dtc_var: dy_var}`` in ``days`` (from DM.RFSTDTC, no day 0)
    and EPOCH from ``epoch_dtc`` and the subject's SE elements (skipped when
    ``epoch_dtc`` is None). Row order and index are kept.

    >>> dm = pd.DataFrame({"USUBJID": ["S-1"], "RFSTDTC": ["2024-03-05T09:30"]})
    >>> add_days_and_epoch(pd.DataFrame({"USUBJID": ["S-1"], "AESTDTC": ["2024-03-04"]}), dm, None,
    ...                    {"AESTDTC": "AESTDY"}, None)["AESTDY"].tolist()
    [-1]
    """
    require(df, ["USUBJID", *days, *([epoch_dtc] if epoch_dtc else [])], "add_days_and_epoch")
    require(dm, ["USUBJID", "RFSTDTC"], "add_days_and_epoch (DM)")
    out = df.copy()
    ref = out["USUBJID"].map(dm.drop_duplicates("USUBJID").set_index("USUBJID")["RFSTDTC"])
    for dtc_var, dy_var in days.items():
        out[dy_var] = study_day(out[dtc_var], ref)
    if epoch_dtc is not None:
        out["EPOCH"] = (derive_epoch(out, epoch_dtc, se) if se is not None
                        else pd.Series(pd.NA, index=out.index, dtype="string"))
    return out
