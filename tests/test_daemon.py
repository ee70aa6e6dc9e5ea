"""``feedhub run`` as a real process: polls, publishes, serves with 304s, stops on signals."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest

from conftest import FeedServer, free_port, write_config
from running import Daemon, get, wait_for


@pytest.fixture
def daemon(tmp_path: Path, feed_server: FeedServer) -> Iterator[Daemon]:
    ngbj = feed_server.serve_fixture("/ngbj.rss", "ngbj.rss")
    sspai = feed_server.serve_fixture("/sspai.rdf", "sspai.rdf")
    port = free_port()
    config = write_config(tmp_path, f"""\
  新媒体:
    鸟哥笔记:
      首页: {ngbj}
  科技:
    少数派:
      最新: {sspai}
""", port=port)
    d = Daemon(config, port)
    try:
        yield d
    finally:
        d.kill()


def test_daemon_polls_serves_304_and_stops_cleanly_on_sigterm(daemon: Daemon) -> None:
    wait_for(lambda: daemon.health()["last_publish"] and daemon.health()["entries"] == 5,
             what="first polls and publish")
    status, headers, body = get(daemon.url("feeds/新媒体/鸟哥笔记/首页.atom"))
    assert status == 200
    assert headers["Content-Type"].startswith("application/atom+xml")
    assert len(feedparser.parse(body).entries) == 3

    status, _, body2 = get(daemon.url("feeds/新媒体/鸟哥笔记/首页.atom"),
                                  {"If-None-Match": headers["Etag"]})
    assert status == 304 and body2 == b""
    status, _, _ = get(daemon.url("feeds/新媒体/鸟哥笔记/首页.atom"),
                       {"If-Modified-Since": headers["Last-Modified"]})
    assert status == 304

    log = daemon.logged()
    assert "新媒体/鸟哥笔记/首页: 200, 3 new, 0 updated" in log
    assert "科技/少数派/最新: 200, 2 new, 0 updated" in log

    daemon.proc.send_signal(signal.SIGTERM)
    assert daemon.proc.wait(timeout=15) == 0
    assert "stopped" in daemon.logged()


def test_daemon_exits_zero_on_sigint(daemon: Daemon) -> None:
    wait_for(lambda: daemon.health()["status"] == "ok", what="daemon up")
    daemon.proc.send_signal(signal.SIGINT)
    assert daemon.proc.wait(timeout=15) == 0


def test_server_refuses_paths_outside_the_output_folder(daemon: Daemon, tmp_path: Path) -> None:
    wait_for(lambda: daemon.health()["status"] == "ok", what="daemon up")
    (tmp_path / "secret.txt").write_text("secret")
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/feeds/..%2f..%2fsecret.txt",
                 "/%2e%2e%2f%2e%2e%2fconfig.yaml", "//etc/passwd", "/.hidden"):
        status, _, body = get(f"http://127.0.0.1:{daemon.port}{path}")
        assert status == 404, path
        assert b"secret" not in body


def test_second_daemon_on_same_database_refuses(daemon: Daemon, tmp_path: Path) -> None:
    wait_for(lambda: daemon.health()["status"] == "ok", what="daemon up")
    other = subprocess.run(
        [sys.executable, "-m", "feedhub", "run", "-c", str(tmp_path / "config.yaml")],
        capture_output=True, text=True, timeout=30)
    assert other.returncode == 1
    assert "another feedhub daemon is already running" in other.stderr
