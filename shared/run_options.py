"""The run options a command may carry: ``RunOptions`` field names, known to both roles.

The agent's ``RunOptions`` (``agent/engine/options.py``) is the one definition of what a
run can be told; the collector cannot import the agent, yet it must refuse a campaign
whose options the boards would refuse, before hundreds of commands go out. So the names
live here, once; ``tests/agent/transport/test_commands.py`` checks that they are exactly
``RunOptions``' fields, so a new option cannot be forgotten on either side.
"""

from __future__ import annotations

# The inference backends a run can use (RunOptions.backend).
BACKENDS = ("litert", "tflite_runtime")

# RunOptions that name files on the board: a message must never make a board read a file.
FILE_OPTIONS = frozenset({"images", "labels", "expected"})

# Every other RunOptions field: what a ``run`` command's ``options`` may name.
COMMAND_OPTIONS = frozenset(
    {
        "backend",
        "threads",
        "xnnpack",
        "warmup_runs",
        "warmup_secs",
        "runs",
        "min_secs",
        "max_secs",
        "rate_hz",
        "seed",
        "sample_hz",
        "target_ci_pct",
        "allow_busy",
        "profile_ops",
    }
)
