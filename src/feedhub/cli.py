"""The command line: parses arguments and calls one function per command; the steps of a
command are the :class:`~feedhub.hub.Hub`'s.

Exit status: 0 fine, 1 user error (bad config, unknown path, database busy), 2 usage.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import signal
import sys
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from feedhub import __version__
from feedhub.config import Config, database_of, default_config_path, load_config, parse_config
from feedhub.errors import ConfigError, FeedhubError
from feedhub.hub import Hub
from feedhub.model import PollOutcome
from feedhub.poller import Skip
from feedhub.progress import reporting
from feedhub.publish.build import PublishReport
from feedhub.publish.files import output_bytes
from feedhub.publish.plan import changes_of
from feedhub.states import GONE
from feedhub.store import Store, iso
from feedhub.store_thread import StoreThread

# The daemon, the server and the OPML and WebSub modules are imported by the commands that use
# them: a `poll` run from cron must start fast, and they would double its start-up time.


# SQLite's page cache for the one-shot poll and build: a first poll stores hundreds of MB, and
# with the default 2 MiB the indexes it updates fall out of the cache between entries (storing
# the benchmark farm cost 12% more CPU).
BATCH_CACHE_MIB = 64


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="feedhub", description="Aggregate a tree of feeds into merged feeds for every node.")
    parser.add_argument("--version", action="version", version=f"feedhub {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("-c", "--config", type=Path, default=None,
                       help="the config file (default: $FEEDHUB_CONFIG or ./config.yaml)")
        return p

    command("run", "run the daemon: poll on schedule, publish, and serve")
    poll = command("poll", "poll now (all sources, or those under PATHs), then publish")
    poll.add_argument("paths", nargs="*", metavar="PATH",
                      help="a node path such as 新媒体/鸟哥笔记")
    poll.add_argument("--no-publish", action="store_true",
                      help="only fetch and store; a later build (or the daemon) publishes")
    command("build", "rewrite every output from the database")
    command("serve", "serve the output folder only")
    command("check", "validate the config file")
    status = command("status", "one row per source: state, last poll, next poll, entries, error")
    status.add_argument("--json", action="store_true", help="print JSON instead of a table")
    opml_cmd = sub.add_parser("opml", help="sources in and out as OPML 2.0, keeping the tree",
                              description="sources in and out as OPML 2.0, keeping the tree")
    opml_sub = opml_cmd.add_subparsers(dest="opml_command", required=True, metavar="ACTION")
    importing = opml_sub.add_parser("import", help="add the feeds of an OPML file to the config")
    importing.add_argument("file", type=Path, metavar="FILE")
    opml_sub.add_parser("export", help="print the sources as OPML 2.0")
    for p in (importing, opml_sub.choices["export"]):
        p.add_argument("-c", "--config", type=Path, default=None,
                       help="the config file (default: $FEEDHUB_CONFIG or ./config.yaml)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``feedhub`` command."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    try:
        file = args.config or default_config_path()
        if args.command == "status":
            return cmd_status(file, args.json)  # it also works while the file is broken
        config = load_config(file)
        handlers: dict[str, Callable[[Config], int]] = {
            "run": _run, "poll": lambda c: cmd_poll(c, args.paths, not args.no_publish),
            "build": cmd_build, "serve": cmd_serve, "check": cmd_check,
            "opml": lambda c: cmd_opml(c, args.opml_command, getattr(args, "file", None))}
        handler = handlers[args.command]
        return handler(config)
    except FeedhubError as exc:
        print(f"feedhub: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _run(config: Config) -> int:
    from feedhub.daemon import run_daemon

    return run_daemon(config)


def cmd_check(config: Config) -> int:
    nodes = len(config.nodes) - 1
    print(f"{config.file}: ok, {len(config.sources)} sources, {nodes} nodes")
    return 0


def cmd_poll(config: Config, paths: Sequence[str], publishing: bool = True) -> int:
    sources = [s for s in config.select(list(paths)) if s.enabled]
    hub = Hub(config, cache_mib=BATCH_CACHE_MIB)

    async def poll() -> tuple[list[PollOutcome], list[Skip], PublishReport | None]:
        regrouped = await hub.sync(datetime.now(UTC))
        with reporting("poll", "sources", sys.stderr) as progress:
            outcomes, skipped = await hub.poll(sources, progress)
        if not publishing:
            return outcomes, skipped, None
        changes = changes_of(outcomes)
        with reporting("publish", "documents", sys.stderr) as progress:
            report = await hub.publish(dataclasses.replace(
                changes, nodes=changes.nodes | regrouped, directory=True), progress)
        return outcomes, skipped, report

    try:
        outcomes, skipped, report = asyncio.run(poll())
    finally:
        hub.close()
    failed = [o for o in outcomes if o.error]
    new = sum(o.new for o in outcomes)
    updated = sum(o.updated for o in outcomes)
    written = "not published" if report is None else f"{len(report.written)} feeds written"
    print(f"polled {len(outcomes)} sources: {new} new, {updated} updated, {len(failed)} failed, "
          f"{len(skipped)} skipped; {written}")
    return 0


def cmd_build(config: Config) -> int:
    hub = Hub(config, cache_mib=BATCH_CACHE_MIB)

    async def build() -> PublishReport:
        await hub.sync(datetime.now(UTC))
        with reporting("build", "documents", sys.stderr) as progress:
            return await hub.publish(None, progress)

    try:
        report = asyncio.run(build())
    finally:
        hub.close()
    print(f"built {len(report.written) + report.unchanged} feeds "
          f"({len(report.written)} written) in {report.elapsed_ms} ms")
    return 0


def cmd_serve(config: Config) -> int:
    from feedhub.health import answer
    from feedhub.metrics import Metrics
    from feedhub.server import make_app, start_server

    store = Store.for_base_url(config.database, config.base_url)
    db = StoreThread(store)

    metrics = Metrics()

    async def health() -> tuple[int, dict[str, Any]]:
        # No scheduler here to stall: the verdict rests on the sources' states.
        return answer(await db.call(store.meta.facts), datetime.now(UTC))

    async def refresh() -> None:
        facts = await db.call(store.meta.facts)
        await asyncio.to_thread(metrics.refresh, facts, config.database, config.output)

    async def serve() -> None:
        runner = await start_server(make_app(config.output, health, metrics, refresh),
                                    config.server.host, config.server.port)
        logging.getLogger("feedhub").info("serving %s on http://%s:%d/", config.output,
                                          config.server.host, config.server.port)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()

    try:
        asyncio.run(serve())
    finally:
        db.close()
    return 0


def cmd_status(file: Path, as_json: bool) -> int:
    """One row per source. While ``file`` is invalid, the sources of the last good config
    (kept in the database by ``run``, ``poll`` and ``build``) follow a line naming the error."""
    try:
        config = load_config(file)
        database, broken = config.database, None
    except ConfigError as exc:
        database, broken = database_of(file), exc
        if not database.exists():
            raise _nothing_good(exc, database) from None
    store = Store(database)
    try:
        if broken is not None:
            config = _good_config(store, file, broken)
        rows = store.sources.status(config.sources)
    finally:
        store.close()
    if as_json:
        print(json.dumps([{**dataclasses.asdict(r), "message": r.message} for r in rows],
                         ensure_ascii=False, indent=2))
        return 0
    header = ("SOURCE", "STATE", "LAST POLL", "NEXT POLL", "ENTRIES", "MESSAGE")
    table = [header] + [
        (r.source_id, r.state, r.last_poll or "-",
         "-" if r.state == GONE else r.next_poll or "-", str(r.entries), r.message)
        for r in rows]
    widths = [max(_width(row[i]) for row in table) for i in range(len(header) - 1)]
    for row in table:
        cells = [c + " " * (w - _width(c)) for c, w in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]).rstrip())
    print(f"\noutput: {config.output}: {output_bytes(config.output) / 1e6:,.1f} MB"
          + (f" (publish.max_bytes {config.publish.max_bytes / 1e6:,.0f} MB)"
             if config.publish.max_bytes else ""))
    return 0


def _good_config(store: Store, file: Path, error: ConfigError) -> Config:
    """The last good config in ``store``, after a line on stderr saying what is wrong with
    ``file``; ConfigError when the database holds none."""
    good = store.meta.good_config()
    try:
        config = parse_config(good.text, file) if good is not None else None
    except ConfigError:
        config = None  # stored by a feedhub that accepted what this one refuses
    if good is None or config is None:
        raise _nothing_good(error, store.path)
    print(f"feedhub: {error} (showing the last good config, loaded at {iso(good.loaded_at)})",
          file=sys.stderr, flush=True)
    return config


def _nothing_good(error: ConfigError, database: Path) -> ConfigError:
    return ConfigError(f"{error} (and {database} holds no earlier good version of it)")


def cmd_opml(config: Config, action: str, file: Path | None) -> int:
    from feedhub.configedit import merge_sources
    from feedhub.opml_reader import parse_opml
    from feedhub.publish import opml

    if action == "export":
        sys.stdout.write(opml.render_sources_opml(config.title, config.tree).decode("utf-8"))
        return 0
    assert file is not None
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read: {exc.strerror}") from None
    report = merge_sources(config.file, parse_opml(data, str(file)))
    for path in report.added:
        print(f"added {path}")
    for path in report.skipped:
        print(f"skipped {path}: already in {config.file}")
    print(f"{len(report.added)} sources added to {config.file}, {len(report.skipped)} skipped")
    return 0


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
