"""A running daemon takes config.yaml edits (and SIGHUP) without a restart, and stops cleanly."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest

from conftest import FeedServer, free_port, write_config
from hostile import HostileServer
from running import Daemon, edit, get, wait_for


def titles(daemon: Daemon, feed: str) -> set[str]:
    status, _, body = get(daemon.url(feed))
    return {e.title for e in feedparser.parse(body).entries} if status == 200 else set()


@pytest.fixture
def running(tmp_path: Path, feed_server: FeedServer) -> Iterator[tuple[Daemon, Path, dict]]:
    urls = {"ngbj": feed_server.serve_fixture("/ngbj.rss", "ngbj.rss"),
            "sspai": feed_server.serve_fixture("/sspai.rdf", "sspai.rdf"),
            "mirror": feed_server.serve_fixture("/mirror.rss", "mirror.rss")}
    port = free_port()
    config = write_config(tmp_path, f"  新媒体:\n    鸟哥笔记:\n      首页: {urls['ngbj']}\n",
                          port=port)
    daemon = Daemon(config, port)
    try:
        wait_for(lambda: len(titles(daemon, "all.atom")) == 3, what="first poll")
        yield daemon, config, urls
    finally:
        if daemon.proc.poll() is None:
            daemon.proc.send_signal(signal.SIGTERM)
            daemon.proc.wait(timeout=15)


def test_added_source_is_polled_at_once_and_removed_one_leaves(
        running: tuple[Daemon, Path, dict]) -> None:
    daemon, config, urls = running
    edit(config, "sources:\n", f"sources:\n  科技:\n    少数派:\n      最新: {urls['sspai']}\n")
    wait_for(lambda: "效率工具推荐：用好快捷指令" in titles(daemon, "all.atom"), timeout=15,
             what="the new source's entries")
    assert len(titles(daemon, "feeds/科技.atom")) == 2
    assert "config reloaded (a change of the file): 1 sources added" in daemon.logged()

    edit(config, f"  科技:\n    少数派:\n      最新: {urls['sspai']}\n", "")
    wait_for(lambda: "效率工具推荐：用好快捷指令" not in titles(daemon, "all.atom"), timeout=15,
             what="the removed source's entries to leave")
    assert "0 sources added, 1 removed" in daemon.logged()
    assert daemon.health()["status"] == "ok"


def test_invalid_config_is_logged_and_the_running_one_stays(
        running: tuple[Daemon, Path, dict]) -> None:
    daemon, config, urls = running
    edit(config, "interval: 30m", "interval: soon")
    wait_for(lambda: "config not reloaded" in daemon.logged(), timeout=10, what="the error")
    line = next(ln for ln in daemon.logged().splitlines() if "config not reloaded" in ln)
    assert "polling.interval" in line and "'soon' is not a duration" in line
    assert f"{config}:" in line
    assert daemon.proc.poll() is None
    assert len(titles(daemon, "all.atom")) == 3  # still serving what it had

    edit(config, "interval: soon", "interval: 30m")
    edit(config, "sources:\n", f"sources:\n  转载:\n    精选:\n      全部: {urls['mirror']}\n")
    wait_for(lambda: "转载站自己的文章" in titles(daemon, "all.atom"), timeout=15,
             what="the fixed config to apply")


def test_sighup_reloads_and_changed_filters_apply(running: tuple[Daemon, Path, dict]) -> None:
    daemon, config, urls = running
    # Replace in place, keeping the inode, size and (coarse) mtime checks out of the picture.
    text = config.read_text(encoding="utf-8").replace(
        f"首页: {urls['ngbj']}", f"首页: {{url: {urls['ngbj']}, exclude: [私域]}}")
    config.write_text(text, encoding="utf-8")
    daemon.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "config reloaded (SIGHUP)" in daemon.logged()
             or "config reloaded (a change of the file)" in daemon.logged(),
             timeout=10, what="the reload")
    assert "1 changed" in daemon.logged()
    # The changed source is fetched again in full (not a 304) so the new filter sees its items.
    wait_for(lambda: daemon.logged().count("新媒体/鸟哥笔记/首页: 200") >= 2, timeout=15,
             what="a full re-fetch")


def test_sigterm_abandons_a_stuck_poll_within_seconds(tmp_path: Path) -> None:
    with HostileServer() as server:
        port = free_port()
        config = write_config(tmp_path, f"  慢:\n    站:\n      源: {server.url('/drip')}\n",
                              port=port, polling="interval: 30m, min_interval: 1s, "
                                                 "timeout: 60s, allow_private: true")
        daemon = Daemon(config, port)
        wait_for(lambda: server.hits_for("/drip"), what="the poll to start")
        started = time.monotonic()
        daemon.proc.send_signal(signal.SIGTERM)
        assert daemon.proc.wait(timeout=20) == 0
        assert time.monotonic() - started < 10
        assert "stopped" in daemon.logged()
