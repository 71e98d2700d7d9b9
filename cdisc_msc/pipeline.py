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
from cdisc_msc.memory import return_free_memory
from cdisc_msc.problems import InputError, ProblemReport
from cdisc_msc.progress import write_build_report
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
        """Time ``fn``; tell ``notify`` ``stage:<name>`` before and ``done:<name>`` after (see progress.py)."""
        if self.notify:
            self.notify(f"stage:{name}")
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            self.times[name] = self.times.get(name, 0.0) + time.perf_counter() - t0
            if self.notify:
                self.notify(f"done:{name}")


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
        sdtm, accounting = timer.run("sdtm", build_sdtm_stage, inputs, notify)
        accounting.write(stage / "build")
        balance = accounting.reconcile(inputs.raw.counts())
        balance.to_csv(stage / "build" / "record_reconciliation.csv", index=False, lineterminator="\n")
        if not balance["balanced"].all():
            off = balance.loc[~balance["balanced"], "form"].tolist()
            raise BuildError(f"raw records unaccounted for in form(s) {', '.join(off)}: "
                             f"see {out_dir}.failed/build/record_reconciliation.csv")
        raw_records = _raw_counts(inputs.raw)
        inputs.raw = None  # the raw forms are mapped: release them
        # Frame lifetimes (memory): each package is written (XPT, Dataset-JSON,
        # define) as soon as it is built; the SDTM frames live until ADaM is
        # derived from them, the ADaM frames until they are written. Only the
        # record counts outlive the writing; validation and the report read
        # the written package.
        written = [write_package("sdtm", sdtm, inputs, stage, timer, notify)]
        adam = timer.run("adam", build_adam_stage, inputs, sdtm, notify)
        del sdtm
        return_free_memory()
        written.append(write_package("adam", adam, inputs, stage, timer, notify))
        del adam
        return_free_memory()
        changes = [w.transliterations for w in written]
        counts = {w.package: w.counts for w in written}
        define_problems = ProblemReport()
        for w in written:
            define_problems.extend(w.define_problems)
        write_transliterations(changes, stage / "build" / "transliterations.csv")
        define_problems.write(stage / "build" / "define_problems.csv")
        if define_problems.has_errors:
            echo(f"define.xml: {define_problems.summary(limit=15)}")
            raise BuildError(f"define.xml is not valid: see {out_dir}.failed/build/define_problems.csv")
        validation = timer.run("validate", validate_stage, stage, inputs.config, out_dir.resolve())
        return_free_memory()  # the validator's datasets are released: the report starts (and forks) lean
        echo(validation.summary())
        timer.run("report", report_stage, stage, inputs.config)
        summary = {
            "study": inputs.config.studyid,
            "raw_records": raw_records,
            "datasets": counts,
            "transliterated_values": int(sum(len(c) for c in changes)),
            "unmapped_raw_records": len(accounting.unmapped),
            "validation": validation_counts(validation),
            "exit_code": validation.exit_code,
        }
        summary["stages_seconds"] = {k: round(v, 3) for k, v in timer.times.items()}
        summary["total_seconds"] = round(time.perf_counter() - t0, 3)
        (stage / "build" / "build_summary.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
        write_build_report(summary, stage / "build" / "build_report.md")
    return summary


@dataclass
class PackageWritten:
    """What writing one package leaves for the build report: its values changed to ASCII, the
    problems of its define.xml and its record count per dataset."""

    package: str
    transliterations: object
    define_problems: ProblemReport
    counts: dict[str, int]


def write_package(package: str, frames: dict, inputs: Inputs, stage: Path, timer: StageTimer,
                  notify: Callable[[str], None] | None) -> PackageWritten:
    """Write one package's datasets (XPT, Dataset-JSON) and define files. The written (ASCII) frames
    are released on return; only what the build report needs is kept."""
    contents, translit = timer.run(f"write:{package}", write_datasets, frames, inputs.specs[package],
                                   inputs.config, stage / package, notify)
    problems = timer.run(f"define:{package}", write_define_files, inputs.specs[package],
                         inputs.config, contents, stage / package)
    return PackageWritten(package, translit, problems,
                          {name: len(f) for name, f in sorted(frames.items())})


def build_sdtm_stage(inputs: Inputs, notify: Callable[[str], None] | None = None):
    from cdisc_msc.sdtm.build import build_sdtm

    return build_sdtm(inputs.config, inputs.specs["sdtm"], inputs.raw,
                      progress=(lambda d: notify(f"sdtm:{d}")) if notify else None)


def build_adam_stage(inputs: Inputs, sdtm: dict, notify: Callable[[str], None] | None = None):
    from cdisc_msc.adam.build import build_adam

    # consume: each SDTM frame is released after its last ADaM reader (the build keeps them only for ADaM)
    return build_adam(inputs.config, inputs.specs["adam"], sdtm,
                      progress=(lambda d: notify(f"adam:{d}")) if notify else None, consume=True)


WRITER_THREADS = 2
"""Datasets written at once. numpy and pandas release the GIL in the bulk of the work on large
datasets (gathers, factorisation of numbers and pointers, file writes), so two of them use both
cores (ADaM at 1,000 subjects: 1.2 s CPU in 0.75 s); many small datasets (most of SDTM) are
mostly Python work under the GIL and gain little (bench/README.md, fourth round)."""


def write_dataset(name: str, frame, spec: Spec, config: StudyConfig, folder: Path):
    """Write one dataset as ``<name>.xpt`` and ``json/<name>.json`` (text transliterated to ASCII first).

    Returns the dataset as written (``DatasetContent``: its ASCII frame, XPT metadata and column
    cache, what define.xml is made from) and its transliterations.
    """
    from cdisc_msc.io.columns import FrameColumns
    from cdisc_msc.io.datasetjson import write_dataset_json
    from cdisc_msc.io.meta import DatasetContent, from_spec
    from cdisc_msc.io.text import transliterate_frame, transliterated_columns
    from cdisc_msc.io.xpt import write_xpt

    stamp = config.creation_datetime
    columns = FrameColumns(frame)  # each column factorised once for the writers and define.xml
    ascii_frame, changed = transliterate_frame(frame, name, columns)
    columns = transliterated_columns(columns, ascii_frame, changed)
    meta = from_spec(spec.dataset(name), ascii_frame, created=stamp, modified=stamp, columns=columns)
    write_xpt(ascii_frame, meta, folder, columns=columns)
    write_dataset_json(ascii_frame, meta, folder / "json", study_oid=f"STUDY.{config.studyid}",
                       metadata_version_oid=f"MDV.{config.studyid}.{spec.package.upper()}",
                       creation_datetime=stamp, db_last_modified=stamp,
                       originator=config.sponsor, item_oid_prefix="IT", frame_columns=columns)
    return DatasetContent(ascii_frame, meta, columns), changed


def write_datasets(frames: dict, spec: Spec, config: StudyConfig, folder: Path,
                   notify: Callable[[str], None] | None = None):
    """Write each dataset as ``<name>.xpt`` and ``json/<name>.json`` from its spec.

    Text is transliterated to ASCII first (listed), so both formats carry the
    same values. Returns each dataset as written (``DatasetContent``) and the
    changes.

    ``WRITER_THREADS`` datasets are written at once, the largest first; each
    writes its own files, and the results are gathered by name, so the output
    does not depend on the order they finish in. A step (``write:<name>``) is
    notified when its dataset starts. When a dataset fails, the datasets not
    started are skipped, the ones running finish, and the error of the first
    failed dataset by name is raised.
    """
    import threading
    from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

    import pandas as pd

    from cdisc_msc.io.text import CHANGE_COLUMNS

    (folder / "json").mkdir(parents=True, exist_ok=True)
    lock = threading.Lock()  # notify is not thread-safe
    stop = threading.Event()  # set by the first dataset that fails: the ones not started are skipped

    def job(name: str):
        if stop.is_set():
            return None
        try:
            if notify:
                with lock:
                    notify(f"write:{name}")
            return write_dataset(name, frames[name], spec, config, folder)
        except BaseException:
            stop.set()
            raise

    largest_first = sorted(frames, key=lambda n: (-frames[n].size, n))
    with ThreadPoolExecutor(WRITER_THREADS, thread_name_prefix="write-dataset") as pool:
        futures = {name: pool.submit(job, name) for name in largest_first}
        try:
            wait(futures.values(), return_when=FIRST_EXCEPTION)
        except BaseException:  # e.g. Ctrl-C in this thread: start nothing more
            stop.set()
            pool.shutdown(cancel_futures=True)
            raise
        pool.shutdown(cancel_futures=True)  # waits for the ones running
    failed = [name for name in sorted(futures)
              if not futures[name].cancelled() and futures[name].exception() is not None]
    if failed:
        raise futures[failed[0]].exception()
    written = {name: futures[name].result() for name in sorted(frames)}
    contents = {name: content for name, (content, _) in written.items()}
    changes = [changed for _, changed in written.values() if len(changed)]
    return contents, (pd.concat(changes, ignore_index=True) if changes else pd.DataFrame(columns=CHANGE_COLUMNS))


def write_define_files(spec: Spec, config: StudyConfig, contents: dict, folder: Path) -> ProblemReport:
    """define.xml from the spec and the datasets as written (``write_datasets``), its schema check,
    and define.html."""
    from cdisc_msc.define.html import render_define_html
    from cdisc_msc.define.schema import validate_define
    from cdisc_msc.define.xml import define_xml, write_define

    xml = define_xml(spec, config, contents)
    path = write_define(folder / "define.xml", xml)
    report = ProblemReport(validate_define(xml, name=str(path)))
    (folder / "define.html").write_text(render_define_html(xml), encoding="utf-8")
    return report


def validate_stage(stage: Path, config: StudyConfig, shown_as: Path | None = None):
    """Run the conformance validator on the staged package; reports go to build/.

    ``shown_as``: the package folder the reports name instead of the staging
    folder (which is renamed into place when the build succeeds).
    """
    from cdisc_msc.validate import validate_package

    result = validate_package(stage, config=config, shown_as=shown_as)
    (stage / "build" / "validation.json").write_text(result.to_json(), encoding="utf-8")
    (stage / "build" / "validation.html").write_text(result.to_html(), encoding="utf-8")
    return result


def validation_counts(result) -> dict[str, int]:
    counts: dict[str, int] = {}
    for issue in result.issues:
        counts[issue.severity] = counts.get(issue.severity, 0) + 1
    return counts


def report_stage(stage: Path, config: StudyConfig) -> Path:
    """The registry's outcome results, from the staged ADaM folder only."""
    from cdisc_msc.report import write_report

    return write_report(stage / "adam", stage / "report", config)


def write_transliterations(changes: list, path: Path) -> None:
    import pandas as pd

    from cdisc_msc.io.text import CHANGE_COLUMNS

    nonempty = [c for c in changes if len(c)]
    frame = pd.concat(nonempty, ignore_index=True) if nonempty else pd.DataFrame(columns=CHANGE_COLUMNS)
    frame.to_csv(path, index=False, lineterminator="\n")


def _raw_counts(raw: object) -> dict[str, int]:
    counts = getattr(raw, "counts", None)
    return dict(counts()) if callable(counts) else {}


__all__ = ["build", "BuildError", "InputError", "load_inputs", "StageTimer"]
