"""The corpus: each vendored role, whether it is expected to pass today, and its known, named differences.

`status` is the one place that says which roles must pass: "pass" (CI requires it) or "fails: <blocker>"
(the test still runs and fails with the precise reason; the merger decides what CI selects with -k).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class KnownDifference:
    """A path (prefix) whose end state may legitimately differ between the twins, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class CompatRole:
    """One role of the corpus: its name (folder under roles/ and case under cases/) and expected status."""

    name: str
    status: str
    differences: tuple[KnownDifference, ...] = field(default=())


NOISE = (
    KnownDifference("/home/vagrant/.ansible", "ansible-core's remote temp folder; deployctl sends no modules"),
    KnownDifference("/root/.ansible", "ansible-core's remote temp folder under become"),
    KnownDifference("/home/vagrant/.cache", "ansible-core's and pip's caches of the connecting user"),
    KnownDifference("/tmp", "each tool's scratch files"),
    KnownDifference("/var/tmp", "each tool's scratch files"),
    KnownDifference("/var/log", "logs carry times and process ids"),
    KnownDifference("/var/cache", "apt's and man-db's caches: timestamps and download order"),
    KnownDifference("/var/lib/apt/lists", "the package index, fetched at different moments"),
    KnownDifference("/var/lib/dpkg/info", "dpkg's per-package lists: same packages give the same set"),
    KnownDifference("/var/lib/dpkg/status-old", "dpkg's backup of the previous status"),
    KnownDifference("/var/lib/dpkg/lock", "dpkg's lock files"),
    KnownDifference("/var/lib/dpkg/triggers", "dpkg's trigger bookkeeping"),
    KnownDifference("/var/lib/systemd", "systemd's timers' stamps and random seed"),
    KnownDifference("/var/lib/ucf", "ucf's backups, named by time"),
    KnownDifference("/run", "runtime state (pids, sockets): a tmpfs, not the end state"),
    KnownDifference("/etc/ld.so.cache", "rebuilt by ldconfig: byte order of entries may differ"),
    KnownDifference("/var/lib/sgml-base", "catalogs rebuilt by triggers"),
    KnownDifference("/etc/ssh/ssh_host_", "each node makes its own host keys at first boot"),
    KnownDifference("/var/lib/deployctl", "deployctl's own record of what it applied (drift reads it)"),
)
"""Paths no role manages that differ between any two runs, by design of the tools or of Debian."""

CORPUS = (
    CompatRole("harness_check", "pass"),  # written here: proves the comparison and drift steps on every run
    CompatRole("ntp", "pass"),  # the case says why the daemon is off on a lab node (no CAP_SYS_TIME)
    CompatRole("nginx", "fails: deployctl has no apt_repository, apt default_release (other-OS branches refused)"),
    CompatRole("apache", "fails: deployctl refuses apt enablerepo in the RedHat branch"),
    CompatRole("memcached", "fails: deployctl: 'ansible_managed' is undefined"),
    CompatRole("redis", "fails: lab node cannot start redis-server (PrivateUsers=yes); deployctl: apt enablerepo"),
    CompatRole("firewall", "pass"),
    CompatRole("security", "fails: deployctl: apt enablerepo, lineinfile validate"),
    CompatRole("swap", "fails: lab node: swapon (both tools); deployctl has no mount"),
    CompatRole("git", "pass"),
    CompatRole("haproxy", "fails: deployctl has no template validate"),
    CompatRole("postfix", "fails: deployctl plans lineinfile on main.cf before the install made it (part 1)"),
    CompatRole("ssh_hardening", "fails: deployctl: include_tasks apply, with_dict and 24 more"),
    CompatRole("os_hardening", "fails: deployctl: setup, comment filter and 47 more"),
    CompatRole("unattended_upgrades", "fails: deployctl: include_vars of first_found and 4 more"),
    CompatRole("ufw", "pass"),
    CompatRole("logrotate", "pass"),
    CompatRole(
        "users",
        "pass",
        (
            KnownDifference("/home/bob/.ssh/id_rsa", "each twin generates its own key pair (generate_ssh_key)"),
            KnownDifference(
                "/etc/shadow-",
                "shadow's backup of the file before its last change: Ansible gives the password to useradd -p, "
                "deployctl sets it after useradd with chpasswd -e on stdin (off the command line); /etc/shadow "
                "itself ends the same",
            ),
        ),
    ),
)
