"""Report statistics and the where-clause language, against values known by hand."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cdisc_msc.report.query import QueryError, conjoin, select
from cdisc_msc.report.stats import clopper_pearson, describe, proportions


@pytest.mark.parametrize("n, total, low, high", [
    (0, 10, 0.0, 0.3085),       # upper = 1 - 0.025 ** (1/10)
    (10, 10, 0.6915, 1.0),      # lower = 0.025 ** (1/10)
    (5, 10, 0.1871, 0.8129),
    (1, 5, 0.0051, 0.7164),
    (2, 5, 0.0527, 0.8534),
    (3, 5, 0.1466, 0.9473),
    (1, 2, 0.0126, 0.9874),
])
def test_clopper_pearson_known_cases(n, total, low, high):
    lo, hi = clopper_pearson(n, total)
    assert float(lo) == pytest.approx(low, abs=5e-5)
    assert float(hi) == pytest.approx(high, abs=5e-5)


def test_clopper_pearson_closed_forms_and_empty_denominator():
    lo, hi = clopper_pearson(np.array([0, 5, 0]), np.array([5, 5, 0]))
    assert hi[0] == pytest.approx(1 - 0.025 ** (1 / 5))      # 0.5218
    assert lo[1] == pytest.approx(0.025 ** (1 / 5))          # 0.4782
    assert lo[0] == 0.0 and hi[1] == 1.0
    assert math.isnan(lo[2]) and math.isnan(hi[2])


def test_proportions_in_percent():
    out = proportions(pd.DataFrame({"n": [2, 0], "N": [4, 0]}))
    assert out.loc[0, "pct"] == 50.0
    assert out.loc[0, "ci_low"] == pytest.approx(6.76, abs=0.005)
    assert out.loc[0, "ci_high"] == pytest.approx(93.24, abs=0.005)
    assert math.isnan(out.loc[1, "pct"])


def test_describe_quartiles_linear_interpolation():
    # sorted 6, 8, 10, 12, 14: Q1 at position 1 + 4 x 0.25 = 2 -> 8; SD = sqrt(40 / 4)
    d = pd.DataFrame({"g": ["a"] * 5 + ["b"] * 4, "v": [10, 8, 12, 6, 14, 4, 6, 8, None]})
    out = describe(d, "v", ["g"]).set_index("g")
    a, b = out.loc["a"], out.loc["b"]
    assert (a["n"], a["mean"], a["median"], a["q1"], a["q3"], a["min"], a["max"]) == (5, 10, 10, 8, 12, 6, 14)
    assert a["sd"] == pytest.approx(math.sqrt(10))
    # 4, 6, 8 (missing ignored): Q1 at position 1.5 -> 5, Q3 at 2.5 -> 7, SD 2
    assert (b["n"], b["mean"], b["sd"], b["q1"], b["q3"]) == (3, 6, 2, 5, 7)


def test_describe_single_value_has_no_sd():
    out = describe(pd.DataFrame({"g": ["a"], "v": [3.0]}), "v", ["g"])
    assert out.loc[0, "n"] == 1 and math.isnan(out.loc[0, "sd"]) and out.loc[0, "q1"] == 3.0


def test_select_text_numbers_lists_and_quoted_and():
    d = pd.DataFrame({"SOC": ["Infections and infestations", "Eye", "Respiratory, thoracic"],
                      "AVISITN": [3.0, np.nan, 6.0], "FL": ["Y", "", "N"]})
    assert select(d, 'SOC="Infections and infestations" and AVISITN=3').index.tolist() == [0]
    assert select(d, 'SOC in ("Eye", "Respiratory, thoracic")').index.tolist() == [1, 2]
    assert select(d, 'FL in ("Y", "N") and AVISITN>=3').index.tolist() == [0, 2]
    assert select(d, 'FL!="Y"').index.tolist() == [1, 2]
    assert select(d, "").index.tolist() == [0, 1, 2]


def test_select_rejects_unknown_variables_and_bad_clauses():
    d = pd.DataFrame({"A": ["x"]})
    with pytest.raises(QueryError, match="no variable B"):
        select(d, 'B="x"')
    with pytest.raises(QueryError, match="cannot parse"):
        select(d, "A is x")


def test_conjoin_drops_empty_and_repeated_clauses():
    assert conjoin('SAFFL="Y"', "", 'TRTEMFL="Y"', 'TRTEMFL="Y"') == 'SAFFL="Y" and TRTEMFL="Y"'
