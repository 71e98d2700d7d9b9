"""The outcome map: each registry outcome -> ADaM dataset, parameters, filter, time points.

This is the ONE place that names ADaM datasets, PARAMCDs, flags and filters
for the report. The filter texts are not documentation only: they are parsed
and executed (:mod:`cdisc_msc.report.query`), and printed above each table
and on each CSV row, so the text a reviewer reads is the query that produced
the number.

>>> [o.key for o in outcome_map(None)][:3]
['toxicity', 'ae_socpt', 'response']
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from cdisc_msc.config import StudyConfig
from cdisc_msc.report.query import variables

Kind = Literal["toxicity", "socpt", "responder", "continuous", "presence"]

POPULATION = 'SAFFL="Y"'
"""Analysis population (SAP 5): infused subjects; also the denominator of proportions."""
ANALYSED = 'ANL01FL="Y"'
BASELINE = 'ABLFL="Y"'

REGISTRY_TOXICITY = "Toxicity of allogeneic MSC injection according to CTCAE"
REGISTRY_RESPONSE = "Proportion of subjects with Clinical Response"
REGISTRY_BILAG = "Disease activity measured by the BILAG index"
REGISTRY_SLEDAI = "Disease activity measured by SELENA-SLEDAI"
REGISTRY_SRI = "SRI"
REGISTRY_COMO = "comorbidities"
REGISTRY_SF36 = "Quality of life Month SF-36"
REGISTRY_EQ5D = "Quality of life EQ-5D"
REGISTRY_STEROIDS = "Steroids"
"""Registry outcome titles, verbatim from ``registry-outcome-measures.txt`` (without the trailing "Month N")."""

TOXICITY_MONTHS = (1, 3, 6, 12)
FOLLOW_UP_MONTHS = (3, 6, 9, 12)
"""AVISITN of the registry time points (the study configuration's analysis windows give their labels)."""

ACUTE_FLAG = "ACUTEFL"
ACUTE_LAST_DAY = 10
TOXICITY_WINDOW_FLAGS = {1: "CUMM1FL", 3: "CUMM3FL", 6: "CUMM6FL", 12: "CUMM12FL"}
"""ADAE flag of each cumulative toxicity time point (AVISITN -> flag), and of the acute D1-D10 window."""
NOT_TOLERATED_GRADE = 3

COMORBIDITY_ANY = "COMOANY"
"""ADCOMO PARAMCD of 'at least one comorbidity present'."""


@dataclass(frozen=True)
class Param:
    """One row block of a table: a parameter, and which variable says "yes" for proportions.

    ``paramcd`` empty = no PARAMCD clause (ADAE scopes); ``flag`` = the variable that
    must equal "Y" for a responder / an event (AVALC for BDS responders).
    """

    paramcd: str
    label: str
    flag: str = "AVALC"
    decimals: int = 0
    where: str = ""


@dataclass(frozen=True)
class TimePoint:
    """A registry time point: its label and the filter clause selecting its records."""

    label: str
    where: str
    avisitn: int | None = None


@dataclass(frozen=True)
class Outcome:
    """A registry outcome (or a supportive table) and where its numbers come from."""

    key: str
    title: str
    kind: Kind
    dataset: str
    params: tuple[Param, ...]
    timepoints: tuple[TimePoint, ...]
    registry: str = ""
    where: str = POPULATION
    not_evaluable: str = ""
    """Filter of records that leave the denominator (reported), e.g. steroid baseline dose 0."""
    change: bool = True
    """Continuous outcomes: also summarise the change from baseline (CHG)."""
    notes: tuple[str, ...] = field(default_factory=tuple)

    def source(self) -> str:
        """The traceability text of the whole table."""
        params = [p.paramcd for p in self.params if p.paramcd]
        parts = [self.where]
        if params:
            unique = list(dict.fromkeys(params))
            parts.append(f'PARAMCD="{unique[0]}"' if len(unique) == 1 else
                         "PARAMCD in (" + ", ".join(f'"{p}"' for p in unique) + ")")
        text = f"{self.dataset} where " + " and ".join(parts)
        text += "; time points: " + "; ".join(f"{t.label}: {t.where}" for t in self.timepoints)
        flags = sorted({p.flag for p in self.params}) if self.kind in ("responder", "presence") else []
        if flags:
            text += "; counted when " + " / ".join(f'{f}="Y"' for f in flags)
        return text


def _window_label(config: StudyConfig | None, avisitn: int) -> str:
    if config is None:
        return f"Month {avisitn}"
    return config.window(avisitn).avisit


def visit_timepoints(config: StudyConfig | None, months: tuple[int, ...], baseline: bool) -> tuple[TimePoint, ...]:
    """Baseline (ABLFL) and the analysed record (ANL01FL) of each analysis window.

    >>> [t.where for t in visit_timepoints(None, (3,), True)]
    ['ABLFL="Y"', 'AVISITN=3 and ANL01FL="Y"']
    """
    points = [TimePoint("Baseline", BASELINE, 0)] if baseline else []
    points += [TimePoint(_window_label(config, m), f"AVISITN={m} and {ANALYSED}", m) for m in months]
    return tuple(points)


def toxicity_timepoints(config: StudyConfig | None) -> tuple[TimePoint, ...]:
    """The acute window and the cumulative windows from infusion to the target day of M1/M3/M6/M12."""
    points = [TimePoint(f"Acute (days 1-{ACUTE_LAST_DAY})", f'{ACUTE_FLAG}="Y"', None)]
    for m in TOXICITY_MONTHS:
        last = config.window(m).target_day if config is not None else None
        days = f" (days 1-{last})" if last is not None else ""
        points.append(TimePoint(f"{_window_label(config, m)}{days}", f'{TOXICITY_WINDOW_FLAGS[m]}="Y"', m))
    return tuple(points)


SF36_SCALES = (
    ("SF36312", "Physical functioning (0-100)"), ("SF36313", "Role physical (0-100)"),
    ("SF36314", "Bodily pain (0-100)"), ("SF36315", "General health (0-100)"),
    ("SF36316", "Vitality (0-100)"), ("SF36317", "Social functioning (0-100)"),
    ("SF36318", "Role emotional (0-100)"), ("SF36319", "Mental health (0-100)"),
)
SF36_NBS = (
    ("SF36320", "Physical functioning NBS"), ("SF36321", "Role physical NBS"), ("SF36322", "Bodily pain NBS"),
    ("SF36323", "General health NBS"), ("SF36324", "Vitality NBS"), ("SF36325", "Social functioning NBS"),
    ("SF36326", "Role emotional NBS"), ("SF36327", "Mental health NBS"),
)
SF36_PCS, SF36_MCS = "SF36328", "SF36329"
EQ5D_LSS, EQ5D_INDEX, EQ5D_VAS = "EQ5DLSS", "EQ5DIXFR", "EQ5D0206"
SLEDAI, BILAG, PGA = "SLEDAITS", "BILAGTS", "PGA"
SRI4, MCR, PCR, MCRPCR = "SRI4", "MCR", "PCR", "MCRPCR"
STEROID_DOSE, STEROID_RESPONDER = "PREDAVG", "PREDRESP"


def comorbidity_params(config: StudyConfig | None) -> tuple[Param, ...]:
    """'Any comorbidity' then one parameter per checklist item (PARAMCD = ADCOMO code)."""
    items = [Param(COMORBIDITY_ANY, "At least one comorbidity present")]
    for code, term in comorbidity_codes(config).items():
        items.append(Param(code, term.capitalize()))
    return tuple(items)


def comorbidity_codes(config: StudyConfig | None) -> dict[str, str]:
    """ADCOMO PARAMCD of each checklist comorbidity: COMO01.. in the configured order (empty without a config).

    ADCOMO numbers the study configuration's ``comorbidities`` list: COMO01 = the first term.
    """
    if config is None:
        return {}
    return {f"{COMORBIDITY_PREFIX}{i:02d}": term for i, term in enumerate(config.comorbidities, start=1)}


COMORBIDITY_PREFIX = "COMO"


def outcome_map(config: StudyConfig | None) -> list[Outcome]:
    """Every table of the report, in report order."""
    follow = visit_timepoints(config, FOLLOW_UP_MONTHS, baseline=True)
    follow_post = visit_timepoints(config, FOLLOW_UP_MONTHS, baseline=False)
    tox = toxicity_timepoints(config)
    sri_criteria = (
        Param(SRI4, "SRI-4 responder", "AVALC"),
        Param(SRI4, "1. SELENA-SLEDAI decrease >= 4 (CRIT1)", "CRIT1FL"),
        Param(SRI4, "2. No new BILAG A (CRIT2)", "CRIT2FL"),
        Param(SRI4, "3. At most one new BILAG B (CRIT3)", "CRIT3FL"),
        Param(SRI4, "4. No PGA worsening, increase < 0.3 (CRIT4)", "CRIT4FL"),
    )
    nri = ("Cell: n/N (%) and the exact 95% CI in %.",
           "Non-responder imputation: every infused subject has a record per window (ADRS DTYPE=\"WC\" when "
           "imputed); a subject without a record would be counted as a non-responder.",)
    observed = ("Observed cases: n = subjects with a non-missing value. Cell: n; mean (SD); median [Q1; Q3]; "
                "min; max.",)
    return [
        Outcome("toxicity", "Toxicity (CTCAE v5.0): any, maximum grade, not tolerated", "toxicity", "ADAE",
                (Param("", "Toxicity (related treatment-emergent AE)", "TOXFL"),
                 Param("", "All treatment-emergent AEs", "TRTEMFL")),
                tox, REGISTRY_TOXICITY, where='SAFFL="Y" and TRTEMFL="Y"',
                notes=("Cumulative from the infusion to the window's target day; subjects counted once at their "
                       "maximum ATOXGRN. Not tolerated = any event of grade >= 3. Denominator: ADSL SAFFL=\"Y\" "
                       "(every infused subject is observed).",)),
        Outcome("ae_socpt", "Adverse events by system organ class and preferred term, maximum grade", "socpt",
                "ADAE", (Param("", "Toxicity (related treatment-emergent AE)", "TOXFL"),
                         Param("", "All treatment-emergent AEs", "TRTEMFL")),
                tox, REGISTRY_TOXICITY, where='SAFFL="Y" and TRTEMFL="Y"',
                notes=("Subjects counted once per SOC (AEBODSYS) and preferred term (AEDECOD); max grade = the "
                       "subject's maximum ATOXGRN within the term.",)),
        Outcome("response", "Major and partial clinical response (BILAG)", "responder", "ADRS",
                (Param(MCR, "Major clinical response (MCR)"), Param(PCR, "Partial clinical response (PCR)"),
                 Param(MCRPCR, "MCR or PCR")),
                follow_post, REGISTRY_RESPONSE, notes=nri),
        Outcome("sri4", "SRI-4 response and its components", "responder", "ADRS", sri_criteria, follow_post,
                REGISTRY_SRI, notes=nri + ("A component that cannot be determined counts as not met.",)),
        Outcome("sledai", "SELENA-SLEDAI total score (0-105)", "continuous", "ADRS",
                (Param(SLEDAI, "SELENA-SLEDAI total score"),), follow, REGISTRY_SLEDAI, notes=observed),
        Outcome("bilag", "Classic BILAG total score (0-72)", "continuous", "ADRS",
                (Param(BILAG, "Classic BILAG total score"),), follow, REGISTRY_BILAG, notes=observed),
        Outcome("pga", "Physician Global Assessment (0-3)", "continuous", "ADRS",
                (Param(PGA, "PGA", decimals=1),), follow, notes=observed),
        Outcome("comorbidity", "Comorbidities present", "presence", "ADCOMO", comorbidity_params(config),
                follow, REGISTRY_COMO,
                notes=("Observed cases: N = subjects with the checklist answered in the window.",)),
        Outcome("sf36", "SF-36 v2 scale scores (0-100), PCS and MCS", "continuous", "ADQS",
                tuple(Param(c, label, decimals=1) for c, label in SF36_SCALES)
                + (Param(SF36_PCS, "Physical component summary (PCS)", decimals=1),
                   Param(SF36_MCS, "Mental component summary (MCS)", decimals=1)),
                follow, REGISTRY_SF36, notes=observed),
        Outcome("sf36nbs", "SF-36 v2 norm-based scale scores", "continuous", "ADQS",
                tuple(Param(c, label, decimals=1) for c, label in SF36_NBS), follow, notes=observed),
        Outcome("eq5d", "EQ-5D-5L level-sum score, French index and VAS", "continuous", "ADQS",
                (Param(EQ5D_LSS, "Level-sum score (5-25)"), Param(EQ5D_INDEX, "French value-set index", decimals=3),
                 Param(EQ5D_VAS, "EQ VAS (0-100)")),
                follow, REGISTRY_EQ5D, notes=observed),
        Outcome("steroid_resp", "Prednisone-equivalent dose reduced by >= 25% from baseline", "responder", "ADSTER",
                (Param(STEROID_RESPONDER, "Average daily dose reduced >= 25%"),), follow_post, REGISTRY_STEROIDS,
                not_evaluable='AVALC="NE"',
                notes=("Denominator: infused subjects minus those not evaluable (baseline average dose 0 mg/day, "
                       "AVALC=\"NE\", reported). Missing dose: non-responder (DTYPE=\"WC\").",)),
        Outcome("steroid_dose", "Prednisone-equivalent average daily dose (mg/day, 28 days)", "continuous", "ADSTER",
                (Param(STEROID_DOSE, "Average daily dose (mg/day)", decimals=2),), follow, REGISTRY_STEROIDS,
                notes=observed),
    ]


def outcome_variables(outcomes: list[Outcome]) -> set[str]:
    """The ADaM variables the outcomes' filters and flags read (USUBJID and PARAMCD included).

    >>> sorted(outcome_variables([Outcome("x", "X", "responder", "ADRS", (Param("SRI4", "SRI-4", "CRIT1FL"),),
    ...                                   (TimePoint("M3", 'AVISITN=3 and ANL01FL="Y"', 3),))]))
    ['ANL01FL', 'AVISITN', 'CRIT1FL', 'PARAMCD', 'SAFFL', 'USUBJID']
    """
    names = {"USUBJID", "PARAMCD"}
    for o in outcomes:
        clauses = [o.where, o.not_evaluable, *(p.where for p in o.params), *(t.where for t in o.timepoints)]
        names.update(v for c in clauses for v in variables(c))
        names.update(p.flag for p in o.params)
    return names


__all__ = [
    "outcome_variables",
    "Outcome", "Param", "TimePoint", "outcome_map", "visit_timepoints", "toxicity_timepoints",
    "POPULATION", "NOT_TOLERATED_GRADE",
]
