"""Small text normalizations shared by parsing and identity. Pure functions."""

from __future__ import annotations

import html
import re

import nh3

_SPACE = re.compile(r"\s+")


def fold_whitespace(value: str) -> str:
    """Runs of white space become one space; ends are trimmed."""
    return _SPACE.sub(" ", value).strip()


def plain_text(markup: str) -> str:
    """Markup stripped, entities decoded, white space folded: a title as a reader shows it."""
    stripped = nh3.clean(markup, tags=set(), clean_content_tags={"script", "style"})
    return fold_whitespace(html.unescape(stripped))
