"""A source's include/exclude rules: keywords, or /regex/, on title and content. Pure."""

from __future__ import annotations

import re
from collections.abc import Sequence


def _is_regex(rule: str) -> bool:
    return len(rule) >= 2 and rule.startswith("/") and rule.endswith("/")


def _matches(rule: str, text: str) -> bool:
    if _is_regex(rule):
        return re.search(rule[1:-1], text, re.IGNORECASE) is not None
    return rule.casefold() in text.casefold()


def passes(title: str, text: str, include: Sequence[str], exclude: Sequence[str]) -> bool:
    """True when no exclude rule matches and, if there are include rules, one of them does."""
    haystack = f"{title}\n{text}"
    if any(_matches(rule, haystack) for rule in exclude):
        return False
    return not include or any(_matches(rule, haystack) for rule in include)


def check_rule(rule: str) -> str:
    """Validate one rule (a /regex/ must compile); return it unchanged."""
    if _is_regex(rule):
        try:
            re.compile(rule[1:-1])
        except re.error as exc:
            raise ValueError(f"bad regular expression {rule!r}: {exc}") from None
    return rule
