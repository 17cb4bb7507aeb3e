"""Generated models cached on disk by configuration, seed and generator version."""

from __future__ import annotations

from pathlib import Path

from edgebench.agent.fileout import write_atomic
from edgebench.agent.modeltools.generator.build import build_model_bytes, model_config


def cached_build(  # noqa: PLR0917 (signature fixed in docs/architecture.md)
    cache_dir: Path, arch: str, alpha: float, resolution: int, quant: str, seed: int = 0
) -> Path:
    """Return the path of the generated model, building and caching it on first use.

    The file lives in ``cache_dir/generated/`` under a name that encodes the configuration,
    the seed and the generator version, and is written atomically, so concurrent callers
    and interrupted builds never leave a partial model behind.
    """
    config = model_config(arch, alpha, resolution, quant, seed)
    path = Path(cache_dir) / "generated" / config.file_name
    if not path.is_file():
        write_atomic(path, build_model_bytes(config))
    return path
