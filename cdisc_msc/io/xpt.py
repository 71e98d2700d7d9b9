"""SAS transport (XPORT) version 5 writer, checker and reader (layout of SAS TS-140).

File layout, every record 80 bytes::

    LIBRARY header, 2 records: SAS/SASLIB, version, OS, created; modified
    MEMBER + DSCRPTR headers, 2 records: name, version, OS, created; modified, label, type
    NAMESTR header, then one 140-byte NAMESTR per variable, blank padded to 80
    OBS header, then the records back to back, blank padded to 80

Conventions of this module:

* Character values are ASCII, stored blank padded; trailing blanks are not
  significant (they are stripped when reading and when measuring lengths).
  Missing text (None, NaN, pd.NA) is written as blanks and read back as "".
* Numerics are 8-byte IBM doubles (``cdisc_msc.io.ibm``). NaN/None/pd.NA is
  the ordinary missing ``.``. Special missing values are the strings
  ``".A"``-``".Z"`` and ``"._"`` in an object-dtype numeric column (``"."``
  is accepted too); the reader returns a column with special missings in that
  same form (object dtype), and plain float64 otherwise. -0.0 is written as 0.
* Row numbers in problems and transliterations are 1-based record numbers.
* Output is deterministic: header times come from the metadata (the study
  configuration), never from the clock.
"""
from __future__ import annotations

import datetime as dt
import itertools
import mmap
import os
import queue
import re
import struct
import tempfile
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from cdisc_msc.io.columns import (
    FrameColumns, columns_for, row_of_each, rows_with, run_starts, spread, spread_runs,
)
from cdisc_msc.io.ibm import (
    FRACTION_MASK, IBM_MAX_EXCLUSIVE, IBM_MIN, MISSING_CODES, ibm_representable, ieee_to_ibm,
)
from cdisc_msc.io.meta import (
    NUMERIC_LENGTH, SPECIAL_MISSING_TEXT, SasFormat, XptDataset, XptVariable, from_spec, parse_format,
)
from cdisc_msc.io.segments import Member, Segment, Table, merge_adjacent
from cdisc_msc.problems import InputError, Problem, ProblemReport
from cdisc_msc.spec.model import Dataset

RECORD = 80
NAMESTR_LENGTH = 140
MAX_CHAR_LENGTH = 200
MAX_LABEL_LENGTH = 40
MAX_ROWS_REPORTED = 20
"""Row-level problems listed per variable and check; the rest are counted in one more problem."""

NAME_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,7}$")
LIBRARY_HEADER = b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!000000000000000000000000000000  "
MEMBER_HEADER = b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!000000000000000001600000000140  "
MEMBER_HEADER_PREFIX = b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!"
DESCRIPTOR_HEADER = b"HEADER RECORD*******DSCRPTR HEADER RECORD!!!!!!!000000000000000000000000000000  "
NAMESTR_HEADER = "HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!000000{:04d}00000000000000000000  "
OBS_HEADER = b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!000000000000000000000000000000  "
NAMESTR_STRUCT = struct.Struct(">hhhh8s40s8shhh2s8shhi52s")
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
YEAR_CUTOFF = 1940
"""Two-digit header years: 40-99 are 19xx, 00-39 are 20xx (SAS YEARCUTOFF=1940)."""
BLANK = 0x20

TRANSLITERATIONS: dict[str, str] = {
    "ß": "ss", "Æ": "AE", "æ": "ae", "Ø": "O", "ø": "o", "Œ": "OE", "œ": "oe", "Ð": "D", "ð": "d",
    "Þ": "TH", "þ": "th", "Ł": "L", "ł": "l", "µ": "u", "‘": "'", "’": "'", "‚": "'", "“": '"',
    "”": '"', "„": '"', "–": "-", "—": "-", "−": "-", "…": "...", "\u00a0": " ", "°": " deg",
    "±": "+/-", "×": "x", "÷": "/", "≤": "<=", "≥": ">=",
}
"""Characters NFKD decomposition does not reduce to ASCII."""


# --------------------------------------------------------------------------- results


class XptCheckError(InputError):
    """A frame or its metadata cannot be written to XPT v5; ``report`` lists every violation."""


@dataclass(frozen=True)
class Transliteration:
    """A value changed to ASCII by the opt-in transliteration."""

    dataset: str
    variable: str
    row: int
    old: str
    new: str


@dataclass
class WriteResult:
    """What ``write_xpt`` wrote and what it warns about."""

    path: Path
    records: int
    warnings: list[Problem] = field(default_factory=list)
    transliterations: list[Transliteration] = field(default_factory=list)


# --------------------------------------------------------------------------- text values


def transliterate_text(text: str) -> str:
    """ASCII approximation: accents dropped (é -> e), a few symbols spelled; unknown characters kept."""
    out = []
    for char in text:
        if ord(char) < 128:
            out.append(char)
        elif char in TRANSLITERATIONS:
            out.append(TRANSLITERATIONS[char])
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            out.append(base if base.isascii() and base else char)
    return "".join(out)


@dataclass
class _CharColumn:
    """A character column factorised: ``codes`` (-1 = missing) index ``uniques`` (right-stripped, a numpy
    ``str`` array)."""

    codes: np.ndarray
    uniques: np.ndarray
    byte_lengths: np.ndarray
    non_ascii: np.ndarray

    def table(self, length: int) -> np.ndarray:
        """(len(uniques) + 1, length) uint8 blank-padded bytes; the extra last row (code -1) is blank."""
        table = np.full((len(self.uniques) + 1, length), BLANK, dtype=np.uint8)
        width = self.uniques.dtype.itemsize // 4
        if len(self.uniques) and width:
            points = self.uniques.view(np.uint32).reshape(len(self.uniques), width)[:, :length]
            table[:-1, : points.shape[1]] = np.where(points == 0, BLANK, points).astype(np.uint8)
        return table


# --------------------------------------------------------------------------- checking


@dataclass
class _Prepared:
    """Everything the check pass found out, reused by the writer."""

    report: ProblemReport
    chars: dict[str, _CharColumn] = field(default_factory=dict)
    numbers: dict[str, tuple[np.ndarray | None, np.ndarray | None]] = field(default_factory=dict)
    """Per numeric variable: ``check_num_column``'s converted numbers (None, None for a numeric dtype)."""
    transliterations: list[Transliteration] = field(default_factory=list)
    columns: FrameColumns | None = None
    segments: list[Segment] = field(default_factory=list)
    record_dtype: np.dtype | None = None
    """The record layout of ``segments``, made with them on the first chunk packed."""


def _problem(meta: XptDataset, code: str, message: str, **where) -> Problem:
    return Problem(severity=where.pop("severity", "error"), code=code, file=meta.name, message=message, **where)


def _row_problems(
    meta: XptDataset, variable: str, rows: np.ndarray, values: list[str], code: str, message: str, expected: str,
) -> list[Problem]:
    """One problem per offending row (1-based), at most MAX_ROWS_REPORTED, then a count of the rest."""
    shown = [
        _problem(meta, code, message, row=int(r) + 1, column=variable, value=v, expected=expected)
        for r, v in zip(rows[:MAX_ROWS_REPORTED], values[:MAX_ROWS_REPORTED])
    ]
    if len(rows) > MAX_ROWS_REPORTED:
        shown.append(_problem(
            meta, code, f"{message}: {len(rows) - MAX_ROWS_REPORTED} more rows", column=variable, expected=expected,
        ))
    return shown


def check_names_and_labels(meta: XptDataset) -> list[Problem]:
    """Dataset and variable names (1-8, [A-Z][A-Z0-9_]*, unique) and labels (<= 40, ASCII)."""
    problems = []
    if not NAME_RE.match(meta.name):
        problems.append(_problem(meta, "XPT_NAME", "dataset name is not a SAS v5 name",
                                 value=meta.name, expected="1-8 characters [A-Z][A-Z0-9_]*"))
    seen: set[str] = set()
    for v in meta.variables:
        if not NAME_RE.match(v.name):
            problems.append(_problem(meta, "XPT_NAME", "variable name is not a SAS v5 name", column=v.name,
                                     value=v.name, expected="1-8 characters [A-Z][A-Z0-9_]*"))
        if v.name in seen:
            problems.append(_problem(meta, "XPT_NAME", "duplicate variable name", column=v.name, value=v.name))
        seen.add(v.name)
    for where, label in [("", meta.label)] + [(v.name, v.label) for v in meta.variables]:
        what = "variable label" if where else "dataset label"
        if len(label) > MAX_LABEL_LENGTH:
            problems.append(_problem(meta, "XPT_LABEL", f"{what} is longer than 40 characters ({len(label)})",
                                     column=where, value=label, expected="at most 40 characters"))
        if not label.isascii():
            problems.append(_problem(meta, "XPT_LABEL", f"{what} is not ASCII", column=where, value=label,
                                     expected="ASCII characters only"))
    return problems


def check_variable_attributes(meta: XptDataset) -> list[Problem]:
    """Lengths (char 1-200, numeric 8), formats and header strings that fit their fields."""
    problems = []
    for v in meta.variables:
        if v.type == "char" and not 1 <= v.length <= MAX_CHAR_LENGTH:
            problems.append(_problem(meta, "XPT_LENGTH", "character length out of range", column=v.name,
                                     value=str(v.length), expected="1 to 200 bytes"))
        if v.type == "num" and v.length != NUMERIC_LENGTH:
            problems.append(_problem(meta, "XPT_LENGTH", "numeric length must be 8", column=v.name,
                                     value=str(v.length), expected="8"))
        for kind, text in (("format", v.format), ("informat", v.informat)):
            try:
                fmt = parse_format(text)
            except ValueError:
                problems.append(_problem(meta, "XPT_FORMAT", f"not a SAS {kind}", column=v.name, value=text,
                                         expected="e.g. DATE9., 8.2, $CHAR20."))
                continue
            if len(fmt.name) > 8:
                problems.append(_problem(meta, "XPT_FORMAT", f"{kind} name longer than 8 characters",
                                         column=v.name, value=text, expected="at most 8 characters"))
    for what, text in (("SAS version", meta.sas_version), ("OS name", meta.sas_os),
                       ("dataset type", meta.dataset_type)):
        if len(text) > 8 or not text.isascii():
            problems.append(_problem(meta, "XPT_HEADER", f"{what} does not fit its 8-byte ASCII field",
                                     value=text, expected="at most 8 ASCII characters"))
    return problems


def check_columns(frame: pd.DataFrame, meta: XptDataset) -> list[Problem]:
    """Every metadata variable is a frame column and every frame column is in the metadata."""
    problems = [
        _problem(meta, "XPT_MISSING_COLUMN", "variable of the metadata is not in the frame", column=name)
        for name in meta.names if name not in frame.columns
    ]
    problems += [
        _problem(meta, "XPT_EXTRA_COLUMN", "frame column is not in the metadata", column=str(name))
        for name in frame.columns if name not in meta.names
    ]
    return problems


def _transliterate_uniques(column: _CharColumn) -> dict[int, str]:
    """New values for the non-ASCII distinct values, by their index in ``uniques``."""
    changed = {}
    for i in np.flatnonzero(column.non_ascii):
        changed[int(i)] = transliterate_text(column.uniques[i])
    return changed


def _apply_transliteration(
    meta: XptDataset, variable: str, column: _CharColumn, changed: dict[int, str],
) -> list[Transliteration]:
    """Replace transliterated uniques (a new array: they may be longer); list every changed row."""
    records = []
    uniques = column.uniques.tolist()
    old = {i: uniques[i] for i in changed}
    for i, new in changed.items():
        uniques[i] = new
        column.byte_lengths[i] = len(new.encode("utf-8"))
        column.non_ascii[i] = not new.isascii()
    column.uniques = np.array(uniques, dtype=str)
    rows = np.flatnonzero(np.isin(column.codes, np.fromiter(changed, dtype=np.intp, count=len(changed))))
    for r in rows:
        i = int(column.codes[r])
        records.append(Transliteration(meta.name, variable, int(r) + 1, old[i], changed[i]))
    return records


def check_char_column(
    meta: XptDataset, variable: XptVariable, columns: FrameColumns, transliterate: bool,
) -> tuple[_CharColumn | None, list[Problem], list[Transliteration]]:
    """Text only, ASCII (or transliterated), at most 200 bytes and not longer than the length.

    ``columns``: the cache of the frame holding the column ``variable.name``, checked per distinct
    value (the column itself is only taken to show the values of a problem).
    """
    factorized = columns.get(variable.name)
    codes, uniques = factorized.codes, factorized.uniques
    props = columns.text(variable.name)
    if props is None:
        bad = np.array([not isinstance(u, str) for u in np.asarray(uniques, dtype=object)], dtype=bool)
        rows = rows_with(bad, codes)
        values = columns.frame[variable.name]
        return None, _row_problems(meta, variable.name, rows, [repr(values.iloc[r]) for r in rows[:MAX_ROWS_REPORTED]],
                                   "XPT_NOT_TEXT", "character variable holds a non-text value", "text"), []
    column = _CharColumn(codes, props.stripped, props.byte_lengths, props.non_ascii)
    found: list[Transliteration] = []
    if transliterate and column.non_ascii.any():  # changes the distinct values: work on copies, not the cache
        # (the distinct values too: ``_apply_transliteration`` makes a new array of them)
        column = _CharColumn(codes, column.uniques, column.byte_lengths.copy(), column.non_ascii.copy())
        found = _apply_transliteration(meta, variable.name, column, _transliterate_uniques(column))
    problems: list[Problem] = []
    checks = (
        (column.non_ascii, "XPT_NON_ASCII", "value is not ASCII", "ASCII characters only"),
        (column.byte_lengths > MAX_CHAR_LENGTH, "XPT_VALUE_LENGTH", "value is longer than 200 bytes",
         "at most 200 bytes"),
        ((column.byte_lengths > variable.length) & (column.byte_lengths <= MAX_CHAR_LENGTH), "XPT_LENGTH_SHORT",
         f"value is longer than the length {variable.length} of the metadata",
         f"at most {variable.length} bytes (no truncation)"),
    )
    for bad_unique, code, message, expected in checks:
        if bad_unique.any():
            rows = rows_with(bad_unique, codes)
            shown = [str(column.uniques[codes[r]]) for r in rows[:MAX_ROWS_REPORTED]]
            problems += _row_problems(meta, variable.name, rows, shown, code, message, expected)
    return column, problems, found


def _object_numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(float64 values, special-missing ASCII codes, not-numeric mask) of an object column."""
    raw = values.to_numpy(dtype=object)
    codes = np.zeros(len(raw), dtype=np.uint8)
    kind = pd.api.types.infer_dtype(raw, skipna=True)
    if kind in ("floating", "integer", "mixed-integer-float", "decimal", "empty"):
        numbers = pd.to_numeric(pd.Series(raw), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        return numbers, codes, np.zeros(len(raw), dtype=bool)
    is_text = np.array([isinstance(x, str) for x in raw], dtype=bool)
    is_bool = np.array([isinstance(x, (bool, np.bool_)) for x in raw], dtype=bool)
    special = is_text & pd.Series(raw).isin(SPECIAL_MISSING_TEXT).to_numpy()
    letters = [s[-1] for s in raw[special]]
    codes[special] = np.frombuffer("".join(letters).encode("ascii"), dtype=np.uint8) if letters else codes[special]
    numeric_part = pd.Series(np.where(is_text | is_bool, None, raw), dtype=object)
    numbers = pd.to_numeric(numeric_part, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    not_numeric = ((is_text & ~special) | is_bool
                   | (np.isnan(numbers) & ~is_text & ~pd.isna(pd.Series(raw)).to_numpy()))
    return numbers, codes, not_numeric


def _float_values(uniques: np.ndarray | pd.api.extensions.ExtensionArray) -> np.ndarray:
    """The distinct values of a numeric column as float64, missing ones (pd.NA) as NaN; a numpy
    array without a pandas Series (a fixed cost per column less).

    >>> _float_values(np.array([1, 2])).tolist(), _float_values(pd.array([3, None], dtype="Int64")).tolist()
    ([1.0, 2.0], [3.0, nan])
    """
    if isinstance(uniques, np.ndarray):
        return uniques.astype(np.float64)
    return uniques.to_numpy(dtype=np.float64, na_value=np.nan)


def check_num_column(
    meta: XptDataset, variable: XptVariable, values: pd.Series, columns: FrameColumns,
) -> tuple[tuple[np.ndarray | None, np.ndarray | None] | None, list[Problem]]:
    """Truly numeric values (or special missings), within the IBM range, integers exact.

    Returns the numbers the writer converts row by row, ``(float64 values, special-missing
    codes or None)``, for an object column; a column of a numeric dtype is checked (and
    written) per distinct value of its factorisation, so it gives ``(None, None)``.
    ``columns``: the cache of the frame ``values`` is the column ``variable.name`` of.
    """
    problems: list[Problem] = []
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype) or not (pd.api.types.is_numeric_dtype(dtype) or dtype == object):
        return None, [_problem(meta, "XPT_NOT_NUMERIC", "numeric variable has a non-numeric column type",
                               column=variable.name, value=str(dtype), expected="int, float or Int64")]
    if dtype == object:
        numbers, codes, not_numeric = _object_numbers(values)
        if not_numeric.any():
            rows = np.flatnonzero(not_numeric)
            return None, _row_problems(meta, variable.name, rows, [repr(values.iloc[r]) for r in rows[:MAX_ROWS_REPORTED]],
                                       "XPT_NOT_NUMERIC", "numeric variable holds a non-numeric value",
                                       "a number, missing, or .A-.Z/._")
        row_codes = None  # ``numbers`` holds every row
        converted: tuple[np.ndarray | None, np.ndarray | None] = (numbers, codes if codes.any() else None)
    else:  # checked on the distinct values: per-row work is one gather of the flagged rows
        factorized = columns.get(variable.name)
        numbers = _float_values(factorized.uniques)  # one per distinct value
        row_codes = factorized.codes
        converted = (None, None)
        if pd.api.types.is_integer_dtype(dtype):
            too_wide = (pd.Series(factorized.uniques).abs() > 2 ** 53).fillna(False).to_numpy(dtype=bool)
            if too_wide.any():
                rows = rows_with(too_wide, row_codes)
                problems += _row_problems(meta, variable.name, rows, [str(values.iloc[r]) for r in rows[:MAX_ROWS_REPORTED]],
                                          "XPT_NUMBER", "integer is not exactly representable in a SAS numeric",
                                          "|x| <= 2**53")
    bad = ~ibm_representable(numbers)
    if bad.any():
        rows = np.flatnonzero(bad) if row_codes is None else rows_with(bad, row_codes)
        shown = numbers[rows[:MAX_ROWS_REPORTED] if row_codes is None else row_codes[rows[:MAX_ROWS_REPORTED]]]
        problems += _row_problems(
            meta, variable.name, rows, [repr(float(x)) for x in shown], "XPT_IBM_RANGE",
            "number cannot be held by an IBM double",
            f"0 or {IBM_MIN:.3g} <= |x| < {IBM_MAX_EXCLUSIVE:.3g}, finite",
        )
    return converted, problems


def records_read_back(nrecords: int, record_length: int, trailing_blank: int) -> int:
    """How many records a v5 reader finds when the last ``trailing_blank`` records are all blanks.

    Records are blank padded to 80 bytes, so a reader drops trailing all-blank
    records that could be padding (the data would end less than 80 bytes
    before the end of the file).
    """
    total = -(-nrecords * record_length // RECORD) * RECORD
    found = nrecords
    while trailing_blank > 0 and found > 0 and total - (found - 1) * record_length < RECORD:
        found -= 1
        trailing_blank -= 1
    return found


def _trailing_blank_warning(meta: XptDataset, prepared: _Prepared, nrecords: int) -> list[Problem]:
    """Warn when a character-only dataset ends with blank records a reader would take as padding."""
    if not meta.variables or any(v.is_numeric for v in meta.variables) or nrecords == 0:
        return []
    if any(v.name not in prepared.chars for v in meta.variables):
        return []
    tail = min(nrecords, RECORD // max(meta.record_length, 1) + 1)
    blank = np.ones(tail, dtype=bool)
    for v in meta.variables:
        column = prepared.chars[v.name]
        empty = np.append(column.byte_lengths == 0, True)
        blank &= empty[column.codes[nrecords - tail:]]
    trailing = tail - int(np.flatnonzero(~blank)[-1]) - 1 if (~blank).any() else tail
    found = records_read_back(nrecords, meta.record_length, trailing)
    if found == nrecords:
        return []
    return [_problem(
        meta, "XPT_TRAILING_BLANK",
        f"the last {trailing} record(s) are all blank: a v5 reader takes them for padding and reads "
        f"{found} records instead of {nrecords}", severity="warning", row=nrecords,
        expected="a non-blank value in the last record",
    )]


def _prepare(frame: pd.DataFrame, meta: XptDataset, transliterate: bool,
             columns: FrameColumns | None = None) -> _Prepared:
    """Run every check, keeping the factorised columns and converted numbers for the writer."""
    columns = columns_for(frame, columns)
    prepared = _Prepared(ProblemReport(), columns=columns)
    report = prepared.report
    report.extend(check_names_and_labels(meta))
    report.extend(check_variable_attributes(meta))
    report.extend(check_columns(frame, meta))
    for v in meta.variables:
        if v.name not in frame.columns:
            continue
        if v.type == "char":  # no Series per column: checked on the cached distinct values
            column, problems, found = check_char_column(meta, v, columns, transliterate)
            if column is not None:
                prepared.chars[v.name] = column
            prepared.transliterations += found
        else:
            numbers, problems = check_num_column(meta, v, frame[v.name], columns)
            if numbers is not None:
                prepared.numbers[v.name] = numbers
        report.extend(problems)
    report.extend(_trailing_blank_warning(meta, prepared, len(frame)))
    return prepared


def check_frame(frame: pd.DataFrame, meta: XptDataset, transliterate: bool = False) -> ProblemReport:
    """Every problem writing ``frame`` with ``meta`` would meet (errors and warnings); writes nothing."""
    return _prepare(frame, meta, transliterate).report


# --------------------------------------------------------------------------- headers


def format_header_time(moment: dt.datetime) -> bytes:
    """``ddMMMyy:hh:mm:ss`` in English upper case, e.g. ``21AUG20:09:14:29``."""
    return (f"{moment.day:02d}{MONTHS[moment.month - 1]}{moment.year % 100:02d}:"
            f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}").encode("ascii")


def parse_header_time(raw: bytes) -> dt.datetime:
    """Inverse of ``format_header_time`` (two-digit years by SAS YEARCUTOFF=1940)."""
    text = raw.decode("ascii")
    yy = int(text[5:7])
    year = 1900 + yy if yy >= YEAR_CUTOFF % 100 else 2000 + yy
    return dt.datetime(year, MONTHS.index(text[2:5]) + 1, int(text[0:2]),
                       int(text[8:10]), int(text[11:13]), int(text[14:16]))


def _field(text: str, width: int) -> bytes:
    """Blank-padded fixed-width ASCII field (NULs in ``text`` kept)."""
    raw = text.encode("ascii")
    if len(raw) > width:
        raise ValueError(f"{text!r} does not fit in {width} bytes")
    return raw.ljust(width, b" ")


def library_header(meta: XptDataset) -> bytes:
    """The three library header records."""
    created = meta.library_created or meta.created
    modified = meta.library_modified or meta.modified or meta.created
    return (LIBRARY_HEADER
            + b"SAS     SAS     SASLIB  " + _field(meta.sas_version, 8) + _field(meta.sas_os, 8)
            + b" " * 24 + format_header_time(created)
            + format_header_time(modified) + b" " * 64)


def member_header(meta: XptDataset) -> bytes:
    """Member and descriptor header records with name, label, type and times."""
    return (MEMBER_HEADER + DESCRIPTOR_HEADER
            + b"SAS     " + _field(meta.name, 8) + b"SASDATA " + _field(meta.sas_version, 8) + _field(meta.sas_os, 8)
            + b" " * 24 + format_header_time(meta.created)
            + format_header_time(meta.modified or meta.created) + b" " * 16
            + _field(meta.label, 40) + _field(meta.dataset_type, 8))


def namestr(variable: XptVariable, number: int, position: int) -> bytes:
    """The 140-byte NAMESTR record of one variable."""
    fmt, informat = variable.sas_format, variable.sas_informat
    return NAMESTR_STRUCT.pack(
        1 if variable.is_numeric else 2, 0, variable.length, number,
        _field(variable.name, 8), _field(variable.label, 40),
        _field(fmt.name, 8), fmt.width, fmt.decimals, variable.format_justify, b"\0\0",
        _field(informat.name, 8), informat.width, informat.decimals, position, b"\0" * 52,
    )


def _pad(data: bytes) -> bytes:
    return data + b" " * (-len(data) % RECORD)


def namestr_block(meta: XptDataset) -> bytes:
    """NAMESTR header plus the NAMESTR records, blank padded to a record boundary."""
    positions = np.concatenate([[0], np.cumsum([v.length for v in meta.variables])])
    records = b"".join(namestr(v, i + 1, int(positions[i])) for i, v in enumerate(meta.variables))
    return NAMESTR_HEADER.format(len(meta.variables)).encode("ascii") + _pad(records)


def header_bytes(meta: XptDataset) -> bytes:
    """Everything before the first observation."""
    return library_header(meta) + member_header(meta) + namestr_block(meta) + OBS_HEADER


# --------------------------------------------------------------------------- packing and writing


CHUNK_ROWS = 32768
"""Records packed per chunk: a few reused buffers of a few MB keep memory flat and page faults few."""
MERGED_ROWS = 1 << 16
"""Adjacent variables are packed from one table while all combinations of their values are at most this many."""
REUSED_AFTER = 2
"""A part handed to ``write_atomically`` may be changed once this many more parts were handed over."""


def _value_table(v: XptVariable, prepared: _Prepared) -> tuple[Member, Table] | None:
    """A variable's codes and the (distinct values [+ missing], length) uint8 table of their record
    bytes (the missing row only when the column has missing values); None for a numeric column
    with special missings, converted chunk by chunk instead."""
    if v.is_numeric and prepared.numbers[v.name][0] is not None:  # an object column: converted row by row
        return None
    factorized = prepared.columns.get(v.name)
    if v.is_numeric:
        distinct = _float_values(factorized.uniques)
        words = ieee_to_ibm(np.append(distinct, np.nan))
        table = words.view(np.uint8).reshape(len(words), NUMERIC_LENGTH)
        codes = factorized.codes
    else:
        column = prepared.chars[v.name]  # its codes are those of the column cache
        table, codes = column.table(v.length), column.codes
    if not factorized.has_missing:  # the missing value's row is never used
        table = table[:-1]
    return Member(codes, len(table), factorized.has_missing), Table(table)


def _segments(meta: XptDataset, prepared: _Prepared) -> list[Segment]:
    """The variables in record order, adjacent ones with few combined values packed from one table."""
    return merge_adjacent([_value_table(v, prepared) for v in meta.variables], MERGED_ROWS,
                          len(prepared.columns.frame))


def _segment_dtype(meta: XptDataset, segments: list[Segment]) -> np.dtype:
    """The record as one field per segment (numbers without a table as '>u8')."""
    widths = [NUMERIC_LENGTH if seg.items is None else seg.width for seg in segments]
    return np.dtype({
        "names": [f"s{j}" for j in range(len(segments))],
        "formats": [">u8" if seg.items is None else f"V{w}" for seg, w in zip(segments, widths)],
        "offsets": [int(o) for o in np.concatenate([[0], np.cumsum(widths)[:-1]]).astype(int)],
        "itemsize": meta.record_length,
    })


def pack_records(meta: XptDataset, prepared: _Prepared, start: int, stop: int, out: np.ndarray) -> memoryview:
    """Pack records ``start:stop`` into ``out`` (a uint8 buffer); return the filled bytes.

    Each segment gathers whole record pieces from its table of value
    combinations by code; numbers with special missings are converted to IBM at once.
    """
    size = (stop - start) * meta.record_length
    if not meta.variables:
        return memoryview(out[:0])
    if prepared.record_dtype is None:
        prepared.segments = _segments(meta, prepared)
        prepared.record_dtype = _segment_dtype(meta, prepared.segments)
    records = out[:size].view(prepared.record_dtype)
    for j, seg in enumerate(prepared.segments):
        if seg.items is None:
            numbers, codes = prepared.numbers[meta.variables[seg.columns.start].name]
            records[f"s{j}"] = ieee_to_ibm(numbers[start:stop], None if codes is None else codes[start:stop])
        else:
            records[f"s{j}"] = seg.gather(seg.codes(start, stop))
    return memoryview(out[:size])


class RotatingBuffers:
    """Byte buffers handed out in turn, each grown as needed: a buffer is handed out again only
    after ``count - 1`` others were, so a chunk made in one stays valid while the next ones are
    made (the default count is what ``write_atomically`` allows).

    >>> buffers = RotatingBuffers(2)
    >>> a, b, c = buffers.take(4), buffers.take(4), buffers.take(4)
    >>> a is c, a is b, len(a)
    (True, False, 5)
    """

    def __init__(self, count: int = REUSED_AFTER + 1) -> None:
        self._slots = [np.empty(0, dtype=np.uint8) for _ in range(count)]
        self._next = 0

    def take(self, size: int) -> np.ndarray:
        """A uint8 buffer of at least ``size`` bytes."""
        i, self._next = self._next, (self._next + 1) % len(self._slots)
        if len(self._slots[i]) < size:
            self._slots[i] = np.empty(size + size // 4, dtype=np.uint8)  # room for the next, wider chunk
        return self._slots[i]


def record_chunks(meta: XptDataset, prepared: _Prepared, nrecords: int, chunk_rows: int = CHUNK_ROWS):
    """Yield the packed observations chunk by chunk, then the blank padding.

    The chunks are made in ``RotatingBuffers``: a chunk's buffer is filled again only
    after two more chunks were yielded (what ``write_atomically`` allows).
    """
    size = min(chunk_rows, max(nrecords, 1)) * meta.record_length
    buffers = RotatingBuffers()
    for start in range(0, nrecords, chunk_rows):
        yield pack_records(meta, prepared, start, min(start + chunk_rows, nrecords), buffers.take(size))
    yield b" " * (-(nrecords * meta.record_length) % RECORD)


INLINE_BYTES = 1 << 20
"""Parts are written in the caller's thread while the file is at most this long: for a small file
starting a writer thread costs more CPU than overlapping its few writes saves."""


def _write_parts(out, parts: Iterable) -> None:
    """Write ``parts`` to the file ``out``: the first ``INLINE_BYTES`` here, the rest (from the part that
    goes past them) from a second thread, so the next part is computed while one is written."""
    parts = iter(parts)
    written = 0
    for part in parts:
        size = memoryview(part).nbytes
        if written + size > INLINE_BYTES:
            _write_from_thread(out, itertools.chain([part], parts))
            return
        out.write(part)
        written += size


def _write_from_thread(out, parts: Iterable) -> None:
    """Write ``parts`` to the file ``out`` from a second thread, so the next part is computed
    while one is written (a write releases the GIL).

    The thread holds at most two parts, the one it writes and one queued: a
    producer may refill a part's buffer once it has handed over two more. An
    error of either side stops both and is raised here.
    """
    handed: queue.Queue = queue.Queue(maxsize=REUSED_AFTER - 1)
    failed: list[BaseException] = []

    def writer() -> None:
        part = handed.get()
        while part is not None:
            if not failed:
                try:
                    out.write(part)
                except BaseException as error:  # noqa: BLE001 - raised again in the producer's thread
                    failed.append(error)
            part = handed.get()

    thread = threading.Thread(target=writer, name="write-parts", daemon=True)
    thread.start()
    try:
        for part in parts:
            if failed:
                break
            handed.put(part)
    finally:
        handed.put(None)
        thread.join()
    if failed:
        raise failed[0]


def write_atomically(path: Path, parts: Iterable) -> None:
    """Write byte chunks to a temp file beside ``path`` and move it into place.

    Past the first ``INLINE_BYTES`` the chunks are written by a second thread while the next
    one is made: a chunk's buffer may be reused once two more chunks were handed over.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            _write_parts(out, parts)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def target_path(path: str | Path, meta: XptDataset) -> Path:
    """A directory gets ``<name>.xpt`` in lower case; any other path is used as given."""
    path = Path(path)
    return path / meta.file_name if path.is_dir() else path


def write_xpt(
    frame: pd.DataFrame, meta: XptDataset, path: str | Path, *, transliterate: bool = False,
    columns: FrameColumns | None = None,
) -> WriteResult:
    """Write ``frame`` as a SAS transport v5 file described by ``meta``.

    ``path`` is a folder (the file is ``<name>.xpt``, lower case) or a file
    path. Every check runs first; on any error ``XptCheckError`` lists them all
    and nothing is written. With ``transliterate`` non-ASCII values become
    ASCII (é -> e) and each change is listed in the result. ``columns``, the
    frame's column cache (``cdisc_msc.io.columns.FrameColumns``), shares the
    factorised text columns with the other writers.
    """
    prepared = _prepare(frame, meta, transliterate, columns)
    if prepared.report.has_errors:
        raise XptCheckError(f"cannot write {meta.file_name}", prepared.report)
    nrecords = len(frame)
    target = target_path(path, meta)
    write_atomically(target, itertools.chain([header_bytes(meta)], record_chunks(meta, prepared, nrecords)))
    return WriteResult(target, nrecords, prepared.report.warnings, prepared.transliterations)


def write_xpt_from_spec(
    frame: pd.DataFrame, dataset_spec: Dataset, path: str | Path, created: dt.datetime,
    transliterate: bool = False, modified: dt.datetime | None = None,
) -> WriteResult:
    """Spec-driven write: variables, order, labels, lengths and formats from ``dataset_spec``.

    The frame's columns are taken in spec order (extra columns are an error).
    """
    meta = from_spec(dataset_spec, frame, created=created, modified=modified)
    return write_xpt(frame, meta, path, transliterate=transliterate)


# --------------------------------------------------------------------------- reading


class XptFormatError(ValueError):
    """The file is not a SAS transport v5 file this reader understands."""


def _records(raw: bytes, start: int, count: int) -> bytes:
    return raw[start * RECORD:(start + count) * RECORD]


def _text(raw: bytes) -> str:
    """Header text without trailing blanks (NULs kept, as some hosts pad with them)."""
    return raw.decode("latin-1").rstrip(" ")


def _parse_namestrs(raw: bytes, count: int, size: int) -> list[tuple]:
    """Unpack ``count`` NAMESTR records (140 bytes; 136 on VAX/VMS, zero-extended)."""
    out = []
    for i in range(count):
        chunk = raw[i * size:(i + 1) * size].ljust(NAMESTR_LENGTH, b"\0")
        out.append(NAMESTR_STRUCT.unpack(chunk))
    return out


def _variable_from_namestr(fields: tuple) -> tuple[XptVariable, int]:
    """An ``XptVariable`` and its record position from one unpacked NAMESTR."""
    ntype, _, length, _, name, label, fname, fwidth, fdec, fjust, _, iname, iwidth, idec, position, _ = fields
    fmt = SasFormat(name=_text(fname).rstrip("\0"), width=fwidth, decimals=fdec)
    informat = SasFormat(name=_text(iname).rstrip("\0"), width=iwidth, decimals=idec)
    variable = XptVariable(
        name=_text(name), label=_text(label), type="num" if ntype == 1 else "char", length=length,
        format=str(fmt), format_justify=fjust, informat=str(informat),
    )
    return variable, position


def _data_end(buf: np.ndarray, start: int) -> int:
    """End of the first member's observations: the next member header or the end of file.

    A member header starts a record (a multiple of 80 bytes from ``start``): the
    first 8 bytes of every record are compared at once, the few candidates in full.
    """
    count = max(0, (len(buf) - start - len(MEMBER_HEADER_PREFIX)) // RECORD + 1)
    if count == 0:
        return len(buf)
    heads = np.ndarray((count,), dtype="<u8", buffer=buf, offset=start, strides=(RECORD,))
    candidates = np.flatnonzero(heads == np.frombuffer(MEMBER_HEADER_PREFIX[:8], dtype="<u8")[0])
    if len(candidates):
        prefixes = np.ndarray((count,), dtype=f"V{len(MEMBER_HEADER_PREFIX)}", buffer=buf, offset=start,
                              strides=(RECORD,))[candidates]
        found = candidates[prefixes == np.void(MEMBER_HEADER_PREFIX)]
        if len(found):
            return start + int(found[0]) * RECORD
    return len(buf)


def _count_records(data: np.ndarray, record_length: int) -> int:
    """Records in the data area, dropping trailing all-blank records that fit in the padding."""
    if record_length == 0:
        return 0
    found = len(data) // record_length
    while found > 0 and len(data) - (found - 1) * record_length < RECORD:
        last = data[(found - 1) * record_length:found * record_length]
        if not (last == BLANK).all():
            break
        found -= 1
    return found


@dataclass(frozen=True)
class NumericColumn:
    """A numeric variable as read: float64 ``values`` (NaN for every missing value) and, when the
    column holds special missings, ``special``: their letter per record (uint8 ASCII ``A``-``Z``/``_``, 0 elsewhere)."""

    values: np.ndarray
    special: np.ndarray | None = None

    def as_read(self) -> np.ndarray:
        """What ``read_xpt`` returns: ``values``, or object with ``.A``-style strings when there are specials."""
        if self.special is None:
            return self.values
        out = self.values.astype(object)
        rows = np.flatnonzero(self.special)
        out[rows] = _SPECIAL_TEXT[self.special[rows]]
        return out


@dataclass(frozen=True)
class TextColumn:
    """A character variable as read: int32 ``codes`` (-1 = blank) into ``uniques``, the distinct
    non-blank values (right-stripped ``str``, object array) in order of first use."""

    codes: np.ndarray
    uniques: np.ndarray

    def values(self, blank: object = "") -> np.ndarray:
        """The values by record (object array; one shared ``str`` per distinct value), ``blank`` where blank."""
        return spread(self.uniques, self.codes, blank)


XptColumn = NumericColumn | TextColumn


@dataclass(frozen=True)
class XptColumns:
    """What ``read_xpt_columns`` read: the metadata (every variable), the number of records and the
    requested columns by name, in file order; and where the observations start and end in the file
    (the end: the file's size, or the next member header found at a record start)."""

    meta: XptDataset
    records: int
    columns: dict[str, XptColumn]
    data_start: int = 0
    data_end: int = 0


_SPECIAL_LETTERS = MISSING_CODES[1:]
_SPECIAL_TEXT = np.array([f".{chr(c)}" if chr(c) in _SPECIAL_LETTERS else "" for c in range(256)], dtype=object)
"""``.A``-``.Z``/``._`` by the letter's ASCII code (the text ``read_xpt`` gives special missings)."""
_IBM_SCALE = np.array([(-1.0 if top & 0x80 else 1.0) * 2.0 ** (4 * (top & 0x7F) - 312) for top in range(256)])
"""Value of one unit of the 56-bit IBM fraction by the word's first byte (sign and base-16 exponent)."""
_IS_SPECIAL = _SPECIAL_TEXT != ""
"""Whether a first byte (of a zero fraction) is a special missing value's letter."""
_IBM_ZERO = np.array([np.nan if chr(top) in MISSING_CODES else 0.0 for top in range(256)])
"""Value of a word with a zero fraction by its first byte: NaN for the missing bytes, else 0 (also -0)."""
_HASH_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
"""Odd 64-bit constant (2^64 / golden ratio) mixing the words of a text value into one hash."""


GATHER_ROWS = 8192
"""Records per chunk when copying words out of the records (a few MB: the chunk stays in cache for all its words)."""
GATHER_WORDS = 8
"""Words copied out in one pass over the records: adjacent variables are read together up to this many words."""


def _word_starts(variable: XptVariable) -> list[int]:
    """Offsets in the value of the 8-byte words read for a variable.

    Text: words every 8 bytes; a partial last word is read ending at the value's
    end instead (it overlaps the word before, so the words still determine the
    bytes); a value shorter than 8 bytes is read with the bytes before it (there
    always are: the data follow the headers), shifted out later. Numbers: one word
    ending at the value's end (shorter IBM doubles are zero filled later).
    """
    if variable.length < 8 or variable.is_numeric:
        return [variable.length - 8]
    return list(range(0, variable.length - 7, 8)) + ([variable.length - 8] if variable.length % 8 else [])


def _gather_words(buf: np.ndarray, start: int, stride: int, offsets: list[int], out: np.ndarray) -> np.ndarray:
    """Fill ``out`` ((len(offsets), n) uint64) with the 8 bytes at each record offset as little-endian words.

    Copied chunk of records by chunk, all offsets of a chunk in turn: the records are
    read from memory about once rather than once per word (a column at a time
    would fetch every record's cache lines again for each word).
    """
    n = out.shape[1]
    for lo in range(0, n, GATHER_ROWS):
        hi = min(n, lo + GATHER_ROWS)
        for row, offset in zip(out, offsets):
            row[lo:hi] = np.ndarray((hi - lo,), dtype="<u8", buffer=buf, offset=start + lo * stride + offset,
                                    strides=(stride,))
    return out


def _variable_groups(variables: list[tuple[XptVariable, int]]) -> list[list[tuple[XptVariable, int]]]:
    """Variables (with their record positions) in groups of about ``GATHER_WORDS`` words, in file order."""
    groups: list[list[tuple[XptVariable, int]]] = [[]]
    words = 0
    for item in variables:
        if words >= GATHER_WORDS:
            groups.append([])
            words = 0
        groups[-1].append(item)
        words += len(_word_starts(item[0]))
    return [g for g in groups if g]


def _row_hash(words: list[np.ndarray]) -> np.ndarray:
    """One 64-bit hash per record from its words (multiply/xor); equal values hash equal, collisions are rare."""
    hashed = words[0].copy()
    for word in words[1:]:
        hashed *= _HASH_MULTIPLIER
        hashed ^= word
    return hashed


def _factorize_exact(words: list[np.ndarray]) -> np.ndarray:
    """Codes of the distinct word tuples, one word at a time (exact, slower than one hash)."""
    codes, _ = pd.factorize(words[0])
    for word in words[1:]:
        word_codes, word_uniques = pd.factorize(word)
        codes, _ = pd.factorize(codes.astype(np.int64) * len(word_uniques) + word_codes)
    return codes


def _factorize_key(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes (in order of first use) of one integer key per record and a record of each code (the
    last one found: all records of a code have its key).

    Sorted or grouped data (subjects, parameters, visits) repeat a key over runs of
    records: then only the first key of each run is factorised, as ``cdisc_msc.io.columns``
    does, and the records are found among the run starts.

    >>> codes, rows = _factorize_key(np.array([9, 9, 4, 4, 9], dtype=np.uint64))
    >>> codes.tolist(), rows.tolist()
    ([0, 0, 1, 1, 0], [4, 3])
    """
    starts = run_starts(key)
    if starts is None:
        codes, uniques = pd.factorize(key)
        return codes, row_of_each(codes, len(uniques), last=True)
    run_codes, uniques = pd.factorize(key[starts])  # neighbouring starts differ: no runs left to find
    rows = starts[row_of_each(run_codes, len(uniques), last=True)]
    return spread_runs(run_codes, len(uniques), starts, len(key)), rows


def _factorize_words(words: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Codes (in order of first use) of records keyed by their words and a record of each code.

    A constant column costs one comparison per word; one word is its own key; longer
    values are factorised by one hash per record, checked against one record of each
    code, and factorised exactly word by word in the rare case of a collision.
    """
    n = len(words[0])
    if n == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    if all((word == word[0]).all() for word in words):
        return np.zeros(n, dtype=np.int32), np.zeros(1, dtype=np.intp)
    if len(words) == 1:
        return _factorize_key(words[0])
    codes, first = _factorize_key(_row_hash(words))
    index = codes.astype(np.intp)  # once, not per word (take converts its indices); "clip": all are in range
    if not all((word == np.take(word[first], index, mode="clip")).all() for word in words):  # a shared hash
        codes = _factorize_exact(words)
        first = row_of_each(codes, int(codes.max()) + 1, last=True)
    return codes, first


def _read_text(words: list[np.ndarray], length: int, buf: np.ndarray, offset: int, stride: int,
               encoding: str) -> TextColumn:
    """A character variable from its words (``_word_starts``): records factorised on the raw bytes, each
    distinct value decoded once from the records at ``offset`` of ``buf``.

    Values that decode equal (trailing NULs are dropped like blanks) share one code;
    the blank value (all blanks) gets code -1.
    """
    if length < 8:  # the word holds the bytes before the value too: shift them out
        words = [words[0] >> np.uint64(8 * (8 - length))]
    codes, first = _factorize_words(words)
    n = len(codes)
    fixed = np.ndarray((n,), dtype=f"S{length}", buffer=buf, offset=offset, strides=(stride,))[first]
    distinct = np.strings.decode(np.strings.rstrip(fixed, b" "), encoding).astype(object)
    renumber, uniques = pd.factorize(distinct)
    uniques = np.asarray(uniques, dtype=object)
    blank = np.flatnonzero(uniques == "")
    if len(blank):
        renumber = np.where(renumber == blank[0], -1, renumber - (renumber > blank[0]))
        uniques = np.delete(uniques, blank[0])
    if len(uniques) == len(distinct):  # codes kept as they are: no gather over the records
        return TextColumn(codes.astype(np.int32, copy=False), uniques)
    return TextColumn(renumber.astype(np.int32)[codes], uniques)


def _read_numeric(word: np.ndarray, length: int) -> NumericColumn:
    """A numeric variable from its word (``_word_starts``; changed in place): IBM doubles to float64.

    The value is the 56-bit fraction times a factor looked up by the first byte;
    a zero fraction is 0 or, with a missing byte first, a missing value.
    """
    n = len(word)
    word.byteswap(inplace=True)  # IBM doubles are big-endian
    if length < 8:  # the bytes before the value were read too: shift them out, zero fill the end
        word <<= np.uint64(8 * (8 - length))
    top = (word >> np.uint64(56)).astype(np.uint8)
    word &= FRACTION_MASK  # the fraction from here on
    values = word.view(np.int64).astype(np.float64)  # < 2**56: as int64 (faster to convert than uint64)
    zero = np.flatnonzero(word == 0)
    # the word's memory is free now: no new array; mode="clip" (a uint8 is always in the table) as take
    # buffers ``out`` in the default mode="raise", several times slower
    values *= np.take(_IBM_SCALE, top, out=word.view(np.float64), mode="clip")
    if not len(zero):
        return NumericColumn(values)
    zero_top = top[zero]
    values[zero] = np.take(_IBM_ZERO, zero_top)
    special = zero[np.take(_IS_SPECIAL, zero_top)]
    if not len(special):
        return NumericColumn(values)
    letters = np.zeros(n, dtype=np.uint8)
    letters[special] = top[special]
    return NumericColumn(values, letters)


def _map_file(path: Path) -> mmap.mmap:
    """The file memory mapped read-only: no copy, pages are read when used and freed with the map."""
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            raise XptFormatError(f"{path}: not a SAS transport v5 file (no library header)")
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)


def _read_header(raw: bytes | mmap.mmap, path: Path) -> tuple[XptDataset, list[int], int]:
    """Metadata, the record position of each variable and where the observations start.

    ``raw``: the file (bytes or a memory map; only the header records are sliced out).
    """
    if raw[:48] != LIBRARY_HEADER[:48]:
        raise XptFormatError(f"{path}: not a SAS transport v5 file (no library header)")
    lib2, lib3 = _records(raw, 1, 1), _records(raw, 2, 1)
    member, descriptor = _records(raw, 3, 1), _records(raw, 4, 1)
    if not member.startswith(MEMBER_HEADER_PREFIX) or not descriptor.startswith(DESCRIPTOR_HEADER[:48]):
        raise XptFormatError(f"{path}: no member header where expected")
    namestr_size = int(member[74:78])
    d1, d2 = _records(raw, 5, 1), _records(raw, 6, 1)
    nvars = int(_records(raw, 7, 1)[54:58])
    namestr_start = 8 * RECORD
    namestr_end = namestr_start + -(-nvars * namestr_size // RECORD) * RECORD
    fields = _parse_namestrs(raw[namestr_start:namestr_end], nvars, namestr_size)
    if not raw[namestr_end:namestr_end + RECORD].startswith(OBS_HEADER[:48]):
        raise XptFormatError(f"{path}: no OBS header after the NAMESTR records")
    variables, positions = zip(*(_variable_from_namestr(f) for f in fields)) if fields else ((), ())
    created, modified = parse_header_time(d1[64:80]), parse_header_time(d2[0:16])
    lib_created, lib_modified = parse_header_time(lib2[64:80]), parse_header_time(lib3[0:16])
    meta = XptDataset(
        name=_text(d1[8:16]), label=_text(d2[32:72]), variables=list(variables),
        created=created, modified=modified,
        library_created=None if lib_created == created else lib_created,
        library_modified=None if lib_modified == modified else lib_modified,
        sas_version=_text(d1[24:32]), sas_os=_text(d1[32:40]), dataset_type=_text(d2[72:80]),
    )
    return meta, list(positions), namestr_end + RECORD


def read_xpt_columns(path: str | Path, columns: Iterable[str] | None = None, encoding: str = "latin-1") -> XptColumns:
    """Read the first member of a transport v5 file as metadata and columns, decoding only ``columns``.

    Returns the ``XptDataset`` (every variable), the number of records and, for the
    requested variables present (all when ``columns`` is None), in file order: a ``NumericColumn``
    (float64) or a ``TextColumn`` (int32 codes, -1 = blank, and the distinct
    values). The file is memory mapped and each variable decoded straight from
    the records, so a column costs about its own bytes, not the file's.
    """
    path = Path(path)
    mapped = _map_file(path)
    try:
        return _read_mapped(mapped, path, columns, encoding)
    finally:  # the views into the map went with _read_mapped's frame: close it now rather than at collection
        mapped.close()


def _read_mapped(mapped: mmap.mmap, path: Path, columns: Iterable[str] | None, encoding: str) -> XptColumns:
    """``read_xpt_columns`` of an open map; nothing returned points into it (values are copied out)."""
    meta, positions, data_start = _read_header(mapped, path)
    buf = np.frombuffer(mapped, dtype=np.uint8)
    record_length = meta.record_length
    data_end = _data_end(buf, data_start)
    n = _count_records(buf[data_start:data_end], record_length)
    wanted = None if columns is None else set(columns)
    selected = [(v, position) for v, position in zip(meta.variables, positions) if wanted is None or v.name in wanted]
    out: dict[str, XptColumn] = {}
    if n == 0:  # no records: no views into the data area (it may be empty)
        for v, _ in selected:
            out[v.name] = NumericColumn(np.zeros(0)) if v.is_numeric else \
                TextColumn(np.zeros(0, dtype=np.int32), np.zeros(0, dtype=object))
        return XptColumns(meta, n, out, data_start, data_end)
    groups = [(group, [[position + at for at in _word_starts(v)] for v, position in group])
              for group in _variable_groups(selected)]
    scratch = np.empty((max((sum(map(len, starts)) for _, starts in groups), default=0), n), dtype=np.uint64)
    for group, starts in groups:
        offsets = [at for own in starts for at in own]
        words = list(_gather_words(buf, data_start, record_length, offsets, scratch[:len(offsets)]))
        for (v, position), own in zip(group, starts):
            mine, words = words[:len(own)], words[len(own):]
            out[v.name] = _read_numeric(mine[0], v.length) if v.is_numeric else \
                _read_text(mine, v.length, buf, data_start + position, record_length, encoding)
        del words
    return XptColumns(meta, n, out, data_start, data_end)


def read_xpt(path: str | Path, encoding: str = "latin-1") -> tuple[pd.DataFrame, XptDataset]:
    """Read the first member of a transport v5 file: the frame and its ``XptDataset`` metadata.

    Text columns are object arrays of right-stripped ``str`` ("" = blank); numeric ones
    float64, or object with ``.A``-style strings where the column holds special missings.
    """
    read = read_xpt_columns(path, encoding=encoding)
    arrays = {name: column.as_read() if isinstance(column, NumericColumn) else column.values("")
              for name, column in read.columns.items()}
    frame = pd.DataFrame(  # copy=False: one block per column, no consolidation copies
        {name: pd.Series(values, dtype=values.dtype, copy=False) for name, values in arrays.items()},
        index=pd.RangeIndex(read.records), copy=False,
    )
    return frame, read.meta


__all__ = [
    "NumericColumn", "TextColumn", "Transliteration", "WriteResult", "XptCheckError", "XptColumns", "XptFormatError",
    "check_frame", "read_xpt", "read_xpt_columns", "records_read_back", "transliterate_text", "write_atomically",
    "write_xpt", "write_xpt_from_spec",
]
