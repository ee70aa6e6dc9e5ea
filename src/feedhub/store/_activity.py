"""What the index page shows beyond counts: recent activity, the newest titles, the language."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils

from feedhub.model import RecentEntry, iso

# Entries sampled, newest first, to tell the hub's language: enough for a majority, and a
# bounded read however large the database.
LANGUAGE_SAMPLE = 1000


@dataclass(frozen=True, slots=True)
class Activity:
    """Reads for the curator's page. Each is a range of the ``(node, published)`` index per
    node, so the cost follows the tree's size, not the number of entries."""

    db: sqlite_utils.Database

    def node_activity(self, nodes: Iterable[str], now: datetime) -> dict[str, tuple[int, int]]:
        """Per node: its entries published in the day and in the week before ``now``."""
        day, week = iso(now - timedelta(days=1)), iso(now - timedelta(days=7))
        return {node: self.db.execute(
            "SELECT coalesce(sum(published >= ?), 0), count(*) FROM entry_nodes "
            "WHERE node = ? AND published >= ?", [day, node, week]).fetchone()
            for node in nodes}

    def recent_entries(self, nodes: Iterable[str], limit: int) -> dict[str, list[RecentEntry]]:
        """Per node: its ``limit`` newest entries by publication, newest first."""
        ids = {node: [r[0] for r in self.db.execute(
            "SELECT entry_id FROM entry_nodes WHERE node = ? "
            "ORDER BY published DESC, entry_id DESC LIMIT ?", [node, limit])]
            for node in nodes}
        wanted = sorted({i for chosen in ids.values() for i in chosen})
        known: dict[int, RecentEntry] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            for rowid, title, link, published in self.db.execute(
                    "SELECT id, title, link, published FROM entries "
                    f"WHERE id IN ({','.join('?' * len(chunk))})", chunk):
                known[rowid] = RecentEntry(title, link, datetime.fromisoformat(published))
        return {node: [known[i] for i in chosen if i in known] for node, chosen in ids.items()}

    def dominant_language(self) -> str | None:
        """The language most of the newest entries declare (``xml:lang``), if any."""
        langs = Counter(r[0] for r in self.db.execute(
            "SELECT lang FROM (SELECT lang FROM entries ORDER BY id DESC LIMIT ?) "
            "WHERE lang IS NOT NULL AND lang != ''", [LANGUAGE_SAMPLE]))
        return langs.most_common(1)[0][0] if langs else None
