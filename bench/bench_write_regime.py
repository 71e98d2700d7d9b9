"""How fast the same bytes are written, depending on how long ago memory was freed.

Why the I/O floor of ``bench_pipeline.py`` waits before each pass: on this VM
(free page reporting, DAMON) page-cache pages taken from memory freed a moment
ago are reused at memory speed, while memory freed 3 s or more before costs
about ten times more, presumably because the guest has handed it back to the
host (the mechanism is not verified; the threshold is what this measures). The script writes
``--mb`` megabytes of files, deletes them, flushes, waits ``pause`` seconds and
writes the same bytes again, for each pause; it prints seconds and MB/s.

    .venv/bin/python bench/bench_write_regime.py [--mb 280] [--pauses 0 1 2 3 5 8] [--dir DIR]
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

CHUNK = 4 << 20
FILES = 10


def write_files(folder: Path, chunk: bytes, chunks_per_file: int) -> float:
    """Seconds to write ``FILES`` files of ``chunks_per_file`` chunks each."""
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    for f in range(FILES):
        with open(folder / f"f{f}", "wb") as fh:
            for _ in range(chunks_per_file):
                fh.write(chunk)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=280)
    ap.add_argument("--pauses", type=float, nargs="+", default=[0, 1, 2, 3, 5, 8])
    ap.add_argument("--dir", type=Path, default=None, help="scratch folder on the file system to test")
    args = ap.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="write_regime_", dir=args.dir))
    chunk = os.urandom(CHUNK)
    per_file = max(1, args.mb * 2 ** 20 // CHUNK // FILES)
    size_mb = per_file * FILES * CHUNK / 1e6
    try:
        write_files(scratch / "w", chunk, per_file)  # something to free before the first pause
        print(f"| pause after freeing {size_mb:,.0f} MB of files | write {size_mb:,.0f} MB: s | MB/s |")
        print("|---:|---:|---:|")
        for pause in args.pauses:
            shutil.rmtree(scratch / "w")
            os.sync()
            time.sleep(pause)
            seconds = write_files(scratch / "w", chunk, per_file)
            print(f"| {pause:g} s | {seconds:.3f} | {size_mb / seconds:,.0f} |", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
