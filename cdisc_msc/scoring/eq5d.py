"""EQ-5D-5L level-sum score and French value-set index, SAP 3.5.

Input: a wide frame, one row per subject-visit, columns by CDISC QSTESTCD
(codelist C101817): ``EQ5D0201`` mobility, ``EQ5D0202`` self-care,
``EQ5D0203`` usual activities, ``EQ5D0204`` pain/discomfort, ``EQ5D0205``
anxiety/depression (levels 1..5, NaN = missing); ``EQ5D0206`` = EQ VAS 0-100
(not scored, passed through by the caller).

Derived scores have no CDISC test code; their sponsor codes are
:data:`LSS_TESTCD` (``EQ5DLSS``, level-sum score 5..25) and
:data:`INDEX_TESTCD` (``EQ5DIXFR``, French index, Andrade et al. 2020).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_msc.scoring import require_columns

DIMENSIONS: tuple[str, ...] = ("EQ5D0201", "EQ5D0202", "EQ5D0203", "EQ5D0204", "EQ5D0205")
DIMENSION_NAMES: dict[str, str] = {
    "EQ5D0201": "MO",
    "EQ5D0202": "SC",
    "EQ5D0203": "UA",
    "EQ5D0204": "PD",
    "EQ5D0205": "AD",
}
VAS_TESTCD = "EQ5D0206"
LSS_TESTCD = "EQ5DLSS"
LSS_TEST = "EQ5D02-Level Sum Score"
INDEX_TESTCD = "EQ5DIXFR"
INDEX_TEST = "EQ5D02-Index Value French Value Set"

#: French value set (Andrade et al., PharmacoEconomics 2020;38:413): decrement
#: by dimension and level; level 1 = 0. Index = 1 - sum of decrements.
FR_DECREMENTS: dict[str, dict[int, float]] = {
    "EQ5D0201": {1: 0.0, 2: 0.03759, 3: 0.04774, 4: 0.17949, 5: 0.32509},
    "EQ5D0202": {1: 0.0, 2: 0.03656, 3: 0.050781, 4: 0.172251, 5: 0.258331},
    "EQ5D0203": {1: 0.0, 2: 0.03313, 3: 0.03979, 4: 0.15689, 5: 0.24005},
    "EQ5D0204": {1: 0.0, 2: 0.02198, 3: 0.04704, 4: 0.26374, 5: 0.44399},
    "EQ5D0205": {1: 0.0, 2: 0.02046, 3: 0.04683, 4: 0.20005, 5: 0.25803},
}


def _levels(items: pd.DataFrame, where: str) -> pd.DataFrame:
    require_columns(items, DIMENSIONS, where)
    lv = items.loc[:, list(DIMENSIONS)].apply(pd.to_numeric, errors="coerce").astype(float)
    bad = items[list(DIMENSIONS)].notna() & ~lv.isin([1.0, 2.0, 3.0, 4.0, 5.0])
    if bad.to_numpy().any():
        cols = [c for c in DIMENSIONS if bad[c].any()]
        raise ValueError(f"{where}: levels outside 1..5 in {', '.join(cols)}")
    return lv


def level_sum_score(items: pd.DataFrame) -> pd.Series:
    """Sum of the 5 levels (5..25); missing if any dimension is missing.

    >>> level_sum_score(pd.DataFrame([[2, 1, 1, 4, 3]], columns=DIMENSIONS)).tolist()
    [11.0]
    """
    lv = _levels(items, "EQ-5D level_sum_score")
    return lv.sum(axis=1).where(lv.notna().all(axis=1)).rename(LSS_TESTCD)


def french_index(items: pd.DataFrame) -> pd.Series:
    """French index = 1 - sum of decrements; missing if any dimension is missing.

    >>> round(float(french_index(pd.DataFrame([[2, 1, 1, 4, 3]], columns=DIMENSIONS))[0]), 6)
    0.65184
    """
    lv = _levels(items, "EQ-5D french_index")
    dec = pd.DataFrame({d: lv[d].map(FR_DECREMENTS[d]) for d in DIMENSIONS}, index=lv.index)
    complete = lv.notna().all(axis=1)
    return (1.0 - dec.sum(axis=1)).where(complete).rename(INDEX_TESTCD)


def score_eq5d(items: pd.DataFrame) -> pd.DataFrame:
    """Both derived scores, columns ``EQ5DLSS`` and ``EQ5DIXFR``, same index.

    >>> score_eq5d(pd.DataFrame([[1, 1, 1, 1, 1], [1, 1, np.nan, 1, 1]], columns=DIMENSIONS)).to_dict("list")
    {'EQ5DLSS': [5.0, nan], 'EQ5DIXFR': [1.0, nan]}
    """
    return pd.concat([level_sum_score(items), french_index(items)], axis=1)
