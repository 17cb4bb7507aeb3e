"""What a user asks one benchmark run to do (``RunOptions``) and its validation."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from edgebench.agent.engine.verdict import MIN_SAMPLES_FOR_P90
from edgebench.shared.errors import EdgebenchError
from edgebench.shared.run_options import BACKENDS

__all__ = ["BACKENDS", "RunOptions", "usable_cores"]


def usable_cores() -> int:
    """Cores this process may run on (respects taskset/cgroup affinity)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class RunOptions:
    """Backend, delegate, run control and input choices for one run.

    Defaults follow TFLite ``benchmark_model`` (warm-up 1 run / 0.5 s; measure at
    least 1 s, at most 150 s), except two. ``runs`` is 64, not 50: the verdict wants
    64 samples for a p90 (``MIN_SAMPLES_FOR_P90``, MLPerf LoadGen's minimum), and with
    50 a default run of any model slower than 20 ms was INVALID. ``threads``: ``None``
    means every usable core, because the Python interpreter would otherwise default to one.
    """

    backend: str = "litert"
    threads: int | None = None
    xnnpack: bool = True
    warmup_runs: int = 1
    warmup_secs: float = 0.5
    runs: int = MIN_SAMPLES_FOR_P90
    min_secs: float = 1.0
    max_secs: float = 150.0
    rate_hz: float | None = None
    seed: int = 0
    images: Path | None = None
    labels: Path | None = None
    expected: Path | None = None
    # None: use the agent config's sample_hz; 0 turns sampling off.
    sample_hz: float | None = None
    # Keep measuring until the p50 interval's half-width is under this % of p50.
    target_ci_pct: float | None = None
    # Run on a busy board without an INVALID verdict (the busy guard still records it).
    allow_busy: bool = False
    # After the run, time each op on its own and attach the profile (docs/profiling.md).
    profile_ops: bool = False

    def resolved_threads(self) -> int:
        """Return the thread count to pass to the interpreter."""
        return self.threads if self.threads is not None else usable_cores()

    def validate(self) -> None:
        """Raise EdgebenchError naming the first bad option."""
        problem = self._problem()
        if problem:
            raise EdgebenchError(problem)

    def _problem(self) -> str | None:
        """Return a one-line description of the first invalid option, or None."""
        if self.backend not in BACKENDS:
            return f"--backend {self.backend!r}: choose one of {', '.join(BACKENDS)}"
        if self.threads is not None and self.threads < 1:
            return f"--threads {self.threads}: must be at least 1 (omit it to use all cores)"
        for flag, value in (("--warmup-runs", self.warmup_runs), ("--runs", self.runs)):
            if value < 0:
                return f"{flag} {value}: must be 0 or more"
        for flag, number in (
            ("--warmup-secs", self.warmup_secs),
            ("--min-secs", self.min_secs),
            ("--max-secs", self.max_secs),
        ):
            if not number >= 0 or number == float("inf"):
                return f"{flag} {number}: must be a finite number of seconds, 0 or more"
        if self.max_secs == 0:
            return "--max-secs 0 leaves no time to measure: give a positive number of seconds"
        if self.rate_hz is not None and not 0 < self.rate_hz < float("inf"):
            return f"--rate {self.rate_hz}: must be a positive number of inferences per second"
        if self.sample_hz is not None and not 0 <= self.sample_hz <= 1000:
            return f"--sample-hz {self.sample_hz}: must be between 0 (off) and 1000"
        if self.target_ci_pct is not None and not 0 < self.target_ci_pct < 100:
            return f"--target-ci {self.target_ci_pct}: must be a percentage between 0 and 100"
        if self.labels is not None and self.images is None:
            return "--labels needs --images DIR (accuracy mode runs over a folder of images)"
        if self.expected is not None and self.labels is None:
            return "--expected needs --labels FILE and --images DIR"
        for flag, path, want_dir in (
            ("--images", self.images, True),
            ("--labels", self.labels, False),
            ("--expected", self.expected, False),
        ):
            if path is None:
                continue
            if not path.exists():
                return f"{flag} {path}: not found; check the path"
            if want_dir and not path.is_dir():
                return f"{flag} {path}: not a directory; give a folder of images"
            if not want_dir and not path.is_file():
                return f"{flag} {path}: not a file"
        return None
