"""RFC 5005 paging of a node's history, without a database or files."""

from __future__ import annotations

import pytest

from feedhub.model import ArchiveState, FeedNode
from feedhub.publish.archive import (
    carries_bodies,
    has_archive,
    page_of,
    plan_pages,
    seq_range,
    stale_pages,
)
from samples import LEAF

TOPIC = FeedNode(("科技",), children=(LEAF,))


@pytest.mark.parametrize(("mode", "topic", "leaf"), [("all", True, True), ("routes", False, True),
                                                    ("none", False, False)])
def test_archive_modes_choose_nodes(mode: str, topic: bool, leaf: bool) -> None:
    assert (has_archive(TOPIC, mode), has_archive(LEAF, mode)) == (topic, leaf)


def test_only_a_sources_own_pages_carry_bodies() -> None:
    assert carries_bodies(LEAF) and not carries_bodies(TOPIC)


@pytest.mark.parametrize(("seq", "page"), [(1, 1), (3, 1), (4, 2), (6, 2), (7, 3)])
def test_pages_hold_consecutive_sequence_numbers(seq: int, page: int) -> None:
    assert page_of(seq, 3) == page
    first, last = seq_range(page, 3)
    assert first <= seq <= last and last - first == 2


@pytest.mark.parametrize(("joined", "known", "every", "write", "pages", "recut"), [
    # Nothing full yet; then the pages that filled since the last publish, and no others.
    (2, ArchiveState(), False, (), 0, False),
    (7, ArchiveState(), False, (1, 2), 2, False),
    (10, ArchiveState(2, 3), False, (3,), 3, False),
    (10, ArchiveState(3, 3), False, (), 3, False),
    # A full build considers every published page (the writer skips those on disk).
    (10, ArchiveState(3, 3), True, (1, 2, 3), 3, False),
    # Stale sequence numbers bring back the pages that hold them, published ones only.
    (10, ArchiveState(3, 3, stale_seqs=frozenset({2, 8, 11})), False, (1, 3), 3, False),
    # Pages before the first one still published are never written again.
    (10, ArchiveState(3, 3, first_page=3, stale_seqs=frozenset({2})), True, (3,), 3, False),
    # A new page size cuts the history anew, from the first page.
    (10, ArchiveState(3, 4, first_page=2), False, (1, 2, 3), 3, True),
])
def test_plan_pages(joined: int, known: ArchiveState, every: bool, write: tuple[int, ...],
                    pages: int, recut: bool) -> None:
    plan = plan_pages(joined, 3, known, enabled=True, every_page=every)
    assert plan.write == write
    assert (plan.state.pages, plan.state.page_size, plan.recut) == (pages, 3, recut)
    assert plan.state.first_page == (1 if recut else known.first_page)
    assert plan.state.stale_seqs == frozenset()  # written, so no longer stale


def test_a_node_without_archive_drops_the_pages_it_had() -> None:
    plan = plan_pages(10, 3, ArchiveState(3, 3), enabled=False, every_page=False)
    assert plan.write == () and plan.recut and plan.state.pages == 0
    assert not plan_pages(10, 3, ArchiveState(), enabled=False, every_page=False).recut


def test_stale_pages_are_the_published_ones_holding_the_numbers() -> None:
    assert stale_pages({1, 5, 9, 30}, 4, first=2, last=3) == {2, 3}
