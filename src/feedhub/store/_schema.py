"""The schema and its migrations."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from feedhub.errors import StoreError
from feedhub.states import FAILING

SCHEMA_VERSION = 5


def migrate(db: sqlite_utils.Database, path: Path) -> None:
    """Create or upgrade the schema to SCHEMA_VERSION."""
    with db.atomic():
        db.table("meta").create({"key": str, "value": str}, pk="key", if_not_exists=True)
        version = int(next(iter(db.execute(
            "SELECT coalesce((SELECT value FROM meta WHERE key='schema'), '0')").fetchone())))
        if version > SCHEMA_VERSION:
            raise StoreError(f"{path}: made by a newer feedhub (schema {version})")
        if version < 1:
            _create_v1(db)
        if version < 2:
            # The digest of each entry as its source's feed last gave it (parse.raw_digest).
            db.execute("ALTER TABLE entry_sources ADD COLUMN digest TEXT")
        if version < 3 and sqlite3.sqlite_version_info >= (3, 35):
            # A hash of each entry's visible fields, kept to tell an edit; the few entries
            # normalized again are now compared field by field (store._entries). An SQLite
            # too old to drop a column keeps it, unused (NULL in every new row).
            db.execute("ALTER TABLE entries DROP COLUMN signature")
        if version < 4:
            # One name for a failing source everywhere (states.py): it was 'error' here.
            db.execute("UPDATE sources SET state = ? WHERE state = 'error'", [FAILING])
            _add_v4(db)
        if version < 5:
            # Posts were named by their raw title, which can break a URL or a Windows file
            # system; the next publish names them all by posts.slug and removes the old files.
            db.execute("INSERT OR REPLACE INTO meta (key, value) SELECT 'rename_posts', '1' "
                       "WHERE EXISTS (SELECT 1 FROM entries WHERE post_path IS NOT NULL)")
        db.table("meta").upsert({"key": "schema", "value": str(SCHEMA_VERSION)}, pk="key")


def _create_v1(db: sqlite_utils.Database) -> None:
    db.table("sources").create({
        "id": str, "path": str, "url": str, "active": int, "state": str,
        "etag": str, "last_modified": str, "body_hash": str,
        "last_poll": str, "last_success": str, "next_poll": str, "last_status": int,
        "error": str, "error_count": int, "error_since": str,
        "feed_title": str, "feed_link": str, "feed_id": str, "feed_updated": str,
        "period": float, "moved_to": str, "config_hash": str,
    }, pk="id", defaults={"active": 1, "state": "new", "error_count": 0})
    # Hosts that asked us (429, 503 with Retry-After) to wait: every source there waits.
    db.table("hosts").create({"host": str, "not_before": str, "reason": str}, pk="host")
    db.table("entries").create({
        "id": int, "atom_id": str, "source_id": str, "key": str, "link": str,
        "canonical_link": str, "title": str, "author": str, "content": str, "summary": str,
        "published": str, "updated": str, "first_seen": str, "thumbnail": str,
        "categories": str, "signature": str, "lang": str,
        "post_path": str,
    }, pk="id", not_null={"atom_id", "source_id", "title", "published", "updated"})
    db.table("entries").create_index(["atom_id"], unique=True)
    db.table("entries").create_index(["canonical_link"])
    db.table("entries").create_index(["post_path"])
    # in_feed: the key was in the source's feed the last time it was parsed; retention
    # never removes those.
    db.table("entry_sources").create(
        {"source_id": str, "key": str, "entry_id": int, "in_feed": int},
        pk=("source_id", "key"), foreign_keys=[("entry_id", "entries", "id")],
        defaults={"in_feed": 1})
    db.table("entry_sources").create_index(["entry_id"])
    # seq numbers a node's entries in the order they joined it, never reused: it is what
    # splits a node's history into archive pages that stay the same once full.
    db.table("entry_nodes").create(
        {"node": str, "entry_id": int, "published": str, "seq": int},
        pk=("node", "entry_id"), foreign_keys=[("entry_id", "entries", "id")])
    db.table("entry_nodes").create_index(["node", "published", "entry_id"])
    db.table("entry_nodes").create_index(["node", "seq"], unique=True)
    db.table("entry_nodes").create_index(["entry_id"])
    # Per node: the next sequence number to hand out (never reused, so an entry that
    # leaves a node and returns, or a new one, can never take a number an archive page
    # already holds), and how many archive pages of which size have been written.
    # ``entries`` and ``newest`` are kept as entries join and leave, so the index page never
    # has to count a node's entries.
    db.table("nodes").create({"node": str, "next_seq": int, "archived_pages": int,
                        "page_size": int, "entries": int, "newest": str}, pk="node",
                       defaults={"next_seq": 1, "archived_pages": 0, "page_size": 0,
                                 "entries": 0})
    db.table("fetches").create({
        "id": int, "source_id": str, "at": str, "status": int, "ms": int, "bytes": int,
        "new": int, "updated": int, "error": str,
    }, pk="id")
    db.table("fetches").create_index(["source_id", "at"])
    db.table("fetches").create_index(["at"])

def _add_v4(db: sqlite_utils.Database) -> None:
    """Archive pages that retention, a moved source or ``publish.max_bytes`` changed."""
    # The oldest archive page still published: pages before it were dropped to keep the
    # output within publish.max_bytes.
    db.execute("ALTER TABLE nodes ADD COLUMN first_page INTEGER NOT NULL DEFAULT 1")
    # Sequence numbers whose archive page is to be written again: their entry left the node
    # (retention, a source removed), or their page became the node's first. Publishing
    # clears them once the pages are durable.
    db.table("stale_seqs").create({"node": str, "seq": int}, pk=("node", "seq"))


# -- sources --------------------------------------------------------------------------------
