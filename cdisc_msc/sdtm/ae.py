"""AE: adverse events from ae.csv, one record per raw row (a change of grade is
a new row, so a new record).

* MedDRA hierarchy as coded by the EDC coding module; AEBODSYS/AEBDSYCD =
  the primary SOC (AESOC/AESOCCD).
* AETOXGR = CTCAE v5.0 grade as collected; AEREL = the collected causality term.
* AESTDTC/AEENDTC keep partial dates partial (no imputation in SDTM);
  AESTDTC carries the time when the date is complete and a time was collected.
* Ongoing events (AEONGO = Y): AEENRTPT = ONGOING, AEENTPT = END OF STUDY.
* AESTDY/AEENDY from complete dates only; EPOCH from AESTDTC and SE.
* AETERM keeps the raw verbatim text (ASCII transliteration is the writer's job).
Treatment emergence is derived in ADaM (ADAE), not here.
"""
from __future__ import annotations

import pandas as pd

from cdisc_msc.sdtm.build import SdtmContext
from cdisc_msc.sdtm.common import add_days_and_epoch, add_subject_ids, derive_seq, iso_date, iso_datetime, require

ONGOING = "ONGOING"
END_OF_STUDY = "END OF STUDY"

PASSTHROUGH: tuple[str, ...] = (
    "AETERM", "AELLT", "AELLTCD", "AEDECOD", "AEPTCD", "AEHLT", "AEHLTCD", "AEHLGT", "AEHLGTCD",
    "AESOC", "AESOCCD", "AESER", "AEACN", "AEREL", "AEOUT", "AESCONG", "AESDISAB", "AESDTH",
    "AESHOSP", "AESLIFE", "AESMIE", "AETOXGR",
)
"""Raw columns copied as collected (same name in SDTM)."""


def ongoing_end(ongoing: pd.Series) -> tuple[pd.Series, pd.Series]:
    """--ENRTPT / --ENTPT for a collected ongoing flag (Y -> ONGOING, END OF STUDY).

    >>> [s.tolist() for s in ongoing_end(pd.Series(["Y", "N"]))]
    [['ONGOING', <NA>], ['END OF STUDY', <NA>]]
    """
    is_on = ongoing.astype("string") == "Y"
    empty = pd.Series(pd.NA, index=ongoing.index, dtype="string")
    return empty.mask(is_on, ONGOING), empty.mask(is_on, END_OF_STUDY)


def event_records(ae: pd.DataFrame) -> pd.DataFrame:
    """The AE variables that come from one raw row.

    >>> d = pd.DataFrame({c: [pd.NA] for c in PASSTHROUGH} | {"SUBJID": ["001"], "AESPID": [3],
    ...     "AESTDT": ["2024-03-UN"], "AESTTM": ["10:00"], "AEENDT": [None], "AEONGO": ["Y"]})
    >>> event_records(d)[["AESPID", "AESTDTC", "AEENRTPT"]].values.tolist()
    [['3', '2024-03', 'ONGOING']]
    """
    require(ae, ["SUBJID", "AESPID", "AESTDT", "AESTTM", "AEENDT", "AEONGO", *PASSTHROUGH], "event_records")
    out = ae[["SUBJID", *PASSTHROUGH, *(["_ROW"] if "_ROW" in ae else [])]].copy()
    out["_SPIDN"] = pd.to_numeric(ae["AESPID"]).astype("Int64")
    out["AESPID"] = out["_SPIDN"].astype("string")
    out["AEBODSYS"] = out["AESOC"]
    out["AEBDSYCD"] = out["AESOCCD"]
    out["AESTDTC"] = iso_datetime(ae["AESTDT"], ae["AESTTM"])
    out["AEENDTC"] = iso_date(ae["AEENDT"])
    out["AEENRTPT"], out["AEENTPT"] = ongoing_end(ae["AEONGO"])
    return out


def build(ctx: SdtmContext) -> dict[str, pd.DataFrame]:
    """AE from ae.csv."""
    form = ctx.form("ae")
    ae = add_subject_ids(event_records(form), ctx.subjects, ctx.config, "AE")
    ae = add_days_and_epoch(ae, ctx.subjects, ctx.datasets.get("SE"),
                            {"AESTDTC": "AESTDY", "AEENDTC": "AEENDY"}, "AESTDTC")
    ae = derive_seq(ae.assign(_ST=ae["AESTDTC"].fillna("")), "AESEQ", ["_ST", "_SPIDN"])
    ctx.accounting.flow("ae", "AE", len(form), len(ae), "one record per raw row")
    return {"AE": ae.drop(columns=[c for c in ae.columns if c.startswith("_") or c == "SUBJID"])}
