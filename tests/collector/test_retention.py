"""Retention on both databases: old samples become aggregates, recent ones stay, re-runs no-op."""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from edgebench.collector import retention
from edgebench.collector.config import RetentionConfig
from edgebench.collector.retention_job import RetentionJob
from edgebench.collector.store import Store
from edgebench.shared.cli import cli
from edgebench.shared.messages import SamplesMessage
from tests.collector.conftest import count
from tests.collector.helpers import as_received, run_stream, wait_until

pytestmark = pytest.mark.both_databases

OLD = time.time() - 40 * retention.DAY_S
CUTOFF_30_DAYS = time.time() - 30 * retention.DAY_S


def store_runs(engine: sa.Engine, old: list[str], recent: list[str], batches: int = 4) -> None:
    """Store whole runs, then make the ``old`` ones last updated 40 days ago."""
    store = Store(engine)
    for run_id in old + recent:
        store.write([as_received(m) for m in run_stream("pi-a", run_id, batches=batches)])
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE runs SET updated_at = :old WHERE run_id IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)
            ),
            {"old": OLD, "ids": old},
        )


def raw_temps(engine: sa.Engine, run_id: str) -> list[tuple[float, float]]:
    with engine.connect() as conn:
        query = sa.text("SELECT t, temp_c FROM samples WHERE run_id = :r AND temp_c IS NOT NULL")
        return [tuple(r) for r in conn.execute(query, {"r": run_id})]


def aggregates(engine: sa.Engine, run_id: str) -> dict[float, tuple[int, dict]]:
    with engine.connect() as conn:
        query = sa.text("SELECT t, n, stats FROM sample_aggregates WHERE run_id = :r")
        rows = conn.execute(query.columns(stats=sa.JSON), {"r": run_id})
        return {t: (n, stats) for t, n, stats in rows}


def test_old_samples_become_aggregates_and_recent_ones_stay(engine: sa.Engine) -> None:
    store_runs(engine, old=["old-1"], recent=["new-1"])
    temps = raw_temps(engine, "old-1")
    recent_before = count(engine, "samples") - 21
    report = retention.run_pass(engine, CUTOFF_30_DAYS, batch_rows=7)
    assert (report.samples, report.runs) == (21, 1)
    assert report.batches == [7, 7, 7]  # bounded: never more than batch_rows per transaction
    assert count(engine, "samples") == recent_before == 21  # new-1 untouched
    assert count(engine, "runs") == 2
    with engine.connect() as conn:
        result = conn.execute(sa.text("SELECT result FROM runs WHERE run_id = 'old-1'")).scalar()
    assert result is not None  # run results are kept
    expected: dict[float, list[float]] = defaultdict(list)
    for t, temp in temps:
        expected[float(math.floor(t))].append(temp)
    stored = aggregates(engine, "old-1")
    assert set(stored) == set(expected)
    for second, values in expected.items():
        n, stats = stored[second]
        assert n == len(values)
        temp = stats["temp_c"]
        assert (temp["n"], temp["min"], temp["max"]) == (len(values), min(values), max(values))
        assert temp["mean"] == pytest.approx(sum(values) / len(values))
        if second < 2_000:  # the streamed samples (not the result's own one) have extra keys
            assert stats["cpu0_util_pct"]["mean"] == pytest.approx(9.0)
    with engine.connect() as conn:
        summary = conn.execute(sa.text("SELECT * FROM sample_summaries")).mappings().one()
    assert summary["run_id"] == "old-1" and summary["samples"] == 21
    assert summary["t_first"] == min(t for t, _ in temps)


def test_a_second_pass_changes_nothing(engine: sa.Engine) -> None:
    store_runs(engine, old=["old-1", "old-2"], recent=[])
    first = retention.run_pass(engine, CUTOFF_30_DAYS, batch_rows=5)
    assert first.samples == 42 and max(first.batches) <= 5
    before = aggregates(engine, "old-2")
    again = retention.run_pass(engine, CUTOFF_30_DAYS, batch_rows=5)
    assert (again.samples, again.batches) == (0, [])
    assert aggregates(engine, "old-2") == before


def test_late_samples_are_merged_into_the_existing_seconds(engine: sa.Engine) -> None:
    store_runs(engine, old=["old-1"], recent=[], batches=1)
    retention.run_pass(engine, CUTOFF_30_DAYS, batch_rows=100)
    n_before, _ = aggregates(engine, "old-1")[1000.0]
    late = SamplesMessage.from_rows(
        [{"t": 1000.05, "temp_c": 99.0}], device_id="pi-a", run_id="old-1", seq=9
    )
    Store(engine).write([as_received(late)])
    assert retention.plan(engine, CUTOFF_30_DAYS).samples == 1
    retention.run_pass(engine, CUTOFF_30_DAYS, batch_rows=100)
    n_after, stats = aggregates(engine, "old-1")[1000.0]
    assert n_after == n_before + 1 and stats["temp_c"]["max"] == 99.0
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT samples FROM sample_summaries")).scalar() == 7


def test_cli_dry_run_counts_then_run_downsamples(db_url: str, engine: sa.Engine) -> None:
    store_runs(engine, old=["old-1"], recent=["new-1"])
    runner = CliRunner()
    dry = runner.invoke(cli, ["collector", "retention", "run", "--dry-run", "--db", db_url])
    assert dry.exit_code == 0, dry.output
    assert "would downsample 21 samples of 1 runs" in dry.output
    assert count(engine, "samples") == 42
    done = runner.invoke(cli, ["collector", "retention", "run", "--db", db_url])
    assert done.exit_code == 0, done.output
    assert "21 samples of 1 runs" in done.output
    assert count(engine, "samples") == 21


def test_background_job_runs_beside_ingest(db_url: str, engine: sa.Engine) -> None:
    store_runs(engine, old=[f"old-{i}" for i in range(10)], recent=[], batches=20)
    job = RetentionJob(db_url, RetentionConfig(batch_rows=50, interval_s=0.2), first_delay_s=0)
    writing = threading.Thread(
        target=lambda: [
            Store(engine).write([as_received(m) for m in run_stream("pi-b", f"new-{i}", batches=5)])
            for i in range(10)
        ]
    )
    job.start()
    writing.start()
    try:
        writing.join(60)
        wait_until(lambda: job.passes >= 2 and count(engine, "samples") == 10 * 26, 60)
    finally:
        job.stop()
    with engine.connect() as conn:
        total = conn.execute(sa.text("SELECT sum(samples) FROM sample_summaries")).scalar()
    assert total == 10 * 101


def test_a_downsampled_run_still_has_a_series(engine: sa.Engine) -> None:
    from sqlalchemy.orm import Session

    from edgebench.collector.series import load_samples

    store_runs(engine, old=["old-1"], recent=[], batches=4)
    retention.run_pass(engine, CUTOFF_30_DAYS, batch_rows=100)
    with Session(engine) as session:
        rows = load_samples(session, "old-1")
    assert [r["t"] for r in rows] == [1000.0, 1001.0, 1_735_732_801.0]
    assert rows[0]["temp_c"] == pytest.approx(52.0)  # mean of 50..54, twice
    assert "aggregated" not in rows[0]
