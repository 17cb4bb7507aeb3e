"""``edgebench agent sweep``: a grid of generated models, one result each, shared sweep id."""

from __future__ import annotations

import json
import os
import re
import signal
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

from click.testing import CliRunner

from edgebench.agent.config import load_agent_config
from edgebench.agent.engine.sweep import Cooldown, thermal_reader
from edgebench.shared.cli import cli
from edgebench.shared.result import RunResult
from edgebench.shared.wire import from_builtins as from_dict

# Fast run control: the model does not matter here, only that every configuration runs.
FAST = ["--runs", "3", "--min-secs", "0", "--warmup-runs", "1", "--warmup-secs", "0"]


def _results(folder: Path) -> list[RunResult]:
    files = sorted(p for p in folder.glob("*.json") if not p.name.startswith("."))
    results = [from_dict(RunResult, json.loads(p.read_text())) for p in files]
    for path, result in zip(files, results, strict=True):
        assert path.stem == result.run_id
    return results


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_tiny_sweep_results_table_and_plot(
    tmp_path: Path, agent_env: dict[str, str], output_dir: Path
) -> None:
    out, plot = tmp_path / "out", output_dir / "sweep-latency-vs-macs.png"
    plot.unlink(missing_ok=True)
    args = ["agent", "sweep", "--alpha", "0.35,0.5", "--resolution", "96", "--threads", "1"]
    result = CliRunner().invoke(
        cli, [*args, *FAST, "--out", str(out), "--plot", str(plot)], env=agent_env
    )
    assert result.exit_code == 0, result.stderr
    results = _results(out)
    assert len(results) == 2
    assert all(path.stat().st_mode & 0o044 for path in out.iterdir())  # not mkstemp's 0600
    assert {r.model.name for r in results} == {
        "gen-mobilenet_v2_0.35_96_int8",
        "gen-mobilenet_v2_0.5_96_int8",
    }
    sweep_ids = {r.sweep_id for r in results}
    assert len(sweep_ids) == 1
    assert re.fullmatch(r"[0-9a-f]{32}", sweep_ids.pop() or "")
    for r in results:
        assert r.status == "complete"
        assert r.config.threads == 1
        assert r.model.source == "generated"
        assert r.latency_ms.count >= 3
    # Wider model, more MACs.
    by_name = {r.model.name: r for r in results}
    assert (
        by_name["gen-mobilenet_v2_0.5_96_int8"].model.macs
        > by_name["gen-mobilenet_v2_0.35_96_int8"].model.macs
    )

    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "model", "threads", "p50", "ms", "p90", "ms", "inf/s", "M", "MACs", "GOPS", "verdict"
    ]  # fmt: skip
    for r in results:
        row = next(line for line in lines if line.startswith(r.model.name + " "))
        cells = row.split()
        assert cells[2] == f"{r.latency_ms.p50:.3f}"
        assert cells[3] == f"{r.latency_ms.p90:.3f}"
        assert cells[5] == f"{r.model.macs / 1e6:.1f}"
    assert result.stderr.count("no temperature sensor: cool-down skipped") == 1

    width, height = _png_size(plot)
    assert width >= 400
    assert height >= 300
    assert plot.stat().st_size > 10_000


def test_bad_grid_fails_before_running(tmp_path: Path, agent_env: dict[str, str]) -> None:
    out = tmp_path / "out"
    args = ["agent", "sweep", "--alpha", "0.35,0.6", "--resolution", "96", "--out", str(out)]
    result = CliRunner().invoke(cli, args, env=agent_env)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "edgebench: error: mobilenet_v2 does not support alpha 0.6; "
        "supported: 0.35, 0.5, 0.75, 1.0, 1.3, 1.4"
    ]
    assert not out.exists()
    result = CliRunner().invoke(cli, ["agent", "sweep", "--threads", "1,x"], env=agent_env)
    assert result.exit_code == 2
    assert "--threads" in result.stderr


def _cli_process(args: list[str], env: dict[str, str], **kwargs: object) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", "from edgebench.shared.cli import main; main()", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,  # type: ignore[arg-type]
    )


def test_plot_without_matplotlib_is_a_clear_error(
    tmp_path: Path, agent_env: dict[str, str]
) -> None:
    # A module that refuses to import stands in for a board without matplotlib.
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "matplotlib.py").write_text("raise ImportError('matplotlib is not installed')\n")
    env = {**agent_env, "PYTHONPATH": str(blocker)}
    args = ["agent", "sweep", "--alpha", "0.35", "--resolution", "96", "--plot", "p.png"]
    proc = _cli_process([*args, "--out", str(tmp_path / "out")], env, cwd=tmp_path)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 2, stderr
    assert "pip install matplotlib" in stderr
    # It fails before any run, so nothing was measured or saved.
    assert not (tmp_path / "out").exists()
    assert stdout == ""


def test_interrupted_sweep_keeps_finished_results(
    tmp_path: Path, agent_env: dict[str, str]
) -> None:
    out = tmp_path / "out"
    args = [
        "agent", "sweep", "--alpha", "0.35,0.5,0.75,1.0", "--resolution", "96,128",
        "--threads", "1", "--runs", "3", "--min-secs", "1", "--warmup-secs", "0",
        "--out", str(out),
    ]  # fmt: skip
    proc = _cli_process(args, agent_env)
    deadline = time.monotonic() + 120
    while not any(p for p in out.glob("*.json") if not p.name.startswith(".")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no result appeared"
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    results = _results(out)
    assert 1 <= len(results) < 8
    assert len({r.sweep_id for r in results}) == 1
    assert sum(r.status == "complete" for r in results) >= 1
    # The table shows what finished, one row per saved result.
    rows = [line for line in stdout.splitlines() if line.startswith("gen-mobilenet_v2_")]
    assert len(rows) == len(results)
    assert "sweep interrupted" in stderr


def _thermal_tree(root: Path, millidegrees: int) -> Path:
    zone = root / "class" / "thermal" / "thermal_zone0"
    zone.mkdir(parents=True)
    (zone / "type").write_text("cpu-thermal\n")
    temp = zone / "temp"
    temp.write_text(f"{millidegrees}\n")
    return temp


def test_cooldown_waits_until_near_the_starting_temperature(tmp_path: Path) -> None:
    temp = _thermal_tree(tmp_path / "sys", 50000)
    config = load_agent_config(flags={"sys_root": tmp_path / "sys", "vcgencmd": "/nonexistent"})
    reader = thermal_reader(config, None)  # type: ignore[arg-type]
    assert reader is not None
    cooldown = Cooldown(reader, tolerance_c=2.0, max_secs=60, poll_s=0.02)
    assert cooldown.baseline_c == 50.0
    temp.write_text("58000\n")  # the run heated the SoC

    def cool() -> None:
        for value in (56000, 54000, 52500, 51500):
            time.sleep(0.1)
            # Replace the file whole: a sysfs read never sees a half-written value.
            staging = temp.with_name("temp.new")
            staging.write_text(f"{value}\n")
            os.replace(staging, temp)

    cooler = threading.Thread(target=cool)
    cooler.start()
    _, final = cooldown.wait()
    cooler.join()
    assert final == 51.5  # the first reading within 2 °C of the 50 °C start


def test_cooldown_gives_up_after_max_secs(tmp_path: Path) -> None:
    temp = _thermal_tree(tmp_path / "sys", 40000)
    config = load_agent_config(flags={"sys_root": tmp_path / "sys", "vcgencmd": "/nonexistent"})
    reader = thermal_reader(config, None)  # type: ignore[arg-type]
    cooldown = Cooldown(reader, tolerance_c=2.0, max_secs=0.2, poll_s=0.02)
    temp.write_text("70000\n")
    _, final = cooldown.wait()
    assert final == 70.0  # returned although still hot
    assert Cooldown(None).wait() == (0.0, None)
    no_sensor = load_agent_config(flags={"sys_root": tmp_path / "none", "vcgencmd": "/nonexistent"})
    assert thermal_reader(no_sensor, None) is None  # type: ignore[arg-type]


def test_sweep_publishes_every_result_to_the_broker(
    tmp_path: Path, agent_env: dict[str, str], mosquitto
) -> None:
    from edgebench.shared.messages import ResultMessage
    from tests.agent.transport.conftest import Subscriber, wait_until

    subscriber = Subscriber(mosquitto.port).start()
    try:
        out = tmp_path / "out"
        args = ["agent", "sweep", "--alpha", "0.35", "--resolution", "96,128", "--threads", "1"]
        extra = ["--broker", mosquitto.url, "--device-id", "sweep-dev", "--out", str(out)]
        result = CliRunner().invoke(cli, [*args, *FAST, *extra], env=agent_env)
        assert result.exit_code == 0, result.stderr
        assert wait_until(lambda: len(subscriber.of_type("result")) >= 2)
        published = {
            m.result.run_id: m.result for m in subscriber.messages() if isinstance(m, ResultMessage)
        }
    finally:
        subscriber.stop()
    saved = {r.run_id: r for r in _results(out)}
    assert set(published) == set(saved)
    assert len({r.sweep_id for r in published.values()}) == 1
    for run_id, r in published.items():
        assert r.device.device_id == "sweep-dev"
        assert r.sweep_id == saved[run_id].sweep_id
        assert r.latency_ms == saved[run_id].latency_ms
