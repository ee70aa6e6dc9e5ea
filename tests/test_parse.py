"""Parsing fetched bytes into normalized entries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from feedhub.errors import ParseError
from feedhub.feedxml import read_feed
from feedhub.parse import parse_feed, raw_digest

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
SRC_URL = "https://feeds.example/rss"


def source(**kwargs):
    from feedhub.model import Source

    return Source(path=("科技", "某站", "最新"), url=SRC_URL, interval=1800, **kwargs)


def rss(items: str, channel_extra: str = "", decl: str = "") -> str:
    return (f"{decl}<rss version='2.0'><channel><title>某站</title>"
            f"<link>https://site.example/</link>{channel_extra}{items}</channel></rss>")


def test_utf8_without_any_declared_encoding_is_read_as_utf8() -> None:
    body = rss("<item><title>没有声明的编码</title></item>").encode("utf-8")
    (entry,) = parse_feed(body, source(), SRC_URL, {}, NOW).entries
    assert entry.title == "没有声明的编码"


def test_gbk_feed_declared_in_the_xml_declaration_is_decoded() -> None:
    body = rss("<item><title>国标编码的标题</title></item>",
               decl="<?xml version='1.0' encoding='gbk'?>").encode("gbk")
    (entry,) = parse_feed(body, source(), SRC_URL, {"content-type": "application/xml"},
                          NOW).entries
    assert entry.title == "国标编码的标题"


@pytest.mark.parametrize(("body", "content_type", "message"), [
    (b"", "application/rss+xml", "not a feed: empty body from https://feeds.example/rss"),
    (b"  \n ", "text/xml", "not a feed: empty body from"),
    (b"<html><body><p>hello</p></body></html>", "text/html; charset=utf-8",
     "not a feed: got text/html from https://feeds.example/rss"),
    (b"\x00\x01garbage\xff", "", "not a feed: got an unknown type from"),
])
def test_non_feeds_are_refused_with_a_clear_message(body: bytes, content_type: str,
                                                     message: str) -> None:
    headers = {"content-type": content_type} if content_type else {}
    with pytest.raises(ParseError, match="^" + message.replace(".", r"\.").replace("/", "/")):
        parse_feed(body, source(), SRC_URL, headers, NOW)


def test_a_body_that_looks_like_a_path_is_never_opened() -> None:
    with pytest.raises(ParseError, match="not a feed"):
        parse_feed(b"/etc/passwd", source(), SRC_URL, {"content-type": "text/plain"}, NOW)


def test_future_dates_are_not_trusted() -> None:
    body = rss("<item><title>来自未来</title><pubDate>Mon, 01 Jan 2035 00:00:00 GMT</pubDate>"
               "</item>").encode()
    (entry,) = parse_feed(body, source(), SRC_URL, {}, NOW).entries
    assert entry.published is None


def test_dates_in_any_zone_become_utc() -> None:
    body = rss("<item><title>东八区</title><pubDate>Wed, 01 May 2024 08:00:00 +0800</pubDate>"
               "</item>").encode()
    (entry,) = parse_feed(body, source(), SRC_URL, {}, NOW).entries
    assert entry.published == datetime(2024, 5, 1, 0, 0, tzinfo=UTC)


def test_author_falls_back_to_the_config_author_then_the_site_name() -> None:
    body = rss("<item><title>无作者</title></item>").encode()
    (with_config,) = parse_feed(body, source(author="编辑"), SRC_URL, {}, NOW).entries
    (bare,) = parse_feed(body, source(), SRC_URL, {}, NOW).entries
    assert with_config.author == "编辑"
    assert bare.author == "某站"


@pytest.mark.parametrize("written", ["ed@site.example (总编)", "总编 <ed@site.example>", "总编"])
def test_author_name_is_taken_without_the_email(written: str) -> None:
    body = rss(f"<item><title>x</title><author>{written.replace('<', '&lt;')}</author></item>")
    (entry,) = parse_feed(body.encode(), source(), SRC_URL, {}, NOW).entries
    assert entry.author == "总编"


def test_feed_author_beats_config_author() -> None:
    body = rss("<item><title>无作者</title></item>",
               channel_extra="<managingEditor>ed@site.example (总编)</managingEditor>").encode()
    (entry,) = parse_feed(body, source(author="编辑"), SRC_URL, {}, NOW).entries
    assert entry.author == "总编"


def test_include_and_exclude_rules_filter_entries() -> None:
    body = rss("<item><title>苹果发布会</title></item><item><title>安卓新机</title></item>"
               "<item><title>苹果广告</title><description>推广</description></item>").encode()
    kept = parse_feed(body, source(include=("苹果",), exclude=("/推广|赞助/",)), SRC_URL, {},
                      NOW).entries
    assert [e.title for e in kept] == ["苹果发布会"]


def test_ttl_is_read_in_seconds() -> None:
    body = rss("<item><title>x</title></item>", channel_extra="<ttl>90</ttl>").encode()
    assert parse_feed(body, source(), SRC_URL, {}, NOW).period == 5400


def test_sy_update_period_is_read_in_seconds() -> None:
    body = (b"<rss version='2.0' xmlns:sy='http://purl.org/rss/1.0/modules/syndication/'>"
            b"<channel><title>t</title><sy:updatePeriod>daily</sy:updatePeriod>"
            b"<sy:updateFrequency>4</sy:updateFrequency><item><title>x</title></item>"
            b"</channel></rss>")
    assert parse_feed(body, source(), SRC_URL, {}, NOW).period == 21600


def test_plain_text_description_is_escaped_not_interpreted() -> None:
    body = ("<feed xmlns='http://www.w3.org/2005/Atom'><title>t</title><entry><title>文本</title>"
            "<id>urn:x:1</id><summary type='text'>a &lt;script&gt; b\nc</summary></entry>"
            "</feed>").encode()
    (entry,) = parse_feed(body, source(), SRC_URL, {}, NOW).entries
    assert entry.content == b"a &lt;script&gt; b<br>c"


MEDIA = "xmlns:media='http://search.yahoo.com/mrss/' " \
        "xmlns:itunes='http://www.itunes.com/dtds/podcast-1.0.dtd'"


def thumbnail_of(item_xml: str) -> str | None:
    body = (f"<rss version='2.0' {MEDIA}><channel><title>t</title>"
            f"<link>https://site.example/</link><item><title>x</title>"
            f"<link>https://site.example/posts/1</link>{item_xml}</item></channel></rss>")
    (entry,) = parse_feed(body.encode(), source(), SRC_URL, {}, NOW).entries
    return entry.thumbnail


@pytest.mark.parametrize(("item_xml", "expected"), [
    ("<media:thumbnail url='https://img.example/t.jpg'/>"
     "<media:content url='https://img.example/c.jpg' medium='image'/>",
     "https://img.example/t.jpg"),
    ("<media:content url='https://img.example/small.jpg' medium='image' width='10' height='10'/>"
     "<media:content url='https://img.example/big.jpg' type='image/jpeg' width='900' "
     "height='600'/><media:content url='https://img.example/v.mp4' medium='video' width='4000' "
     "height='4000'/>",
     "https://img.example/big.jpg"),
    ("<enclosure url='https://img.example/audio.mp3' type='audio/mpeg' length='1'/>"
     "<enclosure url='https://img.example/e.png' type='image/png' length='1'/>",
     "https://img.example/e.png"),
    ("<itunes:image href='https://img.example/cover.jpg'/>", "https://img.example/cover.jpg"),
    ("<description>&lt;img src='https://t.example/px.gif' width='1' height='1'&gt;"
     "&lt;img src='data:image/png;base64,AAAA'&gt;&lt;img src='/a/first.png'&gt;"
     "</description>", "https://feeds.example/a/first.png"),
    ("<description>no picture</description>", None),
    ("<media:thumbnail url='javascript:alert(1)'/>", None),
])
def test_thumbnail_is_found_in_each_place_a_feed_puts_it(item_xml: str,
                                                           expected: str | None) -> None:
    assert thumbnail_of(item_xml) == expected


def test_summary_image_is_used_when_content_has_none() -> None:
    body = ("<feed xmlns='http://www.w3.org/2005/Atom'><title>t</title><entry><id>urn:x:1</id>"
            "<title>x</title><content type='html'>&lt;p&gt;text&lt;/p&gt;</content>"
            "<summary type='html'>&lt;img src='https://img.example/s.png'&gt;</summary>"
            "</entry></feed>")
    (entry,) = parse_feed(body.encode(), source(), SRC_URL, {}, NOW).entries
    assert entry.thumbnail == "https://img.example/s.png"


def test_relative_media_thumbnail_resolves_against_xml_base_first() -> None:
    body = (f"<feed xmlns='http://www.w3.org/2005/Atom' {MEDIA} "
            "xml:base='https://cdn.example/base/'><title>t</title><entry><id>urn:x:1</id>"
            "<title>x</title><link href='https://site.example/posts/1'/>"
            "<media:thumbnail url='pic.jpg'/><summary>s</summary></entry></feed>")
    (entry,) = parse_feed(body.encode(), source(), SRC_URL, {}, NOW).entries
    assert entry.thumbnail == "https://cdn.example/base/pic.jpg"


def test_relative_media_thumbnail_resolves_against_the_entry_link_without_xml_base() -> None:
    assert thumbnail_of("<media:thumbnail url='pic.jpg'/>") == "https://site.example/posts/pic.jpg"


def test_a_repeated_guid_in_one_feed_is_one_entry_the_first() -> None:
    body = rss("<item><guid>g</guid><title>第一</title></item>"
               "<item><guid>g</guid><title>第二</title></item>").encode()
    (entry,) = parse_feed(body, source(), SRC_URL, {}, NOW).entries
    assert entry.title == "第一"


def test_a_bare_guid_is_neither_a_link_nor_a_global_id() -> None:
    body = rss("<item><guid>1</guid><title>无链接</title></item>").encode()
    (entry,) = parse_feed(body, source(), SRC_URL, {}, NOW).entries
    assert entry.link is None and entry.canonical_link is None
    assert entry.source_id_iri is None and entry.key == "id:1"


def test_an_unparsable_enclosure_url_is_skipped_not_fatal() -> None:
    body = rss("<item><guid>g</guid><title>x</title><enclosure url='http://[zz/i.jpg' "
               "type='image/jpeg' length='1'/><link>http://[bad/</link></item>").encode()
    (entry,) = parse_feed(body, source(), SRC_URL, {}, NOW).entries
    assert entry.thumbnail is None and entry.link is None


def test_control_characters_never_reach_titles() -> None:
    body = rss("<item><guid>g</guid><title>a\x7f b\u0090 c</title></item>").encode()
    (entry,) = parse_feed(body, source(), SRC_URL, {}, NOW).entries
    assert entry.title == "a b c"


def test_an_entry_without_title_is_titled_by_its_text() -> None:
    body = rss("<item><guid>g1</guid><description>&lt;p&gt;正文 &lt;b&gt;第一句&lt;/b&gt;。"
               "&lt;/p&gt;</description></item>").encode("utf-8")
    (entry,) = parse_feed(body, source(), SRC_URL, {}, NOW).entries
    assert entry.title == "正文 第一句。"


def test_an_entry_without_id_or_link_is_keyed_by_its_title_and_text() -> None:
    def key(description: str) -> str:
        body = rss(f"<item><title>同一标题</title><description>{description}</description>"
                   "</item>").encode("utf-8")
        (entry,) = parse_feed(body, source(), SRC_URL, {}, NOW).entries
        return entry.key

    assert key("&lt;p&gt;一  段&lt;/p&gt;").startswith("hash:")
    assert key("&lt;p&gt;一  段&lt;/p&gt;") == key("&lt;div&gt;一 段&lt;/div&gt;")
    assert key("&lt;p&gt;一段&lt;/p&gt;") != key("&lt;p&gt;另一段&lt;/p&gt;")


def test_filters_match_the_text_of_the_body_not_its_markup() -> None:
    body = rss("<item><guid>a</guid><title>一</title><description>&lt;p class='推广'&gt;正文"
               "&lt;/p&gt;</description></item>"
               "<item><guid>b</guid><title>二</title><description>&lt;p&gt;推广内容"
               "&lt;/p&gt;</description></item>").encode("utf-8")
    kept = parse_feed(body, source(exclude=("推广",)), SRC_URL, {}, NOW).entries
    assert [e.key for e in kept] == ["id:a"]


def raw_entry(**fields):
    body = "<p>正文</p>"
    entry = {"title": "标题", "title_detail": {"type": "text/plain", "value": "标题"},
             "id": "g1", "summary": body,
             "summary_detail": {"type": "text/html", "value": body, "base": ""},
             "published_parsed": (2024, 5, 1, 0, 0, 0, 2, 122, 0), "tags": []}
    entry.update(fields)
    return entry


def test_raw_digest_is_the_same_for_the_same_entry() -> None:
    assert raw_digest(raw_entry(), "ctx") == raw_digest(raw_entry(), "ctx")


@pytest.mark.parametrize("change", [
    {"summary_detail": {"type": "text/html", "value": "<p>改了</p>", "base": ""}},
    {"summary_detail": {"type": "text/plain", "value": "<p>正文</p>", "base": ""}},
    {"title": "标", "id": "题g1"},
    {"tags": [{"term": "新", "scheme": None, "label": None}]},
    {"published_parsed": (2024, 5, 2, 0, 0, 0, 3, 123, 0)},
    {"extra": ""},
])
def test_raw_digest_changes_with_any_field_even_nested(change) -> None:
    assert raw_digest(raw_entry(**change), "ctx") != raw_digest(raw_entry(), "ctx")


def test_raw_digest_changes_with_the_context() -> None:
    assert raw_digest(raw_entry(), "a") != raw_digest(raw_entry(), "b")


@pytest.mark.parametrize("length", [1, 1000])  # short strings and long bodies go in apart
def test_raw_digest_tells_a_repeated_body_from_a_different_one(length) -> None:
    body, other_body = f"<p>{'正文' * length}</p>", f"<p>{'别的' * length}</p>"
    shared = raw_entry(summary=body, summary_detail={"type": "text/html", "value": body})
    other = raw_entry(summary=body, summary_detail={"type": "text/html", "value": other_body})
    swapped = raw_entry(summary=other_body, summary_detail={"type": "text/html", "value": body})
    digests = {raw_digest(e, "ctx") for e in (shared, other, swapped)}
    assert len(digests) == 3


def test_raw_digest_tells_an_empty_mapping_from_none() -> None:
    assert raw_digest(raw_entry(image={}), "ctx") != raw_digest(raw_entry(), "ctx")


def test_a_noncharacter_made_by_the_latin1_repair_never_reaches_a_body() -> None:
    # "ï¿¾" is the UTF-8 of U+FFFE read as Latin-1; feedparser's repair (which the fast reader
    # replays) turns it back into U+FFFE, a character XML cannot carry.
    body = rss("<item><guid>g</guid><title>t</title><description>a ï¿¾ b ï¿¿</description>"
               "</item>").encode("utf-8")
    assert read_feed(body, "application/xml") is not None  # the fast reader's path
    (entry,) = parse_feed(body, source(), SRC_URL, {}, NOW).entries
    assert entry.content == b"a  b"
