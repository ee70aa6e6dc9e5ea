"""Markdown posts for a static site generator, in the format of the system feedhub replaces.

The format is fixed by ``../shared/examples/ngbj-post.md`` (a Hexo post for the Volantis theme):
a blank line, YAML front matter between ``---`` lines with the keys in a fixed order, a blank
line, then the entry's HTML inside ``<div>``. Values are written so that any YAML parser reads
back exactly the entry's values; braces in the body are escaped for Nunjucks.
"""

from __future__ import annotations

import hashlib
import re
from email.utils import format_datetime
from pathlib import PurePosixPath

import ruamel.yaml
import yaml

from feedhub.model import NodePath, StoredEntry
from feedhub.paths import safe_segment

_YAML12 = ruamel.yaml.YAML(typ="safe", pure=True)
_BLANK_LINE = re.compile(r"^[ \t]*$", re.MULTILINE)
MAX_NAME_BYTES = 200  # file names are limited to 255 bytes; CJK titles take 3 bytes a character


def _single_quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _scalar(value: str) -> str:
    """``value`` as written in the example (plain) when YAML 1.1 (PyYAML) and YAML 1.2
    (ruamel; Hexo's js-yaml is 1.2 too) both read it back unchanged, else single-quoted: a
    name like ``yes``, ``2024``, ``1e3`` or ``a: b`` must stay a string."""
    if value and value == value.strip() and "\n" not in value:
        document = f"k: {value}"
        try:
            if (yaml.safe_load(document) == {"k": value}
                    and _YAML12.load(document) == {"k": value}):
                return value
        except (yaml.YAMLError, ruamel.yaml.YAMLError):
            pass
    return _single_quoted(value)


def render_post(entry: StoredEntry, path: NodePath) -> str:
    """The post's text. ``path`` is the node path the post is filed under (its categories)."""
    lines = ["", "---", f"title: {_single_quoted(entry.title)}", "categories: "]
    lines += [f" - {_scalar(name)}" for name in path]
    if entry.thumbnail:
        lines.append(f"headimg: {_single_quoted(entry.thumbnail)}")
    lines += [
        f"author: {_scalar(entry.author)}",
        "comments: false",
        f"date: {format_datetime(entry.published, usegmt=True)}",
    ]
    if entry.thumbnail:
        lines.append(f"thumbnail: {_single_quoted(entry.thumbnail)}")
    body = (entry.content or entry.summary).strip()
    # Hexo renders posts through Nunjucks: braces would be taken as template tags.
    body = body.replace("{", "&#123;").replace("}", "&#125;")
    # A blank line would end Markdown's HTML block, and text after it would be read as
    # Markdown (where [x](javascript:...) is a link). A lone space entity keeps such a line
    # visually blank, inside <pre> too, without ending the block.
    body = _BLANK_LINE.sub("&#32;", body)
    lines += ["---", "", "<div>   ", body, "</div>", ""]
    return "\n".join(lines)


def post_name(title: str, atom_id: str, taken: bool) -> str:
    """The file name of a post: its title made path-safe, cut to fit a file system.

    ``taken`` says another entry already has the plain name; this one then gets a suffix from
    its id, so two entries with one title never overwrite each other.
    """
    stem = safe_segment(title)
    encoded = stem.encode("utf-8")
    if len(encoded) > MAX_NAME_BYTES:
        stem = encoded[:MAX_NAME_BYTES].decode("utf-8", errors="ignore").rstrip()
    if taken:
        stem += "-" + hashlib.sha256(atom_id.encode("utf-8")).hexdigest()[:8]
    return f"{stem}.md"


def post_folder(path: NodePath) -> PurePosixPath:
    """The folder of a node's posts: its names made path-safe."""
    return PurePosixPath(*(safe_segment(name) for name in path))
