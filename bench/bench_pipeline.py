"""Benchmark: the whole build at 1,000 and 10,000 simulated subjects.

For each size: simulate a raw study (``cdisc_msc.simulate``), run
``pipeline.build`` on it ``--repeat`` times, each in a fresh child process
(wall time per stage and per dataset, CPU time and peak resident memory of
that process), then measure the I/O floor of what the writing stages wrote.
Prints one table and writes it as JSON.

    .venv/bin/python bench/bench_pipeline.py [--sizes 1000 10000] [--seed 1] [--repeat 3]
                                             [--work DIR] [--json FILE] [--keep]

Each size is built ``--repeat`` times (default 3), each build in a fresh process; every
figure is the median over the builds that finished (peak memory: the largest), and the
time, memory and writing-stage goal lines give each build's own figure too. A failed
build ends the repeats of its size and is noted under the goals.

I/O floor (see bench/README.md): for every file the build wrote, the same
bytes, read into memory beforehand, written to a new file in a scratch folder
on the same file system with one ``open``/``write``/``close`` (no fsync,
as the build). The floor of a stage is the sum over the files it wrote; the
median of ``FLOOR_REPEATS`` passes (each pass is kept in the JSON, with its CPU
seconds).

Same starting state for the build and the floor: ``os.sync()`` runs before each
writing stage of the build (outside its timing) and before each floor pass, so
neither inherits dirty pages of earlier writes. On this VM the cost of a write
depends on where its page-cache pages come from: memory freed a second ago is
reused at memory speed, memory freed 3 s or more ago costs about ten times more
(``bench_write_regime.py``). Each floor pass waits ``FLOOR_SETTLE_SECONDS`` after
the build's exit or the previous pass freed its memory (the "settled" floor, the
one the goal line uses); one more pass runs straight after a pass freed its
files (the "recycled" floor). The build writes somewhere in between (it frees
memory too: heap trimming before write:adam, the writers' temporaries), so
neither is a strict floor: both ratios are printed, and the build's kernel CPU
in each writing stage as a cross-check.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable

GOAL_SECONDS = 60.0
GOAL_RSS_GB = 4.0
GOAL_GROWTH = 11.0
GOAL_WRITE_FLOOR = 3.0

# the files each writing stage writes (relative to the package root)
WRITE_STAGES = {
    "write:sdtm": ("sdtm/*.xpt", "sdtm/json/*.json"),
    "write:adam": ("adam/*.xpt", "adam/json/*.json"),
}


# ---------------------------------------------------------------- child side
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _descendants(pid: int) -> list[int]:
    """Processes started by ``pid`` and theirs (Linux /proc; empty elsewhere)."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                kids = [int(k) for k in (task / "children").read_text().split()]
            except OSError:
                continue
            found += kids
            todo += kids
    return found


def _resident_bytes(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


class TreeMemory:
    """Peak resident memory of this process plus the processes it starts (the report draws its figures in
    a forked child), sampled every ``interval`` seconds on a daemon thread. Resident sizes are summed, so
    pages a forked child still shares with its parent count twice: an upper bound, never an undercount."""

    def __init__(self, interval: float = 0.05) -> None:
        import threading

        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)

    def _run(self, interval: float) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            total = _resident_bytes(me) + sum(_resident_bytes(p) for p in _descendants(me))
            self.peak = max(self.peak, total)
            self._stop.wait(interval)

    def __enter__(self) -> "TreeMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def child(raw: Path, out: Path, result: Path) -> int:
    """Run one build in this process and write its timings to ``result``."""
    sys.path.insert(0, str(ROOT))
    from cdisc_msc.pipeline import build
    from cdisc_msc.progress import TimingRecorder

    import resource

    class Recorder(TimingRecorder):
        """Also the process's peak RSS so far at the end of each stage (which stage set the peak);
        dirty pages are flushed before a writing stage starts (not timed), as before a floor pass."""

        def __call__(self, message: str) -> None:
            if message.startswith("stage:") and message[len("stage:"):] in WRITE_STAGES:
                os.sync()
            super().__call__(message)

        def stage_started(self, stage: str) -> None:
            system0[stage] = os.times().system

        def stage_done(self, stage: str, seconds: float) -> None:
            peak_mb[stage] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
            sys_stages[stage] = sys_stages.get(stage, 0.0) + os.times().system - system0.pop(stage, 0.0)

    peak_mb: dict[str, float] = {}
    system0: dict[str, float] = {}
    sys_stages: dict[str, float] = {}  # kernel CPU per stage (for a writing stage: mostly its write() calls)
    rec = Recorder()
    t0 = time.perf_counter()
    status, error, summary = "ok", None, {}
    with TreeMemory() as tree:
        try:
            summary = build(raw, ROOT / "specs", out, echo=lambda _m: None, notify=rec)
        except Exception as exc:  # bench what runs: keep the stages that finished
            status, error = "failed", f"{type(exc).__name__}: {exc}"
        total = time.perf_counter() - t0
    payload = {
        "status": status, "error": error, "total_seconds": total,
        "peak_tree_rss_mb": tree.peak / 2 ** 20,
        "stages": rec.stages, "cpu_stages": rec.cpu_stages, "sys_stages": sys_stages,
        "peak_rss_mb_after_stage": peak_mb,
        "steps": [{"stage": s.stage, "step": s.step, "seconds": s.seconds} for s in rec.steps],
        "datasets": summary.get("datasets", {}),
        "validation": summary.get("validation", {}),
    }
    result.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    return 0


# ---------------------------------------------------------------- parent side
def run_child(args: list[str]) -> tuple[int, dict]:
    """Run a child Python process; its exit status and its own resource usage."""
    proc = subprocess.Popen([PY, *args], cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, {
        "peak_rss_mb": usage.ru_maxrss / 1024.0,  # kB on Linux
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
    }


FLOOR_REPEATS = 5
"""The settled floor is measured this many times and the median taken: CPU contention on a shared
machine moves one pass by tens of per cent, and even after the pause a pass sometimes lands in
warm memory (147 MB in 0.10-0.13 s against 0.2-0.33 s usually, bench/README.md fourth round);
with three passes two such passes made the median."""

FLOOR_SETTLE_SECONDS = 5.0
"""Pause before a settled floor pass, after dirty pages are flushed. Measured on this VM
(``bench_write_regime.py``, bench/README.md): writing 294 MB takes 0.06-0.07 s within a second of
freeing 294 MB of files, 0.43 s after 2 s and 0.6-0.7 s after 3-10 s."""


def io_floor_once(package: Path, scratch: Path, patterns: tuple[str, ...],
                  settle: float = FLOOR_SETTLE_SECONDS) -> tuple[float, float, int, int]:
    """Wall and CPU seconds to write the same bytes as the files matching ``patterns`` (one pass),
    bytes, files. Dirty pages are flushed first and memory freed before is left ``settle`` seconds to
    be handed back; the files written are kept until the pass ends."""
    scratch.mkdir(parents=True, exist_ok=True)
    seconds, cpu, nbytes, nfiles = 0.0, 0.0, 0, 0
    written: list[Path] = []
    sources = [path for pattern in patterns for path in sorted(p for p in package.glob(pattern) if p.is_file())]
    os.sync()
    time.sleep(settle)
    try:
        for path in sources:
            data = path.read_bytes()  # not timed
            target = scratch / f"{nfiles}.{path.name}"
            t0, c0 = time.perf_counter(), time.process_time()
            with open(target, "wb") as fh:
                fh.write(data)
            seconds += time.perf_counter() - t0
            cpu += time.process_time() - c0
            written.append(target)
            nbytes += len(data)
            nfiles += 1
            del data
    finally:
        for target in written:
            target.unlink()
    return seconds, cpu, nbytes, nfiles


def io_floor(package: Path, scratch: Path, patterns: tuple[str, ...],
             repeats: int = FLOOR_REPEATS) -> dict:
    """The median wall and CPU seconds over ``repeats`` settled passes of ``io_floor_once``, bytes,
    files, every pass's seconds, and one recycled pass (run at once after the last pass freed its files)."""
    passes = [io_floor_once(package, scratch, patterns) for _ in range(repeats)]
    recycled = io_floor_once(package, scratch, patterns, settle=0.0)
    return {"floor_seconds": statistics.median(p[0] for p in passes),
            "floor_cpu_seconds": statistics.median(p[1] for p in passes),
            "bytes": passes[0][2], "files": passes[0][3],
            "passes": [p[0] for p in passes], "cpu_passes": [p[1] for p in passes],
            "recycled_floor_seconds": recycled[0]}


REPEATS = 3
"""Builds per size. Every figure of a size is the median over its builds (peak memory: the largest):
one build's writing stage moves by tens of per cent with what else the machine and the VM's memory
are doing, so a single run can land on either side of a goal that the typical run meets."""

RUN_FIGURES = ("stages", "cpu_stages", "sys_stages")


def _median_run(runs: list[dict]) -> dict:
    """One result standing for ``runs`` of the same size. Over the builds that finished (all of them
    when none did): per stage the median wall, CPU and kernel seconds, the median total and CPU, the
    largest peak memory, and the steps and per-stage peaks of the build with the median total (the
    lower of the two middle ones for an even count). ``status`` is "failed" when any build failed,
    with each failure in ``error``; every build's own figures are under ``runs``.

    >>> r = _median_run([{"total_seconds": t, "cpu_seconds": t, "peak_rss_mb": m, "stages": {"a": t},
    ...                   "status": "ok"} for t, m in ((3.0, 5), (1.0, 9), (2.0, 7))])
    >>> r["total_seconds"], r["stages"], r["peak_rss_mb"], [x["total_seconds"] for x in r["runs"]]
    (2.0, {'a': 2.0}, 9, [3.0, 1.0, 2.0])
    >>> r = _median_run([{"total_seconds": 9.0, "status": "ok"}, {"total_seconds": 1.0, "status": "failed",
    ...                  "error": "exit -9"}])
    >>> r["total_seconds"], r["status"], r["error"]
    (9.0, 'failed', 'build 2: exit -9')
    """
    finished = [r for r in runs if r["status"] == "ok"] or runs
    middle = sorted(finished, key=lambda r: r["total_seconds"])[(len(finished) - 1) // 2]
    merged = dict(middle)
    for key in RUN_FIGURES:
        names = [s for r in finished for s in r.get(key, {})]
        merged[key] = {s: statistics.median(r[key][s] for r in finished if s in r.get(key, {}))
                       for s in dict.fromkeys(names)}
    for key in ("total_seconds", "cpu_seconds"):
        merged[key] = statistics.median(r.get(key, 0.0) for r in finished)
    for key in ("peak_rss_mb", "peak_rss_mb_process", "peak_tree_rss_mb"):
        merged[key] = max(r.get(key, 0.0) for r in runs)
    failures = [f"build {i}: {r.get('error')}" for i, r in enumerate(runs, 1) if r["status"] != "ok"]
    merged["status"], merged["error"] = ("failed", "; ".join(failures)) if failures else ("ok", None)
    merged["runs"] = [{k: r.get(k) for k in ("status", "error", "total_seconds", "cpu_seconds", "peak_rss_mb",
                                              *RUN_FIGURES)} for r in runs]
    return merged


def bench_size(n: int, seed: int, work: Path, repeats: int = REPEATS) -> dict:
    """Simulate ``n`` subjects (unless ``work`` has them), build them up to ``repeats`` times, each in a
    fresh process (a failed build ends the repeats), then measure the I/O floor of the last build's
    files (the builds write the same bytes) for the writing stages it finished."""
    raw, out, result = work / f"raw{n}", work / f"out{n}", work / f"result{n}.json"
    if not (raw / "dm.csv").exists():
        t0 = time.perf_counter()
        rc, _ = run_child(["-m", "cdisc_msc.cli", "simulate", "--subjects", str(n), "--seed", str(seed),
                           "--out", str(raw)])
        if rc:
            raise SystemExit(f"simulate {n} failed")
        print(f"simulated {n} subjects in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    runs = []
    for _ in range(repeats):
        for p in (out, Path(f"{out}.failed")):
            shutil.rmtree(p, ignore_errors=True)
        result.unlink(missing_ok=True)  # a build killed before writing its result must not reuse the last one
        load0 = os.getloadavg()[0]
        rc, usage = run_child([str(Path(__file__).resolve()), "--child", str(raw), str(out), str(result)])
        built = json.loads(result.read_text(encoding="utf-8")) if result.exists() else {
            "status": "failed", "error": f"the build process exited with {rc} before writing its result",
            "total_seconds": 0.0, "stages": {}}
        if rc and built["status"] == "ok":
            built.update(status="failed", error=f"the build process exited with {rc}")
        # peak memory: the build process's own peak (ru_maxrss) or, when larger, the sampled sum over it and the
        # processes it started (a forked child's peak is not part of its parent's ru_maxrss)
        usage["peak_rss_mb_process"] = usage["peak_rss_mb"]
        usage["peak_rss_mb"] = max(usage["peak_rss_mb"], built.get("peak_tree_rss_mb", 0.0))
        runs.append({"subjects": n, "exit_code": rc, "load_avg_1min_before": load0, **usage, **built})
        if built["status"] != "ok":
            break
    merged = _median_run(runs)
    package = out if out.exists() else Path(f"{out}.failed")
    floors = {}
    for stage, patterns in WRITE_STAGES.items():
        if stage in runs[-1]["stages"]:  # the stage finished in the build whose files are there
            floors[stage] = io_floor(package, work / "floor", patterns)
    floors["package"] = (io_floor(package, work / "floor", ("**/*",)) if package.exists() else
                         {"floor_seconds": 0.0, "floor_cpu_seconds": 0.0, "bytes": 0, "files": 0, "passes": []})
    merged["io_floor"] = floors
    return merged


def fmt_table(results: list[dict]) -> str:
    """The bench table: stages as rows; per size wall seconds, CPU seconds and share of the total wall time."""
    sizes = [r["subjects"] for r in results]
    two = len(results) == 2
    stages: list[str] = []
    for r in results:
        stages += [s for s in r["stages"] if s not in stages]
    head = "| stage | " + " | ".join(f"{n:,} wall s | CPU s | share" for n in sizes)
    head += f" | wall x{sizes[1] // sizes[0]} | CPU x{sizes[1] // sizes[0]}" if two else ""
    lines = [head + " |", "|---" + "|---:|---:|---:" * len(sizes) + ("|---:|---:" if two else "") + "|"]

    def ratio(a: float | None, b: float | None) -> str:
        return f"{b / a:.1f}" if a and b else "-"

    for s in stages:
        cells = []
        for r in results:
            t, c = r["stages"].get(s), r.get("cpu_stages", {}).get(s)
            cells.append("- | - | -" if t is None else
                         f"{t:.2f} | {c:.2f} | {100 * t / r['total_seconds']:.1f} %" if c is not None else
                         f"{t:.2f} | - | {100 * t / r['total_seconds']:.1f} %")
        row = f"| {s} | " + " | ".join(cells)
        if two:
            a, b = results
            row += f" | {ratio(a['stages'].get(s), b['stages'].get(s))}"
            row += f" | {ratio(a.get('cpu_stages', {}).get(s), b.get('cpu_stages', {}).get(s))}"
        lines.append(row + " |")
    cells = [f"**{r['total_seconds']:.2f}** | **{r['cpu_seconds']:.2f}** | 100 %" for r in results]
    row = "| **total** (CPU: whole process) | " + " | ".join(cells)
    if two:
        row += f" | {ratio(results[0]['total_seconds'], results[1]['total_seconds'])}"
        row += f" | {ratio(results[0]['cpu_seconds'], results[1]['cpu_seconds'])}"
    lines.append(row + " |")
    lines.append("| **peak RSS MB** | " + " | ".join(f"**{r['peak_rss_mb']:,.0f}** | | " for r in results)
                 + (f" | {ratio(results[0]['peak_rss_mb'], results[1]['peak_rss_mb'])} | " if two else "") + " |")
    out = ["\n".join(lines), ""]
    # writing stages against the I/O floor
    out.append("| writing stage | " + " | ".join(f"{n:,}: wall s / settled floor s (MB written) = ratio; "
                                                 "recycled floor; kernel CPU of the stage" for n in sizes) + " |")
    out.append("|---" + "|---" * len(sizes) + "|")
    for s in [*WRITE_STAGES, "package"]:
        cells = []
        for r in results:
            f = r["io_floor"].get(s)
            t = r["stages"].get(s) if s != "package" else None
            if f is None:
                cells.append("-")
            elif t is None:
                cells.append(f"floor {f['floor_seconds']:.2f} ({f['bytes'] / 1e6:,.0f} MB, {f['files']} files)"
                             + _recycled(f))
            else:
                kernel = r.get("sys_stages", {}).get(s)
                cells.append(f"{t:.2f} / {f['floor_seconds']:.2f} ({f['bytes'] / 1e6:,.0f}) = "
                             f"{t / max(f['floor_seconds'], 1e-9):.1f}x" + _cpu_ratio(r, s) + _recycled(f)
                             + ("" if kernel is None else f"; kernel {kernel:.2f} s"))
        out.append(f"| {s} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def _recycled(floor: dict) -> str:
    """``; recycled s = rx``: the floor when the memory was just freed, and the settled floor over it."""
    r = floor.get("recycled_floor_seconds")
    return f"; recycled {r:.2f} s ({floor['floor_seconds'] / max(r, 1e-9):.1f}x faster)" if r else ""


def _cpu_ratio(result: dict, stage: str) -> str:
    """``; CPU a / b = rx``: the stage's CPU over its floor's CPU (less sensitive to other load than wall)."""
    cpu, floor = result.get("cpu_stages", {}).get(stage), result["io_floor"][stage].get("floor_cpu_seconds")
    return f"; CPU {cpu:.2f} / {floor:.2f} = {cpu / max(floor, 1e-9):.1f}x" if cpu is not None and floor else ""


def _each_run(result: dict, figure: Callable[[dict], str]) -> str:
    """``; each build: a, b, c``, each build's ``figure`` ("failed" for a build that did not finish),
    when the size was built more than once."""
    runs = result.get("runs", [])
    shown = [figure(run) if run["status"] == "ok" else "failed" for run in runs]
    return f"; each build: {', '.join(shown)}" if len(runs) > 1 else ""


def goals(results: list[dict]) -> list[str]:
    """The issue's goals, PASS/FAIL each."""
    by_n = {r["subjects"]: r for r in results}
    lines = []
    big = by_n.get(max(by_n))
    finished = big["status"] == "ok"  # a failed build fails the time goal, whatever the others took
    fast = finished and big["total_seconds"] < GOAL_SECONDS
    lines.append(f"{'PASS' if fast else 'FAIL'}: {big['subjects']:,} subjects "
                 f"end to end {big['total_seconds']:.1f} s (goal < {GOAL_SECONDS:.0f} s)"
                 + _each_run(big, lambda run: f"{run['total_seconds']:.1f} s"))
    lines.append(f"{'PASS' if big['peak_rss_mb'] < GOAL_RSS_GB * 1024 else 'FAIL'}: peak memory "
                 f"{big['peak_rss_mb'] / 1024:.2f} GB (goal < {GOAL_RSS_GB:.0f} GB)"
                 + _each_run(big, lambda run: f"{run['peak_rss_mb'] / 1024:.2f} GB"))
    if len(results) >= 2:
        a, b = results[0], results[-1]
        g = b["total_seconds"] / a["total_seconds"]
        lines.append(f"{'PASS' if g <= GOAL_GROWTH else 'FAIL'}: growth {b['subjects']:,}/{a['subjects']:,} = "
                     f"{g:.1f}x wall, {b['cpu_seconds'] / a['cpu_seconds']:.1f}x CPU (goal <= {GOAL_GROWTH:.0f}x)")
    for r in results:
        for s in WRITE_STAGES:
            if s in r["stages"] and s in r["io_floor"]:
                floor = r["io_floor"][s]
                ratio = r["stages"][s] / max(floor["floor_seconds"], 1e-9)
                recycled = r["stages"][s] / max(floor.get("recycled_floor_seconds") or 1e-9, 1e-9)
                lines.append(f"{'PASS' if ratio <= GOAL_WRITE_FLOOR else 'FAIL'}: {r['subjects']:,} {s} "
                             f"{ratio:.1f}x its settled I/O floor (goal <= {GOAL_WRITE_FLOOR:.0f}x)" + _cpu_ratio(r, s)
                             + f"; {recycled:.1f}x its recycled floor"
                             + _each_run(r, lambda run, s=s, low=max(floor["floor_seconds"], 1e-9):
                                         f"{run['stages'].get(s, float('nan')) / low:.1f}x")
                             + ("; below 1x: the build wrote faster than the settled floor, which is then no floor"
                                if ratio < 1 else ""))
    for r in results:
        if r["status"] != "ok":
            lines.append(f"NOTE: {r['subjects']:,} build did not finish: {r['error']}")
        elif r.get("validation"):
            lines.append(f"NOTE: {r['subjects']:,} validation: {r['validation']}")
    return lines


def slowest_steps(results: list[dict], k: int = 12) -> str:
    r = results[-1]
    steps = sorted(r["steps"], key=lambda s: -s["seconds"])[:k]
    return "\n".join(f"  {s['seconds']:7.2f} s  {s['step']}" for s in steps)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", type=Path, default=None, help="work folder (default: a temporary one)")
    ap.add_argument("--json", type=Path, default=None, help="results JSON (default: <work>/bench_pipeline.json)")
    ap.add_argument("--repeat", type=int, default=REPEATS,
                    help=f"builds per size; figures are medians over them (default {REPEATS})")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--child", nargs=3, type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child(*args.child)
    work = args.work or Path(tempfile.mkdtemp(prefix="bench_pipeline_"))
    work.mkdir(parents=True, exist_ok=True)
    results = [bench_size(n, args.seed, work, max(args.repeat, 1)) for n in sorted(args.sizes)]
    table = fmt_table(results)
    verdict = goals(results)
    builds = {len(r.get('runs', [])) or 1 for r in results}
    print(f"median of {', '.join(map(str, sorted(builds)))} build(s) per size; peak memory: the largest")
    print(table)
    print()
    print("\n".join(verdict))
    print(f"\nslowest datasets at {results[-1]['subjects']:,} subjects:\n{slowest_steps(results)}")
    for r in results:
        peaks = ", ".join(f"{k} {v:,.0f}" for k, v in r.get("peak_rss_mb_after_stage", {}).items())
        print(f"\npeak RSS MB so far after each stage, {r['subjects']:,} subjects: {peaks}")
    machine = {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    path = args.json or work / "bench_pipeline.json"
    path.write_text(json.dumps({"machine": machine, "results": results, "table": table, "goals": verdict},
                               indent=1), encoding="utf-8")
    print(f"\nwrote {path}")
    if not args.keep and args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
