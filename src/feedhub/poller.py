"""One refresh of one source: fetch, parse, store, schedule. The orchestration, no policy."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import ParamSpec, TypeVar

from feedhub.config import Config
from feedhub.errors import ParseError
from feedhub.fetch import Fetcher, FetchPolicy, user_agent
from feedhub.model import ParsedFeed, Polled, PollOutcome, Source
from feedhub.parse import parse_feed
from feedhub.schedule import next_poll
from feedhub.store import Store

log = logging.getLogger("feedhub.poll")
P = ParamSpec("P")
T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Database:
    """The store behind a single thread, so the event loop never waits on SQLite."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="feedhub-db")

    async def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(*args, **kwargs))

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        self.store.close()


def fetch_policy(config: Config) -> FetchPolicy:
    p = config.polling
    return FetchPolicy(timeout=p.timeout, max_bytes=p.max_bytes, max_redirects=p.max_redirects,
                       allow_private=p.allow_private, concurrency=p.concurrency,
                       per_host=p.per_host, user_agent=user_agent(config.base_url))


async def fetch_and_parse(config: Config, db: Database, fetcher: Fetcher, source: Source,
                          rng: random.Random) -> Polled:
    """Fetch and parse one source. Never raises for the source's own failures: they come back
    in ``Polled.error`` to be recorded on the source."""
    state = await db.call(db.store.state, source.id)
    result = await fetcher.fetch(state.url or source.url, state.etag, state.last_modified)
    now = utcnow()
    error = result.error
    parsed: ParsedFeed | None = None
    body_hash = hashlib.sha256(result.body).hexdigest() if result.body else None
    if result.ok and body_hash != state.body_hash:
        try:
            parsed = await asyncio.to_thread(parse_feed, result.body, source, result.final_url,
                                             result.headers, now)
        except ParseError as exc:
            error = str(exc)
    errors = 0 if error is None else state.error_count + 1
    due = next_poll(now, interval=source.interval, min_interval=config.polling.min_interval,
                    error_count=errors, ttl=parsed.ttl_seconds if parsed else None,
                    rand=rng.random())
    return Polled(source=source, result=dataclasses.replace(result, body=b""),
                  body_hash=body_hash, size=len(result.body), parsed=parsed, error=error,
                  at=now, next_poll=due)


async def record(db: Database, polled: Polled) -> PollOutcome:
    """Store a polled source and log the one line that says what happened."""
    outcome = await db.call(db.store.record_poll, polled)
    _log(outcome)
    return outcome


async def poll_source(config: Config, db: Database, fetcher: Fetcher, source: Source,
                      rng: random.Random) -> PollOutcome:
    """Fetch, parse and store one source, and set its next poll time."""
    return await record(db, await fetch_and_parse(config, db, fetcher, source, rng))


async def poll_in_order(config: Config, db: Database, sources: list[Source]) -> list[PollOutcome]:
    """Poll ``sources`` concurrently but store them in the given order.

    When two sources carry the same article, the one stored first gives it its title and body;
    storing in config order makes that choice the same on every run.
    """
    rng = random.Random()
    async with Fetcher(fetch_policy(config)) as fetcher:
        polled = await asyncio.gather(
            *(fetch_and_parse(config, db, fetcher, s, rng) for s in sources))
    return [await record(db, p) for p in polled]


def _log(o: PollOutcome) -> None:
    status = o.status if o.status is not None else "---"
    if o.error:
        log.warning("%s: %s, error: %s, %d ms", o.source_id, status, o.error, o.elapsed_ms)
    else:
        log.info("%s: %s, %d new, %d updated, %d ms", o.source_id, status, o.new, o.updated,
                 o.elapsed_ms)
