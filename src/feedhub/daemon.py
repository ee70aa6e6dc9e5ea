"""``feedhub run``: the scheduler, the pollers, publishing and the server in one process."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import fcntl
import heapq
import logging
import os
import random
import signal
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from feedhub.config import Config, load_config
from feedhub.errors import ConfigError, StoreError
from feedhub.fetch import Fetcher
from feedhub.health import ConfigTrouble, answer
from feedhub.hub import Hub
from feedhub.metrics import Metrics
from feedhub.model import PollOutcome, Source
from feedhub.poller import fetch_policy, utcnow
from feedhub.publish.files import remove_stale_temporaries
from feedhub.publish.plan import changes_of
from feedhub.schedule import first_poll_delay
from feedhub.server import make_app, start_server
from feedhub.states import GONE

log = logging.getLogger("feedhub")
PUBLISH_DELAY = 1.0  # seconds: polls finishing close together share one publish
PUBLISH_RETRY = 30.0  # seconds before a failed publish is tried again
# Seconds between refreshes of the index page while polls bring nothing new: its last
# success times and day and week counts move on all the same.
INDEX_REFRESH = 600.0
START_SPREAD = 5.0  # seconds over which overdue sources start at launch
STOP_GRACE = 5.0  # seconds in-flight polls get to finish on SIGTERM
CONFIG_CHECK = 2.0  # seconds between looks at the config file
POLLS_PER_CONNECTION = 4  # polls in flight per allowed connection (the rest are in the database
# or parsing); due sources beyond that wait in the queue, costing a heap entry, not a coroutine
POLL_JOB = "poll-due"  # the scheduler's one job: fires when the earliest queued source is due


def acquire_lock(database: Path) -> IO[str]:
    """Hold an exclusive lock beside the database for the daemon's lifetime."""
    lock_path = database.with_name(database.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(lock_path, "a+")  # noqa: SIM115 - held open until the daemon exits
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise StoreError(f"{database}: another feedhub daemon is already running on this "
                         "database") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


class DueQueue:
    """Each source's next poll time, earliest first: a heap in place of a scheduler job per
    source. Putting a source again replaces its time; the superseded heap entry is skipped."""

    def __init__(self) -> None:
        self._when: dict[str, datetime] = {}  # the current time of each queued source
        self._heap: list[tuple[datetime, str]] = []  # also holds superseded times until popped

    def __contains__(self, source_id: object) -> bool:
        return source_id in self._when

    def put(self, source_id: str, when: datetime) -> None:
        """Queue ``source_id`` for ``when``, replacing the time it had."""
        self._when[source_id] = when
        heapq.heappush(self._heap, (when, source_id))
        if len(self._heap) > 2 * len(self._when) + 64:
            # Rescheduled sources leave superseded entries behind; this bounds them.
            self._heap = [(w, s) for s, w in self._when.items()]
            heapq.heapify(self._heap)

    def discard(self, source_id: str) -> None:
        """Forget ``source_id`` if it is queued."""
        self._when.pop(source_id, None)

    def earliest(self) -> datetime | None:
        """The earliest time queued, or None when the queue is empty."""
        heap = self._heap
        while heap and self._when.get(heap[0][1]) != heap[0][0]:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def pop_due(self, now: datetime) -> str | None:
        """Take the source due earliest, if it is due by ``now``."""
        when = self.earliest()
        if when is None or when > now:
            return None
        _, source_id = heapq.heappop(self._heap)
        del self._when[source_id]
        return source_id


class Daemon:
    """Polls every source on its own schedule, publishes what changed, and serves the output."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.rng = random.Random()
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.metrics = Metrics()
        self.dirty: list[PollOutcome] = []  # polls whose changes are not published yet
        self.polled_since_publish = False  # a poll since, whose times the index does not show
        self.inflight: set[asyncio.Task[Any]] = set()
        self.queue = DueQueue()
        self.polling: set[str] = set()  # ids of the sources being polled now
        self.poll_slots = config.polling.concurrency * POLLS_PER_CONNECTION
        self.stopping = asyncio.Event()
        self.publish_wanted = asyncio.Event()
        self.started = utcnow()
        self.config_loaded_at = self.started  # when the running config was read
        self.config_error: str | None = None  # why the file on disk is not the one running
        self.hub: Hub | None = None  # open while it runs
        self.fetcher: Fetcher | None = None
        self.config_stamp = _stamp(config.file)
        self.sources = _enabled(config)  # by id; replaced whole on reload

    async def run(self) -> int:
        """Run until SIGTERM or SIGINT; returns the exit status."""
        config = self.config
        lock = acquire_lock(config.database)
        self.hub = hub = Hub(config, listing=True)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)
        loop.add_signal_handler(signal.SIGHUP, lambda: self._spawn(self.reload("SIGHUP")))
        runner = None
        try:
            for folder in (config.output, config.posts):
                if folder is not None:
                    remove_stale_temporaries(folder)
            await self._apply_config()
            await self._publish(full=True)
            app = make_app(config.output, self.health, self.metrics, self._refresh_metrics)
            runner = await start_server(app, config.server.host, config.server.port)
            log.info("serving %s on http://%s:%d/", config.output, config.server.host,
                     config.server.port)
            publisher = asyncio.create_task(self._publisher())
            async with Fetcher(fetch_policy(config)) as self.fetcher:
                self.scheduler.start()
                await self._schedule_all()
                self.scheduler.add_job(self._watch_config, "interval", id="watch-config",
                                       seconds=CONFIG_CHECK, max_instances=1)
                await self.stopping.wait()
                log.info("stopping")
                self.scheduler.shutdown(wait=False)
                await self._drain()
            publisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await publisher
            if self.dirty:
                await self._publish()
        finally:
            if runner is not None:
                await runner.cleanup()
            hub.close()
            lock.close()
        log.info("stopped")
        return 0

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self.inflight.add(task)
        task.add_done_callback(self.inflight.discard)

    # -- scheduling -----------------------------------------------------------------------------

    async def _schedule_all(self) -> None:
        assert self.hub is not None
        sources = self.sources  # a SIGHUP reload may replace it meanwhile
        now = utcnow()
        overdue: list[str] = []
        db = self.hub.store
        states = await db.call(db.store.sources.states)  # one query, not one per source
        for source_id in sources:
            state = states.get(source_id)
            if state is not None and state.state == GONE:
                continue
            if state is None or state.next_poll is None or state.next_poll <= now:
                overdue.append(source_id)
            else:
                self._schedule(source_id, state.next_poll)
        for i, source_id in enumerate(overdue):
            spread = min(START_SPREAD, sources[source_id].interval)
            delay = first_poll_delay(i, len(overdue), spread)
            self._schedule(source_id, now + timedelta(seconds=delay))

    def _schedule(self, source_id: str, when: datetime) -> None:
        # The queue holds the id, not the Source: a reload may change the source before it runs.
        self.queue.put(source_id, when)
        self._arm(when)

    def _arm(self, when: datetime) -> None:
        """Make the poll job fire by ``when``."""
        if self.stopping.is_set():
            return
        job = self.scheduler.get_job(POLL_JOB)
        if job is None or when < job.next_run_time:
            # Starting polls is quick and harmless to repeat: a firing must never be skipped
            # because the previous one's bookkeeping is not finished.
            self.scheduler.add_job(self._poll_due, "date", run_date=when, id=POLL_JOB,
                                   replace_existing=True, misfire_grace_time=None,
                                   max_instances=1000)

    async def _poll_due(self) -> None:
        self._start_due()

    def _start_due(self) -> None:
        """Start the due polls there are slots for; a finishing poll calls this again."""
        now = datetime.now(UTC)
        while len(self.polling) < self.poll_slots and not self.stopping.is_set():
            source_id = self.queue.pop_due(now)
            if source_id is None:
                break
            if source_id not in self.polling:
                # (One already being polled was changed by a reload: its poll reschedules it.)
                self.polling.add(source_id)
                self._spawn(self._poll(source_id))
        next_due = self.queue.earliest()
        if next_due is not None and next_due > now:
            self._arm(next_due)

    async def _poll(self, source_id: str) -> None:
        source = self.sources.get(source_id)
        try:
            if source is not None:
                await self._poll_source(source_id, source)
        except Exception:
            # A bug while handling one source must not end its polling for good.
            log.exception("%s: poll failed unexpectedly", source_id)
            self._schedule(source_id,
                           utcnow() + timedelta(seconds=self.config.polling.min_interval))
        finally:
            self.polling.discard(source_id)
        self._start_due()

    async def _poll_source(self, source_id: str, source: Source) -> None:
        # Queued under ``source_id``, the key of ``self.sources``: ``source.id`` would be a new
        # string on every poll.
        assert self.hub is not None and self.fetcher is not None
        before, skip = await self.hub.prepare(source, utcnow())
        if skip is not None:
            log.info("%s: skipped: %s", source_id, skip.reason)
            self.metrics.polls.labels("skipped").inc()
            if skip.until is not None:
                # Spread the sources that waited on one host, so they do not all return at once.
                spread = self.rng.uniform(0, self.config.polling.min_interval / 10)
                self._schedule(source_id, skip.until + timedelta(seconds=spread))
            return
        outcome = await self.hub.poll_one(self.fetcher, source, self.rng, before)
        self.metrics.poll(outcome)
        self.polled_since_publish = True
        current = self.sources.get(source_id)
        if current == source:
            if outcome.next_poll is not None:
                self._schedule(source_id, outcome.next_poll)
        elif current is not None and source_id not in self.queue:
            # A reload changed it during the poll, and its new first poll came due meanwhile.
            self._schedule(source_id, utcnow())
        # A source that starts or stops failing, or fails otherwise, is shown on the index
        # page at once.
        if outcome.changed_nodes or outcome.removed_posts or outcome.state_changed:
            self.dirty.append(outcome)
            self.publish_wanted.set()

    # -- publishing -----------------------------------------------------------------------------

    async def _publisher(self) -> None:
        """Publishes whenever polls brought changes: one publish at a time, each taking every
        change that arrived meanwhile; a failed publish is retried after a pause."""
        while True:
            try:
                await asyncio.wait_for(self.publish_wanted.wait(), INDEX_REFRESH)
            except TimeoutError:
                if not self.polled_since_publish:
                    continue
            await asyncio.sleep(PUBLISH_DELAY)  # let polls finishing together share it
            self.publish_wanted.clear()
            if not await self._publish():
                await asyncio.sleep(PUBLISH_RETRY)
                self.publish_wanted.set()

    async def _publish(self, full: bool = False) -> bool:
        """Publish what the pending polls changed (everything when ``full``); False on failure,
        with the changes kept for the next attempt."""
        assert self.hub is not None
        pending, self.dirty = self.dirty, []
        polled, self.polled_since_publish = self.polled_since_publish, False
        changes = None if full else dataclasses.replace(changes_of(pending), directory=polled)
        try:
            report = await self.hub.publish(changes)
        except Exception:
            log.exception("publishing failed; retrying in %g s", PUBLISH_RETRY)
            self.dirty = pending + self.dirty
            self.polled_since_publish |= polled
            return False
        # The publish's own time: not the WebSub ping after it, which has its own deadline.
        self.metrics.publish_seconds.observe(report.elapsed_ms / 1000)
        log.info("published %d files (%d written, %d deleted) in %d ms",
                 report.unchanged + len(report.written), len(report.written),
                 len(report.deleted), report.elapsed_ms)
        return True

    # -- live configuration ---------------------------------------------------------------------

    async def _watch_config(self) -> None:
        stamp = _stamp(self.config.file)
        if stamp != self.config_stamp:
            self.config_stamp = stamp
            await self.reload("a change of the file")

    async def reload(self, reason: str) -> None:
        """Apply the config file as it is now; an invalid file leaves everything as it was."""
        assert self.hub is not None
        self.config_stamp = _stamp(self.config.file)
        try:
            new = load_config(self.config.file)
        except ConfigError as exc:
            log.error("config not reloaded (%s): %s", reason, exc)
            self.config_error = str(exc)
            self.metrics.config_refused()
            return
        old = self.config
        fixed = {"database": new.database != old.database, "output": new.output != old.output,
                 "posts": new.posts != old.posts, "server": new.server != old.server,
                 "polling limits": _limits(new) != _limits(old)}
        for what in (k for k, changed in fixed.items() if changed):
            log.warning("config reload: %s changed; restart feedhub to apply it", what)
        self.config = self.hub.config = dataclasses.replace(
            new, database=old.database, output=old.output, posts=old.posts, server=old.server)
        before, after = self.sources, _enabled(self.config)
        self.sources = after
        self.config_error, self.config_loaded_at = None, utcnow()
        await self._apply_config()
        removed = before.keys() - after.keys()
        for source_id in removed:
            self.queue.discard(source_id)
        # New sources, and changed ones (interval, filters, URL), are polled at once.
        touched = [sid for sid in after if sid not in before or after[sid] != before[sid]]
        now = utcnow()
        for i, source_id in enumerate(touched):
            self._schedule(source_id, now + timedelta(
                seconds=first_poll_delay(i, len(touched), START_SPREAD)))
        log.info("config reloaded (%s): %d sources added, %d removed, %d changed", reason,
                 len(after.keys() - before.keys()), len(removed),
                 len([s for s in touched if s in before]))
        await self._publish(full=True)

    # -- stopping, health, metrics --------------------------------------------------------------

    async def _drain(self) -> None:
        if not self.inflight:
            return
        _done, pending = await asyncio.wait(list(self.inflight), timeout=STOP_GRACE)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=1)

    async def health(self) -> tuple[int, dict[str, Any]]:
        """``ok``, ``degraded`` or (503) ``failing``, with the reasons: failing sources, a
        stalled scheduler, a config file on disk that could not be applied."""
        assert self.hub is not None
        db = self.hub.store
        facts = await db.call(db.store.meta.facts)
        trouble = (None if self.config_error is None
                   else ConfigTrouble(self.config_error, self.config_loaded_at))
        return answer(facts, utcnow(), self.started, trouble)

    async def _refresh_metrics(self) -> None:
        assert self.hub is not None
        db = self.hub.store
        facts = await db.call(db.store.meta.facts)
        await asyncio.to_thread(self.metrics.refresh, facts, self.config.database,
                                self.config.output)

    async def _apply_config(self) -> None:
        """Bring the database in line with the running config, and keep that config as the
        last good one (``feedhub status`` reads it while the file on disk is broken)."""
        assert self.hub is not None
        await self.hub.sync(self.config_loaded_at)
        self.metrics.config_applied(self.config_loaded_at)


def _enabled(config: Config) -> dict[str, Source]:
    return {s.id: s for s in config.sources if s.enabled}


def _stamp(path: Path) -> tuple[int, int, int] | None:
    """What tells a changed file: inode (editors replace files), size and mtime."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _limits(config: Config) -> tuple[object, ...]:
    p = config.polling
    return (p.concurrency, p.per_host, p.timeout, p.max_bytes, p.max_redirects,
            p.allow_private)


def run_daemon(config: Config) -> int:
    """Start the daemon and block until it stops."""
    return asyncio.run(Daemon(config).run())
