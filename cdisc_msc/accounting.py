"""Record accounting: every raw record ends in an output dataset or in the
list of records that did not map, with the reason. The build report shows,
per raw form, how many records became how many SDTM records."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd


@dataclass
class FormFlow:
    form: str
    dataset: str
    raw_records: int
    out_records: int
    note: str = ""


@dataclass
class Accounting:
    flows: list[FormFlow] = field(default_factory=list)
    unmapped: list[dict[str, object]] = field(default_factory=list)

    def flow(self, form: str, dataset: str, raw_records: int, out_records: int, note: str = "") -> None:
        """Record that ``raw_records`` rows of ``form`` gave ``out_records`` rows of ``dataset``."""
        self.flows.append(FormFlow(form, dataset, int(raw_records), int(out_records), note))

    def not_mapped(self, form: str, rows: pd.DataFrame, reason: str, row_col: str = "_ROW") -> None:
        """List raw rows (with their source row number column) that produced no record."""
        for row, subj in zip(rows[row_col].tolist() if row_col in rows else [None] * len(rows),
                             rows["SUBJID"].tolist() if "SUBJID" in rows else [None] * len(rows)):
            self.unmapped.append({"form": form, "row": row, "subjid": subj, "reason": reason})

    def flows_frame(self) -> pd.DataFrame:
        return pd.DataFrame([f.__dict__ for f in self.flows],
                            columns=["form", "dataset", "raw_records", "out_records", "note"])

    def unmapped_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.unmapped, columns=["form", "row", "subjid", "reason"])

    def write(self, directory: str | Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.flows_frame().to_csv(directory / "record_accounting.csv", index=False, lineterminator="\n")
        self.unmapped_frame().to_csv(directory / "unmapped_records.csv", index=False, lineterminator="\n")
