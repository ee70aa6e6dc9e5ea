"""A fast reader for RSS 2.0 and Atom 1.0, giving what feedparser would give.

feedparser reads every feed ever written, but at a few MB/s: its SAX pass does Python work
for every element and every run of text. Most feeds a hub polls are well-formed UTF-8 RSS 2.0
or Atom 1.0, which lxml reads at hundreds of MB/s; some are that but for a stray "&" or their
last end tags (see ``_mended_root``). This module reads those, and only those, into
the same mapping shape feedparser returns (``title``, ``title_detail``, ``content``,
``summary_detail``, ``links``, ``tags``, ``*_parsed``...), replaying feedparser's own rules for
each element it accepts, so that ``parse.py`` normalizes both readers' output with one code.

Anything it is not sure to read exactly as feedparser does (another encoding, a DOCTYPE,
xml:base, XHTML content, an element it does not know, a repeated element whose order would
matter) makes it refuse, and the caller falls back to feedparser. ``tests/unit/test_feedxml.py``
checks both readers field by field over the whole corpus.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import lxml.etree
from feedparser.datetimes import _parse_date
from feedparser.mixin import _cp1252, _FeedParserMixin
from feedparser.urls import _urljoin

ATOM = "http://www.w3.org/2005/Atom"
_PREFIXES = {
    "": "",
    ATOM: "atom",
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://search.yahoo.com/mrss/": "media",
    "http://purl.org/rss/1.0/modules/syndication/": "sy",
    "http://purl.org/rss/1.0/modules/slash/": "slash",
    "http://wellformedweb.org/CommentAPI/": "wfw",
}
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_HTML_TYPES = _FeedParserMixin.html_types
_C1 = re.compile("[\x80-\x9f]")
# The two ways a UTF-8 document can write a C1 control: encoded, or as a character reference.
_C1_ENCODED = re.compile(rb"\xc2[\x80-\x9f]")
_C1_REFERENCE = re.compile(rb"&#(?:[xX]0*[89][0-9a-fA-F]|0*1(?:2[89]|[3-5][0-9]));")
_BEYOND_LATIN1 = re.compile("[^\x00-\xff]")
_LINK_ENTITY = re.compile("&([A-Za-z0-9_]+);")
_DECLARED = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([\w.:-]+)[\"']")
_UTF8 = frozenset({"utf-8", "utf8"})
# RSS version attributes feedparser names; any other 2.x is "rss20".
_RSS_VERSIONS = {"0.91": "rss091u", "0.92": "rss092", "0.93": "rss093", "0.94": "rss094"}


class Refused(Exception):
    """This reader cannot promise feedparser's reading of the document."""


@dataclass(frozen=True, slots=True)
class RawFeed:
    """A feed as feedparser shapes it: its version, the feed's fields, the entries' fields."""

    version: str
    feed: dict[str, Any]
    entries: list[dict[str, Any]]
    # No string in it holds a control character or lone surrogate XML 1.0 forbids (lxml read
    # it); U+FFFE and U+FFFF may, as feedparser's repair of UTF-8 read as Latin-1 makes them.
    xml_clean: bool = False


def read_feed(body: bytes, content_type: str) -> RawFeed | None:
    """``body`` read the way feedparser would read it, or None where this reader refuses.

    ``content_type`` is the one the body is to be decoded by (see
    ``parse.effective_content_type``); only UTF-8 XML is read here.
    """
    try:
        root = _root(body, content_type)
        if root.tag == "rss":
            return _Reader(root, _may_hold_c1(body)).rss()
        if root.tag == f"{{{ATOM}}}feed":
            return _Reader(root, _may_hold_c1(body)).atom()
    except Refused:
        return None
    return None


def _root(body: bytes, content_type: str) -> lxml.etree._Element:
    mime, _, params = content_type.partition(";")
    charset = params.partition("charset=")[2].strip().lower() or None
    if "xml" not in mime or charset not in (None, *_UTF8) or b"xml:base" in body:
        raise Refused
    if body[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in body[:4]:
        raise Refused  # UTF-16 or UTF-32
    declared = _DECLARED.search(body.removeprefix(b"\xef\xbb\xbf")[:256])
    if declared and declared.group(1).decode("ascii").lower() not in _UTF8:
        raise Refused
    try:
        root = lxml.etree.fromstring(body, _parser(recover=False))
    except lxml.etree.XMLSyntaxError as exc:
        if exc.code not in _MENDABLE:
            raise Refused from None
        root = _mended_root(body)
    if root.getroottree().docinfo.doctype:
        raise Refused  # entity declarations: feedparser has rules of its own for them
    return root


def _parser(recover: bool) -> lxml.etree.XMLParser:
    return lxml.etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True,
                                remove_pis=True, huge_tree=False, recover=recover)


def _mended_root(body: bytes) -> lxml.etree._Element:
    """The document read past the two faults that most often make a feed ill-formed, as the
    well-formed document its writer meant (which is what feedparser reads of that one): an
    ampersand before white space (written for "and", not starting a reference) and a document
    that ends after an item or entry, or the channel, without the end tags of what holds it.
    Any other fault, or one of these where the intent is less plain (``AT&T``, ``&b=2``,
    ``&#12``, a document cut inside an element, whose unfinished text feedparser drops),
    refuses."""
    if not body.rstrip().endswith(_WHOLE_ELEMENT_ENDS):
        raise Refused
    parser = _parser(recover=True)
    try:
        root = lxml.etree.fromstring(_escape_bare_ampersands(body), parser)
    except lxml.etree.XMLSyntaxError:
        raise Refused from None
    if root is None or any(e.type != lxml.etree.ErrorTypes.ERR_TAG_NOT_FINISHED
                           for e in parser.error_log):
        raise Refused
    return root


# The first fault libxml2 reports for the two that _mended_root reads: "xmlParseEntityRef: no
# name" (an "&" before white space) and "Premature end of data" (missing end tags). Any other
# document goes to feedparser without a second parse.
_MENDABLE = frozenset({lxml.etree.ErrorTypes.ERR_NAME_REQUIRED,
                       lxml.etree.ErrorTypes.ERR_TAG_NOT_FINISHED})
# How a document the mending may read ends: whole, or cut after a whole item, entry or channel.
_WHOLE_ELEMENT_ENDS = (b"</rss>", b"</feed>", b"</item>", b"</entry>", b"</channel>")
_OPENERS = re.compile(rb"<!\[CDATA\[|<!--|<\?|&(?=\s)")
_CLOSERS = {b"<![CDATA[": b"]]>", b"<!--": b"-->", b"<?": b"?>"}


def _escape_bare_ampersands(body: bytes) -> bytes:
    """Each "&" before white space written ``&amp;``, but none inside a CDATA section, comment
    or processing instruction: those are passed over whole (one left open refuses). One pass,
    so that no document, however hostile, costs more than its length."""
    pieces: list[bytes] = []
    copied = searched = 0
    while (found := _OPENERS.search(body, searched)) is not None:
        opener = found.group()
        if opener == b"&":
            pieces += (body[copied:found.start()], b"&amp;")
            copied = searched = found.end()
            continue
        end = body.find(_CLOSERS[opener], found.end())
        if end < 0:
            raise Refused
        searched = end + len(_CLOSERS[opener])
    pieces.append(body[copied:])
    return b"".join(pieces)


def _name(element: lxml.etree._Element, atom_mode: bool) -> str:
    """``prefix:local`` by feedparser's prefixes for the namespaces it knows, else refuse.
    Atom's own elements have no prefix in an Atom document (``atom:link`` in RSS)."""
    tag = element.tag
    if not isinstance(tag, str):
        raise Refused
    if tag[0] != "{":
        return tag
    uri, _, local = tag[1:].partition("}")
    prefix = "" if atom_mode and uri == ATOM else _PREFIXES.get(uri)
    if prefix is None:
        raise Refused
    return f"{prefix}:{local}" if prefix else local


def _attributes(element: lxml.etree._Element) -> dict[str, str]:
    """Attributes as feedparser keys them: without namespace, lower-cased."""
    return {k.lower(): v for k, v in element.attrib.items() if k[0] != "{"}


def _leaf_text(element: lxml.etree._Element) -> str:
    """The text of an element that must hold text only (markup in it is feedparser's to
    serialize, so refuse)."""
    if len(element):
        raise Refused
    return element.text or ""


def _may_hold_c1(body: bytes) -> bool:
    """Whether any text of the UTF-8 document ``body`` may hold a C1 control (U+0080 to
    U+009F); when not, its bodies are spared the search for one, which was a quarter of
    reading a Chinese feed. (The repair of UTF-8 read as Latin-1 makes one only from one.)"""
    return bool(_C1_ENCODED.search(body) or _C1_REFERENCE.search(body))


def _text_value(value: str, c1: bool = True) -> str:
    """What feedparser's ``pop`` makes of a UTF-8 document's text: stripped, UTF-8 that was
    mis-decoded as Latin-1 repaired, C1 controls read as Windows-1252 (``c1``: the document
    may hold one, see :func:`_may_hold_c1`)."""
    return _repaired(value.strip(), c1)


def _repaired(value: str, c1: bool = True) -> str:
    if not value.isascii():
        # Text holding a character past Latin-1 was not UTF-8 read as Latin-1, and its failed
        # encoding (an exception for nearly every Chinese string) is spared.
        if not _BEYOND_LATIN1.search(value):
            with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
                value = value.encode("iso-8859-1").decode("utf-8")
        if c1 and _C1.search(value):
            value = value.translate(_cp1252)
    return value


class _Context(dict[str, Any]):
    """One entry's (or the feed's) fields, filled by feedparser's rules for each element."""

    def __init__(self, in_entry: bool) -> None:
        super().__init__()
        self.in_entry = in_entry

    def save(self, key: str, value: Any) -> None:
        self.setdefault(key, value)

    def add_tag(self, term: str | None, scheme: str | None, label: str | None) -> None:
        tags = self.setdefault("tags", [])
        if not term and not scheme and not label:
            return
        tag = {"term": term, "scheme": scheme, "label": label}
        if tag not in tags:
            tags.append(tag)

    def category(self, attrs: Mapping[str, str], value: str) -> None:
        self.add_tag(attrs.get("term"), attrs.get("scheme", attrs.get("domain")),
                     attrs.get("label"))
        if not value:
            return
        tags = self["tags"]
        if tags and not tags[-1]["term"]:
            tags[-1]["term"] = value
        else:
            self.add_tag(value, None, None)

    def link(self, attrs: dict[str, str], text: str | None, in_entry: bool) -> None:
        attrs.setdefault("rel", "alternate")
        attrs.setdefault("type", "application/atom+xml" if attrs["rel"] == "self" else "text/html")
        href = attrs.pop("url", None) or attrs.pop("uri", None) or attrs.get("href")
        if href:
            attrs["href"] = _urljoin("", href)
        links = self.setdefault("links", [])
        links.append(attrs)
        if href:
            if attrs["rel"] == "alternate" and _map_type(attrs["type"]) in _HTML_TYPES:
                self["link"] = attrs["href"]
        elif text is not None:
            value = _text_value(text)
            value = _urljoin("", value) if value else value
            # feedparser's repair of "?a=1&b;=2"; in entries it also unescapes &amp; first.
            if in_entry:
                value = value.replace("&amp;", "&")
            value = _LINK_ENTITY.sub(r"&\g<1>", value)
            self["link"] = value
            if value:
                links[-1]["href"] = value

    def guid(self, attrs: Mapping[str, str], text: str) -> None:
        is_link = attrs.get("ispermalink", "true") == "true"
        value = _text_value(text)
        if is_link and value:
            value = _urljoin("", value)
        self["id"] = value
        self.save("guidislink", is_link and "link" not in self)
        if is_link:
            self.save("link", value)

    def author(self, value: str, detail: Mapping[str, str] | None) -> None:
        """An RSS author (text: "email (Name)") or an Atom person (name, email children)."""
        authors = self.setdefault("authors", [])
        if detail:
            authors.append(dict(detail))
            name, email = detail.get("name"), detail.get("email")
            self["author"] = f"{name} ({email})" if name and email else name or email or ""
            return
        authors.append({})
        self["author"] = value

    def content(self, kind: str, value: str, language: str | None, src: str | None) -> None:
        params: dict[str, Any] = {"type": kind, "language": language, "base": ""}
        if src:
            params["src"] = src
        params["value"] = value
        self.setdefault("content", []).append(params)
        if kind in {"text/plain"} | _HTML_TYPES:
            self.save("summary", value)

    def text_construct(self, key: str, kind: str, value: str, language: str | None) -> None:
        """title and summary: the value and its ``_detail``."""
        self[key] = value
        self[f"{key}_detail"] = {"type": kind, "language": language, "base": "", "value": value}


def _map_type(kind: str) -> str:
    return str(_FeedParserMixin.map_content_type(kind))


def _construct_type(element: lxml.etree._Element, default: str) -> str:
    attrs = _attributes(element)
    if "mode" in attrs:
        raise Refused  # Atom 0.3's base64 and escaped modes
    kind = _map_type(attrs.get("type", default))
    if kind == "application/xhtml+xml":
        raise Refused
    return kind


def _date(value: str) -> Any:
    return _parse_date(_text_value(value))


class _Reader:
    """One document's walk, element by element, in document order (feedparser's is too, and
    the order decides some fields: a guid before a link is the link, a later link is not)."""

    def __init__(self, root: lxml.etree._Element, c1: bool) -> None:
        self.root = root
        self.atom_mode = root.tag != "rss"
        # Whether the document may hold a C1 control (:func:`_may_hold_c1`). Only the bodies
        # (content, summary, title) are spared the search: they are where it costs.
        self.c1 = c1

    def _lang(self, element: lxml.etree._Element, inherited: str | None) -> str | None:
        lang = element.get(_XML_LANG, element.get("lang"))
        if lang == "":
            return None
        return (lang if lang is not None else inherited)

    # -- RSS ------------------------------------------------------------------------------

    def rss(self) -> RawFeed:
        root = self.root
        version_attr = root.get("version", "")
        version = _RSS_VERSIONS.get(version_attr) or (
            "rss20" if version_attr.startswith("2.") else "rss")
        lang = self._lang(root, None)
        if len(root) != 1:
            raise Refused
        channel = root[0]
        if _name(channel, False) != "channel":
            raise Refused
        feed = _Context(in_entry=False)
        if lang:
            feed["language"] = lang.replace("_", "-")
        lang = self._lang(channel, lang)
        entries = []
        for child in channel:
            name = _name(child, self.atom_mode)
            if name == "item":
                entries.append(self._entry(child, self._lang(child, lang), _RSS_ITEM,
                                           _SINGULAR_RSS))
            else:
                self._channel_element(feed, name, child, self._lang(child, lang))
        return RawFeed(version, feed, entries, xml_clean=True)

    def _channel_element(self, feed: _Context, name: str, el: lxml.etree._Element,
                         lang: str | None) -> None:
        handler = _CHANNEL.get(name)
        if handler is None:
            raise Refused
        handler(self, feed, el, lang)

    def _entry(self, element: lxml.etree._Element, lang: str | None,
               handlers: Mapping[str, Handler], singular: frozenset[str]) -> dict[str, Any]:
        """An RSS item or Atom entry, by the format's element handlers."""
        entry = _Context(in_entry=True)
        seen: set[str] = set()
        for child in element:
            name = _name(child, self.atom_mode)
            if name in singular:
                if name in seen:
                    raise Refused  # feedparser's handling of a repeat depends on its state
                seen.add(name)
            handler = handlers.get(name)
            if handler is None:
                raise Refused
            handler(self, entry, child, self._lang(child, lang))
        return entry

    # -- Atom -----------------------------------------------------------------------------

    def atom(self) -> RawFeed:
        root = self.root
        feed = _Context(in_entry=False)
        lang = self._lang(root, None)
        if lang:
            feed["language"] = lang.replace("_", "-")
        entries = []
        for child in root:
            name = _name(child, self.atom_mode)
            child_lang = self._lang(child, lang)
            if name == "entry":
                entries.append(self._entry(child, child_lang, _ATOM_ENTRY, _SINGULAR_ATOM))
            else:
                handler = _ATOM_FEED.get(name)
                if handler is None:
                    raise Refused
                handler(self, feed, child, child_lang)
        return RawFeed("atom10", feed, entries, xml_clean=True)

    # -- element handlers (shared by both formats where feedparser's rules are shared) -----

    def _construct(self, el: lxml.etree._Element, default: str) -> tuple[str, str]:
        """A text construct's type and value; RSS's plain text that looks like HTML is HTML."""
        kind = _construct_type(el, default)
        value = _leaf_text(el).strip()
        if not self.atom_mode and kind == "text/plain" and \
                _FeedParserMixin.looks_like_html(value):
            kind = "text/html"
        return kind, _repaired(value, self.c1)

    def title(self, ctx: _Context, el: lxml.etree._Element, lang: str | None) -> None:
        kind, value = self._construct(el, "text/plain")
        if ctx.get("title"):
            return  # feedparser keeps the first non-empty title
        ctx.text_construct("title", kind, value, _norm_lang(lang))

    def summary(self, ctx: _Context, el: lxml.etree._Element, lang: str | None,
                default: str) -> None:
        if "summary" in ctx and not ctx.get("content"):
            raise Refused  # feedparser would read this one as the content
        kind, value = self._construct(el, default)
        ctx.text_construct("summary", kind, value, _norm_lang(lang))

    def description(self, ctx: _Context, el: lxml.etree._Element, lang: str | None) -> None:
        self.summary(ctx, el, lang, "text/html")

    def atom_summary(self, ctx: _Context, el: lxml.etree._Element, lang: str | None) -> None:
        self.summary(ctx, el, lang, "text/plain")

    def encoded(self, ctx: _Context, el: lxml.etree._Element, lang: str | None) -> None:
        kind = _construct_type(el, "text/html")
        ctx.content(kind, _text_value(_leaf_text(el), self.c1), _norm_lang(lang), None)

    def atom_content(self, ctx: _Context, el: lxml.etree._Element, lang: str | None) -> None:
        kind = _construct_type(el, "text/plain")
        ctx.content(kind, _text_value(_leaf_text(el), self.c1), _norm_lang(lang),
                    el.get("src"))

    def link(self, ctx: _Context, el: lxml.etree._Element, lang: str | None) -> None:
        attrs = _attributes(el)
        if not attrs.keys() & {"href", "url", "uri"}:
            if self.atom_mode:
                raise Refused
            ctx.link(attrs, _leaf_text(el), ctx.in_entry)
        else:
            if len(el) or (el.text or "").strip():
                raise Refused
            ctx.link(attrs, None, ctx.in_entry)

    def guid(self, ctx: _Context, el: lxml.etree._Element, lang: str | None) -> None:
        ctx.guid(_attributes(el), _leaf_text(el))

    def published(self, ctx: _Context, el: lxml.etree._Element, lang: str | None) -> None:
        ctx["published_parsed"] = _date(_leaf_text(el))

    def updated(self, ctx: _Context, el: lxml.etree._Element, lang: str | None) -> None:
        ctx["updated_parsed"] = _date(_leaf_text(el))

    def rss_author(self, ctx: _Context, el: lxml.etree._Element, lang: str | None) -> None:
        ctx.author(_text_value(_leaf_text(el)), None)

    def atom_person(self, ctx: _Context, el: lxml.etree._Element, lang: str | None) -> None:
        if (el.text or "").strip():
            raise Refused
        detail: dict[str, str] = {}
        for part in el:
            name = _name(part, self.atom_mode)
            if name not in ("name", "email", "uri") or (part.tail or "").strip():
                raise Refused
            if name != "uri":
                detail[name] = _text_value(_leaf_text(part))
        ctx.author("", detail)

    def category(self, ctx: _Context, el: lxml.etree._Element, lang: str | None) -> None:
        ctx.category(_attributes(el), _text_value(_leaf_text(el)))

    def enclosure(self, ctx: _Context, el: lxml.etree._Element, lang: str | None) -> None:
        attrs = _attributes(el)
        href = attrs.pop("url", None) or attrs.pop("uri", None) or attrs.get("href")
        if href:
            attrs["href"] = href
        attrs["rel"] = "enclosure"
        ctx.setdefault("links", []).append(attrs)

    def media_thumbnail(self, ctx: _Context, el: lxml.etree._Element, lang: str | None) -> None:
        attrs = _attributes(el)
        url = _text_value(_leaf_text(el))
        if url and "url" not in attrs:
            attrs["url"] = url
        ctx.setdefault("media_thumbnail", []).append(attrs)

    def media_content(self, ctx: _Context, el: lxml.etree._Element, lang: str | None) -> None:
        if len(el):
            raise Refused  # its children (media:title...) are read as the entry's own
        ctx.setdefault("media_content", []).append(_attributes(el))

    def ignored(self, ctx: _Context, el: lxml.etree._Element, lang: str | None) -> None:
        """An element whose value feedparser keeps somewhere feedhub never reads."""
        if len(el):
            raise Refused

    def ignored_tree(self, ctx: _Context, el: lxml.etree._Element, lang: str | None) -> None:
        """An element whose children feedparser keeps apart (image, skipHours)."""
        for part in el:
            if len(part) or _name(part, False) in ("item", "entry", "language"):
                raise Refused

    def language(self, ctx: _Context, el: lxml.etree._Element, lang: str | None) -> None:
        ctx["language"] = _text_value(_leaf_text(el))


Handler = Callable[[_Reader, _Context, lxml.etree._Element, str | None], None]


def _keep(key: str) -> Handler:
    """A text element feedparser keeps under ``key`` as it is (ttl, sy:updatePeriod)."""
    def keep(reader: _Reader, ctx: _Context, el: lxml.etree._Element, lang: str | None) -> None:
        ctx[key] = _text_value(_leaf_text(el))
    return keep


def _norm_lang(lang: str | None) -> str | None:
    return lang.replace("_", "-") if lang else lang


_R = _Reader
_SINGULAR_RSS = frozenset({"title", "link", "description", "guid", "pubDate", "content:encoded",
                           "dc:date", "source", "comments"})
# Two Atom authors: feedparser carries the first one's e-mail address over to the second.
_SINGULAR_ATOM = frozenset({"title", "id", "summary", "content", "published", "updated",
                            "author"})
_RSS_ITEM: dict[str, Handler] = {
    "title": _R.title, "link": _R.link, "description": _R.description, "guid": _R.guid,
    "author": _R.rss_author, "dc:creator": _R.rss_author, "category": _R.category,
    "dc:subject": _R.category, "pubDate": _R.published, "dc:date": _R.updated,
    "enclosure": _R.enclosure, "content:encoded": _R.encoded,
    "media:thumbnail": _R.media_thumbnail, "media:content": _R.media_content,
    "atom:link": _R.link, "comments": _R.ignored, "source": _R.ignored,
    "slash:comments": _R.ignored, "wfw:commentRss": _R.ignored, "wfw:comment": _R.ignored,
}
_CHANNEL: dict[str, Handler] = {
    "title": _R.title, "link": _R.link, "atom:link": _R.link, "language": _R.language,
    "lastBuildDate": _R.updated, "dc:date": _R.updated, "pubDate": _R.published,
    "managingEditor": _R.rss_author, "dc:creator": _R.rss_author,
    "ttl": _keep("ttl"), "sy:updatePeriod": _keep("sy_updateperiod"),
    "sy:updateFrequency": _keep("sy_updatefrequency"),
    "description": _R.ignored, "generator": _R.ignored, "docs": _R.ignored,
    "copyright": _R.ignored, "webMaster": _R.ignored, "category": _R.ignored,
    "cloud": _R.ignored, "rating": _R.ignored, "sy:updateBase": _R.ignored,
    "image": _R.ignored_tree, "skipHours": _R.ignored_tree, "skipDays": _R.ignored_tree,
}
_ATOM_ENTRY: dict[str, Handler] = {
    "title": _R.title, "link": _R.link, "id": _R.guid, "summary": _R.atom_summary,
    "content": _R.atom_content, "published": _R.published, "issued": _R.published,
    "updated": _R.updated, "modified": _R.updated, "author": _R.atom_person,
    "category": _R.category, "media:thumbnail": _R.media_thumbnail,
    "media:content": _R.media_content, "rights": _R.ignored,
}
_ATOM_FEED: dict[str, Handler] = {
    "title": _R.title, "link": _R.link, "id": _R.guid, "updated": _R.updated,
    "author": _R.atom_person, "subtitle": _R.ignored, "icon": _R.ignored, "logo": _R.ignored,
    "generator": _R.ignored, "rights": _R.ignored, "category": _R.ignored,
}
