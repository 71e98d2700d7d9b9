"""Vectorised data-as-text helpers of the define: they must give exactly what
the value-by-value reference (``_text_of``) gives, and the consistency check's
column helpers exactly what a per-record computation gives."""
from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_msc.define.consistency import _Columns, _fractional
from cdisc_msc.define.values import (
    Condition, _text_of, _without_special_missing, distinct_keys, format_number, texts_of,
)

EDGE_NUMBERS = [0.0, -0.0, 1.0, -2.0, 0.5, 0.1 + 0.2, 1e-05, 5e-324, 123456.789, 2.0 ** 53 - 1, 2.0 ** 53,
                2.0 ** 53 + 2, 9.2e15 + 0.5, 1e16, 1.7976931348623157e308, -1e300, np.inf, -np.inf, np.nan]


def reference(values) -> list:
    return [_text_of(v) for v in values]


def test_numbers_as_text_match_format_number():
    rng = np.random.default_rng(7)
    numbers = np.concatenate([EDGE_NUMBERS, rng.random(5000) * 10.0 ** rng.integers(-9, 22, 5000),
                              np.round(rng.normal(0, 100, 5000), 2), 1 / np.arange(1, 500)])
    assert texts_of(numbers).tolist() == reference(numbers)
    assert texts_of(numbers.astype(object)).tolist() == reference(numbers)
    with np.errstate(over="ignore"):
        singles = numbers.astype(np.float32)
    assert texts_of(singles).tolist() == reference(singles)
    assert texts_of(np.array([3, -7, 2 ** 60])).tolist() == ["3", "-7", format_number(2 ** 60)]
    assert texts_of(np.array([-0.0, 1e16, 9007199254740994.0])).tolist() == ["-0", "10000000000000000",
                                                                            "9007199254740994"]


def test_text_is_right_stripped_and_special_missings_have_none():
    values = np.array(["a", "a  ", " a ", "", "   ", ".", ".A", "._", ". ", "..", ".AB", "é ", "b\x00", "x\x00 ",
                       "\t ", "日本 "], dtype=object)
    assert texts_of(values).tolist() == reference(values)
    assert texts_of(values).tolist()[:12] == ["a", "a", " a", None, None, None, None, None, None, None, ".AB", "é"]


def test_mixed_and_empty_columns_go_value_by_value():
    mixed = np.array(["b ", 1.0, True, np.int64(4)], dtype=object)
    assert texts_of(mixed).tolist() == ["b", "1", "True", "4"]
    assert texts_of(np.array([True, False])).tolist() == ["True", "False"]
    assert texts_of(np.zeros(0, dtype=object)).tolist() == []


def test_special_missing_text_is_missing_for_numbers():
    assert _without_special_missing(pd.Series([".A", "2", ".", ". "], dtype=object)).tolist() == [None, "2", None, None]
    assert _without_special_missing(pd.Series([".B", 3.0], dtype=object)).tolist() == [None, 3.0]


def test_fractional_counts_numbers_with_decimals_across_slices():
    x = np.round(np.random.default_rng(1).random(200_000) * 10)
    x[::3] = np.nan
    x[[70_000, 150_001]] = [1.5, -2.25]
    assert _fractional(pd.Series(x)) == (2, 1.5)
    assert _fractional(pd.Series([np.inf, 1.0, np.nan])) == (0, None)
    assert _fractional(pd.Series([".A", "1.5", None], dtype=object)) == (1, 1.5)
    assert _fractional(pd.Series([], dtype=float)) == (0, None)


def test_distinct_keys_by_table_and_by_hashing():
    key = np.array([5, 0, 5, 3], dtype=np.int64)
    assert sorted(distinct_keys(key, 6).tolist()) == [0, 3, 5]
    big = np.array([2 ** 40, 7, 2 ** 40], dtype=np.int64)
    assert sorted(distinct_keys(big, 2 ** 41).tolist()) == [7, 2 ** 40]


def test_selected_numbers_by_presence_agree_with_their_codes():
    frame = pd.DataFrame({"TESTCD": ["A", "A", "B", "B", "C"], "N": [1.0, np.nan, np.nan, np.nan, 2.5]})
    columns = _Columns(frame)
    for code, has_number in (("A", True), ("B", False), ("C", True), ("D", False)):
        conditions = [Condition("TESTCD", "EQ", (code,))]
        assert bool(columns.selected(conditions, "N", presence=True)[:-1].any()) is has_number
        assert columns.used_has_values("N", columns.selected(conditions, "N")) is has_number
    assert columns.distinct("N") == {"1", "2.5"}
    assert columns.has_values("TESTCD") and columns.has_values("N")


def test_decimals_of_the_distinct_numbers():
    from cdisc_msc.define.values import decimals

    assert decimals(pd.Series([1.0, 2.25, None, 1e-05, np.inf])) == 5
    assert decimals(pd.Series([3.0, -0.0, 120.0])) == 0
    assert decimals(pd.Series([".A", "0.125", "x"], dtype=object)) == 3
    assert decimals(pd.Series([np.nan, None], dtype=object)) is None


def test_most_decimals_agrees_with_the_written_numbers():
    from cdisc_msc.define.values import _most_decimals

    def written(numbers):
        return max(len(t.split(".", 1)[1]) if "." in t else 0 for t in map(format_number, numbers))

    rng = np.random.default_rng(3)
    cases = [np.array(EDGE_NUMBERS[:-1]), np.array([2.675, 1.005]), np.array([5e-324, 1.0]), np.array([1e-25, 0.5]),
             np.array([np.inf, 3.0]), np.array([9007199254740993.0, 0.5])]
    cases += [np.round(rng.normal(0, 10.0 ** rng.integers(-3, 8), 50), rng.integers(0, 18)) for _ in range(100)]
    cases += [rng.normal(0, 1, 20) / 10.0 ** rng.integers(0, 25) for _ in range(100)]
    for numbers in cases:
        assert _most_decimals(numbers) == written(numbers), numbers[:5]
