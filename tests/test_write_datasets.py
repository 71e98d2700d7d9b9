"""pipeline.write_datasets: results gathered by name; a failing dataset stops the ones not started."""
from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import pytest

from cdisc_msc import pipeline
from cdisc_msc.io.meta import DatasetContent


def _frames() -> dict[str, pd.DataFrame]:
    # sizes 40, 30, 20, 10 cells: written largest first (AA, BB, CC, DD)
    return {name: pd.DataFrame({"X": range(rows)}) for name, rows in
            (("DD", 10), ("CC", 20), ("BB", 30), ("AA", 40))}


def test_a_failing_dataset_cancels_the_ones_not_started(monkeypatch, tmp_path: Path):
    # ZZ is the largest, so written first, and the last by name: nothing waits for AA..DD to finish
    frames = {**_frames(), "ZZ": pd.DataFrame({"X": range(50)})}
    started: list[str] = []
    lock = threading.Lock()

    def fake_write(name, frame, spec, config, folder):
        with lock:
            started.append(name)
        if name == "ZZ":
            raise ValueError("ZZ cannot be written")
        return DatasetContent(frame, None), pd.DataFrame()

    monkeypatch.setattr(pipeline, "WRITER_THREADS", 1)
    monkeypatch.setattr(pipeline, "write_dataset", fake_write)
    with pytest.raises(ValueError, match="ZZ cannot be written"):
        pipeline.write_datasets(frames, spec=None, config=None, folder=tmp_path)
    assert started == ["ZZ"]  # AA, BB, CC and DD were never started


def test_the_first_failed_dataset_by_name_is_raised(monkeypatch, tmp_path: Path):
    # two threads: BB fails at once; AA (started first, the largest) fails only after BB did, so the
    # first failure in time is BB's, the first by name AA's
    frames = {"AA": pd.DataFrame({"X": range(40)}), "BB": pd.DataFrame({"X": range(30)})}
    bb_failed = threading.Event()

    def fake_write(name, frame, spec, config, folder):
        if name == "BB":
            bb_failed.set()
            raise ValueError("BB failed")
        assert bb_failed.wait(5)
        raise ValueError("AA failed")

    monkeypatch.setattr(pipeline, "WRITER_THREADS", 2)
    monkeypatch.setattr(pipeline, "write_dataset", fake_write)
    with pytest.raises(ValueError, match="AA failed"):
        pipeline.write_datasets(frames, spec=None, config=None, folder=tmp_path)


def test_an_interrupt_starts_no_more_datasets(monkeypatch, tmp_path: Path):
    started: list[str] = []

    def fake_write(name, frame, spec, config, folder):
        started.append(name)
        return DatasetContent(frame, None), pd.DataFrame()

    def interrupted_wait(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "WRITER_THREADS", 1)
    monkeypatch.setattr(pipeline, "write_dataset", fake_write)
    monkeypatch.setattr("concurrent.futures.wait", interrupted_wait)
    with pytest.raises(KeyboardInterrupt):
        pipeline.write_datasets(_frames(), spec=None, config=None, folder=tmp_path)
    assert len(started) <= 1  # at most the dataset already running when the interrupt came


def test_results_are_gathered_by_name(monkeypatch, tmp_path: Path):
    monkeypatch.setattr(pipeline, "write_dataset",
                        lambda name, frame, spec, config, folder: (DatasetContent(frame, name), pd.DataFrame()))
    contents, changes = pipeline.write_datasets(_frames(), spec=None, config=None, folder=tmp_path)
    assert list(contents) == ["AA", "BB", "CC", "DD"]
    assert [c.xpt for c in contents.values()] == ["AA", "BB", "CC", "DD"]
    assert len(changes) == 0
