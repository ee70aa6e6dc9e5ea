"""The states a source can be in: one vocabulary for the database, ``feedhub status``,
``/healthz``, the ``feedhub_sources{state}`` metric and the index page.

- ``new``: not polled yet since it was added (or since its URL or its entry changed);
- ``ok``: its last poll succeeded;
- ``failing``: its last poll failed; it is retried with backoff;
- ``gone``: it answered 410 Gone and is not polled until its entry in config.yaml changes.
"""

from __future__ import annotations

NEW = "new"
OK = "ok"
FAILING = "failing"
GONE = "gone"
STATES = (NEW, OK, FAILING, GONE)

# The states a curator has to look at: nothing new comes from such a source.
TROUBLED = frozenset({FAILING, GONE})

_LABELS = {
    "en": {NEW: "not polled yet", OK: "ok", FAILING: "failing", GONE: "gone"},
    "zh": {NEW: "尚未抓取", OK: "正常", FAILING: "抓取失败", GONE: "已失效"},
}


def label(state: str, language: str = "en") -> str:
    """The state in words for a reader of ``language`` (``zh``, ``zh-CN``, ``en``, ...);
    English for a language without labels, the state's own name for an unknown state."""
    labels = _LABELS.get(language.split("-")[0].lower(), _LABELS["en"])
    return labels.get(state, state)
