"""Trial design datasets: TE, TA, TV, TI and TS.

Elements and arms come from the study configuration (one infusion element
per dose cohort), visits and criteria too; TS facts that need the data
(SSTDTC, SENDTC, ACTSUB, ONGOSIND) come from DM and DS. The few design facts
that are not configurable (blinding, control, intent...) are the SAP's
"Design" line and are stated once in ``DESIGN`` below.
"""
from __future__ import annotations

import pandas as pd

from cdisc_msc.config import StudyConfig
from cdisc_msc.sdtm.common import dtc_to_date, require
from cdisc_msc.spec.ct import load_ct

SCREENING = "SCRN"
FOLLOW_UP = "FU"

# Investigational product: one IV infusion of umbilical-cord MSC (SAP 1, 6).
TREATMENT_NAME = "UMBILICAL CORD MESENCHYMAL STEM CELLS"
ROUTE = "INTRAVENOUS"
DOSE_FORM = "SUSPENSION"
DOSE_FREQ = "ONCE"
DOSE_UNIT = "10^6 Therapeutic Cells/kg"

# Design facts of the SAP's trial table (not configurable): value, NCI codelist
DESIGN: dict[str, tuple[str, str]] = {
    "TBLIND": ("OPEN LABEL", "C66735"),
    "TCNTRL": ("NONE", "C66785"),
    "TINDTP": ("TREATMENT", "C66736"),
    "SEXPOP": ("BOTH", "C66732"),
    "INTMODEL": ("SINGLE GROUP", "C99076"),
    "INTTYPE": ("BIOLOGIC", "C99078"),
    "STYPE": ("INTERVENTIONAL", "C99077"),
    "ROUTE": (ROUTE, "C66729"),
    "DOSFRM": (DOSE_FORM, "C66726"),
    "DOSFRQ": (DOSE_FREQ, "C71113"),
}
TRIAL_TYPES = ("SAFETY", "EFFICACY")
NO_FLAGS = ("RANDOM", "ADAPT", "HLTSUBJI", "EXTTIND", "PDPSTIND", "PDSTIND", "PIPIND", "RDIND")
YES_FLAGS = ("ADDON",)
# Parameters FDA expects in TS that do not apply to a single-group, non-randomised trial
# without exploratory outcomes: TSVALNF = NA (ISO 21090 "not applicable").
NOT_APPLICABLE = ("COMPTRT", "RANDQT", "OUTMSEXP")
DIAGNOSIS = ("SYSTEMIC LUPUS ERYTHEMATOSUS", "55464009")  # SNOMED CT concept
THERAPEUTIC_AREA = "RHEUMATOLOGY"
CURRENT_THERAPY = "STANDARD SLE THERAPY (GLUCOCORTICOIDS AND IMMUNOSUPPRESSANTS) CONTINUED"
PHARM_CLASS = "ALLOGENEIC MESENCHYMAL STROMAL CELL THERAPY"
OBJECTIVES = {
    "OBJPRIM": ["To assess the tolerance (CTCAE v5.0 toxicity) of a single intravenous infusion of allogeneic "
                "umbilical-cord mesenchymal stem cells in refractory systemic lupus erythematosus"],
    "OBJSEC": ["To assess the efficacy of the infusion on lupus disease activity (SRI-4, clinical response, "
               "SELENA-SLEDAI, BILAG, PGA) up to month 12",
               "To assess quality of life, comorbidities and glucocorticoid use up to month 12"],
}
OUTCOMES = {
    "OUTMSPRI": ["Toxicity of allogeneic MSC injection according to CTCAE at months 1, 3, 6 and 12"],
    "OUTMSSEC": [
        "Proportion of subjects with major or partial clinical response at months 3, 6, 9 and 12",
        "Disease activity by the BILAG index (0 to 72) at months 3, 6, 9 and 12",
        "Disease activity by SELENA-SLEDAI (0 to 105) at months 3, 6, 9 and 12",
        "SRI-4 response at months 3, 6, 9 and 12",
        "Presence of comorbidities at months 3, 6, 9 and 12",
        "Quality of life by SF-36 v2 at months 3, 6, 9 and 12",
        "Quality of life by EQ-5D-5L at months 3, 6, 9 and 12",
        "Subjects with an average prednisone dose reduced by 25% or more from M0 at months 3, 6, 9 and 12",
    ],
}
REGISTRY_REF = {"NCT": "ClinicalTrials.gov", "EudraCT": "EudraCT"}


# ------------------------------------------------------------------ TE / TA
def elements(config: StudyConfig) -> pd.DataFrame:
    """TE rows (ETCD, ELEMENT, TESTRL, TEENRL, TEDUR) plus the EPOCH each element belongs to.

    >>> elements(cfg)["ETCD"].tolist()  # doctest: +SKIP
    ['SCRN', 'MSC1', 'MSC2', 'MSC4', 'FU']
    """
    screening = min(config.visits, key=lambda v: v.visitnum)
    rows = [{"ETCD": SCREENING, "ELEMENT": "Screening",
             "TESTRL": "Informed consent signed",
             "TEENRL": f"Start of the MSC infusion (at most {-screening.window_start} days after consent)",
             "TEDUR": pd.NA, "EPOCH": "SCREENING"}]
    for arm in config.arms:
        rows.append({"ETCD": arm.armcd, "ELEMENT": f"Infusion {arm.arm}",
                     "TESTRL": f"Start of the MSC infusion at {arm.dose:g} x10^6 cells/kg",
                     "TEENRL": "End of study day 1 (the infusion day)", "TEDUR": pd.NA, "EPOCH": "TREATMENT"})
    rows.append({"ETCD": FOLLOW_UP, "ELEMENT": "Follow-up", "TESTRL": "Start of study day 2",
                 "TEENRL": f"End of study (visit on study day {config.end_of_study_day}) or early termination",
                 "TEDUR": pd.NA, "EPOCH": "FOLLOW-UP"})
    return pd.DataFrame(rows).astype("string")


def derive_te(config: StudyConfig) -> pd.DataFrame:
    te = elements(config).drop(columns="EPOCH")
    return te.assign(STUDYID=config.studyid, DOMAIN="TE")


def derive_ta(config: StudyConfig) -> pd.DataFrame:
    """TA: per arm SCRN (branch: eligible, assigned to the cohort), the arm's infusion, FU."""
    el = elements(config).set_index("ETCD")
    rows = []
    for arm in config.arms:
        for order, etcd, branch in ((1, SCREENING, f"Eligible and assigned to cohort {arm.arm}"),
                                    (2, arm.armcd, pd.NA), (3, FOLLOW_UP, pd.NA)):
            rows.append({"ARMCD": arm.armcd, "ARM": arm.arm, "TAETORD": order, "ETCD": etcd,
                         "ELEMENT": el.loc[etcd, "ELEMENT"], "TABRANCH": branch, "TATRANS": pd.NA,
                         "EPOCH": el.loc[etcd, "EPOCH"]})
    ta = pd.DataFrame(rows)
    return ta.assign(STUDYID=config.studyid, DOMAIN="TA", TAETORD=ta["TAETORD"].astype("Int64"))


# ------------------------------------------------------------------ TV / TI
def derive_tv(config: StudyConfig) -> pd.DataFrame:
    """TV: one record per planned visit of the configuration (all arms share the schedule)."""
    rows = [{"VISITNUM": v.visitnum, "VISIT": v.visit, "VISITDY": v.target_day,
             "TVSTRL": (f"Study day {v.target_day}" if v.window_start == v.window_end
                        else f"Study day {v.target_day} (allowed study days {v.window_start} to {v.window_end})"),
             "TVENRL": pd.NA}
            for v in sorted(config.visits, key=lambda v: v.visitnum)]
    tv = pd.DataFrame(rows)
    return tv.assign(STUDYID=config.studyid, DOMAIN="TV", ARMCD=pd.NA, VISITDY=tv["VISITDY"].astype("Int64"))


def derive_ti(config: StudyConfig) -> pd.DataFrame:
    """TI: the protocol's eligibility criteria from the configuration."""
    ti = pd.DataFrame([{"IETESTCD": c.ietestcd, "IETEST": c.ietest, "IECAT": c.iecat} for c in config.criteria])
    return ti.assign(STUDYID=config.studyid, DOMAIN="TI")


# ------------------------------------------------------------------ TS
def _row(parmcd: str, val: object = pd.NA, nf: object = pd.NA, cd: object = pd.NA,
         ref: object = pd.NA, ver: object = pd.NA, grp: object = pd.NA) -> dict:
    return {"TSPARMCD": parmcd, "TSVAL": val, "TSVALNF": nf, "TSVALCD": cd,
            "TSVCDREF": ref, "TSVCDVER": ver, "TSGRPID": grp}


def _cdisc(parmcd: str, value: str, nci_codelist: str, version: str, grp: object = pd.NA) -> dict:
    """A TS row whose value is a CT term: TSVALCD = the term's NCI code."""
    code = load_ct(version)[nci_codelist].terms[value]
    return _row(parmcd, value, cd=code, ref="CDISC CT", ver=version, grp=grp)


def _iso8601(parmcd: str, value: str) -> dict:
    return _row(parmcd, value, ref="ISO 8601")


def study_dates(dm: pd.DataFrame, ds: pd.DataFrame) -> dict[str, object]:
    """SSTDTC (earliest consent of enrolled subjects), SENDTC (latest end of participation),
    ACTSUB (subjects assigned to a cohort) and ONGOSIND (any enrolled subject without an
    end-of-study disposition event).

    Enrolled = ARMCD present, so screen failures (ARMNRS = SCREEN FAILURE) are excluded.
    """
    require(dm, ["USUBJID", "ARMCD", "RFICDTC", "RFPENDTC"], "study_dates (DM)")
    require(ds, ["USUBJID", "DSCAT"], "study_dates (DS)")
    enrolled = dm[dm["ARMCD"].notna()]
    consent = dtc_to_date(enrolled["RFICDTC"])
    ends = dtc_to_date(dm["RFPENDTC"])
    closed = set(ds.loc[(ds["DSCAT"] == "DISPOSITION EVENT").fillna(False), "USUBJID"])
    ongoing = bool((~enrolled["USUBJID"].isin(closed)).any())
    fmt = lambda ts: ts.strftime("%Y-%m-%d") if pd.notna(ts) else pd.NA  # noqa: E731
    return {"SSTDTC": fmt(consent.min()), "SENDTC": fmt(ends.max()),
            "ACTSUB": str(len(enrolled)), "ONGOSIND": "Y" if ongoing else "N"}


def derive_ts(config: StudyConfig, dm: pd.DataFrame, ds: pd.DataFrame) -> pd.DataFrame:
    """TS: one record per parameter value; TSSEQ numbers repeated values of a parameter."""
    ver = config.standards.ct_sdtm
    facts = study_dates(dm, ds)
    rows: list[dict] = []
    rows += [_cdisc(p, v, cl, ver) for p, (v, cl) in DESIGN.items()]
    rows += [_cdisc(p, "N", "C66742", ver) for p in NO_FLAGS]
    rows += [_cdisc(p, "Y", "C66742", ver) for p in YES_FLAGS]
    rows.append(_cdisc("ONGOSIND", facts["ONGOSIND"], "C66742", ver))
    rows.append(_cdisc("TPHASE", config.phase, "C66737", ver))
    rows += [_cdisc("TTYPE", t, "C66739", ver) for t in TRIAL_TYPES]
    rows += [_iso8601("AGEMIN", f"P{config.age_min}Y"), _iso8601("AGEMAX", f"P{config.age_max}Y")]
    screening = min(config.visits, key=lambda v: v.visitnum)
    rows.append(_iso8601("LENGTH", f"P{config.end_of_study_day - screening.window_start}D"))
    rows += [_row("PLANSUB", str(config.planned_subjects)), _row("NARMS", str(len(config.arms))),
             _row("NCOHORT", str(len(config.arms))), _row("ACTSUB", facts["ACTSUB"])]
    rows.append(_row("TITLE", " ".join(config.title.split())))
    rows.append(_row("SPONSOR", config.sponsor))
    rows += [_row("REGID", rid, cd=rid, ref=REGISTRY_REF.get(reg, reg)) for reg, rid in config.registry_ids.items()]
    rows.append(_row("FCNTRY", config.country, cd=config.country, ref="ISO 3166", ver="2020-08"))
    rows.append(_row("TDIGRP", DIAGNOSIS[0], cd=DIAGNOSIS[1], ref="SNOMED"))
    rows.append(_row("INDIC", DIAGNOSIS[0], cd=DIAGNOSIS[1], ref="SNOMED"))
    rows.append(_row("THERAREA", THERAPEUTIC_AREA))
    rows.append(_row("CURTRT", CURRENT_THERAPY))
    rows.append(_row("TRT", TREATMENT_NAME))
    rows.append(_row("PCLAS", PHARM_CLASS))
    rows.append(_row("STOPRULE", nf="NI"))
    rows += [_row(p, nf="NA") for p in NOT_APPLICABLE]
    rows.append(_row("DOSU", DOSE_UNIT))
    rows += [_row("DOSE", f"{a.dose:g}", grp=a.armcd) for a in config.arms]
    for parmcd, texts in {**OBJECTIVES, **OUTCOMES}.items():
        rows += [_row(parmcd, t) for t in texts]
    rows += [_iso8601("DCUTDTC", config.data_cutoff.isoformat()), _row("DCUTDESC", config.data_cutoff_desc)]
    rows += [_iso8601("SSTDTC", facts["SSTDTC"]), _iso8601("SENDTC", facts["SENDTC"])]
    rows += [_row("SDTIGVER", config.standards.sdtmig), _row("SDTMVER", config.standards.sdtm_model)]
    ts = pd.DataFrame(rows)
    ts.loc[ts["TSVAL"].isna() & ts["TSVALNF"].isna(), "TSVALNF"] = "NI"
    too_long = ts["TSVAL"].astype("string").str.len() > 200
    if too_long.fillna(False).any():
        raise ValueError(f"TS values over 200 characters: {ts.loc[too_long.fillna(False), 'TSPARMCD'].tolist()}")
    ct = load_ct(ver)
    name_by_code = {code: name for name, code in ct["C67152"].terms.items()}
    parm_by_cd = {cd: name_by_code[code] for cd, code in ct["C66738"].terms.items() if code in name_by_code}
    ts["TSPARM"] = ts["TSPARMCD"].map(parm_by_cd)
    ts = ts.sort_values(["TSPARMCD", "TSGRPID"], kind="mergesort", na_position="first")
    ts["TSSEQ"] = (ts.groupby("TSPARMCD").cumcount() + 1).astype("Int64")
    return ts.assign(STUDYID=config.studyid, DOMAIN="TS").reset_index(drop=True)


def build(ctx) -> dict[str, pd.DataFrame]:
    """TS, TA, TE, TV, TI (after DM and DS)."""
    cfg = ctx.config
    return {"TS": derive_ts(cfg, ctx.datasets["DM"], ctx.datasets["DS"]),
            "TA": derive_ta(cfg), "TE": derive_te(cfg), "TV": derive_tv(cfg), "TI": derive_ti(cfg)}
