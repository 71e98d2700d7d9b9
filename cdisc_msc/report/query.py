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

from cdisc_msc.io.columns import factorize_column

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
    """Codes of the column's distinct values (-1 = missing) and those values as ``_column`` gives them, the
    missing value last: a clause is evaluated once per distinct value, then spread to the rows by the codes."""
    codes, uniques = factorize_missing_last(series, np.nan if series.dtype == np.float64 else None)
    dtype = object if series.dtype == object else series.dtype
    return codes, _column(pd.Series(uniques, dtype=dtype), like)


def factorize_missing_last(series: pd.Series, missing: object) -> tuple[np.ndarray, np.ndarray]:
    """``factorize_column`` of the column, with ``missing`` after the distinct values when a value is
    missing: the codes (-1 = missing) then index the values, code -1 taking the last one.

    >>> codes, uniques = factorize_missing_last(pd.Series(["b", None, "a", "b"], dtype=object), np.nan)
    >>> codes.tolist(), uniques.tolist(), uniques[codes].tolist()
    ([0, -1, 1, 0], ['b', 'a', nan], ['b', nan, 'a', 'b'])
    """
    factorized = factorize_column(series)
    uniques = factorized.uniques
    if factorized.has_missing:
        uniques = np.append(uniques, missing)
    return factorized.codes, uniques


def _column(series: pd.Series, like: str | float) -> pd.Series:
    """The values as a clause compares them: numbers (float64, NaN when not a number) or text ("" = missing)."""
    if isinstance(like, float):
        if series.dtype == np.float64:  # already numbers: to_numeric would give them back, at some cost
            return series
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


__all__ = ["QueryError", "conjoin", "factorize_missing_last", "mask", "select", "variables"]
