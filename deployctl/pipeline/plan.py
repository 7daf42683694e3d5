"""A promotion's plan: which release goes where, with which images, to which hosts, past which gates."""

from __future__ import annotations

from dataclasses import dataclass

from deployctl.pipeline.gates import Decision, Gate


@dataclass(frozen=True)
class PlannedImage:
    """The image a play of the release runs as: exactly this id, never rebuilt."""

    play: str
    image: str
    image_id: str


@dataclass(frozen=True)
class PromotionPlan:
    """What `promote` will do (or, with --dry-run, would do)."""

    stage: str
    source: str
    release_id: str | None
    content_hash: str | None
    images: tuple[PlannedImage, ...]
    vm_hosts: tuple[str, ...]
    container_targets: tuple[str, ...]
    gates: tuple[Gate, ...]
    decision: Decision


def plan_lines(plan: PromotionPlan) -> list[str]:
    """The plan as lines for a terminal."""
    release = plan.release_id or "(none)"
    lines = [f"promote {plan.source} -> {plan.stage}: release {release} ({plan.content_hash or 'no content hash'})"]
    for gate in plan.gates:
        lines.append(f"  gate {gate.gate}: {'passed' if gate.passed else 'FAILED'}: {gate.reason}")
    for image in plan.images:
        lines.append(f"  image of play {image.play!r}: {image.image} ({image.image_id})")
    lines.append(f"  VMs (mutable): {', '.join(plan.vm_hosts) or 'none'}")
    lines.append(f"  containers (immutable): {', '.join(plan.container_targets) or 'none'}")
    if not plan.decision.proceed:
        lines.append("  would be refused: " + ", ".join(g.gate for g in plan.decision.failed))
    elif plan.decision.forced:
        lines.append(f"  forced past {', '.join(g.gate for g in plan.decision.failed)}: {plan.decision.force_reason}")
    else:
        lines.append(f"  then: verify {plan.stage}")
    return lines
