"""The inventory loader: Ansible's YAML format, precedence, patterns, and errors with file and line."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from deployctl.errors import InputError
from deployctl.model.connection import SshEndpoint, resolve_endpoint
from deployctl.model.inventory import load_inventories, load_inventory
from deployctl.model.project import load_project


def make_project(tmp_path: Path, files: dict[str, str], stages: str = "[dev, qa]") -> Path:
    (tmp_path / "deployctl.yml").write_text(f"stages: {stages}\n")
    for name, text in files.items():
        path = tmp_path / "inventories" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


GOOD_DEV = """\
all:
  vars:
    app_port: 8080
    who: all-file
  hosts:
    loner:
  children:
    dev:
      vars:
        who: dev-file
      children:
        web:
          hosts:
            web[01:03]:
              ansible_port: 2222
        db:
          hosts:
            db-a:
              who: host-file
"""
GOOD_QA = "all:\n  hosts:\n    qa-1:\n"


def test_hosts_groups_and_ranges(tmp_path: Path) -> None:
    project = load_project(make_project(tmp_path, {"dev.yml": GOOD_DEV, "qa.yml": GOOD_QA}))
    inventory = load_inventory(project, "dev")
    assert list(inventory.hosts) == ["loner", "web01", "web02", "web03", "db-a"]
    assert inventory.hosts["web02"].groups == ("all", "dev", "web")
    assert inventory.groups["ungrouped"].hosts == ("loner",)
    assert inventory.groups["dev"].all_hosts == ("web01", "web02", "web03", "db-a")
    assert inventory.hosts["web03"].vars["ansible_port"] == 2222


def test_variable_precedence_follows_ansible(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        {
            "dev.yml": GOOD_DEV,
            "qa.yml": GOOD_QA,
            "group_vars/all.yml": "who: group_vars-all\nfrom_all: 1\n",
            "group_vars/web/main.yml": "who: group_vars-web\n",
            "host_vars/web02.yml": "who: host_vars-web02\n",
        },
    )
    inventory = load_inventory(load_project(root), "dev")
    hosts = inventory.hosts
    # group_vars/<group> beats inventory-file group vars; group_vars/all beats file vars of `all`.
    assert hosts["web01"].vars["who"] == "group_vars-web"
    assert hosts["loner"].vars["who"] == "group_vars-all"
    # file vars of a child group (dev) beat those of all, but group_vars/all beats both.
    assert hosts["db-a"].vars["who"] == "host-file"
    assert hosts["web02"].vars["who"] == "host_vars-web02"
    assert hosts["web02"].var_origins["who"].source == "inventories/host_vars/web02.yml"
    assert hosts["web01"].var_origins["app_port"].line == 3


def test_child_group_file_vars_beat_parent_file_vars(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"dev.yml": GOOD_DEV, "qa.yml": GOOD_QA})
    assert load_inventory(load_project(root), "dev").hosts["web01"].vars["who"] == "dev-file"


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("all", ["loner", "web01", "web02", "web03", "db-a"]),
        ("web", ["web01", "web02", "web03"]),
        ("web:db", ["web01", "web02", "web03", "db-a"]),
        ("dev:!web", ["db-a"]),
        ("dev:&web", ["web01", "web02", "web03"]),
        ("web0[12]", ["web01", "web02"]),
        ("~web0[23]", ["web02", "web03"]),
        ("nothing", []),
    ],
)
def test_host_patterns(tmp_path: Path, pattern: str, expected: list[str]) -> None:
    inventory = load_inventory(load_project(make_project(tmp_path, {"dev.yml": GOOD_DEV, "qa.yml": GOOD_QA})), "dev")
    assert [host.name for host in inventory.select(pattern)] == expected


BAD_CASES = [
    ("syntax", "all:\n  hosts:\n    a: [\n", "inventories/dev.yml:4: invalid YAML"),
    ("unknown group key", "all:\n  host:\n    a:\n", "inventories/dev.yml:2: all.host: unknown group key"),
    ("hosts not a mapping", "all:\n  hosts:\n    - a\n", "inventories/dev.yml:2: all.hosts: must be a mapping"),
    ("duplicate key", "all:\n  hosts:\n    a:\n    a:\n", "inventories/dev.yml:4: a: duplicate key (first at line 3)"),
    (
        "port type",
        "all:\n  hosts:\n    a:\n      ansible_port: ssh\n",
        "inventories/dev.yml:4: ansible_port: must be a port",
    ),
    ("no hosts", "all:\n  vars:\n    x: 1\n", "inventories/dev.yml:1: hosts: the dev inventory defines no hosts"),
    ("bad bool", "all:\n  vars:\n    deployctl_lab: maybe\n  hosts:\n    a:\n", "inventories/dev.yml:3: deployctl_lab"),
    ("not a mapping", "- a\n- b\n", "inventories/dev.yml:1: an inventory must be a mapping"),
    ("bad range", "all:\n  hosts:\n    web[3:1]:\n", "inventories/dev.yml:3: all.hosts.web[3:1]: host range"),
    (
        "bad var name",
        "all:\n  vars:\n    bad-name: 1\n  hosts:\n    a:\n",
        "inventories/dev.yml:3: bad-name: a variable",
    ),
    (
        "cycle",
        "all:\n  children:\n    a:\n      children:\n        b:\n          children:\n            a:\n"
        "          hosts:\n            h:\n",
        "group is its own ancestor",
    ),
]


@pytest.mark.parametrize(("case", "text", "message"), BAD_CASES, ids=[case[0] for case in BAD_CASES])
def test_bad_inventory_names_file_line_and_field(tmp_path: Path, case: str, text: str, message: str) -> None:
    project = load_project(make_project(tmp_path, {"dev.yml": text, "qa.yml": GOOD_QA}))
    with pytest.raises(InputError) as raised:
        load_inventory(project, "dev")
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_unknown_stage_names_deployctl_yml(tmp_path: Path) -> None:
    project = load_project(make_project(tmp_path, {"dev.yml": GOOD_DEV, "qa.yml": GOOD_QA}))
    with pytest.raises(InputError, match=r"deployctl.yml:1: stages: unknown stage 'staging'"):
        load_inventory(project, "staging")


def test_missing_inventory_file(tmp_path: Path) -> None:
    project = load_project(make_project(tmp_path, {"dev.yml": GOOD_DEV}))
    with pytest.raises(InputError, match=r"inventories/qa.yml: file not found"):
        load_inventories(project)


def test_duplicate_host_across_stages(tmp_path: Path) -> None:
    project = load_project(make_project(tmp_path, {"dev.yml": GOOD_DEV, "qa.yml": "all:\n  hosts:\n    db-a:\n"}))
    with pytest.raises(InputError) as raised:
        load_inventories(project)
    assert str(raised.value) == (
        "inventories/qa.yml:3: db-a: duplicate host: already in the dev inventory (inventories/dev.yml:18)"
    )


def test_bad_group_vars_file_names_its_line(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"dev.yml": GOOD_DEV, "qa.yml": GOOD_QA, "group_vars/web.yml": "a: 1\na: 2\n"})
    with pytest.raises(InputError, match=r"inventories/group_vars/web.yml:2: a: duplicate key"):
        load_inventory(load_project(root), "dev")


LAB = {"web01": SshEndpoint("web01", "127.0.0.1", 2201, "vagrant", "/keys/web01", host_key_checking=False)}


def test_lab_host_resolves_from_lab_facts_and_explicit_vars_win() -> None:
    lab_vars = {"deployctl_lab": True}
    endpoint = resolve_endpoint("web01", lab_vars, LAB, ("inventories/dev.yml", 3), Path("/p"))
    assert endpoint == replace(LAB["web01"], lab=True)  # marked as the lab's: its unchecked key is expected
    explicit = {"deployctl_lab": "yes", "ansible_port": 2299, "ansible_host_key_checking": True}
    endpoint = resolve_endpoint("web01", explicit, LAB, ("inventories/dev.yml", 3), Path("/p"))
    assert (endpoint.address, endpoint.port, endpoint.host_key_checking) == ("127.0.0.1", 2299, True)


def test_lab_host_missing_from_lab_is_named() -> None:
    with pytest.raises(InputError, match=r"inventories/dev.yml:7: web09: no lab machine of that name"):
        resolve_endpoint("web09", {"deployctl_lab": True}, LAB, ("inventories/dev.yml", 7), Path("/p"))


def test_plain_host_defaults_like_ansible() -> None:
    endpoint = resolve_endpoint("db.example", {"ansible_user": "ops"}, None, ("x", 1), Path("/p"))
    assert (endpoint.address, endpoint.port, endpoint.user, endpoint.host_key_checking) == (
        "db.example",
        22,
        "ops",
        True,
    )
    keyed = resolve_endpoint("h", {"ansible_ssh_private_key_file": "keys/id"}, None, ("x", 1), Path("/p"))
    assert keyed.key_file == "/p/keys/id"


def test_project_inventories_load(tmp_path: Path) -> None:
    """The repository's own inventories are valid and give the lab's eight hosts."""
    root = Path(__file__).resolve().parents[3]
    inventories = load_inventories(load_project(root))
    vms = [host.name for inv in inventories.values() for host in inv.hosts.values() if host.strategy == "mutable"]
    assert vms == ["dev-vm1", "qa-vm1", "qa-vm2", "uat-vm1", "uat-vm2", "prod-vm1", "prod-vm2", "prod-vm3"]
    containers = [h.name for inv in inventories.values() for h in inv.hosts.values() if h.strategy == "immutable"]
    assert containers == ["dev-web", "qa-web", "uat-web", "prod-web"]
