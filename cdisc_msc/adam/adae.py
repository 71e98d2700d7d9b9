"""ADAE (ADaM OCCDS v1.1): every SDTM AE record with ADSL variables.

Derivations (MethodDefs in ``specs/adam/methods/adae.yaml``; SAP 4.1, 4.8):

* AENDT/AENDTF, then ASTDT/ASTDTF: partial dates imputed per SAP 4.8
  (:func:`impute_end`, :func:`impute_start`); a missing year is not imputed.
* ASTDY/AENDY: study day of ASTDT/AENDT versus ADSL.TRTSDT (no day 0).
* TRTEMFL: start on or after the infusion date; on the infusion date, when
  both times are known, at or after the infusion start (:func:`treatment_emergent`).
* ATOXGR/ATOXGRN: the collected CTCAE grade (AETOXGR stays as collected);
  a missing grade is analysed as ``MISSING_GRADE`` (GRIMPFL = "Y").
  AREL: the collected relationship; missing -> ``MISSING_REL`` (RELIMPFL = "Y").
* TOXFL: treatment-emergent and AREL in ``RELATED_TERMS`` (a toxicity).
* ACUTEFL, CUMM1FL .. CUMM12FL: treatment-emergent AEs starting on study day
  1 .. ``config.acute_window_last_day`` / 1 .. the configured target day of the Month 1, 3,
  6 and 12 analysis windows (cumulative toxicity at M1, M3, M6, M12).
* AOCCFL/AOCCSFL/AOCCPFL: first treatment-emergent record per subject /
  subject and SOC / subject, SOC and PT (by ASTDT, then AESEQ).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_msc.adam.adsl import from_sas_date, to_sas_date
from cdisc_msc.config import StudyConfig
from cdisc_msc.scoring import require_columns
from cdisc_msc.sdtm.common import dtc_to_datetime

RELATED_TERMS: tuple[str, ...] = ("RELATED", "PROBABLY RELATED", "POSSIBLY RELATED")
"""AEREL terms that make a treatment-emergent AE a toxicity (SAP 4.1)."""
MISSING_REL = "RELATED"
"""Analysis relationship of an AE whose relationship was not assessed (SAP 4.1: counts as related)."""
MISSING_GRADE = "3"
"""Analysis toxicity grade of an AE without a collected grade (SAP 4.1)."""
CUMULATIVE_FLAGS: dict[str, int] = {"CUMM1FL": 1, "CUMM3FL": 3, "CUMM6FL": 6, "CUMM12FL": 12}
"""Flag -> AVISITN of the analysis window whose target day ends the cumulative period."""

ADSL_VARIABLES: tuple[str, ...] = (
    "SUBJID", "SITEID", "AGE", "AGEGR1", "AGEGR1N", "SEX", "RACE", "TRT01P", "TRT01PN", "TRT01A", "TRT01AN",
    "TRTSDT", "TRTSDTM", "TRTEDT", "SAFFL", "EOSDT", "DTHDT",
)
AE_VARIABLES: tuple[str, ...] = (
    "STUDYID", "USUBJID", "AESEQ", "AESPID", "AETERM", "AELLT", "AELLTCD", "AEDECOD", "AEPTCD", "AEHLT",
    "AEHLTCD", "AEHLGT", "AEHLGTCD", "AEBODSYS", "AEBDSYCD", "AESOC", "AESOCCD", "AESER", "AEACN", "AEREL",
    "AEOUT", "AETOXGR", "EPOCH", "AESTDTC", "AEENDTC",
)

_PARTIAL_RE = r"^(?P<y>\d{4})(?:-(?P<m>\d{2}))?(?:-(?P<d>\d{2}))?"


# ------------------------------------------------------------ partial dates ----
def date_parts(dtc: pd.Series) -> pd.DataFrame:
    """Year, month and day (Int64, missing when unknown) of ISO 8601 (partial) dates.

    >>> date_parts(pd.Series(["2024-03-05T10:00", "2024-03", "2024", None])).values.tolist()
    [[2024, 3, 5], [2024, 3, <NA>], [2024, <NA>, <NA>], [<NA>, <NA>, <NA>]]
    """
    parts = dtc.astype("string").str.extract(_PARTIAL_RE)
    return pd.DataFrame({k: pd.to_numeric(parts[k]).astype("Int64") for k in ("y", "m", "d")}, index=dtc.index)


def _make_date(y: pd.Series, m: pd.Series, d: pd.Series) -> pd.Series:
    frame = pd.DataFrame({"year": y, "month": m, "day": d}).astype("float64")
    return pd.to_datetime(frame, errors="coerce")


def impute_end(dtc: pd.Series, cap: pd.Series) -> tuple[pd.Series, pd.Series]:
    """AENDT (datetime64) and AENDTF from a (partial) end date (SAP 4.8).

    Missing day -> last day of the month (flag D); missing day and month ->
    December 31 (flag M); an imputed date never goes after ``cap`` (the
    subject's end of study or death date, whichever is earlier). Collected
    complete dates are kept; a missing year is not imputed.

    >>> cap = pd.Series(pd.to_datetime([None, None, "2024-12-10", None]))
    >>> d, f = impute_end(pd.Series(["2024-02", "2024", "2024", "2024-05-03"]), cap)
    >>> [str(x.date()) for x in d], f.tolist()
    (['2024-02-29', '2024-12-31', '2024-12-10', '2024-05-03'], ['D', 'M', 'M', <NA>])
    """
    p = date_parts(dtc)
    only_month = p["y"].notna() & p["m"].notna() & p["d"].isna()
    only_year = p["y"].notna() & p["m"].isna()
    complete = _make_date(p["y"], p["m"], p["d"])
    month_end = _make_date(p["y"], p["m"], pd.Series(1, index=dtc.index)) + pd.offsets.MonthEnd(0)
    year_end = _make_date(p["y"], pd.Series(12, index=dtc.index), pd.Series(31, index=dtc.index))
    imputed = month_end.where(only_month, year_end.where(only_year))
    cap = pd.Series(pd.to_datetime(cap).to_numpy(), index=dtc.index)
    capped = imputed.mask((cap < imputed).fillna(False), cap)
    date = complete.where(p["d"].notna(), capped)
    flag = pd.Series(pd.NA, index=dtc.index, dtype="string").mask(only_month, "D").mask(only_year, "M")
    return date, flag


def impute_start(dtc: pd.Series, trtsdt: pd.Series, aendt: pd.Series) -> tuple[pd.Series, pd.Series]:
    """ASTDT (datetime64) and ASTDTF from a (partial) start date (SAP 4.8).

    Missing day -> the 1st of the month, but the infusion date ``trtsdt``
    when the month is the infusion month and the end date ``aendt`` (missing =
    unknown) is not before it (flag D). Missing day and month -> January 1st,
    but the infusion date when the year is the infusion year and the end date
    allows (flag M). A missing year is not imputed.

    >>> trt = pd.Series(pd.to_datetime(["2024-03-15"] * 4))
    >>> end = pd.Series(pd.to_datetime([None, "2024-03-10", None, None]))
    >>> d, f = impute_start(pd.Series(["2024-03", "2024-03", "2024", "2023"]), trt, end)
    >>> [str(x.date()) for x in d], f.tolist()
    (['2024-03-15', '2024-03-01', '2024-03-15', '2023-01-01'], ['D', 'D', 'M', 'M'])
    """
    p = date_parts(dtc)
    trt = pd.Series(pd.to_datetime(trtsdt).to_numpy(), index=dtc.index)
    end = pd.Series(pd.to_datetime(aendt).to_numpy(), index=dtc.index)
    only_month = p["y"].notna() & p["m"].notna() & p["d"].isna()
    only_year = p["y"].notna() & p["m"].isna()
    end_allows = end.isna() | (end >= trt)
    same_year = (p["y"] == trt.dt.year.astype("Int64")).fillna(False)
    same_month = same_year & (p["m"] == trt.dt.month.astype("Int64")).fillna(False)
    one = pd.Series(1, index=dtc.index)
    month_start = _make_date(p["y"], p["m"], one).mask(only_month & same_month & end_allows, trt)
    year_start = _make_date(p["y"], one, one).mask(only_year & same_year & end_allows, trt)
    complete = _make_date(p["y"], p["m"], p["d"])
    date = complete.where(p["d"].notna(), month_start.where(only_month, year_start.where(only_year)))
    flag = pd.Series(pd.NA, index=dtc.index, dtype="string").mask(only_month, "D").mask(only_year, "M")
    return date, flag


def relative_day(date: pd.Series, ref: pd.Series) -> pd.Series:
    """Study day of ``date`` versus ``ref`` (datetime64): day 1 = ref, no day 0.

    >>> relative_day(pd.Series(pd.to_datetime(["2024-03-15", "2024-03-14"])),
    ...              pd.Series(pd.to_datetime(["2024-03-15"] * 2))).tolist()
    [1, -1]
    """
    diff = (pd.to_datetime(date) - pd.to_datetime(ref)).dt.days
    return diff.where(diff < 0, diff + 1).astype("Int64")


# ------------------------------------------------------------ flags ----
def _y(mask: pd.Series) -> pd.Series:
    """True -> "Y", otherwise missing."""
    return pd.Series(pd.NA, index=mask.index, dtype="string").mask(mask.fillna(False).astype(bool), "Y")


def treatment_emergent(astdt: pd.Series, aestdtc: pd.Series, trtsdt: pd.Series, trtsdtm: pd.Series,
                       aendt: pd.Series) -> pd.Series:
    """TRTEMFL: "Y" when the AE starts on or after the infusion (SAP 4.1).

    ``astdt``, ``trtsdt``, ``aendt`` are datetime64 dates, ``trtsdtm`` the
    infusion start datetime (NaT if unknown), ``aestdtc`` the collected start.
    On the infusion date the AE is emergent unless both times are known and
    the AE time is before the infusion start. A start date that cannot be
    imputed (missing year) counts as emergent unless the AE ended before the
    infusion date (conservative). Subjects never infused: missing.

    >>> t = pd.Series(pd.to_datetime(["2024-03-15"] * 4)); tm = pd.Series(pd.to_datetime(["2024-03-15T10:00"] * 4))
    >>> a = pd.Series(pd.to_datetime(["2024-03-15", "2024-03-15", "2024-03-15", "2024-03-14"]))
    >>> treatment_emergent(a, pd.Series(["2024-03-15T09:00", "2024-03-15T10:00", "2024-03-15", "2024-03-14"]),
    ...                    t, tm, pd.Series(pd.NaT, index=range(4))).tolist()
    [<NA>, 'Y', 'Y', <NA>]
    """
    ast, trt = pd.to_datetime(astdt), pd.to_datetime(trtsdt)
    ae_time = dtc_to_datetime(aestdtc.astype("string"))
    before_start = ae_time.notna() & pd.to_datetime(trtsdtm).notna() & (ae_time < pd.to_datetime(trtsdtm))
    emergent = (ast > trt) | ((ast == trt) & ~before_start)
    unknown_start = ast.isna() & trt.notna() & ~(pd.to_datetime(aendt) < trt).fillna(False)
    return _y((emergent | unknown_start) & trt.notna())


def analysis_grade(aetoxgr: pd.Series) -> pd.DataFrame:
    """ATOXGR/ATOXGRN (missing grade -> ``MISSING_GRADE``) and GRIMPFL.

    >>> analysis_grade(pd.Series(["2", None])).values.tolist()
    [['2', 2, <NA>], ['3', 3, 'Y']]
    """
    grade = aetoxgr.astype("string")
    missing = grade.isna() | (grade.str.strip() == "")
    atox = grade.mask(missing, MISSING_GRADE)
    return pd.DataFrame({"ATOXGR": atox, "ATOXGRN": pd.to_numeric(atox).astype("Int64"),
                         "GRIMPFL": _y(missing)}, index=aetoxgr.index)


def analysis_relationship(aerel: pd.Series) -> pd.DataFrame:
    """AREL (missing relationship -> ``MISSING_REL``) and RELIMPFL.

    >>> analysis_relationship(pd.Series(["NOT RELATED", None])).values.tolist()
    [['NOT RELATED', <NA>], ['RELATED', 'Y']]
    """
    rel = aerel.astype("string")
    missing = rel.isna() | (rel.str.strip() == "")
    return pd.DataFrame({"AREL": rel.mask(missing, MISSING_REL), "RELIMPFL": _y(missing)}, index=aerel.index)


def window_flags(trtemfl: pd.Series, astdy: pd.Series, config: StudyConfig) -> pd.DataFrame:
    """ACUTEFL (study day 1..``config.acute_window_last_day``) and the cumulative CUMMxFL
    (study day 1 .. target day of the configured window) on treatment-emergent records.

    >>> window_flags(pd.Series(["Y", "Y", None]), pd.Series([10, 31, 5]), cfg)  # doctest: +SKIP
    """
    day = pd.to_numeric(astdy).astype("Float64")
    teae = (trtemfl == "Y").fillna(False)
    cutoffs = {"ACUTEFL": config.acute_window_last_day} | {f: config.window(n).target_day for f, n in CUMULATIVE_FLAGS.items()}
    return pd.DataFrame({f: _y(teae & (day >= 1) & (day <= last)) for f, last in cutoffs.items()}, index=astdy.index)


def occurrence_flags(df: pd.DataFrame) -> pd.DataFrame:
    """AOCCFL/AOCCSFL/AOCCPFL: the first treatment-emergent record per subject /
    subject and AEBODSYS / subject, AEBODSYS and AEDECOD, ordered by ASTDT
    (missing last) then AESEQ.

    >>> d = pd.DataFrame({"USUBJID": "A", "AEBODSYS": ["S1", "S1", "S2"], "AEDECOD": ["P1", "P2", "P3"],
    ...                   "ASTDT": [5.0, 3.0, 4.0], "AESEQ": [1, 2, 3], "TRTEMFL": ["Y", "Y", "Y"]})
    >>> occurrence_flags(d).values.tolist()
    [[<NA>, <NA>, 'Y'], ['Y', 'Y', 'Y'], [<NA>, 'Y', 'Y']]
    """
    require_columns(df, ["USUBJID", "AEBODSYS", "AEDECOD", "ASTDT", "AESEQ", "TRTEMFL"], "occurrence_flags")
    teae = df[(df["TRTEMFL"] == "Y").fillna(False).to_numpy(dtype=bool)]
    srt = teae.sort_values(["ASTDT", "AESEQ"], kind="mergesort", na_position="last")
    out = {}
    for flag, by in (("AOCCFL", ["USUBJID"]), ("AOCCSFL", ["USUBJID", "AEBODSYS"]),
                     ("AOCCPFL", ["USUBJID", "AEBODSYS", "AEDECOD"])):
        first = srt.groupby(by, sort=False, dropna=False).head(1).index
        out[flag] = _y(pd.Series(df.index.isin(first), index=df.index))
    return pd.DataFrame(out, index=df.index)


# ------------------------------------------------------------ dataset ----
def derive_adae(ae: pd.DataFrame, adsl: pd.DataFrame, config: StudyConfig) -> pd.DataFrame:
    """ADAE: SDTM AE records with ADSL variables and the analysis variables above."""
    require_columns(ae, AE_VARIABLES, "derive_adae (AE)")
    require_columns(adsl, ["USUBJID", *ADSL_VARIABLES], "derive_adae (ADSL)")
    base = ae[list(AE_VARIABLES)].reset_index(drop=True)
    out = base.merge(adsl[["USUBJID", *ADSL_VARIABLES]], on="USUBJID", how="left", validate="many_to_one")
    trt = from_sas_date(out["TRTSDT"])
    trt_dtm = pd.to_datetime(pd.Timestamp("1960-01-01") + pd.to_timedelta(
        pd.to_numeric(out["TRTSDTM"]).astype("float64"), unit="s"))
    caps = pd.concat([from_sas_date(out["EOSDT"]), from_sas_date(out["DTHDT"])], axis=1).min(axis=1)
    aendt, out["AENDTF"] = impute_end(out["AEENDTC"], caps)
    astdt, out["ASTDTF"] = impute_start(out["AESTDTC"], trt, aendt)
    out["ASTDT"], out["AENDT"] = to_sas_date(astdt), to_sas_date(aendt)
    out["ASTDY"], out["AENDY"] = relative_day(astdt, trt), relative_day(aendt, trt)
    out["TRTEMFL"] = treatment_emergent(astdt, out["AESTDTC"], trt, trt_dtm, aendt)
    out = pd.concat([out, analysis_grade(out["AETOXGR"]), analysis_relationship(out["AEREL"])], axis=1)
    out["TOXFL"] = _y((out["TRTEMFL"] == "Y").fillna(False) & out["AREL"].isin(RELATED_TERMS))
    out = pd.concat([out, window_flags(out["TRTEMFL"], out["ASTDY"], config), occurrence_flags(out)], axis=1)
    return out


SDTM_INPUTS: tuple[str, ...] = ("AE",)
"""The SDTM datasets :func:`build` reads (``build_adam`` releases them after their last reader)."""


def build(ctx) -> dict[str, pd.DataFrame]:
    """ADAE from SDTM AE and ADSL."""
    return {"ADAE": derive_adae(ctx.sdtm["AE"], ctx.datasets["ADSL"], ctx.config)}
