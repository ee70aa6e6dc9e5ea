"""Small text normalizations shared by parsing and identity. Pure functions."""

from __future__ import annotations

import html
import re

import nh3

# A tag as our sanitizer writes them: attribute values are always double-quoted, and may hold
# ">" (the serializer escapes only & and " there).
_SANITIZED_TAG = re.compile(r'<[^>"]*(?:"[^"]*"[^>"]*)*>')
# Text only: every tag goes, script and style with their content.
_STRIP_ALL = nh3.Cleaner(tags=set(), clean_content_tags={"script", "style"})
# Characters XML 1.0 cannot carry at all; a single one would make a whole feed unwritable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Also DEL and the C1 controls: legal in XML, but not in YAML or HTML, so not in plain text.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def fold_whitespace(value: str) -> str:
    """Runs of white space become one space; ends are trimmed."""
    # str.split() splits on exactly the characters re's \s matches, at C speed.
    return " ".join(value.split())


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
    return _strip_rounds(printable(markup), 3)


def _strip_rounds(text: str, rounds: int) -> str:
    for _ in range(rounds):
        if "<" not in text and "&" not in text:
            break  # nothing an HTML parser would change once white space is folded
        stripped = _STRIP_ALL.clean(text)
        decoded = html.unescape(stripped)
        if decoded == text:
            break
        text = printable(decoded)
    return fold_whitespace(text)


def sanitized_text(markup: str) -> str:
    """:func:`plain_text` of HTML that ``sanitize_html`` wrote, without parsing it again.

    Such HTML holds no comment, script or style, and every tag in it is well-formed, so
    removing the tags is what the first of plain_text's rounds does. Only when the decoded text
    still holds markup or entities do the remaining rounds run.
    """
    decoded = html.unescape(_SANITIZED_TAG.sub("", markup))
    if "<" in decoded or "&" in decoded:
        return _strip_rounds(printable(decoded), 2)
    return fold_whitespace(printable(decoded))
