"""The busy-board guard: fake /proc roots for the arithmetic, a real CPU hog end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from edgebench.agent.config import AgentConfig
from edgebench.agent.engine.busy import CLOCK_TICKS, BusyGuard, CpuReading, other_cpu_pct
from edgebench.agent.engine.verdict import make_verdict
from tests.agent.test_cli_run import SMALL, agent_run
from tests.fixtures.boards import BOARDS_DIR

GOOD = {
    "count": 100,
    "duration_s": 2.0,
    "min_runs": 50,
    "min_secs": 1.0,
    "throttle_reasons": [],
    "interrupted": False,
}


class FakeStat:
    """A proc root whose ``stat`` moves by a chosen amount on every window (sleep)."""

    def __init__(self, root: Path, cores: int = 2, other_pct: float = 0.0) -> None:
        self.path = root / "stat"
        root.mkdir(parents=True, exist_ok=True)
        self.cores, self.other_pct = cores, other_pct
        self.busy, self.idle, self.sleeps = 1000, 50_000, []
        self._write()

    def _write(self) -> None:
        lines = [f"cpu  {self.busy} 0 0 {self.idle} 0 0 0 0 0 0"]
        lines += [f"cpu{i} 0 0 0 0 0 0 0 0 0 0" for i in range(self.cores)]
        self.path.write_text("\n".join(lines) + "\n")

    def sleep(self, seconds: float) -> None:
        """Advance the counters by one window of ``seconds`` in which others used other_pct."""
        self.sleeps.append(seconds)
        ticks = round(seconds * CLOCK_TICKS)
        busy = round(ticks * self.other_pct / 100)
        self.busy += busy
        self.idle += ticks * self.cores - busy
        self._write()


def config(root: Path, **changes) -> AgentConfig:
    return AgentConfig(proc_root=root, **changes)


def test_other_cpu_subtracts_our_own_time():
    before = CpuReading(busy_ticks=0, total_ticks=0, cores=2, own_s=0.0)
    after = CpuReading(busy_ticks=150, total_ticks=200, cores=2, own_s=1.0 * 100 / CLOCK_TICKS)
    assert other_cpu_pct(before, after) == pytest.approx(50.0)
    assert other_cpu_pct(before, None) is None
    # Too short a window (or a frozen fixture tree) says nothing.
    assert other_cpu_pct(before, CpuReading(10, 20, 2, 0.0)) is None


def test_a_fixture_tree_gives_no_figure_and_no_verdict():
    guard = BusyGuard(config(BOARDS_DIR / "pi4" / "proc"), allowed=False, sleep=lambda s: None)
    guard.check_before()
    guard.start()
    guard.stop()
    info = guard.info()
    assert info.other_cpu_pct_before is None and info.other_cpu_pct_during is None
    assert not info.busy and not info.contended
    assert make_verdict(**GOOD, busy=info).status == "VALID"


def test_quiet_board_passes_at_once(tmp_path):
    stat = FakeStat(tmp_path / "proc", other_pct=2.0)
    guard = BusyGuard(config(tmp_path / "proc"), allowed=False, sleep=stat.sleep)
    guard.check_before()
    assert stat.sleeps == [1.0]
    assert guard.info().other_cpu_pct_before == pytest.approx(2.0, abs=1.0)
    verdict = make_verdict(**GOOD, busy=guard.info())
    assert verdict.status == "VALID" and verdict.checks["not_busy"]


def test_busy_board_waits_up_to_the_limit_then_is_invalid(tmp_path):
    stat = FakeStat(tmp_path / "proc", other_pct=60.0)
    cfg = config(tmp_path / "proc", busy_wait_s=0.0, busy_threshold_pct=10.0)
    waits = []
    guard = BusyGuard(cfg, allowed=False, sleep=stat.sleep)
    guard.check_before(on_wait=waits.append)
    info = guard.info()
    assert info.busy and not info.allowed and info.other_cpu_pct_before > 50
    verdict = make_verdict(**GOOD, busy=info)
    assert verdict.status == "INVALID"
    assert verdict.checks["not_busy"] is False
    assert verdict.reasons[0].startswith("busy board: other processes used 6")


def test_busy_board_that_calms_down_is_valid(tmp_path):
    stat = FakeStat(tmp_path / "proc", other_pct=60.0)
    guard = BusyGuard(config(tmp_path / "proc", busy_wait_s=60.0), allowed=False, sleep=stat.sleep)

    def calm(waited: float) -> None:
        stat.other_pct = 0.0

    guard.check_before(on_wait=calm)
    assert len(stat.sleeps) == 2 and not guard.info().busy


def test_allow_busy_records_without_waiting_or_judging(tmp_path):
    stat = FakeStat(tmp_path / "proc", other_pct=60.0)
    guard = BusyGuard(config(tmp_path / "proc", busy_wait_s=60.0), allowed=True, sleep=stat.sleep)
    guard.check_before()
    info = guard.info()
    assert stat.sleeps == [1.0] and info.busy and info.allowed and info.waited_s == 0
    verdict = make_verdict(**GOOD, busy=info)
    assert verdict.status == "VALID" and "not_busy" not in verdict.checks


@pytest.fixture()
def cpu_hog():
    """A real busy loop in another process, for as long as the test runs."""
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    yield hog
    hog.kill()
    hog.wait()


QUICK_BUSY = ["--runs", "20", "--min-secs", "1", "--warmup-secs", "0", "--threads", "1"]


def test_a_cpu_hog_makes_the_run_invalid(models_dir, tmp_path, cpu_hog):
    out = tmp_path / "busy.json"
    proc = agent_run(tmp_path, str(models_dir / SMALL), *QUICK_BUSY, "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    busy, verdict = doc["busy"], doc["verdict"]
    assert busy["busy"] and busy["contended"] and not busy["allowed"]
    assert busy["other_cpu_pct_before"] > 50 and busy["other_cpu_pct_during"] > 50
    assert verdict["status"] == "INVALID"
    assert not verdict["checks"]["not_busy"] and not verdict["checks"]["not_contended"]
    assert any(r.startswith("busy board:") for r in verdict["reasons"])
    assert "Busy guard other processes" in proc.stdout and "BUSY" in proc.stdout


def test_allow_busy_marks_the_run_instead(models_dir, tmp_path, cpu_hog):
    out = tmp_path / "allowed.json"
    proc = agent_run(
        tmp_path, str(models_dir / SMALL), *QUICK_BUSY, "--allow-busy", "--json", str(out)
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    assert doc["busy"]["allowed"] and doc["busy"]["busy"]
    assert "not_busy" not in doc["verdict"]["checks"]
    assert not any("busy" in r or "contended" in r for r in doc["verdict"]["reasons"])
    assert any("--allow-busy" in w for w in doc["warnings"])
    assert "allowed by --allow-busy" in proc.stdout
