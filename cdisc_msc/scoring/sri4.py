"""SRI-4 (SLE Responder Index), SAP 4.2 [Furie et al. 2009].

Input: one row per subject and analysis window holding the analysed
(ANL01FL) value of each component and its baseline, possibly from different
dates. Required columns (``_BL`` = baseline):

=================================  ==========================================
``SLEDAI``, ``SLEDAI_BL``          SELENA-SLEDAI totals (float, NaN = missing)
``BILAG101``..``BILAG108``         classic BILAG grades A..E at the visit
``BILAG101_BL``..``BILAG108_BL``   baseline grades
``PGA``, ``PGA_BL``                Physician Global Assessment 0..3
=================================  ==========================================

Output (added columns, ``"Y"``/``"N"``; a component that cannot be
determined is missing):

* ``SRI4SLED`` SLEDAI decreased by >= 4 (baseline - visit, rounded, >= 4);
* ``SRI4NWA`` no new BILAG A (no system A at the visit that was not A at baseline);
* ``SRI4NWB`` at most one new BILAG B (systems B at the visit that were C, D or E at baseline);
* ``SRI4PGA`` no PGA worsening (visit - baseline, rounded, < 0.3);
* ``SRI4`` responder: all four components "Y"; otherwise "N" (never missing);
* ``SRI4IMP`` "Y" when SRI4 = "N" only because a component is missing
  (non-responder imputation), "N" otherwise.

A BILAG component is determined even with some systems ungraded when the
graded ones already decide it (e.g. a new A on a graded system fails
``SRI4NWA`` whatever the others are). Comparisons use differences rounded to
``threshold_decimals`` (SAP 2), so 1.3 - 1.0 counts as an increase of 0.3.
A subject with no row for a window must be given one (all values missing)
by the caller to be counted as an imputed non-responder.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_msc.scoring import require_columns, yn
from cdisc_msc.scoring.bilag import SYSTEM_TESTCDS, normalise_grades

BL = "_BL"
SLEDAI_COL = "SLEDAI"
PGA_COL = "PGA"
SLEDAI_MIN_DECREASE = 4.0
PGA_MAX_INCREASE = 0.3  # an increase must stay strictly below this
MAX_NEW_B = 1

REQUIRED: tuple[str, ...] = (
    SLEDAI_COL, SLEDAI_COL + BL, PGA_COL, PGA_COL + BL,
    *SYSTEM_TESTCDS, *(c + BL for c in SYSTEM_TESTCDS),
)
FLAG_COLUMNS: tuple[str, ...] = ("SRI4SLED", "SRI4NWA", "SRI4NWB", "SRI4PGA", "SRI4", "SRI4IMP")


def _three_valued(value: np.ndarray, known: np.ndarray, index: pd.Index) -> pd.Series:
    out = pd.Series(value.astype(bool), index=index, dtype="boolean")
    return out.mask(~known)


def new_grade_counts(visit: pd.DataFrame, base: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per system: is it a new A / a new B? Three-valued (True/False/NA) frames.

    new A: visit A and baseline not A; new B: visit B and baseline C, D or E.
    Unknown (NA) when the visit grade, or the baseline grade needed, is missing.

    >>> v = pd.DataFrame({"S": ["A", "B", "C", None]}); b = pd.DataFrame({"S": ["B", "C", None, "A"]})
    >>> a, bb = new_grade_counts(v, b); a.S.tolist(), bb.S.tolist()
    ([True, False, False, <NA>], [False, True, False, <NA>])
    """
    v = visit.to_numpy(dtype=object)
    b = base.to_numpy(dtype=object)
    v_known = pd.notna(v)
    b_known = pd.notna(b)
    v_a, v_b = v == "A", v == "B"
    b_a = b == "A"
    b_cde = np.isin(b, ["C", "D", "E"])
    new_a = v_a & b_known & ~b_a
    known_a = v_known & (~v_a | b_known)
    new_b = v_b & b_cde
    known_b = v_known & (~v_b | b_known)

    def frame(value: np.ndarray, known: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(
            {c: _three_valued(value[:, i], known[:, i], visit.index) for i, c in enumerate(visit.columns)},
            index=visit.index,
        )

    return frame(new_a, known_a), frame(new_b, known_b)


def derive_sri4(df: pd.DataFrame, threshold_decimals: int = 4) -> pd.DataFrame:
    """Add the SRI-4 component flags, responder and imputation flag (see module doc).

    >>> row = {"SLEDAI": 6.0, "SLEDAI_BL": 10.0, "PGA": 1.2, "PGA_BL": 1.0}
    >>> row |= {c: "C" for c in SYSTEM_TESTCDS} | {c + "_BL": "B" for c in SYSTEM_TESTCDS}
    >>> derive_sri4(pd.DataFrame([row]))[["SRI4SLED", "SRI4NWA", "SRI4NWB", "SRI4PGA", "SRI4", "SRI4IMP"]].iloc[0].tolist()
    ['Y', 'Y', 'Y', 'Y', 'Y', 'N']
    """
    require_columns(df, REQUIRED, "SRI-4")
    idx = df.index
    visit = normalise_grades(df, SYSTEM_TESTCDS)
    base = normalise_grades(df, [c + BL for c in SYSTEM_TESTCDS])
    base.columns = list(SYSTEM_TESTCDS)

    sled = pd.to_numeric(df[SLEDAI_COL], errors="coerce").astype(float)
    sled_bl = pd.to_numeric(df[SLEDAI_COL + BL], errors="coerce").astype(float)
    decrease = (sled_bl - sled).round(threshold_decimals)
    c_sled = (decrease >= SLEDAI_MIN_DECREASE).astype("boolean").mask(decrease.isna())

    new_a, new_b = new_grade_counts(visit, base)
    n_new_a = new_a.fillna(False).sum(axis=1)
    n_unknown_a = new_a.isna().sum(axis=1)
    c_nwa = pd.Series(pd.NA, index=idx, dtype="boolean")
    c_nwa[(n_new_a > 0).to_numpy()] = False
    c_nwa[((n_new_a == 0) & (n_unknown_a == 0)).to_numpy()] = True

    n_new_b = new_b.fillna(False).sum(axis=1)
    n_unknown_b = new_b.isna().sum(axis=1)
    c_nwb = pd.Series(pd.NA, index=idx, dtype="boolean")
    c_nwb[(n_new_b > MAX_NEW_B).to_numpy()] = False
    c_nwb[((n_new_b + n_unknown_b) <= MAX_NEW_B).to_numpy()] = True

    pga = pd.to_numeric(df[PGA_COL], errors="coerce").astype(float)
    pga_bl = pd.to_numeric(df[PGA_COL + BL], errors="coerce").astype(float)
    increase = (pga - pga_bl).round(threshold_decimals)
    c_pga = (increase < PGA_MAX_INCREASE).astype("boolean").mask(increase.isna())

    comps = pd.DataFrame({"SRI4SLED": c_sled, "SRI4NWA": c_nwa, "SRI4NWB": c_nwb, "SRI4PGA": c_pga}, index=idx)
    all_yes = comps.fillna(False).all(axis=1)
    any_no = (~comps.fillna(True)).any(axis=1)
    any_missing = comps.isna().any(axis=1)

    out = df.copy()
    for col in comps.columns:
        out[col] = yn(comps[col])
    out["SRI4"] = yn(all_yes)
    out["SRI4IMP"] = yn(any_missing & ~any_no)
    return out
