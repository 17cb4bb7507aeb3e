"""Compare the latency of the generated MobileNetV2 1.0/224 with the pretrained files.

Runs each pair (uint8 generated vs mobilenet_v2_1.0_224_quant.tflite, int8 generated vs
tf2_mobilenet_v2_1.0_224_ptq.tflite) in the same process, same LiteRT backend and thread
count, alternating models in short rounds so drift (temperature, other load) hits both
equally. PASS when every pair's p50 ratio (generated / pretrained) lies in [0.9, 1.1].

    .venv/bin/python bench/generated_vs_pretrained.py [--threads 1] [--rounds 60] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = Path(os.environ.get("EDGEBENCH_SHARED", ROOT.parent / "shared")) / "models"
PAIRS = (
    ("uint8", "mobilenet_v2_1.0_224_quant.tflite"),
    ("int8", "tf2_mobilenet_v2_1.0_224_ptq.tflite"),
)
LOW, HIGH = 0.9, 1.1


def _interpreter(path: Path, threads: int):  # noqa: ANN202 (LiteRT type is internal)
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(path), num_threads=threads)
    it.allocate_tensors()
    detail = it.get_input_details()[0]
    x = np.random.default_rng(0).integers(0, 256, detail["shape"]).astype(detail["dtype"])
    it.set_tensor(detail["index"], x)
    for _ in range(5):
        it.invoke()
    return it


def _measure(it, runs: int) -> list[float]:  # noqa: ANN001
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        it.invoke()
        out.append((time.perf_counter() - start) * 1000.0)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--runs", type=int, default=5, help="invokes per model per round")
    args = parser.parse_args()

    from edgebench.agent.modeltools.generator.cache import cached_build

    cache = Path(tempfile.mkdtemp(prefix="edgebench-bench-"))
    ok = True
    print(
        f"# {platform.machine()} {platform.processor() or ''} cpus={os.cpu_count()} "
        f"threads={args.threads} rounds={args.rounds} runs/round={args.runs}"
    )
    print("| quant | generated p50 ms | pretrained p50 ms | ratio | verdict |")
    print("| --- | --- | --- | --- | --- |")
    for quant, reference in PAIRS:
        generated = cached_build(cache, "mobilenet_v2", 1.0, 224, quant, 0)
        models = {"generated": _interpreter(generated, args.threads)}
        models["pretrained"] = _interpreter(MODELS / reference, args.threads)
        samples: dict[str, list[float]] = {name: [] for name in models}
        for round_index in range(args.rounds):
            # Alternate which model goes first so neither always runs on a cooler CPU.
            order = list(models) if round_index % 2 == 0 else list(reversed(models))
            for name in order:
                samples[name].extend(_measure(models[name], args.runs))
        p50 = {name: statistics.median(values) for name, values in samples.items()}
        ratio = p50["generated"] / p50["pretrained"]
        verdict = "PASS" if LOW <= ratio <= HIGH else "FAIL"
        ok &= verdict == "PASS"
        print(
            f"| {quant} vs {reference} | {p50['generated']:.2f} | {p50['pretrained']:.2f} "
            f"| {ratio:.3f} | {verdict} |"
        )
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
