"""Safe parsing of define.xml and validation against the Define-XML 2.1 XSD.

The schema files are the CDISC-published Define-XML 2.1 schema set (ODM 1.3.2
foundation, define extension, enumerations of Define-XML CT 2025-03-28, xlink,
xml), taken at run time from the PyPI package ``defineutils`` which ships them
unchanged in the official folder layout. A different schema set (e.g. a newer
enumerations release) can be passed as ``schema=``.

Untrusted XML is parsed without entity expansion, DTD loading or network
access; a malformed file is one problem naming the file, line and message.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from lxml import etree

from cdisc_msc.problems import Problem

SCHEMA_PACKAGE = "defineutils"
SCHEMA_RESOURCE = "validate/schema/cdisc-define-2.1/define2-1-0.xsd"
ARM_SCHEMA_RESOURCE = "validate/schema/cdisc-arm-1.0/arm1-0-0.xsd"
ARM_NS = "http://www.cdisc.org/ns/arm/v1.0"
MAX_SCHEMA_PROBLEMS = 200
"""Schema errors listed per file; the rest are counted in one more problem."""


class SchemaUnavailable(RuntimeError):
    """The Define-XML 2.1 schema files cannot be found."""


def schema_path(arm: bool = False) -> Path:
    """Path of ``define2-1-0.xsd`` (``arm1-0-0.xsd`` with ``arm``) in the installed ``defineutils``."""
    try:
        root = resources.files(SCHEMA_PACKAGE)
    except ModuleNotFoundError as exc:
        raise SchemaUnavailable(
            f"the Define-XML 2.1 schema comes with the '{SCHEMA_PACKAGE}' package, which is not installed "
            f"(pip install {SCHEMA_PACKAGE})") from exc
    resource = ARM_SCHEMA_RESOURCE if arm else SCHEMA_RESOURCE
    path = Path(str(root.joinpath(resource)))
    if not path.is_file():
        raise SchemaUnavailable(f"{SCHEMA_PACKAGE} is installed but has no {resource}")
    return path


def safe_parser() -> etree.XMLParser:
    """An lxml parser that never expands entities, loads DTDs or touches the network."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=False)


@lru_cache(maxsize=4)
def load_schema(path: str | None = None, arm: bool = False) -> etree.XMLSchema:
    """The compiled schema (cached); ``path`` defaults to :func:`schema_path`."""
    xsd = Path(path) if path else schema_path(arm)
    return etree.XMLSchema(etree.parse(str(xsd), safe_parser()))


def parse_define(source: str | Path | bytes, name: str | None = None) -> tuple[etree._ElementTree | None, list[Problem]]:
    """Parse a define.xml file (or bytes) safely: the tree, or None and the problem.

    ``name`` is the file name used in problems (defaults to the path, or ``define.xml``).
    """
    label = name or (str(source) if not isinstance(source, bytes) else "define.xml")
    try:
        if isinstance(source, bytes):
            tree = etree.ElementTree(etree.fromstring(source, safe_parser()))
        else:
            tree = etree.parse(str(source), safe_parser())
    except OSError as exc:
        return None, [Problem(code="DEFINE-FILE", file=label, message=f"cannot read: {exc}")]
    except etree.XMLSyntaxError as exc:
        line = exc.position[0] if exc.position else exc.lineno
        return None, [Problem(code="DEFINE-XML", file=label, row=line,
                              message=f"not well-formed XML: {exc.msg}")]
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        return None, [Problem(code="DEFINE-XML", file=label, row=1,
                              message="has a DOCTYPE declaration; define.xml has none and entities are not expanded")]
    return tree, []


def schema_problems(tree: etree._ElementTree, name: str, schema: etree.XMLSchema) -> list[Problem]:
    """Every schema violation of a parsed tree, in document order."""
    try:
        if schema.validate(tree):
            return []
    except etree.XMLSchemaValidateError as exc:
        return [Problem(code="DEFINE-SCHEMA", file=name, message=f"schema validation failed: {exc}")]
    errors = list(schema.error_log)
    out = [Problem(code="DEFINE-SCHEMA", file=name, row=e.line, column=e.path or "",
                   message=e.message) for e in errors[:MAX_SCHEMA_PROBLEMS]]
    if len(errors) > MAX_SCHEMA_PROBLEMS:
        out.append(Problem(code="DEFINE-SCHEMA", file=name,
                           message=f"... and {len(errors) - MAX_SCHEMA_PROBLEMS} more schema errors"))
    return out


def validate_define(source: str | Path | bytes, schema: str | Path | None = None,
                    name: str | None = None) -> list[Problem]:
    """Validate a define.xml (path or bytes) against the Define-XML 2.1 XSD; [] when valid.

    A define with Analysis Results Metadata (the ARM 1.0 namespace) is checked
    against the ARM 1.0 schema, which includes Define-XML 2.1.

    >>> validate_define(b"<ODM")[0].code
    'DEFINE-XML'
    """
    label = name or (str(source) if not isinstance(source, bytes) else "define.xml")
    tree, problems = parse_define(source, label)
    if tree is None:
        return problems
    arm = ARM_NS in (tree.getroot().nsmap or {}).values() or tree.find(f".//{{{ARM_NS}}}*") is not None
    return schema_problems(tree, label, load_schema(str(schema) if schema else None, arm))
