"""Data-value helpers shared by define.xml generation and the define-data check.

Define-XML compares data with metadata as text: a codelist's CodedValue, a
where clause's CheckValue. These helpers turn a column (a frame built in
memory, or one read back from XPT) into comparable text the same way, so the
define generated at build time and the one regenerated from the XPT files
are byte-identical.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdisc_msc.io.columns import Factorized, all_str, factorize_column

NUMERIC_COMPARATORS = frozenset({"LT", "LE", "GT", "GE"})
EARLY_VALUES = 64
"""Distinct values looked at first when one value as text is enough to answer."""


def format_number(value: float) -> str:
    """Shortest text for a number: integers without decimals.

    >>> format_number(1.0), format_number(0.5), format_number(-3)
    ('1', '0.5', '-3')
    """
    return np.format_float_positional(float(value), trim="-")


def _is_special_missing(value: object) -> bool:
    return isinstance(value, str) and (value == "." or (len(value) == 2 and value[0] == "."))


def _without_special_missing(values: pd.Series) -> pd.Series:
    """``.A``-style text values as missing (only text columns can hold them).

    >>> _without_special_missing(pd.Series([".A", "2"], dtype=object)).tolist()
    [None, '2']
    """
    if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        return values
    if len(values) and all_str(values.to_numpy(dtype=object)):
        return values.where(~_special_missing_mask(values.to_numpy(dtype=object).astype(_STRINGS)), None)
    return values.where(~values.map(_is_special_missing), None)


def _text_of(value: object) -> str | None:
    """``as_text`` of one value that is not missing (the reference for ``texts_of``)."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return format_number(value)
    if _is_special_missing(value):
        return None
    return str(value).rstrip(" ") or None


_STRINGS = np.dtypes.StringDType()
"""numpy's variable-width text: vectorised string functions, and unlike ``U`` it keeps trailing NULs."""
INTEGER_TEXT_LIMIT = 2.0 ** 53
"""Integral floats below this are written through int64 (exact; far faster than float formatting)."""


def _special_missing_mask(text: np.ndarray) -> np.ndarray:
    """``_is_special_missing`` of every element of a ``StringDType`` array (``.`` and ``.A``-style)."""
    length = np.strings.str_len(text)
    return (length >= 1) & (length <= 2) & np.strings.startswith(text, ".")


def _string_texts(strings: np.ndarray) -> np.ndarray:
    """``_text_of`` of every element of an array of ``str``: right-stripped, None for blanks and ``.A``."""
    text = strings.astype(_STRINGS)
    stripped = np.strings.rstrip(text, " ")
    out = stripped.astype(object)
    out[(np.strings.str_len(stripped) == 0) | _special_missing_mask(text)] = None
    return out


def _number_texts(numbers: np.ndarray) -> np.ndarray:
    """``format_number`` of every element of a float array.

    Integral values are written as integers (``-0.0`` stays ``-0``); the others
    with ``repr``, the same shortest round-trip digits as ``format_number``;
    the few that ``repr`` writes otherwise (below 1e-4 or from 2**53 on:
    ``1e-05``, ``1e+16``, ``9007199254740994.0``) are formatted one by one.
    """
    out = np.empty(len(numbers), dtype=object)
    integral = (numbers == np.floor(numbers)) & (np.abs(numbers) < INTEGER_TEXT_LIMIT)
    whole = numbers[integral]
    out[integral] = list(map(str, whole.astype(np.int64).tolist()))
    negative_zero = np.flatnonzero(integral)[np.signbit(whole) & (whole == 0)]
    out[negative_zero] = "-0"
    rest = np.flatnonzero(~integral)
    out[rest] = list(map(repr, numbers[rest].tolist()))
    magnitude = np.abs(numbers[rest])
    for i in rest[(magnitude < 1e-4) | (magnitude >= INTEGER_TEXT_LIMIT)].tolist():  # where repr differs
        out[i] = format_number(numbers[i])
    return out


def texts_of(uniques: np.ndarray) -> np.ndarray:
    """``_text_of`` of each distinct value (none missing), as an object array; None = no text.

    Vectorised for text and numeric columns (the define check and define.xml
    convert every distinct value, hundreds of thousands at 10,000 subjects);
    a column mixing types goes value by value.

    >>> texts_of(np.array(["b ", ".A", " ", "."], dtype=object)).tolist()
    ['b', None, None, None]
    >>> texts_of(np.array([1.0, -0.0, 2.5, 1e-05])).tolist()
    ['1', '-0', '2.5', '0.00001']
    """
    uniques = np.asarray(uniques)
    if len(uniques) == 0:
        return np.zeros(0, dtype=object)
    if uniques.dtype.kind in "fiu":
        return _number_texts(uniques.astype(np.float64))
    if uniques.dtype == object:
        kind = pd.api.types.infer_dtype(uniques, skipna=False)
        if kind == "string":
            return _string_texts(uniques)
        if kind in ("floating", "integer", "mixed-integer-float"):
            return _number_texts(uniques.astype(np.float64))
    out = np.empty(len(uniques), dtype=object)
    out[:] = [_text_of(u) for u in uniques]  # mixed types: rare
    return out


MARK_LIMIT = 1 << 24
"""Keys below this are made distinct by marking a boolean table (no hashing)."""


def distinct_keys(key: np.ndarray, size: int) -> np.ndarray:
    """The distinct values of ``key`` (all in ``[0, size)``), in any order.

    >>> sorted(distinct_keys(np.array([5, 0, 5]), 6).tolist())
    [0, 5]
    """
    if size <= max(MARK_LIMIT, len(key)):
        seen = np.zeros(size, dtype=bool)
        seen[key] = True
        return np.flatnonzero(seen)
    return pd.unique(key)



@dataclass(frozen=True)
class Selection:
    """Some rows of a column: which of its distinct values (then missing) occur in them, and,
    for an ambiguous column (see ``ColumnFacts.ambiguous``), the rows themselves."""

    occurring: np.ndarray
    rows: np.ndarray | None = None


class ColumnFacts:
    """One column compared as text, worked out once per distinct value.

    Built from the column factorised (``cdisc_msc.io.columns``): row i holds
    distinct value ``codes[i]`` (-1 = missing). Every fact is of all rows or
    of a ``Selection`` of them (``select``).

    >>> f = ColumnFacts.of(pd.Series(["b ", None, "a", "b"], dtype=object))
    >>> sorted(f.distinct_text()), f.max_text_length(), f.has_values(f.select(np.array([False, True, False, False])))
    (['a', 'b'], 1, False)
    """

    def __init__(self, factorized: Factorized, values: pd.Series) -> None:
        self.codes = factorized.codes
        self.uniques = factorized.uniques
        self.values = values
        self.numeric = pd.api.types.is_numeric_dtype(values.dtype)
        self._texts: np.ndarray | None = None
        self._present: np.ndarray | None = None
        self._lengths: np.ndarray | None = None
        self._ambiguous: bool | None = None

    @classmethod
    def of(cls, values: pd.Series) -> "ColumnFacts":
        return cls(factorize_column(values), values)

    @property
    def texts(self) -> np.ndarray:
        """``as_text`` of each distinct value, then None for the missing slot."""
        if self._texts is None:
            texts = np.full(len(self.uniques) + 1, None, dtype=object)
            texts[:-1] = texts_of(np.asarray(self.uniques))  # per distinct value, not per row
            self._texts = texts
        return self._texts

    @property
    def present(self) -> np.ndarray:
        """Which distinct values are a value as text (numbers always are; blanks and ``.A`` are not)."""
        if self._present is None:
            if self.numeric:
                self._present = np.append(np.ones(len(self.uniques), dtype=bool), False)
            else:
                self._present = np.not_equal(self.texts, None)
        return self._present

    @property
    def byte_lengths(self) -> np.ndarray:
        if self._lengths is None:
            self._lengths = np.fromiter((0 if t is None else len(t.encode("utf-8")) for t in self.texts),
                                        dtype=np.int64, count=len(self.texts))
        return self._lengths

    @property
    def ambiguous(self) -> bool:
        """Whether equal values may read differently as text (0.0 and -0.0; numbers or booleans in a
        text column): a distinct value reads as its first row, which depends on the rows taken."""
        if self._ambiguous is None:
            dtype = self.values.dtype
            if pd.api.types.is_float_dtype(dtype):
                x = self.values.to_numpy(dtype=np.float64, na_value=np.nan)
                zero = x == 0
                negative = np.signbit(x) & zero
                self._ambiguous = bool(negative.any()) and bool((zero & ~negative).any())
            elif self.numeric:
                self._ambiguous = False
            else:
                self._ambiguous = not all_str(np.asarray(self.uniques, dtype=object))
        return self._ambiguous

    def select(self, rows: np.ndarray) -> Selection:
        """The rows where ``rows`` (a boolean mask) is True."""
        occ = np.zeros(len(self.uniques) + 1, dtype=bool)
        occ[self.codes[rows]] = True  # code -1 marks the last slot
        return Selection(occ, rows if self.ambiguous else None)

    def _subset(self, selection: Selection | None) -> "ColumnFacts | None":
        """The facts of the selected rows on their own, when the column is ambiguous."""
        if selection is None or selection.rows is None:
            return None
        return ColumnFacts.of(self.values[selection.rows])

    def _selected(self, selection: Selection | None) -> np.ndarray:
        """Which distinct values are a value as text (of the selected rows); the missing slot never is."""
        return self.present if selection is None else self.present & selection.occurring

    def has_values(self, selection: Selection | None = None) -> bool:
        if selection is None and self._present is None and not self.numeric:
            if np.not_equal(texts_of(np.asarray(self.uniques[:EARLY_VALUES])), None).any():
                return True  # without converting every distinct value (USUBJID, dates...)
        return bool(self._selected(selection).any())

    def distinct_text(self, selection: Selection | None = None) -> set[str]:
        subset = self._subset(selection)
        if subset is not None:
            return subset.distinct_text()
        return set(self.texts[self._selected(selection)].tolist())

    def max_text_length(self, selection: Selection | None = None) -> int:
        """Longest value as text in UTF-8 bytes (0 when there is none)."""
        subset = self._subset(selection)
        if subset is not None:
            return subset.max_text_length()
        lengths = self.byte_lengths[self._selected(selection)]
        return int(lengths.max()) if len(lengths) else 0

    def decimals(self, selection: Selection | None = None) -> int | None:
        """``decimals`` of the values (of the selected rows)."""
        subset = self._subset(selection)
        if subset is not None:
            return subset.decimals()
        distinct = self.uniques if selection is None else self.uniques[np.flatnonzero(selection.occurring[:-1])]
        return decimals(pd.Series(distinct))

    def condition_hits(self, condition: "Condition") -> np.ndarray:
        """Per distinct value (then missing), whether it meets ``condition`` (on this column)."""
        comparator = condition.comparator or "EQ"
        if comparator in NUMERIC_COMPARATORS:
            number = pd.to_numeric(_without_special_missing(pd.Series(self.uniques)), errors="coerce")
            target = pd.to_numeric(pd.Series(condition.values[:1]), errors="coerce").iloc[0] if condition.values else np.nan
            result = {"LT": number < target, "LE": number <= target, "GT": number > target, "GE": number >= target}[comparator]
            return np.append(result.fillna(False).to_numpy(dtype=bool), False)
        wanted = set(condition.values)
        empty = "" in wanted  # an empty CheckValue stands for a missing value
        hit = np.where(self.present, pd.Series(self.texts, dtype=object).isin(list(wanted)).to_numpy(dtype=bool), empty)
        return ~hit if comparator in ("NE", "NOTIN") else hit

    def condition_mask(self, condition: "Condition") -> np.ndarray:
        """The rows meeting ``condition`` (on this column)."""
        return self.condition_hits(condition)[self.codes]



def decimals(values: pd.Series) -> int | None:
    """Most digits after the decimal point among the numeric values; None when all missing.

    >>> decimals(pd.Series([1.0, 2.25, None]))
    2
    """
    nums = pd.to_numeric(_without_special_missing(values), errors="coerce").dropna()
    if nums.empty:
        return None
    return _most_decimals(pd.unique(nums.to_numpy(dtype=float)))


ROUNDING_DECIMALS = 22
"""Decimals tried with ``np.round`` (10**22 is the largest power of ten a float holds exactly)."""
EXACT_INTEGERS = 2.0 ** 53
"""Below this, ``x * 10**d`` rounds to an exact integer: ``np.round(x, d)`` is the d-decimal text's value."""


def _written_decimals(numbers: np.ndarray) -> int:
    """Most digits after the point among numbers, from their texts (0 when there is none)."""
    if not len(numbers):
        return 0
    texts = texts_of(numbers).astype(_STRINGS)
    point = np.strings.find(texts, ".")  # -1: no decimals
    return int(np.where(point >= 0, np.strings.str_len(texts) - point - 1, 0).max())


def _most_decimals(numbers: np.ndarray) -> int:
    """Most digits after the point among distinct numbers as ``format_number`` writes them.

    Without writing every number: ``np.round(x, d) == x`` (with ``x * 10**d``
    an exact integer) shows that the text of x has at most d decimals, and
    usually exactly d when d is the first such. Numbers that need too many
    digits for that are written out; of those shown at the highest d, one is
    written out to confirm it. Anything else (not seen in practice) is
    counted from every number's text.

    >>> _most_decimals(np.array([1.0, 2.25, 0.1 + 0.2, np.inf])), _most_decimals(np.array([7.0, 2.5]))
    (17, 1)
    """
    pending = numbers[np.isfinite(numbers)]
    written, highest, top = [], 0, pending[:0]
    for d in range(ROUNDING_DECIMALS + 1):
        exact = np.abs(pending) * 10.0 ** d < EXACT_INTEGERS
        written.append(pending[~exact])
        pending = pending[exact]
        shown = np.round(pending, d) == pending
        if shown.any():
            highest, top = d, pending[shown]
        pending = pending[~shown]
        if not len(pending):
            break
    most_written = _written_decimals(np.concatenate(written + [pending]))
    if most_written >= highest or any(_written_decimals(np.array([x])) == highest for x in top[:8]):
        return max(most_written, highest)
    return _written_decimals(numbers)


@dataclass(frozen=True)
class Condition:
    """One where-clause condition (a RangeCheck): ``variable comparator values``."""

    variable: str
    comparator: str
    values: tuple[str, ...]
