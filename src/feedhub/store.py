"""The SQLite database, through sqlite-utils: the single source of truth.

Tables: ``sources`` (polling state), ``entries`` (one row per article), ``entry_sources`` (which
source knows an entry under which dedup key), ``entry_nodes`` (every tree node an entry belongs
to, with its sort date, so a node's feed is one indexed range scan) and ``fetches`` (a log).
Each fetched feed is stored in one transaction.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlite_utils

from feedhub.dedup import mint_atom_id
from feedhub.errors import StoreError
from feedhub.model import (
    Entry,
    NodePath,
    Polled,
    PollOutcome,
    Source,
    SourceFeed,
    SourceState,
    StoredEntry,
    ancestors,
    from_iso,
    iso,
    path_str,
)

SCHEMA_VERSION = 1
FETCH_LOG_DAYS = 30


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


def _stored(r: Sequence[Any], paths: list[NodePath]) -> StoredEntry:
    origin = SourceFeed(
        id=r[12] or r[14], title=r[13] or r[17].rsplit("/", 1)[-1], url=r[14], link=r[15],
        updated=from_iso(r[16]) if r[16] else None)
    return StoredEntry(
        rowid=r[0], atom_id=r[1], title=r[2], link=r[3], author=r[4] or "",
        content=r[5] or "", summary=r[6] or "", published=from_iso(r[7]),
        updated=from_iso(r[8]), thumbnail=r[9], categories=tuple(json.loads(r[10] or "[]")),
        node_paths=tuple(paths), lang=r[11], origin=origin)


def host_of(url: str) -> str:
    """The host part that rate limits apply to: name and port, lowercased."""
    parts = urlsplit(url)
    return (parts.hostname or "") + (f":{parts.port}" if parts.port else "")


def _config_hash(source: Source) -> str:
    """A fingerprint of a source's entry in config.yaml."""
    fields = [source.url, repr(source.interval), source.author or "", *source.include, "\x1f",
              *source.exclude, str(source.enabled), repr(source.max_age), repr(source.max_entries)]
    return hashlib.sha256("\x1e".join(fields).encode("utf-8")).hexdigest()


def _signature(e: Entry) -> str:
    """What makes an entry 'changed': any field a reader would see."""
    fields = [e.title, e.link or "", e.author, e.content, e.summary, e.thumbnail or "",
              "\x1f".join(e.categories)]
    return hashlib.sha256("\x1e".join(fields).encode("utf-8")).hexdigest()


class Store:
    """The feedhub database. Not thread-safe: use it from one thread at a time."""

    def __init__(self, path: Path, authority: str = "feedhub") -> None:
        self.path = path
        self.authority = authority
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, check_same_thread=False, timeout=30)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{path}: cannot open the database: {exc}") from None
        self.db = sqlite_utils.Database(conn)
        self.db.execute("PRAGMA busy_timeout = 30000")
        self.db.execute("PRAGMA synchronous = NORMAL")
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.enable_wal()
        self._migrate()

    @classmethod
    def for_base_url(cls, path: Path, base_url: str) -> Store:
        """A store whose minted ids use the hub's host as their tag authority."""
        return cls(path, authority=urlsplit(base_url).hostname or "feedhub")

    def close(self) -> None:
        self.db.conn.close()

    # -- schema ---------------------------------------------------------------------------------

    def _migrate(self) -> None:
        db = self.db
        with db.atomic():
            db["meta"].create({"key": str, "value": str}, pk="key", if_not_exists=True)
            version = int(next(iter(db.execute(
                "SELECT coalesce((SELECT value FROM meta WHERE key='schema'), '0')").fetchone())))
            if version > SCHEMA_VERSION:
                raise StoreError(f"{self.path}: made by a newer feedhub (schema {version})")
            if version < 1:
                self._create_v1()
            db["meta"].upsert({"key": "schema", "value": str(SCHEMA_VERSION)}, pk="key")

    def _create_v1(self) -> None:
        db = self.db
        db["sources"].create({
            "id": str, "path": str, "url": str, "active": int, "state": str,
            "etag": str, "last_modified": str, "body_hash": str,
            "last_poll": str, "last_success": str, "next_poll": str, "last_status": int,
            "error": str, "error_count": int, "error_since": str,
            "feed_title": str, "feed_link": str, "feed_id": str, "feed_updated": str,
            "period": float, "moved_to": str, "config_hash": str,
        }, pk="id", defaults={"active": 1, "state": "new", "error_count": 0})
        # Hosts that asked us (429, 503 with Retry-After) to wait: every source there waits.
        db["hosts"].create({"host": str, "not_before": str, "reason": str}, pk="host")
        db["entries"].create({
            "id": int, "atom_id": str, "source_id": str, "key": str, "link": str,
            "canonical_link": str, "title": str, "author": str, "content": str, "summary": str,
            "published": str, "updated": str, "first_seen": str, "thumbnail": str,
            "categories": str, "signature": str, "lang": str,
            "post_path": str,
        }, pk="id", not_null={"atom_id", "source_id", "title", "published", "updated"})
        db["entries"].create_index(["atom_id"], unique=True)
        db["entries"].create_index(["canonical_link"])
        db["entries"].create_index(["post_path"])
        # in_feed: the key was in the source's feed the last time it was parsed; retention
        # never removes those.
        db["entry_sources"].create(
            {"source_id": str, "key": str, "entry_id": int, "in_feed": int},
            pk=("source_id", "key"), foreign_keys=[("entry_id", "entries", "id")],
            defaults={"in_feed": 1})
        db["entry_sources"].create_index(["entry_id"])
        # seq numbers a node's entries in the order they joined it, never reused: it is what
        # splits a node's history into archive pages that stay the same once full.
        db["entry_nodes"].create(
            {"node": str, "entry_id": int, "published": str, "seq": int},
            pk=("node", "entry_id"), foreign_keys=[("entry_id", "entries", "id")])
        db["entry_nodes"].create_index(["node", "published", "entry_id"])
        db["entry_nodes"].create_index(["node", "seq"], unique=True)
        db["entry_nodes"].create_index(["entry_id"])
        # Per node: the next sequence number to hand out (never reused, so an entry that
        # leaves a node and returns, or a new one, can never take a number an archive page
        # already holds), and how many archive pages of which size have been written.
        db["nodes"].create({"node": str, "next_seq": int, "archived_pages": int,
                            "page_size": int}, pk="node",
                           defaults={"next_seq": 1, "archived_pages": 0, "page_size": 0})
        db["fetches"].create({
            "id": int, "source_id": str, "at": str, "status": int, "ms": int, "bytes": int,
            "new": int, "updated": int, "error": str,
        }, pk="id")
        db["fetches"].create_index(["source_id", "at"])
        db["fetches"].create_index(["at"])

    # -- sources --------------------------------------------------------------------------------

    def sync_sources(self, sources: Sequence[Source]) -> frozenset[str]:
        """Make the sources table match the config: new rows, moved URLs reset, removed ones idle.

        Entries of removed or disabled sources leave the published feeds (their node links are
        recomputed) but stay stored, so re-adding the source brings them back. Returns the nodes
        whose entries changed that way, to republish.
        """
        db = self.db
        wanted = {s.id: s for s in sources if s.enabled}
        existing = {r["id"]: r for r in db["sources"].rows}
        touched: set[str] = set()
        with db.atomic():
            for sid, src in wanted.items():
                row = existing.get(sid)
                config_hash = _config_hash(src)
                if row is None:
                    db["sources"].insert({"id": sid, "path": json.dumps(list(src.path),
                                          ensure_ascii=False), "url": src.url, "active": 1,
                                          "state": "new", "error_count": 0,
                                          "config_hash": config_hash})
                    continue
                changes: dict[str, Any] = {}
                if row["config_hash"] != config_hash:
                    # New filters or limits must see the whole feed again, not a 304.
                    changes.update(config_hash=config_hash, etag=None, last_modified=None,
                                   body_hash=None)
                    if row["state"] == "gone":
                        # Gone stays gone until the user touches the source's entry.
                        changes.update(state="new", error=None, error_count=0, error_since=None,
                                       next_poll=None)
                if row["url"] != src.url:
                    # A new URL is a new conversation with a server: forget what the old one said.
                    changes.update(url=src.url, etag=None, last_modified=None, body_hash=None,
                                   moved_to=None, state="new", error=None, error_count=0,
                                   error_since=None, next_poll=None)
                if not row["active"]:
                    changes["active"] = 1
                    touched.add(sid)
                if changes:
                    db["sources"].update(sid, changes)
            for sid, row in existing.items():
                if sid not in wanted and row["active"]:
                    db["sources"].update(sid, {"active": 0})
                    touched.add(sid)
            if not touched:
                return frozenset()
            ids = [r[0] for r in db.execute(
                f"SELECT DISTINCT entry_id FROM entry_sources WHERE source_id IN "
                f"({','.join('?' * len(touched))})", list(touched))]
            return frozenset(self._relink(ids))

    def state(self, source_id: str) -> SourceState:
        """The remembered polling state of a source (a fresh one if never seen)."""
        try:
            row = self.db["sources"].get(source_id)
        except sqlite_utils.db.NotFoundError:
            return SourceState(source_id=source_id, url="")
        return SourceState(
            source_id=source_id, url=row["url"], etag=row["etag"],
            last_modified=row["last_modified"], state=row["state"], error=row["error"],
            error_count=row["error_count"] or 0, error_since=row["error_since"],
            last_poll=row["last_poll"], last_success=row["last_success"],
            next_poll=row["next_poll"], body_hash=row["body_hash"], moved_to=row["moved_to"],
            period=row["period"],
        )

    # -- one poll -------------------------------------------------------------------------------

    def record_poll(self, polled: Polled) -> PollOutcome:
        """Store what one poll of a source brought and when it is next due, in one transaction."""
        db = self.db
        source, result, parsed, error, now = (polled.source, polled.result, polled.parsed,
                                              polled.error, polled.at)
        new = updated = 0
        changed: set[int] = set()
        with db.atomic():
            row = db.execute("SELECT active, url, config_hash FROM sources WHERE id=?",
                             [source.id]).fetchone()
            if row is None or not row[0] or row[1] != source.url or row[2] != _config_hash(source):
                # The config changed while this poll was in flight: its result belongs to a
                # source that no longer exists in this form. Keep only the log line.
                db["fetches"].insert({"source_id": source.id, "at": iso(now),
                                      "status": result.status, "ms": result.elapsed_ms,
                                      "bytes": polled.size, "new": 0, "updated": 0,
                                      "error": "discarded: the config changed during the poll"})
                return PollOutcome(source_id=source.id, status=result.status,
                                   elapsed_ms=result.elapsed_ms, error=error)
            if parsed is not None:
                db.execute("UPDATE entry_sources SET in_feed=0 WHERE source_id=?", [source.id])
                for entry in parsed.entries:
                    outcome, entry_id = self._store_entry(source, entry, now)
                    if outcome == "new":
                        new += 1
                    elif outcome == "updated":
                        updated += 1
                    if outcome != "same":
                        changed.add(entry_id)
            state = self.state(source.id)
            changes: dict[str, Any] = {"last_poll": iso(now), "last_status": result.status,
                                       "next_poll": iso(polled.next_poll)}
            if result.moved_to:
                changes["moved_to"] = result.moved_to
            if polled.host_wait_until is not None:
                self._block_host(result.url, polled.host_wait_until, error or "")
            if error is None:
                changes.update(state="ok", error=None, error_count=0, error_since=None,
                               last_success=iso(now))
                if result.status != 304:
                    # Refreshed on every 200, even when the body turns out to be unchanged.
                    changes.update(etag=result.etag, last_modified=result.last_modified)
                    if polled.body_hash:
                        changes["body_hash"] = polled.body_hash
                elif result.etag or result.last_modified:
                    changes.update(etag=result.etag, last_modified=result.last_modified)
                if parsed is not None:
                    changes.update(feed_title=parsed.title, feed_link=parsed.link,
                                   period=parsed.period, feed_id=parsed.feed_id,
                                   feed_updated=iso(parsed.updated) if parsed.updated else None)
            else:
                changes.update(state="gone" if result.status == 410 else "error", error=error,
                               error_count=state.error_count + 1,
                               error_since=state.error_since or iso(now))
            db["sources"].update(source.id, changes)
            db["fetches"].insert({
                "source_id": source.id, "at": iso(now), "status": result.status,
                "ms": result.elapsed_ms, "bytes": polled.size, "new": new,
                "updated": updated, "error": error,
            })
            db.execute("DELETE FROM fetches WHERE at < ?",
                       [iso(now - timedelta(days=FETCH_LOG_DAYS))])
            nodes = self._nodes_of(changed)
            removed, emptied, gone_posts = (self._apply_retention(source, now) if error is None
                                            else (0, frozenset(), ()))
        return PollOutcome(source_id=source.id, status=result.status, new=new, updated=updated,
                           elapsed_ms=result.elapsed_ms, error=error,
                           changed_nodes=nodes | emptied, removed=removed,
                           changed_entries=frozenset(changed), removed_posts=gone_posts)

    def _apply_retention(self, source: Source,
                         now: datetime) -> tuple[int, frozenset[str], tuple[str, ...]]:
        """Forget this source's entries past its age or count limit, unless still in its feed.

        An entry another source still carries only loses this source's path; one that no source
        carries any more is deleted. Returns the number deleted, the nodes that changed and the
        posts of the deleted entries.
        """
        if not source.max_age and not source.max_entries:
            return 0, frozenset(), ()
        db = self.db
        rows = db.execute(
            "SELECT es.key, es.entry_id, es.in_feed, e.published FROM entry_sources es "
            "JOIN entries e ON e.id = es.entry_id WHERE es.source_id=? "
            "ORDER BY e.published DESC, e.id DESC", [source.id]).fetchall()
        oldest = iso(now - timedelta(seconds=source.max_age)) if source.max_age else ""
        expired = [
            (key, entry_id) for rank, (key, entry_id, in_feed, published) in enumerate(rows)
            if not in_feed and ((source.max_entries and rank >= source.max_entries)
                                or published < oldest)
        ]
        if not expired:
            return 0, frozenset(), ()
        ids = {entry_id for _, entry_id in expired}
        nodes = self._nodes_of(ids)
        removed = 0
        gone_posts: list[str] = []
        for key, entry_id in expired:
            db.execute("DELETE FROM entry_sources WHERE source_id=? AND key=?", [source.id, key])
            heir = db.execute("SELECT source_id FROM entry_sources WHERE entry_id=? "
                              "ORDER BY rowid LIMIT 1", [entry_id]).fetchone()
            if heir:
                # The article lives on in another source, which may now edit it.
                db.execute("UPDATE entries SET source_id=? WHERE id=? AND source_id=?",
                           [heir[0], entry_id, source.id])
                self._relink([entry_id])
            else:
                if post := self.post_path(entry_id):
                    gone_posts.append(post)
                db.execute("DELETE FROM entry_nodes WHERE entry_id=?", [entry_id])
                db.execute("DELETE FROM entries WHERE id=?", [entry_id])
                removed += 1
        return removed, nodes, tuple(gone_posts)

    def _block_host(self, url: str, until: datetime, reason: str) -> None:
        host = host_of(url)
        row = self.db.execute("SELECT not_before FROM hosts WHERE host=?", [host]).fetchone()
        if row is None or from_iso(row[0]) < until:
            self.db["hosts"].upsert({"host": host, "not_before": iso(until), "reason": reason},
                                    pk="host")

    def host_wait(self, url: str, now: datetime) -> datetime | None:
        """Until when the host of ``url`` asked to be left alone, if that is still ahead."""
        row = self.db.execute("SELECT not_before FROM hosts WHERE host=?",
                              [host_of(url)]).fetchone()
        if row is None or from_iso(row[0]) <= now:
            return None
        return from_iso(row[0])

    def _store_entry(self, source: Source, e: Entry, now: datetime) -> tuple[str, int]:
        """Insert, update or link one entry; returns ('new'|'updated'|'same', entry id)."""
        db = self.db
        known = db.execute("SELECT entry_id FROM entry_sources WHERE source_id=? AND key=?",
                           [source.id, e.key]).fetchone()
        signature = _signature(e)
        if known:
            entry_id = known[0]
            db.execute("UPDATE entry_sources SET in_feed=1 WHERE source_id=? AND key=?",
                       [source.id, e.key])
            row = db.execute("SELECT source_id, signature, updated FROM entries WHERE id=?",
                             [entry_id]).fetchone()
            # Only the source an entry came from may edit it, so two sources carrying the same
            # article with different markup cannot flip it back and forth on every poll.
            if row[0] != source.id or row[1] == signature:
                return "same", entry_id
            stored_updated = from_iso(row[2])
            fresh = e.updated if e.updated and e.updated > stored_updated else now
            db["entries"].update(entry_id, {**self._fields(e), "signature": signature,
                                            "updated": iso(max(fresh, stored_updated))})
            return "updated", entry_id
        atom_id = e.source_id_iri
        twin = None
        if atom_id:
            twin = db.execute("SELECT id FROM entries WHERE atom_id=?", [atom_id]).fetchone()
        if twin is None and e.canonical_link:
            # Across sources only: within one source, distinct ids are distinct entries even
            # when they link to the same page (live blogs, corrections).
            twin = db.execute(
                "SELECT id FROM entries e WHERE canonical_link=? AND NOT EXISTS (SELECT 1 FROM "
                "entry_sources es WHERE es.entry_id = e.id AND es.source_id = ?) "
                "ORDER BY id LIMIT 1", [e.canonical_link, source.id]).fetchone()
        if twin is not None:
            entry_id = twin[0]
            db["entry_sources"].insert({"source_id": source.id, "key": e.key,
                                        "entry_id": entry_id})
            self._relink([entry_id])
            return "new", entry_id
        published = e.published or e.updated or now
        updated = max(e.updated or published, published)
        record = {
            **self._fields(e),
            "atom_id": atom_id or mint_atom_id(self.authority, now.strftime("%Y-%m-%d"),
                                               source.id, e.key),
            "source_id": source.id, "key": e.key, "canonical_link": e.canonical_link,
            "published": iso(published), "updated": iso(updated), "first_seen": iso(now),
            "signature": signature,
        }
        entry_id = db["entries"].insert(record).last_pk
        db["entry_sources"].insert({"source_id": source.id, "key": e.key, "entry_id": entry_id})
        for node in ancestors(source.path):
            self._join_node(path_str(node), entry_id, record["published"])
        return "new", entry_id

    def _join_node(self, node: str, entry_id: int, published: str) -> None:
        db = self.db
        if db.execute("SELECT 1 FROM entry_nodes WHERE node=? AND entry_id=?",
                      [node, entry_id]).fetchone():
            return
        db.execute("INSERT OR IGNORE INTO nodes (node) VALUES (?)", [node])
        seq = db.execute("UPDATE nodes SET next_seq = next_seq + 1 WHERE node=? "
                         "RETURNING next_seq - 1", [node]).fetchone()[0]
        db.execute("INSERT INTO entry_nodes (node, entry_id, published, seq) VALUES (?, ?, ?, ?)",
                   [node, entry_id, published, seq])

    @staticmethod
    def _fields(e: Entry) -> dict[str, Any]:
        return {"title": e.title, "link": e.link, "author": e.author, "content": e.content,
                "summary": e.summary, "thumbnail": e.thumbnail, "lang": e.lang,
                "categories": json.dumps(list(e.categories), ensure_ascii=False)}

    def _relink(self, entry_ids: Iterable[int]) -> set[str]:
        """Recompute the tree nodes of entries from the active sources that carry them; returns
        the nodes that gained or lost an entry.

        Nodes an entry keeps keep their sequence number, so archive pages do not shift.
        """
        db = self.db
        changed: set[str] = set()
        for entry_id in entry_ids:
            rows = db.execute(
                "SELECT s.path, e.published FROM entry_sources es "
                "JOIN sources s ON s.id = es.source_id JOIN entries e ON e.id = es.entry_id "
                "WHERE es.entry_id=? AND s.active=1 ORDER BY es.rowid", [entry_id]).fetchall()
            wanted: dict[str, None] = {}
            for path, _ in rows:
                for node in ancestors(tuple(json.loads(path))):
                    wanted.setdefault(path_str(node), None)
            have = {r[0] for r in db.execute("SELECT node FROM entry_nodes WHERE entry_id=?",
                                             [entry_id])}
            for node in have - wanted.keys():
                db.execute("DELETE FROM entry_nodes WHERE node=? AND entry_id=?", [node, entry_id])
            for node in wanted:
                if node not in have:
                    self._join_node(node, entry_id, rows[0][1])
            changed |= have ^ wanted.keys()
        return changed

    def _nodes_of(self, entry_ids: set[int]) -> frozenset[str]:
        if not entry_ids:
            return frozenset()
        ids = sorted(entry_ids)
        found: set[str] = set()
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            found.update(r[0] for r in self.db.execute(
                f"SELECT DISTINCT node FROM entry_nodes WHERE entry_id IN "
                f"({','.join('?' * len(chunk))})", chunk))
        return frozenset(found)

    # -- reading for publishing -----------------------------------------------------------------

    def entries_for_node(self, node: NodePath, limit: int) -> list[StoredEntry]:
        """The newest ``limit`` entries of a node, newest first, each with its source paths."""
        ids = [r[0] for r in self.db.execute(
            "SELECT entry_id FROM entry_nodes WHERE node = ? "
            "ORDER BY published DESC, entry_id DESC LIMIT ?", [path_str(node), limit])]
        return self.entries_by_id(ids)

    def node_size(self, node: NodePath) -> int:
        """How many sequence numbers the node has handed out (entries that ever joined it)."""
        row = self.db.execute("SELECT next_seq - 1 FROM nodes WHERE node=?",
                              [path_str(node)]).fetchone()
        return row[0] if row else 0

    def archived_pages(self, node: NodePath) -> tuple[int, int]:
        """How many archive pages of the node have been written, and of what size."""
        row = self.db.execute("SELECT archived_pages, page_size FROM nodes WHERE node=?",
                              [path_str(node)]).fetchone()
        return (row[0], row[1]) if row else (0, 0)

    def set_archived_pages(self, node: NodePath, pages: int, page_size: int) -> None:
        with self.db.atomic():
            self.db.execute("INSERT OR IGNORE INTO nodes (node) VALUES (?)", [path_str(node)])
            self.db.execute("UPDATE nodes SET archived_pages=?, page_size=? WHERE node=?",
                            [pages, page_size, path_str(node)])

    def entries_by_seq(self, node: NodePath, first: int, last: int) -> list[StoredEntry]:
        """The node's entries with sequence numbers in [first, last], newest first."""
        ids = [r[0] for r in self.db.execute(
            "SELECT entry_id FROM entry_nodes WHERE node=? AND seq BETWEEN ? AND ? "
            "ORDER BY seq DESC", [path_str(node), first, last])]
        return self.entries_by_id(ids)

    def node_stats(self) -> dict[str, tuple[int, datetime | None]]:
        """For every node with entries: how many it holds now, and the newest one's date."""
        return {node: (count, from_iso(newest) if newest else None)
                for node, count, newest in self.db.execute(
                    "SELECT node, count(*), max(published) FROM entry_nodes GROUP BY node")}

    def entries_by_id(self, ids: Sequence[int]) -> list[StoredEntry]:
        """Entries with their source paths and origin feed, in the order of ``ids``."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        paths: dict[int, list[NodePath]] = {i: [] for i in ids}
        for entry_id, path in self.db.execute(
            "SELECT es.entry_id, s.path FROM entry_sources es JOIN sources s ON s.id=es.source_id "
            f"WHERE s.active=1 AND es.entry_id IN ({marks}) ORDER BY es.rowid", list(ids),
        ):
            paths[entry_id].append(tuple(json.loads(path)))
        rows = {r[0]: r for r in self.db.execute(
            "SELECT e.id, e.atom_id, e.title, e.link, e.author, e.content, e.summary, "
            "e.published, e.updated, e.thumbnail, e.categories, e.lang, "
            "s.feed_id, s.feed_title, coalesce(s.moved_to, s.url), s.feed_link, s.feed_updated, "
            "s.id FROM entries e JOIN sources s ON s.id = e.source_id "
            f"WHERE e.id IN ({marks})", list(ids))}
        return [_stored(rows[i], paths[i]) for i in ids if i in rows]

    def site_links(self) -> dict[str, str]:
        """The website each source's feed names, by source id."""
        return {r[0]: r[1] for r in self.db.execute(
            "SELECT id, feed_link FROM sources WHERE feed_link IS NOT NULL")}

    def all_entry_ids(self) -> list[int]:
        """Every stored entry, oldest first."""
        return [r[0] for r in self.db.execute("SELECT id FROM entries ORDER BY id")]

    def post_owner(self, post_path: str) -> int | None:
        """The entry whose post is written at ``post_path``, if any."""
        row = self.db.execute("SELECT id FROM entries WHERE post_path=?", [post_path]).fetchone()
        return row[0] if row else None

    def set_post_path(self, entry_id: int, post_path: str | None) -> None:
        with self.db.atomic():
            self.db.execute("UPDATE entries SET post_path=? WHERE id=?", [post_path, entry_id])

    def post_path(self, entry_id: int) -> str | None:
        row = self.db.execute("SELECT post_path FROM entries WHERE id=?", [entry_id]).fetchone()
        return row[0] if row else None

    def status(self, sources: Sequence[Source] = ()) -> list[SourceStatus]:
        """Every active source with its state and entry count, in id order; sources of the
        config the database has not seen yet are listed as new (nothing is written)."""
        rows = self.db.execute(
            "SELECT s.id, s.url, s.state, s.last_poll, s.next_poll, "
            "(SELECT count(*) FROM entry_sources es WHERE es.source_id = s.id), "
            "s.error, s.error_count, s.error_since, s.last_status, s.moved_to, "
            "coalesce(s.moved_to, s.url) "
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
                row = SourceStatus(source.id, source.url, "new", row.last_poll if row else None,
                                   None, row.entries if row else 0, None, 0, None, None, None,
                                   source.url)
            out.append(row)
        return out

    def earliest_due(self) -> datetime | None:
        """The earliest next poll among the sources that are polled."""
        row = self.db.execute("SELECT min(next_poll) FROM sources WHERE active=1 AND "
                              "state != 'gone' AND next_poll IS NOT NULL").fetchone()
        return from_iso(row[0]) if row and row[0] else None

    def counts(self) -> dict[str, int]:
        """Sources by state, plus the number of stored entries."""
        out = {r[0]: r[1] for r in self.db.execute(
            "SELECT state, count(*) FROM sources WHERE active=1 GROUP BY state")}
        out["entries"] = self.db.execute("SELECT count(*) FROM entries").fetchone()[0]
        return out
