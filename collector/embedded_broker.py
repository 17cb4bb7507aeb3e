"""An MQTT broker inside the collector process, for a fleet of one with nothing installed.

Used only when no broker URL is configured. It is the pure-Python ``amqtt`` broker on
its own asyncio loop in a daemon thread, listening on localhost, anonymous. It keeps no
state on disk and does not deliver QoS 1 messages queued for an offline subscriber
(see docs/mqtt-contract.md), which is acceptable only because it lives and dies with the
collector that subscribes to it. Deployments use Mosquitto.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from typing import Any

from edgebench.shared.errors import EdgebenchError

log = logging.getLogger(__name__)

START_TIMEOUT_S = 15.0
PORT_OPTION = "embedded_broker_port (EDGEBENCH_EMBEDDED_BROKER_PORT)"


def free_port(host: str) -> int:
    """Return a TCP port on ``host`` that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(host: str, port: int) -> bool:
    """Whether ``host:port`` can be bound right now."""
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


class EmbeddedBroker:
    """Runs an ``amqtt`` broker on ``host:port`` until :meth:`stop` (port 0: any free one)."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        # Chosen now, not at bind time: clients are configured with the URL before start().
        self.port = port or free_port(host)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._broker: Any = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        """The URL clients use to reach this broker."""
        return f"mqtt://{self.host}:{self.port}"

    def start(self) -> None:
        """Start the broker thread and wait until it accepts connections."""
        if not port_is_free(self.host, self.port):
            raise EdgebenchError(
                f"cannot start the embedded MQTT broker: port {self.port} on {self.host} is in "
                f"use; set {PORT_OPTION} to a free port (0 = any), or mqtt.url to use the "
                "broker already running there"
            )
        self._thread = threading.Thread(target=self._run, name="edgebench-broker", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S) or self._error is not None:
            raise EdgebenchError(f"the embedded MQTT broker did not start: {self._error}")
        log.info("embedded MQTT broker listening on %s", self.url)

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(self._start_broker())
        except Exception as exc:  # reported to start() by the ready event
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._broker.shutdown())
        self._loop.close()

    async def _start_broker(self) -> None:
        from amqtt.broker import Broker

        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {}},
        }
        self._broker = Broker(config)
        await self._broker.start()

    def stop(self) -> None:
        """Shut the broker down and wait for its thread."""
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10.0)
