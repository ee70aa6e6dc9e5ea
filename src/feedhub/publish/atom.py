"""Merged Atom feeds (RFC 4287) with feedgen, plus the extension feedhub needs on top of it."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from feedhub import __version__
from feedhub.model import NodePath, StoredEntry
from feedhub.publish.feedxsl import with_stylesheet

MEDIA_NS = "http://search.yahoo.com/mrss/"
ATOM_NS = "http://www.w3.org/2005/Atom"
HISTORY_NS = "http://purl.org/syndication/history/1.0"  # RFC 5005
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ATOM_TYPE = "application/atom+xml"
# The frame render_entries cuts away needs a date; it is never published.
_UNUSED_DATE = datetime(1970, 1, 1, tzinfo=UTC)
# In feedgen's pretty output, a line opening an <entry> child of the root.
_ENTRY_LINE = re.compile(rb"\n  <entry[ >]")
# ... and the start of the line holding an entry's content.
_CONTENT_LINE = b'\n    <content type="html">'


class _FeedExtension(BaseExtension):
    """Marks RFC 5005 archive documents with ``fh:archive``."""

    def __init__(self) -> None:
        self.is_archive = False

    def extend_ns(self) -> dict[str, str]:
        return {"media": MEDIA_NS, "fh": HISTORY_NS}

    def extend_atom(self, feed: Any) -> Any:
        if self.is_archive:
            xml_elem(f"{{{HISTORY_NS}}}archive", feed)
        return feed


class _EntryExtension(BaseEntryExtension):
    """What feedgen lacks: ``media:thumbnail`` directly under the entry, where readers look for
    it; ``atom:source`` (RFC 4287 4.2.11) naming the feed the entry came from; ``xml:lang``."""

    def __init__(self) -> None:
        self.entry: StoredEntry | None = None

    def extend_atom(self, entry: Any) -> Any:
        e = self.entry
        if e is None:
            return entry
        if e.lang:
            entry.set(XML_LANG, e.lang)
        if e.origin is not None:
            _source_element(entry, e)
        if e.thumbnail:
            xml_elem(f"{{{MEDIA_NS}}}thumbnail", entry, url=e.thumbnail)
        return entry


def _source_element(entry: Any, e: StoredEntry) -> None:
    # Unqualified, as feedgen writes the entry itself: the document's default namespace is
    # Atom's, so these are atom:source and its children without a prefix of their own.
    origin = e.origin
    assert origin is not None
    source = xml_elem("source", entry)
    xml_elem("id", source).text = origin.id
    xml_elem("title", source).text = origin.title
    xml_elem("link", source, rel="self", href=origin.url)
    if origin.link:
        xml_elem("link", source, rel="alternate", type="text/html", href=origin.link)
    # RFC 4287 4.2.11 asks for the source feed's atom:updated. A feed that gave none was at
    # least as new as this entry; that bound keeps the entry's bytes the same on every poll.
    updated = origin.updated if origin.updated is not None else e.updated
    xml_elem("updated", source).text = updated.isoformat()


@dataclass(frozen=True, slots=True)
class FeedInfo:
    """What identifies one merged feed."""

    node: NodePath
    title: str
    self_url: str
    alternate_url: str
    hub_title: str
    base_url: str
    # The feed's updated when no entry gives one: when the hub first published, so never 1970
    # and the same on every rebuild.
    undated: datetime
    links: tuple[tuple[str, str], ...] = ()  # more (rel, href): RFC 5005 archives, WebSub hub
    is_archive: bool = False


def node_categories(paths: Sequence[NodePath]) -> list[str]:
    """The names of every node on the entry's source paths, each once, top-down."""
    seen: dict[str, None] = {}
    for path in paths:
        for name in path:
            seen.setdefault(name, None)
    return list(seen)


def render_entries(entries: Sequence[StoredEntry], hub_title: str, base_url: str) -> list[bytes]:
    """Each entry's ``<entry>`` element, indented and prefixed as it stands in a merged feed.

    An entry's element depends on the entry and the hub only, never on the feed holding it, so
    it is rendered once and spliced (:func:`render_frame`) into every feed and archive page
    that holds it. Entries are rendered in one feedgen document and cut apart at the lines
    that open an ``<entry>`` child of the root: a ``<`` in text or attribute values is always
    escaped, so only an element can start such a line.
    """
    fg = _generator()
    # The frame is cut away, but feedgen insists on these.
    fg.id(base_url)
    fg.title(hub_title)
    fg.updated(_UNUSED_DATE)
    for e in entries:
        _add_entry(fg, e, hub_title, base_url)
    text = fg.atom_str(pretty=True, encoding="UTF-8", xml_declaration=False)
    bounds = [m.start() + 1 for m in _ENTRY_LINE.finditer(text)] + [text.rindex(b"</feed>")]
    return [text[start:end] for start, end in itertools.pairwise(bounds)]


def without_body(entry: StoredEntry, element: bytes) -> bytes:
    """The entry's element (from :func:`render_entries`) without its ``atom:content``, as the
    archive pages above its source list it (:func:`feedhub.publish.archive.carries_bodies`);
    as it is when it has no link, since RFC 4287 4.1.2 then requires the content.

    Cut from the bytes rather than rendered again: the content is one child element whose text
    has every ``<`` escaped, so its end tag is the first ``</content>`` after it.
    """
    start = element.find(_CONTENT_LINE)
    if not entry.link or start < 0:
        return element
    end = element.index(b"</content>", start) + len(b"</content>")
    return element[:start] + element[end:]


def render_frame(info: FeedInfo, updated: datetime) -> tuple[bytes, bytes]:
    """The Atom document of one merged feed around its entries: the bytes before the first
    :func:`render_entries` element and after the last. ``updated`` is the newest entry's
    ``updated`` (``info.undated`` without entries), so the same inputs always give the same
    bytes."""
    fg = _generator()
    fg.id(info.self_url)
    fg.title(info.title)
    fg.author({"name": info.hub_title, "uri": info.base_url})
    fg.generator("feedhub", version=__version__)
    fg.link(href=info.self_url, rel="self", type=ATOM_TYPE)
    fg.link(href=info.alternate_url, rel="alternate", type="text/html")
    for rel, href in info.links:
        fg.link(href=href, rel=rel, **({} if rel == "hub" else {"type": ATOM_TYPE}))
    fg.feedhub.is_archive = info.is_archive
    fg.updated(updated)
    text = with_stylesheet(fg.atom_str(pretty=True, encoding="UTF-8", xml_declaration=True),
                           info.base_url)
    end = text.rindex(b"</feed>")
    return text[:end], text[end:]


def _generator() -> FeedGenerator:
    fg = FeedGenerator()
    fg.register_extension("feedhub", _FeedExtension, _EntryExtension, atom=True, rss=False)
    return fg


def _add_entry(fg: FeedGenerator, e: StoredEntry, hub_title: str, base_url: str) -> None:
    fe = fg.add_entry(order="append")
    fe.id(e.atom_id)
    fe.title(e.title)
    if e.link:
        fe.link(href=e.link, rel="alternate", type="text/html")
    fe.author({"name": e.author or hub_title})
    fe.published(e.published)
    fe.updated(e.updated)
    categories = [{"term": name, "label": name, "scheme": base_url}
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
    fe.feedhub.entry = e
