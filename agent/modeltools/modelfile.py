"""A model file read once: checked, hashed, parsed and analysed from one read of its bytes.

``load_model(path)`` is the only place a ``.tflite`` file is opened for a run (and for
``model inspect``): ``shared.tflite.flatbuf.check_model_file`` reads it, and
``shared.tflite.modelbytes.read_model_bytes`` (the inspector the collector checks uploads
with) hashes the bytes in memory, parses and analyses them; the bytes are kept, because
the interpreter is built from the same bytes (``model_content``). So the sha256 in a
result names exactly what ran, and a run reads the file once however many steps look at it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from edgebench.shared.errors import EdgebenchError
from edgebench.shared.tflite.flatbuf import check_model_file
from edgebench.shared.tflite.inspect import ModelReport
from edgebench.shared.tflite.modelbytes import read_model_bytes


@dataclass(frozen=True)
class LoadedModel:
    """One checked model file: its bytes, their hash and size, and the static analysis."""

    path: Path
    # The file's bytes: parsed here and handed to the interpreter as model_content.
    data: bytes = field(repr=False)
    sha256: str
    # None when the static analysis failed; ``report_error`` says why.
    report: ModelReport | None = None
    report_error: str | None = None

    @property
    def size_bytes(self) -> int:
        """Size of the file in bytes."""
        return len(self.data)

    def checked_report(self) -> ModelReport:
        """Return the static analysis, or raise a one-line ``EdgebenchError`` if it failed."""
        if self.report is None:
            raise EdgebenchError(
                f"{self.path} parses but its static analysis failed ({self.report_error}); "
                "the file may be corrupt: download or build it again"
            )
        return self.report


def load_model(path: Path) -> LoadedModel:
    """Read ``path`` once and check, hash, parse and analyse it.

    Raises a one-line ``EdgebenchError`` for a missing, unreadable, non-TFLite, truncated
    or corrupt file. A failure of the analysis alone (MACs, parameters) does not cost the
    user a benchmark: it leaves ``report`` None and says why in ``report_error``.
    """
    path = Path(path)
    data = check_model_file(path)
    parsed = read_model_bytes(data, path)
    return LoadedModel(path, data, parsed.sha256, parsed.report, parsed.report_error)


def inspect_model(path: Path) -> ModelReport:
    """Read and analyse ``path``; raise a one-line ``EdgebenchError`` if either fails."""
    return load_model(path).checked_report()
