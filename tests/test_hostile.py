"""Polite and resilient fetching, end to end: hostile servers never hurt the healthy sources."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest

from conftest import FeedServer, feedhub, free_port, write_config
from hostile import HostileServer

HOSTILE = {
    "慢": ("/drip", "timed out after 2s fetching"),
    "无尽": ("/endless", "body larger than 10000000 bytes"),
    "炸弹": ("/bomb", "body larger than 10000000 bytes"),
    "循环": ("/loop-a", "redirect loop at"),
    "内网": ("/to-private", "127.0.0.2 is a private address"),
    "消失": ("/gone", "HTTP 410 Gone from"),
    "限流": ("/limited", "HTTP 429 Too Many Requests from"),
    "故障": ("/storm", "HTTP 503 Service Unavailable from"),
    "网页": ("/html", "not a feed: got text/html from"),
    "空白": ("/empty", "not a feed: empty body from"),
}


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server


def config_for(tmp_path: Path, leaves: dict[str, str], polling: str | None = None) -> Path:
    lines = "".join(f"      {name}: {url}\n" for name, url in leaves.items())
    if polling is None:
        return write_config(tmp_path, "  测试:\n    站:\n" + lines)
    return write_config(tmp_path, "  测试:\n    站:\n" + lines, polling=polling)


def status_rows(config: Path) -> dict[str, dict]:
    result = feedhub("status", "-c", str(config), "--json")
    return {row["source_id"].rsplit("/", 1)[1]: row for row in json.loads(result.stdout)}


def test_ten_hostile_sources_cannot_hurt_ten_healthy_ones(tmp_path: Path,
                                                          hostile: HostileServer) -> None:
    leaves = {f"健康{n}": hostile.url(f"/ok/{n}") for n in range(10)}
    leaves |= {name: hostile.url(path) for name, (path, _) in HOSTILE.items()}
    config = config_for(tmp_path, leaves, "timeout: 2s, per_host: 20, allow_private: [127.0.0.1]")
    started = time.monotonic()
    result = feedhub("poll", "-c", str(config))
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert elapsed < 2 + 10, f"poll took {elapsed:.1f}s with a 2s deadline"
    assert "20 new, 0 updated, 10 failed" in result.stdout

    parsed = feedparser.parse((tmp_path / "data/public/all.atom").read_bytes())
    assert not parsed.bozo
    assert len(parsed.entries) == 20
    rows = status_rows(config)
    for name, (_, words) in HOSTILE.items():
        assert words in rows[name]["message"], (name, rows[name]["message"])
        assert rows[name]["state"] == ("gone" if name == "消失" else "failing")
    for n in range(10):
        assert rows[f"健康{n}"]["state"] == "ok" and rows[f"健康{n}"]["entries"] == 2


def test_refused_connection_garbage_and_wrong_charset(tmp_path: Path,
                                                      hostile: HostileServer) -> None:
    config = config_for(tmp_path, {
        "拒绝": f"http://127.0.0.1:{free_port()}/feed",
        "乱码": hostile.url("/garbage"),
        "字符集": hostile.url("/wrong-charset"),
    })
    assert feedhub("poll", "-c", str(config)).returncode == 0
    rows = status_rows(config)
    assert "cannot connect to http://127.0.0.1:" in rows["拒绝"]["message"]
    assert "not a feed: got application/octet-stream from" in rows["乱码"]["message"]
    parsed = feedparser.parse((tmp_path / "data/public/all.atom").read_bytes())
    assert [e.title for e in parsed.entries] == ["声明的是 Latin-1 其实是 UTF-8"]


def test_permanent_moves_are_followed_remembered_and_reported(tmp_path: Path,
                                                              hostile: HostileServer) -> None:
    config = config_for(tmp_path, {"永久": hostile.url("/old-301"),
                                   "永久308": hostile.url("/old-308"),
                                   "临时": hostile.url("/old-302")})
    first = feedhub("poll", "-c", str(config))
    assert "6 new" in first.stdout, first.stderr
    rows = status_rows(config)
    assert rows["永久"]["message"] == (f"moved permanently to {hostile.url('/new-301')}: "
                                     "update its url in config.yaml")
    assert rows["永久308"]["url_in_use"] == hostile.url("/new-308")
    assert rows["临时"]["message"] == "" and rows["临时"]["url_in_use"] == hostile.url("/old-302")

    second = feedhub("poll", "-c", str(config))
    assert "0 new, 0 updated, 0 failed" in second.stdout, second.stderr
    assert len(hostile.hits_for("/old-301")) == 1 and len(hostile.hits_for("/old-308")) == 1
    assert len(hostile.hits_for("/old-302")) == 2
    # The new home is polled conditionally, with the validators it gave.
    assert hostile.hits_for("/new-301")[-1].headers.get("If-None-Match") == '"301-v1"'

    text = config.read_text(encoding="utf-8").replace("/old-301", "/new-301")
    config.write_text(text, encoding="utf-8")
    assert status_rows(config)["永久"]["message"] == ""


def test_gone_source_stops_until_its_config_changes(tmp_path: Path,
                                                    hostile: HostileServer) -> None:
    config = config_for(tmp_path, {"消失": hostile.url("/gone")})
    feedhub("poll", "-c", str(config))
    second = feedhub("poll", "-c", str(config))
    assert "1 skipped" in second.stdout
    assert "skipped: gone (HTTP 410 Gone from" in second.stderr
    assert len(hostile.hits_for("/gone")) == 1
    rows = status_rows(config)
    assert rows["消失"]["state"] == "gone" and rows["消失"]["next_poll"]

    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace(hostile.url("/gone"),
                                   "{url: " + hostile.url("/gone") + ", interval: 1h}"),
                      encoding="utf-8")
    feedhub("poll", "-c", str(config))
    assert len(hostile.hits_for("/gone")) == 2


def test_retry_after_holds_back_every_source_on_that_host_only(
        tmp_path: Path, hostile: HostileServer, feed_server: FeedServer) -> None:
    other_host = feed_server.serve_fixture("/ngbj.rss", "ngbj.rss")
    config = config_for(tmp_path, {"限流": hostile.url("/limited"),
                                   "同主机": hostile.url("/ok/1"),
                                   "别的主机": other_host})
    feedhub("poll", "-c", str(config))
    second = feedhub("poll", "-c", str(config))
    assert "2 skipped" in second.stdout
    assert f"127.0.0.1:{hostile.port} asked to wait until" in second.stderr
    assert len(hostile.hits_for("/limited")) == 1
    assert len(hostile.hits_for("/ok/1")) == 1
    assert len(feed_server.requests_for("/ngbj.rss")) == 2


def test_requests_to_one_host_are_limited_to_per_host(tmp_path: Path,
                                                      hostile: HostileServer) -> None:
    leaves = {f"慢{n}": hostile.url(f"/slow/{n}") for n in range(8)}
    config = config_for(tmp_path, leaves, "per_host: 2, concurrency: 16, allow_private: true")
    result = feedhub("poll", "-c", str(config))
    assert "16 new" in result.stdout, result.stderr
    assert hostile.most_in_flight == 2
