"""Plain text of markup, as a reader shows a title."""

import pytest

from feedhub.text import fold_whitespace, plain_text


def test_plain_text_strips_tags_but_keeps_their_text():
    assert plain_text("<p>Hello <b>bold</b> <a href='https://e.com'>link</a></p>") == (
        "Hello bold link"
    )


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("AT&amp;T", "AT&T"),
        ("a &lt; b", "a < b"),
        ("dash &#8212; here", "dash — here"),
        ("caf&eacute;", "café"),
        ("&quot;quoted&quot;", '"quoted"'),
    ],
)
def test_plain_text_decodes_entities(markup, text):
    assert plain_text(markup) == text


def test_escaped_markup_is_stripped_once_decoded():
    # A title is plain text: markup that decoding reveals (escaped once or twice) is stripped
    # too, so a reader that wrongly renders titles as HTML never meets a tag.
    assert plain_text("&lt;b&gt;bold&lt;/b&gt; title") == "bold title"
    assert plain_text("&amp;lt;script&amp;gt;x&amp;lt;/script&amp;gt;Title") == "Title"
    assert plain_text("AT&amp;amp;T") == "AT&T"


def test_control_characters_are_dropped_from_titles():
    assert plain_text("bell\x07 and escape\x1b[0m") == "bell and escape[0m"


def test_plain_text_folds_whitespace_and_trims_ends():
    assert plain_text("  one\n\n two\t three&nbsp; ") == "one two three"


@pytest.mark.parametrize(
    "markup",
    ["Title<script>alert('x')</script>", "Title<style>p { color: red }</style>"],
)
def test_plain_text_drops_script_and_style_content(markup):
    assert plain_text(markup) == "Title"


def test_plain_text_of_plain_text_is_unchanged():
    assert plain_text("新媒体速递: 36氪") == "新媒体速递: 36氪"


def test_plain_text_of_empty_markup_is_empty():
    assert plain_text("") == ""


def test_fold_whitespace_collapses_runs_of_any_whitespace():
    assert fold_whitespace("\t a \n\n b  c \r\n") == "a b c"
