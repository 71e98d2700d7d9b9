"""CDISC conformance review of the SDTM/ADaM specs and both defines.

Each test pins one review finding; expected values come from SDTMIG 3.4,
Define-XML 2.1 / CDISC CT 2025-03-28 and the SAP (study.md), not from the code.
"""
from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

from cdisc_msc.config import load_config
from cdisc_msc.spec.ct import load_ct
from cdisc_msc.spec.loader import load_spec

ROOT = Path(__file__).resolve().parents[1]
SPECS = {pkg: load_spec(ROOT / "specs" / pkg, pkg) for pkg in ("sdtm", "adam")}
IG_CSV = ROOT.parent / "shared" / "reference" / "cdisc" / "sdtmig-3.4" / "Variables.csv"
NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1"}
MEDDRA_CODES = ("AELLTCD", "AEPTCD", "AEHLTCD", "AEHLGTCD", "AEBDSYCD", "AESOCCD")


def _sdtmig() -> dict[str, list[dict]]:
    if not IG_CSV.is_file():
        pytest.skip(f"SDTMIG reference metadata not found at {IG_CSV}")
    rows: dict[str, list[dict]] = {}
    with IG_CSV.open(encoding="utf-8-sig", newline="") as fh:
        for r in csv.DictReader(fh):
            rows.setdefault(r["Dataset Name"], []).append(r)
    return rows


# ------------------------------------------------------------------ external dictionaries
@pytest.mark.parametrize("pkg", ["sdtm", "adam"])
def test_external_dictionary_names_are_define_ct_terms(pkg):
    """ExternalCodeList/@Dictionary takes the Dictionary Name (C66788) submission value:
    WHODrug is "WHODD" (not "WHODRUG"), MedDRA is "MedDRA", CTCAE is "CTCAE"."""
    allowed = {"CDISC CT", "COSTART", "CTCAE", "ICD", "ICD-O", "ISO 3166", "LOINC", "MED-RT", "MedDRA",
               "SNOMED", "UNII", "WHO ATC CLASSIFICATION SYSTEM", "WHOART", "WHODD", "ISO 21090", "D-U-N-S NUMBER"}
    assert set(load_ct()["C66788"].terms) == allowed  # the shipped CT agrees with the reference list
    used = {cl.oid: cl.external.dictionary for cl in SPECS[pkg].codelists if cl.external}
    assert used and all(d in allowed for d in used.values()), used
    if pkg == "sdtm":
        assert used["CL.WHODRUG"] == "WHODD"


@pytest.mark.parametrize("pkg,dataset", [("sdtm", "AE"), ("adam", "ADAE")])
def test_aetoxgr_refers_to_ctcae(pkg, dataset):
    """AETOXGR is graded with CTCAE v5.0 (SAP 4.1): its codelist is the external CTCAE dictionary."""
    spec = SPECS[pkg]
    cl = spec.codelist(spec.dataset(dataset).variable("AETOXGR").codelist)
    assert cl.external is not None and cl.external.dictionary == "CTCAE"


@pytest.mark.parametrize("pkg", ["sdtm", "adam"])
def test_codelist_data_type_matches_variable(pkg):
    """Define-XML: a CodeList's DataType must equal the DataType of every item that refers to it
    (the integer MedDRA codes cannot use the text MedDRA codelist)."""
    spec = SPECS[pkg]
    bad = []
    for ds in spec.datasets:
        items = [(v.name, v.data_type, v.codelist) for v in ds.variables]
        items += [(f"{v.name}[{i}]", vl.data_type, vl.codelist) for v in ds.variables for i, vl in enumerate(v.value_level)]
        for name, dtype, oid in items:
            if oid is None:
                continue
            expected = dtype if dtype in ("integer", "float") else "text"
            if spec.codelist(oid).data_type != expected:
                bad.append(f"{ds.name}.{name} {dtype} -> {oid} {spec.codelist(oid).data_type}")
    assert bad == []
    ae = spec.dataset("AE" if pkg == "sdtm" else "ADAE")
    for name in MEDDRA_CODES:
        cl = spec.codelist(ae.variable(name).codelist)
        assert (cl.data_type, cl.external.dictionary) == ("integer", "MedDRA"), name


def test_built_defines_external_codelists_and_types(built_package):
    """In the written defines: CTCAE 5.0 / MedDRA 27.1 / WHODD from the configuration, and no
    ItemDef whose CodeListRef points to a codelist of another DataType."""
    versions = {}
    for pkg in ("sdtm", "adam"):
        root = etree.parse(str(built_package / pkg / "define.xml")).getroot()
        types = {c.get("OID"): c.get("DataType") for c in root.iterfind(".//odm:CodeList", NS)}
        for item in root.iterfind(".//odm:ItemDef", NS):
            ref = item.find("odm:CodeListRef", NS)
            if ref is not None:
                assert types[ref.get("CodeListOID")] == item.get("DataType"), item.get("OID")
        for ext in root.iterfind(".//odm:ExternalCodeList", NS):
            versions.setdefault(ext.get("Dictionary"), set()).add(ext.get("Version"))
    assert versions["CTCAE"] == {"5.0"} and versions["MedDRA"] == {"27.1"}
    assert versions["WHODD"] == {"GLOBAL B3 2024 MAR 1"} and "WHODRUG" not in versions


# ------------------------------------------------------------------ SDTM structure vs SDTMIG 3.4
def test_special_purpose_domains_hold_only_ig_variables():
    """Variables cannot be added to special-purpose domains: SV has no EPOCH in SDTMIG 3.4."""
    ig = _sdtmig()
    for name in ("DM", "SV", "SE"):
        allowed = {r["Variable Name"] for r in ig[name]}
        extra = [v for v in SPECS["sdtm"].dataset(name).names if v not in allowed]
        assert extra == [], name
    assert "EPOCH" not in SPECS["sdtm"].dataset("SV").names


def test_sdtm_labels_roles_and_order_follow_the_ig():
    """Every SDTM variable defined in SDTMIG 3.4 for its domain has the IG label and role, in IG order
    (e.g. CMDOSFRQ is a Record Qualifier)."""
    ig = _sdtmig()
    problems = []
    for ds in SPECS["sdtm"].datasets:
        rows = ig.get("SUPPQUAL" if ds.name.startswith("SUPP") else ds.name, [])
        by_name = {r["Variable Name"].replace("--", ds.name[:2]): r for r in rows}
        for v in ds.variables:
            r = by_name.get(v.name)
            if r and (r["Variable Label"], r["Role"]) != (v.label, v.role):
                problems.append(f"{ds.name}.{v.name}: {(v.label, v.role)} vs IG {(r['Variable Label'], r['Role'])}")
        ig_order = [n for n in by_name if n in ds.names]
        assert [n for n in ds.names if n in by_name] == ig_order, ds.name
    assert problems == []
    assert SPECS["sdtm"].dataset("CM").variable("CMDOSFRQ").role == "Record Qualifier"


def test_suppex_rdomain_uses_domain_abbreviation_ct():
    """RDOMAIN is controlled by SDTM Domain Abbreviation (C66734); EX is C49587."""
    spec = SPECS["sdtm"]
    cl = spec.codelist(spec.dataset("SUPPEX").variable("RDOMAIN").codelist)
    assert cl.nci_code == "C66734"
    assert [(t.value, t.nci_code) for t in cl.terms] == [("EX", "C49587")]


# ------------------------------------------------------------------ TS
def test_ts_not_applicable_parameters_carry_null_flavor_na():
    """Single group, not randomised, no exploratory outcome (SAP 1): COMPTRT, RANDQT and OUTMSEXP
    are present with TSVAL null and TSVALNF = NA; STOPRULE stays NI."""
    from cdisc_msc.sdtm.trial_design import derive_ts

    config = load_config(ROOT / "specs" / "study.yaml")
    dm = pd.DataFrame({"USUBJID": ["S1", "S2"], "ARMCD": ["MSC1", None],
                       "RFICDTC": ["2024-01-10", "2024-01-05"], "RFPENDTC": ["2025-01-20", "2024-01-12"]})
    ds = pd.DataFrame({"USUBJID": ["S1", "S2"], "DSCAT": ["DISPOSITION EVENT"] * 2})
    ts = derive_ts(config, dm, ds).set_index("TSPARMCD")
    for parmcd, parm in (("COMPTRT", "Comparative Treatment Name"), ("RANDQT", "Randomization Quotient"),
                         ("OUTMSEXP", "Exploratory Outcome Measure")):
        row = ts.loc[parmcd]
        assert pd.isna(row["TSVAL"]) and row["TSVALNF"] == "NA" and row["TSPARM"] == parm, parmcd
    assert ts.loc["STOPRULE", "TSVALNF"] == "NI"
    assert ts.loc["SSTDTC", "TSVAL"] == "2024-01-10"  # S2 (not assigned) excluded
    spec = SPECS["sdtm"]
    assert {"NA", "NI"} <= {t.value for t in spec.codelist("CL.TS.NULLFLAV").terms}
    codes = {t.value: t.nci_code for t in spec.codelist("CL.TS.TSPARMCD").terms}
    assert (codes["COMPTRT"], codes["RANDQT"], codes["OUTMSEXP"]) == ("C68612", "C98775", "C98724")


def test_sdtm_dataset_labels_are_the_ig_labels():
    """Dataset labels as in SDTMIG 3.4 Datasets.csv (CM is "Concomitant/Prior Medications");
    SUPP-- datasets: "Supplemental Qualifiers for <domain>" with the SUPPQUAL structure."""
    path = IG_CSV.with_name("Datasets.csv")
    if not path.is_file():
        pytest.skip(f"SDTMIG dataset metadata not found at {path}")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        ig = {r["Dataset Name"]: r for r in csv.DictReader(fh)}
    for ds in SPECS["sdtm"].datasets:
        if ds.name.startswith("SUPP"):
            assert ds.label == f"Supplemental Qualifiers for {ds.name[4:]}"
            assert ds.structure == ig["SUPPQUAL"]["Structure"]
        else:
            assert ds.label == ig[ds.name]["Dataset Label"], ds.name
    assert SPECS["sdtm"].dataset("CM").label == "Concomitant/Prior Medications"


# ODM 1.3.2 types: datetime is xs:dateTime (seconds required); date is xs:date; partialDate/partialDatetime
# allow right truncation (YYYY-MM-DDThh:mm is a partialDatetime).
ISO_TYPES = {
    "date": r"\d{4}-\d\d-\d\d",
    "datetime": r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?",
    "partialDate": r"\d{4}(-\d\d(-\d\d)?)?",
    "partialDatetime": r"\d{4}(-\d\d(-\d\d(T\d\d(:\d\d(:\d\d(\.\d+)?)?)?)?)?)?",
}


def test_iso8601_values_match_their_define_data_type(built_package):
    """Every --DTC value conforms to the DataType written for it: the infusion and element
    date/times are minutes-precision (and SE mixes dates and date/times), so partialDatetime."""
    from cdisc_msc.io.xpt import read_xpt

    bad = []
    for ds in SPECS["sdtm"].datasets:
        frame, _ = read_xpt(built_package / "sdtm" / f"{ds.name.lower()}.xpt")
        for v in ds.variables:
            pattern = ISO_TYPES.get(v.data_type)
            if pattern is None:
                continue
            values = frame[v.name].astype("string").replace("", pd.NA).dropna()
            wrong = values[~values.str.fullmatch(pattern)]
            if len(wrong):
                bad.append(f"{ds.name}.{v.name} {v.data_type}: {wrong.iloc[0]}")
    assert bad == []
    for name, var in (("DM", "RFSTDTC"), ("EX", "EXSTDTC"), ("SE", "SESTDTC")):
        assert SPECS["sdtm"].dataset(name).variable(var).data_type == "partialDatetime"
