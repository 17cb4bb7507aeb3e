"""MLPerf-LoadGen-style validity verdict for one run, with a reason per failed check."""

from __future__ import annotations

from edgebench.shared.result import Verdict
from edgebench.shared.result_quality import BusyInfo

# LoadGen's early-stopping estimate of a p90 needs at least this many samples.
MIN_SAMPLES_FOR_P90 = 64


def make_verdict(
    *,
    count: int,
    duration_s: float,
    min_runs: int,
    min_secs: float,
    throttle_reasons: list[str],
    interrupted: bool,
    busy: BusyInfo | None = None,
) -> Verdict:
    """Judge a run: VALID only when every check passed, else INVALID with reasons.

    The busy-board checks (``not_busy``, ``not_contended``) are made only when the guard
    ran and was not overridden with --allow-busy; an override is marked in ``busy``.
    """
    checks = {
        "min_runs_met": count >= min_runs,
        "min_duration_met": duration_s >= min_secs,
        "enough_samples_for_p90": count >= MIN_SAMPLES_FOR_P90,
        "no_throttling": not throttle_reasons,
        "not_interrupted": not interrupted,
    }
    reasons = []
    # The loop stops early only at --max-secs or on Ctrl-C; say which one cut it short.
    cause = "" if interrupted else " (--max-secs stopped the run first)"
    if not checks["not_interrupted"]:
        reasons.append("interrupted (Ctrl-C) before the run finished; the result is partial")
    if not checks["min_runs_met"]:
        reasons.append(
            f"min runs not met: {count} measured runs, --runs asked for {min_runs}{cause}"
        )
    if not checks["min_duration_met"]:
        reasons.append(
            f"min duration not met: measured {duration_s:.3f} s, --min-secs asked for"
            f" {min_secs:g} s{cause}"
        )
    if not checks["enough_samples_for_p90"]:
        reasons.append(
            f"too few samples for a p90: {count}, LoadGen needs at least {MIN_SAMPLES_FOR_P90}"
        )
    if not checks["no_throttling"]:
        reasons.append("throttled during the measured phase: " + ", ".join(throttle_reasons))
    if busy is not None and not busy.allowed:
        reasons.extend(_busy_checks(busy, checks))
    return Verdict(
        status="VALID" if all(checks.values()) else "INVALID",
        reasons=reasons,
        checks=checks,
    )


def _busy_checks(busy: BusyInfo, checks: dict[str, bool]) -> list[str]:
    """Add the busy-board checks to ``checks`` and return the reasons for failed ones."""
    reasons = []
    checks["not_busy"] = not busy.busy
    checks["not_contended"] = not busy.contended
    limit = f"(threshold {busy.threshold_pct:g} % of one core"
    if busy.busy:
        reasons.append(
            f"busy board: other processes used {busy.other_cpu_pct_before:.0f} % of a core"
            f" before the measured phase {limit}, still after waiting {busy.waited_s:.0f} s);"
            " stop them or pass --allow-busy"
        )
    if busy.contended:
        reasons.append(
            f"contended: other processes used {busy.other_cpu_pct_during:.0f} % of a core"
            f" during the measured phase {limit})"
        )
    return reasons
