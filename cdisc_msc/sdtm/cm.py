"""CM: concomitant medications (cm.csv, CMCAT = GENERAL) and the systemic
glucocorticoid log (gc.csv, CMCAT = SYSTEMIC GLUCOCORTICOID; the only source
of glucocorticoids), one record per raw row.

* A glucocorticoid row is one constant-dose period: CMDOSE = mg per
  administration, CMDOSU = mg, CMDOSFRQ = administrations per day (QD, BID,
  TID, ONCE), CMROUTE; CMSTDTC/CMENDTC = the period's first/last day. CMDOSTOT
  is not used (it is for a collected total daily dose); the daily and the
  prednisone-equivalent doses are derived in ADaM.
* CMSPID keeps the raw log line: ``CM-<n>`` / ``GC-<n>``.
* Ongoing (CMONGO/GCONGO = Y): CMENRTPT = ONGOING, CMENTPT = END OF STUDY.
* Partial dates stay partial; CMSTDY/CMENDY from complete dates; EPOCH from CMSTDTC.
"""
from __future__ import annotations

import pandas as pd

from cdisc_msc.sdtm.ae import ongoing_end
from cdisc_msc.sdtm.build import SdtmContext
from cdisc_msc.sdtm.common import add_days_and_epoch, add_subject_ids, derive_seq, iso_date, require

CAT_GENERAL = "GENERAL"
CAT_GC = "SYSTEMIC GLUCOCORTICOID"
GC_UNIT = "mg"


def _common(raw: pd.DataFrame, spid: pd.Series, prefix: str, ongoing: pd.Series) -> pd.DataFrame:
    out = pd.DataFrame(index=raw.index)
    out["SUBJID"] = raw["SUBJID"]
    out["_SPIDN"] = pd.to_numeric(spid).astype("Int64")
    out["CMSPID"] = prefix + "-" + out["_SPIDN"].astype("string")
    out["_SRC"] = prefix
    out["CMENRTPT"], out["CMENTPT"] = ongoing_end(ongoing)
    if "_ROW" in raw:
        out["_ROW"] = raw["_ROW"]
    return out


def general_records(cm: pd.DataFrame) -> pd.DataFrame:
    """CM records from the general medication log (cm.csv).

    >>> d = pd.DataFrame({"SUBJID": ["001"], "CMSPID": [3], "CMTRT": ["Plaquenil"], "CMDECOD": ["HYDROXYCHLOROQUINE"],
    ...     "CMCLAS": [None], "CMDOSE": [200.0], "CMDOSU": ["mg"], "CMDOSFRQ": ["BID"], "CMROUTE": ["ORAL"],
    ...     "CMINDC": ["SLE"], "CMSTDT": ["2019-UN-UN"], "CMENDT": [None], "CMONGO": ["Y"]})
    >>> general_records(d)[["CMSPID", "CMCAT", "CMSTDTC", "CMENRTPT"]].values.tolist()
    [['CM-3', 'GENERAL', '2019', 'ONGOING']]
    """
    require(cm, ["SUBJID", "CMSPID", "CMTRT", "CMDECOD", "CMCLAS", "CMDOSE", "CMDOSU", "CMDOSFRQ", "CMROUTE",
                 "CMINDC", "CMSTDT", "CMENDT", "CMONGO"], "general_records")
    out = _common(cm, cm["CMSPID"], "CM", cm["CMONGO"])
    for col in ("CMTRT", "CMDECOD", "CMCLAS", "CMDOSE", "CMDOSU", "CMDOSFRQ", "CMROUTE", "CMINDC"):
        out[col] = cm[col]
    out["CMCAT"] = CAT_GENERAL
    out["CMSTDTC"] = iso_date(cm["CMSTDT"])
    out["CMENDTC"] = iso_date(cm["CMENDT"])
    return out


def glucocorticoid_records(gc: pd.DataFrame) -> pd.DataFrame:
    """CM records from the glucocorticoid log (gc.csv): one per constant-dose period.

    >>> d = pd.DataFrame({"SUBJID": ["001"] * 2, "GCSPID": [1, 2], "GCTRT": ["Cortancyl"] * 2,
    ...     "GCDECOD": ["PREDNISONE"] * 2, "GCDOSE": [20.0, 15.0], "GCDOSFRQ": ["QD"] * 2, "GCROUTE": ["ORAL"] * 2,
    ...     "GCSTDT": ["2024-01-01", "2024-02-01"], "GCENDT": ["2024-01-31", None], "GCONGO": ["N", "Y"]})
    >>> glucocorticoid_records(d)[["CMSPID", "CMDOSE", "CMENDTC", "CMENRTPT"]].values.tolist()
    [['GC-1', 20.0, '2024-01-31', <NA>], ['GC-2', 15.0, <NA>, 'ONGOING']]
    """
    require(gc, ["SUBJID", "GCSPID", "GCTRT", "GCDECOD", "GCDOSE", "GCDOSFRQ", "GCROUTE", "GCSTDT", "GCENDT",
                 "GCONGO"], "glucocorticoid_records")
    out = _common(gc, gc["GCSPID"], "GC", gc["GCONGO"])
    out["CMTRT"] = gc["GCTRT"]
    out["CMDECOD"] = gc["GCDECOD"]
    out["CMCAT"] = CAT_GC
    out["CMINDC"] = pd.Series(pd.NA, index=gc.index, dtype="string")
    out["CMCLAS"] = pd.Series(pd.NA, index=gc.index, dtype="string")
    out["CMDOSE"] = gc["GCDOSE"].astype("float64")
    out["CMDOSU"] = GC_UNIT
    out["CMDOSFRQ"] = gc["GCDOSFRQ"]
    out["CMROUTE"] = gc["GCROUTE"]
    out["CMSTDTC"] = iso_date(gc["GCSTDT"])
    out["CMENDTC"] = iso_date(gc["GCENDT"])
    return out


def build(ctx: SdtmContext) -> dict[str, pd.DataFrame]:
    """CM from cm.csv and gc.csv."""
    cm_raw, gc_raw = ctx.form("cm"), ctx.form("gc")
    general, gluco = general_records(cm_raw), glucocorticoid_records(gc_raw)
    ctx.accounting.flow("cm", "CM", len(cm_raw), len(general), "CMCAT=GENERAL, one record per raw row")
    ctx.accounting.flow("gc", "CM", len(gc_raw), len(gluco),
                        "CMCAT=SYSTEMIC GLUCOCORTICOID, one record per constant-dose period")
    cm = pd.concat([general, gluco], ignore_index=True)
    cm = add_subject_ids(cm, ctx.subjects, ctx.config, "CM")
    cm = add_days_and_epoch(cm, ctx.subjects, ctx.datasets.get("SE"),
                            {"CMSTDTC": "CMSTDY", "CMENDTC": "CMENDY"}, "CMSTDTC")
    cm = derive_seq(cm.assign(_ST=cm["CMSTDTC"].fillna("")), "CMSEQ", ["CMCAT", "_ST", "_SRC", "_SPIDN"])
    return {"CM": cm.drop(columns=[c for c in cm.columns if c.startswith("_") or c == "SUBJID"])}
