"""The base every part of the store builds on."""

from __future__ import annotations

from pathlib import Path

import sqlite_utils


class Tables:
    """What every part of the store shares: the database handle and its file."""

    db: sqlite_utils.Database
    path: Path
