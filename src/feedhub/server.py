"""Serves the output folder over HTTP, plus ``/healthz``.

Static files go through aiohttp's FileResponse, which gives ETag and Last-Modified (from the
file's mtime and size) and answers If-None-Match / If-Modified-Since with 304. Because publishing
never rewrites an unchanged file, those validators stay stable across rebuilds.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

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


def resolve_inside(root: Path, requested: str) -> Path | None:
    """The file a request path names inside ``root``, or None if it would leave it.

    Refuses ``..`` and hidden segments (publishing's temporary files are hidden), absolute
    paths, and symlinks that point outside the folder.
    """
    segments = [s for s in requested.split("/") if s]
    if any(s.startswith(".") or "\\" in s or "\x00" in s for s in segments):
        return None
    root = root.resolve()
    target = root.joinpath(*segments).resolve()
    if target != root and not target.is_relative_to(root):
        return None
    if target.is_dir():
        target = target / "index.html"
    return target if target.is_file() else None


def make_app(output: Path, health: HealthProbe) -> web.Application:
    """The aiohttp application serving ``output`` and the health endpoint."""

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
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/{tail:.*}", static)
    return app


async def start_server(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Start serving ``app``; returns the runner to clean up with ``await runner.cleanup()``."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    await site.start()
    return runner
