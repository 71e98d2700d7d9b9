"""Outcome tables on the hand-made ADaM fixture (tests/adam_fixture.py): every expected count,
percentage, CI and mean below is worked out by hand from the fixture's docstring.

Infused N = 5 overall; cohort 1 (S1, S2) N = 2; cohort 2 (S3, S4) N = 2; cohort 4 (S5) N = 1.
"""
from __future__ import annotations

import math

import pandas as pd
import pytest

import adam_fixture
from cdisc_msc.config import load_config
from cdisc_msc.report import INDEX_FILE, write_report
from cdisc_msc.report.data import group_labels, membership, population, read_adam
from cdisc_msc.report.outcomes import outcome_map
from cdisc_msc.report.query import select
from cdisc_msc.report.tables import Context, build_tables

ALL, C1, C2, C4 = "All infused", "MSC 1 x10^6 cells/kg", "MSC 2 x10^6 cells/kg", "MSC 4 x10^6 cells/kg"


@pytest.fixture(scope="module")
def config():
    return load_config("specs/study.yaml")


@pytest.fixture(scope="module")
def adam_dir(tmp_path_factory):
    return adam_fixture.write_adam(tmp_path_factory.mktemp("adam"))


@pytest.fixture(scope="module")
def datasets(adam_dir):
    return read_adam(adam_dir)


@pytest.fixture(scope="module")
def tables(datasets, config):
    pop = population(datasets["ADSL"])
    groups = group_labels(config, pop)
    return {t.id: t for t in build_tables(outcome_map(config), Context(datasets, membership(pop, groups), groups))}


def row(table, **where) -> pd.Series:
    data = table.data
    hit = pd.Series(True, index=data.index)
    for k, v in where.items():
        hit &= data[k] == v
    assert hit.sum() == 1, f"{table.id}: {hit.sum()} rows for {where}"
    return data[hit].iloc[0]


def counts(r) -> tuple:
    return int(r["n"]), int(r["N"])


# ------------------------------------------------------------------ toxicity ----
TOX, TEAE = "Toxicity (related treatment-emergent AE)", "All treatment-emergent AEs"


def test_population_excludes_the_subject_not_infused(tables):
    r = row(tables["toxicity"], scope=TOX, timepoint="Acute (days 1-10)", category="Any event", group=ALL)
    assert counts(r) == (2, 5)      # S1 day 5, S3 day 2; S6 (not infused) not counted
    assert r["pct"] == 40.0
    assert r["ci_low"] == pytest.approx(5.27, abs=0.005) and r["ci_high"] == pytest.approx(85.34, abs=0.005)


def test_toxicity_by_cohort_acute(tables):
    got = {g: counts(row(tables["toxicity"], scope=TOX, timepoint="Acute (days 1-10)", category="Any event",
                         group=g)) for g in (C1, C2, C4)}
    assert got == {C1: (1, 2), C2: (1, 2), C4: (0, 1)}


def test_not_tolerated_is_cumulative(tables):
    m1 = row(tables["toxicity"], scope=TOX, timepoint="Month 1 (days 1-31)",
             category="Not tolerated (grade >= 3)", group=ALL)
    assert counts(m1) == (0, 5)      # S3's grade 3 starts on day 40
    assert m1["ci_high"] == pytest.approx(100 * (1 - 0.025 ** (1 / 5)))
    m3 = row(tables["toxicity"], scope=TOX, timepoint="Month 3 (days 1-91)",
             category="Not tolerated (grade >= 3)", group=C2)
    assert counts(m3) == (1, 2) and m3["pct"] == 50.0
    assert m3["ci_low"] == pytest.approx(1.26, abs=0.005) and m3["ci_high"] == pytest.approx(98.74, abs=0.005)


def test_maximum_grade_counts_each_subject_once(tables):
    t = tables["toxicity"]
    m3 = {c: counts(row(t, scope=TOX, timepoint="Month 3 (days 1-91)", category=c, group=ALL))[0]
          for c in ("Any event", "Maximum grade 1", "Maximum grade 2", "Maximum grade 3")}
    assert m3 == {"Any event": 2, "Maximum grade 1": 1, "Maximum grade 2": 0, "Maximum grade 3": 1}
    # all TEAEs at Month 6: S1 worst grade 2 (unrelated bronchitis), S3 grade 3; S4's event precedes infusion
    teae = {c: counts(row(t, scope=TEAE, timepoint="Month 6 (days 1-181)", category=c, group=ALL))[0]
            for c in ("Any event", "Maximum grade 2", "Maximum grade 3", "Maximum grade 4")}
    assert teae == {"Any event": 2, "Maximum grade 2": 1, "Maximum grade 3": 1, "Maximum grade 4": 0}


def test_adsl_not_tolerated_flag(tables):
    assert counts(row(tables["toxicity_ntolfl"], group=ALL)) == (1, 5)


def test_soc_pt_with_maximum_grade(tables):
    t = tables["ae_socpt_toxfl_month_3"]
    pt = row(t, soc="General disorders and administration site conditions", pt="Pyrexia", group=ALL)
    assert counts(pt) == (1, 5)                           # S3 twice -> once
    assert (pt["grade_1"], pt["grade_3"]) == (0, 1)       # at its maximum grade 3
    soc = row(t, soc="Nervous system disorders", pt="", group=C1)
    assert counts(soc) == (1, 2)
    assert "Bronchitis" not in set(t.data["pt"])          # unrelated: not a toxicity


# ----------------------------------------------------------------- responders ----
def test_sri4_month3_with_imputed_non_responder(tables):
    r = row(tables["sri4"], parameter="SRI-4 responder", timepoint="Month 3", group=ALL)
    assert counts(r) == (3, 5) and r["pct"] == 60.0 and r["imputed"] == 1
    assert r["ci_low"] == pytest.approx(14.66, abs=0.005) and r["ci_high"] == pytest.approx(94.73, abs=0.005)
    c4 = row(tables["sri4"], parameter="SRI-4 responder", timepoint="Month 3", group=C4)
    assert counts(c4) == (1, 1) and c4["ci_low"] == pytest.approx(2.5) and c4["ci_high"] == 100.0


def test_sri4_component_and_missing_record(tables):
    crit1 = row(tables["sri4"], parameter="1. SELENA-SLEDAI decrease >= 4 (CRIT1)", timepoint="Month 3", group=ALL)
    assert counts(crit1) == (4, 5)        # S2's undetermined component is not met
    assert crit1["ci_low"] == pytest.approx(28.36, abs=0.005) and crit1["ci_high"] == pytest.approx(99.49, abs=0.005)
    m6 = row(tables["sri4"], parameter="SRI-4 responder", timepoint="Month 6", group=ALL)
    assert counts(m6) == (2, 5)           # S5 without a record stays in N as a non-responder


def test_mcr(tables):
    r = row(tables["response"], paramcd="MCR", timepoint="Month 3", group=ALL)
    assert counts(r) == (1, 5) and r["ci_high"] == pytest.approx(71.64, abs=0.005)


def test_steroid_responder_excludes_not_evaluable(tables):
    r = row(tables["steroid_resp"], timepoint="Month 3", group=ALL)
    assert counts(r) == (2, 4) and r["excluded"] == 1 and r["imputed"] == 1
    assert r["ci_low"] == pytest.approx(6.76, abs=0.005) and r["ci_high"] == pytest.approx(93.24, abs=0.005)
    assert counts(row(tables["steroid_resp"], timepoint="Month 3", group=C1)) == (1, 1)   # S2 not evaluable


def test_comorbidity_observed_cases(tables):
    r = row(tables["comorbidity"], paramcd="COMOANY", timepoint="Month 3", group=ALL)
    assert counts(r) == (2, 3)            # S4, S5 without a checklist are not in N; S6 not infused
    assert r["ci_low"] == pytest.approx(9.43, abs=0.005) and r["ci_high"] == pytest.approx(99.16, abs=0.005)


# ---------------------------------------------------------------- continuous ----
def test_sledai_baseline_and_month3(tables):
    t = tables["sledai"]
    base = row(t, timepoint="Baseline", analysis="Value", group=ALL)
    assert (base["n"], base["mean"], base["median"], base["q1"], base["q3"], base["min"], base["max"]) == \
        (5, 10, 10, 8, 12, 6, 14)
    assert base["sd"] == pytest.approx(math.sqrt(10))
    m3 = row(t, timepoint="Month 3", analysis="Value", group=ALL)     # 6, 8, 4; S5 missing; S2's 99 not analysed
    assert (m3["n"], m3["mean"], m3["sd"], m3["median"], m3["q1"], m3["q3"]) == (3, 6, 2, 6, 5, 7)
    chg = row(t, timepoint="Month 3", analysis="Change from baseline", group=ALL)   # -4, 0, -8
    assert (chg["n"], chg["mean"], chg["sd"], chg["q1"], chg["q3"]) == (3, -4, 4, -6, -2)
    c1 = row(t, timepoint="Month 3", analysis="Value", group=C1)      # 6, 8
    assert (c1["n"], c1["mean"], c1["q1"], c1["q3"]) == (2, 7, 6.5, 7.5)
    assert c1["sd"] == pytest.approx(math.sqrt(2))
    assert row(t, timepoint="Month 3", analysis="Value", group=C4)["n"] == 0


def test_display_cells(tables):
    disp = tables["sri4"].display
    first = disp[(disp["Parameter"] == "SRI-4 responder") & (disp["Timepoint"] == "Month 3")].iloc[0]
    assert first[ALL] == "3/5 (60.0%)\n[14.7; 94.7]"
    sled = tables["sledai"].display
    base = sled[(sled["Timepoint"] == "Baseline")].iloc[0]
    assert base[ALL] == "n=5\n10.0 (3.16)\n10.0 [8.0; 12.0]\n6; 14"


def test_missing_dataset_gives_an_unavailable_table(tables):
    assert not tables["sf36"].available and "ADQS" in tables["sf36"].notes[-1]


# -------------------------------------------------------------- traceability ----
@pytest.mark.parametrize("table_id", ["sri4", "response", "toxicity", "ae_socpt_trtemfl_month_12"])
def test_each_where_clause_reproduces_its_count(tables, datasets, table_id):
    """Run each overall row's printed where clause on the dataset: its subjects are the n counted."""
    data = tables[table_id].data
    overall = data[(data["group"] == ALL) & ~data["where"].str.contains(";")]
    assert len(overall) > 0
    for r in overall.itertuples():
        name, where = r.where.split(" where ", 1)
        assert select(datasets[name], where)["USUBJID"].nunique() == r.n, r.where


# -------------------------------------------------------------------- output ----
@pytest.fixture(scope="module")
def report_dir(adam_dir, config, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    write_report(adam_dir, out, config)
    return out


def test_write_report_outputs(report_dir):
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    index = pd.read_csv(report_dir / INDEX_FILE, keep_default_na=False)
    expected = {"toxicity", "sri4", "response", "sledai", "steroid_resp", "comorbidity", "listing_ae"}
    assert expected <= set(index["table"])
    for f in index["file"]:
        assert (report_dir / f).is_file()
    sri = index.set_index("table").loc["sri4"]
    assert sri["source"].startswith('ADRS where SAFFL="Y" and PARAMCD="SRI4"')
    assert '<section id="sri4">' in html and 'href="#sri4"' in html
    assert html.count('<img src="data:image/png;base64,') >= 3      # SLEDAI trajectory, responses, AE timeline
    assert "http://" not in html and "https://" not in html
    csv = pd.read_csv(report_dir / "tables" / "sri4.csv")
    assert {"where", "n", "N", "pct", "ci_low", "ci_high", "group", "timepoint"} <= set(csv.columns)
    listing = pd.read_csv(report_dir / "tables" / "listing_ae.csv", keep_default_na=False)
    assert sorted(set(listing["Subject"])) == ["S1", "S3", "S4"]      # S6 not infused


def test_write_report_is_deterministic(report_dir, adam_dir, config, tmp_path):
    again = write_report(adam_dir, tmp_path / "again", config)
    assert again.read_bytes() == (report_dir / "report.html").read_bytes()
    assert (tmp_path / "again" / "tables" / "toxicity.csv").read_bytes() == \
        (report_dir / "tables" / "toxicity.csv").read_bytes()
