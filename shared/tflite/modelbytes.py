"""A model's bytes checked, hashed, parsed and analysed in one pass.

The one path from bytes to a ``ModelReport``: the agent's ``modelfile.load_model`` calls
:func:`read_model_bytes` with what it read from a file, the collector's model store calls
:func:`inspect_bytes` with an upload. A failure of the analysis alone (MACs, parameters)
is tolerated by the agent, which can still benchmark the model, and refused by the
collector, which stores a model only with its inspection.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgebench.shared.errors import EdgebenchError
from edgebench.shared.tflite.flatbuf import check_identifier, parse_flatbuffer
from edgebench.shared.tflite.inspect import ModelReport, analyse

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ParsedModel:
    """Parsed bytes: the flatbuffer root, the sha256, and the analysis or why it failed."""

    model: Any
    sha256: str
    report: ModelReport | None
    report_error: str | None = None


def read_model_bytes(data: bytes, path: Path | str) -> ParsedModel:
    """Parse and walk ``data`` (read from ``path``), hash it and run the static analysis.

    Raises a one-line ``EdgebenchError`` for a truncated or corrupt flatbuffer; an
    analysis failure leaves ``report`` None and says why in ``report_error``.
    """
    model = parse_flatbuffer(data, path)
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        report = analyse(model, path=path, size_bytes=len(data), sha256=sha256)
    except Exception as exc:  # the MAC counter follows options the walk does not check
        log.debug("static analysis of %s failed", path, exc_info=True)
        return ParsedModel(model, sha256, None, f"{type(exc).__name__}: {exc}")
    return ParsedModel(model, sha256, report)


def inspect_bytes(data: bytes, name: str, advice: str) -> ModelReport:
    """Check ``data`` is a TFLite model and return its analysis, or raise one line why not.

    ``name`` names the bytes in the message (an upload's file name); ``advice`` says what
    to do instead.
    """
    check_identifier(data, name, advice)
    parsed = read_model_bytes(data, name)
    if parsed.report is None:
        raise EdgebenchError(
            f"{name} parses but its static analysis failed ({parsed.report_error}); {advice}"
        )
    return parsed.report
