"""Harness overhead: the agent's timed loop against a bare ``invoke()`` loop.

One process, one interpreter (mobilenet_v2_1.0_224_quant, XNNPACK, all usable
cores). Rounds alternate between a bare loop (``perf_counter_ns`` around
``invoke()`` and nothing else) and the agent's loop (``engine.loop.run_phase`` with
progress ticks going to a listener, exactly what ``run_benchmark`` runs). The figure
is p50(all agent latencies) / p50(all bare latencies), pooled over many short
alternating rounds so that disturbances from other processes hit both sides alike;
the target is <= 1.02.

Because latencies on a shared machine wander by more than 2 %, the script also
reports a load-independent figure: the cost per run of each loop around a no-op
callable (median of per-run times), and the agent's extra cost as a share of the
model's p50.

    .venv/bin/python bench/harness_overhead.py [--rounds 40] [--secs 0.5] [--threads N]
"""

from __future__ import annotations

import argparse
import sys
import time

from _common import MODEL, median, p50_ms, verdict


def bare_loop(invoke: object, secs: float) -> list[int]:
    """Time invoke() back to back for ``secs`` seconds with nothing else in the loop."""
    clock = time.perf_counter_ns
    out: list[int] = []
    end = clock() + int(secs * 1e9)
    while True:
        begin = clock()
        invoke()  # type: ignore[operator]
        now = clock()
        out.append(now - begin)
        if now >= end:
            return out


def noop_cost_ns(runs: int = 200_000) -> tuple[float, float]:
    """Median wall time per iteration of each loop around a no-op callable (ns)."""
    from edgebench.agent.engine.loop import run_phase

    def noop() -> None:
        return None

    bare_rounds, agent_rounds = [], []
    for _ in range(5):
        start = time.perf_counter_ns()
        clock = time.perf_counter_ns
        out: list[int] = []
        for _ in range(runs):
            begin = clock()
            noop()
            out.append(clock() - begin)
        bare_rounds.append((time.perf_counter_ns() - start) / runs)
        phase = run_phase(noop, min_runs=runs, min_secs=0.0, max_secs=600, on_tick=lambda d, e: 0)
        agent_rounds.append((phase.end_ns - phase.start_ns) / runs)
    return median(bare_rounds), median(agent_rounds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--secs", type=float, default=0.5)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()

    from edgebench.agent.engine.backends import prepare_interpreter
    from edgebench.agent.engine.loop import run_phase
    from edgebench.agent.engine.options import usable_cores
    from edgebench.agent.modeltools.modelfile import load_model

    threads = args.threads or usable_cores()
    loaded = prepare_interpreter("litert", load_model(MODEL), threads, True)
    invoke = loaded.interpreter.invoke
    ticks: list[tuple[int, float]] = []
    bare_loop(invoke, 1.0)  # warm-up
    bare: list[int] = []
    agent: list[int] = []
    for index in range(args.rounds):
        # Alternate which goes first so drift (thermal, neighbours) hits both sides.
        order = ("bare", "agent") if index % 2 == 0 else ("agent", "bare")
        for which in order:
            if which == "bare":
                bare.extend(bare_loop(invoke, args.secs))
            else:
                phase = run_phase(
                    invoke,
                    min_runs=1,
                    min_secs=args.secs,
                    max_secs=args.secs + 60,
                    on_tick=lambda done, elapsed: ticks.append((done, elapsed)),
                    tick_s=0.1,  # more often than the agent (1 s): a conservative figure
                )
                agent.extend(phase.latencies_ns)
    print(
        f"model {MODEL.name}, litert {loaded.backend_version}, {threads} threads,"
        f" XNNPACK applied {loaded.xnnpack_applied}, {args.rounds} rounds x {args.secs:g} s"
    )
    bare_p50, agent_p50 = p50_ms(bare), p50_ms(agent)
    noop_bare, noop_agent = noop_cost_ns()
    print(
        f"loop cost per run around a no-op: bare {noop_bare:.0f} ns, agent {noop_agent:.0f} ns;"
        f" the agent's extra {noop_agent - noop_bare:.0f} ns is"
        f" {(noop_agent - noop_bare) / (bare_p50 * 1e6) * 100:.4f} % of the model's p50"
    )
    print(f"bare:  {len(bare)} runs, p50 {bare_p50:.4f} ms")
    print(f"agent: {len(agent)} runs, p50 {agent_p50:.4f} ms ({len(ticks)} progress ticks)")
    return verdict("agent/bare p50 ratio", agent_p50 / bare_p50, 1.02)


if __name__ == "__main__":
    sys.exit(main())
