"""Small, failure-tolerant readers for procfs/sysfs files and the ``vcgencmd`` tool.

Every reader returns ``None`` instead of raising when a file is missing, unreadable or
malformed: on a board a sensor file can vanish (hot-unplugged HAT, driver reload) and one
bad read must not end a benchmark. Callers decide whether ``None`` means "no data".
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

log = logging.getLogger(__name__)

# vcgencmd talks to the firmware over a mailbox; a healthy call takes milliseconds.
VCGENCMD_TIMEOUT_S = 2.0


def read_text(path: Path) -> str | None:
    """Return a file's text with surrounding whitespace stripped, or None."""
    try:
        return path.read_text(errors="replace").strip()
    except (OSError, ValueError):
        return None


def read_int(path: Path, base: int = 10) -> int | None:
    """Return a file's content as an integer, or None."""
    text = read_text(path)
    if text is None:
        return None
    try:
        return int(text, base)
    except ValueError:
        return None


def read_dt_string(path: Path) -> str | None:
    """Return a device-tree string property with its trailing NUL(s) removed, or None."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    return raw.split(b"\0", 1)[0].decode(errors="replace").strip() or None


def read_dt_strings(path: Path) -> list[str]:
    """Return a NUL-separated device-tree string list (e.g. ``compatible``), or []."""
    try:
        raw = path.read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def hwmon_dirs(sys_root: Path) -> list[tuple[str, Path]]:
    """Return ``(name, directory)`` of every hwmon device, sorted by directory name."""
    base = sys_root / "class" / "hwmon"
    try:
        entries = sorted(base.iterdir(), key=lambda p: p.name)
    except OSError:
        return []
    out = []
    for entry in entries:
        name = read_text(entry / "name")
        if name is not None:
            out.append((name, entry))
    return out


def find_hwmon(sys_root: Path, name: str) -> Path | None:
    """Return the first hwmon directory whose ``name`` file equals ``name``, or None."""
    for found, path in hwmon_dirs(sys_root):
        if found == name:
            return path
    return None


class Vcgencmd:
    """Runs the Raspberry Pi ``vcgencmd`` tool; every failure becomes ``None``.

    ``command`` is a name looked up on PATH or a path (a fake one in tests). Once the
    tool turns out to be missing, later calls return None without trying again, so a
    non-Pi machine pays for the lookup once.
    """

    def __init__(self, command: str) -> None:
        self.command = command
        self._path: str | None = shutil.which(command) if command else None
        self._probes: dict[tuple[str, ...], str | None] = {}

    @property
    def present(self) -> bool:
        """Whether the tool exists and is executable."""
        return self._path is not None

    def run(self, *args: str) -> str | None:
        """Run ``vcgencmd <args>`` and return its stdout, or None on any failure."""
        if self._path is None:
            return None
        try:
            proc = subprocess.run(
                [self._path, *args],
                capture_output=True,
                text=True,
                timeout=VCGENCMD_TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            log.debug("vcgencmd %s failed: %s", " ".join(args), exc)
            return None
        if proc.returncode != 0:
            log.debug("vcgencmd %s exited %d: %s", " ".join(args), proc.returncode, proc.stderr)
            return None
        return proc.stdout

    def probe(self, *args: str) -> str | None:
        """Like :meth:`run`, but remembered: samplers sharing a command probe it once."""
        if args not in self._probes:
            self._probes[args] = self.run(*args)
        return self._probes[args]
