"""The names and labels of a stage's Docker resources: all carry `deployctl.*` labels; nothing else is touched."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Literal

from deployctl.errors import DeployctlError

STAGE_LABEL = "deployctl.stage"
RELEASE_LABEL = "deployctl.release"
ROLE_LABEL = "deployctl.role"
CONTEXT_LABEL = "deployctl.context"
ENGINE_LABEL = "deployctl.engine"

Role = Literal["app", "proxy"]
Engine = Literal["container", "swarm"]

_STAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")
SWARM_TASK_LABEL = "com.docker.swarm.service.id"


def check_stage(stage: str) -> str:
    """The stage name, when it can name Docker resources (lower case letters, digits, `_.-`); else an error."""
    if not _STAGE_NAME.match(stage):
        raise DeployctlError(
            f"stage {stage!r}: a stage name must be 1-40 lower case letters, digits, '_', '.' or '-' to name containers"
        )
    return stage


def network_name(stage: str) -> str:
    """The stage's own network: the proxy reaches the replicas on it by container (or service) name."""
    return f"deployctl-{stage}"


def proxy_name(stage: str) -> str:
    """The stage's proxy container."""
    return f"deployctl-{stage}-proxy"


def service_name(stage: str) -> str:
    """The stage's Swarm service."""
    return f"deployctl-{stage}-app"


def app_container_name(stage: str, suffix: str | None = None) -> str:
    """A new replica's container name: `deployctl-<stage>-app-<random short id>`."""
    return f"deployctl-{stage}-app-{suffix or secrets.token_hex(3)}"


def stage_labels(
    stage: str, role: Role | None = None, release: str | None = None, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The labels of a resource deployctl creates for a stage."""
    labels = {STAGE_LABEL: stage}
    if role is not None:
        labels[ROLE_LABEL] = role
    if release is not None:
        labels[RELEASE_LABEL] = release
    labels.update(extra or {})
    return labels


def is_stage_resource(labels: Mapping[str, str] | None, stage: str, role: Role | None = None) -> bool:
    """True when a resource's labels say deployctl created it for this stage (and role)."""
    labels = labels or {}
    return labels.get(STAGE_LABEL) == stage and (role is None or labels.get(ROLE_LABEL) == role)


def is_rollout_resource(labels: Mapping[str, str] | None, stage: str) -> bool:
    """True for what a rollout of this stage created (it carries `deployctl.engine`, and a container's role is
    app or proxy): never the lab's machines, which carry the same stage label with another role."""
    labels = labels or {}
    return (
        labels.get(STAGE_LABEL) == stage
        and labels.get(ENGINE_LABEL) in ("container", "swarm")
        and labels.get(ROLE_LABEL, "app") in ("app", "proxy")
    )
