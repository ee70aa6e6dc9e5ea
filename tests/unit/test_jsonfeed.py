"""The JSON Feed 1.1 rendering of a merged feed: pure, deterministic, structurally valid."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import samples
from feedhub.model import StoredEntry
from feedhub.publish.jsonfeed import render_json
from samples import BASE, INFO, NEWEST, OLDEST
from samples import make_entry as _entry

VERSION = "https://jsonfeed.org/version/1.1"
RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")

# The JSON tests also need an escaped ampersand in the summary and a source category that is
# also a node name.
WITH_SUMMARY = replace(samples.WITH_SUMMARY, summary="<p>简短的<em>摘要</em> &amp; 更多</p>",
                       categories=("新闻", "科技"))
ENTRIES = [NEWEST, WITH_SUMMARY, OLDEST]

# The subset of JSON Feed 1.1 that feedhub writes: key → (type, required).
FEED_KEYS: dict[str, tuple[type, bool]] = {
    "version": (str, True),
    "title": (str, True),
    "home_page_url": (str, False),
    "feed_url": (str, False),
    "authors": (list, False),
    "language": (str, False),
    "items": (list, True),
}
ITEM_KEYS: dict[str, tuple[type, bool]] = {
    "id": (str, True),
    "url": (str, False),
    "title": (str, False),
    "content_html": (str, False),
    "summary": (str, False),
    "image": (str, False),
    "date_published": (str, False),
    "date_modified": (str, False),
    "authors": (list, False),
    "tags": (list, False),
}


def _check_authors(authors: list[Any], where: str) -> None:
    assert authors, f"{where}: authors must not be empty when present"
    for author in authors:
        assert isinstance(author, dict), where
        assert set(author) <= {"name", "url", "avatar"}, where
        assert any(author.get(k) for k in ("name", "url", "avatar")), where
        assert all(isinstance(v, str) for v in author.values()), where


def _check_object(obj: dict[str, Any], keys: dict[str, tuple[type, bool]], where: str) -> None:
    unknown = {k for k in obj if k not in keys and not k.startswith("_")}
    assert not unknown, f"{where}: unknown keys {unknown}"
    for key, (kind, required) in keys.items():
        if required:
            assert key in obj, f"{where}: missing {key}"
        if key in obj:
            assert isinstance(obj[key], kind), f"{where}: {key} is not {kind.__name__}"


def check_json_feed(doc: Any) -> None:
    """Fail unless ``doc`` follows the JSON Feed 1.1 rules for the keys feedhub writes."""
    assert isinstance(doc, dict)
    _check_object(doc, FEED_KEYS, "feed")
    assert doc["version"] == VERSION
    assert doc["title"]
    if "authors" in doc:
        _check_authors(doc["authors"], "feed")
    ids = set()
    for n, item in enumerate(doc["items"]):
        where = f"items[{n}]"
        assert isinstance(item, dict), where
        _check_object(item, ITEM_KEYS, where)
        assert item["id"], f"{where}: empty id"
        ids.add(item["id"])
        assert "content_html" in item or "content_text" in item, f"{where}: no content"
        for key in ("date_published", "date_modified"):
            if key in item:
                assert RFC3339_UTC.match(item[key]), f"{where}: {key} {item[key]!r}"
        if "authors" in item:
            _check_authors(item["authors"], where)
        if "tags" in item:
            assert all(isinstance(t, str) and t for t in item["tags"]), where
        for key, value in item.items():
            if key != "content_html":
                assert value not in (None, "", [], {}), f"{where}: empty {key}"
    assert len(ids) == len(doc["items"]), "item ids must be unique"


def _render(entries: list[StoredEntry]) -> dict[str, Any]:
    return json.loads(render_json(INFO, entries))


def test_output_passes_the_json_feed_checker() -> None:
    check_json_feed(_render(ENTRIES))


def test_empty_feed_passes_the_checker_with_an_empty_items_list() -> None:
    doc = _render([])
    check_json_feed(doc)
    assert doc["items"] == []
    assert "language" not in doc


def test_checker_rejects_documents_that_break_the_rules() -> None:
    good = _render(ENTRIES)
    broken = [
        {k: v for k, v in good.items() if k != "version"},
        {**good, "version": "https://jsonfeed.org/version/1"},
        {**good, "items": [{k: v for k, v in good["items"][0].items() if k != "id"}]},
        {**good, "items": [{"id": "x"}]},  # no content
        {**good, "items": [{**good["items"][0], "date_published": "2024-05-01 08:30"}]},
        {**good, "items": [good["items"][0], good["items"][0]]},  # duplicate ids
        {**good, "authors": [{}]},
    ]
    for doc in broken:
        with pytest.raises(AssertionError):
            check_json_feed(doc)


def test_top_level_keys_and_values() -> None:
    doc = _render(ENTRIES)
    assert list(doc) == [
        "version", "title", "home_page_url", "feed_url", "authors", "language", "items",
    ]
    assert doc["version"] == VERSION
    assert doc["title"] == INFO.title
    assert doc["home_page_url"] == BASE
    assert doc["authors"] == [{"name": "我的订阅"}]
    assert doc["language"] == "zh-CN"


def test_feed_url_is_the_atom_url_with_json_suffix() -> None:
    doc = _render([])
    assert doc["feed_url"] == BASE + "feeds/%E7%A7%91%E6%8A%80/%E5%8D%9A%E5%AE%A2.json"


def test_language_is_left_out_when_entries_disagree_or_declare_none() -> None:
    assert "language" not in _render([_entry(lang="zh-CN"), _entry(rowid=2, lang="en")])
    assert "language" not in _render([_entry(lang=None)])


def test_items_keep_input_order_with_atom_ids() -> None:
    items = _render(ENTRIES)["items"]
    assert [i["id"] for i in items] == [e.atom_id for e in ENTRIES]
    assert [i["title"] for i in items] == ["没有链接的条目", "同时有摘要和正文", "人工智能的新进展"]


def test_item_fields_of_a_full_entry() -> None:
    item = _render([OLDEST])["items"][0]
    assert item == {
        "id": "tag:hub.example.org,2024-05-01:entry/aaa",
        "url": "https://blog.example.cn/posts/1?a=1&b=2",
        "title": "人工智能的新进展",
        "content_html": "<p>正文内容 <b>加粗</b></p>",
        "image": "https://blog.example.cn/img/1.jpg",
        "date_published": "2024-05-01T08:30:00Z",
        "date_modified": "2024-05-02T09:00:00Z",
        "authors": [{"name": "张三"}],
        "tags": ["科技", "博客", "某博客", "AI", "机器学习"],
    }


def test_entry_without_link_or_thumbnail_omits_url_and_image() -> None:
    item = _render([NEWEST])["items"][0]
    assert "url" not in item
    assert "image" not in item
    assert "tags" in item  # node names still apply


def test_separate_summary_is_plain_text_next_to_the_content() -> None:
    item = _render([WITH_SUMMARY])["items"][0]
    assert item["content_html"] == "<p>完整的正文</p>"
    assert item["summary"] == "简短的摘要 & 更多"


def test_summary_alone_becomes_the_content_and_no_summary_key() -> None:
    item = _render([_entry(content="", summary="<p>只有摘要</p>")])["items"][0]
    assert item["content_html"] == "<p>只有摘要</p>"
    assert "summary" not in item


def test_entry_without_any_body_keeps_an_empty_content_html() -> None:
    doc = _render([_entry(content="", summary="")])
    check_json_feed(doc)
    assert doc["items"][0]["content_html"] == ""


def test_tags_are_node_names_then_source_categories_each_once() -> None:
    item = _render([WITH_SUMMARY])["items"][0]
    assert item["tags"] == ["科技", "新闻", "某站", "博客", "某博客"]


def test_dates_in_another_offset_are_written_in_utc_with_z() -> None:
    beijing = timezone(timedelta(hours=8))
    entry = _entry(published=datetime(2024, 5, 1, 16, 30, 15, 999, tzinfo=beijing),
                   updated=datetime(2024, 5, 2, 17, 0, tzinfo=beijing))
    item = _render([entry])["items"][0]
    assert item["date_published"] == "2024-05-01T08:30:15Z"
    assert item["date_modified"] == "2024-05-02T09:00:00Z"


def test_missing_author_falls_back_to_hub_title() -> None:
    assert _render([_entry(author="")])["items"][0]["authors"] == [{"name": "我的订阅"}]


def test_output_is_utf8_unescaped_indented_with_trailing_newline() -> None:
    data = render_json(INFO, ENTRIES)
    assert data.endswith(b"}\n")
    assert "人工智能的新进展".encode() in data
    assert b"\\u" not in data
    assert data.startswith(b'{\n  "version": ')


def test_identical_input_gives_identical_bytes() -> None:
    assert render_json(INFO, ENTRIES) == render_json(INFO, [replace(e) for e in ENTRIES])
    assert render_json(INFO, []) == render_json(INFO, [])
