"""OPML in: the source tree of a subscription list, for ``feedhub opml import FILE``.

Reading accepts any OPML 1.0/2.0 subscription list and turns its folders into the source tree.
OPML files come from anywhere, so reading never expands an entity: a document whose DOCTYPE
declares one is refused before lxml sees it, because libxml2 substitutes internal entities
inside attribute values even with ``resolve_entities=False``.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from typing import TypeAlias
from urllib.parse import urlsplit
from xml.parsers import expat

from lxml import etree

from feedhub.errors import ConfigError
from feedhub.model import NodePath, path_str
from feedhub.paths import safe_segment
from feedhub.sanitize import safe_url

FeedTree: TypeAlias = dict[str, "str | FeedTree"]
"""A source tree as read from OPML: name -> feed URL (a leaf) or name -> subtree (a folder),
in document order; exactly the shape of ``sources:`` in config.yaml."""

DEFAULT_FOLDER = "Imported"
"""The folder for top-level feeds of an OPML file whose head has no title."""

_DECLARED_ENCODING = re.compile(
    rb"""^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z][\w.:-]*)["']""")
_POSITION = re.compile(r",? line \d+, column \d+\s*$")


def parse_opml(data: bytes, origin: str) -> FeedTree:
    """The source tree of an OPML 1.0/2.0 subscription list.

    Folders (outlines with child outlines) become inner nodes; an outline with ``xmlUrl`` is a
    leaf named by its ``text``, else ``title``, else the URL's host. Outlines with neither a
    feed nor feeds below them are ignored. Sibling names that would clash on disk get " (2)",
    " (3)" ...; feeds outside any folder go into one folder named after the file's head title
    (or "Imported"). An outline with both ``xmlUrl`` and children becomes a folder holding
    that feed (under the same name) followed by its children.

    Raises ``ConfigError`` with one line naming ``origin`` (and the line, when known) for
    malformed XML, a DOCTYPE that declares entities, a non-OPML document, a feed URL that is
    not http(s), or a file without any feed.
    """
    _refuse_entity_declarations(data, origin)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ConfigError(_syntax_message(origin, exc.lineno, exc.msg)) from None
    _refuse_entities_in(root, origin)
    if _local(root) != "opml":
        raise ConfigError(f"{origin}:{root.sourceline}: not an OPML file: the root element "
                          f"is <{_local(root)}>, not <opml>")
    body = next((el for el in _elements(root) if _local(el) == "body"), None)
    if body is None:
        raise ConfigError(f"{origin}: not an OPML file: it has no <body>")
    reader = _Reader(origin)
    top = reader.items(_outlines(body))
    if not top:
        raise ConfigError(f"{origin}: no feeds found (no outline has an xmlUrl)")
    return reader.level(_group_top_leaves(top, _head_title(root)), ())


class _RootReached(Exception):
    """The prolog has been read: stop scanning."""


class _EntityDeclared(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


def _refuse_entity_declarations(data: bytes, origin: str) -> None:
    """Read the prolog with expat, stopping at the root element, and refuse any entity
    declaration (internal, external, parameter or unparsed) before libxml2 could expand it."""
    try:
        _scan_prolog(data, None)
    except (ValueError, LookupError):
        # expat reads only UTF-8/16, ASCII and single-byte encodings; decode others here and
        # scan the same text as UTF-8 (the encoding override makes expat ignore the declaration).
        match = _DECLARED_ENCODING.match(data)
        name = match.group(1).decode("ascii") if match else "?"
        try:
            text = data.decode(codecs.lookup(name).name, errors="replace")
        except LookupError:
            raise ConfigError(f"{origin}:1: unknown or unsupported encoding {name!r}") from None
        try:
            _scan_prolog(text.encode("utf-8"), "utf-8")
        except expat.ExpatError as exc:
            raise ConfigError(_syntax_message(origin, exc.lineno, _expat_message(exc))) from None
        except _EntityDeclared as exc:
            raise _entity_error(origin, exc.line) from None
    except expat.ExpatError as exc:
        raise ConfigError(_syntax_message(origin, exc.lineno, _expat_message(exc))) from None
    except _EntityDeclared as exc:
        raise _entity_error(origin, exc.line) from None


def _scan_prolog(data: bytes, encoding: str | None) -> None:
    parser = expat.ParserCreate(encoding)

    def declared(*_args: object) -> None:
        raise _EntityDeclared(parser.CurrentLineNumber)

    def root(*_args: object) -> None:
        raise _RootReached

    parser.EntityDeclHandler = declared
    parser.UnparsedEntityDeclHandler = declared
    parser.StartElementHandler = root
    try:
        parser.Parse(data, True)
    except _RootReached:
        return


def _refuse_entities_in(root: etree._Element, origin: str) -> None:
    """Belt and braces after lxml: no declared entity and no entity reference got through."""
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise _entity_error(origin, None)
    for node in root.iter(etree.Entity):
        raise _entity_error(origin, node.sourceline)


def _entity_error(origin: str, line: int | None) -> ConfigError:
    where = f"{origin}:{line}" if line else origin
    return ConfigError(f"{where}: refused: the DOCTYPE declares entities, which OPML never "
                       f"needs (they can expand without bound)")


def _expat_message(exc: expat.ExpatError) -> str:
    return expat.ErrorString(exc.code) if exc.code else str(exc)


def _syntax_message(origin: str, line: int | None, message: str | None) -> str:
    text = " ".join((message or "invalid XML").split())
    text = _POSITION.sub("", text)
    where = f"{origin}:{line}" if line else origin
    return f"{where}: not well-formed XML: {text}"


def _local(element: etree._Element) -> str:
    return str(etree.QName(element).localname)


def _elements(parent: etree._Element) -> list[etree._Element]:
    return [el for el in parent if isinstance(el.tag, str)]


def _outlines(parent: etree._Element) -> list[etree._Element]:
    return [el for el in _elements(parent) if _local(el) == "outline"]


def _attr(element: etree._Element, name: str) -> str:
    """An attribute by case-insensitive name (``xmlUrl``, ``xmlurl``, ...), stripped."""
    for key, value in element.attrib.items():
        if etree.QName(key).localname.lower() == name:
            return str(value).strip()
    return ""


def _has_feed_below(element: etree._Element) -> bool:
    return any(_attr(el, "xmlurl") for el in element.iterdescendants()
               if isinstance(el.tag, str) and _local(el) == "outline")


def _head_title(root: etree._Element) -> str:
    for head in _elements(root):
        if _local(head) == "head":
            for el in _elements(head):
                if _local(el) == "title":
                    title = " ".join("".join(el.itertext()).split())
                    if title:
                        return title
    return DEFAULT_FOLDER


# An item before naming: (name, url) for a leaf, (name, [outline elements or leaf items]) for a
# folder.
_Item = tuple[str, "str | list[etree._Element | _Item]"]


def _group_top_leaves(items: list[_Item], folder: str) -> list[_Item]:
    """Top-level feeds go into one folder, placed where the first of them was."""
    out: list[_Item] = []
    group: list[etree._Element | _Item] | None = None
    for item in items:
        if isinstance(item[1], str):
            if group is None:
                group = []
                out.append((folder, group))
            group.append(item)
        else:
            out.append(item)
    return out


class _Reader:
    """Turns outlines into a ``FeedTree``, naming siblings uniquely the way config.py checks
    them: by their file name on disk, and by their ``a/b`` path across the whole tree."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.paths: set[str] = set()

    def items(self, elements: Iterable[etree._Element | _Item]) -> list[_Item]:
        out: list[_Item] = []
        for element in elements:
            if isinstance(element, tuple):
                out.append(element)
                continue
            url = _attr(element, "xmlurl")
            children = _outlines(element)
            has_feeds = bool(children) and _has_feed_below(element)
            if url:
                leaf: _Item = (self._leaf_name(element, url), self._checked(element, url))
                out.append((leaf[0], [leaf, *children]) if has_feeds else leaf)
            elif has_feeds:
                out.append((self._name(element) or "Untitled", children))
        return out

    def level(self, items: list[_Item], path: NodePath) -> FeedTree:
        tree: FeedTree = {}
        # A mapping with a 'url' key is a leaf in config.yaml, so no child may be named so.
        segments = {"url"} if path else set()
        for name, value in items:
            unique = self._unique(name, path, segments)
            if isinstance(value, str):
                tree[unique] = value
            else:
                tree[unique] = self.level(self.items(value), (*path, unique))
        return tree

    def _unique(self, name: str, path: NodePath, segments: set[str]) -> str:
        candidate, n = name, 1
        while (safe_segment(candidate) in segments
               or path_str((*path, candidate)) in self.paths):
            n += 1
            candidate = f"{name} ({n})"
        segments.add(safe_segment(candidate))
        self.paths.add(path_str((*path, candidate)))
        return candidate

    @staticmethod
    def _name(element: etree._Element) -> str:
        return _attr(element, "text") or _attr(element, "title")

    def _leaf_name(self, element: etree._Element, url: str) -> str:
        return self._name(element) or urlsplit(url).hostname or url

    def _checked(self, element: etree._Element, url: str) -> str:
        if safe_url(url) is None:
            name = self._name(element)
            label = f"outline {name!r}: " if name else ""
            raise ConfigError(f"{self.origin}:{element.sourceline}: {label}{url!r} is not "
                              f"an http(s) feed URL")
        return url
