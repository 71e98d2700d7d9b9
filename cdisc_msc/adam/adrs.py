"""ADRS (BDS): disease activity and responses (SAP 2, 3.1-3.3, 4.2-4.4).

Records, by parameter (:data:`PARAMETERS` is the single source of PARAMCD /
PARAM / PARCAT1; the spec codelist ``CL.ADRS.PARAMCD`` repeats it):

* items, one per SDTM RS record (SRCDOM/SRCVAR/SRCSEQ point at it):
  SELENA-SLEDAI descriptors ``SLED101``..``SLED124`` (AVALC Y/N, AVAL = the
  descriptor's weight when present, 0 when absent), classic BILAG systems
  ``BILAG101``..``BILAG108`` (AVALC = grade A..E only: the scores 9/3/1/0/0
  are not one-to-one with the grades), ``PGA`` (AVAL 0..3);
* totals, one per subject and form (USUBJID, VISITNUM): ``SLEDAITS`` (0..105,
  missing unless all 24 descriptors recorded) and ``BILAGTS`` (0..72, missing
  unless all 8 systems graded), scored by :mod:`cdisc_msc.scoring`;
* responders, one per infused subject (ADSL SAFFL = "Y") and disease-activity
  window (Month 3/6/9/12): ``SRI4`` (CRIT1..CRIT4 = its components),
  ``MCR``, ``PCR``, ``MCRPCR``; components are the ANL01FL records of the
  window, possibly from different dates, versus the ABLFL records.
  Non-response because data are missing (non-responder imputation) is
  flagged DTYPE = "WC" (worst case imputation technique).

Items and totals get ADY, windows, ABLFL, ANL01FL, BASE/BASEC/CHG/PCHG per
parameter (:mod:`cdisc_msc.adam.windows`, :mod:`cdisc_msc.adam.bds`).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from cdisc_msc.adam.adsl import dtc_to_sas_date
from cdisc_msc.adam.bds import (
    ADSL_BDS_VARS, require_method_text, derive_bds_timing, add_study_day, derive_crit_flag, merge_by_keys, place_wide,
    score_forms, yn_to_num,
)
from cdisc_msc.adam.keys import lookup_rows
from cdisc_msc.adam.windows import window_grid, windows_assessing
from cdisc_msc.config import AnalysisWindow, ClinicalResponseRule, StudyConfig
from cdisc_msc.scoring import distinct_text, per_distinct, require_columns
from cdisc_msc.scoring import bilag, sledai
from cdisc_msc.scoring.clinical_response import derive_clinical_response
from cdisc_msc.scoring.sri4 import derive_sri4
from cdisc_msc.spec.model import Spec

PGA_TESTCD = "PGA101"
"""RS test code of the PGA (SDTM ``instruments.PGA_TESTCD``); its ADRS parameter is :data:`PGA`."""
SLEDAITS, BILAGTS, PGA = "SLEDAITS", "BILAGTS", "PGA"
SRI4, MCR, PCR, MCRPCR = "SRI4", "MCR", "PCR", "MCRPCR"
CAT_SLEDAI, CAT_BILAG, CAT_PGA, CAT_RESP = sledai.CATEGORY, bilag.CATEGORY, "PHYSICIAN GLOBAL ASSESSMENT", "RESPONSE"
IMPUTED_DTYPE = "WC"
"""DTYPE of a responder record whose non-response is imputed for missing data (CT C81224 WC)."""
DISEASE_ACTIVITY = "disease_activity"
"""Assessment name (``StudyConfig.visits[].assessments``) of the visits that collect RS."""

SRI4_CRITERIA: tuple[tuple[int, str, str], ...] = (
    (1, "SRI4SLED", "SELENA-SLEDAI decrease from baseline >= 4"),
    (2, "SRI4NWA", "No new BILAG A versus baseline"),
    (3, "SRI4NWB", "At most one new BILAG B versus baseline"),
    (4, "SRI4PGA", "PGA increase from baseline < 0.3"),
)
"""CRITy number, :func:`derive_sri4` component column, CRITy text."""
RESPONSE_PARAMS: dict[str, str] = {MCR: "MCR", PCR: "PCR", MCRPCR: "MCRPCR"}
"""Clinical response PARAMCD -> :func:`derive_clinical_response` column."""


def _parameters() -> pd.DataFrame:
    rows = [(d.testcd, d.test, CAT_SLEDAI) for d in sledai.DESCRIPTORS]
    rows += [(SLEDAITS, "SELENA-SLEDAI Total Score", CAT_SLEDAI)]
    rows += [(s.testcd, s.test, CAT_BILAG) for s in bilag.SYSTEMS]
    rows += [(BILAGTS, "Classic BILAG Total Score", CAT_BILAG), (PGA, "Physician Global Assessment (0-3)", CAT_PGA),
             (SRI4, "SRI-4 Responder", CAT_RESP), (MCR, "BILAG Major Clinical Response", CAT_RESP),
             (PCR, "BILAG Partial Clinical Response", CAT_RESP),
             (MCRPCR, "BILAG Major or Partial Clinical Response", CAT_RESP)]
    return pd.DataFrame(rows, columns=["PARAMCD", "PARAM", "PARCAT1"])


PARAMETERS: pd.DataFrame = _parameters()
"""PARAMCD, PARAM, PARCAT1 of every ADRS parameter, in display order."""
COMPONENTS_SRI4: tuple[str, ...] = (SLEDAITS, *bilag.SYSTEM_TESTCDS, PGA)
COMPONENTS_CR: tuple[str, ...] = bilag.SYSTEM_TESTCDS
RS_COLUMNS = ["USUBJID", "RSSEQ", "RSTESTCD", "RSCAT", "RSSTRESC", "RSSTRESN", "VISIT", "VISITNUM", "RSDTC"]


# ------------------------------------------------------------------ items ----
def item_records(rs: pd.DataFrame) -> pd.DataFrame:
    """One ADRS record per RS record: PARAMCD, AVAL, AVALC, ADT and the source pointers.

    SLEDAI descriptor: AVALC = RSSTRESC, AVAL = weight if "Y", 0 if "N"; BILAG
    system: AVALC = grade; PGA101 -> PARAMCD PGA, AVAL = RSSTRESN. ``_SEQ`` =
    RSSEQ (ANL01FL tie-break). An unknown test code is an error.

    >>> rs = pd.DataFrame({"USUBJID": "S1", "RSSEQ": [1.0, 2.0], "RSTESTCD": ["SLED101", "PGA101"],
    ...     "RSCAT": ["SELENA-SLEDAI", "PHYSICIAN GLOBAL ASSESSMENT"], "RSSTRESC": ["Y", "1.5"],
    ...     "RSSTRESN": [None, 1.5], "VISIT": "M3", "VISITNUM": 4.0, "RSDTC": "1960-01-11"})
    >>> item_records(rs)[["PARAMCD", "AVAL", "AVALC", "SRCVAR", "ADT"]].values.tolist()
    [['SLED101', 8.0, 'Y', 'RSSTRESC', 10.0], ['PGA', 1.5, nan, 'RSSTRESN', 10.0]]
    """
    require_columns(rs, RS_COLUMNS, "ADRS item_records (RS)")
    testcd = rs["RSTESTCD"].astype("str")
    is_sled = testcd.isin(sledai.DESCRIPTOR_TESTCDS).to_numpy()
    is_bilag = testcd.isin(bilag.SYSTEM_TESTCDS).to_numpy()
    is_pga = (testcd == PGA_TESTCD).to_numpy()
    unknown = ~(is_sled | is_bilag | is_pga)
    if unknown.any():
        raise ValueError(f"ADRS: RS test codes without an ADRS parameter: {', '.join(sorted(set(testcd[unknown])))}")
    codes, answers = distinct_text(rs["RSSTRESC"])  # as text, each distinct answer converted once
    stresc = pd.Series(answers.array.take(codes, allow_fill=True), index=rs.index, name="RSSTRESC")
    weight = per_distinct(lambda t: t.map(sledai.WEIGHTS).astype("float64"), testcd)
    # each rule checks only its own instrument's answers (other rows masked to missing) and
    # itself works once per distinct answer
    present = sledai.presence(stresc.where(is_sled))
    grade = bilag.normalise_grades(pd.DataFrame({"RSSTRESC": stresc.where(is_bilag)}), ["RSSTRESC"])["RSSTRESC"]
    out = pd.DataFrame(index=rs.index)
    out["USUBJID"] = rs["USUBJID"]
    out["PARAMCD"] = testcd.mask(is_pga, PGA)
    out["AVAL"] = np.select([is_sled, is_pga], [present * weight, pd.to_numeric(rs["RSSTRESN"]).astype("float64")],
                            np.nan)
    out["AVALC"] = stresc.where(is_sled).fillna(grade)
    out["VISIT"] = rs["VISIT"]
    out["VISITNUM"] = pd.to_numeric(rs["VISITNUM"]).astype("float64")
    out["ADT"] = dtc_to_sas_date(rs["RSDTC"])
    out["SRCDOM"] = "RS"
    out["SRCVAR"] = np.array(["RSSTRESC", "RSSTRESN"], dtype=object)[is_pga.astype(np.intp)]  # 2 shared objects
    out["SRCSEQ"] = pd.to_numeric(rs["RSSEQ"]).astype("float64")
    out["_SEQ"] = out["SRCSEQ"]
    return out


# ----------------------------------------------------------------- totals ----
def form_totals(items: pd.DataFrame, testcds: Sequence[str], paramcd: str,
                total: Callable[[pd.DataFrame], pd.Series]) -> pd.DataFrame:
    """One ``paramcd`` record per subject and form (USUBJID, VISITNUM) of the ``testcds`` items.

    ``total`` takes the wide form (one column per test code, AVALC values;
    items absent from RS count as not recorded) and returns the total; the
    form's records are built by :func:`cdisc_msc.adam.bds.score_forms`.

    >>> it = pd.DataFrame({"USUBJID": "S1", "PARAMCD": ["BILAG101", "BILAG102"], "AVALC": ["A", "B"],
    ...                    "VISIT": "M3", "VISITNUM": 4.0, "ADT": 10.0, "_SEQ": [1.0, 2.0]})
    >>> form_totals(it, bilag.SYSTEM_TESTCDS, "BILAGTS", bilag.bilag_total)[["PARAMCD", "AVAL", "_SEQ"]].values.tolist()
    [['BILAGTS', nan, 2.0]]
    """
    require_columns(items, ["PARAMCD"], f"ADRS {paramcd}")
    return score_forms(items, items["PARAMCD"].isin(list(testcds)).to_numpy(), testcds, "AVALC",
                       lambda wide: total(wide).to_frame(paramcd), f"ADRS {paramcd}")


def total_records(items: pd.DataFrame) -> pd.DataFrame:
    """SELENA-SLEDAI (SLEDAITS) and classic BILAG (BILAGTS) totals of every form."""
    return pd.concat([
        form_totals(items, sledai.DESCRIPTOR_TESTCDS, SLEDAITS, sledai.sledai_total),
        form_totals(items, bilag.SYSTEM_TESTCDS, BILAGTS, bilag.bilag_total),
    ], ignore_index=True)


# ------------------------------------------------------------ BDS timing ----
def derive_bds(df: pd.DataFrame, config: StudyConfig) -> pd.DataFrame:
    """Windows, ABLFL, ANL01FL (per PARAMCD), BASE/BASEC/CHG/PCHG of item and total records
    (``_SEQ`` = RSSEQ order for ties)."""
    return derive_bds_timing(df, config, ("AVAL", "AVALC"), basec=True, where="ADRS derive_bds")


# ------------------------------------------------------------- responses ----
def response_windows(config: StudyConfig) -> list[AnalysisWindow]:
    """Analysis windows containing the target day of a visit that assesses disease activity.

    >>> from cdisc_msc.config import load_config
    >>> [w.avisit for w in response_windows(load_config("specs/study.yaml"))]  # doctest: +SKIP
    ['Month 3', 'Month 6', 'Month 9', 'Month 12']
    """
    return windows_assessing(config, DISEASE_ACTIVITY)


def component_frame(bds: pd.DataFrame, grid: pd.DataFrame, paramcds: Sequence[str]) -> pd.DataFrame:
    """``grid`` (USUBJID x window) with, per component parameter, the ANL01FL value of
    the window (``<PARAMCD>``) and the baseline value (``<PARAMCD>_BL``), plus
    ``_ADT`` = the latest ADT of the components found in the window.

    The value is AVALC when the parameter has one (BILAG grades), else AVAL.

    >>> bds = pd.DataFrame({"USUBJID": "S1", "PARAMCD": "PGA", "AVISITN": [0, 3], "AVAL": [2.0, 1.0],
    ...                     "AVALC": None, "ABLFL": ["Y", None], "ANL01FL": "Y", "ADT": [1.0, 90.0]})
    >>> component_frame(bds, pd.DataFrame({"USUBJID": ["S1"], "AVISITN": [3]}), ["PGA"])[["PGA", "PGA_BL", "_ADT"]].values.tolist()
    [[1.0, 2.0, 90.0]]
    """
    require_columns(bds, ["USUBJID", "PARAMCD", "AVISITN", "AVAL", "AVALC", "ABLFL", "ANL01FL", "ADT"],
                    "ADRS component_frame")
    require_columns(grid, ["USUBJID", "AVISITN"], "ADRS component_frame (grid)")
    needed = ["USUBJID", "PARAMCD", "AVISITN", "AVAL", "AVALC", "ABLFL", "ANL01FL", "ADT"]
    comp = bds.loc[bds["PARAMCD"].isin(list(paramcds)).to_numpy(), needed]  # copies only the needed columns
    value = comp["AVALC"].astype(object).where(comp["AVALC"].notna(), comp["AVAL"].astype(object))
    comp = comp.assign(_VALUE=value, AVISITN=pd.to_numeric(comp["AVISITN"]).astype("Float64"))
    base = comp[(comp["ABLFL"] == "Y").fillna(False).to_numpy(dtype=bool)]
    post = comp[((comp["ANL01FL"] == "Y") & (comp["ABLFL"] != "Y").fillna(True)).fillna(False).to_numpy(dtype=bool)]
    out = grid.assign(AVISITN=pd.to_numeric(grid["AVISITN"]).astype("Float64"))
    visit_rows = lookup_rows(post, out, ["USUBJID", "AVISITN"])  # grid row of each analysed record
    visit = _wide_values(post, visit_rows, len(out), paramcds, "ADRS component_frame (window)")
    found = visit_rows >= 0
    latest = post["ADT"][found].groupby(visit_rows[found]).max().reindex(range(len(out)))
    subjects = out[["USUBJID"]].drop_duplicates()
    base = _wide_values(base, lookup_rows(base, subjects, ["USUBJID"]), len(subjects), paramcds,
                        "ADRS component_frame (baseline)")[lookup_rows(out, subjects, ["USUBJID"])]
    out = out.assign(**{p: pd.Series(visit[:, i], index=out.index, dtype=object) for i, p in enumerate(paramcds)},
                     _ADT=latest.to_numpy(dtype="float64"),
                     **{f"{p}_BL": pd.Series(base[:, i], index=out.index, dtype=object) for i, p in enumerate(paramcds)})
    out["AVISITN"] = out["AVISITN"].astype("Int64")
    return out


def _wide_values(records: pd.DataFrame, rows: np.ndarray, n_rows: int, paramcds: Sequence[str],
                 where: str) -> np.ndarray:
    """``n_rows`` x parameters object array of the records' ``_VALUE`` placed at their
    ``rows`` (-1: not placed) and PARAMCD column; NaN where no record. Two records
    for one cell are an error (:func:`cdisc_msc.adam.bds.place_wide`)."""
    column = pd.Index(list(paramcds)).get_indexer(records["PARAMCD"])
    return place_wide(rows, column, records["_VALUE"].to_numpy(dtype=object), (n_rows, len(paramcds)),
                      f"{where}: more than one record for a parameter")


def _numeric(df: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    return df.assign(**{c: pd.to_numeric(df[c], errors="coerce").astype("float64") for c in cols})


def sri4_records(comp: pd.DataFrame, threshold_decimals: int) -> pd.DataFrame:
    """SRI4 records from :func:`component_frame` rows (SLEDAITS, BILAG101..108, PGA).

    AVALC/AVAL from :func:`cdisc_msc.scoring.sri4.derive_sri4`; CRIT1..CRIT4
    (text + Y/N flag) per component, both empty where the component cannot
    be determined; DTYPE = "WC" when the non-response is imputed.
    """
    require_columns(comp, [f"{p}{s}" for p in COMPONENTS_SRI4 for s in ("", "_BL")], "ADRS sri4_records")
    wide = comp.rename(columns={SLEDAITS: "SLEDAI", SLEDAITS + "_BL": "SLEDAI_BL"})
    wide = _numeric(wide, ["SLEDAI", "SLEDAI_BL", "PGA", "PGA_BL"])
    scored = derive_sri4(wide, threshold_decimals)
    out = comp.assign(PARAMCD=SRI4, AVALC=scored["SRI4"], AVAL=yn_to_num(scored["SRI4"]),
                      DTYPE=pd.Series(IMPUTED_DTYPE, index=comp.index, dtype=object).where(scored["SRI4IMP"] == "Y"))
    for n, column, text in SRI4_CRITERIA:
        flag = scored[column]
        out = derive_crit_flag(out, n, text, flag.map({"Y": True, "N": False}).astype("boolean"),
                               applies=flag.notna())
    return out


def clinical_response_records(comp: pd.DataFrame, rule: ClinicalResponseRule) -> pd.DataFrame:
    """MCR, PCR and MCRPCR records from :func:`component_frame` rows (BILAG101..108),
    by :func:`cdisc_msc.scoring.clinical_response.derive_clinical_response`;
    DTYPE = "WC" when the non-response is imputed (CRIMP = "Y")."""
    scored = derive_clinical_response(comp, rule)
    imputed = pd.Series(IMPUTED_DTYPE, index=comp.index, dtype=object).where(scored["CRIMP"] == "Y")
    parts = [comp.assign(PARAMCD=paramcd, AVALC=scored[column], AVAL=yn_to_num(scored[column]), DTYPE=imputed)
             for paramcd, column in RESPONSE_PARAMS.items()]
    return pd.concat(parts, ignore_index=True)


def response_records(bds: pd.DataFrame, adsl: pd.DataFrame, config: StudyConfig) -> pd.DataFrame:
    """SRI4, MCR, PCR, MCRPCR for every infused subject (ADSL SAFFL = "Y") and
    disease-activity window: ANL01FL = "Y", ADT = latest component date."""
    require_columns(adsl, ["USUBJID", "SAFFL"], "ADRS response_records (ADSL)")
    infused = adsl.loc[(adsl["SAFFL"] == "Y").fillna(False).to_numpy(dtype=bool), ["USUBJID"]]
    grid = window_grid(infused, response_windows(config))
    sri4 = sri4_records(component_frame(bds, grid, COMPONENTS_SRI4), config.threshold_decimals)
    cr = clinical_response_records(component_frame(bds, grid, COMPONENTS_CR), config.clinical_response)
    out = pd.concat([sri4, cr], ignore_index=True)
    out["ADT"] = pd.to_numeric(out["_ADT"]).astype("float64")
    out["ANL01FL"] = "Y"
    keep = ["USUBJID", "PARAMCD", "AVAL", "AVALC", "DTYPE", "ADT", "ANL01FL",
            "AVISIT", "AVISITN", "AWLO", "AWHI", "AWTARGET", *[c for c in out.columns if c.startswith("CRIT")]]
    return out[keep]


# ---------------------------------------------------------------- checks ----
def check_methods(spec: Spec, config: StudyConfig) -> None:
    """Fail when the ADRS MethodDefs no longer state the configured choices
    (rounding decimals of SRI-4, clinical response rule and its parameters)."""
    rule = config.clinical_response
    token = (f"{rule.name} (pcr_max_b={rule.pcr_max_b}, pcr_baseline_min_a={rule.pcr_baseline_min_a}, "
             f"pcr_baseline_min_b={rule.pcr_baseline_min_b})")
    require_method_text(spec, {"MT.ADRS.SRI4": [f"threshold_decimals={config.threshold_decimals}"],
                               "MT.ADRS.MCR": [token], "MT.ADRS.PCR": [token], "MT.ADRS.MCRPCR": [token]},
                        "ADRS (specs/adam/methods/adrs.yaml)")


# ----------------------------------------------------------------- build ----


def derive_adrs(rs: pd.DataFrame, adsl: pd.DataFrame, config: StudyConfig) -> pd.DataFrame:
    """ADRS from SDTM RS and ADSL (all columns of the spec, plus none other)."""
    items = item_records(rs)
    records = pd.concat([items, total_records(items)], ignore_index=True)
    del items  # in records now (memory)
    records = derive_bds(add_study_day(records, adsl), config)
    responses = add_study_day(response_records(records, adsl, config), adsl)
    out = pd.concat([records, responses], ignore_index=True)
    out = merge_by_keys(out, adsl, ["USUBJID"], ADSL_BDS_VARS, "ADRS (ADSL)")
    out = merge_by_keys(out, PARAMETERS, ["PARAMCD"], ["PARAM", "PARCAT1"], "ADRS (parameters)")
    return out.drop(columns=[c for c in out.columns if c.startswith("_")])


SDTM_INPUTS: tuple[str, ...] = ("RS",)
"""The SDTM datasets :func:`build` reads (``build_adam`` releases them after their last reader)."""


def build(ctx) -> dict[str, pd.DataFrame]:
    """ADRS (see module doc)."""
    check_methods(ctx.spec, ctx.config)
    return {"ADRS": derive_adrs(ctx.sdtm["RS"], ctx.datasets["ADSL"], ctx.config)}
