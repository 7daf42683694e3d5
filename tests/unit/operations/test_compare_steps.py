"""compare's steps that need no host: what the hand changes touch, and the inventory with a fresh twin VM."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from deployctl.model.inventory import Inventory, InventoryGroup, InventoryHost, Origin
from deployctl.operations.comparing.fresh import twin_inventory
from deployctl.operations.comparing.handchanges import TMP_FILE, Targets, hand_changes, targets_of
from deployctl.strategies.results import TaskResult


def result(module: str, output: dict[str, Any], task: str = "t") -> TaskResult:
    return TaskResult("vm1", "play", task, module, "ok", "", "webapp.yml:1", output=output)


def test_targets_are_the_first_template_copy_and_service_of_the_run() -> None:
    results = [
        result("apt", {}),
        result("copy", {"dest": "/opt/webapp/webapp.py"}),
        result("template", {"dest": "/etc/webapp/webapp.ini"}),
        result("template", {"dest": "/etc/systemd/system/webapp.service"}),
    ]
    assert targets_of(results, "webapp") == Targets("/etc/webapp/webapp.ini", "/opt/webapp/webapp.py", "webapp")


def test_no_targets_without_a_service() -> None:
    assert targets_of([result("template", {"dest": "/etc/a"}), result("copy", {"dest": "/opt/a"})]) is None


def test_the_series_ends_with_the_service_stopped_and_passes_paths_as_arguments() -> None:
    changes = hand_changes(Targets("/etc/a b.ini", "/opt/app.py", "app"))
    assert [c.name for c in changes] == [
        "edit a config file",
        "install a package",
        "loosen a file mode",
        "drop a file in /tmp",
        "stop the service",
    ]
    assert changes[0].vm[-1] == "/etc/a b.ini"  # a positional argument, never pasted into the script
    assert changes[2].vm == ("chmod", "0666", "/opt/app.py") and changes[3].container == ("touch", TMP_FILE)
    assert changes[4].vm == ("systemctl", "stop", "app") and changes[4].container[-1] == "/opt/app.py"


def test_twin_inventory_adds_a_host_to_the_model_hosts_groups_with_overrides() -> None:
    origin = Origin("qa.yml", 1)
    vm1 = InventoryHost("qa-vm1", "qa", ("web", "qa"), {"app_port": 8080, "ansible_port": 2211}, {}, origin)
    groups = {
        "web": InventoryGroup("web", ("qa-vm1",), (), ("qa",), ("qa-vm1",)),
        "qa": InventoryGroup("qa", (), ("web",), (), ("qa-vm1",)),
        "other": InventoryGroup("other", (), (), (), ()),
    }
    inventory = Inventory("qa", "qa.yml", Path("inventories/qa.yml"), {"qa-vm1": vm1}, groups)
    twin = twin_inventory(inventory, vm1, "fresh", {"ansible_port": 40000})
    assert twin.hosts["fresh"].vars == {"app_port": 8080, "ansible_port": 40000}
    assert twin.groups["web"].hosts == ("qa-vm1", "fresh") and twin.groups["qa"].hosts == ()
    assert twin.groups["qa"].all_hosts == ("qa-vm1", "fresh") and twin.groups["other"].all_hosts == ()
    assert [h.name for h in twin.select("web")] == ["qa-vm1", "fresh"]
    assert "fresh" not in inventory.hosts
