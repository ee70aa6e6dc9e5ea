"""Adding sources to config.yaml without losing the user's comments, order or formatting.

ruamel.yaml edits the document in place (round trip); the result is validated as a whole
before it replaces the file, so a bad edit never replaces a good config.
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from feedhub.config import load_config
from feedhub.errors import ConfigError
from feedhub.opml_reader import FeedTree
from feedhub.publish.files import write_if_changed


@dataclass(frozen=True, slots=True)
class MergeReport:
    added: list[str]  # paths of the new sources
    skipped: list[str]  # paths whose URL the config already polls, or whose place is taken


def merge_sources(config_file: Path, tree: FeedTree) -> MergeReport:
    """Add every leaf of ``tree`` to the config's ``sources`` that it does not already poll."""
    config = load_config(config_file)  # the current file must be valid to begin with
    known_urls = {s.url for s in config.sources}
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    document = yaml.load(config_file.read_text(encoding="utf-8"))
    sources = document.setdefault("sources", CommentedMap())
    added: list[str] = []
    skipped: list[str] = []
    _merge(sources, tree, (), known_urls, added, skipped)
    if not added:
        return MergeReport(added, skipped)
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    text = buffer.getvalue()
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", dir=config_file.parent,
                                     encoding="utf-8", delete=True) as candidate:
        candidate.write(text)
        candidate.flush()
        try:
            load_config(Path(candidate.name))
        except ConfigError as exc:
            raise ConfigError(f"{config_file}: importing would make the config invalid "
                              f"({exc}); nothing was changed") from None
    write_if_changed(config_file, text.encode("utf-8"))
    return MergeReport(added, skipped)


def _merge(target: Any, tree: FeedTree, path: tuple[str, ...], known: set[str],
           added: list[str], skipped: list[str]) -> None:
    for name, value in tree.items():
        where = "/".join((*path, name))
        if isinstance(value, str):
            if value in known or name in target:
                skipped.append(where)
            else:
                target[name] = value
                known.add(value)
                added.append(where)
            continue
        existing = target.get(name)
        if existing is not None and (not isinstance(existing, dict) or "url" in existing):
            skipped.append(where)  # a leaf already stands where the folder would go
            continue
        folder = existing if existing is not None else CommentedMap()
        before = len(added)
        _merge(folder, value, (*path, name), known, added, skipped)
        if existing is None and len(added) > before:
            target[name] = folder
