"""SDTM part A (DM, EX, SE, SV, DS, IE, TS/TA/TE/TV/TI) on a hand-made raw study
(tests/sdtm_a_fake.py). Every expected value is worked out by hand in the comments."""
from __future__ import annotations

import pandas as pd
import pytest

from sdtm_a_fake import FORMS, FakeRaw, run_part_a


@pytest.fixture(scope="module")
def ctx():
    return run_part_a(FakeRaw(FORMS))


def _subj(df: pd.DataFrame, subjid: str) -> pd.DataFrame:
    return df[df["USUBJID"] == f"MSC-SLE-001-{subjid}"].reset_index(drop=True)


def test_dm_screen_failure(ctx):
    row = _subj(ctx.datasets["DM"], "002").iloc[0]
    assert row["ARMNRS"] == "SCREEN FAILURE"
    for var in ("ARMCD", "ARM", "ACTARMCD", "ACTARM", "RFSTDTC", "RFENDTC", "RFXSTDTC"):
        assert row[var] is None, var
    # consent 2024-02-10 on the 34th birthday (born 1990-02-10)
    assert row["AGE"] == 34
    assert row["RFICDTC"] == "2024-02-10"
    # end of participation = the screen-failure date on ds.csv
    assert row["RFPENDTC"] == "2024-02-20"


def test_dm_infused_subject(ctx):
    row = _subj(ctx.datasets["DM"], "001").iloc[0]
    # born 1985-07-20, consent 2024-03-01: 2024 - 1985 = 39, birthday not yet reached -> 38
    assert row["AGE"] == 38 and row["AGEU"] == "YEARS"
    assert row["RFSTDTC"] == "2024-03-20T09:30" == row["RFXSTDTC"]
    assert row["RFXENDTC"] == "2024-03-20T10:15"
    assert row["RFENDTC"] == "2025-03-20"      # completion date on ds.csv
    assert row["RFPENDTC"] == "2025-03-20"     # last contact (M12 and completion the same day)
    assert (row["ARMCD"], row["ACTARMCD"]) == ("MSC2", "MSC2")
    assert row["ARM"] == "MSC 2 x10^6 cells/kg" and row["ARMNRS"] is None
    assert row["SUBJID"] == "001" and row["COUNTRY"] == "FRA" and row["DTHFL"] is None


def test_dm_assigned_not_treated(ctx):
    row = _subj(ctx.datasets["DM"], "003").iloc[0]
    assert row["ARMNRS"] == "ASSIGNED, NOT TREATED"
    assert row["ARMCD"] == "MSC4" and row["ACTARMCD"] is None and row["RFSTDTC"] is None
    # born 1970-12-31, consent 2024-04-15: 54 - 1 = 53
    assert row["AGE"] == 53


def test_se_elements_of_infused_subject(ctx):
    se = _subj(ctx.datasets["SE"], "001")
    assert se["ETCD"].tolist() == ["SCRN", "MSC2", "FU"]
    assert se["EPOCH"].tolist() == ["SCREENING", "TREATMENT", "FOLLOW-UP"]
    assert se["SESTDTC"].tolist() == ["2024-03-01", "2024-03-20T09:30", "2024-03-21"]
    assert se["SEENDTC"].tolist() == ["2024-03-20T09:30", "2024-03-21", "2025-03-20"]
    # 2024-03-01 is 19 days before 2024-03-20 -> -19; 2025-03-20 is 365 days after -> 366
    assert se["SESTDY"].tolist() == [-19, 1, 2]
    assert se["SEENDY"].tolist() == [1, 2, 366]
    assert se["SESEQ"].tolist() == [1, 2, 3]


def test_se_screen_failure_and_not_treated(ctx):
    sf = _subj(ctx.datasets["SE"], "002")
    assert sf[["ETCD", "SESTDTC", "SEENDTC"]].values.tolist() == [["SCRN", "2024-02-10", "2024-02-20"]]
    nt = _subj(ctx.datasets["SE"], "003")
    assert nt[["ETCD", "SESTDTC", "SEENDTC"]].values.tolist() == [["SCRN", "2024-04-15", "2024-05-02"]]


def test_sv_unscheduled_and_missed_visit(ctx):
    sv = _subj(ctx.datasets["SV"], "001").set_index("VISITNUM")
    u = sv.loc[3.1]
    assert u["VISIT"] == "UNSCHEDULED 3.1"
    assert u["SVPRESP"] is None and u["SVOCCUR"] is None and pd.isna(u["VISITDY"])
    # 2024-04-25 is 36 days after the infusion date 2024-03-20 -> day 37
    assert u["SVSTDY"] == 37 and u["SVSTDTC"] == "2024-04-25"
    assert u["SVUPDES"] == "UNSCHEDULED VISIT: LABORATORY"
    m3 = sv.loc[4.0]
    assert (m3["SVPRESP"], m3["SVOCCUR"], m3["SVREASOC"]) == ("Y", "N", "Subject hospitalised")
    assert m3["VISITDY"] == 91 and m3["SVSTDTC"] is None
    assert "EPOCH" not in sv.columns  # special-purpose SV has no EPOCH in SDTMIG 3.4
    assert sv.loc[1.0, "SVSTDY"] == -15  # 2024-03-05 is 15 days before 2024-03-20


def test_ex_and_suppex(ctx):
    ex = ctx.datasets["EX"]
    assert len(ex) == 1  # subject 003 was not infused
    r = ex.iloc[0]
    assert r["USUBJID"] == "MSC-SLE-001-001" and r["EXSEQ"] == 1
    assert r["EXDOSE"] == 2.0 and r["EXDOSU"] == "10^6 Therapeutic Cells/kg"
    assert (r["EXROUTE"], r["EXDOSFRM"], r["EXDOSFRQ"]) == ("INTRAVENOUS", "SUSPENSION", "ONCE")
    assert (r["EXSTDTC"], r["EXENDTC"]) == ("2024-03-20T09:30", "2024-03-20T10:15")
    assert (r["EXSTDY"], r["EXENDY"], r["EPOCH"]) == (1, 1, "TREATMENT")
    supp = ctx.datasets["SUPPEX"].set_index("QNAM")
    assert supp.loc["TOTCELLS", "QVAL"] == "140" and supp.loc["DOSWT", "QVAL"] == "70"
    assert set(supp["IDVAR"]) == {"EXSEQ"} and set(supp["IDVARVAL"]) == {"1"}
    un = ctx.accounting.unmapped_frame()
    assert un[["form", "row", "subjid"]].values.tolist() == [["ex", 2, "003"]]


def test_ds_consent_and_disposition(ctx):
    ds = _subj(ctx.datasets["DS"], "002")
    assert ds[["DSCAT", "DSDECOD", "DSSTDTC", "EPOCH"]].values.tolist() == [
        ["PROTOCOL MILESTONE", "INFORMED CONSENT OBTAINED", "2024-02-10", "SCREENING"],
        ["DISPOSITION EVENT", "SCREEN FAILURE", "2024-02-20", "SCREENING"],
    ]
    done = _subj(ctx.datasets["DS"], "001").iloc[1]
    assert (done["DSDECOD"], done["DSSCAT"], done["DSSTDY"], done["EPOCH"]) == (
        "COMPLETED", "STUDY PARTICIPATION", 366, "FOLLOW-UP")


def test_ie_failed_criterion(ctx):
    ie = ctx.datasets["IE"]
    assert ie[["USUBJID", "IETESTCD", "IECAT", "IEORRES", "IESTRESC", "IEDTC", "EPOCH"]].values.tolist() == [
        ["MSC-SLE-001-002", "IN03", "INCLUSION", "N", "N", "2024-02-20", "SCREENING"]]
    assert ie.iloc[0]["IETEST"] == "SELENA-SLEDAI score of 6 or more at baseline"


TS_REQUIRED = """ADDON AGEMAX AGEMIN LENGTH PLANSUB RANDOM SEXPOP STOPRULE TBLIND TCNTRL TDIGRP TINDTP TITLE TPHASE
TTYPE CURTRT OBJPRIM OBJSEC SPONSOR TRT REGID OUTMSPRI PCLAS FCNTRY ADAPT DCUTDTC DCUTDESC INTMODEL NARMS STYPE
INTTYPE SSTDTC SENDTC ACTSUB HLTSUBJI EXTTIND NCOHORT PDPSTIND PDSTIND PIPIND RDIND SDTIGVER SDTMVER THERAREA
ONGOSIND""".split()


def test_ts_parameters_and_values(ctx):
    ts = ctx.datasets["TS"]
    assert set(TS_REQUIRED) <= set(ts["TSPARMCD"])
    val = ts.groupby("TSPARMCD")["TSVAL"].first()
    # earliest consent among enrolled subjects 001 (2024-03-01) and 003 (2024-04-15); 002 (2024-02-10) screen failure
    assert val["SSTDTC"] == "2024-03-01"
    assert val["SENDTC"] == "2025-03-20"
    assert val["ACTSUB"] == "2"
    assert val["DCUTDTC"] == "2026-06-30"
    assert (val["AGEMIN"], val["AGEMAX"]) == ("P18Y", "P70Y")
    assert val["LENGTH"] == "P394D"  # day -28 .. day 366 without day 0: 28 + 366 days
    assert val["TPHASE"] == "PHASE I/II TRIAL" and val["NARMS"] == "3" and val["PLANSUB"] == "10"
    assert set(ts.loc[ts["TSPARMCD"] == "REGID", "TSVAL"]) == {"NCT03562065", "2017-001400-29"}
    row = ts[ts["TSPARMCD"] == "TBLIND"].iloc[0]
    assert (row["TSVAL"], row["TSVALCD"], row["TSVCDREF"]) == ("OPEN LABEL", "C49659", "CDISC CT")
    stop = ts[ts["TSPARMCD"] == "STOPRULE"].iloc[0]
    assert stop["TSVAL"] is None and stop["TSVALNF"] == "NI"
    assert ts["TSVAL"].isna().eq(ts["TSVALNF"].notna()).all()  # TSVALNF only when TSVAL is null
    assert not ts.duplicated(["TSPARMCD", "TSSEQ"]).any()


def test_trial_design_from_config(ctx):
    ta = ctx.datasets["TA"]
    assert len(ta) == 9 and ta[ta["ARMCD"] == "MSC4"]["ETCD"].tolist() == ["SCRN", "MSC4", "FU"]
    tv = ctx.datasets["TV"]
    assert tv[["VISIT", "VISITDY"]].values.tolist()[:3] == [["SCREENING", -14], ["M0", 1], ["M1", 31]]
    assert len(ctx.datasets["TI"]) == 9
    assert set(ctx.datasets["TE"]["ETCD"]) == {"SCRN", "MSC1", "MSC2", "MSC4", "FU"}


EPOCH_DTC = {"EX": "EXSTDTC", "DS": "DSSTDTC", "IE": "IEDTC"}


def test_epoch_matches_se(ctx):
    """Each dated record's EPOCH is the epoch of an SE element of the subject whose days contain the date."""
    se = ctx.datasets["SE"].assign(_s=lambda d: d["SESTDTC"].str[:10], _e=lambda d: d["SEENDTC"].str[:10])
    for name, dtc in EPOCH_DTC.items():
        df = ctx.datasets[name]
        dated = df[df[dtc].notna()]
        assert dated["EPOCH"].notna().all(), name
        m = dated.merge(se, on=["USUBJID", "EPOCH"], suffixes=("", "_se"))
        day = m[dtc].str[:10]
        ok = (m["_s"] <= day) & (day <= m["_e"])
        assert ok.groupby(m.index).any().all() and len(m) >= len(dated), name
    # by hand, subject 001: consent 2024-03-01 (SCREENING), completion on day 366 (FOLLOW-UP)
    assert _subj(ctx.datasets["DS"], "001")["EPOCH"].tolist() == ["SCREENING", "FOLLOW-UP"]


def test_no_study_day_zero_and_unique_keys(ctx):
    for name, df in ctx.datasets.items():
        for col in [c for c in df.columns if c.endswith("DY") and c != "VISITDY"]:
            assert not (df[col] == 0).any(), f"{name}.{col}"
        keys = ctx.spec.dataset(name).keys
        assert not df.duplicated(keys).any(), name
        assert df.equals(df.sort_values(keys, kind="mergesort", na_position="first").reset_index(drop=True)), name


def test_death_sets_dthdtc_dthfl():
    forms = dict(FORMS)
    ds = FORMS["ds"].copy()
    ds.loc[0, ["DSDECOD", "DSTERM", "DSSTDT", "DTHDT"]] = ["DEATH", "Died", "2024-09-01", "2024-09-01"]
    forms["ds"] = ds
    c = run_part_a(FakeRaw(forms))
    row = _subj(c.datasets["DM"], "001").iloc[0]
    assert (row["DTHDTC"], row["DTHFL"]) == ("2024-09-01", "Y")
    # RFENDTC = the end-of-study disposition date; RFPENDTC = last contact, here the
    # (made-up) M12 visit 2025-03-20, later than the death date
    assert row["RFENDTC"] == "2024-09-01"
    assert row["RFPENDTC"] == "2025-03-20"


OUR_FILES = ("dm", "suppex", "ex", "se", "sv", "ds", "ie", "ts", "ta", "te", "tv", "ti", "trial_design", "a_domains")


def test_our_spec_files_have_no_problems():
    from cdisc_msc.spec.loader import read_spec

    _, report = read_spec("specs/sdtm")
    our_codelists = ("CL.TS.", "CL.DS.", "CL.EX.", "CL.IECAT", "CL.IETEST", "CL.ETCD", "CL.SUPPEX.")
    ours = [p for p in report.problems
            if any(p.file.endswith(f"/{n}.yaml") for n in OUR_FILES)
            or (p.file.endswith("codelists.yaml") and any(o in (p.column or "") for o in our_codelists))]
    assert not ours, "\n".join(f"{p.file}: {p.column} {p.message}" for p in ours)
