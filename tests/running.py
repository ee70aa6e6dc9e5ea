"""Driving ``feedhub run`` as a child process, and HTTP GETs against what it serves."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def wait_for(predicate: Callable[[], object], timeout: float = 20.0,
             what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Daemon:
    def __init__(self, config: Path, port: int) -> None:
        self.port = port
        self.log = config.parent / "daemon.log"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "feedhub", "run", "-c", str(config)],
            stdout=subprocess.DEVNULL, stderr=open(self.log, "w"), env=env)  # noqa: SIM115

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{quote(path)}"

    def health(self) -> dict:
        return json.loads(get(self.url("healthz"))[2])

    def kill(self) -> None:
        """End the daemon if a test left it running."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def logged(self) -> str:
        return self.log.read_text(encoding="utf-8")


def edit(config: Path, old: str, new: str) -> None:
    text = config.read_text(encoding="utf-8")
    assert old in text
    # Replace the file the way editors do: write a new one and rename it over the old.
    tmp = config.with_suffix(".new")
    tmp.write_text(text.replace(old, new), encoding="utf-8")
    tmp.replace(config)
