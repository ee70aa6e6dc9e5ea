"""The one place HTML from sources is made safe. Everything published passes through here."""

from __future__ import annotations

import copy
from urllib.parse import urlsplit

import nh3

SAFE_SCHEMES = frozenset({"http", "https"})

# Layout-neutral properties only: nothing that can hide content (display, visibility,
# opacity) or lay it over the reader's own interface (position, z-index, transforms).
_STYLE_PROPERTIES = frozenset({
    "color", "background-color", "font-size", "font-weight", "font-style", "font-family",
    "text-align", "text-decoration", "text-indent", "line-height", "letter-spacing",
    "margin", "margin-top", "margin-bottom", "margin-left", "margin-right",
    "padding", "padding-top", "padding-bottom", "padding-left", "padding-right",
    "width", "max-width", "height", "border", "border-collapse", "vertical-align",
    "white-space", "list-style-type",
})
_EXTRA_TAGS = {"figure", "figcaption", "picture", "source", "video", "audio", "track"}
_DROP_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "form", "textarea",
                      "select", "button", "noscript", "template", "svg", "math"}


def _attributes() -> dict[str, set[str]]:
    attrs = copy.deepcopy(nh3.ALLOWED_ATTRIBUTES)
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

_CLEANER = nh3.Cleaner(
    tags=(set(nh3.ALLOWED_TAGS) | _EXTRA_TAGS) - _DROP_WITH_CONTENT,
    clean_content_tags=_DROP_WITH_CONTENT,
    attributes=_attributes(),
    tag_attribute_values={"img": {"referrerpolicy": _REFERRER_POLICIES}},
    url_schemes=set(SAFE_SCHEMES) | {"mailto"},
    filter_style_properties=set(_STYLE_PROPERTIES),
    link_rel="noopener noreferrer nofollow",
    strip_comments=True,
)


def sanitize_html(markup: str) -> str:
    """Allow-list sanitizing: no script, event handler, form, frame, or unsafe URL or style."""
    if not markup:
        return ""
    return _CLEANER.clean(markup)


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) URL, else None."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in SAFE_SCHEMES and parts.netloc else None
