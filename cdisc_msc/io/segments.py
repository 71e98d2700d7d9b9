"""Adjacent columns packed from one table of their value combinations: the piece the XPT and
Dataset-JSON writers share to lay out their records.

A writer factorises each column (row i holds distinct value ``codes[i]``, -1 a missing
value) and renders each distinct value once as bytes: a ``Table`` (one row per distinct
value, plus a last row for the missing value when the column has one). Adjacent columns
whose tables multiply to few rows are combined into one table of every combination
(``merge_adjacent``), so one gather per record writes them all; ``Segment.codes`` gives
each record's row in the combined table.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

PAD = 0
"""Byte filling the rows of a combined table past their length (always overwritten by the writers)."""


@dataclass(frozen=True)
class Table:
    """Byte values of one column or of adjacent columns: ``data`` is a (rows, width) uint8 table,
    row r holding ``lengths[r]`` bytes followed by padding; ``lengths`` None: every row takes the
    whole width (fixed-width values, e.g. XPT record bytes)."""

    data: np.ndarray
    lengths: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.data)

    def row_lengths(self) -> np.ndarray:
        """The byte length of each row.

        >>> Table(np.zeros((2, 8), dtype=np.uint8)).row_lengths().tolist()
        [8, 8]
        """
        return np.full(len(self.data), self.data.shape[1], dtype=np.int64) if self.lengths is None else self.lengths

    def missing_first(self) -> "Table":
        """The last row (a missing value's) moved first: in a combined table code -1 becomes 0.

        >>> Table(np.array([[1], [2], [0]], dtype=np.uint8)).missing_first().data.ravel().tolist()
        [0, 1, 2]
        """
        return Table(np.roll(self.data, 1, axis=0), None if self.lengths is None else np.roll(self.lengths, 1))


def combine(left: Table, right: Table) -> Table:
    """Every row of ``left`` followed by every row of ``right`` (left major), the right bytes placed
    right after the left row's length: the widest combination is the widest left + the widest right.

    >>> t = combine(Table(np.array([[7, 0], [8, 9]], dtype=np.uint8), np.array([1, 2])),
    ...             Table(np.array([[1], [2]], dtype=np.uint8)))
    >>> t.data.tolist(), t.lengths.tolist()
    ([[7, 1, 0], [7, 2, 0], [8, 9, 1], [8, 9, 2]], [2, 2, 3, 3])
    """
    a, b = left.data, right.data
    rows, width = len(a) * len(b), a.shape[1] + b.shape[1]
    if left.lengths is None or bool((left.lengths == a.shape[1]).all()):  # the right bytes follow each left row
        data = np.concatenate([np.repeat(a, len(b), axis=0), np.tile(b, (len(a), 1))], axis=1)
        if left.lengths is None and right.lengths is None:
            return Table(data)
        return Table(data, np.repeat(left.row_lengths(), len(b)) + np.tile(right.row_lengths(), len(a)))
    out = np.full((rows, width), PAD, dtype=np.uint8)
    out[:, :a.shape[1]] = np.repeat(a, len(b), axis=0)
    starts = np.repeat(left.lengths, len(b))  # the right row goes right after the left one, over its padding
    items = np.tile(np.ascontiguousarray(b).view(f"V{b.shape[1]}").reshape(-1), len(a))
    at_offsets(out.reshape(-1), b.shape[1])[np.arange(rows) * width + starts] = items
    return Table(out, starts + np.tile(right.row_lengths(), len(a)))


def at_offsets(buffer: np.ndarray, width: int) -> np.ndarray:
    """``buffer`` (uint8) as overlapping ``V<width>`` items, item p starting at byte p: writing
    item p writes ``width`` bytes at offset p.

    >>> buf = np.zeros(4, dtype=np.uint8); at_offsets(buf, 2)[1] = np.void(b"ab"); bytes(buf)
    b'\\x00ab\\x00'
    """
    return np.ndarray(shape=(len(buffer) - width + 1,), dtype=f"V{width}", buffer=buffer, strides=(1,))


@dataclass(frozen=True)
class Member:
    """One column of a segment: its codes per record (-1: missing), the rows of its table and
    whether code -1 is used (its table then ends with the missing value's row)."""

    codes: np.ndarray
    rows: int
    missing: bool


def combined_codes(members: list[Member], start: int, stop: int) -> np.ndarray:
    """Records ``start:stop``: each one's row in the table combining ``members`` (left major;
    in a combination a missing value's row comes first, so code -1 counts as 0).

    The rows are summed Horner-wise with the +1 of the missing values folded into one
    constant, in int32 when the table has fewer than 2**31 rows (always, in practice):
    half the memory traffic of int64, the bulk of the cost.

    >>> combined_codes([Member(np.array([0, 1, -1]), 3, True), Member(np.array([1, 0, 1]), 2, False)], 0, 3).tolist()
    [3, 4, 1]
    >>> combined_codes([Member(np.array([0, -1]), 2, True)], 0, 2).tolist()  # alone: -1 is the last row
    [0, -1]
    """
    first, *rest = members
    if not rest:
        return first.codes[start:stop]
    rows = math.prod(member.rows for member in members)
    out = first.codes[start:stop].astype(np.int32 if rows < 2 ** 31 else np.int64)
    shift = int(first.missing)
    for member in rest:
        out *= member.rows
        out += member.codes[start:stop]
        shift = shift * member.rows + int(member.missing)
    if shift:
        out += shift
    return out


@dataclass(frozen=True)
class Segment:
    """Adjacent columns (``columns``: their positions) packed as one item per record: ``items``
    (``V<width>``) holds every combination of their values, padded to the widest, with their true
    ``lengths`` (None: all take the width), indexed by ``codes``. A column without a table is a
    segment alone with no items."""

    columns: range
    members: list[Member]
    items: np.ndarray | None
    lengths: np.ndarray | None
    _cut: dict[int, np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    @property
    def width(self) -> int:
        return 0 if self.items is None else self.items.dtype.itemsize

    def codes(self, start: int, stop: int) -> np.ndarray:
        """Records ``start:stop``: the index of each record's combination in ``items``."""
        return combined_codes(self.members, start, stop)

    def gather(self, codes: np.ndarray, length: int | None = None) -> np.ndarray:
        """The items of ``codes`` (``codes(start, stop)``), cut to ``length`` bytes when given.

        ``np.take``: two to three times faster than fancy indexing on ``V<width>`` items.

        >>> seg = merge_adjacent([(Member(np.array([1, 0]), 2, False), Table(np.array([[65, 66], [67, 68]], np.uint8)))], 9, 2)[0]
        >>> seg.gather(np.array([1, 1, 0])).tolist(), seg.gather(np.array([0]), 1).tolist()
        ([b'CD', b'CD', b'AB'], [b'A'])
        """
        return np.take(self.items if length is None else self.cut(length), codes)

    def cut(self, length: int) -> np.ndarray:
        """The items cut to ``length`` bytes (``V<length>``): the rows of that length, unpadded."""
        if length not in self._cut:
            table = self.items.view(np.uint8).reshape(len(self.items), self.width)[:, :length]
            self._cut[length] = np.ascontiguousarray(table).view(f"V{length}").reshape(-1)
        return self._cut[length]


def merge_adjacent(columns: list[tuple[Member, Table] | None], most: int, records: int) -> list[Segment]:
    """The columns in order, packed left to right into segments: a column joins the segment before
    it while their tables multiply to at most ``most`` rows, or to ``records`` when that is fewer
    (the records the segments serve: a table larger than them costs more to build than it saves;
    the Dataset-JSON writer, whose tables cost more to build, passes a quarter of its records), or
    to the larger of the two tables. A column given as None (no table) is a segment alone.

    >>> one = (Member(np.array([0, 1]), 2, False), Table(np.array([[65], [66]], dtype=np.uint8)))
    >>> [(s.columns, s.items.tolist()) for s in merge_adjacent([one, one], most=4, records=10)]
    [(range(0, 2), [b'AA', b'AB', b'BA', b'BB'])]
    >>> [s.columns for s in merge_adjacent([one, None, one], most=4, records=2)]
    [range(0, 1), range(1, 2), range(2, 3)]
    """
    limit = min(most, records)
    packed: list[tuple[int, list[Member], Table | None]] = []
    for j, column in enumerate(columns):
        if column is None:
            packed.append((j, [], None))
            continue
        member, table = column
        previous = packed[-1] if packed else None
        if previous is not None and previous[2] is not None and \
                len(previous[2]) * len(table) <= max(limit, len(previous[2]), len(table)):
            first, members, combined = previous
            if len(members) == 1 and members[0].missing:
                combined = combined.missing_first()
            packed[-1] = (first, members + [member], combine(combined, table.missing_first() if member.missing else table))
        else:
            packed.append((j, [member], table))
    return [
        Segment(range(first, first + max(len(members), 1)), members, None, None) if table is None else
        Segment(range(first, first + len(members)), members,
                np.ascontiguousarray(table.data).view(f"V{table.data.shape[1]}").reshape(-1), table.lengths)
        for first, members, table in packed
    ]


__all__ = ["Member", "Segment", "Table", "at_offsets", "combine", "combined_codes", "merge_adjacent"]
