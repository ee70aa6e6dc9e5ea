"""Storage: dedup within and across sources, updates in place, source lifecycle."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils
from stored import newest_entries, polled

from feedhub.model import FetchResult, Source
from feedhub.parse import parse_feed
from feedhub.store import Store, from_iso
from feedhub.store._nodes import Nodes
from feedhub.store._schema import SCHEMA_VERSION, _create_v1

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
A = Source(path=("科技", "站点", "甲"), url="https://a.example/feed", interval=1800)
B = Source(path=("新媒体", "站点", "乙"), url="https://b.example/feed", interval=1800)


def rss(*items: str) -> bytes:
    return ("<rss version='2.0'><channel><title>t</title><link>https://site.example/</link>"
            + "".join(items) + "</channel></rss>").encode()


def item(title: str, *, guid: str | None = None, link: str | None = None,
         body: str = "body", date: str = "Wed, 01 May 2024 08:00:00 GMT") -> str:
    parts = [f"<title>{title}</title>", f"<description>{body}</description>",
             f"<pubDate>{date}</pubDate>"]
    if guid:
        parts.append(f"<guid isPermaLink='false'>{guid}</guid>")
    if link:
        parts.append(f"<link>{link}</link>")
    return "<item>" + "".join(parts) + "</item>"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "db.sqlite", authority="hub.example")
    s.sources.sync([A, B])
    return s


def poll(store: Store, source: Source, body: bytes, now: datetime = NOW):
    # As the poller does: entries stored as they are in the feed are not normalized again.
    parsed = parse_feed(body, source, source.url, {}, now, store.polls.digests(source.id))
    result = FetchResult(url=source.url, final_url=source.url, status=200)
    return store.polls.record(polled(store, source, result, now, parsed, len(body)))


def titles(store: Store, node: tuple[str, ...] = ()) -> list[str]:
    return [e.title for e in newest_entries(store, node, 100)]


def test_entries_are_deduplicated_by_id_then_link_then_content(store: Store) -> None:
    feed = rss(item("有 id", guid="g1", link="https://x.example/1"),
               item("只有链接", link="https://x.example/2"),
               item("什么都没有", body="独一无二的正文"))
    first = poll(store, A, feed)
    assert (first.new, first.updated) == (3, 0)
    again = poll(store, A, feed, NOW + timedelta(hours=1))
    assert (again.new, again.updated) == (0, 0)
    assert sorted(titles(store)) == sorted(["有 id", "只有链接", "什么都没有"])


def test_reordered_feed_and_whitespace_changes_create_nothing(store: Store) -> None:
    one = item("无 id 甲", body="正文 甲")
    two = item("无 id 乙", body="正文 乙")
    poll(store, A, rss(one, two))
    spaced = item("无 id 乙", body="  正文\n\n 乙 ")
    later = poll(store, A, rss(spaced, one), NOW + timedelta(hours=1))
    assert later.new == 0
    assert len(titles(store)) == 2


def test_edited_entry_is_updated_in_place_with_a_new_updated_time(store: Store) -> None:
    poll(store, A, rss(item("标题", guid="g1", body="旧正文")))
    (before,) = newest_entries(store, (), 10)
    outcome = poll(store, A, rss(item("标题（修订）", guid="g1", body="新正文")),
                   NOW + timedelta(hours=2))
    assert (outcome.new, outcome.updated) == (0, 1)
    (after,) = newest_entries(store, (), 10)
    assert after.atom_id == before.atom_id
    assert after.title == "标题（修订）" and "新正文" in after.content
    assert after.updated == NOW + timedelta(hours=2)
    assert after.published == before.published


def test_a_raw_change_that_no_reader_sees_is_not_an_edit(store: Store) -> None:
    poll(store, A, rss(item("标题", guid="g1", body="&lt;p&gt;正文&lt;/p&gt;")))
    (before,) = newest_entries(store, (), 10)
    # Its raw form changed, so it is normalized again, and reads the same once sanitized.
    edited = rss(item("标题", guid="g1", body="&lt;p onclick='x()'&gt;正文&lt;/p&gt;"))
    parsed = parse_feed(edited, A, A.url, {}, NOW, store.polls.digests(A.id))
    assert parsed.unchanged == () and len(parsed.entries) == 1
    outcome = poll(store, A, edited, NOW + timedelta(hours=2))
    assert (outcome.new, outcome.updated) == (0, 0)
    (after,) = newest_entries(store, (), 10)
    assert after.updated == before.updated and after.content == before.content


def test_same_article_in_two_sources_is_stored_once_with_both_paths(store: Store) -> None:
    poll(store, A, rss(item("原文", guid="a1", link="https://news.example/p?id=7&utm_source=a")))
    outcome = poll(store, B, rss(item("转载", guid="b1",
                                      link="HTTPS://News.Example:443/p?utm_medium=x&id=7#top")))
    assert outcome.new == 1
    (entry,) = newest_entries(store, (), 10)
    assert entry.title == "原文"
    assert set(entry.node_paths) == {A.path, B.path}
    assert titles(store, ("新媒体",)) == ["原文"]
    assert titles(store, ("科技", "站点", "甲")) == ["原文"]
    assert outcome.changed_nodes >= {"", "新媒体", "新媒体/站点", "新媒体/站点/乙", "科技"}


def test_minted_ids_are_tag_iris_and_absolute_ids_are_kept(store: Store) -> None:
    poll(store, A, rss(item("相对 id", guid="local-1"),
                       item("绝对 id", guid="urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427")))
    ids = {e.title: e.atom_id for e in newest_entries(store, (), 10)}
    assert ids["绝对 id"] == "urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427"
    assert ids["相对 id"].startswith("tag:hub.example,2024-05-01:entry/")


def test_removed_source_leaves_the_feeds_and_returns_when_readded(store: Store) -> None:
    poll(store, A, rss(item("甲的文章", guid="a1")))
    poll(store, B, rss(item("乙的文章", guid="b1")))
    store.sources.sync([B])
    assert titles(store) == ["乙的文章"]
    assert titles(store, ("科技",)) == []
    store.sources.sync([A, B])
    assert sorted(titles(store)) == ["乙的文章", "甲的文章"]


def test_changed_url_resets_validators(store: Store) -> None:
    result = FetchResult(url=A.url, final_url=A.url, status=200, etag='"e1"',
                         last_modified="Tue, 01 Jun 2021 00:00:00 GMT")
    store.polls.record(polled(store, A, result, NOW, size=10, body_hash="h"))
    assert store.sources.state(A.id).etag == '"e1"'
    moved = Source(path=A.path, url="https://a.example/new-feed", interval=1800)
    store.sources.sync([moved, B])
    state = store.sources.state(A.id)
    assert state.url == moved.url and state.etag is None and state.last_modified is None


def test_errors_are_counted_and_cleared_by_a_success(store: Store) -> None:
    failed = FetchResult(url=A.url, final_url=A.url, status=500, error="HTTP 500 from x")
    for minutes in (0, 30):
        at = NOW + timedelta(minutes=minutes)
        store.polls.record(polled(store, A, failed, at))
    state = store.sources.state(A.id)
    assert (state.state, state.error_count, state.error) == ("failing", 2, "HTTP 500 from x")
    assert state.error_since == NOW
    poll(store, A, rss(item("好了", guid="ok")), NOW + timedelta(hours=1))
    state = store.sources.state(A.id)
    assert (state.state, state.error_count, state.error) == ("ok", 0, None)


def test_database_survives_reopening(tmp_path: Path, store: Store) -> None:
    poll(store, A, rss(item("持久", guid="p1")))
    store.close()
    reopened = Store(tmp_path / "db.sqlite", authority="hub.example")
    assert titles(reopened) == ["持久"]
    assert reopened.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def kept(source: Source, **limits) -> Source:
    return Source(path=source.path, url=source.url, interval=1800, **limits)


def test_retention_by_count_keeps_entries_still_in_the_feed(store: Store) -> None:
    a = kept(A, max_entries=2)
    store.sources.sync([a, B])
    days = ["26", "27", "28", "29"]
    poll(store, a, rss(*(item(f"第{d}天", guid=d, date=f"{d} Apr 2024 08:00:00 GMT")
                         for d in days)))
    assert len(titles(store)) == 4  # all four are in the feed: none may go
    outcome = poll(store, a, rss(item("第30天", guid="30", date="30 Apr 2024 08:00:00 GMT")),
                   NOW + timedelta(hours=1))
    assert outcome.removed == 3
    assert titles(store) == ["第30天", "第29天"]
    assert "" in outcome.changed_nodes and "科技/站点/甲" in outcome.changed_nodes


def test_retention_by_age_only_removes_entries_that_left_the_feed(store: Store) -> None:
    a = kept(A, max_age=30 * 86400)
    store.sources.sync([a, B])
    old = item("旧文", guid="old", date="Mon, 01 Jan 2024 00:00:00 GMT")
    new = item("新文", guid="new", date="Wed, 01 May 2024 08:00:00 GMT")
    poll(store, a, rss(old, new))
    assert sorted(titles(store)) == ["新文", "旧文"]  # the old one is still in the feed
    poll(store, a, rss(new), NOW + timedelta(hours=1))
    assert titles(store) == ["新文"]


def test_retention_of_a_shared_article_only_drops_that_source(store: Store) -> None:
    a = kept(A, max_entries=1)
    store.sources.sync([a, B])
    link = "https://news.example/shared"
    poll(store, a, rss(item("共享", guid="a-shared", link=link,
                            date="Tue, 30 Apr 2024 08:00:00 GMT")))
    poll(store, B, rss(item("共享转载", guid="b-shared", link=link)))
    poll(store, a, rss(item("甲的新文", guid="a-new")), NOW + timedelta(hours=1))
    shared = next(e for e in newest_entries(store, (), 10) if e.title == "共享")
    assert shared.node_paths == (B.path,)
    assert titles(store, ("科技",)) == ["甲的新文"]


def test_a_poll_finishing_after_its_source_changed_is_discarded(store: Store) -> None:
    store.sources.sync([B])  # A removed while its poll was in flight
    outcome = poll(store, A, rss(item("迟到", guid="late")))
    assert outcome.new == 0 and titles(store) == []
    moved = Source(path=A.path, url="https://a.example/elsewhere", interval=1800)
    store.sources.sync([moved, B])
    assert poll(store, A, rss(item("旧地址", guid="old-url"))).new == 0
    assert store.sources.state(A.id).etag is None


def test_a_poll_stored_during_another_poll_of_its_source_is_not_rolled_back(
        store: Store) -> None:
    # `feedhub poll` beside the daemon: both decided from the state before either fetch.
    body = rss(item("甲一", guid="a1"))
    parsed = parse_feed(body, A, A.url, {}, NOW, {})
    first = FetchResult(url=A.url, final_url=A.url, status=200, etag='"new"')
    late = FetchResult(url=A.url, final_url=A.url, status=500, error="HTTP 500 from a.example")
    stale = polled(store, A, late, NOW + timedelta(minutes=1))
    stored = store.polls.record(polled(store, A, first, NOW, parsed, len(body)))
    outcome = store.polls.record(stale)
    state = store.sources.state(A.id)
    assert (state.etag, state.error_count, state.last_poll) == ('"new"', 0, NOW)
    assert outcome.new == 0 and outcome.next_poll == stored.next_poll is not None
    logged = store.db.execute("SELECT error FROM fetches ORDER BY id DESC").fetchone()[0]
    assert logged == "discarded: another poll of this source was stored during the poll"


def test_a_discarded_poll_still_says_when_its_source_is_due(store: Store) -> None:
    store.sources.sync([replace(A, max_entries=5), B])  # A's limits edited during its poll
    outcome = poll(store, A, rss(item("迟到", guid="late")))
    assert outcome.new == 0 and outcome.next_poll is not None and outcome.next_poll > NOW


def test_sequence_numbers_are_never_reused(store: Store) -> None:
    poll(store, A, rss(item("甲一", guid="a1")))
    poll(store, B, rss(item("乙一", guid="b1")))
    store.sources.sync([A])  # b1 leaves the root node
    poll(store, A, rss(item("甲一", guid="a1"), item("甲二", guid="a2")))
    store.sources.sync([A, B])  # b1 returns
    seqs = dict(store.db.execute(
        "SELECT e.title, n.seq FROM entry_nodes n JOIN entries e ON e.id = n.entry_id "
        "WHERE n.node = ''").fetchall())
    assert len(set(seqs.values())) == 3 and seqs["甲二"] == 3 and seqs["乙一"] == 4


def test_a_failed_poll_leaves_no_half_stored_entry(store: Store, monkeypatch) -> None:
    calls = {"n": 0}
    original = Nodes.join_new

    def failing(self, node, joining):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("power cut")  # the entry is in, and in one node of its four
        return original(self, node, joining)

    monkeypatch.setattr(Nodes, "join_new", failing)
    with pytest.raises(RuntimeError):
        poll(store, A, rss(item("半截", guid="half")))
    monkeypatch.setattr(Nodes, "join_new", original)
    assert store.db.execute("SELECT count(*) FROM entries").fetchone()[0] == 0
    assert poll(store, A, rss(item("半截", guid="half"))).new == 1
    assert titles(store) == ["半截"]


def test_node_counts_follow_joins_leaves_and_retention(store: Store) -> None:
    a = kept(A, max_entries=1)
    store.sources.sync([a, B])
    shared = "https://news.example/shared"
    poll(store, a, rss(item("甲一", guid="a1", link=shared, date="28 Apr 2024 08:00:00 GMT"),
                       item("甲二", guid="a2", date="29 Apr 2024 08:00:00 GMT")))
    poll(store, B, rss(item("乙一", guid="b1", link=shared)))
    poll(store, a, rss(item("甲三", guid="a3", date="30 Apr 2024 08:00:00 GMT")),
         NOW + timedelta(hours=1))
    store.sources.sync([B])
    actual = {node: (count, from_iso(newest)) for node, count, newest in store.db.execute(
        "SELECT node, count(*), max(published) FROM entry_nodes GROUP BY node")}
    kept_stats = {k: v for k, v in store.publishing.node_stats().items() if v[0]}
    assert kept_stats == actual
    assert store.publishing.node_stats()["科技"] == (0, None)


def test_entries_already_stored_as_the_feed_has_them_are_not_normalized_again(
        store: Store) -> None:
    poll(store, A, rss(item("一", guid="k1"), item("二", guid="k2")))
    feed = rss(item("三", guid="k3"), item("一", guid="k1"), item("二（改）", guid="k2"))
    parsed = parse_feed(feed, A, A.url, {}, NOW, store.polls.digests(A.id))
    assert parsed.unchanged == ("id:k1",)
    assert [e.key for e in parsed.entries] == ["id:k3", "id:k2"]
    outcome = poll(store, A, feed, NOW + timedelta(hours=1))
    assert (outcome.new, outcome.updated) == (1, 1)
    assert sorted(titles(store)) == ["一", "三", "二（改）"]
    # Still in the feed, so retention must keep it: the unchanged entry is marked so too.
    assert store.db.execute("SELECT in_feed FROM entry_sources WHERE key='id:k1'"
                            ).fetchone()[0] == 1


def test_a_changed_filter_normalizes_every_entry_again(store: Store) -> None:
    poll(store, A, rss(item("保留", guid="k1"), item("也保留", guid="k2")))
    strict = Source(path=A.path, url=A.url, interval=A.interval, exclude=("也",))
    store.sources.sync([strict, B])
    parsed = parse_feed(rss(item("保留", guid="k1"), item("也保留", guid="k2")), strict,
                        A.url, {}, NOW, store.polls.digests(A.id))
    assert parsed.unchanged == ()
    assert [e.title for e in parsed.entries] == ["保留"]


def test_a_database_of_schema_1_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    old = sqlite_utils.Database(path)
    _create_v1(old)
    old["meta"].insert({"key": "schema", "value": "1"}, pk="key")
    old.close()
    store = Store(path, authority="hub.example")
    store.sources.sync([A, B])
    assert "digest" in store.db["entry_sources"].columns_dict
    assert "signature" not in store.db["entries"].columns_dict
    assert poll(store, A, rss(item("一", guid="k1"))).new == 1
    assert store.db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()[0] == \
        str(SCHEMA_VERSION)


def undo_schema_4(store: Store) -> None:
    """Take away what schema 4 added to the tables, as an older database lacks it."""
    store.db.execute("ALTER TABLE nodes DROP COLUMN first_page")
    store.db.execute("DROP TABLE stale_seqs")


def test_a_database_of_schema_2_keeps_its_entries_and_still_tells_an_edit(
        tmp_path: Path) -> None:
    path = tmp_path / "two.sqlite"
    store = Store(path, authority="hub.example")
    store.sources.sync([A, B])
    poll(store, A, rss(item("标题", guid="g1", body="旧正文")))
    # As schema 2 left it: a signature column, which this version neither writes nor reads.
    with store.db.conn:
        store.db.execute("ALTER TABLE entries ADD COLUMN signature TEXT")
        store.db.execute("UPDATE entries SET signature = 'old'")
        undo_schema_4(store)
        store.db.execute("UPDATE meta SET value = '2' WHERE key = 'schema'")
    store.close()
    store = Store(path, authority="hub.example")
    assert "signature" not in store.db["entries"].columns_dict
    # Schema 4: every node's archive starts at its first page, nothing stale yet.
    assert {r[0] for r in store.db.execute("SELECT first_page FROM nodes")} == {1}
    assert store.publishing.stale_nodes() == set()
    assert titles(store) == ["标题"]
    outcome = poll(store, A, rss(item("标题", guid="g1", body="新正文")),
                   NOW + timedelta(hours=1))
    assert (outcome.new, outcome.updated) == (0, 1)
    store.close()


def test_a_database_of_schema_3_calls_its_failing_sources_failing(tmp_path: Path) -> None:
    path = tmp_path / "three.sqlite"
    store = Store(path, authority="hub.example")
    store.sources.sync([A, B])
    failed = FetchResult(url=A.url, final_url=A.url, status=500, error="HTTP 500 from x")
    store.polls.record(polled(store, A, failed, NOW))
    # As schema 3 left it: a failing source's state was 'error'.
    with store.db.conn:
        store.db.execute("UPDATE sources SET state = 'error' WHERE id = ?", [A.id])
        undo_schema_4(store)
        store.db.execute("UPDATE meta SET value = '3' WHERE key = 'schema'")
    store.close()
    store = Store(path, authority="hub.example")
    assert store.sources.state(A.id).state == "failing"
    assert store.meta.facts().sources == {"new": 1, "ok": 0, "failing": 1, "gone": 0}
    assert {r.source_id: r.state for r in store.sources.status()} == {A.id: "failing", B.id: "new"}
    store.close()


def test_the_last_good_config_and_the_last_poll_and_publish_outlive_the_process(
        tmp_path: Path, store: Store) -> None:
    assert store.meta.good_config() is None
    assert (store.meta.facts().last_poll, store.meta.facts().last_publish) == (None, None)
    poll(store, A, rss(item("一", guid="k1")))
    store.meta.remember_config("config.yaml", "title: 旧\n", NOW)
    store.meta.remember_config("config.yaml", "title: 新\n", NOW + timedelta(minutes=5))
    store.meta.note_publish(NOW + timedelta(minutes=1))
    store.close()
    reopened = Store(tmp_path / "db.sqlite", authority="hub.example")
    good = reopened.meta.good_config()
    assert good is not None
    assert (good.file, good.text, good.loaded_at) == ("config.yaml", "title: 新\n",
                                                      NOW + timedelta(minutes=5))
    facts = reopened.meta.facts()
    assert facts.last_poll == NOW and facts.last_publish == NOW + timedelta(minutes=1)
    assert facts.earliest_due == NOW + timedelta(minutes=30)  # A's; B was never polled
    assert (facts.sources["ok"], facts.sources["new"], facts.entries) == (1, 1, 1)
    reopened.close()


def test_a_batch_command_may_give_sqlite_a_bigger_page_cache(tmp_path: Path) -> None:
    lean = Store(tmp_path / "db.sqlite")
    big = Store(tmp_path / "db.sqlite", cache_mib=64)
    try:
        assert big.db.execute("PRAGMA cache_size").fetchone()[0] == -64 * 1024
        # The daemon's default stays SQLite's own, whatever another connection asked for.
        assert lean.db.execute("PRAGMA cache_size").fetchone()[0] == -2000
    finally:
        lean.close()
        big.close()
