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

from cdisc_msc.io.columns import Factorized, factorize_column, is_text_dtype
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
    out = {}
    for var in ds.variables:
        col = df[var.name] if var.name in df.columns else pd.Series(pd.NA, index=df.index)
        if var.is_numeric:
            out[var.name] = pd.to_numeric(col, errors="raise").astype("float64")
        else:
            # an explicit object Series: pandas 3 would otherwise infer its str dtype (NaN for missing);
            # text_objects gives a new array, so the Series may own it without a copy
            out[var.name] = pd.Series(text_objects(col), index=df.index, dtype=object, copy=False)
    # copy=False: the columns are new already; pandas would otherwise copy them into one 2-D block
    return pd.DataFrame(out, index=df.index, copy=False).reset_index(drop=True)


def text_objects(col: pd.Series) -> np.ndarray:
    """A text column as an object array of ``str`` with ``None`` for missing.

    Columns that already hold only text (object or pandas string dtype) are
    converted without a per-value round trip; anything else goes through
    pandas' string conversion.

    >>> text_objects(pd.Series(["A", None, float("nan")], dtype=object)).tolist()
    ['A', None, None]
    """
    if isinstance(col.dtype, pd.StringDtype):
        return col.to_numpy(dtype=object, na_value=None, copy=True)
    if col.dtype == object and pd.api.types.infer_dtype(col, skipna=True) in ("string", "empty"):
        arr = col.to_numpy(dtype=object, copy=True)
        arr[pd.isna(arr)] = None
        return arr
    s = col.astype("string")
    return s.to_numpy(dtype=object, na_value=None)


def key_codes(col: pd.Series | np.ndarray, na_first: bool = True) -> tuple[np.ndarray, int]:
    """Integer codes of a key column whose order is the order of its values,
    and how many codes there are: one code per distinct value (sorted), and
    missing values first (code 0) or last (the highest code).

    Sorting on these codes orders exactly as a sort on the values themselves,
    at the cost of one factorisation (cheap when values share their objects).

    >>> key_codes(pd.Series(["b", None, "a", "b"]))
    (array([2, 0, 1, 2]), 3)
    >>> key_codes(pd.Series([2.0, None, 1.0]), na_first=False)
    (array([1, 2, 0]), 3)
    """
    codes, n = _sorted_factorize(pd.Series(col) if isinstance(col, np.ndarray) else col)
    missing = codes < 0
    if not missing.any():
        return codes, n
    return (codes + 1, n + 1) if na_first else (np.where(missing, n, codes), n + 1)


def _sorted_factorize(col: pd.Series) -> tuple[np.ndarray, int]:
    """Codes in the sorted order of the distinct values (-1 = missing) and their count.

    Text is factorised with the writers' factorisation (by object identity
    where values share their string objects, a cheap integer hash), then the
    few distinct values are sorted; anything else by ``pd.factorize``.
    """
    if is_text_dtype(col.dtype):
        f = factorize_text(col)
        try:
            rank = np.full(len(f.uniques) + 1, -1, dtype=np.int64)  # the last entry: code -1 stays -1
            rank[np.argsort(f.uniques, kind="stable")] = np.arange(len(f.uniques))
        except TypeError:  # mixed types: pandas' sort handles them
            pass
        else:
            return rank[np.asarray(f.codes, dtype=np.intp)], len(f.uniques)
    codes, uniques = pd.factorize(col, sort=True, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64), len(uniques)


def factorize_text(col: pd.Series) -> Factorized:
    """The writers' factorisation of a text column (by object identity where
    values share their string objects), missing values (None, NaN, pd.NA) as
    code -1.

    >>> f = factorize_text(pd.Series(["b", pd.NA, "b", "a"], dtype=object))
    >>> f.codes.tolist(), f.uniques.tolist()
    ([0, -1, 0, 1], ['b', 'a'])
    """
    return factorize_column(col)


def combined_codes(parts: list[tuple[np.ndarray, int]]) -> np.ndarray | None:
    """One int64 code per row ordering as the tuple of ``parts`` (codes, count)
    ordered lexicographically (mixed radix), or None when the counts' product
    would not fit in 63 bits.

    >>> combined_codes([(np.array([1, 0, 1]), 2), (np.array([0, 2, 1]), 3)]).tolist()
    [3, 2, 4]
    """
    size = 1
    for _, n in parts:
        size *= max(n, 1)
    if size >= 2 ** 62:
        return None
    out = np.zeros(len(parts[0][0]) if parts else 0, dtype=np.int64)
    for codes, n in parts:
        out *= max(n, 1)
        out += codes
    return out


def stable_order(df: pd.DataFrame, keys: list[str], na_first: bool = True) -> np.ndarray | None:
    """Positions of the rows of ``df`` after a stable sort by ``keys``
    (missing values first or last), or None when the rows are in that order
    already (a stable sort would not move them, so callers can skip the copy).
    """
    parts = [key_codes(df[k], na_first) for k in keys]
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
