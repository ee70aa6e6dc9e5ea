"""What gets republished: the one place that decides it. No I/O of its own.

From what the polls changed (:class:`Changes`), :func:`nodes_to_publish` picks the tree nodes
whose documents are written again; for each, :func:`plan_node` picks its archive pages (RFC
5005 paging, ``publish.archive``), the page files that go and the bookkeeping the database
records once the pages are durable; :func:`in_writing_order` orders every document. What the
plan must know of the store and the disk it asks through the functions it is given, so a test
hands it dictionaries; ``publish.build`` gathers those facts, renders and writes.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from operator import itemgetter

from feedhub.model import ArchiveState, FeedNode, NodePath, PollOutcome, path_str
from feedhub.publish.archive import has_archive, plan_pages, seq_range, stale_pages


@dataclass(frozen=True, slots=True)
class Changes:
    """What a poll changed: the nodes to republish, entries whose posts to rewrite, the posts
    of entries retention deleted, and whether the files listing the feeds may show something
    new (a source's state, error or last success) even where no node changed."""

    nodes: frozenset[str] = frozenset()
    entries: frozenset[int] = frozenset()
    removed_posts: tuple[str, ...] = ()
    directory: bool = False


def changes_of(outcomes: Iterable[PollOutcome]) -> Changes:
    """Everything a batch of polls changed, as one set of publishing work."""
    nodes: set[str] = set()
    entries: set[int] = set()
    removed: list[str] = []
    for o in outcomes:
        nodes |= o.changed_nodes
        entries |= o.changed_entries
        removed += o.removed_posts
    return Changes(frozenset(nodes), frozenset(entries), tuple(removed))


def nodes_to_publish(nodes: Iterable[FeedNode], changes: Changes | None, stale: set[str],
                     has_feed: Callable[[NodePath], bool]) -> list[FeedNode]:
    """The nodes whose documents are written: every node for a full build (``changes`` None);
    after a poll, the changed nodes, those with archive pages to write again (``stale``), and
    any node that has no feed yet (a new source whose feed is empty changes no entries, but
    still gets its feed)."""
    if changes is None:
        return list(nodes)
    return [node for node in nodes
            if (key := path_str(node.path)) in changes.nodes or key in stale
            or not has_feed(node.path)]


@dataclass(frozen=True, slots=True)
class Page:
    """An archive page to write, and its entries, newest first."""

    node: FeedNode
    number: int
    first_page: int
    ids: list[int]


@dataclass(frozen=True, slots=True)
class Feed:
    """A node's subscription documents to write, one per format: its newest entries, and a
    link to its newest archive page if it has one."""

    node: FeedNode
    newest_page: int | None
    ids: list[int]


# Documents are written in this order: (newest entry id so far in the node, feed after pages,
# node, page number).
Work = tuple[tuple[int, int, int, int], Page | Feed]


@dataclass(frozen=True, slots=True)
class NodeFacts:
    """What the store and the disk say of one node, as :func:`plan_node` needs it."""

    joined: int  # sequence numbers handed out (entries that ever joined it)
    known: ArchiveState  # its archive pages as the database last recorded them
    newest: list[int]  # the entries of its subscription document, newest first
    page_ids: Callable[[int], list[int]]  # the entries of archive page n, newest first
    # Whether page n is on disk only in its compressed form (feedhub 0.2 on).
    compressed_only: Callable[[int], bool]


@dataclass(frozen=True, slots=True)
class NodePlan:
    """One node's share of a publish."""

    work: list[Work]
    state: ArchiveState  # recorded once its pages are durable
    recut: bool  # every page file of the node goes first
    emptied: tuple[int, ...]  # old pages retention emptied, whose files go


def plan_node(node: FeedNode, rank: int, size: int, archive: str, every_page: bool,
              facts: NodeFacts) -> NodePlan:
    """The documents to write for ``node`` (the ``rank``-th chosen), its archive paged by
    ``size`` under ``publish.archive`` = ``archive``; ``every_page`` for a full build."""
    plan = plan_pages(facts.joined, size, facts.known, has_archive(node, archive), every_page)
    state = plan.state
    write = set(plan.write)
    # Pages at the old end that retention emptied go: the archive then starts later, and its
    # new first page is written again without a link to an older one.
    first = state.first_page
    emptied: list[int] = []
    while (first <= state.pages and first in write
           and not facts.page_ids(first)):
        emptied.append(first)
        write.discard(first)
        first += 1
        if first <= state.pages:
            write.add(first)
    state = replace(state, first_page=first)
    stale = stale_pages(facts.known.stale_seqs, size, facts.known.first_page, facts.known.pages)
    work: list[Work] = []
    newest = 0
    for number in sorted(write):
        # A full build renders only the pages that are missing or stale, or still in the
        # plain form of feedhub before 0.2.
        if (every_page and not plan.recut and number not in stale
                and facts.compressed_only(number)):
            continue
        ids = facts.page_ids(number)
        newest = max(newest, *ids, 0)
        work.append(((newest, 0, rank, number), Page(node, number, first, ids)))
    newest_page = state.pages if state.pages >= first else None
    work.append(((max(newest, *facts.newest, 0), 1, rank, 0),
                 Feed(node, newest_page, facts.newest)))
    return NodePlan(work, state, plan.recut, tuple(emptied))


def in_writing_order(plans: Iterable[NodePlan]) -> list[Page | Feed]:
    """Every document of the plans, in the order of the newest entry it holds (a node's
    pages in order, then its feed). The documents of every node holding the same entries then
    come close together, so a full build renders most entries once (publish.entry_cache)."""
    return [item for _, item in sorted((w for plan in plans for w in plan.work),
                                       key=itemgetter(0))]


def pages_to_trim(firsts: Mapping[NodePath, tuple[int, int]], size: int, excess: int,
                  newest_in: Callable[[NodePath, int, int], float],
                  page_bytes: Callable[[NodePath, int], int]) -> list[tuple[NodePath, int]]:
    """The archive pages to delete, oldest first, until ``excess`` bytes are gone.

    ``firsts`` holds each archived node's first page and newest full page; the oldest page is
    the one whose newest entry (``newest_in`` of its sequence range, a timestamp) is oldest,
    among the first pages of every node. Their entries stay stored: they only leave the
    archive.
    """
    def key(path: NodePath, page: int) -> tuple[float, int, NodePath]:
        return (newest_in(path, *seq_range(page, size)), page, path)

    queue = [key(path, first) for path, (first, _) in firsts.items()]
    heapq.heapify(queue)
    chosen: list[tuple[NodePath, int]] = []
    while excess > 0 and queue:
        _, page, path = heapq.heappop(queue)
        excess -= page_bytes(path, page)
        chosen.append((path, page))
        if page + 1 <= firsts[path][1]:
            heapq.heappush(queue, key(path, page + 1))
    return chosen
