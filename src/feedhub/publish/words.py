"""The words of the index page in each language it speaks; pure data and formatting.

A language is chosen by its primary subtag (``zh-CN`` speaks ``zh``); any other language
gets English. The source states' own words are in :mod:`feedhub.states`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Words:
    """Every phrase the page uses; the ``{}`` fields are filled by ``str.format``."""

    everything: str
    intro: str
    entries: str  # {n} entries
    one_entry: str
    day: str  # {n} in the last 24 hours
    week: str  # {n} in the last 7 days
    newest: str
    nothing_yet: str
    last_success: str
    never: str
    failures: str  # {n} failures in a row, since {since}
    moved: str  # {url}
    sources: str  # {n} sources
    attention: str
    all_well: str
    generated: str
    opml: str
    opml_feeds: str
    opml_sources: str
    site: str
    separator: str
    feed_note: str  # what a browser shows above a feed (publish/feedxsl.py)
    feed_home: str


_EN = Words(
    everything="Everything",
    intro="Every node of the tree has its own merged feed: subscribe to any of them in a feed "
          "reader.",
    entries="{n} entries", one_entry="1 entry",
    day="{n} in 24 h", week="{n} in 7 days",
    newest="newest", nothing_yet="nothing yet",
    last_success="last success", never="never",
    failures="{n} failures in a row since {since}",
    moved="moved permanently to {url}: update its url in config.yaml",
    sources="{n} sources", attention="Needs attention", all_well="Every source is well.",
    generated="Generated", opml="OPML", opml_feeds="every feed above",
    opml_sources="the sources", site="site", separator=" · ",
    feed_note="This is a web feed. Copy the address from the address bar into a feed reader "
              "to subscribe.",
    feed_home="All feeds of this hub",
)

_ZH = Words(
    everything="全部",
    intro="树上的每个节点都有自己的合并订阅源，任何一个都可以在阅读器里订阅。",
    entries="{n} 篇", one_entry="1 篇",
    day="24 小时内 {n} 篇", week="7 天内 {n} 篇",
    newest="最新", nothing_yet="尚无文章",
    last_success="上次成功", never="从未",
    failures="自 {since} 起连续失败 {n} 次",
    moved="已永久迁移到 {url}：请在 config.yaml 中更新其地址",
    sources="{n} 个信息源", attention="需要处理", all_well="所有信息源都正常。",
    generated="生成于", opml="OPML", opml_feeds="以上所有订阅源",
    opml_sources="信息源列表", site="网站", separator=" · ",
    feed_note="这是一个订阅源（RSS/Atom）。把地址栏里的网址复制到阅读器中即可订阅。",
    feed_home="本站的全部订阅源",
)

_BY_LANGUAGE = {"en": _EN, "zh": _ZH}


def words_for(language: str) -> Words:
    """The page's words for ``language`` (``zh``, ``zh-CN``, ``en``, ...); English when the
    language has none of its own."""
    return _BY_LANGUAGE.get(language.split("-")[0].lower(), _EN)


def count_of(words: Words, n: int) -> str:
    """``n`` entries in ``words``, with thousands separators."""
    return words.one_entry if n == 1 else words.entries.format(n=f"{n:,}")
