"""The agent daemon loop: presence, facts, outbox flushing and ``run`` commands.

What the deployment runs as a service. It keeps the device's retained status
``online`` (with an ``offline`` last will), republishes device facts on every connect
and every ``status_interval_s``, flushes the outbox continuously (taking the flush lock
from a standalone ``agent run`` as soon as that finishes) and runs benchmarks asked for
on its ``cmd`` topic, one at a time, in the main thread so Ctrl-C/SIGTERM interrupt
them the way they interrupt ``agent run``.

Every command is taken exactly once (``command_log``): recorded before anything is done
with it, so a redelivery (even after a restart) is ignored, and one the daemon was killed
in the middle of is reported ``lost:`` when the daemon comes back.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from edgebench.agent.config import AgentConfig
from edgebench.agent.transport.command_log import CommandLog, finish_statement
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
# A store model's download reports progress at most this often (progress is droppable).
DOWNLOAD_PROGRESS_S = 1.0
PHASE_DOWNLOAD = "download"
LOST_ERROR = (
    "lost: the agent daemon stopped (killed, crashed or the board lost power) while it ran "
    "this command; it did not finish"
)


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
        self.command_log = CommandLog.in_state_dir(config.state_dir)
        self.running_command = False
        self._facts_connects = -1
        self._facts_at = 0.0

    def serve(self) -> None:
        """Run until ``stop`` is set, then shut down cleanly (retained ``offline``)."""
        self.report_lost_commands()
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

    def report_lost_commands(self) -> None:
        """Report every command a previous daemon started but never finished as ``lost:``."""
        for entry in self.command_log.unfinished():
            log.warning(
                "command %s (run %s) was cut short by the last stop; reporting it lost",
                entry.command_id,
                entry.run_id,
            )
            listener = self._listener(entry.command_id)
            # Under the run's own id: the collector closes the run it saw start.
            listener.failed(entry.run_id, LOST_ERROR)
        self.command_log.prune()

    def handle_command(self, cmd: CommandMessage) -> None:
        """Run one benchmark command, reporting refusals and errors as ``run_failed``."""
        # Chosen before anything else, so every event of this command, including a "lost"
        # report after a kill, uses the same run id.
        run_id = uuid.uuid4().hex
        earlier = self.command_log.begin(cmd.message_id, run_id)
        if earlier is not None:
            log.info(
                "ignoring command %s: already taken (%s, run %s); a command runs once",
                cmd.message_id,
                earlier.state,
                earlier.run_id,
            )
            return
        listener = self._listener(cmd.message_id)
        log.info("command %s: run %s %s", cmd.message_id, cmd.model or "(default)", cmd.options)
        self.running_command = True
        try:
            self._run(cmd, listener, run_id)
        except EdgebenchError as exc:
            self._report_failure(cmd, listener, run_id, exc.format_message())
        except KeyboardInterrupt:
            self._report_failure(cmd, listener, run_id, "interrupted: the agent daemon is stopping")
        except Exception as exc:
            log.exception("command %s failed", cmd.message_id)
            self._report_failure(cmd, listener, run_id, f"{type(exc).__name__}: {exc}")
        finally:
            self.running_command = False
            # Normally already marked with the run's last message; this covers a result
            # that could not be encoded at all (logged, never published).
            self.command_log.finish(cmd.message_id)
            listener.close()

    def _listener(self, command_id: str) -> PublishingListener:
        """Return a listener whose last message of the run also marks the command finished."""
        return PublishingListener(
            self.writer,
            self.device_id,
            command_id=command_id,
            end_statement=finish_statement(command_id),
        )

    def _run(self, cmd: CommandMessage, listener: PublishingListener, run_id: str) -> Any:
        from edgebench.agent.engine.runner import run_benchmark
        from edgebench.agent.modeltools.commanded import resolve_commanded_model

        options = run_options_from_command(cmd)
        progress = _download_progress(listener, run_id)
        resolved = resolve_commanded_model(cmd.model, self.config, progress)
        return run_benchmark(resolved, options, self.config, self.facts, listener, run_id=run_id)

    def _report_failure(
        self, cmd: CommandMessage, listener: PublishingListener, run_id: str, error: str
    ) -> None:
        """Publish run_failed unless the engine already did (it reports its own failures)."""
        log.warning("command %s failed: %s", cmd.message_id, error)
        if listener.reported_end:
            return
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
        self.command_log.close()


def _download_progress(listener: PublishingListener, run_id: str) -> Callable[[int, float], None]:
    """Report a store model's download as ``download`` progress (bytes), once a second."""
    last = [float("-inf")]

    def report(done: int, elapsed_s: float) -> None:
        if elapsed_s - last[0] >= DOWNLOAD_PROGRESS_S:
            last[0] = elapsed_s
            listener.progress(run_id, PHASE_DOWNLOAD, done, elapsed_s)

    return report
