"""Define-data consistency: does define.xml describe exactly the XPT files beside it?

Works on any Define-XML 2.0/2.1 file, not only ours. Checked, per dataset:

* every dataset file has an ItemGroupDef and every ItemGroupDef its file,
  unless ``def:HasNoData="Yes"`` (and then the file must have no records);
* every XPT variable is in the define and every ItemRef in the XPT; a
  variable without any value must be ``def:HasNoData="Yes"`` and one marked
  so must have no value;
* Length equals the XPT length (text; numerics: a warning, since Define
  Length may count digits), data types agree with the XPT type;
* every value of a variable with a CodeList is a term of it (value-level
  codelists on the records their where clause selects); terms no record
  uses are a warning;
* every test code / PARAMCD / QNAM / TSPARMCD in the data is covered by a
  WhereClauseDef, and every value-level item selects records with a value
  unless ``def:HasNoData="Yes"``; value-level text lengths fit the values
  and the variable;
* labels and variable order agree with the XPT (warnings).

``check_consistency(define, xpt_dir)`` returns every problem found. A caller
that has read the XPT files already (the validator) passes them as
``datasets`` (``LoadedDataset``: frame, XPT metadata and, optionally, a
column factoriser) so they are not read again.

Data values are compared as text (``values.ColumnFacts.texts``), but each column is
converted once per distinct value: a column is kept as codes into its
distinct texts, and a value-level item is evaluated on the distinct
combinations of its where-clause variables and the variable, not per record.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable, Mapping

import numpy as np
import pandas as pd
from lxml import etree

from cdisc_msc.define.schema import parse_define
from cdisc_msc.define.values import ColumnFacts, Condition, Selection, distinct_keys, format_number, texts_of
from cdisc_msc.io.columns import Factorized, FrameColumns, combined_key, factorize_column, split_key
from cdisc_msc.io.meta import XptDataset
from cdisc_msc.io.xpt import NumericColumn, XptFormatError, read_xpt_columns
from cdisc_msc.problems import Problem

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
DEF_NAMESPACES = ("http://www.cdisc.org/ns/def/v2.1", "http://www.cdisc.org/ns/def/v2.0")
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
NUMERIC_TYPES = frozenset({"integer", "float"})
TEXT_LENGTH_TYPES = frozenset({"text"})
COVERED_VARIABLE_RE = re.compile(r"(TESTCD|PARMCD|^PARAMCD|^QNAM)$")
"""Where-clause variables whose every data value must have value-level metadata."""
MAX_VALUES_LISTED = 10
MAX_VALUE_PROBLEMS = 20
"""Per variable: undefined codelist values reported one by one; the rest counted in one more problem."""


# --------------------------------------------------------------------------- the define, read


@dataclass
class DefItem:
    oid: str
    name: str
    data_type: str
    length: int | None
    label: str | None
    codelist: str | None
    value_list: str | None


@dataclass
class DefRef:
    item_oid: str
    order: int | None
    has_no_data: bool
    where: list[str] = field(default_factory=list)


@dataclass
class DefGroup:
    oid: str
    name: str
    label: str | None
    href: str | None
    has_no_data: bool
    refs: list[DefRef]

    @property
    def file_name(self) -> str:
        """The dataset file: the leaf's href (its last part), else ``<name>.xpt``."""
        return PurePosixPath(self.href).name if self.href else f"{self.name.lower()}.xpt"


@dataclass
class DefCodelist:
    oid: str
    name: str
    values: list[str]
    external: bool


@dataclass
class DefineModel:
    """The parts of a define.xml the consistency check needs."""

    groups: list[DefGroup]
    items: dict[str, DefItem]
    codelists: dict[str, DefCodelist]
    value_lists: dict[str, list[DefRef]]
    where: dict[str, list[Condition]]


def _text(el: etree._Element | None, path: str, ns: dict[str, str]) -> str | None:
    if el is None:
        return None
    found = el.find(path, ns)
    return None if found is None or found.text is None else found.text


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _ref(el: etree._Element, ns: dict[str, str], def_ns: str) -> DefRef:
    return DefRef(
        item_oid=el.get("ItemOID", ""), order=_int(el.get("OrderNumber")),
        has_no_data=el.get(f"{{{def_ns}}}HasNoData") == "Yes",
        where=[w.get("WhereClauseOID", "") for w in el.findall("def:WhereClauseRef", ns)],
    )


def read_model(tree: etree._ElementTree) -> DefineModel:
    """Read ItemGroupDefs, ItemDefs, CodeLists, ValueListDefs and WhereClauseDefs."""
    root = tree.getroot()
    def_ns = next((u for u in (root.nsmap or {}).values() if u in DEF_NAMESPACES), DEF_NAMESPACES[0])
    ns = {"odm": ODM_NS, "def": def_ns}
    mdv = root.find("odm:Study/odm:MetaDataVersion", ns)
    if mdv is None:
        return DefineModel([], {}, {}, {}, {})
    items = {}
    for el in mdv.findall("odm:ItemDef", ns):
        cl = el.find("odm:CodeListRef", ns)
        vl = el.find("def:ValueListRef", ns)
        items[el.get("OID", "")] = DefItem(
            oid=el.get("OID", ""), name=el.get("Name", ""), data_type=el.get("DataType", ""),
            length=_int(el.get("Length")), label=_text(el, "odm:Description/odm:TranslatedText", ns),
            codelist=None if cl is None else cl.get("CodeListOID"),
            value_list=None if vl is None else vl.get("ValueListOID"))
    groups = []
    for el in mdv.findall("odm:ItemGroupDef", ns):
        leaf = el.find("def:leaf", ns)
        groups.append(DefGroup(
            oid=el.get("OID", ""), name=el.get("Name", ""),
            label=_text(el, "odm:Description/odm:TranslatedText", ns),
            href=None if leaf is None else leaf.get(XLINK_HREF),
            has_no_data=el.get(f"{{{def_ns}}}HasNoData") == "Yes",
            refs=[_ref(r, ns, def_ns) for r in el.findall("odm:ItemRef", ns)]))
    codelists = {}
    for el in mdv.findall("odm:CodeList", ns):
        values = [i.get("CodedValue", "") for i in el if etree.QName(i).localname in ("CodeListItem", "EnumeratedItem")]
        codelists[el.get("OID", "")] = DefCodelist(el.get("OID", ""), el.get("Name", ""), values,
                                                   el.find("odm:ExternalCodeList", ns) is not None)
    value_lists = {el.get("OID", ""): [_ref(r, ns, def_ns) for r in el.findall("odm:ItemRef", ns)]
                   for el in mdv.findall("def:ValueListDef", ns)}
    where = {}
    for el in mdv.findall("def:WhereClauseDef", ns):
        conds = []
        for rc in el.findall("odm:RangeCheck", ns):
            item_oid = rc.get(f"{{{def_ns}}}ItemOID", "")
            name = items[item_oid].name if item_oid in items else item_oid.rsplit(".", 1)[-1]
            conds.append(Condition(name, rc.get("Comparator", "EQ"),
                                   tuple(cv.text or "" for cv in rc.findall("odm:CheckValue", ns))))
        where[el.get("OID", "")] = conds
    return DefineModel(groups, items, codelists, value_lists, where)


# --------------------------------------------------------------------------- helpers


def _where_text(conditions: list[Condition]) -> str:
    return " and ".join(f"{c.variable} {c.comparator} {', '.join(c.values)}" for c in conditions) or "(no condition)"


def _listed(values: list[str]) -> str:
    shown = ", ".join(repr(v) for v in values[:MAX_VALUES_LISTED])
    return shown + (f" and {len(values) - MAX_VALUES_LISTED} more" if len(values) > MAX_VALUES_LISTED else "")


def _as_number_text(value: str) -> str:
    """A coded value written like numeric data (``1.0`` -> ``1``); unchanged when not a number."""
    try:
        return format_number(float(value))
    except ValueError:
        return value


CHUNK = 1 << 16
"""Records per slice of a whole-column scan: the slice's temporaries stay in the CPU cache."""


def _fractional(column: pd.Series) -> tuple[int, float | None]:
    """How many numbers of a column have decimals, and the first of them (text that is no number is skipped)."""
    numbers = column if pd.api.types.is_float_dtype(column.dtype) else pd.to_numeric(column, errors="coerce")
    x = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
    count, first = 0, None
    whole = np.empty(min(len(x), CHUNK))
    for start in range(0, len(x), CHUNK):  # per slice of 65,536 records, not per record
        part = x[start:start + CHUNK]
        off = part != np.trunc(part, out=whole[:len(part)])  # NaN differs from itself: counted below
        n = int(np.count_nonzero(off) - np.count_nonzero(np.isnan(part)))
        if n and first is None:
            first = float(part[off & ~np.isnan(part)][0])
        count += n
    return count, first


EARLY = 4096
"""Records (or distinct values) looked at first when a check usually succeeds on the first few."""


def _has_number(values: pd.Series) -> bool:
    """Whether a numeric column has a value (not NaN): the first records, then the rest."""
    x = values.to_numpy(dtype=np.float64, na_value=np.nan)
    return bool((~np.isnan(x[:EARLY])).any() or (~np.isnan(x[EARLY:])).any())


def _coded_values(codelist: DefCodelist, numeric: bool) -> set[str]:
    """Coded values as text; for a numeric variable normalised like the data (``1.0`` -> ``1``)."""
    return {_as_number_text(v) for v in codelist.values} if numeric else set(codelist.values)


# --------------------------------------------------------------------------- the data, as text


Factorizer = Callable[[str], "tuple[np.ndarray, np.ndarray]"]


@dataclass
class LoadedDataset:
    """A dataset file already read: its frame, its XPT metadata and, optionally, a column factoriser.

    ``codes(name)`` returns a column's codes (-1 = missing) and distinct values
    like ``pd.factorize``; blank text may be missing (NaN) or ``""``, both are
    missing as text.
    """

    frame: pd.DataFrame
    meta: XptDataset
    codes: Factorizer | None = None


def read_dataset(path: Path) -> LoadedDataset:
    """A dataset file read for the check, text columns kept as the reader's codes and distinct values.

    ``read_xpt_columns`` gives each text column as codes (-1 = blank) into its
    distinct values; the frame holds them as categoricals, so no text value is
    built per record. Numbers are as ``read_xpt`` reads them (``.A`` special
    missings as text).
    """
    read = read_xpt_columns(path)
    text = {name: (c.codes, c.uniques) for name, c in read.columns.items() if not isinstance(c, NumericColumn)}
    frame = pd.DataFrame(
        {name: pd.Series(c.as_read(), copy=False) if isinstance(c, NumericColumn) else coded_text(*text[name])
         for name, c in read.columns.items()},
        index=pd.RangeIndex(read.records), copy=False)
    return LoadedDataset(frame, read.meta, lambda name: text[name] if name in text else _factorize(frame[name]))


def coded_text(codes: np.ndarray, uniques: np.ndarray) -> pd.Series:
    """A text column held as its reader's codes (-1 = blank) into its distinct values: a categorical,
    so no text object is made per record.

    >>> coded_text(np.array([1, -1, 0], dtype=np.int8), np.array(["A", "B"], dtype=object)).tolist()
    ['B', nan, 'A']
    """
    return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype=object), validate=False),
                     copy=False)


def _factorize(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    return _as_codes(factorize_column(values))


def _as_codes(found: Factorized) -> tuple[np.ndarray, np.ndarray]:
    """A factorised column as a ``Factorizer`` gives it (distinct values as objects)."""
    return found.codes, np.asarray(found.uniques, dtype=object)


def factorizer(columns: FrameColumns) -> Factorizer:
    """A ``LoadedDataset.codes`` from the column cache of its frame (no column factorised twice)."""
    return lambda name: _as_codes(columns.get(name))


PRESENCE = "?"
"""Suffix of a pseudo-column (no SAS name has it): whether a numeric column holds a number."""


def _presence(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A numeric column as codes of one distinct value: 0 where a number, -1 where missing."""
    codes = np.isnan(values.to_numpy(dtype=np.float64, na_value=np.nan)).astype(np.int8)
    codes *= -1
    return codes, np.array([True])


class _Columns:
    """The columns of one dataset as text, each a ``ColumnFacts`` over the dataset's codes (converted
    once per distinct value); numeric columns answer whether they hold a number without codes.

    >>> c = _Columns(pd.DataFrame({"A": ["x", "", None, "x"], "N": [1.0, 2.5, None, 1.0]}))
    >>> sorted(c.distinct("A")), sorted(c.distinct("N")), c.has_values("A")
    (['x'], ['1', '2.5'], True)
    """

    def __init__(self, frame: pd.DataFrame, codes: Factorizer | None = None) -> None:
        self.frame = frame
        self._factorizer = codes or (lambda name: _factorize(frame[name]))
        self._codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._facts: dict[str, ColumnFacts] = {}
        self._combos: dict[tuple[str, ...], np.ndarray] = {}
        self._float: dict[str, bool] | None = None

    def codes(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Codes and distinct values of a column, or of a ``name + PRESENCE`` pseudo-column."""
        if name not in self._codes:
            self._codes[name] = _presence(self.frame[name[:-1]]) if name.endswith(PRESENCE) else \
                self._factorizer(name)
        return self._codes[name]

    def facts(self, name: str) -> ColumnFacts:
        """The column compared as text (``ColumnFacts``), over its codes and distinct values."""
        found = self._facts.get(name)
        if found is None:
            codes, uniques = self.codes(name)
            found = self._facts[name] = ColumnFacts(Factorized(codes, uniques), self.frame[name])
        return found

    def numeric(self, name: str) -> bool:
        if self._float is None:  # the dtypes once: a frame's column lookup is slow when done hundreds of times
            self._float = {n: pd.api.types.is_float_dtype(t) for n, t in self.frame.dtypes.items()}
        return self._float[name]

    def has_values(self, name: str) -> bool:
        """Some record has a value (numbers always do; blank text and special missings do not)."""
        if self.numeric(name):
            return _has_number(self.frame[name])  # no factorisation of the numbers needed
        return self.facts(name).has_values()  # every distinct value occurs in some record

    def distinct(self, name: str, used: np.ndarray | None = None) -> set[str]:
        """The distinct texts of the column (of the distinct values selected by ``used``, see ``selected``)."""
        if used is None and name not in self._codes and self.numeric(name):  # no codes needed: no factorisation
            numbers = pd.unique(self.frame[name].to_numpy(dtype=np.float64, na_value=np.nan))
            return set(texts_of(numbers[~np.isnan(numbers)]).tolist())
        return self.facts(name).distinct_text(None if used is None else Selection(used))

    def used_has_values(self, name: str, used: np.ndarray) -> bool:
        """Some of the distinct values selected by ``used`` (see ``selected``) is a value."""
        return self.facts(name).has_values(Selection(used))

    def _distinct_combinations(self, names: tuple[str, ...]) -> np.ndarray:
        """The distinct combinations of the codes of ``names`` over the records, one row each."""
        if names not in self._combos:
            columns = [self.codes(n) for n in names]
            radix = [len(u) + 1 for _, u in columns]
            key = combined_key([c for c, _ in columns], radix, len(self.frame))
            if key is not None:
                combos = np.column_stack(split_key(distinct_keys(key, int(np.prod(radix))), radix))
            else:  # too many combinations for one integer key
                combos = pd.DataFrame({i: c for i, (c, _) in enumerate(columns)}).drop_duplicates().to_numpy()
            self._combos[names] = combos.astype(np.intp, copy=False)
        return self._combos[names]

    def selected(self, conditions: list[Condition], name: str, presence: bool = False) -> np.ndarray:
        """Which distinct values of ``name`` (one more slot: missing) the records meeting every condition hold.

        ``presence`` (numeric columns): only whether they hold a number (one
        distinct value), which spares factorising the numbers.
        """
        name = name + PRESENCE if presence else name
        n = len(self.codes(name)[1]) + 1
        if any(c.variable not in self.frame.columns for c in conditions):
            return np.zeros(n, dtype=bool)  # a condition on an absent variable selects nothing
        if len(self.frame) == 0:
            return np.zeros(n, dtype=bool)
        variables = tuple(dict.fromkeys([c.variable for c in conditions] + [name]))
        combos = self._distinct_combinations(variables)
        keep = np.ones(len(combos), dtype=bool)
        for c in conditions:
            keep &= self.facts(c.variable).condition_hits(c)[combos[:, variables.index(c.variable)]]
        used = np.zeros(n, dtype=bool)
        used[combos[keep, variables.index(name)]] = True  # code -1 marks the last slot
        return used


@dataclass
class _Checker:
    model: DefineModel
    xpt_dir: Path
    define_name: str
    loaded: Mapping[str, LoadedDataset] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    codelist_use: dict[str, set[str]] = field(default_factory=dict)
    codelist_incomplete: set[str] = field(default_factory=set)

    def add(self, severity: str, code: str, file: str, column: str, message: str,
            value: str = "", expected: str = "") -> None:
        self.problems.append(Problem(severity=severity, code=code, file=file, column=column, value=value,
                                     expected=expected, message=message))

    # ---------------------------------------------------------------- datasets
    def run(self) -> list[Problem]:
        files = {p.name.lower(): p for p in sorted(self.xpt_dir.glob("*")) if p.suffix.lower() == ".xpt"}
        described = set()
        for group in self.model.groups:
            fname = group.file_name.lower()
            described.add(fname)
            path = files.get(fname)
            if path is None:
                if not group.has_no_data:
                    self.add("error", "DEFCHK-DATASET", fname, group.name,
                             f"dataset {group.name} is in define.xml but its file {fname} is missing "
                             f"(and it is not marked def:HasNoData)")
                self._note_incomplete(group)
                continue
            loaded = self.loaded.get(fname)
            if loaded is None:
                try:
                    loaded = read_dataset(path)
                except (XptFormatError, OSError, ValueError) as exc:
                    self.add("error", "DEFCHK-XPT", fname, "", f"cannot read the dataset file: {exc}")
                    self._note_incomplete(group)
                    continue
            self._dataset(group, loaded.frame, loaded.meta, fname, _Columns(loaded.frame, loaded.codes))
        for fname in sorted(set(files) - described):
            self.add("error", "DEFCHK-DATASET", fname, "",
                     f"dataset file {fname} has no ItemGroupDef in define.xml")
        self._unused_terms()
        return self.problems

    def _note_incomplete(self, group: DefGroup) -> None:
        for ref in group.refs:
            item = self.model.items.get(ref.item_oid)
            if item is None:
                continue
            if item.codelist:
                self.codelist_incomplete.add(item.codelist)
            for vref in self.model.value_lists.get(item.value_list or "", []):
                vitem = self.model.items.get(vref.item_oid)
                if vitem is not None and vitem.codelist:
                    self.codelist_incomplete.add(vitem.codelist)

    def _dataset(self, group: DefGroup, frame: pd.DataFrame, meta: XptDataset, fname: str,
                 columns: _Columns) -> None:
        if group.has_no_data and len(frame):
            self.add("error", "DEFCHK-HASNODATA", fname, group.name,
                     f"dataset {group.name} is marked def:HasNoData but {fname} has {len(frame)} records")
        if not group.has_no_data and not len(frame):
            self.add("error", "DEFCHK-HASNODATA", fname, group.name,
                     f"{fname} has no records but dataset {group.name} is not marked def:HasNoData")
        if group.label is not None and meta.label and group.label != meta.label:
            self.add("warning", "DEFCHK-LABEL", fname, group.name, "dataset label differs from the XPT label",
                     value=group.label, expected=meta.label)
        refs = {}
        for ref in group.refs:
            item = self.model.items.get(ref.item_oid)
            if item is None:
                self.add("error", "DEFCHK-REF", self.define_name, group.name,
                         f"ItemRef {ref.item_oid} of {group.name} has no ItemDef")
                continue
            refs[item.name] = (ref, item)
        xpt_names = [v.name for v in meta.variables]
        for name in xpt_names:
            if name not in refs:
                self.add("error", "DEFCHK-VARIABLE", fname, f"{group.name}.{name}",
                         f"variable {name} is in {fname} but not in define.xml dataset {group.name}")
        for name, (ref, item) in refs.items():
            if name not in frame.columns:
                self.add("warning" if ref.has_no_data else "error", "DEFCHK-VARIABLE", fname,
                         f"{group.name}.{name}",
                         f"variable {name} is in define.xml but not in {fname}"
                         + (" (marked def:HasNoData)" if ref.has_no_data else ""))
                if item.codelist:
                    self.codelist_incomplete.add(item.codelist)
                continue
            self._variable(group, ref, item, frame, meta.variable(name), fname, columns)
        define_order = [n for n, _ in sorted(refs.items(), key=lambda kv: (kv[1][0].order is None, kv[1][0].order or 0))
                        if n in frame.columns]
        xpt_order = [n for n in xpt_names if n in refs]
        if define_order != xpt_order:
            self.add("warning", "DEFCHK-ORDER", fname, group.name,
                     "variable order in define.xml (OrderNumber) differs from the XPT",
                     value=" ".join(define_order), expected=" ".join(xpt_order))
        self._value_level(group, refs, frame, meta, fname, columns)

    # ---------------------------------------------------------------- variables
    def _variable(self, group: DefGroup, ref: DefRef, item: DefItem, frame: pd.DataFrame, xvar, fname: str,
                  columns: _Columns) -> None:
        where = f"{group.name}.{item.name}"
        has_values = columns.has_values(item.name) if len(frame) else False
        if len(frame) and not has_values and not ref.has_no_data:
            self.add("error", "DEFCHK-HASNODATA", fname, where,
                     f"{where} has no value in any record but is not marked def:HasNoData")
        if ref.has_no_data and has_values:
            self.add("error", "DEFCHK-HASNODATA", fname, where, f"{where} is marked def:HasNoData but has values")
        numeric_define = item.data_type in NUMERIC_TYPES
        if numeric_define != xvar.is_numeric:
            self.add("error", "DEFCHK-TYPE", fname, where,
                     f"{where}: define.xml DataType {item.data_type} but the XPT variable is "
                     f"{'numeric' if xvar.is_numeric else 'character'}",
                     value=item.data_type, expected="integer/float" if xvar.is_numeric else "text or an ISO 8601 type")
        elif item.data_type == "integer" and has_values:
            count, first = _fractional(frame[item.name])
            if count:
                self.add("error", "DEFCHK-TYPE", fname, where,
                         f"{where}: DataType integer but {count} value(s) have decimals",
                         value=format_number(first))
        self._length(item, xvar, where, fname)
        if xvar.label and item.label is not None and item.label != xvar.label:
            self.add("warning", "DEFCHK-LABEL", fname, where, f"{where}: label differs from the XPT label",
                     value=item.label, expected=xvar.label)
        if item.codelist:
            self._codelist_values(item.codelist, lambda: columns.distinct(item.name), xvar.is_numeric, where, fname)

    def _length(self, item: DefItem, xvar, where: str, fname: str) -> None:
        if xvar.is_numeric:
            if item.length is not None and item.length != xvar.length:
                self.add("warning", "DEFCHK-LENGTH", fname, where,
                         f"{where}: define.xml Length {item.length} differs from the XPT length {xvar.length} "
                         f"of a numeric variable", value=str(item.length), expected=str(xvar.length))
            return
        if item.length is None:
            if item.data_type in TEXT_LENGTH_TYPES:
                self.add("error", "DEFCHK-LENGTH", fname, where, f"{where}: text ItemDef has no Length",
                         expected=str(xvar.length))
            return
        if item.length != xvar.length:
            self.add("error", "DEFCHK-LENGTH", fname, where,
                     f"{where}: define.xml Length {item.length} but the XPT length is {xvar.length}",
                     value=str(item.length), expected=str(xvar.length))

    def _codelist_values(self, oid: str, distinct: Callable[[], set[str]], numeric: bool, where: str,
                         fname: str) -> None:
        codelist = self.model.codelists.get(oid)
        if codelist is None:
            self.add("error", "DEFCHK-CODELIST", self.define_name, where, f"{where}: CodeListRef {oid} has no CodeList")
            return
        if codelist.external:
            return
        used = distinct()
        self.codelist_use.setdefault(oid, set()).update(used)
        allowed = _coded_values(codelist, numeric)
        missing = sorted(used - allowed)
        for value in missing[:MAX_VALUE_PROBLEMS]:
            self.add("error", "DEFCHK-TERM", fname, where,
                     f"{where}: value {value!r} is used in the data but is not a term of codelist {oid}",
                     value=value, expected=f"a CodedValue of {oid}")
        if len(missing) > MAX_VALUE_PROBLEMS:
            self.add("error", "DEFCHK-TERM", fname, where,
                     f"{where}: ... and {len(missing) - MAX_VALUE_PROBLEMS} more values not in codelist {oid}")

    # ---------------------------------------------------------------- value level
    def _value_level(self, group: DefGroup, refs: dict, frame: pd.DataFrame, meta: XptDataset, fname: str,
                     columns: _Columns) -> None:
        covered: dict[str, set[str]] = {}
        for name, (ref, item) in refs.items():
            if not item.value_list:
                continue
            vrefs = self.model.value_lists.get(item.value_list)
            if vrefs is None:
                self.add("error", "DEFCHK-REF", self.define_name, f"{group.name}.{name}",
                         f"ValueListRef {item.value_list} has no ValueListDef")
                continue
            for vref in vrefs:
                conditions = [c for w in vref.where for c in self.model.where.get(w, [])]
                for c in conditions:
                    if c.comparator in ("EQ", "IN"):
                        covered.setdefault(c.variable, set()).update(c.values)
                if name in frame.columns:
                    self._value_item(group, name, vref, conditions, frame, meta, fname, columns)
        for variable, values in sorted(covered.items()):
            if not COVERED_VARIABLE_RE.search(variable) or variable not in frame.columns:
                continue
            for value in sorted(columns.distinct(variable) - values):
                self.add("error", "DEFCHK-VLM", fname, f"{group.name}.{variable}",
                         f"{group.name}.{variable} value {value!r} is in the data but no WhereClauseDef "
                         f"of {group.name} covers it", value=value)

    def _value_item(self, group: DefGroup, name: str, vref: DefRef, conditions: list[Condition],
                    frame: pd.DataFrame, meta: XptDataset, fname: str, columns: _Columns) -> None:
        vitem = self.model.items.get(vref.item_oid)
        where = f"{group.name}.{name} where {_where_text(conditions)}"
        if vitem is None:
            self.add("error", "DEFCHK-REF", self.define_name, where, f"ItemRef {vref.item_oid} has no ItemDef")
            return
        xvar = meta.variable(name)
        if xvar.is_numeric and columns.numeric(name) and not vitem.codelist:
            used = None  # whether the selected records have a number suffices: the numbers are not factorised
            has_values = bool(columns.selected(conditions, name, presence=True)[:-1].any())
        else:
            used = columns.selected(conditions, name)  # the distinct values of the selected records
            has_values = columns.used_has_values(name, used)
        if not has_values and not vref.has_no_data:
            self.add("error", "DEFCHK-VLM", fname, where,
                     f"{where}: no record has a value, but the value-level item is not marked def:HasNoData")
        if vref.has_no_data and has_values:
            self.add("error", "DEFCHK-VLM", fname, where, f"{where}: marked def:HasNoData but records have values")
        if not xvar.is_numeric and vitem.data_type == "text" and vitem.length is not None:
            longest = max((len(v.encode("utf-8")) for v in columns.distinct(name, used)), default=0)
            if vitem.length > xvar.length:
                self.add("error", "DEFCHK-LENGTH", fname, where,
                         f"{where}: value-level Length {vitem.length} exceeds the XPT length {xvar.length}",
                         value=str(vitem.length), expected=f"at most {xvar.length}")
            if longest > vitem.length:
                self.add("error", "DEFCHK-LENGTH", fname, where,
                         f"{where}: a value has {longest} characters, more than the value-level Length {vitem.length}",
                         value=str(vitem.length), expected=f"at least {longest}")
        if vitem.codelist:
            self._codelist_values(vitem.codelist, lambda: columns.distinct(name, used), xvar.is_numeric, where,
                                  fname)

    # ---------------------------------------------------------------- codelists
    def _unused_terms(self) -> None:
        for oid in sorted(self.codelist_use):
            used = self.codelist_use[oid]
            codelist = self.model.codelists[oid]
            if oid in self.codelist_incomplete or not used:
                continue
            unused = [v for v in codelist.values if v not in used and _as_number_text(v) not in used]
            if unused:
                self.add("warning", "DEFCHK-TERM-UNUSED", self.define_name, oid,
                         f"codelist {oid} has {len(unused)} term(s) no record uses: {_listed(unused)}",
                         expected="codelists limited to the terms used")


def check_consistency(define: str | Path | bytes | etree._ElementTree, xpt_dir: str | Path,
                      name: str | None = None, datasets: Mapping[str, LoadedDataset] | None = None) -> list[Problem]:
    """Every mismatch between a define.xml and the XPT files of ``xpt_dir`` (see the module doc).

    ``define`` is a path, the bytes or a parsed tree; ``name`` labels it in problems. ``datasets``
    maps lower-case file names of ``xpt_dir`` to the files already read; the others are read here.
    """
    xpt_dir = Path(xpt_dir)
    if isinstance(define, etree._ElementTree):
        tree, label = define, name or "define.xml"
    else:
        label = name or (str(define) if not isinstance(define, bytes) else "define.xml")
        tree, problems = parse_define(define, label)
        if tree is None:
            return problems
    if not xpt_dir.is_dir():
        return [Problem(code="DEFCHK-DIR", file=str(xpt_dir), message="dataset folder not found")]
    loaded = {k.lower(): v for k, v in (datasets or {}).items()}
    return _Checker(read_model(tree), xpt_dir, label, loaded).run()


__all__ = ["DefineModel", "LoadedDataset", "check_consistency", "factorizer", "read_model"]
