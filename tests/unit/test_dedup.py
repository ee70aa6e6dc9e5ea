"""Identity of entries: canonical links, content hashes, dedup keys, minted ids."""

import re

import pytest

from feedhub.dedup import (
    canonical_link,
    content_hash,
    entry_key,
    is_absolute_iri,
    mint_atom_id,
)


def test_canonical_link_lowercases_scheme_and_host_but_not_path():
    assert canonical_link("HTTPS://News.Example.COM/Some/Path") == "https://news.example.com/Some/Path"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
    ],
)
def test_canonical_link_drops_the_default_port(url, expected):
    assert canonical_link(url) == expected


def test_canonical_link_keeps_a_non_default_port():
    assert canonical_link("http://example.com:8080/a") == "http://example.com:8080/a"
    assert canonical_link("http://example.com:443/a") == "http://example.com:443/a"


def test_canonical_link_drops_the_fragment():
    assert canonical_link("https://example.com/post#comments") == "https://example.com/post"


@pytest.mark.parametrize(
    "tracking",
    [
        "utm_source=rss",
        "utm_medium=feed",
        "UTM_Campaign=x",
        "fbclid=abc",
        "gclid=1",
        "mc_eid=2",
        "spm=a.b.c",
        "share_token=t",
    ],
)
def test_canonical_link_drops_tracking_parameters(tracking):
    assert canonical_link(f"https://example.com/p?id=7&{tracking}") == "https://example.com/p?id=7"


def test_canonical_link_with_only_tracking_parameters_has_no_query():
    assert canonical_link("https://example.com/p?utm_source=a&fbclid=b") == "https://example.com/p"


def test_canonical_link_sorts_remaining_parameters():
    assert canonical_link("https://example.com/p?b=2&a=1&c=3") == "https://example.com/p?a=1&b=2&c=3"


def test_two_spellings_of_the_same_article_share_one_canonical_link():
    first = "HTTPS://Example.com:443/post?id=1&utm_source=feed#top"
    second = "https://example.com/post?fbclid=zzz&id=1"
    assert canonical_link(first) == canonical_link(second) == "https://example.com/post?id=1"


def test_canonical_link_gives_an_empty_path_a_slash():
    assert canonical_link("https://example.com") == "https://example.com/"


def test_canonical_link_keeps_ipv6_hosts_bracketed():
    assert canonical_link("http://[::1]:80/x") == "http://[::1]/x"


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "ftp://example.com/file",
        "mailto:someone@example.com",
        "javascript:alert(1)",
        "/relative/path",
        "example.com/no-scheme",
        "http:///no-host",
        "http://example.com:notaport/",
    ],
)
def test_canonical_link_is_none_for_anything_but_an_http_url(url):
    assert canonical_link(url) is None


def test_content_hash_ignores_whitespace_differences():
    assert content_hash("A  title", "Some\n\ttext  here ") == content_hash(
        " A title", "Some text here"
    )


def test_content_hash_changes_when_the_text_changes():
    assert content_hash("Title", "text one") != content_hash("Title", "text two")


def test_content_hash_changes_when_the_title_changes():
    assert content_hash("Title one", "text") != content_hash("Title two", "text")


def test_content_hash_keeps_title_and_text_apart():
    assert content_hash("a b", "c") != content_hash("a", "b c")


def test_content_hash_is_a_stable_hex_digest():
    digest = content_hash("t", "x")
    assert digest == content_hash("t", "x")
    assert re.fullmatch(r"[0-9a-f]{64}", digest)


def test_entry_key_prefers_the_id():
    assert entry_key("urn:uuid:1", "https://e.com/a", "h") == "id:urn:uuid:1"


def test_entry_key_strips_the_id():
    assert entry_key("  guid-7 \n", None, "h") == "id:guid-7"


@pytest.mark.parametrize("guid", [None, "", "   "])
def test_entry_key_falls_back_to_the_link_without_a_usable_id(guid):
    assert entry_key(guid, "https://e.com/a", "h") == "link:https://e.com/a"


@pytest.mark.parametrize("link", [None, ""])
def test_entry_key_falls_back_to_the_content_hash_without_id_or_link(link):
    assert entry_key(None, link, "abc123") == "hash:abc123"


@pytest.mark.parametrize(
    "value",
    [
        "http://example.com/post/1",
        "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a",
        "tag:example.com,2024-01-01:entry/1",
        "mailto:a@example.com",
    ],
)
def test_is_absolute_iri_accepts_values_with_a_scheme(value):
    assert is_absolute_iri(value) is True


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "12345",
        "/post/1",
        "post-1",
        "1abc:x",
        "http://example.com/a b",
        "urn:x<y>",
        "tag:",
    ],
)
def test_is_absolute_iri_rejects_values_that_cannot_stand_as_an_atom_id(value):
    assert is_absolute_iri(value) is False


def test_mint_atom_id_is_a_tag_uri_with_authority_and_date():
    atom_id = mint_atom_id("feedhub.example", "2024-05-01", "tech/site/latest", "link:https://e/a")
    assert re.fullmatch(r"tag:feedhub\.example,2024-05-01:entry/[0-9a-f]{32}", atom_id)
    assert is_absolute_iri(atom_id)


def test_mint_atom_id_is_stable_for_the_same_inputs():
    args = ("feedhub.example", "2024-05-01", "tech/site/latest", "hash:abc")
    assert mint_atom_id(*args) == mint_atom_id(*args)


def test_mint_atom_id_differs_per_source_and_per_key():
    base = mint_atom_id("a.example", "2024-05-01", "s1", "k1")
    assert mint_atom_id("a.example", "2024-05-01", "s2", "k1") != base
    assert mint_atom_id("a.example", "2024-05-01", "s1", "k2") != base


def test_mint_atom_id_does_not_confuse_source_and_key_boundaries():
    assert mint_atom_id("a", "2024-01-01", "ab", "c") != mint_atom_id("a", "2024-01-01", "a", "bc")
