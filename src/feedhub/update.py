"""What one poll does to a source: the one place that decides it. Pure: no I/O, no clock.

From the source's config, what feedhub remembered of it, what the fetch brought and what
reading the body gave, :func:`decide` works out everything the poll changes: the source's
state (ok, failing, gone), its error streak and since when, the validators and body hash to
send and compare next time, a permanent move, the feed's own facts, when it is next due and how
long its host asked every client to wait. The poller does the I/O around it; the store writes
the :class:`SourceUpdate` as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from feedhub.model import FetchResult, ParsedFeed, Source, SourceState
from feedhub.schedule import ServerHints, freshness, next_poll, retry_after
from feedhub.states import FAILING, GONE, OK


@dataclass(frozen=True, slots=True)
class FeedFacts:
    """What a feed says about itself, kept from its last good reading."""

    title: str
    link: str | None
    feed_id: str | None
    updated: datetime | None


@dataclass(frozen=True, slots=True)
class SourceUpdate:
    """A source's remembered state after one poll, and when it is polled next.

    Every field is the value to store (an unchanged one is carried over from the state the
    poll started from), except ``feed``: None when the body was not read again this time.
    """

    at: datetime  # when the poll ended, to the second
    status: int | None  # the HTTP status, None when no answer came
    state: str  # states.OK, FAILING or GONE
    error: str | None
    error_count: int  # failures in a row
    error_since: datetime | None  # when the streak began
    last_success: datetime | None
    etag: str | None
    last_modified: str | None
    body_hash: str | None  # of the last body read without an error
    moved_to: str | None  # where every redirect was permanent, once seen
    period: float | None  # the update period the feed last announced
    feed: FeedFacts | None
    next_poll: datetime
    host_wait_until: datetime | None  # the host asked every client to wait until then
    # It started or stopped failing, or fails otherwise: the index page should show it now.
    state_changed: bool
    # The last poll the decision started from: the store refuses the update if another poll
    # of the source (a `feedhub poll` beside the daemon) was stored since.
    based_on: datetime | None


def decide(source: Source, state: SourceState, result: FetchResult, *, body_hash: str | None,
           parsed: ParsedFeed | None, parse_error: str | None, now: datetime, rand: float,
           min_interval: float) -> SourceUpdate:
    """What this poll of ``source`` does to it.

    ``state`` is what was remembered before the poll; ``result`` the fetch (its body no longer
    needed); ``body_hash`` the hash of a 2xx body; ``parsed`` the feed read from it when the
    body had changed, or ``parse_error`` why it could not be read. ``now`` is the end of the
    poll, to the microsecond, and ``rand`` a number in [0, 1) that spreads the next poll.
    """
    error = result.error or parse_error
    at = now.replace(microsecond=0)
    wait = retry_after(result.status, result.headers, at)
    hints = ServerHints(
        fresh_for=freshness(result.headers, at) if error is None else None,
        retry_after=wait,
        feed_period=parsed.period if parsed is not None else state.period,
    )
    streak: tuple[str, str | None, int, datetime | None] = (
        (OK, None, 0, None) if error is None else _failure(state, error, result.status, at))
    due = next_poll(now, interval=source.interval, min_interval=min_interval,
                    error_count=streak[2], hints=hints, rand=rand)
    etag, last_modified, kept_hash = state.etag, state.last_modified, state.body_hash
    if error is None and (result.status != 304 or result.etag or result.last_modified):
        # Refreshed on every 200, even when the body turns out to be unchanged; on a 304 only
        # when it names validators (a 304 without them leaves the ones that earned it).
        etag, last_modified = result.etag, result.last_modified
        if result.status != 304 and body_hash:
            kept_hash = body_hash
    read = parsed if error is None else None
    return SourceUpdate(
        at=at, status=result.status, state=streak[0], error=streak[1], error_count=streak[2],
        error_since=streak[3],
        last_success=at if error is None else state.last_success,
        etag=etag, last_modified=last_modified, body_hash=kept_hash,
        moved_to=result.moved_to or state.moved_to,
        period=read.period if read is not None else state.period,
        feed=(FeedFacts(read.title, read.link, read.feed_id, read.updated)
              if read is not None else None),
        next_poll=_ceil_second(due),
        host_wait_until=_ceil_second(now + timedelta(seconds=wait)) if wait else None,
        state_changed=(state.state, state.error) != streak[:2],
        based_on=state.last_poll,
    )


def broken(state: SourceState, message: str, now: datetime, min_interval: float) -> SourceUpdate:
    """A poll that failed in feedhub itself (a bug, not the source): recorded as a failure of
    the source, and tried again after ``min_interval`` rather than backed off, since the next
    try may well succeed once the cause is gone."""
    at = now.replace(microsecond=0)
    state_, error, count, since = _failure(state, message, None, at)
    return SourceUpdate(
        at=at, status=None, state=state_, error=error, error_count=count, error_since=since,
        last_success=state.last_success, etag=state.etag, last_modified=state.last_modified,
        body_hash=state.body_hash, moved_to=state.moved_to, period=state.period, feed=None,
        next_poll=_ceil_second(now + timedelta(seconds=min_interval)), host_wait_until=None,
        state_changed=(state.state, state.error) != (state_, error), based_on=state.last_poll)


def _failure(state: SourceState, error: str, status: int | None,
             at: datetime) -> tuple[str, str, int, datetime]:
    """The state, error, streak and its start after a failed poll: 410 Gone ends the
    polling (until the config changes); anything else counts one more failure in a row."""
    return (GONE if status == 410 else FAILING, error, state.error_count + 1,
            state.error_since or at)


def _ceil_second(when: datetime) -> datetime:
    """Rounded up: a wait a server asked for must not end early by the truncated fraction."""
    whole = when.replace(microsecond=0)
    return whole if whole == when else whole + timedelta(seconds=1)
