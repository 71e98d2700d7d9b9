"""The report's inputs: the ADaM XPT files of one folder, the analysis population and its groups.

Text columns come back as str with "" for missing (as XPT stores them);
numeric columns as float64 (SAS dates stay SAS day numbers: :func:`sas_date_text`).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc_msc.config import StudyConfig
from cdisc_msc.io.columns import factorize_column, spread
from cdisc_msc.io.xpt import NumericColumn, TextColumn, read_xpt_columns
from cdisc_msc.report.query import select
from cdisc_msc.scoring import require_columns

SAS_EPOCH = dt.date(1960, 1, 1)
OVERALL = "All infused"
"""Label of the overall group (every SAFFL = "Y" subject)."""
GROUP_VARIABLE = "TRT01AN"
"""ADSL variable defining the dose cohorts (actual treatment: the dose infused)."""


VARIABLES = frozenset({"USUBJID", "SUBJID", "SAFFL", GROUP_VARIABLE, "TRT01A"})
"""ADSL variables of the population and its groups."""


def read_adam(folder: str | Path, keep: Collection[str] | None = None) -> dict[str, pd.DataFrame]:
    """Every ``*.xpt`` of ``folder`` by upper-case dataset name, text normalised to str ("" = missing).

    ``keep``: only these variables (those present), in file order; None = all.
    Raises FileNotFoundError when the folder has no ADSL.
    """
    folder = Path(folder)
    frames = {}
    for path in sorted(folder.glob("*.xpt")):
        read = read_xpt_columns(path, keep)  # only the kept variables are decoded
        frames[read.meta.name.upper()] = pd.DataFrame(
            {name: _report_column(column) for name, column in read.columns.items()},
            index=pd.RangeIndex(read.records), columns=list(read.columns), copy=False,
        )
    if "ADSL" not in frames:
        raise FileNotFoundError(f"{folder}: no adsl.xpt (the report needs ADSL for its population)")
    return frames


def _report_column(column: NumericColumn | TextColumn) -> pd.Series:
    """A column as the report reads it: float64, or text as str with "" for blank, worked out on the
    reader's distinct values (right-stripped of every white space, as ``str.rstrip``)."""
    if isinstance(column, TextColumn):
        texts = np.array([u.rstrip() for u in column.uniques], dtype=object)
        return pd.Series(spread(texts, column.codes, ""), dtype=object, copy=False)
    if column.special is None:
        return pd.Series(column.values, dtype=np.float64, copy=False)
    return _normalised(pd.Series(column.as_read(), dtype=object))  # special missings: text, as before


def _normalised(column: pd.Series) -> pd.Series:
    """Text as str with "" for missing, trailing white space stripped, worked out once per distinct value.

    >>> _normalised(pd.Series(["Y ", None, 2.0, "Y "], dtype=object)).tolist()
    ['Y', '', '2.0', 'Y']
    """
    factorized = factorize_column(column)  # missing values get code -1
    distinct = pd.Series(np.asarray(factorized.uniques, dtype=object), dtype=object)
    texts = distinct.astype("string").fillna("").str.rstrip().astype(object).to_numpy()
    return pd.Series(spread(texts, factorized.codes, ""), index=column.index, dtype=object)


def sas_date_text(days: pd.Series) -> pd.Series:
    """SAS day numbers -> ISO 8601 date text ("" when missing).

    >>> sas_date_text(pd.Series([0.0, None, 23042.0])).tolist()
    ['1960-01-01', '', '2023-02-01']
    """
    d = pd.to_numeric(days, errors="coerce").astype("float64")
    dates = pd.Timestamp(SAS_EPOCH) + pd.to_timedelta(d, unit="D")
    return dates.dt.strftime("%Y-%m-%d").fillna("").astype(object)


def population(adsl: pd.DataFrame, where: str = 'SAFFL="Y"') -> pd.DataFrame:
    """USUBJID, SUBJID and TRT01AN/TRT01A of the analysis population, sorted by subject."""
    require_columns(adsl, ["USUBJID", "SAFFL", GROUP_VARIABLE], "report population (ADSL)")
    pop = select(adsl, where)
    cols = [c for c in ("USUBJID", "SUBJID", GROUP_VARIABLE, "TRT01A") if c in pop.columns]
    return pop[cols].sort_values("USUBJID").reset_index(drop=True)


def group_labels(config: StudyConfig | None, pop: pd.DataFrame) -> list[tuple[str, str]]:
    """(label, filter) of each reporting group: overall first, then each configured dose cohort.

    Without a configuration the cohorts are the TRT01AN values found, labelled by TRT01A.

    >>> group_labels(None, pd.DataFrame({"TRT01AN": [2.0, 1.0], "TRT01A": ["Two", "One"]}))
    [('All infused', ''), ('One', 'TRT01AN=1'), ('Two', 'TRT01AN=2')]
    """
    groups = [(OVERALL, "")]
    if config is not None:
        groups += [(a.arm, f"{GROUP_VARIABLE}={a.trtn}") for a in sorted(config.arms, key=lambda a: a.trtn)]
        return groups
    found = pop[[GROUP_VARIABLE, "TRT01A"]].dropna().drop_duplicates().sort_values(GROUP_VARIABLE)
    groups += [(str(label), f"{GROUP_VARIABLE}={int(code)}") for code, label in found.itertuples(index=False)]
    return groups


def membership(pop: pd.DataFrame, groups: list[tuple[str, str]]) -> pd.DataFrame:
    """Long frame USUBJID x GROUP (a subject is in the overall group and in its cohort), GROUPN = group order.

    >>> pop = pd.DataFrame({"USUBJID": ["A", "B"], "TRT01AN": [1.0, 2.0]})
    >>> membership(pop, [("All", ""), ("One", "TRT01AN=1")])[["USUBJID", "GROUP"]].values.tolist()
    [['A', 'All'], ['B', 'All'], ['A', 'One']]
    """
    parts = [select(pop, where)[["USUBJID"]].assign(GROUP=label, GROUPN=i) for i, (label, where) in enumerate(groups)]
    return pd.concat(parts, ignore_index=True)


def group_sizes(members: pd.DataFrame, groups: list[tuple[str, str]]) -> pd.Series:
    """Number of subjects per group label, in group order (0 for an empty cohort)."""
    return members.groupby("GROUP")["USUBJID"].nunique().reindex([g for g, _ in groups], fill_value=0)


__all__ = ["OVERALL", "GROUP_VARIABLE", "group_labels", "group_sizes", "membership", "population", "read_adam",
           "sas_date_text"]
