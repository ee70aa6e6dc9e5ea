"""Sources: their polling state, the hosts that asked to wait, and the status rows."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import sqlite_utils

from feedhub.model import Source, SourceState, from_iso, from_iso_or_none, iso
from feedhub.states import GONE, NEW
from feedhub.store._nodes import Nodes


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """One row of ``feedhub status``."""

    source_id: str
    url: str
    state: str
    last_poll: str | None
    next_poll: str | None
    entries: int
    error: str | None
    error_count: int
    error_since: str | None
    last_status: int | None
    moved_to: str | None
    url_in_use: str
    last_success: str | None = None

    @property
    def message(self) -> str:
        """What the user should know: the error, else a permanent move to act on."""
        if self.error and self.error_count > 1:
            return f"{self.error} ({self.error_count} failures since {self.error_since})"
        if self.error:
            return self.error
        if self.moved_to:
            return f"moved permanently to {self.moved_to}: update its url in config.yaml"
        return ""


def host_of(url: str) -> str:
    """The host part that rate limits apply to: name and port, lowercased."""
    parts = urlsplit(url)
    return (parts.hostname or "") + (f":{parts.port}" if parts.port else "")


def config_hash_of(source: Source) -> str:
    """A fingerprint of a source's entry in config.yaml."""
    fields = [source.url, repr(source.interval), source.author or "", *source.include, "\x1f",
              *source.exclude, str(source.enabled), repr(source.max_age), repr(source.max_entries)]
    return hashlib.sha256("\x1e".join(fields).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Sources:
    """The ``sources`` and ``hosts`` tables."""

    db: sqlite_utils.Database
    nodes: Nodes  # which the entries of a source that comes or goes join or leave

    def sync(self, sources: Sequence[Source]) -> frozenset[str]:
        """Make the sources table match the config: new rows, moved URLs reset, removed ones idle.

        Entries of removed or disabled sources leave the published feeds (their node links are
        recomputed) but stay stored, so re-adding the source brings them back. Returns the nodes
        whose entries changed that way, to republish.
        """
        db = self.db
        wanted = {s.id: s for s in sources if s.enabled}
        existing = {r["id"]: r for r in db.table("sources").rows}
        touched: set[str] = set()
        with db.atomic():
            for sid, src in wanted.items():
                row = existing.get(sid)
                config_hash = config_hash_of(src)
                if row is None:
                    db.table("sources").insert({"id": sid, "path": json.dumps(list(src.path),
                                          ensure_ascii=False), "url": src.url, "active": 1,
                                          "state": NEW, "error_count": 0,
                                          "config_hash": config_hash})
                    continue
                changes: dict[str, Any] = {}
                if row["config_hash"] != config_hash:
                    # New filters or limits must see the whole feed again, not a 304.
                    changes.update(config_hash=config_hash, etag=None, last_modified=None,
                                   body_hash=None)
                    if row["state"] == GONE:
                        # Gone stays gone until the user touches the source's entry.
                        changes.update(state=NEW, error=None, error_count=0, error_since=None,
                                       next_poll=None)
                if row["url"] != src.url:
                    # A new URL is a new conversation with a server: forget what the old one said.
                    changes.update(url=src.url, etag=None, last_modified=None, body_hash=None,
                                   moved_to=None, state=NEW, error=None, error_count=0,
                                   error_since=None, next_poll=None)
                if not row["active"]:
                    changes["active"] = 1
                    touched.add(sid)
                if changes:
                    db.table("sources").update(sid, changes)
            for sid, row in existing.items():
                if sid not in wanted and row["active"]:
                    db.table("sources").update(sid, {"active": 0})
                    touched.add(sid)
            if not touched:
                return frozenset()
            ids = [r[0] for r in db.execute(
                f"SELECT DISTINCT entry_id FROM entry_sources WHERE source_id IN "
                f"({','.join('?' * len(touched))})", list(touched))]
            return frozenset(self.nodes.relink(ids))

    def state(self, source_id: str) -> SourceState:
        """The remembered polling state of a source (a fresh one if never seen)."""
        row = self.db.conn.execute(f"SELECT {_STATE_COLUMNS} FROM sources WHERE id=?",
                                   [source_id]).fetchone()
        return _state(row) if row else SourceState(source_id=source_id, url="")

    def states(self) -> dict[str, SourceState]:
        """Every known source's polling state, by id, in one query (a batch poll's start)."""
        return {row[0]: _state(row) for row in self.db.conn.execute(
            f"SELECT {_STATE_COLUMNS} FROM sources")}

    def block_host(self, url: str, until: datetime, reason: str) -> None:
        """Leave the host of ``url`` alone until ``until`` (a longer wait already asked for
        stands)."""
        host = host_of(url)
        row = self.db.execute("SELECT not_before FROM hosts WHERE host=?", [host]).fetchone()
        if row is None or from_iso(row[0]) < until:
            self.db.table("hosts").upsert(
                {"host": host, "not_before": iso(until), "reason": reason}, pk="host")

    def host_waits(self, now: datetime) -> dict[str, datetime]:
        """Every host that asked to be left alone until after ``now``, with until when."""
        return {host: from_iso(until) for host, until in self.db.conn.execute(
            "SELECT host, not_before FROM hosts WHERE not_before > ?", [iso(now)])}

    def host_wait(self, url: str, now: datetime) -> datetime | None:
        """Until when the host of ``url`` asked to be left alone, if that is still ahead."""
        row = self.db.execute("SELECT not_before FROM hosts WHERE host=?",
                              [host_of(url)]).fetchone()
        if row is None or from_iso(row[0]) <= now:
            return None
        return from_iso(row[0])

    def status(self, sources: Sequence[Source] = ()) -> list[SourceStatus]:
        """Every active source with its state and entry count, in id order; sources of the
        config the database has not seen yet are listed as new (nothing is written)."""
        rows = self.db.execute(
            "SELECT s.id, s.url, s.state, s.last_poll, s.next_poll, "
            "(SELECT count(*) FROM entry_sources es WHERE es.source_id = s.id), "
            "s.error, s.error_count, s.error_since, s.last_status, s.moved_to, "
            "coalesce(s.moved_to, s.url), s.last_success "
            "FROM sources s WHERE s.active=1 ORDER BY s.id"
        ).fetchall()
        known = {r[0]: SourceStatus(*r) for r in rows}
        if not sources:
            return list(known.values())
        out = []
        for source in sorted(sources, key=lambda s: s.id):
            if not source.enabled:
                continue
            row = known.get(source.id)
            if row is None or row.url != source.url:
                # Not seen yet, or its URL was edited since: the next poll starts afresh.
                row = SourceStatus(source.id, source.url, NEW, row.last_poll if row else None,
                                   None, row.entries if row else 0, None, 0, None, None, None,
                                   source.url, row.last_success if row else None)
            out.append(row)
        return out

    def health(self) -> dict[str, tuple[Any, ...]]:
        """Per active source: (url, state, last_poll, last_success, error, error_count,
        error_since, moved_to), in one query without entry counts (the index page's)."""
        return {r[0]: r[1:] for r in self.db.execute(
            "SELECT id, url, state, last_poll, last_success, error, error_count, error_since, "
            "moved_to FROM sources WHERE active=1")}

    def site_links(self) -> dict[str, str]:
        """The website each source's feed names, by source id."""
        return {r[0]: r[1] for r in self.db.execute(
            "SELECT id, feed_link FROM sources WHERE feed_link IS NOT NULL")}


_STATE_COLUMNS = ("id, url, etag, last_modified, state, error, error_count, error_since, "
                  "last_poll, last_success, next_poll, body_hash, moved_to, period")


def _state(row: Sequence[Any]) -> SourceState:
    (sid, url, etag, last_modified, state, error, error_count, error_since, last_poll,
     last_success, next_poll, body_hash, moved_to, period) = row
    return SourceState(source_id=sid, url=url, etag=etag, last_modified=last_modified,
                       state=state, error=error, error_count=error_count or 0,
                       error_since=from_iso_or_none(error_since),
                       last_poll=from_iso_or_none(last_poll),
                       last_success=from_iso_or_none(last_success),
                       next_poll=from_iso_or_none(next_poll),
                       body_hash=body_hash, moved_to=moved_to, period=period)
