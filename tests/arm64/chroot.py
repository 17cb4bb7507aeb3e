"""Run commands in the emulated arm64 root: a clean environment, paths, mounts, /proc/cpuinfo."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

LOCK = Path(__file__).with_name("requirements-arm64.txt")
# Where the session folders live inside the root (the rest of the root is never modified).
SESSIONS_IN_ROOT = "/srv/edgebench-test"
# Generous: everything runs under instruction-level emulation on a loaded 2-core machine.
TIMEOUT_S = 600
SMALL = "mobilenet_v1_0.25_128_quant.tflite"
CLASSIFIER = "mobilenet_v2_1.0_224_quant.tflite"
# The fewest runs that still exercise warm-up, measurement and statistics; emulation is slow.
MINIMAL_RUN = ("--runs", "3", "--min-secs", "0", "--warmup-runs", "1", "--warmup-secs", "0")


def mount_points() -> set[str]:
    """Every mount point of this process's mount namespace."""
    with open("/proc/self/mountinfo") as f:
        return {line.split()[4] for line in f}


def umount_lazy(path: Path) -> None:
    """Detach a mount if present; lazy, so a process still inside cannot block teardown."""
    if str(path) in mount_points():
        subprocess.run(["umount", "-l", str(path)], check=False)


@dataclass(frozen=True)
class Arm64Root:
    """One session's view of the arm64 root: run commands in it and map paths."""

    root: Path
    session: str
    venv: str

    def host_path(self, in_root: str) -> Path:
        """The host path of a path as the chroot sees it."""
        return self.root / in_root.lstrip("/")

    @property
    def work(self) -> str:
        """This session's folder, as the chroot sees it."""
        return f"{SESSIONS_IN_ROOT}/{self.session}"

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """A clean environment: nothing of the host's (PIP_*, EDGEBENCH_*) leaks in."""
        base = {
            "PATH": f"{self.venv}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": f"{self.work}/home",
            "LANG": "C.UTF-8",
            "XDG_STATE_HOME": f"{self.work}/state",
            "XDG_CACHE_HOME": f"{self.work}/cache",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        }
        return {**base, **(extra or {})}

    def run(
        self,
        args: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        check: bool = True,
        timeout_s: float = TIMEOUT_S,
        network: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """Run a command inside the root; on failure, show its output in the assertion.

        ``network=False`` runs it in a new network namespace with no interfaces up, so it
        provably reaches nothing (the chroot otherwise shares the host's network).
        """
        isolate = [] if network else ["unshare", "--net"]
        proc = subprocess.run(
            [*isolate, "chroot", str(self.root), *args],
            env=self.env(env),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"in arm64 root: {' '.join(args)} exited {proc.returncode}\n"
                f"--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}"
            )
        return proc

    def edgebench(
        self, *args: str, env: dict[str, str] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run the installed ``edgebench`` console script inside the root."""
        return self.run([f"{self.venv}/bin/edgebench", *args], env=env, check=check)

    def edgebench_json(self, *args: str, env: dict[str, str] | None = None) -> dict:
        """Run ``edgebench ... --json`` inside the root and parse what it printed."""
        out = self.edgebench(*args, "--json", env=env).stdout
        try:
            return json.loads(out)
        except json.JSONDecodeError as exc:
            raise AssertionError(f"not JSON ({exc}): {out[-2000:]}") from None

    def run_json(self, name: str, *args: str, env: dict[str, str] | None = None) -> dict:
        """``edgebench agent run ... --json FILE`` in the root; the parsed result document."""
        out = f"{self.work}/out/{name}.json"
        self.host_path(out).parent.mkdir(exist_ok=True)
        self.edgebench("agent", "run", *args, "--json", out, env=env)
        return json.loads(self.host_path(out).read_text())


def check_verdict(verdict: dict) -> None:
    """VALID, or INVALID with at least one reason a person can read."""
    assert verdict["status"] in ("VALID", "INVALID")
    if verdict["status"] == "INVALID":
        assert verdict["reasons"], "an INVALID verdict must say why"
        assert all(isinstance(r, str) and r.strip() for r in verdict["reasons"])


def emulated_cpuinfo(cores: int) -> str:
    """/proc/cpuinfo as an AArch64 kernel would show qemu's ``max`` CPU (MIDR 0x000f0510).

    qemu-user 7.2 passes the host's x86 /proc/cpuinfo through. LiteRT's cpuinfo library
    (AArch64 build) then crashes in ``allocate_tensors`` (SIGSEGV) once it also sees a real
    /sys CPU topology, so the fixture covers /proc/cpuinfo with the file the emulated CPU
    would have. On a real board the kernel writes an AArch64 one itself.
    """
    block = (
        "processor\t: {n}\nBogoMIPS\t: 2000.00\nFeatures\t: fp asimd evtstrm aes pmull sha1"
        " sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp\n"
        "CPU implementer\t: 0x00\nCPU architecture: 8\nCPU variant\t: 0x0\n"
        "CPU part\t: 0x051\nCPU revision\t: 0\n\n"
    )
    return "".join(block.format(n=n) for n in range(cores))
