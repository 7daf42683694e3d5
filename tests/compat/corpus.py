"""The corpus: each vendored role, the status it has today, and its known, named differences.

`status` is the one place that says what each role does today, a one-line change when that changes:
"pass" (every stage passes) or "fails: <stage>: <reason>" (the role still runs, and must fail at that stage with
a reason containing <reason>). A role that passes or fails otherwise fails its test, which prints the status to
write. So CI stays green on an honest corpus, nothing skips, and every test can fail.
"""

from __future__ import annotations

from dataclasses import dataclass, field

STAGES = ("first run", "lint", "second run", "end state", "drift")
"""The stages a role goes through, in order; a role stops at the first one that fails."""


@dataclass(frozen=True)
class KnownDifference:
    """A path (prefix) whose end state may legitimately differ between the twins, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class Outcome:
    """Where a role's run stopped: the stage that failed and why, or None when every stage passed."""

    stage: str | None
    reason: str = ""

    @property
    def status(self) -> str:
        """The corpus status that says this outcome (the reason's first line, shortened)."""
        if self.stage is None:
            return "pass"
        return f"fails: {self.stage}: {self.reason.strip().splitlines()[0][:120] if self.reason.strip() else ''}"


@dataclass(frozen=True)
class CompatRole:
    """One role of the corpus: its name (folder under roles/ and case under cases/), status and differences."""

    name: str
    status: str
    differences: tuple[KnownDifference, ...] = field(default=())
    lab_limit: str = ""
    """What a lab node cannot do that this role needs, and what the case does about it (empty when nothing)."""

    def __post_init__(self) -> None:
        parse_status(self.name, self.status)

    @property
    def expected(self) -> Outcome:
        """The outcome the status promises (its reason a part of the real one)."""
        return parse_status(self.name, self.status)


def parse_status(role: str, status: str) -> Outcome:
    """The outcome a status promises: "pass", or "fails: <stage>: <reason>" with a known stage and a reason."""
    if status == "pass":
        return Outcome(None)
    stage, _, reason = status.removeprefix("fails: ").partition(": ")
    if not status.startswith("fails: ") or stage not in STAGES or not reason:
        raise ValueError(
            f"{role}: status must be 'pass' or 'fails: <stage>: <reason>' with <stage> one of {', '.join(STAGES)}; "
            f"got {status!r}"
        )
    return Outcome(stage, reason)


def mismatch(role: CompatRole, outcome: Outcome) -> str | None:
    """Why the outcome is not what the role's status says, with the status to write; None when it is."""
    expected = role.expected
    if outcome.stage == expected.stage and expected.reason in outcome.reason:
        return None
    found = "passed every stage" if outcome.stage is None else f"failed at {outcome.stage}: {outcome.reason}"
    return (
        f"{role.name} {found}\nbut its status is {role.status!r}: fix the role's run, or update the corpus status "
        f"in tests/compat/corpus.py to {outcome.status!r}"
    )


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
    KnownDifference("/etc/ssl/certs/ssl-cert-snakeoil.pem", "ssl-cert makes each node its own key pair at install"),
    KnownDifference("/etc/ssl/private/ssl-cert-snakeoil.key", "ssl-cert makes each node its own key pair at install"),
    KnownDifference("/var/lib/deployctl", "deployctl's own record of what it applied (drift reads it)"),
)
"""Paths no role manages that differ between any two runs, by design of the tools or of Debian."""

LAB_SWAP = (
    "a lab node cannot swapon (the swap is the host kernel's): the case sets the role's own swap_test_mode; nor write "
    "vm.swappiness (/proc/sys is read-only in a container), which the role sets unconditionally: both tools fail there"
)
LAB_PRIVATE_USERS = (
    "a lab node cannot start a unit with PrivateUsers=yes (status=217/USER) as Debian's redis-server.service has: "
    "the case's pre_tasks add a drop-in with PrivateUsers=no, for both tools"
)

CORPUS = (
    CompatRole("harness_check", "pass"),  # written here: proves the comparison and drift steps on every run
    CompatRole("ntp", "pass"),  # the case says why the daemon is off on a lab node (no CAP_SYS_TIME)
    CompatRole("nginx", "pass"),
    CompatRole("apache", "pass"),
    CompatRole("memcached", "pass"),
    CompatRole(
        "redis",
        "pass",
        (KnownDifference("/var/lib/redis/dump.rdb", "redis's snapshot, saved when it stops: it carries that time"),),
        lab_limit=LAB_PRIVATE_USERS,
    ),
    CompatRole("firewall", "pass"),
    CompatRole("security", "fails: second run: ansible-core's second run: exit 0, changed 1"),
    CompatRole("swap", "fails: first run: permission denied on key", lab_limit=LAB_SWAP),
    CompatRole("git", "pass"),
    CompatRole("haproxy", "pass"),
    CompatRole(
        "postfix",
        "pass",
        (
            KnownDifference(
                "/etc/aliases.db",
                "the Berkeley DB that postfix's package builds from /etc/aliases when it installs: two installs of the "
                "same package with the same /etc/aliases give different bytes (checked on two fresh nodes)",
            ),
            KnownDifference("/var/lib/postfix/master.lock", "holds the running master's process id"),
            KnownDifference("/var/spool/postfix/pid/", "the running daemons' process ids"),
            KnownDifference(
                "/var/spool/postfix/etc/", "postfix's chroot copies of the node's /etc files (its hosts, its snakeoil)"
            ),
        ),
    ),
    CompatRole(
        "ssh_hardening",
        "pass",
        (
            KnownDifference(
                "/etc/pam.d/sshd",
                "community.general.pamd writes the time of its change into the file (and names its backup by time)",
            ),
        ),
    ),
    CompatRole("os_hardening", "pass"),
    CompatRole("unattended_upgrades", "pass"),
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
"""Every role with its status on the lab today."""
