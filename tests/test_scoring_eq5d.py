"""EQ-5D-5L level-sum score and French index (SAP 3.5)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdisc_msc.scoring import MissingColumnsError
from cdisc_msc.scoring import eq5d

DIMS = ["EQ5D0201", "EQ5D0202", "EQ5D0203", "EQ5D0204", "EQ5D0205"]


def states(*codes: str) -> pd.DataFrame:
    return pd.DataFrame([[float(c) if c != "." else np.nan for c in code] for code in codes], columns=DIMS)


def test_sap_checks():
    out = eq5d.score_eq5d(states("11111", "21143", "55555"))
    assert list(out.columns) == ["EQ5DLSS", "EQ5DIXFR"]
    assert out.EQ5DIXFR[0] == pytest.approx(1.0, abs=1e-12)
    assert out.EQ5DIXFR[1] == pytest.approx(1 - (0.03759 + 0.26374 + 0.04683), abs=1e-12)
    assert out.EQ5DIXFR[1] == pytest.approx(0.65184, abs=1e-12)
    assert out.EQ5DIXFR[2] == pytest.approx(-0.525491, abs=1e-12)
    assert out.EQ5DLSS.tolist() == [5.0, 11.0, 25.0]


def test_each_decrement_of_the_table():
    # 12345: MO L1 0, SC L2 0.03656, UA L3 0.03979, PD L4 0.26374, AD L5 0.25803
    idx = eq5d.french_index(states("12345"))[0]
    assert idx == pytest.approx(1 - (0.03656 + 0.03979 + 0.26374 + 0.25803), abs=1e-12)
    # 54321: MO L5 0.32509, SC L4 0.172251, UA L3 0.03979, PD L2 0.02198, AD L1 0
    idx = eq5d.french_index(states("54321"))[0]
    assert idx == pytest.approx(1 - (0.32509 + 0.172251 + 0.03979 + 0.02198), abs=1e-12)


def test_missing_dimension_makes_both_missing():
    out = eq5d.score_eq5d(states("11.11", "11111"))
    assert np.isnan(out.EQ5DLSS[0]) and np.isnan(out.EQ5DIXFR[0])
    assert out.EQ5DLSS[1] == 5.0


def test_vas_is_not_needed_and_extra_columns_ignored():
    df = states("33333").assign(EQ5D0206=70.0, USUBJID="S1")
    assert eq5d.level_sum_score(df)[0] == 15.0


def test_invalid_level_and_missing_column():
    with pytest.raises(ValueError, match="EQ5D0203"):
        eq5d.score_eq5d(states("11611"))
    with pytest.raises(MissingColumnsError, match="EQ5D0205"):
        eq5d.score_eq5d(states("11111").drop(columns="EQ5D0205"))
