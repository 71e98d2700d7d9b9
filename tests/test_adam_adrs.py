"""ADRS on a hand-made RS / ADSL: totals, windows, baseline, SRI-4 and MCR/PCR.

Every expected value is worked out below from the SAP (study.md 2, 3.1, 3.3,
4.2, 4.3), never taken from the code under test.

Infusion on 2024-01-01 (study day 1); day 91 = 2024-03-31, 181 = 2024-06-29,
271 = 2024-09-27, 366 = 2024-12-31 (2024 is a leap year).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from cdisc_msc.adam import adrs
from cdisc_msc.config import load_config
from cdisc_msc.spec.apply import conform
from cdisc_msc.spec.loader import load_spec

ROOT = Path(__file__).resolve().parents[1]
CFG = load_config(ROOT / "specs" / "study.yaml")
INFUSION = dt.date(2024, 1, 1)
SAS0 = dt.date(1960, 1, 1)
SLED = [f"SLED1{i:02d}" for i in range(1, 25)]
BILAG_KEYS = ["GEN", "MUC", "NEU", "MSK", "CVR", "VAS", "REN", "HAE"]
BILAG = {k: f"BILAG1{i:02d}" for i, k in enumerate(BILAG_KEYS, start=1)}


def day_date(day: int) -> dt.date:
    return INFUSION + dt.timedelta(days=day - 1 if day > 0 else day)


def sas(day: int) -> float:
    return float((day_date(day) - SAS0).days)


def sledai_form(subj, visitnum, day, present=(), missing=(), pga=None):
    rows = [{"USUBJID": subj, "RSTESTCD": t, "RSCAT": "SELENA-SLEDAI",
             "RSSTRESC": None if t in missing else ("Y" if t in present else "N"), "RSSTRESN": None,
             "VISITNUM": visitnum, "RSDTC": day_date(day).isoformat()} for t in SLED]
    rows.append({"USUBJID": subj, "RSTESTCD": "PGA101", "RSCAT": "PHYSICIAN GLOBAL ASSESSMENT",
                 "RSSTRESC": None if pga is None else str(pga), "RSSTRESN": pga,
                 "VISITNUM": visitnum, "RSDTC": day_date(day).isoformat()})
    return rows


def bilag_form(subj, visitnum, day, grades: str):
    """``grades``: 8 letters in GEN..HAE order, "-" = not graded."""
    return [{"USUBJID": subj, "RSTESTCD": BILAG[k], "RSCAT": "BILAG",
             "RSSTRESC": None if g == "-" else g, "RSSTRESN": None,
             "VISITNUM": visitnum, "RSDTC": day_date(day).isoformat()} for k, g in zip(BILAG_KEYS, grades)]


def make_rs() -> pd.DataFrame:
    rows = []
    # S1 baseline (screening, day -12): SLEDAI arthritis 4 + rash 2 + low complement 2 + DNA 2 = 10;
    # BILAG C B E A D E C D = 1+3+0+9+0+0+1+0 = 14; PGA 2.0
    rows += sledai_form("S1", 1, -12, present={"SLED109", "SLED115", "SLED120", "SLED121"}, pga=2.0)
    rows += bilag_form("S1", 1, -12, "CBEADECD")
    # Month 3 (day 91): SLEDAI 2+2 = 4; BILAG C C E B D E C D = 1+1+0+3+0+0+1+0 = 6; PGA 2.2
    rows += sledai_form("S1", 4, 91, present={"SLED120", "SLED121"}, pga=2.2)
    rows += bilag_form("S1", 4, 91, "CCEBDECD")
    # Month 6 (day 181): SLEDAI 0; BILAG all C/D/E; PGA 2.3 (2.3 - 2.0 rounds to 0.3: not < 0.3)
    rows += sledai_form("S1", 5, 181, pga=2.3)
    rows += bilag_form("S1", 5, 181, "CCECDECD")
    # Month 9: nothing. Month 12 (target 366): SLEDAI day 340 (7.1) rash = 2, PGA 2.5;
    # SLEDAI day 380 (7) arthritis but leukopenia not recorded -> total missing, PGA 1.0;
    # BILAG day 340 (7.1) new A on GEN; BILAG day 370 (7) all C/D/E
    rows += sledai_form("S1", 7.1, 340, present={"SLED115"}, pga=2.5)
    rows += sledai_form("S1", 7, 380, present={"SLED109"}, missing={"SLED124"}, pga=1.0)
    rows += bilag_form("S1", 7.1, 340, "ACECDECD")
    rows += bilag_form("S1", 7, 370, "CCECDECD")
    # S2: screening (day -5) SLEDAI 4+4+4+2+2 = 16, PGA 1.8; M0 (day 1) SLEDAI 4+4+2+2 = 12, PGA 1.5 -> baseline
    rows += sledai_form("S2", 1, -5, present={"SLED109", "SLED110", "SLED111", "SLED115", "SLED116"}, pga=1.8)
    rows += sledai_form("S2", 2, 1, present={"SLED109", "SLED110", "SLED115", "SLED116"}, pga=1.5)
    rows += bilag_form("S2", 1, -5, "CBEBDECC")           # baseline: no A, two B
    rows += sledai_form("S2", 4, 91, present={"SLED109", "SLED110", "SLED115"}, pga=1.5)  # 10: decrease 2
    rows += bilag_form("S2", 4, 91, "CBEBDECC")
    rows += sledai_form("S2", 5, 181, present={"SLED109"}, pga=1.0)                     # 4
    rows += bilag_form("S2", 5, 181, "ACECDECC")                                        # new A (GEN C -> A)
    rows += sledai_form("S2", 6, 271, present={"SLED109"}, pga=1.0)
    rows += bilag_form("S2", 6, 271, "BBEBDEBC")                                        # new B: GEN, REN
    rows += sledai_form("S2", 7, 366, present={"SLED109"}, pga=1.9)                     # PGA +0.4
    rows += bilag_form("S2", 7, 366, "CBECDECC")                                        # one B (MUC, was B)
    # S3: baseline (day -7) SLEDAI seizure 8, PGA not recorded; BILAG one B only (PCR baseline not met)
    rows += sledai_form("S3", 1, -7, present={"SLED101"})
    rows += bilag_form("S3", 1, -7, "CBCCCCCC")
    rows += sledai_form("S3", 4, 91, pga=0.5)
    rows += bilag_form("S3", 4, 91, "CBCCCCCC")
    rows += sledai_form("S3", 5, 181, pga=0.5)
    rows += bilag_form("S3", 5, 181, "CCCCCC-C")                                        # renal not graded
    # S4: screen failure, screening forms only
    rows += sledai_form("S4", 1, -20, present={"SLED101"}, pga=1.0)
    rows += bilag_form("S4", 1, -20, "CCCCCCCC")
    rs = pd.DataFrame(rows)
    rs["RSSEQ"] = rs.groupby("USUBJID").cumcount().astype(float) + 1
    rs["VISIT"] = rs["VISITNUM"].map(lambda v: f"V{v}")
    return rs


def make_adsl() -> pd.DataFrame:
    ids = ["S1", "S2", "S3", "S4", "S5"]
    return pd.DataFrame({
        "STUDYID": "MSC-SLE", "USUBJID": ids,
        "TRT01P": ["MSC 2 x10^6 cells/kg"] * 4 + ["MSC 4 x10^6 cells/kg"],
        "TRT01PN": [2.0, 2.0, 2.0, 2.0, 4.0],
        "TRT01A": ["MSC 2 x10^6 cells/kg"] * 3 + [None, "MSC 4 x10^6 cells/kg"],
        "TRT01AN": [2.0, 2.0, 2.0, None, 4.0],
        "TRTSDT": [sas(1)] * 3 + [None, sas(1)],
        "SAFFL": ["Y", "Y", "Y", "N", "Y"],
    })


@pytest.fixture(scope="module")
def adrs_df() -> pd.DataFrame:
    return adrs.derive_adrs(make_rs(), make_adsl(), CFG)


def one(df, **where) -> pd.Series:
    mask = pd.Series(True, index=df.index)
    for k, v in where.items():
        mask &= (df[k] == v).fillna(False)
    rows = df[mask.to_numpy(dtype=bool)]
    assert len(rows) == 1, f"{where}: {len(rows)} rows"
    return rows.iloc[0]


def resp(df, subj, paramcd, avisitn) -> pd.Series:
    return one(df, USUBJID=subj, PARAMCD=paramcd, AVISITN=avisitn)


def is_missing(v) -> bool:
    return v is None or pd.isna(v)


# ------------------------------------------------------------------ totals ----
def test_totals_and_incomplete_forms(adrs_df):
    tot = lambda s, p, v: one(adrs_df, USUBJID=s, PARAMCD=p, VISITNUM=v)
    assert tot("S1", "SLEDAITS", 1).AVAL == 10
    assert tot("S1", "BILAGTS", 1).AVAL == 14
    m3 = tot("S1", "SLEDAITS", 4)
    assert (m3.AVAL, m3.BASE, m3.CHG, m3.PCHG) == (4, 10, -6, -60)
    b3 = tot("S1", "BILAGTS", 4)
    assert (b3.AVAL, b3.BASE, b3.CHG) == (6, 14, -8)
    assert is_missing(tot("S1", "SLEDAITS", 7).AVAL)       # leukopenia not recorded
    assert is_missing(tot("S3", "BILAGTS", 5).AVAL)        # renal not graded
    assert tot("S3", "SLEDAITS", 1).AVAL == 8
    # totals come from several records: no single source record
    assert is_missing(m3.SRCDOM) and is_missing(m3.SRCSEQ)


def test_items_values_and_sources(adrs_df):
    rs = make_rs()
    arth = one(adrs_df, USUBJID="S1", PARAMCD="SLED109", VISITNUM=1)
    assert (arth.AVALC, arth.AVAL) == ("Y", 4)
    seq = rs[(rs.USUBJID == "S1") & (rs.RSTESTCD == "SLED109") & (rs.VISITNUM == 1)].RSSEQ.item()
    assert (arth.SRCDOM, arth.SRCVAR, arth.SRCSEQ) == ("RS", "RSSTRESC", seq)
    seizure = one(adrs_df, USUBJID="S1", PARAMCD="SLED101", VISITNUM=1)
    assert (seizure.AVALC, seizure.AVAL) == ("N", 0)
    msk = one(adrs_df, USUBJID="S1", PARAMCD="BILAG104", VISITNUM=4)
    assert msk.AVALC == "B" and msk.BASEC == "A" and is_missing(msk.AVAL)
    pga = one(adrs_df, USUBJID="S1", PARAMCD="PGA", VISITNUM=4)
    assert pga.AVAL == 2.2 and pga.SRCVAR == "RSSTRESN" and pga.PARAM == "Physician Global Assessment (0-3)"
    assert pga.CHG == pytest.approx(0.2)
    # every RS record has exactly one ADRS record pointing at it
    src = adrs_df[adrs_df.SRCDOM == "RS"]
    assert len(src) == len(rs) and not src.duplicated(["USUBJID", "SRCSEQ"]).any()


# ----------------------------------------------------------------- windows ----
def test_baseline_last_on_or_before_day1(adrs_df):
    s2 = adrs_df[(adrs_df.USUBJID == "S2") & (adrs_df.PARAMCD == "SLEDAITS")]
    base = s2[s2.ABLFL == "Y"]
    assert base.VISITNUM.tolist() == [2] and base.AVAL.tolist() == [12]   # M0 (day 1) beats screening (16)
    assert base.AVISIT.tolist() == ["Baseline"] and base.AVISITN.tolist() == [0]
    assert one(adrs_df, USUBJID="S2", PARAMCD="SLEDAITS", VISITNUM=4).CHG == 10 - 12
    scr = one(adrs_df, USUBJID="S2", PARAMCD="SLEDAITS", VISITNUM=1)
    assert is_missing(scr.ABLFL) and is_missing(scr.AVISIT) and is_missing(scr.ANL01FL)
    # S3 PGA never recorded at baseline: no PGA baseline record, no BASE
    s3pga = adrs_df[(adrs_df.USUBJID == "S3") & (adrs_df.PARAMCD == "PGA")]
    assert (s3pga.ABLFL == "Y").sum() == 0 and s3pga.BASE.isna().all()


def test_anl01fl_chosen_per_parameter(adrs_df):
    m12 = adrs_df[(adrs_df.USUBJID == "S1") & (adrs_df.AVISITN == 12)]
    anl = lambda p: m12[(m12.PARAMCD == p) & (m12.ANL01FL == "Y")]
    # SLEDAITS: the day-380 total is missing, so the day-340 one (26 days from 366) is analysed
    assert anl("SLEDAITS").ADY.tolist() == [340] and anl("SLEDAITS").AVAL.tolist() == [2]
    # arthritis recorded on both: day 380 (14 days from target) beats day 340
    assert anl("SLED109").ADY.tolist() == [380] and anl("SLED109").AVALC.tolist() == ["Y"]
    # leukopenia recorded only on day 340
    assert anl("SLED124").ADY.tolist() == [340]
    # PGA: day 380 (1.0) beats day 340 (2.5); BILAG general: day 370 (C) beats day 340 (A)
    assert anl("PGA").AVAL.tolist() == [1.0]
    assert anl("BILAG101").AVALC.tolist() == ["C"] and anl("BILAG101").ADY.tolist() == [370]
    d340 = one(adrs_df, USUBJID="S1", PARAMCD="PGA", VISITNUM=7.1)
    assert (d340.AVISIT, d340.AWTARGET, d340.AWTDIFF) == ("Month 12", 366, 26) and is_missing(d340.ANL01FL)


def test_screen_failure_kept_without_windows_or_responses(adrs_df):
    s4 = adrs_df[adrs_df.USUBJID == "S4"]
    assert len(s4) == 24 + 1 + 8 + 2                      # items + PGA + BILAG systems + 2 totals
    assert s4.ADY.isna().all() and s4.ABLFL.isna().all() and s4.AVISIT.isna().all()
    assert not s4.PARAMCD.isin(["SRI4", "MCR", "PCR", "MCRPCR"]).any()


# ------------------------------------------------------------------- SRI-4 ----
def crits(r) -> list:
    return [None if is_missing(r[f"CRIT{n}FL"]) else r[f"CRIT{n}FL"] for n in range(1, 5)]


def test_sri4_responder_with_components_from_different_dates(adrs_df):
    r3 = resp(adrs_df, "S1", "SRI4", 3)
    assert (r3.AVALC, r3.AVAL, crits(r3)) == ("Y", 1, ["Y", "Y", "Y", "Y"])
    assert r3.CRIT1 == "SELENA-SLEDAI decrease from baseline >= 4" and is_missing(r3.DTYPE)
    # Month 12: SLEDAI 2 (day 340) vs 10, PGA 1.0 (day 380) vs 2.0, BILAG day 370 without new A/B
    r12 = resp(adrs_df, "S1", "SRI4", 12)
    assert (r12.AVALC, crits(r12)) == ("Y", ["Y", "Y", "Y", "Y"])
    assert r12.ADT == sas(380) and r12.ADY == 380 and r12.ANL01FL == "Y" and r12.AVISIT == "Month 12"


def test_sri4_one_failure_per_component(adrs_df):
    # S1 Month 6: PGA 2.3 vs 2.0 -> increase 0.3 after rounding: not < 0.3
    assert crits(resp(adrs_df, "S1", "SRI4", 6)) == ["Y", "Y", "Y", "N"]
    expected = {3: ["N", "Y", "Y", "Y"],    # SLEDAI 12 -> 10
                6: ["Y", "N", "Y", "Y"],    # GEN C -> A
                9: ["Y", "Y", "N", "Y"],    # GEN, REN C -> B
                12: ["Y", "Y", "Y", "N"]}   # PGA 1.5 -> 1.9
    for avisitn, flags in expected.items():
        r = resp(adrs_df, "S2", "SRI4", avisitn)
        assert (r.AVALC, r.AVAL, crits(r)) == ("N", 0, flags), avisitn
        assert is_missing(r.DTYPE)


def test_sri4_missing_component_is_imputed_non_responder(adrs_df):
    r3 = resp(adrs_df, "S3", "SRI4", 3)                   # PGA baseline missing
    assert (r3.AVALC, r3.DTYPE, crits(r3)) == ("N", "WC", ["Y", "Y", "Y", None])
    assert is_missing(r3.CRIT4)                           # criterion text empty with its flag
    r6 = resp(adrs_df, "S3", "SRI4", 6)                   # renal ungraded: new A undecided; new B <= 1 anyway
    assert (r6.AVALC, r6.DTYPE, crits(r6)) == ("N", "WC", ["Y", None, "Y", None])
    r9 = resp(adrs_df, "S1", "SRI4", 9)                   # no data in the window at all
    assert (r9.AVALC, r9.DTYPE, crits(r9)) == ("N", "WC", [None] * 4)
    assert is_missing(r9.ADT)


# ----------------------------------------------------------------- MCR/PCR ----
def cr(df, subj, avisitn):
    return tuple((resp(df, subj, p, avisitn).AVALC, None if is_missing(d := resp(df, subj, p, avisitn).DTYPE) else d)
                 for p in ("MCR", "PCR", "MCRPCR"))


def test_mcr_pcr_cases(adrs_df):
    N = ("N", None)
    assert cr(adrs_df, "S1", 6) == (("Y", None), N, ("Y", None))      # all C/D/E
    assert cr(adrs_df, "S1", 3) == (N, ("Y", None), ("Y", None))      # one B; baseline had an A
    assert cr(adrs_df, "S2", 12) == (N, ("Y", None), ("Y", None))     # one B; baseline had two B
    assert cr(adrs_df, "S2", 3) == (N, N, N)                          # two B at the visit
    assert cr(adrs_df, "S2", 6) == (N, N, N)                          # an A at the visit
    assert cr(adrs_df, "S3", 3) == (N, N, N)                          # one B; baseline only one B, no A
    W = ("N", "WC")
    assert cr(adrs_df, "S3", 6) == (W, W, W)                          # form not fully graded
    assert cr(adrs_df, "S3", 9) == (W, W, W)                          # no form
    assert resp(adrs_df, "S1", "MCR", 12).ADT == sas(370)             # latest BILAG component date


def test_every_infused_subject_has_responses_in_each_window(adrs_df):
    r = adrs_df[adrs_df.PARAMCD.isin(["SRI4", "MCR", "PCR", "MCRPCR"])]
    # 4 infused subjects (S1, S2, S3, S5) x Month 3/6/9/12 x 4 parameters
    assert len(r) == 4 * 4 * 4
    assert sorted(r.AVISITN.unique().tolist()) == [3, 6, 9, 12]
    s5 = r[r.USUBJID == "S5"]
    assert len(s5) == 16 and (s5.AVALC == "N").all() and (s5.DTYPE == "WC").all() and (s5.AVAL == 0).all()
    assert (s5.TRT01A == "MSC 4 x10^6 cells/kg").all()


# -------------------------------------------------------------------- spec ----
def test_matches_spec_with_unique_keys(adrs_df):
    spec = load_spec(ROOT / "specs" / "adam")
    ds = spec.dataset("ADRS")
    out = conform(adrs_df, ds)
    assert not out.duplicated(ds.keys).any()
    cl = spec.codelist("CL.ADRS.PARAMCD")
    assert {t.value: t.decode for t in cl.terms} == dict(zip(adrs.PARAMETERS.PARAMCD, adrs.PARAMETERS.PARAM))
    assert out.groupby("PARAMCD").PARAM.nunique().max() == 1
    assert set(out.PARAMCD) <= {t.value for t in cl.terms}


def test_methods_must_state_configured_rule():
    spec = load_spec(ROOT / "specs" / "adam")
    adrs.check_methods(spec, CFG)
    changed = CFG.model_copy(update={"clinical_response": CFG.clinical_response.model_copy(update={"pcr_max_b": 2})})
    with pytest.raises(ValueError, match="MT.ADRS.MCR"):
        adrs.check_methods(spec, changed)


# ------------------------------------------------------- fixture study ----
RAW = ROOT / "fixtures" / "raw"


@pytest.mark.slow
@pytest.mark.skipif(not (RAW / "sledai.csv").exists(), reason="fixture study not present")
def test_fixture_study_end_to_end():
    from cdisc_msc.adam import adsl as adsl_module
    from cdisc_msc.adam.build import AdamContext
    from cdisc_msc.raw.readers import load_raw
    from cdisc_msc.sdtm.build import build_sdtm
    from cdisc_msc.spec.apply import sort_by_keys

    sdtm, _ = build_sdtm(CFG, load_spec(ROOT / "specs" / "sdtm"), load_raw(RAW, CFG))
    spec = load_spec(ROOT / "specs" / "adam")
    ctx = AdamContext(config=CFG, spec=spec, sdtm=sdtm)
    ctx.datasets["ADSL"] = conform(adsl_module.build(ctx)["ADSL"], spec.dataset("ADSL"))
    ds = spec.dataset("ADRS")
    out = sort_by_keys(conform(adrs.build(ctx)["ADRS"], ds), ds)
    assert not out.duplicated(ds.keys).any()
    # one ADRS record per RS record
    assert (out.SRCDOM == "RS").sum() == len(sdtm["RS"])
    # every infused subject: 4 responder parameters x Month 3/6/9/12
    infused = set(ctx.datasets["ADSL"].query("SAFFL == 'Y'").USUBJID)
    resp_rows = out[out.PARCAT1 == "RESPONSE"]
    assert set(resp_rows.USUBJID) == infused and len(resp_rows) == 16 * len(infused)


def test_item_records_keep_the_rs_index_and_accept_an_all_missing_rsstresc():
    from cdisc_msc.adam.adrs import item_records
    rs = pd.DataFrame({"USUBJID": "S1", "RSSEQ": [1.0, 2.0, 3.0], "RSTESTCD": ["SLED101", "PGA101", "BILAG101"],
                       "RSCAT": "x", "RSSTRESC": [" y", "1.5", "b"], "RSSTRESN": [None, 1.5, None], "VISIT": "M3",
                       "VISITNUM": 4.0, "RSDTC": "1960-01-11"}, index=[10, 5, 7])
    out = item_records(rs)
    assert out.index.tolist() == [10, 5, 7]
    assert out["PARAMCD"].tolist() == ["SLED101", "PGA", "BILAG101"]
    assert out["AVAL"].tolist()[:2] == [8.0, 1.5] and pd.isna(out["AVAL"].iloc[2])
    assert out["AVALC"].tolist()[::2] == [" y", "B"] and pd.isna(out["AVALC"].iloc[1])
    empty = item_records(rs.assign(RSSTRESC=None))
    assert empty["AVALC"].isna().all() and empty["AVAL"].tolist()[1] == 1.5 and empty["AVAL"].isna().sum() == 2


def test_sri4_records_name_every_missing_component_column():
    from cdisc_msc.adam.adrs import sri4_records
    from cdisc_msc.scoring import MissingColumnsError
    comp = pd.DataFrame({"SLEDAITS": [4.0], "SLEDAITS_BL": [10.0], "PGA": [1.0]})
    with pytest.raises(MissingColumnsError, match=r"ADRS sri4_records: .*BILAG101, BILAG101_BL.*PGA_BL"):
        sri4_records(comp, 4)
