"""A fleet of one: the embedded broker path end to end, with the real agent as a child."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import urllib.request
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from edgebench.collector import db
from edgebench.collector.accounts import authenticate
from edgebench.collector.devicetokens import resolve_device_token
from tests.brokers import free_port
from tests.collector.helpers import Publisher, run_stream, wait_until
from tests.httplogin import HttpClient, log_in

EDGEBENCH = str(Path(sys.executable).parent / "edgebench")
LOGIN_RE = re.compile(r"log in at (\S+)login\n  user +(\S+)\n  password +(\S+)\n")


def test_embedded_broker_ingest(make_config, start_ingest, engine) -> None:
    service = start_ingest(make_config(""), engine=engine, embedded_port=free_port())
    assert service.embedded is not None and service.broker_url.startswith("mqtt://127.0.0.1:")
    pub = Publisher(service.embedded.port, "pi-e")
    pub.publish(run_stream("pi-e", "run-e", batches=5))
    pub.wait_acked()
    wait_until(lambda: service.health()["accepted"] >= 7, what="embedded delivery")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM samples")).scalar_one() == 26
    pub.close()


def _fleet_env(tmp_path: Path) -> dict[str, str]:
    # Port 0: any free port for the embedded broker (1883 may be taken on a shared machine).
    env = {
        **os.environ,
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "EDGEBENCH_EMBEDDED_BROKER_PORT": "0",
        "EDGEBENCH_SECRET_KEY_FILE": str(tmp_path / "secret_key"),
    }
    env.pop("EDGEBENCH_MQTT__URL", None)
    env.pop("EDGEBENCH_HOST", None)
    return env


def _fleet_argv(tmp_path: Path, models_dir: Path, db_url: str, *extra: str) -> list[str]:
    return [
        EDGEBENCH,
        "fleet",
        *extra,
        "--db",
        db_url,
        "--login-file",
        str(tmp_path / "fleet-login"),
        "--port",
        str(free_port()),
        "--agent-arg=--runs=10",
        "--agent-arg=--min-secs=0.2",
        "--agent-arg=--warmup-secs=0.1",
        str(models_dir / "mobilenet_v1_0.25_128_quant.tflite"),
    ]


def _edgebench(
    tmp_path: Path, argv: list[str], stdin: str | None = None, timeout_s: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` (an edgebench command line) in the fleet's environment; its outcome."""
    return subprocess.run(
        argv,
        input=stdin,
        env=_fleet_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


def _show_login(tmp_path: Path, db_url: str) -> subprocess.CompletedProcess[str]:
    argv = [EDGEBENCH, "fleet", "--show-login", "--db", db_url]
    return _edgebench(tmp_path, [*argv, "--login-file", str(tmp_path / "fleet-login")])


def test_fleet_once_stores_the_agents_result(tmp_path: Path, models_dir: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'fleet.sqlite'}"
    done = _edgebench(tmp_path, _fleet_argv(tmp_path, models_dir, db_url, "--once"), None, 120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "embedded broker" in done.stdout
    assert "stored in the collector" in done.stdout
    engine = db.make_engine(db_url)
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM runs")).mappings().one()
        samples = conn.execute(sa.text("SELECT count(*) FROM samples")).scalar_one()
    assert row["model_name"] == "mobilenet_v1_0.25_128_quant"
    assert row["result"] is not None and row["verdict"] in ("VALID", "INVALID")
    assert row["run_id"] in done.stdout
    assert samples >= 1

    # The fleet created the admin once and printed the login: it works on the database.
    login = LOGIN_RE.search(done.stdout)
    assert login, done.stdout
    url, user, password = login.groups()
    assert url.startswith("http://127.0.0.1:") and user == "admin"
    with Session(engine) as session:
        assert authenticate(session, "admin", password) is not None
    engine.dispose()
    login_file = tmp_path / "fleet-login"
    assert stat.S_IMODE(login_file.stat().st_mode) == 0o600
    assert password in login_file.read_text()

    # The agent's device token for the model store: beside the login, 0600, for its device.
    token_file = tmp_path / "fleet-device-token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    token = token_file.read_text().strip()
    assert token.startswith("ebd_") and f"device token for {row['device_id']}" in done.stdout
    engine = db.make_engine(db_url)
    with Session(engine) as session:
        found = resolve_device_token(session, token)
        assert found is not None and found.device_id == row["device_id"]
    engine.dispose()

    # --show-login prints it again.
    shown = _show_login(tmp_path, db_url)
    assert shown.returncode == 0, shown.stderr
    assert LOGIN_RE.search(shown.stdout).groups()[1:] == ("admin", password)

    # A second start keeps the admin: no new password printed.
    again = _edgebench(tmp_path, _fleet_argv(tmp_path, models_dir, db_url, "--once"), None, 120)
    assert again.returncode == 0, again.stdout + again.stderr
    assert password not in again.stdout and not LOGIN_RE.search(again.stdout)
    assert "--show-login" in again.stdout
    assert _show_login(tmp_path, db_url).returncode == 0
    # ... and the device token that still works.
    assert token_file.read_text().strip() == token and "device token for" not in again.stdout


def test_show_login_says_when_the_password_changed_or_the_file_is_gone(tmp_path: Path) -> None:
    from edgebench.collector.fleetlogin import ensure_admin

    db_url = f"sqlite:///{tmp_path / 'fleet.sqlite'}"
    login_file = tmp_path / "fleet-login"
    login = ensure_admin(db_url, login_file)
    assert login is not None and ensure_admin(db_url, login_file) is None
    assert _show_login(tmp_path, db_url).returncode == 0

    argv = [EDGEBENCH, "collector", "user", "set-password", "admin", "--db", db_url]
    changed = _edgebench(tmp_path, argv, "another long password\n")
    assert changed.returncode == 0, changed.stderr
    shown = _show_login(tmp_path, db_url)
    assert shown.returncode == 2 and shown.stdout == ""
    assert "no longer logs in as 'admin'" in shown.stderr
    assert login.password not in shown.stderr
    assert len(shown.stderr.splitlines()) == 1

    login_file.unlink()
    shown = _show_login(tmp_path, db_url)
    assert shown.returncode == 2
    assert f"{login_file} is gone" in shown.stderr
    assert "user set-password admin" in shown.stderr


def test_the_printed_login_works_on_the_login_page(tmp_path: Path, models_dir: Path) -> None:
    """Needs the login page (webauth branch)."""
    db_url = f"sqlite:///{tmp_path / 'fleet.sqlite'}"
    out_path = tmp_path / "fleet.out"
    with out_path.open("w") as out:
        proc = subprocess.Popen(
            _fleet_argv(tmp_path, models_dir, db_url),
            env=_fleet_env(tmp_path),
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        wait_until(
            lambda: "serving until Ctrl-C" in out_path.read_text() or proc.poll() is not None,
            timeout_s=120,
            what="the fleet serving",
        )
        output = out_path.read_text()
        assert proc.poll() is None, output
        url, user, password = LOGIN_RE.search(output).groups()
        status, client = log_in(url, user, password)
        assert status == 302
        assert client.request("/")[0] == 200
        assert HttpClient(url).request("/")[0] in (302, 401)
        # The fleet's agent daemon takes a campaign: its one job runs and is stored.
        device = re.search(r"agent daemon (\S+) takes campaigns", output)
        assert device, output
        campaign, token = _start_campaign(tmp_path, db_url, url, device.group(1))
        done = lambda: _campaign(url, campaign, token)["state"] == "done"  # noqa: E731
        wait_until(done, 120, "the campaign done")
        detail = _campaign(url, campaign, token)
        assert [job["state"] for job in detail["jobs"]] == ["done"]
        assert detail["run_ids"] and detail["jobs"][0]["run_id"] == detail["run_ids"][0]
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0


def _start_campaign(tmp_path: Path, db_url: str, url: str, device_id: str) -> tuple[int, str]:
    """Create an operate token with the CLI, start a one-job campaign through the API."""
    argv = [EDGEBENCH, "collector", "token", "create", "--user", "admin", "--scope", "operate"]
    made = _edgebench(tmp_path, [*argv, "--db", db_url])
    assert made.returncode == 0, made.stderr
    token = re.search(r"ebt_\S+", made.stdout).group(0)
    body = {
        "name": "fleet of one",
        "devices": [device_id],
        "models": ["gen-mobilenet_v2_0.35_96_int8"],
        "options": {"runs": 10, "min_secs": 0.2, "warmup_secs": 0.1},
    }
    request = urllib.request.Request(
        url + "api/campaigns",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        assert reply.status == 201
        return int(json.loads(reply.read())["campaign_id"]), token


def _campaign(url: str, campaign_id: int, token: str) -> dict:
    request = urllib.request.Request(
        f"{url}api/campaigns/{campaign_id}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.loads(reply.read())


def test_the_summary_says_why_a_run_is_invalid() -> None:
    from edgebench.collector.fleet import format_run
    from edgebench.collector.models import Run

    reason = "busy board: other processes used 150 % of a core before the measured phase"
    run = Run(
        run_id="r1",
        device_id="d1",
        status="complete",
        verdict="INVALID",
        result={"verdict": {"status": "INVALID", "reasons": [reason]}},
    )
    assert f"why        {reason}" in format_run(run).splitlines()
    run.result = {"verdict": {"status": "VALID", "reasons": []}}
    assert "why" not in format_run(run)
