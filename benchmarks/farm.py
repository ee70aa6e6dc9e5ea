"""A farm of realistic feeds on disk, and a server for it on 127.0.0.1 with ETag support.

Sizes follow what a hub of Chinese new-media and tech sites sees: 40-80 entries a feed, 5-20 KB
of HTML a body with images and links, categories, media:thumbnail, enclosures; a share of the
feeds are ill-formed (unescaped ampersands, a missing close tag). Deterministic for a seed.
"""

from __future__ import annotations

import asyncio
import random
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from aiohttp import web

HANZI = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动"
    "同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自"
    "二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日"
    "那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变"
    "条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总"
    "次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指"
    "几九区强放决西被干做必战先回则任取据处理府研质"
)
LATIN = [
    "growth", "platform", "creator", "traffic", "private", "domain", "brand", "content",
    "community", "operation", "data", "product", "user", "channel", "strategy", "market",
    "retention", "conversion", "video", "live",
]


@dataclass(frozen=True)
class FarmFeed:
    name: str
    path: Path


def _text(rng: random.Random, chars: int) -> str:
    out: list[str] = []
    while sum(len(s) for s in out) < chars:
        if rng.random() < 0.25:
            out.append(" ".join(rng.choices(LATIN, k=rng.randint(2, 6))) + " ")
        else:
            out.append("".join(rng.choices(HANZI, k=rng.randint(8, 30))) + "，")
    return "".join(out)


def _body(rng: random.Random, site: int, size: int) -> str:
    parts: list[str] = []
    n = 0
    while n < size:
        if rng.random() < 0.15:
            chunk = (f'<p><img src="https://img{site}.example.cn/{rng.getrandbits(48):x}.jpg" '
                     f'width="{rng.randint(300, 900)}" alt="图"></p>')
        elif rng.random() < 0.1:
            chunk = (f'<p><a href="/article/{rng.getrandbits(32)}.html">{_text(rng, 20)}</a>'
                     "</p>")
        else:
            chunk = f'<p style="font-size: 16px; color: rgb(33, 38, 41);">{_text(rng, 200)}</p>'
        parts.append(chunk)
        n += len(chunk.encode("utf-8"))
    return "".join(parts)


def feed_xml(rng: random.Random, site: int, entries: int, start: datetime,
             ill_formed: bool) -> str:
    items = []
    for i in range(entries):
        when = start - timedelta(minutes=37 * i + rng.randint(0, 30))
        title = escape(_text(rng, rng.randint(12, 40)).rstrip("，"))
        body = _body(rng, site, rng.randint(5_000, 20_000))
        guid = f"https://site{site}.example.cn/article/{i}-{rng.getrandbits(32):x}.html"
        cats = "".join(f"<category>{escape(rng.choice(LATIN))}</category>"
                       for _ in range(rng.randint(1, 4)))
        extra = ""
        if rng.random() < 0.5:
            extra += (f'<media:thumbnail url="https://img{site}.example.cn/t/'
                      f'{rng.getrandbits(40):x}.jpg"/>')
        if rng.random() < 0.2:
            extra += (f'<enclosure url="https://img{site}.example.cn/e/{i}.jpg" '
                      'type="image/jpeg" length="12345"/>')
        items.append(
            f"<item><title>{title}</title><link>{guid}?utm_source=rss</link><guid>{guid}</guid>"
            f"<pubDate>{format_datetime(when, usegmt=True)}</pubDate>"
            f"<author>editor{rng.randint(1, 9)}@site{site}.example.cn (编辑{i % 7})</author>"
            f"{cats}{extra}<description><![CDATA[{body}]]></description></item>")
    xml = (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
           f'xmlns:media="http://search.yahoo.com/mrss/"><channel><title>站点 {site}</title>'
           f"<link>https://site{site}.example.cn/</link><description>farm</description>"
           f"{''.join(items)}</channel></rss>")
    if ill_formed:
        xml = xml.replace("</channel></rss>", "").replace("<description>farm", "<description>A & B")
    return xml


def make_farm(folder: Path, feeds: int, seed: int = 7, ill_share: float = 0.05) -> list[FarmFeed]:
    """Write ``feeds`` feed files into ``folder``; returns them in order."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    start = datetime(2026, 11, 20, tzinfo=UTC)
    out = []
    for site in range(feeds):
        path = folder / f"f{site}.xml"
        if not path.exists():
            xml = feed_xml(rng, site, rng.randint(40, 80), start, rng.random() < ill_share)
            path.write_text(xml, encoding="utf-8")
        out.append(FarmFeed(f"f{site}", path))
    return out


def add_entry(path: Path, n: int) -> None:
    """A new entry at the top of a farm feed, as a site publishing something would."""
    text = path.read_text(encoding="utf-8")
    item = (f"<item><title>新条目 {n}</title><guid>new-{path.stem}-{n}</guid>"
            f"<link>https://new.example.cn/{path.stem}/{n}</link>"
            f"<description>&lt;p&gt;新内容 {n}&lt;/p&gt;</description></item>")
    path.write_text(text.replace("<item>", item + "<item>", 1), encoding="utf-8")


class FarmServer:
    """Serves a farm folder on 127.0.0.1 (FileResponse: ETag, Last-Modified, 304)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()
        self._ready.wait(10)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}.xml"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def serve(request: web.Request) -> web.StreamResponse:
            path = self.folder / request.match_info["name"]
            if not path.is_file():
                raise web.HTTPNotFound()
            return web.FileResponse(path, headers={"Content-Type": "application/rss+xml"})

        async def start() -> None:
            app = web.Application()
            app.router.add_get("/{name}", serve)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

        self._loop.run_until_complete(start())
        self._ready.set()
        self._loop.run_forever()
