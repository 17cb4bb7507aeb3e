"""``edgebench agent run`` end to end, as a user runs it: a subprocess on real models."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EDGEBENCH = str(Path(sys.executable).with_name("edgebench"))
SMALL = "mobilenet_v1_0.25_128_quant.tflite"
QUICK = ["--runs", "5", "--min-secs", "0", "--warmup-secs", "0", "--sample-hz", "0"]


def env_for(tmp_path: Path) -> dict[str, str]:
    """Keep the agent's state and cache inside the test's folder."""
    env = dict(os.environ)
    env.pop("EDGEBENCH_CONFIG", None)
    env.update(XDG_STATE_HOME=str(tmp_path / "state"), XDG_CACHE_HOME=str(tmp_path / "cache"))
    env.pop("EDGEBENCH_MQTT__URL", None)
    # Other tests run in parallel: measure the busy board once, never wait for it to calm.
    env["EDGEBENCH_BUSY_WAIT_S"] = "0"
    return env


def agent_run(tmp_path: Path, *args: str, exe: str = EDGEBENCH, timeout: float = 120):
    return subprocess.run(
        [exe, "agent", "run", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env_for(tmp_path),
        cwd=tmp_path,
    )


def assert_one_line_error(proc, *needles: str, alone: bool = True) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("edgebench: error:")]
    assert len(errors) == 1, proc.stderr
    if alone:  # nothing else either: no usage block, no runtime chatter (the INFO line)
        assert proc.stderr.splitlines() == errors, proc.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]


def test_run_writes_the_full_result(models_dir, tmp_path, output_dir):
    out = tmp_path / "out.json"
    proc = agent_run(
        tmp_path, str(models_dir / SMALL), "--runs", "20", "--min-secs", "0", "--json", str(out)
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    (output_dir / "agent_run_small.json").write_text(out.read_text())
    for key in (
        "schema_version",
        "run_id",
        "device",
        "model",
        "config",
        "throughput_ips",
        "verdict",
        "samples_summary",
        "power",
        "energy",
    ):
        assert key in doc
    assert doc["schema_version"] == 1
    assert len(doc["run_id"]) == 32 and int(doc["run_id"], 16) >= 0
    assert doc["status"] == "complete"
    assert {"mean", "p50", "p90", "p99"} <= set(doc["latency_ms"])
    assert doc["latency_ms"]["count"] == len(doc["latencies_ms"]) >= 20
    assert doc["throughput_ips"] > 0
    assert doc["model"]["sha256"] and doc["model"]["macs"] > 0
    assert doc["config"]["backend"] == "litert"
    assert doc["config"]["threads"] == len(os.sched_getaffinity(0))
    assert doc["config"]["xnnpack_applied"] is True
    assert doc["timing"]["warmup_count"] >= 1
    assert doc["memory"]["peak_rss_mb"] >= doc["memory"]["rss_after_load_mb"] > 0
    # 20 samples cannot give a p90: LoadGen's rule makes the run INVALID, with the reason.
    assert doc["verdict"]["status"] == "INVALID"
    assert doc["verdict"]["checks"]["enough_samples_for_p90"] is False
    assert doc["device"]["device_id"]
    assert doc["power"]["method"] and doc["energy"]["window_s"] >= 0
    # The human summary is on stdout, progress on stderr.
    assert "Latency" in proc.stdout and "Verdict    INVALID" in proc.stdout
    assert "measure:" in proc.stderr


def test_valid_run_with_sampling_and_threads(models_dir, tmp_path):
    out = tmp_path / "valid.json"
    proc = agent_run(
        tmp_path,
        str(models_dir / SMALL),
        "--runs",
        "64",
        "--min-secs",
        "0.3",
        "--threads",
        "1",
        "--sample-hz",
        "20",
        "--json",
        str(out),
        "--quiet",
        # Parallel tests keep the board busy; the busy guard has its own tests.
        "--allow-busy",
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    assert doc["config"]["threads"] == 1 and doc["config"]["sample_hz"] == 20
    assert doc["latency_ms"]["count"] >= 64
    assert doc["timing"]["measured_duration_s"] >= 0.3
    assert doc["samples"] and all("t" in row for row in doc["samples"])
    window = (doc["timing"]["measured_start"] - 0.5, doc["timing"]["measured_end"] + 0.5)
    assert all(window[0] <= row["t"] <= window[1] for row in doc["samples"])
    if doc["verdict"]["status"] == "INVALID":  # only throttling may spoil it here
        assert list(doc["verdict"]["checks"].values()).count(False) == 1
        assert doc["verdict"]["checks"]["no_throttling"] is False
    # --quiet: no progress and no runtime chatter (LiteRT's XNNPACK INFO line), one-line result.
    assert proc.stderr == ""
    assert len(proc.stdout.strip().splitlines()) == 1


def test_no_xnnpack_is_recorded(models_dir, tmp_path):
    out = tmp_path / "ref.json"
    proc = agent_run(tmp_path, str(models_dir / SMALL), *QUICK, "--no-xnnpack", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    config = json.loads(out.read_text())["config"]
    assert config["xnnpack_requested"] is False
    assert config["xnnpack_applied"] is False
    assert "XNNPACK off" in proc.stdout


def test_accuracy_mode_on_the_shared_images(models_dir, images_dir, tmp_path):
    out = tmp_path / "acc.json"
    proc = agent_run(
        tmp_path,
        str(models_dir / "mobilenet_v2_1.0_224_quant.tflite"),
        *QUICK,
        "--images",
        str(images_dir),
        "--labels",
        str(models_dir / "imagenet_labels.txt"),
        "--expected",
        str(images_dir / "expected_top1.csv"),
        "--json",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    accuracy = doc["accuracy"]
    assert accuracy["images"] == 5 and accuracy["top1"] == 1.0 and accuracy["top5"] == 1.0
    assert {item["image"] for item in accuracy["per_image"]} == {
        "bird.bmp",
        "cat.bmp",
        "dragonfly.bmp",
        "grace_hopper.bmp",
        "sunflower.bmp",
    }
    assert doc["config"]["input_source"] == "images"
    assert doc["timing"]["preprocess_ms"]["count"] == 5
    assert "top-1 100.0%" in proc.stdout


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["MISSING/nope.tflite"], ["nope.tflite"]),
        (["SHARED/images/expected_top1.csv"], ["not a TFLite model"]),
        (["SHARED/models/invalid_model_invoking_error.tflite"], ["unresolved custom op"]),
        ([f"SHARED/models/{SMALL}", "--runs", "-1"], ["--runs -1"]),
        ([f"SHARED/models/{SMALL}", "--threads", "0"], ["--threads 0"]),
        ([f"SHARED/models/{SMALL}", "--rate", "0"], ["--rate 0"]),
        ([f"SHARED/models/{SMALL}", "--rate", "-5"], ["--rate -5"]),
        ([f"SHARED/models/{SMALL}", "--min-secs", "-1"], ["--min-secs"]),
        ([f"SHARED/models/{SMALL}", "--images", "MISSING/imgs"], ["--images", "not found"]),
        (
            [f"SHARED/models/{SMALL}", "--labels", "SHARED/models/imagenet_labels.txt"],
            ["--labels needs --images"],
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(shared_dir, tmp_path, args, needles):
    args = [a.replace("SHARED", str(shared_dir)).replace("MISSING", str(tmp_path)) for a in args]
    assert_one_line_error(agent_run(tmp_path, *QUICK, *args), *needles)


def test_corrupt_image_and_wrong_labels(models_dir, images_dir, tmp_path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    (folder / "good.bmp").write_bytes((images_dir / "cat.bmp").read_bytes())
    (folder / "torn.bmp").write_bytes((images_dir / "cat.bmp").read_bytes()[:200])
    proc = agent_run(tmp_path, str(models_dir / SMALL), *QUICK, "--images", str(folder))
    assert_one_line_error(proc, "torn.bmp")

    labels = tmp_path / "labels.txt"
    labels.write_text("cat\ndog\n")
    proc = agent_run(
        tmp_path,
        str(models_dir / SMALL),
        *QUICK,
        "--images",
        str(images_dir),
        "--labels",
        str(labels),
    )
    assert_one_line_error(proc, "2 lines", "1001 classes")


def test_unwritable_json_still_prints_the_result(models_dir, tmp_path):
    target = tmp_path / "no" / "such" / "dir" / "out.json"
    proc = agent_run(tmp_path, str(models_dir / SMALL), *QUICK, "--json", str(target))
    assert_one_line_error(proc, "cannot write --json", alone=False)  # after the progress
    assert "Latency" in proc.stdout
    assert not target.exists()
    assert not list(tmp_path.glob("**/*.tmp"))


def test_ctrl_c_saves_a_partial_invalid_result(models_dir, tmp_path):
    out = tmp_path / "partial.json"
    proc = subprocess.Popen(
        [
            EDGEBENCH,
            "agent",
            "run",
            str(models_dir / SMALL),
            "--runs",
            "100000000",
            "--max-secs",
            "120",
            "--sample-hz",
            "5",
            "--json",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env_for(tmp_path),
    )
    try:
        # Wait for the measured phase to report progress (about 1 s after it starts).
        deadline = time.monotonic() + 60
        seen = ""
        while "measure:" not in seen and time.monotonic() < deadline:
            seen += proc.stderr.readline()
        assert "measure:" in seen, seen
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    doc = json.loads(out.read_text())
    assert doc["status"] == "interrupted"
    assert doc["verdict"]["status"] == "INVALID"
    assert doc["verdict"]["checks"]["not_interrupted"] is False
    assert any("interrupted" in reason for reason in doc["verdict"]["reasons"])
    assert doc["latency_ms"]["count"] == len(doc["latencies_ms"]) > 0
    assert "Verdict    INVALID" in stdout


def test_progress_lines_stay_sparse_without_a_tty(models_dir, tmp_path):
    proc = agent_run(
        tmp_path,
        str(models_dir / SMALL),
        "--runs",
        "1",
        "--min-secs",
        "2.5",
        "--warmup-secs",
        "0",
        "--sample-hz",
        "0",
    )
    assert proc.returncode == 0, proc.stderr
    measure_lines = [line for line in proc.stderr.splitlines() if "measure:" in line]
    # Ticks come once a second, but without a TTY only phase changes and every 10 s print.
    assert 1 <= len(measure_lines) <= 2
    assert "\r" not in proc.stderr


def test_live_progress_line_on_a_tty(models_dir, tmp_path):
    import pty

    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(
            [
                EDGEBENCH,
                "agent",
                "run",
                str(models_dir / SMALL),
                "--runs",
                "1",
                "--min-secs",
                "1.5",
                "--warmup-secs",
                "0",
                "--sample-hz",
                "0",
            ],
            check=False,
            stdout=subprocess.PIPE,
            stderr=follower,
            text=True,
            timeout=60,
            env=env_for(tmp_path),
        )
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO once the pty is drained and closed
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        if follower >= 0:
            os.close(follower)
        os.close(leader)
    tty_text = b"".join(chunks).decode(errors="replace")
    assert proc.returncode == 0, tty_text
    # The live line is redrawn in place with a carriage return and an erase-line code.
    assert "\r\x1b[2K  measure:" in tty_text
    assert "Latency" in proc.stdout


def test_json_writer_is_atomic_and_drops_non_finite_numbers(tmp_path):
    from edgebench.agent.cli.run import write_json_atomic
    from edgebench.shared.errors import EdgebenchError

    target = tmp_path / "r.json"
    write_json_atomic(target, {"a": float("nan"), "b": [1.5, float("inf")], "c": {"d": 2}})
    assert json.loads(target.read_text()) == {"a": None, "b": [1.5, None], "c": {"d": 2}}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]
    assert target.stat().st_mode & 0o044  # readable by others as the umask allows, not 0600
    with pytest.raises(EdgebenchError, match="cannot write --json"):
        write_json_atomic(tmp_path / "r.json" / "inside-a-file.json", {})
