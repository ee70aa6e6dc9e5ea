"""Feeds that name no charset anywhere, polled through the CLI: their text arrives intact."""

from __future__ import annotations

from pathlib import Path

import feedparser

from conftest import FeedServer, feedhub, write_config
from legacy import TEXTS, feed, title


def test_undeclared_legacy_feeds_are_stored_and_published_intact(
        tmp_path: Path, feed_server: FeedServer) -> None:
    routes = {encoding: feed_server.serve(f"/{encoding}.xml", feed(text).encode(encoding),
                                          "application/xml")  # no charset
              for encoding, text in TEXTS.items()}
    sources = "".join(f"    {encoding}:\n      全部: {url}\n" for encoding, url in routes.items())
    config = write_config(tmp_path, "  编码:\n" + sources)
    result = feedhub("poll", "-c", str(config))
    assert result.returncode == 0, result.stderr
    assert "20 new" in result.stdout and "0 failed" in result.stdout
    for encoding, text in TEXTS.items():
        published = feedparser.parse(
            (tmp_path / "data/public/feeds/编码" / encoding / "全部.atom").read_bytes())
        assert sorted(e.title for e in published.entries) == [
            title(text, n) for n in range(4)], encoding
        assert {e.content[0].value for e in published.entries} == {text}, encoding
        assert published.feed.title.startswith("编码 / ")


def test_a_feed_whose_header_names_its_charset_is_read_by_it(
        tmp_path: Path, feed_server: FeedServer) -> None:
    text = TEXTS["big5"]
    url = feed_server.serve("/big5.xml", feed(text).encode("big5"), "text/xml; charset=big5")
    config = write_config(tmp_path, f"  繁体:\n    站:\n      全部: {url}\n")
    assert feedhub("poll", "-c", str(config)).returncode == 0
    published = feedparser.parse((tmp_path / "data/public/all.atom").read_bytes())
    assert {e.content[0].value for e in published.entries} == {text}
