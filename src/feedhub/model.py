"""Typed records passed between stages. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from feedhub.update import SourceUpdate  # which builds on the records here

NodePath = tuple[str, ...]


def iso(when: datetime) -> str:
    """UTC, second precision, ``Z`` suffix: sorts as text and reads back exactly."""
    u = when.astimezone(UTC)
    # strftime's %Y does not pad years before 1000 on every platform; this always does.
    return f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}Z"


def from_iso(text: str) -> datetime:
    """The inverse of :func:`iso`."""
    # fromisoformat, not strptime: publishing reads two dates per entry, and strptime was a
    # tenth of a full build.
    return datetime.fromisoformat(text)


def iso_or_none(when: datetime | None) -> str | None:
    """:func:`iso`, for a time that may be missing (a column that may be NULL)."""
    return None if when is None else iso(when)


def from_iso_or_none(text: str | None) -> datetime | None:
    """:func:`from_iso`, for a column that may be NULL."""
    return from_iso(text) if text else None


def path_str(path: NodePath) -> str:
    """The path as the user writes it: names joined by '/'; the root is ''."""
    return "/".join(path)


def ancestors(path: NodePath) -> list[NodePath]:
    """Every node from the root down to ``path`` itself, root first."""
    return [path[:i] for i in range(len(path) + 1)]


@dataclass(frozen=True, slots=True)
class Source:
    """One leaf of the tree: a feed to poll."""

    path: NodePath
    url: str
    interval: float  # seconds
    author: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    enabled: bool = True
    max_age: float | None = None  # seconds; entries older than this leave once out of the feed
    max_entries: int | None = None  # the newest this many are kept once out of the feed

    @property
    def id(self) -> str:
        return path_str(self.path)

    @property
    def site_name(self) -> str:
        """The name of the site node: the route's parent, or the leaf itself on a shallow tree."""
        return self.path[-2] if len(self.path) >= 2 else self.path[-1]


@dataclass(frozen=True, slots=True)
class FeedNode:
    """A node of the tree: every node gets a merged feed; leaves have a source."""

    path: NodePath
    children: tuple[FeedNode, ...] = ()
    source: Source | None = None

    @property
    def name(self) -> str:
        return self.path[-1] if self.path else ""

    def walk(self) -> list[FeedNode]:
        """This node and every descendant, parents before children."""
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out


@dataclass(frozen=True, slots=True)
class SourceState:
    """What feedhub remembers about a source between polls."""

    source_id: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    state: str = "new"  # one of states.STATES
    error: str | None = None
    error_count: int = 0
    error_since: datetime | None = None
    last_poll: datetime | None = None
    last_success: datetime | None = None
    next_poll: datetime | None = None
    body_hash: str | None = None
    moved_to: str | None = None
    period: float | None = None  # the update period the feed last announced

    @property
    def fetch_url(self) -> str:
        """Where to poll: the permanent new home of the feed when it has moved."""
        return self.moved_to or self.url


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The outcome of one HTTP exchange; never parsed here."""

    url: str
    final_url: str
    status: int | None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    elapsed_ms: int = 0
    moved_to: str | None = None  # where every redirect on the way was permanent (301, 308)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True, slots=True)
class Entry:
    """A normalized entry as parsed from one source, before storage."""

    key: str  # dedup key within the source: id, else link, else content hash
    source_id_iri: str | None  # the source's own id when it is an absolute IRI
    title: str
    link: str | None
    canonical_link: str | None
    author: str
    # Sanitized HTML, in UTF-8: the store writes it as it is. It is most of what crosses from a
    # parse worker to the main process, and decoding it there only to encode it again for
    # SQLite was over a tenth of that process's CPU in a cold ingest.
    content: bytes
    summary: str  # sanitized HTML
    published: datetime | None
    updated: datetime | None
    categories: tuple[str, ...] = ()
    thumbnail: str | None = None
    lang: str | None = None
    digest: str = ""  # of the entry as the feed gave it, before normalizing (parse.raw_digest)


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed feed: its own metadata and its normalized entries."""

    title: str
    link: str | None
    entries: tuple[Entry, ...]
    period: float | None = None  # seconds between updates the feed announces (ttl, sy:*)
    feed_id: str | None = None  # the feed's own id, when it is an absolute IRI
    updated: datetime | None = None
    # Keys of entries still in the feed exactly as they were stored: not normalized again.
    unchanged: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Polled:
    """One source fetched and parsed, ready to be stored. The body itself is not kept."""

    source: Source
    result: FetchResult  # with an empty body: only its size is needed from here on
    size: int
    parsed: ParsedFeed | None  # the entries, when the body changed and could be read
    update: SourceUpdate  # what the poll does to the source (see feedhub.update)

    @property
    def error(self) -> str | None:
        """Why the poll failed, if it did (the fetch, or reading the feed)."""
        return self.update.error


@dataclass(frozen=True, slots=True)
class SourceFeed:
    """The feed an entry came from, as published in ``atom:source``."""

    id: str  # the feed's own id when it has one, else the URL feedhub fetches
    title: str
    url: str  # where feedhub fetches it (rel="self")
    link: str | None  # the site (rel="alternate")
    updated: datetime | None


@dataclass(frozen=True, slots=True)
class RecentEntry:
    """One of a node's newest entries, as the index page lists it."""

    title: str
    link: str | None
    published: datetime


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """An entry as read back from the database for publishing."""

    rowid: int
    atom_id: str
    title: str
    link: str | None
    author: str
    content: str
    summary: str
    published: datetime
    updated: datetime
    thumbnail: str | None
    categories: tuple[str, ...]
    node_paths: tuple[NodePath, ...]  # every source path the entry came from
    lang: str | None = None  # the language the source declared (xml:lang, <language>)
    origin: SourceFeed | None = None  # the source feed the entry was first stored from


@dataclass(frozen=True, slots=True)
class ArchiveState:
    """A node's RFC 5005 archive pages as last written: ``pages`` full pages of
    ``page_size`` entries, the oldest still published being ``first_page``; and the
    sequence numbers whose pages are to be written again."""

    pages: int = 0
    page_size: int = 0
    first_page: int = 1
    stale_seqs: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """What one poll of one source did, for logging, status and publishing."""

    source_id: str
    status: int | None
    new: int = 0
    updated: int = 0
    elapsed_ms: int = 0
    error: str | None = None
    changed_nodes: frozenset[str] = frozenset()
    removed: int = 0  # entries deleted by retention
    changed_entries: frozenset[int] = frozenset()  # new or updated, for their posts
    removed_posts: tuple[str, ...] = ()  # posts of the entries retention deleted
    next_poll: datetime | None = None  # None: not until its config changes (gone)
    state_changed: bool = False  # it started or stopped failing, or fails otherwise


@dataclass(frozen=True, slots=True)
class GoodConfig:
    """The last config file that loaded cleanly, as the database keeps it."""

    file: str  # the file it was read from
    text: str
    loaded_at: datetime


@dataclass(frozen=True, slots=True)
class HubFacts:
    """What the database says about the hub as a whole, for ``/healthz`` and ``/metrics``."""

    sources: dict[str, int]  # configured (active) sources by state, every state present
    entries: int
    earliest_due: datetime | None  # the earliest next poll among the sources that are polled
    last_poll: datetime | None
    last_publish: datetime | None
