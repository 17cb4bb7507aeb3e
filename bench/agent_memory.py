"""Agent memory: peak RSS of ``edgebench agent run`` minus that of a bare interpreter.

Two fresh processes on mobilenet_v2_1.0_224_quant with the same threads:
the agent (``edgebench agent run --runs 200 --sample-hz 10 --json``; its
``memory.peak_rss_mb`` is VmHWM at the end of the run) and a bare Python process
that loads the same model into ``ai_edge_litert`` and invokes it 200 times, then
prints its VmHWM. The difference is what the agent costs; target < 40 MB.

    .venv/bin/python bench/agent_memory.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import MODEL, ROOT, verdict

BARE = """
import sys
from ai_edge_litert.interpreter import Interpreter
it = Interpreter(model_path=sys.argv[1], num_threads=int(sys.argv[2]))
it.allocate_tensors()
for _ in range(200):
    it.invoke()
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        print(float(line.split()[1]) / 1024)
"""


def main() -> int:
    from edgebench.agent.engine.options import usable_cores

    threads = usable_cores()
    python = sys.executable
    edgebench = str(Path(python).with_name("edgebench"))
    bare = float(
        subprocess.run(
            [python, "-c", BARE, str(MODEL), str(threads)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run.json"
        subprocess.run(
            [
                edgebench,
                "agent",
                "run",
                str(MODEL),
                "--runs",
                "200",
                "--min-secs",
                "0",
                "--sample-hz",
                "10",
                "--threads",
                str(threads),
                "--quiet",
                "--json",
                str(out),
            ],
            check=True,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        memory = json.loads(out.read_text())["memory"]
    agent = memory["peak_rss_mb"]
    print(f"model {MODEL.name}, {threads} threads")
    print(f"bare interpreter process peak RSS: {bare:.1f} MB")
    print(
        f"agent process: RSS {memory['rss_before_load_mb']:.1f} MB before load,"
        f" {memory['rss_after_load_mb']:.1f} MB after, peak {agent:.1f} MB"
    )
    return verdict("agent - bare peak RSS", agent - bare, 40.0, " MB")


if __name__ == "__main__":
    sys.exit(main())
