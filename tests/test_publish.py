"""Publishing in process: what an incremental publish writes, how durably, and what it reads."""

from __future__ import annotations

import dataclasses
import gzip
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from stored import newest_entries, polled

from conftest import write_config
from feedhub.config import Config, load_config
from feedhub.model import FetchResult, PollOutcome, Source, path_str
from feedhub.parse import parse_feed
from feedhub.paths import feed_file
from feedhub.publish import entry_cache, feed_pool, files, index, opml
from feedhub.publish.atom import FeedInfo
from feedhub.publish.build import Listing, archive_file, feed_info, output_bytes, publish
from feedhub.publish.entry_cache import EntryCache
from feedhub.publish.plan import Changes, changes_of
from feedhub.publish.writer import gzipped
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
    store.sources.sync(config.sources)
    return config, store


@pytest.fixture
def gzip_hub(tmp_path: Path) -> tuple[Config, Store]:
    """A hub that keeps gzip siblings of its feeds and listing files, for a front server."""
    config = load_config(write_config(
        tmp_path, SOURCES, extra=f"publish: {{entries: {PER_PAGE}, gzip: true}}\n"))
    store = Store.for_base_url(config.database, config.base_url)
    store.sources.sync(config.sources)
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
    return store.polls.record(polled(store, source, FetchResult(source.url, source.url, 200), at,
                                    parsed, len(body)))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def unzipped(files: dict[str, bytes]) -> dict[str, bytes]:
    """``files`` (a :func:`snapshot`) with each gzip file's content in place of its bytes."""
    return {name: gzip.decompress(data) if name.endswith(".gz") else data
            for name, data in files.items()}


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


@pytest.fixture
def rendered_here(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Path]:
    """Every publish hands feeds to one worker process, however few; returns the files that
    this process rendered itself, as they are rendered."""
    rendered_here: list[Path] = []
    documents, page = feed_pool.feed_documents, feed_pool.page_document

    def recording(job: feed_pool.FeedJob, *args: Any) -> list[tuple[Path, bytes]]:
        rendered_here.extend(target for _, target in job.targets)
        return documents(job, *args)

    def recording_page(info: FeedInfo, *args: Any) -> bytes:
        relative = unquote(urlsplit(info.self_url).path).lstrip("/")
        rendered_here.append(tmp_path / "data/public" / f"{relative}.gz")
        return page(info, *args)

    monkeypatch.setattr(feed_pool, "pool_workers", lambda feeds: 1)
    monkeypatch.setattr(feed_pool, "feed_documents", recording)
    monkeypatch.setattr(feed_pool, "page_document", recording_page)
    return rendered_here


@pytest.mark.parametrize(("options", "handed"), [
    # A source's node goes whole, its pages first; a node above keeps its pages and Atom
    # document here, where the entries of its sources meet.
    (f"entries: {PER_PAGE}", {"atom", "rss", "json", "gz"}),
    ("entries: 50, gzip: true", {"atom", "rss", "json"}),  # no pages: whole feeds go
])
def test_feeds_written_by_worker_processes_are_the_bytes_rendered_here(
        tmp_path: Path, rendered_here: list[Path], options: str, handed: set[str]) -> None:
    config = load_config(write_config(tmp_path, SOURCES, extra=f"publish: {{{options}}}\n"))
    store = Store.for_base_url(config.database, config.base_url)
    store.sources.sync(config.sources)
    publish(config, store)
    fill(config, store, 12)
    pooled = snapshot(config.output)
    documents = {name for name in pooled if name.endswith((".atom", ".rss", ".json", ".atom.gz"))
                 and (name.startswith("archive/") or not name.endswith(".gz"))}
    here = {str(p.relative_to(config.output)) for p in rendered_here}
    by_workers = documents - here
    assert {name.rsplit(".", 1)[1] for name in by_workers} >= handed
    if "gz" in handed:
        # Archive pages were written by workers and here, and those of the nodes above the
        # sources only here.
        sources = {str(archive_file(source.path, 1).parent) for source in config.sources}
        assert {name for name in here if name.startswith("archive/")} - sources
        assert all(str(Path(name).parent) in sources for name in by_workers
                   if name.startswith("archive/"))
    shutil.rmtree(config.output)
    with pytest.MonkeyPatch.context() as alone:
        alone.setattr(feed_pool, "pool_workers", lambda feeds: 0)
        publish(config, store)
    # The gzip siblings by what they hold: once, in CI, a sibling a worker wrote differed
    # from the one written here in its deflate stream alone (same CRC-32 and length; the
    # cause is not found). The plain files compare byte for byte.
    assert unzipped(snapshot(config.output)) == unzipped(pooled)


def test_entries_a_worker_rendered_are_not_rendered_again_for_the_nodes_above(
        hub: tuple[Config, Store], rendered_here: list[Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    config, store = hub
    fill(config, store, 12)
    shutil.rmtree(config.output)
    render, here = entry_cache.render_entries, []

    def recording(entries: list[Any], *args: Any) -> list[bytes]:
        here.extend(e.rowid for e in entries)
        return render(entries, *args)

    monkeypatch.setattr(entry_cache, "render_entries", recording)
    rendered_here.clear()
    publish(config, store)
    handed = [s for s in config.sources
              if config.output / feed_file(s.path) not in rendered_here]
    assert handed  # the first source is handed over: the worker has room
    # Their entries stand on the pages and in the feeds of the nodes above, all rendered here.
    for source in handed:
        assert not set(here) & set(store.publishing.newest_entry_ids(source.path, 10**4))


def test_a_dead_worker_loses_no_file(hub: tuple[Config, Store], rendered_here: list[Path],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    config, store = hub
    fill(config, store, 6)
    starting = feed_pool.FeedPool.__init__
    killed: list[int] = []

    def dying(pool: feed_pool.FeedPool, *args: Any) -> None:
        starting(pool, *args)
        # As the kernel's OOM killer would: the pool then breaks.
        killed.append(pool._pool.submit(os.getpid).result())
        os.kill(killed[-1], signal.SIGKILL)

    monkeypatch.setattr(feed_pool.FeedPool, "__init__", dying)
    shutil.rmtree(config.output)
    report = publish(config, store)
    assert killed
    built = snapshot(config.output)
    assert {str(p.relative_to(config.output)) for p in report.written} == set(built)
    shutil.rmtree(config.output)
    monkeypatch.setattr(feed_pool, "pool_workers", lambda feeds: 0)
    publish(config, store)
    assert snapshot(config.output) == built


def test_pages_a_dead_worker_renamed_are_durable_before_the_feed_linking_them_is(
        hub: tuple[Config, Store], monkeypatch: pytest.MonkeyPatch) -> None:
    config, store = hub
    fill(config, store, 6)
    source = config.sources[0]
    node = next(n for n in config.nodes if n.path == source.path)
    info = feed_info(config, node, store.publishing.first_published())
    ids = tuple(store.publishing.newest_entry_ids(source.path, 50))
    page, feed = config.output / "页" / "1.atom", config.output / "页.atom"
    job = feed_pool.FeedJob(info, ids, (("atom", feed),),
                            pages=(feed_pool.PageJob(info, ids, page, True),))
    # As a worker that renamed the page, then died before it made it durable and wrote the
    # feed: written again, the page is found unchanged.
    feed_pool.write_feeds([job], store.publishing.entries_by_id, "plain")
    feed.unlink()
    events: list[tuple[str, Path]] = []
    rename, sync = os.replace, files._fsync_dir
    monkeypatch.setattr(os, "replace", lambda src, dst: (rename(src, dst),
                                                         events.append(("rename", Path(dst)))))
    monkeypatch.setattr(files, "_fsync_dir", lambda folder: (sync(folder),
                                                             events.append(("sync", folder))))
    received: list[feed_pool.Served] = []
    with feed_pool.FeedPool(1, store.path, "plain", store.publishing.entries_by_id,
                            received.append, EntryCache(config.title, config.base_url)) as pool:
        os.kill(pool._pool.submit(os.getpid).result(), signal.SIGKILL)
        pool.submit(job)
    assert feed.is_file()
    assert events.index(("sync", page.parent)) < events.index(("rename", feed))
    assert gzipped(page) in received[0].written  # counted as written: it may be new


def test_a_worker_that_cannot_write_fails_the_publish_naming_the_file(
        hub: tuple[Config, Store], rendered_here: list[Path]) -> None:
    config, store = hub
    publish(config, store)
    fill(config, store, 2)
    blocked = config.output / feed_file(config.sources[2].path, "json")
    blocked.unlink()
    blocked.mkdir()  # a folder where the file goes: renaming onto it fails
    with pytest.raises(OSError, match=str(blocked.name)):
        publish(config, store)
    assert blocked not in rendered_here  # a worker's failure, not this process's
    assert (config.output / feed_file(config.sources[0].path, "json")).is_file()


def test_a_batch_of_the_largest_feeds_is_read_within_sqlites_limits(
        hub: tuple[Config, Store]) -> None:
    # Four feeds of 10,000 entries each: 40,000 ids, more than one statement may bind where
    # SQLite is built with its default limit (some distributions raise it).
    config, store = hub
    store.db.conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 32766)
    undated = store.publishing.first_published()
    jobs = [feed_pool.FeedJob(feed_info(config, node, undated),
                              tuple(range(k * 10_000, (k + 1) * 10_000)),
                              (("json", config.output / f"{k}.json"),))
            for k, node in enumerate(config.nodes[:feed_pool.BATCH])]
    served = feed_pool.write_feeds(jobs, store.publishing.entries_by_id, "plain").served
    assert sorted(served.written) == sorted(target for job in jobs for _, target in job.targets)


def test_a_small_publish_starts_no_process_and_a_large_one_leaves_a_core_free() -> None:
    assert feed_pool.pool_workers(feed_pool.POOL_FEEDS - 1) == 0
    cores = len(os.sched_getaffinity(0))
    assert feed_pool.pool_workers(feed_pool.POOL_FEEDS) == min(4, cores - 1)


def test_renames_are_durable_replaced_gzip_siblings_first_and_pages_before_their_feed(
        gzip_hub: tuple[Config, Store], monkeypatch: pytest.MonkeyPatch) -> None:
    config, store = gzip_hub
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
    archive = config.output / "archive"
    replaced = [(i, path) for i, path in renamed
                if path in existing and archive not in path.parents]
    assert any(path.name.endswith(".atom.gz") for _, path in replaced)
    for i, path in replaced:
        plain = index_of(path.with_suffix(""))
        assert plain > i and synced_between(path.parent, i, plain), path
    # A feed links its newest archive page (kept in gzip form only): the page is durable
    # before the feed changes.
    pages = [(i, path) for i, path in renamed if archive in path.parents]
    assert all(path.name.endswith(".atom.gz") for _, path in pages)
    assert pages
    for i, page in pages:
        feed = config.output / feed_file(page.parent.relative_to(archive).parts)
        assert synced_between(page.parent, i, index_of(feed)), page
    # One fsync of a folder serves every file renamed there before it.
    assert len(events) - len(renamed) < len(renamed)


def test_a_subscription_document_holds_the_entries_that_joined_last(
        hub: tuple[Config, Store]) -> None:
    config, store = hub
    source = config.sources[0]
    # Arrival order, not publication date: a late entry with an old date still reaches
    # subscribers (RFC 5005 4: "the most recently added or changed entries").
    for i in range(7):
        poll(store, source, f"条目{i}", at=NOW - timedelta(days=i))
    by_seq = store.publishing.entry_ids_by_seq(source.path, 1, 2**62)  # last joined first
    assert store.publishing.newest_entry_ids(source.path, 2) == by_seq[:2]
    assert store.publishing.newest_entry_ids(source.path, 50) == by_seq
    assert store.publishing.newest_entry_ids(("无此节点",), 2) == []


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
    assert store.publishing.node_stats()["/".join(source.path)][1] == from_iso(newest)


# --- the files listing the feeds ------------------------------------------------------------

LISTING_FILES = ("opml.xml", "sources.opml", "index.html")


def stamps(folder: Path) -> dict[str, tuple[int, int]]:
    """Inode and modification time of each listing file and its gzip sibling."""
    return {name: (st.st_ino, st.st_mtime_ns)
            for name in (*LISTING_FILES, *(f"{n}.gz" for n in LISTING_FILES))
            for st in [(folder / name).stat()]}


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the listing renderers called, in order."""
    called: list[str] = []
    for module, name in ((opml, "render_feeds_opml"), (opml, "render_sources_opml"),
                         (index, "render_index")):
        real = getattr(module, name)

        def recording(*args: object, _real: Callable[..., bytes] = real, _name: str = name,
                      **kwargs: object) -> bytes:
            called.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, name, recording)
    return called


def test_a_listing_renders_the_listing_files_only_when_what_they_show_changed(
        gzip_hub: tuple[Config, Store], renders: list[str]) -> None:
    config, store = gzip_hub
    listing = Listing()
    publish(config, store, listing=listing)
    assert renders == ["render_feeds_opml", "render_sources_opml", "render_index"]
    written = snapshot(config.output)
    before = stamps(config.output)
    # A feed to write, but no count, date, site or tree changed: nothing listed is rendered.
    renders.clear()
    node = Changes(nodes=frozenset({path_str(config.sources[0].path)}))
    report = publish(config, store, node, listing)
    assert renders == [] and stamps(config.output) == before
    assert report.unchanged >= len(LISTING_FILES)
    assert not {p.name for p in report.written} & set(LISTING_FILES)
    # Without a listing every publish renders them, and finds their bytes in place.
    publish(config, store, node)
    assert renders == ["render_feeds_opml", "render_sources_opml", "render_index"]
    assert stamps(config.output) == before
    # A new entry changes counts and dates on index.html; the tree, and so the OPML, stay.
    renders.clear()
    publish(config, store, changes_of([poll(store, config.sources[0], "新的")]), listing)
    assert renders == ["render_index"]
    after = snapshot(config.output)
    assert after["index.html"] != written["index.html"]
    assert {n: after[n] for n in LISTING_FILES[:2]} == {n: written[n] for n in LISTING_FILES[:2]}
    # What it renders is what a publish without a listing writes.
    shutil.rmtree(config.output)
    publish(config, store)
    assert {n: snapshot(config.output)[n] for n in LISTING_FILES} == {
        n: after[n] for n in LISTING_FILES}


def test_a_listing_renders_again_a_listing_file_changed_or_removed_on_disk(
        gzip_hub: tuple[Config, Store], renders: list[str]) -> None:
    config, store = gzip_hub
    listing = Listing()
    publish(config, store, listing=listing)
    written = snapshot(config.output)
    node = Changes(nodes=frozenset({path_str(config.sources[0].path)}))
    (config.output / "index.html.gz").unlink()
    (config.output / "opml.xml").write_bytes(b"<opml/>")
    renders.clear()
    publish(config, store, node, listing)
    assert renders == ["render_feeds_opml", "render_index"]
    assert snapshot(config.output) == written
    # Another title changes every file.
    renders.clear()
    publish(dataclasses.replace(config, title="另一个"), store, node, listing)
    assert renders == ["render_feeds_opml", "render_sources_opml", "render_index"]


def test_a_full_build_removes_what_the_tree_and_the_formats_no_longer_have(
        hub: tuple[Config, Store]) -> None:
    config, store = hub
    publish(config, store)
    fill(config, store, 8)
    out = config.output
    assert (out / "archive" / "科技" / "甲" / "1.atom.gz").is_file()
    strays = ["feeds/旧/站.atom", "feeds/旧/站.atom.gz", "feeds/科技/甲.txt", "feeds/旧.rss",
              "archive/旧/1.atom", "archive/旧/深/2.atom.gz", "all.json", "all.json.gz"]
    # Siblings no longer wanted and archive pages in the plain form of earlier versions.
    old_forms = ["feeds/科技/甲.atom.gz", "archive/科技/甲/1.atom", "all.atom.gz",
                 "index.html.gz"]
    kept = ["feeds/.hidden", "feeds/科技/.甲.atom.1.tmp", "archive/科技/甲/notes.txt"]
    for name in strays + old_forms + kept:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(b"x")
    atom_only = dataclasses.replace(
        config, publish=config.publish.model_copy(update={"formats": ("atom",)}))
    report = publish(atom_only, store)
    left = set(snapshot(out))
    assert not left & set(strays + old_forms)
    assert set(kept) <= left
    assert not [name for name in left if name.endswith((".rss", ".rss.gz", ".json", ".json.gz"))]
    assert {str(p.relative_to(out)) for p in report.deleted} >= set(strays)
    assert (out / "archive" / "科技" / "甲" / "1.atom.gz").is_file()
    assert (out / "feeds" / "科技" / "甲.atom").is_file()
    # Folders left empty go; the tops stay.
    assert not (out / "feeds" / "旧").exists() and not (out / "archive" / "旧").exists()
    assert (out / "feeds").is_dir() and (out / "archive").is_dir()


def test_a_publish_with_nothing_to_write_imports_no_renderer(hub: tuple[Config, Store]) -> None:
    # Importing them is about a twentieth of a warm re-poll of 500 feeds, start-up included.
    config, store = hub
    publish(config, store)
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "import feedhub.cli\n"
        "from feedhub.config import load_config\n"
        "from feedhub.publish.build import publish\n"
        "from feedhub.publish.plan import Changes\n"
        "from feedhub.store import Store\n"
        "config = load_config(Path(sys.argv[1]))\n"
        "report = publish(config, Store.for_base_url(config.database, config.base_url),\n"
        "                 Changes())\n"
        "assert not report.written, report.written\n"
        "print(' '.join(m for m in sys.modules if m.startswith('feedhub.publish.')))\n")
    found = subprocess.run([sys.executable, "-c", script, str(config.file)], check=True,
                           capture_output=True, text=True).stdout.split()
    assert set(found) == {"feedhub.publish.build", "feedhub.publish.archive",
                          "feedhub.publish.files", "feedhub.publish.plan",
                          "feedhub.publish.writer"}


def archive_walk(config: Config, node: tuple[str, ...]) -> list[list[str]]:
    """The entry ids of each document met following prev-archive links from the node's Atom
    feed, as an RFC 5005 reader does (pages are kept in gzip form)."""
    from lxml import etree
    atom = "{http://www.w3.org/2005/Atom}"
    path = config.output / feed_file(node)
    documents: list[list[str]] = []
    while True:
        data = path.read_bytes()
        root = etree.fromstring(gzip.decompress(data) if path.suffix == ".gz" else data)
        documents.append([e.findtext(f"{atom}id") for e in root.findall(f"{atom}entry")])
        prev = [lk.get("href") for lk in root.findall(f"{atom}link")
                if lk.get("rel") == "prev-archive"]
        if not prev:
            return documents
        path = config.output / unquote(prev[0].removeprefix(config.base_url))
        path = path.with_name(path.name + ".gz")
        assert path.is_file(), f"{prev[0]} is linked but missing"


def node_atom_ids(store: Store, node: str) -> set[str]:
    return {r[0] for r in store.db.execute(
        "SELECT e.atom_id FROM entries e JOIN entry_nodes n ON n.entry_id = e.id "
        "WHERE n.node = ?", [node])}


def test_retention_empties_and_rewrites_the_archive_pages_it_touches(tmp_path: Path) -> None:
    sources = ("  科技:\n    甲: {url: https://a.example/feed, retention: {max_entries: 4}}\n"
               "    乙: https://b.example/feed\n")
    config = load_config(write_config(tmp_path, sources,
                                      extra=f"publish: {{entries: {PER_PAGE}}}\n"))
    store = Store.for_base_url(config.database, config.base_url)
    store.sources.sync(config.sources)
    first, second = config.sources
    for i in range(8):
        # Each poll's feed holds only its own two entries: older ones may expire.
        publish(config, store, changes_of([
            poll(store, first, f"甲{i}a", f"甲{i}b", at=NOW + timedelta(hours=i)),
            poll(store, second, f"乙{i}", at=NOW + timedelta(hours=i))]))
    incremental = snapshot(config.output)
    for node in (first.path, ("科技",), ()):
        documents = archive_walk(config, node)
        reached = {i for document in documents for i in document}
        # Nothing retention deleted is left in the archive, and every stored entry is in it.
        assert reached == node_atom_ids(store, path_str(node)), node
    # 甲 keeps 4 of its 16 entries: its oldest pages went, and its archive now starts later.
    state = store.publishing.archive_state(first.path)
    assert state.first_page > 1 and not state.stale_seqs
    assert not (config.output / "archive" / "科技" / "甲" / "1.atom.gz").exists()
    # What the polls left on disk is what a full build writes from the database.
    shutil.rmtree(config.output)
    publish(config, store)
    assert snapshot(config.output) == incremental


def test_max_bytes_bounds_the_output_by_dropping_the_oldest_archive_pages(
        tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, SOURCES,
                                      extra=f"publish: {{entries: {PER_PAGE}}}\n"))
    store = Store.for_base_url(config.database, config.base_url)
    store.sources.sync(config.sources)
    publish(config, store)
    fill(config, store, 12)
    budget = output_bytes(config.output) + 2000
    bounded = dataclasses.replace(
        config, publish=config.publish.model_copy(update={"max_bytes": budget}))
    deleted: list[Path] = []
    for i in range(12, 40):
        source = config.sources[i % len(config.sources)]
        report = publish(bounded, store, changes_of([poll(store, source, f"条目{i}",
                                                          at=NOW + timedelta(minutes=i))]))
        assert output_bytes(config.output) <= budget, i
        deleted += report.deleted
    assert any(p.name.endswith(".atom.gz") for p in deleted)
    assert store.publishing.archive_state(()).first_page > 1
    for node in config.nodes:
        documents = archive_walk(bounded, node.path)  # every link still resolves
        # The subscription documents are whole: only the archive starts later.
        assert len(documents[0]) == min(PER_PAGE, len(node_atom_ids(store, path_str(node.path))))


@pytest.mark.parametrize(("mode", "archived"), [("routes", {"科技/甲", "科技/乙", "新媒体/丙"}),
                                                ("none", set())])
def test_publish_archive_chooses_the_nodes_that_keep_pages(
        hub: tuple[Config, Store], mode: str, archived: set[str]) -> None:
    config, store = hub
    publish(config, store)
    fill(config, store, 12)
    assert (config.output / "archive" / "1.atom.gz").is_file()  # "all", the default
    chosen = dataclasses.replace(
        config, publish=config.publish.model_copy(update={"archive": mode}))
    publish(chosen, store)
    folders = {str(p.parent.relative_to(config.output / "archive"))
               for p in (config.output / "archive").rglob("*.atom.gz")}
    assert folders == archived
    for node in config.nodes:
        linked = len(archive_walk(chosen, node.path)) > 1
        assert linked == (path_str(node.path) in archived), node.path
