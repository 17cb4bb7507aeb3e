"""One PUBLISH as the collector received it: the decoded message, or why it was refused.

Made in the receiver process (``ingest/receiver.py``) and pickled to the writer, so this
module imports nothing heavy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from edgebench.shared.messages import Message

EXCERPT_BYTES = 256
MAX_EXCERPT_CHARS = 1000
MAX_REASON_CHARS = 500
MAX_TOPIC_CHARS = 500


@dataclass
class Received:
    """One PUBLISH as the subscriber saw it: the decoded message, or why it was refused.

    ``token`` is opaque to storage: the writer hands it back to the subscriber once the
    batch holding this message is committed, and only then is the message acknowledged.
    ``rows`` are a samples message's table rows, built in the receiver process
    (``sample_rows.sample_rows``); None leaves that to planning.
    """

    topic: str
    received_at: float
    size: int
    message: Message | None = None
    error: str | None = None
    excerpt: str = ""
    token: Any = None
    rows: list[tuple[Any, ...]] | None = None


def excerpt_of(payload: bytes) -> str:
    """Return a short, printable, NUL-free excerpt of an untrusted payload."""
    head = payload[:EXCERPT_BYTES].decode("utf-8", errors="backslashreplace")
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in head)
    text = text[:MAX_EXCERPT_CHARS]
    return text + ("..." if len(payload) > EXCERPT_BYTES else "")


def refused(topic: str, payload: bytes, received_at: float, reason: str) -> Received:
    """Build the :class:`Received` for a payload that failed validation."""
    return Received(
        topic=topic,
        received_at=received_at,
        size=len(payload),
        error=reason,
        excerpt=excerpt_of(payload),
    )
