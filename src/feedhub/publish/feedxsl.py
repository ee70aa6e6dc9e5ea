"""``feed.xsl``: what a browser shows for an Atom or RSS feed instead of raw XML.

Every Atom and RSS document names the stylesheet in an ``<?xml-stylesheet?>`` processing
instruction; feed readers ignore it. Its href is the base URL's path, so the stylesheet is
always fetched from the origin that served the feed (browsers apply XSLT only from the same
origin). The page lists the feed's title and entries (title, link, time, author, categories),
never a body: an entry's HTML would need ``disable-output-escaping``, which not every browser
honours and which would run the feed's markup in the hub's origin.
"""

from __future__ import annotations

from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from feedhub.publish.icon import ICON
from feedhub.publish.words import Words

STYLESHEET = "feed.xsl"  # its name in the output folder


def stylesheet_instruction(base_url: str) -> bytes:
    """The processing instruction that links a feed to the hub's stylesheet."""
    href = urlsplit(base_url).path + STYLESHEET
    return f'<?xml-stylesheet type="text/xsl" href="{escape(href, {chr(34): "&quot;"})}"?>\n' \
        .encode()


def with_stylesheet(document: bytes, base_url: str) -> bytes:
    """``document`` (starting with its XML declaration line) linked to the stylesheet."""
    declaration_end = document.index(b"\n") + 1
    return (document[:declaration_end] + stylesheet_instruction(base_url)
            + document[declaration_end:])


def render_stylesheet(words: Words, language: str, home: str) -> bytes:
    """The XSLT 1.0 stylesheet, in ``language``; ``home`` is the hub's index page URL."""
    note, back = escape(words.feed_note), escape(words.feed_home)
    return f"""\
<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:a="http://www.w3.org/2005/Atom" exclude-result-prefixes="a">
<xsl:output method="html" encoding="UTF-8" doctype-system="about:legacy-compat"/>
<xsl:template match="/">
<html lang="{escape(language)}">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<link rel="icon" type="image/svg+xml" href="{escape(urlsplit(home).path + ICON)}"/>
<title><xsl:value-of select="a:feed/a:title | rss/channel/title"/></title>
<style>
:root{{color-scheme:light dark}}
body{{margin:0 auto;max-width:48rem;padding:1rem 1rem 3rem;font:16px/1.55 system-ui,\
-apple-system,"Segoe UI","PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;\
overflow-wrap:anywhere}}
.note{{padding:.6rem .9rem;border-radius:.5rem;background:rgba(127,127,127,.12)}}
h1{{font-size:1.5rem;margin:1rem 0 .3rem}}
ol{{padding-left:1.4rem}}
li{{margin:.6rem 0}}
.meta{{font-size:.85rem;opacity:.75}}
</style>
</head>
<body>
<p class="note">{note}</p>
<h1><xsl:value-of select="a:feed/a:title | rss/channel/title"/></h1>
<p><a href="{escape(home)}">{back}</a></p>
<ol>
<xsl:for-each select="a:feed/a:entry">
<li>
<a href="{{a:link[@rel='alternate' or not(@rel)][1]/@href}}"><xsl:value-of select="a:title"/></a>
<div class="meta">
<time datetime="{{a:published | a:updated[not(../a:published)]}}">\
<xsl:value-of select="substring(a:published | a:updated[not(../a:published)], 1, 10)"/></time>
<xsl:for-each select="a:author/a:name"> · <xsl:value-of select="."/></xsl:for-each>
<xsl:for-each select="a:category"> · <xsl:value-of select="@term"/></xsl:for-each>
</div>
</li>
</xsl:for-each>
<xsl:for-each select="rss/channel/item">
<li>
<a href="{{link}}"><xsl:value-of select="title"/></a>
<div class="meta"><xsl:value-of select="pubDate"/>
<xsl:for-each select="category"> · <xsl:value-of select="."/></xsl:for-each>
</div>
</li>
</xsl:for-each>
</ol>
</body>
</html>
</xsl:template>
</xsl:stylesheet>
""".encode()
