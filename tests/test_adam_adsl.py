"""ADSL and the adsl_baseline step: expected values worked out by hand from study.md."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from adam_fake import ROOT, config, lenient_spec  # noqa: F401 (config: pytest fixture)
from cdisc_msc.adam import adsl_baseline
from cdisc_msc.adam.adae import derive_adae
from cdisc_msc.adam.adsl import derive_adsl, disposition
from cdisc_msc.spec.apply import conform
from cdisc_msc.spec.loader import load_spec

ARM2, ARM4 = "MSC 2 x10^6 cells/kg", "MSC 4 x10^6 cells/kg"


def sas(y: int, m: int, d: int) -> float:
    """SAS date number, by hand: days since 1960-01-01."""
    return float((dt.date(y, m, d) - dt.date(1960, 1, 1)).days)


@pytest.fixture(scope="module")
def spec():
    """The ADaM spec (problems in other engineers' datasets do not stop these tests)."""
    return lenient_spec("adsl", "adae")


def dm_frame() -> pd.DataFrame:
    """001 infused (MSC2), 002 screen failure, 003 assigned MSC4 not infused, 004 infused, ongoing."""
    rows = [
        dict(SUBJID="001", AGE=39, ARMCD="MSC2", ARM=ARM2, ACTARMCD="MSC2", ACTARM=ARM2, ARMNRS=None,
             RFXSTDTC="2024-03-15T09:30", RFXENDTC="2024-03-15T10:15", RFICDTC="2024-02-20", DTHFL=None, DTHDTC=None),
        dict(SUBJID="002", AGE=40, ARMCD=None, ARM=None, ACTARMCD=None, ACTARM=None, ARMNRS="SCREEN FAILURE",
             RFXSTDTC=None, RFXENDTC=None, RFICDTC="2024-02-01", DTHFL=None, DTHDTC=None),
        dict(SUBJID="003", AGE=55, ARMCD="MSC4", ARM=ARM4, ACTARMCD=None, ACTARM=None, ARMNRS="ASSIGNED, NOT TREATED",
             RFXSTDTC=None, RFXENDTC=None, RFICDTC="2024-03-01", DTHFL=None, DTHDTC=None),
        dict(SUBJID="004", AGE=70, ARMCD="MSC4", ARM=ARM4, ACTARMCD="MSC2", ACTARM=ARM2, ARMNRS=None,
             RFXSTDTC="2024-06-03T14:00", RFXENDTC="2024-06-03T15:00", RFICDTC="2024-05-10", DTHFL="Y",
             DTHDTC="2024-09-30"),
    ]
    dm = pd.DataFrame(rows)
    return dm.assign(STUDYID="MSC-SLE", USUBJID="MSC-SLE-001-" + dm["SUBJID"], SITEID="001", AGEU="YEARS",
                     SEX="F", RACE="WHITE", ETHNIC="NOT HISPANIC OR LATINO")


def ds_frame() -> pd.DataFrame:
    u = "MSC-SLE-001-"
    return pd.DataFrame({
        "USUBJID": [u + "001", u + "001", u + "002", u + "002", u + "003", u + "003", u + "004"],
        "DSSEQ": [1, 2, 1, 2, 1, 2, 1],
        "DSCAT": ["PROTOCOL MILESTONE", "DISPOSITION EVENT"] * 3 + ["PROTOCOL MILESTONE"],
        "DSDECOD": ["INFORMED CONSENT OBTAINED", "COMPLETED", "INFORMED CONSENT OBTAINED", "SCREEN FAILURE",
                    "INFORMED CONSENT OBTAINED", "OTHER", "INFORMED CONSENT OBTAINED"],
        "DSTERM": ["consent", "Completed M12", "consent", "SLEDAI below 6", "consent", "Moved abroad", "consent"],
        "DSSTDTC": ["2024-02-20", "2025-03-20", "2024-02-01", "2024-02-15", "2024-03-01", "2024-03-25", "2024-05-10"],
    })


@pytest.fixture(scope="module")
def adsl(config, spec):
    return conform(derive_adsl(dm_frame(), ds_frame(), config), spec.dataset("ADSL")).set_index("SUBJID")


def test_population_flags_screen_failure_and_infused(adsl):
    assert adsl.loc["001", ["ENRLFL", "SAFFL"]].tolist() == ["Y", "Y"]      # infused
    assert adsl.loc["002", ["ENRLFL", "SAFFL"]].tolist() == ["N", "N"]      # screen failure, still in ADSL
    assert adsl.loc["003", ["ENRLFL", "SAFFL"]].tolist() == ["Y", "N"]      # assigned, never infused
    assert adsl.loc["002", "ARMNRS"] == "SCREEN FAILURE"


def test_treatment_variables_use_config_codes(adsl):
    assert adsl.loc["001", ["TRT01P", "TRT01PN", "TRT01A", "TRT01AN"]].tolist() == [ARM2, 2.0, ARM2, 2.0]
    # planned 4, received a dose closest to cohort 2
    assert adsl.loc["004", ["TRT01P", "TRT01PN", "TRT01A", "TRT01AN"]].tolist() == [ARM4, 4.0, ARM2, 2.0]
    assert adsl.loc["003", "TRT01PN"] == 4.0 and adsl.loc["003", "TRT01A"] is None
    assert adsl.loc["002", "TRT01P"] is None and pd.isna(adsl.loc["002", "TRT01PN"])


def test_treatment_dates_are_sas_numbers(adsl):
    day = sas(2024, 3, 15)
    assert adsl.loc["001", "TRTSDT"] == day
    assert adsl.loc["001", "TRTSDTM"] == day * 86400 + 9 * 3600 + 30 * 60
    assert adsl.loc["001", "TRTEDT"] == day
    assert adsl.loc["001", "TRTEDTM"] == day * 86400 + 10 * 3600 + 15 * 60
    assert adsl.loc["001", "RFICDT"] == sas(2024, 2, 20)
    assert pd.isna(adsl.loc["002", "TRTSDT"]) and pd.isna(adsl.loc["003", "TRTSDTM"])
    assert adsl.loc["004", "DTHDT"] == sas(2024, 9, 30) and adsl.loc["004", "DTHFL"] == "Y"


def test_age_groups(adsl):
    assert adsl["AGEGR1"].tolist() == ["<40", ">=40", ">=40", ">=40"]
    assert adsl["AGEGR1N"].tolist() == [1.0, 2.0, 2.0, 2.0]


def test_end_of_study_status(adsl):
    assert adsl.loc["001", ["EOSSTT", "EOSDT", "DCSREAS", "DCSREASP"]].tolist() == [
        "COMPLETED", sas(2025, 3, 20), None, None]
    assert adsl.loc["002", ["EOSSTT", "DCSREAS"]].tolist() == ["DISCONTINUED", "SCREEN FAILURE"]
    assert adsl.loc["002", "DCSREASP"] is None
    assert adsl.loc["003", ["EOSSTT", "DCSREAS", "DCSREASP"]].tolist() == ["DISCONTINUED", "OTHER", "Moved abroad"]
    assert adsl.loc["004", "EOSSTT"] == "ONGOING" and pd.isna(adsl.loc["004", "EOSDT"])


def test_disposition_takes_the_latest_event():
    ds = ds_frame().iloc[:2]
    late = ds.iloc[[1]].assign(DSSEQ=3, DSDECOD="ADVERSE EVENT", DSSTDTC="2025-04-01")
    got = disposition(pd.concat([ds, late], ignore_index=True))
    assert got[["EOSSTT", "DCSREAS", "EOSDT"]].values.tolist() == [["DISCONTINUED", "ADVERSE EVENT", sas(2025, 4, 1)]]


def test_adsl_keys_unique_and_one_record_per_dm_subject(adsl):
    assert adsl.index.tolist() == ["001", "002", "003", "004"]
    assert not adsl["USUBJID"].duplicated().any()


# ----------------------------------------------------------- adsl_baseline ----
def _ae(usubjid: str, start: str, grade: str | None, rel: str | None, seq: int) -> dict:
    cols = dict.fromkeys(("AESPID", "AETERM", "AELLT", "AELLTCD", "AEPTCD", "AEHLT", "AEHLTCD", "AEHLGT",
                          "AEHLGTCD", "AEBDSYCD", "AESOC", "AESOCCD", "AESER", "AEACN", "AEOUT", "EPOCH",
                          "AEENDTC"))
    return cols | dict(STUDYID="MSC-SLE", USUBJID=usubjid, AESEQ=seq, AEDECOD="Pyrexia", AEBODSYS="General",
                       AETOXGR=grade, AEREL=rel, AESTDTC=start)


def test_not_tolerated_flag(config, spec):
    """001: completed 2025-03-20 (study day 371); 004: ongoing; 002/003 not infused."""
    adsl = conform(derive_adsl(dm_frame(), ds_frame(), config), spec.dataset("ADSL"))
    u = "MSC-SLE-001-"
    ae = pd.DataFrame([
        _ae(u + "001", "2024-03-20", "2", "RELATED", 1),            # toxicity, grade 2 -> not enough
        _ae(u + "001", "2025-03-18", "3", "POSSIBLY RELATED", 2),   # day 369: after 366 but before EOS -> counts
        _ae(u + "004", "2024-06-10", "4", "NOT RELATED", 1),        # grade 4 but not a toxicity
        _ae(u + "003", "2024-03-10", "4", "RELATED", 1),            # never infused
    ])
    adae = conform(derive_adae(ae, adsl, config), spec.dataset("ADAE"))
    flag = adsl_baseline.not_tolerated(adsl, adae, config.end_of_study_day)
    assert flag.fillna("-").tolist() == ["Y", "-", "-", "N"]


def test_not_tolerated_missing_grade_and_relationship_count(config, spec):
    adsl = conform(derive_adsl(dm_frame(), ds_frame(), config), spec.dataset("ADSL"))
    ae = pd.DataFrame([_ae("MSC-SLE-001-004", "2024-07-01", None, None, 1)])   # grade -> 3, relationship -> related
    adae = conform(derive_adae(ae, adsl, config), spec.dataset("ADAE"))
    flag = adsl_baseline.not_tolerated(adsl, adae, config.end_of_study_day)
    assert flag.fillna("-").tolist() == ["N", "-", "-", "Y"]


def test_not_tolerated_ignores_toxicity_after_day_366_and_after_end_of_study():
    adsl = pd.DataFrame({"USUBJID": ["A", "B"], "SAFFL": ["Y", "Y"]})
    adae = pd.DataFrame({"USUBJID": ["A", "B"], "TOXFL": ["Y", "Y"], "ATOXGRN": [3.0, 3.0],
                         "ASTDY": [380.0, 380.0], "ASTDT": [1380.0, 1380.0], "EOSDT": [1370.0, 1385.0]})
    assert adsl_baseline.not_tolerated(adsl, adae, 366).tolist() == ["N", "Y"]


def test_baseline_values_from_bds():
    adsl = pd.DataFrame({"USUBJID": ["A", "B"]})
    adrs = pd.DataFrame({
        "USUBJID": ["A", "A", "A", "A", "B"],
        "PARAMCD": ["SLEDAITS", "SLEDAITS", "BILAGTS", "PGA", "SLEDAITS"],
        "ABLFL": ["Y", None, "Y", "Y", None],
        "AVAL": [12.0, 4.0, 15.0, 1.5, 9.0],
    })
    adster = pd.DataFrame({"USUBJID": ["A", "B"], "PARAMCD": ["PREDAVG", "PREDAVG"], "ABLFL": ["Y", "Y"],
                           "AVAL": [17.5, 0.0]})
    params = {"BSLEDAI": ("ADRS", "SLEDAITS"), "BBILAG": ("ADRS", "BILAGTS"), "BPGA": ("ADRS", "PGA"),
              "BSTER": ("ADSTER", "PREDAVG")}
    got = adsl_baseline.add_baseline(adsl, {"ADRS": adrs, "ADSTER": adster}, params)
    assert got["BSLEDAI"].tolist()[0] == 12.0 and pd.isna(got["BSLEDAI"].tolist()[1])   # B: no baseline record
    assert got["BBILAG"].tolist()[0] == 15.0 and got["BPGA"].tolist()[0] == 1.5
    assert got["BSTER"].tolist() == [17.5, 0.0]


def test_baseline_two_baseline_records_fail():
    bds = pd.DataFrame({"USUBJID": ["A", "A"], "PARAMCD": ["P", "P"], "ABLFL": ["Y", "Y"], "AVAL": [1.0, 2.0]})
    with pytest.raises(ValueError, match="more than one baseline"):
        adsl_baseline.baseline_value(bds, "P", "test")


# ------------------------------------------------------------ end to end ----
RAW = ROOT / "fixtures" / "raw"


@pytest.fixture(scope="module")
def built(config, spec):
    """SDTM from the shipped fixture study, then ADSL, ADAE, ADRS, ADSTER and adsl_baseline."""
    if not (RAW / "dm.csv").exists():
        pytest.skip("fixture study not available")
    from cdisc_msc.adam import adae, adrs, adsl, adster
    from cdisc_msc.adam.build import AdamContext
    from cdisc_msc.raw.readers import load_raw
    from cdisc_msc.sdtm.build import build_sdtm
    from cdisc_msc.spec.apply import sort_by_keys

    sdtm, _ = build_sdtm(config, load_spec(ROOT / "specs" / "sdtm"), load_raw(RAW, config))
    ctx = AdamContext(config=config, spec=spec, sdtm=sdtm)
    for module in (adsl, adae, adrs, adster, adsl_baseline):
        for name, frame in module.build(ctx).items():
            ctx.datasets[name] = sort_by_keys(conform(frame, spec.dataset(name)), spec.dataset(name))
    return ctx.datasets


def _raw(form: str) -> pd.DataFrame:
    return pd.read_csv(RAW / f"{form}.csv", dtype=str, keep_default_na=False)


def test_fixture_adsl_and_adae_match_spec_and_raw(built, spec):
    adsl, adae = built["ADSL"], built["ADAE"]
    for name, frame in (("ADSL", adsl), ("ADAE", adae)):
        ds = spec.dataset(name)
        assert frame.columns.tolist() == ds.names
        assert not frame.duplicated(ds.keys).any()
    dm, ex, ds_raw, ae = _raw("dm"), _raw("ex"), _raw("ds"), _raw("ae")
    subj = adsl["SUBJID"]
    assert sorted(subj) == sorted(dm["SUBJID"])                                   # one record per DM subject
    assert set(subj[adsl["ENRLFL"] == "Y"]) == set(dm.loc[dm["ELIGIBLE"] == "Y", "SUBJID"])
    assert set(subj[adsl["SAFFL"] == "Y"]) == set(ex.loc[ex["EXYN"] == "Y", "SUBJID"])
    assert set(subj[adsl["EOSSTT"] == "COMPLETED"]) == set(ds_raw.loc[ds_raw["DSDECOD"] == "COMPLETED", "SUBJID"])
    assert set(subj[adsl["NTOLFL"].notna()]) == set(subj[adsl["SAFFL"] == "Y"])
    assert len(adae) == len(ae)                                                    # every AE record kept
    assert (adae["GRIMPFL"] == "Y").sum() == (ae["AETOXGR"] == "").sum()
    assert (adae["RELIMPFL"] == "Y").sum() == (ae["AEREL"] == "").sum()


def test_fixture_baseline_variables_come_from_bds(built):
    adsl, adrs = built["ADSL"].set_index("USUBJID"), built["ADRS"]
    base = adrs[(adrs["PARAMCD"] == "SLEDAITS") & (adrs["ABLFL"] == "Y")].set_index("USUBJID")["AVAL"]
    assert len(base) > 0
    assert adsl.loc[base.index, "BSLEDAI"].tolist() == base.tolist()
    assert adsl.loc[adsl["SAFFL"] == "N", "BSLEDAI"].isna().all()
