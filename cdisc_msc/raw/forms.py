"""The raw data contract: one pydantic row model per EDC form.

Each model is the contract of one CSV export (file ``<form>.csv``; SAS7BDAT
or XPT with the same stem are accepted too). Field names are the column
names. Conventions, the same for every form:

* encoding UTF-8 (cp1252 accepted when the file is not valid UTF-8),
  delimiter ``,``, first line = column names, empty cell = missing;
* dates ``YYYY-MM-DD``; an unknown day is written ``UN`` and an unknown
  month ``UN`` too (``2024-03-UN``, ``2024-UN-UN``); only fields typed
  ``PartialDate`` accept them;
* times ``HH:MM`` (24 h); date-times ``YYYY-MM-DDTHH:MM``;
* answers are codes, not labels: Y/N, CDISC submission values where CT has
  the answer (SEX, AEOUT, ROUTE ...), 1..5 for questionnaire levels;
* every form carries ``SUBJID``; visit-based forms carry ``VISIT`` and
  ``VISITNUM`` as the EDC assigns them (unscheduled visits: ``VISIT`` =
  ``UNSCHEDULED``, ``VISITNUM`` = previous planned VISITNUM + 0.1, 0.2 ...).

Readers (``cdisc_msc.raw.readers``) validate whole columns at once from the
field metadata below, so the models stay the single statement of the
contract while 10,000-subject exports load quickly. ``FORMS`` lists them.
"""
from __future__ import annotations

import re
from typing import Annotated, ClassVar, Literal, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# ---------------------------------------------------------------- value types
PARTIAL_DATE_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2]|UN)-(0[1-9]|[12]\d|3[01]|UN)$")
DATE_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")
TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
DATETIME_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d$")


def _calendar(value: str) -> str:
    """Reject impossible dates such as 2024-02-30 (after the pattern check)."""
    import datetime as _dt

    parts = value[:10].split("-")
    if "UN" in parts[1:]:
        if parts[1] == "UN" and parts[2] != "UN":
            raise ValueError("a known day with an unknown month is not allowed")
        return value
    _dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    return value


class Kind:
    """Marker carried in field metadata: how the reader checks a column."""

    def __init__(self, name: str, pattern: re.Pattern[str] | None = None, expected: str = "") -> None:
        self.name, self.pattern, self.expected = name, pattern, expected

    def __repr__(self) -> str:
        return f"Kind({self.name})"


DATE = Kind("date", DATE_RE, "a date YYYY-MM-DD")
PARTIAL = Kind("partial_date", PARTIAL_DATE_RE, "a date YYYY-MM-DD, day or month may be UN")
TIME = Kind("time", TIME_RE, "a time HH:MM")
DATETIME = Kind("datetime", DATETIME_RE, "a date-time YYYY-MM-DDTHH:MM")

FullDate = Annotated[str, Field(pattern=DATE_RE.pattern), AfterValidator(_calendar), DATE]
PartialDate = Annotated[str, Field(pattern=PARTIAL_DATE_RE.pattern), AfterValidator(_calendar), PARTIAL]
Time = Annotated[str, Field(pattern=TIME_RE.pattern), TIME]
DateTime = Annotated[str, Field(pattern=DATETIME_RE.pattern), AfterValidator(_calendar), DATETIME]

YN = Literal["Y", "N"]
Grade = Literal["A", "B", "C", "D", "E"]
Level5 = Annotated[int, Field(ge=1, le=5)]
Level6 = Annotated[int, Field(ge=1, le=6)]
Level3 = Annotated[int, Field(ge=1, le=3)]
SubjId = Annotated[str, Field(pattern=r"^\d{3,5}$", description="subject number within the study, zero-padded to 3 digits (to 4 or 5 when the study has 1,000 or more subjects)")]


class _Form(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    FORM: ClassVar[str]
    KEYS: ClassVar[tuple[str, ...]]
    DESCRIPTION: ClassVar[str]


class VisitForm(_Form):
    SUBJID: SubjId
    VISIT: str = Field(description="planned visit name (SCREENING, M0, M1, M3, M6, M9, M12) or UNSCHEDULED")
    VISITNUM: float = Field(ge=1, le=8, description="planned VISITNUM, or previous planned + 0.1 for unscheduled")


# ---------------------------------------------------------------- the forms
class Demographics(_Form):
    FORM = "dm"
    KEYS = ("SUBJID",)
    DESCRIPTION = "Demographics, informed consent, eligibility and dose-cohort assignment; one row per screened subject."
    SUBJID: SubjId
    SITEID: str = Field(pattern=r"^\d{3}$")
    BRTHDT: FullDate = Field(description="date of birth")
    SEX: Literal["F", "M"]
    RACE: Literal["WHITE", "BLACK OR AFRICAN AMERICAN", "ASIAN", "OTHER", "NOT REPORTED"]
    ETHNIC: Literal["HISPANIC OR LATINO", "NOT HISPANIC OR LATINO", "NOT REPORTED"]
    CONSDT: FullDate = Field(description="date informed consent signed")
    ELIGIBLE: YN = Field(description="all eligibility criteria met (N = screen failure; criteria in ie.csv)")
    COHORT: Optional[float] = Field(None, description="assigned dose cohort, 10^6 cells/kg (1, 2 or 4); empty for screen failures")


class Visits(VisitForm):
    FORM = "sv"
    KEYS = ("SUBJID", "VISITNUM")
    DESCRIPTION = "Visit dates, planned and unscheduled; a planned visit not done has VISDONE = N and no date."
    VISDONE: YN
    VISDT: Optional[FullDate] = None
    REASND: Optional[str] = Field(None, description="why the visit was not done")


class Infusion(_Form):
    FORM = "ex"
    KEYS = ("SUBJID",)
    DESCRIPTION = "The MSC infusion; one row per enrolled (eligible) subject, EXYN = N if not infused."
    SUBJID: SubjId
    EXYN: YN = Field(description="infusion given")
    REASND: Optional[str] = Field(None, description="why not infused")
    WEIGHT: Optional[float] = Field(None, gt=20, lt=250, description="body weight used for dosing, kg")
    DOSEKG: Optional[float] = Field(None, gt=0, le=10, description="cells given, 10^6 cells/kg")
    TOTCELLS: Optional[float] = Field(None, gt=0, description="total cells given, 10^6 cells")
    STDTM: Optional[DateTime] = Field(None, description="infusion start")
    ENDTM: Optional[DateTime] = Field(None, description="infusion end")


class AdverseEvents(_Form):
    FORM = "ae"
    KEYS = ("SUBJID", "AESPID")
    DESCRIPTION = ("Adverse events with the EDC coding module's MedDRA hierarchy; a change of grade "
                   "is a new row.")
    SUBJID: SubjId
    AESPID: int = Field(ge=1, description="line number on the AE log")
    AETERM: str = Field(min_length=1, description="verbatim term as reported (may contain accents)")
    AELLT: Optional[str] = None
    AELLTCD: Optional[int] = None
    AEDECOD: Optional[str] = Field(None, description="MedDRA preferred term")
    AEPTCD: Optional[int] = None
    AEHLT: Optional[str] = None
    AEHLTCD: Optional[int] = None
    AEHLGT: Optional[str] = None
    AEHLGTCD: Optional[int] = None
    AESOC: Optional[str] = Field(None, description="MedDRA primary system organ class")
    AESOCCD: Optional[int] = None
    AESTDT: PartialDate
    AESTTM: Optional[Time] = None
    AEENDT: Optional[PartialDate] = None
    AEONGO: YN = Field(description="ongoing at the end of the subject's participation")
    AETOXGR: Optional[Literal["1", "2", "3", "4", "5"]] = Field(None, description="CTCAE v5 grade; empty = not graded")
    AESER: YN
    AESDTH: Optional[YN] = None
    AESLIFE: Optional[YN] = None
    AESHOSP: Optional[YN] = None
    AESDISAB: Optional[YN] = None
    AESCONG: Optional[YN] = None
    AESMIE: Optional[YN] = None
    AEREL: Optional[Literal["NOT RELATED", "UNLIKELY RELATED", "POSSIBLY RELATED", "PROBABLY RELATED", "RELATED"]] = Field(
        None, description="relationship to MSC; empty = not assessed")
    AEACN: Optional[Literal["DOSE NOT CHANGED", "DRUG INTERRUPTED", "DRUG WITHDRAWN", "NOT APPLICABLE", "UNKNOWN"]] = None
    AEOUT: Optional[Literal["RECOVERED/RESOLVED", "RECOVERING/RESOLVING", "NOT RECOVERED/NOT RESOLVED",
                            "RECOVERED/RESOLVED WITH SEQUELAE", "FATAL", "UNKNOWN"]] = None


class ConMeds(_Form):
    FORM = "cm"
    KEYS = ("SUBJID", "CMSPID")
    DESCRIPTION = "Concomitant medications other than systemic glucocorticoids (those are on gc.csv only)."
    SUBJID: SubjId
    CMSPID: int = Field(ge=1)
    CMTRT: str = Field(min_length=1, description="verbatim name")
    CMDECOD: Optional[str] = Field(None, description="WHODrug preferred name")
    CMCLAS: Optional[str] = Field(None, description="ATC class text")
    CMDOSE: Optional[float] = Field(None, ge=0)
    CMDOSU: Optional[str] = Field(None, description="CDISC UNIT submission value, e.g. mg")
    CMDOSFRQ: Optional[str] = Field(None, description="CDISC FREQ submission value, e.g. QD, BID")
    CMROUTE: Optional[str] = Field(None, description="CDISC ROUTE submission value, e.g. ORAL")
    CMINDC: Optional[str] = None
    CMSTDT: Optional[PartialDate] = None
    CMENDT: Optional[PartialDate] = None
    CMONGO: YN


class Glucocorticoids(_Form):
    FORM = "gc"
    KEYS = ("SUBJID", "GCSPID")
    DESCRIPTION = ("Systemic glucocorticoid log: one row per constant-dose period, oral and IV "
                   "(methylprednisolone pulses included). The only source of glucocorticoids.")
    SUBJID: SubjId
    GCSPID: int = Field(ge=1)
    GCTRT: str = Field(min_length=1, description="verbatim name")
    GCDECOD: Literal["PREDNISONE", "PREDNISOLONE", "METHYLPREDNISOLONE", "HYDROCORTISONE", "DEXAMETHASONE"]
    GCDOSE: float = Field(gt=0, description="mg per administration")
    GCDOSFRQ: Literal["QD", "BID", "TID", "ONCE"] = Field(description="administrations per day (ONCE = a single administration on each day of the period)")
    GCROUTE: Literal["ORAL", "INTRAVENOUS"]
    GCSTDT: FullDate
    GCENDT: Optional[FullDate] = Field(None, description="last day of the period; empty when ongoing")
    GCONGO: YN


class SF36(VisitForm):
    FORM = "sf36"
    KEYS = ("SUBJID", "VISITNUM")
    DESCRIPTION = "SF-36 v2 standard (4-week recall): answers as category numbers; empty = item not answered."
    QSDT: Optional[FullDate] = None
    QSND: Optional[str] = Field(None, description="reason the whole questionnaire was not done")
    Q1: Optional[Level5] = None
    Q2: Optional[Level5] = None
    Q3A: Optional[Level3] = None
    Q3B: Optional[Level3] = None
    Q3C: Optional[Level3] = None
    Q3D: Optional[Level3] = None
    Q3E: Optional[Level3] = None
    Q3F: Optional[Level3] = None
    Q3G: Optional[Level3] = None
    Q3H: Optional[Level3] = None
    Q3I: Optional[Level3] = None
    Q3J: Optional[Level3] = None
    Q4A: Optional[Level5] = None
    Q4B: Optional[Level5] = None
    Q4C: Optional[Level5] = None
    Q4D: Optional[Level5] = None
    Q5A: Optional[Level5] = None
    Q5B: Optional[Level5] = None
    Q5C: Optional[Level5] = None
    Q6: Optional[Level5] = None
    Q7: Optional[Level6] = None
    Q8: Optional[Level5] = None
    Q9A: Optional[Level5] = None
    Q9B: Optional[Level5] = None
    Q9C: Optional[Level5] = None
    Q9D: Optional[Level5] = None
    Q9E: Optional[Level5] = None
    Q9F: Optional[Level5] = None
    Q9G: Optional[Level5] = None
    Q9H: Optional[Level5] = None
    Q9I: Optional[Level5] = None
    Q10: Optional[Level5] = None
    Q11A: Optional[Level5] = None
    Q11B: Optional[Level5] = None
    Q11C: Optional[Level5] = None
    Q11D: Optional[Level5] = None


class EQ5D(VisitForm):
    FORM = "eq5d"
    KEYS = ("SUBJID", "VISITNUM")
    DESCRIPTION = "EQ-5D-5L: five dimensions at level 1 (no problems) to 5 (extreme), and the VAS 0-100."
    QSDT: Optional[FullDate] = None
    QSND: Optional[str] = None
    MO: Optional[Level5] = None
    SC: Optional[Level5] = None
    UA: Optional[Level5] = None
    PD: Optional[Level5] = None
    AD: Optional[Level5] = None
    VAS: Optional[int] = Field(None, ge=0, le=100)


SLEDAI_DESCRIPTORS: tuple[str, ...] = (
    "SEIZURE", "PSYCHOS", "OBS", "VISUAL", "CRANIAL", "HEADACHE", "CVA", "VASCULIT",
    "ARTHRIT", "MYOSIT", "CASTS", "HEMATUR", "PROTEIN", "PYURIA",
    "RASH", "ALOPECIA", "MUCOSAL", "PLEURISY", "PERICARD", "LOWCOMP", "DNABIND",
    "FEVER", "THROMBO", "LEUKOPEN",
)
"""Raw column names of the 24 SELENA-SLEDAI descriptors, in the SAP's order."""


class SLEDAI(VisitForm):
    FORM = "sledai"
    KEYS = ("SUBJID", "VISITNUM")
    DESCRIPTION = ("SELENA-SLEDAI: each of the 24 descriptors present (Y) or absent (N) over the preceding "
                   "10 days; empty = not recorded. PGA is recorded on the same form.")
    RSDT: Optional[FullDate] = None
    RSND: Optional[str] = None
    SEIZURE: Optional[YN] = None
    PSYCHOS: Optional[YN] = None
    OBS: Optional[YN] = None
    VISUAL: Optional[YN] = None
    CRANIAL: Optional[YN] = None
    HEADACHE: Optional[YN] = None
    CVA: Optional[YN] = None
    VASCULIT: Optional[YN] = None
    ARTHRIT: Optional[YN] = None
    MYOSIT: Optional[YN] = None
    CASTS: Optional[YN] = None
    HEMATUR: Optional[YN] = None
    PROTEIN: Optional[YN] = None
    PYURIA: Optional[YN] = None
    RASH: Optional[YN] = None
    ALOPECIA: Optional[YN] = None
    MUCOSAL: Optional[YN] = None
    PLEURISY: Optional[YN] = None
    PERICARD: Optional[YN] = None
    LOWCOMP: Optional[YN] = None
    DNABIND: Optional[YN] = None
    FEVER: Optional[YN] = None
    THROMBO: Optional[YN] = None
    LEUKOPEN: Optional[YN] = None
    PGA: Optional[float] = Field(None, ge=0, le=3, description="physician global assessment, 0-3, one decimal")


BILAG_SYSTEMS: tuple[str, ...] = ("GEN", "MUC", "NEU", "MSK", "CVR", "VAS", "REN", "HAE")
"""Raw column names of the 8 classic BILAG systems, in the SAP's order."""


class BILAG(VisitForm):
    FORM = "bilag"
    KEYS = ("SUBJID", "VISITNUM")
    DESCRIPTION = "Classic BILAG: each of 8 organ systems graded A to E; empty = not graded."
    RSDT: Optional[FullDate] = None
    RSND: Optional[str] = None
    GEN: Optional[Grade] = None
    MUC: Optional[Grade] = None
    NEU: Optional[Grade] = None
    MSK: Optional[Grade] = None
    CVR: Optional[Grade] = None
    VAS: Optional[Grade] = None
    REN: Optional[Grade] = None
    HAE: Optional[Grade] = None


class Comorbidities(VisitForm):
    FORM = "como"
    KEYS = ("SUBJID", "VISITNUM", "COTERM")
    DESCRIPTION = ("Pre-specified comorbidity checklist, one row per comorbidity per visit. Screening answers "
                   "become MH, follow-up answers CE.")
    CODT: FullDate = Field(description="date the checklist was completed")
    COTERM: str = Field(description="a comorbidity of the study configuration's checklist")
    COPRES: Optional[YN] = Field(None, description="present; empty = not asked/unknown")


class MedicalHistory(_Form):
    FORM = "mh"
    KEYS = ("SUBJID", "MHSPID")
    DESCRIPTION = "Medical history other than the comorbidity checklist (SLE history, other conditions)."
    SUBJID: SubjId
    MHSPID: int = Field(ge=1)
    MHTERM: str = Field(min_length=1)
    MHDECOD: Optional[str] = Field(None, description="MedDRA preferred term")
    MHBODSYS: Optional[str] = Field(None, description="MedDRA system organ class")
    MHCAT: Literal["SLE HISTORY", "GENERAL MEDICAL HISTORY"]
    MHSTDT: Optional[PartialDate] = None
    MHENDT: Optional[PartialDate] = None
    MHONGO: YN


class Disposition(_Form):
    FORM = "ds"
    KEYS = ("SUBJID", "DSSCAT")
    DESCRIPTION = "End of study (or of screening for screen failures); one row per subject and stage."
    SUBJID: SubjId
    DSSCAT: Literal["STUDY", "SCREENING"]
    DSDECOD: Literal["COMPLETED", "SCREEN FAILURE", "ADVERSE EVENT", "DEATH", "LOST TO FOLLOW-UP",
                     "WITHDRAWAL BY SUBJECT", "PHYSICIAN DECISION", "OTHER"]
    DSTERM: str = Field(min_length=1, description="reason as written by the investigator")
    DSSTDT: FullDate
    DTHDT: Optional[FullDate] = Field(None, description="date of death, if the subject died")


LB_TESTS: dict[str, tuple[str, str]] = {
    "C3": ("Complement C3", "g/L"),
    "C4": ("Complement C4", "g/L"),
    "DSDNA": ("Anti-dsDNA Antibody", "IU/mL"),
    "PLAT": ("Platelets", "10^9/L"),
    "WBC": ("Leukocytes", "10^9/L"),
    "RBCUR": ("Erythrocytes in urine", "/HPF"),
    "WBCUR": ("Leukocytes in urine", "/HPF"),
    "CASTSUR": ("Casts in urine", "/LPF"),
    "PROTUR": ("Protein in 24h urine", "g/day"),
}
"""Lab tests behind SLEDAI descriptors: raw LBTESTCD -> (name, standard unit)."""


class Labs(VisitForm):
    FORM = "lb"
    KEYS = ("SUBJID", "VISITNUM", "LBTESTCD")
    DESCRIPTION = "Laboratory values behind SLEDAI descriptors, one row per test per visit (local lab)."
    LBDT: Optional[FullDate] = None
    LBTESTCD: Literal["C3", "C4", "DSDNA", "PLAT", "WBC", "RBCUR", "WBCUR", "CASTSUR", "PROTUR"]
    LBORRES: Optional[str] = Field(None, description="result as reported (numeric text)")
    LBORRESU: Optional[str] = None
    LBORNRLO: Optional[str] = None
    LBORNRHI: Optional[str] = None
    LBND: Optional[str] = Field(None, description="reason not done")


class VitalSigns(VisitForm):
    FORM = "vs"
    KEYS = ("SUBJID", "VISITNUM")
    DESCRIPTION = "Weight (kg) and height (cm)."
    VSDT: FullDate
    WEIGHT: Optional[float] = Field(None, gt=20, lt=250)
    HEIGHT: Optional[float] = Field(None, gt=100, lt=230)


class Eligibility(_Form):
    FORM = "ie"
    KEYS = ("SUBJID", "IETESTCD")
    DESCRIPTION = "Eligibility criteria NOT met (screen failures): one row per failed criterion."
    SUBJID: SubjId
    IETESTCD: str = Field(pattern=r"^(IN|EX)\d{2}$", description="criterion id of the protocol (study configuration)")
    IEORRES: YN = Field(description="answer to the criterion: N for an inclusion not met, Y for an exclusion met")
    IEDT: FullDate


FORMS: dict[str, type[_Form]] = {
    m.FORM: m
    for m in (Demographics, Visits, Infusion, AdverseEvents, ConMeds, Glucocorticoids, SF36, EQ5D,
              SLEDAI, BILAG, Comorbidities, MedicalHistory, Disposition, Labs, VitalSigns, Eligibility)
}
"""Every form of the contract, by file stem."""
