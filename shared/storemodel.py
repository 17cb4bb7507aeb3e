"""How a command or a campaign names a model of the collector's model store.

The store names a model by the sha256 of its bytes; a command names it ``sha256:`` and
those 64 lowercase hex digits (docs/model-store.md). The agent, the collector's store and
its campaigns all check names here, so a name one accepts the others accept too, and a
name like ``sha256:../x`` can never become a path.
"""

from __future__ import annotations

import re

STORE_PREFIX = "sha256:"
_HEX64 = re.compile(r"[0-9a-f]{64}")


def is_sha256(text: str) -> bool:
    """Return whether ``text`` is exactly 64 lowercase hex digits (a sha256 as stored)."""
    return _HEX64.fullmatch(text) is not None


def store_name(sha256: str) -> str:
    """Return the name a command gives the stored model ``sha256``."""
    return STORE_PREFIX + sha256


def store_digest(name: str) -> str | None:
    """Return the sha256 a well-formed ``sha256:<64 hex>`` name holds, else None."""
    digest = name.removeprefix(STORE_PREFIX)
    return digest if name.startswith(STORE_PREFIX) and is_sha256(digest) else None
