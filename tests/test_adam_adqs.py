"""ADQS: expected values worked out by hand from study.md (SAP 2, 3.4, 3.5)."""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from adam_fake import ROOT, bds_adsl, config, day, sas, spec  # noqa: F401 (config, spec: pytest fixtures)
from cdisc_msc.adam.adqs import check_methods, derive_adqs
from cdisc_msc.config import load_config
from cdisc_msc.spec.apply import conform
from cdisc_msc.spec.loader import load_spec

# infusion (study day 1): adam_fake.INFUSION = 2024-03-15
U1, U2 = "MSC-SLE-001-001", "MSC-SLE-001-002"
SF36, EQ5D = "SF36 V2.0 STANDARD", "EQ-5D-5L"

# SAP 3.4 table, typed in by hand: mean 1998, sd 1998, PCS coef, MCS coef
SAP = {
    "PF": (83.29094, 23.75883, 0.42402, -0.22999), "RP": (82.50964, 25.52028, 0.35119, -0.12329),
    "BP": (71.32527, 23.66224, 0.31754, -0.09731), "GH": (70.84570, 20.97821, 0.24954, -0.01571),
    "VT": (58.31411, 20.01923, 0.02877, 0.23534), "SF": (84.30250, 22.91921, -0.00753, 0.26876),
    "RE": (87.39733, 21.43778, -0.19206, 0.43407), "MH": (74.98685, 17.75604, -0.22069, 0.48581),
}

# One full SF-36 pattern (answers as category numbers) and its scale scores worked out by hand:
#   PF 3a-3j 1,2,3,1,2,3,1,2,3,3 = 21 -> 100*(21-10)/20 = 55
#   RP 4a-4d 2,3,4,5 = 14 -> 100*(14-4)/16 = 62.5
#   BP item 7 = 3 -> 4.2; item 8 = 2 (item 7 answered) -> 4; 8.2 -> 100*(8.2-2)/10 = 62
#   GH item 1 = 2 -> 4.4; 11a 2; 11b 3 reversed -> 3; 11c 4; 11d 5 reversed -> 1; 14.4 -> 100*(14.4-5)/20 = 47
#   VT 9a 2 rev -> 4; 9e 3 rev -> 3; 9g 2; 9i 4; 13 -> 100*(13-4)/16 = 56.25
#   SF item 6 = 2 rev -> 4; item 10 = 4; 8 -> 100*(8-2)/8 = 75
#   RE 5a-5c 5,4,3 = 12 -> 100*(12-3)/12 = 75
#   MH 9b 3; 9c 4; 9d 2 rev -> 4; 9f 4; 9h 3 rev -> 3; 18 -> 100*(18-5)/20 = 65
PATTERN = {
    "SF36301": 2, "SF36302": 3,
    **dict(zip([f"SF36303{c}" for c in "ABCDEFGHIJ"], [1, 2, 3, 1, 2, 3, 1, 2, 3, 3])),
    **dict(zip([f"SF36304{c}" for c in "ABCD"], [2, 3, 4, 5])),
    **dict(zip([f"SF36305{c}" for c in "ABC"], [5, 4, 3])),
    "SF36306": 2, "SF36307": 3, "SF36308": 2,
    **dict(zip([f"SF36309{c}" for c in "ABCDEFGHI"], [2, 3, 4, 2, 3, 4, 2, 3, 4])),
    "SF36310": 4,
    **dict(zip([f"SF36311{c}" for c in "ABCD"], [2, 3, 4, 5])),
}
SCORES = {"PF": 55.0, "RP": 62.5, "BP": 62.0, "GH": 47.0, "VT": 56.25, "SF": 75.0, "RE": 75.0, "MH": 65.0}
Z = {s: (SCORES[s] - SAP[s][0]) / SAP[s][1] for s in SAP}
PCS = 50 + 10 * sum(Z[s] * SAP[s][2] for s in SAP)
MCS = 50 + 10 * sum(Z[s] * SAP[s][3] for s in SAP)


def adsl_frame() -> pd.DataFrame:
    return bds_adsl([U1, U2], trtn=2.0)


class QS:
    """Builds SDTM-shaped QS records (QSSEQ in order of addition per subject)."""

    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, usubjid: str, cat: str, answers: dict[str, float | None], visitnum: float, study_day: int,
            visit: str = "V") -> "QS":
        for testcd, value in answers.items():
            seq = sum(r["USUBJID"] == usubjid for r in self.rows) + 1
            self.rows.append(dict(
                STUDYID="MSC-SLE", DOMAIN="QS", USUBJID=usubjid, QSSEQ=float(seq), QSTESTCD=testcd, QSCAT=cat,
                QSSTRESN=None if value is None else float(value), QSSTAT="NOT DONE" if value is None else None,
                VISIT=visit, VISITNUM=visitnum, QSDTC=day(study_day)))
        return self

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)


def rec(adqs: pd.DataFrame, usubjid: str, paramcd: str, visitnum: float) -> pd.Series:
    got = adqs[(adqs.USUBJID == usubjid) & (adqs.PARAMCD == paramcd) & (adqs.VISITNUM == visitnum)]
    assert len(got) == 1, (usubjid, paramcd, visitnum, len(got))
    return got.iloc[0]


@pytest.fixture(scope="module")
def adqs(config, spec):
    qs = QS()
    # U1: full SF-36 pattern at screening (day -5) and at M3 (day 91); half-scale cases at M6 (day 181)
    qs.add(U1, SF36, PATTERN, 1.0, -5, "SCREENING")
    qs.add(U1, SF36, PATTERN, 4.0, 91, "M3")
    m6 = dict(PATTERN, SF36303A=None, SF36303B=None,                      # PF: 8 of 10 answered
              SF36304A=None, SF36304B=None, SF36304C=None)                # RP: 1 of 4 answered -> missing
    qs.add(U1, SF36, m6, 5.0, 181, "M6")
    # U1: EQ-5D-5L state 21143, VAS 70, at screening; state 11111 at M3
    qs.add(U1, EQ5D, {"EQ5D0201": 2, "EQ5D0202": 1, "EQ5D0203": 1, "EQ5D0204": 4, "EQ5D0205": 3,
                      "EQ5D0206": 70}, 1.0, -5, "SCREENING")
    qs.add(U1, EQ5D, {"EQ5D0201": 1, "EQ5D0202": 1, "EQ5D0203": 1, "EQ5D0204": 1, "EQ5D0205": 1,
                      "EQ5D0206": 90}, 4.0, 91, "M3")
    # U2: EQ VAS only, on chosen study days for the analysis windows (SAP 2)
    for visitnum, study_day, vas in [(1.0, -10, 50), (3.0, 60, 60), (4.0, 61, 61), (4.1, 81, 81), (4.2, 101, 99),
                                     (4.3, 135, 35), (5.0, 136, 36), (8.1, 500, 10)]:
        qs.add(U2, EQ5D, {"EQ5D0206": vas}, visitnum, study_day)
    out = derive_adqs(qs.frame(), adsl_frame(), config)
    return conform(out, spec.dataset("ADQS"))


def test_sf36_scale_scores_and_components_by_hand(adqs):
    codes = dict(zip(["PF", "RP", "BP", "GH", "VT", "SF", "RE", "MH"], [f"SF363{n}" for n in range(12, 20)]))
    for scale, code in codes.items():
        assert rec(adqs, U1, code, 4.0).AVAL == pytest.approx(SCORES[scale], abs=1e-9), scale
    nbs_pf = 50 + 10 * (55 - 83.29094) / 23.75883
    assert rec(adqs, U1, "SF36320", 4.0).AVAL == pytest.approx(nbs_pf, abs=1e-9)
    assert rec(adqs, U1, "SF36328", 4.0).AVAL == pytest.approx(PCS, abs=1e-9)
    assert rec(adqs, U1, "SF36329", 4.0).AVAL == pytest.approx(MCS, abs=1e-9)
    pcs = rec(adqs, U1, "SF36328", 4.0)
    assert pcs.PARAM == "SF363-Physical Component Score" and pcs.PARCAT1 == SF36
    assert pcs.SRCDOM is None and np.isnan(pcs.SRCSEQ)          # derived: no single source record
    assert pcs.ADT == sas(dt.date(2024, 6, 13)) and pcs.VISIT == "M3"   # the administration's date and visit
    # same answers at baseline and M3: change 0, baseline record flagged
    assert pcs.BASE == pytest.approx(PCS) and pcs.CHG == pytest.approx(0.0, abs=1e-9)
    assert rec(adqs, U1, "SF36328", 1.0).ABLFL == "Y"


def test_sf36_half_scale_rule(adqs):
    # PF at M6: answered 3c..3j = 3+1+2+3+1+2+3+3 = 18, mean 2.25 -> raw 22.5 -> 100*(22.5-10)/20 = 62.5
    assert rec(adqs, U1, "SF36312", 5.0).AVAL == pytest.approx(62.5)
    # RP at M6: 1 of 4 answered -> missing, and so PCS/MCS; records kept with AVAL empty
    assert np.isnan(rec(adqs, U1, "SF36313", 5.0).AVAL)
    assert np.isnan(rec(adqs, U1, "SF36328", 5.0).AVAL)
    assert rec(adqs, U1, "SF36328", 5.0).ANL01FL is None


def test_items_keep_source_pointers(adqs):
    item = rec(adqs, U1, "SF36301", 4.0)
    assert (item.AVAL, item.SRCDOM, item.SRCVAR) == (2.0, "QS", "QSSTRESN")
    assert item.SRCSEQ == 36 + 1                      # first item of the second administration of U1
    not_done = rec(adqs, U1, "SF36303A", 5.0)
    assert np.isnan(not_done.AVAL) and not_done.SRCDOM == "QS"


def test_eq5d_21143_index_and_level_sum(adqs):
    assert rec(adqs, U1, "EQ5DIXFR", 1.0).AVAL == pytest.approx(1 - (0.03759 + 0.26374 + 0.04683), abs=1e-12)
    assert rec(adqs, U1, "EQ5DIXFR", 1.0).AVAL == pytest.approx(0.65184, abs=1e-12)
    assert rec(adqs, U1, "EQ5DLSS", 1.0).AVAL == 2 + 1 + 1 + 4 + 3
    m3 = rec(adqs, U1, "EQ5DIXFR", 4.0)
    assert m3.AVAL == pytest.approx(1.0) and m3.CHG == pytest.approx(1.0 - 0.65184)
    assert m3.PARAM == "EQ5D02-Index Value French Value Set"
    assert rec(adqs, U1, "EQ5D0206", 4.0).CHG == 20.0


def test_analysis_windows(adqs):
    vas = adqs[(adqs.USUBJID == U2) & (adqs.PARAMCD == "EQ5D0206")].set_index("ADY")
    assert vas.loc[-10, "AVISIT"] == "Baseline" and vas.loc[-10, "ABLFL"] == "Y"
    assert vas.loc[60, "AVISIT"] == "Month 1" and vas.loc[61, "AVISIT"] == "Month 3"
    assert vas.loc[135, "AVISIT"] == "Month 3" and vas.loc[136, "AVISIT"] == "Month 6"
    # Month 3 (target 91): days 81 and 101 tie at 10 days -> the later one is analysed
    flagged = vas[vas.ANL01FL == "Y"]
    assert sorted(flagged.index.tolist()) == [-10, 60, 101, 136]
    assert vas.loc[101, "AWTDIFF"] == 10 and vas.loc[101, "CHG"] == 99 - 50
    # day 500 is outside every window: kept, no AVISIT and no ANL01FL
    assert vas.loc[500, "AVISIT"] is None and vas.loc[500, "ANL01FL"] is None and np.isnan(vas.loc[500, "AVISITN"])


def test_spec_and_unique_keys(adqs, spec):
    ds = spec.dataset("ADQS")
    assert list(adqs.columns) == ds.names
    assert not adqs.duplicated(ds.keys).any()
    assert adqs.PARAMCD.str.len().max() <= 8


def test_methods_must_name_the_configured_norm_set(config, spec):
    check_methods(spec, config)
    other = config.model_copy(update={"sf36_norms": config.sf36_norms.model_copy(update={"name": "US 2009 norms"})})
    with pytest.raises(ValueError, match="do not state the configured rule .MT.ADQS.SF36NBS: US 2009 norms"):
        check_methods(spec, other)


RAW = Path(os.environ.get("MSC_B_RAW", ROOT / "fixtures" / "raw"))


@pytest.mark.skipif(not (RAW / "dm.csv").exists(), reason="fixture study not present")
def test_fixture_end_to_end():
    from cdisc_msc.adam.build import build_adam
    from cdisc_msc.raw.readers import load_raw
    from cdisc_msc.sdtm.build import build_sdtm

    cfg = load_config(ROOT / "specs")
    sdtm, _ = build_sdtm(cfg, load_spec(ROOT / "specs" / "sdtm"), load_raw(RAW, cfg))
    aspec = load_spec(ROOT / "specs" / "adam")
    adam = build_adam(cfg, aspec, sdtm)
    for name in ("ADQS", "ADSTER", "ADCOMO"):
        ds = aspec.dataset(name)
        assert list(adam[name].columns) == ds.names
        assert not adam[name].duplicated(ds.keys).any(), name
    qs = sdtm["QS"]
    assert len(adam["ADQS"][adam["ADQS"].SRCDOM == "QS"]) == len(qs)   # every QS record is an item record
