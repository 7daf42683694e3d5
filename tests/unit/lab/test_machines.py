"""The lab's machine list: names by stage, counts from the environment, ports on 127.0.0.1."""

from __future__ import annotations

import pytest

from deployctl.errors import LabError
from deployctl.lab.machines import lab_machines, stage_of
from deployctl.lab.vagrant import choose_provider


def test_default_fleet() -> None:
    machines = lab_machines({})
    assert [m.name for m in machines] == [
        "dev-vm1", "qa-vm1", "qa-vm2", "uat-vm1", "uat-vm2", "prod-vm1", "prod-vm2", "prod-vm3",
    ]  # fmt: skip
    assert [m.ssh_port for m in machines] == [2201, 2211, 2212, 2221, 2222, 2231, 2232, 2233]


def test_counts_and_port_base_from_environment() -> None:
    machines = lab_machines({"DEPLOYCTL_LAB_PROD": "0", "DEPLOYCTL_LAB_QA": "1", "DEPLOYCTL_LAB_PORT_BASE": "3000"})
    assert [(m.name, m.ssh_port) for m in machines] == [
        ("dev-vm1", 3001), ("qa-vm1", 3011), ("uat-vm1", 3021), ("uat-vm2", 3022),
    ]  # fmt: skip


@pytest.mark.parametrize("value", ["-1", "ten", "12"])
def test_bad_count(value: str) -> None:
    with pytest.raises(LabError, match="DEPLOYCTL_LAB_DEV"):
        lab_machines({"DEPLOYCTL_LAB_DEV": value})


def test_stage_of() -> None:
    assert stage_of("prod-vm3") == "prod"
    assert stage_of("something") is None


def test_provider_choice() -> None:
    assert choose_provider("libvirt", {}) == "libvirt"
    assert choose_provider(None, {"VAGRANT_DEFAULT_PROVIDER": "virtualbox"}) == "virtualbox"
    with pytest.raises(LabError, match="unknown provider 'vmware'"):
        choose_provider("vmware", {})
