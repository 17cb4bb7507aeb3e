"""Per-op runtime profile of a model: the ``op_profile`` of a run result and ``model profile``.

Part of the run-result document (``shared/result.py``, ``docs/result-schema.md``); the
method (each op isolated into a one-op model and timed) is in ``docs/profiling.md``.
Times are p50 of the op's own timed runs, in milliseconds.
"""

from __future__ import annotations

import msgspec

from edgebench.shared.result_quality import Pair
from edgebench.shared.wire import Int64, Record, Text


class OpTiming(Record):
    """One op of the model, timed on its own, in network order."""

    index: Int64
    op: Text
    # Shapes of every input in op order (activations, then weights and bias), as in the file.
    input_shapes: list[list[Int64]]
    output_shape: list[Int64]
    # MACs as ``model inspect`` counts them (docs/models.md).
    macs: Int64
    # Bytes the op reads (inputs and constants) and writes (outputs).
    bytes: Int64
    p50_ms: float
    # p50_ms over sum_p50_ms: the shares of all ops add up to 1.
    share: float
    # Achieved 2·MACs per second in units of 1e9 (None for an op with no MACs).
    gops: float | None
    runs: Int64
    p50_ci95: Pair | None = None
    # Back-to-back invokes per timed sample (samples_match_whole), p50_ms is per invoke.
    invokes_per_sample: Int64 = 1
    # The op's own p50, and the whole model's p50 timed alternately with it: p50_ms is
    # raw_p50_ms × whole_p50_ms / whole_beside_p50_ms (equal to raw without alternation).
    raw_p50_ms: float | None = None
    whole_beside_p50_ms: float | None = None
    # --cross-check: the p50 of the first index+1 ops minus that of the first index ops.
    prefix_delta_ms: float | None = None


class OpTypeSummary(Record):
    """All ops of one type together."""

    op: Text
    count: Int64
    macs: Int64
    p50_ms: float
    share: float
    gops: float | None


class CrossCheck(Record):
    """The second method: prefix models (first k ops) timed and differenced."""

    method: Text
    # p50 of the whole prefix chain's last model (all ops), which should equal the whole.
    full_prefix_p50_ms: float
    # Spearman rank correlation of the isolated times and the prefix differences.
    spearman: float | None
    # Sum over ops of |isolated - prefix difference|, over the whole model's p50.
    sum_abs_diff_pct: float


class OpProfile(Record):
    """Per-op latency of one model on one board, with the whole model measured alongside."""

    method: Text
    model_sha256: Text
    backend: Text
    backend_version: Text
    threads: Int64
    xnnpack_requested: bool
    # Whether XNNPACK took the whole model (each one-op model is delegated on its own).
    xnnpack_applied: bool
    min_runs_per_op: Int64
    min_secs_per_op: float
    ops: list[OpTiming]
    by_type: list[OpTypeSummary]
    sum_p50_ms: float
    whole_p50_ms: float
    # 100 · (sum_p50_ms - whole_p50_ms) / whole_p50_ms: how far isolation is from the whole.
    gap_pct: float
    whole_p50_ci95: Pair | None = None
    # Whether each op's timed sample was made to last about one whole inference.
    samples_match_whole: bool = False
    # Rounds in which each op alternated with the whole model (1: not alternated).
    rounds_with_whole: Int64 = 1
    cross_check: CrossCheck | None = None
    # Ops that could not be cut out or run on their own (custom ops): "index op: reason".
    skipped: list[Text] = msgspec.field(default_factory=list)
