"""RAPL: counter wrap, per-domain split, permission handling and session energy."""

from __future__ import annotations

import time
from pathlib import Path

import msgspec
import pytest

from edgebench.agent.facts import collect_device_facts
from edgebench.agent.power import rapl
from edgebench.agent.probe.context import NoData, SamplerContext
from edgebench.agent.samplers.session import TelemetrySession
from tests.fixtures.boards import copy_board, use_board

MAX = 262143328850


def test_counter_delta_without_and_with_wrap() -> None:
    assert rapl.counter_delta(100, 350, MAX) == 250
    assert rapl.counter_delta(MAX - 100, 50, MAX) == 150


def zone_file(root: Path, zone: str) -> Path:
    return root / "x86-rapl" / "sys" / "class" / "powercap" / zone / "energy_uj"


def test_detect_reads_package_and_dram(monkeypatch) -> None:
    source = rapl.detect(SamplerContext(use_board(monkeypatch, "x86-rapl")))
    assert source.method == "rapl" and source.is_counter
    assert "package-0" in source.source and "dram" in source.source
    assert "core" not in source.source  # core is inside the package: not added again


def test_energy_split_across_a_wrap(monkeypatch, tmp_path) -> None:
    root = copy_board("x86-rapl", tmp_path)
    source = rapl.detect(SamplerContext(use_board(monkeypatch, "x86-rapl", root)))
    zone_file(root, "intel-rapl:0").write_text(f"{MAX - 1_000_000}\n")
    zone_file(root, "intel-rapl:0:1").write_text("24456789\n")
    source.read()
    zone_file(root, "intel-rapl:0").write_text("4000000\n")  # wrapped: +5 J
    source.read()
    cpu_j, ram_j = source.energy_split_j()
    assert cpu_j == pytest.approx((MAX - 1_000_000 - 123456789 + 5_000_000) / 1e6)
    assert ram_j == pytest.approx(1.0)


def test_root_only_counter_is_no_data_with_advice(monkeypatch, tmp_path) -> None:
    root = copy_board("x86-rapl", tmp_path)
    original = Path.read_text

    def denied(self: Path, *args: object, **kwargs: object) -> str:
        if self.name == "energy_uj":
            raise PermissionError(13, "Permission denied")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", denied)
    with pytest.raises(NoData, match="root"):
        rapl.detect(SamplerContext(use_board(monkeypatch, "x86-rapl", root)))


def test_session_energy_comes_from_the_counter(monkeypatch, tmp_path) -> None:
    root = copy_board("x86-rapl", tmp_path)
    config = msgspec.structs.replace(use_board(monkeypatch, "x86-rapl", root), sample_hz=0.0)
    session = TelemetrySession(config, collect_device_facts(config))
    session.start()
    # A window long enough that epoch-second floats (~0.24 us apart near 1.8e9) are exact
    # to far better than the tolerance below.
    time.sleep(0.2)
    zone_file(root, "intel-rapl:0").write_text(f"{123456789 + 30_000_000}\n")  # +30 J
    zone_file(root, "intel-rapl:0:1").write_text(f"{23456789 + 6_000_000}\n")  # +6 J
    session.stop()
    power, energy = session.power_and_energy(inferences=120)
    assert power.method == "rapl" and power.measured
    assert "power_w" not in session.samples[0]  # pre-window figure dropped
    assert energy.method == "rapl counter"
    assert energy.joules == pytest.approx(36.0)
    assert energy.joules_per_inference == pytest.approx(0.3)
    assert energy.ram_energy * 3.6e6 == pytest.approx(6.0)
    assert energy.cpu_energy * 3.6e6 == pytest.approx(30.0)
    assert power.mean_w == pytest.approx(36.0 / energy.window_s)
    # Given the measured phase, the counter keeps that phase's share of its span.
    t0, t1 = session.samples[0]["t"], session.samples[-1]["t"]
    _, half = session.power_and_energy(120, window=(t0, t0 + (t1 - t0) / 2))
    assert half.joules == pytest.approx(18.0, rel=1e-5)
    assert half.ram_energy * 3.6e6 == pytest.approx(3.0, rel=1e-5)
    # (t0 + h) - t0 is h only to the resolution of epoch-second floats (~0.24 us).
    assert half.window_s == pytest.approx((t1 - t0) / 2, abs=1e-6)
