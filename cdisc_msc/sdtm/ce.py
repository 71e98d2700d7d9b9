"""CE: follow-up answers of the pre-specified comorbidity checklist (como.csv
rows after screening; screening answers are MH), one record per term per visit.

CETERM = the checklist term, CECAT = COMORBIDITY CHECKLIST, CEPRESP = Y,
CEOCCUR = the answer (Y/N); an unanswered term has CEOCCUR empty and
CESTAT = NOT DONE. CEDTC = the checklist date; VISIT/VISITNUM, CEDY, EPOCH.
"""
from __future__ import annotations

import pandas as pd

from cdisc_msc.sdtm.build import SdtmContext
from cdisc_msc.sdtm.common import add_days_and_epoch, add_subject_ids, derive_seq, iso_date, require
from cdisc_msc.sdtm.instruments import add_visit
from cdisc_msc.sdtm.mh import CAT_CHECKLIST, presence_answer, split_checklist


def checklist_event_records(como: pd.DataFrame) -> pd.DataFrame:
    """CE records from follow-up checklist rows.

    >>> d = pd.DataFrame({"SUBJID": ["001"], "VISIT": ["M3"], "VISITNUM": [4.0], "CODT": ["2024-06-01"],
    ...     "COTERM": ["HYPERTENSION"], "COPRES": ["Y"]})
    >>> checklist_event_records(d)[["CETERM", "CEPRESP", "CEOCCUR", "CEDTC"]].values.tolist()
    [['HYPERTENSION', 'Y', 'Y', '2024-06-01']]
    """
    require(como, ["SUBJID", "VISIT", "VISITNUM", "CODT", "COTERM", "COPRES"], "checklist_event_records")
    out = como[["SUBJID", "VISIT", "VISITNUM", *(["_ROW"] if "_ROW" in como else [])]].copy()
    out["CETERM"] = como["COTERM"].astype("string")
    out["CECAT"] = CAT_CHECKLIST
    out = out.join(presence_answer(como["COPRES"], "CE"))
    out["CEDTC"] = iso_date(como["CODT"])
    return out


def build(ctx: SdtmContext) -> dict[str, pd.DataFrame]:
    """CE from the follow-up rows of como.csv."""
    _, follow_up = split_checklist(ctx.form("como"), ctx.config)
    ce = checklist_event_records(follow_up)
    ctx.accounting.flow("como", "CE", len(follow_up), len(ce), "follow-up checklist answers (screening rows go to MH)",
                            share=True)
    ce = add_subject_ids(ce, ctx.subjects, ctx.config, "CE")
    ce = add_visit(ce, ctx.datasets.get("SV"), "CEDTC")
    ce = add_days_and_epoch(ce, ctx.subjects, ctx.datasets.get("SE"), {"CEDTC": "CEDY"}, "CEDTC")
    ce = derive_seq(ce, "CESEQ", ["VISITNUM", "CETERM"])
    return {"CE": ce.drop(columns=[c for c in ce.columns if c.startswith("_") or c == "SUBJID"])}
