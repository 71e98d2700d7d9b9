"""SF-36 v2 standard (4-week recall) scoring, SAP 3.4.

Input is a wide frame, one row per subject-visit, one column per item named by
its CDISC QSTESTCD (codelist C101826): ``SF36301``, ``SF36302``,
``SF36303A``..``SF36303J``, ``SF36304A``..``SF36304D``, ``SF36305A``..``SF36305C``,
``SF36306``, ``SF36307``, ``SF36308``, ``SF36309A``..``SF36309I``, ``SF36310``,
``SF36311A``..``SF36311D``. Values are the answered category numbers (1..k,
float, NaN = missing). Other columns (keys) are ignored; results keep the
input index so they join back.

Output test codes (C101826): ``SF36312``..``SF36319`` 0-100 scores of PF, RP,
BP, GH, VT, SF, RE, MH (in that order, as the CT term names say);
``SF36320``..``SF36327`` their norm-based scores; ``SF36328`` PCS;
``SF36329`` MCS.

Pipeline: :func:`recode_items` -> :func:`raw_scale_scores` (half-scale rule)
-> :func:`transformed_scale_scores` -> :func:`norm_based_scores` and
:func:`component_scores`; :func:`score_sf36` runs it all.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_msc.config import SF36Norms
from cdisc_msc.scoring import require_columns

#: All 36 item test codes, in questionnaire order.
ITEMS: tuple[str, ...] = (
    "SF36301",
    "SF36302",
    *(f"SF36303{c}" for c in "ABCDEFGHIJ"),
    *(f"SF36304{c}" for c in "ABCD"),
    *(f"SF36305{c}" for c in "ABC"),
    "SF36306",
    "SF36307",
    "SF36308",
    *(f"SF36309{c}" for c in "ABCDEFGHI"),
    "SF36310",
    *(f"SF36311{c}" for c in "ABCD"),
)

#: Number of answer categories of each item (answers are 1..k).
ITEM_CATEGORIES: dict[str, int] = {
    item: (3 if item.startswith("SF36303") else 6 if item == "SF36307" else 5) for item in ITEMS
}

#: The eight scales in CDISC order (SF36312..SF36319 / SF36320..SF36327).
SCALES: tuple[str, ...] = ("PF", "RP", "BP", "GH", "VT", "SF", "RE", "MH")

SCALE_NAMES: dict[str, str] = {
    "PF": "Physical Functioning",
    "RP": "Role Physical",
    "BP": "Bodily Pain",
    "GH": "General Health",
    "VT": "Vitality",
    "SF": "Social Functioning",
    "RE": "Role Emotional",
    "MH": "Mental Health",
}

#: Scale -> item test codes (SAP 3.4). Item SF36302 (health transition) is in no scale.
SCALE_ITEMS: dict[str, tuple[str, ...]] = {
    "PF": tuple(f"SF36303{c}" for c in "ABCDEFGHIJ"),
    "RP": tuple(f"SF36304{c}" for c in "ABCD"),
    "BP": ("SF36307", "SF36308"),
    "GH": ("SF36301", *(f"SF36311{c}" for c in "ABCD")),
    "VT": ("SF36309A", "SF36309E", "SF36309G", "SF36309I"),
    "SF": ("SF36306", "SF36310"),
    "RE": tuple(f"SF36305{c}" for c in "ABC"),
    "MH": ("SF36309B", "SF36309C", "SF36309D", "SF36309F", "SF36309H"),
}

#: Raw-score range (min, max) of each scale, after recoding (SAP 3.4).
SCALE_RAW_RANGE: dict[str, tuple[int, int]] = {
    "PF": (10, 30),
    "RP": (4, 20),
    "BP": (2, 12),
    "GH": (5, 25),
    "VT": (4, 20),
    "SF": (2, 10),
    "RE": (3, 15),
    "MH": (5, 25),
}

#: Output test codes.
SCALE_TESTCD: dict[str, str] = {s: f"SF363{12 + i}" for i, s in enumerate(SCALES)}
NBS_TESTCD: dict[str, str] = {s: f"SF363{20 + i}" for i, s in enumerate(SCALES)}
PCS_TESTCD = "SF36328"
MCS_TESTCD = "SF36329"
SCORE_TESTCDS: tuple[str, ...] = (*SCALE_TESTCD.values(), *NBS_TESTCD.values(), PCS_TESTCD, MCS_TESTCD)

#: Items reversed as x -> 6 - x (SAP 3.4).
REVERSED_ITEMS: tuple[str, ...] = (
    "SF36306", "SF36309A", "SF36309D", "SF36309E", "SF36309H", "SF36311B", "SF36311D",
)
ITEM1_RECODE = {1: 5.0, 2: 4.4, 3: 3.4, 4: 2.0, 5: 1.0}
ITEM7_RECODE = {1: 6.0, 2: 5.4, 3: 4.2, 4: 3.1, 5: 2.2, 6: 1.0}
#: Item 8 when item 7 is missing.
ITEM8_ALONE_RECODE = {1: 6.0, 2: 4.75, 3: 3.5, 4: 2.25, 5: 1.0}
#: Item 8 when item 7 is answered, for 8 = 2..5 (8 = 1 gives 6 if 7 = 1 else 5).
ITEM8_WITH7_RECODE = {2: 4.0, 3: 3.0, 4: 2.0, 5: 1.0}

_SCORED_ITEMS: tuple[str, ...] = tuple(i for s in SCALES for i in SCALE_ITEMS[s])


def scale_item_map() -> pd.DataFrame:
    """The scale -> item mapping as data: one row per (scale, item).

    Columns: SCALE, SCALENAM, SCORETCD (0-100 test code), NBSTCD (norm-based
    test code), ITEM (item test code), REVERSED (bool), RAWMIN, RAWMAX.

    >>> scale_item_map().query("SCALE == 'BP'").ITEM.tolist()
    ['SF36307', 'SF36308']
    """
    rows = [
        {
            "SCALE": s,
            "SCALENAM": SCALE_NAMES[s],
            "SCORETCD": SCALE_TESTCD[s],
            "NBSTCD": NBS_TESTCD[s],
            "ITEM": item,
            "REVERSED": item in REVERSED_ITEMS,
            "RAWMIN": SCALE_RAW_RANGE[s][0],
            "RAWMAX": SCALE_RAW_RANGE[s][1],
        }
        for s in SCALES
        for item in SCALE_ITEMS[s]
    ]
    return pd.DataFrame(rows)


def _check_answers(items: pd.DataFrame, columns: tuple[str, ...], where: str) -> pd.DataFrame:
    """Numeric copy of ``columns``; fail naming every item with an impossible answer."""
    vals = items.loc[:, list(columns)].apply(pd.to_numeric, errors="coerce").astype(float)
    bad = []
    for col in columns:  # loop over 36 columns, not rows
        raw_present = items[col].notna()
        k = ITEM_CATEGORIES[col]
        v = vals[col]
        wrong = raw_present & ~(v.isin(np.arange(1, k + 1, dtype=float)))
        if wrong.any():
            shown = sorted({str(x) for x in items.loc[wrong, col]})[:5]
            bad.append(f"{col} (allowed 1..{k}; got {', '.join(shown)})")
    if bad:
        raise ValueError(f"{where}: answers out of range: {'; '.join(bad)}")
    return vals


def recode_items(items: pd.DataFrame) -> pd.DataFrame:
    """Recode the 35 scale items so that higher = better (SAP 3.4).

    Item 1 and 7 by their tables, item 8 by the table that depends on whether
    item 7 is answered, items 6, 9a, 9d, 9e, 9h, 11b, 11d reversed (6 - x),
    all others as answered. Missing stays missing. Returns the recoded items
    (same index, columns = the scale items).

    >>> df = pd.DataFrame({c: [1.0] for c in ITEMS})
    >>> r = recode_items(df)
    >>> float(r.SF36301[0]), float(r.SF36307[0]), float(r.SF36308[0]), float(r.SF36306[0])
    (5.0, 6.0, 6.0, 5.0)
    """
    require_columns(items, _SCORED_ITEMS, "SF-36 recode_items")
    vals = _check_answers(items, _SCORED_ITEMS, "SF-36 recode_items")
    out = vals.copy()
    out["SF36301"] = vals["SF36301"].map(ITEM1_RECODE)
    out["SF36307"] = vals["SF36307"].map(ITEM7_RECODE)
    i7, i8 = vals["SF36307"], vals["SF36308"]
    with7 = i8.map(ITEM8_WITH7_RECODE).mask(i8.eq(1), np.where(i7.eq(1), 6.0, 5.0))
    out["SF36308"] = with7.where(i7.notna(), i8.map(ITEM8_ALONE_RECODE))
    rev = list(REVERSED_ITEMS)
    out[rev] = 6.0 - vals[rev]
    return out.astype(float)


def raw_scale_scores(recoded: pd.DataFrame) -> pd.DataFrame:
    """Raw scale sums with the half-scale rule (SAP 3.4).

    When at least half of a scale's items are answered, each missing item
    takes the mean of the answered items (raw = mean x number of items);
    otherwise the scale is missing. Columns PF..MH.

    >>> r = pd.DataFrame({c: [2.0] for c in _SCORED_ITEMS})
    >>> r.loc[0, ["SF36303A", "SF36303B"]] = [np.nan, 3.0]   # PF: 9 answered, mean 19/9
    >>> round(float(raw_scale_scores(r).PF[0]), 4)
    21.1111
    """
    require_columns(recoded, _SCORED_ITEMS, "SF-36 raw_scale_scores")
    out = {}
    for scale in SCALES:  # 8 scales, vectorised over rows
        block = recoded[list(SCALE_ITEMS[scale])]
        k = block.shape[1]
        answered = block.notna().sum(axis=1)
        mean = block.mean(axis=1, skipna=True)
        out[scale] = (mean * k).where(2 * answered >= k)
    return pd.DataFrame(out, index=recoded.index, dtype=float)


def transformed_scale_scores(raw: pd.DataFrame) -> pd.DataFrame:
    """0-100 scores: 100 x (raw - min) / (max - min). Columns PF..MH.

    >>> float(transformed_scale_scores(pd.DataFrame({s: [SCALE_RAW_RANGE[s][1]] for s in SCALES})).PF[0])
    100.0
    """
    require_columns(raw, SCALES, "SF-36 transformed_scale_scores")
    lo = pd.Series({s: SCALE_RAW_RANGE[s][0] for s in SCALES}, dtype=float)
    hi = pd.Series({s: SCALE_RAW_RANGE[s][1] for s in SCALES}, dtype=float)
    return 100.0 * (raw[list(SCALES)].astype(float) - lo) / (hi - lo)


def _z(scores: pd.DataFrame, norms: SF36Norms) -> pd.DataFrame:
    mean = pd.Series(norms.mean, dtype=float)[list(SCALES)]
    sd = pd.Series(norms.sd, dtype=float)[list(SCALES)]
    return (scores[list(SCALES)].astype(float) - mean) / sd


def norm_based_scores(scores: pd.DataFrame, norms: SF36Norms) -> pd.DataFrame:
    """NBS = 50 + 10 x (score - mean) / sd per scale, from 0-100 scores. Columns PF..MH.

    Example: PF score 100 with US 1998 norms -> 50 + 10 x (100 - 83.29094) / 23.75883 = 57.0328.
    """
    require_columns(scores, SCALES, "SF-36 norm_based_scores")
    return 50.0 + 10.0 * _z(scores, norms)


def component_scores(scores: pd.DataFrame, norms: SF36Norms) -> pd.DataFrame:
    """PCS and MCS = 50 + 10 x sum over the 8 scales of z x coefficient.

    Missing when any of the 8 scale scores is missing. Columns PCS, MCS.
    Example: every scale at its norm mean -> PCS = MCS = 50.
    """
    require_columns(scores, SCALES, "SF-36 component_scores")
    z = _z(scores, norms)
    pcs_coef = pd.Series(norms.pcs_coef, dtype=float)[list(SCALES)]
    mcs_coef = pd.Series(norms.mcs_coef, dtype=float)[list(SCALES)]
    complete = z.notna().all(axis=1)
    pcs = 50.0 + 10.0 * (z * pcs_coef).sum(axis=1)
    mcs = 50.0 + 10.0 * (z * mcs_coef).sum(axis=1)
    return pd.DataFrame({"PCS": pcs.where(complete), "MCS": mcs.where(complete)}, index=scores.index)


def score_sf36(items: pd.DataFrame, norms: SF36Norms) -> pd.DataFrame:
    """All SF-36 derived scores, columns named by test code, same index as ``items``.

    Columns: SF36312..SF36319 (0-100 PF RP BP GH VT SF RE MH),
    SF36320..SF36327 (norm-based), SF36328 (PCS), SF36329 (MCS).

    >>> from cdisc_msc.config import load_config   # doctest: +SKIP
    >>> score_sf36(wide_items, load_config("specs").sf36_norms)  # doctest: +SKIP
    """
    transformed = transformed_scale_scores(raw_scale_scores(recode_items(items)))
    nbs = norm_based_scores(transformed, norms)
    comp = component_scores(transformed, norms)
    out = pd.concat(
        [
            transformed.rename(columns=SCALE_TESTCD),
            nbs.rename(columns=NBS_TESTCD),
            comp.rename(columns={"PCS": PCS_TESTCD, "MCS": MCS_TESTCD}),
        ],
        axis=1,
    )
    return out[list(SCORE_TESTCDS)]
