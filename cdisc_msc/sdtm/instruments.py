"""Instrument item tables of the findings domains QS, RS and LB, and the
reshaping of a wide visit-based raw form (one row per subject-visit, one
column per item) into one record per item.

Test codes come from one source each:

* SF-36 v2 and EQ-5D-5L items: CDISC CT (C101826/C101827, C101817/C101818),
  the item codes of :mod:`cdisc_msc.scoring.sf36` / :mod:`~cdisc_msc.scoring.eq5d`;
* SELENA-SLEDAI descriptors and classic BILAG systems: the sponsor-defined
  tables :data:`cdisc_msc.scoring.sledai.DESCRIPTORS` and
  :data:`cdisc_msc.scoring.bilag.SYSTEMS` (no CDISC QRS supplement exists);
* PGA: defined here (:data:`PGA_TESTCD`), QRS naming style ``PGA1`` + item.

Result convention (QS and RS alike): --ORRES is the answer exactly as
collected (questionnaire category number, Y/N, BILAG grade letter, PGA value);
--STRESC repeats it; --STRESN is its number where the answer is numeric.
Recoded item scores, weights and totals are ADaM's job.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdisc_msc.raw.forms import BILAG_SYSTEMS, SLEDAI_DESCRIPTORS
from cdisc_msc.scoring import bilag, sledai
from cdisc_msc.scoring.eq5d import DIMENSIONS as EQ5D_DIMENSIONS
from cdisc_msc.scoring.eq5d import VAS_TESTCD as EQ5D_VAS_TESTCD
from cdisc_msc.scoring.sf36 import ITEMS as SF36_ITEMS
from cdisc_msc.sdtm.common import (
    add_days_and_epoch, add_subject_ids, derive_lobxfl, derive_seq, iso_date, numbers_within, require, sdtm_visit,
)
from cdisc_msc.spec.apply import sorted_codes, stable_order_of
from cdisc_msc.spec.ct import load_ct

SF36_CAT = "SF36 V2.0 STANDARD"
EQ5D_CAT = "EQ-5D-5L"
SLEDAI_CAT = sledai.CATEGORY  # "SELENA-SLEDAI"
BILAG_CAT = bilag.CATEGORY  # "BILAG"
PGA_CAT = "PHYSICIAN GLOBAL ASSESSMENT"
PGA_TESTCD = "PGA101"
PGA_TEST = "PGA1-Physician Global Assessment"
NOT_DONE = "NOT DONE"


@dataclass(frozen=True)
class Item:
    """One collected item: raw column -> --TESTCD / --TEST / --CAT."""

    column: str
    testcd: str
    test: str
    cat: str
    decimals: int | None = None
    """fixed decimals of a numeric answer as recorded (PGA: 1); None = shortest form"""


def _ct_names(codelist: str) -> dict[str, str]:
    """Test code -> test name of a CT test-code codelist (the term's synonym is
    the test name in the paired TN codelist, which shares the NCI term code)."""
    ct = load_ct()
    tc = ct[codelist]
    tn_by_code = {}
    for cl in ct.values():
        if cl.submission_value == tc.submission_value[:-2] + "TN":
            tn_by_code = {code: name for name, code in cl.terms.items()}
    return {testcd: tn_by_code[code] for testcd, code in tc.terms.items()}


def _sf36_column(testcd: str) -> str:
    """``SF36303A`` -> raw column ``Q3A`` (``SF36301`` -> ``Q1``)."""
    return "Q" + str(int(testcd[5:7])) + testcd[7:]


def sf36_items() -> list[Item]:
    """The 36 SF-36 v2 items (raw Q1..Q11D), names from CT C101827."""
    names = _ct_names("C101826")
    return [Item(_sf36_column(t), t, names[t], SF36_CAT) for t in SF36_ITEMS]


EQ5D_COLUMNS: dict[str, str] = {"MO": "EQ5D0201", "SC": "EQ5D0202", "UA": "EQ5D0203",
                                "PD": "EQ5D0204", "AD": "EQ5D0205", "VAS": EQ5D_VAS_TESTCD}


def eq5d_items() -> list[Item]:
    """The 6 EQ-5D-5L items (5 dimensions + VAS), names from CT C101818."""
    names = _ct_names("C101817")
    assert tuple(EQ5D_COLUMNS.values())[:5] == EQ5D_DIMENSIONS
    return [Item(col, t, names[t], EQ5D_CAT) for col, t in EQ5D_COLUMNS.items()]


def sledai_items() -> list[Item]:
    """The 24 SELENA-SLEDAI descriptors and the PGA recorded on the same form."""
    items = [Item(col, d.testcd, d.test, SLEDAI_CAT) for col, d in zip(SLEDAI_DESCRIPTORS, sledai.DESCRIPTORS)]
    return items + [Item("PGA", PGA_TESTCD, PGA_TEST, PGA_CAT, decimals=1)]


def bilag_items() -> list[Item]:
    """The 8 classic BILAG systems (raw GEN..HAE)."""
    by_key = {s.key: s for s in bilag.SYSTEMS}
    return [Item(col, by_key[col].testcd, by_key[col].test, BILAG_CAT) for col in BILAG_SYSTEMS]


# ------------------------------------------------------------------ reshaping
def number_text(values: pd.Series, decimals: int | None = None) -> pd.Series:
    """Numbers as text: the shortest form (no spurious ``.0``), or exactly
    ``decimals`` decimals when the value has no more than that. Each distinct
    value is formatted once (bit-exact, so ``-0.0`` stays ``-0``).

    >>> number_text(pd.Series([3.0, 1.5, 2.0, None], dtype="Float64")).tolist()
    ['3', '1.5', '2', <NA>]
    >>> number_text(pd.Series([2.0, 1.55]), decimals=1).tolist()
    ['2.0', '1.55']
    """
    num = pd.to_numeric(values, errors="coerce").astype("Float64")
    ok = num.notna().to_numpy(dtype=bool)
    x = num.to_numpy(dtype="float64", na_value=np.nan)[ok]
    bits, inverse = np.unique(x.view(np.int64), return_inverse=True)
    distinct = bits.view(np.float64)
    text = [np.format_float_positional(v, trim="-") for v in distinct]  # no vectorised numpy equivalent
    if decimals is not None:
        fixed = np.round(distinct, decimals) == distinct
        text = [f"{v:.{decimals}f}" if f else t for v, f, t in zip(distinct, fixed, text)]
    out = np.full(len(values), None, dtype=object)
    out[ok] = np.asarray(text, dtype=object)[inverse.reshape(-1)] if len(text) else np.empty(0, dtype=object)
    return pd.Series(out, index=values.index, dtype="string")


def clean_text(values: pd.Series) -> np.ndarray:
    """Text stripped of surrounding blanks, ``None`` where missing or empty, as
    an object array; each distinct value is stripped once.

    >>> clean_text(pd.Series([" Y", "", None, "Y"], dtype="string")).tolist()
    ['Y', None, None, 'Y']
    """
    codes, distinct = pd.factorize(values.astype("string"), use_na_sentinel=True)
    stripped = [v.strip() for v in distinct]
    table = np.array([v if v != "" else None for v in stripped] + [None], dtype=object)
    return table[np.asarray(codes, dtype=np.intp)]  # code -1 (missing) -> the trailing None


def answer_text(column: pd.Series, decimals: int | None = None) -> np.ndarray:
    """The raw answer as text (numbers by :func:`number_text`), ``None`` = not answered."""
    if pd.api.types.is_numeric_dtype(column):
        text = number_text(column, decimals).to_numpy(dtype=object, na_value=None)
        return np.where(text == "", None, text)
    return clean_text(column)


def result_and_status(long: pd.DataFrame, prefix: str, reason_col: str, numeric: bool | np.ndarray) -> pd.DataFrame:
    """--ORRES/--STRESC/--STRESN/--STAT/--REASND from ``_VALUE``.

    An answered item: ORRES = STRESC = the answer, STRESN = its number when
    ``numeric`` (a bool or a per-record mask). An item not answered:
    --STAT = NOT DONE; --REASND = the form's not-done reason (``reason_col``,
    already stripped with empty as missing: :func:`clean_text`) when the whole
    form was not done, else empty. Numbers are parsed once per distinct answer.

    >>> d = pd.DataFrame({"_VALUE": ["2", None], "QSND": [None, None]})
    >>> result_and_status(d, "QS", "QSND", True)[["QSSTRESN", "QSSTAT"]].values.tolist()
    [[2.0, <NA>], [nan, 'NOT DONE']]
    """
    require(long, ["_VALUE", reason_col], "result_and_status")
    value = long["_VALUE"].astype("string")
    answered = value.notna().to_numpy(dtype=bool)
    codes, distinct = pd.factorize(value, use_na_sentinel=True)
    numbers = np.append(pd.to_numeric(pd.Series(distinct, dtype="string"), errors="coerce")
                        .astype("float64").to_numpy(), np.nan)
    stresn = numbers[np.asarray(codes, dtype=np.intp)]
    if not (isinstance(numeric, bool) and numeric):
        stresn = np.where(np.asarray(numeric, dtype=bool), stresn, np.nan)
    reason = long[reason_col].astype("string")
    return long.assign(**{
        f"{prefix}ORRES": value,
        f"{prefix}STRESC": value,
        f"{prefix}STRESN": stresn,
        f"{prefix}STAT": pd.Series(np.where(answered, None, NOT_DONE), index=long.index, dtype="string"),
        f"{prefix}REASND": reason.where(~answered & reason.notna().to_numpy(dtype=bool)),
    })


def visit_dates(sv: pd.DataFrame | None) -> pd.DataFrame:
    """USUBJID, VISITNUM -> visit date ``_SVDTC`` from SV (empty when SV is not available)."""
    cols = ["USUBJID", "VISITNUM", "_SVDTC"]
    if sv is None or sv.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c == "VISITNUM" else "string") for c in cols})
    require(sv, ["USUBJID", "VISITNUM", "SVSTDTC"], "visit_dates (SV)")
    out = sv[["USUBJID", "VISITNUM", "SVSTDTC"]].rename(columns={"SVSTDTC": "_SVDTC"})
    out["VISITNUM"] = pd.to_numeric(out["VISITNUM"]).astype("float64")
    return out.drop_duplicates(["USUBJID", "VISITNUM"])


def add_visit(df: pd.DataFrame, sv: pd.DataFrame | None, dtc_var: str) -> pd.DataFrame:
    """VISIT as SDTM names it (``UNSCHEDULED 4.1`` for unscheduled visits, the
    rule SV uses); ``dtc_var`` falls back to the SV visit date when the form has
    no date (a form not done at a visit that took place).

    >>> d = pd.DataFrame({"USUBJID": ["S-1"], "VISITNUM": [4.0], "VISIT": ["M3"], "QSDTC": [pd.NA]})
    >>> sv = pd.DataFrame({"USUBJID": ["S-1"], "VISITNUM": [4.0], "SVSTDTC": ["2024-06-01"]})
    >>> add_visit(d, sv, "QSDTC")["QSDTC"].tolist()
    ['2024-06-01']
    """
    require(df, ["USUBJID", "VISITNUM", "VISIT", dtc_var], "add_visit")
    out = df.assign(VISITNUM=pd.to_numeric(df["VISITNUM"]).astype("float64")).merge(
        visit_dates(sv), on=["USUBJID", "VISITNUM"], how="left", validate="many_to_one")
    out.index = df.index
    out["VISIT"] = sdtm_visit(out["VISIT"], out["VISITNUM"])
    out[dtc_var] = out[dtc_var].astype("string").fillna(out["_SVDTC"].astype("string"))
    return out.drop(columns=["_SVDTC"])


def visit_timing(df: pd.DataFrame, prefix: str, dm: pd.DataFrame, se: pd.DataFrame | None,
                 sv: pd.DataFrame | None) -> pd.DataFrame:
    """VISIT (SDTM name), --DTC fallback to the visit date, --DY and EPOCH.

    Every output depends on the record's own USUBJID, VISIT, VISITNUM and
    --DTC only, so a wide form can be timed once per row before it is melted
    into one record per item.
    """
    dtc = f"{prefix}DTC"
    require(df, ["USUBJID", "VISIT", "VISITNUM", dtc], "visit_timing")
    require(dm, ["USUBJID", "RFSTDTC", "RFXSTDTC"], "visit_timing (DM)")
    out = add_visit(df, sv, dtc)
    return add_days_and_epoch(out, dm, se, {dtc: f"{prefix}DY"}, dtc)


def sequence_and_baseline(df: pd.DataFrame, prefix: str, dm: pd.DataFrame, order: list[str],
                          lobxfl_by: list[str]) -> pd.DataFrame:
    """--SEQ (within subject by ``order``) and --LOBXFL (per subject and
    ``lobxfl_by`` on the ``--ORRES`` result) of timed findings records."""
    dtc = f"{prefix}DTC"
    require(df, ["USUBJID", dtc, f"{prefix}ORRES", *order, *lobxfl_by], "sequence_and_baseline")
    require(dm, ["USUBJID", "RFXSTDTC"], "sequence_and_baseline (DM)")
    out = derive_seq(df, f"{prefix}SEQ", order)
    rfx = out["USUBJID"].map(dm.drop_duplicates("USUBJID").set_index("USUBJID")["RFXSTDTC"])
    return derive_lobxfl(out, ["USUBJID", *lobxfl_by], f"{prefix}ORRES", dtc, rfx, f"{prefix}LOBXFL")


def finish_findings(df: pd.DataFrame, prefix: str, dm: pd.DataFrame, se: pd.DataFrame | None,
                    sv: pd.DataFrame | None, order: list[str], lobxfl_by: list[str]) -> pd.DataFrame:
    """The timing and identifier variables every findings record gets:
    VISIT (SDTM name), --DTC fallback to the visit date, --DY, EPOCH, --SEQ
    (within subject by ``order``) and --LOBXFL (per subject and ``lobxfl_by``
    on the ``--ORRES`` result): :func:`visit_timing` then
    :func:`sequence_and_baseline`.
    """
    dtc = f"{prefix}DTC"
    require(df, ["USUBJID", "VISIT", "VISITNUM", dtc, f"{prefix}ORRES", *order, *lobxfl_by], "finish_findings")
    require(dm, ["USUBJID", "RFSTDTC", "RFXSTDTC"], "finish_findings (DM)")
    return sequence_and_baseline(visit_timing(df, prefix, dm, se, sv), prefix, dm, order, lobxfl_by)


def item_domain(ctx, prefix: str, forms: dict[str, list[Item]], numeric: bool | frozenset[str],
                note: str) -> pd.DataFrame:
    """QS or RS from wide instrument forms: identifiers and timing once per form
    row (``<prefix>DT`` -> ``<prefix>DTC``, VISIT, --DY, EPOCH), then one record
    per row and item with result and status (:func:`result_and_status`),
    --SEQ by category, visit and test code, and --LOBXFL by category and test code.
    ``numeric``: every answer is a number (bool) or the test codes that are; ``note`` (with ``{n}`` = items
    per form) goes to the record accounting.

    The long frame is assembled once, already in --SEQ order: the order is
    worked out on (form row, item) pairs from codes of the few distinct
    subjects, visits, categories and test codes, and each column is taken once.
    """
    reason, dtc = f"{prefix}ND", f"{prefix}DTC"
    wides, values, pairs, all_items = [], [], [], []
    offset = 0  # rows of the forms before this one
    for name, items in forms.items():
        form = ctx.form(name)
        wide = _timed_form(ctx, prefix, form)
        n, k = len(wide), len(items)
        # records item by item: row and item positions over all forms
        first_item = len(all_items)
        pairs.append((np.tile(np.arange(offset, offset + n), k), np.repeat(np.arange(first_item, first_item + k), n)))
        values.append(np.concatenate([answer_text(wide[i.column], i.decimals) for i in items]) if k
                      else np.empty(0, dtype=object))
        ctx.accounting.flow(name, prefix, len(form), n * k, note.format(n=k))
        wides.append(wide.assign(**{reason: pd.Series(clean_text(wide[reason]), index=wide.index, dtype="string")}))
        all_items.extend(items)
        offset += n
    timing = ["STUDYID", "DOMAIN", "USUBJID", "VISIT", "VISITNUM", dtc, f"{prefix}DY", "EPOCH", reason]
    wide = pd.concat([w[timing] for w in wides], ignore_index=True)
    row, item = (np.concatenate(p) for p in zip(*pairs))
    order = _seq_order(wide, all_items, row, item)
    row, item = row[order], item[order]
    long = wide.take(row).reset_index(drop=True)
    for var, attr in ((f"{prefix}TESTCD", "testcd"), (f"{prefix}TEST", "test"), (f"{prefix}CAT", "cat")):
        # object columns of shared str (one per item): no per-record string validation
        long[var] = pd.Series(np.array([getattr(i, attr) for i in all_items], dtype=object)[item], dtype=object)
    long["_VALUE"] = pd.Series(np.concatenate(values)[order], dtype="string")
    mask = (numeric if isinstance(numeric, bool)
            else np.array([i.testcd in numeric for i in all_items], dtype=bool)[item])
    long = result_and_status(long, prefix, reason, mask).drop(columns=[reason, "_VALUE"])
    long[f"{prefix}SEQ"] = numbers_within(long["USUBJID"])
    # the infusion start looked up once per form row, then spread to the records
    rfx = wide["USUBJID"].map(ctx.subjects.drop_duplicates("USUBJID").set_index("USUBJID")["RFXSTDTC"]).take(row)
    return derive_lobxfl(long, ["USUBJID", f"{prefix}CAT", f"{prefix}TESTCD"], f"{prefix}ORRES", dtc, rfx,
                         f"{prefix}LOBXFL")


def _timed_form(ctx, prefix: str, form: pd.DataFrame) -> pd.DataFrame:
    """A wide form with STUDYID, DOMAIN, USUBJID, --DTC (from ``<prefix>DT``),
    VISIT, --DY and EPOCH, one row per form row."""
    wide = add_subject_ids(form.assign(**{f"{prefix}DTC": iso_date(form[f"{prefix}DT"])}),
                           ctx.subjects, ctx.config, prefix)
    return visit_timing(wide, prefix, ctx.subjects, ctx.datasets.get("SE"), ctx.datasets.get("SV"))


def _seq_order(wide: pd.DataFrame, items: list[Item], row: np.ndarray, item: np.ndarray) -> np.ndarray:
    """Positions of the (``row``, ``item``) records after a stable sort by USUBJID,
    category, VISITNUM and test code (missing values last, as :func:`derive_seq`),
    from codes of the wide rows and of the items."""
    subj, n_subj = sorted_codes(wide["USUBJID"], na_first=False)
    visit, n_visit = sorted_codes(wide["VISITNUM"], na_first=False)
    cat, n_cat = sorted_codes(pd.Series([i.cat for i in items], dtype=object), na_first=False)
    testcd, n_testcd = sorted_codes(pd.Series([i.testcd for i in items], dtype=object), na_first=False)
    parts = [(subj[row], n_subj), (cat[item], n_cat), (visit[row], n_visit), (testcd[item], n_testcd)]
    order = stable_order_of(parts)
    return np.arange(len(row)) if order is None else order
