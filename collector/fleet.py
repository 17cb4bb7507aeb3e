"""``edgebench fleet``: a fleet of one on this machine — broker, collector and an agent.

Makes sure the dashboard has a login (``collector/fleetlogin.py``: an ``admin`` with a
random password, printed once and again with ``--show-login``) and its agent a device
token for the model store (``collector/fleetdevice.py``), starts ingest (with the
embedded broker unless a broker URL is configured) and the web server in this process,
runs ``edgebench agent run --broker URL`` as a child process (the real agent, publishing
through its outbox), waits until the collector has stored the run's result, prints the
dashboard URL and the stored summary, then serves until Ctrl-C (or exits with ``--once``)
with ``edgebench agent daemon`` as a second child, so campaigns started on the dashboard
have a board to run on.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import click

from edgebench.collector import fleetdevice, fleetlogin
from edgebench.collector.cli import (
    _serve_until_signal,
    dashboard_url,
    make_web_server,
    start_ingest,
)
from edgebench.collector.config import load_for_command
from edgebench.shared.errors import EdgebenchError

RESULT_WAIT_S = 60.0
# How long the agent daemon may take to finish its current job's messages on Ctrl-C.
DAEMON_STOP_S = 20.0


def edgebench_argv() -> list[str]:
    """Return the argv that starts this installation's ``edgebench`` command."""
    exe = Path(sys.executable).parent / "edgebench"
    return [str(exe)] if exe.exists() else [sys.executable, "-c", _MAIN, "edgebench"]


def agent_command(
    model: str | None, broker_url: str, json_path: Path, extra: list[str]
) -> list[str]:
    """Return the argv that runs one benchmark with the real agent CLI."""
    args = ["agent", "run", "--broker", broker_url, "--json", str(json_path), "--quiet"]
    return [*edgebench_argv(), *args, *extra, *([model] if model else [])]


_MAIN = "import sys; from edgebench.shared.cli import main; sys.argv[0] = 'edgebench'; main()"


def wait_for_result(engine: Any, run_id: str, timeout_s: float = RESULT_WAIT_S) -> Any:
    """Poll the database until ``run_id`` has its result; return the row or None."""
    from sqlalchemy.orm import Session

    from edgebench.collector import queries

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with Session(engine) as session:
            run = queries.get_run(session, run_id)
            if run is not None and run.result is not None:
                session.expunge(run)
                return run
        time.sleep(0.2)
    return None


def format_run(run: Any) -> str:
    """Return the stored run's summary as a few aligned lines."""

    def num(value: float | None, fmt: str) -> str:
        return "-" if value is None else format(value, fmt)

    lines = [
        f"run        {run.run_id} on {run.device_id}: {run.status}, {run.verdict}",
        f"model      {run.model_name} ({(run.model_sha256 or '')[:12]})",
        f"backend    {run.backend} {run.backend_version}, {run.threads} threads, "
        f"xnnpack {'on' if run.xnnpack else 'off'}",
        f"latency    p50 {num(run.latency_p50_ms, '.2f')} ms, p90 "
        f"{num(run.latency_p90_ms, '.2f')} ms, p99 {num(run.latency_p99_ms, '.2f')} ms",
        f"throughput {num(run.throughput_ips, '.1f')} inferences/s",
        f"energy     {num(run.mj_per_inference, '.2f')} mJ/inference "
        f"({'measured' if run.energy_measured else 'estimated'})",
        f"thermal    peak {num(run.peak_temp_c, '.1f')} °C, throttled: "
        f"{'unknown' if run.throttled is None else 'yes' if run.throttled else 'no'}",
    ]
    # Why a run is INVALID (e.g. the busy-board guard on a shared machine) belongs beside it.
    verdict = (run.result or {}).get("verdict") or {}
    lines += [f"why        {reason}" for reason in verdict.get("reasons") or []]
    return "\n".join(lines)


@click.command()
@click.argument("model", required=False)
@click.option("--db", help="SQLAlchemy database URL [default: SQLite in the instance folder].")
@click.option("--broker", help="Use this MQTT broker instead of the embedded one.")
@click.option("--port", type=int, help="Dashboard port [default: 8080].")
@click.option("--once", is_flag=True, help="Exit once the result is stored (for scripts).")
@click.option(
    "--show-login", is_flag=True, help="Print the dashboard login the fleet created, and exit."
)
@click.option(
    "--login-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where the fleet keeps its login [default: fleet-login in the instance folder].",
)
@click.option(
    "--agent-arg",
    "agent_args",
    multiple=True,
    help="Extra option for 'agent run' (repeatable), e.g. --agent-arg=--runs=20.",
)
@click.pass_context
def fleet(ctx: click.Context, model: str | None, **opts: Any) -> None:
    """Start a fleet of one: broker, collector and agent; run MODEL once (default workload)."""
    from edgebench.collector.ingest.service import database_url
    from edgebench.collector.webserver import check_first_login

    flags = {"db": opts["db"], "mqtt.url": opts["broker"], "port": opts["port"]}
    config = load_for_command(ctx, flags)
    url = dashboard_url(config)
    login_file = opts["login_file"] or fleetlogin.default_login_file()
    if opts["show_login"]:
        click.echo(fleetlogin.format_login(fleetlogin.read_login(login_file), url))
        return
    created = fleetlogin.ensure_admin(database_url(config), login_file)
    token_file = login_file.with_name(fleetdevice.TOKEN_FILENAME)
    device_id = fleetdevice.agent_device_id(edgebench_argv())
    if fleetdevice.ensure_device_token(database_url(config), token_file, device_id):
        click.echo(f"edgebench fleet: device token for {device_id} kept in {token_file}")
    agent_env = fleetdevice.agent_environment(url, token_file)
    check_first_login(config)  # a host setting beyond loopback with a user: allowed
    # The embedded broker (no broker URL) listens on config.embedded_broker_port.
    service = start_ingest(config)
    try:
        server = make_web_server(config, service)
        web = threading.Thread(target=server.serve_forever, name="edgebench-web", daemon=True)
        web.start()
        click.echo(f"edgebench fleet: dashboard {url}")
        if created is not None:
            click.echo(fleetlogin.format_login(created, url))
            click.echo(
                f"edgebench fleet: password shown once, kept in {login_file};"
                " `edgebench fleet --show-login` prints it again"
            )
        else:
            click.echo(
                "edgebench fleet: log in with your collector user"
                " (`edgebench fleet --show-login` prints the login the fleet created)"
            )
        run = _run_agent(service, model, list(opts["agent_args"]), agent_env)
        click.echo(format_run(run))
        click.echo(f"edgebench fleet: stored in the collector; see {url}runs/{run.run_id}")
        if not opts["once"]:
            daemon = _start_daemon(service.broker_url, agent_env)
            try:
                click.echo(
                    f"edgebench fleet: agent daemon {device_id} takes campaigns"
                    f" ({url}campaigns); serving until Ctrl-C"
                )
                stop = threading.Event()
                _serve_until_signal(stop.wait, stop.set)
            finally:
                _stop_daemon(daemon)
        server.shutdown()
    finally:
        service.stop()


def _start_daemon(broker_url: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start ``edgebench agent daemon``: the board that runs the dashboard's campaigns."""
    argv = [*edgebench_argv(), "agent", "daemon", "--broker", broker_url]
    return subprocess.Popen(argv, env=os.environ | env)


def _stop_daemon(daemon: subprocess.Popen[bytes]) -> None:
    """Stop the daemon as a service manager would: SIGTERM, then SIGKILL after a grace time."""
    if daemon.poll() is None:
        daemon.terminate()  # it publishes "offline" and keeps undelivered results
        try:
            daemon.wait(DAEMON_STOP_S)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()


def _run_agent(service: Any, model: str | None, extra: list[str], env: dict[str, str]) -> Any:
    """Run the agent once as a child process (``env`` added) and return the stored run row."""
    workdir = Path(tempfile.mkdtemp(prefix="edgebench-fleet-"))
    try:
        json_path = workdir / "result.json"
        argv = agent_command(model, service.broker_url, json_path, extra)
        shown = model or "(default workload)"
        click.echo(f"edgebench fleet: agent run {shown} --broker {service.broker_url}")
        done = subprocess.run(argv, check=False, env=os.environ | env)
        if done.returncode != 0 or not json_path.exists():
            raise EdgebenchError(f"the agent run failed (exit status {done.returncode})")
        run_id = json.loads(json_path.read_text())["run_id"]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    run = wait_for_result(service.engine, run_id)
    if run is None:
        raise EdgebenchError(
            f"run {run_id} finished but its result did not reach the collector within "
            f"{RESULT_WAIT_S:.0f}s; check the broker at {service.broker_url}"
        )
    return run
