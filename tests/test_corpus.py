"""End to end over a hostile corpus: every file of ``tests/corpus`` (see its README) plus the
generated big feeds, each one source, polled once by ``feedhub poll``; then the outputs are read
back and checked for well-formedness, safety and the right text.

The poll runs once per module (fixture ``run``); each test below checks one property of it, so
a failure names the property and lists every offending file and value.
"""

from __future__ import annotations

import html
import importlib.util
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from urllib.parse import quote

import feedparser
import lxml.etree
import lxml.html
import pytest

from conftest import FeedServer, feedhub, write_config

CORPUS = Path(__file__).parent / "corpus"
NOT_FEED_FILES = {"README.md", "content-types.json", "make_big.py"}
BIG_SITE = "big/generated"  # topic and site of the generated big feeds
DEFAULT_CONTENT_TYPE = "application/xml"
POLL_TIMEOUT = 120  # seconds; the poll takes well under 30 on two cores

# The only files that genuinely hold no feed, so the only sources that may end "failing".
NO_FEED_IN_FILE = {
    "malformed/nofeed/empty.xml",
    "malformed/nofeed/whitespace-only.xml",
    "malformed/nofeed/html-page.html",
    "malformed/nofeed/plain-text.txt",
    "malformed/nofeed/api-response.json",
    "malformed/nofeed/sitemap.xml",
    "malformed/nofeed/decl-only.xml",
    "malformed/nofeed/svg-image.svg",
}

# Real feeds with no entries at all.
EMPTY_FEEDS = {"formats/atom10/empty-feed.xml", "formats/rss20/empty-channel.xml"}
PUBLISHED_ENTRIES = 50  # publish.entries, the default

# Titles that must come out exactly so, in the route feed of the file.
EXPECTED_TITLES = {
    "encodings/utf8/bom-decl.xml": ["UTF-8 带 BOM 和声明：中文标题"],
    "encodings/utf8/bom-nodecl.xml": ["UTF-8 带 BOM 无声明：日本語タイトル"],
    "encodings/utf8/nodecl.xml": ["UTF-8 无声明无 BOM：表情 😀"],
    "encodings/utf8/atom-bom.xml": ["Atom UTF-8 BOM：한국어 제목"],
    "encodings/gb/gb2312-decl.xml": ["新闻联播：今日要闻"],
    "encodings/gb/gb2312-label-gbk-chars.xml": ["朱镕基会见王堃"],
    "encodings/gb/gbk-decl.xml": ["陶喆与刘珺的对话"],
    "encodings/gb/gbk-header.xml": ["镕堃：编码来自 HTTP 头"],
    "encodings/gb/cp936-decl.xml": ["代码页 936：朱镕基"],
    "encodings/gb/gb18030-decl.xml": ["四字节字符：𠀀 与 䶮 还有 😀"],
    "encodings/gb/gb18030-header.xml": ["GB18030 来自头部：镕 𠀀"],
    "encodings/big5/big5-decl.xml": ["臺灣新聞：許功蓋繁體中文測試"],
    "encodings/big5/big5-header.xml": ["香港與澳門的天氣"],
    "encodings/big5/big5-hkscs-decl.xml": ["廣東話：係咪㗎"],
    "encodings/utf16/le-bom.xml": ["UTF-16 小端：你好世界", "ASCII second item"],
    "encodings/utf16/be-bom.xml": ["UTF-16 大端：你好世界", "ASCII second item"],
    "encodings/utf16/le-bom-nodecl.xml": ["UTF-16LE 无声明：𠀀😀"],
    "encodings/utf16/be-bom-atom.xml": ["UTF-16BE Atom：中文 ✓"],
    "encodings/legacy/shift-jis.xml": ["日本語のニュース：東京"],
    "encodings/legacy/euc-kr.xml": ["한국어 뉴스：서울"],
    "encodings/legacy/windows-1252.xml": ["“Smart quotes” cost €5 — naïve"],
    "encodings/legacy/iso-8859-1.xml": ["Crème brûlée à la française"],
    "encodings/legacy/koi8-r.xml": ["Новости дня"],
    "encodings/lying/decl-latin1-body-utf8.xml": ["声明说 Latin-1，字节是 UTF-8"],
    "encodings/lying/decl-gb2312-body-utf8.xml": ["声明说 GB2312，字节是 UTF-8"],
    "encodings/lying/header-latin1-body-utf8.xml": ["头部说 Latin-1，正文是 UTF-8"],
    "encodings/lying/header-ascii-body-utf8.xml": ["头部说 ASCII，正文是 UTF-8"],
    "encodings/lying/header-cp1252-body-utf8.xml": ["头部说 windows-1252，正文是 UTF-8"],
    "encodings/lying/header-utf8-body-big5.xml": ["標頭說 UTF-8，內容是 Big5"],
    "encodings/lying/text-xml-no-charset.xml": ["text/xml 没有 charset，正文是 UTF-8"],
    "content/i18n/chinese.xml": ["阿里巴巴发布新一代芯片「含光」", "繁體與简体混排：臺灣、台湾"],
    "content/i18n/japanese-atom.xml": ["東京オリンピック：「閉会式」の様子"],
    "content/i18n/rtl.xml": ["مرحبا بالعالم — أخبار اليوم", "שלום עולם: חדשות"],
    "entities/html/named-in-rss.xml": ["Café — crème brûlée…"],
    "entities/html/numeric.xml": ["Dash — hex — han 新闻 emoji 😀 😀"],
    "entities/html/double-escaped.xml": ["Tom & Jerry", "Fish & chips — © 2021"],
    "formats/rss091/netscape-dtd.xml": ["Café society & the décor"],
}

ATOM = "{http://www.w3.org/2005/Atom}"
MEDIA = "{http://search.yahoo.com/mrss/}"
FORBIDDEN_ELEMENTS = {
    "script", "iframe", "object", "embed", "form", "input", "button", "meta", "base", "link",
    "style", "svg", "math", "frame", "frameset", "applet", "param", "textarea", "select",
    "isindex", "keygen", "noscript", "template", "portal",
}
URL_ATTRIBUTES = {
    "href", "src", "xlink:href", "action", "formaction", "background", "poster", "data", "cite",
    "longdesc", "lowsrc", "dynsrc", "codebase", "classid", "archive", "usemap", "srcset",
    "ping", "manifest", "icon", "profile",
}
UNSAFE_SCHEMES = ("javascript:", "vbscript:", "data:", "file:")
HIDING_PROPERTIES = ("position", "z-index", "display", "visibility", "opacity")
_CSS_FUNCTION_HAZARDS = re.compile(r"expression|url\s*\(")
_UNESCAPED_SEMICOLON = re.compile(r"(?<!\\);")
_SPACE_AND_CONTROLS = re.compile(r"[\x00-\x20\x7f]+")
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_CSS_HEX_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})\s?")
_CSS_ESCAPE = re.compile(r"\\(.)")
_MARKUP = re.compile(r"<[A-Za-z]")
_ENTITY_REFERENCE = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);?")


@dataclass(frozen=True)
class CorpusFile:
    """One file served as one source; ``rel`` is its path under the corpus, e.g. ``xss/urls/a.xml``:
    topic ``xss``, site ``urls``, route ``a.xml``."""

    rel: str
    body: bytes = field(repr=False)
    content_type: str

    @property
    def url_path(self) -> str:
        return "/" + quote(self.rel)

    @property
    def route_feed(self) -> str:
        return f"feeds/{self.rel}.atom"


@dataclass(frozen=True)
class Run:
    """What one ``feedhub poll`` over the corpus left behind."""

    files: dict[str, CorpusFile]
    config: Path
    public: Path
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def __repr__(self) -> str:  # assertion messages show it: keep it short
        return f"Run(exit {self.returncode}, {len(self.files)} sources, {self.seconds:.1f} s)"


def load_make_big() -> ModuleType:
    """``tests/corpus/make_big.py``, which is not in a package."""
    spec = importlib.util.spec_from_file_location("corpus_make_big", CORPUS / "make_big.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def corpus_files(big_dir: Path) -> dict[str, CorpusFile]:
    """Every committed corpus file, plus the big feeds written into ``big_dir``."""
    content_types = json.loads((CORPUS / "content-types.json").read_text(encoding="utf-8"))
    files = {}
    for path in sorted(CORPUS.rglob("*")):
        rel = path.relative_to(CORPUS).as_posix()
        if path.is_file() and path.name not in NOT_FEED_FILES:
            files[rel] = CorpusFile(rel, path.read_bytes(),
                                    content_types.get(rel, DEFAULT_CONTENT_TYPE))
    unknown = set(content_types) - set(files)
    assert not unknown, f"content-types.json names files that do not exist: {sorted(unknown)}"
    for path in load_make_big().write_big_feeds(big_dir):
        rel = f"{BIG_SITE}/{path.name}"
        files[rel] = CorpusFile(rel, path.read_bytes(), DEFAULT_CONTENT_TYPE)
    return files


def sources_yaml(files: dict[str, CorpusFile], server: FeedServer) -> str:
    """The config's source tree: topic, site and route are the file's folders and name."""
    tree: dict[str, dict[str, dict[str, str]]] = {}
    for f in files.values():
        topic, site, route = f.rel.split("/")
        tree.setdefault(topic, {}).setdefault(site, {})[route] = server.url(f.url_path)
    lines = []
    for topic, sites in tree.items():
        lines.append(f"  {json.dumps(topic)}:")
        for site, routes in sites.items():
            lines.append(f"    {json.dumps(site)}:")
            lines += [f"      {json.dumps(route)}: {url}" for route, url in routes.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """Serve the corpus on 127.0.0.1 and poll every source once."""
    tmp = tmp_path_factory.mktemp("corpus")
    files = corpus_files(tmp / "big")
    server = FeedServer()
    for f in files.values():
        server.serve(f.url_path, f.body, f.content_type)
    server.thread.start()
    try:
        config = write_config(
            tmp, sources_yaml(files, server),
            polling="interval: 30m, min_interval: 1s, timeout: 60s, per_host: 16, "
                    "allow_private: true")
        started = time.monotonic()
        result = feedhub("poll", "-c", str(config), timeout=POLL_TIMEOUT)
        yield Run(files, config, tmp / "data" / "public", result.returncode, result.stdout,
                  result.stderr, time.monotonic() - started)
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


@dataclass(frozen=True)
class Output:
    """One written .atom file: its bytes, its strict XML tree (None when not well-formed, with
    the parser's complaint in ``error``) and feedparser's reading of it."""

    data: bytes
    root: lxml.etree._Element | None
    error: str
    parsed: feedparser.FeedParserDict


@pytest.fixture(scope="module")
def outputs(run: Run) -> dict[str, Output]:
    """Every written .atom file by its path under the output folder, each read once."""
    found = {}
    for path in sorted(run.public.rglob("*.atom")):
        data = path.read_bytes()
        root, error = strict_xml(data)
        # Their sanitizer and URL resolver are not under test, and cost seconds on 2 MB entries.
        parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
        found[path.relative_to(run.public).as_posix()] = Output(data, root, error, parsed)
    return found


@pytest.fixture(scope="module")
def status(run: Run) -> dict[str, dict]:
    """``feedhub status --json`` after the poll, by source id."""
    result = feedhub("status", "-c", str(run.config), "--json")
    assert result.returncode == 0, result.stderr
    return {row["source_id"]: row for row in json.loads(result.stdout)}


# ------------------------------------------------------------------------------------ helpers

def strict_xml(data: bytes) -> tuple[lxml.etree._Element | None, str]:
    """The document parsed by lxml with recovery off, or None and the syntax error."""
    parser = lxml.etree.XMLParser(recover=False, resolve_entities=False, no_network=True,
                                  huge_tree=True)
    try:
        return lxml.etree.fromstring(data, parser), ""
    except lxml.etree.XMLSyntaxError as exc:
        return None, str(exc)


def wellformed(outputs: dict[str, Output]) -> Iterator[tuple[str, lxml.etree._Element]]:
    """(name, root) of every well-formed output; the others fail their own test."""
    for name, output in outputs.items():
        if output.root is not None:
            yield name, output.root


def entries_of(root: lxml.etree._Element) -> list[lxml.etree._Element]:
    return root.findall(f"{ATOM}entry")


def title_of(entry: lxml.etree._Element) -> str:
    return entry.findtext(f"{ATOM}title") or ""


def url_is_unsafe(value: str) -> bool:
    """A URL a browser would run or that leaves the web: javascript:, vbscript:, data:, file:.

    Browsers drop ASCII white space and control characters before reading the scheme."""
    return _SPACE_AND_CONTROLS.sub("", value).lower().startswith(UNSAFE_SCHEMES)


def is_http_url(value: str | None) -> bool:
    return bool(value) and value.strip().lower().startswith(("http://", "https://"))


def css_unescaped(text: str) -> str:
    """CSS text with its escapes decoded, lowercased: what a browser matches names against."""
    text = _CSS_HEX_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return _CSS_ESCAPE.sub(r"\1", text).lower()


def style_problems(style: str) -> list[str]:
    """Declarations of a style attribute that can hide or overlay content, or run or fetch
    something: the properties in HIDING_PROPERTIES, and expression() or url() in any value.

    Comments are dropped and escapes decoded first, as a browser does; an escaped semicolon
    does not end a declaration."""
    problems = []
    for declaration in _UNESCAPED_SEMICOLON.split(_CSS_COMMENT.sub("", style)):
        name, _, value = declaration.partition(":")
        name, value = css_unescaped(name).strip(), css_unescaped(value)
        problems += [f"sets {word}" for word in HIDING_PROPERTIES if word in name]
        problems += [f"uses {m.group()!r}" for m in _CSS_FUNCTION_HAZARDS.finditer(value)]
    return problems


def html_safety_problems(markup: str) -> list[str]:
    """Everything unsafe in a fragment of entry HTML, each as a short description."""
    if not markup.strip():
        return []
    # A whole document, not just the body: the parser moves meta, link, style etc. to <head>.
    document = lxml.html.document_fromstring(f"<html><body>{markup}</body></html>")
    problems = []
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue  # comments and processing instructions
        tag = element.tag.lower()
        if tag in FORBIDDEN_ELEMENTS:
            problems.append(f"<{tag}> element")
        for name, value in element.attrib.items():
            name = name.lower()
            if name.startswith("on"):
                problems.append(f"<{tag} {name}={value!r}> event handler")
            if name in URL_ATTRIBUTES:
                urls = [part.split()[0] for part in value.split(",") if part.split()] \
                    if name == "srcset" else [value]
                problems += [f"<{tag} {name}={value!r}> unsafe URL"
                             for url in urls if url_is_unsafe(url)]
            if name == "style":
                problems += [f"<{tag} style={value!r}> {p}" for p in style_problems(value)]
    return problems


def title_problems(title: str) -> list[str]:
    problems = []
    if match := _MARKUP.search(title):
        problems.append(f"markup {title[match.start():match.start() + 30]!r}")
    for match in _ENTITY_REFERENCE.finditer(title):
        if html.unescape(match.group()) != match.group():
            problems.append(f"undecoded entity reference {match.group()!r}")
    return problems


def report(problems: list[str], limit: int = 60) -> str:
    shown = "\n  ".join(problems[:limit])
    more = f"\n  ... and {len(problems) - limit} more" if len(problems) > limit else ""
    return f"{len(problems)} problems:\n  {shown}{more}"


# ------------------------------------------------------------------------------------ tests

def test_the_checks_catch_what_they_look_for() -> None:
    """The output checks must not pass vacuously: each finds its own kind of trouble."""
    assert html_safety_problems('<p>ok <a href="https://example.org/">x</a></p>') == []
    assert html_safety_problems('<p style="color:red\\;position:fixed">inert</p>') == []
    for bad in ['<script>x</script>', '<img src=x OnError=y>', '<a href=" JaVa\tScRiPt:x">',
                '<a href="java&#x09;script:x">', '<img srcset="x 1x, data:x 2x">',
                '<meta http-equiv=refresh>', '<p style="p\\6fsition:fixed">',
                '<p style="color:red;/*x*/display:none">', '<p style="width:ex\\70ression(1)">',
                '<p style="border:url(x)">', '<svg><a xlink:href="javascript:x">x</a></svg>',
                '<q cite="vbscript:x">', '<video poster="file:///x">']:
        assert html_safety_problems(bad), bad
    assert title_problems("Tom & Jerry; 1 < 2") == []
    assert title_problems("<b>bold</b>") and title_problems("Tom &amp; Jerry")
    assert title_problems("&#60;") and not title_problems("&company; &T;")


def test_corpus_is_big_and_varied(run: Run) -> None:
    committed = [rel for rel in run.files if not rel.startswith(BIG_SITE + "/")]
    assert len(committed) >= 100, f"only {len(committed)} corpus files"
    topics = {rel.split("/")[0] for rel in committed}
    assert topics == {"formats", "encodings", "entities", "malformed", "content", "xss"}


def test_poll_exits_cleanly_without_a_traceback(run: Run) -> None:
    assert run.returncode == 0, f"feedhub poll exited {run.returncode}:\n{run.stderr[-5000:]}"
    assert "Traceback" not in run.stderr, run.stderr[-5000:]
    assert run.seconds < 60, f"feedhub poll took {run.seconds:.1f} s"


def test_status_shows_every_source_ok_except_files_without_a_feed(
        run: Run, status: dict[str, dict]) -> None:
    rows = status
    missing, extra = sorted(set(run.files) - set(rows)), sorted(set(rows) - set(run.files))
    assert not missing and not extra, f"status lacks {missing}, has unknown {extra}"
    wrong = [f"{rel}: state {row['state']!r} (expected {expected!r}), message {row['message']!r}"
             for rel, row in sorted(rows.items())
             if row["state"] != (expected := "failing" if rel in NO_FEED_IN_FILE else "ok")]
    assert not wrong, report(wrong)


def test_every_real_feed_has_a_route_feed_with_its_entries(
        run: Run, outputs: dict[str, Output], status: dict[str, dict]) -> None:
    """Also keeps the safety checks below honest: the hostile entries are really published."""
    assert "all.atom" in outputs
    problems = []
    for rel, f in run.files.items():
        if rel in NO_FEED_IN_FILE:
            continue
        output = outputs.get(f.route_feed)
        if output is None or output.root is None:
            problems.append(f"{rel}: no well-formed route feed {f.route_feed}")
            continue
        stored = status.get(rel, {}).get("entries", 0)
        published = len(entries_of(output.root))
        if published != min(stored, PUBLISHED_ENTRIES) or (stored == 0 and rel not in EMPTY_FEEDS):
            problems.append(f"{rel}: {stored} entries stored, {published} in {f.route_feed}")
    assert not problems, report(problems)


def test_every_output_is_wellformed_and_feedparser_reads_it_without_bozo(
        outputs: dict[str, Output]) -> None:
    problems = [f"{name}: not well-formed XML: {output.error}"
                for name, output in outputs.items() if output.root is None]
    problems += [f"{name}: feedparser bozo: {output.parsed.bozo_exception!r}"
                 for name, output in outputs.items() if output.parsed.bozo]
    assert not problems, report(problems)


def test_entry_html_has_no_active_content_unsafe_urls_or_hiding_styles(
        outputs: dict[str, Output]) -> None:
    problems = []
    for name, root in wellformed(outputs):
        for entry in entries_of(root):
            for part in ("content", "summary"):
                markup = entry.findtext(f"{ATOM}{part}") or ""
                problems += [f"{name}: {title_of(entry)[:50]!r} {part}: {p}"
                             for p in html_safety_problems(markup)]
    assert not problems, report(problems)


def test_every_link_and_thumbnail_in_the_atom_is_http(outputs: dict[str, Output]) -> None:
    problems = []
    for name, root in wellformed(outputs):
        for element in root.iter(f"{ATOM}link"):
            if not is_http_url(element.get("href")):
                problems.append(f"{name}: <link rel={element.get('rel')!r} "
                                f"href={element.get('href')!r}>")
        for element in root.iter(f"{MEDIA}thumbnail"):
            if not is_http_url(element.get("url")):
                problems.append(f"{name}: <media:thumbnail url={element.get('url')!r}>")
        for entry in outputs[name].parsed.entries:
            problems += [f"{name}: feedparser sees link {link.get('href')!r}"
                         for link in entry.get("links", []) if not is_http_url(link.get("href"))]
    assert not problems, report(problems)


def test_titles_are_plain_text_with_entities_decoded(outputs: dict[str, Output]) -> None:
    problems = []
    for name, root in wellformed(outputs):
        titles = [("feed", root.findtext(f"{ATOM}title") or "")]
        titles += [("entry", title_of(entry)) for entry in entries_of(root)]
        for kind, title in titles:
            problems += [f"{name}: {kind} title {title[:60]!r}: {p}" for p in title_problems(title)]
    assert not problems, report(problems)


def test_encoded_and_international_titles_come_out_as_written(
        run: Run, outputs: dict[str, Output]) -> None:
    problems = []
    for rel, expected in EXPECTED_TITLES.items():
        name = run.files[rel].route_feed
        root = outputs[name].root if name in outputs else None
        if root is None:
            problems.append(f"{rel}: no well-formed route feed {name}")
            continue
        titles = [title_of(e) for e in entries_of(root)]
        problems += [f"{rel}: title {want!r} not among {titles}" for want in expected
                     if want not in titles]
    assert not problems, report(problems)


def test_no_local_file_or_entity_bomb_reaches_the_outputs(outputs: dict[str, Output]) -> None:
    for name, output in outputs.items():
        assert b"root:x:0:0" not in output.data, f"{name} contains /etc/passwd (XXE)"
        assert b"lol" * 100 not in output.data, f"{name} contains an expanded entity bomb"


def big_route_feed(outputs: dict[str, Output], name: str) -> list[lxml.etree._Element]:
    """The entries of the route feed of one generated big feed."""
    feed = f"feeds/{BIG_SITE}/{name}.atom"
    assert feed in outputs and outputs[feed].root is not None, f"no well-formed {feed}"
    return entries_of(outputs[feed].root)


def test_big_feeds_are_stored_and_published(outputs: dict[str, Output],
                                            status: dict[str, dict]) -> None:
    assert status[f"{BIG_SITE}/many-items.xml"]["entries"] == 3000
    assert len(big_route_feed(outputs, "many-items.xml")) == PUBLISHED_ENTRIES

    (tagged,) = big_route_feed(outputs, "many-categories.xml")
    terms = [c.get("term") for c in tagged.findall(f"{ATOM}category")]
    assert len(terms) == len(set(terms)), "many-categories.xml: a category is repeated"
    assert {f"分类-{i}" for i in range(5000)} <= set(terms), "many-categories.xml: lost some"

    bodies = {title_of(e): e.findtext(f"{ATOM}content") or ""
              for e in big_route_feed(outputs, "huge-description.xml")}
    assert len(bodies["A 2 MB description"]) > 1_000_000, "huge-description.xml: cut short"

    titles = [title_of(e) for e in big_route_feed(outputs, "huge-title.xml")]
    assert max(map(len, titles)) > 10_000, "huge-title.xml: title cut short"
