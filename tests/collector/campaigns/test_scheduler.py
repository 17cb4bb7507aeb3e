"""Scheduling passes against a real database: every job transition, restart, schedule.

Devices and runs reach the database the way ingest stores them (``Store.write`` of
decoded messages); the scheduler is the real one, with the clock passed in.
"""

from __future__ import annotations

import json
import time
import uuid

import msgspec
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from edgebench.collector.campaigns import detail, planner, store
from edgebench.collector.campaigns.scheduler import Scheduler
from edgebench.collector.campaigns.spec import parse_spec
from edgebench.collector.models import Campaign, CampaignJob
from edgebench.shared.messages import (
    CommandMessage,
    ResultMessage,
    RunFailedMessage,
    RunStartedMessage,
    StatusMessage,
)
from tests.collector.helpers import store_messages as write
from tests.shared.samples import latency, model_info, run_config, run_result

pytestmark = pytest.mark.both_databases
LOST_S = 60.0


def status(engine: sa.Engine, device: str, state: str = "online") -> None:
    reason = "connected" if state == "online" else "shutdown"
    write(engine, StatusMessage(device_id=device, state=state, reason=reason))


def start_run(engine: sa.Engine, cmd: CommandMessage) -> str:
    run_id = uuid.uuid4().hex
    started = RunStartedMessage(
        device_id=cmd.device_id,
        run_id=run_id,
        seq=0,
        model=model_info(),
        config=run_config(),
        command_id=cmd.message_id,
    )
    write(engine, started)
    return run_id


def finish_run(engine: sa.Engine, device: str, run_id: str, p50: float = 3.5) -> None:
    result = msgspec.structs.replace(run_result(device, run_id), latency_ms=latency(p50))
    write(engine, ResultMessage(device_id=device, run_id=run_id, seq=1, result=result))


def fail_command(engine: sa.Engine, cmd: CommandMessage, error: str) -> None:
    failed = RunFailedMessage(
        device_id=cmd.device_id,
        run_id=uuid.uuid4().hex,
        seq=0,
        error=error,
        command_id=cmd.message_id,
    )
    write(engine, failed)


def create(engine: sa.Engine, now: float, **fields: object) -> int:
    body = {"name": "t", "devices": ["pi-a"], "models": ["m1"], "seed": 1, **fields}
    with Session(engine) as session:
        campaign, _ = store.create_campaign(session, parse_spec(json.dumps(body)), "test", now)
        session.commit()
        return campaign.id


def jobs(engine: sa.Engine, campaign_id: int) -> list[CampaignJob]:
    with Session(engine) as session:
        stmt = sa.select(CampaignJob).where(CampaignJob.campaign_id == campaign_id)
        return list(session.scalars(stmt.order_by(CampaignJob.device_id, CampaignJob.position)))


def states(engine: sa.Engine, campaign_id: int) -> list[str]:
    return [j.state for j in jobs(engine, campaign_id)]


def campaign_state(engine: sa.Engine, campaign_id: int) -> str:
    with Session(engine) as session:
        return session.get(Campaign, campaign_id).state


def test_one_job_at_a_time_until_done(engine: sa.Engine) -> None:
    status(engine, "pi-a")
    now = time.time()
    cid = create(engine, now, threads=[1, 2])
    sched = Scheduler(engine, LOST_S)
    (cmd,) = sched.run_pass(now).commands
    assert cmd.device_id == "pi-a" and cmd.expires_at is not None and cmd.expires_at > now
    assert cmd.options["backend"] == "litert" and cmd.options["threads"] in (1, 2)
    assert states(engine, cid) == ["sent", "queued"]
    assert sched.run_pass(now).commands == []  # the device is busy
    run_id = start_run(engine, cmd)
    sched.run_pass(now)
    assert states(engine, cid) == ["running", "queued"]
    finish_run(engine, "pi-a", run_id)
    (second,) = sched.run_pass(now + 1).commands
    assert second.message_id != cmd.message_id
    assert second.options["threads"] != cmd.options["threads"]
    assert states(engine, cid) == ["done", "sent"]
    finish_run(engine, "pi-a", start_run(engine, second))
    sched.run_pass(now + 2)
    assert states(engine, cid) == ["done", "done"]
    assert campaign_state(engine, cid) == "done"
    with Session(engine) as session:
        shown = detail.campaign_detail(session, cid, now + 3)
    assert shown["counts"]["done"] == 2 and len(shown["run_ids"]) == 2 and shown["eta_s"] is None


def test_offline_device_waits_and_gets_its_jobs_when_it_connects(engine: sa.Engine) -> None:
    status(engine, "pi-a")
    status(engine, "pi-b", "offline")
    now = time.time()
    cid = create(engine, now, devices=["pi-a", "pi-b"])
    sched = Scheduler(engine, LOST_S)
    assert [c.device_id for c in sched.run_pass(now).commands] == ["pi-a"]
    # Offline: pi-b's job is neither lost nor sent (pi-a's unanswered command is lost).
    later = sched.run_pass(now + 3 * LOST_S).commands
    assert [c.device_id for c in later] == ["pi-a"]
    status(engine, "pi-b")
    assert [c.device_id for c in sched.run_pass(now + 4 * LOST_S).commands] == ["pi-b"]
    assert campaign_state(engine, cid) == "running"


def test_failed_attempt_is_retried_once_with_a_new_command_id(engine: sa.Engine) -> None:
    status(engine, "pi-a")
    now = time.time()
    cid = create(engine, now)
    sched = Scheduler(engine, LOST_S)
    (cmd,) = sched.run_pass(now).commands
    fail_command(engine, cmd, "interrupted: the agent daemon is stopping")
    (retry,) = sched.run_pass(now + 1).commands
    assert retry.message_id != cmd.message_id
    (job,) = jobs(engine, cid)
    assert job.state == "sent" and job.attempts == 2 and job.error.startswith("interrupted:")
    fail_command(engine, retry, "model refused")
    assert sched.run_pass(now + 2).commands == []
    (job,) = jobs(engine, cid)
    assert (job.state, job.error, job.run_id is not None) == ("failed", "model refused", True)
    assert campaign_state(engine, cid) == "done"


def test_expired_refusal_is_not_retried(engine: sa.Engine) -> None:
    status(engine, "pi-a")
    now = time.time()
    cid = create(engine, now)
    sched = Scheduler(engine, LOST_S)
    (cmd,) = sched.run_pass(now).commands
    fail_command(engine, cmd, "expired: command expired 3 s ago; not running it")
    assert sched.run_pass(now + 1).commands == []
    assert states(engine, cid) == ["expired"]


def test_lost_command_is_failed_and_retried(engine: sa.Engine) -> None:
    status(engine, "pi-a")
    now = time.time()
    cid = create(engine, now)
    sched = Scheduler(engine, LOST_S)
    (cmd,) = sched.run_pass(now).commands
    assert sched.run_pass(now + LOST_S - 1).commands == []
    (retry,) = sched.run_pass(now + LOST_S + 1).commands
    assert retry.message_id != cmd.message_id
    (job,) = jobs(engine, cid)
    assert job.error.startswith("lost: no run") and job.attempts == 2
    # A started run that never finishes is lost too, after its longest possible duration.
    start_run(engine, retry)
    sched.run_pass(now + LOST_S + 2)
    assert states(engine, cid) == ["running"]
    sched.run_pass(now + 10 * LOST_S)
    (job,) = jobs(engine, cid)
    assert job.state == "failed" and job.error.startswith("lost: no result")


def test_deadline_expires_queued_jobs_of_an_offline_device(engine: sa.Engine) -> None:
    status(engine, "pi-a", "offline")
    now = time.time()
    cid = create(engine, now, deadline_s=30)
    sched = Scheduler(engine, LOST_S)
    assert sched.run_pass(now + 10).commands == []
    assert states(engine, cid) == ["queued"]
    sched.run_pass(now + 31)
    (job,) = jobs(engine, cid)
    assert job.state == "expired" and job.error.startswith("expired: the deadline")
    assert campaign_state(engine, cid) == "done"
    status(engine, "pi-a")
    assert sched.run_pass(now + 40).commands == []


def test_cancel_stops_queued_jobs_and_lets_the_running_one_finish(engine: sa.Engine) -> None:
    status(engine, "pi-a")
    now = time.time()
    cid = create(engine, now, repetitions=3)
    sched = Scheduler(engine, LOST_S)
    (cmd,) = sched.run_pass(now).commands
    run_id = start_run(engine, cmd)
    with Session(engine) as session:
        changed = store.cancel_campaign(session, cid, now + 1)
        session.commit()
    assert changed == {"state_before": "running", "state": "cancelled", "jobs_cancelled": 2}
    sched.run_pass(now + 2)
    assert sorted(states(engine, cid)) == ["cancelled", "cancelled", "running"]
    finish_run(engine, "pi-a", run_id)
    assert sched.run_pass(now + 3).commands == []
    assert sorted(states(engine, cid)) == ["cancelled", "cancelled", "done"]
    with Session(engine) as session:
        campaign = session.get(Campaign, cid)
        assert campaign.state == "cancelled" and campaign.finished_at == now + 3


def test_a_new_scheduler_continues_where_the_last_one_stopped(engine: sa.Engine) -> None:
    status(engine, "pi-a")
    now = time.time()
    cid = create(engine, now, repetitions=2)
    (cmd,) = Scheduler(engine, LOST_S).run_pass(now).commands
    run_id = start_run(engine, cmd)
    finish_run(engine, "pi-a", run_id)  # stored while no scheduler ran
    (nxt,) = Scheduler(engine, LOST_S).run_pass(now + 1).commands
    assert nxt.message_id != cmd.message_id
    assert states(engine, cid) == ["done", "sent"]


def test_cooldown_delays_the_next_job(engine: sa.Engine) -> None:
    status(engine, "pi-a")
    now = time.time()
    create(engine, now, repetitions=2, cooldown_s=20)
    sched = Scheduler(engine, LOST_S)
    (cmd,) = sched.run_pass(now).commands
    finish_run(engine, "pi-a", start_run(engine, cmd))
    assert sched.run_pass(now + 5).commands == []
    assert sched.run_pass(now + 10).commands == []  # 20 s after the job ended (at +5)
    assert len(sched.run_pass(now + 26).commands) == 1


def test_daily_campaign_starts_on_time_and_schedules_the_next(engine: sa.Engine) -> None:
    status(engine, "pi-a")
    now = time.time()
    cid = create(engine, now, schedule={"daily_at": "03:00"})
    with Session(engine) as session:
        first = session.get(Campaign, cid)
        start_at = first.start_at
    assert campaign_state(engine, cid) == "scheduled" and jobs(engine, cid) == []
    assert now < start_at <= now + 86400
    sched = Scheduler(engine, LOST_S)
    assert sched.run_pass(start_at - 1).commands == []
    (cmd,) = sched.run_pass(start_at + 1).commands
    assert campaign_state(engine, cid) == "running"
    with Session(engine) as session:
        (nxt,) = session.scalars(sa.select(Campaign).where(Campaign.previous_campaign_id == cid))
        assert nxt.state == "scheduled" and nxt.start_at == pytest.approx(
            start_at + 86400, abs=7200
        )
        next_id, next_start = nxt.id, nxt.start_at
    finish_run(engine, "pi-a", start_run(engine, cmd), p50=3.0)
    sched.run_pass(start_at + 2)
    (cmd2,) = sched.run_pass(next_start + 1).commands
    finish_run(engine, "pi-a", start_run(engine, cmd2), p50=4.0)
    sched.run_pass(next_start + 2)
    with Session(engine) as session:
        shown = detail.campaign_detail(session, next_id, next_start + 3)
    (config,) = shown["configurations"]
    assert config["p50_ms"] == 4.0
    assert [p["p50_ms"] for p in config["history"]] == [3.0, 4.0]
    assert [p["campaign_id"] for p in config["history"]] == [cid, next_id]


def test_device_filter_by_tag_board_and_architecture(engine: sa.Engine) -> None:
    from edgebench.shared.messages import FactsMessage
    from tests.shared.samples import device_facts

    for device, tags in (("pi-a", ["lab", "fan"]), ("pi-b", ["lab"]), ("pi-c", [])):
        facts = msgspec.structs.replace(device_facts(device), tags=tags)
        write(engine, FactsMessage(device_id=device, facts=facts))
    board = device_facts("x").board
    with Session(engine) as session:

        def chosen(flt: dict) -> list[str]:
            body = {"name": "f", "device_filter": flt, "models": ["m"]}
            return store.select_devices(session, parse_spec(json.dumps(body)))

        assert chosen({"tags": ["lab"]}) == ["pi-a", "pi-b"]
        assert chosen({"tags": ["lab", "fan"]}) == ["pi-a"]
        assert chosen({"board": board.upper()}) == ["pi-a", "pi-b", "pi-c"]
        with pytest.raises(Exception, match="device_filter: matches no device"):
            chosen({"architecture": "sparc"})


def test_runs_keep_the_command_id_their_first_message_named(engine: sa.Engine) -> None:
    from edgebench.shared.messages import RunFinishedMessage

    cmd = CommandMessage(device_id="pi-a", command="run")
    run_id = start_run(engine, cmd)
    finished = RunFinishedMessage(
        device_id="pi-a",
        run_id=run_id,
        seq=1,
        status="complete",
        verdict="VALID",
        throughput_ips=1.0,
        latency_p50_ms=1.0,
    )
    write(engine, finished)
    refused = CommandMessage(device_id="pi-a", command="run")
    fail_command(engine, refused, "command model '/etc/shadow' refused")
    with engine.connect() as conn:
        rows = dict(conn.execute(sa.text("SELECT command_id, status FROM runs")).all())
    assert rows == {cmd.message_id: "complete", refused.message_id: "failed"}


def test_sent_to_a_device_that_went_away_expires_after_the_deadline(engine: sa.Engine) -> None:
    status(engine, "pi-a")
    now = time.time()
    cid = create(engine, now, deadline_s=100)
    sched = Scheduler(engine, LOST_S)
    (cmd,) = sched.run_pass(now).commands
    assert cmd.expires_at == pytest.approx(now + 100)
    status(engine, "pi-a", "offline")
    sched.run_pass(now + 100 + LOST_S - 1)
    assert states(engine, cid) == ["sent"]  # it may still come back and refuse it
    sched.run_pass(now + 100 + LOST_S + 1)
    (job,) = jobs(engine, cid)
    assert job.state == "expired" and job.error.startswith("expired:")


def test_detail_shows_progress_and_an_eta(engine: sa.Engine) -> None:
    from edgebench.shared.messages import RunProgressMessage

    status(engine, "pi-a")
    now = time.time()
    cid = create(engine, now, repetitions=3, options={"min_secs": 2, "warmup_secs": 0})
    sched = Scheduler(engine, LOST_S)
    (cmd,) = sched.run_pass(now).commands
    run_id = start_run(engine, cmd)
    progress = RunProgressMessage(
        device_id="pi-a", run_id=run_id, seq=1, phase="measure", done=7, elapsed_s=0.5
    )
    write(engine, progress)
    sched.run_pass(now + 1)
    with Session(engine) as session:
        shown = detail.campaign_detail(session, cid, now + 1)
        listed = detail.list_campaigns(session)
    running = next(j for j in shown["jobs"] if j["state"] == "running")
    assert running["progress"] == {"phase": "measure", "done": 7, "elapsed_s": 0.5}
    # Three jobs left (one running) at the options' estimate: nothing measured yet.
    assert shown["eta_s"] == 3 * (planner.JOB_OVERHEAD_S + 2.0)
    assert listed[0]["campaign_id"] == cid and listed[0]["counts"]["running"] == 1


def test_passes_of_two_collector_processes_never_double_up(engine: sa.Engine) -> None:
    status(engine, "pi-a")
    now = time.time()
    create(engine, now, repetitions=2)
    first, second = Scheduler(engine, LOST_S), Scheduler(engine, LOST_S)
    assert len(first.run_pass(now).commands) == 1
    # The second process read "pi-a idle" before the first one's claim: its claim of the
    # device's next job is refused by the write itself.
    with Session(engine) as session:
        assert second._send_next(session, "pi-a", now) is None
        session.commit()
    scheduled = create(engine, now, schedule={"daily_at": "03:00"})
    with Session(engine) as session:
        assert store.claim_start(session, scheduled) is True
        assert store.claim_start(session, scheduled) is False
