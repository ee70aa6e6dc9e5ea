"""Where each node's merged feed lives on disk and on the web."""

from pathlib import PurePosixPath
from urllib.parse import unquote

import pytest

from feedhub.paths import feed_file, safe_segment, url_for


@pytest.mark.parametrize(
    ("name", "segment"),
    [
        ("a/b", "a-b"),
        ("a\\b", "a-b"),
        ("a\x00b", "a-b"),
        ("a\x1fb", "a-b"),
        ("a\x7fb", "a-b"),
        ("line\nbreak", "line-break"),
    ],
)
def test_safe_segment_replaces_separators_and_control_characters(name, segment):
    assert safe_segment(name) == segment


@pytest.mark.parametrize(
    ("name", "segment"),
    [(".hidden", "-hidden"), ("..", "--"), ("...x", "---x"), ("../etc", "---etc")],
)
def test_safe_segment_replaces_each_leading_dot(name, segment):
    assert safe_segment(name) == segment


def test_safe_segment_keeps_dots_that_are_not_leading():
    assert safe_segment("v1.2") == "v1.2"
    assert safe_segment("end.") == "end."


@pytest.mark.parametrize("name", ["新媒体", "Ünïcødé", "IT之家", "a b", "36氪"])
def test_safe_segment_keeps_unicode_and_inner_spaces(name):
    assert safe_segment(name) == name


@pytest.mark.parametrize("name", ["", "   "])
def test_safe_segment_never_returns_an_empty_segment(name):
    assert safe_segment(name) == "-"


def test_safe_segment_output_never_walks_the_tree():
    for name in ["../../etc/passwd", "..\\..\\win", "/abs", ".", "..", " ../x"]:
        segment = safe_segment(name)
        assert "/" not in segment
        assert "\\" not in segment
        assert not segment.startswith(".")
        assert segment not in ("", ".", "..")


def test_feed_file_of_the_root_is_the_all_feed():
    assert feed_file(()) == PurePosixPath("all.atom")


def test_feed_file_of_a_top_level_node_is_under_feeds():
    assert feed_file(("新媒体",)) == PurePosixPath("feeds/新媒体.atom")


def test_feed_file_nests_folders_for_deeper_paths():
    expected = PurePosixPath("feeds/新媒体/鸟哥笔记/首页.atom")
    assert feed_file(("新媒体", "鸟哥笔记", "首页")) == expected


def test_feed_file_uses_the_given_extension():
    assert feed_file((), "json") == PurePosixPath("all.json")
    assert feed_file(("a", "b"), "rss") == PurePosixPath("feeds/a/b.rss")


def test_feed_file_makes_every_segment_safe():
    assert feed_file(("../up", "a/b")) == PurePosixPath("feeds/---up/a-b.atom")


def test_url_for_percent_encodes_utf8_and_keeps_slashes():
    url = url_for("http://127.0.0.1:8080/", PurePosixPath("feeds/新媒体.atom"))
    assert url == "http://127.0.0.1:8080/feeds/%E6%96%B0%E5%AA%92%E4%BD%93.atom"


def test_url_for_encodes_characters_that_would_change_the_url_meaning():
    url = url_for("https://example.org/hub/", "feeds/a b/100%/q?#.atom")
    assert url == "https://example.org/hub/feeds/a%20b/100%25/q%3F%23.atom"


def test_url_for_is_ascii_and_decodes_back_to_the_feed_file():
    relative = feed_file(("科技", "少数派", "最新"))
    url = url_for("http://h/", relative)
    assert url.isascii()
    assert url.startswith("http://h/")
    assert unquote(url.removeprefix("http://h/")) == str(relative)
