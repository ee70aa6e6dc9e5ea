"""What ``/healthz`` answers: ``ok``, ``degraded`` or ``failing`` (HTTP 503), and why.

Pure: the facts come from the database (``Meta.facts``) and, for the daemon, from its
scheduler and its last config reload.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from feedhub.model import HubFacts, iso
from feedhub.states import FAILING, GONE, STATES, TROUBLED

HEALTHY = "ok"
DEGRADED = "degraded"
BROKEN = "failing"  # the word a monitor sees: nothing is coming in

# How late the earliest due poll may be before the scheduler counts as stalled. Intervals
# alone cannot tell a stall: ttl, caching headers and backoff lengthen waits legitimately.
STALL_MARGIN = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Health:
    """The verdict and the reasons for it, worst first."""

    status: str  # HEALTHY, DEGRADED or BROKEN
    reasons: tuple[str, ...] = ()

    @property
    def http_status(self) -> int:
        return 503 if self.status == BROKEN else 200


@dataclass(frozen=True, slots=True)
class ConfigTrouble:
    """The config file on disk is invalid; the daemon runs an older one."""

    error: str  # the one-line ConfigError: file:line: key: problem
    running_since: datetime  # when the config it runs was loaded


def assess(facts: HubFacts, now: datetime, scheduling_since: datetime | None = None,
           config: ConfigTrouble | None = None) -> Health:
    """Judge the hub. ``scheduling_since``: when the scheduler started, for a process that
    polls (None for ``feedhub serve``, which has no scheduler to stall)."""
    broken: list[str] = []
    degraded: list[str] = []
    total = sum(facts.sources.values())
    for state in (FAILING, GONE):
        if facts.sources[state]:
            degraded.append(f"{facts.sources[state]} of {total} sources {state}")
    if total and sum(facts.sources[s] for s in TROUBLED) == total:
        broken, degraded = degraded, []
    due = facts.earliest_due
    if scheduling_since is not None and total and due is not None:
        late = now - max(due, scheduling_since)
        if late > STALL_MARGIN:
            broken.insert(0, f"scheduler stalled: the poll due at {iso(due)} is "
                             f"{int(late.total_seconds() // 60)} minutes late")
    if config is not None:
        degraded.append(f"{config.error} (running the config loaded at "
                        f"{iso(config.running_since)})")
    status = BROKEN if broken else DEGRADED if degraded else HEALTHY
    return Health(status, tuple(broken + degraded))


def answer(facts: HubFacts, now: datetime, scheduling_since: datetime | None = None,
           config: ConfigTrouble | None = None) -> tuple[int, dict[str, Any]]:
    """The HTTP status and JSON body of ``/healthz`` (see :func:`assess`)."""
    health = assess(facts, now, scheduling_since, config)
    return health.http_status, {
        "status": health.status,
        "reasons": list(health.reasons),
        "sources": {state: facts.sources[state] for state in STATES},
        "entries": facts.entries,
        "last_poll": iso(facts.last_poll) if facts.last_poll else None,
        "last_publish": iso(facts.last_publish) if facts.last_publish else None,
    }
