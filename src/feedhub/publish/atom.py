"""Merged Atom feeds (RFC 4287) with feedgen, plus the extension feedhub needs on top of it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from feedhub import __version__
from feedhub.model import NodePath, StoredEntry

MEDIA_NS = "http://search.yahoo.com/mrss/"
ATOM_TYPE = "application/atom+xml"
# An empty feed has no newest entry; a fixed date keeps it byte-identical across rebuilds.
EMPTY_FEED_UPDATED = datetime(1970, 1, 1, tzinfo=UTC)


class _FeedExtension(BaseExtension):
    def extend_ns(self) -> dict[str, str]:
        return {"media": MEDIA_NS}


class _EntryExtension(BaseEntryExtension):
    """Adds ``media:thumbnail`` directly under the entry, where readers look for it."""

    def __init__(self) -> None:
        self.thumbnail_url: str | None = None

    def thumbnail(self, url: str | None) -> None:
        self.thumbnail_url = url

    def extend_atom(self, entry: object) -> object:
        if self.thumbnail_url:
            xml_elem(f"{{{MEDIA_NS}}}thumbnail", entry, url=self.thumbnail_url)
        return entry

    def extend_rss(self, item: object) -> object:
        return self.extend_atom(item)


@dataclass(frozen=True, slots=True)
class FeedInfo:
    """What identifies one merged feed."""

    node: NodePath
    title: str
    self_url: str
    alternate_url: str
    hub_title: str
    base_url: str


def node_categories(paths: Sequence[NodePath]) -> list[str]:
    """The names of every node on the entry's source paths, each once, top-down."""
    seen: dict[str, None] = {}
    for path in paths:
        for name in path:
            seen.setdefault(name, None)
    return list(seen)


def render_atom(info: FeedInfo, entries: Sequence[StoredEntry]) -> bytes:
    """The Atom document of one merged feed; the same inputs always give the same bytes."""
    fg = FeedGenerator()
    fg.register_extension("feedhub", _FeedExtension, _EntryExtension, atom=True, rss=False)
    fg.id(info.self_url)
    fg.title(info.title)
    fg.author({"name": info.hub_title, "uri": info.base_url})
    fg.generator("feedhub", version=__version__)
    fg.link(href=info.self_url, rel="self", type=ATOM_TYPE)
    fg.link(href=info.alternate_url, rel="alternate", type="text/html")
    newest = max((e.updated for e in entries), default=EMPTY_FEED_UPDATED)
    fg.updated(newest)
    for e in entries:
        fe = fg.add_entry(order="append")
        fe.id(e.atom_id)
        fe.title(e.title)
        if e.link:
            fe.link(href=e.link, rel="alternate", type="text/html")
        fe.author({"name": e.author or info.hub_title})
        fe.published(e.published)
        fe.updated(e.updated)
        categories = [{"term": name, "label": name, "scheme": info.base_url}
                      for name in node_categories(e.node_paths)]
        categories += [{"term": tag, "label": tag} for tag in e.categories]
        if categories:
            fe.category(categories)
        if e.content:
            fe.content(e.content, type="html")
        if e.summary:
            fe.summary(e.summary, type="html")
        if not e.content and not e.summary and not e.link:
            # RFC 4287 4.1.2: an entry with no alternate link must have content.
            fe.content("", type="html")
        fe.feedhub.thumbnail(e.thumbnail)
    return fg.atom_str(pretty=True, encoding="UTF-8", xml_declaration=True)
