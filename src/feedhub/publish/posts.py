"""Markdown posts for a static site generator, in the format of the system feedhub replaces.

The format is fixed by ``../shared/examples/ngbj-post.md`` (a Hexo post for the Volantis theme):
a blank line, YAML front matter between ``---`` lines with the keys in a fixed order, a blank
line, then the entry's HTML inside ``<div>``. Values are written so that any YAML parser reads
back exactly the entry's values; braces in the body are escaped for Nunjucks.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from email.utils import format_datetime
from pathlib import PurePosixPath

import ruamel.yaml
import ruamel.yaml.error
import yaml

from feedhub.model import NodePath, StoredEntry

_YAML12 = ruamel.yaml.YAML(typ="safe", pure=True)
_BLANK_LINE = re.compile(r"^[ \t]*$", re.MULTILINE)
# Well under the 255 bytes a file name may take (CJK takes 3 bytes a character): about 33 CJK
# characters or 100 Latin letters, and the permalink Hexo derives from it stays readable.
MAX_NAME_BYTES = 100
_APOSTROPHES = str.maketrans("", "", "'’")  # "it's" reads as "its", not "it-s"
_WINDOWS_DEVICES = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                              *(f"lpt{i}" for i in range(1, 10))})


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
        except (yaml.YAMLError, ruamel.yaml.error.YAMLError):
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


def slug(text: str, max_bytes: int = MAX_NAME_BYTES) -> str:
    """``text`` as a file name that is safe in a URL and on every file system, still readable.

    Letters, marks and digits of any script are kept (after NFKC, so full-width ``Ａ１`` reads
    as ``a1``), lower-cased because Windows and macOS fold case and two names must not meet
    there; every run of anything else (spaces, punctuation, symbols, emoji) becomes one ``-``.
    What is left cannot hold ``? # % /`` (URL syntax), ``: * " < > | \\`` (Windows), a leading
    ``.`` or ``_`` (hidden for Hexo) or a trailing dot. It is cut to ``max_bytes`` of UTF-8,
    and Windows' device names (``con``, ``nul``, ``com1`` …) get a ``_``. It may be empty.
    """
    folded = unicodedata.normalize("NFKC", text).lower().translate(_APOSTROPHES)
    kept = "".join(c if unicodedata.category(c)[0] in "LMN" else " " for c in folded)
    stem = "-".join(kept.split())
    encoded = stem.encode("utf-8")
    if len(encoded) > max_bytes:
        stem = encoded[:max_bytes].decode("utf-8", errors="ignore").rstrip("-")
    return f"{stem}_" if stem in _WINDOWS_DEVICES else stem


def post_name(title: str, atom_id: str, taken: bool) -> str:
    """The file name of a new post: its title's :func:`slug`.

    ``taken`` says another entry already has that name in the folder; this one then gets a
    suffix from its id, so two entries with one title never overwrite each other. A title with
    nothing to keep (all emoji, all punctuation) is named by its id alone.
    """
    stem = slug(title)
    digest = hashlib.sha256(atom_id.encode("utf-8")).hexdigest()[:8]
    if not stem:
        return f"{digest}.md"
    return f"{stem}-{digest}.md" if taken else f"{stem}.md"


def post_folder(path: NodePath) -> PurePosixPath:
    """The folder of a node's posts: each name's :func:`slug` (Hexo puts the folders in the
    post's permalink), or ``-`` for a name with nothing to keep."""
    return PurePosixPath(*(slug(name) or "-" for name in path))
