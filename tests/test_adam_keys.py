"""Integer join/group keys (cdisc_msc.adam.keys) and the integer sort of windows.extreme_mask:
they must give exactly what the pandas merge / sort / group-by they replace gave."""
import numpy as np
import pandas as pd
import pytest

from cdisc_msc.adam import windows as w
from cdisc_msc.adam.keys import key_codes, lookup_rows, take_rows


def test_key_codes_equal_values_equal_codes_across_frames_missing_equal():
    a = pd.DataFrame({"U": ["S1", "S2", None, "S1"], "V": [1.0, 1.0, np.nan, 2.0]})
    b = pd.DataFrame({"U": pd.Series(["S1", None], dtype="str"), "V": [2.0, np.nan]})
    ca, cb = key_codes([a, b], ["U", "V"])
    assert len(set(ca.tolist())) == 4
    assert cb[0] == ca[3] and cb[1] == ca[2]  # str vs object, missing vs missing


def test_key_codes_sorted_follow_key_order_missing_last():
    a = pd.DataFrame({"U": ["S2", "S1", "S2", "S1", None], "V": [2.0, 9.0, 1.0, 1.0, 1.0]})
    (codes,) = key_codes([a], ["U", "V"], sort=True)
    assert np.argsort(codes, kind="stable").tolist() == [3, 1, 2, 0, 4]


def test_key_codes_are_the_mixed_radix_of_the_sorted_column_codes():
    # U: S1 0, S2 1, missing 2 (3 codes); V: 1.0 0, 2.0 1, 9.0 2 (3 codes) -> U * 3 + V, sorted or not
    a = pd.DataFrame({"U": ["S2", "S1", "S2", "S1", None], "V": [2.0, 9.0, 1.0, 1.0, 1.0]})
    assert key_codes([a], ["U", "V"], sort=True)[0].tolist() == [4, 2, 3, 0, 6]
    ca, cb = key_codes([a.iloc[:2], a.iloc[2:]], ["U", "V"])
    assert ca.tolist() == [4, 2] and cb.tolist() == [3, 0, 6]


def test_key_codes_one_column_no_column_no_row():
    a = pd.DataFrame({"U": ["S2", None, "S1"]})
    assert key_codes([a], ["U"], sort=True)[0].tolist() == [1, 2, 0]
    assert key_codes([a], [])[0].tolist() == [0, 0, 0]
    (none,) = key_codes([a.iloc[:0]], ["U"], sort=True)
    assert none.dtype == np.int64 and none.tolist() == []


def test_lookup_rows_matches_left_merge_one_and_two_keys():
    left = pd.DataFrame({"U": ["a", "b", None, "z", "a"], "P": ["x", "y", "x", "x", "y"]})
    right = pd.DataFrame({"U": ["a", "b", np.nan, "a"], "P": ["x", "y", "x", "y"]})
    merged = left.merge(right.reset_index(), on=["U", "P"], how="left")["index"].fillna(-1).astype(int)
    assert lookup_rows(left, right, ["U", "P"]).tolist() == merged.tolist() == [0, 1, 2, -1, 3]
    one = pd.DataFrame({"U": ["b", "a"]})
    assert lookup_rows(left, one, ["U"]).tolist() == [1, 0, -1, -1, 1]


@pytest.mark.parametrize("values", [
    pd.Series([1, 2]), pd.Series([1.5, 2.5]), pd.Series(["x", None], dtype=object), pd.Series(["x", "y"], dtype="str"),
    pd.Series([True, False]), pd.array([1, None], dtype="Int64"), pd.to_datetime(pd.Series(["2020-01-01", None])),
])
@pytest.mark.parametrize("keys", [["a", "b", "a"], ["a", "zz"]])
def test_take_rows_gives_the_left_merge_column_and_dtype(values, keys):
    right = pd.DataFrame({"K": ["a", "b"], "C": values})
    left = pd.DataFrame({"K": keys}, index=[7, 8, 9][:len(keys)])
    expected = left.merge(right, on="K", how="left")["C"]
    got = take_rows(right["C"], lookup_rows(left, right, ["K"]), left.index)
    assert got.dtype == expected.dtype
    assert got.index.tolist() == left.index.tolist()
    pd.testing.assert_series_equal(got.reset_index(drop=True), expected, check_names=False)


def _pandas_extreme(df, by, order, mode, na_position):
    cols = [c if isinstance(c, str) else c[0] for c in order]
    asc = [True if isinstance(c, str) else c[1] for c in order]
    srt = df.sort_values(cols, ascending=asc, kind="stable", na_position=na_position)
    g = srt.groupby(by, sort=False, dropna=False)
    return df.index.isin((g.head(1) if mode == "first" else g.tail(1)).index)


@pytest.mark.parametrize("mode", ["first", "last"])
@pytest.mark.parametrize("na_position", ["first", "last"])
def test_extreme_mask_matches_pandas_sort_and_group_by(mode, na_position):
    rng = np.random.default_rng(3)
    n = 400
    df = pd.DataFrame({"U": rng.choice(["S1", "S2", "S3", None], n), "P": rng.choice(["A", "B"], n),
                       "D": pd.array(np.where(rng.random(n) < 0.1, np.nan, rng.integers(0, 5, n)), dtype="Float64"),
                       "S": rng.integers(0, 3, n).astype(float)})
    order = [("D", False), "S"]
    assert w.extreme_mask(df, ["U", "P"], order, mode, na_position).tolist() == \
        _pandas_extreme(df, ["U", "P"], order, mode, na_position).tolist()


def test_stable_order_packs_or_falls_back_to_lexsort_with_the_same_order():
    rng = np.random.default_rng(5)
    keys = [rng.integers(0, 3, 50), rng.integers(0, 4, 50)]
    expected = np.lexsort(keys[::-1])
    assert w._stable_order(keys).tolist() == expected.tolist()
    huge = [k * 2 ** 40 for k in keys]  # spans too large to pack into one int64
    assert w._stable_order(huge).tolist() == expected.tolist()


def test_extreme_mask_empty_frame():
    assert w.extreme_mask(pd.DataFrame({"U": [], "D": []}), ["U"], ["D"]).tolist() == []
