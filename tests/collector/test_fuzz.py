"""Hostile input: property-based on the receive→store path, fuzz through a real broker."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edgebench.collector import db
from edgebench.collector.ingest.subscriber import receive
from edgebench.collector.store import Store
from edgebench.shared.codec import encode_message, topic_for
from tests.collector.conftest import count
from tests.collector.helpers import LAYOUT, Publisher, run_stream, wait_until
from tests.shared.samples import one_of_each

# What devices publish (the collector subscribes to nothing else: not cmd, not receipts).
VALID = [m for m in one_of_each("pi-f", "run-f") if m.type not in ("command", "receipt")]
TOPICS = [topic_for(m, LAYOUT) for m in VALID]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


@st.composite
def mutated_message(draw: st.DrawFn) -> bytes:
    """A valid payload with one field replaced by an arbitrary JSON value."""
    msg = draw(st.sampled_from(VALID))
    data = json.loads(encode_message(msg))
    key = draw(st.sampled_from(sorted(data)))
    data[key] = draw(json_values)
    return json.dumps(data).encode()


payloads = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    mutated_message(),
)
topics = st.one_of(
    st.sampled_from(TOPICS),
    st.builds(lambda d, k: f"edgebench/v1/{d}/{k}", st.text(max_size=80), st.text(max_size=10)),
)


@pytest.fixture(scope="module")
def fuzz_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    path: Path = tmp_path_factory.mktemp("fuzz") / "collector.sqlite"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    yield engine
    engine.dispose()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(topics, payloads), min_size=1, max_size=10))
def test_any_payload_is_stored_or_rejected_and_counted(fuzz_engine, batch) -> None:
    store = Store(fuzz_engine, rejected_max_rows=50)
    items = [receive(topic, payload, LAYOUT, time.time()) for topic, payload in batch]
    outcome = store.write(items)
    assert outcome.messages == len(items)
    assert outcome.accepted + outcome.rejected == len(items)
    assert count(fuzz_engine, "rejected_messages") <= 50


def malformed(rng: random.Random, i: int) -> tuple[str, bytes]:
    """One payload that must be rejected, of a kind chosen by ``i``."""
    msg = rng.choice(VALID)
    topic = topic_for(msg, LAYOUT)
    good = json.loads(encode_message(msg))
    kind = i % 12
    if kind == 0:
        return topic, b"\xff" + rng.randbytes(rng.randint(0, 300))
    if kind == 1:
        return topic, rng.choice([b"[1,2]", b"42", b'"x"', b"null", b""])
    if kind == 2:
        return topic, json.dumps(good | {"ts": "soon"}).encode()
    if kind == 3:
        return topic, json.dumps(good).replace(f'"ts": {good["ts"]}', '"ts": NaN').encode()
    if kind == 4:
        return topic, json.dumps(good | {"message_id": "a" * 100_000}).encode()
    if kind == 5:
        return topic, b'{"a":' * 5_000 + b"1" + b"}" * 5_000
    if kind == 6:
        other = topic.replace("/pi-f/", "/pi-g/")
        return other, encode_message(msg)
    if kind == 7:
        return topic, json.dumps(good | {"type": "reboot"}).encode()
    if kind == 8:
        return topic, json.dumps(good | {"schema_version": 2}).encode()
    if kind == 9:
        text = encode_message(msg)
        return topic, text[: rng.randint(1, len(text) - 1)]
    if kind == 10:
        return topic, json.dumps(good | {"ts": 10**30, "device_id": 7}).encode()
    return f"edgebench/v1/pi-f/runs/{'r' * 200}/samples", encode_message(VALID[4])


def test_thousands_of_malformed_messages_are_rejected_and_ingest_goes_on(
    mosquitto, engine, make_config, start_ingest
) -> None:
    service = start_ingest(make_config(mosquitto.url, rejected_max_rows=100_000), engine=engine)
    rng = random.Random(1234)
    bad = [malformed(rng, i) for i in range(2_400)]
    bad.append((TOPICS[0], b"x" * (9 * 1024 * 1024)))  # over the 8 MiB payload limit
    good = run_stream("pi-ok", "run-ok", batches=20)
    hostile = Publisher(mosquitto.port, "pi-f")
    honest = Publisher(mosquitto.port, "pi-ok")
    for i, (topic, payload) in enumerate(bad):
        hostile.publish_raw(topic, payload)
        if i % 100 == 0 and good:
            honest.publish([good.pop(0)])
    honest.publish(good)
    hostile.wait_acked(60)
    honest.wait_acked(60)
    total = len(bad) + 22
    wait_until(lambda: service.health()["messages"] >= total, 60, "every message processed")
    health = service.health()
    assert health["rejected"] == len(bad)
    assert health["accepted"] == 22
    assert health["writer_alive"] and health["connected"]
    with engine.connect() as conn:
        counted = conn.execute(sa.text("SELECT sum(count) FROM rejected_messages")).scalar_one()
        samples = conn.execute(sa.text("SELECT count(*) FROM samples WHERE run_id = 'run-ok'"))
        assert samples.scalar_one() == 20 * 5 + 1
    assert counted == len(bad)
    hostile.close()
    honest.close()
