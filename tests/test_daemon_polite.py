"""The daemon's schedule, observed from the server's side: backoff and Retry-After spacing."""

from __future__ import annotations

import itertools
import signal
import time
from pathlib import Path

from conftest import free_port, write_config
from hostile import HostileServer
from running import Daemon

FAST = "interval: 1s, min_interval: 1s, timeout: 2s, allow_private: true"
EVERY_2S = "interval: 2s, min_interval: 1s, timeout: 2s, allow_private: true"


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


def test_failing_source_backs_off_while_healthy_one_keeps_its_interval(tmp_path: Path) -> None:
    with HostileServer() as server:
        port = free_port()
        config = write_config(tmp_path, f"""\
  测试:
    站:
      故障: {server.url("/storm")}
      健康: {server.url("/ok/1")}
""", port=port, polling=EVERY_2S)
        daemon = Daemon(config, port)
        try:
            time.sleep(11)
        finally:
            daemon.proc.send_signal(signal.SIGTERM)
            assert daemon.proc.wait(timeout=15) == 0
        storm = gaps([h.at for h in server.hits_for("/storm")])
        healthy = server.hits_for("/ok/1")
    # 503s: 2s then 4s apart, each +-10% from the end of the poll and rounded up to the whole
    # second the database stores, so within [1.8, 3.2) then [3.6, 5.4); allowing 0.3 s for the
    # poll itself and a busy machine's late wake-up still keeps the two ranges apart, so the
    # second wait is seen to be longer. The healthy source comes every 1.8-3.2 seconds.
    assert len(storm) >= 2, storm
    assert 1.7 < storm[0] < 3.5 and 3.5 < storm[1] < 5.7, storm
    assert len(healthy) >= len(storm) + 2
    # After the first 200 the healthy source is only ever asked conditionally.
    assert all(h.headers.get("If-None-Match") == '"1-v1"' for h in healthy[1:])


def test_retry_after_spaces_every_source_on_the_host(tmp_path: Path) -> None:
    with HostileServer() as server:
        server.retry_after = "3"
        port = free_port()
        config = write_config(tmp_path, f"""\
  测试:
    站:
      限流: {server.url("/limited")}
      同主机: {server.url("/ok/2")}
""", port=port, polling=FAST)
        daemon = Daemon(config, port)
        try:
            time.sleep(8)
        finally:
            daemon.proc.send_signal(signal.SIGTERM)
            assert daemon.proc.wait(timeout=15) == 0
        limited = [h.at for h in server.hits_for("/limited")]
        same_host = [h.at for h in server.hits_for("/ok/2")]
    assert 2 <= len(limited) <= 3, limited
    assert all(gap >= 2.9 for gap in gaps(limited)), gaps(limited)
    # Nothing else on that host was asked for during any of the 3-second waits.
    for asked in limited:
        assert not [t for t in same_host if asked + 0.05 < t < asked + 2.9], (asked, same_host)
