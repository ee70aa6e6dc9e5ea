"""Reading a store the way the tests check it: a node's newest entries."""

from __future__ import annotations

from feedhub.model import NodePath, StoredEntry, path_str
from feedhub.store import Store


def newest_entries(store: Store, node: NodePath, limit: int) -> list[StoredEntry]:
    """The newest ``limit`` entries of a node, newest first, each with its source paths."""
    ids = [r[0] for r in store.db.execute(
        "SELECT entry_id FROM entry_nodes WHERE node = ? "
        "ORDER BY published DESC, entry_id DESC LIMIT ?", [path_str(node), limit])]
    return store.entries_by_id(ids)
