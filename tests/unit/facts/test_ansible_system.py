"""The pure parsers of memory, LSB, mounts, Python, SELinux and clock facts, on the inputs Ansible's own
collectors read (cases where the lab host has nothing to show: lsb_release installed, SELinux on, a share)."""

from __future__ import annotations

from deployctl.facts.ansible_system import date_time, lsb, memory_mb, mounts, python, selinux, userspace_architecture

LSB_RELEASE_A = [
    "No LSB modules are available.",
    "Distributor ID:\tDebian",
    "Description:\tDebian GNU/Linux 12 (bookworm)",
    "Release:\t12",
    "Codename:\tbookworm",
]


def test_lsb_from_lsb_release() -> None:
    assert lsb(LSB_RELEASE_A, "") == {
        "id": "Debian",
        "description": "Debian GNU/Linux 12 (bookworm)",
        "release": "12",
        "codename": "bookworm",
        "major_release": "12",
    }


def test_lsb_from_the_file_when_lsb_release_is_missing_quotes_stripped() -> None:
    text = 'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_CODENAME=jammy\nDISTRIB_DESCRIPTION="Ubuntu 22.04 LTS"\n'
    assert lsb([], text) == {
        "id": "Ubuntu",
        "release": "22.04",
        "codename": "jammy",
        "description": "Ubuntu 22.04 LTS",
        "major_release": "22",
    }
    assert lsb([], "") == {}


def test_memory_mb_counts_buffers_and_cache_as_free_without_cache() -> None:
    meminfo = {"MemTotal": 2000, "MemFree": 500, "Buffers": 100, "Cached": 400, "SwapTotal": 1024, "SwapFree": 1000}
    assert memory_mb({**meminfo, "SwapCached": 3}) == {
        "real": {"total": 2000, "used": 1500, "free": 500},
        "nocache": {"free": 1000, "used": 1000},
        "swap": {"total": 1024, "free": 1000, "used": 24, "cached": 3},
    }


PROC_MOUNTS = """\
/dev/sda1 / ext4 rw,relatime 0 0
proc /proc proc rw,nosuid 0 0
/dev/sda2 /srv/my\\040data xfs rw 0 0
nfs.example:/export /mnt/share nfs4 rw,vers=4.2 0 0
/dev/sda1 /var/lib/app ext4 rw,relatime 0 0
/dev/sdb /mnt/odd none rw 0 0
"""
MOUNTINFO = """\
22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw
30 22 8:2 / /srv/my\\040data rw - xfs /dev/sda2 rw
31 22 8:1 /srv/app /var/lib/app rw,relatime - ext4 /dev/sda1 rw
"""
STATFS = ["4096 4096 1000 250 64000 60000 /", "512 4096 80 40 100 90 /srv/my data"]
LSBLK = ["/dev/sda ", "/dev/sda1 0d4c-uuid", "/dev/sda2 9f2e-uuid"]


def test_mounts_keep_device_and_network_mounts_with_sizes_binds_and_uuids() -> None:
    found = mounts(PROC_MOUNTS, MOUNTINFO, STATFS, LSBLK)
    assert [(m["mount"], m["device"], m["options"], m["uuid"]) for m in found] == [
        ("/", "/dev/sda1", "rw,relatime", "0d4c-uuid"),
        ("/srv/my data", "/dev/sda2", "rw", "9f2e-uuid"),
        ("/mnt/share", "nfs.example:/export", "rw,vers=4.2", "N/A"),
        ("/var/lib/app", "/dev/sda1", "rw,relatime,bind", "0d4c-uuid"),
    ]
    assert {key: value for key, value in found[0].items() if key.startswith(("size", "block", "inode"))} == {
        "size_total": 4096000,
        "size_available": 1024000,
        "block_size": 4096,
        "block_total": 1000,
        "block_available": 250,
        "block_used": 750,
        "inode_total": 64000,
        "inode_available": 60000,
        "inode_used": 4000,
    }
    assert found[1]["size_total"] == 512 * 80 and found[1]["block_size"] == 4096
    assert "size_total" not in found[2] and (found[2]["dump"], found[2]["passno"]) == (0, 0)


def test_python_facts_from_the_interpreters_report_and_none_without_one() -> None:
    report = ["/usr/bin/python3.11", "3 11 2 final 0", "cpython", "True", "64"]
    assert python(report) == {
        "python": {
            "version": {"major": 3, "minor": 11, "micro": 2, "releaselevel": "final", "serial": 0},
            "version_info": [3, 11, 2, "final", 0],
            "executable": "/usr/bin/python3.11",
            "has_sslcontext": True,
            "type": "cpython",
        },
        "python_version": "3.11.2",
        "userspace_bits": "64",
    }
    assert python([]) == {} and python(["x", "not a version", "", "", ""]) == {}
    assert userspace_architecture("x86_64", "32") == {"userspace_architecture": "i386"}
    assert userspace_architecture("aarch64", "64") == {}


def test_selinux_as_ansibles_collector_reports_it() -> None:
    assert selinux(False, {}) == {
        "selinux": {"status": "Missing selinux Python library"},
        "selinux_python_present": False,
    }
    assert selinux(True, {}) == {"selinux": {"status": "disabled"}, "selinux_python_present": True}
    files = {
        "/sys/fs/selinux/enforce": "1",
        "/sys/fs/selinux/policyvers": "33",
        "/etc/selinux/config": "# comment\nSELINUX=enforcing\nSELINUXTYPE=targeted\n",
    }
    assert selinux(True, files)["selinux"] == {
        "status": "enabled",
        "policyvers": 33,
        "config_mode": "enforcing",
        "mode": "enforcing",
        "type": "targeted",
    }


def test_date_time_gives_utc_iso8601_from_the_epoch_and_local_fields_as_read() -> None:
    words = ["1796666597", "334802123", "2026", "12", "07", "19", "03", "17", "CET", "+0100", "Monday", "1", "49"]
    found = date_time(words)
    assert (found["iso8601"], found["iso8601_micro"]) == ("2026-12-07T18:03:17Z", "2026-12-07T18:03:17.334802Z")
    assert (found["iso8601_basic"], found["iso8601_basic_short"]) == ("20261207T190317334802", "20261207T190317")
    assert (found["date"], found["time"], found["tz"], found["tz_offset"]) == ("2026-12-07", "19:03:17", "CET", "+0100")
    assert date_time(["garbage"]) == {}
