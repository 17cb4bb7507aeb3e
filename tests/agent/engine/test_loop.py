"""Run control: benchmark_model's (runs OR min-secs) AND max-secs rule, on a real interpreter."""

from __future__ import annotations

import time

import pytest

from edgebench.agent.engine.loop import run_phase


@pytest.fixture(scope="module")
def invoke(models_dir):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(
        model_path=str(models_dir / "mobilenet_v1_0.25_128_quant.tflite"), num_threads=1
    )
    interpreter.allocate_tensors()
    return interpreter.invoke


def test_runs_exactly_min_runs_when_min_secs_zero(invoke):
    phase = run_phase(invoke, min_runs=7, min_secs=0.0, max_secs=150.0)
    assert phase.count == 7
    assert all(ns > 0 for ns in phase.latencies_ns)
    assert not phase.interrupted
    # The window spans the runs it timed.
    assert phase.end_ns - phase.start_ns >= sum(phase.latencies_ns)


def test_min_secs_keeps_running_past_min_runs(invoke):
    phase = run_phase(invoke, min_runs=1, min_secs=0.2, max_secs=150.0)
    assert phase.count > 1
    assert phase.duration_s >= 0.2


def test_max_secs_caps_the_run_count(invoke):
    phase = run_phase(invoke, min_runs=10**9, min_secs=0.0, max_secs=0.2)
    assert 1 <= phase.count < 10**9
    # No run starts after max_secs; the last one started may finish after it.
    assert phase.duration_s < 0.2 + max(phase.latencies_ns) / 1e9 + 0.05


def test_zero_runs_and_zero_secs_runs_nothing(invoke):
    phase = run_phase(invoke, min_runs=0, min_secs=0.0, max_secs=150.0)
    assert phase.count == 0
    assert phase.duration_s == 0.0


def test_feed_is_called_before_each_run_in_order(invoke):
    fed = []
    phase = run_phase(invoke, min_runs=5, min_secs=0.0, max_secs=150.0, feed=fed.append)
    assert fed == [0, 1, 2, 3, 4]
    assert phase.count == 5


def test_rate_paces_the_runs(invoke):
    phase = run_phase(invoke, min_runs=6, min_secs=0.0, max_secs=150.0, rate_hz=50.0)
    # Run 5 is scheduled 5/50 s after the start, so the phase lasts at least 0.1 s.
    assert phase.count == 6
    assert phase.duration_s >= 0.1


def test_ticks_report_progress(invoke):
    ticks = []
    run_phase(
        invoke,
        min_runs=1,
        min_secs=0.15,
        max_secs=150.0,
        on_tick=lambda done, elapsed: ticks.append((done, elapsed)),
        tick_s=0.05,
    )
    assert ticks
    assert [d for d, _ in ticks] == sorted(d for d, _ in ticks)


def test_ctrl_c_ends_the_phase_as_interrupted(invoke):
    calls = []

    def interrupting_invoke():
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        invoke()

    phase = run_phase(interrupting_invoke, min_runs=100, min_secs=0.0, max_secs=150.0)
    assert phase.interrupted
    assert phase.count == 3  # the interrupted run is not counted


def test_start_epoch_is_wall_clock(invoke):
    before = time.time()
    phase = run_phase(invoke, min_runs=1, min_secs=0.0, max_secs=150.0)
    assert before <= phase.start_epoch <= time.time()
