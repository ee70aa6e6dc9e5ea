"""Retention: forgetting a source's entries past its age or count limit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils

from feedhub.model import Source, iso
from feedhub.store._nodes import Nodes


@dataclass(frozen=True, slots=True)
class Retention:
    """A source's ``max_age`` and ``max_entries``, applied after each of its good polls."""

    db: sqlite_utils.Database
    nodes: Nodes  # which the forgotten entries leave

    def apply(self, source: Source, now: datetime) -> tuple[int, frozenset[str], tuple[str, ...]]:
        """Forget this source's entries past its age or count limit, unless still in its feed.

        An entry another source still carries only loses this source's path; one that no source
        carries any more is deleted. Returns the number deleted, the nodes that changed and the
        posts of the deleted entries.
        """
        if not source.max_age and not source.max_entries:
            return 0, frozenset(), ()
        db = self.db
        # Asked in SQL, so that the usual answer (nothing expires) costs next to nothing: this
        # runs after every poll, 304s included.
        expired: dict[str, int] = {}
        if source.max_age:
            oldest = iso(now - timedelta(seconds=source.max_age))
            expired.update(db.execute(
                "SELECT es.key, es.entry_id FROM entry_sources es JOIN entries e "
                "ON e.id = es.entry_id WHERE es.source_id=? AND es.in_feed=0 AND e.published < ?",
                [source.id, oldest]).fetchall())
        if source.max_entries and db.execute(
                "SELECT count(*) FROM entry_sources WHERE source_id=?",
                [source.id]).fetchone()[0] > source.max_entries:
            rows = db.execute(
                "SELECT es.key, es.entry_id, es.in_feed FROM entry_sources es "
                "JOIN entries e ON e.id = es.entry_id WHERE es.source_id=? "
                "ORDER BY e.published DESC, e.id DESC", [source.id]).fetchall()
            expired.update((key, entry_id) for rank, (key, entry_id, in_feed) in enumerate(rows)
                           if not in_feed and rank >= source.max_entries)
        if not expired:
            return 0, frozenset(), ()
        ids = set(expired.values())
        nodes = self.nodes.nodes_of(ids)
        removed = 0
        gone_posts: list[str] = []
        for key, entry_id in expired.items():
            db.execute("DELETE FROM entry_sources WHERE source_id=? AND key=?", [source.id, key])
            heir = db.execute("SELECT source_id FROM entry_sources WHERE entry_id=? "
                              "ORDER BY rowid LIMIT 1", [entry_id]).fetchone()
            if heir:
                # The article lives on in another source, which may now edit it.
                db.execute("UPDATE entries SET source_id=? WHERE id=? AND source_id=?",
                           [heir[0], entry_id, source.id])
                self.nodes.relink([entry_id])
            else:
                post = db.execute("SELECT post_path FROM entries WHERE id=?",
                                  [entry_id]).fetchone()[0]
                if post:
                    gone_posts.append(post)
                self.nodes.leave(entry_id)
                db.execute("DELETE FROM entries WHERE id=?", [entry_id])
                removed += 1
        return removed, nodes, tuple(gone_posts)
