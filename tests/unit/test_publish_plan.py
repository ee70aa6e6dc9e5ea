"""What gets republished, decided without a database or files: the store's and the disk's
answers are dictionaries here."""

from __future__ import annotations

from feedhub.model import ArchiveState, FeedNode, NodePath, PollOutcome
from feedhub.publish.plan import (
    Changes,
    Feed,
    NodeFacts,
    Page,
    changes_of,
    in_writing_order,
    nodes_to_publish,
    pages_to_trim,
    plan_node,
)
from samples import LEAF, leaf

OTHER = leaf(("科技", "爱范儿"), "https://ifanr.com/feed")
TOPIC = FeedNode(("科技",), children=(LEAF, OTHER))
ROOT = FeedNode((), children=(TOPIC,))
TREE = ROOT.walk()
SIZE = 3
UNPUBLISHED = ArchiveState()


def facts(joined: int, known: ArchiveState = UNPUBLISHED, *,
          empty: frozenset[int] = frozenset(),
          compressed: frozenset[int] = frozenset()) -> NodeFacts:
    """A node whose entries 1..joined joined in order (entry id = sequence number), with
    the pages in ``empty`` emptied by retention and those in ``compressed`` on disk already."""
    def page_ids(number: int) -> list[int]:
        if number in empty:
            return []
        return list(range(min(number * SIZE, joined), (number - 1) * SIZE, -1))

    return NodeFacts(joined, known, list(range(joined, max(joined - SIZE, 0), -1)), page_ids,
                     lambda number: number in compressed)


def documents(plan_work: list[Page | Feed]) -> list[tuple[str, int, list[int]]]:
    return [(item.node.path[-1] if item.node.path else "", item.number, item.ids)
            if isinstance(item, Page) else
            ((item.node.path[-1] if item.node.path else "") + " feed", item.newest_page or 0,
             item.ids)
            for item in plan_work]


def test_a_batch_of_polls_is_one_set_of_work() -> None:
    outcomes = [PollOutcome("a", 200, changed_nodes=frozenset({"科技"}),
                            changed_entries=frozenset({1}), removed_posts=("x.md",)),
                PollOutcome("b", 304), PollOutcome("c", 200, changed_nodes=frozenset({""}),
                                                   changed_entries=frozenset({2}))]
    assert changes_of(outcomes) == Changes(frozenset({"科技", ""}), frozenset({1, 2}),
                                           ("x.md",))


def test_a_full_build_publishes_every_node_and_a_poll_only_what_it_touched() -> None:
    has_feed = {n.path: True for n in TREE} | {OTHER.path: False}
    assert nodes_to_publish(TREE, None, set(), has_feed.__getitem__) == TREE
    chosen = nodes_to_publish(TREE, Changes(nodes=frozenset({"科技/少数派"})), {""},
                              has_feed.__getitem__)
    # The changed node; the root, which has a stale archive page; a node with no feed yet.
    assert chosen == [ROOT, LEAF, OTHER]


def test_a_new_node_writes_its_full_pages_then_its_feed_linking_the_newest() -> None:
    plan = plan_node(LEAF, 0, SIZE, "all", False, facts(7))
    assert documents(in_writing_order([plan])) == [
        ("少数派", 1, [3, 2, 1]), ("少数派", 2, [6, 5, 4]), ("少数派 feed", 2, [7, 6, 5])]
    assert plan.state == ArchiveState(2, SIZE, 1) and not plan.recut and plan.emptied == ()


def test_after_a_poll_only_pages_that_filled_or_went_stale_are_written() -> None:
    known = ArchiveState(2, SIZE, 1, frozenset({2}))
    plan = plan_node(LEAF, 0, SIZE, "all", False, facts(10, known))
    assert documents(in_writing_order([plan])) == [
        ("少数派", 1, [3, 2, 1]), ("少数派", 3, [9, 8, 7]), ("少数派 feed", 3, [10, 9, 8])]


def test_a_page_retention_emptied_goes_and_the_archive_starts_after_it() -> None:
    known = ArchiveState(3, SIZE, 1, frozenset({1, 2}))
    plan = plan_node(LEAF, 0, SIZE, "all", False, facts(9, known, empty=frozenset({1})))
    assert plan.emptied == (1,) and plan.state.first_page == 2
    pages = [item for item in in_writing_order([plan]) if isinstance(item, Page)]
    # Page 2 is the first now: written again, without a link to an older page.
    assert [(p.number, p.first_page) for p in pages] == [(2, 2)]


def test_a_full_build_skips_pages_already_compressed_on_disk_unless_stale() -> None:
    known = ArchiveState(3, SIZE, 1, frozenset({4}))
    plan = plan_node(LEAF, 0, SIZE, "all", True,
                     facts(10, known, compressed=frozenset({1, 2, 3})))
    assert [item.number for item in in_writing_order([plan]) if isinstance(item, Page)] == [2]


def test_no_archive_for_a_topic_under_routes_and_its_old_pages_go() -> None:
    plan = plan_node(TOPIC, 0, SIZE, "routes", False, facts(7, ArchiveState(2, SIZE, 1)))
    assert plan.recut and plan.state.pages == 0
    assert documents(in_writing_order([plan])) == [("科技 feed", 0, [7, 6, 5])]


def test_documents_of_nodes_holding_the_same_entries_come_together() -> None:
    leaf = plan_node(LEAF, 0, SIZE, "all", False, facts(6))
    topic = plan_node(TOPIC, 1, SIZE, "all", False, facts(6))
    assert [(d[0], d[1]) for d in documents(in_writing_order([leaf, topic]))] == [
        ("少数派", 1), ("科技", 1), ("少数派", 2), ("科技", 2), ("少数派 feed", 2),
        ("科技 feed", 2)]


def test_trimming_takes_the_oldest_first_pages_until_the_excess_is_gone() -> None:
    newest = {(LEAF.path, 1): 10.0, (LEAF.path, 2): 40.0, (OTHER.path, 1): 20.0,
              (OTHER.path, 2): 30.0}

    def newest_in(path: NodePath, first: int, last: int) -> float:
        return newest[(path, (first - 1) // SIZE + 1)]

    firsts = {LEAF.path: (1, 2), OTHER.path: (1, 2)}
    chosen = pages_to_trim(firsts, SIZE, 250, newest_in, lambda path, page: 100)
    assert chosen == [(LEAF.path, 1), (OTHER.path, 1), (OTHER.path, 2)]
    assert pages_to_trim(firsts, SIZE, 0, newest_in, lambda path, page: 100) == []
