"""The run listener against a real Mosquitto: streaming, ordering, offline, never lost."""

from __future__ import annotations

from pathlib import Path

import msgspec

from edgebench.agent.transport.outbox import Outbox
from edgebench.agent.transport.session import make_run_listener
from edgebench.shared.messages import ResultMessage, SamplesMessage
from edgebench.shared.mqtt_config import MqttConfig
from edgebench.shared.result import RunResult
from tests.agent.transport.conftest import DEVICE, Subscriber, make_config, wait_until
from tests.brokers import MosquittoBroker
from tests.shared.samples import device_facts, model_info, run_config, run_result

RUN = "run-0001"


def _drive_run(listener, *, rows: int = 120, result: RunResult | None = None) -> RunResult:
    """Call the listener the way run_benchmark does for one run."""
    result = result or run_result(DEVICE, RUN)
    listener.run_started(RUN, model_info(), run_config())
    listener.progress(RUN, "warmup", 5, 0.2)
    for i in range(rows):
        listener.samples(
            RUN, [{"t": 1000.0 + i / 10, "temp_c": 50.0 + i % 3, "cpu_util_pct": None}]
        )
    listener.progress(RUN, "measure", 50, 1.1)
    listener.finished(result)
    listener.close()
    return result


def test_no_broker_means_no_listener(tmp_path: Path) -> None:
    config = msgspec.structs.replace(make_config(tmp_path, ""), mqtt=MqttConfig())
    assert make_run_listener(config, device_facts(DEVICE)) is None
    assert not (tmp_path / "state").exists()


def test_a_run_arrives_complete_in_order_and_the_outbox_empties(
    tmp_path: Path, mosquitto, subscriber: Subscriber
) -> None:
    config = make_config(tmp_path, mosquitto.url)
    listener = make_run_listener(config, device_facts(DEVICE))
    sent = _drive_run(listener)
    assert Outbox.in_state_dir(config.state_dir, 1000).count() == 0
    assert wait_until(lambda: len(subscriber.of_type("result")) == 1)
    msgs = [m for m in subscriber.messages() if getattr(m, "run_id", None) == RUN]
    types = [m.type for m in msgs]
    assert types[0] == "run_started" and types[-2:] == ["run_finished", "result"]
    assert [m.seq for m in msgs] == list(range(len(msgs)))
    samples = [m for m in msgs if isinstance(m, SamplesMessage)]
    assert sum(len(m.rows) for m in samples) == 120
    assert len(samples) >= 3  # batched, not one message per row and not one huge message
    assert all(m.columns["cpu_util_pct"][0] is None for m in samples)
    (result_msg,) = [m for m in msgs if isinstance(m, ResultMessage)]
    assert result_msg.result == sent


def test_nan_in_telemetry_is_sent_as_null(tmp_path: Path, mosquitto, subscriber) -> None:
    listener = make_run_listener(make_config(tmp_path, mosquitto.url), device_facts(DEVICE))
    listener.run_started(RUN, model_info(), run_config())
    listener.samples(RUN, [{"t": 1.0, "temp_c": float("nan"), "power_w": float("inf")}])
    listener.failed(RUN, "x" * 10_000)
    listener.close()
    assert wait_until(lambda: subscriber.of_type("run_failed"))
    (samples,) = subscriber.of_type("samples")
    assert samples.columns == {"t": [1.0], "temp_c": [None], "power_w": [None]}
    assert len(subscriber.of_type("run_failed")[0].error) == 4096


def test_oversized_result_sheds_streamed_series_instead_of_being_lost(
    tmp_path: Path, mosquitto, subscriber
) -> None:
    big = msgspec.structs.replace(
        run_result(DEVICE, RUN),
        samples=[
            {"t": float(i), "temp_c": 50.123456789, "mem_used_mb": 1234.56789}
            for i in range(200_000)
        ],
    )
    listener = make_run_listener(make_config(tmp_path, mosquitto.url), device_facts(DEVICE))
    _drive_run(listener, rows=1, result=big)
    assert wait_until(lambda: subscriber.of_type("result"))
    (msg,) = subscriber.of_type("result")
    assert msg.result.samples == [] and msg.result.latencies_ms == big.latencies_ms
    assert "samples omitted from the MQTT result (too large)" in msg.result.warnings


def test_broker_down_close_returns_and_keeps_everything_then_daemonless_next_run_delivers(
    tmp_path: Path,
) -> None:
    broker = MosquittoBroker(tmp_path / "broker")  # configured but not running yet
    config = make_config(tmp_path, broker.url)
    listener = make_run_listener(config, device_facts(DEVICE))
    sent = _drive_run(listener, rows=30)
    box = Outbox.in_state_dir(config.state_dir, 1000)
    stored = box.count()
    assert stored >= 6  # started, 2 progress, samples, finished, result
    broker.start()
    try:
        sub = Subscriber(broker.port).start()
        # The next run (no daemon) flushes the backlog first, then its own messages.
        second = make_run_listener(config, device_facts(DEVICE))
        second.run_started("run-0002", model_info(), run_config())
        second.failed("run-0002", "model missing")
        second.close()
        assert box.count() == 0
        assert wait_until(lambda: len(sub.of_type("run_failed")) == 1)
        results = sub.of_type("result")
        assert [r.result for r in results] == [sent]
        order = [m.run_id for m in sub.messages() if m.type != "facts"]
        assert sub.of_type("facts"), "each run puts the board's facts on the broker"
        assert order.index("run-0002") > max(i for i, r in enumerate(order) if r == RUN)
        sub.stop()
    finally:
        broker.stop()


def test_agent_run_cli_publishes_the_same_result_it_writes(
    tmp_path: Path, mosquitto, subscriber: Subscriber, models_dir: Path
) -> None:
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("EDGEBENCH_")}
    env |= {"EDGEBENCH_STATE_DIR": str(tmp_path / "state"), "EDGEBENCH_SAMPLE_HZ": "20"}
    env["EDGEBENCH_RECEIPT_TIMEOUT_S"] = "0"  # a bare subscriber sends no receipts
    out = tmp_path / "result.json"
    cmd = [
        str(Path(sys.executable).with_name("edgebench")),
        "agent",
        "run",
        str(models_dir / "mobilenet_v1_0.25_128_quant.tflite"),
        "--runs", "5", "--min-secs", "0.5", "--threads", "1", "-q",
        "--broker", mosquitto.url, "--device-id", DEVICE, "--json", str(out),
    ]  # fmt: skip
    subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=120)
    assert Outbox.in_state_dir(tmp_path / "state", 1000).count() == 0
    assert wait_until(lambda: subscriber.of_type("result"))
    (msg,) = subscriber.of_type("result")
    assert msg.result.to_dict() == json.loads(out.read_text())
    kinds = [m.type for m in subscriber.messages() if getattr(m, "run_id", None) == msg.run_id]
    assert kinds[0] == "run_started" and kinds[-2:] == ["run_finished", "result"]
