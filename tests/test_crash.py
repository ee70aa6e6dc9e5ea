"""Crash safety: SIGKILL the daemon at random instants while it polls and publishes, many times.

After every kill the database must pass ``PRAGMA integrity_check`` and still hold every entry
committed before it, and every output file must be whole: each one parses.
"""

from __future__ import annotations

import gzip
import json
import random
import signal
import sqlite3
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

import lxml.html
import yaml
from lxml import etree

from conftest import QuietHandler, free_port, reply, write_config
from running import Daemon

KILLS = 30
SOURCES = 8


class GrowingFeeds:
    """Feeds that gain an entry, and edit an older one, on every request."""

    def __init__(self) -> None:
        self.hits = 0
        lock = threading.Lock()
        growing = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                with lock:
                    growing.hits += 1
                    n = growing.hits
                source = self.path.rsplit("/", 1)[-1]
                items = "".join(
                    f"<item><guid>{source}-{i}</guid><title>条目 {source}-{i}"
                    f"{' (改)' if i == n - 3 else ''}</title>"
                    f"<link>https://example.org/{source}/{i}</link>"
                    f"<description>&lt;p&gt;第 {i} 条 {'x' * 400}&lt;/p&gt;</description></item>"
                    for i in range(max(0, n - 12), n))
                body = (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
                        f"<title>源 {source}</title>{items}</channel></rss>").encode()
                reply(self, 200, body, {"Content-Type": "application/rss+xml"})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def committed_ids(database: Path) -> set[str]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {r[0] for r in db.execute("SELECT atom_id FROM entries")}


def check_whole(path: Path) -> None:
    """Parse one output file by its kind; a truncated or half-written file fails."""
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
        path = path.with_suffix("")
    if path.suffix in (".atom", ".rss", ".opml", ".xml"):
        etree.fromstring(data)
    elif path.suffix == ".json":
        json.loads(data)
    elif path.suffix == ".html":
        assert data.rstrip().endswith(b"</html>"), path
        lxml.html.fromstring(data)
    elif path.suffix == ".md":
        text = data.decode("utf-8")
        yaml.safe_load(text.split("---\n")[1])
        assert text.rstrip().endswith("</div>"), path


def test_kill_9_at_random_instants_loses_nothing_and_leaves_every_file_whole(
        tmp_path: Path) -> None:
    feeds = GrowingFeeds()
    port = free_port()
    leaves = "".join(f"      源{i}: http://127.0.0.1:{feeds.port}/f/{i}\n" for i in range(SOURCES))
    config = write_config(
        tmp_path, "  题:\n    站:\n" + leaves, port=port,
        polling="interval: 1s, min_interval: 1s, timeout: 5s, allow_private: true",
        extra="publish: {entries: 5}\n")
    config.write_text(config.read_text(encoding="utf-8").replace("posts: null",
                                                                 "posts: data/posts"),
                      encoding="utf-8")
    database = tmp_path / "data" / "feedhub.db"
    rng = random.Random(20261125)
    known: set[str] = set()
    for kill in range(KILLS):
        daemon = Daemon(config, port)
        time.sleep(rng.uniform(0.3, 2.0))
        daemon.proc.send_signal(signal.SIGKILL)
        daemon.proc.wait(timeout=10)
        if not database.exists():
            continue  # killed before the database was created
        now = committed_ids(database)
        lost = known - now
        assert not lost, f"kill {kill}: committed entries lost: {sorted(lost)[:5]}"
        known = now
        for path in (tmp_path / "data").rglob("*"):
            if path.is_file() and not path.name.startswith(".") and path.suffix not in (
                    ".db", ".lock", ".db-wal", ".db-shm") and "feedhub.db" not in path.name:
                check_whole(path)
    assert len(known) > 50, "the daemon should have stored entries between the kills"
    assert feeds.hits > KILLS
    # A last clean run publishes everything the kills interrupted.
    daemon = Daemon(config, port)
    time.sleep(3)
    daemon.proc.send_signal(signal.SIGTERM)
    assert daemon.proc.wait(timeout=20) == 0
    assert committed_ids(database) >= known
