"""Atom entries rendered and compressed once per publish, shared by every document holding them.

An entry sits in every node of its source paths (for a source three levels down: the root, two
topics and the source), so a full build would otherwise render and compress it once per archive
page and once per subscription feed that holds it. The cache is bounded; build orders its work
so that the documents holding an entry come close together.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import datetime

from feedhub.model import StoredEntry
from feedhub.publish.atom import render_entries
from feedhub.publish.deflate import Piece

# Of rendered entries (their compressed forms add about half): enough for the entries of every
# document open at once in a large build, small beside the work it saves.
BUDGET = 32 << 20


@dataclass(frozen=True, slots=True)
class AtomEntry:
    """One entry's ``<entry>`` element, and its ``updated`` for the feed's own."""

    updated: datetime
    piece: Piece


class SharedEntries:
    """Atom entries by entry id, least recently used dropped first beyond ``budget`` bytes.
    ``pack`` starts compressing a piece (:func:`feedhub.publish.deflate.deflated`) on another
    thread."""

    def __init__(self, hub_title: str, base_url: str, pack: Callable[[bytes], Future[bytes]],
                 budget: int = BUDGET) -> None:
        self._hub_title = hub_title
        self._pack = pack
        self._base_url = base_url
        self._budget = budget
        self._size = 0
        # By (entry id, with its body): see render_entries.
        self._held: OrderedDict[tuple[int, bool], AtomEntry] = OrderedDict()

    def get(self, ids: Sequence[int], read: Callable[[list[int]], Iterable[StoredEntry]],
            packed: bool = False, bodies: bool = True) -> list[AtomEntry]:
        """The entries ``ids``, in that order, with their bodies or not; those not at hand are
        got with ``read`` and rendered (entries it leaves out, no longer stored, are left out
        here too). With ``packed``, each piece is also being compressed: archive pages share
        compressed pieces, while feeds are compressed whole."""
        missing = [i for i in ids if (i, bodies) not in self._held]
        if missing:
            fresh = list(read(missing))
            rendered = render_entries(fresh, self._hub_title, self._base_url, bodies)
            for entry, raw in zip(fresh, rendered, strict=True):
                self._held[entry.rowid, bodies] = AtomEntry(entry.updated, Piece(raw))
                self._size += len(raw)
        found: list[AtomEntry] = []
        for i in ids:
            key = (i, bodies)
            held = self._held.get(key)
            if held is None:
                continue
            if packed and held.piece.packed is None:
                held = replace(held, piece=Piece(held.piece.raw, self._pack(held.piece.raw)))
                self._held[key] = held
            self._held.move_to_end(key)
            found.append(held)
        # Only now: a document needs all its entries at once, however many.
        while self._size > self._budget and self._held:
            _, dropped = self._held.popitem(last=False)
            self._size -= len(dropped.piece.raw)
        return found
