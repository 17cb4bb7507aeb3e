"""Files only their owner may read: the fleet's login and its agent's device token.

Written to a temporary file beside the target with mode 0600 and renamed over it, so a
reader never sees half a secret and no other user ever sees any of it.
"""

from __future__ import annotations

import os
from pathlib import Path


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600, replacing an older file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        os.fchmod(out.fileno(), 0o600)  # an older .tmp may have had another mode
        out.write(text)
    tmp.replace(path)
