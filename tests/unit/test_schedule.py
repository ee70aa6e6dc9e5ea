"""When a source is next due: ``next_poll``, the server hints it weighs, and the start-up spread."""

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from feedhub.schedule import (
    DEFAULT_RETRY_AFTER,
    ServerHints,
    feed_period,
    first_poll_delay,
    freshness,
    next_poll,
    retry_after,
)

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
HOUR = 3600.0
DAY = 24 * HOUR
WEEK = 7 * DAY


def _delay(**kwargs) -> float:
    return (next_poll(NOW, **kwargs) - NOW).total_seconds()


def _http_date(seconds_from_now: float) -> str:
    return format_datetime(NOW + timedelta(seconds=seconds_from_now), usegmt=True)


class _RecordingHeaders(Mapping[str, str]):
    """A headers mapping that remembers every name it was asked for."""

    def __init__(self, headers: dict[str, str]) -> None:
        self._headers = headers
        self.asked: list[str] = []

    def __getitem__(self, key: str) -> str:
        self.asked.append(key)
        return self._headers[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._headers)

    def __len__(self) -> int:
        return len(self._headers)


# --- next_poll: the configured interval and min_interval --------------------------------------


def test_healthy_source_without_jitter_waits_exactly_its_interval():
    assert next_poll(NOW, interval=1800, min_interval=300) == NOW + timedelta(seconds=1800)


def test_empty_server_hints_leave_the_interval_alone():
    assert _delay(interval=1800, min_interval=300, hints=ServerHints()) == 1800


def test_interval_shorter_than_min_interval_waits_min_interval():
    assert _delay(interval=60, min_interval=300) == pytest.approx(300)


@pytest.mark.parametrize("interval", [310, 330, 10])
def test_jitter_never_brings_a_poll_sooner_than_min_interval(interval):
    # 310 * 0.9 = 279 and 330 * 0.9 = 297 would both undercut the 300 s promise.
    assert _delay(interval=interval, min_interval=300, rand=0.0) == pytest.approx(300)


def test_min_interval_also_holds_while_failing():
    assert _delay(interval=60, min_interval=300, error_count=1, rand=0.0) == pytest.approx(300)


def test_min_interval_longer_than_a_day_beats_the_daily_cap():
    assert _delay(interval=60, min_interval=2 * DAY) == pytest.approx(2 * DAY)


# --- next_poll: the daily cap on healthy sources ------------------------------------------------


def test_healthy_source_is_never_left_unpolled_for_more_than_a_day():
    assert _delay(interval=7 * DAY, min_interval=300) == pytest.approx(DAY)


def test_jitter_never_pushes_a_healthy_poll_past_a_day():
    assert _delay(interval=DAY, min_interval=300, rand=0.99) == pytest.approx(DAY)


def test_daily_cap_is_applied_after_jitter_so_jitter_still_shortens_a_day():
    assert _delay(interval=DAY, min_interval=300, rand=0.0) == pytest.approx(0.9 * DAY)


# --- next_poll: backoff while failing ----------------------------------------------------------


def test_first_error_keeps_the_interval():
    assert _delay(interval=600, min_interval=60, error_count=1) == pytest.approx(600)


def test_backoff_doubles_with_each_consecutive_error_after_the_first():
    delays = [_delay(interval=600, min_interval=60, error_count=n) for n in range(1, 7)]
    assert delays == pytest.approx([600, 1200, 2400, 4800, 9600, 19200])


def test_failing_source_may_wait_longer_than_a_day():
    assert _delay(interval=DAY, min_interval=60, error_count=3) == pytest.approx(4 * DAY)


@pytest.mark.parametrize("error_count", [20, 64, 10_000])
def test_backoff_is_capped_at_a_week(error_count):
    assert _delay(interval=600, min_interval=60, error_count=error_count) == pytest.approx(WEEK)


def test_jitter_never_pushes_a_backoff_past_a_week():
    assert _delay(interval=WEEK, min_interval=60, error_count=1, rand=0.99) == pytest.approx(WEEK)


# --- next_poll: freshness and feed period lengthen, never shorten -----------------------------


def test_server_freshness_lengthens_the_interval():
    hints = ServerHints(fresh_for=7200)
    assert _delay(interval=1800, min_interval=300, hints=hints) == pytest.approx(7200)


def test_feed_period_lengthens_the_interval():
    hints = ServerHints(feed_period=7200)
    assert _delay(interval=1800, min_interval=300, hints=hints) == pytest.approx(7200)


@pytest.mark.parametrize(("fresh_for", "period"), [(5000, 7200), (7200, 5000)])
def test_the_longest_of_interval_freshness_and_feed_period_wins(fresh_for, period):
    hints = ServerHints(fresh_for=fresh_for, feed_period=period)
    assert _delay(interval=1800, min_interval=300, hints=hints) == pytest.approx(7200)


@pytest.mark.parametrize("value", [600, 0, None])
def test_server_freshness_never_shortens_the_interval(value):
    hints = ServerHints(fresh_for=value)
    assert _delay(interval=1800, min_interval=300, hints=hints) == pytest.approx(1800)


@pytest.mark.parametrize("value", [600, 0, None])
def test_feed_period_never_shortens_the_interval(value):
    hints = ServerHints(feed_period=value)
    assert _delay(interval=1800, min_interval=300, hints=hints) == pytest.approx(1800)


@pytest.mark.parametrize("hints", [ServerHints(fresh_for=3 * DAY),
                                   ServerHints(feed_period=3 * DAY)])
def test_freshness_and_feed_period_are_still_capped_at_a_day(hints):
    assert _delay(interval=1800, min_interval=300, hints=hints) == pytest.approx(DAY)


def test_failing_source_ignores_freshness_and_feed_period_on_its_first_error():
    hints = ServerHints(fresh_for=DAY, feed_period=DAY)
    assert _delay(interval=600, min_interval=60, error_count=1, hints=hints) == pytest.approx(600)


def test_failing_source_backs_off_from_the_interval_not_from_freshness_or_feed_period():
    hints = ServerHints(fresh_for=5 * HOUR, feed_period=10 * HOUR)
    assert _delay(interval=600, min_interval=60, error_count=3, hints=hints) == pytest.approx(2400)


# --- next_poll: Retry-After is a floor ---------------------------------------------------------


def test_retry_after_longer_than_the_interval_is_waited_out():
    hints = ServerHints(retry_after=3600)
    assert _delay(interval=600, min_interval=60, hints=hints) == pytest.approx(3600)


def test_retry_after_shorter_than_the_interval_does_not_shorten_it():
    hints = ServerHints(retry_after=60)
    assert _delay(interval=600, min_interval=30, hints=hints) == pytest.approx(600)


def test_retry_after_wins_over_a_shorter_min_interval():
    hints = ServerHints(retry_after=900)
    assert _delay(interval=60, min_interval=300, hints=hints) == pytest.approx(900)


def test_retry_after_is_not_undercut_by_jitter():
    hints = ServerHints(retry_after=1000)
    assert _delay(interval=1000, min_interval=60, rand=0.0, hints=hints) == pytest.approx(1000)


def test_retry_after_wins_over_the_daily_cap():
    hints = ServerHints(retry_after=2 * DAY)
    assert _delay(interval=600, min_interval=60, hints=hints) == pytest.approx(2 * DAY)


def test_retry_after_wins_over_the_weekly_backoff_cap():
    hints = ServerHints(retry_after=10 * DAY)
    delay = _delay(interval=600, min_interval=60, error_count=50, rand=0.99, hints=hints)
    assert delay == pytest.approx(10 * DAY)


def test_retry_after_applies_to_a_failing_source():
    hints = ServerHints(retry_after=3600)
    assert _delay(interval=600, min_interval=60, error_count=1, hints=hints) == pytest.approx(3600)


def test_backoff_longer_than_retry_after_is_kept():
    hints = ServerHints(retry_after=300)
    assert _delay(interval=600, min_interval=60, error_count=4, hints=hints) == pytest.approx(4800)


# --- next_poll: jitter -------------------------------------------------------------------------


@pytest.mark.parametrize(("rand", "factor"),
                         [(0.0, 0.9), (0.25, 0.95), (0.5, 1.0), (0.75, 1.05), (0.999, 1.0998)])
def test_jitter_scales_the_delay_linearly_with_rand(rand, factor):
    assert _delay(interval=1000, min_interval=60, rand=rand) == pytest.approx(1000 * factor)


def test_jitter_stays_within_ten_percent_for_every_rand_in_zero_to_one():
    for i in range(1000):
        delay = _delay(interval=1000, min_interval=60, rand=i / 1000)
        assert 900 <= delay < 1100, i


def test_later_rand_never_gives_an_earlier_poll():
    rands = [i / 100 for i in range(100)]
    delays = [_delay(interval=1000, min_interval=60, rand=r) for r in rands]
    assert delays == sorted(delays)
    assert len(set(delays)) == len(delays)


def test_later_rand_never_gives_an_earlier_poll_even_at_the_bounds():
    rands = [i / 100 for i in range(100)]
    delays = [_delay(interval=DAY, min_interval=0.95 * DAY, rand=r) for r in rands]
    assert delays == sorted(delays)
    assert min(delays) == pytest.approx(0.95 * DAY)
    assert max(delays) == pytest.approx(DAY)


def test_jitter_applies_to_the_backoff():
    assert _delay(interval=600, min_interval=60, error_count=2, rand=0.0) == pytest.approx(1080)


def test_jitter_applies_to_server_freshness():
    hints = ServerHints(fresh_for=5000)
    assert _delay(interval=600, min_interval=60, rand=0.75, hints=hints) == pytest.approx(5250)


# --- next_poll: timezone -----------------------------------------------------------------------


@pytest.mark.parametrize("tz", [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))])
def test_next_poll_keeps_the_timezone_of_now(tz):
    now = NOW.astimezone(tz)
    due = next_poll(now, interval=1800, min_interval=300)
    assert due.tzinfo is tz
    assert due - now == timedelta(seconds=1800)


# --- freshness ---------------------------------------------------------------------------------


@pytest.mark.parametrize("cache_control", [
    "max-age=600",
    "public, max-age=600",
    "private,max-age=600",
    "Max-Age=600",
    'max-age="600"',
    "max-age = 600",
])
def test_freshness_reads_max_age(cache_control):
    assert freshness({"cache-control": cache_control}, NOW) == 600.0


@pytest.mark.parametrize("cache_control", ["s-maxage=900", "public, s-maxage=900"])
def test_freshness_reads_s_maxage(cache_control):
    assert freshness({"cache-control": cache_control}, NOW) == 900.0


def test_freshness_subtracts_the_age_the_response_already_has():
    assert freshness({"cache-control": "max-age=600", "age": "100"}, NOW) == 500.0


def test_freshness_subtracts_an_age_with_surrounding_spaces():
    assert freshness({"cache-control": "max-age=600", "age": " 100 "}, NOW) == 500.0


def test_freshness_is_zero_when_the_response_is_older_than_max_age():
    assert freshness({"cache-control": "max-age=600", "age": "900"}, NOW) == 0.0


@pytest.mark.parametrize("age", ["soon", "", "1e3"])
def test_freshness_ignores_a_non_numeric_age(age):
    assert freshness({"cache-control": "max-age=600", "age": age}, NOW) == 600.0


@pytest.mark.parametrize("cache_control", [
    "no-cache",
    "no-store",
    "no-cache, max-age=600",
    "max-age=600, no-store",
    "private, No-Cache, max-age=600",
])
def test_no_cache_and_no_store_give_no_freshness_even_with_max_age(cache_control):
    assert freshness({"cache-control": cache_control}, NOW) is None


def test_no_cache_gives_no_freshness_even_with_expires():
    headers = {"cache-control": "no-cache", "expires": _http_date(3600)}
    assert freshness(headers, NOW) is None


def test_max_age_wins_over_expires():
    headers = {"cache-control": "max-age=600", "expires": _http_date(7200)}
    assert freshness(headers, NOW) == 600.0


def test_max_age_zero_wins_over_a_later_expires():
    headers = {"cache-control": "max-age=0", "expires": _http_date(7200)}
    assert freshness(headers, NOW) == 0.0


def test_freshness_is_the_time_until_a_future_expires():
    assert freshness({"expires": _http_date(3600)}, NOW) == pytest.approx(3600)


def test_freshness_uses_expires_when_cache_control_has_no_max_age():
    headers = {"cache-control": "public", "expires": _http_date(3600)}
    assert freshness(headers, NOW) == pytest.approx(3600)


def test_freshness_is_zero_for_an_expires_in_the_past():
    assert freshness({"expires": _http_date(-3600)}, NOW) == 0.0


@pytest.mark.parametrize("expires", ["0", "-1", "garbage", "Thu, 99 Foo 2024"])
def test_freshness_is_zero_for_an_unparsable_expires(expires):
    assert freshness({"expires": expires}, NOW) == 0.0


def test_expires_without_a_zone_is_read_as_utc():
    assert freshness({"expires": "Wed, 01 May 2024 13:00:00 -0000"}, NOW) == pytest.approx(3600)


def test_expires_is_compared_in_absolute_time_whatever_the_zone_of_now():
    now = NOW.astimezone(timezone(timedelta(hours=-7)))
    assert freshness({"expires": _http_date(3600)}, now) == pytest.approx(3600)


@pytest.mark.parametrize("headers", [{}, {"cache-control": "public"}, {"etag": '"abc"'},
                                     {"cache-control": "", "expires": ""}])
def test_freshness_is_none_when_the_server_says_nothing(headers):
    assert freshness(headers, NOW) is None


def test_freshness_looks_header_names_up_in_lowercase():
    headers = _RecordingHeaders({"cache-control": "max-age=600", "age": "100"})
    assert freshness(headers, NOW) == 500.0
    assert "cache-control" in headers.asked
    assert "age" in headers.asked
    assert all(name == name.lower() for name in headers.asked)


def test_freshness_finds_expires_under_its_lowercase_name():
    headers = _RecordingHeaders({"expires": _http_date(60)})
    assert freshness(headers, NOW) == pytest.approx(60)
    assert "expires" in headers.asked
    assert all(name == name.lower() for name in headers.asked)


# --- retry_after -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_reads_seconds(status):
    assert retry_after(status, {"retry-after": "120"}, NOW) == 120.0


def test_retry_after_reads_seconds_with_surrounding_spaces():
    assert retry_after(503, {"retry-after": " 120 "}, NOW) == 120.0


def test_retry_after_of_zero_seconds_is_zero():
    assert retry_after(429, {"retry-after": "0"}, NOW) == 0.0


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_as_http_date_is_the_time_until_it(status):
    assert retry_after(status, {"retry-after": _http_date(90)}, NOW) == pytest.approx(90)


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_as_http_date_in_the_past_is_zero(status):
    assert retry_after(status, {"retry-after": _http_date(-90)}, NOW) == 0.0


@pytest.mark.parametrize("headers", [{}, {"retry-after": ""}, {"retry-after": "later"}])
def test_429_that_does_not_say_how_long_waits_the_default(headers):
    assert retry_after(429, headers, NOW) == DEFAULT_RETRY_AFTER


def test_default_retry_after_is_five_minutes():
    assert retry_after(429, {}, NOW) == 300.0


@pytest.mark.parametrize("headers", [{}, {"retry-after": ""}, {"retry-after": "later"}])
def test_503_that_does_not_say_how_long_gives_no_retry_after(headers):
    assert retry_after(503, headers, NOW) is None


@pytest.mark.parametrize("status", [200, 301, 304, 404, 500, 502, None])
def test_retry_after_is_ignored_on_other_statuses(status):
    assert retry_after(status, {"retry-after": "120"}, NOW) is None
    assert retry_after(status, {"retry-after": _http_date(90)}, NOW) is None


def test_retry_after_looks_the_header_name_up_in_lowercase():
    headers = _RecordingHeaders({"retry-after": "120"})
    assert retry_after(429, headers, NOW) == 120.0
    assert headers.asked
    assert all(name == name.lower() for name in headers.asked)


# --- feed_period -------------------------------------------------------------------------------


@pytest.mark.parametrize(("ttl", "seconds"), [("60", 3600.0), ("90", 5400.0), ("1.5", 90.0),
                                              (" 30 ", 1800.0)])
def test_feed_period_reads_ttl_in_minutes(ttl, seconds):
    assert feed_period(ttl, None, None) == seconds


@pytest.mark.parametrize(("period", "seconds"), [
    ("hourly", 3600.0),
    ("daily", 86400.0),
    ("weekly", 604800.0),
    ("monthly", 30 * 86400.0),
    ("yearly", 365 * 86400.0),
])
def test_feed_period_reads_sy_update_period_once_per_period_by_default(period, seconds):
    assert feed_period(None, period, None) == seconds


@pytest.mark.parametrize("period", ["Daily", " DAILY ", "daily\n"])
def test_feed_period_reads_sy_update_period_in_any_case_and_spacing(period):
    assert feed_period(None, period, None) == 86400.0


@pytest.mark.parametrize(("period", "frequency", "seconds"), [
    ("daily", "2", 43200.0),
    ("hourly", "4", 900.0),
    ("weekly", "7", 86400.0),
    ("daily", " 24 ", 3600.0),
])
def test_feed_period_divides_the_period_by_the_update_frequency(period, frequency, seconds):
    assert feed_period(None, period, frequency) == pytest.approx(seconds)


@pytest.mark.parametrize("frequency", [None, "", "1", "0", "-3", "often", "0.5"])
def test_feed_period_counts_a_missing_or_bad_update_frequency_as_once(frequency):
    assert feed_period(None, "daily", frequency) == 86400.0


@pytest.mark.parametrize("frequency", ["nan", "inf"])
def test_feed_period_counts_a_non_finite_update_frequency_as_once(frequency):
    assert feed_period(None, "daily", frequency) == 86400.0


@pytest.mark.parametrize(("ttl", "period", "seconds"), [
    ("60", "daily", 86400.0),
    ("2880", "daily", 172800.0),
    ("120", "hourly", 7200.0),
])
def test_feed_period_takes_the_longer_of_ttl_and_sy_update_period(ttl, period, seconds):
    assert feed_period(ttl, period, None) == seconds


def test_feed_period_compares_ttl_with_the_divided_sy_period():
    # daily / 48 = 30 minutes, shorter than the 60 minute ttl
    assert feed_period("60", "daily", "48") == 3600.0


@pytest.mark.parametrize(("ttl", "period", "frequency"), [
    (None, None, None),
    ("", "", ""),
    ("soon", None, None),
    ("0", None, None),
    ("-5", None, None),
    ("nan", None, None),
    (None, "fortnightly", "2"),
    (None, None, "2"),
    ("soon", "sometimes", "often"),
])
def test_feed_period_is_none_for_garbage(ttl, period, frequency):
    assert feed_period(ttl, period, frequency) is None


@pytest.mark.parametrize("ttl", ["inf", "1e999"])
def test_feed_period_is_none_for_an_infinite_ttl(ttl):
    assert feed_period(ttl, None, None) is None


def test_garbage_ttl_does_not_hide_a_valid_sy_update_period():
    assert feed_period("soon", "daily", None) == 86400.0


def test_garbage_sy_update_period_does_not_hide_a_valid_ttl():
    assert feed_period("60", "fortnightly", "2") == 3600.0


# --- first_poll_delay --------------------------------------------------------------------------


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


def test_first_poll_delay_starts_the_first_source_at_once():
    assert first_poll_delay(0, 10, 600) == 0.0


@pytest.mark.parametrize("value", ["1000000000000", "9" * 400])
def test_absurd_retry_after_is_honoured_up_to_a_week_without_crashing(value: str) -> None:
    wait = retry_after(503, {"retry-after": value}, NOW)
    assert wait == WEEK
    assert _delay(interval=60, min_interval=60, error_count=1,
                  hints=ServerHints(retry_after=wait)) == pytest.approx(WEEK)


@pytest.mark.parametrize("header", ["s-maxage=7200, max-age=60", "max-age=60, s-maxage=7200"])
def test_s_maxage_speaks_for_a_republishing_cache_whatever_its_position(header: str) -> None:
    assert freshness({"cache-control": header}, NOW) == 7200


@pytest.mark.parametrize("header", ["retry-after", "age"])
def test_non_ascii_digits_in_headers_are_ignored_not_fatal(header: str) -> None:
    headers = {header: "²", "cache-control": "max-age=60"}
    assert retry_after(503, headers, NOW) is None or header == "age"
    assert freshness(headers, NOW) == 60
