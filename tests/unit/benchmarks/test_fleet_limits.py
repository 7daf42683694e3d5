"""The up-front check of this machine's limits for N hosts: open files, ephemeral ports, memory, inotify."""

from __future__ import annotations

import resource

import fleet
import pytest
from fleet import FleetError, check_limits, limit_problems


@pytest.fixture
def roomy(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine with room for everything."""
    monkeypatch.setattr(resource, "getrlimit", lambda which: (65536, 65536))
    monkeypatch.setattr(fleet, "_ephemeral_ports", lambda: (32768, 60999))
    monkeypatch.setattr(fleet, "_mem_available_mib", lambda: 20000)
    monkeypatch.setattr(fleet, "inotify_problems", lambda count: [])


@pytest.mark.usefixtures("roomy")
def test_room_for_200_light_hosts() -> None:
    assert limit_problems(200, systemd=False, port_base=24000) == []


@pytest.mark.usefixtures("roomy")
def test_too_few_open_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resource, "getrlimit", lambda which: (1024, 4096))
    (problem,) = limit_problems(200, systemd=False, port_base=24000)
    assert "ulimit -n" in problem


@pytest.mark.usefixtures("roomy")
def test_published_ports_inside_the_ephemeral_range(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fleet, "_ephemeral_ports", lambda: (20000, 60999))
    (problem,) = limit_problems(200, systemd=False, port_base=24000)
    assert "overlap" in problem


@pytest.mark.usefixtures("roomy")
def test_a_small_ephemeral_range(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fleet, "_ephemeral_ports", lambda: (60000, 60100))
    (problem,) = limit_problems(200, systemd=False, port_base=24000)
    assert "ip_local_port_range" in problem


@pytest.mark.usefixtures("roomy")
def test_memory_is_checked_per_host_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fleet, "_mem_available_mib", lambda: 5000)
    assert limit_problems(200, systemd=False, port_base=24000) == []
    (problem,) = limit_problems(200, systemd=True, port_base=24000)
    assert "MiB" in problem


@pytest.mark.usefixtures("roomy")
def test_inotify_only_for_systemd_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fleet, "inotify_problems", lambda count: ["inotify"])
    assert limit_problems(200, systemd=False, port_base=24000) == []
    with pytest.raises(FleetError, match="cannot run 50 systemd hosts here: inotify"):
        check_limits(50, systemd=True, port_base=24000)
