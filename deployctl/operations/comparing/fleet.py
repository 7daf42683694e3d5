"""The stage's VMs behind a proxy of their own, as a load-balanced VM fleet runs: the stage proxy's nginx image
and config (retries on another upstream), the VMs' app port as upstreams, published on 127.0.0.1 for the load."""

from __future__ import annotations

import time
from collections.abc import Sequence

from deployctl.dockerapi.types import Container, EngineApi
from deployctl.errors import DeployctlError
from deployctl.immutable.proxy import Upstream, reload_proxy, render_stage_conf, start_proxy_named, wait_workers_gone
from deployctl.lab.nodes import node_container_name
from deployctl.model.inventory import InventoryHost
from deployctl.operations.comparing.fresh import COMPARE_LABEL, free_port

APP_PORT_VAR = "app_port"
LAB_NETWORK = "bridge"
"""The network the docker provider attaches lab nodes to."""


def vm_upstreams(client: EngineApi, vms: Sequence[InventoryHost]) -> list[Upstream]:
    """Each VM's address on the lab network and its app's port (`app_port`); an error when one has none."""
    upstreams = []
    for host in vms:
        port = host.vars.get(APP_PORT_VAR)
        if not isinstance(port, int):
            raise DeployctlError(f"{host.name}: no {APP_PORT_VAR} to send load to")
        node = client.get_container(node_container_name(host.name))
        networks = (node.attrs.get("NetworkSettings") or {}).get("Networks") or {}
        address = str((networks.get(LAB_NETWORK) or {}).get("IPAddress") or "")
        if not address:
            raise DeployctlError(f"{host.name}: its lab node has no address on the {LAB_NETWORK} network")
        upstreams.append(Upstream(address, port))
    return upstreams


def start_fleet_proxy(client: EngineApi, stage: str, upstreams: Sequence[Upstream]) -> tuple[Container, int]:
    """Start a proxy in front of the stage's VMs on 127.0.0.1 (a free port); the container and its port."""
    conf = render_stage_conf(stage, upstreams, 1)
    port = free_port()
    name = f"deployctl-compare-{stage}-vmproxy"
    return start_proxy_named(client, name, {COMPARE_LABEL: stage}, LAB_NETWORK, port, conf), port


DRAIN_TIMEOUT = 30.0


def serve_only(proxy: Container, stage: str, upstreams: Sequence[Upstream], generation: int) -> bool:
    """Point the proxy at `upstreams` (a graceful reload) and wait until the workers that served the others have
    finished their requests: the drain; False when they still ran at the deadline."""
    before = reload_proxy(proxy, render_stage_conf(stage, upstreams, generation))
    return wait_workers_gone(proxy, before.all, time.monotonic() + DRAIN_TIMEOUT)
