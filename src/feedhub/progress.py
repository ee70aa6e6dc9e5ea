"""Progress of long CLI work (``poll``, ``build``): a bar on a terminal, a few plain lines in
a log.

On a terminal, rich draws a bar with counts, rate and time left, and the log lines of the
work scroll above it. Elsewhere (cron, systemd, CI) a line is written each time another tenth
of the work is done, and at the end: a log of 10,000 sources gets eleven lines, not a carriage
return per source; work done within two seconds gets none.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TextIO

if TYPE_CHECKING:
    from rich.console import Console

STEPS = 10  # plain lines per run, besides the last
QUIET = 2.0  # seconds of work that need no plain lines: a quick run is told by its summary


class Progress(Protocol):
    """Told how far the work has come: ``done`` of ``total`` items, ``failed`` of them."""

    def __call__(self, done: int, total: int, failed: int = 0) -> None: ...


@dataclass
class Milestones:
    """When a plain progress line is due: once the work has run ``quiet`` seconds, at each
    further tenth of ``total``, and at the end if any line came before. Pure: it only counts."""

    steps: int = STEPS
    quiet: float = QUIET
    _passed: int = field(default=0, init=False)  # the tenths already reported

    def due(self, done: int, total: int, seconds: float) -> bool:
        """True when ``done`` of ``total``, ``seconds`` into the work, deserves a line."""
        if total <= 0 or (seconds < self.quiet and not (done >= total and self._passed)):
            return False
        reached = self.steps if done >= total else math.floor(done * self.steps / total)
        if reached <= self._passed:
            return False
        self._passed = reached
        return True


def line(label: str, unit: str, done: int, total: int, failed: int, seconds: float) -> str:
    """One plain progress line, e.g. ``feedhub: poll: 120/500 sources (24%), 3 failed, 12 s``."""
    percent = 100 * done // total if total else 100
    failures = f", {failed:,} failed" if failed else ""
    return (f"feedhub: {label}: {done:,}/{total:,} {unit} ({percent}%){failures}, "
            f"{seconds:,.0f} s")


@contextmanager
def reporting(label: str, unit: str, stream: TextIO,
              clock: Callable[[], float] = time.monotonic) -> Iterator[Progress]:
    """A :class:`Progress` for ``label`` (``poll``) counting ``unit`` (``sources``), drawn on
    ``stream`` as a bar if it is a terminal, else as plain lines."""
    if stream.isatty():
        with _bar(label, unit, stream) as bar:
            yield bar
        return
    started = clock()
    milestones = Milestones()

    def report(done: int, total: int, failed: int = 0) -> None:
        seconds = clock() - started
        if milestones.due(done, total, seconds):
            stream.write(line(label, unit, done, total, failed, seconds) + "\n")
            stream.flush()

    yield report


@contextmanager
def _bar(label: str, unit: str, stream: TextIO) -> Iterator[Progress]:
    # rich (not tqdm): it measures CJK text at two columns, and its live display keeps the
    # log's lines above the bar instead of tearing it.
    import rich.console
    import rich.progress as rp

    console = rich.console.Console(file=stream)
    bar = rp.Progress(rp.TextColumn(label), rp.BarColumn(), rp.MofNCompleteColumn(),
                      rp.TextColumn(unit + " {task.fields[failures]}"), rp.TimeElapsedColumn(),
                      rp.TimeRemainingColumn(), console=console, transient=False)
    task = bar.add_task(label, total=None, failures="")
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)]
    with bar:
        # The log writes through the console while the bar is drawn, so its lines go above.
        streams = [h.setStream(_ConsoleStream(console)) for h in handlers]
        try:
            def report(done: int, total: int, failed: int = 0) -> None:
                bar.update(task, completed=done, total=total,
                           failures=f"· {failed:,} failed" if failed else "")

            yield report
        finally:
            for handler, old in zip(handlers, streams, strict=True):
                handler.setStream(old)


class _ConsoleStream:
    """A text stream writing through a rich console, for the log's handler."""

    def __init__(self, console: Console) -> None:
        self._console = console

    def write(self, text: str) -> int:
        self._console.print(text.rstrip("\n"), markup=False, highlight=False, soft_wrap=True)
        return len(text)

    def flush(self) -> None:
        pass
