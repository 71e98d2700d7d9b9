"""Columns factorised once and shared: the transliteration, ``from_spec``, the XPT and
Dataset-JSON writers and define.xml all work per distinct value of a column, so
one factorisation per column serves them all.

``factorize_column`` gives a column's codes (-1 = missing) and distinct values.
Text columns are grouped by object identity first (frames built by mapping
codes to labels share their string objects: a cheap integer hash), then by
value over the few distinct objects. ``FrameColumns`` keeps the result per
column of one frame; the frame must not change while its cache is in use.
"""
from __future__ import annotations

import ctypes
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd


def object_addresses(objects: np.ndarray) -> np.ndarray:
    """The PyObject pointers of a contiguous object array, as a uint64 view (no copy).

    Equal pointers mean the same object, hence the same value: factorising
    pointers is a cheap integer hash that groups most repeated values (frames
    built by mapping codes to labels share their string objects).
    """
    address = objects.__array_interface__["data"][0]
    return np.ctypeslib.as_array((ctypes.c_uint64 * len(objects)).from_address(address))


IDENTITY_SAMPLE = 4096
"""Text arrays up to this long are hashed by value at once; of a longer one, this many rows are
sampled to decide whether grouping by object identity pays off."""


def _identity_pays_off(distinct_objects: int, distinct_values: int) -> bool:
    """True when equal values are mostly the same objects (few distinct pointers per value)."""
    return distinct_objects <= 2 * distinct_values + 16


RUN_SHARE = 2
"""Sorted data is factorised run by run when its runs of equal adjacent keys are at most 1/RUN_SHARE of the rows."""


def run_starts(keys: np.ndarray) -> np.ndarray | None:
    """The first row of each run of equal adjacent keys, when there are few runs (sorted data:
    USUBJID, VISITNUM, --DTC), else None. One comparison per row, no hashing.

    >>> run_starts(np.array([7, 7, 7, 2, 2, 7])).tolist()
    [0, 3, 5]
    """
    if len(keys) < 2:
        return None
    starts = keys[1:] != keys[:-1]  # NaN != NaN: each NaN starts a run, which factorize maps to -1
    if (int(np.count_nonzero(starts)) + 1) * RUN_SHARE > len(keys):
        return None
    return np.flatnonzero(np.concatenate(([True], starts)))


def spread_runs(run_codes: np.ndarray, n_uniques: int, starts: np.ndarray, n: int) -> np.ndarray:
    """Each run's code repeated over its rows (``starts`` from ``run_starts``, ``n`` rows), in the
    smallest integer type that holds the ``n_uniques`` codes (no full-length intp array).

    >>> spread_runs(np.array([0, 1, 0]), 2, np.array([0, 3, 5]), 6).tolist()
    [0, 0, 0, 1, 1, 0]
    """
    return np.repeat(small_codes(run_codes, n_uniques), np.diff(starts, append=n))


def factorize_numbers(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize`` (codes -1 = NaN) of a numeric array; sorted data hashes one key per run
    (its codes then come in the smallest integer type that holds them).

    The first row of each value starts a run, so factorising the run starts in order gives
    the same codes and distinct values (in order of first appearance).

    >>> codes, uniques = factorize_numbers(np.array([5, 5, 5, 3, 3, 5]))
    >>> codes.tolist(), uniques.tolist()
    ([0, 0, 0, 1, 1, 0], [5, 3])
    """
    starts = run_starts(keys)
    if starts is None:
        codes, uniques = pd.factorize(keys, use_na_sentinel=True)
        return np.asarray(codes, dtype=np.intp), uniques
    run_codes, uniques = pd.factorize(keys[starts], use_na_sentinel=True)
    return spread_runs(np.asarray(run_codes, dtype=np.intp), len(uniques), starts, len(keys)), uniques


def _factorize_by_identity(objects: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Group by object pointer over all rows, then by value over the distinct objects; the codes,
    distinct values and how many distinct objects there were (whether grouping by pointer paid off).

    >>> a, b = "xy", "".join(["x", "y"])  # two objects of one value
    >>> codes, uniques, objects = _factorize_by_identity(np.array([a, b, a, None], dtype=object))
    >>> codes.tolist(), uniques.tolist(), objects
    ([0, 0, 0, -1], ['xy'], 3)
    """
    by_object, addresses = pd.factorize(object_addresses(objects))
    representative = np.empty(len(addresses), dtype=np.intp)
    representative[by_object] = np.arange(len(objects), dtype=np.intp)
    by_value, uniques = pd.factorize(objects[representative], use_na_sentinel=True)
    if len(uniques) == len(addresses):  # one object per value (the usual case): by_value is 0, 1, 2...
        return np.asarray(by_object, dtype=np.intp), np.asarray(uniques, dtype=object), len(addresses)
    return np.asarray(by_value, dtype=np.intp)[by_object], np.asarray(uniques, dtype=object), len(addresses)


def _factorize_constant(objects: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Codes for a column holding one text value throughout (STUDYID, DOMAIN), else None."""
    first = objects[0]
    if not isinstance(first, str):
        return None
    try:
        same = bool((objects == first).all())
    except TypeError:  # pd.NA compares to NA, which has no truth value: not one value throughout
        return None
    if not same:
        return None
    return np.zeros(len(objects), dtype=np.intp), np.array([first], dtype=object)


def _factorize_text(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes (-1 = missing) and distinct values of a text column, exact and fast.

    Per-row work is kept to an integer hash where possible: repeated values
    that share their string object (frames built by mapping codes to labels)
    are grouped by pointer (run by run in sorted and constant columns), constant
    values of several objects by one comparison; otherwise a plain factorisation
    by value.
    """
    return _factorize_objects(np.ascontiguousarray(values.to_numpy(dtype=object)))


def _factorize_objects(objects: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``_factorize_text`` of a contiguous object array."""
    if len(objects) == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=object)
    starts = run_starts(object_addresses(objects))
    if starts is not None:  # sorted data (one object throughout too: STUDYID, DOMAIN): one object per run
        run_codes, uniques = _factorize_unsorted(objects[starts])  # see factorize_numbers
        return spread_runs(run_codes, len(uniques), starts, len(objects)), uniques
    return _factorize_unsorted(objects)


def _factorize_unsorted(objects: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``_factorize_objects`` of a non-empty object array whose neighbours are mostly different
    objects (unsorted data, or the run starts of sorted data: neighbours never the same object)."""
    if len(objects) <= IDENTITY_SAMPLE:  # few values (small data, run starts): hashing them costs less than choosing
        codes, uniques = pd.factorize(objects, use_na_sentinel=True)
        return np.asarray(codes, dtype=np.intp), np.asarray(uniques, dtype=object)
    sample = objects[:IDENTITY_SAMPLE]
    _, uniques, distinct_objects = _factorize_by_identity(sample)  # the values hashed once per distinct object
    if _identity_pays_off(distinct_objects, len(uniques)):
        return _factorize_by_identity(objects)[:2]
    constant = _factorize_constant(objects)
    if constant is not None:
        return constant
    if pd.isna(sample).mean() > 0.5:  # mostly missing: only the values present
        present = np.flatnonzero(~pd.isna(objects))
        codes = np.full(len(objects), -1, dtype=np.intp)
        if not len(present):
            return codes, np.zeros(0, dtype=object)
        codes[present], uniques = _factorize_objects(objects[present])
        return codes, uniques
    codes, uniques = pd.factorize(objects, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.intp), np.asarray(uniques, dtype=object)


def _factorize_float(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize`` of a float64 array: the same codes (-1 = NaN) and distinct values, faster.

    Without NaN the bit patterns are factorised as integers, which hashes
    about twice as fast; -0.0 and 0.0, two patterns of one value, are then
    grouped over the few distinct patterns. With NaN (payloads differ) the
    plain float factorisation is used.

    >>> codes, uniques = _factorize_float(np.array([0.0, 1.5, -0.0, 2.5]))
    >>> codes.tolist(), uniques.tolist()
    ([0, 1, 0, 2], [0.0, 1.5, 2.5])
    """
    values = np.ascontiguousarray(values)
    if np.isnan(values).any():
        return factorize_numbers(values)
    codes, patterns = factorize_numbers(values.view(np.int64))
    distinct = patterns.view(np.float64)
    if (distinct == 0).sum() > 1:  # both zeros: one value
        by_value, distinct = pd.factorize(distinct)
        codes = np.asarray(by_value, dtype=np.intp)[codes]
    return codes, distinct


def small_codes(codes: np.ndarray, n_uniques: int) -> np.ndarray:
    """The codes in the smallest signed integer type that holds them (a cache keeps less memory).

    >>> small_codes(np.array([0, -1, 1]), 2).dtype
    dtype('int8')
    """
    for dtype in (np.int8, np.int16, np.int32):
        if n_uniques <= np.iinfo(dtype).max:
            return codes.astype(dtype, copy=False)
    return codes


def spread(table: np.ndarray, codes: np.ndarray, missing: Any) -> np.ndarray:
    """``table`` (one entry per distinct value) at ``codes``; code -1 (a missing value) gets ``missing``.

    What is worked out once per distinct value of a column goes to the rows this way. The result has
    the table's dtype, so ``missing`` must fit it (an object or bool table with a like value, not a
    longer string in a fixed-width string table, nor NaN in an integer table).

    >>> spread(np.array([True, False]), np.array([1, -1, 0], dtype=np.int8), False).tolist()
    [False, False, True]
    """
    full = np.empty(len(table) + 1, dtype=table.dtype)
    full[:-1] = table
    full[-1] = missing
    return full.take(codes)  # code -1 takes the last slot; take: faster than [codes] on a column's codes


def rows_with(flagged: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """The rows (0-based) whose distinct value is ``flagged`` (one bool per distinct value); a missing
    value (code -1) never is. What is judged once per distinct value of a column is found in the rows this way.

    >>> rows_with(np.array([False, True]), np.array([1, -1, 0, 1], dtype=np.int8)).tolist()
    [0, 3]
    """
    return np.flatnonzero(spread(np.asarray(flagged, dtype=bool), codes, False))


ROW_CHUNK = 1 << 16
"""Rows scattered at a time by ``row_of_each``: its row numbers stay a few hundred KB."""


def row_of_each(codes: np.ndarray, n_codes: int, *, last: bool = False) -> np.ndarray:
    """The first row holding each code 0..n_codes-1, or with ``last`` the last one (cheaper: for when
    any row of a code will do). The codes are a factorisation's: every code occurs, none is negative.

    A row standing for each group (of a factorisation, a combined key), by a scatter chunk by chunk:
    no row-length index array beside the codes (at 10,000 subjects a column has ~4 million rows, 32 MB
    of row numbers, twice that when the codes are small integers that a scatter converts). For the
    first row the chunks go backwards, each reversed (a contiguous copy: a reversed view scatters at
    half speed), so the earliest row of a code is written last.

    >>> row_of_each(np.array([2, 0, 0, 2, 1], dtype=np.int8), 3).tolist()
    [1, 4, 0]
    >>> row_of_each(np.array([2, 0, 0, 2, 1], dtype=np.int8), 3, last=True).tolist()
    [2, 4, 3]
    """
    if len(codes) and int(codes.min()) < 0:
        raise ValueError(f"row_of_each: code {int(codes.min())} is negative (a missing value's code?)")
    rows = np.full(n_codes, -1, dtype=np.intp)
    starts = range(0, len(codes), ROW_CHUNK)
    for start in starts if last else reversed(starts):
        end = min(start + ROW_CHUNK, len(codes))
        if last:
            rows[codes[start:end].astype(np.intp, copy=False)] = np.arange(start, end, dtype=np.intp)
        else:
            rows[codes[start:end][::-1].astype(np.intp)] = np.arange(end - 1, start - 1, -1, dtype=np.intp)
    if n_codes and int(rows.min()) < 0:
        raise ValueError(f"row_of_each: code {int(np.argmin(rows))} occurs in no row")
    return rows


def is_text_dtype(dtype: Any) -> bool:
    """Object and string columns; numbers and booleans are not.

    >>> is_text_dtype(np.dtype(object)), is_text_dtype(np.dtype(float))
    (True, False)
    """
    return dtype == object or isinstance(dtype, pd.StringDtype)


@dataclass(frozen=True)
class Factorized:
    """One column factorised: row i holds ``uniques[codes[i]]``; code -1 is a missing value.

    Numeric and boolean columns keep what ``pd.factorize`` gives (a numpy or
    extension array); any other column (text) has object ``uniques``.

    >>> f = factorize_column(pd.Series(["b", None, "b", "a"], dtype=object))
    >>> f.codes.tolist(), f.uniques.tolist()
    ([0, -1, 0, 1], ['b', 'a'])
    """

    codes: np.ndarray
    uniques: Any

    @cached_property
    def has_missing(self) -> bool:
        return bool(len(self.codes)) and bool((self.codes < 0).any())


def factorize_column(values: pd.Series) -> Factorized:
    """Codes and distinct values of a column (missing values: NaN, None, pd.NA get code -1)."""
    if values.dtype == np.float64:
        codes, uniques = _factorize_float(values.to_numpy())
    elif pd.api.types.is_numeric_dtype(values.dtype):  # booleans included
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        codes = np.asarray(codes)
    else:
        codes, uniques = _factorize_text(values)
    return Factorized(small_codes(codes, len(uniques)), uniques)


@dataclass(frozen=True)
class TextProperties:
    """The distinct values of a text column right-stripped (a numpy ``str`` array: what the XPT writer
    lays out as bytes, no conversion back to objects), their UTF-8 byte lengths and which are not ASCII."""

    stripped: np.ndarray
    byte_lengths: np.ndarray
    non_ascii: np.ndarray


def text_properties(uniques: np.ndarray) -> TextProperties:
    """Right-strip blanks; byte lengths and non-ASCII mask, vectorised (values must be ``str``).

    >>> p = text_properties(np.array(["a ", "é"], dtype=object))
    >>> p.stripped.tolist(), p.byte_lengths.tolist(), p.non_ascii.tolist()
    (['a', 'é'], [1, 2], [False, True])
    """
    if len(uniques) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return TextProperties(uniques.astype("U"), empty, empty.astype(bool))
    wide = np.strings.rstrip(uniques.astype("U"), " ")
    width = wide.dtype.itemsize // 4
    lengths = np.strings.str_len(wide).astype(np.int64)
    if width == 0:
        return TextProperties(wide, lengths, np.zeros(len(wide), dtype=bool))
    non_ascii = (wide.view(np.uint32).reshape(len(wide), width) > 127).any(axis=1)
    if non_ascii.any():
        lengths[non_ascii] = [len(s.encode("utf-8")) for s in wide[non_ascii]]
    return TextProperties(wide, lengths, non_ascii)


def all_str(uniques: np.ndarray) -> bool:
    """True when every distinct value is a ``str`` (a text column without stray numbers)."""
    return len(uniques) == 0 or pd.api.types.infer_dtype(uniques, skipna=True) in ("string", "empty")


class FrameColumns:
    """Per-column factorisations of one frame, computed on first use and kept.

    Shared by the steps that write one dataset (transliteration, ``from_spec``,
    XPT, Dataset-JSON) and by define.xml, so each column is factorised once.
    The frame must not change while the cache is used.

    >>> cols = FrameColumns(pd.DataFrame({"A": ["x", "y", "x"]}))
    >>> cols.get("A").codes.tolist(), cols.get("A") is cols.get("A")
    ([0, 1, 0], True)
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self._factorized: dict[str, Factorized] = {}
        self._text: dict[str, TextProperties | None] = {}

    def get(self, name: str) -> Factorized:
        """The factorised column ``name`` (KeyError when the frame has no such column)."""
        found = self._factorized.get(name)
        if found is None:
            found = self._factorized[name] = factorize_column(self.frame[name])
        return found

    def text(self, name: str) -> TextProperties | None:
        """Stripped distinct values, byte lengths and non-ASCII flags of a text column whose
        distinct values are all ``str``; None for other columns."""
        if name not in self._text:
            f = self.get(name)
            text = isinstance(f.uniques, np.ndarray) and f.uniques.dtype == object and all_str(f.uniques)
            self._text[name] = text_properties(f.uniques) if text else None
        return self._text[name]

    def moved_to(self, frame: pd.DataFrame, changed: set[str] | frozenset[str] = frozenset()) -> "FrameColumns":
        """This cache for ``frame``, a copy of the frame with only the columns ``changed`` replaced."""
        moved = FrameColumns(frame)
        moved._factorized = {k: v for k, v in self._factorized.items() if k not in changed}
        moved._text = {k: v for k, v in self._text.items() if k not in changed}
        return moved


def columns_for(frame: pd.DataFrame, columns: FrameColumns | None) -> FrameColumns:
    """``columns`` when it is the cache of ``frame``, else a new cache."""
    return columns if columns is not None and columns.frame is frame else FrameColumns(frame)


KEY_LIMIT = 1 << 62
"""Bound of a combined key: an int64 with room to spare."""


def combined_key(codes: list[np.ndarray], radix: list[int], size: int, *, missing: bool = True,
                 refactorize: bool | Literal["sorted"] = False) -> np.ndarray | None:
    """Per row, its codes of several columns as one int64, the first column the most significant
    digit in mixed ``radix``: equal keys are equal tuples of codes, and keys order as the tuples do.

    With ``missing`` a code may be -1 (missing): the digit is ``code + 1`` and a column's radix is
    its number of distinct values plus one; without, codes run from 0 to radix - 1. ``size`` is the
    number of rows (for no column: all keys 0). A key that could reach ``KEY_LIMIT`` (the radices'
    product) gives None. With ``refactorize`` it is made instead: before a column that would take
    the partial key (its actual largest value) to the limit, the partial key is renumbered 0, 1, ...
    (``pd.factorize``). ``True`` numbers in order of first row, so keys still tell the tuples apart
    but no longer order them; ``"sorted"`` numbers in key order, so they still order as the tuples.

    >>> combined_key([np.array([0, -1, 1]), np.array([1, 0, -1])], [3, 3], 3).tolist()
    [5, 1, 6]
    >>> combined_key([np.array([1, 0]), np.array([2, 2])], [2, 3], 2, missing=False).tolist()
    [5, 2]
    >>> combined_key([np.array([9, 2]), np.array([1, 0])], [2 ** 40, 2 ** 30], 2, missing=False,
    ...              refactorize="sorted").tolist()  # 10 * 2**30 fits: not renumbered
    [9663676417, 2147483648]
    """
    if refactorize not in (False, True, "sorted"):
        raise ValueError(f"combined_key: refactorize must be False, True or 'sorted', got {refactorize!r}")
    if not codes:
        return np.zeros(size, dtype=np.int64)
    radix = [max(int(r), 1) for r in radix]
    bound = 1
    for r in radix:
        bound *= r  # exact: Python integers
    if bound >= KEY_LIMIT and not refactorize:
        return None
    key = codes[0].astype(np.int64)  # a new array: then in place (the codes may be int8 and the rows millions)
    if missing:
        key += 1
    span = radix[0]  # the keys so far are below it
    for column, r in zip(codes[1:], radix[1:]):
        if span * r >= KEY_LIMIT:  # only with refactorize: the radices say it could overflow; do the keys?
            span = int(key.max(initial=-1)) + 1
            if span * r >= KEY_LIMIT:
                key, span = _renumbered(key, sort=refactorize == "sorted")
                if span * r >= KEY_LIMIT:  # more distinct tuples than an int64 key can tell apart
                    raise OverflowError(f"{span:,} distinct key tuples times {r:,} values exceed {KEY_LIMIT:,}")
        key *= r
        key += column
        if missing:
            key += 1  # not column + 1: an int8 column at 127 would wrap
        span *= r
    return key


def _renumbered(key: np.ndarray, *, sort: bool) -> tuple[np.ndarray, int]:
    """``key`` renumbered 0, 1, ... per distinct value (in value order with ``sort``, else in order of
    first row) and how many numbers there are (at least 1: a bound for the keys to come).

    >>> key, n = _renumbered(np.array([50, 7, 50]), sort=True)
    >>> key.tolist(), n
    ([1, 0, 1], 2)
    """
    numbers, distinct = pd.factorize(key, sort=sort)
    return numbers.astype(np.int64, copy=False), max(len(distinct), 1)


def split_key(key: np.ndarray, radix: list[int], *, missing: bool = True) -> list[np.ndarray]:
    """The codes of each column back from keys that ``combined_key`` made (not renumbered).

    >>> [c.tolist() for c in split_key(np.array([5, 1, 6]), [3, 3])]
    [[0, -1, 1], [1, 0, -1]]
    """
    parts = []
    for r in radix[:0:-1]:  # the least significant digit first
        key, part = np.divmod(key, max(int(r), 1))
        parts.append(part - 1 if missing else part)
    parts.append(key - 1 if missing else key)
    return parts[::-1]


__all__ = ["KEY_LIMIT", "ROW_CHUNK", "Factorized", "FrameColumns", "TextProperties", "all_str", "columns_for",
           "combined_key", "factorize_column", "factorize_numbers", "is_text_dtype", "object_addresses", "row_of_each",
           "rows_with", "run_starts", "small_codes", "split_key", "spread", "spread_runs", "text_properties"]
