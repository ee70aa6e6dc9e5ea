"""Small text normalizations shared by parsing and identity. Pure functions."""

from __future__ import annotations

import html
import re

import nh3

_SPACE = re.compile(r"\s+")
# Characters XML 1.0 cannot carry at all; a single one would make a whole feed unwritable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Also DEL and the C1 controls: legal in XML, but not in YAML or HTML, so not in plain text.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def fold_whitespace(value: str) -> str:
    """Runs of white space become one space; ends are trimmed."""
    return _SPACE.sub(" ", value).strip()


def xml_safe(value: str) -> str:
    """``value`` without the characters XML cannot hold (C0 controls, lone surrogates...)."""
    return _NOT_XML.sub("", value)


def printable(value: str) -> str:
    """``value`` without any control character but tab, newline and carriage return."""
    return _NOT_TEXT.sub("", value)


def plain_text(markup: str) -> str:
    """Markup stripped, entities decoded, white space folded: a title as a reader shows it.

    Decoding can reveal markup that was escaped twice (``&amp;lt;script&amp;gt;``); that is
    stripped too, a few rounds deep, so no reader that wrongly renders titles as HTML sees it.
    """
    text = printable(markup)
    for _ in range(3):
        stripped = nh3.clean(text, tags=set(), clean_content_tags={"script", "style"})
        decoded = html.unescape(stripped)
        if decoded == text:
            break
        text = printable(decoded)
    return fold_whitespace(text)
