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
    return per_distinct_text(values.astype("str"), lambda t: t.str.strip().str.upper()).where(values.notna())


def per_distinct_text(text: pd.Series, transform: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``transform(text)`` (element-wise string operations) worked out once per
    distinct value of ``text`` and spread back; index and dtype as ``transform`` gives."""
    codes, distinct = pd.factorize(text, use_na_sentinel=False)
    done = transform(pd.Series(distinct, dtype=text.dtype))
    return pd.Series(done.array.take(np.asarray(codes, dtype=np.intp)), index=text.index, name=text.name)


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
__all__ = ["MissingColumnsError", "distinct_text", "per_distinct_text", "require_columns", "upper_stripped", "yn"]
