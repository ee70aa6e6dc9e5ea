"""Choosing an entry's thumbnail from what its source offers. Pure functions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

from feedhub.sanitize import safe_url


class _FirstImages(HTMLParser):
    """Collects <img> sources in document order, skipping tracking pixels and inline data."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "img":
            return
        a = {k: (v or "") for k, v in attrs}
        src = a.get("src", "").strip()
        if not src or src.lower().startswith("data:"):
            return
        if a.get("width", "").strip() in ("0", "1") or a.get("height", "").strip() in ("0", "1"):
            return
        self.found.append(src)


def images_in(markup: str) -> list[str]:
    """The image URLs of ``markup``'s <img> tags, as written, minus 1x1 pixels and data: URLs."""
    if not markup or "<img" not in markup.lower():
        return []
    parser = _FirstImages()
    parser.feed(markup)
    parser.close()
    return parser.found


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
    candidates: list[str | None] = [t.get("url") for t in media_thumbnails]
    candidates += [c.get("url") for c in largest]
    candidates += [e.get("href") or e.get("url") for e in enclosures if _is_image(e)]
    candidates.append(itunes_image)
    candidates += images_in(content)
    candidates += images_in(summary)
    for candidate in candidates:
        if not candidate:
            continue
        url = safe_url(urljoin(base, candidate.strip()) if base else candidate.strip())
        if url:
            return url
    return None
