"""Write the corpus's oversized feeds, which are generated rather than committed.

    python tests/corpus/make_big.py DIRECTORY

or, from a test, ``write_big_feeds(tmp_path)``. Every feed is RSS 2.0 in UTF-8 and its output
is fully determined (no clock, no randomness), so test failures reproduce.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

BASE = "https://example.org/big"
DESCRIPTION_BYTES = 2_000_000
TITLE_CHARS = 50_000
CATEGORIES = 5_000
ITEMS = 3_000


def _rss(title: str, items: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>\n'
        f"<title>{title}</title><link>{BASE}/</link><description>{title}</description>\n"
        f"{items}</channel></rss>\n"
    ).encode()


def _item(name: str, n: int, title: str, description: str = "", extra: str = "",
          day: int = 26) -> str:
    url = f"{BASE}/{name}/{n}"
    desc = f"<description><![CDATA[{description}]]></description>" if description else ""
    return (f"<item><title>{title}</title><link>{url}</link><guid>{url}</guid>"
            f"<pubDate>Thu, {day:02d} Aug 2021 06:21:20 GMT</pubDate>{desc}{extra}</item>\n")


def huge_description() -> bytes:
    """One item with a 2 MB HTML description, hostile markup sprinkled through it."""
    paragraphs = []
    size = 0
    n = 0
    while size < DESCRIPTION_BYTES:
        n += 1
        if n % 500 == 0:
            p = (f'<p>段落 {n}<script>alert({n})</script><img src="x" onerror="alert({n})">'
                 f'<a href="javascript:alert({n})">link</a></p>\n')
        else:
            p = f"<p>段落 {n}: 这是一个很长的描述。Lorem ipsum dolor sit amet, <b>bold</b>.</p>\n"
        paragraphs.append(p)
        size += len(p.encode())
    return _rss("Huge description", _item("huge-description", 1, "A 2 MB description",
                                          "".join(paragraphs))
                + _item("huge-description", 2, "A normal item after the huge one", "<p>ok</p>",
                        day=25))


def huge_title() -> bytes:
    """One item with a 50 KB title (half Chinese, half ASCII, with markup to strip)."""
    unit = "很长的标题 a long title &amp; <b>more</b> "
    title = escape(unit * (TITLE_CHARS // len(unit) + 1))[: TITLE_CHARS * 2]
    title = title[: title.rfind(" ")]  # never cut an entity reference in half
    return _rss("Huge title", _item("huge-title", 1, title, "<p>the title is huge</p>")
                + _item("huge-title", 2, "A normal title", "<p>ok</p>", day=25))


def many_categories() -> bytes:
    """One item with 5000 distinct categories, then the first hundred again."""
    tags = "".join(f"<category>分类-{i}</category>" for i in range(CATEGORIES))
    tags += "".join(f"<category>分类-{i}</category>" for i in range(100))
    return _rss("Many categories", _item("many-categories", 1, "An item in 5000 categories",
                                         "<p>tagged</p>", extra=tags))


def many_items() -> bytes:
    """3000 items in one feed, each with its own guid and a distinct date."""
    items = []
    for n in range(ITEMS):
        day, rest = divmod(n, 24 * 60)
        hour, minute = divmod(rest, 60)
        url = f"{BASE}/many-items/{n}"
        items.append(
            f"<item><title>Item number {n}</title><link>{url}</link><guid>{url}</guid>"
            f"<pubDate>Thu, {26 - day:02d} Aug 2021 {23 - hour:02d}:{59 - minute:02d}:00 GMT"
            f"</pubDate><description>&lt;p&gt;body {n}&lt;/p&gt;</description></item>\n")
    return _rss("Many items", "".join(items))


BIG_FEEDS: dict[str, Callable[[], bytes]] = {
    "huge-description.xml": huge_description,
    "huge-title.xml": huge_title,
    "many-categories.xml": many_categories,
    "many-items.xml": many_items,
}


def write_big_feeds(directory: Path) -> list[Path]:
    """Write every big feed into ``directory``; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in BIG_FEEDS.items():
        path = directory / name
        path.write_bytes(make())
        written.append(path)
    return written


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_big.py DIRECTORY")
    for path in write_big_feeds(Path(sys.argv[1])):
        print(f"{path}: {path.stat().st_size} bytes")
