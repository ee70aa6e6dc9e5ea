"""index.html as the curator's dashboard: source health, activity, newest titles, language and
time zone."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from lxml import html

from feedhub.model import RecentEntry
from feedhub.publish.index import (
    NodeLines,
    NodeSummary,
    PageContext,
    SourceHealth,
    anchor,
    render_index,
)

BASE = "https://hub.example.org/"
T0 = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)
FAILING = SourceHealth("failing", last_success=T0 - timedelta(days=2),
                       error="HTTP 404 Not Found from https://gone.example/feed",
                       error_count=5, error_since=T0 - timedelta(days=1))


def tree() -> list[NodeSummary]:
    return [
        NodeSummary((), 3, T0, None, day=1, week=3,
                    recent=(RecentEntry("最新的文章", "https://a.example/1", T0),)),
        NodeSummary(("新媒体",), 3, T0, None, 1, 3),
        NodeSummary(("新媒体", "好的"), 3, T0, "https://a.example/", 1, 3,
                    (RecentEntry("最新的文章", "https://a.example/1", T0),
                     RecentEntry("<b>旧</b> & 文章", "javascript:alert(1)", T0 - timedelta(3))),
                    SourceHealth("ok", last_success=T0)),
        NodeSummary(("新媒体", "坏的"), 0, None, None, source=FAILING),
        NodeSummary(("新媒体", "安静"), 0, None, None, source=SourceHealth("ok", T0)),
        NodeSummary(("新媒体", "刚加"), 0, None, None, source=SourceHealth("new")),
        NodeSummary(("新媒体", "搬家"), 0, None, None,
                    source=SourceHealth("ok", T0, moved_to="https://new.example/feed")),
    ]


def page(context: PageContext | None = None) -> html.HtmlElement:
    return html.document_fromstring(render_index("新媒体速递", BASE, tree(), ["atom"], None,
                                                 context))


def node(doc: html.HtmlElement, *path: str) -> html.HtmlElement:
    (div,) = doc.xpath(f"//div[@id='{anchor(path)}']")
    return div


def health(doc: html.HtmlElement, *path: str) -> str:
    div = node(doc, *path)
    (line,) = div.xpath("following-sibling::p[1][@class='health']")
    return line.text_content()


def test_a_failing_source_looks_different_from_an_empty_one() -> None:
    doc = page()
    bad, quiet = node(doc, "新媒体", "坏的"), node(doc, "新媒体", "安静")
    assert bad.get("class") == "node failing" and quiet.get("class") == "node ok"
    assert bad.find_class("badge")[0].text_content() == "failing"
    assert quiet.find_class("badge")[0].text_content() == "ok"
    assert health(doc, "新媒体", "坏的") == (
        "last success 2024-04-29 08:30 UTC · HTTP 404 Not Found from https://gone.example/feed "
        "(5 failures in a row since 2024-04-30 08:30 UTC)")
    assert health(doc, "新媒体", "安静") == "last success 2024-05-01 08:30 UTC"
    assert health(doc, "新媒体", "刚加") == "last success never"
    assert node(doc, "新媒体", "刚加").find_class("badge")[0].text_content() == "not polled yet"
    assert "update its url in config.yaml" in health(doc, "新媒体", "搬家")


def test_the_overview_counts_states_and_links_every_source_in_trouble() -> None:
    doc = page()
    (overview,) = doc.xpath("//section[@class='overview']")
    assert overview.xpath("p")[0].text_content() == (
        "5 sources: 1 not polled yet · 3 ok · 1 failing")
    (item,) = overview.xpath(".//ul[@class='attention']/li")
    assert item.xpath("a/@href") == [f"#{anchor(('新媒体', '坏的'))}"]
    assert "HTTP 404 Not Found" in item.text_content()
    assert doc.xpath(f"//*[@id='{anchor(('新媒体', '坏的'))}']")


def test_an_overview_with_nothing_wrong_says_so_and_a_tree_without_sources_has_none() -> None:
    well = [s for s in tree() if s.source is None or s.source.state == "ok"]
    doc = html.document_fromstring(render_index("t", BASE, well, ["atom"]))
    assert doc.xpath("//section[@class='overview']/p[2]")[0].text == "Every source is well."
    bare = [NodeSummary((), 0, None, None)]
    assert html.document_fromstring(render_index("t", BASE, bare, [])).xpath(
        "//section") == []


def test_counts_of_the_day_and_week_and_the_newest_titles_per_node() -> None:
    doc = page()
    meta = node(doc, "新媒体", "好的").find_class("meta")[0].text_content()
    assert meta.startswith("3 entries · 1 in 24 h · 3 in 7 days · newest")
    assert "in 24 h" not in node(doc, "新媒体", "坏的").find_class("meta")[0].text_content()
    (recent,) = node(doc, "新媒体", "好的").xpath("following-sibling::ol[@class='recent']")
    items = recent.xpath("li")
    assert [li.text_content().split(" 20")[0] for li in items] == ["最新的文章", "<b>旧</b> & 文章"]
    assert items[0].xpath("a/@href") == ["https://a.example/1"]
    assert items[1].xpath("a") == []  # a javascript: link is not linked
    assert items[0].xpath("time/@datetime") == ["2024-05-01T08:30:00Z"]


def test_language_and_time_zone_follow_the_hub() -> None:
    made = T0 + timedelta(minutes=5)
    doc = page(PageContext("zh-CN", ZoneInfo("Asia/Shanghai"), made))
    assert doc.xpath("/html/@lang") == ["zh-CN"]
    text = doc.body.text_content()
    for english in ("entries", "failing", "last success", "Everything", "newest"):
        assert english not in text
    assert "全部" in text and "抓取失败" in text and "需要处理" in text
    assert health(doc, "新媒体", "坏的").startswith("上次成功 2024-04-29 16:30 CST")
    meta = node(doc, "新媒体", "好的").find_class("meta")[0]
    assert meta.xpath("time/@datetime") == ["2024-05-01T08:30:00Z"]  # machines read UTC
    assert meta.text_content().endswith("最新 2024-05-01 16:30 CST")
    assert doc.xpath("//footer/p")[0].text_content() == "生成于 2024-05-01 16:35 CST"


def test_a_language_without_words_of_its_own_reads_english() -> None:
    doc = page(PageContext("fr"))
    assert doc.xpath("/html/@lang") == ["fr"] and "last success" in doc.body.text_content()


def test_lines_kept_from_the_last_page_give_the_same_bytes_and_only_changed_nodes_differ() -> None:
    reuse = NodeLines()
    first = tree()
    assert render_index("新媒体速递", BASE, first, ["atom"], reuse=reuse) == \
        render_index("新媒体速递", BASE, first, ["atom"])
    # A poll: one source starts failing and the all-feed gains an entry; one node leaves.
    polled = [replace(first[0], entries=4, day=2),
              *first[1:3], replace(first[4], source=FAILING), *first[5:6]]
    kept = dict(reuse.lines)
    zone = ZoneInfo("Asia/Shanghai")
    assert render_index("新媒体速递", BASE, polled, ["atom", "rss"], reuse=reuse) == \
        render_index("新媒体速递", BASE, polled, ["atom", "rss"])
    # The formats changed every line: none was taken from the last page.
    assert not kept.keys() & reuse.lines.keys()
    reuse_zh = NodeLines()
    zh = PageContext("zh-CN", zone)
    render_index("新媒体速递", BASE, polled, ["atom"], context=zh, reuse=reuse_zh)
    again = [replace(polled[0], week=9), *polled[1:]]
    before = dict(reuse_zh.lines)
    assert render_index("新媒体速递", BASE, again, ["atom"], context=zh, reuse=reuse_zh) == \
        render_index("新媒体速递", BASE, again, ["atom"], context=zh)
    # Only the changed node was rendered again; the lines of this page alone are kept.
    assert len(reuse_zh.lines) == len(again)
    assert len(before.keys() & reuse_zh.lines.keys()) == len(again) - 1
    assert render_index("新媒体速递", BASE, again, ["atom"], context=PageContext("en", zone),
                        reuse=reuse_zh) == render_index("新媒体速递", BASE, again, ["atom"],
                                                        context=PageContext("en", zone))
