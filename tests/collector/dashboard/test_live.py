"""Live updates over real HTTP: a result published over MQTT reaches an open SSE stream."""

from __future__ import annotations

import json
import threading
import time
import urllib.request

from tests.collector.dashboard.conftest import Fleet, Server
from tests.collector.dashboard.dashdata import BOARDS, run_messages


def test_published_result_is_announced_on_the_event_stream(server: Server, fleet: Fleet) -> None:
    events: list[dict] = []
    opened = threading.Event()

    def listen() -> None:
        url = server.url + "/api/events?max_s=20"
        request = urllib.request.Request(url, headers=server.headers)
        with urllib.request.urlopen(request, timeout=30) as stream:
            assert stream.headers.get_content_type() == "text/event-stream"
            opened.set()
            for raw in stream:
                line = raw.decode().rstrip("\n")
                if line.startswith("data: "):
                    events.append(json.loads(line[6:]))
                    if any(r["has_result"] for e in events for r in e["runs"]):
                        return

    reader = threading.Thread(target=listen, daemon=True)
    reader.start()
    assert opened.wait(10)
    msgs = run_messages(BOARDS[3], ("mobilenet_v1_0.25_128_quant", 14_000_000), 1, 9, seed=7)
    fleet.publish(BOARDS[3][0], msgs)
    reader.join(20)
    run_id = msgs[0].run_id
    announced = [r for e in events for r in e["runs"] if r["run_id"] == run_id]
    assert announced and announced[-1]["has_result"] and announced[-1]["verdict"] == "VALID"
    devices = [d for e in events for d in e["devices"]]
    assert devices and devices[-1]["device_id"] == BOARDS[3][0]
    assert devices[-1]["last_result"] is not None
    # Nothing changes afterwards: a quiet database produces no events.
    hub = server.app.extensions["edgebench_live"]
    time.sleep(0.6)
    assert hub.poll() is None
