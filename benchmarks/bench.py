"""feedhub's benchmarks, each figure measured side by side in one run, printed as one table.

    python benchmarks/bench.py [--feeds 500] [--runs 3] [--entries-db 1000000] [--sources 10000]

Figures (median, and min-max over the runs):
- cold ingest of the farm: ``feedhub poll --no-publish`` vs reader's ``update_feeds()`` on the
  same farm (both fetch, parse, sanitize and store), then feedhub's first publish of it all
  (its time, and the bytes it wrote against the farm's), and a new user's first ``feedhub
  poll`` with publish, end to end, against reader's ingest alone;
- warm re-poll (every feed answers 304) and a re-poll after 10% of the feeds changed (and the
  bytes it wrote, and a day of such polls);
- publishing every merged feed; an incremental publish after one new entry in a database of
  ``--entries-db`` entries;
- the daemon's resident memory with ``--sources`` sources configured;
- the built-in server: requests/s for a ~100 KB feed, plain and conditional (304);
- the floor: the CPU that the farm's cold ingest cannot do without (HTTP, lxml, feedparser for
  the ill-formed feeds, nh3, SQLite), each part measured alone, and the speed-up over reader
  that it leaves possible on this machine's cores.
``--no-reader`` leaves reader out (the CI smoke run does, to stay offline-light and short);
``--only ingest,floor,incremental,memory,server`` runs some of the parts.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(Path(__file__).parent), str(ROOT / "src")]
from farm import FarmServer, add_entry, make_farm  # noqa: E402

from feedhub.config import Config  # noqa: E402

T = TypeVar("T")


@dataclass
class Figure:
    name: str
    unit: str
    values: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    def spread(self) -> str:
        if len(self.values) < 2:
            return ""
        return f"{min(self.values):.3g}–{max(self.values):.3g}"


@dataclass
class Run:
    wall: float
    cpu: float
    max_rss_mb: float
    out: str


def run(args: list[str], cwd: Path, timeout: float = 3600) -> Run:
    """Run a child process; its wall time, CPU time and peak memory from wait4.

    CPU and memory are the child's own (and of what it waited for): ``feedhub poll``'s parse
    workers run under a forkserver, so its CPU figure leaves them out; wall time is the one
    to compare.
    """
    # Timed once the writes of the steps before are on disk: the kernel writing back a first
    # publish's gigabytes would otherwise be counted in the re-poll after it.
    os.sync()
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        proc = subprocess.Popen(args, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{args[:3]} failed:\n{text[-2000:]}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, text)


def write_config(folder: Path, urls: list[str], port: int = 8080, interval: str = "30m") -> Path:
    leaves = "".join(f"    站{i // 10}:\n" * (i % 10 == 0) + f"      源{i}: {url}\n"
                     for i, url in enumerate(urls))
    config = folder / "config.yaml"
    config.write_text(
        "title: bench\n"
        f"base_url: http://127.0.0.1:{port}/\n"
        "database: data/feedhub.db\noutput: data/public\nposts: null\n"
        f"server: {{host: 127.0.0.1, port: {port}}}\n"
        f"polling: {{interval: {interval}, min_interval: 1s, timeout: 60s, concurrency: 16,"
        " per_host: 16, allow_private: true}\n"
        "sources:\n  农场:\n" + leaves, encoding="utf-8")
    return config


def feedhub(*args: str, cwd: Path) -> Run:
    return run([sys.executable, "-m", "feedhub", *args], cwd)


def count(database: Path, table: str) -> int:
    with sqlite3.connect(database) as db:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def bench_ingest(args: argparse.Namespace, work: Path, farm_dir: Path,
                 figures: dict[str, Figure]) -> None:
    feeds = make_farm(farm_dir, args.feeds)
    server = FarmServer(farm_dir)
    urls = [server.url(f.name) for f in feeds]
    size = sum(f.path.stat().st_size for f in feeds) / 1e6
    for i in range(args.runs):
        folder = work / f"ingest{i}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        config = write_config(folder, urls)
        # Like for like with reader, which stores and publishes nothing: fetch, parse,
        # sanitize, store. The first publish of it all is its own figure.
        cold = feedhub("poll", "--no-publish", "-c", str(config), cwd=folder)
        entries = count(folder / "data" / "feedhub.db", "entries")
        figures["cold"].values.append(cold.wall)
        figures["cold cpu"].values.append(cold.cpu)
        figures["cold eps"].values.append(entries / cold.wall)
        figures["cold rss"].values.append(cold.max_rss_mb)
        figures["cold"].note = f"{len(feeds)} feeds, {size:.0f} MB, {entries} entries"
        public = folder / "data" / "public"
        first = feedhub("build", "-c", str(config), cwd=folder)
        figures["first publish"].values.append(first.wall)
        figures["first bytes"].values.append(output_bytes(public) / 1e6)
        figures["farm bytes"].values.append(size)
        warm = feedhub("poll", "-c", str(config), cwd=folder)
        figures["warm"].values.append(len(feeds) / warm.wall)
        figures["warm s"].values.append(warm.wall)
        # The farm is put back afterwards: a later run, or a later `make bench` on the same
        # --work folder, must ingest the same farm and find these entries new again.
        changed = {f.path: f.path.read_bytes() for f in feeds[i::10]}
        try:
            for path in changed:
                add_entry(path, i)
            before = stamps(public)
            tenth = feedhub("poll", "-c", str(config), cwd=folder)
            figures["tenth bytes"].values.append(written_since(public, before) / 1e6)
        finally:
            for path, original in changed.items():
                path.write_bytes(original)
        figures["tenth"].values.append(len(feeds) / tenth.wall)
        build = feedhub("build", "-c", str(config), cwd=folder)
        figures["build"].values.append(build.wall)
        # What a new user's first command costs: poll and publish, end to end.
        fresh = work / f"first{i}"
        shutil.rmtree(fresh, ignore_errors=True)
        fresh.mkdir()
        figures["first poll"].values.append(
            feedhub("poll", "-c", str(write_config(fresh, urls)), cwd=fresh).wall)
        if not args.no_reader:
            rfolder = work / f"reader{i}"
            shutil.rmtree(rfolder, ignore_errors=True)
            rfolder.mkdir()
            (rfolder / "urls.txt").write_text("\n".join(urls), encoding="utf-8")
            r = run([sys.executable, str(Path(__file__).parent / "reader_ingest.py"),
                     str(rfolder / "reader.sqlite"), str(rfolder / "urls.txt")], rfolder)
            figures["reader"].values.append(r.wall)
            figures["reader cpu"].values.append(r.cpu)
            figures["reader eps"].values.append(int(r.out.split()[-1]) / r.wall)
            figures["reader rss"].values.append(r.max_rss_mb)


def output_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def stamps(folder: Path) -> dict[Path, tuple[int, int]]:
    """Each file's inode and modification time: publishing replaces a file it writes."""
    return {f: (f.stat().st_ino, f.stat().st_mtime_ns) for f in folder.rglob("*") if f.is_file()}


def written_since(folder: Path, before: dict[Path, tuple[int, int]]) -> int:
    """The bytes of the files written since ``before`` was taken."""
    return sum(f.stat().st_size for f, stamp in stamps(folder).items() if before.get(f) != stamp)


def fill_database(config: Config, entries: int) -> None:
    """``entries`` synthetic entries over the config's 500 sources, written by SQL."""
    from feedhub.store import Store

    store = Store(config.database)
    store.sources.sync(config.sources)  # the schema and the sources, as feedhub makes them
    store.close()
    sources = len(config.sources)
    with sqlite3.connect(config.database) as db:
        db.execute(f"""
            WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {entries})
            INSERT INTO entries (id, atom_id, source_id, key, link, canonical_link, title,
                                 author, content, summary, published, updated, first_seen,
                                 thumbnail, categories)
            SELECT x, 'urn:bench:' || x, '农场/站' || ((x % {sources}) / 10) || '/源' ||
                   (x % {sources}), 'id:' || x, 'https://e.example/' || x,
                   'https://e.example/' || x, '条目 ' || x, '编辑', '<p>' || hex(randomblob(400))
                   || '</p>', '', strftime('%Y-%m-%dT%H:%M:%SZ', 1700000000 + x * 60,
                   'unixepoch'), strftime('%Y-%m-%dT%H:%M:%SZ', 1700000000 + x * 60,
                   'unixepoch'), '2026-01-01T00:00:00Z', NULL, '[]'
            FROM c""")
        db.execute("INSERT INTO entry_sources (source_id, key, entry_id, in_feed) "
                   "SELECT source_id, key, id, 0 FROM entries")
        for level in range(4):
            node = ("''" if level == 0 else
                    "'农场'" if level == 1 else
                    f"'农场/站' || ((id % {sources}) / 10)" if level == 2 else "source_id")
            db.execute(f"""
                INSERT INTO entry_nodes (node, entry_id, published, seq)
                SELECT {node}, id, published, row_number() OVER (PARTITION BY {node} ORDER BY id)
                FROM entries""")
        # Steady state: every full archive page was written by earlier publishes.
        db.execute("INSERT INTO nodes (node, next_seq, archived_pages, page_size, entries, "
                   "newest) SELECT node, max(seq) + 1, max(seq) / 50, 50, count(*), "
                   "max(published) FROM entry_nodes GROUP BY node")


def bench_incremental(args: argparse.Namespace, work: Path, figures: dict[str, Figure]) -> None:
    from feedhub.config import load_config
    from feedhub.model import FetchResult, Polled
    from feedhub.parse import parse_feed
    from feedhub.publish.build import Listing, publish
    from feedhub.publish.plan import changes_of
    from feedhub.store import Store
    from feedhub.update import decide

    folder = work / "million"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    urls = [f"http://127.0.0.1:9/{s}" for s in range(500)]
    config = load_config(write_config(folder, urls))
    started = time.perf_counter()
    fill_database(config, args.entries_db)
    fill_s = time.perf_counter() - started
    store = Store(config.database)
    source = config.sources[123]
    written: list[str] = []
    listing = Listing()  # kept from one publish to the next, as the daemon keeps it
    for i in range(args.runs + 1):
        body = (f"<rss version='2.0'><channel><title>t</title><item><guid>new-{i}</guid>"
                f"<title>新条目 {i}</title><description>x</description></item></channel></rss>")
        from datetime import UTC, datetime

        now = datetime.now(UTC).replace(microsecond=0)
        parsed = parse_feed(body.encode(), source, source.url, {}, now)
        result = FetchResult(source.url, source.url, 200)
        update = decide(source, store.sources.state(source.id), result, body_hash=None,
                        parsed=parsed, parse_error=None, now=now, rand=0.5, min_interval=60)
        outcome = store.polls.record(Polled(source, result, len(body), parsed, update))
        config.output.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        report = publish(config, store, changes_of([outcome]), listing)
        elapsed = time.perf_counter() - started
        if i == 0:
            continue  # the first publish writes the never-written feeds (no files existed)
        figures["incremental"].values.append(elapsed * 1000)
        written = sorted({str(p.relative_to(config.output)).removesuffix(".gz")
                          for p in report.written})
    store.close()
    figures["incremental"].note = (f"{args.entries_db} entries (filled in {fill_s:.0f} s), "
                                   "as the daemon publishes; "
                                   f"wrote {', '.join(written)}")


def bench_floor(args: argparse.Namespace, work: Path, farm_dir: Path,
                figures: dict[str, Figure]) -> None:
    """The CPU that the parts no Python of feedhub's can remove take for the farm's cold
    ingest (see :func:`floor_parts`). Their sum over the machine's cores is the least wall time
    any ingest doing that work can take here, and so the largest speed-up over reader it can
    show."""
    feeds = make_farm(farm_dir, args.feeds)
    server = FarmServer(farm_dir)
    urls = [server.url(f.name) for f in feeds]
    for _ in range(args.runs):
        parts = floor_parts(urls, work / "floor.db")
        total = sum(parts.values())
        figures["floor"].values.append(total)
        figures["floor wall"].values.append(total / (os.cpu_count() or 1))
        figures["floor"].note = ", ".join(f"{k} {v:.2f} s" for k, v in parts.items())


def floor_parts(urls: list[str], database: Path) -> dict[str, float]:
    """Each part's CPU time in this process, measured alone: the HTTP exchanges (the client and
    the farm's server), lxml reading the well-formed feeds, feedparser reading the rest, nh3
    sanitizing every entry's body once, and SQLite storing each entry in a bare table."""
    import io

    import feedparser
    import lxml.etree

    from feedhub.feedxml import read_feed
    from feedhub.sanitize import sanitize_html

    parts: dict[str, float] = {}

    def timed(name: str, work: Callable[[], T]) -> T:
        started = time.process_time()
        result = work()
        parts[name] = time.process_time() - started
        return result

    bodies = timed("HTTP", lambda: asyncio.run(fetch_all(urls)))
    read = [(body, read_feed(body, "application/rss+xml; charset=utf-8")) for body in bodies]
    # recover: the fast reader reads a stray "&" and missing end tags too (feedxml._mended_root)
    parser = lxml.etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
    timed("lxml", lambda: [lxml.etree.fromstring(body, parser)
                           for body, raw in read if raw is not None])
    loose = iter(timed("feedparser", lambda: [
        feedparser.parse(io.BytesIO(body), sanitize_html=False, resolve_relative_uris=False)
        for body, raw in read if raw is None]))
    # Each refused feed's entries from the feedparser reading just timed, in farm order.
    entries = [(url, raw.entries if raw else next(loose).entries)
               for url, (_, raw) in zip(urls, read, strict=True)]
    html = [(url, e.get("id") or e.get("link") or "", e.get("title") or "",
             e.get("link") or "", e.get("summary") or "")
            for url, items in entries for e in items]
    clean = timed("nh3", lambda: [sanitize_html(body, url) for url, *_, body in html])
    rows = [(url, key, title, link, body)
            for (url, key, title, link, _), body in zip(html, clean, strict=True)]
    timed("SQLite", lambda: store_bare(database, rows))
    return parts


async def fetch_all(urls: list[str]) -> list[bytes]:
    """Every URL's body, 16 requests in flight, as a poll's client fetches them."""
    gate = asyncio.Semaphore(16)
    async with aiohttp.ClientSession() as session:
        async def one(url: str) -> bytes:
            async with gate, session.get(url) as response:
                return await response.read()
        return await asyncio.gather(*(one(url) for url in urls))


def store_bare(path: Path, rows: list[tuple[str, str, str, str, str]]) -> None:
    """The rows in a table with nothing but the unique key a store of entries needs, in WAL
    mode, one transaction per feed, as a poll commits them."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("CREATE TABLE entries (id INTEGER PRIMARY KEY, feed TEXT, key TEXT, title TEXT,"
               " link TEXT, content TEXT, UNIQUE (feed, key))")
    start = 0
    while start < len(rows):
        end = start
        while end < len(rows) and rows[end][0] == rows[start][0]:
            end += 1
        db.execute("BEGIN")
        db.executemany("INSERT OR IGNORE INTO entries (feed, key, title, link, content) "
                       "VALUES (?, ?, ?, ?, ?)", rows[start:end])
        db.execute("COMMIT")
        start = end
    db.close()


def bench_memory(args: argparse.Namespace, work: Path, figures: dict[str, Figure]) -> None:
    folder = work / "memory"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    tiny = folder / "tiny"
    tiny.mkdir()
    (tiny / "t.xml").write_text("<rss version='2.0'><channel><title>t</title><item><guid>1"
                                "</guid><title>x</title></item></channel></rss>")
    server = FarmServer(tiny)
    port = free_port()
    urls = [server.url("t") + f"?s={i}" for i in range(args.sources)]
    config = write_config(folder, urls, port=port, interval="24h")
    for _ in range(args.runs):
        # A fresh database and output each run: one whose sources are all polled already would
        # measure a daemon that has nothing to poll or publish.
        shutil.rmtree(folder / "data", ignore_errors=True)
        proc = subprocess.Popen([sys.executable, "-m", "feedhub", "run", "-c", str(config)],
                                cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and count_polls(folder) < args.sources:
                time.sleep(1)
            time.sleep(2)
            rss = rss_mb(proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
        figures["memory"].values.append(rss)
    figures["memory"].note = f"{args.sources} sources, after polling them all"


def count_polls(folder: Path) -> int:
    try:
        with sqlite3.connect(f"file:{folder / 'data' / 'feedhub.db'}?mode=ro", uri=True) as db:
            return db.execute("SELECT count(*) FROM sources WHERE last_poll IS NOT NULL"
                              ).fetchone()[0]
    except sqlite3.Error:
        return 0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_server(args: argparse.Namespace, work: Path, figures: dict[str, Figure]) -> None:
    folder = work / "server"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    port = free_port()
    config = write_config(folder, ["http://127.0.0.1:9/x"], port=port)
    public = folder / "data" / "public"
    public.mkdir(parents=True)
    (public / "all.atom").write_bytes(b"<feed>" + os.urandom(50_000).hex().encode() + b"</feed>")
    proc = subprocess.Popen([sys.executable, "-m", "feedhub", "serve", "-c", str(config)],
                            cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/all.atom"
    try:
        wait_up(url)
        for _ in range(args.runs):
            figures["server"].values.append(asyncio.run(load(url, args.requests, None)))
            figures["server 304"].values.append(asyncio.run(load(url, args.requests, "etag")))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def wait_up(url: str) -> None:
    import urllib.request

    for _ in range(100):
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


async def load(url: str, requests: int, conditional: str | None) -> float:
    """Requests/s from 32 concurrent aiohttp clients on loopback."""
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as first:
            etag = first.headers["ETag"]
            await first.read()
        headers = {"If-None-Match": etag} if conditional else {}
        queue = iter(range(requests))

        async def worker() -> None:
            for _ in queue:
                async with session.get(url, headers=headers) as response:
                    await response.read()
                    assert response.status == (304 if conditional else 200)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(32)))
        return requests / (time.perf_counter() - started)


def table(figures: dict[str, Figure]) -> str:
    f = figures
    rows: list[tuple[str, str, str, str]] = []

    def row(label: str, key: str, fmt: Callable[[float], str], ratio: str = "") -> None:
        fig = f[key]
        if fig.values:
            rows.append((label, fmt(fig.median), fig.spread(), ratio or fig.note))

    def times(a: str, b: str, inverse: bool = False) -> str:
        if not f[a].values or not f[b].values:
            return ""
        value = f[b].median / f[a].median if not inverse else f[a].median / f[b].median
        return f"{value:.1f}× reader's"

    def ratio(a: str, b: str, label: str) -> str:
        if not f[a].values or not f[b].values:
            return ""
        return f"{f[a].median / f[b].median:.2f}{label}"

    secs = lambda v: f"{v:.2f} s"  # noqa: E731
    row("cold ingest, wall: feedhub poll --no-publish", "cold", secs, f["cold"].note)
    row("cold ingest, wall: reader update_feeds", "reader", secs)
    if f["reader"].values:
        row("  feedhub speed-up (wall)", "cold", lambda _: times("cold", "reader"))
    if f["floor"].values:
        row("  floor: CPU that cannot be removed", "floor", secs, f["floor"].note)
        row("  floor: that over every core (wall)", "floor wall", secs,
            times("floor wall", "reader").replace("reader's", "reader's, at best"))
    row("cold ingest, CPU: feedhub", "cold cpu", secs, times("cold cpu", "reader cpu"))
    row("cold ingest, CPU: reader", "reader cpu", secs)
    row("cold ingest, entries/s: feedhub", "cold eps", lambda v: f"{v:.0f}",
        times("cold eps", "reader eps", inverse=True))
    row("cold ingest, entries/s: reader", "reader eps", lambda v: f"{v:.0f}")
    row("cold ingest, peak RSS: feedhub", "cold rss", lambda v: f"{v:.0f} MB")
    row("cold ingest, peak RSS: reader", "reader rss", lambda v: f"{v:.0f} MB")
    row("first publish of the farm (build)", "first publish", secs,
        ratio("first publish", "cold", "× the cold ingest"))
    row("  bytes it wrote", "first bytes", lambda v: f"{v:.0f} MB",
        ratio("first bytes", "farm bytes", "× the farm's bytes"))
    row("first feedhub poll, with publish", "first poll", secs,
        ratio("reader", "first poll", "× faster than reader's update_feeds"))
    row("warm re-poll (all 304)", "warm", lambda v: f"{v:.0f} feeds/s",
        f"{f['warm s'].median:.2f} s for the farm" if f["warm s"].values else "")
    row("re-poll, 10% changed", "tenth", lambda v: f"{v:.0f} feeds/s")
    if f["tenth bytes"].values and f["farm bytes"].values:
        day = f["tenth bytes"].median * 48
        row("  bytes it wrote", "tenth bytes", lambda v: f"{v:.1f} MB",
            f"a day of them (48, every 30 min): {day:.0f} MB, "
            f"{day / f['farm bytes'].median:.1f}× the farm's bytes")
    row("rebuild every merged feed, nothing changed", "build", secs)
    row("incremental publish, one new entry", "incremental", lambda v: f"{v:.0f} ms")
    row("daemon resident memory", "memory", lambda v: f"{v:.0f} MB")
    row("server, ~100 KB feed", "server", lambda v: f"{v:.0f} req/s")
    row("server, conditional (304)", "server 304", lambda v: f"{v:.0f} req/s")
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    head = ("figure", "median", "min–max", "ratio / note")
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=False)) + "  " + head[3]]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) + "  " + r[3]
              for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--entries-db", type=int, default=1_000_000)
    parser.add_argument("--sources", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--no-reader", action="store_true")
    parser.add_argument("--only", default="ingest,floor,incremental,memory,server",
                        help="which parts to run, comma-separated (default: all of them)")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "feedhub-bench")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    # feedhub's bytecode, compiled as `pip install` compiles it: from an editable checkout under
    # PYTHONDONTWRITEBYTECODE (as in the deploy/ files) every start would compile every module.
    compileall.compile_dir(ROOT / "src" / "feedhub", quiet=1)
    names = ["cold", "cold cpu", "cold eps", "cold rss", "first publish", "first bytes",
             "farm bytes", "first poll", "tenth bytes", "warm", "warm s",
             "tenth", "build", "reader", "reader cpu", "reader eps", "reader rss",
             "incremental", "memory", "server", "server 304", "floor", "floor wall"]
    figures = {n: Figure(n, "") for n in names}
    parts = set(args.only.split(","))
    if "ingest" in parts:
        bench_ingest(args, args.work, args.work / f"farm{args.feeds}", figures)
    if "floor" in parts:
        bench_floor(args, args.work, args.work / f"farm{args.feeds}", figures)
    if "incremental" in parts:
        bench_incremental(args, args.work, figures)
    if "memory" in parts:
        bench_memory(args, args.work, figures)
    if "server" in parts:
        bench_server(args, args.work, figures)
    print(table(figures))


if __name__ == "__main__":
    main()
