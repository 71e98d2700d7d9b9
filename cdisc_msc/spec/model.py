"""The metadata spec model: the single source of truth for datasets,
variables, value-level metadata, codelists, methods, comments, documents and
standards of one package (SDTM or ADaM).

Mappings fill the variables a dataset spec declares, writers take names,
labels, lengths and order from it, and define.xml is generated from it.
Variable order is the order of the ``variables`` list.
"""
from __future__ import annotations

import re
from typing import Literal, Union

from pydantic import BaseModel, ConfigDict, Field

NAME_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,7}$")
"""SAS v5 / CDISC name: 1-8 characters, upper-case letter first."""

DataType = Literal[
    "text", "integer", "float", "date", "datetime", "time",
    "partialDate", "partialTime", "partialDatetime", "incompleteDatetime", "durationDatetime",
]
NUMERIC_TYPES: frozenset[str] = frozenset({"integer", "float"})
OriginType = Literal["Collected", "Derived", "Assigned", "Protocol", "Predecessor", "Not Available"]
OriginSource = Literal["Investigator", "Sponsor", "Subject", "Vendor"]
Comparator = Literal["EQ", "NE", "IN", "NOTIN", "LT", "LE", "GT", "GE"]
Length = Union[int, Literal["data"]]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Origin(_Model):
    """Define-XML 2.1 def:Origin: type, source and (for Predecessor) the source variable."""

    type: OriginType
    source: OriginSource | None = None
    predecessor: str | None = Field(None, description="DATASET.VARIABLE the value is copied from")
    pages: str | None = Field(None, description="CRF page references for Collected")


class WhereCondition(_Model):
    """One RangeCheck of a WhereClauseDef, e.g. QSTESTCD EQ SF36301."""

    variable: str
    comparator: Comparator = "EQ"
    values: list[str]


class ValueLevel(_Model):
    """Value-level metadata for one variable under a where clause."""

    where: list[WhereCondition]
    label: str | None = None
    data_type: DataType
    length: Length | None = None
    significant_digits: int | None = None
    display_format: str | None = None
    mandatory: bool = False
    codelist: str | None = None
    origin: Origin
    method: str | None = None
    comment: str | None = None


class Variable(_Model):
    name: str
    label: str
    data_type: DataType
    length: Length | None = Field(None, description="bytes for text; 'data' = longest actual value; None for numerics (8)")
    significant_digits: int | None = None
    display_format: str | None = Field(None, description="SAS format, e.g. DATE9.")
    mandatory: bool = False
    codelist: str | None = None
    origin: Origin
    method: str | None = None
    comment: str | None = None
    role: str | None = None
    core: Literal["Req", "Exp", "Perm", "Cond"] | None = None
    value_level: list[ValueLevel] = []

    @property
    def is_numeric(self) -> bool:
        """Stored as a SAS numeric: integer/float, or a numeric date with a display format."""
        return self.data_type in NUMERIC_TYPES


class Dataset(_Model):
    name: str
    label: str
    class_: str = Field(alias="class", description="observation class, e.g. EVENTS, BASIC DATA STRUCTURE")
    subclass: str | None = None
    structure: str
    keys: list[str]
    standard: str = Field(description="OID of a Standard in standards.yaml")
    domain: str | None = None
    repeating: bool = True
    reference_data: bool = False
    purpose: Literal["Tabulation", "Analysis"] = "Tabulation"
    comment: str | None = None
    variables: list[Variable]

    def variable(self, name: str) -> Variable:
        for v in self.variables:
            if v.name == name:
                return v
        raise KeyError(f"{self.name}: no variable {name} in spec")

    @property
    def names(self) -> list[str]:
        return [v.name for v in self.variables]


class Term(_Model):
    value: str
    decode: str | None = None
    nci_code: str | None = None
    extended: bool = Field(False, description="sponsor term added to an extensible CT codelist")
    rank: float | None = None


class ExternalDictionary(_Model):
    dictionary: str
    version: str
    ref: str | None = None
    href: str | None = None


class Codelist(_Model):
    oid: str
    name: str
    data_type: Literal["text", "integer", "float"] = "text"
    nci_code: str | None = Field(None, description="NCI C-code of the CT codelist; None for sponsor codelists")
    sponsor: bool = Field(False, description="a sponsor-defined codelist (def:IsNonStandard)")
    terms: list[Term] = []
    external: ExternalDictionary | None = None
    comment: str | None = None


class Method(_Model):
    oid: str
    name: str
    type: Literal["Computation", "Imputation"] = "Computation"
    description: str
    documents: list[str] = []
    expression: str | None = None


class Comment(_Model):
    oid: str
    text: str
    documents: list[str] = []


class Document(_Model):
    oid: str
    title: str
    href: str


class Standard(_Model):
    oid: str
    name: str
    type: Literal["IG", "CT"]
    version: str
    publishing_set: str | None = None
    status: str = "Final"


class Spec(_Model):
    """One package's metadata (``specs/sdtm`` or ``specs/adam``)."""

    package: Literal["sdtm", "adam"]
    standards: list[Standard]
    datasets: list[Dataset]
    codelists: list[Codelist] = []
    methods: list[Method] = []
    comments: list[Comment] = []
    documents: list[Document] = []

    def dataset(self, name: str) -> Dataset:
        for d in self.datasets:
            if d.name == name.upper():
                return d
        raise KeyError(f"{self.package} spec has no dataset {name}")

    def codelist(self, oid: str) -> Codelist:
        for c in self.codelists:
            if c.oid == oid:
                return c
        raise KeyError(f"{self.package} spec has no codelist {oid}")

    def method(self, oid: str) -> Method:
        for m in self.methods:
            if m.oid == oid:
                return m
        raise KeyError(f"{self.package} spec has no method {oid}")
