"""BDS building blocks shared by ADQS, ADRS and the other BDS datasets:
study day (ADY), baseline value and change (BASE, BASEC, CHG, PCHG),
subject-level variables from ADSL, criterion flags, and the scores of each
instrument form (:func:`score_forms`). Windows, ABLFL and ANL01FL live in ``windows.py``.

Each function checks its required columns first and returns a new frame.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from cdisc_msc.adam.keys import key_codes, lookup_rows, take_rows
from cdisc_msc.adam.windows import derive_var_ablfl, derive_var_anl01fl, derive_vars_window
from cdisc_msc.config import StudyConfig
from cdisc_msc.io.columns import row_of_each, spread
from cdisc_msc.scoring import distinct_text, require_columns


def merge_by_keys(df: pd.DataFrame, other: pd.DataFrame, by: Sequence[str], columns: Sequence[str],
                  where: str = "merge_by_keys") -> pd.DataFrame:
    """Left-join ``columns`` of ``other`` onto ``df`` by ``by`` (``other`` unique by ``by``).

    >>> a = pd.DataFrame({"USUBJID": ["S1", "S2"]})
    >>> b = pd.DataFrame({"USUBJID": ["S1"], "TRT01A": ["MSC 2"]})
    >>> merge_by_keys(a, b, ["USUBJID"], ["TRT01A"]).TRT01A.tolist()
    ['MSC 2', nan]
    """
    require_columns(df, by, where)
    require_columns(other, [*by, *columns], f"{where} (source)")
    clash = [c for c in columns if c in df.columns]
    if clash:
        raise ValueError(f"{where}: columns already present: {', '.join(clash)}")
    right = other[[*by, *columns]]
    if right.duplicated(list(by)).any():
        raise ValueError(f"{where}: source is not unique by {', '.join(by)}")
    # a left merge without pandas' merge: integer key lookup, then only the new columns are taken
    rows = lookup_rows(df, right, by)
    return df.assign(**{c: take_rows(right[c], rows, df.index) for c in columns})


def derive_vars_base_chg(df: pd.DataFrame, by: Sequence[str] = ("USUBJID", "PARAMCD"),
                         ablfl_col: str = "ABLFL", chg: bool = True, pchg: bool = True) -> pd.DataFrame:
    """BASE (and BASEC for text) from the ABLFL record of each ``by`` group;
    CHG = AVAL - BASE and PCHG = 100 * CHG / BASE (missing when BASE is 0 or
    missing) on post-baseline records only.

    >>> d = pd.DataFrame({"USUBJID": "S1", "PARAMCD": "P", "AVAL": [10.0, 6.0], "ABLFL": ["Y", None]})
    >>> r = derive_vars_base_chg(d)
    >>> r.BASE.tolist(), r.CHG.tolist(), r.PCHG.tolist()
    ([10.0, 10.0], [nan, -4.0], [nan, -40.0])
    """
    require_columns(df, [*by, "AVAL", ablfl_col], "derive_vars_base_chg")
    base = df.loc[(df[ablfl_col] == "Y").fillna(False).to_numpy(dtype=bool), [*by, "AVAL"]]
    if base.duplicated(list(by)).any():
        raise ValueError("derive_vars_base_chg: more than one ABLFL record in a group")
    out = df.assign(BASE=take_rows(base["AVAL"], lookup_rows(df, base, by), df.index))
    post = ~(out[ablfl_col] == "Y").fillna(False).to_numpy(dtype=bool)
    aval = pd.to_numeric(out["AVAL"]).astype("float64")
    basev = pd.to_numeric(out["BASE"]).astype("float64")
    if chg:
        out["CHG"] = np.where(post, aval - basev, np.nan)
    if pchg:
        with np.errstate(divide="ignore", invalid="ignore"):
            pc = 100.0 * (aval - basev) / basev
        out["PCHG"] = np.where(post & (basev != 0), pc, np.nan)
    return out


def derive_crit_flag(df: pd.DataFrame, n: int, text: str, condition: pd.Series,
                     applies: pd.Series | None = None) -> pd.DataFrame:
    """CRITn (text) and CRITnFL (Y/N) from a boolean condition.

    Where ``applies`` is False (other parameters) both stay empty; where the
    condition is unknown (NA) the flag is empty too.

    >>> d = pd.DataFrame({"AVAL": [5.0, 1.0, None, 9.0]})
    >>> r = derive_crit_flag(d, 1, "AVAL >= 4", d.AVAL.ge(4).astype("boolean").mask(d.AVAL.isna()),
    ...                      applies=pd.Series([True, True, True, False]))
    >>> r.CRIT1FL.tolist(), r.CRIT1.tolist()
    (['Y', 'N', <NA>, <NA>], ['AVAL >= 4', 'AVAL >= 4', 'AVAL >= 4', <NA>])
    """
    out = df.copy()
    applies = pd.Series(True, index=df.index) if applies is None else applies.fillna(False).astype(bool)
    cond = condition.astype("boolean")
    flag = pd.Series(pd.NA, index=df.index, dtype="string")
    flag = flag.mask(applies & cond.fillna(False), "Y").mask(applies & (~cond).fillna(False), "N")
    out[f"CRIT{n}"] = pd.Series(pd.NA, index=df.index, dtype="string").mask(applies, text)
    out[f"CRIT{n}FL"] = flag
    return out


def yn_to_num(flag: pd.Series) -> pd.Series:
    """Y -> 1, N -> 0, else missing (AVAL of a responder parameter).

    >>> yn_to_num(pd.Series(["Y", "N", None])).tolist()
    [1.0, 0.0, nan]
    """
    return flag.map({"Y": 1.0, "N": 0.0}).astype("float64")


def add_study_day(df: pd.DataFrame, adsl: pd.DataFrame) -> pd.DataFrame:
    """ADY from ADT and ADSL.TRTSDT (SAS dates); day 1 = infusion, no day 0.

    >>> add_study_day(pd.DataFrame({"USUBJID": ["S1", "S1"], "ADT": [99.0, 100.0]}),
    ...               pd.DataFrame({"USUBJID": ["S1"], "TRTSDT": [100.0]})).ADY.tolist()
    [-1.0, 1.0]
    """
    require_columns(df, ["USUBJID", "ADT"], "add_study_day")
    trt = merge_by_keys(df[["USUBJID"]], adsl, ["USUBJID"], ["TRTSDT"], "add_study_day")
    # the rule of windows.derive_study_day, worked on the day numbers (whole days since 1960-01-01)
    days = (np.floor(pd.to_numeric(df["ADT"]).to_numpy(dtype="float64"))
            - np.floor(pd.to_numeric(trt["TRTSDT"]).to_numpy(dtype="float64")))
    return df.assign(ADY=np.where(days < 0, days, days + 1))


def add_basec(df: pd.DataFrame, by: Sequence[str] = ("USUBJID", "PARAMCD")) -> pd.DataFrame:
    """BASEC = AVALC of the ABLFL record of each ``by`` group.

    >>> d = pd.DataFrame({"USUBJID": "S1", "PARAMCD": "P", "AVALC": ["B", "C"], "ABLFL": ["Y", None]})
    >>> add_basec(d).BASEC.tolist()
    ['B', 'B']
    """
    require_columns(df, [*by, "AVALC", "ABLFL"], "add_basec")
    base = df.loc[(df["ABLFL"] == "Y").fillna(False).to_numpy(dtype=bool), [*by, "AVALC"]]
    return merge_by_keys(df, base.rename(columns={"AVALC": "BASEC"}), list(by), ["BASEC"], "add_basec")


FORM_KEYS: tuple[str, ...] = ("USUBJID", "VISITNUM")
"""One form (administration) of an instrument: the subject and the visit."""


def place_wide(rows: np.ndarray, columns: np.ndarray, values: np.ndarray, shape: tuple[int, int],
               duplicate: str) -> np.ndarray:
    """Long records made wide: ``values[i]`` at (``rows[i]``, ``columns[i]``) of a ``shape`` array of
    ``values``' dtype, NaN where no record lands; a record with a negative row or column is left out.
    Two records for one cell raise ValueError(``duplicate``) rather than one silently winning.

    >>> place_wide(np.array([1, 0, -1]), np.array([0, 1, 1]), np.array([5.0, 6.0, 7.0]), (2, 2), "twice").tolist()
    [[nan, 6.0], [5.0, nan]]
    """
    put = (rows >= 0) & (columns >= 0)
    if pd.Series(rows[put].astype(np.int64) * shape[1] + columns[put]).duplicated().any():
        raise ValueError(duplicate)
    wide = np.full(shape, np.nan, dtype=values.dtype)
    wide[rows[put], columns[put]] = values[put]
    return wide


def score_forms(items: pd.DataFrame, rows: np.ndarray, item_codes: Sequence[str], value_col: str,
                score: Callable[[pd.DataFrame], pd.DataFrame], where: str, *,
                answered_only: bool = False) -> pd.DataFrame:
    """Score every form (USUBJID, VISITNUM) of one instrument from its own items.

    The ``rows`` (boolean mask) of ``items``, one record per item (PARAMCD =
    item code), are made wide: one row per form, one column per
    ``item_codes`` holding ``value_col`` (an item absent from the form counts
    as not answered; other codes are left out). ``score`` turns the wide
    frame into one column per score PARAMCD. With ``answered_only`` a form
    without any non-missing ``value_col`` is not scored. Result: one record
    per form and score, score by score, forms in key order: USUBJID,
    VISITNUM, PARAMCD, AVAL, VISIT, ADT (latest item date) and ``_SEQ``
    (highest item ``_SEQ``). An item recorded twice in one form is an error.

    >>> it = pd.DataFrame({"USUBJID": "S1", "PARAMCD": ["I1", "I2", "I1"], "AVAL": [1.0, 2.0, None],
    ...                    "VISIT": ["M3", "M3", "M6"], "VISITNUM": [4.0, 4.0, 5.0], "ADT": [10.0, 12.0, 40.0],
    ...                    "_SEQ": [1.0, 2.0, 3.0]})
    >>> total = lambda w: w.sum(axis=1, min_count=1).to_frame("TOT")
    >>> score_forms(it, np.ones(3, bool), ["I1", "I2"], "AVAL", total, "demo")[["VISITNUM", "AVAL", "ADT", "_SEQ"]].values.tolist()
    [[4.0, 3.0, 12.0, 2.0], [5.0, nan, 40.0, 3.0]]
    """
    keys = list(FORM_KEYS)
    needed = [*keys, "PARAMCD", value_col, "VISIT", "ADT", "_SEQ"]
    require_columns(items, needed, where)
    cols = [*keys, "PARAMCD", "AVAL", "VISIT", "ADT", "_SEQ"]
    mine = items.loc[np.asarray(rows, dtype=bool), needed]
    if mine[keys].isna().any(axis=None):
        raise ValueError(f"{where}: items without USUBJID or VISITNUM cannot be grouped into forms")
    answered = mine[value_col].notna().to_numpy()
    if not (answered.any() if answered_only else len(mine)):
        return pd.DataFrame(columns=cols)
    # forms as integer codes ascending with (USUBJID, VISITNUM): the order of a sorted group-by
    form = key_codes([mine], keys, sort=True)[0]
    param_codes, params = distinct_text(mine["PARAMCD"])  # each distinct code hashed once (-1: missing)
    meta = mine[["VISIT", "ADT", "_SEQ"]].groupby(form, sort=True).agg(
        VISIT=("VISIT", "first"), ADT=("ADT", "max"), _SEQ=("_SEQ", "max"))
    # wide: one row per form, a column per item code (absent item -> NaN), then one per other PARAMCD and
    # one for a missing PARAMCD (usually none: one more column), so that any PARAMCD twice in a form is caught
    row = np.searchsorted(meta.index.to_numpy(), form)  # forms numbered 0, 1, ... in key order
    first_row = row_of_each(row, len(meta))
    column_of_param = pd.Index(list(item_codes)).get_indexer(params)
    other = column_of_param < 0
    column_of_param[other] = len(item_codes) + np.arange(int(other.sum()))
    width = len(item_codes) + int(other.sum()) + 1
    numeric = pd.api.types.is_numeric_dtype(mine[value_col])
    values = (mine[value_col].to_numpy(dtype="float64", na_value=np.nan) if numeric
              else mine[value_col].to_numpy(dtype=object))
    wide = place_wide(row, spread(column_of_param, param_codes, width - 1), values, (len(meta), width),
                      f"{where}: an item recorded twice in one form (USUBJID, VISITNUM)")[:, :len(item_codes)]
    if answered_only:
        scored = np.isin(meta.index.to_numpy(), form[answered])  # forms with an answered item
        meta, first_row, wide = meta[scored], first_row[scored], wide[scored]
    index = pd.MultiIndex.from_arrays([mine[k].to_numpy()[first_row] for k in keys], names=keys)
    scores = score(pd.DataFrame(wide, index=index, columns=list(item_codes))).reindex(index)
    # long: one record per form and score, score by score (the order melt gives)
    n_scores = scores.shape[1]
    return pd.DataFrame({
        **{k: np.tile(index.get_level_values(k).to_numpy(), n_scores) for k in keys},
        "PARAMCD": np.repeat(np.asarray(scores.columns, dtype=object), len(scores)),
        "AVAL": scores.to_numpy(dtype="float64").ravel(order="F"),
        **{c: np.tile(meta[c].to_numpy(), n_scores) for c in ("VISIT", "ADT", "_SEQ")},
    })


ADSL_BDS_VARS: list[str] = ["STUDYID", "TRT01P", "TRT01PN", "TRT01A", "TRT01AN", "TRTSDT", "SAFFL"]
"""Subject-level variables every BDS dataset carries from ADSL."""


def require_method_text(spec, wanted: dict[str, list[str]], where: str) -> None:
    """Fail when a MethodDef no longer states a configured choice.

    ``wanted`` maps a method OID to the texts its description must contain
    (compared with white space folded), so define.xml cannot describe a rule
    other than the one the configuration applied.

    >>> class M: description = "rounded to threshold_decimals=4"
    >>> class S:
    ...     def method(self, oid): return M
    >>> require_method_text(S(), {"MT.X": ["threshold_decimals=3"]}, "ADRS")
    Traceback (most recent call last):
    ...
    ValueError: ADRS: MethodDefs do not state the configured rule (MT.X: threshold_decimals=3)
    """
    stale = []
    for oid, texts in wanted.items():
        description = " ".join(spec.method(oid).description.split())
        stale += [f"{oid}: {t}" for t in texts if " ".join(t.split()) not in description]
    if stale:
        raise ValueError(f"{where}: MethodDefs do not state the configured rule ({'; '.join(stale)})")


def derive_bds_timing(df: pd.DataFrame, config: StudyConfig, value_cols: Sequence[str] = ("AVAL",), chg: bool = True,
                      basec: bool = False, where: str = "derive_bds_timing") -> pd.DataFrame:
    """The SAP 2 chain every BDS dataset runs per USUBJID and PARAMCD: windows
    (AVISIT/AVISITN), baseline (ABLFL), analysed record (ANL01FL, ties by
    ``_SEQ``), BASE and, with ``chg``, CHG/PCHG; with ``basec``, BASEC for text
    values. Needs USUBJID, PARAMCD, ADY, ``_SEQ`` and ``value_cols``.
    """
    require_columns(df, ["USUBJID", "PARAMCD", *value_cols, "ADY", "_SEQ"], where)
    # every step groups by USUBJID and PARAMCD: hash the two text keys once into one integer key
    by = ["_BY"]
    out = derive_vars_window(df.assign(_BY=key_codes([df], ["USUBJID", "PARAMCD"])[0]), config.analysis_windows)
    out = derive_var_ablfl(out, by, ["ADY", "_SEQ"], value_cols=value_cols, baseline_day=config.baseline_day)
    out = derive_var_anl01fl(out, by, seq_col="_SEQ", value_cols=value_cols)
    out = derive_vars_base_chg(out, by, chg=chg, pchg=chg)
    return (add_basec(out, by) if basec else out).drop(columns="_BY")
