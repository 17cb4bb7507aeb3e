"""``edgebench model build``: generate a MobileNet or EfficientNet-Lite model offline (no TF)."""

from __future__ import annotations

from pathlib import Path

import click

from edgebench.agent.modeltools.generator.build import model_config
from edgebench.shared.errors import EdgebenchError


@click.command()
@click.argument("family", metavar="FAMILY")
@click.option("--alpha", type=float, help="Width multiplier α of a MobileNet [default: 1.0].")
@click.option(
    "--resolution",
    type=int,
    help="Input height and width [default: 224; EfficientNet-Lite: the variant's own].",
)
@click.option("--variant", type=int, help="EfficientNet-Lite variant 0-4 [default: 0].")
@click.option("--size", help="MobileNetV3 size: large or small [default: large].")
@click.option(
    "--minimalistic", is_flag=True, help="MobileNetV3 without SE, hard-swish and 5×5 kernels."
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
    *,
    family: str,
    alpha: float | None,
    resolution: int | None,
    variant: int | None,
    size: str | None,
    minimalistic: bool,
    quant: str,
    seed: int,
    output: Path | None,
) -> None:
    """Write FAMILY with random weights as a TFLite file.

    FAMILY is mobilenet_v1, mobilenet_v2, mobilenet_v3 (--size, --minimalistic) or
    efficientnet_lite (--variant). The architecture, tensor shapes, MACs and parameter
    count equal the published model of the same configuration; only weight values differ,
    which int8 inference time does not depend on. The same options always give a
    byte-identical file.
    """
    from edgebench.agent.fileout import write_atomic
    from edgebench.agent.modeltools.generator.build import build_model_bytes
    from edgebench.agent.modeltools.generator.families import ARCHS, family_arch

    arch = family_arch(family, variant=variant, size=size, minimalistic=minimalistic)
    spec = ARCHS[arch]
    if alpha is not None and not spec.has_alpha:
        raise EdgebenchError(f"{spec.family} scales by --variant, not --alpha")
    resolution = spec.default_resolution if resolution is None else resolution
    config = model_config(arch, 1.0 if alpha is None else alpha, resolution, quant, seed)
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
