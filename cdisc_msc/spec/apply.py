"""Make a derived frame match its dataset spec exactly.

Mappings and derivations produce columns; ``conform`` is the one place that
imposes the spec's variable set, order and storage types, so writers and
define.xml see what the spec declares. A column the spec does not declare, or
a declared variable no mapping produced, is an error (never silently dropped
or invented): ``allow_missing`` lists permissible variables to add empty.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from cdisc_msc.io.columns import (
    combined_key, factorize_column, is_text_dtype, object_addresses, row_of_each, small_codes,
)
from cdisc_msc.spec.model import Dataset


class ConformError(ValueError):
    """A frame does not carry exactly the variables its spec declares."""


def conform(df: pd.DataFrame, ds: Dataset, allow_missing: Iterable[str] = ()) -> pd.DataFrame:
    """Order and type ``df`` by the spec ``ds``.

    Numeric variables become float64 (SAS numerics are doubles); text
    variables become object columns of ``str`` with ``None`` for missing.

    >>> conform(pd.DataFrame({"B": [1], "A": ["x"]}), spec_with_A_then_B).columns.tolist()  # doctest: +SKIP
    ['A', 'B']
    """
    _check_variables(df, ds, allow_missing)
    return pd.DataFrame(_conformed_columns(df, ds, None), copy=False)


def conform_sorted(df: pd.DataFrame, ds: Dataset, allow_missing: Iterable[str] = (), *,
                   consume: bool = False) -> pd.DataFrame:
    """``sort_by_keys(conform(df, ds), ds)`` with one gather per column instead of two.

    The key variables give the record order first (text keys ranked through
    their table of distinct values, which the columns then reuse); every
    column is then built straight in that order, so the frame is not copied
    once to conform it and again to sort it. With ``consume`` the columns of
    ``df`` are deleted from it as they are converted, so ``df`` and the result
    are not held whole at once (memory of the large BDS datasets).
    """
    _check_variables(df, ds, allow_missing)
    numeric = {v.name for v in ds.variables if v.is_numeric}
    keys = [k for k in ds.keys if k in df.columns]
    tables = {k: text_table(df[k]) for k in keys if k not in numeric}
    order = _key_order(df, keys, tables) if keys and len(df) else None
    return pd.DataFrame(_conformed_columns(df, ds, order, tables, consume), copy=False)


def _key_order(df: pd.DataFrame, keys: list[str], tables: dict[str, tuple[np.ndarray, np.ndarray]]
               ) -> np.ndarray | None:
    """:func:`stable_order` of ``df`` by ``keys`` (missing first) as conformed: a text key
    (its :func:`text_table` in ``tables``) ranks its few distinct values, each row takes
    its value's rank; any other key is a number. (Its own function: the per-key codes
    are freed before the columns are built.)"""
    parts = []
    for k in keys:
        if k in tables:
            codes, table = tables[k]
            ranks, n = sorted_codes(pd.Series(table, dtype=object), na_first=True)
            parts.append((ranks[codes], n))
        else:
            parts.append(sorted_codes(pd.to_numeric(df[k], errors="raise").astype("float64"), na_first=True))
    return stable_order_of(parts)


def _check_variables(df: pd.DataFrame, ds: Dataset, allow_missing: Iterable[str]) -> None:
    """Fail unless ``df`` has every variable of ``ds`` (except ``allow_missing``) and no other column."""
    names = ds.names
    extra = [c for c in df.columns if c not in names]
    allowed = set(allow_missing)
    missing = [n for n in names if n not in df.columns and n not in allowed]
    if extra or missing:
        parts = []
        if extra:
            parts.append(f"columns not in the spec: {', '.join(map(str, extra))}")
        if missing:
            parts.append(f"spec variables not produced: {', '.join(missing)}")
        raise ConformError(f"{ds.name}: " + "; ".join(parts))


def _conformed_columns(df: pd.DataFrame, ds: Dataset, order: np.ndarray | None,
                       tables: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
                       consume: bool = False) -> dict[str, pd.Series]:
    """The spec's variables of ``df`` typed by the spec, rows taken in ``order`` (None: as they
    are), on a new RangeIndex; absent variables are all missing. ``tables``: text columns'
    :func:`text_table` already made. With ``consume`` each column is deleted from ``df``
    once converted."""
    tables = tables or {}
    n = len(df) if order is None else len(order)
    index = pd.RangeIndex(n)
    out = {}
    for var in ds.variables:
        if var.name not in df.columns:
            values = np.full(n, np.nan) if var.is_numeric else np.full(n, None, dtype=object)
            out[var.name] = pd.Series(values, index=index, dtype=values.dtype, copy=False)
            continue
        col = df[var.name]
        if var.is_numeric:
            values = pd.to_numeric(col, errors="raise").astype("float64").to_numpy()
            values = values.copy() if order is None else values[order]
        else:
            codes, table = tables.pop(var.name, None) or text_table(col)
            values = table.take(codes if order is None else codes[order])
        # the arrays are new: the Series own them without a copy (and pandas 3 infers no str dtype for objects)
        out[var.name] = pd.Series(values, index=index, dtype=values.dtype, copy=False)
        if consume:
            del col
            del df[var.name]
    return out


def text_table(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A text column as codes into a table of its values as ``str`` or ``None`` (missing).

    Object and pandas string columns are grouped by object identity (an
    integer hash of the pointers; no string is hashed) and each distinct
    object is converted once by :func:`_as_text`; other dtypes go through
    pandas' string conversion row by row.

    >>> codes, table = text_table(pd.Series(["A", None, 1.5, "A"], dtype=object))
    >>> table[codes].tolist()
    ['A', None, '1.5', 'A']
    """
    if col.dtype != object and not isinstance(col.dtype, pd.StringDtype):
        values = col.astype("string").to_numpy(dtype=object, na_value=None)
        return np.arange(len(values), dtype=np.intp), values
    objects = np.ascontiguousarray(col.to_numpy(dtype=object))  # a view for object and python str storage
    if not len(objects):
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=object)
    codes, pointers = pd.factorize(object_addresses(objects))
    # the smallest integer codes: less memory to keep and gather (the codes of a key are kept a while)
    return small_codes(codes, len(pointers)), _as_text(objects[row_of_each(codes, len(pointers), last=True)])


def _as_text(objects: np.ndarray) -> np.ndarray:
    """Objects as a new object array of ``str`` with ``None`` for missing: text kept as it is,
    anything else through pandas' string conversion."""
    if pd.api.types.infer_dtype(objects, skipna=True) in ("string", "empty"):
        out = objects.copy()
        out[pd.isna(out)] = None
        return out
    return pd.Series(objects, dtype=object).astype("string").to_numpy(dtype=object, na_value=None)


def sorted_codes(col: pd.Series | np.ndarray, na_first: bool = True) -> tuple[np.ndarray, int]:
    """Integer codes of a key column whose order is the order of its values,
    and how many codes there are: one code per distinct value (sorted), and
    missing values first (code 0) or last (the highest code).

    Sorting on these codes orders exactly as a sort on the values themselves,
    at the cost of one factorisation (cheap when values share their objects).

    >>> sorted_codes(pd.Series(["b", None, "a", "b"]))
    (array([2, 0, 1, 2]), 3)
    >>> sorted_codes(pd.Series([2.0, None, 1.0]), na_first=False)
    (array([1, 2, 0]), 3)
    """
    codes, n = sorted_factorize(pd.Series(col) if isinstance(col, np.ndarray) else col)
    missing = codes < 0
    if not missing.any():
        return codes, n
    return (codes + 1, n + 1) if na_first else (np.where(missing, n, codes), n + 1)


def sorted_factorize(col: pd.Series) -> tuple[np.ndarray, int]:
    """Codes in the sorted order of the distinct values (-1 = missing) and their count.

    Text and float64 are factorised with the writers' factorisation (text by
    object identity where values share their string objects, floats by bit
    pattern: cheap integer hashes), then the few distinct values are sorted;
    anything else by ``pd.factorize``.

    >>> sorted_factorize(pd.Series([2.0, None, 1.0, 2.0]))
    (array([ 1, -1,  0,  1]), 2)
    """
    if is_text_dtype(col.dtype) or col.dtype == np.float64:
        f = factorize_column(col)
        try:
            rank = np.full(len(f.uniques) + 1, -1, dtype=np.int64)  # the last entry: code -1 stays -1
            rank[np.argsort(f.uniques, kind="stable")] = np.arange(len(f.uniques))
        except TypeError:  # mixed types: pandas' sort handles them
            pass
        else:
            return rank[np.asarray(f.codes, dtype=np.intp)], len(f.uniques)
    codes, uniques = pd.factorize(col, sort=True, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64), len(uniques)


def combined_codes(parts: list[tuple[np.ndarray, int]]) -> np.ndarray | None:
    """One int64 code per row ordering as the tuple of ``parts`` (codes, count)
    ordered lexicographically (mixed radix), or None when the counts' product
    would not fit in 62 bits.

    >>> combined_codes([(np.array([1, 0, 1]), 2), (np.array([0, 2, 1]), 3)]).tolist()
    [3, 2, 4]
    """
    return combined_key([c for c, _ in parts], [n for _, n in parts], len(parts[0][0]) if parts else 0,
                        missing=False)


def stable_order(df: pd.DataFrame, keys: list[str], na_first: bool = True) -> np.ndarray | None:
    """Positions of the rows of ``df`` after a stable sort by ``keys``
    (missing values first or last), or None when the rows are in that order
    already (a stable sort would not move them, so callers can skip the copy).
    """
    return stable_order_of([sorted_codes(df[k], na_first) for k in keys])


def stable_order_of(parts: list[tuple[np.ndarray, int]]) -> np.ndarray | None:
    """:func:`stable_order` of the key columns' sorted codes and counts ``parts`` (:func:`sorted_codes`).

    >>> stable_order_of([(np.array([1, 0, 1]), 2), (np.array([1, 0, 0]), 2)]).tolist()
    [1, 2, 0]
    >>> stable_order_of([(np.array([0, 1]), 2)]) is None
    True
    """
    combined = combined_codes(parts)
    if combined is None:  # too many distinct key tuples for one int64: sort the codes together
        return np.lexsort([c for c, _ in parts][::-1])
    if len(combined) < 2 or bool((combined[1:] >= combined[:-1]).all()):
        return None
    return np.argsort(combined, kind="stable")


def sort_by_keys(df: pd.DataFrame, ds: Dataset) -> pd.DataFrame:
    """Sort records by the dataset keys (stable; missing values first).

    Each key is factorised in sorted order once and the integer codes are
    sorted together, which orders exactly as a stable multi-column sort;
    records already in key order are not copied.
    """
    keys = [k for k in ds.keys if k in df.columns]
    if not keys or df.empty:
        return df.reset_index(drop=True)
    order = stable_order(df, keys, na_first=True)
    if order is None:
        return df.reset_index(drop=True)
    return df.iloc[order].reset_index(drop=True)
