"""Identity of entries: dedup keys, canonical links, content hashes, stable ids. Pure functions."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from feedhub.text import fold_whitespace

_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s\x00-\x1f\x7f<>\"{}|\\^`]+$")
_TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid", "_hsenc",
    "_hsmi", "mkt_tok", "spm", "from", "share_token", "ref_src",
})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_absolute_iri(value: str | None) -> bool:
    """True when ``value`` can stand as an atom:id as it is (it has a scheme, no spaces)."""
    return bool(value) and bool(_ABSOLUTE_IRI.match(value or ""))


def canonical_link(url: str | None) -> str | None:
    """The link two sources of the same article agree on.

    Lowercase scheme and host, no default port, no fragment, no ``utm_*`` or other tracking
    parameters, remaining parameters sorted. None for anything but http(s).
    """
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in _TRACKING_PARAMS
    )
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query), ""))


def content_hash(title: str, text: str) -> str:
    """A hash of what an entry says, blind to whitespace-only differences."""
    normal = fold_whitespace(title) + "\n" + fold_whitespace(text)
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


def entry_key(guid: str | None, link: str | None, chash: str) -> str:
    """The key an entry is known by within its source: its id, else its link, else its content."""
    if guid and guid.strip():
        return "id:" + guid.strip()
    if link:
        return "link:" + link
    return "hash:" + chash


def mint_atom_id(authority: str, first_seen_date: str, source_id: str, key: str) -> str:
    """A ``tag:`` IRI (RFC 4151) for an entry whose source gave no usable id.

    Derived from values stored with the entry, so it never changes across restarts or rebuilds.
    """
    digest = hashlib.sha256(f"{source_id}\n{key}".encode()).hexdigest()[:32]
    return f"tag:{authority},{first_seen_date}:entry/{digest}"
