"""A tiny hand-made raw study for the SDTM part A tests (DM, EX, SE, SV, DS, IE, trial design).

Subjects:
* 001 - eligible, cohort 2, infused 2024-03-20 09:30-10:15 (2.0 x10^6/kg, 140 x10^6 cells, 70 kg),
  completed the study 2025-03-20; M3 missed; one unscheduled visit 3.1 with labs.
* 002 - screen failure (IN03 not met), consent 2024-02-10, screen failure 2024-02-20.
* 003 - eligible, cohort 4, not infused, withdrew 2024-05-02.
"""
from __future__ import annotations

import pandas as pd

from cdisc_msc.config import load_config
from cdisc_msc.sdtm.build import SdtmContext
from cdisc_msc.spec.apply import conform, sort_by_keys
from cdisc_msc.spec.loader import read_spec

PART_A = ("dm", "ex", "se", "sv", "ds", "ie", "trial_design")


def _f(rows: list[dict], num: tuple[str, ...] = ()) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for c in df.columns:
        df[c] = df[c].astype("Float64") if c in num else df[c].astype("string")
    df["_ROW"] = range(1, len(df) + 1)
    return df


FORMS = {
    "dm": _f([
        {"SUBJID": "001", "SITEID": "001", "BRTHDT": "1985-07-20", "SEX": "F", "RACE": "WHITE",
         "ETHNIC": "NOT HISPANIC OR LATINO", "CONSDT": "2024-03-01", "ELIGIBLE": "Y", "COHORT": 2.0},
        {"SUBJID": "002", "SITEID": "001", "BRTHDT": "1990-02-10", "SEX": "M", "RACE": "ASIAN",
         "ETHNIC": "NOT REPORTED", "CONSDT": "2024-02-10", "ELIGIBLE": "N", "COHORT": None},
        {"SUBJID": "003", "SITEID": "001", "BRTHDT": "1970-12-31", "SEX": "F", "RACE": "WHITE",
         "ETHNIC": "NOT HISPANIC OR LATINO", "CONSDT": "2024-04-15", "ELIGIBLE": "Y", "COHORT": 4.0},
    ], num=("COHORT",)),
    "ex": _f([
        {"SUBJID": "001", "EXYN": "Y", "REASND": None, "WEIGHT": 70.0, "DOSEKG": 2.0, "TOTCELLS": 140.0,
         "STDTM": "2024-03-20T09:30", "ENDTM": "2024-03-20T10:15"},
        {"SUBJID": "003", "EXYN": "N", "REASND": "Withdrew consent", "WEIGHT": None, "DOSEKG": None,
         "TOTCELLS": None, "STDTM": None, "ENDTM": None},
    ], num=("WEIGHT", "DOSEKG", "TOTCELLS")),
    "sv": _f([
        {"SUBJID": "001", "VISIT": "SCREENING", "VISITNUM": 1.0, "VISDONE": "Y", "VISDT": "2024-03-05", "REASND": None},
        {"SUBJID": "001", "VISIT": "M0", "VISITNUM": 2.0, "VISDONE": "Y", "VISDT": "2024-03-20", "REASND": None},
        {"SUBJID": "001", "VISIT": "M1", "VISITNUM": 3.0, "VISDONE": "Y", "VISDT": "2024-04-19", "REASND": None},
        {"SUBJID": "001", "VISIT": "UNSCHEDULED", "VISITNUM": 3.1, "VISDONE": "Y", "VISDT": "2024-04-25", "REASND": None},
        {"SUBJID": "001", "VISIT": "M3", "VISITNUM": 4.0, "VISDONE": "N", "VISDT": None, "REASND": "Subject hospitalised"},
        {"SUBJID": "001", "VISIT": "M12", "VISITNUM": 7.0, "VISDONE": "Y", "VISDT": "2025-03-20", "REASND": None},
        {"SUBJID": "002", "VISIT": "SCREENING", "VISITNUM": 1.0, "VISDONE": "Y", "VISDT": "2024-02-15", "REASND": None},
        {"SUBJID": "003", "VISIT": "SCREENING", "VISITNUM": 1.0, "VISDONE": "Y", "VISDT": "2024-04-20", "REASND": None},
    ], num=("VISITNUM",)),
    "ds": _f([
        {"SUBJID": "001", "DSSCAT": "STUDY", "DSDECOD": "COMPLETED", "DSTERM": "Completed month 12",
         "DSSTDT": "2025-03-20", "DTHDT": None},
        {"SUBJID": "002", "DSSCAT": "SCREENING", "DSDECOD": "SCREEN FAILURE", "DSTERM": "SLEDAI below 6",
         "DSSTDT": "2024-02-20", "DTHDT": None},
        {"SUBJID": "003", "DSSCAT": "STUDY", "DSDECOD": "WITHDRAWAL BY SUBJECT", "DSTERM": "Withdrew consent",
         "DSSTDT": "2024-05-02", "DTHDT": None},
    ]),
    "ie": _f([{"SUBJID": "002", "IETESTCD": "IN03", "IEORRES": "N", "IEDT": "2024-02-20"}]),
    "lb": _f([{"SUBJID": "001", "VISIT": "UNSCHEDULED", "VISITNUM": 3.1, "LBDT": "2024-04-25", "LBTESTCD": "C3"}],
             num=("VISITNUM",)),
}


class FakeRaw:
    """Stands in for RawStudy: ``valid_rows(form)``; forms not given are empty."""

    def __init__(self, forms: dict[str, pd.DataFrame]) -> None:
        self.forms = forms

    def valid_rows(self, name: str) -> pd.DataFrame:
        if name in self.forms:
            return self.forms[name].copy()
        return pd.DataFrame({"SUBJID": pd.Series(dtype="string"), "VISIT": pd.Series(dtype="string"),
                             "VISITNUM": pd.Series(dtype="Float64"), "_ROW": pd.Series(dtype="int64")})


def run_part_a(raw: object) -> SdtmContext:
    """Run the part A mappings exactly as ``build_sdtm`` does (conform + sort by keys)."""
    import importlib

    config = load_config("specs")
    spec, _ = read_spec("specs/sdtm")  # other teams' datasets may be in progress; ours are checked in a test
    ctx = SdtmContext(config=config, spec=spec, raw=raw)
    for mod in PART_A:
        produced = importlib.import_module(f"cdisc_msc.sdtm.{mod}").build(ctx)
        for name, frame in produced.items():
            ds = spec.dataset(name)
            ctx.datasets[name] = sort_by_keys(conform(frame, ds), ds)
    return ctx
