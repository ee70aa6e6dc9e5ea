"""Which outputs to write after a poll or a rebuild, and writing them.

Everything here is derived from the store. A full build (``changes=None``) renders every output;
after a poll only the feeds of the nodes whose entries changed, their new archive pages and the
posts of the changed entries are rendered. A file that already holds its bytes is never
rewritten, and a :class:`Listing` lets a long-running publisher skip rendering the files that
list the feeds when what they show has not changed. Served files are written by
``publish.writer`` on worker threads while the next are rendered.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import time
import zoneinfo
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from feedhub.config import Config
from feedhub.model import (
    ArchiveState,
    FeedNode,
    NodePath,
    RecentEntry,
    Source,
    from_iso,
    path_str,
)
from feedhub.paths import feed_file, feed_title, safe_segment, url_for
from feedhub.publish.archive import carries_bodies, has_archive, seq_range
from feedhub.publish.files import output_bytes, sync_folders, write_if_changed
from feedhub.publish.plan import (
    Changes,
    Feed,
    NodeFacts,
    NodePlan,
    Page,
    in_writing_order,
    nodes_to_publish,
    pages_to_trim,
    plan_node,
)
from feedhub.publish.writer import Form, Served, Writer, gzipped
from feedhub.states import NEW
from feedhub.store import Store

# The renderers are imported where they are used: a `poll` run from cron that finds nothing
# new renders nothing, and importing them (lxml, feedgen, ruamel.yaml) took a twentieth of its
# run.
if TYPE_CHECKING:
    from feedhub.publish.atom import FeedInfo
    from feedhub.publish.entry_cache import EntryCache
    from feedhub.publish.feed_pool import FeedJob, FeedPool
    from feedhub.publish.index import NodeLines, SourceHealth

log = logging.getLogger(__name__)

RECENT_TITLES = 3  # the newest titles the index page lists under each node

# A file's identity on disk: inode, size and modification time; None when it is missing.
_Stamp = tuple[int, int, int] | None


class Listing:
    """What opml.xml, sources.opml and index.html were last written from, for a publisher
    that publishes again and again (the daemon).

    On a large tree, rendering these files takes most of a small publish, yet they change
    seldom: the OPML files only with the config, index.html also with a node's count, newest
    date or site (and then only the lines of the nodes that changed are rendered again, the
    others taken from the last page). A file is skipped while what it is rendered from is
    equal and neither it nor its gzip sibling has changed on disk since: it then holds the
    bytes rendering would give.
    """

    def __init__(self) -> None:
        from feedhub.publish.index import NodeLines

        self._written: dict[Path, tuple[object, tuple[_Stamp, _Stamp]]] = {}
        # The index page's day and week counts and newest titles per node, read for the hour
        # in ``activity_hour``: only the nodes a publish changed are read again.
        self.activity: dict[str, tuple[tuple[int, int], tuple[RecentEntry, ...]]] = {}
        self.activity_hour: datetime | None = None
        self.node_lines: NodeLines = NodeLines()  # the index page's node lines, kept to be reused
        self._places: tuple[object, str, TreePlaces] | None = None

    def places(self, config: Config) -> TreePlaces:
        """Where every node's Atom feed is, worked out once per tree (see :func:`places_of`)."""
        known = self._places
        # The tree is compared by identity: an unchanged config keeps the very same object.
        if known is None or known[0] is not config.tree or known[1] != config.base_url:
            known = self._places = (config.tree, config.base_url, places_of(config))
        return known[2]

    def current(self, target: Path, source: object) -> bool:
        """True when ``target`` was written from ``source`` and is as it was left."""
        known = self._written.get(target)
        return known is not None and known[0] == source and known[1] == _stamps(target)

    def note(self, target: Path, source: object) -> None:
        """Remember that ``target``, as it is now, holds what ``source`` renders to."""
        self._written[target] = (source, _stamps(target))


@dataclass(frozen=True, slots=True)
class TreePlaces:
    """Every node's Atom feed file, relative to the output folder, and its public URL."""

    files: dict[NodePath, PurePosixPath]
    urls: dict[NodePath, str]


def places_of(config: Config) -> TreePlaces:
    """Where every node's Atom feed is. The check for missing feeds, opml.xml and index.html
    all need it, and on a large tree building it is a good part of a small publish."""
    files = {node.path: feed_file(node.path) for node in config.nodes}
    return TreePlaces(files, {path: url_for(config.base_url, relative)
                              for path, relative in files.items()})


def _stamps(target: Path) -> tuple[_Stamp, _Stamp]:
    return _stamp(target), _stamp(gzipped(target))


def _stamp(path: Path) -> _Stamp:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


@dataclass
class PublishReport:
    """What a publish run wrote."""

    written: list[Path] = field(default_factory=list)
    deleted: list[Path] = field(default_factory=list)
    unchanged: int = 0
    elapsed_ms: int = 0
    changed_feeds: list[str] = field(default_factory=list)  # URLs, for WebSub
    # Folders whose renames are not durable yet: one fsync each serves many files.
    unsynced: set[Path] = field(default_factory=set)

    def note(self, target: Path, data: bytes) -> bool:
        """Write ``data`` to ``target`` unless unchanged; True when written."""
        if write_if_changed(target, data, self.unsynced):
            self.written.append(target)
            return True
        self.unchanged += 1
        return False

    def receive(self, served: Served) -> None:
        """Add what a batch of served files did (see :mod:`feedhub.publish.writer`)."""
        self.written += served.written
        self.unchanged += served.unchanged
        self.unsynced |= served.unsynced

    def sync(self) -> None:
        """Make every rename so far durable."""
        sync_folders(self.unsynced)


def archive_file(path: NodePath, page: int) -> PurePosixPath:
    """RFC 5005 archive page ``page`` (from 1, oldest first) of a node's merged feed."""
    return PurePosixPath("archive", *(safe_segment(name) for name in path), f"{page}.atom")


def feed_info(config: Config, node: FeedNode, undated: datetime,
              newest_page: int | None = None) -> FeedInfo:
    """The identity and links of a node's subscription feed; ``newest_page`` is its newest
    archive page, if it has one. ``undated`` is its date while no entry gives one."""
    from feedhub.publish.atom import FeedInfo

    links: list[tuple[str, str]] = []
    if newest_page is not None:
        links.append(("prev-archive", url_for(config.base_url,
                                              archive_file(node.path, newest_page))))
    if config.publish.websub_hub:
        links.append(("hub", config.publish.websub_hub))
    return FeedInfo(
        node=node.path,
        title=feed_title(config.title, node.path),
        self_url=url_for(config.base_url, feed_file(node.path)),
        alternate_url=config.base_url,
        hub_title=config.title,
        base_url=config.base_url,
        undated=undated,
        links=tuple(links),
    )


def _archive_info(config: Config, node: FeedNode, page: int, first_page: int,
                  undated: datetime) -> FeedInfo:
    from feedhub.publish.atom import FeedInfo

    links = [("current", url_for(config.base_url, feed_file(node.path)))]
    if page > first_page:
        links.append(("prev-archive", url_for(config.base_url, archive_file(node.path, page - 1))))
    return FeedInfo(
        node=node.path,
        title=f"{feed_title(config.title, node.path)} ({page})",
        self_url=url_for(config.base_url, archive_file(node.path, page)),
        alternate_url=config.base_url,
        hub_title=config.title,
        base_url=config.base_url,
        undated=undated,
        links=tuple(links),
        is_archive=True,
    )


def publish(config: Config, store: Store, changes: Changes | None = None,
            listing: Listing | None = None,
            progress: Callable[[int, int], None] | None = None) -> PublishReport:
    """Write what ``changes`` affects, or everything when it is None. ``listing``, kept from
    one publish to the next, spares rendering the files that list the feeds while they are
    current. With ``publish.max_bytes`` set, the oldest archive pages then go until the
    output fits. ``progress`` is told of each feed document and archive page rendered."""
    started = time.monotonic()
    report = PublishReport()
    try:
        _publish(config, store, changes, listing, report, progress)
        if config.publish.max_bytes:
            trimmed = _trim(config, store, report)
            if trimmed:
                _publish(config, store, Changes(nodes=frozenset(trimmed)), listing, report)
    finally:
        report.sync()
    store.meta.note_publish(datetime.now(UTC))  # /healthz reads it, across restarts
    report.elapsed_ms = int((time.monotonic() - started) * 1000)
    return report


def _publish(config: Config, store: Store, changes: Changes | None, listing: Listing | None,
             report: PublishReport,
             progress: Callable[[int, int], None] | None = None) -> None:
    places = listing.places(config) if listing is not None else places_of(config)
    atom_files = places.files
    stale = store.publishing.stale_nodes() if changes is not None else set()
    chosen = nodes_to_publish(config.nodes, changes, stale,
                              lambda path: (config.output / atom_files[path]).exists())
    archived: list[tuple[NodePath, ArchiveState]] = []
    feed_urls: dict[Path, str] = {}
    if chosen or (changes is not None and changes.directory):  # every node, for a full build
        with Writer(report.receive) as writer:
            if chosen:
                archived, feed_urls = _publish_nodes(config, store, chosen, changes is None,
                                                     report, writer, progress)
            rendered = _publish_directory(
                config, store, writer, places.urls, listing, report,
                None if changes is None else {path_str(n.path) for n in chosen})
        # Only now: a failed write leaves its file to be rendered again.
        if listing is not None:
            for target, source in rendered:
                listing.note(target, source)
    # The pages are durable before the database says they are written.
    report.sync()
    for path, state in archived:
        store.publishing.set_archive_state(path, state)
    # In writing order: which process wrote a file varies from run to run.
    written = set(report.written)
    report.changed_feeds += [url for target, url in feed_urls.items() if target in written]
    if changes is None:
        _remove_strays(config, report)
    if config.posts is not None:
        renaming = store.meta.posts_to_rename()
        ids = (store.publishing.all_entry_ids() if changes is None or renaming
               else sorted(changes.entries))
        if ids:
            _publish_posts(config.posts, store, ids, report, renaming)
        if renaming:
            report.sync()
            store.meta.posts_renamed()
        for relative in () if changes is None else changes.removed_posts:
            _delete_post(config.posts, relative, report)


def _publish_nodes(config: Config, store: Store, nodes: list[FeedNode], every_page: bool,
                   report: PublishReport, writer: Writer,
                   progress: Callable[[int, int], None] | None = None,
                   ) -> tuple[list[tuple[NodePath, ArchiveState]], dict[Path, str]]:
    """Hand the archive pages and subscription feeds of ``nodes`` to ``writer``, or a
    source's node whole to a worker process (``publish.feed_pool``). Returns the archive
    bookkeeping, for the database once the pages are durable, and the URL of each feed file.

    The documents come in :func:`~feedhub.publish.plan.in_writing_order`; those of the nodes
    above the sources wait, in that order, while a worker has yet to send back entries they
    show.
    """
    from feedhub.publish.entry_cache import EntryCache
    from feedhub.publish.feed_pool import FeedPool, pool_workers

    undated = store.publishing.first_published()
    plans = [_plan_node(config, store, node, rank, every_page, report)
             for rank, node in enumerate(nodes)]
    archived = [(node.path, plan.state) for node, plan in zip(nodes, plans, strict=True)]
    documents = in_writing_order(plans)
    shared = EntryCache(config.title, config.base_url)
    form: Form = "both" if config.publish.gzip else "plain"
    # Workers read the entries over their own connection, so only what is committed.
    workers = (0 if store.db.conn.in_transaction
               else pool_workers(sum(isinstance(item, Feed) for item in documents)))
    here = _Here(config, store, undated, shared, writer, form)
    with (FeedPool(workers, store.path, form, store.publishing.entries_by_id, report.receive,
                   shared) if workers else contextlib.nullcontext()) as pool:
        handed = _Handed(config, undated, documents, pool) if pool is not None else None
        waiting: deque[Page | Feed] = deque()
        for done, item in enumerate(documents, 1):
            if handed is not None and item.node.source is None:
                handed.hand_sources_of(item.ids)
            if handed is not None and handed.take(item):
                pass
            elif pool is not None and item.node.source is None and (
                    waiting or pool.owes(item.ids)):
                waiting.append(item)
            else:
                here.write(item, pool)
            while waiting and pool is not None and not pool.owes(waiting[0].ids):
                here.write(waiting.popleft(), pool)
            if progress is not None:
                progress(done, len(documents))
        while waiting and pool is not None:
            pool.wait_for(waiting[0].ids)
            here.write(waiting.popleft(), pool)
    # In the order of the documents: which process wrote a feed varies from run to run.
    return archived, {config.output / relative: url_for(config.base_url, relative)
                      for item in documents if isinstance(item, Feed)
                      for relative in _feed_files(config, item.node.path).values()}


class _Here:
    """The documents the publishing process renders, handed to its writer threads."""

    def __init__(self, config: Config, store: Store, undated: datetime, shared: EntryCache,
                 writer: Writer, form: Form) -> None:
        self.config, self.store, self.undated = config, store, undated
        self.shared, self.writer, self.form = shared, writer, form
        self.pages: dict[NodePath, list[Future[Served]]] = {}

    def write(self, item: Page | Feed, pool: FeedPool | None) -> None:
        """Render ``item`` (or hand its documents that link no page to ``pool``)."""
        from feedhub.publish.feed_pool import page_document

        config = self.config
        if isinstance(item, Page):
            target = config.output / archive_file(item.node.path, item.number)
            page = page_document(
                _archive_info(config, item.node, item.number, item.first_page, self.undated),
                item.ids, self.shared, self.store.publishing.entries_by_id,
                carries_bodies(item.node))
            self.pages.setdefault(item.node.path, []).append(
                self.writer.submit([(target, page)], form="gzip"))
        else:
            info = feed_info(config, item.node, self.undated, item.newest_page)
            _publish_feed(config, self.store, item, info, self.shared, self.writer, self.form,
                          self.pages.pop(item.node.path, []), pool)


class _Handed:
    """The sources' nodes handed whole to worker processes."""

    def __init__(self, config: Config, undated: datetime, documents: list[Page | Feed],
                 pool: FeedPool) -> None:
        self.config, self.undated, self.pool = config, undated, pool
        self.of_node: dict[NodePath, list[Page | Feed]] = {}
        for item in documents:
            self.of_node.setdefault(item.node.path, []).append(item)
        # What the nodes above the sources show, which a worker sends back once rendered:
        # the entries of their feeds whole, those of their archive pages without bodies.
        self.full = {i for item in documents if isinstance(item, Feed)
                     and item.node.source is None for i in item.ids}
        self.lean = {i for item in documents if isinstance(item, Page)
                     and item.node.source is None for i in item.ids} - self.full
        # The source's node each entry is in: an entry can come first in a page above it
        # (in writing order, by the newest entry of each document), and is then rendered
        # here unless its source is handed over first.
        self.source_of = {i: item.node.path for item in documents
                          if item.node.source is not None for i in item.ids}
        self.handed: set[NodePath] = set()
        self.begun: set[NodePath] = set()  # nodes this process began writing: it ends them

    def hand_sources_of(self, ids: list[int]) -> None:
        """Hand over the sources' nodes holding entries ``ids`` that are neither handed over
        nor begun here, while the workers have room."""
        for path in dict.fromkeys(self.source_of[i] for i in ids if i in self.source_of):
            if path in self.handed or path in self.begun:
                continue
            if not self.pool.has_room():
                return
            self.take(self.of_node[path][0])

    def take(self, item: Page | Feed) -> bool:
        """True when ``item`` is a worker's: its node was handed over before, or is now."""
        from feedhub.publish.feed_pool import PageJob

        path = item.node.path
        if path in self.handed:
            return True
        if item.node.source is None or path in self.begun or not self.pool.has_room():
            self.begun.add(path)
            return False
        pages = [page for page in self.of_node[path] if isinstance(page, Page)]
        feed = next(f for f in self.of_node[path] if isinstance(f, Feed))
        ids = {i for document in self.of_node[path] for i in document.ids}
        config = self.config
        self.pool.submit(replace(
            _feed_job(config, feed, feed_info(config, item.node, self.undated,
                                              feed.newest_page)),
            pages=tuple(PageJob(_archive_info(config, page.node, page.number, page.first_page,
                                              self.undated),
                                tuple(page.ids),
                                config.output / archive_file(path, page.number),
                                carries_bodies(page.node))
                        for page in pages),
            full=tuple(ids & self.full), lean=tuple(ids & self.lean)))
        self.handed.add(path)
        return True


def _publish_feed(config: Config, store: Store, feed: Feed, info: FeedInfo, shared: EntryCache,
                  writer: Writer, form: Form, pages: list[Future[Served]],
                  pool: FeedPool | None) -> None:
    """Render a node's subscription documents, or hand them to ``pool`` while it has room.
    ``pages`` are the node's pages handed to ``writer`` in this publish: its Atom document
    links the newest, which is durable before the document is renamed, so that document is
    rendered here when there are any."""
    from feedhub.publish.feed_pool import feed_documents

    job = _feed_job(config, feed, info)
    mine: FeedJob | None = job
    if pool is not None and pool.has_room():
        mine, theirs = job.split_atom() if pages else (None, job)
        if theirs.targets:
            pool.submit(theirs)
    if mine is not None:
        entries = shared.entries(feed.ids, store.publishing.entries_by_id)
        writer.submit(feed_documents(mine, entries, shared), after=pages, form=form)


def _feed_job(config: Config, feed: Feed, info: FeedInfo) -> FeedJob:
    """A node's subscription documents, one per format."""
    from feedhub.publish.feed_pool import FeedJob

    return FeedJob(info, tuple(feed.ids),
                   tuple((ext, config.output / relative)
                         for ext, relative in _feed_files(config, feed.node.path).items()))


def _feed_files(config: Config, path: NodePath) -> dict[str, PurePosixPath]:
    """A node's subscription document in each format, relative to the output folder."""
    return {ext: feed_file(path, ext) for ext in config.publish.formats}


def _plan_node(config: Config, store: Store, node: FeedNode, rank: int, every_page: bool,
               report: PublishReport) -> NodePlan:
    """The plan for one node, from what the store and the disk say of it; the page files it
    drops are deleted at once."""
    size = config.publish.entries
    folder = config.output / archive_file(node.path, 1).parent

    def page_ids(number: int) -> list[int]:
        return store.publishing.entry_ids_by_seq(node.path, *seq_range(number, size))

    def compressed_only(number: int) -> bool:
        return (gzipped(folder / f"{number}.atom").exists()
                and not (folder / f"{number}.atom").exists())

    plan = plan_node(node, rank, size, config.publish.archive, every_page, NodeFacts(
        store.publishing.node_size(node.path), store.publishing.archive_state(node.path),
        store.publishing.newest_entry_ids(node.path, size), page_ids, compressed_only))
    if plan.recut:
        for stale in folder.glob("*.atom*"):
            _delete(stale, report)
    for number in plan.emptied:
        _delete(gzipped(folder / f"{number}.atom"), report)
    return plan


def _trim(config: Config, store: Store, report: PublishReport) -> set[str]:
    """Delete the oldest archive pages until the output folder fits ``publish.max_bytes``
    (:func:`~feedhub.publish.plan.pages_to_trim` picks them). Returns the nodes whose
    documents must be written again: the new first page loses its link to an older one, and a
    node left with no page at all loses the feed's link to its archive.
    """
    size = config.publish.entries
    total = output_bytes(config.output)
    if total <= config.publish.max_bytes:
        return set()
    firsts: dict[NodePath, tuple[int, int]] = {}  # node: (first page, newest full page)
    for node in config.nodes:
        state = store.publishing.archive_state(node.path)
        if state.pages >= state.first_page and has_archive(node, config.publish.archive):
            firsts[node.path] = (state.first_page, state.pages)

    def newest_in(path: NodePath, first: int, last: int) -> float:
        newest = store.publishing.newest_in_seqs(path, first, last)
        return newest.timestamp() if newest else float("-inf")

    def page_bytes(path: NodePath, page: int) -> int:
        try:
            return gzipped(config.output / archive_file(path, page)).stat().st_size
        except FileNotFoundError:
            return 0

    affected: set[str] = set()
    for path, page in pages_to_trim(firsts, size, total - config.publish.max_bytes,
                                    newest_in, page_bytes):
        total -= page_bytes(path, page)
        _delete(gzipped(config.output / archive_file(path, page)), report)
        store.publishing.set_first_page(path, page + 1)
        affected.add(path_str(path))
        if page + 1 <= firsts[path][1]:
            store.publishing.mark_stale(path, seq_range(page + 1, size)[0])
    if total > config.publish.max_bytes:
        log.warning("the output is %d bytes, over publish.max_bytes (%d), with no archive page "
                    "left to delete", total, config.publish.max_bytes)
    return affected


def _publish_directory(config: Config, store: Store, writer: Writer,
                       urls: dict[NodePath, str], listing: Listing | None,
                       report: PublishReport, changed: set[str] | None,
                       ) -> list[tuple[Path, object]]:
    """The files that list the feeds: opml.xml, sources.opml, index.html and the rest, each
    unless ``listing`` knows it current. ``changed`` names the nodes whose entries changed
    (None: any may have). Returns the files handed to ``writer``, each with what it was
    rendered from, for ``listing``."""
    from feedhub.publish import index, opml
    from feedhub.publish.feedxsl import STYLESHEET, render_stylesheet
    from feedhub.publish.icon import ICON, ICON_SVG
    from feedhub.publish.words import words_for

    out = config.output
    stats = store.publishing.node_stats()
    sites = store.sources.site_links()
    health = store.sources.health()
    # What index.html shows of each node, beyond the tree: its count, newest date and site,
    # and its source's health. The day and week counts and the newest titles follow from
    # these and the hour, so they are read only when the page is rendered again.
    shown = [(node.path, *stats.get(path_str(node.path), (0, None)),
              sites.get(node.source.id) if node.source else None,
              _health_of(node.source, health.get(node.source.id)) if node.source else None)
             for node in config.nodes]
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    language = config.language or store.activity.dominant_language() or "en"
    # The tree's nodes are compared as they are (an unchanged tree is the very same object);
    # what the store says of them, as a digest, so as not to hold it between publishes.
    tree = (config.title, config.base_url, config.tree)
    listed = (*tree, tuple(config.publish.formats), language, config.timezone, hour,
              hashlib.blake2b(repr(shown).encode()).digest())

    def render_dashboard() -> bytes:
        names = [path_str(node.path) for node in config.nodes]
        known = listing.activity if listing is not None and listing.activity_hour == hour else {}
        stale = [n for n in names if n not in known or changed is None or n in changed]
        counts = store.activity.node_activity(stale, hour)
        recent = store.activity.recent_entries(stale, RECENT_TITLES)
        known = {**known, **{n: (counts[n], tuple(recent[n])) for n in stale}}
        if listing is not None:
            listing.activity, listing.activity_hour = known, hour
        polled = [row[2] for row in health.values() if row[2]]
        context = index.PageContext(language, zoneinfo.ZoneInfo(config.timezone),
                                    from_iso(max(polled)) if polled else None)
        return index.render_index(
            config.title, config.base_url,
            [index.NodeSummary(path, count, newest, site, *known[name][0], known[name][1],
                               source)
             for (path, count, newest, site, source), name in zip(shown, names, strict=True)],
            config.publish.formats, urls, context,
            listing.node_lines if listing is not None else None)

    files: list[tuple[Path, bytes]] = []
    rendered: list[tuple[Path, object]] = []
    made: tuple[tuple[Path, object, Callable[[], bytes]], ...] = (
        (out / "opml.xml", tree,
         lambda: opml.render_feeds_opml(config.title, config.base_url, config.tree, urls)),
        (out / "sources.opml", tree,
         lambda: opml.render_sources_opml(config.title, config.tree)),
        (out / "index.html", listed, render_dashboard),
        (out / STYLESHEET, (config.base_url, language),
         lambda: render_stylesheet(words_for(language), language, config.base_url)),
        (out / ICON, (), lambda: ICON_SVG),
    )
    for target, source, render in made:
        if listing is not None and listing.current(target, source):
            report.unchanged += 1
        else:
            files.append((target, render()))
            rendered.append((target, source))
    if files:
        writer.submit(files, form="both" if config.publish.gzip else "plain")
    return rendered


def _health_of(source: Source, row: tuple[Any, ...] | None) -> SourceHealth:
    """What the index page tells of a source, from its ``Sources.health`` row: not
    polled yet when it has none, or when its URL was edited since (as ``feedhub status``)."""
    from feedhub.publish.index import SourceHealth

    if row is None or row[0] != source.url:
        return SourceHealth(NEW)
    _, state, _, success, error, count, since, moved = row
    return SourceHealth(state, from_iso(success) if success else None, error, count,
                        from_iso(since) if since else None, moved)


def _remove_strays(config: Config, report: PublishReport) -> None:
    """Delete the feeds and archives of nodes no longer in the tree (or no longer archived),
    formats no longer published, gzip siblings no longer wanted and archive pages in the
    plain form of earlier versions, so nothing the config dropped stays subscribable."""
    from feedhub.publish.feedxsl import STYLESHEET
    from feedhub.publish.icon import ICON

    out = config.output
    gz = (".gz",) if config.publish.gzip else ()
    # Names relative to the output folder, not paths: a large tree has tens of thousands of
    # files, and a Path object for each took tens of megabytes the daemon then kept.
    wanted = {f"{feed_file(n.path, ext)}{suffix}" for n in config.nodes
              for ext in config.publish.formats for suffix in ("", *gz)}
    archives = {str(archive_file(n.path, 1).parent) for n in config.nodes
                if has_archive(n, config.publish.archive)}

    def stray_feed(folder: str, name: str) -> bool:
        return not name.startswith(".") and f"{folder}/{name}" not in wanted

    def stray_page(folder: str, name: str) -> bool:
        return (not name.startswith(".") and ".atom" in name
                and (folder not in archives or not name.endswith(".atom.gz")))

    _sweep(out, "feeds", stray_feed, report)
    directory = ("index.html", "opml.xml", "sources.opml", STYLESHEET, ICON)
    listed = {f"{name}{suffix}" for name in directory for suffix in ("", *gz)}
    for name in ("all.atom", "all.rss", "all.json", *directory):
        for candidate in (name, f"{name}.gz"):
            if (out / candidate).is_file() and candidate not in wanted | listed:
                _delete(out / candidate, report)
    _sweep(out, "archive", stray_page, report)


def _sweep(out: Path, top: str, stray: Callable[[str, str], bool], report: PublishReport) -> None:
    """Delete the files under ``out / top`` that are ``stray`` (given their folder relative to
    ``out`` and their name), then every folder below ``top`` left empty."""
    root = str(out / top)
    # Deepest first, so that a folder emptied of its folders goes too.
    for folder, _, names in os.walk(root, topdown=False):
        relative = f"{top}{folder.removeprefix(root)}"
        for name in names:
            if stray(relative, name):
                _delete(Path(folder, name), report)
        if folder != root:
            with contextlib.suppress(OSError):  # not empty: still in use
                os.rmdir(folder)


def _publish_posts(folder: Path, store: Store, ids: list[int], report: PublishReport,
                   renaming: bool = False) -> None:
    """Write the posts of entries ``ids``. A post keeps the name it was first given while its
    folder stays the same, so its permalink survives an edited title; ``renaming`` names every
    one afresh (once, after the naming rules changed) and removes the old files."""
    from feedhub.publish import posts

    for start in range(0, len(ids), 500):
        for entry in store.publishing.entries_by_id(ids[start:start + 500]):
            if not entry.node_paths:
                continue  # no active source carries it: not published
            path = entry.node_paths[0]
            relative = posts.post_folder(path)
            old_path = store.publishing.post_path(entry.rowid)
            if old_path and not renaming and PurePosixPath(old_path).parent == relative:
                new_path = old_path
            else:
                name = posts.post_name(entry.title, entry.atom_id, taken=False)
                if store.publishing.post_owner(str(relative / name)) not in (None, entry.rowid):
                    name = posts.post_name(entry.title, entry.atom_id, taken=True)
                new_path = str(relative / name)
            if old_path != new_path:
                if old_path:
                    _delete_post(folder, old_path, report)
                store.publishing.set_post_path(entry.rowid, new_path)
            report.note(folder / new_path, posts.render_post(entry, path).encode("utf-8"))


def _delete_post(folder: Path, relative: str, report: PublishReport) -> None:
    """Delete a post, and the folders of ``folder`` it leaves empty (a renamed or emptied
    node's), so the site generator sees no stale folders."""
    _delete(folder / relative, report)
    for parent in PurePosixPath(relative).parents[:-1]:
        try:
            (folder / parent).rmdir()
        except OSError:  # not empty, or already gone
            break


def _delete(target: Path, report: PublishReport) -> None:
    with contextlib.suppress(FileNotFoundError):
        target.unlink()
        report.deleted.append(target)
