"""Study configuration: the one file (``specs/study.yaml``) that holds every
study fact and every configurable rule of the SAP (``study.md``).

Everything that would otherwise be a magic constant in a derivation lives
here, so a statistical programmer changes a rule in one reviewed place and
define.xml (MethodDefs) reports the choice that produced the numbers.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Arm(_Model):
    """A dose cohort: one SDTM arm / one ADaM treatment."""

    armcd: str = Field(pattern=r"^[A-Z][A-Z0-9_]{0,19}$")
    arm: str
    dose: float = Field(gt=0, description="planned dose, 10^6 cells/kg")
    trtn: int = Field(ge=1, description="TRT01PN / TRT01AN code")


class Visit(_Model):
    """A planned visit of the schedule (study day 1 = day of infusion)."""

    visit: str
    visitnum: float
    target_day: int
    window_start: int
    window_end: int
    epoch: Literal["SCREENING", "TREATMENT", "FOLLOW-UP"]
    assessments: list[str] = []

    @model_validator(mode="after")
    def _window_contains_target(self) -> "Visit":
        if not self.window_start <= self.target_day <= self.window_end:
            raise ValueError(f"visit {self.visit}: target day {self.target_day} outside its window")
        return self


class AnalysisWindow(_Model):
    """An ADaM analysis window (AVISIT/AVISITN) over study days, inclusive."""

    avisit: str
    avisitn: int
    start_day: int
    end_day: int
    target_day: int

    @model_validator(mode="after")
    def _ordered(self) -> "AnalysisWindow":
        if not self.start_day <= self.target_day <= self.end_day:
            raise ValueError(f"window {self.avisit}: target {self.target_day} not in {self.start_day}..{self.end_day}")
        if self.start_day <= 1 <= self.end_day:
            raise ValueError(f"window {self.avisit}: post-baseline windows must not contain study day 1")
        return self


class SF36Norms(_Model):
    """A norm set for SF-36 v2 norm-based scores and PCS/MCS coefficients."""

    name: str = Field(description="recorded in define.xml, e.g. 'US 1998 general population'")
    mean: dict[str, float]
    sd: dict[str, float]
    pcs_coef: dict[str, float]
    mcs_coef: dict[str, float]

    @model_validator(mode="after")
    def _eight_scales(self) -> "SF36Norms":
        scales = {"PF", "RP", "BP", "GH", "VT", "SF", "RE", "MH"}
        for part in ("mean", "sd", "pcs_coef", "mcs_coef"):
            got = set(getattr(self, part))
            if got != scales:
                raise ValueError(f"SF-36 norms {part}: scales {sorted(got)} must be exactly {sorted(scales)}")
        return self


class ClinicalResponseRule(_Model):
    """Major / partial clinical response rule over classic BILAG grades (SAP 4.3)."""

    name: Literal["BILAG_SNAPSHOT"] = "BILAG_SNAPSHOT"
    description: str
    pcr_max_b: int = 1
    pcr_baseline_min_a: int = 1
    pcr_baseline_min_b: int = 2


class SteroidRule(_Model):
    """Prednisone-equivalent average daily dose (SAP 4.7)."""

    conversion: dict[str, float] = Field(description="mg prednisone per mg, keyed by coded drug name (upper case)")
    window_days: int = 28
    reduction_pct: float = 25.0


class Criterion(_Model):
    """An eligibility criterion of the protocol (TI, IE)."""

    ietestcd: str = Field(pattern=r"^(IN|EX)\d{2}$")
    iecat: Literal["INCLUSION", "EXCLUSION"]
    ietest: str = Field(max_length=200)


class Dictionaries(_Model):
    meddra: str
    whodrug: str
    ctcae: str


class Standards(_Model):
    sdtmig: str = "3.4"
    sdtm_model: str = "2.0"
    adamig: str = "1.3"
    adam_occds: str = "1.1"
    define_xml: str = "2.1"
    ct_sdtm: str = "2025-03-28"
    ct_adam: str = "2025-03-28"
    ct_define: str = "2025-03-28"


class StudyConfig(_Model):
    """The study configuration (``specs/study.yaml``)."""

    studyid: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]*$")
    title: str
    sponsor: str
    protocol: str
    registry_ids: dict[str, str]
    phase: str
    country: str
    site: str
    planned_subjects: int
    arms: list[Arm]
    visits: list[Visit]
    analysis_windows: list[AnalysisWindow]
    baseline_day: int = Field(1, description="baseline = last non-missing on or before this study day")
    threshold_decimals: int = Field(4, description="thresholds are compared on values rounded to this many decimals")
    sf36_norms: SF36Norms
    clinical_response: ClinicalResponseRule
    steroids: SteroidRule
    comorbidities: list[str]
    criteria: list[Criterion]
    dictionaries: Dictionaries
    standards: Standards = Standards()
    creation_datetime: dt.datetime = Field(description="fixed timestamp written into XPT headers, define.xml and Dataset-JSON")
    data_cutoff: dt.date
    data_cutoff_desc: str
    age_min: int
    age_max: int
    end_of_study_day: int = Field(366, description="last scheduled study day (M12)")
    acute_window_last_day: int = Field(10, ge=1, description="acute tolerance window: study days 1..this (SAP 4.1)")

    @field_validator("creation_datetime")
    @classmethod
    def _naive(cls, v: dt.datetime) -> dt.datetime:
        # XPT headers carry no zone; keep the value as written.
        return v.replace(tzinfo=None)

    @model_validator(mode="after")
    def _consistent(self) -> "StudyConfig":
        problems: list[str] = []
        if len({a.armcd for a in self.arms}) != len(self.arms):
            problems.append("arms: duplicate ARMCD")
        if len({a.trtn for a in self.arms}) != len(self.arms):
            problems.append("arms: duplicate trtn")
        if len({v.visitnum for v in self.visits}) != len(self.visits):
            problems.append("visits: duplicate VISITNUM")
        wins = sorted(self.analysis_windows, key=lambda w: w.start_day)
        for a, b in zip(wins, wins[1:]):
            if a.end_day >= b.start_day:
                problems.append(f"analysis windows {a.avisit} and {b.avisit} overlap")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # convenience lookups -------------------------------------------------
    def arm_by_dose(self) -> dict[float, Arm]:
        return {a.dose: a for a in self.arms}

    def visit_by_name(self) -> dict[str, Visit]:
        return {v.visit: v for v in self.visits}

    def window(self, avisitn: int) -> AnalysisWindow:
        for w in self.analysis_windows:
            if w.avisitn == avisitn:
                return w
        raise KeyError(f"no analysis window with AVISITN={avisitn}")


class ConfigError(Exception):
    """The study configuration file is missing, unreadable or invalid."""


def load_config(path: str | Path) -> StudyConfig:
    """Read and validate ``study.yaml``; every problem is named in one error."""
    path = Path(path)
    if path.is_dir():
        path = path / "study.yaml"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read study configuration ({exc.strerror})") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    try:
        return StudyConfig.model_validate(data)
    except ValidationError as exc:
        lines = [f"{path}: invalid study configuration ({exc.error_count()} problems)"]
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "(top)"
            lines.append(f"  {loc}: {err['msg']} (got {err.get('input')!r})")
        raise ConfigError("\n".join(lines)) from exc
