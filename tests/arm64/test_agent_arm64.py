"""The agent as packaged installs and works on an aarch64 Debian bookworm userland (emulated).

Bookworm arm64 is the base of Raspberry Pi OS Bookworm. Everything below runs the installed
wheel inside the arm64 root through qemu-user; timings from here are functional evidence
only, never performance figures, so no test looks at a latency value.
"""

from __future__ import annotations

import csv
import json
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from tests.arm64.conftest import LOCK, Arm64Root
from tests.brokers import MosquittoBroker
from tests.fixtures.boards import BOARDS_DIR, FAKE_VCGENCMD, board_env, copy_board

pytestmark = pytest.mark.slow

# ELF e_machine of AArch64 code (the host that runs these tests is x86-64).
EM_AARCH64 = 183
SMALL = "mobilenet_v1_0.25_128_quant.tflite"
CLASSIFIER = "mobilenet_v2_1.0_224_quant.tflite"
# The fewest runs that still exercise warm-up, measurement and statistics; emulation is slow.
# The collector runs on the host, from the test's own environment (the editable install).
HOST_EDGEBENCH = (sys.executable, "-c", "from edgebench.shared.cli import main; main()")
INGEST = ("collector", "ingest", "--broker")
MINIMAL_RUN = ("--runs", "3", "--min-secs", "0", "--warmup-runs", "1", "--warmup-secs", "0")


def _elf_machine(path: Path) -> int:
    """The e_machine field of an ELF file (little-endian, offset 18)."""
    header = path.read_bytes()[:20]
    assert header[:4] == b"\x7fELF", f"{path} is not an ELF file"
    return int.from_bytes(header[18:20], "little")


def _locked_pins() -> dict[str, str]:
    """Package name (normalised) -> version from requirements-arm64.txt."""
    pins = {}
    for line in LOCK.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9._-]+)==(\S+)", line)
        if match:
            pins[_normalise(match[1])] = match[2]
    return pins


def _normalise(name: str) -> str:
    """PEP 503 name normalisation."""
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.fixture(scope="module")
def data(arm64: Arm64Root, models_dir: Path, images_dir: Path) -> str:
    """Copy the models, labels and one photo (in a folder of its own) into the root."""
    work = arm64.host_path(arm64.work)
    (work / "models").mkdir()
    for name in (SMALL, CLASSIFIER, "imagenet_labels.txt"):
        shutil.copy2(models_dir / name, work / "models" / name)
    (work / "images" / "cat").mkdir(parents=True)
    shutil.copy2(images_dir / "cat.bmp", work / "images" / "cat" / "cat.bmp")
    shutil.copy2(images_dir / "expected_top1.csv", work / "images" / "expected_top1.csv")
    return arm64.work


def test_root_runs_real_aarch64_code(arm64: Arm64Root) -> None:
    # The interpreter and LiteRT's native library are AArch64 binaries, run by qemu on x86-64.
    assert platform.machine() == "x86_64"
    python = arm64.root / "usr/bin/python3.11"
    assert _elf_machine(python) == EM_AARCH64
    site = next(arm64.host_path(arm64.venv).glob("lib/python3.*/site-packages"))
    native = list((site / "ai_edge_litert").rglob("*.so"))
    assert native, "ai_edge_litert ships no native library?"
    assert {_elf_machine(so) for so in native} == {EM_AARCH64}
    code = "import platform, sys; print(platform.machine(), sys.version)"
    out = arm64.run(["python", "-c", code])
    machine, version = out.stdout.split()[:2]
    assert machine == "aarch64"
    assert version.startswith("3.11.")


def test_agent_installed_from_locked_wheels_only(arm64: Arm64Root) -> None:
    freeze = arm64.run(["pip", "freeze", "--all", "--exclude-editable"]).stdout
    installed = {
        _normalise(name): version
        for name, version in (line.split("==", 1) for line in freeze.splitlines() if "==" in line)
    }
    version = arm64.edgebench("--version").stdout.split()[-1]
    assert installed.pop("edgebench") == version
    # pip and setuptools come with the venv, not from the lock.
    for tool in ("pip", "setuptools", "wheel"):
        installed.pop(tool, None)
    assert installed == _locked_pins()


def _run_json(arm64: Arm64Root, name: str, *args: str, env: dict[str, str] | None = None) -> dict:
    """``edgebench agent run ... --json FILE`` in the root; the parsed result document."""
    out = f"{arm64.work}/out/{name}.json"
    arm64.host_path(out).parent.mkdir(exist_ok=True)
    arm64.edgebench("agent", "run", *args, "--json", out, env=env)
    return json.loads(arm64.host_path(out).read_text())


def _check_verdict(verdict: dict) -> None:
    """VALID, or INVALID with at least one reason a person can read."""
    assert verdict["status"] in ("VALID", "INVALID")
    if verdict["status"] == "INVALID":
        assert verdict["reasons"], "an INVALID verdict must say why"
        assert all(isinstance(r, str) and r.strip() for r in verdict["reasons"])


def test_agent_run_reports_aarch64(arm64: Arm64Root, data: str, output_dir: Path) -> None:
    result = _run_json(arm64, "run", f"{data}/models/{SMALL}", *MINIMAL_RUN)
    (output_dir / "arm64-run.json").write_text(json.dumps(result, indent=2))
    assert result["status"] == "complete"
    assert result["device"]["architecture"] == "aarch64"
    assert result["device"]["python"].startswith("3.11.")
    assert result["config"]["backend"] == "litert"
    assert result["config"]["backend_version"] == _locked_pins()["ai-edge-litert"]
    assert result["model"]["name"].startswith("mobilenet_v1_0.25_128_quant")
    assert result["latency_ms"]["count"] >= 3
    assert len(result["latencies_ms"]) == result["latency_ms"]["count"]
    _check_verdict(result["verdict"])


def test_accuracy_mode_gives_expected_top1(
    arm64: Arm64Root, data: str, images_dir: Path, output_dir: Path
) -> None:
    with (images_dir / "expected_top1.csv").open(newline="") as f:
        expected = next(
            row["top1_label"]
            for row in csv.DictReader(f)
            if row["image"] == "cat.bmp" and row["model"] == CLASSIFIER
        )
    result = _run_json(
        arm64,
        "accuracy",
        f"{data}/models/{CLASSIFIER}",
        *("--images", f"{data}/images/cat"),
        *("--labels", f"{data}/models/imagenet_labels.txt"),
        *("--expected", f"{data}/images/expected_top1.csv"),
        *MINIMAL_RUN,
    )
    (output_dir / "arm64-accuracy.json").write_text(json.dumps(result, indent=2))
    assert result["device"]["architecture"] == "aarch64"
    accuracy = result["accuracy"]
    assert accuracy["images"] == 1
    (image,) = accuracy["per_image"]
    assert image["image"].endswith("cat.bmp")
    assert image["expected"] == expected
    assert image["top5"][0]["label"] == expected
    assert image["top1_correct"] is True
    assert accuracy["top1"] == 1.0
    _check_verdict(result["verdict"])


def test_facts_on_the_emulated_root(arm64: Arm64Root) -> None:
    info = arm64.edgebench_json("agent", "facts")
    device = info["device"]
    assert device["architecture"] == "aarch64"
    # Read from the root's /etc and the bind-mounted /proc and /sys.
    assert "bookworm" in device["os_release"]
    assert device["cpu_cores"] >= 1
    assert device["ram_mb"] > 0
    assert device["runtimes"] == {"ai-edge-litert": _locked_pins()["ai-edge-litert"]}
    assert device["board"] == "unknown"  # not a Pi: no device tree in the host's /proc
    # The host's /proc and /sys are real, so CPU and memory sampling work.
    assert info["samplers"]["cpu"].startswith("available")
    assert info["samplers"]["memory"].startswith("available")
    assert info["power"]["measured"] is False


def _pi_env(arm64: Arm64Root, board: str) -> dict[str, str]:
    """Copy a recorded board tree and the fake vcgencmd into the root; the env pointing at them."""
    work = arm64.host_path(arm64.work)
    if not (work / "boards" / board).exists():
        copy_board(board, work / "boards")
        (work / "bin").mkdir(exist_ok=True)
        shutil.copy2(FAKE_VCGENCMD, work / "bin" / "vcgencmd")
    env = board_env(board, Path(f"{arm64.work}/boards"))
    env["EDGEBENCH_VCGENCMD"] = f"{arm64.work}/bin/vcgencmd"
    return env


def test_facts_detect_raspberry_pi_from_fixture_tree(arm64: Arm64Root) -> None:
    tree = BOARDS_DIR / "pi5"
    model = (tree / "proc" / "cpuinfo").read_text().split("Model\t\t: ")[1].splitlines()[0]
    info = arm64.edgebench_json("agent", "facts", env=_pi_env(arm64, "pi5"))
    device = info["device"]
    assert device["board"] == model == "Raspberry Pi 5 Model B Rev 1.0"
    assert device["board_profile"] == "pi5"
    assert device["cpu_model"] == "Cortex-A76"
    assert device["cpu_cores"] == 4
    assert device["architecture"] == "aarch64"
    # vcgencmd (the fake, a /bin/sh script run inside the root) feeds the Pi samplers.
    assert info["samplers"]["throttle"].startswith("available")
    assert info["samplers"]["thermal"].startswith("available")
    assert info["power"]["method"] == "pmic"
    assert info["power"]["measured"] is True


def test_run_on_pi_fixture_samples_telemetry(arm64: Arm64Root, data: str) -> None:
    result = _run_json(
        arm64, "pi5-run", f"{data}/models/{SMALL}", *MINIMAL_RUN, env=_pi_env(arm64, "pi5")
    )
    assert result["status"] == "complete"
    assert result["device"]["board"] == "Raspberry Pi 5 Model B Rev 1.0"
    summary = result["samples_summary"]
    assert summary["temp_c"]["count"] >= 1
    assert summary["temp_c"]["max"] > 0
    assert result["power"]["method"] == "pmic"
    assert result["power"]["measured"] is True
    _check_verdict(result["verdict"])


def _wait_for(predicate: Callable[[], object], timeout_s: float, what: str) -> object:
    """Poll until ``predicate()`` is truthy; fail naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")


@contextmanager
def _collector(broker: MosquittoBroker, db: Path, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``edgebench collector ingest`` from the host venv, subscribed before this yields."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*HOST_EDGEBENCH, *INGEST, broker.url, "--db", f"sqlite:///{db}"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        # The broker logs every SUBSCRIBE (log_type all): then no result can be missed.
        _wait_for(
            lambda: proc.poll() is not None or "Received SUBSCRIBE" in broker.log_path.read_text(),
            60,
            "the collector to subscribe",
        )
        assert proc.poll() is None, f"collector exited: {log.read_text()[-3000:]}"
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _stored_run(db: Path, run_id: str) -> tuple[str, str, str] | None:
    """(device_id, status, result JSON) of a run in the collector's SQLite file, if stored."""
    if not db.exists():
        return None
    with closing(sqlite3.connect(db)) as conn:
        try:
            row = conn.execute(
                "SELECT device_id, status, result FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
        except sqlite3.OperationalError:  # schema not created yet
            return None
    return row if row and row[1] == "complete" else None


def test_run_over_mqtt_from_arm64_reaches_collector(
    arm64: Arm64Root, data: str, mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    db = tmp_path / "collector.db"
    device_id = f"arm64-{arm64.session}"
    with _collector(mosquitto, db, tmp_path / "collector.log") as collector:
        # The chroot shares the host's network namespace, so 127.0.0.1 is the host's broker.
        result = _run_json(
            arm64,
            "mqtt-run",
            f"{data}/models/{SMALL}",
            *MINIMAL_RUN,
            *("--broker", mosquitto.url, "--device-id", device_id),
        )
        row = _wait_for(
            lambda: collector.poll() is None and _stored_run(db, result["run_id"]),
            60,
            f"run {result['run_id']} in the collector database",
        )
    stored_device, status, document = row
    assert stored_device == device_id
    assert status == "complete"
    stored = json.loads(document)
    assert stored["device"]["architecture"] == "aarch64"
    assert stored["device"]["device_id"] == device_id
    assert stored["latencies_ms"] == result["latencies_ms"]
