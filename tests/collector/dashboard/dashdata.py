"""A small, realistic fleet for dashboard tests: devices, runs with telemetry and results.

Built from the shared example messages (``tests.shared.samples``) with per-board numbers
in the range the reference boards give, so pages and screenshots look like a real lab.
One device reports hostile strings in its facts to check that pages escape them.
"""

from __future__ import annotations

import math
import random

import msgspec

from edgebench.shared.messages import (
    Envelope,
    FactsMessage,
    ResultMessage,
    RunStartedMessage,
    SamplesMessage,
    StatusMessage,
)
from edgebench.shared.result import EnergyInfo, LatencySummary, MetricSummary, RunResult, Verdict
from edgebench.shared.result_quality import (
    BusyInfo,
    LatencyCI,
    SpreadInfo,
    TargetCI,
    Trials,
    TrialSummary,
)
from edgebench.shared.uncertainty import sequence_intervals
from tests.shared.samples import device_facts, model_info, run_config, run_result

XSS = "<script>alert(1)</script>"
# device id, board, cpu, cores, profile, base p50 (ms, 4 threads), power (W), measured power
BOARDS = [
    ("pi4-lab-01", "Raspberry Pi 4 Model B Rev 1.4", "Cortex-A72", 4, "rpi4", 3.6, 5.1, False),
    ("pi5-lab-01", "Raspberry Pi 5 Model B Rev 1.0", "Cortex-A76", 4, "rpi5", 1.4, 6.8, True),
    (
        "pizero-lab-01",
        "Raspberry Pi Zero 2 W Rev 1.0",
        "Cortex-A53",
        4,
        "rpizero2w",
        9.8,
        2.1,
        False,
    ),
    ("rk3588-lab-01", "Radxa ROCK 5B", "Cortex-A76", 8, "rk3588", 1.6, 7.5, False),
    ("xss-device", XSS, "<b>bold</b>", 4, None, 5.0, 4.0, False),
]
MODELS = [("mobilenet_v1_0.25_128_quant", 14_000_000), ("mobilenet_v2_1.0_224_quant", 300_000_000)]
T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def facts_for(device_id: str, board: str, cpu: str, cores: int, profile: str | None):
    """Facts of one lab device."""
    base = device_facts(device_id)
    hostname = XSS if device_id == "xss-device" else device_id
    return msgspec.structs.replace(
        base, hostname=hostname, board=board, cpu_model=cpu, cpu_cores=cores, board_profile=profile
    )


def _latency(p50: float, rng: random.Random, n: int) -> tuple[LatencySummary, list[float]]:
    values = sorted(p50 * (1 + abs(rng.gauss(0, 0.06))) for _ in range(n))

    def pct(q: float) -> float:
        return values[min(n - 1, max(0, math.ceil(q * n) - 1))]

    mean = sum(values) / n
    std = (sum((v - mean) ** 2 for v in values) / n) ** 0.5
    summary = LatencySummary(
        n, mean, std, values[0], values[-1], pct(0.5), pct(0.9), pct(0.95), pct(0.99), pct(0.999)
    )
    rng.shuffle(values)
    return summary, values


# The run whose page shows every "how sure" record: repeated trials, a target, a busy guard.
QUALITY_RUN = "pi5-lab-01-mobilenet_v2-4t-1-0"


def latency_ci(latencies: list[float], ips: float) -> LatencyCI:
    """The 95 % intervals the agent puts on a run (docs/statistics.md)."""
    got = sequence_intervals(latencies, seed=0)
    mean_lo, mean_hi = got.intervals["mean"]
    mean = got.estimates["mean"]
    return LatencyCI(
        p50=list(got.intervals["p50"]),
        p90=list(got.intervals["p90"]),
        p99=list(got.intervals["p99"]),
        throughput_ips=[ips * mean / mean_hi, ips * mean / mean_lo],
        level=got.level,
        method=got.method,
        block_length=got.block_length,
        n=got.n,
        reps=got.reps,
        seed=got.seed,
    )


def quality(run_id: str, p50: float, ci: list[float], ips: float) -> dict:
    """Trials, target and busy records: a contended second trial for QUALITY_RUN only."""
    contended = run_id == QUALITY_RUN
    busy = BusyInfo(10.0, 1.0, 2.0, 0.0, 35.0 if contended else 1.5, False, contended, False)
    if not contended:
        return {"busy": busy}
    first = TrialSummary(1, run_id[:-4] + "-0-0", p50 * 1.04, [p50, p50 * 1.08], ips / 1.04, 50.0)
    this = TrialSummary(2, run_id, p50, ci, ips, 51.0)
    return {
        "busy": busy,
        "target_ci": TargetCI(pct=1.0, reached=False, half_width_pct=1.6, checks=3),
        "trials": Trials(
            repeat_id="rep-pi5-1",
            index=2,
            count=2,
            cooldown_s=30.0,
            cooldown_temp_delta_c=None,
            waited_s=30.0,
            temp_start_c=51.0,
            reference_temp_c=50.0,
            completed=[first, this],
            p50_spread=SpreadInfo(2, p50, p50 * 1.04, p50 * 1.02, 3.9, 2.8),
            throughput_spread=SpreadInfo(2, ips / 1.04, ips, ips / 1.02, 3.9, 2.8),
        ),
    }


def run_messages(
    spec: tuple, model: tuple[str, int], threads: int, index: int, *, seed: int = 0
) -> list[Envelope]:
    """One run as an agent publishes it: started, telemetry batches, result."""
    device_id, _board, _cpu, _cores, profile, p50_4t, watts, measured = spec
    rng = random.Random(f"{device_id}{model[0]}{threads}{index}{seed}")
    scale = model[1] / 14_000_000**1 * 0.9 if model[1] > 14_000_000 else 1.0
    p50 = p50_4t * scale * (4 / threads) ** 0.75 * (1 + rng.uniform(-0.03, 0.03))
    run_id = f"{device_id}-{model[0][:12]}-{threads}t-{index}-{seed}"
    started = T0 + index * 3600 + threads * 60
    duration = 10.0
    hot = device_id.startswith("pi4") and threads == 4
    rows = []
    for i in range(int(duration * 10)):
        t = started + 1.0 + i * 0.1
        rise = 30.0 if hot else {"pi5": 18.0, "piz": 10.0, "rk3": 8.0}.get(device_id[:3], 12.0)
        temp = 50 + (rise - 8 + 2 * threads) * (1 - math.exp(-i / 40)) + rng.uniform(-0.3, 0.3)
        throttled = hot and temp > 75.0
        rows.append(
            {
                "t": round(t, 3),
                "cpu_util_pct": min(100.0, 25 * threads + rng.uniform(-2, 2)),
                "cpu_freq_mhz": 1500.0 if throttled else 1800.0,
                "temp_c": round(temp, 2),
                "mem_used_mb": 900 + i * 0.2,
                "proc_rss_mb": 60 + rng.uniform(0, 1),
                "power_w" if measured else "power_est_w": watts * (0.6 + 0.1 * threads),
                "soft_temp_limit": 1 if throttled else 0,
                "throttled_now": 1 if throttled else 0,
                "cpu0_util_pct": 90.0,
            }
        )
    latency, latencies = _latency(p50, rng, 300)
    ips = 1000.0 / latency.mean
    ci95 = latency_ci(latencies, ips)
    latency = msgspec.structs.replace(latency, ci95=ci95)
    mean_w = watts * (0.6 + 0.1 * threads)
    j_per_inf = mean_w / ips
    base = run_result(device_id, run_id)
    valid = not (hot and index % 2)
    result: RunResult = msgspec.structs.replace(
        base,
        started_at=started,
        finished_at=started + duration + 2,
        device=facts_for(*spec[:4], profile),
        model=msgspec.structs.replace(
            model_info(), name=model[0], macs=model[1], sha256=f"{abs(hash(model[0])):064x}"[:64]
        ),
        config=msgspec.structs.replace(run_config(), threads=threads),
        timing=msgspec.structs.replace(
            base.timing,
            measured_start=started + 1.0,
            measured_end=started + 1 + duration,
            measured_duration_s=duration,
        ),
        latency_ms=latency,
        latencies_ms=latencies,
        throughput_ips=ips,
        verdict=Verdict("VALID", [], {"min_duration": True})
        if valid
        else Verdict(
            "INVALID", ["thermal throttling during the measured phase"], {"no_throttling": False}
        ),
        samples_summary={
            "temp_c": MetricSummary(
                len(rows), 52.0, max(r["temp_c"] for r in rows), 70.0, rows[-1]["temp_c"], "C"
            ),
            "throttled_now": MetricSummary(
                len(rows), 0, max(r["throttled_now"] for r in rows), 0, 0, ""
            ),
        },
        power=msgspec.structs.replace(
            base.power,
            method="pmic" if measured else "estimate",
            measured=measured,
            source="PMIC rails" if measured else f"profile {profile}",
            mean_w=mean_w,
        ),
        energy=EnergyInfo(
            measured=measured,
            method="pmic" if measured else "estimate",
            window_s=duration,
            joules=mean_w * duration,
            joules_per_inference=j_per_inf,
            inferences_per_joule=1 / j_per_inf,
            cpu_power=mean_w,
            ram_power=0.0,
            cpu_energy=mean_w * duration / 3.6e6,
            ram_energy=0.0,
            energy_consumed=mean_w * duration / 3.6e6,
            emissions=mean_w * duration / 3.6e6 * 0.475,
            emissions_rate=mean_w / 3.6e6 * 0.475,
        ),
        gops=2 * model[1] * ips / 1e9,
        accuracy=base.accuracy if model[1] == 14_000_000 else None,
        samples=rows,
        warnings=[],
        **quality(run_id, latency.p50, ci95.p50, ips),
    )
    msgs: list[Envelope] = [
        RunStartedMessage(
            device_id=device_id,
            run_id=run_id,
            seq=0,
            ts=started,
            model=result.model,
            config=result.config,
        )
    ]
    for b in range(0, len(rows), 25):
        msgs.append(
            SamplesMessage.from_rows(
                rows[b : b + 25], device_id=device_id, run_id=run_id, seq=1 + b // 25
            )
        )
    msgs.append(ResultMessage(device_id=device_id, run_id=run_id, seq=len(msgs), result=result))
    return msgs


def device_messages(spec: tuple, *, online: bool = True) -> list[Envelope]:
    """Status and facts of one device."""
    device_id, board, cpu, cores, profile = spec[:5]
    return [
        StatusMessage(
            device_id=device_id,
            state="online" if online else "offline",
            reason="connected" if online else "shutdown",
        ),
        FactsMessage(device_id=device_id, facts=facts_for(device_id, board, cpu, cores, profile)),
    ]


def fleet_runs(spec: tuple, runs_per_config: int = 2) -> list[Envelope]:
    """A device's runs: every model x 1/2/4 threads, ``runs_per_config`` times each."""
    msgs: list[Envelope] = []
    for index in range(runs_per_config):
        for model in MODELS:
            for threads in (1, 2, 4):
                msgs += run_messages(spec, model, threads, index)
    return msgs
