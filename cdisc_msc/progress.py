"""Progress of long commands, and the timing summary of the build report.

The build reports what it is doing through one callback, ``notify(message)``:

* ``"stage:<name>"`` -- a stage starts (sent by ``pipeline.StageTimer``);
* ``"done:<name>"`` -- that stage ended (also when it failed);
* anything else -- a step inside the current stage, usually one dataset
  (``"sdtm:ae"``, ``"adam:adsl"``, ``"write:QS"``).

:class:`TimingRecorder` turns those messages into stage and step times;
:class:`PlainProgress` also prints one line per stage and step (for logs and
pipes), :class:`RichProgress` shows a live line per stage on a terminal.
:func:`progress_for` picks one (or none with ``quiet``).

    >>> rec = TimingRecorder(clock=iter([0.0, 1.0, 1.5, 4.0]).__next__)
    >>> for m in ("stage:sdtm", "sdtm:dm", "sdtm:ae", "done:sdtm"):
    ...     rec(m)
    >>> rec.stages, [(s.stage, s.step, s.seconds) for s in rec.steps]
    ({'sdtm': 4.0}, [('sdtm', 'sdtm:dm', 0.5), ('sdtm', 'sdtm:ae', 2.5)])
"""
from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, TextIO

STAGE, DONE = "stage:", "done:"


@dataclass(frozen=True)
class StepTime:
    stage: str
    step: str
    seconds: float


@dataclass
class TimingRecorder:
    """A ``notify`` callback that records wall time per stage and per step.

    A step lasts until the next step of its stage or the stage's end.
    """

    clock: Callable[[], float] = time.perf_counter
    cpu_clock: Callable[[], float] = time.process_time
    stages: dict[str, float] = field(default_factory=dict)
    cpu_stages: dict[str, float] = field(default_factory=dict)
    """CPU seconds of this process per stage (unlike wall time, not inflated by other load)."""
    steps: list[StepTime] = field(default_factory=list)
    current: str | None = None
    _stage_t0: float = 0.0
    _stage_cpu0: float = 0.0
    _step: str | None = None
    _step_t0: float = 0.0

    def __call__(self, message: str) -> None:
        now = self.clock()
        if message.startswith(STAGE):
            self._close_step(now)
            self.current, self._stage_t0, self._stage_cpu0 = message[len(STAGE):], now, self.cpu_clock()
            self.stage_started(self.current)
        elif message.startswith(DONE):
            name = message[len(DONE):]
            self._close_step(now)
            seconds = now - self._stage_t0 if name == self.current else 0.0
            cpu = self.cpu_clock() - self._stage_cpu0 if name == self.current else 0.0
            self.stages[name] = self.stages.get(name, 0.0) + seconds
            self.cpu_stages[name] = self.cpu_stages.get(name, 0.0) + cpu
            self.current = None
            self.stage_done(name, seconds)
        else:
            self._close_step(now)
            self._step, self._step_t0 = message, now
            self.step_started(self.current or "", message)

    def _close_step(self, now: float) -> None:
        if self._step is not None:
            self.steps.append(StepTime(self.current or "", self._step, now - self._step_t0))
            self._step = None

    # hooks for displays
    def stage_started(self, stage: str) -> None: ...

    def step_started(self, stage: str, step: str) -> None: ...

    def stage_done(self, stage: str, seconds: float) -> None: ...


@dataclass
class PlainProgress(TimingRecorder):
    """One line per stage start, step and stage end, e.g. ``[   3.2 s] sdtm: ae``."""

    stream: TextIO = sys.stderr
    _t0: float | None = None

    def _line(self, text: str) -> None:
        now = self.clock()
        if self._t0 is None:
            self._t0 = now
        print(f"[{now - self._t0:7.1f} s] {text}", file=self.stream, flush=True)

    def stage_started(self, stage: str) -> None:
        self._line(f"{stage} ...")

    def step_started(self, stage: str, step: str) -> None:
        self._line(f"{stage}: {step.split(':', 1)[-1]}")

    def stage_done(self, stage: str, seconds: float) -> None:
        self._line(f"{stage} done in {seconds:.2f} s")


@dataclass
class RichProgress(TimingRecorder):
    """A live line (spinner, stage, current dataset, elapsed) per running stage;
    each finished stage stays on screen with its time."""

    stream: TextIO = sys.stderr
    _progress: object = None
    _task: object = None

    def start(self) -> None:
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        console = Console(file=self.stream)
        self._progress = Progress(SpinnerColumn(), TextColumn("[bold]{task.fields[stage]:<12}"),
                                  TextColumn("{task.description}"), TimeElapsedColumn(),
                                  console=console, transient=True, redirect_stdout=sys.stdout.isatty(),
                                  redirect_stderr=False)
        self._progress.start()

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def stage_started(self, stage: str) -> None:
        if self._progress is not None:
            self._task = self._progress.add_task("", stage=stage)

    def step_started(self, stage: str, step: str) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=step.split(":", 1)[-1])

    def stage_done(self, stage: str, seconds: float) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.remove_task(self._task)
            self._task = None
            self._progress.console.print(f"[green]done[/] {stage:<12} {seconds:8.2f} s", highlight=False)


@contextmanager
def progress_for(quiet: bool = False, stream: TextIO | None = None) -> Iterator[TimingRecorder | None]:
    """The ``notify`` callback for a command: None when ``quiet``, a live rich
    display when ``stream`` (default stderr) is a terminal, plain lines otherwise."""
    stream = sys.stderr if stream is None else stream
    if quiet:
        yield None
        return
    if not (hasattr(stream, "isatty") and stream.isatty()):
        yield PlainProgress(stream=stream)
        return
    display = RichProgress(stream=stream)
    display.start()
    try:
        yield display
    finally:
        display.stop()


def timing_markdown(stages_seconds: dict[str, float], total_seconds: float) -> str:
    """A Markdown table of stage times with each stage's share of the total.

    >>> print(timing_markdown({"sdtm": 1.0, "adam": 3.0}, 4.0))
    | stage | seconds | share |
    |---|---:|---:|
    | sdtm | 1.00 | 25.0 % |
    | adam | 3.00 | 75.0 % |
    | **total** | **4.00** | 100.0 % |
    """
    lines = ["| stage | seconds | share |", "|---|---:|---:|"]
    for name, seconds in stages_seconds.items():
        share = 100.0 * seconds / total_seconds if total_seconds > 0 else 0.0
        lines.append(f"| {name} | {seconds:.2f} | {share:.1f} % |")
    lines.append(f"| **total** | **{total_seconds:.2f}** | 100.0 % |")
    return "\n".join(lines)


def build_report_markdown(summary: dict) -> str:
    """The human-readable build report: datasets, validation and stage timings,
    from the build summary (``build/build_summary.json``)."""
    parts = [f"# Build report: {summary.get('study', '')}", ""]
    datasets = summary.get("datasets", {})
    if datasets:
        parts += ["## Datasets", "", "| package | dataset | records |", "|---|---|---:|"]
        parts += [f"| {pkg} | {name} | {n:,} |" for pkg, ds in datasets.items() for name, n in ds.items()]
        parts.append("")
    if "validation" in summary:
        counts = ", ".join(f"{n} {sev}" for sev, n in sorted(summary["validation"].items())) or "no issues"
        parts += ["## Validation", "", counts, ""]
    parts += ["## Timing", "", timing_markdown(summary.get("stages_seconds", {}), summary.get("total_seconds", 0.0)),
              ""]
    return "\n".join(parts)


def write_build_report(summary: dict, path: str | Path) -> Path:
    """Write :func:`build_report_markdown` to ``path`` (``build/build_report.md``)."""
    path = Path(path)
    path.write_text(build_report_markdown(summary), encoding="utf-8")
    return path


__all__ = ["TimingRecorder", "PlainProgress", "RichProgress", "StepTime", "progress_for",
           "timing_markdown", "build_report_markdown", "write_build_report"]
