"""The spec as an Excel workbook in the Pinnacle 21 define-spec layout, and back.

``export_workbook(spec, config, path)`` writes the sheets Study, Standards,
Datasets, Variables, ValueLevel, WhereClauses, Codelists, Dictionaries,
Methods, Comments and Documents with P21's column names, plus columns for the
fields our model has and P21's lacks (Datasets: Sub Class, Domain; Variables:
Core; Codelists: Extended Value, Rank, Sponsor Codelist, Comment;
Dictionaries: Ref, Href; Study: Package), so every field survives.
``import_workbook(path)`` reads such a workbook back (untrusted input: read-only,
values only) and reports every problem with sheet, row and column;
``write_spec_folder(spec, directory)`` writes the YAML layout ``read_spec`` loads.

Conventions in the sheets:

* Yes/No for booleans; lists (Key Variables, Document, a where clause's Value)
  are comma separated, a value containing a comma or quote is written in
  double quotes (``"A, B", C``) so the split is exact.
* Every codelist has at least one Codelists row (in spec order; one with an
  empty Term when it has no terms); an external dictionary's details are in
  Dictionaries, keyed by the same ID. A Dictionaries ID missing from
  Codelists (as P21 writes them) is accepted and appended.
* A where clause is one WhereClauses row per condition; rows with the same
  ID form one clause (AND). ValueLevel rows name it in Where Clause.

>>> export_workbook(load_spec("specs/sdtm"), load_config("specs"), "sdtm-spec.xlsx")   # doctest: +SKIP
>>> spec, report = import_workbook("sdtm-spec.xlsx")                                  # doctest: +SKIP
>>> write_spec_folder(spec, "out/sdtm")                                               # doctest: +SKIP
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml
from pydantic import BaseModel, ValidationError

from cdisc_msc.problems import Problem, ProblemReport
from cdisc_msc.spec.loader import LIST_FILES, SpecError, check_spec
from cdisc_msc.spec.model import (
    Codelist, Comment, Dataset, Document, ExternalDictionary, Method, Spec, Standard, Term,
    ValueLevel, Variable, WhereCondition,
)

__all__ = ["SHEETS", "export_workbook", "import_workbook", "load_workbook_spec", "write_spec_folder"]

# sheet -> columns, in order. The first block of each is P21's; the rest are ours.
SHEETS: dict[str, list[str]] = {
    "Study": ["Attribute", "Value"],
    "Standards": ["ID", "Name", "Type", "Publishing Set", "Version", "Status"],
    "Datasets": ["Dataset", "Description", "Class", "Sub Class", "Structure", "Purpose", "Key Variables",
                 "Standard", "Repeating", "Reference Data", "Comment", "Domain"],
    "Variables": ["Order", "Dataset", "Variable", "Label", "Data Type", "Length", "Significant Digits", "Format",
                  "Mandatory", "Codelist", "Origin", "Source", "Pages", "Method", "Predecessor", "Role",
                  "Comment", "Core"],
    "ValueLevel": ["Order", "Dataset", "Variable", "Where Clause", "Description", "Data Type", "Length",
                   "Significant Digits", "Format", "Mandatory", "Codelist", "Origin", "Source", "Pages",
                   "Method", "Predecessor", "Comment"],
    "WhereClauses": ["ID", "Dataset", "Variable", "Comparator", "Value"],
    "Codelists": ["ID", "Name", "NCI Codelist Code", "Data Type", "Order", "Term", "NCI Term Code",
                  "Decoded Value", "Extended Value", "Rank", "Sponsor Codelist", "Comment"],
    "Dictionaries": ["ID", "Name", "Data Type", "Dictionary", "Version", "Ref", "Href"],
    "Methods": ["ID", "Name", "Type", "Description", "Expression Context", "Expression Code", "Document", "Pages"],
    "Comments": ["ID", "Description", "Document", "Pages"],
    "Documents": ["ID", "Title", "Href"],
}
# columns P21 has that our model does not: exported empty, a value there on import is a warning
UNMODELLED = {("Methods", "Expression Context"), ("Methods", "Pages"), ("Comments", "Pages")}
# our columns beyond P21's: a P21 workbook without them imports with the model defaults
EXTRA = {("Datasets", "Sub Class"), ("Datasets", "Domain"), ("Variables", "Core"), ("Codelists", "Extended Value"),
         ("Codelists", "Rank"), ("Codelists", "Sponsor Codelist"), ("Codelists", "Comment"),
         ("Dictionaries", "Ref"), ("Dictionaries", "Href")}
REQUIRED_SHEETS = ("Study", "Standards", "Datasets", "Variables", "Codelists")
MAX_UNZIPPED_BYTES = 200_000_000
STUDY_ATTRIBUTES = ("StudyName", "StudyDescription", "ProtocolName", "Language", "Package")


# ==========================================================================
# cell values
# ==========================================================================
_NEEDS_QUOTES = re.compile(r'[,"]|^\s|\s$|^$')


def join_list(values: Iterable[str]) -> str:
    """``['A', 'B, C'] -> 'A, "B, C"'``: comma separated, quoted only where a value needs it."""
    return ", ".join('"' + v.replace('"', '""') + '"' if _NEEDS_QUOTES.search(v) else v for v in values)


def split_list(text: str | None) -> list[str]:
    """Inverse of ``join_list``: ``'A, "B, C"' -> ['A', 'B, C']``; empty -> []."""
    if text is None or not text.strip():
        return []
    return next(csv.reader([text], skipinitialspace=True))


def _yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def cell_text(value: Any) -> str | None:
    """A cell as text: None for empty/blank, integral floats without '.0', dates as ISO."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.date().isoformat() if isinstance(value, dt.datetime) and value.time() == dt.time() \
            else value.isoformat()
    text = str(value)
    return None if not text.strip() else text


# ==========================================================================
# export
# ==========================================================================
def _where_ids(spec: Spec) -> dict[tuple[str, tuple], str]:
    """A readable, unique where-clause ID per distinct condition set in a dataset: WC.LB.LBTESTCD.ALB."""
    ids: dict[tuple[str, tuple], str] = {}
    used: set[str] = set()
    for ds in spec.datasets:
        for var in ds.variables:
            for vl in var.value_level:
                key = (ds.name, tuple((c.variable, c.comparator, tuple(c.values)) for c in vl.where))
                if key in ids:
                    continue
                parts = [f"{c.variable}.{'.'.join(c.values)}" if c.comparator in ("EQ", "IN")
                         else f"{c.variable}.{c.comparator}.{'.'.join(c.values)}" for c in vl.where]
                base = "WC." + ds.name + "." + re.sub(r"[^A-Za-z0-9_.]+", "_", ".".join(parts))[:60].strip("._")
                oid, n = base, 1
                while oid in used:
                    n += 1
                    oid = f"{base}.{n}"
                used.add(oid)
                ids[key] = oid
    return ids


def _rows(spec: Spec, config: Any) -> dict[str, list[list[Any]]]:
    """The cell values of every sheet (header excluded)."""
    out: dict[str, list[list[Any]]] = {name: [] for name in SHEETS}
    study = [("StudyName", getattr(config, "studyid", None)), ("StudyDescription", getattr(config, "title", None)),
             ("ProtocolName", getattr(config, "protocol", None)), ("Language", "en"), ("Package", spec.package)]
    out["Study"] = [[k, v] for k, v in study]
    out["Standards"] = [[s.oid, s.name, s.type, s.publishing_set, s.version, s.status] for s in spec.standards]
    where_ids = _where_ids(spec)
    written_wc: set[str] = set()
    for ds in spec.datasets:
        out["Datasets"].append([ds.name, ds.label, ds.class_, ds.subclass, ds.structure, ds.purpose,
                                join_list(ds.keys), ds.standard, _yes_no(ds.repeating),
                                _yes_no(ds.reference_data), ds.comment, ds.domain])
        for i, v in enumerate(ds.variables, start=1):
            out["Variables"].append([i, ds.name, v.name, v.label, v.data_type, v.length, v.significant_digits,
                                     v.display_format, _yes_no(v.mandatory), v.codelist, v.origin.type,
                                     v.origin.source, v.origin.pages, v.method, v.origin.predecessor, v.role,
                                     v.comment, v.core])
            for j, vl in enumerate(v.value_level, start=1):
                key = (ds.name, tuple((c.variable, c.comparator, tuple(c.values)) for c in vl.where))
                wc = where_ids[key]
                out["ValueLevel"].append([j, ds.name, v.name, wc, vl.label, vl.data_type, vl.length,
                                          vl.significant_digits, vl.display_format, _yes_no(vl.mandatory),
                                          vl.codelist, vl.origin.type, vl.origin.source, vl.origin.pages,
                                          vl.method, vl.origin.predecessor, vl.comment])
                if wc not in written_wc:
                    written_wc.add(wc)
                    out["WhereClauses"] += [[wc, ds.name, c.variable, c.comparator, join_list(c.values)]
                                            for c in vl.where]
    for cl in spec.codelists:
        head = [cl.oid, cl.name, cl.nci_code, cl.data_type]
        tail = [_yes_no(cl.sponsor), cl.comment]
        if not cl.terms:
            out["Codelists"].append(head + [None] * 6 + tail)
        for k, t in enumerate(cl.terms, start=1):
            out["Codelists"].append(head + [k, t.value, t.nci_code, t.decode, _yes_no(t.extended), t.rank] + tail)
        if cl.external is not None:
            e = cl.external
            out["Dictionaries"].append([cl.oid, cl.name, cl.data_type, e.dictionary, e.version, e.ref, e.href])
    out["Methods"] = [[m.oid, m.name, m.type, m.description, None, m.expression, join_list(m.documents), None]
                      for m in spec.methods]
    out["Comments"] = [[c.oid, c.text, join_list(c.documents), None] for c in spec.comments]
    out["Documents"] = [[d.oid, d.title, d.href] for d in spec.documents]
    return out


def _fixed_zip(data: bytes, when: dt.datetime) -> bytes:
    """Rewrite an xlsx (zip) with every entry dated ``when`` and in name order: same input, same bytes."""
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, src.read(info.filename))
    return buf.getvalue()


def export_workbook(spec: Spec, config: Any, path: str | Path) -> Path:
    """Write ``spec`` as a P21-layout workbook at ``path``; ``config`` (StudyConfig or None) fills Study.

    The document timestamps are ``config.creation_datetime`` (so a rebuild gives identical bytes).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.writer.excel import ExcelWriter

    when = getattr(config, "creation_datetime", None) or dt.datetime(2000, 1, 1)
    wb = Workbook()
    wb.remove(wb.active)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DCE4F0")
    for name, rows in _rows(spec, config).items():
        ws = wb.create_sheet(name)
        header = SHEETS[name]
        ws.append(header)
        for row in rows:
            ws.append(row)
        for col, title in enumerate(header, start=1):
            cell = ws.cell(row=1, column=col)
            cell.font, cell.fill = bold, fill
            width = max([len(title)] + [len(str(r[col - 1])) for r in rows if r[col - 1] is not None])
            ws.column_dimensions[get_column_letter(col)].width = min(max(width + 2, 8), 60)
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str) and "\n" in cell.value:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = "A2"
        if rows:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(rows) + 1}"
    wb.properties.creator = "cdisc_msc"
    wb.properties.created = when
    buf = io.BytesIO()
    archive = zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED)
    wb.properties.modified = when          # openpyxl's save_workbook would stamp "now" here
    ExcelWriter(wb, archive).save()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_fixed_zip(buf.getvalue(), when))
    return path


# ==========================================================================
# import
# ==========================================================================
@dataclass
class _Sheet:
    name: str
    columns: dict[str, int]                     # column title -> 0-based index
    rows: list[tuple[int, dict[str, str | None]]] = field(default_factory=list)   # (excel row, values)


@dataclass
class _Ctx:
    file: str
    report: ProblemReport

    def add(self, sheet: str, row: int | None, column: str, message: str, value: Any = "",
            expected: str = "", severity: str = "error", code: str = "WB-FIELD") -> None:
        self.report.add(severity=severity, code=code, file=f"{self.file}:{sheet}", row=row, column=column,
                        value="" if value is None else str(value), expected=expected, message=message)


def _open(path: Path, ctx: _Ctx):
    """The openpyxl workbook (read-only, values only) or None with a problem reported."""
    from openpyxl import load_workbook

    def fail(message: str) -> None:
        ctx.report.add(code="WB-FILE", file=ctx.file, message=message)

    if not path.is_file():
        fail("workbook not found")
        return None
    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(i.file_size for i in zf.infolist())
            if total > MAX_UNZIPPED_BYTES:
                fail(f"workbook unpacks to {total} bytes (limit {MAX_UNZIPPED_BYTES}); refusing to read it")
                return None
            if "xl/workbook.xml" not in zf.namelist():
                fail("not an Excel .xlsx workbook (a zip file without xl/workbook.xml)")
                return None
    except (zipfile.BadZipFile, OSError) as exc:
        fail(f"not an Excel .xlsx workbook ({exc})")
        return None
    try:
        return load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises many types on corrupt parts; all mean "cannot read it"
        fail(f"cannot read the workbook ({type(exc).__name__}: {exc})")
        return None


def _read_sheet(wb, name: str, ctx: _Ctx) -> _Sheet | None:
    if name not in wb.sheetnames:
        if name in REQUIRED_SHEETS:
            ctx.add(name, None, "", "required sheet is missing", code="WB-SHEET")
        return None
    rows = wb[name].iter_rows(values_only=True)
    header = next(rows, None) or ()
    titles = [cell_text(h) for h in header]
    columns = {t.strip(): i for i, t in enumerate(titles) if t is not None}
    missing = [c for c in SHEETS[name] if c not in columns and (name, c) not in UNMODELLED | EXTRA]
    if missing:
        ctx.add(name, 1, ", ".join(missing), "missing column(s)", code="WB-COLUMN", expected=", ".join(SHEETS[name]))
    for t in columns:
        if t not in SHEETS[name]:
            ctx.add(name, 1, t, "unknown column ignored", severity="warning", code="WB-COLUMN")
    sheet = _Sheet(name, columns)
    for n, raw in enumerate(rows, start=2):
        values = {c: cell_text(raw[i]) if i < len(raw) else None for c, i in columns.items()}
        if all(v is None for v in values.values()):
            continue
        for c in SHEETS[name]:
            if (name, c) in UNMODELLED and values.get(c) is not None:
                ctx.add(name, n, c, "the spec model has no place for this value; it is not kept",
                        value=values[c], severity="warning")
        sheet.rows.append((n, values))
    return sheet


# typed readers: return the converted value, or report and return a marker the caller can skip on
_BAD = object()


def _int(ctx: _Ctx, sheet: str, row: int, col: str, text: str | None) -> Any:
    if text is None:
        return None
    try:
        number = float(text)
        if number.is_integer():
            return int(number)
    except ValueError:
        pass
    ctx.add(sheet, row, col, "not a whole number", value=text, expected="an integer")
    return _BAD


def _float(ctx: _Ctx, sheet: str, row: int, col: str, text: str | None) -> Any:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        ctx.add(sheet, row, col, "not a number", value=text, expected="a number")
        return _BAD


def _bool(ctx: _Ctx, sheet: str, row: int, col: str, text: str | None, default: bool | None = False) -> Any:
    if text is None:
        return default
    low = text.strip().lower()
    if low in ("yes", "y", "true", "1"):
        return True
    if low in ("no", "n", "false", "0"):
        return False
    ctx.add(sheet, row, col, "not Yes/No", value=text, expected="Yes or No")
    return _BAD


def _length(ctx: _Ctx, sheet: str, row: int, col: str, text: str | None) -> Any:
    if text is not None and text.strip().lower() == "data":
        return "data"
    return _int(ctx, sheet, row, col, text)


def _validate(ctx: _Ctx, sheet: str, row: int, model: type[BaseModel], data: dict[str, Any],
              columns: dict[str, str]) -> Any:
    """``model.model_validate(data)``; each error is reported at the column of its field."""
    if any(v is _BAD for v in data.values()):
        return None
    clean = {k: v for k, v in data.items() if v is not None}
    try:
        return model.model_validate(clean)
    except ValidationError as exc:
        for err in exc.errors():
            key = str(err["loc"][0]) if err["loc"] else ""
            sub = ".".join(str(p) for p in err["loc"][1:])
            col = columns.get(f"{key}.{sub}", columns.get(key, key))
            value = err.get("input")
            ctx.add(sheet, row, col, err["msg"], value="" if isinstance(value, (dict, list)) else value)
        return None


def _unique_ids(ctx: _Ctx, sheet: _Sheet | None, column: str = "ID") -> list[tuple[int, dict]]:
    """Rows with a new ID; a repeated ID or an empty one is reported and skipped."""
    if sheet is None:
        return []
    seen: dict[str, int] = {}
    out = []
    for n, r in sheet.rows:
        oid = r.get(column)
        if oid is None:
            ctx.add(sheet.name, n, column, "empty ID")
        elif oid in seen:
            ctx.add(sheet.name, n, column, f"duplicate ID (first at row {seen[oid]})", value=oid, code="WB-DUP")
        else:
            seen[oid] = n
            out.append((n, r))
    return out


@dataclass
class _Where:
    """Row numbers behind the spec, to place check_spec problems at sheet/row/column."""

    variables: dict[tuple[str, int], int] = field(default_factory=dict)
    dropped: set[tuple[str, str]] = field(default_factory=set)      # (dataset, variable) rows that failed
    value_levels: dict[tuple[str, int, int], int] = field(default_factory=dict)
    datasets: dict[str, int] = field(default_factory=dict)
    codelists: dict[int, int] = field(default_factory=dict)
    terms: dict[tuple[int, int], int] = field(default_factory=dict)
    lists: dict[tuple[str, int], int] = field(default_factory=dict)


ORIGIN_COLS = {"type": "Origin", "source": "Source", "pages": "Pages", "predecessor": "Predecessor"}
VAR_COLS = {"name": "Variable", "label": "Label", "data_type": "Data Type", "length": "Length",
            "significant_digits": "Significant Digits", "display_format": "Format", "mandatory": "Mandatory",
            "codelist": "Codelist", "method": "Method", "comment": "Comment", "role": "Role", "core": "Core",
            "origin": "Origin", **{f"origin.{k}": v for k, v in ORIGIN_COLS.items()}}
VL_COLS = {**VAR_COLS, "label": "Description", "where": "Where Clause"}
DS_COLS = {"name": "Dataset", "label": "Description", "class": "Class", "class_": "Class", "subclass": "Sub Class",
           "structure": "Structure", "purpose": "Purpose", "keys": "Key Variables", "standard": "Standard",
           "repeating": "Repeating", "reference_data": "Reference Data", "comment": "Comment", "domain": "Domain"}
STD_COLS = {"oid": "ID", "name": "Name", "type": "Type", "publishing_set": "Publishing Set", "version": "Version",
            "status": "Status"}
CL_COLS = {"oid": "ID", "name": "Name", "nci_code": "NCI Codelist Code", "data_type": "Data Type",
           "sponsor": "Sponsor Codelist", "comment": "Comment"}
TERM_COLS = {"value": "Term", "nci_code": "NCI Term Code", "decode": "Decoded Value", "extended": "Extended Value",
             "rank": "Rank"}
DICT_COLS = {"dictionary": "Dictionary", "version": "Version", "ref": "Ref", "href": "Href"}
METHOD_COLS = {"oid": "ID", "name": "Name", "type": "Type", "description": "Description",
               "expression": "Expression Code", "documents": "Document"}
COMMENT_COLS = {"oid": "ID", "text": "Description", "documents": "Document"}
DOC_COLS = {"oid": "ID", "title": "Title", "href": "Href"}


def _origin_fields(r: dict[str, str | None]) -> dict[str, Any]:
    return {"type": r.get("Origin"), "source": r.get("Source"), "pages": r.get("Pages"),
            "predecessor": r.get("Predecessor")}


def _read_where(ctx: _Ctx, sheet: _Sheet | None) -> dict[str, tuple[int, str | None, list[WhereCondition]]]:
    """Where clause ID -> (first row, dataset, conditions)."""
    out: dict[str, tuple[int, str | None, list[WhereCondition]]] = {}
    for n, r in sheet.rows if sheet else []:
        oid = r.get("ID")
        if oid is None:
            ctx.add("WhereClauses", n, "ID", "empty ID")
            continue
        comparator = (r.get("Comparator") or "EQ").strip().upper()
        values = split_list(r.get("Value"))
        cond = _validate(ctx, "WhereClauses", n, WhereCondition,
                         {"variable": r.get("Variable"), "comparator": comparator, "values": values},
                         {"variable": "Variable", "comparator": "Comparator", "values": "Value"})
        if cond is None:
            continue
        if comparator not in ("IN", "NOTIN") and len(values) != 1:
            ctx.add("WhereClauses", n, "Value", f"{comparator} takes one value; quote a value containing a comma",
                    value=r.get("Value"), severity="warning")
        first, ds, conds = out.setdefault(oid, (n, r.get("Dataset"), []))
        if r.get("Dataset") != ds:
            ctx.add("WhereClauses", n, "Dataset", "rows of one where clause name different datasets",
                    value=r.get("Dataset"), expected=str(ds))
        conds.append(cond)
    return out


def _read_codelists(ctx: _Ctx, sheets: dict[str, _Sheet | None], where: _Where) -> list[Codelist]:
    groups: dict[str, list[tuple[int, dict]]] = {}
    for n, r in sheets["Codelists"].rows if sheets["Codelists"] else []:
        if r.get("ID") is None:
            ctx.add("Codelists", n, "ID", "empty ID")
            continue
        groups.setdefault(r["ID"], []).append((n, r))
    dictionaries: dict[str, tuple[int, dict]] = {n_r[1]["ID"]: n_r for n_r in _unique_ids(ctx, sheets["Dictionaries"])}
    out: list[Codelist] = []
    for oid in list(groups) + [d for d in dictionaries if d not in groups]:
        rows = groups.get(oid, [])
        n0, r0 = rows[0] if rows else dictionaries[oid]
        sheet0 = "Codelists" if rows else "Dictionaries"
        head = {"oid": oid, "name": r0.get("Name"), "nci_code": r0.get("NCI Codelist Code"),
                "data_type": r0.get("Data Type") or "text",
                "sponsor": _bool(ctx, sheet0, n0, "Sponsor Codelist", r0.get("Sponsor Codelist")),
                "comment": r0.get("Comment")}
        for n, r in rows[1:]:
            for key in ("nci_code", "name", "comment"):
                col = CL_COLS[key]
                if r.get(col) != head[key]:
                    ctx.add("Codelists", n, col, f"differs from the first row of codelist {oid} (row {n0})",
                            value=r.get(col), expected=str(head[key]))
        terms: list[tuple[float, int, int, Term]] = []
        for pos, (n, r) in enumerate(rows):
            if r.get("Term") is None:
                if any(r.get(c) is not None for c in ("NCI Term Code", "Decoded Value", "Rank")):
                    ctx.add("Codelists", n, "Term", "term details without a Term")
                continue
            order = _float(ctx, "Codelists", n, "Order", r.get("Order"))
            term = _validate(ctx, "Codelists", n, Term, {
                "value": r.get("Term"), "decode": r.get("Decoded Value"), "nci_code": r.get("NCI Term Code"),
                "extended": _bool(ctx, "Codelists", n, "Extended Value", r.get("Extended Value")),
                "rank": _float(ctx, "Codelists", n, "Rank", r.get("Rank"))}, TERM_COLS)
            if term is not None:
                terms.append((float("inf") if order in (None, _BAD) else order, pos, n, term))
        terms.sort(key=lambda t: (t[0], t[1]))
        external = None
        if oid in dictionaries:
            dn, dr = dictionaries[oid]
            for key, col in (("name", "Name"), ("data_type", "Data Type")):
                if rows and dr.get(col) is not None and dr.get(col) != head[key]:
                    ctx.add("Dictionaries", dn, col, f"differs from codelist {oid} in Codelists (row {n0})",
                            value=dr.get(col), expected=str(head[key]))
            external = _validate(ctx, "Dictionaries", dn, ExternalDictionary,
                                 {k: dr.get(c) for k, c in DICT_COLS.items()}, DICT_COLS)
        cl = _validate(ctx, sheet0, n0, Codelist, {**head, "terms": [t[3] for t in terms], "external": external},
                       CL_COLS)
        if cl is not None:
            where.codelists[len(out)] = n0
            for j, t in enumerate(terms):
                where.terms[(len(out), j)] = t[2]
            out.append(cl)
    return out


def _read_datasets(ctx: _Ctx, sheets: dict[str, _Sheet | None], where_clauses: dict, where: _Where) -> list[Dataset]:
    ds_rows = _unique_ids(ctx, sheets["Datasets"], "Dataset")
    known = {r["Dataset"] for _, r in ds_rows}
    by_ds: dict[str, list[tuple[float, int, dict]]] = {}
    for n, r in sheets["Variables"].rows if sheets["Variables"] else []:
        if r.get("Dataset") not in known:
            ctx.add("Variables", n, "Dataset", "dataset not in the Datasets sheet", value=r.get("Dataset"))
            continue
        order = _float(ctx, "Variables", n, "Order", r.get("Order"))
        by_ds.setdefault(r["Dataset"], []).append((float("inf") if order in (None, _BAD) else order, n, r))
    vl_rows: dict[tuple[str, str], list[tuple[float, int, dict]]] = {}
    for n, r in sheets["ValueLevel"].rows if sheets["ValueLevel"] else []:
        order = _float(ctx, "ValueLevel", n, "Order", r.get("Order"))
        vl_rows.setdefault((r.get("Dataset") or "", r.get("Variable") or ""), []).append(
            (float("inf") if order in (None, _BAD) else order, n, r))
    used_vl: set[tuple[str, str]] = set()
    out: list[Dataset] = []
    for n, r in ds_rows:
        name = r["Dataset"]
        variables: list[Variable] = []
        rows_of: list[tuple[int, list[int]]] = []
        seen_orders: dict[float, int] = {}
        for order, vn, vr in sorted(by_ds.get(name, []), key=lambda t: (t[0], t[1])):
            if order != float("inf") and order in seen_orders:
                ctx.add("Variables", vn, "Order", f"same Order as row {seen_orders[order]} of {name}",
                        value=vr.get("Order"), severity="warning")
            seen_orders[order] = vn
            key = (name, vr.get("Variable") or "")
            used_vl.add(key)
            value_level, vl_row_numbers = [], []
            for _, ln, lr in sorted(vl_rows.get(key, []), key=lambda t: (t[0], t[1])):
                wc = lr.get("Where Clause")
                if wc not in where_clauses:
                    ctx.add("ValueLevel", ln, "Where Clause", "where clause ID not in the WhereClauses sheet", value=wc)
                    continue
                if where_clauses[wc][1] not in (None, name):
                    ctx.add("WhereClauses", where_clauses[wc][0], "Dataset",
                            f"where clause is used by ValueLevel row {ln} of dataset {name}",
                            value=where_clauses[wc][1], expected=name)
                vl = _validate(ctx, "ValueLevel", ln, ValueLevel, {
                    "where": where_clauses[wc][2], "label": lr.get("Description"), "data_type": lr.get("Data Type"),
                    "length": _length(ctx, "ValueLevel", ln, "Length", lr.get("Length")),
                    "significant_digits": _int(ctx, "ValueLevel", ln, "Significant Digits", lr.get("Significant Digits")),
                    "display_format": lr.get("Format"),
                    "mandatory": _bool(ctx, "ValueLevel", ln, "Mandatory", lr.get("Mandatory")),
                    "codelist": lr.get("Codelist"), "origin": _origin_fields(lr),
                    "method": lr.get("Method"), "comment": lr.get("Comment")}, VL_COLS)
                if vl is not None:
                    value_level.append(vl)
                    vl_row_numbers.append(ln)
            var = _validate(ctx, "Variables", vn, Variable, {
                "name": vr.get("Variable"), "label": vr.get("Label"), "data_type": vr.get("Data Type"),
                "length": _length(ctx, "Variables", vn, "Length", vr.get("Length")),
                "significant_digits": _int(ctx, "Variables", vn, "Significant Digits", vr.get("Significant Digits")),
                "display_format": vr.get("Format"),
                "mandatory": _bool(ctx, "Variables", vn, "Mandatory", vr.get("Mandatory")),
                "codelist": vr.get("Codelist"), "origin": _origin_fields(vr), "method": vr.get("Method"),
                "comment": vr.get("Comment"), "role": vr.get("Role"), "core": vr.get("Core"),
                "value_level": value_level}, VAR_COLS)
            if var is not None:
                variables.append(var)
                rows_of.append((vn, vl_row_numbers))
            else:
                where.dropped.add(key)
        ds = _validate(ctx, "Datasets", n, Dataset, {
            "name": name, "label": r.get("Description"), "class": r.get("Class"), "subclass": r.get("Sub Class"),
            "structure": r.get("Structure"), "keys": split_list(r.get("Key Variables")),
            "standard": r.get("Standard"), "domain": r.get("Domain"),
            "repeating": _bool(ctx, "Datasets", n, "Repeating", r.get("Repeating"), None),
            "reference_data": _bool(ctx, "Datasets", n, "Reference Data", r.get("Reference Data"), None),
            "purpose": r.get("Purpose"), "comment": r.get("Comment"), "variables": variables}, DS_COLS)
        if ds is not None:
            where.datasets[name] = n
            for i, (vn, vl_ns) in enumerate(rows_of):
                where.variables[(name, i)] = vn
                for j, ln in enumerate(vl_ns):
                    where.value_levels[(name, i, j)] = ln
            out.append(ds)
    for key, rows in vl_rows.items():
        if key not in used_vl:
            for _, ln, _ in rows:
                ctx.add("ValueLevel", ln, "Variable", "no such variable in the Variables sheet",
                        value=".".join(key))
    return out


def _read_lists(ctx: _Ctx, sheets: dict[str, _Sheet | None], where: _Where) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    specs: dict[str, tuple[str, type[BaseModel], dict[str, str], Callable[[dict], dict]]] = {
        "standards": ("Standards", Standard, STD_COLS, lambda r: {k: r.get(c) for k, c in STD_COLS.items()}),
        "methods": ("Methods", Method, METHOD_COLS, lambda r: {
            "oid": r.get("ID"), "name": r.get("Name"), "type": r.get("Type"), "description": r.get("Description"),
            "expression": r.get("Expression Code"), "documents": split_list(r.get("Document"))}),
        "comments": ("Comments", Comment, COMMENT_COLS, lambda r: {
            "oid": r.get("ID"), "text": r.get("Description"), "documents": split_list(r.get("Document"))}),
        "documents": ("Documents", Document, DOC_COLS, lambda r: {k: r.get(c) for k, c in DOC_COLS.items()}),
    }
    for stem, (sheet, model, cols, build) in specs.items():
        items = []
        for n, r in _unique_ids(ctx, sheets[sheet]):
            item = _validate(ctx, sheet, n, model, build(r), cols)
            if item is not None:
                where.lists[(stem, len(items))] = n
                items.append(item)
        out[stem] = items
    return out


def _package(ctx: _Ctx, sheet: _Sheet | None, package: str | None, standards: list[Standard]) -> str | None:
    """The package: the argument, else Study/Package, else guessed from the IG standard names (SDTMIG/ADaMIG)."""
    if package:
        return package
    rows = {(r.get("Attribute") or "").strip(): (n, r.get("Value")) for n, r in (sheet.rows if sheet else [])}
    n, value = rows.get("Package", (None, None))
    if value in ("sdtm", "adam"):
        return value
    if value is None and standards:
        names = {(s.name or "").upper() for s in standards}
        guess = {p for p in ("sdtm", "adam") if any(x.startswith(p.upper()) for x in names)}
        if len(guess) == 1:
            return guess.pop()
    ctx.add("Study", n, "Value", "the Study sheet must name the package (Attribute Package: sdtm or adam)",
            value=value, expected="sdtm or adam")
    return None


_LIST_PATH = re.compile(r"^\[(\d+)\]")
_VAR_PATH = re.compile(r"^variables\[(\d+)\](?:\.value_level\[(\d+)\])?\.?(.*)$")
_CL_PATH = re.compile(r"^\[(\d+)\].*?(?:\.terms\[(\d+)\])?$")


def _place(problem: Problem, spec: Spec, where: _Where, ctx: _Ctx) -> Problem:
    """Move a ``check_spec`` problem (YAML paths) onto the workbook sheet, row and column it came from."""
    path, col = Path(problem.file), problem.column
    sheet, row, column = "", None, col
    if path.parent.name == "datasets" and path.name in where.datasets:
        ds = path.name
        m = _VAR_PATH.match(col)
        if m and m.group(2) is not None:
            sheet, row = "ValueLevel", where.value_levels.get((ds, int(m.group(1)), int(m.group(2))))
            column = VL_COLS.get(m.group(3).split("[")[0].split(".")[0], m.group(3))
        elif m:
            sheet, row = "Variables", where.variables.get((ds, int(m.group(1))))
            column = VAR_COLS.get(m.group(3), m.group(3))
        else:
            sheet, row, column = "Datasets", where.datasets.get(ds), DS_COLS.get(col, col)
    elif path.stem == "codelists":
        m = _CL_PATH.match(col)
        sheet, column = "Codelists", "ID"
        if m:
            i = int(m.group(1))
            if m.group(2) is not None:
                row, column = where.terms.get((i, int(m.group(2)))), "Term"
            else:
                row = where.codelists.get(i)
    elif path.stem in LIST_FILES:
        sheet = {"standards": "Standards", "methods": "Methods", "comments": "Comments",
                 "documents": "Documents"}[path.stem]
        m = _LIST_PATH.match(col)
        items = getattr(spec, path.stem)
        index = int(m.group(1)) if m else next(
            (k for k, it in enumerate(items) if col.startswith(f"{getattr(it, 'oid', '')}.")), None)
        row = where.lists.get((path.stem, index)) if index is not None else None
        column = "Document" if col.endswith(".documents") else "ID"
    if not sheet:
        return problem.model_copy(update={"file": ctx.file})
    return problem.model_copy(update={"file": f"{ctx.file}:{sheet}", "row": row, "column": column})


def import_workbook(path: str | Path, package: str | None = None) -> tuple[Spec | None, ProblemReport]:
    """Read a P21-layout spec workbook: the spec (None when it cannot be built) and every problem.

    Each problem names ``<workbook>:<sheet>``, the Excel row and the column. The spec-wide checks of
    ``read_spec`` (names, labels, references, keys, CT) run too, placed on the rows they concern.
    """
    path = Path(path)
    ctx = _Ctx(str(path), ProblemReport())
    wb = _open(path, ctx)
    if wb is None:
        return None, ctx.report
    try:
        sheets = {name: _read_sheet(wb, name, ctx) for name in SHEETS}
    except Exception as exc:  # a corrupt sheet part surfaces only while streaming its rows
        ctx.report.add(code="WB-FILE", file=ctx.file, message=f"cannot read the workbook ({type(exc).__name__}: {exc})")
        return None, ctx.report
    finally:
        wb.close()
    for name in sorted(set(wb.sheetnames) - set(SHEETS)):
        ctx.add(name, None, "", "unknown sheet ignored", severity="warning", code="WB-SHEET")
    where = _Where()
    lists = _read_lists(ctx, sheets, where)
    pkg = _package(ctx, sheets["Study"], package, lists["standards"])
    codelists = _read_codelists(ctx, sheets, where)
    datasets = _read_datasets(ctx, sheets, _read_where(ctx, sheets["WhereClauses"]), where)
    if pkg is None or any(sheets[s] is None for s in REQUIRED_SHEETS):
        return None, ctx.report
    spec = Spec(package=pkg, datasets=datasets, codelists=codelists, **lists)
    files = {ds.name: Path("<workbook>") / "datasets" / ds.name for ds in spec.datasets}
    for problem in check_spec(spec, Path("<workbook>"), files):
        dataset = Path(problem.file).name
        if problem.code in ("SPEC-KEY", "SPEC-WHERE") and (dataset, problem.value) in where.dropped:
            continue    # a consequence of a variable row already reported as invalid
        ctx.report.add(_place(problem, spec, where, ctx))
    return spec, ctx.report


def load_workbook_spec(path: str | Path, package: str | None = None) -> Spec:
    """``import_workbook`` that raises ``SpecError`` (with every problem) when there are errors."""
    spec, report = import_workbook(path, package)
    if spec is None or report.has_errors:
        raise SpecError(f"spec workbook {path}", report)
    return spec


# ==========================================================================
# YAML spec folder
# ==========================================================================
def _flow(data: Any) -> str:
    """One-line YAML: ``{name: AGE, label: Age, origin: {type: Derived}}``."""
    return yaml.safe_dump(data, default_flow_style=True, width=2**31 - 1, sort_keys=False,
                          allow_unicode=True).strip()


def _block(data: dict[str, Any], indent: str = "") -> str:
    """A block mapping whose values are scalars or one-line flow collections (``keys: [STUDYID, USUBJID]``)."""
    out = ""
    for key, value in data.items():
        if isinstance(value, (dict, list)):
            out += f"{indent}{_flow({key: value})[1:-1]}\n"
        else:
            text = yaml.safe_dump({key: value}, default_flow_style=False, width=2**31 - 1, allow_unicode=True)
            out += "".join(indent + line + "\n" for line in text.splitlines())
    return out


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True, exclude_defaults=True)


def _item_with_list(item: dict[str, Any], key: str, indent: str) -> str:
    """A list entry as a block mapping whose ``key`` list has one flow line per element."""
    children = item.pop(key, None)
    lines = _block(item, indent + "  ")
    lines = indent + "- " + lines[len(indent) + 2:]
    if children:
        lines += f"{indent}  {key}:\n" + "".join(f"{indent}    - {_flow(c)}\n" for c in children)
    return lines


def dataset_yaml(ds: Dataset) -> str:
    """A dataset file: header keys, then one line per variable (a block only for value-level metadata)."""
    data = _dump(ds)
    variables = data.pop("variables", [])
    out = f"# {ds.name}: {ds.label}\n" + _block(data) + "variables:\n"
    for var in variables:
        out += _item_with_list(var, "value_level", "  ") if var.get("value_level") else f"  - {_flow(var)}\n"
    return out


def list_yaml(items: list[BaseModel], title: str) -> str:
    """A list file: one flow line per item; codelists as blocks with one line per term."""
    out = f"# {title}\n"
    if not items:
        return out + "[]\n"
    for item in items:
        data = _dump(item)
        out += _item_with_list(data, "terms", "") if data.get("terms") else f"- {_flow(data)}\n"
    return out


def write_spec_folder(spec: Spec, directory: str | Path, overwrite: bool = False) -> Path:
    """Write ``spec`` as a spec folder ``read_spec`` loads: standards/codelists/methods/comments/documents.yaml
    and ``datasets/<name>.yaml``. An existing spec in ``directory`` is refused unless ``overwrite``, which
    first removes the YAML files the loader would read there (so no stale dataset survives).
    """
    directory = Path(directory)
    existing = [p for stem in LIST_FILES for p in [directory / f"{stem}.yaml", *sorted((directory / stem).glob("*.yaml"))]
                if p.exists()] + sorted((directory / "datasets").glob("*.yaml"))
    if existing and not overwrite:
        raise FileExistsError(f"{directory} already holds a spec ({existing[0].name}, ...); pass overwrite=True (cdisc-msc spec import --overwrite)")
    for p in existing:
        p.unlink()
    (directory / "datasets").mkdir(parents=True, exist_ok=True)
    titles = {"standards": "Standards", "codelists": "Codelists", "methods": "Methods", "comments": "Comments",
              "documents": "Documents"}
    for stem, title in titles.items():
        text = list_yaml(getattr(spec, stem), f"{title} of the {spec.package.upper()} spec")
        (directory / f"{stem}.yaml").write_text(text, encoding="utf-8")
    for ds in spec.datasets:
        (directory / "datasets" / f"{ds.name.lower()}.yaml").write_text(dataset_yaml(ds), encoding="utf-8")
    return directory

