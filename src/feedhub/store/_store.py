"""The store: one SQLite connection, and the parts that read and write it."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

import sqlite_utils

from feedhub.errors import StoreError
from feedhub.store._activity import Activity
from feedhub.store._meta import Meta
from feedhub.store._nodes import Nodes
from feedhub.store._polls import Polls
from feedhub.store._publishing import Publishing
from feedhub.store._retention import Retention
from feedhub.store._schema import migrate
from feedhub.store._sources import Sources


class Store:
    """The feedhub database, as parts over one connection: ``sources`` (their state, hosts,
    status), ``polls`` (what a poll writes), ``publishing`` (what a publish reads and records),
    ``meta`` (hub-wide values and facts) and ``activity`` (the index page's counts and titles).
    Not thread-safe: use it from one thread at a time."""

    def __init__(self, path: Path, authority: str = "feedhub", cache_mib: int | None = None,
                 ) -> None:
        """Open (creating or upgrading) the database at ``path``. ``cache_mib``: SQLite's page
        cache, when a batch command can afford more than the default 2 MiB (the daemon keeps
        the default: it runs for months next to other services)."""
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, check_same_thread=False, timeout=30)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{path}: cannot open the database: {exc}") from None
        self.db = sqlite_utils.Database(conn)
        self.db.execute("PRAGMA busy_timeout = 30000")
        self.db.execute("PRAGMA synchronous = NORMAL")
        self.db.execute("PRAGMA foreign_keys = ON")
        if cache_mib:
            self.db.execute(f"PRAGMA cache_size = {-1024 * cache_mib}")
        self.db.enable_wal()
        migrate(self.db, path)
        nodes = Nodes(self.db)
        self.sources = Sources(self.db, nodes)
        self.polls = Polls(self.db, nodes, self.sources, Retention(self.db, nodes), authority)
        self.publishing = Publishing(self.db)
        self.meta = Meta(self.db)
        self.activity = Activity(self.db)

    @classmethod
    def for_base_url(cls, path: Path, base_url: str, cache_mib: int | None = None) -> Store:
        """A store whose minted ids use the hub's host as their tag authority."""
        return cls(path, authority=urlsplit(base_url).hostname or "feedhub", cache_mib=cache_mib)

    def close(self) -> None:
        """Close the connection; the store is unusable after."""
        self.db.conn.close()
