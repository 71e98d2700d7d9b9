"""Returning freed memory to the operating system between build stages.

CPython and numpy allocate large arrays with ``malloc``; glibc keeps much of
what is freed in its heap for reuse, so a process's resident size stays at
its high-water mark after the frames of a stage are released. Between stages
(after a package is written, after validation) the build asks glibc to hand
those pages back with ``malloc_trim(0)``. This changes no result: it lowers
the resident size the next stage starts from, and what a forked process
(the report's figures) shares with its parent. Elsewhere it does nothing.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys


@functools.cache
def _malloc_trim():
    """glibc's ``malloc_trim`` or None (not Linux, or another C library)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def return_free_memory() -> bool:
    """Give the heap's free pages back to the operating system; True when glibc did (or could) release any.

    >>> isinstance(return_free_memory(), bool)
    True
    """
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False


__all__ = ["return_free_memory"]
