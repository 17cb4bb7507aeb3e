"""Which model a command received over MQTT may name: never a path or URL of its choosing.

A message must never make a board read a file or URL it names. A ``run`` command's
``model`` may therefore be only:

- nothing (the default generated workload),
- a name from the catalog (``edgebench model list``): generated offline, or hosted at
  the catalog's own URL with its pinned checksum,
- one of the models this board's operator configured (``models`` in the agent's config,
  which the Ansible role fills with the files it deploys), by its entry as written or by
  its file name,
- ``sha256:<64 lowercase hex>``: a model in the collector's model store, fetched from the
  configured ``collector_url`` and verified against that digest (``store``).

Everything else (``../../etc/passwd``, ``/etc/shadow``, ``http://...``, ``sha256:../x``) is
refused before anything is opened; the daemon reports the reason as ``run_failed``.
"""

from __future__ import annotations

from pathlib import PurePath

from edgebench.agent.config import AgentConfig
from edgebench.agent.modeltools.catalog import find_entry
from edgebench.agent.modeltools.resolve import ResolvedModel, resolve_model
from edgebench.agent.modeltools.store import DownloadProgress, load_store_model, store_sha256
from edgebench.shared.errors import EdgebenchError


def configured_names(config: AgentConfig) -> dict[str, str]:
    """Map every name a command may use for a configured model to its config entry."""
    names: dict[str, str] = {}
    for entry in config.models:
        names[entry] = entry
        path = PurePath(entry)
        if entry.endswith(".tflite") or len(path.parts) > 1:
            names.setdefault(path.name, entry)
            names.setdefault(path.stem, entry)
    return names


def resolve_commanded_model(
    spec: str | None, config: AgentConfig, progress: DownloadProgress | None = None
) -> ResolvedModel:
    """Resolve a command's model if the command may name it, else raise EdgebenchError.

    ``progress`` hears about a store model's download, if one is needed.
    """
    if spec is None:
        return resolve_model(None, config)
    digest = store_sha256(spec)
    if digest is not None:
        # Results name it as the command did; ModelInfo.sha256 says the same, verified.
        return ResolvedModel(load_store_model(digest, config, progress), spec, "file")
    configured = configured_names(config).get(spec)
    if configured is not None:
        return resolve_model(configured, config)
    if find_entry(spec) is not None:
        return resolve_model(spec, config)
    raise EdgebenchError(
        f"command model {spec[:200]!r} refused: a command may name a catalog model "
        "(edgebench model list), one of this board's configured models or a store model "
        "(sha256:<64 hex>), never another file or a URL"
    )
