"""Every architecture the generator builds, and how a family plus its options names one.

An *architecture* is one concrete network (``mobilenet_v3_small_minimalistic``,
``efficientnet_lite3``) built by ``build(graph, alpha, resolution)``. A *family* is what a
user names on the command line (``mobilenet_v3 --size small --minimalistic``,
``efficientnet_lite --variant 3``); ``family_arch`` turns one into the other. What "width"
means differs by family: the multiplier α for the MobileNets, the variant (compound scaling of
width, depth and resolution together) for EfficientNet-Lite, whose α is always 1.0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from edgebench.agent.modeltools.generator import (
    efficientnet_lite,
    mobilenet_v1,
    mobilenet_v2,
    mobilenet_v3,
)
from edgebench.shared.errors import EdgebenchError

if TYPE_CHECKING:
    from edgebench.agent.modeltools.generator.heads import NetBuilder

FAMILIES = ("mobilenet_v1", "mobilenet_v2", "mobilenet_v3", "efficientnet_lite")
V3_SIZES = mobilenet_v3.SIZES
LITE_VARIANTS = tuple(efficientnet_lite.VARIANTS)


@dataclass(frozen=True)
class Arch:
    """One buildable network: its family, widths, input sizes and graph function."""

    family: str
    build: Callable[[NetBuilder, float, int], None]
    alphas: tuple[float, ...]
    resolutions: tuple[int, ...]
    default_resolution: int = 224

    @property
    def has_alpha(self) -> bool:
        """False where the name carries no width multiplier (EfficientNet-Lite)."""
        return self.family != "efficientnet_lite"


def _v3_name(size: str, minimalistic: bool) -> str:
    return f"mobilenet_v3_{size}" + ("_minimalistic" if minimalistic else "")


def _lite(variant: int) -> Arch:
    def build(g: NetBuilder, _alpha: float, resolution: int) -> None:
        efficientnet_lite.build(g, variant, resolution)

    native = efficientnet_lite.VARIANTS[variant].resolution
    return Arch("efficientnet_lite", build, (1.0,), efficientnet_lite.RESOLUTIONS, native)


ARCHS: dict[str, Arch] = {
    "mobilenet_v2": Arch(
        "mobilenet_v2", mobilenet_v2.build, mobilenet_v2.ALPHAS, mobilenet_v2.RESOLUTIONS
    ),
    "mobilenet_v1": Arch(
        "mobilenet_v1", mobilenet_v1.build, mobilenet_v1.ALPHAS, mobilenet_v1.RESOLUTIONS
    ),
    **{
        _v3_name(size, minimal): Arch(
            "mobilenet_v3",
            partial(mobilenet_v3.build, size=size, minimalistic=minimal),
            mobilenet_v3.ALPHAS,
            mobilenet_v3.RESOLUTIONS,
        )
        for size in V3_SIZES
        for minimal in (False, True)
    },
    **{f"efficientnet_lite{v}": _lite(v) for v in LITE_VARIANTS},
}


def family_arch(
    family: str,
    *,
    variant: int | None = None,
    size: str | None = None,
    minimalistic: bool = False,
) -> str:
    """Name the architecture a family and its options select; one-line errors for the rest.

    An architecture name (``mobilenet_v3_small``) is accepted as its own family.
    """
    if family in ARCHS and family not in FAMILIES:
        if variant is not None or size is not None or minimalistic:
            raise EdgebenchError(
                f"{family} is one architecture already; drop --variant, --size, --minimalistic"
            )
        return family
    if family not in FAMILIES:
        raise EdgebenchError(f"unknown architecture {family!r}; supported: {', '.join(FAMILIES)}")
    if variant is not None and family != "efficientnet_lite":
        raise EdgebenchError(f"--variant is for efficientnet_lite; {family} has none")
    if (size is not None or minimalistic) and family != "mobilenet_v3":
        raise EdgebenchError(f"--size and --minimalistic are for mobilenet_v3; not {family}")
    if family == "efficientnet_lite":
        chosen = 0 if variant is None else variant
        if chosen not in LITE_VARIANTS:
            raise EdgebenchError(
                f"efficientnet_lite has no variant {chosen}; supported: "
                + ", ".join(map(str, LITE_VARIANTS))
            )
        return f"efficientnet_lite{chosen}"
    if family == "mobilenet_v3":
        chosen_size = size or "large"
        if chosen_size not in V3_SIZES:
            raise EdgebenchError(
                f"mobilenet_v3 has no size {chosen_size!r}; supported: {', '.join(V3_SIZES)}"
            )
        return _v3_name(chosen_size, minimalistic)
    return family


def family_archs(family: str, variants: list[int] | None = None) -> list[str]:
    """List the architectures a sweep's family means: both V3 sizes, the chosen Lite variants.

    ``variants`` (EfficientNet-Lite's width axis) must come with ``efficientnet_lite``.
    """
    if family == "mobilenet_v3":
        return [_v3_name(size, False) for size in V3_SIZES]
    if family == "efficientnet_lite":
        return [family_arch(family, variant=v) for v in (variants or [0])]
    return [family_arch(family)]
