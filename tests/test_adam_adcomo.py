"""ADCOMO: expected values worked out by hand from study.md (SAP 2, 4.5, 5)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from adam_fake import bds_adsl, config, day, sas, spec  # noqa: F401 (config, spec: pytest fixtures)
from cdisc_msc.adam.adcomo import check_codelists, derive_adcomo
from cdisc_msc.spec.apply import conform

# infusion (study day 1): adam_fake.INFUSION = 2024-03-15
U = "MSC-SLE-001-001"
CHECK = "COMORBIDITY CHECKLIST"
TERMS = ["HYPERTENSION", "DIABETES MELLITUS", "DYSLIPIDAEMIA", "OSTEOPOROSIS", "AVASCULAR NECROSIS",
         "CARDIOVASCULAR DISEASE", "CHRONIC KIDNEY DISEASE", "SERIOUS INFECTION", "MALIGNANCY", "DEPRESSION"]
"""The study configuration's checklist, typed in by hand (SAP 4.5): COMO01..COMO10 in this order."""


def adsl_frame() -> pd.DataFrame:
    return bds_adsl([U], trtn=1.0)


def answers(**given: str | None) -> dict[str, str | None]:
    """All 10 terms answered N unless given (keys = term index 1..10 as t1..t10)."""
    out = dict.fromkeys(TERMS, "N")
    for key, value in given.items():
        out[TERMS[int(key[1:]) - 1]] = value
    return out


def mh_frame() -> pd.DataFrame:
    rows = [dict(USUBJID=U, MHSEQ=1.0, MHTERM="Lupus nephritis", MHCAT="SLE HISTORY", MHOCCUR=None, MHDTC=None)]
    for i, (term, ans) in enumerate(answers(t1="Y").items(), start=2):   # screening: hypertension present
        rows.append(dict(USUBJID=U, MHSEQ=float(i), MHTERM=term, MHCAT=CHECK, MHOCCUR=ans, MHDTC=day(-12)))
    return pd.DataFrame(rows)


def ce_frame() -> pd.DataFrame:
    visits = [
        (4.0, "M3", 91, answers()),                       # all answered N -> any = N
        (5.0, "M6", 181, answers(t3=None)),               # none present, one not answered -> any missing
        (6.0, "M9", 275, answers(t10="Y", t2=None)),      # depression present -> any = Y
    ]
    rows, seq = [], 0
    for visitnum, visit, study_day, ans in visits:
        for term, value in ans.items():
            seq += 1
            rows.append(dict(USUBJID=U, CESEQ=float(seq), CETERM=term, CECAT=CHECK, CEOCCUR=value,
                             CESTAT=None if value else "NOT DONE", VISIT=visit, VISITNUM=visitnum,
                             CEDTC=day(study_day)))
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def adcomo(config, spec):
    return conform(derive_adcomo(mh_frame(), ce_frame(), adsl_frame(), config), spec.dataset("ADCOMO"))


def rec(df: pd.DataFrame, paramcd: str, avisit: str) -> pd.Series:
    got = df[(df.PARAMCD == paramcd) & (df.AVISIT == avisit)]
    assert len(got) == 1, (paramcd, avisit, len(got))
    return got.iloc[0]


def test_any_comorbidity_per_visit(adcomo):
    assert rec(adcomo, "COMOANY", "Baseline").AVALC == "Y"          # hypertension at screening
    m3 = rec(adcomo, "COMOANY", "Month 3")
    assert (m3.AVALC, m3.AVAL, m3.BASEC, m3.BASE) == ("N", 0.0, "Y", 1.0)
    m6 = rec(adcomo, "COMOANY", "Month 6")
    assert m6.AVALC is None and np.isnan(m6.AVAL) and m6.ANL01FL is None   # observed cases: no answer derived
    m9 = rec(adcomo, "COMOANY", "Month 9")
    assert m9.AVALC == "Y" and m9.ADT == sas(dt.date(2024, 12, 14)) and m9.VISIT == "M9"
    assert m9.SRCDOM is None and np.isnan(m9.SRCSEQ)
    assert m9.PARAM == "Any comorbidity present"


def test_term_records_point_at_mh_and_ce(adcomo):
    bl = rec(adcomo, "COMO01", "Baseline")
    assert (bl.AVALC, bl.AVAL, bl.ABLFL, bl.SRCDOM, bl.SRCVAR, bl.SRCSEQ) == ("Y", 1.0, "Y", "MH", "MHOCCUR", 2.0)
    assert bl.PARAM == "Comorbidity present: HYPERTENSION" and bl.ADY == -12
    dep = rec(adcomo, "COMO10", "Month 9")
    assert (dep.AVALC, dep.SRCDOM, dep.SRCVAR, dep.SRCSEQ, dep.BASEC) == ("Y", "CE", "CEOCCUR", 30.0, "N")
    unanswered = rec(adcomo, "COMO03", "Month 6")
    assert unanswered.AVALC is None and unanswered.SRCSEQ == 13.0
    assert len(adcomo[adcomo.SRCDOM == "MH"]) == 10             # the SLE history record is not a checklist answer


def test_spec_and_keys(adcomo, spec, config):
    ds = spec.dataset("ADCOMO")
    assert list(adcomo.columns) == ds.names and not adcomo.duplicated(ds.keys).any()
    assert len(adcomo) == 4 * 10 + 4                              # 4 checklists x 10 terms + 4 "any"
    check_codelists(spec, config)


def test_unknown_term_fails(config):
    ce = ce_frame()
    ce.loc[0, "CETERM"] = "GOUT"
    with pytest.raises(ValueError, match="GOUT"):
        derive_adcomo(mh_frame(), ce, adsl_frame(), config)
