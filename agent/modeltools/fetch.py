"""Download a hosted catalog model: resumable, checksum-verified, stored atomically.

The download (``download.download``) goes to ``<cache>/models/<file>.part`` (resumed
with an HTTP Range request when a plausible partial file is there), is verified against
the sha256, and only then moved into place with ``os.replace``, so the cache never holds
a corrupt model. A file fetched with ``verify=False`` gets a ``<file>.unverified`` marker
next to it.
"""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path

from edgebench.agent.modeltools.catalog import CatalogEntry, generated_equivalent, models_dir
from edgebench.agent.modeltools.download import Progress, download, file_sha256
from edgebench.agent.modeltools.modelfile import load_model
from edgebench.shared.errors import EdgebenchError
from edgebench.shared.storemodel import is_sha256

UNVERIFIED_SUFFIX = ".unverified"


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
    if final.is_file() and (expected is None or file_sha256(final) == expected):
        if expected is not None:
            marker.unlink(missing_ok=True)  # now checked against a checksum
        return final
    source = entry.download_url(url)
    if urllib.parse.urlsplit(source).scheme not in ("http", "https"):
        raise EdgebenchError(f"cannot fetch {source}: only http:// and https:// URLs work")
    # The catalog's size describes the catalog's file, not one a user names by checksum.
    size = entry.size_bytes if expected is not None and expected == entry.sha256 else None
    download(
        source,
        part,
        name=entry.name,
        hint=_offline_route(entry),
        timeout_s=timeout_s,
        expected_size=size,
        progress=progress,
    )
    try:
        stored = load_model(part)  # one read: checked, hashed and parsed
    except EdgebenchError:
        stored = None
    actual = stored.sha256 if stored is not None else file_sha256(part)
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
        if not is_sha256(given):
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


def _offline_route(entry: CatalogEntry) -> str:
    """How to get a model without this download."""
    equivalent = generated_equivalent(entry)
    if equivalent:
        return (
            f"Offline: use the generated equivalent {equivalent} (edgebench model build) "
            "or pass a local .tflite path"
        )
    return "Offline: pass a local .tflite path, or a generated model from edgebench model build"
