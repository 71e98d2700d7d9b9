"""Study day, analysis windows, baseline and analysed-record selection (SAP 2)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdisc_msc.adam import windows as w
from cdisc_msc.config import load_config
from cdisc_msc.scoring import MissingColumnsError

CFG = load_config(Path(__file__).resolve().parents[1] / "specs" / "study.yaml")
REF = "2024-01-01"  # infusion; 2024 is a leap year


def test_study_day_no_day_zero():
    d = pd.DataFrame({"ADT": ["2023-12-31", "2024-01-01", "2024-01-02", "2024-02-29", "2024-03-01",
                              "2024-05-14", "2024-05-15", "2024-01-01T23:59", "2024-02", None],
                      "TRTSDT": REF})
    out = w.derive_study_day(d, "ADT", "TRTSDT")
    # Jan 1 = day 1; Feb 29 = 31 + 29 = day 60; Mar 1 = 61; May 14 = 31+29+31+30+14 = 135; May 15 = 136
    assert out.ADY.tolist()[:8] == [-1, 1, 2, 60, 61, 135, 136, 1]
    assert out.ADY.isna().tolist()[8:] == [True, True]            # partial / missing date
    assert 0 not in out.ADY.dropna().tolist()


def test_study_day_from_datetime_columns_and_inverse():
    d = pd.DataFrame({"ADT": pd.to_datetime(["2024-03-31 08:00", "2023-12-01"], format="ISO8601"), "TRTSDT": pd.Timestamp(REF)})
    out = w.derive_study_day(d, "ADT", "TRTSDT")
    assert out.ADY.tolist() == [91, -31]
    back = w.study_day_to_date(pd.Series(pd.to_datetime([REF, REF])), pd.Series([91, -31]))
    assert back.tolist() == [pd.Timestamp("2024-03-31"), pd.Timestamp("2023-12-01")]
    with pytest.raises(ValueError, match="day 0"):
        w.study_day_to_date(pd.Timestamp(REF), 0)


def test_windows_boundaries_and_outside():
    d = pd.DataFrame({"ADY": [-5, 1, 2, 60, 61, 135, 136, 225, 226, 315, 316, 455, 456, None]})
    out = w.derive_vars_window(d, CFG.analysis_windows)
    assert out.AVISITN.tolist() == [pd.NA, pd.NA, 1, 1, 3, 3, 6, 6, 9, 9, 12, 12, pd.NA, pd.NA]
    assert out.AVISIT[3] == "Month 1" and out.AVISIT[4] == "Month 3" and out.AVISIT[6] == "Month 6"
    assert out.AVISIT.isna().tolist() == [True, True] + [False] * 10 + [True, True]
    assert out.AWTARGET[4] == 91 and out.AWTDIFF[4] == 30 and out.AWLO[4] == 61 and out.AWHI[4] == 135


def bds() -> pd.DataFrame:
    rows = [
        # USUBJID, PARAMCD, ADY, ATM, SEQ, AVAL
        ("S1", "SLEDAI", -20, "09:00", 1, 12.0),     # screening
        ("S1", "SLEDAI", 1, "08:00", 2, 10.0),       # M0 -> baseline (last non-missing on/before day 1)
        ("S1", "SLEDAI", 1, "09:00", 3, np.nan),     # later but missing: not baseline
        ("S1", "SLEDAI", 81, "10:00", 4, 8.0),       # Month 3: 81 and 101 tie (10 days off target 91) ...
        ("S1", "SLEDAI", 101, "10:00", 5, 6.0),      # ... -> the later one
        ("S1", "SLEDAI", 180, "08:00", 6, 4.0),      # Month 6: same day 180 (1 off target 181) ...
        ("S1", "SLEDAI", 180, "14:00", 7, 5.0),      # ... -> the later time
        ("S1", "SLEDAI", 182, None, 8, 3.0),         # also 1 off target, but later day -> wins over day 180
        ("S1", "SLEDAI", 271, "09:00", 9, 2.0),      # Month 9: same day and time ...
        ("S1", "SLEDAI", 271, "09:00", 10, 1.0),     # ... -> higher SEQ
        ("S1", "SLEDAI", 500, "09:00", 11, 0.0),     # outside every window
        ("S1", "PGA", 95, "09:00", 1, 1.0),          # another parameter: its own analysed record
        ("S1", "PGA", 60, "09:00", 2, 1.5),          # day 60 -> Month 1
        ("S2", "SLEDAI", -10, "09:00", 1, 9.0),      # only screening -> baseline
        ("S2", "SLEDAI", 91, None, 2, np.nan),       # missing value: never analysed
        ("S2", "SLEDAI", 120, None, 3, 7.0),
    ]
    return pd.DataFrame(rows, columns=["USUBJID", "PARAMCD", "ADY", "ATM", "SEQ", "AVAL"])


def derive(df: pd.DataFrame) -> pd.DataFrame:
    df = w.derive_vars_window(df, CFG.analysis_windows)
    df = w.derive_var_ablfl(df, ["USUBJID", "PARAMCD"], ["ADY", "ATM", "SEQ"])
    return w.derive_var_anl01fl(df, ["USUBJID", "PARAMCD"], time_col="ATM", seq_col="SEQ")


def test_baseline_and_analysed_records():
    out = derive(bds())
    flagged = out[out.ANL01FL == "Y"]
    got = sorted(zip(flagged.USUBJID, flagged.PARAMCD, flagged.AVISITN.astype(int), flagged.SEQ))
    assert got == sorted([
        ("S1", "SLEDAI", 0, 2), ("S1", "SLEDAI", 3, 5), ("S1", "SLEDAI", 6, 8), ("S1", "SLEDAI", 9, 10),
        ("S1", "PGA", 3, 1), ("S1", "PGA", 1, 2),
        ("S2", "SLEDAI", 0, 1), ("S2", "SLEDAI", 3, 3),
    ])
    base = out[out.ABLFL == "Y"]
    assert sorted(zip(base.USUBJID, base.SEQ)) == [("S1", 2), ("S2", 1)]
    assert (base.AVISIT == "Baseline").all() and (base.AVISITN == 0).all()
    # screening record that is not baseline keeps no AVISIT
    scr = out[(out.USUBJID == "S1") & (out.SEQ == 1) & (out.PARAMCD == "SLEDAI")]
    assert scr.AVISIT.isna().all() and scr.ANL01FL.isna().all()


def test_outside_every_window_stays_without_avisit_or_flag():
    out = derive(bds())
    rec = out[out.ADY == 500]
    assert len(rec) == 1 and rec.AVISIT.isna().all() and rec.AVISITN.isna().all() and rec.ANL01FL.isna().all()


def test_extreme_mask_first_last_and_descending():
    d = pd.DataFrame({"ID": [1, 1, 1, 2], "ADT": [3, 5, np.nan, 4], "AVAL": [10, 20, 30, 40]})

    def chosen(*args):
        return d.AVAL[w.extreme_mask(d, *args)].tolist()

    assert chosen(["ID"], ["ADT"], "last") == [20, 40]   # NaN sorts first
    assert chosen(["ID"], ["ADT"], "first") == [30, 40]
    assert chosen(["ID"], ["ADT"], "last", "last") == [30, 40]   # NaN sorts last
    assert chosen(["ID"], [("AVAL", False)], "first") == [30, 40]
    assert chosen([], ["AVAL"], "last") == [40]
    with pytest.raises(MissingColumnsError, match="NOPE"):
        w.extreme_mask(d, ["ID"], ["NOPE"])
    with pytest.raises(ValueError, match="mode"):
        w.extreme_mask(d, ["ID"], ["ADT"], "middle")


def test_window_grid():
    g = w.window_grid(pd.DataFrame({"USUBJID": ["A", "B"]}), CFG.analysis_windows)
    assert len(g) == 10 and g.AVISITN.tolist()[:5] == [1, 3, 6, 9, 12]


def test_missing_columns_named():
    with pytest.raises(MissingColumnsError, match="RFSTDT"):
        w.derive_study_day(pd.DataFrame({"ADT": [REF]}), "ADT", "RFSTDT")
    with pytest.raises(MissingColumnsError, match="AWTARGET"):
        w.derive_var_anl01fl(pd.DataFrame({"USUBJID": ["S"], "ADY": [1], "AVISITN": [1], "AVAL": [1.0]}),
                             ["USUBJID"])
