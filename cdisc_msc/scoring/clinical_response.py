"""Major / Partial Clinical Response over classic BILAG grades, SAP 4.3.

Rule ``BILAG_SNAPSHOT`` (:class:`cdisc_msc.config.ClinicalResponseRule`),
a snapshot at the visit:

* MCR: every one of the 8 systems graded C, D or E (no A, no B);
* PCR: not MCR; no system A; at most ``pcr_max_b`` systems B; and the
  baseline had at least ``pcr_baseline_min_a`` A or at least
  ``pcr_baseline_min_b`` B;
* otherwise non-responder. A visit form missing or not fully graded, or a
  missing baseline (no system graded), gives a non-responder, flagged as
  imputed.

Input: one row per subject and window, columns ``BILAG101``..``BILAG108``
(visit grades A..E) and ``BILAG101_BL``..``BILAG108_BL`` (baseline grades).

Output (added, ``"Y"``/``"N"``, never missing): ``MCR``, ``PCR``, ``MCRPCR``
(MCR or PCR), ``CRIMP`` = "Y" when the subject is a non-responder because
data are missing: the visit form is incomplete, the baseline is missing, or
the visit grades meet PCR but ungraded baseline systems leave the baseline
condition undecided.
"""
from __future__ import annotations

import pandas as pd

from cdisc_msc.config import ClinicalResponseRule
from cdisc_msc.scoring import require_columns, yn
from cdisc_msc.scoring.bilag import SYSTEM_TESTCDS, count_grades, normalise_grades

BL = "_BL"
REQUIRED: tuple[str, ...] = (*SYSTEM_TESTCDS, *(c + BL for c in SYSTEM_TESTCDS))
FLAG_COLUMNS: tuple[str, ...] = ("MCR", "PCR", "MCRPCR", "CRIMP")


def derive_clinical_response(df: pd.DataFrame, rule: ClinicalResponseRule) -> pd.DataFrame:
    """Add MCR, PCR, MCRPCR and CRIMP (see module doc).

    >>> rule = ClinicalResponseRule(description="default")
    >>> row = {c: "C" for c in SYSTEM_TESTCDS} | {c + "_BL": "C" for c in SYSTEM_TESTCDS}
    >>> row |= {"BILAG102": "B", "BILAG101_BL": "A"}          # one B now, one A at baseline
    >>> derive_clinical_response(pd.DataFrame([row]), rule)[["MCR", "PCR", "MCRPCR", "CRIMP"]].iloc[0].tolist()
    ['N', 'Y', 'Y', 'N']
    """
    if rule.name != "BILAG_SNAPSHOT":  # pragma: no cover - the config admits no other rule yet
        raise ValueError(f"clinical response rule {rule.name!r} is not implemented")
    require_columns(df, REQUIRED, "clinical response")
    visit = normalise_grades(df, SYSTEM_TESTCDS)
    base = normalise_grades(df, [c + BL for c in SYSTEM_TESTCDS])

    visit_complete = visit.notna().all(axis=1)
    base_any = base.notna().any(axis=1)
    base_missing_n = base.isna().sum(axis=1)

    n_a, n_b = count_grades(visit, "A"), count_grades(visit, "B")
    bl_a, bl_b = count_grades(base, "A"), count_grades(base, "B")

    evaluable = visit_complete & base_any
    mcr = evaluable & (n_a == 0) & (n_b == 0)
    pcr_visit = evaluable & ~mcr & (n_a == 0) & (n_b <= rule.pcr_max_b)
    bl_met = (bl_a >= rule.pcr_baseline_min_a) | (bl_b >= rule.pcr_baseline_min_b)
    # could the ungraded baseline systems still meet the condition?
    bl_possible = ((bl_a + base_missing_n) >= rule.pcr_baseline_min_a) | (
        (bl_b + base_missing_n) >= rule.pcr_baseline_min_b
    )
    pcr = pcr_visit & bl_met
    undecided = pcr_visit & ~bl_met & bl_possible & (base_missing_n > 0)

    out = df.copy()
    out["MCR"] = yn(mcr)
    out["PCR"] = yn(pcr)
    out["MCRPCR"] = yn(mcr | pcr)
    out["CRIMP"] = yn(~visit_complete | ~base_any | undecided)
    return out
