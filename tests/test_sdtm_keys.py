"""Ordering and grouping on integer codes (spec.apply, sdtm.common) agree with
pandas' own sorts and groupbys, missing values included."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdisc_msc.sdtm.common import derive_lobxfl, derive_seq, distinct_values, group_codes, numbers_within
from cdisc_msc.spec.apply import combined_codes, sorted_codes, sort_by_keys, stable_order


def random_frame(n: int = 400, seed: int = 3) -> pd.DataFrame:
    """Text keys (shared and fresh str objects, None, pd.NA) and a float key with NaN."""
    rng = np.random.default_rng(seed)
    subj = np.array(["S-2", "S-10", "S-1", None], dtype=object)[rng.integers(0, 4, n)]
    fresh = np.array([None if v is None else "".join(list(v)) for v in subj], dtype=object)  # equal, not identical
    cat = pd.array(np.array(["B", "A", None], dtype=object)[rng.integers(0, 3, n)], dtype="string")
    visit = np.array([1.0, 2.0, 4.1, np.nan])[rng.integers(0, 4, n)]
    return pd.DataFrame({"USUBJID": pd.Series(fresh, dtype=object), "CAT": cat, "VISITNUM": visit,
                         "_pos": np.arange(n)})


@pytest.mark.parametrize("na_first", [True, False])
def test_stable_order_matches_a_stable_pandas_sort(na_first):
    df = random_frame()
    keys = ["USUBJID", "CAT", "VISITNUM"]
    got = stable_order(df, keys, na_first=na_first)
    want = df.sort_values(keys, kind="mergesort", na_position="first" if na_first else "last")["_pos"]
    assert got is not None
    assert df["_pos"].to_numpy()[got].tolist() == want.tolist()


def test_stable_order_is_none_for_rows_already_in_order():
    df = random_frame().sort_values(["USUBJID", "CAT"], kind="mergesort", na_position="last")
    assert stable_order(df, ["USUBJID", "CAT"], na_first=False) is None
    assert stable_order(df, ["USUBJID", "CAT"], na_first=True) is not None  # missing values now come first


def test_sorted_codes_order_values_and_place_missing():
    codes, n = sorted_codes(pd.Series(["b", pd.NA, "a", "b"], dtype=object), na_first=False)
    assert (codes.tolist(), n) == ([1, 2, 0, 1], 3)
    codes, n = sorted_codes(pd.Series([2.0, 1.0]))
    assert (codes.tolist(), n) == ([1, 0], 2)


def test_combined_codes_gives_up_beyond_63_bits():
    big = (np.zeros(2, dtype=np.int64), 2 ** 40)
    assert combined_codes([big, big]) is None


def test_sort_by_keys_uses_the_spec_keys():
    class Spec:
        keys = ["USUBJID", "VISITNUM", "NOTHERE"]

    df = random_frame()
    got = sort_by_keys(df, Spec())
    want = df.sort_values(["USUBJID", "VISITNUM"], kind="mergesort", na_position="first")
    assert got["_pos"].tolist() == want["_pos"].tolist()
    assert got.index.tolist() == list(range(len(df)))


def test_derive_seq_numbers_within_subject_in_order():
    df = random_frame()
    got = derive_seq(df, "XXSEQ", ["CAT", "VISITNUM"])
    want = df.sort_values(["USUBJID", "CAT", "VISITNUM"], kind="mergesort", na_position="last")
    assert got["_pos"].tolist() == want["_pos"].tolist()
    expected = want.groupby("USUBJID", sort=False).cumcount() + 1
    assert got["XXSEQ"].tolist() == [pd.NA if pd.isna(s) else int(e)
                                     for s, e in zip(want["USUBJID"], expected.reindex(want.index))]


def test_numbers_within_restarts_per_run_and_leaves_missing_empty():
    assert numbers_within(pd.Series(["A", "A", "B", None, None], dtype="string")).tolist() == [1, 2, 1, pd.NA, pd.NA]


def test_distinct_values_round_trip_with_missing():
    for values in (pd.Series(["x", None, "y", "x"], dtype="str"), pd.Series(["x", pd.NA, "x"], dtype=object),
                   pd.Series([1.5, np.nan, 1.5])):
        codes, distinct = distinct_values(values)
        assert distinct.dtype == values.dtype
        assert len(distinct) == values.nunique() + 1  # missing values: one trailing distinct value
        rebuilt = distinct.to_numpy(dtype=object)[codes]
        assert [None if pd.isna(v) else v for v in rebuilt] == [None if pd.isna(v) else v for v in values]


def test_group_codes_mark_missing():
    codes, n = group_codes(pd.Series(["b", None, "a", "b"], dtype="string"))
    assert (codes.tolist(), n) == ([0, -1, 1, 0], 2)


def test_lobxfl_last_eligible_per_group_ties_by_seq_missing_key_never_flagged():
    df = pd.DataFrame({
        "USUBJID": ["S-1", "S-1", "S-1", "S-1", None],
        "XXTESTCD": ["A", "A", "A", "A", "A"],
        "XXSEQ": [1, 2, 3, 4, 5],
        "XXORRES": ["1", "2", "", "4", "5"],
        "XXDTC": ["2024-01-01", "2024-01-03", "2024-01-04", "2024-01-09", "2024-01-01"],
    })
    rfx = pd.Series(["2024-01-05T09:00"] * 5)
    # record 3 is later but empty; records 1-2: the later date wins; record 4 is after the infusion
    got = derive_lobxfl(df, ["USUBJID", "XXTESTCD"], "XXORRES", "XXDTC", rfx, "XXLOBXFL")
    assert got["XXLOBXFL"].tolist() == [pd.NA, "Y", pd.NA, pd.NA, pd.NA]
    tie = df.assign(XXDTC="2024-01-03")
    got = derive_lobxfl(tie.iloc[:2], ["USUBJID", "XXTESTCD"], "XXORRES", "XXDTC", rfx.iloc[:2], "XXLOBXFL")
    assert got["XXLOBXFL"].tolist() == [pd.NA, "Y"]  # same date: the higher --SEQ
