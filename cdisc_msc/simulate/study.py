"""Synthetic MSC-SLE raw exports in the contract of :mod:`cdisc_msc.raw.forms`.

Everything is generated per form with numpy arrays (no Python object per
record), from one ``numpy.random.Generator`` drawn in a fixed order, so the
same seed gives the same bytes. No clock, no dict/set ordering dependence.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc_msc.config import StudyConfig
from cdisc_msc.raw import forms as F
from cdisc_msc.simulate import terms as T

EPOCH = np.datetime64("1970-01-01", "D")
DEFAULT_START = "2023-01-16"

# SELENA-SLEDAI baseline prevalence of each descriptor in refractory SLE (F.SLEDAI_DESCRIPTORS order)
P0 = np.array([0.01, 0.01, 0.01, 0.01, 0.01, 0.02, 0.005, 0.08,
               0.60, 0.05, 0.10, 0.20, 0.35, 0.15,
               0.50, 0.30, 0.25, 0.08, 0.05, 0.60, 0.65,
               0.08, 0.08, 0.20])
WEIGHTS = np.array([8] * 8 + [4] * 6 + [2] * 7 + [1] * 3)
BILAG_MAP = {  # BILAG system -> SLEDAI descriptors behind it
    "GEN": ("FEVER",), "MUC": ("RASH", "ALOPECIA", "MUCOSAL"),
    "NEU": ("SEIZURE", "PSYCHOS", "OBS", "VISUAL", "CRANIAL", "HEADACHE", "CVA"),
    "MSK": ("ARTHRIT", "MYOSIT"), "CVR": ("PLEURISY", "PERICARD"), "VAS": ("VASCULIT",),
    "REN": ("CASTS", "HEMATUR", "PROTEIN", "PYURIA"), "HAE": ("THROMBO", "LEUKOPEN"),
}
MAJOR_ORGAN = ("NEU", "CVR", "VAS", "REN", "HAE")

SF36_ITEMS = [n for n in F.SF36.model_fields if n.startswith("Q") and n != "QSDT" and n != "QSND"]
SF36_LOWER_BETTER = {"Q1", "Q2", "Q6", "Q7", "Q8", "Q9A", "Q9D", "Q9E", "Q9H", "Q11B", "Q11D"}
SF36_SCALES = {
    "PF": ["Q3A", "Q3B", "Q3C", "Q3D", "Q3E", "Q3F", "Q3G", "Q3H", "Q3I", "Q3J"],
    "RP": ["Q4A", "Q4B", "Q4C", "Q4D"], "BP": ["Q7", "Q8"], "GH": ["Q1", "Q11A", "Q11B", "Q11C", "Q11D"],
    "VT": ["Q9A", "Q9E", "Q9G", "Q9I"], "SF": ["Q6", "Q10"], "RE": ["Q5A", "Q5B", "Q5C"],
    "MH": ["Q9B", "Q9C", "Q9D", "Q9F", "Q9H"],
}

# lab tests behind SLEDAI descriptors: test -> (descriptor, normal (lo, hi) draw, abnormal draw, decimals, range lo, hi)
LABS = {
    "C3": ("LOWCOMP", (0.95, 1.6), (0.35, 0.85), 2, "0.9", "1.8"),
    "C4": ("LOWCOMP", (0.12, 0.35), (0.02, 0.09), 2, "0.1", "0.4"),
    "DSDNA": ("DNABIND", (1, 9), (40, 400), 0, "0", "10"),
    "PLAT": ("THROMBO", (160, 380), (35, 95), 0, "150", "400"),
    "WBC": ("LEUKOPEN", (4.2, 9.5), (1.5, 2.9), 1, "4", "10"),
    "RBCUR": ("HEMATUR", (0, 4), (8, 60), 0, "0", "5"),
    "WBCUR": ("PYURIA", (0, 4), (8, 50), 0, "0", "5"),
    "CASTSUR": ("CASTS", (0, 0), (1, 6), 0, "0", "0"),
    "PROTUR": ("PROTEIN", (0.02, 0.14), (0.6, 3.5), 2, "0", "0.15"),
}


# ====================================================================== small helpers
def _dates(days: np.ndarray) -> np.ndarray:
    """Day numbers (since 1970) -> 'YYYY-MM-DD' (object array); negative sentinel/NaN -> ''."""
    days = np.asarray(days, dtype=float)
    ok = np.isfinite(days)
    out = np.full(days.shape, "", dtype=object)
    if ok.any():
        out[ok] = np.datetime_as_string(days[ok].astype(np.int64).astype("datetime64[D]"), unit="D").astype(object)
    return out


def _partial(text: np.ndarray, day_un: np.ndarray, month_un: np.ndarray) -> np.ndarray:
    """Blank out the day (``YYYY-MM-UN``) or day and month (``YYYY-UN-UN``) of full date text."""
    out = text.astype(object).copy()
    has = out != ""
    s = out.astype(str)
    dmask = day_un & has & ~month_un
    mmask = month_un & has
    if dmask.any():
        out[dmask] = np.char.add(s[dmask].astype("U8"), "UN")
    if mmask.any():
        out[mmask] = np.char.add(s[mmask].astype("U5"), "UN-UN")
    return out


def _study_date(inf: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Calendar day number of study day ``day`` (day 1 = infusion day, no day 0)."""
    return inf + day - (day > 0)


def _times(minutes: np.ndarray) -> np.ndarray:
    m = np.clip(np.asarray(minutes, dtype=np.int64), 0, 23 * 60 + 59)
    return np.char.add(np.char.add(np.char.zfill((m // 60).astype(str), 2), ":"),
                       np.char.zfill((m % 60).astype(str), 2)).astype(object)


def _num(values: np.ndarray, decimals: int) -> np.ndarray:
    """Numbers -> text with fixed decimals; NaN -> ''."""
    v = np.asarray(values, dtype=float)
    out = np.full(v.shape, "", dtype=object)
    ok = np.isfinite(v)
    if ok.any():
        out[ok] = np.char.mod(f"%.{decimals}f", np.round(v[ok], decimals)).astype(object)
    return out


def _gnum(values: np.ndarray) -> np.ndarray:
    """Numbers -> shortest text (``%g``-like: 1, 2.5, 4.1); NaN -> ''."""
    v = np.asarray(values, dtype=float)
    out = np.full(v.shape, "", dtype=object)
    ok = np.isfinite(v)
    if ok.any():
        out[ok] = np.char.mod("%.10g", v[ok]).astype(object)
    return out


def _choice(rng: np.random.Generator, options, p, size) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return np.asarray(options, dtype=object)[rng.choice(len(options), size=size, p=p / p.sum())]


def _seq_within(groups: np.ndarray) -> np.ndarray:
    """1-based running number within consecutive equal values of a sorted array."""
    n = groups.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    start = np.r_[True, groups[1:] != groups[:-1]]
    idx = np.arange(n)
    first = np.maximum.accumulate(np.where(start, idx, 0))
    return idx - first + 1


def _frame(form: str, cols: dict[str, object], n: int) -> pd.DataFrame:
    """A form's frame in contract column order; missing columns empty; everything text."""
    out = {}
    for name in F.FORMS[form].model_fields:
        v = cols.get(name, "")
        if np.isscalar(v) or v is None:
            out[name] = np.full(n, "" if v is None else v, dtype=object)
        else:
            a = np.asarray(v, dtype=object)
            assert a.shape == (n,), (form, name, a.shape, n)
            out[name] = a
    return pd.DataFrame(out)


@dataclass
class _Subjects:
    n: int
    subjid: np.ndarray
    sf: np.ndarray  # screen failure
    ni: np.ndarray  # enrolled, not infused
    inf: np.ndarray  # planned/actual infusion day number
    consent: np.ndarray
    cohort: np.ndarray
    last_day: np.ndarray  # study day of end of participation (infused); for others the screening/ds day
    ds_date: np.ndarray  # day number of the disposition event
    ds_decod: np.ndarray
    ds_term: np.ndarray
    death: np.ndarray
    response: np.ndarray  # 0 improve, 1 stable, 2 worsen
    sf_crit: list  # per subject list of failed criteria (only screen failures; small)

    @property
    def infused(self) -> np.ndarray:
        return ~self.sf & ~self.ni

    @property
    def enrolled(self) -> np.ndarray:
        return ~self.sf


# ====================================================================== the simulator
class _Sim:
    def __init__(self, n: int, seed: int, config: StudyConfig, n_screen_fail: int | None,
                 n_not_infused: int | None, start: str) -> None:
        if n < 1:
            raise ValueError("n_subjects must be at least 1")
        self.n = n
        self.rng = np.random.default_rng(seed)
        self.cfg = config
        self.n_sf_req, self.n_ni_req = n_screen_fail, n_not_infused
        self.start = int((np.datetime64(start, "D") - EPOCH).astype(np.int64))
        self.visits = sorted(config.visits, key=lambda v: v.visitnum)
        self.out: dict[str, pd.DataFrame] = {}

    # -------------------------------------------------------------- subjects
    def subjects(self) -> _Subjects:
        rng, n = self.rng, self.n
        width = max(3, len(str(n)))
        subjid = np.char.zfill((np.arange(1, n + 1)).astype(str), width).astype(object)
        n_sf = self.n_sf_req if self.n_sf_req is not None else int(rng.binomial(n, 0.15))
        n_sf = min(n_sf, n - 1) if n > 1 else 0
        sf = np.zeros(n, dtype=bool)
        sf[np.sort(rng.choice(n, size=n_sf, replace=False))] = True
        enrolled_idx = np.flatnonzero(~sf)
        n_e = enrolled_idx.size
        n_ni = self.n_ni_req if self.n_ni_req is not None else (1 if n_e >= 20 else 0)
        ni = np.zeros(n, dtype=bool)
        if n_ni:
            # not in the first cohort's first subjects: pick from the second half of enrolment
            pool = enrolled_idx[n_e // 2:] if n_e >= 2 else enrolled_idx
            ni[np.sort(rng.choice(pool, size=min(n_ni, pool.size), replace=False))] = True
        # dose escalation: enrolled subjects in consent order, cohorts in dose order
        doses = sorted(a.dose for a in self.cfg.arms)
        k = len(doses)
        sizes = [n_e // k] * (k - 1) + [n_e - (n_e // k) * (k - 1)]
        cohort = np.full(n, np.nan)
        cohort[enrolled_idx] = np.repeat(np.array(doses, dtype=float), sizes)
        # recruitment: consecutive screenings; escalation needs ~4 weeks between small-study subjects
        gap_mean = min(25.0, 640.0 / n)
        gaps = rng.exponential(gap_mean, size=n)
        consent = self.start + np.floor(np.cumsum(gaps) - gaps[0]).astype(np.int64)
        scr = self.visits[0]
        lo, hi = scr.window_start, scr.window_end
        scr_day = np.clip(np.round(rng.normal((lo + hi) / 2, (hi - lo) / 5, size=n)), lo, hi).astype(np.int64)
        inf = consent - scr_day  # screening day is negative: date = inf + day
        response = rng.choice(3, size=n, p=[0.6, 0.25, 0.15])
        # disposition of the infused
        end_day = self.cfg.end_of_study_day
        u = rng.random(n)
        death = ~sf & ~ni & (u < 0.012)
        disc = ~sf & ~ni & ~death & (u < 0.10)
        stop_day = rng.integers(25, end_day - 20, size=n)
        last_day = np.full(n, self.visits[-1].window_end, dtype=np.int64)  # completers: the M12 day, set later
        last_day[death | disc] = stop_day[death | disc]
        disc_reason = _choice(rng, ["ADVERSE EVENT", "WITHDRAWAL BY SUBJECT", "LOST TO FOLLOW-UP",
                                    "PHYSICIAN DECISION", "OTHER"], [0.3, 0.3, 0.2, 0.12, 0.08], n)
        ni_reason = _choice(rng, ["PHYSICIAN DECISION", "WITHDRAWAL BY SUBJECT"], [0.6, 0.4], n)
        # screen failure criteria
        crit_codes = [c.ietestcd for c in self.cfg.criteria]
        w = np.array([{"IN03": 0.35, "IN04": 0.25, "EX02": 0.15, "EX04": 0.08, "IN01": 0.06, "EX03": 0.05,
                       "EX01": 0.04}.get(c, 0.02) for c in crit_codes])
        n_crit = np.where(rng.random(n) < 0.2, 2, 1)
        c1 = rng.choice(len(crit_codes), size=n, p=w / w.sum())
        c2 = (c1 + 1 + rng.integers(0, len(crit_codes) - 1, size=n)) % len(crit_codes)
        sf_crit = [None] * n
        for i in np.flatnonzero(sf):  # screen failures only (15%): small loop over a small set
            sf_crit[i] = [crit_codes[c1[i]]] + ([crit_codes[c2[i]]] if n_crit[i] == 2 else [])
        ds_decod = np.where(sf, "SCREEN FAILURE", "COMPLETED").astype(object)
        ds_decod[disc] = disc_reason[disc]
        ds_decod[death] = "DEATH"
        ds_decod[ni] = ni_reason[ni]
        return _Subjects(n=n, subjid=subjid, sf=sf, ni=ni, inf=inf, consent=consent, cohort=cohort,
                         last_day=last_day, ds_date=np.zeros(n, dtype=np.int64), ds_decod=ds_decod,
                         ds_term=np.full(n, "", dtype=object), death=death, response=response, sf_crit=sf_crit)

    # -------------------------------------------------------------- visits
    def visit_table(self, S: _Subjects) -> pd.DataFrame:
        rng = self.rng
        rows = []
        infused = S.infused
        for v in self.visits:
            if v.visitnum == self.visits[0].visitnum:
                idx = np.arange(S.n)
                day = (S.consent - S.inf).astype(np.int64)
                done = np.ones(S.n, dtype=bool)
            elif v.target_day == 1:
                idx = np.flatnonzero(S.enrolled)
                day = np.ones(idx.size, dtype=np.int64)
                done = infused[idx]
            else:
                sd = max(1.0, (v.window_end - v.window_start) / 4)
                jit = np.clip(np.round(v.target_day + rng.normal(0, sd, size=S.n)), v.window_start,
                              v.window_end).astype(np.int64)
                miss = rng.random(S.n) < (0.05 if v.target_day < self.cfg.end_of_study_day else 0.0)
                keep = infused & (jit <= S.last_day)
                idx = np.flatnonzero(keep)
                day = jit[idx]
                done = ~miss[idx]
            rows.append(pd.DataFrame({"s": idx, "VISIT": v.visit, "VISITNUM": float(v.visitnum),
                                      "day": day, "done": done, "planned": True}))
        vt = pd.concat(rows, ignore_index=True)
        # completers: last day = M12 day
        last = self.visits[-1]
        m12 = vt[vt.VISIT == last.visit]
        completed = infused & ~(S.ds_decod != "COMPLETED")
        S.last_day[m12.s.to_numpy()] = np.where(completed[m12.s.to_numpy()], m12.day.to_numpy(),
                                                 S.last_day[m12.s.to_numpy()])
        # unscheduled visits after a follow-up visit that has a successor
        post = [v for v in self.visits if v.target_day > 1]
        pick = rng.random(S.n) < 0.15
        which = rng.integers(0, max(1, len(post) - 1), size=S.n)
        offs = rng.integers(7, 21, size=S.n)
        add = []
        for k, v in enumerate(post[:-1]):
            sub = vt[(vt.VISIT == v.visit)]
            s = sub.s.to_numpy()
            sel = pick[s] & (which[s] == k)
            day = sub.day.to_numpy()[sel] + offs[s[sel]]
            ok = day <= S.last_day[s[sel]]
            ok &= day < post[k + 1].window_start
            add.append(pd.DataFrame({"s": s[sel][ok], "VISIT": "UNSCHEDULED",
                                     "VISITNUM": round(float(v.visitnum) + 0.1, 1), "day": day[ok],
                                     "done": True, "planned": False}))
        vt = pd.concat([vt] + add, ignore_index=True)
        vt["date"] = _study_date(S.inf[vt.s.to_numpy()], vt.day.to_numpy())
        vt = vt.sort_values(["s", "VISITNUM"], kind="stable").reset_index(drop=True)
        return vt

    def assessed(self, vt: pd.DataFrame, what: str, unscheduled: bool) -> pd.DataFrame:
        names = [v.visit for v in self.visits if what in v.assessments]
        m = vt.done & (vt.VISIT.isin(names) | ((vt.VISIT == "UNSCHEDULED") if unscheduled else False))
        return vt[m].reset_index(drop=True)

    # -------------------------------------------------------------- disease state
    def disease_state(self, S: _Subjects, vt: pd.DataFrame) -> np.ndarray:
        """Descriptor presence (rows of vt x 24) and the baseline matrix."""
        rng = self.rng
        nd = len(F.SLEDAI_DESCRIPTORS)
        base = rng.random((S.n, nd)) < P0
        score = base.astype(int) @ WEIGHTS
        names = list(F.SLEDAI_DESCRIPTORS)
        low = S.enrolled & (score < 6)
        base[low, names.index("ARTHRIT")] = True
        base[low, names.index("RASH")] = True
        in03 = np.array([bool(c) and "IN03" in c for c in S.sf_crit])
        if in03.any():
            base[in03] = False
            base[in03, names.index("LOWCOMP")] = True
        self.base = base
        s = vt.s.to_numpy()
        t = np.clip(vt.day.to_numpy(), 0, None) / self.cfg.end_of_study_day
        cls = S.response[s]
        keep = np.where(cls == 0, 0.75 - 0.6 * t, np.where(cls == 1, 0.8, 0.92))
        new = np.where(cls == 0, 0.01, np.where(cls == 1, 0.04, 0.12))
        flare = (vt.VISIT == "UNSCHEDULED").to_numpy()
        keep = np.where(flare, 0.9, keep)
        new = np.where(flare, 0.2, new)
        u = rng.random((len(vt), nd))
        later = np.where(base[s], u < keep[:, None], u < np.minimum(1, new[:, None] * P0[None, :] * 4))
        is_base = (vt.day.to_numpy() < 1)
        state = np.where(is_base[:, None], base[s], later)
        return state

    # -------------------------------------------------------------- forms
    def dm(self, S: _Subjects) -> None:
        rng, n = self.rng, S.n
        age = np.clip(np.round(rng.normal(38, 11, size=n)), self.cfg.age_min, self.cfg.age_max - 1)
        in01 = np.array([bool(c) and "IN01" in c for c in S.sf_crit])
        age = np.where(in01, np.where(rng.random(n) < 0.5, self.cfg.age_min - 1, self.cfg.age_max + 2), age)
        birth = S.consent - np.floor(age * 365.25).astype(np.int64) - rng.integers(1, 360, size=n)
        sex = np.where(rng.random(n) < 0.9, "F", "M").astype(object)
        ex01 = np.array([bool(c) and "EX01" in c for c in S.sf_crit])
        sex[ex01] = "F"
        race = _choice(rng, ["WHITE", "BLACK OR AFRICAN AMERICAN", "ASIAN", "OTHER", "NOT REPORTED"],
                       [0.55, 0.2, 0.1, 0.07, 0.08], n)
        eth = _choice(rng, ["NOT HISPANIC OR LATINO", "HISPANIC OR LATINO", "NOT REPORTED"], [0.85, 0.03, 0.12], n)
        self.sex = sex
        self.out["dm"] = _frame("dm", {
            "SUBJID": S.subjid, "SITEID": self.cfg.site, "BRTHDT": _dates(birth), "SEX": sex, "RACE": race,
            "ETHNIC": eth, "CONSDT": _dates(S.consent), "ELIGIBLE": np.where(S.sf, "N", "Y").astype(object),
            "COHORT": _gnum(S.cohort)}, n)

    def ie(self, S: _Subjects) -> None:
        idx = [i for i in range(S.n) if S.sf_crit[i]]
        subj, codes = [], []
        for i in idx:  # screen failures only
            for c in S.sf_crit[i]:
                subj.append(i)
                codes.append(c)
        subj = np.array(subj, dtype=np.int64)
        codes = np.array(codes, dtype=object)
        res = np.where(np.char.startswith(codes.astype(str), "IN"), "N", "Y").astype(object) if len(codes) else codes
        self.out["ie"] = _frame("ie", {"SUBJID": S.subjid[subj], "IETESTCD": codes, "IEORRES": res,
                                       "IEDT": _dates(S.consent[subj])}, len(subj))

    def sv(self, S: _Subjects, vt: pd.DataFrame) -> None:
        rng = self.rng
        n = len(vt)
        s = vt.s.to_numpy()
        done = vt.done.to_numpy()
        reasons = _choice(rng, ["Patient non venu", "Hospitalisation intercurrente", "Oubli du patient",
                                "Déménagement temporaire"], [0.4, 0.25, 0.25, 0.1], n)
        reasnd = np.where(done, "", reasons).astype(object)
        reasnd[(~done) & (vt.day.to_numpy() == 1)] = "Perfusion non réalisée"
        self.out["sv"] = _frame("sv", {
            "SUBJID": S.subjid[s], "VISIT": vt.VISIT.to_numpy(dtype=object), "VISITNUM": _gnum(vt.VISITNUM),
            "VISDONE": np.where(done, "Y", "N").astype(object),
            "VISDT": np.where(done, _dates(vt.date.to_numpy()), "").astype(object), "REASND": reasnd}, n)

    def vs_ex(self, S: _Subjects, vt: pd.DataFrame) -> None:
        rng, n = self.rng, S.n
        height = np.where(self.sex == "F", rng.normal(164, 6.5, n), rng.normal(177, 7, n))
        bmi = np.clip(rng.normal(24, 4, n), 17, 40)
        weight = np.round(bmi * (height / 100) ** 2, 1)
        self.weight = weight
        v = self.assessed(vt, "vitals", False)
        s = v.s.to_numpy()
        first = (v.VISITNUM.to_numpy() == self.visits[0].visitnum)
        w = np.round(weight[s] + np.where(first, 0, rng.normal(0, 0.6, len(v))), 1)
        h = np.where(first, np.round(height[s]), np.nan)
        wmiss = rng.random(len(v)) < 0.01
        self.out["vs"] = _frame("vs", {
            "SUBJID": S.subjid[s], "VISIT": v.VISIT.to_numpy(dtype=object), "VISITNUM": _gnum(v.VISITNUM),
            "VSDT": _dates(v.date.to_numpy()), "WEIGHT": _num(np.where(wmiss & ~first, np.nan, w), 1),
            "HEIGHT": _num(h, 0)}, len(v))
        # infusion: weight of the M0 visit
        m0 = v.day.to_numpy() == 1
        ex_w = weight.copy()
        ex_w[s[m0]] = np.where(np.isnan(w[m0]), weight[s[m0]], w[m0])
        e = np.flatnonzero(S.enrolled)
        infused = S.infused[e]
        planned = S.cohort[e]
        dose = np.where(rng.random(e.size) < 0.1, np.round(planned * rng.uniform(0.85, 1.0, e.size), 2), planned)
        tot = np.round(dose * ex_w[e], 1)
        start_min = rng.integers(9 * 60, 14 * 60, size=e.size)
        dur = rng.integers(30, 91, size=e.size)
        self.inf_start_min = np.full(n, 600, dtype=np.int64)
        self.inf_end_min = np.full(n, 660, dtype=np.int64)
        self.inf_start_min[e] = start_min
        self.inf_end_min[e] = start_min + dur
        d = _dates(S.inf[e])
        stdtm = np.char.add(np.char.add(d.astype(str), "T"), _times(start_min).astype(str)).astype(object)
        endtm = np.char.add(np.char.add(d.astype(str), "T"), _times(start_min + dur).astype(str)).astype(object)
        reason = _choice(rng, ["Infection active le jour de la perfusion", "Retrait du consentement",
                               "Lot cellulaire non conforme"], [0.5, 0.3, 0.2], e.size)
        self.out["ex"] = _frame("ex", {
            "SUBJID": S.subjid[e], "EXYN": np.where(infused, "Y", "N").astype(object),
            "REASND": np.where(infused, "", reason).astype(object), "WEIGHT": _num(ex_w[e], 1),
            "DOSEKG": np.where(infused, _gnum(dose), "").astype(object),
            "TOTCELLS": np.where(infused, _num(tot, 1), "").astype(object),
            "STDTM": np.where(infused, stdtm, "").astype(object),
            "ENDTM": np.where(infused, endtm, "").astype(object)}, e.size)

    def sledai_bilag(self, S: _Subjects, vt: pd.DataFrame, state: np.ndarray) -> None:
        rng = self.rng
        m = vt.done.to_numpy() & (vt.VISIT.isin([v.visit for v in self.visits if "disease_activity" in v.assessments])
                                  | (vt.VISIT == "UNSCHEDULED")).to_numpy()
        v = vt[m].reset_index(drop=True)
        st = state[m]
        n = len(v)
        s = v.s.to_numpy()
        names = list(F.SLEDAI_DESCRIPTORS)
        yn = np.where(st, "Y", "N").astype(object)
        nd = rng.random(n) < 0.01
        incomplete = (rng.random(n) < 0.03) & ~nd
        blank = np.zeros_like(st)
        cols = rng.integers(0, len(names), size=(n, 3))
        nblank = rng.integers(1, 4, size=n)
        for j in range(3):
            sel = incomplete & (nblank > j)
            blank[np.flatnonzero(sel), cols[sel, j]] = True
        yn[blank | nd[:, None]] = ""
        score = st.astype(int) @ WEIGHTS
        pga = np.clip(np.round(0.35 + 0.085 * score + rng.normal(0, 0.2, n), 1), 0, 3)
        pga = np.where(nd | (rng.random(n) < 0.02), np.nan, pga)
        date = np.where(nd, "", _dates(v.date.to_numpy())).astype(object)
        rsnd = np.where(nd, "Évaluation non réalisée", "").astype(object)
        cols_out = {"SUBJID": S.subjid[s], "VISIT": v.VISIT.to_numpy(dtype=object), "VISITNUM": _gnum(v.VISITNUM),
                    "RSDT": date, "RSND": rsnd, "PGA": _num(pga, 1)}
        for j, name in enumerate(names):
            cols_out[name] = yn[:, j]
        self.out["sledai"] = _frame("sledai", cols_out, n)
        # BILAG from the same state
        base = self.base[s]
        grades = {}
        u1, u2 = rng.random((n, 8)), rng.random((n, 8))
        for k, (sys, descs) in enumerate(BILAG_MAP.items()):
            di = [names.index(d) for d in descs]
            c = st[:, di].sum(axis=1)
            ever = base[:, di].any(axis=1)
            pa = np.where(c >= 2, 0.5, 0.25) if sys in MAJOR_ORGAN else np.where(c >= 2, 0.3, 0.1)
            if sys == "GEN":
                pa = np.full(n, 0.1)
            active = np.where(u1[:, k] < pa, "A", np.where(u2[:, k] < 0.08, "C", "B"))
            inactive = np.where(ever, np.where(u2[:, k] < 0.35, "C", "D"),
                                np.where(u2[:, k] < 0.85, "E", np.where(u2[:, k] < 0.93, "D", "C")))
            grades[sys] = np.where(c > 0, active, inactive).astype(object)
        bnd = rng.random(n) < 0.01
        binc = (rng.random(n) < 0.03) & ~bnd
        bcol = rng.integers(0, 8, size=n)
        systems = list(BILAG_MAP)
        for k, sys in enumerate(systems):
            g = grades[sys]
            g[bnd | (binc & (bcol == k))] = ""
        bdate = np.where(bnd, "", _dates(v.date.to_numpy())).astype(object)
        self.out["bilag"] = _frame("bilag", {
            "SUBJID": S.subjid[s], "VISIT": v.VISIT.to_numpy(dtype=object), "VISITNUM": _gnum(v.VISITNUM),
            "RSDT": bdate, "RSND": np.where(bnd, "Évaluation non réalisée", "").astype(object), **grades}, n)

    def qol(self, S: _Subjects, vt: pd.DataFrame) -> None:
        rng = self.rng
        v = self.assessed(vt, "qol", False)
        n = len(v)
        s = v.s.to_numpy()
        q0 = np.clip(rng.normal(0.42, 0.12, S.n), 0.05, 0.9)
        t = np.clip(v.day.to_numpy(), 0, None) / self.cfg.end_of_study_day
        trend = np.array([0.25, 0.02, -0.12])[S.response[s]]
        q = np.clip(q0[s] + trend * t + rng.normal(0, 0.05, n), 0, 1)
        # SF-36
        nd = rng.random(n) < 0.04
        cols = {"SUBJID": S.subjid[s], "VISIT": v.VISIT.to_numpy(dtype=object), "VISITNUM": _gnum(v.VISITNUM),
                "QSDT": np.where(nd, "", _dates(v.date.to_numpy())).astype(object),
                "QSND": np.where(nd, _choice(rng, ["Questionnaire non rempli", "Refus du patient"], [0.6, 0.4], n),
                                 "").astype(object)}
        noise = rng.normal(0, 0.15, (n, len(SF36_ITEMS)))
        item_miss = rng.random((n, len(SF36_ITEMS))) < 0.008
        scale_gap = rng.random(n) < 0.04
        which_scale = rng.integers(0, len(SF36_SCALES), size=n)
        gap_u = rng.random((n, len(SF36_ITEMS)))
        scale_names = list(SF36_SCALES)
        for j, item in enumerate(SF36_ITEMS):
            hi = 6 if item == "Q7" else (3 if item.startswith("Q3") else 5)
            lvl = 1 + np.round(np.clip(q + noise[:, j], 0, 1) * (hi - 1)).astype(int)
            if item in SF36_LOWER_BETTER:
                lvl = hi + 1 - lvl
            miss = item_miss[:, j] | nd
            for k, sc in enumerate(scale_names):
                if item in SF36_SCALES[sc]:
                    # more than half of the scale's items missing on these forms
                    miss |= scale_gap & (which_scale == k) & (gap_u[:, j] < 0.75)
            cols[item] = np.where(miss, "", lvl.astype(str)).astype(object)
        # make sure a gapped scale really has more than half missing
        for k, sc in enumerate(scale_names):
            items = SF36_SCALES[sc]
            sel = scale_gap & (which_scale == k) & ~nd
            for it in items[: len(items) // 2 + 1]:
                cols[it][sel] = ""
        self.out["sf36"] = _frame("sf36", cols, n)
        # EQ-5D-5L
        nd2 = np.where(nd, rng.random(n) < 0.8, rng.random(n) < 0.02)
        ecol = {"SUBJID": S.subjid[s], "VISIT": v.VISIT.to_numpy(dtype=object), "VISITNUM": _gnum(v.VISITNUM),
                "QSDT": np.where(nd2, "", _dates(v.date.to_numpy())).astype(object),
                "QSND": np.where(nd2, "Questionnaire non rempli", "").astype(object)}
        for dim in ("MO", "SC", "UA", "PD", "AD"):
            lvl = np.clip(1 + np.round((1 - q) * 4 + rng.normal(0, 0.6, n) - 0.8), 1, 5).astype(int)
            miss = nd2 | (rng.random(n) < 0.01)
            ecol[dim] = np.where(miss, "", lvl.astype(str)).astype(object)
        vas = np.clip(np.round(100 * q + rng.normal(0, 8, n)), 0, 100)
        ecol["VAS"] = np.where(nd2 | (rng.random(n) < 0.01), "", _num(vas, 0)).astype(object)
        self.out["eq5d"] = _frame("eq5d", ecol, n)

    def lb(self, S: _Subjects, vt: pd.DataFrame, state: np.ndarray) -> None:
        rng = self.rng
        m = vt.done.to_numpy() & (vt.VISIT.isin([v.visit for v in self.visits if "labs" in v.assessments])
                                  | (vt.VISIT == "UNSCHEDULED")).to_numpy()
        v = vt[m].reset_index(drop=True)
        st = state[m]
        nv = len(v)
        names = list(F.SLEDAI_DESCRIPTORS)
        tests = list(LABS)
        nt = len(tests)
        s = np.repeat(v.s.to_numpy(), nt)
        vis = np.repeat(v.VISIT.to_numpy(dtype=object), nt)
        vnum = np.repeat(v.VISITNUM.to_numpy(), nt)
        ldate = np.repeat(v.date.to_numpy() - ((rng.random(nv) < 0.2) & (v.day.to_numpy() > 1)), nt)
        res = np.zeros((nv, nt))
        for j, tc in enumerate(tests):
            desc, (nlo, nhi), (alo, ahi), dec, _, _ = LABS[tc]
            ab = st[:, names.index(desc)]
            # consistent-ish: 8% of values disagree with the descriptor
            flip = rng.random(nv) < 0.08
            ab = ab ^ flip
            val = np.where(ab, rng.uniform(alo, ahi, nv), rng.uniform(nlo, nhi, nv))
            res[:, j] = np.round(val, dec)
        res = res.reshape(-1)
        testcd = np.tile(np.array(tests, dtype=object), nv)
        dec = np.tile(np.array([LABS[t][3] for t in tests]), nv)
        nd = rng.random(nv * nt) < 0.02
        txt = np.full(nv * nt, "", dtype=object)
        for d in np.unique(dec):
            sel = dec == d
            txt[sel] = _num(res[sel], int(d))
        unit = np.tile(np.array([F.LB_TESTS[t][1] for t in tests], dtype=object), nv)
        lo = np.tile(np.array([LABS[t][4] for t in tests], dtype=object), nv)
        hi = np.tile(np.array([LABS[t][5] for t in tests], dtype=object), nv)
        self.out["lb"] = _frame("lb", {
            "SUBJID": S.subjid[s], "VISIT": vis, "VISITNUM": _gnum(vnum), "LBDT": _dates(ldate),
            "LBTESTCD": testcd, "LBORRES": np.where(nd, "", txt).astype(object),
            "LBORRESU": np.where(nd, "", unit).astype(object), "LBORNRLO": lo, "LBORNRHI": hi,
            "LBND": np.where(nd, _choice(rng, ["Échantillon hémolysé", "Non réalisé"], [0.5, 0.5], nv * nt),
                             "").astype(object)}, nv * nt)

    def como(self, S: _Subjects, vt: pd.DataFrame) -> None:
        rng = self.rng
        v = self.assessed(vt, "comorbidities", False)
        terms = list(self.cfg.comorbidities)
        nt = len(terms)
        prev = np.array([T.COMO_PREVALENCE.get(t, 0.05) for t in terms])
        base = rng.random((S.n, nt)) < prev
        self.como_base = dict(zip(terms, base.T))
        s = v.s.to_numpy()
        nv = len(v)
        is_base = v.day.to_numpy() < 1
        episodic = np.array([t in T.COMO_EPISODIC for t in terms])
        u = rng.random((nv, nt))
        t = np.clip(v.day.to_numpy(), 0, None)[:, None] / self.cfg.end_of_study_day
        chronic = np.where(base[s], u < 0.97, u < 0.02 + 0.04 * t)
        epi = u < 0.05
        pres = np.where(is_base[:, None], base[s], np.where(episodic[None, :], epi, chronic))
        unk = rng.random((nv, nt)) < 0.01
        txt = np.where(unk, "", np.where(pres, "Y", "N")).astype(object)
        self.out["como"] = _frame("como", {
            "SUBJID": np.repeat(S.subjid[s], nt), "VISIT": np.repeat(v.VISIT.to_numpy(dtype=object), nt),
            "VISITNUM": _gnum(np.repeat(v.VISITNUM.to_numpy(), nt)), "CODT": _dates(np.repeat(v.date.to_numpy(), nt)),
            "COTERM": np.tile(np.array(terms, dtype=object), nv), "COPRES": txt.reshape(-1)}, nv * nt)

    def mh(self, S: _Subjects) -> None:
        rng, n = self.rng, S.n
        parts = []
        dx = -rng.integers(365, 20 * 365, size=n)  # SLE diagnosis, days before consent

        def add(key, mask, st, en, ongo):
            idx = np.flatnonzero(mask)
            parts.append((key, idx, st[idx], en[idx], ongo[idx]))

        nan = np.full(n, np.nan)
        yes, no = np.ones(n, dtype=bool), np.zeros(n, dtype=bool)
        add("SLE", yes, dx.astype(float), nan, yes)
        ln_st = dx + rng.integers(30, 3000, size=n)
        ln_st = np.minimum(ln_st, -30)
        ln_ongo = rng.random(n) < 0.6
        ln_en = np.where(ln_ongo, np.nan, np.minimum(ln_st + rng.integers(90, 900, size=n), -5))
        add("LN", rng.random(n) < 0.35, ln_st.astype(float), ln_en, ln_ongo)
        add("APS", rng.random(n) < 0.10, (dx + rng.integers(0, 2000, size=n)).clip(None, -10).astype(float), nan, yes)
        per = (dx + rng.integers(0, 2000, size=n)).clip(None, -60)
        add("PER", rng.random(n) < 0.10, per.astype(float), (per + rng.integers(20, 50, size=n)).astype(float), no)
        app = -rng.integers(1000, 12000, size=n)
        add("APP", rng.random(n) < 0.10, app.astype(float), app.astype(float), no)
        add("HYPO", rng.random(n) < 0.08, (-rng.integers(200, 5000, size=n)).astype(float), nan, yes)
        add("ASTH", rng.random(n) < 0.05, (-rng.integers(2000, 10000, size=n)).astype(float), nan, yes)
        add("MIG", rng.random(n) < 0.10, (-rng.integers(1000, 8000, size=n)).astype(float), nan, yes)
        fr = -rng.integers(400, 6000, size=n)
        add("FRAC", rng.random(n) < 0.05, fr.astype(float), (fr + 45).astype(float), no)
        zo = -rng.integers(200, 4000, size=n)
        add("ZONA", rng.random(n) < 0.08, zo.astype(float), (zo + 20).astype(float), no)
        key = np.concatenate([np.full(p[1].size, p[0], dtype=object) for p in parts])
        subj = np.concatenate([p[1] for p in parts])
        st = np.concatenate([p[2] for p in parts])
        en = np.concatenate([p[3] for p in parts])
        ongo = np.concatenate([p[4] for p in parts])
        order = np.lexsort((st, subj))
        key, subj, st, en, ongo = key[order], subj[order], st[order], en[order], ongo[order]
        m = subj.size
        u = rng.random(m)
        st_txt = _partial(_dates(S.consent[subj] + st), (u < 0.75), (u < 0.4))
        u2 = rng.random(m)
        en_txt = _partial(_dates(S.consent[subj] + en), (u2 < 0.4), (u2 < 0.15))
        info = np.array([T.MH_TERMS[k] for k in key], dtype=object).reshape(-1, 4) if m else np.zeros((0, 4), object)
        self.mh_ln = np.zeros(n, dtype=bool)
        self.mh_ln[subj[key == "LN"]] = True
        self.out["mh"] = _frame("mh", {
            "SUBJID": S.subjid[subj], "MHSPID": _seq_within(subj).astype(str).astype(object),
            "MHTERM": info[:, 0], "MHDECOD": info[:, 1], "MHBODSYS": info[:, 2], "MHCAT": info[:, 3],
            "MHSTDT": st_txt, "MHENDT": en_txt, "MHONGO": np.where(ongo, "Y", "N").astype(object)}, m)

    def ae(self, S: _Subjects) -> None:
        rng = self.rng
        inf_idx = np.flatnonzero(S.infused)
        ni = inf_idx.size
        last = S.last_day
        tw = np.array([t[4] for t in T.AE_TERMS], dtype=float)
        lam = rng.gamma(2.0, 1.4, size=ni)
        nreg = rng.poisson(lam)
        subj = [np.repeat(inf_idx, nreg)]
        nr = subj[0].size
        term = [rng.choice(len(T.AE_TERMS), size=nr, p=tw / tw.sum())]
        early = rng.random(nr) < 0.3
        ld = last[subj[0]]
        start = [np.where(early, rng.integers(2, 31, size=nr), 2 + np.floor(rng.random(nr) * (ld - 1)))
                 .clip(2, ld).astype(np.int64)]
        kind = [np.zeros(nr, dtype=np.int64)]  # 0 regular, 1 acute, 2 day -1, 3 day 1 before infusion, 4 disc, 5 death
        tmin = [np.where(rng.random(nr) < 0.05, rng.integers(7 * 60, 22 * 60, size=nr), -1)]
        acute_terms = np.array([T.term_index(x) for x in T.AE_ACUTE])
        pre_terms = np.array([T.term_index(x) for x in T.AE_PRE])
        # infusion-day AEs, after the infusion
        a = inf_idx[rng.random(ni) < 0.3]
        subj.append(a); term.append(acute_terms[rng.integers(0, acute_terms.size, a.size)])
        start.append(np.ones(a.size, dtype=np.int64)); kind.append(np.full(a.size, 1))
        tmin.append(np.where(rng.random(a.size) < 0.85, self.inf_end_min[a] + rng.integers(10, 300, a.size), -1))
        # the day before the infusion
        b = inf_idx[rng.random(ni) < 0.1]
        subj.append(b); term.append(pre_terms[rng.integers(0, pre_terms.size, b.size)])
        start.append(np.full(b.size, -1, dtype=np.int64)); kind.append(np.full(b.size, 2))
        tmin.append(np.full(b.size, -1))
        # infusion day, before the infusion started
        c = inf_idx[rng.random(ni) < 0.05]
        subj.append(c); term.append(np.full(c.size, T.term_index("Anxiété")))
        start.append(np.ones(c.size, dtype=np.int64)); kind.append(np.full(c.size, 3))
        tmin.append(self.inf_start_min[c] - rng.integers(20, 120, c.size))
        # discontinuation for an adverse event, and deaths
        d = np.flatnonzero(S.infused & (S.ds_decod == "ADVERSE EVENT"))
        subj.append(d); term.append(np.full(d.size, T.term_index(T.AE_DISCONTINUATION)))
        start.append(np.maximum(2, last[d] - rng.integers(3, 15, d.size))); kind.append(np.full(d.size, 4))
        tmin.append(np.full(d.size, -1))
        e = np.flatnonzero(S.death)
        subj.append(e); term.append(np.full(e.size, T.term_index(T.AE_DEATH)))
        start.append(np.maximum(2, last[e] - rng.integers(1, 6, e.size))); kind.append(np.full(e.size, 5))
        tmin.append(np.full(e.size, -1))
        subj, term, start, kind, tmin = (np.concatenate(x) for x in (subj, term, start, kind, tmin))
        n = subj.size
        severe = np.array([t[5] == "severe" for t in T.AE_TERMS])[term]
        g = np.where(severe, rng.choice(4, size=n, p=[0.15, 0.4, 0.35, 0.1]),
                     rng.choice(4, size=n, p=[0.6, 0.3, 0.08, 0.02])) + 1
        g = np.where(kind == 4, 3, np.where(kind == 5, 5, g))
        dur = rng.geometric(1 / 9, size=n)
        end = start + dur - 1
        end = np.where(kind == 5, last[subj], end)
        ongoing = ((rng.random(n) < 0.08) | (end > last[subj])) & (kind != 5)
        ongoing |= (kind == 4)
        # change of grade: a new record continuing the event at the next grade
        gc = (kind == 0) & ~ongoing & (g <= 3) & (rng.random(n) < 0.06) & (end + 1 <= last[subj])
        gi = np.flatnonzero(gc)
        n2 = gi.size
        subj = np.r_[subj, subj[gi]]
        term = np.r_[term, term[gi]]
        start = np.r_[start, end[gi] + 1]
        kind = np.r_[kind, np.full(n2, 6)]
        tmin = np.r_[tmin, np.full(n2, -1)]
        g = np.r_[g, g[gi] + 1]
        dur2 = rng.geometric(1 / 7, size=n2)
        end = np.r_[end, end[gi] + dur2]
        ongoing = np.r_[ongoing, (end[n:] > last[subj[n:]]) | (rng.random(n2) < 0.05)]
        n = subj.size
        # grade missing, relationship
        gtxt = g.astype(str).astype(object)
        gtxt[(rng.random(n) < 0.03) & (kind == 0)] = ""
        rel_reg = _choice(rng, ["NOT RELATED", "UNLIKELY RELATED", "POSSIBLY RELATED", "PROBABLY RELATED",
                                "RELATED", ""], [0.5, 0.2, 0.17, 0.06, 0.04, 0.03], n)
        rel_acute = _choice(rng, ["NOT RELATED", "UNLIKELY RELATED", "POSSIBLY RELATED", "PROBABLY RELATED",
                                  "RELATED"], [0.1, 0.1, 0.35, 0.25, 0.2], n)
        rel = np.where(kind == 1, rel_acute, np.where(np.isin(kind, [2, 3]), "NOT RELATED",
                                                      np.where(kind == 5, "UNLIKELY RELATED", rel_reg))).astype(object)
        rel[np.arange(n - n2, n)] = rel[gi]  # a grade change keeps its relationship
        # seriousness
        us = rng.random(n)
        ser = np.where(g >= 5, True, np.where(g == 4, us < 0.9, np.where(g == 3, us < 0.5, us < 0.02)))
        ser |= kind == 4
        hosp = ser & ((rng.random(n) < 0.85) | (g < 4)) & (g < 5)
        life = ser & (g == 4) & (rng.random(n) < 0.5)
        dth = ser & (g == 5)
        mie = ser & ~hosp & ~life & ~dth
        yn = lambda x: np.where(ser, np.where(x, "Y", "N"), "").astype(object)  # noqa: E731
        # dates
        inf = S.inf[subj]
        st_d = _dates(_study_date(inf, start))
        en_d = np.where(ongoing, "", _dates(_study_date(inf, end))).astype(object)
        up = rng.random(n)
        can_partial = (tmin < 0) & np.isin(kind, [0, 6])
        st_txt = _partial(st_d, can_partial & (up < 0.06), can_partial & (up < 0.012))
        ue = rng.random(n)
        en_txt = _partial(en_d, (ue < 0.05) & ~np.isin(kind, [5]), np.zeros(n, dtype=bool))
        acn = np.where(np.isin(kind, [2, 3]), "DOSE NOT CHANGED", "NOT APPLICABLE").astype(object)
        out = np.where(ongoing, _choice(rng, ["NOT RECOVERED/NOT RESOLVED", "RECOVERING/RESOLVING"], [0.7, 0.3], n),
                       _choice(rng, ["RECOVERED/RESOLVED", "RECOVERED/RESOLVED WITH SEQUELAE"], [0.95, 0.05], n))
        out = out.astype(object)
        out[kind == 5] = "FATAL"
        out[gi] = "NOT RECOVERED/NOT RESOLVED"  # the event continued at another grade
        # verbatim variants
        nvar = np.array([len(t[0]) for t in T.AE_TERMS])
        var = np.floor(rng.random(n) * nvar[term]).astype(int)
        var[np.isin(kind, [1, 2, 3, 4, 5])] = 0
        verb_tab = {(i, j): t[0][j] for i, t in enumerate(T.AE_TERMS) for j in range(len(t[0]))}
        keys = term * 10 + var
        uniq = np.unique(keys)
        vmap = {int(k): verb_tab[(int(k) // 10, int(k) % 10)] for k in uniq}
        verb = np.array([vmap[int(k)] for k in uniq], dtype=object)[np.searchsorted(uniq, keys)] if n else keys
        verb[np.arange(n - n2, n)] = verb[gi]
        med = pd.DataFrame([T.meddra_row(i) for i in range(len(T.AE_TERMS))])
        coded = med.iloc[term].reset_index(drop=True)
        # sort and number per subject
        order = np.lexsort((kind == 6, tmin, start, subj))
        self.ae_rows = pd.DataFrame({"s": subj, "start": start, "term": term, "full": ~np.char.endswith(
            st_txt.astype(str), "UN")}).iloc[order].reset_index(drop=True)
        cols = {
            "SUBJID": S.subjid[subj], "AETERM": verb, "AESTDT": st_txt,
            "AESTTM": np.where(tmin >= 0, _times(np.maximum(tmin, 0)), "").astype(object),
            "AEENDT": en_txt, "AEONGO": np.where(ongoing, "Y", "N").astype(object), "AETOXGR": gtxt,
            "AESER": np.where(ser, "Y", "N").astype(object), "AESDTH": yn(dth), "AESLIFE": yn(life),
            "AESHOSP": yn(hosp), "AESDISAB": yn(np.zeros(n, bool)), "AESCONG": yn(np.zeros(n, bool)),
            "AESMIE": yn(mie), "AEREL": rel, "AEACN": acn, "AEOUT": out,
        }
        for c in coded.columns:
            vals = coded[c].to_numpy()
            cols[c] = vals.astype(str).astype(object) if vals.dtype != object else vals
        df = _frame("ae", {**cols, "AESPID": ""}, n).iloc[order].reset_index(drop=True)
        df["AESPID"] = _seq_within(subj[order]).astype(str).astype(object)
        self.out["ae"] = df

    def cm(self, S: _Subjects) -> None:
        rng, n = self.rng, S.n
        enr = S.enrolled
        # end of participation day number per subject
        stop = np.where(S.infused, _study_date(S.inf, S.last_day), S.inf)
        parts = []  # (key, subj, start, end, start_day_un, start_month_un, end_day_un)

        def add(key, mask, st, en, pdu=0.0, pmu=0.0, pend=0.0):
            idx = np.flatnonzero(mask)
            k = idx.size
            u = rng.random(k)
            ue = rng.random(k)
            en_i = en[idx].astype(float)
            en_i = np.where(en_i > stop[idx], np.nan, en_i)  # beyond participation: ongoing
            parts.append((key, idx, st[idx].astype(float), en_i, u < pdu, u < pmu, ue < pend))

        inf = S.inf.astype(float)
        nan = np.full(n, np.nan)
        add("HCQ", enr & (rng.random(n) < 0.85), inf - rng.integers(365, 4000, n), nan, 0.8, 0.4)
        imm = rng.choice(4, size=n, p=[0.4, 0.2, 0.1, 0.3])
        imm_st = inf - rng.integers(120, 1500, n)
        imm_en = np.where(rng.random(n) < 0.15, _study_date(S.inf, rng.integers(30, 300, n)), np.nan)
        for k, key in enumerate(("MMF", "AZA", "MTX")):
            add(key, enr & (imm == k), imm_st, imm_en, 0.5)
        rtx = inf - rng.integers(200, 900, n)
        add("RTX", enr & (rng.random(n) < 0.2), rtx, rtx + 14, 0.3, 0.1, 0.3)
        bel = inf - rng.integers(400, 1500, n)
        add("BEL", enr & (rng.random(n) < 0.15), bel, inf - rng.integers(60, 300, n), 0.5, 0.2, 0.3)
        add("CAD", enr & (rng.random(n) < 0.6), inf - rng.integers(60, 3000, n), nan, 0.6, 0.2)
        add("PPI", enr & (rng.random(n) < 0.4), inf - rng.integers(60, 3000, n), nan, 0.6, 0.2)
        add("AML", enr & self.como_base.get("HYPERTENSION", np.zeros(n, bool)) & (rng.random(n) < 0.8),
            inf - rng.integers(100, 3000, n), nan, 0.6, 0.3)
        add("RAM", enr & self.mh_ln & (rng.random(n) < 0.6), inf - rng.integers(100, 3000, n), nan, 0.6, 0.3)
        add("ATO", enr & self.como_base.get("DYSLIPIDAEMIA", np.zeros(n, bool)) & (rng.random(n) < 0.7),
            inf - rng.integers(100, 3000, n), nan, 0.6, 0.3)
        par = _study_date(S.inf, rng.integers(2, 200, n))
        add("PAR", S.infused & (rng.random(n) < 0.3) & (par <= stop), par, par + rng.integers(3, 20, n), 0.1)
        add("DEX", S.infused & (rng.random(n) < 0.5), inf, inf)
        # antibiotics / antivirals for infection AEs with a full start date
        ae = self.ae_rows
        soc = np.array([T.meddra_row(i)["AESOC"] for i in range(len(T.AE_TERMS))], dtype=object)[ae.term.to_numpy()]
        pt = np.array([T.meddra_row(i)["AEDECOD"] for i in range(len(T.AE_TERMS))], dtype=object)[ae.term.to_numpy()]
        for key, sel, p in (("AMX", (soc == T.INFECTION_SOC) & ~np.isin(pt, ["COVID-19", "Herpes zoster",
                                                                             "Septic shock"]), 0.6),
                            ("VAL", pt == "Herpes zoster", 0.9)):
            m = sel & ae.full.to_numpy() & (rng.random(len(ae)) < p)
            s = ae.s.to_numpy()[m]
            st = _study_date(S.inf[s], ae.start.to_numpy()[m]).astype(float)
            idx = s
            k = idx.size
            en = st + (6 if key == "AMX" else 6)
            en = np.where(en > stop[idx], np.nan, en)
            parts.append((key, idx, st, en, np.zeros(k, bool), np.zeros(k, bool), np.zeros(k, bool)))
        key = np.concatenate([np.full(p[1].size, p[0], dtype=object) for p in parts])
        subj, st, en, sdu, smu, edu = (np.concatenate([p[i] for p in parts]) for i in range(1, 7))
        order = np.lexsort((st, subj))
        key, subj, st, en, sdu, smu, edu = (x[order] for x in (key, subj, st, en, sdu, smu, edu))
        m = subj.size
        info = np.array([T.CM_TERMS[k] for k in key], dtype=object).reshape(-1, 8) if m else np.zeros((0, 8), object)
        ongo = ~np.isfinite(en)
        self.out["cm"] = _frame("cm", {
            "SUBJID": S.subjid[subj], "CMSPID": _seq_within(subj).astype(str).astype(object),
            "CMTRT": info[:, 0], "CMDECOD": info[:, 1], "CMCLAS": info[:, 2], "CMDOSE": info[:, 3],
            "CMDOSU": info[:, 4], "CMDOSFRQ": info[:, 5], "CMROUTE": info[:, 6], "CMINDC": info[:, 7],
            "CMSTDT": _partial(_dates(st), sdu, smu), "CMENDT": _partial(_dates(en), edu, np.zeros(m, bool)),
            "CMONGO": np.where(ongo, "Y", "N").astype(object)}, m)

    def gc(self, S: _Subjects, vt: pd.DataFrame) -> None:
        rng, n = self.rng, S.n
        enr = np.flatnonzero(S.enrolled)
        ne = enr.size
        stop = np.where(S.infused, _study_date(S.inf, S.last_day), S.inf)
        drug = _choice(rng, ["PREDNISONE", "PREDNISOLONE", "METHYLPREDNISOLONE"], [0.85, 0.1, 0.05], n)
        dose = np.zeros(n)
        for dname, (_, choices) in T.GC_DRUGS.items():
            p = np.linspace(1.5, 0.5, len(choices))
            dose = np.where(drug == dname, np.asarray(choices)[rng.choice(len(choices), size=n, p=p / p.sum())], dose)
        # baseline 0: no glucocorticoid before the infusion (one or two in a small study, ~3% otherwise)
        zero = np.zeros(n, dtype=bool)
        if ne >= 5:
            nz = max(1, int(rng.binomial(ne, 0.03)))
            cand = np.flatnonzero(S.infused)
            zero[rng.choice(cand, size=min(nz, cand.size), replace=False)] = True
        late = rng.random(n) < 0.12  # log starts less than 28 days before the infusion
        b_start = np.where(late, S.inf - rng.integers(7, 28, n), S.inf - rng.integers(40, 1500, n))
        earlier = (rng.random(n) < 0.3) & ~late
        rows_s, rows_st, rows_dose = [], [], []  # period starts (dose 0 = stop)
        e_mask = np.zeros(n, dtype=bool)
        e_mask[enr] = True
        base_on = e_mask & ~zero
        ea = np.flatnonzero(base_on & earlier)
        rows_s.append(ea); rows_st.append(b_start[ea] - rng.integers(30, 300, ea.size))
        rows_dose.append(np.maximum(np.round(dose[ea] * 1.5 / 5) * 5, dose[ea] + 2.5))
        b = np.flatnonzero(base_on)
        rows_s.append(b); rows_st.append(b_start[b]); rows_dose.append(dose[b])
        # tapers at the visits with the steroid assessment (after the infusion), for improvers mostly
        cur = dose.copy()
        tv = [v for v in self.visits if "steroids" in v.assessments and v.target_day > 1]
        p_taper = np.array([0.75, 0.3, 0.05])[S.response]
        for v in tv:
            sub = vt[(vt.VISIT == v.visit) & vt.done]
            s = sub.s.to_numpy()
            sel = base_on[s] & (rng.random(s.size) < p_taper[s]) & (cur[s] > 0)
            s = s[sel]
            step = np.where(cur[s] > 10, 5.0, 2.5)
            step = np.where(drug[s] == "METHYLPREDNISOLONE", 4.0, step)
            new = np.maximum(cur[s] - step, 0)
            stop_all = (new <= 2.5) & (rng.random(s.size) < 0.5)
            new = np.where(stop_all, 0, new)
            cur[s] = new
            day = _study_date(S.inf[s], sub.day.to_numpy()[sel])
            rows_s.append(s); rows_st.append(day); rows_dose.append(new)
        # worsening subjects: a flare with a temporary increase
        w = np.flatnonzero(S.infused & (S.response == 2) & ~zero & (rng.random(n) < 0.6))
        fday = _study_date(S.inf[w], rng.integers(40, 250, w.size))
        ok = fday + 30 <= stop[w]
        w, fday = w[ok], fday[ok]
        rows_s.append(w); rows_st.append(fday); rows_dose.append(dose[w] + 10)
        rows_s.append(w); rows_st.append(fday + 30); rows_dose.append(dose[w])
        # baseline-0 subjects who start after the infusion
        z = np.flatnonzero(zero & (rng.random(n) < 0.5))
        zday = _study_date(S.inf[z], rng.integers(60, 200, z.size))
        ok = zday <= stop[z]
        rows_s.append(z[ok]); rows_st.append(zday[ok]); rows_dose.append(np.full(ok.sum(), 10.0))
        s = np.concatenate(rows_s)
        st = np.concatenate(rows_st).astype(np.int64)
        dz = np.concatenate(rows_dose)
        order = np.lexsort((st, s))
        s, st, dz = s[order], st[order], dz[order]
        nxt_same = np.r_[s[1:] == s[:-1], False]
        en = np.where(nxt_same, np.r_[st[1:], 0] - 1, -1)
        keep = dz > 0
        ongoing = keep & (en < 0)
        # ongoing at the end of participation unless stopped
        en = np.where(ongoing, -1, en)
        s, st, en, dz, ongoing = s[keep], st[keep], en[keep], dz[keep], ongoing[keep]
        oral_rows = (s, st, en, dz, ongoing)
        # IV methylprednisolone pulses: 3 days of 500 mg (some before the infusion, some at flares)
        pm = np.flatnonzero(e_mask & (rng.random(n) < 0.05))
        pst = S.inf[pm] - rng.integers(30, 120, pm.size)
        pf = np.flatnonzero(S.infused & (rng.random(n) < np.where(S.response == 2, 0.35, 0.04)))
        pfs = _study_date(S.inf[pf], rng.integers(30, 300, pf.size))
        okf = pfs + 2 <= stop[pf]
        ps = np.r_[pm, pf[okf]]
        pst = np.r_[pst, pfs[okf]].astype(np.int64)
        s_all = np.r_[oral_rows[0], ps]
        st_all = np.r_[oral_rows[1], pst]
        en_all = np.r_[oral_rows[2], pst + 2]
        dose_all = np.r_[oral_rows[3], np.full(ps.size, 500.0)]
        ongo_all = np.r_[oral_rows[4], np.zeros(ps.size, bool)]
        iv = np.r_[np.zeros(oral_rows[0].size, bool), np.ones(ps.size, bool)]
        order = np.lexsort((iv, st_all, s_all))
        s_all, st_all, en_all, dose_all, ongo_all, iv = (x[order] for x in (s_all, st_all, en_all, dose_all,
                                                                            ongo_all, iv))
        m = s_all.size
        dec = np.where(iv, "METHYLPREDNISOLONE", drug[s_all]).astype(object)
        verb = np.empty(m, dtype=object)
        for dname, (variants, _) in T.GC_DRUGS.items():
            sel = (dec == dname) & ~iv
            verb[sel] = np.asarray(variants, dtype=object)[(s_all[sel] % len(variants))]
        verb[iv] = T.PULSE_VERBATIM
        bid = (~iv) & (dose_all >= 20) & (s_all % 7 == 0)
        per_adm = np.where(bid, dose_all / 2, dose_all)
        self.out["gc"] = _frame("gc", {
            "SUBJID": S.subjid[s_all], "GCSPID": _seq_within(s_all).astype(str).astype(object), "GCTRT": verb,
            "GCDECOD": dec, "GCDOSE": _gnum(per_adm),
            "GCDOSFRQ": np.where(iv, "ONCE", np.where(bid, "BID", "QD")).astype(object),
            "GCROUTE": np.where(iv, "INTRAVENOUS", "ORAL").astype(object), "GCSTDT": _dates(st_all),
            "GCENDT": np.where(ongo_all, "", _dates(np.where(en_all < 0, 0, en_all))).astype(object),
            "GCONGO": np.where(ongo_all, "Y", "N").astype(object)}, m)
        self.gc_zero = zero

    def ds(self, S: _Subjects, vt: pd.DataFrame) -> None:
        rng, n = self.rng, S.n
        date = np.where(S.infused, _study_date(S.inf, S.last_day), S.inf)
        date = np.where(S.sf, S.consent + rng.integers(1, 10, n), date)
        terms = {
            "COMPLETED": "Fin d'étude à M12", "SCREEN FAILURE": "Critères d'éligibilité non remplis",
            "ADVERSE EVENT": "Arrêt pour événement indésirable", "DEATH": "Décès",
            "LOST TO FOLLOW-UP": "Perdu de vue", "WITHDRAWAL BY SUBJECT": "Retrait du consentement",
            "PHYSICIAN DECISION": "Décision de l'investigateur", "OTHER": "Déménagement",
        }
        dsterm = np.array([terms[d] for d in S.ds_decod], dtype=object) if n else np.zeros(0, object)
        sf_txt = np.array(["Critère " + "/".join(c) + " non rempli" if c else "" for c in S.sf_crit], dtype=object)
        dsterm = np.where(S.sf, sf_txt, dsterm).astype(object)
        S.ds_date = date
        self.out["ds"] = _frame("ds", {
            "SUBJID": S.subjid, "DSSCAT": np.where(S.sf, "SCREENING", "STUDY").astype(object),
            "DSDECOD": S.ds_decod, "DSTERM": dsterm, "DSSTDT": _dates(date),
            "DTHDT": np.where(S.death, _dates(date), "").astype(object)}, n)

    # -------------------------------------------------------------- run
    def run(self) -> dict[str, pd.DataFrame]:
        S = self.subjects()
        vt = self.visit_table(S)
        self.S, self.vt = S, vt
        state = self.disease_state(S, vt)
        self.dm(S)
        self.ie(S)
        self.sv(S, vt)
        self.vs_ex(S, vt)
        self.sledai_bilag(S, vt, state)
        self.qol(S, vt)
        self.lb(S, vt, state)
        self.como(S, vt)
        self.mh(S)
        self.ae(S)
        self.cm(S)
        self.gc(S, vt)
        self.ds(S, vt)
        return {f: self.out[f] for f in F.FORMS}


def simulate_study(n_subjects: int, seed: int, out_dir: str | Path, config: StudyConfig, *,
                   n_screen_fail: int | None = None, n_not_infused: int | None = None,
                   start_date: str = DEFAULT_START) -> dict[str, int]:
    """Write one synthetic raw export (every form's CSV of the contract) into ``out_dir``.

    ``n_subjects`` screened subjects (SUBJID 001...); ``n_screen_fail`` and
    ``n_not_infused`` fix those counts exactly (default: ~15% screen failures
    drawn at random; one enrolled-not-infused subject when 20 or more are
    enrolled). Enrolled subjects are split into the config's dose cohorts in
    consent order, lowest dose first (3/3/4 for 10). Same arguments, same
    bytes. Returns the number of records written per form.
    """
    sim = _Sim(int(n_subjects), int(seed), config, n_screen_fail, n_not_infused, start_date)
    frames = sim.run()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for form, df in frames.items():
        df.to_csv(out / f"{form}.csv", index=False, lineterminator="\n", encoding="utf-8")
        counts[form] = len(df)
    return counts
