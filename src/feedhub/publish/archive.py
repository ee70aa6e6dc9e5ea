"""RFC 5005 archive paging of a node's merged feed: which pages exist and which to write.

Pure arithmetic over sequence numbers (``entry_nodes.seq`` numbers a node's entries in the
order they joined it, never reused). Page ``n`` holds the entries numbered
``(n - 1) * size + 1`` to ``n * size``, and is written once it is full. The subscription
document holds the ``size`` entries that joined last, so it overlaps the newest full page by
``size - (joined % size)`` entries at most: RFC 5005 section 4.2 has readers keep one copy of
an entry found twice (the most recently updated), and its definition of the subscription
document ("always contains the most recently added or changed entries") is what makes the
overlap needed, since full pages never move.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from feedhub.model import ArchiveState, FeedNode


def has_archive(node: FeedNode, mode: str) -> bool:
    """Whether ``node`` keeps archive pages under ``publish.archive`` = ``mode``."""
    return mode == "all" or (mode == "routes" and node.source is not None)


def carries_bodies(node: FeedNode) -> bool:
    """Whether the node's archive pages hold entry bodies. A source's own pages do; the
    pages of a node above it list the same entries without their content, which stands in
    the source's page (and its link): bodies are stored once, not once per level."""
    return node.source is not None


def page_of(seq: int, size: int) -> int:
    """The archive page holding sequence number ``seq``."""
    return (seq - 1) // size + 1


def seq_range(page: int, size: int) -> tuple[int, int]:
    """The first and last sequence numbers of archive page ``page``."""
    return (page - 1) * size + 1, page * size


@dataclass(frozen=True, slots=True)
class PagePlan:
    """What to do with a node's archive pages in one publish."""

    write: tuple[int, ...]  # page numbers to write, oldest first
    state: ArchiveState  # what the database records once they are durable
    recut: bool = False  # every page file of the node goes first (size changed, archive off)


def plan_pages(joined: int, size: int, state: ArchiveState, enabled: bool,
               every_page: bool) -> PagePlan:
    """The pages to write for a node that has handed out ``joined`` sequence numbers.

    After a poll, only the pages that filled since the last publish and those holding a
    stale sequence number (an entry that left or changed) are written; ``every_page`` (a full
    build) considers every published page. A changed page size cuts the history anew.
    """
    if not enabled:
        return PagePlan((), ArchiveState(0, size, 1), recut=state.pages > 0 or every_page)
    full = joined // size
    if state.page_size and state.page_size != size:
        return PagePlan(tuple(range(1, full + 1)), ArchiveState(full, size, 1), recut=True)
    first = state.first_page
    done = 0 if every_page else state.pages
    write = set(range(max(done + 1, first), full + 1))
    write |= stale_pages(state.stale_seqs, size, first, min(full, state.pages))
    return PagePlan(tuple(sorted(write)), ArchiveState(full, size, first))


def stale_pages(seqs: Iterable[int], size: int, first: int, last: int) -> set[int]:
    """The published pages (``first`` to ``last``) that hold any of ``seqs``."""
    return {p for p in (page_of(s, size) for s in seqs) if first <= p <= last}
