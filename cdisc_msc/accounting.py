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
    share: bool = False
    """True when this flow takes only part of the form's records (e.g. the
    comorbidity checklist: screening rows to MH, follow-up rows to CE)."""


@dataclass
class Accounting:
    flows: list[FormFlow] = field(default_factory=list)
    unmapped: list[dict[str, object]] = field(default_factory=list)

    def flow(self, form: str, dataset: str, raw_records: int, out_records: int, note: str = "",
             share: bool = False) -> None:
        """Record that ``raw_records`` rows of ``form`` gave ``out_records`` rows of ``dataset``.

        ``share=True`` marks a flow that takes a disjoint part of the form's
        rows; the shares of one form add up in the reconciliation.
        """
        self.flows.append(FormFlow(form, dataset, int(raw_records), int(out_records), note, share))

    def not_mapped(self, form: str, rows: pd.DataFrame, reason: str, row_col: str = "_ROW") -> None:
        """List raw rows (with their source row number column) that produced no record."""
        for row, subj in zip(rows[row_col].tolist() if row_col in rows else [None] * len(rows),
                             rows["SUBJID"].tolist() if "SUBJID" in rows else [None] * len(rows)):
            self.unmapped.append({"form": form, "row": row, "subjid": subj, "reason": reason})

    def flows_frame(self) -> pd.DataFrame:
        return pd.DataFrame([f.__dict__ for f in self.flows],
                            columns=["form", "dataset", "raw_records", "out_records", "note", "share"])

    def reconcile(self, raw_counts: dict[str, int]) -> pd.DataFrame:
        """Per raw form: records read, records mapped, records not mapped, and
        whether they add up (mapped + not mapped = read).

        Mapped = the largest whole-form flow, or the sum of the share flows.

        >>> a = Accounting()
        >>> a.flow("como", "MH", 3, 3, share=True); a.flow("como", "CE", 5, 5, share=True)
        >>> a.reconcile({"como": 8}).to_dict("records")[0]["balanced"]
        True
        """
        flows = self.flows_frame()
        unmapped = self.unmapped_frame().groupby("form").size()
        rows = []
        for form, read in sorted(raw_counts.items()):
            f = flows[flows["form"] == form]
            whole = f.loc[~f["share"].astype(bool), "raw_records"]
            shares = f.loc[f["share"].astype(bool), "raw_records"].sum()
            mapped = int(max(whole.max() if len(whole) else 0, shares))
            lost = int(unmapped.get(form, 0))
            rows.append({"form": form, "raw_records": int(read), "mapped": mapped, "not_mapped": lost,
                         "balanced": mapped + lost == int(read)})
        return pd.DataFrame(rows, columns=["form", "raw_records", "mapped", "not_mapped", "balanced"])

    def unmapped_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.unmapped, columns=["form", "row", "subjid", "reason"])

    def write(self, directory: str | Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.flows_frame().to_csv(directory / "record_accounting.csv", index=False, lineterminator="\n")
        self.unmapped_frame().to_csv(directory / "unmapped_records.csv", index=False, lineterminator="\n")
