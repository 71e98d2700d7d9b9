"""Rules, issues and the validation result.

A ``Rule`` is data (``cdisc_msc/data/rules/*.yaml``): id, severity, scope,
what it applies to, a message template, a rationale and the name of the
registered check that evaluates it. A check returns findings; the engine turns
each finding into an ``Issue`` carrying the rule, the dataset, the 1-based
record number in the file, the key values of that record, the variable and
the value.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["reject", "error", "warning", "info"]
Scope = Literal["transport", "package", "dataset", "cross", "adam", "define"]
SEVERITY_ORDER: dict[str, int] = {"reject": 0, "error": 1, "warning": 2, "info": 3}
BLOCKING: frozenset[str] = frozenset({"reject", "error"})
"""Severities that make the package not submission-ready (non-zero exit status)."""


class AppliesTo(BaseModel):
    """Which folders and datasets a rule is evaluated on; empty lists mean all."""

    model_config = ConfigDict(extra="forbid")

    packages: list[Literal["sdtm", "adam"]] = []
    domains: list[str] = []
    classes: list[str] = []
    versions: list[str] = Field([], description="IG versions the rule is defined for, e.g. SDTMIG 3.4")


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Z]{2}\d{3}$")
    severity: Severity
    scope: Scope
    check: str
    message: str
    rationale: str
    applies_to: AppliesTo = AppliesTo()
    params: dict[str, Any] = {}
    ig_metadata: bool = Field(False, description="evaluated against shipped IG metadata (version caveat applies)")
    per: Literal["dataset", "folder"] | None = Field(
        None, description="evaluated once per dataset or once per folder; default by scope")

    @property
    def per_dataset(self) -> bool:
        return self.per == "dataset" if self.per else self.scope in ("transport", "dataset", "adam")

    def render(self, **fields: Any) -> str:
        """The message with ``{placeholders}`` filled; unknown placeholders are left as they are."""
        return self.message.format_map(_Default(fields))


class _Default(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Issue(BaseModel):
    """One finding of one rule."""

    model_config = ConfigDict(frozen=True)

    rule: str
    severity: Severity
    dataset: str = ""
    file: str = ""
    record: int | None = Field(None, description="1-based record number in the file")
    keys: dict[str, str] = {}
    variable: str = ""
    value: str = ""
    message: str = ""
    count: int = Field(1, description="records this issue stands for (>1 for a 'more records' summary)")

    def __str__(self) -> str:
        where = self.dataset or self.file or "package"
        if self.record is not None:
            where += f" record {self.record}"
        if self.keys:
            where += " [" + ", ".join(f"{k}={v}" for k, v in self.keys.items()) + "]"
        if self.variable:
            where += f" {self.variable}"
        text = f"{self.severity.upper():7} {self.rule} {where}: {self.message}"
        if self.value != "":
            text += f" (value {self.value!r})"
        return text
