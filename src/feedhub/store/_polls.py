"""Storing what a poll brought: its entries (dedup, updates in place, tree nodes), the
source's update and the log row, in one transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from feedhub.dedup import mint_atom_id
from feedhub.model import (
    Entry,
    Polled,
    PollOutcome,
    Source,
    ancestors,
    from_iso,
    from_iso_or_none,
    iso,
    iso_or_none,
    path_str,
)
from feedhub.states import GONE
from feedhub.store._nodes import Nodes
from feedhub.store._retention import Retention
from feedhub.store._sources import Sources, config_hash_of
from feedhub.update import SourceUpdate

FETCH_LOG_DAYS = 30


# What makes an entry 'changed': any field a reader would see (not its language alone).
_SEEN_FIELDS = ("title", "link", "author", "content", "summary", "thumbnail", "categories")


def _bound(column: str) -> str:
    """The placeholder a value of ``column`` is bound to: ``Entry.content`` comes as UTF-8
    bytes, which SQLite takes as the text they are (a bytes value would be a BLOB)."""
    return "CAST(? AS TEXT)" if column == "content" else "?"


def _read(column: str) -> str:
    """``column`` as it compares with an :class:`Entry`'s field (see :func:`_bound`)."""
    return "CAST(content AS BLOB)" if column == "content" else column


@dataclass(frozen=True, slots=True)
class Polls:
    """The ``entries``, ``entry_sources``, ``entry_nodes``, ``nodes`` and ``fetches`` tables,
    as one poll writes them."""

    db: sqlite_utils.Database
    nodes: Nodes
    sources: Sources
    retention: Retention
    authority: str  # of the ``tag:`` ids minted for entries that have none

    def record(self, polled: Polled) -> PollOutcome:
        """Store what one poll of a source brought and what it does to the source (its
        :class:`~feedhub.update.SourceUpdate`, written as it is), in one transaction."""
        db = self.db
        source, result, parsed, update = polled.source, polled.result, polled.parsed, polled.update
        error, now = update.error, update.at
        new = updated = 0
        changed: set[int] = set()
        with db.atomic():
            row = db.execute("SELECT active, url, config_hash, last_poll, next_poll, state "
                             "FROM sources WHERE id=?", [source.id]).fetchone()
            current = row is not None and row[0] and row[1] == source.url
            why = None
            if not current or row[2] != config_hash_of(source):
                # Its result belongs to a source that no longer exists in this form.
                why = "the config changed during the poll"
            elif from_iso_or_none(row[3]) != update.based_on:
                # Writing this poll's state would roll back the validators, streak and last
                # success the other poll stored; that poll's entries are stored already.
                why = "another poll of this source was stored during the poll"
            if why is not None:
                db.table("fetches").insert({"source_id": source.id, "at": iso(now),
                                      "status": result.status, "ms": result.elapsed_ms,
                                      "bytes": polled.size, "new": 0, "updated": 0,
                                      "error": f"discarded: {why}"})
                # Still scheduled: when the stored state says, or else as this poll decided.
                due = from_iso_or_none(row[4]) if row is not None else None
                gone = (row is not None and row[5] == GONE) or update.state == GONE
                return PollOutcome(source_id=source.id, status=result.status,
                                   elapsed_ms=result.elapsed_ms, error=error,
                                   next_poll=None if gone else due or update.next_poll)
            if parsed is not None:
                new, updated, changed = self._store_entries(source, parsed.entries,
                                                            parsed.unchanged, now)
            if update.host_wait_until is not None:
                self.sources.block_host(result.url, update.host_wait_until, error or "")
            self._write_update(source.id, update)
            db.conn.execute("INSERT INTO fetches (source_id, at, status, ms, bytes, new, "
                            "updated, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            [source.id, iso(now), result.status, result.elapsed_ms,
                             polled.size, new, updated, error])
            db.execute("DELETE FROM fetches WHERE at < ?",
                       [iso(now - timedelta(days=FETCH_LOG_DAYS))])
            nodes = self.nodes.nodes_of(changed)
            removed, emptied, gone_posts = (self.retention.apply(source, now) if error is None
                                            else (0, frozenset(), ()))
        return PollOutcome(source_id=source.id, status=result.status, new=new, updated=updated,
                           elapsed_ms=result.elapsed_ms, error=error,
                           changed_nodes=nodes | emptied, removed=removed,
                           changed_entries=frozenset(changed), removed_posts=gone_posts,
                           next_poll=update.next_poll if update.state != GONE else None,
                           state_changed=update.state_changed)

    def _write_update(self, source_id: str, update: SourceUpdate) -> None:
        changes: dict[str, Any] = {
            "last_poll": iso(update.at), "last_status": update.status,
            "next_poll": iso(update.next_poll), "state": update.state, "error": update.error,
            "error_count": update.error_count, "error_since": iso_or_none(update.error_since),
            "last_success": iso_or_none(update.last_success), "etag": update.etag,
            "last_modified": update.last_modified, "body_hash": update.body_hash,
            "moved_to": update.moved_to, "period": update.period,
        }
        if (feed := update.feed) is not None:
            changes.update(feed_title=feed.title, feed_link=feed.link, feed_id=feed.feed_id,
                           feed_updated=iso_or_none(feed.updated))
        # Plain SQL: this runs for every source on every poll, and sqlite-utils' update
        # costs more than the statement itself.
        self.db.conn.execute(f"UPDATE sources SET {', '.join(f'{k}=?' for k in changes)} "
                             "WHERE id=?", [*changes.values(), source_id])

    def digests(self, source_id: str) -> dict[str, str]:
        """The digest of each entry the source's feed held when last stored, to its key."""
        return dict(self.db.conn.execute(
            "SELECT digest, key FROM entry_sources WHERE source_id=? AND in_feed=1 AND "
            "digest IS NOT NULL", [source_id]))

    def _store_entries(self, source: Source, entries: Sequence[Entry], unchanged: Iterable[str],
                       now: datetime) -> tuple[int, int, set[int]]:
        """Insert, update or link a poll's entries, and keep those the feed still holds
        ``unchanged`` (keys); returns (new, updated, changed entry ids).

        The source's known keys are read once, and new entries join the tree nodes in one
        batch per node: a cold poll stores thousands of entries, and per-entry statements
        were most of its cost.
        """
        db = self.db
        known = dict(db.execute("SELECT key, entry_id FROM entry_sources WHERE source_id=?",
                                [source.id]).fetchall())
        db.execute("UPDATE entry_sources SET in_feed=0 WHERE source_id=?", [source.id])
        new = updated = 0
        changed: set[int] = set()
        joining: list[tuple[int, str]] = []
        for e in entries:
            if e.key in known:
                if self._update_entry(source, e, known[e.key], now):
                    updated += 1
                    changed.add(known[e.key])
                continue
            entry_id, published = self._insert_entry(source, e, now)
            if published is not None:
                joining.append((entry_id, published))
            new += 1
            changed.add(entry_id)
        db.conn.executemany(
            "UPDATE entry_sources SET in_feed=1, digest=? WHERE source_id=? AND key=?",
            [(e.digest, source.id, e.key) for e in entries if e.key in known])
        db.conn.executemany("UPDATE entry_sources SET in_feed=1 WHERE source_id=? AND key=?",
                            [(source.id, key) for key in unchanged])
        for node in ancestors(source.path):
            self.nodes.join_new(path_str(node), joining)
        return new, updated, changed

    def _update_entry(self, source: Source, e: Entry, entry_id: int, now: datetime) -> bool:
        """Edit a known entry in place if it changed; whether it did.

        Only entries the parser normalized again (their raw form changed) come here, so the
        stored fields are read and compared rather than a hash of them kept for every entry:
        hashing each new entry's body cost a cold ingest more than all of these reads."""
        row = self.db.execute(
            f"SELECT source_id, updated, {', '.join(map(_read, _SEEN_FIELDS))} FROM entries "
            "WHERE id=?", [entry_id]).fetchone()
        fields = self._fields(e)
        # Only the source an entry came from may edit it, so two sources carrying the same
        # article with different markup cannot flip it back and forth on every poll.
        if row[0] != source.id or list(row[2:]) == [fields[k] for k in _SEEN_FIELDS]:
            return False
        stored_updated = from_iso(row[1])
        fresh = e.updated if e.updated and e.updated > stored_updated else now
        edit = {**fields, "updated": iso(max(fresh, stored_updated))}
        self.db.execute(f"UPDATE entries SET {', '.join(f'{k}={_bound(k)}' for k in edit)} "
                        "WHERE id=?", [*edit.values(), entry_id])
        # The archive pages holding it show the edit too (RFC 5005 4.1 allows that for an
        # archive; a reader sees the edit in the subscription document while it is there).
        self.db.execute("INSERT OR IGNORE INTO stale_seqs (node, seq) SELECT node, seq "
                        "FROM entry_nodes WHERE entry_id=?", [entry_id])
        return True

    def _insert_entry(self, source: Source, e: Entry, now: datetime) -> tuple[int, str | None]:
        """A new key of this source: the same article from another source (linked, returns no
        date: it joins its nodes now), or a new entry (returns its date, to join its nodes)."""
        conn = self.db.conn
        atom_id = e.source_id_iri
        twin = None
        if atom_id:
            twin = conn.execute("SELECT id FROM entries WHERE atom_id=?", [atom_id]).fetchone()
        if twin is None and e.canonical_link:
            # Across sources only: within one source, distinct ids are distinct entries even
            # when they link to the same page (live blogs, corrections).
            twin = conn.execute(
                "SELECT id FROM entries e WHERE canonical_link=? AND NOT EXISTS (SELECT 1 FROM "
                "entry_sources es WHERE es.entry_id = e.id AND es.source_id = ?) "
                "ORDER BY id LIMIT 1", [e.canonical_link, source.id]).fetchone()
        if twin is not None:
            conn.execute("INSERT INTO entry_sources (source_id, key, entry_id, digest) "
                         "VALUES (?, ?, ?, ?)", [source.id, e.key, twin[0], e.digest])
            self.nodes.relink([twin[0]])
            return twin[0], None
        published = e.published or e.updated or now
        record = {
            **self._fields(e),
            "atom_id": atom_id or mint_atom_id(self.authority, now.strftime("%Y-%m-%d"),
                                               source.id, e.key),
            "source_id": source.id, "key": e.key, "canonical_link": e.canonical_link,
            "published": iso(published), "updated": iso(max(e.updated or published, published)),
            "first_seen": iso(now),
        }
        entry_id = conn.execute(
            f"INSERT INTO entries ({', '.join(record)}) VALUES ({', '.join(map(_bound, record))})",
            list(record.values())).lastrowid
        assert entry_id is not None
        conn.execute("INSERT INTO entry_sources (source_id, key, entry_id, digest) "
                     "VALUES (?, ?, ?, ?)", [source.id, e.key, entry_id, e.digest])
        return entry_id, record["published"]

    @staticmethod
    def _fields(e: Entry) -> dict[str, Any]:
        return {"title": e.title, "link": e.link, "author": e.author, "content": e.content,
                "summary": e.summary, "thumbnail": e.thumbnail, "lang": e.lang,
                "categories": json.dumps(list(e.categories), ensure_ascii=False)}
