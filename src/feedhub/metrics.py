"""What ``/metrics`` reports, in the Prometheus text format, from one registry per process."""

from __future__ import annotations

import contextlib
from datetime import datetime
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from feedhub.model import HubFacts, PollOutcome
from feedhub.publish.files import output_bytes
from feedhub.states import STATES


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
        self.sources = Gauge("feedhub_sources", "Configured sources, by state (new, ok, "
                             "failing, gone).", ["state"], registry=r)
        self.database_bytes = Gauge("feedhub_database_bytes",
                                    "Size of the database and its write-ahead log.", registry=r)
        self.output_bytes = Gauge("feedhub_output_bytes",
                                  "Bytes of every file in the output folder (feeds, archive "
                                  "pages, index and OPML files).", registry=r)
        self.last_poll = Gauge("feedhub_last_poll_timestamp_seconds",
                               "When a source was last polled.", registry=r)
        self.last_publish = Gauge("feedhub_last_publish_timestamp_seconds",
                                  "When outputs were last published.", registry=r)
        self.config_reload_failures = Counter(
            "feedhub_config_reload_failures", "Reloads refused because the config file was "
            "invalid.", registry=r)
        self.config_valid = Gauge("feedhub_config_valid", "1 while the config file on disk is "
                                  "the one running, 0 while it is invalid.", registry=r)
        self.config_loaded = Gauge("feedhub_config_loaded_timestamp_seconds",
                                   "When the running config was loaded.", registry=r)
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

    def config_applied(self, at: datetime) -> None:
        """The config file loaded cleanly at ``at`` and is the one running."""
        self.config_valid.set(1)
        self.config_loaded.set(at.timestamp())

    def config_refused(self) -> None:
        """A reload found the config file invalid; the older config keeps running."""
        self.config_reload_failures.inc()
        self.config_valid.set(0)

    def refresh(self, facts: HubFacts, database: Path, output: Path) -> None:
        """Set the gauges read at scrape time: from the database, and the files' sizes (a walk
        of the output folder: call it off the event loop)."""
        self.output_bytes.set(output_bytes(output))
        for state in STATES:
            self.sources.labels(state).set(facts.sources[state])
        for gauge, when in ((self.last_poll, facts.last_poll),
                            (self.last_publish, facts.last_publish)):
            if when is not None:
                gauge.set(when.timestamp())
        size = 0
        for suffix in ("", "-wal"):
            with contextlib.suppress(FileNotFoundError):
                size += database.with_name(database.name + suffix).stat().st_size
        self.database_bytes.set(size)

    def render(self) -> bytes:
        return generate_latest(self.registry)
