"""SV: one record per subject visit, planned (done or missed) and unscheduled.

Planned visits: SVPRESP = Y, SVOCCUR = Y/N from VISDONE, SVREASOC = the
reason a missed visit did not occur, VISITDY = the configuration's target
day. Unscheduled visits: VISIT = ``UNSCHEDULED <VISITNUM>``, SVPRESP and
SVOCCUR null, SVUPDES = the assessments recorded at that visit.
"""
from __future__ import annotations

import pandas as pd

from cdisc_msc.config import StudyConfig
from cdisc_msc.sdtm.common import add_subject_ids, iso_date, require, sdtm_visit, study_day

# raw visit-based forms and the assessment each records (for SVUPDES)
ASSESSMENT_FORMS: dict[str, str] = {
    "sledai": "SELENA-SLEDAI", "bilag": "BILAG", "sf36": "SF-36", "eq5d": "EQ-5D-5L",
    "como": "COMORBIDITIES", "lb": "LABORATORY", "vs": "VITAL SIGNS",
}


def unscheduled_assessments(forms: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per (SUBJID, VISITNUM) of an unscheduled visit, the assessments recorded there.

    >>> unscheduled_assessments({"lb": pd.DataFrame({"SUBJID": ["001"], "VISIT": ["UNSCHEDULED"],
    ...                                               "VISITNUM": [4.1]})})["SVUPDES"].tolist()
    ['UNSCHEDULED VISIT: LABORATORY']
    """
    parts = []
    for name, label in ASSESSMENT_FORMS.items():
        f = forms.get(name)
        if f is None or not len(f):
            continue
        require(f, ["SUBJID", "VISIT", "VISITNUM"], f"unscheduled_assessments ({name})")
        u = f.loc[(f["VISIT"].astype("string").str.upper() == "UNSCHEDULED").fillna(False), ["SUBJID", "VISITNUM"]]
        parts.append(u.drop_duplicates().assign(_A=label, _O=list(ASSESSMENT_FORMS).index(name)))
    if not parts:
        return pd.DataFrame({"SUBJID": pd.Series(dtype="string"), "VISITNUM": pd.Series(dtype="float64"),
                             "SVUPDES": pd.Series(dtype="string")})
    allp = pd.concat(parts, ignore_index=True).astype({"SUBJID": "string", "VISITNUM": "float64"})
    allp = allp.sort_values(["SUBJID", "VISITNUM", "_O"])
    out = allp.groupby(["SUBJID", "VISITNUM"], as_index=False)["_A"].agg(", ".join)
    return pd.DataFrame({"SUBJID": out["SUBJID"], "VISITNUM": out["VISITNUM"],
                         "SVUPDES": ("UNSCHEDULED VISIT: " + out["_A"]).astype("string")})


def derive_sv(sv_raw: pd.DataFrame, dm: pd.DataFrame, config: StudyConfig, updes: pd.DataFrame) -> pd.DataFrame:
    """SV records from sv.csv; ``updes`` is ``unscheduled_assessments`` output.

    No EPOCH: SV is a special-purpose domain and SDTMIG 3.4 SV has no EPOCH variable.
    """
    require(sv_raw, ["SUBJID", "VISIT", "VISITNUM", "VISDONE", "VISDT", "REASND"], "derive_sv")
    raw = sv_raw.reset_index(drop=True)
    unsched = (raw["VISIT"].astype("string").str.upper() == "UNSCHEDULED").fillna(False)
    target = {v.visitnum: v.target_day for v in config.visits}
    visitnum = pd.to_numeric(raw["VISITNUM"], errors="coerce").astype("float64")
    done = (raw["VISDONE"] == "Y").fillna(False)
    sv = add_subject_ids(raw[["SUBJID"]].astype("string"), dm, config, "SV")
    sv = sv.assign(
        VISITNUM=visitnum.to_numpy(),
        VISIT=sdtm_visit(raw["VISIT"], visitnum).to_numpy(),
        SVPRESP=pd.Series("Y", index=raw.index, dtype="string").mask(unsched).to_numpy(),
        SVOCCUR=done.map({True: "Y", False: "N"}).astype("string").mask(unsched).to_numpy(),
        SVREASOC=raw["REASND"].astype("string").where(~done & ~unsched).to_numpy(),
        VISITDY=visitnum.map(target).astype("Int64").mask(unsched).to_numpy(),
        SVSTDTC=iso_date(raw["VISDT"]).to_numpy(),
    )
    sv["SVENDTC"] = sv["SVSTDTC"]
    sv = sv.merge(updes.astype({"SUBJID": "string", "VISITNUM": "float64"}), on=["SUBJID", "VISITNUM"], how="left")
    sv["SVUPDES"] = sv["SVUPDES"].astype("string").where(unsched.to_numpy(), pd.NA)
    sv.loc[unsched.to_numpy() & sv["SVUPDES"].isna().to_numpy(), "SVUPDES"] = "UNSCHEDULED VISIT"
    ref = sv["USUBJID"].map(dm.set_index("USUBJID")["RFSTDTC"])
    sv["SVSTDY"] = study_day(sv["SVSTDTC"], ref)
    sv["SVENDY"] = study_day(sv["SVENDTC"], ref)
    return sv.sort_values(["USUBJID", "VISITNUM"], kind="mergesort").drop(columns="SUBJID").reset_index(drop=True)


def build(ctx) -> dict[str, pd.DataFrame]:
    """SV from sv.csv; SVUPDES from the visit-based forms with unscheduled records."""
    raw = ctx.form("sv")
    forms = {}
    for name in ASSESSMENT_FORMS:
        try:
            forms[name] = ctx.form(name)
        except (KeyError, FileNotFoundError):
            continue
    sv = derive_sv(raw, ctx.datasets["DM"], ctx.config, unscheduled_assessments(forms))
    ctx.accounting.flow("sv", "SV", len(raw), len(sv))
    return {"SV": sv}
