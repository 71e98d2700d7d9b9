"""SF-36 v2 scoring (SAP 3.4); expected values worked out by hand from the SAP."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdisc_msc.config import SF36Norms, load_config
from cdisc_msc.scoring import MissingColumnsError
from cdisc_msc.scoring import sf36

# SAP 3.4 table, typed in by hand: mean 1998, sd 1998, PCS coef, MCS coef
SAP_TABLE = {
    "PF": (83.29094, 23.75883, 0.42402, -0.22999),
    "RP": (82.50964, 25.52028, 0.35119, -0.12329),
    "BP": (71.32527, 23.66224, 0.31754, -0.09731),
    "GH": (70.84570, 20.97821, 0.24954, -0.01571),
    "VT": (58.31411, 20.01923, 0.02877, 0.23534),
    "SF": (84.30250, 22.91921, -0.00753, 0.26876),
    "RE": (87.39733, 21.43778, -0.19206, 0.43407),
    "MH": (74.98685, 17.75604, -0.22069, 0.48581),
}
NORMS = SF36Norms(
    name="US 1998 (test)",
    mean={k: v[0] for k, v in SAP_TABLE.items()},
    sd={k: v[1] for k, v in SAP_TABLE.items()},
    pcs_coef={k: v[2] for k, v in SAP_TABLE.items()},
    mcs_coef={k: v[3] for k, v in SAP_TABLE.items()},
)
ORDER = ["PF", "RP", "BP", "GH", "VT", "SF", "RE", "MH"]


def nbs(scale: str, score: float) -> float:
    mean, sd, _, _ = SAP_TABLE[scale]
    return 50 + 10 * (score - mean) / sd


def pcs_mcs(scores: dict[str, float]) -> tuple[float, float]:
    z = {s: (scores[s] - SAP_TABLE[s][0]) / SAP_TABLE[s][1] for s in ORDER}
    return (50 + 10 * sum(z[s] * SAP_TABLE[s][2] for s in ORDER),
            50 + 10 * sum(z[s] * SAP_TABLE[s][3] for s in ORDER))


def answers(**items: float) -> dict[str, float]:
    return {k: float(v) if v is not None else np.nan for k, v in items.items()}


BEST = answers(
    SF36301=1, SF36302=3,
    **{f"SF36303{c}": 3 for c in "ABCDEFGHIJ"},
    **{f"SF36304{c}": 5 for c in "ABCD"},
    **{f"SF36305{c}": 5 for c in "ABC"},
    SF36306=1, SF36307=1, SF36308=1,
    SF36309A=1, SF36309B=5, SF36309C=5, SF36309D=1, SF36309E=1, SF36309F=5, SF36309G=5, SF36309H=1, SF36309I=5,
    SF36310=5, SF36311A=5, SF36311B=1, SF36311C=5, SF36311D=1,
)
WORST = answers(
    SF36301=5, SF36302=3,
    **{f"SF36303{c}": 1 for c in "ABCDEFGHIJ"},
    **{f"SF36304{c}": 1 for c in "ABCD"},
    **{f"SF36305{c}": 1 for c in "ABC"},
    SF36306=5, SF36307=6, SF36308=5,
    SF36309A=5, SF36309B=1, SF36309C=1, SF36309D=5, SF36309E=5, SF36309F=1, SF36309G=1, SF36309H=5, SF36309I=1,
    SF36310=1, SF36311A=1, SF36311B=5, SF36311C=1, SF36311D=5,
)
# Mixed pattern; by hand:
# PF 1+2+3+2+2+3+1+2+3+3 = 22 -> (22-10)/20*100 = 60
# RP 2+3+4+3 = 12 -> (12-4)/16*100 = 50
# BP item7=3 -> 4.2, item8=2 (7 answered) -> 4; 8.2 -> (8.2-2)/10*100 = 62
# GH item1=3 -> 3.4; 11a=2; 11b=2 -> 4; 11c=4; 11d=3 -> 3; 16.4 -> (16.4-5)/20*100 = 57
# VT 9a=2 -> 4; 9e=3 -> 3; 9g=4; 9i=3; 14 -> (14-4)/16*100 = 62.5
# SF 6=2 -> 4; 10=4; 8 -> (8-2)/8*100 = 75
# RE 5+4+3 = 12 -> (12-3)/12*100 = 75
# MH 9b=4; 9c=5; 9d=2 -> 4; 9f=4; 9h=3 -> 3; 20 -> (20-5)/20*100 = 75
MIXED = answers(
    SF36301=3, SF36302=2,
    SF36303A=1, SF36303B=2, SF36303C=3, SF36303D=2, SF36303E=2,
    SF36303F=3, SF36303G=1, SF36303H=2, SF36303I=3, SF36303J=3,
    SF36304A=2, SF36304B=3, SF36304C=4, SF36304D=3,
    SF36305A=5, SF36305B=4, SF36305C=3,
    SF36306=2, SF36307=3, SF36308=2,
    SF36309A=2, SF36309B=4, SF36309C=5, SF36309D=2, SF36309E=3, SF36309F=4, SF36309G=4, SF36309H=3, SF36309I=3,
    SF36310=4, SF36311A=2, SF36311B=2, SF36311C=4, SF36311D=3,
)
MIXED_SCORES = {"PF": 60.0, "RP": 50.0, "BP": 62.0, "GH": 57.0, "VT": 62.5, "SF": 75.0, "RE": 75.0, "MH": 75.0}


def frame(*rows: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(sf36.ITEMS)).astype(float)


def test_codes_and_mapping_follow_ct_and_sap():
    assert len(sf36.ITEMS) == 36
    assert [sf36.SCALE_TESTCD[s] for s in ORDER] == [f"SF363{n}" for n in range(12, 20)]
    assert [sf36.NBS_TESTCD[s] for s in ORDER] == [f"SF363{n}" for n in range(20, 28)]
    m = sf36.scale_item_map()
    assert len(m) == 35 and "SF36302" not in set(m.ITEM)
    assert m.groupby("SCALE").size().to_dict() == {"PF": 10, "RP": 4, "BP": 2, "GH": 5, "VT": 4, "SF": 2, "RE": 3, "MH": 5}
    assert sorted(m.loc[m.REVERSED, "ITEM"]) == sorted(["SF36306", "SF36309A", "SF36309D", "SF36309E",
                                                         "SF36309H", "SF36311B", "SF36311D"])


def test_full_patterns_best_worst_mixed():
    out = sf36.score_sf36(frame(BEST, WORST, MIXED), NORMS)
    assert list(out.columns) == [f"SF363{n}" for n in range(12, 30)]
    for i, s in enumerate(ORDER):
        code = f"SF363{12 + i}"
        assert out.loc[0, code] == pytest.approx(100.0)
        assert out.loc[1, code] == pytest.approx(0.0)
        assert out.loc[2, code] == pytest.approx(MIXED_SCORES[s])
        assert out.loc[2, f"SF363{20 + i}"] == pytest.approx(nbs(s, MIXED_SCORES[s]))
    # PF NBS for 100: 50 + 10 * (100 - 83.29094) / 23.75883 = 57.03287...
    assert out.loc[0, "SF36320"] == pytest.approx(57.0328, abs=1e-4)
    pcs, mcs = pcs_mcs(MIXED_SCORES)
    assert out.loc[2, "SF36328"] == pytest.approx(pcs)
    assert out.loc[2, "SF36329"] == pytest.approx(mcs)
    pcs_best, mcs_best = pcs_mcs({s: 100.0 for s in ORDER})
    assert out.loc[0, "SF36328"] == pytest.approx(pcs_best)
    assert out.loc[0, "SF36329"] == pytest.approx(mcs_best)


def test_pcs_mcs_are_50_at_norm_means():
    scores = pd.DataFrame([{s: SAP_TABLE[s][0] for s in ORDER}])
    comp = sf36.component_scores(scores, NORMS)
    assert comp.loc[0, "PCS"] == pytest.approx(50.0)
    assert comp.loc[0, "MCS"] == pytest.approx(50.0)


def test_item1_and_item7_recoding_tables():
    rows = []
    for v1, v7 in zip([1, 2, 3, 4, 5, 5], [1, 2, 3, 4, 5, 6]):
        rows.append({**MIXED, "SF36301": float(v1), "SF36307": float(v7), "SF36308": np.nan})
    r = sf36.recode_items(frame(*rows))
    assert r.SF36301.tolist() == [5.0, 4.4, 3.4, 2.0, 1.0, 1.0]
    assert r.SF36307.tolist() == [6.0, 5.4, 4.2, 3.1, 2.2, 1.0]


def test_item8_with_and_without_item7():
    cases = [  # (item 7, item 8, recoded 8)
        (1, 1, 6.0), (2, 1, 5.0), (6, 1, 5.0), (3, 2, 4.0), (3, 3, 3.0), (3, 4, 2.0), (3, 5, 1.0),
        (None, 1, 6.0), (None, 2, 4.75), (None, 3, 3.5), (None, 4, 2.25), (None, 5, 1.0),
    ]
    rows = [{**MIXED, "SF36307": np.nan if a is None else float(a), "SF36308": float(b)} for a, b, _ in cases]
    r = sf36.recode_items(frame(*rows))
    assert r.SF36308.tolist() == [c[2] for c in cases]


def test_bodily_pain_with_item7_or_item8_missing():
    rows = [
        {**MIXED, "SF36307": np.nan, "SF36308": 2.0},  # 8 alone: 4.75 x 2 = 9.5 -> (9.5-2)/10*100 = 75
        {**MIXED, "SF36307": 2.0, "SF36308": 1.0},     # 5.4 + 5 = 10.4 -> 84
        {**MIXED, "SF36307": 3.0, "SF36308": np.nan},  # 4.2 x 2 = 8.4 -> 64
        {**MIXED, "SF36307": np.nan, "SF36308": np.nan},
    ]
    bp = sf36.score_sf36(frame(*rows), NORMS)["SF36314"]
    assert bp.iloc[:3].tolist() == pytest.approx([75.0, 84.0, 64.0])
    assert np.isnan(bp.iloc[3])


def test_half_scale_rule_under_and_over():
    rows = [
        # GH: 11c, 11d missing -> 3 of 5 answered (>= half): mean (3.4 + 2 + 4) / 3, raw = 5 x mean = 15.6667
        {**MIXED, "SF36311C": np.nan, "SF36311D": np.nan},
        # GH: only 2 of 5 answered -> missing; so PCS and MCS missing
        {**MIXED, "SF36311B": np.nan, "SF36311C": np.nan, "SF36311D": np.nan},
        # RE: 2 of 3 answered (5, 4): raw = 3 x 4.5 = 13.5 -> (13.5-3)/12*100 = 87.5
        {**MIXED, "SF36305C": np.nan},
        # RE: 1 of 3 answered -> missing
        {**MIXED, "SF36305B": np.nan, "SF36305C": np.nan},
        # PF: exactly 5 of 10 answered (1,2,3,2,2): mean 2, raw 20 -> 50
        {**MIXED, **{f"SF36303{c}": np.nan for c in "FGHIJ"}},
        # PF: 4 of 10 answered -> missing
        {**MIXED, **{f"SF36303{c}": np.nan for c in "EFGHIJ"}},
    ]
    out = sf36.score_sf36(frame(*rows), NORMS)
    gh_raw = 5 * (3.4 + 2 + 4) / 3
    assert out.loc[0, "SF36315"] == pytest.approx(100 * (gh_raw - 5) / 20)
    assert out.loc[0, "SF36315"] == pytest.approx(53.3333, abs=1e-4)
    assert out.loc[0, ["SF36328", "SF36329"]].notna().all()
    assert np.isnan(out.loc[1, "SF36315"]) and np.isnan(out.loc[1, "SF36323"])
    assert np.isnan(out.loc[1, "SF36328"]) and np.isnan(out.loc[1, "SF36329"])
    assert out.loc[1, "SF36312"] == pytest.approx(60.0)  # other scales unaffected
    assert out.loc[2, "SF36318"] == pytest.approx(87.5)
    assert np.isnan(out.loc[3, "SF36318"])
    assert out.loc[4, "SF36312"] == pytest.approx(50.0)
    assert np.isnan(out.loc[5, "SF36312"])


def test_keeps_index_and_ignores_key_columns():
    df = frame(MIXED).assign(USUBJID="S1")
    df.index = [42]
    out = sf36.score_sf36(df, NORMS)
    assert out.index.tolist() == [42]


def test_missing_columns_named():
    df = frame(MIXED).drop(columns=["SF36307", "SF36311A"])
    with pytest.raises(MissingColumnsError, match="SF36307, SF36311A"):
        sf36.score_sf36(df, NORMS)


def test_out_of_range_answer_fails():
    with pytest.raises(ValueError, match="SF36303A"):
        sf36.recode_items(frame({**MIXED, "SF36303A": 4.0}))


def test_study_config_holds_the_sap_norms():
    cfg = load_config(Path(__file__).resolve().parents[1] / "specs" / "study.yaml")
    assert cfg.sf36_norms.mean == NORMS.mean and cfg.sf36_norms.sd == NORMS.sd
    assert cfg.sf36_norms.pcs_coef == NORMS.pcs_coef and cfg.sf36_norms.mcs_coef == NORMS.mcs_coef
