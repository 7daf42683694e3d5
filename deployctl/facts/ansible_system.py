"""Pure parsers of the `ansible_*` facts about memory, mounts, LSB, Python, SELinux and the clock.

Each takes what the gathering snippet (deployctl.facts.ansible) read and gives the fact as Ansible's setup
module reports it on Linux (ansible-core 2.19): same keys, same value types, same rules for what is left out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

LSB_LABELS = (
    ("LSB Version:", "release"),
    ("Distributor ID:", "id"),
    ("Description:", "description"),
    ("Release:", "release"),
    ("Codename:", "codename"),
)
"""`lsb_release -a` labels -> lsb keys, checked in Ansible's order (its `LSB Version` sets `release` too)."""
LSB_FILE_KEYS = (
    ("DISTRIB_ID", "id"),
    ("DISTRIB_RELEASE", "release"),
    ("DISTRIB_DESCRIPTION", "description"),
    ("DISTRIB_CODENAME", "codename"),
)
LSB_QUOTES = "'\"\\"
_OCTAL_ESCAPE = re.compile(r"\\[0-9]{3}")
SELINUX_MODES = {"1": "enforcing", "0": "permissive"}
INTERFACE_TYPES = {"1": "ether", "32": "infiniband", "512": "ppp", "772": "loopback", "65534": "tunnel"}
"""/sys/class/net/<name>/type -> Ansible's interface `type`."""


def memory_mb(meminfo: Mapping[str, int]) -> dict[str, dict[str, int]]:
    """`memory_mb` from /proc/meminfo values in MB: real, nocache (free counts buffers and cache) and swap."""
    total, free = meminfo.get("MemTotal", 0), meminfo.get("MemFree", 0)
    nocache_free = meminfo.get("Cached", 0) + free + meminfo.get("Buffers", 0)
    swap_total, swap_free = meminfo.get("SwapTotal", 0), meminfo.get("SwapFree", 0)
    return {
        "real": {"total": total, "used": total - free, "free": free},
        "nocache": {"free": nocache_free, "used": total - nocache_free},
        "swap": {
            "total": swap_total,
            "free": swap_free,
            "used": swap_total - swap_free,
            "cached": meminfo.get("SwapCached", 0),
        },
    }


def lsb(release_output: Sequence[str], lsb_release_file: str) -> dict[str, str]:
    """`lsb`: from `lsb_release -a` when it ran, else /etc/lsb-release; {} without either (as on a bare Debian)."""
    found: dict[str, str] = {}
    for line in release_output:
        if ":" not in line:
            continue
        value = line.split(":", 1)[1].strip()
        key = next((key for label, key in LSB_LABELS if label in line), None)
        if key is not None:
            found[key] = value
    if not found:
        for line in lsb_release_file.splitlines():
            if "=" not in line:
                continue
            value = line.split("=", 1)[1].strip()
            key = next((key for name, key in LSB_FILE_KEYS if name in line), None)
            if key is not None:
                found[key] = value
    if "release" in found:
        found["major_release"] = found["release"].split(".")[0]
    return {key: value.strip(LSB_QUOTES) if value else value for key, value in found.items()}


def _unescaped(field: str) -> str:
    """A /proc/mounts field with its octal escapes (`\\040` for a space) decoded, as Ansible does."""
    return _OCTAL_ESCAPE.sub(lambda match: chr(int(match.group()[1:], 8)), field)


def _bind_mounts(mountinfo: str) -> set[str]:
    """Mount points showing a sub-tree of their file system (a `[/dir]` source in findmnt): bind mounts."""
    found = set()
    for line in mountinfo.splitlines():
        fields = line.split()
        if len(fields) > 4 and fields[3] != "/":
            found.add(_unescaped(fields[4]))
    return found


def _sizes(statfs_lines: Sequence[str]) -> dict[str, dict[str, int]]:
    """`stat -f -c '%S %s %b %a %c %d %n'` lines -> each mount point's sizes, named as Ansible names them."""
    found: dict[str, dict[str, int]] = {}
    for line in statfs_lines:
        words = line.split(" ", 6)
        if len(words) != 7 or not all(word.isdigit() for word in words[:6]):
            continue
        fragment, block, blocks, available, inodes, inodes_free = (int(word) for word in words[:6])
        found[words[6]] = {
            "size_total": fragment * blocks,
            "size_available": fragment * available,
            "block_size": block,
            "block_total": blocks,
            "block_available": available,
            "block_used": blocks - available,
            "inode_total": inodes,
            "inode_available": inodes_free,
            "inode_used": inodes - inodes_free,
        }
    return found


def _uuids(lsblk_lines: Sequence[str]) -> dict[str, str]:
    """`lsblk --list --noheadings --paths --output NAME,UUID` lines -> device path -> UUID (first wins)."""
    found: dict[str, str] = {}
    for line in lsblk_lines:
        fields = line.strip().rsplit(None, 1)
        if len(fields) == 2:
            found.setdefault(fields[0].strip(), fields[1].strip())
    return found


def mounts(proc_mounts: str, mountinfo: str, statfs_lines: Sequence[str], lsblk_lines: Sequence[str]) -> list[Any]:
    """`mounts`: the mounts of a device path or a network share (not `none`), with sizes, bind option, UUID."""
    binds = _bind_mounts(mountinfo)
    sizes = _sizes(statfs_lines)
    uuids = _uuids(lsblk_lines)
    found: list[Any] = []
    for line in proc_mounts.splitlines():
        fields = [_unescaped(field) for field in line.split()]
        if len(fields) < 6 or not fields[4].isdigit() or not fields[5].isdigit():
            continue
        device, mount, fstype, options = fields[:4]
        if (not device.startswith(("/", "\\")) and ":/" not in device) or fstype == "none":
            continue
        entry: dict[str, Any] = {
            "mount": mount,
            "device": device,
            "fstype": fstype,
            "options": f"{options},bind" if mount in binds else options,
            "dump": int(fields[4]),
            "passno": int(fields[5]),
            **sizes.get(mount, {}),
            "uuid": uuids.get(device) or "N/A",
        }
        found.append(entry)
    return found


def python(lines: Sequence[str]) -> dict[str, Any]:
    """`python`, `python_version`, `userspace_bits` from the discovered interpreter's own report, if it ran.

    The snippet's interpreter prints: its executable, its version_info (five words), its implementation,
    whether `ssl` can be imported, and its pointer size in bits.
    """
    if len(lines) < 5:
        return {}
    info = lines[1].split()
    if len(info) != 5 or not all(word.isdigit() for word in (*info[:3], info[4])):
        return {}
    major, minor, micro, serial = int(info[0]), int(info[1]), int(info[2]), int(info[4])
    return {
        "python": {
            "version": {"major": major, "minor": minor, "micro": micro, "releaselevel": info[3], "serial": serial},
            "version_info": [major, minor, micro, info[3], serial],
            "executable": lines[0],
            "has_sslcontext": lines[3].strip() == "True",
            "type": lines[2].strip(),
        },
        "python_version": f"{major}.{minor}.{micro}",
        "userspace_bits": lines[4].strip(),
    }


def userspace_architecture(machine: str, bits: str) -> dict[str, str]:
    """`userspace_architecture`, which Ansible sets on x86_64 only (x86_64 or i386 by the userspace's bits)."""
    if machine != "x86_64" or bits not in ("64", "32"):
        return {}
    return {"userspace_architecture": "x86_64" if bits == "64" else "i386"}


def selinux(library: bool, files: Mapping[str, str]) -> dict[str, Any]:
    """`selinux` and `selinux_python_present`, as Ansible's collector finds them through libselinux."""
    if not library:
        return {"selinux": {"status": "Missing selinux Python library"}, "selinux_python_present": False}
    enforce = files.get("/sys/fs/selinux/enforce", "").strip()
    if not enforce:
        return {"selinux": {"status": "disabled"}, "selinux_python_present": True}
    config = dict(
        line.strip().partition("=")[::2] for line in files.get("/etc/selinux/config", "").splitlines() if "=" in line
    )
    policy = files.get("/sys/fs/selinux/policyvers", "").strip()
    return {
        "selinux": {
            "status": "enabled",
            "policyvers": int(policy) if policy.isdigit() else "unknown",
            "config_mode": config.get("SELINUX", "unknown").strip() or "unknown",
            "mode": SELINUX_MODES.get(enforce, "unknown"),
            "type": config.get("SELINUXTYPE", "unknown").strip() or "unknown",
        },
        "selinux_python_present": True,
    }


def date_time(words: Sequence[str]) -> dict[str, str]:
    """`date_time` from `date '+%s %N %Y %m %d %H %M %S %Z %z %A %w %W'` (UTC values from the epoch)."""
    if len(words) != 13 or not words[0].isdigit() or not words[1].isdigit():
        return {}
    epoch, nanoseconds, year, month, day, hour, minute, second, zone, offset, weekday, weekday_number, week = words
    micro = nanoseconds[:6]
    utc = datetime.fromtimestamp(int(epoch), UTC)
    return {
        "year": year,
        "month": month,
        "weekday": weekday,
        "weekday_number": weekday_number,
        "weeknumber": week,
        "day": day,
        "hour": hour,
        "minute": minute,
        "second": second,
        "epoch": epoch,
        "epoch_int": epoch,
        "date": f"{year}-{month}-{day}",
        "time": f"{hour}:{minute}:{second}",
        "iso8601_micro": utc.strftime("%Y-%m-%dT%H:%M:%S.") + micro + "Z",
        "iso8601": utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "iso8601_basic": f"{year}{month}{day}T{hour}{minute}{second}{micro}",
        "iso8601_basic_short": f"{year}{month}{day}T{hour}{minute}{second}",
        "tz": zone,
        "tz_offset": offset,
    }
