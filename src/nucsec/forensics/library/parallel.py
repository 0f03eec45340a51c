"""Split a match's per-entry work over the machine's cores (threads; NumPy releases the GIL).

The multivariate stage (one covariance per surviving entry) and the coincidence estimate
(one row per candidate) treat every entry on its own, so their inputs can be cut into
contiguous chunks, computed on separate threads and concatenated: the same numbers as one
call. NumPy's, SciPy's and LAPACK's inner loops release the GIL, so on a machine with two
free cores the chunks run side by side. Small inputs stay on the calling thread. A chunk
never submits chunks of its own, so concurrent matches share the pool without deadlock.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np

__all__ = ["MIN_CHUNK", "THREADS", "chunked"]

T = TypeVar("T")

#: worker threads (at most 2: the target machine's cores); ``NUCSEC_LIBRARY_THREADS`` overrides
THREADS = max(1, int(os.environ.get("NUCSEC_LIBRARY_THREADS", min(2, os.cpu_count() or 1))))
#: below this many items per chunk a split costs more than it saves
MIN_CHUNK = 64

_pool: tuple[int, ThreadPoolExecutor] | None = None


def _executor() -> ThreadPoolExecutor:
    """The process's pool (a new one after a fork: a forked child has no worker threads)."""
    global _pool
    if _pool is None or _pool[0] != os.getpid():
        _pool = (os.getpid(), ThreadPoolExecutor(THREADS, thread_name_prefix="nucsec-library"))
    return _pool[1]


def chunked(
    fn: Callable[[np.ndarray], T], items: np.ndarray, *, min_chunk: int = MIN_CHUNK
) -> list[T]:
    """``fn`` over contiguous chunks of ``items``, in order (one chunk per thread)."""
    parts = min(THREADS, max(1, items.size // min_chunk))
    if parts == 1:
        return [fn(items)]
    chunks = np.array_split(items, parts)
    futures = [_executor().submit(fn, c) for c in chunks[1:]]
    first = fn(chunks[0])
    return [first, *(f.result() for f in futures)]
