"""Render any Define-XML (2.1, and 2.0 where it differs) as one self-contained
HTML page, so a reviewer needs no XSLT (browsers are removing it).

The page has inline CSS, no external resources and no script: a study header,
a table of contents, standards, documents, the datasets table (with links to
the XPT files), a variables table per dataset, value-level metadata with its
where clauses, codelists (NCI codes, sponsor extensions marked), external
dictionaries, methods, comments and analysis results (ARM), all cross-linked.
Anchor ids are derived from OIDs (``cl-CL.SEX``; characters outside
``[A-Za-z0-9.]`` are written as ``_XX`` per UTF-8 byte, so the mapping is
one to one). A reference to an OID the file does not define is shown as text
marked "not defined", never as a dangling link.

The XML is untrusted: it is parsed without DTD loading, entity resolution or
network access; a malformed file raises ``DefineHTMLError``. Elements are
matched by local name, so the def: namespace version does not matter.

>>> html = render_define_html(Path("define.xml"))      # doctest: +SKIP
>>> write_define_html("define.xml", "define.html")      # doctest: +SKIP
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Iterable

from lxml import etree

__all__ = ["DefineHTMLError", "render_define_html", "write_define_html", "anchor_id"]


class DefineHTMLError(ValueError):
    """The input is not a readable Define-XML document."""


# --------------------------------------------------------------------------
# XML access by local name (namespace-version agnostic)
# --------------------------------------------------------------------------
Element = etree._Element


def _local(el: Element) -> str:
    return _local_name(el.tag)


def _local_name(tag: str) -> str:
    """``{namespace}name`` or ``name`` -> ``name`` (what ``etree.QName(tag).localname`` gives, without the object)."""
    return tag.rpartition("}")[2]


def _kids(el: Element | None, name: str) -> list[Element]:
    """Child elements with local name ``name``, in document order."""
    if el is None:
        return []
    return el.findall("{*}" + name)  # lxml: ``{*}`` is any namespace or none


def _kid(el: Element | None, name: str) -> Element | None:
    found = _kids(el, name)
    return found[0] if found else None


def _desc(el: Element | None, name: str) -> list[Element]:
    """Descendants with local name ``name``, in document order."""
    if el is None:
        return []
    return list(el.iter("{*}" + name))


def _attr(el: Element | None, name: str) -> str | None:
    """Attribute by local name: the plain attribute first, then any namespaced one."""
    if el is None:
        return None
    if name in el.attrib:
        return el.attrib[name]
    for key, value in el.attrib.items():
        if key.startswith("{") and key.split("}", 1)[1] == name:
            return value
    return None


def _plain(el: Element | None) -> str:
    if el is None:
        return ""
    return "".join(t for t in el.itertext() if isinstance(t, str))


def _translated(el: Element | None) -> str:
    """Text of a Description/Decode-like element: the English (or unlabelled, else first) TranslatedText."""
    if el is None:
        return ""
    texts = _kids(el, "TranslatedText")
    if not texts:
        return _plain(el).strip()
    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    for t in texts:
        if (t.get(lang) or "en").lower().startswith("en"):
            return _plain(t).strip()
    return _plain(texts[0]).strip()


def _description(el: Element | None) -> str:
    return _translated(_kid(el, "Description"))


def _order(refs: list[Element], attr: str = "OrderNumber") -> list[Element]:
    """Sort refs by a numeric attribute, keeping document order for ties and missing values."""
    def key(pair: tuple[int, Element]) -> tuple[float, int]:
        raw = _attr(pair[1], attr)
        try:
            return (float(raw), pair[0]) if raw is not None else (float("inf"), pair[0])
        except ValueError:
            return (float("inf"), pair[0])
    return [el for _, el in sorted(enumerate(refs), key=key)]


# --------------------------------------------------------------------------
# anchors, escaping, safe links
# --------------------------------------------------------------------------
_ID_SAFE = re.compile(r"[A-Za-z0-9.]")
_ID_SAFE_ALL = re.compile(r"[A-Za-z0-9.]*")


def _escape_oid(oid: str) -> str:
    """``IT.DM.AGE`` -> ``IT.DM.AGE``; ``COM.X(1)`` -> ``COM.X_281_29``: one to one, URL and id safe."""
    if _ID_SAFE_ALL.fullmatch(oid):  # most OIDs: nothing to escape
        return oid
    return "".join(ch if _ID_SAFE.fullmatch(ch) else "".join(f"_{b:02X}" for b in ch.encode("utf-8"))
                   for ch in oid)


def anchor_id(kind: str, *oids: str) -> str:
    """Anchor id for an object of ``kind`` (e.g. ``cl``) with OID(s): ``anchor_id('cl', 'CL.SEX') == 'cl-CL.SEX'``."""
    return "-".join([kind, *(_escape_oid(o) for o in oids)])


def _e(text: object) -> str:
    return escape("" if text is None else str(text), quote=True)


_SCHEME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.\-]*):")
_SAFE_SCHEMES = {"http", "https", "ftp", "file", "mailto"}


def _safe_href(href: str | None) -> str | None:
    """A relative or http(s)/ftp/file/mailto URL; anything else (javascript:, data:, C:\\...) is refused."""
    if not href or not href.strip():
        return None
    m = _SCHEME.match(href)
    if m and m.group(1).lower() not in _SAFE_SCHEMES:
        return None
    if any(ord(c) < 32 for c in href):
        return None
    return href.strip()


def _ext_link(href: str | None, text: str, cls: str = "") -> str:
    safe = _safe_href(href)
    klass = f' class="{cls}"' if cls else ""
    if safe is None:
        return f"<span{klass}>{_e(text)}</span>"
    return f'<a{klass} href="{_e(safe)}">{_e(text)}</a>'


def _yes(value: str | None) -> bool:
    return (value or "").strip().lower() == "yes"


def _lines(text: str) -> str:
    """Escaped text whose line breaks are kept by CSS (``white-space: pre-line``)."""
    return f'<span class="text">{_e(text)}</span>' if text else ""


# --------------------------------------------------------------------------
# the index of the document
# --------------------------------------------------------------------------
@dataclass
class _Index:
    odm: Element
    study: Element | None
    mdv: Element
    standards: dict[str, Element] = field(default_factory=dict)
    groups: dict[str, Element] = field(default_factory=dict)
    items: dict[str, Element] = field(default_factory=dict)
    codelists: dict[str, Element] = field(default_factory=dict)
    methods: dict[str, Element] = field(default_factory=dict)
    comments: dict[str, Element] = field(default_factory=dict)
    value_lists: dict[str, Element] = field(default_factory=dict)
    where_clauses: dict[str, Element] = field(default_factory=dict)
    leaves: dict[str, Element] = field(default_factory=dict)
    doc_leaves: dict[str, Element] = field(default_factory=dict)
    # item OID -> the datasets that list it; value list OID -> (dataset OID, item OID) parents
    item_groups: dict[str, list[str]] = field(default_factory=dict)
    vl_parents: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # back references: "cl"/"mt"/"com" OID -> [(dataset OID, item OID)]
    used_by: dict[tuple[str, str], list[tuple[str, str]]] = field(default_factory=dict)


def _first_by_oid(elements: Iterable[Element], key: str = "OID") -> dict[str, Element]:
    out: dict[str, Element] = {}
    for el in elements:
        oid = _attr(el, key)
        if oid is not None and oid not in out:
            out[oid] = el
    return out


def _build_index(root: Element) -> _Index:
    if _local(root) != "ODM":
        raise DefineHTMLError(f"not a Define-XML document: root element is <{_local(root)}>, expected <ODM>")
    study = _kid(root, "Study")
    mdv = _kid(study, "MetaDataVersion")
    if mdv is None:
        raise DefineHTMLError("not a Define-XML document: no Study/MetaDataVersion element")
    ix = _Index(odm=root, study=study, mdv=mdv)
    ix.standards = _first_by_oid(_desc(_kid(mdv, "Standards"), "Standard"))
    ix.groups = _first_by_oid(_kids(mdv, "ItemGroupDef"))
    ix.items = _first_by_oid(_kids(mdv, "ItemDef"))
    ix.codelists = _first_by_oid(_kids(mdv, "CodeList"))
    ix.methods = _first_by_oid(_kids(mdv, "MethodDef"))
    ix.comments = _first_by_oid(_kids(mdv, "CommentDef"))
    ix.value_lists = _first_by_oid(_kids(mdv, "ValueListDef"))
    ix.where_clauses = _first_by_oid(_kids(mdv, "WhereClauseDef"))
    ix.leaves = _first_by_oid(_desc(mdv, "leaf"), "ID")
    ix.doc_leaves = _first_by_oid(_kids(mdv, "leaf"), "ID")

    def use(kind: str, oid: str | None, where: tuple[str, str]) -> None:
        if oid:
            bucket = ix.used_by.setdefault((kind, oid), [])
            if where not in bucket:
                bucket.append(where)

    for g_oid, group in ix.groups.items():
        for ref in _kids(group, "ItemRef"):
            it_oid = _attr(ref, "ItemOID") or ""
            ix.item_groups.setdefault(it_oid, []).append(g_oid)
            item = ix.items.get(it_oid)
            use("mt", _attr(ref, "MethodOID"), (g_oid, it_oid))
            if item is None:
                continue
            use("com", _attr(item, "CommentOID"), (g_oid, it_oid))
            use("cl", _attr(_kid(item, "CodeListRef"), "CodeListOID"), (g_oid, it_oid))
            vl = _attr(_kid(item, "ValueListRef"), "ValueListOID")
            if vl:
                ix.vl_parents.setdefault(vl, []).append((g_oid, it_oid))
    for vl_oid, parents in ix.vl_parents.items():
        for ref in _kids(ix.value_lists.get(vl_oid), "ItemRef"):
            vitem = ix.items.get(_attr(ref, "ItemOID") or "")
            for parent in parents:
                use("mt", _attr(ref, "MethodOID"), parent)
                use("com", _attr(vitem, "CommentOID"), parent)
                use("cl", _attr(_kid(vitem, "CodeListRef"), "CodeListOID"), parent)
    return ix


def _parse(define_xml: bytes | str | Path) -> Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, remove_pis=True)
    try:
        if isinstance(define_xml, bytes):
            data, name = define_xml, "define.xml bytes"
        elif isinstance(define_xml, str) and define_xml.lstrip().startswith("<"):
            data, name = define_xml.encode("utf-8"), "define.xml text"
        else:
            path = Path(define_xml)
            name = str(path)
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise DefineHTMLError(f"{path}: cannot read ({exc.strerror or exc})") from exc
        if not data.strip():
            raise DefineHTMLError(f"{name}: empty file")
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line = f" at line {exc.lineno}" if getattr(exc, "lineno", None) else ""
        raise DefineHTMLError(f"{name}: not well-formed XML{line}: {exc.msg}") from exc


# --------------------------------------------------------------------------
# rendering
# --------------------------------------------------------------------------
def _css() -> str:
    return _CSS


class _Renderer:
    def __init__(self, ix: _Index) -> None:
        self.ix = ix
        self.ids: set[str] = set()

    # -- ids and internal links ---------------------------------------------
    def id_attr(self, anchor: str) -> str:
        """``id="..."`` once per anchor; a duplicate OID in a malformed file gets no second id."""
        if anchor in self.ids:
            return ""
        self.ids.add(anchor)
        return f' id="{_e(anchor)}"'

    @staticmethod
    def link(anchor: str, text: str, cls: str = "") -> str:
        klass = f' class="{cls}"' if cls else ""
        return f'<a{klass} href="#{_e(anchor)}">{_e(text)}</a>'

    @staticmethod
    def missing(oid: str, what: str) -> str:
        return f'<span class="missing" title="{_e(what)} not defined in this file">{_e(oid)} (not defined)</span>'

    def group_name(self, g_oid: str) -> str:
        g = self.ix.groups.get(g_oid)
        return (_attr(g, "Name") or g_oid) if g is not None else g_oid

    def item_name(self, it_oid: str) -> str:
        it = self.ix.items.get(it_oid)
        return (_attr(it, "Name") or it_oid) if it is not None else it_oid

    def var_link(self, g_oid: str, it_oid: str, text: str | None = None) -> str:
        text = text or f"{self.group_name(g_oid)}.{self.item_name(it_oid)}"
        if g_oid in self.ix.groups and it_oid in self.ix.items:
            return self.link(anchor_id("var", g_oid, it_oid), text)
        return _e(text)

    def std_link(self, oid: str | None) -> str:
        if not oid:
            return ""
        std = self.ix.standards.get(oid)
        if std is None:
            return self.missing(oid, "standard")
        label = " ".join(x for x in (_attr(std, "Name"), _attr(std, "PublishingSet"), _attr(std, "Version")) if x)
        return self.link(anchor_id("std", oid), label or oid)

    def codelist_link(self, oid: str | None) -> str:
        if not oid:
            return ""
        cl = self.ix.codelists.get(oid)
        if cl is None:
            return self.missing(oid, "codelist")
        return self.link(anchor_id("cl", oid), _attr(cl, "Name") or oid)

    def method_link(self, oid: str | None) -> str:
        if not oid:
            return ""
        mt = self.ix.methods.get(oid)
        if mt is None:
            return self.missing(oid, "method")
        return "Method: " + self.link(anchor_id("mt", oid), _attr(mt, "Name") or oid)

    def comment_link(self, oid: str | None) -> str:
        """``Comment: <text> [OID]`` with the OID linking to the comments section."""
        if not oid:
            return ""
        return "Comment: " + self.comment_inline(oid)

    def comment_inline(self, oid: str | None) -> str:
        """A comment's text with a link to it (used for datasets, codelists, standards)."""
        if not oid:
            return ""
        com = self.ix.comments.get(oid)
        if com is None:
            return self.missing(oid, "comment")
        return f'{_lines(_description(com))} {self.link(anchor_id("com", oid), "[" + oid + "]", "ref")}{self.docrefs(com)}'

    def dataset_leaf(self, g: Element) -> Element | None:
        leaf = _kid(g, "leaf")
        return leaf if leaf is not None else self.ix.leaves.get(_attr(g, "ArchiveLocationID") or "")

    # -- documents ------------------------------------------------------------
    def docref(self, ref: Element) -> str:
        leaf_id = _attr(ref, "leafID") or ""
        leaf = self.ix.leaves.get(leaf_id)
        if leaf is None:
            return self.missing(leaf_id, "document")
        href = _attr(leaf, "href")
        title = _plain(_kid(leaf, "title")).strip() or href or leaf_id
        parts = [_ext_link(href, title, "doc")]
        if leaf_id in self.ix.doc_leaves:
            parts.append(self.link(anchor_id("doc", leaf_id), "[" + leaf_id + "]", "ref"))
        for page in _kids(ref, "PDFPageRef"):
            parts.append(self.pages(href, page))
        return " ".join(p for p in parts if p)

    def pages(self, href: str | None, page: Element) -> str:
        kind = _attr(page, "Type") or "PhysicalRef"
        title = _attr(page, "Title")
        out: list[str] = []
        refs = (_attr(page, "PageRefs") or "").split()
        first, last = _attr(page, "FirstPage"), _attr(page, "LastPage")
        if kind == "NamedDestination":
            out += [_ext_link(f"{href}#{r}" if href else None, r) for r in refs]
        else:
            out += [_ext_link(f"{href}#page={r}" if href else None, r) for r in refs]
            if first:
                out.append(_ext_link(f"{href}#page={first}" if href else None, first)
                           + (f"&ndash;{_e(last)}" if last else ""))
        label = "page" if kind != "NamedDestination" else "destination"
        text = f"{label}{'s' if len(out) > 1 else ''} " + ", ".join(out) if out else ""
        if title:
            text += f' <span class="muted">({_e(title)})</span>'
        return f'<span class="pages">{text}</span>' if text else ""

    def docrefs(self, el: Element | None) -> str:
        refs = _kids(el, "DocumentRef")
        if not refs:
            return ""
        return '<div class="docs">' + "<br>".join(self.docref(r) for r in refs) + "</div>"

    # -- pieces of the variable tables -----------------------------------------
    def origin(self, item: Element | None) -> str:
        parts = []
        for org in _kids(item, "Origin"):
            kind = _attr(org, "Type") or ""
            src = _attr(org, "Source")
            head = _e(kind) + (f' <span class="muted">({_e(src)})</span>' if src else "")
            desc = _description(org)
            text = f"<br>{_lines(desc)}" if desc else ""
            parts.append(f'<div class="origin">{head}{text}{self.docrefs(org)}</div>')
        return "".join(parts)

    def controlled_terms(self, item: Element | None) -> str:
        oid = _attr(_kid(item, "CodeListRef"), "CodeListOID")
        if not oid:
            return ""
        out = self.codelist_link(oid)
        cl = self.ix.codelists.get(oid)
        ext = _kid(cl, "ExternalCodeList")
        if ext is not None:
            out += f'<br><span class="muted">{_e(_attr(ext, "Dictionary"))} {_e(_attr(ext, "Version"))}</span>'
            return out
        values = [_attr(t, "CodedValue") or "" for t in _kids(cl, "CodeListItem") + _kids(cl, "EnumeratedItem")]
        if 0 < len(values) <= 6:
            out += '<br><span class="terms">' + ", ".join(f"&quot;{_e(v)}&quot;" for v in values) + "</span>"
        return out

    def where_text(self, wc_oid: str, parent_group: str | None) -> str:
        wc = self.ix.where_clauses.get(wc_oid)
        if wc is None:
            return self.missing(wc_oid, "where clause")
        conds = []
        for rc in _kids(wc, "RangeCheck"):
            it_oid = _attr(rc, "ItemOID") or ""
            groups = self.ix.item_groups.get(it_oid, [])
            g = parent_group if parent_group in groups else (groups[0] if groups else None)
            name = self.item_name(it_oid)
            var = self.var_link(g, it_oid, name) if g else _e(name)
            comp = _attr(rc, "Comparator") or "EQ"
            values = [_plain(v) for v in _kids(rc, "CheckValue")]
            shown = ", ".join(f"&quot;{_e(v)}&quot;" for v in values)
            if comp in ("IN", "NOTIN") or len(values) > 1:
                shown = f"({shown})"
            conds.append(f'{var} <span class="op">{_e(comp)}</span> {shown}')
        text = " <b>and</b> ".join(conds) or "(no condition)"
        com = _attr(wc, "CommentOID")
        return f'<span{self.id_attr(anchor_id("wc", wc_oid))}>{text}</span>' + (f"<br>{self.comment_link(com)}" if com else "")

    # -- sections ---------------------------------------------------------------
    def header(self) -> str:
        gv = _kid(self.ix.study, "GlobalVariables")
        study = _plain(_kid(gv, "StudyName")).strip()
        rows = [
            ("Study", study),
            ("Description", _plain(_kid(gv, "StudyDescription")).strip()),
            ("Protocol", _plain(_kid(gv, "ProtocolName")).strip()),
            ("Metadata version", _attr(self.ix.mdv, "Name") or ""),
            ("Metadata description", _attr(self.ix.mdv, "Description") or ""),
            ("Define-XML version", _attr(self.ix.mdv, "DefineVersion") or ""),
            ("Context", _attr(self.ix.odm, "Context") or ""),
            ("File OID", _attr(self.ix.odm, "FileOID") or ""),
            ("Created", _attr(self.ix.odm, "CreationDateTime") or ""),
            ("Originator", _attr(self.ix.odm, "Originator") or ""),
            ("Source system", " ".join(x for x in (_attr(self.ix.odm, "SourceSystem"),
                                                    _attr(self.ix.odm, "SourceSystemVersion")) if x)),
        ]
        body = "".join(f"<tr><th>{_e(k)}</th><td>{_lines(v)}</td></tr>" for k, v in rows if v)
        com = _attr(self.ix.mdv, "CommentOID")
        if com:
            body += f"<tr><th>Comment</th><td>{self.comment_inline(com)}</td></tr>"
        return (f'<header{self.id_attr("study")}><h1>{_e(study or "Define-XML")} '
                f'<span class="muted">data definitions</span></h1>'
                f'<table class="meta">{body}</table></header>')

    def toc(self, sections: list[tuple[str, str, str]]) -> str:
        items = []
        for anchor, title, sub in sections:
            items.append(f"<li>{self.link(anchor, title)}{sub}</li>")
        return f'<nav class="toc" aria-label="Contents"><h2>Contents</h2><ol>{"".join(items)}</ol></nav>'

    def dataset_toc(self) -> str:
        lis = "".join(f"<li>{self.link(anchor_id('ds', g), self.group_name(g))} "
                      f'<span class="muted">{_e(_description(el))}</span></li>'
                      for g, el in self.ix.groups.items())
        return f"<ol>{lis}</ol>" if lis else ""

    def standards(self) -> str:
        rows = []
        for oid, std in self.ix.standards.items():
            rows.append(
                f'<tr{self.id_attr(anchor_id("std", oid))}><td>{_e(_attr(std, "Name"))}</td>'
                f'<td>{_e(_attr(std, "Type"))}</td><td>{_e(_attr(std, "PublishingSet"))}</td>'
                f'<td>{_e(_attr(std, "Version"))}</td><td>{_e(_attr(std, "Status"))}</td>'
                f'<td class="oid">{_e(oid)}</td><td>{self.comment_inline(_attr(std, "CommentOID"))}</td></tr>')
        if not rows:
            legacy = [(_attr(self.ix.mdv, "StandardName"), _attr(self.ix.mdv, "StandardVersion"))]
            rows = [f"<tr><td>{_e(n)}</td><td>IG</td><td></td><td>{_e(v)}</td><td></td><td></td><td></td></tr>"
                    for n, v in legacy if n]
        return self.section("standards", "Standards",
                            self.table(["Name", "Type", "Publishing set", "Version", "Status", "OID", "Comment"], rows))

    def documents(self) -> str:
        roles: dict[str, list[str]] = {}
        for holder in ("AnnotatedCRF", "SupplementalDoc"):
            for ref in _desc(_kid(self.ix.mdv, holder), "DocumentRef"):
                roles.setdefault(_attr(ref, "leafID") or "", []).append(
                    "Annotated CRF" if holder == "AnnotatedCRF" else "Supplemental document")
        rows = []
        for leaf_id, leaf in self.ix.doc_leaves.items():
            href = _attr(leaf, "href")
            title = _plain(_kid(leaf, "title")).strip() or href or leaf_id
            rows.append(f'<tr{self.id_attr(anchor_id("doc", leaf_id))}><td>{_ext_link(href, title, "doc")}</td>'
                        f'<td class="oid">{_e(leaf_id)}</td><td>{_e(href)}</td>'
                        f'<td>{_e(", ".join(roles.get(leaf_id, [])))}</td></tr>')
        return self.section("documents", "Documents", self.table(["Title", "ID", "File", "Role"], rows))

    def datasets(self) -> str:
        rows = []
        for g_oid, g in self.ix.groups.items():
            cls = _kid(g, "Class")
            cls_name = _attr(cls, "Name") if cls is not None else _attr(g, "Class")
            subs = [_attr(s, "Name") or "" for s in _desc(cls, "SubClass")]
            cls_text = _e(cls_name) + "".join(f'<br><span class="muted">{_e(s)}</span>' for s in subs)
            keys = [self.item_name(_attr(r, "ItemOID") or "") for r in _order(
                [r for r in _kids(g, "ItemRef") if _attr(r, "KeySequence")], "KeySequence")]
            leaf = self.dataset_leaf(g)
            loc = ""
            if leaf is not None:
                href = _attr(leaf, "href")
                loc = _ext_link(href, _plain(_kid(leaf, "title")).strip() or href or "", "xpt")
            flags = []
            if _yes(_attr(g, "Repeating")):
                flags.append("Repeating")
            if _yes(_attr(g, "IsReferenceData")):
                flags.append("Reference data")
            if _yes(_attr(g, "IsNonStandard")):
                flags.append("Non-standard")
            if _yes(_attr(g, "HasNoData")):
                flags.append('<span class="flag">No data</span>')
            rows.append(
                f'<tr><td>{self.link(anchor_id("ds", g_oid), _attr(g, "Name") or g_oid)}</td>'
                f"<td>{_e(_description(g))}</td><td>{cls_text}</td><td>{_e(_attr(g, 'Structure'))}</td>"
                f"<td>{_e(_attr(g, 'Purpose'))}</td><td>{_e(', '.join(keys))}</td>"
                f"<td>{self.std_link(_attr(g, 'StandardOID'))}</td><td>{'<br>'.join(flags)}</td>"
                f"<td>{self.comment_inline(_attr(g, 'CommentOID'))}</td><td>{loc}</td></tr>")
        return self.section("datasets", "Datasets", self.table(
            ["Dataset", "Description", "Class", "Structure", "Purpose", "Keys", "Standard", "Flags (Yes)",
             "Comment", "Location"], rows))

    def dataset(self, g_oid: str, g: Element) -> str:
        rows = []
        for pos, ref in enumerate(_order(_kids(g, "ItemRef")), start=1):
            it_oid = _attr(ref, "ItemOID") or ""
            item = self.ix.items.get(it_oid)
            vl = _attr(_kid(item, "ValueListRef"), "ValueListOID")
            if item is None:
                name_cell = self.missing(it_oid, "variable")
            else:
                name_cell = f"<b>{_e(_attr(item, 'Name'))}</b>"
            method_comment = "<br>".join(x for x in (
                self.method_link(_attr(ref, "MethodOID")), self.comment_link(_attr(item, "CommentOID"))) if x)
            flags = []
            if _yes(_attr(ref, "IsNonStandard")):
                flags.append("Non-standard")
            if _yes(_attr(ref, "HasNoData")):
                flags.append('<span class="flag">No data</span>')
            role = _e(_attr(ref, "Role"))
            rcl = _attr(ref, "RoleCodeListOID")
            if rcl:
                role += " " + self.codelist_link(rcl)
            vl_cell = ""
            if vl:
                vl_cell = (self.link(anchor_id("vl", vl), "Value level") if vl in self.ix.value_lists
                           else self.missing(vl, "value list"))
            rows.append(
                f'<tr{self.id_attr(anchor_id("var", g_oid, it_oid))}>'
                f'<td class="num">{_e(_attr(ref, "OrderNumber") or pos)}</td><td>{name_cell}'
                f'{"<br>" + " ".join(flags) if flags else ""}</td>'
                f"<td>{_e(_description(item))}</td><td class=\"num\">{_e(_attr(ref, 'KeySequence'))}</td>"
                f"<td>{_e(_attr(item, 'DataType'))}</td><td class=\"num\">{_e(_attr(item, 'Length'))}</td>"
                f"<td class=\"num\">{_e(_attr(item, 'SignificantDigits'))}</td>"
                f"<td>{_e(_attr(item, 'DisplayFormat'))}</td><td>{_e(_attr(ref, 'Mandatory'))}</td>"
                f"<td>{self.controlled_terms(item)}</td><td>{role}</td><td>{self.origin(item)}</td>"
                f"<td>{method_comment}</td><td>{vl_cell}</td></tr>")
        leaf = self.dataset_leaf(g)
        loc = ""
        if leaf is not None:
            href = _attr(leaf, "href")
            loc = " &middot; " + _ext_link(href, _plain(_kid(leaf, "title")).strip() or href or "", "xpt")
        title = f'{_e(_attr(g, "Name") or g_oid)} <span class="muted">{_e(_description(g))}</span>{loc}'
        table = self.table(["#", "Variable", "Label", "Key", "Type", "Length", "Sig. digits", "Format",
                            "Mandatory", "Controlled terms", "Role", "Origin / source", "Method / comment",
                            "Value level"], rows, cls="vars")
        back = f'<p class="back">{self.link("datasets", "Back to datasets")}</p>'
        return (f'<section class="dataset"{self.id_attr(anchor_id("ds", g_oid))}>'
                f"<h3>{title}</h3>{table}{back}</section>")

    def value_lists(self) -> str:
        parts = []
        for vl_oid, vl in self.ix.value_lists.items():
            parents = self.ix.vl_parents.get(vl_oid, [])
            parent_group = parents[0][0] if parents else None
            title = ", ".join(self.var_link(g, i) for g, i in parents) or _e(vl_oid)
            rows = []
            for ref in _order(_kids(vl, "ItemRef")):
                it_oid = _attr(ref, "ItemOID") or ""
                item = self.ix.items.get(it_oid)
                wheres = [_attr(w, "WhereClauseOID") or "" for w in _kids(ref, "WhereClauseRef")]
                where = " <b>or</b> ".join(self.where_text(w, parent_group) for w in wheres) or "(always)"
                method_comment = "<br>".join(x for x in (
                    self.method_link(_attr(ref, "MethodOID")), self.comment_link(_attr(item, "CommentOID"))) if x)
                name = _e(_attr(item, "Name")) if item is not None else self.missing(it_oid, "item")
                rows.append(
                    f"<tr><td>{where}</td><td>{name}</td><td>{_e(_description(item))}</td>"
                    f"<td>{_e(_attr(item, 'DataType'))}</td><td class=\"num\">{_e(_attr(item, 'Length'))}</td>"
                    f"<td class=\"num\">{_e(_attr(item, 'SignificantDigits'))}</td>"
                    f"<td>{_e(_attr(item, 'DisplayFormat'))}</td><td>{_e(_attr(ref, 'Mandatory'))}</td>"
                    f"<td>{self.controlled_terms(item)}</td><td>{self.origin(item)}</td>"
                    f"<td>{method_comment}</td></tr>")
            table = self.table(["Where", "Variable", "Label", "Type", "Length", "Sig. digits", "Format",
                                "Mandatory", "Controlled terms", "Origin / source", "Method / comment"], rows)
            parts.append(f'<section class="vlm"{self.id_attr(anchor_id("vl", vl_oid))}>'
                         f'<h3>{title} <span class="oid">{_e(vl_oid)}</span></h3>{table}</section>')
        return self.section("valuelevel", "Value-level metadata", "".join(parts) or '<p class="muted">None.</p>')

    def used_by(self, kind: str, oid: str) -> str:
        refs = self.ix.used_by.get((kind, oid), [])
        if not refs:
            return ""
        links = ", ".join(self.var_link(g, i) for g, i in refs)
        return f'<p class="usedby">Used by: {links}</p>'

    def codelist(self, oid: str, cl: Element) -> str:
        nci = [_attr(a, "Name") for a in _kids(cl, "Alias") if (_attr(a, "Context") or "") == "nci:ExtCodeID"]
        meta = [f'<span class="oid">{_e(oid)}</span>', f"Data type: {_e(_attr(cl, 'DataType'))}"]
        if nci:
            meta.append(f"NCI code: <b>{_e(', '.join(n or '' for n in nci))}</b>")
        if _attr(cl, "StandardOID"):
            meta.append("Standard: " + self.std_link(_attr(cl, "StandardOID")))
        if _attr(cl, "SASFormatName"):
            meta.append(f"SAS format: {_e(_attr(cl, 'SASFormatName'))}")
        if _yes(_attr(cl, "IsNonStandard")):
            meta.append('<span class="flag">Sponsor-defined</span>')
        body = ""
        ext = _kid(cl, "ExternalCodeList")
        if ext is not None:
            body += self.table(["Dictionary", "Version", "Reference", "Link"], [
                f"<tr><td>{_e(_attr(ext, 'Dictionary'))}</td><td>{_e(_attr(ext, 'Version'))}</td>"
                f"<td>{_e(_attr(ext, 'ref'))}</td><td>{_ext_link(_attr(ext, 'href'), _attr(ext, 'href') or '')}</td></tr>"])
        items = _kids(cl, "CodeListItem") + _kids(cl, "EnumeratedItem")
        if items:
            rows = []
            for pos, term in enumerate(_order(items), start=1):
                codes = [_attr(a, "Name") or "" for a in _kids(term, "Alias")
                         if (_attr(a, "Context") or "") == "nci:ExtCodeID"]
                extended = _yes(_attr(term, "ExtendedValue"))
                mark = '<span class="flag" title="sponsor term added to an extensible codelist">extended</span>'
                klass = ' class="extended"' if extended else ""
                rows.append(
                    f'<tr{klass}><td class="num">{_e(_attr(term, "OrderNumber") or pos)}</td>'
                    f"<td><code>{_e(_attr(term, 'CodedValue'))}</code></td><td>{_e(_translated(_kid(term, 'Decode')))}</td>"
                    f"<td>{_e(', '.join(codes))}</td><td class=\"num\">{_e(_attr(term, 'Rank'))}</td>"
                    f"<td>{mark if extended else ''}</td></tr>")
            body += self.table(["Order", "Coded value", "Decode", "NCI term code", "Rank", "Extended"], rows)
        com = _attr(cl, "CommentOID")
        comment = f'<p>{self.comment_inline(com)}</p>' if com else ""
        return (f'<section class="codelist"{self.id_attr(anchor_id("cl", oid))}>'
                f'<h3>{_e(_attr(cl, "Name") or oid)}</h3><p class="clmeta">{" &middot; ".join(meta)}</p>'
                f"{comment}{body}{self.used_by('cl', oid)}</section>")

    def codelists(self) -> tuple[str, str]:
        internal, external = [], []
        for oid, cl in self.ix.codelists.items():
            (external if _kid(cl, "ExternalCodeList") is not None else internal).append(self.codelist(oid, cl))
        none = '<p class="muted">None.</p>'
        return (self.section("codelists", "Codelists", "".join(internal) or none),
                self.section("dictionaries", "External dictionaries", "".join(external) or none))

    def methods(self) -> str:
        rows = []
        for oid, mt in self.ix.methods.items():
            exprs = "".join(
                f'<div class="expr"><span class="muted">{_e(_attr(fx, "Context"))}</span>'
                f"<pre>{_e(_plain(fx).strip())}</pre></div>" for fx in _kids(mt, "FormalExpression"))
            rows.append(
                f'<tr{self.id_attr(anchor_id("mt", oid))}><td><b>{_e(_attr(mt, "Name"))}</b>'
                f'<br><span class="oid">{_e(oid)}</span></td><td>{_e(_attr(mt, "Type"))}</td>'
                f"<td>{_lines(_description(mt))}{exprs}{self.docrefs(mt)}{self.used_by('mt', oid)}</td></tr>")
        return self.section("methods", "Methods", self.table(["Method", "Type", "Description"], rows))

    def comments(self) -> str:
        rows = []
        for oid, com in self.ix.comments.items():
            rows.append(f'<tr{self.id_attr(anchor_id("com", oid))}><td class="oid">{_e(oid)}</td>'
                        f"<td>{_lines(_description(com))}{self.docrefs(com)}{self.used_by('com', oid)}</td></tr>")
        return self.section("comments", "Comments", self.table(["ID", "Description"], rows))

    def analysis_results(self) -> str:
        displays = _desc(self.ix.mdv, "ResultDisplay")
        if not displays:
            return ""
        parts = []
        for rd in displays:
            rd_oid = _attr(rd, "OID") or ""
            results = []
            for ar in _kids(rd, "AnalysisResult"):
                ar_oid = _attr(ar, "OID") or ""
                rows = []
                param = _attr(ar, "ParameterOID")
                if param:
                    groups = self.ix.item_groups.get(param, [])
                    rows.append(("Parameter", self.var_link(groups[0], param) if groups else _e(param)))
                for key, label in (("AnalysisReason", "Reason"), ("AnalysisPurpose", "Purpose")):
                    if _attr(ar, key):
                        rows.append((label, _e(_attr(ar, key))))
                for ads in _desc(ar, "AnalysisDataset"):
                    g = _attr(ads, "ItemGroupOID") or ""
                    ds = self.link(anchor_id("ds", g), self.group_name(g)) if g in self.ix.groups else self.missing(g, "dataset")
                    where = " <b>or</b> ".join(self.where_text(_attr(w, "WhereClauseOID") or "", g)
                                               for w in _kids(ads, "WhereClauseRef"))
                    variables = ", ".join(self.var_link(g, _attr(v, "ItemOID") or "", self.item_name(_attr(v, "ItemOID") or ""))
                                          for v in _kids(ads, "AnalysisVariable"))
                    rows.append(("Dataset", f"{ds}{(' where ' + where) if where else ''}"
                                            f"{('<br>Variables: ' + variables) if variables else ''}"))
                ads_holder = _kid(ar, "AnalysisDatasets")
                if _attr(ads_holder, "CommentOID"):
                    rows.append(("Datasets comment", self.comment_inline(_attr(ads_holder, "CommentOID"))))
                doc = _kid(ar, "Documentation")
                if doc is not None:
                    rows.append(("Documentation", _lines(_description(doc)) + self.docrefs(doc)))
                code = _kid(ar, "ProgrammingCode")
                if code is not None:
                    snippet = _plain(_kid(code, "Code")).strip("\n")
                    rows.append(("Programming code", f'<span class="muted">{_e(_attr(code, "Context"))}</span>'
                                 + (f"<pre>{_e(snippet)}</pre>" if snippet else "") + self.docrefs(code)))
                body = "".join(f"<tr><th>{_e(k)}</th><td>{v}</td></tr>" for k, v in rows)
                results.append(f'<div class="result"{self.id_attr(anchor_id("ar", ar_oid))}>'
                               f"<h4>{_e(_description(ar) or ar_oid)}</h4><table class=\"meta\">{body}</table></div>")
            parts.append(f'<section class="display"{self.id_attr(anchor_id("rd", rd_oid))}>'
                         f'<h3>{_e(_attr(rd, "Name") or rd_oid)}</h3><p>{_lines(_description(rd))}</p>'
                         f"{self.docrefs(rd)}{''.join(results)}</section>")
        return self.section("results", "Analysis results", "".join(parts))

    # -- generic -----------------------------------------------------------------
    def section(self, anchor: str, title: str, body: str) -> str:
        return f'<section class="part"{self.id_attr(anchor)}><h2>{_e(title)}</h2>{body}</section>'

    @staticmethod
    def table(headers: list[str], rows: list[str], cls: str = "") -> str:
        if not rows:
            return '<p class="muted">None.</p>'
        head = "".join(f'<th scope="col">{_e(h)}</th>' for h in headers)
        klass = f' class="{cls}"' if cls else ""
        return f"<table{klass}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"

    def page(self) -> str:
        header = self.header()
        standards = self.standards()
        documents = self.documents()
        datasets = self.datasets()
        per_dataset = "".join(self.dataset(g, el) for g, el in self.ix.groups.items())
        variables = self.section("variables", "Variables", per_dataset or '<p class="muted">None.</p>')
        vlm = self.value_lists()
        codelists, dictionaries = self.codelists()
        methods = self.methods()
        comments = self.comments()
        results = self.analysis_results()
        toc_entries = [("study", "Study", ""), ("standards", "Standards", ""), ("documents", "Documents", ""),
                       ("datasets", "Datasets", ""), ("variables", "Variables", self.dataset_toc()),
                       ("valuelevel", "Value-level metadata", ""), ("codelists", "Codelists", ""),
                       ("dictionaries", "External dictionaries", ""), ("methods", "Methods", ""),
                       ("comments", "Comments", "")]
        if results:
            toc_entries.append(("results", "Analysis results", ""))
        gv = _kid(self.ix.study, "GlobalVariables")
        title = _plain(_kid(gv, "StudyName")).strip() or "Define-XML"
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<meta name=\"generator\" content=\"cdisc_msc.define.html\">"
            f"<title>{_e(title)} &ndash; Define-XML</title><style>{_css()}</style></head>\n"
            f'<body><div class="layout">{self.toc(toc_entries)}<main>\n{header}\n{standards}\n{documents}\n'
            f"{datasets}\n{variables}\n{vlm}\n{codelists}\n{dictionaries}\n{methods}\n{comments}\n{results}\n"
            "</main></div></body></html>\n")


def render_define_html(define_xml: bytes | str | Path) -> str:
    """Render a Define-XML document (bytes, XML text, or a path) as one self-contained HTML page.

    >>> page = render_define_html(b'<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"><Study OID="S">'
    ...     b'<GlobalVariables><StudyName>X</StudyName></GlobalVariables>'
    ...     b'<MetaDataVersion OID="M" Name="M"/></Study></ODM>')
    >>> page.startswith("<!DOCTYPE html>")
    True
    """
    root = _parse(define_xml)
    return _Renderer(_build_index(root)).page()


def write_define_html(define_xml: bytes | str | Path, path: str | Path) -> Path:
    """Render ``define_xml`` and write it (UTF-8) to ``path``; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_define_html(define_xml), encoding="utf-8")
    return path


# The page style: screen (sidebar contents, sticky table headers) and print (one column, landscape).
_CSS = """
:root { --ink: #1d2330; --muted: #5b6474; --line: #c9d0db; --band: #f3f5f9; --accent: #1f5fa8;
        --flag: #8a4b00; --flagbg: #fff1dc; --hit: #fff6bf; }
* { box-sizing: border-box; }
html { font-size: 14px; }
body { margin: 0; color: var(--ink); background: #fff;
       font-family: "Segoe UI", "Helvetica Neue", Arial, "Liberation Sans", sans-serif; line-height: 1.4; }
.layout { display: grid; grid-template-columns: 17rem minmax(0, 1fr); }
nav.toc { position: sticky; top: 0; height: 100vh; overflow-y: auto; padding: 1rem 0.9rem;
          background: var(--band); border-right: 1px solid var(--line); font-size: 0.92rem; }
nav.toc h2 { margin: 0 0 0.5rem; font-size: 1.05rem; border: 0; }
nav.toc ol { margin: 0; padding-left: 1.2rem; }
nav.toc ol ol { padding-left: 0.9rem; list-style: none; font-size: 0.88rem; }
nav.toc ol ol .muted { display: none; }
main { padding: 1rem 1.6rem 3rem; min-width: 0; }
h1 { font-size: 1.6rem; margin: 0.2rem 0 0.8rem; }
h2 { font-size: 1.3rem; margin: 2rem 0 0.6rem; padding-bottom: 0.2rem; border-bottom: 2px solid var(--accent); }
h3 { font-size: 1.1rem; margin: 1.4rem 0 0.4rem; }
h4 { font-size: 1rem; margin: 0.9rem 0 0.3rem; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
a.ref { font-size: 0.8em; color: var(--muted); }
a.xpt { font-family: Consolas, "DejaVu Sans Mono", monospace; font-size: 0.9em; }
.muted { color: var(--muted); font-weight: normal; }
.oid { font-family: Consolas, "DejaVu Sans Mono", monospace; font-size: 0.85em; color: var(--muted); }
.text { white-space: pre-line; }
code, pre { font-family: Consolas, "DejaVu Sans Mono", monospace; font-size: 0.9em; }
pre { white-space: pre-wrap; background: var(--band); padding: 0.4rem 0.5rem; margin: 0.3rem 0;
      border-left: 3px solid var(--line); }
table { border-collapse: collapse; width: 100%; margin: 0.3rem 0 0.8rem; }
th, td { border: 1px solid var(--line); padding: 0.25rem 0.4rem; vertical-align: top; text-align: left; }
thead th { background: #e3e8f1; position: sticky; top: 0; z-index: 1; }
tbody tr:nth-child(even) { background: #fafbfd; }
td.num { text-align: right; white-space: nowrap; }
table.meta { width: auto; }
table.meta th { background: var(--band); white-space: nowrap; }
table.vars td:nth-child(2) { white-space: nowrap; }
.flag { display: inline-block; padding: 0 0.3rem; border-radius: 3px; font-size: 0.8em;
        color: var(--flag); background: var(--flagbg); border: 1px solid #e7c38f; }
tr.extended td { background: var(--flagbg); }
.missing { color: #a01818; font-style: italic; }
.terms { font-size: 0.85em; color: var(--muted); }
.op { font-family: Consolas, "DejaVu Sans Mono", monospace; font-size: 0.85em; font-weight: bold; }
.docs, .pages { font-size: 0.9em; }
.usedby { font-size: 0.85em; color: var(--muted); margin: 0.2rem 0; }
.clmeta { margin: 0.1rem 0 0.3rem; font-size: 0.92em; }
.back { font-size: 0.85em; margin: 0; }
:target > h3, tr:target td, div:target > h4 { background: var(--hit) !important; }
section.dataset, section.codelist, section.vlm, section.display { scroll-margin-top: 0.5rem; }
@media (max-width: 900px) {
  .layout { display: block; }
  nav.toc { position: static; height: auto; border-right: 0; border-bottom: 1px solid var(--line); }
}
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  html { font-size: 10pt; }
  .layout { display: block; }
  nav.toc { position: static; height: auto; background: none; border: 0; break-after: page; }
  nav.toc ol ol .muted { display: inline; }
  main { padding: 0; }
  thead th { position: static; }
  thead { display: table-header-group; }
  tr, .origin, pre { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  section.dataset { break-before: page; }
  .back { display: none; }
  a { color: inherit; }
  :target > h3, tr:target td, div:target > h4 { background: none !important; }
}
"""
