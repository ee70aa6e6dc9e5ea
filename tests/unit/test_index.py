"""index.html: the tree of feeds with links, counts, newest times and autodiscovery."""

import re
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from typing import ClassVar
from urllib.parse import quote

import pytest
from lxml import html

from feedhub.publish.index import NodeSummary, render_index

BASE = "https://hub.example.org/hub/"
ODD = '<b>&"'
T0 = datetime(2024, 5, 1, 8, 30, 15, tzinfo=UTC)
MEDIA = {"atom": "application/atom+xml", "rss": "application/rss+xml",
         "json": "application/feed+json"}


def summaries() -> list[NodeSummary]:
    return [
        NodeSummary((), 5, T0, None),
        NodeSummary(("新媒体",), 4, T0, None),
        NodeSummary(("新媒体", "鸟哥笔记"), 3, T0 - timedelta(hours=1), None),
        NodeSummary(("新媒体", "鸟哥笔记", "首页"), 3, T0 - timedelta(hours=1),
                    "https://www.niaogebiji.com/?a=1&b=2"),
        NodeSummary(("新媒体", "AC/DC"), 1, T0, None),
        NodeSummary(("新媒体", "AC/DC", ODD), 1, T0, "https://odd.example.com/"),
        NodeSummary(("科技",), 0, None, None),
        NodeSummary(("科技", "少数派"), 0, None, None),
    ]


def feed_url(path: tuple[str, ...], ext: str) -> str:
    if not path:
        return f"{BASE}all.{ext}"
    segments = [quote(name.replace("/", "-"), safe="") for name in path]
    return f"{BASE}feeds/{'/'.join(segments)}.{ext}"


def page(formats=("atom",), items=None, title="新媒体速递") -> tuple[bytes, html.HtmlElement]:
    data = render_index(title, BASE, summaries() if items is None else items, list(formats))
    return data, html.document_fromstring(data)


def node_items(doc: html.HtmlElement) -> dict[str, html.HtmlElement]:
    """Each <li> of the tree by the name it shows."""
    return {li.find_class("name")[0].text_content(): li for li in doc.xpath("//main//li")}


def parent_name(li: html.HtmlElement) -> str | None:
    outer = li.getparent().getparent()
    return outer.find_class("name")[0].text_content() if outer.tag == "li" else None


def own_links(li: html.HtmlElement) -> list[html.HtmlElement]:
    return li.find_class("node")[0].xpath(".//a")


class TagBalance(HTMLParser):
    """Fails on any non-void element closed out of order or left open."""

    VOID: ClassVar[set[str]] = {"meta", "link", "br", "img", "hr", "input"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (tag, self.stack)
        self.stack.pop()


# --- the document ---------------------------------------------------------------------------


def test_index_is_an_html5_utf8_document_with_a_viewport_and_the_hub_title():
    data, doc = page()
    assert data.startswith(b'<!DOCTYPE html>\n<html lang="en">')
    data.decode("utf-8")
    assert doc.xpath("//head/meta[@charset]/@charset") == ["utf-8"]
    assert doc.xpath("//head/meta[@name='viewport']/@content") == [
        "width=device-width, initial-scale=1"]
    assert doc.findtext(".//head/title") == "新媒体速递"
    assert doc.findtext(".//h1") == "新媒体速递"


def test_index_closes_every_element_in_order():
    checker = TagBalance()
    checker.feed(page(formats=("atom", "rss", "json"))[0].decode())
    checker.close()
    assert checker.stack == []


def test_index_has_no_script_and_loads_nothing_from_elsewhere():
    doc = page(formats=("atom", "rss", "json"))[1]
    assert doc.xpath("//script | //img | //iframe | //object | //embed") == []
    assert doc.xpath("//@src | //@*[starts-with(name(), 'on')]") == []
    assert {link.get("rel") for link in doc.xpath("//link")} == {"alternate", "icon"}
    assert doc.xpath("//link[@rel='icon']/@href") == [BASE + "favicon.svg"]
    css = "".join(doc.xpath("//style/text()"))
    assert "@media" in css and "url(" not in css and "@import" not in css
    csp = doc.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
    assert csp == ["default-src 'none'; style-src 'unsafe-inline'; img-src 'self'"]


def test_index_is_byte_identical_for_equal_input():
    assert page(formats=("atom", "rss"))[0] == page(formats=("atom", "rss"))[0]


def test_index_lays_out_one_element_a_line_indented_by_depth():
    data = page(items=summaries()[:4])[0].decode()
    main = data[data.index("<main>"):data.index("</main>")]
    skeleton = [re.sub(r'(<div class="node") id="n-[0-9a-f]{10}">.*(</div>)', r"\1>…\2", line)
                for line in main.splitlines()]
    assert skeleton == [
        "<main>", '<ul class="tree">', "<li>", '<div class="node">…</div>',
        "  <ul>", "  <li>", '  <div class="node">…</div>',
        "    <ul>", "    <li>", '    <div class="node">…</div>',
        "      <ul>", "      <li>", '      <div class="node">…</div>', "      </li>", "      </ul>",
        "    </li>", "    </ul>",
        "  </li>", "  </ul>",
        "</li>", "</ul>"]
    assert data.endswith("</footer>\n</body>\n</html>\n")


# --- the tree -------------------------------------------------------------------------------


def test_index_nests_every_node_under_its_parent_as_lists():
    items = node_items(page()[1])
    assert list(items) == ["Everything", "新媒体", "鸟哥笔记", "首页", "AC/DC", ODD, "科技",
                           "少数派"]
    assert {name: parent_name(li) for name, li in items.items()} == {
        "Everything": None, "新媒体": "Everything", "鸟哥笔记": "新媒体", "首页": "鸟哥笔记",
        "AC/DC": "新媒体", ODD: "AC/DC", "科技": "Everything", "少数派": "科技"}
    assert len(page()[1].xpath("//main/ul[@class='tree']")) == 1


def test_index_hangs_a_node_under_its_nearest_listed_ancestor():
    items = [NodeSummary((), 1, None, None), NodeSummary(("a", "b", "c"), 1, None, None)]
    found = node_items(page(items=items)[1])
    assert parent_name(found["c"]) == "Everything"


def test_index_shows_entry_counts_and_the_newest_time_in_utc():
    items = node_items(page()[1])
    meta = {name: li.find_class("meta")[0].text_content() for name, li in items.items()}
    assert meta["Everything"] == "5 entries · 0 in 24 h · 0 in 7 days · newest 2024-05-01 08:30 UTC"
    assert meta["AC/DC"] == "1 entry · 0 in 24 h · 0 in 7 days · newest 2024-05-01 08:30 UTC"
    assert meta["科技"] == "0 entries · newest —"
    times = items["首页"].find_class("meta")[0].xpath(".//time/@datetime")
    assert times == ["2024-05-01T07:30:15Z"]


def test_index_converts_times_from_other_zones_to_utc():
    beijing = timezone(timedelta(hours=8))
    items = [NodeSummary((), 1_234, datetime(2024, 5, 1, 16, 30, tzinfo=beijing), None)]
    meta = node_items(page(items=items)[1])["Everything"].find_class("meta")[0]
    assert meta.text_content() == (
        "1,234 entries · 0 in 24 h · 0 in 7 days · newest 2024-05-01 08:30 UTC")
    assert meta.xpath(".//time/@datetime") == ["2024-05-01T08:30:00Z"]


# --- links ----------------------------------------------------------------------------------


@pytest.mark.parametrize("formats", [("atom",), ("atom", "rss"), ("json", "rss", "atom"),
                                     ("rss",)])
def test_index_links_each_node_to_its_feed_in_every_format_written(formats):
    exts = [ext for ext in ("atom", "rss", "json") if ext == "atom" or ext in formats]
    for summary, li in zip(summaries(), node_items(page(formats=formats)[1]).values(),
                           strict=True):
        feeds = [a for a in own_links(li) if a.get("type")]
        assert [a.get("href") for a in feeds] == [feed_url(summary.path, e) for e in exts]
        assert [a.get("type") for a in feeds] == [MEDIA[e] for e in exts]


def test_index_feed_urls_are_percent_encoded_and_a_slash_in_a_name_stays_one_segment():
    items = node_items(page()[1])
    assert own_links(items[ODD])[0].get("href") == (
        BASE + "feeds/%E6%96%B0%E5%AA%92%E4%BD%93/AC-DC/%3Cb%3E%26%22.atom")
    hrefs = [a.get("href") for a in page()[1].xpath("//a | //link")]
    assert all(href.isascii() for href in hrefs)


def test_index_uses_the_feed_urls_the_caller_knows_and_builds_the_others():
    formats = ["atom", "rss", "json"]
    built = render_index("t", BASE, summaries(), formats)
    known = {s.path: feed_url(s.path, "atom") for s in summaries()}
    assert render_index("t", BASE, summaries(), formats, known) == built
    cdn = {("科技",): "https://cdn.example/k&k.atom"}
    doc = html.document_fromstring(render_index("t", BASE, summaries(), formats, cdn))
    hrefs = [a.get("href") for a in doc.xpath("//a | //link")]
    for ext in formats:
        assert hrefs.count(f"https://cdn.example/k&k.{ext}") == 2  # autodiscovery and tree
        assert feed_url(("科技",), ext) not in hrefs
        assert feed_url(("科技", "少数派"), ext) in hrefs


def test_index_links_a_leaf_to_its_site_with_nofollow():
    items = node_items(page()[1])
    site = [a for a in own_links(items["首页"]) if a.text_content() == "site"]
    assert [a.get("href") for a in site] == ["https://www.niaogebiji.com/?a=1&b=2"]
    assert site[0].get("rel") == "nofollow noopener noreferrer"
    assert [a for a in own_links(items["鸟哥笔记"]) if a.text_content() == "site"] == []


@pytest.mark.parametrize("link", ["javascript:alert(1)", "data:text/html,<b>x</b>",
                                  "//evil.example/", "vbscript:x", " JavaScript:alert(1)"])
def test_index_drops_a_site_link_that_is_not_http(link):
    items = [NodeSummary((), 1, None, None), NodeSummary(("leaf",), 1, None, link)]
    data, doc = page(items=items)
    assert [a.text_content() for a in own_links(node_items(doc)["leaf"])] == ["Atom"]
    assert b"script:" not in data.lower() and b"data:" not in data


def test_index_links_the_opml_files():
    hrefs = page()[1].xpath("//footer//a/@href")
    assert hrefs == [BASE + "opml.xml", BASE + "sources.opml"]


# --- autodiscovery --------------------------------------------------------------------------


def test_index_autodiscovers_the_atom_feed_of_the_all_feed_and_every_node():
    doc = page()[1]
    links = doc.xpath("//head/link[@rel='alternate']")
    assert [(x.get("type"), x.get("href")) for x in links] == [
        ("application/atom+xml", feed_url(s.path, "atom")) for s in summaries()]
    titles = [x.get("title") for x in links]
    assert titles[0] == "新媒体速递"
    assert titles[5] == f"新媒体 / AC/DC / {ODD} — 新媒体速递"


def test_index_autodiscovers_rss_and_json_feeds_when_they_are_written():
    doc = page(formats=("atom", "rss", "json"))[1]
    links = doc.xpath("//head/link[@rel='alternate']")
    assert [(x.get("type"), x.get("href")) for x in links] == [
        (MEDIA[ext], feed_url(s.path, ext)) for s in summaries()
        for ext in ("atom", "rss", "json")]
    assert [x.get("title") for x in links[:3]] == [
        "新媒体速递", "新媒体速递 (RSS)", "新媒体速递 (JSON Feed)"]


# --- escaping -------------------------------------------------------------------------------


def test_index_escapes_names_and_title():
    data, doc = page(title=f"hub {ODD}")
    assert b"<b>" not in data and b"<script>" not in data
    assert doc.findtext(".//h1") == f"hub {ODD}"
    assert doc.findtext(".//head/title") == f"hub {ODD}"
    assert ODD in node_items(doc)
    assert doc.xpath("//b | //main//script") == []


def test_index_footer_has_one_paragraph():
    assert len(page()[1].xpath("//footer/p")) == 1


def test_index_replaces_control_characters_in_names():
    items = [NodeSummary((), 1, None, None), NodeSummary(("bell\x07",), 1, None, None)]
    data, doc = page(items=items)
    assert b"\x07" not in data
    assert "bell" in node_items(doc)  # the control character is dropped
