"""Health that tells the truth, through the real daemon and the command line: ``/healthz`` is
ok, degraded or 503 failing with its reasons, ``/metrics`` and ``feedhub status`` use the same
state names, and ``status`` still lists the sources while config.yaml on disk is broken."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import FeedServer, feedhub, status_table, write_config
from feedhub.states import STATES
from running import Daemon, edit, get, wait_for

EVERY_2S = "interval: 2s, min_interval: 1s, timeout: 5s, allow_private: true"


def healthz(daemon: Daemon) -> tuple[int, dict]:
    status, _, body = get(daemon.url("healthz"))
    return status, json.loads(body)


def metrics(daemon: Daemon) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """Every sample of ``/metrics``, by sample name and then by labels."""
    out: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    text = get(daemon.url("metrics"))[2].decode()
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return out


def stop(daemon: Daemon) -> None:
    daemon.proc.send_signal(signal.SIGTERM)
    assert daemon.proc.wait(timeout=15) == 0


@pytest.fixture
def one_source(tmp_path: Path, feed_server: FeedServer) -> Path:
    """A config with one source, polled every 30 minutes (its feed's ttl)."""
    url = feed_server.serve_fixture("/ngbj.rss", "ngbj.rss")
    return write_config(tmp_path, f"  新媒体:\n    鸟哥笔记:\n      首页: {url}\n")


def test_healthz_goes_ok_degraded_failing_as_sources_fail(
        tmp_path: Path, feed_server: FeedServer, launch: Callable[[Path], Daemon]) -> None:
    # Two fixtures that announce no ttl: both are polled every two seconds.
    mirror = feed_server.serve_fixture("/mirror.rss", "mirror.rss")
    sspai = feed_server.serve_fixture("/sspai.rdf", "sspai.rdf")
    config = write_config(tmp_path, f"  科技:\n    转载:\n      精选: {mirror}\n"
                                    f"    少数派:\n      最新: {sspai}\n", polling=EVERY_2S)
    daemon = launch(config)
    wait_for(lambda: healthz(daemon)[1]["sources"]["ok"] == 2, what="both sources polled")
    code, body = healthz(daemon)
    assert (code, body["status"], body["reasons"]) == (200, "ok", [])
    assert body["last_poll"] and body["last_publish"] and body["entries"] == 4

    del feed_server.routes["/sspai.rdf"]
    wait_for(lambda: healthz(daemon)[1]["status"] == "degraded", what="one source failing")
    code, body = healthz(daemon)
    assert code == 200
    assert body["reasons"] == ["1 of 2 sources failing"]
    assert body["sources"] == {"new": 0, "ok": 1, "failing": 1, "gone": 0}

    del feed_server.routes["/mirror.rss"]
    wait_for(lambda: healthz(daemon)[0] == 503, what="every source failing")
    code, body = healthz(daemon)
    assert body["status"] == "failing" and body["reasons"] == ["2 of 2 sources failing"]

    # The same word in the metric and in `feedhub status`, text and JSON.
    samples = metrics(daemon)["feedhub_sources"]
    assert {dict(labels)["state"] for labels in samples} == set(STATES)
    assert samples[(("state", "failing"),)] == 2 and samples[(("state", "ok"),)] == 0
    rows = json.loads(feedhub("status", "-c", str(config), "--json").stdout)
    assert [r["state"] for r in rows] == ["failing", "failing"]
    _, table = status_table(feedhub("status", "-c", str(config)).stdout)
    assert len(table) == 2
    assert all(line.split()[1] == "failing" and "HTTP 404" in line for line in table)
    stop(daemon)


def test_a_config_broken_on_disk_degrades_health_and_status_still_lists_the_sources(
        one_source: Path, launch: Callable[[Path], Daemon]) -> None:
    config = one_source
    daemon = launch(config)
    wait_for(lambda: healthz(daemon)[1]["sources"]["ok"] == 1, what="the first poll")
    before = metrics(daemon)
    assert before["feedhub_config_valid"][()] == 1
    assert before["feedhub_config_reload_failures_total"][()] == 0
    assert before["feedhub_config_loaded_timestamp_seconds"][()] > 0

    edit(config, "interval: 30m", "interval: soon")
    wait_for(lambda: healthz(daemon)[1]["status"] == "degraded", timeout=10,
             what="the refused reload")
    code, body = healthz(daemon)
    assert code == 200
    (reason,) = body["reasons"]
    assert reason.startswith(f"{config}:7: polling.interval: 'soon' is not a duration")
    assert "(running the config loaded at 20" in reason
    after = metrics(daemon)
    assert after["feedhub_config_valid"][()] == 0
    assert after["feedhub_config_reload_failures_total"][()] == 1

    for args in ((), ("--json",)):
        result = feedhub("status", "-c", str(config), *args)
        assert result.returncode == 0, result.stderr
        (warning,) = result.stderr.splitlines()
        assert warning.startswith(f"feedhub: {config}:7: polling.interval: 'soon' is not")
        assert "(showing the last good config, loaded at 20" in warning
    rows = json.loads(result.stdout)
    assert [(r["source_id"], r["state"], r["entries"]) for r in rows] == [
        ("新媒体/鸟哥笔记/首页", "ok", 3)]

    edit(config, "interval: soon", "interval: 30m")
    wait_for(lambda: healthz(daemon)[1]["status"] == "ok", timeout=10, what="the fixed file")
    assert metrics(daemon)["feedhub_config_valid"][()] == 1
    assert feedhub("status", "-c", str(config)).stderr == ""
    stop(daemon)


def test_last_poll_and_publish_survive_a_restart(
        one_source: Path, feed_server: FeedServer, launch: Callable[[Path], Daemon]) -> None:
    first = launch(one_source)
    wait_for(lambda: healthz(first)[1]["last_poll"], what="the first poll")
    polled = healthz(first)[1]["last_poll"]
    stop(first)

    second = launch(one_source)
    wait_for(lambda: healthz(second), what="the restarted daemon")
    body = healthz(second)[1]
    # Not polled again (its next poll is 30 minutes away): the time is the database's.
    assert body["last_poll"] == polled and body["last_publish"]
    assert len(feed_server.requests_for("/ngbj.rss")) == 1
    assert metrics(second)["feedhub_last_poll_timestamp_seconds"][()] > 0
    stop(second)


def test_status_with_a_broken_file_and_no_good_one_stored_names_the_file(
        tmp_path: Path) -> None:
    config = write_config(tmp_path, "  新媒体: https://example.org/feed\n",
                          polling="interval: soon")
    result = feedhub("status", "-c", str(config))
    assert result.returncode == 1 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"feedhub: {config}:7: polling.interval: 'soon' is not a duration")
    assert f"(and {tmp_path / 'data' / 'feedhub.db'} holds no earlier good version" in line
    assert not (tmp_path / "data").exists()  # status created no database


def test_status_finds_a_database_named_in_a_file_that_is_no_longer_yaml(
        tmp_path: Path, one_source: Path) -> None:
    config = one_source
    edit(config, "database: data/feedhub.db", "database: state/hub.db")
    assert feedhub("poll", "-c", str(config)).returncode == 0
    edit(config, "      首页:", "\t首页:")  # a tab: the document no longer reads as YAML
    result = feedhub("status", "-c", str(config))
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith(f"feedhub: {config}:")
    assert "invalid YAML" in result.stderr
    header, (row,) = status_table(result.stdout)
    assert header.split()[:2] == ["SOURCE", "STATE"]
    assert row.split()[:2] == ["新媒体/鸟哥笔记/首页", "ok"]
    assert not (tmp_path / "data" / "feedhub.db").exists()
