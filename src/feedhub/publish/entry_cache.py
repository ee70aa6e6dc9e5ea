"""Atom entries rendered once per publish, shared by every document holding them.

An entry sits in every node of its source paths (for a source three levels down: the root, two
topics and the source), so a full build would otherwise render it once per archive page and
once per subscription feed that holds it. The cache is bounded; build orders its work
so that the documents holding an entry come close together.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from feedhub.model import StoredEntry
from feedhub.publish.atom import render_entries, without_body

# Of rendered entries: enough for the entries of every document open at once in a large
# build, small beside the work it saves.
BUDGET = 32 << 20


@dataclass(frozen=True, slots=True)
class AtomEntry:
    """One entry's ``<entry>`` element with its content and without it (the same bytes when
    it must keep it), and its ``updated`` for the feed's own. ``element`` is None when only
    the lean form was sent back by a worker (``publish.feed_pool``)."""

    updated: datetime
    element: bytes | None
    lean: bytes


# An AtomEntry as it crosses between processes: (entry id, updated, element, lean).
Sent = tuple[int, datetime, bytes | None, bytes]


class EntryCache:
    """Atom entries by entry id, least recently used dropped first beyond ``budget`` bytes."""

    def __init__(self, hub_title: str, base_url: str, budget: int = BUDGET) -> None:
        self._hub_title = hub_title
        self._base_url = base_url
        self._budget = budget
        self._size = 0
        self._held: OrderedDict[int, AtomEntry] = OrderedDict()
        # The entries themselves, as last read, for the other formats of a feed whose Atom
        # entries were just rendered for its pages: read once, not once per document.
        self._read: OrderedDict[int, StoredEntry] = OrderedDict()
        self._read_size = 0

    def get(self, ids: Sequence[int], read: Callable[[list[int]], Iterable[StoredEntry]],
            bodies: bool = True) -> list[tuple[datetime, bytes]]:
        """The entries ``ids``, in that order, as (updated, element), with their bodies or not
        (:func:`feedhub.publish.atom.without_body`); those not at hand are got with ``read``
        and rendered (entries it leaves out, no longer stored, are left out here too)."""
        missing = [i for i in ids if (held := self._held.get(i)) is None
                   or (bodies and held.element is None)]
        if missing:
            fresh = self.entries(missing, read)
            rendered = render_entries(fresh, self._hub_title, self._base_url)
            for entry, raw in zip(fresh, rendered, strict=True):
                self._hold(entry.rowid, AtomEntry(entry.updated, raw, without_body(entry, raw)))
        found: list[tuple[datetime, bytes]] = []
        for i in ids:
            held = self._held.get(i)
            if held is None:
                continue
            element = held.element if bodies else held.lean
            if element is None:
                continue  # held lean only, and no longer stored: left out, as a missing one
            self._held.move_to_end(i)
            found.append((held.updated, element))
        # Only now: a document needs all its entries at once, however many.
        self._shrink()
        return found

    def send(self, ids: Iterable[int], bodies: bool) -> list[Sent]:
        """The entries ``ids`` held here, to be :meth:`keep`-ed by another process's cache:
        with their bodies or in their lean form only."""
        sent: list[Sent] = []
        for i in ids:
            held = self._held.get(i)
            if held is not None and (held.element is not None or not bodies):
                sent.append((i, held.updated, held.element if bodies else None, held.lean))
        return sent

    def keep(self, sent: Iterable[Sent]) -> None:
        """Hold the entries another process rendered (from :meth:`send`), unless held here in
        a fuller form already."""
        for rowid, updated, element, lean in sent:
            known = self._held.get(rowid)
            if known is None or (known.element is None and element is not None):
                self._hold(rowid, AtomEntry(updated, element, lean))
        self._shrink()

    def _hold(self, rowid: int, made: AtomEntry) -> None:
        known = self._held.pop(rowid, None)
        self._size += _size(made) - (_size(known) if known is not None else 0)
        self._held[rowid] = made

    def _shrink(self) -> None:
        while self._size > self._budget and self._held:
            _, dropped = self._held.popitem(last=False)
            self._size -= _size(dropped)

    def entries(self, ids: Sequence[int],
                read: Callable[[list[int]], Iterable[StoredEntry]]) -> list[StoredEntry]:
        """The stored entries ``ids``, in that order: those read lately again, the others
        with ``read`` (which may leave out entries no longer stored)."""
        missing = [i for i in ids if i not in self._read]
        for fresh in read(missing) if missing else ():
            self._read[fresh.rowid] = fresh
            self._read_size += _weight(fresh)
        found = []
        for i in ids:
            entry = self._read.get(i)
            if entry is not None:
                self._read.move_to_end(i)
                found.append(entry)
        while self._read_size > self._budget and self._read:
            _, dropped = self._read.popitem(last=False)
            self._read_size -= _weight(dropped)
        return found


def _weight(entry: StoredEntry) -> int:
    return len(entry.content) + len(entry.summary) + 512


def _size(held: AtomEntry) -> int:
    element = held.element
    return len(held.lean) + (0 if element is None or element is held.lean else len(element))
