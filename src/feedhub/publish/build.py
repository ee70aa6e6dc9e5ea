"""Which outputs to write after a poll or a rebuild, and writing them.

Everything here is derived from the store. A full build (``changes=None``) renders every output;
after a poll only the feeds of the nodes whose entries changed, their new archive pages and the
posts of the changed entries are rendered. Every file goes through ``write_if_changed``, so
identical bytes are never rewritten.
"""

from __future__ import annotations

import contextlib
import gzip
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from feedhub.config import Config
from feedhub.model import FeedNode, NodePath, PollOutcome, StoredEntry, path_str
from feedhub.paths import feed_file, feed_title, safe_segment, url_for
from feedhub.publish import index, opml, posts
from feedhub.publish.atom import FeedInfo, render_atom
from feedhub.publish.files import holds, sync_folders, write_atomic, write_if_changed
from feedhub.publish.jsonfeed import render_json
from feedhub.publish.rss import render_rss
from feedhub.store import Store

RENDERERS = {"atom": render_atom, "rss": render_rss, "json": render_json}


@dataclass(frozen=True, slots=True)
class Changes:
    """What a poll changed: the nodes to republish, entries whose posts to rewrite, and the
    posts of entries retention deleted."""

    nodes: frozenset[str] = frozenset()
    entries: frozenset[int] = frozenset()
    removed_posts: tuple[str, ...] = ()


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

    def served(self, files: Sequence[tuple[Path, bytes]]) -> list[bool]:
        """Like :meth:`note` for each (target, data), plus a gzip sibling for the server (and
        nginx's gzip_static) to send to clients that accept it. gzip's timestamp is zeroed so
        the bytes are stable. Returns, for each file, whether it was written."""
        same = [holds(target, data) for target, data in files]
        for (target, data), unchanged in zip(files, same, strict=True):
            compressed = _gzipped(target)
            if not unchanged or not compressed.exists():
                # Level 1: a few percent larger than 6 at a quarter of the CPU, on every publish.
                write_if_changed(compressed, gzip.compress(data, compresslevel=1, mtime=0),
                                 self.unsynced)
        # The siblings first, durably: a kill or a power cut between the two writes then
        # leaves the plain file old, and the next publish redoes both, instead of a stale .gz
        # nobody rewrites.
        self.sync()
        for (target, data), unchanged in zip(files, same, strict=True):
            if unchanged:
                self.unchanged += 1
            else:
                write_atomic(target, data, self.unsynced)
                self.written.append(target)
        return [not unchanged for unchanged in same]

    def sync(self) -> None:
        """Make every rename so far durable."""
        sync_folders(self.unsynced)


def _gzipped(target: Path) -> Path:
    return target.with_name(target.name + ".gz")


def archive_file(path: NodePath, page: int) -> PurePosixPath:
    """RFC 5005 archive page ``page`` (from 1, oldest first) of a node's merged feed."""
    return PurePosixPath("archive", *(safe_segment(name) for name in path), f"{page}.atom")


def feed_info(config: Config, node: FeedNode, archived_pages: int = 0) -> FeedInfo:
    """The identity and links of a node's subscription feed."""
    links: list[tuple[str, str]] = []
    if archived_pages:
        links.append(("prev-archive", url_for(config.base_url,
                                              archive_file(node.path, archived_pages))))
    if config.publish.websub_hub:
        links.append(("hub", config.publish.websub_hub))
    return FeedInfo(
        node=node.path,
        title=feed_title(config.title, node.path),
        self_url=url_for(config.base_url, feed_file(node.path)),
        alternate_url=config.base_url,
        hub_title=config.title,
        base_url=config.base_url,
        links=tuple(links),
    )


def _archive_info(config: Config, node: FeedNode, page: int) -> FeedInfo:
    links = [("current", url_for(config.base_url, feed_file(node.path)))]
    if page > 1:
        links.append(("prev-archive", url_for(config.base_url, archive_file(node.path, page - 1))))
    return FeedInfo(
        node=node.path,
        title=f"{feed_title(config.title, node.path)} ({page})",
        self_url=url_for(config.base_url, archive_file(node.path, page)),
        alternate_url=config.base_url,
        hub_title=config.title,
        base_url=config.base_url,
        links=tuple(links),
        is_archive=True,
    )


def publish(config: Config, store: Store, changes: Changes | None = None) -> PublishReport:
    """Write what ``changes`` affects, or everything when it is None."""
    started = time.monotonic()
    report = PublishReport()
    try:
        _publish(config, store, changes, report)
    finally:
        report.sync()
    report.elapsed_ms = int((time.monotonic() - started) * 1000)
    return report


def _publish(config: Config, store: Store, changes: Changes | None,
             report: PublishReport) -> None:
    tree = {path_str(n.path): n for n in config.nodes}
    # Where every node's Atom feed is, worked out once: the check for missing feeds, opml.xml
    # and index.html all need it, and on a large tree it is a good part of a small publish.
    atom_files = {node.path: feed_file(node.path) for node in config.nodes}
    # After a poll: the changed nodes, and any node that has no feed yet (a new source whose
    # feed is empty changes no entries, but still gets its feed).
    chosen = list(tree.values()) if changes is None else [
        node for key, node in tree.items()
        if key in changes.nodes or not (config.output / atom_files[node.path]).exists()]
    for node in chosen:
        _publish_node(config, store, node, report, every_page=changes is None)
    if changes is None or chosen:
        _publish_directory(config, store, report, atom_files)
    if changes is None:
        _remove_strays(config, report)
    if config.posts is not None:
        ids = store.all_entry_ids() if changes is None else sorted(changes.entries)
        _publish_posts(config.posts, store, ids, report)
        for relative in () if changes is None else changes.removed_posts:
            _delete(config.posts / relative, report)


def _publish_node(config: Config, store: Store, node: FeedNode, report: PublishReport,
                  every_page: bool) -> None:
    per_page = config.publish.entries
    full_pages = store.node_size(node.path) // per_page
    # Archive pages never change once full. After a poll only the pages that filled since the
    # last publish are written; a full build writes any page whose file is missing. A changed
    # page size cuts the history differently: the node's pages are then written anew.
    done, size = store.archived_pages(node.path)
    if size and size != per_page:
        for stale in (config.output / archive_file(node.path, 1)).parent.glob("*.atom*"):
            _delete(stale, report)
        done = 0
    elif every_page:
        done = 0
    for page in range(done + 1, full_pages + 1):
        target = config.output / archive_file(node.path, page)
        if target.exists() and size == per_page:
            continue
        entries = store.entries_by_seq(node.path, (page - 1) * per_page + 1, page * per_page)
        report.served([(target, render_atom(_archive_info(config, node, page), entries))])
    if (full_pages, per_page) != (done, size):
        # The pages are durable before the database, and the feed linking them, say so.
        report.sync()
        store.set_archived_pages(node.path, full_pages, per_page)
    # The subscription document: the newest entries, plus every entry not yet in a full
    # archive page, so that the archive walk from here reaches every entry.
    ids = store.feed_entry_ids(node.path, per_page, full_pages * per_page + 1)
    entries = _newest_first(store.entries_by_id(ids))
    info = feed_info(config, node, full_pages)
    files = {ext: feed_file(node.path, ext) for ext in config.publish.formats}
    written = report.served([(config.output / relative, RENDERERS[ext](info, entries))
                             for ext, relative in files.items()])
    report.changed_feeds += [url_for(config.base_url, relative)
                             for relative, changed in zip(files.values(), written, strict=True)
                             if changed]


def _publish_directory(config: Config, store: Store, report: PublishReport,
                       atom_files: dict[NodePath, PurePosixPath]) -> None:
    """The files that list the feeds: opml.xml, sources.opml and index.html."""
    out = config.output
    urls = {path: url_for(config.base_url, relative) for path, relative in atom_files.items()}
    stats = store.node_stats()
    sites = store.site_links()
    summaries = [
        index.NodeSummary(
            path=node.path, entries=stats.get(path_str(node.path), (0, None))[0],
            newest=stats.get(path_str(node.path), (0, None))[1],
            site_link=sites.get(node.source.id) if node.source else None)
        for node in config.nodes
    ]
    report.served([
        (out / "opml.xml", opml.render_feeds_opml(config.title, config.base_url, config.tree,
                                                  urls)),
        (out / "sources.opml", opml.render_sources_opml(config.title, config.tree)),
        (out / "index.html", index.render_index(config.title, config.base_url, summaries,
                                                config.publish.formats, urls)),
    ])


def _remove_strays(config: Config, report: PublishReport) -> None:
    """Delete the feeds and archives of nodes no longer in the tree, and formats no longer
    published, so nothing the config dropped stays subscribable."""
    out = config.output
    wanted = {out / feed_file(n.path, ext) for n in config.nodes for ext in config.publish.formats}
    wanted |= {p.with_name(p.name + ".gz") for p in wanted}
    archives = {(out / archive_file(n.path, 1)).parent for n in config.nodes}
    for candidate in [*(out / "feeds").rglob("*"), out / "all.rss", out / "all.json",
                      out / "all.rss.gz", out / "all.json.gz"]:
        if candidate.is_file() and not candidate.name.startswith(".") and candidate not in wanted:
            _delete(candidate, report)
    for page in (out / "archive").rglob("*.atom*"):
        if page.parent not in archives:
            _delete(page, report)
    for top in (out / "feeds", out / "archive"):
        folders = sorted((d for d in top.rglob("*") if d.is_dir()), key=lambda d: -len(d.parts))
        for folder in folders:
            with contextlib.suppress(OSError):  # not empty: still in use
                folder.rmdir()


def _newest_first(entries: Iterable[StoredEntry]) -> list[StoredEntry]:
    return sorted(entries, key=lambda e: (e.published, e.rowid), reverse=True)


def _publish_posts(folder: Path, store: Store, ids: list[int], report: PublishReport) -> None:
    for start in range(0, len(ids), 500):
        for entry in store.entries_by_id(ids[start:start + 500]):
            if not entry.node_paths:
                continue  # no active source carries it: not published
            path = entry.node_paths[0]
            relative = posts.post_folder(path)
            name = posts.post_name(entry.title, entry.atom_id, taken=False)
            owner = store.post_owner(str(relative / name))
            if owner is not None and owner != entry.rowid:
                name = posts.post_name(entry.title, entry.atom_id, taken=True)
            new_path = str(relative / name)
            old_path = store.post_path(entry.rowid)
            if old_path and old_path != new_path:
                _delete(folder / old_path, report)
            if old_path != new_path:
                store.set_post_path(entry.rowid, new_path)
            report.note(folder / new_path, posts.render_post(entry, path).encode("utf-8"))


def _delete(target: Path, report: PublishReport) -> None:
    with contextlib.suppress(FileNotFoundError):
        target.unlink()
        report.deleted.append(target)
