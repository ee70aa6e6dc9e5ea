"""``feedhub run``: the scheduler, the pollers, publishing and the server in one process."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import random
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from feedhub.config import Config
from feedhub.errors import StoreError
from feedhub.fetch import Fetcher, user_agent
from feedhub.model import PollOutcome, Source
from feedhub.poller import Database, fetch_policy, poll_source, skip_reason, utcnow
from feedhub.publish.build import changes_of, publish
from feedhub.schedule import first_poll_delay
from feedhub.server import make_app, start_server
from feedhub.store import Store, from_iso
from feedhub.websub import ping_hub

log = logging.getLogger("feedhub")
PUBLISH_DELAY = 1.0  # seconds: polls finishing close together share one publish
START_SPREAD = 5.0  # seconds over which overdue sources start at launch
STOP_GRACE = 5.0  # seconds in-flight polls get to finish on SIGTERM


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


class Daemon:
    """Polls every source on its own schedule, publishes what changed, and serves the output."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.rng = random.Random()
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.dirty: list[PollOutcome] = []  # polls whose changes are not published yet
        self.inflight: set[asyncio.Task[Any]] = set()
        self.stopping = asyncio.Event()
        self.last_poll: datetime | None = None
        self.last_publish: datetime | None = None
        self.db: Database | None = None
        self.fetcher: Fetcher | None = None

    async def run(self) -> int:
        """Run until SIGTERM or SIGINT; returns the exit status."""
        config = self.config
        lock = acquire_lock(config.database)
        self.db = db = Database(Store.for_base_url(config.database, config.base_url))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)
        runner = None
        try:
            await db.call(db.store.sync_sources, config.sources)
            report = await db.call(publish, config, db.store)
            self.last_publish = utcnow()
            log.info("published %d files (%d written) in %d ms",
                     report.unchanged + len(report.written), len(report.written),
                     report.elapsed_ms)
            runner = await start_server(make_app(config.output, self.health),
                                        config.server.host, config.server.port)
            log.info("serving %s on http://%s:%d/", config.output, config.server.host,
                     config.server.port)
            async with Fetcher(fetch_policy(config)) as self.fetcher:
                await self._schedule_all()
                self.scheduler.start()
                await self.stopping.wait()
                log.info("stopping")
                self.scheduler.shutdown(wait=False)
                await self._drain()
            if self.dirty:
                await self._publish()
        finally:
            if runner is not None:
                await runner.cleanup()
            db.close()
            lock.close()
        log.info("stopped")
        return 0

    async def _schedule_all(self) -> None:
        assert self.db is not None
        now = utcnow()
        sources = [s for s in self.config.sources if s.enabled]
        states = [await self.db.call(self.db.store.state, s.id) for s in sources]
        overdue = [s for s, st in zip(sources, states, strict=True)
                   if st.state != "gone" and (st.next_poll is None
                                              or from_iso(st.next_poll) <= now)]
        for i, source in enumerate(overdue):
            delay = first_poll_delay(i, len(overdue), min(START_SPREAD, source.interval))
            self._schedule(source, now + timedelta(seconds=delay))
        for source, state in zip(sources, states, strict=True):
            if source not in overdue and state.next_poll and state.state != "gone":
                self._schedule(source, from_iso(state.next_poll))

    def _schedule(self, source: Source, when: datetime) -> None:
        self.scheduler.add_job(self._poll_job, "date", run_date=when, args=[source],
                               id=source.id, replace_existing=True, misfire_grace_time=None)

    async def _poll_job(self, source: Source) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.inflight.add(task)
        try:
            await self._poll(source)
        finally:
            if task is not None:
                self.inflight.discard(task)

    async def _poll(self, source: Source) -> None:
        assert self.db is not None and self.fetcher is not None
        if self.stopping.is_set():
            return
        skip = await skip_reason(self.db, source, utcnow())
        if skip is not None:
            log.info("%s: skipped: %s", source.id, skip.reason)
            if skip.until is not None:
                # Spread the sources that waited on one host, so they do not all return at once.
                spread = self.rng.uniform(0, self.config.polling.min_interval / 10)
                self._schedule(source, skip.until + timedelta(seconds=spread))
            return
        try:
            outcome = await poll_source(self.config, self.db, self.fetcher, source, self.rng)
        except Exception:
            # A bug while handling one source must not end its polling for good.
            log.exception("%s: poll failed unexpectedly", source.id)
            self._schedule(source, utcnow() + timedelta(seconds=self.config.polling.min_interval))
            return
        self.last_poll = utcnow()
        state = await self.db.call(self.db.store.state, source.id)
        if state.next_poll and state.state != "gone" and not self.stopping.is_set():
            self._schedule(source, from_iso(state.next_poll))
        if outcome.changed_nodes or outcome.removed_posts:
            self.dirty.append(outcome)
            with contextlib.suppress(Exception):
                self.scheduler.add_job(self._publish, "date", id="publish",
                                       run_date=utcnow() + timedelta(seconds=PUBLISH_DELAY),
                                       replace_existing=False, misfire_grace_time=None)

    async def _publish(self) -> None:
        assert self.db is not None
        pending, self.dirty = self.dirty, []
        try:
            report = await self.db.call(publish, self.config, self.db.store, changes_of(pending))
        except Exception:
            log.exception("publishing failed; will retry after the next poll")
            self.dirty = pending + self.dirty
            return
        self.last_publish = utcnow()
        log.info("published %d files (%d written) in %d ms",
                 report.unchanged + len(report.written), len(report.written), report.elapsed_ms)
        if self.config.publish.websub_hub and report.changed_feeds:
            await ping_hub(self.config.publish.websub_hub, report.changed_feeds,
                           user_agent(self.config.base_url))

    async def _drain(self) -> None:
        if not self.inflight:
            return
        _done, pending = await asyncio.wait(list(self.inflight), timeout=STOP_GRACE)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=1)

    async def health(self) -> tuple[int, dict[str, Any]]:
        """200 while polls keep happening; 503 when nothing was polled for too long."""
        assert self.db is not None
        counts = await self.db.call(self.db.store.counts)
        interval = max((s.interval for s in self.config.sources), default=0)
        started_ok = self.last_poll is not None or not self.config.sources
        stale = self.last_poll is not None and (
            utcnow() - self.last_poll > timedelta(seconds=2 * interval + 60))
        body = {
            "status": "ok" if started_ok and not stale else "starting" if not stale else "stale",
            "sources": {k: v for k, v in counts.items() if k != "entries"},
            "entries": counts.get("entries", 0),
            "last_poll": self.last_poll.isoformat() if self.last_poll else None,
            "last_publish": self.last_publish.isoformat() if self.last_publish else None,
        }
        return (503 if stale else 200), body


def run_daemon(config: Config) -> int:
    """Start the daemon and block until it stops."""
    return asyncio.run(Daemon(config).run())
