"""The posts that ``feedhub poll`` writes, built by a real Hexo.

``tests/hexo`` is a minimal Hexo site pinned by its package-lock.json, with a tiny EJS theme of
its own. `make test` installs it (``npm ci``) into tests/hexo/node_modules. The test polls two
fixture feeds into a posts folder, copies the site into a temporary folder with those posts as
its source/_posts, runs ``hexo generate`` and reads the pages back: one page per post, titles
intact, the categories nested as the front matter lists them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from conftest import FeedServer, feedhub, write_config

HEXO_SITE = Path(__file__).parent / "hexo"
NODE_MODULES = HEXO_SITE / "node_modules"
HEXO_TIMEOUT = 120  # seconds; a build of these few posts takes about one

TREE = """\
  新媒体:
    鸟哥笔记:
      首页: {ngbj}
  测试:
    特殊标题:
      全部: {extra}
"""

EXAMPLE_TITLE = "阿里腾讯互联互通：谁被裹挟 背后又有几分私心？"
EXAMPLE_FIRST_PARAGRAPH = (
    "阿里腾讯要互联互通的消息，已经从年初传到了现在。如果说之前传的沸沸扬扬的都是“绯闻”，"
    "最近几天的消息，已经到了“正主回应”的环节。本以为这场“联姻”是两家已经商量好的门当户对的"
    "“亲事”，但如今从两家正主的表态中可以看出，这可能并不是“两情相悦”的喜事。"
)
QUOTED_TITLE = "It's a \"quoted\" title: the A/B test"
BRACES_TITLE = "Templates {{ page.title }} and {% raw %} tags"
BRACES_BODY = "Nunjucks in the body: {{ config.title }} and {% endraw %} stay text."
SAME_TITLE = "Same title twice"
# Titles full of URL, Windows and Hexo syntax (tests/fixtures/hexo-extra.rss), as feedparser
# gives them back.
AWKWARD_TITLES = [
    "What? 100% #1 & more", 'a/b\\c:d*e"f < g > h|i', "CON", "🔥🔥🔥", "_config",
    "../../etc/passwd", "Case Matters", "CASE MATTERS", "日本語のタイトル：テスト",
    "50%off %E4%B8%AD",
]

# What Hexo makes of the categories lists [新媒体, 鸟哥笔记, 首页] and [测试, 特殊标题, 全部]:
# one nested category per level, each with its own page, the names kept as they are.
EXPECTED_CATEGORY_PAGES = sorted([
    "categories/新媒体/index.html",
    "categories/新媒体/鸟哥笔记/index.html",
    "categories/新媒体/鸟哥笔记/首页/index.html",
    "categories/测试/index.html",
    "categories/测试/特殊标题/index.html",
    "categories/测试/特殊标题/全部/index.html",
])


@dataclass
class Page:
    """A post page of the built site, as the test theme's post layout writes it."""

    file: Path
    html: str
    source: str  # the post's file, relative to the site's source folder
    title: str
    title_html: str  # the title as it stands in the page, escaped
    categories: list[str]
    text: str  # the text of the post's content, entities decoded


class _PostPage(HTMLParser):
    """Reads the parts of a page that the theme's layout/post.ejs marks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.source: str | None = None
        self.title = ""
        self.categories: list[str] = []
        self.text: list[str] = []
        self._in: str | None = None
        self._depth = 0  # <div> nesting inside the post's content

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "article" and attr.get("class") == "post":
            self.source = attr.get("data-source")
        elif tag == "h1" and attr.get("class") == "post-title":
            self._in = "title"
        elif tag == "a" and self._in == "categories":
            self._in = "category"
            self.categories.append("")
        elif tag == "ul" and attr.get("class") == "post-categories":
            self._in = "categories"
        elif tag == "div" and (self._in == "content" or attr.get("class") == "post-content"):
            self._in = "content"
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if (tag, self._in) in {("h1", "title"), ("ul", "categories")}:
            self._in = None
        elif tag == "a" and self._in == "category":
            self._in = "categories"
        elif tag == "div" and self._in == "content":
            self._depth -= 1
            if self._depth == 0:
                self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.title += data
        elif self._in == "category":
            self.categories[-1] += data
        elif self._in == "content":
            self.text.append(data)


@dataclass
class Build:
    posts: Path  # the posts folder feedhub wrote
    site: Path  # the copy of the Hexo site
    result: subprocess.CompletedProcess[str]
    seconds: float

    @property
    def public(self) -> Path:
        return self.site / "public"

    def written(self) -> list[str]:
        """The posts feedhub wrote, relative to its posts folder."""
        return sorted(str(p.relative_to(self.posts)) for p in self.posts.rglob("*.md"))

    def pages(self) -> list[Page]:
        """Every generated page that is a post's page."""
        pages = []
        for file in sorted(self.public.rglob("*.html")):
            html = file.read_text(encoding="utf-8")
            parser = _PostPage()
            parser.feed(html)
            if parser.source is None:
                continue
            raw = re.search(r'<h1 class="post-title">(.*?)</h1>', html, re.S)
            pages.append(Page(file, html, parser.source, parser.title,
                              raw.group(1) if raw else "", parser.categories,
                              "".join(parser.text)))
        return pages


def _require_hexo() -> None:
    if shutil.which("node") is None:
        pytest.fail("node is not installed: install nodejs and npm (.ci/run does it with "
                    "apt-get), then run `make test`")
    if not (NODE_MODULES / ".bin" / "hexo").exists():
        pytest.fail(f"Hexo is not installed in {NODE_MODULES}: run `make test`, which runs "
                    "`npm ci --prefix tests/hexo --no-audit --no-fund` first")


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    _require_hexo()
    root = tmp_path_factory.mktemp("hexo")
    server = FeedServer()
    server.thread.start()
    try:
        urls = {
            "ngbj": server.serve_fixture("/ngbj.rss", "ngbj-example.rss", "application/rss+xml"),
            "extra": server.serve_fixture("/extra.rss", "hexo-extra.rss", "application/rss+xml"),
        }
        config = write_config(root, TREE.format(**urls))
        posts = root / "posts"
        text = config.read_text(encoding="utf-8")
        assert "posts: null\n" in text
        config.write_text(text.replace("posts: null\n", f"posts: {posts}\n"), encoding="utf-8")
        polled = feedhub("poll", "-c", str(config))
        assert polled.returncode == 0, polled.stderr
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()

    site = root / "site"
    shutil.copytree(HEXO_SITE, site,
                    ignore=shutil.ignore_patterns("node_modules", "public", "db.json", "source"))
    (site / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
    shutil.copytree(posts, site / "source" / "_posts")
    started = time.monotonic()
    result = subprocess.run([str(site / "node_modules" / ".bin" / "hexo"), "generate"], cwd=site,
                            capture_output=True, text=True, timeout=HEXO_TIMEOUT)
    return Build(posts, site, result, time.monotonic() - started)


def _log(build: Build) -> str:
    return f"hexo generate exited {build.result.returncode}:\n{build.result.stdout}\n" \
           f"{build.result.stderr}"


def test_hexo_generate_succeeds(build: Build) -> None:
    assert build.result.returncode == 0, _log(build)
    assert "ERROR" not in build.result.stdout + build.result.stderr, _log(build)
    assert build.seconds < 60, f"hexo generate took {build.seconds:.1f}s"


def test_every_post_gets_a_page(build: Build) -> None:
    written = build.written()
    assert len(written) == 15, written  # 1 from ngbj-example.rss, 14 from hexo-extra.rss
    pages = build.pages()
    assert len(pages) == len(written), _log(build)
    assert sorted(page.source for page in pages) == sorted(f"_posts/{p}" for p in written)
    assert len({page.file for page in pages}) == len(pages)


def test_one_title_twice_gives_two_posts_and_two_pages(build: Build) -> None:
    same = [p for p in build.written() if f"title: '{SAME_TITLE}'\n" in
            (build.posts / p).read_text(encoding="utf-8")]
    assert len(same) == 2, build.written()
    pages = [page for page in build.pages() if page.title == SAME_TITLE]
    assert sorted(page.source for page in pages) == sorted(f"_posts/{p}" for p in same)
    assert len({page.file for page in pages}) == 2
    assert sorted(page.text.strip() for page in pages) == [
        "The first of two entries with one title.",
        "The second of two entries with one title.",
    ]


@pytest.mark.parametrize("title", [QUOTED_TITLE, BRACES_TITLE, EXAMPLE_TITLE, *AWKWARD_TITLES])
def test_titles_are_intact_and_escaped(build: Build, title: str) -> None:
    pages = [page for page in build.pages() if page.title == title]
    assert len(pages) == 1, [page.title for page in build.pages()]
    page = pages[0]
    assert unescape(page.title_html) == title
    assert not set("<>\"'") & set(page.title_html), page.title_html  # escaped, not raw
    head = re.search(r"<title>(.*?)</title>", page.html, re.S)
    assert head and unescape(head.group(1)).startswith(title + " | ")


def test_every_link_to_a_post_leads_to_its_page(build: Build) -> None:
    listing = (build.public / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'<a class="post-link" href="([^"]*)">(.*?)</a>', listing)
    pages = {page.file: page for page in build.pages()}
    assert len(links) == len(pages) == 15
    for href, title in links:
        # Only unreserved bytes and percent-escapes: nothing a browser or server splits on.
        assert re.fullmatch(r"/([A-Za-z0-9\-_.~/]|%[0-9A-F]{2})*/", href), href
        target = build.public / unquote(href).lstrip("/") / "index.html"
        assert target in pages, (href, title)
        assert pages[target].title == unescape(title)


def test_post_file_names_are_safe_on_windows_too(build: Build) -> None:
    for name in build.written():
        stem = Path(name).stem
        assert not set('<>:"\\|?*%#') & set(name), name
        assert stem == stem.lower() and stem.strip(" .") == stem and not stem.startswith("_")
        assert stem.upper() not in {"CON", "PRN", "AUX", "NUL"}, name


def test_braces_in_the_body_stay_text(build: Build) -> None:
    [page] = [page for page in build.pages() if page.title == BRACES_TITLE]
    assert BRACES_BODY in page.text


def test_categories_nest_as_listed(build: Build) -> None:
    made = sorted(str(p.relative_to(build.public))
                  for p in (build.public / "categories").rglob("index.html"))
    assert made == EXPECTED_CATEGORY_PAGES
    [page] = [page for page in build.pages() if page.title == EXAMPLE_TITLE]
    assert page.categories == ["新媒体", "鸟哥笔记", "首页"]
    listing = (build.public / "categories/新媒体/鸟哥笔记/首页/index.html").read_text("utf-8")
    assert f">{EXAMPLE_TITLE}</a>" in listing
    assert 'data-category="首页"' in listing


def test_example_entry_page_has_its_first_paragraph(build: Build) -> None:
    assert EXAMPLE_FIRST_PARAGRAPH in (Path(__file__).parent / "fixtures" /
                                       "ngbj-example.rss").read_text(encoding="utf-8")
    [page] = [page for page in build.pages() if page.title == EXAMPLE_TITLE]
    assert page.file.relative_to(build.public).parts[:6] == (
        "2021", "08", "26", "新媒体", "鸟哥笔记", "首页")
    assert EXAMPLE_FIRST_PARAGRAPH in page.text
    assert f"<p>{EXAMPLE_FIRST_PARAGRAPH}<br></p>" in page.html
