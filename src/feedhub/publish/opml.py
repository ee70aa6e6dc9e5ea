"""OPML out: ``opml.xml`` (every merged feed) and ``sources.opml`` (the sources themselves).

Writing is deterministic: equal input gives equal bytes (no dates), so an unchanged tree leaves
the files and their ETags alone. Reading them back is ``feedhub.opml_reader``'s.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence

from lxml import etree

from feedhub.model import FeedNode, NodePath
from feedhub.paths import feed_file, url_for
from feedhub.text import printable

# Streamed through lxml's incremental writer, which escapes as libxml2 does, with the white space
# its pretty printer puts between elements (tests/unit/test_opml.py holds the bytes to a tree's
# pretty print): a tree would hold a libxml2 node per outline and the whole serialization at
# once, and the daemon kept that memory after each publish.

# libxml2 indents two spaces a level, up to 60 spaces (its MAX_INDENT); deeper is as deep.
_INDENT_CAP = 30


def render_feeds_opml(title: str, base_url: str, tree: FeedNode,
                      feed_urls: Mapping[NodePath, str] | None = None) -> bytes:
    """OPML 2.0 listing every node's merged Atom feed, nested like the tree.

    Each outline carries ``text``/``title`` = the node name (the root: ``title``), ``type="rss"``
    (the OPML 2.0 value readers expect for any feed), ``xmlUrl`` = its Atom feed (an outline
    holds one URL) and ``htmlUrl`` = ``base_url``. ``feed_urls`` gives the Atom feed URLs
    the caller has already built, by node path; the others are built from ``base_url``.
    """
    known = feed_urls or {}

    def attributes(node: FeedNode) -> dict[str, str]:
        name = node.name if node.path else title
        return {"text": name, "title": name, "type": "rss",
                "xmlUrl": known.get(node.path) or url_for(base_url, feed_file(node.path)),
                "htmlUrl": base_url}

    return _render(title, (tree,), attributes)


def render_sources_opml(title: str, tree: FeedNode) -> bytes:
    """OPML 2.0 of the configured sources, as ``feedhub opml import`` and feed readers expect.

    Inner nodes are folder outlines (``text`` only); leaves are ``type="rss"`` outlines with
    the source's URL. ``parse_opml`` reads it back to the same names, nesting and URLs.
    """

    def attributes(node: FeedNode) -> dict[str, str]:
        if node.source is None:
            return {"text": node.name}
        return {"text": node.name, "title": node.name, "type": "rss", "xmlUrl": node.source.url}

    return _render(title, tree.children, attributes)


def _render(title: str, outlines: Sequence[FeedNode],
            attributes: Callable[[FeedNode], dict[str, str]]) -> bytes:
    """An OPML 2.0 document whose body holds ``outlines`` and their descendants, each outline
    with the ``attributes`` of its node."""
    out = io.BytesIO()
    with etree.xmlfile(out, encoding="UTF-8") as xf:
        xf.write_declaration()  # with its line break
        with xf.element("opml", version="2.0"):
            xf.write("\n  ")
            with xf.element("head"):
                xf.write("\n    ")
                with xf.element("title"):
                    xf.write(printable(title))
                xf.write("\n  ")
            xf.write("\n  ")

            def add(node: FeedNode, level: int) -> None:
                attrs = {k: printable(v) for k, v in attributes(node).items()}
                if not node.children:
                    xf.write(etree.Element("outline", attrs))
                    return
                with xf.element("outline", attrs):
                    for child in node.children:
                        xf.write("\n" + _pad(level + 1))
                        add(child, level + 1)
                    xf.write("\n" + _pad(level))

            if outlines:
                with xf.element("body"):
                    for node in outlines:
                        xf.write("\n" + _pad(2))
                        add(node, 2)
                    xf.write("\n  ")
            else:
                xf.write(etree.Element("body"))
            xf.write("\n")
    out.write(b"\n")
    return out.getvalue()


def _pad(level: int) -> str:
    return "  " * min(level, _INDENT_CAP)
