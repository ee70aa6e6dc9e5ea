"""WebSub publishing against a fake hub on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import feedparser
import pytest

from conftest import FeedServer, QuietHandler, feedhub, reply, write_config


class FakeHub:
    def __init__(self) -> None:
        self.pings: list[dict[str, list[str]]] = []
        hub = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                hub.pings.append(parse_qs(self.rfile.read(length).decode()))
                reply(self, 204, b"", {})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hub"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def pinged(self) -> list[str]:
        return sorted(u for p in self.pings for u in p["hub.url"])


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    h = FakeHub()
    yield h
    h.httpd.shutdown()
    h.httpd.server_close()


def test_changed_feeds_advertise_the_hub_and_are_pinged(tmp_path: Path, hub: FakeHub,
                                                        feed_server: FeedServer) -> None:
    url = feed_server.serve_fixture("/ngbj.rss", "ngbj.rss")
    other = feed_server.serve_fixture("/sspai.rdf", "sspai.rdf")
    config = write_config(tmp_path, f"""\
  新媒体:
    鸟哥笔记:
      首页: {url}
  科技:
    少数派:
      最新: {other}
""", extra=f"publish: {{websub_hub: '{hub.url}', formats: [atom, rss, json]}}\n")
    assert feedhub("poll", "-c", str(config)).returncode == 0
    assert len(hub.pinged) == 7 * 3  # every feed was new
    hub.pings.clear()
    body = (Path(__file__).parent / "fixtures" / "ngbj.rss").read_text(encoding="utf-8")
    feed_server.serve("/ngbj.rss", body.replace("纯文本摘要", "修订后的摘要").encode())
    assert feedhub("poll", "-c", str(config)).returncode == 0
    assert all(p["hub.mode"] == ["publish"] for p in hub.pings)
    base = config.read_text(encoding="utf-8").split("base_url: ")[1].split("\n")[0]
    expected = [base + path for path in (
        "all.atom", "all.rss", "all.json",
        "feeds/%E6%96%B0%E5%AA%92%E4%BD%93.atom", "feeds/%E6%96%B0%E5%AA%92%E4%BD%93.rss",
        "feeds/%E6%96%B0%E5%AA%92%E4%BD%93.json")]
    assert set(expected) <= set(hub.pinged)
    assert len(hub.pinged) == 12  # all, topic, site, route: three formats each
    assert not any("%E7%A7%91%E6%8A%80" in u for u in hub.pinged)  # 科技 did not change

    atom = feedparser.parse((tmp_path / "data/public/all.atom").read_bytes())
    assert {"rel": "hub", "href": hub.url} in [
        {"rel": lk.rel, "href": lk.href} for lk in atom.feed.links]
    assert f'<atom:link rel="hub" href="{hub.url}"/>' in (
        tmp_path / "data/public/all.rss").read_text(encoding="utf-8")

    hub.pings.clear()
    assert feedhub("poll", "-c", str(config)).returncode == 0
    assert hub.pings == []  # nothing changed: no ping


def test_a_hub_that_is_down_does_not_fail_the_poll(tmp_path: Path,
                                                   feed_server: FeedServer) -> None:
    url = feed_server.serve_fixture("/ngbj.rss", "ngbj.rss")
    config = write_config(tmp_path, f"  a:\n    b:\n      c: {url}\n",
                          extra="publish: {websub_hub: 'http://127.0.0.1:9/hub'}\n")
    result = feedhub("poll", "-c", str(config))
    assert result.returncode == 0
    assert "cannot ping hub http://127.0.0.1:9/hub" in result.stderr
    assert "3 new" in result.stdout
