"""Define-XML 2.1 generation: schema validity, content worked out by hand from
a small spec and frames, byte-identical output, one spec change -> one change.

The fixture (also used by test_define_consistency.py): DM (2 subjects, both
F, both arm MSC1), QS (value-level metadata by QSTESTCD; SF36328 has no
record), AE (declared, no data) and the codelists they use: a CT codelist
with an unused term (SEX), an extensible one with a sponsor term (UNIT), a
sponsor codelist (ARMCD) and external dictionaries (ISO 3166, MedDRA).
"""
from __future__ import annotations

import difflib
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

from cdisc_msc.config import StudyConfig, load_config
from cdisc_msc.define import (
    DefineError, contents_from_frames, contents_from_xpt_dir, define_xml, validate_define,
)
from cdisc_msc.io.xpt import write_xpt_from_spec
from cdisc_msc.spec.model import Spec

ROOT = Path(__file__).resolve().parents[1]


def config() -> StudyConfig:
    return load_config(ROOT / "specs" / "study.yaml")


def _var(name, label, data_type="text", **kw):
    out = {"name": name, "label": label, "data_type": data_type,
           "origin": kw.pop("origin", {"type": "Assigned", "source": "Sponsor"})}
    out.update(kw)
    return out


def spec_dict() -> dict:
    """The spec as plain data, so a test can change one field and rebuild it."""
    ident = [
        _var("STUDYID", "Study Identifier", length="data", mandatory=True),
        _var("DOMAIN", "Domain Abbreviation", length=2, mandatory=True),
        _var("USUBJID", "Unique Subject Identifier", length="data", mandatory=True,
             origin={"type": "Derived", "source": "Sponsor"}, method="MT.USUBJID"),
    ]
    return {
        "package": "sdtm",
        "standards": [
            {"oid": "STD.SDTMIG.3-4", "name": "SDTMIG", "type": "IG", "version": "3.4"},
            {"oid": "STD.SDTM.CT", "name": "CDISC/NCI", "type": "CT", "publishing_set": "SDTM",
             "version": "2025-03-28"},
            {"oid": "STD.DEFINE.CT", "name": "CDISC/NCI", "type": "CT", "publishing_set": "DEFINE-XML",
             "version": "2025-03-28"},
        ],
        "documents": [{"oid": "LF.ACRF", "title": "Annotated CRF", "href": "acrf.pdf"}],
        "datasets": [
            {"name": "DM", "label": "Demographics", "class": "SPECIAL PURPOSE", "structure": "One record per subject",
             "keys": ["STUDYID", "USUBJID"], "standard": "STD.SDTMIG.3-4", "domain": "DM", "repeating": False,
             "comment": "COM.DM",
             "variables": ident + [
                 _var("SEX", "Sex", length=1, codelist="CL.SEX",
                      origin={"type": "Collected", "source": "Investigator", "pages": "3"}),
                 _var("ARMCD", "Planned Arm Code", length="data", codelist="CL.ARMCD"),
                 _var("COUNTRY", "Country", length=3, codelist="CL.COUNTRY"),
                 _var("AGE", "Age", "integer", origin={"type": "Derived", "source": "Sponsor"}, method="MT.DM.AGE"),
                 _var("DTHDTC", "Date/Time of Death", "datetime", length="data",
                      origin={"type": "Collected", "source": "Investigator"}),
             ]},
            {"name": "QS", "label": "Questionnaires", "class": "FINDINGS", "structure":
                "One record per questionnaire per question per time point per visit per subject",
             "keys": ["STUDYID", "USUBJID", "QSTESTCD"], "standard": "STD.SDTMIG.3-4", "domain": "QS",
             "variables": ident + [
                 _var("QSTESTCD", "Question Short Name", length="data", codelist="CL.QSTESTCD"),
                 _var("QSSTRESN", "Numeric Finding in Standard Units", "float",
                      origin={"type": "Derived", "source": "Sponsor"}, method="MT.QS.SCORE",
                      value_level=[
                          {"where": [{"variable": "QSTESTCD", "values": ["EQ5D0206"]}], "data_type": "integer",
                           "origin": {"type": "Collected", "source": "Subject"}},
                          {"where": [{"variable": "QSTESTCD", "values": ["SF36320"]}], "data_type": "float",
                           "origin": {"type": "Derived", "source": "Sponsor"}, "method": "MT.QS.NBS"},
                          {"where": [{"variable": "QSTESTCD", "values": ["SF36328"]}], "data_type": "float",
                           "origin": {"type": "Derived", "source": "Sponsor"}, "method": "MT.QS.NBS"},
                      ]),
                 _var("QSSTRESU", "Standard Units", length="data", codelist="CL.UNIT"),
             ]},
            {"name": "AE", "label": "Adverse Events", "class": "EVENTS", "structure":
                "One record per adverse event per subject", "keys": ["STUDYID", "USUBJID", "AEDECOD"],
             "standard": "STD.SDTMIG.3-4", "domain": "AE",
             "variables": ident + [
                 _var("AEDECOD", "Dictionary-Derived Term", length="data", codelist="CL.MEDDRA",
                      origin={"type": "Assigned", "source": "Vendor"}),
             ]},
        ],
        "codelists": [
            {"oid": "CL.SEX", "name": "Sex", "nci_code": "C66731", "terms": [
                {"value": "F", "decode": "Female", "nci_code": "C16576"},
                {"value": "M", "decode": "Male", "nci_code": "C20197"}]},
            {"oid": "CL.UNIT", "name": "Unit", "nci_code": "C71620", "terms": [
                {"value": "mg", "decode": "Milligram", "nci_code": "C28253"},
                {"value": "10^6 Therapeutic Cells/kg", "decode": "10^6 Therapeutic Cells per kilogram",
                 "extended": True}]},
            {"oid": "CL.ARMCD", "name": "Planned Arm Code", "sponsor": True, "terms": [
                {"value": "MSC1", "decode": "MSC 1 x10^6 cells/kg"},
                {"value": "MSC2", "decode": "MSC 2 x10^6 cells/kg"}]},
            {"oid": "CL.QSTESTCD", "name": "QS test codes", "sponsor": True, "terms": [
                {"value": "EQ5D0206"}, {"value": "SF36320"}, {"value": "SF36328"}]},
            {"oid": "CL.COUNTRY", "name": "Country",
             "external": {"dictionary": "ISO 3166", "version": "2020-08"}},
            {"oid": "CL.MEDDRA", "name": "MedDRA", "external": {"dictionary": "MedDRA", "version": "x"}},
        ],
        "methods": [
            {"oid": "MT.USUBJID", "name": "USUBJID", "description": 'STUDYID || "-" || SITEID || "-" || SUBJID.'},
            {"oid": "MT.DM.AGE", "name": "Age", "description": "Whole years from birth date to consent date."},
            {"oid": "MT.QS.SCORE", "name": "Score", "description": "See value-level metadata."},
            {"oid": "MT.QS.NBS", "name": "SF-36 norm-based score",
             "description": "NBS = 50 + 10 x (score - mean) / sd with the {config.sf36_norms.name}."},
            {"oid": "MT.UNUSED", "name": "Unused", "description": "Referenced by nothing."},
        ],
        "comments": [{"oid": "COM.DM", "text": "Screen failures included.", "documents": ["LF.ACRF"]}],
    }


def spec(data: dict | None = None) -> Spec:
    return Spec.model_validate(data or spec_dict())


def frames() -> dict[str, pd.DataFrame]:
    """DM with 2 subjects (both F, arm MSC1 only); QS without SF36328 rows; no AE."""
    dm = pd.DataFrame({
        "STUDYID": ["MSC-SLE", "MSC-SLE"], "DOMAIN": ["DM", "DM"],
        "USUBJID": ["MSC-SLE-001-001", "MSC-SLE-001-002"], "SEX": ["F", "F"],
        "ARMCD": ["MSC1", "MSC1"], "COUNTRY": ["FRA", "FRA"], "AGE": [34.0, 51.0],
        "DTHDTC": pd.array([pd.NA, pd.NA], dtype="string"),
    }).astype({"STUDYID": "string", "DOMAIN": "string", "USUBJID": "string", "SEX": "string",
               "ARMCD": "string", "COUNTRY": "string"})
    qs = pd.DataFrame({
        "STUDYID": ["MSC-SLE"] * 3, "DOMAIN": ["QS"] * 3, "USUBJID": ["MSC-SLE-001-001"] * 3,
        "QSTESTCD": ["EQ5D0206", "SF36320", "SF36320"],
        "QSSTRESN": [80.0, 47.25, 52.125],
        "QSSTRESU": pd.array([pd.NA, pd.NA, pd.NA], dtype="string"),
    })
    return {"DM": dm, "QS": qs}


NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1",
      "xlink": "http://www.w3.org/1999/xlink"}
DEF = "{http://www.cdisc.org/ns/def/v2.1}"


def generate(data: dict | None = None, frame_map: dict | None = None) -> bytes:
    sp = spec(data)
    return define_xml(sp, config(), contents_from_frames(sp, frames() if frame_map is None else frame_map))


@pytest.fixture(scope="module")
def xml() -> bytes:
    return generate()


@pytest.fixture(scope="module")
def root(xml) -> etree._Element:
    return etree.fromstring(xml)


def one(root, path):
    found = root.findall(path, NS)
    assert len(found) == 1, f"{path}: {len(found)} matches"
    return found[0]


def item_def(root, oid):
    return one(root, f".//odm:ItemDef[@OID='{oid}']")


def item_ref(root, dataset, variable):
    return one(root, f".//odm:ItemGroupDef[@Name='{dataset}']/odm:ItemRef[@ItemOID='IT.{dataset}.{variable}']")


def coded_values(root, oid):
    cl = one(root, f".//odm:CodeList[@OID='{oid}']")
    return [i.get("CodedValue") for i in cl if etree.QName(i).localname in ("CodeListItem", "EnumeratedItem")]


# --------------------------------------------------------------------------- validity, determinism


def test_generated_define_is_schema_valid(xml):
    assert validate_define(xml) == []


def test_adam_define_with_subclass_and_occds_standard_is_schema_valid():
    data = spec_dict()
    data["package"] = "adam"
    data["standards"] = [
        {"oid": "STD.ADAMIG.1-3", "name": "ADaMIG", "type": "IG", "version": "1.3"},
        {"oid": "STD.OCCDS.1-1", "name": "ADaM-OCCDSIG", "type": "IG", "version": "1.1"},
        {"oid": "STD.ADAM.CT", "name": "CDISC/NCI", "type": "CT", "publishing_set": "ADaM", "version": "2025-03-28"},
    ]
    ae = next(d for d in data["datasets"] if d["name"] == "AE")
    data["datasets"] = [dict(ae, name="ADAE", label="Adverse Events Analysis Dataset",
                             **{"class": "OCCURRENCE DATA STRUCTURE"}, subclass="ADVERSE EVENT",
                             standard="STD.OCCDS.1-1", purpose="Analysis", domain=None)]
    data["datasets"][0]["variables"] = [dict(v, role="Identifier") for v in ae["variables"]]
    adae = pd.DataFrame({"STUDYID": ["MSC-SLE"], "DOMAIN": ["AE"], "USUBJID": ["MSC-SLE-001-001"],
                         "AEDECOD": ["Headache"]})
    out = generate(data, {"ADAE": adae})
    assert validate_define(out) == []
    root = etree.fromstring(out)
    cls = one(root, ".//odm:ItemGroupDef[@Name='ADAE']/def:Class")
    assert cls.get("Name") == "OCCURRENCE DATA STRUCTURE"
    assert one(cls, "def:SubClass").get("Name") == "ADVERSE EVENT"
    assert [s.get("Name") for s in root.findall(".//def:Standard", NS)] == ["ADaMIG", "ADaM-OCCDSIG", "CDISC/NCI"]
    assert item_ref(root, "ADAE", "STUDYID").get("Role") is None  # roles are SDTM metadata


def test_identical_inputs_give_identical_bytes(xml):
    assert generate() == xml


def test_define_from_written_xpt_files_equals_define_from_frames(xml, tmp_path):
    sp, cfg = spec(), config()
    for name, frame in frames().items():
        write_xpt_from_spec(frame, sp.dataset(name), tmp_path, created=cfg.creation_datetime)
    contents, problems = contents_from_xpt_dir(sp, tmp_path)
    assert problems == []
    assert define_xml(sp, cfg, contents) == xml


def test_a_label_change_changes_that_label_and_nothing_else(xml):
    data = spec_dict()
    dm = next(d for d in data["datasets"] if d["name"] == "DM")
    next(v for v in dm["variables"] if v["name"] == "SEX")["label"] = "Sex of Subject"
    changed = generate(data)
    diff = [line for line in difflib.unified_diff(xml.decode().splitlines(), changed.decode().splitlines(),
                                                  lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert diff == ['-          <TranslatedText xml:lang="en">Sex</TranslatedText>',
                    '+          <TranslatedText xml:lang="en">Sex of Subject</TranslatedText>']


# --------------------------------------------------------------------------- study level


def test_study_level_metadata(root):
    assert root.get("CreationDateTime") == "2026-11-01T09:00:00"  # specs/study.yaml creation_datetime
    assert root.get(f"{DEF}Context") == "Submission"
    assert one(root, ".//odm:GlobalVariables/odm:StudyName").text == "MSC-SLE"
    assert one(root, ".//odm:GlobalVariables/odm:ProtocolName").text == "MSC-SLE"
    assert one(root, ".//odm:MetaDataVersion").get(f"{DEF}DefineVersion") == "2.1.0"
    assert [(s.get("Name"), s.get("Type"), s.get("PublishingSet"), s.get("Version"))
            for s in root.findall(".//def:Standards/def:Standard", NS)] == [
        ("SDTMIG", "IG", None, "3.4"), ("CDISC/NCI", "CT", "SDTM", "2025-03-28"),
        ("CDISC/NCI", "CT", "DEFINE-XML", "2025-03-28")]
    assert one(root, ".//def:AnnotatedCRF/def:DocumentRef").get("leafID") == "LF.ACRF"
    assert one(root, ".//odm:MetaDataVersion/def:leaf[@ID='LF.ACRF']").get(f"{{{NS['xlink']}}}href") == "acrf.pdf"


# --------------------------------------------------------------------------- datasets and variables


def test_item_groups_keys_class_and_leaf(root):
    dm = one(root, ".//odm:ItemGroupDef[@Name='DM']")
    assert (dm.get("Repeating"), dm.get("Domain"), dm.get(f"{DEF}Structure")) == ("No", "DM", "One record per subject")
    assert one(dm, "def:Class").get("Name") == "SPECIAL PURPOSE"
    assert one(dm, "def:leaf").get(f"{{{NS['xlink']}}}href") == "dm.xpt"
    assert dm.get(f"{DEF}ArchiveLocationID") == "LF.DM"
    keys = {r.get("ItemOID"): r.get("KeySequence") for r in root.findall(".//odm:ItemGroupDef[@Name='QS']/odm:ItemRef", NS)}
    assert keys == {"IT.QS.STUDYID": "1", "IT.QS.DOMAIN": None, "IT.QS.USUBJID": "2", "IT.QS.QSTESTCD": "3",
                    "IT.QS.QSSTRESN": None, "IT.QS.QSSTRESU": None}
    assert item_ref(root, "DM", "USUBJID").get("MethodOID") == "MT.USUBJID"


def test_has_no_data(root):
    ae = one(root, ".//odm:ItemGroupDef[@Name='AE']")
    assert ae.get(f"{DEF}HasNoData") == "Yes"
    assert ae.find("def:leaf", NS) is None and ae.get(f"{DEF}ArchiveLocationID") is None
    assert one(root, ".//odm:ItemGroupDef[@Name='DM']").get(f"{DEF}HasNoData") is None
    assert item_ref(root, "DM", "DTHDTC").get(f"{DEF}HasNoData") == "Yes"      # all missing
    assert item_ref(root, "QS", "QSSTRESU").get(f"{DEF}HasNoData") == "Yes"    # all missing
    assert item_ref(root, "DM", "SEX").get(f"{DEF}HasNoData") is None


def test_lengths_are_the_xpt_lengths_and_floats_have_significant_digits(root):
    # "MSC-SLE" has 7 characters, "MSC-SLE-001-001" 15; numerics are 8 bytes in XPT
    assert item_def(root, "IT.DM.STUDYID").get("Length") == "7"
    assert item_def(root, "IT.DM.USUBJID").get("Length") == "15"
    assert item_def(root, "IT.DM.SEX").get("Length") == "1"
    assert item_def(root, "IT.DM.AGE").get("Length") == "8"
    assert item_def(root, "IT.DM.DTHDTC").get("Length") is None  # ISO 8601 types carry no Length
    qsstresn = item_def(root, "IT.QS.QSSTRESN")
    assert (qsstresn.get("DataType"), qsstresn.get("SignificantDigits")) == ("float", "3")  # 52.125


def test_origins(root):
    sex = one(item_def(root, "IT.DM.SEX"), "def:Origin")
    assert (sex.get("Type"), sex.get("Source")) == ("Collected", "Investigator")
    page = one(sex, "def:DocumentRef/def:PDFPageRef")
    assert (page.get("PageRefs"), page.get("Type")) == ("3", "PhysicalRef")
    usubjid = one(item_def(root, "IT.DM.USUBJID"), "def:Origin")
    assert (usubjid.get("Type"), usubjid.get("Source")) == ("Derived", "Sponsor")


# --------------------------------------------------------------------------- value level


def test_value_lists_and_where_clauses(root):
    assert one(item_def(root, "IT.QS.QSSTRESN"), "def:ValueListRef").get("ValueListOID") == "VL.QS.QSSTRESN"
    refs = root.findall(".//def:ValueListDef[@OID='VL.QS.QSSTRESN']/odm:ItemRef", NS)
    assert [(r.get("ItemOID"), r.get("MethodOID"), r.get(f"{DEF}HasNoData")) for r in refs] == [
        ("IT.QS.QSSTRESN.EQ5D0206", None, None),
        ("IT.QS.QSSTRESN.SF36320", "MT.QS.NBS", None),
        ("IT.QS.QSSTRESN.SF36328", "MT.QS.NBS", "Yes")]  # no SF36328 record
    check = one(root, ".//def:WhereClauseDef[@OID='WC.QS.QSTESTCD.SF36320']/odm:RangeCheck")
    assert (check.get("Comparator"), check.get(f"{DEF}ItemOID")) == ("EQ", "IT.QS.QSTESTCD")
    assert [c.text for c in check] == ["SF36320"]
    assert item_def(root, "IT.QS.QSSTRESN.EQ5D0206").get("DataType") == "integer"
    assert item_def(root, "IT.QS.QSSTRESN.SF36320").get("SignificantDigits") == "3"  # 47.25, 52.125


# --------------------------------------------------------------------------- codelists


def test_codelists_are_limited_to_the_terms_used(root):
    assert coded_values(root, "CL.SEX") == ["F"]             # both subjects F
    assert coded_values(root, "CL.ARMCD") == ["MSC1"]
    assert coded_values(root, "CL.QSTESTCD") == ["EQ5D0206", "SF36320"]
    # QSSTRESU has no value: its codelist keeps the declared terms
    assert coded_values(root, "CL.UNIT") == ["mg", "10^6 Therapeutic Cells/kg"]


def test_nci_codes_extended_and_sponsor_codelists(root):
    sex = one(root, ".//odm:CodeList[@OID='CL.SEX']")
    assert one(sex, "odm:Alias").get("Name") == "C66731"
    assert one(sex, "odm:CodeListItem/odm:Alias").get("Name") == "C16576"
    assert sex.get(f"{DEF}StandardOID") == "STD.SDTM.CT"
    sponsor_term = one(root, ".//odm:CodeList[@OID='CL.UNIT']/odm:CodeListItem[@CodedValue='10^6 Therapeutic Cells/kg']")
    assert sponsor_term.get(f"{DEF}ExtendedValue") == "Yes"
    assert sponsor_term.find("odm:Alias", NS) is None
    assert one(root, ".//odm:CodeList[@OID='CL.UNIT']/odm:CodeListItem[@CodedValue='mg']").get(f"{DEF}ExtendedValue") is None
    armcd = one(root, ".//odm:CodeList[@OID='CL.ARMCD']")
    assert armcd.get(f"{DEF}IsNonStandard") == "Yes" and armcd.find(".//odm:Alias", NS) is None


def test_external_codelists_take_dictionary_versions_from_the_config(root):
    meddra = one(root, ".//odm:CodeList[@OID='CL.MEDDRA']/odm:ExternalCodeList")
    assert (meddra.get("Dictionary"), meddra.get("Version")) == ("MedDRA", "27.1")  # study.yaml, not the spec's "x"
    iso = one(root, ".//odm:CodeList[@OID='CL.COUNTRY']/odm:ExternalCodeList")
    assert (iso.get("Dictionary"), iso.get("Version")) == ("ISO 3166", "2020-08")


# --------------------------------------------------------------------------- methods and comments


def test_methods_render_config_placeholders_and_only_referenced_ones(root):
    assert [m.get("OID") for m in root.findall(".//odm:MethodDef", NS)] == [
        "MT.DM.AGE", "MT.QS.NBS", "MT.QS.SCORE", "MT.USUBJID"]  # MT.UNUSED is referenced by nothing
    text = one(root, ".//odm:MethodDef[@OID='MT.QS.NBS']/odm:Description/odm:TranslatedText").text
    assert text == ("NBS = 50 + 10 x (score - mean) / sd with the US 1998 general population norms "
                    "with 1990 factor score coefficients.")
    comment = one(root, ".//def:CommentDef[@OID='COM.DM']")
    assert one(comment, "odm:Description/odm:TranslatedText").text == "Screen failures included."
    assert one(comment, "def:DocumentRef").get("leafID") == "LF.ACRF"


def test_unknown_placeholder_is_an_error():
    data = spec_dict()
    data["methods"][1]["description"] = "Uses {config.no_such_field}."
    with pytest.raises(DefineError, match="no_such_field"):
        generate(data)


def test_a_dataset_written_but_not_in_the_spec_is_an_error():
    sp = spec()
    contents = contents_from_frames(sp, frames())
    contents["XX"] = contents["DM"]
    with pytest.raises(DefineError, match="not in the sdtm spec"):
        define_xml(sp, config(), contents)


# --------------------------------------------------------------------------- validate_define


def test_malformed_define_names_file_and_line(tmp_path):
    path = tmp_path / "define.xml"
    path.write_bytes(b'<?xml version="1.0"?>\n<ODM>\n  <Study>\n</ODM>\n')
    [problem] = validate_define(path)
    assert (problem.code, problem.file, problem.row) == ("DEFINE-XML", str(path), 4)
    assert "not well-formed" in problem.message


def test_entities_are_not_expanded(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    doc = (f'<?xml version="1.0"?><!DOCTYPE ODM [<!ENTITY x SYSTEM "file://{secret}">]>'
           f'<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3">&x;</ODM>').encode()
    [problem] = validate_define(doc)
    assert problem.code == "DEFINE-XML" and "DOCTYPE" in problem.message
    assert "TOPSECRET" not in str(problem)


def test_schema_violation_is_reported(xml):
    broken = xml.replace(b' def:DefineVersion="2.1.0"', b"")
    problems = validate_define(broken)
    assert [p.code for p in problems] == ["DEFINE-SCHEMA"]
    assert "DefineVersion" in problems[0].message and problems[0].row == 10  # line 10: <MetaDataVersion
