"""DS: informed consent milestone (from dm.csv CONSDT) and disposition events (ds.csv).

* PROTOCOL MILESTONE / INFORMED CONSENT OBTAINED on the consent date, every
  screened subject.
* DISPOSITION EVENT / STUDY PARTICIPATION: one per ds.csv row (end of study,
  or end of screening for screen failures), DSDECOD from the Completion/Reason
  for Non-Completion codelist (NCOMPLT), DSTERM verbatim.
"""
from __future__ import annotations

import pandas as pd

from cdisc_msc.config import StudyConfig
from cdisc_msc.sdtm.common import add_subject_ids, derive_epoch, derive_seq, iso_date, require, study_day

CONSENT = "INFORMED CONSENT OBTAINED"
# raw DSSCAT (stage) -> SDTM DSSCAT: both stages end the subject's study participation
DSSCAT_MAP = {"STUDY": "STUDY PARTICIPATION", "SCREENING": "STUDY PARTICIPATION"}


def consent_records(dm_raw: pd.DataFrame) -> pd.DataFrame:
    """One PROTOCOL MILESTONE record per subject on the consent date.

    >>> consent_records(pd.DataFrame({"SUBJID": ["001"], "CONSDT": ["2024-01-10"]}))["DSSTDTC"].tolist()
    ['2024-01-10']
    """
    require(dm_raw, ["SUBJID", "CONSDT"], "consent_records")
    return pd.DataFrame({
        "SUBJID": dm_raw["SUBJID"].astype("string"), "DSTERM": CONSENT, "DSDECOD": CONSENT,
        "DSCAT": "PROTOCOL MILESTONE", "DSSCAT": pd.NA, "DSSTDTC": iso_date(dm_raw["CONSDT"]),
    }).astype("string")


def disposition_records(ds_raw: pd.DataFrame) -> pd.DataFrame:
    """One DISPOSITION EVENT record per ds.csv row.

    >>> disposition_records(pd.DataFrame({"SUBJID": ["002"], "DSSCAT": ["SCREENING"], "DSDECOD": ["SCREEN FAILURE"],
    ...     "DSTERM": ["SLEDAI below 6"], "DSSTDT": ["2024-01-20"]}))[["DSSCAT", "DSDECOD"]].iloc[0].tolist()
    ['STUDY PARTICIPATION', 'SCREEN FAILURE']
    """
    require(ds_raw, ["SUBJID", "DSSCAT", "DSDECOD", "DSTERM", "DSSTDT"], "disposition_records")
    return pd.DataFrame({
        "SUBJID": ds_raw["SUBJID"].astype("string"), "DSTERM": ds_raw["DSTERM"].astype("string"),
        "DSDECOD": ds_raw["DSDECOD"].astype("string"), "DSCAT": "DISPOSITION EVENT",
        "DSSCAT": ds_raw["DSSCAT"].map(DSSCAT_MAP), "DSSTDTC": iso_date(ds_raw["DSSTDT"]),
    }).astype("string")


def derive_ds(dm_raw: pd.DataFrame, ds_raw: pd.DataFrame, dm: pd.DataFrame, se: pd.DataFrame,
              config: StudyConfig) -> pd.DataFrame:
    recs = pd.concat([consent_records(dm_raw), disposition_records(ds_raw)], ignore_index=True)
    ds = add_subject_ids(recs, dm, config, "DS")
    ref = ds["USUBJID"].map(dm.set_index("USUBJID")["RFSTDTC"])
    ds["DSSTDY"] = study_day(ds["DSSTDTC"], ref)
    ds["EPOCH"] = derive_epoch(ds, "DSSTDTC", se)
    # milestone before disposition on the same date (DSCAT sorts so)
    return derive_seq(ds, "DSSEQ", ["DSSTDTC", "DSCAT", "DSDECOD"]).drop(columns="SUBJID")


def build(ctx) -> dict[str, pd.DataFrame]:
    """DS from dm.csv (consent) and ds.csv (disposition)."""
    dm_raw, ds_raw = ctx.form("dm"), ctx.form("ds")
    ds = derive_ds(dm_raw, ds_raw, ctx.datasets["DM"], ctx.datasets["SE"], ctx.config)
    ctx.accounting.flow("dm", "DS", len(dm_raw), len(dm_raw), "informed consent milestone")
    ctx.accounting.flow("ds", "DS", len(ds_raw), len(ds) - len(dm_raw))
    return {"DS": ds}
