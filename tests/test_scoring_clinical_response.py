"""Major / partial clinical response (SAP 4.3)."""
from __future__ import annotations

import pandas as pd
import pytest

from cdisc_msc.config import ClinicalResponseRule
from cdisc_msc.scoring import MissingColumnsError
from cdisc_msc.scoring.clinical_response import derive_clinical_response

BIL = [f"BILAG1{i:02d}" for i in range(1, 9)]
RULE = ClinicalResponseRule(description="SAP default")
FLAGS = ["MCR", "PCR", "MCRPCR", "CRIMP"]


def row(visit: str, base: str) -> dict:
    """Grades as 8-letter strings, '.' = not graded."""
    g = lambda s: [None if ch == "." else ch for ch in s]  # noqa: E731
    return {**dict(zip(BIL, g(visit))), **{c + "_BL": v for c, v in zip(BIL, g(base))}}


def run(*rows: dict, rule: ClinicalResponseRule = RULE) -> list[list[str]]:
    return derive_clinical_response(pd.DataFrame(list(rows)), rule)[FLAGS].values.tolist()


def test_mcr():
    assert run(row("CDECCDEC", "ABCCCCCC")) == [["Y", "N", "Y", "N"]]


def test_pcr_and_its_baseline_condition():
    assert run(
        row("BCCCCCCC", "ACCCCCCC"),   # one B now; baseline one A -> PCR
        row("BCCCCCCC", "BBCCCCCC"),   # baseline two B -> PCR
        row("BCCCCCCC", "BCCCCCCC"),   # baseline only one B, no A -> not PCR
        row("CCCCCCCC", "CCCCCCCC"),   # MCR needs no baseline condition
        row("BBCCCCCC", "AACCCCCC"),   # two B now -> neither
        row("ACCCCCCC", "AACCCCCC"),   # an A now -> neither
    ) == [
        ["N", "Y", "Y", "N"],
        ["N", "Y", "Y", "N"],
        ["N", "N", "N", "N"],
        ["Y", "N", "Y", "N"],
        ["N", "N", "N", "N"],
        ["N", "N", "N", "N"],
    ]


def test_missing_data_gives_flagged_non_responder():
    assert run(
        row("CCCCCCC.", "ACCCCCCC"),   # visit not fully graded
        row("........", "ACCCCCCC"),   # visit form missing
        row("CCCCCCCC", "........"),   # baseline missing
        row("BCCCCCCC", "BCCCCCC."),   # baseline condition undecided (one B known, one system ungraded)
        row("BCCCCCCC", "ACCCCCC."),   # baseline condition met despite an ungraded system
    ) == [
        ["N", "N", "N", "Y"],
        ["N", "N", "N", "Y"],
        ["N", "N", "N", "Y"],
        ["N", "N", "N", "Y"],
        ["N", "Y", "Y", "N"],
    ]


def test_rule_is_configurable():
    rule = ClinicalResponseRule(description="two B allowed", pcr_max_b=2)
    assert run(row("BBCCCCCC", "AACCCCCC"), rule=rule) == [["N", "Y", "Y", "N"]]


def test_missing_columns():
    with pytest.raises(MissingColumnsError, match="BILAG108_BL"):
        derive_clinical_response(pd.DataFrame([row("CCCCCCCC", "CCCCCCCC")]).drop(columns="BILAG108_BL"), RULE)
