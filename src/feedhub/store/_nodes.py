"""Tree nodes: which nodes an entry belongs to, each with its sequence number, and the
nodes' counts and newest dates kept right as entries join and leave."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

import sqlite_utils

from feedhub.model import ancestors, path_str


@dataclass(frozen=True, slots=True)
class Nodes:
    """The ``entry_nodes`` and ``nodes`` tables, as storing and syncing sources change them."""

    db: sqlite_utils.Database

    def join_new(self, node: str, joining: list[tuple[int, str]]) -> None:
        """New entries (id, published) join a node, numbered in the order given."""
        if not joining:
            return
        db = self.db
        db.execute("INSERT OR IGNORE INTO nodes (node) VALUES (?)", [node])
        first = db.execute(
            "UPDATE nodes SET next_seq = next_seq + ?, entries = entries + ?, "
            "newest = max(coalesce(newest, ''), ?) WHERE node=? RETURNING next_seq - ?",
            [len(joining), len(joining), max(p for _, p in joining), node, len(joining)]
        ).fetchone()[0]
        db.conn.executemany(
            "INSERT INTO entry_nodes (node, entry_id, published, seq) VALUES (?, ?, ?, ?)",
            [(node, entry_id, published, first + i)
             for i, (entry_id, published) in enumerate(joining)])

    def join_node(self, node: str, entry_id: int, published: str) -> None:
        """An entry joins one node it is not in yet, as its newest member."""
        db = self.db
        if db.execute("SELECT 1 FROM entry_nodes WHERE node=? AND entry_id=?",
                      [node, entry_id]).fetchone():
            return
        db.execute("INSERT OR IGNORE INTO nodes (node) VALUES (?)", [node])
        seq = db.execute("UPDATE nodes SET next_seq = next_seq + 1 WHERE node=? "
                         "RETURNING next_seq - 1", [node]).fetchone()[0]
        db.execute("INSERT INTO entry_nodes (node, entry_id, published, seq) VALUES (?, ?, ?, ?)",
                   [node, entry_id, published, seq])
        db.execute("UPDATE nodes SET entries = entries + 1, newest = max(coalesce(newest, ''), ?) "
                   "WHERE node=?", [published, node])

    def leave(self, entry_id: int, nodes: set[str] | None = None) -> None:
        """Take an entry out of the given nodes (all of its nodes when None), keeping the
        nodes' counts and newest dates right."""
        db = self.db
        if nodes is None:
            nodes = {r[0] for r in db.execute("SELECT node FROM entry_nodes WHERE entry_id=?",
                                              [entry_id])}
        for node in nodes:
            # The archive page that held it is written again without it.
            db.execute("INSERT OR IGNORE INTO stale_seqs (node, seq) SELECT node, seq "
                       "FROM entry_nodes WHERE node=? AND entry_id=?", [node, entry_id])
            db.execute("DELETE FROM entry_nodes WHERE node=? AND entry_id=?", [node, entry_id])
            db.execute("UPDATE nodes SET entries = entries - 1, newest = (SELECT max(published) "
                       "FROM entry_nodes WHERE node=?) WHERE node=?", [node, node])

    def relink(self, entry_ids: Iterable[int]) -> set[str]:
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
                for ancestor in ancestors(tuple(json.loads(path))):
                    wanted.setdefault(path_str(ancestor), None)
            have = {r[0] for r in db.execute("SELECT node FROM entry_nodes WHERE entry_id=?",
                                             [entry_id])}
            self.leave(entry_id, have - wanted.keys())
            for node in wanted:
                if node not in have:
                    self.join_node(node, entry_id, rows[0][1])
            changed |= have ^ wanted.keys()
        return changed

    def nodes_of(self, entry_ids: set[int]) -> frozenset[str]:
        """Every node any of the entries is in."""
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
