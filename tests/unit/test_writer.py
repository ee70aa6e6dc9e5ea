"""Served files and their gzip siblings, written by worker threads."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from feedhub.publish.writer import Served, Writer, gzip_of, gzipped, write_documents


def test_serve_writes_each_file_and_its_sibling_and_leaves_the_same_bytes_alone(
        tmp_path: Path) -> None:
    a, b = tmp_path / "feeds" / "a.atom", tmp_path / "b.json"
    first = write_documents([(a, b"<a/>"), (b, b"{}")])
    assert first.written == [a, b]
    assert gzip.decompress(gzipped(a).read_bytes()) == b"<a/>"
    assert first.unsynced == {a.parent, b.parent}

    gzipped(b).unlink()
    before = a.stat().st_mtime_ns, b.stat().st_mtime_ns
    again = write_documents([(a, b"<a/>"), (b, b"{}")])
    assert again.written == [] and again.unchanged == 2
    assert (a.stat().st_mtime_ns, b.stat().st_mtime_ns) == before
    assert gzip.decompress(gzipped(b).read_bytes()) == b"{}"  # a missing sibling comes back

    changed = write_documents([(a, b"<b/>")])
    assert changed.written == [a] and a.read_bytes() == b"<b/>"
    assert gzip.decompress(gzipped(a).read_bytes()) == b"<b/>"


def test_writer_passes_results_on_in_order_and_raises_a_failure_after_the_rest(
        tmp_path: Path) -> None:
    received: list[Served] = []
    (tmp_path / "taken.atom").mkdir()  # a file cannot replace a folder
    with pytest.raises(OSError), Writer(received.append) as writer:
        first = writer.submit([(tmp_path / "1.atom", b"1")])
        writer.submit([(tmp_path / "taken.atom", b"x")])
        writer.submit([(tmp_path / "2.atom", b"2")], after=[first])
    assert [s.written for s in received] == [[tmp_path / "1.atom"], [tmp_path / "2.atom"]]
    assert (tmp_path / "2.atom").read_bytes() == b"2"


def test_gzip_form_is_the_same_bytes_for_the_same_document_and_decompresses_to_it() -> None:
    document = b"<feed>" + "正文".encode() * 5000 + b"x" * 70000 + b"</feed>\n"
    packed = gzip_of(document)
    assert packed == gzip_of(document)  # no timestamp: an unchanged page is not rewritten
    assert gzip.decompress(packed) == document
    assert gzip.decompress(gzip_of(b"")) == b""
    assert len(packed) < len(document) // 10



def test_a_page_found_unchanged_still_has_its_folder_made_durable(tmp_path: Path) -> None:
    # Its bytes may have been renamed there by a writer that stopped before the fsync.
    page = tmp_path / "archive" / "1.atom"
    write_documents([(page, b"<feed/>")], form="gzip")
    again = write_documents([(page, b"<feed/>")], form="gzip")
    assert again.written == [] and again.unchanged == 1
    assert again.unsynced == {page.parent}
