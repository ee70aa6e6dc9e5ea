"""Atomic file writes: a reader never sees half a file, and unchanged files are left alone."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def write_if_changed(path: Path, data: bytes, unsynced: set[Path] | None = None) -> bool:
    """Write ``data`` to ``path`` atomically unless it already holds exactly that.

    Returns True when the file was written. Leaving identical files untouched keeps their
    mtime, hence the server's ETag and Last-Modified, stable across rebuilds. ``unsynced`` is
    as for :func:`write_atomic`.
    """
    if holds(path, data):
        return False
    write_atomic(path, data, unsynced)
    return True


def write_atomic(path: Path, data: bytes, unsynced: set[Path] | None = None) -> None:
    """Replace ``path`` with ``data``: readers, and a power cut, see the old or the new file.

    The rename is made durable by an fsync of the folder. When ``unsynced`` is given the
    folder is added to it instead, for the caller to fsync once with :func:`sync_folders`
    after writing many files there; until then a power cut may bring back the old file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    if unsynced is None:
        _fsync_dir(path.parent)
    else:
        unsynced.add(path.parent)


def holds(path: Path, data: bytes) -> bool:
    """True when the file at ``path`` has exactly these bytes."""
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except FileNotFoundError:
        return False


def sync_folders(folders: set[Path]) -> None:
    """Make the renames :func:`write_atomic` left pending in ``folders`` durable; empties it."""
    while folders:
        _fsync_dir(folders.pop())


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable, so a power cut cannot bring the old file back."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_temporaries(folder: Path) -> int:
    """Delete temporary files a killed process left behind; returns how many."""
    removed = 0
    if folder.is_dir():
        for stale in folder.rglob(".*.tmp"):
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()
                removed += 1
    return removed


def output_bytes(folder: Path) -> int:
    """The bytes of every file under ``folder`` (0 when it does not exist)."""
    total = 0
    for top, _, names in os.walk(folder):
        for name in names:
            with contextlib.suppress(FileNotFoundError):
                total += os.stat(os.path.join(top, name)).st_size
    return total
