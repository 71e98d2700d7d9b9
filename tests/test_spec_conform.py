"""conform / conform_sorted / text_table (spec.apply): the spec's variables, types and
key order, text by object identity (equal values in distinct objects, missing kinds,
non-text objects), the same result as conform followed by sort_by_keys."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdisc_msc.spec.apply import ConformError, conform, conform_sorted, sort_by_keys, text_table


class Var:
    def __init__(self, name: str, is_numeric: bool) -> None:
        self.name, self.is_numeric = name, is_numeric


class Spec:
    """The few members of a dataset spec that conform reads."""
    name = "XX"
    variables = [Var("USUBJID", False), Var("PARAMCD", False), Var("AVISITN", True), Var("AVAL", True),
                 Var("AVALC", False), Var("NOTE", False)]
    names = [v.name for v in variables]
    keys = ["USUBJID", "PARAMCD", "AVISITN"]


def derived_frame(n: int = 300, seed: int = 5) -> pd.DataFrame:
    """Keys with missing values, equal texts in distinct objects, str and object dtypes, Int64 numbers."""
    rng = np.random.default_rng(seed)
    subj = np.array(["S-2", "S-10", "S-1", None], dtype=object)[rng.integers(0, 4, n)]
    fresh = np.array([None if v is None else "".join(list(v)) for v in subj], dtype=object)  # equal, not identical
    param = pd.Series(np.array(["B", "A", None], dtype=object)[rng.integers(0, 3, n)]).astype("str")
    visit = pd.array(np.array([1, 2, 3, 0])[rng.integers(0, 4, n)], dtype="Int64")
    visit[rng.random(n) < 0.1] = pd.NA
    avalc = np.array(["Y", np.nan, pd.NA, 2.5, "N"], dtype=object)[rng.integers(0, 5, n)]
    return pd.DataFrame({"AVAL": rng.random(n), "PARAMCD": param, "USUBJID": pd.Series(fresh, dtype=object),
                         "AVISITN": visit, "AVALC": pd.Series(avalc, dtype=object)})


def test_conform_sorted_equals_conform_then_sort():
    df = derived_frame()
    want = sort_by_keys(conform(df, Spec(), allow_missing=["NOTE"]), Spec())
    got = conform_sorted(df.copy(), Spec(), allow_missing=["NOTE"])
    pd.testing.assert_frame_equal(got, want)
    assert got.columns.tolist() == Spec.names and got.index.equals(pd.RangeIndex(len(df)))
    assert [got[c].dtype for c in Spec.names] == [object, object, "float64", "float64", object, object]
    assert got["AVALC"].map(type).value_counts().to_dict() == want["AVALC"].map(type).value_counts().to_dict()
    assert set(got["AVALC"].map(repr)) == {"'Y'", "'N'", "'2.5'", "None"}
    assert got["NOTE"].isna().all() and got["NOTE"].map(lambda v: v is None).all()
    keys = got[Spec.keys].astype(object).where(got[Spec.keys].notna(), None)
    firsts = keys.apply(lambda r: tuple((v is not None, v) for v in r), axis=1).tolist()
    assert firsts == sorted(firsts)  # missing first, then by value


def test_conform_sorted_consume_empties_the_input_and_changes_nothing():
    df = derived_frame()
    want = conform_sorted(df, Spec(), allow_missing=["NOTE"])
    assert len(df.columns) == 5  # not consumed by default
    got = conform_sorted(df, Spec(), allow_missing=["NOTE"], consume=True)
    pd.testing.assert_frame_equal(got, want)
    assert df.columns.tolist() == []


def test_conform_sorted_checks_the_variables():
    with pytest.raises(ConformError, match="spec variables not produced: NOTE"):
        conform_sorted(derived_frame(), Spec())
    with pytest.raises(ConformError, match="columns not in the spec: X"):
        conform_sorted(derived_frame().assign(X=1), Spec(), allow_missing=["NOTE"])


def test_conform_sorted_of_an_empty_frame():
    got = conform_sorted(derived_frame().iloc[:0], Spec(), allow_missing=["NOTE"])
    assert got.empty and got.columns.tolist() == Spec.names and got["AVAL"].dtype == "float64"


def texts_per_row(col: pd.Series) -> np.ndarray:
    """The column as ``str`` / None per row, through its ``text_table``."""
    codes, table = text_table(col)
    return table.take(codes)


def test_text_table_groups_objects_and_converts_each_once():
    a1, a2 = "".join(["A", "B"]), "".join(["A", "B"])  # equal values, distinct objects
    col = pd.Series([a1, None, a2, np.nan, a1, 3, pd.NA, 1.5], dtype=object)
    codes, table = text_table(col)
    assert table[codes].tolist() == ["AB", None, "AB", None, "AB", "3", None, "1.5"]
    assert codes[0] == codes[4] and len(table) == 7  # one entry per distinct object
    as_str = pd.Series(["x", None, "y"], dtype="str")
    assert texts_per_row(as_str).tolist() == ["x", None, "y"]
    assert texts_per_row(pd.Series([1.0, np.nan])).tolist() == ["1.0", None]  # numbers: pandas' string conversion
    assert texts_per_row(pd.Series([], dtype=object)).tolist() == []


def test_distinct_text_by_identity_matches_a_factorisation_of_the_texts():
    from cdisc_msc.scoring import distinct_text
    y1, y2 = "".join(["Y", "es"]), "".join(["Y", "es"])  # equal values, distinct objects
    values = pd.Series([None, y1, "N", np.nan, y2, 1, 1.0, True, pd.NA, "N", y2], dtype=object)
    want_codes, want = pd.factorize(values.astype("str").where(values.notna()))
    for col in (values, values.astype("str")):
        codes, texts = distinct_text(col)
        assert texts.dtype == "str"
        assert texts.tolist() == (want.tolist() if col.dtype == object else ["Yes", "N", "1", "1.0", "True"])
        assert codes.tolist() == want_codes.tolist()
