"""How well ``edgebench model predict`` predicts a never-run model's p50 on this machine.

Fits the per-op-type cost model (``shared/latency_model.py``) on profiles of three
generated MobileNetV2 int8 configurations, then predicts six other width × resolution
configurations and one MobileNetV1, each measured in the same run with the agent's loop
and the same backend settings. PASS when at least 6 of the 7 predictions are within
±10 % of the measured p50 and none is beyond ±20 %.

Profiles take minutes and the load of a shared machine changes meanwhile, so every model
(training and test) is also timed alternately with a reference (the first training model)
in short rounds, and times are compared in units of the reference's p50: each training
profile is rescaled so its whole model equals its ratio to the reference, the prediction
comes out in those units, and so does the measurement (its raw p50 is shown too).

    .venv/bin/python bench/predict_accuracy.py [--threads 1] [--min-secs 0.3] [--whole-secs 2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

TRAIN = (("mobilenet_v2", 0.5, 224), ("mobilenet_v2", 1.0, 128), ("mobilenet_v2", 1.4, 192))
TEST = (
    ("mobilenet_v2", 0.35, 96),
    ("mobilenet_v2", 0.35, 160),
    ("mobilenet_v2", 0.75, 128),
    ("mobilenet_v2", 0.75, 224),
    ("mobilenet_v2", 1.0, 224),
    ("mobilenet_v2", 1.3, 160),
    ("mobilenet_v1", 0.5, 160),
)
CLOSE, FAR, NEEDED = 0.10, 0.20, 6
ROUNDS = 6


def build(folder: Path, arch: str, alpha: float, resolution: int) -> Path:
    """Write a generated int8 model (seed 0) and return its path."""
    from edgebench.agent.modeltools.generator.build import build_model_bytes, model_config

    config = model_config(arch, alpha, resolution, "int8")
    path = folder / f"{config.name}.tflite"
    path.write_bytes(build_model_bytes(config))
    return path


def rescaled(profile: object, factor: float) -> object:
    """Return the profile with every time multiplied by ``factor``."""
    import msgspec

    ops = [msgspec.structs.replace(o, p50_ms=o.p50_ms * factor) for o in profile.ops]
    return msgspec.structs.replace(
        profile,
        ops=ops,
        sum_p50_ms=profile.sum_p50_ms * factor,
        whole_p50_ms=profile.whole_p50_ms * factor,
    )


def main() -> int:
    """Profile the training models, predict and measure the others, print PASS/FAIL."""
    from edgebench.agent.engine.opprofile import ProfileSettings, profile_model
    from edgebench.agent.engine.optimer import Timer, p50
    from edgebench.agent.modeltools.modelfile import load_model
    from edgebench.agent.modeltools.submodel import model_features
    from edgebench.shared.latency_model import fit, predict

    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--min-secs", type=float, default=0.3)
    parser.add_argument("--whole-secs", type=float, default=2.0)
    args = parser.parse_args()
    settings = ProfileSettings(threads=args.threads, min_secs=args.min_secs)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        first = load_model(build(folder, *TRAIN[0]))
        reference = Timer(first.data, first.path.name, settings)

        def paired(model: object) -> tuple[float, float]:
            """p50 ratio to the reference, alternated in rounds; and the raw p50 (ms)."""
            timer = Timer(model.data, model.path.name, settings)
            own: list[float] = []
            ref: list[float] = []
            for _ in range(ROUNDS):
                own += timer.run(10, args.whole_secs / ROUNDS)
                ref += reference.run(10, args.whole_secs / ROUNDS)
            return p50(own) / p50(ref), p50(own)

        profiles = []
        for spec in TRAIN:
            model = load_model(build(folder, *spec))
            profile = profile_model(model, settings)
            ratio, _ = paired(model)
            # Put the profile on the reference's scale: the load it ran at drops out.
            profiles.append(rescaled(profile, ratio / profile.whole_p50_ms))
            print(
                f"fit on {spec[0]} {spec[1]}/{spec[2]}: whole {profile.whole_p50_ms:.3f} ms,"
                f" sum of ops {profile.sum_p50_ms:.3f} ms, {ratio:.3f} × the reference"
            )
        cost = fit(profiles)
        print(f"whole/sum calibration {cost.whole_over_sum:.3f}, {args.threads} thread(s)")
        print("times in units of the reference's p50 (MobileNetV2 0.5/224), alternated")
        print(f"{'model':<22} {'predicted':>10} {'measured':>10} {'error':>8} {'raw p50 ms':>11}")
        errors = []
        for spec in TEST:
            model = load_model(build(folder, *spec))
            predicted = predict(cost, model_features(model)).p50_ms
            measured, raw = paired(model)
            error = predicted / measured - 1
            errors.append(error)
            name = f"{spec[0]} {spec[1]}/{spec[2]}"
            print(
                f"{name:<22} {predicted:>10.3f} {measured:>10.3f} {100 * error:>+7.1f}%"
                f" {raw:>11.3f}"
            )
            sys.stdout.flush()
    close = sum(abs(e) <= CLOSE for e in errors)
    worst = max(abs(e) for e in errors)
    ok_close, ok_far = close >= NEEDED, worst <= FAR
    print(
        f"{'PASS' if ok_close else 'FAIL'}: {close} of {len(errors)} within ±{CLOSE:.0%}"
        f" (target ≥ {NEEDED})"
    )
    print(f"{'PASS' if ok_far else 'FAIL'}: worst error {worst:.1%} (target ≤ {FAR:.0%})")
    return 0 if ok_close and ok_far else 1


if __name__ == "__main__":
    raise SystemExit(main())
