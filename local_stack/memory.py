"""The embedded stack's memory: glibc's allocator told to keep fewer arenas and to give freed pages back.

The stack is one process with a thread per open connection, per poller and per schedule. glibc gives each thread
that allocates under contention an arena of its own (up to eight per core), and memory freed in an arena stays in
the process's resident set until the arena's top is free. Two arenas are enough for a process whose Python code runs
one thread at a time (the GIL), and ``malloc_trim`` after a busy spell returns the free pages inside the arenas too
(``madvise``), so the resident set follows what the stack holds rather than its peak. Python's own small-object
allocator is not affected. Other C libraries (macOS, musl): nothing is done.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util

M_ARENA_MAX = -8
ARENAS = 2


def _libc():
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
        if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim"):
            return libc
    return None


_LIBC = _libc()


def limit_arenas() -> bool:
    """Before the stack's threads start (arenas made already stay)."""
    return bool(_LIBC is not None and _LIBC.mallopt(M_ARENA_MAX, ARENAS))


def trim() -> bool:
    """Give the allocator's free pages back to the system (a few ms; after a burst, not during one)."""
    return bool(_LIBC is not None and _LIBC.malloc_trim(0))
