"""Compare the latency of the generated MobileNetV2 1.0/224 with the pretrained files.

Runs each pair (uint8 generated vs mobilenet_v2_1.0_224_quant.tflite, int8 generated vs
tf2_mobilenet_v2_1.0_224_ptq.tflite) in the same process, same LiteRT backend and thread
count, alternating models in short rounds so drift (temperature, other load) hits both
equally. PASS when every pair's p50 ratio (generated / pretrained) lies in [0.9, 1.1]; the
ratio judged is the median over rounds of (generated median / pretrained median), which
cancels load from other processes far better than the ratio of pooled medians (also shown).

    .venv/bin/python bench/generated_vs_pretrained.py [--threads 1] [--rounds 60] [--runs 5]

With ``--structure`` it instead prints, without timing anything, how each generated model
compares with its pretrained counterpart (all four reference files): operator sequence and
output shapes, MACs, parameters and file size.
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
# Reference file -> generated configuration with the same architecture and layout.
TWINS = {
    "mobilenet_v2_1.0_224_quant.tflite": ("mobilenet_v2", 1.0, 224, "uint8"),
    "tf2_mobilenet_v2_1.0_224_ptq.tflite": ("mobilenet_v2", 1.0, 224, "int8"),
    "mobilenet_v1_0.25_128_quant.tflite": ("mobilenet_v1", 0.25, 128, "uint8"),
    "mobilenet_v1_0.5_160_quant.tflite": ("mobilenet_v1", 0.5, 160, "uint8"),
}


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


def structure(cache: Path) -> int:
    """Print the static comparison table; return 1 if any pair differs."""
    from edgebench.agent.modeltools.generator.cache import cached_build
    from edgebench.agent.modeltools.modelfile import inspect_model

    print(
        "| pretrained file | generated | ops (same sequence+shapes) | M MACs gen / real "
        "| params gen / real | MB gen / real |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    same_all = True
    for reference, (arch, alpha, resolution, quant) in TWINS.items():
        generated = cached_build(cache, arch, alpha, resolution, quant, 0)
        mine, real = inspect_model(generated), inspect_model(MODELS / reference)
        rows_mine = [(r.op, r.output_shape, r.macs, r.params) for r in mine.ops]
        rows_real = [(r.op, r.output_shape, r.macs, r.params) for r in real.ops]
        same = rows_mine == rows_real and mine.params == real.params and mine.macs == real.macs
        same_all &= same
        print(
            f"| {reference} | {arch} {alpha}/{resolution} {quant} "
            f"| {mine.op_count} / {real.op_count} {'same' if same else 'DIFFERENT'} "
            f"| {mine.conv_fc_macs / 1e6:.2f} / {real.conv_fc_macs / 1e6:.2f} "
            f"| {mine.params:,} / {real.params:,} "
            f"| {mine.size_bytes / 1e6:.2f} / {real.size_bytes / 1e6:.2f} |"
        )
    published(cache)
    print("PASS" if same_all else "FAIL")
    return 0 if same_all else 1


def published(cache: Path) -> None:
    """Print generated MACs/params next to the slim tables (hardware.md §5), if present."""
    import re

    from edgebench.agent.modeltools.generator.cache import cached_build
    from edgebench.agent.modeltools.modelfile import inspect_model

    reference = MODELS.parent / "reference" / "hardware.md"
    if not reference.exists():
        return
    rows = re.findall(
        r"\| (mobilenet_v2|MobileNet_v1)_([\d.]+)_(\d+) \| (\d+) \| ([\d.]+) \|",
        reference.read_text(),
    )
    print()
    print("| published model | M MACs published / generated | M params published / generated |")
    print("| --- | --- | --- |")
    for arch, alpha, resolution, macs, params in rows:
        path = cached_build(cache, arch.lower(), float(alpha), int(resolution), "int8", 0)
        report = inspect_model(path)
        print(
            f"| {arch}_{alpha}_{resolution} | {macs} / {report.conv_fc_macs / 1e6:.1f} "
            f"| {params} / {report.params / 1e6:.3f} |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--runs", type=int, default=5, help="invokes per model per round")
    parser.add_argument("--structure", action="store_true", help="compare structure only")
    args = parser.parse_args()

    from edgebench.agent.modeltools.generator.cache import cached_build

    cache = Path(tempfile.mkdtemp(prefix="edgebench-bench-"))
    if args.structure:
        return structure(cache)
    ok = True
    load = os.getloadavg()[0]
    print(
        f"# {platform.machine()} cpus={os.cpu_count()} load={load:.1f} "
        f"threads={args.threads} rounds={args.rounds} runs/round={args.runs}"
    )
    if load > (os.cpu_count() or 1):
        # Other processes preempt interpreter threads; multi-threaded runs suffer most.
        print("# warning: the machine is busy (load above core count); figures are noisy")
    print(
        "| pair | generated p50 ms | pretrained p50 ms | pooled p50 ratio "
        "| paired p50 ratio | verdict |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for quant, reference in PAIRS:
        generated = cached_build(cache, "mobilenet_v2", 1.0, 224, quant, 0)
        models = {"generated": _interpreter(generated, args.threads)}
        models["pretrained"] = _interpreter(MODELS / reference, args.threads)
        samples: dict[str, list[float]] = {name: [] for name in models}
        round_ratios = []
        for round_index in range(args.rounds):
            # Alternate which model goes first so neither always runs on a cooler CPU.
            order = list(models) if round_index % 2 == 0 else list(reversed(models))
            medians = {}
            for name in order:
                times = _measure(models[name], args.runs)
                samples[name].extend(times)
                medians[name] = statistics.median(times)
            round_ratios.append(medians["generated"] / medians["pretrained"])
        p50 = {name: statistics.median(values) for name, values in samples.items()}
        pooled = p50["generated"] / p50["pretrained"]
        # The verdict uses the median of per-round ratios: both models of a round ran
        # back to back, so load from other processes mostly cancels out.
        paired = statistics.median(round_ratios)
        verdict = "PASS" if LOW <= paired <= HIGH else "FAIL"
        ok &= verdict == "PASS"
        print(
            f"| {quant} vs {reference} | {p50['generated']:.2f} | {p50['pretrained']:.2f} "
            f"| {pooled:.3f} | {paired:.3f} | {verdict} |"
        )
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
