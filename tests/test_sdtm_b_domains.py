"""SDTM part B (AE, CM, MH, CE, QS, RS, LB, VS) on tiny hand-made raw forms.

One subject, 001 (USUBJID MSC-SLE-001-001): consent 2024-02-01, infusion
2024-03-05 10:00 (study day 1). Elements (faked SE): SCREENING 2024-02-01 to
2024-03-05T10:00, TREATMENT 2024-03-05T10:00 to 2024-03-05, FOLLOW-UP from
2024-03-06. Visit M3 (VISITNUM 4) on 2024-06-04 = study day 92
(Mar 5 -> Jun 4 is 31 + 30 + 30 = 91 days later). Every expected value
below is worked out by hand from these facts.
"""
from __future__ import annotations

import math

import pandas as pd
import pytest

from cdisc_msc.config import load_config
from cdisc_msc.sdtm import ae, ce, cm, lb, mh, qs, rs, vs
from cdisc_msc.sdtm.build import SdtmContext
from cdisc_msc.spec.apply import conform, sort_by_keys
from cdisc_msc.spec.loader import read_spec

U = "MSC-SLE-001-001"


class FakeRaw:
    def __init__(self, forms: dict[str, pd.DataFrame]) -> None:
        self.forms = forms

    def valid_rows(self, name: str) -> pd.DataFrame:
        return self.forms[name].copy()


def _form(rows: list[dict], ints: tuple[str, ...] = (), floats: tuple[str, ...] = ()) -> pd.DataFrame:
    """Typed like the reader: text = string dtype, integers Int64, decimals float64, plus _ROW."""
    df = pd.DataFrame(rows)
    for c in df.columns:
        df[c] = df[c].astype("Int64") if c in ints else df[c].astype("float64") if c in floats else df[c].astype("string")
    df["_ROW"] = range(1, len(df) + 1)
    return df


SF36_COLS = ["Q1", "Q2", *(f"Q3{c}" for c in "ABCDEFGHIJ"), *(f"Q4{c}" for c in "ABCD"), *(f"Q5{c}" for c in "ABC"),
             "Q6", "Q7", "Q8", *(f"Q9{c}" for c in "ABCDEFGHI"), "Q10", *(f"Q11{c}" for c in "ABCD")]
SLEDAI_COLS = ["SEIZURE", "PSYCHOS", "OBS", "VISUAL", "CRANIAL", "HEADACHE", "CVA", "VASCULIT", "ARTHRIT", "MYOSIT",
               "CASTS", "HEMATUR", "PROTEIN", "PYURIA", "RASH", "ALOPECIA", "MUCOSAL", "PLEURISY", "PERICARD",
               "LOWCOMP", "DNABIND", "FEVER", "THROMBO", "LEUKOPEN"]
NOAE = {c: None for c in ("AELLT", "AEHLT", "AEHLGT", "AESDTH", "AESLIFE", "AESHOSP", "AESDISAB", "AESCONG",
                          "AESMIE", "AEACN")}
NOAECD = {c: None for c in ("AELLTCD", "AEHLTCD", "AEHLGTCD")}


def _ae(spid: int, term: str, st: str, tm: str | None = None, en: str | None = None, ongo: str = "N",
        grade: str | None = "1", rel: str | None = "NOT RELATED") -> dict:
    return {"SUBJID": "001", "AESPID": spid, "AETERM": term, **NOAE, **NOAECD, "AEDECOD": term.capitalize(),
            "AEPTCD": 10000000 + spid, "AESOC": "General disorders", "AESOCCD": 10018065, "AESTDT": st,
            "AESTTM": tm, "AEENDT": en, "AEONGO": ongo, "AETOXGR": grade, "AESER": "N", "AEREL": rel,
            "AEOUT": "RECOVERED/RESOLVED" if en else "NOT RECOVERED/NOT RESOLVED"}


def make_forms() -> dict[str, pd.DataFrame]:
    sf36 = {c: 2 for c in SF36_COLS} | {"Q3B": None}
    return {
        "ae": _form([
            _ae(1, "fièvre", "2024-03-05", en="2024-03-06"),           # infusion day, no time
            _ae(2, "HEADACHE", "2024-03-04", en="2024-03-04"),         # day before infusion
            _ae(3, "FATIGUE", "2024-03-UN", ongo="Y", grade=None),     # partial start, ongoing
            _ae(4, "NAUSEA", "2024-03-05", tm="09:00", en="2024-03-10"),  # timed, before infusion start
        ], ints=("AESPID", "AELLTCD", "AEPTCD", "AEHLTCD", "AEHLGTCD", "AESOCCD")),
        "cm": _form([
            {"SUBJID": "001", "CMSPID": 1, "CMTRT": "Plaquenil", "CMDECOD": "HYDROXYCHLOROQUINE", "CMCLAS": None,
             "CMDOSE": 200.0, "CMDOSU": "mg", "CMDOSFRQ": "BID", "CMROUTE": "ORAL", "CMINDC": "SLE",
             "CMSTDT": "2019-UN-UN", "CMENDT": None, "CMONGO": "Y"},
        ], ints=("CMSPID",), floats=("CMDOSE",)),
        "gc": _form([
            {"SUBJID": "001", "GCSPID": s, "GCTRT": "Cortancyl", "GCDECOD": "PREDNISONE", "GCDOSE": d,
             "GCDOSFRQ": "QD", "GCROUTE": "ORAL", "GCSTDT": st, "GCENDT": en, "GCONGO": og}
            for s, d, st, en, og in [(1, 40.0, "2024-02-01", "2024-02-29", "N"), (2, 30.0, "2024-03-01", "2024-03-31", "N"),
                                     (3, 20.0, "2024-04-01", None, "Y")]
        ], ints=("GCSPID",), floats=("GCDOSE",)),
        "mh": _form([
            {"SUBJID": "001", "MHSPID": 1, "MHTERM": "Lupus nephritis class IV", "MHDECOD": "Lupus nephritis",
             "MHBODSYS": "Renal and urinary disorders", "MHCAT": "SLE HISTORY", "MHSTDT": "2015-06-UN",
             "MHENDT": None, "MHONGO": "Y"},
        ], ints=("MHSPID",)),
        "como": _form([
            {"SUBJID": "001", "VISIT": "SCREENING", "VISITNUM": 1.0, "CODT": "2024-02-20", "COTERM": "HYPERTENSION", "COPRES": "Y"},
            {"SUBJID": "001", "VISIT": "SCREENING", "VISITNUM": 1.0, "CODT": "2024-02-20", "COTERM": "OSTEOPOROSIS", "COPRES": None},
            {"SUBJID": "001", "VISIT": "M3", "VISITNUM": 4.0, "CODT": "2024-06-04", "COTERM": "HYPERTENSION", "COPRES": "Y"},
            {"SUBJID": "001", "VISIT": "M3", "VISITNUM": 4.0, "CODT": "2024-06-04", "COTERM": "OSTEOPOROSIS", "COPRES": "N"},
        ], floats=("VISITNUM",)),
        "sf36": _form([
            {"SUBJID": "001", "VISIT": "SCREENING", "VISITNUM": 1.0, "QSDT": "2024-02-20", "QSND": None, **sf36},
            {"SUBJID": "001", "VISIT": "M3", "VISITNUM": 4.0, "QSDT": None, "QSND": "Subject refused",
             **{c: None for c in SF36_COLS}},
        ], ints=tuple(SF36_COLS), floats=("VISITNUM",)),
        "eq5d": _form([
            {"SUBJID": "001", "VISIT": "SCREENING", "VISITNUM": 1.0, "QSDT": "2024-02-20", "QSND": None,
             "MO": 2, "SC": 1, "UA": 1, "PD": 4, "AD": 3, "VAS": 65},
        ], ints=("MO", "SC", "UA", "PD", "AD", "VAS"), floats=("VISITNUM",)),
        "sledai": _form([
            {"SUBJID": "001", "VISIT": "SCREENING", "VISITNUM": 1.0, "RSDT": "2024-02-20", "RSND": None,
             **{c: "N" for c in SLEDAI_COLS}, "ARTHRIT": "Y", "LEUKOPEN": None, "PGA": 1.5},
        ], floats=("VISITNUM", "PGA")),
        "bilag": _form([
            {"SUBJID": "001", "VISIT": "SCREENING", "VISITNUM": 1.0, "RSDT": "2024-02-20", "RSND": None,
             "GEN": "C", "MUC": "B", "NEU": "E", "MSK": "A", "CVR": "D", "VAS": "E", "REN": "B", "HAE": "C"},
        ], floats=("VISITNUM",)),
        "lb": _form([
            {"SUBJID": "001", "VISIT": "SCREENING", "VISITNUM": 1.0, "LBDT": "2024-02-20", "LBTESTCD": "C3",
             "LBORRES": "0.85", "LBORRESU": "g/L", "LBORNRLO": "0.9", "LBORNRHI": "1.8", "LBND": None},
            {"SUBJID": "001", "VISIT": "SCREENING", "VISITNUM": 1.0, "LBDT": "2024-02-20", "LBTESTCD": "WBCUR",
             "LBORRES": "12", "LBORRESU": "/HPF", "LBORNRLO": None, "LBORNRHI": "5", "LBND": None},
            {"SUBJID": "001", "VISIT": "SCREENING", "VISITNUM": 1.0, "LBDT": "2024-02-20", "LBTESTCD": "WBC",
             "LBORRES": "3.2", "LBORRESU": "10^9/L", "LBORNRLO": "4", "LBORNRHI": "10", "LBND": None},
            {"SUBJID": "001", "VISIT": "M3", "VISITNUM": 4.0, "LBDT": None, "LBTESTCD": "DSDNA",
             "LBORRES": None, "LBORRESU": None, "LBORNRLO": None, "LBORNRHI": None, "LBND": "Sample haemolysed"},
        ], floats=("VISITNUM",)),
        "vs": _form([
            {"SUBJID": "001", "VISIT": "SCREENING", "VISITNUM": 1.0, "VSDT": "2024-02-20", "WEIGHT": 61.5, "HEIGHT": 165.0},
            {"SUBJID": "001", "VISIT": "M0", "VISITNUM": 2.0, "VSDT": "2024-03-05", "WEIGHT": 62.0, "HEIGHT": None},
            {"SUBJID": "001", "VISIT": "M3", "VISITNUM": 4.0, "VSDT": "2024-06-04", "WEIGHT": None, "HEIGHT": None},
        ], floats=("VISITNUM", "WEIGHT", "HEIGHT")),
    }


DM = pd.DataFrame({"SUBJID": ["001"], "USUBJID": [U], "RFSTDTC": ["2024-03-05T10:00"], "RFXSTDTC": ["2024-03-05T10:00"]})
SE = pd.DataFrame({"USUBJID": [U] * 3, "EPOCH": ["SCREENING", "TREATMENT", "FOLLOW-UP"], "TAETORD": [1, 2, 3],
                   "SESTDTC": ["2024-02-01", "2024-03-05T10:00", "2024-03-06"],
                   "SEENDTC": ["2024-03-05T10:00", "2024-03-05", "2025-03-05"]})
SV = pd.DataFrame({"USUBJID": [U] * 3, "VISITNUM": [1.0, 2.0, 4.0], "VISIT": ["SCREENING", "M0", "M3"],
                   "SVSTDTC": ["2024-02-20", "2024-03-05", "2024-06-04"]})


@pytest.fixture(scope="module")
def spec():
    s, report = read_spec("specs/sdtm")
    mine = [p for p in report.problems if p.severity == "error" and any(
        f"/{d}.yaml" in p.file for d in ("ae", "cm", "mh", "ce", "qs", "rs", "lb", "vs"))]
    assert not mine, "\n".join(map(str, mine))
    return s


@pytest.fixture(scope="module")
def out(spec):
    ctx = SdtmContext(config=load_config("specs/study.yaml"), spec=spec, raw=FakeRaw(make_forms()))
    ctx.datasets.update({"DM": DM, "SE": SE, "SV": SV})
    result = {}
    for module in (ae, cm, mh, ce, qs, rs, lb, vs):
        for name, frame in module.build(ctx).items():
            ds = spec.dataset(name)
            result[name] = sort_by_keys(conform(frame, ds), ds)
    result["_ctx"] = ctx
    return result


def rec(df: pd.DataFrame, **where) -> pd.Series:
    m = pd.Series(True, index=df.index)
    for k, v in where.items():
        m &= df[k] == v
    assert m.sum() == 1, f"{where}: {m.sum()} records"
    return df[m].iloc[0]


def is_missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


# ------------------------------------------------------------------ AE
def test_ae_partial_start_date_kept_partial_no_study_day(out):
    r = rec(out["AE"], AESPID="3")
    assert r.AESTDTC == "2024-03"
    assert is_missing(r.AESTDY) and is_missing(r.EPOCH)


def test_ae_ongoing(out):
    r = rec(out["AE"], AESPID="3")
    assert (r.AEENRTPT, r.AEENTPT) == ("ONGOING", "END OF STUDY")
    assert is_missing(r.AEENDTC) and is_missing(r.AETOXGR)
    assert is_missing(rec(out["AE"], AESPID="1").AEENRTPT)


def test_ae_infusion_day_and_day_before(out):
    day1 = rec(out["AE"], AESPID="1")
    assert (day1.AESTDTC, day1.AESTDY, day1.EPOCH, day1.AEENDY) == ("2024-03-05", 1, "TREATMENT", 2)
    before = rec(out["AE"], AESPID="2")
    assert (before.AESTDY, before.AEENDY, before.EPOCH) == (-1, -1, "SCREENING")
    # timed 09:00 on the infusion day, before the 10:00 start: study day 1 but SCREENING epoch
    timed = rec(out["AE"], AESPID="4")
    assert (timed.AESTDTC, timed.AESTDY, timed.EPOCH, timed.AEENDY) == ("2024-03-05T09:00", 1, "SCREENING", 6)


def test_ae_verbatim_kept_and_seq_by_start(out):
    a = out["AE"]
    assert rec(a, AESPID="1").AETERM == "fièvre"
    # start order: 2024-03 < 2024-03-04 < 2024-03-05 < 2024-03-05T09:00
    assert a.sort_values("AESEQ")["AESPID"].tolist() == ["3", "2", "1", "4"]
    assert a["AESEQ"].tolist() == [1, 2, 3, 4]  # records sorted by keys follow AESEQ
    assert (a["AEBODSYS"] == a["AESOC"]).all() and (a["AEBDSYCD"] == 10018065).all()


# ------------------------------------------------------------------ CM
def test_cm_steroid_taper_one_record_per_dose_period(out):
    gc = out["CM"][out["CM"]["CMCAT"] == "SYSTEMIC GLUCOCORTICOID"]
    assert gc["CMSPID"].tolist() == ["GC-1", "GC-2", "GC-3"]
    assert gc["CMDOSE"].tolist() == [40.0, 30.0, 20.0]
    assert set(gc["CMDOSU"]) == {"mg"} and set(gc["CMDOSFRQ"]) == {"QD"} and set(gc["CMDECOD"]) == {"PREDNISONE"}
    # 2024-02-01 is 33 days before 2024-03-05 -> -33; 2024-03-01 -> -4; 2024-04-01 is 27 days after -> 28
    assert gc["CMSTDY"].tolist() == [-33, -4, 28]
    assert gc["CMENDTC"].tolist()[:2] == ["2024-02-29", "2024-03-31"] and is_missing(gc["CMENDTC"].iloc[2])
    assert gc["CMENRTPT"].tolist()[2] == "ONGOING" and is_missing(gc["CMENRTPT"].iloc[0])
    assert gc["EPOCH"].tolist() == ["SCREENING", "SCREENING", "FOLLOW-UP"]


def test_cm_general_record(out):
    r = rec(out["CM"], CMSPID="CM-1")
    assert (r.CMCAT, r.CMSTDTC, r.CMDOSE, r.CMDOSFRQ, r.CMENRTPT) == ("GENERAL", "2019", 200.0, "BID", "ONGOING")
    assert is_missing(r.CMSTDY)
    assert len(out["CM"]) == 4 and sorted(out["CM"]["CMSEQ"]) == [1, 2, 3, 4]


# ------------------------------------------------------------------ MH / CE
def test_mh_history_and_screening_checklist(out):
    m = out["MH"]
    assert len(m) == 3
    h = rec(m, MHSPID="MH-1")
    assert (h.MHCAT, h.MHSTDTC, h.MHENRTPT, h.MHENTPT) == ("SLE HISTORY", "2015-06", "ONGOING", "SCREENING")
    hyp = rec(m, MHTERM="HYPERTENSION")
    assert (hyp.MHCAT, hyp.MHPRESP, hyp.MHOCCUR, hyp.MHDTC, hyp.MHDY, hyp.EPOCH) == (
        "COMORBIDITY CHECKLIST", "Y", "Y", "2024-02-20", -14, "SCREENING")
    ost = rec(m, MHTERM="OSTEOPOROSIS")
    assert is_missing(ost.MHOCCUR) and ost.MHSTAT == "NOT DONE"


def test_ce_follow_up_checklist(out):
    c = out["CE"]
    assert c["CETERM"].tolist() == ["HYPERTENSION", "OSTEOPOROSIS"]
    assert c["CEOCCUR"].tolist() == ["Y", "N"] and set(c["CEPRESP"]) == {"Y"}
    assert set(c["VISIT"]) == {"M3"} and set(c["CEDY"]) == {92} and set(c["EPOCH"]) == {"FOLLOW-UP"}


# ------------------------------------------------------------------ QS
def test_qs_missing_sf36_item_is_not_done(out):
    q = out["QS"]
    miss = rec(q, QSTESTCD="SF36303B", VISITNUM=1.0)
    assert miss.QSSTAT == "NOT DONE" and is_missing(miss.QSORRES) and is_missing(miss.QSREASND)
    ok = rec(q, QSTESTCD="SF36303A", VISITNUM=1.0)
    assert (ok.QSORRES, ok.QSSTRESC, ok.QSSTRESN, ok.QSTEST) == ("2", "2", 2.0, "SF363-Limit Vigorous Activities")
    assert (ok.QSDY, ok.EPOCH, ok.QSLOBXFL, ok.QSCAT) == (-14, "SCREENING", "Y", "SF36 V2.0 STANDARD")
    assert is_missing(miss.QSLOBXFL)


def test_qs_whole_questionnaire_not_done(out):
    m3 = out["QS"][out["QS"]["VISITNUM"] == 4.0]
    assert len(m3) == 36
    assert set(m3["QSSTAT"]) == {"NOT DONE"} and set(m3["QSREASND"]) == {"Subject refused"}
    assert set(m3["QSDTC"]) == {"2024-06-04"} and set(m3["QSDY"]) == {92} and set(m3["EPOCH"]) == {"FOLLOW-UP"}


def test_qs_eq5d(out):
    q = out["QS"]
    assert rec(q, QSTESTCD="EQ5D0204").QSSTRESN == 4.0
    vas = rec(q, QSTESTCD="EQ5D0206")
    assert (vas.QSORRES, vas.QSSTRESN, vas.QSTEST, vas.QSCAT) == ("65", 65.0, "EQ5D02-EQ VAS Score", "EQ-5D-5L")
    assert len(q) == 36 + 36 + 6


# ------------------------------------------------------------------ RS
def test_rs_sledai_pga_bilag(out):
    r = out["RS"]
    arth = rec(r, RSTESTCD="SLED109")
    assert (arth.RSTEST, arth.RSORRES, arth.RSSTRESC, arth.RSCAT) == ("SLED1-Arthritis", "Y", "Y", "SELENA-SLEDAI")
    assert is_missing(arth.RSSTRESN)
    leuk = rec(r, RSTESTCD="SLED124")
    assert leuk.RSSTAT == "NOT DONE" and is_missing(leuk.RSORRES)
    pga = rec(r, RSTESTCD="PGA101")
    assert (pga.RSORRES, pga.RSSTRESN, pga.RSCAT, pga.RSDY, pga.RSLOBXFL) == (
        "1.5", 1.5, "PHYSICIAN GLOBAL ASSESSMENT", -14, "Y")
    msk = rec(r, RSTESTCD="BILAG104")
    assert (msk.RSTEST, msk.RSORRES, msk.RSCAT) == ("BILAG1-Musculoskeletal", "A", "BILAG")
    assert len(r) == 24 + 1 + 8


def test_rs_pga_keeps_its_recorded_decimal():
    # the PGA item of the SLEDAI form is recorded with one decimal: 2.0 stays "2.0", not "2"
    from cdisc_msc.sdtm.instruments import answer_text

    pga = next(i for i in rs.FORMS["sledai"] if i.testcd == "PGA101")
    assert answer_text(pd.Series([2.0, 0.0, 1.5, None]), pga.decimals).tolist() == ["2.0", "0.0", "1.5", None]
    assert answer_text(pd.Series([2.0, 0.0])).tolist() == ["2", "0"]  # without decimals: the shortest form


# ------------------------------------------------------------------ LB / VS
def test_lb_standardised_and_flagged(out):
    b = out["LB"]
    c3 = rec(b, LBTESTCD="C3")
    # 0.85 g/L below the lower limit 0.9 g/L -> LOW
    assert (c3.LBSTRESN, c3.LBSTRESC, c3.LBSTRESU, c3.LBSTNRLO, c3.LBSTNRHI, c3.LBNRIND) == (
        0.85, "0.85", "g/L", 0.9, 1.8, "LOW")
    assert (c3.LBSPEC, c3.LBTEST, c3.LBDY, c3.EPOCH, c3.LBLOBXFL) == ("SERUM", "Complement C3", -14, "SCREENING", "Y")
    wu = rec(b, LBTESTCD="WBC", LBSPEC="URINE")
    assert (wu.LBSTRESN, wu.LBNRIND, wu.LBCAT) == (12.0, "HIGH", "URINALYSIS")
    assert rec(b, LBTESTCD="WBC", LBSPEC="BLOOD").LBNRIND == "LOW"
    nd = rec(b, LBTESTCD="DDNAIGAB")
    assert (nd.LBSTAT, nd.LBREASND, nd.LBDTC, nd.LBDY) == ("NOT DONE", "Sample haemolysed", "2024-06-04", 92)
    assert is_missing(nd.LBLOBXFL)


def test_lb_unit_conversion_and_unknown_unit():
    d = pd.DataFrame({"LBORRES": ["85", "1200"], "LBORRESU": ["mg/dL", "mg/day"], "LBORNRLO": ["90", None],
                      "LBORNRHI": ["180", "300"], "_STDU": ["g/L", "g/day"]})
    got = lb.standardise(d)
    # 85 mg/dL x 0.01 = 0.85 g/L, range 0.9-1.8; 1200 mg/day x 0.001 = 1.2 g/day, upper limit 0.3
    assert got["LBSTRESN"].tolist() == [0.85, 1.2] and got["LBSTRESC"].tolist() == ["0.85", "1.2"]
    assert got["LBSTNRLO"].tolist()[0] == 0.9 and got["LBSTNRHI"].tolist() == [1.8, 0.3]
    same = lb.standardise(d.assign(LBORRES=["1.00", "0.40"], LBORRESU=["g/L", "g/day"]))
    assert same["LBSTRESC"].tolist() == ["1.00", "0.40"] and same["LBSTRESN"].tolist() == [1.0, 0.4]
    with pytest.raises(ValueError, match="umol/L -> g/L"):
        lb.standardise(d.assign(LBORRESU=["umol/L", "mg/day"]))


def test_vs_records_and_baseline_flag(out):
    v = out["VS"]
    assert len(v) == 3
    w0 = rec(v, VSTESTCD="WEIGHT", VISITNUM=2.0)
    # M0 on the infusion date (date only) counts as on or before the infusion: last before exposure
    assert (w0.VSORRES, w0.VSSTRESN, w0.VSSTRESU, w0.VSDY, w0.EPOCH, w0.VSLOBXFL) == ("62", 62.0, "kg", 1, "TREATMENT", "Y")
    assert is_missing(rec(v, VSTESTCD="WEIGHT", VISITNUM=1.0).VSLOBXFL)
    assert rec(v, VSTESTCD="HEIGHT").VSLOBXFL == "Y"
    un = out["_ctx"].accounting.unmapped_frame()
    assert un[un["form"] == "vs"]["row"].tolist() == [3]


# ------------------------------------------------------------------ all
@pytest.mark.parametrize("name", ["AE", "CM", "MH", "CE", "QS", "RS", "LB", "VS"])
def test_keys_unique_sorted_and_seq(out, spec, name):
    df, ds = out[name], spec.dataset(name)
    assert not df.duplicated(ds.keys).any()
    assert df.equals(sort_by_keys(df, ds))
    seq = f"{name}SEQ"
    assert df.groupby("USUBJID")[seq].apply(lambda s: sorted(s) == list(range(1, len(s) + 1))).all()


@pytest.mark.parametrize("name", ["QS", "RS", "LB", "VS"])
def test_findings_have_epoch_and_study_day(out, name):
    df = out[name]
    assert df["EPOCH"].notna().all() and df[f"{name}DY"].notna().all() and (df[f"{name}DY"] != 0).all()


def _vlm_covers(spec, dataset: str, variable: str, testvar: str, codes: set[str]) -> set[str]:
    covered: set[str] = set()
    for vl in spec.dataset(dataset).variable(variable).value_level:
        for cond in vl.where:
            if cond.variable == testvar and cond.comparator in ("EQ", "IN"):
                covered |= set(cond.values)
    return codes - covered


def test_value_level_metadata_for_every_test_code_in_data(out, spec):
    for var in ("QSORRES", "QSSTRESC", "QSSTRESN"):
        assert not _vlm_covers(spec, "QS", var, "QSTESTCD", set(out["QS"]["QSTESTCD"])), var
    for var in ("RSORRES", "RSSTRESC"):
        assert not _vlm_covers(spec, "RS", var, "RSTESTCD", set(out["RS"]["RSTESTCD"])), var


def test_codelist_terms_cover_data(out, spec):
    """Every value of a variable with an enumerated codelist is a term of it (and VLM codelists likewise)."""
    bad = []
    for name in ("AE", "CM", "MH", "CE", "QS", "RS", "LB", "VS"):
        ds, df = spec.dataset(name), out[name]
        for v in ds.variables:
            if v.codelist and not spec.codelist(v.codelist).external:
                terms = {t.value for t in spec.codelist(v.codelist).terms}
                vals = {x for x in df[v.name].dropna().map(lambda x: x if isinstance(x, str) else str(int(x)))}
                if vals - terms:
                    bad.append(f"{name}.{v.name}: {sorted(vals - terms)}")
    assert not bad, bad
