"""Merged feeds as JSON Feed 1.1 (https://jsonfeed.org/version/1.1).

The same merged feed as ``publish.atom``. ``feed_url`` is the Atom feed's URL with its
``.atom`` suffix swapped for ``.json`` (the files sit side by side). Keys whose value would be
empty are left out, with one exception the format imposes: every item must carry
``content_html`` or ``content_text``, so an entry with no body at all gets ``content_html: ""``.
The output is ``json.dumps`` with a fixed layout and a trailing newline, so the same entries
always give the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from feedhub.model import StoredEntry, iso
from feedhub.publish.atom import FeedInfo, node_categories
from feedhub.publish.rss import shared_language, sibling_url
from feedhub.text import plain_text

VERSION = "https://jsonfeed.org/version/1.1"
JSON_FEED_TYPE = "application/feed+json"


def _tags(entry: StoredEntry) -> list[str]:
    """Node names, then the source's own categories; each once, in order."""
    seen: dict[str, None] = {}
    for name in [*node_categories(entry.node_paths), *entry.categories]:
        seen.setdefault(name, None)
    return list(seen)


def _compact(obj: dict[str, Any], keep: tuple[str, ...] = ()) -> dict[str, Any]:
    """``obj`` without the keys whose value is None or empty, except those in ``keep``."""
    return {k: v for k, v in obj.items() if k in keep or v not in (None, "", [], {})}


def _item(info: FeedInfo, e: StoredEntry) -> dict[str, Any]:
    separate_summary = bool(e.content and e.summary)
    return _compact(
        {
            "id": e.atom_id,
            "url": e.link,
            "title": e.title,
            "content_html": e.content or e.summary,
            # JSON Feed's summary is plain text, and only worth having next to the content.
            "summary": plain_text(e.summary) if separate_summary else None,
            "image": e.thumbnail,
            "date_published": iso(e.published),
            "date_modified": iso(e.updated),
            "authors": [{"name": e.author or info.hub_title}],
            "tags": _tags(e),
        },
        # 1.1: "content_html and content_text are each optional strings — but one or the
        # other must be present", so an entry without any body keeps ``content_html: ""``.
        keep=("content_html",),
    )


def render_json(info: FeedInfo, entries: Sequence[StoredEntry]) -> bytes:
    """The JSON Feed 1.1 document of one merged feed; the same inputs always give the same bytes.

    ``entries`` are written in the order given (newest first, as the store returns them).
    """
    feed = _compact(
        {
            "version": VERSION,
            "title": info.title,
            "home_page_url": info.alternate_url,
            "feed_url": sibling_url(info.self_url, "json"),
            "authors": [{"name": info.hub_title}],
            "language": shared_language(entries),
            "hubs": [{"type": "WebSub", "url": href} for rel, href in info.links if rel == "hub"],
            "items": [],
        },
        keep=("items",),  # required, even when empty
    )
    head = json.dumps(feed, ensure_ascii=False, indent=2, sort_keys=False)
    if not entries:
        return (head + "\n").encode("utf-8")
    # One item a line, each in compact form: json's C encoder only writes that form, and the
    # indented one took three quarters of rendering a feed.
    items = ",\n    ".join(json.dumps(_item(info, e), ensure_ascii=False) for e in entries)
    return (head.removesuffix("[]\n}") + f"[\n    {items}\n  ]\n}}\n").encode("utf-8")
