"""Classic BILAG, SAP 3.3: 8 organ systems graded A..E, score 0..72.

:data:`SYSTEMS` is the single source of the RS test codes (sponsor defined,
QRS naming style like :mod:`.sledai`): short name ``BILAG1``, systems
``BILAG101``..``BILAG108`` in the classic order, total :data:`TOTAL_TESTCD` =
``BILAG109``.

Input: a wide frame, one row per subject-visit, columns ``BILAG101``..
``BILAG108`` holding the grade letters A..E (any case, surrounding blanks
ignored; NaN/empty = not graded).
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cdisc_msc.scoring import distinct_text, require_columns, upper_stripped

PREFIX = "BILAG1"
CATEGORY = "BILAG"


@dataclass(frozen=True)
class System:
    """One classic BILAG organ system: RS test code, test name, short key."""

    testcd: str
    test: str
    key: str
    name: str


_TABLE: tuple[tuple[str, str], ...] = (
    ("GEN", "General"),
    ("MUC", "Mucocutaneous"),
    ("NEU", "Neurological"),
    ("MSK", "Musculoskeletal"),
    ("CVR", "Cardiovascular/Respiratory"),
    ("VAS", "Vasculitis"),
    ("REN", "Renal"),
    ("HAE", "Haematological"),
)

#: The 8 classic systems, BILAG101 = General ... BILAG108 = Haematological.
SYSTEMS: list[System] = [
    System(testcd=f"{PREFIX}{i:02d}", test=f"{PREFIX}-{name}", key=key, name=name)
    for i, (key, name) in enumerate(_TABLE, start=1)
]
SYSTEM_TESTCDS: tuple[str, ...] = tuple(s.testcd for s in SYSTEMS)
TOTAL_TESTCD = f"{PREFIX}09"
TOTAL_TEST = f"{PREFIX}-Total Score"

#: Grade -> numeric score (SAP 3.3).
GRADE_SCORE: dict[str, int] = {"A": 9, "B": 3, "C": 1, "D": 0, "E": 0}
GRADES: tuple[str, ...] = tuple(GRADE_SCORE)
MAX_TOTAL = 9 * len(SYSTEMS)  # 72


def systems_frame() -> pd.DataFrame:
    """:data:`SYSTEMS` as a frame (TESTCD, TEST, KEY, NAME)."""
    return pd.DataFrame(
        {"TESTCD": [s.testcd for s in SYSTEMS], "TEST": [s.test for s in SYSTEMS],
         "KEY": [s.key for s in SYSTEMS], "NAME": [s.name for s in SYSTEMS]}
    )


def normalise_grades(form: pd.DataFrame, columns: tuple[str, ...] | list[str] = SYSTEM_TESTCDS) -> pd.DataFrame:
    """Grades as upper-case letters A..E (NaN = not graded); fail on any other value.

    >>> normalise_grades(pd.DataFrame({"X": [" b", "", None]}), ["X"]).X.tolist()
    ['B', nan, nan]
    """
    require_columns(form, columns, "BILAG grades")
    out = {}
    bad = []
    for col in columns:  # 8 columns (or 16 with baseline), each checked once per distinct value
        codes, distinct = distinct_text(form[col])
        grade = upper_stripped(distinct)
        grade = grade.where(grade != "")
        wrong = grade.notna() & ~grade.isin(GRADES)
        if wrong.any():
            bad.append(f"{col} ({', '.join(sorted(set(grade[wrong]))[:5])})")
        out[col] = pd.Series(grade.array.take(codes, allow_fill=True), index=form.index)
    if bad:
        raise ValueError(f"BILAG grades: values other than A..E in {'; '.join(bad)}")
    return pd.DataFrame(out, index=form.index, dtype="str")


def grade_scores(form: pd.DataFrame) -> pd.DataFrame:
    """Per-system numeric score A=9 B=3 C=1 D=0 E=0 (NaN = not graded).

    >>> grade_scores(pd.DataFrame({c: ["C"] for c in SYSTEM_TESTCDS}).assign(BILAG101="A")).iloc[0, :2].tolist()
    [9.0, 1.0]
    """
    grades = normalise_grades(form)
    return pd.DataFrame({c: grades[c].map(GRADE_SCORE).astype(float) for c in SYSTEM_TESTCDS}, index=form.index)


def bilag_total(form: pd.DataFrame) -> pd.Series:
    """Total 0..72; missing unless all 8 systems are graded.

    >>> bilag_total(pd.DataFrame({c: ["A", None] for c in SYSTEM_TESTCDS})).tolist()
    [72.0, nan]
    """
    scores = grade_scores(form)
    return scores.sum(axis=1).where(scores.notna().all(axis=1)).rename(TOTAL_TESTCD)


def count_grades(grades: pd.DataFrame, letters: str | tuple[str, ...]) -> pd.Series:
    """Number of systems graded with any of ``letters`` (grades already normalised)."""
    return grades.isin(list(letters)).sum(axis=1)
