"""The generated models the collector lists beside uploaded ones (``GET /api/models``).

The collector cannot import the agent's catalog (a server installs only the collector),
so it lists what ``edgebench.shared.published`` knows: every generated architecture,
width and resolution with published MACs, parameters and top-1, in both quantizations,
under the name a command gives it (``gen-mobilenet_v2_1.0_224_int8``). Every board can
build these offline. Not listed: the agent's hosted (downloaded) catalog entries and the
generator's configurations without a published row; a command may still name them
(``edgebench model list`` on a board shows them all).
"""

from __future__ import annotations

from typing import Any

from edgebench.shared.published import PUBLISHED, TOP1_LABEL, family_of

QUANTS = ("int8", "uint8")


def generated_name(arch: str, alpha: float, resolution: int, quant: str) -> str:
    """Name a generated configuration as the agent's catalog does.

    The agent's rule (``generator.build.config_name``): EfficientNet-Lite names carry no
    width. ``tests/collector/test_models_api.py`` checks every name here against the
    agent's catalog.
    """
    alpha_text = f"{alpha:g}" if "." in f"{alpha:g}" else f"{alpha:g}.0"
    width = "" if family_of(arch) == "efficientnet_lite" else f"_{alpha_text}"
    return f"gen-{arch}{width}_{resolution}_{quant}"


def generated_models() -> list[dict[str, Any]]:
    """Return every published generated configuration, in both quantizations, by name."""
    items = []
    for (arch, alpha, resolution), row in sorted(PUBLISHED.items()):
        for quant in QUANTS:
            items.append(
                {
                    "name": generated_name(arch, alpha, resolution, quant),
                    "kind": "generated",
                    "model": generated_name(arch, alpha, resolution, quant),
                    "family": family_of(arch),
                    "arch": arch,
                    "alpha": alpha,
                    "resolution": resolution,
                    "quant": quant,
                    "published_macs_m": row.macs_m,
                    "published_params_m": row.params_m,
                    "published_top1": row.top1,
                    "top1_label": TOP1_LABEL,
                }
            )
    return items
