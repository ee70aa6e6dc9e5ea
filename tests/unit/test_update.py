"""What one poll does to a source (``feedhub.update.decide``): the state machine as a table,
without SQLite or a network."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from feedhub.model import FetchResult, ParsedFeed, Source, SourceState
from feedhub.update import FeedFacts, SourceUpdate, broken, decide

URL = "https://a.example/feed"
SOURCE = Source(path=("科技", "甲"), url=URL, interval=1800)
END = datetime(2024, 5, 1, 12, 0, 0, 250_000, tzinfo=UTC)  # when the poll ended
AT = END.replace(microsecond=0)
EARLIER = AT - timedelta(hours=5)
HEALTHY = SourceState(SOURCE.id, URL, etag='"v1"', last_modified="Tue, 30 Apr 2024 00:00:00 GMT",
                      state="ok", last_poll=EARLIER, last_success=EARLIER, body_hash="old",
                      period=None)
FAILING = replace(HEALTHY, state="failing", error="HTTP 500 from a.example", error_count=2,
                  error_since=EARLIER)
FEED = ParsedFeed(title="甲的博客", link="https://a.example/", entries=(), period=None,
                  feed_id="urn:uuid:1", updated=EARLIER)


def ok(status: int = 200, **kwargs: Any) -> FetchResult:
    return FetchResult(URL, URL, status, etag=kwargs.pop("etag", '"v2"'),
                       last_modified=kwargs.pop("last_modified", None), **kwargs)


def failed(status: int | None, error: str, **kwargs: Any) -> FetchResult:
    return FetchResult(URL, URL, status, error=error, **kwargs)


def after(seconds: float) -> datetime:
    """The next poll ``seconds`` after the poll's end, rounded up to the second."""
    return (END + timedelta(seconds=seconds)).replace(microsecond=0) + timedelta(seconds=1)


FRESH = {"state": "ok", "error": None, "error_count": 0, "error_since": None,
         "last_success": AT}

CASES = [
    # (case, state before, fetch result, body hash, parsed, parse error, what the update holds)
    ("a new body is read", HEALTHY, ok(), "new", FEED, None,
     {**FRESH, "etag": '"v2"', "last_modified": None, "body_hash": "new",
      "feed": FeedFacts("甲的博客", "https://a.example/", "urn:uuid:1", EARLIER),
      "next_poll": after(1800), "state_changed": False}),
    ("the same body again refreshes the validators, keeps the feed's facts", HEALTHY, ok(),
     "old", None, None,
     {**FRESH, "etag": '"v2"', "body_hash": "old", "feed": None, "next_poll": after(1800)}),
    ("a 304 naming validators takes them", HEALTHY, ok(304, etag='"v3"'), None, None, None,
     {**FRESH, "etag": '"v3"', "last_modified": None, "body_hash": "old"}),
    ("a 304 naming none keeps those that earned it", HEALTHY, ok(304, etag=None), None, None,
     None, {**FRESH, "etag": '"v1"', "last_modified": HEALTHY.last_modified}),
    ("a first failure", HEALTHY, failed(500, "HTTP 500 from a.example"), None, None, None,
     {"state": "failing", "error": "HTTP 500 from a.example", "error_count": 1,
      "error_since": AT, "last_success": EARLIER, "etag": '"v1"', "body_hash": "old",
      "next_poll": after(1800), "state_changed": True}),
    ("the same failure again doubles the wait, keeps the streak's start", FAILING,
     failed(500, "HTTP 500 from a.example"), None, None, None,
     {"state": "failing", "error_count": 3, "error_since": EARLIER,
      "next_poll": after(4 * 1800), "state_changed": False}),
    ("another failure is a change to show", FAILING, failed(None, "timed out after 20 s"),
     None, None, None, {"error": "timed out after 20 s", "error_count": 3, "state_changed": True}),
    ("a success ends the streak", FAILING, ok(), "new", FEED, None,
     {**FRESH, "state_changed": True, "next_poll": after(1800)}),
    ("410 Gone", HEALTHY, failed(410, "HTTP 410 Gone from a.example"), None, None, None,
     {"state": "gone", "error_count": 1, "state_changed": True}),
    ("a body that cannot be read is a failure, read again next time", HEALTHY, ok(), "broken",
     None, "not a feed: no <rss>, <feed> or <rdf:RDF> element",
     {"state": "failing", "error": "not a feed: no <rss>, <feed> or <rdf:RDF> element",
      "etag": '"v1"', "body_hash": "old", "feed": None, "last_success": EARLIER}),
    ("a 429's Retry-After holds the host and the source", HEALTHY,
     failed(429, "HTTP 429 from a.example", headers={"retry-after": "7200"}), None, None, None,
     {"state": "failing", "host_wait_until": after(7200),
      "next_poll": after(7200)}),
    ("a 429 without Retry-After waits five minutes", HEALTHY,
     failed(429, "HTTP 429 from a.example"), None, None, None,
     {"host_wait_until": after(300), "next_poll": after(1800)}),
    ("a permanent move is kept", HEALTHY, ok(moved_to="https://b.example/feed"), "new", FEED,
     None, {"moved_to": "https://b.example/feed"}),
    ("and stays once the new home answers directly",
     replace(HEALTHY, moved_to="https://b.example/feed"), ok(), "new", FEED, None,
     {"moved_to": "https://b.example/feed"}),
    ("a server's freshness lengthens the wait", HEALTHY,
     ok(headers={"cache-control": "max-age=7200"}), "new", FEED, None,
     {"next_poll": after(7200)}),
    ("but not a failed answer's", HEALTHY,
     failed(500, "HTTP 500", headers={"cache-control": "max-age=7200"}), None, None, None,
     {"next_poll": after(1800)}),
    ("the feed's announced period, read now", HEALTHY, ok(), "new",
     replace(FEED, period=10800.0), None,
     {"period": 10800.0, "next_poll": after(10800)}),
    ("or remembered when the body is unchanged", replace(HEALTHY, period=10800.0), ok(), "old",
     None, None, {"period": 10800.0, "next_poll": after(10800)}),
]


@pytest.mark.parametrize(("state", "result", "body_hash", "parsed", "parse_error", "expected"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_what_a_poll_does_to_a_source(state: SourceState, result: FetchResult,
                                      body_hash: str | None, parsed: ParsedFeed | None,
                                      parse_error: str | None, expected: dict[str, Any]) -> None:
    update = decide(SOURCE, state, result, body_hash=body_hash, parsed=parsed,
                    parse_error=parse_error, now=END, rand=0.5, min_interval=60)
    assert update.at == AT and update.status == result.status
    assert {k: getattr(update, k) for k in expected} == expected


def test_the_next_poll_is_spread_by_the_random_number_within_ten_percent() -> None:
    early, late = (decide(SOURCE, HEALTHY, ok(), body_hash="old", parsed=None, parse_error=None,
                          now=END, rand=r, min_interval=60).next_poll for r in (0.0, 0.999))
    assert early == after(1800 * 0.9) and late == after(1800 * 1.0998)


def test_min_interval_is_a_floor_even_for_a_short_interval() -> None:
    quick = replace(SOURCE, interval=10)
    update = decide(quick, HEALTHY, ok(), body_hash="old", parsed=None, parse_error=None,
                    now=END, rand=0.0, min_interval=300)
    assert update.next_poll == after(300)


def test_a_fault_of_feedhub_counts_as_a_failure_and_is_retried_after_min_interval() -> None:
    update = broken(FAILING, "internal error while polling: KeyError: 'x'", END, 300)
    assert update == SourceUpdate(
        at=AT, status=None, state="failing", error="internal error while polling: KeyError: 'x'",
        error_count=3, error_since=EARLIER, last_success=EARLIER, etag='"v1"',
        last_modified=HEALTHY.last_modified, body_hash="old", moved_to=None, period=None,
        feed=None, next_poll=after(300), host_wait_until=None, state_changed=True,
        based_on=EARLIER)
