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
            # an explicit object Series: pandas 3 would otherwise infer its str dtype (NaN for missing)
            out[var.name] = pd.Series(text_objects(col), index=df.index, dtype=object)
    return pd.DataFrame(out, index=df.index).reset_index(drop=True)


def text_objects(col: pd.Series) -> np.ndarray:
    """A text column as an object array of ``str`` with ``None`` for missing.

    Columns that already hold only text (object or pandas string dtype) are
    converted without a per-value round trip; anything else goes through
    pandas' string conversion.

    >>> text_objects(pd.Series(["A", None, float("nan")], dtype=object)).tolist()
    ['A', None, None]
    """
    if isinstance(col.dtype, pd.StringDtype):
        return col.to_numpy(dtype=object, na_value=None)
    if col.dtype == object and pd.api.types.infer_dtype(col, skipna=True) in ("string", "empty"):
        arr = col.to_numpy(dtype=object, copy=True)
        arr[pd.isna(arr)] = None
        return arr
    s = col.astype("string")
    return s.to_numpy(dtype=object, na_value=None)


def sort_by_keys(df: pd.DataFrame, ds: Dataset) -> pd.DataFrame:
    """Sort records by the dataset keys (stable; missing values first).

    Each key is factorised in sorted order once and the integer codes are
    sorted together, which orders exactly as a stable multi-column sort.
    """
    keys = [k for k in ds.keys if k in df.columns]
    if not keys or df.empty:
        return df.reset_index(drop=True)
    codes = [pd.factorize(df[k], sort=True, use_na_sentinel=True)[0] for k in keys]
    order = np.lexsort(codes[::-1])
    return df.iloc[order].reset_index(drop=True)
