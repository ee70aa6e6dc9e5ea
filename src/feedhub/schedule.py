"""When a source is next due. Pure policy: no clock, no randomness of its own, no I/O."""

from __future__ import annotations

from datetime import datetime, timedelta

MAX_INTERVAL = 24 * 3600.0  # never leave a source unpolled for more than a day
JITTER = 0.1  # +-10%, so sources added together drift apart instead of polling in lockstep


def next_poll(
    now: datetime,
    *,
    interval: float,
    min_interval: float,
    error_count: int = 0,
    ttl: float | None = None,
    rand: float = 0.5,
) -> datetime:
    """The next poll time of a source.

    ``interval`` is the configured one; an RSS ``<ttl>`` may lengthen it; while the source keeps
    failing the delay doubles per consecutive error. The result is bounded by ``min_interval``
    and a day after being spread by +-10% using ``rand`` (a number in [0, 1) from the caller).
    """
    delay = max(interval, ttl or 0.0)
    if error_count > 0:
        delay = delay * 2 ** min(error_count - 1, 16)
    delay *= 1 + JITTER * (2 * rand - 1)
    # Bounds after jitter: min_interval is a promise to site owners, the cap one to users.
    return now + timedelta(seconds=min(max(delay, min_interval), max(MAX_INTERVAL, min_interval)))


def first_poll_delay(index: int, count: int, spread: float) -> float:
    """Seconds to wait before the first poll of the ``index``-th of ``count`` overdue sources.

    Spreading the start over ``spread`` seconds keeps a freshly started daemon from opening every
    connection in the same instant.
    """
    if count <= 1:
        return 0.0
    return spread * index / count
