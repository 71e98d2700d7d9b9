"""Instrument scoring and outcome rules of the SAP (``study.md`` sections 3-4).

Pure, vectorised functions over pandas frames: no I/O, no configuration file
reading (callers pass the config objects of :mod:`cdisc_msc.config`).

Modules
-------
sf36               SF-36 v2 item recoding, scale scores, NBS, PCS/MCS (SAP 3.4)
eq5d               EQ-5D-5L level-sum score and French index (SAP 3.5)
sledai             SELENA-SLEDAI descriptors table and total (SAP 3.1)
bilag              classic BILAG systems table, grade scores and total (SAP 3.3)
sri4               SRI-4 components and responder (SAP 4.2)
clinical_response  major / partial clinical response (SAP 4.3)
steroids           prednisone-equivalent 28-day average dose, reduction (SAP 4.7)

Flags produced by the outcome rules are ``"Y"`` / ``"N"`` strings; a flag that
cannot be determined is missing (NaN).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from cdisc_msc.io.columns import factorize_column
from cdisc_msc.spec.apply import text_table


class MissingColumnsError(ValueError):
    """A frame given to a scoring function lacks required columns."""


def require_columns(df: pd.DataFrame, columns: Iterable[str], where: str) -> None:
    """Fail with one message naming every column of ``columns`` absent from ``df``.

    >>> require_columns(pd.DataFrame({"A": [1]}), ["A", "B"], "demo")
    Traceback (most recent call last):
    ...
    cdisc_msc.scoring.MissingColumnsError: demo: missing required column(s): B
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{where}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise MissingColumnsError(f"{where}: missing required column(s): {', '.join(missing)}")


def yn(mask: pd.Series) -> pd.Series:
    """Boolean (possibly nullable) series -> ``"Y"`` / ``"N"``; NA stays missing."""
    m = mask.astype("boolean")
    out = pd.Series("N", index=mask.index, dtype="str")
    out[m.fillna(False).to_numpy(dtype=bool)] = "Y"
    return out.where(m.notna().to_numpy())


def upper_stripped(values: pd.Series) -> pd.Series:
    """``values`` as text, stripped and upper-cased, NaN where missing (str
    dtype); each distinct value is transformed once (answers repeat a lot).

    >>> upper_stripped(pd.Series([" y", None, "N", " y"])).tolist()
    ['Y', nan, 'N', 'Y']
    """
    return per_distinct(lambda t: t.str.strip().str.upper(), values.astype("str")).where(values.notna())


def per_distinct(parse: Callable[[pd.Series], pd.Series], values: pd.Series) -> pd.Series:
    """``parse(values)`` (element-wise: dates, units, answers repeat across records) worked out once
    per distinct value and spread back, aligned with ``values``.

    >>> per_distinct(lambda s: s.str.strip(), pd.Series([" a", "b", " a", None], dtype="string")).tolist()
    ['a', 'b', 'a', <NA>]
    """
    codes, distinct = distinct_values(values)
    parsed = parse(distinct)
    return pd.Series(parsed.array.take(codes), index=values.index, name=parsed.name)


def distinct_values(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Codes and distinct values of a column (same dtype and name), missing
    values being one more distinct value at the end: ``distinct[codes]`` is
    ``values``. Factorised as the writers do (``factorize_column``: text by
    object identity where values share their string objects, a cheap integer hash).

    >>> codes, distinct = distinct_values(pd.Series(["b", None, "b"], dtype="string"))
    >>> codes.tolist(), distinct.tolist()
    ([0, 1, 0], ['b', <NA>])
    """
    f = factorize_column(values)
    codes, uniques = np.asarray(f.codes, dtype=np.intp), np.append(np.asarray(f.uniques, dtype=object), None)
    codes = np.where(codes < 0, len(uniques) - 1, codes)
    return codes, pd.Series(uniques, dtype=values.dtype, name=values.name)


def distinct_text(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """``values`` as text, factorised: one code per row (-1 where missing) and the
    distinct texts (str dtype), so a text rule runs once per distinct value.
    Values are made text first, so 1, 1.0 and True stay distinct.

    >>> codes, texts = distinct_text(pd.Series(["N", None, 1, "N"]))
    >>> codes.tolist(), texts.tolist()
    ([0, -1, 1, 0], ['N', '1'])
    """
    if values.dtype != object and not isinstance(values.dtype, pd.StringDtype):
        codes, distinct = pd.factorize(values.astype("str").where(values.notna()))
        return np.asarray(codes, dtype=np.intp), pd.Series(np.asarray(distinct, dtype=object), dtype="str")
    # text objects: grouped by identity (no string hashed) and made text once per distinct object,
    # then the few texts grouped by value, in order of first appearance as a factorisation of the rows
    by_object, texts = text_table(values)
    by_text, distinct = pd.factorize(texts)
    return np.asarray(by_text, dtype=np.intp)[by_object], pd.Series(np.asarray(distinct, dtype=object), dtype="str")


# Submodules are not imported here, so that this light module (the helpers
# above) can be imported by them and by cdisc_msc.adam without cycles;
# ``from cdisc_msc.scoring import sf36`` imports a submodule on demand.
__all__ = ["MissingColumnsError", "distinct_text", "distinct_values", "per_distinct", "require_columns", "upper_stripped",
           "yn"]
