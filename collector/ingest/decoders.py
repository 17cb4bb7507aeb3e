"""Decoder processes: validation and row building off the collector's GIL, order kept.

One ingest process is bound by Python's GIL: while the MQTT thread parses and checks
JSON, the writer waits for the interpreter, and the reverse. With ``decoders > 0`` the
MQTT thread only hands each PUBLISH (topic, payload, receipt time) to one of N decoder
processes, round-robin, and a gatherer thread takes the decoded :class:`Received` back
from them **in the order the messages arrived** (message k always comes from decoder
k mod N), attaches the MQTT token and queues it for the one writer. Everything that
makes ingest safe stays in the one process with the one MQTT session: acknowledgement
only after commit, the persistent session the broker resends from, idempotent writes.
(Several collector processes on an MQTT 5 shared subscription were tried and are not
safe: with Mosquitto 2.0.11, messages published after a broker restart but before the
workers had reconnected were lost, where the one persistent session gets them all.)

A decoder that dies loses nothing: the gatherer decodes the messages it held in this
process and starts a new one. Samples come back with their table rows already built
and the message's ``rows``/``raw`` emptied, which halves what crosses the pipe.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import multiprocessing as mp
import pickle
import queue
import threading
from collections.abc import Callable
from typing import Any

from edgebench.collector.batch import Received
from edgebench.shared.topics import TopicLayout

log = logging.getLogger(__name__)

# Messages handed out but not yet gathered; the MQTT thread waits when this many are.
MAX_PENDING = 2048
PUT_SLICE_S = 0.5


def _slim(item: Received) -> Received:
    """Drop a samples message's JSON rows once its table rows are built (less to pickle)."""
    if item.rows is not None and item.message is not None:
        item.message = dataclasses.replace(item.message, rows=[], raw=None)
    return item


def _decoder_main(conn: Any, prefix: str) -> None:
    """Body of a decoder process: decode until the parent closes the pipe."""
    import signal

    from edgebench.collector.ingest.subscriber import receive

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent shuts us down
    layout = TopicLayout(prefix)
    while True:
        try:
            topic, payload, now = pickle.loads(conn.recv_bytes())  # noqa: S301 - our parent
        except (EOFError, OSError):
            return
        conn.send_bytes(pickle.dumps(_slim(receive(topic, payload, layout, now)), protocol=5))


@dataclasses.dataclass
class _Pending:
    decoder: int
    conn: Any  # the pipe it was sent on: a replaced decoder's old pipe only fails
    topic: str
    payload: bytes
    now: float
    token: Any


class Decoders:
    """N decoder processes fed round-robin by the MQTT thread, drained in order."""

    def __init__(
        self, count: int, prefix: str, put: Callable[[Received], None], stopping: threading.Event
    ) -> None:
        """``put`` queues a decoded message for the writer (blocking while it is full)."""
        self.count = count
        self.prefix = prefix
        self.layout = TopicLayout(prefix)
        self._put = put
        self._stopping = stopping
        self._ctx = mp.get_context("spawn")  # never fork a process that has threads
        self._conns: list[Any] = [None] * count
        self._procs: list[Any] = [None] * count
        self._pending: queue.Queue[_Pending | None] = queue.Queue(maxsize=MAX_PENDING)
        self._next = 0
        self._gatherer = threading.Thread(target=self._gather, name="edgebench-gather", daemon=True)

    def start(self) -> None:
        """Start the decoder processes and the gatherer thread."""
        for index in range(self.count):
            self._spawn(index)
        self._gatherer.start()

    def _spawn(self, index: int) -> None:
        parent, child = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(
            target=_decoder_main,
            args=(child, self.prefix),
            name=f"edgebench-decoder-{index}",
            daemon=True,
        )
        proc.start()
        child.close()
        self._conns[index], self._procs[index] = parent, proc

    def submit(self, topic: str, payload: bytes, now: float, token: Any) -> None:
        """Hand one message to the next decoder (called by the MQTT thread only)."""
        index = self._next
        self._next = (index + 1) % self.count
        conn = self._conns[index]
        pending = _Pending(index, conn, topic, payload, now, token)
        while not self._stopping.is_set():
            try:
                self._pending.put(pending, timeout=PUT_SLICE_S)
                break
            except queue.Full:
                log.debug("decoders busy; holding the MQTT loop")
        else:
            return  # shutting down: never acknowledged, so the broker resends it
        # If the decoder is dead, the gatherer finds out and decodes this message itself.
        with contextlib.suppress(OSError, ValueError):
            conn.send_bytes(pickle.dumps((topic, payload, now), protocol=5))

    def _gather(self) -> None:
        """Take decoded messages back in arrival order and queue them for the writer."""
        while (pending := self._pending.get()) is not None:
            item = self._receive(pending)
            item.token = pending.token
            self._put(item)

    def _receive(self, pending: _Pending) -> Received:
        from edgebench.collector.ingest.subscriber import receive

        try:
            item: Received = pickle.loads(pending.conn.recv_bytes())  # noqa: S301 - our child
            return item
        except (EOFError, OSError, pickle.UnpicklingError):
            if self._conns[pending.decoder] is pending.conn and not self._stopping.is_set():
                proc = self._procs[pending.decoder]
                log.error(
                    "ingest decoder %d died (%s); starting a new one", proc.pid, proc.exitcode
                )
                # The old pipe is not closed here (the MQTT thread may be sending on it);
                # messages still pending on it fail the same way and are decoded below.
                self._spawn(pending.decoder)
        return receive(pending.topic, pending.payload, self.layout, pending.now)

    def qsize(self) -> int:
        """Messages handed to decoders and not yet gathered."""
        return self._pending.qsize()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Gather what is pending (the writer must still run), then end the processes."""
        self._pending.put(None)
        self._gatherer.join(timeout_s)
        for conn in self._conns:
            conn.close()
        for proc in self._procs:
            proc.join(2.0)
            if proc.is_alive():
                proc.terminate()
                proc.join(2.0)
