"""The rule engine: rules are data (YAML), checks are registered functions.

A check is a small vectorised function ``check(ctx) -> findings`` registered
by name with ``@register("name")``. Findings are a DataFrame (or a list of
dicts) with any of the columns ``dataset``, ``file``, ``row`` (0-based row of
the dataset), ``variable``, ``value``, ``detail`` and ``severity`` (a
check may lower a rule's severity, e.g. to info when it could not run). The
engine adds the rule's severity and message, the 1-based record number and the
record's key values, and caps the issues listed per rule, dataset and variable.

    >>> @register("always_one")                                   # doctest: +SKIP
    ... def always_one(ctx): return [{"detail": "hello"}]
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd
import yaml

from cdisc_msc.validate.model import Issue, Rule
from cdisc_msc.validate.package import DatasetData, Folder, Package

CheckFunction = Callable[["CheckContext"], "pd.DataFrame | list[dict] | None"]
CHECKS: dict[str, CheckFunction] = {}
KEY_CANDIDATES = ("USUBJID", "{p}SEQ", "ASEQ", "PARAMCD", "{p}TESTCD", "TSPARMCD", "QNAM", "ETCD", "AVISIT", "VISIT")
FINDING_COLUMNS = ("dataset", "file", "row", "variable", "value", "detail", "severity")
DEFAULT_CAP = 100
"""Issues listed per rule, dataset and variable; the rest are counted in one summary issue."""


def register(name: str) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check function under ``name`` (the ``check:`` of a rule)."""
    def wrap(fn: CheckFunction) -> CheckFunction:
        CHECKS[name] = fn
        return fn
    return wrap


class SkipCheck(Exception):
    """Raised by a check that cannot run here (missing metadata or dataset); recorded, not an issue."""


class NotApplicable(SkipCheck):
    """Raised by a check whose subject is absent (e.g. no CHG in the dataset); not even recorded."""


@dataclass
class Options:
    """Run options: rule parameter overrides, the rules to run, schema location, issue cap."""

    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    only: frozenset[str] | None = None
    define_schema: Path | None = None
    cap: int = DEFAULT_CAP
    config: Any = None

    def selects(self, rule: Rule) -> bool:
        """Whether ``rule`` is run: every rule, or those of ``only``."""
        return self.only is None or rule.id in self.only


@dataclass
class CheckContext:
    """What a check sees: the rule and its parameters, the folder, the package and (per-dataset scopes) one dataset."""

    rule: Rule
    params: dict[str, Any]
    package: Package
    folder: Folder
    rules: list[Rule]
    options: Options
    ds: DatasetData | None = None

    @property
    def frame(self) -> pd.DataFrame:
        """The dataset as a DataFrame (built on first use: checks that can work from ``ds`` do so)."""
        assert self.ds is not None and self.ds.readable
        return self.ds.frame

    def dataset_meta(self, ds: DatasetData | None = None):
        """The define/spec metadata of a dataset, or None."""
        ds = ds or self.ds
        if self.folder.meta is None or ds is None:
            return None
        return self.folder.meta.datasets.get(ds.name)


def load_rules(paths: Iterable[Path] | None = None) -> list[Rule]:
    """Rules from the shipped ``data/rules/*.yaml`` (or the given files), ordered by id; ids must be unique."""
    if paths is None:
        folder = resources.files("cdisc_msc").joinpath("data/rules")
        texts = [(f.name, f.read_text(encoding="utf-8")) for f in sorted(folder.iterdir(), key=lambda f: f.name)
                 if f.name.endswith(".yaml")]
    else:
        texts = [(Path(p).name, Path(p).read_text(encoding="utf-8")) for p in paths]
    rules: dict[str, Rule] = {}
    for name, text in texts:
        for entry in yaml.safe_load(text) or []:
            rule = Rule.model_validate(entry)
            if rule.id in rules:
                raise ValueError(f"{name}: rule {rule.id} is defined twice")
            rules[rule.id] = rule
    return [rules[k] for k in sorted(rules)]


def _applies(rule: Rule, folder: Folder, ds: DatasetData | None) -> bool:
    scope = rule.applies_to
    if scope.packages and folder.kind not in scope.packages:
        return False
    if ds is None:
        return True
    if scope.domains and ds.domain not in scope.domains and ds.name not in scope.domains:
        return False
    if scope.classes:
        meta = folder.meta.datasets.get(ds.name) if folder.meta else None
        if meta is None or meta.class_.upper() not in {c.upper() for c in scope.classes}:
            return False
    return True


def _as_frame(findings: pd.DataFrame | list[dict] | None) -> pd.DataFrame:
    if findings is None:
        return pd.DataFrame(columns=list(FINDING_COLUMNS))
    frame = findings if isinstance(findings, pd.DataFrame) else pd.DataFrame(list(findings))
    for col in FINDING_COLUMNS:
        if col not in frame.columns:
            frame[col] = np.nan
    return frame.reset_index(drop=True)


def key_columns(ds: DatasetData) -> list[str]:
    """The identifying columns shown with each issue of ``ds`` (USUBJID, --SEQ, PARAMCD, AVISIT...)."""
    if not ds.readable:
        return []
    p = ds.prefix or ds.domain[:2]
    names = [c.format(p=p) for c in KEY_CANDIDATES]
    seen = []
    for n in names:
        if ds.has(n) and n not in seen:
            seen.append(n)
    return seen


def _text(values: pd.Series) -> pd.Series:
    """Display text: numbers without a trailing .0, missing as ''."""
    if pd.api.types.is_float_dtype(values):
        whole = values.notna() & (values == values.round())
        out = values.astype(object).where(values.notna(), "")
        out[whole] = values[whole].astype("int64").astype(str)
        return out.astype(str)
    return values.astype(object).where(values.notna(), "").astype(str)


def to_issues(ctx: CheckContext, findings: pd.DataFrame, cap: int) -> list[Issue]:
    """Findings -> Issues, with record numbers, key values and at most ``cap`` per dataset and variable."""
    if findings.empty:
        return []
    f = findings.copy()
    default_ds = ctx.ds.name if ctx.ds is not None else ""
    default_file = ctx.ds.file if ctx.ds is not None else ""
    f["dataset"] = f["dataset"].where(f["dataset"].notna(), default_ds).astype(str)
    f["file"] = f["file"].where(f["file"].notna(), default_file).astype(str)
    for col in ("variable", "value", "detail"):
        f[col] = f[col].astype(object).where(f[col].notna(), "").astype(str)
    f["rank"] = f.groupby(["dataset", "variable"], sort=False).cumcount()
    counts = f.groupby(["dataset", "variable"], sort=False).size()
    shown = f[f["rank"] < cap]
    keys = pd.DataFrame(index=shown.index)
    if ctx.ds is not None and ctx.ds.readable and shown["row"].notna().any():
        rows = shown["row"].astype("Int64")
        valid = rows.notna() & (rows >= 0) & (rows < ctx.ds.nrows)
        for k in key_columns(ctx.ds):
            column = pd.Series("", index=shown.index, dtype=object)
            picked = rows[valid].astype("int64").to_numpy()
            column[valid.to_numpy()] = _text(ctx.ds.take(k, picked)).to_numpy()
            keys[k] = column
    issues = []
    rule = ctx.rule
    for i, r in zip(shown.index, shown.itertuples(index=False)):
        row = None if pd.isna(r.row) else int(r.row) + (1 if ctx.ds is not None else 0)
        key_values = {k: keys.at[i, k] for k in keys.columns if keys.at[i, k] != ""} if len(keys.columns) else {}
        severity = r.severity if isinstance(r.severity, str) else rule.severity
        issues.append(Issue(
            rule=rule.id, severity=severity, dataset=r.dataset, file=r.file, record=row, keys=key_values,
            variable=r.variable, value=r.value,
            message=rule.render(**{**ctx.params, "dataset": r.dataset, "variable": r.variable, "value": r.value,
                                       "detail": r.detail}),
        ))
    for (dataset, variable), n in counts[counts > cap].items():
        issues.append(Issue(
            rule=rule.id, severity=rule.severity, dataset=dataset, variable=variable, count=int(n - cap),
            file=default_file, message=f"{n - cap} more record(s) with the same finding (first {cap} listed)",
        ))
    return issues


@dataclass
class RunLog:
    issues: list[Issue] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)


def run_rule(rule: Rule, package: Package, rules: list[Rule], options: Options, log: RunLog) -> None:
    """Evaluate one rule on every folder (and dataset, for per-dataset scopes) it applies to."""
    fn = CHECKS.get(rule.check)
    if fn is None:
        log.skipped.append({"rule": rule.id, "where": "", "reason": f"no registered check {rule.check!r}"})
        return
    params = {**rule.params, **options.params.get(rule.id, {})}
    for folder in package.folders:
        if not _applies(rule, folder, None) or (folder.missing and rule.scope != "package"):
            continue
        targets: list[DatasetData | None] = (
            [d for d in folder.datasets.values() if _applies(rule, folder, d)
             and (rule.scope == "transport" or d.readable)]
            if rule.per_dataset else [None]
        )
        for ds in targets:
            ctx = CheckContext(rule=rule, params=params, package=package, folder=folder, rules=rules,
                               options=options, ds=ds)
            try:
                findings = _as_frame(fn(ctx))
            except NotApplicable:
                continue
            except SkipCheck as skip:
                log.skipped.append({"rule": rule.id, "where": ds.name if ds else folder.kind, "reason": str(skip)})
                continue
            log.issues.extend(to_issues(ctx, findings, options.cap))


RULE_THREADS = 2
"""Rules evaluated at once. Much of a check's time is numpy and pandas work that releases the GIL,
so a second thread uses the second core; each rule logs apart and the logs are joined in rule order."""


def run(package: Package, rules: list[Rule], options: Options, threads: int = RULE_THREADS) -> RunLog:
    """Evaluate ``rules`` (or the ``options.only`` subset) on ``package``; issues in rule order.

    Checks only read the package (the caches of ``DatasetData`` may be filled twice by a race,
    with equal values), so rules can run on ``threads`` threads.
    """
    from cdisc_msc.validate import checks  # noqa: F401 - registers the checks

    selected = [r for r in rules if options.selects(r)]
    logs = [RunLog() for _ in selected]
    if threads <= 1:
        for rule, log in zip(selected, logs):
            run_rule(rule, package, rules, options, log)
    else:
        with ThreadPoolExecutor(threads) as pool:
            started = [pool.submit(run_rule, rule, package, rules, options, log) for rule, log in zip(selected, logs)]
            for done in started:
                done.result()  # raises what the rule raised
    joined = RunLog()
    for log in logs:
        joined.issues.extend(log.issues)
        joined.skipped.extend(log.skipped)
    return joined


__all__ = ["CHECKS", "CheckContext", "NotApplicable", "Options", "RunLog", "SkipCheck", "key_columns", "load_rules", "register", "run"]
