"""Read and validate the raw EDC exports (``<form>.csv``, ``.sas7bdat``, ``.xpt``).

The pydantic models of :mod:`cdisc_msc.raw.forms` are the one statement of
the contract. This module derives, once per model, a :class:`FieldSpec` per
column from the field metadata (base type, Optional or required, Literal
choices, ge/gt/le/lt, min/max length, pattern, the ``Kind`` marker) and checks
whole columns at once: every column is factorised and each distinct value is
checked once, so a 10,000-subject export loads in seconds. No pydantic model
is instantiated per row. Any metadata this module does not understand makes
:func:`field_specs` raise, so a contract change cannot be silently ignored.

Row numbers in problems and in the ``_ROW`` column are 1-based *data row*
numbers: row 1 is the first record after the header (CSV line 2 when no
quoted field spans lines).

Nothing is dropped or coerced silently: a row with an error-level problem
stays in its frame and is flagged (:meth:`RawStudy.flags`,
:meth:`RawStudy.invalid_rows`); :meth:`RawStudy.valid_rows` gives the rest.
"""
from __future__ import annotations

import csv
import io
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd
from pydantic import AfterValidator

from cdisc_msc.config import StudyConfig
from cdisc_msc.io.columns import factorize_column
from cdisc_msc.problems import Problem, ProblemReport
from cdisc_msc.raw import forms as F

ROW = "_ROW"
"""Column added to every frame: the 1-based data row number in the source file."""

MAX_PER_CHECK = 200
"""Problems listed one by one per (file, column, check); beyond that one summary problem
gives the count (the rows are still all flagged)."""

EXTENSIONS = (".csv", ".sas7bdat", ".xpt")


# ====================================================================== field specs
@dataclass(frozen=True)
class FieldSpec:
    """How one column of one form is checked, derived from the model field."""

    name: str
    base: type  # int, float or str
    required: bool  # a value is required (the type is not Optional)
    column_required: bool  # the column must be present (no default)
    choices: tuple[Any, ...] | None = None
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    kind: F.Kind | None = None
    description: str = ""

    @property
    def expected(self) -> str:
        """Human text for the ``expected`` of a problem about this column."""
        if self.choices is not None:
            return "one of " + ", ".join(str(c) for c in self.choices)
        if self.kind is not None:
            return self.kind.expected
        parts = {int: "an integer", float: "a number", str: "text"}[self.base]
        rng = self.range_text()
        return parts + (f" {rng}" if rng else "")

    def range_text(self) -> str:
        bits = []
        for op, v in ((">=", self.ge), (">", self.gt), ("<=", self.le), ("<", self.lt)):
            if v is not None:
                bits.append(f"{op} {v:g}")
        return " and ".join(bits)


_CONSTRAINT_ATTRS = ("ge", "gt", "le", "lt", "min_length", "max_length", "pattern")


def _unwrap(annotation: Any, metadata: list[Any]) -> tuple[Any, bool, list[Any]]:
    """Strip Optional/Annotated layers; return (inner type, optional, metadata)."""
    optional = False
    meta = list(metadata)
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            args = typing.get_args(annotation)
            annotation = args[0]
            meta.extend(args[1:])
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != len(typing.get_args(annotation)) - 1 or len(args) != 1:
                raise NotImplementedError(f"unsupported union {annotation!r}")
            optional = True
            annotation = args[0]
        else:
            return annotation, optional, meta


def _field_spec(name: str, info: Any) -> FieldSpec:
    inner, optional, meta = _unwrap(info.annotation, info.metadata)
    kw: dict[str, Any] = {}
    kind = None
    description = info.description or ""
    flat: list[Any] = []
    for m in meta:
        # Field(...) inside Annotated arrives as a FieldInfo carrying its own metadata
        if hasattr(m, "metadata") and hasattr(m, "annotation") and not isinstance(m, F.Kind):
            flat.extend(m.metadata)
            description = description or (m.description or "")
        else:
            flat.append(m)
    for m in flat:
        if isinstance(m, F.Kind):
            kind = m
        elif isinstance(m, AfterValidator):
            if m.func is not F._calendar:
                raise NotImplementedError(f"{name}: validator {m.func!r} has no vectorised equivalent")
        else:
            found = False
            for attr in _CONSTRAINT_ATTRS:
                val = getattr(m, attr, None)
                if val is not None:
                    kw[attr] = val.pattern if isinstance(val, re.Pattern) else val
                    found = True
            if not found:
                raise NotImplementedError(f"{name}: field metadata {m!r} is not understood by the reader")
    choices = None
    if typing.get_origin(inner) is typing.Literal:
        choices = typing.get_args(inner)
        base = type(choices[0])
    elif inner in (int, float, str):
        base = inner
    else:
        raise NotImplementedError(f"{name}: unsupported type {inner!r}")
    return FieldSpec(name=name, base=base, required=not optional, column_required=info.is_required(),
                     choices=choices, kind=kind, description=description, **kw)


_SPEC_CACHE: dict[str, dict[str, FieldSpec]] = {}


def field_specs(form: str) -> dict[str, FieldSpec]:
    """Column name -> FieldSpec for a form of :data:`cdisc_msc.raw.forms.FORMS`."""
    if form not in _SPEC_CACHE:
        model = F.FORMS[form]
        _SPEC_CACHE[form] = {n: _field_spec(n, fi) for n, fi in model.model_fields.items()}
    return _SPEC_CACHE[form]


# ====================================================================== file reading
def _decode(data: bytes, fname: str, report: ProblemReport) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        first = exc.start
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        report.add(severity="error", code="ENCODING", file=fname, value=repr(data[exc.start:exc.start + 1]),
                   expected="UTF-8 or cp1252 text",
                   message=f"file is neither UTF-8 nor cp1252 (byte offset {exc.start}); not read")
        return None
    report.add(severity="info", code="ENCODING", file=fname, expected="UTF-8",
               message=f"file is not valid UTF-8 (first bad byte at offset {first}); read as cp1252")
    return text


def _read_csv_text(text: str, fname: str, report: ProblemReport) -> tuple[pd.DataFrame | None, list[int]]:
    """All cells as Python str ('' = empty); ragged rows padded/truncated, reported and
    returned as 0-based positions to flag."""
    if not text.strip():
        report.add(severity="error", code="EMPTY_FILE", file=fname, expected="a header line with the column names",
                   message="file is empty")
        return None, []
    try:
        df = pd.read_csv(io.StringIO(text), dtype=object, keep_default_na=False, na_filter=False,
                         sep=",", quotechar='"', skip_blank_lines=True, engine="c")
        header = next(csv.reader(io.StringIO(text.split("\n", 1)[0])))
        if len(header) == len(df.columns):
            df.columns = [h for h in header]  # undo pandas' de-duplication (X.1)
        return df, []
    except pd.errors.ParserError:
        pass
    # ragged file: parse with the csv module to name each bad row
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], [r for r in rows[1:] if r != []]
    n = len(header)
    fixed, ragged = [], []
    for i, r in enumerate(body, start=1):
        if len(r) != n:
            ragged.append(i - 1)
            report.add(severity="error", code="FIELD_COUNT", file=fname, row=i, value=str(len(r)),
                       expected=f"{n} fields", message=f"row has {len(r)} fields, the header has {n}")
            r = (r + [""] * n)[:n]
        fixed.append(r)
    df = pd.DataFrame(fixed, columns=header, dtype=object) if fixed else pd.DataFrame(columns=header, dtype=object)
    return df, ragged


def _num_to_text(v: float) -> str:
    if v != v:  # NaN
        return ""
    if float(v).is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(float(v))


def _read_sas(path: Path, fname: str, report: ProblemReport) -> pd.DataFrame | None:
    import pyreadstat

    reader = pyreadstat.read_sas7bdat if path.suffix.lower() == ".sas7bdat" else pyreadstat.read_xport
    try:
        df, _meta = reader(str(path))
    except Exception as exc:  # pyreadstat raises its own error types
        report.add(severity="error", code="UNREADABLE", file=fname, message=f"cannot read file: {exc}")
        return None
    out = {}
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            has_time = bool(((s.dt.hour != 0) | (s.dt.minute != 0)).fillna(False).any())
            txt = s.dt.strftime("%Y-%m-%dT%H:%M" if has_time else "%Y-%m-%d")
            out[col] = txt.astype(object).where(s.notna(), "").tolist()
            report.add(severity="info", code="SAS_DATE", file=fname, column=col,
                       message="SAS date/datetime value converted to ISO text")
        elif pd.api.types.is_numeric_dtype(s):
            out[col] = [_num_to_text(v) for v in s.to_numpy(dtype=float)]
        else:
            vals = []
            for v in s.tolist():
                if v is None or (isinstance(v, float) and v != v):
                    vals.append("")
                elif hasattr(v, "isoformat"):  # date/time objects
                    vals.append(v.isoformat()[:16])
                else:
                    vals.append(str(v))
            out[col] = vals
    return pd.DataFrame(out, columns=list(df.columns), dtype=object)


# ====================================================================== column checks
class _Collector:
    """Gathers problems and row flags for one file."""

    def __init__(self, report: ProblemReport, fname: str, n: int) -> None:
        self.report, self.fname = report, fname
        self.bad = np.zeros(n, dtype=bool)

    def cells(self, mask: np.ndarray, column: str, values: np.ndarray, code: str, expected: str,
              message: str, severity: str = "error") -> None:
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return
        if severity == "error":
            self.bad[idx] = True
        for i in idx[:MAX_PER_CHECK]:
            self.report.add(severity=severity, code=code, file=self.fname, row=int(i) + 1, column=column,
                            value=str(values[i]), expected=expected, message=message)
        if idx.size > MAX_PER_CHECK:
            self.report.add(severity=severity, code=code, file=self.fname, column=column, expected=expected,
                            message=f"{idx.size - MAX_PER_CHECK} more rows with the same problem "
                                    f"({idx.size} in all; all are flagged)")


def _calendar_ok(values: list[str]) -> np.ndarray:
    """Vectorised twin of ``forms._calendar`` over text already matching a date pattern."""
    a = np.array([v[:10] for v in values], dtype="U10")
    m_txt = np.array([v[5:7] for v in a], dtype="U2")
    d_txt = np.array([v[8:10] for v in a], dtype="U2")
    m_un, d_un = m_txt == "UN", d_txt == "UN"
    year = np.array([int(v[:4]) for v in a], dtype=np.int64)
    month = np.where(m_un, "01", m_txt).astype(np.int64)
    day = np.where(d_un, "01", d_txt).astype(np.int64)
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    dim = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    maxday = dim[np.clip(month, 1, 12) - 1] + ((month == 2) & leap)
    # the forms' rule: a known day with an unknown month is not allowed
    return (year >= 1) & (m_un | d_un | (day <= maxday)) & ~(m_un & ~d_un)


_INT_RE = r"^[+-]?\d+(\.0*)?$"


def _search(pattern: str, values: list[str]) -> np.ndarray:
    """``re.search`` (pydantic's pattern semantics) over the distinct values of a column."""
    rx = re.compile(pattern)
    return np.fromiter((rx.search(x) is not None for x in values), dtype=bool, count=len(values))


def _check_column(spec: FieldSpec, raw: np.ndarray, col: _Collector,
                  factors: tuple[np.ndarray, list[str]] | None = None) -> pd.Series:
    """Check one column (object array of text, '' = empty); return the typed column.

    ``factors`` = (codes, distinct values after stripping blanks) when the
    caller has already factorised ``raw``; problems quote ``raw``.

    The column is factorised: every check runs once per distinct value (numpy
    arrays over the distinct values), and the verdicts are spread back to the
    rows with the factor codes.
    """
    n = raw.size
    if factors is None:
        codes, uniq = pd.factorize(raw)
        u = [str(x) for x in uniq]
    else:
        codes, u = factors
    nu = len(u)
    empty_u = np.array([x == "" for x in u], dtype=bool)
    err = np.empty(nu, dtype=object)
    err[:] = ""

    def mark(mask_u: np.ndarray, code: str, expected: str, message: str) -> None:
        for i in np.flatnonzero(mask_u & (err == "")):
            err[i] = (code, expected, message)

    if spec.required:
        mark(empty_u, "REQUIRED", "a value (required)", "required value is missing")
    filled = ~empty_u
    parsed_u: np.ndarray | None = None
    if spec.base is str:
        if spec.choices is not None:
            allowed = set(spec.choices)
            mark(filled & ~np.array([x in allowed for x in u], dtype=bool), "NOT_IN_CODELIST", spec.expected,
                 "value is not in the codelist")
        if spec.pattern is not None:
            matched = _search(spec.pattern, u)
            if spec.kind is not None:
                mark(filled & ~matched, "BAD_" + spec.kind.name.upper(), spec.kind.expected,
                     f"not a valid {spec.kind.name.replace('_', ' ')}")
            else:
                mark(filled & ~matched, "BAD_FORMAT", f"text matching {spec.pattern}",
                     "value does not have the required format")
        lengths = np.array([len(x) for x in u], dtype=np.int64)
        if spec.min_length is not None:
            mark(filled & (lengths < spec.min_length), "TOO_SHORT", f"at least {spec.min_length} characters",
                 "text too short")
        if spec.max_length is not None:
            mark(filled & (lengths > spec.max_length), "TOO_LONG", f"at most {spec.max_length} characters",
                 "text too long")
        if spec.kind is not None and spec.kind.name in ("date", "partial_date", "datetime"):
            cand = filled & (err == "")
            if cand.any():
                ok = np.ones(nu, dtype=bool)
                ok[cand] = _calendar_ok([u[i] for i in np.flatnonzero(cand)])
                mark(cand & ~ok, "IMPOSSIBLE_DATE", "a date that exists in the calendar (a known day needs a "
                     "known month)", "date does not exist")
    else:
        num = pd.to_numeric(np.array(u, dtype=object), errors="coerce").astype(float) if nu else np.zeros(0)
        num = np.where(filled, num, np.nan)
        if spec.base is int:
            is_int = _search(_INT_RE, u)
            mark(filled & ~(is_int & np.isfinite(num)), "NOT_INTEGER", spec.expected, "value is not an integer")
        else:
            mark(filled & ~np.isfinite(num), "NOT_NUMBER", spec.expected, "value is not a finite number")
        okn = np.where(np.isfinite(num), num, 0.0)
        if spec.choices is not None:
            mark(filled & ~np.isin(okn, np.array(spec.choices, dtype=float)), "NOT_IN_CODELIST",
                 spec.expected, "value is not in the codelist")
        rng = np.zeros(nu, dtype=bool)
        if spec.ge is not None:
            rng |= okn < spec.ge
        if spec.gt is not None:
            rng |= okn <= spec.gt
        if spec.le is not None:
            rng |= okn > spec.le
        if spec.lt is not None:
            rng |= okn >= spec.lt
        mark(filled & rng, "OUT_OF_RANGE", spec.expected, "value out of range")
        parsed_u = num

    # spread the per-value verdicts to the rows, one problem kind at a time
    bad_u = err != ""
    if bad_u.any():
        keyed: dict[tuple, list[int]] = {}
        for i in np.flatnonzero(bad_u):
            keyed.setdefault(err[i], []).append(i)
        for (code, expected, message), uidx in keyed.items():
            col.cells(np.isin(codes, np.array(uidx)), spec.name, raw, code, expected, message)

    # typed column: failed cells become missing (the row is flagged)
    good_u = ~bad_u & filled
    if spec.base is str:
        vals = np.where(good_u, np.array(u, dtype=object), None)[codes] if n else np.array([], dtype=object)
        return pd.Series(vals, dtype="str")
    vals = np.where(good_u, parsed_u, np.nan)[codes] if n else np.array([], dtype=float)
    if spec.base is int:
        return pd.Series(vals, dtype="Float64").round().astype("Int64") if n else pd.Series([], dtype="Int64")
    return pd.Series(vals, dtype="float64")


def _empty_typed(spec: FieldSpec, n: int) -> pd.Series:
    if spec.base is str:
        return pd.Series([None] * n, dtype="str")
    if spec.base is int:
        return pd.Series([pd.NA] * n, dtype="Int64")
    return pd.Series([np.nan] * n, dtype="float64")


def _validate_frame(form: str, raw: pd.DataFrame, fname: str, report: ProblemReport) -> tuple[pd.DataFrame, np.ndarray]:
    specs = field_specs(form)
    n = len(raw)
    col = _Collector(report, fname, n)
    header = list(raw.columns)
    seen: set[str] = set()
    for h in header:
        if h in seen:
            report.add(severity="error", code="DUPLICATE_COLUMN", file=fname, column=h,
                       message="column appears more than once; the first one is used")
        seen.add(h)
    for h in dict.fromkeys(header):
        if h not in specs:
            report.add(severity="error", code="UNKNOWN_COLUMN", file=fname, column=h,
                       expected="columns " + ", ".join(specs),
                       message="column is not part of the contract; it is not read")
    out: dict[str, pd.Series] = {ROW: pd.Series(np.arange(1, n + 1), dtype="int64")}
    for name, spec in specs.items():
        if name not in seen:
            if spec.column_required:
                report.add(severity="error", code="MISSING_COLUMN", file=fname, column=name,
                           expected=spec.expected, message="required column is missing; every row is flagged")
                col.bad[:] = True
            else:
                report.add(severity="warning", code="MISSING_COLUMN", file=fname, column=name,
                           expected=spec.expected, message="optional column is missing; read as all empty")
            out[name] = _empty_typed(spec, n)
            continue
        s = raw[name]
        if isinstance(s, pd.DataFrame):  # duplicate column name
            s = s.iloc[:, 0]
        vals = s.to_numpy(dtype=object)
        # the parser gives equal cells of a column one shared str: factorised by object identity
        factors = factorize_column(pd.Series(vals, dtype=object, copy=False))
        codes, uniq = factors.codes, factors.uniques
        text = [str(x) for x in uniq]
        stripped = [x.strip() for x in text]
        ws_u = np.array([a != b for a, b in zip(text, stripped)], dtype=bool)
        if ws_u.any():
            ws_rows = np.isin(codes, np.flatnonzero(ws_u))
            col.cells(ws_rows, name, vals, "WHITESPACE", "no leading or trailing blanks",
                      "leading/trailing blanks removed", severity="warning")
        out[name] = _check_column(spec, vals, col, (codes, stripped))
    return pd.DataFrame(out), col.bad


# ====================================================================== study
@dataclass
class RawStudy:
    """The raw forms of one study, validated.

    ``frames[form]``: one DataFrame per form of the contract (empty with the
    contract's columns when the file is missing). Columns: ``_ROW`` (1-based
    data row number in the source file) then the model's fields in contract
    order; text as pandas ``str`` (missing = NaN), int fields ``Int64``,
    float fields ``float64``. A cell that failed its check is missing in the
    typed frame and its row is flagged.

    ``bad[form]``: boolean numpy array aligned with the frame, True for rows
    with at least one error-level problem (accounted downstream as "not
    mapped: raw problem").
    """

    raw_dir: Path
    frames: dict[str, pd.DataFrame]
    bad: dict[str, np.ndarray]
    report: ProblemReport
    files: dict[str, Path | None] = field(default_factory=dict)
    encodings: dict[str, str] = field(default_factory=dict)

    # ---- access
    def __getitem__(self, form: str) -> pd.DataFrame:
        return self.frames[form]

    @property
    def problems(self) -> ProblemReport:
        return self.report

    @property
    def has_errors(self) -> bool:
        return self.report.has_errors

    def flags(self, form: str) -> pd.Series:
        """Boolean Series aligned with ``frames[form]``: row has an error-level problem."""
        return pd.Series(self.bad[form], index=self.frames[form].index, name="RAWERR")

    def valid_rows(self, form: str) -> pd.DataFrame:
        """Rows without error-level problems (a copy, keeps ``_ROW``)."""
        return self.frames[form].loc[~self.bad[form]].reset_index(drop=True)

    def invalid_rows(self, form: str) -> pd.DataFrame:
        """Rows with error-level problems, for the 'not mapped: raw problem' accounting."""
        return self.frames[form].loc[self.bad[form]].reset_index(drop=True)

    def counts(self) -> dict[str, int]:
        """Records per form (all rows read, flagged ones included)."""
        return {f: len(df) for f, df in self.frames.items()}

    def counts_frame(self) -> pd.DataFrame:
        """Per form: file, records, flagged (rows with errors)."""
        return pd.DataFrame(
            [{"form": f, "file": (self.files.get(f).name if self.files.get(f) else ""), "records": len(df),
              "flagged": int(self.bad[f].sum())} for f, df in self.frames.items()],
            columns=["form", "file", "records", "flagged"])

    def write_report(self, directory: str | Path) -> Path:
        """Write ``raw_problems.csv`` (every problem, even when there are none) into ``directory``."""
        path = Path(directory) / "raw_problems.csv"
        self.report.write(path)
        return path


def _find_file(raw_dir: Path, form: str, report: ProblemReport) -> Path | None:
    present = {}
    for p in raw_dir.iterdir():
        if p.is_file() and p.stem.lower() == form and p.suffix.lower() in EXTENSIONS:
            present[p.suffix.lower()] = p
    if not present:
        return None
    chosen = next(present[e] for e in EXTENSIONS if e in present)
    if len(present) > 1:
        report.add(severity="warning", code="SEVERAL_FILES", file=chosen.name,
                   message="several files for form " + form + " (" + ", ".join(p.name for p in present.values())
                           + f"); {chosen.name} is read")
    return chosen


def _read_form(path: Path, report: ProblemReport) -> tuple[pd.DataFrame | None, str, list[int]]:
    if path.suffix.lower() == ".csv":
        data = path.read_bytes()
        text = _decode(data, path.name, report)
        if text is None:
            return None, "", []
        enc = "utf-8"
        if report.problems and report.problems[-1].code == "ENCODING" and report.problems[-1].file == path.name:
            enc = "cp1252"
        df, ragged = _read_csv_text(text, path.name, report)
        return df, enc, ragged
    return _read_sas(path, path.name, report), "sas", []


def load_raw(raw_dir: str | Path, config: StudyConfig, forms: Iterable[str] | None = None) -> RawStudy:
    """Read every form of the contract from ``raw_dir`` and check it.

    Never raises for bad data: every problem is in ``RawStudy.report``.
    A missing form file is an error (the form is then an empty frame).
    """
    raw_dir = Path(raw_dir)
    report = ProblemReport()
    names = list(forms) if forms is not None else list(F.FORMS)
    frames: dict[str, pd.DataFrame] = {}
    bad: dict[str, np.ndarray] = {}
    files: dict[str, Path | None] = {}
    encodings: dict[str, str] = {}
    if not raw_dir.is_dir():
        report.add(severity="error", code="NO_DIRECTORY", file=str(raw_dir), message="raw data directory not found")
    else:
        known = {f"{f}{e}" for f in F.FORMS for e in EXTENSIONS}
        for p in sorted(raw_dir.iterdir()):
            if p.is_file() and p.name.lower() not in known and not p.name.startswith("."):
                report.add(severity="warning", code="UNKNOWN_FILE", file=p.name,
                           message="file is not a form of the contract; ignored")
    for form in names:
        path = _find_file(raw_dir, form, report) if raw_dir.is_dir() else None
        files[form] = path
        raw, ragged = None, []
        if path is None:
            if raw_dir.is_dir():
                report.add(severity="error", code="MISSING_FILE", file=f"{form}.csv", expected=f"{form}.csv "
                           f"(or {form}.sas7bdat / {form}.xpt)", message=f"form {form} not found")
        else:
            raw, encodings[form], ragged = _read_form(path, report)
        if raw is None:
            raw = pd.DataFrame({c: pd.Series([], dtype=object) for c in field_specs(form)})
        fname = path.name if path is not None else f"{form}.csv"
        frames[form], bad[form] = _validate_frame(form, raw, fname, report)
        bad[form][ragged] = True
    study = RawStudy(raw_dir=raw_dir, frames=frames, bad=bad, report=report, files=files, encodings=encodings)
    _cross_checks(study, config)
    return study


# ====================================================================== cross-form checks
def _fname(study: RawStudy, form: str) -> str:
    p = study.files.get(form)
    return p.name if p is not None else f"{form}.csv"


def _flag(study: RawStudy, form: str, mask: np.ndarray, column: str, values: Any, code: str,
          expected: str, message: str, severity: str = "error") -> None:
    """Report and flag the rows of ``mask``; ``values`` (a Series or array) is only
    converted to quoted objects when some row is flagged."""
    if not mask.any():
        return
    col = _Collector(study.report, _fname(study, form), len(mask))
    col.cells(mask, column, np.asarray(values, dtype=object), code, expected, message, severity)
    if severity == "error":
        study.bad[form] |= col.bad


def _cross_checks(study: RawStudy, config: StudyConfig) -> None:
    forms = study.frames
    # duplicate keys
    for form, df in forms.items():
        keys = list(F.FORMS[form].KEYS)
        if not len(df):
            continue
        complete = df[keys].notna().all(axis=1).to_numpy()
        dup = df[keys].duplicated(keep="first").to_numpy() & complete
        if dup.any():
            first = df.loc[complete].drop_duplicates(keys, keep="first").set_index(keys)[ROW]
            idx = np.flatnonzero(dup)
            key_text = df[keys].astype(str).agg("/".join, axis=1).to_numpy(dtype=object)
            col = _Collector(study.report, _fname(study, form), len(df))
            for i in idx[:MAX_PER_CHECK]:
                k = tuple(df[keys].iloc[i]) if len(keys) > 1 else df[keys[0]].iloc[i]
                study.report.add(severity="error", code="DUPLICATE_KEY", file=_fname(study, form), row=int(i) + 1,
                                 column=",".join(keys), value=key_text[i], expected="a unique key",
                                 message=f"same {'/'.join(keys)} as row {int(first.loc[k])}")
            if idx.size > MAX_PER_CHECK:
                study.report.add(severity="error", code="DUPLICATE_KEY", file=_fname(study, form),
                                 column=",".join(keys), message=f"{idx.size - MAX_PER_CHECK} more duplicate rows")
            study.bad[form] |= dup
            del col
    # subjects must be in dm
    if study.files.get("dm") is not None and "dm" in forms:
        subjects = pd.Index(forms["dm"]["SUBJID"].dropna().unique())
        for form, df in forms.items():
            if form == "dm" or not len(df):
                continue
            s = df["SUBJID"]
            miss = (s.notna() & ~s.isin(subjects)).to_numpy()
            _flag(study, form, miss, "SUBJID", s, "SUBJECT_NOT_IN_DM",
                  "a SUBJID of dm.csv", "subject is not in demographics")
    # study-configuration codelists
    if "como" in forms:
        s = forms["como"]["COTERM"]
        _flag(study, "como", (s.notna() & ~s.isin(config.comorbidities)).to_numpy(), "COTERM",
              s, "COTERM_UNKNOWN", "one of " + ", ".join(config.comorbidities),
              "not a comorbidity of the study configuration's checklist")
    if "ie" in forms:
        s = forms["ie"]["IETESTCD"]
        crit = [c.ietestcd for c in config.criteria]
        _flag(study, "ie", (s.notna() & ~s.isin(crit)).to_numpy(), "IETESTCD", s,
              "IETESTCD_UNKNOWN", "one of " + ", ".join(crit), "not a criterion of the study configuration")
    if "dm" in forms:
        s = forms["dm"]["COHORT"]
        doses = [a.dose for a in config.arms]
        _flag(study, "dm", (s.notna() & ~s.isin(doses)).to_numpy(), "COHORT", s,
              "COHORT_UNKNOWN", "one of " + ", ".join(f"{d:g}" for d in doses), "not a dose cohort of the study")
    # VISIT / VISITNUM against the schedule
    planned = {v.visit: float(v.visitnum) for v in config.visits}
    names = ", ".join(planned) + ", UNSCHEDULED"
    for form, df in forms.items():
        if "VISIT" not in df.columns or not len(df):
            continue
        visit, vnum = df["VISIT"], df["VISITNUM"]
        have = (visit.notna() & vnum.notna()).to_numpy()
        unknown = have & ~visit.isin(list(planned) + ["UNSCHEDULED"]).to_numpy()
        _flag(study, form, unknown, "VISIT", visit, "VISIT_UNKNOWN", names, "not a visit of the schedule")
        # the planned VISITNUM of each record's VISIT (NaN when not planned), by position in the schedule
        exp = np.append(np.array(list(planned.values()), dtype=float), np.nan)[
            pd.Index(list(planned)).get_indexer(visit)]
        pv = vnum.to_numpy(dtype=float)
        wrong_planned = have & ~unknown & (visit != "UNSCHEDULED").to_numpy() & (pv != exp)
        if wrong_planned.any():
            vtext = visit.to_numpy(dtype=object)
            for vname, vn in planned.items():
                m = wrong_planned & (vtext == vname)
                _flag(study, form, m, "VISITNUM", pv, "VISITNUM_MISMATCH", f"{vn:g} for {vname}",
                      f"VISITNUM does not match the planned visit {vname}")
        unsched_int = have & (visit == "UNSCHEDULED").to_numpy() & (np.floor(pv) == pv)
        _flag(study, form, unsched_int, "VISITNUM", pv, "VISITNUM_MISMATCH",
              "a non-integer VISITNUM (previous planned + 0.1) for UNSCHEDULED",
              "an unscheduled visit needs a decimal VISITNUM")
    # visit-based records should match a visit of sv
    if study.files.get("sv") is not None:
        sv = forms["sv"]
        sv_keys = pd.MultiIndex.from_arrays([sv["SUBJID"], sv["VISITNUM"].round(6)])
        for form, df in forms.items():
            if form == "sv" or "VISITNUM" not in df.columns or not len(df):
                continue
            have = (df["SUBJID"].notna() & df["VISITNUM"].notna()).to_numpy()
            k = pd.MultiIndex.from_arrays([df["SUBJID"], df["VISITNUM"].round(6)])
            miss = have & ~k.isin(sv_keys)
            _flag(study, form, miss, "VISITNUM", df["VISITNUM"], "VISIT_NOT_IN_SV",
                  "a visit recorded in sv.csv for the subject", "no such visit of the subject in sv.csv",
                  severity="warning")


# ====================================================================== helpers
def model_input(study: RawStudy, form: str, row: int) -> dict[str, Any]:
    """The typed values of data row ``row`` (1-based) as a dict for ``Model.model_validate``:
    missing -> None. Used to check that the reader and the models agree."""
    df = study.frames[form]
    rec = df.loc[df[ROW] == row].iloc[0]
    out: dict[str, Any] = {}
    for name, spec in field_specs(form).items():
        v = rec[name]
        if v is None or v is pd.NA or (isinstance(v, float) and v != v):
            out[name] = None
        elif spec.base is int:
            out[name] = int(v)
        elif spec.base is float:
            out[name] = float(v)
        else:
            out[name] = str(v)
    return out
