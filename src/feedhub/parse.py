"""Bytes to normalized entries, with feedparser. Never hands feedparser a string it could open.

feedparser treats a ``str`` or ``bytes`` argument as a URL or a file name when it looks like one,
so the body is always wrapped in a stream.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import io
import re
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import feedparser

from feedhub import charsets
from feedhub.dedup import canonical_link, content_hash, entry_key, is_absolute_iri
from feedhub.errors import ParseError
from feedhub.feedxml import RawFeed, read_feed
from feedhub.filters import passes
from feedhub.model import Entry, ParsedFeed, Source
from feedhub.sanitize import safe_url, sanitize_html
from feedhub.schedule import feed_period
from feedhub.text import fold_whitespace, plain_text, sanitized_text
from feedhub.thumbnail import choose_thumbnail

FUTURE_TOLERANCE = timedelta(days=1)
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([\w.:-]+)[\"']", re.IGNORECASE)
_CHAR_REF = re.compile(rb"&#([xX][0-9a-fA-F]{1,8}|[0-9]{1,10});")
_LANG_TAG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
_SINGLE_BYTE = frozenset({"iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii",
                          "windows-1252", "cp1252"})
_GB_FAMILY = frozenset({"gb2312", "gbk", "x-gbk", "gb_2312-80", "cp936"})
_EMAIL_THEN_NAME = re.compile(r"^[^\s@()]+@[^\s@()]+\s*\((?P<name>[^)]+)\)$")
_NAME_THEN_EMAIL = re.compile(r"^(?P<name>[^<]+?)\s*<[^<>\s@]+@[^<>\s]+>$")


def parse_feed(body: bytes, source: Source, url: str, headers: Mapping[str, str],
               now: datetime, known: Mapping[str, str] | None = None) -> ParsedFeed:
    """Parse a fetched body into a ParsedFeed; raise ParseError when it is not a feed.

    ``known`` maps the :func:`raw_digest` of each entry the source's feed held when last
    stored to its key; those entries are not normalized again (see :func:`normalize`).
    """
    content_type = headers.get("content-type", "")
    if not body.strip():
        raise ParseError(f"not a feed: empty body from {url}")
    # Without a Content-Type feedparser assumes HTTP's old ISO-8859-1 default; XML's own rules
    # (BOM, then the encoding declaration, then UTF-8) are what a missing header should mean.
    # No Content-Location: feedparser would resolve bare guids ("1") against it, making two
    # sources on one host claim the same id; relative URLs are resolved here instead.
    effective_type = effective_content_type(body, content_type)
    body = defuse_character_references(body)
    parsed = read_feed(body, effective_type) or read_tolerantly(body, effective_type, url)
    if not parsed.version and not parsed.entries:
        kind = content_type.split(";")[0].strip() or "an unknown type"
        raise ParseError(f"not a feed: got {kind} from {url}")
    return normalize(parsed, source, url, now, known)


def normalize(parsed: RawFeed, source: Source, url: str, now: datetime,
              known: Mapping[str, str] | None = None) -> ParsedFeed:
    """A feed as either reader gives it, made into feedhub's entries: sanitized, deduplicated
    within the feed, filtered by the source's rules.

    An entry whose raw form (and everything else its normalizing depends on) has the digest of
    one already stored is only listed, by key, in ``unchanged``: a feed that gained one entry
    costs one entry's sanitizing, not fifty.
    """
    feed = parsed.feed
    feed_link = safe_url(feed.get("link"))
    feed_author = _author_name(feed)
    fallback_author = feed_author or source.author or source.site_name
    feed_lang = _lang(feed.get("language"))
    context = repr((url, feed_link, fallback_author, feed_lang, source.include, source.exclude))
    entries: dict[str, Entry] = {}
    unchanged: dict[str, None] = {}
    for raw in parsed.entries:
        digest = raw_digest(raw, context)
        if known and (key := known.get(digest)) is not None:
            if key not in entries:
                unchanged.setdefault(key, None)
            continue
        entry = _entry(raw, url, feed_link, fallback_author, now, feed_lang, digest,
                       parsed.xml_clean)
        # A key repeated within one feed is one entry: the first (newest) wins, so the two
        # copies cannot overwrite each other on every poll.
        if entry.key not in entries and entry.key not in unchanged and (
                not (source.include or source.exclude)
                or passes(entry.title, sanitized_text(entry.content.decode()), source.include,
                          source.exclude)):
            entries[entry.key] = entry
    return ParsedFeed(
        title=plain_text(feed.get("title", "")) or source.path[-1],
        link=feed_link,
        entries=tuple(entries.values()),
        period=feed_period(feed.get("ttl"), feed.get("sy_updateperiod"),
                           feed.get("sy_updatefrequency")),
        feed_id=feed.get("id") if is_absolute_iri(feed.get("id")) else None,
        updated=_when(dict.get(feed, "updated_parsed"), now),
        unchanged=tuple(unchanged),
    )


def raw_digest(raw: dict[str, Any], context: str) -> str:
    """A digest of one entry as a reader gave it, with ``context`` (what else its normalizing
    depends on): equal digests mean normalizing would give the same entry."""
    digest = hashlib.sha256(_utf8(context))
    # Long strings (the bodies: most of an entry) go in as they are, each after its length:
    # repr would copy and escape them. Both readers hold a body twice (``summary`` and
    # ``summary_detail``); a repeat of one string object is named by where it was first seen.
    # Everything else, with the place of each long string, goes in as one repr at the end.
    fields: list[tuple[Any, ...]] = []
    seen: dict[int, tuple[str, Any]] = {}
    for key, value in raw.items():
        if isinstance(value, dict):
            fields.append((key, len(value)))
            items: Iterable[tuple[Any, Any]] = value.items()
        else:
            items = ((None, value),)
        for inner, item in items:
            if type(item) is not str or len(item) < _LONG:
                fields.append((key, inner, item))
            elif (first := seen.get(id(item))) is not None:
                fields.append((key, inner, "same as", first))
            else:
                seen[id(item)] = (key, inner)
                data = _utf8(item)
                digest.update(b"%d\x1f" % len(data))
                digest.update(data)
                fields.append((key, inner, "long", len(data)))
    digest.update(_utf8(repr(fields)))
    return digest.hexdigest()[:32]


# Strings from this long are hashed as they are (see raw_digest).
_LONG = 256


def _utf8(value: str) -> bytes:
    return value.encode("utf-8", "surrogatepass")


def read_tolerantly(body: bytes, content_type: str, url: str) -> RawFeed:
    """feedparser's reading, for every feed the fast reader refuses; ``content_type`` as
    :func:`effective_content_type` gives it, ``body`` as
    :func:`defuse_character_references` leaves it."""
    try:
        parsed = feedparser.parse(
            io.BytesIO(body),
            response_headers={"content-type": content_type},
            # nh3 sanitizes below, with a stricter allow-list, and resolves relative URLs while
            # it is at it: feedparser's own passes re-parse every body twice in pure Python.
            resolve_relative_uris=False,
            sanitize_html=False,
        )
    except Exception as exc:  # feedparser has bugs on hostile input; one feed must not crash
        raise ParseError(f"cannot parse the feed from {url}: {type(exc).__name__}: {exc}") \
            from None
    return RawFeed(parsed.get("version") or "", parsed.feed, parsed.entries)


def defuse_character_references(body: bytes) -> bytes:
    """Numeric character references to code points XML forbids (surrogates, controls, past
    U+10FFFF) become U+FFFD: feedparser raises on some of them and loses the whole feed."""
    if b"&#" not in body:
        return body

    def fix(match: re.Match[bytes]) -> bytes:
        digits = match.group(1)
        try:
            code = int(digits[1:], 16) if digits[:1] in (b"x", b"X") else int(digits)
        except ValueError:
            return match.group(0)
        allowed = (code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF
                   or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF)
        return match.group(0) if allowed else b"&#xFFFD;"

    return _CHAR_REF.sub(fix, body)


def effective_content_type(body: bytes, content_type: str) -> str:
    """The Content-Type to decode ``body`` by, correcting the charset lies seen in the wild.

    - none at all: XML's own rules (BOM, declaration, else UTF-8), not HTTP's old ISO-8859-1;
    - a single-byte charset (Latin-1, ASCII, Windows-1252) over a body that is valid UTF-8 with
      non-ASCII bytes: UTF-8, since such byte runs are all but impossible in real Latin-1 text;
    - GB2312 or GBK, in the header or the XML declaration: GB18030, their superset, so the
      characters GB2312 lacks but Chinese sites use anyway still decode;
    - nothing declared (no charset, no encoding, no BOM) over bytes that are not UTF-8: the
      charset detected from them (:mod:`feedhub.charsets`).
    """
    mime, _, params = (content_type or "application/xml").partition(";")
    match = _CHARSET.search(params)
    charset = match.group(1).lower() if match else None
    if charset is None and (declared := _XML_ENCODING.search(body[:256])):
        if declared.group(1).decode("ascii").lower() in _GB_FAMILY:
            charset = "gb18030"
    elif charset is None:
        if charsets.needs_detection(body):
            charset = charsets.detect(body)
    elif charset in _SINGLE_BYTE and not body.isascii():
        try:
            body.decode("utf-8")
            charset = "utf-8"
        except UnicodeDecodeError:
            pass
    elif charset in _GB_FAMILY:
        charset = "gb18030"
    return f"{mime.strip()}; charset={charset}" if charset else mime.strip()


def _entry(raw: dict[str, Any], url: str, feed_link: str | None, fallback_author: str,
           now: datetime, feed_lang: str | None, digest: str, xml_clean: bool) -> Entry:
    link = _absolute(url, raw.get("link"))
    guid = raw.get("id") or None
    if raw.get("guidislink") and not is_absolute_iri(guid) and raw.get("link") == guid:
        link = None  # a bare guid is no address, whatever isPermaLink claims
    title = plain_text(raw.get("title", ""))
    content, summary = _bodies(raw, url, xml_clean)
    # The plain text stands in for a missing title or key only. Most entries have both, and
    # taking the text of every body cost a cold ingest a tenth of its parsing.
    identified = bool(guid and guid.strip()) or link is not None
    text = sanitized_text(content) if not (title and identified) else ""
    # dict.get: FeedParserDict.get would silently map a missing published to updated.
    published = _when(dict.get(raw, "published_parsed"), now)
    updated = _when(dict.get(raw, "updated_parsed"), now)
    base = _xml_base(raw, url) or link or feed_link or url
    thumbnail = choose_thumbnail(
        media_thumbnails=raw.get("media_thumbnail") or (),
        media_contents=raw.get("media_content") or (),
        enclosures=[lk for lk in raw.get("links", ()) if lk.get("rel") == "enclosure"],
        itunes_image=(raw.get("image") or {}).get("href"),
        content=content,
        summary=summary,
        base=base,
    )
    return Entry(
        key=entry_key(guid, link, "" if identified else content_hash(title, text)),
        source_id_iri=guid.strip() if guid and is_absolute_iri(guid) else None,
        title=title or _untitled(text, link),
        link=link,
        canonical_link=canonical_link(link),
        author=_author_name(raw) or fallback_author,
        content=content.encode(),
        summary=summary,
        published=published,
        updated=updated,
        categories=_categories(raw),
        thumbnail=thumbnail,
        lang=_lang((raw.get("title_detail") or {}).get("language")) or feed_lang,
        digest=digest,
    )


def _absolute(base: str, href: str | None) -> str | None:
    """``href`` made absolute against ``base``, if it then is an http(s) URL."""
    if not href:
        return None
    try:
        return safe_url(urljoin(base, href))
    except ValueError:  # "http://[zz/" and other unparsable URLs
        return None


def _xml_base(raw: dict[str, Any], url: str) -> str | None:
    """The entry's explicit xml:base, if any, made absolute."""
    details = [*(raw.get("content") or ()), raw.get("summary_detail"), raw.get("title_detail")]
    for detail in details:
        if base := (detail or {}).get("base"):
            return _base(url, base)
    return None


def _base(url: str, xml_base: str | None) -> str:
    """The base URL in effect: xml:base (itself relative to the document) or the document's."""
    if not xml_base:
        return url
    try:
        return urljoin(url, xml_base)
    except ValueError:
        return url


def _bodies(raw: dict[str, Any], url: str, xml_clean: bool) -> tuple[str, str]:
    """Sanitized (content, summary); a feed with only a description gives it as the content.
    ``xml_clean``: as :class:`RawFeed` says."""
    contents = raw.get("content") or []
    best = max(contents, key=lambda c: ("html" in c.get("type", ""), len(c.get("value", ""))),
               default=None)
    content = _as_html(best, url, xml_clean) if best else ""
    summary = (_as_html(raw.get("summary_detail"), url, xml_clean) if raw.get("summary")
               else "")
    if not content:
        return summary, ""
    return content, ("" if fold_whitespace(summary) == fold_whitespace(content) else summary)


def _as_html(detail: dict[str, Any] | None, url: str, xml_clean: bool) -> str:
    """A content construct as sanitized HTML, its relative URLs resolved against its xml:base
    (feedparser reports the base in effect for each element) or the document URL."""
    if not detail:
        return ""
    value = detail.get("value", "")
    if "html" not in detail.get("type", "text/html"):
        value = html.escape(value).replace("\n", "<br>")
    return sanitize_html(value, _base(url, detail.get("base")), xml_clean=xml_clean).strip()


def _lang(value: str | None) -> str | None:
    """A language tag as xml:lang wants it (BCP 47 shape), or None for anything else."""
    if not value:
        return None
    tag = value.strip().replace("_", "-")
    return tag if _LANG_TAG.match(tag) else None


def _author_name(obj: dict[str, Any]) -> str:
    """The display name of an entry's or feed's author, without the e-mail address RSS adds."""
    raw = plain_text(obj.get("author") or "")
    # RSS writes "email (Name)"; others write "Name <email>". feedparser's own split of these
    # mangles non-ASCII names, so the name is taken from the raw text.
    if match := _EMAIL_THEN_NAME.match(raw) or _NAME_THEN_EMAIL.match(raw):
        return match.group("name").strip()
    if raw:
        return raw
    names = [a.get("name") for a in obj.get("authors") or () if a.get("name")]
    return plain_text(", ".join(names))


def _categories(raw: dict[str, Any]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for tag in raw.get("tags") or ():
        name = plain_text(tag.get("label") or tag.get("term") or "")
        if name:
            seen.setdefault(name, None)
    return tuple(seen)


def _when(value: time.struct_time | None, now: datetime) -> datetime | None:
    """A feedparser date (UTC) as an aware datetime; None when absent or implausible (in the
    future, or before 1970: year-1 and year-1900 placeholders are common)."""
    if not value:
        return None
    try:
        when = datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None
    return None if when > now + FUTURE_TOLERANCE or when.year < 1970 else when


def _untitled(text: str, link: str | None) -> str:
    if text:
        return text[:80] + ("…" if len(text) > 80 else "")
    return link or "(untitled)"
