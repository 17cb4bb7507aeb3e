"""The agent daemon loop: presence, facts, outbox flushing and ``run`` commands.

What the deployment runs as a service. It keeps the device's retained status
``online`` (with an ``offline`` last will), republishes device facts on every connect
and every ``status_interval_s``, flushes the outbox continuously (taking the flush lock
from a standalone ``agent run`` as soon as that finishes) and runs benchmarks asked for
on its ``cmd`` topic, one at a time, in the main thread so Ctrl-C/SIGTERM interrupt
them the way they interrupt ``agent run``.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any

from edgebench.agent.config import AgentConfig
from edgebench.agent.transport.commands import run_options_from_command
from edgebench.agent.transport.flusher import Flusher, FlushLock
from edgebench.agent.transport.link import MqttLink
from edgebench.agent.transport.listener import OutboxWriter, PublishingListener
from edgebench.agent.transport.outbox import Outbox
from edgebench.shared.errors import EdgebenchError
from edgebench.shared.messages import CommandMessage, FactsMessage
from edgebench.shared.result import DeviceFacts
from edgebench.shared.topics import TopicLayout, validate_device_id

log = logging.getLogger(__name__)

TICK_S = 0.5
SHUTDOWN_FLUSH_S = 5.0


class AgentDaemon:
    """One device's long-running connection to the fleet."""

    def __init__(
        self,
        config: AgentConfig,
        collect_facts: Callable[[AgentConfig], DeviceFacts],
        stop: threading.Event,
    ) -> None:
        self.config = config
        self.collect_facts = collect_facts
        self.stop = stop
        self.facts = collect_facts(config)
        self.device_id = validate_device_id(self.facts.device_id)
        self.layout = TopicLayout(config.mqtt.topic_prefix)
        self.outbox = Outbox.in_state_dir(config.state_dir, config.outbox_max_messages)
        self.lock = FlushLock(config.state_dir)
        self.commands: queue.Queue[CommandMessage] = queue.Queue()
        self.link = MqttLink(
            config.mqtt, self.device_id, self.layout, presence=True, on_command=self.commands.put
        )
        self.flusher = Flusher(self.outbox, self.link, config.receipt_timeout)
        self.writer = OutboxWriter(self.outbox, self.layout, self.flusher.notify)
        self.running_command = False
        self._seen_commands: deque[str] = deque(maxlen=256)
        self._facts_connects = -1
        self._facts_at = 0.0

    def serve(self) -> None:
        """Run until ``stop`` is set, then shut down cleanly (retained ``offline``)."""
        self.link.start()
        try:
            while not self.stop.is_set():
                self._tick()
                self.stop.wait(TICK_S)
        finally:
            self._shutdown()

    def _tick(self) -> None:
        if not self.lock.held and self.lock.acquire():
            log.info("flushing the outbox (%d waiting)", self.outbox.count())
            self.flusher.start()
        self._maybe_publish_facts()
        try:
            cmd = self.commands.get_nowait()
        except queue.Empty:
            return
        self.handle_command(cmd)

    def _maybe_publish_facts(self) -> None:
        """Facts on every (re)connect and every status interval, coalesced in the outbox."""
        now = time.monotonic()
        reconnected = self.link.connects != self._facts_connects and self.link.connected.is_set()
        if not reconnected and now - self._facts_at < self.config.status_interval_s:
            return
        self._facts_connects = self.link.connects
        self._facts_at = now
        try:
            self.facts = self.collect_facts(self.config)
        except Exception:
            log.warning("collecting device facts failed; republishing the last ones", exc_info=True)
        pending = self.outbox.count()
        if pending:
            # The daemon's log says what is not yet safe (also `edgebench agent status`).
            log.info(
                "outbox: %d messages waiting, %d sent and awaiting the collector's receipt, "
                "%d resent, %d telemetry dropped",
                pending,
                self.flusher.awaiting_receipt,
                self.flusher.resent,
                self.outbox.dropped_samples(),
            )
        self.writer.write(
            FactsMessage(
                device_id=self.device_id,
                facts=self.facts,
                outbox_pending=pending,
                outbox_dropped_samples=self.outbox.dropped_samples(),
            )
        )

    def handle_command(self, cmd: CommandMessage) -> None:
        """Run one benchmark command, reporting refusals and errors as ``run_failed``."""
        if cmd.message_id in self._seen_commands:
            log.info("ignoring redelivered command %s", cmd.message_id)
            return
        self._seen_commands.append(cmd.message_id)
        listener = PublishingListener(self.writer, self.device_id, command_id=cmd.message_id)
        log.info("command %s: run %s %s", cmd.message_id, cmd.model or "(default)", cmd.options)
        self.running_command = True
        try:
            self._run(cmd, listener)
        except EdgebenchError as exc:
            self._report_failure(cmd, listener, exc.format_message())
        except KeyboardInterrupt:
            self._report_failure(cmd, listener, "interrupted: the agent daemon is stopping")
        except Exception as exc:
            log.exception("command %s failed", cmd.message_id)
            self._report_failure(cmd, listener, f"{type(exc).__name__}: {exc}")
        finally:
            self.running_command = False
            listener.close()

    def _run(self, cmd: CommandMessage, listener: PublishingListener) -> Any:
        from edgebench.agent.engine.runner import run_benchmark
        from edgebench.agent.modeltools.commanded import resolve_commanded_model

        options = run_options_from_command(cmd)
        resolved = resolve_commanded_model(cmd.model, self.config)
        return run_benchmark(resolved, options, self.config, self.facts, listener)

    def _report_failure(
        self, cmd: CommandMessage, listener: PublishingListener, error: str
    ) -> None:
        """Publish run_failed unless the engine already did (it reports its own failures)."""
        log.warning("command %s failed: %s", cmd.message_id, error)
        if listener.reported_end:
            return
        run_id = listener.current_run or uuid.uuid4().hex
        listener.failed(run_id, error)

    def _shutdown(self) -> None:
        """Flush for a bounded time, publish retained offline, disconnect."""
        deadline = time.monotonic() + SHUTDOWN_FLUSH_S
        if self.lock.held and self.link.connected.is_set():
            while (self.flusher.inflight or self.outbox.pending(0, 1)) and (
                time.monotonic() < deadline and self.link.connected.is_set()
            ):
                time.sleep(0.05)
        if self.lock.held:
            self.flusher.stop()
        self.link.stop(clean=True)
        self.lock.release()
        log.info("stopped; %d messages wait in the outbox", self.outbox.count())
        self.outbox.close()
