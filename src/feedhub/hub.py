"""One hub: its config and database, and the steps every way of running it takes, in one order:
bring the database in line with the config, poll, publish what changed, tell the WebSub hub.

``feedhub poll``, ``feedhub build`` and the daemon all go through a :class:`Hub`; they differ
only in when they call it (once, or on a schedule) and in what they show meanwhile.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import datetime

from feedhub.config import Config
from feedhub.fetch import Fetcher, user_agent
from feedhub.model import PollOutcome, Source, SourceState
from feedhub.poller import Skip, poll_in_order, poll_source, prepare
from feedhub.publish.build import Listing, PublishReport, publish
from feedhub.publish.plan import Changes
from feedhub.store import Store
from feedhub.store_thread import StoreThread


class Hub:
    """A config and its database, open. ``listing``: keep what the files listing the feeds
    were last written from, for a publisher that publishes again and again (the daemon)."""

    def __init__(self, config: Config, cache_mib: int | None = None,
                 listing: bool = False) -> None:
        """Open the config's database (see :class:`~feedhub.store.Store` for ``cache_mib``)."""
        # The daemon replaces it on a reload: every step reads the config of the moment.
        self.config = config
        self.store = StoreThread(Store.for_base_url(config.database, config.base_url,
                                                    cache_mib=cache_mib))
        self.listing = Listing() if listing else None

    def close(self) -> None:
        """Finish what is queued on the database, and close it."""
        self.store.close()

    async def sync(self, at: datetime) -> frozenset[str]:
        """Bring the sources in the database in line with the config, which the database keeps
        as the last good one (``feedhub status`` reads it while the file is broken); returns
        the nodes whose entries that regrouped (sources removed, disabled or back)."""
        parts = self.store.store
        regrouped = await self.store.call(parts.sources.sync, self.config.sources)
        await self.store.call(parts.meta.remember_config, str(self.config.file),
                              self.config.text, at)
        return regrouped

    async def poll(self, sources: list[Source],
                   progress: Callable[[int, int, int], None] | None = None,
                   ) -> tuple[list[PollOutcome], list[Skip]]:
        """Poll ``sources`` as a batch, stored in config order (see
        :func:`~feedhub.poller.poll_in_order`)."""
        return await poll_in_order(self.config, self.store, sources, progress)

    async def prepare(self, source: Source, now: datetime) -> tuple[SourceState, Skip | None]:
        """A due source's state, and whether it must wait instead (the daemon's first step)."""
        return await prepare(self.store, source, now)

    async def poll_one(self, fetcher: Fetcher, source: Source, rng: random.Random,
                       state: SourceState) -> PollOutcome:
        """Poll one source from ``state`` (:meth:`prepare`'s), on the daemon's fetcher."""
        return await poll_source(self.config, self.store, fetcher, source, rng, state)

    async def publish(self, changes: Changes | None,
                      progress: Callable[[int, int], None] | None = None) -> PublishReport:
        """Publish what ``changes`` affects (everything when None), then tell the WebSub hub
        which feeds changed."""
        report = await self.store.call(publish, self.config, self.store.store, changes,
                                       self.listing, progress)
        await self.ping(report.changed_feeds)
        return report

    async def ping(self, urls: Sequence[str]) -> None:
        """Tell ``publish.websub_hub``, if there is one, that the feeds at ``urls`` changed."""
        if self.config.publish.websub_hub and urls:
            # Imported only here: a `poll` from cron that finds nothing new never needs it.
            from feedhub.websub import ping_hub

            await ping_hub(self.config.publish.websub_hub, list(urls),
                           user_agent(self.config.base_url))
