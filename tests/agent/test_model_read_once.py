"""``edgebench agent run`` opens and hashes the model file once per run (real CLI, real LiteRT).

The run happens in a child Python that installs an audit hook before edgebench is
imported: every ``open`` of the model file (``open()``, ``Path.read_bytes``, ``os.open``)
is counted, and every SHA-256 computed (``hashlib.sha256`` in one go or in chunks, and
``hashlib.file_digest``) is recorded by its result, so hashing the model twice shows up
as its digest appearing twice.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.agent.test_cli_run import QUICK, SMALL, env_for

# Runs in the child: count, then hand over to the real command-line entry point.
CHILD = r"""
import atexit, hashlib, json, os, sys

model = os.path.realpath(sys.argv[1])
report = sys.argv[2]
counts = {"opens": 0, "digests": []}

def hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        if os.path.realpath(os.fsdecode(args[0])) == model:
            counts["opens"] += 1

sys.addaudithook(hook)

real_sha256, real_file_digest = hashlib.sha256, hashlib.file_digest

class CountingSha256:
    # Records the hex digest each time a result is taken.
    def __init__(self, data=b"", **kwargs):
        self._h = real_sha256(data, **kwargs)
    def hexdigest(self):
        counts["digests"].append(self._h.hexdigest())
        return self._h.hexdigest()
    def digest(self):
        counts["digests"].append(self._h.hexdigest())
        return self._h.digest()
    def __getattr__(self, name):
        return getattr(self._h, name)

def counting_file_digest(fileobj, digest, **kwargs):
    result = real_file_digest(fileobj, digest, **kwargs)
    counts["digests"].append(result.hexdigest())
    return result

hashlib.sha256 = CountingSha256
hashlib.file_digest = counting_file_digest
atexit.register(lambda: open(report, "w").write(json.dumps(counts)))

from edgebench.shared.cli import main
sys.argv = ["edgebench", *sys.argv[3:]]
main()
"""


def test_agent_run_reads_and_hashes_the_model_once(models_dir: Path, tmp_path: Path) -> None:
    model = models_dir / SMALL
    report = tmp_path / "counts.json"
    out = tmp_path / "result.json"
    command = ["agent", "run", str(model), *QUICK, "--json", str(out)]
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(model), str(report), *command],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        env=env_for(tmp_path),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    counts = json.loads(report.read_text())
    sums = dict(
        reversed(line.split()) for line in (models_dir / "SHA256SUMS").read_text().splitlines()
    )
    assert counts["opens"] == 1
    assert counts["digests"].count(sums[SMALL]) == 1
    # The one hash is the one recorded, of the bytes that ran.
    doc = json.loads(out.read_text())
    assert doc["model"]["sha256"] == sums[SMALL]
    assert doc["model"]["size_bytes"] == model.stat().st_size
    assert doc["model"]["macs"] > 0 and doc["model"]["op_count"] == 31
