"""The broken-package corpus: each defect makes exactly its rule fire.

The clean corpus package (tests/validate_corpus/base.py, written with the
project's XPT and define writers) must have no reject or error. Each broken
package differs from it by one defect; among the issues that are new relative
to the clean run, every reject/error (and, for a warning rule, every warning)
must belong to the defect's rule, and it must report the record, variable and
value that were broken (worked out by hand in EXPECTED).
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from validate_corpus.build import build  # noqa: E402
from validate_corpus.defects import DEFECTS  # noqa: E402

from cdisc_msc.config import load_config  # noqa: E402
from cdisc_msc.validate import load_rules, validate_package  # noqa: E402

CONFIG = Path(__file__).resolve().parents[1] / "specs" / "study.yaml"


def identity(issue) -> tuple:
    return (issue.rule, issue.dataset, issue.record, issue.variable, issue.value, issue.message)


@pytest.fixture(scope="module")
def config():
    return load_config(CONFIG)


@pytest.fixture(scope="module")
def clean(tmp_path_factory, config):
    root, _ = build(tmp_path_factory.mktemp("clean"), config)
    return validate_package(root)


def test_clean_corpus_has_no_reject_or_error(clean):
    assert [str(i) for i in clean.blocking] == []
    assert clean.exit_code == 0


def test_every_corpus_rule_is_a_shipped_rule():
    shipped = {r.id for r in load_rules()}
    assert set(DEFECTS) <= shipped


EXPECTED = {
    # rule: (dataset, 1-based record or None, variable, value) of the issue the defect must produce
    "TR001": ("AE", None, "", ""),
    "TR002": ("AE", None, "aestdy", "aestdy"),
    "TR003": ("AE", None, "", ""),
    "TR004": ("AE", None, "AETERM", "209"),
    "TR005": ("AE", 1, "AETERM", "C\u00c9PHAL\u00c9E"),
    "TR006": ("AE", None, "", "aex.xpt"),
    "TR007": (None, None, "", None),
    "PK001": ("TS", None, "", ""),
    "PK002": ("TS", 1, "TSVAL", "2019-13-10"),
    "PK003": ("DM", None, "", ""),
    "PK004": ("ADSL", None, "", ""),
    "PK005": ("", None, "", ""),
    "ST001": ("AE", None, "AETERM", ""),
    "ST002": ("AE", 2, "AEDECOD", ""),
    "ST003": ("AE", None, "AESER", ""),
    "ST004": ("AE", None, "AETERM", None),
    "ST005": ("AE", None, "AETERM", "Reported Term"),
    "ST006": ("LB", 2, "VISITNUM", "1"),
    "ST007": ("AE", 2, "AESEQ", "1"),
    "ST008": ("AE", 3, "DOMAIN", "XX"),
    "CT001": ("DM", 3, "SEX", "X"),
    "CT002": ("LB", 1, "LBTESTCD", "HGBX"),
    "CT003": ("LB", None, None, None),
    "DT001": ("AE", 3, "AESTDTC", "2019-02-30"),
    "DT002": ("AE", 1, "AEENDTC", "2019-02-02"),
    "DT003": ("AE", 1, "AESTDY", "4"),
    "DT004": ("LB", 2, "EPOCH", "SCREENING"),
    "XD001": ("AE", 3, "USUBJID", "MSC-SLE-01-009"),
    "XD002": ("EX", 1, "EXSTDTC", "2019-02-02"),
    "XD003": ("ADSL", 4, "USUBJID", "MSC-SLE-01-001"),
    "AD001": ("ADLB", 1, "ABLFL", "Y"),
    "AD002": ("ADLB", 2, "CHG", "9.9"),
    "AD003": ("ADLB", 2, "PCHG", "5"),
    "AD004": ("ADLB", 1, "CRIT1FL", "Y"),
    "AD005": ("ADLB", None, "PARAMCD", "HGB"),
    "AD006": ("ADLB", None, "AVAL", "11"),
    "AD007": ("ADLB", 2, "SRCSEQ", "LB/LBORRES/99"),
    "DF001": ("define.xml", None, "", None),
    "DF002": ("AE", None, None, None),
}


@pytest.mark.parametrize("rule", sorted(DEFECTS))
def test_defect_fires_exactly_its_rule(rule, tmp_path, config, clean):
    root, params = build(tmp_path, config, rule)
    result = validate_package(root, params=params)
    severity = {r.id: r.severity for r in load_rules()}[rule]
    watched = {"reject", "error"} | ({severity} if severity == "warning" else set())
    before = {identity(i) for i in clean.issues}
    new = [i for i in result.issues if identity(i) not in before and i.severity in watched | {severity}]
    assert {i.rule for i in new} == {rule}, [str(i) for i in new]
    others = [str(i) for i in result.blocking if i.rule != rule]
    assert others == []
    dataset, record, variable, value = EXPECTED[rule]
    matching = [i for i in new if (dataset is None or i.dataset == dataset) and (record is None or i.record == record)
                and (variable is None or i.variable == variable) and (value is None or i.value == value)]
    assert matching, [i.model_dump() for i in new]
    assert result.exit_code == (1 if severity in ("reject", "error") else 0)
