"""Models from the collector's model store, named ``sha256:<64 hex>`` by a command.

A store model is fetched from ``{collector_url}/api/models/<sha256>/file`` with this
board's device token (``collector_token_file``), into a temporary file under
``<state_dir>/models/``, checked against the sha256 it is named by, fsynced and renamed
to ``<sha256>.tflite``. The URL is always built from the agent's config and the validated
hex digits, never taken from a message, and redirects are refused (they would carry the
token elsewhere). The cached file is checked again each time it is used (``load_store_model``
reads it once, and that one read is what is hashed and run): a file that no longer matches
its name is deleted and the command refused.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from edgebench.agent.config import AgentConfig
from edgebench.agent.modeltools.download import download, file_sha256
from edgebench.agent.modeltools.modelfile import LoadedModel, load_model
from edgebench.shared.errors import EdgebenchError
from edgebench.shared.storemodel import STORE_PREFIX, is_sha256

# The collector refuses uploads over collector.max_model_mb (64 by default); the agent's
# own cap is looser so a raised server limit still works, yet bounds what a board stores.
MAX_STORE_MODEL_BYTES = 256 * 1024 * 1024
# Per socket operation, and for the whole download (a slow trickle must not hold the
# board's one command slot for ever).
TIMEOUT_S = 30.0
DEADLINE_S = 600.0

# Called with (bytes so far, elapsed seconds) while a model downloads.
DownloadProgress = Callable[[int, float], None]


def store_sha256(spec: str) -> str | None:
    """Return the hex digest a ``sha256:<hex>`` name holds, None for other names.

    Raises EdgebenchError for a ``sha256:`` name whose rest is not 64 lowercase hex digits
    (``sha256:../x`` must never become a path).
    """
    if not spec.startswith(STORE_PREFIX):
        return None
    digest = spec[len(STORE_PREFIX) :]
    if not is_sha256(digest):
        raise EdgebenchError(
            f"command model {spec[:200]!r} refused: a store model is named sha256: followed "
            "by 64 lowercase hexadecimal digits"
        )
    return digest


def store_dir(config: AgentConfig) -> Path:
    """Where store models are cached: ``<state_dir>/models``."""
    return config.state_dir / "models"


def load_store_model(
    digest: str, config: AgentConfig, progress: DownloadProgress | None = None
) -> LoadedModel:
    """Return the store model ``digest``, fetched if not cached, verified as it is read."""
    path = store_dir(config) / f"{digest}.tflite"
    if not path.is_file():
        _fetch(digest, path, config, progress)
    try:
        model = load_model(path)  # the one read: what is hashed here is what runs
    except EdgebenchError:
        # Damaged so badly it does not parse: still say (and clean up) what happened.
        actual = file_sha256(path)
        if actual != digest:
            _refuse_cached(path, digest, actual)
        raise
    if model.sha256 != digest:
        _refuse_cached(path, digest, model.sha256)
    return model


def _refuse_cached(path: Path, digest: str, actual: str) -> NoReturn:
    """Delete a cached store model that no longer matches its name, and refuse it."""
    path.unlink(missing_ok=True)
    raise EdgebenchError(
        f"sha256 mismatch: the cached store model {digest} now hashes to {actual}; "
        "the file was deleted and the command refused (a new command fetches it again)"
    )


def _fetch(
    digest: str, final: Path, config: AgentConfig, progress: DownloadProgress | None
) -> None:
    """Download ``digest`` from the collector into ``final``, only if its bytes match."""
    if config.collector_url is None or config.collector_token_file is None:
        raise EdgebenchError(
            f"store model sha256:{digest} is not cached on this board and it cannot fetch "
            "it: set collector_url and collector_token_file in the agent's config"
        )
    token = _read_token(config.collector_token_file)
    url = f"{config.collector_url.rstrip('/')}/api/models/{digest}/file"
    final.parent.mkdir(parents=True, exist_ok=True)
    # A unique temporary name: a half-written file never has the final name.
    fd, name = tempfile.mkstemp(dir=final.parent, prefix=f".{digest[:16]}-", suffix=".part")
    os.close(fd)
    part = Path(name)
    started = time.monotonic()
    try:
        download(
            url,
            part,
            name=f"store model sha256:{digest}",
            hint="Check collector_url, collector_token_file and that the collector's model "
            "store holds this model.",
            timeout_s=TIMEOUT_S,
            headers={"Authorization": f"Bearer {token}"},
            max_bytes=MAX_STORE_MODEL_BYTES,
            deadline_s=DEADLINE_S,
            resume=False,
            follow_redirects=False,
            progress=(lambda done, _total: progress(done, time.monotonic() - started))
            if progress is not None
            else None,
        )
        actual = file_sha256(part)
        if actual != digest:
            raise EdgebenchError(
                f"sha256 mismatch: the collector sent bytes hashing to {actual} for store "
                f"model {digest}; the download was deleted and the command refused"
            )
        os.replace(part, final)
    finally:
        part.unlink(missing_ok=True)
    _fsync_dir(final.parent)


def _read_token(path: Path) -> str:
    """Read the device token (one line) from its file."""
    try:
        token = path.read_text().strip()
    except OSError as exc:
        raise EdgebenchError(
            f"cannot read collector_token_file {path}: {exc.strerror or exc}"
        ) from None
    if not token or any(c.isspace() for c in token):
        raise EdgebenchError(f"collector_token_file {path} must hold one token on one line")
    return token


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable (the directory entry), where the platform allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
