"""The SSH test fleet shared by the Ansible integration tests of one module."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ansible.fleet import VENV_BIN, FleetLab

SMALL_MODEL = "mobilenet_v1_0.25_128_quant.tflite"
# Accounts the roles create on this machine (all test hosts share it).
ROLE_USERS = ("edgebench", "edgebench-collector")
ROLE_GROUPS = ("edgebench", "edgebench-collector")


def _missing_tools() -> list[str]:
    tools = ["sshd", "ssh", "ssh-keygen", "mosquitto", "mosquitto_passwd", "start-stop-daemon"]
    missing = [t for t in tools if shutil.which(t) is None and not Path("/usr/sbin", t).exists()]
    missing += [t for t in ("ansible-playbook", "ansible-lint") if not (VENV_BIN / t).exists()]
    return missing


def _existing(names: tuple[str, ...], lookup: object) -> set[str]:
    found = set()
    for name in names:
        try:
            lookup(name)  # type: ignore[operator]
            found.add(name)
        except KeyError:
            pass
    return found


@pytest.fixture(scope="module")
def fleet(models_dir: Path, output_dir: Path) -> Iterator[FleetLab]:
    """Three SSH test hosts (server, board-a, board-b); everything stopped afterwards."""
    missing = _missing_tools()
    if missing:
        pytest.fail(
            "the Ansible tests need " + ", ".join(missing) + ": apt-get install -y "
            "--no-install-recommends openssh-server mosquitto mosquitto-clients; "
            ".venv/bin/pip install ansible-core ansible-lint"
        )
    if os.geteuid() != 0:
        pytest.skip("the Ansible tests log in as root on local sshd test hosts")
    users_before = _existing(ROLE_USERS, pwd.getpwnam)
    groups_before = _existing(ROLE_GROUPS, grp.getgrnam)
    lab = FleetLab(models_dir / SMALL_MODEL)
    try:
        lab.start()
        yield lab
    finally:
        lab.teardown()
        # Playbook output and the services' logs, for a human to read after a failure.
        saved = output_dir / "ansible-logs"
        saved.mkdir(exist_ok=True)
        if (lab.base / "logs").is_dir():
            shutil.copytree(lab.base / "logs", saved, dirs_exist_ok=True)
        for log in (lab.base / "hosts").glob("*/root/var/lib/*/*.log"):
            shutil.copy(log, saved / f"{log.parts[-6]}-{log.name}")
        lab.remove()
        # Leave the machine's accounts as they were.
        for user in set(ROLE_USERS) - users_before:
            subprocess.run(["userdel", user], capture_output=True, check=False)
        for group in set(ROLE_GROUPS) - groups_before:
            subprocess.run(["groupdel", group], capture_output=True, check=False)
