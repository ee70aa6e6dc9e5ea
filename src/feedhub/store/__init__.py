"""The SQLite database, through sqlite-utils: the single source of truth.

Tables: ``sources`` (polling state), ``hosts`` (waits hosts asked for), ``entries`` (one row
per article), ``entry_sources`` (which source knows an entry under which dedup key),
``entry_nodes`` (every tree node an entry belongs to, with its sort date and sequence number,
so a node's feed is one indexed range scan), ``nodes`` (per-node counters), ``fetches`` (a
log) and ``meta`` (the schema version, the last good config, the last publish). Each fetched
feed is stored in one transaction.

The parts, one file each: ``_schema`` (tables and migrations), ``_nodes`` (which tree nodes
an entry is in), ``_sources`` (sources and hosts), ``_entries`` (what a poll writes), ``_hub``
(hub-wide values and summaries), ``_activity`` (the index page's counts and titles),
``_store`` (the ``Store`` itself, and the reads publishing needs). Each part calls only what
it or a part below it defines.
"""

from feedhub.model import from_iso, iso
from feedhub.store._sources import SourceStatus, host_of
from feedhub.store._store import Store

__all__ = ["SourceStatus", "Store", "from_iso", "host_of", "iso"]
