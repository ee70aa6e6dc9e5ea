"""Where each node's outputs live on disk and on the web. Pure functions."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from urllib.parse import quote

from feedhub.model import NodePath

_UNSAFE = re.compile(r"[/\\\x00-\x1f\x7f]")


def safe_segment(name: str) -> str:
    """A node name made safe as one path segment, keeping its Unicode.

    Slashes, backslashes and control characters become ``-``; so do leading dots, which would
    otherwise hide the file or walk up the tree.
    """
    segment = _UNSAFE.sub("-", name).strip()
    stripped = segment.lstrip(".")
    segment = "-" * (len(segment) - len(stripped)) + stripped
    return segment or "-"


def feed_file(path: NodePath, ext: str = "atom") -> PurePosixPath:
    """The output file of a node's merged feed, relative to the output folder."""
    if not path:
        return PurePosixPath(f"all.{ext}")
    *parents, leaf = (safe_segment(name) for name in path)
    return PurePosixPath("feeds", *parents, f"{leaf}.{ext}")


def url_for(base_url: str, relative: PurePosixPath | str) -> str:
    """The public URL of an output file: ``base_url`` plus the percent-encoded UTF-8 path."""
    return base_url + quote(str(relative), safe="/")


def feed_title(hub_title: str, path: NodePath) -> str:
    """A merged feed's title: the hub's for the all-feed, ``topic / site — hub`` below it."""
    return f"{' / '.join(path)} — {hub_title}" if path else hub_title
