"""Files the agent writes for the user (results, models): atomic, readable, JSON-safe.

Every output goes through a temporary file in the same folder and ``os.replace``, so a
reader (the collector's file import, another sweep, a cache hit) never sees half a file.
``tempfile.mkstemp`` creates files with mode 0600; outputs get the usual mode that the
umask allows (0644 with the common 022), as ``open()`` would give, so a result written by
the agent's service account can be read by the user who fetches it.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from edgebench.shared.errors import EdgebenchError


def finite(value: Any) -> Any:
    """Replace NaN/infinity (a sensor glitch) by None, recursively: JSON cannot hold them."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [finite(item) for item in value]
    return value


def json_bytes(document: dict[str, Any]) -> bytes:
    """Indented JSON of ``document`` with non-finite numbers as null, ending in a newline."""
    return (json.dumps(finite(document), indent=2, allow_nan=False) + "\n").encode()


def _file_mode() -> int:
    """Return the mode ``open()`` would give a new file under the current umask."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def write_atomic(path: Path, data: bytes, *, what: str = "", make_parents: bool = True) -> None:
    """Write ``data`` to ``path`` via a temporary file and a rename (no torn files).

    ``what`` names the output in the error (e.g. "--json"); a failure raises one
    ``EdgebenchError`` line and leaves no temporary file behind.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path()
    tmp_name = None
    try:
        if make_parents:
            directory.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, _file_mode())
        os.replace(tmp_name, path)
        tmp_name = None
    except OSError as exc:
        label = f"{what} {path}" if what else str(path)
        raise EdgebenchError(
            f"cannot write {label}: {exc.strerror or exc}; choose a writable path with free space"
        ) from None
    finally:
        if tmp_name is not None:
            Path(tmp_name).unlink(missing_ok=True)
