"""A misbehaving feed server on 127.0.0.1, one path per kind of trouble, recording every request.

It runs aiohttp in a thread of its own, so tests can drive the ``feedhub`` command or daemon in a
child process against it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

FIXTURES = Path(__file__).parent / "fixtures"


def rss(title: str, *items: tuple[str, str]) -> bytes:
    """A small valid RSS document: ``items`` are (guid, title) pairs."""
    body = "".join(f"<item><guid>{g}</guid><title>{t}</title><link>https://example.org/{g}"
                   f"</link><description>正文 {t}</description></item>" for g, t in items)
    return (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
            f"<title>{title}</title><link>https://example.org/</link>{body}</channel></rss>"
            ).encode()


@dataclass
class Hit:
    path: str
    at: float
    headers: dict[str, str]


class HostileServer:
    """Start with ``with HostileServer() as s``; ``s.url('/drip')`` etc."""

    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._runner: web.AppRunner | None = None
        self.retry_after = "120"
        self._bomb: bytes | None = None
        self.in_flight = 0
        self.most_in_flight = 0

    def __enter__(self) -> HostileServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            if self._runner is not None:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def hits_for(self, path: str) -> list[Hit]:
        return [h for h in self.hits if h.path == path]

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()

    async def _start(self) -> None:
        @web.middleware
        async def record(request: web.Request, handler):  # type: ignore[no-untyped-def]
            self.hits.append(Hit(request.path, time.monotonic(), dict(request.headers)))
            return await handler(request)

        app = web.Application(middlewares=[record])
        r = app.router
        r.add_get("/ok/{n}", self.ok)
        r.add_get("/drip", self.drip)
        r.add_get("/endless", self.endless)
        r.add_get("/bomb", self.bomb)
        redirects = {"/loop-a": (302, "/loop-b"), "/loop-b": (302, "/loop-a"),
                     "/to-private": (302, "http://127.0.0.2:{port}/ok/private"),
                     "/old-301": (301, "/new-301"), "/old-308": (308, "/new-308"),
                     "/old-302": (302, "/new-302")}
        statuses = {"/gone": 410, "/storm": 503}
        bodies = {
            "/html": (b"<!doctype html><html><body>Hi</body></html>", "text/html"),
            "/empty": (b"", "application/rss+xml"),
            "/garbage": (b"\x89PNG\r\n\x1a\n\x00\x00garbage", "application/octet-stream"),
            "/wrong-charset": (rss("错误的字符集", ("c1", "声明的是 Latin-1 其实是 UTF-8")),
                               "text/xml; charset=ISO-8859-1"),
        }

        async def canned(request: web.Request) -> web.Response:
            if request.path in redirects:
                status, location = redirects[request.path]
                return web.Response(status=status,
                                    headers={"Location": location.format(port=self.port)})
            if request.path in statuses:
                return web.Response(status=statuses[request.path], text="no")
            body, content_type = bodies[request.path]
            return web.Response(body=body, headers={"Content-Type": content_type})

        for path in (*redirects, *statuses, *bodies):
            r.add_get(path, canned)
        r.add_get("/new-{code}", self.ok)
        r.add_get("/slow/{n}", self.slow)
        r.add_get("/limited", self.limited)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def ok(self, request: web.Request) -> web.Response:
        name = request.match_info.get("n") or request.match_info.get("code", "x")
        body = rss(f"健康源 {name}", (f"{name}-1", f"文章 {name} 一"),
                   (f"{name}-2", f"文章 {name} 二"))
        etag = f'"{name}-v1"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=body, content_type="application/rss+xml",
                            headers={"ETag": etag})

    async def slow(self, request: web.Request) -> web.Response:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.3)
            return await self.ok(request)
        finally:
            self.in_flight -= 1

    async def drip(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        with contextlib.suppress(ConnectionError):  # the client hangs up: that is the point
            for _ in range(600):
                await response.write(b" ")
                await asyncio.sleep(1)
        return response

    async def endless(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        chunk = b"<!-- " + b"x" * 65536 + b" -->"
        with contextlib.suppress(ConnectionError):
            for _ in range(100_000):
                await response.write(chunk)
        return response

    async def bomb(self, _: web.Request) -> web.Response:
        if self._bomb is None:  # 60 MB of spaces, about 60 KB on the wire
            self._bomb = gzip.compress(b" " * 60_000_000, compresslevel=9)
        return web.Response(body=self._bomb,
                            headers={"Content-Encoding": "gzip",
                                     "Content-Type": "application/rss+xml"})

    async def limited(self, _: web.Request) -> web.Response:
        return web.Response(status=429, headers={"Retry-After": self.retry_after})

