"""Merged feeds rendered and written by worker processes while the publishing one renders too.

Rendering is Python and holds the GIL, so a publish on one thread keeps one core busy however
many the machine has. A worker is handed a source's node whole: its archive pages, which it
makes durable before it writes the Atom document linking the newest, then that document and
its siblings. It reads their entries from the database itself, renders and writes the files,
and sends back what it wrote (a :class:`Served`) and, of the entries it rendered, those the
nodes above the source show, so that each is still rendered once (``publish.entry_cache``):
the lean form for their archive pages, the full one for their feeds. A node above the sources
keeps its archive pages and its Atom document in the publishing process, where the entries of
every source below it meet; a worker may take its RSS and JSON documents, which link no page,
or its whole feed when it has no page to write.

The publishing process hands a worker a node only while the workers are not behind, and
renders it itself otherwise, so that every core stays busy whatever the mix of pages and
feeds. A small publish renders everything itself: starting a process would cost more.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from types import TracebackType

import sqlite_utils

from feedhub.model import StoredEntry
from feedhub.processes import worker_context
from feedhub.publish.atom import FeedInfo, render_frame
from feedhub.publish.entry_cache import EntryCache, Sent
from feedhub.publish.jsonfeed import render_json
from feedhub.publish.rss import render_rss
from feedhub.publish.writer import Form, Served, Writer, gzipped
from feedhub.store._publishing import Publishing

Read = Callable[[list[int]], Iterable[StoredEntry]]

# Below this many feeds in a publish, no process is started. Starting one takes about 0.2 s
# when the fork server must start too, and little once it runs (a poll that parsed started
# it); at 33 feeds (a poll of the bench farm in which 15 sources changed) the pool still cut
# the publish by a seventh, 531–632 ms to 461–553 ms.
POOL_FEEDS = 32
# Feeds per batch (a batch reads each of its entries once). Few, so that the workers finish
# close to when the publishing process does: with 16, it waited on the last batches for a
# third of a re-poll's publish. More than one, since a worker waits at the end of a batch for
# its files to be durable: with a source's node per batch it was off the CPU a third of the
# time. A batch the publishing process waits on goes at once (:meth:`FeedPool.owes`).
BATCH = 4
# Batches a worker may have waiting or under way before the publishing process renders the
# next feeds itself.
AHEAD = 2


def pool_workers(feeds: int) -> int:
    """How many worker processes a publish of ``feeds`` feeds uses (0: none). One core stays
    with the publishing process, which renders the archive pages and its share of feeds."""
    if feeds < POOL_FEEDS:
        return 0
    # The cores this process may run on: a cpuset may allow fewer than the machine has (a CPU
    # quota is not seen here).
    cores = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
             else os.cpu_count() or 1)
    return max(0, min(4, cores - 1))


@dataclass(frozen=True, slots=True)
class PageJob:
    """An archive page (RFC 5005) to write in gzip form: its entries, newest first, with
    their bodies or not (``publish.archive.carries_bodies``)."""

    info: FeedInfo
    ids: tuple[int, ...]
    target: Path
    bodies: bool


@dataclass(frozen=True, slots=True)
class FeedJob:
    """The documents of one merged feed: ``targets`` holds (format, file) for each; ``ids``
    are its entries, in any order. ``pages`` are the node's archive pages to write first,
    durable before its Atom document (which links the newest) is renamed. Of the entries
    rendered for them, ``full`` and ``lean`` are sent back, with their bodies and without."""

    info: FeedInfo
    ids: tuple[int, ...]
    targets: tuple[tuple[str, Path], ...]
    pages: tuple[PageJob, ...] = ()
    full: tuple[int, ...] = ()
    lean: tuple[int, ...] = ()

    def split_atom(self) -> tuple[FeedJob, FeedJob]:
        """This job (of a feed alone: no pages, nothing to send back) as its Atom document
        and the others."""
        assert not (self.pages or self.full or self.lean)
        atom = tuple(t for t in self.targets if t[0] == "atom")
        rest = tuple(t for t in self.targets if t[0] != "atom")
        return replace(self, targets=atom), replace(self, targets=rest)


@dataclass(slots=True)
class Done:
    """What a batch did: the files it wrote, and the rendered entries it sends back."""

    served: Served
    sent: list[Sent]


def atom_document(info: FeedInfo, entries: Sequence[StoredEntry], shared: EntryCache) -> bytes:
    """The Atom document of a feed of ``entries``, its entries taken from ``shared``."""
    by_id = {e.rowid: e for e in entries}
    return _framed(info, shared.get(list(by_id), lambda missing: [by_id[i] for i in missing]))


def page_document(info: FeedInfo, ids: Sequence[int], shared: EntryCache, read: Read,
                  bodies: bool) -> bytes:
    """The Atom document of an archive page of entries ``ids`` (newest first), taken from
    ``shared`` or got with ``read``, with their bodies or not."""
    return _framed(info, shared.get(ids, read, bodies=bodies))


def _framed(info: FeedInfo, held: Sequence[tuple[datetime, bytes]]) -> bytes:
    head, tail = render_frame(info, max((updated for updated, _ in held), default=info.undated))
    return b"".join([head, *(element for _, element in held), tail])


def feed_documents(job: FeedJob, entries: Iterable[StoredEntry],
                   shared: EntryCache) -> list[tuple[Path, bytes]]:
    """Each (file, bytes) of ``job``, rendered from ``entries`` (its ``ids``, in any order):
    newest published first, as a reader lists them."""
    shown = sorted(entries, key=lambda e: (e.published, e.rowid), reverse=True)
    return [(target, atom_document(job.info, shown, shared) if ext == "atom"
             else render_rss(job.info, shown) if ext == "rss"
             else render_json(job.info, shown))
            for ext, target in job.targets]


def write_feeds(jobs: Sequence[FeedJob], read: Read, form: Form) -> Done:
    """Render and write the documents of ``jobs``, with their entries got with ``read``
    (entries it leaves out, no longer stored, are left out of the documents): each job's
    archive pages first, then its feed once they are durable. Returns what was written and
    the rendered entries each job asks to send back."""
    done = Done(Served(), [])
    if not jobs:
        return done
    info = jobs[0].info
    shared = EntryCache(info.hub_title, info.base_url)
    # Compressing, writing and making the pages durable go on threads, as in the publishing
    # process: a worker that waited on each fsync was off the CPU a third of its time.
    with Writer(done.served.add) as writer:
        for job in jobs:
            # A page at a time: the writer then bounds how many wait in memory.
            pages = [writer.submit([(page.target, page_document(page.info, page.ids, shared,
                                                                read, page.bodies))],
                                   form="gzip")
                     for page in job.pages]
            # A feed at a time, each entry read once: a batch's ids together could pass
            # SQLite's limit of variables in one statement (publish.entries goes up to 10,000).
            entries = shared.entries(job.ids, read)
            writer.submit(feed_documents(job, entries, shared), after=pages, form=form)
            # Right away: a later job of the batch may push them out of the cache.
            done.sent += shared.send(job.full, bodies=True) + shared.send(job.lean, bodies=False)
    return done


def _salvaged(jobs: Sequence[FeedJob]) -> Served:
    """What a batch whose worker died or failed may have written: its files may hold their new
    bytes, and would then be found unchanged when written again. So every one of them counts
    as written (for WebSub) and every folder as holding renames to make durable."""
    targets = [target for job in jobs for _, target in job.targets]
    targets += [gzipped(page.target) for job in jobs for page in job.pages]
    return Served(written=targets, unsynced={target.parent for target in targets
                                             if target.parent.is_dir()})


def _ignore_interrupts() -> None:
    # A Ctrl-C in a terminal reaches the workers too; the publishing process decides what it
    # means, and an interrupted worker would only come back as a failed batch.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _write_in_worker(database: Path, jobs: list[FeedJob], form: Form) -> Done:
    # A connection of its own, for reading only: the publishing process holds the store.
    conn = sqlite3.connect(database, timeout=30)
    try:
        conn.execute("PRAGMA query_only = ON")
        return write_feeds(jobs, Publishing(sqlite_utils.Database(conn)).entries_by_id, form)
    finally:
        conn.close()


class FeedPool:
    """Worker processes rendering and writing feeds and archive pages. ``receive`` gets each batch's
    :class:`Served`, in the order the batches were handed over, when the pool closes; the
    entries a batch sends back are kept in ``shared`` as soon as it is done (see
    :meth:`owes`). The entries must be committed: a worker reads them over its own
    connection.

    A batch whose worker died (killed, out of memory) is rendered in this process with
    ``read`` instead: a lost worker never loses files, and the entries it owed are rendered
    here when they are needed.
    """

    def __init__(self, workers: int, database: Path, form: Form, read: Read,
                 receive: Callable[[Served], None], shared: EntryCache) -> None:
        self._workers = workers
        self._database = database
        self._form = form
        self._read = read
        self._receive = receive
        self._shared = shared
        self._pool = ProcessPoolExecutor(workers, mp_context=worker_context(),
                                         initializer=_ignore_interrupts)
        self._batch: list[FeedJob] = []
        self._submitted: list[tuple[list[FeedJob], Future[Done] | None]] = []
        self._settled = 0  # batches before this one in _submitted are done
        # The entries batches are to send back, by the batch's index in _submitted (the
        # batch being gathered has the next), and the batches whose entries are not in yet.
        self._owed: dict[int, int] = {}
        self._open: set[int] = set()
        self._broken = False  # a worker died: the pool takes no more work

    def __enter__(self) -> FeedPool:
        return self

    def has_room(self) -> bool:
        """True while the workers are not behind: fewer than ``AHEAD`` batches each are
        waiting or under way."""
        while self._settled < len(self._submitted):
            future = self._submitted[self._settled][1]
            if future is not None and not future.done():
                break
            self._broken |= future is None or isinstance(future.exception(), BrokenProcessPool)
            self._settled += 1
        if self._broken:
            return False  # what is handed over now would only be rendered here at the end
        return len(self._submitted) - self._settled < AHEAD * self._workers

    def submit(self, job: FeedJob) -> None:
        """Have ``job`` rendered and written, in a batch with the jobs handed over next."""
        index = len(self._submitted)
        for rowid in (*job.full, *job.lean):
            self._owed[rowid] = index
        if job.full or job.lean:
            self._open.add(index)
        self._batch.append(job)
        if len(self._batch) >= BATCH:
            self._flush()

    def owes(self, ids: Iterable[int]) -> bool:
        """True while a batch that is to send back any of the entries ``ids`` is not done;
        the entries of those that are done are kept in ``shared`` first."""
        self._collect()
        owing = {self._owed[rowid] for rowid in ids if rowid in self._owed} & self._open
        if len(self._submitted) in owing:
            self._flush()  # the batch being gathered: to be done without waiting for more
        return bool(owing)

    def wait_for(self, ids: Iterable[int]) -> None:
        """Wait until no batch owes any of the entries ``ids`` (a batch that failed owes
        nothing: its entries are rendered here)."""
        self._collect()
        for index in sorted({self._owed[rowid] for rowid in ids if rowid in self._owed}
                            & self._open):
            if index == len(self._submitted):
                self._flush()
            future = self._submitted[index][1]
            if future is not None:
                with contextlib.suppress(Exception):  # raised when the pool closes
                    future.result()
        self._collect()

    def _collect(self) -> None:
        for index in [i for i in self._open if i < len(self._submitted)]:
            future = self._submitted[index][1]
            if future is None or future.done():
                self._open.discard(index)
                if future is not None and future.exception() is None:
                    done = future.result()
                    self._shared.keep(done.sent)
                    done.sent = []  # kept until the pool closes otherwise, for every entry

    def _flush(self) -> None:
        if not self._batch:
            return
        future: Future[Done] | None
        try:
            future = self._pool.submit(_write_in_worker, self._database, self._batch, self._form)
        except BrokenProcessPool:
            future = None  # rendered here when the pool closes
        self._submitted.append((self._batch, future))
        self._batch = []

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        """Wait for every batch (when the caller is failing, only for those under way) and
        pass on what each did; then raise the first failure, unless the caller is failing
        already. Batches that succeeded are passed on either way, so that what they wrote is
        made durable."""
        failure: BaseException | None = None
        outcomes: list[tuple[list[FeedJob], Served | None]] = []  # None: to be rendered here
        with self._pool:
            if error is not None:
                for jobs, future in self._submitted:
                    if future is not None and not future.cancel() and future.exception() is None:
                        self._receive(future.result().served)
                    else:
                        self._receive(_salvaged(jobs))
                return
            self._flush()
            for jobs, future in self._submitted:
                try:
                    outcomes.append((jobs, future.result().served if future else None))
                except BrokenProcessPool:
                    outcomes.append((jobs, None))
                except Exception as problem:  # raised below, once every batch is in
                    outcomes.append((jobs, _salvaged(jobs)))
                    failure = failure or problem
        # Only once every worker is gone: one that outlived the pool's breaking could still be
        # writing the files of a batch rendered here.
        for jobs, served in outcomes:
            try:
                self._receive(served if served is not None else self._rendered_here(jobs))
            except Exception as problem:
                self._receive(_salvaged(jobs))
                failure = failure or problem
        if failure is not None:
            raise failure

    def _rendered_here(self, jobs: list[FeedJob]) -> Served:
        """What a batch whose worker died does, rendered in this process."""
        served = write_feeds(jobs, self._read, self._form).served
        salvaged = _salvaged(jobs)
        served.unsynced |= salvaged.unsynced
        served.written = salvaged.written
        served.unchanged = 0
        return served
