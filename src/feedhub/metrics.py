"""What ``/metrics`` reports, in the Prometheus text format, from one registry per process."""

from __future__ import annotations

import contextlib
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from feedhub.model import PollOutcome

STATES = ("new", "ok", "error", "gone")


class Metrics:
    """The daemon's counters. Each instance has its own registry: no global state."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.polls = Counter("feedhub_polls", "Polls of sources, by result.", ["result"],
                             registry=r)
        self.entries = Counter("feedhub_entries", "Entries stored, updated or removed.",
                               ["change"], registry=r)
        self.fetch_seconds = Histogram(
            "feedhub_fetch_seconds", "Time to fetch a source.", registry=r,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 60))
        self.publish_seconds = Histogram(
            "feedhub_publish_seconds", "Time to publish after polls.", registry=r,
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60))
        self.sources = Gauge("feedhub_sources", "Configured sources, by state.", ["state"],
                             registry=r)
        self.database_bytes = Gauge("feedhub_database_bytes",
                                    "Size of the database and its write-ahead log.", registry=r)
        self.last_poll = Gauge("feedhub_last_poll_timestamp_seconds",
                               "When a source was last polled.", registry=r)
        self.last_publish = Gauge("feedhub_last_publish_timestamp_seconds",
                                  "When outputs were last published.", registry=r)
        self.responses = Counter("feedhub_http_responses", "Responses served, by status.",
                                 ["status"], registry=r)

    def poll(self, outcome: PollOutcome) -> None:
        """Count one poll's result (skips are counted where they happen)."""
        if outcome.error:
            result = "gone" if outcome.status == 410 else "error"
        else:
            result = "not_modified" if outcome.status == 304 else "ok"
        self.polls.labels(result).inc()
        self.entries.labels("new").inc(outcome.new)
        self.entries.labels("updated").inc(outcome.updated)
        self.entries.labels("removed").inc(outcome.removed)
        self.fetch_seconds.observe(outcome.elapsed_ms / 1000)

    def refresh(self, counts: dict[str, int], database: Path) -> None:
        """Set the gauges read from the database at scrape time."""
        for state in STATES:
            self.sources.labels(state).set(counts.get(state, 0))
        size = 0
        for suffix in ("", "-wal"):
            with contextlib.suppress(FileNotFoundError):
                size += database.with_name(database.name + suffix).stat().st_size
        self.database_bytes.set(size)

    def render(self) -> bytes:
        return generate_latest(self.registry)
