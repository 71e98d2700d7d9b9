"""The spec loader accepts a good spec and names every problem of a bad one."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from cdisc_msc.spec.loader import SpecError, load_spec, read_spec

GOOD_DATASET = {
    "name": "XX", "label": "Example Findings", "class": "FINDINGS",
    "structure": "One record per subject per test", "keys": ["STUDYID", "USUBJID", "XXTESTCD"],
    "standard": "STD.SDTMIG.3-4",
    "variables": [
        {"name": "STUDYID", "label": "Study Identifier", "data_type": "text", "length": "data",
         "origin": {"type": "Assigned", "source": "Sponsor"}},
        {"name": "USUBJID", "label": "Unique Subject Identifier", "data_type": "text", "length": "data",
         "origin": {"type": "Derived", "source": "Sponsor"}, "method": "MT.X"},
        {"name": "XXTESTCD", "label": "Test Short Name", "data_type": "text", "length": 8,
         "origin": {"type": "Assigned", "source": "Sponsor"}},
        {"name": "XXSEX", "label": "Sex", "data_type": "text", "length": 1, "codelist": "CL.SEX",
         "comment": "COM.X", "origin": {"type": "Collected", "source": "Investigator"}},
    ],
}
GOOD_CODELISTS = [
    {"oid": "CL.SEX", "name": "Sex", "nci_code": "C66731",
     "terms": [{"value": "F", "nci_code": "C16576"}, {"value": "M", "nci_code": "C20197"}]},
    {"oid": "CL.UNIT", "name": "Unit", "nci_code": "C71620",
     "terms": [{"value": "10^6 Therapeutic Cells/kg", "extended": True}]},
    {"oid": "CL.SPON", "name": "Sponsor list", "sponsor": True, "terms": [{"value": "A"}]},
]


def write_spec(root: Path, dataset: dict, codelists: list, methods=None, comments=None) -> Path:
    d = root / "sdtm"
    (d / "datasets").mkdir(parents=True)
    (d / "standards.yaml").write_text(yaml.safe_dump([
        {"oid": "STD.SDTMIG.3-4", "name": "SDTMIG", "type": "IG", "version": "3.4"}]))
    (d / "codelists.yaml").write_text(yaml.safe_dump(codelists))
    (d / "methods.yaml").write_text(yaml.safe_dump(methods if methods is not None else [
        {"oid": "MT.X", "name": "X", "description": "derive x"}]))
    (d / "comments.yaml").write_text(yaml.safe_dump(comments if comments is not None else [
        {"oid": "COM.X", "text": "a comment"}]))
    (d / "datasets" / "xx.yaml").write_text(yaml.safe_dump(dataset))
    return d


def messages(d: Path) -> list[str]:
    _, report = read_spec(d, "sdtm")
    return [f"{p.column}|{p.value}|{p.message}" for p in report.errors]


def test_good_spec_loads(tmp_path):
    spec = load_spec(write_spec(tmp_path, GOOD_DATASET, GOOD_CODELISTS), "sdtm")
    assert spec.dataset("XX").names == ["STUDYID", "USUBJID", "XXTESTCD", "XXSEX"]


def test_shipped_specs_load():
    root = Path(__file__).resolve().parents[1] / "specs"
    for package in ("sdtm", "adam"):
        spec, report = read_spec(root / package, package)
        assert spec is not None
        assert not report.has_errors, report.summary(limit=50)


def mutate(**changes):
    ds = copy.deepcopy(GOOD_DATASET)
    for path, value in changes.items():
        idx, field = path.split("__")
        ds["variables"][int(idx[1:])][field] = value
    return ds


@pytest.mark.parametrize("dataset,expected", [
    (mutate(v2__name="XXTESTCODE"), "variables[2].name|XXTESTCODE|variable name is not a valid SAS v5 name"),
    (mutate(v2__name="xxtestcd"), "variables[2].name|xxtestcd|variable name is not a valid SAS v5 name"),
    (mutate(v2__label="A label that is far too long for SAS v5 xx"),
     "variables[2].label|A label that is far too long for SAS v5 xx|label has 42 characters"),
    (mutate(v3__name="XXTESTCD"), "variables[3].name|XXTESTCD|duplicate variable"),
    (mutate(v3__codelist="CL.NOPE"), "variables[3].codelist|CL.NOPE|unknown codelist reference"),
    (mutate(v1__method="MT.NOPE"), "variables[1].method|MT.NOPE|unknown method reference"),
    (mutate(v3__comment="COM.NOPE"), "variables[3].comment|COM.NOPE|unknown comment reference"),
])
def test_bad_variable_reported(tmp_path, dataset, expected):
    assert expected in messages(write_spec(tmp_path, dataset, GOOD_CODELISTS))


def test_key_not_in_dataset(tmp_path):
    ds = copy.deepcopy(GOOD_DATASET)
    ds["keys"] = ["STUDYID", "USUBJID", "XXSEQ"]
    assert "keys|XXSEQ|key variable not in the dataset" in messages(write_spec(tmp_path, ds, GOOD_CODELISTS))


def test_term_missing_from_ct(tmp_path):
    cls = copy.deepcopy(GOOD_CODELISTS)
    cls[0]["terms"].append({"value": "FEMALE"})
    assert "[0] CL.SEX.terms[2]|FEMALE|term missing from CT" in messages(write_spec(tmp_path, GOOD_DATASET, cls))


def test_wrong_term_code_and_unknown_codelist_code(tmp_path):
    cls = copy.deepcopy(GOOD_CODELISTS)
    cls[0]["terms"][0]["nci_code"] = "C20197"
    cls[2] = {"oid": "CL.SPON", "name": "x", "nci_code": "C99999999", "terms": []}
    got = messages(write_spec(tmp_path, GOOD_DATASET, cls))
    assert "[0] CL.SEX.terms[0]|C20197|wrong NCI code for term F" in got
    assert "[2] CL.SPON|C99999999|NCI codelist code not in CT 2025-03-28" in got


def test_extended_term_in_non_extensible_codelist(tmp_path):
    cls = copy.deepcopy(GOOD_CODELISTS)
    cls[0]["terms"].append({"value": "X", "extended": True})
    got = messages(write_spec(tmp_path, GOOD_DATASET, cls))
    assert "[0] CL.SEX.terms[2]|X|sponsor term added to non-extensible codelist SEX (C66731)" in got


def test_every_problem_reported_at_once(tmp_path):
    ds = mutate(v2__name="XXTESTCODE", v3__codelist="CL.NOPE", v1__method="MT.NOPE")
    got = messages(write_spec(tmp_path, ds, GOOD_CODELISTS))
    assert len(got) >= 3
    with pytest.raises(SpecError) as err:
        load_spec(tmp_path / "sdtm", "sdtm")
    assert "XXTESTCODE" in str(err.value) and "CL.NOPE" in str(err.value)


def test_malformed_yaml_and_wrong_field_type(tmp_path):
    d = write_spec(tmp_path, GOOD_DATASET, GOOD_CODELISTS)
    (d / "datasets" / "yy.yaml").write_text("name: YY\nlabel: [unclosed\n")
    (d / "datasets" / "zz.yaml").write_text(yaml.safe_dump({**GOOD_DATASET, "name": "ZZ", "keys": "STUDYID"}))
    _, report = read_spec(d, "sdtm")
    files = {(Path(p.file).name, p.code) for p in report.errors}
    assert ("yy.yaml", "SPEC-YAML") in files
    assert ("zz.yaml", "SPEC-FIELD") in files
