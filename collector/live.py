"""Live updates for open pages: a change hub polling the database, served as SSE.

Why poll rather than hook the ingest writer: the web side may run in another process
than ingest (``collector ingest`` + a separate web server, several collectors on one
PostgreSQL), and the database is the one thing they share. The poll is cheap: one
indexed range query on ``devices.last_seen`` every ``POLL_INTERVAL_S``. The store moves a
device's ``last_seen`` forward with every message it accepts except telemetry, which
moves it at most once a second per device (``store.LAST_SEEN_RESOLUTION_S``): every
status, facts, run event and result is announced, and a stream of samples shows as the
device's ``last_seen`` advancing about once a second. Devices seen within the last
``WINDOW_S`` are compared with what was last announced, so a batch committed a little
after a newer one (two devices, interleaved commits) is not missed.

One hub (one thread) per app, started by the first subscriber and idle without one.
Each subscriber gets a bounded queue; a subscriber that cannot keep up gets a ``resync``
event (reload what you show) instead of stalling the hub.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from edgebench.collector import listing
from edgebench.collector.models import Device, Run

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

POLL_INTERVAL_S = 0.5
WINDOW_S = 10.0
KEEPALIVE_S = 15.0
STREAM_MAX_S = 300.0
QUEUE_MAX = 100
RUNS_PER_DEVICE = 5
MAX_DEVICES_PER_EVENT = 200


class LiveHub:
    """Detects stored changes and fans them out to subscribers as JSON event strings."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._subscribers: set[queue.Queue[str]] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = threading.Event()
        self._devices: dict[str, tuple[Any, ...]] = {}
        self._runs: dict[str, tuple[Any, ...]] = {}
        self._since: float | None = None

    def subscribe(self) -> queue.Queue[str]:
        """Register a subscriber and make sure the poll thread runs."""
        q: queue.Queue[str] = queue.Queue(QUEUE_MAX)
        with self._lock:
            if self._since is None:
                # Record the state now, before the stream opens: a change stored right
                # after the page loaded is then reported, not taken as the baseline.
                self.poll()
            self._subscribers.add(q)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="edgebench-live")
                self._thread.daemon = True
                self._thread.start()
        return q

    def unsubscribe(self, q: queue.Queue[str]) -> None:
        """Forget a subscriber (the poll thread ends when none is left)."""
        with self._lock:
            self._subscribers.discard(q)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed.is_set()

    def close(self) -> None:
        """Stop the poll thread and end every open stream."""
        self._closed.set()
        # Wake each stream from its keepalive wait so it sees `closed` now (the server's
        # shutdown waits for request threads), not up to KEEPALIVE_S later.
        with self._lock:
            for q in self._subscribers:
                with contextlib.suppress(queue.Full):
                    q.put_nowait("")
        if self._thread is not None:
            self._thread.join(5)

    def _loop(self) -> None:
        """Poll until closed or unsubscribed by everyone."""
        while not self._closed.is_set():
            with self._lock:
                if not self._subscribers:
                    self._thread = None
                    return
            try:
                event = self.poll()
            except sa.exc.SQLAlchemyError as exc:
                log.warning("live updates: database poll failed: %s", exc)
                event = None
            if event is not None:
                self._publish(json.dumps(event, separators=(",", ":"), default=str))
            self._closed.wait(POLL_INTERVAL_S)

    def _publish(self, data: str) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for q in subscribers:
            try:
                q.put_nowait(data)
            except queue.Full:
                # A stalled client: drop its backlog and tell it to reload instead.
                with q.mutex:
                    q.queue.clear()
                q.put_nowait('{"resync":true}')

    def poll(self) -> dict[str, Any] | None:
        """Return the changes since the last poll (devices and their runs), or None.

        The first poll only records the current state: pages are rendered with it.
        """
        with Session(self.engine) as session:
            first = self._since is None
            since = self._since
            if since is None:
                since = session.scalar(sa.select(sa.func.max(Device.last_seen))) or time.time()
            window = sa.select(Device.device_id, Device.last_seen, Device.status, Device.facts_ts)
            rows = session.execute(window.where(Device.last_seen > since - WINDOW_S)).all()
            changed = [r.device_id for r in rows if self._devices.get(r.device_id) != tuple(r)]
            self._devices = {r.device_id: tuple(r) for r in rows}
            self._since = max([since, *(r.last_seen for r in rows)])
            if first or not changed:
                return None
            changed = changed[:MAX_DEVICES_PER_EVENT]
            devices = listing.fleet(session, device_ids=changed)
            runs = self._changed_runs(session, changed)
        return {"token": self._since, "devices": devices, "runs": runs}

    def _changed_runs(self, session: Session, device_ids: list[str]) -> list[dict[str, Any]]:
        """Return the recent runs of ``device_ids`` that changed since last announced."""
        out = []
        for device_id in device_ids:
            stmt = (
                sa.select(*listing.run_columns())
                .where(Run.device_id == device_id)
                .order_by(Run.started_at.desc())
                .limit(RUNS_PER_DEVICE)
            )
            for row in session.execute(stmt):
                run = listing.run_summary(row)
                mark = (run["updated_at"], run["status"], run["has_result"])
                if self._runs.get(run["run_id"]) != mark:
                    self._runs[run["run_id"]] = mark
                    out.append(run)
        if len(self._runs) > 50_000:
            self._runs.clear()
        return out


def sse_stream(hub: LiveHub, max_s: float = STREAM_MAX_S) -> Iterator[str]:
    """Yield a Server-Sent Events stream of the hub's events until ``max_s`` passes.

    The stream ends after ``max_s`` so no request thread is held forever; EventSource
    reconnects by itself after the ``retry`` delay.
    """
    q = hub.subscribe()
    deadline = time.monotonic() + max_s
    try:
        yield "retry: 1000\n: edgebench live updates\n\n"
        while not hub.closed and time.monotonic() < deadline:
            try:
                data = q.get(timeout=min(KEEPALIVE_S, max(0.1, deadline - time.monotonic())))
            except queue.Empty:
                yield ": keepalive\n\n"
                continue
            if hub.closed:
                break
            yield f"event: change\ndata: {data}\n\n"
    finally:
        hub.unsubscribe(q)
