"""The agent as packaged installs and works on an aarch64 Debian bookworm userland (emulated).

Bookworm arm64 is the base of Raspberry Pi OS Bookworm. Everything below runs the installed
wheel inside the arm64 root through qemu-user; timings from here are functional evidence
only, never performance figures, so no test looks at a latency value.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.arm64.chroot import CLASSIFIER, LOCK, MINIMAL_RUN, SMALL, Arm64Root, check_verdict
from tests.fixtures.boards import BOARDS_DIR, FAKE_VCGENCMD, board_env, copy_board

# One worker builds from the source tree at a time (tests/conftest.py).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("source-tree")]

# ELF e_machine of AArch64 code (the host that runs these tests is x86-64).
EM_AARCH64 = 183


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


def test_root_runs_real_aarch64_code(arm64: Arm64Root) -> None:
    # The interpreter and LiteRT's native library are AArch64 binaries (qemu runs them here).
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
    # Nothing could have been compiled: minbase has no C compiler (and pip ran with no
    # network at all, see the fixture), so every package came from a wheel.
    compilers = ("cc", "gcc", "c++", "g++", "clang")
    assert not [c for c in compilers if (arm64.root / "usr/bin" / c).exists()]
    # pip and setuptools come with the venv, not from the lock.
    for tool in ("pip", "setuptools", "wheel"):
        installed.pop(tool, None)
    assert installed == _locked_pins()


def test_agent_run_reports_aarch64(arm64: Arm64Root, arm64_data: str, output_dir: Path) -> None:
    result = arm64.run_json("run", f"{arm64_data}/models/{SMALL}", *MINIMAL_RUN)
    (output_dir / "arm64-run.json").write_text(json.dumps(result, indent=2))
    assert result["status"] == "complete"
    assert result["device"]["architecture"] == "aarch64"
    assert result["device"]["python"].startswith("3.11.")
    assert result["config"]["backend"] == "litert"
    assert result["config"]["backend_version"] == _locked_pins()["ai-edge-litert"]
    assert result["model"]["name"].startswith("mobilenet_v1_0.25_128_quant")
    assert result["latency_ms"]["count"] >= 3
    assert len(result["latencies_ms"]) == result["latency_ms"]["count"]
    check_verdict(result["verdict"])


def test_accuracy_mode_gives_expected_top1(
    arm64: Arm64Root, arm64_data: str, images_dir: Path, output_dir: Path
) -> None:
    with (images_dir / "expected_top1.csv").open(newline="") as f:
        expected = next(
            row["top1_label"]
            for row in csv.DictReader(f)
            if row["image"] == "cat.bmp" and row["model"] == CLASSIFIER
        )
    result = arm64.run_json(
        "accuracy",
        f"{arm64_data}/models/{CLASSIFIER}",
        *("--images", f"{arm64_data}/images/cat"),
        *("--labels", f"{arm64_data}/models/imagenet_labels.txt"),
        *("--expected", f"{arm64_data}/images/expected_top1.csv"),
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
    check_verdict(result["verdict"])


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


def test_run_on_pi_fixture_samples_telemetry(arm64: Arm64Root, arm64_data: str) -> None:
    result = arm64.run_json(
        "pi5-run", f"{arm64_data}/models/{SMALL}", *MINIMAL_RUN, env=_pi_env(arm64, "pi5")
    )
    assert result["status"] == "complete"
    assert result["device"]["board"] == "Raspberry Pi 5 Model B Rev 1.0"
    summary = result["samples_summary"]
    assert summary["temp_c"]["count"] >= 1
    assert summary["temp_c"]["max"] > 0
    assert result["power"]["method"] == "pmic"
    assert result["power"]["measured"] is True
    check_verdict(result["verdict"])


# One configuration per generated family, at small inputs (qemu is slow): V2, V3 with SE and
# hard-swish, V3 minimalistic, EfficientNet-Lite with its dense head.
BUILDS = {
    "mobilenet_v2": ("mobilenet_v2", "--alpha", "0.35", "--resolution", "96"),
    "mobilenet_v3_small": ("mobilenet_v3", "--size", "small", "--resolution", "96"),
    "mobilenet_v3_large_minimalistic": (
        "mobilenet_v3", "--minimalistic", "--alpha", "0.5", "--resolution", "96"
    ),
    "efficientnet_lite0": ("efficientnet_lite", "--variant", "0", "--resolution", "96"),
}  # fmt: skip


@pytest.mark.parametrize("family", sorted(BUILDS))
def test_model_build_is_byte_identical_to_the_host_build(
    arm64: Arm64Root, tmp_path: Path, family: str
) -> None:
    # The generator promises the same file for the same options on every platform: a model
    # built on a Pi must be the one benchmarked elsewhere under the same name.
    options = (*BUILDS[family], "--quant", "int8")
    host_file = tmp_path / "host.tflite"
    host_cli = Path(sys.executable).with_name("edgebench")
    subprocess.run(
        [str(host_cli), "model", "build", *options, "-o", str(host_file)],
        check=True,
        capture_output=True,
    )
    in_root = f"{arm64.work}/out/built-{family}.tflite"
    arm64.host_path(in_root).parent.mkdir(exist_ok=True)
    arm64.edgebench("model", "build", *options, "-o", in_root)
    arm64_bytes = arm64.host_path(in_root).read_bytes()
    host_bytes = host_file.read_bytes()
    assert len(host_bytes) > 100_000  # a real model, not an empty file on both sides
    assert hashlib.sha256(arm64_bytes).hexdigest() == hashlib.sha256(host_bytes).hexdigest()
    # And LiteRT on aarch64 loads, allocates and runs it.
    result = arm64.run_json(f"built-{family}", in_root, *MINIMAL_RUN)
    assert result["status"] == "complete"
    assert result["device"]["architecture"] == "aarch64"
    assert result["latency_ms"]["count"] >= 3
    assert result["model"]["sha256"] == hashlib.sha256(host_bytes).hexdigest()


def test_profile_and_predict_on_the_emulated_root(arm64: Arm64Root, arm64_data: str) -> None:
    # Functional only: one-op models cut, built and run by aarch64 LiteRT; no time is judged.
    profile = f"{arm64.work}/out/profile.json"
    arm64.host_path(profile).parent.mkdir(exist_ok=True)
    model = f"{arm64_data}/models/{SMALL}"
    arm64.edgebench("model", "profile", model, "--threads", "1", "--min-secs", "0.01", "-q",
                    "--json", profile)  # fmt: skip
    document = json.loads(arm64.host_path(profile).read_text())
    assert len(document["ops"]) == 31
    assert abs(sum(op["share"] for op in document["ops"]) - 1) < 1e-9
    assert document["whole_p50_ms"] > 0
    predicted = arm64.edgebench_json("model", "predict", model, "--profile", profile)
    assert predicted["predicted_p50_ms"] > 0
    assert len(predicted["per_op_ms"]) == 31
