"""OPML: opml.xml and sources.opml written from the tree, and subscription lists read back."""

import re
import textwrap
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from lxml import etree

from feedhub import opml_reader
from feedhub.config import load_config
from feedhub.errors import ConfigError
from feedhub.model import FeedNode, Source
from feedhub.opml_reader import parse_opml
from feedhub.publish.opml import render_feeds_opml, render_sources_opml
from feedhub.text import printable

BASE = "https://hub.example.org/feeds-hub/"
ODD = '<b>&"'  # a name that needs escaping everywhere


def leaf(*path: str, url: str) -> FeedNode:
    return FeedNode(path, source=Source(path=path, url=url, interval=1800.0))


def node(*path: str, children: tuple[FeedNode, ...]) -> FeedNode:
    return FeedNode(path, children=children)


def sample_tree() -> FeedNode:
    return node(children=(
        node("新媒体", children=(
            node("新媒体", "鸟哥笔记", children=(
                leaf("新媒体", "鸟哥笔记", "首页", url="https://rsshub.app/ngbj"),
                leaf("新媒体", "鸟哥笔记", "今日事", url="https://rsshub.app/ngbj/today?a=1&b=2"),
            )),
            node("新媒体", "AC/DC", children=(
                leaf("新媒体", "AC/DC", ODD, url="https://example.com/odd.xml"),
            )),
        )),
        node("科技", children=(
            leaf("科技", "少数派", url="https://sspai.com/feed"),
        )),
    ))


def as_tree(feed_node: FeedNode) -> dict:
    """The FeedNode tree in parse_opml's shape: name -> url or name -> subtree."""
    return {child.name: child.source.url if child.source else as_tree(child)
            for child in feed_node.children}


def outline_tree(parent) -> list:
    """(attributes, children) for each outline under ``parent``, in order."""
    return [(dict(el.attrib), outline_tree(el)) for el in parent if el.tag == "outline"]


def atom_url(*path: str) -> str:
    if not path:
        return BASE + "all.atom"
    segments = [name.replace("/", "-") for name in path]
    return BASE + "feeds/" + "/".join(quote(s, safe="") for s in segments) + ".atom"


def opml_doc(body: str, head: str = "<title>My feeds</title>", version: str = "1.0") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<opml version="{version}">\n'
            f"<head>{head}</head>\n<body>\n{body}\n</body>\n</opml>\n").encode()


# --- opml.xml -------------------------------------------------------------------------------


def test_feeds_opml_is_well_formed_opml_2_0_with_the_hub_title():
    root = etree.fromstring(render_feeds_opml("新媒体速递", BASE, sample_tree()))
    assert root.tag == "opml"
    assert root.get("version") == "2.0"
    assert root.findtext("head/title") == "新媒体速递"
    assert root.find("body") is not None


def test_feeds_opml_nests_every_node_under_the_all_feed_with_its_atom_url():
    data = render_feeds_opml("Hub", BASE, sample_tree())
    body = etree.fromstring(data).find("body")

    def expected(feed_node: FeedNode) -> tuple:
        name = feed_node.name or "Hub"
        attrs = {"text": name, "title": name, "type": "rss",
                 "xmlUrl": atom_url(*feed_node.path), "htmlUrl": BASE}
        return (attrs, [expected(child) for child in feed_node.children])

    assert outline_tree(body) == [expected(sample_tree())]


def test_feeds_opml_urls_are_percent_encoded_and_slash_in_a_name_stays_one_segment():
    data = render_feeds_opml("Hub", BASE, sample_tree())
    urls = [el.get("xmlUrl") for el in etree.fromstring(data).iter("outline")]
    assert BASE + "feeds/%E6%96%B0%E5%AA%92%E4%BD%93/AC-DC/%3Cb%3E%26%22.atom" in urls
    assert BASE + "feeds/%E6%96%B0%E5%AA%92%E4%BD%93/AC-DC.atom" in urls
    assert all(url.isascii() and " " not in url for url in urls)


def test_feeds_opml_escapes_names_and_reads_them_back_exactly():
    data = render_feeds_opml(ODD, BASE, sample_tree())
    assert b"<b>" not in data
    root = etree.fromstring(data)
    assert root.findtext("head/title") == ODD
    assert ODD in [el.get("text") for el in root.iter("outline")]


def test_feeds_opml_is_byte_identical_for_equal_input_and_carries_no_dates():
    first = render_feeds_opml("Hub", BASE, sample_tree())
    assert first == render_feeds_opml("Hub", BASE, sample_tree())
    assert b"date" not in first.lower()


def test_feeds_opml_uses_the_feed_urls_the_caller_knows_and_builds_the_others():
    tree = sample_tree()
    assert (render_feeds_opml("Hub", BASE, tree, {(): atom_url(), ("科技",): atom_url("科技")})
            == render_feeds_opml("Hub", BASE, tree))
    data = render_feeds_opml("Hub", BASE, tree, {("科技",): "https://cdn.example/k.atom"})
    urls = [el.get("xmlUrl") for el in etree.fromstring(data).iter("outline")]
    assert "https://cdn.example/k.atom" in urls
    assert atom_url("科技") not in urls
    assert atom_url("科技", "少数派") in urls


def test_feeds_opml_replaces_characters_xml_cannot_hold_instead_of_failing():
    tree = node(children=(leaf("bell\x07", url="https://example.com/f"),))
    root = etree.fromstring(render_feeds_opml("Hub", BASE, tree))
    assert [el.get("text") for el in root.iter("outline")] == ["Hub", "bell"]  # dropped, not fatal


# --- sources.opml ---------------------------------------------------------------------------


def test_sources_opml_has_text_only_folders_and_rss_leaves_with_the_source_url():
    root = etree.fromstring(render_sources_opml("Hub", sample_tree()))
    assert root.get("version") == "2.0"
    assert root.findtext("head/title") == "Hub"
    topics = outline_tree(root.find("body"))
    assert [attrs for attrs, _ in topics] == [{"text": "新媒体"}, {"text": "科技"}]
    site = topics[0][1][0]
    assert site[0] == {"text": "鸟哥笔记"}
    assert site[1] == [
        ({"text": "首页", "title": "首页", "type": "rss",
          "xmlUrl": "https://rsshub.app/ngbj"}, []),
        ({"text": "今日事", "title": "今日事", "type": "rss",
          "xmlUrl": "https://rsshub.app/ngbj/today?a=1&b=2"}, []),
    ]


def test_sources_opml_round_trips_names_nesting_and_urls_through_parse_opml():
    tree = sample_tree()
    assert parse_opml(render_sources_opml("Hub", tree), "sources.opml") == as_tree(tree)


def test_sources_opml_round_trip_keeps_document_order():
    parsed = parse_opml(render_sources_opml("Hub", sample_tree()), "sources.opml")
    assert list(parsed) == ["新媒体", "科技"]
    assert list(parsed["新媒体"]["鸟哥笔记"]) == ["首页", "今日事"]


def test_sources_opml_is_byte_identical_for_equal_input():
    assert render_sources_opml("Hub", sample_tree()) == render_sources_opml("Hub", sample_tree())


# --- the bytes written ----------------------------------------------------------------------

# Names and URLs with everything XML escapes, white space a reader would normalize, and text
# beyond the Basic Multilingual Plane.
AWKWARD = "a&b<c>d\"e'f\tg\nh\ri]]>j 中文 😀 \u2028\xa0\x07"


def lxml_opml(title: str, outlines: list[tuple[dict[str, str], list]]) -> bytes:
    """The document as lxml's pretty printer writes it: what these files held when they were
    built as an lxml tree, byte for byte."""
    root = etree.Element("opml", version="2.0")
    etree.SubElement(etree.SubElement(root, "head"), "title").text = title
    body = etree.SubElement(root, "body")

    def add(parent: etree._Element, attributes: dict[str, str], children: list) -> None:
        outline = etree.SubElement(parent, "outline")
        for key, value in attributes.items():
            outline.set(key, value)
        for child in children:
            add(outline, *child)

    for outline in outlines:
        add(body, *outline)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)


def awkward_tree(depth: int) -> FeedNode:
    """A chain ``depth`` folders deep to a leaf, every name and URL awkward."""
    path = tuple(f"{AWKWARD}{i}" for i in range(depth + 1))
    chain = leaf(*path, url=f"https://example.com/?q={AWKWARD}")
    for i in range(depth, -1, -1):
        chain = node(*path[:i], children=(chain,))
    return chain


def test_opml_files_are_byte_for_byte_what_lxml_writes_down_to_its_indentation_cap():
    # libxml2 stops indenting deeper at 60 spaces: a 40-level tree goes past it.
    tree = awkward_tree(40)
    clean = printable

    def feeds(n: FeedNode) -> tuple[dict[str, str], list]:
        name = clean(n.name if n.path else AWKWARD)
        return ({"text": name, "title": name, "type": "rss",
                 "xmlUrl": clean(atom_url(*n.path)), "htmlUrl": clean(BASE)},
                [feeds(c) for c in n.children])

    def sources(n: FeedNode) -> tuple[dict[str, str], list]:
        name = clean(n.name)
        attributes = {"text": name} if n.source is None else {
            "text": name, "title": name, "type": "rss", "xmlUrl": clean(n.source.url)}
        return attributes, [sources(c) for c in n.children]

    urls = {n.path: atom_url(*n.path) for n in tree.walk()}
    assert render_feeds_opml(AWKWARD, BASE, tree, urls) == lxml_opml(clean(AWKWARD),
                                                                     [feeds(tree)])
    assert render_sources_opml(AWKWARD, tree) == lxml_opml(
        clean(AWKWARD), [sources(c) for c in tree.children])


def test_opml_of_an_empty_tree_is_what_lxml_writes():
    assert render_sources_opml("", node(children=())) == lxml_opml("", [])


# --- parse_opml: reading subscription lists -------------------------------------------------

OPML_1_0 = b"""\
<?xml version="1.0" encoding="ISO-8859-1"?>
<!-- exported by some reader -->
<opml version="1.0">
  <head>
    <title>My subscriptions</title>
    <dateCreated>Mon, 01 Jan 2024 00:00:00 GMT</dateCreated>
  </head>
  <body>
    <outline text="Loose feed" type="rss" xmlUrl="https://loose.example.com/rss"/>
    <outline title="Tech">
      <outline text="News">
        <outline text="Caf\xe9 Daily" type="rss" xmlUrl="http://cafe.example.com/feed.xml"
                 htmlUrl="http://cafe.example.com/"/>
        <outline type="rss" title="Titled only" xmlUrl="https://titled.example.com/atom"/>
      </outline>
      <outline type="rss" xmlUrl="https://nameless.example.net/feed"/>
    </outline>
    <outline text="Another loose one" xmlurl="https://loose2.example.com/feed"/>
  </body>
</opml>
"""


def test_parse_opml_reads_opml_1_0_with_nested_folders_and_top_level_feeds():
    assert parse_opml(OPML_1_0, "subs.opml") == {
        "My subscriptions": {
            "Loose feed": "https://loose.example.com/rss",
            "Another loose one": "https://loose2.example.com/feed",
        },
        "Tech": {
            "News": {
                "Café Daily": "http://cafe.example.com/feed.xml",
                "Titled only": "https://titled.example.com/atom",
            },
            "nameless.example.net": "https://nameless.example.net/feed",
        },
    }


def test_parse_opml_keeps_document_order_with_the_loose_feeds_folder_where_they_began():
    parsed = parse_opml(OPML_1_0, "subs.opml")
    assert list(parsed) == ["My subscriptions", "Tech"]
    assert list(parsed["Tech"]) == ["News", "nameless.example.net"]


def test_parse_opml_puts_top_level_feeds_under_imported_when_the_head_has_no_title():
    data = opml_doc('<outline text="A" xmlUrl="https://a.example/f"/>', head="")
    assert parse_opml(data, "x.opml") == {"Imported": {"A": "https://a.example/f"}}


def test_parse_opml_ignores_outlines_without_a_feed_or_feeds_below():
    data = opml_doc("""
        <outline text="just a note"/>
        <outline text="empty folder"><outline text="another note"/></outline>
        <outline text="Real"><outline text="F" xmlUrl="https://f.example/rss"/></outline>
    """)
    assert parse_opml(data, "x.opml") == {"Real": {"F": "https://f.example/rss"}}


def test_parse_opml_gives_duplicate_sibling_names_numbered_suffixes():
    data = opml_doc("""
        <outline text="Folder">
          <outline text="Same" xmlUrl="https://1.example/f"/>
          <outline text="Same" xmlUrl="https://2.example/f"/>
          <outline text="Same" xmlUrl="https://3.example/f"/>
        </outline>
        <outline text="Folder"><outline text="Same" xmlUrl="https://4.example/f"/></outline>
    """)
    assert parse_opml(data, "x.opml") == {
        "Folder": {"Same": "https://1.example/f", "Same (2)": "https://2.example/f",
                   "Same (3)": "https://3.example/f"},
        "Folder (2)": {"Same": "https://4.example/f"},
    }


def test_parse_opml_renames_siblings_that_would_share_a_file_name_on_disk():
    data = opml_doc("""
        <outline text="T">
          <outline text="AC/DC" xmlUrl="https://1.example/f"/>
          <outline text="AC-DC" xmlUrl="https://2.example/f"/>
        </outline>
    """)
    assert parse_opml(data, "x.opml") == {
        "T": {"AC/DC": "https://1.example/f", "AC-DC (2)": "https://2.example/f"}}


def test_parse_opml_renames_a_feed_named_url_so_config_does_not_read_its_folder_as_a_leaf():
    data = opml_doc('<outline text="T"><outline text="url" xmlUrl="https://1.example/f"/>'
                    "</outline>")
    assert parse_opml(data, "x.opml") == {"T": {"url (2)": "https://1.example/f"}}


def test_parse_opml_keeps_both_the_feed_and_the_children_of_an_outline_that_has_both():
    data = opml_doc("""
        <outline text="Parent" xmlUrl="https://p.example/f">
          <outline text="Child" xmlUrl="https://c.example/f"/>
        </outline>
    """)
    assert parse_opml(data, "x.opml") == {
        "Parent": {"Parent": "https://p.example/f", "Child": "https://c.example/f"}}


def test_parse_opml_reads_a_gb2312_encoded_file():
    text = ('<?xml version="1.0" encoding="GB2312"?><opml version="2.0"><head><title>订阅'
            '</title></head><body><outline text="新媒体"><outline text="鸟哥笔记" '
            'xmlUrl="https://rsshub.app/ngbj"/></outline></body></opml>')
    assert parse_opml(text.encode("gb2312"), "gb.opml") == {
        "新媒体": {"鸟哥笔记": "https://rsshub.app/ngbj"}}


def test_parse_opml_accepts_a_doctype_that_declares_no_entities():
    data = b'<?xml version="1.0"?>\n<!DOCTYPE opml>\n' + opml_doc(
        '<outline text="F"><outline text="A" xmlUrl="https://a.example/f"/></outline>'
    ).split(b"\n", 1)[1]
    assert parse_opml(data, "x.opml") == {"F": {"A": "https://a.example/f"}}


# --- parse_opml: refusals -------------------------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE opml [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{i} "{("&lol%s;" % (i - 1 or "")) * 10}">\n' for i in range(1, 10))
    + ']>\n<opml version="2.0"><head><title>&lol9;</title></head><body>'
    '<outline text="&lol9;" xmlUrl="https://a.example/f"/></body></opml>\n'
).encode()


def test_parse_opml_refuses_a_billion_laughs_document_before_lxml_can_expand_it(monkeypatch):
    def never(*_args, **_kwargs):
        raise AssertionError("lxml must not parse a document that declares entities")

    monkeypatch.setattr(opml_reader.etree, "fromstring", never)
    with pytest.raises(ConfigError) as caught:
        parse_opml(BILLION_LAUGHS, "evil.opml")
    message = str(caught.value)
    assert message.startswith("evil.opml:3: refused: the DOCTYPE declares entities")
    assert "lol" not in message and "\n" not in message


def test_parse_opml_refuses_an_external_entity_without_reading_the_file(tmp_path: Path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    data = (f'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
            '<opml version="2.0"><body><outline text="&x;" xmlUrl="https://a.example/f"/>'
            "</body></opml>").encode()
    with pytest.raises(ConfigError, match=r"^ext\.opml:1: refused: the DOCTYPE declares "
                                          r"entities") as caught:
        parse_opml(data, "ext.opml")
    assert "TOP-SECRET" not in str(caught.value)


def test_parse_opml_still_refuses_declared_entities_if_the_prolog_scan_missed_them(monkeypatch):
    monkeypatch.setattr(opml_reader, "_refuse_entity_declarations", lambda data, origin: None)
    data = (b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaa">]><opml version="2.0">'
            b'<body><outline text="x" xmlUrl="https://a.example/f"/></body></opml>')
    with pytest.raises(ConfigError, match=r"^late\.opml: refused: the DOCTYPE declares"):
        parse_opml(data, "late.opml")


def test_parse_opml_refuses_a_parameter_entity():
    data = (b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY % p "x">]>'
            b'<opml version="2.0"><body/></opml>')
    with pytest.raises(ConfigError, match="declares entities"):
        parse_opml(data, "pe.opml")


def test_parse_opml_refuses_entities_in_a_multibyte_encoded_document_too():
    text = ('<?xml version="1.0" encoding="GBK"?><!DOCTYPE opml [<!ENTITY a "啊啊啊啊">]>'
            '<opml version="2.0"><body><outline text="&a;" xmlUrl="https://a.example/f"/>'
            "</body></opml>")
    with pytest.raises(ConfigError, match=r"^gbk\.opml:1: refused: the DOCTYPE declares"):
        parse_opml(text.encode("gbk"), "gbk.opml")


def test_parse_opml_refuses_an_unknown_encoding_naming_it():
    data = b'<?xml version="1.0" encoding="x-no-such"?><opml version="2.0"><body/></opml>'
    with pytest.raises(ConfigError, match=r"^enc\.opml:1: unknown or unsupported encoding "
                                          r"'x-no-such'$"):
        parse_opml(data, "enc.opml")


def test_parse_opml_reports_malformed_xml_in_one_line_naming_the_file_and_line():
    data = opml_doc('<outline text="F">\n<outline text="A" xmlUrl="https://a.example/f">'
                    "\n</outline>")
    with pytest.raises(ConfigError) as caught:
        parse_opml(data, "broken.opml")
    message = str(caught.value)
    assert message.startswith("broken.opml:8: not well-formed XML: ")
    assert "\n" not in message


def test_parse_opml_reports_garbage_that_is_not_xml_at_all():
    with pytest.raises(ConfigError, match=r"^junk\.opml:1: not well-formed XML"):
        parse_opml(b"this is not xml", "junk.opml")


def test_parse_opml_reports_an_empty_file():
    with pytest.raises(ConfigError, match=r"^empty\.opml(:\d+)?: not well-formed XML"):
        parse_opml(b"", "empty.opml")


def test_parse_opml_refuses_xml_that_is_not_opml():
    data = b'<?xml version="1.0"?>\n<rss version="2.0"><channel/></rss>'
    with pytest.raises(ConfigError, match=r"^feed\.xml:2: not an OPML file: the root element "
                                          r"is <rss>"):
        parse_opml(data, "feed.xml")


def test_parse_opml_refuses_opml_without_a_body():
    with pytest.raises(ConfigError, match=r"^h\.opml: not an OPML file: it has no <body>"):
        parse_opml(b'<opml version="2.0"><head/></opml>', "h.opml")


def test_parse_opml_refuses_a_file_without_any_feed():
    with pytest.raises(ConfigError, match=r"^none\.opml: no feeds found"):
        parse_opml(opml_doc('<outline text="Folder"><outline text="note"/></outline>'),
                   "none.opml")


@pytest.mark.parametrize("url", ["feed://example.com/rss", "javascript:alert(1)", "/rss.xml",
                                 "ftp://example.com/feed"])
def test_parse_opml_refuses_a_feed_url_that_is_not_http_naming_line_and_outline(url):
    data = opml_doc(f'<outline text="F">\n<outline text="Bad" xmlUrl="{url}"/></outline>')
    pattern = rf"^bad\.opml:6: outline 'Bad': '{re.escape(url)}' is not an http\(s\) feed URL$"
    with pytest.raises(ConfigError, match=pattern):
        parse_opml(data, "bad.opml")


# --- imported trees as config -----------------------------------------------------------------


def to_config_yaml(tree, indent):
    return yaml.safe_dump({"sources": tree}, allow_unicode=True, sort_keys=False,
                          default_flow_style=False, indent=indent, width=1 << 20)


def test_imported_opml_as_yaml_loads_with_load_config_to_the_same_tree(tmp_path: Path):
    parsed = parse_opml(OPML_1_0, "subs.opml")
    parsed["Odd"] = {ODD: "https://odd.example/f", "2024": "https://y.example/f",
                     "AC/DC": {"长名字 with spaces": "https://z.example/f?x=1&y=2"}}
    config = tmp_path / "config.yaml"
    config.write_text(textwrap.dedent("""\
        title: t
        base_url: https://hub.example.org/
    """) + to_config_yaml(parsed, 2), encoding="utf-8")
    assert as_tree(load_config(config).tree) == parsed


def test_sources_opml_to_config_yaml_round_trip_reproduces_the_configured_tree(tmp_path: Path):
    tree = sample_tree()
    yaml_text = to_config_yaml(parse_opml(render_sources_opml("t", tree), "s.opml"), 2)
    config = tmp_path / "config.yaml"
    config.write_text("title: t\n" + yaml_text, encoding="utf-8")
    assert as_tree(load_config(config).tree) == as_tree(tree)
