"""The context of feedhub's worker processes: parsing in a poll, rendering in a publish."""

from __future__ import annotations

import multiprocessing
import multiprocessing.context

# What a worker needs, imported once by the fork server rather than by every worker it forks.
PRELOAD = ["feedhub.parse", "feedhub.publish.feed_pool"]


def worker_context() -> multiprocessing.context.BaseContext:
    """The forkserver context, its server importing :data:`PRELOAD` once.

    forkserver, not fork: a feedhub process already runs threads (the database's, the
    writer's), and a fork could copy a lock one of them holds. One server serves both pools,
    and its preload is fixed when it starts, so it loads what either of them needs.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context
