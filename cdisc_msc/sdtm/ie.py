"""IE: the eligibility criteria not met by screen failures (ie.csv), with
IETEST and IECAT from the protocol's criteria in the study configuration."""
from __future__ import annotations

import pandas as pd

from cdisc_msc.config import StudyConfig
from cdisc_msc.sdtm.common import add_subject_ids, derive_epoch, derive_seq, iso_date, require, study_day


def criteria_frame(config: StudyConfig) -> pd.DataFrame:
    """IETESTCD, IETEST, IECAT of every protocol criterion."""
    return pd.DataFrame([{"IETESTCD": c.ietestcd, "IETEST": c.ietest, "IECAT": c.iecat}
                         for c in config.criteria]).astype("string")


def split_known(ie_raw: pd.DataFrame, config: StudyConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows whose IETESTCD is a criterion of the configuration, and the others."""
    require(ie_raw, ["IETESTCD"], "split_known")
    known = ie_raw["IETESTCD"].isin([c.ietestcd for c in config.criteria]).fillna(False)
    return ie_raw[known], ie_raw[~known]


def derive_ie(ie_raw: pd.DataFrame, dm: pd.DataFrame, se: pd.DataFrame, config: StudyConfig) -> pd.DataFrame:
    """IE records: IEORRES = the raw answer, IESTRESC = IEORRES (both Y/N)."""
    require(ie_raw, ["SUBJID", "IETESTCD", "IEORRES", "IEDT"], "derive_ie")
    rec = pd.DataFrame({
        "SUBJID": ie_raw["SUBJID"].astype("string"), "IETESTCD": ie_raw["IETESTCD"].astype("string"),
        "IEORRES": ie_raw["IEORRES"].astype("string"), "IEDTC": iso_date(ie_raw["IEDT"]),
    }).reset_index(drop=True)
    rec = rec.merge(criteria_frame(config), on="IETESTCD", how="left", validate="many_to_one")
    rec["IESTRESC"] = rec["IEORRES"]
    ie = add_subject_ids(rec, dm, config, "IE")
    ref = ie["USUBJID"].map(dm.set_index("USUBJID")["RFSTDTC"])
    ie["IEDY"] = study_day(ie["IEDTC"], ref)
    ie["EPOCH"] = derive_epoch(ie, "IEDTC", se)
    return derive_seq(ie, "IESEQ", ["IETESTCD"]).drop(columns="SUBJID")


def build(ctx) -> dict[str, pd.DataFrame]:
    """IE from ie.csv."""
    raw = ctx.form("ie")
    known, unknown = split_known(raw, ctx.config)
    if len(unknown):
        ctx.accounting.not_mapped("ie", unknown, "IETESTCD is not a criterion of the study configuration")
    ie = derive_ie(known, ctx.datasets["DM"], ctx.datasets["SE"], ctx.config)
    ctx.accounting.flow("ie", "IE", len(raw), len(ie))
    return {"IE": ie}
