"""Problems found in input (raw exports, specs, workbooks, data to write).

One shape for every stage, so a programmer always learns the same five
things: where (file, row, column), what was there (value) and what was
expected. Stages collect every problem before failing, never just the first.
"""
from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any, Iterable, Literal

from pydantic import BaseModel, ConfigDict

Severity = Literal["error", "warning", "info"]


class Problem(BaseModel):
    model_config = ConfigDict(frozen=True)

    severity: Severity = "error"
    code: str = ""
    file: str = ""
    row: int | None = None
    column: str = ""
    value: str = ""
    expected: str = ""
    message: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        text = f"{self.severity.upper()} {where}: {self.message}"
        if self.value != "":
            text += f" (value {self.value!r}"
            text += f"; expected {self.expected})" if self.expected else ")"
        elif self.expected:
            text += f" (expected {self.expected})"
        return text


class ProblemReport:
    """An ordered collection of problems with summaries and file output."""

    FIELDS = ["severity", "code", "file", "row", "column", "value", "expected", "message"]

    def __init__(self, problems: Iterable[Problem] = ()) -> None:
        self.problems: list[Problem] = list(problems)

    def add(self, problem: Problem | None = None, **fields: Any) -> None:
        self.problems.append(problem if problem is not None else Problem(**fields))

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)

    def __len__(self) -> int:
        return len(self.problems)

    def __iter__(self):
        return iter(self.problems)

    def counts(self) -> Counter:
        return Counter(p.severity for p in self.problems)

    def summary(self, limit: int = 20) -> str:
        c = self.counts()
        head = f"{c.get('error', 0)} error(s), {c.get('warning', 0)} warning(s)"
        lines = [head] + [f"  {p}" for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"  ... and {len(self.problems) - limit} more (see the report file)")
        return "\n".join(lines)

    def to_csv(self) -> str:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=self.FIELDS, lineterminator="\n")
        w.writeheader()
        for p in self.problems:
            w.writerow({k: ("" if getattr(p, k) is None else getattr(p, k)) for k in self.FIELDS})
        return buf.getvalue()

    def write(self, path: str | Path) -> None:
        """Write as CSV (``.csv``) or JSON (anything else)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".csv":
            path.write_text(self.to_csv(), encoding="utf-8")
        else:
            path.write_text(
                json.dumps([p.model_dump() for p in self.problems], indent=1, ensure_ascii=False) + "\n",
                encoding="utf-8",
            )


class InputError(Exception):
    """Raised when input has error-level problems; carries the full report."""

    def __init__(self, what: str, report: ProblemReport) -> None:
        self.report = report
        super().__init__(f"{what}: {report.summary()}")
