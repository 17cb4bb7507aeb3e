"""Commands taken exactly once by a real daemon: restarts, kills, store models.

A real ``edgebench agent daemon`` subprocess, a real Mosquitto, real LiteRT runs, and a
real HTTP server standing in for the collector's model store.
"""

from __future__ import annotations

import signal
from pathlib import Path

from edgebench.shared.messages import Message
from tests.agent.storeserver import StoreServer
from tests.agent.transport.conftest import Subscriber, wait_until
from tests.agent.transport.daemonproc import Daemon, publish_command, send_command

SMALL = "mobilenet_v1_0.25_128_quant.tflite"
OTHER = "mobilenet_v1_0.5_160_quant.tflite"
QUICK = {"runs": 5, "min_secs": 0.2, "warmup_runs": 1, "warmup_secs": 0, "threads": 1}
# Long enough to be killed in the middle; rate-limited so it barely loads the machine.
LONG = {"runs": 10**6, "min_secs": 300, "max_secs": 300, "rate_hz": 10, "threads": 1}


def _of(sub: Subscriber, kind: str, command_id: str) -> list[Message]:
    """Deduplicated messages of one kind for one command."""
    return [
        m
        for m in sub.by_id().values()
        if m.type == kind and getattr(m, "command_id", None) == command_id
    ]


def _measuring(sub: Subscriber, run_id: str) -> bool:
    """Whether a run reported progress in its measured phase."""
    return any(
        m.type == "run_progress" and m.run_id == run_id and m.phase == "measure" and m.done > 0
        for m in sub.messages()
    )


def _ignored(daemon: Daemon, command_id: str) -> int:
    """How often the daemon's log says it ignored this command as already taken."""
    return daemon.log.read_text().count(f"ignoring command {command_id}: already taken")


def _restart(daemon: Daemon, subscriber: Subscriber) -> None:
    """Start the daemon again and wait until it published facts (it is connected)."""
    before = len(subscriber.of_type("facts"))
    daemon.start()
    assert wait_until(lambda: len(subscriber.of_type("facts")) > before, 60)


def test_a_command_redelivered_after_a_restart_is_not_run_twice(
    tmp_path: Path, subscriber: Subscriber, mosquitto, models_dir: Path
) -> None:
    daemon = Daemon(tmp_path, mosquitto.url, EDGEBENCH_MODELS=str(models_dir / SMALL))
    try:
        _restart(daemon, subscriber)
        cmd = send_command(mosquitto.port, model=SMALL, options=QUICK)
        assert wait_until(lambda: subscriber.of_type("result"), 120)
        publish_command(mosquitto.port, cmd)  # redelivered to the same process
        assert wait_until(lambda: _ignored(daemon, cmd.message_id) == 1, 60)
        assert daemon.signal(signal.SIGTERM) == 0
        _restart(daemon, subscriber)
        publish_command(mosquitto.port, cmd)  # and after a restart
        assert wait_until(lambda: _ignored(daemon, cmd.message_id) == 2, 60)
        assert daemon.signal(signal.SIGTERM) == 0
        assert len(_of(subscriber, "run_started", cmd.message_id)) == 1
        assert _of(subscriber, "run_failed", cmd.message_id) == []
        assert len(subscriber.of_type("result")) == 1
        assert "Traceback" not in daemon.log.read_text()
    finally:
        daemon.cleanup()


def test_a_daemon_killed_mid_job_reports_it_lost_when_it_comes_back(
    tmp_path: Path, subscriber: Subscriber, mosquitto, models_dir: Path
) -> None:
    daemon = Daemon(tmp_path, mosquitto.url, EDGEBENCH_MODELS=str(models_dir / SMALL))
    try:
        _restart(daemon, subscriber)
        cmd = send_command(mosquitto.port, model=SMALL, options=LONG)
        assert wait_until(lambda: _of(subscriber, "run_started", cmd.message_id), 120)
        (started,) = _of(subscriber, "run_started", cmd.message_id)
        daemon.signal(signal.SIGKILL)
        _restart(daemon, subscriber)
        assert wait_until(lambda: _of(subscriber, "run_failed", cmd.message_id), 60)
        (failed,) = _of(subscriber, "run_failed", cmd.message_id)
        assert failed.error.startswith("lost: ")
        assert failed.run_id == started.run_id  # the collector closes the run it saw start
        publish_command(mosquitto.port, cmd)  # a redelivery does not start it again
        assert wait_until(lambda: _ignored(daemon, cmd.message_id) >= 1, 60)
        assert daemon.signal(signal.SIGTERM) == 0
        _restart(daemon, subscriber)  # reported once, not on every start
        assert daemon.signal(signal.SIGTERM) == 0
        assert len(_of(subscriber, "run_failed", cmd.message_id)) == 1
        assert len(_of(subscriber, "run_started", cmd.message_id)) == 1
        assert "Traceback" not in daemon.log.read_text()
    finally:
        daemon.cleanup()


def test_store_models_are_fetched_verified_and_run(
    tmp_path: Path,
    subscriber: Subscriber,
    mosquitto,
    store_server: StoreServer,
    token_file: Path,
) -> None:
    good = store_server.names[SMALL]
    corrupted = store_server.names[OTHER]
    store_server.wrong_bytes[corrupted] = store_server.models[good]  # wrong bytes served
    daemon = Daemon(
        tmp_path,
        mosquitto.url,
        EDGEBENCH_COLLECTOR_URL=store_server.url,
        EDGEBENCH_COLLECTOR_TOKEN_FILE=str(token_file),
    )
    try:
        _restart(daemon, subscriber)
        bad = send_command(mosquitto.port, model=f"sha256:{corrupted}", options=QUICK)
        cmd = send_command(mosquitto.port, model=f"sha256:{good}", options=QUICK)
        assert wait_until(lambda: subscriber.of_type("result"), 120)
        assert wait_until(lambda: _of(subscriber, "run_failed", bad.message_id), 60)
        assert daemon.signal(signal.SIGTERM) == 0
    finally:
        daemon.cleanup()
    (failed,) = _of(subscriber, "run_failed", bad.message_id)
    assert failed.error.startswith("sha256 mismatch: ") and corrupted in failed.error
    (started,) = _of(subscriber, "run_started", cmd.message_id)
    (result,) = subscriber.of_type("result")
    assert result.run_id == started.run_id
    assert result.result.model.sha256 == good
    assert result.result.model.name == f"sha256:{good}"
    downloads = [m for m in subscriber.of_type("run_progress") if m.phase == "download"]
    assert downloads and {m.run_id for m in downloads} <= {started.run_id, failed.run_id}
    # Only the verified model is kept; the wrong bytes were deleted.
    assert sorted(p.name for p in (daemon.state_dir / "models").iterdir()) == [f"{good}.tflite"]
    assert "Traceback" not in daemon.log.read_text()


def test_sigterm_mid_job_ends_it_interrupted_and_a_restart_reports_nothing_more(
    tmp_path: Path, subscriber: Subscriber, mosquitto, models_dir: Path
) -> None:
    daemon = Daemon(tmp_path, mosquitto.url, EDGEBENCH_MODELS=str(models_dir / SMALL))
    try:
        _restart(daemon, subscriber)
        cmd = send_command(mosquitto.port, model=SMALL, options=LONG)
        assert wait_until(lambda: _of(subscriber, "run_started", cmd.message_id), 120)
        (started,) = _of(subscriber, "run_started", cmd.message_id)
        # Stopped while measuring. (Stopped before the first timed inference, the run's
        # run_finished carries latency_p50_ms null, which the message schema refuses:
        # a separate, known problem of interrupted runs, not of commands.)
        assert wait_until(lambda: _measuring(subscriber, started.run_id), 120)
        assert daemon.signal(signal.SIGTERM) == 0
        # Lost reports are written before the first facts, and the outbox keeps its order:
        # once the restarted daemon's facts arrive, a "lost:" report would have too.
        _restart(daemon, subscriber)
        assert daemon.signal(signal.SIGTERM) == 0
        failed = _of(subscriber, "run_failed", cmd.message_id)
        ends = [m for m in subscriber.by_id().values() if m.type == "run_finished"]
        ends = [m for m in ends if m.run_id == started.run_id]
        # The engine ends the run with an interrupted result, or the daemon reports it.
        assert [m.status for m in ends] == ["interrupted"] or (
            len(failed) == 1 and failed[0].error.startswith("interrupted: ")
        )
        assert not any(m.error.startswith("lost:") for m in failed)
        assert "Traceback" not in daemon.log.read_text()
    finally:
        daemon.cleanup()
