"""Choosing an entry's thumbnail from what its source offers. Pure functions."""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import urljoin

from feedhub.sanitize import safe_url

_IMG = re.compile(r"<img\b([^>]*)>", re.IGNORECASE)
_ATTR = re.compile(r"""([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")


def images_in(markup: str) -> list[str]:
    """The image URLs of ``markup``'s <img> tags, in order, minus 1x1 pixels and data: URLs."""
    return list(_images(markup))


def _images(markup: str) -> Iterator[str]:
    """:func:`images_in`, lazily.

    ``markup`` is sanitizer output (well-formed, quoted attributes), so a pattern over the tags
    is exact; a full HTML parser cost more than all the rest of an entry's normalization.
    """
    for tag in _IMG.finditer(markup):
        attrs = {m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4) or "")
                 for m in _ATTR.finditer(tag.group(1))}
        src = attrs.get("src", "").strip()
        if not src or src.lower().startswith("data:"):
            continue
        if attrs.get("width", "").strip() in ("0", "1") or attrs.get("height", "").strip() in (
                "0", "1"):
            continue
        yield src


def _is_image(item: Mapping[str, Any]) -> bool:
    medium = str(item.get("medium", "")).lower()
    kind = str(item.get("type", "")).lower()
    return medium == "image" or kind.startswith("image/")


def _area(item: Mapping[str, Any]) -> int:
    try:
        return int(item.get("width") or 0) * int(item.get("height") or 0)
    except (TypeError, ValueError):
        return 0


def choose_thumbnail(
    *,
    media_thumbnails: Iterable[Mapping[str, Any]] = (),
    media_contents: Iterable[Mapping[str, Any]] = (),
    enclosures: Iterable[Mapping[str, Any]] = (),
    itunes_image: str | None = None,
    content: str = "",
    summary: str = "",
    base: str | None = None,
) -> str | None:
    """The first usable picture, in order of how deliberately the source chose it.

    media:thumbnail, then the largest image media:content (first when no sizes are given), an
    image enclosure, itunes:image, then the first real <img> of the content and of the summary.
    Relative URLs are resolved against ``base``; only http(s) results are returned.
    """
    contents = [c for c in media_contents if _is_image(c)]
    largest = sorted(contents, key=_area, reverse=True)  # stable: equal sizes keep feed order
    candidates = itertools.chain(
        (t.get("url") for t in media_thumbnails),
        (c.get("url") for c in largest),
        (e.get("href") or e.get("url") for e in enclosures if _is_image(e)),
        (itunes_image,),
        _images(content),  # lazily: most entries stop at the first picture
        _images(summary),
    )
    for candidate in candidates:
        if not candidate:
            continue
        try:
            url = safe_url(urljoin(base, candidate.strip()) if base else candidate.strip())
        except ValueError:  # "http://[zz/i.jpg": skip it, not the whole feed
            continue
        if url:
            return url
    return None
