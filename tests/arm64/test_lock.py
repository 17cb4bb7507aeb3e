"""The aarch64 lock matches pyproject's agent extra (fast; needs neither root nor emulation).

The arm64 install would fail on a stale lock too, but only after minutes of set-up and only
where the emulated root can run; this says what is wrong at once, everywhere.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.arm64.chroot import LOCK
from tests.conftest import ROOT

PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+) --hash=sha256:([0-9a-f]{64})$")


def _lock() -> dict[str, Version]:
    """Canonical name -> pinned version; every non-comment line must be a hashed pin."""
    pins: dict[str, Version] = {}
    for line in LOCK.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"not a hashed pin (re-run scripts/arm64-root --write-lock): {line!r}"
        name = canonicalize_name(match[1])
        assert name not in pins, f"{name} pinned twice"
        pins[name] = Version(match[2])
    return pins


def _agent_requirements() -> list[Requirement]:
    """The base dependencies plus the agent extra, as pyproject.toml declares them."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [
        Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["agent"]
    ]


def test_lock_pins_every_agent_requirement_within_its_range() -> None:
    pins = _lock()
    for req in _agent_requirements():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req} is not in {LOCK.name}: run scripts/arm64-root --write-lock"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"{LOCK.name} pins {name}=={pins[name]}, outside {req}: run --write-lock"
        )


def test_lock_is_closed_under_dependencies() -> None:
    # Each locked package's own requirements (as its metadata declares them for CPython 3.11 on
    # aarch64 Linux) must be locked too, or the wheels-only install fails. Metadata comes from
    # this environment, so only packages installed here at the locked version are checked.
    pins = _lock()
    target = {"platform_machine": "aarch64", "sys_platform": "linux", "python_version": "3.11"}
    target |= {"platform_system": "Linux", "os_name": "posix", "extra": ""}
    checked = set()
    for name, version in pins.items():
        try:
            if Version(metadata.version(name)) != version:
                continue
        except metadata.PackageNotFoundError:
            continue
        checked.add(name)
        for text in metadata.requires(name) or []:
            req = Requirement(text)
            if req.marker is not None and not req.marker.evaluate(target):
                continue
            assert canonicalize_name(req.name) in pins, f"{name} needs {req}, not in {LOCK.name}"
    # The check must have looked at the package that pulls in most: LiteRT.
    assert "ai-edge-litert" in checked
