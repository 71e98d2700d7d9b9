"""The fixture study built end to end: every dataset written as the spec says,
readable by independent readers, keys unique, records accounted for,
deterministic, atomic, and the committed defines up to date."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from cdisc_msc.pipeline import BuildError, build
from cdisc_msc.spec.loader import load_spec

ROOT = Path(__file__).resolve().parents[1]
SPECS = {pkg: load_spec(ROOT / "specs" / pkg, pkg) for pkg in ("sdtm", "adam")}

TS_REQUIRED = """ADDON AGEMAX AGEMIN LENGTH PLANSUB RANDOM SEXPOP STOPRULE TBLIND TCNTRL TDIGRP TINDTP TITLE TPHASE
TTYPE CURTRT OBJPRIM OBJSEC SPONSOR TRT REGID OUTMSPRI PCLAS FCNTRY ADAPT DCUTDTC DCUTDESC INTMODEL NARMS STYPE
INTTYPE SSTDTC SENDTC ACTSUB HLTSUBJI EXTTIND NCOHORT PDPSTIND PDSTIND PIPIND RDIND SDTIGVER SDTMVER THERAREA
ONGOSIND""".split()


def pandas_record_count(path: Path, records: int) -> int:
    """What pandas.read_sas reports for a correct file of ``records`` records.

    For records of 80 bytes or less, pandas subtracts 8 bytes of padding for
    every blank 8-byte word anywhere in the last 80-byte card, so a record
    whose text ends in blanks there is dropped (a pandas heuristic, not a file
    defect: pyreadstat and SAS count from the data). Worked out here from the
    file bytes, independently of our writer.
    """
    from cdisc_msc.io.xpt import header_bytes, read_xpt

    _, meta = read_xpt(path)
    data = path.read_bytes()
    start = len(header_bytes(meta))
    if meta.record_length > 80:
        return (len(data) - start) // meta.record_length
    last = data[-80:]
    pad = 8 * sum(last[i:i + 8] == b" " * 8 for i in range(0, 80, 8))
    assert (len(data) - start - records * meta.record_length) < 80
    return (len(data) - start - pad) // meta.record_length


def datasets():
    return [(pkg, ds) for pkg, spec in SPECS.items() for ds in spec.datasets]


@pytest.mark.parametrize("pkg,ds", datasets(), ids=lambda x: getattr(x, "name", x))
def test_dataset_written_as_specified(built_package, pkg, ds):
    path = built_package / pkg / f"{ds.name.lower()}.xpt"
    assert (built_package / pkg / "json" / f"{ds.name.lower()}.json").is_file()
    frame, meta = pyreadstat.read_xport(str(path))
    assert meta.table_name == ds.name
    assert list(frame.columns) == ds.names
    assert [meta.column_names_to_labels[n] for n in ds.names] == [v.label for v in ds.variables]
    other = pd.read_sas(path, format="xport", encoding="ascii")
    assert list(other.columns) == ds.names
    assert len(other) == pandas_record_count(path, len(frame))
    for var in ds.variables:
        width = meta.variable_storage_width[var.name]
        if var.is_numeric:
            assert width == 8
            continue
        longest = int(frame[var.name].astype(str).str.len().max()) if len(frame) else 0
        expected = max(longest, 1) if var.length == "data" or var.length is None else var.length
        assert width == expected, var.name


@pytest.mark.parametrize("pkg,ds", datasets(), ids=lambda x: getattr(x, "name", x))
def test_keys_unique(built_package, pkg, ds):
    frame, _ = pyreadstat.read_xport(str(built_package / pkg / f"{ds.name.lower()}.xpt"))
    assert not frame.duplicated(ds.keys).any(), f"{ds.name} keys {ds.keys} not unique"


def test_no_study_day_is_zero(built_package):
    for pkg in ("sdtm", "adam"):
        for path in sorted((built_package / pkg).glob("*.xpt")):
            frame, _ = pyreadstat.read_xport(str(path))
            for col in [c for c in frame.columns if c.endswith("DY")]:
                assert not (frame[col] == 0).any(), f"{path.name} {col} has day 0"


def test_ts_has_every_required_parameter(built_package):
    ts, _ = pyreadstat.read_xport(str(built_package / "sdtm" / "ts.xpt"))
    assert set(TS_REQUIRED) - set(ts["TSPARMCD"]) == set()
    sstdtc = ts.loc[ts["TSPARMCD"] == "SSTDTC", "TSVAL"].tolist()
    dm = list(csv.DictReader(open(ROOT / "fixtures" / "raw" / "dm.csv", encoding="utf-8")))
    enrolled = [r["CONSDT"] for r in dm if r["ELIGIBLE"] == "Y"]
    assert sstdtc == [min(enrolled)]


def test_epoch_follows_the_infusion_date(built_package):
    """Independent of SE: from consent to the day before the infusion
    SCREENING, on it TREATMENT (unless timed before the start), after it
    FOLLOW-UP; before consent (prior medications) no EPOCH."""
    dm, _ = pyreadstat.read_xport(str(built_package / "sdtm" / "dm.xpt"))
    start = dm.set_index("USUBJID")["RFXSTDTC"]
    consent = dm.set_index("USUBJID")["RFICDTC"]
    for name, dtc in (("ae", "AESTDTC"), ("qs", "QSDTC"), ("rs", "RSDTC"), ("lb", "LBDTC"), ("cm", "CMSTDTC")):
        frame, _ = pyreadstat.read_xport(str(built_package / "sdtm" / f"{name}.xpt"))
        frame = frame[frame["USUBJID"].map(start).fillna("") != ""]
        frame = frame[frame[dtc].str.len() >= 10]
        inf = frame["USUBJID"].map(start)
        day, iday = frame[dtc].str[:10], inf.str[:10]
        timed_before = (frame[dtc].str.len() >= 16) & (day == iday) & (frame[dtc].str[11:16] < inf.str[11:16])
        expected = pd.Series("FOLLOW-UP", index=frame.index)
        expected[day < iday] = "SCREENING"
        expected[(day == iday) & ~timed_before] = "TREATMENT"
        expected[timed_before] = "SCREENING"
        expected[day < frame["USUBJID"].map(consent).str[:10]] = ""
        assert (frame["EPOCH"] == expected).all(), name


def test_every_raw_record_accounted_for(built_package):
    balance = pd.read_csv(built_package / "build" / "record_reconciliation.csv")
    assert balance["balanced"].all()
    for row in balance.itertuples():
        with open(ROOT / "fixtures" / "raw" / f"{row.form}.csv", encoding="utf-8") as fh:
            assert row.raw_records == sum(1 for _ in csv.reader(fh)) - 1, row.form


def test_accented_text_transliterated_and_listed(built_package):
    changes = pd.read_csv(built_package / "build" / "transliterations.csv")
    assert len(changes) > 0
    assert changes["ascii"].map(str.isascii).all()
    ae, _ = pyreadstat.read_xport(str(built_package / "sdtm" / "ae.xpt"))
    assert "Fievre" in set(ae["AETERM"]) and "Fièvre" in set(changes["original"])


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.suffix in (".xpt", ".json", ".xml", ".html", ".csv")
            and p.parent.name != "build"}


def test_rebuild_is_byte_identical(built_package, tmp_path):
    again = tmp_path / "out"
    build(ROOT / "fixtures" / "raw", ROOT / "specs", again, echo=lambda _m: None)
    first, second = _files(built_package), _files(again)
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []


def test_validation_report_names_the_package_not_the_staging_folder(built_package):
    import json

    report = json.loads((built_package / "build" / "validation.json").read_text(encoding="utf-8"))
    assert report["package"] == str(built_package.resolve())
    assert str(built_package.resolve() / "sdtm" / "define.xml") in report["facts"]["sdtm"]
    for name in ("validation.json", "validation.html"):
        assert ".staging-" not in (built_package / "build" / name).read_text(encoding="utf-8")


def test_failed_build_leaves_no_package(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("previous package")
    with pytest.raises(BuildError):
        build(ROOT / "fixtures" / "bad" / "impossible_date", ROOT / "specs", out, echo=lambda _m: None)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    problems = (tmp_path / "out.failed" / "build" / "input_problems.csv").read_text()
    assert "2024-02-30" in problems or "IMPOSSIBLE_DATE" in problems
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


@pytest.mark.parametrize("pkg", ["sdtm", "adam"])
@pytest.mark.parametrize("name", ["define.xml", "define.html"])
def test_committed_defines_are_current(built_package, pkg, name):
    committed = ROOT / "define" / pkg / name
    assert committed.read_bytes() == (built_package / pkg / name).read_bytes(), (
        f"define/{pkg}/{name} is stale: run 'cdisc-msc build' then 'cdisc-msc define --copy-to define'")


@pytest.mark.parametrize("pkg", ["sdtm", "adam"])
def test_committed_define_valid_against_the_official_schema(pkg):
    """Validated with lxml against the XSD of the Define-XML 2.1 release in the
    reference folder (independent of the schema copy the tool ships)."""
    from lxml import etree

    xsd = ROOT.parent / "shared" / "reference" / "define-xml-2.1" / "schema" / "cdisc-define-2.1" / "define2-1-0.xsd"
    if not xsd.is_file():
        pytest.skip(f"reference schema not found at {xsd}")
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    doc = etree.parse(str(ROOT / "define" / pkg / "define.xml"), parser)
    assert schema.validate(doc), [str(e) for e in schema.error_log][:5]
