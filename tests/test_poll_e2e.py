"""End to end: ``feedhub poll`` against local fixture feeds, outputs read back with feedparser."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import feedparser
import pytest

from conftest import FeedServer, feedhub, status_table, write_config
from feedhub.config import load_config

TREE = """\
  新媒体:
    鸟哥笔记:
      首页: {ngbj}
    人人都是产品经理:
      最新: {{url: {woshipm}, author: 编辑部}}
  科技:
    少数派:
      最新: {sspai}
    转载:
      精选: {mirror}
"""

EXPECTED_FEEDS = [
    "all.atom",
    "feeds/新媒体.atom",
    "feeds/新媒体/鸟哥笔记.atom",
    "feeds/新媒体/鸟哥笔记/首页.atom",
    "feeds/新媒体/人人都是产品经理.atom",
    "feeds/新媒体/人人都是产品经理/最新.atom",
    "feeds/科技.atom",
    "feeds/科技/少数派.atom",
    "feeds/科技/少数派/最新.atom",
    "feeds/科技/转载.atom",
    "feeds/科技/转载/精选.atom",
]


@pytest.fixture
def hub(tmp_path: Path, feed_server: FeedServer) -> tuple[Path, FeedServer]:
    urls = {
        "ngbj": feed_server.serve_fixture("/ngbj.rss", "ngbj.rss", "application/rss+xml"),
        "woshipm": feed_server.serve_fixture("/woshipm.atom", "woshipm.atom"),
        "sspai": feed_server.serve_fixture("/sspai.rdf", "sspai.rdf"),
        "mirror": feed_server.serve_fixture("/mirror.rss", "mirror.rss"),
    }
    return write_config(tmp_path, TREE.format(**urls)), feed_server


def read(public: Path, name: str) -> feedparser.FeedParserDict:
    parsed = feedparser.parse((public / name).read_bytes())
    assert not parsed.bozo, f"{name}: {parsed.get('bozo_exception')}"
    return parsed


def test_poll_writes_a_wellformed_feed_for_every_node(hub: tuple[Path, FeedServer]) -> None:
    config, _ = hub
    result = feedhub("poll", "-c", str(config))
    assert result.returncode == 0, result.stderr
    base_url = load_config(config).base_url
    public = config.parent / "data" / "public"
    written = sorted(str(p.relative_to(public)) for p in public.rglob("*.atom"))
    assert written == sorted(EXPECTED_FEEDS)
    for name in EXPECTED_FEEDS:
        parsed = read(public, name)
        assert parsed.version == "atom10"
        ids = [e.id for e in parsed.entries]
        assert len(ids) == len(set(ids)), f"{name} repeats an entry"
        self_links = [lk.href for lk in parsed.feed.links if lk.rel == "self"]
        assert self_links == [base_url + quote(name)]
        assert parsed.feed.id == base_url + quote(name)


def test_all_feed_has_each_article_once_with_author_categories_and_thumbnail(
        hub: tuple[Path, FeedServer]) -> None:
    config, _ = hub
    assert feedhub("poll", "-c", str(config)).returncode == 0
    parsed = read(config.parent / "data" / "public", "all.atom")
    titles = [e.title for e in parsed.entries]
    # 9 items in the fixtures, one of them a republished copy of another (same canonical link).
    assert len(titles) == 8
    by_title = {e.title: e for e in parsed.entries}

    shared = by_title["阿里腾讯互联互通：谁被裹挟 背后又有几分私心？"]
    terms = [t.term for t in shared.tags]
    assert terms[:6] == ["新媒体", "鸟哥笔记", "首页", "科技", "转载", "精选"]
    assert "行业动态" in terms
    assert shared.author == "鸟哥笔记"  # no author in the item or the feed: the site's name
    assert shared.media_thumbnail[0]["url"] == (
        "https://qnssl.niaogebiji.com/141244649761263fb437a667.40337437.png")
    assert shared.published == "2021-08-26T06:21:20+00:00"

    marked_up = by_title["私域流量&增长：三个方法"]  # markup stripped from the title
    assert marked_up.author == "张三"
    assert marked_up.media_thumbnail[0]["url"] == "https://img.example.org/thumb-58313.jpg"
    assert marked_up.link.startswith("http://127.0.0.1:")  # relative link made absolute
    body = marked_up.content[0].value
    assert "<script" not in body and "javascript:" not in body
    assert 'href="http://127.0.0.1:' in body  # relative link inside content made absolute

    assert by_title["没有 guid 的文章"].media_thumbnail[0]["url"].endswith("enclosure-58314.jpg")
    assert by_title["效率工具推荐：用好快捷指令"].author == "王五"
    assert by_title["数字生活：我的桌面"].author == "少数派"  # the feed's own title is not used
    assert by_title["产品经理的 第一课"].media_thumbnail[0]["url"] == (
        "https://www.woshipm.com/img/5001-cover.png")  # the 1x1 pixel is skipped
    assert by_title["运营笔记"].media_thumbnail[0]["url"].endswith("5002-large.jpg")
    assert by_title["运营笔记"].author == "人人都是产品经理编辑部"

    published = [e.published for e in parsed.entries]
    assert published == sorted(published, reverse=True)
    assert parsed.feed.updated == max(e.updated for e in parsed.entries)


def test_topic_feed_holds_only_its_own_sources(hub: tuple[Path, FeedServer]) -> None:
    config, _ = hub
    assert feedhub("poll", "-c", str(config)).returncode == 0
    public = config.parent / "data" / "public"
    topic = read(public, "feeds/科技.atom")
    assert {e.title for e in topic.entries} == {
        "效率工具推荐：用好快捷指令", "数字生活：我的桌面", "转载站自己的文章",
        "阿里腾讯互联互通：谁被裹挟 背后又有几分私心？",
    }
    route = read(public, "feeds/新媒体/鸟哥笔记/首页.atom")
    assert len(route.entries) == 3
    assert route.feed.title == "新媒体 / 鸟哥笔记 / 首页 — 测试速递"


def without_times(page: bytes) -> bytes:
    """An index page with its <time> elements emptied: what it says besides when."""
    return re.sub(rb"<time [^>]*>[^<]*</time>", b"<time/>", page)


def test_second_poll_is_conditional_and_rewrites_nothing(hub: tuple[Path, FeedServer]) -> None:
    # Nothing but the index page's times may change: the sources' last success moved on.
    config, server = hub
    assert feedhub("poll", "-c", str(config)).returncode == 0
    public = config.parent / "data" / "public"
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in public.rglob("*") if p.is_file()}
    assert len(before) > 3 * len(EXPECTED_FEEDS)

    time.sleep(1.1)  # times are kept to the second: the second poll's are sure to differ
    result = feedhub("poll", "-c", str(config))
    assert result.returncode == 0, result.stderr
    written = re.search(r"0 new, 0 updated, 0 failed, 0 skipped; (\d) feeds written",
                        result.stdout)
    assert written, result.stdout
    for path in ("/ngbj.rss", "/woshipm.atom", "/sspai.rdf", "/mirror.rss"):
        first, second = server.requests_for(path)
        assert "if-none-match" not in first.headers
        assert second.headers["if-none-match"] == server.routes[path].etag
        assert second.headers["if-modified-since"] == server.routes[path].last_modified
        assert second.status == 304
    after = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in public.rglob("*") if p.is_file()}
    index = public / "index.html"
    changed = {p for p in after if after[p] != before[p]}
    assert changed <= {index} and len(changed) == int(written.group(1))
    assert without_times(after[index][1]) == without_times(before[index][1])
    assert after.keys() == before.keys()


def test_build_on_unchanged_database_is_byte_identical(hub: tuple[Path, FeedServer]) -> None:
    config, _ = hub
    assert feedhub("poll", "-c", str(config)).returncode == 0
    public = config.parent / "data" / "public"
    before = {p: p.read_bytes() for p in public.rglob("*") if p.is_file()}
    for p in before:
        p.unlink()
    result = feedhub("build", "-c", str(config))
    assert result.returncode == 0, result.stderr
    assert {p: p.read_bytes() for p in public.rglob("*") if p.is_file()} == before
    mtimes = {p: p.stat().st_mtime_ns for p in before}
    assert feedhub("build", "-c", str(config)).returncode == 0
    assert {p: p.stat().st_mtime_ns for p in before} == mtimes


def test_changed_entry_is_updated_in_place(hub: tuple[Path, FeedServer]) -> None:
    config, server = hub
    assert feedhub("poll", "-c", str(config)).returncode == 0
    body = (Path(__file__).parent / "fixtures" / "sspai.rdf").read_text(encoding="utf-8")
    server.serve("/sspai.rdf", body.replace("十个用法", "十二个用法").encode())
    result = feedhub("poll", "-c", str(config), "科技/少数派")
    assert result.returncode == 0, result.stderr
    assert "0 new, 1 updated" in result.stdout
    parsed = read(config.parent / "data" / "public", "feeds/科技/少数派/最新.atom")
    assert len(parsed.entries) == 2
    edited = next(e for e in parsed.entries if e.id == "https://sspai.com/post/1001")
    assert "十二个用法" in edited.content[0].value
    assert edited.updated > edited.published
    # A raw change that sanitizing takes away again changes no stored field: not an update.
    server.serve("/sspai.rdf", body.replace("十个用法", "十二个用法").replace(
        "。&lt;img", "。&lt;script&gt;x()&lt;/script&gt;&lt;img").encode())
    result = feedhub("poll", "-c", str(config), "科技/少数派")
    assert result.returncode == 0, result.stderr
    assert "0 new, 0 updated" in result.stdout
    with contextlib.closing(sqlite3.connect(config.parent / "data" / "feedhub.db")) as db:
        kinds = db.execute("SELECT DISTINCT typeof(content) FROM entries").fetchall()
        (content,) = db.execute("SELECT content FROM entries WHERE link=?",
                                ["https://sspai.com/post/1001"]).fetchone()
    assert kinds == [("text",)]
    assert "十二个用法" in content and "script" not in content


def test_poll_of_one_path_touches_only_that_subtree(hub: tuple[Path, FeedServer]) -> None:
    config, server = hub
    result = feedhub("poll", "-c", str(config), "科技/少数派")
    assert result.returncode == 0, result.stderr
    assert [r.path for r in server.requests] == ["/sspai.rdf"]


def test_unknown_path_is_a_user_error(hub: tuple[Path, FeedServer]) -> None:
    config, server = hub
    result = feedhub("poll", "-c", str(config), "科技/没有这个")
    assert result.returncode == 1
    assert "no node '科技/没有这个'" in result.stderr
    assert server.requests == []


def test_one_broken_source_does_not_stop_the_others(tmp_path: Path,
                                                    feed_server: FeedServer) -> None:
    good = feed_server.serve_fixture("/ngbj.rss", "ngbj.rss")
    html = feed_server.serve("/page", b"<html><body>hello</body></html>", "text/html")
    config = write_config(tmp_path, f"""\
  新媒体:
    鸟哥笔记:
      首页: {good}
      坏的: {html}
      没有: {feed_server.url("/missing.xml")}
""")
    result = feedhub("poll", "-c", str(config))
    assert result.returncode == 0, result.stderr
    assert "3 new" in result.stdout and "2 failed" in result.stdout
    status = feedhub("status", "-c", str(config))
    rows = {line.split()[0]: line for line in status_table(status.stdout)[1]}
    assert "not a feed: got text/html from" in rows["新媒体/鸟哥笔记/坏的"]
    assert "HTTP 404" in rows["新媒体/鸟哥笔记/没有"]
    assert " ok " in rows["新媒体/鸟哥笔记/首页"]
    parsed = read(tmp_path / "data" / "public", "all.atom")
    assert len(parsed.entries) == 3


def test_status_json_lists_every_source(hub: tuple[Path, FeedServer]) -> None:
    config, _ = hub
    assert feedhub("poll", "-c", str(config)).returncode == 0
    result = feedhub("status", "-c", str(config), "--json")
    rows = json.loads(result.stdout)
    assert {r["source_id"]: r["entries"] for r in rows} == {
        "新媒体/鸟哥笔记/首页": 3, "新媒体/人人都是产品经理/最新": 2,
        "科技/少数派/最新": 2, "科技/转载/精选": 2,
    }
    assert all(r["state"] == "ok" and r["next_poll"] for r in rows)


def test_status_ends_with_the_size_of_the_output(hub: tuple[Path, FeedServer]) -> None:
    config, _ = hub
    assert feedhub("poll", "-c", str(config)).returncode == 0
    public = config.parent / "data" / "public"
    size = sum(p.stat().st_size for p in public.rglob("*") if p.is_file())
    result = feedhub("status", "-c", str(config))
    assert result.returncode == 0
    assert result.stdout.rstrip().endswith(f"output: {public.resolve()}: {size / 1e6:,.1f} MB")


def test_config_from_environment_and_check(hub: tuple[Path, FeedServer]) -> None:
    config, _ = hub
    env = {**os.environ, "FEEDHUB_CONFIG": str(config)}
    result = subprocess.run([sys.executable, "-m", "feedhub", "check"], env=env,
                            capture_output=True, text=True, cwd=config.parent.parent)
    assert result.returncode == 0, result.stderr
    assert "4 sources" in result.stdout


def test_check_reports_a_bad_config_in_one_line(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("title: x\npolling:\n  interval: soon\nsources:\n  a: {url: "
                      "https://example.org/feed}\n", encoding="utf-8")
    result = feedhub("check", "-c", str(config))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert f"{config}:3: polling.interval:" in lines[0] and "'soon'" in lines[0]


def test_usage_error_exits_2() -> None:
    assert feedhub("frobnicate").returncode == 2


def test_index_page_opml_and_other_formats_are_written(hub: tuple[Path, FeedServer]) -> None:
    import lxml.html
    from lxml import etree

    config, _ = hub
    assert feedhub("poll", "-c", str(config)).returncode == 0
    public = config.parent / "data" / "public"
    base_url = load_config(config).base_url
    page = lxml.html.fromstring((public / "index.html").read_bytes())
    discovered = {(lk.get("type"), lk.get("href"))
                  for lk in page.findall(".//head/link[@rel='alternate']")}
    for name in EXPECTED_FEEDS:
        for ext, kind in (("atom", "application/atom+xml"), ("rss", "application/rss+xml"),
                          ("json", "application/feed+json")):
            assert (kind, base_url + quote(name[:-4] + ext)) in discovered, (name, ext)
            assert (public / (name[:-4] + ext)).is_file()
    assert "少数派" in page.text_content() and "script" not in (public / "index.html").read_text()
    outlines = etree.parse(str(public / "opml.xml")).findall(".//outline[@xmlUrl]")
    assert {o.get("xmlUrl") for o in outlines} == {base_url + quote(n) for n in EXPECTED_FEEDS}
    sources = etree.parse(str(public / "sources.opml")).findall(".//outline[@xmlUrl]")
    assert len(sources) == 4
    rss = feedparser.parse((public / "all.rss").read_bytes())
    assert not rss.bozo and rss.version == "rss20" and len(rss.entries) == 8
    feed = json.loads((public / "all.json").read_text(encoding="utf-8"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1" and len(feed["items"]) == 8


def test_build_removes_the_feeds_of_nodes_no_longer_in_the_tree(
        hub: tuple[Path, FeedServer]) -> None:
    config, _ = hub
    assert feedhub("poll", "-c", str(config)).returncode == 0
    public = config.parent / "data" / "public"
    text = config.read_text(encoding="utf-8")
    start = text.index("  科技:")
    config.write_text(text[:start], encoding="utf-8")
    assert feedhub("build", "-c", str(config)).returncode == 0
    assert not (public / "feeds" / "科技.atom").exists()
    assert not list((public / "feeds").rglob("少数派*"))
    assert (public / "feeds" / "新媒体.atom").is_file()
    assert not (public / "feeds" / "新媒体.atom.gz").exists()  # publish.gzip is off
    parsed = read(public, "all.atom")
    assert {e.title for e in parsed.entries} >= {"产品经理的 第一课"}
    assert not {"效率工具推荐：用好快捷指令"} & {e.title for e in parsed.entries}


def test_poll_reports_progress_as_sources_are_fetched(hub: tuple[Path, FeedServer]) -> None:
    import asyncio

    from feedhub.poller import poll_in_order
    from feedhub.store import Store
    from feedhub.store_thread import StoreThread

    config_path, _ = hub
    config = load_config(config_path)
    store = Store(config.database)
    store.sources.sync(config.sources)
    db = StoreThread(store)
    seen: list[tuple[int, int, int]] = []
    try:
        outcomes, _ = asyncio.run(poll_in_order(config, db, config.sources,
                                                lambda *counts: seen.append(counts)))
    finally:
        db.close()
    assert seen == [(1, 4, 0), (2, 4, 0), (3, 4, 0), (4, 4, 0)]
    assert len(outcomes) == 4


def slow_hub(tmp_path: Path, feed_server: FeedServer) -> Path:
    """Three sources, one failing and one taking 2.5 s, so the poll outlasts the quiet time."""
    fast = feed_server.serve_fixture("/ngbj.rss", "ngbj.rss")
    slow = feed_server.serve_fixture("/sspai.rdf", "sspai.rdf")
    feed_server.routes["/sspai.rdf"].delay = 2.5
    return write_config(tmp_path, f"""\
  新媒体:
    鸟哥笔记:
      首页: {fast}
      坏的: {feed_server.url("/missing.xml")}
  科技:
    少数派:
      最新: {slow}
""")


def test_a_long_poll_writes_plain_progress_lines_to_a_log(
        tmp_path: Path, feed_server: FeedServer) -> None:
    result = feedhub("poll", "-c", str(slow_hub(tmp_path, feed_server)))
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("feedhub: poll:")]
    # The two quick sources finish within the quiet time; the slow one ends the run.
    assert lines[-1].startswith("feedhub: poll: 3/3 sources (100%), 1 failed, ")
    assert len(lines) == 1
    assert result.stdout.startswith("polled 3 sources: ")


def test_a_poll_on_a_terminal_draws_a_bar(tmp_path: Path, feed_server: FeedServer) -> None:
    import pty

    config = slow_hub(tmp_path, feed_server)
    primary, secondary = pty.openpty()
    env = {**os.environ, "COLUMNS": "120", "TERM": "xterm"}
    env.pop("FEEDHUB_CONFIG", None)
    proc = subprocess.Popen([sys.executable, "-m", "feedhub", "poll", "-c", str(config)],
                            stdout=subprocess.PIPE, stderr=secondary, env=env)
    os.close(secondary)
    drawn = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the child closed its end
            break
        if not chunk:
            break
        drawn += chunk
    stdout, _ = proc.communicate(timeout=30)
    os.close(primary)
    assert proc.returncode == 0
    text = drawn.decode("utf-8", "replace")
    assert "poll" in text and "3/3" in text and "1 failed" in text
    assert "\x1b[" in text  # drawn with terminal control sequences, not plain lines
    assert "feedhub: poll:" not in text
    assert "HTTP 404" in text  # the log's lines still reach the terminal, above the bar
    assert stdout.decode().startswith("polled 3 sources: ")
