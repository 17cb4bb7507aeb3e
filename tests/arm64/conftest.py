"""The ``arm64`` fixture: the agent as packaged, installed in an emulated aarch64 Debian root.

``scripts/arm64-root`` builds (once per machine, cached) a Debian bookworm arm64 userland and
the aarch64 wheels pinned in ``requirements-arm64.txt``. Each test session then builds the
project wheel on the host, installs ``edgebench[agent]`` from wheels only into a fresh venv
inside that root, and bind-mounts the host's /proc and /sys there. Everything runs through
``chroot`` with qemu-user via binfmt_misc. Teardown always unmounts and removes the session's
folder, even when a test or the set-up failed.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT as PROJECT

SCRIPT = PROJECT / "scripts" / "arm64-root"
LOCK = Path(__file__).with_name("requirements-arm64.txt")
# Exit status of scripts/arm64-root when the machine cannot run arm64 code at all.
CANNOT = 3
# Where the session folders live inside the root (the rest of the root is never modified).
SESSIONS_IN_ROOT = "/srv/edgebench-test"
# Generous: everything runs under instruction-level emulation on a loaded 2-core machine.
TIMEOUT_S = 600
PIP_WHEEL = (sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q")


def _fail_or_skip(message: str) -> None:
    """CI must show a machine that cannot run the check as a failure; a developer may skip."""
    if os.environ.get("CI"):
        pytest.fail(f"arm64 check cannot run on this CI machine: {message}", pytrace=False)
    pytest.skip(f"arm64 check needs root, qemu-user-static, debootstrap, binfmt_misc: {message}")


def _mount_points() -> set[str]:
    """Every mount point of this process's mount namespace."""
    with open("/proc/self/mountinfo") as f:
        return {line.split()[4] for line in f}


def _umount_lazy(path: Path) -> None:
    """Detach a mount if present; lazy, so a process still inside cannot block teardown."""
    if str(path) in _mount_points():
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
    ) -> subprocess.CompletedProcess[str]:
        """Run a command inside the root; on failure, show its output in the assertion."""
        proc = subprocess.run(
            ["chroot", str(self.root), *args],
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


def _emulated_cpuinfo(cores: int) -> str:
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


def _build_cache() -> tuple[Path, Path]:
    """Run scripts/arm64-root (builds the root and wheels when not cached) and parse its paths."""
    if os.geteuid() != 0:
        _fail_or_skip("not root (chroot and mounts need root)")
    try:
        proc = subprocess.run(
            ["bash", str(SCRIPT)], capture_output=True, text=True, timeout=1800, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail("scripts/arm64-root did not finish within 30 min", pytrace=False)
    if proc.returncode == CANNOT:
        _fail_or_skip(proc.stderr.strip())
    if proc.returncode != 0:
        pytest.fail(f"scripts/arm64-root failed:\n{proc.stderr[-4000:]}", pytrace=False)
    paths = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
    # Resolved, because mount points are compared with /proc/self/mountinfo's real paths.
    return Path(paths["ROOT"]).resolve(), Path(paths["WHEELS"]).resolve()


def _project_wheel(out: Path) -> Path:
    """Build this checkout's wheel on the host (it changes every run, so never cached)."""
    subprocess.run(
        [*PIP_WHEEL, "-w", str(out), str(PROJECT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("edgebench-*.whl")
    return wheel


def _install(env: Arm64Root, wheels: Path) -> None:
    """Make a fresh venv in the root and install ``edgebench[agent]`` from wheels only."""
    work = env.host_path(env.work)
    shutil.copytree(wheels, work / "wheels")
    _project_wheel(work / "dist")
    for sub in ("home", "state", "cache"):
        (work / sub).mkdir()
    env.run(["/usr/bin/python3", "-m", "venv", env.venv])
    proc = env.run(
        [
            *(f"{env.venv}/bin/pip", "install", "-q", "--no-index"),
            *("--find-links", f"{env.work}/wheels", "--find-links", f"{env.work}/dist"),
            "edgebench[agent]",
        ],
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(
            "edgebench[agent] does not install from the locked aarch64 wheels; if a dependency"
            f" changed, update {LOCK.relative_to(PROJECT)} (docs/arm64.md):\n{proc.stderr[-3000:]}",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def arm64(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Arm64Root]:
    """The agent installed from wheels in an aarch64 Debian root with /proc and /sys mounted."""
    root, wheels = _build_cache()
    sessions = root / SESSIONS_IN_ROOT.lstrip("/")
    sessions.mkdir(parents=True, exist_ok=True)
    # The root is shared by every session on this machine: one at a time, because /proc and
    # /sys are mounted on the same points and a finished session unmounts them.
    with open(root.parent / ".use.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        session = uuid.uuid4().hex[:12]
        env = Arm64Root(root=root, session=session, venv=f"{SESSIONS_IN_ROOT}/{session}/venv")
        # Outside the root, so removing the session folder never touches a mount source.
        cpuinfo = tmp_path_factory.mktemp("arm64") / "cpuinfo"
        cpuinfo.write_text(_emulated_cpuinfo(os.cpu_count() or 1))
        mounts = [root / "proc", root / "sys", root / "proc/cpuinfo"]
        try:
            # Leftovers of a session that was killed before its teardown ran.
            for point in reversed(mounts):
                _umount_lazy(point)
            for stale in sessions.iterdir():
                shutil.rmtree(stale)
            env.host_path(env.work).mkdir()
            for source, point in zip(("/proc", "/sys", cpuinfo), mounts, strict=True):
                subprocess.run(["mount", "--bind", str(source), str(point)], check=True)
            _install(env, wheels)
            yield env
        finally:
            for point in reversed(mounts):
                _umount_lazy(point)
            shutil.rmtree(env.host_path(env.work), ignore_errors=True)
