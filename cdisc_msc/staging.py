"""Atomic output: a run writes into a staging folder beside the target and
moves it into place only when everything succeeded, so a failed run never
leaves a half-written package (the previous package stays as it was)."""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def staged_directory(target: str | Path, failed_suffix: str = ".failed") -> Iterator[Path]:
    """Yield an empty staging folder; on success it replaces ``target``.

    On an exception the staging folder is kept as ``<target>.failed`` (so the
    problem reports in it can be read) and ``target`` is left untouched.
    """
    target = Path(target).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
    try:
        yield stage
    except BaseException:
        failed = target.with_name(target.name + failed_suffix)
        shutil.rmtree(failed, ignore_errors=True)
        os.replace(stage, failed)
        raise
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
    os.replace(stage, target)
    shutil.rmtree(target.with_name(target.name + failed_suffix), ignore_errors=True)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write a file via a temporary sibling and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
