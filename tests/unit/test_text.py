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
        ("&lt;b&gt; is a tag", "<b> is a tag"),
        ("dash &#8212; here", "dash — here"),
        ("caf&eacute;", "café"),
        ("&quot;quoted&quot;", '"quoted"'),
    ],
)
def test_plain_text_decodes_entities(markup, text):
    assert plain_text(markup) == text


def test_plain_text_decodes_entities_only_once():
    assert plain_text("AT&amp;amp;T") == "AT&amp;T"


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
