"""daemon.DueQueue: the one queue of next poll times behind the daemon's single scheduler job."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from feedhub.daemon import DueQueue

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


def drain(queue: DueQueue, now: datetime) -> list[str]:
    due = []
    while (source_id := queue.pop_due(now)) is not None:
        due.append(source_id)
    return due


def test_sources_come_due_in_time_order_and_not_before_their_time() -> None:
    queue = DueQueue()
    queue.put("b", at(20))
    queue.put("a", at(10))
    queue.put("c", at(30))
    assert queue.earliest() == at(10)
    assert queue.pop_due(at(5)) is None
    assert drain(queue, at(20)) == ["a", "b"]
    assert "c" in queue and "a" not in queue
    assert queue.earliest() == at(30)


def test_putting_a_source_again_replaces_its_time_either_way() -> None:
    queue = DueQueue()
    queue.put("a", at(10))
    queue.put("b", at(15))
    queue.put("a", at(60))  # later: its old time no longer makes it due
    assert drain(queue, at(30)) == ["b"]
    queue.put("a", at(5))  # earlier
    assert queue.earliest() == at(5)
    assert drain(queue, at(100)) == ["a"]
    assert queue.earliest() is None


def test_a_discarded_source_never_comes_due() -> None:
    queue = DueQueue()
    queue.put("a", at(1))
    queue.put("b", at(2))
    queue.discard("a")
    queue.discard("never queued")
    assert "a" not in queue
    assert drain(queue, at(10)) == ["b"]


def test_many_reschedules_keep_one_time_per_source() -> None:
    queue = DueQueue()
    for round_ in range(50):
        for n in range(100):
            queue.put(f"s{n}", at(1000 - round_ * 10 - n))
    # The last round's times: s99 earliest, each source exactly once.
    assert drain(queue, at(10_000)) == [f"s{n}" for n in reversed(range(100))]
