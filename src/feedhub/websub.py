"""WebSub publishing: tell the hub which feeds changed, so subscribers get them pushed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import aiohttp

log = logging.getLogger("feedhub.websub")
PING_TIMEOUT = 10.0
PINGS_AT_ONCE = 4


async def ping_hub(hub: str, urls: Sequence[str], user_agent: str) -> list[str]:
    """POST ``hub.mode=publish`` for each changed feed URL; returns the failures, as sentences.

    A hub that is down must not hold up polling: each ping has its own deadline and a failure
    is only logged (the next change pings again).
    """
    if not urls:
        return []
    limit = asyncio.Semaphore(PINGS_AT_ONCE)
    timeout = aiohttp.ClientTimeout(total=PING_TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout, headers={"User-Agent": user_agent}) as s:

        async def ping(url: str) -> str | None:
            async with limit:
                try:
                    async with s.post(hub, data={"hub.mode": "publish", "hub.url": url}) as r:
                        if r.status >= 300:
                            return f"hub {hub} answered HTTP {r.status} for {url}"
                except (aiohttp.ClientError, TimeoutError) as exc:
                    return f"cannot ping hub {hub} for {url}: {str(exc) or type(exc).__name__}"
            return None

        failures = [f for f in await asyncio.gather(*(ping(u) for u in urls)) if f]
    for failure in failures:
        log.warning("%s", failure)
    if len(failures) < len(urls):
        log.info("pinged %s for %d changed feeds", hub, len(urls) - len(failures))
    return failures
