"""poller.in_order: a batch's sources run concurrently, are stored in order, and memory stays
bounded however many there are."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from feedhub.model import FetchResult, Polled, Source, SourceState
from feedhub.poller import in_order
from feedhub.update import decide

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def polled(n: int, size: int) -> Polled:
    source = Source(path=("t", f"s{n}"), url=f"http://127.0.0.1:9/{n}", interval=60)
    result = FetchResult(source.url, source.url, 200)
    update = decide(source, SourceState(source.id, source.url), result, body_hash=None,
                    parsed=None, parse_error=None, now=NOW, rand=0.5, min_interval=60)
    return Polled(source, result, size, None, update)


class Probe:
    """Jobs that finish after given delays, recording how many ran at once and what was
    waiting to be stored when each one started."""

    def __init__(self) -> None:
        self.running = 0
        self.most_running = 0
        self.started: list[int] = []
        self.stored: list[int] = []
        self.stored_when_started: dict[int, list[int]] = {}

    def job(self, n: int, delay: float, size: int = 0) -> Callable[[], Awaitable[Polled]]:
        async def run() -> Polled:
            self.started.append(n)
            self.stored_when_started[n] = list(self.stored)
            self.running += 1
            self.most_running = max(self.most_running, self.running)
            await asyncio.sleep(delay)
            self.running -= 1
            return polled(n, size)
        return run

    async def store(self, batch: list[Polled]) -> None:
        self.stored += [int(p.source.path[-1][1:]) for p in batch]


def test_results_are_stored_in_job_order_whatever_order_they_finish_in() -> None:
    probe = Probe()
    delays = [0.05, 0.0, 0.03, 0.01, 0.0, 0.02]
    jobs = [probe.job(n, d) for n, d in enumerate(delays)]
    asyncio.run(in_order(jobs, probe.store, running=10, buffered_bytes=10**9))
    assert probe.stored == list(range(len(delays)))
    assert probe.most_running == len(delays)  # all at once: nothing held them back


def test_no_more_than_running_jobs_at_once() -> None:
    probe = Probe()
    jobs = [probe.job(n, 0.001 * (n % 3)) for n in range(40)]
    asyncio.run(in_order(jobs, probe.store, running=4, buffered_bytes=10**9))
    assert probe.most_running == 4
    assert probe.stored == list(range(40))


def test_a_slow_first_source_holds_back_new_starts_only_once_the_buffer_is_full() -> None:
    probe = Probe()
    # Job 0 is slow; the others finish at once with 10 bytes each. Eight start together; once
    # jobs 1-7 wait with 70 bytes (room for 30), no later job starts until job 0 is stored.
    jobs = [probe.job(0, 0.2)] + [probe.job(n, 0.0, size=10) for n in range(1, 20)]
    asyncio.run(in_order(jobs, probe.store, running=8, buffered_bytes=30))
    assert probe.stored == list(range(20))
    assert all(probe.stored_when_started[n] == [] for n in range(8))
    assert all(0 in probe.stored_when_started[n] for n in range(8, 20))


def test_a_failing_job_stops_the_batch_and_cancels_the_rest() -> None:
    probe = Probe()

    async def broken() -> Polled:
        raise RuntimeError("bug")

    jobs = [probe.job(0, 0.0), broken, probe.job(2, 3600.0)]
    try:
        asyncio.run(in_order(jobs, probe.store, running=3, buffered_bytes=10**9))
    except RuntimeError as exc:
        assert str(exc) == "bug"
    else:
        raise AssertionError("the job's error was swallowed")
    assert probe.started == [0, 2] and probe.running == 1  # job 2 was cancelled mid-way
