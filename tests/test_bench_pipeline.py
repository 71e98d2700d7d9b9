"""The pipeline benchmark's bookkeeping: medians over repeated builds and what a failed build does.

The builds themselves are faked (``run_child``): these tests are about which figures the
bench reports, not about speed.
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def bench(monkeypatch):
    spec = importlib.util.spec_from_file_location("bench_pipeline", ROOT / "bench" / "bench_pipeline.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "io_floor", lambda *a, **k: {
        "floor_seconds": 0.5, "floor_cpu_seconds": 0.5, "bytes": 1, "files": 1, "passes": [0.5]})
    return module


def _fake_builds(outcomes: list[tuple[int, float | None]]):
    """A ``run_child`` whose n-th build exits with ``outcomes[n][0]`` and, when its total is not None,
    writes a result with that total and write:sdtm taking a tenth of it."""
    calls = iter(outcomes)

    def run_child(args: list[str]):
        rc, total = next(calls)
        if total is not None:
            Path(args[-1]).write_text(json.dumps({
                "status": "ok", "error": None, "total_seconds": total, "stages": {"write:sdtm": total / 10},
                "cpu_stages": {"write:sdtm": total / 10}, "sys_stages": {}, "peak_tree_rss_mb": total,
                "steps": []}), encoding="utf-8")
        return rc, {"peak_rss_mb": 1.0, "cpu_seconds": total or 0.0}
    return run_child


def _work(tmp_path: Path) -> Path:
    (tmp_path / "raw10").mkdir()
    (tmp_path / "raw10" / "dm.csv").write_text("simulated already", encoding="utf-8")
    return tmp_path


def test_figures_are_medians_and_memory_the_largest(bench, monkeypatch, tmp_path):
    monkeypatch.setattr(bench, "run_child", _fake_builds([(0, 30.0), (0, 10.0), (0, 20.0)]))
    result = bench.bench_size(10, 1, _work(tmp_path), repeats=3)
    assert result["status"] == "ok"
    assert result["total_seconds"] == 20.0
    assert result["stages"] == {"write:sdtm": 2.0}
    assert result["peak_rss_mb"] == 30.0  # the sampled tree peak of the 30 s build
    lines = bench.goals([result])
    assert lines[0] == "PASS: 10 subjects end to end 20.0 s (goal < 60 s); each build: 30.0 s, 10.0 s, 20.0 s"
    # write:sdtm 2.0 s over a 0.5 s floor; each build's own ratio beside it
    assert any(line.startswith("FAIL: 10 write:sdtm 4.0x") and line.endswith("each build: 6.0x, 2.0x, 4.0x")
               for line in lines)


def test_a_killed_build_does_not_reuse_the_result_before_it(bench, monkeypatch, tmp_path):
    monkeypatch.setattr(bench, "run_child", _fake_builds([(0, 50.0), (-9, None), (-9, None)]))
    result = bench.bench_size(10, 1, _work(tmp_path), repeats=3)
    assert [run["status"] for run in result["runs"]] == ["ok", "failed"]  # the failure ends the repeats
    assert result["status"] == "failed"
    assert "build 2: the build process exited with -9" in result["error"]
    lines = bench.goals([result])
    assert lines[0].startswith("FAIL: 10 subjects end to end 50.0 s")
    assert lines[0].endswith("each build: 50.0 s, failed")
    assert lines[-1].startswith("NOTE: 10 build did not finish: build 2:")


def test_medians_leave_out_a_failed_build(bench):
    runs = [{"status": "failed", "error": "boom", "total_seconds": 2.0, "stages": {"sdtm": 1.0}},
            {"status": "ok", "total_seconds": 100.0, "stages": {"sdtm": 9.0, "write:sdtm": 4.0}},
            {"status": "ok", "total_seconds": 104.0, "stages": {"sdtm": 11.0, "write:sdtm": 6.0}}]
    merged = bench._median_run(runs)
    assert merged["total_seconds"] == 102.0
    assert merged["stages"] == {"sdtm": 10.0, "write:sdtm": 5.0}
    assert (merged["status"], merged["error"]) == ("failed", "build 1: boom")
