"""The report's large-study paths (issue 9): work once per distinct value, each clause once per part,
only the variables the report reads, and at most MAX_TRAJECTORY_SUBJECTS individual lines per figure.
Expected values are worked out by hand below.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import adam_fixture
from cdisc_msc.config import load_config
from cdisc_msc.report import report_variables
from cdisc_msc.report import figures as fg
from cdisc_msc.report.data import read_adam
from cdisc_msc.report.html import esc_column
from cdisc_msc.report.outcomes import Param, outcome_map
from cdisc_msc.io.columns import factorize_column
from cdisc_msc.report.query import factorize_missing_last, mask, select
from cdisc_msc.report.tables import Context, fixed


def factorize_objects(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``factorize_column`` of an object array: codes (-1 = missing) and distinct values in order of first use."""
    factorized = factorize_column(pd.Series(values, dtype=object, copy=False))
    return factorized.codes, np.asarray(factorized.uniques, dtype=object)


def test_factorize_objects_groups_equal_values_whatever_their_objects():
    shared, copy = "SF36328", "".join(["SF36", "328"])  # equal text, another object
    assert shared is not copy
    values = np.array([shared, None, copy, "PGA", np.nan, shared], dtype=object)
    codes, uniques = factorize_objects(values)
    assert codes.tolist() == [0, -1, 0, 1, -1, 0]
    assert uniques.tolist() == ["SF36328", "PGA"]
    codes, uniques = factorize_missing_last(pd.Series(values), np.nan)  # None and NaN: one value, last
    assert codes.tolist() == [0, -1, 0, 1, -1, 0]
    assert uniques[0] == "SF36328" and uniques[1] == "PGA" and np.isnan(uniques[2])


def test_factorize_missing_last_puts_the_missing_value_where_code_minus_one_finds_it():
    codes, uniques = factorize_missing_last(pd.Series([None, "a", None], dtype=object), np.nan)
    assert codes.tolist() == [-1, 0, -1] and len(uniques) == 2 and uniques[0] == "a" and np.isnan(uniques[-1])
    codes, uniques = factorize_missing_last(pd.Series([np.nan, None], dtype=object), np.nan)  # only missing
    assert codes.tolist() == [-1, -1] and len(uniques) == 1 and np.isnan(uniques[-1])
    codes, uniques = factorize_missing_last(pd.Series(["a"], dtype=object), np.nan)  # nothing missing
    assert codes.tolist() == [0] and uniques.tolist() == ["a"]


def test_factorize_objects_of_unshared_values_and_of_nothing():
    values = np.array([str(i % 3) for i in range(5000)], dtype=object)  # a new object per row
    codes, uniques = factorize_objects(values)
    assert uniques.tolist() == ["0", "1", "2"] and codes[:4].tolist() == [0, 1, 2, 0]
    codes, uniques = factorize_objects(np.array([], dtype=object))
    assert len(codes) == 0 and len(uniques) == 0


def test_mask_memo_evaluates_each_clause_once_and_gives_the_same_rows():
    d = pd.DataFrame({"PARAMCD": ["A", "A", "B"], "AVISITN": [3.0, 6.0, 3.0], "FL": ["Y", "Y", "N"]})
    memo: dict = {}
    assert mask(d, 'FL="Y" and AVISITN=3', memo).tolist() == [True, False, False]
    assert sorted(memo) == ['AVISITN=3', 'FL="Y"']
    memo['FL="Y"'] = np.array([False, True, True])  # a stored clause is not evaluated again
    assert mask(d, 'FL="Y" and PARAMCD="A"', memo).tolist() == [False, True, False]
    assert select(d, 'FL="Y" and PARAMCD="A"').index.tolist() == [0, 1]


def test_context_records_are_the_rows_select_gives_on_the_whole_dataset():
    ds = pd.DataFrame({"USUBJID": ["S1", "S1", "S2", "S2", "S3"], "PARAMCD": ["P", "Q", "P", "P", "Q"],
                       "AVISITN": [3.0, 3.0, 3.0, 6.0, 6.0]}, index=[10, 11, 12, 13, 14])
    ctx = Context({"ADX": ds}, pd.DataFrame(columns=["USUBJID", "GROUP"]), [("All", "")])
    recs = ctx.records("ADX", "P", 'PARAMCD="P" and AVISITN=3')
    assert recs.index.tolist() == [10, 12] and recs["USUBJID"].tolist() == ["S1", "S2"]
    assert ctx.param_records("ADX", "Q").index.tolist() == [11, 14]
    assert ctx.param_records("ADX", "NONE").empty
    assert ctx.param_records("ADX", "") is ds


def test_fixed_formats_each_value_as_before_minus_zero_included():
    values = pd.Series([-0.0, 0.0, None, 0.04, -0.04, 2.25, 2.25], index=list("abcdefg"))
    assert fixed(values, 1).tolist() == ["-0.0", "0.0", "-", "0.0", "-0.0", "2.2", "2.2"]
    assert fixed(values, 0, signed=True).tolist() == ["-0", "0", "-", "0", "-0", "+2", "+2"]
    assert fixed(values, 1).index.tolist() == list("abcdefg")


def test_esc_column_escapes_like_html_escape():
    col = pd.Series(["<b>&'\"", None, "<b>&'\"", float("nan"), "plain"])
    assert esc_column(col).tolist() == ["&lt;b&gt;&amp;&#x27;&quot;", "", "&lt;b&gt;&amp;&#x27;&quot;", "", "plain"]
    assert esc_column(pd.Series([1, 1.0, True], dtype=object)).tolist() == ["1", "1.0", "True"]


def test_every_nth_subject_keeps_one_in_k_in_usubjid_order():
    points = pd.DataFrame({"USUBJID": ["E", "A", "A", "B", "C", "D"], "X": [0.0, 0.0, 3.0, 0.0, 0.0, 0.0]})
    drawn, step = fg.every_nth_subject(points, 2)  # 5 subjects, at most 2: k = ceil(5/2) = 3 -> A, D
    assert step == 3 and drawn["USUBJID"].tolist() == ["A", "A", "D"]
    assert fg.every_nth_subject(points, 5) == (points, 1)


def test_trajectory_figure_of_many_subjects_says_which_it_draws(monkeypatch):
    monkeypatch.setattr(fg, "MAX_TRAJECTORY_SUBJECTS", 2)
    n = 5  # subjects S1..S5: one in ceil(5/2) = 3 drawn -> S1, S4
    ds = pd.DataFrame({"USUBJID": [f"S{i}" for i in range(1, n + 1)] * 2, "SAFFL": "Y", "PARAMCD": "PGA",
                       "TRT01AN": 1.0, "AVISITN": [0.0] * n + [3.0] * n, "ABLFL": ["Y"] * n + [""] * n,
                       "ANL01FL": [""] * n + ["Y"] * n, "AVAL": np.arange(2 * n, dtype=float)})
    fig = fg.trajectory_figure(ds, "ADRS", Param("PGA", "PGA"), [("All", ""), ("One", "TRT01AN=1")], (3,),
                               {0: "BL", 3: "M3"}, "pga")
    assert fig.png.startswith(b"\x89PNG")
    assert fig.source.endswith("individual subjects drawn: one in 3 by USUBJID (2 of 5), mean +/- SD of all")


def test_report_reads_only_the_variables_it_uses(tmp_path):
    config = load_config("specs/study.yaml")
    keep = report_variables(outcome_map(config))
    assert {"USUBJID", "SAFFL", "TRT01AN", "PARAMCD", "AVAL", "CHG", "DTYPE", "CRIT1FL", "CUMM12FL",
            "ACUTEFL", "NTOLFL", "AETERM", "ASTDTF"} <= keep
    assert not {"STUDYID", "PARAM", "BASE", "SRCDOM", "START", "GRADE"} & keep
    adam_dir = adam_fixture.write_adam(tmp_path)
    whole, pruned = read_adam(adam_dir), read_adam(adam_dir, keep)
    for name, frame in whole.items():
        assert list(pruned[name].columns) == [c for c in frame.columns if c in keep]
        pd.testing.assert_frame_equal(pruned[name], frame[list(pruned[name].columns)])


@pytest.mark.parametrize("n", [0, 1, 4])
def test_rgba_converts_each_name(n):
    colours = pd.Series(["#ff8000", "#000000"] * n)
    assert fg.rgba(colours).tolist() == [[1.0, 128 / 255, 0.0, 1.0], [0.0, 0.0, 0.0, 1.0]] * n


def test_member_rows_is_the_inner_join_of_values_and_members_in_merge_order():
    from cdisc_msc.report.tables import _member_rows
    members = pd.DataFrame({"USUBJID": ["S2", "S1", "S3", "S2", "S1", "S4"],
                            "GROUP": ["All", "All", "All", "Low", "High", "Other"]})  # Other: not reported
    ctx = Context({}, members, [("All", ""), ("Low", "TRT01AN=1"), ("High", "TRT01AN=2")])
    subjects = np.array(["S1", "S2", "S9", "S4"], dtype=object)  # S9: a value of no member; S3: no values
    subject = np.array([1, 0, 2, 1, 3])
    row, group = _member_rows(subject, subjects, ctx)
    # rows in value order; per row the subject's groups in members order (S2: All then Low; S1: All, High)
    assert row.tolist() == [0, 0, 1, 1, 3, 3]
    assert group.tolist() == [0, 1, 0, 2, 0, 1]
    values = pd.DataFrame({"USUBJID": subjects[subject], "_row": range(5)})
    merged = values.merge(members[members["GROUP"] != "Other"], on="USUBJID")
    assert merged["_row"].tolist() == row.tolist()


def test_background_start_returns_the_child_result_or_raises_its_exception():
    from cdisc_msc.report import background
    frame = pd.DataFrame({"v": [1.0, 2.0]})  # inherited by the forked child, not pickled
    assert background.start(lambda: frame["v"].sum())() == 3.0

    def fails():
        raise ValueError("no ADSL")
    with pytest.raises(ValueError, match="no ADSL"):
        background.start(fails)()


class _NeedsTwoArguments(Exception):
    def __init__(self, what: str, where: str) -> None:
        super().__init__(f"{what} in {where}")


def test_background_error_that_cannot_be_pickled_reaches_the_parent_with_its_message():
    import threading

    from cdisc_msc.report import background

    def two_arguments():
        raise _NeedsTwoArguments("bad value", "ADQS")  # does not unpickle: its constructor takes two arguments

    with pytest.raises(RuntimeError, match="_NeedsTwoArguments: bad value in ADQS"):
        background.start(two_arguments)()

    def unpicklable_result():
        return threading.Lock()

    with pytest.raises(RuntimeError, match="could not send its result"):
        background.start(unpicklable_result)()
