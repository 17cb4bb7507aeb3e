"""Count every published MobileNetV3 / EfficientNet-Lite configuration and compare with its table.

Builds each configuration the papers and READMEs give figures for (int8, seed 0), counts it
with ``inspect_model`` (the MACs of conv/depthwise/FC, all parameters incl. biases), and prints
a Markdown table of counted vs published MACs and parameters with the relative difference,
plus the conv/depthwise output elements that explain EfficientNet-Lite's MAC gap
(docs/generator.md). PASS when every figure is within 7 %, except those listed in
``published.NOT_FROM_ARCHITECTURE``; exit 1 otherwise. No timing, no network.

    .venv/bin/python bench/families_vs_published.py
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

from edgebench.agent.modeltools.generator.build import build_model_bytes, model_config
from edgebench.agent.modeltools.modelfile import inspect_model
from edgebench.shared.published import NOT_FROM_ARCHITECTURE, PUBLISHED, source

TOLERANCE = 0.07


def main() -> int:
    """Print the comparison table and the verdict; return the exit status."""
    failed = []
    print(
        "| configuration | M MACs counted / published | Δ | M params counted / published | Δ "
        "| conv outputs M | source |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.tflite"
        for (arch, alpha, resolution), row in PUBLISHED.items():
            if not arch.startswith(("mobilenet_v3", "efficientnet_lite")):
                continue
            config = model_config(arch, alpha, resolution, "int8")
            path.write_bytes(build_model_bytes(config))
            report = inspect_model(path)
            macs, params = report.conv_fc_macs / 1e6, report.params / 1e6
            outputs = sum(
                math.prod(r.output_shape)
                for r in report.ops
                if r.op in ("CONV_2D", "DEPTHWISE_CONV_2D")
            )
            assert row.macs_m and row.params_m
            print(
                f"| {config.name.removesuffix('_int8')} | {macs:.1f} / {row.macs_m:g} "
                f"| {macs / row.macs_m - 1:+.1%} | {params:.3f} / {row.params_m:g} "
                f"| {params / row.params_m - 1:+.1%} | {outputs / 1e6:.2f} | {source(arch)} |"
            )
            exempt = NOT_FROM_ARCHITECTURE.get((arch, alpha, resolution))
            for what, counted, given in (
                ("macs", macs, row.macs_m),
                ("params", params, row.params_m),
            ):
                if what != exempt and abs(counted / given - 1) > TOLERANCE:
                    failed.append(f"{config.name} {what}")
    print("PASS" if not failed else f"FAIL: beyond {TOLERANCE:.0%}: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
