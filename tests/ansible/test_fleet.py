"""site.yml and benchmark.yml against three real SSH test hosts: deploy, benchmark, rerun.

The tests run in file order on one fleet (module-scoped fixture): deploy with site.yml,
benchmark both boards with a campaign on the collector (a generated model and one from the
collector's model store, fetched with each board's device token), rerun site.yml and
expect no change, try to cross the ACL with one board's login, check the preflight
failures, and finally tear down and check that nothing is left running.
"""

from __future__ import annotations

import json
import pwd
import sqlite3
import stat
import subprocess
import time
from pathlib import Path

import pytest

from edgebench.shared.codec import encode_message
from edgebench.shared.messages import StatusMessage
from edgebench.shared.topics import TopicLayout
from tests.ansible import probes
from tests.ansible.fleet import BOARD_A, BOARD_B, GENERATED_MODEL, SERVER, FleetLab
from tests.ansible.recap import PlaybookRun
from tests.ansible.sshhosts import pid_alive, wait_for_port
from tests.httplogin import HttpClient, log_in

# One worker builds from the source tree at a time (tests/conftest.py).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("source-tree")]

BOARDS = (BOARD_A, BOARD_B)
LAYOUT = TopicLayout("edgebench")


def test_site_brings_up_broker_collector_and_agents(fleet: FleetLab) -> None:
    run = fleet.playbook("site.yml")
    assert run.returncode == 0, run.output[-5000:]
    assert set(run.recap) == {SERVER, *BOARDS}
    assert all(r["failed"] == 0 and r["unreachable"] == 0 for r in run.recap.values())

    pids = probes.service_pids(fleet)
    assert set(pids) == {
        "server/mosquitto",
        "server/edgebench-collector",
        f"{BOARD_A}/edgebench-agent",
        f"{BOARD_B}/edgebench-agent",
    }
    for name, pid in pids.items():
        assert pid_alive(pid), name
    # Each service runs as its own unprivileged account, never as root.
    users = {
        "server/mosquitto": "mosquitto",
        "server/edgebench-collector": "edgebench-collector",
        f"{BOARD_A}/edgebench-agent": "edgebench",
        f"{BOARD_B}/edgebench-agent": "edgebench",
    }
    for name, user in users.items():
        assert probes.uid_of(pids[name]) == pwd.getpwnam(user).pw_uid, name
    assert "video" in {g for g in probes.groups_of("edgebench")}

    assert wait_for_port(*fleet.broker)
    assert wait_for_port(fleet.broker[0], fleet.broker_tls_port)
    # The vault's logins exist (created from stdin, so never on a command line).
    with sqlite3.connect(fleet.collector_db()) as db:
        users = dict(db.execute("SELECT name, role FROM users").fetchall())
    assert users == {"admin": "admin", "viewer-1": "viewer"}
    # The API answers with a token of the vault's admin.
    assert probes.get(fleet, "/runs")[0] == 200
    probes.wait_devices_online(fleet)

    # Secrets: config files are 0640 root:<service group>; the password file holds hashes.
    server = fleet.root(SERVER)
    for path in (
        server / "etc/edgebench/collector.toml",
        server / "etc/mosquitto/edgebench.passwd",
        fleet.root(BOARD_A) / "etc/edgebench/agent.toml",
    ):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == 0o640, (path, oct(mode))
    passwd = (server / "etc/mosquitto/edgebench.passwd").read_text()
    logins = dict(line.split(":", 1) for line in passwd.split())
    assert set(logins) == {"edgebench-collector", BOARD_A, BOARD_B}
    assert all(h.startswith("$7$") for h in logins.values())
    assert fleet.passwords[BOARD_A] not in passwd
    # Board B's agent reaches the broker only through the TLS listener, with the test CA.
    agent_b = (fleet.root(BOARD_B) / "etc/edgebench/agent.toml").read_text()
    assert f'url = "mqtts://{fleet.broker[0]}:{fleet.broker_tls_port}"' in agent_b
    assert "tls_ca = " in agent_b
    # The generated catalog model was built on each board, as the agent's user.
    for board in BOARDS:
        built = list((fleet.root(board) / "var/cache/edgebench-agent").rglob("*.tflite"))
        assert built, board
        assert all(p.stat().st_uid == pwd.getpwnam("edgebench").pw_uid for p in built)
        assert GENERATED_MODEL in (fleet.root(board) / "etc/edgebench/agent.toml").read_text()
    # Each board has its model-store token: created on the collector, 0600, the agent's own.
    agent_uid = pwd.getpwnam("edgebench").pw_uid
    for board in BOARDS:
        token_file = fleet.device_token_file(board)
        info = token_file.stat()
        assert stat.S_IMODE(info.st_mode) == 0o600, oct(info.st_mode)
        assert info.st_uid == agent_uid
        assert token_file.read_text().startswith("ebd_")
        config = (fleet.root(board) / "etc/edgebench/agent.toml").read_text()
        assert f'collector_url = "{fleet.dashboard}"' in config
        assert f'collector_token_file = "{token_file}"' in config
    with sqlite3.connect(fleet.collector_db()) as db:
        owners = sorted(r[0] for r in db.execute("SELECT device_id FROM device_tokens"))
    assert owners == sorted(BOARDS)
    # The model store is a folder of the service's own, named in its config.
    model_dir = server / "var/lib/edgebench-collector/models"
    assert model_dir.stat().st_uid == pwd.getpwnam("edgebench-collector").pw_uid
    assert f'model_dir = "{model_dir}"' in (server / "etc/edgebench/collector.toml").read_text()
    acl = (server / "etc/mosquitto/edgebench.acl").read_text()
    assert f"user {BOARD_A}\ntopic write edgebench/v1/{BOARD_A}/status" in acl
    assert f"topic read edgebench/v1/{BOARD_B}/cmd" in acl
    assert f"topic read edgebench/v1/{BOARD_B}/receipts" in acl
    assert "topic write edgebench/v1/+/receipts" in acl
    # ... and refuses a request without a token (last: needs the login of the web layer).
    assert probes.get(fleet, "/runs", auth=False)[0] == 401


def test_the_vault_admin_logs_in_to_the_dashboard(fleet: FleetLab) -> None:
    # The password reached the server only through the encrypted vars file.
    vault = fleet.vault.read_text()
    assert vault.startswith("$ANSIBLE_VAULT;")
    assert fleet.passwords["admin"] not in vault
    assert fleet.passwords["admin"] not in fleet.inventory.read_text()
    for log in (fleet.base / "logs").iterdir():
        assert fleet.passwords["admin"] not in log.read_text(), log.name
    status, client = log_in(fleet.dashboard, "admin", fleet.passwords["admin"])
    assert status == 302
    status, _, page = client.request("/")
    assert status == 200 and "<html" in page.lower()
    assert HttpClient(fleet.dashboard).request("/")[0] in (302, 401)
    assert log_in(fleet.dashboard, "admin", "not the vault password")[0] != 302
    # /healthz stays public (the role's smoke test).
    assert HttpClient(fleet.dashboard).request("/healthz")[0] == 200


@pytest.mark.parametrize(
    "unit",
    [
        f"{SERVER}/mosquitto.service",
        f"{SERVER}/edgebench-collector.service",
        f"{BOARD_A}/edgebench-agent.service",
        f"{BOARD_B}/edgebench-agent.service",
    ],
)
def test_rendered_units_pass_systemd_analyze_verify(fleet: FleetLab, unit: str) -> None:
    host, name = unit.split("/")
    path = fleet.root(host) / "etc/systemd/system" / name
    assert path.is_file(), "run after the site.yml test"
    text = path.read_text()
    assert "NoNewPrivileges=yes" in text and "ProtectSystem=strict" in text
    if "agent" in name:
        # vcgencmd needs /dev/vchiq or /dev/vcio: nothing may close /dev for the agent.
        closing = ("PrivateDevices=", "ProtectClock=", "DeviceAllow=", "DevicePolicy=")
        assert not [line for line in text.splitlines() if line.startswith(closing)]
        assert "SupplementaryGroups=video" in text
    check = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stderr
    assert check.stderr == ""


def test_benchmark_playbook_runs_a_campaign_and_its_results_are_stored(fleet: FleetLab) -> None:
    # A model of the operator's own, in the collector's store: the boards fetch it with
    # the device tokens the role gave them.
    token_file = fleet.operate_token_file()
    stored = probes.upload_model(fleet, fleet.model, token_file.read_text().strip())
    store_model = stored["model"]
    assert store_model == f"sha256:{stored['sha256']}"
    run = fleet.playbook(
        "benchmark.yml",
        "-e",
        json.dumps(
            {
                "edgebench_benchmark_token_file": str(token_file),
                "edgebench_benchmark_name": "ansible test",
                "edgebench_benchmark_models": [GENERATED_MODEL, store_model],
                "edgebench_benchmark_threads": [1],
                # allow_busy: the test machine is shared, so skip the busy-board wait.
                "edgebench_benchmark_options": {"runs": 10, "warmup_runs": 1, "allow_busy": True},
                "edgebench_benchmark_timeout_s": 240,
                "edgebench_benchmark_poll_s": 2,
            }
        ),
    )
    assert run.returncode == 0, run.output[-5000:]
    assert set(run.recap) == set(BOARDS)
    assert all(r["failed"] == 0 for r in run.recap.values())

    # The campaign (the collector's, read back through the API) did all four jobs ...
    code, listing = probes.get(fleet, "/campaigns")
    assert code == 200
    assert [c["name"] for c in listing["items"]] == ["ansible test"]
    campaign_id = listing["items"][0]["campaign_id"]
    code, campaign = probes.get(fleet, f"/campaigns/{campaign_id}")
    assert code == 200
    assert campaign["state"] == "done"
    assert campaign["counts"]["done"] == 4 and campaign["job_count"] == 4
    jobs = {(j["device_id"], j["model"]) for j in campaign["jobs"]}
    assert jobs == {(b, m) for b in BOARDS for m in (GENERATED_MODEL, store_model)}
    assert len(set(campaign["run_ids"])) == 4
    # ... and the play said so: its summary names the campaign and every run.
    assert f"campaign {campaign_id} 'ansible test': done" in run.output
    assert all(run_id in run.output for run_id in campaign["run_ids"])

    # Every run is stored, complete, under its board.
    for board in BOARDS:
        code, body = probes.get(fleet, f"/runs?device={board}")
        assert code == 200
        mine = [r for r in body["items"] if r["run_id"] in campaign["run_ids"]]
        assert len(mine) == 2, body["items"]
        assert all(r["status"] == "complete" and r["throughput_ips"] > 0 for r in mine)
        # The store model was downloaded with the device token and cached, verified.
        cached = fleet.root(board) / f"var/lib/edgebench-agent/models/{stored['sha256']}.tflite"
        assert cached.read_bytes() == fleet.model.read_bytes()
    with sqlite3.connect(fleet.collector_db()) as db:
        statuses = dict(db.execute("SELECT run_id, status FROM runs").fetchall())
    assert {statuses.get(r) for r in campaign["run_ids"]} == {"complete"}
    # No token shows up in what the play printed.
    assert token_file.read_text().strip() not in run.output
    assert "Bearer " not in run.output
    for board in BOARDS:
        assert fleet.device_token_file(board).read_text().strip() not in run.output


def test_benchmark_playbook_fails_with_the_reason(fleet: FleetLab) -> None:
    token_file = fleet.operate_token_file()
    base = {
        "edgebench_benchmark_token_file": str(token_file),
        "edgebench_benchmark_timeout_s": 120,
        "edgebench_benchmark_poll_s": 1,
    }

    def benchmark(**extra: object) -> PlaybookRun:
        """benchmark.yml on board A with ``edgebench_benchmark_<key>`` set for each key."""
        variables = base | {f"edgebench_benchmark_{k}": v for k, v in extra.items()}
        return fleet.playbook("benchmark.yml", "-l", BOARD_A, "-e", json.dumps(variables))

    # A path is not a model name: the collector refuses the campaign and the play says why.
    refused = benchmark(models=["../../etc/passwd"])
    assert refused.returncode != 0
    text = " ".join(refused.output.split())
    assert "answered 400: models[0]: '../../etc/passwd' is not a model name" in text, text[-3000:]
    # A name the board does not have: its job fails there, and the play lists it and fails.
    failed = benchmark(models=["no-such-model"], campaign={"retries": 0})
    assert failed.returncode != 0
    assert failed.recap[BOARD_A]["failed"] == 1
    text = " ".join(failed.output.split())
    assert f"{BOARD_A} no-such-model litert threads=all repetition=" in text, text[-3000:]
    assert "failed after 1 attempt(s)" in text
    assert "ended done with 1 failed or expired job(s)" in text
    # Not done in time: the play cancels the campaign's queued jobs and fails.
    late = benchmark(
        models=[GENERATED_MODEL],
        repetitions=5,
        options={"runs": 10, "allow_busy": True},
        timeout_s=1,
    )
    assert late.returncode != 0
    text = " ".join(late.output.split())
    assert "after 1 s" in text and "its queued jobs were cancelled" in text, text[-3000:]
    _, listing = probes.get(fleet, "/campaigns?limit=1")
    assert listing["items"][0]["state"] == "cancelled"
    assert listing["items"][0]["counts"]["cancelled"] >= 1
    for run in (refused, failed, late):
        assert token_file.read_text().strip() not in run.output


def test_second_site_run_changes_nothing(fleet: FleetLab) -> None:
    before = probes.service_pids(fleet)
    run = fleet.playbook("site.yml")
    assert run.returncode == 0, run.output[-5000:]
    assert set(run.recap) == {SERVER, *BOARDS}
    assert run.changed_hosts() == {}, run.output[-8000:]
    # The boards keep their device tokens: none is created, none rewritten.
    outcomes = run.task_outcomes("Create the board's device token on the collector")
    assert outcomes == {BOARD_A: "skipping", BOARD_B: "skipping"}, run.output[-8000:]
    assert run.task_outcomes("Write the device token, readable by the agent's user only") == {
        BOARD_A: "skipping",
        BOARD_B: "skipping",
    }
    # No handler fired: every service kept its process.
    assert probes.service_pids(fleet) == before


def test_a_reimaged_board_gets_a_new_token_and_its_old_one_stops_working(
    fleet: FleetLab,
) -> None:
    # A reimaged board has lost its token file; its old token still sits on the server.
    token_file = fleet.device_token_file(BOARD_A)
    old = token_file.read_text().strip()
    assert probes.get(fleet, "/models", token=old)[0] == 200
    token_file.unlink()
    run = fleet.playbook("agents.yml", "--limit", BOARD_A)
    assert run.returncode == 0, run.output[-5000:]
    outcomes = run.task_outcomes("Create the board's device token on the collector")
    assert outcomes == {BOARD_A: "changed"}, run.output[-8000:]
    new = token_file.read_text().strip()
    assert new.startswith("ebd_") and new != old
    assert old not in run.output and new not in run.output
    assert probes.get(fleet, "/models", token=new)[0] == 200
    assert probes.get(fleet, "/models", token=old)[0] == 401
    with sqlite3.connect(fleet.collector_db()) as db:
        rows = db.execute(
            "SELECT prefix, revoked_at IS NULL FROM device_tokens WHERE device_id = ?",
            (BOARD_A,),
        ).fetchall()
        others = db.execute(
            "SELECT COUNT(*) FROM device_tokens WHERE device_id = ? AND revoked_at IS NULL",
            (BOARD_B,),
        ).fetchone()[0]
    assert dict(rows) == {old[:12]: 0, new[:12]: 1}
    assert others == 1  # the other board's token is untouched


def test_a_board_cannot_publish_or_read_another_boards_topics(fleet: FleetLab) -> None:
    received: list[tuple[str, bytes]] = []
    collector = probes.client(
        fleet, "edgebench-collector", fleet.passwords["collector"], "acl-watch"
    )
    collector.on_message = lambda c, u, m: received.append((m.topic, m.payload))
    collector.subscribe("edgebench/v1/#", qos=1)
    board_a = probes.client(fleet, BOARD_A, fleet.passwords[BOARD_A], "acl-board-a")
    a_got: list[str] = []
    board_a.on_message = lambda c, u, m: a_got.append(m.topic)
    board_a.subscribe(LAYOUT.command(BOARD_B), qos=1)
    time.sleep(0.5)
    try:
        forged = StatusMessage(
            device_id=BOARD_B, state="offline", reason="shutdown", edgebench_version="forged"
        )
        denied = board_a.publish(LAYOUT.status(BOARD_B), encode_message(forged), qos=1)
        denied.wait_for_publish(10)
        allowed = board_a.publish(LAYOUT.run_events(BOARD_A, "acl-probe"), b"{}", qos=1)
        allowed.wait_for_publish(10)
        # The collector may command board B; board A must not see it.
        collector.publish(LAYOUT.command(BOARD_B), b'{"probe": true}', qos=1).wait_for_publish(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any("acl-probe" in t for t, _ in received):
            time.sleep(0.1)
        time.sleep(1)
    finally:
        for client in (board_a, collector):
            client.disconnect()
            client.loop_stop()
    topics = [t for t, _ in received]
    # The allowed publish arrived, so the watcher works; the forged one never did.
    assert LAYOUT.run_events(BOARD_A, "acl-probe") in topics
    assert LAYOUT.status(BOARD_B) not in [t for t, p in received if b"forged" in p]
    assert a_got == []
    # The collector still has board B online with its real version.
    devices = probes.wait_devices_online(fleet, timeout_s=10)
    assert devices[BOARD_B]["edgebench_version"] != "forged"


def test_preflight_refuses_a_collector_beyond_loopback_without_an_admin(fleet: FleetLab) -> None:
    run = fleet.playbook(
        "collector.yml",
        "--tags",
        "edgebench_collector_preflight",
        "-e",
        json.dumps({"edgebench_collector_admin_password": ""}),
    )
    assert run.returncode != 0
    assert run.recap[SERVER]["failed"] == 1
    message = " ".join(run.output.split())
    assert f"on {fleet.broker[0]} with no login: set edgebench_collector_admin_password" in message


@pytest.mark.parametrize(
    ("probe", "message"),
    [
        ({"machine": "armv7l"}, "32-bit ARM OS (armv7l): there is no LiteRT"),
        ({"python": "3.9.2"}, "is Python 3.9.2; edgebench needs 3.11 or newer"),
        ({"free_mb": 12}, "has 12 MB free at"),
    ],
)
def test_preflight_stops_unsupported_boards_with_a_clear_message(
    fleet: FleetLab, probe: dict, message: str
) -> None:
    facts = {"machine": "aarch64", "python": "3.11.2", "venv": True, "free_mb": 9999}
    facts.update(probe, measured_path="/")
    fake = fleet.base / f"fake-python-{next(iter(probe))}"
    # Stands in for the board's python3: answers the role's probe like an old board would.
    fake.write_text(f"#!/bin/sh\necho '{json.dumps(facts)}'\n")
    fake.chmod(0o755)
    run = fleet.playbook(
        "agents.yml",
        "-l",
        BOARD_A,
        "--tags",
        "edgebench_agent_preflight",
        "-e",
        f"edgebench_agent_python={fake}",
    )
    assert run.returncode != 0
    assert run.recap[BOARD_A]["failed"] == 1
    assert message in " ".join(run.output.split()), run.output[-3000:]


def test_teardown_leaves_nothing_running(fleet: FleetLab) -> None:
    pids = list(probes.service_pids(fleet).values()) + [
        h.pid for h in fleet.hosts.values() if h.pid
    ]
    assert pids
    fleet.teardown()
    for pid in pids:
        assert not pid_alive(pid), pid
    marker = str(fleet.base).encode()
    leftovers = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if marker in (proc / "cmdline").read_bytes() and pid_alive(int(proc.name)):
                    leftovers.append(proc.name)
            except OSError:
                continue
    assert leftovers == []
