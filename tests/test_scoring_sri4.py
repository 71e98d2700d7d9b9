"""SRI-4 (SAP 4.2): a responder, one failure per component, missing components."""
from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_msc.scoring import sri4

BIL = [f"BILAG1{i:02d}" for i in range(1, 9)]
FLAGS = ["SRI4SLED", "SRI4NWA", "SRI4NWB", "SRI4PGA", "SRI4", "SRI4IMP"]

# Baseline: SLEDAI 10, PGA 1.0, BILAG General A, Mucocutaneous B, others C.
BASE = {"SLEDAI_BL": 10.0, "PGA_BL": 1.0,
        **{c + "_BL": g for c, g in zip(BIL, ["A", "B", "C", "C", "C", "C", "C", "C"])}}
# Visit of a responder: SLEDAI 6 (-4), PGA 1.2 (+0.2), General still A (not new),
# Neurological C -> B (one new B), others C.
RESPONDER = {**BASE, "SLEDAI": 6.0, "PGA": 1.2,
             **dict(zip(BIL, ["A", "B", "B", "C", "C", "C", "C", "C"]))}


def flags(*rows: dict) -> list[list]:
    out = sri4.derive_sri4(pd.DataFrame(list(rows)), threshold_decimals=4)
    return [[None if (isinstance(v, float) and np.isnan(v)) else v for v in r] for r in out[FLAGS].values.tolist()]


def test_responder():
    assert flags(RESPONDER) == [["Y", "Y", "Y", "Y", "Y", "N"]]


def test_one_failure_per_component():
    rows = [
        {**RESPONDER, "SLEDAI": 7.0},                          # decrease 3
        {**RESPONDER, "BILAG104": "A"},                        # C -> A: new A
        {**RESPONDER, "BILAG105": "B"},                        # second new B
        {**RESPONDER, "PGA": 1.3},                             # +0.3 (1.3 - 1.0 = 0.30000000000000004)
    ]
    assert flags(*rows) == [
        ["N", "Y", "Y", "Y", "N", "N"],
        ["Y", "N", "Y", "Y", "N", "N"],
        ["Y", "Y", "N", "Y", "N", "N"],
        ["Y", "Y", "Y", "N", "N", "N"],
    ]


def test_boundaries_that_still_respond():
    rows = [
        {**RESPONDER, "PGA": 1.29},                            # +0.29 < 0.3
        {**RESPONDER, "PGA": 0.0},                             # improvement
        {**RESPONDER, "BILAG102": "A"},                        # B -> A is a new A ...
        {**RESPONDER, "BILAG101": "B"},                        # A -> B is not a new B
        {**RESPONDER, "SLEDAI": 0.0},
    ]
    out = flags(*rows)
    assert out[0][4] == "Y" and out[1][4] == "Y"
    assert out[2][1] == "N" and out[2][4] == "N"
    assert out[3][2] == "Y" and out[3][4] == "Y"
    assert out[4][4] == "Y"


def test_missing_component_is_imputed_non_responder():
    rows = [
        {**RESPONDER, "PGA": np.nan},                          # PGA missing
        {**RESPONDER, "SLEDAI_BL": np.nan},                    # baseline SLEDAI missing
        {**RESPONDER, "BILAG108": None},                       # BILAG system not graded: new A/B undecidable
        {**RESPONDER, "PGA": np.nan, "SLEDAI": 9.0},           # missing, but SLEDAI fails anyway
    ]
    assert flags(*rows) == [
        ["Y", "Y", "Y", None, "N", "Y"],
        [None, "Y", "Y", "Y", "N", "Y"],
        ["Y", None, None, "Y", "N", "Y"],
        ["N", "Y", "Y", None, "N", "N"],
    ]


def test_partial_bilag_still_decides_when_it_can():
    # 108 ungraded, but 104 is a new A: no-new-A fails for sure
    row = {**RESPONDER, "BILAG108": None, "BILAG104": "A"}
    assert flags(row)[0][1] == "N"
    # baseline of 108 missing but 108 graded C at the visit: neither new A nor new B
    row = {**RESPONDER, "BILAG108_BL": None}
    assert flags(row) == [["Y", "Y", "Y", "Y", "Y", "N"]]
    # an empty row (subject without data in the window)
    empty = {k: np.nan for k in RESPONDER}
    assert flags(empty) == [[None, None, None, None, "N", "Y"]]


def test_keys_pass_through():
    out = sri4.derive_sri4(pd.DataFrame([{**RESPONDER, "USUBJID": "S1", "AVISITN": 3}]))
    assert out.loc[0, "USUBJID"] == "S1" and out.loc[0, "AVISITN"] == 3
