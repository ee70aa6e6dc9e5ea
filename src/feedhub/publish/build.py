"""Which outputs to write after a poll or a rebuild, and writing them."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from feedhub.config import Config
from feedhub.model import FeedNode, path_str
from feedhub.paths import feed_file, url_for
from feedhub.publish.atom import FeedInfo, render_atom
from feedhub.publish.files import write_if_changed
from feedhub.store import Store


@dataclass
class PublishReport:
    """What a publish run wrote."""

    written: list[Path] = field(default_factory=list)
    unchanged: int = 0
    elapsed_ms: int = 0


def feed_title(config: Config, node: FeedNode) -> str:
    """``hub`` for the all-feed, ``topic / site — hub`` below it."""
    if not node.path:
        return config.title
    return f"{' / '.join(node.path)} — {config.title}"


def feed_info(config: Config, node: FeedNode) -> FeedInfo:
    return FeedInfo(
        node=node.path,
        title=feed_title(config, node),
        self_url=url_for(config.base_url, feed_file(node.path)),
        alternate_url=config.base_url,
        hub_title=config.title,
        base_url=config.base_url,
    )


def publish(config: Config, store: Store, nodes: Iterable[str] | None = None) -> PublishReport:
    """Write the merged feeds of ``nodes`` (keys as in ``path_str``), or of every node.

    Files whose bytes would not change are not touched.
    """
    started = time.monotonic()
    tree = {path_str(n.path): n for n in config.nodes}
    chosen = list(tree.values()) if nodes is None else [tree[k] for k in nodes if k in tree]
    report = PublishReport()
    for node in chosen:
        entries = store.entries_for_node(node.path, config.publish.entries)
        data = render_atom(feed_info(config, node), entries)
        target = config.output / feed_file(node.path)
        if write_if_changed(target, data):
            report.written.append(target)
        else:
            report.unchanged += 1
    report.elapsed_ms = int((time.monotonic() - started) * 1000)
    return report
