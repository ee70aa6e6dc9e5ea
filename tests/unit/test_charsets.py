"""Charsets: detected only where nothing declares one, and then right for legacy CJK and
Cyrillic feeds."""

import codecs

import pytest

from feedhub import charsets
from feedhub.parse import effective_content_type
from legacy import TEXTS, feed


@pytest.mark.parametrize("encoding", TEXTS)
def test_an_undeclared_legacy_charset_is_detected(encoding: str) -> None:
    document = feed(TEXTS[encoding])
    body = document.encode(encoding)
    assert charsets.needs_detection(body)
    found = charsets.detect(body)
    assert found is not None and body.decode(found) == document
    assert effective_content_type(body, "application/xml") == f"application/xml; charset={found}"


def test_gbk_is_read_as_its_superset() -> None:
    assert charsets.detect(feed(TEXTS["gbk"]).encode("gbk")) == "gb18030"


def test_a_long_feed_is_detected_from_a_prefix_cut_between_characters() -> None:
    document = feed(TEXTS["gbk"], items=1500)
    body = document.encode("gbk")
    assert len(body) > 3 * charsets.SAMPLE_BYTES
    assert body.decode(charsets.detect(body)) == document


@pytest.mark.parametrize("body", [
    b"<rss version='2.0'><channel><title>ascii</title></channel></rss>",
    feed(TEXTS["gbk"]).encode("utf-8"),
    codecs.BOM_UTF16_LE + feed(TEXTS["gbk"]).encode("utf-16-le"),
    codecs.BOM_UTF8 + feed(TEXTS["big5"]).encode("utf-8"),
])
def test_ascii_utf8_and_a_bom_need_no_detection(body: bytes) -> None:
    assert not charsets.needs_detection(body)
    assert effective_content_type(body, "application/xml") == "application/xml"


def test_what_is_declared_is_kept_even_over_bytes_that_disagree() -> None:
    big5 = feed(TEXTS["big5"]).encode("big5")
    assert effective_content_type(big5, "text/xml; charset=Big5") == "text/xml; charset=big5"
    declared = big5.replace(b"<?xml version='1.0'?>", b"<?xml version='1.0' encoding='big5'?>")
    assert effective_content_type(declared, "application/xml") == "application/xml"
    # A header saying UTF-8 is believed: the bytes are not detected again.
    assert effective_content_type(big5, "application/xml; charset=utf-8") == \
        "application/xml; charset=utf-8"
