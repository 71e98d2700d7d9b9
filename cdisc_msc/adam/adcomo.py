"""ADCOMO (BDS): presence of the pre-specified comorbidities per visit (SAP 2, 4.5, 5).

Sources: the comorbidity checklist, answered at screening (SDTM MH, MHCAT
``COMORBIDITY CHECKLIST``, answer MHOCCUR) and at each follow-up visit (SDTM
CE, CECAT ``COMORBIDITY CHECKLIST``, answer CEOCCUR). Parameters
(:func:`parameters`, in the order of the study configuration's
``comorbidities``):

* ``COMO01``..``COMOnn`` -- "Comorbidity present: <term>", one record per
  MH/CE checklist record (SRCDOM/SRCVAR/SRCSEQ point at it): AVALC = the
  answer Y/N (AVAL 1/0), empty when not answered (--STAT = NOT DONE);
* ``COMOANY`` -- "Any comorbidity present", one record per checklist
  (subject, source domain, VISITNUM, date): "Y" when any term is answered
  Y; "N" when every pre-specified term is answered N; otherwise (no Y and a
  term not answered) empty -- observed cases, no imputation.

ADT = the checklist date (MHDTC / CEDTC); VISIT/VISITNUM from CE (MH has
none). Windows, ABLFL (baseline = last answer on or before day 1, i.e. the
screening checklist), ANL01FL per parameter, BASE/BASEC.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cdisc_msc.adam.adsl import dtc_to_sas_date
from cdisc_msc.adam.bds import ADSL_BDS_VARS, derive_bds_timing, add_study_day, merge_by_keys, yn_to_num
from cdisc_msc.config import StudyConfig
from cdisc_msc.scoring import require_columns
from cdisc_msc.sdtm.mh import CAT_CHECKLIST

COMOANY = "COMOANY"
CHECKLIST_KEYS = ["USUBJID", "SRCDOM", "VISITNUM", "ADT"]
"""One checklist: subject, source domain (MH = screening, CE = follow-up), visit and date."""


def parameters(comorbidities: Sequence[str]) -> pd.DataFrame:
    """PARAMCD, PARAM and TERM of every ADCOMO parameter (COMOANY has no TERM).

    >>> parameters(["HYPERTENSION", "DIABETES MELLITUS"]).values.tolist()[1:]
    [['COMO02', 'Comorbidity present: DIABETES MELLITUS', 'DIABETES MELLITUS'], ['COMOANY', 'Any comorbidity present', nan]]
    """
    if len(comorbidities) > 99:
        raise ValueError("ADCOMO: at most 99 pre-specified comorbidities (PARAMCD COMO01..COMO99)")
    rows = [(f"COMO{i:02d}", f"Comorbidity present: {term}", term) for i, term in enumerate(comorbidities, start=1)]
    rows.append((COMOANY, "Any comorbidity present", None))
    return pd.DataFrame(rows, columns=["PARAMCD", "PARAM", "TERM"])


# ----------------------------------------------------------------- items ----
def checklist_records(df: pd.DataFrame, domain: str, comorbidities: Sequence[str]) -> pd.DataFrame:
    """One ADCOMO record per checklist record of MH or CE (``domain``).

    Keeps records with --CAT = COMORBIDITY CHECKLIST; PARAMCD from --TERM
    (a term outside the configured checklist is an error); AVALC = --OCCUR,
    AVAL 1/0; ADT = date of --DTC; SRCDOM/SRCVAR/SRCSEQ = domain/--OCCUR/--SEQ.

    >>> ce = pd.DataFrame({"USUBJID": "S1", "CESEQ": [3.0], "CETERM": ["DEPRESSION"], "CECAT": ["COMORBIDITY CHECKLIST"],
    ...     "CEOCCUR": ["Y"], "CEDTC": ["1960-01-11"], "VISIT": ["M3"], "VISITNUM": [4.0]})
    >>> checklist_records(ce, "CE", ["HYPERTENSION", "DEPRESSION"])[["PARAMCD", "AVALC", "AVAL", "ADT", "SRCSEQ"]].values.tolist()
    [['COMO02', 'Y', 1.0, 10.0, 3.0]]
    """
    p = domain
    require_columns(df, ["USUBJID", f"{p}SEQ", f"{p}TERM", f"{p}CAT", f"{p}OCCUR", f"{p}DTC"], f"ADCOMO ({domain})")
    rows = df[(df[f"{p}CAT"] == CAT_CHECKLIST).fillna(False).to_numpy(dtype=bool)]
    params = parameters(comorbidities).dropna(subset=["TERM"])
    paramcd = rows[f"{p}TERM"].map(dict(zip(params["TERM"], params["PARAMCD"])))
    if paramcd.isna().any():
        bad = sorted({str(t) for t in rows.loc[paramcd.isna(), f"{p}TERM"]})
        raise ValueError(f"ADCOMO: {domain} checklist terms not in the study configuration's comorbidities: {', '.join(bad)}")
    answer = rows[f"{p}OCCUR"].astype(object).where(rows[f"{p}OCCUR"].isin(["Y", "N"]))
    out = pd.DataFrame(index=rows.index)
    out["USUBJID"] = rows["USUBJID"]
    out["PARAMCD"] = paramcd.astype(object)
    out["AVALC"] = answer
    out["AVAL"] = yn_to_num(answer)
    out["ADT"] = dtc_to_sas_date(rows[f"{p}DTC"])
    for col in ("VISIT", "VISITNUM"):
        out[col] = rows[col] if col in rows.columns else None
    out["VISITNUM"] = pd.to_numeric(out["VISITNUM"]).astype("float64")
    out["SRCDOM"] = domain
    out["SRCVAR"] = f"{p}OCCUR"
    out["SRCSEQ"] = pd.to_numeric(rows[f"{p}SEQ"]).astype("float64")
    out["_SEQ"] = out["SRCSEQ"]
    return out.reset_index(drop=True)


def any_records(items: pd.DataFrame, n_terms: int) -> pd.DataFrame:
    """COMOANY, one record per checklist (:data:`CHECKLIST_KEYS`) of ``items``.

    "Y" if any term answered Y; "N" if ``n_terms`` distinct terms are all
    answered N; otherwise empty. VISIT of the checklist; ``_SEQ`` = the
    highest source --SEQ; SRCDOM kept only to group (cleared by the caller).

    >>> it = pd.DataFrame({"USUBJID": "S1", "SRCDOM": "CE", "VISITNUM": [4.0, 4.0, 5.0, 5.0], "VISIT": ["M3"] * 2 + ["M6"] * 2,
    ...     "ADT": [10.0, 10.0, 99.0, 99.0], "PARAMCD": ["COMO01", "COMO02"] * 2, "AVALC": ["N", "N", "N", None],
    ...     "_SEQ": [1.0, 2.0, 3.0, 4.0]})
    >>> any_records(it, 2)[["VISITNUM", "AVALC"]].values.tolist()
    [[4.0, 'N'], [5.0, None]]
    """
    require_columns(items, [*CHECKLIST_KEYS, "VISIT", "PARAMCD", "AVALC", "_SEQ"], "ADCOMO any_records")
    cols = [*CHECKLIST_KEYS, "VISIT", "PARAMCD", "AVALC", "AVAL", "_SEQ"]
    if items.empty:
        return pd.DataFrame(columns=cols)
    work = items.assign(_Y=(items["AVALC"] == "Y").fillna(False),
                        _N=items["PARAMCD"].where((items["AVALC"] == "N").fillna(False)))
    groups = work.groupby(CHECKLIST_KEYS, dropna=False, sort=True)
    out = groups.agg(VISIT=("VISIT", "first"), _ANYY=("_Y", "any"), _NN=("_N", "nunique"), _SEQ=("_SEQ", "max"))
    out = out.reset_index()
    avalc = np.select([out["_ANYY"].to_numpy(dtype=bool), (out["_NN"] >= n_terms).to_numpy(dtype=bool)],
                      ["Y", "N"], default="")
    out["AVALC"] = pd.Series(avalc, index=out.index, dtype=object).replace("", None)
    out["AVAL"] = yn_to_num(out["AVALC"])
    out["PARAMCD"] = COMOANY
    return out[cols]


# ------------------------------------------------------------ BDS timing ----
def derive_bds(df: pd.DataFrame, config: StudyConfig) -> pd.DataFrame:
    """Windows, ABLFL, ANL01FL (per PARAMCD), BASE/BASEC of ADCOMO records (no CHG: Y/N values)."""
    return derive_bds_timing(df, config, ("AVAL", "AVALC"), chg=False, basec=True, where="ADCOMO derive_bds")


# ---------------------------------------------------------------- checks ----
def check_codelists(spec, config: StudyConfig) -> None:
    """Fail when the ADCOMO PARAMCD / PARAM codelists do not list the configured comorbidities."""
    params = parameters(config.comorbidities)
    stale = []
    for oid, column in (("CL.ADCOMO.PARAMCD", "PARAMCD"), ("CL.ADCOMO.PARAM", "PARAM")):
        terms = {t.value for t in spec.codelist(oid).terms}
        stale += [f"{oid}: {v}" for v in params[column] if v not in terms]
    if stale:
        raise ValueError(f"ADCOMO: codelists miss configured comorbidity parameters ({'; '.join(stale)}): "
                         "update specs/adam/codelists/adcomo.yaml")


# ----------------------------------------------------------------- build ----


def derive_adcomo(mh: pd.DataFrame, ce: pd.DataFrame, adsl: pd.DataFrame, config: StudyConfig) -> pd.DataFrame:
    """ADCOMO from SDTM MH and CE and ADSL (all columns of the spec, plus none other)."""
    terms = config.comorbidities
    items = pd.concat([checklist_records(mh, "MH", terms), checklist_records(ce, "CE", terms)], ignore_index=True)
    anyc = any_records(items, len(terms)).assign(SRCDOM=None, SRCVAR=None, SRCSEQ=np.nan)
    out = derive_bds(add_study_day(pd.concat([items, anyc], ignore_index=True), adsl), config)
    out = merge_by_keys(out, adsl, ["USUBJID"], ADSL_BDS_VARS, "ADCOMO (ADSL)")
    out = merge_by_keys(out, parameters(terms), ["PARAMCD"], ["PARAM"], "ADCOMO (parameters)")
    return out.drop(columns=[c for c in out.columns if c.startswith("_")])


SDTM_INPUTS: tuple[str, ...] = ("MH", "CE")
"""The SDTM datasets :func:`build` reads (``build_adam`` releases them after their last reader)."""


def build(ctx) -> dict[str, pd.DataFrame]:
    """ADCOMO (see module doc)."""
    check_codelists(ctx.spec, ctx.config)
    return {"ADCOMO": derive_adcomo(ctx.sdtm["MH"], ctx.sdtm["CE"], ctx.datasets["ADSL"], ctx.config)}
