"""Stream one HTTP(S) download into a partial file: the code catalog and store fetches share.

``download`` writes ``url`` into ``part`` (optionally resuming it with a Range request),
reports progress, enforces an optional size cap and overall deadline, and turns every
network failure into one ``EdgebenchError`` line naming what was fetched and ``hint``
(what the user can do instead). Checking the bytes (sha256, TFLite) and moving the file
into place are the caller's: ``fetch`` (catalog) and ``store`` (the collector's model
store) trust different checksums.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path

from edgebench.agent.modeltools.flatbuf import TFLITE_IDENTIFIER
from edgebench.shared.errors import EdgebenchError
from edgebench.shared.version import __version__

CHUNK_BYTES = 64 * 1024

Progress = Callable[[int, int | None], None]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: a redirect would carry the request (and its token) elsewhere."""

    def redirect_request(self, *_args: object, **_kwargs: object) -> None:
        """Return None, so urllib raises the 3xx as an HTTPError."""
        return None


def download(
    url: str,
    part: Path,
    *,
    name: str,
    hint: str,
    timeout_s: float,
    headers: Mapping[str, str] | None = None,
    expected_size: int | None = None,
    max_bytes: int | None = None,
    deadline_s: float | None = None,
    resume: bool = True,
    follow_redirects: bool = True,
    progress: Progress | None = None,
) -> None:
    """Fetch ``url`` into ``part`` (resuming from its size when ``resume`` and plausible)."""
    have = part.stat().st_size if resume and part.exists() else 0
    if have and not _plausible(part, expected_size):
        part.unlink()
        have = 0
    sent = {"User-Agent": f"edgebench/{__version__}", **(headers or {})}
    if have:
        sent["Range"] = f"bytes={have}-"
    request = urllib.request.Request(url, headers=sent)  # noqa: S310 - callers check the scheme
    handlers = [] if follow_redirects else [_NoRedirect()]
    opener = urllib.request.build_opener(*handlers)
    started = time.monotonic()
    try:
        response = opener.open(request, timeout=timeout_s)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:
            # Nothing left to send: the partial file is already complete (or wrong, which
            # the checksum will tell).
            return
        raise EdgebenchError(
            f"cannot download {name}: {url} answered HTTP {exc.code} {exc.reason}. {hint}"
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        raise network_error(name, url, exc, hint) from None
    with response:
        total = content_length(response)
        if response.status == 206:
            if range_start(response) != have:
                part.unlink(missing_ok=True)
                raise EdgebenchError(
                    f"{url} answered a resume request with the wrong byte range; the partial "
                    "download was deleted, run the same fetch again"
                )
            mode = "ab"
            total = have + total if total is not None else None
        else:
            # The server ignored the Range header (200): start again from byte 0.
            mode, have = "wb", 0
        if max_bytes is not None and total is not None and total > max_bytes:
            raise EdgebenchError(
                f"{name} from {url} is {total} bytes, over the limit of {max_bytes}; "
                "not downloading it"
            )
        done = have
        try:
            with part.open(mode) as out:
                while chunk := response.read(CHUNK_BYTES):
                    out.write(chunk)
                    done += len(chunk)
                    _check_limits(name, url, done, max_bytes, started, deadline_s, part)
                    if progress is not None:
                        progress(done, total)
                out.flush()
                # Durable before the caller renames it into place (a power cut must not
                # leave a renamed but empty model in the cache).
                os.fsync(out.fileno())
        except (OSError, http.client.HTTPException) as exc:
            _keep_if_plausible(part, expected_size or total)
            raise network_error(name, url, exc, hint, interrupted=True) from None
    if total is not None and done < total:
        _keep_if_plausible(part, expected_size or total)
        raise EdgebenchError(
            f"download of {name} from {url} stopped at {done} of {total} bytes; run "
            f"the same fetch again to resume. {hint}"
        )


def _check_limits(  # noqa: PLR0917 -- the running state of one download
    name: str,
    url: str,
    done: int,
    max_bytes: int | None,
    started: float,
    deadline_s: float | None,
    part: Path,
) -> None:
    """Stop a download that grew past the size cap or ran past its deadline."""
    if max_bytes is not None and done > max_bytes:
        part.unlink(missing_ok=True)
        raise EdgebenchError(
            f"{name} from {url} grew past the limit of {max_bytes} bytes; the download was deleted"
        )
    if deadline_s is not None and time.monotonic() - started > deadline_s:
        part.unlink(missing_ok=True)
        raise EdgebenchError(
            f"download of {name} from {url} took longer than {deadline_s:g} s; the download "
            "was deleted"
        )


def _plausible(part: Path, size: int | None) -> bool:
    """Whether a partial download could be the start of the model: a TFL3 head, not too big."""
    have = part.stat().st_size
    if size is not None and have > size:
        return False
    with part.open("rb") as f:
        head = f.read(8)
    return len(head) < 8 or head[4:8] == TFLITE_IDENTIFIER


def _keep_if_plausible(part: Path, size: int | None) -> None:
    """Keep a partial file for resuming only if it looks like the start of the model."""
    if part.exists() and not _plausible(part, size):
        part.unlink()


def content_length(response: object) -> int | None:
    """Return the Content-Length of a response, or None."""
    value = getattr(response, "headers", {}).get("Content-Length")
    return int(value) if value and value.isdigit() else None


def range_start(response: object) -> int | None:
    """Return the first byte of a 206 response's Content-Range, or None."""
    value = getattr(response, "headers", {}).get("Content-Range", "")
    match = re.match(r"bytes (\d+)-", value)
    return int(match.group(1)) if match else None


def file_sha256(path: Path) -> str:
    """Hash a file without holding it in memory (for files that are not read anyway)."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def network_error(
    name: str, url: str, exc: BaseException, hint: str, *, interrupted: bool = False
) -> EdgebenchError:
    """One line for a failed connection: what happened and what to do instead."""
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, socket.gaierror):
        what = "the host name does not resolve"
    elif isinstance(reason, ConnectionRefusedError):
        what = "connection refused"
    elif isinstance(reason, TimeoutError | socket.timeout):
        what = "timed out"
    else:
        what = str(reason) or type(reason).__name__
    if interrupted:
        return EdgebenchError(
            f"download of {name} from {url} was interrupted ({what}); run the same "
            f"fetch again to resume. {hint}"
        )
    return EdgebenchError(f"cannot download {name} from {url} ({what}): no network? {hint}")
