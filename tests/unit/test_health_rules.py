"""The health verdict: which facts make the hub ok, degraded or failing, and the reasons given."""

from datetime import UTC, datetime, timedelta

from feedhub.health import ConfigTrouble, answer, assess
from feedhub.model import HubFacts
from feedhub.states import STATES, label

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def facts(due: datetime | None = None, **states: int) -> HubFacts:
    return HubFacts(sources=dict.fromkeys(STATES, 0) | states, entries=7, earliest_due=due,
                    last_poll=NOW - timedelta(minutes=1), last_publish=None)


def test_new_and_ok_sources_are_healthy() -> None:
    health = assess(facts(new=2, ok=3), NOW, NOW - timedelta(hours=1))
    assert (health.status, health.reasons, health.http_status) == ("ok", (), 200)


def test_some_failing_or_gone_sources_degrade_the_hub() -> None:
    health = assess(facts(ok=7, failing=2, gone=1), NOW)
    assert health.status == "degraded" and health.http_status == 200
    assert health.reasons == ("2 of 10 sources failing", "1 of 10 sources gone")


def test_nothing_coming_in_from_any_source_is_failing() -> None:
    health = assess(facts(failing=3, gone=1), NOW)
    assert health.status == "failing" and health.http_status == 503
    assert health.reasons == ("3 of 4 sources failing", "1 of 4 sources gone")


def test_a_poll_due_more_than_ten_minutes_ago_is_a_stalled_scheduler() -> None:
    due = NOW - timedelta(minutes=25)
    health = assess(facts(due, ok=2, failing=1), NOW, NOW - timedelta(hours=1))
    assert health.status == "failing"
    assert health.reasons == (
        "scheduler stalled: the poll due at 2024-05-01T11:35:00Z is 25 minutes late",
        "1 of 3 sources failing")
    # Ten minutes late is still on time; lateness counts from the scheduler's start; a process
    # without a scheduler (`feedhub serve`) cannot stall; nor can a hub without sources.
    assert assess(facts(NOW - timedelta(minutes=10), ok=1), NOW, NOW - timedelta(hours=1)
                  ).status == "ok"
    assert assess(facts(due, ok=1), NOW, NOW - timedelta(minutes=5)).status == "ok"
    assert assess(facts(due, ok=1), NOW).status == "ok"
    assert assess(facts(due), NOW, NOW - timedelta(hours=1)).status == "ok"


def test_a_config_file_that_could_not_be_applied_degrades_with_its_error() -> None:
    trouble = ConfigTrouble("config.yaml:4: polling.interval: 'soon' is not a duration",
                            NOW - timedelta(hours=2))
    health = assess(facts(ok=1), NOW, NOW - timedelta(hours=3), trouble)
    assert health.status == "degraded"
    assert health.reasons == ("config.yaml:4: polling.interval: 'soon' is not a duration "
                              "(running the config loaded at 2024-05-01T10:00:00Z)",)
    # Worse trouble decides the status; the config's reason is still given.
    worse = assess(facts(failing=1), NOW, None, trouble)
    assert worse.status == "failing" and len(worse.reasons) == 2


def test_the_answer_lists_every_state_and_the_times_in_utc() -> None:
    status, body = answer(facts(ok=1, failing=1), NOW)
    assert status == 200
    assert body == {"status": "degraded", "reasons": ["1 of 2 sources failing"],
                    "sources": {"new": 0, "ok": 1, "failing": 1, "gone": 0}, "entries": 7,
                    "last_poll": "2024-05-01T11:59:00Z", "last_publish": None}


def test_state_labels_follow_the_language_and_fall_back_to_english() -> None:
    assert label("failing", "zh-CN") == label("failing", "zh") != label("failing", "en")
    assert label("gone", "fr") == label("gone") == "gone"
    assert {label(s, "zh") for s in STATES}.isdisjoint(STATES)  # every state has its words
    assert label("unheard-of") == "unheard-of"
