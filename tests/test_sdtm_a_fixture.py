"""SDTM part A on the shipped fixture study: chosen subjects' raw rows are read
here with the csv module and the expected values worked out in the test."""
from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

RAW = Path(__file__).resolve().parents[1] / "fixtures" / "raw"
pytestmark = pytest.mark.skipif(not (RAW / "dm.csv").exists(), reason="fixture study not present")


def _rows(form: str) -> list[dict[str, str]]:
    with open(RAW / f"{form}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def ctx():
    from sdtm_a_fake import run_part_a

    from cdisc_msc.config import load_config
    from cdisc_msc.raw.readers import load_raw

    return run_part_a(load_raw(RAW, load_config("specs")))


def _usubjid(r: dict[str, str]) -> str:
    return f"MSC-SLE-{r['SITEID']}-{r['SUBJID']}"


def _age(birth: str, ref: str) -> int:
    b, r = dt.date.fromisoformat(birth), dt.date.fromisoformat(ref)
    return r.year - b.year - ((r.month, r.day) < (b.month, b.day))


def test_infused_subject_dm_se_ex(ctx):
    ex = {r["SUBJID"]: r for r in _rows("ex") if r["EXYN"] == "Y"}
    subj = next(r for r in _rows("dm") if r["SUBJID"] in ex)
    e = ex[subj["SUBJID"]]
    dm = ctx.datasets["DM"].set_index("USUBJID").loc[_usubjid(subj)]
    assert dm["AGE"] == _age(subj["BRTHDT"], subj["CONSDT"])
    assert dm["RFSTDTC"] == e["STDTM"] == dm["RFXSTDTC"]
    assert dm["ARMNRS"] is None and dm["ARMCD"] is not None
    se = ctx.datasets["SE"]
    se = se[se["USUBJID"] == _usubjid(subj)]
    day2 = (dt.date.fromisoformat(e["STDTM"][:10]) + dt.timedelta(days=1)).isoformat()
    assert se["SESTDTC"].tolist()[:3] == [subj["CONSDT"], e["STDTM"], day2]
    assert se["SEENDTC"].tolist()[:2] == [e["STDTM"], day2]
    exd = ctx.datasets["EX"]
    exr = exd[exd["USUBJID"] == _usubjid(subj)].iloc[0]
    assert exr["EXDOSE"] == float(e["DOSEKG"]) and exr["EXSTDY"] == 1 and exr["EPOCH"] == "TREATMENT"


def test_screen_failures(ctx):
    ds = {r["SUBJID"]: r for r in _rows("ds") if r["DSDECOD"] == "SCREEN FAILURE"}
    sfs = [r for r in _rows("dm") if r["ELIGIBLE"] == "N"]
    assert sfs, "the fixture has screen failures"
    dm = ctx.datasets["DM"].set_index("USUBJID")
    se = ctx.datasets["SE"]
    for r in sfs:
        row = dm.loc[_usubjid(r)]
        assert row["ARMNRS"] == "SCREEN FAILURE" and row["ARM"] is None and row["RFSTDTC"] is None
        mine = se[se["USUBJID"] == _usubjid(r)]
        assert mine["ETCD"].tolist() == ["SCRN"]
        if r["SUBJID"] in ds:
            assert mine["SEENDTC"].iloc[0] == ds[r["SUBJID"]]["DSSTDT"]


def test_every_raw_row_accounted(ctx):
    flows = ctx.accounting.flows_frame()
    un = ctx.accounting.unmapped_frame()
    for form, dataset in (("ex", "EX"), ("sv", "SV"), ("ie", "IE")):
        n_raw = len(ctx.raw.valid_rows(form))  # rows with contract errors are the reader's to report
        out = flows[(flows["form"] == form) & (flows["dataset"] == dataset)]["out_records"].sum()
        assert out + (un["form"] == form).sum() == n_raw, form


def test_no_dy_zero_keys_unique_epoch_present(ctx):
    for name, df in ctx.datasets.items():
        for col in [c for c in df.columns if c.endswith("DY") and c != "VISITDY"]:
            assert not (df[col] == 0).any(), f"{name}.{col}"
        assert not df.duplicated(ctx.spec.dataset(name).keys).any(), name
    for name, dtc in {"EX": "EXSTDTC", "DS": "DSSTDTC", "IE": "IEDTC"}.items():
        df = ctx.datasets[name]
        assert df.loc[df[dtc].notna(), "EPOCH"].notna().all(), name


def test_death_and_unscheduled_visit(ctx):
    dm_raw = {r["SUBJID"]: r for r in _rows("dm")}
    dead = [r for r in _rows("ds") if r["DTHDT"]]
    dm = ctx.datasets["DM"].set_index("USUBJID")
    for r in dead:
        row = dm.loc[_usubjid(dm_raw[r["SUBJID"]])]
        assert (row["DTHDTC"], row["DTHFL"]) == (r["DTHDT"], "Y")
    infusion = {r["SUBJID"]: r["STDTM"][:10] for r in _rows("ex") if r["EXYN"] == "Y"}
    uns = [r for r in _rows("sv") if r["VISIT"] == "UNSCHEDULED"]
    assert uns, "the fixture has unscheduled visits"
    sv = ctx.datasets["SV"]
    for r in uns:
        rec = sv[(sv["USUBJID"] == _usubjid(dm_raw[r["SUBJID"]])) & (sv["VISITNUM"] == float(r["VISITNUM"]))].iloc[0]
        days = (dt.date.fromisoformat(r["VISDT"]) - dt.date.fromisoformat(infusion[r["SUBJID"]])).days
        assert rec["VISIT"] == f"UNSCHEDULED {float(r['VISITNUM']):g}"
        assert rec["SVSTDY"] == (days + 1 if days >= 0 else days)
        assert rec["SVPRESP"] is None and rec["SVUPDES"].startswith("UNSCHEDULED VISIT")
