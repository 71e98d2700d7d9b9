"""Pin the notable features of the shipped fixture (fixtures/raw), subject by
subject, so hand-worked SDTM/ADaM tests can rely on them (listed in
fixtures/README.md)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cdisc_msc.config import load_config
from cdisc_msc.raw.readers import load_raw
from cdisc_msc.simulate.features import responses, subject_features

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cfg():
    return load_config(ROOT / "specs" / "study.yaml")


@pytest.fixture(scope="module")
def raw(cfg):
    st = load_raw(ROOT / "fixtures" / "raw", cfg)
    assert not st.report.problems
    return st


@pytest.fixture(scope="module")
def feats(raw, cfg):
    return subject_features(raw, cfg).set_index("SUBJID")


def rec(raw, form, **keys):
    df = raw[form]
    for k, v in keys.items():
        df = df[df[k] == v]
    assert len(df) == 1, (form, keys, len(df))
    return df.iloc[0]


def test_population_and_cohorts(raw, feats):
    assert feats.status.value_counts().to_dict() == {"infused": 10, "screen failure": 2}
    assert sorted(feats.index[feats.status == "screen failure"]) == ["006", "007"]
    dm = raw["dm"].set_index("SUBJID")
    cohorts = dm.COHORT.dropna()
    assert cohorts.to_dict() == {"001": 1, "002": 1, "003": 1, "004": 2, "005": 2, "008": 2,
                                 "009": 4, "010": 4, "011": 4, "012": 4}
    assert raw["ie"][["SUBJID", "IETESTCD", "IEORRES"]].values.tolist() == [["006", "EX02", "Y"],
                                                                           ["007", "IN04", "N"]]


def test_infusions(raw):
    assert rec(raw, "ex", SUBJID="001").STDTM == "2023-02-01T13:11"
    r = rec(raw, "ex", SUBJID="004")
    assert (r.DOSEKG, r.WEIGHT, r.TOTCELLS) == (2.0, 61.0, 122.0)


def test_adverse_event_features(raw):
    assert rec(raw, "ae", SUBJID="003", AESPID=4).AESTDT == "2023-12-UN"  # partial start, infusion 2023-03-02
    assert rec(raw, "ae", SUBJID="012", AESPID=1).AEENDT == "2023-09-UN"  # partial end
    a = rec(raw, "ae", SUBJID="004", AESPID=2)  # ongoing
    assert (a.AEONGO, pd.isna(a.AEENDT), a.AETERM) == ("Y", True, "Poussée lupique")
    # infusion day, after the infusion (002 infusion 12:22-13:05) and before it (010 infusion 13:35)
    a = rec(raw, "ae", SUBJID="002", AESPID=1)
    assert (a.AESTDT, a.AESTTM, a.AETERM) == ("2023-02-08", "17:32", "Céphalées")
    a = rec(raw, "ae", SUBJID="010", AESPID=1)
    assert (a.AESTDT, a.AESTTM, a.AETERM) == ("2023-08-16", "11:41", "Anxiété")
    a = rec(raw, "ae", SUBJID="005", AESPID=1)  # the day before the infusion (2023-04-06)
    assert (a.AESTDT, a.AETERM) == ("2023-04-05", "Rhinopharyngite")
    assert pd.isna(rec(raw, "ae", SUBJID="001", AESPID=2).AETOXGR)  # grade missing
    assert pd.isna(rec(raw, "ae", SUBJID="005", AESPID=3).AEREL)  # relationship missing
    a = rec(raw, "ae", SUBJID="008", AESPID=1)
    assert (a.AETOXGR, a.AESER, a.AESDTH, a.AEOUT) == ("5", "Y", "Y", "FATAL")
    # change of grade collected as a new record
    g = raw["ae"][(raw["ae"].SUBJID == "010") & raw["ae"].AESPID.isin([10, 11])]
    assert g.AETOXGR.tolist() == ["2", "3"]
    assert g.AESTDT.tolist() == ["2024-06-02", "2024-06-19"] and g.AEENDT.tolist() == ["2024-06-18", "2024-06-27"]


def test_visits(raw):
    sv = raw["sv"]
    uns = sv[sv.VISIT == "UNSCHEDULED"][["SUBJID", "VISITNUM", "VISDT"]].values.tolist()
    assert uns == [["009", 6.1, "2024-04-12"], ["010", 5.1, "2024-02-22"]]
    missed = sv[sv.VISDONE == "N"][["SUBJID", "VISIT"]].values.tolist()
    assert missed == [["005", "M1"], ["005", "M9"], ["011", "M3"]]


def test_disposition(raw):
    ds = raw["ds"].set_index("SUBJID")
    assert ds.loc["004", "DSDECOD"] == "ADVERSE EVENT" and ds.loc["011", "DSDECOD"] == "ADVERSE EVENT"
    assert (ds.loc["008", "DSDECOD"], ds.loc["008", "DTHDT"]) == ("DEATH", "2023-07-24")
    assert (ds.DSDECOD == "COMPLETED").sum() == 7


def test_steroids(raw, feats):
    gc = raw["gc"]
    taper = gc[gc.SUBJID == "003"][["GCDOSE", "GCSTDT", "GCENDT"]].values.tolist()
    assert taper[1:] == [[10.0, "2022-02-22", "2024-02-28"], [7.5, "2024-02-29", taper[2][2]]]
    assert bool(feats.loc["002", "gc_taper"]) and bool(feats.loc["005", "gc_taper"])
    pulses = gc[gc.GCROUTE == "INTRAVENOUS"][["SUBJID", "GCSTDT", "GCENDT", "GCDOSE", "GCDOSFRQ"]].values.tolist()
    assert pulses == [["002", "2022-10-31", "2022-11-02", 500.0, "ONCE"],
                      ["011", "2023-10-12", "2023-10-14", 500.0, "ONCE"]]
    assert feats.loc["009", "gc_baseline0"]  # no glucocorticoid before the infusion; starts at day 134
    assert feats.loc["008", "gc_log_start_day"] == -7  # log starts < 28 days before the infusion
    assert feats.loc["011", "gc_log_start_day"] == -26
    r = rec(raw, "gc", SUBJID="001", GCSPID=1)
    assert (r.GCDOSE, r.GCDOSFRQ) == (10.0, "BID")  # 20 mg/day


def test_questionnaires(raw):
    sf = raw["sf36"]
    r = sf[(sf.SUBJID == "001") & (sf.VISIT == "M3")].iloc[0]
    items = [c for c in sf.columns if c.startswith("Q") and c not in ("QSDT", "QSND")]
    assert r[items].isna().sum() >= 1  # a missing SF-36 item
    nd = sf[sf.QSND.notna()][["SUBJID", "VISIT"]].values.tolist()
    assert nd == [["010", "M3"]]  # whole questionnaire not done


def test_responses(raw, cfg):
    r = responses(raw, cfg).set_index(["SUBJID", "AVISITN"])
    # SRI-4 responder: 002 at month 3 (SLEDAI 11 -> 7, no new A, no new B, PGA 1.3 -> 1.2)
    assert bool(r.loc[("002", 3), "SRI4"]) and r.loc[("002", 3), "SLEDAI_CHG"] == -4
    # non-responders at month 12: 010 and 012
    assert not r.loc[("010", 12), "SRI4"] and not r.loc[("012", 12), "SRI4"]
    assert bool(r.loc[("005", 12), "MCR"])  # all BILAG systems C/D/E at M12
    assert bool(r.loc[("002", 12), "PCR"]) and bool(r.loc[("003", 6), "PCR"])
    resp12 = r.xs(12, level="AVISITN")
    assert sorted(resp12.index[resp12.SRI4]) == ["001", "002", "003", "005", "009"]
