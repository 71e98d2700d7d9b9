"""Dataset-JSON 1.1 writer (cdisc_msc.io.datasetjson) against CDISC's own examples and schemas."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest

from cdisc_msc.io.datasetjson import DatasetJsonError, write_dataset_json
from cdisc_msc.io.meta import XptDataset, XptVariable
from cdisc_msc.io.xpt import read_xpt

DSJ = Path(__file__).resolve().parents[1] / ".." / "shared" / "reference" / "dataset-json-1.1"
ADAM = DSJ / "examples" / "adam"
CREATED = dt.datetime(2025, 3, 28, 14, 5, 9)


def json_schema() -> dict:
    return json.loads((DSJ / "schema" / "dataset.schema.json").read_text(encoding="utf-8"))


def ndjson_schema() -> dict:
    """The NDJSON metadata-line schema (UTF-16 with BOM), with its misplaced definitions lifted.

    As published, ``Column``, ``DataTypesEnum`` and ``SourceSystem`` sit nested
    inside ``$defs/DatasetMetadata`` while ``$ref``s point at ``#/$defs/...``;
    they are copied to ``$defs`` unchanged so the references resolve.
    """
    schema = json.loads((DSJ / "schema" / "dataset-ndjson-schema.json").read_text(encoding="utf-16"))
    metadata = schema["$defs"]["DatasetMetadata"]["properties"]
    nested = metadata["columns"]["items"]
    schema["$defs"].update(Column=nested["Column"], DataTypesEnum=nested["DataTypesEnum"],
                           SourceSystem=metadata["sourceSystem"]["SourceSystem"])
    return schema


def validate(document: dict, schema: dict) -> None:
    jsonschema.Draft201909Validator(schema).validate(document)


def write_like_cdisc(name: str, folder: Path, ndjson: bool = False) -> tuple[Path, dict]:
    theirs = json.loads((ADAM / f"{name}.json").read_text(encoding="utf-8"))
    frame, meta = read_xpt(ADAM / f"{name}.xpt")
    path = write_dataset_json(
        frame, meta, folder, ndjson=ndjson, study_oid=theirs["studyOID"],
        metadata_version_oid=theirs["metaDataVersionOID"], creation_datetime=theirs["datasetJSONCreationDateTime"],
        item_group_oid=theirs["itemGroupOID"], columns=theirs["columns"],
    )
    return path, theirs


@pytest.mark.parametrize("name", ["adsl", "adae"])
def test_rows_identical_to_cdisc_examples(name, tmp_path):
    path, theirs = write_like_cdisc(name, tmp_path)
    ours = json.loads(path.read_text(encoding="utf-8"))
    assert ours["records"] == theirs["records"] == len(theirs["rows"])
    assert ours["rows"] == theirs["rows"]
    # same JSON types too (42 vs 42.0, null vs ""): compare the serialised rows
    assert json.dumps(ours["rows"]) == json.dumps(theirs["rows"])
    assert ours["columns"] == theirs["columns"]


@pytest.mark.parametrize("name", ["adsl", "adae"])
def test_output_validates_against_both_schemas(name, tmp_path):
    path, _ = write_like_cdisc(name, tmp_path)
    validate(json.loads(path.read_text(encoding="utf-8")), json_schema())
    nd_path, _ = write_like_cdisc(name, tmp_path, ndjson=True)
    assert nd_path.name == f"{name}.ndjson"
    lines = nd_path.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    validate(header, ndjson_schema())
    assert header["records"] == len(lines) - 1
    assert "rows" not in header and all(line.startswith("[") for line in lines[1:])
    assert [json.loads(line) for line in lines[1:]] == json.loads(path.read_text(encoding="utf-8"))["rows"]


def test_schema_rejects_a_broken_document(tmp_path):
    path, _ = write_like_cdisc("adsl", tmp_path)
    document = json.loads(path.read_text(encoding="utf-8"))
    del document["itemGroupOID"]
    with pytest.raises(jsonschema.ValidationError):
        validate(document, json_schema())
    del document["rows"]
    with pytest.raises(jsonschema.ValidationError):
        validate(document, ndjson_schema())
    document["itemGroupOID"] = "IG.ADSL"
    document["columns"][0]["dataType"] = "text"
    with pytest.raises(jsonschema.ValidationError):
        validate(document, ndjson_schema())


def small_meta() -> XptDataset:
    return XptDataset(
        name="ADXY", label="Analysis XY", created=CREATED, keys=["USUBJID"],
        variables=[
            XptVariable(name="USUBJID", label="Unique Subject Identifier", type="char", length=6),
            XptVariable(name="ADT", label="Analysis Date", type="num", format="DATE9."),
            XptVariable(name="ADTM", label="Analysis Datetime", type="num", format="DATETIME20."),
            XptVariable(name="ATM", label="Analysis Time", type="num", format="TIME8."),
            XptVariable(name="AVAL", label="Analysis Value", type="num", data_type="float"),
            XptVariable(name="AGE", label="Age", type="num"),
            XptVariable(name="DTC", label="Date/Time", type="char", length=10, data_type="datetime"),
        ],
    )


def small_frame() -> pd.DataFrame:
    day = (dt.date(2014, 1, 2) - dt.date(1960, 1, 1)).days
    second = (dt.datetime(2014, 1, 2, 10, 30, 5) - dt.datetime(1960, 1, 1)).total_seconds()
    return pd.DataFrame({
        "USUBJID": ["S-1", None, "S-3"],
        "ADT": [float(day), np.nan, 0.0],
        "ADTM": [second, np.nan, -1.0],
        "ATM": [37805.0, np.nan, 0.0],
        "AVAL": pd.Series([42.0, ".A", 0.1], dtype=object),
        "AGE": [63.0, 70.0, np.nan],
        "DTC": ["2014-01-02", "", "2014"],
    })


def test_conventions_for_dates_numbers_and_missing(tmp_path):
    path = write_dataset_json(small_frame(), small_meta(), tmp_path, study_oid="STUDY", metadata_version_oid="MDV",
                              creation_datetime=CREATED)
    document = json.loads(path.read_text(encoding="utf-8"))
    validate(document, json_schema())
    assert path.name == "adxy.json"
    assert document["rows"] == [
        ["S-1", "2014-01-02", "2014-01-02T10:30:05", "10:30:05", 42, 63, "2014-01-02"],
        ["", None, None, None, None, 70, ""],
        ["S-3", "1960-01-01", "1959-12-31T23:59:59", "00:00:00", 0.1, None, "2014"],
    ]
    columns = {c["name"]: c for c in document["columns"]}
    assert columns["ADT"] == {"itemOID": "IT.ADXY.ADT", "name": "ADT", "label": "Analysis Date", "dataType": "date",
                              "targetDataType": "integer", "displayFormat": "DATE9."}
    assert columns["ADTM"]["dataType"] == "datetime" and columns["ATM"]["dataType"] == "time"
    assert columns["AVAL"]["dataType"] == "float" and columns["AGE"]["dataType"] == "integer"
    assert columns["USUBJID"]["keySequence"] == 1 and columns["USUBJID"]["length"] == 6
    assert columns["DTC"]["dataType"] == "datetime"
    assert document["datasetJSONCreationDateTime"] == "2025-03-28T14:05:09"
    assert document["datasetJSONVersion"] == "1.1.0" and document["itemGroupOID"] == "IG.ADXY"
    assert document["studyOID"] == "STUDY" and document["metaDataVersionOID"] == "MDV"


def test_decimal_columns_are_strings(tmp_path):
    frame = pd.DataFrame({"BMIBL": [30.8983333232059, 25.0, np.nan]})
    meta = XptDataset(name="ADSL", label="x", created=CREATED,
                      variables=[XptVariable(name="BMIBL", label="Baseline BMI", type="num")])
    column = {"itemOID": "IT.ADSL.BMIBL", "name": "BMIBL", "label": "Baseline BMI", "dataType": "decimal",
              "targetDataType": "decimal", "length": 16}
    path = write_dataset_json(frame, meta, tmp_path, study_oid="S", metadata_version_oid="M",
                              creation_datetime=CREATED, columns=[column])
    assert json.loads(path.read_text())["rows"] == [["30.8983333232059"], ["25"], [None]]


def test_fraction_in_integer_column_is_an_error(tmp_path):
    meta = XptDataset(name="DM", label="x", created=CREATED,
                      variables=[XptVariable(name="AGE", label="Age", type="num", data_type="integer")])
    with pytest.raises(DatasetJsonError) as caught:
        write_dataset_json(pd.DataFrame({"AGE": [1.0, 2.5]}), meta, tmp_path, study_oid="S",
                           metadata_version_oid="M", creation_datetime=CREATED)
    assert "row 2, column AGE: integer column holds a fraction (value '2.5'" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_deterministic(tmp_path):
    kw = dict(study_oid="S", metadata_version_oid="M", creation_datetime=CREATED)
    one = write_dataset_json(small_frame(), small_meta(), tmp_path / "one.json", **kw).read_bytes()
    two = write_dataset_json(small_frame(), small_meta(), tmp_path / "two.json", **kw).read_bytes()
    assert one == two


def test_rows_with_missing_values_and_escaped_text_by_hand(tmp_path):
    """Text with quotes, commas and a backslash, missing text and numbers, in adjacent columns."""
    frame = pd.DataFrame({"A": ['x","y', None, "b\\", 'x","y'], "N": [1.0, np.nan, 2.5, np.nan],
                          "C": ["K", "K", "K", "K"]})
    meta = XptDataset(name="TT", label="x", created=CREATED, variables=[
        XptVariable(name="A", label="A", type="char", length=8),
        XptVariable(name="N", label="N", type="num", data_type="float"),
        XptVariable(name="C", label="C", type="char", length=1)])
    kw = dict(study_oid="S", metadata_version_oid="M", creation_datetime=CREATED)
    text = write_dataset_json(frame, meta, tmp_path, **kw).read_text(encoding="utf-8")
    # x","y is "x\",\"y" in JSON, b\ is "b\\"; missing text is "", a missing number null, 1.0 is 1
    rows = r'[["x\",\"y",1,"K"],["",null,"K"],["b\\",2.5,"K"],["x\",\"y",null,"K"]]'
    assert text.endswith(f'"rows":{rows}}}\n')
    lines = write_dataset_json(frame, meta, tmp_path, ndjson=True, **kw).read_text(encoding="utf-8").splitlines()
    assert lines[1:] == [r'["x\",\"y",1,"K"]', '["",null,"K"]', r'["b\\",2.5,"K"]', r'["x\",\"y",null,"K"]']


def test_reused_buffers_give_the_same_chunks_as_copies():
    """With reuse_buffers each chunk is a view of one of three buffers used in turn: taken one by one
    (as the file writer does), the chunks are the bytes of the copying encoder, padding and all."""
    from cdisc_msc.io.datasetjson import encoded_rows

    n = 50
    frame = pd.DataFrame({
        "T": [("x" * (i % 7)) or None for i in range(n)],  # lengths 0-6: padded items, missing text
        "N": [float(i) if i % 5 else np.nan for i in range(n)],
        "W": ["long value " * (i % 3) for i in range(n)],  # wide last column: padding passes the row end
    })
    columns = [{"name": "T", "dataType": "string"}, {"name": "N", "dataType": "integer"},
               {"name": "W", "dataType": "string"}]
    for ndjson in (False, True):
        copies = list(encoded_rows(frame, columns, "T", ndjson=ndjson, rows_per_chunk=7))
        views = [bytes(v) for v in encoded_rows(frame, columns, "T", ndjson=ndjson, rows_per_chunk=7,
                                                  reuse_buffers=True)]
        assert views == copies
    rows = b"".join(copies).decode().splitlines()
    assert rows[0] == '["",null,""]' and rows[1] == '["x",1,"long value"]'
    assert len(rows) == n


def _json_cell(value: object, data_type: str) -> object:
    """Slow reference, one raw Python value at a time, from the conventions in the writer's docstring
    (Dataset-JSON 1.1): text is a string, missing text ``""``, trailing blanks removed; a number is
    ``null`` when missing, else in its shortest form (an integral float within 2**53 as an integer)."""
    if data_type == "string":
        return "" if value is None else value.rstrip(" ")
    if value != value:  # NaN
        return None
    return int(value) if value.is_integer() and abs(value) <= 2.0 ** 53 else value


def _reference_rows(frame: pd.DataFrame, columns: list[dict]) -> list[list]:
    """Slow reference: each cell converted by ``_json_cell`` (not the writer's ``column_values``), row by row."""
    cells = [[_json_cell(v, c["dataType"]) for v in frame[c["name"]].tolist()] for c in columns]
    return [list(row) for row in zip(*cells)]


def test_reference_rows_by_hand():
    frame = pd.DataFrame({"S": pd.Series(["ab  ", None, 'é"'], dtype=object), "F": [2.0, np.nan, -0.5]})
    columns = [{"name": "S", "dataType": "string"}, {"name": "F", "dataType": "float"}]
    rows = _reference_rows(frame, columns)
    assert rows == [["ab", 2], ["", None], ['é"', -0.5]] and type(rows[0][1]) is int


@pytest.mark.parametrize("seed", range(6))
def test_row_assembly_equals_json_dumps_of_each_row(seed):
    """Random widths, missing values and column counts: the padded group writes (and the leading
    groups written last, padded or exactly) give the bytes of json.dumps row by row."""
    from cdisc_msc.io.datasetjson import encoded_rows

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    frame, columns = {}, []
    for j in range(int(rng.integers(1, 9))):
        if rng.random() < 0.5:
            pool = ["x" * int(k) + 'é"\\'[: int(k) % 4] + " " * (int(k) % 3)  # some with trailing blanks
                    for k in rng.integers(0, 40, int(rng.integers(1, 30)))]
            values = [pool[i] if rng.random() > 0.2 else None for i in rng.integers(0, len(pool), n)]
            frame[f"C{j}"], dtype = pd.Series(values, dtype=object), "string"
        else:
            values = np.round(rng.normal(0, 10 ** rng.integers(0, 6), n), int(rng.integers(0, 3)))
            values[rng.random(n) < 0.2] = np.nan
            frame[f"C{j}"], dtype = pd.Series(values), "float"
        columns.append({"name": f"C{j}", "dataType": dtype})
    frame = pd.DataFrame(frame)
    rows = _reference_rows(frame, columns)
    expected = ",".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in rows).encode("utf-8")
    for chunk_rows in (1, 7, 1000):
        assert b"".join(encoded_rows(frame, columns, "T", rows_per_chunk=chunk_rows)) == expected
        views = [bytes(v) for v in encoded_rows(frame, columns, "T", rows_per_chunk=chunk_rows, reuse_buffers=True)]
        assert b"".join(views) == expected


def test_leading_groups_written_padded_where_the_next_ones_cover_it():
    """Three groups (too many combinations to merge): a constant-width one, a narrow one of varied
    widths, then a wide one whose padding passes the end of short rows onto the next row."""
    from cdisc_msc.io.columns import factorize_column
    from cdisc_msc.io.datasetjson import _groups, _leading_exact, _tokens, encoded_rows
    from cdisc_msc.problems import ProblemReport

    n = 3000
    i = np.arange(n)
    frame = pd.DataFrame({
        "A": [f"ID{k:04d}" for k in i % 200],  # 200 values, one width
        "B": [f"{k}" for k in (i * 7) % 100],  # 100 values, widths 1-2
        "C": [f"{k:03d}" + "c" * (k % 90) for k in (i * 13) % 300],  # 300 values, widths 3-92
    }, dtype=object)
    columns = [{"name": c, "dataType": "string"} for c in "ABC"]
    tokens = [_tokens(factorize_column(frame[c["name"]]), frame[c["name"]].dtype, c, "T", ProblemReport(),
                      lambda: frame[c["name"]]) for c in columns]
    leading = _leading_exact(_groups(tokens, b"],"))
    # A and B padded (B's padding lands on C's token), C exactly (one write per token length)
    assert [sizes is not None for sizes in leading] == [False, False, True]
    expected = ",".join(json.dumps([a, b, c], separators=(",", ":")) for a, b, c in frame.itertuples(index=False))
    assert b"".join(encoded_rows(frame, columns, "T", rows_per_chunk=512)) == expected.encode()


def test_merged_groups_with_missing_values_equal_json_dumps():
    """Adjacent columns merged into one group (few combinations), some with missing values (their
    token moved first in the combination table): rows equal json.dumps of each row."""
    from cdisc_msc.io.datasetjson import _token_table, encoded_rows
    from cdisc_msc.io.segments import combine

    both = combine(_token_table([b"[1", b"[333"]), _token_table([b',"x"]', b",null]"]))
    assert [bytes(r[:k]) for r, k in zip(both.data, both.lengths)] == [b'[1,"x"]', b"[1,null]", b'[333,"x"]', b"[333,null]"]
    rng = np.random.default_rng(3)
    n = 2000
    frame = pd.DataFrame({
        "A": rng.choice(np.array(["a", "bb", None], dtype=object), n),
        "B": rng.choice(np.array([1.0, 22.0, np.nan]), n),
        "C": rng.choice(np.array(["", "ccc", "é", None], dtype=object), n),
    })
    columns = [{"name": "A", "dataType": "string"}, {"name": "B", "dataType": "integer"},
               {"name": "C", "dataType": "string"}]
    rows = [[a if isinstance(a, str) else "", None if b != b else int(b), c if isinstance(c, str) else ""]
            for a, b, c in frame.itertuples(index=False)]
    expected = ",".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in rows)
    assert b"".join(encoded_rows(frame, columns, "T", rows_per_chunk=300)) == expected.encode()


def test_shortest_all_matches_shortest_per_value():
    """Vectorised: the same values and types as the scalar rule (ints only for integral floats within 2**53)."""
    from cdisc_msc.io.datasetjson import _shortest_all

    def _shortest(x: float) -> int | float:
        return int(x) if x.is_integer() and abs(x) <= 2.0 ** 53 else x

    numbers = np.array([0.0, -0.0, 7.0, -3.0, 2.5, np.inf, -np.inf, 2.0 ** 53, 2.0 ** 53 + 2, 1e300, 5e-324])
    got = _shortest_all(numbers).tolist()
    expected = [_shortest(x) for x in numbers.tolist()]
    assert repr(got) == repr(expected)
    assert [type(v) for v in got] == [int, int, int, int, float, float, float, int, float, float, float]


def test_encode_each_text_with_missing_values():
    """Text with None (ISO dates with missing ones): each value as ``_dumps`` gives it."""
    from cdisc_msc.io.datasetjson import _encode_each

    assert _encode_each(["2023-01-26", None, 'a","b', None, "é"]).tolist() == [
        b'"2023-01-26"', b"null", b'"a\\",\\"b"', b"null", '"é"'.encode("utf-8")]
    assert _encode_each([None, "x"]).tolist() == [b"null", b'"x"']
    assert _encode_each([None, "x"]).dtype == "S4"  # as wide as the widest token
    assert _encode_each([]).tolist() == [] and _encode_each([""]).tolist() == [b'""']


@pytest.mark.parametrize("values", [
    ["a ", None, "", "  ", "x y  "],  # trailing blanks, missing, empty and blank text
    ["a ", "é", None],  # non-ASCII: left to json
    ["ab\x00", "c\x00 ", "d\x00e", None],  # NULs (a numpy str array drops trailing ones): left to json
    ['say "hi"', "back\\slash", "tab\there", "ok"],  # escaped characters: left to json
    [None, None], ["only"], [],  # all missing, one row, no row
])
@pytest.mark.parametrize("dtype", [object, "string"])
def test_text_tokens_from_the_stripped_array_equal_json_dumps(values, dtype):
    """Text columns take their tokens from the stripped str array unless a value is not ASCII or needs escaping:
    the rows equal json.dumps of each row (missing text is "", trailing blanks removed)."""
    from cdisc_msc.io.columns import FrameColumns
    from cdisc_msc.io.datasetjson import _plain_text_tokens, encoded_rows

    frame = pd.DataFrame({"C": pd.Series(values, dtype=dtype), "N": np.arange(len(values), dtype=float)})
    columns = [{"name": "C", "dataType": "string"}, {"name": "N", "dataType": "integer"}]
    expected = ",".join(json.dumps(["" if pd.isna(v) else v.rstrip(" "), i], ensure_ascii=False, separators=(",", ":"))
                        for i, v in enumerate(values))
    cache = FrameColumns(frame)
    assert b"".join(encoded_rows(frame, columns, "T", frame_columns=cache)) == expected.encode("utf-8")
    plain = _plain_text_tokens(cache.get("C"), cache.text("C"))
    needs_json = any(isinstance(v, str) and (not v.isascii() or any(c in v for c in '\x00"\\\t')) for v in values)
    assert (plain is None) == needs_json
