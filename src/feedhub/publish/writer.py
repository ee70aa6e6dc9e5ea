"""Served files, plain, gzipped or both, written by a few threads while the next are rendered.

Rendering is Python and holds the GIL; compressing, writing and fsyncing mostly release it. So
the publishing thread renders and hands each batch of files to :class:`Writer`, whose workers
compress and write them meanwhile. Results come back in the order batches were handed over,
so a report lists files in the same order from one run to the next.
"""

from __future__ import annotations

import contextlib
import os
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Literal

from isal import igzip

from feedhub.publish.files import holds, sync_folders, write_atomic, write_if_changed

# One per core for compressing, which also lets fsyncs wait on the disk side by side; beyond
# four they mostly queue on the disk.
WORKERS = min(4, os.cpu_count() or 1)
# Batches handed over but not written yet, each holding its bytes: this bounds the memory.
PENDING = 4 * WORKERS
# ISA-L's level 2 gives the size of zlib's level 1 (its fastest) at under a third of its CPU:
# on the bench farm's archive, 361 MB in 0.81 s of CPU against zlib's 2.73 s, both 136 MB out.
GZIP_LEVEL = 2


# How a served file is kept on disk: plain only (a server compresses it on the fly), plain
# with a gzip sibling (for a front server's gzip_static), or its gzip form only (archive
# pages: written once, seldom fetched; the server decompresses for the rare client that
# cannot take gzip).
Form = Literal["plain", "both", "gzip"]


@dataclass(slots=True)
class Served:
    """What writing one batch of served files did."""

    written: list[Path] = field(default_factory=list)
    unchanged: int = 0
    bytes_written: int = 0
    unsynced: set[Path] = field(default_factory=set)  # folders with renames not durable yet

    def add(self, other: Served) -> None:
        """Count what ``other`` did too."""
        self.written += other.written
        self.unchanged += other.unchanged
        self.bytes_written += other.bytes_written
        self.unsynced |= other.unsynced


def gzipped(target: Path) -> Path:
    """Where the gzip form of ``target`` is, for the server (and nginx's gzip_static) to
    send to clients that accept it."""
    return target.with_name(target.name + ".gz")


def gzip_of(data: bytes) -> bytes:
    """The gzip form of ``data``, with no name and a zero timestamp, so that the same bytes
    give the same file. (Once, in CI, a worker's and the publishing process's deflate streams
    for one document differed, the CRC-32 and length the same; the cause is not found.)

    A document is compressed whole, in one call. Each call gives the GIL back to the
    rendering thread and must wait to take it again, so compressing entry by entry kept the
    workers waiting more than working; and a whole archive page comes out a tenth (with
    bodies) to two thirds (without) smaller than its entries compressed apart.
    """
    return igzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)


def write_documents(files: Sequence[tuple[Path, bytes]],
                    after: Sequence[Future[Served]] = (), form: Form = "both") -> Served:
    """Write each (target, bytes) in ``form`` unless the target holds its bytes; once
    ``after`` are written and durable, when given.

    With ``both``, a sibling that replaces an older one is made durable before its target is
    renamed: a kill or a power cut between the two then leaves the target old, and the next
    publish redoes both, instead of a stale sibling nobody rewrites. A new sibling needs no
    such care: if it is lost, the next publish sees it missing and writes it. In the other
    forms, the form not kept is removed before the file is written, so that no server ever
    prefers a stale copy.
    """
    earlier_folders: set[Path] = set()
    for earlier in after:
        earlier_folders |= earlier.result().unsynced
    sync_folders(earlier_folders)
    served = Served()
    if form == "gzip":
        for target, document in files:
            _remove(target)
            data = gzip_of(document)
            if write_if_changed(gzipped(target), data, served.unsynced):
                served.written.append(gzipped(target))
                served.bytes_written += len(data)
            else:
                # Holding its bytes is not being durable: a writer that stopped (a dead
                # worker, a crash) may have renamed it without the fsync. A page is written
                # only when the plan says it is not yet, and a feed may link it once this
                # batch is done, so its folder is fsynced all the same.
                served.unsynced.add(gzipped(target).parent)
                served.unchanged += 1
        return served
    same = [holds(target, data) for target, data in files]
    replaced = False
    for (target, document), unchanged in zip(files, same, strict=True):
        compressed = gzipped(target)
        if form == "plain":
            _remove(compressed)
            continue
        existed = compressed.exists()
        if not (unchanged and existed):
            data = gzip_of(document)
            written = write_if_changed(compressed, data, served.unsynced)
            served.bytes_written += len(data) if written else 0
            replaced |= written and existed
    if replaced:
        sync_folders(served.unsynced)
    for (target, data), unchanged in zip(files, same, strict=True):
        if unchanged:
            served.unchanged += 1
        else:
            write_atomic(target, data, served.unsynced)
            served.written.append(target)
            served.bytes_written += len(data)
    return served


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


class Writer:
    """Hands batches of served files to worker threads; ``receive`` gets each batch's
    :class:`Served`, in the order the batches were handed over, on the calling thread."""

    def __init__(self, receive: Callable[[Served], None]) -> None:
        self._receive = receive
        self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="publish")
        self._pending: deque[Future[Served]] = deque()

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        """Wait for every batch handed over and pass on what each did; then raise the first
        failure, unless the caller is failing already. Batches that succeeded are passed on
        either way, so that what they wrote is made durable."""
        failure: BaseException | None = None
        with self._pool:
            while self._pending:
                future = self._pending.popleft()
                problem = future.exception()
                if problem is None:
                    self._receive(future.result())
                elif failure is None:
                    failure = problem
        if failure is not None and error is None:
            raise failure

    def submit(self, files: Sequence[tuple[Path, bytes]],
               after: Sequence[Future[Served]] = (), form: Form = "both") -> Future[Served]:
        """Write ``files`` in ``form`` (see :func:`write_documents`) once the batches ``after``
        are durable.

        ``after`` must have been handed over before: workers take their work in order, so a
        batch waits only for work that is being done or is done.
        """
        while len(self._pending) >= PENDING:
            self._receive(self._pending.popleft().result())
        future = self._pool.submit(write_documents, files, after, form)
        self._pending.append(future)
        return future
