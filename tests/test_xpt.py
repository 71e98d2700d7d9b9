"""SAS transport v5 writer, checks and reader (cdisc_msc.io.xpt).

Expected bytes are worked out by hand from the IBM 370 layout (sign bit,
7-bit base-16 exponent in excess 64, 56-bit fraction); pyreadstat and
pandas.read_sas are the independent readers.
"""
from __future__ import annotations

import datetime as dt
import struct
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from cdisc_msc.io.meta import XptDataset, XptVariable, from_spec, parse_format
from cdisc_msc.io.xpt import (
    XptCheckError, check_frame, read_xpt, records_read_back, write_xpt, write_xpt_from_spec,
)
from cdisc_msc.problems import InputError
from cdisc_msc.spec.model import Dataset

REFERENCE = Path(__file__).resolve().parents[1] / ".." / "shared" / "reference"
SDTM = REFERENCE / "cdiscpilot01-sdtm"
ADAM = REFERENCE / "dataset-json-1.1" / "examples" / "adam"
CREATED = dt.datetime(2025, 3, 28, 14, 5, 9)
HEADER_BYTES = 8 * 80  # library (3) + member/descriptor (4) + NAMESTR header (1)


def num(name: str, label: str = "", fmt: str = "") -> XptVariable:
    return XptVariable(name=name, label=label or f"{name} label", type="num", format=fmt)


def char(name: str, length: int, label: str = "") -> XptVariable:
    return XptVariable(name=name, label=label or f"{name} label", type="char", length=length)


def dataset(*variables: XptVariable, name: str = "TT", label: str = "Test data") -> XptDataset:
    return XptDataset(name=name, label=label, variables=list(variables), created=CREATED)


def data_start(nvars: int) -> int:
    """Offset of the first observation: headers, NAMESTRs padded to 80, the OBS header."""
    return HEADER_BYTES + -(-nvars * 140 // 80) * 80 + 80


def read_pandas(path: Path) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pd.read_sas(path, format="xport", encoding="ascii")


# --------------------------------------------------------------------------- IBM bytes, by hand

HAND_WORKED = [
    (1.0, "41 10 00 00 00 00 00 00"),      # 1 = 0.1(hex) * 16^1
    (-1.0, "C1 10 00 00 00 00 00 00"),     # sign bit set
    (0.5, "40 80 00 00 00 00 00 00"),      # 0.8(hex) * 16^0
    (100.0, "42 64 00 00 00 00 00 00"),    # 0x64 = 0.64(hex) * 16^2
    (0.1, "40 19 99 99 99 99 99 9A"),      # IEEE 1.999999999999A(hex) * 2^-4, exact in 56 bits
    (-3.75, "C1 3C 00 00 00 00 00 00"),    # 3.75 = 3.C(hex) = 0.3C * 16^1
    (2.0 ** -260, "00 10 00 00 00 00 00 00"),  # smallest: 0.1(hex) * 16^-64
    (2.0 ** 252 - 2.0 ** 199, "7F FF FF FF FF FF FF F8"),  # 53 one-bits at the top exponent
    (2.0 ** 53, "4E 20 00 00 00 00 00 00"),  # 2^53 = 2^1 * 16^13 = 0.2(hex) * 16^14
    (0.0, "00 00 00 00 00 00 00 00"),
    (-0.0, "00 00 00 00 00 00 00 00"),     # never the IBM negative zero
    (np.nan, "2E 00 00 00 00 00 00 00"),   # '.'
    (".A", "41 00 00 00 00 00 00 00"),
    (".Z", "5A 00 00 00 00 00 00 00"),
    ("._", "5F 00 00 00 00 00 00 00"),
]


def test_numbers_are_written_as_hand_worked_ibm_bytes(tmp_path):
    values = pd.Series([v for v, _ in HAND_WORKED], dtype=object)
    path = write_xpt(pd.DataFrame({"X": values}), dataset(num("X")), tmp_path).path
    raw = path.read_bytes()
    start = data_start(1)
    for i, (value, expected) in enumerate(HAND_WORKED):
        assert raw[start + 8 * i:start + 8 * i + 8] == bytes.fromhex(expected), value
    assert len(raw) % 80 == 0
    assert raw[start + 8 * len(HAND_WORKED):] == b" " * (-8 * len(HAND_WORKED) % 80)


def test_reader_decodes_hand_worked_bytes(tmp_path):
    values = pd.Series([v for v, _ in HAND_WORKED], dtype=object)
    path = write_xpt(pd.DataFrame({"X": values}), dataset(num("X")), tmp_path).path
    frame, _ = read_xpt(path)
    got = frame["X"].tolist()
    assert got[:11] == [1.0, -1.0, 0.5, 100.0, 0.1, -3.75, 2.0 ** -260, 2.0 ** 252 - 2.0 ** 199, 2.0 ** 53, 0.0, 0.0]
    assert np.isnan(got[11])
    assert got[12:] == [".A", ".Z", "._"]


def test_header_layout_and_times(tmp_path):
    meta = dataset(char("USUBJID", 11, "Unique Subject Identifier"), num("AVAL", "Analysis Value", "8.2"),
                   name="ADXX", label="Some Analysis")
    meta = meta.model_copy(update={"modified": dt.datetime(2025, 4, 1, 0, 0, 1), "sas_os": "LIN X64"})
    frame = pd.DataFrame({"USUBJID": ["S-1"], "AVAL": [2.5]})
    path = write_xpt(frame, meta, tmp_path).path
    assert path.name == "adxx.xpt"
    raw = path.read_bytes()
    record = [raw[i:i + 80] for i in range(0, len(raw), 80)]
    assert record[0] == b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!" + b"0" * 30 + b"  "
    assert record[1] == b"SAS     SAS     SASLIB  9.4     LIN X64 " + b" " * 24 + b"28MAR25:14:05:09"
    assert record[2] == b"01APR25:00:00:01" + b" " * 64
    assert record[5] == b"SAS     ADXX    SASDATA 9.4     LIN X64 " + b" " * 24 + b"28MAR25:14:05:09"
    assert record[6] == b"01APR25:00:00:01" + b" " * 16 + b"Some Analysis".ljust(40) + b" " * 8
    assert record[7][48:58] == b"0000000002"
    first = struct.unpack(">hhhh8s40s8shhh2s8shhi52s", raw[640:780])
    assert first[:6] == (2, 0, 11, 1, b"USUBJID ", b"Unique Subject Identifier".ljust(40))
    second = struct.unpack(">hhhh8s40s8shhh2s8shhi52s", raw[780:920])
    assert second[:10] == (1, 0, 8, 2, b"AVAL    ", b"Analysis Value".ljust(40), b"        ", 8, 2, 0)
    assert second[14] == 11  # position after USUBJID
    assert raw[data_start(2):data_start(2) + 19] == b"S-1        " + bytes.fromhex("41 28 00 00 00 00 00 00")


def test_same_frame_and_metadata_give_same_bytes(tmp_path):
    frame = pd.DataFrame({"A": ["x", "yy"], "N": [1.5, None]})
    meta = dataset(char("A", 2), num("N"))
    first = write_xpt(frame, meta, tmp_path / "one.xpt").path.read_bytes()
    second = write_xpt(frame.copy(), meta, tmp_path / "two.xpt").path.read_bytes()
    assert first == second
    assert b"28MAR25:14:05:09" in first


# --------------------------------------------------------------------------- round trips


def tricky_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "NUM": pd.Series([np.nan, ".A", "._", 0.0, -0.0, 6e-79, 7e75, 2.0 ** 53, -12.5, 0.1, -1e-5, 3.0], dtype=object),
        "INT": pd.array([1, None, -7, 0, 2 ** 40, 5, 6, 7, 8, 9, 10, 11], dtype="Int64"),
        "TXT": ["", None, "x" * 200, "abc", "  lead", "trail   ", "A/B-C", pd.NA, "~!@#$%^&*()", "0", "e", "z"],
    })


def tricky_meta() -> XptDataset:
    return dataset(num("NUM"), num("INT"), char("TXT", 200))


EXPECTED_NUM = [np.nan, np.nan, np.nan, 0.0, 0.0, 6e-79, 7e75, 2.0 ** 53, -12.5, 0.1, -1e-5, 3.0]
EXPECTED_INT = [1.0, np.nan, -7.0, 0.0, 2.0 ** 40, 5, 6, 7, 8, 9, 10, 11]
EXPECTED_TXT = ["", "", "x" * 200, "abc", "  lead", "trail", "A/B-C", "", "~!@#$%^&*()", "0", "e", "z"]


def test_round_trip_with_pyreadstat(tmp_path):
    path = write_xpt(tricky_frame(), tricky_meta(), tmp_path).path
    frame, meta = pyreadstat.read_xport(str(path))
    np.testing.assert_array_equal(frame["NUM"].to_numpy(float), EXPECTED_NUM)
    np.testing.assert_array_equal(frame["INT"].to_numpy(float), EXPECTED_INT)
    assert frame["TXT"].tolist() == EXPECTED_TXT
    assert meta.number_rows == 12
    assert meta.table_name == "TT" and meta.file_label == "Test data"
    assert meta.variable_storage_width["TXT"] == 200


def test_round_trip_with_pandas_read_sas(tmp_path):
    path = write_xpt(tricky_frame(), tricky_meta(), tmp_path).path
    frame = read_pandas(path)
    got = frame["NUM"].to_numpy(float)
    # pandas.read_sas reads the IBM zero (8 zero bytes) as 16^-65 = 5.4e-79: a reader bug
    assert got[3] == got[4] == 16.0 ** -65
    keep = [0, 1, 2, 5, 6, 7, 8, 9, 10, 11]
    np.testing.assert_array_equal(got[keep], np.array(EXPECTED_NUM)[keep])
    assert frame["TXT"].fillna("").tolist() == EXPECTED_TXT


def test_round_trip_with_own_reader(tmp_path):
    path = write_xpt(tricky_frame(), tricky_meta(), tmp_path).path
    frame, meta = read_xpt(path)
    assert frame["NUM"].tolist()[1:3] == [".A", "._"]
    assert frame["NUM"].tolist()[3:] == EXPECTED_NUM[3:]
    np.testing.assert_array_equal(frame["INT"].to_numpy(float), EXPECTED_INT)
    assert frame["TXT"].tolist() == EXPECTED_TXT
    assert meta == tricky_meta().model_copy(update={"modified": CREATED, "sas_os": "PYTHON"})
    assert write_xpt(frame, meta, tmp_path / "again.xpt").path.read_bytes() == path.read_bytes()


def test_reads_like_pyreadstat_on_reference_files():
    for path in (SDTM / "dm.xpt", SDTM / "lb.xpt", ADAM / "adsl.xpt"):
        ours, meta = read_xpt(path)
        theirs, their_meta = pyreadstat.read_xport(str(path), disable_datetime_conversion=True)
        assert list(ours.columns) == list(theirs.columns)
        assert meta.label == their_meta.file_label
        assert [v.label for v in meta.variables] == their_meta.column_labels
        for name in theirs.columns:
            if meta.variable(name).is_numeric:
                np.testing.assert_array_equal(ours[name].to_numpy(float), theirs[name].to_numpy(float))
            else:
                assert ours[name].tolist() == theirs[name].fillna("").tolist(), name


REFERENCE_FILES = sorted(SDTM.glob("*.xpt")) + sorted(ADAM.glob("*.xpt"))


@pytest.mark.parametrize("path", REFERENCE_FILES, ids=lambda p: p.name)
def test_rewriting_a_sas_file_gives_identical_bytes(path, tmp_path):
    frame, meta = read_xpt(path)
    out = write_xpt(frame, meta, tmp_path / path.name).path
    assert out.read_bytes() == path.read_bytes()


def test_reference_metadata_is_read():
    _, meta = read_xpt(ADAM / "adsl.xpt")
    assert meta.name == "ADSL" and meta.label == "Subject-Level Analysis Dataset"
    assert meta.created == dt.datetime(2022, 4, 16, 20, 9, 3)
    assert meta.sas_version == "9.4" and meta.sas_os == "Linux\0\0\0"
    assert meta.variable("TRTSDT").format == "DATE9."
    assert meta.variable("STUDYID").length == 12 and meta.variable("STUDYID").type == "char"
    assert len(REFERENCE_FILES) == 29


# --------------------------------------------------------------------------- checks


def errors_of(frame: pd.DataFrame, meta: XptDataset, **kw) -> list[str]:
    return [str(p) for p in check_frame(frame, meta, **kw).errors]


def test_bad_names_are_reported():
    meta = dataset(char("usubjid", 3), char("TOOLONGNAME", 3), char("1ST", 3), name="adsl")
    frame = pd.DataFrame({"usubjid": ["a"], "TOOLONGNAME": ["b"], "1ST": ["c"]})
    text = "\n".join(errors_of(frame, meta))
    assert "adsl: dataset name is not a SAS v5 name (value 'adsl'" in text
    for bad in ("usubjid", "TOOLONGNAME", "1ST"):
        assert f"column {bad}: variable name is not a SAS v5 name" in text


def test_long_label_is_an_error_never_cut():
    label = "L" * 41
    meta = dataset(char("A", 1, label))
    (error,) = errors_of(pd.DataFrame({"A": ["a"]}), meta)
    assert "variable label is longer than 40 characters (41)" in error and label in error


def test_value_longer_than_200_bytes():
    meta = dataset(char("A", 200))
    (error, *_) = errors_of(pd.DataFrame({"A": ["ok", "y" * 201]}), meta)
    assert "row 2, column A: value is longer than 200 bytes" in error


def test_non_ascii_is_an_error_unless_transliterated(tmp_path):
    frame = pd.DataFrame({"A": ["Crohn", "Sjögren", "café", "Sjögren"]})
    meta = dataset(char("A", 10))
    errors = errors_of(frame, meta)
    assert [e.split(":")[0] for e in errors] == ["ERROR TT, row 2, column A", "ERROR TT, row 3, column A",
                                                "ERROR TT, row 4, column A"]
    assert "value is not ASCII (value 'Sjögren'" in errors[0]
    result = write_xpt(frame, meta, tmp_path, transliterate=True)
    assert [(t.variable, t.row, t.old, t.new) for t in result.transliterations] == [
        ("A", 2, "Sjögren", "Sjogren"), ("A", 3, "café", "cafe"), ("A", 4, "Sjögren", "Sjogren")]
    frame_back, _ = pyreadstat.read_xport(str(result.path))
    assert frame_back["A"].tolist() == ["Crohn", "Sjogren", "cafe", "Sjogren"]


def test_text_in_a_numeric_column():
    meta = dataset(num("N"))
    (error,) = errors_of(pd.DataFrame({"N": pd.Series([1.0, "12", None], dtype=object)}), meta)
    assert "row 2, column N: numeric variable holds a non-numeric value (value \"'12'\"" in error
    (error,) = errors_of(pd.DataFrame({"N": ["a", "b"]}), meta)
    assert "numeric variable has a non-numeric column type" in error


def test_number_in_a_character_column_is_shown_as_it_is_in_the_row():
    errors = errors_of(pd.DataFrame({"C": pd.Series(["a", 1.0, None, True], dtype=object)}), dataset(char("C", 4)))
    assert len(errors) == 2  # True equals 1.0, one distinct value: each row shows its own
    assert "row 2, column C: character variable holds a non-text value (value '1.0'" in errors[0]
    assert "row 4, column C: character variable holds a non-text value (value 'True'" in errors[1]


def test_spec_length_shorter_than_data_is_an_error(tmp_path):
    frame = pd.DataFrame({"A": ["abc", "abcdef"]})
    meta = dataset(char("A", 4))
    with pytest.raises(XptCheckError) as caught:
        write_xpt(frame, meta, tmp_path)
    assert "row 2, column A: value is longer than the length 4 of the metadata (value 'abcdef'" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("value, row_text", [(1e300, "1e+300"), (-1e300, "-1e+300"), (1e-300, "1e-300"),
                                             (7.3e75, "7.3e+75"), (5e-79, "5e-79"), (np.inf, "inf"),
                                             (-np.inf, "-inf")])
def test_numbers_ibm_cannot_hold(value, row_text):
    meta = dataset(num("AVAL"))
    (error,) = errors_of(pd.DataFrame({"AVAL": [1.0, 2.0, value]}), meta)
    assert f"row 3, column AVAL: number cannot be held by an IBM double (value '{row_text}'" in error


def test_edges_of_the_ibm_range_are_accepted():
    meta = dataset(num("AVAL"))
    assert errors_of(pd.DataFrame({"AVAL": [7.2e75, -7.2e75, 5.4e-79, 6e-79, 0.0]}), meta) == []


def test_every_violation_reported_together_and_nothing_written(tmp_path):
    frame = pd.DataFrame({"A": ["é", "b" * 9], "N": [1e300, 1.0], "EXTRA": [1, 2]})
    meta = dataset(char("A", 5, "x" * 41), num("N"), num("GONE"), name="BAD-NAME")
    with pytest.raises(XptCheckError) as caught:
        write_xpt(frame, meta, tmp_path)
    assert isinstance(caught.value, InputError)
    codes = sorted(p.code for p in caught.value.report.errors)
    assert codes == ["XPT_EXTRA_COLUMN", "XPT_IBM_RANGE", "XPT_LABEL", "XPT_LENGTH_SHORT", "XPT_MISSING_COLUMN",
                     "XPT_NAME", "XPT_NON_ASCII"]
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_the_previous_file(tmp_path):
    meta = dataset(num("N"))
    good = write_xpt(pd.DataFrame({"N": [1.0]}), meta, tmp_path).path
    before = good.read_bytes()
    with pytest.raises(XptCheckError):
        write_xpt(pd.DataFrame({"N": [np.inf]}), meta, tmp_path)
    assert good.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["tt.xpt"]


def test_many_bad_rows_are_listed_then_counted():
    meta = dataset(num("N"))
    report = check_frame(pd.DataFrame({"N": [np.inf] * 25}), meta)
    assert [p.row for p in report.errors][:20] == list(range(1, 21))
    assert report.errors[20].message == "number cannot be held by an IBM double: 5 more rows"


def test_trailing_blank_records_warn_and_really_get_lost(tmp_path):
    frame = pd.DataFrame({"A": ["a", "b", "", ""], "B": ["x", "y", None, ""]})
    meta = dataset(char("A", 1), char("B", 1))
    result = write_xpt(frame, meta, tmp_path)
    (warning,) = result.warnings
    assert "the last 2 record(s) are all blank" in warning.message and "reads 2 records instead of 4" in warning.message
    back, _ = pyreadstat.read_xport(str(result.path))
    assert len(back) == 2  # the independent reader loses them too
    assert records_read_back(4, 2, 2) == 2
    with_number = dataset(char("A", 1), num("N"))
    assert write_xpt(pd.DataFrame({"A": ["a", ""], "N": [1.0, None]}), with_number, tmp_path).warnings == []


def test_integers_beyond_2_53_are_an_error():
    meta = dataset(num("N"))
    (error,) = errors_of(pd.DataFrame({"N": np.array([1, 2 ** 53 + 1], dtype=np.int64)}), meta)
    assert "row 2, column N: integer is not exactly representable" in error


# --------------------------------------------------------------------------- spec path


def spec_dataset() -> Dataset:
    origin = {"type": "Derived"}
    return Dataset.model_validate({
        "name": "ADXY", "label": "Analysis XY", "class": "BASIC DATA STRUCTURE", "structure": "One record per",
        "keys": ["USUBJID", "PARAMCD"], "standard": "STD.ADAMIG", "purpose": "Analysis",
        "variables": [
            {"name": "USUBJID", "label": "Unique Subject Identifier", "data_type": "text", "length": "data", "origin": origin},
            {"name": "PARAMCD", "label": "Parameter Code", "data_type": "text", "length": 8, "origin": origin},
            {"name": "NOTE", "label": "Note", "data_type": "text", "length": "data", "origin": origin},
            {"name": "ADT", "label": "Analysis Date", "data_type": "integer", "display_format": "DATE9",
             "origin": origin},
            {"name": "AVAL", "label": "Analysis Value", "data_type": "float", "origin": origin},
        ],
    })


def test_from_spec_resolves_lengths_and_formats():
    frame = pd.DataFrame({"USUBJID": ["S-0001", "S-01"], "PARAMCD": ["A", "B"], "NOTE": [None, None],
                          "ADT": [1.0, 2.0], "AVAL": [1.5, None]})
    meta = from_spec(spec_dataset(), frame, created=CREATED)
    assert [(v.name, v.type, v.length, v.format) for v in meta.variables] == [
        ("USUBJID", "char", 6, ""), ("PARAMCD", "char", 8, ""), ("NOTE", "char", 1, ""),
        ("ADT", "num", 8, "DATE9."), ("AVAL", "num", 8, "")]
    assert meta.keys == ["USUBJID", "PARAMCD"] and meta.created == meta.modified == CREATED


def test_from_spec_counts_bytes_not_characters():
    frame = pd.DataFrame({"USUBJID": ["é"], "PARAMCD": ["A"], "NOTE": ["x"], "ADT": [1.0], "AVAL": [1.0]})
    assert from_spec(spec_dataset(), frame).variable("USUBJID").length == 2


def test_write_from_spec(tmp_path):
    frame = pd.DataFrame({"USUBJID": ["S-1"], "PARAMCD": ["P"], "NOTE": [""], "ADT": [19725.0], "AVAL": [3.25]})
    result = write_xpt_from_spec(frame, spec_dataset(), tmp_path, created=CREATED)
    assert result.path == tmp_path / "adxy.xpt"
    back, meta = pyreadstat.read_xport(str(result.path))
    assert meta.original_variable_types["ADT"] == "DATE9"  # pyreadstat drops the period
    assert back["ADT"].tolist() == [dt.date(2014, 1, 2)]  # pyreadstat applies DATE9.
    assert back["AVAL"].tolist() == [3.25]


def test_parse_format():
    assert (parse_format("DATE9.").name, parse_format("DATE9.").width) == ("DATE", 9)
    assert str(parse_format("e8601da")) == "E8601DA."
    assert (parse_format("8.2").width, parse_format("8.2").decimals) == (8, 2)
    assert str(parse_format("$CHAR20.")) == "$CHAR20."
    with pytest.raises(ValueError):
        parse_format("DATE 9.")


def test_text_columns_of_distinct_but_equal_objects(tmp_path):
    """Values equal by content but distinct objects (as a CSV reader makes) group and write correctly."""
    rows = 5000
    made = ["".join(["AB", str(i % 3)]) for i in range(rows)]  # 5000 objects, 3 values
    constant = ["".join(["MSC", "-SLE"]) for _ in range(rows)]  # one value, 5000 objects
    frame = pd.DataFrame({"A": pd.Series(made, dtype=object), "S": pd.Series(constant, dtype=object)})
    path = write_xpt(frame, dataset(char("A", 3), char("S", 7)), tmp_path).path
    back, _ = pyreadstat.read_xport(str(path))
    assert back["A"].tolist() == [f"AB{i % 3}" for i in range(rows)]
    assert back["S"].tolist() == ["MSC-SLE"] * rows


def test_records_of_adjacent_columns_with_missing_values_by_hand(tmp_path):
    """Adjacent low-cardinality columns are packed together: missing text and numbers stay in place."""
    frame = pd.DataFrame({"A": ["a", None, "a", "bc"], "N": [1.0, np.nan, 1.0, -0.0], "C": ["K"] * 4})
    path = write_xpt(frame, dataset(char("A", 2), num("N"), char("C", 1)), tmp_path).path
    raw = path.read_bytes()
    one, missing, zero = bytes.fromhex("4110000000000000"), b"." + b"\0" * 7, b"\0" * 8  # IBM 1.0, '.', 0
    records = b"a " + one + b"K" + b"  " + missing + b"K" + b"a " + one + b"K" + b"bc" + zero + b"K"
    start = data_start(3)
    assert raw[start:start + 44] == records  # 4 records of 11 bytes
    assert raw[start + 44:] == b" " * 36  # blank padding to 80


@pytest.mark.parametrize("inline_bytes", [1 << 20, 3, 0])  # all inline; the thread from the second part; all threaded
def test_write_atomically_gives_the_parts_inline_or_threaded(tmp_path, monkeypatch, inline_bytes):
    import cdisc_msc.io.xpt as xpt
    monkeypatch.setattr(xpt, "INLINE_BYTES", inline_bytes)
    parts = [b"ab", memoryview(np.frombuffer(b"cde", dtype=np.uint8)), b"", b"f"]
    xpt.write_atomically(tmp_path / "f.bin", iter(parts))
    assert (tmp_path / "f.bin").read_bytes() == b"abcdef"

    def failing():
        yield b"ab"
        raise RuntimeError("no more parts")

    with pytest.raises(RuntimeError, match="no more parts"):
        xpt.write_atomically(tmp_path / "g.bin", failing())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.bin"]  # no file, no temporary file left


def test_transliteration_may_lengthen_a_value_past_the_widest_original(tmp_path):
    frame = pd.DataFrame({"A": ["Maß", "x…", None, "ab"]})  # 3 characters each at most: ASCII up to 4
    result = write_xpt(frame, dataset(char("A", 4)), tmp_path, transliterate=True)
    assert [(t.row, t.old, t.new) for t in result.transliterations] == [(1, "Maß", "Mass"), (2, "x…", "x...")]
    data = result.path.read_bytes()[data_start(1):data_start(1) + 16]
    assert data == b"Massx...    ab  "
    frame = pd.DataFrame({"A": ["Maß"]})
    assert "longer than the length 3" in " ".join(errors_of(frame, dataset(char("A", 3)), transliterate=True))
