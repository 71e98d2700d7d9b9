"""Define-XML 2.1 generation from the spec, the study configuration and the
data actually written.

The spec gives the structure (datasets, variables, value-level metadata,
codelists, methods, comments, documents, standards); the data gives what the
spec cannot know: XPT lengths, the terms actually used (codelists are limited
to them), the decimals of floats, and which datasets, variables and value
level items have no data (``def:HasNoData="Yes"``). The configuration gives
the study facts, the dictionary versions and the one fixed timestamp.

Output is deterministic: element and attribute order are fixed, every list is
in spec order or sorted, and no clock is read, so identical inputs give
byte-identical files.

OIDs: ``IG.<DS>``, ``IT.<DS>.<VAR>``, ``IT.<DS>.<VAR>.<where values>``,
``VL.<DS>.<VAR>``, ``WC.<DS>.<VAR>.<where values>``, ``LF.<DS>``; codelist,
method, comment, standard and document OIDs are the spec's.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd
from lxml import etree

from cdisc_msc import __version__
from cdisc_msc.config import StudyConfig
from cdisc_msc.io.meta import DatasetContent, display_format
from cdisc_msc.problems import InputError, Problem, ProblemReport
from cdisc_msc.spec.ct import DEFAULT_VERSION, load_ct
from cdisc_msc.spec.model import Codelist, Dataset, Document, Spec, ValueLevel, Variable
from cdisc_msc.define.values import ColumnFacts, Condition, Selection, distinct_keys
from cdisc_msc.io.columns import FrameColumns, columns_for, combined_key, split_key

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
DEF_NS = "http://www.cdisc.org/ns/def/v2.1"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NSMAP = {None: ODM_NS, "xlink": XLINK_NS, "def": DEF_NS}
DEFINE_VERSION = "2.1.0"
STYLESHEET = "define2-1.xsl"

LENGTH_TYPES = frozenset({"text", "integer", "float"})
"""Data types that carry a Length; ISO 8601 types (date, datetime, ...) do not."""

CLASS_ORDER = (
    "TRIAL DESIGN", "SPECIAL PURPOSE", "INTERVENTIONS", "EVENTS", "FINDINGS", "FINDINGS ABOUT",
    "RELATIONSHIP", "STUDY REFERENCE",
    "SUBJECT LEVEL ANALYSIS DATASET", "OCCURRENCE DATA STRUCTURE", "BASIC DATA STRUCTURE",
    "REFERENCE DATA STRUCTURE", "ADAM OTHER",
)
CT_PUBLISHING_SET = {"SDTM": "SDTM", "ADaM": "ADaM", "DEFINE": "DEFINE-XML"}
"""Package column of the shipped CT -> def:Standard PublishingSet."""

CONFIG_DICTIONARIES = {"MEDDRA": "meddra", "WHODD": "whodrug", "WHODRUG": "whodrug", "CTCAE": "ctcae"}
"""External dictionaries whose version comes from the study configuration."""

PLACEHOLDER_RE = re.compile(r"\{config\.([A-Za-z_][A-Za-z0-9_.]*)\}")


class DefineError(InputError):
    """The spec, configuration and data cannot make a define.xml; ``report`` says why."""


def _ns(prefix: str | None, tag: str) -> str:
    return f"{{{DEF_NS if prefix == 'def' else XLINK_NS if prefix == 'xlink' else ODM_NS}}}{tag}"


# --------------------------------------------------------------------------- inputs


def contents_from_frames(spec: Spec, frames: Mapping[str, pd.DataFrame]) -> dict[str, DatasetContent]:
    """``{name: DatasetContent}`` for frames keyed by dataset name (metadata from the spec)."""
    return {name.upper(): DatasetContent.from_frame(spec.dataset(name), frame) for name, frame in frames.items()}


# --------------------------------------------------------------------------- placeholders


def _config_value(config: StudyConfig, path: str) -> Any:
    value: Any = config
    for part in path.split("."):
        if isinstance(value, Mapping):
            if part not in value:
                raise KeyError(path)
            value = value[part]
        elif hasattr(value, part):
            value = getattr(value, part)
        else:
            raise KeyError(path)
    return value


def _render_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}" if value == int(value) else repr(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(_render_value(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {_render_value(v)}" for k, v in value.items())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def expand_placeholders(text: str, config: StudyConfig, where: str = "") -> str:
    """Replace ``{config.a.b}`` with the configured value, e.g. ``{config.sf36_norms.name}``
    -> ``US 1998 general population norms ...``; lists and mappings are joined
    with commas. An unknown path raises ``DefineError`` naming ``where``.
    """
    def repl(match: re.Match) -> str:
        try:
            return _render_value(_config_value(config, match.group(1)))
        except KeyError:
            raise DefineError("define.xml", ProblemReport([Problem(
                code="DEFINE-PLACEHOLDER", file=where, value=match.group(0),
                message="placeholder names no study configuration field")])) from None
    return PLACEHOLDER_RE.sub(repl, text)


# --------------------------------------------------------------------------- OIDs


def _oid_part(text: str) -> str:
    """An OID fragment: characters other than letters, digits, '.', '-' and '_' become '_'."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)


def _values_part(values: list[str]) -> str:
    """``A``, ``A_B``, or ``A_PLUS9`` for a longer IN list (OIDs stay short)."""
    shown = "_".join(values) if len(values) <= 2 else f"{values[0]}_PLUS{len(values) - 1}"
    return _oid_part(shown)


def _where_suffix(where: list) -> str:
    return ".".join(_values_part(c.values) for c in where) or "ALL"


@dataclass
class _Oids:
    """Allocates unique value-level OIDs (a suffix .2, .3 on collisions)."""

    used: set[str] = field(default_factory=set)

    def take(self, base: str) -> str:
        oid, n = base, 1
        while oid in self.used:
            n += 1
            oid = f"{base}.{n}"
        self.used.add(oid)
        return oid


# --------------------------------------------------------------------------- data facts


def _conditions(where: list) -> list[Condition]:
    return [Condition(c.variable, c.comparator, tuple(c.values)) for c in where]


@dataclass
class _VlmItem:
    """One value-level item resolved against the data."""

    dataset: Dataset
    variable: Variable
    vl: ValueLevel
    item_oid: str
    where_oid: str
    values: ColumnFacts | None
    """The item variable's column (None when the dataset has no data or no such column)."""
    selection: Selection | None
    """The rows its where clause selects (None: no data)."""

    @property
    def has_data(self) -> bool:
        return self.selection is not None and self.values is not None and self.values.has_values(self.selection)


class _Facts:
    """The columns of the datasets written, each factorised and converted to text once.

    A value-level item's data are found from the distinct values: its where
    clause is evaluated per distinct value of the condition variables, and a
    one-condition clause uses the distinct (condition value, item value) pairs
    of the rows, found once per pair of columns.
    """

    def __init__(self, contents: Mapping[str, DatasetContent]) -> None:
        self.contents = contents
        self._caches: dict[str, FrameColumns] = {}
        self._facts: dict[tuple[str, str], ColumnFacts] = {}
        self._pair_cache: dict[tuple[str, str, str], tuple[np.ndarray, np.ndarray]] = {}

    def column(self, dataset: str, name: str) -> ColumnFacts | None:
        """The facts of a column, None when the dataset was not written or has no such column."""
        content = self.contents.get(dataset)
        if content is None or name not in content.frame.columns:
            return None
        key = (dataset, name)
        if key not in self._facts:
            if dataset not in self._caches:
                self._caches[dataset] = columns_for(content.frame, content.columns)
            self._facts[key] = ColumnFacts(self._caches[dataset].get(name), content.frame[name])
        return self._facts[key]

    def _pairs(self, dataset: str, where: ColumnFacts, where_name: str, item: ColumnFacts,
               item_name: str) -> tuple[np.ndarray, np.ndarray]:
        """The distinct (where value, item value) pairs over the rows, as two arrays of
        distinct-value indexes (missing: -1, the last slot of a per-value table)."""
        key = (dataset, where_name, item_name)
        if key not in self._pair_cache:
            rows, cols = len(where.uniques) + 1, len(item.uniques) + 1
            pair = distinct_keys(combined_key([where.codes, item.codes], [rows, cols], len(item.codes)), rows * cols)
            where_codes, item_codes = split_key(pair, [rows, cols])
            self._pair_cache[key] = (where_codes, item_codes)  # -1 (missing) indexes the last slot
        return self._pair_cache[key]

    def selection(self, dataset: str, conditions: list[Condition], name: str) -> Selection | None:
        """The rows of column ``name`` meeting every condition (None: no such column)."""
        item = self.column(dataset, name)
        if item is None:
            return None
        wheres = [self.column(dataset, c.variable) for c in conditions]
        if any(w is None for w in wheres):  # a missing variable meets nothing
            return item.select(np.zeros(len(item.codes), dtype=bool))
        if len(conditions) == 1 and not item.ambiguous:
            where_codes, item_codes = self._pairs(dataset, wheres[0], conditions[0].variable, item, name)
            occ = np.zeros(len(item.uniques) + 1, dtype=bool)
            occ[item_codes[wheres[0].condition_hits(conditions[0])[where_codes]]] = True
            return Selection(occ)
        rows = np.ones(len(item.codes), dtype=bool)
        for where, condition in zip(wheres, conditions):
            rows &= where.condition_mask(condition)
        return item.select(rows)


def _dataset_order(spec: Spec) -> list[Dataset]:
    rank = {c: i for i, c in enumerate(CLASS_ORDER)}
    return sorted(spec.datasets, key=lambda d: (rank.get(d.class_.upper(), len(rank)), d.name))


def _vlm_items(spec: Spec, contents: Mapping[str, DatasetContent],
               facts: _Facts) -> dict[tuple[str, str], list[_VlmItem]]:
    """Value-level items per (dataset, variable), with the data each selects."""
    oids, woids = _Oids(), _Oids()
    where_oids: dict[tuple, str] = {}  # one WhereClauseDef per distinct condition set of a dataset
    out: dict[tuple[str, str], list[_VlmItem]] = {}
    for ds in _dataset_order(spec):
        content = contents.get(ds.name)
        for var in ds.variables:
            items = []
            for vl in var.value_level:
                suffix = _where_suffix(vl.where)
                key = (ds.name, tuple((c.variable, c.comparator, tuple(c.values)) for c in vl.where))
                if key not in where_oids:
                    where_oids[key] = woids.take(f"WC.{ds.name}.{'.'.join(c.variable for c in vl.where)}.{suffix}")
                values, selection = None, None
                if content is not None:
                    values = facts.column(ds.name, var.name)
                    selection = facts.selection(ds.name, _conditions(vl.where), var.name)
                items.append(_VlmItem(ds, var, vl, oids.take(f"IT.{ds.name}.{var.name}.{suffix}"),
                                      where_oids[key], values, selection))
            if items:
                out[(ds.name, var.name)] = items
    return out


def _used_terms(spec: Spec, contents: Mapping[str, DatasetContent],
                vlm: Mapping[tuple[str, str], list[_VlmItem]], facts: _Facts) -> dict[str, set[str] | None]:
    """Codelist OID -> the values the data uses; None when no dataset that uses it has data."""
    used: dict[str, set[str] | None] = {}

    def note(oid: str, values: set[str] | None) -> None:
        if values is None:
            used.setdefault(oid, None)
        else:
            used[oid] = (used.get(oid) or set()) | values

    for ds in spec.datasets:
        content = contents.get(ds.name)
        for var in ds.variables:
            if var.codelist:
                column = facts.column(ds.name, var.name)
                note(var.codelist, column.distinct_text() if column is not None and content.has_rows else None)
        for items in (vlm.get((ds.name, v.name), []) for v in ds.variables):
            for item in items:
                if item.vl.codelist:
                    values = item.values.distinct_text(item.selection) \
                        if item.selection is not None and item.values is not None and content.has_rows else None
                    note(item.vl.codelist, values)
    return used


# --------------------------------------------------------------------------- element helpers


def _description(parent: etree._Element, text: str | None) -> None:
    if text is None:
        return
    desc = etree.SubElement(parent, _ns(None, "Description"))
    tt = etree.SubElement(desc, _ns(None, "TranslatedText"))
    tt.set(XML_LANG, "en")
    tt.text = text


def _set(elem: etree._Element, name: str, value: Any) -> None:
    """Set an attribute when the value is not None (``def:X`` names the def namespace)."""
    if value is None:
        return
    if name.startswith("def:"):
        name = _ns("def", name[4:])
    elif name.startswith("xlink:"):
        name = _ns("xlink", name[6:])
    elem.set(name, str(value))


def _yes_no(flag: bool) -> str:
    return "Yes" if flag else "No"


# --------------------------------------------------------------------------- the builder


@dataclass
class _Context:
    spec: Spec
    config: StudyConfig
    contents: Mapping[str, DatasetContent]
    vlm: dict[tuple[str, str], list[_VlmItem]]
    used_terms: dict[str, set[str] | None]
    acrf: Document | None
    facts: _Facts
    methods: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    codelists: list[str] = field(default_factory=list)

    def use(self, kind: str, oid: str | None) -> str | None:
        if oid is not None:
            bucket = getattr(self, kind)
            if oid not in bucket:
                bucket.append(oid)
        return oid


def _is_acrf(doc: Document) -> bool:
    return doc.oid.upper().endswith("ACRF") or Path(doc.href).name.lower() == "acrf.pdf"


def _standards(mdv: etree._Element, spec: Spec) -> None:
    standards = etree.SubElement(mdv, _ns("def", "Standards"))
    for s in spec.standards:
        el = etree.SubElement(standards, _ns("def", "Standard"))
        for attr, value in (("OID", s.oid), ("Name", s.name), ("Type", s.type),
                            ("PublishingSet", s.publishing_set), ("Version", s.version), ("Status", s.status)):
            _set(el, attr, value)


def _documents(mdv: etree._Element, spec: Spec) -> None:
    acrf = [d for d in spec.documents if _is_acrf(d)]
    other = [d for d in spec.documents if not _is_acrf(d)]
    for tag, docs in (("AnnotatedCRF", acrf), ("SupplementalDoc", other)):
        if docs:
            holder = etree.SubElement(mdv, _ns("def", tag))
            for d in docs:
                _set(etree.SubElement(holder, _ns("def", "DocumentRef")), "leafID", d.oid)


def _where_clause(mdv: etree._Element, item: _VlmItem) -> None:
    wc = etree.SubElement(mdv, _ns("def", "WhereClauseDef"))
    _set(wc, "OID", item.where_oid)
    for cond in item.vl.where:
        rc = etree.SubElement(wc, _ns(None, "RangeCheck"))
        _set(rc, "Comparator", cond.comparator)
        _set(rc, "SoftHard", "Soft")
        _set(rc, "def:ItemOID", f"IT.{item.dataset.name}.{cond.variable}")
        for value in cond.values:
            etree.SubElement(rc, _ns(None, "CheckValue")).text = value


def _value_list(mdv: etree._Element, ctx: _Context, ds: Dataset, var: Variable, items: list[_VlmItem]) -> None:
    vl_el = etree.SubElement(mdv, _ns("def", "ValueListDef"))
    _set(vl_el, "OID", f"VL.{ds.name}.{var.name}")
    content = ctx.contents.get(ds.name)
    for order, item in enumerate(items, start=1):
        ref = etree.SubElement(vl_el, _ns(None, "ItemRef"))
        _set(ref, "ItemOID", item.item_oid)
        _set(ref, "OrderNumber", order)
        _set(ref, "Mandatory", _yes_no(item.vl.mandatory))
        _set(ref, "MethodOID", ctx.use("methods", item.vl.method))
        if content is None or not item.has_data:
            _set(ref, "def:HasNoData", "Yes")
        _set(etree.SubElement(ref, _ns("def", "WhereClauseRef")), "WhereClauseOID", item.where_oid)


def _item_group(mdv: etree._Element, ctx: _Context, ds: Dataset) -> None:
    content = ctx.contents.get(ds.name)
    no_data = content is None or not content.has_rows
    ig = etree.SubElement(mdv, _ns(None, "ItemGroupDef"))
    _set(ig, "OID", f"IG.{ds.name}")
    _set(ig, "Domain", ds.domain)
    _set(ig, "Name", ds.name)
    _set(ig, "Repeating", _yes_no(ds.repeating))
    _set(ig, "IsReferenceData", _yes_no(ds.reference_data))
    _set(ig, "SASDatasetName", ds.name)
    _set(ig, "def:Structure", ds.structure)
    _set(ig, "Purpose", ds.purpose)
    _set(ig, "def:StandardOID", ds.standard)
    if no_data:
        _set(ig, "def:HasNoData", "Yes")
    _set(ig, "def:CommentOID", ctx.use("comments", ds.comment))
    if not no_data:
        _set(ig, "def:ArchiveLocationID", f"LF.{ds.name}")
    _description(ig, ds.label)
    keys = {k: i for i, k in enumerate(ds.keys, start=1)}
    for order, var in enumerate(ds.variables, start=1):
        ref = etree.SubElement(ig, _ns(None, "ItemRef"))
        _set(ref, "ItemOID", f"IT.{ds.name}.{var.name}")
        _set(ref, "OrderNumber", order)
        _set(ref, "Mandatory", _yes_no(var.mandatory))
        _set(ref, "KeySequence", keys.get(var.name))
        _set(ref, "MethodOID", ctx.use("methods", var.method))
        if ds.purpose == "Tabulation":
            _set(ref, "Role", var.role)
        column = None if no_data else ctx.facts.column(ds.name, var.name)
        if not no_data and (column is None or not column.has_values()):
            _set(ref, "def:HasNoData", "Yes")
    cls = etree.SubElement(ig, _ns("def", "Class"))
    _set(cls, "Name", ds.class_)
    if ds.subclass:
        _set(etree.SubElement(cls, _ns("def", "SubClass")), "Name", ds.subclass)
    if not no_data:
        leaf = etree.SubElement(ig, _ns("def", "leaf"))
        _set(leaf, "ID", f"LF.{ds.name}")
        _set(leaf, "xlink:href", f"{ds.name.lower()}.xpt")
        etree.SubElement(leaf, _ns("def", "title")).text = f"{ds.name.lower()}.xpt"


def _origin(parent: etree._Element, ctx: _Context, origin) -> None:
    el = etree.SubElement(parent, _ns("def", "Origin"))
    _set(el, "Type", origin.type)
    _set(el, "Source", origin.source)
    if origin.type == "Predecessor" and origin.predecessor:
        _description(el, origin.predecessor)
    if origin.pages:
        if ctx.acrf is None:
            _description(el, f"CRF page(s) {origin.pages}")
        else:
            doc = etree.SubElement(el, _ns("def", "DocumentRef"))
            _set(doc, "leafID", ctx.acrf.oid)
            page = etree.SubElement(doc, _ns("def", "PDFPageRef"))
            _set(page, "PageRefs", origin.pages)
            _set(page, "Type", "PhysicalRef")


def _item_length(data_type: str, spec_length, xpt_length: int | None, values: ColumnFacts | None,
                 selection: Selection | None = None) -> int | None:
    """Define Length: the XPT length of the variable (text/integer/float only).

    Value-level text items: the spec length, or the longest value of the
    rows selected (``selection``; None: all).
    """
    if data_type not in LENGTH_TYPES:
        return None
    if xpt_length is not None:
        return xpt_length
    if data_type != "text":
        return 8
    if isinstance(spec_length, int):
        return spec_length
    return max(1, values.max_text_length(selection)) if values is not None else 1


def _item_def(mdv: etree._Element, ctx: _Context, oid: str, name: str, label: str | None, meta,
              length: int | None, values: ColumnFacts | None, value_list_oid: str | None = None,
              selection: Selection | None = None) -> None:
    """One ItemDef; ``meta`` is a spec Variable or ValueLevel; ``values`` its column
    (``selection``: the rows of it the item selects; None: all)."""
    item = etree.SubElement(mdv, _ns(None, "ItemDef"))
    _set(item, "OID", oid)
    _set(item, "Name", name)
    _set(item, "DataType", meta.data_type)
    _set(item, "Length", length)
    if meta.data_type == "float":
        digits = meta.significant_digits if meta.significant_digits is not None else (
            values.decimals(selection) if values is not None else None)
        _set(item, "SignificantDigits", digits)
    _set(item, "SASFieldName", name)
    _set(item, "def:DisplayFormat", display_format(meta) or None)
    _set(item, "def:CommentOID", ctx.use("comments", meta.comment))
    _description(item, label)
    if meta.codelist:
        _set(etree.SubElement(item, _ns(None, "CodeListRef")), "CodeListOID", ctx.use("codelists", meta.codelist))
    _origin(item, ctx, meta.origin)
    if value_list_oid:
        _set(etree.SubElement(item, _ns("def", "ValueListRef")), "ValueListOID", value_list_oid)


def _item_defs(mdv: etree._Element, ctx: _Context, ds: Dataset) -> None:
    content = ctx.contents.get(ds.name)
    for var in ds.variables:
        column = ctx.facts.column(ds.name, var.name)
        items = ctx.vlm.get((ds.name, var.name), [])
        xpt_length = content.length(var.name) if content is not None else None
        _item_def(mdv, ctx, f"IT.{ds.name}.{var.name}", var.name, var.label, var,
                  _item_length(var.data_type, var.length, xpt_length, column), column,
                  f"VL.{ds.name}.{var.name}" if items else None)
        for item in items:
            values = item.values if item.selection is not None else None
            _item_def(mdv, ctx, item.item_oid, var.name, item.vl.label, item.vl,
                      _item_length(item.vl.data_type, item.vl.length, None, values, item.selection), values,
                      selection=item.selection)


def _ct_standard(spec: Spec, cl: Codelist) -> str | None:
    """The CT def:Standard a codelist comes from (by the CT package of its NCI code)."""
    ctl = load_ct(DEFAULT_VERSION).get(cl.nci_code or "")
    if ctl is None:
        return None
    wanted = CT_PUBLISHING_SET.get(ctl.package)
    for s in spec.standards:
        if s.type == "CT" and s.publishing_set == wanted:
            return s.oid
    return None


def _external_version(cl: Codelist, config: StudyConfig) -> str:
    key = CONFIG_DICTIONARIES.get(cl.external.dictionary.upper().replace(" ", ""))
    if key is not None:
        return getattr(config.dictionaries, key)
    return expand_placeholders(cl.external.version, config, f"codelist {cl.oid}")


def _codelist(mdv: etree._Element, ctx: _Context, cl: Codelist) -> None:
    el = etree.SubElement(mdv, _ns(None, "CodeList"))
    _set(el, "OID", cl.oid)
    _set(el, "Name", cl.name)
    _set(el, "DataType", cl.data_type)
    if cl.sponsor:
        _set(el, "def:IsNonStandard", "Yes")
    elif cl.external is None:
        _set(el, "def:StandardOID", _ct_standard(ctx.spec, cl))
    _set(el, "def:CommentOID", ctx.use("comments", cl.comment))
    if cl.external is not None:
        ext = etree.SubElement(el, _ns(None, "ExternalCodeList"))
        _set(ext, "Dictionary", cl.external.dictionary)
        _set(ext, "Version", _external_version(cl, ctx.config))
        _set(ext, "ref", cl.external.ref)
        _set(ext, "href", cl.external.href)
        return
    used = ctx.used_terms.get(cl.oid)
    # limited to the terms the data uses; a codelist whose variables have no data keeps all its terms
    terms = [t for t in cl.terms if not used or t.value in used]
    ctl = load_ct(DEFAULT_VERSION).get(cl.nci_code or "")
    with_decode = any(t.decode for t in cl.terms)
    for term in terms:
        item = etree.SubElement(el, _ns(None, "CodeListItem" if with_decode else "EnumeratedItem"))
        _set(item, "CodedValue", term.value)
        _set(item, "Rank", None if term.rank is None else f"{term.rank:g}")
        if term.extended:
            _set(item, "def:ExtendedValue", "Yes")
        if with_decode:
            decode = etree.SubElement(item, _ns(None, "Decode"))
            tt = etree.SubElement(decode, _ns(None, "TranslatedText"))
            tt.set(XML_LANG, "en")
            tt.text = term.decode or term.value
        code = term.nci_code or (None if term.extended or ctl is None else ctl.terms.get(term.value))
        if code and not cl.sponsor:
            alias = etree.SubElement(item, _ns(None, "Alias"))
            _set(alias, "Context", "nci:ExtCodeID")
            _set(alias, "Name", code)
    if cl.nci_code and not cl.sponsor:
        alias = etree.SubElement(el, _ns(None, "Alias"))
        _set(alias, "Context", "nci:ExtCodeID")
        _set(alias, "Name", cl.nci_code)


def _method(mdv: etree._Element, ctx: _Context, oid: str) -> None:
    m = ctx.spec.method(oid)
    el = etree.SubElement(mdv, _ns(None, "MethodDef"))
    _set(el, "OID", m.oid)
    _set(el, "Name", m.name)
    _set(el, "Type", m.type)
    _description(el, expand_placeholders(m.description, ctx.config, f"method {m.oid}"))
    if m.expression:
        fe = etree.SubElement(el, _ns(None, "FormalExpression"))
        _set(fe, "Context", "Python")
        fe.text = m.expression
    for doc in m.documents:
        _set(etree.SubElement(el, _ns("def", "DocumentRef")), "leafID", doc)


def _comment(mdv: etree._Element, ctx: _Context, oid: str) -> None:
    c = next((c for c in ctx.spec.comments if c.oid == oid), None)
    if c is None:
        raise KeyError(f"{ctx.spec.package} spec has no comment {oid}")
    el = etree.SubElement(mdv, _ns("def", "CommentDef"))
    _set(el, "OID", c.oid)
    _description(el, expand_placeholders(c.text, ctx.config, f"comment {c.oid}"))
    for doc in c.documents:
        _set(etree.SubElement(el, _ns("def", "DocumentRef")), "leafID", doc)


def _document_leaves(mdv: etree._Element, spec: Spec) -> None:
    for d in spec.documents:
        leaf = etree.SubElement(mdv, _ns("def", "leaf"))
        _set(leaf, "ID", d.oid)
        _set(leaf, "xlink:href", d.href)
        etree.SubElement(leaf, _ns("def", "title")).text = d.title


def _check_inputs(spec: Spec, contents: Mapping[str, DatasetContent]) -> None:
    known = {d.name for d in spec.datasets}
    extra = sorted(set(contents) - known)
    if extra:
        raise DefineError("define.xml", ProblemReport([
            Problem(code="DEFINE-DATASET", file=f"{name.lower()}.xpt", value=name,
                    message=f"dataset written but not in the {spec.package} spec") for name in extra]))


def _package_label(spec: Spec) -> str:
    return "SDTM" if spec.package == "sdtm" else "ADaM"


def build_define(spec: Spec, config: StudyConfig, contents: Mapping[str, DatasetContent]) -> etree._Element:
    """The ODM root element of the define.xml for one package (see :func:`define_xml`)."""
    contents = {k.upper(): v for k, v in contents.items()}
    _check_inputs(spec, contents)
    facts = _Facts(contents)
    vlm = _vlm_items(spec, contents, facts)
    acrf = next((d for d in spec.documents if _is_acrf(d)), None)
    ctx = _Context(spec, config, contents, vlm, _used_terms(spec, contents, vlm, facts), acrf, facts)
    stamp = config.creation_datetime.replace(microsecond=0).isoformat()
    label = _package_label(spec)

    root = etree.Element(_ns(None, "ODM"), nsmap=NSMAP)
    for attr, value in (("FileType", "Snapshot"), ("FileOID", f"{config.studyid}.{label}.DEFINE"),
                        ("ODMVersion", "1.3.2"), ("CreationDateTime", stamp), ("AsOfDateTime", stamp),
                        ("Originator", config.sponsor), ("SourceSystem", "cdisc-msc"),
                        ("SourceSystemVersion", __version__), ("def:Context", "Submission")):
        _set(root, attr, value)
    study = etree.SubElement(root, _ns(None, "Study"))
    _set(study, "OID", f"STDY.{config.studyid}")
    gv = etree.SubElement(study, _ns(None, "GlobalVariables"))
    etree.SubElement(gv, _ns(None, "StudyName")).text = config.studyid
    etree.SubElement(gv, _ns(None, "StudyDescription")).text = config.title
    etree.SubElement(gv, _ns(None, "ProtocolName")).text = config.protocol
    mdv = etree.SubElement(study, _ns(None, "MetaDataVersion"))
    _set(mdv, "OID", f"MDV.{config.studyid}.{label}")
    _set(mdv, "Name", f"{config.studyid} {label} Data Definitions")
    _set(mdv, "Description", f"{label} data definitions of study {config.studyid} ({config.protocol})")
    _set(mdv, "def:DefineVersion", DEFINE_VERSION)

    datasets = _dataset_order(spec)
    _standards(mdv, spec)
    _documents(mdv, spec)
    for ds in datasets:
        for var in ds.variables:
            if (ds.name, var.name) in vlm:
                _value_list(mdv, ctx, ds, var, vlm[(ds.name, var.name)])
    emitted: set[str] = set()
    for ds in datasets:
        for var in ds.variables:
            for item in vlm.get((ds.name, var.name), []):
                if item.where_oid not in emitted:
                    emitted.add(item.where_oid)
                    _where_clause(mdv, item)
    for ds in datasets:
        _item_group(mdv, ctx, ds)
    for ds in datasets:
        _item_defs(mdv, ctx, ds)
    for oid in sorted(ctx.codelists):
        _codelist(mdv, ctx, ctx.spec.codelist(oid))
    for oid in sorted(ctx.methods):
        _method(mdv, ctx, oid)
    for oid in sorted(ctx.comments):  # comments of codelists/methods are known only now
        _comment(mdv, ctx, oid)
    _document_leaves(mdv, spec)
    return root


def serialize(root: etree._Element) -> bytes:
    """UTF-8 bytes with the XML declaration and the define stylesheet instruction, 2-space indent."""
    etree.indent(root, space="  ")
    body = etree.tostring(root, encoding="UTF-8", xml_declaration=False)
    head = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
            + f'<?xml-stylesheet type="text/xsl" href="{STYLESHEET}"?>\n'.encode())
    return head + body + b"\n"


def define_xml(spec: Spec, config: StudyConfig, contents: Mapping[str, DatasetContent]) -> bytes:
    """The define.xml bytes for one package from its spec, the configuration and the data written.

    ``contents`` maps dataset name -> :class:`DatasetContent` (frame + XPT
    metadata); a spec dataset without an entry, or with no rows, is
    ``def:HasNoData="Yes"``. Example::

        xml = define_xml(spec, config, contents_from_frames(spec, {"DM": dm}))
    """
    return serialize(build_define(spec, config, contents))


def write_define(path: str | Path, xml: bytes) -> Path:
    """Write define.xml bytes atomically (temp file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_bytes(xml)
    temp.replace(path)
    return path


__all__ = [
    "DEFINE_VERSION", "DatasetContent", "DefineError", "build_define", "contents_from_frames",
    "define_xml", "expand_placeholders", "serialize", "write_define",
]
