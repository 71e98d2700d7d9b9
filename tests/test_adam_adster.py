"""ADSTER: expected values worked out by hand from study.md (SAP 2, 4.7, 5).

Infusion 2024-03-15 = study day 1 for every subject; by hand: day 72 = 2024-05-25,
day 91 = 2024-06-13, day 181 = 2024-09-11, day 271 = 2024-12-10, day 312 = 2025-01-20.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from adam_fake import bds_adsl, config, sas, spec  # noqa: F401 (config, spec: pytest fixtures)
from cdisc_msc.adam.adster import check_methods, derive_adster
from cdisc_msc.spec.apply import conform

TAPER, ZERO, SHORT, SCREENFAIL = (f"MSC-SLE-001-00{i}" for i in range(1, 5))
GC = "SYSTEMIC GLUCOCORTICOID"


def d(text: str) -> float:
    return sas(dt.date.fromisoformat(text))


def adsl_frame() -> pd.DataFrame:
    """Cohort 2 infused on 2024-03-15 (adam_fake.INFUSION), the screen failure without cohort or TRTSDT."""
    return bds_adsl([TAPER, ZERO, SHORT, SCREENFAIL], trtn=[2.0, 2.0, 2.0, None], saffl=["Y", "Y", "Y", "N"],
                    EOSDT=[d("2025-01-20"), None, None, d("2024-03-01")])


def cm_frame() -> pd.DataFrame:
    rows = [
        # TAPER: prednisone 30 mg/day, a 3-day IV methylprednisolone pulse of 500 mg/day, then prednisolone 5 mg BID
        (TAPER, GC, "PREDNISONE", 30.0, "QD", "2024-01-01", "2024-05-25"),
        (TAPER, GC, "METHYLPREDNISOLONE", 500.0, "ONCE", "2024-05-26", "2024-05-28"),
        (TAPER, GC, "PREDNISOLONE", 5.0, "BID", "2024-05-29", None),
        (TAPER, "GENERAL", "HYDROXYCHLOROQUINE", 200.0, "BID", "2020-01-01", None),   # not a glucocorticoid
        # ZERO: no glucocorticoid before infusion; prednisone 5 mg from day 10
        (ZERO, GC, "PREDNISONE", 5.0, "QD", "2024-03-24", None),
        # SHORT: the log starts 10 days before infusion (day -10 = 2024-03-05)
        (SHORT, GC, "PREDNISONE", 20.0, "QD", "2024-03-05", None),
        (SCREENFAIL, GC, "PREDNISONE", 10.0, "QD", "2024-01-01", None),
    ]
    return pd.DataFrame(rows, columns=["USUBJID", "CMCAT", "CMDECOD", "CMDOSE", "CMDOSFRQ", "CMSTDTC", "CMENDTC"])


def sv_frame() -> pd.DataFrame:
    rows = [
        (TAPER, 3.0, "2024-04-14"),        # M1 (day 31): assesses no steroids
        (TAPER, 4.0, "2024-06-13"),        # M3 on day 91
        (TAPER, 5.0, "2024-09-11"),        # M6 on day 181
        (TAPER, 6.0, None),                # M9 missed -> target day 271
        (SHORT, 4.0, "2024-06-03"),        # M3 on day 81
    ]
    return pd.DataFrame(rows, columns=["USUBJID", "VISITNUM", "SVSTDTC"])


@pytest.fixture(scope="module")
def adster(config, spec):
    out = derive_adster(cm_frame(), sv_frame(), adsl_frame(), config)
    return conform(out, spec.dataset("ADSTER"))


def rec(adster: pd.DataFrame, usubjid: str, paramcd: str, avisitn: int) -> pd.Series:
    got = adster[(adster.USUBJID == usubjid) & (adster.PARAMCD == paramcd) & (adster.AVISITN == avisitn)]
    assert len(got) == 1, (usubjid, paramcd, avisitn, len(got))
    return got.iloc[0]


def test_baseline_is_the_28_days_before_infusion(adster):
    bl = rec(adster, TAPER, "PREDAVG", 0)
    assert bl.AVAL == 30.0 and bl.ABLFL == "Y" and bl.AVISIT == "Baseline"
    assert bl.ADT == d("2024-03-14") and bl.ASTDT == d("2024-02-16") and bl.ADY == -1
    assert bl.PRELOGFL is None


def test_taper_with_iv_pulse_in_the_window(adster):
    m3 = rec(adster, TAPER, "PREDAVG", 3)
    # window = days 64..91 (2024-05-17..2024-06-13): prednisone 30 mg x 9 days (days 64-72)
    # + methylprednisolone 500 mg x 1.25 x 3 days (73-75) + prednisolone 2 x 5 mg x 16 days (76-91)
    assert m3.AVAL == pytest.approx((9 * 30 + 3 * 500 * 1.25 + 16 * 10) / 28)
    assert m3.ADT == d("2024-06-13") and m3.ASTDT == d("2024-05-17") and m3.ADY == 91
    assert m3.AWTARGET == 91 and m3.AWTDIFF == 0 and m3.ADTTGTFL is None
    assert m3.CHG == pytest.approx(2305 / 28 - 30)
    assert rec(adster, TAPER, "PREDRESP", 3).AVALC == "N"
    m6 = rec(adster, TAPER, "PREDAVG", 6)
    assert m6.AVAL == pytest.approx(10.0) and m6.PCHG == pytest.approx(100 * (10 - 30) / 30)
    resp = rec(adster, TAPER, "PREDRESP", 6)
    assert (resp.AVALC, resp.AVAL, resp.DTYPE) == ("Y", 1.0, None)   # reduced by 66.7 % >= 25 %


def test_missed_visit_uses_the_target_day(adster):
    m9 = rec(adster, TAPER, "PREDAVG", 9)
    assert m9.ADT == d("2024-12-10") and m9.ADY == 271 and m9.ADTTGTFL == "Y"
    assert m9.AVAL == pytest.approx(10.0)


def test_window_after_end_of_study_is_imputed_non_responder(adster):
    # Month 12 target day 366 falls after EOSDT (day 312): no average dose, responder imputed "N"
    assert adster[(adster.USUBJID == TAPER) & (adster.PARAMCD == "PREDAVG") & (adster.AVISITN == 12)].empty
    m12 = rec(adster, TAPER, "PREDRESP", 12)
    assert (m12.AVALC, m12.AVAL, m12.DTYPE) == ("N", 0.0, "WC")
    assert np.isnan(m12.ADT)


def test_baseline_zero_is_not_evaluable(adster):
    bl = rec(adster, ZERO, "PREDAVG", 0)
    assert bl.AVAL == 0.0 and bl.PRELOGFL == "Y"      # log starts after infusion: days before it count 0
    m3 = rec(adster, ZERO, "PREDAVG", 3)
    assert m3.AVAL == 5.0 and m3.ADTTGTFL == "Y" and np.isnan(m3.PCHG)   # no visit -> target day 91
    for avisitn in (3, 6, 9, 12):
        resp = rec(adster, ZERO, "PREDRESP", avisitn)
        assert resp.AVALC == "NE" and np.isnan(resp.AVAL) and resp.DTYPE is None


def test_log_starting_less_than_28_days_before_infusion(adster):
    bl = rec(adster, SHORT, "PREDAVG", 0)
    # baseline window 2024-02-16..2024-03-14: the log covers 10 days (03-05..03-14) at 20 mg, 18 days count 0
    assert bl.AVAL == pytest.approx(10 * 20 / 28) and bl.PRELOGFL == "Y"
    m3 = rec(adster, SHORT, "PREDAVG", 3)
    assert m3.AVAL == 20.0 and m3.PRELOGFL is None and m3.ADY == 81
    resp = rec(adster, SHORT, "PREDRESP", 3)
    assert resp.AVALC == "N" and resp.PRELOGFL == "Y" and resp.DTYPE is None


def test_only_infused_subjects_and_spec(adster, spec):
    assert SCREENFAIL not in set(adster.USUBJID)
    ds = spec.dataset("ADSTER")
    assert list(adster.columns) == ds.names and not adster.duplicated(ds.keys).any()
    # one baseline + 4 windows of PREDAVG (TAPER misses Month 12) and 4 PREDRESP per subject
    assert adster.groupby("USUBJID").size().to_dict() == {TAPER: 4 + 4, ZERO: 5 + 4, SHORT: 5 + 4}
    assert (adster.ANL01FL == "Y").all()


def test_methods_state_the_configured_rule(config, spec):
    check_methods(spec, config)
    other = config.model_copy(update={"steroids": config.steroids.model_copy(update={"reduction_pct": 50.0})})
    with pytest.raises(ValueError, match="reduction_pct=50"):
        check_methods(spec, other)


def test_unknown_frequency_fails(config):
    cm = cm_frame()
    cm.loc[0, "CMDOSFRQ"] = "EVERY WEEK"
    with pytest.raises(ValueError, match="EVERY WEEK"):
        derive_adster(cm, sv_frame(), adsl_frame(), config)
