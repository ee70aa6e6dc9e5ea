"""The fast reader (lxml) against feedparser, field by field: every file of the corpus, the
generated big feeds, benchmark farm feeds and crafted cases for feedparser's order-dependent
rules. Wherever the fast reader accepts a document, feedhub must store exactly what it would
have stored from feedparser's reading; where it refuses, feedparser reads it."""

from __future__ import annotations

import importlib.util
import json
import random
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import lxml.etree
import pytest

from feedhub.feedxml import read_feed
from feedhub.model import ParsedFeed, Source
from feedhub.parse import (
    defuse_character_references,
    effective_content_type,
    normalize,
    parse_feed,
    read_tolerantly,
)

CORPUS = Path(__file__).parents[1] / "corpus"
NOT_FEEDS = {"README.md", "content-types.json", "make_big.py"}
TYPES: dict[str, str] = json.loads((CORPUS / "content-types.json").read_text(encoding="utf-8"))
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SOURCE = Source(path=("话题", "站点", "路由"), url="http://127.0.0.1:9/feed", interval=3600)
URL = "http://127.0.0.1:9/feed.xml"


def both(body: bytes, content_type: str) -> tuple[ParsedFeed | None, ParsedFeed | None]:
    """(fast reading, feedparser reading), each normalized; the fast one None if refused."""
    effective = effective_content_type(body, content_type)
    body = defuse_character_references(body)
    fast = read_feed(body, effective)
    slow = read_tolerantly(body, effective, URL)
    if fast is None:
        return None, None
    return normalize(fast, SOURCE, URL, NOW), normalize(slow, SOURCE, URL, NOW)


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name not in NOT_FEEDS)


def assert_same(fast: ParsedFeed, slow: ParsedFeed, name: str) -> None:
    assert fast.title == slow.title, name
    assert fast.link == slow.link, name
    assert (fast.period, fast.feed_id, fast.updated) == (slow.period, slow.feed_id,
                                                          slow.updated), name
    assert len(fast.entries) == len(slow.entries), name
    for a, b in zip(fast.entries, slow.entries, strict=True):
        # The digests are of each reader's raw mapping, which differ in shape; every field
        # feedhub stores must not.
        assert replace(a, digest="") == replace(b, digest=""), f"{name}: entry {b.key}"


def test_every_corpus_file_the_fast_reader_accepts_reads_as_feedparser_reads_it() -> None:
    accepted, refused = [], []
    for path in corpus_files():
        name = str(path.relative_to(CORPUS))
        fast, slow = both(path.read_bytes(), TYPES.get(name, "application/xml"))
        if fast is None:
            refused.append(name)
            continue
        assert slow is not None
        assert_same(fast, slow, name)
        accepted.append(name)
    # Not a hollow comparison: most well-formed UTF-8 RSS 2.0 and Atom 1.0 files go fast...
    assert len(accepted) >= 40, accepted
    assert any(n.startswith("xss/") for n in accepted)
    assert any(n.startswith("formats/atom10/") for n in accepted)
    # ...and what it cannot promise to read as feedparser does, it leaves to feedparser.
    for must_refuse in ("formats/atom03/", "formats/rss10/", "encodings/gb/", "encodings/utf16/",
                        "malformed/broken/stray-ampersand.xml", "malformed/broken/unclosed-tags",
                        "entities/html/named-in-rss.xml", "entities/html/billion-laughs.xml",
                        "entities/html/xxe.xml", "xss/urls/xml-base-javascript.xml"):
        assert not [n for n in accepted if n.startswith(must_refuse)], must_refuse


def test_the_generated_big_feeds_read_the_same(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_big", CORPUS / "make_big.py")
    assert spec is not None and spec.loader is not None
    make_big = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_big)
    make_big.write_big_feeds(tmp_path)
    read = 0
    for path in sorted(tmp_path.iterdir()):
        fast, slow = both(path.read_bytes(), "application/xml")
        if fast is not None:
            assert slow is not None
            assert_same(fast, slow, path.name)
            read += 1
    assert read >= 2


def test_benchmark_farm_feeds_read_the_same() -> None:
    sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
    try:
        from farm import feed_xml
    finally:
        sys.path.pop(0)
    rng = random.Random(3)
    for site in range(4):
        # The farm's share of ill-formed feeds too: a stray "&", no end tags.
        body = feed_xml(rng, site, 12, NOW, ill_formed=site % 2 == 1).encode()
        fast, slow = both(body, "application/rss+xml")
        assert fast is not None and slow is not None
        assert_same(fast, slow, f"farm {site}")
        assert len(fast.entries) == 12


RSS = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
       'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom" '
       'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
       'xmlns:media="http://search.yahoo.com/mrss/"><channel><title>频道</title>'
       '<link>http://example.cn/?a=1&amp;b=2</link>{channel}{items}</channel></rss>')
ATOM = ('<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{lang}"><title>T</title>'
        '<id>urn:uuid:60a76c80-d399-11d9-b91C-0003939e0af6</id>{feed}{entries}</feed>')
CRAFTED_RSS = {
    "guid before link": "<item><guid>http://a.cn/1</guid><link>http://a.cn/l</link></item>",
    "link before guid": "<item><link>http://a.cn/l</link><guid>http://a.cn/1</guid></item>",
    "bare guid": "<item><guid>42</guid><title>t</title></item>",
    "bare guid before link": "<item><guid>42</guid><link>http://a.cn/l</link></item>",
    "guid not a permalink": '<item><guid isPermaLink="false">http://a.cn/1</guid></item>',
    "guid permalink True": '<item><guid isPermaLink="True">x</guid><title>t</title></item>',
    "extra slashes": "<item><guid>http:///a.cn/1</guid><title>t</title></item>",
    "link with entities": "<item><link>http://a.cn/?a=1&amp;amp;b=2&amp;c;=3</link></item>",
    "atom link in item": ('<item><guid>g</guid><atom:link href="http://a.cn/x"/>'
                          '<title>t</title></item>'),
    "categories": ('<item><title>t</title><category domain="d">甲</category><category>乙'
                   '</category><category domain="e"/><category>甲</category><dc:subject>丙'
                   '</dc:subject></item>'),
    "authors": ("<item><title>t</title><author>ed@a.cn (编辑)</author><dc:creator>第二</dc:creator>"
                "</item>"),
    "double-encoded title": "<item><title>Ã©tÃ© cafÃ©</title><guid>g</guid></item>",
    "C1 controls": "<item><title>\u0093quoted\u0094 \u0080</title><guid>g</guid></item>",
    "C1 controls in Chinese bodies": ("<item><title>标题\u0096</title><description>中文 \u0093引"
                                      "号\u0094 正文</description><content:encoded>长\u0085文"
                                      "</content:encoded></item>"),
    "near misses of C1 controls": ("<item><title>t\u00a0&#160;</title><description>中文"
                                   "\u00a0&#160;&#127;&#x7F;&#x0A0;é</description></item>"),
    "C1 controls as references": ("<item><title>&#147;t&#x94;</title><description>中文&#128; "
                                  "&#x009F;正文</description><content:encoded>中文&#0150;"
                                  "</content:encoded></item>"),
    "html title": "<item><title>A &lt;b&gt;bold&lt;/b&gt; &amp;amp; more</title></item>",
    "content and description": ('<item><title>t</title><description>短</description>'
                                '<content:encoded><![CDATA[<p>长 <a href="/x">链接</a></p>'
                                '<script>alert(1)</script>]]></content:encoded></item>'),
    "content only": '<item><content:encoded>&lt;p&gt;x&lt;/p&gt;</content:encoded></item>',
    "typed description": '<item><description type="text/plain">a &lt; b</description></item>',
    "media": ('<item><title>t</title><media:content url="http://i.cn/a.jpg" medium="image" '
              'width="10" height="10"/><media:thumbnail url="http://i.cn/t.jpg"/>'
              '<enclosure url="http://i.cn/e.jpg" type="image/jpeg" length="1"/></item>'),
    "dates": ("<item><title>t</title><pubDate>Tue, 24 Nov 2026 08:00:00 +0800</pubDate>"
              "<dc:date>2026-11-24T01:00:00Z</dc:date></item>"),
    "bad date": "<item><title>t</title><pubDate>yesterday-ish</pubDate></item>",
    "xml:lang on item": '<item xml:lang="zh_CN"><title>t</title></item>',
    "empty item": "<item/>",
    "empty fields": "<item><title></title><link></link><guid></guid><author/></item>",
}
CRAFTED_CHANNEL = {
    "language, ttl, dates": ("<language>zh_CN</language><ttl>90</ttl><lastBuildDate>Tue, 24 Nov "
                             "2026 08:00:00 GMT</lastBuildDate><managingEditor>e@a.cn (主编)"
                             "</managingEditor>"),
    "atom self link": '<atom:link href="http://a.cn/feed" rel="self"/>',
    "atom alternate link": '<atom:link href="http://b.cn/"/>',
    "image": "<image><title>图</title><url>http://a.cn/i.png</url><link>http://x/</link></image>",
}
CRAFTED_ATOM = {
    "html and text": ('<entry><id>urn:x:1</id><title type="html">A &amp;lt;i&amp;gt;</title>'
                      '<summary>plain &lt;b&gt;</summary><content type="html">&lt;p&gt;正文'
                      '&lt;/p&gt;</content><updated>2026-11-24T01:00:00Z</updated></entry>'),
    "links": ('<entry><link href="http://a.cn/alt"/><id>urn:x:2</id>'
              '<link rel="enclosure" href="http://a.cn/e.jpg" type="image/jpeg"/>'
              '<link rel="related" href="http://a.cn/r"/><title>t</title></entry>'),
    "id before link": ('<entry><id>http://a.cn/id</id><link rel="alternate" type="text/html" '
                       'href="http://a.cn/alt"/><title>t</title></entry>'),
    "http id, no link": "<entry><id>http://a.cn/only-id</id><title>t</title></entry>",
    "author": ("<entry><id>urn:x:3</id><title>t</title><author><name>作者</name>"
               "<email>a@a.cn</email></author></entry>"),
    "author without email": ("<entry><id>urn:x:4</id><title>t</title><author><name>作者</name>"
                             "<uri>http://a.cn/</uri></author></entry>"),
    "categories": ('<entry><id>urn:x:5</id><title>t</title><category term="a" label="甲"/>'
                   '<category term="b"/></entry>'),
    "content src": ('<entry><id>urn:x:6</id><title>t</title>'
                    '<content src="http://a.cn/c" type="text/html"/></entry>'),
    "lang override": '<entry xml:lang="en"><id>urn:x:7</id><title>t</title></entry>',
}


@pytest.mark.parametrize("name", sorted(CRAFTED_RSS))
def test_crafted_rss_items_read_the_same(name: str) -> None:
    body = RSS.format(channel="", items=CRAFTED_RSS[name] * 2).encode()
    fast, slow = both(body, "application/rss+xml; charset=utf-8")
    assert fast is not None and slow is not None, name
    assert_same(fast, slow, name)


@pytest.mark.parametrize("name", sorted(CRAFTED_CHANNEL))
def test_crafted_rss_channels_read_the_same(name: str) -> None:
    body = RSS.format(channel=CRAFTED_CHANNEL[name],
                      items="<item><title>t</title></item>").encode()
    fast, slow = both(body, "application/rss+xml")
    assert fast is not None and slow is not None, name
    assert_same(fast, slow, name)


@pytest.mark.parametrize("name", sorted(CRAFTED_ATOM))
@pytest.mark.parametrize("lang", ["zh-CN", ""])
def test_crafted_atom_entries_read_the_same(name: str, lang: str) -> None:
    body = ATOM.format(lang=lang, feed='<link href="http://a.cn/"/>',
                       entries=CRAFTED_ATOM[name]).encode()
    fast, slow = both(body, "application/atom+xml")
    assert fast is not None and slow is not None, name
    assert_same(fast, slow, name)


@pytest.mark.parametrize("body", [
    # feedparser's rules for these depend on its state, or on what it serializes itself
    RSS.format(channel="", items="<item><description>a</description><description>b"
                                 "</description></item>"),
    RSS.format(channel="", items="<item><description><p>xhtml</p></description></item>"),
    RSS.format(channel="<itunes:author xmlns:itunes='http://www.itunes.com/dtds/podcast-1.0."
                       "dtd'>x</itunes:author>", items=""),
    ATOM.format(lang="", feed="", entries='<entry xml:base="http://b/"><id>u:1</id></entry>'),
    ATOM.format(lang="", feed="", entries='<entry><content type="xhtml"><div xmlns='
                                          '"http://www.w3.org/1999/xhtml">x</div></content>'
                                          "</entry>"),
    '<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel/></rss>',
    '<!DOCTYPE rss [<!ENTITY e "x">]><rss version="2.0"><channel><title>&e;</title>'
    "</channel></rss>",
    RSS.format(channel="", items="<item><title>AT&T</title></item>"),
    RSS.format(channel="", items="<item><link>http://a.cn/?a=1&b=2</link></item>"),
    RSS.format(channel="", items="<item><title>R&D &#</title></item>"),
    RSS.format(channel="", items="<item><title>a</b></item>"),
    RSS.format(channel="", items="<item><title>t</title><description>cut in the mid"
               ).removesuffix("</channel></rss>"),
    RSS.format(channel="", items="<item><title>t</title><desc").removesuffix("</channel></rss>"),
    # a stray "&" or missing end tags do not excuse any other fault
    RSS.format(channel="", items="<item><title>A & B\x01</title></item>"),
    RSS.format(channel="", items="<item><title>A & B\x00</title></item>"),
    '<!DOCTYPE rss [<!ENTITY e "x">]><rss version="2.0"><channel><title>A & &e;</title>'
    "</channel></rss>",
    RSS.format(channel="", items="<item><description><![CDATA[R & D</description></item>"),
    RSS.format(channel="<!-- a -- b -->", items="<item><title>A & B</title></item>"),
    RSS.format(channel="", items="<item><title>A & B</title></item>") + "<!-- cached -->",
], ids=["two descriptions", "markup in description", "unknown namespace", "xml:base",
        "xhtml content", "latin-1", "doctype", "ampersand before a name", "query string",
        "ampersand before #", "mismatched tags", "cut inside an element", "cut inside a tag",
        "and a control character", "and a NUL", "and a doctype", "and an open CDATA section",
        "and -- in a comment", "and a trailing comment"])
def test_the_fast_reader_refuses_what_it_cannot_promise(body: str) -> None:
    effective = effective_content_type(body.encode("utf-8"), "application/xml")
    assert read_feed(body.encode("utf-8"), effective) is None


def test_a_refused_feed_is_still_read_by_feedparser() -> None:
    body = RSS.format(channel="", items="<item><title>A&nbsp;B</title><guid>g</guid></item>")
    assert read_feed(body.encode(), "application/xml") is None
    parsed = parse_feed(body.encode(), SOURCE, URL, {"content-type": "application/xml"}, NOW)
    assert [e.title for e in parsed.entries] == ["A B"]


ITEM = "<item><title>t</title><guid>g{n}</guid><description>d</description></item>"
CUT = RSS.format(channel="<description>A &amp; B</description>",
                 items=ITEM.format(n=1) + ITEM.format(n=2))
# (ill-formed, the well-formed document its writer meant)
MENDED = {
    "ampersand in a title": (RSS.format(channel="", items="<item><title>A & B</title></item>"),
                             RSS.format(channel="", items="<item><title>A &amp; B</title></item>")),
    "ampersands in the channel": (
        RSS.format(channel="<description>A & B &\t</description><title>T & J</title>",
                   items=ITEM.format(n=1)),
        RSS.format(channel="<description>A &amp; B &amp;\t</description><title>T &amp; J"
                           "</title>", items=ITEM.format(n=1))),
    "ampersand in an attribute": tuple(RSS.format(channel="", items=(
        f'<item><title>t</title><enclosure url="http://i.cn/a.jpg" type="image/jpeg {amp} x" '
        f'length="1"/><category domain="a {amp} b">c {amp} d</category></item>'))
        for amp in ("&", "&amp;")),
    "ampersand in an Atom entry": tuple(ATOM.format(lang="", feed="", entries=(
        f'<entry><id>urn:x:1</id><title>A {amp} B</title><summary type="html">&lt;p&gt;x '
        f"{amp} y&lt;/p&gt;</summary></entry>")) for amp in ("&", "&amp;")),
    "CDATA and comments keep theirs": tuple(RSS.format(channel="<!-- a & b -->", items=(
        f"<item><title>A {amp} B</title><description><![CDATA[<p>R & D &amp; more</p>]]>"
        "</description></item>")) for amp in ("&", "&amp;")),
    "no end tags after an item": (CUT.removesuffix("</channel></rss>"), CUT),
    "no end tag after the channel": (CUT.removesuffix("</rss>"), CUT),
    "an Atom feed cut after an entry": (
        ATOM.format(lang="zh", feed="", entries="<entry><id>urn:x:1</id><title>t</title>"
                    "</entry>").removesuffix("</feed>"),
        ATOM.format(lang="zh", feed="", entries="<entry><id>urn:x:1</id><title>t</title>"
                    "</entry>")),
    "both": (RSS.format(channel="<description>A & B</description>",
                        items=ITEM.format(n=1) + ITEM.format(n=2)).removesuffix(
                            "</channel></rss>") + "\n", CUT),
}


def test_mending_a_hostile_document_costs_one_pass() -> None:
    # The stray "&" comes first, so the strict parse's first error sends the document to the
    # mending; then every "<?" is left open: a search for each one's end to the end of the
    # document would take quadratic time over these 800 kB, and never finish.
    body = b"<rss><channel><title>A & B</title>" + b"<?" * 400_000 + b"</channel></rss>"
    with pytest.raises(lxml.etree.XMLSyntaxError, match="EntityRef"):
        lxml.etree.fromstring(body)
    assert read_feed(body, "application/xml") is None


@pytest.mark.parametrize("name", sorted(MENDED))
def test_the_two_common_faults_read_as_the_document_meant(name: str) -> None:
    """A stray "&" and missing end tags are read as the well-formed document meant, which
    is what feedparser reads of that document. (feedparser's own tolerant reading of the
    broken one mangles what else it holds: ``?a=1&amp;b=2`` in a link becomes ``?a=1&ampb=2``,
    so an entry's key would change whenever its feed broke.)"""
    broken, meant = (text.encode() for text in MENDED[name])
    with pytest.raises(lxml.etree.XMLSyntaxError):
        lxml.etree.fromstring(broken)
    fast, _ = both(broken, "application/xml")
    fast_meant, slow_meant = both(meant, "application/xml")
    assert fast is not None and fast_meant is not None and slow_meant is not None, name
    assert fast.entries, name
    assert_same(fast, slow_meant, name)


def test_a_bare_guid_before_a_link_keeps_the_link() -> None:
    body = RSS.format(channel="", items=CRAFTED_RSS["bare guid before link"])
    parsed = parse_feed(body.encode(), SOURCE, URL, {}, NOW)
    assert [e.link for e in parsed.entries] == ["http://a.cn/l"]
