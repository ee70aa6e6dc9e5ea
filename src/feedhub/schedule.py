"""When a source is next due. Pure policy: no clock, no randomness of its own, no I/O.

The inputs are what the configuration asks (interval, min_interval), what the server said
(Cache-Control, Expires, Retry-After, RSS ttl, sy:updatePeriod) and how the source has been
doing (its error streak). The caller passes ``now`` and a random number, so every decision can
be tested exactly.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

MAX_INTERVAL = 24 * 3600.0  # never leave a healthy source unpolled for more than a day
MAX_BACKOFF = 7 * 24 * 3600.0  # a source failing for weeks is still tried once a week
JITTER = 0.1  # +-10%, so sources added together drift apart instead of polling in lockstep
DEFAULT_RETRY_AFTER = 300.0  # a 429 that does not say how long to wait

_SY_PERIOD = {"hourly": 3600, "daily": 86400, "weekly": 604800, "monthly": 2592000,
              "yearly": 31536000}
_MAX_AGE = re.compile(r"(?:^|,)\s*(s-maxage|max-age)\s*=\s*\"?(\d+)\"?", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|,)\s*(no-cache|no-store)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ServerHints:
    """How long the server says its answer stays fresh, and how long it asks us to wait."""

    fresh_for: float | None = None  # seconds: Cache-Control max-age, else Expires
    retry_after: float | None = None  # seconds: Retry-After on 429/503 (or a 429's default)
    feed_period: float | None = None  # seconds: RSS <ttl> or sy:updatePeriod/updateFrequency


def _http_date(value: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def freshness(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds the response stays fresh: ``max-age`` (not with no-cache/no-store), else Expires."""
    cache_control = headers.get("cache-control", "")
    if _NO_CACHE.search(cache_control):
        return None
    ages = {name.lower(): float(value) for name, value in _MAX_AGE.findall(cache_control)}
    if ages:
        # feedhub republishes to many readers, like a shared cache: s-maxage speaks to it first.
        max_age = ages.get("s-maxage", ages.get("max-age", 0.0))
        age_text = headers.get("age", "").strip()
        age = float(age_text) if _digits(age_text) else 0.0
        return max(max_age - age, 0.0)
    if expires := headers.get("expires"):
        when = _http_date(expires)
        return max((when - now).total_seconds(), 0.0) if when else 0.0
    return None


def retry_after(status: int | None, headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds a 429 or 503 asks us to wait: Retry-After as seconds or an HTTP date."""
    if status not in (429, 503):
        return None
    value = headers.get("retry-after", "").strip()
    if _digits(value):
        seconds = float(value)
    elif value and (when := _http_date(value)):
        seconds = (when - now).total_seconds()
    else:
        return DEFAULT_RETRY_AFTER if status == 429 else None
    # Honoured up to a week: past that it is a broken header, not a request we can keep.
    return min(max(seconds, 0.0), MAX_BACKOFF)


def feed_period(ttl_minutes: str | None, sy_period: str | None,
                sy_frequency: str | None) -> float | None:
    """Seconds between updates a feed announces: RSS ``<ttl>`` (minutes) or ``sy:updatePeriod``
    divided by ``sy:updateFrequency``; the longer of the two."""
    found: list[float] = []
    ttl = _finite(ttl_minutes)
    if ttl is not None and ttl > 0:
        found.append(ttl * 60)
    if sy_period and sy_period.strip().lower() in _SY_PERIOD:
        frequency = _finite(sy_frequency)
        found.append(_SY_PERIOD[sy_period.strip().lower()] / max(frequency or 1.0, 1.0))
    return max(found) if found else None


def _digits(text: str) -> bool:
    """ASCII digits only: str.isdigit() also accepts '²' and other digits float() refuses."""
    return text.isascii() and text.isdigit()


def _finite(text: str | None) -> float | None:
    """A finite number from feed text, else None (feeds carry 'nan' and '1e999' too)."""
    try:
        value = float(text) if text else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


def next_poll(
    now: datetime,
    *,
    interval: float,
    min_interval: float,
    error_count: int = 0,
    hints: ServerHints = ServerHints(),
    rand: float = 0.5,
) -> datetime:
    """The next poll time of a source.

    A healthy source waits its configured ``interval``, lengthened (never shortened) by what the
    server and the feed say about freshness. A failing one backs off exponentially: the delay
    doubles with each consecutive error after the first. A Retry-After is a floor. The delay is
    spread by +-10% using ``rand`` (a number in [0, 1) from the caller), then bounded below by
    ``min_interval`` and the Retry-After and above by a day (a week while failing).
    """
    delay = max(interval, hints.fresh_for or 0.0, hints.feed_period or 0.0)
    cap = MAX_INTERVAL
    if error_count > 0:
        delay = interval * 2 ** min(error_count - 1, 20)
        cap = MAX_BACKOFF
    delay *= 1 + JITTER * (2 * rand - 1)
    floor = max(min_interval, hints.retry_after or 0.0)
    # Bounds after jitter: min_interval and Retry-After are promises to site owners.
    return now + timedelta(seconds=min(max(delay, floor), max(cap, floor)))


def first_poll_delay(index: int, count: int, spread: float) -> float:
    """Seconds to wait before the first poll of the ``index``-th of ``count`` overdue sources.

    Spreading the start over ``spread`` seconds keeps a freshly started daemon from opening every
    connection in the same instant.
    """
    if count <= 1:
        return 0.0
    return spread * index / count
