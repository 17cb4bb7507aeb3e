"""Terminal rendering of an ``OpProfile``: the per-op table, the per-type summary, the gap."""

from __future__ import annotations

from edgebench.shared.op_profile import OpProfile


def _shape(shape: list[int]) -> str:
    return "x".join(str(d) for d in shape) or "scalar"


def format_profile(profile: OpProfile, name: str) -> str:
    """Render the per-op table (network order), the per-type summary and sum vs whole."""
    xnn = "on" if profile.xnnpack_applied else "off"
    lines = [
        f"model    {name}   sha256 {profile.model_sha256[:16]}",
        f"backend  {profile.backend} {profile.backend_version}, {profile.threads} thread(s),"
        f" XNNPACK {xnn}",
        "",
    ]
    cross = any(op.prefix_delta_ms is not None for op in profile.ops)
    width = max([len(op.op) for op in profile.ops] + [2])
    head = f"{'#':>4}  {'op':<{width}}  {'input':<16}  {'output':<16}  {'MACs':>12}"
    head += f"  {'p50 ms':>8}  {'share':>6}  {'GOPS':>6}"
    lines.append(head + ("  prefix Δ ms" if cross else ""))
    for op in profile.ops:
        gops = f"{op.gops:.2f}" if op.gops is not None else "-"
        first = _shape(op.input_shapes[0]) if op.input_shapes else "-"
        line = (
            f"{op.index:>4}  {op.op:<{width}}  {first:<16}  {_shape(op.output_shape):<16}"
            f"  {op.macs:>12,}  {op.p50_ms:>8.3f}  {100 * op.share:>5.1f}%  {gops:>6}"
        )
        if op.prefix_delta_ms is not None:
            line += f"  {op.prefix_delta_ms:>10.3f}"
        lines.append(line)
    lines += ["", f"{'op type':<{width}}  {'count':>5}  {'p50 ms':>8}  {'share':>6}  {'GOPS':>6}"]
    for s in profile.by_type:
        gops = f"{s.gops:.2f}" if s.gops is not None else "-"
        lines.append(
            f"{s.op:<{width}}  {s.count:>5}  {s.p50_ms:>8.3f}  {100 * s.share:>5.1f}%  {gops:>6}"
        )
    lines += [
        "",
        f"sum of op p50s  {profile.sum_p50_ms:.3f} ms",
        f"whole model p50 {profile.whole_p50_ms:.3f} ms (timed in this run, beside the ops)",
        f"gap             {profile.gap_pct:+.1f} % (sum vs whole; docs/profiling.md says why)",
    ]
    if profile.cross_check is not None:
        c = profile.cross_check
        rho = f"{c.spearman:.3f}" if c.spearman is not None else "-"
        lines.append(
            f"cross-check     prefix models: all-ops prefix {c.full_prefix_p50_ms:.3f} ms,"
            f" Spearman {rho}, Σ|isolated - prefix Δ| = {c.sum_abs_diff_pct:.1f} % of whole"
        )
    lines += [f"skipped         {s}" for s in profile.skipped]
    return "\n".join(lines)
