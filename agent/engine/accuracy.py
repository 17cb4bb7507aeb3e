"""Accuracy mode: top-5 tags per image, scored against an expected-labels CSV."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from edgebench.shared.errors import EdgebenchError
from edgebench.shared.result import Accuracy, ImageResult, Tag

TOP_K = 5


def load_labels(path: Path, num_classes: int) -> list[str]:
    """Read one label per line; the count must match the model's output size."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EdgebenchError(f"cannot read --labels {path}: {exc}") from None
    # A trailing blank line is common and harmless; blank lines inside are not.
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) != num_classes:
        raise EdgebenchError(
            f"--labels {path} has {len(lines)} lines but the model outputs {num_classes}"
            " classes; give the labels file that belongs to this model"
        )
    return [line.strip() for line in lines]


def load_expected(path: Path, model_file: str) -> dict[str, str]:
    """Map image file name to expected label from a CSV with a header.

    Columns: ``image`` and ``label`` or ``top1_label``; with a ``model`` column only
    the rows for ``model_file`` are used.
    """
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
            columns = set(rows[0]) if rows else set()
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise EdgebenchError(f"cannot read --expected {path}: {exc}") from None
    label_column = "label" if "label" in columns else "top1_label"
    if "image" not in columns or label_column not in columns:
        raise EdgebenchError(
            f"--expected {path} needs a header with 'image' and 'label' (or 'top1_label')"
            f" columns; found {sorted(columns) or 'no rows'}"
        )
    if "model" in columns:
        rows = [row for row in rows if row["model"] == model_file]
    return {row["image"]: row[label_column] for row in rows}


def dequantize(values: Any, detail: dict[str, Any]) -> Any:
    """Output tensor as float scores: (q - zero_point) * scale for quantized outputs."""
    import numpy as np

    scale, zero_point = detail.get("quantization", (0.0, 0))
    scores = np.asarray(values, dtype=np.float64).reshape(-1)
    return (scores - zero_point) * scale if scale else scores


def top_tags(scores: Any, labels: Sequence[str], k: int = TOP_K) -> list[Tag]:
    """Return the k best classes, highest score first (ties by lower index)."""
    import numpy as np

    order = np.argsort(-scores, kind="stable")[:k]
    return [Tag(index=int(i), label=labels[int(i)], score=float(scores[i])) for i in order]


def evaluate(
    classify: Callable[[Any], Any],
    *,
    names: list[str],
    tensors: list[Any],
    output_detail: dict[str, Any],
    labels: Sequence[str],
    expected: dict[str, str],
) -> Accuracy:
    """Classify each image once and score top-1/top-5 against ``expected``."""
    per_image = []
    for name, tensor in zip(names, tensors, strict=True):
        tags = top_tags(dequantize(classify(tensor), output_detail), labels)
        want = expected.get(name)
        per_image.append(
            ImageResult(
                image=name,
                top5=tags,
                expected=want,
                top1_correct=None if want is None else tags[0].label == want,
                top5_correct=None if want is None else any(t.label == want for t in tags),
            )
        )
    scored = [item for item in per_image if item.expected is not None]
    return Accuracy(
        images=len(per_image),
        top1=sum(bool(i.top1_correct) for i in scored) / len(scored) if scored else None,
        top5=sum(bool(i.top5_correct) for i in scored) / len(scored) if scored else None,
        per_image=per_image,
    )
