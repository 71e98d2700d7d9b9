"""ADQS (BDS): SF-36 v2 and EQ-5D-5L items and scores (SAP 2, 3.4, 3.5, 4.6).

Records, by parameter (:data:`PARAMETERS` is the single source of PARAMCD /
PARAM / PARCAT1; the spec codelist ``CL.ADQS.PARAMCD`` repeats it):

* items, one per SDTM QS record (SRCDOM/SRCVAR/SRCSEQ point at it): PARAMCD =
  QSTESTCD (SF-36 ``SF36301``..``SF36311D``, EQ-5D-5L ``EQ5D0201``..``EQ5D0206``),
  AVAL = QSSTRESN as answered (empty when QSSTAT = NOT DONE);
* scores, one per parameter and administration (USUBJID, QSCAT, VISITNUM)
  with at least one answered item, computed from the items of that
  administration only: SF-36 0-100 scale scores ``SF36312``..``SF36319``,
  norm-based scores ``SF36320``..``SF36327``, ``SF36328`` (PCS), ``SF36329``
  (MCS) by :func:`cdisc_msc.scoring.sf36.score_sf36` with the configured norm
  set; EQ-5D-5L level-sum score ``EQ5DLSS`` and French index ``EQ5DIXFR`` by
  :func:`cdisc_msc.scoring.eq5d.score_eq5d`. A score the SAP leaves missing
  (half-scale rule, missing dimension) keeps its record with AVAL empty.
  ADT, VISIT and VISITNUM are those of the administration, SRCDOM/SRCVAR/
  SRCSEQ are empty: the items are the records of the same subject, QSCAT
  (PARCAT1) and VISITNUM.

Every parameter then gets ADY, windows, ABLFL, ANL01FL (per PARAMCD) and
BASE/CHG/PCHG (:mod:`cdisc_msc.adam.windows`, :mod:`cdisc_msc.adam.bds`).
AVAL keeps full precision.
"""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from cdisc_msc.adam.adsl import dtc_to_sas_date
from cdisc_msc.adam.bds import (
    ADSL_BDS_VARS, add_study_day, derive_bds_timing, merge_by_keys, require_method_text, score_forms,
)
from cdisc_msc.config import SF36Norms, StudyConfig
from cdisc_msc.scoring import eq5d, require_columns, sf36
from cdisc_msc.sdtm.instruments import EQ5D_CAT, SF36_CAT
from cdisc_msc.spec.ct import load_ct

SF36_TESTCD_CL, SF36_TEST_CL = "C101826", "C101827"
EQ5D_TESTCD_CL, EQ5D_TEST_CL = "C101817", "C101818"
EQ5D_ITEMS: tuple[str, ...] = (*eq5d.DIMENSIONS, eq5d.VAS_TESTCD)
QS_COLUMNS = ["USUBJID", "QSSEQ", "QSTESTCD", "QSCAT", "QSSTRESN", "VISIT", "VISITNUM", "QSDTC"]


def ct_test_names(testcd_cl: str, test_cl: str) -> dict[str, str]:
    """Test code -> test name from a CT pair of TESTCD / TEST codelists (same NCI term codes).

    >>> ct_test_names("C101817", "C101818")["EQ5D0206"]
    'EQ5D02-EQ VAS Score'
    """
    ct = load_ct()
    name_by_code = {code: name for name, code in ct[test_cl].terms.items()}
    return {testcd: name_by_code[code] for testcd, code in ct[testcd_cl].terms.items()}


def _parameters() -> pd.DataFrame:
    sf = ct_test_names(SF36_TESTCD_CL, SF36_TEST_CL)
    eq = ct_test_names(EQ5D_TESTCD_CL, EQ5D_TEST_CL)
    rows = [(t, sf[t], SF36_CAT) for t in (*sf36.ITEMS, *sf36.SCORE_TESTCDS)]
    rows += [(t, eq[t], EQ5D_CAT) for t in EQ5D_ITEMS]
    rows += [(eq5d.LSS_TESTCD, eq5d.LSS_TEST, EQ5D_CAT), (eq5d.INDEX_TESTCD, eq5d.INDEX_TEST, EQ5D_CAT)]
    return pd.DataFrame(rows, columns=["PARAMCD", "PARAM", "PARCAT1"])


PARAMETERS: pd.DataFrame = _parameters()
"""PARAMCD, PARAM (CT test name or sponsor text), PARCAT1 (= QSCAT) of every ADQS parameter, in display order."""
ITEM_PARAMCDS: frozenset[str] = frozenset((*sf36.ITEMS, *EQ5D_ITEMS))


# ------------------------------------------------------------------ items ----
def item_records(qs: pd.DataFrame) -> pd.DataFrame:
    """One ADQS record per QS record of the SF-36 / EQ-5D-5L: PARAMCD = QSTESTCD, AVAL = QSSTRESN.

    PARCAT1 = QSCAT, ADT = date of QSDTC (SAS date), SRCDOM/SRCVAR/SRCSEQ =
    QS/QSSTRESN/QSSEQ, ``_SEQ`` = QSSEQ (ANL01FL tie-break). A QSCAT or test
    code without an ADQS parameter is an error.

    >>> qs = pd.DataFrame({"USUBJID": "S1", "QSSEQ": [1.0], "QSTESTCD": ["EQ5D0206"], "QSCAT": ["EQ-5D-5L"],
    ...     "QSSTRESN": [80.0], "VISIT": "M3", "VISITNUM": 4.0, "QSDTC": "1960-01-11"})
    >>> item_records(qs)[["PARAMCD", "AVAL", "ADT", "SRCVAR"]].values.tolist()
    [['EQ5D0206', 80.0, 10.0, 'QSSTRESN']]
    """
    require_columns(qs, QS_COLUMNS, "ADQS item_records (QS)")
    testcd = qs["QSTESTCD"].astype("str")
    pairs = pd.DataFrame({"QSCAT": qs["QSCAT"], "QSTESTCD": qs["QSTESTCD"]}).drop_duplicates()  # checked once each
    known_pairs = set(zip(PARAMETERS["PARAMCD"], PARAMETERS["PARCAT1"]))
    bad = sorted({f"{c}/{t}" for c, t in zip(pairs["QSCAT"], pairs["QSTESTCD"])
                  if (str(t), str(c)) not in known_pairs or str(t) not in ITEM_PARAMCDS})
    if bad:
        raise ValueError(f"ADQS: QS records (QSCAT/QSTESTCD) without an ADQS item parameter: {', '.join(bad)}")
    out = pd.DataFrame(index=qs.index)
    out["USUBJID"] = qs["USUBJID"]
    out["PARAMCD"] = testcd
    out["PARCAT1"] = qs["QSCAT"].astype("str")
    out["AVAL"] = pd.to_numeric(qs["QSSTRESN"]).astype("float64")
    out["VISIT"] = qs["VISIT"]
    out["VISITNUM"] = pd.to_numeric(qs["VISITNUM"]).astype("float64")
    out["ADT"] = dtc_to_sas_date(qs["QSDTC"])
    out["SRCDOM"] = "QS"
    out["SRCVAR"] = "QSSTRESN"
    out["SRCSEQ"] = pd.to_numeric(qs["QSSEQ"]).astype("float64")
    out["_SEQ"] = out["SRCSEQ"]
    return out


# ----------------------------------------------------------------- scores ----
def administration_scores(items: pd.DataFrame, category: str, item_codes: tuple[str, ...],
                          score: Callable[[pd.DataFrame], pd.DataFrame]) -> pd.DataFrame:
    """Score every administration (USUBJID, VISITNUM) of one instrument (PARCAT1 = ``category``) from its own items.

    ``score`` takes the wide items (one column per item test code, AVAL
    values; an item absent from QS counts as not answered) and returns one
    column per score PARAMCD. Only administrations with at least one answered
    item are scored (:func:`cdisc_msc.adam.bds.score_forms`).

    >>> it = pd.DataFrame({"USUBJID": "S1", "PARAMCD": list(eq5d.DIMENSIONS), "PARCAT1": "EQ-5D-5L",
    ...     "AVAL": [2.0, 1.0, 1.0, 4.0, 3.0], "VISIT": "M3", "VISITNUM": 4.0, "ADT": 10.0, "_SEQ": [1.0, 2, 3, 4, 5]})
    >>> r = administration_scores(it, "EQ-5D-5L", EQ5D_ITEMS, eq5d.score_eq5d)
    >>> [(p, round(v, 5)) for p, v in r[["PARAMCD", "AVAL"]].values.tolist()]
    [('EQ5DLSS', 11.0), ('EQ5DIXFR', 0.65184)]
    """
    require_columns(items, ["PARCAT1"], f"ADQS scores ({category})")
    out = score_forms(items, (items["PARCAT1"] == category).to_numpy(dtype=bool), item_codes, "AVAL", score,
                      f"ADQS scores ({category})", answered_only=True)
    out.insert(2, "PARCAT1", category)
    return out


def score_records(items: pd.DataFrame, norms: SF36Norms) -> pd.DataFrame:
    """SF-36 scale scores, NBS, PCS, MCS (configured ``norms``) and EQ-5D-5L LSS and French index."""
    return pd.concat([
        administration_scores(items, SF36_CAT, sf36.ITEMS, lambda w: sf36.score_sf36(w, norms)),
        administration_scores(items, EQ5D_CAT, EQ5D_ITEMS, eq5d.score_eq5d),
    ], ignore_index=True)


# ------------------------------------------------------------ BDS timing ----
def derive_bds(df: pd.DataFrame, config: StudyConfig) -> pd.DataFrame:
    """Windows, ABLFL, ANL01FL (per PARAMCD), BASE/CHG/PCHG of ADQS records (``_SEQ`` = QSSEQ order for ties)."""
    return derive_bds_timing(df, config, where="ADQS derive_bds")


# ---------------------------------------------------------------- checks ----
NORM_METHODS = ("MT.ADQS.SF36NBS", "MT.ADQS.SF36PCS", "MT.ADQS.SF36MCS")


def check_methods(spec, config: StudyConfig) -> None:
    """Fail when the NBS/PCS/MCS MethodDefs no longer name the configured norm set."""
    require_method_text(spec, {oid: [config.sf36_norms.name] for oid in NORM_METHODS},
                        "ADQS (specs/adam/methods/adqs.yaml)")


# ----------------------------------------------------------------- build ----


def derive_adqs(qs: pd.DataFrame, adsl: pd.DataFrame, config: StudyConfig) -> pd.DataFrame:
    """ADQS from SDTM QS and ADSL (all columns of the spec, plus none other)."""
    items = item_records(qs)
    records = pd.concat([items, score_records(items, config.sf36_norms)], ignore_index=True)
    del items  # in records now (memory)
    records = derive_bds(add_study_day(records, adsl), config)
    records = merge_by_keys(records, adsl, ["USUBJID"], ADSL_BDS_VARS, "ADQS (ADSL)")
    records = merge_by_keys(records, PARAMETERS.drop(columns="PARCAT1"), ["PARAMCD"], ["PARAM"], "ADQS (parameters)")
    return records.drop(columns=[c for c in records.columns if c.startswith("_")])


SDTM_INPUTS: tuple[str, ...] = ("QS",)
"""The SDTM datasets :func:`build` reads (``build_adam`` releases them after their last reader)."""


def build(ctx) -> dict[str, pd.DataFrame]:
    """ADQS (see module doc)."""
    check_methods(ctx.spec, ctx.config)
    return {"ADQS": derive_adqs(ctx.sdtm["QS"], ctx.datasets["ADSL"], ctx.config)}
