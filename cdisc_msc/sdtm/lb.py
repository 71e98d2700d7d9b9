"""LB: the laboratory values behind SELENA-SLEDAI descriptors (lb.csv), one
record per test per visit.

Raw test codes map to CDISC LBTESTCD + LBSPEC (:data:`TESTS`); results are
standardised to the unit of :data:`cdisc_msc.raw.forms.LB_TESTS` with the
factors of :data:`UNIT_FACTORS` (an unknown unit stops the build rather than
guessing). LBNRIND compares the standard result with the standard range.
A test not done (LBND given, or no result) is a record with LBSTAT = NOT DONE.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdisc_msc.io.columns import spread
from cdisc_msc.raw.forms import LB_TESTS
from cdisc_msc.sdtm.build import SdtmContext
from cdisc_msc.sdtm.common import DerivationError, add_subject_ids, iso_date, per_distinct, per_distinct_rows, require
from cdisc_msc.sdtm.instruments import NOT_DONE, finish_findings, number_text
from cdisc_msc.spec.ct import load_ct


@dataclass(frozen=True)
class LabTest:
    testcd: str
    spec: str
    cat: str


TESTS: dict[str, LabTest] = {
    "C3": LabTest("C3", "SERUM", "IMMUNOLOGY"),
    "C4": LabTest("C4", "SERUM", "IMMUNOLOGY"),
    "DSDNA": LabTest("DDNAIGAB", "SERUM", "IMMUNOLOGY"),
    "PLAT": LabTest("PLAT", "BLOOD", "HEMATOLOGY"),
    "WBC": LabTest("WBC", "BLOOD", "HEMATOLOGY"),
    "RBCUR": LabTest("RBC", "URINE", "URINALYSIS"),
    "WBCUR": LabTest("WBC", "URINE", "URINALYSIS"),
    "CASTSUR": LabTest("CSPATH", "URINE", "URINALYSIS"),
    "PROTUR": LabTest("PROTEXR", "URINE", "URINALYSIS"),
}
"""Raw LBTESTCD -> CDISC LBTESTCD, specimen, category. Anti-dsDNA: CT has only the
IgG test (DDNAIGAB); urinary casts of SLEDAI (heme-granular or RBC casts) are
pathologic casts (CSPATH); 24-hour urine protein in g/day is a protein
excretion rate (PROTEXR)."""

UNIT_FACTORS: dict[tuple[str, str], float] = {
    ("g/L", "g/L"): 1.0, ("mg/dL", "g/L"): 0.01, ("mg/L", "g/L"): 0.001,
    ("IU/mL", "IU/mL"): 1.0,
    ("10^9/L", "10^9/L"): 1.0, ("10^3/uL", "10^9/L"): 1.0, ("/uL", "10^9/L"): 0.001,
    ("/HPF", "/HPF"): 1.0, ("/LPF", "/LPF"): 1.0,
    ("g/day", "g/day"): 1.0, ("mg/day", "g/day"): 0.001,
}
"""(original unit, standard unit) -> factor: standard = original x factor."""


def ct_test_names() -> dict[str, str]:
    """LBTESTCD -> LBTEST of the tests used, from CT (C65047 / C67154 share term codes)."""
    ct = load_ct()
    codes, names = ct["C65047"].terms, ct["C67154"].terms
    name_by_code = {code: name for name, code in names.items()}
    return {t.testcd: name_by_code[codes[t.testcd]] for t in TESTS.values()}


def map_tests(lb: pd.DataFrame) -> pd.DataFrame:
    """Raw test code -> LBTESTCD, LBTEST, LBSPEC, LBCAT, and the standard unit ``_STDU``.

    >>> map_tests(pd.DataFrame({"LBTESTCD": ["RBCUR"]}))[["LBTESTCD", "LBTEST", "LBSPEC"]].values.tolist()
    [['RBC', 'Erythrocytes', 'URINE']]
    """
    require(lb, ["LBTESTCD"], "map_tests")
    codes, distinct = pd.factorize(lb["LBTESTCD"].astype("string"), use_na_sentinel=True)
    unknown = sorted(set(distinct) - set(TESTS))
    if unknown:
        raise DerivationError(f"map_tests: raw lab test code(s) without a mapping: {', '.join(unknown)}")
    names = ct_test_names()
    codes = np.asarray(codes, dtype=np.intp)

    def per_test(value: dict[str, str]) -> pd.Series:
        """A text per raw test code, spread to the records (code -1, missing: None)."""
        table = np.array([value[t] for t in distinct], dtype=object)
        return pd.Series(spread(table, codes, None), index=lb.index, dtype="string")

    return lb.assign(
        LBTESTCD=per_test({k: t.testcd for k, t in TESTS.items()}),
        LBTEST=per_test({k: names[t.testcd] for k, t in TESTS.items()}),
        LBSPEC=per_test({k: t.spec for k, t in TESTS.items()}),
        LBCAT=per_test({k: t.cat for k, t in TESTS.items()}),
        _STDU=per_test({k: u for k, (_, u) in LB_TESTS.items()}),
    )


def standardise(lb: pd.DataFrame) -> pd.DataFrame:
    """LBSTRESN/LBSTRESC/LBSTRESU and LBSTNRLO/LBSTNRHI from the original values.

    >>> d = pd.DataFrame({"LBORRES": ["85", None], "LBORRESU": ["mg/dL", None], "LBORNRLO": ["90", None],
    ...                   "LBORNRHI": ["180", None], "_STDU": ["g/L", "g/L"]})
    >>> standardise(d)[["LBSTRESC", "LBSTRESN", "LBSTNRLO"]].values.tolist()[0]
    ['0.85', 0.85, 0.9]
    """
    return _standardised(lb)[0]


def _standardised(lb: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """``standardise`` and which records have a result (LBORRES not blank once stripped)."""
    require(lb, ["LBORRES", "LBORRESU", "LBORNRLO", "LBORNRHI", "_STDU"], "standardise")
    out = lb.copy()
    orres = per_distinct(_strip, out["LBORRES"].astype("string"))
    has_res = (orres != "").fillna(False)
    pairs = pd.DataFrame({"u": out["LBORRESU"].astype("string").fillna(""),
                          "s": out["_STDU"].astype("string").fillna("")})
    factor = per_distinct_rows(_unit_factor, pairs)
    bad = has_res & factor.isna()
    if bad.any():
        shown = sorted({f"{u or '(none)'} -> {s}" for u, s in pairs[bad].drop_duplicates().itertuples(index=False)})
        raise DerivationError(f"standardise: no conversion for lab unit(s) {', '.join(shown)}")
    num = per_distinct(_number, orres)
    text_only = has_res & num.isna()
    if (text_only & (factor != 1.0)).any():
        raise DerivationError("standardise: a non-numeric lab result needs a unit conversion")
    stresn = (num * factor).round(10)
    out["LBSTRESN"] = stresn.astype("float64")
    # no conversion (factor 1): the reported text keeps its precision (1.00 stays 1.00)
    out["LBSTRESC"] = number_text(stresn).mask(factor == 1.0, orres).where(has_res)
    out["LBSTRESU"] = out["_STDU"].where(has_res)
    for orig, std in (("LBORNRLO", "LBSTNRLO"), ("LBORNRHI", "LBSTNRHI")):
        out[std] = (per_distinct(_number, out[orig].astype("string")) * factor).round(10).astype("float64")
    return out, has_res


def _strip(values: pd.Series) -> pd.Series:
    return values.str.strip()


def _number(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce")


def _unit_factor(pairs: pd.DataFrame) -> pd.Series:
    """Conversion factor per (original unit, standard unit) row; NaN when none is known."""
    return pd.Series([UNIT_FACTORS.get(k, np.nan) for k in zip(pairs["u"], pairs["s"])], dtype="float64")


def reference_indicator(stresn: pd.Series, lo: pd.Series, hi: pd.Series) -> pd.Series:
    """LBNRIND: LOW below the lower limit, HIGH above the upper, else NORMAL;
    empty without a numeric result or without any limit.

    >>> reference_indicator(pd.Series([0.5, 1.0, 3.0, 1.0]), pd.Series([0.9, 0.9, 0.9, None]),
    ...                     pd.Series([1.8, 1.8, 1.8, None])).tolist()
    ['LOW', 'NORMAL', 'HIGH', <NA>]
    """
    ind = np.select([stresn < lo, stresn > hi], ["LOW", "HIGH"], default="NORMAL")
    ok = stresn.notna() & (lo.notna() | hi.notna())
    return pd.Series(ind, index=stresn.index, dtype="string").where(ok)


def lab_records(lb: pd.DataFrame) -> pd.DataFrame:
    """All LB variables that come from the raw row (no timing, no identifiers)."""
    require(lb, ["LBDT", "LBND", "LBORRES"], "lab_records")
    out, done = _standardised(map_tests(lb))
    out["LBNRIND"] = reference_indicator(out["LBSTRESN"], out["LBSTNRLO"], out["LBSTNRHI"])
    out["LBSTAT"] = pd.Series(pd.NA, index=out.index, dtype="string").mask(~done, NOT_DONE)
    reason = per_distinct(_strip, out["LBND"].astype("string"))
    out["LBREASND"] = reason.where(~done & (reason != ""))
    out["LBDTC"] = iso_date(out["LBDT"])
    return out.drop(columns=["LBDT", "LBND", "_STDU"])


def build(ctx: SdtmContext) -> dict[str, pd.DataFrame]:
    """LB from lb.csv."""
    form = ctx.form("lb")
    lb = add_subject_ids(lab_records(form), ctx.subjects, ctx.config, "LB")
    lb = finish_findings(lb, "LB", ctx.subjects, ctx.datasets.get("SE"), ctx.datasets.get("SV"),
                         order=["LBTESTCD", "LBSPEC", "VISITNUM"], lobxfl_by=["LBTESTCD", "LBSPEC"])
    ctx.accounting.flow("lb", "LB", len(form), len(lb), "one record per raw row; tests not done LBSTAT=NOT DONE")
    return {"LB": lb.drop(columns=[c for c in lb.columns if c.startswith("_") or c == "SUBJID"])}
