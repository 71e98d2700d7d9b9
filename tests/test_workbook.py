"""Spec workbook (P21 define-spec layout): export, import with located problems, YAML folder, round trips."""
from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from cdisc_msc.config import load_config
from cdisc_msc.spec.loader import read_spec
from cdisc_msc.spec.model import (
    Codelist, Comment, Dataset, Document, ExternalDictionary, Method, Origin, Spec, Standard, Term,
    ValueLevel, Variable, WhereCondition,
)
from cdisc_msc.spec.workbook import (
    SHEETS, export_workbook, import_workbook, join_list, load_workbook_spec, split_list, write_spec_folder,
)
from cdisc_msc.spec.loader import SpecError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def config():
    return load_config(ROOT / "specs" / "study.yaml")


def every_field_spec() -> Spec:
    """A small spec that sets every field of the model at least once (and leaves defaults elsewhere)."""
    where_multi = [WhereCondition(variable="VSTESTCD", comparator="IN", values=["WEIGHT", 'A, "B"', " lead"]),
                   WhereCondition(variable="VSPOS", comparator="NE", values=["STANDING"])]
    vs = Dataset(
        name="VS", label="Vital Signs", class_="FINDINGS", subclass="SUB", structure="One record per test",
        keys=["STUDYID", "USUBJID", "VSTESTCD"], standard="STD.IG", domain="VS", repeating=True,
        reference_data=True, purpose="Tabulation", comment="COM.VS",
        variables=[
            Variable(name="STUDYID", label="Study Identifier", data_type="text", length="data", mandatory=True,
                     origin=Origin(type="Protocol"), role="Identifier", core="Req"),
            Variable(name="USUBJID", label="Unique Subject Identifier", data_type="text", length=20, mandatory=True,
                     origin=Origin(type="Predecessor", predecessor="DM.USUBJID"), role="Identifier", core="Req"),
            Variable(name="VSTESTCD", label="Vital Signs Test Short Name", data_type="text", length=8,
                     codelist="CL.NY", origin=Origin(type="Collected", source="Investigator", pages="12 13"),
                     comment="COM.VS", role="Topic", core="Req"),
            Variable(name="VSPOS", label="Position", data_type="text", length=8, origin=Origin(type="Collected",
                     source="Subject"), role="Record Qualifier", core="Perm"),
            Variable(name="VSSTRESN", label="Numeric Result", data_type="float", significant_digits=2,
                     display_format="8.2", origin=Origin(type="Derived", source="Sponsor"), method="MT.X",
                     role="Result Qualifier", core="Exp", value_level=[
                         ValueLevel(where=where_multi, label="Weight", data_type="float", length=8,
                                    significant_digits=1, display_format="5.1", mandatory=True, codelist="CL.UNIT",
                                    origin=Origin(type="Derived", source="Vendor", predecessor="X.Y", pages="3"),
                                    method="MT.X", comment="COM.VS"),
                         ValueLevel(where=[WhereCondition(variable="VSTESTCD", values=["HEIGHT"])],
                                    data_type="integer", origin=Origin(type="Assigned")),
                     ]),
            Variable(name="VSDTC", label="Date/Time", data_type="datetime", origin=Origin(type="Not Available")),
        ])
    return Spec(
        package="sdtm",
        standards=[Standard(oid="STD.IG", name="SDTMIG", type="IG", version="3.4", status="Draft"),
                   Standard(oid="STD.CT", name="CDISC/NCI", type="CT", version="2025-03-28", publishing_set="SDTM")],
        datasets=[vs],
        codelists=[
            Codelist(oid="CL.NY", name="No Yes Response", nci_code="C66742", comment="COM.VS", terms=[
                Term(value="Y", decode="Yes", nci_code="C49488", rank=2.0), Term(value="N", decode="No")]),
            Codelist(oid="CL.MEDDRA", name="MedDRA", external=ExternalDictionary(
                dictionary="MedDRA", version="27.1", ref="meddra-ref", href="https://www.meddra.org")),
            Codelist(oid="CL.UNIT", name="Unit", nci_code="C71620", terms=[
                Term(value="kg", nci_code="C28252"), Term(value="10^6 cells/kg", extended=True)]),
            Codelist(oid="CL.EMPTY", name="Sponsor, empty", data_type="integer", sponsor=True),
        ],
        methods=[Method(oid="MT.X", name="Result", type="Imputation", description="Line 1\nline 2",
                        documents=["DOC.SAP", "DOC.A,B"], expression="x = round(y, 2)")],
        comments=[Comment(oid="COM.VS", text="A comment", documents=["DOC.SAP"])],
        documents=[Document(oid="DOC.SAP", title="SAP", href="sap.pdf"),
                   Document(oid="DOC.A,B", title="Odd id", href="odd.pdf")],
    )


# ---------------------------------------------------------------------------- cells
@pytest.mark.parametrize("values, text", [
    (["A", "B"], "A, B"),
    (["A, B", "C"], '"A, B", C'),
    (['say "hi"'], '"say ""hi"""'),
    ([" lead"], '" lead"'),
    ([], ""),
])
def test_list_cells_round_trip(values: list[str], text: str) -> None:
    assert join_list(values) == text
    assert split_list(text) == values


# ---------------------------------------------------------------------------- round trips
def test_every_field_survives_export_import(tmp_path: Path, config) -> None:
    spec = every_field_spec()
    path = export_workbook(spec, config, tmp_path / "spec.xlsx")
    back, report = import_workbook(path)
    assert report.errors == [], report.summary()
    assert back == spec
    folder = write_spec_folder(back, tmp_path / "sdtm")
    loaded, report2 = read_spec(folder)
    assert not report2.has_errors, report2.summary()
    assert loaded == spec


def test_sheet_layout(tmp_path: Path, config) -> None:
    path = export_workbook(every_field_spec(), config, tmp_path / "spec.xlsx")
    wb = load_workbook(path, read_only=True)
    assert wb.sheetnames == ["Study", "Standards", "Datasets", "Variables", "ValueLevel", "WhereClauses",
                             "Codelists", "Dictionaries", "Methods", "Comments", "Documents"]
    rows = {name: list(wb[name].iter_rows(values_only=True)) for name in wb.sheetnames}
    assert list(rows["Variables"][0]) == SHEETS["Variables"]
    assert rows["Variables"][0][:4] == ("Order", "Dataset", "Variable", "Label")
    study = {r[0]: r[1] for r in rows["Study"][1:]}
    assert study["StudyName"] == "MSC-SLE" and study["Package"] == "sdtm"
    # USUBJID is the 2nd variable: Order 2, predecessor in the Predecessor column
    usubjid = rows["Variables"][2]
    assert usubjid[0] == 2 and usubjid[2] == "USUBJID" and usubjid[14] == "DM.USUBJID" and usubjid[10] == "Predecessor"
    # the two-condition where clause: one row per condition, same ID, IN values comma separated and quoted
    wc = [r for r in rows["WhereClauses"][1:] if r[0] == rows["ValueLevel"][1][3]]
    assert [(r[2], r[3], r[4]) for r in wc] == [("VSTESTCD", "IN", 'WEIGHT, "A, ""B""", " lead"'),
                                                ("VSPOS", "NE", "STANDING")]
    # codelists: every codelist has a row; the dictionary has its details in Dictionaries
    assert [r[0] for r in rows["Codelists"][1:]] == ["CL.NY", "CL.NY", "CL.MEDDRA", "CL.UNIT", "CL.UNIT", "CL.EMPTY"]
    assert rows["Codelists"][5][8] == "Yes"              # Extended Value of "10^6 cells/kg"
    assert rows["Dictionaries"][1] == ("CL.MEDDRA", "MedDRA", "text", "MedDRA", "27.1", "meddra-ref",
                                       "https://www.meddra.org")
    assert rows["Datasets"][1][6] == "STUDYID, USUBJID, VSTESTCD"


def test_export_is_deterministic(tmp_path: Path, config) -> None:
    a = export_workbook(every_field_spec(), config, tmp_path / "a.xlsx").read_bytes()
    b = export_workbook(every_field_spec(), config, tmp_path / "b.xlsx").read_bytes()
    assert a == b
    with zipfile.ZipFile(tmp_path / "a.xlsx") as zf:
        core = zf.read("docProps/core.xml").decode()
        assert {i.date_time for i in zf.infolist()} == {(2026, 11, 1, 9, 0, 0)}
    assert "2026-11-01T09:00:00Z" in core           # created and modified come from study.yaml


@pytest.mark.parametrize("package", ["sdtm", "adam"])
def test_repo_specs_round_trip(tmp_path: Path, config, package: str) -> None:
    """Whatever specs/<package> holds today (other engineers are filling it) survives the workbook."""
    spec, report = read_spec(ROOT / "specs" / package)
    if spec is None:
        pytest.skip(f"specs/{package} does not parse right now: {report.summary(3)}")
    back, wb_report = import_workbook(export_workbook(spec, config, tmp_path / f"{package}.xlsx"))
    assert back == spec
    # the same spec-wide checks run on the import (errors in the folder are errors in the workbook)
    assert len(wb_report.errors) == len(report.errors)
    folder = write_spec_folder(back, tmp_path / package)
    again, _ = read_spec(folder)
    assert again == spec


def test_write_spec_folder_refuses_to_mix_specs(tmp_path: Path) -> None:
    folder = write_spec_folder(every_field_spec(), tmp_path / "sdtm")
    with pytest.raises(FileExistsError):
        write_spec_folder(every_field_spec(), folder)
    (folder / "datasets" / "old.yaml").write_text("name: OLD\n")
    write_spec_folder(every_field_spec(), folder, overwrite=True)
    assert sorted(p.name for p in (folder / "datasets").iterdir()) == ["vs.yaml"]
    lines = (folder / "datasets" / "vs.yaml").read_text().splitlines()
    assert "  - {name: STUDYID, label: Study Identifier, data_type: text, length: data, mandatory: true, " \
           "origin: {type: Protocol}, role: Identifier, core: Req}" in lines


# ---------------------------------------------------------------------------- problems
def edit(path: Path, changes: dict[tuple[str, str], object]) -> Path:
    """Set cells by (sheet, 'A2'-style reference) in an exported workbook."""
    wb = load_workbook(path)
    for (sheet, ref), value in changes.items():
        wb[sheet][ref] = value
    wb.save(path)
    return path


def located(report) -> set[tuple[str, int | None, str]]:
    return {(p.file.split(":", 1)[1] if ":" in p.file else "", p.row, p.column) for p in report.errors}


def test_problems_name_sheet_row_and_column(tmp_path: Path, config) -> None:
    path = export_workbook(every_field_spec(), config, tmp_path / "spec.xlsx")
    # Variables: row 2 STUDYID ... row 6 VSSTRESN; column F = Length, I = Mandatory, J = Codelist, E = Data Type,
    # D = Label. ValueLevel row 2 is the WEIGHT entry, column D = Where Clause. Codelists row 3 is term N of CL.NY,
    # column G = NCI Term Code.
    edit(path, {
        ("Variables", "F3"): "twenty",                  # USUBJID length not a number
        ("Variables", "I4"): "Maybe",                   # VSTESTCD mandatory not Yes/No
        ("Variables", "J5"): "CL.NOPE",                 # VSPOS codelist unknown (found by the spec checks)
        ("Variables", "E7"): "string",                  # VSDTC data type not a Define-XML type
        ("Variables", "D2"): "X" * 41,                  # STUDYID label too long
        ("ValueLevel", "D2"): "WC.MISSING",             # where clause not defined
        ("Codelists", "G3"): "C00000",                  # wrong NCI code for N
    })
    spec, report = import_workbook(path)
    assert spec is not None
    assert located(report) == {
        ("Variables", 3, "Length"),
        ("Variables", 4, "Mandatory"),
        ("Variables", 5, "Codelist"),
        ("Variables", 7, "Data Type"),
        ("Variables", 2, "Label"),
        ("ValueLevel", 2, "Where Clause"),
        ("Codelists", 3, "Term"),
    }
    assert all(p.file.startswith(str(path) + ":") for p in report.errors)
    bad = next(p for p in report.errors if p.row == 5)
    assert bad.value == "CL.NOPE"
    with pytest.raises(SpecError):
        load_workbook_spec(path)


def test_missing_sheet_and_package(tmp_path: Path, config) -> None:
    path = export_workbook(every_field_spec(), config, tmp_path / "spec.xlsx")
    wb = load_workbook(path)
    del wb["Datasets"]
    wb["Study"]["B6"] = "sdtmx"
    wb.save(path)
    spec, report = import_workbook(path)
    assert spec is None
    assert ("Datasets", None, "") in located(report)
    assert ("Study", 6, "Value") in located(report)


@pytest.mark.parametrize("content, message", [
    (b"not a workbook at all", "not an Excel .xlsx workbook"),
    (None, "without xl/workbook.xml"),
])
def test_not_a_workbook_is_a_clear_error(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "bad.xlsx"
    if content is None:
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("hello.txt", "hi")
    else:
        path.write_bytes(content)
    spec, report = import_workbook(path)
    assert spec is None
    assert len(report.errors) == 1 and message in report.errors[0].message
    assert report.errors[0].file == str(path)


def test_missing_workbook(tmp_path: Path) -> None:
    spec, report = import_workbook(tmp_path / "nope.xlsx")
    assert spec is None and "not found" in report.errors[0].message


def test_p21_style_dictionary_only_in_dictionaries_sheet(tmp_path: Path, config) -> None:
    """A P21 workbook lists dictionaries only in Dictionaries: the codelist is still built (appended)."""
    spec = every_field_spec()
    path = export_workbook(spec, config, tmp_path / "spec.xlsx")
    wb = load_workbook(path)
    wb["Codelists"].delete_rows(4)                     # the CL.MEDDRA row (header, 2 x CL.NY, then MedDRA)
    wb.save(path)
    back, report = import_workbook(path)
    assert report.errors == []
    assert [c.oid for c in back.codelists] == ["CL.NY", "CL.UNIT", "CL.EMPTY", "CL.MEDDRA"]
    assert back.codelist("CL.MEDDRA") == spec.codelist("CL.MEDDRA")


def test_unmodelled_p21_columns_warn(tmp_path: Path, config) -> None:
    path = edit(export_workbook(every_field_spec(), config, tmp_path / "spec.xlsx"),
                {("Methods", "H2"): "5-6"})
    back, report = import_workbook(path)
    assert back == every_field_spec()
    assert [(p.file.split(":")[1], p.row, p.column) for p in report.warnings] == [("Methods", 2, "Pages")]


def test_created_timestamp_from_config(tmp_path: Path, config) -> None:
    wb = load_workbook(export_workbook(every_field_spec(), config, tmp_path / "spec.xlsx"))
    assert wb.properties.created == dt.datetime(2026, 11, 1, 9, 0, 0)


def test_plain_p21_workbook_without_our_columns(tmp_path: Path, config) -> None:
    """Without our extra columns (Core, Sponsor Codelist, ...) and the Package row, the model defaults apply."""
    path = export_workbook(every_field_spec(), config, tmp_path / "spec.xlsx")
    wb = load_workbook(path)
    wb["Variables"].delete_cols(SHEETS["Variables"].index("Core") + 1)
    wb["Study"].delete_rows(6)                         # the Package row; SDTMIG in Standards decides
    wb.save(path)
    back, report = import_workbook(path)
    assert report.errors == [], report.summary()
    assert back.package == "sdtm"
    assert [v.core for v in back.datasets[0].variables] == [None] * 6
