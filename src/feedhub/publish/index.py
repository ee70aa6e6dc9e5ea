"""``index.html``: the curator's dashboard, with feed autodiscovery for readers.

One self-contained, static HTML5 page: inline CSS that reads on a phone and a desktop, in light
and dark, no JavaScript, nothing loaded from elsewhere (a Content-Security-Policy says so). It
shows the tree; for every node its entry counts (all, the last day, the last week), its newest
time and its newest titles; for every source its state, its last success and its last error in
words, so a failing source never looks like a quiet one. Sources in trouble are listed first.
Its words follow the hub's language, its times the hub's time zone (each also machine-readable
in ``<time datetime>``). Every string is escaped, only http(s) links are shown, and equal input
gives equal bytes.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from html import escape
from typing import BinaryIO

from feedhub.model import NodePath, RecentEntry
from feedhub.paths import feed_file, feed_title, url_for
from feedhub.publish.icon import ICON
from feedhub.publish.rss import sibling_url
from feedhub.publish.words import Words, count_of, words_for
from feedhub.sanitize import safe_url
from feedhub.states import STATES, TROUBLED, label
from feedhub.text import printable


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """How a source fares, as the page tells it."""

    state: str  # one of states.STATES
    last_success: datetime | None = None
    error: str | None = None
    error_count: int = 0
    error_since: datetime | None = None
    moved_to: str | None = None  # where a permanent redirect pointed


@dataclass(frozen=True, slots=True)
class NodeSummary:
    """What the index shows about one node of the tree."""

    path: NodePath  # () is the all-feed
    entries: int  # entries in the node's merged feed
    newest: datetime | None  # the newest entry's time, if any
    site_link: str | None  # the source's website, for leaves; None otherwise
    day: int = 0  # entries published in the 24 hours before the page was made
    week: int = 0  # ... and in the 7 days before
    recent: tuple[RecentEntry, ...] = ()  # its newest entries, newest first
    source: SourceHealth | None = None  # for a leaf: its source's health


@dataclass(frozen=True, slots=True)
class PageContext:
    """Who the page is for: its language, its time zone and the time it was made."""

    language: str = "en"
    zone: tzinfo = UTC
    generated: datetime | None = None  # None leaves the time out (equal input, equal bytes)
    words: Words = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "words", words_for(self.language))


# (format as in publish.formats, file extension, media type, label); Atom is always written.
_FORMATS = (
    ("atom", "atom", "application/atom+xml", "Atom"),
    ("rss", "rss", "application/rss+xml", "RSS"),
    ("json", "json", "application/feed+json", "JSON Feed"),
)

_CSS = """\
:root{color-scheme:light dark;--fg:#1d1d1f;--bg:#fff;--muted:#6e6e73;--line:#d2d2d7;\
--link:#0a58ca;--chip:#f2f2f5;--ok:#1a7f37;--bad:#c62828;--badbg:#fdecea;--new:#8a6d00}
@media (prefers-color-scheme:dark){:root{--fg:#f2f2f5;--bg:#161618;--muted:#a1a1a6;\
--line:#3a3a3c;--link:#6ea8fe;--chip:#2c2c2e;--ok:#56d364;--bad:#ff7b72;--badbg:#3b1d1d;\
--new:#e3b341}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:62rem;padding:1rem;font:16px/1.55 system-ui,-apple-system,\
"Segoe UI","PingFang SC","Hiragino Sans GB","Noto Sans CJK SC","Microsoft YaHei",sans-serif;\
color:var(--fg);background:var(--bg);overflow-wrap:anywhere}
h1{font-size:1.6rem;margin:.5rem 0}
h2{font-size:1.1rem;margin:1rem 0 .3rem}
p{margin:.4rem 0}
a{color:var(--link)}
.muted,footer,.meta,.health,.recent time{color:var(--muted)}
.overview{margin:1rem 0;padding:.6rem .9rem;border:1px solid var(--line);border-radius:.6rem}
.attention{margin:.3rem 0;padding-left:1.2rem}
.attention li{margin:.2rem 0}
ul.tree,ul.tree ul{list-style:none;margin:0;padding:0}
ul.tree ul{margin-left:.6rem;padding-left:.8rem;border-left:1px solid var(--line)}
.node{display:flex;flex-wrap:wrap;align-items:baseline;gap:.2rem .8rem;padding:.35rem 0 .1rem}
.node.failing,.node.gone{border-left:4px solid var(--bad);background:var(--badbg);\
padding-left:.5rem;border-radius:.3rem}
.name{font-weight:600}
.meta{font-size:.9rem}
.badge{font-size:.8rem;padding:0 .45rem;border-radius:.7rem;border:1px solid currentColor}
.badge.ok{color:var(--ok)}
.badge.failing,.badge.gone{color:var(--bad);font-weight:600}
.badge.new{color:var(--new)}
.health{font-size:.85rem;margin:0 0 .2rem}
.health .error{color:var(--bad)}
.links{display:flex;flex-wrap:wrap;gap:.4rem}
.links a{font-size:.85rem;text-decoration:none;padding:.05rem .5rem;border-radius:.8rem;\
background:var(--chip)}
.links a:hover,.links a:focus{text-decoration:underline}
.recent{margin:0 0 .4rem;padding-left:1.4rem;font-size:.9rem}
.recent time{font-size:.8rem;margin-left:.4rem;white-space:nowrap}
footer{margin-top:2rem;font-size:.9rem;border-top:1px solid var(--line)}
@media (min-width:40rem){body{padding:2rem}.node{flex-wrap:nowrap}.links{margin-left:auto}}
"""


@dataclass
class NodeLines:
    """Each node's lines as the last page rendered them, by what they were rendered from.

    On a tree of hundreds of sources, rendering every node is most of a small publish, yet a
    poll changes few of them: a publisher that keeps this between pages renders only those.
    """

    lines: dict[tuple[NodeSummary, str, str, tuple[str, ...], str, tzinfo], str] = field(
        default_factory=dict)


def render_index(title: str, base_url: str, summaries: Sequence[NodeSummary],
                 formats: Sequence[str], feed_urls: Mapping[NodePath, str] | None = None,
                 context: PageContext | None = None, reuse: NodeLines | None = None) -> bytes:
    """The index page, UTF-8.

    ``summaries`` come in tree order (the root, path ``()``, first; parents before children);
    the nesting is rebuilt from the paths, so a node hangs under its nearest listed ancestor.
    Each node shows its name, counts, newest time, newest titles and a link to its feed in
    every format written (Atom always, RSS and JSON Feed when in ``formats``), plus for
    sources their state and site; ``<head>`` carries an autodiscovery ``<link>`` for every
    feed. ``feed_urls`` gives the Atom feed URLs the caller has already built, by node path;
    the others are built from ``base_url``. ``context`` sets language, time zone and the time
    of making (English, UTC and none by default). ``reuse`` holds the node lines of the last
    page and is given this page's: the bytes are the same as without it.
    """
    ctx = context or PageContext()
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
        f'<html lang="{_e(ctx.language)}">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'; img-src 'self'\">\n"
        '<meta name="generator" content="feedhub">\n'
        f"<title>{_e(title)}</title>\n"
        f'<link rel="icon" type="image/svg+xml" href="{_e(url_for(base_url, ICON))}">\n'
        .encode())
    for path, atom in atom_hrefs.items():
        name = _e(feed_title(title, path))
        out.write("".join(
            f'<link rel="alternate" type="{media_type}" '
            f'title="{name if ext == "atom" else f"{name} ({label_})"}" '
            f'href="{_href(atom, ext)}">\n'
            for _, ext, media_type, label_ in chosen).encode())
    out.write(
        f"<style>\n{_CSS}</style>\n"
        "</head>\n"
        "<body>\n"
        "<header>\n"
        f"<h1>{_e(title)}</h1>\n"
        f'<p class="muted">{_e(ctx.words.intro)}</p>\n'
        "</header>\n".encode())
    _render_overview(out, list(nodes.values()), ctx)
    out.write(b"<main>\n")
    lines: dict[tuple[NodeSummary, str, str, tuple[str, ...], str, tzinfo], str] = {}
    _render_list(out, children, atom_hrefs, None, chosen, 0, ctx,
                 reuse.lines if reuse is not None else {}, lines)
    if reuse is not None:
        reuse.lines = lines  # only this page's: the lines of nodes gone or changed are dropped
    words = ctx.words
    made = (f"<p>{_e(words.generated)} {_time(ctx.generated, ctx)}</p>\n"
            if ctx.generated else "")
    out.write(
        "</main>\n"
        "<footer>\n"
        f"{made}"
        f'<p>{_e(words.opml)}: <a href="{_e(url_for(base_url, "opml.xml"))}">'
        f"{_e(words.opml_feeds)}</a>{words.separator}"
        f'<a href="{_e(url_for(base_url, "sources.opml"))}">{_e(words.opml_sources)}</a></p>\n'
        "</footer>\n"
        "</body>\n"
        "</html>\n".encode())
    return out.getvalue()


def anchor(path: NodePath) -> str:
    """The id of a node's line on the page: short, ASCII and stable for the path."""
    return "n-" + hashlib.blake2b("\x1f".join(path).encode(), digest_size=5).hexdigest()


def _render_overview(out: BinaryIO, summaries: list[NodeSummary], ctx: PageContext) -> None:
    """How many sources are in each state, then every source in trouble with a link to it."""
    sources = [(s.path, s.source) for s in summaries if s.source is not None]
    if not sources:
        return
    words = ctx.words
    counts = dict.fromkeys(STATES, 0)
    for _, health in sources:
        counts[health.state] = counts.get(health.state, 0) + 1
    tally = words.separator.join(f"{n:,} {label(state, ctx.language)}"
                                 for state, n in counts.items() if n)
    out.write(f'<section class="overview">\n<p><strong>{_e(words.sources.format(n=len(sources)))}'
              f"</strong>: {_e(tally)}</p>\n".encode())
    troubled = [(path, health) for path, health in sources if health.state in TROUBLED]
    if not troubled:
        out.write(f'<p class="muted">{_e(words.all_well)}</p>\n</section>\n'.encode())
        return
    out.write(f"<h2>{_e(words.attention)}</h2>\n<ul class=\"attention\">\n".encode())
    for path, health in troubled:
        out.write(f'<li><a href="#{anchor(path)}">{_e(" / ".join(path))}</a> '
                  f"{_badge(health.state, ctx)} {_problem(health, ctx)}</li>\n".encode())
    out.write(b"</ul>\n</section>\n")


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
                 chosen: list[tuple[str, str, str, str]], depth: int, ctx: PageContext,
                 known: Mapping[tuple[NodeSummary, str, str, tuple[str, ...], str, tzinfo], str],
                 lines: dict[tuple[NodeSummary, str, str, tuple[str, ...], str, tzinfo], str],
                 ) -> None:
    pad = "  " * depth
    shown = tuple(f[0] for f in chosen)
    out.write((f'{pad}<ul class="tree">\n' if parent is None else f"{pad}<ul>\n").encode())
    for summary in children.get(parent, []):
        path = tuple(summary.path)
        key = (summary, atom_hrefs[path], pad, shown, ctx.language, ctx.zone)
        text = known.get(key)
        if text is None:
            text = _node(summary, atom_hrefs[path], chosen, ctx, pad)
        lines[key] = text
        out.write(f"{pad}<li>\n{text}".encode())
        if path in children:
            _render_list(out, children, atom_hrefs, path, chosen, depth + 1, ctx, known, lines)
        out.write(f"{pad}</li>\n".encode())
    out.write(f"{pad}</ul>\n".encode())


def _node(summary: NodeSummary, atom: str, chosen: list[tuple[str, str, str, str]],
          ctx: PageContext, pad: str) -> str:
    """A node's lines: name, state, counts and links; a source's health; its newest titles."""
    words = ctx.words
    path = tuple(summary.path)
    name = path[-1] if path else words.everything
    counts = [count_of(words, summary.entries)]
    if summary.entries:
        counts += [words.day.format(n=f"{summary.day:,}"),
                   words.week.format(n=f"{summary.week:,}")]
    newest = (f"{_e(words.newest)} {_time(summary.newest, ctx)}" if summary.newest
              else f"{_e(words.newest)} —")
    links = [f'<a href="{_href(atom, ext)}" type="{media_type}">{label_}</a>'
             for _, ext, media_type, label_ in chosen]
    if summary.site_link and safe_url(summary.site_link):
        links.append(f'<a href="{_e(summary.site_link)}" rel="nofollow noopener noreferrer">'
                     f"{_e(words.site)}</a>")
    health = summary.source
    state = f" {health.state}" if health else ""
    badge = f" {_badge(health.state, ctx)}" if health else ""
    lines = [f'{pad}<div class="node{state}" id="{anchor(path)}">'
             f'<span class="name">{_e(name)}</span>{badge} '
             f'<span class="meta">{_e(words.separator.join(counts))}{words.separator}{newest}'
             f'</span> <span class="links">{" ".join(links)}</span></div>\n']
    if health is not None:
        lines.append(f'{pad}<p class="health">{_health(health, ctx)}</p>\n')
    if summary.recent:
        lines.append(f'{pad}<ol class="recent">\n')
        lines += [f"{pad}<li>{_recent(entry, ctx)}</li>\n" for entry in summary.recent]
        lines.append(f"{pad}</ol>\n")
    return "".join(lines)


def _badge(state: str, ctx: PageContext) -> str:
    return f'<span class="badge {state}">{_e(label(state, ctx.language))}</span>'


def _health(health: SourceHealth, ctx: PageContext) -> str:
    """A source's last success, then what went wrong, if anything."""
    words = ctx.words
    success = (_time(health.last_success, ctx) if health.last_success
               else _e(words.never))
    parts = [f"{_e(words.last_success)} {success}"]
    if health.error or health.moved_to:
        parts.append(_problem(health, ctx))
    return _e(words.separator).join(parts)


def _problem(health: SourceHealth, ctx: PageContext) -> str:
    """The error in words, how long it has lasted; or the permanent move to act on."""
    words = ctx.words
    if health.error:
        text = f'<span class="error">{_e(health.error)}</span>'
        if health.error_count > 1 and health.error_since:
            text += " (" + _e(words.failures).format(
                n=f"{health.error_count:,}", since=_time(health.error_since, ctx)) + ")"
        return text
    if health.moved_to:
        return _e(words.moved.format(url=health.moved_to))
    return ""


def _recent(entry: RecentEntry, ctx: PageContext) -> str:
    title = _e(entry.title)
    if entry.link and safe_url(entry.link):
        title = f'<a href="{_e(entry.link)}" rel="noopener noreferrer">{title}</a>'
    return f"{title} {_time(entry.published, ctx)}"


def _time(when: datetime, ctx: PageContext) -> str:
    """``when`` in the page's zone for people, in UTC for machines."""
    utc = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
    local = utc.astimezone(ctx.zone)
    return (f'<time datetime="{utc.strftime("%Y-%m-%dT%H:%M:%SZ")}">'
            f'{local.strftime("%Y-%m-%d %H:%M")} {_e(local.tzname() or "")}</time>')


def _e(text: str) -> str:
    return escape(printable(text), quote=True)

