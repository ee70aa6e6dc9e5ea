"""Read and validate config.yaml into immutable, typed settings and a tree of sources.

Every error is one line naming the file, the line and the key, e.g.
``config.yaml:14: polling.interval: '3x' is not a duration (use e.g. 30s, 5m, 2h, 1d)``.
"""

from __future__ import annotations

import ipaddress
import os
import re
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from feedhub.errors import ConfigError, UnknownPathError
from feedhub.filters import check_rule
from feedhub.model import FeedNode, NodePath, Source, path_str
from feedhub.paths import safe_segment
from feedhub.sanitize import safe_url
from feedhub.units import parse_duration, parse_size

Duration = Annotated[float, BeforeValidator(parse_duration)]
Size = Annotated[int, BeforeValidator(parse_size)]


def _duration_or_zero(value: object) -> float:
    """A duration, or 0 for 'no limit'."""
    return 0.0 if value in (0, "0") else parse_duration(value)


Limit = Annotated[float, BeforeValidator(_duration_or_zero)]


def _size_or_zero(value: object) -> int:
    """A size, or 0 for 'no limit'."""
    return 0 if value in (0, "0") else parse_size(value)

FORMATS = ("atom", "rss", "json")
MAX_NAME_BYTES = 200  # a node's name becomes a file name (plus ".atom", ".rss.gz")


_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")


def _language(value: str | None) -> str | None:
    if value is not None and not _LANGUAGE_TAG.match(value):
        raise ValueError(f"{value!r} is not a language tag (use e.g. zh, zh-CN, en)")
    return value


def _timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not a time zone (use an IANA name such as "
                         "Asia/Shanghai, Europe/Berlin or UTC)") from None
    return value


def _http_url(value: str) -> str:
    if safe_url(value) != value:
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ServerSettings(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)


class PollingSettings(_Strict):
    interval: Duration = 1800.0
    min_interval: Duration = 300.0
    concurrency: int = Field(16, ge=1, le=1024)
    per_host: int = Field(2, ge=1, le=64)
    timeout: Duration = 20.0
    max_bytes: Size = 10 * 10**6
    max_redirects: int = Field(5, ge=0, le=20)
    # true: any address; a list of networks (10.0.0.0/8, 192.168.1.5): only those private ones.
    allow_private: bool | tuple[str, ...] = False

    @field_validator("allow_private")
    @classmethod
    def _networks(cls, value: bool | tuple[str, ...]) -> bool | tuple[str, ...]:
        if isinstance(value, tuple):
            for net in value:
                try:
                    ipaddress.ip_network(net, strict=False)
                except ValueError:
                    raise ValueError(f"{net!r} is not an IP address or network") from None
        return value

    @property
    def private_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """The private networks sources may reach (empty when all or none are allowed)."""
        if isinstance(self.allow_private, bool):
            return ()
        return tuple(ipaddress.ip_network(n, strict=False) for n in self.allow_private)


class PublishSettings(_Strict):
    entries: int = Field(50, ge=1, le=10000)
    formats: tuple[str, ...] = ("atom", "rss", "json")
    websub_hub: str | None = None  # a WebSub hub to advertise (rel=hub) and ping on changes
    # Which nodes keep RFC 5005 archive pages: every node, the sources only, or none.
    archive: Literal["all", "routes", "none"] = "all"
    # A .gz sibling of each subscription document, index and OPML file, for a front server's
    # gzip_static; feedhub's own server compresses on the fly without them.
    gzip: bool = False
    # A bound on the output folder: the oldest archive pages go first (0: no bound).
    max_bytes: Annotated[int, BeforeValidator(_size_or_zero)] = 0

    @field_validator("websub_hub")
    @classmethod
    def _hub(cls, value: str | None) -> str | None:
        return _http_url(value) if value else None

    @field_validator("formats")
    @classmethod
    def _known_formats(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [f for f in value if f not in FORMATS]
        if unknown:
            raise ValueError(f"unknown format {unknown[0]!r} (known: {', '.join(FORMATS)})")
        # Atom is always written: it carries the archive links and the full history.
        return ("atom", *(f for f in dict.fromkeys(value) if f != "atom"))


class RetentionSettings(_Strict):
    """How long entries are kept; 0 means no limit. Entries still in the feed are always kept."""

    max_age: Limit = 180 * 86400.0
    max_entries: int = Field(5000, ge=0)


class _LeafRetention(_Strict):
    max_age: Limit | None = None
    max_entries: int | None = Field(None, ge=0)


class _Settings(_Strict):
    title: str = "feedhub"
    base_url: str = "http://127.0.0.1:8080/"
    # The index page's language (its words and <html lang>); None: the sources' own.
    language: Annotated[str | None, BeforeValidator(_language)] = None
    timezone: Annotated[str, BeforeValidator(_timezone)] = "UTC"  # of the index page's times
    database: str = "data/feedhub.db"
    output: str = "data/public"
    posts: str | None = "data/posts"
    server: ServerSettings = ServerSettings()
    polling: PollingSettings = PollingSettings()
    publish: PublishSettings = PublishSettings()
    retention: RetentionSettings = RetentionSettings()
    sources: Any = None

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        _http_url(value)
        return value if value.endswith("/") else value + "/"


class _Leaf(_Strict):
    url: str
    interval: Duration | None = None
    author: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    enabled: bool = True
    retention: _LeafRetention = _LeafRetention()

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value)

    @field_validator("include", "exclude")
    @classmethod
    def _rules(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_rule(rule) for rule in value)


@dataclass(frozen=True, slots=True)
class Config:
    """The whole validated configuration; paths are absolute."""

    file: Path
    title: str
    base_url: str
    language: str | None
    timezone: str
    database: Path
    output: Path
    posts: Path | None
    server: ServerSettings
    polling: PollingSettings
    publish: PublishSettings
    tree: FeedNode
    text: str  # the file as it was read, stored as the last good config (cli.py, daemon.py)

    @property
    def sources(self) -> list[Source]:
        """Every leaf source, in file order."""
        return [n.source for n in self.tree.walk() if n.source is not None]

    @property
    def nodes(self) -> list[FeedNode]:
        """Every node of the tree, the root (the all-feed) first."""
        return self.tree.walk()

    def select(self, paths: list[str]) -> list[Source]:
        """The sources under the given ``a/b`` paths (all of them when none are given)."""
        if not paths:
            return self.sources
        by_path = {path_str(n.path): n for n in self.nodes}
        chosen: dict[str, Source] = {}
        for raw in paths:
            node = by_path.get(raw.strip("/"))
            if node is None:
                raise UnknownPathError(f"{self.file}: no node {raw!r} in the source tree")
            for sub in node.walk():
                if sub.source is not None:
                    chosen[sub.source.id] = sub.source
        return list(chosen.values())


def default_config_path() -> Path:
    """``$FEEDHUB_CONFIG`` when set, else ``./config.yaml``."""
    return Path(os.environ.get("FEEDHUB_CONFIG") or "config.yaml")


class _Located:
    """Line numbers of every key in the YAML document, by key path."""

    def __init__(self, file: Path) -> None:
        self.file = file
        self.lines: dict[tuple[str, ...], int] = {}

    def error(self, keys: tuple[Any, ...], message: str) -> ConfigError:
        keys = tuple(str(k) for k in keys)
        line = None
        for n in range(len(keys), -1, -1):
            if keys[:n] in self.lines:
                line = self.lines[keys[:n]]
                break
        where = f"{self.file}:{line}" if line else str(self.file)
        key = ".".join(keys)
        return ConfigError(f"{where}: {key}: {message}" if key else f"{where}: {message}")

    def index(self, node: yaml.Node, keys: tuple[str, ...]) -> None:
        """Record key lines and refuse duplicate keys, which YAML loaders silently merge."""
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                name = str(key_node.value)
                if name in seen:
                    line = key_node.start_mark.line + 1
                    where = ".".join((*keys, name))
                    raise ConfigError(f"{self.file}:{line}: {where}: duplicate key")
                seen.add(name)
                self.lines[(*keys, name)] = key_node.start_mark.line + 1
                self.index(value_node, (*keys, name))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.lines[(*keys, str(i))] = item.start_mark.line + 1
                self.index(item, (*keys, str(i)))


def load_config(file: Path | str | None = None) -> Config:
    """Read, validate and resolve the configuration; raise ConfigError with one clear line."""
    path = Path(file) if file is not None else default_config_path()
    return parse_config(read_config_text(path), path)


def read_config_text(path: Path) -> str:
    """The text of the config file; ConfigError when it is missing or unreadable."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file (give one with -c or FEEDHUB_CONFIG)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None


def parse_config(text: str, path: Path) -> Config:
    """Validate and resolve config ``text`` as the file ``path`` (which errors name, and which
    relative paths are relative to)."""
    loc = _Located(path)
    try:
        loader = _LOADER(text)
        try:
            root = loader.get_single_node()
            if root is None:
                raise ConfigError(f"{path}: the file is empty")
            loc.index(root, ())
            data = loader.construct_document(root)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(f"{path}{line}: invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: the top level must be a mapping of settings")
    try:
        settings = _Settings.model_validate(data)
    except ValidationError as exc:
        raise _first_error(loc, (), exc) from None

    base = path.resolve().parent
    sources_node = next((v for k, v in root.value if k.value == "sources"), None)
    if not isinstance(sources_node, yaml.MappingNode) or not sources_node.value:
        raise loc.error(("sources",), "must be a non-empty tree of topics, sites and routes")
    children = _build_children(loc, sources_node, (), settings, {})
    return Config(
        file=path,
        title=settings.title,
        base_url=settings.base_url,
        language=settings.language,
        timezone=settings.timezone,
        database=_resolve(base, settings.database),
        output=_resolve(base, settings.output),
        posts=_resolve(base, settings.posts) if settings.posts else None,
        server=settings.server,
        polling=settings.polling,
        publish=settings.publish,
        tree=FeedNode(path=(), children=children),
        text=text,
    )


def database_of(path: Path) -> Path:
    """The database a config file names, read leniently: the file may be invalid (its last good
    version is in that database). Its top-level ``database`` value when the YAML, or else that
    line alone, can be read; otherwise the default, ``data/feedhub.db`` beside the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = ""
    value = _lenient_database(text)
    if not isinstance(value, str) or not value:
        value = _Settings.model_fields["database"].default
    return _resolve(path.resolve().parent, value)


def _lenient_database(text: str) -> object:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        # A YAML syntax error elsewhere (a tab, an unclosed quote) leaves this line readable.
        line = next((ln for ln in text.splitlines() if ln.startswith("database:")), "")
        try:
            data = yaml.safe_load(line)
        except yaml.YAMLError:
            return None
    return data.get("database") if isinstance(data, dict) else None


# libyaml's loader where PyYAML was built with it: the same nodes and marks, several times
# faster on a config of hundreds of sources (it is read at every start and reload).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _resolve(base: Path, value: str) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else base / p


def _first_error(loc: _Located, prefix: tuple[str, ...], exc: ValidationError) -> ConfigError:
    err = exc.errors()[0]
    keys = (*prefix, *(str(k) for k in err["loc"]))
    message = err["msg"]
    if err["type"] == "extra_forbidden":
        message = "unknown key"
    elif err["type"] == "missing":
        message = "required key is missing"
    elif message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    return loc.error(keys, message)


def _construct(node: yaml.Node) -> Any:
    """The Python value of one YAML node, typed as YAML types it (numbers, booleans, ...)."""
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _build_children(loc: _Located, node: yaml.MappingNode, path: NodePath,
                    settings: _Settings, taken: dict[str, NodePath]) -> tuple[FeedNode, ...]:
    """Walk one mapping of the tree from the raw YAML nodes, so a name like ``01`` or ``on``
    stays exactly the string the user wrote."""
    children: list[FeedNode] = []
    segments: dict[str, str] = {}
    for key_node, value_node in node.value:
        name = str(key_node.value).strip()
        child_path = (*path, name)
        keys = ("sources", *child_path)
        if not name:
            raise loc.error(keys, "a node name cannot be empty")
        segment = safe_segment(name)
        if len(segment.encode("utf-8")) > MAX_NAME_BYTES:
            raise loc.error(keys, f"the name is longer than {MAX_NAME_BYTES} bytes, which file "
                                  "systems cannot hold as a file name")
        if segment in segments:
            raise loc.error(keys, f"clashes with sibling {segments[segment]!r}: both are "
                                  f"written as {segment!r} on disk")
        segments[segment] = name
        joined = path_str(child_path)
        if joined in taken:
            # A name containing '/' would make command-line paths ambiguous.
            raise loc.error(keys, f"the path {joined!r} also names {taken[joined]!r}")
        taken[joined] = child_path
        is_mapping = isinstance(value_node, yaml.MappingNode)
        raw_keys = {str(k.value) for k, _ in value_node.value} if is_mapping else set()
        if isinstance(value_node, yaml.ScalarNode) and value_node.tag.endswith(":str"):
            try:
                leaf = _Leaf(url=value_node.value)
            except ValidationError:
                raise loc.error(keys, f"{value_node.value!r} is not an http(s) URL") from None
            children.append(FeedNode(child_path, source=_source(child_path, leaf, settings)))
        elif is_mapping and "url" in raw_keys:
            value = _construct(value_node)
            leaf = _validate_leaf(loc, keys, {str(k): v for k, v in value.items()})
            children.append(FeedNode(child_path, source=_source(child_path, leaf, settings)))
        elif is_mapping and value_node.value:
            sub = _build_children(loc, value_node, child_path, settings, taken)
            children.append(FeedNode(child_path, children=sub))
        else:
            raise loc.error(keys, "must be a URL, a mapping with 'url', or a non-empty "
                                  "mapping of child nodes")
    return tuple(children)


def _validate_leaf(loc: _Located, keys: tuple[str, ...], value: dict[str, Any]) -> _Leaf:
    try:
        return _Leaf.model_validate(value)
    except ValidationError as exc:
        raise _first_error(loc, keys, exc) from None


def _source(path: NodePath, leaf: _Leaf, settings: _Settings) -> Source:
    keep = settings.retention
    max_age = leaf.retention.max_age if leaf.retention.max_age is not None else keep.max_age
    max_entries = (leaf.retention.max_entries if leaf.retention.max_entries is not None
                   else keep.max_entries)
    return Source(
        path=path,
        url=leaf.url,
        interval=leaf.interval or settings.polling.interval,
        author=leaf.author,
        include=leaf.include,
        exclude=leaf.exclude,
        enabled=leaf.enabled,
        max_age=max_age or None,
        max_entries=max_entries or None,
    )
