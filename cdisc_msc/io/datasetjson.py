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
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np
import pandas as pd

from cdisc_msc.io.meta import XptDataset, XptVariable
from cdisc_msc.io.xpt import _write_atomically
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


def _numbers(values: pd.Series) -> np.ndarray:
    """float64 values with every missing (NaN, None, pd.NA, ``.A``-style strings) as NaN."""
    if values.dtype == object:
        values = pd.to_numeric(values.where(~values.map(lambda x: isinstance(x, str))), errors="coerce")
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


def _shortest(x: float) -> int | float:
    """An integral float as an int (JSON ``42``), other floats unchanged."""
    return int(x) if x.is_integer() and abs(x) <= 2.0 ** 53 else x


def _decimal_text(x: float) -> str:
    text = repr(x)
    return text[:-2] if text.endswith(".0") else text


def column_values(values: pd.Series, column: dict[str, Any], dataset: str, report: ProblemReport) -> list:
    """The JSON values of one column for its dataType/targetDataType (problems go to ``report``)."""
    data_type, target = column["dataType"], column.get("targetDataType")
    if data_type in ("date", "datetime", "time") and target == "integer":
        try:
            return _iso(_numbers(values), data_type)
        except ValueError as error:
            report.add(file=dataset, column=column["name"], code="DSJ_TIME", message=str(error))
            return [None] * len(values)
    if data_type in ("string", "date", "datetime", "time", "URI"):
        text = values.astype(object).where(values.notna(), "")
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
        out = np.array([_shortest(x) for x in numbers.tolist()], dtype=object)
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


def dataset_rows(frame: pd.DataFrame, columns: list[dict[str, Any]], dataset: str) -> list[list]:
    """The rows, column by column converted, then zipped; raises ``DatasetJsonError`` on bad values."""
    report = ProblemReport()
    missing = [c["name"] for c in columns if c["name"] not in frame.columns]
    for name in missing:
        report.add(Problem(file=dataset, column=name, code="DSJ_MISSING_COLUMN", message="column not in the frame"))
    if report.has_errors:
        raise DatasetJsonError(f"cannot write Dataset-JSON for {dataset}", report)
    values = [column_values(frame[c["name"]], c, dataset, report) for c in columns]
    if report.has_errors:
        raise DatasetJsonError(f"cannot write Dataset-JSON for {dataset}", report)
    return [list(row) for row in zip(*values)] if values else [[] for _ in range(len(frame))]


def _merge_columns(derived: list[dict[str, Any]], given: Iterable[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Given column definitions (e.g. from define.xml) replace the derived ones of the same name."""
    if given is None:
        return derived
    by_name = {c["name"]: dict(c) for c in given}
    return [by_name.get(c["name"], c) for c in derived]


def _target(path: str | Path, meta: XptDataset, ndjson: bool) -> Path:
    path = Path(path)
    return path / f"{meta.name.lower()}.{'ndjson' if ndjson else 'json'}" if path.is_dir() else path


ROWS_PER_CHUNK = 32_768


@dataclass(frozen=True)
class _Tokens:
    """One column as JSON text: ``tokens[codes[i]]`` is row i's value."""

    codes: np.ndarray
    tokens: list[bytes]


@dataclass(frozen=True)
class _Packed:
    """Framed tokens of one column as fixed-width items: the bytes and which of them are text."""

    codes: np.ndarray
    data: np.ndarray  # V<width>, one item per distinct value, zero-padded
    keep: np.ndarray  # V<width> of 0/1 bytes: 1 for the token's own bytes


def _packed(col: _Tokens, prefix: bytes, suffix: bytes) -> _Packed:
    """``prefix + token + suffix`` per distinct value, padded to the widest.

    >>> p = _packed(_Tokens(np.array([1, 0]), [b'"A"', b"null"]), b"[", b",")
    >>> [bytes(x) for x in p.data], [bytes(x) for x in p.keep]
    ([b'["A",\\x00', b'[null,'], [b'\\x01\\x01\\x01\\x01\\x01\\x00', b'\\x01\\x01\\x01\\x01\\x01\\x01'])
    """
    framed = [prefix + t + suffix for t in col.tokens]
    lengths = np.fromiter((len(t) for t in framed), dtype=np.int64, count=len(framed))
    width = int(lengths.max())
    data = np.frombuffer(b"".join(t.ljust(width, b"\0") for t in framed), dtype=f"V{width}")
    keep = (np.arange(width) < lengths[:, None]).view(np.uint8).view(f"V{width}").ravel()
    return _Packed(col.codes, data, keep)


def column_tokens(values: pd.Series, column: dict[str, Any], dataset: str, report: ProblemReport) -> _Tokens:
    """A column's JSON tokens, converted once per distinct value (``column_values`` on the distinct
    values, so the text is exactly what ``column_values`` gives row by row)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    distinct = pd.Series(np.asarray(uniques, dtype=object) if values.dtype == object else uniques,
                         dtype=values.dtype)
    own = ProblemReport()
    converted = column_values(distinct, column, dataset, own)
    if own.problems:  # report the problems with the row numbers of the whole column
        column_values(values, column, dataset, report)
    return _Tokens(np.asarray(codes, dtype=np.intp), [_dumps(v).encode("utf-8") for v in converted])


def _row_bytes(columns: list[_Packed], start: int, stop: int) -> bytes:
    """Rows ``start:stop``: every column's framed tokens gathered side by side as fixed-width
    items (one record per row), then the padding dropped with one boolean mask."""
    n = stop - start
    offsets = np.cumsum([0] + [c.data.dtype.itemsize for c in columns])
    layout = {"names": [f"c{j}" for j in range(len(columns))], "formats": [c.data.dtype for c in columns],
              "offsets": offsets[:-1].tolist(), "itemsize": int(offsets[-1])}
    data = np.empty(n, dtype=np.dtype(layout))
    keep = np.empty(n, dtype=np.dtype(layout))
    for j, col in enumerate(columns):
        codes = col.codes[start:stop]
        data[f"c{j}"] = col.data[codes]
        keep[f"c{j}"] = col.keep[codes]
    return data.view(np.uint8)[keep.view(np.uint8).view(bool)].tobytes()


def encoded_rows(frame: pd.DataFrame, columns: list[dict[str, Any]], dataset: str, ndjson: bool = False,
                 rows_per_chunk: int = ROWS_PER_CHUNK) -> Iterator[bytes]:
    """The rows as JSON text in chunks, the same bytes as ``_dumps`` of each row of ``dataset_rows``
    (comma-separated for ``.json``, one per line for NDJSON); raises ``DatasetJsonError``."""
    report = ProblemReport()
    for name in (c["name"] for c in columns if c["name"] not in frame.columns):
        report.add(Problem(file=dataset, column=name, code="DSJ_MISSING_COLUMN", message="column not in the frame"))
    if report.has_errors:
        raise DatasetJsonError(f"cannot write Dataset-JSON for {dataset}", report)
    tokens = [column_tokens(frame[c["name"]], c, dataset, report) for c in columns]
    if report.has_errors:
        raise DatasetJsonError(f"cannot write Dataset-JSON for {dataset}", report)
    if not len(frame):
        return
    if not tokens:  # no columns: an empty array per row
        yield b"[]\n" * len(frame) if ndjson else b",".join([b"[]"] * len(frame))
        return
    end = b"]\n" if ndjson else b"],"  # JSON: every row but the last is followed by a comma
    last = len(tokens) - 1
    packed = [_packed(t, b"[" if j == 0 else b",", end if j == last else b"") for j, t in enumerate(tokens)]
    for start in range(0, len(frame), rows_per_chunk):
        stop = min(start + rows_per_chunk, len(frame))
        chunk = _row_bytes(packed, start, stop)
        yield chunk[:-1] if stop == len(frame) and not ndjson else chunk


def _json_file(header: dict[str, Any], rows: Iterator[bytes], ndjson: bool) -> Iterator[bytes]:
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
) -> Path:
    """Write ``frame`` as Dataset-JSON 1.1 (``ndjson=True``: NDJSON); return the file written.

    ``path`` is a folder (``<name>.json``/``.ndjson``, lower case) or a file.
    Columns come from ``meta`` (see ``column_metadata``); ``columns`` may
    override them by name with full Dataset-JSON column definitions.
    ``creation_datetime`` should come from the study configuration so the
    output is deterministic. The file is replaced atomically.
    """
    cols = _merge_columns(column_metadata(meta, frame, item_oid_prefix), columns)
    header = _header(meta, cols, len(frame), study_oid, metadata_version_oid, creation_datetime, item_group_oid,
                     file_oid, db_last_modified, originator, source_system, metadata_ref)
    target = _target(path, meta, ndjson)
    # every value is checked before the first row is written; on an error the temporary file is removed
    _write_atomically(target, _json_file(header, encoded_rows(frame, cols, meta.name, ndjson), ndjson))
    return target


__all__ = ["DatasetJsonError", "column_metadata", "column_tokens", "dataset_rows", "encoded_rows", "temporal_kind",
           "write_dataset_json"]
