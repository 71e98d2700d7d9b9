"""SELENA-SLEDAI (SAP 3.1) and classic BILAG (SAP 3.3) totals."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdisc_msc.scoring import MissingColumnsError
from cdisc_msc.scoring import bilag, sledai

SLED = [f"SLED1{i:02d}" for i in range(1, 25)]
BIL = [f"BILAG1{i:02d}" for i in range(1, 9)]


def test_descriptor_table():
    d = sledai.DESCRIPTORS
    assert [x.testcd for x in d] == SLED
    assert all(len(x.testcd) <= 8 and len(x.test) <= 40 for x in d)
    assert [x.weight for x in d] == [8] * 8 + [4] * 6 + [2] * 7 + [1] * 3
    assert d[0].name == "Seizure" and d[8].name == "Arthritis" and d[23].name == "Leukopenia"
    assert sledai.MAX_TOTAL == 8 * 8 + 6 * 4 + 7 * 2 + 3 * 1 == 105
    assert sledai.TOTAL_TESTCD == "SLED125"


def test_sledai_totals():
    none = {c: 0 for c in SLED}
    every = {c: 1 for c in SLED}
    # seizure 8 + arthritis 4 + low complement 2 + fever 1 = 15, with mixed spellings
    mix = {**none, "SLED101": "Y", "SLED109": "present", "SLED120": True, "SLED122": 1.0, "SLED102": "N"}
    incomplete = {**every, "SLED113": None}
    out = sledai.sledai_total(pd.DataFrame([none, every, mix, incomplete]))
    assert out.iloc[:3].tolist() == [0.0, 105.0, 15.0]
    assert np.isnan(out.iloc[3])
    assert out.name == "SLED125"


def test_sledai_bad_value_and_missing_column():
    with pytest.raises(ValueError, match="SLED105"):
        sledai.sledai_total(pd.DataFrame([{**{c: 0 for c in SLED}, "SLED105": "maybe"}]))
    with pytest.raises(MissingColumnsError, match="SLED124"):
        sledai.sledai_total(pd.DataFrame([{c: 0 for c in SLED[:-1]}]))


def test_bilag_table():
    s = bilag.SYSTEMS
    assert [x.testcd for x in s] == BIL
    assert [x.name for x in s] == ["General", "Mucocutaneous", "Neurological", "Musculoskeletal",
                                   "Cardiovascular/Respiratory", "Vasculitis", "Renal", "Haematological"]
    assert all(len(x.test) <= 40 for x in s)
    assert bilag.MAX_TOTAL == 72 and bilag.TOTAL_TESTCD == "BILAG109"


def test_bilag_totals():
    all_a = dict.fromkeys(BIL, "A")
    all_e = dict.fromkeys(BIL, "E")
    # A B C D E C B A -> 9 + 3 + 1 + 0 + 0 + 1 + 3 + 9 = 26 (lower case and blanks accepted)
    mix = dict(zip(BIL, ["A", "b", " C", "D", "E", "C", "B", "A"]))
    incomplete = {**all_a, "BILAG107": None}
    blank = {**all_a, "BILAG103": ""}
    out = bilag.bilag_total(pd.DataFrame([all_a, all_e, mix, incomplete, blank]))
    assert out.iloc[:3].tolist() == [72.0, 0.0, 26.0]
    assert out.iloc[3:].isna().all()


def test_bilag_invalid_grade():
    with pytest.raises(ValueError, match="BILAG104"):
        bilag.bilag_total(pd.DataFrame([{**dict.fromkeys(BIL, "C"), "BILAG104": "F"}]))


def test_presence_and_grades_per_distinct_value_keep_index_and_handle_all_missing():
    values = pd.Series([" yes", None, "N", " yes", 1, True], index=[9, 3, 5, 1, 7, 8], name="SLED101")
    assert sledai.presence(values).to_dict() == {9: 1.0, 3: pytest.approx(np.nan, nan_ok=True), 5: 0.0, 1: 1.0,
                                                 7: 1.0, 8: 1.0}
    assert sledai.presence(pd.Series([None, None], dtype=object)).isna().all()
    with pytest.raises(ValueError, match="SLED101: not a present/absent value: maybe"):
        sledai.presence(pd.Series(["Y", "maybe", "maybe"], name="SLED101"))
    grades = bilag.normalise_grades(pd.DataFrame({"G": [" b", None, "", "a"]}, index=[4, 2, 0, 6]), ["G"])
    assert grades.index.tolist() == [4, 2, 0, 6] and grades.G.tolist()[::3] == ["B", "A"]
    assert grades.G.iloc[1:3].isna().all()
    assert bilag.normalise_grades(pd.DataFrame({"G": [None, None]}), ["G"]).G.isna().all()
