"""Route the interpreter's native INFO lines on stderr to logging.

LiteRT's C++ logger writes "INFO: Created TensorFlow Lite XNNPACK delegate for CPU."
straight to file descriptor 2 when a model is prepared, even with ``--quiet``, and
it has no switch for it (TF_CPP_MIN_LOG_LEVEL does not reach this logger). While the
interpreter is built, fd 2 is pointed at a pipe that a thread reads line by line:
lines starting with "INFO: " go to ``logging`` (visible with ``edgebench -v``); every
other line (warnings, errors) is passed through to the real stderr at once, so a
crash inside the runtime still shows its message. Whether XNNPACK was applied is
read from the graph, not from this line (``backends.xnnpack_applied``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Iterator

log = logging.getLogger(__name__)

INFO_PREFIX = b"INFO: "


def _pump(read_fd: int, out_fd: int, source: str) -> None:
    """Forward lines from ``read_fd``: INFO lines to logging, the rest to ``out_fd``."""
    with os.fdopen(read_fd, "rb", buffering=0) as pipe:
        for line in iter(pipe.readline, b""):
            if line.startswith(INFO_PREFIX):
                log.info(
                    "%s: %s", source, line[len(INFO_PREFIX) :].decode(errors="replace").rstrip()
                )
            else:
                os.write(out_fd, line)


@contextlib.contextmanager
def native_info_to_log(source: str) -> Iterator[None]:
    """While inside, route native "INFO: " lines on fd 2 to logging; pass the rest through."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no usable stderr (closed fd, replaced sys.stderr)
        yield
        return
    read_fd, write_fd = os.pipe()
    os.dup2(write_fd, 2)
    os.close(write_fd)
    pump = threading.Thread(
        target=_pump, args=(read_fd, saved, source), name="edgebench-stderr", daemon=True
    )
    pump.start()
    try:
        yield
    finally:
        with contextlib.suppress(ValueError, OSError):
            sys.stderr.flush()
        # Restoring fd 2 closes the pipe's last write end, so the pump sees EOF and ends.
        os.dup2(saved, 2)
        pump.join()
        os.close(saved)
