"""Publishing in process: what an incremental publish writes, how durably, and what it reads."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from stored import newest_entries

from conftest import write_config
from feedhub.config import Config, load_config
from feedhub.model import FetchResult, Polled, PollOutcome, Source
from feedhub.parse import parse_feed
from feedhub.paths import feed_file
from feedhub.publish import files
from feedhub.publish.build import changes_of, publish
from feedhub.store import Store, from_iso

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
PER_PAGE = 3
SOURCES = ("  科技:\n    甲: https://a.example/feed\n    乙: https://b.example/feed\n"
           "  新媒体:\n    丙: https://c.example/feed\n")


@pytest.fixture
def hub(tmp_path: Path) -> tuple[Config, Store]:
    config = load_config(write_config(tmp_path, SOURCES,
                                      extra=f"publish: {{entries: {PER_PAGE}}}\n"))
    store = Store.for_base_url(config.database, config.base_url)
    store.sync_sources(config.sources)
    return config, store


def poll(store: Store, source: Source, *titles: str, at: datetime = NOW) -> PollOutcome:
    """One poll of ``source`` whose feed holds an item per title, published at ``at``."""
    items = "".join(
        f"<item><guid>{title}</guid><title>{title}</title><link>https://x.example/{title}</link>"
        f"<description>&lt;p&gt;{title}&lt;/p&gt;</description>"
        f"<pubDate>{at.strftime('%a, %d %b %Y %H:%M:%S GMT')}</pubDate></item>"
        for title in titles)
    body = f"<rss version='2.0'><channel><title>t</title>{items}</channel></rss>".encode()
    parsed = parse_feed(body, source, source.url, {}, at)
    return store.record_poll(Polled(source, FetchResult(source.url, source.url, 200), None,
                                    len(body), parsed, None, at, at + timedelta(hours=1)))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def fill(config: Config, store: Store, polls: int) -> None:
    """``polls`` polls bringing one or two new entries each, each followed by its publish."""
    for i in range(polls):
        source = config.sources[i % len(config.sources)]
        titles = [f"条目{i}-{j}" for j in range(1 + i % 2)]
        publish(config, store, changes_of([poll(store, source, *titles,
                                                at=NOW + timedelta(minutes=i))]))


def test_incremental_publishes_write_exactly_what_a_full_build_writes(
        hub: tuple[Config, Store]) -> None:
    config, store = hub
    publish(config, store)
    fill(config, store, 12)
    incremental = snapshot(config.output)
    assert any(name.startswith("archive/") for name in incremental)  # pages filled meanwhile
    shutil.rmtree(config.output)
    publish(config, store)
    assert snapshot(config.output) == incremental


def test_renames_are_durable_replaced_gzip_siblings_first_and_pages_before_their_feed(
        hub: tuple[Config, Store], monkeypatch: pytest.MonkeyPatch) -> None:
    config, store = hub
    publish(config, store)
    fill(config, store, 4)
    existing = set(config.output.rglob("*.gz"))
    events: list[tuple[str, Path]] = []
    rename, sync = os.replace, files._fsync_dir

    def recording_rename(src: str | Path, dst: str | Path) -> None:
        rename(src, dst)
        events.append(("rename", Path(dst)))

    def recording_sync(folder: Path) -> None:
        sync(folder)
        events.append(("sync", folder))

    monkeypatch.setattr(os, "replace", recording_rename)
    monkeypatch.setattr(files, "_fsync_dir", recording_sync)
    report = publish(config, store, changes_of([poll(store, config.sources[0], "新的",
                                                     at=NOW + timedelta(days=1))]))

    renamed = [(i, path) for i, (kind, path) in enumerate(events) if kind == "rename"]
    assert {path for _, path in renamed} >= set(report.written)

    def synced_between(folder: Path, start: int, end: int) -> bool:
        return ("sync", folder) in events[start + 1:end]

    def index_of(path: Path) -> int:
        return next(j for j, p in renamed if p == path)

    for i, path in renamed:
        assert synced_between(path.parent, i, len(events)), f"{path} is not durable"
    # A sibling replacing an older one is durable before its file changes; a new one needs no
    # such care (if it is lost, the next publish sees it missing).
    replaced = [(i, path) for i, path in renamed if path in existing]
    assert any(path.name.endswith(".atom.gz") for _, path in replaced)
    for i, path in replaced:
        plain = index_of(path.with_suffix(""))
        assert plain > i and synced_between(path.parent, i, plain), path
    # A feed links its newest archive page: the page is durable before the feed changes.
    archive = config.output / "archive"
    pages = [(i, path) for i, path in renamed if archive in path.parents and path.suffix == ".atom"]
    assert pages
    for i, page in pages:
        feed = config.output / feed_file(page.parent.relative_to(archive).parts)
        assert synced_between(page.parent, i, index_of(feed)), page
    # One fsync of a folder serves every file renamed there before it.
    assert len(events) - len(renamed) < len(renamed)


def test_feed_entry_ids_are_the_newest_and_every_entry_from_a_sequence_number(
        hub: tuple[Config, Store]) -> None:
    config, store = hub
    source = config.sources[0]
    for i in range(7):
        poll(store, source, f"条目{i}", at=NOW + timedelta(minutes=i))
    by_seq = store.entry_ids_by_seq(source.path, 1, 2**62)  # newest first
    assert sorted(store.feed_entry_ids(source.path, 2, 7)) == sorted(by_seq[:2])
    assert sorted(store.feed_entry_ids(source.path, 2, 4)) == sorted(by_seq[:4])
    assert sorted(store.feed_entry_ids(source.path, 0, 1)) == sorted(by_seq)
    assert store.feed_entry_ids(("无此节点",), 2, 1) == []


def test_times_read_back_exactly_as_stored_before_and_after_1970(
        hub: tuple[Config, Store]) -> None:
    config, store = hub
    source = config.sources[0]
    # The older poll last: retention, measured from the poll's time, keeps the newer entry.
    for at in (NOW, datetime(1969, 7, 20, 20, 17, 40, tzinfo=UTC)):
        poll(store, source, f"条目{at.year}", at=at)
    stored = dict(store.db.execute("SELECT title, published FROM entries").fetchall())
    assert sorted(stored.values()) == ["1969-07-20T20:17:40Z", "2024-05-01T12:00:00Z"]
    entries = newest_entries(store, source.path, 10)
    assert {e.title: e.published for e in entries} == {
        title: from_iso(text) for title, text in stored.items()}
    assert all(e.published.tzinfo is UTC and e.updated.tzinfo is UTC for e in entries)
    (newest,) = store.db.execute("SELECT newest FROM nodes WHERE node=?",
                                 ["/".join(source.path)]).fetchone()
    assert store.node_stats()["/".join(source.path)][1] == from_iso(newest)
