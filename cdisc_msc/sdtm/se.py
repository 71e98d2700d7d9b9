"""SE: the subject's actual elements (SAP 6), the source of EPOCH for every domain.

* SCREENING (SCRN): informed consent to infusion start; for subjects never
  infused (screen failures, assigned but not treated) consent to their end of
  participation (RFPENDTC, the screen-failure / disposition date).
* TREATMENT (the actual arm's infusion element): infusion start to the end of
  study day 1.
* FOLLOW-UP (FU): study day 2 to the end of participation (RFPENDTC).

Elements are contiguous (SDTMIG 3.4 SE): an element's SEENDTC is the next
element's SESTDTC, so TREATMENT ends at the date of study day 2 (= the end of
study day 1) and FOLLOW-UP starts then. ``derive_epoch`` assigns a record on
a shared boundary to the later element.
"""
from __future__ import annotations

import pandas as pd

from cdisc_msc.config import StudyConfig
from cdisc_msc.sdtm.common import derive_seq, dtc_to_date, require, study_day
from cdisc_msc.sdtm.trial_design import FOLLOW_UP, SCREENING, elements


def _day2(rfxstdtc: pd.Series) -> pd.Series:
    """ISO date of study day 2 (the day after the infusion date)."""
    d = dtc_to_date(rfxstdtc) + pd.Timedelta(days=1)
    return d.dt.strftime("%Y-%m-%d").astype("string")


def derive_se(dm: pd.DataFrame, config: StudyConfig) -> pd.DataFrame:
    """SE records from DM (RFICDTC, RFXSTDTC, RFPENDTC, ACTARMCD).

    Example: infused 2024-03-05T09:30, last contact 2025-03-05 gives SCRN consent..2024-03-05T09:30,
    MSC2 2024-03-05T09:30..2024-03-06 and FU 2024-03-06..2025-03-05.
    """
    require(dm, ["STUDYID", "USUBJID", "RFICDTC", "RFXSTDTC", "RFPENDTC", "ACTARMCD"], "derive_se")
    el = elements(config).set_index("ETCD")
    infused = dm["RFXSTDTC"].notna() & dm["ACTARMCD"].notna()
    day2 = _day2(dm["RFXSTDTC"])
    end = dm["RFPENDTC"].astype("string")
    reaches_day2 = infused & (dtc_to_date(end) >= dtc_to_date(day2)).fillna(False)
    scrn = pd.DataFrame({"USUBJID": dm["USUBJID"], "ETCD": SCREENING, "TAETORD": 1,
                         "SESTDTC": dm["RFICDTC"], "SEENDTC": dm["RFXSTDTC"].where(infused, end)})
    trt = pd.DataFrame({"USUBJID": dm["USUBJID"], "ETCD": dm["ACTARMCD"], "TAETORD": 2,
                        "SESTDTC": dm["RFXSTDTC"], "SEENDTC": day2.where(reaches_day2, end)})[infused]
    fu = pd.DataFrame({"USUBJID": dm["USUBJID"], "ETCD": FOLLOW_UP, "TAETORD": 3,
                       "SESTDTC": day2, "SEENDTC": end})[reaches_day2]
    se = pd.concat([scrn, trt, fu], ignore_index=True)
    se = se[se["SESTDTC"].notna()]
    se = se.assign(
        STUDYID=config.studyid, DOMAIN="SE",
        ELEMENT=se["ETCD"].map(el["ELEMENT"]).astype("string"),
        EPOCH=se["ETCD"].map(el["EPOCH"]).astype("string"),
        TAETORD=se["TAETORD"].astype("Int64"),
        SESTDTC=se["SESTDTC"].astype("string"), SEENDTC=se["SEENDTC"].astype("string"),
    )
    rf = dm.set_index("USUBJID")["RFSTDTC"]
    ref = se["USUBJID"].map(rf)
    se["SESTDY"] = study_day(se["SESTDTC"], ref)
    se["SEENDY"] = study_day(se["SEENDTC"], ref)
    return derive_seq(se, "SESEQ", ["SESTDTC", "TAETORD"])


def build(ctx) -> dict[str, pd.DataFrame]:
    """SE from DM (built first)."""
    dm = ctx.datasets["DM"]
    se = derive_se(dm, ctx.config)
    ctx.accounting.flow("dm", "SE", len(dm), len(se), "elements derived from DM reference dates")
    return {"SE": se}


def subject_elements(ctx) -> pd.DataFrame:
    """SE for EPOCH: the built SE, or derived from DM for domains built before SE (EX)."""
    if "SE" in ctx.datasets:
        return ctx.datasets["SE"]
    return derive_se(ctx.datasets["DM"], ctx.config)
