"""Merged RSS 2.0 feeds with feedgen, plus the extension feedhub needs on top of it.

The same merged feed as ``publish.atom``, for readers that only take RSS. RSS has fewer fields,
so some things are carried differently:

- The feed's own URL (``atom:link rel="self"``) is the Atom feed's URL with its ``.atom`` suffix
  swapped for ``.rss``: both files sit side by side (``paths.feed_file(path, ext)``).
- ``<description>`` of an item holds the HTML content, else the summary (RSS has one body).
- ``<guid isPermaLink="false">`` is the entry's Atom id, so readers see the same identity.
- RSS ``<author>`` must be an e-mail address, which feedhub does not have; the author's name
  goes into ``dc:creator`` instead.
- ``lastBuildDate`` and the channel ``pubDate`` are the newest entry's ``updated`` (never "now",
  which feedgen would use by default), so the same entries always give the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from feedhub.model import StoredEntry
from feedhub.publish.atom import ATOM_NS, MEDIA_NS, FeedInfo, node_categories
from feedhub.publish.feedxsl import with_stylesheet

DC_NS = "http://purl.org/dc/elements/1.1/"
RSS_TYPE = "application/rss+xml"


def sibling_url(self_url: str, ext: str) -> str:
    """The URL of another format of the same feed: ``…/x.atom`` → ``…/x.<ext>``.

    Every format of a node is written next to its Atom file under the same name, so swapping the
    suffix is exact. A URL that does not end in ``.atom`` is refused rather than guessed at.
    """
    if not self_url.endswith(".atom"):
        raise ValueError(f"feed URL does not end in .atom: {self_url}")
    return self_url.removesuffix(".atom") + "." + ext


def shared_language(entries: Sequence[StoredEntry]) -> str | None:
    """The language every entry declares, when they all declare the same one; else None."""
    langs = {e.lang for e in entries}
    if len(langs) == 1:
        (lang,) = langs
        return lang or None
    return None


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


class _FeedExtension(BaseExtension):
    """Namespaces, and the ``atom:link rel="hub"`` that tells WebSub subscribers where to go."""

    def __init__(self) -> None:
        self.hubs: list[str] = []

    def extend_ns(self) -> dict[str, str]:
        return {"dc": DC_NS, "media": MEDIA_NS}

    def extend_rss(self, feed: Any) -> Any:
        channel = feed.find("channel")
        for hub in self.hubs:
            xml_elem(f"{{{ATOM_NS}}}link", channel, rel="hub", href=hub)
        return feed


class _ItemExtension(BaseEntryExtension):
    """Adds ``dc:creator`` and ``media:thumbnail`` directly under the item."""

    def __init__(self) -> None:
        self.creator_name: str | None = None
        self.thumbnail_url: str | None = None

    def creator(self, name: str | None) -> None:
        self.creator_name = name

    def thumbnail(self, url: str | None) -> None:
        self.thumbnail_url = url

    def extend_rss(self, item: object) -> object:
        if self.creator_name:
            xml_elem(f"{{{DC_NS}}}creator", item).text = self.creator_name
        if self.thumbnail_url:
            xml_elem(f"{{{MEDIA_NS}}}thumbnail", item, url=self.thumbnail_url)
        return item


def render_rss(info: FeedInfo, entries: Sequence[StoredEntry]) -> bytes:
    """The RSS 2.0 document of one merged feed; the same inputs always give the same bytes.

    ``entries`` are written in the order given (newest first, as the store returns them).
    """
    fg = FeedGenerator()
    fg.register_extension("feedhub", _FeedExtension, _ItemExtension, atom=False, rss=True)
    fg.title(info.title)
    fg.description(info.title)
    # feedgen uses the last link set as the channel's <link>: self first, then the site.
    fg.link(href=sibling_url(info.self_url, "rss"), rel="self", type=RSS_TYPE)
    fg.link(href=info.alternate_url, rel="alternate", type="text/html")
    fg.generator("feedhub")
    fg.feedhub.hubs = [href for rel, href in info.links if rel == "hub"]
    language = shared_language(entries)
    if language:
        fg.language(language)
    newest = _utc(max((e.updated for e in entries), default=info.undated))
    fg.lastBuildDate(newest)
    fg.pubDate(newest)
    for e in entries:
        item = fg.add_entry(order="append")
        # RSS needs a title or a description; every stored entry has a title, but never fail.
        item.title(e.title or e.link or e.atom_id)
        if e.link:
            item.link(href=e.link, rel="alternate")
        body = e.content or e.summary
        if body:
            item.description(body)
        item.guid(e.atom_id, permalink=False)
        item.pubDate(_utc(e.published))
        categories = [{"term": name, "scheme": info.base_url}
                      for name in node_categories(e.node_paths)]
        categories += [{"term": tag} for tag in e.categories]
        if categories:
            item.category(categories)
        item.feedhub.creator(e.author or info.hub_title)
        item.feedhub.thumbnail(e.thumbnail)
    return with_stylesheet(fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True),
                           info.base_url)
