"""Download a hosted catalog model: resumable, checksum-verified, stored atomically.

The download goes to ``<cache>/models/<file>.part`` (resumed with an HTTP Range request
when a plausible partial file is there), is verified against the sha256, and only then
moved into place with ``os.replace``, so the cache never holds a corrupt model. A file
fetched with ``verify=False`` gets a ``<file>.unverified`` marker next to it.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from edgebench.agent.modeltools.catalog import CatalogEntry, generated_equivalent, models_dir
from edgebench.agent.modeltools.modelfile import load_model
from edgebench.shared.errors import EdgebenchError
from edgebench.shared.tflite.flatbuf import TFLITE_IDENTIFIER
from edgebench.shared.version import __version__

CHUNK_BYTES = 64 * 1024
UNVERIFIED_SUFFIX = ".unverified"
_HEX64 = re.compile(r"[0-9a-f]{64}")

Progress = Callable[[int, int | None], None]


def fetch_model(
    entry: CatalogEntry,
    cache_dir: Path,
    *,
    url: str | None = None,
    sha256: str | None = None,
    verify: bool = True,
    timeout_s: float = 30.0,
    progress: Progress | None = None,
) -> Path:
    """Download ``entry`` into ``cache_dir/models`` and return the verified file's path.

    ``sha256`` supplies a checksum for an entry without one; ``verify=False`` accepts
    the file unverified (marked as such). Raises ``EdgebenchError`` on no network, an
    HTTP error, an interrupted download or a checksum mismatch.
    """
    if entry.kind != "hosted" or not entry.filename:
        raise EdgebenchError(
            f"{entry.name} is generated locally, not downloaded; use it by name or build it "
            "with edgebench model build"
        )
    expected = _expected_sha256(entry, sha256, verify)
    folder = models_dir(cache_dir)
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / entry.filename
    part = folder / (entry.filename + ".part")
    marker = folder / (entry.filename + UNVERIFIED_SUFFIX)
    if final.is_file() and (expected is None or _sha256(final) == expected):
        if expected is not None:
            marker.unlink(missing_ok=True)  # now checked against a checksum
        return final
    source = entry.download_url(url)
    if urllib.parse.urlsplit(source).scheme not in ("http", "https"):
        raise EdgebenchError(f"cannot fetch {source}: only http:// and https:// URLs work")
    # The catalog's size describes the catalog's file, not one a user names by checksum.
    size = entry.size_bytes if expected is not None and expected == entry.sha256 else None
    _download(entry, source, part, expected_size=size, timeout_s=timeout_s, progress=progress)
    try:
        stored = load_model(part)  # one read: checked, hashed and parsed
    except EdgebenchError:
        stored = None
    actual = stored.sha256 if stored is not None else _sha256(part)
    if expected is not None and actual != expected:
        part.unlink(missing_ok=True)
        raise EdgebenchError(
            f"checksum mismatch for {entry.name} from {source}: expected sha256 {expected}, "
            f"got {actual}; the download was deleted. {_offline_route(entry)}"
        )
    if stored is None:
        part.unlink(missing_ok=True)
        raise EdgebenchError(
            f"{source} did not serve a valid TFLite model; the download was deleted. "
            f"{_offline_route(entry)}"
        )
    os.replace(part, final)
    if expected is None:
        marker.write_text(f"{actual}  {source}\n")
    else:
        marker.unlink(missing_ok=True)
    return final


def is_unverified(path: Path) -> bool:
    """Whether a cached model was fetched without checksum verification."""
    return path.with_name(path.name + UNVERIFIED_SUFFIX).exists()


def _expected_sha256(entry: CatalogEntry, given: str | None, verify: bool) -> str | None:
    """Return the checksum to enforce, or None for an explicitly unverified fetch."""
    if given is not None:
        given = given.strip().lower()
        if not _HEX64.fullmatch(given):
            raise EdgebenchError("--sha256 needs 64 hexadecimal digits")
        if entry.sha256 is not None and given != entry.sha256:
            raise EdgebenchError(
                f"--sha256 {given} contradicts the catalog's checksum for {entry.name} "
                f"({entry.sha256}); drop --sha256 or use --url with the file you mean"
            )
        return given
    if entry.sha256 is not None:
        return entry.sha256
    if verify:
        raise EdgebenchError(
            f"the catalog has no verified sha256 for {entry.name}; pass --sha256 HEX from a "
            "source you trust, or --no-verify to accept the file unverified"
        )
    return None


def _download(
    entry: CatalogEntry,
    url: str,
    part: Path,
    *,
    expected_size: int | None,
    timeout_s: float,
    progress: Progress | None,
) -> None:
    """Fetch ``url`` into ``part``, resuming from its current size when plausible."""
    have = part.stat().st_size if part.exists() else 0
    if have and not _plausible(part, expected_size):
        part.unlink()
        have = 0
    headers = {"User-Agent": f"edgebench/{__version__}"}
    if have:
        headers["Range"] = f"bytes={have}-"
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - scheme checked
    try:
        response = urllib.request.urlopen(request, timeout=timeout_s)  # noqa: S310
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:
            # Nothing left to send: the partial file is already complete (or wrong, which
            # the checksum will tell).
            return
        raise EdgebenchError(
            f"cannot download {entry.name}: {url} answered HTTP {exc.code} {exc.reason}. "
            f"{_offline_route(entry)}"
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        raise _network_error(entry, url, exc) from None
    with response:
        status = response.status
        total = _content_length(response)
        if status == 206:
            if _range_start(response) != have:
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
        done = have
        try:
            with part.open(mode) as out:
                while chunk := response.read(CHUNK_BYTES):
                    out.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done, total)
        except (OSError, http.client.HTTPException) as exc:
            _keep_if_plausible(part, expected_size or total)
            raise _network_error(entry, url, exc, interrupted=True) from None
    if total is not None and done < total:
        _keep_if_plausible(part, expected_size or total)
        raise EdgebenchError(
            f"download of {entry.name} from {url} stopped at {done} of {total} bytes; run "
            f"the same fetch again to resume. {_offline_route(entry)}"
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


def _content_length(response: object) -> int | None:
    """Return the Content-Length of a response, or None."""
    value = getattr(response, "headers", {}).get("Content-Length")
    return int(value) if value and value.isdigit() else None


def _range_start(response: object) -> int | None:
    """Return the first byte of a 206 response's Content-Range, or None."""
    value = getattr(response, "headers", {}).get("Content-Range", "")
    match = re.match(r"bytes (\d+)-", value)
    return int(match.group(1)) if match else None


def _sha256(path: Path) -> str:
    """Hash a file without holding it in memory (for files that are not read anyway)."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _network_error(
    entry: CatalogEntry, url: str, exc: BaseException, *, interrupted: bool = False
) -> EdgebenchError:
    """One line for a failed connection: what happened and the offline route."""
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
            f"download of {entry.name} from {url} was interrupted ({what}); run the same "
            f"fetch again to resume. {_offline_route(entry)}"
        )
    return EdgebenchError(
        f"cannot download {entry.name} from {url} ({what}): no network? {_offline_route(entry)}"
    )


def _offline_route(entry: CatalogEntry) -> str:
    """How to get a model without this download."""
    equivalent = generated_equivalent(entry)
    if equivalent:
        return (
            f"Offline: use the generated equivalent {equivalent} (edgebench model build) "
            "or pass a local .tflite path"
        )
    return "Offline: pass a local .tflite path, or a generated model from edgebench model build"
