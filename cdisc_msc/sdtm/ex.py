"""EX: the MSC infusion, one record per infused subject.

EXDOSE is the dose given in 10^6 cells/kg (EXDOSU = the sponsor UNIT term
``10^6 Therapeutic Cells/kg``). The total number of cells infused and the
body weight used for dosing are not EX variables in SDTMIG 3.4 (EXDOSTOT does
not exist there): they go to SUPPEX (QNAM TOTCELLS, in 10^6 cells, and
DOSWT, in kg), linked by EXSEQ. A subject assigned but not infused (EXYN = N)
has no EX record (EX has no --OCCUR in 3.4); the raw row is accounted for as
not mapped, and DM carries ARMNRS = ASSIGNED, NOT TREATED.
"""
from __future__ import annotations

import pandas as pd

from cdisc_msc.config import StudyConfig

from cdisc_msc.sdtm.common import add_subject_ids, derive_epoch, derive_seq, make_supp, require, study_day
from cdisc_msc.sdtm.se import subject_elements
from cdisc_msc.sdtm.trial_design import DOSE_FORM, DOSE_FREQ, DOSE_UNIT, ROUTE, TREATMENT_NAME

SUPP_QNAMS = {
    "TOTCELLS": ("Total Cells Administered (10^6 cells)", "Collected", ""),
    "DOSWT": ("Body Weight Used for Dosing (kg)", "Collected", ""),
}


def _num_text(x: pd.Series) -> pd.Series:
    """Numbers as text without a trailing .0: 70.0 -> '70', 72.5 -> '72.5'."""
    s = pd.to_numeric(x, errors="coerce").astype("Float64").astype("string")
    return s.str.replace(r"\.0$", "", regex=True)


def derive_ex(ex_raw: pd.DataFrame, dm: pd.DataFrame, se: pd.DataFrame, config: StudyConfig) -> pd.DataFrame:
    """EX records (plus TOTCELLS/DOSWT columns for SUPPEX) for the rows with EXYN = Y."""
    require(ex_raw, ["SUBJID", "EXYN", "DOSEKG", "TOTCELLS", "WEIGHT", "STDTM", "ENDTM"], "derive_ex")
    require(dm, ["SUBJID", "USUBJID", "RFSTDTC"], "derive_ex (DM)")
    given = ex_raw[(ex_raw["EXYN"] == "Y").fillna(False)]
    ex = add_subject_ids(given[["SUBJID"]].astype("string"), dm, config, "EX")
    ex = ex.assign(
        EXTRT=TREATMENT_NAME,
        EXDOSE=pd.to_numeric(given["DOSEKG"], errors="coerce").astype("Float64").to_numpy(),
        EXDOSU=DOSE_UNIT, EXDOSFRM=DOSE_FORM, EXDOSFRQ=DOSE_FREQ, EXROUTE=ROUTE,
        EXSTDTC=given["STDTM"].astype("string").to_numpy(),
        EXENDTC=given["ENDTM"].astype("string").to_numpy(),
        TOTCELLS=_num_text(given["TOTCELLS"]).to_numpy(),
        DOSWT=_num_text(given["WEIGHT"]).to_numpy(),
    )
    ex["EXDOSU"] = ex["EXDOSU"].where(ex["EXDOSE"].notna())
    ref = ex["USUBJID"].map(dm.set_index("USUBJID")["RFSTDTC"])
    ex["EXSTDY"] = study_day(ex["EXSTDTC"], ref)
    ex["EXENDY"] = study_day(ex["EXENDTC"], ref)
    ex["EPOCH"] = derive_epoch(ex, "EXSTDTC", se)
    return derive_seq(ex, "EXSEQ", ["EXTRT", "EXSTDTC"]).drop(columns="SUBJID")


def build(ctx) -> dict[str, pd.DataFrame]:
    """EX and SUPPEX from ex.csv."""
    raw = ctx.form("ex")
    dm = ctx.datasets["DM"]
    ex = derive_ex(raw, dm, subject_elements(ctx), ctx.config)
    not_given = raw[~(raw["EXYN"] == "Y").fillna(False)]
    if len(not_given):
        ctx.accounting.not_mapped("ex", not_given, "infusion not given (EXYN = N): no EX record; "
                                  "DM ARMNRS = ASSIGNED, NOT TREATED")
    supp = make_supp(ex, "EX", "EXSEQ", SUPP_QNAMS)
    supp["QEVAL"] = supp["QEVAL"].astype("string").replace("", pd.NA)  # collected: no evaluator
    n_given = len(raw) - len(not_given)
    ctx.accounting.flow("ex", "EX", n_given, len(ex))
    ctx.accounting.flow("ex", "SUPPEX", n_given, len(supp), "TOTCELLS and DOSWT of infused subjects")
    return {"EX": ex.drop(columns=list(SUPP_QNAMS)), "SUPPEX": supp}
