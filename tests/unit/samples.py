"""Stored entries and a feed's identity shared by the renderer tests (RSS, JSON Feed), and
the tree nodes of the paging and planning tests."""

from __future__ import annotations

from datetime import UTC, datetime

from feedhub.model import FeedNode, Source, StoredEntry
from feedhub.publish.atom import FeedInfo

BASE = "https://hub.example.org/"


def leaf(path: tuple[str, ...], url: str) -> FeedNode:
    """A route of the tree: a node with its source."""
    return FeedNode(path, source=Source(path=path, url=url, interval=1800))


LEAF = leaf(("科技", "少数派"), "https://sspai.com/feed")

INFO = FeedInfo(
    node=("科技", "博客"),
    title="科技 / 博客 — 我的订阅",
    self_url=BASE + "feeds/%E7%A7%91%E6%8A%80/%E5%8D%9A%E5%AE%A2.atom",
    alternate_url=BASE,
    hub_title="我的订阅",
    base_url=BASE,
    undated=datetime(2024, 5, 1, 8, 0, tzinfo=UTC),
)


def make_entry(**overrides: object) -> StoredEntry:
    """A stored entry with Chinese text, a link, a thumbnail and categories; override any field."""
    fields: dict[str, object] = {
        "rowid": 1,
        "atom_id": "tag:hub.example.org,2024-05-01:entry/aaa",
        "title": "人工智能的新进展",
        "link": "https://blog.example.cn/posts/1?a=1&b=2",
        "author": "张三",
        "content": "<p>正文内容 <b>加粗</b></p>",
        "summary": "",
        "published": datetime(2024, 5, 1, 8, 30, tzinfo=UTC),
        "updated": datetime(2024, 5, 2, 9, 0, tzinfo=UTC),
        "thumbnail": "https://blog.example.cn/img/1.jpg",
        "categories": ("AI", "机器学习"),
        "node_paths": (("科技", "博客", "某博客"),),
        "lang": "zh-CN",
    }
    fields.update(overrides)
    return StoredEntry(**fields)  # type: ignore[arg-type]


NEWEST = make_entry(
    rowid=3,
    atom_id="tag:hub.example.org,2024-05-03:entry/ccc",
    title="没有链接的条目",
    link=None,
    content="<p>只有正文</p>",
    published=datetime(2024, 5, 3, 12, 0, tzinfo=UTC),
    updated=datetime(2024, 5, 3, 12, 0, tzinfo=UTC),
    thumbnail=None,
    categories=(),
)
WITH_SUMMARY = make_entry(
    rowid=2,
    atom_id="https://news.example.com/2",
    title="同时有摘要和正文",
    link="https://news.example.com/2",
    author="李四",
    content="<p>完整的正文</p>",
    summary="<p>简短的<em>摘要</em></p>",
    published=datetime(2024, 5, 2, 10, 0, tzinfo=UTC),
    updated=datetime(2024, 5, 4, 6, 15, tzinfo=UTC),  # edited later: the newest update
    thumbnail="https://news.example.com/t/2.png",
    categories=("新闻",),
    node_paths=(("科技", "新闻", "某站"), ("科技", "博客", "某博客")),
)
OLDEST = make_entry()
