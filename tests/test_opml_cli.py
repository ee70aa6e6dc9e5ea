"""``feedhub opml export`` and ``feedhub opml import`` as a user runs them."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from conftest import feedhub
from feedhub.config import load_config

CONFIG = """\
# my hub: keep this comment
title: 速递
sources:
  新媒体:            # topic comment
    鸟哥笔记:
      首页: https://rsshub.app/ngbj
"""

OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0"><head><title>Reader export</title></head><body>
  <outline text="新媒体">
    <outline text="鸟哥笔记"><outline text="首页" type="rss" xmlUrl="https://rsshub.app/ngbj"/>
      <outline text="今日事" type="rss" xmlUrl="https://rsshub.app/ngbj/today"/></outline>
  </outline>
  <outline text="科技"><outline text="少数派" type="rss" xmlUrl="https://sspai.com/feed"/></outline>
  <outline text="单独的源" type="rss" xmlUrl="https://example.org/feed.xml"/>
</body></opml>
"""


def test_import_adds_new_sources_keeping_comments_and_the_tree(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    opml = tmp_path / "subs.opml"
    opml.write_text(OPML, encoding="utf-8")
    result = feedhub("opml", "import", str(opml), "-c", str(config))
    assert result.returncode == 0, result.stderr
    assert "3 sources added" in result.stdout and "1 skipped" in result.stdout
    text = config.read_text(encoding="utf-8")
    assert "# my hub: keep this comment" in text and "# topic comment" in text
    loaded = load_config(config)
    assert {s.id: s.url for s in loaded.sources} == {
        "新媒体/鸟哥笔记/首页": "https://rsshub.app/ngbj",
        "新媒体/鸟哥笔记/今日事": "https://rsshub.app/ngbj/today",
        "科技/少数派": "https://sspai.com/feed",
        "Reader export/单独的源": "https://example.org/feed.xml",
    }
    again = feedhub("opml", "import", str(opml), "-c", str(config))
    assert "0 sources added" in again.stdout and "4 skipped" in again.stdout


def test_export_then_import_round_trips_the_tree(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG.replace("      首页: https://rsshub.app/ngbj",
                                     "      首页: https://rsshub.app/ngbj\n"
                                     "  科技:\n    少数派:\n      最新: https://sspai.com/feed"),
                      encoding="utf-8")
    exported = feedhub("opml", "export", "-c", str(config))
    assert exported.returncode == 0
    root = etree.fromstring(exported.stdout.encode())
    assert root.get("version") == "2.0"
    fresh = tmp_path / "fresh.yaml"
    fresh.write_text("title: 空\nsources:\n  占位:\n    站:\n      源: https://x.example/f\n",
                     encoding="utf-8")
    (tmp_path / "out.opml").write_text(exported.stdout, encoding="utf-8")
    assert feedhub("opml", "import", str(tmp_path / "out.opml"), "-c", str(fresh)).returncode == 0
    ids = {s.id for s in load_config(fresh).sources}
    assert {"新媒体/鸟哥笔记/首页", "科技/少数派/最新"} <= ids


def test_hostile_or_broken_opml_changes_nothing(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    bomb = tmp_path / "bomb.opml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa">'
                    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
                    '<opml version="2.0"><body><outline text="&b;" xmlUrl="https://e.x/f"/>'
                    "</body></opml>", encoding="utf-8")
    broken = tmp_path / "broken.opml"
    broken.write_text("<opml><body><outline text='x'", encoding="utf-8")
    for path in (bomb, broken, tmp_path / "missing.opml"):
        result = feedhub("opml", "import", str(path), "-c", str(config))
        assert result.returncode == 1, path
        assert str(path) in result.stderr and len(result.stderr.strip().splitlines()) == 1
        assert config.read_text(encoding="utf-8") == CONFIG
