"""``edgebench model build``: generate a MobileNet TFLite model offline (no TensorFlow)."""

from __future__ import annotations

from pathlib import Path

import click

from edgebench.agent.modeltools.generator.build import model_config
from edgebench.shared.errors import EdgebenchError


@click.command()
@click.argument("arch", metavar="ARCH")
@click.option("--alpha", type=float, default=1.0, show_default=True, help="Width multiplier α.")
@click.option(
    "--resolution", type=int, default=224, show_default=True, help="Input height and width."
)
@click.option(
    "--quant",
    default="int8",
    show_default=True,
    help="int8 (TF2 post-training layout), uint8 (TF1 QAT layout) or float32.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random weights.")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Output .tflite file (default: <arch>_<alpha>_<resolution>_<quant>.tflite).",
)
def build(
    *, arch: str, alpha: float, resolution: int, quant: str, seed: int, output: Path | None
) -> None:
    """Write ARCH (mobilenet_v1 or mobilenet_v2) with random weights as a TFLite file.

    The architecture, tensor shapes, MACs and parameter count equal the published model
    of the same configuration; only weight values differ, which int8 inference time does
    not depend on. The same options always give a byte-identical file.
    """
    from edgebench.agent.fileout import write_atomic
    from edgebench.agent.modeltools.generator.build import build_model_bytes

    config = model_config(arch, alpha, resolution, quant, seed)
    path = output or Path(f"{config.name}.tflite")
    if path.is_dir():
        raise EdgebenchError(f"{path} is a directory; give a file name with -o")
    data = build_model_bytes(config)
    write_atomic(path, data, what="-o")
    from edgebench.agent.modeltools.modelfile import load_model

    # Read back what was written: the summary describes the file on disk.
    written = load_model(path)
    report = written.checked_report()
    click.echo(
        f"wrote {path}: {config.name} seed {seed}, {written.size_bytes / 1e6:.2f} MB, "
        f"{report.conv_fc_macs / 1e6:.1f} M MACs, {report.params / 1e6:.3f} M params, "
        f"sha256 {written.sha256[:16]}"
    )
