"""A small hand-made ADaM folder for the report tests (values chosen so counts are easy by hand).

Subjects (ADSL): S1, S2 cohort 1 (TRT01AN 1); S3, S4 cohort 2; S5 cohort 4;
S6 not infused (SAFFL "N": must never be counted). Infused N = 5 overall,
2 / 2 / 1 by cohort.

ADAE: S1 headache grade 1 related day 5 (acute, M1..M12); S1 bronchitis
grade 2 unrelated day 100 (M6, M12); S3 pyrexia grade 1 related day 2
(acute, M1..M12) and pyrexia grade 3 related day 40 (M3..M12); S4 grade 4
event before infusion (not treatment-emergent); S6 related grade 2 (not infused).

ADRS: SRI4 Month 3: S1 Y, S2 N (imputed, DTYPE WC), S3 Y, S4 N, S5 Y, S6 Y;
S1 also has a not-analysed Month 3 record (N). CRIT1FL Month 3: S1 Y, S2 "",
S3 Y, S4 Y, S5 Y. SRI4 Month 6: S1 Y, S2 Y, S3 N, S4 N, no S5 record.
MCR Month 3: S1 Y, others N. SLEDAITS baseline 10, 8, 12, 6, 14 (S6 20);
Month 3: S1 6, S2 8, S3 4, S5 missing, S2 also a not-analysed 99.

ADSTER PREDRESP Month 3: S1 Y, S2 NE, S3 N (WC), S4 N, S5 Y.
ADCOMO COMOANY Month 3: S1 Y, S2 N, S3 Y (S4, S5 no checklist).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc_msc.io.meta import XptDataset, XptVariable
from cdisc_msc.io.xpt import write_xpt

STUDY = "MSC-SLE"
NA = np.nan
DATE_VARIABLES = {"TRTSDT", "EOSDT", "ASTDT", "AENDT", "ADT"}


def _ids(frame: pd.DataFrame) -> pd.DataFrame:
    cohort = {"S1": 1, "S2": 1, "S3": 2, "S4": 2, "S5": 4, "S6": NA}
    arm = {1: "MSC 1 x10^6 cells/kg", 2: "MSC 2 x10^6 cells/kg", 4: "MSC 4 x10^6 cells/kg"}
    out = frame.copy()
    out.insert(0, "STUDYID", STUDY)
    out["TRT01AN"] = out["USUBJID"].map(cohort).astype("float64")
    out["TRT01A"] = out["TRT01AN"].map(arm).fillna("")
    out["SAFFL"] = np.where(out["USUBJID"] == "S6", "N", "Y")
    return out


def adsl() -> pd.DataFrame:
    base = pd.DataFrame({"USUBJID": ["S1", "S2", "S3", "S4", "S5", "S6"]})
    out = _ids(base)
    out["SUBJID"] = out["USUBJID"]
    out["TRTSDT"] = [23000.0, 23010.0, 23020.0, 23030.0, 23040.0, NA]
    out["EOSDT"] = out["TRTSDT"] + 365
    out["NTOLFL"] = ["N", "N", "Y", "N", "N", ""]
    return out


def adae() -> pd.DataFrame:
    rows = [
        # USUBJID, AESEQ, SOC, PT, grade, ASTDY, AENDY, TRTEMFL, TOXFL, AREL
        ("S1", 1, "Nervous system disorders", "Headache", 1, 5, 6, "Y", "Y", "RELATED"),
        ("S1", 2, "Infections and infestations", "Bronchitis", 2, 100, 110, "Y", "", "NOT RELATED"),
        ("S3", 1, "General disorders and administration site conditions", "Pyrexia", 1, 2, 3, "Y", "Y",
         "POSSIBLY RELATED"),
        ("S3", 2, "General disorders and administration site conditions", "Pyrexia", 3, 40, 45, "Y", "Y",
         "PROBABLY RELATED"),
        ("S4", 1, "Infections and infestations", "Nasopharyngitis", 4, -3, 2, "", "", "NOT RELATED"),
        ("S6", 1, "Nervous system disorders", "Headache", 2, 3, 4, "Y", "Y", "RELATED"),
    ]
    frame = pd.DataFrame(rows, columns=["USUBJID", "AESEQ", "AEBODSYS", "AEDECOD", "ATOXGRN", "ASTDY", "AENDY",
                                        "TRTEMFL", "TOXFL", "AREL"])
    out = _ids(frame)
    for col in ("AESEQ", "ATOXGRN", "ASTDY", "AENDY"):
        out[col] = out[col].astype("float64")
    out["ATOXGR"] = out["ATOXGRN"].astype(int).astype(str)
    start = {"S1": 23000.0, "S3": 23020.0, "S4": 23030.0, "S6": 23050.0}
    out["ASTDT"] = out["USUBJID"].map(start) + np.where(out["ASTDY"] > 0, out["ASTDY"] - 1, out["ASTDY"])
    out["AENDT"] = out["USUBJID"].map(start) + out["AENDY"] - 1
    out["AETERM"] = out["AEDECOD"]
    out["AESER"] = "N"
    out["GRIMPFL"] = ""
    out["RELIMPFL"] = ""
    day = out["ASTDY"]
    te = out["TRTEMFL"] == "Y"
    out["ACUTEFL"] = np.where(te & (day >= 1) & (day <= 10), "Y", "")
    for flag, last in (("CUMM1FL", 31), ("CUMM3FL", 91), ("CUMM6FL", 181), ("CUMM12FL", 366)):
        out[flag] = np.where(te & (day >= 1) & (day <= last), "Y", "")
    return out


def _bds(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns)
    out = _ids(frame)
    out["AVISIT"] = out["AVISITN"].map({0.0: "Baseline", 3.0: "Month 3", 6.0: "Month 6"}).fillna("")
    for col in ("AVAL", "AVISITN", "CHG"):
        if col in out.columns:
            out[col] = out[col].astype("float64")
    return out


def adrs() -> pd.DataFrame:
    cols = ["USUBJID", "PARAMCD", "AVISITN", "AVAL", "AVALC", "ABLFL", "ANL01FL", "DTYPE", "CRIT1FL", "CHG"]
    rows = [
        ("S1", "SRI4", 3, 1, "Y", "", "Y", "", "Y", NA),
        ("S1", "SRI4", 3, 0, "N", "", "", "", "N", NA),
        ("S2", "SRI4", 3, 0, "N", "", "Y", "WC", "", NA),
        ("S3", "SRI4", 3, 1, "Y", "", "Y", "", "Y", NA),
        ("S4", "SRI4", 3, 0, "N", "", "Y", "", "Y", NA),
        ("S5", "SRI4", 3, 1, "Y", "", "Y", "", "Y", NA),
        ("S6", "SRI4", 3, 1, "Y", "", "Y", "", "Y", NA),
        ("S1", "SRI4", 6, 1, "Y", "", "Y", "", "Y", NA),
        ("S2", "SRI4", 6, 1, "Y", "", "Y", "", "Y", NA),
        ("S3", "SRI4", 6, 0, "N", "", "Y", "", "N", NA),
        ("S4", "SRI4", 6, 0, "N", "", "Y", "", "N", NA),
        ("S1", "MCR", 3, 1, "Y", "", "Y", "", "", NA),
        ("S2", "MCR", 3, 0, "N", "", "Y", "", "", NA),
        ("S3", "MCR", 3, 0, "N", "", "Y", "", "", NA),
        ("S4", "MCR", 3, 0, "N", "", "Y", "", "", NA),
        ("S5", "MCR", 3, 0, "N", "", "Y", "", "", NA),
        ("S1", "SLEDAITS", 0, 10, "", "Y", "Y", "", "", NA),
        ("S2", "SLEDAITS", 0, 8, "", "Y", "Y", "", "", NA),
        ("S3", "SLEDAITS", 0, 12, "", "Y", "Y", "", "", NA),
        ("S4", "SLEDAITS", 0, 6, "", "Y", "Y", "", "", NA),
        ("S5", "SLEDAITS", 0, 14, "", "Y", "Y", "", "", NA),
        ("S6", "SLEDAITS", 0, 20, "", "Y", "Y", "", "", NA),
        ("S1", "SLEDAITS", 3, 6, "", "", "Y", "", "", -4),
        ("S2", "SLEDAITS", 3, 8, "", "", "Y", "", "", 0),
        ("S2", "SLEDAITS", 3, 99, "", "", "", "", "", 91),
        ("S3", "SLEDAITS", 3, 4, "", "", "Y", "", "", -8),
        ("S5", "SLEDAITS", 3, NA, "", "", "Y", "", "", NA),
    ]
    out = _bds(rows, cols)
    for flag in ("CRIT2FL", "CRIT3FL", "CRIT4FL"):       # components 2-4 met on every SRI4 record
        out[flag] = np.where(out["PARAMCD"] == "SRI4", "Y", "")
    return out


def adster() -> pd.DataFrame:
    cols = ["USUBJID", "PARAMCD", "AVISITN", "AVAL", "AVALC", "ABLFL", "ANL01FL", "DTYPE", "CHG"]
    rows = [
        ("S1", "PREDRESP", 3, 1, "Y", "", "Y", "", NA),
        ("S2", "PREDRESP", 3, NA, "NE", "", "Y", "", NA),
        ("S3", "PREDRESP", 3, 0, "N", "", "Y", "WC", NA),
        ("S4", "PREDRESP", 3, 0, "N", "", "Y", "", NA),
        ("S5", "PREDRESP", 3, 1, "Y", "", "Y", "", NA),
        ("S1", "PREDAVG", 0, 20, "", "Y", "Y", "", NA),
        ("S1", "PREDAVG", 3, 10, "", "", "Y", "", -10),
    ]
    return _bds(rows, cols)


def adcomo() -> pd.DataFrame:
    cols = ["USUBJID", "PARAMCD", "AVISITN", "AVAL", "AVALC", "ABLFL", "ANL01FL"]
    rows = [
        ("S1", "COMOANY", 3, 1, "Y", "", "Y"),
        ("S2", "COMOANY", 3, 0, "N", "", "Y"),
        ("S3", "COMOANY", 3, 1, "Y", "", "Y"),
        ("S6", "COMOANY", 3, 1, "Y", "", "Y"),
    ]
    return _bds(rows, cols)


def datasets() -> dict[str, pd.DataFrame]:
    return {"ADSL": adsl(), "ADAE": adae(), "ADRS": adrs(), "ADSTER": adster(), "ADCOMO": adcomo()}


def xpt_meta(name: str, frame: pd.DataFrame) -> XptDataset:
    """Transport metadata inferred from the frame (numeric -> num, DATE9. for date variables)."""
    variables = []
    for col in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[col]):
            variables.append(XptVariable(name=col, label=col, type="num",
                                         format="DATE9." if col in DATE_VARIABLES else ""))
        else:
            length = max(1, int(frame[col].astype(str).str.len().max()))
            variables.append(XptVariable(name=col, label=col, type="char", length=length))
    return XptDataset(name=name, label=name, variables=variables, created=dt.datetime(2026, 1, 1))


def write_adam(folder: Path, frames: dict[str, pd.DataFrame] | None = None) -> Path:
    """Write the fixture datasets as ``<folder>/<name>.xpt``; returns ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in (frames or datasets()).items():
        write_xpt(frame, xpt_meta(name, frame), folder)
    return folder
