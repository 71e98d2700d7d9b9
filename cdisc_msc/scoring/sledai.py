"""SELENA-SLEDAI, SAP 3.1: 24 descriptors, weighted sum 0..105.

The descriptor table :data:`DESCRIPTORS` is the single source of the RS test
codes. SELENA-SLEDAI has no CDISC QRS supplement, so the codes are sponsor
defined in the QRS naming style ``<short name><item number>``: short name
``SLED1`` (cf. ``SF363``, ``EQ5D02``), items ``SLED101``..``SLED124`` in the
order of the SELENA-SLEDAI form, total score :data:`TOTAL_TESTCD` =
``SLED125``. Test names are ``SLED1-<descriptor>`` (<= 40 characters).

Input of the scoring functions: a wide frame, one row per subject-visit,
columns ``SLED101``..``SLED124``; a descriptor value is present/absent as
1/0, True/False, or the strings Y/N, YES/NO, PRESENT/ABSENT (any case);
missing = not recorded.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdisc_msc.scoring import distinct_text, require_columns, upper_stripped

PREFIX = "SLED1"
CATEGORY = "SELENA-SLEDAI"


@dataclass(frozen=True)
class Descriptor:
    """One SELENA-SLEDAI descriptor: RS test code, test name, weight."""

    testcd: str
    test: str
    weight: int
    name: str


_TABLE: tuple[tuple[str, int], ...] = (
    ("Seizure", 8),
    ("Psychosis", 8),
    ("Organic Brain Syndrome", 8),
    ("Visual Disturbance", 8),
    ("Cranial Nerve Disorder", 8),
    ("Lupus Headache", 8),
    ("Cerebrovascular Accident", 8),
    ("Vasculitis", 8),
    ("Arthritis", 4),
    ("Myositis", 4),
    ("Urinary Casts", 4),
    ("Hematuria", 4),
    ("Proteinuria", 4),
    ("Pyuria", 4),
    ("New Rash", 2),
    ("Alopecia", 2),
    ("Mucosal Ulcers", 2),
    ("Pleurisy", 2),
    ("Pericarditis", 2),
    ("Low Complement", 2),
    ("Increased DNA Binding", 2),
    ("Fever", 1),
    ("Thrombocytopenia", 1),
    ("Leukopenia", 1),
)

#: The 24 descriptors, in form order (SLED101 = seizure ... SLED124 = leukopenia).
DESCRIPTORS: list[Descriptor] = [
    Descriptor(testcd=f"{PREFIX}{i:02d}", test=f"{PREFIX}-{name}", weight=w, name=name)
    for i, (name, w) in enumerate(_TABLE, start=1)
]
DESCRIPTOR_TESTCDS: tuple[str, ...] = tuple(d.testcd for d in DESCRIPTORS)
WEIGHTS: dict[str, int] = {d.testcd: d.weight for d in DESCRIPTORS}
TOTAL_TESTCD = f"{PREFIX}25"
TOTAL_TEST = f"{PREFIX}-Total Score"
MAX_TOTAL = sum(WEIGHTS.values())  # 105

_TRUE = {"Y", "YES", "PRESENT", "1", "1.0", "TRUE"}
_FALSE = {"N", "NO", "ABSENT", "0", "0.0", "FALSE"}


def descriptors_frame() -> pd.DataFrame:
    """:data:`DESCRIPTORS` as a frame (TESTCD, TEST, NAME, WEIGHT)."""
    return pd.DataFrame(
        {"TESTCD": [d.testcd for d in DESCRIPTORS], "TEST": [d.test for d in DESCRIPTORS],
         "NAME": [d.name for d in DESCRIPTORS], "WEIGHT": [d.weight for d in DESCRIPTORS]}
    )


def presence(values: pd.Series) -> pd.Series:
    """Normalise a present/absent column to 1.0 / 0.0 / NaN; fail on anything else.

    >>> presence(pd.Series(["Y", "absent", None, 1])).tolist()
    [1.0, 0.0, nan, 1.0]
    """
    codes, distinct = distinct_text(values)  # the rule runs once per distinct value
    text = upper_stripped(distinct)
    scores = np.select([text.isin(_TRUE).to_numpy(), text.isin(_FALSE).to_numpy()], [1.0, 0.0], np.nan)
    bad = np.isnan(scores)
    if bad.any():
        shown = sorted(distinct[bad])[:5]
        raise ValueError(f"SELENA-SLEDAI {values.name}: not a present/absent value: {', '.join(shown)}")
    return pd.Series(np.append(scores, np.nan)[codes], index=values.index, dtype=float)  # code -1 (missing): NaN


def descriptor_scores(form: pd.DataFrame) -> pd.DataFrame:
    """Per-descriptor contribution: weight if present, 0 if absent, NaN if not recorded.

    >>> descriptor_scores(pd.DataFrame({c: [0] for c in DESCRIPTOR_TESTCDS}).assign(SLED101=1)).SLED101.tolist()
    [8.0]
    """
    require_columns(form, DESCRIPTOR_TESTCDS, "SELENA-SLEDAI descriptor_scores")
    return pd.DataFrame(
        {c: presence(form[c]) * WEIGHTS[c] for c in DESCRIPTOR_TESTCDS}, index=form.index
    )


def sledai_total(form: pd.DataFrame) -> pd.Series:
    """Total score (0..105) = sum of weights of present descriptors; missing unless all 24 are recorded.

    >>> f = pd.DataFrame({c: [0, 0] for c in DESCRIPTOR_TESTCDS})
    >>> f.loc[0, "SLED109"] = 1; f.loc[1, "SLED124"] = None   # arthritis; leukopenia not recorded
    >>> sledai_total(f).tolist()
    [4.0, nan]
    """
    scores = descriptor_scores(form)
    return scores.sum(axis=1).where(scores.notna().all(axis=1)).rename(TOTAL_TESTCD)
