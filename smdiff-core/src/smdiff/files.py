"""Whole-file reads with the fewest system calls (a file object costs more than the read of a small file)."""

from __future__ import annotations

import os


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """All bytes of the file at ``path`` (``OSError`` as :func:`open` raises it)."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(descriptor).st_size
        chunks = [os.read(descriptor, size + 1)]
        while len(chunks[-1]) > size:  # the file grew since fstat: read to the end
            chunks.append(os.read(descriptor, 1 << 20))
            if not chunks[-1]:
                break
        return b"".join(chunks) if len(chunks) > 1 else chunks[0]
    finally:
        os.close(descriptor)
