"""Serves the output folder over HTTP, plus ``/healthz`` and ``/metrics``.

Static files go through aiohttp's FileResponse, which gives ETag and Last-Modified (from the
file's mtime and size), answers If-None-Match / If-Modified-Since with 304, handles HEAD and
ranges, and serves the ``.gz`` sibling that publishing writes when the client accepts gzip.
Because publishing never rewrites an unchanged file, those validators stay stable.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from feedhub.metrics import Metrics

MEDIA_TYPES = {
    ".atom": "application/atom+xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".json": "application/feed+json; charset=utf-8",
    ".opml": "text/x-opml; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}
CACHE_CONTROL = "public, max-age=60"

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
    return target if target.is_file() else None


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
        media_type = MEDIA_TYPES.get(target.suffix.lower(), "application/octet-stream")
        return web.FileResponse(target, headers={"Content-Type": media_type,
                                                 "Cache-Control": CACHE_CONTROL})

    app = web.Application()
    app.on_response_prepare.append(count)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_text)
    app.router.add_get("/{tail:.*}", static)
    return app


async def start_server(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Start serving ``app``; returns the runner to clean up with ``await runner.cleanup()``."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    await site.start()
    return runner
