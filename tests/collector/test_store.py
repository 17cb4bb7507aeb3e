"""Idempotent batch writes on a real SQLite file (no broker: the store alone)."""

from __future__ import annotations

import dataclasses
import json
import threading
import time

import msgspec
import pytest
import sqlalchemy as sa

from edgebench.collector.received import Received, refused
from edgebench.collector.store import Store
from edgebench.shared.codec import decode_message, encode_message, topic_for
from edgebench.shared.messages import FactsMessage, SamplesMessage, StatusMessage
from tests.collector.conftest import count
from tests.collector.helpers import LAYOUT, as_received, run_stream
from tests.shared.samples import device_facts

pytestmark = pytest.mark.both_databases


def scalar(engine: sa.Engine, sql: str) -> object:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar()


def test_same_batch_twice_is_stored_once(engine: sa.Engine) -> None:
    store = Store(engine)
    items = [as_received(m) for m in run_stream("pi-a", "r1", batches=4)]
    first = store.write(items)
    second = Store(engine).write(items)  # a fresh store: no cache, the database decides
    assert first.samples_inserted == 21 and second.samples_inserted == 0
    assert (count(engine, "runs"), count(engine, "samples"), count(engine, "run_events")) == (
        1,
        21,
        1,
    )


def test_republished_result_keeps_one_row_with_the_summary(engine: sa.Engine) -> None:
    store = Store(engine)
    result = run_stream("pi-a", "r1", batches=0)[-1]
    store.write([as_received(result)])
    store.write([as_received(msgspec.structs.replace(result, message_id="b" * 32))])
    assert count(engine, "runs") == 1
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM runs")).mappings().one()
    assert row["status"] == "complete" and row["verdict"] == "VALID"
    assert row["latency_p50_ms"] == 3.5 and row["model_name"] == "mobilenet_v1_0.25_128_quant"
    assert abs(row["mj_per_inference"] - 14.7) < 1e-9
    assert row["peak_temp_c"] == 55.0


def test_events_after_the_result_do_not_overwrite_it(engine: sa.Engine) -> None:
    msgs = run_stream("pi-a", "r1", batches=1)
    store = Store(engine)
    store.write([as_received(msgs[-1])])  # result first
    store.write([as_received(m) for m in msgs[:-1]])  # then run_started and samples
    assert scalar(engine, "SELECT status FROM runs") == "complete"
    assert scalar(engine, "SELECT count(*) FROM samples") == 6


def test_a_device_cannot_write_into_another_devices_run(engine: sa.Engine) -> None:
    store = Store(engine)
    store.write([as_received(m) for m in run_stream("pi-a", "r1", batches=1)])
    intruder = SamplesMessage(device_id="pi-b", run_id="r1", seq=9, columns={"t": [5.0]})
    outcome = store.write([as_received(intruder)])
    assert outcome.rejected == 1
    assert scalar(engine, "SELECT count(*) FROM samples WHERE t = 5.0") == 0
    assert "belongs to another device" in str(
        scalar(engine, "SELECT reason FROM rejected_messages")
    )


def status(state: str, reason: str, ts: float, device: str = "pi-a") -> StatusMessage:
    return StatusMessage(device_id=device, state=state, reason=reason, ts=ts)  # type: ignore[arg-type]


def stored_status(engine: sa.Engine, device: str = "pi-a") -> tuple[object, ...]:
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT status, status_reason, status_ts FROM devices WHERE device_id = :d"),
            {"d": device},
        ).one()
    return tuple(row)


def test_a_stale_online_written_after_a_newer_offline_does_not_replace_it(
    engine: sa.Engine,
) -> None:
    # Two ingest workers: the one holding the retained birth writes it last.
    Store(engine).write([as_received(status("offline", "shutdown", 200.0))])
    Store(engine).write([as_received(status("online", "connected", 100.0))])
    assert stored_status(engine) == ("offline", "shutdown", 200.0)
    # Out of order inside one batch too.
    Store(engine).write([as_received(status("online", "connected", 300.0, "pi-b"))])
    Store(engine).write(
        [
            as_received(status("offline", "shutdown", 400.0, "pi-b")),
            as_received(status("online", "connected", 300.0, "pi-b")),
        ]
    )
    assert stored_status(engine, "pi-b") == ("offline", "shutdown", 400.0)


def test_a_last_will_replaces_its_own_birth_but_not_a_later_one(engine: sa.Engine) -> None:
    # The agent gives a connection's birth and will the same ts; offline wins the tie.
    Store(engine).write([as_received(status("online", "connected", 100.0))])
    Store(engine).write([as_received(status("offline", "lost", 100.0))])
    assert stored_status(engine) == ("offline", "lost", 100.0)
    # The will of connection 1 arriving after connection 2's birth (ts 150) is stale.
    Store(engine).write([as_received(status("online", "connected", 150.0))])
    Store(engine).write([as_received(status("offline", "lost", 100.0))])
    assert stored_status(engine) == ("online", "connected", 150.0)
    # A birth resent with its own ts does not undo its will.
    Store(engine).write([as_received(status("offline", "lost", 150.0))])
    Store(engine).write([as_received(status("online", "connected", 150.0))])
    assert stored_status(engine) == ("offline", "lost", 150.0)


def _write_after(barrier: threading.Barrier, store: Store, items: list[Received]) -> None:
    barrier.wait()
    store.write(items)


def test_workers_racing_on_one_device_keep_the_newest_status(engine: sa.Engine) -> None:
    # Two stores on one database, as two ingest workers are; the newest must survive
    # whichever commits last (the condition is in the UPDATE, not read beforehand).
    Store(engine).write([as_received(status("online", "connected", 1.0))])
    stores = [Store(engine), Store(engine)]
    for i in range(10):
        newer, older = 10.0 + 2 * i + 1, 10.0 + 2 * i
        batches = [
            [as_received(status("offline", "shutdown", newer))],
            [as_received(status("online", "connected", older))],
        ]
        barrier = threading.Barrier(2)
        threads = [
            threading.Thread(target=_write_after, args=(barrier, store, items))
            for store, items in zip(stores, batches, strict=True)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert stored_status(engine) == ("offline", "shutdown", newer)


def test_older_facts_do_not_replace_newer_ones(engine: sa.Engine) -> None:
    facts = device_facts("pi-a")
    new = FactsMessage(
        device_id="pi-a", facts=msgspec.structs.replace(facts, hostname="new"), ts=20.0
    )
    old = FactsMessage(
        device_id="pi-a", facts=msgspec.structs.replace(facts, hostname="old"), ts=10.0
    )
    Store(engine).write([as_received(new)])
    Store(engine).write([as_received(old)])
    assert scalar(engine, "SELECT hostname FROM devices") == "new"


def test_rejections_are_counted_and_the_table_stays_bounded(engine: sa.Engine) -> None:
    store = Store(engine, rejected_max_rows=5)
    now = time.time()
    for i in range(20):
        store.write([refused(f"edgebench/v1/d{i}/status", b"\xffjunk", now + i, "payload: bad")])
    for _ in range(3):
        store.write([refused("edgebench/v1/d19/status", b"\xffjunk", now + 30, "payload: bad")])
    assert count(engine, "rejected_messages") == 5
    assert scalar(engine, "SELECT count FROM rejected_messages WHERE topic LIKE '%d19%'") == 4
    assert scalar(engine, "SELECT min(topic) FROM rejected_messages") == "edgebench/v1/d15/status"


def test_an_unstorable_message_is_rejected_and_the_rest_stored(engine: sa.Engine) -> None:
    good = [as_received(m) for m in run_stream("pi-a", "r1", batches=1)]
    # Valid by the contract (a number) but not a whole number for an integer column.
    bad = SamplesMessage(
        device_id="pi-a", run_id="r1", seq=5, columns={"t": [9.0], "throttled": [0.5]}
    )
    outcome = Store(engine).write([*good, as_received(bad)])
    assert outcome.rejected == 1 and outcome.accepted == len(good)
    assert scalar(engine, "SELECT count(*) FROM samples WHERE t = 9.0") == 0


def test_sample_values_round_trip_whole_numbers_nulls_and_extra(engine: sa.Engine) -> None:
    """Whole numbers in float columns, gaps and extra keys survive (binary COPY too)."""
    Store(engine).write([as_received(m) for m in run_stream("pi-a", "r1", batches=0)])
    columns = {
        "t": [7, 7.5],
        "temp_c": [55, None],
        "power_w": [None, 4.25],
        "throttled": [0, 5],
        "cpu0_util_pct": [1, 2.5],
        "gpu_load": [3, None],
    }
    msg = SamplesMessage(device_id="pi-a", run_id="r1", seq=1, columns=columns)
    assert Store(engine).write([as_received(msg)]).samples_inserted == 2
    with engine.connect() as conn:
        query = "SELECT t, temp_c, power_w, throttled, extra FROM samples WHERE t < 8 ORDER BY t"
        rows = conn.execute(sa.text(query).columns(extra=sa.JSON)).all()
    assert [tuple(r) for r in rows] == [
        (7.0, 55.0, None, 0, {"cpu0_util_pct": 1, "gpu_load": 3}),
        (7.5, None, 4.25, 5, {"cpu0_util_pct": 2.5}),
    ]


def test_telemetry_moves_last_seen_once_a_second_and_anything_else_at_once(
    engine: sa.Engine,
) -> None:
    """One UPDATE per device per second under telemetry; live pages still see new events."""
    store = Store(engine)

    def at(msg: object, when: float) -> Received:
        return dataclasses.replace(as_received(msg), received_at=when)

    def samples(seq: int, when: float) -> Received:
        msg = SamplesMessage(device_id="pi-a", run_id="r1", seq=seq, columns={"t": [float(seq)]})
        return at(msg, when)

    def last_seen() -> object:
        return scalar(engine, "SELECT last_seen FROM devices WHERE device_id = 'pi-a'")

    store.write([samples(0, 100.0)])
    assert last_seen() == 100.0
    store.write([samples(1, 100.5)])
    assert last_seen() == 100.0  # telemetry within the second: not written
    store.write([samples(2, 101.0)])
    assert last_seen() == 101.0
    status = StatusMessage(device_id="pi-a", state="offline", reason="shutdown", ts=1.0)
    store.write([at(status, 101.2)])
    assert last_seen() == 101.2  # not telemetry: always written
    assert count(engine, "samples") == 3


def _result_with(run_id: str, samples: list[dict], summary: dict[str, dict]) -> Received:
    """A result message whose sample rows and summary are replaced in its JSON payload."""
    msg = run_stream("pi-a", run_id, batches=0)[-1]
    topic, doc = topic_for(msg, LAYOUT), json.loads(encode_message(msg))
    doc["result"]["samples"], doc["result"]["samples_summary"] = samples, summary
    payload = json.dumps(doc).encode()
    return Received(topic, time.time(), len(payload), decode_message(topic, payload, LAYOUT))


def _mask_summary(low: int, high: int) -> dict[str, dict]:
    return {
        "throttled": {
            "count": 2,
            "min": low,
            "max": high,
            "mean": (low + high) / 2,
            "last": high,
            "unit": "bitmask",
        }
    }


@pytest.mark.parametrize(
    ("samples", "summary", "stored"),
    [
        # Sticky bit 18 rose between the two readings: throttled, though never seen live.
        ([{"t": 1.0, "throttled": 0}, {"t": 2.0, "throttled": 0x40000}], {}, 1),
        # The agent left the rows out (too large): the summary gives the same answer.
        ([], _mask_summary(0, 0x40000), 1),
        # Under-voltage and throttling from before the run: history, not this run.
        ([], _mask_summary(0x50000, 0x50000), 0),
        # No throttle data at all: nobody can tell.
        ([{"t": 1.0, "temp_c": 50.0}], {}, None),
    ],
)
def test_throttled_column_follows_the_shared_definition(
    engine: sa.Engine, samples: list[dict], summary: dict, stored: int | None
) -> None:
    Store(engine).write([_result_with("r1", samples, summary)])
    assert scalar(engine, "SELECT throttled FROM runs WHERE run_id = 'r1'") == stored
