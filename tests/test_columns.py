"""The shared column factorisation (cdisc_msc.io.columns): exact codes and distinct values on the fast paths."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdisc_msc.io.columns import (
    IDENTITY_SAMPLE, ROW_CHUNK, _factorize_float, factorize_column, factorize_numbers, row_of_each, run_starts, spread,
    spread_runs,
)


def test_float_factorisation_equals_pandas_on_zeros_nan_and_repeats():
    """Bit patterns hashed as integers: -0.0 and 0.0 are one value, NaN is code -1, first-seen order kept."""
    values = np.array([2.5, -0.0, 0.0, 2.5, 1e300, -7.0, 0.0, 1e300])
    codes, uniques = _factorize_float(values)
    assert codes.tolist() == [0, 1, 1, 0, 2, 3, 1, 2]
    assert uniques.tolist() == [2.5, -0.0, 1e300, -7.0]
    with_nan = np.array([np.nan, 3.0, np.nan, 3.0, 4.0])
    codes, uniques = _factorize_float(with_nan)
    assert codes.tolist() == [-1, 0, -1, 0, 1] and uniques.tolist() == [3.0, 4.0]


def test_float_factorisation_equals_pandas_on_random_columns():
    rng = np.random.default_rng(7)
    for size in (0, 1, 1000):
        values = rng.integers(-3, 4, size).astype(float) / 2
        values[rng.random(size) < 0.1] = -0.0
        for data in (values, np.where(rng.random(size) < 0.2, np.nan, values)):
            codes, uniques = _factorize_float(data)
            expected_codes, expected_uniques = pd.factorize(data, use_na_sentinel=True)
            assert codes.tolist() == expected_codes.tolist()
            assert np.array_equal(uniques, expected_uniques)


def test_text_shared_objects_and_equal_copies_factorise_by_value():
    """One object per value (the identity shortcut) and equal values held by distinct objects."""
    shared = ["MSC-SLE-001-00001", "MSC-SLE-001-00002", None]
    f = factorize_column(pd.Series([shared[i % 3] for i in range(5000)], dtype=object))
    assert f.codes[:4].tolist() == [0, 1, -1, 0] and f.uniques.tolist() == shared[:2]
    copies = pd.Series(["".join(["A", "B"]) for _ in range(5000)] + ["C"], dtype=object)  # equal, distinct objects
    f = factorize_column(copies)
    assert set(f.codes[:5000].tolist()) == {0} and f.codes[-1] == 1 and f.uniques.tolist() == ["AB", "C"]


@pytest.mark.parametrize("size", [0, 1, 7, IDENTITY_SAMPLE, IDENTITY_SAMPLE + 1, 3 * IDENTITY_SAMPLE])
def test_text_of_any_length_factorises_as_pandas(size):
    """Up to IDENTITY_SAMPLE values are hashed by value at once, longer columns choose by a sample:
    the same codes and values, with shared and copied objects, missing values and non-ASCII text."""
    pool = ["Fièvre", "".join(["Fi", "èvre"]), None, "AB", np.nan, pd.NA, "".join(["A", "B"]), "é "]
    values = pd.Series([pool[(i * 5) % 7 if i % 3 else 0] for i in range(size)], dtype=object)
    f = factorize_column(values)
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    assert f.codes.tolist() == codes.tolist() and f.uniques.tolist() == uniques.tolist()


def test_one_object_throughout_is_one_value_or_all_missing():
    f = factorize_column(pd.Series(["MSC-SLE"] * 5, dtype=object))
    assert f.codes.tolist() == [0] * 5 and f.uniques.tolist() == ["MSC-SLE"] and not f.has_missing
    f = factorize_column(pd.Series([None] * 3, dtype=object))
    assert f.codes.tolist() == [-1] * 3 and f.uniques.tolist() == [] and f.has_missing


def test_pd_na_among_equal_texts_is_missing_not_an_error():
    # 1,000 equal texts as separate objects (as a CSV parser or a string operation makes them) and one pd.NA:
    # the constant-column shortcut must not trip over NA's truth value; NA gets code -1
    values = [("YES" + str(i))[:3] for i in range(1000)]
    values[500] = pd.NA
    f = factorize_column(pd.Series(values, dtype=object))
    assert f.codes.tolist() == [0] * 500 + [-1] + [0] * 499
    assert f.uniques.tolist() == ["YES"]


def test_sorted_data_factorised_by_runs_equals_pandas():
    """Few runs of equal adjacent values (sorted data) take the run path; codes and distinct values
    (first-seen order) are those of pd.factorize, with NaN, -0.0, None and equal values held by
    distinct objects in different runs."""
    rng = np.random.default_rng(11)
    lengths = rng.integers(1, 30, 400)
    floats = np.repeat(rng.choice([1.0, 2.5, -0.0, 0.0, np.nan, 1e300], 400), lengths)
    ints = np.repeat(rng.integers(-5, 5, 400), lengths)
    texts = np.repeat(np.array(["".join(["U", str(i % 37)]) if i % 11 else None for i in range(400)], dtype=object),
                      lengths)  # "U1" in two runs: two objects with one value
    assert run_starts(floats) is not None  # the run path is what is tested
    for data in (floats, np.where(np.isnan(floats), 3.0, floats), ints, texts):
        f = factorize_column(pd.Series(data))
        expected_codes, expected_uniques = pd.factorize(data, use_na_sentinel=True)
        assert f.codes.tolist() == expected_codes.tolist()
        assert [str(u) for u in np.asarray(f.uniques)] == [str(u) for u in np.asarray(expected_uniques)]


def test_run_starts_only_for_few_runs_and_spread_runs_gives_the_rows_back():
    """Runs are taken when they are at most half the rows; spreading the run codes gives each row its code."""
    keys = np.array([4, 4, 4, 9, 9, 4, 4, 4])
    starts = run_starts(keys)
    assert starts.tolist() == [0, 3, 5]
    spread_codes = spread_runs(np.array([0, 1, 0]), 2, starts, len(keys))
    assert spread_codes.tolist() == [0, 0, 0, 1, 1, 0, 0, 0] and spread_codes.dtype == np.int8
    assert run_starts(np.array([1, 2, 1, 2])) is None  # a run per row: hashing every row is cheaper
    assert run_starts(np.zeros(0)) is None and run_starts(np.array([3])) is None  # nothing to compare
    codes, uniques = factorize_numbers(np.array([2.0, 2.0, np.nan, np.nan, 2.0, 2.0, 2.0, 2.0]))
    assert codes.tolist() == [0, 0, -1, -1, 0, 0, 0, 0] and uniques.tolist() == [2.0]  # NaN: code -1
    codes, uniques = factorize_numbers(np.zeros(0, dtype=np.int64))
    assert codes.tolist() == [] and uniques.tolist() == []


def test_spread_puts_per_value_results_on_the_rows_and_missing_last():
    codes = np.array([1, -1, 0, 1], dtype=np.int8)
    assert spread(np.array([True, False]), codes, False).tolist() == [False, False, True, False]
    assert spread(np.array(["a", "b"], dtype=object), codes, "").tolist() == ["b", "", "a", "b"]
    assert spread(np.array([2, 0], dtype=np.intp), codes, -1).tolist() == [0, -1, 2, 0]
    assert spread(np.array(["a"], dtype=object), np.array([0, -1]), None).tolist() == ["a", None]
    assert spread(np.zeros(0, dtype=bool), np.array([-1, -1]), True).tolist() == [True, True]  # all missing
    assert spread(np.array([5]), np.zeros(0, dtype=np.intp), 0).tolist() == []  # no rows


def test_row_of_each_gives_the_first_or_last_row_of_each_code():
    codes = np.array([1, 1, 0, 1, 2, 0], dtype=np.int8)
    assert row_of_each(codes, 3).tolist() == [2, 0, 4]
    assert row_of_each(codes, 3, last=True).tolist() == [5, 3, 4]
    assert row_of_each(np.array([0]), 1).tolist() == row_of_each(np.array([0]), 1, last=True).tolist() == [0]
    for last in (False, True):
        assert row_of_each(np.zeros(0, dtype=np.int8), 0, last=last).tolist() == []  # no rows


def test_row_of_each_across_scatter_chunks_equals_a_group_by():
    """Codes whose first and last rows lie in different chunks, a chunk's last row, a code only in the last chunk."""
    n = 2 * ROW_CHUNK + 5
    codes = np.zeros(n, dtype=np.int16)
    codes[ROW_CHUNK - 1:] = 1  # code 1 from the last row of the first chunk on
    codes[n - 2] = 2
    codes[ROW_CHUNK + 3] = 0  # code 0 again in the second chunk
    assert row_of_each(codes, 3).tolist() == [0, ROW_CHUNK - 1, n - 2]
    assert row_of_each(codes, 3, last=True).tolist() == [ROW_CHUNK + 3, n - 1, n - 2]
    many = pd.factorize(np.random.default_rng(5).integers(0, 1000, 3 * ROW_CHUNK + 7))[0]
    groups = pd.Series(np.arange(len(many))).groupby(many)
    assert row_of_each(many, 1000).tolist() == groups.min().tolist()
    assert row_of_each(many.astype(np.int16), 1000, last=True).tolist() == groups.max().tolist()


def test_row_of_each_refuses_a_negative_code():
    with pytest.raises(ValueError, match="code -1 is negative"):
        row_of_each(np.array([0, -1, 1, 0]), 2)


def test_row_of_each_refuses_a_code_no_row_holds():
    # code 1 of 0..2 is absent: before the guard its slot held whatever np.empty left there
    with pytest.raises(ValueError, match="code 1 occurs in no row"):
        row_of_each(np.array([0, 2, 2, 0]), 3)
