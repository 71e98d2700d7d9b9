"""The merge of adjacent columns into one table of value combinations, shared by the XPT and
Dataset-JSON writers (``cdisc_msc.io.segments``): worked out by hand on tiny tables."""
from __future__ import annotations

import numpy as np

from cdisc_msc.io.segments import Member, Table, combine, combined_codes, merge_adjacent


def _fixed(*rows: bytes) -> Table:
    return Table(np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(len(rows), len(rows[0])))


def _rows(items: np.ndarray, lengths: np.ndarray) -> list[bytes]:
    return [bytes(item)[:k] for item, k in zip(items, lengths)]


def test_no_columns_no_segments():
    assert merge_adjacent([], most=100, records=10) == []


def test_one_column_is_its_own_segment_and_code_minus_one_is_its_last_row():
    """Alone, a column keeps its table as given: the missing row last, reached by code -1."""
    codes = np.array([1, -1, 0, 1])
    [segment] = merge_adjacent([(Member(codes, 3, True), _fixed(b"A", b"B", b" "))], most=100, records=4)
    assert segment.columns == range(0, 1)
    assert segment.items[segment.codes(0, 4)].tolist() == [b"B", b" ", b"A", b"B"]
    assert segment.codes(1, 3).tolist() == [-1, 0]  # a slice of the records


def test_two_columns_with_missing_values_combined_left_major():
    """X: values x, y + missing; Y: values 1, 2, 3 + missing. In the 3 x 4 = 12 combinations each
    column's missing row comes first, so record (x, 3) is row (0 + 1) * 4 + (2 + 1) = 7."""
    x = Member(np.array([0, 1, -1, 0]), 3, True)
    y = Member(np.array([2, -1, 0, 1]), 4, True)
    [segment] = merge_adjacent([(x, _fixed(b"x", b"y", b"-")), (y, _fixed(b"1", b"2", b"3", b"."))],
                               most=100, records=12)
    assert segment.columns == range(0, 2)
    assert segment.codes(0, 4).tolist() == [7, 8, 1, 6]
    assert segment.items[segment.codes(0, 4)].tolist() == [b"x3", b"y.", b"-1", b"x2"]
    assert segment.items.tolist()[:4] == [b"-.", b"-1", b"-2", b"-3"]


def test_columns_split_where_the_combinations_pass_the_limit():
    """Tables of 2, 3 and 2 rows, limit 6: the first two combine (6 rows), the third (6 x 2 = 12) starts anew."""
    a, b, c = (Member(np.zeros(6, dtype=np.int64), k, False) for k in (2, 3, 2))
    segments = merge_adjacent([(a, _fixed(b"a", b"b")), (b, _fixed(b"1", b"2", b"3")), (c, _fixed(b"p", b"q"))],
                              most=6, records=100)
    assert [s.columns for s in segments] == [range(0, 2), range(2, 3)]
    assert segments[0].items.tolist() == [b"a1", b"a2", b"a3", b"b1", b"b2", b"b3"]


def test_few_records_limit_the_combinations():
    """Four records: no combined table larger than the records (2 x 3 = 6 > 4), whatever ``most``."""
    a, b = Member(np.zeros(4, dtype=np.int64), 2, False), Member(np.zeros(4, dtype=np.int64), 3, False)
    segments = merge_adjacent([(a, _fixed(b"a", b"b")), (b, _fixed(b"1", b"2", b"3"))], most=1000, records=4)
    assert [s.columns for s in segments] == [range(0, 1), range(1, 2)]


def test_a_column_without_table_stands_alone_between_segments():
    one = (Member(np.array([0, 0]), 1, False), _fixed(b"k"))
    segments = merge_adjacent([one, one, None, one], most=100, records=2)
    assert [s.columns for s in segments] == [range(0, 2), range(2, 3), range(3, 4)]
    assert segments[1].items is None and segments[1].width == 0
    assert segments[0].items.tolist() == [b"kk"] and segments[2].width == 1


def test_varied_widths_follow_each_left_value():
    """Variable-width left rows (JSON tokens): the right bytes follow each left row's length."""
    left = Table(np.array([[ord("["), ord("1"), 0], [ord("["), ord("2"), ord("2")]], dtype=np.uint8),
                 np.array([2, 3]))
    right = Table(np.frombuffer(b",a],]\0", dtype=np.uint8).reshape(2, 3), np.array([3, 2]))
    both = combine(left, right)
    assert both.lengths.tolist() == [5, 4, 6, 5]
    assert _rows(both.data, both.lengths) == [b"[1,a]", b"[1,]", b"[22,a]", b"[22,]"]


def test_combined_codes_without_missing_values():
    """Codes 0..rows-1 in each column: row = left * rows(right) + right."""
    members = [Member(np.array([1, 0, 1], dtype=np.int8), 2, False), Member(np.array([2, 0, 1]), 3, False)]
    assert combined_codes(members, 0, 3).tolist() == [5, 0, 4]
    assert combined_codes(members, 2, 2).tolist() == []  # no records


def test_cut_items_keep_only_their_length():
    x = Member(np.array([0, 1]), 2, False)
    table = Table(np.frombuffer(b"ab\0cde", dtype=np.uint8).reshape(2, 3), np.array([2, 3]))
    [segment] = merge_adjacent([(x, table)], most=10, records=2)
    assert segment.cut(2).tolist() == [b"ab", b"cd"]
    assert segment.cut(2) is segment.cut(2)  # cut once, kept


def test_fixed_width_tables_combine_without_lengths_and_mixed_ones_with():
    """XPT values take their whole width (no lengths kept); a fixed left before a padded right
    gives each combination the left width plus the right row's length."""
    fixed = combine(_fixed(b"ab", b"cd"), _fixed(b"1", b"2"))
    assert fixed.lengths is None and fixed.row_lengths().tolist() == [3, 3, 3, 3]
    assert _rows(fixed.data, fixed.row_lengths()) == [b"ab1", b"ab2", b"cd1", b"cd2"]
    right = Table(np.frombuffer(b"x\0yz", dtype=np.uint8).reshape(2, 2), np.array([1, 2]))
    mixed = combine(_fixed(b"a", b"b"), right)
    assert mixed.lengths.tolist() == [2, 3, 2, 3]
    assert _rows(mixed.data, mixed.lengths) == [b"ax", b"ayz", b"bx", b"byz"]


def test_combined_codes_of_three_members_fold_the_missing_values():
    """Rows 2 (+ missing), 3, 2 (+ missing): row = ((a + 1) * 3 + b) * 3 + (c + 1)."""
    members = [Member(np.array([-1, 1, 0]), 3, True), Member(np.array([2, 0, 1]), 3, False),
               Member(np.array([1, -1, 0]), 3, True)]
    assert combined_codes(members, 0, 3).tolist() == [8, 18, 13]
    assert combined_codes(members, 0, 3).dtype == np.int32
