"""A fleet of SSH test hosts (one server, two boards) and the way to run the playbooks on it.

:class:`FleetLab` builds the edgebench wheel on the controller, keeps a wheelhouse of its
dependencies cached across runs, starts three sshd test hosts, writes an inventory with
throwaway passwords and per-host install roots, and runs ``ansible-playbook`` with a
private ``ansible.cfg``. The collector's logins come from an ansible-vault encrypted vars
file next to the inventory (``group_vars/all/vault.yml``), encrypted with a generated vault
password, as a real inventory keeps them. :meth:`FleetLab.teardown` stops everything the
playbooks started (by the pid files the roles write), the sshd listeners and the SSH
ControlMaster helpers.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.ansible.artifacts import ROOT, build_wheel, make_tls_files, wheelhouse
from tests.ansible.recap import PlaybookRun, parse_recap
from tests.ansible.sshhosts import SshHost, free_port, make_client_key, pid_alive, stop_pid

ANSIBLE_DIR = ROOT / "ansible"
VENV_BIN = Path(sys.executable).parent
PLAYBOOKS = ("site.yml", "collector.yml", "agents.yml", "benchmark.yml")
SERVER, BOARD_A, BOARD_B = "server", "board-a", "board-b"
ADDRESSES = {SERVER: "127.0.0.2", BOARD_A: "127.0.0.3", BOARD_B: "127.0.0.4"}
GENERATED_MODEL = "gen-mobilenet_v1_0.25_128_int8"


class FleetLab:
    """Three SSH test hosts and everything needed to run the playbooks against them."""

    def __init__(self, model: Path) -> None:
        # Not under pytest's tmp_path: its parents are mode 0700, and the service users
        # (mosquitto, edgebench, edgebench-collector) must reach their install roots.
        self.base = Path(tempfile.mkdtemp(prefix="ebans-", dir="/tmp"))
        self.base.chmod(0o755)
        self.model = model
        self.passwords = {
            BOARD_A: secrets.token_urlsafe(18),
            BOARD_B: secrets.token_urlsafe(18),
            "collector": secrets.token_urlsafe(18),
            "admin": secrets.token_urlsafe(18),
            "viewer": secrets.token_urlsafe(18),
        }
        self.hosts: dict[str, SshHost] = {}
        self.broker_port = free_port(ADDRESSES[SERVER])
        self.collector_port = free_port(ADDRESSES[SERVER])
        self.broker_tls_port = free_port(ADDRESSES[SERVER])
        self.tls: dict[str, Path] = {}
        self.inventory = self.base / "inventory.yml"
        self.config = self.base / "ansible.cfg"
        self.env = self._environment()
        self.vault = self.base / "group_vars" / "all" / "vault.yml"
        self.vault_password_file = self.base / "vault-password"
        self.wheel: Path | None = None
        self.wheelhouse: Path | None = None
        self._api_token: str | None = None

    # Paths of what the roles install, per host.
    def root(self, host: str) -> Path:
        """The install root of ``host`` (the roles' *_root variable)."""
        return self.base / "hosts" / host / "root"

    def pid_files(self) -> list[Path]:
        """Pid files the roles write for background processes (service manager none)."""
        return sorted((self.base / "hosts").glob("*/root/run/*.pid"))

    def collector_db(self) -> Path:
        """The collector's SQLite database."""
        return self.root(SERVER) / "var/lib/edgebench-collector/edgebench.db"

    def api(self, path: str) -> str:
        """URL of the collector API."""
        return f"{self.dashboard}/api{path}"

    @property
    def dashboard(self) -> str:
        """Base URL of the collector's web side."""
        return f"http://{ADDRESSES[SERVER]}:{self.collector_port}"

    def collector_cli(self, *args: str, stdin: str | None = None) -> str:
        """Run ``edgebench collector ARGS`` on the server as the collector's user; stdout."""
        root = self.root(SERVER)
        argv = ["runuser", "-u", "edgebench-collector", "--"]
        argv += [str(root / "opt/edgebench-collector/venv/bin/edgebench")]
        argv += ["--config", str(root / "etc/edgebench/collector.toml"), "collector", *args]
        done = subprocess.run(
            argv, input=stdin, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def api_token(self) -> str:
        """A read token of the vault's admin, created on the server once per lab."""
        if self._api_token is None:
            out = self.collector_cli("token", "create", "--user", "admin", "--scope", "read")
            self._api_token = out.splitlines()[0]
        return self._api_token

    def operate_token_file(self) -> Path:
        """A file (mode 0600) holding an ``operate`` token of the vault's admin, made once."""
        path = self.base / "operate-token"
        if not path.exists():
            out = self.collector_cli("token", "create", "--user", "admin", "--scope", "operate")
            path.touch(mode=0o600)
            path.write_text(out.splitlines()[0] + "\n")
        return path

    def device_token_file(self, board: str) -> Path:
        """The board's model-store token file, written by the agent role."""
        return self.root(board) / "etc/edgebench/collector-token"

    @property
    def broker(self) -> tuple[str, int]:
        """Address and port of the broker."""
        return ADDRESSES[SERVER], self.broker_port

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "ANSIBLE_CONFIG": str(self.config),
                "ANSIBLE_HOME": str(self.base / "ansible-home"),
                "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_FORCE_COLOR": "0",
                "LC_ALL": "C.UTF-8",
                "LANG": "C.UTF-8",
                "PATH": f"{VENV_BIN}:{env.get('PATH', '/usr/bin:/bin')}",
            }
        )
        return env

    def start(self) -> None:
        """Build the wheel and wheelhouse, start the SSH hosts, write config and inventory."""
        self.wheel = build_wheel(self.base / "dist")
        self.wheelhouse = wheelhouse(self.wheel)
        self.tls = make_tls_files(self.base / "tls", ADDRESSES[SERVER])
        keys = self.base / "keys"
        keys.mkdir()
        client_key = make_client_key(keys)
        authorized = keys / "authorized_keys"
        authorized.write_text(client_key.with_suffix(".pub").read_text())
        for name, address in ADDRESSES.items():
            host = SshHost(name, address, self.base / "sshd" / name, authorized)
            self.hosts[name] = host
            host.start()
        self._write_config()
        self._write_vault()
        self._write_inventory(client_key)

    def _write_vault(self) -> None:
        """Encrypt the collector's login passwords with a generated vault password."""
        self.vault_password_file.write_text(secrets.token_urlsafe(24) + "\n")
        self.vault_password_file.chmod(0o600)
        self.vault.parent.mkdir(parents=True)
        secrets_vars = {
            "vault_edgebench_collector_admin_password": self.passwords["admin"],
            "vault_edgebench_collector_viewer_password": self.passwords["viewer"],
        }
        self.vault.write_text(json.dumps(secrets_vars, indent=2))
        # ansible.cfg names the password file (vault_password_file), as for the playbooks.
        done = self.tool("ansible-vault", "encrypt", str(self.vault), timeout_s=120)
        assert done.returncode == 0, done.stdout + done.stderr

    def _write_config(self) -> None:
        for sub in ("ansible-local", "ansible-remote", "cp", "ansible-home"):
            (self.base / sub).mkdir(exist_ok=True)
        self.config.write_text(
            "\n".join(
                [
                    "[defaults]",
                    f"roles_path = {ANSIBLE_DIR / 'roles'}",
                    f"inventory = {self.inventory}",
                    f"local_tmp = {self.base / 'ansible-local'}",
                    f"remote_tmp = {self.base / 'ansible-remote'}",
                    "host_key_checking = False",
                    "interpreter_python = /usr/bin/python3",
                    "forks = 10",
                    "retry_files_enabled = False",
                    f"vault_password_file = {self.vault_password_file}",
                    "[ssh_connection]",
                    "pipelining = True",
                    f"control_path_dir = {self.base / 'cp'}",
                    "ssh_args = -o ControlMaster=auto -o ControlPersist=120s",
                    "",
                ]
            )
        )

    def _write_inventory(self, client_key: Path) -> None:
        assert self.wheel is not None and self.wheelhouse is not None
        install = {
            "install_from": "wheel",
            "wheel": str(self.wheel),
            "pip_find_links": [str(self.wheelhouse)],
            "pip_no_index": True,
            # python3-venv is installed on this machine; leave apt alone (three "hosts"
            # running apt on one machine would fight over the dpkg lock).
            "system_packages": [],
        }
        server_root = str(self.root(SERVER))
        broker_url = f"mqtt://{ADDRESSES[SERVER]}:{self.broker_port}"
        common = {
            "ansible_user": "root",
            "ansible_ssh_private_key_file": str(client_key),
            "ansible_ssh_common_args": "-o StrictHostKeyChecking=no "
            "-o UserKnownHostsFile=/dev/null",
            "ansible_python_interpreter": "/usr/bin/python3",
            "edgebench_service_manager": "none",
        }
        server = {
            "ansible_host": ADDRESSES[SERVER],
            "ansible_port": self.hosts[SERVER].port,
            "mosquitto_root": server_root,
            "mosquitto_packages": [],
            "mosquitto_bind_address": ADDRESSES[SERVER],
            "mosquitto_port": self.broker_port,
            "mosquitto_tls_enabled": True,
            "mosquitto_tls_port": self.broker_tls_port,
            "mosquitto_tls_cert_src": str(self.tls["server"]),
            "mosquitto_tls_key_src": str(self.tls["server-key"]),
            "mosquitto_tls_ca_src": str(self.tls["ca"]),
            "mosquitto_collector_password": self.passwords["collector"],
            "edgebench_collector_root": server_root,
            "edgebench_collector_host": ADDRESSES[SERVER],
            "edgebench_collector_port": self.collector_port,
            "edgebench_collector_mqtt_url": broker_url,
            "edgebench_collector_mqtt_password": self.passwords["collector"],
            # From the encrypted group_vars/all/vault.yml, as in ansible/inventory/example.
            "edgebench_collector_admin_password": "{{ vault_edgebench_collector_admin_password }}",
            "edgebench_collector_users": [
                {
                    "name": "viewer-1",
                    "role": "viewer",
                    "password": "{{ vault_edgebench_collector_viewer_password }}",
                }
            ],
            **{f"edgebench_collector_{k}": v for k, v in install.items()},
        }
        boards = {}
        for name in (BOARD_A, BOARD_B):
            boards[name] = {
                "ansible_host": ADDRESSES[name],
                "ansible_port": self.hosts[name].port,
                "edgebench_agent_root": str(self.root(name)),
                "edgebench_agent_mqtt_url": broker_url,
                "edgebench_agent_mqtt_password": self.passwords[name],
                "edgebench_agent_model_files": [str(self.model)],
                # A generated catalog model: built on the board, offline.
                "edgebench_agent_catalog_models": [GENERATED_MODEL],
                "edgebench_agent_sample_hz": 5,
                # Both boards share this machine's /etc/passwd: create accounts in turn.
                "edgebench_agent_accounts_throttle": 1,
                "edgebench_agent_status_interval_s": 5,
                **{f"edgebench_agent_{k}": v for k, v in install.items()},
            }
        # Board B talks to the broker over TLS, verifying it against the test CA.
        boards[BOARD_B]["edgebench_agent_mqtt_url"] = (
            f"mqtts://{ADDRESSES[SERVER]}:{self.broker_tls_port}"
        )
        boards[BOARD_B]["edgebench_agent_mqtt_tls_ca_src"] = str(self.tls["ca"])
        inventory = {
            "all": {
                "vars": common,
                "children": {
                    "edgebench_server": {"hosts": {SERVER: server}},
                    "edgebench_boards": {
                        "children": {
                            "pi5": {"hosts": {BOARD_A: boards[BOARD_A]}},
                            "pi4": {"hosts": {BOARD_B: boards[BOARD_B]}},
                        }
                    },
                },
            }
        }
        # JSON is YAML; no PyYAML needed to write it.
        self.inventory.write_text(json.dumps(inventory, indent=2))

    def playbook(self, name: str, *args: str, timeout_s: float = 600) -> PlaybookRun:
        """Run ``ansible-playbook`` on one of the project's playbooks; never raises on failure."""
        cmd = [str(VENV_BIN / "ansible-playbook"), "-i", str(self.inventory), name, *args]
        proc = subprocess.run(
            cmd,
            check=False,
            cwd=ANSIBLE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
        output = proc.stdout + proc.stderr
        log = self.base / "logs"
        log.mkdir(exist_ok=True)
        index = len(list(log.iterdir()))
        (log / f"{index:02d}-{name}.log").write_text(output)
        return PlaybookRun(proc.returncode, output, parse_recap(proc.stdout))

    def tool(self, *cmd: str, timeout_s: float = 600) -> subprocess.CompletedProcess[str]:
        """Run an Ansible tool (ansible-lint, ansible-playbook ...) in the lab environment."""
        return subprocess.run(
            [str(VENV_BIN / cmd[0]), *cmd[1:]],
            check=False,
            cwd=ANSIBLE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )

    def teardown(self) -> None:
        """Stop every process the lab started (by pid), then the SSH hosts and helpers."""
        for pid_file in self.pid_files():
            try:
                pid = int(pid_file.read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue
            stop_pid(pid)
        self._stop_control_masters()
        for host in self.hosts.values():
            host.stop()
        self._stop_control_masters()

    def _stop_control_masters(self) -> None:
        """Ask each ControlMaster to exit, then stop any left by pid (matched on our dir)."""
        sockets = self.base / "cp"
        for sock in sockets.glob("*") if sockets.is_dir() else []:
            subprocess.run(
                ["ssh", "-o", f"ControlPath={sock}", "-O", "exit", "unused"],
                capture_output=True,
                timeout=10,
                check=False,
            )
        marker = str(sockets).encode()
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                cmdline = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if marker in cmdline and pid_alive(int(proc.name)):
                stop_pid(int(proc.name))

    def remove(self) -> None:
        """Delete the lab's directory (after teardown)."""
        shutil.rmtree(self.base, ignore_errors=True)
