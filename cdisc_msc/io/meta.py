"""Dataset metadata the XPT and Dataset-JSON writers take and the XPT reader returns.

``XptDataset`` / ``XptVariable`` hold everything that ends up in a SAS
transport v5 header (names, labels, types, lengths, formats, informats,
header strings and times) plus the few logical facts Dataset-JSON needs
(``data_type``, ``keys``). Reading an XPT file returns this model, and writing
the same frame with it reproduces the file byte for byte.

``from_spec`` builds it from a spec ``Dataset`` (the single source of truth)
and the frame, resolving ``length: "data"`` to the longest actual value.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
import functools
import re
from typing import TYPE_CHECKING, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict

from cdisc_msc.spec.model import Dataset, Variable

if TYPE_CHECKING:
    from cdisc_msc.io.columns import FrameColumns

XptType = Literal["char", "num"]

FORMAT_RE = re.compile(r"^(?P<name>\$?(?:[A-Z_][A-Z0-9_]*?)?)(?P<width>\d*)\.(?P<decimals>\d*)$")
"""A SAS format reference: optional name, optional width, a period, optional decimals."""

NUMERIC_LENGTH = 8


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SasFormat(_Model):
    """A SAS format or informat split as the NAMESTR record stores it (immutable: ``parse_format``
    hands out one shared instance per text)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = ""
    width: int = 0
    decimals: int = 0

    def __str__(self) -> str:
        """Render as SAS writes it, e.g. ``DATE9.``, ``8.2``, ``$CHAR20.``; '' when empty."""
        if not (self.name or self.width or self.decimals):
            return ""
        width = str(self.width) if self.width else ""
        decimals = str(self.decimals) if self.decimals else ""
        return f"{self.name}{width}.{decimals}"


@functools.lru_cache(maxsize=1024)
def parse_format(text: str | None) -> SasFormat:
    """Parse ``DATE9.``, ``E8601DA.``, ``8.2`` or ``$20.`` (a missing final period is added).

    Cached: the writers parse each variable's format several times (checks, NAMESTR,
    Dataset-JSON types), and a study has few distinct formats.

    >>> parse_format("date9") is parse_format("date9"), str(parse_format("date9"))
    (True, 'DATE9.')
    """
    text = (text or "").strip().upper()
    if not text:
        return SasFormat()
    if "." not in text:
        text += "."
    m = FORMAT_RE.match(text)
    if m is None:
        raise ValueError(f"not a SAS format: {text!r}")
    return SasFormat(
        name=m["name"],
        width=int(m["width"]) if m["width"] else 0,
        decimals=int(m["decimals"]) if m["decimals"] else 0,
    )


class XptVariable(_Model):
    """One variable: the NAMESTR record of a transport v5 file."""

    name: str
    label: str = ""
    type: XptType
    length: int = NUMERIC_LENGTH
    format: str = ""
    format_justify: int = 0
    informat: str = ""
    data_type: str | None = None
    """The spec's logical type (integer, float, text, date, ...), used by Dataset-JSON; None if unknown."""

    @property
    def is_numeric(self) -> bool:
        return self.type == "num"

    @property
    def sas_format(self) -> SasFormat:
        return parse_format(self.format)

    @property
    def sas_informat(self) -> SasFormat:
        return parse_format(self.informat)


class XptDataset(_Model):
    """One dataset (member) of a transport v5 file, with its header fields.

    ``created``/``modified`` are the member header times; the library header
    uses ``library_created``/``library_modified`` when given, else the same.
    ``sas_version``/``sas_os`` are written into 8-byte fields, blank padded
    (a value with NULs, as some SAS hosts write, is kept as is).
    """

    name: str
    label: str = ""
    variables: list[XptVariable]
    created: dt.datetime
    modified: dt.datetime | None = None
    library_created: dt.datetime | None = None
    library_modified: dt.datetime | None = None
    sas_version: str = "9.4"
    sas_os: str = "PYTHON"
    dataset_type: str = ""
    keys: list[str] = []

    @property
    def names(self) -> list[str]:
        return [v.name for v in self.variables]

    @property
    def file_name(self) -> str:
        """The transport file name, lower case: ``dm.xpt``."""
        return f"{self.name.lower()}.xpt"

    @property
    def record_length(self) -> int:
        return sum(v.length for v in self.variables)

    def variable(self, name: str) -> XptVariable:
        for v in self.variables:
            if v.name == name:
                return v
        raise KeyError(f"{self.name}: no variable {name}")


def max_byte_length(values: pd.Series) -> int:
    """Longest value in UTF-8 bytes, ignoring missing values and trailing blanks; 0 if none."""
    present = values.dropna()
    if present.empty:
        return 0
    uniques = pd.unique(present.to_numpy(dtype=object))  # per distinct value, not per row
    return int(max((len(str(u).rstrip(" ").encode("utf-8")) for u in uniques), default=0))


def display_format(variable: Variable) -> str:
    """The SAS format for a spec variable: its display format, normalised (``DATE9`` -> ``DATE9.``)."""
    if not variable.display_format:
        return ""
    return str(parse_format(variable.display_format))


def _longest(frame: pd.DataFrame, name: str, columns: "FrameColumns | None") -> int:
    """``max_byte_length`` of a frame column, from the column cache when it has the text properties."""
    if name not in frame.columns:
        return 0
    if columns is not None:
        props = columns.text(name)
        if props is not None:
            return int(props.byte_lengths.max()) if len(props.byte_lengths) else 0
    return max_byte_length(frame[name])


def variable_from_spec(variable: Variable, frame: pd.DataFrame, columns: "FrameColumns | None" = None) -> XptVariable:
    """Map one spec variable; a char length of ``"data"``/None is the longest value (minimum 1)."""
    if variable.is_numeric:
        return XptVariable(
            name=variable.name, label=variable.label, type="num", length=NUMERIC_LENGTH,
            format=display_format(variable), data_type=variable.data_type,
        )
    if isinstance(variable.length, int):
        length = variable.length
    else:
        length = max(1, _longest(frame, variable.name, columns))
    return XptVariable(
        name=variable.name, label=variable.label, type="char", length=length,
        format=display_format(variable), data_type=variable.data_type,
    )


def from_spec(
    dataset: Dataset,
    frame: pd.DataFrame,
    created: dt.datetime | None = None,
    modified: dt.datetime | None = None,
    columns: "FrameColumns | None" = None,
) -> XptDataset:
    """Build the writer metadata for ``dataset`` from its spec and the frame to write.

    ``created``/``modified`` (the header times) should come from the study
    configuration so that output is deterministic; the default is the epoch
    of SAS dates, 1960-01-01, never the clock. ``columns`` (the frame's
    ``FrameColumns``) shares the text lengths with the writers.
    """
    from cdisc_msc.io.columns import columns_for

    columns = columns_for(frame, columns)
    created = created or dt.datetime(1960, 1, 1)
    return XptDataset(
        name=dataset.name,
        label=dataset.label,
        variables=[variable_from_spec(v, frame, columns) for v in dataset.variables],
        created=created,
        modified=modified or created,
        keys=list(dataset.keys),
    )


SPECIAL_MISSING_TEXT: frozenset[str] = frozenset(
    ["."] + [f".{c}" for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ_"]
)
"""Strings accepted in (object-dtype) numeric columns as SAS missing values."""


@dataclass(frozen=True)
class DatasetContent:
    """One dataset as written: its frame and its XPT metadata (lengths, labels), what define.xml
    is made from. Here, not in the define module, so the writers can return it without importing
    lxml.

    ``columns``, the frame's column cache the writers filled, saves
    factorising the columns again (optional).
    """

    frame: pd.DataFrame
    xpt: XptDataset
    columns: FrameColumns | None = None

    @classmethod
    def from_frame(cls, dataset: Dataset, frame: pd.DataFrame) -> "DatasetContent":
        """Content of a frame about to be written with the spec (lengths as the XPT writer sets them)."""
        return cls(frame, from_spec(dataset, frame))

    def length(self, name: str) -> int | None:
        try:
            return self.xpt.variable(name).length
        except KeyError:
            return None

    @property
    def has_rows(self) -> bool:
        return len(self.frame) > 0


__all__ = [
    "NUMERIC_LENGTH", "SPECIAL_MISSING_TEXT", "DatasetContent", "SasFormat", "XptDataset", "XptVariable",
    "display_format", "from_spec", "max_byte_length", "parse_format", "variable_from_spec",
]
