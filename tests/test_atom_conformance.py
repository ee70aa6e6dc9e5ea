"""The Atom feeds against RFC 4287's rules, and the RFC 5005 archive chain walked as a reader."""

from __future__ import annotations

import gzip
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from lxml import etree

from conftest import FOUR_SOURCES, FeedServer, feedhub, serve_four, write_config
from feedhub.dedup import is_absolute_iri

A = "{http://www.w3.org/2005/Atom}"
FH = "{http://purl.org/syndication/history/1.0}"
MEDIA = "{http://search.yahoo.com/mrss/}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
LANG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
PER_PAGE = 3



@pytest.fixture
def hub(tmp_path: Path, feed_server: FeedServer) -> Iterator[Path]:
    config = write_config(tmp_path, FOUR_SOURCES.format(**serve_four(feed_server)),
                          extra=f"publish: {{entries: {PER_PAGE}}}\n")
    result = feedhub("poll", "-c", str(config))
    assert result.returncode == 0, result.stderr
    yield config


def public(config: Path) -> Path:
    return config.parent / "data" / "public"


def base_url(config: Path) -> str:
    return config.read_text(encoding="utf-8").split("base_url: ")[1].split("\n")[0]


def atom_files(config: Path) -> list[Path]:
    """Every Atom document: the subscription feeds, and the archive pages in gzip form."""
    return sorted([*public(config).rglob("*.atom"), *public(config).rglob("*.atom.gz")])


def parse(path: Path) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False)
    if path.suffix == ".gz":
        return etree.fromstring(gzip.decompress(path.read_bytes()), parser)
    return etree.parse(str(path), parser).getroot()


def relative(config: Path, path: Path) -> str:
    """The document's path as its URL names it (an archive page without its .gz)."""
    return str(path.relative_to(public(config))).removesuffix(".gz")


def only(parent: etree._Element, tag: str, what: str) -> etree._Element:
    found = parent.findall(A + tag)
    assert len(found) == 1, f"{what}: {len(found)} atom:{tag}, RFC 4287 wants exactly one"
    return found[0]


def check_date(element: etree._Element, what: str) -> None:
    assert RFC3339.match(element.text or ""), f"{what}: {element.text!r} is not RFC 3339"


def check_links(parent: etree._Element, what: str) -> None:
    seen: set[tuple[str, str, str]] = set()
    for link in parent.findall(A + "link"):
        href = link.get("href")
        assert href and is_absolute_iri(href), f"{what}: link href {href!r} is not absolute"
        key = (link.get("rel", "alternate"), link.get("type", ""), link.get("hreflang", ""))
        if key[0] == "alternate":
            assert key not in seen, f"{what}: two alternate links with one type and hreflang"
            seen.add(key)


def test_every_feed_meets_the_feed_level_rules(hub: Path) -> None:
    files = atom_files(hub)
    assert len(files) > 11  # 11 subscription feeds plus archive pages
    for path in files:
        feed = parse(path)
        what = relative(hub, path)
        assert feed.tag == A + "feed"
        assert is_absolute_iri(only(feed, "id", what).text)
        assert only(feed, "title", what).text
        check_date(only(feed, "updated", what), what)
        entries = feed.findall(A + "entry")
        has_author = feed.find(A + "author") is not None
        assert has_author or all(e.find(A + "author") is not None for e in entries), what
        check_links(feed, what)
        self_links = [lk.get("href") for lk in feed.findall(A + "link") if lk.get("rel") == "self"]
        assert len(self_links) == 1, what
        assert unquote(self_links[0]).endswith(what), (self_links, what)
        assert only(feed, "generator", what).text == "feedhub"
        if entries:
            newest = max(only(e, "updated", what).text for e in entries)
            assert only(feed, "updated", what).text == newest, f"{what}: feed updated"
        ids = [only(e, "id", what).text for e in entries]
        assert len(ids) == len(set(ids)), f"{what}: an entry twice"


def test_every_entry_meets_the_entry_level_rules(hub: Path) -> None:
    for path in atom_files(hub):
        what = relative(hub, path)
        for entry in parse(path).findall(A + "entry"):
            eid = only(entry, "id", what).text
            where = f"{what} {eid}"
            assert is_absolute_iri(eid), where
            title = only(entry, "title", where)
            assert title.get("type", "text") == "text" and "<" not in (title.text or "")
            check_date(only(entry, "updated", where), where)
            published = entry.findall(A + "published")
            assert len(published) <= 1, where
            if published:
                check_date(published[0], where)
                assert published[0].text <= only(entry, "updated", where).text, where
            contents = entry.findall(A + "content")
            assert len(contents) <= 1 and len(entry.findall(A + "summary")) <= 1, where
            alternates = [lk for lk in entry.findall(A + "link")
                          if lk.get("rel", "alternate") == "alternate"]
            assert contents or alternates, f"{where}: no content and no alternate link"
            for content in contents:
                assert content.get("type") == "html" and content.get("src") is None, where
            check_links(entry, where)
            for category in entry.findall(A + "category"):
                assert category.get("term"), f"{where}: category without term"
            if (lang := entry.get(XML_LANG)) is not None:
                assert LANG.match(lang), f"{where}: xml:lang {lang!r}"
            for thumb in entry.findall(MEDIA + "thumbnail"):
                assert thumb.get("url", "").startswith(("http://", "https://")), where
            source = only(entry, "source", where)
            assert is_absolute_iri(only(source, "id", where).text)
            assert only(source, "title", where).text
            check_links(source, where)


def test_entries_carry_their_path_as_categories_and_their_source(hub: Path) -> None:
    entries = {only(e, "title", "x").text: e
               for e in parse(public(hub) / "all.atom").findall(A + "entry")}
    essay = entries.get("效率工具推荐：用好快捷指令")
    if essay is None:  # pushed into an archive page by newer entries
        entries = {only(e, "title", "x").text: e for p in atom_files(hub)
                   for e in parse(p).findall(A + "entry")}
        essay = entries["效率工具推荐：用好快捷指令"]
    terms = [(c.get("term"), c.get("scheme")) for c in essay.findall(A + "category")]
    base = base_url(hub)
    assert terms == [("科技", base), ("少数派", base), ("最新", base), ("效率", None)]
    source = only(essay, "source", "essay")
    assert only(source, "title", "source").text == "少数派"
    links = {lk.get("rel"): lk.get("href") for lk in source.findall(A + "link")}
    assert links["self"].endswith("/sspai") and links["alternate"] == "https://sspai.com/"


def walk(config: Path, start: str) -> tuple[list[list[str]], etree._Element]:
    """Follow prev-archive links from a subscription document, as an RFC 5005 reader does:
    the entry ids of each document, subscription document first."""
    base = base_url(config)

    def load(url: str) -> etree._Element:
        assert url.startswith(base)
        path = public(config) / unquote(url[len(base):])
        return parse(path if path.exists() else path.with_name(path.name + ".gz"))

    pages: list[list[str]] = []
    doc = load(base + quote(start))
    subscription = doc
    seen_urls: set[str] = set()
    while True:
        pages.append([only(e, "id", "walk").text for e in doc.findall(A + "entry")])
        prev = [lk.get("href") for lk in doc.findall(A + "link") if lk.get("rel") == "prev-archive"]
        if not prev:
            return pages, subscription
        assert prev[0] not in seen_urls, "the archive chain loops"
        seen_urls.add(prev[0])
        doc = load(prev[0])
        assert doc.find(FH + "archive") is not None, f"{prev[0]} lacks fh:archive"
        current = [lk.get("href") for lk in doc.findall(A + "link") if lk.get("rel") == "current"]
        assert current == [base + quote(start)], prev[0]


def stored_ids(config: Path, node: str) -> set[str]:
    with sqlite3.connect(config.parent / "data" / "feedhub.db") as db:
        return {r[0] for r in db.execute(
            "SELECT e.atom_id FROM entries e JOIN entry_nodes n ON n.entry_id = e.id "
            "WHERE n.node = ?", [node])}


@pytest.mark.parametrize(("start", "node"), [("all.atom", ""), ("feeds/科技.atom", "科技")])
def test_archive_walk_recovers_every_stored_entry(hub: Path, start: str, node: str) -> None:
    pages, subscription = walk(hub, start)
    assert len(pages) >= 2, "expected at least one archive page"
    stored = stored_ids(hub, node)
    # The subscription document holds exactly the newest entries, the archive pages every
    # entry once; the two overlap only by what the newest page shares with the subscription
    # document, which RFC 5005 4.2 has a reader keep once (the most recently updated copy).
    assert len(pages[0]) == min(PER_PAGE, len(stored))
    archived = [i for page in pages[1:] for i in page]
    assert len(archived) == len(set(archived)), "an entry is in two archive pages"
    assert all(len(page) == PER_PAGE for page in pages[1:]), "archive pages are full"
    assert set(pages[0]) | set(archived) == stored
    assert not set(pages[0]) & set(archived) - set(pages[1])
    overlap = len(stored) % PER_PAGE
    assert len(set(pages[0]) & set(pages[1])) == (PER_PAGE - overlap) % PER_PAGE
    # Above a source, archive pages list entries without the bodies its own pages hold.
    page = parse_url(hub, next(lk.get("href") for lk in subscription.findall(A + "link")
                               if lk.get("rel") == "prev-archive"))
    assert all(e.find(A + "content") is None for e in page.findall(A + "entry")
               if e.find(A + "link") is not None)


def parse_url(config: Path, url: str) -> etree._Element:
    path = public(config) / unquote(url[len(base_url(config)):])
    return parse(path if path.exists() else path.with_name(path.name + ".gz"))


def test_full_archive_pages_are_rewritten_only_to_show_an_edit(
        hub: Path, feed_server: FeedServer) -> None:
    archive = public(hub) / "archive"
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in archive.rglob("*.atom.gz")}
    assert before
    body = (Path(__file__).parent / "fixtures" / "sspai.rdf").read_text(encoding="utf-8")
    feed_server.serve("/sspai", body.replace("桌面改造记", "桌面改造记（更新）").replace(
        "</rdf:RDF>", "<item rdf:about='https://sspai.com/post/1003'><title>第三篇</title>"
        "<link>https://sspai.com/post/1003</link><description>新</description>"
        "<dc:date>2021-08-28T08:00:00+08:00</dc:date></item></rdf:RDF>").encode())
    result = feedhub("poll", "-c", str(hub), "科技")
    assert result.returncode == 0 and "1 new, 1 updated" in result.stdout, result.stdout
    # RFC 5005 4.1: a page changes only when an entry in it does (here, the edited one:
    # its new date everywhere, its new body where the page holds bodies).
    edited = "https://sspai.com/post/1002"
    for path, (mtime, data) in before.items():
        if (path.stat().st_mtime_ns, path.read_bytes()) != (mtime, data):
            assert edited in gzip.decompress(data).decode(), path
        else:
            assert edited not in gzip.decompress(data).decode(), path
    pages, _ = walk(hub, "all.atom")
    archived = [i for page in pages[1:] for i in page]
    assert set(pages[0]) | set(archived) == stored_ids(hub, "")
