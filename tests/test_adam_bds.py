"""cdisc_msc.adam.bds.score_forms: items long -> one wide row per form -> score records.

Expected values worked out by hand from the small frames below.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdisc_msc.adam.bds import place_wide, score_forms
from cdisc_msc.scoring import MissingColumnsError


def items(paramcd, aval, visitnum, usubjid="S1", adt=None, seq=None, visit=None) -> pd.DataFrame:
    n = len(paramcd)
    return pd.DataFrame({"USUBJID": usubjid, "PARAMCD": paramcd, "AVAL": aval, "VISITNUM": visitnum,
                         "VISIT": visit if visit is not None else [f"V{v:g}" for v in visitnum],
                         "ADT": adt if adt is not None else [float(i) for i in range(n)],
                         "_SEQ": seq if seq is not None else [float(i + 1) for i in range(n)]})


def total(wide: pd.DataFrame) -> pd.DataFrame:
    """Sum of the items, missing unless every item is answered."""
    return wide.sum(axis=1).where(wide.notna().all(axis=1)).to_frame("TOT")


def two_scores(wide: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"SUM": wide.sum(axis=1, min_count=1), "MAX": wide.max(axis=1)}, index=wide.index)


ALL = lambda df: np.ones(len(df), dtype=bool)  # noqa: E731


def test_one_record_per_form_with_its_latest_date_and_highest_seq():
    it = items(["A", "B", "A", "B"], [1.0, 2.0, 3.0, None], [4.0, 4.0, 5.0, 5.0],
               adt=[10.0, 12.0, 40.0, 39.0], seq=[7.0, 3.0, 1.0, 2.0])
    out = score_forms(it, ALL(it), ["A", "B"], "AVAL", total, "t")
    assert out.columns.tolist() == ["USUBJID", "VISITNUM", "PARAMCD", "AVAL", "VISIT", "ADT", "_SEQ"]
    # form 4: 1 + 2 = 3; form 5: B missing -> missing total
    assert out.VISITNUM.tolist() == [4.0, 5.0] and out.PARAMCD.tolist() == ["TOT", "TOT"]
    assert out.AVAL.tolist()[0] == 3.0 and np.isnan(out.AVAL.iloc[1])
    assert out.ADT.tolist() == [12.0, 40.0] and out._SEQ.tolist() == [7.0, 2.0]
    assert out.VISIT.tolist() == ["V4", "V5"]


def test_an_item_absent_from_the_form_counts_as_not_answered():
    it = items(["A"], [1.0], [4.0])
    assert np.isnan(score_forms(it, ALL(it), ["A", "B"], "AVAL", total, "t").AVAL.iloc[0])


def test_forms_sorted_by_subject_and_visit_and_scores_listed_score_by_score():
    it = pd.concat([items(["A"], [5.0], [2.0], usubjid="S2"), items(["A", "A"], [1.0, 3.0], [9.0, 2.0])],
                   ignore_index=True)
    out = score_forms(it, ALL(it), ["A"], "AVAL", two_scores, "t")
    assert out[["USUBJID", "VISITNUM", "PARAMCD", "AVAL"]].values.tolist() == [
        ["S1", 2.0, "SUM", 3.0], ["S1", 9.0, "SUM", 1.0], ["S2", 2.0, "SUM", 5.0],
        ["S1", 2.0, "MAX", 3.0], ["S1", 9.0, "MAX", 1.0], ["S2", 2.0, "MAX", 5.0]]


def test_only_the_masked_rows_and_the_listed_codes_are_scored():
    it = items(["A", "B", "Z"], [1.0, 100.0, 50.0], [4.0, 4.0, 4.0], adt=[1.0, 99.0, 2.0])
    rows = np.array([True, False, True])  # B belongs to another instrument
    out = score_forms(it, rows, ["A", "B"], "AVAL", two_scores, "t")
    # Z is a row of the form (its date counts) but no column of the wide frame; B is not a row at all
    assert out.AVAL.tolist() == [1.0, 1.0] and out.ADT.tolist() == [2.0, 2.0]


def test_answered_only_skips_forms_without_any_answer():
    it = items(["A", "A", "B"], [None, 2.0, None], [4.0, 5.0, 6.0])
    kept = score_forms(it, ALL(it), ["A", "B"], "AVAL", two_scores, "t", answered_only=True)
    assert kept.VISITNUM.tolist() == [5.0, 5.0] and kept.AVAL.tolist() == [2.0, 2.0]
    every = score_forms(it, ALL(it), ["A", "B"], "AVAL", two_scores, "t")
    assert every.VISITNUM.tolist() == [4.0, 5.0, 6.0] * 2


def test_text_values_reach_the_score_as_text():
    it = items(["A", "B"], None, [4.0, 4.0]).assign(AVALC=["Y", None])
    seen = []

    def count_y(wide: pd.DataFrame) -> pd.DataFrame:
        seen.append(wide.iloc[0].tolist())
        return wide.eq("Y").sum(axis=1).astype(float).to_frame("NY")

    out = score_forms(it, ALL(it), ["A", "B"], "AVALC", count_y, "t")
    assert seen[0][0] == "Y" and pd.isna(seen[0][1]) and out.AVAL.tolist() == [1.0]


def test_empty_input_gives_no_records():
    it = items(["A"], [1.0], [4.0])
    none = np.zeros(1, dtype=bool)
    for answered_only in (False, True):
        out = score_forms(it, none, ["A"], "AVAL", total, "t", answered_only=answered_only)
        assert out.empty and out.columns.tolist() == ["USUBJID", "VISITNUM", "PARAMCD", "AVAL", "VISIT", "ADT", "_SEQ"]
    unanswered = items(["A"], [None], [4.0])
    assert score_forms(unanswered, ALL(unanswered), ["A"], "AVAL", total, "t", answered_only=True).empty


def test_an_item_twice_in_a_form_is_an_error():
    it = items(["A", "A"], [1.0, 2.0], [4.0, 4.0])
    with pytest.raises(ValueError, match="demo: an item recorded twice"):
        score_forms(it, ALL(it), ["A"], "AVAL", total, "demo")


def test_any_paramcd_twice_in_a_form_is_an_error_even_when_not_scored():
    """Not only the scored items: another code, a missing PARAMCD or a form left unscored (answered_only)."""
    for paramcd, aval, visitnum in ((["A", "X", "X"], [1.0, 2.0, 3.0], [4.0] * 3),
                                    (["A", None, None], [1.0, 2.0, 3.0], [4.0] * 3),
                                    (["A", "A", "A"], [None, None, 1.0], [4.0, 4.0, 5.0])):  # form 4 not scored
        it = items(paramcd, aval, visitnum)
        with pytest.raises(ValueError, match="demo: an item recorded twice"):
            score_forms(it, ALL(it), ["A"], "AVAL", total, "demo", answered_only=True)
    it = items(["A", "X", None, "A"], [1.0, 2.0, 3.0, 4.0], [4.0, 4.0, 4.0, 5.0])  # once per form: fine
    assert score_forms(it, ALL(it), ["A"], "AVAL", total, "demo").AVAL.tolist() == [1.0, 4.0]


def test_place_wide_puts_each_record_in_its_cell_and_leaves_nan_elsewhere():
    wide = place_wide(np.array([2, 0, 2, -1, 1]), np.array([1, 0, 0, 1, -1]), np.array([1.5, 2.5, 3.5, 9.0, 9.0]),
                      (3, 2), "twice")
    assert np.array_equal(wide, [[2.5, np.nan], [np.nan, np.nan], [3.5, 1.5]], equal_nan=True)  # -1: left out
    text = place_wide(np.array([0]), np.array([1]), np.array(["Y"], dtype=object), (1, 2), "twice")
    assert text.dtype == object and text[0, 1] == "Y" and np.isnan(text[0, 0])
    empty = place_wide(np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp), np.zeros(0), (2, 1), "twice")
    assert empty.shape == (2, 1) and np.isnan(empty).all()
    assert place_wide(np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp), np.zeros(0), (0, 3), "x").shape == (0, 3)


def test_place_wide_rejects_two_records_for_one_cell_but_not_left_out_ones():
    with pytest.raises(ValueError, match="^two in a cell$"):
        place_wide(np.array([1, 0, 1]), np.array([0, 0, 0]), np.array([1.0, 2.0, 3.0]), (2, 1), "two in a cell")
    kept = place_wide(np.array([-1, -1, 0]), np.array([0, 0, 0]), np.array([1.0, 2.0, 3.0]), (1, 1), "x")
    assert kept.tolist() == [[3.0]]  # the two records without a row are not placed, so not a clash


def test_items_without_visit_cannot_be_grouped():
    it = items(["A"], [1.0], [4.0]).assign(VISITNUM=np.nan)
    with pytest.raises(ValueError, match="demo: items without USUBJID or VISITNUM"):
        score_forms(it, ALL(it), ["A"], "AVAL", total, "demo")


def test_missing_columns_named():
    it = items(["A"], [1.0], [4.0]).drop(columns=["_SEQ"])
    with pytest.raises(MissingColumnsError, match="demo: missing required column.*_SEQ"):
        score_forms(it, ALL(it), ["A"], "AVAL", total, "demo")
