"""Serves the output folder over HTTP, plus ``/healthz`` and ``/metrics``.

Static files go through aiohttp's FileResponse, which gives ETag and Last-Modified (from the
file's mtime and size), answers If-None-Match / If-Modified-Since with 304, handles HEAD and
ranges, and serves the ``.gz`` form that publishing keeps of a file when the client accepts
gzip; other files are compressed on the fly. Archive pages are kept in gzip form only, and
decompressed here for the rare client that does not take gzip. Because publishing never
rewrites an unchanged file, those validators stay stable.
"""

from __future__ import annotations

import gzip
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from feedhub.metrics import Metrics
from feedhub.publish.writer import gzipped

MEDIA_TYPES = {
    ".atom": "application/atom+xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".json": "application/feed+json; charset=utf-8",
    ".opml": "text/x-opml; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".xsl": "application/xslt+xml; charset=utf-8",  # a browser applies it only as XML
    ".svg": "image/svg+xml",
    ".html": "text/html; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}
CACHE_CONTROL = "public, max-age=60"
# Feeds a browser is given as plain XML: it shows the feed types as text or offers them as a
# download, but applies an XML document's stylesheet (publish/feedxsl.py).
STYLED = frozenset({".atom", ".rss"})

HealthProbe = Callable[[], Awaitable[tuple[int, dict[str, Any]]]]
Refresh = Callable[[], Awaitable[None]]


def resolve_inside(root: Path, requested: str) -> Path | None:
    """The file a request path names inside ``root``, or None if it would leave it.

    Refuses ``..`` and hidden segments (publishing's temporary files are hidden), absolute
    paths, and symlinks that point outside the folder.
    """
    segments = [s for s in requested.split("/") if s]
    if any(s.startswith(".") or "\\" in s or "\x00" in s for s in segments):
        return None
    if segments and segments[-1].endswith(".gz"):
        return None  # compressed siblings are served through content negotiation only
    root = root.resolve()
    target = root.joinpath(*segments).resolve()
    if target != root and not target.is_relative_to(root):
        return None
    if target.is_dir():
        target = target / "index.html"
    # An archive page is kept in its gzip form only.
    return target if target.is_file() or gzipped(target).is_file() else None


def media_type(suffix: str, accept: str) -> str:
    """The Content-Type to serve a file with ``suffix`` to a client sending ``accept``: a
    feed's own type, or XML for a browser (it asks for text/html; feed readers do not)."""
    if suffix in STYLED and "text/html" in accept.lower():
        return MEDIA_TYPES[".xml"]
    return MEDIA_TYPES.get(suffix, "application/octet-stream")


def make_app(output: Path, health: HealthProbe, metrics: Metrics,
             refresh: Refresh) -> web.Application:
    """The aiohttp application serving ``output``, ``/healthz`` and ``/metrics``.

    ``refresh`` updates the gauges read from the database before each scrape.
    """

    async def count(request: web.Request, response: web.StreamResponse) -> None:
        # At prepare time, not when the handler returns: FileResponse decides on 304, 206 or
        # 416 only while it prepares.
        metrics.responses.labels(str(response.status)).inc()

    async def metrics_text(request: web.Request) -> web.Response:
        await refresh()
        return web.Response(body=metrics.render(), headers={
            "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
            "Cache-Control": "no-store"})

    async def healthz(request: web.Request) -> web.Response:
        status, body = await health()
        return web.Response(status=status, text=json.dumps(body, ensure_ascii=False),
                            content_type="application/json", headers={"Cache-Control": "no-store"})

    async def static(request: web.Request) -> web.StreamResponse:
        target = resolve_inside(output, request.match_info["tail"])
        if target is None:
            raise web.HTTPNotFound(text="not found\n")
        suffix = target.suffix.lower()
        headers = {"Content-Type": media_type(suffix, request.headers.get("Accept", "")),
                   "Cache-Control": CACHE_CONTROL,
                   "Vary": "Accept-Encoding, Accept" if suffix in STYLED else "Accept-Encoding"}
        accepts_gzip = "gzip" in request.headers.get("Accept-Encoding", "").lower()
        if not target.is_file():  # kept in gzip form only
            if accepts_gzip:
                return web.FileResponse(target, headers=headers)
            packed = gzipped(target)
            return _answer(request, packed, lambda: gzip.decompress(packed.read_bytes()),
                           headers)
        if accepts_gzip and not gzipped(target).is_file():
            body = compressed.get(target)
            return _answer(request, target, lambda: body, {**headers, "Content-Encoding": "gzip"})
        return web.FileResponse(target, headers=headers)

    compressed = _Compressed()
    app = web.Application()
    app.on_response_prepare.append(count)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_text)
    app.router.add_get("/{tail:.*}", static)
    return app


class _Compressed:
    """Gzip forms of the files served without a .gz sibling, made on first request and kept
    while the file is unchanged, least recently used dropped first beyond ``budget`` bytes:
    a feed is fetched over and over, and compressing it each time would cost most of a
    request."""

    def __init__(self, budget: int = 32 << 20) -> None:
        self._budget = budget
        self._size = 0
        self._held: OrderedDict[Path, tuple[tuple[int, int], bytes]] = OrderedDict()

    def get(self, path: Path) -> bytes:
        """The gzip form of ``path`` as it is now."""
        st = path.stat()
        stamp = (st.st_mtime_ns, st.st_size)
        held = self._held.get(path)
        if held is None or held[0] != stamp:
            if held is not None:
                self._size -= len(held[1])
            held = (stamp, gzip.compress(path.read_bytes(), compresslevel=6, mtime=0))
            self._held[path] = held
            self._size += len(held[1])
        self._held.move_to_end(path)
        while self._size > self._budget and len(self._held) > 1:
            _, (_, dropped) = self._held.popitem(last=False)
            self._size -= len(dropped)
        return held[1]


def _answer(request: web.Request, path: Path, body: Callable[[], bytes],
            headers: dict[str, str]) -> web.Response:
    """``body()``, a form of the file at ``path`` other than its bytes on disk, with
    validators from that file: 304 when the client has it already."""
    st = path.stat()
    etag = f'"{st.st_mtime_ns:x}-{st.st_size:x}-{headers.get("Content-Encoding", "identity")}"'
    since = request.if_modified_since
    if request.headers.get("If-None-Match") == etag or (
            "If-None-Match" not in request.headers and since is not None
            and int(st.st_mtime) <= since.timestamp()):
        return web.Response(status=304, headers={"ETag": etag, **headers})
    # aiohttp sends no body for HEAD, with the Content-Length of the GET.
    response = web.Response(body=body(), headers={"ETag": etag, **headers})
    response.last_modified = st.st_mtime
    return response


async def start_server(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Start serving ``app``; returns the runner to clean up with ``await runner.cleanup()``."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    await site.start()
    return runner
