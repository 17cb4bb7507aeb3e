"""The agent as packaged installs and works on an aarch64 Debian bookworm userland (emulated).

Bookworm arm64 is the base of Raspberry Pi OS Bookworm. Everything below runs the installed
wheel inside the arm64 root through qemu-user; timings from here are functional evidence
only, never performance figures, so no test looks at a latency value.
"""

from __future__ import annotations

import platform
import re
import shutil
from pathlib import Path

import pytest

from tests.arm64.conftest import LOCK, Arm64Root

pytestmark = pytest.mark.slow

# ELF e_machine of AArch64 code (the host that runs these tests is x86-64).
EM_AARCH64 = 183
SMALL = "mobilenet_v1_0.25_128_quant.tflite"
CLASSIFIER = "mobilenet_v2_1.0_224_quant.tflite"
# The fewest runs that still exercise warm-up, measurement and statistics; emulation is slow.
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
