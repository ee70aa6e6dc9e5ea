"""When a source is next due."""

from datetime import UTC, datetime, timedelta

import pytest

from feedhub.schedule import first_poll_delay, next_poll

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
DAY = 24 * 3600.0


def _delay(**kwargs) -> float:
    return (next_poll(NOW, **kwargs) - NOW).total_seconds()


def test_next_poll_without_jitter_waits_the_interval():
    assert next_poll(NOW, interval=1800, min_interval=300) == NOW + timedelta(seconds=1800)


def test_next_poll_never_comes_sooner_than_min_interval():
    assert _delay(interval=60, min_interval=300) == pytest.approx(300)


def test_next_poll_never_waits_longer_than_a_day():
    assert _delay(interval=7 * DAY, min_interval=300) == pytest.approx(DAY)


def test_min_interval_longer_than_a_day_still_applies():
    assert _delay(interval=60, min_interval=2 * DAY) == pytest.approx(2 * DAY)


def test_ttl_lengthens_the_interval():
    assert _delay(interval=1800, min_interval=300, ttl=7200) == pytest.approx(7200)


@pytest.mark.parametrize("ttl", [600, 0, None])
def test_ttl_never_shortens_the_interval(ttl):
    assert _delay(interval=1800, min_interval=300, ttl=ttl) == pytest.approx(1800)


def test_ttl_is_still_capped_at_a_day():
    assert _delay(interval=1800, min_interval=300, ttl=3 * DAY) == pytest.approx(DAY)


def test_first_error_keeps_the_interval():
    assert _delay(interval=600, min_interval=60, error_count=1) == pytest.approx(600)


def test_backoff_doubles_with_each_consecutive_error():
    delays = [_delay(interval=600, min_interval=60, error_count=n) for n in range(1, 6)]
    assert delays == pytest.approx([600, 1200, 2400, 4800, 9600])


def test_backoff_is_capped_at_a_day():
    assert _delay(interval=600, min_interval=60, error_count=10) == pytest.approx(DAY)
    assert _delay(interval=600, min_interval=60, error_count=10_000) == pytest.approx(DAY)


def test_backoff_applies_on_top_of_ttl():
    assert _delay(interval=600, min_interval=60, ttl=1800, error_count=3) == pytest.approx(7200)


@pytest.mark.parametrize(("rand", "factor"), [(0.0, 0.9), (0.25, 0.95), (0.5, 1.0), (0.75, 1.05)])
def test_jitter_scales_the_delay_by_rand(rand, factor):
    assert _delay(interval=1000, min_interval=60, rand=rand) == pytest.approx(1000 * factor)


def test_jitter_stays_within_ten_percent():
    for i in range(100):
        rand = i / 100
        delay = _delay(interval=1000, min_interval=60, rand=rand)
        assert 900 <= delay < 1100


def test_jitter_grows_with_rand():
    delays = [_delay(interval=1000, min_interval=60, rand=r) for r in (0.0, 0.3, 0.6, 0.99)]
    assert delays == sorted(delays)
    assert len(set(delays)) == len(delays)


def test_jitter_never_brings_a_poll_sooner_than_min_interval():
    assert _delay(interval=310, min_interval=300, rand=0.0) == pytest.approx(300)
    assert _delay(interval=10, min_interval=300, rand=0.0) == pytest.approx(300)


def test_jitter_never_pushes_a_poll_past_the_daily_cap():
    assert _delay(interval=DAY, min_interval=300, rand=0.99) == pytest.approx(DAY)


def test_next_poll_keeps_the_timezone_of_now():
    assert next_poll(NOW, interval=1800, min_interval=300).tzinfo is UTC


@pytest.mark.parametrize("count", [0, 1])
def test_first_poll_delay_is_zero_for_a_single_source(count):
    assert first_poll_delay(0, count, 60) == 0.0


def test_first_poll_delay_spreads_sources_evenly_over_the_spread():
    delays = [first_poll_delay(i, 4, 60) for i in range(4)]
    assert delays == [0.0, 15.0, 30.0, 45.0]


def test_first_poll_delay_stays_within_the_spread_and_never_repeats():
    delays = [first_poll_delay(i, 50, 120) for i in range(50)]
    assert all(0 <= d < 120 for d in delays)
    assert len(set(delays)) == 50
    assert delays == sorted(delays)
