"""The MQTT receiver process: the collector's one MQTT session, decoding off the writer's GIL.

One Python process is bound by its GIL: while an MQTT thread reads packets and parses
JSON, a writer thread cannot bind rows for SQLite, and the reverse: each inserted row
then costs far more CPU than the bare insert does. So
the collector receives in a child process: a :class:`Subscriber` there (paho, persistent
session, manual acks, decoding with the contract's codec and building telemetry's table
rows) hands :class:`Received` items to a :class:`_BatchSender`, which packs them in
batches onto a pipe (``received.pack``: the rows as msgpack, the rest pickled). The
writer, in the parent, reads that pipe through :meth:`ReceiverProcess.receive` and, after
each commit, returns the batch's tokens through :meth:`ReceiverProcess.acknowledge` over a
second pipe; the child acknowledges them on its session. A message is therefore still
acknowledged only once it is stored. The writer's receipts for the agents
(``ingest/receipts.py``) take the same pipe (:meth:`ReceiverProcess.send_receipts`) and
leave on the same session right after the acknowledgements, and so do the campaign
commands (:meth:`ReceiverProcess.send_commands`, ``ingest/dispatch.py``).

A child that dies loses nothing: its messages were not acknowledged, so the broker
resends them to the next child, which resumes the same persistent session. Tokens carry
the child's incarnation number; acknowledgements meant for an earlier child are dropped
(their message ids mean nothing on the new connection). Back-pressure is the pipe: when
the writer falls behind, the child's MQTT thread blocks on the send and the broker
stops sending once its window of unacknowledged messages is used up.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import pickle
import threading
import time
from typing import TYPE_CHECKING, Any

from edgebench.collector.received import Received, pack, unpack

if TYPE_CHECKING:
    from edgebench.shared.mqtt_config import MqttConfig

log = logging.getLogger(__name__)

# Under load the MQTT thread ships every SEND_BATCH messages itself (no hand-off to
# another thread: each costs GIL switches); a partial batch goes FLUSH_S after its first.
SEND_BATCH = 32
FLUSH_S = 0.002
# Linux lets a pipe buffer this much (fs.pipe-max-size is 1 MiB by default): the child
# keeps decoding while the writer commits, instead of waiting on a 64 KiB pipe.
PIPE_BYTES = 1 << 20
F_SETPIPE_SZ = 1031
RESTART_DELAY_S = 1.0


class _BatchSender:
    """Ships decoded items to the parent in order, in batches (in the child process)."""

    def __init__(self, conn: Any, stopping: Any) -> None:
        self._conn = conn
        self._stopping = stopping
        self._pending: list[Received] = []
        # Held while sending: batches leave in the order their messages arrived.
        self._lock = threading.Lock()
        self._has_pending = threading.Event()
        self.broken = threading.Event()

    def add(self, item: Received) -> None:
        """Queue one item (MQTT thread); send the batch when it is full.

        Sending blocks while the pipe is full (the writer is behind): that is the
        back-pressure that makes the broker stop sending.
        """
        if self._stopping.is_set():
            return  # never acknowledged, so the broker resends it later
        with self._lock:
            self._pending.append(item)
            if len(self._pending) >= SEND_BATCH:
                self._send_locked()
            elif len(self._pending) == 1:
                self._has_pending.set()

    def flush_forever(self) -> None:
        """Send partial batches FLUSH_S after their first item (a thread of its own)."""
        while not self.broken.is_set():
            if not self._has_pending.wait(0.5):
                continue
            time.sleep(FLUSH_S)
            with self._lock:
                self._has_pending.clear()
                if self._pending:
                    self._send_locked()

    def _send_locked(self) -> None:
        batch, self._pending = self._pending, []
        try:
            self._conn.send_bytes(pack(batch))
        except (OSError, ValueError):
            self.broken.set()  # the parent is gone; nothing more can be stored


def _widen(conn: Any) -> None:
    """Grow a pipe's buffer where the OS allows it (Linux); elsewhere keep the default."""
    with contextlib.suppress(ImportError, OSError, AttributeError):
        import fcntl

        fcntl.fcntl(conn.fileno(), F_SETPIPE_SZ, PIPE_BYTES)


def _child_main(
    data: Any,
    acks: Any,
    mqtt: MqttConfig,
    session: tuple[str, int, str | None],
    events: tuple[Any, Any],
) -> None:
    """Body of the receiver process: subscribe, decode, ship batches, apply acks."""
    import signal

    from edgebench.collector.ingest.subscriber import Subscriber

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent shuts us down
    client_id, receive_maximum, shared_group = session
    connected, stopping = events
    sender = _BatchSender(data, stopping)
    subscriber = Subscriber(
        mqtt,
        client_id,
        sender.add,
        receive_maximum,
        connected=connected,
        stopping=stopping,
        shared_group=shared_group,
    )
    threading.Thread(target=sender.flush_forever, name="edgebench-flush", daemon=True).start()
    subscriber.start()
    try:
        while not sender.broken.is_set():
            try:
                tokens = pickle.loads(acks.recv_bytes())  # noqa: S301 - our parent
            except (EOFError, OSError):
                break
            if tokens is None:
                break
            if isinstance(tokens, dict):  # receipts: device id -> message ids
                subscriber.publish_receipts(tokens)
            elif isinstance(tokens, tuple):  # campaign commands: (topic, payload) pairs
                subscriber.publish_commands(tokens)
            else:
                subscriber.acknowledge(tokens)
    finally:
        subscriber.stop()


class ReceiverProcess:
    """The parent's side: starts the child, yields its batches, relays acknowledgements."""

    def __init__(
        self,
        mqtt: MqttConfig,
        client_id: str,
        receive_maximum: int,
        shared_group: str | None = None,
    ) -> None:
        """Nothing runs until :meth:`start`; see :class:`Subscriber` for the arguments."""
        self.mqtt = mqtt
        self.client_id = client_id
        self.receive_maximum = receive_maximum
        self.shared_group = shared_group
        self._ctx = mp.get_context("spawn")  # never fork a process that has threads
        self.connected = self._ctx.Event()
        self._stopping = self._ctx.Event()
        self.restarts = 0
        self._incarnation = 0
        self._proc: Any = None
        self._data: Any = None
        self._acks: Any = None
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        """The current child's process id (None before start)."""
        return None if self._proc is None else self._proc.pid

    def start(self) -> None:
        """Start the child process; it connects in the background."""
        self._spawn()

    def _spawn(self) -> None:
        data_parent, data_child = self._ctx.Pipe(duplex=False)
        _widen(data_parent)
        acks_child, acks_parent = self._ctx.Pipe(duplex=False)
        events = (self.connected, self._stopping)
        proc = self._ctx.Process(
            target=_child_main,
            args=(
                data_child,
                acks_child,
                self.mqtt,
                (self.client_id, self.receive_maximum, self.shared_group),
                events,
            ),
            name="edgebench-receiver",
            daemon=True,
        )
        proc.start()
        data_child.close()
        acks_child.close()
        with self._lock:
            self._incarnation += 1
            self._proc, self._data, self._acks = proc, data_parent, acks_parent

    def receive(self, timeout_s: float) -> list[Received]:
        """Return the next batch of decoded messages ([] if none came within the timeout).

        Called by the writer thread only. A child that died is replaced here.
        """
        incarnation, data = self._incarnation, self._data
        try:
            if not data.poll(timeout_s):
                return []
            batch = unpack(data.recv_bytes())
        except (EOFError, OSError):
            self._restart()
            return []
        for item in batch:
            if item.token is not None:
                item.token = (incarnation, item.token)
        return batch

    def _restart(self) -> None:
        proc = self._proc
        proc.join(5.0)
        self.connected.clear()
        if self._stopping.is_set():
            return
        log.error("ingest receiver %s exited (%s); starting a new one", proc.pid, proc.exitcode)
        time.sleep(RESTART_DELAY_S)
        self.restarts += 1
        self._spawn()

    def acknowledge(self, tokens: list[Any]) -> None:
        """Relay the writer's acknowledgements to the child that received those messages."""
        with self._lock:
            current = [t for incarnation, t in tokens if incarnation == self._incarnation]
            if current:
                with contextlib.suppress(OSError, ValueError):
                    self._acks.send_bytes(pickle.dumps(current, protocol=pickle.HIGHEST_PROTOCOL))

    def send_receipts(self, by_device: dict[str, list[str]]) -> None:
        """Have the child publish receipts for committed messages (``ingest/receipts.py``).

        Unlike acknowledgements they go to whichever child is current: the messages are
        stored, whoever received them.
        """
        if not by_device:
            return
        with self._lock, contextlib.suppress(OSError, ValueError):
            self._acks.send_bytes(pickle.dumps(by_device, protocol=pickle.HIGHEST_PROTOCOL))

    def send_commands(self, commands: list[tuple[str, bytes]]) -> None:
        """Have the child publish campaign commands (``ingest/dispatch.py``) at QoS 1.

        A command lost here (the child replaced meanwhile) is found lost by the
        scheduler and sent again with a new id.
        """
        if not commands:
            return
        with self._lock, contextlib.suppress(OSError, ValueError):
            self._acks.send_bytes(pickle.dumps(tuple(commands), protocol=pickle.HIGHEST_PROTOCOL))

    def pause(self) -> None:
        """Stop taking new messages (they stay unacknowledged and are resent later)."""
        self._stopping.set()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Let the child disconnect after the acknowledgements already sent, then end it."""
        self._stopping.set()
        with self._lock, contextlib.suppress(OSError, ValueError):
            self._acks.send_bytes(pickle.dumps(None))
        proc = self._proc
        if proc is not None:
            # Drain the data pipe meanwhile: a child blocked sending could not see the stop.
            deadline = time.monotonic() + timeout_s
            while proc.is_alive() and time.monotonic() < deadline:
                with contextlib.suppress(EOFError, OSError):
                    while self._data.poll(0.05):
                        self._data.recv_bytes()
            if proc.is_alive():
                proc.terminate()
                proc.join(2.0)
        for conn in (self._data, self._acks):
            with contextlib.suppress(OSError):
                conn.close()
        self.connected.clear()
