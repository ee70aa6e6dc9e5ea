"""The RSS 2.0 rendering of a merged feed: pure, deterministic, readable by feedparser."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import feedparser
import pytest

import samples
from feedhub.publish.rss import render_rss, sibling_url
from samples import BASE, INFO, NEWEST, OLDEST
from samples import make_entry as _entry

ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
MEDIA_NS = "http://search.yahoo.com/mrss/"
WITH_SUMMARY = samples.WITH_SUMMARY
ENTRIES = [NEWEST, WITH_SUMMARY, OLDEST]


def _channel(data: bytes) -> ET.Element:
    root = ET.fromstring(data)
    assert root.tag == "rss"
    assert root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None
    return channel


def _items(data: bytes) -> list[ET.Element]:
    return _channel(data).findall("item")


def _parse(data: bytes) -> feedparser.FeedParserDict:
    return feedparser.parse(io.BytesIO(data))


def test_channel_has_title_link_description_generator_and_language() -> None:
    channel = _channel(render_rss(INFO, ENTRIES))
    assert channel.findtext("title") == INFO.title
    assert channel.findtext("link") == BASE
    assert channel.findtext("description") == INFO.title
    assert channel.findtext("generator") == "feedhub"
    assert channel.findtext("language") == "zh-CN"


def test_channel_self_link_is_the_atom_url_with_rss_suffix() -> None:
    links = _channel(render_rss(INFO, ENTRIES)).findall(f"{{{ATOM_NS}}}link")
    assert len(links) == 1
    assert links[0].get("rel") == "self"
    assert links[0].get("type") == "application/rss+xml"
    assert links[0].get("href") == BASE + "feeds/%E7%A7%91%E6%8A%80/%E5%8D%9A%E5%AE%A2.rss"


def test_sibling_url_swaps_only_the_atom_suffix() -> None:
    assert sibling_url(BASE + "all.atom", "rss") == BASE + "all.rss"
    assert sibling_url(BASE + "feeds/a.atom/b.atom", "json") == BASE + "feeds/a.atom/b.json"


def test_sibling_url_refuses_a_url_without_atom_suffix() -> None:
    with pytest.raises(ValueError, match=r"\.atom"):
        sibling_url(BASE + "all.xml", "rss")


def test_build_dates_are_the_newest_entry_update_not_now() -> None:
    channel = _channel(render_rss(INFO, ENTRIES))
    # WITH_SUMMARY is not first (newest published) but has the newest `updated`.
    assert channel.findtext("lastBuildDate") == "Sat, 04 May 2024 06:15:00 +0000"
    assert channel.findtext("pubDate") == "Sat, 04 May 2024 06:15:00 +0000"


def test_empty_feed_is_valid_and_dated_when_the_hub_first_published() -> None:
    data = render_rss(INFO, [])
    channel = _channel(data)
    assert channel.findall("item") == []
    assert channel.findtext("lastBuildDate") == "Wed, 01 May 2024 08:00:00 +0000"
    assert channel.findtext("pubDate") == "Wed, 01 May 2024 08:00:00 +0000"
    assert channel.find("language") is None
    parsed = _parse(data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"


def test_identical_input_gives_identical_bytes() -> None:
    first = render_rss(INFO, ENTRIES)
    second = render_rss(INFO, [replace(e) for e in ENTRIES])  # equal copies, not the same
    assert first == second
    assert render_rss(INFO, []) == render_rss(INFO, [])


def test_items_keep_input_order() -> None:
    titles = [item.findtext("title") for item in _items(render_rss(INFO, ENTRIES))]
    assert titles == ["没有链接的条目", "同时有摘要和正文", "人工智能的新进展"]


def test_guid_is_the_atom_id_and_not_a_permalink() -> None:
    items = _items(render_rss(INFO, ENTRIES))
    for item, entry in zip(items, ENTRIES, strict=True):
        guid = item.find("guid")
        assert guid is not None
        assert guid.text == entry.atom_id
        assert guid.get("isPermaLink") == "false"


def test_item_pubdate_is_published_in_utc() -> None:
    item = _items(render_rss(INFO, [OLDEST]))[0]
    assert item.findtext("pubDate") == "Wed, 01 May 2024 08:30:00 +0000"


def test_dates_in_another_offset_are_written_in_utc() -> None:
    beijing = timezone(timedelta(hours=8))
    entry = _entry(published=datetime(2024, 5, 1, 16, 30, tzinfo=beijing),
                   updated=datetime(2024, 5, 2, 17, 0, tzinfo=beijing))
    channel = _channel(render_rss(INFO, [entry]))
    assert channel.findtext("item/pubDate") == "Wed, 01 May 2024 08:30:00 +0000"
    assert channel.findtext("lastBuildDate") == "Thu, 02 May 2024 09:00:00 +0000"


def test_item_without_link_has_no_link_element() -> None:
    item = _items(render_rss(INFO, [NEWEST]))[0]
    assert item.find("link") is None
    assert item.findtext("title") == "没有链接的条目"


def test_description_is_content_when_there_is_content_and_summary() -> None:
    item = _items(render_rss(INFO, [WITH_SUMMARY]))[0]
    assert item.findtext("description") == "<p>完整的正文</p>"


def test_description_falls_back_to_summary_without_content() -> None:
    entry = _entry(content="", summary="<p>只有摘要</p>")
    item = _items(render_rss(INFO, [entry]))[0]
    assert item.findtext("description") == "<p>只有摘要</p>"


def test_item_without_any_body_has_title_and_no_description() -> None:
    entry = _entry(content="", summary="")
    item = _items(render_rss(INFO, [entry]))[0]
    assert item.find("description") is None
    assert item.findtext("title") == "人工智能的新进展"


def test_categories_are_node_names_with_domain_then_source_tags() -> None:
    item = _items(render_rss(INFO, [WITH_SUMMARY]))[0]
    cats = [(c.text, c.get("domain")) for c in item.findall("category")]
    assert cats == [
        ("科技", BASE),
        ("新闻", BASE),
        ("某站", BASE),
        ("博客", BASE),
        ("某博客", BASE),
        ("新闻", None),
    ]


def test_author_name_is_dc_creator_not_rss_author() -> None:
    items = _items(render_rss(INFO, ENTRIES))
    assert [i.findtext(f"{{{DC_NS}}}creator") for i in items] == ["张三", "李四", "张三"]
    assert all(i.find("author") is None for i in items)


def test_missing_author_falls_back_to_hub_title() -> None:
    item = _items(render_rss(INFO, [_entry(author="")]))[0]
    assert item.findtext(f"{{{DC_NS}}}creator") == "我的订阅"


def test_media_thumbnail_only_when_the_entry_has_one() -> None:
    items = _items(render_rss(INFO, ENTRIES))
    thumbs = [[t.get("url") for t in i.findall(f"{{{MEDIA_NS}}}thumbnail")] for i in items]
    assert thumbs == [[], ["https://news.example.com/t/2.png"], ["https://blog.example.cn/img/1.jpg"]]


def test_language_is_left_out_when_entries_disagree() -> None:
    entries = [_entry(lang="zh-CN"), _entry(rowid=2, lang="en")]
    assert _channel(render_rss(INFO, entries)).find("language") is None
    assert _channel(render_rss(INFO, [_entry(lang=None)])).find("language") is None


def test_feedparser_reads_it_without_bozo_and_sees_every_item() -> None:
    parsed = _parse(render_rss(INFO, ENTRIES))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert parsed.feed.title == INFO.title
    assert parsed.feed.link == BASE
    assert [e.title for e in parsed.entries] == [e.title for e in ENTRIES]
    assert [e.get("link") for e in parsed.entries] == [None, *(e.link for e in ENTRIES[1:])]
    assert [e.id for e in parsed.entries] == [e.atom_id for e in ENTRIES]
    assert [e.author for e in parsed.entries] == ["张三", "李四", "张三"]
    assert parsed.entries[1].media_thumbnail == [{"url": "https://news.example.com/t/2.png"}]
    assert [t.term for t in parsed.entries[1].tags][-1] == "新闻"
    assert parsed.entries[2].published_parsed[:6] == (2024, 5, 1, 8, 30, 0)


def test_markup_like_characters_in_a_title_are_escaped_and_well_formed() -> None:
    entry = _entry(title="<b>不是标签</b> & 符号")
    data = render_rss(INFO, [entry])
    assert b"&lt;b&gt;" in data
    assert ET.fromstring(data).findtext("channel/item/title") == entry.title
    parsed = _parse(data)
    assert not parsed.bozo, parsed.get("bozo_exception")
