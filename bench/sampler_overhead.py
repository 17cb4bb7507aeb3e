"""Sampler overhead: measured p50 with telemetry at 10 Hz against telemetry off.

One process, one interpreter (mobilenet_v2_1.0_224_quant, XNNPACK, all usable
cores). Each round runs the agent's measured phase twice, once inside a
``TelemetrySession`` at 10 Hz and once at 0 Hz (start/stop readings only),
alternating the order; latencies are pooled per side over many short rounds so
that disturbances from other processes hit both alike. Reports p50(10 Hz) /
p50(off) (target <= 1.02) and the sampler's CPU time per second of measurement.

    .venv/bin/python bench/sampler_overhead.py [--rounds 40] [--secs 0.5] [--hz 10]
"""

from __future__ import annotations

import argparse
import sys

import msgspec
from _common import MODEL, median, p50_ms, verdict


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--secs", type=float, default=0.5)
    parser.add_argument("--hz", type=float, default=10.0)
    args = parser.parse_args()

    from edgebench.agent.config import load_agent_config
    from edgebench.agent.engine.backends import prepare_interpreter
    from edgebench.agent.engine.loop import run_phase
    from edgebench.agent.engine.options import usable_cores
    from edgebench.agent.facts import collect_device_facts
    from edgebench.agent.modeltools.modelfile import load_model
    from edgebench.agent.samplers.session import TelemetrySession

    config = load_agent_config(None, {})
    facts = collect_device_facts(config)
    loaded = prepare_interpreter("litert", load_model(MODEL), usable_cores(), True)
    invoke = loaded.interpreter.invoke
    run_phase(invoke, min_runs=1, min_secs=1.0, max_secs=60)  # warm-up

    def measure(hz: float) -> tuple[list[int], float, int]:
        session = TelemetrySession(msgspec.structs.replace(config, sample_hz=hz), facts)
        session.start()
        phase = run_phase(invoke, min_runs=1, min_secs=args.secs, max_secs=args.secs + 60)
        session.stop()
        return phase.latencies_ns, session.sampler_cpu_s / phase.duration_s, len(session.samples)

    on: list[int] = []
    off: list[int] = []
    cpu: list[float] = []
    rows_total = 0
    for index in range(args.rounds):
        # Alternate which goes first so drift (thermal, neighbours) hits both sides.
        for hz in (args.hz, 0.0) if index % 2 == 0 else (0.0, args.hz):
            latencies, cpu_per_s, rows = measure(hz)
            (on if hz else off).extend(latencies)
            if hz:
                cpu.append(cpu_per_s)
                rows_total += rows
    print(f"model {MODEL.name}, {loaded.threads} threads, {args.rounds} rounds x {args.secs:g} s")
    on_p50, off_p50 = p50_ms(on), p50_ms(off)
    print(f"{args.hz:g} Hz: {len(on)} runs, {rows_total} telemetry rows, p50 {on_p50:.4f} ms")
    print(f"off:   {len(off)} runs, p50 {off_p50:.4f} ms")
    print(
        f"sampler CPU time: {median(cpu) * 1e3:.2f} ms per second of measurement"
        f" ({median(cpu) * 100:.3f} % of one core)"
    )
    return verdict(f"p50 ratio {args.hz:g} Hz / off", on_p50 / off_p50, 1.02)


if __name__ == "__main__":
    sys.exit(main())
