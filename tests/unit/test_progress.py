"""Plain progress lines: a tenth at a time, none for quick work, the right counts."""

import io

from feedhub.progress import Milestones, line, reporting


def test_a_line_for_each_further_tenth_once_the_work_is_slow() -> None:
    m = Milestones()
    due = [done for done in range(1, 1001) if m.due(done, 1000, seconds=10)]
    assert due == [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]


def test_quick_work_gets_no_line_and_slow_work_starts_at_the_tenth_it_reached() -> None:
    m = Milestones()
    assert [m.due(done, 10, seconds=0.5) for done in range(1, 6)] == [False] * 5
    assert m.due(6, 10, seconds=2.5)  # the first line, at 60%
    assert not m.due(6, 10, seconds=3)
    assert m.due(10, 10, seconds=3)
    quick = Milestones()
    assert not any(quick.due(done, 3, seconds=0.1) for done in (1, 2, 3))


def test_few_items_give_at_most_one_line_each_and_nothing_without_work() -> None:
    m = Milestones()
    assert [m.due(done, 3, seconds=5) for done in (1, 2, 3)] == [True, True, True]
    assert not Milestones().due(0, 0, seconds=5)


def test_the_line_names_the_work_counts_and_failures() -> None:
    assert line("poll", "sources", 120, 500, 3, 12.4) == (
        "feedhub: poll: 120/500 sources (24%), 3 failed, 12 s")
    assert line("build", "documents", 5000, 5000, 0, 1234) == (
        "feedhub: build: 5,000/5,000 documents (100%), 1,234 s")


def test_reporting_to_a_log_writes_the_due_lines() -> None:
    stream, now = io.StringIO(), iter([0.0, 1.0, 3.0, 4.0])
    with reporting("poll", "sources", stream, clock=lambda: next(now)) as progress:
        progress(1, 3)  # 1 s in: quiet
        progress(2, 3, failed=1)
        progress(3, 3, failed=1)
    assert stream.getvalue().splitlines() == [
        "feedhub: poll: 2/3 sources (66%), 1 failed, 3 s",
        "feedhub: poll: 3/3 sources (100%), 1 failed, 4 s"]
