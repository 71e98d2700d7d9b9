"""ADAE: expected values worked out by hand from study.md (SAP 4.1 and 4.8)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from adam_fake import INFUSION, config, day, lenient_spec, sas  # noqa: F401 (config: pytest fixture)
from cdisc_msc.adam.adae import AE_VARIABLES, derive_adae, impute_end, impute_start
from cdisc_msc.spec.apply import conform

# INFUSION (adam_fake) = 2024-03-15, infusion at 10:00 (TRTSDTM below)
EOS = dt.date(2025, 3, 20)
U = "MSC-SLE-001-001"


@pytest.fixture(scope="module")
def spec():
    """The ADaM spec (problems in other engineers' datasets do not stop these tests)."""
    return lenient_spec("adsl", "adae")


def adsl_frame(dthdt: float | None = None) -> pd.DataFrame:
    return pd.DataFrame({
        "USUBJID": [U, "MSC-SLE-001-002"], "SUBJID": ["001", "002"], "SITEID": "001", "AGE": [35.0, 50.0],
        "AGEGR1": ["<40", ">=40"], "AGEGR1N": [1.0, 2.0], "SEX": "F", "RACE": "WHITE",
        "TRT01P": ["MSC 2 x10^6 cells/kg", None], "TRT01PN": [2.0, None],
        "TRT01A": ["MSC 2 x10^6 cells/kg", None], "TRT01AN": [2.0, None],
        "TRTSDT": [sas(INFUSION), None], "TRTSDTM": [sas(INFUSION) * 86400 + 10 * 3600, None],
        "TRTEDT": [sas(INFUSION), None], "SAFFL": ["Y", "N"], "EOSDT": [sas(EOS), sas(dt.date(2024, 2, 15))],
        "DTHDT": [dthdt, None],
    })


def ae_frame(rows: list[dict], usubjid: str = U) -> pd.DataFrame:
    base = dict.fromkeys(AE_VARIABLES)
    out = [base | dict(STUDYID="MSC-SLE", USUBJID=usubjid, AESEQ=i + 1, AEDECOD="Headache",
                       AEBODSYS="Nervous system disorders", AETOXGR="1", AEREL="RELATED") | r
           for i, r in enumerate(rows)]
    return pd.DataFrame(out)


def run(rows: list[dict], config, spec, adsl: pd.DataFrame | None = None) -> pd.DataFrame:
    adsl = adsl_frame() if adsl is None else adsl
    return conform(derive_adae(ae_frame(rows), adsl, config), spec.dataset("ADAE"))


# ------------------------------------------------------------ TRTEMFL ----
def test_trtemfl_infusion_day_and_day_before(config, spec):
    got = run([
        {"AESTDTC": "2024-03-14"},           # day before the infusion
        {"AESTDTC": "2024-03-15"},           # infusion day, no time: counts
        {"AESTDTC": "2024-03-15T09:59"},     # infusion day, before the infusion start
        {"AESTDTC": "2024-03-15T10:00"},     # at the infusion start
        {"AESTDTC": "2024-03-16T08:00"},     # next day
        {"AESTDTC": "2024-03"},              # infusion month, no end: imputed to the infusion date
    ], config, spec)
    assert got["TRTEMFL"].fillna("-").tolist() == ["-", "Y", "-", "Y", "Y", "Y"]
    assert got["ASTDY"].tolist() == [-1.0, 1.0, 1.0, 1.0, 2.0, 1.0]


def test_no_trtemfl_for_subject_never_infused(config, spec):
    adae = conform(derive_adae(ae_frame([{"AESTDTC": "2024-02-10"}], "MSC-SLE-001-002"), adsl_frame(), config),
                   spec.dataset("ADAE"))
    assert adae["TRTEMFL"].tolist() == [None] and pd.isna(adae["ASTDY"].iloc[0])


# ------------------------------------------------------------ SAP 4.8 ----
def _dates(values: pd.Series) -> list[str | None]:
    return [None if pd.isna(v) else v.date().isoformat() for v in values]


def test_start_imputation_rules():
    trt = pd.Series(pd.to_datetime([INFUSION] * 7))
    end = pd.Series(pd.to_datetime([None, None, "2024-03-10", None, "2024-02-20", None, None]))
    start = pd.Series(["2024-05", "2024-03", "2024-03", "2024", "2024", "2023", None])
    date, flag = impute_start(start, trt, end)
    assert _dates(date) == [
        "2024-05-01",   # missing day, not the infusion month -> 1st
        "2024-03-15",   # infusion month, end unknown -> infusion date (never before the infusion)
        "2024-03-01",   # infusion month but the AE ended before the infusion -> 1st
        "2024-03-15",   # infusion year, end allows -> infusion date
        "2024-01-01",   # infusion year but ended before the infusion -> January 1st
        "2023-01-01",   # other year -> January 1st
        None,           # missing year: not imputed
    ]
    assert flag.fillna("-").tolist() == ["D", "D", "D", "M", "M", "M", "-"]


def test_start_imputation_end_on_infusion_day_allows():
    date, _ = impute_start(pd.Series(["2024-03"]), pd.Series(pd.to_datetime([INFUSION])),
                           pd.Series(pd.to_datetime(["2024-03-15"])))
    assert _dates(date) == ["2024-03-15"]


def test_end_imputation_rules_and_cap():
    cap = pd.Series(pd.to_datetime([None, None, "2025-03-20", "2025-02-01", "2025-03-20", None]))
    end = pd.Series(["2024-02", "2023", "2025-03", "2025", "2025-04-02", None])
    date, flag = impute_end(end, cap)
    assert _dates(date) == [
        "2024-02-29",   # last day of the month (leap year)
        "2023-12-31",   # December 31st
        "2025-03-20",   # 2025-03-31 would be after the end of study
        "2025-02-01",   # Dec 31 would be after the death date
        "2025-04-02",   # a collected complete date is never changed
        None,           # ongoing / missing
    ]
    assert flag.fillna("-").tolist() == ["D", "M", "D", "M", "-", "-"]


def test_imputation_in_adae_with_death_cap_and_end_before_start_rule(config, spec):
    death = sas(dt.date(2024, 3, 20))
    got = run([
        {"AESTDTC": "2024-03", "AEENDTC": "2024-03"},      # end -> min(03-31, death 03-20); start -> infusion
        {"AESTDTC": "2024-03", "AEENDTC": "2024-03-12"},   # ended before the infusion -> start 03-01, not TEAE
    ], config, spec, adsl_frame(dthdt=death))
    assert got["AENDT"].tolist() == [sas(dt.date(2024, 3, 20)), sas(dt.date(2024, 3, 12))]
    assert got["AENDTF"].fillna("-").tolist() == ["D", "-"]
    assert got["ASTDT"].tolist() == [sas(INFUSION), sas(dt.date(2024, 3, 1))]
    assert got["ASTDTF"].tolist() == ["D", "D"]
    assert got["TRTEMFL"].fillna("-").tolist() == ["Y", "-"]
    assert got["AENDY"].tolist() == [6.0, -3.0]


# ------------------------------------------------------ grade / relationship ----
def test_missing_grade_and_relationship_imputed_and_flagged(config, spec):
    got = run([
        {"AESTDTC": day(5), "AETOXGR": None, "AEREL": None},
        {"AESTDTC": day(5), "AETOXGR": "2", "AEREL": "NOT RELATED"},
    ], config, spec)
    assert got["AETOXGR"].tolist() == [None, "2"]           # collected grade kept
    assert got["ATOXGR"].tolist() == ["3", "2"] and got["ATOXGRN"].tolist() == [3.0, 2.0]
    assert got["GRIMPFL"].fillna("-").tolist() == ["Y", "-"]
    assert got["AEREL"].tolist() == [None, "NOT RELATED"]
    assert got["AREL"].tolist() == ["RELATED", "NOT RELATED"]
    assert got["RELIMPFL"].fillna("-").tolist() == ["Y", "-"]
    assert got["TOXFL"].fillna("-").tolist() == ["Y", "-"]


def test_toxicity_relationship_terms(config, spec):
    rels = ["RELATED", "PROBABLY RELATED", "POSSIBLY RELATED", "UNLIKELY RELATED", "NOT RELATED"]
    got = run([{"AESTDTC": day(3), "AEREL": r} for r in rels] + [{"AESTDTC": day(-2), "AEREL": "RELATED"}],
              config, spec)
    assert got["TOXFL"].fillna("-").tolist() == ["Y", "Y", "Y", "-", "-", "-"]   # pre-infusion AE is no toxicity


# ------------------------------------------------------------ windows ----
def test_acute_and_cumulative_windows(config, spec):
    days = [1, 10, 11, 31, 32, 91, 92, 181, 182, 366, 367]
    got = run([{"AESTDTC": day(n)} for n in days], config, spec)
    assert got["ASTDY"].tolist() == [float(n) for n in days]
    flags = {c: got[c].fillna("-").tolist() for c in ("ACUTEFL", "CUMM1FL", "CUMM3FL", "CUMM6FL", "CUMM12FL")}
    assert flags["ACUTEFL"] == ["Y", "Y"] + ["-"] * 9
    assert flags["CUMM1FL"] == ["Y"] * 4 + ["-"] * 7
    assert flags["CUMM3FL"] == ["Y"] * 6 + ["-"] * 5
    assert flags["CUMM6FL"] == ["Y"] * 8 + ["-"] * 3
    assert flags["CUMM12FL"] == ["Y"] * 10 + ["-"]


def test_windows_exclude_pre_infusion_events(config, spec):
    got = run([{"AESTDTC": day(-5)}], config, spec)
    assert got[["ACUTEFL", "CUMM1FL", "CUMM12FL"]].iloc[0].tolist() == [None, None, None]


# ------------------------------------------------------------ occurrence ----
def test_first_occurrence_flags_among_teaes(config, spec):
    got = run([
        {"AESTDTC": day(-3), "AEDECOD": "Headache"},                                        # pre-infusion
        {"AESTDTC": day(20), "AEDECOD": "Headache"},
        {"AESTDTC": day(8), "AEDECOD": "Dizziness"},
        {"AESTDTC": day(40), "AEDECOD": "Headache"},
        {"AESTDTC": day(15), "AEDECOD": "Pyrexia", "AEBODSYS": "General disorders"},
    ], config, spec)
    by_seq = got.set_index("AESEQ")
    assert by_seq["AOCCFL"].fillna("-").to_dict() == {1: "-", 2: "-", 3: "Y", 4: "-", 5: "-"}
    assert by_seq["AOCCSFL"].fillna("-").to_dict() == {1: "-", 2: "-", 3: "Y", 4: "-", 5: "Y"}
    assert by_seq["AOCCPFL"].fillna("-").to_dict() == {1: "-", 2: "Y", 3: "Y", 4: "-", 5: "Y"}


def test_adae_matches_spec_and_keys_unique(config, spec):
    got = run([{"AESTDTC": day(n)} for n in (1, 2, 3)], config, spec)
    assert got.columns.tolist() == spec.dataset("ADAE").names
    assert not got.duplicated(["STUDYID", "USUBJID", "AESEQ"]).any()
    assert got["TRTSDT"].tolist() == [sas(INFUSION)] * 3 and got["SAFFL"].tolist() == ["Y"] * 3
