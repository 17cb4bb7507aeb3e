"""Wiring for one process's MQTT publishing: outbox, optional link + flusher, listener.

``make_run_listener(config, facts)`` is what ``agent run`` and ``agent sweep`` call: it
returns None without a broker URL, otherwise the listener of a ``StandaloneSession``.
``StandaloneSession`` serves ``agent run``: it writes to the shared outbox and, when no
daemon holds the flush lock, connects with its own client id (``<id>-run``, so it never
takes over the daemon's session) and flushes; otherwise the daemon delivers its rows.
"""

from __future__ import annotations

import logging
import time

from edgebench.agent.config import AgentConfig
from edgebench.agent.transport.flusher import Flusher, FlushLock
from edgebench.agent.transport.link import MqttLink
from edgebench.agent.transport.listener import (
    CLOSE_TIMEOUT_S,
    OutboxWriter,
    PublishingListener,
    wait_delivered,
)
from edgebench.agent.transport.outbox import Outbox
from edgebench.shared.messages import FactsMessage
from edgebench.shared.result import DeviceFacts
from edgebench.shared.topics import TopicLayout, validate_device_id

log = logging.getLogger(__name__)

# Without a connection by close time, wait this long for one before leaving the rest
# in the outbox (the broker is probably down; do not hold the user's terminal).
CONNECT_GRACE_S = 2.0


class StandaloneSession:
    """The publishing side of one ``agent run`` process."""

    def __init__(
        self,
        config: AgentConfig,
        device_id: str,
        outbox: Outbox,
        lock: FlushLock,
        flusher: Flusher | None,
    ) -> None:
        self.config = config
        self.device_id = device_id
        self.outbox = outbox
        self.lock = lock
        self.flusher = flusher
        self.layout = TopicLayout(config.mqtt.topic_prefix)

    @classmethod
    def open(cls, config: AgentConfig, device_id: str) -> StandaloneSession:
        """Open the outbox and, unless a daemon is flushing it, connect and flush."""
        validate_device_id(device_id)
        layout = TopicLayout(config.mqtt.topic_prefix)
        outbox = Outbox.in_state_dir(config.state_dir, config.outbox_max_messages)
        lock = FlushLock(config.state_dir)
        flusher = None
        if lock.acquire():
            link = MqttLink(config.mqtt, device_id, layout, role="run")
            flusher = Flusher(outbox, link, config.receipt_timeout)
            link.start()
            flusher.start()
        else:
            log.info("agent daemon is flushing the outbox; the run only writes to it")
        return cls(config, device_id, outbox, lock, flusher)

    def listener(self) -> PublishingListener:
        """Return the run listener writing into this session's outbox."""
        notify = self.flusher.notify if self.flusher else (lambda: None)
        writer = OutboxWriter(self.outbox, self.layout, notify)
        return PublishingListener(writer, self.device_id, on_close=self.close)

    def close(self, message_ids: list[str]) -> None:
        """Wait (bounded) for these messages to be delivered, then release everything."""
        started = time.monotonic()
        timeout = CLOSE_TIMEOUT_S
        if self.flusher is not None and not self.flusher.link.wait_connected(CONNECT_GRACE_S):
            timeout = 0.0
        delivered = wait_delivered(
            self.outbox, message_ids, max(0.0, timeout - (time.monotonic() - started))
        )
        if self.flusher is not None:
            self.flusher.stop()
            self.flusher.link.stop()
        self.lock.release()
        left = self.outbox.count()
        self.outbox.close()
        if not delivered:
            log.warning(
                "the collector (via %s) has not confirmed everything; %d messages wait in "
                "the outbox for `edgebench agent daemon` or the next run (`edgebench agent "
                "status` lists them)",
                self.config.mqtt.url,
                left,
            )


def make_run_listener(config: AgentConfig, facts: DeviceFacts) -> PublishingListener | None:
    """Return a listener publishing runs to the configured broker, or None without one."""
    if not config.mqtt.url:
        return None
    listener = StandaloneSession.open(config, facts.device_id).listener()
    # A board that only ever runs `agent run` (no daemon, as in a fleet of one) still puts
    # its facts on the broker, retained, so the collector knows what the board is. Status
    # stays the daemon's: a run's exit must not mark a board with a live daemon offline.
    outbox = listener.writer.outbox
    listener.writer.write(
        FactsMessage(
            device_id=facts.device_id,
            facts=facts,
            outbox_pending=outbox.count(),
            outbox_dropped_samples=outbox.dropped_samples(),
        )
    )
    return listener
