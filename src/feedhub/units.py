"""Durations (``30m``, ``1h30m``) and sizes (``10MB``, ``512KiB``) as written in config.yaml."""

from __future__ import annotations

import math
import re

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)", re.IGNORECASE)
_DURATION_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)
_SIZE_FACTOR = {
    "": 1, "b": 1,
    "k": 10**3, "kb": 10**3, "kib": 2**10, "ki": 2**10,
    "m": 10**6, "mb": 10**6, "mib": 2**20, "mi": 2**20,
    "g": 10**9, "gb": 10**9, "gib": 2**30, "gi": 2**30,
}


def parse_duration(value: object) -> float:
    """Seconds from a number (seconds) or a string: ``45s``, ``30m``, ``2h``, ``1h30m``, ``7d``."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration (use e.g. 30s, 5m, 2h, 1d)")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
        parts = _DURATION_PART.findall(text)
        if not parts or "".join(n + u for n, u in parts).lower() != text.lower():
            raise ValueError(f"{value!r} is not a duration (use e.g. 30s, 5m, 2h, 1d)")
        seconds = sum(float(n) * _DURATION_SECONDS[u.lower()] for n, u in parts)
    else:
        raise ValueError(f"{value!r} is not a duration (use e.g. 30s, 5m, 2h, 1d)")
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"{value!r} must be a finite duration longer than zero")
    return seconds


def parse_size(value: object) -> int:
    """Bytes from a number or a string like ``10MB`` (decimal) or ``8MiB`` (binary)."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a size (use e.g. 512KB, 10MB, 8MiB)")
    if isinstance(value, int):
        size = value
    elif isinstance(value, str) and (match := _SIZE.match(value)):
        unit = (match.group(2) or "").lower()
        size = int(float(match.group(1)) * _SIZE_FACTOR[unit])
    else:
        raise ValueError(f"{value!r} is not a size (use e.g. 512KB, 10MB, 8MiB)")
    if size <= 0:
        raise ValueError(f"{value!r} must be larger than zero")
    return size
