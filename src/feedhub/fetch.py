"""HTTP fetching: one aiohttp client for every source, with limits; never parses.

Limits enforced here: a whole-request deadline (redirects and body included), a cap on the
decompressed body (checked while inflating, so a gzip bomb is never inflated whole), a redirect
limit with loop detection, http and https only, and refusal of private addresses unless allowed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
import zlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from feedhub import __version__
from feedhub.model import FetchResult

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_KEPT_HEADERS = ("content-type", "cache-control", "expires", "retry-after", "content-location",
                 "date", "age")
_REDIRECTS = (301, 302, 303, 307, 308)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """The limits applied to every request."""

    timeout: float = 20.0
    max_bytes: int = 10 * 10**6
    max_redirects: int = 5
    allow_private: bool = False  # True: any address; else public ones and ``allowed_networks``
    allowed_networks: tuple[IPNetwork, ...] = ()
    concurrency: int = 16
    per_host: int = 2
    user_agent: str = f"feedhub/{__version__}"


def user_agent(base_url: str) -> str:
    """Names feedhub, its version and the hub, so a site owner can see who polls and why."""
    return f"feedhub/{__version__} (+{base_url}; feed aggregator)"


class RefusedAddress(OSError):
    """A host resolved only to addresses feedhub is not allowed to reach."""


def is_public_address(address: str) -> bool:
    """False for loopback, private, link-local, multicast, unspecified, reserved, shared space."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        # IPv6 forms that carry an IPv4 address reach that address: judge it instead.
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
        elif ip.teredo is not None:
            ip = ip.teredo[1]
        elif ip in _NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    shared = ipaddress.ip_network("100.64.0.0/10")
    return not (
        ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast
        or ip.is_unspecified or ip.is_reserved or (ip.version == 4 and ip in shared)
    )


def address_allowed(address: str, networks: tuple[IPNetwork, ...]) -> bool:
    """Public addresses, and private ones inside a network the config explicitly allows."""
    if is_public_address(address):
        return True
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return any(ip in net for net in networks if net.version == ip.version)


class _GuardedResolver(AbstractResolver):
    """Resolves names and drops every address that is not allowed, so none can be connected to."""

    def __init__(self, networks: tuple[IPNetwork, ...]) -> None:
        self._inner = DefaultResolver()
        self._networks = networks

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        public = [r for r in results if address_allowed(r["host"], self._networks)]
        if not public:
            addresses = ", ".join(sorted({r["host"] for r in results}))
            raise RefusedAddress(f"{host} resolves to a private address ({addresses}); "
                                 "set polling.allow_private to allow it")
        return public

    async def close(self) -> None:
        await self._inner.close()


class _BodyTooLarge(Exception):
    pass


class _Inflater:
    """Streams a body through the decoder its Content-Encoding names, stopping at the cap."""

    def __init__(self, encoding: str, limit: int) -> None:
        self.encoding = encoding
        self.limit = limit
        self.parts: list[bytes] = []
        self.size = 0
        self._decoder: Any = None

    def feed(self, chunk: bytes) -> None:
        if self.encoding in ("gzip", "x-gzip", "deflate"):
            if self._decoder is None:
                self._decoder = zlib.decompressobj(self._wbits(chunk))
            # max_length bounds the inflated output, so a bomb costs at most the cap in memory.
            data = self._decoder.decompress(chunk, self.limit - self.size + 1)
            if self._decoder.unconsumed_tail:
                raise _BodyTooLarge
        else:
            data = chunk
        self.size += len(data)
        if self.size > self.limit:
            raise _BodyTooLarge
        self.parts.append(data)

    def _wbits(self, first: bytes) -> int:
        if self.encoding != "deflate":
            return 16 + zlib.MAX_WBITS
        # "deflate" is zlib-wrapped by the spec but raw deflate in some servers; the header tells.
        if len(first) >= 2 and first[0] & 0x0F == 8 and ((first[0] << 8) | first[1]) % 31 == 0:
            return zlib.MAX_WBITS
        return -zlib.MAX_WBITS

    def body(self) -> bytes:
        if self._decoder is not None:
            tail = self._decoder.flush()
            if self.size + len(tail) > self.limit:
                raise _BodyTooLarge
            self.parts.append(tail)
        return b"".join(self.parts)


class Fetcher:
    """An HTTP client shared by every poll; use as ``async with Fetcher(policy) as f``."""

    def __init__(self, policy: FetchPolicy) -> None:
        self.policy = policy
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Fetcher:
        policy = self.policy
        resolver = None if policy.allow_private else _GuardedResolver(policy.allowed_networks)
        connector = aiohttp.TCPConnector(
            limit=self.policy.concurrency,
            limit_per_host=self.policy.per_host,
            resolver=resolver,
            ttl_dns_cache=300,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=self.policy.timeout),
            headers={"User-Agent": self.policy.user_agent,
                     "Accept-Encoding": "gzip, deflate",
                     "Accept": "application/atom+xml, application/rss+xml, application/rdf+xml, "
                               "application/feed+json, application/xml;q=0.9, text/xml;q=0.9, "
                               "*/*;q=0.5"},
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def fetch(self, url: str, etag: str | None = None,
                    last_modified: str | None = None) -> FetchResult:
        """GET ``url`` conditionally; every failure comes back as ``FetchResult.error``."""
        started = time.monotonic()
        final_url = url
        try:
            async with asyncio.timeout(self.policy.timeout):
                return await self._fetch(url, etag, last_modified, started)
        except TimeoutError:
            error = f"timed out after {self.policy.timeout:g}s fetching {url}"
        except _BodyTooLarge:
            error = f"body larger than {self.policy.max_bytes} bytes at {url}"
        except aiohttp.ClientConnectorError as exc:
            reason = exc.os_error if isinstance(exc.os_error, RefusedAddress) else exc.strerror
            error = f"cannot connect to {url}: {reason}"
        except (aiohttp.ClientError, OSError, ValueError, zlib.error) as exc:
            error = f"{type(exc).__name__} fetching {url}: {exc}"
        except _Refused as exc:
            error = str(exc)
        return FetchResult(url=url, final_url=final_url, status=None, error=error,
                           elapsed_ms=_ms_since(started))

    async def _fetch(self, url: str, etag: str | None, last_modified: str | None,
                     started: float) -> FetchResult:
        assert self._session is not None, "use Fetcher as an async context manager"
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        seen = {url}
        permanent = True  # every hop so far was a 301 or 308
        for _hop in range(self.policy.max_redirects + 1):
            self._check_url(current)
            async with self._session.get(current, headers=headers, allow_redirects=False) as resp:
                if resp.status in _REDIRECTS and "Location" in resp.headers:
                    target = urljoin(current, resp.headers["Location"])
                    if target in seen:
                        raise _Refused(f"redirect loop at {target} (from {url})")
                    seen.add(target)
                    permanent = permanent and resp.status in (301, 308)
                    current = target
                    continue
                moved_to = current if permanent and current != url else None
                kept = {h: resp.headers[h] for h in _KEPT_HEADERS if h in resp.headers}
                new_etag = _raw_header(resp, b"etag")
                new_lm = _raw_header(resp, b"last-modified")
                if resp.status == 304:
                    return FetchResult(url, current, 304, headers=kept, etag=new_etag or etag,
                                       last_modified=new_lm or last_modified,
                                       elapsed_ms=_ms_since(started), moved_to=moved_to)
                if not 200 <= resp.status < 300:
                    reason = f" {resp.reason}" if resp.reason else ""
                    return FetchResult(url, current, resp.status, headers=kept,
                                       error=f"HTTP {resp.status}{reason} from {current}",
                                       elapsed_ms=_ms_since(started))
                body = await self._read(resp)
                return FetchResult(url, current, resp.status, body=body, headers=kept,
                                   etag=new_etag, last_modified=new_lm,
                                   elapsed_ms=_ms_since(started), moved_to=moved_to)
        raise _Refused(f"more than {self.policy.max_redirects} redirects from {url}")

    def _check_url(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise _Refused(f"refused {url}: only http and https are fetched")
        host = parts.hostname or ""
        if self.policy.allow_private:
            return
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            return  # a name: the resolver checks what it resolves to
        if not address_allowed(str(literal), self.policy.allowed_networks):
            raise _Refused(f"refused {url}: {host} is a private address; "
                           "set polling.allow_private to allow it")

    async def _read(self, resp: aiohttp.ClientResponse) -> bytes:
        encoding = resp.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding not in ("identity", "", "gzip", "x-gzip", "deflate"):
            raise _Refused(f"unsupported Content-Encoding {encoding!r} from {resp.url}")
        declared = resp.content_length
        identity = encoding in ("identity", "")
        if identity and declared is not None and declared > self.policy.max_bytes:
            raise _BodyTooLarge
        inflater = _Inflater(encoding, self.policy.max_bytes)
        async for chunk in resp.content.iter_chunked(_CHUNK):
            inflater.feed(chunk)
        return inflater.body()


class _Refused(Exception):
    """A request feedhub declines to make or to continue."""


def _raw_header(resp: aiohttp.ClientResponse, name: bytes) -> str | None:
    """A header exactly as the server sent it: validators are echoed back byte for byte."""
    for key, value in resp.raw_headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
