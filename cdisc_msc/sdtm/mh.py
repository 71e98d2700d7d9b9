"""MH: medical history (mh.csv) and the screening answers of the pre-specified
comorbidity checklist (como.csv rows of screening visits).

* mh.csv: one record per row; MHCAT as collected (SLE HISTORY, GENERAL
  MEDICAL HISTORY); MHSPID = ``MH-<n>``; ongoing at screening (MHONGO = Y):
  MHENRTPT = ONGOING, MHENTPT = SCREENING.
* checklist: MHCAT = COMORBIDITY CHECKLIST, MHTERM = the checklist term,
  MHPRESP = Y, MHOCCUR = the answer (Y/N); an unanswered term has MHOCCUR
  empty and MHSTAT = NOT DONE; MHDTC = the checklist date.
* A checklist row is a screening answer when its VISITNUM is before the first
  planned visit outside the SCREENING epoch (:func:`screening_visitnum_limit`);
  later rows go to CE.
"""
from __future__ import annotations

import pandas as pd

from cdisc_msc.config import StudyConfig
from cdisc_msc.sdtm.ae import ongoing_end
from cdisc_msc.sdtm.build import SdtmContext
from cdisc_msc.sdtm.common import add_days_and_epoch, add_subject_ids, derive_seq, iso_date, require
from cdisc_msc.sdtm.instruments import NOT_DONE

CAT_CHECKLIST = "COMORBIDITY CHECKLIST"
ONGOING_REF = "SCREENING"


def screening_visitnum_limit(config: StudyConfig) -> float:
    """VISITNUM of the first planned visit outside the SCREENING epoch (M0 = 2):
    checklist rows below it are screening answers."""
    return min(v.visitnum for v in config.visits if v.epoch != "SCREENING")


def split_checklist(como: pd.DataFrame, config: StudyConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(screening rows -> MH, follow-up rows -> CE) of the comorbidity checklist."""
    require(como, ["VISITNUM"], "split_checklist")
    screening = pd.to_numeric(como["VISITNUM"]) < screening_visitnum_limit(config)
    return como[screening], como[~screening]


def presence_answer(answer: pd.Series, prefix: str) -> pd.DataFrame:
    """--PRESP / --OCCUR / --STAT for a pre-specified term answered Y/N or not at all.

    >>> presence_answer(pd.Series(["Y", None]), "MH").values.tolist()
    [['Y', 'Y', <NA>], ['Y', <NA>, 'NOT DONE']]
    """
    occur = answer.astype("string")
    occur = occur.where(occur.isin(["Y", "N"]))
    return pd.DataFrame({
        f"{prefix}PRESP": pd.Series("Y", index=answer.index, dtype="string"),
        f"{prefix}OCCUR": occur,
        f"{prefix}STAT": pd.Series(pd.NA, index=answer.index, dtype="string").mask(occur.isna(), NOT_DONE),
    })


def history_records(mh: pd.DataFrame) -> pd.DataFrame:
    """MH records from mh.csv.

    >>> d = pd.DataFrame({"SUBJID": ["001"], "MHSPID": [2], "MHTERM": ["Lupus nephritis"], "MHDECOD": ["Lupus nephritis"],
    ...     "MHBODSYS": ["Renal and urinary disorders"], "MHCAT": ["SLE HISTORY"], "MHSTDT": ["2015-06-UN"],
    ...     "MHENDT": [None], "MHONGO": ["Y"]})
    >>> history_records(d)[["MHSPID", "MHSTDTC", "MHENRTPT", "MHENTPT"]].values.tolist()
    [['MH-2', '2015-06', 'ONGOING', 'SCREENING']]
    """
    require(mh, ["SUBJID", "MHSPID", "MHTERM", "MHDECOD", "MHBODSYS", "MHCAT", "MHSTDT", "MHENDT", "MHONGO"],
            "history_records")
    out = mh[["SUBJID", "MHTERM", "MHDECOD", "MHBODSYS", "MHCAT", *(["_ROW"] if "_ROW" in mh else [])]].copy()
    out["_ORD"] = pd.to_numeric(mh["MHSPID"]).astype("Int64")
    out["MHSPID"] = "MH-" + out["_ORD"].astype("string")
    out["MHSTDTC"] = iso_date(mh["MHSTDT"])
    out["MHENDTC"] = iso_date(mh["MHENDT"])
    out["MHENRTPT"], entpt = ongoing_end(mh["MHONGO"])
    out["MHENTPT"] = entpt.mask(entpt.notna(), ONGOING_REF)
    for col in ("MHPRESP", "MHOCCUR", "MHSTAT", "MHDTC"):
        out[col] = pd.Series(pd.NA, index=mh.index, dtype="string")
    return out


def checklist_history_records(como: pd.DataFrame, terms: list[str]) -> pd.DataFrame:
    """MH records from the screening answers of the comorbidity checklist.

    >>> d = pd.DataFrame({"SUBJID": ["001"], "VISIT": ["SCREENING"], "VISITNUM": [1.0], "CODT": ["2024-02-10"],
    ...     "COTERM": ["OSTEOPOROSIS"], "COPRES": ["N"]})
    >>> checklist_history_records(d, ["HYPERTENSION", "OSTEOPOROSIS"])[["MHTERM", "MHOCCUR", "MHDTC"]].values.tolist()
    [['OSTEOPOROSIS', 'N', '2024-02-10']]
    """
    require(como, ["SUBJID", "CODT", "COTERM", "COPRES"], "checklist_history_records")
    out = como[["SUBJID", *(["_ROW"] if "_ROW" in como else [])]].copy()
    out["MHTERM"] = como["COTERM"].astype("string")
    out["MHCAT"] = CAT_CHECKLIST
    out = out.join(presence_answer(como["COPRES"], "MH"))
    out["MHDTC"] = iso_date(como["CODT"])
    out["_ORD"] = out["MHTERM"].map({t: i for i, t in enumerate(terms, start=1)}).astype("Int64")
    for col in ("MHSPID", "MHDECOD", "MHBODSYS", "MHSTDTC", "MHENDTC", "MHENRTPT", "MHENTPT"):
        out[col] = pd.Series(pd.NA, index=como.index, dtype="string")
    return out


def build(ctx: SdtmContext) -> dict[str, pd.DataFrame]:
    """MH from mh.csv and the screening rows of como.csv."""
    mh_raw, como = ctx.form("mh"), ctx.form("como")
    screening, _ = split_checklist(como, ctx.config)
    hist = history_records(mh_raw)
    check = checklist_history_records(screening, ctx.config.comorbidities)
    ctx.accounting.flow("mh", "MH", len(mh_raw), len(hist), "one record per raw row")
    ctx.accounting.flow("como", "MH", len(screening), len(check), "screening checklist answers (follow-up rows go to CE)",
                            share=True)
    mh = add_subject_ids(pd.concat([hist, check], ignore_index=True), ctx.subjects, ctx.config, "MH")
    mh = add_days_and_epoch(mh, ctx.subjects, ctx.datasets.get("SE"), {"MHDTC": "MHDY"}, "MHDTC")
    mh = derive_seq(mh.assign(_DT=mh["MHDTC"].fillna("")), "MHSEQ", ["MHCAT", "_DT", "_ORD"])
    return {"MH": mh.drop(columns=[c for c in mh.columns if c.startswith("_") or c == "SUBJID"])}
