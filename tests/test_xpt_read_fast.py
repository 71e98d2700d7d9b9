"""The column reader of cdisc_msc.io.xpt (``read_xpt_columns``) and the loaders built on it.

Checked against pyreadstat (an independent reader) on the CDISC pilot files, and against
``read_xpt``'s frames, which the column reader must reproduce exactly.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from cdisc_msc.io import xpt
from cdisc_msc.io.ibm import FRACTION_MASK, MISSING_CODES
from cdisc_msc.io.meta import XptDataset, XptVariable
from cdisc_msc.io.xpt import NumericColumn, TextColumn, read_xpt, read_xpt_columns, write_xpt
from cdisc_msc.report.data import read_adam
from cdisc_msc.validate.package import ColumnHeader, normalise, read_dataset

CANDIDATES = [Path(__file__).resolve().parents[1] / ".." / "shared" / "reference", Path("/work/shared/reference")]
REFERENCE = next((p for p in CANDIDATES if p.is_dir()), CANDIDATES[0])
SDTM = REFERENCE / "cdiscpilot01-sdtm"
PILOT = sorted(SDTM.glob("*.xpt"))
needs_pilot = pytest.mark.skipif(not PILOT, reason="CDISC pilot files not available")
CREATED = dt.datetime(2025, 3, 28, 14, 5, 9)


def write(tmp_path: Path, frame: pd.DataFrame, lengths: dict[str, int] | None = None) -> Path:
    """``frame`` as an XPT file: object columns as text (length from ``lengths``), the others numeric."""
    variables = [
        XptVariable(name=c, label=c, type="num") if frame[c].dtype != object or c.startswith("N")
        else XptVariable(name=c, label=c, type="char", length=(lengths or {}).get(c, 8))
        for c in frame.columns
    ]
    meta = XptDataset(name="TT", label="Test", variables=variables, created=CREATED)
    return write_xpt(frame, meta, tmp_path).path


def assert_text(column: TextColumn, expected: list[str]) -> None:
    """Codes and distinct values as the column's values imply: blanks -1, the rest numbered by first use."""
    uniques = list(dict.fromkeys(v for v in expected if v != ""))
    assert column.uniques.dtype == object and column.uniques.tolist() == uniques
    assert column.codes.dtype == np.int32
    assert column.codes.tolist() == [uniques.index(v) if v else -1 for v in expected]
    assert column.values("").tolist() == expected


# --------------------------------------------------------------------------- text


def test_text_codes_blanks_and_first_use_order(tmp_path):
    values = ["b", "", "a", "b", " x", "", "a"]
    path = write(tmp_path, pd.DataFrame({"T": pd.Series(values, dtype=object)}))
    read = read_xpt_columns(path)
    assert read.records == 7 and list(read.columns) == ["T"]
    assert_text(read.columns["T"], values)
    assert read.columns["T"].values(np.nan)[1] is np.nan


@pytest.mark.parametrize("length", [1, 2, 7, 8, 9, 15, 16, 17, 33, 40, 200])
def test_text_of_every_width(tmp_path, length):
    """Values differing only in their first, middle or last byte (word boundaries, short and long values)."""
    base = "A" * length
    values = [base, base[:-1] + "B", "B" + base[1:], base[:length // 2] + "C" + base[length // 2 + 1:], "", base]
    values = [v.rstrip() for v in values]
    path = write(tmp_path, pd.DataFrame({"T": pd.Series(values, dtype=object),
                                         "U": pd.Series(["z"] * len(values), dtype=object)}), {"T": length})
    assert_text(read_xpt_columns(path).columns["T"], values)


def test_constant_column(tmp_path):
    path = write(tmp_path, pd.DataFrame({"T": pd.Series(["SAME VALUE"] * 5, dtype=object),
                                         "B": pd.Series([""] * 5, dtype=object)}), {"T": 12})
    columns = read_xpt_columns(path).columns
    assert columns["T"].codes.tolist() == [0] * 5 and columns["T"].uniques.tolist() == ["SAME VALUE"]
    assert columns["B"].codes.tolist() == [-1] * 5 and columns["B"].uniques.tolist() == []


def test_hash_collision_falls_back_to_the_exact_factorisation(tmp_path, monkeypatch):
    """With every record hashing alike the check against each code's first record fails: exact path."""
    values = ["LONG VALUE NUMBER ONE", "LONG VALUE NUMBER TWO", "", "LONG VALUE NUMBER ONE", "SHORT"]
    path = write(tmp_path, pd.DataFrame({"T": pd.Series(values, dtype=object)}), {"T": 24})
    monkeypatch.setattr(xpt, "_row_hash", lambda words: np.zeros(len(words[0]), dtype=np.uint64))
    assert_text(read_xpt_columns(path).columns["T"], values)


def test_exact_factorisation_of_words():
    words = [np.array([1, 1, 2, 1], dtype=np.uint64), np.array([5, 6, 5, 5], dtype=np.uint64)]
    assert xpt._factorize_exact(words).tolist() == [0, 1, 2, 0]
    codes, rows = xpt._factorize_words(words)
    assert codes.tolist() == [0, 1, 2, 0] and rows.tolist() == [3, 1, 2]  # a record of each code: the last


# --------------------------------------------------------------------------- numbers, subsets, empty files


def test_numbers_and_special_missings(tmp_path):
    values = pd.Series([1.5, ".A", np.nan, "._", -0.0, 1e-70, ".Z"], dtype=object)
    path = write(tmp_path, pd.DataFrame({"NUM": values, "NPLAIN": [1.0, 2.0, np.nan, 0.0, -3.25, 7.0, 8.0]}))
    columns = read_xpt_columns(path).columns
    special = columns["NUM"]
    assert isinstance(special, NumericColumn) and special.values.dtype == np.float64
    np.testing.assert_array_equal(special.values, [1.5, np.nan, np.nan, np.nan, 0.0, 1e-70, np.nan])
    assert special.special.tolist() == [0, ord("A"), 0, ord("_"), 0, 0, ord("Z")]
    as_read = special.as_read().tolist()
    assert as_read[:2] == [1.5, ".A"] and np.isnan(as_read[2]) and as_read[3] == "._"
    assert columns["NPLAIN"].special is None and columns["NPLAIN"].as_read() is columns["NPLAIN"].values
    frame, _ = read_xpt(path)
    assert frame["NUM"].dtype == object and frame["NUM"].tolist()[6] == ".Z"
    assert frame["NPLAIN"].dtype == np.float64


def test_a_subset_of_columns_in_file_order(tmp_path):
    frame = pd.DataFrame({"A": pd.Series(["x", "y"], dtype=object), "NB": [1.0, 2.0],
                          "C": pd.Series(["p", ""], dtype=object)})
    path = write(tmp_path, frame)
    read = read_xpt_columns(path, ["C", "A", "MISSING"])
    assert list(read.columns) == ["A", "C"] and read.records == 2
    assert [v.name for v in read.meta.variables] == ["A", "NB", "C"]
    none = read_xpt_columns(path, [])
    assert none.columns == {} and none.records == 2


def test_no_records(tmp_path):
    frame = pd.DataFrame({"A": pd.Series([], dtype=object), "NB": pd.Series([], dtype=float)})
    read = read_xpt_columns(write(tmp_path, frame))
    assert read.records == 0 and read.columns["A"].codes.tolist() == [] and len(read.columns["NB"].values) == 0
    got, _ = read_xpt(tmp_path / "tt.xpt")
    assert got.shape == (0, 2) and got["A"].dtype == object


def test_not_an_xpt_file(tmp_path):
    (tmp_path / "empty.xpt").write_bytes(b"")
    (tmp_path / "text.xpt").write_bytes(b"hello" * 100)
    for name in ("empty.xpt", "text.xpt"):
        with pytest.raises(xpt.XptFormatError):
            read_xpt_columns(tmp_path / name)


# --------------------------------------------------------------------------- the CDISC pilot files


@needs_pilot
@pytest.mark.parametrize("path", PILOT, ids=lambda p: p.name)
def test_pilot_files_like_pyreadstat(path):
    read = read_xpt_columns(path)
    theirs, _ = pyreadstat.read_xport(str(path), disable_datetime_conversion=True)
    assert list(read.columns) == list(theirs.columns) and read.records == len(theirs)
    for name, column in read.columns.items():
        if isinstance(column, NumericColumn):
            np.testing.assert_array_equal(column.values, theirs[name].to_numpy(float), err_msg=name)
        else:
            assert_text(column, theirs[name].fillna("").str.rstrip(" ").tolist())


@needs_pilot
def test_pilot_subset_equals_the_full_read():
    full, _ = read_xpt(SDTM / "lb.xpt")
    read = read_xpt_columns(SDTM / "lb.xpt", ["LBORRES", "USUBJID", "LBSTRESN", "LBTESTCD"])
    assert list(read.columns) == [c for c in full.columns if c in read.columns]
    for name, column in read.columns.items():
        got = column.as_read() if isinstance(column, NumericColumn) else column.values("")
        assert pd.Series(got, dtype=got.dtype).equals(full[name]), name


# --------------------------------------------------------------------------- the validator's and the report's loading


@needs_pilot
@pytest.mark.parametrize("name", ["dm.xpt", "lb.xpt", "suppdm.xpt", "ta.xpt"])
def test_validator_loading_equals_normalise_of_read_xpt(name):
    path = SDTM / name
    data = read_dataset(path)
    frame, meta = read_xpt(path)
    codes: dict = {}
    expected = normalise(frame, [ColumnHeader(v.name, v.label, v.type, v.length) for v in meta.variables], codes)
    assert data.error is None and list(data.frame.columns) == list(expected.columns)
    for column in expected.columns:
        assert data.frame[column].dtype == expected[column].dtype and data.frame[column].equals(expected[column])
    assert data._codes.keys() == codes.keys()
    for column, (want_codes, want_uniques) in codes.items():
        got_codes, got_uniques = data._codes[column]
        assert got_codes.tolist() == want_codes.tolist() and got_uniques.tolist() == want_uniques.tolist()


def test_report_reads_the_kept_variables_as_text_and_numbers(tmp_path):
    frame = pd.DataFrame({"USUBJID": pd.Series(["S1", "S2", "S2"], dtype=object),
                          "SAFFL": pd.Series(["Y", "", "Y"], dtype=object),
                          "NAVAL": [1.0, np.nan, 3.0], "OTHER": pd.Series(["a", "b", "c"], dtype=object)})
    variables = [XptVariable(name=c, label=c, type="num" if c == "NAVAL" else "char", length=8)
                 for c in frame.columns]
    write_xpt(frame, XptDataset(name="ADSL", label="ADSL", variables=variables, created=CREATED), tmp_path)
    got = read_adam(tmp_path, {"NAVAL", "SAFFL", "USUBJID"})["ADSL"]
    expected = pd.DataFrame({"USUBJID": pd.Series(["S1", "S2", "S2"], dtype=object),
                             "SAFFL": pd.Series(["Y", "", "Y"], dtype=object), "NAVAL": [1.0, np.nan, 3.0]})
    assert list(got.columns) == ["USUBJID", "SAFFL", "NAVAL"] and got.equals(expected)
    assert got["SAFFL"].tolist() == ["Y", "", "Y"] and got["SAFFL"].dtype == object


def test_only_the_first_member_is_read(tmp_path):
    """The data end at the next member header (at a record start), not at the end of the file."""
    raw = write(tmp_path, pd.DataFrame({"T": pd.Series(["a", "b", "HEADER R"], dtype=object)})).read_bytes()
    other = write(tmp_path, pd.DataFrame({"T": pd.Series(["x"], dtype=object)})).read_bytes()
    two = tmp_path / "two.xpt"
    two.write_bytes(raw + other[3 * 80:])  # the second member without the library header
    read = read_xpt_columns(two)
    assert read.records == 3 and read.columns["T"].values().tolist() == ["a", "b", "HEADER R"]


def ibm_to_ieee(words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reference conversion of IBM doubles (big-endian uint64 words) to float64, by the formula.

    Returns ``(values, missing)``: missing values are NaN in ``values`` and
    ``missing`` holds their ASCII letter (``.``, ``A``-``Z``, ``_``) as uint8,
    0 elsewhere. Fractions wider than 53 bits are rounded to nearest.
    """
    words = np.asarray(words).astype(np.uint64)
    first = (words >> np.uint64(56)).astype(np.uint8)
    fraction = words & FRACTION_MASK
    exponent = (first & 0x7F).astype(np.int64)
    magnitude = np.ldexp(fraction.astype(np.float64), (4 * exponent - 312).astype(np.int32))
    values = np.where(first & 0x80, -magnitude, magnitude)
    values[fraction == 0] = 0.0
    missing_mask = (fraction == 0) & np.isin(first, np.frombuffer(MISSING_CODES.encode("ascii"), dtype=np.uint8))
    values[missing_mask] = np.nan
    missing = np.where(missing_mask, first, np.uint8(0)).astype(np.uint8)
    return values, missing


def test_ibm_decoding_equals_the_reference_conversion():
    """The table-driven decode against the reference ``ibm_to_ieee`` on random words and the edge bytes."""
    rng = np.random.default_rng(7)
    words = rng.integers(0, 2 ** 63, 100_000, dtype=np.uint64) * np.uint64(2) + \
        rng.integers(0, 2, 100_000, dtype=np.uint64)  # every bit pattern, the sign bit too
    words[:300] &= np.uint64(0xFF00000000000000)  # zero fractions: 0, -0, '.', '.A'-'.Z', '._', other first bytes
    words[:256] = np.arange(256, dtype=np.uint64) << np.uint64(56)
    expected, missing = ibm_to_ieee(words)
    column = xpt._read_numeric(words.byteswap().copy(), 8)  # as read from the file: big-endian bytes
    np.testing.assert_array_equal(column.values.view(np.uint64)[~np.isnan(expected)],
                                  expected.view(np.uint64)[~np.isnan(expected)])
    assert np.array_equal(np.isnan(column.values), np.isnan(expected))
    assert column.special.tolist() == np.where(missing == ord("."), 0, missing).tolist()


@needs_pilot
def test_validator_columns_without_a_frame_agree_with_the_frame():
    """``series``/``take``/``is_text`` answer from the reader's columns as ``frame`` would, without building it."""
    data = read_dataset(SDTM / "lb.xpt")
    assert data.readable and data._frame is None and data.nrows > 0
    rows = np.array([5, 0, 5, data.nrows - 1])
    answers = {name: (data.is_text(name), data.series(name), data.take(name, rows)) for name in data.names}
    assert data._frame is None  # nothing above built the frame
    frame = data.frame
    assert list(frame.columns) == data.names and len(frame) == data.nrows
    for name, (is_text, series, taken) in answers.items():
        assert is_text == (frame[name].dtype == object)
        assert series.equals(frame[name])
        assert taken.equals(frame[name].iloc[rows]) and taken.index.tolist() == rows.tolist()


@needs_pilot
def test_threaded_reads_keep_the_file_order_and_values(tmp_path):
    from cdisc_msc.validate.package import read_datasets

    broken = tmp_path / "xx.xpt"
    broken.write_bytes(b"not a transport file")
    files = PILOT[:6] + [broken]
    serial, threaded = read_datasets(files, threads=1), read_datasets(files, threads=2)
    assert [d.path for d in threaded] == files and threaded[-1].error and serial[-1].error
    for one, other in zip(serial[:-1], threaded[:-1]):
        assert one.frame.equals(other.frame) and one.name == other.name

