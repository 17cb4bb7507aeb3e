"""One PUBLISH as the collector received it: the decoded message, or why it was refused.

Made in the receiver process (``ingest/receiver.py``) and sent to the writer in batches
(:func:`pack`, :func:`unpack`), so this module imports nothing heavy.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from typing import Any

import msgspec

from edgebench.shared.messages import Message

# Table rows cross the pipe as msgpack: for tuples of numbers it is cheaper to encode and
# decode than pickle (10-15 % for the pipe stage: bench/ingest_stages.py).
_encode_rows = msgspec.msgpack.Encoder().encode
_decode_rows = msgspec.msgpack.Decoder(list[tuple]).decode
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


def pack(items: list[Received]) -> bytes:
    """Encode a batch for the receiver's pipe (takes the items: their rows are moved out)."""
    rows = [None if item.rows is None else _encode_rows(item.rows) for item in items]
    for item in items:
        item.rows = None
    return pickle.dumps((items, rows), protocol=pickle.HIGHEST_PROTOCOL)


def unpack(data: bytes) -> list[Received]:
    """Decode a batch that :func:`pack` encoded (from our own receiver process only)."""
    items, rows = pickle.loads(data)  # noqa: S301 - written by our child process
    for item, packed in zip(items, rows, strict=True):
        if packed is not None:
            item.rows = _decode_rows(packed)
    return items
