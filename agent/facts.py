"""Device facts: what this board is, read from procfs/sysfs/etc roots that tests can replace.

Everything is read through ``config.proc_root``, ``config.sys_root`` and
``config.etc_root`` so a recorded fixture tree of a Raspberry Pi makes this machine
"be" that Pi (see tests/fixtures/boards/README.md). Nothing here raises for a missing
file: an absent fact becomes "unknown", None or an empty list.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import platform
import re
import socket
from pathlib import Path

from edgebench.agent.config import AgentConfig
from edgebench.agent.probe.readers import read_dt_string, read_dt_strings, read_text
from edgebench.agent.samplers.cpufreq import cpufreq_dirs, read_governor, read_khz_max
from edgebench.agent.samplers.memory import memory_mb, parse_kib_fields
from edgebench.shared.result import DeviceFacts
from edgebench.shared.version import __version__

# Arm Ltd (implementer 0x41) "CPU part" numbers from /proc/cpuinfo.
ARM_PARTS = {
    0xD03: "Cortex-A53",
    0xD04: "Cortex-A35",
    0xD05: "Cortex-A55",
    0xD07: "Cortex-A57",
    0xD08: "Cortex-A72",
    0xD09: "Cortex-A73",
    0xD0A: "Cortex-A75",
    0xD0B: "Cortex-A76",
    0xD0C: "Neoverse-N1",
    0xD0D: "Cortex-A77",
    0xD41: "Cortex-A78",
    0xD42: "Cortex-A78AE",
    0xD46: "Cortex-A510",
    0xD47: "Cortex-A710",
}
# Python packages whose versions are runtimes the engine can use.
RUNTIME_PACKAGES = ("ai-edge-litert", "tflite-runtime")

# Device-tree compatible entry -> board profile key (hardware.md §2.4).
COMPATIBLE_PROFILES = {
    "raspberrypi,5-model-b": "pi5",
    "raspberrypi,4-model-b": "pi4",
    "raspberrypi,4-compute-module": "cm4",
    "raspberrypi,3-model-b-plus": "pi3bplus",
    "raspberrypi,model-zero-2-w": "zero2w",
    "nvidia,tegra210": "jetson-nano",
    "nvidia,tegra194": "jetson-xavier",
    "nvidia,tegra234": "jetson-orin",
    "rockchip,rk3588": "rk3588",
    "rockchip,rk3588s": "rk3588",
}
# Model-string prefixes, for trees without a compatible property.
MODEL_PROFILES = (
    ("Raspberry Pi 5", "pi5"),
    ("Raspberry Pi 4 Model B", "pi4"),
    ("Raspberry Pi Compute Module 4", "cm4"),
    ("Raspberry Pi 3 Model B Plus", "pi3bplus"),
    ("Raspberry Pi Zero 2 W", "zero2w"),
)
_REV = re.compile(r"Rev (\d+)\.(\d+)")
_DEVICE_ID_BAD = re.compile(r"[^A-Za-z0-9_.-]+")


def parse_cpuinfo(text: str) -> tuple[str, int]:
    """Return (CPU model, processor count) from /proc/cpuinfo text.

    x86 has a ``model name``; Arm kernels list ``CPU implementer`` / ``CPU part`` per
    core, mapped to Cortex names and joined for big.LITTLE ("Cortex-A76 + Cortex-A55").
    """
    model = None
    names: list[str] = []
    implementer = None
    count = 0
    for line in text.splitlines():
        key, _, value = (s.strip() for s in line.partition(":"))
        if key == "processor":
            count += 1
        elif key == "model name" and model is None:
            model = value
        elif key == "CPU implementer":
            implementer = value
        elif key == "CPU part":
            try:
                part = int(value, 16)
            except ValueError:
                continue
            if implementer == "0x41" and part in ARM_PARTS:
                name = ARM_PARTS[part]
            else:
                name = f"CPU part {value} (implementer {implementer})"
            if name not in names:
                names.append(name)
    if names:
        return " + ".join(names), count
    return model or "unknown", count


def board_profile_key(model: str | None, compatible: list[str], machine: str) -> str | None:
    """Map the device-tree model/compatible (or the architecture) to a board profile key."""
    key = next((COMPATIBLE_PROFILES[c] for c in compatible if c in COMPATIBLE_PROFILES), None)
    if key is None and model:
        key = next((k for prefix, k in MODEL_PROFILES if model.startswith(prefix)), None)
    if key is None and any(c.startswith("nvidia,tegra") for c in compatible):
        key = "jetson"
    if key == "rk3588" and model and model.startswith("Orange Pi 5"):
        key = "orangepi5"
    if key == "pi5" and model:
        # hardware.md §2.4: Rev 1.0 are C1-stepping boards, Rev 1.1 and later D0/newer.
        rev = _REV.search(model)
        if rev and (int(rev.group(1)), int(rev.group(2))) >= (1, 1):
            key = "pi5-d0"
    if key is None and not compatible and not model:
        if machine in ("x86_64", "AMD64", "i686", "i386"):
            return "generic-x86"
        if machine.startswith(("aarch64", "arm")):
            return "generic-arm"
    return key


def parse_os_release(text: str) -> str:
    """Return PRETTY_NAME (or NAME VERSION) from os-release text, or "unknown"."""
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip().strip("\"'")
    if values.get("PRETTY_NAME"):
        return values["PRETTY_NAME"]
    joined = " ".join(v for v in (values.get("NAME"), values.get("VERSION")) if v)
    return joined or "unknown"


def make_device_id(hostname: str, machine_id: str | None) -> str:
    """``<hostname>-<8 hex of sha256(machine-id)>``, kept to [A-Za-z0-9_.-], ≤ 64 chars."""
    host = _DEVICE_ID_BAD.sub("-", hostname).strip("-.") or "device"
    if not machine_id:
        return host[:64]
    digest = hashlib.sha256(machine_id.strip().encode()).hexdigest()[:8]
    return f"{host[: 64 - 9]}-{digest}"


def installed_runtimes() -> dict[str, str]:
    """Versions of the inference runtimes that are installed (only those present)."""
    found = {}
    for name in RUNTIME_PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def _board_name(proc: Path, sys_root: Path) -> tuple[str | None, list[str]]:
    """Device-tree model and compatible list (procfs first, then sysfs firmware)."""
    for base in (proc / "device-tree", sys_root / "firmware" / "devicetree" / "base"):
        model = read_dt_string(base / "model")
        compatible = read_dt_strings(base / "compatible")
        if model or compatible:
            return model, compatible
    return None, []


def collect_device_facts(config: AgentConfig) -> DeviceFacts:
    """Read every device fact once (cheap: files only, no subprocess)."""
    proc, sys_root, etc = Path(config.proc_root), Path(config.sys_root), Path(config.etc_root)
    model, compatible = _board_name(proc, sys_root)
    machine = platform.machine()
    cpu_model, cores = parse_cpuinfo(read_text(proc / "cpuinfo") or "")
    total_mb, _, _ = memory_mb(parse_kib_fields(read_text(proc / "meminfo") or ""))
    hostname = read_text(proc / "sys" / "kernel" / "hostname") or socket.gethostname()
    device_id = config.device_id or make_device_id(hostname, read_text(etc / "machine-id"))
    dmi = " ".join(
        v
        for v in (read_text(sys_root / "class/dmi/id" / f) for f in ("sys_vendor", "product_name"))
        if v
    )
    return DeviceFacts(
        device_id=device_id,
        hostname=hostname,
        board=model or dmi or "unknown",
        board_compatible=compatible,
        board_profile=board_profile_key(model, compatible, machine),
        cpu_model=cpu_model,
        architecture=machine,
        cpu_cores=cores or os.cpu_count() or 1,
        cpu_max_mhz=read_khz_max(cpufreq_dirs(sys_root), "cpuinfo_max_freq"),
        ram_mb=round(total_mb, 1) if total_mb is not None else 0.0,
        os_release=parse_os_release(read_text(etc / "os-release") or ""),
        kernel=read_text(proc / "sys" / "kernel" / "osrelease") or platform.release(),
        python=platform.python_version(),
        runtimes=installed_runtimes(),
        edgebench_version=__version__,
        cpu_governor=read_governor(sys_root),
        tags=list(config.tags),
    )
