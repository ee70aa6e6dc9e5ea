"""Atom documents spliced from entries rendered once."""

from __future__ import annotations

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


def test_shared_entries_render_each_entry_once_within_the_budget() -> None:
    reads: list[list[int]] = []
    stored = {e.rowid: e for e in [*ENTRIES, make_entry(rowid=7, title="七")]}

    def read(ids: list[int]) -> list[StoredEntry]:
        reads.append(ids)
        return [stored[i] for i in ids if i in stored]  # 404 is gone

    shared = EntryCache(INFO.hub_title, BASE)
    first = shared.get([3, 2, 404], read)
    second = shared.get([1, 2, 3], read)
    third = shared.get([3], read)
    assert reads == [[3, 2, 404], [1]]
    assert [updated for updated, _ in first] == [NEWEST.updated, WITH_SUMMARY.updated]
    assert [element for _, element in second] == render_entries(
        [OLDEST, WITH_SUMMARY, NEWEST], INFO.hub_title, BASE)
    assert third[0][1] is second[2][1]  # rendered once
    # Without bodies: from the same rendering, read no more.
    lean = shared.get([1, 2, 3], read, bodies=False)
    assert reads == [[3, 2, 404], [1]]
    assert [element for _, element in lean] == [
        without_body(e, element) for e, (_, element)
        in zip([OLDEST, WITH_SUMMARY, NEWEST], second, strict=True)]

    tiny = EntryCache(INFO.hub_title, BASE, budget=1)
    reads.clear()
    assert len(tiny.get([1, 2], read)) == 2  # a document gets all its entries, budget or not
    tiny.get([7], read)
    tiny.get([1], read)
    assert reads == [[1, 2], [7], [1]]


def test_entries_sent_from_another_cache_are_kept_and_completed_when_bodies_are_needed() -> None:
    reads: list[list[int]] = []
    stored = {e.rowid: e for e in ENTRIES}

    def read(ids: list[int]) -> list[StoredEntry]:
        reads.append(ids)
        return [stored[i] for i in ids]

    worker = EntryCache(INFO.hub_title, BASE)
    full = worker.get([3, 2, 1], read)
    sent_full, sent_lean = worker.send([3], bodies=True), worker.send([2, 1, 404], bodies=False)
    assert [rowid for rowid, *_ in sent_lean] == [2, 1]  # only what it holds
    here = EntryCache(INFO.hub_title, BASE)
    here.keep(sent_lean + sent_full)
    reads.clear()
    # The lean forms, and the full one sent, are used as they came: nothing read or rendered.
    assert here.get([3, 2, 1], read, bodies=False) == worker.get([3, 2, 1], read, bodies=False)
    assert here.get([3], read) == full[:1]
    assert reads == []
    # An entry held without its body is rendered here when a document needs the body, and a
    # lean form sent later does not replace it.
    assert here.get([2, 1], read) == full[1:]
    assert reads == [[2, 1]]
    here.keep(worker.send([2], bodies=False))
    assert here.get([2], read) == full[1:2]
    assert reads == [[2, 1]]


def test_an_entry_held_lean_only_and_no_longer_stored_is_left_out_of_a_full_document() -> None:
    worker = EntryCache(INFO.hub_title, BASE)
    worker.get([1], lambda ids: [OLDEST])
    here = EntryCache(INFO.hub_title, BASE)
    here.keep(worker.send([1], bodies=False))
    assert here.get([1], lambda ids: []) == []  # deleted since the worker read it
    assert len(here.get([1], lambda ids: [], bodies=False)) == 1
