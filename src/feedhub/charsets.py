"""The charset of a feed that declares none. Pure.

XML's rules cover a document with a BOM or an ``encoding`` in its declaration, and HTTP's a
Content-Type with a charset; a body with none of these is UTF-8 by the rules, and what is not
valid UTF-8 was written in a legacy charset its server never named (old Chinese, Japanese,
Korean and Russian sites). Only then is the charset detected, from the bytes.
"""

from __future__ import annotations

import codecs

_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE,
         codecs.BOM_UTF32_BE)
# Detection reads a bounded prefix: a feed repeats its charset's byte patterns in every item,
# and charset_normalizer's time grows with the bytes it is given.
SAMPLE_BYTES = 64 * 1024
# The names detection gives, as the decoders that read the most of what such sites send:
# GB18030 is GB2312's and GBK's superset (as parse.effective_content_type maps them).
_WIDER = {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030"}


def needs_detection(body: bytes) -> bool:
    """True for a body without a BOM that is not valid UTF-8 (ASCII is valid UTF-8)."""
    if body.isascii() or body.startswith(_BOMS):
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def detect(body: bytes) -> str | None:
    """The charset ``body`` was most likely written in, or None when nothing fits."""
    from charset_normalizer import from_bytes  # only for the rare body that needs it

    sample = body[:SAMPLE_BYTES]
    if len(body) > SAMPLE_BYTES:
        # Cut before a '<', which is never part of a character in these charsets (their
        # multibyte characters are made of bytes 0x40 and up): a character cut in two would
        # rule out the very charset it belongs to.
        sample = sample[:max(sample.rfind(b"<"), 1)]
    best = from_bytes(sample).best()
    if best is None:
        return None
    name = best.encoding.lower()
    return _WIDER.get(name, name)
