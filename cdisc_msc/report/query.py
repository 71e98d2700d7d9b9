"""Tiny where-clause language: the traceability text printed above a table IS the executed filter.

Grammar: clauses joined by `` and ``; a clause is ``VAR op value`` with op one
of ``= != >= <= > <`` or ``VAR in (v1, v2)``; a value is ``"text"`` or a
number. Text compares exactly (missing text is ""), numbers numerically.

>>> import pandas as pd
>>> d = pd.DataFrame({"PARAMCD": ["SRI4", "MCR", "SRI4"], "AVISITN": [3.0, 3.0, 6.0]})
>>> select(d, 'PARAMCD="SRI4" and AVISITN in (3, 9)').index.tolist()
[0]
>>> select(pd.DataFrame({"SOC": ["Skin and nails", "Eye"]}), 'SOC="Skin and nails"').index.tolist()
[0]
"""
from __future__ import annotations

import operator
import re

import numpy as np
import pandas as pd

from cdisc_msc.io.columns import IDENTITY_SAMPLE, object_addresses

_CLAUSE = re.compile(r'^\s*(?P<var>[A-Z][A-Z0-9_]*)\s*(?P<op>!=|>=|<=|=|>|<|\bin\b)\s*(?P<value>.+?)\s*$')
_AND = re.compile(r'\s+and\s+(?=(?:[^"]*"[^"]*")*[^"]*$)')
"""`` and `` outside double quotes (text values such as "Infections and infestations" contain it)."""
_OPS = {"=": operator.eq, "!=": operator.ne, ">=": operator.ge, "<=": operator.le, ">": operator.gt,
        "<": operator.lt}


class QueryError(ValueError):
    """A where clause cannot be parsed or names a variable the dataset lacks."""


def _value(text: str) -> str | float:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    try:
        return float(text)
    except ValueError as exc:
        raise QueryError(f"not a quoted text or a number: {text!r}") from exc


def _clause_mask(frame: pd.DataFrame, clause: str) -> np.ndarray:
    m = _CLAUSE.match(clause)
    if not m:
        raise QueryError(f"cannot parse where clause {clause!r}")
    var, op, raw = m["var"], m["op"], m["value"]
    if var not in frame.columns:
        raise QueryError(f"where clause {clause!r}: no variable {var}")
    if op == "in":
        inner = raw.strip()
        if not (inner.startswith("(") and inner.endswith(")")):
            raise QueryError(f"where clause {clause!r}: 'in' needs a parenthesised list")
        values = [_value(v) for v in re.findall(r'"[^"]*"|[^",]+', inner[1:-1]) if v.strip()]
        codes, column = _distinct(frame[var], values[0] if values else "")
        return column.isin(values).to_numpy(dtype=bool)[codes]
    value = _value(raw)
    codes, column = _distinct(frame[var], value)
    return _OPS[op](column, value).fillna(False).to_numpy(dtype=bool)[codes]


def _distinct(series: pd.Series, like: str | float) -> tuple[np.ndarray, pd.Series]:
    """Codes of the column's distinct values (missing included) and those values as ``_column`` gives them:
    a clause is evaluated once per distinct value, then spread to the rows by the codes."""
    if series.dtype == object:
        codes, uniques = factorize_objects(series.to_numpy(), missing_code=False)
        return codes, _column(pd.Series(uniques, dtype=object), like)
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    return np.asarray(codes, dtype=np.intp), _column(pd.Series(uniques, dtype=series.dtype), like)


def factorize_objects(values: np.ndarray, missing_code: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Codes and distinct values of an object array, as ``pd.factorize`` gives them.

    ``missing_code``: missing values (None, NaN) get code -1 (else they are one distinct value).
    Columns read from XPT share one ``str`` per distinct value: rows are then grouped by
    object address (an integer hash) and only the few distinct objects are compared by value.

    >>> codes, uniques = factorize_objects(np.array(["b", None, "a", "b"], dtype=object))
    >>> codes.tolist(), uniques.tolist()
    ([0, -1, 1, 0], ['b', 'a'])
    """
    objects = np.ascontiguousarray(values, dtype=object)
    sample = objects[:IDENTITY_SAMPLE]
    if len(pd.unique(object_addresses(sample))) > 2 * len(pd.unique(sample)) + 16:  # values not shared: by value
        codes, uniques = pd.factorize(objects, use_na_sentinel=missing_code)
        return np.asarray(codes, dtype=np.intp), np.asarray(uniques, dtype=object)
    by_object, addresses = pd.factorize(object_addresses(objects))
    first = np.empty(len(addresses), dtype=np.intp)
    first[by_object[::-1]] = np.arange(len(objects) - 1, -1, -1, dtype=np.intp)
    by_value, uniques = pd.factorize(objects[first], use_na_sentinel=missing_code)
    return np.asarray(by_value, dtype=np.intp)[by_object], np.asarray(uniques, dtype=object)


def _column(series: pd.Series, like: str | float) -> pd.Series:
    if isinstance(like, float):
        return pd.to_numeric(series, errors="coerce").astype("float64")
    return series.astype("string").fillna("")


def mask(frame: pd.DataFrame, where: str, memo: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Boolean array of the rows of ``frame`` satisfying ``where`` (empty = all rows).

    ``memo``: the clause masks of earlier calls on this same, unchanged frame (clause text -> mask);
    a clause found there is not evaluated again, a new one is added.
    """
    result = np.ones(len(frame), dtype=bool)
    for clause in (c for c in _AND.split(where.strip()) if c.strip()):
        if memo is None:
            result &= _clause_mask(frame, clause)
            continue
        if clause not in memo:
            memo[clause] = _clause_mask(frame, clause)
        result &= memo[clause]
    return result


def select(frame: pd.DataFrame, where: str, memo: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """The rows of ``frame`` satisfying ``where`` (``memo``: see :func:`mask`)."""
    return frame[mask(frame, where, memo)]


def variables(where: str) -> list[str]:
    """The variables a where clause reads, in order.

    >>> variables('SAFFL="Y" and AVISITN in (3, 6) and SOC="Skin and nails"')
    ['SAFFL', 'AVISITN', 'SOC']
    """
    found = (_CLAUSE.match(c) for c in _AND.split(where.strip()) if c.strip())
    return list(dict.fromkeys(m["var"] for m in found if m))


def conjoin(*clauses: str) -> str:
    """Join the non-empty clauses with `` and `` (a clause repeated is kept once).

    >>> conjoin('SAFFL="Y"', "", 'AVISITN=3', 'SAFFL="Y"')
    'SAFFL="Y" and AVISITN=3'
    """
    parts = [p for c in clauses if c for p in _AND.split(c.strip())]
    return " and ".join(dict.fromkeys(parts))


__all__ = ["QueryError", "conjoin", "factorize_objects", "mask", "select", "variables"]
