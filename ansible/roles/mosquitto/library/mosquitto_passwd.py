#!/usr/bin/python
"""Ansible module: keep a Mosquitto password file in step with a list of logins.

Existing hashes are verified in Python (PBKDF2-SHA512 ``$7$`` and salted SHA-512 ``$6$``,
the two formats Mosquitto 2 reads), so an unchanged password is never rehashed and a run
with nothing to do reports ``changed=false``. New or changed logins are hashed by
``mosquitto_passwd`` itself, with the password on its stdin rather than its command line.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
---
module: mosquitto_passwd
short_description: Manage the logins of a Mosquitto password file idempotently
description:
  - Adds missing logins, rehashes logins whose password changed and, with O(prune), removes
    logins that are not listed. Unchanged logins keep their hash.
  - Hashing uses C(mosquitto_passwd); verification is done in Python.
options:
  path:
    description: The password file.
    type: path
    required: true
  users:
    description: The logins, each a dict with C(username) and C(password).
    type: list
    elements: dict
    required: true
  prune:
    description: Remove logins from the file that are not in O(users).
    type: bool
    default: true
  program:
    description: The C(mosquitto_passwd) program.
    type: path
    default: mosquitto_passwd
extends_documentation_fragment: [files]
author: edgebench maintainers
"""

EXAMPLES = r"""
- name: Write the broker's logins
  mosquitto_passwd:
    path: /etc/mosquitto/edgebench.passwd
    users:
      - {username: pi5-01, password: "{{ vault_pi5_01_password }}"}
    owner: root
    group: mosquitto
    mode: "0640"
  no_log: true
"""

RETURN = r"""
added:
  description: Logins that were added.
  type: list
  returned: always
updated:
  description: Logins whose password was rehashed.
  type: list
  returned: always
removed:
  description: Logins that were removed.
  type: list
  returned: always
"""


def _b64(text: str) -> bytes:
    """Decode base64 that may lack padding."""
    return base64.b64decode(text + "=" * (-len(text) % 4))


def verify(password: str, encoded: str) -> bool:
    """Whether ``password`` matches a Mosquitto hash (``$7$`` or ``$6$``)."""
    parts = encoded.split("$")
    try:
        if len(parts) == 5 and parts[1] == "7":
            iterations, salt, digest = int(parts[2]), _b64(parts[3]), _b64(parts[4])
            candidate = hashlib.pbkdf2_hmac(
                "sha512", password.encode(), salt, iterations, len(digest)
            )
        elif len(parts) == 4 and parts[1] == "6":
            salt, digest = _b64(parts[2]), _b64(parts[3])
            candidate = hashlib.sha512(password.encode() + salt).digest()
        else:
            return False
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate, digest)


def read_entries(path: str) -> dict[str, str]:
    """Return ``{username: hash}`` from a password file (empty if it does not exist)."""
    entries: dict[str, str] = {}
    if not os.path.exists(path):
        return entries
    with open(path, encoding="utf-8") as handle:
        for raw in handle:
            line = raw.strip()
            if line and not line.startswith("#") and ":" in line:
                user, _, encoded = line.partition(":")
                entries[user] = encoded
    return entries


def plan(
    entries: dict[str, str], users: list[dict[str, str]], prune: bool
) -> tuple[list[str], list[str], list[str]]:
    """Return (added, updated, removed) usernames needed to match ``users``."""
    wanted = {u["username"]: u["password"] for u in users}
    added = [name for name in wanted if name not in entries]
    updated = [
        name for name in wanted if name in entries and not verify(wanted[name], entries[name])
    ]
    removed = [name for name in entries if name not in wanted] if prune else []
    return added, updated, removed


def main() -> None:
    """Run the module."""
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "users": {"type": "list", "elements": "dict", "required": True},
            "prune": {"type": "bool", "default": True},
            "program": {"type": "path", "default": "mosquitto_passwd"},
        },
        add_file_common_args=True,
        supports_check_mode=True,
    )
    path = module.params["path"]
    users = module.params["users"]
    # Mask the passwords, not the whole list: the login names must stay readable in results.
    module.no_log_values.update(
        u["password"] for u in users if isinstance(u.get("password"), str) and u["password"]
    )
    for user in users:
        name, password = user.get("username"), user.get("password")
        if not isinstance(name, str) or not name or ":" in name or any(c in name for c in "\n\r"):
            module.fail_json(msg=f"invalid broker login name {name!r}")
        if not isinstance(password, str) or not password or any(c in password for c in "\n\r"):
            module.fail_json(msg=f"login {name!r}: the password must be one non-empty line")
    added, updated, removed = plan(read_entries(path), users, module.params["prune"])
    # Mosquitto refuses to start without its password file, even an empty one.
    changed = bool(added or updated or removed) or not os.path.exists(path)
    result = {"added": added, "updated": updated, "removed": removed}
    if changed and not module.check_mode:
        program = module.get_bin_path(module.params["program"], required=True)
        passwords = {u["username"]: u["password"] for u in users}
        directory = os.path.dirname(path) or "."
        fd, tmp = tempfile.mkstemp(prefix=".passwd-", dir=directory)
        os.close(fd)
        try:
            if os.path.exists(path):
                with open(path, "rb") as src, open(tmp, "wb") as dst:
                    dst.write(src.read())
            for name in removed:
                rc, _, err = module.run_command([program, "-D", tmp, name])
                if rc != 0:
                    module.fail_json(msg=f"mosquitto_passwd -D {name} failed: {err}", **result)
            for name in added + updated:
                secret = passwords[name]
                rc, _, err = module.run_command(
                    [program, tmp, name], data=f"{secret}\n{secret}\n", binary_data=True
                )
                if rc != 0:
                    module.fail_json(msg=f"mosquitto_passwd {name} failed: {err}", **result)
            module.atomic_move(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    file_args = module.load_file_common_arguments(module.params)
    if os.path.exists(path) and not module.check_mode:
        changed = module.set_fs_attributes_if_different(file_args, changed)
    module.exit_json(changed=changed, **result)


if __name__ == "__main__":
    main()
