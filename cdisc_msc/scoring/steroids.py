"""Systemic glucocorticoids: prednisone-equivalent 28-day average dose, SAP 4.7.

Input frames (others adapt SDTM CM / the raw glucocorticoid log to them):

**Dosing log** ``log`` -- one record per constant-dose period (oral or IV;
an IV pulse is a period of 1..3 days):

==============  ============================================================
``USUBJID``     subject
``DRUG``        coded drug name, a key of ``SteroidRule.conversion``
                (PREDNISONE, PREDNISOLONE, METHYLPREDNISOLONE, ...; case and
                surrounding blanks ignored)
``DOSE``        mg per administration (optional if ``DAILYDOSE`` is given)
``FREQ``        administrations per day (optional; missing = 1)
``DAILYDOSE``   mg per day (optional; when present and non-missing it wins
                over ``DOSE`` x ``FREQ``)
``STDT``        first day of the period (date or ISO text, complete date)
``ENDT``        last day of the period, inclusive (missing = ongoing)
==============  ============================================================

**Assessments** -- one row per subject and time point: ``USUBJID``,
``WINENDT`` (the assessment day = last day of the window, inclusive) and
optionally ``LOGSTDT`` (first day the log covers; default = the subject's
earliest ``STDT``). Any other columns (AVISIT, AVISITN, ...) pass through.

The window is the ``window_days`` (28) days ending on ``WINENDT``; the
average daily dose = total prednisone-equivalent mg over those days / 28.
Each period contributes (prednisone-equivalent mg/day) x (days it overlaps
the window), by interval arithmetic on a subject-wise merge -- no day loop.
Days before the log starts count 0 mg and the window is flagged
(``PRELOGFL = "Y"``).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cdisc_msc.adam.windows import BASELINE_AVISIT, BASELINE_AVISITN, to_date, window_grid
from cdisc_msc.config import AnalysisWindow, SteroidRule
from cdisc_msc.scoring import require_columns, yn

LOG_REQUIRED: tuple[str, ...] = ("USUBJID", "DRUG", "STDT", "ENDT")


def prednisone_equivalent(log: pd.DataFrame, rule: SteroidRule) -> pd.DataFrame:
    """Add ``PEFACTOR`` (mg prednisone per mg), ``DAILYMG`` (mg/day of the drug) and
    ``PEDAILY`` (prednisone-equivalent mg/day) to the dosing log.

    Unknown drug names fail, naming them. A missing dose gives a missing
    ``PEDAILY`` (which makes every window the period overlaps missing).

    >>> rule = SteroidRule(conversion={"METHYLPREDNISOLONE": 1.25})
    >>> log = pd.DataFrame({"USUBJID": "S1", "DRUG": ["methylprednisolone"], "DOSE": [8.0], "FREQ": [2],
    ...                     "STDT": ["2024-01-01"], "ENDT": ["2024-01-10"]})
    >>> prednisone_equivalent(log, rule).PEDAILY.tolist()
    [20.0]
    """
    require_columns(log, LOG_REQUIRED, "steroid log")
    if "DOSE" not in log.columns and "DAILYDOSE" not in log.columns:
        raise ValueError("steroid log: missing required column(s): DOSE or DAILYDOSE")
    out = log.copy()
    drug = log["DRUG"].astype("str").str.strip().str.upper().where(log["DRUG"].notna())
    conv = {k.strip().upper(): float(v) for k, v in rule.conversion.items()}
    unknown = sorted(set(drug[~drug.isin(conv.keys())].fillna("<missing>")))
    if unknown:
        raise ValueError(f"steroid log: no prednisone conversion factor for drug(s): {', '.join(unknown)}")
    out["PEFACTOR"] = drug.map(conv).astype(float)
    daily = pd.Series(np.nan, index=log.index, dtype=float)
    if "DOSE" in log.columns:
        freq = pd.to_numeric(log["FREQ"], errors="coerce").fillna(1.0) if "FREQ" in log.columns else 1.0
        daily = pd.to_numeric(log["DOSE"], errors="coerce").astype(float) * freq
    if "DAILYDOSE" in log.columns:
        given = pd.to_numeric(log["DAILYDOSE"], errors="coerce").astype(float)
        daily = given.where(given.notna(), daily)
    out["DAILYMG"] = daily
    out["PEDAILY"] = daily * out["PEFACTOR"]
    out["STDT"] = to_date(log["STDT"])
    out["ENDT"] = to_date(log["ENDT"])
    bad_start = out["STDT"].isna()
    if bad_start.any():
        subj = ", ".join(sorted(set(log.loc[bad_start, "USUBJID"].astype(str))))
        raise ValueError(f"steroid log: missing or partial start date (impute first, SAP 4.8) for {subj}")
    bad_order = out["ENDT"].notna() & (out["ENDT"] < out["STDT"])
    if bad_order.any():
        subj = ", ".join(sorted(set(log.loc[bad_order, "USUBJID"].astype(str))))
        raise ValueError(f"steroid log: end date before start date for {subj}")
    return out


def average_daily_dose(log: pd.DataFrame, assessments: pd.DataFrame, rule: SteroidRule) -> pd.DataFrame:
    """Average prednisone-equivalent daily dose over the window ending on ``WINENDT``.

    Adds ``WINSTDT`` (first day of the window), ``PETOTAL`` (mg over the
    window), ``AVGDOSE`` (= PETOTAL / window_days, mg/day) and ``PRELOGFL``
    ("Y" when the window starts before the log does; those days count 0).

    Example: 20 mg/day for the last 14 days of the window and 10 mg/day for
    the first 14 -> (14 x 20 + 14 x 10) / 28 = 15 mg/day.
    """
    require_columns(assessments, ["USUBJID", "WINENDT"], "steroid assessments")
    pe = prednisone_equivalent(log, rule)
    n = int(rule.window_days)
    a = assessments.copy()
    a["WINENDT"] = to_date(assessments["WINENDT"])
    a["WINSTDT"] = a["WINENDT"] - pd.Timedelta(days=n - 1)
    first = pe.groupby("USUBJID", as_index=False)["STDT"].min().rename(columns={"STDT": "_FIRST"})
    logst = a[["USUBJID"]].merge(first, on="USUBJID", how="left")["_FIRST"]
    logst.index = a.index
    logst = pd.to_datetime(logst)
    if "LOGSTDT" in a.columns:
        logst = to_date(a["LOGSTDT"]).where(a["LOGSTDT"].notna(), logst)
    a["_ROW"] = np.arange(len(a))

    m = a[["_ROW", "USUBJID", "WINSTDT", "WINENDT"]].merge(
        pe[["USUBJID", "STDT", "ENDT", "PEDAILY"]], on="USUBJID", how="inner"
    )
    start = m[["STDT", "WINSTDT"]].max(axis=1)
    end = m["ENDT"].where(m["ENDT"].notna() & (m["ENDT"] < m["WINENDT"]), m["WINENDT"])
    days = ((end - start).dt.days + 1).clip(lower=0)
    contrib = (m["PEDAILY"] * days).where(days > 0, 0.0)
    total = contrib.groupby(m["_ROW"]).sum()
    unknown = contrib.isna().groupby(m["_ROW"]).any()

    row = pd.Series(a["_ROW"].to_numpy(), index=a.index)
    petotal = row.map(total).fillna(0.0).astype(float)
    petotal = petotal.mask(row.map(unknown).fillna(False).astype(bool))
    a["PETOTAL"] = petotal
    a["AVGDOSE"] = petotal / n
    pre = logst.isna() | (a["WINENDT"].notna() & (a["WINSTDT"] < logst))
    a["PRELOGFL"] = yn(pre).where(pre, other=np.nan)
    a.loc[a["WINENDT"].isna(), ["PETOTAL", "AVGDOSE"]] = np.nan
    return a.drop(columns="_ROW")


def assessment_days(
    subjects: pd.DataFrame,
    windows: Sequence[AnalysisWindow],
    visit_dates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Baseline and one assessment row per subject and window, with ``WINENDT``.

    ``subjects``: ``USUBJID``, ``TRTSDT`` (infusion date), optionally ``LOGSTDT``.
    ``visit_dates`` (optional): ``USUBJID``, ``AVISITN``, ``ADT`` = date of the
    analysed visit in the window. Baseline WINENDT = the day before infusion
    (AVISIT "Baseline", AVISITN 0); a window's WINENDT = its visit date, or
    when the visit is missed the date of the window's target day.
    Adds ``WINENDTF`` = "Y" when the target day was used.

    Example: infusion 2024-01-10, Month 3 missed (target day 91) -> WINENDT 2024-04-09.
    """
    require_columns(subjects, ["USUBJID", "TRTSDT"], "steroid subjects")
    keys = subjects.copy()
    keys["TRTSDT"] = to_date(subjects["TRTSDT"])
    base = keys.assign(AVISIT=BASELINE_AVISIT, AVISITN=BASELINE_AVISITN)
    base["AVISITN"] = base["AVISITN"].astype("Int64")
    base["WINENDT"] = keys["TRTSDT"] - pd.Timedelta(days=1)
    base["WINENDTF"] = np.nan
    grid = window_grid(keys, windows)
    target_date = grid["TRTSDT"] + pd.to_timedelta(grid["AWTARGET"].astype(float) - 1, unit="D")
    if visit_dates is not None:
        require_columns(visit_dates, ["USUBJID", "AVISITN", "ADT"], "steroid visit dates")
        vd = visit_dates[["USUBJID", "AVISITN", "ADT"]].copy()
        vd["AVISITN"] = vd["AVISITN"].astype("Int64")
        vd["ADT"] = to_date(vd["ADT"])
        if vd.duplicated(["USUBJID", "AVISITN"]).any():
            raise ValueError("steroid visit dates: more than one date per USUBJID and AVISITN")
        grid = grid.merge(vd, on=["USUBJID", "AVISITN"], how="left")
        visit = grid["ADT"]
        grid = grid.drop(columns="ADT")
    else:
        visit = pd.Series(pd.NaT, index=grid.index, dtype="datetime64[us]")
    grid["WINENDT"] = visit.where(visit.notna(), target_date)
    grid["WINENDTF"] = pd.Series("Y", index=grid.index, dtype="str").where(visit.isna())
    grid = grid.drop(columns=["AWLO", "AWHI", "AWTARGET"])
    return pd.concat([base, grid], ignore_index=True)


def steroid_response(df: pd.DataFrame, rule: SteroidRule, threshold_decimals: int = 4) -> pd.DataFrame:
    """Reduction from baseline and responder flag.

    Input columns ``BASE`` and ``AVAL`` (average daily doses, mg/day). Adds
    ``PCHG`` = 100 x (AVAL - BASE) / BASE (missing when BASE is 0),
    ``STEVALFL`` ("N" when BASE = 0: not evaluable, else "Y"),
    ``STRESP`` ("Y" when the reduction 100 x (BASE - AVAL) / BASE, rounded to
    ``threshold_decimals``, is >= ``rule.reduction_pct``; missing when not
    evaluable; "N" otherwise) and ``STRIMP`` ("Y" when STRESP = "N" because
    BASE or AVAL is missing: non-responder imputation).

    Example: BASE 20, AVAL 15 -> reduction 25.0 % -> responder.
    """
    require_columns(df, ["BASE", "AVAL"], "steroid response")
    base = pd.to_numeric(df["BASE"], errors="coerce").astype(float)
    aval = pd.to_numeric(df["AVAL"], errors="coerce").astype(float)
    not_eval = base.eq(0)
    safe_base = base.where(~not_eval)
    reduction = (100.0 * (safe_base - aval) / safe_base).round(threshold_decimals)
    missing = base.isna() | aval.isna()
    out = df.copy()
    out["PCHG"] = 100.0 * (aval - safe_base) / safe_base
    out["STEVALFL"] = yn(~not_eval)
    out["STRESP"] = yn((reduction >= rule.reduction_pct) & ~missing).where(~not_eval)
    out["STRIMP"] = yn(missing & ~not_eval)
    return out


def steroid_outcomes(
    log: pd.DataFrame,
    subjects: pd.DataFrame,
    windows: Sequence[AnalysisWindow],
    rule: SteroidRule,
    threshold_decimals: int = 4,
    visit_dates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Average daily dose at baseline and at each window, with BASE, PCHG and the response flags.

    One row per subject and time point (baseline included): the columns of
    :func:`assessment_days` and :func:`average_daily_dose`, ``AVAL`` =
    AVGDOSE, ``BASE`` = the subject's baseline AVGDOSE, ``BLPRELFL`` = the
    baseline's PRELOGFL, and the :func:`steroid_response` flags (missing on
    the baseline row).
    """
    doses = average_daily_dose(log, assessment_days(subjects, windows, visit_dates), rule)
    doses["AVAL"] = doses["AVGDOSE"]
    is_bl = doses["AVISITN"].eq(BASELINE_AVISITN).fillna(False).to_numpy(dtype=bool)
    bl = doses.loc[is_bl].set_index("USUBJID")
    doses["BASE"] = doses["USUBJID"].map(bl["AVGDOSE"])
    doses["BLPRELFL"] = doses["USUBJID"].map(bl["PRELOGFL"])
    out = steroid_response(doses, rule, threshold_decimals)
    flags = ["PCHG", "STEVALFL", "STRESP", "STRIMP"]
    out.loc[is_bl, flags] = np.nan
    return out
