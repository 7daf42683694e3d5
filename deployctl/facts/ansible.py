"""Ansible's common `ansible_*` facts, read by one cheap POSIX shell snippet.

The snippet runs a few small commands (one `grep -H` over the /etc, /proc and /sys files, `hostname -f`,
`ip -o -4 addr`, `date`, one `stat -f` over the mounts, `lsblk` and `lsb_release` where installed, and the
interpreter Ansible would discover, for the `python` facts, without its site packages; `uname` too on
kernels older than 6.1, which lack /proc/sys/kernel/arch) and prints sections fenced by `@@name` lines;
it is added to the batched fact command of a play that gathers facts, so gathering costs no extra round
trip. `parse_ansible_facts` is pure and gives Ansible's names and
value types (without the `ansible_` prefix, as in `ansible_facts`); `fact_variables` adds the prefixed
top-level variables.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deployctl.facts.ansible_system import (
    INTERFACE_TYPES,
    date_time,
    lsb,
    memory_mb,
    mounts,
    python,
    selinux,
    userspace_architecture,
)
from deployctl.facts.base import RawFact
from deployctl.facts.system import parse_os_release
from deployctl.unsafe import mark_unsafe

ANSIBLE_FACTS_KEY = "ansible_facts"

_FILES = (
    "/etc/os-release",
    "/etc/debian_version",
    "/etc/redhat-release",
    "/etc/alpine-release",
    "/etc/machine-id",
    "/etc/passwd",
    "/proc/meminfo",
    "/proc/net/route",
    "/proc/1/comm",
    "/proc/self/status",
    "/proc/sys/kernel/ostype",
    "/proc/sys/kernel/hostname",
    "/proc/sys/kernel/osrelease",
    "/proc/sys/kernel/version",
    "/proc/sys/kernel/arch",
    "/proc/cpuinfo",
    "/proc/mounts",
    "/proc/self/mountinfo",
    "/etc/lsb-release",
    "/sys/fs/selinux/enforce",
    "/sys/fs/selinux/policyvers",
    "/etc/selinux/config",
    "/sys/class/net/*/address",
    "/sys/class/net/*/mtu",
    "/sys/class/net/*/type",
)
"""Read by one `grep -H ''` (one process): the interfaces' files are globbed by the shell."""
PYTHON_CANDIDATES = (
    "python3.13",
    "python3.12",
    "python3.11",
    "python3.10",
    "python3.9",
    "python3.8",
    "/usr/bin/python3",
    "python3",
)
"""Ansible's interpreter discovery order (INTERPRETER_PYTHON_FALLBACK): the first found reports `python`."""
PYTHON_REPORT = (
    "import sys, struct; from importlib.util import find_spec as f\n"
    "print(sys.executable); print(*sys.version_info); print(sys.implementation.name)\n"
    "print(f('ssl') is not None and f('_ssl') is not None); print(struct.calcsize('P') * 8)\n"
    "import time; print(time.tzname[1])"
)
"""What the discovered interpreter says of itself (see ansible_system.python), run with `-S` in a few ms:
`ssl` is found, not imported (importing it costs 200 ms on a small host)."""
SELINUX_LIBRARIES = " ".join(f"{folder}/libselinux.so.1" for folder in ("/lib/*", "/usr/lib/*", "/lib64", "/usr/lib64"))
"""Where libselinux is, which Ansible's SELinux facts read through (its absence: "Missing selinux Python library")."""
SCRIPT = "\n".join(
    (
        "echo @@files; grep -H '' " + " ".join(_FILES) + " 2>/dev/null",
        "[ -r /proc/sys/kernel/arch ] || { echo @@uname; uname -s -r -m -n -v; }",
        "echo @@fqdn; hostname -f 2>/dev/null || uname -n",
        "echo @@addr; ip -o -4 addr show 2>/dev/null",
        "echo @@date; date '+%s %N %Y %m %d %H %M %S %Z %z %A %w %W'",
        "echo @@env; "
        + 'printf "HOME=%s\\nUSER=%s\\nLOGNAME=%s\\nSHELL=%s\\nPATH=%s\\n" "$HOME" "$USER" "$LOGNAME" "$SHELL" "$PATH"',
        "echo @@virt; [ -e /.dockerenv ] && echo docker; [ -e /run/.containerenv ] && echo podman; :",
        "echo @@lsb; command -v lsb_release >/dev/null && lsb_release -a 2>/dev/null; :",
        "echo @@statfs; set --; while read -r device mount fstype rest; do case $device in /*|*:/*) "
        '[ "$fstype" = none ] || set -- "$@" "$(printf \'%b\' "$mount")";; esac; done < /proc/mounts; '
        "[ $# -eq 0 ] || stat -f -c '%S %s %b %a %c %d %n' -- \"$@\"",
        "echo @@lsblk; command -v lsblk >/dev/null && "
        "lsblk --list --noheadings --paths --output NAME,UUID --exclude 2; :",
        "echo @@python; for candidate in " + " ".join(PYTHON_CANDIDATES) + "; do "
        'found=$(command -v "$candidate") && { "$found" -S -c ' + shlex.quote(PYTHON_REPORT) + "; break; }; done",
        "echo @@selinux; for library in " + SELINUX_LIBRARIES + '; do [ -e "$library" ] && echo "$library"; done; :',
    )
)

OS_FAMILY: Mapping[str, str] = {
    "debian": "Debian",
    "ubuntu": "Debian",
    "raspbian": "Debian",
    "linuxmint": "Debian",
    "kali": "Debian",
    "devuan": "Debian",
    "pop": "Debian",
    "rhel": "RedHat",
    "centos": "RedHat",
    "fedora": "RedHat",
    "rocky": "RedHat",
    "almalinux": "RedHat",
    "ol": "RedHat",
    "amzn": "RedHat",
    "scientific": "RedHat",
    "sles": "Suse",
    "opensuse-leap": "Suse",
    "opensuse-tumbleweed": "Suse",
    "opensuse": "Suse",
    "arch": "Archlinux",
    "manjaro": "Archlinux",
    "alpine": "Alpine",
    "gentoo": "Gentoo",
}
"""os-release ID -> ansible_os_family (Ansible's OS_FAMILY_MAP, for the distributions seen in practice)."""

DISTRIBUTION: Mapping[str, str] = {
    "debian": "Debian",
    "ubuntu": "Ubuntu",
    "raspbian": "Debian",
    "linuxmint": "Linux Mint",
    "kali": "Kali",
    "devuan": "Devuan",
    "pop": "Pop!_OS",
    "rhel": "RedHat",
    "centos": "CentOS",
    "fedora": "Fedora",
    "rocky": "Rocky",
    "almalinux": "AlmaLinux",
    "ol": "OracleLinux",
    "amzn": "Amazon",
    "scientific": "Scientific",
    "sles": "SLES",
    "opensuse-leap": "openSUSE Leap",
    "opensuse-tumbleweed": "openSUSE Tumbleweed",
    "arch": "Archlinux",
    "manjaro": "Manjaro",
    "alpine": "Alpine",
    "gentoo": "Gentoo",
}
"""os-release ID -> ansible_distribution."""

PKG_MGR: Mapping[str, str] = {
    "Debian": "apt",
    "RedHat": "dnf",
    "Suse": "zypper",
    "Archlinux": "pacman",
    "Alpine": "apk",
    "Gentoo": "portage",
}


CPU_LISTED_KEYS = frozenset({"model name", "Processor", "vendor_id", "cpu", "Vendor", "processor"})
"""/proc/cpuinfo keys whose values Ansible lists, in file order, as `processor`."""
_NET = "/sys/class/net/"
_KERNEL_FILES = ("ostype", "hostname", "osrelease", "version", "arch")


def _sections(text: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("@@") and line[2:].isalpha():
            current = sections.setdefault(line[2:], [])
        elif current is not None:
            current.append(line)
    return sections


def _files(lines: list[str]) -> dict[str, str]:
    """`grep -H ''` output (path:line) back into each file's text."""
    found: dict[str, list[str]] = {}
    for line in lines:
        path, sep, rest = line.partition(":")
        if sep:
            found.setdefault(path, []).append(rest)
    return {path: "\n".join(body) for path, body in found.items()}


def _meminfo_mb(text: str) -> dict[str, int]:
    values: dict[str, int] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        words = rest.split()
        if words and words[0].isdigit():
            values[key.strip()] = int(words[0]) // 1024
    return values


def _cpu(lines: list[str]) -> dict[str, Any]:
    processors = 0
    listed: list[str] = []
    sockets: set[str] = set()
    cores = 0
    for line in lines:
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key in CPU_LISTED_KEYS:
            listed.append(value)
        if key == "processor":
            processors += 1
        elif key == "physical id":
            sockets.add(value)
        elif key == "cpu cores" and value.isdigit():
            cores = int(value)
    count = len(sockets) or 1
    per_socket = cores or max(processors // count, 1)
    return {
        "processor_vcpus": processors,
        "processor_nproc": processors,
        "processor_count": count,
        "processor_cores": per_socket,
        "processor_threads_per_core": max(processors // (count * per_socket), 1) if processors else 1,
        "processor": listed,
    }


def _default_route(text: str) -> tuple[str, str] | None:
    """(interface, gateway) of the IPv4 default route, from /proc/net/route."""
    for line in text.splitlines()[1:]:
        words = line.split()
        if len(words) >= 3 and words[1] == "00000000":
            gateway = bytes.fromhex(words[2])[::-1]
            return words[0], ".".join(str(byte) for byte in gateway)
    return None


def _netmask(prefix: int) -> str:
    bits = (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF if prefix else 0
    return ".".join(str((bits >> shift) & 0xFF) for shift in (24, 16, 8, 0))


def _addresses(lines: list[str]) -> list[dict[str, Any]]:
    """`ip -o -4 addr show` lines: `2: eth0    inet 172.17.0.2/16 brd ... scope global eth0 ...`."""
    found = []
    for line in lines:
        words = line.split()
        if len(words) < 4 or words[2] != "inet" or "/" not in words[3]:
            continue
        address, _, prefix = words[3].partition("/")
        bits = int(prefix) if prefix.isdigit() else 32
        netmask = _netmask(bits)
        network = ".".join(str(int(a) & int(m)) for a, m in zip(address.split("."), netmask.split("."), strict=False))
        found.append(
            {
                "interface": words[1].split("@")[0],
                "address": address,
                "prefix": str(bits),
                "netmask": netmask,
                "network": network,
                "broadcast": words[5] if len(words) > 5 and words[4] == "brd" else "",
            }
        )
    return found


def _interfaces(lines: list[str]) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for line in lines:
        path, sep, value = line.partition(":")
        parts = path.split("/")
        if sep and len(parts) == 6:
            found.setdefault(parts[4], {})[parts[5]] = value.strip()
    return found


def _user(status: str, env: Mapping[str, str], passwd: str) -> dict[str, Any]:
    """As Ansible: the user name as Python's getpass.getuser() finds it (LOGNAME, USER, else the real uid's
    /etc/passwd entry), that name's entry (else the uid's) for user_uid/gid/gecos/dir/shell, and the real and
    effective ids (from /proc/self/status of the snippet's own `grep`, which runs as the snippet does)."""
    values: dict[str, Any] = {}
    for line in status.splitlines():
        key, _, rest = line.partition(":")
        ids = rest.split()
        if key in ("Uid", "Gid") and len(ids) > 1 and ids[0].isdigit() and ids[1].isdigit():
            values["user_uid" if key == "Uid" else "user_gid"] = int(ids[0])
            if key == "Uid":
                values.update(real_user_id=int(ids[0]), effective_user_id=int(ids[1]))
            else:  # Ansible gives the real gid as the effective one too
                values.update(real_group_id=int(ids[0]), effective_group_id=int(ids[0]))
    entries = [fields for line in passwd.splitlines() if len(fields := line.split(":")) == 7 and fields[2].isdigit()]
    by_uid = next((fields for fields in entries if int(fields[2]) == values.get("user_uid")), None)
    name = env.get("LOGNAME") or env.get("USER") or (by_uid[0] if by_uid else None)
    entry = next((fields for fields in entries if fields[0] == name), by_uid)
    if entry is not None and entry[3].isdigit():
        values.update(user_uid=int(entry[2]), user_gid=int(entry[3]), user_gecos=entry[4])
        values.update(user_dir=entry[5], user_shell=entry[6])
    if name or "user_uid" in values:
        values["user_id"] = name or str(values["user_uid"])
    return values


def _distribution(release: Mapping[str, str], files: Mapping[str, str]) -> dict[str, str]:
    distro_id = release.get("ID", "").lower()
    like = release.get("ID_LIKE", "").lower().split()
    family = OS_FAMILY.get(distro_id) or next((OS_FAMILY[item] for item in like if item in OS_FAMILY), "")
    name = DISTRIBUTION.get(distro_id, release.get("NAME", "").split(" ")[0] or "NA")
    version = release.get("VERSION_ID", "")
    if distro_id == "debian" and files.get("/etc/debian_version", "").strip()[:1].isdigit():
        version = files["/etc/debian_version"].strip()  # as Ansible: 12.5, not 12
    elif distro_id == "alpine" and files.get("/etc/alpine-release"):
        version = files["/etc/alpine-release"].strip()
    release_name = release.get("VERSION_CODENAME") or release.get("UBUNTU_CODENAME") or ""
    return {
        "distribution": name,
        "os_family": family or name,
        "distribution_version": version or "NA",
        "distribution_major_version": (version.split(".")[0] if version else "NA"),
        **({"distribution_minor_version": version.split(".")[1]} if distro_id == "debian" and "." in version else {}),
        "distribution_release": release_name or "NA",
        "distribution_file_variety": family or name,
        "pkg_mgr": PKG_MGR.get(family, "unknown"),
    }


def parse_ansible_facts(output: str) -> dict[str, Any]:
    """The snippet's output as Ansible's facts (names without the `ansible_` prefix)."""
    sections = _sections(output)
    lines = sections.get("files", [])
    files = _files([line for line in lines if not line.startswith(_NET)])
    interface_lines = [line for line in lines if line.startswith(_NET)]
    release = parse_os_release(files.get("/etc/os-release", ""))
    facts: dict[str, Any] = _distribution(release, files)
    kernel = {name: files.get(f"/proc/sys/kernel/{name}", "").strip() for name in _KERNEL_FILES}
    uname = (sections.get("uname") or [""])[0].split(maxsplit=3)  # sysname nodename release version... machine
    if kernel["arch"]:  # Linux 6.1 and later: what `uname` says, read with the files (one process fewer)
        facts.update(system=kernel["ostype"], nodename=kernel["hostname"], kernel=kernel["osrelease"])
        facts.update(kernel_version=kernel["version"], architecture=kernel["arch"], machine=kernel["arch"])
    elif len(uname) == 4:
        version, _, machine = uname[3].rpartition(" ")
        facts.update(system=uname[0], nodename=uname[1], kernel=uname[2], kernel_version=version)
        facts.update(architecture=machine, machine=machine)
    fqdn = (sections.get("fqdn") or [""])[0].strip() or facts.get("nodename", "")
    hostname = facts.get("nodename", fqdn).split(".")[0]
    facts.update(hostname=hostname, fqdn=fqdn, domain=fqdn.partition(".")[2])
    facts.update(_cpu(files.get("/proc/cpuinfo", "").splitlines()))
    memory = _meminfo_mb(files.get("/proc/meminfo", ""))
    facts.update(
        memtotal_mb=memory.get("MemTotal", 0),
        memfree_mb=memory.get("MemFree", 0),
        swaptotal_mb=memory.get("SwapTotal", 0),
        swapfree_mb=memory.get("SwapFree", 0),
        memory_mb=memory_mb(memory),
    )
    init = files.get("/proc/1/comm", "").strip()
    facts["service_mgr"] = "systemd" if init == "systemd" else (init or "service")
    facts["machine_id"] = files.get("/etc/machine-id", "").strip()

    interfaces = _interfaces(interface_lines)
    addresses = _addresses(sections.get("addr", []))
    facts["interfaces"] = sorted(interfaces)
    facts["all_ipv4_addresses"] = [item["address"] for item in addresses if not item["address"].startswith("127.")]
    for name, attributes in interfaces.items():
        own = [item for item in addresses if item["interface"] == name]
        entry: dict[str, Any] = {"device": name, "active": True, "macaddress": attributes.get("address", "")}
        if attributes.get("mtu", "").isdigit():
            entry["mtu"] = int(attributes["mtu"])
        if "type" in attributes:
            entry["type"] = INTERFACE_TYPES.get(attributes["type"], "unknown")
        if own:
            entry["ipv4"] = {key: own[0][key] for key in ("address", "broadcast", "netmask", "network", "prefix")}
        facts[name.replace("-", "_").replace(".", "_")] = entry
    route = _default_route(files.get("/proc/net/route", ""))
    facts["default_ipv4"] = {}
    if route is not None:
        interface, gateway = route
        route_address = next((item for item in addresses if item["interface"] == interface), None)
        facts["default_ipv4"] = {
            "interface": interface,
            "gateway": gateway,
            "alias": interface,
            "macaddress": interfaces.get(interface, {}).get("address", ""),
            **({"mtu": int(mtu)} if (mtu := interfaces.get(interface, {}).get("mtu", "")).isdigit() else {}),
            "type": INTERFACE_TYPES.get(interfaces.get(interface, {}).get("type", ""), "unknown"),
            **(
                {key: route_address[key] for key in ("address", "broadcast", "netmask", "network", "prefix")}
                if route_address
                else {}
            ),
        }
    facts["date_time"] = date_time((sections.get("date") or [""])[0].split())
    env = dict(line.partition("=")[::2] for line in sections.get("env", []) if "=" in line)
    facts["env"] = {key: value for key, value in env.items() if value}
    facts.update(_user(files.get("/proc/self/status", ""), facts["env"], files.get("/etc/passwd", "")))
    virt = [line.strip() for line in sections.get("virt", []) if line.strip()]
    facts["virtualization_type"] = virt[0] if virt else "NA"
    facts["virtualization_role"] = "guest" if virt else "NA"
    facts["virtualization_tech_guest"] = ["container", *virt] if virt else []
    facts["virtualization_tech_host"] = []
    facts["lsb"] = lsb(sections.get("lsb", []), files.get("/etc/lsb-release", ""))
    facts["mounts"] = mounts(
        files.get("/proc/mounts", ""),
        files.get("/proc/self/mountinfo", ""),
        sections.get("statfs", []),
        sections.get("lsblk", []),
    )
    facts.update(python(sections.get("python", [])))
    if len(sections.get("python", [])) > 5 and facts["date_time"]:  # Ansible's tz_dst is Python's time.tzname[1]
        facts["date_time"]["tz_dst"] = sections["python"][5].strip()
    facts.update(userspace_architecture(facts.get("machine", ""), facts.get("userspace_bits", "")))
    facts.update(selinux(any(line.strip() for line in sections.get("selinux", [])), files))
    return facts


def fact_variables(facts: Mapping[str, Any]) -> dict[str, Any]:
    """The variables gathered facts give a play: `ansible_facts` and every fact as `ansible_<name>`.

    A host's facts are its own words: marked so that they are never templated (see deployctl.unsafe).
    """
    marked = mark_unsafe(dict(facts))
    return {ANSIBLE_FACTS_KEY: marked, **{f"ansible_{name}": value for name, value in marked.items()}}


IMAGE_FACTS = (
    "distribution",
    "os_family",
    "distribution_version",
    "distribution_major_version",
    "distribution_minor_version",
    "distribution_release",
    "distribution_file_variety",
    "lsb",
    "pkg_mgr",
    "system",
    "architecture",
    "machine",
    "userspace_bits",
    "userspace_architecture",
    "python",
    "python_version",
)
"""The facts an image has whatever runs it (its OS), as opposed to those of the host running it."""


@dataclass(frozen=True)
class AnsibleFacts:
    """Ansible's common facts about the host (`gather_facts`), in the play's batched fact command."""

    key: str = "ansible_facts"

    def script(self) -> str:
        return SCRIPT

    def parse(self, raw: RawFact) -> dict[str, Any]:
        return parse_ansible_facts(raw.output)
