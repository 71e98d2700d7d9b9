"""Independent review: SAP rules (study.md) checked BY HAND on the shipped fixture study.

Every expected value below is worked out from the raw CSVs in ``fixtures/raw``
(arithmetic in the comments), not read from the tool's output. The ADaM
datasets are built in memory by the real orchestrator (raw -> SDTM -> ADaM).
Dates in ADaM are SAS date numbers: :func:`sas` converts a calendar date.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from cdisc_msc.config import load_config

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "fixtures" / "raw"
pytestmark = pytest.mark.skipif(not (RAW / "dm.csv").exists(), reason="fixture study not present")


def sas(text: str) -> float:
    """SAS date number of an ISO date: days since 1960-01-01."""
    return float((dt.date.fromisoformat(text) - dt.date(1960, 1, 1)).days)


def usubjid(subjid: str) -> str:
    return f"MSC-SLE-001-{subjid}"


@pytest.fixture(scope="module")
def adam() -> dict[str, pd.DataFrame]:
    from cdisc_msc.adam.build import build_adam
    from cdisc_msc.raw.readers import load_raw
    from cdisc_msc.sdtm.build import build_sdtm
    from cdisc_msc.spec.loader import load_spec

    config = load_config(ROOT / "specs" / "study.yaml")
    sdtm, _ = build_sdtm(config, load_spec(ROOT / "specs" / "sdtm"), load_raw(RAW, config))
    return build_adam(config, load_spec(ROOT / "specs" / "adam"), sdtm)


def one(df: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=df.index)
    for col, value in where.items():
        mask &= (df[col] == value).fillna(False)
    got = df[mask.to_numpy(dtype=bool)]
    assert len(got) == 1, (where, len(got))
    return got.iloc[0]


def blank(value) -> bool:
    return value is None or pd.isna(value) or value == ""


# ------------------------------------------------------------ SRI-4 (SAP 2, 4.2) ----
def test_sri4_subject_005(adam):
    """Infusion 2023-04-06 (ex.csv). Baseline = screening 2023-03-24 (day -13).

    Baseline SLEDAI: arthritis 4 + haematuria 4 + proteinuria 4 = 12; BILAG
    E,E,D,B,E,E,A,E (GEN..HAE); PGA 1.5.
    """
    adrs = adam["ADRS"]
    u = usubjid("005")
    # Month 3 (M3 2023-06-21): CRANIAL and PERICARD not recorded -> no SLEDAI total in the
    # window -> SLEDAI criterion undetermined; BILAG C,E,E,B,D,E,A,D: REN A was A, MSK B was B
    # -> no new A, no new B; PGA 1.0 - 1.5 = -0.5 < 0.3 -> imputed non-responder.
    m3 = one(adrs, USUBJID=u, PARAMCD="SRI4", AVISITN=3)
    assert (m3.AVALC, m3.AVAL, m3.DTYPE) == ("N", 0.0, "WC")
    assert blank(m3.CRIT1FL) and (m3.CRIT2FL, m3.CRIT3FL, m3.CRIT4FL) == ("Y", "Y", "Y")
    # Month 6 (M6 2023-10-07): SLEDAI haematuria 4 + proteinuria 4 = 8, decrease 12 - 8 = 4 >= 4;
    # BILAG E,E,E,C,E,E,A,E (REN A at baseline too); PGA 0.9 - 1.5 = -0.6 -> responder.
    m6 = one(adrs, USUBJID=u, PARAMCD="SRI4", AVISITN=6)
    assert (m6.AVALC, m6.AVAL) == ("Y", 1.0) and blank(m6.DTYPE)
    # day of 2023-10-07: 24 (Apr 7-30) + 31 + 30 + 31 + 31 + 30 + 7 = 184 days after -> day 185
    assert m6.ADT == sas("2023-10-07") and m6.ADY == 185
    # Month 9: M9 not done (sv.csv) -> no component at all -> imputed non-responder
    m9 = one(adrs, USUBJID=u, PARAMCD="SRI4", AVISITN=9)
    assert (m9.AVALC, m9.DTYPE) == ("N", "WC") and blank(m9.ADT)
    # Month 12: BILAG D,E,E,D,E,E,C,E -> every system C, D or E -> MCR, hence not PCR
    assert one(adrs, USUBJID=u, PARAMCD="MCR", AVISITN=12).AVALC == "Y"
    assert one(adrs, USUBJID=u, PARAMCD="PCR", AVISITN=12).AVALC == "N"
    assert one(adrs, USUBJID=u, PARAMCD="MCRPCR", AVISITN=12).AVALC == "Y"


def test_sri4_uses_the_record_closest_to_the_target_day(adam):
    """Subject 009, infusion 2023-07-17. Month 9 window (days 226-315, target 271) holds
    M9 on 2024-03-29 and an unscheduled visit 6.1 on 2024-04-12.

    Days after infusion to 2024-04-12: 14 (Jul 18-31) + 31 + 30 + 31 + 30 + 31 + 31 + 29 + 31 + 12
    = 270 -> day 271 (distance 0); 2024-03-29 is 14 days earlier -> day 257 (distance 14).
    The unscheduled visit is analysed. Its SLEDAI: psychosis 8 + arthritis 4 + casts 4 +
    haematuria 4 + low complement 2 + leukopenia 1 = 23; baseline (screening): psychosis 8 +
    arthritis 4 + casts 4 + DNA binding 2 + leukopenia 1 = 19 -> +4: SLEDAI criterion fails.
    (M9 alone would give SLEDAI 1, BILAG without new A/B and PGA 0.3: a responder.)
    """
    adrs = adam["ADRS"]
    u = usubjid("009")
    tot = adrs[(adrs.USUBJID == u) & (adrs.PARAMCD == "SLEDAITS") & (adrs.AVISITN == 9)]
    assert sorted(zip(tot.ADY, tot.AVAL, tot.ANL01FL.fillna("-"))) == [(257, 1.0, "-"), (271, 23.0, "Y")]
    assert one(adrs, USUBJID=u, PARAMCD="SLEDAITS", ABLFL="Y").AVAL == 19.0
    sri = one(adrs, USUBJID=u, PARAMCD="SRI4", AVISITN=9)
    # BILAG 6.1: E,E,C,B,E,E,A,B vs baseline E,E,B,B,E,E,A,B -> no new A, no new B;
    # PGA 2.2 - 2.1 = 0.1 < 0.3
    assert (sri.AVALC, sri.CRIT1FL, sri.CRIT2FL, sri.CRIT3FL, sri.CRIT4FL) == ("N", "N", "Y", "Y", "Y")
    assert blank(sri.DTYPE)
    # Month 12 (M12 2024-07-08): BILAG E,E,D,B,E,D,D,C -> one B, no A; baseline had REN A -> PCR
    assert one(adrs, USUBJID=u, PARAMCD="PCR", AVISITN=12).AVALC == "Y"
    assert one(adrs, USUBJID=u, PARAMCD="MCR", AVISITN=12).AVALC == "N"


# ------------------------------------------------------------ steroids (SAP 4.7) ----
def test_steroid_average_subject_010(adam):
    """Infusion 2023-08-16; gc.csv: prednisone 15 mg QD to 2023-10-07, 25 mg QD 2023-10-08 to
    2023-11-06, 15 mg QD from 2023-11-07 (ongoing).

    Baseline: 28 days ending 2023-08-15 (2023-07-19..2023-08-15), all at 15 mg -> 15.0.
    Month 3: visit M3 2023-11-12 -> window 2023-10-16..2023-11-12 (the assessment day included):
    25 mg x 22 days (Oct 16 - Nov 6) + 15 mg x 6 days (Nov 7 - 12) = 550 + 90 = 640 mg / 28.
    """
    ster = adam["ADSTER"]
    u = usubjid("010")
    bl = one(ster, USUBJID=u, PARAMCD="PREDAVG", ABLFL="Y")
    assert bl.AVAL == pytest.approx(15.0)
    assert (bl.ASTDT, bl.ADT) == (sas("2023-07-19"), sas("2023-08-15"))
    m3 = one(ster, USUBJID=u, PARAMCD="PREDAVG", AVISITN=3)
    assert (m3.ASTDT, m3.ADT) == (sas("2023-10-16"), sas("2023-11-12"))
    assert m3.AVAL == pytest.approx(640 / 28)
    assert m3.PCHG == pytest.approx(100 * (640 / 28 - 15) / 15)          # +52.38 %: an increase
    assert one(ster, USUBJID=u, PARAMCD="PREDRESP", AVISITN=3).AVALC == "N"


def test_steroid_short_log_missed_visit_and_end_of_study_subject_011(adam):
    """Infusion 2023-08-24; gc.csv: prednisone 5 mg QD from 2023-07-29 (ongoing) and a
    methylprednisolone pulse 500 mg 2023-10-12..14. ds.csv: discontinued 2024-04-17.

    Baseline window 2023-07-27..2023-08-23: the log starts 2023-07-29 (26 days before the
    infusion, < 28) -> 2 days count 0 mg, 26 days x 5 mg = 130 mg / 28, flagged PRELOGFL.
    Month 3: M3 not done -> target day 91 = 2023-08-24 + 90 days = 2023-11-22 (7 + 30 + 31 + 22);
    window 2023-10-26..2023-11-22 (after the pulse): 28 x 5 / 28 = 5.0 -> no reduction.
    Month 9: no steroid visit in days 226-315, target day 271 = 2024-05-20 is after the end of
    study (2024-04-17) -> no average, responder imputed "N".
    """
    ster = adam["ADSTER"]
    u = usubjid("011")
    bl = one(ster, USUBJID=u, PARAMCD="PREDAVG", ABLFL="Y")
    assert bl.AVAL == pytest.approx(130 / 28) and bl.PRELOGFL == "Y"
    m3 = one(ster, USUBJID=u, PARAMCD="PREDAVG", AVISITN=3)
    assert (m3.ADT, m3.ADTTGTFL, m3.ADY) == (sas("2023-11-22"), "Y", 91)
    assert m3.AVAL == pytest.approx(5.0)
    r3 = one(ster, USUBJID=u, PARAMCD="PREDRESP", AVISITN=3)
    assert (r3.AVALC, r3.PRELOGFL) == ("N", "Y") and blank(r3.DTYPE)   # baseline window flagged
    assert ster[(ster.USUBJID == u) & (ster.PARAMCD == "PREDAVG") & (ster.AVISITN == 9)].empty
    r9 = one(ster, USUBJID=u, PARAMCD="PREDRESP", AVISITN=9)
    assert (r9.AVALC, r9.AVAL, r9.DTYPE) == ("N", 0.0, "WC")


def test_steroid_baseline_zero_not_evaluable_subject_009(adam):
    """Subject 009: the log starts 2023-11-27, after the infusion (2023-07-17) -> baseline 0 mg,
    flagged; every PREDRESP is "NE" (not evaluable), neither responder nor non-responder."""
    ster = adam["ADSTER"]
    u = usubjid("009")
    bl = one(ster, USUBJID=u, PARAMCD="PREDAVG", ABLFL="Y")
    assert bl.AVAL == 0.0 and bl.PRELOGFL == "Y"
    resp = ster[(ster.USUBJID == u) & (ster.PARAMCD == "PREDRESP")]
    assert resp.AVALC.tolist() == ["NE"] * 4 and resp.AVAL.isna().all()


# ------------------------------------------------------------ AEs (SAP 4.1, 4.8) ----
def test_ae_partial_dates_and_imputed_grade(adam):
    adae = adam["ADAE"]
    # 003 cough, start 2023-12-UN: December is not the infusion month (2023-03-02) -> 1st,
    # flag D. Days after infusion: 29 (Mar 3-31) + 30 + 31 + 30 + 31 + 31 + 30 + 31 + 30 + 1 = 274 -> day 275
    cough = one(adae, USUBJID=usubjid("003"), AESEQ=4)
    assert (cough.ASTDT, cough.ASTDTF, cough.ASTDY) == (sas("2023-12-01"), "D", 275)
    # 012 fever, end 2023-09-UN -> last day of September (before the end of study 2024-09-11);
    # grade missing -> analysed as 3, flagged; NOT RELATED -> not a toxicity;
    # start 2023-09-15, infusion 2023-09-06 -> day 10: still in the acute window (days 1-10)
    fever = one(adae, USUBJID=usubjid("012"), AESEQ=1)
    assert (fever.AENDT, fever.AENDTF) == (sas("2023-09-30"), "D")
    assert (fever.ATOXGR, fever.ATOXGRN, fever.GRIMPFL) == ("3", 3.0, "Y") and blank(fever.AETOXGR)
    assert blank(fever.TOXFL) and (fever.TRTEMFL, fever.ASTDY, fever.ACUTEFL) == ("Y", 10, "Y")
    # 005 nausea 2023-05-05: relationship missing -> analysed RELATED, flagged -> a toxicity
    nausea = one(adae, USUBJID=usubjid("005"), AESEQ=3)
    assert (nausea.AREL, nausea.RELIMPFL, nausea.TOXFL) == ("RELATED", "Y", "Y")


def test_trtemfl_on_the_infusion_day_uses_times(adam):
    adae = adam["ADAE"]
    # 010 anxiety 2023-08-16T11:41, infusion 2023-08-16T13:35 (ex.csv): before the start -> not emergent
    before = one(adae, USUBJID=usubjid("010"), AESEQ=1)
    assert blank(before.TRTEMFL) and before.ASTDY == 1
    # 011 headache 2023-08-24T17:41, infusion 2023-08-24T13:47: after -> emergent, possibly related
    after = one(adae, USUBJID=usubjid("011"), AESEQ=1)
    assert (after.TRTEMFL, after.TOXFL, after.ACUTEFL, after.CUMM1FL) == ("Y", "Y", "Y", "Y")
    # 005 nasopharyngitis 2023-04-05, the day before the infusion (2023-04-06): day -1, not emergent
    pre = one(adae, USUBJID=usubjid("005"), AESEQ=1)
    assert blank(pre.TRTEMFL) and pre.ASTDY == -1


def test_not_tolerated_flag(adam):
    """NTOLFL: a toxicity (related / probably / possibly, missing = related) of grade >= 3.
    003: lupus flare POSSIBLY RELATED grade 3 (day 24) -> Y. 011: lupus flare PROBABLY RELATED
    grade 3 on 2024-04-11 (before the end of study 2024-04-17) -> Y. 010: bronchitis grade 4
    but NOT RELATED -> N. 008: septic shock grade 5 UNLIKELY RELATED -> N. 006 screen failure -> empty."""
    adsl = adam["ADSL"].set_index("USUBJID")
    got = {s: adsl.loc[usubjid(s), "NTOLFL"] for s in ("003", "011", "010", "008", "006")}
    assert {k: (None if blank(v) else v) for k, v in got.items()} == {
        "003": "Y", "011": "Y", "010": "N", "008": "N", "006": None}


# ------------------------------------------------------------ QoL (SAP 3.4, 3.5) ----
def test_qol_scores_subject_001_screening(adam):
    """eq5d.csv 001 screening: MO 2, SC 3, UA 4, PD 3, AD 2 -> LSS 14;
    index = 1 - (0.03759 + 0.050781 + 0.15689 + 0.04704 + 0.02046) = 1 - 0.312761 = 0.687239.
    sf36.csv 001 screening: item 7 = 4 -> 3.1, item 8 = 3 with item 7 answered -> 3;
    BP raw 6.1 -> 100 x (6.1 - 2) / 10 = 41."""
    adqs = adam["ADQS"]
    u = usubjid("001")
    assert one(adqs, USUBJID=u, PARAMCD="EQ5DLSS", ABLFL="Y").AVAL == 14.0
    assert one(adqs, USUBJID=u, PARAMCD="EQ5DIXFR", ABLFL="Y").AVAL == pytest.approx(0.687239, abs=1e-9)
    assert one(adqs, USUBJID=u, PARAMCD="SF36314", ABLFL="Y").AVAL == pytest.approx(41.0)


# ------------------------------------------------------------ define.xml (SAP 3.4) ----
def test_norm_set_that_produced_the_scores_is_in_the_methoddefs():
    """NBS / PCS / MCS MethodDefs render the configured norm set (name, means, sd, coefficients),
    so a configured change of the norms cannot leave define.xml describing other values."""
    from cdisc_msc.define.xml import expand_placeholders
    from cdisc_msc.spec.loader import load_spec

    config = load_config(ROOT / "specs" / "study.yaml")
    spec = load_spec(ROOT / "specs" / "adam")
    text = {o: " ".join(expand_placeholders(spec.method(o).description, config, o).split())
            for o in ("MT.ADQS.SF36NBS", "MT.ADQS.SF36PCS", "MT.ADQS.SF36MCS")}
    assert all("US 1998 general population norms" in t for t in text.values())
    # SAP 3.4 table, typed in by hand
    assert "means PF 83.29094, RP 82.50964," in text["MT.ADQS.SF36NBS"]
    assert "sd PF 23.75883, RP 25.52028," in text["MT.ADQS.SF36NBS"] and "MH 17.75604" in text["MT.ADQS.SF36NBS"]
    assert "PCS coefficients PF 0.42402, RP 0.35119," in text["MT.ADQS.SF36PCS"]
    assert "MCS coefficients PF -0.22999, RP -0.12329," in text["MT.ADQS.SF36MCS"]
    other = config.sf36_norms.model_copy(update={"mean": {**config.sf36_norms.mean, "PF": 80.5}})
    changed = expand_placeholders(spec.method("MT.ADQS.SF36NBS").description,
                                  config.model_copy(update={"sf36_norms": other}), "MT.ADQS.SF36NBS")
    assert "means PF 80.5, RP 82.50964" in " ".join(changed.split())
