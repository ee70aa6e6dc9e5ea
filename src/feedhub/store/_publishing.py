"""What publishing reads and records: a node's entries, archive bookkeeping, post paths."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlite_utils

from feedhub.model import (
    ArchiveState,
    NodePath,
    SourceFeed,
    StoredEntry,
    from_iso,
    iso,
    path_str,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _seconds(column: str) -> str:
    """SQL for a stored time (``model.iso`` text) as seconds since the epoch, NULL if none.

    Publishing reads thousands of times; SQLite parses them for a fraction of strptime's cost.
    """
    return f"CAST(strftime('%s', {column}) AS INTEGER)"


def _time(seconds: int) -> datetime:
    """What ``model.from_iso`` gives for the text that :func:`_seconds` read."""
    return _EPOCH + timedelta(seconds=seconds)


def _stored(r: Sequence[Any], paths: list[NodePath]) -> StoredEntry:
    origin = SourceFeed(
        id=r[12] or r[14], title=r[13] or r[17].rsplit("/", 1)[-1], url=r[14], link=r[15],
        updated=None if r[16] is None else _time(r[16]))
    return StoredEntry(
        rowid=r[0], atom_id=r[1], title=r[2], link=r[3], author=r[4] or "",
        content=r[5] or "", summary=r[6] or "", published=_time(r[7]),
        updated=_time(r[8]), thumbnail=r[9], categories=tuple(json.loads(r[10] or "[]")),
        node_paths=tuple(paths), lang=r[11], origin=origin)


@dataclass(frozen=True, slots=True)
class Publishing:
    """The reads a publish makes (a node's documents, archive pages, posts) and the
    bookkeeping it writes back (archive pages written, post files named)."""

    db: sqlite_utils.Database

    def newest_entry_ids(self, node: NodePath, count: int) -> list[int]:
        """The ``count`` entries that joined the node last: its subscription document."""
        return [r[0] for r in self.db.execute(
            "SELECT entry_id FROM entry_nodes WHERE node = ? ORDER BY seq DESC LIMIT ?",
            [path_str(node), count])]

    def node_size(self, node: NodePath) -> int:
        """How many sequence numbers the node has handed out (entries that ever joined it)."""
        row = self.db.execute("SELECT next_seq - 1 FROM nodes WHERE node=?",
                              [path_str(node)]).fetchone()
        return row[0] if row else 0

    def archive_state(self, node: NodePath) -> ArchiveState:
        """What the database says of the node's archive pages on disk."""
        row = self.db.execute("SELECT archived_pages, page_size, first_page FROM nodes "
                              "WHERE node=?", [path_str(node)]).fetchone()
        key = path_str(node)
        stale = frozenset(r[0] for r in self.db.execute(
            "SELECT seq FROM stale_seqs WHERE node=?", [key]))
        pages, page_size, first_page = row or (0, 0, 1)
        return ArchiveState(pages, page_size, first_page, stale)

    def set_archive_state(self, node: NodePath, state: ArchiveState) -> None:
        """Record the node's pages as written: its stale sequence numbers are cleared."""
        key = path_str(node)
        with self.db.atomic():
            self.db.execute("INSERT OR IGNORE INTO nodes (node) VALUES (?)", [key])
            self.db.execute("UPDATE nodes SET archived_pages=?, page_size=?, first_page=? "
                            "WHERE node=?", [state.pages, state.page_size, state.first_page, key])
            self.db.execute("DELETE FROM stale_seqs WHERE node=?", [key])

    def set_first_page(self, node: NodePath, first_page: int) -> None:
        """Record that the node's archive now starts at page ``first_page``."""
        with self.db.atomic():
            self.db.execute("UPDATE nodes SET first_page=? WHERE node=?",
                            [first_page, path_str(node)])

    def mark_stale(self, node: NodePath, seq: int) -> None:
        """Have the archive page holding ``seq`` written again at the next publish."""
        with self.db.atomic():
            self.db.execute("INSERT OR IGNORE INTO stale_seqs (node, seq) VALUES (?, ?)",
                            [path_str(node), seq])

    def stale_nodes(self) -> set[str]:
        """The nodes with archive pages to write again."""
        return {r[0] for r in self.db.execute("SELECT DISTINCT node FROM stale_seqs")}

    def entry_ids_by_seq(self, node: NodePath, first: int, last: int) -> list[int]:
        """The node's entries with sequence numbers in [first, last], newest first."""
        return [r[0] for r in self.db.execute(
            "SELECT entry_id FROM entry_nodes WHERE node=? AND seq BETWEEN ? AND ? "
            "ORDER BY seq DESC", [path_str(node), first, last])]

    def newest_in_seqs(self, node: NodePath, first: int, last: int) -> datetime | None:
        """The newest publication date among the node's entries numbered [first, last]."""
        row = self.db.execute(
            f"SELECT {_seconds('max(published)')} FROM entry_nodes "
            "WHERE node=? AND seq BETWEEN ? AND ?", [path_str(node), first, last]).fetchone()
        return None if row[0] is None else _time(row[0])

    def first_published(self) -> datetime:
        """When this hub first published: the date of a feed with nothing dated in it, so
        that it is a real time and stays the same from one rebuild to the next."""
        row = self.db.execute("SELECT value FROM meta WHERE key='first_publish'").fetchone()
        if row is None:
            with self.db.atomic():
                self.db.execute("INSERT OR IGNORE INTO meta (key, value) "
                                "VALUES ('first_publish', ?)",
                                [iso(datetime.now(UTC).replace(microsecond=0))])
            row = self.db.execute("SELECT value FROM meta WHERE key='first_publish'").fetchone()
        return from_iso(row[0])

    def node_stats(self) -> dict[str, tuple[int, datetime | None]]:
        """For every node: how many entries it holds now, and the newest one's date."""
        return {node: (count, None if newest is None else _time(newest))
                for node, count, newest in self.db.execute(
                    f"SELECT node, entries, {_seconds('newest')} FROM nodes")}

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
            f"{_seconds('e.published')}, {_seconds('e.updated')}, "
            "e.thumbnail, e.categories, e.lang, s.feed_id, s.feed_title, "
            f"coalesce(s.moved_to, s.url), s.feed_link, {_seconds('s.feed_updated')}, "
            "s.id FROM entries e JOIN sources s ON s.id = e.source_id "
            f"WHERE e.id IN ({marks})", list(ids))}
        return [_stored(rows[i], paths[i]) for i in ids if i in rows]

    def all_entry_ids(self) -> list[int]:
        """Every stored entry, oldest first."""
        return [r[0] for r in self.db.execute("SELECT id FROM entries ORDER BY id")]

    def post_owner(self, post_path: str) -> int | None:
        """The entry whose post is written at ``post_path``, if any."""
        row = self.db.execute("SELECT id FROM entries WHERE post_path=?", [post_path]).fetchone()
        return row[0] if row else None

    def set_post_path(self, entry_id: int, post_path: str | None) -> None:
        """Record where the entry's post is written (None: it has none)."""
        with self.db.atomic():
            self.db.execute("UPDATE entries SET post_path=? WHERE id=?", [post_path, entry_id])

    def post_path(self, entry_id: int) -> str | None:
        """Where the entry's post was last written, if anywhere."""
        row = self.db.execute("SELECT post_path FROM entries WHERE id=?", [entry_id]).fetchone()
        return row[0] if row else None
