"""Outcome tables, overall and by dose cohort, from the ADaM datasets and the outcome map.

Each :class:`Table` has a long machine-readable frame (``data``, written as
CSV: one row per number block with the exact where clause that selects its
records) and a formatted frame (``display``, rendered in HTML: one column per
reporting group). Builders by outcome kind:

* proportions (responders, toxicity categories, comorbidity presence):
  :func:`count_rows` -> n, N, %, exact 95% CI per group;
* continuous values and changes from baseline: :func:`continuous_table`;
* adverse events by SOC and PT with maximum grade: :func:`socpt_tables`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cdisc_msc.io.columns import factorize_column
from cdisc_msc.report.outcomes import NOT_TOLERATED_GRADE, POPULATION, Outcome
from cdisc_msc.report.query import conjoin, factorize_missing_last, mask, select
from cdisc_msc.report.stats import describe, proportions
from cdisc_msc.scoring import require_columns

PCT_DECIMALS = 1
MAX_GRADE = 5
VARIABLES = frozenset({"USUBJID", "PARAMCD", "AVAL", "CHG", "DTYPE", "ATOXGRN", "AEBODSYS", "AEDECOD", "NTOLFL"})
"""ADaM variables the tables read besides those of the outcome map's filters and flags."""


@dataclass
class Table:
    """One reported table: its numbers (``data``), their rendering (``display``) and provenance."""

    id: str
    outcome: str
    title: str
    source: str
    data: pd.DataFrame
    display: pd.DataFrame
    label_columns: int
    registry: str = ""
    notes: tuple[str, ...] = ()
    available: bool = True


@dataclass
class CountItem:
    """One proportion row: who is counted, who is observed, who leaves the denominator.

    ``observed`` None = the whole population is the denominator (minus ``excluded``).
    """

    labels: dict[str, object]
    where: str
    counted: pd.Index
    observed: pd.Index | None = None
    excluded: pd.Index = field(default_factory=lambda: pd.Index([]))
    imputed: pd.Index = field(default_factory=lambda: pd.Index([]))


@dataclass
class Context:
    """What every builder needs: the datasets, the population by group and the group order."""

    datasets: dict[str, pd.DataFrame]
    members: pd.DataFrame
    groups: list[tuple[str, str]]
    _paramcds: dict[str, tuple[np.ndarray, dict[str, int]]] = field(default_factory=dict, init=False, repr=False)
    _parts: dict[tuple[str, str], tuple[pd.DataFrame, dict]] = field(default_factory=dict, init=False, repr=False)

    @property
    def group_names(self) -> list[str]:
        return [g for g, _ in self.groups]

    def param_records(self, dataset: str, paramcd: str) -> pd.DataFrame:
        """The records of ``dataset`` with this PARAMCD, in dataset order with their index labels (the whole
        dataset when ``paramcd`` is empty or the dataset has no PARAMCD): a where clause holding
        ``PARAMCD="<paramcd>"`` selects the same rows from it as from the whole dataset, from far fewer rows."""
        return self._part(dataset, paramcd)[0]

    def records(self, dataset: str, paramcd: str, where: str) -> pd.DataFrame:
        """``select(param_records(dataset, paramcd), where)``; each clause is evaluated once per part."""
        part, memo = self._part(dataset, paramcd)
        return select(part, where, memo)

    def _part(self, dataset: str, paramcd: str) -> tuple[pd.DataFrame, dict]:
        ds = self.datasets[dataset]
        if not paramcd or "PARAMCD" not in ds.columns:
            paramcd = ""
        key = (dataset, paramcd)
        if key not in self._parts:
            if not paramcd:
                part = ds
            else:
                if dataset not in self._paramcds:
                    paramcds = factorize_column(ds["PARAMCD"])
                    self._paramcds[dataset] = paramcds.codes, {v: i for i, v in enumerate(paramcds.uniques)}
                codes, number = self._paramcds[dataset]
                part = ds.take(np.flatnonzero(codes == number.get(paramcd, -2)))
            self._parts[key] = part, {}
        return self._parts[key]


# ------------------------------------------------------------------ helpers ----
def slug(text: str) -> str:
    """Lower-case identifier for table ids and file names.

    >>> slug("Month 3 (days 1-91)")
    'month_3_days_1_91'
    """
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def ids(frame: pd.DataFrame, where: str = "") -> pd.Index:
    """Unique USUBJIDs of the rows of ``frame`` satisfying ``where``."""
    return pd.Index(frame.loc[mask(frame, where), "USUBJID"].unique()) if where else pd.Index(frame["USUBJID"].unique())


def one_record_per_subject(records: pd.DataFrame, where: str) -> None:
    """Fail when a subject has several records where the analysis expects one (ANL01FL / ABLFL)."""
    dup = records["USUBJID"][records["USUBJID"].duplicated()]
    if len(dup):
        raise ValueError(f"more than one record per subject for {where}: {', '.join(sorted(set(dup))[:5])}")


def fixed(values: pd.Series, decimals: int, signed: bool = False) -> pd.Series:
    """Each value with fixed decimals (``signed``: with a + on positive values), "-" when missing.

    >>> fixed(pd.Series([2.345, None]), 1).tolist(), fixed(pd.Series([2.0, -1.0, 0.0]), 0, signed=True).tolist()
    (['2.3', '-'], ['+2', '-1', '0'])
    """
    v = pd.to_numeric(values, errors="coerce").astype("float64")
    codes, bits = pd.factorize(v.to_numpy().view(np.int64))  # by bit pattern: -0.0 and 0.0 print differently
    distinct = pd.Series(np.asarray(bits, dtype=np.int64).view(np.float64))
    text = distinct.map(f"{{:.{max(decimals, 0)}f}}".format).astype(object)
    if signed:
        text = text.where(~(distinct.round(max(decimals, 0)) > 0), "+" + text)
    text = text.where(distinct.notna(), "-").astype(object).to_numpy()
    return pd.Series(text[codes], index=v.index, name=v.name, dtype=object)


def proportion_cells(frame: pd.DataFrame) -> pd.Series:
    """'n/N (pct%)' and '[CI low; CI high]' on a second line ('-' when N = 0).

    >>> cells = pd.DataFrame({"n": [5], "N": [10], "pct": [50.0], "ci_low": [18.71], "ci_high": [81.29]})
    >>> proportion_cells(cells).tolist()
    ['5/10 (50.0%)\\n[18.7; 81.3]']
    """
    return (frame["n"].astype(int).astype(str) + "/" + frame["N"].astype(int).astype(str)
            + " (" + fixed(frame["pct"], PCT_DECIMALS) + "%)\n[" + fixed(frame["ci_low"], PCT_DECIMALS) + "; "
            + fixed(frame["ci_high"], PCT_DECIMALS) + "]").astype(object)


def describe_cells(stats: pd.DataFrame, decimals: int) -> pd.Series:
    """Four lines: n; mean (SD); median [Q1; Q3]; min; max (mean/median/quartiles +1 decimal, SD +2).

    >>> describe_cells(pd.DataFrame({"n": [2], "mean": [1.5], "sd": [0.7071], "median": [1.5], "q1": [1.25],
    ...                              "q3": [1.75], "min": [1.0], "max": [2.0]}), 0).tolist()
    ['n=2\\n1.5 (0.71)\\n1.5 [1.2; 1.8]\\n1; 2']
    """
    d = decimals
    text = ("n=" + stats["n"].astype(int).astype(str) + "\n" + fixed(stats["mean"], d + 1) + " ("
            + fixed(stats["sd"], d + 2) + ")\n" + fixed(stats["median"], d + 1) + " [" + fixed(stats["q1"], d + 1)
            + "; " + fixed(stats["q3"], d + 1) + "]\n" + fixed(stats["min"], d) + "; " + fixed(stats["max"], d))
    return text.where(stats["n"] > 0, "n=0").astype(object)


def wide(long: pd.DataFrame, labels: list[str], groups: list[str], cell: str) -> pd.DataFrame:
    """One row per label combination (first-seen order), one column per group holding ``cell``."""
    table = long.pivot_table(index=labels, columns="group", values=cell, aggfunc="first", sort=False)
    table = table.reindex(columns=groups).fillna("").reset_index()
    table.columns.name = None
    return table


def unavailable(outcome: Outcome, table_id: str, reason: str) -> Table:
    """A placeholder table naming why an outcome could not be reported."""
    empty = pd.DataFrame({"note": [reason]})
    return Table(table_id, outcome.key, outcome.title, outcome.source(), empty.assign(table=table_id), empty, 1,
                 outcome.registry, outcome.notes + (reason,), available=False)


# ------------------------------------------------------------- proportions ----
def count_rows(ctx: Context, items: list[CountItem]) -> pd.DataFrame:
    """Long frame: the item's labels, group, n, N, excluded, imputed, pct, ci_low, ci_high, where.

    N is the group's population (or its observed subjects) minus the excluded
    subjects; n counts the counted subjects among them.
    """
    members = ctx.members
    subject_codes, subjects = pd.factorize(members["USUBJID"], use_na_sentinel=False)
    group_codes = pd.Categorical(members["GROUP"], categories=ctx.group_names).codes
    in_group = group_codes >= 0  # a member of a group not in the group order is not reported
    row_subject, row_group = subject_codes[in_group], group_codes[in_group].astype(np.intp)
    names = pd.Index(ctx.group_names, name="group")

    def per_group(subject_flags: np.ndarray) -> np.ndarray:
        """Members per group whose subject is flagged."""
        return np.bincount(row_group, weights=subject_flags[row_subject], minlength=len(names)).astype("int64")

    everyone = np.ones(len(subjects), dtype=bool)
    parts = []
    for item in items:
        excluded = subjects.isin(item.excluded)
        base = subjects.isin(item.observed) if item.observed is not None else everyone
        in_denominator = base & ~excluded
        counts = pd.DataFrame({
            "n": per_group(in_denominator & subjects.isin(item.counted)),
            "N": per_group(in_denominator),
            "excluded": per_group(base & excluded),
            "imputed": per_group(in_denominator & subjects.isin(item.imputed)),
        }, index=names).reset_index()
        parts.append(counts.assign(**{k: v for k, v in item.labels.items()}, where=item.where))
    long = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["group", "n", "N", "excluded", "imputed", "where"])
    for col in ("n", "N", "excluded", "imputed"):
        long[col] = long[col].astype("int64")
    return proportions(long)


def responder_items(outcome: Outcome, ctx: Context) -> list[CountItem]:
    """One item per parameter (flag) and time point: counted = flag "Y"; a subject without a record
    stays in the denominator (non-responder); ``not_evaluable`` records leave it."""
    items = []
    for p in outcome.params:
        for t in outcome.timepoints:
            where = conjoin(outcome.where, f'PARAMCD="{p.paramcd}"' if p.paramcd else "", p.where, t.where)
            recs = ctx.records(outcome.dataset, p.paramcd, where)
            one_record_per_subject(recs, f"{outcome.dataset} where {where}")
            require_columns(recs, [p.flag], f"{outcome.dataset} ({outcome.key})")
            items.append(CountItem(
                {"parameter": p.label, "paramcd": p.paramcd, "flag": p.flag, "timepoint": t.label,
                 "avisitn": t.avisitn},
                f'{outcome.dataset} where {where} and {p.flag}="Y"',
                ids(recs, f'{p.flag}="Y"'),
                excluded=ids(recs, outcome.not_evaluable) if outcome.not_evaluable else pd.Index([]),
                imputed=ids(recs, 'DTYPE="WC"') if "DTYPE" in recs.columns else pd.Index([]),
            ))
    return items


def presence_items(outcome: Outcome, ctx: Context) -> list[CountItem]:
    """Observed cases: denominator = subjects with an answered record (AVALC Y or N) at the time point."""
    items = []
    for p in outcome.params:
        for t in outcome.timepoints:
            where = conjoin(outcome.where, f'PARAMCD="{p.paramcd}"', t.where)
            recs = ctx.records(outcome.dataset, p.paramcd, where)
            one_record_per_subject(recs, f"{outcome.dataset} where {where}")
            items.append(CountItem(
                {"parameter": p.label, "paramcd": p.paramcd, "flag": p.flag, "timepoint": t.label,
                 "avisitn": t.avisitn},
                f'{outcome.dataset} where {where} and {p.flag}="Y"',
                ids(recs, f'{p.flag}="Y"'), observed=ids(recs, f'{p.flag} in ("Y", "N")'),
            ))
    return items


def proportion_table(outcome: Outcome, ctx: Context, items: list[CountItem], table_id: str | None = None,
                     labels: tuple[str, ...] = ("parameter", "timepoint")) -> Table:
    """A proportions table from its items."""
    table_id = table_id or outcome.key
    long = count_rows(ctx, items)
    long["cell"] = proportion_cells(long) if len(long) else pd.Series(dtype=object)
    flagged = long["excluded"] > 0
    long.loc[flagged, "cell"] = (long.loc[flagged, "cell"] + "\nnot evaluable: "
                                 + long.loc[flagged, "excluded"].astype(str))
    display = wide(long, list(labels), ctx.group_names, "cell")
    display.columns = [c.capitalize() if c in labels else c for c in display.columns]
    data = long.drop(columns="cell").assign(table=table_id, outcome=outcome.key, registry=outcome.registry,
                                            denominator=POPULATION)
    return Table(table_id, outcome.key, outcome.title, outcome.source(), _order(data, labels), display,
                 len(labels), outcome.registry, outcome.notes)


def _order(data: pd.DataFrame, labels: tuple[str, ...]) -> pd.DataFrame:
    first = ["table", "outcome", "registry", *labels]
    rest = [c for c in data.columns if c not in first]
    return data[[c for c in first if c in data.columns] + rest]


# --------------------------------------------------------------- toxicity ----
def max_grade(records: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Maximum ATOXGRN per ``by`` (a subject counted once at the worst grade).

    >>> r = pd.DataFrame({"USUBJID": ["A", "A", "B"], "ATOXGRN": [1.0, 3.0, 2.0]})
    >>> max_grade(r, ["USUBJID"]).values.tolist()
    [['A', 3.0], ['B', 2.0]]
    """
    require_columns(records, [*by, "ATOXGRN"], "max_grade (ADAE)")
    grades = records[by].copy()
    grades["ATOXGRN"] = pd.to_numeric(records["ATOXGRN"], errors="coerce")
    return grades.groupby(by, sort=True, dropna=False)["ATOXGRN"].max().reset_index()


def toxicity_items(outcome: Outcome, adae: pd.DataFrame) -> list[CountItem]:
    """Per scope (related toxicity / all TEAEs) and time point: any event, each maximum grade, not tolerated."""
    items = []
    for p in outcome.params:
        for t in outcome.timepoints:
            where = conjoin(outcome.where, f'{p.flag}="Y"', t.where)
            recs = select(adae, where)
            worst = max_grade(recs, ["USUBJID"])
            labels = {"scope": p.label, "timepoint": t.label, "avisitn": t.avisitn}
            base = f"ADAE where {where}"
            cats = [("Any event", worst["USUBJID"], base)]
            for g in range(1, MAX_GRADE + 1):
                cats.append((f"Maximum grade {g}", worst.loc[worst["ATOXGRN"] == g, "USUBJID"],
                             f"{base}; subjects whose maximum ATOXGRN = {g}"))
            if worst["ATOXGRN"].isna().any():
                cats.append(("Maximum grade missing", worst.loc[worst["ATOXGRN"].isna(), "USUBJID"],
                             f"{base}; subjects without ATOXGRN"))
            cats.append((f"Not tolerated (grade >= {NOT_TOLERATED_GRADE})",
                          worst.loc[worst["ATOXGRN"] >= NOT_TOLERATED_GRADE, "USUBJID"],
                          f"{base} and ATOXGRN>={NOT_TOLERATED_GRADE}"))
            items += [CountItem(labels | {"category": c}, w, pd.Index(s)) for c, s, w in cats]
    return items


def not_tolerated_table(outcome: Outcome, ctx: Context, adsl: pd.DataFrame) -> Table:
    """ADSL NTOLFL: not tolerated over the whole study (to day 366 or end of study)."""
    where = conjoin(POPULATION, 'NTOLFL="Y"')
    item = CountItem({"parameter": "Not tolerated over the whole study (ADSL.NTOLFL)", "timepoint": "Whole study"},
                     f"ADSL where {where}", ids(adsl, where) if "NTOLFL" in adsl.columns else pd.Index([]))
    table = proportion_table(outcome, ctx, [item], f"{outcome.key}_ntolfl")
    table.title = "Not tolerated (toxicity of grade >= 3) over the whole study"
    table.source = f"ADSL where {where}"
    table.notes = ("ADSL.NTOLFL covers the whole study (to day 366 or the end of study).",)
    return table


# --------------------------------------------------------------- SOC / PT ----
def socpt_counts(records: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """Subjects per group, SOC (PT "") and SOC/PT, with the overall count at each maximum grade."""
    require_columns(records, ["USUBJID", "AEBODSYS", "AEDECOD", "ATOXGRN"], "AE by SOC/PT (ADAE)")
    pt = max_grade(records, ["USUBJID", "AEBODSYS", "AEDECOD"])
    soc = max_grade(records, ["USUBJID", "AEBODSYS"]).assign(AEDECOD="")
    subj = pd.concat([soc, pt], ignore_index=True).merge(ctx.members[["USUBJID", "GROUP"]], on="USUBJID")
    keys = ["AEBODSYS", "AEDECOD"]
    n = subj.groupby([*keys, "GROUP"]).size().unstack("GROUP").reindex(columns=ctx.group_names).fillna(0)
    overall = subj[subj["GROUP"] == ctx.group_names[0]]
    grades = (overall.assign(G=overall["ATOXGRN"].astype("Int64").astype("string").fillna("missing"))
              .groupby([*keys, "G"]).size().unstack("G"))
    grade_names = [str(g) for g in range(1, MAX_GRADE + 1)]
    grades = grades.reindex(columns=grade_names + [c for c in grades.columns if c not in grade_names]).fillna(0)
    n = n.join(grades.rename(columns=lambda g: f"grade_{g}"), how="left").fillna(0).reset_index()
    return n


def socpt_tables(outcome: Outcome, ctx: Context, adae: pd.DataFrame) -> list[Table]:
    """One table per scope and time point: rows SOC then its PTs (most frequent first)."""
    tables = []
    sizes = ctx.members.groupby("GROUP")["USUBJID"].nunique().reindex(ctx.group_names, fill_value=0)
    for p in outcome.params:
        for t in outcome.timepoints:
            where = conjoin(outcome.where, f'{p.flag}="Y"', t.where)
            table_id = f"{outcome.key}_{slug(p.flag)}_{slug(t.label.split(' (')[0])}"
            recs = select(adae, where)
            counts = socpt_counts(recs, ctx) if len(recs) else pd.DataFrame(columns=["AEBODSYS", "AEDECOD"])
            long = _socpt_long(counts, ctx, sizes, f"ADAE where {where}")
            long = long.assign(table=table_id, outcome=outcome.key, registry=outcome.registry, scope=p.label,
                               timepoint=t.label, avisitn=t.avisitn, denominator=POPULATION)
            display = _socpt_display(long, ctx.group_names)
            title = f"{p.label} by SOC and PT: {t.label}"
            tables.append(Table(table_id, outcome.key, title, f"ADAE where {where}",
                                _order(long, ("scope", "timepoint", "soc", "pt")), display, 1, outcome.registry,
                                outcome.notes))
    return tables


def _socpt_long(counts: pd.DataFrame, ctx: Context, sizes: pd.Series, base: str) -> pd.DataFrame:
    if counts.empty:
        return pd.DataFrame(columns=["soc", "pt", "group", "n", "N", "pct", "ci_low", "ci_high", "where"])
    overall = ctx.group_names[0]
    grade_cols = [c for c in counts.columns if c.startswith("grade_")]
    soc_n = counts[counts["AEDECOD"] == ""].set_index("AEBODSYS")[overall]
    order = counts.assign(_soc=counts["AEBODSYS"].map(soc_n), _pt=counts["AEDECOD"] != "", _n=counts[overall])
    order = order.sort_values(["_soc", "AEBODSYS", "_pt", "_n", "AEDECOD"],
                              ascending=[False, True, True, False, True], kind="mergesort")
    long = order.melt(id_vars=["AEBODSYS", "AEDECOD", *grade_cols], value_vars=ctx.group_names,
                      var_name="group", value_name="n")
    long["N"] = long["group"].map(sizes).astype("int64")
    long["n"] = long["n"].astype("int64")
    long = proportions(long)
    pt_clause = np.where(long["AEDECOD"] == "", "", ' and AEDECOD="' + long["AEDECOD"] + '"')
    long["where"] = base + ' and AEBODSYS="' + long["AEBODSYS"] + '"' + pt_clause
    for c in grade_cols:
        long[c] = np.where(long["group"] == overall, long[c], np.nan)
    long = long.rename(columns={"AEBODSYS": "soc", "AEDECOD": "pt"})
    # melt keeps row order within each group block; restore SOC/PT order within groups
    return long.reset_index(drop=True)


def _socpt_display(long: pd.DataFrame, groups: list[str]) -> pd.DataFrame:
    if long.empty:
        return pd.DataFrame({"System organ class / Preferred term": ["No events"]})
    long = long.copy()
    long["row"] = np.where(long["pt"] == "", long["soc"], "\u2003" + long["pt"])
    long["cell"] = long["n"].astype(str) + " (" + fixed(long["pct"], PCT_DECIMALS) + "%)"
    display = wide(long.assign(_key=long["soc"] + "|" + long["pt"]), ["_key", "row"], groups, "cell")
    grade_cols = sorted(c for c in long.columns if c.startswith("grade_"))
    overall = long[long["group"] == groups[0]].set_index(long.loc[long["group"] == groups[0], "soc"] + "|" +
                                                          long.loc[long["group"] == groups[0], "pt"])
    text = pd.Series("", index=overall.index, dtype=object)
    for c in grade_cols:
        k = overall[c].fillna(0).astype(int)
        label = c.replace("grade_", "G")
        text = text + np.where(k > 0, label + ": " + k.astype(str) + "  ", "")
    display[f"Max grade ({groups[0]})"] = display["_key"].map(text.str.strip()).fillna("")
    return display.drop(columns="_key").rename(columns={"row": "System organ class / Preferred term"})


# -------------------------------------------------------------- continuous ----
def _member_rows(subject: np.ndarray, subjects: np.ndarray, ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """The inner join of value rows (``subject``: codes into ``subjects``) with the members, as arrays:
    for each value row, in row order, one output row per group of its subject (in members order), as
    ``merge(how="inner")`` orders them. Returns (value row, group code) of the output rows."""
    member_subject = pd.Index(subjects).get_indexer(ctx.members["USUBJID"])
    member_group = pd.Index(ctx.group_names).get_indexer(ctx.members["GROUP"])  # -1: not a reported group
    keep = (member_subject >= 0) & (member_group >= 0)
    member_subject, member_group = member_subject[keep], member_group[keep]
    by_subject = np.argsort(member_subject, kind="stable")  # each subject's groups, in members order
    per_subject = np.bincount(member_subject, minlength=len(subjects))
    first = np.cumsum(per_subject) - per_subject  # position of each subject's first group in by_subject
    repeats = per_subject[subject]
    row = np.repeat(np.arange(len(subject)), repeats)
    within = np.arange(len(row)) - np.repeat(np.cumsum(repeats) - repeats, repeats)
    return row, member_group[by_subject[first[subject[row]] + within]]


def _block_statistics(values: pd.DataFrame, ctx: Context, blocks: list[dict]) -> pd.DataFrame:
    """``describe`` of each block's values (USUBJID, _v, _block) per group: one row per block and group in
    group order (statistics missing for a group without values), then the block's labels.

    The values join the members by subject as integer codes (worked out once per distinct subject), and
    are summarised in one grouped pass on one integer key per (block, group) cell.
    """
    subject, subjects = factorize_missing_last(values["USUBJID"], np.nan)  # code -1: the missing subject
    row, group = _member_rows(subject, subjects, ctx)
    n_groups = len(ctx.group_names)
    cell = values["_block"].to_numpy(dtype=np.intp)[row] * n_groups + group
    grouped = pd.DataFrame({"_cell": cell, "_v": values["_v"].to_numpy()[row]}, copy=False)
    stats = describe(grouped, "_v", ["_cell"]).set_index("_cell")
    cells = pd.MultiIndex.from_product([range(len(blocks)), range(n_groups)])
    stats = stats.reindex(np.arange(len(blocks) * n_groups)).reset_index(drop=True)
    names = pd.Index(ctx.group_names).take(cells.codes[1])
    labels = pd.DataFrame(blocks).take(cells.codes[0]).reset_index(drop=True)
    return pd.concat([pd.DataFrame({"group": names}), stats, labels], axis=1)


def continuous_table(outcome: Outcome, ctx: Context) -> Table:
    """Value (AVAL) at each time point and change from baseline (CHG) after baseline; observed cases.

    Every (parameter, time point, analysis) block is summarised by one grouped pass over all blocks.
    """
    blocks, values = [], []
    for p in outcome.params:
        for t in outcome.timepoints:
            where = conjoin(outcome.where, f'PARAMCD="{p.paramcd}"', t.where)
            recs = ctx.records(outcome.dataset, p.paramcd, where)
            one_record_per_subject(recs, f"{outcome.dataset} where {where}")
            analyses = [("Value", "AVAL")]
            if outcome.change and t.avisitn not in (0, None):
                analyses.append(("Change from baseline", "CHG"))
            for analysis, var in analyses:
                require_columns(recs, [var], f"{outcome.dataset} ({outcome.key})")
                values.append(recs[["USUBJID", var]].set_axis(["USUBJID", "_v"], axis=1).assign(_block=len(blocks)))
                blocks.append({"parameter": p.label, "paramcd": p.paramcd, "timepoint": t.label,
                               "avisitn": t.avisitn, "analysis": analysis, "variable": var, "decimals": p.decimals,
                               "where": f"{outcome.dataset} where {where}; non-missing {var}"})
    long = _block_statistics(pd.concat(values, ignore_index=True), ctx, blocks)
    long["n"] = long["n"].fillna(0).astype("int64")
    long["cell"] = pd.Series("", index=long.index, dtype=object)
    for decimals, rows in long.groupby("decimals").groups.items():
        long.loc[rows, "cell"] = describe_cells(long.loc[rows], int(decimals))
    labels = ["parameter", "timepoint", "analysis"]
    display = wide(long, labels, ctx.group_names, "cell")
    display.columns = [c.capitalize() if c in labels else c for c in display.columns]
    data = long.drop(columns=["cell", "decimals"]).assign(table=outcome.key, outcome=outcome.key,
                                                          registry=outcome.registry)
    return Table(outcome.key, outcome.key, outcome.title, outcome.source(), _order(data, tuple(labels)), display,
                 len(labels), outcome.registry, outcome.notes)


# ------------------------------------------------------------ orchestration ----
def build_tables(outcomes: list[Outcome], ctx: Context) -> list[Table]:
    """Every table of the outcome map, in order; an outcome whose dataset is absent gets a placeholder."""
    tables: list[Table] = []
    for outcome in outcomes:
        ds = ctx.datasets.get(outcome.dataset)
        if ds is None:
            tables.append(unavailable(outcome, outcome.key, f"{outcome.dataset} is not in the ADaM folder."))
            continue
        if outcome.kind == "toxicity":
            table = proportion_table(outcome, ctx, toxicity_items(outcome, ds),
                                     labels=("scope", "timepoint", "category"))
            tables += [table, not_tolerated_table(outcome, ctx, ctx.datasets["ADSL"])]
        elif outcome.kind == "socpt":
            tables += socpt_tables(outcome, ctx, ds)
        elif outcome.kind == "responder":
            tables.append(proportion_table(outcome, ctx, responder_items(outcome, ctx)))
        elif outcome.kind == "presence":
            tables.append(proportion_table(outcome, ctx, presence_items(outcome, ctx)))
        elif outcome.kind == "continuous":
            tables.append(continuous_table(outcome, ctx))
        else:  # pragma: no cover - Outcome.kind is a Literal
            raise ValueError(f"unknown outcome kind {outcome.kind}")
    return tables


__all__ = ["Context", "CountItem", "Table", "build_tables", "continuous_table", "count_rows", "max_grade",
           "proportion_table", "socpt_tables", "toxicity_items"]
