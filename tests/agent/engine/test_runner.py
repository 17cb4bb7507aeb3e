"""run_benchmark in-process: events, result fields, pacing, interruption, early errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from edgebench.agent.config import AgentConfig
from edgebench.agent.engine.runner import RunOptions, run_benchmark
from edgebench.agent.facts import collect_device_facts
from edgebench.shared.errors import EdgebenchError

QUICK = {"runs": 5, "min_secs": 0.0, "warmup_secs": 0.0, "sample_hz": 0.0}


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> AgentConfig:
    base = tmp_path_factory.mktemp("agent")
    # No busy check before each run (its window and waits would only slow the tests down);
    # tests/agent/engine/test_busy.py covers the guard.
    return AgentConfig(state_dir=base / "state", cache_dir=base / "cache", busy_window_s=0.0)


@pytest.fixture(scope="module")
def facts(config):
    return collect_device_facts(config)


@pytest.fixture()
def small(models_dir) -> Path:
    return models_dir / "mobilenet_v1_0.25_128_quant.tflite"


class Recorder:
    """A RunListener that keeps every event, and can press Ctrl-C at a chosen moment."""

    def __init__(self, interrupt_in: str | None = None):
        self.events: list[tuple] = []
        self.interrupt_in = interrupt_in

    def run_started(self, run_id, model, config):
        self.events.append(("run_started", run_id, model, config))

    def progress(self, run_id, phase, done, elapsed_s):
        self.events.append(("progress", run_id, phase, done, elapsed_s))
        if phase == self.interrupt_in:
            raise KeyboardInterrupt

    def samples(self, run_id, rows):
        self.events.append(("samples", run_id, rows))

    def finished(self, result):
        self.events.append(("finished", result))

    def failed(self, run_id, error):
        self.events.append(("failed", run_id, error))

    def close(self):
        self.events.append(("close",))

    def names(self):
        return [event[0] for event in self.events]


def test_events_in_order_and_result_matches(small, config, facts):
    listener = Recorder()
    options = RunOptions(runs=30, min_secs=0.0, warmup_secs=0.0, sample_hz=50.0, threads=1)
    result = run_benchmark(small, options, config, facts, listener, sweep_id="sweep-1")
    names = listener.names()
    assert names[0] == "run_started" and names[-1] == "finished"
    assert "close" not in names  # the caller owns the listener
    run_ids = {event[1] for event in listener.events if event[0] != "finished"}
    assert run_ids == {result.run_id}
    phases = [event[2] for event in listener.events if event[0] == "progress"]
    assert phases.index("warmup") < phases.index("measure")
    assert listener.events[-1][1] is result
    streamed = [row for event in listener.events if event[0] == "samples" for row in event[2]]
    assert streamed == result.samples and len(streamed) >= 2  # start and stop readings
    assert result.sweep_id == "sweep-1"
    assert result.model.source == "file" and result.model.name == small.name
    assert result.config.threads == 1 and result.config.sample_hz == 50.0
    assert result.latency_ms.count == len(result.latencies_ms) >= 30
    assert result.gops == pytest.approx(2 * result.model.macs * result.throughput_ips / 1e9)
    assert result.throughput_ips == pytest.approx(
        result.latency_ms.count / result.timing.measured_duration_s
    )
    timing = result.timing
    assert timing.measured_end == pytest.approx(timing.measured_start + timing.measured_duration_s)
    assert result.started_at <= timing.measured_start <= timing.measured_end <= result.finished_at
    assert timing.warmup_count >= 1 and timing.first_inference_ms > 0


@pytest.mark.parametrize("sample_hz", [0.0, 50.0])
def test_energy_covers_exactly_the_measured_phase(small, config, facts, sample_hz):
    # The sampler's own start and stop readings fall outside the phase and must not count.
    options = RunOptions(runs=30, min_secs=0.05, warmup_secs=0.0, sample_hz=sample_hz)
    result = run_benchmark(small, options, config, facts)
    energy = result.energy
    assert result.samples[0]["t"] < result.timing.measured_start  # the window is narrower
    assert energy.window_s == pytest.approx(result.timing.measured_duration_s, abs=1e-5)
    assert energy.joules_per_inference == pytest.approx(energy.joules / result.latency_ms.count)


def test_rate_paces_the_measured_phase(small, config, facts):
    options = RunOptions(**{**QUICK, "runs": 10}, rate_hz=100.0)
    result = run_benchmark(small, options, config, facts)
    assert result.config.rate_hz == 100.0
    assert result.latency_ms.count == 10
    # Run 9 starts no earlier than 9/100 s after the phase start.
    assert result.timing.measured_duration_s >= 0.09


def test_max_secs_caps_a_huge_run_count(small, config, facts):
    options = RunOptions(runs=10**9, min_secs=0.0, warmup_secs=0.0, max_secs=0.3, sample_hz=0)
    result = run_benchmark(small, options, config, facts)
    assert 0 < result.latency_ms.count < 10**9
    assert result.verdict.status == "INVALID"
    assert result.verdict.checks["min_runs_met"] is False
    assert result.config.runs == 10**9 and result.config.max_secs == 0.3


def test_interrupt_during_warmup_gives_an_empty_interrupted_result(small, config, facts):
    listener = Recorder(interrupt_in="warmup")
    options = RunOptions(runs=5, min_secs=0.0, warmup_secs=3.0, sample_hz=0)
    result = run_benchmark(small, options, config, facts, listener)
    assert result.status == "interrupted"
    assert result.latency_ms.count == 0 and result.throughput_ips == 0.0
    assert result.verdict.status == "INVALID"
    assert result.verdict.checks["not_interrupted"] is False
    assert result.power.method == "none" and result.energy.joules is None
    assert listener.names()[-1] == "finished"


def test_interrupt_during_measurement_keeps_what_was_measured(small, config, facts):
    listener = Recorder(interrupt_in="measure")
    options = RunOptions(runs=10**6, min_secs=0.0, warmup_secs=0.0, sample_hz=5)
    result = run_benchmark(small, options, config, facts, listener)
    assert result.status == "interrupted"
    assert result.latency_ms.count == len(result.latencies_ms) > 0
    assert result.energy.window_s >= 0


def test_images_are_cycled_and_preprocessing_timed(models_dir, images_dir, config, facts):
    options = RunOptions(**{**QUICK, "runs": 12}, images=images_dir)
    result = run_benchmark(
        models_dir / "mobilenet_v1_0.25_128_quant.tflite", options, config, facts
    )
    assert result.config.input_source == "images"
    assert result.config.images_dir == str(images_dir.resolve())
    assert result.timing.preprocess_ms is not None and result.timing.preprocess_ms.count == 5
    assert result.accuracy is None  # no --labels: performance mode only


def test_bad_input_fails_before_the_run_starts(small, config, facts, tmp_path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    (folder / "bad.png").write_bytes(b"not a png")
    listener = Recorder()
    with pytest.raises(EdgebenchError, match=r"bad\.png"):
        run_benchmark(small, RunOptions(**QUICK, images=folder), config, facts, listener)
    assert listener.events == []


def test_options_are_validated(small, config, facts):
    for bad, needle in (
        (RunOptions(runs=-1), "--runs"),
        (RunOptions(threads=0), "--threads"),
        (RunOptions(rate_hz=0.0), "--rate"),
        (RunOptions(backend="onnx"), "--backend"),
        (RunOptions(warmup_secs=float("nan")), "--warmup-secs"),
        (RunOptions(sample_hz=-1.0), "--sample-hz"),
    ):
        with pytest.raises(EdgebenchError, match=needle):
            run_benchmark(small, bad, config, facts)


def test_resolved_model_source_is_recorded(small, config, facts):
    from edgebench.agent.modeltools.resolve import resolve_model

    resolved = resolve_model(str(small), config)
    result = run_benchmark(resolved, RunOptions(**QUICK), config, facts)
    assert result.model.source == resolved.source
    assert result.model.name == resolved.name
