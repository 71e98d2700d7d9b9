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
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    distinct = pd.Series(np.asarray(uniques, dtype=object) if series.dtype == object else uniques, dtype=series.dtype)
    return np.asarray(codes, dtype=np.intp), _column(distinct, like)


def _column(series: pd.Series, like: str | float) -> pd.Series:
    if isinstance(like, float):
        return pd.to_numeric(series, errors="coerce").astype("float64")
    return series.astype("string").fillna("")


def mask(frame: pd.DataFrame, where: str) -> np.ndarray:
    """Boolean array of the rows of ``frame`` satisfying ``where`` (empty = all rows)."""
    result = np.ones(len(frame), dtype=bool)
    for clause in (c for c in _AND.split(where.strip()) if c.strip()):
        result &= _clause_mask(frame, clause)
    return result


def select(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    """The rows of ``frame`` satisfying ``where``."""
    return frame[mask(frame, where)]


def conjoin(*clauses: str) -> str:
    """Join the non-empty clauses with `` and `` (a clause repeated is kept once).

    >>> conjoin('SAFFL="Y"', "", 'AVISITN=3', 'SAFFL="Y"')
    'SAFFL="Y" and AVISITN=3'
    """
    parts = [p for c in clauses if c for p in _AND.split(c.strip())]
    return " and ".join(dict.fromkeys(parts))


__all__ = ["QueryError", "conjoin", "mask", "select"]
