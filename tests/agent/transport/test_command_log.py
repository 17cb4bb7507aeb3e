"""The durable command log on a real SQLite file: once, across reopenings, pruned by age."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from edgebench.agent.transport.command_log import COMMAND_LOG_FILE, CommandLog, finish_statement
from edgebench.agent.transport.listener import OutboxWriter, PublishingListener
from edgebench.agent.transport.outbox import Outbox
from edgebench.shared.topics import TopicLayout


def test_a_command_is_taken_once_even_after_reopening(tmp_path: Path) -> None:
    log = CommandLog.in_state_dir(tmp_path)
    assert log.begin("c1", "r1") is None
    earlier = log.begin("c1", "r2")
    assert earlier is not None and (earlier.state, earlier.run_id) == ("started", "r1")
    log.close()
    log = CommandLog.in_state_dir(tmp_path)  # a restarted daemon
    assert [e.command_id for e in log.unfinished()] == ["c1"]
    log.finish("c1")
    log.finish("c1")  # idempotent
    assert log.unfinished() == []
    entry = log.begin("c1", "r3")
    assert entry is not None and (entry.state, entry.run_id) == ("finished", "r1")
    log.close()


def test_prune_keeps_started_and_recent_commands(tmp_path: Path) -> None:
    log = CommandLog.in_state_dir(tmp_path)
    for i in range(6):
        log.begin(f"c{i}", f"r{i}")
    for i in range(5):
        log.finish(f"c{i}")
    # c0 and c5 were taken 40 days ago, the others i minutes ago; c5 never finished.
    now = time.time()
    with sqlite3.connect(tmp_path / COMMAND_LOG_FILE) as db:
        for i in range(6):
            age = 40 * 86400 if i in (0, 5) else (10 - i) * 60
            sql = "UPDATE commands SET received = ? WHERE command_id = ?"
            db.execute(sql, (now - age, f"c{i}"))
    # c0 goes by age; of c1..c4, the two newest stay (keep_rows); c5 is still started.
    assert log.prune(keep_days=30, keep_rows=2) == 3
    assert [c for c in ("c0", "c1", "c2", "c3", "c4", "c5") if log.get(c)] == ["c3", "c4", "c5"]
    assert log.count() == 3
    log.close()


def test_the_last_message_and_the_finished_mark_commit_together(tmp_path: Path) -> None:
    outbox = Outbox.in_state_dir(tmp_path, 1000)
    log = CommandLog.in_state_dir(tmp_path)
    writer = OutboxWriter(outbox, TopicLayout(), lambda: None)
    log.begin("c1", "r1")
    listener = PublishingListener(
        writer, "dev-1", command_id="c1", end_statement=finish_statement("c1")
    )
    listener.progress("r1", "download", 10, 0.1)  # not the end: still started
    assert [e.command_id for e in log.unfinished()] == ["c1"]
    listener.failed("r1", "lost: test")
    assert log.unfinished() == [] and log.get("c1").state == "finished"
    (row,) = [i for i in outbox.pending(0, 10) if i.kind == "event"]
    assert b'"command_id":"c1"' in row.payload
    outbox.close()
    log.close()
