"""``index.html``: the tree of feeds for people, with feed autodiscovery for readers.

One self-contained HTML5 page: a little inline CSS that reads on a phone and a desktop, no
JavaScript, nothing loaded from elsewhere (a Content-Security-Policy says so). Every string is
escaped, only http(s) site links are shown, and equal input gives equal bytes.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from typing import BinaryIO

from feedhub.model import NodePath
from feedhub.paths import feed_file, feed_title, url_for
from feedhub.publish.rss import sibling_url
from feedhub.sanitize import safe_url
from feedhub.text import printable


@dataclass(frozen=True, slots=True)
class NodeSummary:
    """What the index shows about one node of the tree."""

    path: NodePath  # () is the all-feed
    entries: int  # entries in the node's merged feed
    newest: datetime | None  # the newest entry's time, if any
    site_link: str | None  # the source's website, for leaves; None otherwise


# (format as in publish.formats, file extension, media type, label); Atom is always written.
_FORMATS = (
    ("atom", "atom", "application/atom+xml", "Atom"),
    ("rss", "rss", "application/rss+xml", "RSS"),
    ("json", "json", "application/feed+json", "JSON Feed"),
)
ROOT_NAME = "Everything"

_CSS = """\
:root{color-scheme:light dark;--fg:#1d1d1f;--bg:#fff;--muted:#6e6e73;--line:#d2d2d7;\
--link:#0a58ca;--chip:#f2f2f5}
@media (prefers-color-scheme:dark){:root{--fg:#f2f2f5;--bg:#161618;--muted:#a1a1a6;\
--line:#3a3a3c;--link:#6ea8fe;--chip:#2c2c2e}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:60rem;padding:1rem;font:16px/1.5 system-ui,-apple-system,\
"Segoe UI","PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:var(--fg);\
background:var(--bg);overflow-wrap:anywhere}
h1{font-size:1.6rem;margin:.5rem 0}
p{margin:.5rem 0}
a{color:var(--link)}
.muted,footer{color:var(--muted)}
ul.tree,ul.tree ul{list-style:none;margin:0;padding:0}
ul.tree ul{margin-left:.6rem;padding-left:.8rem;border-left:1px solid var(--line)}
.node{display:flex;flex-wrap:wrap;align-items:baseline;gap:.2rem .8rem;padding:.35rem 0}
.name{font-weight:600}
.meta{color:var(--muted);font-size:.9rem}
.links{display:flex;flex-wrap:wrap;gap:.4rem}
.links a{font-size:.85rem;text-decoration:none;padding:.05rem .5rem;border-radius:.8rem;\
background:var(--chip)}
.links a:hover,.links a:focus{text-decoration:underline}
footer{margin-top:2rem;font-size:.9rem;border-top:1px solid var(--line)}
@media (min-width:40rem){body{padding:2rem}.node{flex-wrap:nowrap}.meta{margin-left:auto}}
"""


def render_index(title: str, base_url: str, summaries: Sequence[NodeSummary],
                 formats: Sequence[str], feed_urls: Mapping[NodePath, str] | None = None) -> bytes:
    """The index page, UTF-8.

    ``summaries`` come in tree order (the root, path ``()``, first; parents before children);
    the nesting is rebuilt from the paths, so a node hangs under its nearest listed ancestor.
    Each node shows its name, entry count, newest entry time (UTC) and a link to its feed in
    every format written (Atom always, RSS and JSON Feed when in ``formats``), plus the site
    for leaves; ``<head>`` carries an autodiscovery ``<link>`` for every feed. ``feed_urls``
    gives the Atom feed URLs the caller has already built, by node path; the others are built
    from ``base_url``.
    """
    chosen = [f for f in _FORMATS if f[0] == "atom" or f[0] in formats]
    nodes: dict[NodePath, NodeSummary] = {}
    for summary in summaries:
        nodes.setdefault(tuple(summary.path), summary)
    children: dict[NodePath | None, list[NodeSummary]] = {}
    for path, summary in nodes.items():
        children.setdefault(_parent(path, nodes), []).append(summary)
    known = feed_urls or {}
    # Every URL appears twice (autodiscovery and the tree): escape the Atom one once, and swap
    # its suffix for the other formats (escaping leaves ".atom" as it is).
    atom_hrefs = {path: _e(known.get(path) or url_for(base_url, feed_file(path)))
                  for path in nodes}

    # The page holds about a kilobyte per node: it is encoded a node at a time, so a tree of
    # thousands of nodes never holds a string per line, nor the whole page as text beside its
    # bytes (that peak stayed with the daemon as memory it did not give back).
    out = io.BytesIO()
    out.write(
        "<!DOCTYPE html>\n"
        "<html>\n"
        "<head>\n"
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        '<meta name="generator" content="feedhub">\n'
        f"<title>{_e(title)}</title>\n".encode())
    for path, atom in atom_hrefs.items():
        name = _e(feed_title(title, path))
        out.write("".join(
            f'<link rel="alternate" type="{media_type}" '
            f'title="{name if ext == "atom" else f"{name} ({label})"}" '
            f'href="{_href(atom, ext)}">\n'
            for _, ext, media_type, label in chosen).encode())
    out.write(
        f"<style>\n{_CSS}</style>\n"
        "</head>\n"
        "<body>\n"
        "<header>\n"
        f"<h1>{_e(title)}</h1>\n"
        '<p class="muted">Every node of the tree has its own merged feed: subscribe to any of '
        "them in a feed reader.</p>\n"
        "</header>\n"
        "<main>\n".encode())
    _render_list(out, children, atom_hrefs, None, chosen, 0)
    out.write(
        "</main>\n"
        "<footer>\n"
        f'<p>OPML: <a href="{_e(url_for(base_url, "opml.xml"))}">every feed above</a> · '
        f'<a href="{_e(url_for(base_url, "sources.opml"))}">the sources</a></p>\n'
        "</footer>\n"
        "</body>\n"
        "</html>\n".encode())
    return out.getvalue()


def _parent(path: NodePath, nodes: dict[NodePath, NodeSummary]) -> NodePath | None:
    """The nearest proper ancestor of ``path`` that has a summary, or None."""
    for i in range(len(path) - 1, -1, -1):
        if path[:i] in nodes:
            return path[:i]
    return None


def _href(atom: str, ext: str) -> str:
    """A node's feed URL in format ``ext``, from its escaped Atom feed URL."""
    return atom if ext == "atom" else sibling_url(atom, ext)


def _render_list(out: BinaryIO, children: dict[NodePath | None, list[NodeSummary]],
                 atom_hrefs: dict[NodePath, str], parent: NodePath | None,
                 chosen: list[tuple[str, str, str, str]], depth: int) -> None:
    pad = "  " * depth
    out.write((f'{pad}<ul class="tree">\n' if parent is None else f"{pad}<ul>\n").encode())
    for summary in children.get(parent, []):
        path = tuple(summary.path)
        line = _node_line(summary, atom_hrefs[path], chosen)
        out.write(f'{pad}<li>\n{pad}<div class="node">{line}</div>\n'.encode())
        if path in children:
            _render_list(out, children, atom_hrefs, path, chosen, depth + 1)
        out.write(f"{pad}</li>\n".encode())
    out.write(f"{pad}</ul>\n".encode())


def _node_line(summary: NodeSummary, atom: str, chosen: list[tuple[str, str, str, str]]) -> str:
    path = tuple(summary.path)
    name = path[-1] if path else ROOT_NAME
    count = f"{summary.entries:,} {'entry' if summary.entries == 1 else 'entries'}"
    if summary.newest is None:
        newest = "newest —"
    else:
        when = summary.newest if summary.newest.tzinfo else summary.newest.replace(tzinfo=UTC)
        when = when.astimezone(UTC)
        newest = (f'newest <time datetime="{when.strftime("%Y-%m-%dT%H:%M:%SZ")}">'
                  f'{when.strftime("%Y-%m-%d %H:%M")} UTC</time>')
    links = [f'<a href="{_href(atom, ext)}" type="{media_type}">{label}</a>'
             for _, ext, media_type, label in chosen]
    if summary.site_link and safe_url(summary.site_link):
        links.append(f'<a href="{_e(summary.site_link)}" rel="nofollow noopener noreferrer">'
                     f"site</a>")
    return (f'<span class="name">{_e(name)}</span> '
            f'<span class="meta">{count} · {newest}</span> '
            f'<span class="links">{" ".join(links)}</span>')


def _e(text: str) -> str:
    return escape(printable(text), quote=True)
