"""Scale: a 1,000-subject simulated study builds and validates with no error;
the progress callback, the stage timings and the build report's timing table."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdisc_msc.progress import PlainProgress, TimingRecorder, build_report_markdown, progress_for, timing_markdown

ROOT = Path(__file__).resolve().parents[1]


def ticks(*values: float):
    """A fake clock returning the given times in turn."""
    it = iter(values)
    return lambda: next(it)


def test_recorder_times_stages_and_steps_from_the_messages():
    rec = TimingRecorder(clock=ticks(10.0, 10.5, 12.0, 13.0, 20.0, 20.25))
    for m in ("stage:sdtm", "sdtm:dm", "sdtm:ae", "done:sdtm", "stage:validate", "done:validate"):
        rec(m)
    # sdtm ran 10.0 -> 13.0; dm 10.5 -> 12.0, ae 12.0 -> 13.0; validate 20.0 -> 20.25
    assert rec.stages == {"sdtm": 3.0, "validate": 0.25}
    assert [(s.stage, s.step, s.seconds) for s in rec.steps] == [("sdtm", "sdtm:dm", 1.5), ("sdtm", "sdtm:ae", 1.0)]


def test_stage_names_with_a_colon_are_stages_not_steps():
    rec = TimingRecorder(clock=ticks(0.0, 1.0, 2.0, 4.0))
    for m in ("stage:write:sdtm", "write:AE", "done:write:sdtm", "stage:spec:adam"):
        rec(m)
    assert rec.stages == {"write:sdtm": 2.0}  # started at 0.0, done at 2.0
    assert rec.current == "spec:adam"
    assert [s.step for s in rec.steps] == ["write:AE"]


def test_plain_progress_prints_one_line_per_stage_and_dataset():
    out = io.StringIO()
    p = PlainProgress(stream=out, clock=ticks(*[float(i) for i in range(20)]))
    for m in ("stage:adam", "adam:adsl", "adam:adae", "done:adam"):
        p(m)
    lines = out.getvalue().splitlines()
    assert len(lines) == 4
    assert lines[0].endswith("adam ...")
    assert lines[1].endswith("adam: adsl") and lines[2].endswith("adam: adae")
    assert "adam done in" in lines[3]


def test_quiet_gives_no_callback_and_a_pipe_gives_plain_lines():
    with progress_for(quiet=True, stream=io.StringIO()) as notify:
        assert notify is None
    with progress_for(quiet=False, stream=io.StringIO()) as notify:  # StringIO is not a terminal
        assert isinstance(notify, PlainProgress)


def test_timing_table_shares_are_of_the_total():
    text = timing_markdown({"sdtm": 3.0, "validate": 1.0, "report": 4.0}, 10.0)
    # 3/10 = 30 %, 1/10 = 10 %, 4/10 = 40 %
    assert "| sdtm | 3.00 | 30.0 % |" in text
    assert "| validate | 1.00 | 10.0 % |" in text
    assert "| report | 4.00 | 40.0 % |" in text
    assert "| **total** | **10.00** | 100.0 % |" in text


def test_build_report_lists_datasets_validation_and_timings():
    summary = {"study": "MSC-SLE", "datasets": {"sdtm": {"DM": 1000}}, "validation": {"warning": 2},
               "stages_seconds": {"sdtm": 1.5}, "total_seconds": 3.0}
    text = build_report_markdown(summary)
    assert "| sdtm | DM | 1,000 |" in text
    assert "2 warning" in text
    assert "| sdtm | 1.50 | 50.0 % |" in text


def test_dataset_json_rows_are_joined_across_chunks():
    """The vectorised row encoder: rows split over chunks of 2 still read as one comma-separated list."""
    from cdisc_msc.io.datasetjson import encoded_rows

    frame = pd.DataFrame({"N": [1.0, 2.0, np.nan], "T": ["x", None, "y "]})
    columns = [{"name": "N", "dataType": "integer"}, {"name": "T", "dataType": "string"}]
    text = b"".join(encoded_rows(frame, columns, "T", rows_per_chunk=2))
    # by hand: integers without .0, missing number null, missing text "", trailing blank removed
    assert text == b'[1,"x"],[2,""],[null,"y"]'
    ndjson = b"".join(encoded_rows(frame, columns, "T", ndjson=True, rows_per_chunk=2))
    assert ndjson == b'[1,"x"]\n[2,""]\n[null,"y"]\n'


def test_xpt_reader_keeps_one_string_per_distinct_value(tmp_path):
    """Text read back from XPT: each distinct value decoded once and shared by its rows (memory at scale)."""
    import datetime as dt

    from cdisc_msc.io.meta import XptDataset, XptVariable
    from cdisc_msc.io.xpt import read_xpt, write_xpt

    long = "A" * 40  # longer than 32 bytes: the other factorisation path
    frame = pd.DataFrame({"S": ["Y", "N", "Y", "", "Y"], "L": [long, "B", long, long, "B"]})
    meta = XptDataset(name="T", label="t", created=dt.datetime(2025, 1, 1), variables=[
        XptVariable(name="S", label="s", type="char", length=1), XptVariable(name="L", label="l", type="char", length=40)])
    back, _ = read_xpt(write_xpt(frame, meta, tmp_path).path)
    assert back["S"].tolist() == ["Y", "N", "Y", "", "Y"]
    assert back["L"].tolist() == [long, "B", long, long, "B"]
    s, lv = back["S"].to_numpy(), back["L"].to_numpy()
    assert s[0] is s[2] is s[4] and lv[0] is lv[2] is lv[3] and lv[1] is lv[4]


@pytest.mark.slow
def test_1000_subjects_build_and_validate_with_no_error(tmp_path):
    from cdisc_msc.config import load_config
    from cdisc_msc.pipeline import build
    from cdisc_msc.simulate import simulate_study

    config = load_config(ROOT / "specs" / "study.yaml")
    raw, out = tmp_path / "raw", tmp_path / "out"
    simulate_study(1000, 1, raw, config)
    stages: list[str] = []
    summary = build(raw, ROOT / "specs", out, echo=lambda _m: None,
                    notify=lambda m: stages.append(m[len("stage:"):]) if m.startswith("stage:") else None)
    # every stage of the build ran, each told to the progress callback
    assert {"raw", "sdtm", "adam", "write:sdtm", "write:adam", "define:sdtm", "define:adam"} <= set(stages)
    assert set(summary["stages_seconds"]) == set(stages)
    assert summary["datasets"]["adam"]["ADSL"] == 1000  # one record per simulated subject
    assert (out / "build" / "build_report.md").is_file()
    for package in ("sdtm", "adam"):
        assert (out / package / "define.xml").is_file()
        assert (out / package / "dm.xpt" if package == "sdtm" else out / package / "adsl.xpt").is_file()
    try:
        from cdisc_msc.validate import validate_package
    except ImportError:  # pragma: no cover - the validator is written in parallel
        pytest.skip("cdisc_msc.validate.validate_package is not available yet: build checked, validation skipped")
    result = validate_package(out, config=config)
    blocking = [f"{i.rule} {i.dataset} {i.message}" for i in result.blocking][:10]
    assert result.exit_code == 0, f"rejects/errors in the 1,000-subject package, first: {blocking}"
