"""Data-value helpers shared by define.xml generation and the define-data check.

Define-XML compares data with metadata as text: a codelist's CodedValue, a
where clause's CheckValue. These helpers turn a column (a frame built in
memory, or one read back from XPT) into comparable text the same way, so the
define generated at build time and the one regenerated from the XPT files
are byte-identical.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

NUMERIC_COMPARATORS = frozenset({"LT", "LE", "GT", "GE"})


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
    return values.where(~values.map(_is_special_missing), None)


def as_text(values: pd.Series) -> pd.Series:
    """The column as object text, missing as None; numbers formatted, text right-stripped.

    XPT stores missing text as blanks and SAS special missings as ``.A``:
    both count as missing. ``as_text(pd.Series([1.0, None, 2.5]))`` gives
    ``['1', None, '2.5']``.
    """
    if values.empty:
        return pd.Series([], index=values.index, dtype=object)
    codes, uniques = pd.factorize(values)  # missing values get code -1
    texts = np.full(len(uniques) + 1, None, dtype=object)  # the last slot (code -1) stays None
    for i, u in enumerate(uniques):  # per distinct value, not per row
        if isinstance(u, (int, float, np.integer, np.floating)) and not isinstance(u, bool):
            texts[i] = format_number(u)
        elif not _is_special_missing(u):
            texts[i] = str(u).rstrip(" ") or None
    return pd.Series(texts[np.asarray(codes)], index=values.index, dtype=object)


def distinct_text(values: pd.Series) -> set[str]:
    """The distinct non-missing values of a column as text."""
    return {v for v in as_text(values).dropna().unique()}


def max_text_length(values: pd.Series) -> int:
    """Longest non-missing value in UTF-8 bytes (0 when there is none)."""
    present = distinct_text(values)
    return max((len(v.encode("utf-8")) for v in present), default=0)


def decimals(values: pd.Series) -> int | None:
    """Most digits after the decimal point among the numeric values; None when all missing.

    >>> decimals(pd.Series([1.0, 2.25, None]))
    2
    """
    nums = pd.to_numeric(_without_special_missing(values), errors="coerce").dropna()
    if nums.empty:
        return None
    texts = [format_number(v) for v in pd.unique(nums.to_numpy(dtype=float))]
    return max(len(t.split(".", 1)[1]) if "." in t else 0 for t in texts)


@dataclass(frozen=True)
class Condition:
    """One where-clause condition (a RangeCheck): ``variable comparator values``."""

    variable: str
    comparator: str
    values: tuple[str, ...]


def condition_mask(frame: pd.DataFrame, condition: Condition) -> pd.Series:
    """Rows of ``frame`` meeting one condition (a missing variable meets nothing).

    >>> f = pd.DataFrame({"QSTESTCD": ["A", "B"]})
    >>> condition_mask(f, Condition("QSTESTCD", "EQ", ("B",))).tolist()
    [False, True]
    """
    if condition.variable not in frame.columns:
        return pd.Series(False, index=frame.index)
    column = frame[condition.variable]
    comparator = condition.comparator or "EQ"
    if comparator in NUMERIC_COMPARATORS:
        number = pd.to_numeric(_without_special_missing(column), errors="coerce")
        target = pd.to_numeric(pd.Series(condition.values[:1]), errors="coerce").iloc[0] if condition.values else np.nan
        result = {"LT": number < target, "LE": number <= target, "GT": number > target, "GE": number >= target}[comparator]
        return result.fillna(False).astype(bool)
    text = as_text(column)
    hit = text.isin(list(condition.values)) & text.notna()
    if "" in condition.values:  # an empty CheckValue stands for a missing value
        hit |= text.isna()
    return ~hit if comparator in ("NE", "NOTIN") else hit


def where_mask(frame: pd.DataFrame, conditions: Sequence[Condition]) -> pd.Series:
    """Rows meeting every condition (a where clause is a conjunction)."""
    mask = pd.Series(True, index=frame.index)
    for condition in conditions:
        mask &= condition_mask(frame, condition)
    return mask


def union(sets: Iterable[set[str]]) -> set[str]:
    out: set[str] = set()
    for s in sets:
        out |= s
    return out
