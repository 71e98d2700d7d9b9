"""CDISC Dataset-JSON 1.1 writer (``.json`` and ``.ndjson``) from the same metadata as the XPT writer.

Conventions (Dataset-JSON 1.1 specification, "Supported Column Data Type
Combinations", "Date/Time Variables", "Decimal Variables", "Row Data"):

* Text: JSON strings; missing text is ``""`` (SAS has no missing text, and
  the XPT file holds blanks); trailing blanks are removed.
* Numeric missing values, ordinary or special (``.A``-``.Z``, ``._``), are ``null``.
* ``integer`` columns are JSON integers; a non-integral value is an error.
* ``float``/``double`` columns are JSON numbers in the shortest form that
  reads back to the same double (integral values without ``.0``, as SAS writes them).
* ``decimal`` (targetDataType ``decimal``) values are strings with ``.`` as
  the decimal separator, shortest round-trip form.
* Numeric SAS dates, datetimes and times (recognised by their display format,
  e.g. ``DATE9.``, ``E8601DA.``, ``DATETIME20.``, ``TIME8.``; the ADaM case)
  are written as ISO 8601 strings (``2014-01-02``, ``2014-01-02T10:30:00``,
  ``10:30:00``) with ``dataType`` date/datetime/time, ``targetDataType``
  ``integer`` and the ``displayFormat`` kept, so a reader can restore the SAS numbers.
* Character ISO 8601 variables (SDTM ``--DTC``) are strings with the spec's
  data type (``date``/``datetime``/``time``; partial dates are ``string``).
* NDJSON: line 1 is the metadata object (with ``records``), then one JSON
  array per row. Both forms are UTF-8, compact, deterministic.
"""
from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import pandas as pd

from cdisc_msc.io.columns import Factorized, FrameColumns, TextProperties, columns_for
from cdisc_msc.io.meta import XptDataset, XptVariable
from cdisc_msc.io.segments import Member, Segment, Table, at_offsets, merge_adjacent
from cdisc_msc.io.xpt import RotatingBuffers, write_atomically
from cdisc_msc.problems import InputError, Problem, ProblemReport

DATASET_JSON_VERSION = "1.1.0"
SAS_EPOCH = np.datetime64("1960-01-01T00:00:00", "s")
DATE_FORMATS = frozenset({
    "DATE", "E8601DA", "IS8601DA", "B8601DA", "YYMMDD", "YYMMDDN", "YYMMDDD", "YYMMDDS", "MMDDYY", "DDMMYY",
    "WORDDATE", "WORDDATX", "WEEKDATE", "MONYY", "NLDATE", "MINGUO", "JULIAN",
})
DATETIME_FORMATS = frozenset({"DATETIME", "E8601DT", "IS8601DT", "B8601DT", "E8601DZ", "IS8601DZ", "DATEAMPM", "NLDATM"})
TIME_FORMATS = frozenset({"TIME", "E8601TM", "IS8601TM", "B8601TM", "HHMM", "TOD", "TIMEAMPM", "NLTIME"})
TEXT_LOGICAL_TYPES = {"date": "date", "datetime": "datetime", "time": "time"}


class DatasetJsonError(InputError):
    """Values that cannot be written with their column's Dataset-JSON data type."""


def temporal_kind(variable: XptVariable) -> str | None:
    """``date``, ``datetime`` or ``time`` for a numeric variable with such a display format, else None."""
    if not variable.is_numeric:
        return None
    name = variable.sas_format.name
    if name in DATE_FORMATS:
        return "date"
    if name in DATETIME_FORMATS:
        return "datetime"
    if name in TIME_FORMATS:
        return "time"
    return None


def _numbers(values: pd.Series | np.ndarray) -> np.ndarray:
    """float64 values with every missing (NaN, None, pd.NA, ``.A``-style strings) as NaN.

    >>> _numbers(np.array([1, None, ".A", 2.5], dtype=object)).tolist()
    [1.0, nan, nan, 2.5]
    """
    if values.dtype == object:
        values = pd.Series(values, dtype=object, copy=False)
        values = pd.to_numeric(values.where(~values.map(lambda x: isinstance(x, str))), errors="coerce")
    if isinstance(values, np.ndarray):  # a numpy numeric array holds no missing value but NaN
        return values.astype(np.float64, copy=False)
    return values.to_numpy(dtype=np.float64, na_value=np.nan)


def _all_integral(numbers: np.ndarray) -> bool:
    present = numbers[~np.isnan(numbers)]
    return bool(np.all(present == np.floor(present)) and np.all(np.abs(present) <= 2.0 ** 53))


def column_metadata(
    meta: XptDataset, frame: pd.DataFrame, item_oid_prefix: str = "IT",
) -> list[dict[str, Any]]:
    """Dataset-JSON column definitions derived from the metadata (and the data, for untyped numerics)."""
    keys = {name: i + 1 for i, name in enumerate(meta.keys)}
    columns = []
    for v in meta.variables:
        column: dict[str, Any] = {"itemOID": f"{item_oid_prefix}.{meta.name}.{v.name}", "name": v.name, "label": v.label}
        kind = temporal_kind(v)
        if kind:
            column.update(dataType=kind, targetDataType="integer")
        elif v.is_numeric:
            if v.data_type in ("integer", "float"):
                column["dataType"] = v.data_type
            else:
                column["dataType"] = "integer" if _all_integral(_numbers(frame[v.name])) else "float"
        else:
            column["dataType"] = TEXT_LOGICAL_TYPES.get(v.data_type or "", "string")
            column["length"] = v.length
        if v.format:
            column["displayFormat"] = v.format
        if v.name in keys:
            column["keySequence"] = keys[v.name]
        columns.append(column)
    return columns


def _iso(numbers: np.ndarray, kind: str) -> list[str | None]:
    """SAS dates (days), datetimes or times (seconds) as ISO 8601 strings; NaN as None."""
    missing = np.isnan(numbers)
    seconds = np.where(missing, 0, numbers)
    fractional = bool(np.any(seconds != np.floor(seconds)))
    if kind == "date":
        text = (SAS_EPOCH.astype("datetime64[D]") + np.floor(seconds).astype("timedelta64[D]")).astype(str)
    else:
        unit = "ms" if fractional else "s"
        scaled = np.round(seconds * (1000 if fractional else 1)).astype(np.int64).astype(f"timedelta64[{unit}]")
        text = (SAS_EPOCH.astype(f"datetime64[{unit}]") + scaled).astype(str)
        if kind == "time":
            text = np.array([t.split("T", 1)[1] for t in text], dtype=object) if len(text) else text
            overflow = seconds >= 86400
            if overflow.any():
                raise ValueError("time of day at or beyond 24:00:00")
    out = text.astype(object)
    out[missing] = None
    return out.tolist()


def _shortest_all(numbers: np.ndarray) -> np.ndarray:
    """Each number in its shortest JSON form: integral floats within 2**53 as Python ints (JSON ``42``),
    other floats unchanged.

    >>> _shortest_all(np.array([42.0, 2.5, -0.0, np.inf, 2.0 ** 60])).tolist()
    [42, 2.5, 0, inf, 1.152921504606847e+18]
    """
    out = numbers.astype(object)
    with np.errstate(invalid="ignore"):
        integral = (numbers == np.floor(numbers)) & (np.abs(numbers) <= 2.0 ** 53)  # inf, NaN: False
    out[integral] = numbers[integral].astype(np.int64).astype(object)
    return out


def _is_text(column: dict[str, Any]) -> bool:
    """True when the column's JSON values are its text as strings (not ISO 8601 text made from SAS numbers)."""
    data_type = column["dataType"]
    if data_type in ("date", "datetime", "time") and column.get("targetDataType") == "integer":
        return False
    return data_type in ("string", "date", "datetime", "time", "URI")


def _decimal_text(x: float) -> str:
    text = repr(x)
    return text[:-2] if text.endswith(".0") else text


def column_values(values: pd.Series | np.ndarray, column: dict[str, Any], dataset: str, report: ProblemReport) -> list:
    """The JSON values of one column (a Series, or a numpy array: no pandas cost per column) for its
    dataType/targetDataType (problems go to ``report``).

    >>> column_values(np.array([2.0, np.nan]), {"name": "N", "dataType": "float"}, "T", ProblemReport())
    [2, None]
    """
    data_type, target = column["dataType"], column.get("targetDataType")
    if data_type in ("date", "datetime", "time") and target == "integer":
        try:
            return _iso(_numbers(values), data_type)
        except ValueError as error:
            report.add(file=dataset, column=column["name"], code="DSJ_TIME", message=str(error))
            return [None] * len(values)
    if _is_text(column):
        # numpy, not pandas ``where``: a fixed cost per column less
        text = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values.astype(object)
        missing = pd.isna(text)
        if missing.any():
            text = text.copy()
            text[missing] = ""
        return [s.rstrip(" ") if isinstance(s, str) else str(s) for s in text.tolist()]
    numbers = _numbers(values)
    missing = np.isnan(numbers)
    if data_type == "integer":
        bad = ~missing & (numbers != np.floor(numbers))
        for row in np.flatnonzero(bad)[:20]:
            report.add(file=dataset, row=int(row) + 1, column=column["name"], code="DSJ_INTEGER",
                       value=repr(float(numbers[row])), expected="an integer", message="integer column holds a fraction")
        out = np.where(missing, 0, numbers).astype(np.int64).astype(object)
    elif data_type == "decimal" or target == "decimal":
        out = np.array([_decimal_text(x) for x in numbers.tolist()], dtype=object)
    elif data_type == "boolean":
        out = (numbers != 0).astype(object)
    else:
        out = _shortest_all(numbers)
    out[missing] = None
    return out.tolist()


def _header(
    meta: XptDataset, columns: list[dict[str, Any]], records: int, study_oid: str, metadata_version_oid: str,
    creation_datetime: dt.datetime | str, item_group_oid: str | None, file_oid: str | None,
    db_last_modified: dt.datetime | str | None, originator: str | None, source_system: dict[str, str] | None,
    metadata_ref: str | None,
) -> dict[str, Any]:
    """The dataset attributes in the order of the specification, optional ones only when given."""
    def stamp(moment: dt.datetime | str) -> str:
        return moment if isinstance(moment, str) else moment.isoformat(timespec="seconds")

    header: dict[str, Any] = {"datasetJSONCreationDateTime": stamp(creation_datetime),
                              "datasetJSONVersion": DATASET_JSON_VERSION}
    optional = [("fileOID", file_oid), ("dbLastModifiedDateTime", db_last_modified and stamp(db_last_modified)),
                ("originator", originator), ("sourceSystem", source_system)]
    header.update({k: v for k, v in optional if v is not None})
    header.update(studyOID=study_oid, metaDataVersionOID=metadata_version_oid)
    if metadata_ref is not None:
        header["metaDataRef"] = metadata_ref
    header.update(itemGroupOID=item_group_oid or f"IG.{meta.name}", records=records, name=meta.name,
                  label=meta.label, columns=columns)
    return header


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _merge_columns(derived: list[dict[str, Any]], given: Iterable[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Given column definitions (e.g. from define.xml) replace the derived ones of the same name."""
    if given is None:
        return derived
    by_name = {c["name"]: dict(c) for c in given}
    return [by_name.get(c["name"], c) for c in derived]


def _target(path: str | Path, meta: XptDataset, ndjson: bool) -> Path:
    path = Path(path)
    return path / f"{meta.name.lower()}.{'ndjson' if ndjson else 'json'}" if path.is_dir() else path


ROWS_PER_CHUNK = 16_384
"""Rows assembled at a time: a few MB, which stay in the CPU cache while every group is written
into them (16,384 rows took 10-15 % less CPU than 32,768 at 10,000 subjects)."""
MERGED_TOKENS = 1 << 14
"""Adjacent columns are packed as one item while all combinations of their tokens are at most this many."""
RECORDS_PER_TOKEN_ROW = 4
"""...and at most one combination per this many records: a token table is built by a scatter (tokens vary
in length), so one as large as the records costs more than it saves (MH at 1,000 subjects, 12,025 records:
10 -> 3.4 ms with at most 3,006 combinations instead of 12,025)."""


@dataclass(frozen=True)
class _Tokens:
    """One column as JSON text: ``tokens[codes[i]]`` is row i's value (code -1: the last token,
    that of a missing value, when ``missing``)."""

    codes: np.ndarray
    tokens: np.ndarray  # S<widest>, or a list of bytes
    missing: bool = False


def _encode_each(values: list) -> np.ndarray:
    """``_dumps(v)`` of each value as UTF-8, many values in one ``json`` call: an ``S`` array
    (NUL padded; JSON text never holds a NUL byte, it escapes it).

    Numbers, booleans and None never hold a comma; in a list of strings the
    three characters ``","`` only occur between two values (a quote inside a
    string is always escaped), so one encoded list splits back into the values.

    >>> _encode_each([1, 2.5, None]).tolist(), _encode_each(['a","b', "c"]).tolist()
    ([b'1', b'2.5', b'null'], [b'"a\\\\",\\\\"b"', b'"c"'])
    """
    if len(values) < 2:
        return np.array([_dumps(v).encode("utf-8") for v in values], dtype=np.bytes_)
    types = list(set(map(type, values)))  # the few types of the values, found in C
    is_text = [issubclass(t, str) for t in types]
    if all(is_text):  # all str (the usual text column)
        inner = np.array(_dumps(values).encode("utf-8")[2:-2].split(b'","'), dtype=np.bytes_)
        return np.strings.add(np.strings.add(b'"', inner), b'"')
    if not any(is_text):
        return np.array(_dumps(values).encode("utf-8")[1:-1].split(b","), dtype=np.bytes_)
    if all(text or t is type(None) for t, text in zip(types, is_text)):  # ISO dates with missing ones
        present = np.array([v is not None for v in values], dtype=bool)
        text = _encode_each([v for v in values if v is not None])
        out = np.full(len(values), b"null", dtype=f"S{max(text.dtype.itemsize, 4)}")
        out[present] = text
        return out
    return np.array([_dumps(v).encode("utf-8") for v in values], dtype=np.bytes_)


def _distinct(factorized: Factorized, dtype: Any) -> pd.Series | np.ndarray:
    """The distinct values of a column of ``dtype``, then a missing one when code -1 is used
    (code -1 takes the last token): a numpy array, or a Series for extension dtypes.

    >>> from cdisc_msc.io.columns import factorize_column
    >>> _distinct(factorize_column(pd.Series([2.5, None, 2.5])), np.dtype(float)).tolist()
    [2.5, nan]
    """
    uniques = factorized.uniques
    if dtype == object:
        objects = np.asarray(uniques, dtype=object)
        return np.append(objects, None) if factorized.has_missing else objects
    if isinstance(dtype, np.dtype) and isinstance(uniques, np.ndarray):  # NaN is its only missing value
        return np.append(uniques, np.nan) if factorized.has_missing else uniques
    distinct = pd.Series(uniques, dtype=dtype)
    if factorized.has_missing:
        distinct = pd.concat([distinct, pd.Series([None], dtype=dtype)], ignore_index=True)
    return distinct


def _plain_text_tokens(factorized: Factorized, text: TextProperties) -> np.ndarray | None:
    """The JSON strings of a text column's distinct values (then ``""``, a missing value's, when code -1
    is used) made from ``text.stripped``, the right-stripped values as a numpy str array: a quote, the
    bytes, a quote, what ``json`` writes of ASCII text it need not escape. None when a value is not ASCII
    or holds a character ``json`` escapes (a quote, a backslash, a control character; NUL checked on the
    values themselves: a numpy str array drops trailing NULs), left to ``json``.

    >>> from cdisc_msc.io.columns import factorize_column, text_properties
    >>> f = factorize_column(pd.Series(["a ", None, "b c"], dtype=object))
    >>> _plain_text_tokens(f, text_properties(f.uniques)).tolist()
    [b'"a"', b'"b c"', b'""']
    >>> f = factorize_column(pd.Series(['say "hi"'], dtype=object))
    >>> _plain_text_tokens(f, text_properties(f.uniques)) is None
    True
    """
    if text.non_ascii.any() or "\x00" in "".join(factorized.uniques):
        return None
    width = text.stripped.dtype.itemsize // 4
    points = text.stripped.view(np.uint32)  # every value's characters, NUL padded to the width
    if ((points < 0x20) & (points != 0)).any() or (points == 0x22).any() or (points == 0x5C).any():
        return None
    body = points.astype(np.uint8).view(f"S{width}") if width else np.zeros(len(points), dtype="S1")
    tokens = np.strings.add(np.strings.add(b'"', body), b'"')
    return np.append(tokens, np.array([b'""'])) if factorized.has_missing else tokens


def _tokens(factorized: Factorized, dtype: Any, column: dict[str, Any], dataset: str, report: ProblemReport,
            whole: Callable[[], pd.Series], text: TextProperties | None = None) -> _Tokens:
    """A factorised column's JSON tokens (column ``dtype``), converted once per distinct value
    (``column_values`` on the distinct values, so the text is exactly what ``column_values`` gives
    row by row); ``whole()`` gives the column, only needed when a value has a problem (reported
    with its row number). ``text``: the column's text properties, when its distinct values are all
    ``str`` (their stripped str array gives the tokens without ``json``, see ``_plain_text_tokens``)."""
    if text is not None and _is_text(column):
        tokens = _plain_text_tokens(factorized, text)
        if tokens is not None:
            return _Tokens(factorized.codes, tokens, factorized.has_missing)
    own = ProblemReport()
    converted = column_values(_distinct(factorized, dtype), column, dataset, own)
    if own.problems:  # report the problems with the row numbers of the whole column
        column_values(whole(), column, dataset, report)
    return _Tokens(factorized.codes, _encode_each(converted), factorized.has_missing)


def _token_table(tokens: np.ndarray | list[bytes]) -> Table:
    """Tokens as a (tokens, widest) uint8 table padded with NULs, and their lengths.

    >>> t = _token_table([b"1", b"22"]); t.data.tolist(), t.lengths.tolist()
    ([[49, 0], [50, 50]], [1, 2])
    """
    tokens = np.asarray(tokens, dtype=np.bytes_)
    lengths = np.strings.str_len(tokens).astype(np.int64)
    width = int(lengths.max())
    if tokens.dtype.itemsize != width:  # wider than the widest token: cut to it
        tokens = tokens.astype(f"S{width}")
    return Table(np.ascontiguousarray(tokens).view(np.uint8).reshape(len(tokens), width), lengths)


def _groups(columns: list[_Tokens], end: bytes) -> list[Segment]:
    """The columns framed (``[`` before the first, ``,`` between, ``end`` after the last) and
    packed left to right into groups of adjacent columns (few combinations: few wide items).

    >>> [bytes(x) for x in _groups([_Tokens(np.array([0]), [b'"A"']), _Tokens(np.array([1]), [b"1", b"22"])],
    ...                             b"]")[0].items]
    [b'["A",1]\\x00', b'["A",22]']
    """
    last = len(columns) - 1
    tables = []
    for j, col in enumerate(columns):
        framed = np.strings.add(np.strings.add(b"[" if j == 0 else b",", np.asarray(col.tokens, dtype=np.bytes_)),
                                end if j == last else b"")
        tables.append((Member(col.codes, len(framed), col.missing), _token_table(framed)))
    records = len(columns[0].codes) if columns else MERGED_TOKENS
    return merge_adjacent(tables, MERGED_TOKENS, records // RECORDS_PER_TOKEN_ROW)


def _least_after(shortest: list[int]) -> list[int]:
    """The least bytes after each group in a row, given each group's shortest item.

    >>> _least_after([3, 1, 2])
    [3, 2, 0]
    """
    return np.cumsum(shortest[::-1])[::-1].tolist()[1:] + [0]


def _repaired(groups: list[Segment], shortest: list[int]) -> int:
    """How many leading groups ``_row_bytes`` writes last, after the others (``shortest``: each
    group's shortest item).

    A group's item is written whole, padding included, at its row position,
    group after group: the padding is overwritten by the next group of the
    row or, past the end of the row, it lands on the first groups of the next
    row, which are written last. Returns how many leading groups cover the
    most padding that can pass the end of a row (all of them when a row can
    be shorter than that).
    """
    spill = max(g.width - low - rest for g, low, rest in zip(groups, shortest, _least_after(shortest)))
    count, covered = 0, 0
    while covered < spill and count < len(groups):
        covered += shortest[count]
        count += 1
    return count


def _leading_exact(groups: list[Segment]) -> list[list[int] | None]:
    """For each leading group written last (``_repaired``), the token lengths it is written at
    exactly, or None when it is written whole, padding included.

    They are written in order too, so a group's padding is harmless when the
    following leading groups of the row always cover it (they are written
    after it); only a group whose padding may reach past them, onto the groups
    written first, is written exactly (one write per token length, slower),
    unless its tokens all have one length (no padding).
    """
    shortest = [int(g.lengths.min()) for g in groups]
    count = _repaired(groups, shortest)
    exact = []
    for g, low, rest in zip(groups, shortest[:count], _least_after(shortest[:count])):
        sizes = np.unique(g.lengths).tolist()
        exact.append(sizes if g.width - low > rest and len(sizes) > 1 else None)
    return exact


def _row_bytes(groups: list[Segment], start: int, stop: int, leading: list[list[int] | None] | None = None,
               buffers: RotatingBuffers | None = None) -> np.ndarray:
    """Rows ``start:stop`` as JSON text (a uint8 array): each group's item written at its byte
    offset in the rows, group after group (its padding overwritten by what follows, see
    ``_repaired``), the ``leading`` groups last (``_leading_exact``: the token lengths of those written exactly).
    The rows are made in a buffer of ``buffers`` (default: a new one)."""
    leading = _leading_exact(groups) if leading is None else leading
    repaired = len(leading)
    codes = [g.codes(start, stop) for g in groups]
    lengths = [g.lengths[c] for g, c in zip(groups, codes)]
    row = lengths[0].copy()
    for length in lengths[1:]:
        row += length
    ends = np.cumsum(row)
    total = int(ends[-1]) if len(ends) else 0
    size = total + max(g.width for g in groups)  # room for the last padding
    out = buffers.take(size) if buffers is not None else np.empty(size, dtype=np.uint8)
    offset = ends - row
    offsets = []
    for j, (group, code, length) in enumerate(zip(groups, codes, lengths)):
        if j < repaired:
            offsets.append(offset.copy())
        else:
            at_offsets(out, group.width)[offset] = group.gather(code)
        offset += length
    for group, code, length, at, sizes in zip(groups, codes, lengths, offsets, leading):
        if sizes is None:  # padding overwritten by the next leading groups, or none
            at_offsets(out, group.width)[at] = group.gather(code)
            continue
        for size in sizes:  # the tokens of each length, cut to it
            rows = length == size
            if rows.any():
                at_offsets(out, size)[at[rows]] = group.gather(code[rows], size)
    return out[:total]


def encoded_rows(frame: pd.DataFrame, columns: list[dict[str, Any]], dataset: str, ndjson: bool = False,
                 rows_per_chunk: int = ROWS_PER_CHUNK, frame_columns: FrameColumns | None = None,
                 reuse_buffers: bool = False) -> Iterator[bytes | memoryview]:
    """The rows as JSON text in chunks, the same bytes as ``_dumps`` of each row of ``column_values``
    of every column (comma-separated for ``.json``, one per line for NDJSON); raises ``DatasetJsonError``.

    ``frame_columns``: the frame's column cache (``cdisc_msc.io.columns``), shared with the other writers.
    With ``reuse_buffers`` the chunks are memoryviews of a few buffers used in turn, each valid
    until ``REUSED_AFTER`` more chunks were taken (what ``write_atomically`` allows): no copy per chunk.
    """
    report = ProblemReport()
    for name in (c["name"] for c in columns if c["name"] not in frame.columns):
        report.add(Problem(file=dataset, column=name, code="DSJ_MISSING_COLUMN", message="column not in the frame"))
    if report.has_errors:
        raise DatasetJsonError(f"cannot write Dataset-JSON for {dataset}", report)
    cache = columns_for(frame, frame_columns)
    dtypes = dict(zip(frame.columns, frame.dtypes))  # no Series per column: the column only for a problem
    tokens = [_tokens(cache.get(c["name"]), dtypes[c["name"]], c, dataset, report,
                      functools.partial(frame.__getitem__, c["name"]), cache.text(c["name"])) for c in columns]
    if report.has_errors:
        raise DatasetJsonError(f"cannot write Dataset-JSON for {dataset}", report)
    if not len(frame):
        return
    if not tokens:  # no columns: an empty array per row
        yield b"[]\n" * len(frame) if ndjson else b",".join([b"[]"] * len(frame))
        return
    groups = _groups(tokens, b"]\n" if ndjson else b"],")  # JSON: every row but the last is followed by a comma
    leading = _leading_exact(groups)
    buffers = RotatingBuffers() if reuse_buffers else None
    for start in range(0, len(frame), rows_per_chunk):
        stop = min(start + rows_per_chunk, len(frame))
        chunk = _row_bytes(groups, start, stop, leading, buffers)
        if stop == len(frame) and not ndjson:
            chunk = chunk[:-1]
        yield memoryview(chunk) if reuse_buffers else chunk.tobytes()


def _json_file(header: dict[str, Any], rows: Iterator[bytes | memoryview], ndjson: bool) -> Iterator[bytes | memoryview]:
    if ndjson:
        yield (_dumps(header) + "\n").encode("utf-8")
        yield from rows
        return
    yield (_dumps(header)[:-1] + ',"rows":[').encode("utf-8")
    yield from rows
    yield b"]}\n"


def write_dataset_json(
    frame: pd.DataFrame,
    meta: XptDataset,
    path: str | Path,
    *,
    ndjson: bool = False,
    study_oid: str,
    metadata_version_oid: str,
    creation_datetime: dt.datetime | str,
    item_oid_prefix: str = "IT",
    item_group_oid: str | None = None,
    file_oid: str | None = None,
    db_last_modified: dt.datetime | str | None = None,
    originator: str | None = None,
    source_system: dict[str, str] | None = None,
    metadata_ref: str | None = None,
    columns: Iterable[dict[str, Any]] | None = None,
    frame_columns: FrameColumns | None = None,
) -> Path:
    """Write ``frame`` as Dataset-JSON 1.1 (``ndjson=True``: NDJSON); return the file written.

    ``path`` is a folder (``<name>.json``/``.ndjson``, lower case) or a file.
    Columns come from ``meta`` (see ``column_metadata``); ``columns`` may
    override them by name with full Dataset-JSON column definitions.
    ``creation_datetime`` should come from the study configuration so the
    output is deterministic. The file is replaced atomically. ``frame_columns``,
    the frame's column cache, shares the factorised columns with the XPT writer.
    """
    cols = _merge_columns(column_metadata(meta, frame, item_oid_prefix), columns)
    header = _header(meta, cols, len(frame), study_oid, metadata_version_oid, creation_datetime, item_group_oid,
                     file_oid, db_last_modified, originator, source_system, metadata_ref)
    target = _target(path, meta, ndjson)
    # every value is checked before the first row is written; on an error the temporary file is removed
    rows = encoded_rows(frame, cols, meta.name, ndjson, frame_columns=frame_columns, reuse_buffers=True)
    write_atomically(target, _json_file(header, rows, ndjson))
    return target


__all__ = ["DatasetJsonError", "column_metadata", "encoded_rows", "temporal_kind", "write_dataset_json"]
