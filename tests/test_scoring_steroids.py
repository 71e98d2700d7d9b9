"""Prednisone-equivalent average daily dose and reduction (SAP 4.7)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdisc_msc.config import AnalysisWindow, SteroidRule
from cdisc_msc.scoring import MissingColumnsError
from cdisc_msc.scoring import steroids

RULE = SteroidRule(conversion={"PREDNISONE": 1.0, "PREDNISOLONE": 1.0, "METHYLPREDNISOLONE": 1.25,
                               "HYDROCORTISONE": 0.25, "DEXAMETHASONE": 6.67})
WINDOWS = [
    AnalysisWindow(avisit="Month 3", avisitn=3, start_day=61, end_day=135, target_day=91),
    AnalysisWindow(avisit="Month 6", avisitn=6, start_day=136, end_day=225, target_day=181),
]
NAN = np.nan

# Infusion 2024-03-01 for everyone.
# Baseline window: 28 days ending 2024-02-29 -> 2024-02-02 .. 2024-02-29.
# S1 Month 3 visit on day 91 = 2024-05-30 -> window 2024-05-03 .. 2024-05-30.
# Month 6 missed by everyone -> target day 181 = 2024-08-28 -> window 2024-08-01 .. 2024-08-28.
SUBJECTS = pd.DataFrame({
    "USUBJID": ["S1", "S2", "S3"],
    "TRTSDT": ["2024-03-01", "2024-03-01", "2024-03-01"],
    "LOGSTDT": [None, None, "2023-12-01"],
})
VISITS = pd.DataFrame({"USUBJID": ["S1", "S2"], "AVISITN": [3, 3], "ADT": ["2024-05-30", "2024-05-30"]})
LOG = pd.DataFrame(
    [
        # S1: taper with an IV methylprednisolone pulse (3 x 500 mg) in the Month 3 window
        ("S1", "PREDNISONE", 20.0, 1, NAN, "2024-01-01", "2024-03-31"),
        ("S1", "PREDNISONE", 15.0, 1, NAN, "2024-04-01", "2024-05-14"),
        ("S1", "Methylprednisolone", NAN, NAN, 500.0, "2024-05-15", "2024-05-17"),
        ("S1", "PREDNISOLONE", 5.0, 2, NAN, "2024-05-15", "2024-06-30"),
        ("S1", "PREDNISONE", 5.0, 1, NAN, "2024-07-01", None),        # ongoing
        # S2: log starts 14 days before infusion (2024-02-16)
        ("S2", "PREDNISONE", 20.0, 1, NAN, "2024-02-16", "2024-03-31"),
        ("S2", "PREDNISONE", 7.5, 1, NAN, "2024-04-01", None),
        # S3: no glucocorticoid before infusion (log covers from 2023-12-01)
        ("S3", "PREDNISONE", 10.0, 1, NAN, "2024-03-10", None),
    ],
    columns=["USUBJID", "DRUG", "DOSE", "FREQ", "DAILYDOSE", "STDT", "ENDT"],
)


@pytest.fixture(scope="module")
def outcome() -> pd.DataFrame:
    out = steroids.steroid_outcomes(LOG, SUBJECTS, WINDOWS, RULE, threshold_decimals=4, visit_dates=VISITS)
    return out.set_index(["USUBJID", "AVISITN"])


def test_window_dates(outcome):
    assert outcome.loc[("S1", 0), "WINSTDT"] == pd.Timestamp("2024-02-02")
    assert outcome.loc[("S1", 0), "WINENDT"] == pd.Timestamp("2024-02-29")
    assert outcome.loc[("S1", 3), "WINSTDT"] == pd.Timestamp("2024-05-03")
    assert outcome.loc[("S1", 6), "WINENDT"] == pd.Timestamp("2024-08-28")
    assert outcome.loc[("S1", 6), "WINENDTF"] == "Y"
    assert pd.isna(outcome.loc[("S1", 3), "WINENDTF"])


def test_taper_with_iv_pulse(outcome):
    s1 = outcome.loc["S1"]
    assert s1.loc[0, "AVAL"] == pytest.approx(20.0)                # 28 x 20 / 28
    # 12 d x 15 + 3 d x 500 x 1.25 + 16 d x 5 x 2 = 180 + 1875 + 160 = 2215 mg
    assert s1.loc[3, "PETOTAL"] == pytest.approx(2215.0)
    assert s1.loc[3, "AVAL"] == pytest.approx(2215.0 / 28)
    assert s1.loc[3, "STRESP"] == "N" and s1.loc[3, "STRIMP"] == "N"
    assert s1.loc[3, "PCHG"] == pytest.approx(100 * (2215.0 / 28 - 20) / 20)
    # missed Month 6: ongoing 5 mg/day -> 5, reduction 75 %
    assert s1.loc[6, "AVAL"] == pytest.approx(5.0)
    assert s1.loc[6, "STRESP"] == "Y"
    assert pd.isna(s1.loc[0, "PRELOGFL"]) and s1.loc[3, "BASE"] == pytest.approx(20.0)


def test_log_starting_less_than_28_days_before_infusion(outcome):
    s2 = outcome.loc["S2"]
    assert s2.loc[0, "PRELOGFL"] == "Y"
    assert s2.loc[0, "AVAL"] == pytest.approx(14 * 20 / 28)           # 10 mg/day
    assert s2.loc[3, "BLPRELFL"] == "Y"
    assert s2.loc[3, "AVAL"] == pytest.approx(7.5)
    assert s2.loc[3, "STRESP"] == "Y"                                 # exactly 25 % reduction


def test_baseline_zero_not_evaluable(outcome):
    s3 = outcome.loc["S3"]
    assert s3.loc[0, "AVAL"] == 0.0 and pd.isna(s3.loc[0, "PRELOGFL"])
    assert (s3.loc[[3, 6], "STEVALFL"] == "N").all()
    assert s3.loc[[3, 6], "STRESP"].isna().all()
    assert s3.loc[[3, 6], "PCHG"].isna().all()


def test_reduction_threshold_on_rounded_values():
    df = pd.DataFrame({"BASE": [30.0, 20.0, 20.0, 20.0, NAN], "AVAL": [22.5, 15.0001, 15.000001, NAN, 5.0]})
    out = steroids.steroid_response(df, RULE, threshold_decimals=4)
    # 25 % exactly; 24.9995 % stays < 25; 24.999995 % rounds to 25.0 (4 decimals); missing -> imputed
    assert out.STRESP.tolist()[:4] == ["Y", "N", "Y", "N"]
    assert out.STRIMP.tolist() == ["N", "N", "N", "Y", "Y"]
    assert out.STRESP.tolist()[4] == "N"


def test_conversion_factors_and_daily_dose():
    log = pd.DataFrame({
        "USUBJID": "S", "DRUG": ["HYDROCORTISONE", "DEXAMETHASONE", "PREDNISONE"],
        "DOSE": [20.0, 1.5, 10.0], "FREQ": [2, NAN, NAN], "DAILYDOSE": [NAN, NAN, 12.0],
        "STDT": "2024-01-01", "ENDT": "2024-01-01",
    })
    pe = steroids.prednisone_equivalent(log, RULE)
    assert pe.PEDAILY.tolist() == pytest.approx([40 * 0.25, 1.5 * 6.67, 12.0])


def test_missing_dose_makes_window_missing_only_where_it_overlaps():
    log = pd.DataFrame({"USUBJID": "S", "DRUG": "PREDNISONE", "DOSE": [10.0, NAN],
                        "STDT": ["2024-01-01", "2024-03-01"], "ENDT": ["2024-01-31", "2024-03-10"]})
    a = pd.DataFrame({"USUBJID": "S", "WINENDT": ["2024-01-28", "2024-03-05"]})
    out = steroids.average_daily_dose(log, a, RULE)
    assert out.AVGDOSE[0] == pytest.approx(10.0)
    assert np.isnan(out.AVGDOSE[1])


def test_errors():
    with pytest.raises(ValueError, match="COCAINE"):
        steroids.prednisone_equivalent(LOG.assign(DRUG="COCAINE"), RULE)
    with pytest.raises(MissingColumnsError, match="ENDT"):
        steroids.prednisone_equivalent(LOG.drop(columns="ENDT"), RULE)
    with pytest.raises(ValueError, match="start date"):
        steroids.prednisone_equivalent(LOG.assign(STDT="2024-05"), RULE)
