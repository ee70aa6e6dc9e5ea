"""The HTTP client's limits, against misbehaving servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import gzip
import time
import zlib
from collections.abc import Awaitable, Callable

from aiohttp import web

from feedhub.fetch import Fetcher, FetchPolicy, is_public_address
from feedhub.model import FetchResult

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def _serve(routes: dict[str, Handler]) -> tuple[web.AppRunner, str]:
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_get(path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


def fetch(routes: dict[str, Handler], path: str, policy: FetchPolicy | None = None,
          **kwargs: str) -> FetchResult:
    async def go() -> FetchResult:
        runner, base = await _serve(routes)
        try:
            async with Fetcher(policy or FetchPolicy(allow_private=True, timeout=3)) as f:
                return await f.fetch(base + path, **kwargs)
        finally:
            await runner.cleanup()

    return asyncio.run(go())


async def feed(_: web.Request) -> web.Response:
    return web.Response(body=FEED, content_type="application/rss+xml",
                        headers={"ETag": '"v1"', "Last-Modified": "Tue, 01 Jun 2021 00:00:00 GMT"})


def test_plain_fetch_returns_body_and_validators_byte_exact() -> None:
    result = fetch({"/f": feed}, "/f")
    assert result.ok and result.status == 200
    assert result.body == FEED
    assert result.etag == '"v1"'
    assert result.last_modified == "Tue, 01 Jun 2021 00:00:00 GMT"
    assert result.headers["content-type"].startswith("application/rss+xml")


def test_conditional_request_sends_validators_and_reports_304() -> None:
    seen: dict[str, str] = {}

    async def conditional(request: web.Request) -> web.Response:
        seen.update(request.headers)
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304, headers={"ETag": '"v1"'})
        return await feed(request)

    result = fetch({"/f": conditional}, "/f", etag='"v1"',
                   last_modified="Tue, 01 Jun 2021 00:00:00 GMT")
    assert result.status == 304 and result.not_modified and result.error is None
    assert seen["If-None-Match"] == '"v1"'
    assert seen["If-Modified-Since"] == "Tue, 01 Jun 2021 00:00:00 GMT"
    assert seen["User-Agent"].startswith("feedhub/")


def test_gzip_body_is_inflated() -> None:
    async def gz(_: web.Request) -> web.Response:
        return web.Response(body=gzip.compress(FEED), headers={"Content-Encoding": "gzip",
                                                               "Content-Type": "text/xml"})

    assert fetch({"/f": gz}, "/f").body == FEED


def test_raw_and_zlib_deflate_bodies_are_inflated() -> None:
    async def zlib_deflate(_: web.Request) -> web.Response:
        return web.Response(body=zlib.compress(FEED), headers={"Content-Encoding": "deflate"})

    async def raw_deflate(_: web.Request) -> web.Response:
        c = zlib.compressobj(wbits=-15)
        return web.Response(body=c.compress(FEED) + c.flush(),
                            headers={"Content-Encoding": "deflate"})

    assert fetch({"/f": zlib_deflate}, "/f").body == FEED
    assert fetch({"/f": raw_deflate}, "/f").body == FEED


def test_gzip_bomb_is_refused_at_the_cap() -> None:
    bomb = gzip.compress(b"\0" * (50 * 10**6))  # 50 MB inflated, ~50 KB on the wire

    async def handler(_: web.Request) -> web.Response:
        return web.Response(body=bomb, headers={"Content-Encoding": "gzip"})

    result = fetch({"/f": handler}, "/f",
                   FetchPolicy(allow_private=True, max_bytes=1_000_000, timeout=5))
    assert not result.ok
    assert "body larger than 1000000 bytes" in (result.error or "")


def test_endless_body_is_cut_at_the_cap() -> None:
    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(10_000):
            await response.write(b"x" * 65536)
        return response

    result = fetch({"/f": endless}, "/f", FetchPolicy(allow_private=True, max_bytes=500_000))
    assert "body larger than 500000 bytes" in (result.error or "")


def test_slow_drip_is_cut_at_the_deadline() -> None:
    async def drip(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(60):
            await response.write(b"<")
            await asyncio.sleep(0.5)
        return response

    started = time.monotonic()
    result = fetch({"/f": drip}, "/f", FetchPolicy(allow_private=True, timeout=1.5))
    assert time.monotonic() - started < 5
    assert result.error == f"timed out after 1.5s fetching {result.url}"


def test_redirects_are_followed_up_to_the_limit() -> None:
    async def hop(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        if n == 0:
            return await feed(request)
        raise web.HTTPFound(f"/hop/{n - 1}")

    policy = FetchPolicy(allow_private=True, max_redirects=3)
    ok = fetch({"/hop/{n}": hop}, "/hop/3", policy)
    assert ok.ok and ok.final_url.endswith("/hop/0")
    too_many = fetch({"/hop/{n}": hop}, "/hop/4", policy)
    assert "more than 3 redirects" in (too_many.error or "")


def test_redirect_loop_is_detected() -> None:
    async def a(_: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/b")

    async def b(_: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/a")

    result = fetch({"/a": a, "/b": b}, "/a")
    assert "redirect loop" in (result.error or "")


def test_redirect_to_another_scheme_is_refused() -> None:
    async def to_ftp(_: web.Request) -> web.Response:
        raise web.HTTPFound("ftp://127.0.0.1/feed")

    result = fetch({"/f": to_ftp}, "/f")
    assert "only http and https" in (result.error or "")


def test_private_addresses_are_refused_unless_allowed() -> None:
    policy = FetchPolicy(allow_private=False, timeout=3)
    literal = fetch({"/f": feed}, "/f", policy)
    assert "127.0.0.1 is a private address" in (literal.error or "")

    async def by_name() -> FetchResult:
        runner, base = await _serve({"/f": feed})
        try:
            async with Fetcher(policy) as f:
                return await f.fetch(base.replace("127.0.0.1", "localhost") + "/f")
        finally:
            await runner.cleanup()

    named = asyncio.run(by_name())
    assert "localhost resolves to a private address" in (named.error or "")


def test_http_errors_and_refused_connections_are_reported() -> None:
    async def gone(_: web.Request) -> web.Response:
        raise web.HTTPInternalServerError()

    assert fetch({"/f": gone}, "/f").error.startswith("HTTP 500 Internal Server Error from")

    async def closed_port() -> FetchResult:
        runner, base = await _serve({})
        await runner.cleanup()
        async with Fetcher(FetchPolicy(allow_private=True, timeout=3)) as f:
            return await f.fetch(base + "/f")

    refused = asyncio.run(closed_port())
    assert refused.status is None and "cannot connect to" in (refused.error or "")


def test_public_address_classification() -> None:
    for private in ("127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.1.1",
                    "100.64.0.1", "0.0.0.0", "224.0.0.1", "::1", "fe80::1", "fc00::1",
                    "::ffff:127.0.0.1", "2002:7f00:1::1", "64:ff9b::7f00:1",
                    "2001:0:4136:e378:8000:63bf:80ff:fffe"):
        assert not is_public_address(private), private
    for public in ("93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"):
        assert is_public_address(public), public
