"""A store as the tests fill and read it: a poll as the poller hands it over, a node's newest
entries."""

from __future__ import annotations

from datetime import datetime

from feedhub.model import FetchResult, NodePath, ParsedFeed, Polled, Source, StoredEntry, path_str
from feedhub.store import Store
from feedhub.update import decide


def polled(store: Store, source: Source, result: FetchResult, now: datetime,
           parsed: ParsedFeed | None = None, size: int = 0,
           body_hash: str | None = None) -> Polled:
    """A poll of ``source`` as the poller hands it to the store: what it does to the source
    decided from the state the store remembers."""
    update = decide(source, store.sources.state(source.id), result, body_hash=body_hash,
                    parsed=parsed, parse_error=None, now=now, rand=0.5, min_interval=60)
    return Polled(source, result, size, parsed, update)


def newest_entries(store: Store, node: NodePath, limit: int) -> list[StoredEntry]:
    """The newest ``limit`` entries of a node, newest first, each with its source paths."""
    ids = [r[0] for r in store.db.execute(
        "SELECT entry_id FROM entry_nodes WHERE node = ? "
        "ORDER BY published DESC, entry_id DESC LIMIT ?", [path_str(node), limit])]
    return store.publishing.entries_by_id(ids)
