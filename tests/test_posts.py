"""Markdown posts: the example entry gives the example post; front matter reads back exactly."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest
import sqlite_utils
import yaml

from conftest import FeedServer, feedhub, write_config
from feedhub.model import SourceFeed, StoredEntry
from feedhub.publish.posts import MAX_NAME_BYTES, post_folder, post_name, render_post, slug
from feedhub.sanitize import sanitize_html

EXAMPLE = Path(__file__).parents[2] / "shared" / "examples" / "ngbj-post.md"
PATH = ("新媒体", "鸟哥笔记", "首页")


def split_post(text: str) -> tuple[str, str]:
    """(front matter block including its --- lines, the HTML inside the outer <div>)."""
    head, _, rest = text.partition("\n---\n\n")
    body = rest[rest.index("<div>   \n") + len("<div>   \n"):rest.rindex("</div>")]
    return head + "\n---\n", body


def canonical(html: str) -> list[tuple[str, list[tuple[str, str]], str]]:
    """The markup as (tag, sorted attributes, folded text) in document order: what a reader
    renders, blind to attribute order and white space."""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    return [(el.tag, sorted(el.attrib.items()), folded((el.text or "") + (el.tail or "")))
            for el in root.iter()]


def folded(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def config_with_posts(tmp_path: Path, sources: str) -> Path:
    config = write_config(tmp_path, sources)
    config.write_text(config.read_text(encoding="utf-8").replace("posts: null",
                                                                 "posts: data/posts"),
                      encoding="utf-8")
    return config


@pytest.fixture
def example_post(tmp_path: Path, feed_server: FeedServer) -> Path:
    url = feed_server.serve_fixture("/ngbj", "ngbj-example.rss", "application/rss+xml")
    config = config_with_posts(tmp_path, f"  新媒体:\n    鸟哥笔记:\n      首页: {url}\n")
    result = feedhub("poll", "-c", str(config))
    assert result.returncode == 0, result.stderr
    (post,) = (tmp_path / "data" / "posts").rglob("*.md")
    return post


def test_example_entry_gives_the_example_post(example_post: Path) -> None:
    assert example_post.relative_to(example_post.parents[3]).as_posix() == (
        "新媒体/鸟哥笔记/首页/阿里腾讯互联互通-谁被裹挟-背后又有几分私心.md")
    written_head, written_body = split_post(example_post.read_text(encoding="utf-8"))
    example_head, example_body = split_post(EXAMPLE.read_text(encoding="utf-8"))
    assert written_head == example_head  # byte for byte
    # The body is the example's HTML as it leaves the sanitizer: attributes outside the
    # allow-list (label, data-*, class) and unsafe or malformed styles are gone; the rest,
    # text and images included, is the same up to white space.
    assert canonical(written_body) == canonical(sanitize_html(example_body))
    assert 'referrerpolicy="no-referrer"' in written_body
    assert written_body.count("<img") == example_body.count("<img")
    assert "阿里腾讯要互联互通的消息，已经从年初传到了现在。" in written_body


def test_front_matter_reads_back_to_the_entry_values(example_post: Path) -> None:
    text = example_post.read_text(encoding="utf-8")
    front = yaml.safe_load(text.split("---\n")[1])
    assert front == {
        "title": "阿里腾讯互联互通：谁被裹挟 背后又有几分私心？",
        "categories": ["新媒体", "鸟哥笔记", "首页"],
        "headimg": "https://qnssl.niaogebiji.com/141244649761263fb437a667.40337437.png",
        "author": "鸟哥笔记",
        "comments": False,
        "date": "Thu, 26 Aug 2021 06:21:20 GMT",
        "thumbnail": "https://qnssl.niaogebiji.com/141244649761263fb437a667.40337437.png",
    }


def entry(title: str, **kwargs) -> StoredEntry:
    fields = {
        "rowid": 1, "atom_id": "urn:x:1", "title": title, "link": "https://x.example/1",
        "author": "作者", "content": "<p>正文</p>", "summary": "",
        "published": datetime(2024, 5, 1, 8, tzinfo=UTC),
        "updated": datetime(2024, 5, 1, 8, tzinfo=UTC), "thumbnail": None, "categories": (),
        "node_paths": (PATH,),
        "origin": SourceFeed("urn:f", "f", "https://x.example/f", None, None),
    }
    return StoredEntry(**(fields | kwargs))


@pytest.mark.parametrize("title", [
    "It's a 'quoted' title", 'He said "hi": yes', "a/b\\c: {{ x }} {% raw %}", "yes", "2024",
    "- list?", "# hash", "[x] & *y* | z > w", "  spaced  ", "null", "~",
])
def test_awkward_titles_stay_valid_yaml_with_the_same_value(title: str) -> None:
    text = render_post(entry(title, author=title), ("yes", "2024", "a: b"))
    front = yaml.safe_load(text.split("---\n")[1])
    assert front["title"] == title
    assert front["author"] == title
    assert front["categories"] == ["yes", "2024", "a: b"]


def test_braces_in_the_body_are_escaped_for_nunjucks() -> None:
    text = render_post(entry("t", content="<p>{{ x }} {% y %}</p>"), PATH)
    assert "{" not in text.split("---\n", 2)[2] and "}" not in text.split("---\n", 2)[2]
    assert "&#123;&#123; x &#125;&#125; &#123;% y %&#125;" in text


def test_no_thumbnail_means_no_image_keys() -> None:
    front = yaml.safe_load(render_post(entry("t"), PATH).split("---\n")[1])
    assert "headimg" not in front and "thumbnail" not in front


# Characters that end or escape a URL path segment, or that Windows refuses in a file name.
URL_OR_WINDOWS_SYNTAX = set("?#%/\\:*\"<>|&+=;,'[]{}() \t")


@pytest.mark.parametrize(("title", "name"), [
    ("阿里腾讯互联互通：谁被裹挟 背后又有几分私心？",
     "阿里腾讯互联互通-谁被裹挟-背后又有几分私心.md"),
    ("It's a \"quoted\" title: the A/B test", "its-a-quoted-title-the-a-b-test.md"),
    ("What? 100% #1 & more", "what-100-1-more.md"),
    ("Templates {{ page.title }} and {% raw %}", "templates-page-title-and-raw.md"),
    ("a/b\\c", "a-b-c.md"),
    ("../../etc/passwd", "etc-passwd.md"),
    ("_config", "config.md"),
    (".hidden.", "hidden.md"),
    ("CON", "con_.md"),
    ("lpt1", "lpt1_.md"),
    ("ＡＢＣ１２３ 全角", "abc123-全角.md"),
    ("日本語のタイトル：テスト", "日本語のタイトル-テスト.md"),
    ("한국어 제목", "한국어-제목.md"),
    ("Привет, мир!", "привет-мир.md"),
    ("Crème brûlée", "crème-brûlée.md"),
    ("v1.2.3 released", "v1-2-3-released.md"),
])
def test_post_names_keep_the_words_and_nothing_else(title: str, name: str) -> None:
    assert post_name(title, "urn:x", taken=False) == name
    assert not URL_OR_WINDOWS_SYNTAX & set(name.removesuffix(".md"))


def test_a_title_with_no_words_is_named_by_its_id() -> None:
    emoji = post_name("🔥🔥🔥", "urn:a", taken=False)
    assert re.fullmatch(r"[0-9a-f]{8}\.md", emoji)
    assert emoji != post_name("???", "urn:b", taken=False)
    assert emoji == post_name("!!!", "urn:a", taken=True)  # nothing to collide with


def test_post_names_are_bounded_and_a_taken_name_gets_the_id() -> None:
    long = post_name("长" * 300, "urn:x", taken=False)
    assert len(long.removesuffix(".md").encode("utf-8")) <= MAX_NAME_BYTES
    assert long == "长" * (MAX_NAME_BYTES // 3) + ".md"  # cut on a character boundary
    assert slug("word " * 50).count("-") < 50 and not slug("word " * 50).endswith("-")
    first, second = (post_name("同名", f"urn:{n}", taken=True) for n in "ab")
    assert first != second and first.startswith("同名-") and len(first) == len("同名-") + 11


def test_post_folders_are_slugs_of_the_node_names() -> None:
    assert str(post_folder(("新媒体", "A/B: test?", "🔥"))) == "新媒体/a-b-test/-"


def test_same_title_twice_gives_two_posts_and_edits_and_retention_follow(
        tmp_path: Path, feed_server: FeedServer) -> None:
    def feed(*items: tuple[str, str, str]) -> bytes:
        body = "".join(f"<item><guid>{g}</guid><title>{t}</title><description>{d}"
                       "</description><pubDate>Wed, 01 May 2024 08:00:00 GMT</pubDate></item>"
                       for g, t, d in items)
        return (f"<rss version='2.0'><channel><title>站</title>{body}</channel></rss>").encode()

    url = feed_server.serve("/f", feed(("g1", "同名", "一"), ("g2", "同名", "二")))
    config = config_with_posts(tmp_path, f"  题:\n    站:\n      路: {{url: {url}, "
                                         "retention: {max_entries: 1}}\n")
    posts = tmp_path / "data" / "posts" / "题" / "站" / "路"
    assert feedhub("poll", "-c", str(config)).returncode == 0
    names = sorted(p.name for p in posts.iterdir())
    assert len(names) == 2 and "同名.md" in names

    # An edited title keeps the file name, and so the permalink Hexo makes of it.
    feed_server.serve("/f", feed(("g1", "改名", "一"), ("g2", "同名", "二改")))
    assert feedhub("poll", "-c", str(config)).returncode == 0
    texts = {p.name: p.read_text(encoding="utf-8") for p in posts.iterdir()}
    assert sorted(texts) == names
    assert "title: '改名'" in texts["同名.md"]
    assert any("二改" in t for t in texts.values())

    feed_server.serve("/f", feed(("g3", "新的", "三")))
    assert feedhub("poll", "-c", str(config)).returncode == 0
    assert sorted(p.name for p in posts.iterdir()) == ["新的.md"]


def test_a_blank_line_in_the_body_cannot_end_the_html_block() -> None:
    # Markdown ends an HTML block at a blank line; what followed would be read as Markdown.
    text = render_post(entry("t", content="<p>a</p>\n\n[click](javascript:alert(1))\n  \n<p>b</p>"),
                       PATH)
    body = text.split("<div>   \n", 1)[1]
    assert not [line for line in body.splitlines() if not line.strip()]
    assert "&#32;" in body


def test_names_yaml_12_reads_as_numbers_are_quoted() -> None:
    text = render_post(entry("t", author="1e3"), ("0o17", "新媒体"))
    assert "author: '1e3'" in text and " - '0o17'" in text and " - 新媒体" in text


def test_posts_named_by_an_older_feedhub_are_renamed_once(
        tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.serve_fixture("/ngbj", "ngbj-example.rss", "application/rss+xml")
    config = config_with_posts(tmp_path, f"  新媒体:\n    鸟哥笔记?:\n      首页: {url}\n")
    assert feedhub("poll", "-c", str(config)).returncode == 0
    posts = tmp_path / "data" / "posts"
    (new,) = posts.rglob("*.md")
    # As feedhub before schema 5 left it: the raw title in a folder named as the node is.
    old = "新媒体/鸟哥笔记?/首页/阿里腾讯互联互通：谁被裹挟 背后又有几分私心？.md"
    (posts / old).parent.mkdir(parents=True)
    new.rename(posts / old)
    new.parent.rmdir()
    database = sqlite_utils.Database(tmp_path / "data" / "feedhub.db")
    with database.conn:
        database.execute("UPDATE entries SET post_path = ?", [old])
        database.execute("UPDATE meta SET value = '4' WHERE key = 'schema'")
    database.close()

    assert feedhub("poll", "-c", str(config)).returncode == 0
    assert [p.relative_to(posts).as_posix() for p in posts.rglob("*.md")] == [
        "新媒体/鸟哥笔记/首页/阿里腾讯互联互通-谁被裹挟-背后又有几分私心.md"]
    assert sorted(p.name for p in (posts / "新媒体").iterdir()) == ["鸟哥笔记"]  # old folder gone
    (renamed,) = (posts / "新媒体/鸟哥笔记/首页").iterdir()
    stamp = renamed.stat().st_mtime_ns
    assert feedhub("build", "-c", str(config)).returncode == 0  # once: the name now stays
    assert renamed.stat().st_mtime_ns == stamp
