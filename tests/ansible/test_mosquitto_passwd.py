"""The mosquitto role's password-file module, run as Ansible runs it, with real mosquitto_passwd."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from tests.ansible.fleet import ANSIBLE_DIR

MODULE = ANSIBLE_DIR / "roles/mosquitto/library/mosquitto_passwd.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mosquitto_passwd", MODULE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(tmp_path: Path, check_mode: bool = False, **args: object) -> dict:
    """Run the module the way Ansible does (an args file) and return its JSON result."""
    args_file = tmp_path / "args.json"
    payload = dict(args, _ansible_check_mode=check_mode, _ansible_tmpdir=str(tmp_path))
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": payload}))
    proc = subprocess.run(
        [sys.executable, str(MODULE), str(args_file)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "LC_ALL": "C.UTF-8"},
    )
    return json.loads(proc.stdout)


def _users(**passwords: str) -> list[dict[str, str]]:
    return [{"username": u, "password": p} for u, p in passwords.items()]


def test_unchanged_logins_are_not_rehashed(tmp_path: Path) -> None:
    path = tmp_path / "passwd"
    first = _run(tmp_path, path=str(path), users=_users(alice="a-secret", bob="b-secret"))
    assert first["changed"] is True
    assert first["added"] == ["alice", "bob"]
    content = path.read_text()
    assert "a-secret" not in content and content.count("$7$") == 2

    again = _run(tmp_path, path=str(path), users=_users(alice="a-secret", bob="b-secret"))
    assert again["changed"] is False
    assert path.read_text() == content


def test_a_changed_password_rehashes_only_that_login(tmp_path: Path) -> None:
    path = tmp_path / "passwd"
    _run(tmp_path, path=str(path), users=_users(alice="a-secret", bob="b-secret"))
    before = dict(line.split(":", 1) for line in path.read_text().split())
    result = _run(tmp_path, path=str(path), users=_users(alice="a-new", bob="b-secret"))
    after = dict(line.split(":", 1) for line in path.read_text().split())
    assert result["changed"] is True and result["updated"] == ["alice"]
    assert after["bob"] == before["bob"] and after["alice"] != before["alice"]
    assert _load().verify("a-new", after["alice"])


def test_prune_removes_retired_logins_and_check_mode_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "passwd"
    _run(tmp_path, path=str(path), users=_users(alice="a-secret", bob="b-secret"))
    content = path.read_text()
    dry = _run(tmp_path, check_mode=True, path=str(path), users=_users(alice="a-secret"))
    assert dry["changed"] is True and dry["removed"] == ["bob"]
    assert path.read_text() == content
    real = _run(tmp_path, path=str(path), users=_users(alice="a-secret"))
    assert real["removed"] == ["bob"]
    assert [line.split(":")[0] for line in path.read_text().split()] == ["alice"]
    kept = _run(tmp_path, path=str(path), users=_users(carol="c-secret"), prune=False)
    assert kept["added"] == ["carol"] and kept["removed"] == []


def test_mode_is_applied_and_bad_input_fails(tmp_path: Path) -> None:
    path = tmp_path / "passwd"
    _run(tmp_path, path=str(path), users=_users(alice="a-secret"), mode="0640")
    assert oct(path.stat().st_mode & 0o777) == "0o640"
    bad = _run(tmp_path, path=str(path), users=_users(**{"a:b": "x"}))
    assert bad["failed"] is True and "invalid broker login" in bad["msg"]
    two_lines = _run(tmp_path, path=str(path), users=_users(alice="x\ny"))
    assert two_lines["failed"] is True


def test_verify_reads_both_mosquitto_hash_formats() -> None:
    module = _load()
    salt = b"0123456789ab"
    sha512 = hashlib.sha512(b"pw" + salt).digest()
    legacy = f"$6${base64.b64encode(salt).decode()}${base64.b64encode(sha512).decode()}"
    assert module.verify("pw", legacy) and not module.verify("other", legacy)
    pbkdf2 = hashlib.pbkdf2_hmac("sha512", b"pw", salt, 101, 64)
    modern = f"$7$101${base64.b64encode(salt).decode()}${base64.b64encode(pbkdf2).decode()}"
    assert module.verify("pw", modern) and not module.verify("other", modern)
    assert not module.verify("pw", "$9$nonsense") and not module.verify("pw", "$7$x$y$z")
