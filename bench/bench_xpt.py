"""Benchmark: write a 1,000,000-row, 15-column QS-shaped frame as XPT v5.

Runs this project's writer (``cdisc_msc.io.xpt.write_xpt``) and
``pyreadstat.write_xport`` (version 5, given object-dtype text columns, its
faster path) in the same run, and prints times, throughput and the ratio,
plus the writer's peak extra memory (tracemalloc) against the frame's size.

    .venv/bin/python bench/bench_xpt.py [--rows N] [--keep DIR]
"""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

from cdisc_msc.io.meta import XptDataset, XptVariable
from cdisc_msc.io.xpt import write_xpt

TESTS = [(f"SF36{i:03d}", f"SF-36 v2 item {i} text of a questionnaire question") for i in range(1, 37)]
VISITS = ["SCREENING", "BASELINE", "WEEK 4", "WEEK 12", "WEEK 24", "WEEK 52"]
ANSWERS = ["Excellent", "Very good", "Good", "Fair", "Poor", "All of the time", "None of the time"]


def qs_frame(rows: int, seed: int = 1) -> pd.DataFrame:
    """A QS-like frame: 11 text and 4 numeric columns, about 1,000 subjects."""
    rng = np.random.default_rng(seed)
    subject = rng.integers(1, 1001, rows)
    test = rng.integers(0, len(TESTS), rows)
    visit = rng.integers(0, len(VISITS), rows)
    answer = rng.integers(0, len(ANSWERS), rows)
    usubjid = np.array([f"MSC-SLE-{i:04d}" for i in range(1001)], dtype=object)
    testcd = np.array([t[0] for t in TESTS], dtype=object)
    testname = np.array([t[1][:40] for t in TESTS], dtype=object)
    answers = np.array(ANSWERS, dtype=object)
    days = rng.integers(-30, 400, rows)
    dates = np.array([str(dt.date(2024, 1, 1) + dt.timedelta(days=int(d))) for d in range(-30, 400)], dtype=object)
    stresn = (answer + 1).astype(float)
    stresn[rng.random(rows) < 0.05] = np.nan
    return pd.DataFrame({
        "STUDYID": np.full(rows, "MSC-SLE", dtype=object),
        "DOMAIN": np.full(rows, "QS", dtype=object),
        "USUBJID": usubjid[subject],
        "QSSEQ": np.arange(1, rows + 1, dtype=float),
        "QSTESTCD": testcd[test],
        "QSTEST": testname[test],
        "QSCAT": np.full(rows, "SF-36 V2.0 STANDARD", dtype=object),
        "QSORRES": answers[answer],
        "QSSTRESC": answers[answer],
        "QSSTRESN": stresn,
        "QSBLFL": np.where(visit == 1, "Y", None).astype(object),
        "VISITNUM": (visit + 1).astype(float),
        "VISIT": np.array(VISITS, dtype=object)[visit],
        "QSDTC": dates[days + 30],
        "QSDY": days.astype(float),
    })


def qs_meta(frame: pd.DataFrame) -> XptDataset:
    """Metadata with lengths from the data, as ``from_spec`` would resolve them."""
    variables = []
    for name in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[name]):
            length = int(frame[name].dropna().map(len).max())
            variables.append(XptVariable(name=name, label=f"{name} label", type="char", length=length))
        else:
            variables.append(XptVariable(name=name, label=f"{name} label", type="num"))
    return XptDataset(name="QS", label="Questionnaires", variables=variables, created=dt.datetime(2025, 1, 1))


def as_object_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The same frame with text columns as object dtype (pyreadstat's faster path)."""
    text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    return frame.astype({c: object for c in text})


def frame_bytes(frame: pd.DataFrame) -> int:
    return int(frame.memory_usage(deep=True).sum())


def time_ours(frame: pd.DataFrame, meta: XptDataset, folder: Path) -> tuple[float, int, Path]:
    """Seconds and peak traced memory of one write with this project's writer."""
    gc.collect()
    tracemalloc.start()
    start = time.perf_counter()
    result = write_xpt(frame, meta, folder)
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak, result.path


def time_pyreadstat(frame: pd.DataFrame, folder: Path) -> tuple[float, Path]:
    """Seconds of ``pyreadstat.write_xport`` (v5) on the same data, text columns as object."""
    target = folder / "qs_pyreadstat.xpt"
    gc.collect()
    start = time.perf_counter()
    pyreadstat.write_xport(frame, str(target), file_format_version=5, table_name="QS")
    return time.perf_counter() - start, target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="write the files here instead of a temp folder")
    args = parser.parse_args()
    frame = qs_frame(args.rows)
    meta = qs_meta(frame)
    size = frame_bytes(frame)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        ours, peak, path = time_ours(frame, meta, folder)
        object_frame = as_object_text(frame)
        ours_object, _, _ = time_ours(object_frame, meta, folder)
        theirs, other = time_pyreadstat(object_frame, folder)
        file_mb = path.stat().st_size / 1e6
        print(f"frame: {args.rows:,} rows x {frame.shape[1]} columns, record {meta.record_length} bytes, "
              f"{size / 1e6:.0f} MB in memory; file {file_mb:.0f} MB (pyreadstat {other.stat().st_size / 1e6:.0f} MB)")
        print(f"cdisc_msc write_xpt:        {ours:7.3f} s  {file_mb / ours:7.1f} MB/s  "
              f"peak extra memory {peak / 1e6:.0f} MB ({peak / size:.2f}x the frame)")
        print(f"  same, object text columns: {ours_object:7.3f} s  {file_mb / ours_object:7.1f} MB/s")
        print(f"pyreadstat.write_xport v5:  {theirs:7.3f} s  {file_mb / theirs:7.1f} MB/s")
        print(f"ratio (pyreadstat / ours):  {theirs / ours:7.1f}x (object columns: {theirs / ours_object:.1f}x)")


if __name__ == "__main__":
    main()
