"""NCI CDISC Controlled Terminology shipped with the package.

``data/ct/ct-<date>.tsv.gz`` holds the SDTM, ADaM and Define-XML CT of one
release (code, codelist, extensibility, names; definitions dropped). It is
used to check specs and data at run time without the reference folder.
"""
from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

DEFAULT_VERSION = "2025-03-28"
CT_COLUMNS = ("code", "codelist_code", "extensible", "codelist_name", "submission_value", "preferred_term", "package")
"""The columns of a CT file (found by name in its header)."""


@dataclass
class CTCodelist:
    code: str
    name: str
    extensible: bool
    submission_value: str
    package: str
    terms: dict[str, str] = field(default_factory=dict)
    """submission value -> NCI term code"""
    preferred: dict[str, str] = field(default_factory=dict)
    """submission value -> NCI preferred term (the decode)"""


@lru_cache(maxsize=4)
def load_ct(version: str = DEFAULT_VERSION) -> dict[str, CTCodelist]:
    """All codelists of one CT release, keyed by NCI codelist code."""
    name = f"ct-{version}.tsv.gz"
    try:
        raw = resources.files("cdisc_msc").joinpath(f"data/ct/{name}").read_bytes()
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"controlled terminology {version} is not shipped (no {name})") from exc
    text = gzip.decompress(raw).decode("utf-8")
    rows = csv.reader(io.StringIO(text), delimiter="\t")  # lists, not dicts: 45,000 rows
    header = next(rows)
    code, codelist_code, extensible, codelist_name, submission_value, preferred_term, package = (
        header.index(c) for c in CT_COLUMNS)
    lists: dict[str, CTCodelist] = {}
    terms: list[list[str]] = []
    for row in rows:
        if row[codelist_code]:
            terms.append(row)
        else:
            lists[row[code]] = CTCodelist(
                code=row[code], name=row[codelist_name], extensible=row[extensible] == "Yes",
                submission_value=row[submission_value], package=row[package],
            )
    for row in terms:
        cl = lists.get(row[codelist_code])
        if cl is not None:
            cl.terms[row[submission_value]] = row[code]
            cl.preferred[row[submission_value]] = row[preferred_term]
    return lists


def codelist_by_submission_value(short_name: str, version: str = DEFAULT_VERSION) -> CTCodelist:
    """Look a codelist up by its short name (e.g. ``SEX``, ``NY``)."""
    for cl in load_ct(version).values():
        if cl.submission_value == short_name:
            return cl
    raise KeyError(f"no CT codelist with submission value {short_name} in {version}")


def codelist_entry(nci_code: str, oid: str, terms: list[str] | None = None,
                   version: str = DEFAULT_VERSION) -> dict:
    """A spec ``codelists.yaml`` entry for a CT codelist, limited to ``terms``.

    A helper for writing specs (facts copied from CT, not invented)::

        >>> codelist_entry("C66731", "CL.SEX", ["F", "M"])["terms"][0]
        {'value': 'F', 'decode': 'Female', 'nci_code': 'C16576'}
    """
    cl = load_ct(version)[nci_code]
    values = terms if terms is not None else list(cl.terms)
    missing = [t for t in values if t not in cl.terms]
    if missing:
        raise KeyError(f"{cl.submission_value} ({nci_code}) has no term(s) {missing}")
    return {
        "oid": oid, "name": cl.name, "nci_code": nci_code,
        "terms": [{"value": t, "decode": cl.preferred[t], "nci_code": cl.terms[t]} for t in values],
    }
