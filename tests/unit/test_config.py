"""Reading config.yaml into settings and a tree of sources, and its one-line errors."""

import textwrap
from pathlib import Path

import pytest

from feedhub.config import database_of, load_config, parse_config
from feedhub.errors import ConfigError, UnknownPathError

VALID = """\
title: 测试
base_url: https://feeds.example.org/hub
database: db/feedhub.db
output: public
polling:
  interval: 30m
  min_interval: 5m
  max_bytes: 8MiB
publish:
  entries: 20
  formats: [atom, json]
sources:
  新媒体:
    鸟哥笔记:
      首页: https://rsshub.app/ngbj
      今日事: {url: https://rsshub.app/ngbj/today, interval: 2h, author: 鸟哥}
  科技:
    少数派:
      最新:
        url: https://sspai.com/feed
        enabled: false
        include: [python]
        exclude: ['/sponsored/']
  2024: https://example.com/2024.xml
"""


def write(folder: Path, text: str, name: str = "config.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def config_error(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "\n" not in message
    return message


# --- a valid file ----------------------------------------------------------------------------


def test_valid_tree_gives_one_source_per_leaf_in_file_order(tmp_path):
    config = load_config(write(tmp_path, VALID))
    assert [s.path for s in config.sources] == [
        ("新媒体", "鸟哥笔记", "首页"),
        ("新媒体", "鸟哥笔记", "今日事"),
        ("科技", "少数派", "最新"),
        ("2024",),
    ]
    assert [s.url for s in config.sources] == [
        "https://rsshub.app/ngbj",
        "https://rsshub.app/ngbj/today",
        "https://sspai.com/feed",
        "https://example.com/2024.xml",
    ]


def test_url_leaf_takes_the_polling_defaults(tmp_path):
    source = load_config(write(tmp_path, VALID)).sources[0]
    assert source.interval == 1800.0
    assert source.author is None
    assert source.enabled is True
    assert source.include == ()
    assert source.exclude == ()


def test_mapping_leaf_overrides_interval_and_sets_author(tmp_path):
    source = load_config(write(tmp_path, VALID)).sources[1]
    assert source.id == "新媒体/鸟哥笔记/今日事"
    assert source.interval == 7200.0
    assert source.author == "鸟哥"


def test_mapping_leaf_can_be_disabled_and_carry_filters(tmp_path):
    source = load_config(write(tmp_path, VALID)).sources[2]
    assert source.enabled is False
    assert source.include == ("python",)
    assert source.exclude == ("/sponsored/",)
    assert source.interval == 1800.0


def test_numeric_node_names_stay_strings(tmp_path):
    source = load_config(write(tmp_path, VALID)).sources[3]
    assert source.path == ("2024",)
    assert source.id == "2024"


def test_every_node_of_the_tree_is_listed_root_first(tmp_path):
    config = load_config(write(tmp_path, VALID))
    assert [n.path for n in config.nodes] == [
        (),
        ("新媒体",),
        ("新媒体", "鸟哥笔记"),
        ("新媒体", "鸟哥笔记", "首页"),
        ("新媒体", "鸟哥笔记", "今日事"),
        ("科技",),
        ("科技", "少数派"),
        ("科技", "少数派", "最新"),
        ("2024",),
    ]
    leaves = [n for n in config.nodes if n.source is not None]
    assert all(not n.children for n in leaves)
    assert [n.source.path for n in leaves] == [n.path for n in leaves]


def test_settings_are_read_and_converted(tmp_path):
    config = load_config(write(tmp_path, VALID))
    assert config.title == "测试"
    assert config.polling.interval == 1800.0
    assert config.polling.min_interval == 300.0
    assert config.polling.max_bytes == 8 * 1024 * 1024
    assert config.publish.entries == 20
    assert config.publish.formats == ("atom", "json")


def test_base_url_gains_a_trailing_slash(tmp_path):
    config = load_config(write(tmp_path, VALID))
    assert config.base_url == "https://feeds.example.org/hub/"


def test_base_url_with_a_trailing_slash_is_kept(tmp_path):
    text = "base_url: https://feeds.example.org/\nsources:\n  a: https://e.com/f\n"
    assert load_config(write(tmp_path, text)).base_url == "https://feeds.example.org/"


def test_relative_paths_resolve_against_the_config_folder(tmp_path, monkeypatch):
    folder = tmp_path / "etc" / "feedhub"
    path = write(folder, VALID)
    monkeypatch.chdir(tmp_path)
    config = load_config(path)
    here = folder.resolve()
    assert config.database == here / "db" / "feedhub.db"
    assert config.output == here / "public"
    assert config.posts == here / "data" / "posts"


def test_absolute_paths_are_kept(tmp_path):
    db = tmp_path / "elsewhere" / "x.db"
    text = f"database: {db}\nposts: null\nsources:\n  a: https://e.com/f\n"
    config = load_config(write(tmp_path / "conf", text))
    assert config.database == db
    assert config.posts is None


def test_minimal_file_gets_defaults(tmp_path):
    config = load_config(write(tmp_path, "sources:\n  a: https://e.com/f\n"))
    assert config.title == "feedhub"
    assert config.base_url == "http://127.0.0.1:8080/"
    assert config.publish.formats == ("atom", "rss", "json")
    assert config.server.port == 8080
    assert [s.path for s in config.sources] == [("a",)]


def test_config_file_comes_from_feedhub_config_when_none_is_given(tmp_path, monkeypatch):
    path = write(tmp_path, "sources:\n  only: https://e.com/f\n", name="custom.yaml")
    monkeypatch.setenv("FEEDHUB_CONFIG", str(path))
    assert [s.id for s in load_config().sources] == ["only"]


# --- errors: one line naming the file, the line and the key ------------------------------------


# Each bad file: its text, where the one-line error must point (":line: key: "), and words the
# message must contain.
CONFIG_ERRORS = {
    "unknown archive mode": ("sources:\n  a: https://e.com/f\npublish:\n  archive: some\n",
                             ":4: publish.archive: ", ["'all', 'routes' or 'none'"]),
    "bad output bound": ("sources:\n  a: https://e.com/f\npublish: {max_bytes: lots}\n",
                         ":3: publish.max_bytes: ", ["lots"]),
    "unknown top-level key": ("title: x\ncolour: red\nsources:\n  a: https://e.com/f\n",
                              ":2: colour: ", ["unknown key"]),
    "bad duration": ("sources:\n  a: https://e.com/f\npolling:\n  interval: 3x\n",
                     ":4: polling.interval: ", ["'3x' is not a duration"]),
    "NaN duration": ("polling:\n  interval: .nan\nsources:\n  a: https://e.com/f\n",
                     ":2: polling.interval: ", []),
    "bad URL leaf": ("sources:\n  site:\n    ok: https://e.com/f\n    route: ftp://e.com/f\n",
                     ":4: sources.site.route: ", ["'ftp://e.com/f' is not an http(s) URL"]),
    "bad URL in a mapping leaf": ("sources:\n  site:\n    route:\n      url: not-a-url\n",
                                  ":4: sources.site.route.url: ", ["not-a-url"]),
    "duplicate top-level key": ("title: a\nsources:\n  a: https://e.com/f\ntitle: b\n",
                                ":4: title: ", ["duplicate key"]),
    "duplicate key in the tree": (
        "sources:\n  t:\n    a: https://e.com/f\n    a: https://e.com/g\n",
        ":4: sources.t.a: ", ["duplicate key"]),
    "invalid YAML": ("title: x\nsources:\n  a: [unclosed\n  b: c\n", ":4: invalid YAML: ", []),
    "tab indentation": ("title: x\nsources:\n\ta: https://e.com/f\n", ":3: invalid YAML: ", []),
    "unknown key in a leaf": (
        "sources:\n  s:\n    r:\n      url: https://e.com/f\n      colour: red\n",
        ":5: sources.s.r.colour: ", ["unknown key"]),
    "bad interval in a leaf": (
        "sources:\n  s:\n    r:\n      url: https://e.com/f\n      interval: soon\n",
        ":5: sources.s.r.interval: ", ["'soon' is not a duration"]),
    "node neither URL nor mapping": ("sources:\n  t:\n    a:\n    b: https://e.com/f\n",
                                     ":3: sources.t.a: ", ["must be a URL"]),
    "unknown publish format": (
        "sources:\n  a: https://e.com/f\npublish:\n  entries: 10\n  formats: [atom, pdf]\n",
        ":5: publish.formats: ", ["unknown format 'pdf'"]),
    "out-of-range setting": (
        "server:\n  host: 0.0.0.0\n  port: 99999\nsources:\n  a: https://e.com/f\n",
        ":3: server.port: ", []),
    "bad base_url": ("base_url: ftp://example.org/\nsources:\n  a: https://e.com/f\n",
                     ":1: base_url: ", ["http(s) URL"]),
}


@pytest.mark.parametrize("case", CONFIG_ERRORS)
def test_a_bad_config_is_one_line_naming_file_line_and_key(tmp_path, case):
    text, where, words = CONFIG_ERRORS[case]
    message = config_error(write(tmp_path, text))
    assert "\n" not in message
    assert message.startswith(f"{tmp_path / 'config.yaml'}{where}"), message
    for word in words:
        assert word in message


@pytest.mark.parametrize("sources", ["sources: {}\n", "sources:\n", "sources: []\n"])
def test_empty_sources(tmp_path, sources):
    path = write(tmp_path, "title: x\n" + sources)
    message = config_error(path)
    assert message.startswith(f"{path}:2: sources: ")
    assert "non-empty" in message


def test_missing_sources_names_the_file_and_key(tmp_path):
    path = write(tmp_path, "title: x\n")
    message = config_error(path)
    assert message.startswith(str(path))
    assert "sources: must be a non-empty tree" in message


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    message = config_error(path)
    assert message.startswith(f"{path}: ")
    assert "no such file" in message


def test_empty_file(tmp_path):
    path = write(tmp_path, "")
    assert config_error(path) == f"{path}: the file is empty"


def test_top_level_that_is_not_a_mapping(tmp_path):
    path = write(tmp_path, "- a\n- b\n")
    assert config_error(path).startswith(f"{path}:1: ")


def test_sibling_names_that_map_to_the_same_segment(tmp_path):
    path = write(tmp_path, "sources:\n  t:\n    a/b: https://e.com/f\n    a-b: https://e.com/g\n")
    message = config_error(path)
    assert message.startswith(f"{path}:4: sources.t.a-b: ")
    assert "'a/b'" in message
    assert "'a-b'" in message


def test_same_name_under_different_parents_is_fine(tmp_path):
    text = "sources:\n  x:\n    a/b: https://e.com/f\n  y:\n    a-b: https://e.com/g\n"
    assert [s.id for s in load_config(write(tmp_path, text)).sources] == ["x/a/b", "y/a-b"]


def test_bad_regex_filter_is_a_config_error(tmp_path):
    path = write(
        tmp_path,
        "sources:\n  s:\n    url: https://e.com/f\n    include: ['/[unclosed/']\n",
    )
    message = config_error(path)
    assert message.startswith(f"{path}:4: sources.s.include")
    assert "bad regular expression" in message


def test_sibling_names_yaml_reads_as_equal_values_are_a_config_error(tmp_path):
    # `01` and `1` are distinct names (and distinct files on disk), but YAML 1.1 reads both
    # as the integer 1. Loading must either accept both or fail with a ConfigError.
    path = write(tmp_path, "sources:\n  t:\n    01: https://e.com/f\n    1: https://e.com/g\n")
    try:
        config = load_config(path)
    except ConfigError as exc:
        assert str(exc).startswith(f"{path}:")
    else:
        assert [s.id for s in config.sources] == ["t/01", "t/1"]


# --- Config.select ----------------------------------------------------------------------------


@pytest.fixture
def config(tmp_path):
    return load_config(write(tmp_path, VALID))


def test_select_without_paths_gives_every_source(config):
    assert config.select([]) == config.sources


def test_select_a_topic_gives_every_source_under_it(config):
    assert [s.id for s in config.select(["新媒体"])] == [
        "新媒体/鸟哥笔记/首页",
        "新媒体/鸟哥笔记/今日事",
    ]


def test_select_a_leaf_gives_just_that_source(config):
    assert [s.id for s in config.select(["科技/少数派/最新"])] == ["科技/少数派/最新"]


def test_select_ignores_leading_and_trailing_slashes(config):
    assert [s.id for s in config.select(["/新媒体/鸟哥笔记/"])] == [
        "新媒体/鸟哥笔记/首页",
        "新媒体/鸟哥笔记/今日事",
    ]


def test_select_several_paths_without_duplicates(config):
    chosen = config.select(["科技", "新媒体/鸟哥笔记/首页", "新媒体", "科技/少数派"])
    assert [s.id for s in chosen] == [
        "科技/少数派/最新",
        "新媒体/鸟哥笔记/首页",
        "新媒体/鸟哥笔记/今日事",
    ]


def test_select_includes_disabled_sources(config):
    assert [s.enabled for s in config.select(["科技"])] == [False]


def test_select_an_unknown_path_raises(config):
    with pytest.raises(UnknownPathError, match="nowhere"):
        config.select(["新媒体", "nowhere"])


def test_select_a_partial_name_is_unknown(config):
    with pytest.raises(UnknownPathError):
        config.select(["新媒体/鸟哥"])


def test_a_name_too_long_for_a_file_name_is_refused(tmp_path):
    path = tmp_path / "config.yaml"
    name = "长" * 90
    path.write_text(f"sources:\n  {name}:\n    站:\n      源: https://e.example/f\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError, match=r"config.yaml:2: sources\.长+: the name is longer"):
        load_config(path)


def test_publish_defaults_and_sizes(tmp_path):
    config = load_config(write(tmp_path, "sources:\n  a: https://e.com/f\n"))
    assert (config.publish.archive, config.publish.gzip, config.publish.max_bytes) == (
        "all", False, 0)
    bounded = load_config(write(tmp_path, "sources:\n  a: https://e.com/f\n"
                                "publish: {archive: routes, gzip: true, max_bytes: 2GB}\n"))
    assert (bounded.publish.archive, bounded.publish.gzip, bounded.publish.max_bytes) == (
        "routes", True, 2 * 10**9)


# --- the database of a file that may be broken (feedhub status) ------------------------------


@pytest.mark.parametrize("text", [
    "database: db/hub.db\npolling: {interval: soon}\nsources: {}\n",  # invalid settings
    "database: db/hub.db\nsources:\n  a: [unclosed\n",  # not YAML at all
    "title: x\ndatabase: 'db/hub.db'\nsources:\n\ta: https://e.com/f\n",  # a tab
])
def test_a_broken_file_still_names_its_database(tmp_path, text):
    assert database_of(write(tmp_path, text)) == tmp_path.resolve() / "db" / "hub.db"


@pytest.mark.parametrize("text", ["sources: [\n", "- a list\n", "database: [1, 2]\n", ""])
def test_without_a_readable_database_the_default_beside_the_file_is_used(tmp_path, text):
    assert database_of(write(tmp_path, text)) == tmp_path.resolve() / "data" / "feedhub.db"


def test_a_valid_file_names_the_database_it_loads_with(tmp_path):
    path = write(tmp_path / "conf", VALID)
    assert database_of(path) == load_config(path).database
    assert database_of(tmp_path / "missing.yaml") == tmp_path.resolve() / "data" / "feedhub.db"


def test_the_config_keeps_the_text_it_was_read_from(tmp_path):
    path = write(tmp_path, VALID)
    config = load_config(path)
    assert config.text == VALID
    assert parse_config(config.text, path) == config
