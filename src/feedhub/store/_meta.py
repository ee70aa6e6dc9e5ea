"""The hub as a whole: the last good config, the last publish, and the facts health reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from feedhub.model import GoodConfig, HubFacts, from_iso, iso
from feedhub.states import GONE, STATES


@dataclass(frozen=True, slots=True)
class Meta:
    """Hub-wide values in the ``meta`` table, and summaries of ``sources`` and ``entries``."""

    db: sqlite_utils.Database

    def remember_config(self, file: str, text: str, at: datetime) -> None:
        """Keep ``text`` as the last config that loaded cleanly, so that ``feedhub status`` can
        still list the sources while the file on disk is broken."""
        self._put({"config_file": file, "config_text": text, "config_loaded_at": iso(at)})

    def good_config(self) -> GoodConfig | None:
        """The last config that loaded cleanly, or None if none was ever stored."""
        meta = self._get("config_file", "config_text", "config_loaded_at")
        if len(meta) < 3:
            return None
        return GoodConfig(meta["config_file"], meta["config_text"],
                          from_iso(meta["config_loaded_at"]))

    def note_publish(self, at: datetime) -> None:
        """Record that the outputs were published at ``at``."""
        self._put({"last_publish": iso(at)})

    def posts_to_rename(self) -> bool:
        """Whether the posts on disk were named by an earlier feedhub's rules (schema 5)."""
        return bool(self._get("rename_posts"))

    def posts_renamed(self) -> None:
        """Record that every post now has a name by today's rules."""
        with self.db.atomic():
            self.db.execute("DELETE FROM meta WHERE key = 'rename_posts'")

    def facts(self) -> HubFacts:
        """Sources by state, entries, the earliest due poll and the last poll and publish."""
        counts = dict.fromkeys(STATES, 0) | {state: n for state, n in self.db.execute(
            "SELECT state, count(*) FROM sources WHERE active=1 GROUP BY state")}
        entries = self.db.execute("SELECT count(*) FROM entries").fetchone()[0]
        due, polled = self.db.execute(
            "SELECT min(CASE WHEN active=1 AND state != ? THEN next_poll END), max(last_poll) "
            "FROM sources", [GONE]).fetchone()
        published = self._get("last_publish").get("last_publish")
        return HubFacts(sources=counts, entries=entries,
                        earliest_due=from_iso(due) if due else None,
                        last_poll=from_iso(polled) if polled else None,
                        last_publish=from_iso(published) if published else None)

    def _put(self, values: dict[str, str]) -> None:
        with self.db.atomic():
            self.db.table("meta").upsert_all([{"key": k, "value": v} for k, v in values.items()],
                                       pk="key")

    def _get(self, *keys: str) -> dict[str, str]:
        return dict(self.db.execute(
            f"SELECT key, value FROM meta WHERE key IN ({','.join('?' * len(keys))})",
            list(keys)).fetchall())
