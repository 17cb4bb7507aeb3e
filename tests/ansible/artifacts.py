"""What the Ansible test fleet is built from: the edgebench wheel, a wheelhouse, a test CA."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("EDGEBENCH_TEST_CACHE", Path.home() / ".cache" / "edgebench-tests"))
PIP_WHEEL = (sys.executable, "-m", "pip", "wheel", "-q")


def make_tls_files(directory: Path, address: str) -> dict[str, Path]:
    """Create a throwaway CA and a server certificate for ``address`` (openssl)."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {n: directory / f"{n}.pem" for n in ("ca", "ca-key", "server", "server-key")}
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl = ["openssl", "req", *ec, "-days", "2"]
    ca_out = ["-keyout", str(files["ca-key"]), "-out", str(files["ca"])]
    subprocess.run(
        [*openssl, "-x509", "-subj", "/CN=edgebench test CA", *ca_out],
        check=True,
        capture_output=True,
    )
    csr = directory / "server.csr"
    subprocess.run(
        [*openssl, "-keyout", files["server-key"], "-out", csr, "-subj", f"/CN={address}"],
        check=True,
        capture_output=True,
    )
    ext = directory / "server.ext"
    ext.write_text(
        f"subjectAltName=IP:{address}\nbasicConstraints=CA:FALSE\n"
        "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n"
    )
    sign = ["openssl", "x509", "-req", "-CAcreateserial", "-days", "2", "-extfile", ext]
    subprocess.run(
        [*sign, "-in", csr, "-CA", files["ca"], "-CAkey", files["ca-key"], "-out", files["server"]],
        check=True,
        capture_output=True,
    )
    return files


def build_wheel(dest: Path) -> Path:
    """Build the edgebench wheel from this checkout into ``dest`` and return its path."""
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [*PIP_WHEEL, "--no-deps", "--no-build-isolation", "-w", str(dest), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dest.glob("edgebench-*.whl")
    return wheel


def wheelhouse(wheel: Path) -> Path:
    """Return a directory of wheels for edgebench[agent,collector]'s dependencies.

    Cached under ``EDGEBENCH_TEST_CACHE`` (default ~/.cache/edgebench-tests): later runs
    resolve offline from it and reach PyPI only when a dependency is missing.
    """
    house = CACHE / "wheelhouse"
    house.mkdir(parents=True, exist_ok=True)
    spec = f"edgebench[agent,collector] @ {wheel.as_uri()}"
    # pip wheel, not download: a dependency published only as an sdist is built once here,
    # so the targets install from wheels alone (--no-index, no build tools needed).
    base = [*PIP_WHEEL, "-w", house]
    offline = subprocess.run(
        [*base, "--no-index", "--find-links", house, spec],
        capture_output=True,
        text=True,
        check=False,
    )
    if offline.returncode != 0:
        subprocess.run([*base, spec], check=True, capture_output=True, text=True)
    # The wheel under test is installed from its own path, never from the cache.
    for stale in house.glob("edgebench-*.whl"):
        stale.unlink()
    return house
