"""The base every part of the store builds on."""

from __future__ import annotations

from pathlib import Path

import sqlite_utils


class Tables:
    """What every part of the store shares: the database handle, its file, and the authority
    of the ``tag:`` ids it mints (set when the store opens)."""

    db: sqlite_utils.Database
    path: Path
    authority: str
