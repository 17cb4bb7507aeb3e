"""Realistic example messages for contract tests (built in code, never hard-coded JSON)."""

from __future__ import annotations

from edgebench.shared.messages import (
    CommandMessage,
    FactsMessage,
    ReceiptMessage,
    ResultMessage,
    RunFailedMessage,
    RunFinishedMessage,
    RunProgressMessage,
    RunStartedMessage,
    SamplesMessage,
    StatusMessage,
)
from edgebench.shared.result import (
    RESULT_SCHEMA_VERSION,
    Accuracy,
    DeviceFacts,
    EnergyInfo,
    ImageResult,
    LatencySummary,
    MemoryInfo,
    MetricSummary,
    ModelInfo,
    PowerInfo,
    RunConfig,
    RunResult,
    Tag,
    TensorInfo,
    Timing,
    Verdict,
)

DEVICE = "pi4-lab-01"
RUN = "20250101T120000Z-3f2a"


def device_facts(device_id: str = DEVICE) -> DeviceFacts:
    """Facts of a Raspberry Pi 4 as the facts module reports them."""
    return DeviceFacts(
        device_id=device_id,
        hostname="pi4-lab-01",
        board="Raspberry Pi 4 Model B Rev 1.4",
        board_compatible=["raspberrypi,4-model-b", "brcm,bcm2711"],
        board_profile="rpi4",
        cpu_model="Cortex-A72",
        architecture="aarch64",
        cpu_cores=4,
        cpu_max_mhz=1800.0,
        ram_mb=3796.0,
        os_release="Debian GNU/Linux 12 (bookworm)",
        kernel="6.6.51+rpt-rpi-v8",
        python="3.11.2",
        runtimes={"ai-edge-litert": "2.3.0"},
        edgebench_version="0.1.0",
        cpu_governor="ondemand",
    )


def model_info() -> ModelInfo:
    """The small quantized MobileNet used in tests."""
    return ModelInfo(
        name="mobilenet_v1_0.25_128_quant",
        path="/models/mobilenet_v1_0.25_128_quant.tflite",
        sha256="ab" * 32,
        size_bytes=497_000,
        source="file",
        inputs=[TensorInfo("input", [1, 128, 128, 3], "uint8", 0.0078125, 128)],
        outputs=[TensorInfo("output", [1, 1001], "uint8", 0.00390625, 0)],
        macs=14_000_000,
        params=470_000,
        op_count=31,
    )


def run_config() -> RunConfig:
    """A typical run configuration."""
    return RunConfig(
        backend="litert",
        backend_version="2.3.0",
        threads=4,
        xnnpack_requested=True,
        xnnpack_applied=True,
        warmup_runs=10,
        warmup_secs=0.5,
        runs=50,
        min_secs=1.0,
        max_secs=150.0,
        rate_hz=None,
        seed=1,
        input_source="random",
        images_dir=None,
        sample_hz=10.0,
    )


def latency(p50: float = 3.5) -> LatencySummary:
    """A plausible latency distribution."""
    return LatencySummary(
        50, p50, 0.2, p50 - 0.4, p50 + 1.1, p50, p50 + 0.3, p50 + 0.4, p50 + 0.9, p50 + 1.1
    )


def run_result(device_id: str = DEVICE, run_id: str = RUN, *, n_latencies: int = 50) -> RunResult:
    """A complete RunResult touching every nested type, including the optional ones."""
    latencies = [3.0 + (i % 7) * 0.1 for i in range(n_latencies)]
    return RunResult(
        schema_version=RESULT_SCHEMA_VERSION,
        run_id=run_id,
        status="complete",
        started_at=1_735_732_800.0,
        finished_at=1_735_732_812.5,
        device=device_facts(device_id),
        model=model_info(),
        config=run_config(),
        timing=Timing(12.0, 8.5, 3.9, 10, 1_735_732_801.0, 1_735_732_811.0, 10.0, latency(0.4)),
        latency_ms=latency(),
        throughput_ips=285.7,
        memory=MemoryInfo(40.0, 52.5, 60.1),
        verdict=Verdict("VALID", [], {"min_duration": True, "min_count": True}),
        samples_summary={
            "temp_c": MetricSummary(100, 48.2, 55.0, 51.3, 54.9, "C"),
            "power_w": MetricSummary(0, None, None, None, None, "W"),
        },
        power=PowerInfo(
            "estimate", False, "profile rpi4", 4.2, profile="rpi4", idle_w=2.7, load_w=6.4
        ),
        energy=EnergyInfo(
            measured=False,
            method="estimate",
            window_s=10.0,
            joules=42.0,
            joules_per_inference=0.0147,
            inferences_per_joule=68.0,
            cpu_power=4.2,
            ram_power=0.0,
            cpu_energy=1.17e-5,
            ram_energy=0.0,
            energy_consumed=1.17e-5,
            emissions=5.5e-6,
            emissions_rate=5.5e-7,
        ),
        gops=8.0,
        sweep_id=None,
        accuracy=Accuracy(
            images=1,
            top1=1.0,
            top5=1.0,
            per_image=[
                ImageResult("cat.jpg", [Tag(282, "tiger cat", 0.71)], "tiger cat", True, True)
            ],
        ),
        latencies_ms=latencies,
        samples=[{"t": 1_735_732_801.0, "temp_c": 48.2, "power_w": None}],
        warnings=["thermal: soft temperature limit active"],
    )


def one_of_each(device_id: str = DEVICE, run_id: str = RUN) -> list:
    """One message of every type, run-scoped ones numbered like a real run."""
    return [
        StatusMessage(
            device_id=device_id, state="online", reason="connected", edgebench_version="0.1.0"
        ),
        FactsMessage(device_id=device_id, facts=device_facts(device_id), outbox_pending=3),
        RunStartedMessage(
            device_id=device_id, run_id=run_id, seq=0, model=model_info(), config=run_config()
        ),
        RunProgressMessage(
            device_id=device_id, run_id=run_id, seq=1, phase="measure", done=25, elapsed_s=0.5
        ),
        SamplesMessage.from_rows(
            [{"t": 1.0, "temp_c": 50.5, "cpu_util_pct": 99.0}, {"t": 1.1, "temp_c": None}],
            device_id=device_id,
            run_id=run_id,
            seq=2,
            units={"temp_c": "C"},
        ),
        RunFinishedMessage(
            device_id=device_id,
            run_id=run_id,
            seq=3,
            status="complete",
            verdict="VALID",
            throughput_ips=285.7,
            latency_p50_ms=3.5,
        ),
        ResultMessage(
            device_id=device_id, run_id=run_id, seq=4, result=run_result(device_id, run_id)
        ),
        RunFailedMessage(
            device_id=device_id,
            run_id=run_id,
            seq=5,
            error="model file not found",
            command_id="c" * 32,
        ),
        ReceiptMessage(device_id=device_id, message_ids=["a" * 32, "b" * 32]),
        CommandMessage(
            device_id=device_id,
            command="run",
            model="mobilenet_v1_0.25_128_quant",
            options={"threads": 2, "runs": 20, "xnnpack": True},
            expires_at=2_000_000_000.0,
        ),
    ]
