"""The ansible_* facts parser against real output captured on a lab host (`ansible_captured/`).

Re-capture: run `deployctl.facts.ansible.SCRIPT` as the fact batch runs it (`( script ) 2>/dev/null` under
/bin/sh) on a lab host with become as deployctl does it, e.g. `docker exec -u vagrant deployctl-lab-dev-vm1 sudo
-n -H /bin/sh -c ...` (sudo sets USER and LOGNAME, which give ansible_user_id as in Ansible).
"""

from __future__ import annotations

from pathlib import Path

from deployctl.facts.ansible import AnsibleFacts, fact_variables, parse_ansible_facts
from deployctl.facts.base import RawFact, batch

CAPTURED = Path(__file__).parent / "ansible_captured" / "debian12-lab-root.txt"


def test_debian_lab_host_facts() -> None:
    facts = AnsibleFacts().parse(RawFact(CAPTURED.read_text(), 0))
    assert (facts["distribution"], facts["os_family"], facts["distribution_major_version"]) == (
        "Debian",
        "Debian",
        "12",
    )
    assert facts["distribution_version"].startswith("12.") and facts["distribution_release"] == "bookworm"
    assert (facts["hostname"], facts["fqdn"], facts["architecture"], facts["system"]) == (
        "dev-vm1",
        "dev-vm1",
        "x86_64",
        "Linux",
    )
    assert facts["processor_vcpus"] == 2 and facts["memtotal_mb"] == 24684084 // 1024
    assert (facts["service_mgr"], facts["pkg_mgr"], facts["user_id"], facts["user_uid"]) == (
        "systemd",
        "apt",
        "root",
        0,
    )
    assert facts["default_ipv4"] == {
        "interface": "eth0",
        "gateway": "172.17.0.1",
        "alias": "eth0",
        "macaddress": "02:42:ac:11:00:07",
        "address": "172.17.0.7",
        "broadcast": "172.17.255.255",
        "netmask": "255.255.0.0",
        "network": "172.17.0.0",
        "prefix": "16",
        "mtu": 1500,
        "type": "unknown",  # this capture predates reading /sys/class/net/*/type; Ansible says "unknown" too
    }
    assert facts["all_ipv4_addresses"] == ["172.17.0.7"] and facts["interfaces"] == ["eth0", "lo"]
    assert facts["eth0"]["mtu"] == 1500 and facts["env"]["HOME"] == "/root"
    assert facts["virtualization_type"] == "docker" and facts["date_time"] == {}  # an older date format


def test_variables_are_prefixed_and_under_ansible_facts() -> None:
    variables = fact_variables({"os_family": "Debian", "hostname": "a"})
    assert variables == {
        "ansible_facts": {"os_family": "Debian", "hostname": "a"},
        "ansible_os_family": "Debian",
        "ansible_hostname": "a",
    }


def os_release(*lines: str) -> str:
    return "@@files\n" + "".join(f"/etc/os-release:{line}\n" for line in lines)


def test_other_distributions_map_to_ansible_families() -> None:
    ubuntu = os_release("ID=ubuntu", 'VERSION_ID="22.04"', "VERSION_CODENAME=jammy")
    rocky = os_release('ID="rocky"', 'ID_LIKE="rhel centos fedora"', 'VERSION_ID="9.3"')
    unknown_like = (
        "@@files\n/etc/os-release:ID=mydistro\n/etc/os-release:ID_LIKE=debian\n/etc/os-release:NAME=MyDistro\n"
    )
    assert {k: parse_ansible_facts(ubuntu)[k] for k in ("distribution", "os_family", "distribution_major_version")} == {
        "distribution": "Ubuntu",
        "os_family": "Debian",
        "distribution_major_version": "22",
    }
    assert (parse_ansible_facts(rocky)["os_family"], parse_ansible_facts(rocky)["pkg_mgr"]) == ("RedHat", "dnf")
    assert parse_ansible_facts(unknown_like)["os_family"] == "Debian"


def test_missing_tools_give_empty_values_not_errors() -> None:
    facts = parse_ansible_facts("@@files\n@@cpu\n@@uname\n@@addr\n")
    assert facts["default_ipv4"] == {} and facts["all_ipv4_addresses"] == [] and facts["processor_vcpus"] == 0


def test_the_snippet_batches_with_other_facts() -> None:
    facts_batch = batch([AnsibleFacts()])
    script = facts_batch.script()
    assert script.count(" -S -c ") == 1  # one interpreter start-up, without site packages, for the python facts
    marker = facts_batch.marker
    output = f"\n{marker} 0\n{CAPTURED.read_text()}\n{marker} 0 rc=0\n"
    assert facts_batch.split(output)["ansible_facts"]["hostname"] == "dev-vm1"


def test_user_facts_come_from_the_snippets_process_and_environment_as_in_ansible() -> None:
    output = (
        "@@files\n/proc/self/status:Uid:\t1000\t1000\t1000\t1000\n/proc/self/status:Gid:\t1001\t1001\t1001\t1001\n"
        "@@env\nHOME=/home/vagrant\nUSER=someone\nLOGNAME=vagrant\n"
    )
    facts = parse_ansible_facts(output)
    assert (facts["user_id"], facts["user_uid"], facts["user_gid"]) == ("vagrant", 1000, 1001)  # LOGNAME first
    bare = parse_ansible_facts("@@files\n/proc/self/status:Uid:\t0\t0\t0\t0\n@@env\n")
    assert (bare["user_id"], bare["user_uid"]) == ("0", 0)


def test_kernels_without_proc_arch_are_read_with_uname() -> None:
    uname = "Linux web1 5.10.0-28-amd64 #1 SMP Debian 5.10.209-2 x86_64"
    output = f"@@files\n/proc/sys/kernel/ostype:Linux\n@@uname\n{uname}\n"
    facts = parse_ansible_facts(output)
    assert (facts["system"], facts["nodename"], facts["kernel"], facts["architecture"]) == (
        "Linux",
        "web1",
        "5.10.0-28-amd64",
        "x86_64",
    )
    assert facts["kernel_version"] == "#1 SMP Debian 5.10.209-2"
