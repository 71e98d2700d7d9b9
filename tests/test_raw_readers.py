"""The raw reader: the shipped fixture loads clean, each bad set gives its one
problem (file, data row, column, value), and the vectorised checks agree with
the pydantic models."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from cdisc_msc.config import load_config
from cdisc_msc.raw import forms as F
from cdisc_msc.raw.readers import ROW, _Collector, _check_column, field_specs, load_raw, model_input
from cdisc_msc.problems import ProblemReport

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "fixtures" / "raw"
BAD = ROOT / "fixtures" / "bad"


@pytest.fixture(scope="module")
def cfg():
    return load_config(ROOT / "specs" / "study.yaml")


@pytest.fixture(scope="module")
def study(cfg):
    return load_raw(RAW, cfg)


def copy_raw(tmp_path: Path) -> Path:
    d = tmp_path / "raw"
    shutil.copytree(RAW, d)
    return d


# ------------------------------------------------------------------ the shipped fixture
def test_fixture_loads_without_any_problem(study):
    assert [str(p) for p in study.report] == []
    assert not study.has_errors
    assert set(study.frames) == set(F.FORMS)
    assert all(not b.any() for b in study.bad.values())


def test_fixture_counts(study):
    assert study.counts() == {"dm": 12, "sv": 63, "ex": 10, "ae": 49, "cm": 50, "gc": 21, "sf36": 40, "eq5d": 40,
                              "sledai": 42, "bilag": 42, "como": 400, "mh": 21, "ds": 12, "lb": 378, "vs": 22,
                              "ie": 2}
    cf = study.counts_frame()
    assert list(cf.columns) == ["form", "file", "records", "flagged"]
    assert cf.flagged.sum() == 0


def test_frame_types(study):
    ae = study["ae"]
    assert list(ae.columns) == [ROW] + list(F.AdverseEvents.model_fields)
    assert ae[ROW].tolist() == list(range(1, len(ae) + 1))
    assert ae["AESPID"].dtype == "Int64"
    assert ae["AELLTCD"].dtype == "Int64"
    assert pd.api.types.is_string_dtype(ae["AETERM"])
    assert study["sledai"]["PGA"].dtype == "float64"
    assert study["sv"]["VISITNUM"].dtype == "float64"
    # empty cells are missing, never ''
    assert ae["AESTTM"].isna().any() and not (ae["AESTTM"] == "").any()
    assert "Céphalées" in set(ae["AETERM"])


def test_reader_and_models_agree_on_every_fixture_row(study):
    for form, model in F.FORMS.items():
        for row in study[form][ROW].tolist():
            model.model_validate(model_input(study, form, row))


def test_valid_and_invalid_rows(study):
    assert len(study.valid_rows("ae")) == len(study["ae"])
    assert study.invalid_rows("ae").empty
    assert not study.flags("ae").any()


def test_write_report(study, tmp_path):
    path = study.write_report(tmp_path)
    assert path.name == "raw_problems.csv"
    assert path.read_text(encoding="utf-8").splitlines()[0] == "severity,code,file,row,column,value,expected,message"


# ------------------------------------------------------------------ one defect per bad set
BAD_EXPECTED = {
    # name: (code, file, row, column, value)
    "unparseable_date": ("BAD_PARTIAL_DATE", "ae.csv", 1, "AESTDT", "08/02/2023"),
    "impossible_date": ("IMPOSSIBLE_DATE", "sv.csv", 3, "VISDT", "2024-02-30"),
    "codelist": ("NOT_IN_CODELIST", "dm.csv", 4, "SEX", "Female"),
    "subject_not_in_dm": ("SUBJECT_NOT_IN_DM", "ae.csv", 5, "SUBJID", "099"),
    "duplicate_record": ("DUPLICATE_KEY", "ae.csv", 2, "SUBJID,AESPID", "001/1"),
    "out_of_range": ("OUT_OF_RANGE", "sledai.csv", 2, "PGA", "4.5"),
    "missing_column": ("MISSING_COLUMN", "dm.csv", None, "SEX", ""),
    "non_numeric_dose": ("NOT_NUMBER", "gc.csv", 1, "GCDOSE", "10 mg"),
}


def test_every_bad_set_is_tested():
    assert sorted(p.name for p in BAD.iterdir() if p.is_dir()) == sorted(BAD_EXPECTED)


@pytest.mark.parametrize("name", sorted(BAD_EXPECTED))
def test_bad_set_gives_its_one_problem(name, cfg):
    code, file, row, column, value = BAD_EXPECTED[name]
    st = load_raw(BAD / name, cfg)
    probs = list(st.report)
    assert len(probs) == 1, [str(p) for p in probs]
    p = probs[0]
    assert (p.severity, p.code, p.file, p.row, p.column, p.value) == ("error", code, file, row, column, value)
    assert p.expected and p.message
    form = file[:-4]
    flagged = st.invalid_rows(form)
    if row is None:  # a missing required column flags every row of the file
        assert len(flagged) == len(st[form])
    else:
        assert flagged[ROW].tolist() == [row]
        assert len(st.valid_rows(form)) == len(st[form]) - 1
    # nothing dropped: the bad row stays in the frame
    assert len(st[form]) == load_raw(RAW, cfg).counts()[form]


@pytest.mark.parametrize("name", ["unparseable_date", "impossible_date", "codelist", "out_of_range",
                                  "non_numeric_dose"])
def test_models_reject_the_bad_cells_too(name, study):
    code, file, row, column, value = BAD_EXPECTED[name]
    form = file[:-4]
    data = model_input(study, form, row)
    data[column] = value
    with pytest.raises(ValidationError):
        F.FORMS[form].model_validate(data)


# ------------------------------------------------------------------ reader vs models on tricky values
TRICKY = {
    ("ae", "AESTDT"): ["2024-02-29", "2023-02-29", "2024-02-30", "2024-04-31", "2024-03-UN", "2024-UN-UN",
                       "2024-UN-15", "0000-01-01", "2024-13-01", "2024-3-1", "24-03-01", "2024-03-01T10:00", ""],
    ("ae", "AESTTM"): ["00:00", "23:59", "24:00", "9:30", "09:60", ""],
    ("ae", "AESPID"): ["1", "01", "+3", "1.0", "1.5", "0", "-1", "1e2", "x", ""],
    ("ae", "AETOXGR"): ["1", "5", "6", "0", "1.0", ""],
    ("ae", "AESER"): ["Y", "N", "y", "YES", ""],
    ("ex", "STDTM"): ["2024-02-29T10:00", "2023-02-29T10:00", "2024-02-28 10:00", "2024-02-28T25:00", ""],
    ("ex", "WEIGHT"): ["20", "20.1", "249.9", "250", "70,5", "nan", "inf", ""],
    ("sf36", "Q7"): ["1", "6", "7", "0", ""],
    ("dm", "SUBJID"): ["001", "12", "1234", "12345", "123456", "A01", ""],
    ("sledai", "PGA"): ["0", "3", "3.0", "3.01", "-0.1", ""],
}


@pytest.mark.parametrize("form,column", sorted(TRICKY))
def test_reader_acceptance_implies_model_acceptance(form, column, study):
    spec = field_specs(form)[column]
    values = np.array(TRICKY[(form, column)], dtype=object)
    col = _Collector(ProblemReport(), f"{form}.csv", values.size)
    typed = _check_column(spec, values, col)
    base = model_input(study, form, 1)
    for i, raw in enumerate(values):
        v = typed.iloc[i]
        missing = v is None or v is pd.NA or (isinstance(v, float) and v != v)
        data = {**base, column: None if missing else (int(v) if spec.base is int else v)}
        if not col.bad[i]:
            F.FORMS[form].model_validate(data)  # accepted by the reader => accepted by the model
        else:
            with pytest.raises(ValidationError):  # and these rejections are the model's too
                F.FORMS[form].model_validate({**base, column: raw if raw != "" else None})


# ------------------------------------------------------------------ other checks, on edited copies
def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_cp1252_file_is_read_with_an_info_problem(tmp_path, cfg):
    d = copy_raw(tmp_path)
    text = (d / "ae.csv").read_text(encoding="utf-8")
    (d / "ae.csv").write_bytes(text.encode("cp1252"))
    st = load_raw(d, cfg)
    assert [(p.severity, p.code, p.file) for p in st.report] == [("info", "ENCODING", "ae.csv")]
    assert "cp1252" in st.report.problems[0].message
    assert "Céphalées" in set(st["ae"]["AETERM"])
    assert st.encodings["ae"] == "cp1252"


def test_missing_form_file_is_an_error(tmp_path, cfg):
    d = copy_raw(tmp_path)
    (d / "ie.csv").unlink()
    st = load_raw(d, cfg)
    assert [(p.severity, p.code, p.file) for p in st.report] == [("error", "MISSING_FILE", "ie.csv")]
    assert list(st["ie"].columns) == [ROW] + list(F.Eligibility.model_fields) and st["ie"].empty


def test_unknown_column_and_unknown_file(tmp_path, cfg):
    d = copy_raw(tmp_path)
    df = pd.read_csv(d / "ds.csv", dtype=str, keep_default_na=False)
    df["DSCOMMENT"] = "x"
    df.to_csv(d / "ds.csv", index=False, lineterminator="\n")
    (d / "notes.txt").write_text("hello")
    st = load_raw(d, cfg)
    got = sorted((p.severity, p.code, p.file, p.column) for p in st.report)
    assert got == [("error", "UNKNOWN_COLUMN", "ds.csv", "DSCOMMENT"), ("warning", "UNKNOWN_FILE", "notes.txt", "")]
    assert "DSCOMMENT" not in st["ds"].columns


def test_missing_optional_column_is_a_warning(tmp_path, cfg):
    d = copy_raw(tmp_path)
    df = pd.read_csv(d / "ex.csv", dtype=str, keep_default_na=False).drop(columns=["REASND"])
    df.to_csv(d / "ex.csv", index=False, lineterminator="\n")
    st = load_raw(d, cfg)
    assert [(p.severity, p.code, p.column) for p in st.report] == [("warning", "MISSING_COLUMN", "REASND")]
    assert st["ex"]["REASND"].isna().all()


def test_whitespace_is_stripped_with_a_warning(tmp_path, cfg):
    d = copy_raw(tmp_path)
    _edit(d / "dm.csv", "\n001,001,", "\n001, 001 ,")
    st = load_raw(d, cfg)
    assert [(p.severity, p.code, p.row, p.column, p.value) for p in st.report] == [
        ("warning", "WHITESPACE", 1, "SITEID", " 001 ")]
    assert st["dm"]["SITEID"].iloc[0] == "001" and not st.has_errors


def test_visit_checks(tmp_path, cfg):
    d = copy_raw(tmp_path)
    _edit(d / "sledai.csv", "\n001,M3,4,", "\n001,M3,5,")  # planned name, wrong number
    _edit(d / "bilag.csv", "\n001,M3,4,", "\n001,MONTH 3,4,")  # unknown name
    text = (d / "sv.csv").read_text(encoding="utf-8")
    unsched = [ln for ln in text.splitlines() if ",UNSCHEDULED," in ln][0]
    _edit(d / "sv.csv", unsched, unsched.replace(",6.1,", ",6,"))  # unscheduled with an integer number
    st = load_raw(d, cfg)
    got = {(p.severity, p.code, p.file, p.column) for p in st.report}
    assert ("error", "VISITNUM_MISMATCH", "sledai.csv", "VISITNUM") in got
    assert ("error", "VISIT_UNKNOWN", "bilag.csv", "VISIT") in got
    assert ("error", "VISITNUM_MISMATCH", "sv.csv", "VISITNUM") in got
    # the sledai record now points at a visit the subject did not have in sv
    assert ("warning", "VISIT_NOT_IN_SV", "sledai.csv", "VISITNUM") in got


def test_coterm_outside_the_configuration(tmp_path, cfg):
    d = copy_raw(tmp_path)
    _edit(d / "como.csv", ",HYPERTENSION,", ",HYPERTENSION ARTERIELLE,")
    st = load_raw(d, cfg)
    assert [(p.code, p.file, p.row, p.column, p.value) for p in st.report] == [
        ("COTERM_UNKNOWN", "como.csv", 1, "COTERM", "HYPERTENSION ARTERIELLE")]


def test_ietestcd_outside_the_configuration(tmp_path, cfg):
    d = copy_raw(tmp_path)
    df = pd.read_csv(d / "ie.csv", dtype=str, keep_default_na=False)
    df.loc[0, "IETESTCD"] = "IN99"
    df.to_csv(d / "ie.csv", index=False, lineterminator="\n")
    st = load_raw(d, cfg)
    assert [(p.code, p.file, p.row, p.column, p.value) for p in st.report] == [
        ("IETESTCD_UNKNOWN", "ie.csv", 1, "IETESTCD", "IN99")]


def test_ragged_row_is_reported_and_kept(tmp_path, cfg):
    d = copy_raw(tmp_path)
    lines = (d / "ds.csv").read_text(encoding="utf-8").split("\n")
    lines[3] = lines[3] + ",extra"
    (d / "ds.csv").write_text("\n".join(lines), encoding="utf-8")
    st = load_raw(d, cfg)
    assert [(p.code, p.file, p.row) for p in st.report] == [("FIELD_COUNT", "ds.csv", 3)]
    assert len(st["ds"]) == 12 and st.invalid_rows("ds")[ROW].tolist() == [3]


def test_xpt_and_sas_names_are_read(tmp_path, cfg):
    import pyreadstat

    d = copy_raw(tmp_path)
    df = pd.read_csv(d / "dm.csv", dtype=str, keep_default_na=False)
    df["COHORT"] = pd.to_numeric(df["COHORT"])  # numeric in SAS
    pyreadstat.write_xport(df, str(d / "dm.xpt"), table_name="DM", file_format_version=5)
    (d / "dm.csv").unlink()
    st = load_raw(d, cfg)
    assert [str(p) for p in st.report] == []
    assert st.files["dm"].name == "dm.xpt"
    assert st["dm"]["COHORT"].tolist()[:3] == load_raw(RAW, cfg)["dm"]["COHORT"].tolist()[:3]
    assert st["dm"]["SUBJID"].iloc[0] == "001"
