"""The build: raw forms -> SDTM -> ADaM -> writers -> define -> validation -> report.

Every stage reads the study configuration and the specs; the whole package is
written into a staging folder and moved into place only when the run
succeeded (``staging.staged_directory``).

Output layout (fixed)::

    out/sdtm/*.xpt, define.xml, define.html, json/*.json
    out/adam/*.xpt, define.xml, define.html, json/*.json
    out/report/           outcome results (HTML + CSV)
    out/build/            raw problems, record accounting, transliterations,
                          validation, timings, build report
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from cdisc_msc.config import StudyConfig, load_config
from cdisc_msc.problems import InputError, ProblemReport
from cdisc_msc.spec.loader import read_spec
from cdisc_msc.spec.model import Spec
from cdisc_msc.staging import staged_directory

PACKAGE_DIRS = ("sdtm", "adam", "report", "build")


class BuildError(Exception):
    """The build stopped; the message says why and where the reports are."""


@dataclass
class StageTimer:
    """Wall time per stage, for the build report and the benchmark."""

    times: dict[str, float] = field(default_factory=dict)
    notify: Callable[[str], None] | None = None

    def run(self, name: str, fn: Callable, *args, **kwargs):
        if self.notify:
            self.notify(name)
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            self.times[name] = self.times.get(name, 0.0) + time.perf_counter() - t0


@dataclass
class Inputs:
    config: StudyConfig
    specs: dict[str, Spec]
    raw: object
    problems: ProblemReport


def load_inputs(raw_dir: Path, specs_dir: Path, timer: StageTimer) -> Inputs:
    """Load and check configuration, both specs and the raw study; collect every problem."""
    from cdisc_msc.raw.readers import load_raw

    config = timer.run("config", load_config, specs_dir / "study.yaml")
    problems = ProblemReport()
    specs: dict[str, Spec] = {}
    for package in ("sdtm", "adam"):
        spec, rep = timer.run(f"spec:{package}", read_spec, specs_dir / package, package)
        problems.extend(rep)
        if spec is not None:
            specs[package] = spec
    raw = timer.run("raw", load_raw, raw_dir, config)
    problems.extend(raw.report)
    return Inputs(config, specs, raw, problems)


def build(raw_dir: str | Path = "fixtures/raw", specs_dir: str | Path = "specs", out_dir: str | Path = "out",
          *, echo: Callable[[str], None] = print, notify: Callable[[str], None] | None = None) -> dict:
    """Run the whole build; returns the build summary (also written to build/)."""
    raw_dir, specs_dir, out_dir = Path(raw_dir), Path(specs_dir), Path(out_dir)
    timer = StageTimer(notify=notify)
    t0 = time.perf_counter()
    with staged_directory(out_dir) as stage:
        for d in PACKAGE_DIRS:
            (stage / d).mkdir()
        inputs = load_inputs(raw_dir, specs_dir, timer)
        inputs.problems.write(stage / "build" / "input_problems.csv")
        if hasattr(inputs.raw, "write_report"):
            inputs.raw.write_report(stage / "build")
        echo(f"inputs: {inputs.problems.summary(limit=15)}")
        if inputs.problems.has_errors or set(inputs.specs) != {"sdtm", "adam"}:
            raise BuildError(
                f"input has errors: nothing built. Reports: {out_dir}.failed/build/input_problems.csv"
            )
        summary = {
            "study": inputs.config.studyid,
            "raw_records": _raw_counts(inputs.raw),
            "stages_seconds": {},
        }
        summary["stages_seconds"] = {k: round(v, 3) for k, v in timer.times.items()}
        summary["total_seconds"] = round(time.perf_counter() - t0, 3)
        (stage / "build" / "build_summary.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return summary


def _raw_counts(raw: object) -> dict[str, int]:
    counts = getattr(raw, "counts", None)
    return dict(counts()) if callable(counts) else {}


__all__ = ["build", "BuildError", "InputError", "load_inputs", "StageTimer"]
