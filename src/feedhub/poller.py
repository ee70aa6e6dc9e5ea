"""One refresh of one source: fetch, parse, store, schedule. The orchestration, no policy."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import hashlib
import logging
import os
import random
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from feedhub.config import Config
from feedhub.errors import ParseError
from feedhub.fetch import Fetcher, FetchPolicy, user_agent
from feedhub.model import FetchResult, ParsedFeed, Polled, PollOutcome, Source, SourceState
from feedhub.processes import worker_context
from feedhub.states import GONE
from feedhub.store import Store, host_of, iso
from feedhub.store_thread import StoreThread
from feedhub.update import broken, decide

log = logging.getLogger("feedhub.poll")


def utcnow() -> datetime:
    """Now, in UTC, to the second (what the database stores)."""
    return datetime.now(UTC).replace(microsecond=0)


def fetch_policy(config: Config) -> FetchPolicy:
    p = config.polling
    return FetchPolicy(timeout=p.timeout, max_bytes=p.max_bytes, max_redirects=p.max_redirects,
                       allow_private=p.allow_private is True,
                       allowed_networks=p.private_networks, concurrency=p.concurrency,
                       per_host=p.per_host, user_agent=user_agent(config.base_url))


@dataclass(frozen=True, slots=True)
class Skip:
    """Why a due source is not fetched now, and until when (None: until its config changes)."""

    source_id: str
    reason: str
    until: datetime | None


async def prepare(db: StoreThread, source: Source,
                  now: datetime) -> tuple[SourceState, Skip | None]:
    """The source's remembered state, and whether it must wait rather than be fetched now
    (see :func:`skip_for`)."""
    state = await db.call(db.store.sources.state, source.id)
    until = await db.call(db.store.sources.host_wait, state.fetch_url, now)
    return state, skip_for(source, state, until)


def skip_for(source: Source, state: SourceState, host_until: datetime | None) -> Skip | None:
    """A gone source waits for its config to change; a source on a host that asked everyone to
    wait (429, 503 with Retry-After) waits for that host (until ``host_until``, if ahead)."""
    if state.state == GONE:
        return Skip(source.id, f"gone ({state.error}); edit its entry in config.yaml to retry",
                    None)
    if host_until is not None:
        return Skip(source.id,
                    f"{host_of(state.fetch_url)} asked to wait until {iso(host_until)}",
                    host_until)
    return None


async def fetch_and_parse(config: Config, db: StoreThread, fetcher: Fetcher, source: Source,
                          rng: random.Random, parsers: Executor | None = None,
                          state: SourceState | None = None) -> Polled:
    """Fetch and parse one source, and decide what that does to it (:func:`feedhub.update.
    decide`). Never raises for the source's own failures: they come back in ``Polled.error``
    to be recorded on the source; an unexpected error of ours is logged and recorded the same
    way, so one source can never end a batch. Parsing runs in ``parsers`` (a process pool, so
    that every core parses) or else in a thread. ``state`` is the source's, when the caller
    has read it already."""
    if state is None:
        state = await db.call(db.store.sources.state, source.id)
    try:
        return await _fetch_and_parse(config, db, fetcher, source, rng, parsers, state)
    except Exception as exc:
        log.exception("%s: poll failed unexpectedly", source.id)
        message = f"internal error while polling: {type(exc).__name__}: {exc}"
        return Polled(source=source, result=FetchResult(source.url, source.url, None),
                      size=0, parsed=None,
                      update=broken(state, message, datetime.now(UTC),
                                    config.polling.min_interval))


async def _fetch_and_parse(config: Config, db: StoreThread, fetcher: Fetcher, source: Source,
                           rng: random.Random, parsers: Executor | None,
                           state: SourceState) -> Polled:
    result = await fetcher.fetch(state.fetch_url or source.url, state.etag, state.last_modified)
    now = datetime.now(UTC)
    parsed: ParsedFeed | None = None
    parse_error: str | None = None
    body_hash = hashlib.sha256(result.body).hexdigest() if result.ok else None
    if result.ok and body_hash != state.body_hash:
        # Imported only when a body changed: feedparser and lxml would add a tenth of a second
        # to the start of every `feedhub poll` that finds nothing new.
        from feedhub.parse import parse_feed

        known = await db.call(db.store.polls.digests, source.id)
        try:
            parsed = await asyncio.get_running_loop().run_in_executor(
                parsers, parse_feed, result.body, source, result.final_url, result.headers,
                now.replace(microsecond=0), known)
        except ParseError as exc:
            parse_error = str(exc)
    update = decide(source, state, result, body_hash=body_hash, parsed=parsed,
                    parse_error=parse_error, now=now, rand=rng.random(),
                    min_interval=config.polling.min_interval)
    return Polled(source=source, result=dataclasses.replace(result, body=b""),
                  size=len(result.body), parsed=parsed, update=update)


async def record(db: StoreThread, polled: Polled) -> PollOutcome:
    """Store a polled source and log the one line that says what happened."""
    outcome = await db.call(db.store.polls.record, polled)
    _log(outcome)
    return outcome


async def poll_source(config: Config, db: StoreThread, fetcher: Fetcher, source: Source,
                      rng: random.Random, state: SourceState | None = None) -> PollOutcome:
    """Fetch, parse and store one source, and set its next poll time (in the outcome too).
    ``state`` is the source's, when the caller has read it already."""
    return await record(db, await fetch_and_parse(config, db, fetcher, source, rng,
                                                  state=state))


async def poll_in_order(config: Config, db: StoreThread, sources: list[Source],
                        progress: Callable[[int, int, int], None] | None = None,
                        ) -> tuple[list[PollOutcome], list[Skip]]:
    """Poll ``sources`` concurrently but store them in the given order; skip those that must
    wait (see :func:`skip_for`).

    When two sources carry the same article, the one stored first gives it its title and body;
    storing in config order makes that choice the same on every run.
    """
    rng = random.Random()
    now = utcnow()
    # One read of every state and host wait, rather than a round trip per source: a batch of
    # unchanged feeds is otherwise mostly waiting on the database thread.
    states = await db.call(db.store.sources.states)
    waits = await db.call(db.store.sources.host_waits, now)
    fresh = {s.id: states.get(s.id) or SourceState(source_id=s.id, url="") for s in sources}
    skips = [skip_for(s, fresh[s.id], waits.get(host_of(fresh[s.id].fetch_url)))
             for s in sources]
    for skip in skips:
        if skip is not None:
            log.info("%s: skipped: %s", skip.source_id, skip.reason)
    chosen = [s for s, skip in zip(sources, skips, strict=True) if skip is None]
    done = failed = 0
    workers = min(os.cpu_count() or 1, len(chosen))

    async def one(fetcher: Fetcher, source: Source, parsers: Executor | None) -> Polled:
        nonlocal done, failed
        polled = await fetch_and_parse(config, db, fetcher, source, rng, parsers,
                                       fresh[source.id])
        done += 1
        failed += polled.error is not None
        if progress is not None:
            progress(done, len(chosen), failed)
        return polled

    outcomes: list[PollOutcome] = []

    async def store(batch: list[Polled]) -> None:
        outcomes.extend(await db.call(_store_all, db.store, batch))
        for outcome in outcomes[-len(batch):]:
            _log(outcome)

    # A batch of many sources is CPU-bound on parsing: a process per core parses while the
    # event loop keeps fetching. (A thread would hold the GIL.)
    pool = (ProcessPoolExecutor(workers, mp_context=worker_context()) if workers > 1
            else ThreadPoolExecutor(1))
    with pool as parsers:
        async with Fetcher(fetch_policy(config)) as fetcher:
            await in_order([functools.partial(one, fetcher, s, parsers) for s in chosen], store,
                           running=2 * (config.polling.concurrency + workers),
                           buffered_bytes=BUFFERED_BYTES)
    return outcomes, [s for s in skips if s is not None]


# How much fetched data may wait for an earlier, slower source before no new fetch starts.
BUFFERED_BYTES = 64 * 2**20


async def in_order(jobs: Sequence[Callable[[], Awaitable[Polled]]],
                   store: Callable[[list[Polled]], Awaitable[None]], running: int,
                   buffered_bytes: int) -> None:
    """Run ``jobs`` concurrently and hand their results to ``store`` in the jobs' order, each
    as soon as it and those before it are in (those already in, together), so that storing
    overlaps the rest.

    Memory stays bounded however many jobs there are: at most ``running`` run at once, and no
    new one starts while the results waiting for an earlier job hold ``buffered_bytes`` of
    fetched data; a slow source holds up the start of others only once that much is waiting.
    """
    queue = iter(jobs)
    pending: deque[asyncio.Future[Polled]] = deque()
    in_flight = buffered = 0
    finished = asyncio.Event()

    async def run(job: Callable[[], Awaitable[Polled]]) -> Polled:
        nonlocal in_flight, buffered
        try:
            polled = await job()
            buffered += polled.size
            return polled
        finally:
            in_flight -= 1
            finished.set()

    def start() -> None:
        nonlocal in_flight
        while in_flight < running and buffered < buffered_bytes and \
                (job := next(queue, None)) is not None:
            in_flight += 1
            pending.append(asyncio.ensure_future(run(job)))

    try:
        while True:
            start()
            if not pending:
                return
            if not pending[0].done():
                finished.clear()
                await finished.wait()
                continue
            batch = []
            while pending and pending[0].done():
                batch.append(pending.popleft().result())
            buffered -= sum(p.size for p in batch)
            start()
            await store(batch)
    finally:
        for task in pending:
            task.cancel()


def _store_all(store: Store, batch: list[Polled]) -> list[PollOutcome]:
    # One transaction for the batch (each poll's own becomes a savepoint in it): a run of
    # unchanged feeds is then one commit, not one per feed.
    with store.db.atomic():
        return [store.polls.record(p) for p in batch]


def _log(o: PollOutcome) -> None:
    status = o.status if o.status is not None else "no response"
    if o.error:
        log.warning("%s: %s, error: %s, %d ms", o.source_id, status, o.error, o.elapsed_ms)
    else:
        log.info("%s: %s, %d new, %d updated, %d ms", o.source_id, status, o.new, o.updated,
                 o.elapsed_ms)
