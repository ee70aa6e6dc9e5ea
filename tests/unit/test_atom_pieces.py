"""Atom documents spliced from entries rendered once; gzip files of pieces compressed apart."""

from __future__ import annotations

import gzip
import zlib
from concurrent.futures import Future
from dataclasses import replace
from datetime import UTC, datetime

import feedparser
from lxml import etree

from feedhub.model import SourceFeed, StoredEntry
from feedhub.publish.atom import (
    ATOM_NS,
    HISTORY_NS,
    render_entries,
    render_frame,
    without_body,
)
from feedhub.publish.deflate import Document, Piece, deflated
from feedhub.publish.entry_cache import EntryCache
from samples import BASE, INFO, NEWEST, OLDEST, WITH_SUMMARY, make_entry

ENTRIES = [NEWEST, WITH_SUMMARY, OLDEST]
# Text that looks like the line opening an entry, in every place text can be.
TRICKY = make_entry(rowid=9, atom_id="tag:x,2024:\n  <entry>", title="\n  <entry xml:lang='x'>",
                    content="<p>a</p>\n  <entry>\n  </entry>", summary="\n  <entry>",
                    author="\n  <entry ", categories=("\n  <entry>",))


def _document(entries: list[StoredEntry], archive: bool = False) -> bytes:
    info = replace(INFO, is_archive=archive)
    head, tail = render_frame(info, max((e.updated for e in entries), default=INFO.undated))
    return b"".join([head, *render_entries(entries, INFO.hub_title, BASE), tail])


def _done(value: bytes) -> Future[bytes]:
    future: Future[bytes] = Future()
    future.set_result(value)
    return future


def test_an_entry_renders_the_same_whatever_it_is_rendered_with() -> None:
    together = render_entries([*ENTRIES, TRICKY], INFO.hub_title, BASE)
    apart = [piece for e in [*ENTRIES, TRICKY] for piece in render_entries([e], INFO.hub_title,
                                                                          BASE)]
    assert together == apart
    assert len(together) == 4


def test_spliced_document_is_atom_with_every_entry_in_order() -> None:
    data = _document([*ENTRIES, TRICKY], archive=True)
    root = etree.fromstring(data)
    entries = root.findall(f"{{{ATOM_NS}}}entry")
    assert [(e.findtext(f"{{{ATOM_NS}}}id"), e.findtext(f"{{{ATOM_NS}}}title"))
            for e in entries] == [(e.atom_id, e.title) for e in [*ENTRIES, TRICKY]]
    assert root.find(f"{{{HISTORY_NS}}}archive") is not None
    assert root.findtext(f"{{{ATOM_NS}}}updated") == WITH_SUMMARY.updated.isoformat()
    parsed = feedparser.parse(data)
    assert not parsed.bozo
    assert len(parsed.entries) == 4


def test_an_empty_feed_is_its_frame_dated_when_the_hub_first_published() -> None:
    root = etree.fromstring(_document([]))
    assert root.findall(f"{{{ATOM_NS}}}entry") == []
    assert root.findtext(f"{{{ATOM_NS}}}updated") == INFO.undated.isoformat()


def test_atom_source_is_in_the_default_namespace_with_its_updated() -> None:
    dated = SourceFeed(id="https://a.example/feed", title="甲", url="https://a.example/feed",
                       link="https://a.example/", updated=datetime(2024, 6, 1, tzinfo=UTC))
    entries = [replace(WITH_SUMMARY, origin=dated),
               replace(OLDEST, origin=replace(dated, updated=None))]
    text = b"".join(render_entries(entries, INFO.hub_title, BASE))
    assert b"ns0:" not in text and text.count(b"<source>") == 2
    root = etree.fromstring(_document(entries))
    sources = root.findall(f"{{{ATOM_NS}}}entry/{{{ATOM_NS}}}source")
    # A source feed that gave no date was at least as new as the entry taken from it.
    assert [s.findtext(f"{{{ATOM_NS}}}updated") for s in sources] == [
        "2024-06-01T00:00:00+00:00", OLDEST.updated.isoformat()]
    assert [s.findtext(f"{{{ATOM_NS}}}id") for s in sources] == [dated.id] * 2


def test_without_its_body_an_entry_with_a_link_is_the_same_element_less_its_content() -> None:
    tricky = replace(TRICKY, link="https://x.example/1")
    entries = [WITH_SUMMARY, NEWEST, tricky]
    full = render_entries(entries, INFO.hub_title, BASE)
    lean = [without_body(e, raw) for e, raw in zip(entries, full, strict=True)]
    assert lean[1] == full[1]  # RFC 4287 4.1.2: no link, so the content stays
    for entry, element, short in zip(entries, full, lean, strict=True):
        if entry.link:
            # What rendering the entry with no content gives, byte for byte.
            assert [short] == render_entries([replace(entry, content="")], INFO.hub_title, BASE)
            assert b"<content" not in short and b"<content" in element
    assert b"<summary" in lean[0]  # what the entry says of itself stays


def test_gzip_of_pieces_is_the_document_whether_compressed_ahead_or_not() -> None:
    raw = [b"<feed>", "正文".encode() * 5000, b"", b"x" * 70000, b"</feed>\n"]
    ahead = Document(tuple(Piece(p, _done(deflated(p))) for p in raw))
    later = Document(tuple(Piece(p) for p in raw))
    assert ahead.raw() == later.raw() == b"".join(raw)
    assert ahead.gzip() == later.gzip()
    assert gzip.decompress(ahead.gzip()) == b"".join(raw)
    assert zlib.decompress(ahead.gzip(), wbits=31) == b"".join(raw)
    assert gzip.decompress(Document(()).gzip()) == b""


def test_shared_entries_render_each_entry_once_within_the_budget() -> None:
    reads: list[list[int]] = []
    stored = {e.rowid: e for e in [*ENTRIES, make_entry(rowid=7, title="七")]}

    def read(ids: list[int]) -> list[StoredEntry]:
        reads.append(ids)
        return [stored[i] for i in ids if i in stored]  # 404 is gone

    packs: list[bytes] = []

    def pack(raw: bytes) -> Future[bytes]:
        packs.append(raw)
        return _done(deflated(raw))

    shared = EntryCache(INFO.hub_title, BASE, pack)
    first = shared.get([3, 2, 404], read)
    second = shared.get([1, 2, 3], read, packed=True)
    third = shared.get([3], read, packed=True)
    assert reads == [[3, 2, 404], [1]]
    assert [updated for updated, _ in first] == [NEWEST.updated, WITH_SUMMARY.updated]
    assert [p.packed for _, p in first] == [None, None]  # feeds only: compressed whole
    assert [p.raw for _, p in second] == render_entries(
        [OLDEST, WITH_SUMMARY, NEWEST], INFO.hub_title, BASE)
    assert packs == [p.raw for _, p in second]  # each compressed once
    assert third[0][1].packed is second[2][1].packed
    # Without bodies: from the same rendering, read no more, compressed apart.
    lean = shared.get([1, 2, 3], read, packed=True, bodies=False)
    assert reads == [[3, 2, 404], [1]]
    assert [p.raw for _, p in lean] == [without_body(e, p.raw) for e, (_, p)
                                        in zip([OLDEST, WITH_SUMMARY, NEWEST], second,
                                               strict=True)]
    assert lean[2][1].packed is second[2][1].packed  # no link: one piece for both

    tiny = EntryCache(INFO.hub_title, BASE, lambda raw: _done(deflated(raw)), budget=1)
    reads.clear()
    assert len(tiny.get([1, 2], read)) == 2  # a document gets all its entries, budget or not
    tiny.get([7], read)
    tiny.get([1], read)
    assert reads == [[1, 2], [7], [1]]

