"""Dataset metadata the validator checks data against, read from a define.xml (anyone's,
Define-XML 2.0 or 2.1) or from our metadata spec.

Only what the rules need is kept: standards, per dataset the variables in
order with label, type, length, mandatory flag and codelist, the keys, and the
codelists' allowed values.

    >>> meta = read_define("define.xml")              # doctest: +SKIP
    >>> meta.datasets["AE"].keys                       # doctest: +SKIP
    ['STUDYID', 'USUBJID', 'AEDECOD', 'AESTDTC']
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
DEF_NAMESPACES = ("http://www.cdisc.org/ns/def/v2.1", "http://www.cdisc.org/ns/def/v2.0")
XML_NS = "http://www.w3.org/XML/1998/namespace"
NUMERIC_DATA_TYPES = frozenset({"integer", "float", "double"})


@dataclass
class VariableMeta:
    name: str
    label: str = ""
    data_type: str = "text"
    length: int | None = None
    mandatory: bool = False
    codelist: str | None = None
    order: int = 0

    @property
    def sas_type(self) -> str:
        """``num`` or ``char`` as stored in XPT."""
        return "num" if self.data_type in NUMERIC_DATA_TYPES else "char"


@dataclass
class DatasetMeta:
    name: str
    label: str = ""
    domain: str | None = None
    class_: str = ""
    purpose: str = ""
    standard: str | None = None
    location: str | None = None
    keys: list[str] = field(default_factory=list)
    variables: list[VariableMeta] = field(default_factory=list)

    def variable(self, name: str) -> VariableMeta | None:
        return next((v for v in self.variables if v.name == name), None)


@dataclass
class CodelistMeta:
    oid: str
    name: str = ""
    values: frozenset[str] = frozenset()
    external: bool = False
    nci_code: str | None = None


@dataclass
class StandardMeta:
    oid: str
    name: str
    type: str
    version: str
    publishing_set: str | None = None


@dataclass
class PackageMeta:
    """What a define.xml (or spec) says about one package folder."""

    source: str
    datasets: dict[str, DatasetMeta] = field(default_factory=dict)
    codelists: dict[str, CodelistMeta] = field(default_factory=dict)
    standards: list[StandardMeta] = field(default_factory=list)
    define_version: str | None = None

    def ig(self) -> StandardMeta | None:
        """The implementation guide most datasets refer to (IG standards only; -MD and similar ignored)."""
        igs = {s.oid: s for s in self.standards if s.type == "IG"}
        used = [d.standard for d in self.datasets.values() if d.standard in igs]
        if used:
            return igs[max(set(used), key=used.count)]
        return next(iter(igs.values()), None)

    @property
    def purpose(self) -> str:
        purposes = [d.purpose for d in self.datasets.values() if d.purpose]
        return max(set(purposes), key=purposes.count) if purposes else ""


def _text(element: etree._Element | None) -> str:
    """TranslatedText of a Description (the English one first)."""
    if element is None:
        return ""
    texts = element.findall(f"{{{ODM_NS}}}TranslatedText")
    for t in texts:
        if t.get(f"{{{XML_NS}}}lang", "en").startswith("en"):
            return (t.text or "").strip()
    return (texts[0].text or "").strip() if texts else ""


def _def(element: etree._Element, name: str, ns: str) -> str | None:
    return element.get(f"{{{ns}}}{name}")


def read_define(path: str | Path) -> PackageMeta:
    """Parse a Define-XML 2.0/2.1 file; raises ``etree.XMLSyntaxError`` when it is not XML."""
    root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)).getroot()
    mdv = root.find(f".//{{{ODM_NS}}}MetaDataVersion")
    ns = next((n for n in DEF_NAMESPACES if n in (root.nsmap or {}).values()), DEF_NAMESPACES[0])
    meta = PackageMeta(source=str(path))
    if mdv is None:
        return meta
    meta.define_version = _def(mdv, "DefineVersion", ns)
    for s in mdv.iter(f"{{{ns}}}Standard"):
        meta.standards.append(StandardMeta(
            oid=s.get("OID", ""), name=s.get("Name", ""), type=s.get("Type", ""), version=s.get("Version", ""),
            publishing_set=s.get("PublishingSet"),
        ))
    items = {}
    for it in mdv.iter(f"{{{ODM_NS}}}ItemDef"):
        ref = it.find(f"{{{ODM_NS}}}CodeListRef")
        length = it.get("Length")
        items[it.get("OID")] = VariableMeta(
            name=it.get("Name", ""), label=_text(it.find(f"{{{ODM_NS}}}Description")),
            data_type=it.get("DataType", "text"), length=int(length) if length and length.isdigit() else None,
            codelist=ref.get("CodeListOID") if ref is not None else None,
        )
    for cl in mdv.iter(f"{{{ODM_NS}}}CodeList"):
        values = [i.get("CodedValue", "") for i in cl if i.tag in (f"{{{ODM_NS}}}CodeListItem",
                                                                  f"{{{ODM_NS}}}EnumeratedItem")]
        alias = next((a.get("Name") for a in cl.iter(f"{{{ODM_NS}}}Alias")
                      if a.getparent() is cl and a.get("Context") == "nci:ExtCodeID"), None)
        meta.codelists[cl.get("OID", "")] = CodelistMeta(
            oid=cl.get("OID", ""), name=cl.get("Name", ""), values=frozenset(values),
            external=cl.find(f"{{{ODM_NS}}}ExternalCodeList") is not None, nci_code=alias,
        )
    for ig in mdv.iter(f"{{{ODM_NS}}}ItemGroupDef"):
        cls = ig.find(f"{{{ns}}}Class")
        ds = DatasetMeta(
            name=ig.get("Name", ""), label=_text(ig.find(f"{{{ODM_NS}}}Description")), domain=ig.get("Domain"),
            class_=(cls.get("Name", "") if cls is not None else _def(ig, "Class", ns) or ""),
            purpose=ig.get("Purpose", ""), standard=_def(ig, "StandardOID", ns),
            location=_def(ig, "ArchiveLocationID", ns),
        )
        keyed = []
        for position, ref in enumerate(ig.findall(f"{{{ODM_NS}}}ItemRef")):
            item = items.get(ref.get("ItemOID"))
            if item is None:
                continue
            order = ref.get("OrderNumber")
            var = VariableMeta(**{**item.__dict__, "mandatory": ref.get("Mandatory") == "Yes",
                                  "order": int(order) if order and order.isdigit() else position + 1})
            ds.variables.append(var)
            if ref.get("KeySequence", "").isdigit():
                keyed.append((int(ref.get("KeySequence")), var.name))
        ds.variables.sort(key=lambda v: v.order)
        ds.keys = [name for _, name in sorted(keyed)]
        leaf = next((lf for lf in mdv.iter(f"{{{ns}}}leaf") if lf.get("ID") == ds.location), None)
        if leaf is not None:
            ds.location = leaf.get("{http://www.w3.org/1999/xlink}href", ds.location)
        meta.datasets[ds.name.upper()] = ds
    return meta


def from_spec(spec) -> PackageMeta:
    """The same metadata from our ``cdisc_msc.spec.model.Spec`` (used when no define.xml is given)."""
    meta = PackageMeta(source=f"spec:{spec.package}")
    meta.standards = [StandardMeta(oid=s.oid, name=s.name, type=s.type, version=s.version,
                                   publishing_set=s.publishing_set) for s in spec.standards]
    for cl in spec.codelists:
        meta.codelists[cl.oid] = CodelistMeta(
            oid=cl.oid, name=cl.name, values=frozenset(t.value for t in cl.terms),
            external=cl.external is not None, nci_code=cl.nci_code,
        )
    for d in spec.datasets:
        meta.datasets[d.name] = DatasetMeta(
            name=d.name, label=d.label, domain=d.domain, class_=d.class_, purpose=d.purpose, standard=d.standard,
            keys=list(d.keys),
            variables=[VariableMeta(name=v.name, label=v.label, data_type=v.data_type,
                                    length=v.length if isinstance(v.length, int) else None,
                                    mandatory=v.mandatory, codelist=v.codelist, order=i + 1)
                       for i, v in enumerate(d.variables)],
        )
    return meta


__all__ = ["CodelistMeta", "DatasetMeta", "PackageMeta", "StandardMeta", "VariableMeta", "from_spec", "read_define"]
