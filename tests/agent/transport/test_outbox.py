"""The SQLite outbox on its own: persistence, order, acknowledgement, bound and drops."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from edgebench.agent.transport.flusher import FlushLock
from edgebench.agent.transport.outbox import Outbox


def _fill(box: Outbox, kinds: list[str]) -> list[int | None]:
    return [
        box.put(f"m{i:04d}-{kind}", kind, f"t/{kind}", f"payload {i}".encode())
        for i, kind in enumerate(kinds)
    ]


def test_messages_survive_reopening_in_order(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3", 100)
    _fill(box, ["event", "samples", "result", "samples"])
    box.close()
    box = Outbox(tmp_path / "o.sqlite3", 100)
    items = box.pending()
    assert [i.message_id for i in items] == [
        "m0000-event",
        "m0001-samples",
        "m0002-result",
        "m0003-samples",
    ]
    assert items[2].payload == b"payload 2" and items[2].topic == "t/result"
    assert items[0].qos == 1 and items[0].retain is False


def test_pending_pages_after_an_id(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3", 100)
    ids = _fill(box, ["event"] * 5)
    page = box.pending(after_id=ids[1], limit=2)
    assert [i.id for i in page] == ids[2:4]


def test_ack_deletes_only_the_acknowledged_rows(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3", 100)
    ids = _fill(box, ["event", "result", "samples"])
    box.ack([ids[0], ids[2]])
    assert [i.message_id for i in box.pending()] == ["m0001-result"]
    assert box.count() == 1
    assert box.contains_any(["m0001-result", "zzz"]) and not box.contains_any(["m0000-event"])


def test_duplicate_message_id_is_stored_once(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3", 100)
    assert box.put("same-id-1", "event", "t", b"a") is not None
    assert box.put("same-id-1", "event", "t", b"a") is None
    assert box.count() == 1


def test_full_outbox_drops_oldest_telemetry_first_and_counts(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3", 100)
    kinds = ["samples", "event", "progress", "result"] * 25  # exactly full
    _fill(box, kinds)
    assert box.count() == 100 and box.dropped_samples() == 0
    box.put("new-result-1", "result", "t/result", b"r")
    box.put("new-samples-1", "samples", "t/samples", b"s")
    assert box.count() == 100
    assert box.dropped_samples() == 2
    remaining = [i.message_id for i in box.pending(limit=1000)]
    # The two oldest droppable rows went: the first samples and the first progress.
    assert "m0000-samples" not in remaining and "m0002-progress" not in remaining
    assert "m0004-samples" in remaining
    assert remaining[-2:] == ["new-result-1", "new-samples-1"]
    assert all(f"m{i:04d}-result" in remaining for i in range(3, 100, 4))


def test_results_and_events_are_never_dropped_the_outbox_grows(tmp_path: Path, caplog) -> None:
    box = Outbox(tmp_path / "o.sqlite3", 100)
    _fill(box, ["result", "event"] * 50)
    assert box.put("one-more-result", "result", "t", b"r") is not None
    assert box.count() == 101
    assert "over its bound" in caplog.text
    # Telemetry that does not fit is dropped itself (and counted), not stored.
    assert box.put("late-samples-1", "samples", "t", b"s") is None
    assert box.count() == 101 and box.dropped_samples() == 1


def test_drop_counter_persists(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3", 100)
    _fill(box, ["samples"] * 103)
    assert box.dropped_samples() == 3
    box.close()
    assert Outbox(tmp_path / "o.sqlite3", 100).dropped_samples() == 3


def test_facts_are_coalesced(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3", 100)
    box.put("facts-0001", "facts", "t/facts", b"old", retain=True)
    box.put("event-0001", "event", "t/e", b"e")
    box.put("facts-0002", "facts", "t/facts", b"new", retain=True)
    items = box.pending()
    assert [i.message_id for i in items] == ["event-0001", "facts-0002"]
    assert items[1].retain is True


def test_committed_rows_survive_a_killed_writer(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite3"
    code = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from edgebench.agent.transport.outbox import Outbox\n"
        f"box = Outbox(Path({str(path)!r}), 1000)\n"
        "for i in range(50):\n"
        "    box.put(f'kill-{i:03d}', 'result' if i % 2 else 'samples', 't', b'x')\n"
        "os.kill(os.getpid(), 9)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], check=False)
    assert proc.returncode == -9
    box = Outbox(path, 1000)
    assert [i.message_id for i in box.pending(limit=100)] == [f"kill-{i:03d}" for i in range(50)]
    # The file is a plain, consistent SQLite database.
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_flush_lock_is_exclusive_between_processes(tmp_path: Path) -> None:
    lock = FlushLock(tmp_path)
    assert lock.acquire()
    code = (
        "from pathlib import Path\n"
        "from edgebench.agent.transport.flusher import FlushLock\n"
        f"print(FlushLock(Path({str(tmp_path)!r})).acquire())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    lock.release()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
