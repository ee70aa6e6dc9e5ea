"""A real feed reader subscribes to what ``feedhub run`` serves: newsboat, run non-interactively.

newsboat (Debian package ``newsboat``; ``.ci/run`` installs it) downloads the daemon's feeds
with libcurl and keeps what it read in an SQLite cache (tables ``rss_feed`` and ``rss_item``),
which this test reads back: every entry of every feed must be there with its title and link,
exactly as feedparser reads the same served feed and as the fixtures say. A later reload sends
the validators newsboat stored (``If-None-Match``, ``If-Modified-Since``), and feedhub's
``/metrics`` must count one more ``304`` per feed.

Each feed gets its own cache file: newsboat keys cached items by guid alone, so an entry that is
in two feeds of one cache (all.atom and a topic's feed) is kept under only one of them.
"""

from __future__ import annotations

import calendar
import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import feedparser
import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import FOUR_SOURCES, FeedServer, free_port, serve_four, write_config
from running import Daemon, get, wait_for

# Title -> link of every article in the fixtures, as feedhub publishes them. The mirror's copy
# of the first article is the same article (same canonical link): it appears once, with the
# title and link of the source listed first. "{feeds}" is the fixture server (a relative link).
ARTICLES = {
    "阿里腾讯互联互通：谁被裹挟 背后又有几分私心？": "https://www.niaogebiji.com/article-58312-1.html",
    "私域流量&增长：三个方法": "{feeds}/article-58313-1.html?utm_source=rss&utm_medium=feed",
    "没有 guid 的文章": "https://www.niaogebiji.com/article-58314-1.html",
    "产品经理的 第一课": "https://www.woshipm.com/pd/5001.html",
    "运营笔记": "https://www.woshipm.com/operate/5002.html",
    "效率工具推荐：用好快捷指令": "https://sspai.com/post/1001",
    "数字生活：我的桌面": "https://sspai.com/post/1002",
    "转载站自己的文章": "https://mirror.example.net/own-1",
}

# The feeds newsboat subscribes to (Atom and RSS, the whole hub, a topic and a route: their
# URLs are percent-encoded UTF-8), and the titles each must hold.
SUBSCRIPTIONS = {
    "all.atom": set(ARTICLES),
    "all.rss": set(ARTICLES),
    "feeds/科技.atom": {"效率工具推荐：用好快捷指令", "数字生活：我的桌面", "转载站自己的文章",
                      "阿里腾讯互联互通：谁被裹挟 背后又有几分私心？"},
    "feeds/新媒体/鸟哥笔记/首页.rss": {"阿里腾讯互联互通：谁被裹挟 背后又有几分私心？",
                                "私域流量&增长：三个方法", "没有 guid 的文章"},
}


@dataclass
class Newsboat:
    """One newsboat subscription in ``folder``: its urls file, config, cache and error log."""

    binary: str
    url: str
    folder: Path
    home: Path

    def __post_init__(self) -> None:
        self.folder.mkdir()
        self.urls = self.folder / "urls"
        self.urls.write_text(self.url + "\n", encoding="utf-8")
        self.cache = self.folder / "cache.db"
        self.error_log = self.folder / "error.log"
        self.config = self.folder / "config"
        self.config.write_text(f'download-timeout 10\nerror-log "{self.error_log}"\n',
                               encoding="utf-8")

    def reload(self) -> None:
        # newsboat writes what it reads in the locale's charset: a UTF-8 locale keeps the titles.
        env = {"HOME": str(self.home), "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TERM": "dumb",
               "XDG_CONFIG_HOME": str(self.home / ".config"),
               "XDG_DATA_HOME": str(self.home / ".local" / "share")}
        result = subprocess.run(
            [self.binary, "-u", str(self.urls), "-c", str(self.cache), "-C", str(self.config),
             "-x", "reload"],
            env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, (
            f"newsboat -x reload of {self.url} exited {result.returncode}:\n"
            f"{result.stdout}{result.stderr}{self.errors()}")

    def errors(self) -> str:
        if self.error_log.exists():
            return self.error_log.read_text(encoding="utf-8", errors="replace")
        return ""

    def query(self, sql: str, *args: object) -> list[tuple]:
        with contextlib.closing(sqlite3.connect(self.cache)) as db:
            return db.execute(sql, args).fetchall()

    def validators(self) -> tuple[int, str]:
        rows = self.query("SELECT lastmodified, etag FROM rss_feed WHERE rssurl = ?", self.url)
        assert len(rows) == 1, f"newsboat cached no feed for {self.url}: {self.errors()}"
        return rows[0]


@pytest.fixture
def newsboat_binary() -> str:
    path = shutil.which("newsboat")
    if path is None:
        pytest.fail("newsboat is not installed: install it (Debian: `apt-get install newsboat`); "
                    ".ci/run installs it when it is missing")
    return path


@pytest.fixture
def daemon(tmp_path: Path, feed_server: FeedServer) -> Iterator[Daemon]:
    port = free_port()
    d = Daemon(write_config(tmp_path, FOUR_SOURCES.format(**serve_four(feed_server)),
                            port=port), port)
    try:
        yield d
    finally:
        d.kill()


def served(daemon: Daemon, path: str) -> feedparser.FeedParserDict:
    status, _, body = get(daemon.url(path))
    assert status == 200, f"{path}: HTTP {status}"
    parsed = feedparser.parse(body)
    assert not parsed.bozo, f"{path}: {parsed.get('bozo_exception')}"
    return parsed


def responses(daemon: Daemon, status: str) -> float:
    """feedhub_http_responses_total{status=...} from /metrics (0 before the first one)."""
    code, _, body = get(daemon.url("metrics"))
    assert code == 200
    total = 0.0
    for family in text_string_to_metric_families(body.decode("utf-8")):
        if family.name == "feedhub_http_responses":
            total += sum(s.value for s in family.samples
                         if s.name == "feedhub_http_responses_total"
                         and s.labels.get("status") == status)
    return total


def replay_validators(readers: dict[str, Newsboat]) -> dict[str, int]:
    """The status feedhub gives each feed's request with the validators newsboat stored."""
    statuses = {}
    for path, reader in readers.items():
        _, etag = reader.validators()
        statuses[path] = get(reader.url, {"Accept-Encoding": "gzip, deflate",
                                          "If-None-Match": etag})[0]
    return statuses


def test_newsboat_reads_every_entry_of_every_feed_then_gets_304s(
        newsboat_binary: str, daemon: Daemon, feed_server: FeedServer, tmp_path: Path) -> None:
    articles = {title: link.format(feeds=feed_server.url("")) for title, link in
                ARTICLES.items()}

    # The first publish that holds every source: all four are polled within five seconds of
    # the start, and each feed is rewritten a second after the polls that change it.
    def published() -> bool:
        return all({e.title for e in served(daemon, path).entries} == titles
                   for path, titles in SUBSCRIPTIONS.items())
    wait_for(published, timeout=20, what="every source polled and published")

    home = tmp_path / "home"
    home.mkdir()
    readers = {path: Newsboat(newsboat_binary, daemon.url(path), tmp_path / f"newsboat-{n}", home)
               for n, path in enumerate(SUBSCRIPTIONS)}
    not_modified_before = responses(daemon, "304")

    for path, reader in readers.items():
        reader.reload()

        expected = served(daemon, path)
        feed_rows = reader.query("SELECT rssurl, url, title FROM rss_feed")
        assert feed_rows == [(reader.url, expected.feed.link, expected.feed.title)], (
            reader.errors())
        items = reader.query(
            "SELECT guid, title, url, pubDate FROM rss_item WHERE feedurl = ? AND deleted = 0",
            reader.url)
        seen = {guid: (title, url) for guid, title, url, _ in items}
        assert len(items) == len(expected.entries) == len(SUBSCRIPTIONS[path]), (
            f"{path}: newsboat cached {len(items)} entries, the feed has "
            f"{len(expected.entries)}\n{reader.errors()}")
        assert seen == {e.id: (e.title, e.link) for e in expected.entries}, path
        assert {title: url for title, url in seen.values()} == {
            title: articles[title] for title in SUBSCRIPTIONS[path]}, path
        dates = {guid: date for guid, _, _, date in items}
        assert dates == {e.id: calendar.timegm(e.published_parsed) for e in expected.entries}, (
            path)

    # No reader asked conditionally yet, so nothing was answered 304.
    assert responses(daemon, "304") == not_modified_before

    for path, reader in readers.items():
        if reader.validators() == (0, ""):
            # newsboat 2.21 (Debian 12's) stores the validators of a feed's first download
            # before it creates the feed's row in its cache, so they are lost: its second
            # reload is still unconditional (answered 200) and stores them. Later releases
            # create the row first, and their second reload is already conditional.
            reader.reload()
        lastmodified, etag = reader.validators()
        assert etag and lastmodified, f"{path}: newsboat kept no validators from feedhub"
    primed = responses(daemon, "304")
    assert primed == not_modified_before

    # Conditional reloads: feedhub answers each feed 304, counts each in /metrics, and
    # newsboat keeps every entry.
    for reader in readers.values():
        reader.reload()
    rose = responses(daemon, "304") - primed
    assert rose == len(readers), (
        f'feedhub_http_responses_total{{status="304"}} rose by {rose:g} over newsboat\'s '
        f"conditional reload of {len(readers)} feeds; the same validators sent by hand get "
        f"{replay_validators(readers)}")
    for path, reader in readers.items():
        count = reader.query("SELECT count(*) FROM rss_item WHERE deleted = 0")[0][0]
        assert count == len(SUBSCRIPTIONS[path]), path

    daemon.proc.send_signal(signal.SIGTERM)
    assert daemon.proc.wait(timeout=15) == 0, daemon.logged()
    assert "stopped" in daemon.logged()
