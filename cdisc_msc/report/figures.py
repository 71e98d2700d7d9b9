"""Figures of the report (matplotlib, Agg backend, PNG; deterministic: no timestamps, fixed fonts).

* individual and mean trajectories of a BDS parameter (:func:`trajectory_figure`);
* response rates over time with exact 95% CIs, from the report's own tables (:func:`response_figure`);
* a timeline of adverse events by grade per subject (:func:`ae_timeline_figure`).
"""
from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402

from cdisc_msc.report import outcomes as om  # noqa: E402
from cdisc_msc.report.query import conjoin, select  # noqa: E402

RC = {
    "svg.hashsalt": "cdisc-msc-report", "font.family": "DejaVu Sans", "font.size": 9, "axes.titlesize": 10,
    "figure.dpi": 100, "savefig.dpi": 100, "axes.spines.top": False, "axes.spines.right": False,
}
COHORT_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b")
GRADE_COLOURS = {1: "#66bd63", 2: "#fee08b", 3: "#f46d43", 4: "#a50026", 5: "#000000"}
MISSING_GRADE_COLOUR = "#999999"
OTHER_COLOUR = "#777777"
"""Subjects whose TRT01AN is not a configured cohort."""
VARIABLES = frozenset({"USUBJID", "SAFFL", "TRT01AN", "TRT01A", "PARAMCD", "AVISITN", "AVAL", "ABLFL", "ANL01FL",
                       "TRTEMFL", "TOXFL", "ASTDY", "AENDY", "AESEQ", "ATOXGRN", "EOSDT", "TRTSDT"})
"""ADaM variables the figures read."""


@dataclass
class Figure:
    """A rendered figure: PNG bytes, its title and where its data came from."""

    id: str
    section: str
    title: str
    source: str
    png: bytes


def render(fig) -> bytes:
    """PNG bytes of ``fig`` without the Software/date metadata (byte-identical reruns); closes ``fig``."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def cohort_colours(groups: list[tuple[str, str]]) -> dict[float, tuple[str, str]]:
    """TRT01AN -> (colour, label) of each dose cohort (groups[1:] have filters 'TRT01AN=k')."""
    out = {}
    for i, (label, where) in enumerate(groups[1:]):
        code = float(where.split("=")[1])
        out[code] = (COHORT_COLOURS[i % len(COHORT_COLOURS)], label)
    return out


def visit_points(ds: pd.DataFrame, paramcd: str, months: tuple[int, ...]) -> tuple[pd.DataFrame, str]:
    """USUBJID, TRT01AN, X (month: 0 = baseline), AVAL of the baseline and analysed records; and the filter."""
    where = conjoin(om.POPULATION, f'PARAMCD="{paramcd}"')
    recs = select(ds, where)
    post = recs["AVISITN"].isin(months) & (recs["ANL01FL"] == "Y")
    base = recs["ABLFL"] == "Y"
    keep = (post | base).to_numpy(dtype=bool)
    points = recs.loc[keep, ["USUBJID", "TRT01AN", "AVISITN", "AVAL"]].copy()
    points["X"] = np.where(base[keep], 0.0, points["AVISITN"].astype("float64"))
    points["AVAL"] = pd.to_numeric(points["AVAL"], errors="coerce")
    points = points[points["AVAL"].notna()].sort_values(["USUBJID", "X"])
    months_text = ", ".join(str(m) for m in months)
    return points, f'{where} and (ABLFL="Y" or (ANL01FL="Y" and AVISITN in ({months_text})))'


def subject_segments(points: pd.DataFrame) -> list[np.ndarray]:
    """The (X, AVAL) points of each subject, in subject order, from points sorted by USUBJID
    (split at the rows where USUBJID changes; no per-subject frame).

    >>> [s.tolist() for s in subject_segments(pd.DataFrame({"USUBJID": ["A", "A", "B"], "X": [0.0, 3.0, 0.0],
    ...                                                     "AVAL": [5.0, 4.0, 7.0]}))]
    [[[0.0, 5.0], [3.0, 4.0]], [[0.0, 7.0]]]
    """
    xy = points[["X", "AVAL"]].to_numpy()
    if not len(xy):
        return []
    subject = points["USUBJID"].to_numpy()
    return np.split(xy, np.flatnonzero(subject[1:] != subject[:-1]) + 1)


MAX_TRAJECTORY_SUBJECTS = 1000
"""Individual trajectories drawn at most: beyond it (a pooled or simulated study of thousands, where the
lines merge into one area and their rendering dominates the report's run time) one subject in k, by USUBJID,
is drawn (each cohort keeps about its share) and the panel title says so; the mean +/- SD panel always uses
every subject."""


def every_nth_subject(points: pd.DataFrame, limit: int) -> tuple[pd.DataFrame, int]:
    """The points of one subject in k (k = 1 up to ``limit`` subjects), subjects in USUBJID order; and k.

    >>> p = pd.DataFrame({"USUBJID": ["A", "A", "B", "C"], "X": [0.0, 3.0, 0.0, 0.0]})
    >>> every_nth_subject(p, 2)[0]["USUBJID"].tolist(), every_nth_subject(p, 2)[1], every_nth_subject(p, 3)[1]
    (['A', 'A', 'C'], 2, 1)
    """
    subjects = pd.unique(points["USUBJID"])
    if len(subjects) <= limit:
        return points, 1
    step = -(-len(subjects) // limit)
    return points[points["USUBJID"].isin(np.sort(subjects)[::step])], step


def rgba(colours: pd.Series) -> np.ndarray:
    """RGBA rows of colour names, each distinct name converted once (what matplotlib does per element).

    >>> rgba(pd.Series(["#ff0000", "#ff0000"])).tolist()
    [[1.0, 0.0, 0.0, 1.0], [1.0, 0.0, 0.0, 1.0]]
    """
    codes, names = pd.factorize(colours)
    return matplotlib.colors.to_rgba_array(list(names)).reshape(-1, 4)[codes]


def trajectory_figure(ds: pd.DataFrame, dataset: str, param: om.Param, groups: list[tuple[str, str]],
                      months: tuple[int, ...], labels: dict[int, str], section: str) -> Figure:
    """Left: one line per subject coloured by cohort (one subject in k beyond ``MAX_TRAJECTORY_SUBJECTS``).
    Right: mean +/- SD per cohort and overall, of every subject."""
    points, where = visit_points(ds, param.paramcd, months)
    colours = cohort_colours(groups)
    ticks = [0, *months]
    with plt.rc_context(RC):
        fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True, layout="constrained")
        drawn, step = every_nth_subject(points, MAX_TRAJECTORY_SUBJECTS)
        point_colour = (pd.to_numeric(drawn["TRT01AN"]).map({k: v[0] for k, v in colours.items()})
                        .fillna(OTHER_COLOUR))
        by_subject = drawn.assign(C=point_colour).groupby("USUBJID", sort=True)
        segments = subject_segments(drawn)
        left.add_collection(LineCollection(segments, colors=rgba(by_subject["C"].first()), linewidths=1.2,
                                           alpha=0.8))
        left.scatter(drawn["X"], drawn["AVAL"], s=12, c=rgba(point_colour), zorder=3)
        left.set_title(f"{param.label}: individual subjects" + (f" (1 in {step})" if step > 1 else ""))
        stats = points.groupby(["TRT01AN", "X"])["AVAL"].agg(["mean", "std", "count"]).reset_index()
        overall = points.groupby("X")["AVAL"].agg(["mean", "std", "count"]).reset_index()
        for i, (code, (colour, label)) in enumerate(sorted(colours.items())):
            s = stats[stats["TRT01AN"] == code]
            right.errorbar(s["X"] + (i - 1) * 0.15, s["mean"], yerr=s["std"].fillna(0), color=colour,
                           marker="o", ms=4, capsize=2, lw=1, label=label)
        right.errorbar(overall["X"], overall["mean"], yerr=overall["std"].fillna(0), color="black", marker="s",
                       ms=5, capsize=3, lw=2, label=groups[0][0])
        right.set_title(f"{param.label}: mean +/- SD")
        right.legend(fontsize=7, frameon=False, loc="best")
        for ax in (left, right):
            ax.set_xticks(ticks, [labels.get(t, str(t)) for t in ticks])
            ax.set_xlim(-0.8, max(ticks) + 0.8)
            ax.grid(axis="y", alpha=0.3)
        left.set_ylabel(param.label)
        left.autoscale_view()
        png = render(fig)
    sampled = (f"; individual subjects drawn: one in {step} by USUBJID ({drawn['USUBJID'].nunique()} of "
               f"{points['USUBJID'].nunique()}), mean +/- SD of all" if step > 1 else "")
    return Figure(f"fig_{param.paramcd.lower()}", section, f"{param.label} over time",
                  f"{dataset} where {where}; x = analysis visit (AVISITN), y = AVAL{sampled}", png)


def response_figure(long: pd.DataFrame, groups: list[tuple[str, str]], section: str, source: str) -> Figure:
    """Responder proportions (%) by month: overall with exact 95% CI, then one panel per cohort.

    ``long``: the responder tables' data (parameter, avisitn, group, pct, ci_low, ci_high).
    """
    names = [g for g, _ in groups]
    params = list(dict.fromkeys(long["parameter"]))
    with plt.rc_context(RC):
        fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3.6), sharey=True, layout="constrained")
        axes = np.atleast_1d(axes)
        for ax, name in zip(axes, names):
            part = long[long["group"] == name]
            for i, param in enumerate(params):
                p = part[part["parameter"] == param].sort_values("avisitn")
                x = p["avisitn"].astype(float) + (i - (len(params) - 1) / 2) * 0.25
                err = np.vstack([p["pct"] - p["ci_low"], p["ci_high"] - p["pct"]]) if name == names[0] else None
                ax.errorbar(x, p["pct"], yerr=err, marker="o", ms=4, capsize=2, lw=1.2, label=param)
            ax.set_title(name if name != names[0] else f"{name} (exact 95% CI)", fontsize=9)
            ax.set_xticks(sorted(long["avisitn"].dropna().unique()))
            ax.set_xlabel("Month")
            ax.set_ylim(-3, 103)
            ax.grid(axis="y", alpha=0.3)
        axes[0].set_ylabel("Responders (%)")
        axes[0].legend(fontsize=7, frameon=False, loc="upper left")
        png = render(fig)
    return Figure("fig_response", section, "Response rates over time", source, png)


MAX_TIMELINE_SUBJECTS = 100
"""Subjects drawn in the AE timeline: one 0.38-inch row each, so a pooled study of thousands would
exceed the PNG size limit (65,536 pixels); beyond it the figure shows the first ones and says so."""


def ae_timeline_figure(adae: pd.DataFrame, adsl: pd.DataFrame, section: str,
                       reference_days: tuple[int, ...] = (10, 31, 91, 181, 366)) -> Figure:
    """One row per infused subject: each treatment-emergent AE from ASTDY to AENDY coloured by ATOXGRN.

    Filled markers = toxicity (TOXFL = "Y"), open = unrelated; an event without an end
    runs to the subject's last study day (dashed). Grey line = the subject's follow-up.
    At most ``MAX_TIMELINE_SUBJECTS`` subjects (in this order) are drawn; the title says when more exist.
    """
    subjects = select(adsl, om.POPULATION).sort_values(["TRT01AN", "USUBJID"], ascending=[False, False])
    total = len(subjects)
    subjects = subjects.head(MAX_TIMELINE_SUBJECTS)
    row = {u: i for i, u in enumerate(subjects["USUBJID"])}
    last_day = (pd.to_numeric(subjects["EOSDT"]) - pd.to_numeric(subjects["TRTSDT"]) + 1).fillna(366)
    where = conjoin(om.POPULATION, 'TRTEMFL="Y"')
    recs = select(adae, where).copy()
    recs["Y"] = recs["USUBJID"].map(row).astype("float64")
    recs = recs[recs["Y"].notna()].sort_values(["USUBJID", "ASTDY", "AESEQ"])
    recs["Y"] = recs["Y"] + (recs.groupby("USUBJID").cumcount() % 3 - 1) * 0.22
    start = pd.to_numeric(recs["ASTDY"], errors="coerce")
    end_known = pd.to_numeric(recs["AENDY"], errors="coerce")
    subject_end = recs["USUBJID"].map(dict(zip(subjects["USUBJID"], last_day))).astype("float64")
    end = end_known.fillna(subject_end).clip(lower=start)
    grade = pd.to_numeric(recs["ATOXGRN"], errors="coerce")
    colour = grade.map(GRADE_COLOURS).fillna(MISSING_GRADE_COLOUR)
    tox = (recs["TOXFL"] == "Y").to_numpy(dtype=bool)
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(11, 0.38 * len(row) + 1.6), layout="constrained")
        ax.hlines(list(row.values()), 1, last_day.to_numpy(), colors="#dddddd", lw=6, zorder=1)
        known = end_known.notna().to_numpy(dtype=bool)
        ax.hlines(recs["Y"][known], start[known], end[known] + 0.5, colors=colour[known].tolist(), lw=3, zorder=2)
        ax.hlines(recs["Y"][~known], start[~known], end[~known], colors=colour[~known].tolist(), lw=2,
                  linestyles="dashed", zorder=2)
        ax.scatter(start[tox], recs["Y"][tox], c=colour[tox].tolist(), edgecolors="black", s=30, zorder=3)
        ax.scatter(start[~tox], recs["Y"][~tox], facecolors="white", edgecolors=colour[~tox].tolist(), s=30,
                   linewidths=1.5, zorder=3)
        for d in reference_days:
            ax.axvline(d, color="#888888", lw=0.6, ls=":")
        ax.set_yticks(list(row.values()), [f"{u} ({c})" for u, c in zip(subjects["USUBJID"],
                                                                      subjects["TRT01A"])], fontsize=7)
        ax.set_xlabel("Study day (day 1 = infusion); dotted lines: days " + ", ".join(map(str, reference_days)))
        handles = [plt.Line2D([], [], color=c, lw=3, label=f"Grade {g}") for g, c in GRADE_COLOURS.items()]
        handles += [plt.Line2D([], [], marker="o", color="black", lw=0, label="Toxicity (related)"),
                    plt.Line2D([], [], marker="o", markerfacecolor="white", color="black", lw=0, label="Not related")]
        ax.legend(handles=handles, fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        ax.set_title("Treatment-emergent adverse events by subject and grade (CTCAE v5.0)"
                     + (f": first {len(subjects)} of {total} subjects" if total > len(subjects) else ""))
        png = render(fig)
    return Figure("fig_ae_timeline", section, "Adverse events by subject, grade and time",
                  f"ADAE where {where}: ASTDY to AENDY, colour = ATOXGRN, filled = TOXFL=\"Y\"", png)


__all__ = ["Figure", "ae_timeline_figure", "render", "response_figure", "subject_segments", "trajectory_figure"]
