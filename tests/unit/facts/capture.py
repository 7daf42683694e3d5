"""Re-capture the real fact output the parser tests read (by hand: `python tests/unit/facts/capture.py [CASE...]`).

Each fact's snippet runs as the batch runs it (`( snippet ) 2>/dev/null` under /bin/sh) either on this
machine, against files made under /tmp/deployctl-capture, or in a lab container with `docker exec`
(read-only commands). The output goes to captured/<case>.txt; the exit code to captured/<case>.rc.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from deployctl.facts.base import Fact
from deployctl.facts.files import FileFact, PathExistsFact
from deployctl.facts.getent import GetentFact
from deployctl.facts.packages import AptCacheAgeFact, CandidateFact, InstalledPackagesFact, PackageFact
from deployctl.facts.services import ServiceFact, ServiceTableFact
from deployctl.facts.sysctl import SysctlFact
from deployctl.facts.users import GroupFact, UserFact

CAPTURED = Path(__file__).parent / "captured"
SCRATCH = "/tmp/deployctl-capture"  # a scratch tree rebuilt on every capture
LAB = os.environ.get("DEPLOYCTL_CAPTURE_CONTAINER", "deployctl-lab-dev-vm1")

SETUP = f"""set -e
rm -rf {SCRATCH}; mkdir -p {SCRATCH}; cd {SCRATCH}
printf 'hello\\nworld\\n' > text.conf; chmod 0640 text.conf
printf 'no newline' > nonl; : > empty
printf 'bin\\000\\001\\377ary' > binary.bin
head -c 300000 /dev/zero > large.bin
mkdir adir; chmod 2775 adir
ln -s text.conf link; ln -s nowhere dangling; ln -s loop2 loop1; ln -s loop1 loop2
mkfifo fifo
printf 'secret\\n' > secret; chmod 0600 secret
cp text.conf setuid; chmod 4755 setuid
printf 'quoted\\n' > "it's a \\$name"
ln -s "$(printf 'text.conf\\nresolved /etc/passwd\\nstat file 644 0 0 1 root root')" forged-target
"""

LOCAL: dict[str, Fact[object]] = {
    "file-text": FileFact(f"{SCRATCH}/text.conf"),
    "file-nonl": FileFact(f"{SCRATCH}/nonl"),
    "file-empty": FileFact(f"{SCRATCH}/empty"),
    "file-binary": FileFact(f"{SCRATCH}/binary.bin"),
    "file-large": FileFact(f"{SCRATCH}/large.bin"),
    "file-directory": FileFact(f"{SCRATCH}/adir"),
    "file-link": FileFact(f"{SCRATCH}/link"),
    "file-dangling": FileFact(f"{SCRATCH}/dangling"),
    "file-loop": FileFact(f"{SCRATCH}/loop1"),
    "file-link-newline": FileFact(f"{SCRATCH}/forged-target"),
    "file-fifo": FileFact(f"{SCRATCH}/fifo"),
    "file-setuid": FileFact(f"{SCRATCH}/setuid"),
    "file-absent": FileFact(f"{SCRATCH}/missing"),
    "file-quoted-name": FileFact(f"{SCRATCH}/it's a $name"),
    "exists-glob": PathExistsFact(f"{SCRATCH}/*.conf"),
    "exists-glob-none": PathExistsFact(f"{SCRATCH}/*.nothing"),
    "exists-dangling": PathExistsFact(f"{SCRATCH}/dangling"),
    "package-uninstalled": PackageFact("nginx"),
    "package-unknown": PackageFact("no-such-package-deployctl"),
    "package-multiarch": PackageFact("libc6"),
    "package-upgradable": PackageFact("bash"),
    "candidate-upgradable": CandidateFact("bash"),
    "candidate-unknown": CandidateFact("no-such-package-deployctl"),
    "service-no-systemd": ServiceFact("ssh"),
    "user-supplementary": UserFact("postgres"),
    "group-with-members": GroupFact("ssl-cert"),
}
UNPRIVILEGED: dict[str, Fact[object]] = {
    "file-unreadable": FileFact(f"{SCRATCH}/secret"),
}
IN_LAB: dict[str, Fact[object]] = {
    "file-lab-sysctl-conf": FileFact("/etc/sysctl.conf"),
    "package-installed": PackageFact("openssh-server"),
    "apt-cache-age": AptCacheAgeFact(),
    "service-running-enabled": ServiceFact("ssh"),
    "service-not-found": ServiceFact("no-such-unit"),
    "service-static": ServiceFact("dbus"),
    "service-disabled": ServiceFact("debug-shell"),
    "service-masked": ServiceFact("sudo"),
    "service-alias": ServiceFact("sshd"),
    "user-root": UserFact("root"),
    "user-nobody": UserFact("nobody"),
    "user-absent": UserFact("no-such-user"),
    "group-root": GroupFact("root"),
    "group-by-gid": GroupFact("0"),
    "group-absent": GroupFact("no-such-group"),
    "sysctl-single": SysctlFact("kernel.hostname"),
    "sysctl-fields": SysctlFact("net.ipv4.tcp_rmem"),
    "sysctl-unknown": SysctlFact("no.such.key"),
    "service-table": ServiceTableFact(),
    "packages-installed-details": InstalledPackagesFact(),
    "getent-passwd-root": GetentFact("passwd", "root"),
    "getent-key-missing": GetentFact("passwd", "no-such-user"),
    "getent-hosts-all": GetentFact("hosts"),
}


def run(prefix: list[str], fact: Fact[object]) -> subprocess.CompletedProcess[str]:
    """Run one snippet as FactBatch does."""
    script = f"( {fact.script()}\n) 2>/dev/null"
    return subprocess.run([*prefix, "/bin/sh", "-c", script], capture_output=True, text=True, check=False)


def main(only: list[str]) -> int:
    """Capture every case, or only the cases named on the command line."""
    subprocess.run(["/bin/sh", "-c", SETUP], check=True)
    unprivileged = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    for prefix, facts in (([], LOCAL), (unprivileged, UNPRIVILEGED), (["docker", "exec", LAB], IN_LAB)):
        for name, fact in facts.items():
            if only and name not in only:
                continue
            result = run(prefix, fact)
            (CAPTURED / f"{name}.txt").write_text(result.stdout)
            (CAPTURED / f"{name}.rc").write_text(f"{result.returncode}\n")
            print(f"{name}: rc={result.returncode}, {len(result.stdout)} chars")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
