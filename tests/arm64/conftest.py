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
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.arm64.chroot import (
    CLASSIFIER,
    LOCK,
    SESSIONS_IN_ROOT,
    SMALL,
    Arm64Root,
    emulated_cpuinfo,
    umount_lazy,
)
from tests.conftest import ROOT as PROJECT

SCRIPT = PROJECT / "scripts" / "arm64-root"
# Exit status of scripts/arm64-root when the machine cannot run arm64 code at all.
CANNOT = 3
PIP_WHEEL = (sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q")


def _fail_or_skip(message: str) -> None:
    """CI must show a machine that cannot run the check as a failure; a developer may skip."""
    if os.environ.get("CI"):
        pytest.fail(f"arm64 check cannot run on this CI machine: {message}", pytrace=False)
    pytest.skip(f"arm64 check needs root, qemu-user-static, debootstrap, binfmt_misc: {message}")


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
    proc = subprocess.run(
        [*PIP_WHEEL, "-w", str(out), str(PROJECT)], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        pytest.fail(f"building the project wheel failed:\n{proc.stderr[-3000:]}", pytrace=False)
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
        network=False,  # wheels only: proven by a network namespace with nothing in it
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
        cpuinfo.write_text(emulated_cpuinfo(os.cpu_count() or 1))
        mounts = [root / "proc", root / "sys", root / "proc/cpuinfo"]
        try:
            # Leftovers of a session that was killed before its teardown ran.
            for point in reversed(mounts):
                umount_lazy(point)
            for stale in sessions.iterdir():
                shutil.rmtree(stale)
            env.host_path(env.work).mkdir()
            for source, point in zip(("/proc", "/sys", cpuinfo), mounts, strict=True):
                subprocess.run(["mount", "--bind", str(source), str(point)], check=True)
            _install(env, wheels)
            yield env
        finally:
            for point in reversed(mounts):
                umount_lazy(point)
            shutil.rmtree(env.host_path(env.work), ignore_errors=True)


@pytest.fixture(scope="session")
def arm64_data(arm64: Arm64Root, models_dir: Path, images_dir: Path) -> str:
    """Copy the models, labels and one photo (in a folder of its own) into the root."""
    work = arm64.host_path(arm64.work)
    (work / "models").mkdir()
    for name in (SMALL, CLASSIFIER, "imagenet_labels.txt"):
        shutil.copy2(models_dir / name, work / "models" / name)
    (work / "images" / "cat").mkdir(parents=True)
    shutil.copy2(images_dir / "cat.bmp", work / "images" / "cat" / "cat.bmp")
    shutil.copy2(images_dir / "expected_top1.csv", work / "images" / "expected_top1.csv")
    return arm64.work
