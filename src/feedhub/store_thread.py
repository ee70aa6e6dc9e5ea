"""The store behind one thread, so that an event loop never waits on SQLite."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from feedhub.store import Store

P = ParamSpec("P")
T = TypeVar("T")


class StoreThread:
    """Runs every call on the store in one worker thread, one at a time (the store is not
    thread-safe, and SQLite serializes writers anyway)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="feedhub-db")

    async def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(*args, **kwargs)`` on the store's thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(*args, **kwargs))

    def close(self) -> None:
        """Finish the calls queued, then close the store."""
        self._executor.shutdown(wait=True)
        self.store.close()
