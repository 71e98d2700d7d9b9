"""ADSTER (BDS): prednisone-equivalent average daily glucocorticoid dose and the
>= 25 % reduction responder (SAP 4.7, 5).

Source: SDTM CM records of the systemic glucocorticoid log (CMCAT
``SYSTEMIC GLUCOCORTICOID``, one record per constant-dose period; CMDOSE mg
per administration, CMDOSFRQ administrations per day). Subjects: infused
(ADSL SAFFL = "Y"). Parameters (:func:`parameters`):

* ``PREDAVG`` -- average daily dose (mg prednisone-equivalent/day) over the
  ``window_days`` (28) days ending on the assessment day, by
  :mod:`cdisc_msc.scoring.steroids`. Baseline (AVISIT "Baseline", ABLFL "Y")
  = the 28 days ending the day before infusion; post-baseline one record per
  steroid window (the analysis windows containing the target day of a
  scheduled visit assessing steroids: Month 3, 6, 9, 12). The assessment day
  (ADT = AENDT; ASTDT = first day of the 28) is the date of the analysed
  scheduled steroid visit of the window (SV, closest to the target day, SAP
  2), else the window's target day (``ADTTGTFL = "Y"``). No record for a
  window whose assessment day falls after the subject's end of study (ADSL
  EOSDT; the data cut-off when still ongoing): the log does not cover it.
* ``PREDRESP`` -- responder: average dose reduced by >= reduction_pct (25 %)
  from baseline, compared on values rounded to ``threshold_decimals``. AVALC
  Y/N (AVAL 1/0); baseline 0 -> AVALC "NE" (not evaluable, AVAL empty); a
  missing dose (no PREDAVG value for the window) -> "N" with DTYPE "WC"
  (non-responder imputation).

``PRELOGFL = "Y"``: the 28-day window starts before the subject's first log
record (those days count 0 mg); on PREDRESP also when the baseline window does.
"""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from cdisc_msc.adam.adsl import from_sas_date, to_sas_date
from cdisc_msc.adam.bds import (
    ADSL_BDS_VARS, add_study_day, derive_vars_base_chg, merge_by_keys, require_method_text, yn_to_num,
)
from cdisc_msc.adam.windows import (
    BASELINE_AVISITN, derive_study_day, derive_var_anl01fl, derive_vars_window, to_date,
    windows_assessing,
)
from cdisc_msc.config import AnalysisWindow, SteroidRule, StudyConfig
from cdisc_msc.scoring import require_columns
from cdisc_msc.scoring.steroids import assessment_days, average_daily_dose, steroid_response
from cdisc_msc.sdtm.cm import CAT_GC

PREDAVG, PREDRESP = "PREDAVG", "PREDRESP"
STEROIDS = "steroids"
"""Assessment name (``StudyConfig.visits[].assessments``) of the visits that assess steroid use."""
IMPUTED_DTYPE = "WC"
"""DTYPE of a responder record whose non-response is imputed for missing data (CT C81224 WC)."""
NOT_EVALUABLE = "NE"
FREQ_PER_DAY: dict[str, float] = {"QD": 1.0, "BID": 2.0, "TID": 3.0, "ONCE": 1.0}
"""CMDOSFRQ -> administrations per day (ONCE = one administration on each day of the period)."""
CM_COLUMNS = ["USUBJID", "CMCAT", "CMDECOD", "CMDOSE", "CMDOSFRQ", "CMSTDTC", "CMENDTC"]


def parameters(rule: SteroidRule) -> pd.DataFrame:
    """PARAMCD, PARAM of every ADSTER parameter; PARAM states the configured window and reduction.

    >>> parameters(SteroidRule(conversion={"PREDNISONE": 1.0})).PARAM.tolist()
    ['Prednisone-Eq Average Daily Dose (mg/day) over 28 Days', 'Prednisone-Eq Dose Reduced >= 25% from Baseline']
    """
    return pd.DataFrame([
        (PREDAVG, f"Prednisone-Eq Average Daily Dose (mg/day) over {rule.window_days} Days"),
        (PREDRESP, f"Prednisone-Eq Dose Reduced >= {rule.reduction_pct:g}% from Baseline"),
    ], columns=["PARAMCD", "PARAM"])


# -------------------------------------------------------------------- log ----
def steroid_log(cm: pd.DataFrame) -> pd.DataFrame:
    """The glucocorticoid log of :mod:`cdisc_msc.scoring.steroids` from CM (CMCAT SYSTEMIC GLUCOCORTICOID).

    DRUG = CMDECOD, DOSE = CMDOSE, FREQ = administrations per day of
    CMDOSFRQ (:data:`FREQ_PER_DAY`; an unknown frequency is an error),
    STDT/ENDT = CMSTDTC/CMENDTC (ENDT empty = ongoing).

    >>> cm = pd.DataFrame({"USUBJID": "S1", "CMCAT": ["SYSTEMIC GLUCOCORTICOID", "GENERAL"],
    ...     "CMDECOD": ["PREDNISONE", "ASPIRIN"], "CMDOSE": [10.0, 100.0], "CMDOSFRQ": ["BID", "QD"],
    ...     "CMSTDTC": ["2024-01-01", "2024-01-01"], "CMENDTC": [None, None]})
    >>> steroid_log(cm)[["DRUG", "DOSE", "FREQ"]].values.tolist()
    [['PREDNISONE', 10.0, 2.0]]
    """
    require_columns(cm, CM_COLUMNS, "ADSTER steroid_log (CM)")
    gc = cm[(cm["CMCAT"] == CAT_GC).fillna(False).to_numpy(dtype=bool)]
    freq = gc["CMDOSFRQ"].astype("str").str.strip().str.upper().map(FREQ_PER_DAY)
    if freq.isna().any():
        bad = sorted({str(x) for x in gc.loc[freq.isna(), "CMDOSFRQ"]})
        raise ValueError(f"ADSTER: glucocorticoid CMDOSFRQ without a daily frequency: {', '.join(bad)}")
    return pd.DataFrame({
        "USUBJID": gc["USUBJID"], "DRUG": gc["CMDECOD"], "DOSE": pd.to_numeric(gc["CMDOSE"]).astype("float64"),
        "FREQ": freq.astype("float64"), "STDT": gc["CMSTDTC"], "ENDT": gc["CMENDTC"],
    }, index=gc.index).reset_index(drop=True)


# ------------------------------------------------------- assessment days ----
def steroid_windows(config: StudyConfig) -> list[AnalysisWindow]:
    """Analysis windows containing the target day of a scheduled visit that assesses steroids.

    >>> from cdisc_msc.config import load_config
    >>> [w.avisit for w in steroid_windows(load_config("specs/study.yaml"))]  # doctest: +SKIP
    ['Month 3', 'Month 6', 'Month 9', 'Month 12']
    """
    return windows_assessing(config, STEROIDS)


def analysed_visit_dates(sv: pd.DataFrame, subjects: pd.DataFrame, config: StudyConfig,
                         windows: Sequence[AnalysisWindow]) -> pd.DataFrame:
    """USUBJID, AVISITN, ADT: the date of the analysed scheduled steroid visit of each window.

    Scheduled visits assessing steroids (study configuration) that took place
    (complete SVSTDTC), placed in ``windows`` by study day; per subject and
    window the one closest to the target day, on a tie the later, then the
    higher VISITNUM (SAP 2). ``subjects``: USUBJID, TRTSDT (datetime).
    """
    require_columns(sv, ["USUBJID", "VISITNUM", "SVSTDTC"], "ADSTER visit dates (SV)")
    require_columns(subjects, ["USUBJID", "TRTSDT"], "ADSTER visit dates (subjects)")
    planned = [v.visitnum for v in config.visits if STEROIDS in v.assessments]
    visits = sv[pd.to_numeric(sv["VISITNUM"]).isin(planned).to_numpy()]
    visits = visits.assign(ADT=to_date(visits["SVSTDTC"]), VISITNUM=pd.to_numeric(visits["VISITNUM"]))
    visits = visits[visits["ADT"].notna().to_numpy()][["USUBJID", "VISITNUM", "ADT"]]
    visits = visits.merge(subjects[["USUBJID", "TRTSDT"]], on="USUBJID", how="inner").reset_index(drop=True)
    visits = derive_vars_window(derive_study_day(visits, "ADT", "TRTSDT"), windows)
    chosen = derive_var_anl01fl(visits, ["USUBJID"], seq_col="VISITNUM", value_cols=("ADT",))
    chosen = chosen[(chosen["ANL01FL"] == "Y").fillna(False).to_numpy(dtype=bool)]
    return chosen[["USUBJID", "AVISITN", "ADT"]].reset_index(drop=True)


def infused_subjects(adsl: pd.DataFrame, config: StudyConfig) -> pd.DataFrame:
    """USUBJID, TRTSDT and ENDDT (datetimes) of infused subjects (SAFFL = "Y").

    ENDDT = the last day the log covers: ADSL EOSDT, else (still ongoing) the
    data cut-off date of the study configuration.
    """
    require_columns(adsl, ["USUBJID", "SAFFL", "TRTSDT", "EOSDT"], "ADSTER subjects (ADSL)")
    infused = adsl[((adsl["SAFFL"] == "Y") & adsl["TRTSDT"].notna()).fillna(False).to_numpy(dtype=bool)]
    end = from_sas_date(infused["EOSDT"])
    return pd.DataFrame({
        "USUBJID": infused["USUBJID"].to_numpy(),
        "TRTSDT": from_sas_date(infused["TRTSDT"]).to_numpy(),
        "ENDDT": end.where(end.notna(), pd.Timestamp(config.data_cutoff)).to_numpy(),
    })


# ---------------------------------------------------------------- records ----
def _flag(mask: pd.Series) -> pd.Series:
    return pd.Series("Y", index=mask.index, dtype=object).where(mask.fillna(False).astype(bool))


def dose_table(log: pd.DataFrame, subjects: pd.DataFrame, visit_dates: pd.DataFrame | None,
               config: StudyConfig) -> pd.DataFrame:
    """One row per infused subject and time point (baseline + steroid windows) with
    WINSTDT/WINENDT, AVAL (average daily dose; empty after the end of study),
    BASE, ``_INSTUDY``, PRELOGFL, ADTTGTFL and the responder columns of
    :func:`cdisc_msc.scoring.steroids.steroid_response`."""
    require_columns(subjects, ["USUBJID", "TRTSDT", "ENDDT"], "ADSTER dose_table (subjects)")
    days = assessment_days(subjects, steroid_windows(config), visit_dates)
    doses = average_daily_dose(log, days, config.steroids)
    is_bl = doses["AVISITN"].eq(BASELINE_AVISITN).fillna(False).to_numpy(dtype=bool)
    in_study = pd.Series(is_bl, index=doses.index) | (doses["WINENDT"] <= pd.to_datetime(doses["ENDDT"]))
    doses["_INSTUDY"] = in_study.fillna(False).astype(bool)
    doses["AVAL"] = doses["AVGDOSE"].where(doses["_INSTUDY"])
    base = doses.loc[is_bl].set_index("USUBJID")
    doses["BASE"] = doses["USUBJID"].map(base["AVAL"]).astype("float64")
    doses["_BLPRELOG"] = doses["USUBJID"].map(base["PRELOGFL"])
    doses["ADTTGTFL"] = doses["WINENDTF"]
    doses["_ISBL"] = is_bl
    return steroid_response(doses, config.steroids, config.threshold_decimals)


def average_records(doses: pd.DataFrame) -> pd.DataFrame:
    """PREDAVG records: baseline and every window whose assessment day is within the study."""
    require_columns(doses, ["USUBJID", "AVISIT", "AVISITN", "WINSTDT", "WINENDT", "AVAL", "_INSTUDY", "_ISBL",
                            "PRELOGFL", "ADTTGTFL"], "ADSTER average_records")
    rows = doses[doses["_INSTUDY"].to_numpy(dtype=bool)]
    out = rows[["USUBJID", "AVISIT", "AVISITN", "AVAL", "PRELOGFL", "ADTTGTFL"]].copy()
    out["PARAMCD"] = PREDAVG
    out["ADT"] = to_sas_date(rows["WINENDT"])
    out["ASTDT"] = to_sas_date(rows["WINSTDT"])
    out["AENDT"] = out["ADT"]
    out["ABLFL"] = _flag(rows["_ISBL"])
    out["ANL01FL"] = "Y"
    return derive_vars_base_chg(out, ["USUBJID", "PARAMCD"])


def responder_records(doses: pd.DataFrame) -> pd.DataFrame:
    """PREDRESP records, one per infused subject and steroid window.

    AVALC = STRESP (Y/N), "NE" when not evaluable (baseline 0); AVAL 1/0;
    DTYPE "WC" when the N is imputed (missing dose); dates of the assessment
    (empty when it falls after the end of study); PRELOGFL when the window or
    the baseline window starts before the log.
    """
    require_columns(doses, ["USUBJID", "AVISIT", "AVISITN", "WINSTDT", "WINENDT", "_INSTUDY", "_ISBL", "PRELOGFL",
                            "_BLPRELOG", "ADTTGTFL", "STEVALFL", "STRESP", "STRIMP"], "ADSTER responder_records")
    rows = doses[~doses["_ISBL"].to_numpy(dtype=bool)]
    inside = rows["_INSTUDY"].to_numpy(dtype=bool)
    out = rows[["USUBJID", "AVISIT", "AVISITN"]].copy()
    out["PARAMCD"] = PREDRESP
    evaluable = (rows["STEVALFL"] == "Y").fillna(False)
    out["AVALC"] = rows["STRESP"].astype(object).where(evaluable, NOT_EVALUABLE)
    out["AVAL"] = yn_to_num(out["AVALC"])
    out["DTYPE"] = pd.Series(IMPUTED_DTYPE, index=rows.index, dtype=object).where(rows["STRIMP"] == "Y")
    out["ADT"] = to_sas_date(rows["WINENDT"]).where(inside)
    out["ASTDT"] = to_sas_date(rows["WINSTDT"]).where(inside)
    out["AENDT"] = out["ADT"]
    out["ADTTGTFL"] = rows["ADTTGTFL"].where(inside)
    out["PRELOGFL"] = _flag(((rows["PRELOGFL"] == "Y") | (rows["_BLPRELOG"] == "Y")) & inside)
    out["ANL01FL"] = "Y"
    return out


def add_windows(df: pd.DataFrame, windows: Sequence[AnalysisWindow]) -> pd.DataFrame:
    """AWLO, AWHI, AWTARGET of the record's window (by AVISITN) and AWTDIFF = |ADY - AWTARGET|."""
    require_columns(df, ["AVISITN", "ADY"], "ADSTER add_windows")
    w = pd.DataFrame([(x.avisitn, x.start_day, x.end_day, x.target_day) for x in windows],
                     columns=["AVISITN", "AWLO", "AWHI", "AWTARGET"]).astype("float64")
    out = df.assign(AVISITN=pd.to_numeric(df["AVISITN"]).astype("float64"))
    out = out.merge(w, on="AVISITN", how="left", validate="many_to_one")
    out.index = df.index
    out["AWTDIFF"] = (pd.to_numeric(out["ADY"]).astype("float64") - out["AWTARGET"]).abs()
    return out


# ---------------------------------------------------------------- checks ----
def method_tokens(config: StudyConfig) -> dict[str, list[str]]:
    """Text each ADSTER MethodDef must contain to state the configured rule."""
    rule = config.steroids
    conv = [f"{drug}={factor:g}" for drug, factor in rule.conversion.items()]
    return {"MT.ADSTER.PREDAVG": [f"window_days={rule.window_days}", *conv],
            "MT.ADSTER.PREDRESP": [f"reduction_pct={rule.reduction_pct:g}",
                                  f"threshold_decimals={config.threshold_decimals}"]}


def check_methods(spec, config: StudyConfig) -> None:
    """Fail when the ADSTER MethodDefs or PARAM codelist no longer state the configured steroid rule."""
    require_method_text(spec, method_tokens(config), "ADSTER (specs/adam/methods/adster.yaml)")
    terms = {t.value for t in spec.codelist("CL.ADSTER.PARAM").terms}
    stale = [p for p in parameters(config.steroids)["PARAM"] if p not in terms]
    if stale:
        raise ValueError(f"ADSTER: PARAM codelist CL.ADSTER.PARAM lacks the configured parameter(s) {stale}: "
                         "update specs/adam/codelists/adster.yaml")


# ----------------------------------------------------------------- build ----


def derive_adster(cm: pd.DataFrame, sv: pd.DataFrame, adsl: pd.DataFrame, config: StudyConfig) -> pd.DataFrame:
    """ADSTER from SDTM CM and SV and ADSL (all columns of the spec, plus none other)."""
    subjects = infused_subjects(adsl, config)
    visits = analysed_visit_dates(sv, subjects, config, steroid_windows(config))
    doses = dose_table(steroid_log(cm), subjects, visits, config)
    out = pd.concat([average_records(doses), responder_records(doses)], ignore_index=True)
    out = add_windows(add_study_day(out, adsl), steroid_windows(config))
    out = merge_by_keys(out, adsl, ["USUBJID"], ADSL_BDS_VARS, "ADSTER (ADSL)")
    params = parameters(config.steroids)
    out = merge_by_keys(out, params, ["PARAMCD"], ["PARAM"], "ADSTER (parameters)")
    return out.drop(columns=[c for c in out.columns if c.startswith("_")])


SDTM_INPUTS: tuple[str, ...] = ("CM", "SV")
"""The SDTM datasets :func:`build` reads (``build_adam`` releases them after their last reader)."""


def build(ctx) -> dict[str, pd.DataFrame]:
    """ADSTER (see module doc)."""
    check_methods(ctx.spec, ctx.config)
    return {"ADSTER": derive_adster(ctx.sdtm["CM"], ctx.sdtm["SV"], ctx.datasets["ADSL"], ctx.config)}
