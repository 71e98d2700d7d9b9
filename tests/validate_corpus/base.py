"""A small, clean SDTM + ADaM package (3 subjects) built from spec objects, for the validator corpus.

Everything is written by the project's own writers (XPT v5 from the spec,
define.xml from the spec and the data), so a clean run of the validator on
it must find no reject or error. ``defects.py`` breaks it, one defect at a time.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc_msc.spec.ct import codelist_entry
from cdisc_msc.spec.model import Spec

STUDY = "MSC-SLE"
SUBJECTS = ["MSC-SLE-01-001", "MSC-SLE-01-002", "MSC-SLE-01-003"]
START = ["2019-02-01", "2019-03-01", "2019-04-01"]
END = ["2020-01-31", "2020-02-28", "2020-03-31"]
COLLECTED = {"type": "Collected", "source": "Investigator"}
ASSIGNED = {"type": "Assigned", "source": "Sponsor"}


def var(name, label, data_type="text", length=None, codelist=None, origin=None, display_format=None, vlm=None):
    """One spec variable (text length: the longest value; ``length`` is documentation only)."""
    v = {"name": name, "label": label, "data_type": data_type, "origin": origin or COLLECTED}
    if data_type == "text":
        v["length"] = "data"
    if codelist:
        v["codelist"] = codelist
    if display_format:
        v["display_format"] = display_format
    if vlm:
        v["value_level"] = vlm
    return v


def vlm(variable: str, values: list[str], data_type="text", length=None):
    """Value-level metadata entries, one per where value."""
    out = []
    for value in values:
        item = {"where": [{"variable": variable, "values": [value]}], "data_type": data_type, "origin": COLLECTED}
        if data_type == "text":
            item["length"] = "data"
        out.append(item)
    return out


def dataset(name, label, cls, keys, variables, standard="STD.SDTMIG.3-4", purpose="Tabulation", structure=None):
    return {"name": name, "label": label, "class": cls, "structure": structure or f"One record per {name} record",
            "keys": keys, "standard": standard, "domain": name if purpose == "Tabulation" else None,
            "purpose": purpose, "variables": variables}


def ids(domain: str) -> list[dict]:
    return [var("STUDYID", "Study Identifier", length=7), var("DOMAIN", "Domain Abbreviation", length=2),
            var("USUBJID", "Unique Subject Identifier", length=14)]


def sdtm_spec() -> Spec:
    cl = [codelist_entry("C66731", "CL.SEX", ["F", "M"]), codelist_entry("C66742", "CL.NY", ["N", "Y"]),
          codelist_entry("C99079", "CL.EPOCH", ["SCREENING", "TREATMENT"]),
          codelist_entry("C65047", "CL.LBTESTCD", ["HGB"]), codelist_entry("C67154", "CL.LBTEST", ["Hemoglobin"]),
          codelist_entry("C66738", "CL.TSPARMCD", ["SSTDTC"]),
          codelist_entry("C67152", "CL.TSPARM", ["Study Start Date"])]
    seq = lambda d: var(f"{d}SEQ", "Sequence Number", "integer", origin=ASSIGNED)  # noqa: E731
    datasets = [
        dataset("TS", "Trial Summary", "TRIAL DESIGN", ["STUDYID", "TSPARMCD", "TSSEQ"], [
            var("STUDYID", "Study Identifier", length=7), var("DOMAIN", "Domain Abbreviation", length=2),
            var("TSSEQ", "Sequence Number", "integer", origin=ASSIGNED),
            var("TSPARMCD", "Trial Summary Parameter Short Name", length=8, codelist="CL.TSPARMCD", origin=ASSIGNED),
            var("TSPARM", "Trial Summary Parameter", length=40, codelist="CL.TSPARM", origin=ASSIGNED),
            var("TSVAL", "Parameter Value", length=20, origin=ASSIGNED, vlm=vlm("TSPARMCD", ["SSTDTC"], "date")),
        ]),
        dataset("DM", "Demographics", "SPECIAL PURPOSE", ["STUDYID", "USUBJID"], ids("DM") + [
            var("SUBJID", "Subject Identifier for the Study", length=6),
            var("RFSTDTC", "Subject Reference Start Date/Time", "date"),
            var("RFENDTC", "Subject Reference End Date/Time", "date"),
            var("RFXSTDTC", "Date/Time of First Study Treatment", "date"),
            var("RFXENDTC", "Date/Time of Last Study Treatment", "date"),
            var("SITEID", "Study Site Identifier", length=2),
            var("AGE", "Age", "integer"), var("SEX", "Sex", length=1, codelist="CL.SEX"),
            var("ARMCD", "Planned Arm Code", length=4, origin=ASSIGNED),
            var("ARM", "Description of Planned Arm", length=20, origin=ASSIGNED),
            var("ACTARMCD", "Actual Arm Code", length=4, origin=ASSIGNED),
            var("ACTARM", "Description of Actual Arm", length=20, origin=ASSIGNED),
            var("COUNTRY", "Country", length=3),
        ]),
        dataset("SE", "Subject Elements", "SPECIAL PURPOSE", ["STUDYID", "USUBJID", "SESEQ"], ids("SE") + [
            seq("SE"), var("ETCD", "Element Code", length=4, origin=ASSIGNED),
            var("ELEMENT", "Description of Element", length=10, origin=ASSIGNED),
            var("EPOCH", "Epoch", length=9, codelist="CL.EPOCH", origin=ASSIGNED),
            var("SESTDTC", "Start Date/Time of Element", "date"), var("SEENDTC", "End Date/Time of Element", "date"),
        ]),
        dataset("EX", "Exposure", "INTERVENTIONS", ["STUDYID", "USUBJID", "EXSEQ"], ids("EX") + [
            seq("EX"), var("EXTRT", "Name of Treatment", length=10), var("EXDOSE", "Dose", "float"),
            var("EPOCH", "Epoch", length=9, codelist="CL.EPOCH", origin=ASSIGNED),
            var("EXSTDTC", "Start Date/Time of Treatment", "date"), var("EXENDTC", "End Date/Time of Treatment", "date"),
        ]),
        dataset("AE", "Adverse Events", "EVENTS", ["STUDYID", "USUBJID", "AETERM", "AESTDTC"], ids("AE") + [
            seq("AE"), var("AETERM", "Reported Term for the Adverse Event", length=20),
            var("AEDECOD", "Dictionary-Derived Term", length=20),
            var("AESER", "Serious Event", length=1, codelist="CL.NY"),
            var("EPOCH", "Epoch", length=9, codelist="CL.EPOCH", origin=ASSIGNED),
            var("AESTDTC", "Start Date/Time of Adverse Event", "date"),
            var("AEENDTC", "End Date/Time of Adverse Event", "date"),
            var("AESTDY", "Study Day of Start of Adverse Event", "integer", origin=ASSIGNED),
        ]),
        dataset("LB", "Laboratory Test Results", "FINDINGS", ["STUDYID", "USUBJID", "LBTESTCD", "VISITNUM"],
                ids("LB") + [
            seq("LB"), var("LBTESTCD", "Lab Test or Examination Short Name", length=8, codelist="CL.LBTESTCD"),
            var("LBTEST", "Lab Test or Examination Name", length=40, codelist="CL.LBTEST"),
            var("LBORRES", "Result or Finding in Original Units", length=8, vlm=vlm("LBTESTCD", ["HGB"], length=8)),
            var("VISITNUM", "Visit Number", "integer", origin=ASSIGNED), var("VISIT", "Visit Name", length=9,
                                                                              origin=ASSIGNED),
            var("EPOCH", "Epoch", length=9, codelist="CL.EPOCH", origin=ASSIGNED),
            var("LBDTC", "Date/Time of Specimen Collection", "date"),
            var("LBDY", "Study Day of Specimen Collection", "integer", origin=ASSIGNED),
        ]),
    ]
    return Spec.model_validate({
        "package": "sdtm", "datasets": datasets, "codelists": cl,
        "standards": [{"oid": "STD.SDTMIG.3-4", "name": "SDTMIG", "type": "IG", "version": "3.4"},
                      {"oid": "STD.SDTM.CT.2025-03-28", "name": "CDISC/NCI", "type": "CT",
                       "publishing_set": "SDTM", "version": "2025-03-28"}],
    })


def adam_spec() -> Spec:
    cl = [codelist_entry("C66731", "CL.SEX", ["F", "M"]), codelist_entry("C66781", "CL.AGEU", ["YEARS"]),
          codelist_entry("C74457", "CL.RACE", ["WHITE"]), codelist_entry("C66742", "CL.NY", ["N", "Y"]),
          {"oid": "CL.PARAMCD", "name": "Parameter Code", "sponsor": True, "terms": [{"value": "HGB"}]},
          {"oid": "CL.PARAM", "name": "Parameter", "sponsor": True, "terms": [{"value": "Hemoglobin (g/dL)"}]}]
    ident = [var("STUDYID", "Study Identifier", length=7), var("USUBJID", "Unique Subject Identifier", length=14)]
    adsl = dataset("ADSL", "Subject-Level Analysis Dataset", "SUBJECT LEVEL ANALYSIS DATASET", ["STUDYID", "USUBJID"],
                   ident + [
        var("SUBJID", "Subject Identifier for the Study", length=6), var("SITEID", "Study Site Identifier", length=2),
        var("AGE", "Age", "integer"), var("AGEU", "Age Units", length=5, codelist="CL.AGEU"),
        var("SEX", "Sex", length=1, codelist="CL.SEX"), var("RACE", "Race", length=5, codelist="CL.RACE"),
        var("ARM", "Description of Planned Arm", length=20), var("TRT01P", "Planned Treatment for Period 01", length=20),
        var("TRT01A", "Actual Treatment for Period 01", length=20),
        var("TRTSDT", "Date of First Exposure to Treatment", "integer", display_format="DATE9."),
        var("TRTEDT", "Date of Last Exposure to Treatment", "integer", display_format="DATE9."),
        var("SAFFL", "Safety Population Flag", length=1, codelist="CL.NY"),
    ], standard="STD.ADAMIG.1-3", purpose="Analysis", structure="One record per subject")
    adlb = dataset("ADLB", "Laboratory Analysis Dataset", "BASIC DATA STRUCTURE",
                   ["STUDYID", "USUBJID", "PARAMCD", "AVISITN"], ident + [
        var("PARAMCD", "Parameter Code", length=8, codelist="CL.PARAMCD"),
        var("PARAM", "Parameter", length=40, codelist="CL.PARAM"),
        var("AVISIT", "Analysis Visit", length=10), var("AVISITN", "Analysis Visit (N)", "integer"),
        var("ADT", "Analysis Date", "integer", display_format="DATE9."),
        var("AVAL", "Analysis Value", "float", vlm=vlm("PARAMCD", ["HGB"], "float")),
        var("AVALC", "Analysis Value (C)", length=8),
        var("BASE", "Baseline Value", "float"), var("CHG", "Change from Baseline", "float"),
        var("PCHG", "Percent Change from Baseline", "float"),
        var("ABLFL", "Baseline Record Flag", length=1, codelist="CL.NY"),
        var("CRIT1", "Analysis Criterion 1", length=12), var("CRIT1FL", "Criterion 1 Evaluation Result Flag",
                                                             length=1, codelist="CL.NY"),
        var("SRCDOM", "Source Data", length=2), var("SRCVAR", "Source Variable", length=8),
        var("SRCSEQ", "Source Sequence Number", "integer"),
    ], standard="STD.ADAMIG.1-3", purpose="Analysis", structure="One record per subject per parameter per visit")
    return Spec.model_validate({
        "package": "adam", "datasets": [adsl, adlb], "codelists": cl,
        "standards": [{"oid": "STD.ADAMIG.1-3", "name": "ADaMIG", "type": "IG", "version": "1.3"},
                      {"oid": "STD.ADAM.CT.2025-03-28", "name": "CDISC/NCI", "type": "CT",
                       "publishing_set": "ADaM", "version": "2025-03-28"},
                      {"oid": "STD.SDTM.CT.2025-03-28", "name": "CDISC/NCI", "type": "CT",
                       "publishing_set": "SDTM", "version": "2025-03-28"}],
    })


def _days(dates: list[str], offset: int) -> list[str]:
    return [(pd.Timestamp(d) + pd.Timedelta(days=offset)).strftime("%Y-%m-%d") for d in dates]


def sdtm_frames() -> dict[str, pd.DataFrame]:
    n = len(SUBJECTS)
    common = {"STUDYID": STUDY}
    screen = _days(START, -20)
    ts = pd.DataFrame({**common, "DOMAIN": "TS", "TSSEQ": [1.0], "TSPARMCD": ["SSTDTC"],
                       "TSPARM": ["Study Start Date"], "TSVAL": ["2019-01-10"]})
    dm = pd.DataFrame({**common, "DOMAIN": "DM", "USUBJID": SUBJECTS, "SUBJID": [s[-6:] for s in SUBJECTS],
                       "RFSTDTC": START, "RFENDTC": END, "RFXSTDTC": START, "RFXENDTC": START, "SITEID": "01",
                       "AGE": [34.0, 41.0, 29.0], "SEX": ["F", "F", "M"], "ARMCD": "DOSE1",
                       "ARM": "1 x10^6 cells/kg", "ACTARMCD": "DOSE1", "ACTARM": "1 x10^6 cells/kg",
                       "COUNTRY": "FRA"})
    se = pd.DataFrame({**common, "DOMAIN": "SE", "USUBJID": np.repeat(SUBJECTS, 2), "SESEQ": [1.0, 2.0] * n,
                       "ETCD": ["SCRN", "MSC"] * n, "ELEMENT": ["Screening", "Infusion"] * n,
                       "EPOCH": ["SCREENING", "TREATMENT"] * n,
                       "SESTDTC": [d for pair in zip(screen, START) for d in pair],
                       "SEENDTC": [d for pair in zip(_days(START, -1), END) for d in pair]})
    ex = pd.DataFrame({**common, "DOMAIN": "EX", "USUBJID": SUBJECTS, "EXSEQ": 1.0, "EXTRT": "UC-MSC",
                       "EXDOSE": 1.0, "EPOCH": "TREATMENT", "EXSTDTC": START, "EXENDTC": START})
    ae = pd.DataFrame({**common, "DOMAIN": "AE", "USUBJID": [SUBJECTS[0], SUBJECTS[0], SUBJECTS[1]],
                       "AESEQ": [1.0, 2.0, 1.0], "AETERM": ["HEADACHE", "FEVER", "NAUSEA"],
                       "AEDECOD": ["Headache", "Pyrexia", "Nausea"], "AESER": ["N", "N", "Y"],
                       "EPOCH": ["TREATMENT", "TREATMENT", "TREATMENT"],
                       "AESTDTC": ["2019-02-03", "2019-02-10", "2019-03-05"],
                       "AEENDTC": ["2019-02-04", "2019-02-12", "2019-03-09"], "AESTDY": [3.0, 10.0, 5.0]})
    lb = pd.DataFrame({**common, "DOMAIN": "LB", "USUBJID": np.repeat(SUBJECTS, 2), "LBSEQ": [1.0, 2.0] * n,
                       "LBTESTCD": "HGB", "LBTEST": "Hemoglobin", "LBORRES": ["12.1", "13.4", "11.0", "11.0",
                                                                              "10.0", "12.5"],
                       "VISITNUM": [1.0, 3.0] * n, "VISIT": ["SCREENING", "M1"] * n,
                       "EPOCH": ["SCREENING", "TREATMENT"] * n,
                       "LBDTC": [d for pair in zip(_days(START, -10), _days(START, 30)) for d in pair],
                       "LBDY": [-10.0, 31.0] * n})
    return {"TS": ts, "DM": dm, "SE": se, "EX": ex, "AE": ae, "LB": lb}


def _sas(dates: list[str]) -> list[float]:
    return [float((pd.Timestamp(d) - pd.Timestamp("1960-01-01")).days) for d in dates]


def adam_frames() -> dict[str, pd.DataFrame]:
    n = len(SUBJECTS)
    adsl = pd.DataFrame({"STUDYID": STUDY, "USUBJID": SUBJECTS, "SUBJID": [s[-6:] for s in SUBJECTS], "SITEID": "01",
                         "AGE": [34.0, 41.0, 29.0], "AGEU": "YEARS", "SEX": ["F", "F", "M"], "RACE": "WHITE",
                         "ARM": "1 x10^6 cells/kg", "TRT01P": "1 x10^6 cells/kg", "TRT01A": "1 x10^6 cells/kg",
                         "TRTSDT": _sas(START), "TRTEDT": _sas(START), "SAFFL": "Y"})
    aval = [12.1, 13.4, 11.0, 11.0, 10.0, 12.5]
    base = [12.1, 12.1, 11.0, 11.0, 10.0, 10.0]
    chg = [a - b for a, b in zip(aval, base)]
    lb_dates = [d for pair in zip(_days(START, -10), _days(START, 30)) for d in pair]
    adlb = pd.DataFrame({"STUDYID": STUDY, "USUBJID": np.repeat(SUBJECTS, 2), "PARAMCD": "HGB",
                         "PARAM": "Hemoglobin (g/dL)", "AVISIT": ["Baseline", "Month 1"] * n,
                         "AVISITN": [0.0, 1.0] * n, "ADT": _sas(lb_dates), "AVAL": aval,
                         "AVALC": [f"{a:.1f}" for a in aval], "BASE": base, "CHG": chg,
                         "PCHG": [100 * c / b for c, b in zip(chg, base)], "ABLFL": ["Y", None] * n,
                         "CRIT1": "AVAL > 12", "CRIT1FL": ["Y" if a > 12 else "N" for a in aval],
                         "SRCDOM": "LB", "SRCVAR": "LBORRES", "SRCSEQ": [1.0, 2.0] * n})
    return {"ADSL": adsl, "ADLB": adlb}


@dataclass
class Corpus:
    """The package to write: specs and frames per folder, plus hooks for defects."""

    specs: dict[str, Spec] = field(default_factory=lambda: {"sdtm": sdtm_spec(), "adam": adam_spec()})
    frames: dict[str, dict[str, pd.DataFrame]] = field(
        default_factory=lambda: {"sdtm": sdtm_frames(), "adam": adam_frames()})
    define_frames: dict[str, dict[str, pd.DataFrame]] | None = None
    """Frames the define.xml is generated from (default: ``frames``)."""
    define_specs: dict[str, Spec] | None = None
    """Specs the define.xml is generated from (default: ``specs``)."""

    def copy(self) -> "Corpus":
        return copy.deepcopy(self)


def write_package(corpus: Corpus, root: Path, config) -> Path:
    """Write ``root/sdtm`` and ``root/adam`` (XPT v5 + define.xml) with the project's writers."""
    from cdisc_msc.define.xml import contents_from_frames, define_xml
    from cdisc_msc.io.xpt import write_xpt_from_spec

    for kind, spec in corpus.specs.items():
        folder = root / kind
        folder.mkdir(parents=True, exist_ok=True)
        frames = corpus.frames[kind]
        for name, frame in frames.items():
            write_xpt_from_spec(frame, spec.dataset(name), folder, created=config.creation_datetime)
        define_frames = (corpus.define_frames or corpus.frames)[kind]
        define_spec = (corpus.define_specs or corpus.specs)[kind]
        (folder / "define.xml").write_bytes(
            define_xml(define_spec, config, contents_from_frames(define_spec, define_frames)))
    return root
