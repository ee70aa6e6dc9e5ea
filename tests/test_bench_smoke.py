"""The benchmark runs end to end on a tiny farm (the full run is `make bench`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).parents[1] / "benchmarks" / "bench.py"


def test_benchmark_prints_every_figure_on_a_small_farm(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "--feeds", "4", "--runs", "1", "--entries-db", "3000",
         "--sources", "30", "--requests", "200", "--no-reader", "--work", str(tmp_path)],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    table = result.stdout
    for figure in ("cold ingest, wall: feedhub poll --no-publish",
                   "first publish of the farm (build)", "warm re-poll (all 304)",
                   "re-poll, 10% changed", "rebuild every merged feed, nothing changed",
                   "incremental publish, one new entry", "daemon resident memory",
                   "server, ~100 KB feed", "server, conditional (304)",
                   "floor: CPU that cannot be removed", "floor: that over every core (wall)"):
        assert figure in table, f"{figure!r} missing from:\n{table}"
    incremental = next(line for line in table.splitlines() if line.startswith("incremental"))
    assert "3000 entries" in incremental and "all.atom" in incremental
    floor = next(line for line in table.splitlines() if "cannot be removed" in line)
    assert all(part in floor for part in ("HTTP", "lxml", "feedparser", "nh3", "SQLite"))
