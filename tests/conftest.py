"""Shared test fixtures: a feed server on 127.0.0.1 that records every request, and helpers
to write a config file and drive the ``feedhub`` command as a user does."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from feedhub.config import load_config
from running import Daemon

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    status: int


@dataclass
class Route:
    body: bytes
    content_type: str
    last_modified: str = field(default_factory=lambda: formatdate(1630000000, usegmt=True))
    delay: float = 0.0  # seconds before the answer, for a slow source

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that does not log every request to stderr."""

    def log_message(self, format: str, *args: object) -> None:
        pass


def reply(handler: BaseHTTPRequestHandler, status: int, body: bytes,
          headers: dict[str, str]) -> None:
    """Send one complete response from a test server's handler."""
    handler.send_response(status)
    for key, value in headers.items():
        handler.send_header(key, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _not_modified(headers: dict[str, str], route: Route) -> bool:
    # RFC 9110 13.2.2: If-None-Match, when present, decides alone.
    if "if-none-match" in headers:
        return headers["if-none-match"] == route.etag
    return headers.get("if-modified-since") == route.last_modified


class FeedServer:
    """Serves named fixture feeds with ETag and Last-Modified, answering 304 when they match."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        server = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                route = server.routes.get(self.path)
                headers = {k.lower(): v for k, v in self.headers.items()}
                if route is None:
                    status, body, extra = 404, b"not found", {"Content-Type": "text/plain"}
                elif _not_modified(headers, route):
                    status, body, extra = 304, b"", {"ETag": route.etag}
                else:
                    time.sleep(route.delay)
                    status, body = 200, route.body
                    extra = {"Content-Type": route.content_type, "ETag": route.etag,
                             "Last-Modified": route.last_modified}
                with server._lock:
                    server.requests.append(Recorded(self.path, headers, status))
                reply(self, status, body, extra)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve_fixture(self, path: str, name: str, content_type: str = "application/xml") -> str:
        self.routes[path] = Route((FIXTURES / name).read_bytes(), content_type)
        return self.url(path)

    def serve(self, path: str, body: bytes, content_type: str = "application/xml",
              last_modified: str | None = None) -> str:
        self.routes[path] = Route(body, content_type,
                                  last_modified or formatdate(1630000000, usegmt=True))
        return self.url(path)

    def requests_for(self, path: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path == path]


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


# Four fixture sources in two topics: the tree most end-to-end tests poll.
FOUR_SOURCES = """\
  新媒体:
    鸟哥笔记:
      首页: {ngbj}
    人人都是产品经理:
      最新: {woshipm}
  科技:
    少数派:
      最新: {sspai}
    转载:
      精选: {mirror}
"""


def serve_four(server: FeedServer) -> dict[str, str]:
    """Serve the four fixture feeds of FOUR_SOURCES; their URLs by name."""
    files = {"ngbj": "ngbj.rss", "woshipm": "woshipm.atom", "sspai": "sspai.rdf",
             "mirror": "mirror.rss"}
    return {name: server.serve_fixture(f"/{name}", file) for name, file in files.items()}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(directory: Path, sources_yaml: str, *, port: int | None = None,
                 polling: str = "interval: 30m, min_interval: 1s, timeout: 5s, "
                                "allow_private: true", extra: str = "") -> Path:
    """A config file for tests: local addresses allowed, data under ``directory``."""
    port = port or free_port()
    text = (
        "title: 测试速递\n"
        f"base_url: http://127.0.0.1:{port}/\n"
        "database: data/feedhub.db\n"
        "output: data/public\n"
        "posts: null\n"
        f"server: {{host: 127.0.0.1, port: {port}}}\n"
        f"polling: {{{polling}}}\n"
        f"{extra}"
        "sources:\n" + sources_yaml
    )
    path = directory / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def feedhub(*args: str, cwd: Path | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the ``feedhub`` command line in a child process, as a user would."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("FEEDHUB_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "feedhub", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def status_table(stdout: str) -> tuple[str, list[str]]:
    """The header and the source rows of ``feedhub status``: the lines before the blank line
    that sets the output's size apart."""
    header, *rows = stdout.split("\n\n", 1)[0].splitlines()
    return header, rows


@pytest.fixture
def launch() -> Iterator[Callable[[Path], Daemon]]:
    """Starts a daemon on a config file; kills any the test left running."""
    daemons: list[Daemon] = []

    def start(config: Path) -> Daemon:
        daemons.append(Daemon(config, load_config(config).server.port))
        return daemons[-1]

    try:
        yield start
    finally:
        for d in daemons:
            d.kill()
