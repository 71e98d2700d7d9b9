"""Run one piece of the report in a forked process while the parent goes on (issue 9: the figures, drawn by
matplotlib from the datasets alone, overlap the tables on a second core).

The child inherits the parent's memory by ``fork`` (nothing is pickled on the way in: the datasets are
shared copy-on-write); only the result (PNG bytes) is pickled back through a pipe. Where ``fork`` is not
available, the work runs in the parent when its result is asked for (same result, no overlap).

>>> result = start(lambda: 6 * 7)
>>> result()
42
"""
from __future__ import annotations

import multiprocessing
import pickle
import traceback
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def start(work: Callable[[], T]) -> Callable[[], T]:
    """Start ``work()`` in a forked child; returns a function that waits for its result (an exception
    raised by ``work`` is raised again there). Call the returned function exactly once."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return work
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)

    def run() -> None:  # in the child
        try:
            outcome = (True, work())
        except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
            outcome = (False, _portable(exc))
        try:
            send.send(outcome)
        except Exception:  # noqa: BLE001 - a result that cannot be pickled: say so, with the traceback
            send.send((False, RuntimeError(f"the report's background work could not send its result:\n"
                                           f"{traceback.format_exc()}")))
        send.close()

    child = context.Process(target=run, name="cdisc-msc-report-background", daemon=True)
    child.start()
    send.close()  # the parent's copy: recv() sees EOF if the child dies without sending

    def result() -> T:
        try:
            ok, value = receive.recv()
        except EOFError as exc:
            child.join()
            raise RuntimeError(f"the report's background process ended without a result "
                               f"(exit code {child.exitcode})") from exc
        finally:
            receive.close()
            child.join()
        if not ok:
            raise value
        return value

    return result


def _portable(exc: BaseException) -> BaseException:
    """``exc`` when it survives pickling both ways; else a RuntimeError carrying its type, message and
    traceback (an exception holding a lock, or whose constructor takes other arguments, would otherwise
    reach the parent as a pickling error instead of the real problem)."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 - any failure to round-trip
        text = "".join(traceback.format_exception(exc))
        return RuntimeError(f"the report's background work failed: {type(exc).__name__}: {exc}\n{text}")


__all__ = ["start"]
