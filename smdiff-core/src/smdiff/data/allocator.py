"""Let glibc's malloc keep freed memory for reuse, so large NumPy temporaries do not page-fault.

Encoding a batch of songs allocates and frees many arrays of a few hundred
KiB. By default glibc serves blocks over 128 KiB with fresh ``mmap`` pages and
returns freed memory to the kernel, so every such temporary is paid for again
in page faults (about one per 4 KiB). Raising the mmap and trim thresholds
keeps those blocks in the heap for reuse; ``smdiff prepare`` and the
tokenizer benchmark do this once at start. Elsewhere (other C libraries,
other systems) it does nothing.
"""

from __future__ import annotations

import ctypes
import functools
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: blocks up to this size come from the heap (glibc's largest allowed mmap threshold on 64-bit)
MAX_HEAP_BLOCK = 32 * 2**20
#: freed memory kept before the heap is trimmed back to the kernel
KEEP_FREED = 256 * 2**20


@functools.cache
def reuse_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds for this process; ``True`` when they were set."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MAX_HEAP_BLOCK)) and bool(mallopt(_M_TRIM_THRESHOLD, KEEP_FREED))
