"""The one place HTML from sources is made safe. Everything published passes through here."""

from __future__ import annotations

import copy
import functools
import re
from urllib.parse import urlsplit

import nh3

from feedhub.text import xml_safe

_CONTROL = re.compile(r"[\x00-\x20\x7f]")
SAFE_SCHEMES = frozenset({"http", "https"})

# What a style says of the text itself, not of the publisher's page: a reader lays the text out
# in its own theme. Colours go (dark text on a reader's dark theme cannot be read), and so do
# sizes, fonts, spacing and boxes (they override the reader's font size, which is also an
# accessibility setting); Miniflux keeps no style attribute at all. Nothing here can hide
# content (display, visibility, opacity) or lay it over the reader's own interface (position,
# z-index, transforms).
_STYLE_PROPERTIES = frozenset({
    "text-align", "font-weight", "font-style", "text-decoration", "vertical-align",
    "white-space", "list-style-type", "border", "border-collapse",
})
_EXTRA_TAGS = {"figure", "figcaption", "picture", "source", "video", "audio", "track"}
_DROP_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "form", "textarea",
                      "select", "button", "noscript", "template", "svg", "math"}


# CSS values that can run code in old engines, fetch from elsewhere, or hide an escape.
_UNSAFE_CSS_VALUE = re.compile(r"expression|url\s*\(|\\|javascript|vbscript|behavior|binding|"
                               r"@import|<|>", re.IGNORECASE)


def _filter_attribute(tag: str, name: str, value: str) -> str | None:
    """Keep the style declarations of the properties allowed, with safe values; drop the
    attribute when none is left. (ammonia filters the properties again, but would leave an
    empty ``style=""``.)"""
    return value if name != "style" else _safe_style(value)


# Cached: a site's articles repeat the same few style attributes thousands of times.
@functools.lru_cache(maxsize=4096)
def _safe_style(value: str) -> str | None:
    kept = []
    for declaration in value.split(";"):
        name, _, setting = declaration.partition(":")
        name = name.strip().lower()  # what ammonia matches the allowed properties against
        if (name in _STYLE_PROPERTIES and setting.strip()
                and not _UNSAFE_CSS_VALUE.search(setting)):
            kept.append(f"{name}:{setting.strip()}")
    return ";".join(kept) or None


def _attributes() -> dict[str, set[str]]:
    attrs = copy.deepcopy(nh3.ALLOWED_ATTRIBUTES)
    # cite is a URL that ammonia does not check against url_schemes; it shows nothing anyway.
    for tag in ("q", "blockquote", "del", "ins"):
        attrs.get(tag, set()).discard("cite")
    attrs.setdefault("*", set()).update({"title", "lang", "dir", "style"})
    attrs["img"].update({"title", "loading"})
    attrs.setdefault("video", set()).update({"src", "poster", "controls", "width", "height"})
    attrs.setdefault("audio", set()).update({"src", "controls"})
    attrs.setdefault("source", set()).update({"src", "type", "media"})
    attrs.setdefault("track", set()).update({"src", "kind", "label", "srclang"})
    return attrs


# Sites behind hotlink protection (common with Chinese CDNs) serve images only without a
# Referer; keeping a source's no-referrer policy keeps its pictures visible in readers.
_REFERRER_POLICIES = {"no-referrer", "origin", "same-origin", "strict-origin",
                      "strict-origin-when-cross-origin", "no-referrer-when-downgrade"}

@functools.lru_cache(maxsize=64)
def _cleaner(base: str | None) -> nh3.Cleaner:
    """The sanitizer, resolving relative URLs against ``base`` (one per base, cached: a feed
    has one base, or a few with xml:base)."""
    return nh3.Cleaner(
        tags=(set(nh3.ALLOWED_TAGS) | _EXTRA_TAGS) - _DROP_WITH_CONTENT,
        clean_content_tags=_DROP_WITH_CONTENT,
        attributes=_attributes(),
        tag_attribute_values={"img": {"referrerpolicy": _REFERRER_POLICIES}},
        url_schemes=set(SAFE_SCHEMES) | {"mailto"},
        filter_style_properties=set(_STYLE_PROPERTIES),
        attribute_filter=_filter_attribute,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        url_relative=("rewrite_with_base", base) if base else "pass_through",
    )


def sanitize_html(markup: str, base: str | None = None, xml_clean: bool = False) -> str:
    """Allow-list sanitizing: no script, event handler, form, frame, or unsafe URL or style.

    Relative URLs are made absolute against ``base`` when one is given. ``xml_clean`` says
    ``markup`` holds no control character or lone surrogate (an XML parser read it), which
    spares a scan for them.
    """
    if not markup:
        return ""
    clean = xml_clean and "\ufffe" not in markup and "\uffff" not in markup
    cleaned = _cleaner(base).clean(markup if clean else xml_safe(markup))
    # Only a numeric character reference can bring back a character XML forbids.
    return xml_safe(cleaned) if "&#" in markup else cleaned


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) URL, else None."""
    if not url:
        return None
    url = url.strip()
    if _CONTROL.search(url):
        return None  # "\x01javascript:..." and friends: not a URL anyone meant
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in SAFE_SCHEMES and parts.netloc else None
