"""The SQLite database, through sqlite-utils: the single source of truth.

Tables: ``sources`` (polling state), ``hosts`` (waits hosts asked for), ``entries`` (one row
per article), ``entry_sources`` (which source knows an entry under which dedup key),
``entry_nodes`` (every tree node an entry belongs to, with its sort date and sequence number,
so a node's feed is one indexed range scan), ``nodes`` (per-node counters), ``fetches`` (a
log) and ``meta`` (the schema version, the last good config, the last publish). Each fetched
feed is stored in one transaction.

The parts, one file each, all over the one connection the ``Store`` opens, each given the
parts it uses when the store is built: ``_nodes`` (which tree nodes an entry is in, with their
counts), ``_sources`` (sources and hosts), ``_retention`` (a source's age and count limits),
``_polls`` (what a poll writes), ``_publishing`` (what a publish reads and records), ``_meta``
(hub-wide values and summaries), ``_activity`` (the index page's counts and titles);
``_schema`` creates and upgrades the tables, and ``_store`` opens the file and builds the parts.
"""

from feedhub.model import from_iso, iso
from feedhub.store._sources import SourceStatus, host_of
from feedhub.store._store import Store

__all__ = ["SourceStatus", "Store", "from_iso", "host_of", "iso"]
