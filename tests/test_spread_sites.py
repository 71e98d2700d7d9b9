"""Per-value tables spread to the rows (``cdisc_msc.io.columns.spread``) where a value is missing:
the missing rows get the missing value and the column keeps its dtype. Expected values by hand."""
from __future__ import annotations

import types

import pandas as pd

from cdisc_msc.io.text import transliterate_frame
from cdisc_msc.sdtm.common import add_subject_ids, derive_epoch
from cdisc_msc.sdtm.lb import map_tests


def test_add_subject_ids_gives_na_to_a_subject_not_in_dm_and_keeps_the_dtype():
    subjects = pd.DataFrame({"SUBJID": ["001", "002"], "USUBJID": ["S-001", "S-002"]}, dtype="string")
    form = pd.DataFrame({"SUBJID": pd.Series(["002", "009", "001"], dtype="string")})
    out = add_subject_ids(form, subjects, types.SimpleNamespace(studyid="S"), "AE")
    assert out["USUBJID"].dtype == "string"
    assert out["USUBJID"].tolist() == ["S-002", pd.NA, "S-001"]


def test_derive_epoch_gives_na_outside_every_element_and_to_a_subject_without_se():
    se = pd.DataFrame({"USUBJID": ["A", "A"], "SESTDTC": ["2024-02-01", "2024-03-05T10:00"],
                       "SEENDTC": ["2024-03-05T10:00", "2024-03-05"], "EPOCH": ["SCREENING", "TREATMENT"],
                       "TAETORD": [1, 2]})
    records = pd.DataFrame({"USUBJID": ["A", "A", "B", "A"],
                            "XXDTC": ["2024-02-10", "2024-03-05T11:00", "2024-02-10", "2025-01-01"]})
    epoch = derive_epoch(records, "XXDTC", se)
    assert epoch.dtype == "string"
    assert epoch.tolist() == ["SCREENING", "TREATMENT", pd.NA, pd.NA]


def test_map_tests_leaves_a_missing_test_code_missing_in_every_column():
    out = map_tests(pd.DataFrame({"LBTESTCD": [None, "RBCUR"]}))
    cols = ["LBTESTCD", "LBTEST", "LBSPEC", "LBCAT", "_STDU"]
    assert all(out[c].dtype == "string" for c in cols)
    assert out[cols].iloc[0].isna().all()
    assert out[cols].iloc[1].tolist() == ["RBC", "Erythrocytes", "URINE", "URINALYSIS", "/HPF"]


def test_transliterate_frame_skips_missing_values():
    frame, changes = transliterate_frame(pd.DataFrame({"AETERM": ["Fièvre", None, "Rash", "Fièvre"]}), "AE")
    assert frame["AETERM"].tolist()[:1] + frame["AETERM"].tolist()[2:] == ["Fievre", "Rash", "Fievre"]
    assert pd.isna(frame["AETERM"].iloc[1])
    assert changes["record"].tolist() == [1, 4] and changes["ascii"].tolist() == ["Fievre", "Fievre"]


def test_transliterate_frame_keeps_dtypes_and_lists_changes_column_by_column():
    frame = pd.DataFrame({"A": pd.Series(["é", pd.NA, "a"], dtype="string"), "N": [1.0, 2.0, 3.0],
                          "B": ["x", 7, "Ñu"]})  # a string column, a number, a mixed object column
    out, changes = transliterate_frame(frame, "XX")
    assert out["A"].dtype == "string" and out["A"].tolist() == ["e", pd.NA, "a"]
    assert out["B"].dtype == object and out["B"].tolist() == ["x", 7, "Nu"]
    assert frame["A"].tolist() == ["é", pd.NA, "a"]  # the input is left as it was
    assert changes.to_dict("list") == {"dataset": ["XX", "XX"], "variable": ["A", "B"], "record": [1, 3],
                                       "original": ["é", "Ñu"], "ascii": ["e", "Nu"]}


def test_transliterate_frame_turns_a_categorical_column_it_changes_into_text():
    frame = pd.DataFrame({"A": pd.Categorical(["Fièvre", "Rash", "Fièvre"]), "B": pd.Categorical(["x", "y", "x"])})
    out, changes = transliterate_frame(frame, "AE")
    assert out["A"].dtype == object and out["A"].tolist() == ["Fievre", "Rash", "Fievre"]  # not NaN
    assert out["B"].dtype == "category"  # unchanged columns keep their dtype
    assert changes["record"].tolist() == [1, 3]
