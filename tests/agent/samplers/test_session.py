"""TelemetrySession: start/stop readings, the sampling thread, summaries and isolation."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from edgebench.agent.config import AgentConfig
from edgebench.agent.facts import collect_device_facts
from edgebench.agent.probe.context import NoData, SamplerContext
from edgebench.agent.samplers import base
from edgebench.agent.samplers.base import Sampler
from edgebench.agent.samplers.session import TelemetrySession, setup_samplers
from tests.fixtures.boards import copy_board, use_board


def session_for(config: AgentConfig, **changes: object) -> TelemetrySession:
    import msgspec

    config = msgspec.structs.replace(config, **changes)
    return TelemetrySession(config, collect_device_facts(config))


def wait_for_rows(session: TelemetrySession, count: int, limit_s: float = 20.0) -> None:
    deadline = time.monotonic() + limit_s
    while len(session.samples) < count and time.monotonic() < deadline:
        time.sleep(0.01)


def test_pi5_start_and_stop_readings_without_a_thread(monkeypatch) -> None:
    session = session_for(use_board(monkeypatch, "pi5"), sample_hz=0.0)
    seen: list[dict] = []
    session.on_sample = seen.append
    session.start()
    session.stop()
    assert len(session.samples) == 2 and seen == session.samples
    last = session.samples[-1]
    assert last["cpu_freq_mhz"] == pytest.approx(2400.004352)
    assert last["cpu_freq_req_mhz"] == 2400.0
    assert last["temp_c"] == pytest.approx(70.3)
    assert last["throttled"] == 0 and last["fan_rpm"] == 2500
    # hardware.md §1.6 worked example: the load capture sums to 10.80 W.
    assert last["power_pmic_raw_w"] == pytest.approx(10.80, abs=0.005)
    assert last["power_w"] == pytest.approx(last["power_pmic_raw_w"] * 1.1451 + 0.5879)
    summary = session.summary()
    assert summary["temp_c"].unit == "°C" and summary["temp_c"].count == 2
    assert summary["power_w"].unit == "W"
    assert summary["cpu_freq_mhz"].max == pytest.approx(2400.004352)
    assert "power_est_w" not in summary
    assert session.throttle_reasons() == []
    assert session.sampler_cpu_s >= 0


def test_throttling_during_the_window_is_reported(monkeypatch, tmp_path) -> None:
    root = copy_board("pi4", tmp_path)
    session = session_for(use_board(monkeypatch, "pi4", root), sample_hz=0.0)
    session.start()
    (root / "pi4" / "vcgencmd" / "get_throttled.txt").write_text("throttled=0x50005\n")
    session.stop()
    assert session.throttle_reasons() == [
        "under-voltage detected during the run",
        "CPU throttled during the run",
    ]


def test_history_bits_set_before_the_run_are_not_reasons(monkeypatch, tmp_path) -> None:
    root = copy_board("pi4", tmp_path)
    (root / "pi4" / "vcgencmd" / "get_throttled.txt").write_text("throttled=0x50000\n")
    session = session_for(use_board(monkeypatch, "pi4", root), sample_hz=0.0)
    session.start()
    session.stop()
    assert [r["throttled"] for r in session.samples] == [0x50000, 0x50000]
    assert session.throttle_reasons() == []


def test_thread_samples_and_rate_limits_vcgencmd(monkeypatch) -> None:
    session = session_for(use_board(monkeypatch, "pi3bplus"), sample_hz=50.0)
    session.start()
    wait_for_rows(session, 6)
    session.stop()
    rows = session.samples
    assert len(rows) >= 7
    assert all(r["t"] <= s["t"] for r, s in itertools.pairwise(rows))
    # temp (sysfs) is read on every tick; get_throttled (vcgencmd, 1 s limit) is not.
    assert all("temp_c" in r for r in rows)
    throttled = [r for r in rows if "throttled" in r]
    assert rows[0] in throttled and rows[-1] in throttled
    assert session.sampler_cpu_s > 0


def test_no_sensor_board_gets_a_labelled_estimate(monkeypatch) -> None:
    session = session_for(use_board(monkeypatch, "zero2w"), sample_hz=0.0)
    assert session.availability["power"].startswith("no data")
    assert session.units["power_est_w"] == "W (estimate)"


def test_failing_sampler_does_not_stop_the_others(monkeypatch) -> None:
    class Broken(Sampler):
        name = "broken"

        def setup(self, ctx: SamplerContext) -> None:
            self.units = {"broken_x": "x"}

        def sample(self) -> dict[str, float | None]:
            raise OSError("sensor fell off")

    class BadSetup(Sampler):
        name = "badsetup"

        def setup(self, ctx: SamplerContext) -> None:
            raise RuntimeError("driver bug")

    registry = dict(base.REGISTRY) | {"broken": Broken, "badsetup": BadSetup}
    monkeypatch.setattr(base, "REGISTRY", registry)
    monkeypatch.setattr("edgebench.agent.samplers.session.REGISTRY", registry)
    session = session_for(use_board(monkeypatch, "pi4"), sample_hz=0.0)
    assert session.availability["badsetup"].startswith("error: driver bug")
    session.start()
    session.stop()
    assert "broken_x" not in session.samples[-1]
    assert session.samples[-1]["temp_c"] == 55.8


def test_start_twice_is_an_error_and_stop_is_idempotent(monkeypatch) -> None:
    session = session_for(use_board(monkeypatch, "zero2w"), sample_hz=0.0)
    session.stop()  # before start: nothing happens
    assert session.samples == []
    session.start()
    with pytest.raises(RuntimeError):
        session.start()
    session.stop()
    session.stop()
    assert len(session.samples) == 2


def test_on_sample_errors_are_contained(monkeypatch) -> None:
    session = session_for(use_board(monkeypatch, "zero2w"), sample_hz=0.0)

    def boom(row: dict) -> None:
        raise ValueError("listener bug")

    session.on_sample = boom
    session.start()
    session.stop()
    assert len(session.samples) == 2


def on_a_raspberry_pi() -> bool:
    model = Path("/proc/device-tree/model")
    return model.exists() and b"Raspberry Pi" in model.read_bytes()


def test_this_machine_sets_up_without_errors() -> None:
    config = AgentConfig(sample_hz=0.0)
    ctx = SamplerContext(config, collect_device_facts(config))
    _, status = setup_samplers(ctx)
    assert not [s for s in status.values() if s.startswith("error")], status
    assert status["cpu"].startswith("available") and status["memory"].startswith("available")
    if not on_a_raspberry_pi() and not ctx.vcgencmd.present:
        for pi_only in ("arm_clock", "throttle"):
            assert status[pi_only].startswith("no data"), status[pi_only]
        with pytest.raises(NoData):
            from edgebench.agent.power.pmic import detect

            detect(ctx)


def test_this_machine_full_session() -> None:
    session = session_for(AgentConfig(), sample_hz=20.0)
    session.start()
    wait_for_rows(session, 3)
    session.stop()
    summary = session.summary()
    assert summary["cpu_util_pct"].unit == "%"
    assert 0 <= summary["cpu_util_pct"].mean <= 100
    power, energy = session.power_and_energy(inferences=10)
    assert power.method in {"estimate", "rapl", "power_supply", "pmic", "ina2xx", "ina3221"}
    if power.method == "estimate":
        assert not power.measured and not energy.measured
        assert power.mean_w is not None and power.mean_w < 85  # never CodeCarbon's 85 W
