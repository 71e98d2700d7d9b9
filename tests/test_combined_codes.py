"""combined_key / split_key (io.columns): several columns' codes as one int64 per row, the
callers' variants (missing codes, overflow guard, renumbering) and the way back."""
from __future__ import annotations

import numpy as np
import pytest

from cdisc_msc.io.columns import KEY_LIMIT, combined_key, split_key
from cdisc_msc.spec.apply import combined_codes
from cdisc_msc.validate.checks.util import combine


def test_no_column_gives_one_key_for_every_row():
    assert combined_key([], [], 3).tolist() == [0, 0, 0]
    assert combined_key([], [], 0).tolist() == []


def test_no_row():
    key = combined_key([np.zeros(0, dtype=np.int8), np.zeros(0, dtype=np.int8)], [1, 1], 0)
    assert key.dtype == np.int64 and key.tolist() == []


def test_one_column_with_missing_codes():
    assert combined_key([np.array([-1, 0, 2])], [4], 3).tolist() == [0, 1, 3]


def test_two_columns_first_most_significant():
    # digits code + 1 in radix (3, 4): (0,1) -> 1*4+2, (-1,2) -> 0*4+3, (1,-1) -> 2*4+0
    key = combined_key([np.array([0, -1, 1]), np.array([1, 2, -1])], [3, 4], 3)
    assert key.tolist() == [6, 3, 8]


def test_without_missing_codes_the_codes_are_the_digits():
    key = combined_key([np.array([1, 0, 1]), np.array([0, 2, 1])], [2, 3], 3, missing=False)
    assert key.tolist() == [3, 2, 4]


def test_keys_order_as_the_tuples_of_codes():
    rng = np.random.default_rng(5)
    a, b, c = rng.integers(-1, 3, 200), rng.integers(-1, 5, 200), rng.integers(-1, 2, 200)
    key = combined_key([a, b, c], [4, 6, 3], 200)
    assert np.argsort(key, kind="stable").tolist() == np.lexsort([c, b, a]).tolist()


def test_small_integer_codes_do_not_wrap():
    top = np.array([127, -1], dtype=np.int8)  # 127 + 1 overflows int8
    assert combined_key([top], [129], 2).tolist() == [128, 0]
    assert combined_key([top, top], [129, 129], 2).tolist() == [128 * 129 + 128, 0]


def test_the_codes_are_not_changed():
    codes = np.array([0, 1], dtype=np.int64)
    combined_key([codes, codes], [3, 3], 2)
    assert codes.tolist() == [0, 1]


def test_a_key_that_could_overflow_gives_none():
    half = 2 ** 31
    assert half * half == KEY_LIMIT
    assert combined_key([np.zeros(1, dtype=np.int64)] * 2, [half, half], 1, missing=False) is None
    key = combined_key([np.array([half - 2]), np.array([half - 3])], [half, half - 1], 1, missing=False)
    assert key.tolist() == [(half - 2) * (half - 1) + half - 3]


def test_refactorize_renumbers_the_partial_key_before_it_overflows():
    a, b, c = np.array([2 ** 40 - 1, 0, 2 ** 40 - 1]), np.array([0, 1, 0]), np.array([1, 1, 1])
    key = combined_key([a, b, c], [2 ** 40, 2 ** 30, 2], 3, missing=False, refactorize=True)
    # 2**40 * 2**30 overflows: a's keys 2**40 - 1, 0, 2**40 - 1 become 0, 1, 0; then (0, 2**30 + 1, 0) * 2 + 1
    assert key.tolist() == [1, 2 ** 31 + 3, 1]


def test_refactorize_renumbers_only_when_the_actual_keys_would_overflow():
    # radices 2**40 * 2**30 could overflow, but a's largest code is 5: 6 * 2**30 fits, so no renumbering
    a, b = np.array([5, 0, 5]), np.array([0, 1, 2])
    for mode in (True, "sorted"):
        key = combined_key([a, b], [2 ** 40, 2 ** 30], 3, missing=False, refactorize=mode)
        assert key.tolist() == [5 * 2 ** 30, 1, 5 * 2 ** 30 + 2]


def test_refactorize_sorted_renumbers_in_key_order_so_keys_still_order_as_tuples():
    a, b, c = np.array([2 ** 40 - 1, 0, 2 ** 40 - 1, 7]), np.array([0, 1, 1, 0]), np.array([1, 1, 0, 0])
    radix = [2 ** 40, 2 ** 30, 2]
    # sorted: a's 0, 7, 2**40 - 1 become 0, 1, 2 -> (2, 0, 2, 1) * 2**30 + b, then * 2 + c
    key = combined_key([a, b, c], radix, 4, missing=False, refactorize="sorted")
    assert key.tolist() == [2 ** 32 + 1, 3, 2 ** 32 + 2, 2 ** 31]
    assert np.argsort(key, kind="stable").tolist() == np.lexsort([c, b, a]).tolist() == [1, 3, 0, 2]
    # in order of first row: 2**40 - 1, 0, 7 become 0, 1, 2 -> keys no longer order as the tuples
    key = combined_key([a, b, c], radix, 4, missing=False, refactorize=True)
    assert key.tolist() == [1, 2 ** 31 + 3, 2, 2 ** 32]


def test_refactorize_sorted_with_missing_codes_keeps_missing_first():
    # digits code + 1: a -> 0, 2**40 - 1, 4 (largest + 1 = 2**40: renumbered, sorted, to 0, 2, 1); b -> 1, 0, 1
    a, b = np.array([-1, 2 ** 40 - 2, 3]), np.array([0, -1, 0])
    key = combined_key([a, b], [2 ** 40, 2 ** 30], 3, refactorize="sorted")
    assert key.tolist() == [1, 2 ** 31, 2 ** 30 + 1]


def test_refactorize_sorted_no_row_and_one_column():
    empty = np.zeros(0, dtype=np.int64)
    assert combined_key([empty, empty], [2 ** 40, 2 ** 30], 0, refactorize="sorted").tolist() == []
    assert combined_key([np.array([2 ** 61, 3])], [2 ** 62], 2, missing=False, refactorize="sorted").tolist() \
        == [2 ** 61, 3]  # one column: nothing to renumber before


def test_refactorize_other_values_are_refused():
    with pytest.raises(ValueError, match="refactorize"):
        combined_key([np.array([0])], [1], 1, refactorize="ordered")


def test_split_key_gives_the_codes_back():
    a, b = np.array([0, -1, 1, -1]), np.array([1, 2, -1, -1])
    parts = split_key(combined_key([a, b], [3, 4], 4), [3, 4])
    assert [p.tolist() for p in parts] == [a.tolist(), b.tolist()]
    parts = split_key(np.array([3, 2, 4]), [2, 3], missing=False)
    assert [p.tolist() for p in parts] == [[1, 0, 1], [0, 2, 1]]
    assert [p.tolist() for p in split_key(np.array([0, 2]), [3])] == [[-1, 1]]


def test_combined_codes_counts_no_distinct_value_as_one():
    assert combined_codes([]).tolist() == []
    assert combined_codes([(np.zeros(0, dtype=np.int64), 0), (np.zeros(0, dtype=np.int64), 0)]).tolist() == []


def test_combine_numbers_groups_in_order_of_first_row_even_beyond_62_bits():
    big = np.array([2 ** 40, 0, 2 ** 40, 0])
    assert combine([big, np.array([2 ** 30, 0, 2 ** 30, -1])], 4).tolist() == [0, 1, 0, 2]
    assert combine([], 3).tolist() == [0, 0, 0]
    assert combine([np.array([1, 1, -1, 1]), np.array([0, -1, 0, 0])], 4).tolist() == [0, 1, 2, 0]


def test_refactorize_raises_when_the_renumbered_key_still_cannot_hold_the_next_column():
    # 3 distinct tuples after renumbering, then a column of 2**61 values: 3 * 2**61 >= 2**62
    codes = [np.array([0, 1, 2]), np.array([0, 0, 0]), np.array([1, 0, 1])]
    with pytest.raises(OverflowError, match="distinct key tuples"):
        combined_key(codes, [3, 2 ** 61, 2 ** 61], 3, missing=False, refactorize=True)
