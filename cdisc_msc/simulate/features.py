"""Inventory of the notable features of a raw study, per subject.

Used to pick and pin the shipped fixture, to test the simulator, and to tell
the SDTM/ADaM engineers which subject shows what. The response columns are a
deliberately simple, independent reading of the SAP (baseline = last
assessment on or before day 1; per window the record closest to the target
day, ties to the later; SRI-4 and BILAG snapshot MCR/PCR per SAP 4.2/4.3) so
that hand-worked tests have a second opinion; they are not the ADaM code.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_msc.config import StudyConfig
from cdisc_msc.raw import forms as F
from cdisc_msc.raw.readers import RawStudy

SLEDAI_W = dict(zip(F.SLEDAI_DESCRIPTORS, [8] * 8 + [4] * 6 + [2] * 7 + [1] * 3))


def _day(date: pd.Series, inf: pd.Series) -> pd.Series:
    d = pd.to_datetime(date, format="%Y-%m-%d", errors="coerce")
    i = pd.to_datetime(inf, format="%Y-%m-%d", errors="coerce")
    delta = (d - i).dt.days
    return delta + (delta >= 0)


def _window_pick(df: pd.DataFrame, config: StudyConfig) -> pd.DataFrame:
    """Baseline (AVISITN 0) and the analysed record per window, per subject (rows with ``day``)."""
    base = df[df.day <= config.baseline_day].sort_values(["SUBJID", "day"]).groupby("SUBJID").tail(1)
    base = base.assign(AVISITN=0)
    parts = [base]
    for w in config.analysis_windows:
        x = df[(df.day >= w.start_day) & (df.day <= w.end_day)].copy()
        x["dist"] = (x.day - w.target_day).abs()
        x = x.sort_values(["SUBJID", "dist", "day"], ascending=[True, True, False]).groupby("SUBJID").head(1)
        parts.append(x.drop(columns="dist").assign(AVISITN=w.avisitn))
    return pd.concat(parts, ignore_index=True)


def responses(raw: RawStudy, config: StudyConfig) -> pd.DataFrame:
    """Per subject and post-baseline window: SLEDAI, PGA, BILAG, SRI-4, MCR, PCR (simple reading)."""
    ex = raw["ex"]
    inf = ex.loc[ex.EXYN == "Y", ["SUBJID", "STDTM"]].assign(INF=lambda d: d.STDTM.str.slice(0, 10))[["SUBJID", "INF"]]
    sl = raw["sledai"].merge(inf, on="SUBJID")
    sl["day"] = _day(sl.RSDT, sl.INF)
    desc = list(F.SLEDAI_DESCRIPTORS)
    full = sl[desc].notna().all(axis=1)
    sl["SLEDAI"] = np.where(full, sum((sl[d] == "Y") * SLEDAI_W[d] for d in desc), np.nan)
    s_tot = _window_pick(sl[sl.SLEDAI.notna()], config)[["SUBJID", "AVISITN", "SLEDAI", "day"]]
    pga = _window_pick(sl[sl.PGA.notna()], config)[["SUBJID", "AVISITN", "PGA"]]
    bl = raw["bilag"].merge(inf, on="SUBJID")
    bl["day"] = _day(bl.RSDT, bl.INF)
    sysn = list(F.BILAG_SYSTEMS)
    bl = bl[bl[sysn].notna().all(axis=1)]
    b = _window_pick(bl, config)[["SUBJID", "AVISITN"] + sysn]
    out = s_tot.merge(pga, on=["SUBJID", "AVISITN"], how="outer").merge(b, on=["SUBJID", "AVISITN"], how="outer")
    base = out[out.AVISITN == 0].set_index("SUBJID")
    post = out[out.AVISITN > 0].copy()
    bb = base.reindex(post.SUBJID)
    nA = (post[sysn] == "A").sum(axis=1).to_numpy()
    nB = (post[sysn] == "B").sum(axis=1).to_numpy()
    graded = post[sysn].notna().all(axis=1).to_numpy()
    new_a = ((post[sysn].to_numpy() == "A") & (bb[sysn].to_numpy() != "A")).sum(axis=1)
    new_b = ((post[sysn].to_numpy() == "B") & np.isin(bb[sysn].to_numpy(), ["C", "D", "E"])).sum(axis=1)
    base_ok = bb[sysn].notna().all(axis=1).to_numpy()
    post["SLEDAI_CHG"] = post.SLEDAI.to_numpy() - bb.SLEDAI.to_numpy()
    post["PGA_CHG"] = np.round(post.PGA.to_numpy() - bb.PGA.to_numpy(), 4)
    c1 = post.SLEDAI_CHG.to_numpy() <= -4
    c2 = graded & base_ok & (new_a == 0)
    c3 = graded & base_ok & (new_b <= 1)
    c4 = post.PGA_CHG.to_numpy() < 0.3
    post["SRI4"] = c1 & c2 & c3 & c4
    mcr = graded & (nA == 0) & (nB == 0)
    base_a = (bb[sysn] == "A").sum(axis=1).to_numpy()
    base_b = (bb[sysn] == "B").sum(axis=1).to_numpy()
    rule = config.clinical_response
    pcr = graded & base_ok & ~mcr & (nA == 0) & (nB <= rule.pcr_max_b) & (
        (base_a >= rule.pcr_baseline_min_a) | (base_b >= rule.pcr_baseline_min_b))
    post["MCR"] = mcr & base_ok
    post["PCR"] = pcr
    return post.sort_values(["SUBJID", "AVISITN"]).reset_index(drop=True)


def subject_features(raw: RawStudy, config: StudyConfig) -> pd.DataFrame:
    """One row per subject: status, cohort, and the notable features of its records."""
    dm = raw["dm"][["SUBJID", "ELIGIBLE", "COHORT"]].copy()
    ex = raw["ex"]
    dm = dm.merge(ex[["SUBJID", "EXYN", "STDTM"]], on="SUBJID", how="left")
    dm["status"] = np.where(dm.ELIGIBLE == "N", "screen failure",
                            np.where(dm.EXYN == "Y", "infused", "enrolled, not infused"))
    dm["INF"] = dm.STDTM.str.slice(0, 10)
    f = dm.set_index("SUBJID")
    inf = f["INF"]

    def by_subj(df: pd.DataFrame, mask, col: str | None = None, fmt=None) -> pd.Series:
        x = df[mask]
        if fmt is None:
            return x.groupby("SUBJID").size()
        if x.empty:
            return pd.Series(dtype=object)
        text = pd.Series([fmt(r) for r in x.itertuples()], index=x.index)
        return text.groupby(x.SUBJID).agg("; ".join)

    ae = raw["ae"].copy()
    ae["day"] = _day(ae.AESTDT.where(~ae.AESTDT.str.contains("UN", na=False)), ae.SUBJID.map(inf))
    lab = lambda r: f"AE {r.AESPID} {r.AETERM} {r.AESTDT}"  # noqa: E731
    f["ae_partial_start"] = by_subj(ae, ae.AESTDT.str.contains("UN"), fmt=lab)
    f["ae_partial_end"] = by_subj(ae, ae.AEENDT.str.contains("UN", na=False), fmt=lambda r: f"AE {r.AESPID} end {r.AEENDT}")
    f["ae_ongoing"] = by_subj(ae, ae.AEONGO == "Y", fmt=lambda r: f"AE {r.AESPID} {r.AETERM}")
    f["ae_infusion_day"] = by_subj(ae, ae.day == 1, fmt=lambda r: f"AE {r.AESPID} {r.AETERM} {r.AESTTM if isinstance(r.AESTTM, str) else ''}".strip())
    f["ae_day_before"] = by_subj(ae, ae.day == -1, fmt=lambda r: f"AE {r.AESPID} {r.AETERM}")
    f["ae_no_grade"] = by_subj(ae, ae.AETOXGR.isna(), fmt=lambda r: f"AE {r.AESPID}")
    f["ae_no_rel"] = by_subj(ae, ae.AEREL.isna(), fmt=lambda r: f"AE {r.AESPID}")
    f["ae_serious"] = by_subj(ae, ae.AESER == "Y", fmt=lambda r: f"AE {r.AESPID} gr{r.AETOXGR}")
    f["ae_grade_max"] = ae.assign(g=pd.to_numeric(ae.AETOXGR)).groupby("SUBJID").g.max()
    f["ae_n"] = ae.groupby("SUBJID").size()
    sv = raw["sv"]
    f["unscheduled"] = by_subj(sv, sv.VISIT == "UNSCHEDULED", fmt=lambda r: f"{r.VISITNUM:g} {r.VISDT}")
    f["missed"] = by_subj(sv, sv.VISDONE == "N", fmt=lambda r: r.VISIT)
    gc = raw["gc"].copy()
    first = gc[gc.GCROUTE == "ORAL"].groupby("SUBJID").GCSTDT.min()
    oral = gc[gc.GCROUTE == "ORAL"]
    f["gc_periods"] = oral.groupby("SUBJID").size()
    f["gc_doses"] = oral.groupby("SUBJID").GCDOSE.apply(lambda s: "->".join(f"{v:g}" for v in s))
    f["gc_taper"] = oral.groupby("SUBJID").GCDOSE.apply(lambda s: bool((s.diff() < 0).any()))
    f["gc_pulse"] = by_subj(gc, gc.GCROUTE == "INTRAVENOUS", fmt=lambda r: f"{r.GCSTDT}..{r.GCENDT}")
    d_first = _day(first, inf.reindex(first.index))
    f["gc_log_start_day"] = d_first
    f["gc_late_start"] = d_first > -28
    before = oral[pd.to_datetime(oral.GCSTDT) < pd.to_datetime(oral.SUBJID.map(inf))]
    f["gc_baseline0"] = (f.status != "screen failure") & ~f.index.isin(before.SUBJID)
    sf = raw["sf36"]
    items = [c for c in F.SF36.model_fields if c.startswith("Q") and c not in ("QSDT", "QSND")]
    done = sf.QSND.isna()
    nmiss = sf[items].isna().sum(axis=1)
    f["sf36_missing_items"] = by_subj(sf, done & (nmiss > 0), fmt=lambda r: f"{r.VISIT}")
    f["sf36_not_done"] = by_subj(sf, ~done, fmt=lambda r: r.VISIT)
    f["sledai_incomplete"] = by_subj(raw["sledai"], raw["sledai"][list(F.SLEDAI_DESCRIPTORS)].isna().any(axis=1)
                                     & raw["sledai"].RSND.isna(), fmt=lambda r: r.VISIT)
    f["bilag_incomplete"] = by_subj(raw["bilag"], raw["bilag"][list(F.BILAG_SYSTEMS)].isna().any(axis=1)
                                    & raw["bilag"].RSND.isna(), fmt=lambda r: r.VISIT)
    ds = raw["ds"].set_index("SUBJID")
    f["disposition"] = ds.DSDECOD
    r = responses(raw, config)
    for col in ("SRI4", "MCR", "PCR"):
        f[col.lower() + "_visits"] = r[r[col]].groupby("SUBJID").AVISITN.apply(
            lambda s: ",".join(f"M{int(v)}" for v in s))
    return f.reset_index()
