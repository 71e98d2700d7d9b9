"""The simulator: reproducible bytes, contract-clean output, and every
realistic feature the downstream code must handle (200 subjects)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdisc_msc.config import load_config
from cdisc_msc.raw import forms as F
from cdisc_msc.raw.readers import load_raw
from cdisc_msc.simulate import simulate_study
from cdisc_msc.simulate.features import responses

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cfg():
    return load_config(ROOT / "specs" / "study.yaml")


@pytest.fixture(scope="module")
def sim(cfg, tmp_path_factory):
    d = tmp_path_factory.mktemp("sim200")
    counts = simulate_study(200, 7, d, cfg)
    st = load_raw(d, cfg)
    return d, counts, st


def test_same_seed_same_bytes(cfg, tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    simulate_study(40, 123, a, cfg)
    simulate_study(40, 123, b, cfg)
    simulate_study(40, 124, c, cfg)
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(f"{f}.csv" for f in F.FORMS) == sorted(p.name for p in b.iterdir())
    for n in names:
        assert (a / n).read_bytes() == (b / n).read_bytes(), n
    assert any((a / n).read_bytes() != (c / n).read_bytes() for n in names)


def test_exact_counts_option(cfg, tmp_path):
    simulate_study(12, 1, tmp_path, cfg, n_screen_fail=2, n_not_infused=1)
    dm = pd.read_csv(tmp_path / "dm.csv", dtype=str)
    ex = pd.read_csv(tmp_path / "ex.csv", dtype=str)
    assert (dm.ELIGIBLE == "N").sum() == 2 and (ex.EXYN == "N").sum() == 1 and (ex.EXYN == "Y").sum() == 9
    assert dm.COHORT.dropna().astype(float).value_counts().sort_index().tolist() == [3, 3, 4]


def test_output_meets_the_contract(sim):
    _, counts, st = sim
    assert [str(p) for p in st.report] == []
    assert counts == st.counts()


def test_population(sim):
    _, _, st = sim
    dm, ex = st["dm"], st["ex"]
    sf = dm.ELIGIBLE == "N"
    assert 0.08 <= sf.mean() <= 0.25
    assert set(st["ie"].SUBJID) == set(dm.SUBJID[sf])
    assert (ex.EXYN == "N").sum() == 1 and ex.loc[ex.EXYN == "N", "REASND"].notna().all()
    assert set(ex.SUBJID) == set(dm.SUBJID[~sf])
    # dose escalation: in consent order the cohorts never go down
    enr = dm[~sf].sort_values(["CONSDT", "SUBJID"])
    coh = enr.sort_values("SUBJID").COHORT.to_numpy()
    assert (np.diff(coh) >= 0).all() and sorted(set(coh)) == [1.0, 2.0, 4.0]
    assert st["vs"].WEIGHT.notna().mean() > 0.95 and st["vs"].HEIGHT.notna().sum() >= len(dm) * 0.95


def test_visits_in_windows_missed_and_unscheduled(sim, cfg):
    _, _, st = sim
    sv, ex = st["sv"], st["ex"]
    inf = pd.to_datetime(ex.set_index("SUBJID").STDTM.str.slice(0, 10))
    done = sv[(sv.VISDONE == "Y") & sv.SUBJID.isin(inf.dropna().index)].copy()
    delta = (pd.to_datetime(done.VISDT) - done.SUBJID.map(inf)).dt.days
    done["day"] = delta + (delta >= 0)
    for v in cfg.visits:
        d = done[done.VISIT == v.visit].day
        assert len(d) and d.between(v.window_start, v.window_end).all(), v.visit
    missed = sv[sv.VISDONE == "N"]
    assert len(missed) >= 5 and missed.VISDT.isna().all() and missed.REASND.notna().all()
    uns = sv[sv.VISIT == "UNSCHEDULED"]
    assert len(uns) >= 5 and (uns.VISITNUM % 1 > 0).all()
    sl = st["sledai"]
    assert (sl.VISIT == "UNSCHEDULED").sum() >= 5


def test_partial_dates_and_ongoing(sim):
    _, _, st = sim
    for form, st_col, en_col, ongo in (("ae", "AESTDT", "AEENDT", "AEONGO"), ("cm", "CMSTDT", "CMENDT", "CMONGO"),
                                       ("mh", "MHSTDT", "MHENDT", "MHONGO")):
        df = st[form]
        assert df[st_col].str.match(r"^\d{4}-\d{2}-UN$").any(), form
        assert df[st_col].str.match(r"^\d{4}-UN-UN$").any(), form
        assert df[en_col].str.contains("UN", na=False).any(), form
        on = df[ongo] == "Y"
        assert on.any() and df.loc[on, en_col].isna().all(), form


def test_adverse_events(sim, cfg):
    _, _, st = sim
    ae = st["ae"]
    verb = set(ae.AETERM)
    for t in ("Céphalées", "Fièvre", "Éruption cutanée", "Nausées"):
        assert t in verb, t
    # MedDRA: one code per name at every level, 8 digits
    for name, code in (("AELLT", "AELLTCD"), ("AEDECOD", "AEPTCD"), ("AEHLT", "AEHLTCD"), ("AEHLGT", "AEHLGTCD"),
                       ("AESOC", "AESOCCD")):
        assert ae.groupby(name)[code].nunique().max() == 1
        assert ae[code].between(10_000_000, 99_999_999).all()
    assert ae.groupby("AEDECOD").AESOC.nunique().max() == 1
    assert set(ae.AETOXGR.dropna()) == {"1", "2", "3", "4", "5"} and ae.AETOXGR.isna().any()
    assert ae.AEREL.isna().any()
    crit = ["AESDTH", "AESLIFE", "AESHOSP", "AESDISAB", "AESCONG", "AESMIE"]
    ser = ae.AESER == "Y"
    assert ser.any() and (ae.loc[ser, crit] == "Y").any(axis=1).all()
    assert ae.loc[~ser, crit].isna().all().all()
    assert (ae.AEOUT == "FATAL").sum() == (st["ds"].DSDECOD == "DEATH").sum() >= 1
    # infusion day (with times) and the day before
    inf = st["ex"].set_index("SUBJID").STDTM
    start = pd.to_datetime(ae.AESTDT.where(~ae.AESTDT.str.contains("UN")), errors="coerce")
    infd = pd.to_datetime(ae.SUBJID.map(inf).str.slice(0, 10))
    day0 = start == infd
    assert day0.sum() >= 10 and ae.loc[day0, "AESTTM"].notna().sum() >= 10
    before = day0 & ae.AESTTM.notna() & (ae.AESTTM < ae.SUBJID.map(inf).str.slice(11, 16))
    assert before.any()  # on the infusion day but before the infusion started
    assert ((infd - start).dt.days == 1).sum() >= 3


def test_steroids(sim, cfg):
    _, _, st = sim
    gc, ex = st["gc"], st["ex"]
    assert (gc.GCDECOD == "PREDNISONE").mean() > 0.6
    oral = gc[gc.GCROUTE == "ORAL"].sort_values(["SUBJID", "GCSPID"])
    daily = oral.GCDOSE * oral.GCDOSFRQ.map({"QD": 1, "BID": 2, "TID": 3, "ONCE": 1})
    tapered = daily.groupby(oral.SUBJID).apply(lambda s: (s.diff() < 0).any())
    assert tapered.sum() >= 20
    iv = gc[gc.GCROUTE == "INTRAVENOUS"]
    assert len(iv) >= 3 and (iv.GCDECOD == "METHYLPREDNISOLONE").all() and (iv.GCDOSE >= 250).all()
    inf = pd.to_datetime(ex.set_index("SUBJID").STDTM.str.slice(0, 10))
    first = pd.to_datetime(oral.groupby("SUBJID").GCSTDT.min())
    lead = (inf.reindex(first.index) - first).dt.days
    assert ((lead > 0) & (lead < 28)).sum() >= 3  # log starts < 28 days before infusion
    infused = ex.SUBJID[ex.EXYN == "Y"]
    before = oral[pd.to_datetime(oral.GCSTDT) < pd.to_datetime(oral.SUBJID.map(inf))].SUBJID
    assert 1 <= (~infused.isin(before)).sum() <= 15  # baseline dose 0
    assert (gc.GCONGO == "Y").any() and gc.loc[gc.GCONGO == "Y", "GCENDT"].isna().all()


def test_questionnaires(sim):
    _, _, st = sim
    sf = st["sf36"]
    done = sf[sf.QSND.isna()]
    items = [c for c in F.SF36.model_fields if c.startswith("Q") and c not in ("QSDT", "QSND")]
    assert done[items].isna().any(axis=1).sum() >= 10
    pf = [f"Q3{x}" for x in "ABCDEFGHIJ"]
    scales = {"PF": pf, "RP": ["Q4A", "Q4B", "Q4C", "Q4D"], "BP": ["Q7", "Q8"], "SF": ["Q6", "Q10"],
              "RE": ["Q5A", "Q5B", "Q5C"]}
    more_than_half = sum(int((done[i].isna().sum(axis=1) > len(i) / 2).sum()) for i in scales.values())
    assert more_than_half >= 2
    assert (sf.QSND.notna() & sf[items].isna().all(axis=1)).sum() >= 3
    assert st["eq5d"].QSND.notna().any() and st["eq5d"].VAS.dropna().between(0, 100).all()


def test_disease_activity(sim, cfg):
    _, _, st = sim
    sl, bl = st["sledai"], st["bilag"]
    desc = list(F.SLEDAI_DESCRIPTORS)
    assert (sl.RSND.isna() & sl[desc].isna().any(axis=1)).sum() >= 3  # incomplete SLEDAI
    assert (bl.RSND.isna() & bl[list(F.BILAG_SYSTEMS)].isna().any(axis=1)).sum() >= 3
    r = responses(st, cfg)
    m12 = r[r.AVISITN == 12]
    assert (m12.SLEDAI_CHG < 0).sum() >= 20 and (m12.SLEDAI_CHG > 0).sum() >= 3  # improve and worsen
    assert m12.SRI4.sum() >= 10 and (~m12.SRI4).sum() >= 10
    assert m12.MCR.sum() >= 3 and m12.PCR.sum() >= 3
    # eligible subjects have SELENA-SLEDAI >= 6 at screening
    scr = sl[(sl.VISIT == "SCREENING") & sl[desc].notna().all(axis=1)]
    w = dict(zip(desc, [8] * 8 + [4] * 6 + [2] * 7 + [1] * 3))
    score = sum((scr[d] == "Y") * w[d] for d in desc)
    elig = scr.SUBJID.map(st["dm"].set_index("SUBJID").ELIGIBLE)
    assert (score[elig == "Y"] >= 6).all()


def test_labs_follow_descriptors(sim):
    _, _, st = sim
    lb, sl = st["lb"], st["sledai"]
    c3 = lb[lb.LBTESTCD == "C3"].merge(sl[["SUBJID", "VISITNUM", "LOWCOMP"]], on=["SUBJID", "VISITNUM"])
    val = pd.to_numeric(c3.LBORRES)
    assert val[c3.LOWCOMP == "Y"].median() < 0.9 <= val[c3.LOWCOMP == "N"].median()
    assert lb.LBND.notna().any() and lb.loc[lb.LBND.notna(), "LBORRES"].isna().all()
    assert set(lb.LBTESTCD) == set(F.LB_TESTS)


def test_comorbidities_history_disposition(sim, cfg):
    _, _, st = sim
    co = st["como"]
    assert set(co.COTERM) == set(cfg.comorbidities)
    assert {"SCREENING", "M3", "M6", "M9", "M12"} <= set(co.VISIT)
    assert (co.COPRES == "Y").any() and co.COPRES.isna().any()
    assert set(st["mh"].MHCAT) == {"SLE HISTORY", "GENERAL MEDICAL HISTORY"}
    ds = st["ds"]
    assert {"COMPLETED", "SCREEN FAILURE", "DEATH"} <= set(ds.DSDECOD)
    assert ds.DSDECOD.isin(["ADVERSE EVENT", "WITHDRAWAL BY SUBJECT", "LOST TO FOLLOW-UP",
                            "PHYSICIAN DECISION", "OTHER"]).sum() >= 3
    assert ds.loc[ds.DSDECOD == "DEATH", "DTHDT"].notna().all()
    # nothing after the data cut-off
    checked = 0
    for form in F.FORMS:
        for c in st[form].columns:
            if c.endswith(("DT", "DTM")) and pd.api.types.is_string_dtype(st[form][c]):
                checked += 1
                assert (st[form][c].dropna().str.slice(0, 10).str.replace("UN", "01") <= str(cfg.data_cutoff)).all()
    assert checked >= 20
