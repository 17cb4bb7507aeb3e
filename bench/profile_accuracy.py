"""How faithful ``edgebench model profile`` is: sum of ops vs the whole, ranking, MACs.

For MobileNetV2 1.0/224 uint8 (TF1 QAT file) and int8 (TF2 PTQ file) and MobileNetV1
0.25/128 uint8, profiles each model twice with the same settings and checks:

* the sum of per-op p50 is within ±15 % of the whole model's p50 timed in the same
  profile (ratio sum/whole in [0.85, 1.15]), in both profiles;
* the ten heaviest layers of the first profile keep their ranking in the second
  (Spearman ≥ 0.9). A "layer" is an op signature (type, input and output shapes, MACs):
  MobileNets repeat identical blocks (V1's five 8×8 blocks, V2's repeated blocks of a
  stage), and identical ops have no order of their own to keep, so each signature counts
  once with the mean of its ops' p50. The same Spearman over single ops is printed too;
* every op's MACs equal ``model inspect``'s.

It also prints, as a diagnostic, the whole model's thread CPU time at one thread: on a
machine shared with other jobs the whole model's wall time is stretched by preemption far
more than a 0.1 ms op's p50 is, and the CPU time shows whether a gap is that.

    .venv/bin/python bench/profile_accuracy.py [--threads 1] [--min-secs 0.3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED

TARGETS = (
    ("MobileNetV2 1.0/224 uint8", "mobilenet_v2_1.0_224_quant.tflite"),
    ("MobileNetV2 1.0/224 int8", "tf2_mobilenet_v2_1.0_224_ptq.tflite"),
    ("MobileNetV1 0.25/128 uint8", "mobilenet_v1_0.25_128_quant.tflite"),
)
GAP = 0.15
RHO = 0.9
TOP = 10


def cpu_p50_ms(path: Path, runs: int = 60) -> float:
    """Median thread CPU time of one whole-model invoke at one thread (no preemption)."""
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(path), num_threads=1)
    it.allocate_tensors()
    for d in it.get_input_details():
        it.set_tensor(d["index"], np.zeros(d["shape"], d["dtype"]))
    for _ in range(5):
        it.invoke()
    cpu = []
    for _ in range(runs):
        start = time.thread_time_ns()
        it.invoke()
        cpu.append((time.thread_time_ns() - start) / 1e6)
    return statistics.median(cpu)


def layers(profile: object) -> dict[tuple, float]:
    """Mean p50 per op signature (type, input shapes, output shape, MACs) of a profile."""
    groups: dict[tuple, list[float]] = {}
    for op in profile.ops:  # type: ignore[attr-defined]
        key = (op.op, str(op.input_shapes), str(op.output_shape), op.macs)
        groups.setdefault(key, []).append(op.p50_ms)
    return {key: statistics.fmean(times) for key, times in groups.items()}


def main() -> int:
    """Profile each target twice and print PASS/FAIL per target."""
    from edgebench.agent.engine.opprofile import ProfileSettings, profile_model, spearman
    from edgebench.agent.modeltools.modelfile import inspect_model, load_model

    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--min-secs", type=float, default=0.3)
    args = parser.parse_args()
    settings = ProfileSettings(threads=args.threads, min_secs=args.min_secs)
    failed = 0
    for label, file in TARGETS:
        path = SHARED / "models" / file
        model = load_model(path)
        first = profile_model(model, settings)
        second = profile_model(model, settings)
        ratios = [p.sum_p50_ms / p.whole_p50_ms for p in (first, second)]
        heavy = sorted(first.ops, key=lambda o: -o.p50_ms)[:TOP]
        again = {o.index: o.p50_ms for o in second.ops}
        rho_ops = spearman([o.p50_ms for o in heavy], [again[o.index] for o in heavy]) or 0.0
        mine, theirs = layers(first), layers(second)
        top = sorted(mine, key=lambda k: -mine[k])[:TOP]
        rho = spearman([mine[k] for k in top], [theirs[k] for k in top]) or 0.0
        inspected = [r.macs for r in inspect_model(path).ops]
        macs_equal = [o.macs for o in first.ops] == inspected
        print(f"{label} ({file}), {args.threads} thread(s)")
        for n, p in enumerate((first, second), 1):
            print(
                f"  profile {n}: sum of ops {p.sum_p50_ms:.3f} ms, whole {p.whole_p50_ms:.3f} ms,"
                f" sum/whole {p.sum_p50_ms / p.whole_p50_ms:.3f}"
            )
        print(
            f"  {len(mine)} distinct layers of {len(first.ops)} ops;"
            f" Spearman of the {TOP} heaviest single ops {rho_ops:.3f}"
        )
        if args.threads == 1:
            cpu = cpu_p50_ms(path)
            print(
                f"  diagnostic: whole-model thread CPU p50 {cpu:.3f} ms,"
                f" sum/cpu {first.sum_p50_ms / cpu:.3f}"
            )
        checks = (
            (
                f"sum/whole in [{1 - GAP:.2f}, {1 + GAP:.2f}]",
                all(abs(r - 1) <= GAP for r in ratios),
                " ".join(f"{r:.3f}" for r in ratios),
            ),
            (f"Spearman of the {TOP} heaviest layers >= {RHO}", rho >= RHO, f"{rho:.3f}"),
            ("per-op MACs equal model inspect's", macs_equal, f"{len(inspected)} ops"),
        )
        for name, ok, value in checks:
            print(f"  {'PASS' if ok else 'FAIL'}: {name}: {value}")
            failed += not ok
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
