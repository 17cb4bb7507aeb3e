"""Ingest against a real Mosquitto: restarts, offline collector, duplicates, never-lose."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest
import sqlalchemy as sa

from edgebench.collector import db
from tests.collector.conftest import count
from tests.collector.helpers import (
    Publisher,
    WriteLock,
    impatient_engine,
    run_stream,
    wait_until,
)

pytestmark = pytest.mark.both_databases


def stored(engine: sa.Engine, samples: int, runs_with_result: int) -> bool:
    with engine.connect() as conn:
        n = conn.execute(sa.text("SELECT count(*) FROM samples")).scalar_one()
        r = conn.execute(sa.text("SELECT count(*) FROM runs WHERE result IS NOT NULL")).scalar_one()
    return n >= samples and r >= runs_with_result


def assert_exactly(engine: sa.Engine, runs: dict[str, int], rows_per_batch: int = 5) -> None:
    """Every run has its result and each of its sample times exactly once."""
    with engine.connect() as conn:
        for run_id, batches in runs.items():
            times = conn.execute(
                sa.text("SELECT t FROM samples WHERE run_id = :r ORDER BY t"), {"r": run_id}
            ).scalars()
            expected = sorted({1_000.0 + i * 0.1 for i in range(batches * rows_per_batch)})
            expected = sorted({*expected, 1_735_732_801.0})  # the result's own sample
            assert [round(t, 6) for t in times] == [round(t, 6) for t in expected]
            has_result = conn.execute(
                sa.text("SELECT result IS NOT NULL FROM runs WHERE run_id = :r"), {"r": run_id}
            ).scalar_one()
            assert has_result


def test_broker_restart_mid_run_stores_every_message_once(
    mosquitto, engine, make_config, start_ingest
) -> None:
    service = start_ingest(make_config(mosquitto.url), engine=engine)
    pub = Publisher(mosquitto.port, "pi-a")
    msgs = run_stream("pi-a", "run-1", batches=40)
    pub.publish(msgs[:20])
    pub.wait_acked()
    mosquitto.stop()
    pub.publish(msgs[20:30])  # queued by paho while the broker is down
    mosquitto.start()
    pub.publish(msgs[30:])
    pub.wait_acked()
    wait_until(lambda: stored(engine, 201, 1), what="all samples stored")
    wait_until(lambda: service.health()["uncommitted_messages"] == 0)
    assert_exactly(engine, {"run-1": 40})
    assert service.health()["rejected"] == 0
    pub.close()


def test_messages_published_while_the_collector_is_down_arrive(
    mosquitto, engine, make_config, start_ingest
) -> None:
    config = make_config(mosquitto.url)
    first = start_ingest(config, engine=engine)  # creates the persistent session
    first.stop()
    pub = Publisher(mosquitto.port, "pi-b")
    pub.publish(run_stream("pi-b", "run-2", batches=30))
    pub.wait_acked()
    assert count(engine, "samples") == 0
    start_ingest(config, engine=engine)
    wait_until(lambda: stored(engine, 151, 1), what="queued messages delivered")
    assert_exactly(engine, {"run-2": 30})
    pub.close()


def test_the_same_result_delivered_twice_is_one_row(
    mosquitto, engine, make_config, start_ingest
) -> None:
    service = start_ingest(make_config(mosquitto.url), engine=engine)
    pub = Publisher(mosquitto.port, "pi-c")
    result = run_stream("pi-c", "run-3", batches=0)[-1]
    pub.publish([result, result, msgspec.structs.replace(result, message_id="f" * 32)])
    pub.wait_acked()
    wait_until(lambda: service.health()["messages"] >= 3, what="three deliveries")
    assert count(engine, "runs") == 1
    assert service.health()["accepted"] == 3
    pub.close()


def test_a_locked_database_is_waited_out_and_stop_leaves_the_rest_to_the_broker(
    mosquitto, db_url, engine, make_config, start_ingest
) -> None:
    """Writes retry while the database is locked; stopping ends the retries, nothing acked."""
    # The same database with a short lock wait, so each failed attempt fails fast.
    impatient = impatient_engine(db_url)
    config = make_config(mosquitto.url)
    service = start_ingest(config, engine=impatient)
    pub = Publisher(mosquitto.port, "pi-e")
    lock = WriteLock(db_url)
    try:
        lock.acquire()
        pub.publish(run_stream("pi-e", "run-5", batches=10))
        pub.wait_acked()
        wait_until(lambda: service.health()["retries"] >= 2, what="retried writes")
        assert count(engine, "samples") == 0
        lock.release()
        wait_until(lambda: stored(engine, 51, 1), what="stored once the lock is gone")
        assert_exactly(engine, {"run-5": 10})
        # Locked again while stopping: stop() ends the retries instead of waiting forever.
        lock.acquire()
        retries = service.health()["retries"]
        pub.publish(run_stream("pi-e", "run-6", batches=10))
        pub.wait_acked()
        wait_until(lambda: service.health()["retries"] > retries, what="retries after run-6")
        service.stop()
        assert not service.writer.is_alive()
        lock.release()
    finally:
        lock.close()
        impatient.dispose()
    assert count(engine, "samples") == 51
    # Nothing of run-6 was acknowledged: the broker resends all of it to the next collector.
    start_ingest(config, engine=engine)
    wait_until(lambda: stored(engine, 102, 2), what="run-6 redelivered")
    assert_exactly(engine, {"run-5": 10, "run-6": 10})
    pub.close()


@pytest.mark.slow
def test_a_message_is_acknowledged_only_after_it_is_committed(
    mosquitto, db_url, tmp_path: Path
) -> None:
    """Kill -9 the collector while the database is locked; the broker redelivers on restart."""
    env = {**os.environ, "EDGEBENCH_MQTT__URL": mosquitto.url, "EDGEBENCH_DB": db_url}
    cmd = [str(Path(sys.executable).parent / "edgebench"), "collector", "ingest"]
    engine = db.make_engine(db_url)
    db.upgrade(engine)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        pub = Publisher(mosquitto.port, "pi-d")
        warm = run_stream("pi-d", "warm", batches=1)

        def subscribed() -> bool:
            # Until the collector has subscribed, the broker drops what nobody wants.
            pub.publish(warm)
            return stored(engine, 6, 1)

        wait_until(subscribed, what="collector subscribed")
        # Hold the write lock: the collector receives but cannot commit.
        lock = WriteLock(db_url)
        lock.acquire()
        pub.publish(run_stream("pi-d", "run-4", batches=10))
        pub.wait_acked()
        # Kill only once the broker has sent the collector the run's last message.
        sent = "Sending PUBLISH to edgebench-collector (d0, q1, r0, m"

        def delivered() -> bool:
            log = mosquitto.log_path.read_text(errors="replace")
            return any(sent in line and "run-4/result" in line for line in log.splitlines())

        wait_until(delivered, what="delivery to the collector")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        lock.release()
        lock.close()
        assert count(engine, "samples") == 6
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        wait_until(lambda: stored(engine, 6 + 51, 2), what="redelivered after restart")
        assert_exactly(engine, {"run-4": 10})
        pub.close()
    finally:
        proc.terminate()
        proc.wait(10)
        engine.dispose()
