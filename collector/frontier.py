"""The accuracy–latency (or energy) frontier: which model is the most accurate within a budget.

Every finished run whose model has a published ImageNet top-1 (``shared.published``: the
generated models carry random weights, so the top-1 is "published, not measured") becomes a
point: its measured p50 latency (with the 95 % interval where the run has one) or its energy
per inference, against that top-1. The Pareto front is the points no other point beats on
both axes. A budget's answer is the most accurate point *surely* within it: its interval's
upper bound (the figure itself when it has no interval) must be at or under the budget. A run
whose figure is under the budget but whose interval reaches over it is listed as straddling,
not chosen: the measurement cannot tell whether it meets the budget.

Achieved GOPS (2 × MACs ÷ p50, the result's own definition of ``gops``) per family shows
that latency does not follow MACs. The pure functions take :class:`Point` lists; the two
queries at the end read them from the database (JSON paths read in SQL, as ``compare`` does).
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa

from edgebench.collector.models import Device, Run
from edgebench.shared.published import TOP1_LABEL, for_model_name, source

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

Metric = Literal["p50", "energy"]
METRICS: dict[str, tuple[str, str]] = {
    "p50": ("p50 latency", "ms"),
    "energy": ("energy per inference", "mJ"),
}
RULE = (
    "within budget: the upper end of the run's 95 % interval (its figure where it has "
    "none) is at or under the budget; a run whose interval straddles the budget is "
    "listed, not chosen"
)


@dataclass(frozen=True)
class Point:
    """One run placed on the frontier: its measured figure and its model's published top-1."""

    run_id: str
    device_id: str
    model_name: str
    family: str
    threads: int | None
    verdict: str | None
    top1: float
    value: float
    low: float | None = None
    high: float | None = None
    macs: float | None = None
    gops: float | None = None
    measured: bool = True

    @property
    def upper(self) -> float:
        """The worst case the measurement allows: the interval's upper end, else the figure."""
        return self.high if self.high is not None else self.value


def dominates(a: Point, b: Point) -> bool:
    """Tell whether ``a`` is at least as good as ``b`` on both axes and better on one."""
    return a.value <= b.value and a.top1 >= b.top1 and (a.value < b.value or a.top1 > b.top1)


def pareto_front(points: list[Point]) -> list[Point]:
    """Return the non-dominated points, fastest first (the line the page draws)."""
    front = [p for p in points if not any(dominates(q, p) for q in points)]
    return sorted(front, key=lambda p: (p.value, -p.top1, p.run_id))


def budget_answer(points: list[Point], budget: float) -> dict[str, Any]:
    """Return the most accurate point surely within ``budget`` and the straddling ones."""
    within = [p for p in points if p.upper <= budget]
    straddling = [p for p in points if p.value <= budget < p.upper]
    # Among equally accurate models the faster one wins; the run id makes it deterministic.
    best = min(within, key=lambda p: (-p.top1, p.value, p.run_id)) if within else None
    return {
        "budget": budget,
        "best": point_dict(best) if best else None,
        "within": len(within),
        "straddling": [point_dict(p) for p in sorted(straddling, key=lambda p: -p.top1)],
        "rule": RULE,
    }


def family_gops(points: list[Point]) -> list[dict[str, Any]]:
    """Achieved GOPS per family: runs, MACs range and the median and best GOPS."""
    families: dict[str, list[Point]] = {}
    for p in points:
        if p.gops is not None:
            families.setdefault(p.family, []).append(p)
    return [
        {
            "family": family,
            "runs": len(group),
            "macs_m_min": min(p.macs or 0 for p in group) / 1e6,
            "macs_m_max": max(p.macs or 0 for p in group) / 1e6,
            "gops_median": statistics.median(p.gops or 0 for p in group),
            "gops_max": max(p.gops or 0 for p in group),
        }
        for family, group in sorted(families.items())
    ]


def point_dict(p: Point) -> dict[str, Any]:
    """Return a point as the API's JSON object."""
    return asdict(p)


def device_points(session: Session, device_id: str | None, metric: Metric) -> list[Point]:
    """Read the finished runs (of one device, or all) whose model has a published top-1."""
    ci = Run.result["latency_ms"]["ci95"]["p50"]
    stmt = sa.select(
        Run.run_id,
        Run.device_id,
        Run.model_name,
        Run.threads,
        Run.verdict,
        Run.latency_p50_ms,
        Run.mj_per_inference,
        Run.energy_measured,
        ci[0].as_float().label("low"),
        ci[1].as_float().label("high"),
        Run.result["model"]["macs"].as_float().label("macs"),
    ).where(Run.status == "complete", Run.result.is_not(None))
    if device_id is not None:
        stmt = stmt.where(Run.device_id == device_id)
    points = []
    for row in session.execute(stmt.order_by(Run.started_at, Run.run_id)):
        model = for_model_name(row.model_name)
        if model is None or model.row.top1 is None:
            continue
        p50 = row.latency_p50_ms
        macs = row.macs or (model.row.macs_m * 1e6 if model.row.macs_m else None)
        gops = 2 * macs / (p50 / 1000) / 1e9 if macs and p50 else None
        if metric == "p50":
            value, low, high, measured = p50, row.low, row.high, True
        else:
            # Energy has no interval in the result; an estimate says so through ``measured``.
            value, low, high, measured = row.mj_per_inference, None, None, bool(row.energy_measured)
        if value is None:
            continue
        points.append(
            Point(
                row.run_id,
                row.device_id,
                row.model_name,
                model.family,
                row.threads,
                row.verdict,
                model.row.top1,
                value,
                low,
                high,
                macs,
                gops,
                measured,
            )
        )
    return points


def published_sources(points: list[Point]) -> dict[str, str]:
    """Name the source of each plotted model's published top-1."""
    sources = {}
    for p in points:
        model = for_model_name(p.model_name)
        if model is not None:
            sources[p.model_name] = source(model.arch)
    return sources


def frontier(
    session: Session, device_id: str, metric: Metric, budget: float | None
) -> dict[str, Any]:
    """One device's frontier: points, Pareto front, the budget's answer, GOPS per family."""
    points = device_points(session, device_id, metric)
    skipped = session.scalar(
        sa.select(sa.func.count())
        .select_from(Run)
        .where(Run.device_id == device_id, Run.status == "complete", Run.result.is_not(None))
    )
    return {
        "device_id": device_id,
        "metric": metric,
        "label": METRICS[metric][0],
        "unit": METRICS[metric][1],
        "top1_label": TOP1_LABEL,
        "points": [point_dict(p) for p in points],
        "front": [p.run_id for p in pareto_front(points)],
        "unplotted": int(skipped or 0) - len(points),
        "answer": budget_answer(points, budget) if budget is not None else None,
        "gops": family_gops(points),
        "sources": published_sources(points),
        "rule": RULE,
    }


def across_devices(session: Session, metric: Metric, budget: float | None) -> dict[str, Any]:
    """For one budget, the best model per board side by side (and each board's GOPS)."""
    by_device: dict[str, list[Point]] = {}
    for p in device_points(session, None, metric):
        by_device.setdefault(p.device_id, []).append(p)
    boards = dict(
        session.execute(
            sa.select(Device.device_id, Device.board).where(Device.device_id.in_(by_device))
        ).all()
    )
    return {
        "metric": metric,
        "label": METRICS[metric][0],
        "unit": METRICS[metric][1],
        "budget": budget,
        "top1_label": TOP1_LABEL,
        "devices": [
            {
                "device_id": device_id,
                "board": boards.get(device_id),
                "runs": len(points),
                "answer": budget_answer(points, budget) if budget is not None else None,
                "gops": family_gops(points),
            }
            for device_id, points in sorted(by_device.items())
        ],
        "rule": RULE,
    }
