"""The index page as a curator sees it: published by the daemon, read back, and opened with
its feeds in headless Chromium (Playwright drives the system's Chromium; .ci/run installs it
with Debian's CJK fonts)."""

from __future__ import annotations

import shutil
import struct
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from conftest import FeedServer, write_config
from feedhub.publish.index import anchor
from running import Daemon, get, wait_for

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Without the background-networking flags Chromium keeps reaching for Google's hosts.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]
GOOD, EMPTY, BROKEN = ("新媒体", "鸟哥笔记", "首页"), ("新媒体", "鸟哥笔记", "安静"), \
    ("新媒体", "鸟哥笔记", "坏的")
NOW = datetime.now(UTC).replace(microsecond=0)
# (title, age): one within the day, two within the week, one older.
ITEMS = [("今天的文章", timedelta(hours=1)), ("前天的文章", timedelta(days=2)),
         ("上周的文章", timedelta(days=6)), ("上个月的文章", timedelta(days=30))]


def rss(items: list[tuple[str, timedelta]]) -> bytes:
    body = "".join(
        f"<item><title>{title}</title><link>https://ngbj.example/{n}</link>"
        f"<guid>https://ngbj.example/{n}</guid>"
        f"<pubDate>{format_datetime(NOW - age, usegmt=True)}</pubDate>"
        f"<description>&lt;p&gt;{title}的正文。&lt;/p&gt;</description></item>"
        for n, (title, age) in enumerate(items))
    return ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
            "<title>鸟哥笔记</title><link>https://ngbj.example/</link>"
            f"<language>zh-CN</language>{body}</channel></rss>").encode()


@pytest.fixture
def hub(tmp_path: Path, feed_server: FeedServer,
        launch: Callable[[Path], Daemon]) -> Iterator[Daemon]:
    """A daemon over three sources: one with entries, one valid but empty, one answering 404;
    no language set (the sources say zh-CN), times in Asia/Shanghai."""
    good = feed_server.serve("/good.rss", rss(ITEMS), "application/rss+xml")
    empty = feed_server.serve("/empty.rss", rss([]), "application/rss+xml")
    config = write_config(tmp_path, f"""\
  新媒体:
    鸟哥笔记:
      首页: {good}
      安静: {empty}
      坏的: {feed_server.url("/missing.xml")}
""", extra="timezone: Asia/Shanghai\n")
    daemon = launch(config)
    wait_for(lambda: daemon.health()["sources"] == {"new": 0, "ok": 2, "failing": 1, "gone": 0},
             what="all three sources polled")
    wait_for(lambda: b"HTTP 404" in get(daemon.url(""))[2], what="the failing source on the page")
    yield daemon


def test_the_page_tells_a_failing_source_from_an_empty_one(hub: Daemon) -> None:
    doc = lxml.html.fromstring(get(hub.url(""))[2])
    assert doc.xpath("/html/@lang") == ["zh-CN"]  # from the sources, none being set

    def line(path: tuple[str, ...]) -> Any:
        (div,) = doc.xpath(f"//div[@id='{anchor(path)}']")
        return div

    good, empty, broken = line(GOOD), line(EMPTY), line(BROKEN)
    assert [d.get("class") for d in (good, empty, broken)] == [
        "node ok", "node ok", "node failing"]
    assert [d.find_class("badge")[0].text for d in (good, empty, broken)] == [
        "正常", "正常", "抓取失败"]
    assert good.find_class("meta")[0].text_content().startswith(
        "4 篇 · 24 小时内 1 篇 · 7 天内 3 篇 · 最新 ")
    assert empty.find_class("meta")[0].text_content() == "0 篇 · 最新 —"
    health = broken.xpath("following-sibling::p[@class='health']")[0].text_content()
    assert health.startswith("上次成功 从未 · HTTP 404")
    # Times for people in the hub's zone, for machines in UTC.
    (newest,) = good.find_class("meta")[0].xpath("time")
    shanghai = (NOW - timedelta(hours=1)).astimezone(timezone(timedelta(hours=8)))
    assert newest.text == shanghai.strftime("%Y-%m-%d %H:%M CST")
    assert newest.get("datetime") == (NOW - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    recent = good.xpath("following-sibling::ol[@class='recent']/li/a/text()")
    assert recent == ["今天的文章", "前天的文章", "上周的文章"]
    (attention,) = doc.xpath("//ul[@class='attention']/li")
    assert attention.xpath("a/@href") == [f"#{anchor(BROKEN)}"]


@pytest.fixture
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed: apt-get install chromium fonts-noto-cjk "
                    "(.ci/run does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_chromium_renders_the_page_with_cjk_fonts_and_no_errors(
        hub: Daemon, browser: Any, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    assert page.goto(hub.url("")).status == 200
    shot = page.screenshot(full_page=True, path=str(tmp_path / "index.png"))
    width, height = png_size(shot)
    assert width == 1100 and height >= 900
    assert errors == []

    # The glyphs of the Chinese title come from a CJK font, not boxes of a Latin one.
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    h1 = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "h1"})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": h1})["fonts"]
    assert any("CJK" in f["familyName"] and f["glyphCount"] >= 4 for f in fonts), fonts

    # A failing source stands out: a red bar and a tinted line; an empty one looks ordinary.
    def style(path: tuple[str, ...], prop: str) -> str:
        return page.eval_on_selector(f"#{anchor(path)}",
                                     f"e => getComputedStyle(e).{prop}")

    assert style(BROKEN, "borderLeftWidth") == "4px"
    assert style(EMPTY, "borderLeftWidth") == "0px"
    assert style(BROKEN, "backgroundColor") != style(EMPTY, "backgroundColor")
    assert page.locator(f"#{anchor(BROKEN)} .badge").inner_text() == "抓取失败"


def test_a_feed_opened_in_chromium_reads_as_a_page(hub: Daemon, browser: Any) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    response = page.goto(hub.url("feeds/新媒体/鸟哥笔记/首页.atom"))
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert page.locator("h1").inner_text() == "新媒体 / 鸟哥笔记 / 首页 — 测试速递"
    items = page.locator("ol > li > a")
    assert items.all_inner_texts() == [title for title, _ in ITEMS]
    assert items.first.get_attribute("href") == "https://ngbj.example/0"
    assert "阅读器" in page.locator("p.note").inner_text()
    assert errors == []
    # A feed reader asking for the feed gets its own type.
    _, headers, body = get(hub.url("feeds/新媒体/鸟哥笔记/首页.atom"),
                           {"Accept": "application/atom+xml"})
    assert headers["Content-Type"].startswith("application/atom+xml")
    assert b'<?xml-stylesheet type="text/xsl" href="/feed.xsl"?>' in body
